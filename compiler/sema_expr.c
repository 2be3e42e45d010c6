/* sema_expr.c: types every expression of a program (the second half of
 * sema, after sema.c has built the scope).
 *
 * Names resolve in the order of §5.2, with the expected type pushed down
 * where §5.2, §7 and §14 say it is known.  Untyped numbers (§14) travel up
 * as TY_NUMBER until a context settles them as money or int; settling
 * rewrites the subtree in place, and a use of an untyped const or let gets
 * a private copy of the initialiser (expr->expansion), so that no
 * expression a back end evaluates is left with TY_NUMBER.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp.h"
#include "sema_int.h"
#include "../runtime/value.h"

static int settle(struct sctx *c, struct expr *e, const struct type *to);

/* ------------------------------------------------------------- helpers */

int sema_untyped(const struct type *t)
{
  if (!t)
    return 0;
  if (t->kind == TY_NUMBER || t->kind == TY_EMPTYSET)
    return 1;
  return t->kind == TY_SET && t->elem && t->elem->kind == TY_NUMBER;
}

static int is_err(const struct type *t)
{
  return !t || t->kind == TY_ERROR;
}

static int is_set(const struct type *t)
{
  return t && (t->kind == TY_SET || t->kind == TY_EMPTYSET);
}

static const char *tyname(struct sctx *c, const struct type *t)
{
  if (!t)
    return "nothing";
  if (t->kind == TY_NUMBER)
    return "a number";
  if (t->kind == TY_EMPTYSET)
    return "an empty set";
  if (t->kind == TY_SET && t->elem && t->elem->kind == TY_NUMBER)
    return "a set of numbers";
  if (t->kind == TY_VERDICT)
    return "verdict";
  return type_name(c->a, t);
}

/* The source text of an expression, for hints ("customer.country in EU"). */
const char *sema_expr_text(struct sctx *c, const struct expr *e)
{
  struct source *src = source_get(&c->s->sources, e->span.file);
  if (!src || e->span.end > src->len || e->span.start > e->span.end)
    return "...";
  return arena_strndup(c->a, src->text + e->span.start,
                       e->span.end - e->span.start);
}

static void mark_impure(struct sctx *c)
{
  if (c->node)
    c->node->impure = 1;
}

static void add_dep(struct sctx *c, struct decl *d)
{
  if (c->node)
    vec_push(c->a, &c->node->deps, d);
}

/* Whether an expression's type comes from the expected type: a bare name
 * that is not a declared value, `{}`, or things built only from those.
 * Comparisons and `in` check the other side first in that case. */
static int ctx_dep(struct sctx *c, const struct expr *e)
{
  if (!e)
    return 0;
  switch (e->kind) {
  case EX_NAME: {
    if (c->fn)
      for (int i = 0; i < c->fn->u.fn.nparams; i++)
        if (c->fn->u.fn.params[i].name &&
            strcmp(c->fn->u.fn.params[i].name, e->u.name) == 0)
          return 0;
    return sema_lookup(c, e->u.name) == NULL;
  }
  case EX_SET:
    for (int i = 0; i < e->u.set.n; i++)
      if (!ctx_dep(c, e->u.set.elems[i]))
        return 0;
    return 1;
  case EX_IF:
    return ctx_dep(c, e->u.cond.then) && ctx_dep(c, e->u.cond.els);
  case EX_BINARY:
    if (e->u.bin.op == BIN_ADD || e->u.bin.op == BIN_SUB)
      return ctx_dep(c, e->u.bin.lhs) && ctx_dep(c, e->u.bin.rhs);
    return 0;
  default:
    return 0;
  }
}

/* Codes are short and dense (DX is one edit from DE, DJ, DK, ...): a
 * suggestion is made only when one code is closer than all others. */
static int edit_distance(const char *a, const char *b)
{
  int la = (int)strlen(a), lb = (int)strlen(b);
  if (la > 8 || lb > 8)
    return 99;
  int d[9][9];
  for (int i = 0; i <= la; i++)
    d[i][0] = i;
  for (int j = 0; j <= lb; j++)
    d[0][j] = j;
  for (int i = 1; i <= la; i++)
    for (int j = 1; j <= lb; j++) {
      int x = d[i - 1][j] + 1, y = d[i][j - 1] + 1;
      int z = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
      d[i][j] = x < y ? (x < z ? x : z) : (y < z ? y : z);
    }
  return d[la][lb];
}

static const char *suggest_code(const char *name, const char *const *codes,
                                int n)
{
  const char *best = NULL;
  int bd = 99, ties = 0;
  for (int i = 0; i < n; i++) {
    int k = edit_distance(name, codes[i]);
    if (k < bd) {
      bd = k;
      best = codes[i];
      ties = 0;
    } else if (k == bd) {
      ties++;
    }
  }
  return best && !ties && bd <= 1 ? best : NULL;
}

static int code_is_country(struct sctx *c, const char *n);
static int code_is_currency(struct sctx *c, const char *n);

/* How much an expression needs the expected type: 0 not at all, 1 it is
 * a bare name that resolves alone (a member of one enum only, or a code),
 * 2 it needs it.  Siblings are checked in rank order so that, in
 * `other == books` or `{other, books}`, `books` gives `other` its type. */
static int rank(struct sctx *c, const struct expr *e)
{
  if (!ctx_dep(c, e))
    return 0;
  if (e->kind != EX_NAME)
    return 2;
  struct vec *v = smap_get(&c->members, e->u.name);
  int n = 0;
  if (v)
    for (int i = 0; i < v->len; i++)
      n += sema_visible(c, ((struct decl *)v->items[i])->file) &&
           sema_member_index(c, v->items[i], e->u.name, 1) >= 0;
  if (n == 1)
    return 1;
  if (n == 0 && (code_is_country(c, e->u.name) ||
                 code_is_currency(c, e->u.name)))
    return 1;
  return 2;
}

/* ----------------------------------------------------- type expressions */

static const struct {
  const char *name;
  const struct type *type;
} scalar_types[] = {
  {"bool", &type_bool},       {"int", &type_int},
  {"money", &type_money},     {"percent", &type_percent},
  {"date", &type_date},       {"duration", &type_duration},
  {"string", &type_string},   {"country", &type_country},
  {"currency", &type_currency},
};
#define NSCALAR ((int)(sizeof scalar_types / sizeof scalar_types[0]))

const struct type *sema_type(struct sctx *c, struct type_expr *te,
                             int allow_set, int allow_verdict)
{
  if (!te || !te->name)
    return &type_error;
  for (int i = 0; i < NSCALAR; i++)
    if (strcmp(te->name, scalar_types[i].name) == 0)
      return scalar_types[i].type;
  if (strcmp(te->name, "set") == 0) {
    if (!te->elem) {
      sema_err(c, te->span, "'set' needs an element type: 'set<T>'");
      return &type_error;
    }
    if (!allow_set) {
      sema_err(c, te->span, "sets cannot contain sets; the element type "
               "must be a scalar type");
      return &type_error;
    }
    const struct type *el = sema_type(c, te->elem, 0, 0);
    if (el->kind == TY_VERDICT) {
      sema_err(c, te->elem->span, "sets cannot hold verdicts");
      return &type_error;
    }
    if (is_err(el))
      return &type_error;
    return type_set(c->a, el);
  }
  if (strcmp(te->name, "verdict") == 0) {
    if (!allow_verdict) {
      sema_err(c, te->span, "the type 'verdict' cannot be named; only "
               "'decide eligible' takes verdicts");
      return &type_error;
    }
    return &type_verdict;
  }
  struct decl *d = sema_lookup(c, te->name);
  if (d && d->kind == D_ENUM)
    return type_enum(c->a, d);
  if (d) {
    sema_err(c, te->span, "'%s' is not a type", te->name);
    return &type_error;
  }
  const char *sug = sema_suggest_name(c, te->name, NULL, 2);
  if (sug)
    sema_err(c, te->span, "unknown type '%s'; did you mean '%s'?", te->name,
             sug);
  else
    sema_err(c, te->span, "unknown type '%s'", te->name);
  return &type_error;
}

/* ------------------------------------------------------------ literals */

/* A money literal as one line, "12.345 EUR", and in *at the span of
 * its amount when the code stands on another line: the literal may span
 * lines and comments between its amount and its code (§1). */
static const char *money_text(struct sctx *c, const struct expr *e,
                              const char *code, struct span *at)
{
  const char *s = sema_expr_text(c, e);
  size_t n = 0;

  while ((s[n] >= '0' && s[n] <= '9') || s[n] == '_' || s[n] == '.')
    n++;
  *at = e->span;
  if (strchr(s, '\n'))
    at->end = at->start + (uint32_t)n;
  return arena_printf(c->a, "%.*s %s", (int)n, s, code);
}

