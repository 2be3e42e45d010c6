/* gen_input.c: return lines for any checked program.
 *
 * The generator reads the schema (program->inputs: types, enums, defaults,
 * required and optional fields) and harvests every literal the policy
 * compares something with.  A literal compared with a field directly
 * (`item.price >= 50`, `request.reason in FAULTY`, starts_with(item.sku,
 * "CLR-")) becomes a hint of that field; every literal also lands in a
 * pool of its type.  Values are then drawn at the hints, one unit below
 * and above them (the boundaries where engines are most likely to round or
 * compare differently), relative to other dates of the line (delivered_at
 * + window +- 1 day), at the extremes of their type (overflow), in
 * currencies with exponents 0, 2 and 3 (inexact_amount), missing, null,
 * or malformed (bad_input).  Lines are JSON text, so the runtime's decoder
 * is exercised on every engine too.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "difftest.h"

enum hkind {
  H_INT,       /* v */
  H_NUM,       /* an untyped number as money: v / 10^scale major units */
  H_MONEY,     /* v minor units of currency cur */
  H_PERCENT,   /* v = percent * 10^4 */
  H_DATE,      /* v = days */
  H_DURATION,  /* v = days */
  H_STRING,    /* s */
  H_CODE       /* s: a country, currency or enum member name */
};

struct hint {
  enum hkind k;
  int64_t v;
  int scale;
  int cur;
  const char *s;    /* borrowed from the session arena or a literal */
};

struct hints {
  struct hint *h;
  int n, cap;
};

#define MAX_HINTS 256

struct field {
  struct decl *d;
  const char *path;
  const struct type *t;
  int required, optional;
  struct hints hints;
};

struct prog {
  struct program *p;
  struct field *f;
  int nf;
  int cur_field, country_field;
};

enum pool { P_INT, P_NUM, P_MONEY, P_PERCENT, P_DATE, P_DURATION, P_STRING,
            P_COUNTRY, P_CURRENCY, P_NPOOLS };

struct dt_igen {
  struct session *s;
  const struct dt_iso *iso;
  struct prog *progs;
  int nprogs;
  struct hints pool[P_NPOOLS];
  struct hints locales;
  int depth;          /* harvest recursion through consts and regions */
  long serial;        /* line ids */
  /* Money literals per currency (code number): the order currency is
   * drawn from them, weighted, so most literals match it. */
  int lit_cur[64], lit_cur_n[64], nlit_cur, lit_total;
};

/* What one line has generated so far: the order currency and the dates,
 * so that later fields can be drawn relative to them. */
struct linectx {
  const char *cur;
  int exp;
  int64_t dates[16];
  int ndates;
};

/* ----------------------------------------------------------- harvesting */

static void hints_add(struct hints *hs, struct hint h)
{
  if (!hs || hs->n >= MAX_HINTS)
    return;
  for (int i = 0; i < hs->n; i++) {
    const struct hint *o = &hs->h[i];
    if (o->k == h.k && o->v == h.v && o->scale == h.scale &&
        o->cur == h.cur &&
        ((!o->s && !h.s) || (o->s && h.s && strcmp(o->s, h.s) == 0)))
      return;
  }
  if (hs->n == hs->cap) {
    hs->cap = hs->cap ? hs->cap * 2 : 8;
    hs->h = dt_xrealloc(hs->h, (size_t)hs->cap * sizeof *hs->h);
  }
  hs->h[hs->n++] = h;
}

static struct field *field_by_decl(struct prog *pg, const struct decl *d)
{
  if (!d || d->kind != D_INPUT)
    return NULL;
  for (int i = 0; i < pg->nf; i++)
    if (pg->f[i].d == d)
      return &pg->f[i];
  return NULL;
}

/* The field an expression is mostly about: `item.price * 2` is about the
 * price.  NULL when none. */
static struct field *field_of(struct prog *pg, const struct expr *e)
{
  if (!e)
    return NULL;
  switch (e->kind) {
  case EX_PATH:
    return field_by_decl(pg, e->ref.decl);
  case EX_UNARY:
    return field_of(pg, e->u.unary.operand);
  case EX_BINARY:
    if (e->u.bin.op <= BIN_DIV) {
      struct field *f = field_of(pg, e->u.bin.lhs);
      return f ? f : field_of(pg, e->u.bin.rhs);
    }
    return NULL;
  case EX_OF:
    return field_of(pg, e->u.bin.rhs);
  case EX_COALESCE:
    return field_of(pg, e->u.bin.lhs);
  case EX_CALL:
    if (e->ref.kind == REF_BUILTIN && e->u.call.nargs > 0 &&
        e->ref.builtin != BI_PRESENT)
      return field_of(pg, e->u.call.args[0]);
    return NULL;
  default:
    return NULL;
  }
}

static void add_hint(struct dt_igen *g, struct hints *target, struct hint h,
                     enum pool p)
{
  hints_add(&g->pool[p], h);
  hints_add(target, h);
}

static void harvest(struct dt_igen *g, struct prog *pg, const struct expr *e,
                    struct hints *target);

static void count_currency(struct dt_igen *g, int cur)
{
  g->lit_total++;
  for (int i = 0; i < g->nlit_cur; i++)
    if (g->lit_cur[i] == cur) {
      g->lit_cur_n[i]++;
      return;
    }
  if (g->nlit_cur < 64) {
    g->lit_cur[g->nlit_cur] = cur;
    g->lit_cur_n[g->nlit_cur++] = 1;
  }
}

static void harvest_pair(struct dt_igen *g, struct prog *pg,
                         const struct expr *a, const struct expr *b,
                         struct hints *target)
{
  struct field *fa = field_of(pg, a), *fb = field_of(pg, b);
  harvest(g, pg, a, fb ? &fb->hints : target);
  harvest(g, pg, b, fa ? &fa->hints : target);
}

