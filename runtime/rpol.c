/* rpol.c: runtimes, policies and decisions.
 *
 * A policy is built from an artifact (rpol_abi.h): the evaluators plus the
 * metadata document the compiler's layout wrote (docs/artifacts.md).  The
 * metadata is parsed once here into flat tables (fields, outputs, enums,
 * routing by country, currency exponents, locations, codes, messages), so
 * that decoding a line and deciding it never look at JSON metadata again.
 * rpol_decide is the per-line hot path: it resets preallocated buffers and
 * calls the evaluator; nothing on it allocates.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "internal.h"
#include "value.h"

struct rpol_runtime {
  rpol_alloc_fn f;
  void *ud;
  int refs;              /* atomic: the host's plus one per policy */
  char *cache_dir;       /* rpol_runtime_set_cache_dir; NULL: none */
  size_t cache_dir_size;
  rpol_jit_mode jit_mode;
  char errmsg[1024];
};

const char *const rt_standard_outputs[OUT_NSTD] = {
  "eligible", "refund_method", "shipping_payer", "restocking_fee",
  "return_shipping_fee", "shipping_refund", "duties_refund",
  "refund_amount", "refund_trigger", "return_required", "window",
  "refund_within", "route"
};

/* ---- allocation ----------------------------------------------------------- */

static void *libc_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
  (void)ud;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  return realloc(ptr, nsize);
}

void *rt_alloc(rpol_runtime *rt, size_t n)
{
  void *p = rt->f(rt->ud, NULL, 0, n ? n : 1);

  if (p)
    memset(p, 0, n ? n : 1);
  return p;
}

void *rt_realloc(rpol_runtime *rt, void *p, size_t o, size_t n)
{
  return rt->f(rt->ud, p, o, n);
}

void rt_free(rpol_runtime *rt, void *p, size_t n)
{
  if (p)
    rt->f(rt->ud, p, n ? n : 1, 0);
}

void rt_seterr(rpol_runtime *rt, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(rt->errmsg, sizeof rt->errmsg, fmt, ap);
  va_end(ap);
}

#define CHUNK_MIN 4096
#define ALIGN16(n) (((n) + 15) & ~(size_t)15)
#define CHUNK_HDR ALIGN16(sizeof(struct rt_chunk))

void *rt_arena_get(struct rt_arena *a, size_t n)
{
  struct rt_chunk *c = a->cur;
  size_t want = ALIGN16(n ? n : 1);

  /* Reuse the chunks kept by rt_arena_reset before adding new ones. */
  while (c && c->cap - c->used < want) {
    c = c->next;
    if (c)
      c->used = 0;
  }
  if (!c) {
    size_t cap = want < CHUNK_MIN ? CHUNK_MIN : want;
    c = rt_alloc(a->rt, CHUNK_HDR + cap);
    if (!c)
      return NULL;
    c->cap = cap;
    /* Append after the current chunk so reuse order stays stable. */
    if (a->cur) {
      c->next = a->cur->next;
      a->cur->next = c;
    } else {
      a->head = c;
    }
  }
  a->cur = c;
  c->used += want;
  return (char *)c + CHUNK_HDR + c->used - want;
}

