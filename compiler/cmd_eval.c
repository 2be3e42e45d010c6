/* cmd_eval.c: `rpolc eval` and `rpolc bench` (§13).
 *
 * eval streams: one JSON line in, one JSON line out, in order, in memory
 * bounded by the longest line.  A bad line becomes an error record and the
 * stream goes on; a failed write stops it with a message and exit 2, so
 * output is never silently truncated.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "engine.h"

struct eval_opts {
  const char *policy, *input, *locale, *extern_lib;
  unsigned flags;
  enum engine_kind engine;
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
    } else if (a[0] == '-' && a[1])
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
static int open_policy(const char *cmd, const struct eval_opts *o,
                       rpol_runtime **rt, rpol_policy **p)
{
  if (rpol_runtime_new(rt, NULL, NULL) != RPOL_OK) {
    fprintf(stderr, "rpolc %s: error: out of memory\n", cmd);
    return 2;
  }
  rpol_status st = engine_open(*rt, o->policy, o->engine, stderr, p);
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
  static char obuf[1 << 16];
  setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
  long lineno = 0;
  ssize_t n;
  while ((n = getline(&line, &linecap, input)) >= 0) {
    lineno++;
    size_t len = (size_t)n;
    if (len && line[len - 1] == '\n')
      len--;
    int is_error = 0;
    long w = encode_line(p, in, d, &o, lineno, line, len, &out, &outcap,
                         &is_error);
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
  rpol_policy *p = NULL;
  rpol_decision *d = NULL;
  rpol_input **ins = NULL;
  long nins = 0, capins = 0, bad = 0;
  char *line = NULL;
  size_t linecap = 0;
  double *runs = NULL;
  int status = open_policy("bench", &o, &rt, &p);
  if (status || rpol_decision_new(p, &d) != RPOL_OK)
    goto done;
  /* Decode every line once, up front: the timing is decisions only. */
  ssize_t n;
  while ((n = getline(&line, &linecap, input)) >= 0) {
    size_t len = (size_t)n;
    if (len && line[len - 1] == '\n')
      len--;
    rpol_input *in = NULL;
    if (rpol_input_new(p, &in) != RPOL_OK)
      goto oom;
    if (rpol_input_decode(in, line, len) != RPOL_OK) {
      bad++;
      rpol_input_free(in);
      continue;
    }
    if (nins == capins) {
      capins = capins ? capins * 2 : 1024;
      rpol_input **ni = realloc(ins, sizeof *ins * capins);
      if (!ni) {
        rpol_input_free(in);
        goto oom;
      }
      ins = ni;
    }
    ins[nins++] = in;
  }
  if (nins == 0) {
    fprintf(stderr, "rpolc bench: error: '%s' has no valid input line\n",
            o.input);
    status = 1;
    goto done;
  }
  runs = calloc(o.repeat, sizeof *runs);
  if (!runs)
    goto oom;
  /* Enough passes over the inputs for each run to last ~0.2 s. */
  double t0 = now_ns();
  for (long i = 0; i < nins; i++)
    rpol_decide(p, ins[i], d);
  double once = now_ns() - t0;
  long passes = once > 0 ? (long)(2e8 / once) : 1000;
  if (passes < 1)
    passes = 1;
  long errors = 0;
  for (long r = 0; r < o.repeat; r++) {
    t0 = now_ns();
    for (long k = 0; k < passes; k++)
      for (long i = 0; i < nins; i++)
        rpol_decide(p, ins[i], d);
    runs[r] = (now_ns() - t0) / ((double)passes * nins);
  }
  for (long i = 0; i < nins; i++) {
    rpol_decide(p, ins[i], d);
    errors += rpol_decision_error(d) != NULL;
  }
  qsort(runs, o.repeat, sizeof *runs, cmp_double);
  double med = runs[o.repeat / 2];
  printf("policy: %s (%s)\n", o.policy,
         o.engine == ENGINE_INTERP ? "interpreter" : "compiled");
  printf("inputs: %ld lines decoded (%ld bad_input skipped), %ld decide to "
         "an error\n", nins, bad, errors);
  printf("runs: %ld x %ld decisions; min %.1f ns, max %.1f ns\n", o.repeat,
         passes * nins, runs[0], runs[o.repeat - 1]);
  printf("%.1f ns per decision\n", med);
  printf("%.0f decisions per second\n", med > 0 ? 1e9 / med : 0.0);
  goto done;
oom:
  fprintf(stderr, "rpolc bench: error: out of memory\n");
  status = 2;
done:
  free(line);
  free(runs);
  for (long i = 0; i < nins; i++)
    rpol_input_free(ins[i]);
  free(ins);
  rpol_decision_free(d);
  rpol_policy_unref(p);
  rpol_runtime_free(rt);
  if (input != stdin)
    fclose(input);
  return status;
}
