/* interp.c: the reference interpreter, a tree walker over checked programs.
 *
 * It is the oracle the compiled evaluators are tested against, so it reads
 * like the spec rather than like an optimiser: one function per construct,
 * evaluated in the order §14 fixes (left to right, short-circuit `and`/`or`,
 * one branch of `if`, the fallback of `??` only when needed, lets and
 * outputs memoised on first read).  All arithmetic, rounding, dates,
 * strings and sets go through runtime/value.h, the code it shares with the
 * code generator, so the two can only disagree about evaluation order and
 * error locations, which is what the golden tests pin down.
 *
 * No allocation on the per-decision path: the memo frame for lets and
 * outputs lives on the C stack (bounded by the program), function
 * parameters too (bounded by the call depth, which the acyclic call graph
 * bounds), and sets built during a decision go to the result's scratch
 * area.  Constant evaluation (interp_const) uses the session arena instead.
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "ffi_call.h"
#include "interp.h"
#include "../runtime/value.h"

/* A constant set computed once: keyed by the D_CONST/D_REGION or by the
 * set expression (literal, union, difference). */
struct cache_ent {
  const void *key;
  struct rpol_slot val;
};

/* What interp_host_prepare computes once per program. */
struct interp_prep {
  int cur_slot;             /* slot of order.currency, -1 */
  struct ffi_sig *sigs;     /* [prog->nexterns], by decl->u.fn.index */
  int *ext_ids;             /* [prog->nexterns]: layout extern numbers */
  struct arena arena;       /* storage of the cached sets */
  struct cache_ent *tab;    /* open addressing, cap a power of two */
  int cap, n;
};

/* One evaluation: a decision (in/res set) or a constant (arena set). */
struct ictx {
  const struct program *prog;
  const struct layout *L;
  const struct interp_host *host;
  const struct rpol_slot *in;      /* NULL for constants */
  struct rpol_result *res;         /* NULL for constants */
  const struct rpol_env *env;
  const int8_t *exps;              /* currency exponents */
  struct arena *arena;             /* constants: set storage */
  int order_cur;                   /* -1: none */
  struct rpol_slot *lets;          /* [prog->nlets] */
  unsigned char *let_st;           /* 0 unread, 1 being read, 2 done */
  unsigned char *out_st;           /* same, per output */
  const struct rpol_slot *params;  /* the innermost fn's arguments */
  struct span err;                 /* where the first error happened */
};

static int ev(struct ictx *c, const struct expr *e, struct rpol_slot *o);

static int fail(struct ictx *c, int code, struct span at)
{
  c->err = at;
  return code;
}

static void put(struct rpol_slot *o, int kind, int64_t v)
{
  memset(o, 0, sizeof *o);
  o->present = 1;
  o->kind = (uint8_t)kind;
  o->v = v;
}

static int kind_of(const struct type *t)
{
  switch (t ? t->kind : TY_ERROR) {
  case TY_BOOL: return RPOL_K_BOOL;
  case TY_MONEY: return RPOL_K_MONEY;
  case TY_PERCENT: return RPOL_K_PERCENT;
  case TY_DATE: return RPOL_K_DATE;
  case TY_DURATION: return RPOL_K_DURATION;
  case TY_STRING: return RPOL_K_STRING;
  case TY_COUNTRY: return RPOL_K_COUNTRY;
  case TY_CURRENCY: return RPOL_K_CURRENCY;
  case TY_ENUM: case TY_VERDICT: return RPOL_K_ENUM;
  case TY_SET: case TY_EMPTYSET: return RPOL_K_SET;
  default: return RPOL_K_INT;
  }
}

static struct rpol_str str_of(const struct rpol_slot *s)
{
  struct rpol_str r = { s->p ? (const char *)s->p : "", s->n };
  return r;
}

/* Storage for a set built during evaluation: the arena for constants,
 * else the result's scratch area (NULL when it runs out).  Running out
 * leaves scratch_used above scratch_cap, so that the runtime can tell this
 * `overflow` from an arithmetic one (compiled code does the same). */
static void *ctx_alloc(struct ictx *c, size_t n)
{
  if (c->arena)
    return arena_alloc(c->arena, n ? n : 1);
  struct rpol_result *r = c->res;
  int64_t at = (r->scratch_used + 15) & ~(int64_t)15;
  if (!r->scratch || at < 0 || (int64_t)n > r->scratch_cap - at) {
    r->scratch_used = r->scratch_cap + 1;
    return NULL;
  }
  r->scratch_used = at + (int64_t)n;
  return r->scratch + at;
}

/* ------------------------------------------------------------------ sets */

static size_t elem_size(int ek)
{
  if (ek == RPOL_K_STRING)
    return sizeof(struct rpol_str);
  if (ek == RPOL_K_MONEY)
    return sizeof(struct rpol_money);
  return sizeof(int64_t);
}

static int elem_cmp(int ek, const void *a, const void *b)
{
  if (ek == RPOL_K_STRING)
    return rpol_str_cmp(a, b);
  if (ek == RPOL_K_MONEY) {
    const struct rpol_money *x = a, *y = b;
    if (x->cur != y->cur)
      return x->cur < y->cur ? -1 : 1;
    return x->amount < y->amount ? -1 : x->amount > y->amount;
  }
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Sorts and deduplicates n elements in place; returns the new count.
 * Shell sort: no recursion and no allocation (qsort may call malloc). */
static int64_t set_normalise(int ek, unsigned char *p, int64_t n)
{
  size_t sz = elem_size(ek);
  unsigned char tmp[sizeof(struct rpol_money) > sizeof(struct rpol_str)
                        ? sizeof(struct rpol_money)
                        : sizeof(struct rpol_str)];
  int64_t gap = 1;
  while (gap < n / 3)
    gap = 3 * gap + 1;
  for (; gap > 0; gap /= 3)
    for (int64_t i = gap; i < n; i++) {
      memcpy(tmp, p + i * sz, sz);
      int64_t j = i;
      while (j >= gap && elem_cmp(ek, p + (j - gap) * sz, tmp) > 0) {
        memcpy(p + j * sz, p + (j - gap) * sz, sz);
        j -= gap;
      }
      memcpy(p + j * sz, tmp, sz);
    }
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++)
    if (k == 0 || elem_cmp(ek, p + (k - 1) * sz, p + i * sz) != 0) {
      if (k != i)
        memcpy(p + k * sz, p + i * sz, sz);
      k++;
    }
  return k;
}

