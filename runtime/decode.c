/* decode.c: return lines (JSON, §12) and slot setters into input records.
 *
 * A line is parsed by json-c, then checked by a raw scan that json-c cannot
 * do for us (it turns a lone surrogate escape into U+FFFD and clamps
 * integers beyond 64 bits), routed by customer.country and decoded field by
 * field against the routed policy's table.  Strings and sets are copied
 * into the input's arena, which is reset, not freed, from line to line; the
 * tokener is reused too.  json-c still mallocs its object tree per line:
 * that is the one allocation outside rpol_alloc_fn, and it is never on the
 * decide path.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "fastdec.h"
#include "internal.h"
#include "value.h"

/* ---- messages --------------------------------------------------------------- */

void input_seterr(rpol_input *in, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(in->errmsg, sizeof in->errmsg, fmt, ap);
  va_end(ap);
}

/* What a field of `kind` expects, for "PATH: expected X, got Y". */
static const char *expected(const struct rt_sub *s, int kind, int enm,
                            char *buf, size_t cap)
{
  const struct rt_enum *e;
  size_t len;
  int i;

  switch (kind) {
  case RPOL_K_BOOL: return "true or false";
  case RPOL_K_INT: return "an integer";
  case RPOL_K_MONEY: return "money such as \"12.50\" or \"12.50 EUR\"";
  case RPOL_K_PERCENT: return "a percent such as \"15%\" or \"12.5%\"";
  case RPOL_K_DATE: return "a date such as \"2026-03-01\"";
  case RPOL_K_DURATION: return "a whole number of days such as 30";
  case RPOL_K_STRING: return "a string";
  case RPOL_K_COUNTRY:
    return "an ISO 3166 country code such as \"DE\"";
  case RPOL_K_CURRENCY:
    return "an ISO 4217 currency code such as \"EUR\"";
  case RPOL_K_SET: return "an array";
  case RPOL_K_ENUM:
    if (enm < 0 || enm >= s->nenums)
      return "an enum member";
    e = &s->enums[enm];
    len = (size_t)snprintf(buf, cap, "one of");
    for (i = 0; i < e->n && len < cap; i++) {
      if (len + strlen(e->members[i]) + 8 >= cap) {
        snprintf(buf + len, cap - len, ", ...");
        break;
      }
      len += (size_t)snprintf(buf + len, cap - len, "%s %s",
                              i ? "," : "", e->members[i]);
    }
    return buf;
  }
  return "a value";
}

