/* reload.c: hot reload under load (issue 7).
 *
 *   reload [-t THREADS] [-n LINES] [-s SWAPS] V1.so V2.so ...
 *
 * THREADS readers each decide LINES return lines through one rpol_handle
 * while the main thread loads the given artifacts in turn and swaps them
 * in SWAPS times.  Every artifact is a version of one policy whose custom
 * output `gen` equals its version string, so a decision made by one
 * version but reported as another (a torn or freed policy) is caught:
 * every decision must have gen == its reported version.  Run under
 * ThreadSanitizer by `make test-tsan`, and smaller by `make test`.
 * Prints "ok reload ..." or "not ok reload ..." (the suite format) and
 * exits non-zero on any mismatch.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "rpol.h"

static rpol_handle *handle;
static long nlines = 1000000;
static int done_readers;
static long progress;        /* lines decided by all readers, roughly */

static const char *const lines[] = {
  "{\"id\":1,\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":"
  "\"EUR\"},\"item\":{\"price\":\"10.00\"},\"request\":{\"date\":"
  "\"2026-03-11\"}}",
  "{\"id\":2,\"customer\":{\"country\":\"FR\"},\"order\":{\"currency\":"
  "\"EUR\"},\"item\":{\"price\":\"99.99\",\"quantity\":3},\"request\":"
  "{\"date\":\"2026-01-02\"}}",
  "{\"id\":3,\"customer\":{\"country\":\"US\"},\"order\":{\"currency\":"
  "\"USD\"},\"item\":{\"price\":\"1.50\"},\"request\":{\"date\":"
  "\"2025-12-31\"}}",
  "{\"id\":4,\"customer\":{\"country\":\"JP\"},\"order\":{\"currency\":"
  "\"JPY\"},\"item\":{\"price\":\"1500\"},\"request\":{\"date\":"
  "\"2026-06-30\"}}",
};
#define RELOAD_EVERY 10
#define NPOOL (int)(sizeof lines / sizeof lines[0])

struct reader {
  pthread_t tid;
  long decided, mismatches, versions_seen, errors;
  char first_error[256];
};

static void fail(struct reader *r, const char *what, long line)
{
  if (!r->first_error[0])
    snprintf(r->first_error, sizeof r->first_error, "line %ld: %s", line,
             what);
}

static void *reader_main(void *arg)
{
  struct reader *r = arg;
  rpol_policy *p = NULL;
  rpol_input *in[NPOOL] = {0};
  rpol_decision *d = NULL;
  long version = -1;
  int gen = -1, i;

  for (long n = 0; n < nlines; n++) {
    int k = (int)(n % NPOOL);
    if (rpol_handle_refresh(handle, &p) != 0) {
      /* A new version: inputs and decisions belong to one policy. */
      rpol_decision_free(d);
      d = NULL;
      for (i = 0; i < NPOOL; i++) {
        rpol_input_free(in[i]);
        in[i] = NULL;
      }
      if (!p || rpol_decision_new(p, &d) != RPOL_OK) {
        fail(r, "cannot make a decision", n);
        r->errors++;
        break;
      }
      for (i = 0; i < NPOOL; i++)
        if (rpol_input_new(p, &in[i]) != RPOL_OK ||
            rpol_input_decode(in[i], lines[i], strlen(lines[i]))
                != RPOL_OK) {
          fail(r, "cannot decode a pool line", n);
          r->errors++;
          goto out;
        }
      version = strtol(rpol_policy_version(p, 0), NULL, 10);
      r->versions_seen++;
      gen = -1;
    }
    /* One line in 64 is decoded afresh, so decoding runs concurrently
     * with reloads too. */
    if (n % 64 == 0 &&
        rpol_input_decode(in[k], lines[k], strlen(lines[k])) != RPOL_OK) {
      fail(r, rpol_input_errmsg(in[k]), n);
      r->errors++;
      continue;
    }
    if (rpol_decide(p, in[k], d) != RPOL_OK || rpol_decision_error(d)) {
      fail(r, "the decision is an error", n);
      r->errors++;
      continue;
    }
    if (gen < 0)
      gen = rpol_decision_output_index(d, "gen");
    struct rpol_value v;
    int sub = rpol_decision_policy(d);
    long reported = sub < 0 ? -2
                    : strtol(rpol_policy_version(p, sub), NULL, 10);
    if (gen < 0 || rpol_decision_output(d, gen, &v) != RPOL_OK ||
        !v.present || v.i != reported || reported != version ||
        rpol_decision_verdict(d) != RPOL_ALLOW) {
      char msg[128];
      snprintf(msg, sizeof msg, "decided gen %lld, reported version %ld",
               (long long)(gen < 0 ? -1 : v.i), reported);
      fail(r, msg, n);
      r->mismatches++;
    }
    r->decided++;
    if (n % 1024 == 1023)
      __atomic_add_fetch(&progress, 1024, __ATOMIC_RELAXED);
  }
out:
  rpol_decision_free(d);
  for (i = 0; i < NPOOL; i++)
    rpol_input_free(in[i]);
  rpol_handle_release(p);
  __atomic_add_fetch(&done_readers, 1, __ATOMIC_ACQ_REL);
  return NULL;
}

