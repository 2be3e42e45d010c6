/* fuzz_frontend.c: arbitrary bytes as a policy file.
 *
 * Scanner and parser first, on the bytes in memory; input that parses
 * cleanly goes on through the whole compiler (prelude, semantic checks,
 * layout, the runtime's metadata parser) and, when it compiles, decides
 * one fixed line with the interpreter and encodes the record.  Parsing
 * alone first keeps the target fast: most mutations do not parse, and a
 * full compile re-reads the prelude.  Nothing may crash, leak or hang.
 */
#include <string.h>
#include <unistd.h>
#include "fuzz.h"
#include "engine.h"
#include "parse.h"
#include "session.h"

static const char line[] =
  "{\"id\":1,\"customer\":{\"country\":\"DE\",\"tier\":\"vip\"},"
  "\"order\":{\"currency\":\"EUR\",\"delivered_at\":\"2026-03-01\"},"
  "\"item\":{\"category\":\"apparel\",\"price\":\"100.00\",\"quantity\":2},"
  "\"request\":{\"date\":\"2026-03-11\",\"reason\":\"changed_mind\"}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static char dir[64], path[96];
  static rpol_runtime *rt;
  rpol_policy *p = NULL;
  rpol_input *in = NULL;
  rpol_decision *d = NULL;
  char buf[8192];

  if (!rt) {
    strcpy(dir, "/tmp/rpol-fuzz-XXXXXX");
    if (!mkdtemp(dir) || rpol_runtime_new(&rt, NULL, NULL) != RPOL_OK)
      abort();
    snprintf(path, sizeof path, "%s/fuzz.rpol", dir);
  }
  if (size > 1 << 16)
    return 0;
  struct session s;
  session_init(&s);
  struct source *src = source_add(&s.sources, "fuzz.rpol",
                                  (const char *)data, size, 0, &s.diags);
  int clean = 0;
  if (src) {
    struct file *pf = parse_file(&s.arena, &s.diags, src, FILE_POLICY);
    clean = pf && !pf->syntax_errors && !s.diags.nerrors;
  }
  session_free(&s);
  if (!clean)
    return 0;
  FILE *f = fopen(path, "wb");
  if (!f)
    abort();
  if (size)
    fwrite(data, 1, size, f);
  fclose(f);
  if (engine_compile(rt, path, ENGINE_INTERP, NULL, &p) == RPOL_OK) {
    if (rpol_input_new(p, &in) == RPOL_OK &&
        rpol_decision_new(p, &d) == RPOL_OK) {
      if (rpol_input_decode(in, line, sizeof line - 1) == RPOL_OK &&
          rpol_decide(p, in, d) == RPOL_OK)
        rpol_decision_json(d, in, RPOL_JSON_EXPLAIN, NULL, buf, sizeof buf);
      else
        rpol_input_error_json(in, 1, buf, sizeof buf);
    }
    rpol_decision_free(d);
    rpol_input_free(in);
    rpol_policy_unref(p);
  } else if (!rpol_errmsg(rt)[0]) {
    FUZZ_FAIL("a rejected policy without a message");
  }
  unlink(path);
  return 0;
}
