/* ast.c: node constructors, interned types and small tree helpers.
 *
 * Scalar types are static singletons, so are the sets of scalars; an enum
 * type is made once per D_ENUM and kept in the declaration, together with
 * its set type, so that every type compares by pointer.
 */
#include "ast.h"

#include <string.h>

const struct type type_error = {TY_ERROR, NULL, NULL};
const struct type type_bool = {TY_BOOL, NULL, NULL};
const struct type type_int = {TY_INT, NULL, NULL};
const struct type type_money = {TY_MONEY, NULL, NULL};
const struct type type_percent = {TY_PERCENT, NULL, NULL};
const struct type type_date = {TY_DATE, NULL, NULL};
const struct type type_duration = {TY_DURATION, NULL, NULL};
const struct type type_string = {TY_STRING, NULL, NULL};
const struct type type_country = {TY_COUNTRY, NULL, NULL};
const struct type type_currency = {TY_CURRENCY, NULL, NULL};
const struct type type_verdict = {TY_VERDICT, NULL, NULL};
const struct type type_number = {TY_NUMBER, NULL, NULL};
const struct type type_emptyset = {TY_EMPTYSET, NULL, NULL};

/* set<T> for each scalar T, indexed by T's kind. */
static const struct type set_of_scalar[] = {
  [TY_ERROR] = {TY_SET, NULL, &type_error},
  [TY_BOOL] = {TY_SET, NULL, &type_bool},
  [TY_INT] = {TY_SET, NULL, &type_int},
  [TY_MONEY] = {TY_SET, NULL, &type_money},
  [TY_PERCENT] = {TY_SET, NULL, &type_percent},
  [TY_DATE] = {TY_SET, NULL, &type_date},
  [TY_DURATION] = {TY_SET, NULL, &type_duration},
  [TY_STRING] = {TY_SET, NULL, &type_string},
  [TY_COUNTRY] = {TY_SET, NULL, &type_country},
  [TY_CURRENCY] = {TY_SET, NULL, &type_currency},
  [TY_VERDICT] = {TY_SET, NULL, &type_verdict},
  [TY_NUMBER] = {TY_SET, NULL, &type_number},
};

/* An enum type and its set type, allocated together so that type_set can
 * find the second from the first. */
struct enum_types {
  struct type enm;
  struct type set;
};

const struct type *type_enum(struct arena *a, struct decl *enm)
{
  struct enum_types *t;

  if (enm->u.enm.type)
    return enm->u.enm.type;
  t = arena_alloc(a, sizeof *t);
  t->enm.kind = TY_ENUM;
  t->enm.enm = enm;
  t->set.kind = TY_SET;
  t->set.elem = &t->enm;
  enm->u.enm.type = &t->enm;
  return &t->enm;
}

const struct type *type_set(struct arena *a, const struct type *elem)
{
  struct type *t;

  switch (elem->kind) {
  case TY_ENUM:
    /* elem was made by type_enum: the set type sits right after it. */
    return &((const struct enum_types *)(const void *)elem)->set;
  case TY_SET:
  case TY_EMPTYSET:
    /* Sets of sets are not rpol types (§3): sema reports them.  Such a
     * type is still made, but it is not interned. */
    t = arena_alloc(a, sizeof *t);
    t->kind = TY_SET;
    t->elem = elem;
    return t;
  default:
    return &set_of_scalar[elem->kind];
  }
}

const char *type_name(struct arena *a, const struct type *t)
{
  switch (t->kind) {
  case TY_ERROR:
    return "<error>";
  case TY_BOOL:
    return "bool";
  case TY_INT:
    return "int";
  case TY_MONEY:
    return "money";
  case TY_PERCENT:
    return "percent";
  case TY_DATE:
    return "date";
  case TY_DURATION:
    return "duration";
  case TY_STRING:
    return "string";
  case TY_COUNTRY:
    return "country";
  case TY_CURRENCY:
    return "currency";
  case TY_ENUM:
    return t->enm && t->enm->name ? t->enm->name : "<enum>";
  case TY_SET:
    return arena_printf(a, "set<%s>", type_name(a, t->elem));
  case TY_VERDICT:
    return "verdict";
  case TY_NUMBER:
    return "number";
  case TY_EMPTYSET:
    return "set";
  }
  return "<type>";
}

struct expr *ast_expr(struct arena *a, enum expr_kind k, struct span sp)
{
  struct expr *e = arena_alloc(a, sizeof *e);

  e->kind = k;
  e->span = sp;
  e->depth = 1;
  return e;
}

struct decl *ast_decl(struct arena *a, enum decl_kind k, struct span sp)
{
  struct decl *d = arena_alloc(a, sizeof *d);

  d->kind = k;
  d->span = sp;
  d->name_span = sp;
  return d;
}

int ast_is_root(const char *name)
{
  return name && (strcmp(name, "customer") == 0 ||
                  strcmp(name, "order") == 0 || strcmp(name, "item") == 0 ||
                  strcmp(name, "request") == 0);
}

struct span span_join(struct span a, struct span b)
{
  struct span r = a;

  if (b.file != a.file)
    return a;
  if (b.start < r.start)
    r.start = b.start;
  if (b.end > r.end)
    r.end = b.end;
  return r;
}
