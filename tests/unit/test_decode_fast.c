/* test_decode_fast.c: the specialised decoder (runtime/fastdec.c) against
 * the general one (json-c, runtime/decode.c), line by line (issue 6).
 *
 * Every line the specialised decoder accepts must decode to the record the
 * general decoder makes of it (route, id, every field's state and value),
 * and the decisions of both records must encode to the same bytes, with
 * and without the explain trace.  The lines: the inputs of every
 * tests/eval test file with its policy, every policy directory's
 * samples.jsonl with its bundle, generated lines of bench/policy.rpol,
 * and for each of them mutations that aim at the rules where the two
 * decoders could part (duplicate keys, escapes, nulls, numbers at the
 * 64-bit edges, money as a number, truncations).  A line the specialised decoder declines goes
 * to the general one through rpol_input_decode, so only acceptance needs
 * proof; the test also checks that it does accept ordinary lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>
#include "rpol.h"
#include "engine.h"
#include "internal.h"
#include "fastdec.h"

struct tally {
  long lines, fast, mutants, mutants_fast;
};

struct ctx {
  rpol_runtime *rt;
  rpol_policy *p;
  rpol_input *a, *b;
  rpol_decision *d;
  const char *what;
  struct tally *t;
};

static char ja[1 << 16], jb[1 << 16];

/* One line through both decoders; 1 if the fast one accepted it. */
static int check_line(struct ctx *c, const char *line, size_t len)
{
  char why[256];
  rpol_status sa, sd;
  int fast;
  size_t na, nb;
  unsigned fl;

  sa = decode_line_general(c->a, line, len);
  fast = decode_line_fast(c->b, line, len) > 0;
  if (!fast)
    return 0;
  if (sa != RPOL_OK) {
    fail_msg("%s: the fast decoder accepts a line the general one "
             "rejects (%s): %.*s", c->what, rpol_input_errmsg(c->a),
             (int)len, line);
  }
  if (!fastdec_same(c->a, c->b, why, sizeof why))
    fail_msg("%s: records differ, %s: %.*s", c->what, why, (int)len, line);
  for (fl = 0; fl <= RPOL_JSON_EXPLAIN; fl += RPOL_JSON_EXPLAIN) {
    sd = rpol_decide(c->p, c->a, c->d);
    assert_true(sd == RPOL_OK || sd == RPOL_EINPUT);
    na = sd == RPOL_OK ? rpol_decision_json(c->d, c->a, fl, "de", ja,
                                            sizeof ja)
                       : rpol_input_error_json(c->a, 1, ja, sizeof ja);
    sd = rpol_decide(c->p, c->b, c->d);
    assert_true(sd == RPOL_OK || sd == RPOL_EINPUT);
    nb = sd == RPOL_OK ? rpol_decision_json(c->d, c->b, fl, "de", jb,
                                            sizeof jb)
                       : rpol_input_error_json(c->b, 1, jb, sizeof jb);
    if (na != nb || memcmp(ja, jb, na < sizeof ja ? na : sizeof ja) != 0)
      fail_msg("%s: decisions differ:\n%s\n%s\nline: %.*s", c->what, ja,
               jb, (int)len, line);
  }
  return 1;
}

/* ---- mutations ---------------------------------------------------------- */

static uint64_t rng = 88172645463325252ull;

static unsigned rnd(unsigned n)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned)(rng % n);
}

/* Values that probe the rules of fastdec.c. */
static const char *const tricky[] = {
  "null", "true", "false", "0", "-0", "1", "-1", "2.0", "1e2", "1E+2",
  "9223372036854775807", "-9223372036854775808", "9223372036854775806",
  "-9223372036854775807", "99999999999999999999", "-99999999999999999999",
  "12.5", "12.50", "\"12.50\"", "\"12.50 EUR\"", "\"12.50 USD\"",
  "\"12.505\"", "\"-3.10\"", "\"1e2\"", "\"12.50 eur\"", "\"12.50  EUR\"",
  "\"0.001 JPY\"", "\"100 JPY\"", "\"7.125 KWD\"", "\"15%\"", "\"12.5%\"",
  "\"12.34567%\"", "\"-5%\"", "\"2026-02-29\"", "\"2024-02-29\"",
  "\"2026-13-01\"", "\"0000-01-01\"", "\"2026-3-1\"", "\"DE\"", "\"de\"",
  "\"XX\"", "\"EUR\"", "\"EURO\"", "\"vip\"", "\"standard\"", "\"gold\"",
  "\"apparel\"", "\"\"", "\"a\\u0000b\"", "\"DE\\u0000\"", "\"\\u0044E\"",
  "\"caf\xc3\xa9\"", "\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"a\\\"b\"",
  "\"\\/\"", "[]", "[\"a\"]", "[\"b\",\"a\",\"b\"]", "[\"a\",null]",
  "[1,2]", "[[]]", "{}", "{\"a\":1}", "[\"vip\",\"standard\"]",
  "[\"12.50\",\"1.00 USD\"]", "[\"DE\",\"FR\",\"DE\"]", "[ ]", "[true]",
};