static const struct type *check_money(struct sctx *c, struct expr *e)
{
  const char *code = e->u.money.code ? e->u.money.code : "";
  int cur = rpol_currency_code(code);
  int exp = cur >= 0 ? c->cur_exp[cur] : -1;
  if (exp < 0) {
    const char *sug = suggest_code(code, c->currency_names,
                                   c->ncurrency_names);
    if (sug)
      sema_err(c, e->u.money.code_span, "unknown currency '%s' in money "
               "literal; did you mean '%s'?", code, sug);
    else
      sema_err(c, e->u.money.code_span, "unknown currency '%s' in money "
               "literal (expected an ISO 4217 code)", code);
    return &type_error;
  }
  int64_t minor;
  int rc = rpol_number_to_minor(e->u.money.amount.mant,
                                e->u.money.amount.scale, exp, &minor);
  if (rc == RPOL_E_INEXACT_AMOUNT) {
    struct span at;
    const char *txt = money_text(c, e, code, &at);

    sema_err(c, at, "'%s' has more decimals than '%s' allows (%d)", txt,
             code, exp);
    return &type_error;
  }
  if (rc) {
    struct span at;
    const char *txt = money_text(c, e, code, &at);

    sema_err(c, at, "money amount '%s' is out of range", txt);
    return &type_error;
  }
  e->u.money.minor = minor;
  e->u.money.cur = cur;
  return &type_money;
}

static const struct type *check_percent(struct sctx *c, struct expr *e)
{
  struct decimal v = e->u.num;
  while (v.scale > 4 && v.mant % 10 == 0) {
    v.mant /= 10;
    v.scale--;
  }
  if (v.scale > 4) {
    sema_err(c, e->span, "percent '%s' has more than 4 decimals",
             sema_expr_text(c, e));
    return &type_error;
  }
  int64_t lim = 1000000;
  for (int i = 0; i < v.scale; i++)
    lim *= 10;
  if (v.mant > lim || v.mant < -lim) {
    sema_err(c, e->span, "percent '%s' is out of range (at most "
             "1,000,000%%)", sema_expr_text(c, e));
    return &type_error;
  }
  return &type_percent;
}

/* -------------------------------------------------- settling untyped */

/* Copies the untyped part of a tree (shares typed subtrees, which are
 * never rewritten), so that one initialiser can be settled differently
 * at each use. */
static struct expr *copy_untyped(struct sctx *c, struct expr *e)
{
  if (!e || !sema_untyped(e->type))
    return e;
  if (c->copy_budget <= 0)
    return NULL;
  c->copy_budget--;
  if (++c->depth > SEMA_MAX_DEPTH) {
    c->depth--;
    return NULL;
  }
  struct expr *n = arena_alloc(c->a, sizeof *n);
  *n = *e;
  n->expansion = NULL;
  int ok = 1;
  switch (e->kind) {
  case EX_UNARY:
    ok = (n->u.unary.operand = copy_untyped(c, e->u.unary.operand)) != NULL;
    break;
  case EX_BINARY:
    ok = (n->u.bin.lhs = copy_untyped(c, e->u.bin.lhs)) != NULL &&
         (n->u.bin.rhs = copy_untyped(c, e->u.bin.rhs)) != NULL;
    break;
  case EX_IF:
    ok = (n->u.cond.then = copy_untyped(c, e->u.cond.then)) != NULL &&
         (n->u.cond.els = copy_untyped(c, e->u.cond.els)) != NULL;
    break;
  case EX_CALL:
    n->u.call.args = arena_alloc(c->a, sizeof(struct expr *) *
                                 (e->u.call.nargs + 1));
    for (int i = 0; ok && i < e->u.call.nargs; i++)
      ok = (n->u.call.args[i] = copy_untyped(c, e->u.call.args[i])) != NULL;
    break;
  case EX_SET:
    n->u.set.elems = arena_alloc(c->a, sizeof(struct expr *) *
                                 (e->u.set.n + 1));
    for (int i = 0; ok && i < e->u.set.n; i++)
      ok = (n->u.set.elems[i] = copy_untyped(c, e->u.set.elems[i])) != NULL;
    break;
  default:
    break;
  }
  c->depth--;
  return ok ? n : NULL;
}

/* Rewrites an untyped tree as `to` (int or money, or a set of them, or
 * any set for `{}`).  `use` is the name whose expansion this is, for the
 * message about a decimal where an int is needed.  Returns 0 after an
 * error. */
static int coerce(struct sctx *c, struct expr *e, const struct type *to,
                  struct expr *use)
{
  if (!e)
    return 0;
  if (!sema_untyped(e->type)) {
    if (e->type == to || is_err(e->type))
      return !is_err(e->type);
    return 0;     /* a typed part of an untyped set: checked elsewhere */
  }
  if (++c->depth > SEMA_MAX_DEPTH) {
    c->depth--;
    e->type = &type_error;
    return 0;
  }
  int ok = 1;
  switch (e->kind) {
  case EX_INT:
    e->from_number = to == &type_money;
    break;
  case EX_DEC:
    if (to == &type_money) {
      e->from_number = 1;
    } else {
      if (use) {
        sema_err(c, use->span, "'%s' is a decimal number where %s is "
                 "expected", sema_expr_text(c, use), tyname(c, to));
        sema_note(c, e->span, "'%s' is written here",
                  sema_expr_text(c, e));
      } else {
        sema_err(c, e->span, "decimal number '%s' where %s is expected",
                 sema_expr_text(c, e), tyname(c, to));
      }
      ok = 0;
    }
    break;
  case EX_UNARY:
    ok = coerce(c, e->u.unary.operand, to, use);
    break;
  case EX_BINARY:
    ok = coerce(c, e->u.bin.lhs, to, use);
    ok = coerce(c, e->u.bin.rhs, to, use) && ok;
    break;
  case EX_IF:
    ok = coerce(c, e->u.cond.then, to, use);
    ok = coerce(c, e->u.cond.els, to, use) && ok;
    break;
  case EX_CALL:
    for (int i = 0; i < e->u.call.nargs; i++)
      ok = coerce(c, e->u.call.args[i], to, use) && ok;
    break;
  case EX_SET:
    if (to->kind != TY_SET) {
      ok = 0;
      break;
    }
    for (int i = 0; i < e->u.set.n; i++) {
      struct expr *el = e->u.set.elems[i];
      if (sema_untyped(el->type))
        ok = coerce(c, el, to->elem, use) && ok;
      else if (el->type != to->elem && !is_err(el->type))
        ok = 0;
    }
    break;
  case EX_NAME:
  case EX_QUALIFIED:
    if ((e->ref.kind == REF_CONST || e->ref.kind == REF_LET) &&
        e->ref.decl && e->ref.decl->u.value.init) {
      struct expr *x = copy_untyped(c, e->ref.decl->u.value.init);
      if (!x) {
        sema_err(c, e->span, "'%s' expands too far here; give its "
                 "declaration a type", e->ref.decl->name);
        ok = 0;
        break;
      }
      e->expansion = x;
      ok = coerce(c, x, to, use ? use : e);
    } else {
      ok = 0;
    }
    break;
  default:
    ok = 0;
    break;
  }
  c->depth--;
  e->type = ok ? to : &type_error;
  return ok;
}

/* Makes e of type `to` if it is untyped and can be.  Returns 1 when e now
 * has type `to` (or an error type already reported), 0 when the types
 * differ (the caller reports). */
static int settle(struct sctx *c, struct expr *e, const struct type *to)
{
  const struct type *t = e->type;
  if (is_err(t) || is_err(to) || t == to)
    return 1;
  if (!sema_untyped(t) || sema_untyped(to))
    return 0;
  if (t->kind == TY_NUMBER) {
    if (to != &type_int && to != &type_money)
      return 0;
  } else if (t->kind == TY_SET) {
    if (to->kind != TY_SET ||
        (to->elem != &type_int && to->elem != &type_money))
      return 0;
  } else if (to->kind != TY_SET) {
    return 0;    /* {} becomes any set */
  }
  coerce(c, e, to, NULL);
  return 1;
}

/* Unifies two untyped-or-typed sibling types (if branches, min/max
 * arguments, set elements, comparison sides).  Settles an untyped side to
 * the other's type when it can.  Returns the common type, NULL if they
 * differ, the error type if either is one. */