static void harvest(struct dt_igen *g, struct prog *pg, const struct expr *e,
                    struct hints *target)
{
  if (!e || g->depth > 64)
    return;
  if (e->expansion) {
    harvest(g, pg, e->expansion, target);
    return;
  }
  const struct type *t = e->type;
  int tk = t ? (int)t->kind : TY_ERROR;
  struct hint h;
  memset(&h, 0, sizeof h);
  switch (e->kind) {
  case EX_INT: case EX_DEC:
    if (tk == TY_MONEY || e->from_number) {
      h.k = H_NUM;
      h.v = e->u.num.mant;
      h.scale = e->u.num.scale;
      add_hint(g, target, h, P_NUM);
    } else {
      h.k = H_INT;
      h.v = e->u.num.mant;
      for (int i = 0; i < e->u.num.scale; i++)
        h.v /= 10;
      add_hint(g, target, h, P_INT);
    }
    return;
  case EX_MONEY:
    h.k = H_MONEY;
    h.v = e->u.money.minor;
    h.cur = e->u.money.cur;
    count_currency(g, h.cur);
    add_hint(g, target, h, P_MONEY);
    return;
  case EX_PERCENT:
    h.k = H_PERCENT;
    h.v = e->u.num.mant;
    for (int i = e->u.num.scale; i < 4; i++)
      h.v *= 10;
    add_hint(g, target, h, P_PERCENT);
    return;
  case EX_DURATION:
    h.k = H_DURATION;
    h.v = e->u.days;
    add_hint(g, target, h, P_DURATION);
    return;
  case EX_DATE:
    h.k = H_DATE;
    h.v = e->u.days;
    add_hint(g, target, h, P_DATE);
    return;
  case EX_STRING:
    h.k = H_STRING;
    h.s = e->u.str;
    add_hint(g, target, h, P_STRING);
    return;
  case EX_BOOL: case EX_VERDICT:
    return;
  case EX_NAME: case EX_QUALIFIED:
    switch (e->ref.kind) {
    case REF_MEMBER:
      h.k = H_CODE;
      if (e->ref.decl && e->ref.index >= 0 &&
          e->ref.index < e->ref.decl->u.enm.nall)
        h.s = e->ref.decl->u.enm.all[e->ref.index];
      if (h.s)
        hints_add(target, h);
      return;
    case REF_COUNTRY: {
      char code[4];
      dt_code_text(e->ref.index, 2, code);
      for (int i = 0; i < g->iso->ncountries; i++)
        if (strcmp(g->iso->countries[i], code) == 0)
          h.s = g->iso->countries[i];
      h.k = H_CODE;
      if (h.s)
        add_hint(g, target, h, P_COUNTRY);
      return;
    }
    case REF_CURRENCY: {
      char code[4];
      dt_code_text(e->ref.index, 3, code);
      for (int i = 0; i < g->iso->ncurrencies; i++)
        if (strcmp(g->iso->currencies[i], code) == 0)
          h.s = g->iso->currencies[i];
      h.k = H_CODE;
      if (h.s)
        add_hint(g, target, h, P_CURRENCY);
      return;
    }
    case REF_CONST: case REF_REGION:
      /* A region or const compared with a field: its elements are hints
       * of that field (the declaration itself is walked on its own). */
      if (target && e->ref.decl) {
        g->depth++;
        harvest(g, pg, e->ref.decl->u.value.init, target);
        g->depth--;
      }
      return;
    default:
      return;
    }
  case EX_PATH:
    return;
  case EX_UNARY:
    if (e->u.unary.op == UN_NEG && e->u.unary.operand &&
        (e->u.unary.operand->kind == EX_INT ||
         e->u.unary.operand->kind == EX_DEC ||
         e->u.unary.operand->kind == EX_DURATION ||
         e->u.unary.operand->kind == EX_PERCENT ||
         e->u.unary.operand->kind == EX_MONEY)) {
      /* -5 is a literal too. */
      struct hints tmp = { 0 };
      harvest(g, pg, e->u.unary.operand, &tmp);
      for (int i = 0; i < tmp.n; i++) {
        if (tmp.h[i].v != INT64_MIN)
          tmp.h[i].v = -tmp.h[i].v;
        enum pool p = tmp.h[i].k == H_INT ? P_INT
                      : tmp.h[i].k == H_NUM ? P_NUM
                      : tmp.h[i].k == H_MONEY ? P_MONEY
                      : tmp.h[i].k == H_PERCENT ? P_PERCENT : P_DURATION;
        add_hint(g, target, tmp.h[i], p);
      }
      free(tmp.h);
      return;
    }
    harvest(g, pg, e->u.unary.operand, target);
    return;
  case EX_BINARY:
    if (e->u.bin.op >= BIN_EQ && e->u.bin.op <= BIN_GE) {
      harvest_pair(g, pg, e->u.bin.lhs, e->u.bin.rhs, target);
      return;
    }
    if (e->u.bin.op == BIN_AND || e->u.bin.op == BIN_OR) {
      harvest(g, pg, e->u.bin.lhs, NULL);
      harvest(g, pg, e->u.bin.rhs, NULL);
      return;
    }
    harvest(g, pg, e->u.bin.lhs, target);
    harvest(g, pg, e->u.bin.rhs, target);
    return;
  case EX_IN: {
    struct field *fe = field_of(pg, e->u.in.elem);
    struct field *fs = field_of(pg, e->u.in.set);
    harvest(g, pg, e->u.in.elem, fs ? &fs->hints : NULL);
    harvest(g, pg, e->u.in.set, fe ? &fe->hints : NULL);
    return;
  }
  case EX_OF:
    harvest(g, pg, e->u.bin.lhs, NULL);
    harvest(g, pg, e->u.bin.rhs, target);
    return;
  case EX_COALESCE:
    harvest_pair(g, pg, e->u.bin.lhs, e->u.bin.rhs, target);
    return;
  case EX_IF:
    harvest(g, pg, e->u.cond.cond, NULL);
    harvest(g, pg, e->u.cond.then, target);
    harvest(g, pg, e->u.cond.els, target);
    return;
  case EX_CALL: {
    int n = e->u.call.nargs;
    if (e->ref.kind == REF_BUILTIN &&
        (e->ref.builtin == BI_STARTS_WITH || e->ref.builtin == BI_ENDS_WITH ||
         e->ref.builtin == BI_CONTAINS) && n == 2) {
      harvest_pair(g, pg, e->u.call.args[0], e->u.call.args[1], target);
      return;
    }
    if (e->ref.kind == REF_BUILTIN &&
        (e->ref.builtin == BI_MIN || e->ref.builtin == BI_MAX) && n == 2) {
      harvest_pair(g, pg, e->u.call.args[0], e->u.call.args[1], target);
      return;
    }
    for (int i = 0; i < n; i++)
      harvest(g, pg, e->u.call.args[i], NULL);
    return;
  }
  case EX_SET:
    for (int i = 0; i < e->u.set.n; i++)
      harvest(g, pg, e->u.set.elems[i], target);
    return;
  }
}

static void harvest_cases(struct dt_igen *g, struct prog *pg,
                          struct case_ **cs, int n)
{
  for (int i = 0; i < n; i++) {
    harvest(g, pg, cs[i]->cond, NULL);
    harvest(g, pg, cs[i]->value, NULL);
  }
}