char *rt_arena_strdup(struct rt_arena *a, const char *s, size_t n)
{
  char *d = rt_arena_get(a, n + 1);

  if (d) {
    if (n)
      memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

void rt_arena_reset(struct rt_arena *a)
{
  a->cur = a->head;
  if (a->cur)
    a->cur->used = 0;
}

void rt_arena_release(struct rt_arena *a)
{
  struct rt_chunk *c = a->head, *next;

  while (c) {
    next = c->next;
    rt_free(a->rt, c, CHUNK_HDR + c->cap);
    c = next;
  }
  a->head = a->cur = NULL;
}

/* ---- library and runtime ------------------------------------------------------ */

int rpol_version(void)
{
  return RPOL_VERSION_NUM;
}

const char *rpol_strerror(rpol_status s)
{
  switch (s) {
  case RPOL_OK: return "success";
  case RPOL_ESYNTAX: return "syntax error in policy";
  case RPOL_ESEMANTIC: return "policy does not type-check";
  case RPOL_ENOMEM: return "out of memory";
  case RPOL_EIO: return "cannot read file";
  case RPOL_EABI: return "artifact built for another runtime ABI";
  case RPOL_EJIT: return "code generation failed";
  case RPOL_EARTIFACT: return "not a valid rpol policy artifact";
  case RPOL_ESCHEMA: return "artifact built against another schema";
  case RPOL_EINPUT: return "bad input";
  case RPOL_EMISUSE: return "invalid argument";
  case RPOL_ENOTFOUND: return "no such name";
  case RPOL_ETYPE: return "value of the wrong type for the field";
  }
  return "unknown status";
}

rpol_status rpol_runtime_new(rpol_runtime **out, rpol_alloc_fn f, void *ud)
{
  rpol_runtime *rt;

  if (!out)
    return RPOL_EMISUSE;
  *out = NULL;
  if (!f)
    f = libc_alloc;
  rt = f(ud, NULL, 0, sizeof *rt);
  if (!rt)
    return RPOL_ENOMEM;
  memset(rt, 0, sizeof *rt);
  rt->f = f;
  rt->ud = ud;
  rt->refs = 1;
  *out = rt;
  return RPOL_OK;
}

static void runtime_unref(rpol_runtime *rt)
{
  if (rt && __atomic_sub_fetch(&rt->refs, 1, __ATOMIC_ACQ_REL) == 0) {
    if (rt->cache_dir)
      rt->f(rt->ud, rt->cache_dir, rt->cache_dir_size, 0);
    rt->f(rt->ud, rt, sizeof *rt, 0);
  }
}

void rpol_runtime_free(rpol_runtime *rt)
{
  runtime_unref(rt);
}

rpol_status rpol_runtime_set_cache_dir(rpol_runtime *rt, const char *dir)
{
  if (!rt)
    return RPOL_EMISUSE;
  char *copy = NULL;
  size_t n = dir ? strlen(dir) + 1 : 0;
  if (dir && !*dir)
    return RPOL_EMISUSE;
  if (dir) {
    copy = rt->f(rt->ud, NULL, 0, n);
    if (!copy)
      return RPOL_ENOMEM;
    memcpy(copy, dir, n);
  }
  if (rt->cache_dir)
    rt->f(rt->ud, rt->cache_dir, rt->cache_dir_size, 0);
  rt->cache_dir = copy;
  rt->cache_dir_size = n;
  return RPOL_OK;
}

const char *rt_cache_dir(const rpol_runtime *rt)
{
  return rt->cache_dir;
}

rpol_status rpol_runtime_set_jit_mode(rpol_runtime *rt, rpol_jit_mode mode)
{
  if (!rt || (mode != RPOL_JIT_TIERED && mode != RPOL_JIT_OPTIMISED &&
              mode != RPOL_JIT_QUICK))
    return RPOL_EMISUSE;
  rt->jit_mode = mode;
  return RPOL_OK;
}

rpol_jit_mode rt_jit_mode(const rpol_runtime *rt)
{
  return rt->jit_mode;
}

const char *rpol_errmsg(const rpol_runtime *rt)
{
  return rt ? rt->errmsg : "no runtime";
}

/* ---- metadata ---------------------------------------------------------------- */

/* The parser's state: where in the document we are, for messages. */
struct mp {
  rpol_runtime *rt;
  rpol_policy *p;
  struct rt_arena *a;
  int nomem;
};

static int md_bad(struct mp *m, const char *where, const char *what)
{
  if (!m->nomem)
    rt_seterr(m->rt, "corrupted metadata: %s: %s (rebuild the artifact "
              "with rpolc build)", where, what);
  return -1;
}

static int md_nomem(struct mp *m)
{
  m->nomem = 1;
  rt_seterr(m->rt, "out of memory while loading the policy");
  return -1;
}

static json_object *md_get(json_object *o, const char *key, json_type t)
{
  json_object *v;

  if (!o || !json_object_object_get_ex(o, key, &v) || !v)
    return NULL;
  return json_object_is_type(v, t) ? v : NULL;
}

static const char *md_str(struct mp *m, json_object *v)
{
  const char *s = rt_arena_strdup(m->a, json_object_get_string(v),
                               (size_t)json_object_get_string_len(v));
  if (!s)
    md_nomem(m);
  return s;
}

static const char *const kind_names[] = {
  "bool", "int", "money", "percent", "date", "duration", "string",
  "country", "currency", "enum", "set"
};

const char *rt_kind_name(int kind)
{
  if (kind == RT_K_VERDICT)
    return "verdict";
  if (kind >= 0 && kind <= RPOL_K_SET)
    return kind_names[kind];
  return "?";
}

static int kind_of(const char *s)
{
  int i;

  for (i = 0; i <= RPOL_K_SET; i++)
    if (strcmp(s, kind_names[i]) == 0)
      return i;
  if (strcmp(s, "verdict") == 0)
    return RT_K_VERDICT;
  return -1;
}

static int find_enum(const struct rt_sub *s, const char *name)
{
  int i;

  for (i = 0; i < s->nenums; i++)
    if (strcmp(s->enums[i].name, name) == 0)
      return i;
  return -1;
}

/* Reads "type", "elem" and "enum" of an input or output entry. */
static int md_type(struct mp *m, const struct rt_sub *s, json_object *o,
                   const char *where, int allow_verdict, int *kind,
                   int *elem, int *enm)
{
  json_object *t = md_get(o, "type", json_type_string);
  json_object *e, *en;

  *elem = -1;
  *enm = -1;
  if (!t)
    return md_bad(m, where, "no \"type\"");
  *kind = kind_of(json_object_get_string(t));
  if (*kind < 0 || (*kind == RT_K_VERDICT && !allow_verdict))
    return md_bad(m, where, "unknown type");
  if (*kind == RPOL_K_SET) {
    e = md_get(o, "elem", json_type_string);
    if (!e)
      return md_bad(m, where, "a set without \"elem\"");
    *elem = kind_of(json_object_get_string(e));
    if (*elem < 0 || *elem == RPOL_K_SET || *elem == RT_K_VERDICT)
      return md_bad(m, where, "bad set element type");
  }
  if (*kind == RPOL_K_ENUM || *elem == RPOL_K_ENUM) {
    en = md_get(o, "enum", json_type_string);
    if (!en)
      return md_bad(m, where, "an enum type without \"enum\"");
    *enm = find_enum(s, json_object_get_string(en));
    if (*enm < 0)
      return md_bad(m, where, "undeclared enum");
  }
  return 0;
}

static int md_enums(struct mp *m, struct rt_sub *s, json_object *o,
                    const char *where)
{
  int n = 0, i, j, k;
  struct json_object_iterator it, end;

  if (!o) {
    s->nenums = 0;
    return 0;
  }
  n = json_object_object_length(o);
  s->enums = rt_arena_get(m->a, sizeof *s->enums * (size_t)(n ? n : 1));
  if (!s->enums)
    return md_nomem(m);
  it = json_object_iter_begin(o);
  end = json_object_iter_end(o);
  for (i = 0; !json_object_iter_equal(&it, &end);
       json_object_iter_next(&it), i++) {
    struct rt_enum *e = &s->enums[i];
    json_object *arr = json_object_iter_peek_value(&it);
    const char *name = json_object_iter_peek_name(&it);

    e->name = rt_arena_strdup(m->a, name, strlen(name));
    if (!e->name)
      return md_nomem(m);
    if (!json_object_is_type(arr, json_type_array))
      return md_bad(m, where, "an enum is not an array of members");
    e->n = (int)json_object_array_length(arr);
    e->members = rt_arena_get(m->a, sizeof *e->members * (size_t)(e->n + 1));
    e->by_name = rt_arena_get(m->a, sizeof *e->by_name * (size_t)(e->n + 1));
    if (!e->members || !e->by_name)
      return md_nomem(m);
    for (j = 0; j < e->n; j++) {
      json_object *mv = json_object_array_get_idx(arr, (size_t)j);
      if (!json_object_is_type(mv, json_type_string))
        return md_bad(m, where, "an enum member is not a string");
      if (!(e->members[j] = md_str(m, mv)))
        return -1;
    }
    /* Insertion sort of member indexes by name: enums are small, and sets
     * of enum members are written in code-point order of the names. */
    for (j = 0; j < e->n; j++) {
      for (k = j; k > 0 && strcmp(e->members[e->by_name[k - 1]],
                                  e->members[j]) > 0; k--)
        e->by_name[k] = e->by_name[k - 1];
      e->by_name[k] = j;
    }
  }
  s->nenums = n;
  return 0;
}

/* A money default as a not-yet-converted amount (see rt_pmoney). */
static int md_pmoney(struct mp *m, const rpol_policy *p, json_object *v,
                     struct rt_pmoney *out, const char *where)
{
  const char *t;
  size_t n, sp;

  if (json_object_is_type(v, json_type_int) ||
      json_object_is_type(v, json_type_double)) {
    t = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
    n = strlen(t);
    out->cur = -1;
  } else if (json_object_is_type(v, json_type_string)) {
    t = json_object_get_string(v);
    n = (size_t)json_object_get_string_len(v);
    out->cur = -1;
    sp = 0;
    while (sp < n && t[sp] != ' ')
      sp++;
    if (sp < n) {
      char code[4] = {0};
      if (n - sp != 4)
        return md_bad(m, where, "a bad money default");
      memcpy(code, t + sp + 1, 3);
      out->cur = rpol_currency_code(code);
      if (out->cur < 0 || p->cur_exp[out->cur] < 0)
        return md_bad(m, where, "a money default in an unknown currency");
      n = sp;
    }
  } else {
    return md_bad(m, where, "a bad money default");
  }
  if (decode_decimal(t, n, &out->mant, &out->scale))
    return md_bad(m, where, "a bad money default");
  return 0;
}

static int md_field(struct mp *m, struct rt_sub *s, json_object *o,
                    struct rt_field *f, const char *where)
{
  json_object *path = md_get(o, "path", json_type_string), *req, *def;
  int kind, elem, enm, i, n;
  char *segbuf;
  char msg[300];

  if (!path)
    return md_bad(m, where, "an input without \"path\"");
  if (!(f->path = md_str(m, path)))
    return -1;
  if (md_type(m, s, o, where, 0, &kind, &elem, &enm))
    return -1;
  f->kind = (uint8_t)kind;
  f->elem_kind = (uint8_t)(elem < 0 ? 0 : elem);
  f->enm = enm;
  req = md_get(o, "required", json_type_boolean);
  f->required = req && json_object_get_boolean(req);

  /* Path segments, split once for decoding. */
  n = 1;
  for (i = 0; f->path[i]; i++)
    n += f->path[i] == '.';
  f->segs = rt_arena_get(m->a, sizeof *f->segs * (size_t)n);
  segbuf = rt_arena_strdup(m->a, f->path, strlen(f->path));
  if (!f->segs || !segbuf)
    return md_nomem(m);
  f->nsegs = 0;
  f->segs[f->nsegs++] = segbuf;
  for (i = 0; segbuf[i]; i++)
    if (segbuf[i] == '.') {
      segbuf[i] = '\0';
      f->segs[f->nsegs++] = segbuf + i + 1;
    }
  for (i = 0; i < f->nsegs; i++)
    if (!f->segs[i][0])
      return md_bad(m, where, "an empty path segment");

  if (!json_object_object_get_ex(o, "default", &def)) {
    f->def = DEF_NONE;
    return 0;
  }
  if (f->required)
    return md_bad(m, where, "a required field with a default");
  if (!def)
    return md_bad(m, where, "a null default");
  if (f->kind == RPOL_K_MONEY ||
      (f->kind == RPOL_K_SET && f->elem_kind == RPOL_K_MONEY)) {
    /* Money defaults are relative to the order currency, so they are
     * converted per line (input_finish), from this parsed form. */
    f->def = DEF_MONEY;
    f->dmoney_loc = -1;
    if (f->kind == RPOL_K_MONEY) {
      json_object *at;
      if (json_object_object_get_ex(o, "default_at", &at) &&
          json_object_is_type(at, json_type_int))
        f->dmoney_loc = json_object_get_int(at);
      f->ndmoney = 1;
      f->dmoney = rt_arena_get(m->a, sizeof *f->dmoney);
      if (!f->dmoney)
        return md_nomem(m);
      return md_pmoney(m, m->p, def, f->dmoney, where);
    }
    if (!json_object_is_type(def, json_type_array))
      return md_bad(m, where, "a set default is not an array");
    f->ndmoney = (int)json_object_array_length(def);
    f->dmoney = rt_arena_get(m->a, sizeof *f->dmoney * (size_t)(f->ndmoney + 1));
    if (!f->dmoney)
      return md_nomem(m);
    for (i = 0; i < f->ndmoney; i++)
      if (md_pmoney(m, m->p, json_object_array_get_idx(def, (size_t)i),
                    &f->dmoney[i], where))
        return -1;
    f->reserve = (int64_t)sizeof(struct rpol_money) * f->ndmoney;
    return 0;
  }
  f->def = DEF_VALUE;
  if (decode_value(m->p, s, f, def, -1, m->a, &f->dval, msg, sizeof msg))
    return md_bad(m, where, msg);
  return 0;
}

static int md_output(struct mp *m, struct rt_sub *s, json_object *o,
                     struct rt_output *out, int idx, const char *where)
{
  json_object *name = md_get(o, "name", json_type_string), *dec;

  if (!name)
    return md_bad(m, where, "an output without \"name\"");
  if (!(out->name = md_str(m, name)))
    return -1;
  if (idx < OUT_NSTD && strcmp(out->name, rt_standard_outputs[idx]))
    return md_bad(m, where, "the standard outputs are not in §6 order");
  if (md_type(m, s, o, where, idx == OUT_ELIGIBLE, &out->kind,
              &out->elem_kind, &out->enm))
    return -1;
  if ((idx == OUT_ELIGIBLE) != (out->kind == RT_K_VERDICT))
    return md_bad(m, where, "only eligible is a verdict");
  dec = md_get(o, "decided", json_type_boolean);
  out->decided = dec ? json_object_get_boolean(dec) : -1;
  return 0;
}

static int field_index(const struct rt_sub *s, const char *path, int kind)
{
  int i;

  for (i = 0; i < s->nfields; i++)
    if (strcmp(s->fields[i].path, path) == 0)
      return s->fields[i].kind == kind ? i : -1;
  return -1;
}

static int md_sub(struct mp *m, json_object *o, int idx)
{
  rpol_policy *p = m->p;
  struct rt_sub *s = &p->subs[idx];
  json_object *v, *ins, *outs, *forv;
  char where[160];
  int i, n;
  int64_t off = 0;

  snprintf(where, sizeof where, "policies[%d]", idx);
  if (!json_object_is_type(o, json_type_object))
    return md_bad(m, where, "not an object");
  if (!(v = md_get(o, "name", json_type_string)) || !(s->name = md_str(m, v)))
    return m->nomem ? -1 : md_bad(m, where, "no \"name\"");
  if (!(v = md_get(o, "version", json_type_string)) ||
      !(s->version = md_str(m, v)))
    return m->nomem ? -1 : md_bad(m, where, "no \"version\"");
  v = md_get(o, "file", json_type_string);
  s->file = v ? md_str(m, v) : "";
  if (!s->file)
    return -1;
  if (md_enums(m, s, md_get(o, "enums", json_type_object), where))
    return -1;

  /* Routing: "for" lists the countries this policy serves; null makes it
   * the fallback. */
  if (!json_object_object_get_ex(o, "for", &forv))
    return md_bad(m, where, "no \"for\"");
  if (!forv) {
    s->fallback = 1;
  } else if (json_object_is_type(forv, json_type_array)) {
    n = (int)json_object_array_length(forv);
    for (i = 0; i < n; i++) {
      json_object *c = json_object_array_get_idx(forv, (size_t)i);
      int code = c && json_object_is_type(c, json_type_string)
                 ? rpol_country_code(json_object_get_string(c)) : -1;
      if (code < 0)
        return md_bad(m, where, "\"for\" holds a bad country code");
      if (p->route[code] >= 0 && p->route[code] != idx)
        return md_bad(m, where, "two policies serve one country");
      p->route[code] = (int16_t)idx;
    }
  } else {
    return md_bad(m, where, "\"for\" is neither an array nor null");
  }

  ins = md_get(o, "inputs", json_type_array);
  outs = md_get(o, "outputs", json_type_array);
  if (!ins || !outs)
    return md_bad(m, where, "no \"inputs\" or \"outputs\"");
  s->nfields = (int)json_object_array_length(ins);
  s->noutputs = (int)json_object_array_length(outs);
  if (s->noutputs < OUT_NSTD)
    return md_bad(m, where, "fewer than the 13 standard outputs");
  s->fields = rt_arena_get(m->a, sizeof *s->fields * (size_t)(s->nfields + 1));
  s->outputs = rt_arena_get(m->a, sizeof *s->outputs * (size_t)s->noutputs);
  if (!s->fields || !s->outputs)
    return md_nomem(m);
  memset(s->fields, 0, sizeof *s->fields * (size_t)(s->nfields + 1));
  memset(s->outputs, 0, sizeof *s->outputs * (size_t)s->noutputs);
  for (i = 0; i < s->nfields; i++) {
    snprintf(where, sizeof where, "policies[%d].inputs[%d]", idx, i);
    if (md_field(m, s, json_object_array_get_idx(ins, (size_t)i),
                 &s->fields[i], where))
      return -1;
    if (s->fields[i].reserve) {
      int64_t r = s->fields[i].reserve;
      s->fields[i].reserve = off;     /* from now on: the offset */
      off += (r + 15) & ~(int64_t)15;
    } else {
      s->fields[i].reserve = -1;
    }
  }
  s->reserve = off;
  for (i = 0; i < s->noutputs; i++) {
    snprintf(where, sizeof where, "policies[%d].outputs[%d]", idx, i);
    if (md_output(m, s, json_object_array_get_idx(outs, (size_t)i),
                  &s->outputs[i], i, where))
      return -1;
  }
  s->f_country = field_index(s, "customer.country", RPOL_K_COUNTRY);
  s->f_currency = field_index(s, "order.currency", RPOL_K_CURRENCY);
  s->f_delivered = field_index(s, "order.delivered_at", RPOL_K_DATE);
  s->f_request_date = field_index(s, "request.date", RPOL_K_DATE);
  s->f_locale = field_index(s, "request.locale", RPOL_K_STRING);
  if (s->nfields > p->max_fields)
    p->max_fields = s->nfields;
  if (s->noutputs > p->max_outputs)
    p->max_outputs = s->noutputs;
  if (s->reserve > p->max_reserve)
    p->max_reserve = s->reserve;
  return 0;
}

static int md_strings(struct mp *m, json_object *arr, const char ***out,
                      int *n, const char *where)
{
  int i;

  if (!arr)
    return md_bad(m, where, "missing or not an array");
  *n = (int)json_object_array_length(arr);
  *out = rt_arena_get(m->a, sizeof **out * (size_t)(*n + 1));
  if (!*out)
    return md_nomem(m);
  for (i = 0; i < *n; i++) {
    json_object *v = json_object_array_get_idx(arr, (size_t)i);
    if (!json_object_is_type(v, json_type_string))
      return md_bad(m, where, "holds a non-string");
    if (!((*out)[i] = md_str(m, v)))
      return -1;
  }
  return 0;
}

static int md_messages(struct mp *m, json_object *o)
{
  rpol_policy *p = m->p;
  struct json_object_iterator it, end;
  int i, j, n;

  p->messages = rt_arena_get(m->a, sizeof *p->messages * (size_t)(p->ncodes + 1));
  if (!p->messages)
    return md_nomem(m);
  memset(p->messages, 0, sizeof *p->messages * (size_t)(p->ncodes + 1));
  if (!o)
    return 0;
  it = json_object_iter_begin(o);
  end = json_object_iter_end(o);
  for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
    const char *code = json_object_iter_peek_name(&it);
    json_object *texts = json_object_iter_peek_value(&it);
    struct json_object_iterator lt, lend;
    struct rt_message *msg = NULL;

    for (i = 0; i < p->ncodes; i++)
      if (strcmp(p->codes[i], code) == 0)
        msg = &p->messages[i];
    if (!json_object_is_type(texts, json_type_object))
      return md_bad(m, "messages", "not an object of texts by locale");
    if (!msg)
      continue;       /* a message for a code no verdict uses */
    n = json_object_object_length(texts);
    msg->locales = rt_arena_get(m->a, sizeof *msg->locales * (size_t)(n + 1));
    msg->texts = rt_arena_get(m->a, sizeof *msg->texts * (size_t)(n + 1));
    if (!msg->locales || !msg->texts)
      return md_nomem(m);
    lt = json_object_iter_begin(texts);
    lend = json_object_iter_end(texts);
    for (j = 0; !json_object_iter_equal(&lt, &lend);
         json_object_iter_next(&lt), j++) {
      const char *loc = json_object_iter_peek_name(&lt);
      json_object *t = json_object_iter_peek_value(&lt);
      if (!json_object_is_type(t, json_type_string))
        return md_bad(m, "messages", "a text is not a string");
      msg->locales[j] = rt_arena_strdup(m->a, loc, strlen(loc));
      if (!msg->locales[j] || !(msg->texts[j] = md_str(m, t)))
        return md_nomem(m);
    }
    msg->n = n;
  }
  return 0;
}

static int md_externs(struct mp *m, json_object *arr)
{
  rpol_policy *p = m->p;
  int i, j, n;
  char sig[512];

  n = arr ? (int)json_object_array_length(arr) : 0;
  p->nexterns = n;
  p->externs = rt_arena_get(m->a, sizeof *p->externs * (size_t)(n + 1));
  if (!p->externs)
    return md_nomem(m);
  for (i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(arr, (size_t)i);
    json_object *name = md_get(e, "name", json_type_string);
    json_object *params = md_get(e, "params", json_type_array);
    json_object *res = md_get(e, "result", json_type_string);
    size_t len;

    if (!name || !params || !res)
      return md_bad(m, "externs", "an extern needs name, params, result");
    if (!(p->externs[i].name = md_str(m, name)))
      return -1;
    len = (size_t)snprintf(sig, sizeof sig, "%s(", p->externs[i].name);
    for (j = 0; j < (int)json_object_array_length(params); j++) {
      json_object *t = json_object_array_get_idx(params, (size_t)j);
      if (!json_object_is_type(t, json_type_string))
        return md_bad(m, "externs", "a parameter type is not a string");
      if (len < sizeof sig)
        len += (size_t)snprintf(sig + len, sizeof sig - len, "%s%s",
                                j ? ", " : "", json_object_get_string(t));
    }
    if (len < sizeof sig)
      snprintf(sig + len, sizeof sig - len, ") -> %s",
               json_object_get_string(res));
    if (!(p->externs[i].sig = rt_arena_strdup(m->a, sig, strlen(sig))))
      return md_nomem(m);
  }
  return 0;
}

static int md_parse(struct mp *m, json_object *root)
{
  rpol_policy *p = m->p;
  json_object *v, *pols;
  struct json_object_iterator it, end;
  int i, fallback = -1;

  if (!json_object_is_type(root, json_type_object))
    return md_bad(m, "document", "not a JSON object");
  v = md_get(root, "format", json_type_string);
  if (!v || strcmp(json_object_get_string(v), "rpol-artifact"))
    return md_bad(m, "format", "not \"rpol-artifact\"");
  v = md_get(root, "abi", json_type_int);
  if (!v || json_object_get_int64(v) != (int64_t)p->art->abi_version)
    return md_bad(m, "abi", "disagrees with the artifact header");
  v = md_get(root, "compiler", json_type_string);
  p->compiler = v ? md_str(m, v) : "";
  v = md_get(root, "schema_hash", json_type_string);
  if (!v)
    return md_bad(m, "schema_hash", "missing or not a string");
  p->schema_hash = md_str(m, v);
  if (!p->compiler || !p->schema_hash)
    return -1;
#ifdef RPOL_SCHEMA_HASH
  if (strcmp(p->schema_hash, RPOL_SCHEMA_HASH) != 0) {
    rt_seterr(m->rt, "policy built against prelude schema %.16s, this "
              "runtime has schema %.16s: rebuild with rpolc build",
              p->schema_hash, RPOL_SCHEMA_HASH);
    return -2;
  }
#endif

  memset(p->cur_exp, -1, sizeof p->cur_exp);
  v = md_get(root, "currencies", json_type_object);
  if (!v)
    return md_bad(m, "currencies", "missing or not an object");
  it = json_object_iter_begin(v);
  end = json_object_iter_end(v);
  for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
    int code = rpol_currency_code(json_object_iter_peek_name(&it));
    json_object *e = json_object_iter_peek_value(&it);
    int64_t x = json_object_is_type(e, json_type_int)
                ? json_object_get_int64(e) : -1;
    if (code < 0 || x < 0 || x > 18)
      return md_bad(m, "currencies", "a bad code or exponent");
    p->cur_exp[code] = (int8_t)x;
  }
  v = md_get(root, "countries", json_type_array);
  if (!v)
    return md_bad(m, "countries", "missing or not an array");
  for (i = 0; i < (int)json_object_array_length(v); i++) {
    json_object *c = json_object_array_get_idx(v, (size_t)i);
    int code = json_object_is_type(c, json_type_string)
               ? rpol_country_code(json_object_get_string(c)) : -1;
    if (code < 0)
      return md_bad(m, "countries", "a bad country code");
    p->country_ok[code] = 1;
  }
  if (md_strings(m, md_get(root, "locations", json_type_array),
                 &p->locations, &p->nlocations, "locations") ||
      md_strings(m, md_get(root, "codes", json_type_array), &p->codes,
                 &p->ncodes, "codes") ||
      md_messages(m, md_get(root, "messages", json_type_object)) ||
      md_externs(m, md_get(root, "externs", json_type_array)))
    return -1;

  pols = md_get(root, "policies", json_type_array);
  if (!pols || json_object_array_length(pols) == 0)
    return md_bad(m, "policies", "missing or empty");
  if (json_object_array_length(pols) != p->art->npolicies)
    return md_bad(m, "policies", "count disagrees with the artifact header");
  p->nsubs = (int)p->art->npolicies;
  p->subs = rt_arena_get(m->a, sizeof *p->subs * (size_t)p->nsubs);
  if (!p->subs)
    return md_nomem(m);
  memset(p->subs, 0, sizeof *p->subs * (size_t)p->nsubs);
  for (i = 0; i < RPOL_NCOUNTRY_CODES; i++)
    p->route[i] = -1;
  for (i = 0; i < p->nsubs; i++) {
    if (md_sub(m, json_object_array_get_idx(pols, (size_t)i), i))
      return -1;
    if (p->subs[i].fallback) {
      if (fallback >= 0)
        return md_bad(m, "policies", "two fallback policies");
      fallback = i;
    }
  }
  if (fallback >= 0)
    for (i = 0; i < RPOL_NCOUNTRY_CODES; i++)
      if (p->route[i] < 0)
        p->route[i] = (int16_t)fallback;
  return 0;
}