static const struct type *unify(struct sctx *c, struct expr *a,
                                struct expr *b)
{
  const struct type *ta = a->type, *tb = b->type;
  if (is_err(ta) || is_err(tb))
    return &type_error;
  if (ta == tb)
    return ta;
  int ua = sema_untyped(ta), ub = sema_untyped(tb);
  if (ua && ub) {
    /* Both untyped: a number with a number, or sets of numbers and {}. */
    if (ta->kind == TY_NUMBER || tb->kind == TY_NUMBER)
      return NULL;
    return ta->kind == TY_SET ? ta : tb;
  }
  if (ua)
    return settle(c, a, tb) ? tb : NULL;
  if (ub)
    return settle(c, b, ta) ? ta : NULL;
  return NULL;
}

/* --------------------------------------------------------------- names */

static int code_is_country(struct sctx *c, const char *n)
{
  if (strlen(n) != 2)
    return 0;
  int k = rpol_country_code(n);
  return k >= 0 && c->country[k];
}

static int code_is_currency(struct sctx *c, const char *n)
{
  if (strlen(n) != 3)
    return 0;
  int k = rpol_currency_code(n);
  return k >= 0 && c->cur_exp[k] >= 0;
}

int sema_member_index(struct sctx *c, struct decl *enm, const char *name,
                      int visible_only)
{
  struct sinfo *in = sema_info(c, enm);
  for (int i = 0; i < enm->u.enm.nall; i++)
    if (strcmp(enm->u.enm.all[i], name) == 0) {
      if (visible_only && in && in->mfile && !sema_visible(c, in->mfile[i]))
        continue;
      return i;
    }
  return -1;
}

static void set_member(struct expr *e, struct decl *enm, int ix)
{
  e->ref.kind = REF_MEMBER;
  e->ref.decl = enm;
  e->ref.index = ix;
  e->is_const = 1;
}

/* When a declared name hides a member or code that the context wanted
 * (§5.2 looks up declared names first), says so: "; 'opened' is the let
 * declared at F:L:C, ...: write 'Condition.opened'".  "" otherwise. */
static const char *shadow_hint(struct sctx *c, const struct expr *e,
                               const struct type *want)
{
  if (!e || e->kind != EX_NAME || !want || !e->u.name)
    return "";
  const char *n = e->u.name;
  const char *what = NULL;
  struct span at = e->span;
  switch (e->ref.kind) {
  case REF_PARAM:
    what = "parameter";
    at = e->ref.decl->u.fn.params[e->ref.index].span;
    break;
  case REF_LET: what = "let"; break;
  case REF_CONST: what = "const"; break;
  case REF_REGION: what = "region"; break;
  case REF_OUTPUT: what = "output"; break;
  default: return "";
  }
  if (e->ref.kind != REF_PARAM && e->ref.decl)
    at = e->ref.decl->name_span.end > e->ref.decl->name_span.start ?
         e->ref.decl->name_span : e->ref.decl->span;
  const char *fix = NULL;
  if (want->kind == TY_ENUM && sema_member_index(c, want->enm, n, 1) >= 0)
    fix = arena_printf(c->a, "%s.%s", want->enm->name, n);
  else if (want == &type_country && code_is_country(c, n))
    fix = "a set literal such as {DE}, or rename it";
  else if (want == &type_currency && code_is_currency(c, n))
    fix = "another name for it";
  if (!fix)
    return "";
  return arena_printf(c->a, "; '%s' is the %s at %s (declared names come "
                      "first): write '%s'", n, what,
                      source_loc(&c->s->sources, at), fix);
}

static const struct type *use_decl(struct sctx *c, struct expr *e,
                                   struct decl *d)
{
  e->ref.decl = d;
  switch (d->kind) {
  case D_LET:
  case D_CONST: {
    e->ref.kind = d->kind == D_LET ? REF_LET : REF_CONST;
    e->is_const = d->kind == D_CONST;
    add_dep(c, d);
    if (d->kind == D_LET)
      mark_impure(c);
    if (d->u.value.texpr)
      return d->u.value.type ? d->u.value.type : &type_error;
    sema_check_body(c, d);
    return d->u.value.type ? d->u.value.type : &type_error;
  }
  case D_REGION:
    e->ref.kind = REF_REGION;
    e->is_const = 1;
    add_dep(c, d);
    return type_set(c->a, &type_country);
  case D_OUTPUT: {
    e->ref.kind = REF_OUTPUT;
    mark_impure(c);
    add_dep(c, d);
    if (d->name && strcmp(d->name, "eligible") == 0) {
      sema_err(c, e->span, "'eligible' cannot be read by other "
               "expressions");
      return &type_error;
    }
    if (c->has_policy && d->u.output.absent_default &&
        !d->u.output.decided_by && !c->syntax_errors) {
      sema_err(c, e->span, "'%s' is read here but the policy does not "
               "decide it, and it has no default", d->name);
      return &type_error;
    }
    return d->u.output.type ? d->u.output.type : &type_error;
  }
  case D_FN:
  case D_EXTERN:
    sema_err(c, e->span, "'%s' is a function; call it as '%s(...)'",
             d->name, d->name);
    return &type_error;
  case D_ENUM:
    sema_err(c, e->span, "'%s' is an enum type, not a value; name a member "
             "as '%s.member'", d->name, d->name);
    return &type_error;
  default:
    sema_err(c, e->span, "'%s' is not a value", d->name);
    return &type_error;
  }
}

static const struct type *check_name(struct sctx *c, struct expr *e,
                                     const struct type *want)
{
  const char *n = e->u.name;
  if (!n)
    return &type_error;
  /* 1. A parameter of the function being checked. */
  if (c->fn)
    for (int i = 0; i < c->fn->u.fn.nparams; i++) {
      struct param *p = &c->fn->u.fn.params[i];
      if (p->name && strcmp(p->name, n) == 0) {
        e->ref.kind = REF_PARAM;
        e->ref.decl = c->fn;
        e->ref.index = i;
        return p->type ? p->type : &type_error;
      }
    }
  /* 2. A declared let, const, region, fn or output. */
  struct decl *d = sema_lookup(c, n);
  if (d)
    return use_decl(c, e, d);
  /* 3. A name of the expected type. */
  if (want && want->kind == TY_ENUM) {
    int ix = sema_member_index(c, want->enm, n, 1);
    if (ix >= 0) {
      set_member(e, want->enm, ix);
      return want;
    }
  } else if (want == &type_country && code_is_country(c, n)) {
    e->ref.kind = REF_COUNTRY;
    e->ref.index = rpol_country_code(n);
    e->is_const = 1;
    return &type_country;
  } else if (want == &type_currency && code_is_currency(c, n)) {
    e->ref.kind = REF_CURRENCY;
    e->ref.index = rpol_currency_code(n);
    e->is_const = 1;
    return &type_currency;
  }
  /* 4. The unique member of that name across the visible enums. */
  struct vec *cands = smap_get(&c->members, n);
  struct decl *found = NULL;
  int nfound = 0, ix = -1;
  char amb[256] = "";
  if (cands)
    for (int i = 0; i < cands->len; i++) {
      struct decl *enm = cands->items[i];
      if (!sema_visible(c, enm->file))
        continue;
      int k = sema_member_index(c, enm, n, 1);
      if (k < 0)
        continue;
      if (nfound++ == 0) {
        found = enm;
        ix = k;
      }
      size_t l = strlen(amb);
      if (l < sizeof amb - 64)
        snprintf(amb + l, sizeof amb - l, "%s'%s.%s'", l ? " or " : "",
                 enm->name, n);
    }
  if (nfound > 1) {
    sema_err(c, e->span, "'%s' is a member of several enums; write %s", n,
             amb);
    return &type_error;
  }
  if (nfound == 1) {
    set_member(e, found, ix);
    return type_enum(c->a, found);
  }
  /* 5. A country or currency code. */
  if (code_is_country(c, n)) {
    e->ref.kind = REF_COUNTRY;
    e->ref.index = rpol_country_code(n);
    e->is_const = 1;
    return &type_country;
  }
  if (code_is_currency(c, n)) {
    e->ref.kind = REF_CURRENCY;
    e->ref.index = rpol_currency_code(n);
    e->is_const = 1;
    return &type_currency;
  }
  /* Nothing: say what was expected and suggest the closest name.  The
   * verdicts are keywords, not names, so they are offered by hand where
   * one is expected (`eligible = alow`). */
  static const char *const verdicts[] = {"allow", "review", "deny"};
  const char *sug = want == &type_verdict ? diag_suggest(n, verdicts, 3) :
      want == &type_country ?
      suggest_code(n, c->country_names, c->ncountry_names) :
      want == &type_currency ?
      suggest_code(n, c->currency_names, c->ncurrency_names) :
      sema_suggest_name(c, n, want, 1);
  char hint[160] = "";
  if (sug)
    snprintf(hint, sizeof hint, "; did you mean '%s'?", sug);
  if (want && want->kind == TY_ENUM)
    sema_err(c, e->span, "'%s' is not a member of '%s'%s", n,
             want->enm->name, hint);
  else if (want == &type_country)
    sema_err(c, e->span, "unknown country code '%s'%s", n, hint);
  else if (want == &type_currency)
    sema_err(c, e->span, "unknown currency code '%s'%s", n, hint);
  else if (ast_is_root(n))
    sema_err(c, e->span, "'%s' is an input root, not a value; name one of "
             "its fields, such as '%s.id'", n, n);
  else
    sema_err(c, e->span, "unknown name '%s'%s", n, hint);
  return &type_error;
}

