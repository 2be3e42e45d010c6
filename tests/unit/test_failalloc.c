/* test_failalloc.c: every allocation the runtime makes may fail.
 *
 * The runtime allocates through the rpol_alloc_fn of rpol_runtime_new.
 * This test counts the allocations of a whole session (open a runtime;
 * load a built .so, or compile a policy with the interpreter or the JIT;
 * make inputs and decisions; decode lines, one with a set that grows the
 * input's storage; decide; encode; a hot-reload handle), then reruns it
 * once per n failing the n-th allocation.  Every run must end in a clean
 * RPOL_ENOMEM (with a message where the API has one), never a crash, and
 * must leave no block allocated once everything is freed.
 *
 * Compiling through the runtime (engine_compile, rpol_compile) takes the
 * front end's memory from the same allocator: sources, parser, checker,
 * layout and the interpreter's prepared state, for a single file and for a
 * bundle directory with a shared module.  Not covered (the C library's,
 * docs/limits.md): flex's buffers, opendir, json-c, and the JIT's code
 * generation and LLVM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "rpol.h"
#include "engine.h"
#include "aot.h"
#include "driver.h"
#include "layout.h"

static long calls, fail_at, failed, live_blocks;
static long long live_bytes;

static void *failing_alloc(void *ud, void *p, size_t o, size_t n)
{
  void *q;

  (void)ud;
  if (n == 0) {
    if (p) {
      free(p);
      live_blocks--;
      live_bytes -= (long long)o;
    }
    return NULL;
  }
  if (++calls == fail_at) {
    failed++;
    return NULL;
  }
  q = realloc(p, n);
  if (!q)
    return NULL;
  if (!p)
    live_blocks++;
  live_bytes += (long long)n - (long long)(p ? o : 0);
  return q;
}

static char dir[64], policy_path[128], so_path[128], bundle_path[128];

/* A bundle: two policies routed by country, a module they share with a
 * region, a const set, a function and a let (the interpreter's prepared
 * constant sets), and an extern. */
static const char bundle_common[] =
  "module \"common\"\n"
  "region NORDIC = {DK, SE, FI} + {NO, IS}\n"
  "const FAULTY = {Reason.defective, Reason.damaged_in_transit}\n"
  "fn fee(p: money) -> money = 10% of p\n"
  "extern fn score(s: string) -> int\n";
static const char bundle_a[] =
  "policy \"ba\" version \"1\"\n"
  "for customer.country in NORDIC\n"
  "use \"common.rpol\"\n"
  "let tagged = item.tags + {\"x\", item.sku ?? \"none\"}\n"
  "decide eligible {\n"
  "  when request.reason in FAULTY => allow\n"
  "  when \"final\" in tagged => deny \"final_sale\"\n"
  "  otherwise => allow\n"
  "}\n"
  "decide refund_method = original_payment\n"
  "decide shipping_payer = customer\n"
  "decide restocking_fee = fee(item.price)\n";
static const char bundle_b[] =
  "policy \"bb\" version \"1\"\n"
  "for customer.country in EU - {DK, SE, FI}\n"
  "use \"common.rpol\"\n"
  "decide eligible = allow\n"
  "decide refund_method = store_credit\n"
  "decide shipping_payer = merchant\n";

static const char policy_src[] =
  "policy \"fa\" version \"3\"\n"
  "output tags_seen: int\n"
  "output note: string\n"
  "decide eligible {\n"
  "  when item.price > 500.00 => review \"high_value\"\n"
  "  otherwise => allow\n"
  "}\n"
  "decide refund_method = original_payment\n"
  "decide shipping_payer = customer\n"
  "decide tags_seen = 3\n"
  "decide note = \"ok\"\n";

static const char *const lines[] = {
  "{\"id\":\"a\",\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":"
  "\"EUR\"},\"item\":{\"price\":\"10.00\",\"quantity\":2,\"tags\":[\"a\","
  "\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\"]},"
  "\"request\":{\"date\":\"2026-03-11\"}}",
  "{\"id\":{\"k\":[1,2,3]},\"customer\":{\"country\":\"FR\"},\"order\":"
  "{\"currency\":\"EUR\"},\"item\":{\"price\":\"900.00\"},\"request\":"
  "{\"date\":\"2026-03-11\"}}",
  "not json",
};

enum how { LOAD_SO, COMPILE_INTERP, COMPILE_JIT, COMPILE_BUNDLE };

/* One session; returns the first failing status (RPOL_OK if none). */
static rpol_status session(enum how how)
{
  rpol_runtime *rt = NULL;
  rpol_policy *p = NULL;
  rpol_input *in = NULL;
  rpol_decision *d = NULL;
  rpol_handle *h = NULL;
  rpol_status st;
  char buf[4096];
  size_t i;

  st = rpol_runtime_new(&rt, failing_alloc, NULL);
  if (st != RPOL_OK) {
    assert_null(rt);
    return st;
  }
  if (how == LOAD_SO)
    st = rpol_load(rt, so_path, &p);
  else if (how == COMPILE_BUNDLE)
    st = engine_compile(rt, bundle_path, ENGINE_INTERP, NULL, &p);
  else
    st = engine_compile(rt, policy_path, how == COMPILE_JIT ? ENGINE_JIT
                        : ENGINE_INTERP, NULL, &p);
  if (st != RPOL_OK) {
    assert_null(p);
    assert_true(rpol_errmsg(rt)[0] != '\0');
    goto out;
  }
  if ((st = rpol_input_new(p, &in)) != RPOL_OK) {
    assert_null(in);
    goto out;
  }
  if ((st = rpol_decision_new(p, &d)) != RPOL_OK) {
    assert_null(d);
    goto out;
  }
  for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
    rpol_status ds = rpol_input_decode(in, lines[i], strlen(lines[i]));
    if (ds == RPOL_ENOMEM) {
      st = ds;
      goto out;
    }
    if (i < 2) {
      /* The first two lines are valid: only running out of memory may
       * stop them. */
      if (ds != RPOL_OK)
        fail_msg("line %zu: status %d: %s", i, (int)ds,
                 rpol_input_errmsg(in));
      assert_int_equal(rpol_decide(p, in, d), RPOL_OK);
      assert_null(rpol_decision_error(d));
      assert_true(rpol_decision_json(d, in, RPOL_JSON_EXPLAIN, "de", buf,
                                     sizeof buf) < sizeof buf);
    } else {
      assert_int_equal(ds, RPOL_EINPUT);
      assert_true(rpol_input_error_json(in, 3, buf, sizeof buf) <
                  sizeof buf);
    }
  }
  if ((st = rpol_handle_new(rt, p, &h)) != RPOL_OK) {
    assert_null(h);
    goto out;
  }
  assert_int_equal(rpol_handle_swap(h, p), RPOL_OK);