static void elem_store(int ek, unsigned char *dst, const struct rpol_slot *v)
{
  if (ek == RPOL_K_STRING) {
    struct rpol_str s = str_of(v);
    memcpy(dst, &s, sizeof s);
  } else if (ek == RPOL_K_MONEY) {
    struct rpol_money m = { v->v, v->cur, 0 };
    memcpy(dst, &m, sizeof m);
  } else {
    memcpy(dst, &v->v, sizeof v->v);
  }
}

/* Whether two scalar values of one kind are equal (money: amount and
 * currency, which is what `in` compares). */
static int scalar_eq(const struct rpol_slot *a, const struct rpol_slot *b)
{
  if (a->kind == RPOL_K_STRING) {
    struct rpol_str x = str_of(a), y = str_of(b);
    return rpol_str_eq(&x, &y);
  }
  if (a->kind == RPOL_K_MONEY)
    return a->v == b->v && a->cur == b->cur;
  return a->v == b->v;
}

static int set_has(const struct rpol_slot *s, const struct rpol_slot *x)
{
  if (s->n <= 0)
    return 0;
  if (s->elem_kind == RPOL_K_STRING) {
    struct rpol_str k = str_of(x);
    return rpol_set_has_str(s->p, s->n, &k);
  }
  if (s->elem_kind == RPOL_K_MONEY)
    return rpol_set_has_money(s->p, s->n, x->v, x->cur);
  return rpol_set_has_int(s->p, s->n, x->v);
}

static int set_eq(const struct rpol_slot *a, const struct rpol_slot *b)
{
  if (a->n != b->n)
    return 0;
  size_t sz = elem_size(a->elem_kind);
  for (int64_t i = 0; i < a->n; i++)
    if (elem_cmp(a->elem_kind, (const unsigned char *)a->p + i * sz,
                 (const unsigned char *)b->p + i * sz) != 0)
      return 0;
  return 1;
}

static int set_op(struct ictx *c, int add, int ek, const struct rpol_slot *a,
                  const struct rpol_slot *b, struct rpol_slot *o,
                  struct span at)
{
  int64_t cap = add ? a->n + b->n : a->n;
  void *dst = ctx_alloc(c, (size_t)cap * elem_size(ek));
  if (!dst)
    return fail(c, RPOL_E_OVERFLOW, at);
  int64_t n;
  if (ek == RPOL_K_STRING)
    n = add ? rpol_set_union_str(a->p, a->n, b->p, b->n, dst)
            : rpol_set_diff_str(a->p, a->n, b->p, b->n, dst);
  else if (ek == RPOL_K_MONEY)
    n = add ? rpol_set_union_money(a->p, a->n, b->p, b->n, dst)
            : rpol_set_diff_money(a->p, a->n, b->p, b->n, dst);
  else
    n = add ? rpol_set_union_int(a->p, a->n, b->p, b->n, dst)
            : rpol_set_diff_int(a->p, a->n, b->p, b->n, dst);
  put(o, RPOL_K_SET, 0);
  o->elem_kind = (uint8_t)ek;
  o->p = dst;
  o->n = n;
  return 0;
}

static uint64_t ptr_hash(const void *p)
{
  uint64_t k = (uint64_t)(uintptr_t)p;
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  return k ^ (k >> 33);
}

/* A constant set computed at setup: regions such as EEA (= EU + {...})
 * would otherwise be rebuilt in scratch on every read. */
static const struct rpol_slot *cached(const struct ictx *c, const void *key)
{
  const struct interp_prep *pp = c->host ? c->host->prep : NULL;
  if (!pp || !pp->cap)
    return NULL;
  uint64_t h = ptr_hash(key) & (uint64_t)(pp->cap - 1);
  while (pp->tab[h].key) {
    if (pp->tab[h].key == key)
      return &pp->tab[h].val;
    h = (h + 1) & (uint64_t)(pp->cap - 1);
  }
  return NULL;
}

/* ------------------------------------------------------- built sets
 *
 * A set expression is a tree of set literals, unions and differences
 * (through the initialisers of named constants and regions); anything else
 * in it (an input, a let, an `if`, a call) is an operand.  It is evaluated
 * in two steps, as compiled code does: first every operand and every
 * literal element, left to right, then the sets are built bottom-up, left
 * before right, each one in the decision's scratch area.  So an error in an
 * operand comes before running out of scratch space for the tree, and
 * running out is reported at the first literal or operator whose set does
 * not fit, in that order.  A subtree whose value is known when the policy
 * is compiled (literal elements, see tree_const) is never built.  Since
 * scratch space is never given back during a decision, both engines then
 * use the same bytes in the same order and run out at the same place. */

#define TREE_STACK_LEAVES 2048   /* operands kept on the C stack */

enum { TN_LEAF, TN_LIST, TN_UNION, TN_DIFF };

/* The tree node e stands for: *n is e with expansions and named
 * constants followed. */
static int tree_node(const struct expr *e, const struct expr **n)
{
  for (;;) {
    if (e->expansion) {
      e = e->expansion;
      continue;
    }
    if ((e->kind == EX_NAME || e->kind == EX_QUALIFIED) &&
        (e->ref.kind == REF_CONST || e->ref.kind == REF_REGION) &&
        e->ref.decl && e->ref.decl->u.value.init) {
      e = e->ref.decl->u.value.init;
      continue;
    }
    break;
  }
  *n = e;
  if (e->kind == EX_SET)
    return TN_LIST;
  if (e->kind == EX_BINARY && e->u.bin.op == BIN_ADD)
    return TN_UNION;
  if (e->kind == EX_BINARY && e->u.bin.op == BIN_SUB)
    return TN_DIFF;
  return TN_LEAF;
}

/* Whether a literal element's value is fixed when the policy is compiled:
 * literals (but not an untyped number read as money, which takes the
 * order currency's decimals), members, countries, currencies, constants of
 * those, `not` and comparisons of such values.  For strings only a string
 * literal is.  This is what the code generator can fold. */