static const struct type *check_qualified(struct sctx *c, struct expr *e)
{
  const char *en = e->u.qual.enum_name, *m = e->u.qual.member;
  struct decl *d = sema_lookup(c, en);
  if (!d || d->kind != D_ENUM) {
    if (d) {
      sema_err(c, e->span, "'%s' is not an enum, so '%s.%s' names nothing",
               en, en, m);
      return &type_error;
    }
    const char *sug = sema_suggest_name(c, en, NULL, 2);
    if (sug)
      sema_err(c, e->span, "unknown enum '%s'; did you mean '%s'?", en, sug);
    else
      sema_err(c, e->span, "unknown enum '%s'", en);
    return &type_error;
  }
  int ix = sema_member_index(c, d, m, 1);
  if (ix < 0) {
    const char *sug = sema_suggest_name(c, m, type_enum(c->a, d), 0);
    if (sug)
      sema_err(c, e->u.qual.member_span, "'%s' is not a member of '%s'; did "
               "you mean '%s'?", m, en, sug);
    else
      sema_err(c, e->u.qual.member_span, "'%s' is not a member of '%s'", m,
               en);
    return &type_error;
  }
  set_member(e, d, ix);
  return type_enum(c->a, d);
}

static const struct type *check_path(struct sctx *c, struct expr *e)
{
  const char *path = e->u.path.text;
  struct vec *v = path ? smap_get(&c->inputs, path) : NULL;
  struct decl *d = NULL;
  if (v)
    for (int i = 0; i < v->len && !d; i++)
      if (sema_visible(c, ((struct decl *)v->items[i])->file))
        d = v->items[i];
  mark_impure(c);
  if (!d) {
    /* Suggest among the fields under the same root. */
    const char *root = e->u.path.nparts > 0 ? e->u.path.parts[0] : "";
    size_t rl = strlen(root);
    struct vec cands = {0};
    for (int i = 0; i < c->inputs.cap; i++) {
      const char *k = c->inputs.keys[i];
      if (k && strncmp(k, root, rl) == 0 && k[rl] == '.')
        vec_push(c->a, &cands, (void *)k);
    }
    const char *sug = diag_suggest(path ? path : "",
                                   (const char *const *)cands.items,
                                   cands.len);
    if (sug)
      sema_err(c, e->span, "unknown field '%s' in '%s'; did you mean "
               "'%s'?", path, root, sug);
    else
      sema_err(c, e->span, "unknown field '%s' in '%s'; declare it with "
               "'input %s: TYPE'", path, root, path);
    return &type_error;
  }
  e->ref.kind = REF_FIELD;
  e->ref.decl = d;
  return d->u.input.type ? d->u.input.type : &type_error;
}

/* ---------------------------------------------------------- operators */

static const char *op_text(enum binary_op op)
{
  static const char *const t[] = {"+", "-", "*", "/", "==", "!=", "<",
                                  "<=", ">", ">=", "and", "or"};
  return t[op];
}

static int orderable(const struct type *t)
{
  return t == &type_int || t == &type_money || t == &type_percent ||
         t == &type_date || t == &type_duration;
}

/* Checks the two sides of a comparison-like pair: the side whose type
 * does not depend on context first, then the other with its type. */
static void check_pair(struct sctx *c, struct expr *a, struct expr *b,
                       const struct type *want)
{
  if (rank(c, a) > rank(c, b)) {
    const struct type *tb = sema_expr(c, b, want);
    sema_expr(c, a, sema_untyped(tb) ? want : tb);
  } else {
    const struct type *ta = sema_expr(c, a, want);
    sema_expr(c, b, sema_untyped(ta) ? want : ta);
  }
}

static const struct type *check_compare(struct sctx *c, struct expr *e)
{
  struct expr *l = e->u.bin.lhs, *r = e->u.bin.rhs;
  enum binary_op op = e->u.bin.op;
  check_pair(c, l, r, NULL);
  const struct type *t = unify(c, l, r);
  if (t && t->kind == TY_NUMBER) {
    settle(c, l, &type_int);
    settle(c, r, &type_int);
    t = l->type;
  }
  if (t == &type_error)
    return &type_bool;
  if (!t) {
    const struct type *tl = l->type, *tr = r->type;
    if (tr && tr->kind == TY_SET && tr->elem == tl &&
        (op == BIN_EQ || op == BIN_NE))
      sema_err(c, e->u.bin.op_span, "cannot compare %s with %s; did you "
               "mean '%s %s %s'?", tyname(c, tl), tyname(c, tr),
               sema_expr_text(c, l), op == BIN_EQ ? "in" : "not in",
               sema_expr_text(c, r));
    else if (tl && tl->kind == TY_SET && tl->elem == tr &&
             (op == BIN_EQ || op == BIN_NE))
      sema_err(c, e->u.bin.op_span, "cannot compare %s with %s; did you "
               "mean '%s %s %s'?", tyname(c, tl), tyname(c, tr),
               sema_expr_text(c, r), op == BIN_EQ ? "in" : "not in",
               sema_expr_text(c, l));
    else {
      const char *h = shadow_hint(c, r, tl);
      if (!*h)
        h = shadow_hint(c, l, tr);
      sema_err(c, e->u.bin.op_span, "type mismatch: cannot compare %s "
               "with %s%s", tyname(c, tl), tyname(c, tr), h);
    }
    return &type_bool;
  }
  if (is_set(t)) {
    sema_err(c, e->u.bin.op_span, "sets cannot be compared with '%s'; "
             "test membership with 'in'", op_text(op));
  } else if (t->kind == TY_VERDICT) {
    sema_err(c, e->u.bin.op_span, "verdicts cannot be compared");
  } else if (op != BIN_EQ && op != BIN_NE && !orderable(t)) {
    if (t == &type_string)
      sema_err(c, e->u.bin.op_span, "strings cannot be ordered with '%s'; "
               "only '==' and '!=' compare them", op_text(op));
    else if (t->kind == TY_ENUM)
      sema_err(c, e->u.bin.op_span, "enum values are unordered: '%s' "
               "cannot compare %s values; use '==', '!=' or 'in'",
               op_text(op), tyname(c, t));
    else
      sema_err(c, e->u.bin.op_span, "%s values cannot be ordered with "
               "'%s'; only '==' and '!=' compare them", tyname(c, t),
               op_text(op));
  }
  e->is_const = l->is_const && r->is_const;
  return &type_bool;
}

static int is_num(const struct type *t)
{
  return t && t->kind == TY_NUMBER;
}

static const struct type *arith_error(struct sctx *c, struct expr *e,
                                      const struct type *tl,
                                      const struct type *tr)
{
  enum binary_op op = e->u.bin.op;
  const char *verb = op == BIN_ADD ? "add" : op == BIN_SUB ? "subtract" :
                     op == BIN_MUL ? "multiply" : "divide";
  const char *hint = "";
  if (op == BIN_MUL && tl == &type_money && tr == &type_money)
    hint = "; money is multiplied by an int, and 'P of M' takes a "
           "percentage";
  else if (op == BIN_MUL && (tl == &type_percent || tr == &type_percent))
    hint = "; take a percentage of money with 'P of M'";
  else if ((op == BIN_ADD || op == BIN_SUB) &&
           (tl == &type_date || tr == &type_date) &&
           (tl == &type_int || tr == &type_int || is_num(tl) ||
            is_num(tr)))
    hint = "; add a duration such as '3 days'";
  else if (op == BIN_DIV && tl == &type_duration)
    hint = "; use to_days() to get an int";
  if (op == BIN_ADD || op == BIN_SUB)
    sema_err(c, e->u.bin.op_span, "cannot %s %s and %s with '%s'%s", verb,
             tyname(c, tl), tyname(c, tr), op_text(op), hint);
  else
    sema_err(c, e->u.bin.op_span, "cannot %s %s by %s with '%s'%s", verb,
             tyname(c, tl), tyname(c, tr), op_text(op), hint);
  return &type_error;
}

