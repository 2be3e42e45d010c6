/* cmd_eval.c: `rpolc eval` and `rpolc bench` (§13).
 *
 * eval streams: one JSON line in, one JSON line out, in order, in memory
 * bounded by the longest line.  A bad line becomes an error record and the
 * stream goes on; a failed write stops it with a message and exit 2, so
 * output is never silently truncated.
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "engine.h"
#include "internal.h"
#include "jit.h"

struct eval_opts {
  const char *policy, *input, *locale, *extern_lib, *baseline;
  unsigned flags;
  int no_cache;
  enum engine_kind engine;
  rpol_jit_mode jit_mode;
  long repeat;
};

static int parse_opts(const char *cmd, int argc, char **argv,
                      struct eval_opts *o)
{
  memset(o, 0, sizeof *o);
  o->engine = ENGINE_JIT;
  o->repeat = 5;
  int npos = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char **val = NULL;
    if (strcmp(a, "--explain") == 0)
      o->flags |= RPOL_JSON_EXPLAIN;
    else if (strcmp(a, "--interp") == 0)
      o->engine = ENGINE_INTERP;
    else if (strcmp(a, "--jit") == 0)
      o->engine = ENGINE_JIT;
    else if (strncmp(a, "--jit=", 6) == 0) {
      static const char *const modes[] = {"tiered", "optimised", "quick"};
      int m = 0;
      while (m < 3 && strcmp(a + 6, modes[m]) != 0)
        m++;
      if (m == 3)
        return cmd_usage_error(cmd, "unknown JIT mode '%s': use "
                               "--jit=tiered, --jit=optimised or "
                               "--jit=quick", a + 6);
      o->engine = ENGINE_JIT;
      o->jit_mode = (rpol_jit_mode)m;
    }
    else if (strcmp(a, "--no-cache") == 0)
      o->no_cache = 1;
    else if (strcmp(a, "--locale") == 0)
      val = &o->locale;
    else if (strncmp(a, "--locale=", 9) == 0)
      o->locale = a + 9;
    else if (strcmp(a, "--extern-lib") == 0)
      val = &o->extern_lib;
    else if (strncmp(a, "--extern-lib=", 13) == 0)
      o->extern_lib = a + 13;
    else if (strcmp(cmd, "bench") == 0 && strcmp(a, "--repeat") == 0) {
      if (i + 1 >= argc || (o->repeat = strtol(argv[++i], NULL, 10)) < 1)
        return cmd_usage_error(cmd, "%s", "--repeat needs a positive count");
    } else if (strcmp(cmd, "bench") == 0 && strcmp(a, "--baseline") == 0)
      val = &o->baseline;
    else if (a[0] == '-' && a[1])
      return cmd_usage_error(cmd, "unknown option '%s'", a);
    else if (npos == 0)
      o->policy = a, npos++;
    else if (npos == 1)
      o->input = a, npos++;
    else
      return cmd_usage_error(cmd, "unexpected argument '%s'", a);
    if (val) {
      if (i + 1 >= argc)
        return cmd_usage_error(cmd, "%s needs a value", a);
      *val = argv[++i];
    }
  }
  if (!o->policy)
    return cmd_usage_error(cmd, "%s", "no POLICY given");
  return 0;
}

/* Opens the policy and binds externs; prints why on failure. */
static int open_policy_with(const char *cmd, const struct eval_opts *o,
                            rpol_alloc_fn f, struct jit_times *times,
                            rpol_runtime **rt, rpol_policy **p)
{
  if (rpol_runtime_new(rt, f, NULL) != RPOL_OK) {
    fprintf(stderr, "rpolc %s: error: out of memory\n", cmd);
    return 2;
  }
  rpol_runtime_set_jit_mode(*rt, o->jit_mode);
  if (o->engine == ENGINE_JIT && !o->no_cache) {
    /* Without it (no home, out of memory) the JIT compiles as usual. */
    char *dir = cmd_cache_dir();
    if (dir)
      rpol_runtime_set_cache_dir(*rt, dir);
    free(dir);
  }
  rpol_status st = engine_open_timed(*rt, o->policy, o->engine, stderr,
                                     times, p);
  if (st != RPOL_OK)
    return st == RPOL_EIO || st == RPOL_EMISUSE ? 2 : 1;
  if (o->extern_lib) {
    const char *err = NULL;
    if (engine_bind_extern_lib(*p, o->extern_lib, stderr, &err) != 0) {
      fprintf(stderr, "rpolc %s: error: cannot load extern library '%s': "
                      "%s\n", cmd, o->extern_lib, err);
      return 2;
    }
  }
  return 0;
}

