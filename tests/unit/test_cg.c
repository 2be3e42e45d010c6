/* test_cg.c: the LLVM back end against the reference interpreter.
 *
 * Each policy below is compiled twice, by the JIT and for the
 * interpreter, and every input line is decided by both: the encoded
 * decisions (with the explain trace) must be identical byte for byte, and
 * some lines also check a fact of the expected answer so that a shared
 * mistake cannot pass.  Then the ahead-of-time path: a .so is built,
 * dlopened, its artifact header checked, and loaded by the runtime.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aot.h"
#include "driver.h"
#include "engine.h"
#include "jit.h"
#include "layout.h"
#include "rpol.h"
#include "../runtime/rpol_abi.h"

static char tmpdir[] = "/tmp/rpol-test-cg-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
  static char path[4][512];
  static int k;
  char *p = path[k++ % 4];
  FILE *f;

  snprintf(p, 512, "%s/%s", tmpdir, name);
  f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return p;
}

/* The encoded decision of one line (explain on), malloc'd; with the
 * trace off (rpol_decision_set_trace), the record has none. */
static char *decide_json(rpol_policy *p, const char *line, int trace)
{
  rpol_input *in = NULL;
  rpol_decision *d = NULL;
  char *buf;
  size_t n;

  assert_int_equal(rpol_input_new(p, &in), RPOL_OK);
  assert_int_equal(rpol_decision_new(p, &d), RPOL_OK);
  assert_int_equal(rpol_decision_set_trace(d, trace), RPOL_OK);
  buf = malloc(8192);
  assert_non_null(buf);
  if (rpol_input_decode(in, line, strlen(line)) != RPOL_OK) {
    n = rpol_input_error_json(in, 1, buf, 8192);
  } else {
    assert_int_equal(rpol_decide(p, in, d), RPOL_OK);
    n = rpol_decision_json(d, in, RPOL_JSON_EXPLAIN, NULL, buf, 8192);
    if (!trace)
      assert_null(rpol_decision_trace(d, 0));
  }
  assert_true(n < 8192);
  rpol_decision_free(d);
  rpol_input_free(in);
  return buf;
}

/* The record as the trace off writes it: the trace is its last member. */
static char *strip_trace(char *json)
{
  char *tr = strstr(json, ",\"trace\":{");

  if (tr)
    strcpy(tr, "}");
  return json;
}

struct line_case {
  const char *json;
  const char *want;        /* a substring of the decision, or NULL */
};

static void check_policy_bound(const char *file, const char *src,
                               const struct line_case *lines,
                               void (*bind)(rpol_policy *))
{
  rpol_runtime *rt = NULL;
  rpol_policy *jit = NULL, *ref = NULL;
  const char *path = write_file(file, src);
  int i;

  /* Both codes of the tiered JIT, each alone (the tiered mode runs one,
   * then the other). */
  static const rpol_jit_mode modes[] = {RPOL_JIT_QUICK, RPOL_JIT_OPTIMISED};
  static const char *const mode_names[] = {"quick", "optimised"};
  int m;

  assert_int_equal(rpol_runtime_new(&rt, NULL, NULL), RPOL_OK);
  if (engine_compile(rt, path, ENGINE_INTERP, stderr, &ref) != RPOL_OK)
    fail_msg("%s does not compile: %s", file, rpol_errmsg(rt));
  if (bind)
    bind(ref);
  for (m = 0; m < 2; m++) {
    assert_int_equal(rpol_runtime_set_jit_mode(rt, modes[m]), RPOL_OK);
    if (engine_compile(rt, path, ENGINE_JIT, stderr, &jit) != RPOL_OK)
      fail_msg("%s: JIT failed: %s", file, rpol_errmsg(rt));
    if (bind)
      bind(jit);
    for (i = 0; lines[i].json; i++) {
      char *a = decide_json(jit, lines[i].json, 1);
      char *b = decide_json(ref, lines[i].json, 1);
      char *c = decide_json(jit, lines[i].json, 0);

      if (strcmp(a, b) != 0)
        fail_msg("%s line %d:\n  jit (%s): %s\n  interp: %s", file, i + 1,
                 mode_names[m], a, b);
      /* The evaluator without the trace decides the same. */
      if (strcmp(strip_trace(a), c) != 0)
        fail_msg("%s line %d (%s):\n  traced: %s\n  without: %s", file,
                 i + 1, mode_names[m], a, c);
      free(c);
      if (lines[i].want && !strstr(a, lines[i].want))
        fail_msg("%s line %d: no '%s' in %s", file, i + 1, lines[i].want,
                 a);
      free(a);
      free(b);
    }
    rpol_policy_unref(jit);
  }
  rpol_policy_unref(ref);
  rpol_runtime_free(rt);
}

static void check_policy(const char *file, const char *src,
                         const struct line_case *lines)
{
  check_policy_bound(file, src, lines, NULL);
}

#define LINE(c, o, i, r) \
  "{\"id\":1,\"customer\":{" c "},\"order\":{" o "},\"item\":{" i \
  "},\"request\":{" r "}}"
#define DE "\"country\":\"DE\""
#define EUR "\"currency\":\"EUR\""
#define TODAY "\"date\":\"2026-03-11\""

/* Lets, fns, case blocks, sets, strings, custom outputs, deny. */
static const char *const shop_src =
    "policy \"shop\" version \"1\"\n"
    "output note: string\n"
    "output tags_out: set<string>\n"
    "output bonus: money\n"
    "output regions: set<country>\n"
    "const FAULTY = {defective, wrong_item, damaged_in_transit,\n"
    "                not_as_described}\n"
    "let faulty = request.reason in FAULTY\n"
    "let age: duration = request.date - (order.delivered_at ?? "
    "request.date)\n"
    "fn fee_for(c: Category) -> percent {\n"
    "  when c in {electronics, furniture} => 15%\n"
    "  otherwise => 0%\n"
    "}\n"
    "fn half(m: money) -> money = m / 2\n"
    "decide eligible {\n"
    "  when item.final_sale => deny \"final_sale\"\n"
    "  when age > 30 days and not faulty => deny \"late\"\n"
    "  when item.price > 1000 => review \"manual\"\n"
    "  otherwise => allow\n"
    "}\n"
    "decide refund_method {\n"
    "  when request.preferred_refund == store_credit => store_credit\n"
    "  otherwise => original_payment\n"
    "}\n"
    "decide shipping_payer {\n"
    "  when faulty => merchant\n"
    "  otherwise => customer\n"
    "}\n"
    "decide restocking_fee = fee_for(item.category) of item.price * "
    "item.quantity\n"
    "decide return_shipping_fee {\n"
    "  when faulty => 0\n"
    "  otherwise => min(request.label_cost, half(item.price))\n"
    "}\n"
    "decide window = 30 days\n"
    "decide refund_within = 14 days\n"
    "decide route {\n"
    "  when customer.country in EU - {FR} => \"eu-hub\"\n"
    "  when customer.country == FR => \"paris\"\n"
    "  otherwise => \"world\"\n"
    "}\n"
    "decide note = if starts_with(item.sku ?? \"\", \"X-\") then \"x\" "
    "else \"other\"\n"
    "decide tags_out = item.tags + {\"seen\", \"a\"}\n"
    "decide bonus = round(item.price / 3, 0.05)\n"
    "decide regions = {customer.country, DE} + UK\n";