static void harvest_file(struct dt_igen *g, struct prog *pg, struct file *f)
{
  if (f->for_set) {
    struct field *fc = pg->country_field >= 0 ? &pg->f[pg->country_field]
                                              : NULL;
    harvest(g, pg, f->for_set, fc ? &fc->hints : NULL);
  }
  for (int i = 0; i < f->ndecls; i++) {
    struct decl *d = f->decls[i];
    switch (d->kind) {
    case D_INPUT: {
      struct field *fd = field_by_decl(pg, d);
      harvest(g, pg, d->u.input.deflt, fd ? &fd->hints : NULL);
      break;
    }
    case D_OUTPUT:
      harvest(g, pg, d->u.output.deflt, NULL);
      break;
    case D_CONST: case D_LET: case D_REGION:
      harvest(g, pg, d->u.value.init, NULL);
      break;
    case D_FN:
      harvest(g, pg, d->u.fn.body, NULL);
      harvest_cases(g, pg, d->u.fn.cases, d->u.fn.ncases);
      break;
    case D_DECIDE:
      harvest_cases(g, pg, d->u.decide.cases, d->u.decide.ncases);
      break;
    case D_MESSAGE:
      for (int k = 0; k < d->u.message.ntexts; k++) {
        struct hint h = { H_STRING, 0, 0, 0, d->u.message.texts[k].locale };
        hints_add(&g->locales, h);
      }
      break;
    case D_TEST:
      for (int k = 0; k < d->u.test.ngiven; k++) {
        struct assign *a = &d->u.test.given[k];
        struct field *fd = a->target_expr
                               ? field_by_decl(pg, a->target_expr->ref.decl)
                               : NULL;
        harvest(g, pg, a->value, fd ? &fd->hints : NULL);
      }
      break;
    default:
      break;
    }
  }
}

struct dt_igen *dt_igen_new(struct session *s, const struct dt_iso *iso,
                            struct program **progs, int nprogs)
{
  struct dt_igen *g = dt_xcalloc(1, sizeof *g);
  g->s = s;
  g->iso = iso;
  g->nprogs = nprogs;
  g->progs = dt_xcalloc((size_t)nprogs, sizeof *g->progs);
  for (int i = 0; i < nprogs; i++) {
    struct prog *pg = &g->progs[i];
    struct program *p = progs[i];
    pg->p = p;
    pg->nf = p->ninputs;
    pg->f = dt_xcalloc((size_t)p->ninputs, sizeof *pg->f);
    pg->cur_field = pg->country_field = -1;
    for (int k = 0; k < p->ninputs; k++) {
      struct field *f = &pg->f[k];
      struct decl *d = p->inputs[k];
      f->d = d;
      f->path = d->u.input.path;
      f->t = d->u.input.type;
      f->required = d->u.input.required;
      f->optional = !d->u.input.required && !d->u.input.deflt;
      if (strcmp(f->path, "order.currency") == 0)
        pg->cur_field = k;
      if (strcmp(f->path, "customer.country") == 0)
        pg->country_field = k;
    }
    for (int k = 0; k < p->nfiles; k++)
      if (p->files[k]->kind != FILE_PRELUDE)
        harvest_file(g, pg, p->files[k]);
    for (int k = 0; k < p->ntest_files; k++)
      harvest_file(g, pg, p->test_files[k]);
  }
  /* Locales a message might match, and some it will not. */
  static const char *loc[] = { "en", "de", "de-CH", "fr", "pt-BR", "pt",
                               "xx", "EN", "" };
  for (int i = 0; i < (int)(sizeof loc / sizeof loc[0]); i++) {
    struct hint h = { H_STRING, 0, 0, 0, loc[i] };
    hints_add(&g->locales, h);
  }
  return g;
}

void dt_igen_free(struct dt_igen *g)
{
  if (!g)
    return;
  for (int i = 0; i < g->nprogs; i++) {
    for (int k = 0; k < g->progs[i].nf; k++)
      free(g->progs[i].f[k].hints.h);
    free(g->progs[i].f);
  }
  for (int i = 0; i < P_NPOOLS; i++)
    free(g->pool[i].h);
  free(g->locales.h);
  free(g->progs);
  free(g);
}

/* ------------------------------------------------------------ the line */

void dt_line_free(struct dt_line *l)
{
  for (int i = 0; i < l->n; i++) {
    free(l->kv[i].path);
    free(l->kv[i].val);
  }
  free(l->raw);
  memset(l, 0, sizeof *l);
}

void dt_line_copy(struct dt_line *dst, const struct dt_line *src)
{
  memset(dst, 0, sizeof *dst);
  dst->n = src->n;
  for (int i = 0; i < src->n; i++) {
    dst->kv[i].path = dt_strdup(src->kv[i].path);
    dst->kv[i].val = dt_strdup(src->kv[i].val);
  }
  dst->raw = src->raw ? dt_strdup(src->raw) : NULL;
}

void dt_line_set(struct dt_line *l, const char *path, const char *val)
{
  if (l->n >= DT_MAX_KV)
    return;
  l->kv[l->n].path = dt_strdup(path);
  l->kv[l->n].val = dt_strdup(val);
  l->n++;
}

/* Length of the first `level+1` dot-separated parts of path, or -1 if it
 * has fewer parts. */
static int prefix_len(const char *path, int level)
{
  const char *p = path;
  for (int i = 0; i <= level; i++) {
    const char *dot = strchr(p, '.');
    if (i == level)
      return (int)((dot ? dot : p + strlen(p)) - path);
    if (!dot)
      return -1;
    p = dot + 1;
  }
  return -1;
}

static int part_start(const char *path, int level)
{
  if (level == 0)
    return 0;
  int n = prefix_len(path, level - 1);
  return n < 0 ? -1 : n + 1;
}

/* Emits the members of the object whose keys are the level-th parts of
 * the paths idx[0..n) (which share their first `level` parts). */
