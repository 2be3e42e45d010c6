/* quick_lower.h: switches lowered for LLVM's fast instruction selection,
 * for the tiered JIT's quick code (quick_lower.c). */
#ifndef RPOL_QUICK_LOWER_H
#define RPOL_QUICK_LOWER_H

#include <llvm-c/Types.h>

/* Rewrites each switch of mod with a range of at most 4,096 values and at
 * most 16 destinations as comparisons and branches (bit masks, or a
 * table of bytes), and each select of i1 values as and/or, so that fast
 * instruction selection never falls back to the SelectionDAG for them
 * and no jump table needs relocating.  Run after the quick pipeline's
 * passes, before code generation.  0, or -1 when out of memory (the
 * module is then unusable). */
int quick_lower(LLVMModuleRef mod);

#endif
