/* test_jit_cache.c: the JIT's code cache (compiler/jit_cache.c).
 *
 * The benchmark policy is compiled through the runtime with a cache
 * directory: the first compile stores the object, the second takes it from
 * the cache, and both decide a varied set of lines to the same records
 * (explained, every output and trace) as a compile without a cache.  A
 * cache entry that was cut short or changed is ignored and written anew;
 * keys differ with the metadata; a cache directory that cannot be created
 * still compiles.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "rpol.h"
#include "cg.h"
#include "engine.h"
#include "jit.h"
#include "jit_cache.h"

#define POLICY "bench/policy.rpol"

static const char *const lines[] = {
  "{\"id\":1,\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":"
  "\"EUR\",\"delivered_at\":\"2026-03-01\"},\"item\":{\"price\":\"59.90\","
  "\"category\":\"apparel\",\"condition\":\"opened\"},\"request\":{\"date\":"
  "\"2026-03-11\",\"reason\":\"changed_mind\"}}",
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
  "{\"id\":7,\"customer\":{\"country\":\"FR\"},\"order\":{\"currency\":"
  "\"EUR\",\"delivered_at\":\"2026-01-01\",\"shipping_paid\":\"5.00 USD\"},"
  "\"item\":{\"price\":\"20.00\"},\"request\":{\"date\":\"2026-01-05\","
  "\"reason\":\"defective\"}}",
};
#define NLINES (sizeof lines / sizeof lines[0])

/* Every line's record, explained, joined by newlines (malloc'd). */
static char *decide_all(rpol_policy *p)
{
  static char buf[16384];
  size_t cap = 1 << 16, len = 0;
  char *all = malloc(cap);
  rpol_input *in = NULL;
  rpol_decision *d = NULL;

  assert_non_null(all);
  assert_int_equal(rpol_input_new(p, &in), RPOL_OK);
  assert_int_equal(rpol_decision_new(p, &d), RPOL_OK);
  for (size_t i = 0; i < NLINES; i++) {
    assert_int_equal(rpol_input_decode(in, lines[i], strlen(lines[i])),
                     RPOL_OK);
    assert_int_equal(rpol_decide(p, in, d), RPOL_OK);
    size_t n = rpol_decision_json(d, in, RPOL_JSON_EXPLAIN, "en", buf,
                                  sizeof buf);
    assert_true(n > 0 && n < sizeof buf && len + n + 2 < cap);
    memcpy(all + len, buf, n);
    len += n;
    all[len++] = '\n';
  }
  all[len] = 0;
  rpol_decision_free(d);
  rpol_input_free(in);
  return all;
}

/* Compiles POLICY with the JIT and cache directory `dir` (NULL: none);
 * returns its records and sets *use to what the cache did.  The optimised
 * mode, so that the store happens within the compile (the tiered mode's
 * thread stores later: tests/unit/test_cg.c, test_jit_tiers). */
static char *compile_and_decide(const char *dir, enum jit_cache_use *use)
{
  rpol_runtime *rt = NULL;
  rpol_policy *p = NULL;
  struct jit_times t;

  assert_int_equal(rpol_runtime_new(&rt, NULL, NULL), RPOL_OK);
  assert_int_equal(rpol_runtime_set_cache_dir(rt, dir), RPOL_OK);
  assert_int_equal(rpol_runtime_set_jit_mode(rt, RPOL_JIT_OPTIMISED),
                   RPOL_OK);
  assert_int_equal(engine_compile_timed(rt, POLICY, ENGINE_JIT, stderr, &t,
                                        &p), RPOL_OK);
  *use = t.cache;
  char *records = decide_all(p);
  rpol_policy_free(p);
  rpol_runtime_free(rt);
  return records;
}

static char tmpdir[64];