/* A short rendering of a JSON value for messages. */
static void got(json_object *v, char *buf, size_t cap)
{
  struct wbuf w;
  const char *s;
  size_t n;

  switch (json_object_get_type(v)) {
  case json_type_null:
    snprintf(buf, cap, "null");
    return;
  case json_type_boolean:
    snprintf(buf, cap, "%s", json_object_get_boolean(v) ? "true" : "false");
    return;
  case json_type_int:
  case json_type_double:
    snprintf(buf, cap, "%.40s",
             json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    return;
  case json_type_object:
    snprintf(buf, cap, "an object");
    return;
  case json_type_array:
    snprintf(buf, cap, "an array");
    return;
  case json_type_string:
    s = json_object_get_string(v);
    n = (size_t)json_object_get_string_len(v);
    if (n > 40) {          /* cut at a character boundary */
      n = 40;
      while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    }
    w.buf = buf;
    w.cap = cap;
    w.len = 0;
    wb_json_str(&w, s, n);
    if (n < (size_t)json_object_get_string_len(v) && w.len > 0) {
      /* mark the cut inside the quotes: "abc..." */
      w.len--;
      wb_puts(&w, "...\"");
    }
    wb_finish(&w);
    return;
  }
  snprintf(buf, cap, "?");
}

/* ---- numbers --------------------------------------------------------------- */

static int isdig(char c)
{
  return c >= '0' && c <= '9';
}

/* Why a number's digits do not fit 64 bits: -3 when the digit that does
 * not fit is a nonzero decimal past the 9th, inexact in every currency
 * (exponents are 0 to 9) unless an exponent moves it; -2 otherwise. */
static int too_long(const char *s, size_t n, int frac, int64_t pos)
{
  return frac && pos > 9 && !memchr(s, 'e', n) && !memchr(s, 'E', n) ? -3
                                                                     : -2;
}

int decode_decimal(const char *s, size_t n, int64_t *mant, int32_t *scale)
{
  size_t i = 0;
  int neg = 0, frac = 0;
  uint64_t m = 0, lim;
  int64_t sc = 0, zeros = 0, ex = 0;
  int exneg = 0;

  if (i < n && s[i] == '-') {
    neg = 1;
    i++;
  }
  if (i >= n || !isdig(s[i]))
    return -1;
  lim = neg ? (uint64_t)1 << 63 : (uint64_t)INT64_MAX;
  for (; i <= n; i++) {
    if (i < n && s[i] == '.' && !frac) {
      frac = 1;
      if (i + 1 >= n || !isdig(s[i + 1]))
        return -1;
      continue;
    }
    if (i == n || !isdig(s[i]))
      break;
    if (s[i] == '0' && frac) {
      zeros++;      /* trailing fraction zeros do not count (§7) */
      continue;
    }
    /* The nonzero digit is decimal sc + zeros + 1. */
    for (; zeros > 0; zeros--, sc++)
      if (m > lim / 10)
        return too_long(s, n, frac, sc + zeros + 1);
      else
        m *= 10;
    if (m > (lim - (uint64_t)(s[i] - '0')) / 10)
      return too_long(s, n, frac, sc + 1);
    m = m * 10 + (uint64_t)(s[i] - '0');
    sc += frac;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-'))
      exneg = s[i++] == '-';
    if (i >= n || !isdig(s[i]))
      return -1;
    for (; i < n && isdig(s[i]); i++)
      if (ex < 100000)
        ex = ex * 10 + (s[i] - '0');
    sc += exneg ? ex : -ex;
  }
  if (i != n)
    return -1;
  if (m == 0) {
    *mant = 0;
    *scale = 0;
    return 0;
  }
  /* Positive exponents: fold into the mantissa so scale >= 0. */
  for (; sc < 0; sc++)
    if (m > lim / 10)
      return -2;
    else
      m *= 10;
  if (sc > 100000)
    sc = 100000;    /* certainly inexact for every currency */
  *mant = neg ? (m == (uint64_t)1 << 63 ? INT64_MIN : -(int64_t)m)
              : (int64_t)m;
  *scale = (int32_t)sc;
  return 0;
}

/* The decoding context of one value. */
struct dctx {
  const rpol_policy *pol;
  const struct rt_sub *sub;
  int order_cur;
  int bigint;            /* the line holds an integer beyond 64 bits */
  struct rt_arena *store;
  char *msg;
  size_t cap;
};

static int fail(struct dctx *c, const char *where, int kind, int enm,
                json_object *v)
{
  char ebuf[200], gbuf[64];

  got(v, gbuf, sizeof gbuf);
  snprintf(c->msg, c->cap, "%s: expected %s, got %s", where,
           expected(c->sub, kind, enm, ebuf, sizeof ebuf), gbuf);
  return -1;
}

/* A JSON integer within 64 bits (json-c clamps larger ones silently). */
static int json_int(struct dctx *c, json_object *v, int64_t *out)
{
  int64_t x;

  if (!json_object_is_type(v, json_type_int))
    return -1;
  x = json_object_get_int64(v);
  if (x == INT64_MAX && json_object_get_uint64(v) != (uint64_t)INT64_MAX)
    return -2;
  if ((x == INT64_MAX || x == INT64_MIN) && c->bigint)
    return -2;
  *out = x;
  return 0;
}

static int dec_money(struct dctx *c, const char *where, json_object *v,
                     struct rpol_slot *out)
{
  const char *t;
  size_t n, i;
  int64_t mant, minor;
  int32_t scale;
  int cur = c->order_cur, rc;
  char code[4] = {0}, ctext[4];

  if (json_object_is_type(v, json_type_int) ||
      json_object_is_type(v, json_type_double)) {
    int64_t x;
    if (json_object_is_type(v, json_type_int) && json_int(c, v, &x)) {
      snprintf(c->msg, c->cap, "%s: amount out of range", where);
      return -1;
    }
    t = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
    n = strlen(t);
  } else if (json_object_is_type(v, json_type_string)) {
    t = json_object_get_string(v);
    n = (size_t)json_object_get_string_len(v);
    /* -?[0-9]+(\.[0-9]+)?( [A-Z]{3})? : no exponent, no '+', one space */
    for (i = 0; i < n; i++)
      if (!(isdig(t[i]) || t[i] == '.' || (t[i] == '-' && i == 0)))
        break;
    if (i < n) {
      if (n - i != 4 || t[i] != ' ')
        return fail(c, where, RPOL_K_MONEY, -1, v);
      memcpy(code, t + i + 1, 3);
      cur = rpol_currency_code(code);
      if (cur < 0)
        return fail(c, where, RPOL_K_MONEY, -1, v);
      if (c->pol->cur_exp[cur] < 0) {
        snprintf(c->msg, c->cap, "%s: unknown currency \"%s\" (expected an "
                 "ISO 4217 code)", where, code);
        return -1;
      }
      n = i;
    }
  } else {
    return fail(c, where, RPOL_K_MONEY, -1, v);
  }
  rc = decode_decimal(t, n, &mant, &scale);
  if (rc == -1 || (json_object_is_type(v, json_type_string) &&
                   memchr(t, 'e', n)))
    return fail(c, where, RPOL_K_MONEY, -1, v);
  if (cur < 0) {
    snprintf(c->msg, c->cap, "%s: an amount without a currency needs a "
             "valid order.currency", where);
    return -1;
  }
  rpol_currency_text(cur, ctext);
  if (rc == 0)
    rc = rpol_number_to_minor(mant, scale, c->pol->cur_exp[cur], &minor);
  else
    rc = rc == -3 ? RPOL_E_INEXACT_AMOUNT : RPOL_E_OVERFLOW;
  if (rc == RPOL_E_INEXACT_AMOUNT) {
    snprintf(c->msg, c->cap, "%s: %.*s needs more decimals than %s allows "
             "(%d); amounts are never rounded", where, (int)(n > 40 ? 40 : n),
             t, ctext, c->pol->cur_exp[cur]);
    return -1;
  }
  if (rc) {
    snprintf(c->msg, c->cap, "%s: amount out of range", where);
    return -1;
  }
  out->v = minor;
  out->cur = cur;
  return 0;
}

static int dec_percent(struct dctx *c, const char *where, json_object *v,
                       int64_t *out)
{
  const char *t;
  size_t n, i = 0, nf = 0;
  int neg = 0;
  int64_t ip = 0, fp = 0;

  if (!json_object_is_type(v, json_type_string))
    return fail(c, where, RPOL_K_PERCENT, -1, v);
  t = json_object_get_string(v);
  n = (size_t)json_object_get_string_len(v);
  /* -?[0-9]+(\.[0-9]{1,4})?% */
  if (i < n && t[i] == '-') {
    neg = 1;
    i++;
  }
  if (i >= n || !isdig(t[i]))
    return fail(c, where, RPOL_K_PERCENT, -1, v);
  for (; i < n && isdig(t[i]); i++)
    if (__builtin_mul_overflow(ip, 10, &ip) ||
        __builtin_add_overflow(ip, t[i] - '0', &ip))
      goto range;
  if (i < n && t[i] == '.') {
    for (i++; i < n && isdig(t[i]) && nf < 5; i++, nf++)
      fp = fp * 10 + (t[i] - '0');
    if (nf == 0 || nf > 4)
      return fail(c, where, RPOL_K_PERCENT, -1, v);
  }
  if (i + 1 != n || t[i] != '%')
    return fail(c, where, RPOL_K_PERCENT, -1, v);
  for (; nf < 4; nf++)
    fp *= 10;
  if (__builtin_mul_overflow(ip, 10000, &ip) ||
      __builtin_add_overflow(ip, fp, &ip))
    goto range;
  *out = neg ? -ip : ip;
  return 0;
range:
  snprintf(c->msg, c->cap, "%s: percent out of range", where);
  return -1;
}

static int dec_date(struct dctx *c, const char *where, json_object *v,
                    int64_t *out)
{
  const char *t;
  int i, y, m, d;

  if (!json_object_is_type(v, json_type_string) ||
      json_object_get_string_len(v) != 10)
    return fail(c, where, RPOL_K_DATE, -1, v);
  t = json_object_get_string(v);
  for (i = 0; i < 10; i++)
    if (i == 4 || i == 7 ? t[i] != '-' : !isdig(t[i]))
      return fail(c, where, RPOL_K_DATE, -1, v);
  y = (t[0] - '0') * 1000 + (t[1] - '0') * 100 + (t[2] - '0') * 10 +
      (t[3] - '0');
  m = (t[5] - '0') * 10 + (t[6] - '0');
  d = (t[8] - '0') * 10 + (t[9] - '0');
  if (!rpol_civil_valid(y, m, d)) {
    snprintf(c->msg, c->cap, "%s: no such date \"%s\" (expected a valid "
             "date from 0001-01-01 to 9999-12-31)", where, t);
    return -1;
  }
  *out = rpol_days_from_civil(y, m, d);
  return 0;
}

/* One scalar of `kind` into out's v/cur/p/n. */
static int dec_scalar(struct dctx *c, const char *where, int kind, int enm,
                      json_object *v, struct rpol_slot *out)
{
  const char *t;
  int64_t x;
  int code, i, rc;

  switch (kind) {
  case RPOL_K_BOOL:
    if (!json_object_is_type(v, json_type_boolean))
      return fail(c, where, kind, enm, v);
    out->v = json_object_get_boolean(v) ? 1 : 0;
    return 0;
  case RPOL_K_INT:
  case RPOL_K_DURATION:
    rc = json_int(c, v, &x);
    if (rc == -2) {
      snprintf(c->msg, c->cap, "%s: expected %s within 64 bits, got an "
               "integer out of range", where,
               kind == RPOL_K_INT ? "an integer" : "a number of days");
      return -1;
    }
    if (rc)
      return fail(c, where, kind, enm, v);
    out->v = x;
    return 0;
  case RPOL_K_MONEY:
    return dec_money(c, where, v, out);
  case RPOL_K_PERCENT:
    return dec_percent(c, where, v, &out->v);
  case RPOL_K_DATE:
    return dec_date(c, where, v, &out->v);
  case RPOL_K_STRING:
    if (!json_object_is_type(v, json_type_string))
      return fail(c, where, kind, enm, v);
    out->n = json_object_get_string_len(v);
    out->p = rt_arena_strdup(c->store, json_object_get_string(v),
                          (size_t)out->n);
    if (!out->p) {
      snprintf(c->msg, c->cap, "out of memory");
      return -1;
    }
    return 0;
  case RPOL_K_COUNTRY:
  case RPOL_K_CURRENCY:
    if (!json_object_is_type(v, json_type_string))
      return fail(c, where, kind, enm, v);
    t = json_object_get_string(v);
    code = kind == RPOL_K_COUNTRY ? rpol_country_code(t)
                                  : rpol_currency_code(t);
    if (code < 0 || (kind == RPOL_K_COUNTRY ? !c->pol->country_ok[code]
                                            : c->pol->cur_exp[code] < 0)) {
      char gbuf[64];
      got(v, gbuf, sizeof gbuf);
      snprintf(c->msg, c->cap, "%s: %s is not an %s code", where, gbuf,
               kind == RPOL_K_COUNTRY ? "ISO 3166 country"
                                      : "ISO 4217 currency");
      return -1;
    }
    out->v = code;
    return 0;
  case RPOL_K_ENUM:
    if (!json_object_is_type(v, json_type_string) || enm < 0)
      return fail(c, where, kind, enm, v);
    t = json_object_get_string(v);
    for (i = 0; i < c->sub->enums[enm].n; i++)
      if (strcmp(c->sub->enums[enm].members[i], t) == 0 &&
          strlen(t) == (size_t)json_object_get_string_len(v)) {
        out->v = i;
        return 0;
      }
    return fail(c, where, kind, enm, v);
  }
  return fail(c, where, kind, enm, v);
}

/* ---- sets -------------------------------------------------------------------- */

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
  return *(const int64_t *)a < *(const int64_t *)b ? -1
         : *(const int64_t *)a > *(const int64_t *)b;
}