/* ---- policies ------------------------------------------------------------------ */

static void policy_destroy(rpol_policy *p)
{
  rpol_runtime *rt = p->rt;

  if (p->release)
    p->release(p->release_ud);
  rt_arena_release(&p->arena);
  rt_free(rt, p, sizeof *p);
  runtime_unref(rt);
}

rpol_status rpol_policy_from_artifact(rpol_runtime *rt,
                                      const struct rpol_artifact *art,
                                      void *const *hosts,
                                      void (*release)(void *ud),
                                      void *release_ud, rpol_policy **out)
{
  rpol_policy *p;
  struct json_tokener *tok;
  json_object *root;
  struct mp m;
  int rc, i;

  if (!rt || !out)
    return RPOL_EMISUSE;
  *out = NULL;
  rt->errmsg[0] = '\0';
  if (!art || art->magic != RPOL_ARTIFACT_MAGIC) {
    rt_seterr(rt, "bad magic number: not an rpol policy artifact");
    return RPOL_EARTIFACT;
  }
  if (art->abi_version != RPOL_ABI_VERSION) {
    rt_seterr(rt, "built for rpol ABI %u, this runtime is ABI %d: rebuild "
              "with rpolc build", art->abi_version, RPOL_ABI_VERSION);
    return RPOL_EABI;
  }
  if (art->struct_size < sizeof *art || !art->metadata || !art->eval ||
      art->npolicies == 0 || art->npolicies > 30000) {
    rt_seterr(rt, "corrupted artifact header (rebuild with rpolc build)");
    return RPOL_EARTIFACT;
  }
  if (art->metadata_len > (uint64_t)INT32_MAX ||
      strnlen(art->metadata, (size_t)art->metadata_len + 1) !=
          (size_t)art->metadata_len) {
    rt_seterr(rt, "corrupted metadata: its length disagrees with the "
              "artifact header (rebuild with rpolc build)");
    return RPOL_EARTIFACT;
  }
  p = rt_alloc(rt, sizeof *p);
  if (!p) {
    rt_seterr(rt, "out of memory while loading the policy");
    return RPOL_ENOMEM;
  }
  p->rt = rt;
  p->art = art;
  p->arena.rt = rt;
  tok = json_tokener_new_ex(64);
  if (!tok) {
    rt_free(rt, p, sizeof *p);
    rt_seterr(rt, "out of memory while loading the policy");
    return RPOL_ENOMEM;
  }
  json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
                                  JSON_TOKENER_VALIDATE_UTF8);
  root = json_tokener_parse_ex(tok, art->metadata, (int)art->metadata_len);
  if (!root || json_tokener_get_parse_end(tok) != art->metadata_len) {
    rt_seterr(rt, "corrupted metadata: not valid JSON (%s at byte %zu); "
              "rebuild with rpolc build",
              json_tokener_error_desc(json_tokener_get_error(tok)),
              json_tokener_get_parse_end(tok));
    json_object_put(root);
    json_tokener_free(tok);
    rt_free(rt, p, sizeof *p);
    return RPOL_EARTIFACT;
  }
  json_tokener_free(tok);

  memset(&m, 0, sizeof m);
  m.rt = rt;
  m.p = p;
  m.a = &p->arena;
  rc = md_parse(&m, root);
  json_object_put(root);
  /* Only now is npolicies confirmed by the metadata: read eval[] (an
   * atomic load: a tiered JIT's thread may be swapping it already). */
  p->plain = art->eval_plain;
  for (i = 0; rc == 0 && i < p->nsubs; i++) {
    if (!__atomic_load_n(&art->eval[i], __ATOMIC_RELAXED)) {
      rt_seterr(rt, "corrupted artifact: policy %d has no evaluator", i);
      rc = -1;
    }
    if (p->plain && !__atomic_load_n(&p->plain[i], __ATOMIC_RELAXED))
      p->plain = NULL;
  }
  if (!p->plain)
    p->plain = art->eval;
  if (rc == 0) {
    p->ext_fns = rt_arena_get(&p->arena, sizeof *p->ext_fns *
                                          (size_t)(p->nexterns + 1));
    p->envs = rt_arena_get(&p->arena, sizeof *p->envs * (size_t)p->nsubs);
    if (!p->ext_fns || !p->envs) {
      md_nomem(&m);
      rc = -1;
    }
  }
  if (rc != 0) {
    rt_arena_release(&p->arena);
    rt_free(rt, p, sizeof *p);
    return m.nomem ? RPOL_ENOMEM : rc == -2 ? RPOL_ESCHEMA : RPOL_EARTIFACT;
  }
  memset(p->ext_fns, 0, sizeof *p->ext_fns * (size_t)(p->nexterns + 1));
  for (i = 0; i < p->nsubs; i++) {
    p->envs[i].externs = p->ext_fns;
    p->envs[i].cur_exponent = p->cur_exp;
    p->envs[i].host = hosts ? hosts[i] : NULL;
  }
  p->release = release;
  p->release_ud = release_ud;
  p->refs = 1;
  __atomic_add_fetch(&rt->refs, 1, __ATOMIC_ACQ_REL);
  *out = p;
  return RPOL_OK;
}