static int elem_const(const struct expr *x, int ek)
{
  while (x->expansion)
    x = x->expansion;
  if (ek == RPOL_K_STRING)
    return x->kind == EX_STRING;
  switch (x->kind) {
  case EX_INT: case EX_DEC:
    return ek != RPOL_K_MONEY && !x->from_number &&
           !(x->type && x->type->kind == TY_MONEY);
  case EX_MONEY: case EX_PERCENT: case EX_DURATION: case EX_DATE:
  case EX_BOOL:
    return 1;
  case EX_NAME: case EX_QUALIFIED:
    switch (x->ref.kind) {
    case REF_MEMBER: case REF_COUNTRY: case REF_CURRENCY:
      return 1;
    case REF_CONST:
      return x->ref.decl && x->ref.decl->u.value.init &&
             elem_const(x->ref.decl->u.value.init, ek);
    default:
      return 0;
    }
  case EX_UNARY:
    return x->u.unary.op == UN_NOT &&
           elem_const(x->u.unary.operand, RPOL_K_BOOL);
  case EX_CALL:
    if (x->ref.kind != REF_BUILTIN)
      return 0;
    if ((x->ref.builtin == BI_MIN || x->ref.builtin == BI_MAX) &&
        x->u.call.nargs == 2)
      return elem_const(x->u.call.args[0], ek) &&
             elem_const(x->u.call.args[1], ek);
    return x->ref.builtin == BI_TO_DAYS && x->u.call.nargs == 1 &&
           elem_const(x->u.call.args[0], RPOL_K_DURATION);
  case EX_BINARY: {
    const struct type *t = x->u.bin.lhs->type;
    int k = t && t->kind != TY_NUMBER ? kind_of(t)
                                      : kind_of(x->u.bin.rhs->type);
    if (x->u.bin.op < BIN_EQ || x->u.bin.op > BIN_GE ||
        k == RPOL_K_STRING || k == RPOL_K_SET)
      return 0;
    return elem_const(x->u.bin.lhs, k) && elem_const(x->u.bin.rhs, k);
  }
  default:
    return 0;
  }
}

static int tree_const(const struct expr *e, int ek)
{
  const struct expr *n;
  int kind = tree_node(e, &n);
  if (!n->is_const)
    return 0;          /* (what follows implies is_const) */
  switch (kind) {
  case TN_LIST:
    for (int i = 0; i < n->u.set.n; i++)
      if (!elem_const(n->u.set.elems[i], ek))
        return 0;
    return 1;
  case TN_UNION: case TN_DIFF:
    return tree_const(n->u.bin.lhs, ek) && tree_const(n->u.bin.rhs, ek);
  default:
    return 0;
  }
}

/* The value of a constant subtree, computed when the program was
 * prepared; NULL if it was not (then it is built like any other). */
static const struct rpol_slot *tree_cached(const struct ictx *c,
                                           const struct expr *e, int ek)
{
  const struct expr *n;
  if (tree_node(e, &n) == TN_LEAF || !tree_const(n, ek))
    return NULL;
  return cached(c, n);
}

/* Operands and literal elements of the tree, once evaluated. */
static int64_t tree_leaves(const struct ictx *c, const struct expr *e,
                           int ek)
{
  const struct expr *n;
  int k = tree_node(e, &n);
  if (k == TN_LEAF || tree_cached(c, n, ek))
    return 1;
  if (k == TN_LIST)
    return n->u.set.n;
  return tree_leaves(c, n->u.bin.lhs, ek) + tree_leaves(c, n->u.bin.rhs, ek);
}

/* Step one: the operands and elements into buf[*k...], left to right. */
static int tree_eval(struct ictx *c, const struct expr *e, int ek,
                     struct rpol_slot *buf, int64_t *k)
{
  const struct expr *n;
  int rc, kind = tree_node(e, &n);
  const struct rpol_slot *cv = kind == TN_LEAF ? NULL
                                               : tree_cached(c, n, ek);
  if (cv) {
    buf[(*k)++] = *cv;
    return 0;
  }
  switch (kind) {
  case TN_LIST:
    for (int i = 0; i < n->u.set.n; i++)
      if ((rc = ev(c, n->u.set.elems[i], &buf[(*k)++])) != 0)
        return rc;
    return 0;
  case TN_UNION: case TN_DIFF:
    if ((rc = tree_eval(c, n->u.bin.lhs, ek, buf, k)) != 0)
      return rc;
    return tree_eval(c, n->u.bin.rhs, ek, buf, k);
  default:
    return ev(c, n, &buf[(*k)++]);
  }
}

/* Step two: the sets, bottom-up, from the values of step one. */
static int tree_build(struct ictx *c, const struct expr *e, int ek,
                      const struct rpol_slot *buf, int64_t *k,
                      struct rpol_slot *o)
{
  const struct expr *n;
  int rc, kind = tree_node(e, &n);
  if (kind == TN_LEAF || tree_cached(c, n, ek)) {
    *o = buf[(*k)++];
    return 0;
  }
  if (kind == TN_LIST) {
    size_t sz = elem_size(ek);
    int64_t cnt = n->u.set.n;
    unsigned char *p = ctx_alloc(c, (size_t)cnt * sz);
    if (!p)
      return fail(c, RPOL_E_OVERFLOW, n->span);
    for (int64_t i = 0; i < cnt; i++)
      elem_store(ek, p + i * sz, &buf[(*k)++]);
    put(o, RPOL_K_SET, 0);
    o->elem_kind = (uint8_t)ek;
    o->p = p;
    o->n = set_normalise(ek, p, cnt);
    return 0;
  }
  struct rpol_slot a, b;
  if ((rc = tree_build(c, n->u.bin.lhs, ek, buf, k, &a)) != 0 ||
      (rc = tree_build(c, n->u.bin.rhs, ek, buf, k, &b)) != 0)
    return rc;
  return set_op(c, kind == TN_UNION, ek, &a, &b, o, n->u.bin.op_span);
}

static int ev_settree_buf(struct ictx *c, const struct expr *e, int ek,
                          struct rpol_slot *buf, struct rpol_slot *o)
{
  int64_t k = 0;
  int rc = tree_eval(c, e, ek, buf, &k);
  if (rc)
    return rc;
  k = 0;
  return tree_build(c, e, ek, buf, &k, o);
}

/* A set literal, union or difference (e is one; see above). */
static int ev_settree(struct ictx *c, const struct expr *e,
                      struct rpol_slot *o)
{
  int ek = e->type && e->type->kind == TY_SET ? kind_of(e->type->elem)
                                              : RPOL_K_INT;
  const struct rpol_slot *cv = tree_cached(c, e, ek);
  if (cv) {
    *o = *cv;
    return 0;
  }
  int64_t n = tree_leaves(c, e, ek);
  if (n <= TREE_STACK_LEAVES) {
    struct rpol_slot buf[n > 0 ? n : 1];
    return ev_settree_buf(c, e, ek, buf, o);
  }
  /* A set expression with thousands of operands (no real policy has
   * one): its operands do not fit on the stack.  The only allocation of
   * the interpreter during a decision; running out of memory for it is
   * reported as running out of scratch space for the set. */
  struct rpol_slot *buf = malloc((size_t)n * sizeof *buf);
  if (!buf)
    return fail(c, RPOL_E_OVERFLOW, e->span);
  int rc = ev_settree_buf(c, e, ek, buf, o);
  free(buf);
  return rc;
}

/* ---------------------------------------------------------- leaf values */