static void test_shop(void **state)
{
  static const struct line_case lines[] = {
    {LINE(DE, EUR, "\"price\":\"100.00\"", TODAY), "\"verdict\":\"allow\""},
    {LINE(DE, EUR, "\"price\":\"100.00\",\"final_sale\":true", TODAY),
     "\"reason\":\"final_sale\""},
    {LINE(DE, EUR ",\"delivered_at\":\"2026-01-01\"",
          "\"price\":\"100.00\"", TODAY), "\"reason\":\"late\""},
    {LINE(DE, EUR ",\"delivered_at\":\"2026-01-01\"",
          "\"price\":\"100.00\"", TODAY ",\"reason\":\"defective\""),
     "\"shipping_payer\":\"merchant\""},
    {LINE("\"country\":\"FR\"", EUR,
          "\"price\":\"1999.99\",\"category\":\"electronics\","
          "\"quantity\":3,\"sku\":\"X-1\",\"tags\":[\"z\",\"a\"]",
          TODAY ",\"label_cost\":\"7.50\",\"preferred_refund\":"
          "\"store_credit\""),
     "\"restocking_fee\":\"900.00\""},
    {LINE("\"country\":\"US\"", "\"currency\":\"USD\"",
          "\"price\":\"10\",\"tags\":[\"seen\",\"b\"]", TODAY),
     "\"tags_out\":[\"a\",\"b\",\"seen\"]"},
    {LINE("\"country\":\"JP\"", "\"currency\":\"JPY\"",
          "\"price\":\"1001\"", TODAY),
     "\"code\":\"inexact_amount\""},   /* 0.05 of a yen */
    {NULL, NULL}
  };

  (void)state;
  check_policy("shop.rpol", shop_src, lines);
}

/* Every evaluation error, with its location. */
static const char *const errors_src =
    "policy \"errors\" version \"1\"\n"
    "extern fn score(id: string) -> int\n"
    "output n: int\n"
    "decide eligible {\n"
    "  when item.quantity == 7 => if score(customer.id ?? \"x\") > 5\n"
    "                              then allow else deny \"fraud\"\n"
    "  when item.quantity == 8 and item.price + 1 USD > 0 EUR => allow\n"
    "  when item.quantity == 9 and item.price * 9223372036854775807 > 0 "
    "=> allow\n"
    "  when item.quantity == 10 and 5 / (item.quantity - 10) > 0 => "
    "allow\n"
    "  when item.quantity == 11 and order.delivered_at + 9999999 days > "
    "request.date => allow\n"
    "  when item.quantity == 12 and item.price > 0.5 => allow\n"
    "  when item.quantity == 13 and order.ordered_at < request.date => "
    "allow\n"
    "  otherwise => allow\n"
    "}\n"
    "decide refund_method = original_payment\n"
    "decide shipping_payer = customer\n"
    "decide n = item.quantity * 1000000000000 * 1000000\n";

static void test_errors(void **state)
{
  static const struct line_case lines[] = {
    {LINE(DE, EUR, "\"price\":\"1\",\"quantity\":7", TODAY),
     "\"code\":\"unbound_extern\""},
    {LINE(DE, EUR, "\"price\":\"1\",\"quantity\":8", TODAY),
     "\"code\":\"currency_mismatch\""},
    {LINE(DE, EUR, "\"price\":\"1\",\"quantity\":9", TODAY),
     "\"code\":\"overflow\""},
    {LINE(DE, EUR, "\"price\":\"1\",\"quantity\":10", TODAY),
     "\"code\":\"division_by_zero\""},
    {LINE(DE, EUR ",\"delivered_at\":\"2026-01-01\"",
          "\"price\":\"1\",\"quantity\":11", TODAY), "\"code\":\"overflow\""},
    {LINE(DE, "\"currency\":\"JPY\"", "\"price\":\"1\",\"quantity\":12",
          TODAY), "\"code\":\"inexact_amount\""},
    {LINE(DE, EUR, "\"price\":\"1\",\"quantity\":13", TODAY),
     "\"code\":\"missing_input\""},
    {LINE(DE, EUR, "\"price\":\"1\",\"quantity\":20", TODAY),
     "\"code\":\"overflow\""},
    {LINE(DE, EUR, "\"price\":\"1\",\"quantity\":0", TODAY), "\"n\":0"},
    {NULL, NULL}
  };

  (void)state;
  check_policy("errors.rpol", errors_src, lines);
}

/* Every value type as a custom output, externs of every ABI type, set
 * values flowing through lets, fns, `??` and `if`. */