rpol_policy *rpol_policy_ref(rpol_policy *p)
{
  if (p)
    __atomic_add_fetch(&p->refs, 1, __ATOMIC_ACQ_REL);
  return p;
}

void rpol_policy_unref(rpol_policy *p)
{
  if (p && __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) == 0)
    policy_destroy(p);
}

void rpol_policy_free(rpol_policy *p)
{
  rpol_policy_unref(p);
}

rpol_status rpol_bind_extern(rpol_policy *p, const char *name,
                             rpol_extern_fn fn)
{
  int i;

  if (!p || !name)
    return RPOL_EMISUSE;
  for (i = 0; i < p->nexterns; i++)
    if (strcmp(p->externs[i].name, name) == 0) {
      p->ext_fns[i] = (rpol_extern_ptr)fn;
      return RPOL_OK;
    }
  return RPOL_ENOTFOUND;
}

int rpol_policy_nexterns(const rpol_policy *p)
{
  return p ? p->nexterns : 0;
}

const char *rpol_policy_extern_name(const rpol_policy *p, int i)
{
  return p && i >= 0 && i < p->nexterns ? p->externs[i].name : NULL;
}

const char *rpol_policy_extern_signature(const rpol_policy *p, int i)
{
  return p && i >= 0 && i < p->nexterns ? p->externs[i].sig : NULL;
}

