/* testrun.c: `rpolc test`, the test blocks of §11 (see testrun.h).
 *
 * A test's input record is built here, slot by slot, from its `given`
 * values (constant expressions, money in the given order.currency) and the
 * fields' defaults, exactly as the runtime's decoder would fill it; then
 * the test's own policy decides it (no routing) on the chosen engine, and
 * the expected outputs are compared as typed values with what the decision
 * reports, denial formatting included (§6).
 */
#include <dlfcn.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "interp.h"
#include "testrun.h"
#include "../runtime/value.h"

#define SCRATCH_BYTES (64 * 1024)

/* One policy whose tests ran, for the coverage report. */
struct cov {
  const struct program *prog;
  unsigned char *reached;        /* [prog->ncases] */
};

struct runner {
  struct session *s;
  const struct testrun_opts *o;
  FILE *out;
  void *lib;                     /* dlopen handle of --extern-lib */
  int8_t *exps;                  /* [RPOL_NCURRENCY_CODES] */
  int passed, failed;
  struct cov *covs;
  int ncovs, capcovs;
  const struct file **done;      /* policies already run (dedupe) */
  int ndone;
};

/* One unit (a path): its layout and evaluators. */
struct unit_run {
  struct layout L;
  const struct rpol_artifact *art;      /* NULL: interpreter */
  struct interp_host *hosts;            /* [nprogs] */
  rpol_extern_ptr *externs;             /* [L.nexterns] */
  struct rpol_slot *out;
  int32_t *trace;                       /* [nout], as out */
  int nout;
  unsigned char *scratch;
};

static const char *const code_names[] = {
  [RPOL_DECIDED] = "none",
  [RPOL_E_MISSING_INPUT] = "missing_input",
  [RPOL_E_CURRENCY_MISMATCH] = "currency_mismatch",
  [RPOL_E_INEXACT_AMOUNT] = "inexact_amount",
  [RPOL_E_OVERFLOW] = "overflow",
  [RPOL_E_DIVISION_BY_ZERO] = "division_by_zero",
  [RPOL_E_UNBOUND_EXTERN] = "unbound_extern",
  [RPOL_E_NO_POLICY] = "no_policy",
  [RPOL_E_BAD_INPUT] = "bad_input",
};

static const char *code_name(int code)
{
  return code >= 0 && code <= RPOL_E_BAD_INPUT ? code_names[code] : "?";
}

/* ------------------------------------------------------------ values */

/* A growable text buffer in the session arena. */
struct text {
  struct arena *a;
  char *p;
  size_t len, cap;
};

static void tx_put(struct text *t, const char *s, size_t n)
{
  if (t->len + n + 1 > t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    while (cap < t->len + n + 1)
      cap *= 2;
    char *np = arena_alloc(t->a, cap);
    if (t->len)
      memcpy(np, t->p, t->len);
    t->p = np;
    t->cap = cap;
  }
  memcpy(t->p + t->len, s, n);
  t->len += n;
  t->p[t->len] = 0;
}

static void tx_puts(struct text *t, const char *s)
{
  tx_put(t, s, strlen(s));
}

static void tx_string(struct text *t, const char *s, int64_t n)
{
  tx_puts(t, "\"");
  for (int64_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    char buf[16];
    if (ch == '"' || ch == '\\') {
      buf[0] = '\\';
      buf[1] = (char)ch;
      tx_put(t, buf, 2);
    } else if (ch == '\n') {
      tx_puts(t, "\\n");
    } else if (ch == '\t') {
      tx_puts(t, "\\t");
    } else if (ch < 0x20 || ch == 0x7f) {
      snprintf(buf, sizeof buf, "\\u{%x}", ch);
      tx_puts(t, buf);
    } else {
      tx_put(t, (const char *)&ch, 1);
    }
  }
  tx_puts(t, "\"");
}

static int cur_exp(const struct runner *r, int cur)
{
  return cur >= 0 && cur < RPOL_NCURRENCY_CODES && r->exps[cur] >= 0
             ? r->exps[cur] : 2;
}