static int ev_number(struct ictx *c, const struct expr *e,
                     struct rpol_slot *o)
{
  struct decimal d = e->u.num;
  if (e->from_number || (e->type && e->type->kind == TY_MONEY)) {
    int exp = c->order_cur >= 0 && c->exps ? c->exps[c->order_cur] : -1;
    if (exp < 0)
      return fail(c, RPOL_E_INEXACT_AMOUNT, e->span);
    int64_t minor;
    int rc = rpol_number_to_minor(d.mant, d.scale, exp, &minor);
    if (rc)
      return fail(c, rc, e->span);
    put(o, RPOL_K_MONEY, minor);
    o->cur = c->order_cur;
    return 0;
  }
  /* An int: the checker lets only whole numbers get here, but `2.0` is
   * still written with a scale. */
  int64_t v = d.mant;
  for (int i = 0; i < d.scale; i++) {
    if (v % 10)
      return fail(c, RPOL_E_INEXACT_AMOUNT, e->span);
    v /= 10;
  }
  put(o, kind_of(e->type), v);
  return 0;
}

static int ev_percent(struct ictx *c, const struct expr *e,
                      struct rpol_slot *o)
{
  int64_t v = e->u.num.mant;
  for (int i = e->u.num.scale; i < 4; i++)
    if (rpol_mul(v, 10, &v))
      return fail(c, RPOL_E_OVERFLOW, e->span);
  put(o, RPOL_K_PERCENT, v);
  return 0;
}

static const struct rpol_slot *field_slot(const struct ictx *c,
                                          const struct decl *d)
{
  if (!c->in || !d || d->u.input.slot < 0 ||
      (c->prog && d->u.input.slot >= c->prog->ninputs))
    return NULL;
  const struct rpol_slot *s = &c->in[d->u.input.slot];
  return s->present ? s : NULL;
}

/* An input path: its value, its default when the line has none, else
 * missing_input at the path. */
static int ev_path(struct ictx *c, const struct expr *e, struct rpol_slot *o)
{
  const struct decl *d = e->ref.decl;
  const struct rpol_slot *s = field_slot(c, d);
  if (s) {
    *o = *s;
    return 0;
  }
  if (d && d->u.input.deflt && c->in)
    return ev(c, d->u.input.deflt, o);
  return fail(c, RPOL_E_MISSING_INPUT, e->span);
}

/* --------------------------------------------------------------- outputs */

static int eval_output(struct ictx *c, int i);

/* Coverage (only when a test runner asked for it).  A module's case
 * shared by two programs carries the id of the last program checked, and
 * prelude cases are not counted, so the id is verified. */
static void mark_reached(struct ictx *c, const struct case_ *k)
{
  const struct program *p = c->prog;
  if (k->id >= 0 && k->id < p->ncases && p->cases[k->id] == k) {
    c->host->reached[k->id] = 1;
    return;
  }
  for (int i = 0; i < p->ncases; i++)
    if (p->cases[i] == k)
      c->host->reached[i] = 1;
}

/* The first case whose condition holds: its value into o, the case into
 * *which.  Marks the case reached for coverage. */
static int eval_cases(struct ictx *c, struct case_ *const *cs, int n,
                      struct rpol_slot *o, const struct case_ **which)
{
  for (int i = 0; i < n; i++) {
    const struct case_ *k = cs[i];
    if (k->cond) {
      struct rpol_slot b;
      int rc = ev(c, k->cond, &b);
      if (rc)
        return rc;
      if (!b.v)
        continue;
    }
    if (c->host && c->host->reached)
      mark_reached(c, k);
    if (which)
      *which = k;
    return ev(c, k->value, o);
  }
  /* `otherwise` is mandatory, so a checked program never gets here. */
  memset(o, 0, sizeof *o);
  return 0;
}

static int is_std_money(const struct ictx *c, int i)
{
  return i >= OUT_RESTOCKING_FEE && i <= OUT_REFUND_AMOUNT &&
         i < c->prog->nstd_outputs;
}

/* Decides output i once per decision (memoised in res->out). */
static int eval_output(struct ictx *c, int i)
{
  if (c->out_st[i] == 2)
    return 0;
  const struct decl *od = c->prog->outputs[i];
  struct rpol_slot *dst = &c->res->out[i];
  struct span at;
  int rc;
  c->out_st[i] = 1;
  if (od->u.output.decided_by) {
    const struct decl *dd = od->u.output.decided_by;
    const struct case_ *w = NULL;
    rc = eval_cases(c, dd->u.decide.cases, dd->u.decide.ncases, dst, &w);
    if (rc)
      return rc;
    at = w ? w->kw_span : dd->span;
  } else if (od->u.output.deflt) {
    rc = ev(c, od->u.output.deflt, dst);
    if (rc)
      return rc;
    at = od->u.output.deflt->span;
  } else {
    /* An absent output nobody decided: not reported. */
    memset(dst, 0, sizeof *dst);
    c->out_st[i] = 2;
    return 0;
  }
  dst->present = 1;
  c->res->trace[i] = layout_loc(c->L, at);
  /* §6: standard money outputs are in the order currency.  The error is
   * located where the output got its value: the deciding case's keyword
   * (the value, for `decide X = V`), as in the trace. */
  if (is_std_money(c, i) && dst->cur != c->order_cur)
    return fail(c, RPOL_E_CURRENCY_MISMATCH, at);
  c->out_st[i] = 2;
  return 0;
}

/* ------------------------------------------------------------ references */

static int ev_ref(struct ictx *c, const struct expr *e, struct rpol_slot *o)
{
  const struct decl *d = e->ref.decl;
  switch (e->ref.kind) {
  case REF_PARAM:
    if (!c->params)
      return fail(c, RPOL_E_MISSING_INPUT, e->span);
    *o = c->params[e->ref.index];
    return 0;
  case REF_LET: {
    int k = d->u.value.index;
    if (!c->lets || k < 0 || k >= c->prog->nlets)
      return ev(c, d->u.value.init, o);
    if (c->let_st[k] != 2) {
      c->let_st[k] = 1;
      int rc = ev(c, d->u.value.init, &c->lets[k]);
      if (rc)
        return rc;
      c->let_st[k] = 2;
    }
    *o = c->lets[k];
    return 0;
  }
  case REF_CONST: case REF_REGION:
    /* A constant set is looked up by its initialiser (ev_settree). */
    return ev(c, d->u.value.init, o);
  case REF_OUTPUT: {
    if (!c->res)
      return fail(c, RPOL_E_MISSING_INPUT, e->span);
    int k = d->u.output.index;
    int rc = eval_output(c, k);
    if (rc)
      return rc;
    *o = c->res->out[k];
    return 0;
  }
  case REF_MEMBER:
    put(o, RPOL_K_ENUM, e->ref.index);
    return 0;
  case REF_COUNTRY:
    put(o, RPOL_K_COUNTRY, e->ref.index);
    return 0;
  case REF_CURRENCY:
    put(o, RPOL_K_CURRENCY, e->ref.index);
    return 0;
  case REF_FIELD:
    return ev_path(c, e, o);
  default:
    return fail(c, RPOL_E_MISSING_INPUT, e->span);
  }
}

