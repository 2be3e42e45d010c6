/* bench/e2e_handwritten.c: `rpolc eval bench/policy.rpol` by hand.
 *
 * The end-to-end baseline of `make bench`: reads JSON lines with json-c
 * (the library librpol uses, with one reused tokener, as librpol does),
 * takes the fields bench/policy.rpol reads, validates them (types, enum
 * members, dates, money exactness), decides with the hand-written
 * evaluator (handwritten.c) and writes the same JSON record as rpolc eval,
 * byte for byte, which make bench checks.  What it does not do, and
 * rpolc eval does: validate the fields the policy does not read, reject
 * codes that are well formed but not in ISO 3166/4217, and name the
 * failing field in a bad_input message (it prints a fixed one).
 *
 * usage: e2e-handwritten [INPUT]   (stdin when absent)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "handwritten.h"

/* Slots as handwritten.c numbers them (the prelude's schema order). */
enum {
  S_COUNTRY = 1, S_TIER = 2, S_RETURNS_90D = 3, S_CURRENCY = 5,
  S_PAYMENT = 6, S_ORDERED = 7, S_DELIVERED = 8, S_SHIPPING_PAID = 10,
  S_DUTIES_PAID = 11, S_INCOTERM = 12, S_CATEGORY = 14, S_PRICE = 15,
  S_DISCOUNT = 16, S_QUANTITY = 17, S_CONDITION = 18, S_FINAL_SALE = 19,
  S_REQ_DATE = 21, S_REASON = 22, S_PREFERRED = 23, S_METHOD = 24,
  NSLOTS = 27
};

static const char *const tiers[] = {"standard", "vip", NULL};
static const char *const payments[] = {"card", "paypal", "bank_transfer",
  "wallet", "gift_card", "store_credit", "cod", "bnpl", NULL};
static const char *const incoterms[] = {"dap", "ddp", NULL};
static const char *const categories[] = {"apparel", "footwear",
  "accessories", "electronics", "beauty", "hygiene", "perishable",
  "personalized", "furniture", "home", "books", "media", "software",
  "digital", "gift_card", "other", NULL};
static const char *const conditions[] = {"new", "opened", "used",
  "damaged", NULL};
static const char *const reasons[] = {"changed_mind", "size_fit",
  "defective", "wrong_item", "damaged_in_transit", "not_as_described",
  "late_delivery", "other", NULL};
static const char *const refund_methods[] = {"original_payment",
  "store_credit", "exchange", NULL};
static const char *const payers[] = {"customer", "merchant"};
static const char *const verdicts[] = {"allow", "review", "deny"};
static const char *const codes[] = {"not_delivered", "non_returnable",
  "warranty", "final_sale", "hygiene", "damaged", "serial_returner",
  "window_closed"};

static int8_t cur_exp[RPOL_NCURRENCY_CODES];

static int cur_code(const char *s)
{
  return ((s[0] - 'A') * 26 + (s[1] - 'A')) * 26 + (s[2] - 'A');
}