/* One scalar in rpol literal syntax.  Money in the order currency is
 * written as a bare number, as a test's expect would write it. */
static void tx_scalar(struct runner *r, struct text *t, int kind,
                      const struct type *ty, int64_t v, int cur,
                      const void *str, int64_t n, int order_cur)
{
  char buf[64];
  switch (kind) {
  case RPOL_K_BOOL: tx_puts(t, v ? "true" : "false"); return;
  case RPOL_K_MONEY:
    rpol_format_money(buf, v, cur_exp(r, cur));
    tx_puts(t, buf);
    if (cur != order_cur) {
      char code[4];
      rpol_currency_text(cur, code);
      tx_puts(t, " ");
      tx_puts(t, code);
    }
    return;
  case RPOL_K_PERCENT: rpol_format_percent(buf, v); tx_puts(t, buf); return;
  case RPOL_K_DATE: rpol_format_date(buf, v); tx_puts(t, buf); return;
  case RPOL_K_DURATION:
    snprintf(buf, sizeof buf, "%lld %s", (long long)v,
             v == 1 || v == -1 ? "day" : "days");
    tx_puts(t, buf);
    return;
  case RPOL_K_STRING: tx_string(t, str ? str : "", n); return;
  case RPOL_K_COUNTRY: rpol_country_text((int)v, buf); tx_puts(t, buf);
    return;
  case RPOL_K_CURRENCY: rpol_currency_text((int)v, buf); tx_puts(t, buf);
    return;
  case RPOL_K_ENUM:
    if (ty && ty->kind == TY_ENUM && v >= 0 && v < ty->enm->u.enm.nall) {
      tx_puts(t, ty->enm->u.enm.all[v]);
      return;
    }
    break;
  default:
    break;
  }
  snprintf(buf, sizeof buf, "%lld", (long long)v);
  tx_puts(t, buf);
}

static void tx_value(struct runner *r, struct text *t, const struct type *ty,
                     const struct rpol_slot *v, int order_cur)
{
  if (!v->present) {
    tx_puts(t, "none");
    return;
  }
  if (ty && ty->kind == TY_VERDICT) {
    static const char *const names[] = { "allow", "review", "deny" };
    tx_puts(t, v->v >= 0 && v->v <= 2 ? names[v->v] : "?");
    if (v->p) {
      tx_puts(t, " ");
      tx_string(t, v->p, (int64_t)strlen(v->p));
    }
    return;
  }
  if (v->kind != RPOL_K_SET) {
    tx_scalar(r, t, v->kind, ty, v->v, v->cur, v->p, v->n, order_cur);
    return;
  }
  const struct type *et = ty && ty->kind == TY_SET ? ty->elem : NULL;
  tx_puts(t, "{");
  for (int64_t i = 0; i < v->n; i++) {
    if (i)
      tx_puts(t, ", ");
    if (v->elem_kind == RPOL_K_STRING) {
      const struct rpol_str *e = (const struct rpol_str *)v->p + i;
      tx_scalar(r, t, RPOL_K_STRING, et, 0, 0, e->ptr, e->len, order_cur);
    } else if (v->elem_kind == RPOL_K_MONEY) {
      const struct rpol_money *e = (const struct rpol_money *)v->p + i;
      tx_scalar(r, t, RPOL_K_MONEY, et, e->amount, e->cur, NULL, 0,
                order_cur);
    } else {
      tx_scalar(r, t, v->elem_kind, et, ((const int64_t *)v->p)[i], 0,
                NULL, 0, order_cur);
    }
  }
  tx_puts(t, "}");
}

