/* test_runtime.c: librpol end to end, on an artifact built by hand.
 *
 * The metadata below is what the compiler's layout would write for a
 * two-policy bundle, and the evaluators are plain C functions that obey
 * rpol_abi.h, so the runtime is tested without the compiler: routing,
 * decoding of every type (and every bad_input case, one table row each),
 * defaults, byte-exact JSON records, locales, externs, the slot API, and
 * that rpol_decide allocates nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "rpol.h"
#include "internal.h"
#include "value.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the artifact ------------------------------------------------------------- */

#define STD_OUTPUTS(DECIDED_SHIPPING_REFUND)                               \
  "{\"name\":\"eligible\",\"type\":\"verdict\"},"                          \
  "{\"name\":\"refund_method\",\"type\":\"enum\",\"enum\":\"RefundMethod\"}," \
  "{\"name\":\"shipping_payer\",\"type\":\"enum\",\"enum\":\"Payer\"},"    \
  "{\"name\":\"restocking_fee\",\"type\":\"money\"},"                      \
  "{\"name\":\"return_shipping_fee\",\"type\":\"money\"},"                 \
  "{\"name\":\"shipping_refund\",\"type\":\"money\",\"decided\":"          \
  DECIDED_SHIPPING_REFUND "},"                                             \
  "{\"name\":\"duties_refund\",\"type\":\"money\",\"decided\":false},"     \
  "{\"name\":\"refund_amount\",\"type\":\"money\"},"                       \
  "{\"name\":\"refund_trigger\",\"type\":\"enum\",\"enum\":\"RefundTrigger\"}," \
  "{\"name\":\"return_required\",\"type\":\"bool\"},"                      \
  "{\"name\":\"window\",\"type\":\"duration\"},"                           \
  "{\"name\":\"refund_within\",\"type\":\"duration\"},"                    \
  "{\"name\":\"route\",\"type\":\"string\"}"

#define STD_ENUMS                                                          \
  "\"RefundMethod\":[\"original_payment\",\"store_credit\",\"exchange\"],"  \
  "\"Payer\":[\"customer\",\"merchant\"],"                                  \
  "\"RefundTrigger\":[\"immediate\",\"first_scan\",\"receipt\","            \
  "\"inspection\"]"

/* The runtime refuses metadata of another prelude schema, so the test
 * artifact claims the runtime's own. */
#ifdef RPOL_SCHEMA_HASH
#define TEST_SCHEMA RPOL_SCHEMA_HASH
#else
#define TEST_SCHEMA "00ff"
#endif

#define STR_(x) #x
#define STR(x) STR_(x)
#define ABI STR(RPOL_ABI_VERSION)

#define HEADER HEADER_H(TEST_SCHEMA)
#define HEADER_H(HASH)                                                     \
  "{\"format\":\"rpol-artifact\",\"abi\":" ABI ",\"compiler\":\"rpolc 0.1.0\"," \
  "\"schema_hash\":\"" HASH "\","                                           \
  "\"sources\":[{\"path\":\"p/acme.rpol\",\"sha256\":\"ab\"}],"            \
  "\"currencies\":{\"EUR\":2,\"JPY\":0,\"KWD\":3,\"USD\":2},"               \
  "\"countries\":[\"DE\",\"FR\",\"GB\",\"JP\",\"US\"],"                     \
  "\"locations\":[\"p/acme.rpol:10:3\",\"p/acme.rpol:12:5\","              \
  "\"<prelude>:40:3\",\"p/acme.rpol:20:7\"],"                               \
  "\"codes\":[\"final_sale\",\"high_value\"],"                              \
  "\"messages\":{\"final_sale\":{\"en\":\"Final-sale items can't be "      \
  "returned.\",\"de\":\"Reduziert.\",\"pt-BR\":\"Promo\\u00e7\\u00e3o.\"},"  \
  "\"high_value\":{\"en\":\"Needs a \\\"look\\\"\\n\"},"                    \
  "\"unused\":{\"en\":\"x\"}},"                                            \
  "\"externs\":[{\"name\":\"fraud_score\",\"params\":[\"string\"],"        \
  "\"result\":\"int\"}],"

/* Input slots of policy 0 (acme-eu). */
enum {
  I_COUNTRY, I_TIER, I_CURRENCY, I_DELIVERED, I_SHIPPING_PAID, I_PRICE,
  I_QUANTITY, I_FINAL_SALE, I_TAGS, I_DISCOUNT, I_MATERIAL, I_WEIGHT,
  I_DATE, I_LOCALE, I_WINDOW, I_MATERIALS, I_PRICES, I_SHIP_FROM,
  I_ALT_CURRENCY, I_CODES
};

static const char bundle_md[] =
  HEADER
  "\"policies\":["
  "{\"name\":\"acme-eu\",\"version\":\"2026.11.1\",\"file\":\"p/acme.rpol\","
  "\"for\":[\"DE\",\"FR\"],"
  "\"enums\":{\"Tier\":[\"standard\",\"vip\",\"silver\"],"
  "\"Material\":[\"wool\",\"cotton\",\"leather\"]," STD_ENUMS "},"
  "\"inputs\":["
  "{\"path\":\"customer.country\",\"type\":\"country\",\"required\":true},"
  "{\"path\":\"customer.tier\",\"type\":\"enum\",\"enum\":\"Tier\","
  "\"default\":\"standard\"},"
  "{\"path\":\"order.currency\",\"type\":\"currency\",\"required\":true},"
  "{\"path\":\"order.delivered_at\",\"type\":\"date\"},"
  "{\"path\":\"order.shipping_paid\",\"type\":\"money\",\"default\":\"0\"},"
  "{\"path\":\"item.price\",\"type\":\"money\",\"required\":true},"
  "{\"path\":\"item.quantity\",\"type\":\"int\",\"default\":1},"
  "{\"path\":\"item.final_sale\",\"type\":\"bool\",\"default\":false},"
  "{\"path\":\"item.tags\",\"type\":\"set\",\"elem\":\"string\","
  "\"default\":[]},"
  "{\"path\":\"item.discount_pct\",\"type\":\"percent\",\"default\":\"0%\"},"
  "{\"path\":\"item.material\",\"type\":\"enum\",\"enum\":\"Material\"},"
  "{\"path\":\"item.dims.weight\",\"type\":\"int\"},"
  "{\"path\":\"request.date\",\"type\":\"date\",\"required\":true},"
  "{\"path\":\"request.locale\",\"type\":\"string\",\"default\":\"en\"},"
  "{\"path\":\"request.window_days\",\"type\":\"duration\",\"default\":30},"
  "{\"path\":\"item.materials\",\"type\":\"set\",\"elem\":\"enum\","
  "\"enum\":\"Material\",\"default\":[]},"
  "{\"path\":\"item.prices\",\"type\":\"set\",\"elem\":\"money\","
  "\"default\":[\"2.50 USD\",\"1\",1]},"
  "{\"path\":\"order.ship_from\",\"type\":\"country\"},"
  "{\"path\":\"item.alt_currency\",\"type\":\"currency\"},"
  "{\"path\":\"item.codes\",\"type\":\"set\",\"elem\":\"int\","
  "\"default\":[3,1]}],"
  "\"outputs\":[" STD_OUTPUTS("true") ","
  "{\"name\":\"bonus\",\"type\":\"money\"},"
  "{\"name\":\"tags_out\",\"type\":\"set\",\"elem\":\"string\"},"
  "{\"name\":\"mats\",\"type\":\"set\",\"elem\":\"enum\","
  "\"enum\":\"Material\"},"
  "{\"name\":\"pct\",\"type\":\"percent\"},"
  "{\"name\":\"score\",\"type\":\"int\"},"
  "{\"name\":\"when\",\"type\":\"date\"}]},"
  "{\"name\":\"acme-rest\",\"version\":\"1.0\",\"file\":\"p/rest.rpol\","
  "\"for\":null,\"enums\":{" STD_ENUMS "},"
  "\"inputs\":["
  "{\"path\":\"customer.country\",\"type\":\"country\",\"required\":true},"
  "{\"path\":\"order.currency\",\"type\":\"currency\",\"required\":true},"
  "{\"path\":\"item.price\",\"type\":\"money\",\"required\":true},"
  "{\"path\":\"request.date\",\"type\":\"date\",\"required\":true}],"
  "\"outputs\":[" STD_OUTPUTS("false") "]}]}";