static void init_currencies(void)
{
  static const char *const odd[] = {"BIF0", "CLP0", "DJF0", "GNF0",
    "ISK0", "JPY0", "KMF0", "KRW0", "PYG0", "RWF0", "UGX0", "UYI0",
    "VND0", "VUV0", "XAF0", "XOF0", "XPF0", "BHD3", "IQD3", "JOD3", "KWD3",
    "LYD3", "OMR3", "TND3", "CLF4", "UYW4"};
  memset(cur_exp, 2, sizeof cur_exp);
  for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
    cur_exp[cur_code(odd[i])] = (int8_t)(odd[i][3] - '0');
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

/* The value at root.key, NULL when absent or null. */
static json_object *get(json_object *line, const char *root,
                        const char *key)
{
  json_object *r, *v;
  if (!json_object_object_get_ex(line, root, &r)
      || !json_object_is_type(r, json_type_object)
      || !json_object_object_get_ex(r, key, &v)
      || json_object_is_type(v, json_type_null))
    return NULL;
  return v;
}

static int set_enum(struct rpol_slot *s, json_object *v,
                    const char *const *names, int64_t dflt)
{
  s->present = 1;
  s->kind = RPOL_K_ENUM;
  s->v = dflt;
  if (!v)
    return 0;
  if (!json_object_is_type(v, json_type_string))
    return -1;
  const char *t = json_object_get_string(v);
  for (int i = 0; names[i]; i++)
    if (strcmp(t, names[i]) == 0) {
      s->v = i;
      return 0;
    }
  return -1;
}

static int set_code(struct rpol_slot *s, json_object *v, int n, int kind)
{
  if (!v || !json_object_is_type(v, json_type_string)
      || json_object_get_string_len(v) != n)
    return -1;
  const char *t = json_object_get_string(v);
  int64_t c = 0;
  for (int i = 0; i < n; i++) {
    if (t[i] < 'A' || t[i] > 'Z')
      return -1;
    c = c * 26 + (t[i] - 'A');
  }
  s->present = 1;
  s->kind = (uint8_t)kind;
  s->v = c;
  return 0;
}

static int set_int(struct rpol_slot *s, json_object *v, int64_t dflt)
{
  s->present = 1;
  s->kind = RPOL_K_INT;
  s->v = dflt;
  if (!v)
    return 0;
  if (!json_object_is_type(v, json_type_int))
    return -1;
  errno = 0;
  s->v = json_object_get_int64(v);
  return errno ? -1 : 0;
}

static int set_bool(struct rpol_slot *s, json_object *v)
{
  s->present = 1;
  s->kind = RPOL_K_BOOL;
  if (!v)
    return 0;
  if (!json_object_is_type(v, json_type_boolean))
    return -1;
  s->v = json_object_get_boolean(v);
  return 0;
}

/* "YYYY-MM-DD"; absent leaves the slot missing. */
static int set_date(struct rpol_slot *s, json_object *v, int required)
{
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                              31};
  if (!v)
    return required ? -1 : 0;
  if (!json_object_is_type(v, json_type_string)
      || json_object_get_string_len(v) != 10)
    return -1;
  const char *t = json_object_get_string(v);
  for (int i = 0; i < 10; i++)
    if (i == 4 || i == 7 ? t[i] != '-' : t[i] < '0' || t[i] > '9')
      return -1;
  int y = atoi(t), m = atoi(t + 5), d = atoi(t + 8);
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1]
      || (m == 2 && d == 29 && !leap))
    return -1;
  s->present = 1;
  s->kind = RPOL_K_DATE;
  s->v = days_from_civil(y, m, d);
  return 0;
}

/* "12.50" or "12.50 EUR" (or a JSON integer), exact in its currency. */
static int set_money(struct rpol_slot *s, json_object *v, int order_cur,
                     int required)
{
  s->present = 1;
  s->kind = RPOL_K_MONEY;
  s->cur = order_cur;
  s->v = 0;
  if (!v)
    return required ? -1 : 0;
  if (json_object_is_type(v, json_type_int)) {
    int64_t a = json_object_get_int64(v), p = 1;
    for (int i = 0; i < cur_exp[order_cur]; i++)
      p *= 10;
    return __builtin_mul_overflow(a, p, &s->v) ? -1 : 0;
  }
  if (!json_object_is_type(v, json_type_string))
    return -1;
  const char *t = json_object_get_string(v);
  int neg = *t == '-', frac = -1, exp;
  int64_t mant = 0;
  t += neg;
  if (*t < '0' || *t > '9')
    return -1;
  for (; (*t >= '0' && *t <= '9') || (*t == '.' && frac < 0); t++) {
    if (*t == '.') {
      frac = 0;
      if (t[1] < '0' || t[1] > '9')
        return -1;
      continue;
    }
    if (__builtin_mul_overflow(mant, 10, &mant)
        || __builtin_add_overflow(mant, *t - '0', &mant))
      return -1;
    frac += frac >= 0;
  }
  if (*t == ' ') {
    if (strlen(t + 1) != 3)
      return -1;
    struct rpol_slot c = {0};
    json_object *cv = json_object_new_string(t + 1);
    int bad = set_code(&c, cv, 3, RPOL_K_CURRENCY);
    json_object_put(cv);
    if (bad)
      return -1;
    s->cur = (int32_t)c.v;
  } else if (*t) {
    return -1;
  }
  exp = cur_exp[s->cur];
  if (frac < 0)
    frac = 0;
  for (; frac > exp; frac--) {     /* trailing zeros do not count */
    if (mant % 10)
      return -1;
    mant /= 10;
  }
  for (; frac < exp; frac++)
    if (__builtin_mul_overflow(mant, 10, &mant))
      return -1;
  s->v = neg ? -mant : mant;
  return 0;
}