static int values_equal(const struct rpol_slot *a, const struct rpol_slot *b)
{
  if (a->present != b->present)
    return 0;
  if (!a->present)
    return 1;
  if (a->kind != b->kind)
    return 0;
  switch (a->kind) {
  case RPOL_K_STRING: {
    struct rpol_str x = { a->p ? a->p : "", a->n };
    struct rpol_str y = { b->p ? b->p : "", b->n };
    return rpol_str_eq(&x, &y);
  }
  case RPOL_K_MONEY:
    return a->v == b->v && a->cur == b->cur;
  case RPOL_K_SET: {
    if (a->n != b->n)
      return 0;
    for (int64_t i = 0; i < a->n; i++) {
      if (a->elem_kind == RPOL_K_STRING) {
        if (!rpol_str_eq((const struct rpol_str *)a->p + i,
                         (const struct rpol_str *)b->p + i))
          return 0;
      } else if (a->elem_kind == RPOL_K_MONEY) {
        const struct rpol_money *x = (const struct rpol_money *)a->p + i;
        const struct rpol_money *y = (const struct rpol_money *)b->p + i;
        if (x->amount != y->amount || x->cur != y->cur)
          return 0;
      } else if (((const int64_t *)a->p)[i] != ((const int64_t *)b->p)[i]) {
        return 0;
      }
    }
    return 1;
  }
  default:
    return a->v == b->v;
  }
}

/* ----------------------------------------------------------- locations */

static const char *file_line(struct runner *r, struct span sp)
{
  struct source *src = source_get(&r->s->sources, sp.file);
  if (!src)
    return "?";
  int line, col;
  source_linecol(src, sp.start, &line, &col);
  return arena_printf(&r->s->arena, "%s:%d", src->display, line);
}

static const char *loc_text(struct runner *r, const struct layout *L,
                            int loc)
{
  if (loc < 0 || loc >= L->nlocs)
    return "?";
  return source_loc(&r->s->sources, L->locs[loc]);
}

/* -------------------------------------------------------------- tests */

static const struct decl *field_by_path(const struct program *p,
                                        const char *path)
{
  for (int i = 0; i < p->ninputs; i++)
    if (strcmp(p->inputs[i]->u.input.path, path) == 0)
      return p->inputs[i];
  return NULL;
}

static int output_index(const struct program *p, const char *name)
{
  for (int i = 0; i < p->noutputs; i++)
    if (strcmp(p->outputs[i]->name, name) == 0)
      return i;
  return -1;
}

static int is_none(const struct expr *e)
{
  return e && e->kind == EX_NAME && e->u.name &&
         strcmp(e->u.name, "none") == 0 && e->ref.kind == REF_NONE;
}

/* What a decision reports for output k: denial formatting applied (§6). */
static void reported(const struct program *p, const struct rpol_result *res,
                     int k, int order_cur, struct rpol_slot *v)
{
  (void)p;
  memset(v, 0, sizeof *v);
  if (res->verdict != VERDICT_DENY || k == OUT_ELIGIBLE)
    *v = res->out[k];
  if (v->present)
    return;
  /* shipping_refund and duties_refund default to 0 (§6): a policy that
   * does not decide them leaves them out of the JSON record, but their
   * value, which a test may expect, is zero; a denial reports every
   * standard money output as zero and return_required as false. */
  int deny = res->verdict == VERDICT_DENY && k != OUT_ELIGIBLE;
  if (deny && k == OUT_RETURN_REQUIRED) {
    v->present = 1;
    v->kind = RPOL_K_BOOL;
  } else if (k == OUT_SHIPPING_REFUND || k == OUT_DUTIES_REFUND ||
             (deny && (k == OUT_RESTOCKING_FEE ||
                       k == OUT_RETURN_SHIPPING_FEE ||
                       k == OUT_REFUND_AMOUNT))) {
    v->present = 1;
    v->kind = RPOL_K_MONEY;
    v->cur = order_cur;
  }
}

/* Builds a test's input record.  Returns 0, RPOL_E_BAD_INPUT for a
 * required field left out, or a constant-evaluation error at *at. */