/* Where the value after the key at k (index of its closing quote + 2)
 * ends, for a well-formed line; the line's end if unsure. */
static size_t value_end(const char *s, size_t n, size_t i)
{
  int depth = 0, instr = 0;

  for (; i < n; i++) {
    char ch = s[i];
    if (instr) {
      if (ch == '\\')
        i++;
      else if (ch == '"') {
        instr = 0;
        if (depth == 0)
          return i + 1;
      }
      continue;
    }
    if (ch == '"')
      instr = 1;
    else if (ch == '{' || ch == '[')
      depth++;
    else if (ch == '}' || ch == ']') {
      if (depth == 0)
        return i;
      if (--depth == 0)
        return i + 1;
    } else if (ch == ',' && depth == 0)
      return i;
  }
  return n;
}

static void mutate_line(struct ctx *c, const char *line, size_t len)
{
  static char m[8192];
  size_t keys[256], nk = 0, i, k, e, at;
  int r;

  if (len + 200 > sizeof m)
    return;
  for (i = 0; i + 1 < len && nk < 256; i++)
    if (line[i] == '"' && line[i + 1] == ':')
      keys[nk++] = i + 2;
  for (r = 0; r < 24; r++) {
    size_t n = 0;
    int kind = rnd(6);
    if (nk == 0)
      kind = 4;
    k = nk ? keys[rnd((unsigned)nk)] : 0;
    switch (kind) {
    case 0:
    case 1: {             /* a value replaced by a tricky one */
      const char *t = tricky[rnd(sizeof tricky / sizeof *tricky)];
      e = value_end(line, len, k);
      memcpy(m, line, k);
      n = k;
      memcpy(m + n, t, strlen(t));
      n += strlen(t);
      memcpy(m + n, line + e, len - e);
      n += len - e;
      break;
    }
    case 2: {             /* a key and its value repeated */
      size_t ks = k - 2;
      while (ks > 0 && line[ks - 1] != '"')
        ks--;
      ks = ks > 0 ? ks - 1 : 0;
      e = value_end(line, len, k);
      memcpy(m, line, e);
      n = e;
      m[n++] = ',';
      memcpy(m + n, line + ks, e - ks);
      n += e - ks;
      memcpy(m + n, line + e, len - e);
      n += len - e;
      break;
    }
    case 3: {             /* whitespace, or a byte, somewhere */
      static const char ins[] = " \t\r\n,:{}[]\"\\0-.e";
      at = rnd((unsigned)len + 1);
      memcpy(m, line, at);
      n = at;
      m[n++] = ins[rnd(sizeof ins - 1)];
      memcpy(m + n, line + at, len - at);
      n += len - at;
      break;
    }
    case 4:               /* cut short */
      n = rnd((unsigned)len + 1);
      memcpy(m, line, n);
      break;
    default:              /* a byte dropped */
      at = rnd((unsigned)len);
      memcpy(m, line, at);
      memcpy(m + at, line + at + 1, len - at - 1);
      n = len - 1;
      break;
    }
    c->t->mutants++;
    c->t->mutants_fast += check_line(c, m, n);
  }
}

/* ---- sources of lines --------------------------------------------------- */

static void open_ctx(struct ctx *c, const char *path, struct tally *t)
{
  memset(c, 0, sizeof *c);
  c->what = path;
  c->t = t;
  assert_int_equal(rpol_runtime_new(&c->rt, NULL, NULL), RPOL_OK);
  if (engine_compile(c->rt, path, ENGINE_INTERP, NULL, &c->p) != RPOL_OK)
    fail_msg("%s does not compile: %s", path, rpol_errmsg(c->rt));
  assert_int_equal(rpol_input_new(c->p, &c->a), RPOL_OK);
  assert_int_equal(rpol_input_new(c->p, &c->b), RPOL_OK);
  assert_int_equal(rpol_decision_new(c->p, &c->d), RPOL_OK);
}

static void close_ctx(struct ctx *c)
{
  rpol_decision_free(c->d);
  rpol_input_free(c->a);
  rpol_input_free(c->b);
  rpol_policy_unref(c->p);
  rpol_runtime_free(c->rt);
}