static int decode(json_object *line, struct rpol_slot *in)
{
  memset(in, 0, sizeof *in * NSLOTS);
  if (!json_object_is_type(line, json_type_object))
    return -1;
  if (set_code(&in[S_COUNTRY], get(line, "customer", "country"), 2,
               RPOL_K_COUNTRY)
      || set_code(&in[S_CURRENCY], get(line, "order", "currency"), 3,
                  RPOL_K_CURRENCY))
    return -1;
  int cur = (int)in[S_CURRENCY].v;
  return set_enum(&in[S_TIER], get(line, "customer", "tier"), tiers, 0)
      || set_int(&in[S_RETURNS_90D], get(line, "customer", "returns_90d"),
                 0)
      || set_enum(&in[S_PAYMENT], get(line, "order", "payment_method"),
                  payments, 0)
      || set_date(&in[S_ORDERED], get(line, "order", "ordered_at"), 0)
      || set_date(&in[S_DELIVERED], get(line, "order", "delivered_at"), 0)
      || set_money(&in[S_SHIPPING_PAID], get(line, "order",
                   "shipping_paid"), cur, 0)
      || set_money(&in[S_DUTIES_PAID], get(line, "order", "duties_paid"),
                   cur, 0)
      || set_enum(&in[S_INCOTERM], get(line, "order", "incoterm"),
                  incoterms, 0)
      || set_enum(&in[S_CATEGORY], get(line, "item", "category"),
                  categories, 15)
      || set_money(&in[S_PRICE], get(line, "item", "price"), cur, 1)
      || set_money(&in[S_DISCOUNT], get(line, "item", "discount"), cur, 0)
      || set_int(&in[S_QUANTITY], get(line, "item", "quantity"), 1)
      || set_enum(&in[S_CONDITION], get(line, "item", "condition"),
                  conditions, 0)
      || set_bool(&in[S_FINAL_SALE], get(line, "item", "final_sale"))
      || set_date(&in[S_REQ_DATE], get(line, "request", "date"), 1)
      || set_enum(&in[S_REASON], get(line, "request", "reason"), reasons,
                  7)
      || set_enum(&in[S_PREFERRED], get(line, "request",
                  "preferred_refund"), refund_methods, 0)
      || set_enum(&in[S_METHOD], get(line, "request", "method"),
                  (const char *const[]){"mail", "drop_off", "in_store",
                                        "pickup", NULL}, 0)
      ? -1 : 0;
}

static char *put_money(char *o, int64_t v, int cur)
{
  int exp = cur_exp[cur];
  uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
  char tmp[32];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u || n <= exp);
  *o++ = '"';
  if (v < 0)
    *o++ = '-';
  while (n > 0) {
    if (n == exp)
      *o++ = '.';
    *o++ = tmp[--n];
  }
  *o++ = '"';
  return o;
}

static char *put_date(char *o, int64_t days)
{
  int64_t y;
  int m, d;
  civil_from_days(days, &y, &m, &d);
  return o + sprintf(o, "\"%04d-%02d-%02d\"", (int)y, m, d);
}