static size_t elem_size(int ek)
{
  return ek == RPOL_K_STRING ? sizeof(struct rpol_str)
         : ek == RPOL_K_MONEY ? sizeof(struct rpol_money)
                              : sizeof(int64_t);
}

static void elem_swap(unsigned char *a, unsigned char *b, size_t sz)
{
  unsigned char t[sizeof(struct rpol_money) > sizeof(struct rpol_str)
                      ? sizeof(struct rpol_money) : sizeof(struct rpol_str)];
  memcpy(t, a, sz);
  memcpy(a, b, sz);
  memcpy(b, t, sz);
}

static void sift(int ek, unsigned char *a, size_t sz, int64_t root,
                 int64_t end)
{
  for (;;) {
    int64_t child = 2 * root + 1;
    if (child >= end)
      return;
    if (child + 1 < end &&
        elem_cmp(ek, a + child * sz, a + (child + 1) * sz) < 0)
      child++;
    if (elem_cmp(ek, a + root * sz, a + child * sz) >= 0)
      return;
    elem_swap(a + root * sz, a + child * sz, sz);
    root = child;
  }
}

/* Heapsort (no allocation, O(n log n) for any input), then removal of
 * duplicates; returns the new count. */
int64_t decode_sort_dedupe(int ek, void *base, int64_t n)
{
  unsigned char *a = base;
  size_t sz = elem_size(ek);
  int64_t i, k;

  for (i = n / 2 - 1; i >= 0; i--)
    sift(ek, a, sz, i, n);
  for (i = n - 1; i > 0; i--) {
    elem_swap(a, a + i * sz, sz);
    sift(ek, a, sz, 0, i);
  }
  for (i = 0, k = 0; i < n; i++)
    if (k == 0 || elem_cmp(ek, a + (k - 1) * sz, a + i * sz) != 0) {
      if (k != i)
        memcpy(a + k * sz, a + i * sz, sz);
      k++;
    }
  return k;
}

static int dec_set(struct dctx *c, const char *where,
                   const struct rt_field *f, json_object *v,
                   struct rpol_slot *out)
{
  int ek = f->elem_kind;
  size_t sz = elem_size(ek), n, i;
  unsigned char *arr;
  char ewhere[200];

  if (!json_object_is_type(v, json_type_array))
    return fail(c, where, RPOL_K_SET, -1, v);
  n = json_object_array_length(v);
  arr = rt_arena_get(c->store, sz * (n ? n : 1));
  if (!arr) {
    snprintf(c->msg, c->cap, "out of memory");
    return -1;
  }
  for (i = 0; i < n; i++) {
    json_object *e = json_object_array_get_idx(v, i);
    struct rpol_slot es;

    snprintf(ewhere, sizeof ewhere, "%s[%zu]", where, i);
    memset(&es, 0, sizeof es);
    if (dec_scalar(c, ewhere, ek, f->enm, e, &es))
      return -1;
    rt_set_elem_put(arr, i, sz, ek, &es);
  }
  out->p = arr;
  out->n = decode_sort_dedupe(ek, arr, (int64_t)n);
  return 0;
}

int decode_value(const rpol_policy *pol, const struct rt_sub *sub,
                 const struct rt_field *f, json_object *v, int order_cur,
                 struct rt_arena *store, struct rpol_slot *out, char *msg,
                 size_t msgcap)
{
  struct dctx c;

  c.pol = pol;
  c.sub = sub;
  c.order_cur = order_cur;
  c.bigint = 0;
  c.store = store;
  c.msg = msg;
  c.cap = msgcap;
  memset(out, 0, sizeof *out);
  out->kind = f->kind;
  out->elem_kind = f->kind == RPOL_K_SET ? f->elem_kind : 0;
  if (f->kind == RPOL_K_SET) {
    if (dec_set(&c, f->path, f, v, out))
      return -1;
  } else if (dec_scalar(&c, f->path, f->kind, f->enm, v, out)) {
    return -1;
  }
  out->present = 1;
  return 0;
}

/* ---- the raw scan -------------------------------------------------------------
 * A strict RFC 8259 validator that runs before json-c, because json-c is
 * lenient where §12 is not (it accepts 'single-quoted' strings, turns a
 * lone surrogate escape into U+FFFD and clamps integers beyond 64 bits).
 * On the way it notes integers beyond 64 bits and the raw text of the
 * top-level "id", which is echoed as written (numbers exact). */

/* The limits on a line (SCAN_DEPTH, RT_MAX_LINE, RT_MAX_STRING) are in
 * internal.h, shared with the specialised decoder (fastdec.c). */

struct scan {
  const char *s;
  size_t n, i;
  int bigint;                 /* an integer beyond 64 bits was seen */
  size_t id_start, id_end;    /* id_end == 0: none */
  const char *err;            /* NULL: valid so far */
  size_t err_at;
  char errbuf[64];
};

static int sc_fail(struct scan *sc, const char *what)
{
  if (!sc->err) {
    sc->err = what;
    sc->err_at = sc->i;
  }
  return -1;
}

static void sc_ws(struct scan *sc)
{
  while (sc->i < sc->n && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t' ||
                           sc->s[sc->i] == '\n' || sc->s[sc->i] == '\r'))
    sc->i++;
}

/* The four hex digits of a \u escape at s[i], into *out; -1 if they are
 * not there. */