static const char *const types_src =
    "policy \"d1\" version \"1\"\n"
    "extern fn fraud_score(customer_id: string) -> int\n"
    "extern fn is_blocked(id: string) -> bool\n"
    "extern fn warehouse_for(country: string, bulky: bool) -> string\n"
    "extern fn shift_date(d: date, n: int, forward: bool) -> date\n"
    "extern fn bad_date(date: date) -> date\n"
    "enum Material { cotton, wool, leather }\n"
    "input item.material: Material\n"
    "input item.weights: set<int> = {}\n"
    "input item.prices: set<money>\n"
    "input order.coupon: string\n"
    "const LIMIT = 50\n"
    "const PCTS = {5%, 10%, 12.5%}\n"
    "const MONEYS = {10, 20 EUR, 5 USD}\n"
    "let tagset = item.tags + {\"base\"} - {\"drop\"}\n"
    "let bulky: bool = item.quantity > 3 or (item.material ?? cotton) == "
      "leather\n"
    "let big = LIMIT * 2\n"
    "let pct: percent = if item.quantity > 2 then 12.5% else 5%\n"
    "let when_due: date = add_business_days(request.date, item.quantity)"
      "\n"
    "fn pick(s: set<string>, x: string) -> bool = x in s or contains(x, "
      "\"z\")\n"
    "fn grow(s: set<Category>) -> set<Category> = s + {books, media}\n"
    "fn level(q: int) -> int {\n"
    "  when q >= 10 => 3\n"
    "  when q >= 5 => 2\n"
    "  otherwise => 1\n"
    "}\n"
    "output o_pct: percent\n"
    "output o_date: date\n"
    "output o_dur: duration\n"
    "output o_cur: currency\n"
    "output o_cty: country\n"
    "output o_mat: Material\n"
    "output o_money: money\n"
    "output o_cats: set<Category>\n"
    "output o_moneys: set<money>\n"
    "output o_dates: set<date>\n"
    "output o_str: string\n"
    "output o_bool: bool\n"
    "output o_int: int\n"
    "output o_tags: set<string>\n"
    "output o_pcts: set<percent>\n"
    "decide eligible {\n"
    "  when is_blocked(customer.id ?? \"\") => deny \"blocked\"\n"
    "  when fraud_score(customer.id ?? \"anon\") > 45 => review \"fraud\""
      "\n"
    "  when item.price in MONEYS => review \"magic\"\n"
    "  otherwise => allow\n"
    "}\n"
    "decide refund_method = original_payment\n"
    "decide shipping_payer { when bulky => merchant otherwise => customer"
      " }\n"
    "decide restocking_fee = pct of item.price * item.quantity\n"
    "decide return_shipping_fee = max(min(request.label_cost, LIMIT), 0)"
      "\n"
    "decide route = warehouse_for(order.coupon ?? \"DE\", bulky)\n"
    "decide window = to_days(request.date - (order.ordered_at ?? request."
      "date)) * 1 days + 30 days\n"
    "decide o_pct = max(pct + 1.5%, 7%)\n"
    "decide o_date = if item.final_sale then shift_date(request.date, ite"
      "m.quantity, true) else if item.quantity == 7 then bad_date(request.d"
      "ate) else when_due\n"
    "decide o_dur = when_due - request.date\n"
    "decide o_cur = order.currency\n"
    "decide o_cty = customer.country\n"
    "decide o_mat = item.material ?? wool\n"
    "decide o_money = if item.quantity == 1 then 3 USD else item.price / "
      "item.quantity + 0.01\n"
    "decide o_cats = grow({item.category}) - {media}\n"
    "decide o_moneys = (item.prices ?? {1, 2.5}) + {item.price, 7 GBP}\n"
    "decide o_dates = {request.date, when_due, order.delivered_at ?? requ"
      "est.date}\n"
    "decide o_str = if pick(tagset, item.sku ?? \"zz\") then \"picked\" e"
      "lse \"not\"\n"
    "decide o_bool = 10% in PCTS and not ((item.material ?? leather) in {"
      "cotton, wool}) and item.quantity in item.weights\n"
    "decide o_int = big + level(item.quantity) * weekday(request.date) + "
      "abs(-LIMIT)\n"
    "decide o_tags = if item.final_sale then tagset else item.tags - {\"a"
      "\"}\n"
    "decide o_pcts = PCTS + {pct}\n"
    "output o_strs: set<string>\n"
    "decide o_strs = {item.sku ?? \"m\", \"b\", \"a\", \"b\", order.coupo"
      "n ?? \"a\"}\n"
    "output o_big: bool\n"
    "decide o_big = (item.sku ?? \"none\") in {\"s1\", \"s2\", \"s3\", \""
      "s4\", \"s5\", \"s6\", \"s7\", \"s8\", \"s9\", \"abc\", \"zz\"}\n";

static int64_t x_fraud_score(const char *id)
{
  uint64_t h = 0;

  if (strcmp(id, "c-fraud") == 0)
    return 99;
  for (; *id; id++)
    h = h * 31 + (unsigned char)*id;
  return (int64_t)(h % 50);
}

static int x_is_blocked(const char *id)
{
  return strncmp(id, "blk-", 4) == 0;
}

static const char *x_warehouse_for(const char *country, int bulky)
{
  return bulky ? "bulky-central" : strcmp(country, "US") == 0 ? "wh-us"
                                                              : "wh-eu";
}

static int32_t x_shift_date(int32_t d, int64_t n, int forward)
{
  return (int32_t)(forward ? d + n : d - n);
}

static int32_t x_bad_date(int32_t d)
{
  return d + 5000000;      /* past 9999-12-31: overflow at the call */
}

static void bind_all(rpol_policy *p)
{
  assert_int_equal(rpol_bind_extern(p, "fraud_score",
                                    (rpol_extern_fn)x_fraud_score), RPOL_OK);
  assert_int_equal(rpol_bind_extern(p, "is_blocked",
                                    (rpol_extern_fn)x_is_blocked), RPOL_OK);
  assert_int_equal(rpol_bind_extern(p, "warehouse_for",
                                    (rpol_extern_fn)x_warehouse_for),
                   RPOL_OK);
  assert_int_equal(rpol_bind_extern(p, "shift_date",
                                    (rpol_extern_fn)x_shift_date), RPOL_OK);
  assert_int_equal(rpol_bind_extern(p, "bad_date",
                                    (rpol_extern_fn)x_bad_date), RPOL_OK);
}

static void test_types_externs(void **state)
{
  static const struct line_case lines[] = {
    {"{\"id\":1,\"customer\":{\"country\":\"DE\"},\"order\":{\"currenc"
       "y\":\"EUR\"},\"item\":{\"price\":\"100.00\"},\"request\":{\"date"
       "\":\"2026-03-11\"}}", "\"o_int\":153"},
    {"{\"id\":2,\"customer\":{\"country\":\"DE\",\"id\":\"blk-1\"},\"o"
       "rder\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"100.00\"},\""
       "request\":{\"date\":\"2026-03-11\"}}", "\"reason\":\"blocked\""},
    {"{\"id\":3,\"customer\":{\"country\":\"DE\",\"id\":\"c-fraud\"},"
       "\"order\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"100.00\"}"
       ",\"request\":{\"date\":\"2026-03-11\"}}", "\"reason\":\"fraud\""},
    {"{\"id\":4,\"customer\":{\"country\":\"US\",\"id\":\"c1\"},\"orde"
       "r\":{\"currency\":\"USD\",\"coupon\":\"US\"},\"item\":{\"price\""
       ":\"10.00\",\"quantity\":4,\"material\":\"leather\",\"tags\":[\"a"
       "\",\"drop\",\"q\"],\"weights\":[4,5],\"prices\":[\"1.00\",\"3 EU"
       "R\"],\"sku\":\"abc\"},\"request\":{\"date\":\"2026-03-14\",\"lab"
       "el_cost\":\"80\"}}", "\"route\":\"bulky-central\""},
    {"{\"id\":5,\"customer\":{\"country\":\"GB\",\"id\":\"c2\"},\"orde"
       "r\":{\"currency\":\"GBP\",\"ordered_at\":\"2026-01-01\",\"delive"
       "red_at\":\"2026-01-05\"},\"item\":{\"price\":\"20.00\",\"quantit"
       "y\":11,\"final_sale\":true,\"category\":\"books\",\"tags\":[\"zz"
       "\"]},\"request\":{\"date\":\"2026-03-15\"}}",
     "\"o_tags\":[\"base\",\"zz\"]"},
    {"{\"id\":6,\"customer\":{\"country\":\"JP\",\"id\":\"c3\"},\"orde"
       "r\":{\"currency\":\"JPY\"},\"item\":{\"price\":\"1000\",\"quanti"
       "ty\":2},\"request\":{\"date\":\"2026-03-11\"}}",
     "\"code\":\"inexact_amount\""},
    {"{\"id\":7,\"customer\":{\"country\":\"KW\",\"id\":\"c4\"},\"orde"
       "r\":{\"currency\":\"KWD\"},\"item\":{\"price\":\"1.234\",\"quant"
       "ity\":3,\"weights\":[3]},\"request\":{\"date\":\"9999-12-20\"}}",
     "\"o_date\":\"9999-12-23\""},
    {"{\"id\":8,\"customer\":{\"country\":\"DE\",\"id\":\"c5\"},\"orde"
       "r\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"20.00\"},\"requ"
       "est\":{\"date\":\"2026-03-11\"}}", NULL},
    {"{\"id\":9,\"customer\":{\"country\":\"US\",\"id\":\"c6\"},\"orde"
       "r\":{\"currency\":\"USD\"},\"item\":{\"price\":\"5.00\"},\"reque"
       "st\":{\"date\":\"2026-03-11\"}}", NULL},
    {"{\"id\":10,\"customer\":{\"country\":\"DE\",\"id\":\"c7\"},\"ord"
       "er\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"-9223372036854"
       "775.80\",\"quantity\":5},\"request\":{\"date\":\"2026-03-11\"}}",
     NULL},
    {"{\"id\":11,\"customer\":{\"country\":\"DE\"},\"order\":"
     "{\"currency\":\"EUR\"},\"item\":{\"price\":\"1\",\"quantity\":7},"
     "\"request\":{\"date\":\"2026-03-11\"}}", "\"code\":\"overflow\""},
    {NULL, NULL}
  };

  (void)state;
  check_policy_bound("types.rpol", types_src, lines, bind_all);
}

