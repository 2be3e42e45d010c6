/* fuzz_diff.c: random return lines through the interpreter and the JIT;
 * their records must be identical byte for byte.
 *
 * The policy is fuzz_policy_path(), compiled once per engine.  The first
 * byte chooses how the rest becomes a line: even, the bytes are the JSON
 * line itself; odd, the next 8 bytes seed the difftest input generator
 * (tests/difftest/gen_input.c, which uses the policies' own literals) and
 * the remaining bytes, split at 0xff, override fields: a segment's first
 * byte picks a field of the generated line, the rest is its JSON value.
 */
#include <string.h>
#include "fuzz.h"
#include "engine.h"
#include "driver.h"
#include "difftest.h"

enum { INTERP, JIT, NENG };

static struct {
  rpol_runtime *rt;
  rpol_policy *p[NENG];
  rpol_input *in[NENG];
  rpol_decision *d[NENG];
  struct session s;
  struct dt_iso iso;
  struct dt_igen *g;
  struct dt_line l;
  struct dt_buf json;
} F;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  const char *path = fuzz_policy_path();
  struct driver_unit u;

  if (rpol_runtime_new(&F.rt, NULL, NULL) != RPOL_OK)
    abort();
  for (int k = 0; k < NENG; k++)
    if (engine_compile(F.rt, path, k == JIT ? ENGINE_JIT : ENGINE_INTERP,
                       stderr, &F.p[k]) != RPOL_OK ||
        rpol_input_new(F.p[k], &F.in[k]) != RPOL_OK ||
        rpol_decision_new(F.p[k], &F.d[k]) != RPOL_OK)
      FUZZ_FAIL("cannot open %s", path);
  session_init(&F.s);
  if (driver_load(&F.s, path, 0, &u) != DRIVER_OK || F.s.diags.nerrors)
    FUZZ_FAIL("cannot load %s", path);
  dt_iso_load(&F.iso, &F.s);
  F.g = dt_igen_new(&F.s, &F.iso, u.progs, u.nprogs);
  (void)argc;
  (void)argv;
  return 0;
}

/* The record of one engine for the line, into buf. */
static size_t record(int k, const char *line, size_t len, char *buf,
                     size_t cap)
{
  rpol_status st = rpol_input_decode(F.in[k], line, len);
  if (st == RPOL_OK)
    st = rpol_decide(F.p[k], F.in[k], F.d[k]);
  if (st != RPOL_OK)
    return rpol_input_error_json(F.in[k], 1, buf, cap);
  return rpol_decision_json(F.d[k], F.in[k], RPOL_JSON_EXPLAIN, NULL, buf,
                            cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static char out[NENG][1 << 16];
  const char *line = (const char *)data + 1;
  size_t len = size ? size - 1 : 0, n[NENG];

  if (size > 0 && (data[0] & 1)) {
    struct dt_rng r;
    uint64_t seed = 0;
    size_t i = 1, j;
    for (; i < 9 && i < size; i++)
      seed = seed << 8 | data[i];
    dt_rng_seed(&r, seed);
    dt_igen_line(F.g, &r, &F.l);
    while (i < size && F.l.n > 0 && !F.l.raw) {
      int field = data[i++] % F.l.n;
      for (j = i; j < size && data[j] != 0xff; j++)
        ;
      char *val = strndup((const char *)data + i, j - i);
      if (!val)
        abort();
      dt_line_set(&F.l, F.l.kv[field].path, val);
      free(val);
      i = j + 1;
    }
    dt_line_json(&F.l, &F.json);
    line = F.json.p;
    len = strlen(line);
  }
  for (int k = 0; k < NENG; k++)
    n[k] = record(k, line, len, out[k], sizeof out[k]);
  if (n[INTERP] != n[JIT] || strcmp(out[INTERP], out[JIT]) != 0)
    FUZZ_FAIL("engines disagree on %.*s\ninterp: %s\njit:    %s",
              (int)(len > 2000 ? 2000 : len), line, out[INTERP], out[JIT]);
  return 0;
}