/* The record rpolc eval writes for a decided line. */
static size_t encode(char *buf, const char *id, const struct rpol_slot *in,
                     const struct rpol_result *r)
{
  char *o = buf;
  int cur = (int)in[S_CURRENCY].v, deny = r->verdict == 2;
  o += sprintf(o, "{\"id\":%s,\"policy\":\"bench-crossborder\","
               "\"version\":\"2026.11.0\",\"verdict\":\"%s\","
               "\"eligible\":%s,\"reason\":", id, verdicts[r->verdict],
               deny ? "false" : "true");
  o += r->reason >= 0 ? sprintf(o, "\"%s\"", codes[r->reason])
                      : sprintf(o, "null");
  if (deny)
    o += sprintf(o, ",\"message\":null,\"refund_method\":\"none\","
                 "\"shipping_payer\":\"none\"");
  else
    o += sprintf(o, ",\"message\":null,\"refund_method\":\"%s\","
                 "\"shipping_payer\":\"%s\"",
                 refund_methods[r->out[OUT_REFUND_METHOD].v],
                 payers[r->out[OUT_SHIPPING_PAYER].v]);
  o += sprintf(o, ",\"currency\":\"%c%c%c\"", 'A' + cur / 676,
               'A' + cur / 26 % 26, 'A' + cur % 26);
  static const char *const money[] = {"restocking_fee",
    "return_shipping_fee", "shipping_refund", "duties_refund",
    "refund_amount"};
  for (int k = 0; k < 5; k++) {
    o += sprintf(o, ",\"%s\":", money[k]);
    o = put_money(o, deny ? 0 : r->out[OUT_RESTOCKING_FEE + k].v, cur);
  }
  if (deny) {
    o += sprintf(o, ",\"return_required\":false,\"outputs\":{}}");
    return (size_t)(o - buf);
  }
  o += sprintf(o, ",\"return_required\":true,\"window\":%lld",
               (long long)r->out[OUT_WINDOW].v);
  if (in[S_DELIVERED].present) {
    o += sprintf(o, ",\"return_by\":");
    o = put_date(o, in[S_DELIVERED].v + r->out[OUT_WINDOW].v);
  }
  o += sprintf(o, ",\"refund_within\":%lld,\"refund_by\":",
               (long long)r->out[OUT_REFUND_WITHIN].v);
  o = put_date(o, in[S_REQ_DATE].v + r->out[OUT_REFUND_WITHIN].v);
  o += sprintf(o, ",\"outputs\":{}}");
  return (size_t)(o - buf);
}

int main(int argc, char **argv)
{
  FILE *f = argc > 1 ? fopen(argv[1], "rb") : stdin;
  if (!f) {
    perror(argv[1]);
    return 2;
  }
  init_currencies();
  rpol_bench_tables();
  json_tokener *tok = json_tokener_new();
  struct rpol_slot in[NSLOTS], out[OUT_NSTD];
  int32_t trace[OUT_NSTD];
  struct rpol_env env = {NULL, cur_exp, NULL};
  struct rpol_result res;
  static char obuf[1 << 16];
  static char rec[4096];
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  long lineno = 0;
  int status = 0;

  setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
  while ((n = getline(&line, &cap, f)) >= 0) {
    lineno++;
    if (n && line[n - 1] == '\n')
      n--;
    json_tokener_reset(tok);
    json_object *j = json_tokener_parse_ex(tok, line, (int)n);
    const char *id = "null";
    json_object *idv;
    if (j && json_object_is_type(j, json_type_object)
        && json_object_object_get_ex(j, "id", &idv))
      id = json_object_to_json_string_ext(idv, JSON_C_TO_STRING_PLAIN
                                        | JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t len;
    if (!j || decode(j, in) != 0) {
      len = (size_t)sprintf(rec, "{\"id\":%s,\"line\":%ld,\"error\":"
                            "{\"code\":\"bad_input\",\"message\":"
                            "\"invalid line\"}}", id, lineno);
      status = 1;
    } else {
      memset(&res, 0, sizeof res);
      memset(out, 0, sizeof out);
      res.out = out;
      res.trace = trace;
      res.reason = -1;
      if (rpol_bench_eval(in, &res, &env) != 0) {
        len = (size_t)sprintf(rec, "{\"id\":%s,\"error\":{\"code\":"
                              "\"evaluation\"}}", id);
        status = 1;
      } else {
        len = encode(rec, id, in, &res);
      }
    }
    json_object_put(j);
    rec[len++] = '\n';
    fwrite(rec, 1, len, stdout);
  }
  fflush(stdout);
  json_tokener_free(tok);
  free(line);
  if (f != stdin)
    fclose(f);
  return status;
}