/* Lets that each read the one before twice: evaluation is linear (each is
 * computed once), and so must compilation be.  Inlining every read of a
 * let regardless of size would copy the chain 2^40 times. */
static void test_let_chain(void **state)
{
  char *src = malloc(8192), *p;
  struct line_case lines[2] = {
    {LINE(DE, EUR, "\"price\":\"1\",\"quantity\":1", TODAY),
     "\"verdict\":\"review\""},
    {NULL, NULL}
  };
  struct timespec t0, t1;
  double ms;
  int i, status = 0;
  pid_t pid, done;

  (void)state;
  assert_non_null(src);
  p = src + sprintf(src, "policy \"chain\" version \"1\"\n"
                         "let l0: int = item.quantity * 2\n");
  for (i = 1; i < 40; i++)
    p += sprintf(p, "let l%d: int = l%d + l%d - l%d\n", i, i - 1, i - 1,
                 i < 2 ? 0 : i - 2);
  sprintf(p, "decide eligible {\n"
             "  when l39 != 0 => review \"chain\"\n"
             "  otherwise => allow\n"
             "}\n"
             "decide refund_method = original_payment\n"
             "decide shipping_payer = customer\n");
  /* In a child process, so that exponential growth fails the test in
   * bounded time instead of hanging the suite.  Well under a second
   * here; the bound leaves room for a loaded machine. */
  fflush(NULL);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    alarm(60);
    check_policy("chain.rpol", src, lines);
    _exit(0);
  }
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do {
    usleep(20000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
         (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    done = waitpid(pid, &status, WNOHANG);
  } while (done == 0 && ms < 30000);
  if (done == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    fail_msg("compiling a chain of 40 lets took over 30 s");
  }
  print_message("let chain of 40: %.0f ms\n", ms);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  free(src);
}

/* Builds the programs of `path` and their layout into a fresh session. */
static void load_layout(const char *path, struct session *s,
                        struct layout *L, const char **md, size_t *mdlen)
{
  struct driver_unit u;

  session_init(s);
  memset(&u, 0, sizeof u);
  assert_int_equal(driver_load(s, path, 0, &u), DRIVER_OK);
  assert_int_equal(s->diags.nerrors, 0);
  layout_init(L, s, u.progs, u.nprogs);
  *md = layout_metadata(L, mdlen);
  assert_non_null(*md);
}

/* A decide block big enough that the module is optimised with the
 * pipeline for big functions (cg.c, CG_PASSES_BIG): first match among
 * 1,000 cases, a let that may fail read in some of them, and the
 * otherwise; the compiled code must agree with the interpreter. */
/* Occurrences of `needle` in the metadata text. */
static int count_in(const char *md, const char *needle)
{
  int n = 0;

  for (const char *p = md; (p = strstr(p, needle)); p++)
    n++;
  return n;
}

/* Only the prelude declarations a program uses are numbered: calling a
 * statutory function brings its expressions' locations into the
 * metadata; a policy calling none carries a fraction of the prelude's
 * (all of them were some 900, four fifths of an artifact's metadata). */
static void test_layout_prelude_used(void **state)
{
  static const char head[] =
      "policy \"p\" version \"1\"\n"
      "decide eligible = allow\n"
      "decide refund_method = original_payment\n"
      "decide shipping_payer = merchant\n";
  char src[512];
  struct session s1, s2;
  struct layout L1, L2;
  const char *md1, *md2, *path;
  size_t n1, n2;
  int plain, calling;

  (void)state;
  snprintf(src, sizeof src, "%sdecide window = 30 days\n", head);
  path = write_file("plain.rpol", src);
  load_layout(path, &s1, &L1, &md1, &n1);
  snprintf(src, sizeof src, "%sdecide window = statutory_withdrawal("
           "customer.country)\n", head);
  path = write_file("calling.rpol", src);
  load_layout(path, &s2, &L2, &md2, &n2);
  plain = count_in(md1, "\"<prelude>:");
  calling = count_in(md2, "\"<prelude>:");
  print_message("prelude locations: %d, calling statutory_withdrawal %d\n",
                plain, calling);
  assert_true(plain > 0);        /* the prelude's inputs and defaults */
  assert_true(plain < 300);
  assert_true(calling >= plain + 10);
  session_free(&s1);
  session_free(&s2);
}

static void test_big_block(void **state)
{
  size_t cap = 1000 * 160 + 1024;
  char *src = malloc(cap), *p;
  struct line_case lines[] = {
    {LINE(DE, EUR, "\"price\":\"7\",\"quantity\":3", TODAY),
     "\"reason\":\"q3\""},
    {LINE(DE, EUR, "\"price\":\"7\",\"quantity\":997", TODAY),
     "\"reason\":\"q997\""},
    {LINE(DE, EUR, "\"price\":\"2\",\"quantity\":500", TODAY),
     "\"verdict\":\"allow\""},
    {LINE(DE, EUR, "\"price\":\"7\",\"quantity\":5000", TODAY),
     "\"verdict\":\"allow\""},
    {LINE(DE, EUR, "\"price\":\"92233720368547758\",\"quantity\":901",
          TODAY), "\"code\":\"overflow\""},
    {NULL, NULL}
  };
  int k;

  (void)state;
  assert_non_null(src);
  p = src + sprintf(src, "policy \"big\" version \"1\"\n"
                         "let total: money = item.price * item.quantity\n"
                         "let many = item.quantity > 2\n"
                         "decide eligible {\n");
  for (k = 0; k < 999; k++)
    p += sprintf(p, "  when item.quantity == %d and many and %s => "
                    "deny \"q%d\"\n", k,
                 k % 2 ? "total > 5 EUR" : "item.price >= 3", k);
  sprintf(p, "  otherwise => allow\n"
             "}\n"
             "decide refund_method = original_payment\n"
             "decide shipping_payer = customer\n");
  check_policy("big.rpol", src, lines);
  free(src);
}

/* Lines of function `name` in the LLVM IR file `path`, -1 if absent. */
/* The policy at `path` built ahead of time as LLVM IR into tmpdir/NAME
 * (its path in ll). */
static void build_ll(const char *path, const char *name, char *ll,
                     size_t cap)
{
  struct session s;
  struct layout L;
  const char *md;
  size_t mdlen;
  char *err = NULL;

  load_layout(path, &s, &L, &md, &mdlen);
  snprintf(ll, cap, "%s/%s", tmpdir, name);
  if (aot_build(&L, md, mdlen, ll, AOT_LLVM, &err) != 0)
    fail_msg("aot_build: %s", err);
  session_free(&s);
}

/* Lines of IR function `name` in the .ll file that hold `needle` (all
 * its lines for NULL); -1 if there is no such function. */
static long ir_function_count(const char *path, const char *name,
                              const char *needle)
{
  FILE *f = fopen(path, "r");
  char line[4096], head[300];
  long n = -1;

  assert_non_null(f);
  snprintf(head, sizeof head, "define internal i32 @%s(", name);
  while (fgets(line, sizeof line, f)) {
    if (n < 0 && strncmp(line, head, strlen(head)) == 0)
      n = 0;
    else if (n >= 0 && line[0] == '}')
      break;
    else if (n >= 0 && (!needle || strstr(line, needle)))
      n++;
  }
  fclose(f);
  return n;
}

static long ir_function_lines(const char *path, const char *name)
{
  return ir_function_count(path, name, NULL);
}

/* The evaluator without the trace (rpol_abi.h's eval_plain) is the
 * traced one with no access to res->trace (field 7 of the result) once
 * optimised; the body both call is inlined into each and gone. */
static void test_plain_evaluator(void **state)
{
  const char *trace_field = "%rpol.result* %1, i64 0, i32 7";
  char ll[600];

  (void)state;
  build_ll(write_file("shop.rpol", shop_src), "shop.ll", ll, sizeof ll);
  assert_true(ir_function_count(ll, "rpol.eval.0", trace_field) > 0);
  assert_int_equal(ir_function_count(ll, "rpol.eval.0.plain", trace_field),
                   0);
  assert_true(ir_function_lines(ll, "rpol.eval.0.plain") > 100);
  assert_int_equal(ir_function_lines(ll, "rpol.eval.0.body"), -1);
  unlink(ll);
}

/* A let too big to copy (cg.c, CG_COPY_WEIGHT) read in 60 cases, each
 * reached whether or not an earlier case computed it: its code is copied
 * once and the other reads call a function computing it (before, 60
 * copies); the code agrees with the interpreter, and a failure inside
 * that function is reported at the let's operator. */
static void test_copied_lets(void **state)
{
  size_t cap = 60 * 120 + 2048;
  char *src = malloc(cap), *p, ll[600], at[800];
  struct line_case lines[] = {
    {LINE(DE, EUR, "\"price\":\"7\",\"quantity\":0", TODAY),
     "\"reason\":\"q0\""},
    {LINE(DE, EUR, "\"price\":\"7\",\"quantity\":3", TODAY),
     "\"reason\":\"q3\""},
    {LINE(DE, EUR, "\"price\":\"7\",\"quantity\":59", TODAY),
     "\"reason\":\"q59\""},
    {LINE(DE, EUR, "\"price\":\"7\",\"quantity\":5", TODAY), NULL},
    {LINE(DE, EUR, "\"price\":\"7\",\"quantity\":200", TODAY),
     "\"verdict\":\"allow\""},
    {NULL, NULL}
  };
  long n;
  int k;

  (void)state;
  assert_non_null(src);
  p = src + sprintf(src, "policy \"copies\" version \"1\"\n"
                         "let big: int = (");
  for (k = 0; k < 40; k++)
    *p++ = '(';
  p += sprintf(p, "item.quantity");
  for (k = 0; k < 40; k++)
    p += sprintf(p, " %c %d)", k % 2 ? '-' : '+', k + 1);
  p += sprintf(p, ") / (item.quantity - 5)\n"
                  "decide eligible {\n");
  for (k = 0; k < 60; k++)
    p += sprintf(p, "  when item.quantity == %d and big != %d => "
                    "deny \"q%d\"\n", k, 1000000 + k, k);
  sprintf(p, "  otherwise => allow\n"
             "}\n"
             "decide refund_method = original_payment\n"
             "decide shipping_payer = customer\n");
  /* Reported at the division, line 2. */
  snprintf(at, sizeof at, "\"code\":\"division_by_zero\",\"message\":"
           "\"division by zero\",\"at\":\"%s/copies.rpol:2:%d\"", tmpdir,
           (int)(strstr(src, ") / (") - strchr(src, '\n')) + 2);
  lines[3].want = at;
  check_policy("copies.rpol", src, lines);

  build_ll(write_file("copies.rpol", src), "copies.ll", ll, sizeof ll);
  assert_true(ir_function_lines(ll, "rpol.let.0.0") > 0);
  n = ir_function_lines(ll, "rpol.eval.0");
  print_message("evaluator of 60 reads of a big let: %ld lines of IR\n", n);
  assert_true(n > 0 && n < 3000);
  unlink(ll);
  free(src);
}

static void test_aot_so(void **state)
{
  struct session s;
  struct layout L;
  const char *md, *path = write_file("shop.rpol", shop_src);
  size_t mdlen;
  char so[600], *err = NULL;
  void *h;
  const struct rpol_artifact *art;
  rpol_runtime *rt = NULL;
  rpol_policy *p = NULL, *ref = NULL;
  const char *line = LINE(DE, EUR, "\"price\":\"100.00\"", TODAY);
  char *a, *b;
  uint32_t i;

  (void)state;
  load_layout(path, &s, &L, &md, &mdlen);
  snprintf(so, sizeof so, "%s/shop.so", tmpdir);
  if (aot_build(&L, md, mdlen, so, AOT_SO, &err) != 0)
    fail_msg("aot_build: %s", err);
  h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
  assert_non_null(h);
  art = dlsym(h, RPOL_ARTIFACT_SYMBOL);
  assert_non_null(art);
  assert_int_equal(art->magic, RPOL_ARTIFACT_MAGIC);
  assert_int_equal(art->abi_version, RPOL_ABI_VERSION);
  assert_int_equal(art->struct_size, sizeof(struct rpol_artifact));
  assert_int_equal(art->npolicies, 1);
  assert_int_equal(art->metadata_len, mdlen);
  assert_memory_equal(art->metadata, md, mdlen);
  assert_int_equal(art->metadata[mdlen], 0);
  for (i = 0; i < art->npolicies; i++)
    assert_non_null(art->eval[i]);
  /* Nothing but the artifact is exported. */
  assert_null(dlsym(h, "rpol_add"));
  assert_null(dlsym(h, "rpol.eval.0"));
  dlclose(h);

  assert_int_equal(rpol_runtime_new(&rt, NULL, NULL), RPOL_OK);
  if (rpol_load(rt, so, &p) != RPOL_OK)
    fail_msg("rpol_load: %s", rpol_errmsg(rt));
  assert_int_equal(engine_compile(rt, path, ENGINE_INTERP, stderr, &ref),
                   RPOL_OK);
  a = decide_json(p, line, 1);
  b = decide_json(ref, line, 1);
  assert_string_equal(a, b);
  free(a);
  free(b);
  rpol_policy_unref(p);
  rpol_policy_unref(ref);
  rpol_runtime_free(rt);
  session_free(&s);
}

static int file_has(const char *path, const char *needle, size_t nlen)
{
  FILE *f = fopen(path, "rb");
  static char buf[1 << 20];
  size_t n, i;

  if (!f)
    return 0;
  n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  for (i = 0; i + nlen <= n; i++)
    if (memcmp(buf + i, needle, nlen) == 0)
      return 1;
  return 0;
}

/* The metadata names each source with its SHA-256 (nettle's), which
 * must be the file's: the digest below is sha256sum's of this text. */
static void test_source_digest(void **state)
{
  static const char src[] =
      "policy \"digest\" version \"1\"\n"
      "decide eligible = allow\n"
      "decide refund_method = original_payment\n"
      "decide shipping_payer = customer\n";
  static const char want[] = "\"sha256\":\"48daf6d282fa23ccbd74678c27a6090d"
                             "ab1d6f2ac80784e2af635533f37a101a\"";
  struct session s;
  struct layout L;
  const char *md;
  size_t mdlen;

  (void)state;
  load_layout(write_file("digest.rpol", src), &s, &L, &md, &mdlen);
  if (!strstr(md, want))
    fail_msg("no %s in the metadata: %.300s", want, md);
  session_free(&s);
}

static void test_emit_kinds(void **state)
{
  static const struct {
    enum aot_emit kind;
    const char *file, *needle;
  } kinds[] = {
    {AOT_LLVM, "x.ll", "@rpol_artifact_v1 = "},
    {AOT_ASM, "x.s", "rpol_artifact_v1:"},
    {AOT_OBJ, "x.o", "\177ELF"},
  };
  struct session s;
  struct layout L;
  const char *md, *path = write_file("shop.rpol", shop_src);
  size_t mdlen, k;
  char out[600], *err = NULL;

  (void)state;
  load_layout(path, &s, &L, &md, &mdlen);
  for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    snprintf(out, sizeof out, "%s/%s", tmpdir, kinds[k].file);
    if (aot_build(&L, md, mdlen, out, kinds[k].kind, &err) != 0)
      fail_msg("aot_build %s: %s", kinds[k].file, err);
    assert_true(file_has(out, kinds[k].needle, strlen(kinds[k].needle)));
    unlink(out);
  }
  /* A link failure is reported, not printed, and leaves no file. */
  snprintf(out, sizeof out, "%s/no/such/dir/x.so", tmpdir);
  assert_int_equal(aot_build(&L, md, mdlen, out, AOT_SO, &err), -1);
  assert_non_null(err);
  assert_non_null(strstr(err, "linking"));
  free(err);
  session_free(&s);
}

