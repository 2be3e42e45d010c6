/* test_interp.c: the reference interpreter, its extern calls through
 * libffi, constant evaluation, and the `rpolc test` engine.
 *
 * Policies are written to a temporary directory and compiled in memory
 * for the interpreter (engine_compile), then driven through the runtime's
 * public API exactly as `rpolc eval --interp` drives them.  The extern
 * functions are the suite's real extern library, compiled into this test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../tests/externs/externs.c"

#include "engine.h"
#include "interp.h"
#include "layout.h"
#include "parse.h"
#include "sema.h"
#include "session.h"
#include "testrun.h"
#include "rpol.h"
#include "../runtime/value.h"

static char tmpdir[] = "/tmp/rpol-interp-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
  static char path[8][512];
  static int k;
  char *p = path[k++ % 8];
  snprintf(p, 512, "%s", name);   /* relative: locations print short */
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return p;
}

/* A policy compiled for the interpreter, one input and one decision. */
struct fix {
  rpol_runtime *rt;
  rpol_policy *p;
  rpol_input *in;
  rpol_decision *d;
  char json[4096];
};

static void open_policy(struct fix *x, const char *src)
{
  memset(x, 0, sizeof *x);
  const char *path = write_file("p.rpol", src);
  assert_int_equal(rpol_runtime_new(&x->rt, NULL, NULL), RPOL_OK);
  rpol_status st = engine_compile(x->rt, path, ENGINE_INTERP, NULL, &x->p);
  if (st != RPOL_OK)
    fail_msg("compile: %s", rpol_errmsg(x->rt));
  assert_int_equal(rpol_input_new(x->p, &x->in), RPOL_OK);
  assert_int_equal(rpol_decision_new(x->p, &x->d), RPOL_OK);
}

static void close_policy(struct fix *x)
{
  rpol_decision_free(x->d);
  rpol_input_free(x->in);
  rpol_policy_free(x->p);
  rpol_runtime_free(x->rt);
}

/* Decides one JSON line; returns the encoded record. */
static const char *decide(struct fix *x, const char *line)
{
  assert_int_equal(rpol_input_decode(x->in, line, strlen(line)), RPOL_OK);
  assert_int_equal(rpol_decide(x->p, x->in, x->d), RPOL_OK);
  rpol_decision_json(x->d, x->in, RPOL_JSON_EXPLAIN, NULL, x->json,
                     sizeof x->json);
  return x->json;
}

static int64_t out_i(struct fix *x, const char *name)
{
  struct rpol_value v;
  int k = rpol_decision_output_index(x->d, name);
  assert_true(k >= 0);
  assert_int_equal(rpol_decision_output(x->d, k, &v), RPOL_OK);
  assert_true(v.present);
  return v.i;
}

static int out_present(struct fix *x, const char *name)
{
  struct rpol_value v;
  int k = rpol_decision_output_index(x->d, name);
  assert_true(k >= 0);
  assert_int_equal(rpol_decision_output(x->d, k, &v), RPOL_OK);
  return v.present;
}

#define LINE(extra_item, extra_req)                                        \
  "{\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\"},"   \
  "\"item\":{\"price\":\"100.00\"" extra_item "},"                          \
  "\"request\":{\"date\":\"2026-03-11\"" extra_req "}}"

#define HEAD "policy \"t\" version \"1\"\n"                                 \
  "decide refund_method = original_payment\n"                              \
  "decide shipping_payer = customer\n"

/* ------------------------------------------------------ lets, once only */

static int calls;
static int64_t counted(int64_t x)
{
  calls++;
  return x * 2;
}

static void test_let_evaluated_once(void **state)
{
  struct fix x;
  open_policy(&x, HEAD
              "extern fn counted(x: int) -> int\n"
              "let twice = counted(item.quantity)\n"
              "output a: int\noutput b: int\n"
              "decide eligible {\n"
              "  when item.final_sale => deny \"fs\"\n"
              "  when twice > 100 => review \"big\"\n"
              "  otherwise => allow\n}\n"
              "decide a = twice + twice\n"
              "decide b = twice * 3\n");
  assert_int_equal(rpol_bind_extern(x.p, "counted",
                                    (rpol_extern_fn)counted), RPOL_OK);
  calls = 0;
  decide(&x, LINE(",\"quantity\":4", ""));
  assert_int_equal(calls, 1);                  /* read 4 times, run once */
  assert_int_equal(out_i(&x, "a"), 16);
  assert_int_equal(out_i(&x, "b"), 24);
  calls = 0;
  decide(&x, LINE(",\"final_sale\":true", ""));
  assert_int_equal(calls, 0);                  /* a deny reads nothing */
  assert_int_equal(rpol_decision_verdict(x.d), RPOL_DENY);
  assert_false(out_present(&x, "a"));
  calls = 0;
  decide(&x, LINE(",\"quantity\":51", ""));    /* once per decision */
  assert_int_equal(calls, 1);
  assert_int_equal(rpol_decision_verdict(x.d), RPOL_REVIEW);
  assert_string_equal(rpol_decision_reason(x.d), "big");
  close_policy(&x);
}