static void emit_object(const struct dt_line *l, const int *idx, int n,
                        int level, struct dt_buf *out)
{
  char *done = dt_xcalloc((size_t)n, 1);
  int first = 1;
  dt_buf_puts(out, "{");
  for (int i = 0; i < n; i++) {
    if (done[i])
      continue;
    const char *pi = l->kv[idx[i]].path;
    int s0 = part_start(pi, level), e0 = prefix_len(pi, level);
    /* A terminal key: written as is (repeated paths stay repeated). */
    if (!strchr(pi + s0, '.')) {
      done[i] = 1;
      if (!first)
        dt_buf_puts(out, ",");
      first = 0;
      dt_buf_json_str(out, pi + s0);
      dt_buf_puts(out, ":");
      dt_buf_puts(out, l->kv[idx[i]].val);
      continue;
    }
    /* An object: every deeper path with the same key, in order. */
    int *sub = dt_xcalloc((size_t)n, sizeof *sub);
    int ns = 0;
    for (int j = i; j < n; j++) {
      if (done[j])
        continue;
      const char *pj = l->kv[idx[j]].path;
      if (prefix_len(pj, level) == e0 && strncmp(pj, pi, (size_t)e0) == 0 &&
          strchr(pj + s0, '.')) {
        done[j] = 1;
        sub[ns++] = idx[j];
      }
    }
    if (!first)
      dt_buf_puts(out, ",");
    first = 0;
    char *key = dt_xmalloc((size_t)(e0 - s0) + 1);
    memcpy(key, pi + s0, (size_t)(e0 - s0));
    key[e0 - s0] = 0;
    dt_buf_json_str(out, key);
    free(key);
    dt_buf_puts(out, ":");
    emit_object(l, sub, ns, level + 1, out);
    free(sub);
  }
  dt_buf_puts(out, "}");
  free(done);
}

void dt_line_json(const struct dt_line *l, struct dt_buf *out)
{
  dt_buf_reset(out);
  if (l->raw) {
    dt_buf_puts(out, l->raw);
    return;
  }
  int idx[DT_MAX_KV];
  for (int i = 0; i < l->n; i++)
    idx[i] = i;
  emit_object(l, idx, l->n, 0, out);
}

/* -------------------------------------------------------------- values */

static const struct hint *pick_hint(struct dt_rng *r, const struct hints *hs,
                                    enum hkind k1, enum hkind k2)
{
  if (!hs || !hs->n)
    return NULL;
  int start = (int)dt_below(r, hs->n);
  for (int i = 0; i < hs->n; i++) {
    const struct hint *h = &hs->h[(start + i) % hs->n];
    if (h->k == k1 || h->k == k2)
      return h;
  }
  return NULL;
}

static int64_t nudge(struct dt_rng *r, int64_t v)
{
  switch (dt_below(r, 3)) {
  case 0: return v == INT64_MIN ? v : v - 1;
  case 1: return v;
  default: return v == INT64_MAX ? v : v + 1;
  }
}

static void json_int(struct dt_buf *b, int64_t v)
{
  dt_buf_printf(b, "%" PRId64, v);
}

static int64_t pow10i(int e)
{
  int64_t p = 1;
  for (int i = 0; i < e && i < 18; i++)
    p *= 10;
  return p;
}

/* Scales v by 10^(to - from), rounding half away from zero, saturating. */
static int64_t rescale(int64_t v, int from, int to)
{
  __int128 x = v;
  if (to >= from) {
    for (int i = from; i < to; i++)
      x *= 10;
  } else {
    __int128 d = 1;
    for (int i = to; i < from; i++)
      d *= 10;
    __int128 q = x / d, rem = x % d;
    if (rem * 2 >= d)
      q++;
    else if (rem * 2 <= -d)
      q--;
    x = q;
  }
  if (x > INT64_MAX)
    return INT64_MAX;
  if (x < INT64_MIN)
    return INT64_MIN;
  return (int64_t)x;
}

static const char *cur_text(int cur, char *buf)
{
  dt_code_text(cur, 3, buf);
  return buf;
}

static void gen_int(struct dt_rng *r, const struct hints *fh,
                    struct dt_igen *g, struct dt_buf *b)
{
  const struct hint *h = NULL;
  int64_t v;
  int c = (int)dt_below(r, 100);
  if (c < 40)
    h = pick_hint(r, fh, H_INT, H_NUM);
  else if (c < 55)
    h = pick_hint(r, &g->pool[P_INT], H_INT, H_INT);
  if (h) {
    v = h->k == H_NUM ? rescale(h->v, h->scale, 0) : h->v;
    v = nudge(r, v);
  } else if (c < 75) {
    v = dt_below(r, 8) - 2;
  } else if (c < 90) {
    v = dt_below(r, 1000);
  } else if (c < 95) {
    static const int64_t ext[] = { INT64_MAX, INT64_MIN, INT64_MAX - 1,
                                   INT64_MIN + 1, (int64_t)1 << 62,
                                   (int64_t)3037000500, -((int64_t)1 << 40) };
    v = ext[dt_below(r, 7)];
  } else {
    v = (int64_t)(dt_next(r) >> dt_below(r, 64));
  }
  json_int(b, v);
}

static void gen_money(struct dt_rng *r, const struct hints *fh,
                      struct dt_igen *g, const struct linectx *lc,
                      struct dt_buf *b)
{
  int exp = lc->exp >= 0 ? lc->exp : 2;
  const char *cur = lc->cur;
  char curbuf[4];
  int64_t minor;
  const struct hint *h = NULL;
  int c = (int)dt_below(r, 100);
  if (c < 40)
    h = pick_hint(r, fh, H_NUM, H_MONEY);
  else if (c < 55)
    h = pick_hint(r, dt_chance(r, 50) ? &g->pool[P_NUM] : &g->pool[P_MONEY],
                  H_NUM, H_MONEY);
  if (h && h->k == H_NUM) {
    minor = nudge(r, rescale(h->v, h->scale, exp));
  } else if (h) {
    /* A money literal: in its own currency (written with the code), or
     * its amount carried over to the order currency. */
    char code[4];
    cur_text(h->cur, code);
    int e2 = dt_iso_exponent(g->iso, code);
    if (e2 >= 0 && dt_chance(r, 15)) {
      cur = strcpy(curbuf, code);
      exp = e2;
      minor = nudge(r, h->v);
    } else {
      minor = nudge(r, rescale(h->v, e2 >= 0 ? e2 : 2, exp));
    }
  } else if (c < 86) {
    minor = dt_below(r, 2000) * pow10i(exp) +
            (dt_chance(r, 50) ? dt_below(r, pow10i(exp)) : 0);
  } else if (c < 91) {
    minor = 0;
  } else if (c < 96) {
    minor = -dt_below(r, 100000);
  } else {
    static const int64_t ext[] = { INT64_MAX, INT64_MIN, INT64_MAX / 2,
                                   (int64_t)1 << 62, INT64_MAX / 100,
                                   (int64_t)4611686018427387904 / 3 };
    minor = ext[dt_below(r, 6)];
  }
  char amount[48];
  dt_fmt_minor(amount, sizeof amount, minor, exp);
  int form = (int)dt_below(r, 100);
  if (cur != lc->cur) {
    dt_buf_printf(b, "\"%s %s\"", amount, cur);
  } else if (form < 72) {
    dt_buf_printf(b, "\"%s\"", amount);
  } else if (form < 78) {
    /* Trailing zeros do not count. */
    dt_buf_printf(b, "\"%s%s0\"", amount, exp > 0 ? "" : ".");
  } else if (form < 86 &&
             minor > -((int64_t)1 << 50) && minor < ((int64_t)1 << 50)) {
    /* A JSON number, read by exact value. */
    if (exp == 0 || minor % pow10i(exp) == 0)
      json_int(b, rescale(minor, exp, 0));
    else
      dt_buf_puts(b, amount);
  } else if (form < 98) {
    dt_buf_printf(b, "\"%s %s\"", amount, cur);
  } else {
    /* Another currency, written with its code. */
    static const char *other[] = { "USD", "EUR", "JPY", "KWD", "GBP",
                                   "BHD", "CLF" };
    const char *o = other[dt_below(r, 7)];
    int oe = dt_iso_exponent(g->iso, o);
    if (oe < 0)
      oe = 2;
    dt_fmt_minor(amount, sizeof amount, rescale(minor, exp, oe), oe);
    dt_buf_printf(b, "\"%s %s\"", amount, o);
  }
}