static void test_jit_direct(void **state)
{
  struct session s;
  struct layout L;
  const char *md, *path = write_file("shop.rpol", shop_src);
  size_t mdlen;
  const struct rpol_artifact *art = NULL;
  void (*release)(void *) = NULL;
  void *ud = NULL;
  char *err = NULL;
  struct timespec t0, t1;

  (void)state;
  load_layout(path, &s, &L, &md, &mdlen);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (jit_compile(&L, md, mdlen, &art, &release, &ud, &err) != 0)
    fail_msg("jit_compile: %s", err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  print_message("jit_compile of shop.rpol: %.1f ms\n",
                (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
  assert_non_null(art);
  assert_int_equal(art->magic, RPOL_ARTIFACT_MAGIC);
  assert_int_equal(art->npolicies, 1);
  assert_memory_equal(art->metadata, md, mdlen);
  release(ud);
  session_free(&s);
}

struct jit_job {
  const char *path;
  int rc;
  char *err;
};

/* One compile session per thread: sessions are not shared between
 * threads (code generation selects programs in its session). */
static void *jit_thread(void *arg)
{
  struct jit_job *j = arg;
  const struct rpol_artifact *art = NULL;
  void (*release)(void *) = NULL;
  void *ud = NULL;
  struct session s;
  struct driver_unit u;
  struct layout L;
  const char *md;
  size_t mdlen;
  int k;

  session_init(&s);
  memset(&u, 0, sizeof u);
  if (driver_load(&s, j->path, 0, &u) != DRIVER_OK || s.diags.nerrors) {
    j->rc = -3;
    session_free(&s);
    return NULL;
  }
  layout_init(&L, &s, u.progs, u.nprogs);
  md = layout_metadata(&L, &mdlen);
  for (k = 0; k < 3 && j->rc == 0; k++) {
    j->rc = jit_compile(&L, md, mdlen, &art, &release, &ud, &j->err);
    if (j->rc == 0) {
      if (art->magic != RPOL_ARTIFACT_MAGIC || art->npolicies != 1 ||
          art->metadata_len != mdlen)
        j->rc = -2;
      release(ud);
    }
  }
  session_free(&s);
  return NULL;
}

/* Compiles in several threads at once: the native target is set up once,
 * and each compilation owns its LLVM context and JIT. */
static void test_jit_threads(void **state)
{
  const char *path = write_file("shop.rpol", shop_src);
  struct jit_job jobs[3];
  pthread_t t[3];
  int i;

  (void)state;
  for (i = 0; i < 3; i++) {
    jobs[i].path = path;
    jobs[i].rc = 0;
    jobs[i].err = NULL;
    assert_int_equal(pthread_create(&t[i], NULL, jit_thread, &jobs[i]), 0);
  }
  for (i = 0; i < 3; i++) {
    assert_int_equal(pthread_join(t[i], NULL), 0);
    if (jobs[i].rc != 0)
      fail_msg("thread %d: %d %s", i, jobs[i].rc,
               jobs[i].err ? jobs[i].err : "");
  }
}

struct decider {
  rpol_policy *p;
  const char *const *lines;
  char **want;
  int stop;                   /* atomic */
  long decided, wrong;
};

/* Decides the lines over and over until told to stop, with the trace
 * and without by turns, counting answers that differ from `want`: the
 * evaluators are swapped under it. */
static void *decide_until_stopped(void *arg)
{
  struct decider *d = arg;
  int i;

  while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE) || d->decided == 0)
    for (i = 0; d->lines[i]; i++) {
      int trace = (d->decided & 1) == 0;
      char *got = decide_json(d->p, d->lines[i], trace);
      char *want = strdup(d->want[i]);

      assert_non_null(want);
      d->wrong += strcmp(got, trace ? want : strip_trace(want)) != 0;
      free(want);
      d->decided++;
      free(got);
    }
  return NULL;
}

/* The tiered JIT: the quick code decides as soon as the compile returns;
 * the thread's optimised code takes over and decides alike; the code it
 * puts in the cache is what the next compile finds.  The other modes
 * have no thread to wait for. */
static void test_jit_tiers(void **state)
{
  static const char *const lines[] = {
    LINE(DE, EUR, "\"price\":\"10\"", TODAY),
    LINE("\"country\":\"FR\"", EUR,
         "\"price\":\"2000\",\"category\":\"furniture\"", TODAY),
    LINE("\"country\":\"US\"", "\"currency\":\"USD\"",
         "\"price\":\"19.99\",\"quantity\":3,\"sku\":\"X-1\"",
         "\"date\":\"2026-03-11\",\"reason\":\"defective\""),
    NULL
  };
  const char *path = write_file("shop.rpol", shop_src);
  char cache[600], *before[3];
  rpol_runtime *rt = NULL;
  rpol_policy *p = NULL;
  struct jit_times jt;
  struct jit_opt_times ot;
  int i;

  (void)state;
  snprintf(cache, sizeof cache, "%s/tier-cache", tmpdir);
  assert_int_equal(rpol_runtime_new(&rt, NULL, NULL), RPOL_OK);
  assert_int_equal(rpol_runtime_set_cache_dir(rt, cache), RPOL_OK);
  assert_int_equal(rpol_runtime_set_jit_mode(rt, (rpol_jit_mode)7),
                   RPOL_EMISUSE);
  assert_int_equal(engine_compile_timed(rt, path, ENGINE_JIT, stderr, &jt,
                                        &p), RPOL_OK);
  assert_true(jt.tiered);
  assert_int_equal(jt.cache, JIT_CACHE_MISS);   /* quick code: not stored */
  for (i = 0; lines[i]; i++)
    before[i] = decide_json(p, lines[i], 1);
  assert_int_equal(engine_wait_optimised(p, &ot), 0);
  assert_true(ot.swapped);
  assert_true(ot.stored);
  assert_null(ot.err);
  assert_true(ot.ready_ms > 0);
  for (i = 0; lines[i]; i++) {
    char *after = decide_json(p, lines[i], 1);
    char *plain = decide_json(p, lines[i], 0);

    assert_string_equal(before[i], after);
    assert_string_equal(strip_trace(after), plain);
    free(plain);
    free(after);
    free(before[i]);
  }
  /* Waiting again is harmless. */
  assert_int_equal(engine_wait_optimised(p, NULL), 0);
  rpol_policy_unref(p);

  /* The next compile finds the optimised code: no tiers. */
  assert_int_equal(engine_compile_timed(rt, path, ENGINE_JIT, stderr, &jt,
                                        &p), RPOL_OK);
  assert_int_equal(jt.cache, JIT_CACHE_HIT);
  assert_false(jt.tiered);
  assert_int_equal(engine_wait_optimised(p, &ot), -1);
  rpol_policy_unref(p);

  /* Decisions running while the optimised code takes over. */
  assert_int_equal(rpol_runtime_set_cache_dir(rt, NULL), RPOL_OK);
  assert_int_equal(engine_compile_timed(rt, path, ENGINE_JIT, stderr, &jt,
                                        &p), RPOL_OK);
  assert_true(jt.tiered);
  {
    struct decider d = {p, lines, before, 0, 0, 0};
    pthread_t t;

    for (i = 0; lines[i]; i++)
      before[i] = decide_json(p, lines[i], 1);
    assert_int_equal(pthread_create(&t, NULL, decide_until_stopped, &d), 0);
    assert_int_equal(engine_wait_optimised(p, &ot), 0);
    __atomic_store_n(&d.stop, 1, __ATOMIC_RELEASE);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(d.decided > 0);
    assert_int_equal(d.wrong, 0);
    for (i = 0; lines[i]; i++)
      free(before[i]);
  }
  rpol_policy_unref(p);

  /* Released at once: the thread is stopped and joined, nothing leaks
   * (the sanitizer build checks). */
  assert_int_equal(engine_compile_timed(rt, path, ENGINE_JIT, stderr, &jt,
                                        &p), RPOL_OK);
  assert_true(jt.tiered);
  rpol_policy_unref(p);

  /* Quick and optimised modes: one code, no thread. */
  assert_int_equal(rpol_runtime_set_jit_mode(rt, RPOL_JIT_QUICK), RPOL_OK);
  assert_int_equal(engine_compile_timed(rt, path, ENGINE_JIT, stderr, &jt,
                                        &p), RPOL_OK);
  assert_false(jt.tiered);
  assert_int_equal(engine_wait_optimised(p, &ot), -1);
  assert_false(ot.swapped);
  rpol_policy_unref(p);
  rpol_runtime_free(rt);
}

/* fork() right after a tiered compile: it waits for the optimising
 * thread, and the child, which has no such thread, decides alike and
 * releases the policy without joining one. */
static void test_jit_fork(void **state)
{
  const char *line = LINE(DE, EUR, "\"price\":\"10\"", TODAY);
  const char *path = write_file("shop.rpol", shop_src);
  rpol_runtime *rt = NULL;
  rpol_policy *p = NULL;
  struct jit_times jt;
  char *want, *got;
  pid_t pid;
  int status;

  (void)state;
  assert_int_equal(rpol_runtime_new(&rt, NULL, NULL), RPOL_OK);
  assert_int_equal(engine_compile_timed(rt, path, ENGINE_JIT, stderr, &jt,
                                        &p), RPOL_OK);
  assert_true(jt.tiered);
  want = decide_json(p, line, 1);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    got = decide_json(p, line, 1);
    status = strcmp(got, want) == 0 ? 0 : 3;
    free(got);
    rpol_policy_unref(p);
    rpol_runtime_free(rt);
    _exit(status);
  }
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  /* The parent's thread was done before the fork: nothing to wait for. */
  assert_int_equal(engine_wait_optimised(p, NULL), 0);
  got = decide_json(p, line, 1);
  assert_string_equal(got, want);
  free(got);
  free(want);
  rpol_policy_unref(p);
  rpol_runtime_free(rt);
}

