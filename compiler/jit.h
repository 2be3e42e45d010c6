/* jit.h: compiling a bundle in memory with LLVM's ORC LLJIT.
 *
 * The bundle module (cg.h) is handed to an LLJIT instance, which compiles
 * it for this machine; the artifact it exports is the same structure a
 * built .so exports, so the runtime loads both alike
 * (rpol_policy_from_artifact).
 */
#ifndef RPOL_JIT_H
#define RPOL_JIT_H

#include <stddef.h>
#include "layout.h"
#include "../runtime/rpol_abi.h"

/* Compiles the programs of L with metadata (len bytes, NUL-terminated).
 * On success returns 0 with *art pointing into JIT memory, valid until
 * (*release)(*release_ud) disposes of the JIT.  On failure returns -1 with
 * *err malloc'd text (free with free()); nothing needs releasing.
 * Each call has its own LLVM context and JIT, so calls may run in
 * parallel threads as long as they do not share a compile session (see
 * cg_bundle). */
int jit_compile(const struct layout *L, const char *metadata, size_t len,
                const struct rpol_artifact **art, void (**release)(void *),
                void **release_ud, char **err);

#endif
