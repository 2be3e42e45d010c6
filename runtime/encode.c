/* encode.c: decisions and errors as JSON output records (§12).
 *
 * Records are compact (no whitespace at all) with keys in the order §12
 * fixes.  Writing is snprintf-like: the text is cut at the caller's buffer
 * but its full length is always counted, so a host can size a buffer once
 * and retry.  Nothing here allocates.
 */
#include <stdio.h>
#include <string.h>
#include "internal.h"
#include "value.h"

/* ---- the writer --------------------------------------------------------------- */

void wb_put(struct wbuf *w, const char *s, size_t n)
{
  if (w->cap > 0 && w->len + 1 < w->cap) {
    size_t room = w->cap - 1 - w->len;
    memcpy(w->buf + w->len, s, n < room ? n : room);
  }
  w->len += n;
}

void wb_puts(struct wbuf *w, const char *s)
{
  wb_put(w, s, strlen(s));
}

/* wb_put inlined for the common case, text that fits: a record is
 * dozens of short pieces, most of them constants whose copy the compiler
 * turns into a few moves. */
static inline void put(struct wbuf *w, const char *s, size_t n)
{
  if (w->len + n < w->cap) {
    memcpy(w->buf + w->len, s, n);
    w->len += n;
  } else {
    wb_put(w, s, n);
  }
}

#define PUTLIT(w, lit) put((w), (lit), sizeof(lit) - 1)

size_t wb_finish(struct wbuf *w)
{
  if (w->cap > 0)
    w->buf[w->len < w->cap ? w->len : w->cap - 1] = '\0';
  return w->len;
}

/* A JSON string.  Inputs are validated UTF-8 already; should an
 * evaluator hand over anything else, each bad byte becomes U+FFFD so the
 * record stays valid JSON. */
void wb_json_str(struct wbuf *w, const char *str, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0, run = 0, len;
  char esc[6];

  put(w, "\"", 1);
  while (i < n) {
    unsigned c = s[i];
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      i++;
      run++;
      continue;
    }
    if (c >= 0x80 && (len = rt_utf8_len(s + i, n - i)) > 0) {
      i += len;
      run += len;
      continue;
    }
    put(w, (const char *)s + i - run, run);
    run = 0;
    switch (c) {
    case '"': put(w, "\\\"", 2); break;
    case '\\': put(w, "\\\\", 2); break;
    case '\b': put(w, "\\b", 2); break;
    case '\f': put(w, "\\f", 2); break;
    case '\n': put(w, "\\n", 2); break;
    case '\r': put(w, "\\r", 2); break;
    case '\t': put(w, "\\t", 2); break;
    default:
      if (c < 0x20) {
        memcpy(esc, "\\u00", 4);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
        put(w, esc, 6);
      } else {
        put(w, "\xef\xbf\xbd", 3);    /* invalid UTF-8 byte */
      }
    }
    i++;
  }
  put(w, (const char *)s + i - run, run);
  put(w, "\"", 1);
}

static void wb_key(struct wbuf *w, int *first, const char *key)
{
  if (!*first)
    put(w, ",", 1);
  *first = 0;
  wb_json_str(w, key, strlen(key));
  put(w, ":", 1);
}

/* A key that is a string literal needing no escapes: ,"key": in one
 * copy (without the comma for the first key of an object). */
static inline void key_raw(struct wbuf *w, int *first, const char *text,
                           size_t n)
{
  put(w, text + (*first ? 1 : 0), n - (*first ? 1 : 0));
  *first = 0;
}

#define KEY(w, first, k) key_raw((w), (first), ",\"" k "\":", \
                                 sizeof(",\"" k "\":") - 1)