/* ------------------------------------------------------------ operators */

static int cmp_values(const struct rpol_slot *a, const struct rpol_slot *b)
{
  if (a->kind == RPOL_K_STRING) {
    struct rpol_str x = str_of(a), y = str_of(b);
    int r = rpol_str_cmp(&x, &y);
    return r < 0 ? -1 : r > 0;
  }
  return a->v < b->v ? -1 : a->v > b->v;
}

static int ev_compare(struct ictx *c, const struct expr *e,
                      const struct rpol_slot *a, const struct rpol_slot *b,
                      struct rpol_slot *o)
{
  enum binary_op op = e->u.bin.op;
  int r;
  if (a->kind == RPOL_K_MONEY && a->cur != b->cur)
    return fail(c, RPOL_E_CURRENCY_MISMATCH, e->u.bin.op_span);
  if (a->kind == RPOL_K_SET) {
    int eq = set_eq(a, b);
    put(o, RPOL_K_BOOL, op == BIN_EQ ? eq : !eq);
    return 0;
  }
  r = cmp_values(a, b);
  switch (op) {
  case BIN_EQ: r = r == 0; break;
  case BIN_NE: r = r != 0; break;
  case BIN_LT: r = r < 0; break;
  case BIN_LE: r = r <= 0; break;
  case BIN_GT: r = r > 0; break;
  default: r = r >= 0; break;
  }
  put(o, RPOL_K_BOOL, r);
  return 0;
}

static int ev_binary(struct ictx *c, const struct expr *e,
                     struct rpol_slot *o)
{
  enum binary_op op = e->u.bin.op;
  struct span at = e->u.bin.op_span;
  struct rpol_slot a, b;
  int rc = ev(c, e->u.bin.lhs, &a);
  if (rc)
    return rc;
  if (op == BIN_AND || op == BIN_OR) {
    if ((op == BIN_AND) != (a.v != 0)) {
      put(o, RPOL_K_BOOL, op == BIN_OR);
      return 0;
    }
    rc = ev(c, e->u.bin.rhs, &b);
    if (rc)
      return rc;
    put(o, RPOL_K_BOOL, b.v != 0);
    return 0;
  }
  rc = ev(c, e->u.bin.rhs, &b);
  if (rc)
    return rc;
  if (op >= BIN_EQ && op <= BIN_GE)
    return ev_compare(c, e, &a, &b, o);

  int64_t v = 0;
  int kind = a.kind, cur = a.cur;
  switch (op) {
  case BIN_ADD: case BIN_SUB:
    if (a.kind == RPOL_K_SET)
      return set_op(c, op == BIN_ADD, a.n ? a.elem_kind : b.elem_kind,
                    &a, &b, o, at);
    if (a.kind == RPOL_K_MONEY && a.cur != b.cur)
      return fail(c, RPOL_E_CURRENCY_MISMATCH, at);
    if (a.kind == RPOL_K_DATE && b.kind == RPOL_K_DATE) {
      rc = rpol_sub(a.v, b.v, &v);         /* date - date: duration */
      kind = RPOL_K_DURATION;
    } else if (a.kind == RPOL_K_DATE || b.kind == RPOL_K_DATE) {
      int64_t date = a.kind == RPOL_K_DATE ? a.v : b.v;
      int64_t days = a.kind == RPOL_K_DATE ? b.v : a.v;
      kind = RPOL_K_DATE;
      rc = op == BIN_SUB ? rpol_neg(days, &days) : 0;
      if (!rc)
        rc = rpol_date_add(date, days, &v);
    } else {
      rc = op == BIN_ADD ? rpol_add(a.v, b.v, &v) : rpol_sub(a.v, b.v, &v);
    }
    break;
  case BIN_MUL:
    /* int * X and X * int: the result has the other operand's kind. */
    if (a.kind == RPOL_K_INT) {
      kind = b.kind;
      cur = b.cur;
    }
    rc = rpol_mul(a.v, b.v, &v);
    break;
  case BIN_DIV:
    rc = rpol_div(a.v, b.v, &v);
    break;
  default:
    break;
  }
  if (rc)
    return fail(c, rc, at);
  put(o, kind, v);
  o->cur = cur;
  return 0;
}

/* Whether x is in the set expression se.  A set tree (see ev_settree)
 * is never built for a membership test: membership in A + B is membership
 * in A or in B, in A - B membership in A and not in B, with both sides
 * evaluated left to right (no short circuit), as compiled code does.  A
 * set literal is tested element by element, every element still
 * evaluated. */
static int member(struct ictx *c, const struct expr *se,
                  const struct rpol_slot *x, int *has)
{
  const struct expr *n;
  int rc, kind = tree_node(se, &n);
  int ek = n->type && n->type->kind == TY_SET ? kind_of(n->type->elem)
                                              : RPOL_K_INT;
  const struct rpol_slot *cv = kind == TN_LEAF ? NULL
                                               : tree_cached(c, n, ek);
  if (cv) {
    *has = set_has(cv, x);
    return 0;
  }
  if (kind == TN_LIST) {
    *has = 0;
    for (int i = 0; i < n->u.set.n; i++) {
      struct rpol_slot v;
      if ((rc = ev(c, n->u.set.elems[i], &v)) != 0)
        return rc;
      if (!*has && v.kind == x->kind && scalar_eq(x, &v))
        *has = 1;
    }
    return 0;
  }
  if (kind == TN_UNION || kind == TN_DIFF) {
    int l, r;
    if ((rc = member(c, n->u.bin.lhs, x, &l)) != 0 ||
        (rc = member(c, n->u.bin.rhs, x, &r)) != 0)
      return rc;
    *has = kind == TN_UNION ? l || r : l && !r;
    return 0;
  }
  struct rpol_slot s;
  if ((rc = ev(c, n, &s)) != 0)
    return rc;
  *has = set_has(&s, x);
  return 0;
}

static int ev_in(struct ictx *c, const struct expr *e, struct rpol_slot *o)
{
  struct rpol_slot x;
  int has = 0, rc = ev(c, e->u.in.elem, &x);
  if (rc || (rc = member(c, e->u.in.set, &x, &has)) != 0)
    return rc;
  put(o, RPOL_K_BOOL, e->u.in.negated ? !has : has);
  return 0;
}

