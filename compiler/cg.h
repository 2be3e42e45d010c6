/* cg.h: the code generator, checked programs to LLVM IR.
 *
 * One bundle (the programs of a layout) becomes one LLVM module: an
 * evaluator per program with the signature of rpol_eval_fn (rpol_abi.h),
 * the metadata document as a constant string, and the one exported symbol,
 * `const struct rpol_artifact rpol_artifact_v1`.  runtime/value.c, compiled
 * to bitcode at build time, is linked into the module and made internal, so
 * that its helpers inline and an artifact needs no symbol from its host
 * (only memcmp/memcpy from libc).  The JIT (jit.h) and the ahead-of-time
 * path (aot.h) both start here.
 */
#ifndef RPOL_CG_H
#define RPOL_CG_H

#include <stddef.h>
#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>
#include "layout.h"

/* Builds, verifies and optimises (new pass manager, a pipeline tailored to
 * rpol's code: cg.c, CG_PASSES) the bundle module in
 * `ctx` for the default target (PIC, generic CPU).  Returns the module
 * (owned by the caller: dispose it, or hand it to the JIT), or NULL with
 * *err set to malloc'd text (free with free()): an internal compiler
 * error, never a user diagnostic.  Reads L's session and selects each
 * program in it (sema_select_program), so calls on one session must not
 * run concurrently; calls on different sessions may. */
LLVMModuleRef cg_bundle(LLVMContextRef ctx, const struct layout *L,
                        const char *metadata, size_t metadata_len,
                        char **err);

/* As cg_bundle, optimising for target machine `tm` (borrowed) and taking
 * its data layout and triple.  tm NULL means the default of cg_bundle. */
LLVMModuleRef cg_bundle_for(LLVMContextRef ctx, const struct layout *L,
                            const char *metadata, size_t metadata_len,
                            LLVMTargetMachineRef tm, char **err);

/* Where cg_bundle_timed's time went, in milliseconds of the calling
 * thread's CPU time (robust to other processes' load):
 * generating the IR (value.bc's link included), verifying it, and LLVM's
 * passes (after dropping value.bc's unused helpers). */
struct cg_times {
  double ir_ms, verify_ms, passes_ms;
};

/* Which of the pipelines optimises a module: the full one (cg_bundle,
 * built artifacts, the JIT's optimised code), the quick one of the tiered
 * JIT's first code (jit.c), or none (the module as generated, verified). */
enum cg_opt { CG_OPT_FULL, CG_OPT_QUICK, CG_OPT_NONE };

/* As cg_bundle_for with the pipeline of `opt`, and fills *t (when not
 * NULL). */
LLVMModuleRef cg_bundle_timed(LLVMContextRef ctx, const struct layout *L,
                              const char *metadata, size_t metadata_len,
                              LLVMTargetMachineRef tm, enum cg_opt opt,
                              struct cg_times *t, char **err);

/* Optimises a module of cg_bundle_timed(..., CG_OPT_NONE, ...) with the
 * pipeline of `opt`, for `tm` (borrowed).  Needs only the module's
 * context, not the session: a thread may optimise a module it owns while
 * the session compiles something else.  Returns NULL, or malloc'd text of
 * an internal compiler error. */
char *cg_optimise(LLVMModuleRef mod, LLVMTargetMachineRef tm,
                  enum cg_opt opt);

/* Initialises the native target and asm printer once per process
 * (thread-safe).  Returns 0, or -1 when the host has no LLVM target. */
int cg_init_native(void);

/* A target machine for the host triple with PIC relocations.  host_cpu:
 * tune for this machine's CPU and features (JIT), else a generic CPU
 * (artifacts that may run elsewhere).  Returns owned (dispose with
 * LLVMDisposeTargetMachine), or NULL with *err malloc'd. */
LLVMTargetMachineRef cg_target_machine(int host_cpu, char **err);

/* As cg_target_machine, generating code at `level`: LLVMCodeGenLevelNone
 * selects instructions with LLVM's fast selector and allocates registers
 * locally, a fraction of the time for slower code (the tiered JIT's first
 * code, jit.c). */
LLVMTargetMachineRef cg_target_machine_at(int host_cpu,
                                          LLVMCodeGenOptLevel level,
                                          char **err);

#endif