/* ------------------------------------------------------------- externs */

static void test_extern_signatures(void **state)
{
  struct fix x;
  open_policy(&x, HEAD
              "extern fn fraud_score(id: string) -> int\n"
              "extern fn is_blocked(id: string) -> bool\n"
              "extern fn holiday_end(year: int) -> date\n"
              "extern fn shift_date(d: date, n: int, fwd: bool) -> date\n"
              "extern fn warehouse_for(c: string, bulky: bool) -> string\n"
              "extern fn bad_date(d: date) -> date\n"
              "output score: int\noutput until: date\noutput moved: date\n"
              "output back: date\noutput oops: date\n"
              "decide eligible {\n"
              "  when is_blocked(customer.id ?? \"\") => deny \"blocked\"\n"
              "  otherwise => allow\n}\n"
              "decide score = fraud_score(customer.id ?? \"\")\n"
              "decide until = holiday_end(2026)\n"
              "decide moved = shift_date(request.date, 3, true)\n"
              "decide back = shift_date(request.date, 3, false)\n"
              "decide route = warehouse_for(\"DE\", item.final_sale)\n"
              "decide oops = if item.quantity > 1 then bad_date(request.date)"
              " else request.date\n");
  struct { const char *name; void *fn; } b[] = {
    {"fraud_score", (void *)fraud_score}, {"is_blocked", (void *)is_blocked},
    {"holiday_end", (void *)holiday_end}, {"shift_date", (void *)shift_date},
    {"warehouse_for", (void *)warehouse_for}, {"bad_date", (void *)bad_date},
  };
  for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
    assert_int_equal(rpol_bind_extern(x.p, b[i].name,
                                      (rpol_extern_fn)b[i].fn), RPOL_OK);
  decide(&x, "{\"customer\":{\"country\":\"DE\",\"id\":\"c-fraud\"},"
             "\"order\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"1\"},"
             "\"request\":{\"date\":\"2026-03-11\"}}");
  assert_int_equal(rpol_decision_verdict(x.d), RPOL_ALLOW);
  assert_int_equal(out_i(&x, "score"), 99);
  assert_int_equal(out_i(&x, "until"), rpol_days_from_civil(2027, 1, 31));
  assert_int_equal(out_i(&x, "moved"), rpol_days_from_civil(2026, 3, 14));
  assert_int_equal(out_i(&x, "back"), rpol_days_from_civil(2026, 3, 8));
  assert_non_null(strstr(x.json, "\"route\":\"wh-leipzig\""));

  decide(&x, "{\"customer\":{\"country\":\"DE\",\"id\":\"blk-7\"},"
             "\"order\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"1\"},"
             "\"request\":{\"date\":\"2026-03-11\"}}");
  assert_int_equal(rpol_decision_verdict(x.d), RPOL_DENY);

  /* A date result outside 0001..9999 is overflow at the call's name. */
  decide(&x, LINE(",\"quantity\":2", ""));
  assert_string_equal(rpol_decision_error(x.d), "overflow");
  assert_string_equal(rpol_decision_error_at(x.d), "p.rpol:24:41");

  /* Unbinding makes the call unbound_extern, located at the name. */
  assert_int_equal(rpol_bind_extern(x.p, "fraud_score", NULL), RPOL_OK);
  decide(&x, LINE("", ""));
  assert_string_equal(rpol_decision_error(x.d), "unbound_extern");
  assert_string_equal(rpol_decision_error_at(x.d), "p.rpol:19:16");
  close_policy(&x);
}

/* ------------------------------------------------ errors and locations */