/* Decimal text of v into the end of b[20..]; returns its start. */
static char *fmt_u64(char *end, uint64_t u)
{
  do {
    *--end = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  return end;
}

static void wb_int(struct wbuf *w, int64_t v)
{
  char b[24], *e = b + sizeof b, *s;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

  s = fmt_u64(e, u);
  if (v < 0)
    *--s = '-';
  put(w, s, (size_t)(e - s));
}

static void wb_money(struct wbuf *w, const rpol_policy *p, int64_t minor,
                     int cur, int order_cur)
{
  char b[48];
  int n, exp = cur >= 0 && cur < RPOL_NCURRENCY_CODES ? p->cur_exp[cur] : 0;

  n = rpol_format_money(b + 1, minor, exp < 0 ? 0 : exp);
  b[0] = '"';
  n++;
  if (cur != order_cur) {
    b[n++] = ' ';
    rpol_currency_text(cur, b + n);
    n += 3;
  }
  b[n++] = '"';
  put(w, b, (size_t)n);
}

static void wb_date(struct wbuf *w, int64_t days)
{
  char b[40];
  int n = rpol_format_date(b + 1, days);

  b[0] = '"';
  b[n + 1] = '"';
  put(w, b, (size_t)n + 2);
}

static void wb_code(struct wbuf *w, int kind, int64_t v)
{
  char b[8];

  if (kind == RPOL_K_COUNTRY)
    rpol_country_text((int)v, b + 1);
  else
    rpol_currency_text((int)v, b + 1);
  b[0] = '"';
  put(w, b, strlen(b));
  put(w, "\"", 1);
}

static void wb_enum(struct wbuf *w, const struct rt_sub *s, int enm,
                    int64_t v)
{
  const char *name = rt_enum_member(s, enm, v);

  wb_json_str(w, name, strlen(name));
}

static void wb_scalar(struct wbuf *w, const rpol_policy *p,
                      const struct rt_sub *s, int kind, int enm, int64_t v,
                      int cur, const void *ptr, int64_t n, int order_cur)
{
  char b[40];

  switch (kind) {
  case RPOL_K_BOOL:
    wb_puts(w, v ? "true" : "false");
    break;
  case RPOL_K_INT:
  case RPOL_K_DURATION:
    wb_int(w, v);
    break;
  case RPOL_K_MONEY:
    wb_money(w, p, v, cur, order_cur);
    break;
  case RPOL_K_PERCENT:
    put(w, "\"", 1);
    put(w, b, (size_t)rpol_format_percent(b, v));
    put(w, "\"", 1);
    break;
  case RPOL_K_DATE:
    wb_date(w, v);
    break;
  case RPOL_K_STRING:
    wb_json_str(w, ptr ? ptr : "", ptr && n > 0 ? (size_t)n : 0);
    break;
  case RPOL_K_COUNTRY:
  case RPOL_K_CURRENCY:
    wb_code(w, kind, v);
    break;
  case RPOL_K_ENUM:
    wb_enum(w, s, enm, v);
    break;
  default:
    PUTLIT(w, "null");
  }
}

/* A custom output's value, encoded as an input would be (§12, §14). */
static void wb_value(struct wbuf *w, const rpol_policy *p,
                     const struct rt_sub *s, const struct rt_output *o,
                     const struct rpol_slot *v, int order_cur)
{
  int64_t i, j;

  if (o->kind != RPOL_K_SET) {
    wb_scalar(w, p, s, o->kind, o->enm, v->v, v->cur, v->p, v->n,
              order_cur);
    return;
  }
  put(w, "[", 1);
  if (!v->p)
    ;
  else if (o->elem_kind == RPOL_K_ENUM && o->enm >= 0 &&
           o->enm < s->nenums) {
    /* Enum sets hold member indexes; names go out in code-point order. */
    const struct rt_enum *e = &s->enums[o->enm];
    int first = 1;
    for (j = 0; j < e->n; j++)
      if (rpol_set_has_int(v->p, v->n, e->by_name[j])) {
        if (!first)
          put(w, ",", 1);
        first = 0;
        wb_enum(w, s, o->enm, e->by_name[j]);
      }
  } else {
    for (i = 0; i < v->n; i++) {
      if (i)
        put(w, ",", 1);
      if (o->elem_kind == RPOL_K_STRING) {
        const struct rpol_str *e = (const struct rpol_str *)v->p + i;
        wb_json_str(w, e->ptr ? e->ptr : "", e->ptr ? (size_t)e->len : 0);
      } else if (o->elem_kind == RPOL_K_MONEY) {
        const struct rpol_money *e = (const struct rpol_money *)v->p + i;
        wb_money(w, p, e->amount, e->cur, order_cur);
      } else {
        wb_scalar(w, p, s, o->elem_kind, o->enm,
                  ((const int64_t *)v->p)[i], 0, NULL, 0, order_cur);
      }
    }
  }
  put(w, "]", 1);
}

static void wb_id(struct wbuf *w, const rpol_input *in, int *first)
{
  if (in && in->id) {
    KEY(w, first, "id");
    wb_puts(w, in->id);
  }
}

static void wb_error(struct wbuf *w, const rpol_decision *d,
                     const rpol_input *in)
{
  const char *at = rt_location(d->pol, d->res.err_loc);
  const char *code = rt_error_code_name(d->res.code);
  int first = 1;

  put(w, "{", 1);
  wb_id(w, in, &first);
  KEY(w, &first, "error");
  first = 1;
  put(w, "{", 1);
  KEY(w, &first, "code");
  PUTLIT(w, "\"");
  wb_puts(w, code ? code : "internal");
  PUTLIT(w, "\"");
  KEY(w, &first, "message");
  if (d->res.code == RPOL_E_NO_POLICY) {
    char msg[96];
    snprintf(msg, sizeof msg, "no policy of the bundle serves "
             "customer.country %s", d->country);
    wb_json_str(w, msg, strlen(msg));
  } else if (d->res.code == RPOL_E_BAD_INPUT && in) {
    wb_json_str(w, in->errmsg, strlen(in->errmsg));
  } else {
    const char *m = rt_error_message(d);
    wb_json_str(w, m ? m : "internal error", strlen(m ? m : "internal error"));
  }
  if (d->res.code != RPOL_E_BAD_INPUT) {
    KEY(w, &first, "at");
    if (at)
      wb_json_str(w, at, strlen(at));
    else
      PUTLIT(w, "null");
  }
  put(w, "}}", 2);
}

size_t rpol_input_error_json(const rpol_input *in, long line, char *buf,
                             size_t cap)
{
  struct wbuf w = {buf, buf ? cap : 0, 0};
  int first = 1;
  char num[32];

  put(&w, "{", 1);
  wb_id(&w, in, &first);
  KEY(&w, &first, "line");
  put(&w, num, (size_t)snprintf(num, sizeof num, "%ld", line));
  KEY(&w, &first, "error");
  first = 1;
  put(&w, "{", 1);
  KEY(&w, &first, "code");
  PUTLIT(&w, "\"bad_input\"");
  KEY(&w, &first, "message");
  if (in && in->errmsg[0])
    wb_json_str(&w, in->errmsg, strlen(in->errmsg));
  else
    PUTLIT(&w, "\"bad input\"");
  put(&w, "}}", 2);
  return wb_finish(&w);
}

/* The slot of field index f if the line set or defaulted it. */
static const struct rpol_slot *in_slot(const rpol_input *in, int f)
{
  if (!in || f < 0 || !in->slots[f].present)
    return NULL;
  return &in->slots[f];
}

static void wb_std_money(struct wbuf *w, const rpol_policy *p,
                         const struct rpol_slot *v, int order_cur)
{
  if (v && v->present)
    wb_money(w, p, v->v, v->cur, v->cur);
  else
    wb_money(w, p, 0, order_cur, order_cur);
}

size_t rpol_decision_json(const rpol_decision *d, const rpol_input *in,
                          unsigned flags, const char *locale, char *buf,
                          size_t cap)
{
  struct wbuf w = {buf, buf ? cap : 0, 0};
  const rpol_policy *p;
  const struct rt_sub *s;
  const struct rpol_slot *out, *cs, *ls, *v;
  const char *reason, *msg, *loc;
  int first = 1, deny, order_cur, k, date_f;
  int64_t date;
  static const char *const verdicts[] = {"\"allow\"", "\"review\"",
                                         "\"deny\""};
  static const size_t verdict_len[] = {7, 8, 6};
  /* the keys of money_outs, rendered */
  static const char *const money_keys[] = {
    ",\"restocking_fee\":", ",\"return_shipping_fee\":",
    ",\"shipping_refund\":", ",\"duties_refund\":"};
  static const int money_outs[] = {OUT_RESTOCKING_FEE,
                                   OUT_RETURN_SHIPPING_FEE,
                                   OUT_SHIPPING_REFUND, OUT_DUTIES_REFUND};

  if (!d || !d->done) {
    wb_puts(&w, "{\"error\":{\"code\":\"internal\",\"message\":"
                "\"nothing was decided\",\"at\":null}}");
    return wb_finish(&w);
  }
  if (d->res.code != RPOL_DECIDED || d->sub < 0) {
    wb_error(&w, d, in);
    return wb_finish(&w);
  }
  p = d->pol;
  s = &p->subs[d->sub];
  out = d->res.out;
  deny = d->res.verdict == RPOL_DENY;
  if (in && in->sub != d->sub)
    in = NULL;       /* not the input that was decided: use no fields */
  cs = in ? in_slot(in, s->f_currency) : NULL;
  order_cur = cs ? (int)cs->v : out[OUT_REFUND_AMOUNT].present
                                ? out[OUT_REFUND_AMOUNT].cur : -1;

  put(&w, "{", 1);
  wb_id(&w, in, &first);
  KEY(&w, &first, "policy");
  wb_json_str(&w, s->name, strlen(s->name));
  KEY(&w, &first, "version");
  wb_json_str(&w, s->version, strlen(s->version));
  KEY(&w, &first, "verdict");
  put(&w, verdicts[d->res.verdict], verdict_len[d->res.verdict]);
  KEY(&w, &first, "eligible");
  if (deny)
    PUTLIT(&w, "false");
  else
    PUTLIT(&w, "true");

  reason = d->res.reason >= 0 ? p->codes[d->res.reason] : NULL;
  KEY(&w, &first, "reason");
  if (reason)
    wb_json_str(&w, reason, strlen(reason));
  else
    PUTLIT(&w, "null");
  /* The line's request.locale, when it gave one, else --locale. */
  ls = in && s->f_locale >= 0 && in->state[s->f_locale] == SL_SET
       ? &in->slots[s->f_locale] : NULL;
  msg = rt_message_for(p, d->res.reason,
                       ls && ls->p ? (const char *)ls->p
                                   : locale ? locale : "en");
  KEY(&w, &first, "message");
  if (msg)
    wb_json_str(&w, msg, strlen(msg));
  else
    PUTLIT(&w, "null");

  KEY(&w, &first, "refund_method");
  if (deny || !out[OUT_REFUND_METHOD].present)
    wb_puts(&w, deny ? "\"none\"" : "null");
  else
    wb_enum(&w, s, s->outputs[OUT_REFUND_METHOD].enm,
            out[OUT_REFUND_METHOD].v);
  KEY(&w, &first, "shipping_payer");
  if (deny || !out[OUT_SHIPPING_PAYER].present)
    wb_puts(&w, deny ? "\"none\"" : "null");
  else
    wb_enum(&w, s, s->outputs[OUT_SHIPPING_PAYER].enm,
            out[OUT_SHIPPING_PAYER].v);
  KEY(&w, &first, "currency");
  if (order_cur >= 0)
    wb_code(&w, RPOL_K_CURRENCY, order_cur);
  else
    PUTLIT(&w, "null");

  /* restocking_fee and return_shipping_fee always; shipping_refund and
   * duties_refund when decided (for a denial: when the policy decides
   * them, as the metadata says). */
  for (k = 0; k < 4; k++) {
    int o = money_outs[k];
    int shown = k < 2 || (s->outputs[o].decided >= 0
                              ? s->outputs[o].decided == 1
                              : !deny && out[o].present);
    if (!shown)
      continue;
    key_raw(&w, &first, money_keys[k], strlen(money_keys[k]));
    wb_std_money(&w, p, deny ? NULL : &out[o], order_cur);
  }
  KEY(&w, &first, "refund_amount");
  wb_std_money(&w, p, deny ? NULL : &out[OUT_REFUND_AMOUNT], order_cur);
  KEY(&w, &first, "return_required");
  if (deny || (out[OUT_RETURN_REQUIRED].present &&
               !out[OUT_RETURN_REQUIRED].v))
    PUTLIT(&w, "false");
  else
    PUTLIT(&w, "true");

  if (!deny) {
    /* window and return_by = order.delivered_at + window */
    for (k = 0; k < 2; k++) {
      int o = k == 0 ? OUT_WINDOW : OUT_REFUND_WITHIN;
      if (!out[o].present)
        continue;
      if (k == 0)
        KEY(&w, &first, "window");
      else
        KEY(&w, &first, "refund_within");
      wb_int(&w, out[o].v);
      date_f = k == 0 ? s->f_delivered : s->f_request_date;
      v = in_slot(in, date_f);
      if (v && rpol_date_add(v->v, out[o].v, &date) == 0) {
        if (k == 0)
          KEY(&w, &first, "return_by");
        else
          KEY(&w, &first, "refund_by");
        wb_date(&w, date);
      }
    }
    if (out[OUT_REFUND_TRIGGER].present) {
      KEY(&w, &first, "refund_trigger");
      wb_enum(&w, s, s->outputs[OUT_REFUND_TRIGGER].enm,
              out[OUT_REFUND_TRIGGER].v);
    }
    if (out[OUT_ROUTE].present) {
      KEY(&w, &first, "route");
      wb_scalar(&w, p, s, RPOL_K_STRING, -1, 0, 0, out[OUT_ROUTE].p,
                out[OUT_ROUTE].n, order_cur);
    }
  }

  KEY(&w, &first, "outputs");
  put(&w, "{", 1);
  if (!deny) {
    int f2 = 1;
    for (k = OUT_NSTD; k < s->noutputs; k++) {
      if (!out[k].present)
        continue;
      wb_key(&w, &f2, s->outputs[k].name);
      wb_value(&w, p, s, &s->outputs[k], &out[k], order_cur);
    }
  }
  put(&w, "}", 1);

  if ((flags & RPOL_JSON_EXPLAIN) && !d->untraced) {
    int f2 = 1;
    KEY(&w, &first, "trace");
    put(&w, "{", 1);
    for (k = 0; k < s->noutputs; k++) {
      if (k > 0 && (deny || !out[k].present))
        continue;
      /* The trace names reported outputs only (§12): shipping_refund and
       * duties_refund are reported when the policy decides them. */
      if ((k == OUT_SHIPPING_REFUND || k == OUT_DUTIES_REFUND) &&
          s->outputs[k].decided == 0)
        continue;
      wb_key(&w, &f2, s->outputs[k].name);
      loc = rt_location(p, d->res.trace[k]);
      if (loc)
        wb_json_str(&w, loc, strlen(loc));
      else
        PUTLIT(&w, "null");
    }
    put(&w, "}", 1);
  }
  put(&w, "}", 1);
  return wb_finish(&w);
}