static int open_policy(const char *cmd, const struct eval_opts *o,
                       rpol_runtime **rt, rpol_policy **p)
{
  return open_policy_with(cmd, o, NULL, NULL, rt, p);
}

static FILE *open_input(const char *cmd, const char *path)
{
  if (!path || strcmp(path, "-") == 0)
    return stdin;
  FILE *f = fopen(path, "rb");
  if (!f)
    fprintf(stderr, "rpolc %s: error: cannot read '%s': %s\n", cmd, path,
            strerror(errno));
  return f;
}

/* Encodes with `enc` into *buf, growing it as needed; returns the length
 * or -1 when memory runs out. */
#define ENCODE(buf, cap, call)                                       \
  ({                                                                 \
    size_t need_ = (call);                                           \
    long r_ = (long)need_;                                           \
    if (need_ + 1 > *(cap)) {                                        \
      size_t nc_ = need_ + 1 + need_ / 2;                            \
      char *nb_ = realloc(*(buf), nc_);                              \
      if (!nb_)                                                      \
        r_ = -1;                                                     \
      else {                                                         \
        *(buf) = nb_;                                                \
        *(cap) = nc_;                                                \
        (call);                                                      \
      }                                                              \
    }                                                                \
    r_;                                                              \
  })

/* A UTF-8 byte-order mark opens many files written on Windows; RFC 8259
 * lets a parser skip it, and rpol skips one at the start of source, so
 * the first line of input may carry one too.  Anywhere else it is not
 * JSON. */
static size_t bom_length(const char *line, size_t len, long lineno)
{
  return lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0
             ? 3 : 0;
}

static long encode_line(rpol_policy *p, rpol_input *in, rpol_decision *d,
                        const struct eval_opts *o, long lineno,
                        const char *line, size_t len, char **buf,
                        size_t *cap, int *is_error)
{
  rpol_status st = rpol_input_decode(in, line, len);
  if (st == RPOL_OK)
    st = rpol_decide(p, in, d);
  if (st != RPOL_OK) {
    *is_error = 1;
    return ENCODE(buf, cap, rpol_input_error_json(in, lineno, *buf, *cap));
  }
  *is_error = rpol_decision_error(d) != NULL;
  return ENCODE(buf, cap, rpol_decision_json(d, in, o->flags, o->locale,
                                             *buf, *cap));
}

int cmd_eval(int argc, char **argv)
{
  struct eval_opts o;
  int rc = parse_opts("eval", argc, argv, &o);
  if (rc)
    return rc;
  FILE *input = open_input("eval", o.input);
  if (!input)
    return 2;
  rpol_runtime *rt = NULL;
  rpol_policy *p = NULL;
  rpol_input *in = NULL;
  rpol_decision *d = NULL;
  char *line = NULL, *out = NULL;
  size_t linecap = 0, outcap = 0;
  int status = open_policy("eval", &o, &rt, &p);
  if (status)
    goto done;
  if (rpol_input_new(p, &in) != RPOL_OK || rpol_decision_new(p, &d)
      != RPOL_OK) {
    fprintf(stderr, "rpolc eval: error: out of memory\n");
    status = 2;
    goto done;
  }
  /* Without --explain nothing reads the trace: the evaluators without it
   * decide. */
  rpol_decision_set_trace(d, (o.flags & RPOL_JSON_EXPLAIN) != 0);
  static char obuf[1 << 16];
  setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
  long lineno = 0;
  ssize_t n;
  while ((n = getline(&line, &linecap, input)) >= 0) {
    lineno++;
    size_t len = (size_t)n;
    if (len && line[len - 1] == '\n')
      len--;
    size_t skip = bom_length(line, len, lineno);
    int is_error = 0;
    long w = encode_line(p, in, d, &o, lineno, line + skip, len - skip,
                         &out, &outcap, &is_error);
    if (w < 0) {
      fprintf(stderr, "rpolc eval: error: out of memory at line %ld\n",
              lineno);
      status = 2;
      goto done;
    }
    if (is_error)
      status = 1;
    out[w] = '\n';
    if (fwrite(out, 1, (size_t)w + 1, stdout) != (size_t)w + 1)
      break;
  }
  if (ferror(input)) {
    fprintf(stderr, "rpolc eval: error: reading input failed after line "
                    "%ld: %s\n", lineno, strerror(errno));
    status = 2;
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "rpolc eval: error: writing the decisions failed "
                    "after line %ld: %s\n", lineno, strerror(errno));
    status = 2;
  }
