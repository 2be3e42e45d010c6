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
#include "rpol.h"
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

/* What the code cache did for a compile (jit_cache.h). */
enum jit_cache_use {
  JIT_CACHE_OFF,      /* no cache directory (or no key) */
  JIT_CACHE_HIT,      /* the object came from the cache */
  JIT_CACHE_MISS,     /* compiled; storing it failed */
  JIT_CACHE_STORED    /* compiled and stored */
};

/* Where a compile's time went, in milliseconds of the compiling thread's
 * CPU time (other processes' load hardly changes these, unlike wall
 * time).  jit_compile_timed fills all but front_end_ms, which
 * engine_compile (engine.h) fills.  When tiered, passes and machine code
 * are the quick code's; jit_wait tells the optimised code's. */
struct jit_times {
  double front_end_ms;  /* sources, parser, checker, layout, metadata */
  double ir_ms;         /* the module's IR (cg) */
  double verify_ms;     /* the IR verifier */
  double bitcode_ms;    /* tiered: the module written for the thread */
  double passes_ms;     /* LLVM's optimisation passes */
  double codegen_ms;    /* machine code: the object file */
  double link_ms;       /* the JIT: linking the object into memory */
  double cache_ms;      /* the cache: key, lookup, store */
  enum jit_cache_use cache;
  int tiered;           /* quick code now, optimised code to follow */
};

/* As jit_compile in `mode` (rpol.h: tiered, optimised only or quick only;
 * a cached object, always optimised code, is used in every mode), and
 * fills *times (when not NULL).  With a
 * cache_dir (not NULL), the object comes from the code cache there when
 * it holds one for the same inputs, and the optimised code is stored
 * there otherwise (jit_cache.h); a cache that fails is a miss, never an
 * error.  When tiered, the optimising thread runs until it is done or
 * the policy is released, whichever is first: (*release) stops and joins
 * it before it frees anything. */
int jit_compile_timed(const struct layout *L, const char *metadata,
                      size_t len, const char *cache_dir, rpol_jit_mode mode,
                      struct jit_times *times,
                      const struct rpol_artifact **art,
                      void (**release)(void *), void **release_ud,
                      char **err);

/* The optimising thread's work (tiered mode), in milliseconds of its CPU
 * time, and when its code took over (wall time since the compile began). */
struct jit_opt_times {
  double passes_ms;     /* the module read back from bitcode, the passes */
  double codegen_ms, link_ms;
  double ready_ms;
  int swapped;          /* the optimised code took over */
  int stored;           /* and went into the code cache */
  char *err;            /* why it did not; owned by the compile */
};

/* Waits for the optimising thread of a compile (its *release_ud) and
 * fills *t (when not NULL).  Returns 0 when the optimised code decides
 * now, -1 when the compile was not tiered or the optimisation failed
 * (t->err says why; the quick code still decides, correctly). */
int jit_wait(void *release_ud, struct jit_opt_times *t);

#endif