static void gen_percent(struct dt_rng *r, const struct hints *fh,
                        struct dt_igen *g, struct dt_buf *b)
{
  const struct hint *h = pick_hint(r, dt_chance(r, 60) ? fh
                                                      : &g->pool[P_PERCENT],
                                   H_PERCENT, H_PERCENT);
  int64_t v;
  if (h && dt_chance(r, 70))
    v = nudge(r, h->v);
  else if (dt_chance(r, 80))
    v = dt_below(r, 101) * 10000 + (dt_chance(r, 30) ? dt_below(r, 10000)
                                                      : 0);
  else if (dt_chance(r, 50))
    v = -dt_below(r, 1000000);
  else
    v = (int64_t)1000000 * 10000 + dt_below(r, 3) - 1;
  char s[48];
  dt_fmt_minor(s, sizeof s, v, 4);
  /* Shortest form, or with zeros kept (both are valid input). */
  if (dt_chance(r, 70)) {
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '0')
      s[--n] = 0;
    if (n > 0 && s[n - 1] == '.')
      s[--n] = 0;
  }
  dt_buf_printf(b, "\"%s%%\"", s);
}

static void date_text(int64_t days, char *out, size_t cap)
{
  int y, m, d;
  if (days < DT_DATE_MIN)
    days = DT_DATE_MIN;
  if (days > DT_DATE_MAX)
    days = DT_DATE_MAX;
  dt_civil_from_days(days, &y, &m, &d);
  snprintf(out, cap, "%04d-%02d-%02d", y, m, d);
}

static int64_t gen_date_days(struct dt_rng *r, const struct hints *fh,
                             struct dt_igen *g, const struct linectx *lc)
{
  int c = (int)dt_below(r, 100);
  if (c < 40 && lc->ndates > 0) {
    /* Relative to a date of this line: a window boundary. */
    int64_t base = lc->dates[dt_below(r, lc->ndates)];
    const struct hint *h = pick_hint(r, dt_chance(r, 50)
                                            ? fh : &g->pool[P_DURATION],
                                     H_DURATION, H_INT);
    int64_t off = h ? h->v : dt_below(r, 60), sum;
    /* A huge duration hint would overflow: saturate (out of range
     * either way). */
    if (__builtin_add_overflow(base, off, &sum))
      sum = off > 0 ? INT64_MAX : INT64_MIN;
    return nudge(r, sum);
  }
  if (c < 70) {
    const struct hint *h = pick_hint(r, dt_chance(r, 60) ? fh
                                                        : &g->pool[P_DATE],
                                     H_DATE, H_DATE);
    if (h)
      return nudge(r, h->v);
  }
  if (c < 93)
    return dt_days_from_civil(2025, 6, 1) + dt_below(r, 500);
  static const int ext[][3] = { { 1, 1, 1 }, { 9999, 12, 31 },
                                { 2024, 2, 29 }, { 2000, 2, 29 },
                                { 1970, 1, 1 }, { 9999, 12, 1 },
                                { 1, 1, 31 } };
  int k = (int)dt_below(r, 7);
  return dt_days_from_civil(ext[k][0], ext[k][1], ext[k][2]);
}

static void gen_string(struct dt_rng *r, const struct hints *fh,
                       struct dt_igen *g, int is_locale, struct dt_buf *b)
{
  const struct hints *hs = is_locale ? &g->locales
                           : dt_chance(r, 70) ? fh : &g->pool[P_STRING];
  const struct hint *h = pick_hint(r, hs, H_STRING, H_STRING);
  if (!h && !is_locale)
    h = pick_hint(r, &g->pool[P_STRING], H_STRING, H_STRING);
  if (h && dt_chance(r, 75)) {
    const char *s = h->s ? h->s : "";
    char *v;
    switch (dt_below(r, 6)) {
    case 0: v = dt_xprintf("%sX1", s); break;
    case 1: v = dt_xprintf("x%s", s); break;
    case 2: {
      size_t n = strlen(s);
      v = dt_strdup(s);
      if (n > 1)
        v[n / 2] = 0;
      break;
    }
    default: v = dt_strdup(s); break;
    }
    dt_buf_json_str(b, v);
    free(v);
    return;
  }
  if (dt_below(r, 1000) < 15) {
    /* Escapes the decoder must turn into bytes: an embedded NUL (strings
     * carry a length), a surrogate pair; or a long string. */
    static const char *esc[] = { "\"a\\u0000b\"", "\"\\u0000\"",
                                 "\"\\ud83d\\ude00x\"",
                                 "\"CLR-\\u0000\"" };
    if (dt_chance(r, 70)) {
      dt_buf_puts(b, esc[dt_below(r, 4)]);
    } else {
      dt_buf_puts(b, "\"");
      int n = 200 + (int)dt_below(r, 3000);
      for (int i = 0; i < n; i++)
        dt_buf_put(b, "abcdefgh" + (i & 7), 1);
      dt_buf_puts(b, "\"");
    }
    return;
  }
  static const char *misc[] = {
    "", "a", "r-1001", "SKU-42", "en", "de", "\xc3\xa9t\xc3\xa9",
    "\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x98\x80", "quote\"d", "back\\sl",
    "tab\tnl\n", "clearance", "final-sale", "CLR-1", "  "
  };
  dt_buf_json_str(b, misc[dt_below(r, (int)(sizeof misc / sizeof *misc))]);
}