#define US_POLICIES                                                        \
  "\"policies\":["                                                         \
  "{\"name\":\"us-only\",\"version\":\"1\",\"file\":\"p/us.rpol\","          \
  "\"for\":[\"US\"],\"enums\":{" STD_ENUMS "},"                              \
  "\"inputs\":["                                                           \
  "{\"path\":\"customer.country\",\"type\":\"country\",\"required\":true}," \
  "{\"path\":\"order.currency\",\"type\":\"currency\",\"required\":true}],"\
  "\"outputs\":[" STD_OUTPUTS("false") "]}]}"

static const char wrong_schema_md[] = HEADER_H("0bad") US_POLICIES;

static const char us_only_md[] = HEADER US_POLICIES;

enum {
  O_ELIGIBLE, O_REFUND_METHOD, O_PAYER, O_RESTOCKING, O_RETURN_SHIPPING,
  O_SHIPPING_REFUND, O_DUTIES_REFUND, O_REFUND_AMOUNT, O_TRIGGER,
  O_RETURN_REQUIRED, O_WINDOW, O_REFUND_WITHIN, O_ROUTE, O_BONUS, O_TAGS,
  O_MATS, O_PCT, O_SCORE, O_WHEN
};

static const char route_text[] = "DHL \"x\"\t/\xc3\xa9";

static void put(struct rpol_result *r, int k, int kind, int64_t v, int cur,
                int loc)
{
  r->out[k].present = 1;
  r->out[k].kind = (uint8_t)kind;
  r->out[k].v = v;
  r->out[k].cur = cur;
  r->trace[k] = loc;
}

static int err(struct rpol_result *r, int code, int loc)
{
  r->code = code;
  r->err_loc = loc;
  return code;
}

/* The hand-written evaluator of acme-eu. */
static int eval_eu(const struct rpol_slot *in, struct rpol_result *r,
                   const struct rpol_env *env)
{
  int64_t gross, score = 0, when;
  int cur = (int)in[I_CURRENCY].v;

  r->trace[O_ELIGIBLE] = 0;
  if (in[I_FINAL_SALE].v) {
    r->verdict = 2;
    r->reason = 0;
    return 0;
  }
  if (in[I_TIER].v == 2 && !in[I_MATERIAL].present)
    return err(r, RPOL_E_MISSING_INPUT, 1);
  if (rpol_mul(in[I_PRICE].v, in[I_QUANTITY].v, &gross))
    return err(r, RPOL_E_OVERFLOW, 3);
  if (gross > 100000) {
    r->verdict = 1;
    r->reason = 1;
  }
  put(r, O_REFUND_METHOD, RPOL_K_ENUM, in[I_TIER].v == 1, 0, 3);
  put(r, O_PAYER, RPOL_K_ENUM, 0, 0, 3);
  put(r, O_RESTOCKING, RPOL_K_MONEY, 0, cur, 2);
  put(r, O_RETURN_SHIPPING, RPOL_K_MONEY, 0, cur, 2);
  put(r, O_SHIPPING_REFUND, RPOL_K_MONEY, in[I_SHIPPING_PAID].v,
      in[I_SHIPPING_PAID].cur, 3);
  put(r, O_REFUND_AMOUNT, RPOL_K_MONEY, gross, cur, 2);
  if (in[I_TIER].v == 1)
    put(r, O_TRIGGER, RPOL_K_ENUM, 2, 0, 3);
  put(r, O_RETURN_REQUIRED, RPOL_K_BOOL, 1, 0, 2);
  put(r, O_WINDOW, RPOL_K_DURATION, in[I_WINDOW].v, 0, 3);
  put(r, O_REFUND_WITHIN, RPOL_K_DURATION, 14, 0, 3);
  put(r, O_ROUTE, RPOL_K_STRING, 0, 0, 3);
  r->out[O_ROUTE].p = route_text;
  r->out[O_ROUTE].n = (int64_t)strlen(route_text);
  put(r, O_BONUS, RPOL_K_MONEY, 500, rpol_currency_code("USD"), 3);
  r->out[O_TAGS] = in[I_TAGS];
  r->trace[O_TAGS] = 3;
  r->out[O_MATS] = in[I_MATERIALS];
  r->trace[O_MATS] = 3;
  put(r, O_PCT, RPOL_K_PERCENT, in[I_DISCOUNT].v, 0, 3);
  if (in[I_WEIGHT].present && in[I_WEIGHT].v > 100) {
    int64_t (*fn)(const char *) = (int64_t (*)(const char *))env->externs[0];
    if (!fn)
      return err(r, RPOL_E_UNBOUND_EXTERN, 3);
    score = fn("heavy");
  }
  put(r, O_SCORE, RPOL_K_INT, score, 0, 3);
  if (rpol_date_add(in[I_DATE].v, 1, &when))
    return err(r, RPOL_E_OVERFLOW, 3);
  put(r, O_WHEN, RPOL_K_DATE, when, 0, 3);
  return 0;
}

/* acme-rest: allow, refund the price; reads its host pointer. */
static int rest_host_seen;
static int eval_rest(const struct rpol_slot *in, struct rpol_result *r,
                     const struct rpol_env *env)
{
  int cur = (int)in[1].v;

  rest_host_seen = env->host != NULL ? *(const int *)env->host : -1;
  r->trace[O_ELIGIBLE] = 0;
  put(r, O_REFUND_METHOD, RPOL_K_ENUM, 0, 0, 3);
  put(r, O_PAYER, RPOL_K_ENUM, 1, 0, 3);
  put(r, O_RESTOCKING, RPOL_K_MONEY, 0, cur, 2);
  put(r, O_RETURN_SHIPPING, RPOL_K_MONEY, 0, cur, 2);
  put(r, O_REFUND_AMOUNT, RPOL_K_MONEY, in[2].v, in[2].cur, 2);
  put(r, O_RETURN_REQUIRED, RPOL_K_BOOL, 1, 0, 2);
  return 0;
}

static const rpol_eval_fn bundle_evals[] = {eval_eu, eval_rest};
static const struct rpol_artifact bundle_art = {
  RPOL_ARTIFACT_MAGIC, RPOL_ABI_VERSION, sizeof(struct rpol_artifact), 2,
  bundle_md, sizeof bundle_md - 1, bundle_evals, NULL
};
static const rpol_eval_fn us_evals[] = {eval_rest};
static const struct rpol_artifact wrong_schema_art
    __attribute__((unused)) = {
  RPOL_ARTIFACT_MAGIC, RPOL_ABI_VERSION, sizeof(struct rpol_artifact), 1,
  wrong_schema_md, sizeof wrong_schema_md - 1, us_evals, NULL
};
static const struct rpol_artifact us_art = {
  RPOL_ARTIFACT_MAGIC, RPOL_ABI_VERSION, sizeof(struct rpol_artifact), 1,
  us_only_md, sizeof us_only_md - 1, us_evals, NULL
};

/* ---- the counting allocator ------------------------------------------------------ */

struct counter {
  long allocs, frees, live;
};

static void *count_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
  struct counter *c = ud;

  if (nsize == 0) {
    if (ptr) {
      c->frees++;
      c->live--;
    }
    free(ptr);
    return NULL;
  }
  c->allocs++;
  if (!ptr)
    c->live++;
  (void)osize;
  return realloc(ptr, nsize);
}

/* ---- fixtures ---------------------------------------------------------------------- */

struct fx {
  struct counter count;
  rpol_runtime *rt;
  rpol_policy *p;
  rpol_input *in;
  rpol_decision *d;
  int host1;
  char buf[4096];
};

static int fx_setup(void **state)
{
  struct fx *f = calloc(1, sizeof *f);
  void *hosts[2];

  hosts[0] = NULL;
  hosts[1] = &f->host1;
  f->host1 = 42;
  assert_int_equal(rpol_runtime_new(&f->rt, count_alloc, &f->count),
                   RPOL_OK);
  if (rpol_policy_from_artifact(f->rt, &bundle_art, hosts, NULL, NULL,
                                &f->p) != RPOL_OK) {
    print_error("%s\n", rpol_errmsg(f->rt));
    fail();
  }
  assert_int_equal(rpol_input_new(f->p, &f->in), RPOL_OK);
  assert_int_equal(rpol_decision_new(f->p, &f->d), RPOL_OK);
  *state = f;
  return 0;
}

static int fx_teardown(void **state)
{
  struct fx *f = *state;

  rpol_decision_free(f->d);
  rpol_input_free(f->in);
  rpol_policy_unref(f->p);
  rpol_runtime_free(f->rt);
  /* every block the runtime allocated was given back */
  assert_int_equal(f->count.live, 0);
  free(f);
  return 0;
}