done:
  free(line);
  free(out);
  rpol_decision_free(d);
  rpol_input_free(in);
  rpol_policy_unref(p);
  rpol_runtime_free(rt);
  if (input && input != stdin)
    fclose(input);
  return status;
}

/* ---------------------------------------------------------------- bench */

static double now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* A counter of the user-space instructions this thread retires, -1 when
 * the kernel does not allow it.  Unlike time, the count does not depend on
 * what else the machine runs, so it shows small code changes. */
static int open_insn_counter(void)
{
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.size = sizeof a;
  a.type = PERF_TYPE_HARDWARE;
  a.config = PERF_COUNT_HW_INSTRUCTIONS;
  a.disabled = 1;
  a.exclude_kernel = 1;
  a.exclude_hv = 1;
  return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static int64_t read_counter(int fd)
{
  int64_t v = 0;
  if (fd < 0 || read(fd, &v, sizeof v) != (ssize_t)sizeof v)
    return -1;
  return v;
}

/* The runtime's allocator in bench: the C library's, counted, so that the
 * report can show the allocations made per decision (none). */
static long bench_allocs;

static void *bench_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
  (void)ud;
  (void)osize;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  bench_allocs++;
  return realloc(ptr, nsize);
}

/* Resident memory of the process in KiB (Linux), -1 unknown. */
static long rss_kib(void)
{
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = -1, res = -1;
  if (!f)
    return -1;
  if (fscanf(f, "%ld %ld", &pages, &res) != 2)
    res = -1;
  fclose(f);
  return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* One engine under test: a policy and the input lines decoded for it. */
struct bench_side {
  rpol_policy *p;
  rpol_decision *d;
  rpol_input **ins;
  double *runs;
  double insns;        /* instructions per decision, -1 unknown */
};

static void side_free(struct bench_side *s, long n)
{
  if (s->ins)
    for (long i = 0; i < n; i++)
      rpol_input_free(s->ins[i]);
  free(s->ins);
  free(s->runs);
  rpol_decision_free(s->d);
  rpol_policy_unref(s->p);
}

/* Decodes the lines for s->p: ins[i] is NULL for a bad_input line. */
static int side_decode(struct bench_side *s, char **lines, size_t *lens,
                       long n, long repeat, int trace)
{
  s->ins = calloc(n ? n : 1, sizeof *s->ins);
  s->runs = calloc(repeat, sizeof *s->runs);
  if (!s->ins || !s->runs || rpol_decision_new(s->p, &s->d) != RPOL_OK)
    return -1;
  rpol_decision_set_trace(s->d, trace);
  for (long i = 0; i < n; i++) {
    if (rpol_input_new(s->p, &s->ins[i]) != RPOL_OK)
      return -1;
    if (rpol_input_decode(s->ins[i], lines[i], lens[i]) != RPOL_OK) {
      rpol_input_free(s->ins[i]);
      s->ins[i] = NULL;
    }
  }
  return 0;
}

/* Decides every good line `passes` times; ns per decision.  The inputs
 * are compacted first (good lines only), so the loop has no test. */
static double side_time(struct bench_side *s, long n, long passes)
{
  double t0 = now_ns();
  for (long k = 0; k < passes; k++)
    for (long i = 0; i < n; i++)
      rpol_decide(s->p, s->ins[i], s->d);
  return (now_ns() - t0) / ((double)passes * (double)n);
}

/* Instructions per decision over one pass (rpol_decide included). */
static void side_count(struct bench_side *s, long n, int fd)
{
  s->insns = -1;
  if (fd < 0)
    return;
  ioctl(fd, PERF_EVENT_IOC_RESET, 0);
  ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
  for (long i = 0; i < n; i++)
    rpol_decide(s->p, s->ins[i], s->d);
  ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
  int64_t c = read_counter(fd);
  if (c >= 0)
    s->insns = (double)c / (double)n;
}

/* A hand-written evaluator of the same policy (bench/handwritten.c),
 * loaded from a shared object and wrapped in the compiled policy's own
 * metadata, so that rpol_decide drives both alike. */
typedef int (*bench_init_fn)(const rpol_policy *, char *, size_t);
static struct rpol_artifact baseline_art;
static rpol_eval_fn baseline_eval;

static rpol_status open_baseline(rpol_runtime *rt, const rpol_policy *p,
                                 const char *lib, rpol_policy **out)
{
  char path[4096], msg[256] = "";
  /* A bare name would make dlopen search the library path. */
  snprintf(path, sizeof path, "%s%s", strchr(lib, '/') ? "" : "./", lib);
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "rpolc bench: error: cannot load '%s': %s\n", lib,
            dlerror());
    return RPOL_EIO;
  }
  bench_init_fn init = (bench_init_fn)dlsym(h, "rpol_bench_init");
  baseline_eval = (rpol_eval_fn)dlsym(h, "rpol_bench_eval");
  if (!init || !baseline_eval) {
    fprintf(stderr, "rpolc bench: error: '%s' does not define "
                    "rpol_bench_init and rpol_bench_eval\n", lib);
    return RPOL_EIO;
  }
  if (rpol_policy_count(p) != 1 || init(p, msg, sizeof msg) != 0) {
    fprintf(stderr, "rpolc bench: error: baseline '%s' does not fit "
                    "this policy: %s\n", lib,
            msg[0] ? msg : "a bundle of several policies");
    return RPOL_EMISUSE;
  }
  baseline_art = *p->art;
  baseline_art.eval = &baseline_eval;
  baseline_art.eval_plain = NULL;
  rpol_status st = rpol_policy_from_artifact(rt, &baseline_art, NULL, NULL,
                                             NULL, out);
  if (st != RPOL_OK)
    fprintf(stderr, "rpolc bench: error: %s\n", rpol_errmsg(rt));
  return st;
}