/* ------------------------------------------------------------------ calls */

static int ev_builtin(struct ictx *c, const struct expr *e,
                      struct rpol_slot *o)
{
  struct span at = e->u.call.name_span;
  struct rpol_slot a[2];
  int rc, n = e->u.call.nargs;
  if (e->ref.builtin == BI_PRESENT) {
    const struct expr *p = n > 0 ? e->u.call.args[0] : NULL;
    const struct decl *d = p ? p->ref.decl : NULL;
    /* Fields with a default are never missing (§4). */
    put(o, RPOL_K_BOOL, field_slot(c, d) != NULL ||
                            (d && d->u.input.deflt && c->in));
    return 0;
  }
  if (n > 2)
    n = 2;
  for (int i = 0; i < n; i++)
    if ((rc = ev(c, e->u.call.args[i], &a[i])) != 0)
      return rc;
  int64_t v = 0;
  switch (e->ref.builtin) {
  case BI_MIN: case BI_MAX: {
    if (a[0].kind == RPOL_K_MONEY && a[0].cur != a[1].cur)
      return fail(c, RPOL_E_CURRENCY_MISMATCH, at);
    int first = e->ref.builtin == BI_MIN ? a[0].v <= a[1].v
                                         : a[0].v >= a[1].v;
    *o = first ? a[0] : a[1];
    return 0;
  }
  case BI_ABS:
    *o = a[0];
    if (a[0].v < 0 && (rc = rpol_neg(a[0].v, &o->v)) != 0)
      return fail(c, rc, at);
    return 0;
  case BI_STARTS_WITH: case BI_ENDS_WITH: case BI_CONTAINS: {
    struct rpol_str s = str_of(&a[0]), p = str_of(&a[1]);
    int r = e->ref.builtin == BI_STARTS_WITH ? rpol_starts_with(&s, &p)
            : e->ref.builtin == BI_ENDS_WITH ? rpol_ends_with(&s, &p)
                                             : rpol_contains(&s, &p);
    put(o, RPOL_K_BOOL, r != 0);
    return 0;
  }
  case BI_TO_DAYS:
    put(o, RPOL_K_INT, a[0].v);
    return 0;
  case BI_ROUND:
    if (a[0].cur != a[1].cur)
      return fail(c, RPOL_E_CURRENCY_MISMATCH, at);
    if ((rc = rpol_round_to(a[0].v, a[1].v, &v)) != 0)
      return fail(c, rc, at);
    *o = a[0];
    o->v = v;
    return 0;
  case BI_WEEKDAY:
    put(o, RPOL_K_INT, rpol_weekday(a[0].v));
    return 0;
  case BI_ADD_BUSINESS_DAYS:
    if ((rc = rpol_add_business_days(a[0].v, a[1].v, &v)) != 0)
      return fail(c, rc, at);
    put(o, RPOL_K_DATE, v);
    return 0;
  default:
    return fail(c, RPOL_E_UNBOUND_EXTERN, at);
  }
}

static int ev_fn(struct ictx *c, const struct expr *e, struct rpol_slot *o)
{
  const struct decl *f = e->ref.decl;
  int n = f->u.fn.nparams;
  struct rpol_slot frame[n > 0 ? n : 1];
  for (int i = 0; i < n && i < e->u.call.nargs; i++) {
    int rc = ev(c, e->u.call.args[i], &frame[i]);
    if (rc)
      return rc;
  }
  const struct rpol_slot *saved = c->params;
  c->params = frame;
  int rc = f->u.fn.body ? ev(c, f->u.fn.body, o)
                        : eval_cases(c, f->u.fn.cases, f->u.fn.ncases, o,
                                     NULL);
  c->params = saved;
  return rc;
}

static int ev_extern(struct ictx *c, const struct expr *e,
                     struct rpol_slot *o)
{
  const struct decl *f = e->ref.decl;
  struct span at = e->u.call.name_span;
  int n = f->u.fn.nparams;
  if (n > FFI_SIG_MAX_PARAMS || n > e->u.call.nargs)
    return fail(c, RPOL_E_UNBOUND_EXTERN, at);
  struct rpol_slot args[FFI_SIG_MAX_PARAMS];
  for (int i = 0; i < n; i++) {
    int rc = ev(c, e->u.call.args[i], &args[i]);
    if (rc)
      return rc;
  }
  if (!c->env || !c->env->externs)
    return fail(c, RPOL_E_UNBOUND_EXTERN, at);
  const struct interp_prep *pp = c->host ? c->host->prep : NULL;
  int k = f->u.fn.index;
  int id = pp && k >= 0 && k < c->prog->nexterns
               ? pp->ext_ids[k]
               : (c->L ? layout_extern(c->L, f->name) : -1);
  rpol_extern_ptr fp = id >= 0 ? c->env->externs[id] : NULL;
  if (!fp)
    return fail(c, RPOL_E_UNBOUND_EXTERN, at);
  int rc;
  if (pp && k >= 0 && k < c->prog->nexterns) {
    rc = ffi_sig_call(&pp->sigs[k], fp, args, o);
  } else {
    /* Unprepared host: ffi_prep_cif fills a caller-owned cif, so this
     * still allocates nothing. */
    struct ffi_sig sig;
    ffi_sig_init(&sig, f);
    rc = ffi_sig_call(&sig, fp, args, o);
  }
  return rc ? fail(c, rc, at) : 0;
}

static int ev_call(struct ictx *c, const struct expr *e, struct rpol_slot *o)
{
  switch (e->ref.kind) {
  case REF_BUILTIN: return ev_builtin(c, e, o);
  case REF_FN: return ev_fn(c, e, o);
  case REF_EXTERN: return ev_extern(c, e, o);
  default: return fail(c, RPOL_E_UNBOUND_EXTERN, e->u.call.name_span);
  }
}

/* ------------------------------------------------------------ dispatch */