int rpol_policy_count(const rpol_policy *p)
{
  return p ? p->nsubs : 0;
}

const char *rpol_policy_name(const rpol_policy *p, int i)
{
  return p && i >= 0 && i < p->nsubs ? p->subs[i].name : NULL;
}

const char *rpol_policy_version(const rpol_policy *p, int i)
{
  return p && i >= 0 && i < p->nsubs ? p->subs[i].version : NULL;
}

const char *rpol_policy_compiler(const rpol_policy *p)
{
  return p ? p->compiler : NULL;
}

int rpol_policy_find(const rpol_policy *p, const char *name)
{
  int i;

  if (!p || !name)
    return -1;
  for (i = 0; i < p->nsubs; i++)
    if (strcmp(p->subs[i].name, name) == 0)
      return i;
  return -1;
}

int rpol_policy_route(const rpol_policy *p, const char *country)
{
  int c;

  if (!p || !country)
    return -2;
  c = rpol_country_code(country);
  if (c < 0 || !p->country_ok[c])
    return -2;
  return p->route[c];
}

int rpol_policy_noutputs(const rpol_policy *p, int i)
{
  return p && i >= 0 && i < p->nsubs ? p->subs[i].noutputs : 0;
}

const char *rpol_policy_output_name(const rpol_policy *p, int i, int k)
{
  if (!p || i < 0 || i >= p->nsubs || k < 0 || k >= p->subs[i].noutputs)
    return NULL;
  return p->subs[i].outputs[k].name;
}