int rt_hex4(const char *s, size_t n, size_t i, unsigned *out)
{
  unsigned v = 0;
  size_t k;

  if (i + 4 > n)
    return -1;
  for (k = i; k < i + 4; k++) {
    char ch = s[k];
    v <<= 4;
    if (ch >= '0' && ch <= '9')
      v |= (unsigned)(ch - '0');
    else if (ch >= 'a' && ch <= 'f')
      v |= (unsigned)(ch - 'a' + 10);
    else if (ch >= 'A' && ch <= 'F')
      v |= (unsigned)(ch - 'A' + 10);
    else
      return -1;
  }
  *out = v;
  return 0;
}

/* Length of the valid UTF-8 sequence at s (n >= 1 bytes left; RFC 3629:
 * no overlong forms, no surrogates, nothing past U+10FFFF), 0 if it is
 * not one. */
size_t rt_utf8_len(const unsigned char *s, size_t n)
{
  size_t len, k;
  unsigned cp;

  if (s[0] < 0x80)
    return 1;
  if (s[0] >= 0xc2 && s[0] <= 0xdf) {
    len = 2;
    cp = s[0] & 0x1f;
  } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
    len = 3;
    cp = s[0] & 0x0f;
  } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
    len = 4;
    cp = s[0] & 0x07;
  } else {
    return 0;
  }
  if (len > n)
    return 0;
  for (k = 1; k < len; k++) {
    if ((s[k] & 0xc0) != 0x80)
      return 0;
    cp = cp << 6 | (s[k] & 0x3f);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return len;
}

static int sc_string(struct scan *sc)
{
  unsigned u, lo;
  size_t start = sc->i;

  sc->i++;    /* the opening quote */
  for (;;) {
    unsigned char c;
    if (sc->i >= sc->n)
      return sc_fail(sc, "the line ends inside a string");
    if (sc->i - start > RT_MAX_STRING) {
      sc->i = start;
      return sc_fail(sc, "a string longer than 65536 bytes (the limit)");
    }
    c = (unsigned char)sc->s[sc->i];
    if (c == '"') {
      sc->i++;
      return 0;
    }
    if (c < 0x20)
      return sc_fail(sc, "control character in a string");
    if (c != '\\') {
      sc->i++;
      continue;
    }
    if (sc->i + 1 >= sc->n)
      return sc_fail(sc, "the line ends inside a string");
    switch (sc->s[sc->i + 1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r':
    case 't':
      sc->i += 2;
      continue;
    case 'u':
      break;
    default:
      return sc_fail(sc, "invalid escape in a string");
    }
    if (rt_hex4(sc->s, sc->n, sc->i + 2, &u))
      return sc_fail(sc, "invalid \\u escape in a string");
    if (u >= 0xdc00 && u <= 0xdfff) {
      snprintf(sc->errbuf, sizeof sc->errbuf, "lone surrogate escape %.6s",
               sc->s + sc->i);
      return sc_fail(sc, sc->errbuf);
    }
    if (u >= 0xd800 && u <= 0xdbff) {
      if (!(sc->i + 7 < sc->n && sc->s[sc->i + 6] == '\\' &&
            sc->s[sc->i + 7] == 'u' &&
            rt_hex4(sc->s, sc->n, sc->i + 8, &lo) == 0 && lo >= 0xdc00 &&
            lo <= 0xdfff)) {
        snprintf(sc->errbuf, sizeof sc->errbuf,
                 "lone surrogate escape %.6s", sc->s + sc->i);
        return sc_fail(sc, sc->errbuf);
      }
      sc->i += 6;
    }
    sc->i += 6;
  }
}

static int sc_number(struct scan *sc)
{
  size_t start = sc->i, digits;
  int neg = sc->s[sc->i] == '-', integral = 1;

  if (neg)
    sc->i++;
  if (sc->i >= sc->n || !isdig(sc->s[sc->i]))
    return sc_fail(sc, "bad number");
  if (sc->s[sc->i] == '0' && sc->i + 1 < sc->n && isdig(sc->s[sc->i + 1]))
    return sc_fail(sc, "bad number (leading zero)");
  while (sc->i < sc->n && isdig(sc->s[sc->i]))
    sc->i++;
  digits = sc->i - start - (size_t)neg;
  if (sc->i < sc->n && sc->s[sc->i] == '.') {
    integral = 0;
    sc->i++;
    if (sc->i >= sc->n || !isdig(sc->s[sc->i]))
      return sc_fail(sc, "bad number");
    while (sc->i < sc->n && isdig(sc->s[sc->i]))
      sc->i++;
  }
  if (sc->i < sc->n && (sc->s[sc->i] == 'e' || sc->s[sc->i] == 'E')) {
    integral = 0;
    sc->i++;
    if (sc->i < sc->n && (sc->s[sc->i] == '+' || sc->s[sc->i] == '-'))
      sc->i++;
    if (sc->i >= sc->n || !isdig(sc->s[sc->i]))
      return sc_fail(sc, "bad number");
    while (sc->i < sc->n && isdig(sc->s[sc->i]))
      sc->i++;
  }
  if (integral &&
      (digits > 19 ||
       (digits == 19 &&
        memcmp(sc->s + start + neg, neg ? "9223372036854775808"
                                        : "9223372036854775807", 19) > 0)))
    sc->bigint = 1;
  return 0;
}

static int sc_value(struct scan *sc, int depth);

static int sc_container(struct scan *sc, int depth)
{
  char close = sc->s[sc->i] == '{' ? '}' : ']';
  int is_obj = close == '}', first = 1;

  if (depth >= SCAN_DEPTH)
    return sc_fail(sc, "arrays and objects nested deeper than 64 levels "
                   "(the limit)");
  sc->i++;
  for (;;) {
    size_t kstart = 0, kend = 0, vstart;
    sc_ws(sc);
    if (sc->i >= sc->n)
      return sc_fail(sc, "the line ends inside a value");
    if (first && sc->s[sc->i] == close) {
      sc->i++;
      return 0;
    }
    if (is_obj) {
      if (sc->s[sc->i] != '"')
        return sc_fail(sc, "expected a \"key\"");
      kstart = sc->i;
      if (sc_string(sc))
        return -1;
      kend = sc->i;
      sc_ws(sc);
      if (sc->i >= sc->n || sc->s[sc->i] != ':')
        return sc_fail(sc, sc->i >= sc->n ? "the line ends inside a value"
                                          : "expected ':'");
      sc->i++;
      sc_ws(sc);
    }
    vstart = sc->i;
    if (sc_value(sc, depth + 1))
      return -1;
    if (is_obj && depth == 0 && kend - kstart == 4 &&
        memcmp(sc->s + kstart, "\"id\"", 4) == 0) {
      sc->id_start = vstart;     /* the last one wins, as in json-c */
      sc->id_end = sc->i;
    }
    sc_ws(sc);
    if (sc->i >= sc->n)
      return sc_fail(sc, "the line ends inside a value");
    if (sc->s[sc->i] == close) {
      sc->i++;
      return 0;
    }
    if (sc->s[sc->i] != ',')
      return sc_fail(sc, is_obj ? "expected ',' or '}'"
                                : "expected ',' or ']'");
    sc->i++;
    first = 0;
  }
}

static int sc_literal(struct scan *sc, const char *lit)
{
  size_t n = strlen(lit);

  if (sc->n - sc->i < n || memcmp(sc->s + sc->i, lit, n) != 0)
    return sc_fail(sc, "unexpected character");
  sc->i += n;
  return 0;
}

static int sc_value(struct scan *sc, int depth)
{
  if (sc->i >= sc->n)
    return sc_fail(sc, "the line ends inside a value");
  switch (sc->s[sc->i]) {
  case '"':
    return sc_string(sc);
  case '{':
  case '[':
    return sc_container(sc, depth);
  case 't':
    return sc_literal(sc, "true");
  case 'f':
    return sc_literal(sc, "false");
  case 'n':
    return sc_literal(sc, "null");
  default:
    if (sc->s[sc->i] == '-' || isdig(sc->s[sc->i]))
      return sc_number(sc);
    return sc_fail(sc, "unexpected character");
  }
}

/* Validates a whole text holding one JSON value. */
static int sc_text(struct scan *sc, const char *s, size_t n)
{
  memset(sc, 0, sizeof *sc);
  sc->s = s;
  sc->n = n;
  sc_ws(sc);
  if (sc_value(sc, 0))
    return -1;
  sc_ws(sc);
  if (sc->i != n)
    return sc_fail(sc, "text after the value");
  return 0;
}

/* Copies the id's raw text without insignificant whitespace. */
const char *decode_copy_id(rpol_input *in, const char *s, size_t a,
                           size_t b)
{
  char *d = rt_arena_get(&in->store, b - a + 1), *o;
  int instr = 0;
  size_t i;

  if (!d)
    return NULL;
  o = d;
  for (i = a; i < b; i++) {
    char ch = s[i];
    if (instr) {
      *o++ = ch;
      if (ch == '\\' && i + 1 < b)
        *o++ = s[++i];
      else if (ch == '"')
        instr = 0;
    } else if (ch == '"') {
      instr = 1;
      *o++ = ch;
    } else if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
      *o++ = ch;
    }
  }
  *o = '\0';
  return d;
}