/* Decodes, decides and encodes one line; returns the record. */
static const char *run(struct fx *f, const char *line, unsigned flags,
                       const char *locale)
{
  rpol_status st = rpol_input_decode(f->in, line, strlen(line));
  size_t n;

  if (st != RPOL_OK) {
    n = rpol_input_error_json(f->in, 1, f->buf, sizeof f->buf);
  } else {
    st = rpol_decide(f->p, f->in, f->d);
    assert_int_equal(st, RPOL_OK);
    n = rpol_decision_json(f->d, f->in, flags, locale, f->buf,
                           sizeof f->buf);
  }
  assert_true(n < sizeof f->buf);
  return f->buf;
}

static void expect_str(const char *got, const char *want)
{
  if (strcmp(got, want) != 0) {
    print_error("got:  %s\nwant: %s\n", got, want);
    fail();
  }
}

#define LINE_DE(ITEM, REQUEST)                                             \
  "{\"id\":\"r-1\",\"customer\":{\"country\":\"DE\"},"                      \
  "\"order\":{\"currency\":\"EUR\",\"delivered_at\":\"2026-03-01\","        \
  "\"shipping_paid\":\"4.95\"},\"item\":{" ITEM "},"                        \
  "\"request\":{\"date\":\"2026-03-11\"" REQUEST "}}"

/* ---- encoding, byte-exact ------------------------------------------------------------ */

static const char allow_line[] = LINE_DE(
    "\"price\":\"100.00\",\"quantity\":2,\"tags\":[\"b\",\"a\",\"b\"],"
    "\"materials\":[\"wool\",\"cotton\",\"leather\",\"wool\"],"
    "\"discount_pct\":\"12.5%\"", "");

static const char allow_json[] =
  "{\"id\":\"r-1\",\"policy\":\"acme-eu\",\"version\":\"2026.11.1\","
  "\"verdict\":\"allow\",\"eligible\":true,\"reason\":null,"
  "\"message\":null,\"refund_method\":\"original_payment\","
  "\"shipping_payer\":\"customer\",\"currency\":\"EUR\","
  "\"restocking_fee\":\"0.00\",\"return_shipping_fee\":\"0.00\","
  "\"shipping_refund\":\"4.95\",\"refund_amount\":\"200.00\","
  "\"return_required\":true,\"window\":30,\"return_by\":\"2026-03-31\","
  "\"refund_within\":14,\"refund_by\":\"2026-03-25\","
  "\"route\":\"DHL \\\"x\\\"\\t/\xc3\xa9\","
  "\"outputs\":{\"bonus\":\"5.00 USD\",\"tags_out\":[\"a\",\"b\"],"
  "\"mats\":[\"cotton\",\"leather\",\"wool\"],\"pct\":\"12.5%\","
  "\"score\":0,\"when\":\"2026-03-12\"}}";

static void test_encode_allow(void **state)
{
  struct fx *f = *state;

  expect_str(run(f, allow_line, 0, NULL), allow_json);
  assert_int_equal(rpol_decision_verdict(f->d), RPOL_ALLOW);
  assert_null(rpol_decision_reason(f->d));
  assert_null(rpol_decision_error(f->d));
  assert_int_equal(rpol_decision_policy(f->d), 0);
}

static void test_encode_explain(void **state)
{
  struct fx *f = *state;
  char want[4096];
  const char *a = "\"p/acme.rpol:20:7\"", *pre = "\"<prelude>:40:3\"";

  snprintf(want, sizeof want,
           "%.*s,\"trace\":{\"eligible\":\"p/acme.rpol:10:3\","
           "\"refund_method\":%s,\"shipping_payer\":%s,"
           "\"restocking_fee\":%s,\"return_shipping_fee\":%s,"
           "\"shipping_refund\":%s,\"refund_amount\":%s,"
           "\"return_required\":%s,\"window\":%s,\"refund_within\":%s,"
           "\"route\":%s,\"bonus\":%s,\"tags_out\":%s,\"mats\":%s,"
           "\"pct\":%s,\"score\":%s,\"when\":%s}}",
           (int)strlen(allow_json) - 1, allow_json, a, a, pre, pre, a, pre,
           pre, a, a, a, a, a, a, a, a, a);
  expect_str(run(f, allow_line, RPOL_JSON_EXPLAIN, NULL), want);
  assert_string_equal(rpol_decision_trace(f->d, O_RESTOCKING),
                      "<prelude>:40:3");
  assert_null(rpol_decision_trace(f->d, O_DUTIES_REFUND));
}

static const char deny_json[] =
  "{\"id\":\"r-1\",\"policy\":\"acme-eu\",\"version\":\"2026.11.1\","
  "\"verdict\":\"deny\",\"eligible\":false,\"reason\":\"final_sale\","
  "\"message\":\"%s\",\"refund_method\":\"none\","
  "\"shipping_payer\":\"none\",\"currency\":\"EUR\","
  "\"restocking_fee\":\"0.00\",\"return_shipping_fee\":\"0.00\","
  "\"shipping_refund\":\"0.00\",\"refund_amount\":\"0.00\","
  "\"return_required\":false,\"outputs\":{}%s}";

static void test_encode_deny(void **state)
{
  struct fx *f = *state;
  char want[2048];
  struct rpol_value v;

  snprintf(want, sizeof want, deny_json, "Final-sale items can't be "
           "returned.", "");
  expect_str(run(f, LINE_DE("\"price\":\"10.00\",\"final_sale\":true", ""),
                 0, NULL), want);
  assert_int_equal(rpol_decision_verdict(f->d), RPOL_DENY);
  assert_string_equal(rpol_decision_reason(f->d), "final_sale");
  /* a denial reports nothing but its verdict */
  assert_int_equal(rpol_decision_output(f->d, O_REFUND_AMOUNT, &v),
                   RPOL_OK);
  assert_int_equal(v.present, 0);
  assert_int_equal(rpol_decision_output(f->d, O_ELIGIBLE, &v), RPOL_OK);
  assert_true(v.present && v.i == RPOL_DENY && v.type == RPOL_T_VERDICT);
  assert_string_equal(v.s, "final_sale");

  snprintf(want, sizeof want, deny_json, "Reduziert.",
           ",\"trace\":{\"eligible\":\"p/acme.rpol:10:3\"}");
  expect_str(run(f, LINE_DE("\"price\":\"10.00\",\"final_sale\":true",
                            ",\"locale\":\"de-CH\""),
                 RPOL_JSON_EXPLAIN, NULL), want);
}

static void test_encode_review(void **state)
{
  struct fx *f = *state;
  const char *got = run(f, LINE_DE("\"price\":\"600.00\",\"quantity\":2",
                                   ""), 0, NULL);

  assert_non_null(strstr(got, "\"verdict\":\"review\",\"eligible\":true,"
                              "\"reason\":\"high_value\",\"message\":"
                              "\"Needs a \\\"look\\\"\\n\","));
  assert_non_null(strstr(got, "\"refund_amount\":\"1200.00\""));
  assert_int_equal(rpol_decision_verdict(f->d), RPOL_REVIEW);
}

