/* aot.h: compiling a bundle ahead of time into a file.
 *
 * `rpolc build` writes a shared object exporting rpol_artifact_v1; the
 * other kinds exist to inspect what the code generator produced
 * (`--emit=llvm|asm|obj`).
 */
#ifndef RPOL_AOT_H
#define RPOL_AOT_H

#include <stddef.h>
#include "layout.h"

enum aot_emit {
  AOT_SO,     /* shared object: object code linked by the system cc */
  AOT_OBJ,    /* relocatable object (PIC) */
  AOT_ASM,    /* assembly text */
  AOT_LLVM    /* optimised LLVM IR text */
};

/* Compiles the programs of L with metadata (len bytes) into out_path.
 * Returns 0, or -1 with *err malloc'd text (free with free()); no
 * temporary file is left behind either way.  The system C compiler is
 * `cc`, or $CC when set (a single word). */
int aot_build(const struct layout *L, const char *metadata, size_t len,
              const char *out_path, enum aot_emit emit, char **err);

#endif