static const struct type *check_arith(struct sctx *c, struct expr *e,
                                      const struct type *want)
{
  struct expr *l = e->u.bin.lhs, *r = e->u.bin.rhs;
  enum binary_op op = e->u.bin.op;
  const struct type *sw = is_set(want) ? want : NULL;
  if (sw || ctx_dep(c, l) || ctx_dep(c, r)) {
    check_pair(c, l, r, sw);
  } else {
    sema_expr(c, l, NULL);
    sema_expr(c, r, NULL);
  }
  const struct type *tl = l->type, *tr = r->type;
  if (is_err(tl) || is_err(tr))
    return &type_error;
  e->is_const = l->is_const && r->is_const;

  if (op == BIN_MUL || op == BIN_DIV) {
    /* `*` and `/` make an int of untyped numbers (§14). */
    if (is_num(tl) && !settle(c, l, &type_int))
      return &type_error;
    if (is_num(tr) && !settle(c, r, &type_int))
      return &type_error;
    tl = l->type;
    tr = r->type;
    if (is_err(tl) || is_err(tr))
      return &type_error;
    if (tl == &type_int && tr == &type_int)
      return &type_int;
    if (tl == &type_money && tr == &type_int)
      return &type_money;
    if (op == BIN_MUL && tl == &type_int && tr == &type_money)
      return &type_money;
    if (op == BIN_MUL && tl == &type_duration && tr == &type_int)
      return &type_duration;
    if (op == BIN_MUL && tl == &type_int && tr == &type_duration)
      return &type_duration;
    return arith_error(c, e, tl, tr);
  }

  /* + and - */
  if (sema_untyped(tl) || sema_untyped(tr)) {
    if (sema_untyped(tl) && sema_untyped(tr)) {
      if (is_num(tl) && is_num(tr))
        return &type_number;
      if (is_set(tl) && is_set(tr))
        return tl->kind == TY_SET ? tl : tr;
      return arith_error(c, e, tl, tr);
    }
    const struct type *t = unify(c, l, r);
    if (!t)
      return arith_error(c, e, tl, tr);
    if (t == &type_error)
      return t;
    tl = tr = t;
  }
  if (tl == tr && (tl == &type_int || tl == &type_money ||
                   tl == &type_percent || tl == &type_duration))
    return tl;
  if (tl == tr && tl->kind == TY_SET)
    return tl;
  if (tl == &type_date && tr == &type_duration)
    return &type_date;
  if (op == BIN_ADD && tl == &type_duration && tr == &type_date)
    return &type_date;
  if (op == BIN_SUB && tl == &type_date && tr == &type_date)
    return &type_duration;
  return arith_error(c, e, tl, tr);
}

static const struct type *check_binary(struct sctx *c, struct expr *e,
                                       const struct type *want)
{
  switch (e->u.bin.op) {
  case BIN_AND:
  case BIN_OR: {
    const char *w = e->u.bin.op == BIN_AND ? "an operand of 'and'" :
                    "an operand of 'or'";
    sema_expect(c, e->u.bin.lhs, &type_bool, w);
    sema_expect(c, e->u.bin.rhs, &type_bool, w);
    e->is_const = e->u.bin.lhs->is_const && e->u.bin.rhs->is_const;
    return &type_bool;
  }
  case BIN_EQ: case BIN_NE: case BIN_LT: case BIN_LE: case BIN_GT:
  case BIN_GE:
    return check_compare(c, e);
  default:
    return check_arith(c, e, want);
  }
}

static const struct type *check_unary(struct sctx *c, struct expr *e,
                                      const struct type *want)
{
  struct expr *o = e->u.unary.operand;
  if (e->u.unary.op == UN_NOT) {
    sema_expect(c, o, &type_bool, "the operand of 'not'");
    e->is_const = o->is_const;
    return &type_bool;
  }
  const struct type *t = sema_expr(c, o, NULL);
  e->is_const = o->is_const;
  if (is_err(t))
    return &type_error;
  if (t == &type_int || t == &type_money || t == &type_percent ||
      t == &type_duration || is_num(t))
    return t;
  sema_err(c, e->span, "cannot negate %s; unary '-' takes int, money, "
           "percent or duration", tyname(c, t));
  return &type_error;
}

static const struct type *check_in(struct sctx *c, struct expr *e)
{
  struct expr *x = e->u.in.elem, *s = e->u.in.set;
  const struct type *tx, *ts;
  if (rank(c, x) > rank(c, s)) {
    ts = sema_expr(c, s, NULL);
    tx = sema_expr(c, x, ts && ts->kind == TY_SET &&
                         !sema_untyped(ts) ? ts->elem : NULL);
  } else {
    tx = sema_expr(c, x, NULL);
    ts = sema_expr(c, s, is_err(tx) || sema_untyped(tx) ||
                         tx->kind == TY_VERDICT ? NULL :
                         type_set(c->a, tx));
  }
  e->is_const = x->is_const && s->is_const;
  if (is_err(tx) || is_err(ts))
    return &type_bool;
  if (!is_set(ts)) {
    const char *hint = "";
    if (ts == &type_string && tx == &type_string)
      hint = "; for text use contains(s, sub)";
    else if (ts == tx)
      hint = "; to compare two values use '=='";
    sema_err(c, e->u.in.op_span, "'in' needs a set on its right, found "
             "%s%s", tyname(c, ts), hint);
    return &type_bool;
  }
  /* Settle the untyped side(s): the element takes the set's element type
   * and the other way round; 5 in {1, 2} is an int test. */
  if (ts->kind == TY_EMPTYSET) {
    if (is_num(tx))
      settle(c, x, &type_int);
    if (!is_err(x->type))
      settle(c, s, type_set(c->a, x->type));
    return &type_bool;
  }
  if (is_num(tx) && is_num(ts->elem)) {
    settle(c, x, &type_int);
    settle(c, s, type_set(c->a, &type_int));
  } else if (is_num(tx)) {
    if (!settle(c, x, ts->elem)) {
      sema_err(c, e->u.in.op_span, "cannot test whether %s is in %s",
               tyname(c, tx), tyname(c, ts));
      return &type_bool;
    }
  } else if (is_num(ts->elem)) {
    if (!settle(c, s, type_set(c->a, tx))) {
      sema_err(c, e->u.in.op_span, "cannot test whether %s is in %s",
               tyname(c, tx), tyname(c, ts));
      return &type_bool;
    }
  } else if (ts->elem != tx) {
    sema_err(c, e->u.in.op_span, "cannot test whether %s is in %s",
             tyname(c, tx), tyname(c, ts));
  }
  return &type_bool;
}

static const struct type *check_of(struct sctx *c, struct expr *e)
{
  struct expr *p = e->u.bin.lhs, *m = e->u.bin.rhs;
  const struct type *tp = sema_expr(c, p, NULL);
  const struct type *tm = sema_expr(c, m, &type_money);
  e->is_const = p->is_const && m->is_const;
  int bad = 0;
  if (!is_err(tp) && tp != &type_percent) {
    sema_err(c, p->span, "the left of 'of' must be a percent, found %s%s",
             tyname(c, tp), is_num(tp) ? "; write it with '%'" : "");
    bad = 1;
  }
  if (!is_err(tm) && !settle(c, m, &type_money)) {
    sema_err(c, m->span, "'of' takes money on its right, found %s",
             tyname(c, tm));
    bad = 1;
  }
  return bad || is_err(tp) || is_err(m->type) ? &type_error : &type_money;
}

static const struct type *check_coalesce(struct sctx *c, struct expr *e)
{
  struct expr *l = e->u.bin.lhs, *r = e->u.bin.rhs;
  if (l->kind != EX_PATH) {
    sema_expr(c, l, NULL);
    sema_expr(c, r, NULL);
    sema_err(c, l->span, "the left of '?\?' must be an input field such as "
             "'order.delivered_at'");
    return &type_error;
  }
  const struct type *t = sema_expr(c, l, NULL);
  if (is_err(t)) {
    sema_expr(c, r, NULL);
    return &type_error;
  }
  sema_expect(c, r, t, "the fallback of '?\?'");
  e->is_const = 0;
  return t;
}

static const struct type *check_if(struct sctx *c, struct expr *e,
                                   const struct type *want)
{
  struct expr *a = e->u.cond.then, *b = e->u.cond.els;
  sema_expect(c, e->u.cond.cond, &type_bool, "the condition of 'if'");
  if (want)
    check_pair(c, a, b, want);
  else
    check_pair(c, a, b, NULL);
  e->is_const = e->u.cond.cond->is_const && a->is_const && b->is_const;
  const struct type *t = unify(c, a, b);
  if (!t) {
    sema_err(c, b->span, "the branches of 'if' have different types: %s "
             "and %s", tyname(c, a->type), tyname(c, b->type));
    return &type_error;
  }
  return t;
}