static void test_encode_errors(void **state)
{
  struct fx *f = *state;
  rpol_policy *us;
  rpol_input *in;
  rpol_decision *d;
  char buf[512];
  const char *line;
  size_t n;

  /* overflow, located */
  expect_str(run(f, LINE_DE("\"price\":\"92233720368547758.07\","
                            "\"quantity\":2", ""), RPOL_JSON_EXPLAIN, NULL),
             "{\"id\":\"r-1\",\"error\":{\"code\":\"overflow\",\"message\":"
             "\"the result is outside the signed 64-bit range\","
             "\"at\":\"p/acme.rpol:20:7\"}}");
  assert_string_equal(rpol_decision_error(f->d), "overflow");
  assert_string_equal(rpol_decision_error_at(f->d), "p/acme.rpol:20:7");
  assert_int_equal(rpol_decision_verdict(f->d), RPOL_NO_VERDICT);
  /* missing_input */
  expect_str(run(f, "{\"customer\":{\"country\":\"FR\",\"tier\":\"silver\"},"
                    "\"order\":{\"currency\":\"EUR\"},\"item\":{\"price\":1},"
                    "\"request\":{\"date\":\"2026-01-01\"}}", 0, NULL),
             "{\"error\":{\"code\":\"missing_input\",\"message\":\"an "
             "optional input field that the line does not give was read; "
             "test it with present() or give a fallback with ??\","
             "\"at\":\"p/acme.rpol:12:5\"}}");
  /* bad_input record */
  expect_str(run(f, LINE_DE("\"price\":true", ""), 0, NULL),
             "{\"id\":\"r-1\",\"line\":1,\"error\":{\"code\":\"bad_input\","
             "\"message\":\"item.price: expected money such as \\\"12.50\\\" "
             "or \\\"12.50 EUR\\\", got true\"}}");
  /* deciding a bad input says so */
  assert_int_equal(rpol_decide(f->p, f->in, f->d), RPOL_EINPUT);
  assert_string_equal(rpol_decision_error(f->d), "bad_input");

  /* no_policy: a bundle without a fallback */
  assert_int_equal(rpol_policy_from_artifact(f->rt, &us_art, NULL, NULL,
                                             NULL, &us), RPOL_OK);
  assert_int_equal(rpol_input_new(us, &in), RPOL_OK);
  assert_int_equal(rpol_decision_new(us, &d), RPOL_OK);
  line = "{\"id\":7,\"customer\":{\"country\":\"JP\"}}";
  assert_int_equal(rpol_input_decode(in, line, strlen(line)), RPOL_OK);
  assert_int_equal(rpol_input_policy(in), -1);
  assert_int_equal(rpol_decide(us, in, d), RPOL_OK);
  n = rpol_decision_json(d, in, RPOL_JSON_EXPLAIN, NULL, buf, sizeof buf);
  expect_str(buf, "{\"id\":7,\"error\":{\"code\":\"no_policy\",\"message\":"
                  "\"no policy of the bundle serves customer.country JP\","
                  "\"at\":null}}");
  assert_int_equal(n, strlen(buf));
  assert_null(rpol_decision_error_at(d));
  /* handles of one policy do not mix with another's */
  assert_int_equal(rpol_decide(f->p, in, f->d), RPOL_EMISUSE);
  rpol_decision_free(d);
  rpol_input_free(in);
  rpol_policy_unref(us);
}

static void test_encode_truncation(void **state)
{
  struct fx *f = *state;
  char small[16];
  size_t need;

  run(f, allow_line, 0, NULL);
  need = rpol_decision_json(f->d, f->in, 0, NULL, small, sizeof small);
  assert_int_equal(need, strlen(allow_json));
  assert_int_equal(strlen(small), sizeof small - 1);
  assert_memory_equal(small, allow_json, sizeof small - 1);
  assert_int_equal(rpol_decision_json(f->d, f->in, 0, NULL, NULL, 0),
                   strlen(allow_json));
}

/* ---- routing ------------------------------------------------------------------------- */

static void test_routing(void **state)
{
  struct fx *f = *state;
  const char *got;

  assert_int_equal(rpol_policy_count(f->p), 2);
  assert_string_equal(rpol_policy_name(f->p, 0), "acme-eu");
  assert_string_equal(rpol_policy_version(f->p, 1), "1.0");
  assert_string_equal(rpol_policy_compiler(f->p), "rpolc 0.1.0");
  assert_int_equal(rpol_policy_route(f->p, "FR"), 0);
  assert_int_equal(rpol_policy_route(f->p, "US"), 1);    /* fallback */
  assert_int_equal(rpol_policy_route(f->p, "ZZ"), -2);   /* not listed */
  assert_int_equal(rpol_policy_route(f->p, "fr"), -2);
  assert_int_equal(rpol_policy_find(f->p, "acme-rest"), 1);
  assert_int_equal(rpol_policy_find(f->p, "nope"), -1);
  assert_int_equal(rpol_policy_noutputs(f->p, 0), 19);
  assert_int_equal(rpol_policy_noutputs(f->p, 1), 13);
  assert_string_equal(rpol_policy_output_name(f->p, 0, 13), "bonus");
  assert_null(rpol_policy_output_name(f->p, 0, 19));

  got = run(f, "{\"id\":[1, {\"a\" : \"b c\"}],\"customer\":"
               "{\"country\":\"US\"},\"order\":{\"currency\":\"USD\"},"
               "\"item\":{\"price\":\"10\",\"tier\":\"bogus\"},"
               "\"request\":{\"date\":\"2026-01-01\"}}", 0, NULL);
  expect_str(got, "{\"id\":[1,{\"a\":\"b c\"}],\"policy\":\"acme-rest\","
                  "\"version\":\"1.0\",\"verdict\":\"allow\","
                  "\"eligible\":true,\"reason\":null,\"message\":null,"
                  "\"refund_method\":\"original_payment\","
                  "\"shipping_payer\":\"merchant\",\"currency\":\"USD\","
                  "\"restocking_fee\":\"0.00\","
                  "\"return_shipping_fee\":\"0.00\","
                  "\"refund_amount\":\"10.00\",\"return_required\":true,"
                  "\"outputs\":{}}");
  assert_int_equal(rest_host_seen, 42);    /* hosts[1] reached env->host */
  assert_int_equal(rpol_decision_policy(f->d), 1);
}

/* ---- decoding ------------------------------------------------------------------------ */

static const struct rpol_slot *slot(struct fx *f, int i)
{
  return &f->in->slots[i];
}

static void decode_ok(struct fx *f, const char *line)
{
  if (rpol_input_decode(f->in, line, strlen(line)) != RPOL_OK) {
    print_error("%s\n  -> %s\n", line, rpol_input_errmsg(f->in));
    fail();
  }
}