static void run_lines(struct ctx *c, FILE *f, int mutate)
{
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;

  while ((n = getline(&line, &cap, f)) > 0) {
    size_t len = (size_t)n;
    if (line[len - 1] == '\n')
      len--;
    c->t->lines++;
    if (check_line(c, line, len))
      c->t->fast++;
    else if (getenv("DECODE_FAST_VERBOSE") && c->a->ok)
      fprintf(stderr, "declined: %.*s\n", (int)len, line);
    if (mutate)
      mutate_line(c, line, len);
  }
  free(line);
}

/* A .test file: the policy above "--- input", the lines below it. */
static void run_test_file(const char *path, struct tally *t)
{
  FILE *f = fopen(path, "r"), *pol, *lines;
  char tmp[] = "/tmp/rpol-test-decode-XXXXXX.rpol", *ln = NULL;
  char *lbuf = NULL;
  size_t cap = 0, lsize = 0;
  int fd, part = 0;
  ssize_t n;
  struct ctx c;

  assert_non_null(f);
  fd = mkstemps(tmp, 5);
  assert_true(fd >= 0);
  pol = fdopen(fd, "w");
  lines = open_memstream(&lbuf, &lsize);
  assert_non_null(pol);
  assert_non_null(lines);
  while ((n = getline(&ln, &cap, f)) > 0) {
    if (strcmp(ln, "--- input\n") == 0) {
      part = 1;
      continue;
    }
    if (strncmp(ln, "--- ", 4) == 0) {
      part = 2;
      continue;
    }
    if (part == 0)
      fputs(ln, pol);
    else if (part == 1)
      fputs(ln, lines);
  }
  free(ln);
  fclose(f);
  fclose(pol);
  fclose(lines);
  memset(&c, 0, sizeof c);
  if (part > 0) {
    open_ctx(&c, tmp, t);
    c.what = path;
    f = fmemopen(lbuf, lsize ? lsize : 1, "r");
    assert_non_null(f);
    if (lsize)
      run_lines(&c, f, 1);
    fclose(f);
    close_ctx(&c);
  }
  free(lbuf);
  unlink(tmp);
}

static void test_eval_inputs(void **state)
{
  struct tally t = {0};
  DIR *d = opendir("tests/eval");
  struct dirent *e;
  char path[512];
  int files = 0;

  (void)state;
  assert_non_null(d);
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n < 6 || strcmp(e->d_name + n - 5, ".test") != 0)
      continue;
    snprintf(path, sizeof path, "tests/eval/%s", e->d_name);
    run_test_file(path, &t);
    files++;
  }
  closedir(d);
  print_message("tests/eval: %d files, %ld lines (%ld fast), %ld mutants "
                "(%ld fast)\n", files, t.lines, t.fast, t.mutants,
                t.mutants_fast);
  assert_true(files > 10);
  assert_true(t.fast > t.lines / 2);
  assert_true(t.mutants_fast > 0);
}

static void test_policy_samples(void **state)
{
  struct tally t = {0};
  DIR *d = opendir("policies");
  struct dirent *e;
  char path[512], samples[600];
  int dirs = 0;

  (void)state;
  assert_non_null(d);
  while ((e = readdir(d)) != NULL) {
    struct ctx c;
    FILE *f;
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "policies/%s", e->d_name);
    snprintf(samples, sizeof samples, "%s/samples.jsonl", path);
    if (!(f = fopen(samples, "r")))
      continue;
    open_ctx(&c, path, &t);
    run_lines(&c, f, 1);
    fclose(f);
    close_ctx(&c);
    dirs++;
  }
  closedir(d);
  print_message("policies: %d bundles, %ld lines (%ld fast), %ld mutants "
                "(%ld fast)\n", dirs, t.lines, t.fast, t.mutants,
                t.mutants_fast);
  assert_true(dirs > 3);
  assert_true(t.fast > t.lines * 9 / 10);
}

/* Every generated bench line is ordinary: all of them take the fast
 * path. */
static void test_bench_lines(void **state)
{
  struct tally t = {0};
  struct ctx c;
  FILE *f;

  (void)state;
  f = popen("python3 bench/gen_inputs.py 3000 11", "r");
  assert_non_null(f);
  open_ctx(&c, "bench/policy.rpol", &t);
  run_lines(&c, f, 0);
  assert_int_equal(pclose(f), 0);
  print_message("bench: %ld lines (%ld fast)\n", t.lines, t.fast);
  assert_int_equal(t.lines, 3000);
  assert_int_equal(t.fast, t.lines);
  f = popen("python3 bench/gen_inputs.py 300 12", "r");
  assert_non_null(f);
  run_lines(&c, f, 1);
  pclose(f);
  close_ctx(&c);
}