static const struct type *check_set(struct sctx *c, struct expr *e,
                                    const struct type *want)
{
  int n = e->u.set.n;
  const struct type *ew = want && want->kind == TY_SET && want->elem &&
                          !is_num(want->elem) ? want->elem : NULL;
  e->is_const = 1;
  if (n == 0)
    return want && want->kind == TY_SET && !sema_untyped(want) ?
           want : &type_emptyset;
  /* Elements whose type is their own first, the others with it. */
  const struct type *t = ew;
  for (int pass = 0; pass < 3; pass++)
    for (int i = 0; i < n; i++) {
      struct expr *x = e->u.set.elems[i];
      if (rank(c, x) != pass)
        continue;
      const struct type *tx = sema_expr(c, x, t);
      if (!t && !is_err(tx) && !sema_untyped(tx))
        t = tx;
    }
  int bad = 0;
  for (int i = 0; i < n; i++) {
    struct expr *x = e->u.set.elems[i];
    e->is_const &= x->is_const;
    if (is_err(x->type)) {
      bad = 1;
    } else if (x->type->kind == TY_SET || x->type->kind == TY_EMPTYSET) {
      sema_err(c, x->span, "sets cannot contain sets; use '+' for the "
               "union of two sets");
      bad = 1;
    } else if (x->type->kind == TY_VERDICT) {
      sema_err(c, x->span, "sets cannot hold verdicts");
      bad = 1;
    }
  }
  if (!bad && t)
    for (int i = 0; i < n && !bad; i++) {
      struct expr *x = e->u.set.elems[i];
      if (settle(c, x, t) && x->type == t)
        continue;
      /* Blame a declared name that hides a member of the other type. */
      struct expr *y = x;
      const char *h = "";
      const struct type *other = t;
      for (int k = 0; k < n && !*h; k++) {
        struct expr *z = e->u.set.elems[k];
        if (z->type == t)
          continue;
        h = shadow_hint(c, z, t);
        if (*h)
          y = z;
      }
      for (int k = 0; k < n && !*h; k++) {
        struct expr *z = e->u.set.elems[k];
        if (z->type != t || z->kind != EX_NAME)
          continue;
        h = shadow_hint(c, z, x->type);
        if (*h) {
          y = z;
          other = x->type;
        }
      }
      if (ew && other == ew && !*h)
        sema_err(c, y->span, "this set holds %s values, found %s",
                 tyname(c, ew), tyname(c, y->type));
      else
        sema_err(c, y->span, "set elements must have one type: %s here, "
                 "%s elsewhere%s", tyname(c, y->type), tyname(c, other), h);
      bad = 1;
    }
  if (bad)
    return &type_error;
  if (!t)
    t = &type_number;     /* a set of untyped numbers */
  return type_set(c->a, t);
}

/* ------------------------------------------------------------- calls */

/* `ext`: an addition to the built-ins of §5.5.  A spec-conforming policy
 * may use such a name for its own declaration, which then hides the
 * built-in in the files that see it (the prelude keeps the built-in). */
static const struct {
  const char *name;
  enum builtin bi;
  int nargs;
  int ext;
} builtins[] = {
  {"min", BI_MIN, 2, 0},       {"max", BI_MAX, 2, 0},
  {"abs", BI_ABS, 1, 0},       {"present", BI_PRESENT, 1, 0},
  {"starts_with", BI_STARTS_WITH, 2, 0},
  {"ends_with", BI_ENDS_WITH, 2, 0},
  {"contains", BI_CONTAINS, 2, 0},
  {"to_days", BI_TO_DAYS, 1, 0}, {"round", BI_ROUND, 2, 0},
  {"weekday", BI_WEEKDAY, 1, 1},
  {"add_business_days", BI_ADD_BUSINESS_DAYS, 2, 1},
};
#define NBUILTIN ((int)(sizeof builtins / sizeof builtins[0]))

int sema_builtin_index(const char *name)
{
  for (int i = 0; i < NBUILTIN; i++)
    if (strcmp(builtins[i].name, name) == 0)
      return i;
  return -1;
}

const char *sema_builtin_name(int i)
{
  return i >= 0 && i < NBUILTIN ? builtins[i].name : NULL;
}

int sema_builtin_is_ext(int i)
{
  return i >= 0 && i < NBUILTIN && builtins[i].ext;
}

static const struct type *arg_expect(struct sctx *c, struct expr *call,
                                     int i, const struct type *t)
{
  char what[96];
  snprintf(what, sizeof what, "argument %d of '%s'", i + 1,
           call->u.call.name);
  return sema_expect(c, call->u.call.args[i], t, what);
}

static const struct type *check_builtin(struct sctx *c, struct expr *e,
                                        int bix, const struct type *want)
{
  struct expr **a = e->u.call.args;
  const char *name = builtins[bix].name;
  e->ref.kind = REF_BUILTIN;
  e->ref.builtin = builtins[bix].bi;
  switch (builtins[bix].bi) {
  case BI_MIN:
  case BI_MAX:
  case BI_ABS: {
    int n = builtins[bix].nargs;
    const struct type *w = want && (orderable(want) || is_num(want)) ?
                           want : NULL;
    if (n == 2)
      check_pair(c, a[0], a[1], w);
    else
      sema_expr(c, a[0], w);
    const struct type *t = n == 2 ? unify(c, a[0], a[1]) : a[0]->type;
    e->is_const = a[0]->is_const && (n == 1 || a[1]->is_const);
    if (!t) {
      sema_err(c, a[1]->span, "the arguments of '%s' must have one type: "
               "%s and %s", name, tyname(c, a[0]->type),
               tyname(c, a[1]->type));
      return &type_error;
    }
    if (is_err(t))
      return t;
    int ok = builtins[bix].bi == BI_ABS ?
             (t == &type_int || t == &type_money || t == &type_duration) :
             orderable(t);
    if (!ok && !is_num(t)) {
      sema_err(c, e->u.call.name_span, "'%s' takes %s, found %s", name,
               builtins[bix].bi == BI_ABS ? "int, money or duration" :
               "int, money, percent, date or duration", tyname(c, t));
      return &type_error;
    }
    return t;
  }
  case BI_PRESENT:
    e->is_const = 0;
    mark_impure(c);
    if (a[0]->kind != EX_PATH) {
      sema_expr(c, a[0], NULL);
      sema_err(c, a[0]->span, "'present' takes an input field such as "
               "'order.delivered_at'");
      return &type_bool;
    }
    sema_expr(c, a[0], NULL);
    return &type_bool;
  case BI_CONTAINS: {
    /* §5.5: contains is a string test; for sets `in`.  Said with the
     * membership test to write instead (checked once: a[0] is not
     * checked again). */
    const struct type *t0 = sema_expr(c, a[0], NULL);
    if (!is_err(t0) && t0->kind == TY_SET) {
      sema_err(c, a[0]->span, "argument 1 of 'contains' must be string, "
               "found %s: contains tests text within a string; to test "
               "whether a set holds a value, write '%s in %s'",
               tyname(c, t0), sema_expr_text(c, a[1]),
               sema_expr_text(c, a[0]));
      a[0]->type = &type_error;
    } else if (!is_err(t0) && t0 != &type_string) {
      sema_err(c, a[0]->span, "argument 1 of 'contains' must be string, "
               "found %s", tyname(c, t0));
      a[0]->type = &type_error;
    }
    arg_expect(c, e, 1, &type_string);
    e->is_const = a[0]->is_const && a[1]->is_const;
    return &type_bool;
  }
  case BI_STARTS_WITH:
  case BI_ENDS_WITH:
    arg_expect(c, e, 0, &type_string);
    arg_expect(c, e, 1, &type_string);
    e->is_const = a[0]->is_const && a[1]->is_const;
    return &type_bool;
  case BI_TO_DAYS:
    arg_expect(c, e, 0, &type_duration);
    e->is_const = a[0]->is_const;
    return &type_int;
  case BI_ROUND:
    arg_expect(c, e, 0, &type_money);
    arg_expect(c, e, 1, &type_money);
    e->is_const = a[0]->is_const && a[1]->is_const;
    return &type_money;
  case BI_WEEKDAY:
    arg_expect(c, e, 0, &type_date);
    e->is_const = a[0]->is_const;
    return &type_int;
  case BI_ADD_BUSINESS_DAYS:
    arg_expect(c, e, 0, &type_date);
    arg_expect(c, e, 1, &type_int);
    e->is_const = a[0]->is_const && a[1]->is_const;
    return &type_date;
  default:
    return &type_error;
  }
}