static int build_input(struct runner *r, const struct program *p,
                       const struct decl *t, struct rpol_slot *in,
                       int *order_cur, struct span *at,
                       const char **what)
{
  struct arena *a = &r->s->arena;
  const struct decl *cd = field_by_path(p, "order.currency");
  *order_cur = -1;
  for (int i = 0; i < t->u.test.ngiven; i++) {
    const struct assign *g = &t->u.test.given[i];
    const struct decl *d = g->target_expr ? g->target_expr->ref.decl : NULL;
    if (d && d == cd) {
      struct rpol_slot v;
      if (interp_const(a, g->value, -1, r->exps, &v, at) == 0)
        *order_cur = (int)v.v;
    }
  }
  memset(in, 0, sizeof *in * (size_t)(p->ninputs ? p->ninputs : 1));
  /* As the decoder does: customer.country (routing) and order.currency
   * (money values are read in it) are looked at first, so a test that
   * leaves them out fails on them (bad_input) rather than on its first
   * amount. */
  static const char *const first[] = { "customer.country",
                                       "order.currency" };
  for (int k = 0; k < 2; k++) {
    const struct decl *fd = field_by_path(p, first[k]);
    int given = 0;
    for (int i = 0; i < t->u.test.ngiven && fd; i++) {
      const struct assign *g = &t->u.test.given[i];
      given |= g->target_expr && g->target_expr->ref.decl == fd;
    }
    if (fd && !given && fd->u.input.required && !fd->u.input.deflt) {
      *what = fd->u.input.path;
      return RPOL_E_BAD_INPUT;
    }
  }
  for (int i = 0; i < t->u.test.ngiven; i++) {
    const struct assign *g = &t->u.test.given[i];
    const struct decl *d = g->target_expr ? g->target_expr->ref.decl : NULL;
    if (!d || d->kind != D_INPUT || d->u.input.slot < 0 ||
        d->u.input.slot >= p->ninputs)
      continue;
    int rc = interp_const(a, g->value, *order_cur, r->exps,
                          &in[d->u.input.slot], at);
    if (rc) {
      *what = g->target;
      return rc;
    }
    in[d->u.input.slot].present = 1;
  }
  for (int i = 0; i < p->ninputs; i++) {
    const struct decl *d = p->inputs[i];
    struct rpol_slot *sl = &in[d->u.input.slot];
    if (sl->present)
      continue;
    if (d->u.input.deflt) {
      int rc = interp_const(a, d->u.input.deflt, *order_cur, r->exps, sl,
                            at);
      if (rc) {
        *what = d->u.input.path;
        return rc;
      }
      sl->present = 1;
    } else if (d->u.input.required) {
      *what = d->u.input.path;
      return RPOL_E_BAD_INPUT;
    }
  }
  return 0;
}

static void run_eval(struct unit_run *u, int pi, const struct rpol_slot *in,
                     struct rpol_result *res, int with_reached,
                     unsigned char *reached, const struct runner *r)
{
  struct rpol_env env;
  /* Reset as rpol_decide does: an evaluator writes only what it
   * decides (rpol_abi.h). */
  memset(res, 0, sizeof *res);
  memset(u->out, 0, sizeof *u->out * (size_t)u->nout);
  for (int k = 0; k < u->nout; k++)
    u->trace[k] = -1;
  res->out = u->out;
  res->trace = u->trace;
  res->scratch = u->scratch;
  res->scratch_cap = SCRATCH_BYTES;
  res->code = RPOL_DECIDED;
  res->err_loc = -1;
  res->policy = pi;
  res->reason = -1;
  env.externs = u->externs;
  env.cur_exponent = r->exps;
  env.host = &u->hosts[pi];
  if (u->art && !with_reached) {
    env.host = NULL;
    u->art->eval[pi](in, res, &env);
    return;
  }
  u->hosts[pi].reached = reached;
  interp_eval(in, res, &env);
  u->hosts[pi].reached = NULL;
}

/* A failing test's report: one line per failed expectation, located at
 * the expectation (an editor jumps there), with the test's title, what
 * was expected and what the evaluation gave. */
struct failure {
  struct runner *r;
  const struct decl *t;
  const char *title;             /* as an rpol string literal, once */
};