static int setup(void **state)
{
  (void)state;
  strcpy(tmpdir, "/tmp/rpol-cache-test-XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

/* The one entry in dir (malloc'd path); fails unless there is exactly one
 * and no temporary file is left. */
static char *only_entry(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  char *path = NULL;
  int n = 0;

  assert_non_null(d);
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    size_t k = strlen(e->d_name);
    assert_true(k > 2 && strcmp(e->d_name + k - 2, ".o") == 0);
    n++;
    path = malloc(strlen(dir) + k + 2);
    assert_non_null(path);
    sprintf(path, "%s/%s", dir, e->d_name);
  }
  closedir(d);
  assert_int_equal(n, 1);
  return path;
}

static off_t file_size(const char *path)
{
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  return st.st_size;
}

static void test_miss_then_hit(void **state)
{
  (void)state;
  char dir[128];
  enum jit_cache_use use;
  snprintf(dir, sizeof dir, "%s/a/b", tmpdir);   /* made on demand */

  char *plain = compile_and_decide(NULL, &use);
  assert_int_equal(use, JIT_CACHE_OFF);
  char *cold = compile_and_decide(dir, &use);
  assert_int_equal(use, JIT_CACHE_STORED);
  char *entry = only_entry(dir);
  char *warm = compile_and_decide(dir, &use);
  assert_int_equal(use, JIT_CACHE_HIT);
  assert_string_equal(cold, plain);
  assert_string_equal(warm, plain);
  /* Seven lines, seven records, with their traces. */
  assert_non_null(strstr(plain, "\"id\":7"));
  assert_non_null(strstr(plain, "trace"));
  free(entry);
  free(plain);
  free(cold);
  free(warm);
}

/* Damages the entry with `how`, then checks that a compile ignores it,
 * decides as before and writes it anew (the next compile hits). */
static void damaged(void (*how)(const char *path))
{
  char dir[128];
  enum jit_cache_use use;
  snprintf(dir, sizeof dir, "%s/damaged", tmpdir);

  char *first = compile_and_decide(dir, &use);
  assert_int_equal(use, JIT_CACHE_STORED);
  char *entry = only_entry(dir);
  off_t size = file_size(entry);
  how(entry);
  char *again = compile_and_decide(dir, &use);
  assert_int_equal(use, JIT_CACHE_STORED);
  assert_string_equal(again, first);
  assert_int_equal(file_size(entry), size);
  char *warm = compile_and_decide(dir, &use);
  assert_int_equal(use, JIT_CACHE_HIT);
  assert_string_equal(warm, first);
  free(only_entry(dir));
  unlink(entry);
  rmdir(dir);
  free(entry);
  free(first);
  free(again);
  free(warm);
}

static void cut_in_half(const char *path)
{
  assert_int_equal(truncate(path, file_size(path) / 2), 0);
}

static void flip_a_code_byte(const char *path)
{
  int fd = open(path, O_RDWR);
  unsigned char c;
  off_t at = file_size(path) - 100;   /* inside the object */
  assert_true(fd >= 0);
  assert_int_equal(pread(fd, &c, 1, at), 1);
  c ^= 0x40;
  assert_int_equal(pwrite(fd, &c, 1, at), 1);
  close(fd);
}

static void empty_file(const char *path)
{
  assert_int_equal(truncate(path, 0), 0);
}

static void test_truncated_entry(void **state)
{
  (void)state;
  damaged(cut_in_half);
}

static void test_corrupted_entry(void **state)
{
  (void)state;
  damaged(flip_a_code_byte);
}

static void test_empty_entry(void **state)
{
  (void)state;
  damaged(empty_file);
}

static void test_keys(void **state)
{
  (void)state;
  char *err = NULL;
  LLVMTargetMachineRef tm = cg_target_machine(1, &err);
  unsigned char a[JIT_CACHE_KEY_LEN], b[JIT_CACHE_KEY_LEN],
      c[JIT_CACHE_KEY_LEN], d[JIT_CACHE_KEY_LEN];

  assert_non_null(tm);
  assert_int_equal(jit_cache_key(tm, "{\"a\":1}", 7, a), 0);
  assert_int_equal(jit_cache_key(tm, "{\"a\":1}", 7, b), 0);
  assert_int_equal(jit_cache_key(tm, "{\"a\":2}", 7, c), 0);
  assert_int_equal(jit_cache_key(tm, "{\"a\":1} ", 8, d), 0);
  assert_memory_equal(a, b, sizeof a);
  assert_memory_not_equal(a, c, sizeof a);
  assert_memory_not_equal(a, d, sizeof a);
  LLVMDisposeTargetMachine(tm);

  /* An entry stored under one key is not found under another. */
  char dir[128];
  snprintf(dir, sizeof dir, "%s/keys", tmpdir);
  assert_int_equal(jit_cache_store(dir, a, "object", 6), 0);
  LLVMMemoryBufferRef buf = jit_cache_load(dir, a);
  assert_non_null(buf);
  assert_int_equal(LLVMGetBufferSize(buf), 6);
  assert_memory_equal(LLVMGetBufferStart(buf), "object", 6);
  LLVMDisposeMemoryBuffer(buf);
  assert_null(jit_cache_load(dir, c));
  /* An entry renamed to another key's name is refused: the key inside
   * must match too. */
  char *pa = jit_cache_path(dir, a), *pc = jit_cache_path(dir, c);
  assert_int_equal(rename(pa, pc), 0);
  assert_null(jit_cache_load(dir, c));
  unlink(pc);
  free(pa);
  free(pc);
}

static void test_unwritable_dir(void **state)
{
  (void)state;
  char file[128], dir[160];
  enum jit_cache_use use;

  /* Under a regular file no directory can be made, even by root. */
  snprintf(file, sizeof file, "%s/file", tmpdir);
  FILE *f = fopen(file, "w");
  assert_non_null(f);
  fclose(f);
  snprintf(dir, sizeof dir, "%s/cache", file);
  char *plain = compile_and_decide(NULL, &use);
  char *records = compile_and_decide(dir, &use);
  assert_int_equal(use, JIT_CACHE_MISS);
  assert_string_equal(records, plain);
  free(plain);
  free(records);
  unlink(file);
}

static void test_api(void **state)
{
  (void)state;
  rpol_runtime *rt = NULL;
  assert_int_equal(rpol_runtime_set_cache_dir(NULL, "x"), RPOL_EMISUSE);
  assert_int_equal(rpol_runtime_new(&rt, NULL, NULL), RPOL_OK);
  assert_int_equal(rpol_runtime_set_cache_dir(rt, ""), RPOL_EMISUSE);
  assert_int_equal(rpol_runtime_set_cache_dir(rt, "/tmp/a"), RPOL_OK);
  assert_int_equal(rpol_runtime_set_cache_dir(rt, "/tmp/b"), RPOL_OK);
  assert_int_equal(rpol_runtime_set_cache_dir(rt, NULL), RPOL_OK);
  assert_int_equal(rpol_runtime_set_cache_dir(rt, "/tmp/c"), RPOL_OK);
  rpol_runtime_free(rt);   /* frees the copy (LeakSanitizer, valgrind) */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_api),
    cmocka_unit_test(test_keys),
    cmocka_unit_test(test_miss_then_hit),
    cmocka_unit_test(test_truncated_entry),
    cmocka_unit_test(test_corrupted_entry),
    cmocka_unit_test(test_empty_entry),
    cmocka_unit_test(test_unwritable_dir),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