/* Offset of the first byte that is not UTF-8 (RFC 3629), -1 if none. */
static long utf8_check(const char *str, size_t n)
{
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0, len;

  while (i < n) {
    if ((len = rt_utf8_len(s + i, n - i)) == 0)
      return (long)i;
    i += len;
  }
  return -1;
}

/* Forgets the last line decoded into `in`, and returns the length of the
 * line without its line ending (LF or CRLF): both decoders start so. */
size_t rt_input_begin(struct rpol_input *in, const char *json, size_t len)
{
  rt_arena_reset(&in->store);
  in->id = NULL;
  in->ok = 0;
  in->dirty = 0;
  in->sub = -1;
  in->country[0] = '\0';
  in->errmsg[0] = '\0';
  if (len > 0 && json[len - 1] == '\n')
    len--;
  if (len > 0 && json[len - 1] == '\r')
    len--;
  return len;
}

/* Stores a decoded scalar as element k of a set array of sz-byte
 * elements of kind ek (struct rpol_str, struct rpol_money or int64_t). */
void rt_set_elem_put(unsigned char *arr, size_t k, size_t sz, int ek,
                     const struct rpol_slot *es)
{
  if (ek == RPOL_K_STRING) {
    struct rpol_str st = {es->p, es->n};
    memcpy(arr + k * sz, &st, sz);
  } else if (ek == RPOL_K_MONEY) {
    struct rpol_money mo = {es->v, es->cur, 0};
    memcpy(arr + k * sz, &mo, sz);
  } else {
    memcpy(arr + k * sz, &es->v, sz);
  }
}

/* ---- inputs ---------------------------------------------------------------------- */

rpol_status rpol_input_new(rpol_policy *p, rpol_input **out)
{
  rpol_input *in;
  rpol_runtime *rt;
  size_t nf;

  if (!p || !out)
    return RPOL_EMISUSE;
  *out = NULL;
  rt = p->rt;
  nf = (size_t)(p->max_fields ? p->max_fields : 1);
  in = rt_alloc(rt, sizeof *in);
  if (!in)
    return RPOL_ENOMEM;
  in->slots = rt_alloc(rt, sizeof *in->slots * nf);
  in->state = rt_alloc(rt, nf);
  in->reserve = rt_alloc(rt, (size_t)p->max_reserve + 16);
  in->tok = json_tokener_new_ex(SCAN_DEPTH + 1);   /* the scanner limits */
  if (!in->slots || !in->state || !in->reserve || !in->tok) {
    if (in->tok)
      json_tokener_free(in->tok);
    rt_free(rt, in->slots, sizeof *in->slots * nf);
    rt_free(rt, in->state, nf);
    rt_free(rt, in->reserve, (size_t)p->max_reserve + 16);
    rt_free(rt, in, sizeof *in);
    return RPOL_ENOMEM;
  }
  json_tokener_set_flags(in->tok, JSON_TOKENER_STRICT |
                                      JSON_TOKENER_VALIDATE_UTF8);
  in->store.rt = rt;
  in->sub = -1;
  in->pend_code = 0;
  in->pend_loc = -1;
  in->pol = rpol_policy_ref(p);
  snprintf(in->errmsg, sizeof in->errmsg,
           "no line decoded and no route set");
  *out = in;
  return RPOL_OK;
}

void rpol_input_free(rpol_input *in)
{
  rpol_policy *p;
  rpol_runtime *rt;
  size_t nf;

  if (!in)
    return;
  p = in->pol;
  rt = p->rt;
  nf = (size_t)(p->max_fields ? p->max_fields : 1);
  json_tokener_free(in->tok);
  fastdec_free(rt, in->fast);
  rt_arena_release(&in->store);
  rt_free(rt, in->slots, sizeof *in->slots * nf);
  rt_free(rt, in->state, nf);
  rt_free(rt, in->reserve, (size_t)p->max_reserve + 16);
  rt_free(rt, in, sizeof *in);
  rpol_policy_unref(p);
}

const char *rpol_input_errmsg(const rpol_input *in)
{
  return in ? in->errmsg : "";
}

const char *rpol_input_id(const rpol_input *in)
{
  return in ? in->id : NULL;
}

int rpol_input_policy(const rpol_input *in)
{
  return in ? in->sub : -1;
}

static void field_reset(rpol_input *in, const struct rt_field *f, int i)
{
  struct rpol_slot *s = &in->slots[i];

  memset(s, 0, sizeof *s);
  s->kind = f->kind;
  s->elem_kind = f->kind == RPOL_K_SET ? f->elem_kind : 0;
  if (f->required) {
    in->state[i] = SL_UNSET;
  } else if (f->def == DEF_VALUE) {
    *s = f->dval;
    in->state[i] = SL_DEFAULT;
  } else if (f->def == DEF_MONEY) {
    in->state[i] = SL_PEND_DEF;
  } else {
    in->state[i] = SL_MISSING;
  }
}

void input_reset(rpol_input *in, int sub)
{
  const struct rt_sub *s;
  int i;

  in->sub = sub;
  in->pend_code = 0;
  in->pend_loc = -1;
  if (sub < 0)
    return;
  s = &in->pol->subs[sub];
  for (i = 0; i < s->nfields; i++)
    field_reset(in, &s->fields[i], i);
}

/* Whether a parsed amount needs more decimals than `exp`, trailing zeros
 * not counting. */
static int too_many_decimals(const struct rt_pmoney *pm, int exp)
{
  int64_t mant = pm->mant;
  int scale = pm->scale;
  while (scale > 0 && mant % 10 == 0) {
    mant /= 10;
    scale--;
  }
  return scale > exp;
}