static void report(struct failure *f, struct span at, const char *what)
{
  struct arena *a = &f->r->s->arena;
  if (!f->title) {
    /* A quote or a \n in the title must not break the report's
     * one-line-per-failure layout. */
    struct text title = { a, NULL, 0, 0 };
    const char *tt = f->t->u.test.title ? f->t->u.test.title : "";
    tx_string(&title, tt, (int64_t)strlen(tt));
    f->title = title.p;
  }
  fprintf(f->r->out, "%s: test %s failed: %s\n",
          source_loc(&f->r->s->sources, at), f->title, what);
}

/* Runs one test; prints a line per failed expectation.  Returns 1 if it
 * passed. */
static int run_test(struct runner *r, struct unit_run *u, int pi,
                    const struct decl *t, unsigned char *reached)
{
  const struct program *p = u->L.progs[pi];
  struct arena *a = &r->s->arena;
  struct rpol_slot *in = arena_alloc(a, sizeof *in *
                                     (size_t)(p->ninputs ? p->ninputs : 1));
  struct rpol_result res;
  int order_cur;
  struct span at = {0};
  const char *what = NULL;
  const char *given_at = NULL;
  struct failure fail = { r, t, NULL };
  int ok = 1;

  int rc = build_input(r, p, t, in, &order_cur, &at, &what);
  if (rc == RPOL_E_BAD_INPUT) {
    memset(&res, 0, sizeof res);
    res.code = RPOL_E_BAD_INPUT;
    res.err_loc = -1;
  } else if (rc) {
    /* A given or default value that cannot be built in this currency:
     * a given field is a money context (§7), so the evaluation is the
     * error inexact_amount, located at the literal, and a test may
     * expect it. */
    memset(&res, 0, sizeof res);
    res.code = rc;
    res.err_loc = -1;
    given_at = source_loc(&r->s->sources, at);
  } else {
    if (reached && u->art) {
      /* Coverage comes from the interpreter; the result buffers are
       * shared, so this runs before the engine's own evaluation. */
      struct rpol_result shadow;
      run_eval(u, pi, in, &shadow, 1, reached, r);
    }
    run_eval(u, pi, in, &res, reached && !u->art, reached, r);
  }

  const char *got_err = NULL;
  if (res.code == RPOL_E_BAD_INPUT)
    got_err = arena_printf(a, "error bad_input (%s is required)",
                           what ? what : "a field");
  else if (res.code)
    got_err = arena_printf(a, "error %s at %s", code_name(res.code),
                           given_at ? given_at
                                    : loc_text(r, &u->L, res.err_loc));
  int saw_error = 0;
  for (int i = 0; i < t->u.test.nexpect; i++) {
    const struct assign *x = &t->u.test.expect[i];
    if (strcmp(x->target, "error") == 0) {
      saw_error = 1;
      const char *want = x->value && x->value->kind == EX_STRING
                             ? x->value->u.str : "?";
      if (res.code && strcmp(want, code_name(res.code)) == 0)
        continue;
      ok = 0;
      report(&fail, x->target_span, arena_printf(a, "error: expected %s, "
             "actual %s", want, got_err ? got_err : "a decision"));
      continue;
    }
    int k = output_index(p, x->target);
    if (k < 0)
      continue;
    const struct type *ty = p->outputs[k]->u.output.type;
    struct text w = { a, NULL, 0, 0 }, g = { a, NULL, 0, 0 };
    struct rpol_slot want, got;
    int same;
    if (is_none(x->value)) {
      memset(&want, 0, sizeof want);
      tx_puts(&w, "none");
    } else if (interp_const(a, x->value, order_cur, r->exps, &want,
                            &at) != 0) {
      ok = 0;
      report(&fail, x->target_span, arena_printf(a, "%s: expected value is "
             "not exact in the order currency", x->target));
      continue;
    } else {
      tx_value(r, &w, ty, &want, order_cur);
    }
    if (got_err) {
      ok = 0;
      report(&fail, x->target_span, arena_printf(a, "%s: expected %s, "
             "actual %s", x->target, w.p, got_err));
      continue;
    }
    reported(p, &res, k, order_cur, &got);
    if (k == OUT_ELIGIBLE) {
      got.p = res.reason >= 0 && res.reason < u->L.ncodes
                  ? u->L.codes[res.reason] : NULL;
      got.v = res.verdict;
      same = !want.present ? 0
             : want.v == got.v &&
               (!want.p || (got.p && strcmp(want.p, got.p) == 0));
    } else {
      same = values_equal(&want, &got);
    }
    if (same)
      continue;
    ok = 0;
    tx_value(r, &g, ty, &got, order_cur);
    report(&fail, x->target_span, arena_printf(a, "%s: expected %s, "
                                               "actual %s", x->target, w.p,
                                               g.p));
  }
  if (got_err && !saw_error && t->u.test.nexpect == 0) {
    ok = 0;
    report(&fail, t->span, arena_printf(a, "expected a decision, actual %s",
                                        got_err));
  }
  return ok;
}