/* A bundle: two routed policies in one module. */
static void test_bundle(void **state)
{
  char dir[600];
  rpol_runtime *rt = NULL;
  rpol_policy *jit = NULL, *ref = NULL;
  static const char *const lines[] = {
    LINE(DE, EUR, "\"price\":\"10\"", TODAY),
    LINE("\"country\":\"US\"", "\"currency\":\"USD\"", "\"price\":\"10\"",
         TODAY),
    LINE("\"country\":\"JP\"", "\"currency\":\"JPY\"", "\"price\":\"10\"",
         TODAY),
    NULL
  };
  int i;

  (void)state;
  snprintf(dir, sizeof dir, "%s/bundle", tmpdir);
  mkdir(dir, 0700);
  write_file("bundle/eu.rpol",
             "policy \"eu\" version \"1\"\nfor customer.country in EU\n"
             "decide eligible = allow\n"
             "decide refund_method = original_payment\n"
             "decide shipping_payer = merchant\n");
  write_file("bundle/us.rpol",
             "policy \"us\" version \"2\"\n"
             "for customer.country in {US, CA}\n"
             "decide eligible = review \"us\"\n"
             "decide refund_method = store_credit\n"
             "decide shipping_payer = customer\n"
             "decide restocking_fee = 10% of item.price\n");
  assert_int_equal(rpol_runtime_new(&rt, NULL, NULL), RPOL_OK);
  assert_int_equal(engine_compile(rt, dir, ENGINE_JIT, stderr, &jit),
                   RPOL_OK);
  assert_int_equal(engine_compile(rt, dir, ENGINE_INTERP, stderr, &ref),
                   RPOL_OK);
  assert_int_equal(rpol_policy_count(jit), 2);
  for (i = 0; lines[i]; i++) {
    char *a = decide_json(jit, lines[i], 1), *b = decide_json(ref, lines[i], 1);

    assert_string_equal(a, b);
    free(a);
    free(b);
  }
  rpol_policy_unref(jit);
  rpol_policy_unref(ref);
  rpol_runtime_free(rt);
}

