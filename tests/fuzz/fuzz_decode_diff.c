/* fuzz_decode_diff.c: the specialised decoder (runtime/fastdec.c) against
 * the general one (json-c, runtime/decode.c) on arbitrary bytes as a
 * return line, for a fixed policy (fuzz_policy_path(), run by the
 * interpreter: the decoders do not depend on the engine).
 *
 * Whenever the specialised decoder accepts a line, the general one must
 * accept it too, with the same record (route, id, every field's state and
 * value), and both records must decide and encode to the same bytes.  A
 * line the specialised decoder declines is the general decoder's alone,
 * which fuzz_json covers.  Seeds: the json target's (return lines).
 */
#include <string.h>
#include "fuzz.h"
#include "engine.h"
#include "internal.h"
#include "fastdec.h"

static rpol_runtime *rt;
static rpol_policy *p;
static rpol_input *ia, *ib;
static rpol_decision *d;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  if (rpol_runtime_new(&rt, NULL, NULL) != RPOL_OK ||
      engine_compile(rt, fuzz_policy_path(), ENGINE_INTERP, stderr, &p) !=
          RPOL_OK ||
      rpol_input_new(p, &ia) != RPOL_OK ||
      rpol_input_new(p, &ib) != RPOL_OK ||
      rpol_decision_new(p, &d) != RPOL_OK)
    FUZZ_FAIL("cannot open %s", fuzz_policy_path());
  return 0;
}

static size_t encode(rpol_input *in, char *buf, size_t cap)
{
  rpol_status st = rpol_decide(p, in, d);

  if (st == RPOL_OK)
    return rpol_decision_json(d, in, RPOL_JSON_EXPLAIN, "de", buf, cap);
  if (st != RPOL_EINPUT)
    FUZZ_FAIL("decide returned %d", (int)st);
  return rpol_input_error_json(in, 1, buf, cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static char ja[1 << 16], jb[1 << 16];
  const char *line = (const char *)data;
  char why[256];
  rpol_status sa;
  size_t na, nb;

  sa = decode_line_general(ia, line, size);
  if (decode_line_fast(ib, line, size) <= 0)
    return 0;
  if (sa != RPOL_OK)
    FUZZ_FAIL("the fast decoder accepts a line the general one rejects "
              "(%s)", rpol_input_errmsg(ia));
  if (!fastdec_same(ia, ib, why, sizeof why))
    FUZZ_FAIL("records differ: %s", why);
  na = encode(ia, ja, sizeof ja);
  nb = encode(ib, jb, sizeof jb);
  if (na != nb || memcmp(ja, jb, na < sizeof ja ? na : sizeof ja) != 0)
    FUZZ_FAIL("decisions differ:\n%s\n%s", ja, jb);
  return 0;
}