/* ------------------------------------------------------------ coverage */

static unsigned char *cov_for(struct runner *r, const struct program *p)
{
  if (r->ncovs == r->capcovs) {
    int cap = r->capcovs ? 2 * r->capcovs : 16;
    struct cov *n = arena_alloc(&r->s->arena, sizeof *n * (size_t)cap);
    if (r->ncovs)
      memcpy(n, r->covs, sizeof *n * (size_t)r->ncovs);
    r->covs = n;
    r->capcovs = cap;
  }
  struct cov *c = &r->covs[r->ncovs++];
  c->prog = p;
  c->reached = arena_alloc(&r->s->arena, (size_t)(p->ncases ? p->ncases
                                                            : 1));
  return c->reached;
}

static int case_index(const struct program *p, const struct case_ *k)
{
  if (k->id >= 0 && k->id < p->ncases && p->cases[k->id] == k)
    return k->id;
  for (int i = 0; i < p->ncases; i++)
    if (p->cases[i] == k)
      return i;
  return -1;
}

static void percent_text(char *buf, size_t n, int hit, int total)
{
  int tenths = total ? (int)((int64_t)hit * 1000 / total) : 1000;
  snprintf(buf, n, "%d.%d", tenths / 10, tenths % 10);
}

/* Visits each decide block and fn case block of p's own files and
 * modules (not the prelude): its title and its cases. */
typedef void (*block_fn)(struct runner *r, const struct cov *c,
                         const char *title, struct case_ *const *cs, int n,
                         void *ud);

static void each_block(struct runner *r, const struct cov *c, block_fn fn,
                       void *ud)
{
  const struct program *p = c->prog;
  for (int f = 0; f < p->nfiles; f++) {
    const struct file *fl = p->files[f];
    if (fl->kind == FILE_PRELUDE)
      continue;
    for (int i = 0; i < fl->ndecls; i++) {
      const struct decl *d = fl->decls[i];
      if (d->kind == D_DECIDE)
        fn(r, c, arena_printf(&r->s->arena, "decide %s", d->name),
           d->u.decide.cases, d->u.decide.ncases, ud);
      else if (d->kind == D_FN && d->u.fn.ncases > 0)
        fn(r, c, arena_printf(&r->s->arena, "fn %s", d->name),
           d->u.fn.cases, d->u.fn.ncases, ud);
    }
  }
}

static void text_block(struct runner *r, const struct cov *c,
                       const char *title, struct case_ *const *cs, int n,
                       void *ud)
{
  int first = 1;
  for (int i = 0; i < n; i++) {
    int k = case_index(c->prog, cs[i]);
    if (k < 0 || c->reached[k])
      continue;
    fprintf(r->out, "%s%s", first ? "  " : ", ",
            first ? arena_printf(&r->s->arena, "%s: not reached: %s",
                                 title, file_line(r, cs[i]->kw_span))
                  : file_line(r, cs[i]->kw_span));
    first = 0;
  }
  if (!first)
    fputc('\n', r->out);
}