int input_finish(rpol_input *in)
{
  const rpol_policy *p = in->pol;
  const struct rt_sub *s;
  int i, j, order_cur = -1;
  char ctext[4];

  in->dirty = 0;
  if (in->sub < 0)
    return 0;
  s = &p->subs[in->sub];
  if (s->f_currency >= 0 && in->slots[s->f_currency].present)
    order_cur = (int)in->slots[s->f_currency].v;
  for (i = 0; i < s->nfields; i++) {
    const struct rt_field *f = &s->fields[i];
    struct rpol_slot *sl = &in->slots[i];

    switch (in->state[i]) {
    case SL_UNSET:
      input_seterr(in, "%s: required field is missing", f->path);
      return -1;
    case SL_PEND_CUR:
      if (order_cur < 0) {
        input_seterr(in, "%s: an amount in the order currency needs "
                     "order.currency", f->path);
        return -1;
      }
      sl->cur = order_cur;
      in->state[i] = SL_SET;
      break;
    case SL_PEND_DEF: {
      struct rpol_money *arr = NULL;
      sl->present = 1;
      if (f->kind == RPOL_K_SET)
        arr = (struct rpol_money *)(in->reserve + f->reserve);
      for (j = 0; j < f->ndmoney; j++) {
        const struct rt_pmoney *pm = &f->dmoney[j];
        int cur = pm->cur >= 0 ? pm->cur : order_cur;
        int64_t v;
        if (cur < 0) {
          input_seterr(in, "%s: its default amount needs order.currency",
                       f->path);
          return -1;
        }
        if (rpol_number_to_minor(pm->mant, pm->scale, p->cur_exp[cur], &v) &&
            !arr && too_many_decimals(pm, p->cur_exp[cur])) {
          /* Not the line's fault: the policy's default is a bare number
           * this currency cannot hold, which §7 makes the decision's
           * error inexact_amount, located at the literal. */
          if (!in->pend_code) {
            in->pend_code = RPOL_E_INEXACT_AMOUNT;
            in->pend_loc = f->dmoney_loc;
          }
          v = 0;
        } else if (rpol_number_to_minor(pm->mant, pm->scale,
                                        p->cur_exp[cur], &v)) {
          rpol_currency_text(cur, ctext);
          input_seterr(in, "%s: its default amount does not fit %s (too "
                       "many decimals or out of range)", f->path, ctext);
          return -1;
        }
        if (arr) {
          arr[j].amount = v;
          arr[j].cur = cur;
          arr[j].pad = 0;
        } else {
          sl->v = v;
          sl->cur = cur;
        }
      }
      if (arr) {
        sl->p = arr;
        sl->n = decode_sort_dedupe(RPOL_K_MONEY, arr, f->ndmoney);
      }
      in->state[i] = SL_DEFAULT;
      break;
    }
    }
  }
  return 0;
}

/* The value at f's path in root: 0 found (*v), 1 missing (or null),
 * -1 a non-object where an object is needed (message set). */
static int lookup(rpol_input *in, const struct rt_field *f,
                  json_object *root, json_object **v)
{
  json_object *o = root, *next;
  char gbuf[64];
  int i;

  for (i = 0; i < f->nsegs; i++) {
    if (!json_object_object_get_ex(o, f->segs[i], &next) || !next)
      return 1;
    if (i + 1 < f->nsegs && !json_object_is_type(next, json_type_object)) {
      int k, len = 0;
      for (k = 0; k <= i; k++)
        len += (int)strlen(f->segs[k]) + (k > 0);
      got(next, gbuf, sizeof gbuf);
      input_seterr(in, "%.*s: expected an object (it holds %s), got %s",
                   len, f->path, f->path, gbuf);
      return -1;
    }
    o = next;
  }
  *v = o;
  return 0;
}

/* Running out of memory is not bad input (the line may be fine): the
 * decoders report it with this exact message. */
static rpol_status fail_status(const rpol_input *in)
{
  return strcmp(in->errmsg, "out of memory") == 0 ? RPOL_ENOMEM
                                                  : RPOL_EINPUT;
}

static rpol_status decode_fail(rpol_input *in, json_object *root)
{
  json_object_put(root);
  in->ok = 0;
  return fail_status(in);
}

int decode_line_fast(rpol_input *in, const char *json, size_t len)
{
  int rc;

  if (in->fast_state == 0) {
    /* Built on the first line, not with the input: hosts that only use
     * the setters never pay for it. */
    rc = fastdec_new(in->pol, &in->fast);
    if (rc < 0)
      return -1;
    in->fast_state = rc == 0 ? 1 : -1;
  }
  if (in->fast_state < 0 || !json)
    return 0;
  return fastdec_decode(in->fast, in, json, len);
}

/* The specialised decoder first; the general one for what it declines,
 * so that every bad_input message is the general decoder's.  Running out
 * of memory is RPOL_ENOMEM from either. */
rpol_status rpol_input_decode(rpol_input *in, const char *json, size_t len)
{
  int rc;

  if (!in || (!json && len))
    return RPOL_EMISUSE;
  rc = decode_line_fast(in, json, len);
  if (rc > 0)
    return RPOL_OK;
  if (rc < 0) {
    in->ok = 0;
    input_seterr(in, "out of memory");
    return RPOL_ENOMEM;
  }
  return decode_line_general(in, json, len);
}