static void gen_code(struct dt_rng *r, const struct hints *fh,
                     const struct hints *pool, const char **all, int nall,
                     struct dt_buf *b)
{
  const struct hint *h = NULL;
  int c = (int)dt_below(r, 100);
  if (c < 55)
    h = pick_hint(r, fh, H_CODE, H_CODE);
  else if (c < 75)
    h = pick_hint(r, pool, H_CODE, H_CODE);
  const char *s = h && h->s ? h->s : nall ? all[dt_below(r, nall)] : "XX";
  dt_buf_json_str(b, s);
}

static void gen_enum(struct dt_rng *r, const struct hints *fh,
                     const struct type *t, struct dt_buf *b)
{
  const struct decl *e = t->enm;
  const struct hint *h = dt_chance(r, 50) ? pick_hint(r, fh, H_CODE, H_CODE)
                                          : NULL;
  /* A hint might be a member of another enum (a region-like set): only
   * take it when it is one of ours. */
  if (h && h->s)
    for (int i = 0; e && i < e->u.enm.nall; i++)
      if (strcmp(e->u.enm.all[i], h->s) == 0) {
        dt_buf_json_str(b, h->s);
        return;
      }
  if (!e || !e->u.enm.nall) {
    dt_buf_json_str(b, "none");
    return;
  }
  dt_buf_json_str(b, e->u.enm.all[dt_below(r, e->u.enm.nall)]);
}

static void gen_scalar(struct dt_igen *g, struct dt_rng *r,
                       const struct type *t, const struct hints *fh,
                       struct linectx *lc, int is_locale, struct dt_buf *b);

/* The i-th element of a big set, distinct from the others. */
static void gen_distinct(struct dt_rng *r, const struct type *t, int i,
                         struct dt_buf *b)
{
  switch (t ? t->kind : TY_ERROR) {
  case TY_INT: case TY_DURATION:
    json_int(b, (int64_t)i * 7 - 300);
    return;
  case TY_MONEY:
    dt_buf_printf(b, "\"%d\"", i);
    return;
  case TY_PERCENT:
    dt_buf_printf(b, "\"%d.5%%\"", i);
    return;
  case TY_DATE: {
    char s[32];
    date_text(dt_days_from_civil(2020, 1, 1) + i, s, sizeof s);
    dt_buf_printf(b, "\"%s\"", s);
    return;
  }
  case TY_STRING:
    dt_buf_printf(b, "\"t%05d%s\"", i, dt_chance(r, 5) ? "x" : "");
    return;
  default:
    dt_buf_puts(b, "null");
    return;
  }
}

static void gen_set(struct dt_igen *g, struct dt_rng *r, const struct type *t,
                    const struct hints *fh, struct linectx *lc,
                    struct dt_buf *b)
{
  int n = dt_chance(r, 20) ? 0 : (int)dt_below(r, 5);
  /* Now and then a big set: set algebra on it needs scratch memory
   * (64 KiB per decision), where engines may differ in how much they
   * use. */
  int big = dt_below(r, 1000) < 15;
  if (big)
    n = dt_chance(r, 50) ? 100 + (int)dt_below(r, 600)
                         : 1500 + (int)dt_below(r, 3500);
  dt_buf_puts(b, "[");
  struct dt_buf one = { 0 };
  char *prev = NULL;
  for (int i = 0; i < n; i++) {
    if (i)
      dt_buf_puts(b, ",");
    if (prev && dt_chance(r, 10)) {
      dt_buf_puts(b, prev);        /* a duplicate element */
      continue;
    }
    dt_buf_reset(&one);
    if (big && dt_chance(r, 90))
      gen_distinct(r, t->elem, i, &one);
    else
      gen_scalar(g, r, t->elem, fh, lc, 0, &one);
    dt_buf_puts(b, one.p);
    free(prev);
    prev = dt_strdup(one.p);
  }
  free(prev);
  dt_buf_free(&one);
  dt_buf_puts(b, "]");
}

static void gen_scalar(struct dt_igen *g, struct dt_rng *r,
                       const struct type *t, const struct hints *fh,
                       struct linectx *lc, int is_locale, struct dt_buf *b)
{
  char s[32];
  switch (t ? t->kind : TY_ERROR) {
  case TY_BOOL:
    dt_buf_puts(b, dt_chance(r, 50) ? "true" : "false");
    return;
  case TY_INT:
    gen_int(r, fh, g, b);
    return;
  case TY_DURATION: {
    const struct hint *h = pick_hint(r, dt_chance(r, 60) ? fh
                                                        : &g->pool[P_DURATION],
                                     H_DURATION, H_INT);
    if (h && dt_chance(r, 80))
      json_int(b, nudge(r, h->v));
    else
      gen_int(r, NULL, g, b);
    return;
  }
  case TY_MONEY:
    gen_money(r, fh, g, lc, b);
    return;
  case TY_PERCENT:
    gen_percent(r, fh, g, b);
    return;
  case TY_DATE: {
    int64_t d = gen_date_days(r, fh, g, lc);
    date_text(d, s, sizeof s);
    dt_buf_printf(b, "\"%s\"", s);
    return;
  }
  case TY_STRING:
    gen_string(r, fh, g, is_locale, b);
    return;
  case TY_COUNTRY:
    gen_code(r, fh, &g->pool[P_COUNTRY], g->iso->countries,
             g->iso->ncountries, b);
    return;
  case TY_CURRENCY:
    gen_code(r, fh, &g->pool[P_CURRENCY], g->iso->currencies,
             g->iso->ncurrencies, b);
    return;
  case TY_ENUM:
    gen_enum(r, fh, t, b);
    return;
  case TY_SET:
    gen_set(g, r, t, fh, lc, b);
    return;
  default:
    dt_buf_puts(b, "null");
    return;
  }
}