static int ev(struct ictx *c, const struct expr *e, struct rpol_slot *o)
{
  int rc;
  struct rpol_slot a, b;
  if (e->expansion)
    return ev(c, e->expansion, o);
  if (e->kind == EX_SET ||
      (e->kind == EX_BINARY &&
       (e->u.bin.op == BIN_ADD || e->u.bin.op == BIN_SUB) && e->type &&
       (e->type->kind == TY_SET || e->type->kind == TY_EMPTYSET)))
    return ev_settree(c, e, o);
  switch (e->kind) {
  case EX_INT: case EX_DEC:
    return ev_number(c, e, o);
  case EX_MONEY:
    put(o, RPOL_K_MONEY, e->u.money.minor);
    o->cur = e->u.money.cur;
    return 0;
  case EX_PERCENT:
    return ev_percent(c, e, o);
  case EX_DURATION:
    put(o, RPOL_K_DURATION, e->u.days);
    return 0;
  case EX_DATE:
    put(o, RPOL_K_DATE, e->u.days);
    return 0;
  case EX_STRING:
    put(o, RPOL_K_STRING, 0);
    /* By length: a literal may hold U+0000 (§1). */
    o->p = e->u.str ? e->u.str : "";
    o->n = e->u.str ? e->str_len : 0;
    return 0;
  case EX_BOOL:
    put(o, RPOL_K_BOOL, e->u.b != 0);
    return 0;
  case EX_VERDICT:
    /* Verdicts travel as an enum slot: v is the kind, p the code. */
    put(o, RPOL_K_ENUM, e->u.verdict.kind);
    o->p = e->u.verdict.code;
    return 0;
  case EX_NAME: case EX_QUALIFIED:
    return ev_ref(c, e, o);
  case EX_PATH:
    return ev_path(c, e, o);
  case EX_UNARY:
    if ((rc = ev(c, e->u.unary.operand, &a)) != 0)
      return rc;
    *o = a;
    if (e->u.unary.op == UN_NOT) {
      o->v = !a.v;
      return 0;
    }
    if ((rc = rpol_neg(a.v, &o->v)) != 0)
      return fail(c, rc, e->span);
    return 0;
  case EX_BINARY:
    return ev_binary(c, e, o);
  case EX_IN:
    return ev_in(c, e, o);
  case EX_OF: {
    int64_t v;
    if ((rc = ev(c, e->u.bin.lhs, &a)) != 0 ||
        (rc = ev(c, e->u.bin.rhs, &b)) != 0)
      return rc;
    if ((rc = rpol_percent_of(a.v, b.v, &v)) != 0)
      return fail(c, rc, e->u.bin.op_span);
    *o = b;
    o->v = v;
    return 0;
  }
  case EX_COALESCE: {
    const struct expr *p = e->u.bin.lhs;
    if (p->kind == EX_PATH) {
      const struct rpol_slot *s = field_slot(c, p->ref.decl);
      if (s) {
        *o = *s;
        return 0;
      }
      if (p->ref.decl && p->ref.decl->u.input.deflt && c->in)
        return ev(c, p->ref.decl->u.input.deflt, o);
      return ev(c, e->u.bin.rhs, o);
    }
    return ev(c, p, o);
  }
  case EX_IF:
    if ((rc = ev(c, e->u.cond.cond, &a)) != 0)
      return rc;
    return ev(c, a.v ? e->u.cond.then : e->u.cond.els, o);
  case EX_CALL:
    return ev_call(c, e, o);
  case EX_SET:
    return ev_settree(c, e, o);
  }
  return fail(c, RPOL_E_MISSING_INPUT, e->span);
}

/* ----------------------------------------------------------- entry points */

static int find_cur_slot(const struct program *p)
{
  for (int i = 0; i < p->ninputs; i++)
    if (strcmp(p->inputs[i]->u.input.path, "order.currency") == 0)
      return p->inputs[i]->u.input.slot;
  return -1;
}

static int eval_host(const struct interp_host *h, const struct rpol_slot *in,
                     struct rpol_result *res, const struct rpol_env *env)
{
  const struct program *p = h->prog;
  int nl = p->nlets > 0 ? p->nlets : 1;
  int no = p->noutputs > 0 ? p->noutputs : 1;
  struct rpol_slot lets[nl];
  unsigned char let_st[nl], out_st[no];
  struct ictx c;
  memset(&c, 0, sizeof c);
  memset(let_st, 0, sizeof let_st);
  memset(out_st, 0, sizeof out_st);
  c.prog = p;
  c.L = h->layout;
  c.host = h;
  c.in = in;
  c.res = res;
  c.env = env;
  c.exps = env->cur_exponent;
  c.lets = lets;
  c.let_st = let_st;
  c.out_st = out_st;
  int cs = h->prep ? h->prep->cur_slot : find_cur_slot(p);
  c.order_cur = cs >= 0 && in[cs].present ? (int)in[cs].v : -1;

  res->code = RPOL_DECIDED;
  res->err_loc = -1;
  res->policy = h->policy_index;
  res->verdict = VERDICT_ALLOW;
  res->reason = -1;
  for (int i = 0; i < p->noutputs; i++) {
    res->out[i].present = 0;
    res->trace[i] = -1;
  }

  int rc = eval_output(&c, OUT_ELIGIBLE);
  if (rc)
    goto error;
  const struct rpol_slot *el = &res->out[OUT_ELIGIBLE];
  res->verdict = (int32_t)el->v;
  res->reason = el->p && c.L ? layout_code(c.L, el->p) : -1;
  if (res->verdict == VERDICT_DENY) {
    /* Nothing that eligible read is reported (§6). */
    for (int i = 1; i < p->noutputs; i++) {
      res->out[i].present = 0;
      res->trace[i] = -1;
    }
    return res->code;
  }
  for (int i = 1; i < p->noutputs; i++)
    if ((rc = eval_output(&c, i)) != 0)
      goto error;
  /* shipping_refund and duties_refund are reported only when the policy
   * decides them (§12); their defaults still fed refund_amount. */
  for (int i = OUT_SHIPPING_REFUND; i <= OUT_DUTIES_REFUND; i++)
    if (i < p->noutputs && !p->outputs[i]->u.output.decided_by) {
      res->out[i].present = 0;
      res->trace[i] = -1;
    }
  return res->code;

error:
  res->code = rc;
  res->err_loc = c.L ? layout_loc(c.L, c.err) : -1;
  for (int i = 0; i < p->noutputs; i++) {
    res->out[i].present = 0;
    res->trace[i] = -1;
  }
  return rc;
}

int interp_eval(const struct rpol_slot *in, struct rpol_result *res,
                const struct rpol_env *env)
{
  if (!env || !env->host) {
    /* An interpreter artifact without its program: nothing to decide. */
    res->code = RPOL_E_NO_POLICY;
    res->err_loc = -1;
    return res->code;
  }
  return eval_host(env->host, in, res, env);
}