static void test_decode_types(void **state)
{
  struct fx *f = *state;
  const struct rpol_str *tags;
  const struct rpol_money *pm;
  const int64_t *ints;
  int eur = rpol_currency_code("EUR"), usd = rpol_currency_code("USD");

  decode_ok(f, "{\"customer\":{\"country\":\"DE\",\"tier\":\"vip\"},"
               "\"order\":{\"currency\":\"KWD\",\"delivered_at\":\"2024-02-29\","
               "\"shipping_paid\":\"1.5 EUR\",\"ship_from\":\"GB\"},"
               "\"item\":{\"price\":12.345,\"quantity\":-9223372036854775808,"
               "\"final_sale\":false,\"tags\":[\"z\",\"\\u00e9\",\"a\",\"z\"],"
               "\"discount_pct\":\"-0.0001%\",\"material\":\"leather\","
               "\"dims\":{\"weight\":9223372036854775807},"
               "\"codes\":[5,-1,5],\"alt_currency\":\"JPY\","
               "\"prices\":[\"1.000\",\"1 EUR\",0.5]},"
               "\"request\":{\"date\":\"9999-12-31\",\"locale\":\"pt-BR\","
               "\"window_days\":-3},\"unknown\":{\"deep\":[1,2]}}\r\n");
  assert_int_equal(slot(f, I_TIER)->v, 1);
  assert_int_equal(slot(f, I_CURRENCY)->v, rpol_currency_code("KWD"));
  assert_int_equal(slot(f, I_DELIVERED)->v, 19782);
  assert_true(slot(f, I_SHIPPING_PAID)->v == 150 &&
              slot(f, I_SHIPPING_PAID)->cur == eur);
  assert_int_equal(slot(f, I_PRICE)->v, 12345);          /* KWD: 3 decimals */
  assert_int_equal(slot(f, I_QUANTITY)->v, INT64_MIN);
  assert_int_equal(slot(f, I_FINAL_SALE)->v, 0);
  assert_true(slot(f, I_FINAL_SALE)->present);
  tags = slot(f, I_TAGS)->p;
  assert_int_equal(slot(f, I_TAGS)->n, 3);          /* sorted, deduplicated */
  assert_string_equal(tags[0].ptr, "a");
  assert_string_equal(tags[1].ptr, "z");
  assert_string_equal(tags[2].ptr, "\xc3\xa9");
  assert_int_equal(slot(f, I_DISCOUNT)->v, -1);
  assert_int_equal(slot(f, I_MATERIAL)->v, 2);
  assert_int_equal(slot(f, I_WEIGHT)->v, INT64_MAX);
  assert_int_equal(slot(f, I_DATE)->v, RPOL_DATE_MAX);
  assert_string_equal(slot(f, I_LOCALE)->p, "pt-BR");
  assert_int_equal(slot(f, I_WINDOW)->v, -3);
  assert_int_equal(slot(f, I_SHIP_FROM)->v, rpol_country_code("GB"));
  assert_int_equal(slot(f, I_ALT_CURRENCY)->v, rpol_currency_code("JPY"));
  ints = slot(f, I_CODES)->p;
  assert_int_equal(slot(f, I_CODES)->n, 2);
  assert_true(ints[0] == -1 && ints[1] == 5);
  pm = slot(f, I_PRICES)->p;
  assert_int_equal(slot(f, I_PRICES)->n, 3);
  assert_true(pm[0].cur == eur && pm[0].amount == 100);
  assert_true(pm[1].cur == rpol_currency_code("KWD") && pm[1].amount == 500);
  assert_true(pm[2].cur == rpol_currency_code("KWD") && pm[2].amount == 1000);
  assert_string_equal(rpol_input_id(f->in) ? "x" : "none", "none");

  /* defaults, optional fields, null as missing, last duplicate wins */
  decode_ok(f, "{\"id\":\"r\\u00e9\",\"customer\":{\"country\":\"FR\","
               "\"tier\":null},\"order\":{\"currency\":\"EUR\"},"
               "\"item\":{\"price\":\"1.00\",\"price\":\"2.50\","
               "\"material\":null,\"dims\":null},"
               "\"request\":{\"date\":\"2026-01-01\"}}");
  assert_string_equal(rpol_input_id(f->in), "\"r\\u00e9\"");
  assert_int_equal(slot(f, I_PRICE)->v, 250);
  assert_true(slot(f, I_TIER)->present && slot(f, I_TIER)->v == 0);
  assert_false(slot(f, I_DELIVERED)->present);
  assert_false(slot(f, I_MATERIAL)->present);
  assert_false(slot(f, I_WEIGHT)->present);
  assert_true(slot(f, I_SHIPPING_PAID)->present &&
              slot(f, I_SHIPPING_PAID)->v == 0 &&
              slot(f, I_SHIPPING_PAID)->cur == eur);
  assert_true(slot(f, I_QUANTITY)->present && slot(f, I_QUANTITY)->v == 1);
  assert_int_equal(slot(f, I_TAGS)->n, 0);
  assert_string_equal(slot(f, I_LOCALE)->p, "en");
  assert_int_equal(slot(f, I_WINDOW)->v, 30);
  pm = slot(f, I_PRICES)->p;           /* ["2.50 USD", "1", 1] in EUR */
  assert_int_equal(slot(f, I_PRICES)->n, 2);
  assert_true(pm[0].cur == eur && pm[0].amount == 100);
  assert_true(pm[1].cur == usd && pm[1].amount == 250);
  ints = slot(f, I_CODES)->p;
  assert_true(slot(f, I_CODES)->n == 2 && ints[0] == 1 && ints[1] == 3);

  /* the JPY default of 0 and a JSON number amount */
  decode_ok(f, "{\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":"
               "\"JPY\"},\"item\":{\"price\":1500.00},"
               "\"request\":{\"date\":\"0001-01-01\"}}");
  assert_int_equal(slot(f, I_PRICE)->v, 1500);
  assert_int_equal(slot(f, I_DATE)->v, RPOL_DATE_MIN);
  assert_int_equal(slot(f, I_SHIPPING_PAID)->v, 0);

  /* an id that json-c would clamp is echoed exactly */
  decode_ok(f, "{\"id\": 123456789012345678901234567890 ,\"customer\":"
               "{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\"},"
               "\"item\":{\"price\":\"10\"},\"request\":{\"date\":"
               "\"2026-01-01\"}}");
  assert_string_equal(rpol_input_id(f->in),
                      "123456789012345678901234567890");
}

/* price "1e1" is not a money string */
static void test_decode_money_string_exponent(void **state)
{
  struct fx *f = *state;
  const char *line = LINE_DE("\"price\":\"1e1\"", "");

  assert_int_equal(rpol_input_decode(f->in, line, strlen(line)),
                   RPOL_EINPUT);
  assert_int_equal(rpol_input_decode(f->in, LINE_DE("\"price\":1e1", ""),
                                     strlen(LINE_DE("\"price\":1e1", ""))),
                   RPOL_OK);
  assert_int_equal(slot(f, I_PRICE)->v, 1000);
}

