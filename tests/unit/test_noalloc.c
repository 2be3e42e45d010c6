/* test_noalloc.c: no heap allocation per decision (issue 6).
 *
 * The benchmark policy (bench/policy.rpol) is compiled with the JIT and
 * every line of a varied input set is decided through rpol_decide with a
 * counting rpol_alloc_fn, on the compiled evaluator and on the reference
 * interpreter.  Any allocation between the start and the end of a
 * decision, or of the JSON encoding of a decision into the caller's
 * buffer, fails the test.  Outside sanitizer builds the C library's
 * malloc family is interposed too, so that an allocation made behind the
 * allocator's back (json-c, LLVM, a stray strdup) is caught as well.
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
#include "engine.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if !defined(__SANITIZE_ADDRESS__) && !__has_feature(address_sanitizer) \
    && !__has_feature(memory_sanitizer) && !__has_feature(thread_sanitizer) \
    && defined(__GLIBC__)
#define INTERPOSE_MALLOC 1
#endif

/* Allocations counted while `counting` is set, in the deciding thread
 * only: the tiered JIT's optimising thread (compiler/jit.c) allocates
 * meanwhile, and the rule is about the decisions' own path. */
static __thread volatile int counting;
static long rt_allocs, libc_allocs;

static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
  (void)ud;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  if (counting)
    rt_allocs++;
  return realloc(ptr, nsize);
}

#ifdef INTERPOSE_MALLOC
/* glibc's own entry points, which the interposed functions forward to. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

void *malloc(size_t n)
{
  if (counting)
    libc_allocs++;
  return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
  if (counting)
    libc_allocs++;
  return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
  if (counting)
    libc_allocs++;
  return __libc_realloc(p, n);
}

void free(void *p)
{
  __libc_free(p);
}

/* Whether the interposed malloc is the one that runs. */
static int interposed(void)
{
  void *(*volatile m)(size_t) = malloc;
  long before = libc_allocs;
  counting = 1;
  void *p = m(16);
  counting = 0;
  free(p);
  return libc_allocs > before;
}
#endif

/* Return lines that reach every kind of result: allow, review, deny, and
 * the bad_input and no_policy-free error paths of the runtime. */
static const char *const lines[] = {
  "{\"id\":1,\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":"
  "\"EUR\",\"delivered_at\":\"2026-03-01\",\"shipping_paid\":\"4.95\"},"
  "\"item\":{\"price\":\"59.90\",\"category\":\"apparel\",\"condition\":"
  "\"opened\"},\"request\":{\"date\":\"2026-03-11\",\"reason\":"
  "\"changed_mind\"}}",
  "{\"id\":2,\"customer\":{\"country\":\"US\",\"tier\":\"vip\"},\"order\":"
  "{\"currency\":\"USD\",\"delivered_at\":\"2026-01-01\",\"incoterm\":"
  "\"ddp\",\"duties_paid\":\"12.00\"},\"item\":{\"price\":\"899.00\","
  "\"category\":\"electronics\",\"quantity\":2},\"request\":{\"date\":"
  "\"2026-02-01\",\"reason\":\"defective\",\"method\":\"in_store\"}}",
  "{\"id\":3,\"customer\":{\"country\":\"JP\"},\"order\":{\"currency\":"
  "\"JPY\"},\"item\":{\"price\":\"12000\",\"category\":\"books\"},"
  "\"request\":{\"date\":\"2026-02-01\"}}",
  "{\"id\":4,\"customer\":{\"country\":\"AE\"},\"order\":{\"currency\":"
  "\"AED\",\"delivered_at\":\"2026-01-01\"},\"item\":{\"price\":\"50.00\","
  "\"category\":\"digital\"},\"request\":{\"date\":\"2026-01-02\"}}",
  "{\"id\":5,\"customer\":{\"country\":\"BR\",\"returns_90d\":14},"
  "\"order\":{\"currency\":\"BRL\",\"delivered_at\":\"2026-01-01\","
  "\"payment_method\":\"cod\"},\"item\":{\"price\":\"150.00\","
  "\"condition\":\"used\"},\"request\":{\"date\":\"2026-01-05\","
  "\"preferred_refund\":\"exchange\"}}",
  "{\"id\":6,\"customer\":{\"country\":\"GB\"},\"order\":{\"currency\":"
  "\"GBP\",\"delivered_at\":\"2025-01-01\"},\"item\":{\"price\":\"20.00\","
  "\"discount\":\"2.50\"},\"request\":{\"date\":\"2026-01-05\","
  "\"reason\":\"wrong_item\"}}",
  /* a money input in another currency: an evaluation error */
  "{\"id\":7,\"customer\":{\"country\":\"FR\"},\"order\":{\"currency\":"
  "\"EUR\",\"delivered_at\":\"2026-01-01\",\"shipping_paid\":\"5.00 USD\"},"
  "\"item\":{\"price\":\"20.00\"},\"request\":{\"date\":\"2026-01-05\","
  "\"reason\":\"defective\"}}",
  /* bad_input: rpol_decide reports it without allocating either */
  "{\"id\":8,\"customer\":{\"country\":\"FR\"},\"order\":{\"currency\":"
  "\"EUR\"},\"item\":{\"price\":\"20.001\"},\"request\":{\"date\":"
  "\"2026-01-05\"}}",
};
#define NLINES (sizeof lines / sizeof lines[0])

