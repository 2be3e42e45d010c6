/* fuzz_json.c: arbitrary bytes as a JSON input line for a fixed policy
 * (fuzz_policy_path(), compiled once with the JIT).
 *
 * A line either decodes (then it decides and encodes, with and without
 * the explain trace) or is bad_input with a message; the record is always
 * one JSON object.  A truncated encode must report the same length.
 */
#include <string.h>
#include "fuzz.h"
#include "engine.h"

static rpol_runtime *rt;
static rpol_policy *p;
static rpol_input *in;
static rpol_decision *d;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  if (rpol_runtime_new(&rt, NULL, NULL) != RPOL_OK ||
      engine_compile(rt, fuzz_policy_path(), ENGINE_JIT, stderr, &p) !=
          RPOL_OK ||
      rpol_input_new(p, &in) != RPOL_OK ||
      rpol_decision_new(p, &d) != RPOL_OK)
    FUZZ_FAIL("cannot open %s", fuzz_policy_path());
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static char buf[1 << 16], small[16];
  size_t n, m;

  rpol_status st = rpol_input_decode(in, (const char *)data, size);
  if (st == RPOL_OK)
    st = rpol_decide(p, in, d);
  if (st == RPOL_OK) {
    n = rpol_decision_json(d, in, RPOL_JSON_EXPLAIN, "de", buf, sizeof buf);
    m = rpol_decision_json(d, in, RPOL_JSON_EXPLAIN, "de", small,
                           sizeof small);
  } else {
    if (st != RPOL_EINPUT)
      FUZZ_FAIL("decode/decide returned %d", (int)st);
    if (!rpol_input_errmsg(in)[0])
      FUZZ_FAIL("bad_input without a message");
    n = rpol_input_error_json(in, 7, buf, sizeof buf);
    m = rpol_input_error_json(in, 7, small, sizeof small);
  }
  if (n != m)
    FUZZ_FAIL("encoded length %zu, %zu when truncated", n, m);
  if (n < sizeof buf && (n < 2 || buf[0] != '{' || buf[n - 1] != '}' ||
                         memchr(buf, '\n', n)))
    FUZZ_FAIL("not one JSON object: %s", buf);
  return 0;
}
