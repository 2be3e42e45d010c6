/* jit.c: in-memory compilation with ORC LLJIT (see jit.h).
 *
 * Each call builds its own ThreadSafeContext, module and LLJIT, so calls
 * never share LLVM state; the only process-wide step is target
 * initialisation (cg_init_native, run once).  The generated code may call
 * only memcmp/memcpy/memset from the host process: everything else it
 * needs is linked into the module (value.bc), and a generator with an
 * allow-list keeps it from binding anything more by accident.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>

#include "cg.h"
#include "jit.h"

/* Consumes e; returns malloc'd "prefix: message". */
static char *error_text(const char *prefix, LLVMErrorRef e)
{
  char *m = LLVMGetErrorMessage(e);
  size_t n = strlen(prefix) + strlen(m) + 3;
  char *s = malloc(n);

  if (s)
    snprintf(s, n, "%s: %s", prefix, m);
  LLVMDisposeErrorMessage(m);
  return s;
}

static void release_jit(void *ud)
{
  LLVMErrorRef e = LLVMOrcDisposeLLJIT(ud);

  if (e)
    LLVMConsumeError(e);
}

/* Materialisation errors are also returned by the lookup that triggered
 * them; without this reporter ORC would print them to stderr too. */
static void quiet_reporter(void *ctx, LLVMErrorRef e)
{
  (void)ctx;
  LLVMConsumeError(e);
}

static int allow_host_symbol(void *ctx, LLVMOrcSymbolStringPoolEntryRef sym)
{
  static const char *const ok[] = {
    "memcmp", "bcmp", "memcpy", "memmove", "memset", NULL
  };
  const char *name = LLVMOrcSymbolStringPoolEntryStr(sym);
  char prefix = (char)(uintptr_t)ctx;   /* the global prefix, by value */
  int i;

  if (prefix && *name == prefix)
    name++;
  for (i = 0; ok[i]; i++)
    if (strcmp(name, ok[i]) == 0)
      return 1;
  return 0;
}

int jit_compile(const struct layout *L, const char *metadata, size_t len,
                const struct rpol_artifact **art, void (**release)(void *),
                void **release_ud, char **err)
{
  char prefix;
  LLVMOrcThreadSafeContextRef tsc;
  LLVMOrcThreadSafeModuleRef tsm;
  LLVMOrcLLJITRef jit = NULL;
  LLVMOrcDefinitionGeneratorRef gen = NULL;
  LLVMOrcJITDylibRef jd;
  LLVMOrcJITTargetAddress addr = 0;
  LLVMTargetMachineRef tm;
  LLVMModuleRef mod;
  LLVMErrorRef e;

  *err = NULL;
  *art = NULL;
  *release = NULL;
  *release_ud = NULL;
  tm = cg_target_machine(1, err);
  if (!tm)
    return -1;
  tsc = LLVMOrcCreateNewThreadSafeContext();
  mod = cg_bundle_for(LLVMOrcThreadSafeContextGetContext(tsc), L, metadata,
                      len, tm, err);
  LLVMDisposeTargetMachine(tm);
  if (!mod) {
    LLVMOrcDisposeThreadSafeContext(tsc);
    return -1;
  }
  tsm = LLVMOrcCreateNewThreadSafeModule(mod, tsc);
  /* The module keeps the context alive through the TSM. */
  LLVMOrcDisposeThreadSafeContext(tsc);

  /* The builder is consumed even on failure. */
  e = LLVMOrcCreateLLJIT(&jit, LLVMOrcCreateLLJITBuilder());
  if (e) {
    LLVMOrcDisposeThreadSafeModule(tsm);
    *err = error_text("cannot create the JIT", e);
    return -1;
  }
  LLVMOrcExecutionSessionSetErrorReporter(LLVMOrcLLJITGetExecutionSession(jit),
                                          quiet_reporter, NULL);
  jd = LLVMOrcLLJITGetMainJITDylib(jit);
  prefix = LLVMOrcLLJITGetGlobalPrefix(jit);
  e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
      &gen, prefix, allow_host_symbol,
      (void *)(uintptr_t)(unsigned char)prefix);
  if (e) {
    LLVMOrcDisposeThreadSafeModule(tsm);
    release_jit(jit);
    *err = error_text("cannot search the host for memcmp", e);
    return -1;
  }
  LLVMOrcJITDylibAddGenerator(jd, gen);   /* the dylib owns it now */

  e = LLVMOrcLLJITAddLLVMIRModule(jit, jd, tsm);
  if (e) {
    /* Not added: the module is still ours to dispose. */
    LLVMOrcDisposeThreadSafeModule(tsm);
    release_jit(jit);
    *err = error_text("the JIT refused the module", e);
    return -1;
  }
  e = LLVMOrcLLJITLookup(jit, &addr, RPOL_ARTIFACT_SYMBOL);
  if (e || !addr) {
    *err = e ? error_text("JIT compilation failed", e)
             : strdup("JIT compilation failed: no artifact symbol");
    release_jit(jit);
    return -1;
  }
  *art = (const struct rpol_artifact *)(uintptr_t)addr;
  *release = release_jit;
  *release_ud = jit;
  return 0;
}