static const struct type *check_call(struct sctx *c, struct expr *e,
                                     const struct type *want)
{
  const char *name = e->u.call.name ? e->u.call.name : "";
  int n = e->u.call.nargs;
  int bix = sema_builtin_index(name);
  if (bix >= 0 && builtins[bix].ext && sema_lookup(c, name))
    bix = -1;
  if (bix >= 0) {
    if (n != builtins[bix].nargs) {
      for (int i = 0; i < n; i++)
        sema_expr(c, e->u.call.args[i], NULL);
      sema_err(c, e->u.call.name_span, "'%s' takes %d argument%s, %d "
               "given", name, builtins[bix].nargs,
               builtins[bix].nargs == 1 ? "" : "s", n);
      return &type_error;
    }
    return check_builtin(c, e, bix, want);
  }
  struct decl *d = sema_lookup(c, name);
  if (!d || (d->kind != D_FN && d->kind != D_EXTERN)) {
    for (int i = 0; i < n; i++)
      sema_expr(c, e->u.call.args[i], NULL);
    if (d) {
      sema_err(c, e->u.call.name_span, "'%s' is not a function", name);
      return &type_error;
    }
    const char *sug = sema_suggest_name(c, name, NULL, 3);
    if (sug)
      sema_err(c, e->u.call.name_span, "unknown function '%s'; did you "
               "mean '%s'?", name, sug);
    else
      sema_err(c, e->u.call.name_span, "unknown function '%s'", name);
    return &type_error;
  }
  e->ref.decl = d;
  if (n != d->u.fn.nparams) {
    for (int i = 0; i < n; i++)
      sema_expr(c, e->u.call.args[i], NULL);
    sema_err(c, e->u.call.name_span, "'%s' takes %d argument%s, %d given",
             name, d->u.fn.nparams, d->u.fn.nparams == 1 ? "" : "s", n);
    return &type_error;
  }
  int all_const = 1;
  for (int i = 0; i < n; i++) {
    const struct type *pt = d->u.fn.params[i].type;
    arg_expect(c, e, i, pt ? pt : &type_error);
    all_const &= e->u.call.args[i]->is_const;
  }
  if (d->kind == D_EXTERN) {
    e->ref.kind = REF_EXTERN;
    mark_impure(c);
    e->is_const = 0;
  } else {
    e->ref.kind = REF_FN;
    add_dep(c, d);
    sema_check_body(c, d);
    struct sinfo *in = sema_info(c, d);
    int impure = !in || in->state != 2 || in->impure;
    if (impure)
      mark_impure(c);
    e->is_const = all_const && !impure;
  }
  return d->u.fn.result ? d->u.fn.result : &type_error;
}

/* --------------------------------------------------------------- main */

static const struct type *check_kind(struct sctx *c, struct expr *e,
                                     const struct type *want)
{
  switch (e->kind) {
  case EX_INT:
  case EX_DEC:
    e->is_const = 1;
    return &type_number;
  case EX_MONEY:
    e->is_const = 1;
    return check_money(c, e);
  case EX_PERCENT:
    e->is_const = 1;
    return check_percent(c, e);
  case EX_DURATION:
    e->is_const = 1;
    return &type_duration;
  case EX_DATE:
    e->is_const = 1;     /* the scanner validated it */
    return &type_date;
  case EX_STRING:
    e->is_const = 1;
    return &type_string;
  case EX_BOOL:
    e->is_const = 1;
    return &type_bool;
  case EX_VERDICT:
    e->is_const = 1;
    if (want != &type_verdict) {
      sema_err(c, e->span, "a verdict ('allow', 'review', 'deny') can only "
               "be the value of a case of 'decide eligible'");
      return &type_error;
    }
    if (!c->in_test && e->u.verdict.kind != VERDICT_ALLOW &&
        !e->u.verdict.code) {
      sema_err(c, e->span, "'%s' needs a reason code, such as '%s "
               "\"final_sale\"'",
               e->u.verdict.kind == VERDICT_DENY ? "deny" : "review",
               e->u.verdict.kind == VERDICT_DENY ? "deny" : "review");
      return &type_error;
    }
    return &type_verdict;
  case EX_NAME:
    return check_name(c, e, want);
  case EX_QUALIFIED:
    e->is_const = 1;
    return check_qualified(c, e);
  case EX_PATH:
    e->is_const = 0;
    return check_path(c, e);
  case EX_UNARY:
    return check_unary(c, e, want);
  case EX_BINARY:
    return check_binary(c, e, want);
  case EX_IN:
    return check_in(c, e);
  case EX_OF:
    return check_of(c, e);
  case EX_COALESCE:
    return check_coalesce(c, e);
  case EX_IF:
    return check_if(c, e, want);
  case EX_CALL:
    return check_call(c, e, want);
  case EX_SET:
    return check_set(c, e, want);
  }
  return &type_error;
}

const struct type *sema_expr(struct sctx *c, struct expr *e,
                             const struct type *want)
{
  if (!e)
    return &type_error;
  e->ref = (struct expr_ref){0};
  e->expansion = NULL;
  e->from_number = 0;
  e->is_const = 0;
  if (++c->depth > SEMA_MAX_DEPTH) {
    c->depth--;
    sema_err(c, e->span, "expression nested too deeply (the limit is %d "
             "levels of definitions and expressions)", SEMA_MAX_DEPTH);
    e->type = &type_error;
    return e->type;
  }
  if (want && (is_err(want) || sema_untyped(want)))
    want = NULL;
  e->type = check_kind(c, e, want);
  c->depth--;
  return e->type;
}

const struct type *sema_expect(struct sctx *c, struct expr *e,
                               const struct type *want, const char *what)
{
  if (!e)
    return &type_error;
  const struct type *t = sema_expr(c, e, want);
  if (is_err(t) || is_err(want))
    return t;
  if (t == want)
    return t;
  if (sema_untyped(t) && settle(c, e, want))
    return e->type;
  if (want == &type_verdict)
    sema_err(c, e->span, "%s must be a verdict ('allow', 'review \"code\"' "
             "or 'deny \"code\"'), found %s", what, tyname(c, t));
  else if (want == &type_money && t == &type_int &&
           e->kind == EX_BINARY && (e->u.bin.op == BIN_MUL ||
                                    e->u.bin.op == BIN_DIV))
    sema_err(c, e->span, "%s must be money, found int ('*' and '/' of "
             "plain numbers make an int)", what);
  else if (is_num(t) && (want == &type_percent || want == &type_duration))
    sema_err(c, e->span, "%s must be %s, found a number; write '%s%s'",
             what, tyname(c, want), sema_expr_text(c, e),
             want == &type_percent ? "%" : " days");
  else
    sema_err(c, e->span, "%s must be %s, found %s%s", what,
             tyname(c, want), tyname(c, t), shadow_hint(c, e, want));
  e->type = &type_error;
  return e->type;
}

/* -------------------------------------------------------- tree helpers */

/* The first part of e that makes it non-constant (§5.4), or NULL. */
struct expr *sema_nonconst(struct expr *e)
{
  if (!e || e->is_const || is_err(e->type))
    return NULL;
  struct expr *k = NULL;
  switch (e->kind) {
  case EX_UNARY:
    k = sema_nonconst(e->u.unary.operand);
    break;
  case EX_BINARY:
  case EX_OF:
    k = sema_nonconst(e->u.bin.lhs);
    if (!k)
      k = sema_nonconst(e->u.bin.rhs);
    break;
  case EX_IN:
    k = sema_nonconst(e->u.in.elem);
    if (!k)
      k = sema_nonconst(e->u.in.set);
    break;
  case EX_IF:
    k = sema_nonconst(e->u.cond.cond);
    if (!k)
      k = sema_nonconst(e->u.cond.then);
    if (!k)
      k = sema_nonconst(e->u.cond.els);
    break;
  case EX_SET:
    for (int i = 0; !k && i < e->u.set.n; i++)
      k = sema_nonconst(e->u.set.elems[i]);
    break;
  case EX_CALL:
    if (e->ref.kind == REF_BUILTIN && e->ref.builtin != BI_PRESENT)
      for (int i = 0; !k && i < e->u.call.nargs; i++)
        k = sema_nonconst(e->u.call.args[i]);
    break;
  default:
    break;
  }
  return k ? k : e;
}

static int dec_eq(struct decimal a, struct decimal b)
{
  return a.mant == b.mant && a.scale == b.scale;
}

static int str_eq(const char *a, const char *b)
{
  if (!a || !b)
    return a == b;
  return strcmp(a, b) == 0;
}

/* Structural identity of two conditions, as written (§6): spans, spacing,
 * comments and parentheses do not count. */