out:
  rpol_handle_free(h);
  rpol_decision_free(d);
  rpol_input_free(in);
  rpol_policy_unref(p);
  rpol_runtime_free(rt);
  return st;
}

/* Runs the session failing allocation 1, 2, ... until one runs through;
 * `step` > 1 samples (the JIT is slow to compile). */
static void fail_every(enum how how, long step)
{
  long n, total, nomem = 0;

  fail_at = 0;
  calls = 0;
  live_blocks = 0;     /* a failed test before may have left some */
  live_bytes = 0;
  assert_int_equal(session(how), RPOL_OK);
  assert_int_equal(live_blocks, 0);
  assert_int_equal(live_bytes, 0);
  total = calls;
  assert_true(total > 3);
  for (n = 1; n <= total; n += (n < 8 ? 1 : step)) {
    rpol_status st;
    calls = 0;
    failed = 0;
    fail_at = n;
    st = session(how);
    if (failed) {
      if (st != RPOL_ENOMEM)
        fail_msg("allocation %ld of %ld failed: status %d, want "
                 "RPOL_ENOMEM", n, total, (int)st);
      nomem++;
    } else {
      assert_int_equal(st, RPOL_OK);
    }
    if (live_blocks != 0 || live_bytes != 0)
      fail_msg("allocation %ld of %ld failed: %ld blocks (%lld bytes) "
               "leaked", n, total, live_blocks, live_bytes);
  }
  fail_at = 0;
  print_message("%ld allocations; %ld runs ended in RPOL_ENOMEM\n", total,
                nomem);
  assert_true(nomem > 0);
}

static void test_load_so(void **state)
{
  (void)state;
  fail_every(LOAD_SO, 1);
}

static void test_compile_interp(void **state)
{
  (void)state;
  fail_every(COMPILE_INTERP, 1);
}

static void test_compile_jit(void **state)
{
  (void)state;
  fail_every(COMPILE_JIT, 5);
}

static void test_compile_bundle(void **state)
{
  (void)state;
  fail_every(COMPILE_BUNDLE, 1);
}

static int write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  fputs(text, f);
  return fclose(f);
}

static char bundle_files[3][160];

static int setup(void **state)
{
  struct session s;
  struct driver_unit u;
  struct layout L;
  size_t len;
  const char *meta;
  char *err = NULL;
  FILE *f;
  int rc;

  (void)state;
  strcpy(dir, "/tmp/rpol-failalloc-XXXXXX");
  if (!mkdtemp(dir))
    return -1;
  snprintf(policy_path, sizeof policy_path, "%s/fa.rpol", dir);
  snprintf(so_path, sizeof so_path, "%s/fa.so", dir);
  f = fopen(policy_path, "w");
  if (!f)
    return -1;
  fputs(policy_src, f);
  fclose(f);
  snprintf(bundle_path, sizeof bundle_path, "%s/bundle", dir);
  if (mkdir(bundle_path, 0777) != 0)
    return -1;
  snprintf(bundle_files[0], sizeof bundle_files[0], "%s/common.rpol",
           bundle_path);
  snprintf(bundle_files[1], sizeof bundle_files[1], "%s/a.rpol",
           bundle_path);
  snprintf(bundle_files[2], sizeof bundle_files[2], "%s/b.rpol",
           bundle_path);
  if (write_file(bundle_files[0], bundle_common) != 0 ||
      write_file(bundle_files[1], bundle_a) != 0 ||
      write_file(bundle_files[2], bundle_b) != 0)
    return -1;
  session_init(&s);
  if (driver_load(&s, policy_path, 0, &u) != DRIVER_OK ||
      s.diags.nerrors) {
    diag_print(&s.diags, stderr);
    session_free(&s);
    return -1;
  }
  layout_init(&L, &s, u.progs, u.nprogs);
  meta = layout_metadata(&L, &len);
  rc = aot_build(&L, meta, len, so_path, AOT_SO, &err);
  if (rc != 0)
    fprintf(stderr, "aot_build: %s\n", err ? err : "?");
  free(err);
  session_free(&s);
  return rc;
}

static int teardown(void **state)
{
  (void)state;
  unlink(so_path);
  unlink(policy_path);
  for (int i = 0; i < 3; i++)
    unlink(bundle_files[i]);
  rmdir(bundle_path);
  rmdir(dir);
  return 0;
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_load_so),
    cmocka_unit_test(test_compile_interp),
    cmocka_unit_test(test_compile_jit),
    cmocka_unit_test(test_compile_bundle),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