static void test_error_locations(void **state)
{
  static const struct {
    const char *decl;      /* line 4 of the policy */
    const char *line;
    const char *code;
    const char *at;        /* NULL: a decision */
  } cases[] = {
    {"decide restocking_fee = item.price / (item.quantity - 1)",
     LINE("", ""), "division_by_zero", "p.rpol:4:36"},
    {"decide restocking_fee = item.price + 1 USD", LINE("", ""),
     "currency_mismatch", "p.rpol:4:36"},
    {"decide restocking_fee = 1 USD", LINE("", ""),
     "currency_mismatch", "p.rpol:4:25"},
    {"decide restocking_fee = 0.001", LINE("", ""), "inexact_amount",
     "p.rpol:4:25"},
    {"decide window = request.date - order.delivered_at", LINE("", ""),
     "missing_input", "p.rpol:4:32"},
    {"decide window = request.date - (order.delivered_at ?? request.date)",
     LINE("", ""), NULL, NULL},
    {"decide restocking_fee = item.price * item.quantity",
     LINE(",\"quantity\":9223372036854775807", ""), "overflow",
     "p.rpol:4:36"},
    {"decide window = to_days(request.date - 0001-01-02) * 1 day",
     LINE("", ""), NULL, NULL},
    {"decide restocking_fee = min(item.price, 1 USD)", LINE("", ""),
     "currency_mismatch", "p.rpol:4:25"},
    {"decide restocking_fee = round(item.price, 0)", LINE("", ""),
     "division_by_zero", "p.rpol:4:25"},
    {"decide restocking_fee = abs(item.price) - item.price", LINE("", ""),
     NULL, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char src[1024];
    snprintf(src, sizeof src, HEAD "%s\ndecide eligible = allow\n",
             cases[i].decl);
    struct fix x;
    open_policy(&x, src);
    decide(&x, cases[i].line);
    const char *code = rpol_decision_error(x.d);
    const char *at = rpol_decision_error_at(x.d);
    if (!cases[i].code ? code != NULL
                       : !code || strcmp(code, cases[i].code) != 0 ||
                             !at || strcmp(at, cases[i].at) != 0)
      fail_msg("%s => %s at %s (want %s at %s)", cases[i].decl,
               code ? code : "decision", at ? at : "-",
               cases[i].code ? cases[i].code : "decision",
               cases[i].at ? cases[i].at : "-");
    close_policy(&x);
  }
}

/* A set union that outgrows the decision's scratch area is overflow at
 * the operator, never a write past the buffer. */
static void test_scratch_exhaustion(void **state)
{
  struct fix x;
  open_policy(&x, HEAD "output all: set<string>\ndecide eligible = allow\n"
                       "decide all = item.tags + {\"zzz\"}\n");
  size_t cap = 8000 * 12 + 256;
  char *line = malloc(cap);
  size_t n = (size_t)snprintf(line, cap, "{\"customer\":{\"country\":\"DE\"},"
                     "\"order\":{\"currency\":\"EUR\"},\"item\":{\"price\":"
                     "\"1\",\"tags\":[");
  for (int i = 0; i < 8000; i++)
    n += (size_t)snprintf(line + n, cap - n, "%s\"t%05d\"", i ? "," : "", i);
  snprintf(line + n, cap - n, "]},\"request\":{\"date\":\"2026-03-11\"}}");
  assert_int_equal(rpol_input_decode(x.in, line, strlen(line)), RPOL_OK);
  assert_int_equal(rpol_decide(x.p, x.in, x.d), RPOL_OK);
  assert_string_equal(rpol_decision_error(x.d), "overflow");
  assert_string_equal(rpol_decision_error_at(x.d), "p.rpol:6:24");
  free(line);
  /* A small set fits. */
  decide(&x, LINE(",\"tags\":[\"b\",\"a\"]", ""));
  assert_null(rpol_decision_error(x.d));
  assert_int_equal(out_i(&x, "all"), 3);
  close_policy(&x);
}

/* ------------------------------------------------- constant evaluation */

static struct program *check_src(struct session *s, const char *src)
{
  const char *path = write_file("c.rpol", src);
  struct span none = {0};
  session_init(s);
  session_load_prelude(s);
  struct file *f = session_file(s, path, FILE_POLICY, none, 0);
  assert_non_null(f);
  struct program *p = sema_check_policy(s, f, NULL, 0);
  if (!p)
    diag_print(&s->diags, stderr);
  assert_non_null(p);
  return p;
}

static const struct decl *find_decl(const struct program *p,
                                    const char *name)
{
  const struct file *f = p->policy;
  for (int i = 0; i < f->ndecls; i++)
    if (f->decls[i]->name && strcmp(f->decls[i]->name, name) == 0)
      return f->decls[i];
  fail_msg("no declaration %s", name);
  return NULL;
}

static void test_const_sets(void **state)
{
  struct session s;
  struct program *p = check_src(&s, HEAD "decide eligible = allow\n"
    "const A = {\"b\", \"a\", \"b\", \"c\"}\n"
    "region R = {SE, AT, DE, AT} + {FR} - {DE}\n"
    "const M = {2 USD, 1 EUR, 1 USD, 1 EUR}\n"
    "const N = 7 * 3 - 1\n"
    "const U = 2.5\n");
  int8_t exps[RPOL_NCURRENCY_CODES];
  memset(exps, -1, sizeof exps);
  exps[rpol_currency_code("EUR")] = 2;
  exps[rpol_currency_code("JPY")] = 0;
  exps[rpol_currency_code("USD")] = 2;
  struct rpol_slot v;
  struct span at;

  assert_int_equal(interp_const(&s.arena, find_decl(p, "A")->u.value.init,
                                -1, exps, &v, NULL), 0);
  assert_int_equal(v.kind, RPOL_K_SET);
  assert_int_equal(v.n, 3);
  const struct rpol_str *strs = v.p;
  assert_string_equal(strs[0].ptr, "a");
  assert_string_equal(strs[2].ptr, "c");

  assert_int_equal(interp_const(&s.arena, find_decl(p, "R")->u.value.init,
                                -1, exps, &v, NULL), 0);
  assert_int_equal(v.n, 3);
  const int64_t *cs = v.p;
  assert_int_equal(cs[0], rpol_country_code("AT"));
  assert_int_equal(cs[1], rpol_country_code("FR"));
  assert_int_equal(cs[2], rpol_country_code("SE"));

  assert_int_equal(interp_const(&s.arena, find_decl(p, "M")->u.value.init,
                                -1, exps, &v, NULL), 0);
  assert_int_equal(v.n, 3);
  const struct rpol_money *ms = v.p;
  assert_int_equal(ms[0].cur, rpol_currency_code("EUR"));
  assert_int_equal(ms[1].amount, 100);
  assert_int_equal(ms[2].amount, 200);

  /* An untyped number where money is expected needs the order currency;
   * 2.5 is inexact in JPY, located at the literal. */
  const struct expr *u = find_decl(p, "U")->u.value.init;
  struct expr copy = *u;
  copy.type = &type_money;
  copy.from_number = 1;
  assert_int_equal(interp_const(&s.arena, &copy, rpol_currency_code("EUR"),
                                exps, &v, NULL), 0);
  assert_int_equal(v.v, 250);
  assert_int_equal(interp_const(&s.arena, &copy, rpol_currency_code("JPY"),
                                exps, &v, &at), RPOL_E_INEXACT_AMOUNT);
  assert_int_equal(at.start, u->span.start);
  assert_int_equal(interp_const(&s.arena, &copy, -1, exps, &v, NULL),
                   RPOL_E_INEXACT_AMOUNT);
  session_free(&s);
}

/* -------------------------------------------------------- test runner */

static char *run_rpol_tests(const char *path, enum testrun_coverage cov,
                       int *status)
{
  struct session s;
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  struct testrun_opts o = {0};
  o.coverage = cov;
  session_init(&s);
  *status = testrun_files(&s, &path, 1, &o, mem);
  fclose(mem);
  session_free(&s);
  return text;
}

static void test_runner(void **state)
{
  write_file("shop.rpol", "policy \"shop\" version \"1\"\n"
    "decide eligible {\n"
    "  when item.final_sale => deny \"final_sale\"\n"
    "  when item.price > 1000 => review \"big\"\n"
    "  otherwise => allow\n"
    "}\n"
    "decide refund_method = original_payment\n"
    "decide shipping_payer {\n"
    "  when request.reason == defective => merchant\n"
    "  otherwise => customer\n"
    "}\n"
    "decide restocking_fee = 10% of item.price\n"
    "test \"pass\" {\n"
    "  given { customer.country = DE  order.currency = EUR\n"
    "          item.price = 100.00  request.date = 2026-03-11 }\n"
    "  expect { eligible = allow  refund_amount = 90.00\n"
    "           restocking_fee = 10 }\n"
    "}\n");
  const char *tpath = write_file("shop.test.rpol",
    "test \"denied\" {\n"
    "  given { customer.country = DE  order.currency = EUR\n"
    "          item.price = 5  item.final_sale = true\n"
    "          request.date = 2026-03-11 }\n"
    "  expect { eligible = deny \"final_sale\"  refund_method = none\n"
    "           refund_amount = 0  return_required = false }\n"
    "}\n"
    "test \"wrong\" {\n"
    "  given { customer.country = DE  order.currency = EUR\n"
    "          item.price = 100.00  request.date = 2026-03-11 }\n"
    "  expect { refund_amount = 100.00  shipping_payer = merchant }\n"
    "}\n"
    "test \"missing price\" {\n"
    "  given { customer.country = DE  order.currency = EUR\n"
    "          request.date = 2026-03-11 }\n"
    "  expect { error = \"bad_input\" }\n"
    "}\n"
    "test \"bare deny\" {\n"
    "  given { customer.country = DE  order.currency = EUR\n"
    "          item.price = 5  item.final_sale = true\n"
    "          request.date = 2026-03-11 }\n"
    "  expect { eligible = deny }\n"
    "}\n");
  int status;
  char *out = run_rpol_tests(tpath, TESTRUN_COVERAGE_TEXT, &status);
  assert_int_equal(status, 1);
  /* A line per failed expectation, located at it. */
  assert_non_null(strstr(out, "shop.test.rpol:11:12: test \"wrong\" failed: "
                              "refund_amount: expected 100.00, actual 90.00\n"
                              "shop.test.rpol:11:36: test \"wrong\" failed: "
                              "shipping_payer: expected merchant, actual "
                              "customer\n"));
  assert_non_null(strstr(out, "4 passed, 1 failed\n"));
  /* Reached: eligible's deny and otherwise, every shorthand, the
   * shipping_payer otherwise; not the review and not the defective case. */
  assert_non_null(strstr(out, "coverage: "));
  assert_non_null(strstr(out, "(71.4%)"));
  assert_non_null(strstr(out, "decide eligible: not reached: "));
  assert_non_null(strstr(out, "shop.rpol:4"));
  assert_non_null(strstr(out, "decide shipping_payer: not reached: "));
  free(out);

  out = run_rpol_tests(tpath, TESTRUN_COVERAGE_JSON, &status);
  assert_non_null(strstr(out, "{\"coverage\":[{\"policy\":\"shop\""));
  assert_non_null(strstr(out, "\"cases\":7,\"reached\":5"));
  free(out);
}

static void test_runner_errors(void **state)
{
  const char *p = write_file("err.rpol", "policy \"e\" version \"1\"\n"
    "decide eligible = allow\n"
    "decide refund_method = original_payment\n"
    "decide shipping_payer = customer\n"
    "decide restocking_fee = item.price / (item.quantity - 1)\n"
    "test \"div\" {\n"
    "  given { customer.country = DE  order.currency = EUR\n"
    "          item.price = 10  request.date = 2026-03-11 }\n"
    "  expect { error = \"division_by_zero\" }\n"
    "}\n"
    "test \"surprise\" {\n"
    "  given { customer.country = DE  order.currency = EUR\n"
    "          item.price = 10  request.date = 2026-03-11 }\n"
    "  expect { refund_amount = 10 }\n"
    "}\n"
    "test \"jpy\" {\n"
    "  given { customer.country = JP  order.currency = JPY\n"
    "          item.price = 10  item.quantity = 3\n"
    "          request.date = 2026-03-11 }\n"
    "  expect { refund_amount = 25  restocking_fee = 5 }\n"
    "}\n");
  int status;
  char *out = run_rpol_tests(p, TESTRUN_COVERAGE_NONE, &status);
  assert_int_equal(status, 1);
  assert_non_null(strstr(out, "err.rpol:14:12: test \"surprise\" failed: "
                              "refund_amount: expected 10.00, actual error "
                              "division_by_zero at "));
  assert_non_null(strstr(out, "err.rpol:5:36\n"));
  assert_non_null(strstr(out, "2 passed, 1 failed\n"));
  assert_null(strstr(out, "coverage"));
  free(out);
}

static int setup(void **state)
{
  return mkdtemp(tmpdir) && chdir(tmpdir) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
  char cmd[600];
  if (chdir("/") != 0)
    return -1;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_let_evaluated_once),
    cmocka_unit_test(test_extern_signatures),
    cmocka_unit_test(test_error_locations),
    cmocka_unit_test(test_scratch_exhaustion),
    cmocka_unit_test(test_const_sets),
    cmocka_unit_test(test_runner),
    cmocka_unit_test(test_runner_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