/* ---- decisions ------------------------------------------------------------------ */

rpol_status rpol_decision_new(rpol_policy *p, rpol_decision **out)
{
  rpol_decision *d;
  rpol_runtime *rt;
  size_t no;

  if (!p || !out)
    return RPOL_EMISUSE;
  *out = NULL;
  rt = p->rt;
  no = (size_t)p->max_outputs;
  d = rt_alloc(rt, sizeof *d);
  if (!d)
    return RPOL_ENOMEM;
  d->res.out = rt_alloc(rt, sizeof *d->res.out * no);
  d->res.trace = rt_alloc(rt, sizeof *d->res.trace * no);
  d->res.scratch = rt_alloc(rt, RT_SCRATCH_BYTES);
  if (!d->res.out || !d->res.trace || !d->res.scratch) {
    rt_free(rt, d->res.out, sizeof *d->res.out * no);
    rt_free(rt, d->res.trace, sizeof *d->res.trace * no);
    rt_free(rt, d->res.scratch, RT_SCRATCH_BYTES);
    rt_free(rt, d, sizeof *d);
    return RPOL_ENOMEM;
  }
  d->res.scratch_cap = RT_SCRATCH_BYTES;
  d->sub = -1;
  d->untraced = 0;
  d->pol = rpol_policy_ref(p);
  *out = d;
  return RPOL_OK;
}