/* A value the decoder must refuse (bad_input) for a field of type t. */
static void gen_malformed(struct dt_rng *r, const struct type *t,
                          struct dt_buf *b)
{
  static const char *any[] = { "{}", "[1]", "\"\"", "true", "1.5" };
  static const char *ints[] = { "2.0", "\"3\"", "99999999999999999999",
                                "-9223372036854775809", "1e3", "0x10" };
  static const char *money[] = { "\"12.5.0\"", "\"abc\"", "\"12.50 EU\"",
                                 "\"12.50 EUX\"", "\"1.0001\"",
                                 "\"99999999999999999999\"", "\"12,50\"",
                                 "\" 12.50\"", "\"+1\"", "\"12.50  EUR\"",
                                 "\"12.50 eur\"", "0.001", "1e400" };
  static const char *pct[] = { "\"15\"", "\"15.12345%\"", "15", "\"%\"",
                               "\"1e2%\"", "\"15 %\"" };
  static const char *date[] = { "\"2026-02-30\"", "\"2026-13-01\"",
                                "\"2026-2-1\"", "20260101", "\"0000-01-01\"",
                                "\"10000-01-01\"", "\"2026-01-01T00:00\"",
                                "\"2025-02-29\"" };
  static const char *str[] = { "5", "[\"a\"]", "\"\\ud800\"",
                               "\"\\udc00x\"" };
  static const char *code[] = { "\"de\"", "\"UK\"", "\"XX\"", "5", "\"EU\"",
                                "\"DEU\"", "\"eur\"", "\"EUX\"", "\"\"" };
  static const char *enm[] = { "\"Apparel\"", "\"nope\"", "3", "\"\"",
                               "\" new\"" };
  static const char *bools[] = { "\"true\"", "0", "1", "\"false\"" };
  static const char *sets[] = { "\"a\"", "[null]", "[[1]]", "{}", "[1,{}]" };
#define PICK(a) dt_buf_puts(b, a[dt_below(r, (int)(sizeof a / sizeof *a))])
  if (dt_chance(r, 10)) {
    PICK(any);
    return;
  }
  switch (t ? t->kind : TY_ERROR) {
  case TY_INT: case TY_DURATION: PICK(ints); return;
  case TY_MONEY: PICK(money); return;
  case TY_PERCENT: PICK(pct); return;
  case TY_DATE: PICK(date); return;
  case TY_STRING: PICK(str); return;
  case TY_COUNTRY: case TY_CURRENCY: PICK(code); return;
  case TY_ENUM: PICK(enm); return;
  case TY_BOOL: PICK(bools); return;
  case TY_SET: PICK(sets); return;
  default: PICK(any); return;
  }
#undef PICK
}

static void gen_id(struct dt_rng *r, long serial, struct dt_line *l)
{
  int c = (int)dt_below(r, 100);
  char *v = NULL;
  if (c < 70)
    v = dt_xprintf("\"r-%ld\"", serial);
  else if (c < 80)
    v = dt_xprintf("%ld", serial);
  else if (c < 84)
    v = dt_strdup("{\"a\":[1,\"x\"],\"b\":null}");
  else if (c < 88)
    v = dt_strdup("null");
  else if (c < 90)
    v = dt_strdup("\"\\u00e9\\\"x\"");
  if (v) {
    dt_line_set(l, "id", v);
    free(v);
  }
}

/* Whole lines the decoder must report as bad_input without crashing. */
static void gen_raw(struct dt_rng *r, struct dt_line *l)
{
  static const char *raws[] = {
    "", " ", "{", "[]", "null", "42", "{\"customer\":", "{}",
    "{\"customer\":{\"country\":\"DE\"}}", "\xff\xfe",
    "{\"customer\":{\"country\":\"D\xff\"}}",
    "{\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\"},"
    "\"item\":{\"price\":\"\\ud800\"},\"request\":{\"date\":\"2026-01-01\"}}",
    "{\"customer\":[],\"order\":1}", "{\"id\":1} x", "\r",
    "{\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\"},"
    "\"item\":{\"price\":\"1.00\"},\"request\":{\"date\":\"2026-01-01\"}}\r",
  };
  l->raw = dt_strdup(raws[dt_below(r, (int)(sizeof raws / sizeof *raws))]);
}

void dt_igen_line(struct dt_igen *g, struct dt_rng *r, struct dt_line *l)
{
  dt_line_free(l);
  if (dt_below(r, 1000) < 3) {
    gen_raw(r, l);
    return;
  }
  struct prog *pg = &g->progs[dt_below(r, g->nprogs)];
  struct program *p = pg->p;
  struct linectx lc;
  memset(&lc, 0, sizeof lc);
  struct dt_buf b = { 0 };
  char code[4];

  gen_id(r, ++g->serial, l);

  /* The order currency first: money fields are drawn in it. */
  static const char *curs[] = { "EUR", "USD", "GBP", "JPY", "KWD", "CHF",
                                "BHD", "ISK", "CLF", "SEK" };
  char litcur[4] = "";
  const struct hint *ch = NULL;
  if (g->lit_total > 0 && dt_chance(r, 70)) {
    /* The currency of a money literal, as often as literals use it. */
    int64_t k = dt_below(r, g->lit_total);
    for (int i = 0; i < g->nlit_cur; i++) {
      if (k < g->lit_cur_n[i]) {
        dt_code_text(g->lit_cur[i], 3, litcur);
        break;
      }
      k -= g->lit_cur_n[i];
    }
  } else if (dt_chance(r, 50)) {
    ch = pick_hint(r, &g->pool[P_CURRENCY], H_CODE, H_CODE);
  }
  if (litcur[0] && dt_iso_exponent(g->iso, litcur) >= 0)
    lc.cur = litcur;
  else if (ch && ch->s)
    lc.cur = ch->s;
  else if (dt_chance(r, 90))
    lc.cur = curs[dt_below(r, 10)];
  else
    lc.cur = g->iso->currencies[dt_below(r, g->iso->ncurrencies)];
  lc.exp = dt_iso_exponent(g->iso, lc.cur);

  /* One field in 50 lines gets a malformed value. */
  int bad = dt_chance(r, 2) ? (int)dt_below(r, pg->nf) : -1;

  for (int k = 0; k < pg->nf; k++) {
    struct field *f = &pg->f[k];
    dt_buf_reset(&b);
    if (k == bad) {
      gen_malformed(r, f->t, &b);
      dt_line_set(l, f->path, b.p);
      continue;
    }
    if (k == pg->cur_field) {
      if (dt_below(r, 1000) < 3)
        continue;
      dt_buf_json_str(&b, lc.cur);
      dt_line_set(l, f->path, b.p);
      continue;
    }
    if (k == pg->country_field) {
      if (dt_below(r, 1000) < 3)
        continue;
      if (p->has_for && p->nfor_countries > 0 && dt_chance(r, 85)) {
        dt_code_text(p->for_countries[dt_below(r, p->nfor_countries)], 2,
                     code);
        dt_buf_json_str(&b, code);
      } else {
        gen_scalar(g, r, f->t, &f->hints, &lc, 0, &b);
      }
      dt_line_set(l, f->path, b.p);
      continue;
    }
    int miss = f->required ? 3 : f->optional ? 120 : 400;   /* per mille */
    if (dt_below(r, 1000) < miss) {
      if (dt_chance(r, 15))
        dt_line_set(l, f->path, "null");
      continue;
    }
    int is_locale = strcmp(f->path, "request.locale") == 0;
    if (f->t && f->t->kind == TY_DATE) {
      int64_t d = gen_date_days(r, &f->hints, g, &lc);
      char s[32];
      date_text(d, s, sizeof s);
      if (lc.ndates < 16)
        lc.dates[lc.ndates++] = d;
      dt_buf_printf(&b, "\"%s\"", s);
    } else {
      gen_scalar(g, r, f->t, &f->hints, &lc, is_locale, &b);
    }
    dt_line_set(l, f->path, b.p);
    /* Now and then the same key twice: the last one wins. */
    if (dt_chance(r, 1)) {
      dt_buf_reset(&b);
      gen_scalar(g, r, f->t, &f->hints, &lc, is_locale, &b);
      dt_line_set(l, f->path, b.p);
    }
  }
  if (dt_chance(r, 5))
    dt_line_set(l, dt_chance(r, 50) ? "x_extra" : "item.x_unknown",
                "{\"a\":[1,2],\"b\":\"c\"}");
  dt_buf_free(&b);

  /* Shuffle a little: key order must not matter. */
  if (dt_chance(r, 20) && l->n > 2) {
    int i = (int)dt_below(r, l->n), j = (int)dt_below(r, l->n);
    struct dt_kv t = l->kv[i];
    l->kv[i] = l->kv[j];
    l->kv[j] = t;
  }
}

