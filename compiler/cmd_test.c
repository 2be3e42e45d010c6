/* cmd_test.c: `rpolc test` (§11, §13).  Tests run on the compiled code
 * (the JIT) unless --interp asks for the reference interpreter; the
 * runner itself is testrun.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "jit.h"
#include "testrun.h"

/* The JIT's code cache for this run (cmd_cache_dir, or NULL with
 * --no-cache).  A file-scope variable because the runner's build hook
 * takes no context; rpolc test is one thread. */
static char *cache_dir;

static int build_jit(struct layout *L, const struct rpol_artifact **art,
                     void (**release)(void *), void **ud)
{
  size_t len = 0;
  const char *meta = layout_metadata(L, &len);
  char *err = NULL;
  if (jit_compile_timed(L, meta, len, cache_dir, RPOL_JIT_OPTIMISED, NULL, art,
                        release, ud,
                        &err) != 0) {
    diag_error_nospan(&L->s->diags, "code generation failed: %s",
                      err ? err : "unknown error");
    free(err);
    return 1;
  }
  return 0;
}

int cmd_test(int argc, char **argv)
{
  struct testrun_opts o = {build_jit, TESTRUN_COVERAGE_NONE, NULL, stderr};
  const char **paths = calloc(argc, sizeof *paths);
  int npaths = 0, no_cache = 0;
  if (!paths)
    return 2;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--coverage") == 0 || strcmp(a, "--coverage=text") == 0)
      o.coverage = TESTRUN_COVERAGE_TEXT;
    else if (strcmp(a, "--coverage=json") == 0)
      o.coverage = TESTRUN_COVERAGE_JSON;
    else if (strcmp(a, "--interp") == 0)
      o.build = NULL;
    else if (strcmp(a, "--no-cache") == 0)
      no_cache = 1;
    else if (strcmp(a, "--extern-lib") == 0 && i + 1 < argc)
      o.extern_lib = argv[++i];
    else if (strncmp(a, "--extern-lib=", 13) == 0)
      o.extern_lib = a + 13;
    else if (a[0] == '-' && a[1]) {
      free(paths);
      return cmd_usage_error("test", "unknown option '%s'", a);
    } else
      paths[npaths++] = a;
  }
  if (npaths == 0) {
    free(paths);
    return cmd_usage_error("test", "%s", "no PATH given");
  }
  for (int i = 0; i < npaths; i++)
    if (cmd_reject_artifact("test", paths[i])) {
      free(paths);
      return 2;
    }
  if (o.build && !no_cache)
    cache_dir = cmd_cache_dir();
  struct session s;
  session_init(&s);
  int rc = testrun_files(&s, paths, npaths, &o, stdout);
  free(cache_dir);
  cache_dir = NULL;
  if (fflush(stdout) != 0 || ferror(stdout)) {
    /* A report that did not reach its reader must not pass in CI. */
    fprintf(stderr, "rpolc test: error: writing the report failed: %s\n",
            strerror(errno));
    rc = 2;
  }
  diag_print(&s.diags, stderr);
  session_free(&s);
  free(paths);
  return rc;
}