static void cache_put(struct interp_prep *pp, const void *key,
                      const struct expr *init)
{
  struct rpol_slot v;
  if (interp_const(&pp->arena, init, -1, NULL, &v, NULL) != 0 ||
      v.kind != RPOL_K_SET)
    return;          /* e.g. money sets that need the order currency */
  if (2 * (pp->n + 1) > pp->cap) {
    int cap = pp->cap ? 2 * pp->cap : 64;
    struct cache_ent *t = arena_alloc(&pp->arena, sizeof *t * (size_t)cap);
    for (int i = 0; i < pp->cap; i++) {
      if (!pp->tab[i].key)
        continue;
      uint64_t h = ptr_hash(pp->tab[i].key) & (uint64_t)(cap - 1);
      while (t[h].key)
        h = (h + 1) & (uint64_t)(cap - 1);
      t[h] = pp->tab[i];
    }
    pp->tab = t;
    pp->cap = cap;
  }
  uint64_t h = ptr_hash(key) & (uint64_t)(pp->cap - 1);
  while (pp->tab[h].key) {
    if (pp->tab[h].key == key)
      return;
    h = (h + 1) & (uint64_t)(pp->cap - 1);
  }
  pp->tab[h].key = key;
  pp->tab[h].val = v;
  pp->n++;
}

static void cache_expr(struct interp_prep *pp, const struct expr *e)
{
  if (!e)
    return;
  if (e->expansion)
    cache_expr(pp, e->expansion);
  /* Subtrees too: a constant literal inside a constant union is used on
   * its own when the union is not (see tree_const). */
  if (e->is_const && (e->kind == EX_SET || e->kind == EX_BINARY) &&
      e->type && e->type->kind == TY_SET)
    cache_put(pp, e, e);
  switch (e->kind) {
  case EX_UNARY: cache_expr(pp, e->u.unary.operand); break;
  case EX_BINARY: case EX_OF: case EX_COALESCE:
    cache_expr(pp, e->u.bin.lhs);
    cache_expr(pp, e->u.bin.rhs);
    break;
  case EX_IN:
    cache_expr(pp, e->u.in.elem);
    cache_expr(pp, e->u.in.set);
    break;
  case EX_IF:
    cache_expr(pp, e->u.cond.cond);
    cache_expr(pp, e->u.cond.then);
    cache_expr(pp, e->u.cond.els);
    break;
  case EX_CALL:
    for (int i = 0; i < e->u.call.nargs; i++)
      cache_expr(pp, e->u.call.args[i]);
    break;
  case EX_SET:
    for (int i = 0; i < e->u.set.n; i++)
      cache_expr(pp, e->u.set.elems[i]);
    break;
  default:
    break;
  }
}

static void cache_cases(struct interp_prep *pp, struct case_ *const *cs,
                        int n)
{
  for (int i = 0; i < n; i++) {
    cache_expr(pp, cs[i]->cond);
    cache_expr(pp, cs[i]->value);
  }
}

static void cache_program(struct interp_prep *pp, const struct program *p)
{
  for (int f = 0; f < p->nfiles; f++)
    for (int i = 0; i < p->files[f]->ndecls; i++) {
      const struct decl *d = p->files[f]->decls[i];
      switch (d->kind) {
      case D_CONST: case D_REGION:
        if (d->u.value.type && d->u.value.type->kind == TY_SET)
          cache_put(pp, d, d->u.value.init);
        cache_expr(pp, d->u.value.init);
        break;
      case D_LET: cache_expr(pp, d->u.value.init); break;
      case D_OUTPUT: cache_expr(pp, d->u.output.deflt); break;
      case D_FN:
        cache_expr(pp, d->u.fn.body);
        cache_cases(pp, d->u.fn.cases, d->u.fn.ncases);
        break;
      case D_DECIDE:
        cache_cases(pp, d->u.decide.cases, d->u.decide.ncases);
        break;
      default:
        break;
      }
    }
}

/* Memory of the prepared state, from the host's allocator. */
static void *prep_alloc(const struct interp_host *h, size_t n)
{
  struct arena a;
  arena_init(&a);
  arena_set_allocator(&a, h->alloc, h->alloc_ud);
  return arena_sys_alloc(&a, n);
}

static void prep_free(const struct interp_host *h, void *p, size_t n)
{
  struct arena a;
  arena_init(&a);
  arena_set_allocator(&a, h->alloc, h->alloc_ud);
  arena_sys_free(&a, p, n);
}

static void prep_free_all(const struct interp_host *h,
                          struct interp_prep *pp, int n)
{
  prep_free(h, pp->sigs, (size_t)n * sizeof *pp->sigs);
  prep_free(h, pp->ext_ids, (size_t)n * sizeof *pp->ext_ids);
  arena_free(&pp->arena);
  prep_free(h, pp, sizeof *pp);
}

int interp_host_prepare(struct interp_host *h)
{
  interp_host_release(h);
  const struct program *p = h->prog;
  struct interp_prep *pp = prep_alloc(h, sizeof *pp);
  if (!pp)
    return -1;
  int n = p->nexterns > 0 ? p->nexterns : 1;
  pp->sigs = prep_alloc(h, (size_t)n * sizeof *pp->sigs);
  pp->ext_ids = prep_alloc(h, (size_t)n * sizeof *pp->ext_ids);
  arena_init(&pp->arena);
  arena_set_allocator(&pp->arena, h->alloc, h->alloc_ud);
  if (!pp->sigs || !pp->ext_ids) {
    prep_free_all(h, pp, n);
    return -1;
  }
  pp->cur_slot = find_cur_slot(p);
  for (int i = 0; i < p->nexterns; i++) {
    const struct decl *d = p->externs[i];
    int k = d->u.fn.index >= 0 && d->u.fn.index < p->nexterns
                ? d->u.fn.index : i;
    ffi_sig_init(&pp->sigs[k], d);
    pp->ext_ids[k] = h->layout ? layout_extern(h->layout, d->name) : -1;
  }
  /* Out of memory while computing the constant sets fails the whole
   * preparation: without them the interpreter would build those sets in
   * scratch space, which compiled code never does (see ev_settree). */
  jmp_buf oom;
  if (setjmp(oom) != 0) {
    arena_set_oom(&pp->arena, NULL);
    prep_free_all(h, pp, n);
    return -1;
  }
  arena_set_oom(&pp->arena, &oom);
  cache_program(pp, p);
  arena_set_oom(&pp->arena, NULL);
  h->prep = pp;
  return 0;
}

void interp_host_release(struct interp_host *h)
{
  if (!h || !h->prep)
    return;
  const struct program *p = h->prog;
  prep_free_all(h, h->prep, p && p->nexterns > 0 ? p->nexterns : 1);
  h->prep = NULL;
}

int interp_const(struct arena *a, const struct expr *e, int order_cur,
                 const int8_t *cur_exponent, struct rpol_slot *out,
                 struct span *err_span)
{
  struct ictx c;
  memset(&c, 0, sizeof c);
  c.arena = a;
  c.exps = cur_exponent;
  c.order_cur = order_cur;
  int rc = ev(&c, e, out);
  if (rc && err_span)
    *err_span = c.err;
  return rc;
}