/* ------------------------------------------------------------ shrinking */

static const struct field *field_by_path(struct dt_igen *g, const char *path)
{
  for (int i = 0; i < g->nprogs; i++)
    for (int k = 0; k < g->progs[i].nf; k++)
      if (strcmp(g->progs[i].f[k].path, path) == 0)
        return &g->progs[i].f[k];
  return NULL;
}

/* Splits a JSON array's text into its top-level elements (pointers into
 * val and lengths); returns the count, -1 if val is not an array. */
static int split_array(const char *val, const char **el, int *len, int max)
{
  const char *p = val;
  while (*p == ' ')
    p++;
  if (*p != '[')
    return -1;
  p++;
  int n = 0, depth = 0, in_str = 0;
  const char *start = NULL;
  for (; *p; p++) {
    char c = *p;
    if (!start && c != ' ' && c != ']' && !(c == ',' && !depth))
      start = p;
    if (in_str) {
      if (c == '\\' && p[1])
        p++;
      else if (c == '"')
        in_str = 0;
      continue;
    }
    if (c == '"') {
      in_str = 1;
    } else if (c == '[' || c == '{') {
      depth++;
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    } else if ((c == ',' || c == ']') && depth == 0) {
      if (start && n < max) {
        el[n] = start;
        len[n++] = (int)(p - start);
      }
      start = NULL;
      if (c == ']')
        break;
    }
  }
  return n;
}

static char *join_array(const char **el, const int *len, int from, int to)
{
  struct dt_buf b = { 0 };
  dt_buf_puts(&b, "[");
  for (int i = from; i < to; i++) {
    if (i > from)
      dt_buf_puts(&b, ",");
    dt_buf_put(&b, el[i], (size_t)len[i]);
  }
  dt_buf_puts(&b, "]");
  return b.p;
}

int dt_igen_simpler(struct dt_igen *g, const char *path, const char *val,
                    char **out, int max)
{
  /* Arrays: halves first (big sets shrink fast), then one element less. */
  if (val[0] == '[' && max >= 3) {
    enum { MAXEL = 8192 };
    const char **el = dt_xcalloc(MAXEL, sizeof *el);
    int *len = dt_xcalloc(MAXEL, sizeof *len);
    int n = split_array(val, el, len, MAXEL), k = 0;
    if (n >= 2) {
      out[k++] = join_array(el, len, 0, n / 2);
      out[k++] = join_array(el, len, n / 2, n);
      out[k++] = join_array(el, len, 1, n);
    }
    free(el);
    free(len);
    if (k)
      return k;
  }
  const struct field *f = field_by_path(g, path);
  const char *cands[8];
  int nc = 0;
  char first_member[128] = "";
  switch (f && f->t ? f->t->kind : TY_ERROR) {
  case TY_INT: case TY_DURATION:
    cands[nc++] = "0";
    cands[nc++] = "1";
    break;
  case TY_MONEY:
    cands[nc++] = "\"0\"";
    cands[nc++] = "\"1\"";
    cands[nc++] = "\"100\"";
    break;
  case TY_PERCENT:
    cands[nc++] = "\"0%\"";
    cands[nc++] = "\"10%\"";
    break;
  case TY_DATE:
    cands[nc++] = "\"2026-01-01\"";
    break;
  case TY_STRING:
    cands[nc++] = "\"\"";
    cands[nc++] = "\"a\"";
    break;
  case TY_BOOL:
    cands[nc++] = "false";
    break;
  case TY_SET:
    cands[nc++] = "[]";
    break;
  case TY_ENUM:
    if (f->t->enm && f->t->enm->u.enm.nall) {
      snprintf(first_member, sizeof first_member, "\"%s\"",
               f->t->enm->u.enm.all[0]);
      cands[nc++] = first_member;
    }
    break;
  case TY_COUNTRY:
    cands[nc++] = "\"DE\"";
    cands[nc++] = "\"US\"";
    break;
  case TY_CURRENCY:
    cands[nc++] = "\"EUR\"";
    break;
  default:
    cands[nc++] = "null";
    break;
  }
  int n = 0;
  for (int i = 0; i < nc && n < max; i++)
    if (strcmp(cands[i], val) != 0)
      out[n++] = dt_strdup(cands[i]);
  /* Money with a currency suffix: try it without. */
  if (f && f->t && f->t->kind == TY_MONEY && n < max && val[0] == '"') {
    const char *sp = strchr(val, ' ');
    if (sp) {
      char *v = dt_xprintf("%.*s\"", (int)(sp - val), val);
      out[n++] = v;
    }
  }
  return n;
}
