/* fuzz.h: shared by the libFuzzer targets of tests/fuzz (issue 7).
 *
 * Each target defines LLVMFuzzerTestOneInput.  Built with
 * -fsanitize=fuzzer by `make fuzz`; built with standalone.c instead (a
 * main that runs the files it is given) by `make test`, which replays the
 * seed corpora and every regression input under tests/fuzz/regress/.
 */
#ifndef RPOL_FUZZ_H
#define RPOL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "rpol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional one-time setup, outside libFuzzer's per-input timeout (the
 * JIT compile of a bundle takes seconds under the sanitizers). */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* The policy the json and diff targets decide with: $RPOL_FUZZ_POLICY,
 * else a bundle of the repository (targets run from its root). */
static inline const char *fuzz_policy_path(void)
{
  const char *p = getenv("RPOL_FUZZ_POLICY");
  return p && *p ? p : "policies/eu-fashion";
}

/* A finding that is not a crash: report and abort, so that libFuzzer (or
 * the standalone driver) records the input. */
#define FUZZ_FAIL(...)                                               \
  do {                                                               \
    fprintf(stderr, "fuzz: " __VA_ARGS__);                           \
    fputc('\n', stderr);                                             \
    abort();                                                         \
  } while (0)

#endif