rpol_status decode_line_general(rpol_input *in, const char *json,
                                size_t len)
{
  const rpol_policy *p;
  const struct rt_sub *s;
  json_object *root, *v;
  struct scan sc;
  struct dctx c;
  size_t i;
  long bad;
  int code, sub, rc;
  char gbuf[64];

  if (!in || (!json && len))
    return RPOL_EMISUSE;
  p = in->pol;
  len = rt_input_begin(in, json, len);
  for (i = 0; i < len; i++)
    if (json[i] != ' ' && json[i] != '\t')
      break;
  if (i == len) {
    input_seterr(in, "blank line: expected a JSON object");
    return RPOL_EINPUT;
  }
  if (len > RT_MAX_LINE) {
    input_seterr(in, "line too long: %zu bytes, the limit is %u", len,
                 RT_MAX_LINE);
    return RPOL_EINPUT;
  }
  if ((bad = utf8_check(json, len)) >= 0) {
    /* §12 echoes the id into every record: as for any other invalid
     * line, an id read before the fault is echoed, so scan the valid
     * prefix for it (an id that holds the bad byte is never read). */
    (void)sc_text(&sc, json, (size_t)bad);
    if (sc.id_end > sc.id_start &&
        !(in->id = decode_copy_id(in, json, sc.id_start, sc.id_end))) {
      input_seterr(in, "out of memory");
      return RPOL_ENOMEM;
    }
    input_seterr(in, "invalid UTF-8 at byte %ld", bad + 1);
    return RPOL_EINPUT;
  }
  /* Validate strictly first; the id is echoed even in the error record
   * of an invalid line when it was read before the fault. */
  rc = sc_text(&sc, json, len);
  if (sc.id_end > sc.id_start) {
    in->id = decode_copy_id(in, json, sc.id_start, sc.id_end);
    if (!in->id) {
      input_seterr(in, "out of memory");
      return RPOL_ENOMEM;
    }
  }
  if (rc) {
    input_seterr(in, "invalid JSON: %s at byte %zu", sc.err, sc.err_at + 1);
    return RPOL_EINPUT;
  }
  for (i = 0; json[i] == ' ' || json[i] == '\t'; i++)
    ;
  if (json[i] != '{') {
    input_seterr(in, "expected a JSON object per line, got %s",
                 json[i] == '[' ? "an array"
                 : json[i] == '"' ? "a string"
                 : json[i] == 't' ? "true"
                 : json[i] == 'f' ? "false"
                 : json[i] == 'n' ? "null" : "a number");
    return RPOL_EINPUT;
  }
  json_tokener_reset(in->tok);
  root = json_tokener_parse_ex(in->tok, json, (int)len);
  if (!root || json_tokener_get_parse_end(in->tok) != len) {
    /* valid JSON that json-c cannot take (too large, out of memory) */
    input_seterr(in, "invalid JSON: %s",
                 json_tokener_error_desc(json_tokener_get_error(in->tok)));
    return decode_fail(in, root);
  }

  /* Route by customer.country alone (§2). */
  if (!json_object_object_get_ex(root, "customer", &v) || !v) {
    input_seterr(in, "customer.country: required field is missing");
    return decode_fail(in, root);
  }
  if (!json_object_is_type(v, json_type_object)) {
    got(v, gbuf, sizeof gbuf);
    input_seterr(in, "customer: expected an object (it holds "
                 "customer.country), got %s", gbuf);
    return decode_fail(in, root);
  }
  if (!json_object_object_get_ex(v, "country", &v) || !v) {
    input_seterr(in, "customer.country: required field is missing");
    return decode_fail(in, root);
  }
  code = json_object_is_type(v, json_type_string)
         ? rpol_country_code(json_object_get_string(v)) : -1;
  if (code < 0 || !p->country_ok[code]) {
    got(v, gbuf, sizeof gbuf);
    input_seterr(in, "customer.country: expected an ISO 3166 country code "
                 "such as \"DE\", got %s", gbuf);
    return decode_fail(in, root);
  }
  rpol_country_text(code, in->country);
  sub = p->route[code];
  input_reset(in, sub);
  if (sub < 0) {              /* no_policy: decided as an error */
    json_object_put(root);
    in->ok = 1;
    return RPOL_OK;
  }
  s = &p->subs[sub];

  c.pol = p;
  c.sub = s;
  c.order_cur = -1;
  c.bigint = sc.bigint;
  c.store = &in->store;
  c.msg = in->errmsg;
  c.cap = sizeof in->errmsg;
  /* order.currency first: bare amounts anywhere in the line need it. */
  if (s->f_currency >= 0) {
    const struct rt_field *f = &s->fields[s->f_currency];
    rc = lookup(in, f, root, &v);
    if (rc < 0)
      return decode_fail(in, root);
    if (rc > 0 && f->required) {
      input_seterr(in, "%s: required field is missing", f->path);
      return decode_fail(in, root);
    }
    if (rc == 0) {
      memset(&in->slots[s->f_currency], 0, sizeof in->slots[0]);
      if (dec_scalar(&c, f->path, RPOL_K_CURRENCY, -1, v,
                     &in->slots[s->f_currency]))
        return decode_fail(in, root);
      in->slots[s->f_currency].kind = RPOL_K_CURRENCY;
      in->slots[s->f_currency].present = 1;
      in->state[s->f_currency] = SL_SET;
      c.order_cur = (int)in->slots[s->f_currency].v;
    }
  }
  for (i = 0; i < (size_t)s->nfields; i++) {
    const struct rt_field *f = &s->fields[i];
    struct rpol_slot *sl = &in->slots[i];

    if ((int)i == s->f_currency)
      continue;
    rc = lookup(in, f, root, &v);
    if (rc < 0)
      return decode_fail(in, root);
    if (rc > 0)
      continue;
    memset(sl, 0, sizeof *sl);
    sl->kind = f->kind;
    sl->elem_kind = f->kind == RPOL_K_SET ? f->elem_kind : 0;
    if (f->kind == RPOL_K_SET ? dec_set(&c, f->path, f, v, sl)
                              : dec_scalar(&c, f->path, f->kind, f->enm, v,
                                           sl))
      return decode_fail(in, root);
    sl->present = 1;
    in->state[i] = SL_SET;
  }
  json_object_put(root);
  if (input_finish(in))
    return fail_status(in);
  in->ok = 1;
  return RPOL_OK;
}

/* ---- slots ----------------------------------------------------------------------- */

rpol_slot_id rpol_input_slot(const rpol_policy *p, int policy,
                             const char *path)
{
  int i;

  if (!p || !path || policy < 0 || policy >= p->nsubs)
    return -1;
  for (i = 0; i < p->subs[policy].nfields && i < 0x10000; i++)
    if (strcmp(p->subs[policy].fields[i].path, path) == 0)
      return (rpol_slot_id)(policy << 16 | i);
  return -1;
}

rpol_status rpol_input_route(rpol_input *in, const char *country)
{
  const rpol_policy *p;
  int code;

  if (!in || !country)
    return RPOL_EMISUSE;
  p = in->pol;
  rt_arena_reset(&in->store);
  in->id = NULL;
  in->errmsg[0] = '\0';
  code = rpol_country_code(country);
  if (code < 0 || !p->country_ok[code]) {
    in->ok = 0;
    in->sub = -1;
    input_seterr(in, "customer.country: \"%.8s\" is not an ISO 3166 "
                 "country code", country);
    return RPOL_EINPUT;
  }
  rpol_country_text(code, in->country);
  input_reset(in, p->route[code]);
  if (in->sub >= 0 && p->subs[in->sub].f_country >= 0) {
    int fc = p->subs[in->sub].f_country;
    in->slots[fc].present = 1;
    in->slots[fc].v = code;
    in->state[fc] = SL_SET;
  }
  in->ok = 1;
  in->dirty = 1;
  return RPOL_OK;
}

#define ANY_KIND (-2)

/* The field behind slot id s, checked against the route and kinds. */
static rpol_status slot_field(rpol_input *in, rpol_slot_id s, int k1,
                              int k2, const struct rt_field **f, int *idx)
{
  int sub, i;

  if (!in || s < 0)
    return RPOL_EMISUSE;
  sub = s >> 16;
  i = s & 0xffff;
  if (in->sub < 0 || sub != in->sub || i >= in->pol->subs[sub].nfields)
    return RPOL_EMISUSE;
  if (i == in->pol->subs[sub].f_country)
    return RPOL_EMISUSE;           /* routing goes through input_route */
  *f = &in->pol->subs[sub].fields[i];
  if (k1 != ANY_KIND && (*f)->kind != k1 && (*f)->kind != k2)
    return RPOL_ETYPE;
  *idx = i;
  return RPOL_OK;
}

static rpol_status set_done(rpol_input *in, int i, int64_t v, int cur)
{
  struct rpol_slot *sl = &in->slots[i];

  sl->present = 1;
  sl->v = v;
  sl->cur = cur;
  sl->p = NULL;
  sl->n = 0;
  in->state[i] = SL_SET;
  in->dirty = 1;
  return RPOL_OK;
}

static rpol_status set_bad(rpol_input *in, const struct rt_field *f,
                           const char *what)
{
  input_seterr(in, "%s: %s", f->path, what);
  in->ok = 0;
  return RPOL_EINPUT;
}