int sema_same_tree(const struct expr *a, const struct expr *b)
{
  if (!a || !b)
    return a == b;
  if (a->kind != b->kind)
    return 0;
  switch (a->kind) {
  case EX_INT:
  case EX_DEC:
  case EX_PERCENT:
    return dec_eq(a->u.num, b->u.num);
  case EX_MONEY:
    return dec_eq(a->u.money.amount, b->u.money.amount) &&
           str_eq(a->u.money.code, b->u.money.code);
  case EX_DURATION:
  case EX_DATE:
    return a->u.days == b->u.days;
  case EX_STRING:
    return a->str_len == b->str_len &&
           (a->str_len == 0 ||
            memcmp(a->u.str, b->u.str, (size_t)a->str_len) == 0);
  case EX_BOOL:
    return a->u.b == b->u.b;
  case EX_VERDICT:
    return a->u.verdict.kind == b->u.verdict.kind &&
           str_eq(a->u.verdict.code, b->u.verdict.code);
  case EX_NAME:
    return str_eq(a->u.name, b->u.name);
  case EX_QUALIFIED:
    return str_eq(a->u.qual.enum_name, b->u.qual.enum_name) &&
           str_eq(a->u.qual.member, b->u.qual.member);
  case EX_PATH:
    return str_eq(a->u.path.text, b->u.path.text);
  case EX_UNARY:
    return a->u.unary.op == b->u.unary.op &&
           sema_same_tree(a->u.unary.operand, b->u.unary.operand);
  case EX_BINARY:
    if (a->u.bin.op != b->u.bin.op)
      return 0;
    /* fall through */
  case EX_OF:
  case EX_COALESCE:
    return sema_same_tree(a->u.bin.lhs, b->u.bin.lhs) &&
           sema_same_tree(a->u.bin.rhs, b->u.bin.rhs);
  case EX_IN:
    return a->u.in.negated == b->u.in.negated &&
           sema_same_tree(a->u.in.elem, b->u.in.elem) &&
           sema_same_tree(a->u.in.set, b->u.in.set);
  case EX_IF:
    return sema_same_tree(a->u.cond.cond, b->u.cond.cond) &&
           sema_same_tree(a->u.cond.then, b->u.cond.then) &&
           sema_same_tree(a->u.cond.els, b->u.cond.els);
  case EX_CALL:
    if (!str_eq(a->u.call.name, b->u.call.name) ||
        a->u.call.nargs != b->u.call.nargs)
      return 0;
    for (int i = 0; i < a->u.call.nargs; i++)
      if (!sema_same_tree(a->u.call.args[i], b->u.call.args[i]))
        return 0;
    return 1;
  case EX_SET:
    if (a->u.set.n != b->u.set.n)
      return 0;
    for (int i = 0; i < a->u.set.n; i++)
      if (!sema_same_tree(a->u.set.elems[i], b->u.set.elems[i]))
        return 0;
    return 1;
  }
  return 0;
}

static uint64_t mix(uint64_t h, uint64_t x)
{
  return (h ^ x) * 0x100000001b3u;
}

static uint64_t mix_str(uint64_t h, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    h = mix(h, (unsigned char)s[i]);
  return h;
}

static uint64_t mix_name(uint64_t h, const char *s)
{
  return s ? mix_str(mix(h, 1), s, strlen(s)) : mix(h, 0);
}

/* A hash of the tree that trees sema_same_tree finds the same share: what
 * it compares, and nothing else. */
uint64_t sema_tree_hash(const struct expr *e)
{
  uint64_t h = 0xcbf29ce484222325u;

  if (!e)
    return h;
  h = mix(h, (uint64_t)e->kind);
  switch (e->kind) {
  case EX_INT:
  case EX_DEC:
  case EX_PERCENT:
    return mix(mix(h, (uint64_t)e->u.num.mant), (uint64_t)e->u.num.scale);
  case EX_MONEY:
    h = mix(mix(h, (uint64_t)e->u.money.amount.mant),
            (uint64_t)e->u.money.amount.scale);
    return mix_name(h, e->u.money.code);
  case EX_DURATION:
  case EX_DATE:
    return mix(h, (uint64_t)e->u.days);
  case EX_STRING:
    return mix_str(mix(h, (uint64_t)e->str_len), e->u.str,
                   e->str_len > 0 ? (size_t)e->str_len : 0);
  case EX_BOOL:
    return mix(h, (uint64_t)e->u.b);
  case EX_VERDICT:
    return mix_name(mix(h, (uint64_t)e->u.verdict.kind), e->u.verdict.code);
  case EX_NAME:
    return mix_name(h, e->u.name);
  case EX_QUALIFIED:
    return mix_name(mix_name(h, e->u.qual.enum_name), e->u.qual.member);
  case EX_PATH:
    return mix_name(h, e->u.path.text);
  case EX_UNARY:
    return mix(mix(h, (uint64_t)e->u.unary.op),
               sema_tree_hash(e->u.unary.operand));
  case EX_BINARY:
    h = mix(h, (uint64_t)e->u.bin.op);
    /* fall through */
  case EX_OF:
  case EX_COALESCE:
    return mix(mix(h, sema_tree_hash(e->u.bin.lhs)),
               sema_tree_hash(e->u.bin.rhs));
  case EX_IN:
    return mix(mix(mix(h, (uint64_t)e->u.in.negated),
                   sema_tree_hash(e->u.in.elem)),
               sema_tree_hash(e->u.in.set));
  case EX_IF:
    return mix(mix(mix(h, sema_tree_hash(e->u.cond.cond)),
                   sema_tree_hash(e->u.cond.then)),
               sema_tree_hash(e->u.cond.els));
  case EX_CALL:
    h = mix(mix_name(h, e->u.call.name), (uint64_t)e->u.call.nargs);
    for (int i = 0; i < e->u.call.nargs; i++)
      h = mix(h, sema_tree_hash(e->u.call.args[i]));
    return h;
  case EX_SET:
    h = mix(h, (uint64_t)e->u.set.n);
    for (int i = 0; i < e->u.set.n; i++)
      h = mix(h, sema_tree_hash(e->u.set.elems[i]));
    return h;
  }
  return h;
}

/* ---------------------------------------------------- constant folding */

/* Constant evaluation is the interpreter's (interp_const); the checker
 * uses it for what it must know at compile time: whether a condition is
 * the constant `true` (unreachable cases) and which countries a `for` set
 * names.  Untyped amounts have no order currency here, so a condition
 * that needs one is simply not known to be true. */
static int eval_const(struct sctx *c, const struct expr *e,
                      struct rpol_slot *out)
{
  if (!e || !e->is_const || is_err(e->type) || sema_untyped(e->type))
    return 0;
  memset(out, 0, sizeof *out);
  return interp_const(c->a, e, -1, c->cur_exp, out, NULL) == 0;
}

int sema_const_true(struct sctx *c, const struct expr *e)
{
  struct rpol_slot v;
  if (!e || e->type != &type_bool || !eval_const(c, e, &v))
    return 0;
  return v.v != 0;
}

/* Folds a constant country set (a `for` clause's, §2).  A constant may
 * still fail when evaluated (`1 / 0`, an overflow, two currencies); that
 * is reported here, at what failed, since routing happens before any
 * decision could carry the error. */
int sema_fold_countries(struct sctx *c, const struct expr *e,
                        unsigned char *set, const char *what)
{
  struct rpol_slot v;
  struct span at;
  int rc;

  if (!e || e->type->kind != TY_SET || e->type->elem != &type_country ||
      !e->is_const || is_err(e->type) || sema_untyped(e->type))
    return 0;
  memset(&v, 0, sizeof v);
  at = e->span;
  rc = interp_const(c->a, e, -1, c->cur_exp, &v, &at);
  if (rc == RPOL_E_INEXACT_AMOUNT) {
    /* No order currency is known when a line is routed. */
    sema_err(c, at, "%s cannot use a plain number as money: it would be "
             "in the order currency, unknown when a line is routed "
             "(write the currency, as in '5 EUR')", what);
    return -1;
  }
  if (rc) {
    static const char *const names[] = {
      [RPOL_E_CURRENCY_MISMATCH] = "currency_mismatch",
      [RPOL_E_OVERFLOW] = "overflow",
      [RPOL_E_DIVISION_BY_ZERO] = "division_by_zero",
    };
    const char *name = rc > 0 && rc < (int)(sizeof names / sizeof *names)
                           && names[rc] ? names[rc] : NULL;
    if (name)
      sema_err(c, at, "%s fails when evaluated: %s", what, name);
    else
      sema_err(c, at, "%s could not be evaluated", what);
    return -1;
  }
  if (v.kind != RPOL_K_SET)
    return 0;
  const int64_t *el = v.p;
  for (int64_t i = 0; i < v.n; i++)
    if (el[i] >= 0 && el[i] < RPOL_NCOUNTRY_CODES)
      set[el[i]] = 1;
  return 1;
}