int main(int argc, char **argv)
{
  int nthreads = 8, i, nso, opt;
  long nswaps = 1000, swapped = 0;
  rpol_runtime *rt;
  rpol_policy *p;
  struct reader *rs;
  char **so;

  while ((opt = getopt(argc, argv, "t:n:s:")) != -1) {
    if (opt == 't')
      nthreads = atoi(optarg);
    else if (opt == 'n')
      nlines = atol(optarg);
    else if (opt == 's')
      nswaps = atol(optarg);
    else
      return 2;
  }
  so = argv + optind;
  nso = argc - optind;
  if (nso < 2 || nthreads < 1 || nlines < 1 || nswaps < 0) {
    fprintf(stderr, "usage: reload [-t N] [-n LINES] [-s SWAPS] "
                    "V1.so V2.so...\n");
    return 2;
  }
  if (rpol_runtime_new(&rt, NULL, NULL) != RPOL_OK)
    return 2;
  if (rpol_load(rt, so[0], &p) != RPOL_OK) {
    printf("not ok reload: %s\n", rpol_errmsg(rt));
    return 1;
  }
  if (rpol_handle_new(rt, p, &handle) != RPOL_OK)
    return 2;
  rpol_policy_unref(p);
  rs = calloc((size_t)nthreads, sizeof *rs);
  if (!rs)
    return 2;
  for (i = 0; i < nthreads; i++)
    if (pthread_create(&rs[i].tid, NULL, reader_main, &rs[i]) != 0) {
      printf("not ok reload: cannot start thread %d\n", i);
      return 2;
    }
  /* Swap while readers run: swap s waits until the readers have done
   * s/nswaps of their lines, so swaps spread over the whole run; once the
   * readers are done the remaining swaps run at once. */
  /* Loading an artifact (dlopen, metadata) is slower than thousands of
   * decisions, so the swapper keeps one loaded policy per artifact and
   * reloads one of them from its file every RELOAD_EVERY swaps: the
   * replaced one is freed by whichever thread drops it last. */
  rpol_policy **pool = calloc((size_t)nso, sizeof *pool);
  if (!pool)
    return 2;
  for (i = 0; i < nso; i++)
    if (rpol_load(rt, so[i], &pool[i]) != RPOL_OK) {
      printf("not ok reload: %s\n", rpol_errmsg(rt));
      return 1;
    }
  for (long s = 1; s <= nswaps; s++) {
    long target = (long)((double)s / (double)(nswaps + 1) *
                         (double)nlines * nthreads);
    int k = (int)(s % nso);
    while (__atomic_load_n(&progress, __ATOMIC_RELAXED) < target &&
           __atomic_load_n(&done_readers, __ATOMIC_ACQUIRE) < nthreads)
      sched_yield();
    if (s % RELOAD_EVERY == 0) {
      rpol_policy_unref(pool[k]);
      if (rpol_load(rt, so[k], &pool[k]) != RPOL_OK) {
        printf("not ok reload: swap %ld: %s\n", s, rpol_errmsg(rt));
        pool[k] = NULL;
        break;
      }
    }
    rpol_handle_swap(handle, pool[k]);
    swapped++;
  }
  for (i = 0; i < nso; i++)
    rpol_policy_unref(pool[i]);
  free(pool);
  long decided = 0, bad = 0, seen = 0;
  int failed = swapped != nswaps;
  for (i = 0; i < nthreads; i++) {
    pthread_join(rs[i].tid, NULL);
    decided += rs[i].decided;
    bad += rs[i].mismatches + rs[i].errors;
    seen += rs[i].versions_seen;
    if (rs[i].first_error[0]) {
      fprintf(stderr, "reader %d: %s\n", i, rs[i].first_error);
      failed = 1;
    }
  }
  failed |= bad != 0 || decided != nlines * nthreads;
  printf("%sok reload: %d threads x %ld lines, %ld swaps (%llu seen by the "
         "handle), %ld version pickups, %ld decisions, %ld mismatched\n",
         failed ? "not " : "", nthreads, nlines, swapped,
         (unsigned long long)rpol_handle_generation(handle), seen, decided,
         bad);
  rpol_handle_free(handle);
  rpol_runtime_free(rt);
  free(rs);
  return failed;
}