/* Lines the fast decoder must decline (the general one decides what
 * they mean) and lines it must take. */
static void test_declines(void **state)
{
  static const char *const decline[] = {
    /* a repeated key on a path: json-c keeps the last */
    "{\"customer\":{\"country\":\"DE\"},\"customer\":{\"country\":\"FR\"},"
    "\"order\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"1.00\"},"
    "\"request\":{\"date\":\"2026-03-11\"}}",
    /* an escaped key that json-c reads as customer */
    "{\"\\u0063ustomer\":{\"country\":\"DE\"},\"order\":{\"currency\":"
    "\"EUR\"},\"item\":{\"price\":\"1.00\"},\"request\":{\"date\":"
    "\"2026-03-11\"}}",
    /* a NUL escape in a key: json-c cuts the key there */
    "{\"customer\":{\"country\\u0000x\":\"DE\"},\"order\":{\"currency\":"
    "\"EUR\"},\"item\":{\"price\":\"1.00\"},\"request\":{\"date\":"
    "\"2026-03-11\"}}",
    /* an escape in a value: json-c's unescaped text is the value */
    "{\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\"},"
    "\"item\":{\"price\":\"1.00\",\"sku\":\"a\\u0000b\"},\"request\":"
    "{\"date\":\"2026-03-11\"}}",
    /* the 64-bit edge */
    "{\"customer\":{\"country\":\"DE\",\"returns_90d\":9223372036854775807},"
    "\"order\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"1.00\"},"
    "\"request\":{\"date\":\"2026-03-11\"}}",
    /* bad input of every sort */
    "", "   ", "[]", "{}", "{\"customer\":{\"country\":\"DE\"}}",
    "{\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\"},"
    "\"item\":{\"price\":\"1.001\"},\"request\":{\"date\":\"2026-03-11\"}}",
  };
  static const char *const accept[] = {
    "{\"id\":{\"a\" : [1, 2.5e3, \"x\\\"y\"]},\"customer\":{\"country\":"
    "\"DE\",\"extra\":{\"customer\":1,\"customer\":2}},\"order\":{\"currency\""
    ":\"EUR\"},\"item\":{\"price\":\"1.00 USD\",\"tags\":[\"b\",\"a\","
    "\"b\"]},\"request\":{\"date\":\"2026-03-11\",\"locale\":\"fr\"}}",
    " {\"customer\":null,\"customer2\":1} ",
    "{\"customer\":{\"country\":\"DE\"},\"order\":null,\"item\":{\"price\":"
    "\"1\"},\"request\":{\"date\":\"2026-03-11\"}}\r\n",
    /* money as JSON numbers */
    "{\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\","
    "\"shipping_paid\":7},\"item\":{\"price\":12.5,\"discount\":-0},"
    "\"request\":{\"date\":\"2026-03-11\"}}",
  };
  struct tally t = {0};
  struct ctx c;
  size_t i;

  (void)state;
  open_ctx(&c, "bench/policy.rpol", &t);
  for (i = 0; i < sizeof decline / sizeof *decline; i++)
    if (check_line(&c, decline[i], strlen(decline[i])))
      fail_msg("accepted: %s", decline[i]);
  /* The second and third lines are bad input (no country; no currency)
   * and must be declined too; the first is taken. */
  if (!check_line(&c, accept[0], strlen(accept[0])))
    fail_msg("declined (%s): %s", rpol_input_errmsg(c.a), accept[0]);
  assert_int_equal(rpol_input_policy(c.b), 0);
  assert_string_equal(rpol_input_id(c.b),
                      "{\"a\":[1,2.5e3,\"x\\\"y\"]}");
  assert_int_equal(check_line(&c, accept[1], strlen(accept[1])), 0);
  assert_int_equal(check_line(&c, accept[2], strlen(accept[2])), 0);
  assert_int_equal(check_line(&c, accept[3], strlen(accept[3])), 1);
  /* rpol_input_decode gives the general decoder's message on a decline */
  assert_int_equal(rpol_input_decode(c.b, decline[3], strlen(decline[3])),
                   RPOL_OK);
  assert_int_equal(rpol_input_decode(c.b, decline[10],
                                     strlen(decline[10])), RPOL_EINPUT);
  assert_string_equal(rpol_input_errmsg(c.b),
                      "item.price: 1.001 needs more decimals than EUR "
                      "allows (2); amounts are never rounded");
  close_ctx(&c);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_declines),
    cmocka_unit_test(test_bench_lines),
    cmocka_unit_test(test_policy_samples),
    cmocka_unit_test(test_eval_inputs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