static void decide_all(enum engine_kind kind, rpol_jit_mode mode)
{
  rpol_runtime *rt = NULL;
  rpol_policy *p = NULL;
  rpol_input *in[NLINES] = {0};
  rpol_decision *d = NULL;
  static char buf[16384];
  int verdicts[3] = {0}, errors = 0, bad = 0;

  assert_int_equal(rpol_runtime_new(&rt, counting_alloc, NULL), RPOL_OK);
  assert_int_equal(rpol_runtime_set_jit_mode(rt, mode), RPOL_OK);
  assert_int_equal(engine_compile(rt, "bench/policy.rpol", kind, NULL, &p),
                   RPOL_OK);
  assert_int_equal(rpol_decision_new(p, &d), RPOL_OK);
  for (size_t i = 0; i < NLINES; i++) {
    assert_int_equal(rpol_input_new(p, &in[i]), RPOL_OK);
    rpol_status st = rpol_input_decode(in[i], lines[i], strlen(lines[i]));
    bad += st == RPOL_EINPUT;
  }
  /* Many decisions per line, so that a rare or lazy allocation (a buffer
   * grown on the hundredth call) is met too. */
  rt_allocs = libc_allocs = 0;
  for (int rep = 0; rep < 200; rep++) {
    /* With the trace and without (its evaluators) by turns. */
    rpol_decision_set_trace(d, rep % 2 == 0);
    for (size_t i = 0; i < NLINES; i++) {
      counting = 1;
      rpol_status st = rpol_decide(p, in[i], d);
      size_t n = st == RPOL_OK
          ? rpol_decision_json(d, in[i], RPOL_JSON_EXPLAIN, "de", buf,
                               sizeof buf)
          : rpol_input_error_json(in[i], (long)i + 1, buf, sizeof buf);
      counting = 0;
      assert_true(n > 0 && n < sizeof buf);
      if (rep == 0) {
        if (st != RPOL_OK)
          continue;
        if (rpol_decision_error(d))
          errors++;
        else
          verdicts[rpol_decision_verdict(d)]++;
      }
    }
  }
  assert_int_equal(rt_allocs, 0);
  assert_int_equal(libc_allocs, 0);
  /* The lines reach what they are meant to reach. */
  assert_int_equal(bad, 1);
  assert_int_equal(errors, 1);
  assert_true(verdicts[0] >= 2);
  assert_true(verdicts[1] >= 2);
  assert_true(verdicts[2] >= 1);
  for (size_t i = 0; i < NLINES; i++)
    rpol_input_free(in[i]);
  rpol_decision_free(d);
  rpol_policy_unref(p);
  rpol_runtime_free(rt);
}

static void test_jit_decides_without_allocating(void **state)
{
  (void)state;
  /* Each of the tiered JIT's codes alone, then both, swapped while it
   * decides. */
  decide_all(ENGINE_JIT, RPOL_JIT_QUICK);
  decide_all(ENGINE_JIT, RPOL_JIT_OPTIMISED);
  decide_all(ENGINE_JIT, RPOL_JIT_TIERED);
}

static void test_interpreter_decides_without_allocating(void **state)
{
  (void)state;
  decide_all(ENGINE_INTERP, RPOL_JIT_TIERED);
}

/* The counters work: opening a runtime allocates through the allocator,
 * and decoding a line makes json-c call malloc. */
static void test_counter_counts(void **state)
{
  (void)state;
  rpol_runtime *rt = NULL;
  rpol_policy *p = NULL;
  rpol_input *in = NULL;
  rt_allocs = libc_allocs = 0;
  counting = 1;
  assert_int_equal(rpol_runtime_new(&rt, counting_alloc, NULL), RPOL_OK);
  counting = 0;
  assert_true(rt_allocs > 0);
  assert_int_equal(engine_compile(rt, "bench/policy.rpol", ENGINE_JIT,
                                  NULL, &p), RPOL_OK);
  assert_int_equal(rpol_input_new(p, &in), RPOL_OK);
  counting = 1;
  assert_int_equal(rpol_input_decode(in, lines[0], strlen(lines[0])),
                   RPOL_OK);
  counting = 0;
#ifdef INTERPOSE_MALLOC
  /* Under valgrind, which replaces malloc itself, nothing is counted. */
  if (interposed())
    assert_true(libc_allocs > 0);
#endif
  rpol_input_free(in);
  rpol_policy_unref(p);
  rpol_runtime_free(rt);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_counter_counts),
    cmocka_unit_test(test_jit_decides_without_allocating),
    cmocka_unit_test(test_interpreter_decides_without_allocating),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