/* Lines on which the baseline decides otherwise than the policy (JSON
 * records compared, without trace); prints the first few. */
static long compare_sides(struct bench_side *a, struct bench_side *b,
                          long n)
{
  static char x[8192], y[8192];
  long diff = 0;
  for (long i = 0; i < n; i++) {
    rpol_decide(a->p, a->ins[i], a->d);
    rpol_decide(b->p, b->ins[i], b->d);
    rpol_decision_json(a->d, a->ins[i], 0, NULL, x, sizeof x);
    rpol_decision_json(b->d, b->ins[i], 0, NULL, y, sizeof y);
    if (strcmp(x, y) != 0 && diff++ < 3)
      fprintf(stderr, "rpolc bench: baseline differs on input %ld:\n"
                      "  policy:   %s\n  baseline: %s\n", i + 1, x, y);
  }
  return diff;
}

/* Keeps the lines that both sides decoded, in order. */
static long compact(struct bench_side *a, struct bench_side *b, long n)
{
  long m = 0;
  for (long i = 0; i < n; i++) {
    if (a->ins[i] && (!b || b->ins[i])) {
      rpol_input *t = a->ins[m];
      a->ins[m] = a->ins[i];
      a->ins[i] = t;
      if (b) {
        t = b->ins[m];
        b->ins[m] = b->ins[i];
        b->ins[i] = t;
      }
      m++;
    }
  }
  return m;
}