void rpol_decision_free(rpol_decision *d)
{
  rpol_policy *p;
  size_t no;

  if (!d)
    return;
  p = d->pol;
  no = (size_t)p->max_outputs;
  rt_free(p->rt, d->res.out, sizeof *d->res.out * no);
  rt_free(p->rt, d->res.trace, sizeof *d->res.trace * no);
  rt_free(p->rt, d->res.scratch, RT_SCRATCH_BYTES);
  rt_free(p->rt, d, sizeof *d);
  rpol_policy_unref(p);
}

rpol_status rpol_decision_set_trace(rpol_decision *d, int on)
{
  if (!d)
    return RPOL_EMISUSE;
  d->untraced = !on;
  return RPOL_OK;
}

rpol_status rpol_decide(const rpol_policy *p, rpol_input *in,
                        rpol_decision *d)
{
  struct rpol_result *r;

  if (!p || !in || !d || in->pol != p || d->pol != p)
    return RPOL_EMISUSE;
  r = &d->res;
  r->code = RPOL_DECIDED;
  r->err_loc = -1;
  r->policy = in->sub;
  r->verdict = 0;
  r->reason = -1;
  r->scratch_used = 0;
  memset(r->out, 0, sizeof *r->out * (size_t)p->max_outputs);
  /* Every trace entry -1: all bits set, one memset instead of a loop
   * (the loop cost as much as a fifth of a decision).  The plain
   * evaluators write no trace, and nothing reads it. */
  if (!d->untraced)
    memset(r->trace, 0xff, sizeof *r->trace * (size_t)p->max_outputs);
  d->done = 1;
  d->bad_input = 0;
  d->sub = in->sub;
  memcpy(d->country, in->country, sizeof d->country);

  if (in->ok && in->dirty && input_finish(in) != 0)
    in->ok = 0;
  if (!in->ok) {
    r->code = RPOL_E_BAD_INPUT;
    d->bad_input = 1;
    d->sub = -1;
    return RPOL_EINPUT;
  }
  if (in->sub < 0) {
    r->code = RPOL_E_NO_POLICY;
    return RPOL_OK;
  }
  if (in->pend_code) {
    /* A money default of an absent field is a bare number the order
     * currency cannot hold (§7): inexact_amount at its literal. */
    r->code = in->pend_code;
    r->err_loc = in->pend_loc >= 0 && in->pend_loc < p->nlocations
                     ? in->pend_loc : -1;
    return RPOL_OK;
  }
  /* Acquire: a JIT in the tiered mode swaps evaluators while policies
   * decide (compiler/jit.c); this pairs with its release store.  A plain
   * load on x86. */
  rpol_eval_fn eval = __atomic_load_n(
      d->untraced ? &p->plain[in->sub] : &p->art->eval[in->sub],
      __ATOMIC_ACQUIRE);
  eval(in->slots, r, &p->envs[in->sub]);
  /* An evaluator is trusted code, but a corrupt result must not make the
   * readers index out of bounds. */
  if (r->code < RPOL_DECIDED || r->code > RPOL_E_BAD_INPUT)
    r->code = RPOL_E_OVERFLOW;
  if (r->err_loc >= p->nlocations)
    r->err_loc = -1;
  if (r->code == RPOL_DECIDED &&
      (r->verdict < 0 || r->verdict > 2 || r->reason >= p->ncodes))
    r->code = RPOL_E_OVERFLOW;
  r->policy = in->sub;
  return RPOL_OK;
}

static int decided(const rpol_decision *d)
{
  return d && d->done && d->res.code == RPOL_DECIDED && d->sub >= 0;
}

int rpol_decision_verdict(const rpol_decision *d)
{
  return decided(d) ? d->res.verdict : RPOL_NO_VERDICT;
}

int rpol_decision_policy(const rpol_decision *d)
{
  return d && d->done ? d->sub : -1;
}

const char *rpol_decision_reason(const rpol_decision *d)
{
  if (!decided(d) || d->res.reason < 0)
    return NULL;
  return d->pol->codes[d->res.reason];
}

const char *rt_message_for(const rpol_policy *p, int code,
                           const char *locale)
{
  const struct rt_message *m;
  size_t lang;
  int i;

  if (code < 0 || code >= p->ncodes)
    return NULL;
  m = &p->messages[code];
  if (!locale)
    locale = "en";
  for (i = 0; i < m->n; i++)
    if (strcmp(m->locales[i], locale) == 0)
      return m->texts[i];
  lang = strcspn(locale, "-");
  if (locale[lang] == '-')
    for (i = 0; i < m->n; i++)
      if (strlen(m->locales[i]) == lang &&
          memcmp(m->locales[i], locale, lang) == 0)
        return m->texts[i];
  for (i = 0; i < m->n; i++)
    if (strcmp(m->locales[i], "en") == 0)
      return m->texts[i];
  return NULL;
}

const char *rpol_decision_message(const rpol_decision *d,
                                  const char *locale)
{
  if (!decided(d))
    return NULL;
  return rt_message_for(d->pol, d->res.reason, locale);
}