static void test_decode_bad_input(void **state)
{
  static const struct {
    const char *line;
    const char *msg;        /* expected message, or its prefix if it ends
                               with '*' */
  } t[] = {
    {"", "blank line: expected a JSON object"},
    {"  \t ", "blank line: expected a JSON object"},
    {"\r", "blank line: expected a JSON object"},
    {"{\"a\":\"\xff\"}", "invalid UTF-8 at byte 7"},
    {"{\"a\":\"\xc0\xaf\"}", "invalid UTF-8 at byte 7"},
    {"{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8 at byte 7"},
    {"[1]", "expected a JSON object per line, got an array"},
    {"\"x\"", "expected a JSON object per line, got a string"},
    {"null", "expected a JSON object per line, got null"},
    {"-1.5e3", "expected a JSON object per line, got a number"},
    {"{", "invalid JSON: the line ends inside a value at byte 2"},
    {"{\"a\":1} x", "invalid JSON: text after the value at byte 9"},
    {"{\"a\":01}", "invalid JSON: bad number (leading zero) at byte 6"},
    {"{\"a\":1.}", "invalid JSON: bad number at byte 8"},
    {"{\"a\":tru}", "invalid JSON: unexpected character at byte 6"},
    {"{\"a\":\"x\ty\"}", "invalid JSON: control character in a string "
                          "at byte 8"},
    {"{\"a\":\"\\x\"}", "invalid JSON: invalid escape in a string at "
                         "byte 7"},
    {"{\"a\" 1}", "invalid JSON: expected ':' at byte 6"},
    {"{\"a\":1 \"b\":2}", "invalid JSON: expected ',' or '}' at byte 8"},
    {"{\"a\":[1 2]}", "invalid JSON: expected ',' or ']' at byte 9"},
    {"{1:2}", "invalid JSON: expected a \"key\" at byte 2"},
    {"{\"a\":NaN}", "invalid JSON: unexpected character at byte 6"},
    {"{\"a\":1,}", "invalid JSON:*"},
    {"{'a':1}", "invalid JSON:*"},
    {"{\"a\":\"\\ud800\"}", "invalid JSON: lone surrogate escape \\ud800 "
                            "at byte 7"},
    {"{\"a\":\"\\udc00x\"}", "invalid JSON: lone surrogate escape*"},
    {"{\"a\":\"\\ud800\\u0041\"}", "invalid JSON: lone surrogate escape*"},
    {"{}", "customer.country: required field is missing"},
    {"{\"customer\":5}", "customer: expected an object (it holds "
                         "customer.country), got 5"},
    {"{\"customer\":{\"country\":null}}",
     "customer.country: required field is missing"},
    {"{\"customer\":{\"country\":\"XX\"}}",
     "customer.country: expected an ISO 3166 country code such as \"DE\", "
     "got \"XX\""},
    {"{\"customer\":{\"country\":\"de\"}}",
     "customer.country: expected an ISO 3166 country code*"},
    {"{\"customer\":{\"country\":\"UK\"}}",
     "customer.country: expected an ISO 3166 country code*"},
    {"{\"customer\":{\"country\":\"DE\"},\"item\":{\"price\":\"1\"},"
     "\"request\":{\"date\":\"2026-01-01\"}}",
     "order.currency: required field is missing"},
    {"{\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUX\"}}",
     "order.currency: \"EUX\" is not an ISO 4217 currency code"},
    {LINE_DE("\"price\":true", ""),
     "item.price: expected money such as \"12.50\" or \"12.50 EUR\", "
     "got true"},
    {LINE_DE("\"price\":\"12.345\"", ""),
     "item.price: 12.345 needs more decimals than EUR allows (2); "
     "amounts are never rounded"},
    {LINE_DE("\"price\":12.345", ""), "item.price: 12.345 needs more*"},
    {LINE_DE("\"price\":\"12.50 JPY\"", ""),
     "item.price: 12.50 needs more decimals than JPY allows (0)*"},
    {LINE_DE("\"price\":\"12.50 EUX\"", ""),
     "item.price: unknown currency \"EUX\" (expected an ISO 4217 code)"},
    {LINE_DE("\"price\":\"12.50 eur\"", ""), "item.price: expected money*"},
    {LINE_DE("\"price\":\"12.50  EUR\"", ""), "item.price: expected money*"},
    {LINE_DE("\"price\":\"12.50EUR\"", ""), "item.price: expected money*"},
    {LINE_DE("\"price\":\"+12\"", ""), "item.price: expected money*"},
    {LINE_DE("\"price\":\"12.\"", ""), "item.price: expected money*"},
    {LINE_DE("\"price\":\".5\"", ""), "item.price: expected money*"},
    {LINE_DE("\"price\":\"1-2\"", ""), "item.price: expected money*"},
    {LINE_DE("\"price\":\"\"", ""), "item.price: expected money*"},
    {LINE_DE("\"price\":[]", ""),
     "item.price: expected money such as \"12.50\" or \"12.50 EUR\", "
     "got an array"},
    {LINE_DE("\"price\":\"99999999999999999999\"", ""),
     "item.price: amount out of range"},
    {LINE_DE("\"price\":99999999999999999999", ""),
     "item.price: amount out of range"},
    {LINE_DE("\"price\":1E400", ""), "item.price: amount out of range"},
    {LINE_DE("\"price\":\"1\",\"quantity\":2.0", ""),
     "item.quantity: expected an integer, got 2.0"},
    {LINE_DE("\"price\":\"1\",\"quantity\":\"2\"", ""),
     "item.quantity: expected an integer, got \"2\""},
    {LINE_DE("\"price\":\"1\",\"quantity\":9223372036854775808", ""),
     "item.quantity: expected an integer within 64 bits, got an integer "
     "out of range"},
    {LINE_DE("\"price\":\"1\",\"quantity\":-9223372036854775809", ""),
     "item.quantity: expected an integer within 64 bits*"},
    {LINE_DE("\"price\":\"1\",\"final_sale\":\"true\"", ""),
     "item.final_sale: expected true or false, got \"true\""},
    {LINE_DE("\"price\":\"1\",\"final_sale\":1", ""),
     "item.final_sale: expected true or false, got 1"},
    {"{\"customer\":{\"country\":\"DE\",\"tier\":\"gold\"},"
     "\"order\":{\"currency\":\"EUR\"}}",
     "customer.tier: expected one of standard, vip, silver, got \"gold\""},
    {"{\"customer\":{\"country\":\"DE\",\"tier\":\"VIP\"},"
     "\"order\":{\"currency\":\"EUR\"}}",
     "customer.tier: expected one of standard, vip, silver, got \"VIP\""},
    {"{\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\","
     "\"delivered_at\":\"2026-02-29\"}}",
     "order.delivered_at: no such date \"2026-02-29\" (expected a valid "
     "date from 0001-01-01 to 9999-12-31)"},
    {"{\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\","
     "\"delivered_at\":\"0000-12-31\"}}", "order.delivered_at: no such*"},
    {"{\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\","
     "\"delivered_at\":\"2026-3-01\"}}",
     "order.delivered_at: expected a date such as \"2026-03-01\", got "
     "\"2026-3-01\""},
    {"{\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\","
     "\"delivered_at\":20260301}}",
     "order.delivered_at: expected a date such as \"2026-03-01\", got "
     "20260301"},
    {"{\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\","
     "\"ship_from\":\"ZZ\"}}",
     "order.ship_from: \"ZZ\" is not an ISO 3166 country code"},
    {LINE_DE("\"price\":\"1\",\"tags\":[1]", ""),
     "item.tags[0]: expected a string, got 1"},
    {LINE_DE("\"price\":\"1\",\"tags\":[\"a\",null]", ""),
     "item.tags[1]: expected a string, got null"},
    {LINE_DE("\"price\":\"1\",\"tags\":\"a\"", ""),
     "item.tags: expected an array, got \"a\""},
    {LINE_DE("\"price\":\"1\",\"materials\":[\"wool\",\"silk\"]", ""),
     "item.materials[1]: expected one of wool, cotton, leather, got "
     "\"silk\""},
    {LINE_DE("\"price\":\"1\",\"codes\":[1.5]", ""),
     "item.codes[0]: expected an integer, got 1.5"},
    {LINE_DE("\"price\":\"1\",\"discount_pct\":\"15\"", ""),
     "item.discount_pct: expected a percent such as \"15%\" or \"12.5%\", "
     "got \"15\""},
    {LINE_DE("\"price\":\"1\",\"discount_pct\":\"1.23456%\"", ""),
     "item.discount_pct: expected a percent*"},
    {LINE_DE("\"price\":\"1\",\"discount_pct\":\"15 %\"", ""),
     "item.discount_pct: expected a percent*"},
    {LINE_DE("\"price\":\"1\",\"discount_pct\":15", ""),
     "item.discount_pct: expected a percent*"},
    {LINE_DE("\"price\":\"1\",\"discount_pct\":\"99999999999999999%\"", ""),
     "item.discount_pct: percent out of range"},
    {LINE_DE("\"price\":\"1\",\"dims\":5", ""),
     "item.dims: expected an object (it holds item.dims.weight), got 5"},
    {LINE_DE("\"price\":\"1\",\"dims\":{\"weight\":\"heavy\"}", ""),
     "item.dims.weight: expected an integer, got \"heavy\""},
    {"{\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\"},"
     "\"item\":5}", "item: expected an object (it holds item.price), got 5"},
    {"{\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\"},"
     "\"item\":{\"price\":\"1\"}}", "request.date: required field is missing"},
    {LINE_DE("\"price\":\"1\"", ",\"window_days\":1.5"),
     "request.window_days: expected a whole number of days such as 30, "
     "got 1.5"},
    {LINE_DE("\"price\":\"1\"", ",\"locale\":7"),
     "request.locale: expected a string, got 7"},
    {LINE_DE("\"price\":\"1\",\"alt_currency\":\"eur\"", ""),
     "item.alt_currency: \"eur\" is not an ISO 4217 currency code"},
    {LINE_DE("\"price\":\"1\",\"prices\":[\"1.001\"]", ""),
     "item.prices[0]: 1.001 needs more decimals than EUR allows (2)*"},
  };
  struct fx *f = *state;
  size_t i, n;
  int bad = 0;

  for (i = 0; i < N(t); i++) {
    rpol_status st = rpol_input_decode(f->in, t[i].line, strlen(t[i].line));
    const char *m = rpol_input_errmsg(f->in);
    n = strlen(t[i].msg);
    if (st != RPOL_EINPUT ||
        (t[i].msg[n - 1] == '*' ? strncmp(m, t[i].msg, n - 1) != 0
                                : strcmp(m, t[i].msg) != 0)) {
      print_error("row %zu: %s\n  got  (%d) %s\n  want %s\n", i, t[i].line,
                  st, m, t[i].msg);
      bad++;
    }
    /* a bad line decides as bad_input, never as a stale decision */
    assert_int_equal(rpol_decide(f->p, f->in, f->d), RPOL_EINPUT);
  }
  assert_int_equal(bad, 0);
}

/* ---- locales ------------------------------------------------------------------------ */

static void test_locales(void **state)
{
  static const struct {
    const char *request;   /* request.locale, or NULL */
    const char *deflt;     /* --locale */
    const char *want;
  } t[] = {
    {"de", NULL, "Reduziert."},
    {"de-CH", NULL, "Reduziert."},
    {"pt-BR", NULL, "Promo\xc3\xa7\xc3\xa3o."},
    {"pt", NULL, "Final-sale items can't be returned."},
    {"pt-PT", NULL, "Final-sale items can't be returned."},
    {"fr", "de", "Final-sale items can't be returned."},  /* line wins */
    {"", NULL, "Final-sale items can't be returned."},
    {"DE", NULL, "Final-sale items can't be returned."},  /* exact case */
    {NULL, "de", "Reduziert."},
    {NULL, "de-AT", "Reduziert."},
    {NULL, NULL, "Final-sale items can't be returned."},
  };
  struct fx *f = *state;
  char line[512], want[256];
  size_t i;

  for (i = 0; i < N(t); i++) {
    char req[64] = "";
    if (t[i].request)
      snprintf(req, sizeof req, ",\"locale\":\"%s\"", t[i].request);
    snprintf(line, sizeof line, LINE_DE("\"price\":\"1\",\"final_sale\":true",
                                        "%s"), req);
    snprintf(want, sizeof want, "\"message\":\"%s\"", t[i].want);
    if (!strstr(run(f, line, 0, t[i].deflt), want)) {
      print_error("row %zu: %s\n", i, f->buf);
      fail();
    }
  }
  assert_string_equal(rpol_decision_message(f->d, "de-LI"), "Reduziert.");
  assert_string_equal(rpol_decision_message(f->d, NULL),
                      "Final-sale items can't be returned.");
}

/* ---- externs ------------------------------------------------------------------------ */

static int64_t fraud_score(const char *s)
{
  return (int64_t)strlen(s) * 10;
}