int cmd_bench(int argc, char **argv)
{
  struct eval_opts o;
  int rc = parse_opts("bench", argc, argv, &o);
  if (rc)
    return rc;
  if (!o.input)
    return cmd_usage_error("bench", "%s", "no INPUT given");
  FILE *input = open_input("bench", o.input);
  if (!input)
    return 2;
  rpol_runtime *rt = NULL;
  struct bench_side pol = {0}, base = {0};
  char **lines = NULL, *line = NULL;
  size_t *lens = NULL, linecap = 0;
  long nlines = 0, cap = 0, nins = 0;
  long rss0 = rss_kib();
  struct jit_times jt;
  struct timespec c0, c1;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
  double t_load = now_ns();
  int status = open_policy_with("bench", &o, bench_alloc, &jt, &rt, &pol.p);
  t_load = now_ns() - t_load;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
  double cpu_load = (double)(c1.tv_sec - c0.tv_sec) * 1e3 +
                    (double)(c1.tv_nsec - c0.tv_nsec) / 1e6;
  if (status)
    goto done;
  /* Tiered: time the optimised code, which decides from the moment the
   * thread is done; the quick code's speed is --jit=quick's. */
  struct jit_opt_times opt;
  int tiered = o.engine == ENGINE_JIT && jt.tiered;
  int optimised = tiered && engine_wait_optimised(pol.p, &opt) == 0;
  long rss1 = rss_kib();
  if (o.baseline) {
    rpol_status st = open_baseline(rt, pol.p, o.baseline, &base.p);
    if (st != RPOL_OK) {
      status = st == RPOL_EIO ? 2 : 1;
      goto done;
    }
  }
  /* Read every line, then decode it once per side, up front: the timing
   * is decisions only. */
  ssize_t n;
  while ((n = getline(&line, &linecap, input)) >= 0) {
    size_t len = (size_t)n;
    if (len && line[len - 1] == '\n')
      len--;
    if (nlines == cap) {
      cap = cap ? cap * 2 : 1024;
      char **nl = realloc(lines, sizeof *lines * cap);
      size_t *nn = nl ? realloc(lens, sizeof *lens * cap) : NULL;
      if (nl)
        lines = nl;
      if (!nn)
        goto oom;
      lens = nn;
    }
    size_t skip = bom_length(line, len, (long)nlines + 1);
    len -= skip;
    if (!(lines[nlines] = malloc(len + 1)))
      goto oom;
    memcpy(lines[nlines], line + skip, len + 1);
    lens[nlines++] = len;
  }
  /* Decisions as rpolc eval makes them: with the trace under --explain
   * only (the baseline writes none either way). */
  int trace = (o.flags & RPOL_JSON_EXPLAIN) != 0;
  if (side_decode(&pol, lines, lens, nlines, o.repeat, trace) != 0
      || (base.p && side_decode(&base, lines, lens, nlines, o.repeat,
                                trace) != 0))
    goto oom;
  nins = compact(&pol, base.p ? &base : NULL, nlines);
  if (nins == 0) {
    fprintf(stderr, "rpolc bench: error: '%s' has no valid input line\n",
            o.input);
    status = 1;
    goto done;
  }
  long diff = base.p ? compare_sides(&pol, &base, nins) : 0;
  /* Enough passes over the inputs for each run to last ~0.2 s (0.1 s per
   * side with a baseline); the sides alternate run by run so that load
   * from other processes falls on both alike. */
  double once = side_time(&pol, nins, 1);
  long passes = once > 0 ? (long)((base.p ? 1e8 : 2e8) / (once * nins))
                         : 1000;
  if (passes < 1)
    passes = 1;
  long allocs0 = bench_allocs;
  for (long r = 0; r < o.repeat; r++) {
    pol.runs[r] = side_time(&pol, nins, passes);
    if (base.p)
      base.runs[r] = side_time(&base, nins, passes);
  }
  long allocs = bench_allocs - allocs0;
  int fd = open_insn_counter();
  side_count(&pol, nins, fd);
  if (base.p)
    side_count(&base, nins, fd);
  if (fd >= 0)
    close(fd);
  long errors = 0;
  for (long i = 0; i < nins; i++) {
    rpol_decide(pol.p, pol.ins[i], pol.d);
    errors += rpol_decision_error(pol.d) != NULL;
  }
  double *ratios = NULL;
  if (base.p && !(ratios = calloc(o.repeat, sizeof *ratios)))
    goto oom;
  for (long r = 0; base.p && r < o.repeat; r++)
    ratios[r] = pol.runs[r] / base.runs[r];
  qsort(pol.runs, o.repeat, sizeof *pol.runs, cmp_double);
  double med = pol.runs[o.repeat / 2];
  printf("policy: %s (%s%s)\n", o.policy,
         o.engine == ENGINE_INTERP ? "interpreter" : "compiled",
         trace ? ", with the trace" : "");
  /* Where a JIT compile's time went, in CPU time (wall time on a busy
   * machine is noise); the rest of the load is the runtime's (metadata
   * parsed and checked). */
  char how[256];
  if (o.engine == ENGINE_INTERP)
    snprintf(how, sizeof how, "check");
  else if (engine_is_artifact(o.policy) || strstr(o.policy, ".so"))
    snprintf(how, sizeof how, "dlopen and check");
  else if (jt.cache == JIT_CACHE_HIT)
    snprintf(how, sizeof how, "JIT compile, cached code; CPU %.1f ms: "
             "front end %.1f, cache %.1f, link %.1f, runtime %.1f", cpu_load,
             jt.front_end_ms, jt.cache_ms, jt.link_ms,
             cpu_load - jt.front_end_ms - jt.cache_ms - jt.link_ms);
  else {
    double rest = cpu_load - jt.front_end_ms - jt.ir_ms - jt.verify_ms -
                  jt.bitcode_ms - jt.passes_ms - jt.codegen_ms -
                  jt.link_ms - jt.cache_ms;
    int k = snprintf(how, sizeof how, "JIT compile%s%s; CPU %.1f ms: front "
                     "end %.1f, IR %.1f, verify %.1f, ",
                     jt.tiered ? ", quick code"
                     : o.jit_mode == RPOL_JIT_QUICK ? ", quick code only" : "",
                     jt.cache == JIT_CACHE_STORED ? ", code cached"
                     : jt.cache == JIT_CACHE_MISS && !jt.tiered
                         ? ", code not cached" : "",
                     cpu_load, jt.front_end_ms, jt.ir_ms, jt.verify_ms);
    if (jt.tiered)
      k += snprintf(how + k, sizeof how - (size_t)k, "bitcode %.1f, ",
                    jt.bitcode_ms);
    k += snprintf(how + k, sizeof how - (size_t)k, "passes %.1f, machine "
                  "code %.1f, link %.1f", jt.passes_ms, jt.codegen_ms,
                  jt.link_ms);
    if (jt.cache != JIT_CACHE_OFF)
      k += snprintf(how + k, sizeof how - (size_t)k, ", cache %.1f",
                    jt.cache_ms);
    snprintf(how + k, sizeof how - (size_t)k, ", runtime %.1f", rest);
  }
  printf("load: %.1f ms (%s); resident memory +%ld KiB\n", t_load / 1e6,
         how, rss0 >= 0 && rss1 >= 0 ? rss1 - rss0 : -1L);
  if (optimised)
    printf("optimised code: deciding %.1f ms after the compile began "
           "(thread CPU: passes %.1f, machine code %.1f, link %.1f%s)\n",
           opt.ready_ms, opt.passes_ms, opt.codegen_ms, opt.link_ms,
           opt.stored ? "; code cached" : "");
  else if (tiered)
    printf("optimised code: none (%s); the quick code decides\n",
           opt.err ? opt.err : "the compile was cancelled");
  printf("inputs: %ld lines decoded (%ld bad_input skipped), %ld decide to "
         "an error\n", nins, nlines - nins, errors);
  printf("runs: %ld x %ld decisions; min %.1f ns, max %.1f ns\n", o.repeat,
         passes * nins, pol.runs[0], pol.runs[o.repeat - 1]);
  printf("%.1f ns per decision\n", med);
  printf("%.0f decisions per second\n", med > 0 ? 1e9 / med : 0.0);
  printf("%ld heap allocations in %ld decisions\n", allocs,
         o.repeat * passes * nins * (base.p ? 2 : 1));
  if (pol.insns >= 0)
    printf("%.1f instructions per decision\n", pol.insns);
  if (base.p) {
    qsort(base.runs, o.repeat, sizeof *base.runs, cmp_double);
    qsort(ratios, o.repeat, sizeof *ratios, cmp_double);
    double bmed = base.runs[o.repeat / 2];
    printf("baseline: %s: min %.1f ns, max %.1f ns\n", o.baseline,
           base.runs[0], base.runs[o.repeat - 1]);
    printf("baseline: %.1f ns per decision\n", bmed);
    if (base.insns > 0)
      printf("baseline: %.1f instructions per decision (%.2fx)\n",
             base.insns, pol.insns / base.insns);
    printf("ratio: %.2fx the baseline (median of per-run ratios; "
           "%.2f..%.2f)\n", ratios[o.repeat / 2], ratios[0],
           ratios[o.repeat - 1]);
    /* On a busy machine the fastest run is the least disturbed one. */
    printf("ratio of fastest runs: %.2fx (%.1f ns / %.1f ns)\n",
           pol.runs[0] / base.runs[0], pol.runs[0], base.runs[0]);
    printf("baseline agrees on %ld of %ld lines\n", nins - diff, nins);
    free(ratios);
    if (diff)
      status = 1;
  }
  goto done;
oom:
  fprintf(stderr, "rpolc bench: error: out of memory\n");
  status = 2;
done:
  free(line);
  for (long i = 0; i < nlines; i++)
    free(lines[i]);
  free(lines);
  free(lens);
  side_free(&base, nlines);
  side_free(&pol, nlines);
  rpol_runtime_free(rt);
  if (input != stdin)
    fclose(input);
  return status;
}