rpol_status rpol_input_set_bool(rpol_input *in, rpol_slot_id s, int v)
{
  const struct rt_field *f;
  int i;
  rpol_status st = slot_field(in, s, RPOL_K_BOOL, -1, &f, &i);

  return st ? st : set_done(in, i, v != 0, 0);
}

rpol_status rpol_input_set_int(rpol_input *in, rpol_slot_id s, int64_t v)
{
  const struct rt_field *f;
  int i;
  rpol_status st = slot_field(in, s, RPOL_K_INT, RPOL_K_DURATION, &f, &i);

  return st ? st : set_done(in, i, v, 0);
}

rpol_status rpol_input_set_money(rpol_input *in, rpol_slot_id s,
                                 int64_t minor, const char *currency)
{
  const struct rt_field *f;
  int i, cur;
  rpol_status st = slot_field(in, s, RPOL_K_MONEY, -1, &f, &i);

  if (st)
    return st;
  if (!currency) {
    set_done(in, i, minor, 0);
    in->state[i] = SL_PEND_CUR;
    return RPOL_OK;
  }
  cur = rpol_currency_code(currency);
  if (cur < 0 || in->pol->cur_exp[cur] < 0)
    return set_bad(in, f, "unknown currency (expected an ISO 4217 code)");
  return set_done(in, i, minor, cur);
}

rpol_status rpol_input_set_percent(rpol_input *in, rpol_slot_id s,
                                   int64_t pct)
{
  const struct rt_field *f;
  int i;
  rpol_status st = slot_field(in, s, RPOL_K_PERCENT, -1, &f, &i);

  return st ? st : set_done(in, i, pct, 0);
}

rpol_status rpol_input_set_date(rpol_input *in, rpol_slot_id s, int year,
                                int month, int day)
{
  const struct rt_field *f;
  int i;
  rpol_status st = slot_field(in, s, RPOL_K_DATE, -1, &f, &i);

  if (st)
    return st;
  if (!rpol_civil_valid(year, month, day))
    return set_bad(in, f, "no such date (expected a valid date from "
                          "0001-01-01 to 9999-12-31)");
  return set_done(in, i, rpol_days_from_civil(year, month, day), 0);
}

rpol_status rpol_input_set_string(rpol_input *in, rpol_slot_id s,
                                  const char *str)
{
  const struct rt_field *f;
  int i;
  size_t n;
  rpol_status st = slot_field(in, s, RPOL_K_STRING, -1, &f, &i);

  if (st)
    return st;
  if (!str)
    return RPOL_EMISUSE;
  n = strlen(str);
  if (utf8_check(str, n) >= 0)
    return set_bad(in, f, "expected a string, got invalid UTF-8");
  set_done(in, i, 0, 0);
  in->slots[i].p = str;
  in->slots[i].n = (int64_t)n;
  return RPOL_OK;
}

rpol_status rpol_input_set_enum(rpol_input *in, rpol_slot_id s,
                                const char *name)
{
  const struct rt_field *f;
  const struct rt_enum *e;
  int i, k, code;
  char ebuf[200];
  rpol_status st = slot_field(in, s, RPOL_K_ENUM, RPOL_K_COUNTRY, &f, &i);

  if (st == RPOL_ETYPE)
    st = slot_field(in, s, RPOL_K_CURRENCY, -1, &f, &i);
  if (st)
    return st;
  if (!name)
    return RPOL_EMISUSE;
  if (f->kind == RPOL_K_COUNTRY || f->kind == RPOL_K_CURRENCY) {
    code = f->kind == RPOL_K_COUNTRY ? rpol_country_code(name)
                                     : rpol_currency_code(name);
    if (code < 0 || (f->kind == RPOL_K_COUNTRY ? !in->pol->country_ok[code]
                                               : in->pol->cur_exp[code] < 0))
      return set_bad(in, f, f->kind == RPOL_K_COUNTRY
                                ? "not an ISO 3166 country code"
                                : "not an ISO 4217 currency code");
    return set_done(in, i, code, 0);
  }
  e = &in->pol->subs[in->sub].enums[f->enm];
  for (k = 0; k < e->n; k++)
    if (strcmp(e->members[k], name) == 0)
      return set_done(in, i, k, 0);
  input_seterr(in, "%s: expected %s, got \"%.40s\"", f->path,
               expected(&in->pol->subs[in->sub], RPOL_K_ENUM, f->enm, ebuf,
                        sizeof ebuf), name);
  in->ok = 0;
  return RPOL_EINPUT;
}

rpol_status rpol_input_set_json(rpol_input *in, rpol_slot_id s,
                                const char *json, size_t len)
{
  const struct rt_field *f;
  const struct rt_sub *sub;
  json_object *v;
  struct dctx c;
  struct scan sc;
  int i, rc;
  rpol_status st;

  st = slot_field(in, s, ANY_KIND, -1, &f, &i);
  if (st)
    return st;
  if (!json || len > (size_t)INT32_MAX)
    return RPOL_EMISUSE;
  sub = &in->pol->subs[in->sub];
  if (utf8_check(json, len) >= 0)
    return set_bad(in, f, "invalid UTF-8");
  if (sc_text(&sc, json, len)) {
    input_seterr(in, "%s: invalid JSON: %s at byte %zu", f->path, sc.err,
                 sc.err_at + 1);
    in->ok = 0;
    return RPOL_EINPUT;
  }
  json_tokener_reset(in->tok);
  v = json_tokener_parse_ex(in->tok, json, (int)len);
  if (!v || json_tokener_get_parse_end(in->tok) != len) {
    json_object_put(v);
    return set_bad(in, f, "invalid JSON");
  }
  c.pol = in->pol;
  c.sub = sub;
  c.order_cur = sub->f_currency >= 0 && in->slots[sub->f_currency].present
                ? (int)in->slots[sub->f_currency].v : -1;
  c.bigint = sc.bigint;
  c.store = &in->store;
  c.msg = in->errmsg;
  c.cap = sizeof in->errmsg;
  if (json_object_is_type(v, json_type_null)) {
    json_object_put(v);
    return rpol_input_unset(in, s);
  }
  memset(&in->slots[i], 0, sizeof in->slots[i]);
  in->slots[i].kind = f->kind;
  in->slots[i].elem_kind = f->kind == RPOL_K_SET ? f->elem_kind : 0;
  rc = f->kind == RPOL_K_SET ? dec_set(&c, f->path, f, v, &in->slots[i])
                             : dec_scalar(&c, f->path, f->kind, f->enm, v,
                                          &in->slots[i]);
  json_object_put(v);
  if (rc) {
    in->ok = 0;
    return RPOL_EINPUT;
  }
  in->slots[i].present = 1;
  in->state[i] = SL_SET;
  in->dirty = 1;
  return RPOL_OK;
}

rpol_status rpol_input_unset(rpol_input *in, rpol_slot_id s)
{
  int sub, i;

  if (!in || s < 0)
    return RPOL_EMISUSE;
  sub = s >> 16;
  i = s & 0xffff;
  if (in->sub < 0 || sub != in->sub || i >= in->pol->subs[sub].nfields ||
      i == in->pol->subs[sub].f_country)
    return RPOL_EMISUSE;
  field_reset(in, &in->pol->subs[sub].fields[i], i);
  in->dirty = 1;
  return RPOL_OK;
}