static void test_externs(void **state)
{
  struct fx *f = *state;
  const char *line = LINE_DE("\"price\":\"1\",\"dims\":{\"weight\":500}", "");
  int k;
  struct rpol_value v;

  assert_int_equal(rpol_policy_nexterns(f->p), 1);
  assert_string_equal(rpol_policy_extern_name(f->p, 0), "fraud_score");
  assert_string_equal(rpol_policy_extern_signature(f->p, 0),
                      "fraud_score(string) -> int");
  assert_null(rpol_policy_extern_name(f->p, 1));
  /* unbound: the evaluation error */
  assert_non_null(strstr(run(f, line, 0, NULL),
                         "\"code\":\"unbound_extern\""));
  assert_int_equal(rpol_bind_extern(f->p, "nope", NULL), RPOL_ENOTFOUND);
  assert_int_equal(rpol_bind_extern(f->p, "fraud_score",
                                    (rpol_extern_fn)fraud_score), RPOL_OK);
  assert_non_null(strstr(run(f, line, 0, NULL), "\"score\":50"));
  k = rpol_decision_output_index(f->d, "score");
  assert_int_equal(k, O_SCORE);
  assert_int_equal(rpol_decision_output(f->d, k, &v), RPOL_OK);
  assert_true(v.present && v.type == RPOL_T_INT && v.i == 50);
  assert_int_equal(rpol_decision_output_index(f->d, "nope"), -1);
  assert_int_equal(rpol_decision_output(f->d, 99, &v), RPOL_ENOTFOUND);
  /* unbinding works too */
  assert_int_equal(rpol_bind_extern(f->p, "fraud_score", NULL), RPOL_OK);
  assert_non_null(strstr(run(f, line, 0, NULL), "unbound_extern"));
}

/* ---- the slot API ------------------------------------------------------------------- */

static void test_slots(void **state)
{
  struct fx *f = *state;
  rpol_slot_id price = rpol_input_slot(f->p, 0, "item.price");
  rpol_slot_id date = rpol_input_slot(f->p, 0, "request.date");
  rpol_slot_id cur = rpol_input_slot(f->p, 0, "order.currency");
  rpol_slot_id qty = rpol_input_slot(f->p, 0, "item.quantity");
  rpol_slot_id tier = rpol_input_slot(f->p, 0, "customer.tier");
  rpol_slot_id tags = rpol_input_slot(f->p, 0, "item.tags");
  rpol_slot_id rest_price = rpol_input_slot(f->p, 1, "item.price");
  rpol_slot_id country = rpol_input_slot(f->p, 0, "customer.country");
  struct rpol_value v;
  long before;
  int i;

  assert_true(price >= 0 && date >= 0 && cur >= 0 && qty >= 0 &&
              tier >= 0 && tags >= 0 && rest_price >= 0);
  assert_true(rpol_input_slot(f->p, 0, "item.nope") < 0);
  assert_true(rpol_input_slot(f->p, 5, "item.price") < 0);

  /* deciding before any route is bad input */
  assert_int_equal(rpol_input_route(f->in, "XX"), RPOL_EINPUT);
  assert_int_equal(rpol_decide(f->p, f->in, f->d), RPOL_EINPUT);

  before = f->count.allocs;
  for (i = 0; i < 3; i++) {
    assert_int_equal(rpol_input_route(f->in, "DE"), RPOL_OK);
    assert_int_equal(rpol_input_set_money(f->in, price, 12345, NULL),
                     RPOL_OK);
    assert_int_equal(rpol_input_set_int(f->in, qty, 3), RPOL_OK);
    assert_int_equal(rpol_input_set_date(f->in, date, 2026, 3, 11),
                     RPOL_OK);
    /* required order.currency not set yet */
    assert_int_equal(rpol_decide(f->p, f->in, f->d), RPOL_EINPUT);
    assert_string_equal(rpol_input_errmsg(f->in),
                        "order.currency: required field is missing");
    assert_int_equal(rpol_input_route(f->in, "DE"), RPOL_OK);
    assert_int_equal(rpol_input_set_money(f->in, price, 12345, NULL),
                     RPOL_OK);
    assert_int_equal(rpol_input_set_int(f->in, qty, 3), RPOL_OK);
    assert_int_equal(rpol_input_set_date(f->in, date, 2026, 3, 11),
                     RPOL_OK);
    assert_int_equal(rpol_input_set_enum(f->in, cur, "KWD"), RPOL_OK);
    assert_int_equal(rpol_input_set_enum(f->in, tier, "vip"), RPOL_OK);
    assert_int_equal(rpol_decide(f->p, f->in, f->d), RPOL_OK);
    assert_int_equal(rpol_decision_output(f->d, O_REFUND_AMOUNT, &v),
                     RPOL_OK);
    assert_true(v.present && v.i == 37035 && v.type == RPOL_T_MONEY);
    assert_string_equal(v.code, "KWD");
    assert_int_equal(rpol_decision_output(f->d, O_REFUND_METHOD, &v),
                     RPOL_OK);
    assert_string_equal(v.s, "store_credit");
    assert_int_equal(rpol_decision_output(f->d, O_TRIGGER, &v), RPOL_OK);
    assert_string_equal(v.s, "receipt");
  }
  /* the slot API allocates nothing */
  assert_int_equal(f->count.allocs, before);
  rpol_decision_json(f->d, f->in, 0, NULL, f->buf, sizeof f->buf);
  assert_non_null(strstr(f->buf, "\"refund_amount\":\"37.035\""));
  assert_null(strstr(f->buf, "\"id\""));   /* no id: no key */

  /* errors */
  assert_int_equal(rpol_input_set_int(f->in, price, 1), RPOL_ETYPE);
  assert_int_equal(rpol_input_set_money(f->in, rest_price, 1, NULL),
                   RPOL_EMISUSE);          /* slot of the other policy */
  assert_int_equal(rpol_input_set_enum(f->in, country, "FR"), RPOL_EMISUSE);
  assert_int_equal(rpol_input_set_money(f->in, price, 1, "XXX"),
                   RPOL_EINPUT);
  assert_int_equal(rpol_decide(f->p, f->in, f->d), RPOL_EINPUT);
  assert_int_equal(rpol_input_route(f->in, "FR"), RPOL_OK);
  assert_int_equal(rpol_input_set_enum(f->in, tier, "gold"), RPOL_EINPUT);
  assert_string_equal(rpol_input_errmsg(f->in),
                      "customer.tier: expected one of standard, vip, "
                      "silver, got \"gold\"");
  assert_int_equal(rpol_input_set_date(f->in, date, 2026, 2, 29),
                   RPOL_EINPUT);
  assert_int_equal(rpol_input_set_string(f->in, rpol_input_slot(f->p, 0,
                   "request.locale"), "\xff"), RPOL_EINPUT);

  /* set_json for sets; set_string borrows */
  assert_int_equal(rpol_input_route(f->in, "FR"), RPOL_OK);
  assert_int_equal(rpol_input_set_enum(f->in, cur, "EUR"), RPOL_OK);
  assert_int_equal(rpol_input_set_json(f->in, price, "\"9.99\"", 6),
                   RPOL_OK);
  assert_int_equal(rpol_input_set_date(f->in, date, 2026, 3, 11), RPOL_OK);
  assert_int_equal(rpol_input_set_json(f->in, tags, "[\"y\",\"x\"]", 9),
                   RPOL_OK);
  assert_int_equal(rpol_input_set_string(f->in, rpol_input_slot(f->p, 0,
                   "request.locale"), "de"), RPOL_OK);
  assert_int_equal(rpol_input_set_bool(f->in, rpol_input_slot(f->p, 0,
                   "item.final_sale"), 0), RPOL_OK);
  assert_int_equal(rpol_input_set_percent(f->in, rpol_input_slot(f->p, 0,
                   "item.discount_pct"), 125000), RPOL_OK);
  assert_int_equal(rpol_decide(f->p, f->in, f->d), RPOL_OK);
  rpol_decision_json(f->d, f->in, 0, NULL, f->buf, sizeof f->buf);
  assert_non_null(strstr(f->buf, "\"refund_amount\":\"9.99\""));
  assert_non_null(strstr(f->buf, "\"tags_out\":[\"x\",\"y\"]"));
  assert_non_null(strstr(f->buf, "\"pct\":\"12.5%\""));
  assert_int_equal(rpol_input_set_json(f->in, tags, "[1]", 3), RPOL_EINPUT);
  assert_string_equal(rpol_input_errmsg(f->in),
                      "item.tags[0]: expected a string, got 1");
  /* unset goes back to the default */
  assert_int_equal(rpol_input_route(f->in, "FR"), RPOL_OK);
  assert_int_equal(rpol_input_set_int(f->in, qty, 7), RPOL_OK);
  assert_int_equal(rpol_input_unset(f->in, qty), RPOL_OK);
  assert_int_equal(slot(f, I_QUANTITY)->v, 1);
}