const char *rt_error_code_name(int code)
{
  switch (code) {
  case RPOL_E_MISSING_INPUT: return "missing_input";
  case RPOL_E_CURRENCY_MISMATCH: return "currency_mismatch";
  case RPOL_E_INEXACT_AMOUNT: return "inexact_amount";
  case RPOL_E_OVERFLOW: return "overflow";
  case RPOL_E_DIVISION_BY_ZERO: return "division_by_zero";
  case RPOL_E_UNBOUND_EXTERN: return "unbound_extern";
  case RPOL_E_NO_POLICY: return "no_policy";
  case RPOL_E_BAD_INPUT: return "bad_input";
  }
  return NULL;
}

const char *rt_error_message(const rpol_decision *d)
{
  switch (d->res.code) {
  case RPOL_E_MISSING_INPUT:
    return "an optional input field that the line does not give was read; "
           "test it with present() or give a fallback with ??";
  case RPOL_E_CURRENCY_MISMATCH:
    return "amounts in different currencies were combined or compared "
           "(or a standard money output is not in the order currency)";
  case RPOL_E_INEXACT_AMOUNT:
    return "the amount needs more decimals than the order currency allows";
  case RPOL_E_OVERFLOW:
    /* The evaluators leave scratch_used above scratch_cap when a set did
     * not fit in the scratch area (interp.c ctx_alloc, cg.c
     * scratch_alloc). */
    if (d->res.scratch_used > d->res.scratch_cap)
      return "the decision ran out of scratch space for the sets it builds "
             "(64 KiB per decision: 4096 string or money elements, 8192 "
             "of other types, across every union, difference and literal "
             "with computed elements); test membership with `x in A + B` "
             "instead of storing the set, or build smaller sets";
    return "the result is outside the signed 64-bit range";
  case RPOL_E_DIVISION_BY_ZERO:
    return "division by zero";
  case RPOL_E_UNBOUND_EXTERN:
    return "an extern function was called that the host did not bind "
           "(rpol_bind_extern, or rpolc eval --extern-lib)";
  case RPOL_E_NO_POLICY:
    return "no policy of the bundle serves this customer.country";
  case RPOL_E_BAD_INPUT:
    return "the line is not valid input";
  }
  return NULL;
}

const char *rpol_decision_error(const rpol_decision *d)
{
  if (!d || !d->done)
    return NULL;
  return rt_error_code_name(d->res.code);
}

const char *rt_location(const rpol_policy *p, int loc)
{
  return loc >= 0 && loc < p->nlocations ? p->locations[loc] : NULL;
}

const char *rpol_decision_error_at(const rpol_decision *d)
{
  if (!d || !d->done || d->res.code == RPOL_DECIDED)
    return NULL;
  return rt_location(d->pol, d->res.err_loc);
}

const char *rpol_decision_error_message(const rpol_decision *d)
{
  if (!d || !d->done)
    return NULL;
  return rt_error_message(d);
}

int rpol_decision_noutputs(const rpol_decision *d)
{
  if (!d || !d->done || d->sub < 0)
    return 0;
  return d->pol->subs[d->sub].noutputs;
}

int rpol_decision_output_index(const rpol_decision *d, const char *name)
{
  const struct rt_sub *s;
  int i;

  if (!d || !d->done || d->sub < 0 || !name)
    return -1;
  s = &d->pol->subs[d->sub];
  for (i = 0; i < s->noutputs; i++)
    if (strcmp(s->outputs[i].name, name) == 0)
      return i;
  return -1;
}

const char *rt_enum_member(const struct rt_sub *s, int enm, int64_t v)
{
  if (enm < 0 || enm >= s->nenums || v < 0 || v >= s->enums[enm].n)
    return "?";
  return s->enums[enm].members[v];
}

static const int public_type[] = {
  RPOL_T_BOOL, RPOL_T_INT, RPOL_T_MONEY, RPOL_T_PERCENT, RPOL_T_DATE,
  RPOL_T_DURATION, RPOL_T_STRING, RPOL_T_COUNTRY, RPOL_T_CURRENCY,
  RPOL_T_ENUM, RPOL_T_SET
};

rpol_status rpol_decision_output(const rpol_decision *d, int k,
                                 struct rpol_value *out)
{
  const struct rt_sub *s;
  const struct rt_output *o;
  const struct rpol_slot *v;

  if (!out)
    return RPOL_EMISUSE;
  memset(out, 0, sizeof *out);
  if (!d || !d->done || d->sub < 0)
    return RPOL_EMISUSE;
  s = &d->pol->subs[d->sub];
  if (k < 0 || k >= s->noutputs)
    return RPOL_ENOTFOUND;
  o = &s->outputs[k];
  v = &d->res.out[k];
  out->type = o->kind == RT_K_VERDICT ? RPOL_T_VERDICT : public_type[o->kind];
  if (!decided(d))
    return RPOL_OK;
  if (k == OUT_ELIGIBLE) {
    out->present = 1;
    out->i = d->res.verdict;
    out->s = rpol_decision_reason(d);
    out->len = out->s ? strlen(out->s) : 0;
    return RPOL_OK;
  }
  /* A denial reports nothing but its verdict (§6). */
  if (d->res.verdict == RPOL_DENY || !v->present)
    return RPOL_OK;
  out->present = 1;
  out->i = v->kind == RPOL_K_SET || v->kind == RPOL_K_STRING ? v->n : v->v;
  switch (o->kind) {
  case RPOL_K_MONEY:
    rpol_currency_text(v->cur, out->code);
    break;
  case RPOL_K_STRING:
    out->s = v->p;
    out->len = (size_t)v->n;
    break;
  case RPOL_K_COUNTRY:
    rpol_country_text((int)v->v, out->code);
    out->s = out->code;
    out->len = 2;
    break;
  case RPOL_K_CURRENCY:
    rpol_currency_text((int)v->v, out->code);
    out->s = out->code;
    out->len = 3;
    break;
  case RPOL_K_ENUM:
    out->s = rt_enum_member(s, o->enm, v->v);
    out->len = strlen(out->s);
    break;
  }
  return RPOL_OK;
}

const char *rpol_decision_trace(const rpol_decision *d, int k)
{
  if (!decided(d) || d->untraced || k < 0 ||
      k >= d->pol->subs[d->sub].noutputs)
    return NULL;
  if (d->res.verdict == RPOL_DENY && k != OUT_ELIGIBLE)
    return NULL;
  if (k != OUT_ELIGIBLE && !d->res.out[k].present)
    return NULL;
  return rt_location(d->pol, d->res.trace[k]);
}