static void json_block(struct runner *r, const struct cov *c,
                       const char *title, struct case_ *const *cs, int n,
                       void *ud)
{
  json_object *arr = NULL;
  for (int i = 0; i < n; i++) {
    int k = case_index(c->prog, cs[i]);
    if (k < 0 || c->reached[k])
      continue;
    if (!arr)
      arr = json_object_new_array();
    json_object_array_add(arr, json_object_new_string(
                                   file_line(r, cs[i]->kw_span)));
  }
  if (!arr)
    return;
  json_object *b = json_object_new_object();
  json_object_object_add(b, "block", json_object_new_string(title));
  json_object_object_add(b, "unreached", arr);
  json_object_array_add(ud, b);
}

static void report_coverage(struct runner *r)
{
  json_object *root = NULL, *pols = NULL;
  if (r->o->coverage == TESTRUN_COVERAGE_JSON) {
    root = json_object_new_object();
    pols = json_object_new_array();
    json_object_object_add(root, "coverage", pols);
  }
  for (int i = 0; i < r->ncovs; i++) {
    const struct cov *c = &r->covs[i];
    int hit = 0;
    for (int k = 0; k < c->prog->ncases; k++)
      hit += c->reached[k] != 0;
    char pct[32];
    percent_text(pct, sizeof pct, hit, c->prog->ncases);
    const char *file = c->prog->policy->src->display;
    if (!root) {
      fprintf(r->out, "coverage: %s: %d of %d cases reached (%s%%)\n",
              file, hit, c->prog->ncases, pct);
      each_block(r, c, text_block, NULL);
      continue;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "policy",
                           json_object_new_string(c->prog->policy->name
                                                  ? c->prog->policy->name
                                                  : ""));
    json_object_object_add(o, "file", json_object_new_string(file));
    json_object_object_add(o, "cases",
                           json_object_new_int(c->prog->ncases));
    json_object_object_add(o, "reached", json_object_new_int(hit));
    json_object_object_add(o, "percent",
                           json_object_new_double_s(atof(pct), pct));
    json_object *blocks = json_object_new_array();
    each_block(r, c, json_block, blocks);
    json_object_object_add(o, "blocks", blocks);
    json_object_array_add(pols, o);
  }
  if (root) {
    fprintf(r->out, "%s\n", json_object_to_json_string_ext(
                                root, JSON_C_TO_STRING_PLAIN |
                                          JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
  }
}

/* --------------------------------------------------------------- units */

static void currency_table(struct runner *r, const struct program *p)
{
  for (int f = 0; f < p->nfiles; f++) {
    const struct file *fl = p->files[f];
    if (fl->kind != FILE_PRELUDE)
      continue;
    for (int i = 0; i < fl->ndecls; i++) {
      const struct decl *d = fl->decls[i];
      if (d->kind != D_TABLE || strcmp(d->name, "currency") != 0 ||
          !d->u.table.numbers)
        continue;
      for (int k = 0; k < d->u.table.n; k++) {
        int c = rpol_currency_code(d->u.table.codes[k]);
        if (c >= 0)
          r->exps[c] = (int8_t)d->u.table.numbers[k];
      }
    }
  }
}

static int already_done(struct runner *r, const struct file *f)
{
  for (int i = 0; i < r->ndone; i++)
    if (r->done[i] == f)
      return 1;
  const struct file **n = arena_alloc(&r->s->arena,
                                      sizeof *n * (size_t)(r->ndone + 1));
  if (r->ndone)
    memcpy(n, r->done, sizeof *n * (size_t)r->ndone);
  n[r->ndone++] = f;
  r->done = n;
  return 0;
}

static int run_unit(struct runner *r, struct driver_unit *du)
{
  struct arena *a = &r->s->arena;
  struct unit_run u;
  void (*release)(void *) = NULL;
  void *ud = NULL;
  memset(&u, 0, sizeof u);
  layout_init(&u.L, r->s, du->progs, du->nprogs);
  if (du->nprogs > 0)
    currency_table(r, du->progs[0]);
  if (r->o->build && r->o->build(&u.L, &u.art, &release, &ud) != 0) {
    if (r->o->err)
      fprintf(r->o->err, "rpolc test: error: cannot build the evaluators "
              "of '%s'\n", du->progs[0]->policy->src->display);
    return 1;
  }
  int mo = u.L.max_outputs > 0 ? u.L.max_outputs : 1;
  u.out = arena_alloc(a, sizeof *u.out * (size_t)mo);
  u.trace = arena_alloc(a, sizeof *u.trace * (size_t)mo);
  u.nout = mo;
  u.scratch = arena_alloc(a, SCRATCH_BYTES);
  u.externs = arena_alloc(a, sizeof *u.externs *
                             (size_t)(u.L.nexterns ? u.L.nexterns : 1));
  for (int i = 0; i < u.L.nexterns && r->lib; i++) {
    void *sym = dlsym(r->lib, u.L.externs[i]->name);
    if (!sym && r->o->err)
      fprintf(r->o->err, "rpolc: warning: '%s' does not define extern "
              "'%s'; calls to it are the error unbound_extern\n",
              r->o->extern_lib, u.L.externs[i]->name);
    /* POSIX: a data pointer from dlsym converts to a function pointer. */
    memcpy(&u.externs[i], &sym, sizeof sym);
  }
  u.hosts = arena_alloc(a, sizeof *u.hosts * (size_t)(du->nprogs ? du->nprogs
                                                                 : 1));
  for (int pi = 0; pi < du->nprogs; pi++) {
    u.hosts[pi].prog = du->progs[pi];
    u.hosts[pi].layout = &u.L;
    u.hosts[pi].policy_index = pi;
    interp_host_prepare(&u.hosts[pi]);
  }
  for (int pi = 0; pi < du->nprogs; pi++) {
    const struct program *p = du->progs[pi];
    if (already_done(r, p->policy))
      continue;
    unsigned char *reached = r->o->coverage != TESTRUN_COVERAGE_NONE
                                 ? cov_for(r, p) : NULL;
    for (int i = 0; i < p->ntests; i++) {
      if (run_test(r, &u, pi, p->tests[i], reached))
        r->passed++;
      else
        r->failed++;
    }
  }
  for (int pi = 0; pi < du->nprogs; pi++)
    interp_host_release(&u.hosts[pi]);
  if (release)
    release(ud);
  return 0;
}

int testrun_files(struct session *s, const char *const *paths, int npaths,
                  const struct testrun_opts *o, FILE *out)
{
  struct runner r;
  int status = 0;
  memset(&r, 0, sizeof r);
  r.s = s;
  r.o = o;
  r.out = out;
  r.exps = arena_alloc(&s->arena, RPOL_NCURRENCY_CODES);
  memset(r.exps, -1, RPOL_NCURRENCY_CODES);
  if (o->extern_lib) {
    /* As in rpolc eval: a bare name is the file in the current directory,
     * not a search of the library path. */
    const char *lib = strchr(o->extern_lib, '/')
                          ? o->extern_lib
                          : arena_printf(&s->arena, "./%s", o->extern_lib);
    r.lib = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!r.lib) {
      if (o->err)
        fprintf(o->err, "rpolc test: error: cannot load '%s': %s\n",
                o->extern_lib, dlerror());
      return 2;
    }
  }
  for (int i = 0; i < npaths; i++) {
    struct driver_unit du;
    enum driver_status st = driver_load(s, paths[i], 1, &du);
    if (st == DRIVER_MISUSE) {
      status = 2;
      continue;
    }
    if (st != DRIVER_OK) {
      if (status == 0)
        status = 1;
      continue;
    }
    if (du.is_module || du.nprogs == 0)
      continue;
    if (run_unit(&r, &du) != 0 && status == 0)
      status = 1;
  }
  /* The summary closes the report (§13), after any coverage listing. */
  if (o->coverage != TESTRUN_COVERAGE_NONE)
    report_coverage(&r);
  fprintf(out, "%d passed, %d failed\n", r.passed, r.failed);
  if (r.lib)
    dlclose(r.lib);
  if (status == 0 && r.failed)
    status = 1;
  return status;
}