/* ---- no allocation per decision ------------------------------------------------------ */

static void test_decide_allocates_nothing(void **state)
{
  struct fx *f = *state;
  long allocs, frees;
  int i;

  decode_ok(f, allow_line);
  allocs = f->count.allocs;
  frees = f->count.frees;
  for (i = 0; i < 1000; i++) {
    assert_int_equal(rpol_decide(f->p, f->in, f->d), RPOL_OK);
    rpol_decision_json(f->d, f->in, RPOL_JSON_EXPLAIN, "de", f->buf,
                       sizeof f->buf);
  }
  assert_int_equal(f->count.allocs, allocs);
  assert_int_equal(f->count.frees, frees);
  /* decoding reuses its storage once warm */
  decode_ok(f, allow_line);
  allocs = f->count.allocs;
  for (i = 0; i < 100; i++)
    decode_ok(f, allow_line);
  assert_int_equal(f->count.allocs, allocs);
  expect_str(run(f, allow_line, 0, NULL), allow_json);
}

/* ---- loading: refusals ----------------------------------------------------------------- */

static void test_artifact_refusals(void **state)
{
  struct fx *f = *state;
  struct rpol_artifact a = bundle_art;
  rpol_policy *p = NULL;
  static const struct {
    const char *md;
    const char *msg;
  } bad_md[] = {
    {"{", "corrupted metadata: not valid JSON*"},
    {"[]", "corrupted metadata: document: not a JSON object*"},
    {"{\"format\":\"x\"}", "corrupted metadata: format: not*"},
    {"{\"format\":\"rpol-artifact\",\"abi\":99}",
     "corrupted metadata: abi: disagrees with the artifact header*"},
    {"{\"format\":\"rpol-artifact\",\"abi\":" ABI ",\"schema_hash\":\""
     TEST_SCHEMA "\",\"currencies\":{\"EUR\":-1}}",
     "corrupted metadata: currencies: a bad code or exponent*"},
  };
  size_t i;

  /* the loader's own checks, file by file */
  assert_int_equal(rpol_load(f->rt, "/nonexistent/x.so", &p), RPOL_EIO);
  assert_string_equal(rpol_errmsg(f->rt),
                      "/nonexistent/x.so: No such file or directory");
  assert_int_equal(rpol_load(f->rt, "/tmp", &p), RPOL_EIO);
  assert_non_null(strstr(rpol_errmsg(f->rt), "not a file"));
  assert_int_equal(rpol_load(f->rt, "/etc/hostname", &p), RPOL_EARTIFACT);
  assert_non_null(strstr(rpol_errmsg(f->rt), "not an ELF shared object"));
  if (rpol_load(f->rt, "/lib/x86_64-linux-gnu/libm.so.6", &p) ==
      RPOL_EARTIFACT)
    assert_non_null(strstr(rpol_errmsg(f->rt), "not an rpol policy "
                                               "artifact"));
  assert_null(p);

  a.magic = 0x12345678;
  assert_int_equal(rpol_policy_from_artifact(f->rt, &a, NULL, NULL, NULL,
                                             &p), RPOL_EARTIFACT);
  assert_string_equal(rpol_errmsg(f->rt),
                      "bad magic number: not an rpol policy artifact");
  a = bundle_art;
  a.abi_version = RPOL_ABI_VERSION + 1;
  assert_int_equal(rpol_policy_from_artifact(f->rt, &a, NULL, NULL, NULL,
                                             &p), RPOL_EABI);
  {
    char want[128];

    snprintf(want, sizeof want, "built for rpol ABI %d, this runtime is "
             "ABI %d: rebuild with rpolc build", RPOL_ABI_VERSION + 1,
             RPOL_ABI_VERSION);
    assert_string_equal(rpol_errmsg(f->rt), want);
  }
#ifdef RPOL_SCHEMA_HASH
  {
    char want[256];
    assert_int_equal(rpol_policy_from_artifact(f->rt, &wrong_schema_art,
                                               NULL, NULL, NULL, &p),
                     RPOL_ESCHEMA);
    snprintf(want, sizeof want, "policy built against prelude schema 0bad, "
             "this runtime has schema %.16s: rebuild with rpolc build",
             RPOL_SCHEMA_HASH);
    assert_string_equal(rpol_errmsg(f->rt), want);
  }
#endif
  a = bundle_art;
  a.metadata_len = 5;
  assert_int_equal(rpol_policy_from_artifact(f->rt, &a, NULL, NULL, NULL,
                                             &p), RPOL_EARTIFACT);
  a = bundle_art;
  a.npolicies = 3;
  assert_int_equal(rpol_policy_from_artifact(f->rt, &a, NULL, NULL, NULL,
                                             &p), RPOL_EARTIFACT);
  for (i = 0; i < N(bad_md); i++) {
    size_t n = strlen(bad_md[i].msg);
    a = bundle_art;
    a.metadata = bad_md[i].md;
    a.metadata_len = strlen(bad_md[i].md);
    assert_int_equal(rpol_policy_from_artifact(f->rt, &a, NULL, NULL, NULL,
                                               &p), RPOL_EARTIFACT);
    if (strncmp(rpol_errmsg(f->rt), bad_md[i].msg, n - 1) != 0) {
      print_error("row %zu: %s\n", i, rpol_errmsg(f->rt));
      fail();
    }
  }
  assert_null(p);
}

/* Truncating the metadata anywhere must be refused cleanly, never crash
 * or leak (the fixture's teardown checks for leaks). */
static void test_artifact_truncated(void **state)
{
  struct fx *f = *state;
  struct rpol_artifact a = bundle_art;
  rpol_policy *p = NULL;
  char *md = malloc(sizeof bundle_md);
  size_t n;

  for (n = 0; n < sizeof bundle_md - 1; n += 7) {
    memcpy(md, bundle_md, n);
    md[n] = '\0';
    a.metadata = md;
    a.metadata_len = n;
    assert_int_not_equal(rpol_policy_from_artifact(f->rt, &a, NULL, NULL,
                                                   NULL, &p), RPOL_OK);
    assert_null(p);
  }
  free(md);
}

static int released;
static void on_release(void *ud)
{
  released += *(int *)ud;
}

static void test_refcount(void **state)
{
  struct fx *f = *state;
  rpol_policy *p;
  rpol_input *in;
  int one = 1;

  released = 0;
  assert_int_equal(rpol_policy_from_artifact(f->rt, &bundle_art, NULL,
                                             on_release, &one, &p), RPOL_OK);
  assert_int_equal(rpol_input_new(p, &in), RPOL_OK);
  assert_ptr_equal(rpol_policy_ref(p), p);
  rpol_policy_unref(p);
  rpol_policy_free(p);
  assert_int_equal(released, 0);     /* the input still holds it */
  rpol_input_free(in);
  assert_int_equal(released, 1);
  rpol_policy_unref(NULL);
  rpol_input_free(NULL);
  rpol_decision_free(NULL);
}

static void test_misc(void **state)
{
  rpol_runtime *rt;

  (void)state;
  assert_int_equal(rpol_version(), RPOL_VERSION_NUM);
  assert_string_equal(rpol_strerror(RPOL_ENOMEM), "out of memory");
  assert_string_equal(rpol_strerror((rpol_status)999), "unknown status");
  assert_int_equal(rpol_runtime_new(NULL, NULL, NULL), RPOL_EMISUSE);
  assert_int_equal(rpol_runtime_new(&rt, NULL, NULL), RPOL_OK);
  assert_string_equal(rpol_errmsg(rt), "");
  rpol_runtime_free(rt);
  rpol_runtime_free(NULL);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
    T(test_encode_allow),
    T(test_encode_explain),
    T(test_encode_deny),
    T(test_encode_review),
    T(test_encode_errors),
    T(test_encode_truncation),
    T(test_routing),
    T(test_decode_types),
    T(test_decode_money_string_exponent),
    T(test_decode_bad_input),
    T(test_locales),
    T(test_externs),
    T(test_slots),
    T(test_decide_allocates_nothing),
    T(test_artifact_refusals),
    T(test_artifact_truncated),
    T(test_refcount),
    cmocka_unit_test(test_misc),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
