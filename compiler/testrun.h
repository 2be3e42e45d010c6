/* testrun.h: the engine behind `rpolc test` (§11).
 *
 * Loads each path (a policy with its NAME.test.rpol, a test file with its
 * policy, or a bundle directory), runs every test block on the test's own
 * policy without routing, compares the expected outputs and prints one
 * block per failing test and a closing line "N passed, N failed".
 * Coverage (--coverage) is measured with the interpreter's reached-case
 * hook whatever the engine: with the JIT engine each test is also run on
 * the interpreter, only to record which cases it selects.
 */
#ifndef RPOL_TESTRUN_H
#define RPOL_TESTRUN_H

#include <stdio.h>
#include "layout.h"
#include "../runtime/rpol_abi.h"

/* Builds the evaluators of L's programs (eval[i] for L->progs[i]), e.g.
 * with the JIT.  Returns 0 and sets *art, plus *release and *ud, which the
 * runner calls as (*release)(*ud) when done (release may be NULL); nonzero
 * on failure (diagnostics to the session). */
typedef int (*testrun_build_fn)(struct layout *L,
                                const struct rpol_artifact **art,
                                void (**release)(void *), void **ud);

enum testrun_coverage {
  TESTRUN_COVERAGE_NONE,
  TESTRUN_COVERAGE_TEXT,     /* --coverage */
  TESTRUN_COVERAGE_JSON      /* --coverage=json */
};

struct testrun_opts {
  testrun_build_fn build;    /* NULL: the reference interpreter */
  enum testrun_coverage coverage;
  const char *extern_lib;    /* --extern-lib LIB.so, or NULL */
  FILE *err;                 /* misuse messages ("rpolc test: error: ..."),
                                NULL: not printed */
};

/* Runs the tests of every path and writes the report to `out`.  Compile
 * diagnostics stay in s->diags for the caller to print.  Returns the exit
 * status of §13: 0 every test passed, 1 a test failed or a path did not
 * check, 2 misuse (unreadable path, extern library that cannot be
 * loaded). */
int testrun_files(struct session *s, const char *const *paths, int npaths,
                  const struct testrun_opts *o, FILE *out);

#endif