/* A module shared by two policies that extend Tier differently: `gold`
 * is member 3 in one and 2 in the other, and the module's lets are
 * numbered per program. */
static void test_bundle_shared_module(void **state)
{
  char dir[600];
  rpol_runtime *rt = NULL;
  rpol_policy *jit = NULL, *ref = NULL;
  static const struct line_case lines[] = {
    {"{\"id\":1,\"customer\":{\"country\":\"DE\",\"tier\":\"gold\""
     "},\"order\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"100"
     ".00\"},\"request\":{\"date\":\"2026-03-11\"}}",
     "\"loyalty\":\"gold\""},
    {"{\"id\":2,\"customer\":{\"country\":\"DE\",\"tier\":\"silver"
     "\"},\"order\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"1"
     "00.00\"},\"request\":{\"date\":\"2026-03-11\"}}",
     "\"loyalty\":\"silver\""},
    {"{\"id\":3,\"customer\":{\"country\":\"US\",\"tier\":\"gold\""
     "},\"order\":{\"currency\":\"USD\"},\"item\":{\"price\":\"100"
     ".00\"},\"request\":{\"date\":\"2026-03-11\"}}",
     "\"reason\":\"gold\""},
    {"{\"id\":4,\"customer\":{\"country\":\"US\",\"tier\":\"vip\"}"
     ",\"order\":{\"currency\":\"USD\"},\"item\":{\"price\":\"100."
     "00\"},\"request\":{\"date\":\"2026-03-11\"}}",
     "\"shipping_payer\":\"merchant\""},
    {"{\"id\":5,\"customer\":{\"country\":\"DE\",\"tier\":\"vip\"}"
     ",\"order\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"100."
     "00\"},\"request\":{\"date\":\"2026-03-11\"}}",
     "\"restocking_fee\":\"0.00\""},
    {NULL, NULL}
  };
  int i;

  (void)state;
  snprintf(dir, sizeof dir, "%s/shared", tmpdir);
  mkdir(dir, 0700);
  write_file("shared/common.rpol",
             "module \"common\"\n"
             "let is_vip: bool = customer.tier == Tier.vip\n"
             "let fee_pct: percent = if is_vip then 0% else 10%\n"
             "output loyalty: Tier\n");
  write_file("shared/a.rpol",
             "policy \"a\" version \"1\"\n"
             "for customer.country in EU\n"
             "use \"common.rpol\"\n"
             "extend enum Tier { silver, gold }\n"
             "decide eligible {\n"
             "  when customer.tier == gold => review \"gold\"\n"
             "  otherwise => allow\n"
             "}\n"
             "decide refund_method = original_payment\n"
             "decide shipping_payer {\n"
             "  when is_vip => merchant\n"
             "  otherwise => customer\n"
             "}\n"
             "decide restocking_fee = fee_pct of item.price\n"
             "decide loyalty = customer.tier\n");
  write_file("shared/b.rpol",
             "policy \"b\" version \"1\"\n"
             "use \"common.rpol\"\n"
             "extend enum Tier { gold }\n"
             "let extra: bool = customer.tier == gold\n"
             "decide eligible {\n"
             "  when extra => deny \"gold\"\n"
             "  otherwise => allow\n"
             "}\n"
             "decide refund_method = store_credit\n"
             "decide shipping_payer {\n"
             "  when is_vip => merchant\n"
             "  otherwise => customer\n"
             "}\n"
             "decide loyalty = if is_vip then gold else customer.tier\n");
  assert_int_equal(rpol_runtime_new(&rt, NULL, NULL), RPOL_OK);
  assert_int_equal(engine_compile(rt, dir, ENGINE_JIT, stderr, &jit),
                   RPOL_OK);
  assert_int_equal(engine_compile(rt, dir, ENGINE_INTERP, stderr, &ref),
                   RPOL_OK);
  for (i = 0; lines[i].json; i++) {
    char *a = decide_json(jit, lines[i].json, 1);
    char *b = decide_json(ref, lines[i].json, 1);

    assert_string_equal(a, b);
    if (!strstr(a, lines[i].want))
      fail_msg("line %d: no '%s' in %s", i + 1, lines[i].want, a);
    free(a);
    free(b);
  }
  rpol_policy_unref(jit);
  rpol_policy_unref(ref);
  rpol_runtime_free(rt);
}

static int setup(void **state)
{
  (void)state;
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
  char cmd[700];

  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_shop),
    cmocka_unit_test(test_errors),
    cmocka_unit_test(test_types_externs),
    cmocka_unit_test(test_let_chain),
    cmocka_unit_test(test_big_block),
    cmocka_unit_test(test_copied_lets),
    cmocka_unit_test(test_plain_evaluator),
    cmocka_unit_test(test_bundle),
    cmocka_unit_test(test_bundle_shared_module),
    cmocka_unit_test(test_jit_direct),
    cmocka_unit_test(test_jit_threads),
    cmocka_unit_test(test_layout_prelude_used),
    cmocka_unit_test(test_jit_tiers),
    cmocka_unit_test(test_jit_fork),
    cmocka_unit_test(test_aot_so),
    cmocka_unit_test(test_emit_kinds),
    cmocka_unit_test(test_source_digest),
  };

  return cmocka_run_group_tests(tests, setup, teardown);
}
