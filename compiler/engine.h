/* engine.h: from a path to a loaded policy, whatever evaluates it.
 *
 * A built .so is loaded by the runtime; a policy file or a bundle
 * directory is compiled in memory, by the JIT or (for the reference
 * interpreter) not at all.  Either way the result is an rpol_policy that
 * the runtime drives the same way.  This is what rpolc eval, bench and
 * test use, and what rpol_compile (rpol.h) is built on.
 */
#ifndef RPOL_ENGINE_H
#define RPOL_ENGINE_H

#include <stdio.h>
#include "rpol.h"

struct jit_times;       /* jit.h */
struct jit_opt_times;   /* jit.h */

enum engine_kind { ENGINE_JIT, ENGINE_INTERP };

/* Compiles `path` (a policy file or a bundle directory) into *out.
 * Diagnostics are printed to `diags` when it is not NULL; otherwise they
 * become rpol_errmsg(rt).  Returns RPOL_ESYNTAX/RPOL_ESEMANTIC for a
 * rejected policy, RPOL_EIO for an unreadable path, RPOL_EMISUSE for a
 * module (not a policy), RPOL_EJIT when code generation fails. */
rpol_status engine_compile(rpol_runtime *rt, const char *path,
                           enum engine_kind kind, FILE *diags,
                           rpol_policy **out);

/* As engine_compile; for the JIT, fills *times (when not NULL) with where
 * the time went (zeros otherwise).  Each call has its own figures, so
 * compiles on several threads do not mix them. */
rpol_status engine_compile_timed(rpol_runtime *rt, const char *path,
                                 enum engine_kind kind, FILE *diags,
                                 struct jit_times *times, rpol_policy **out);

/* For a policy the JIT compiled in the tiered mode (rpol.h,
 * rpol_runtime_set_jit_mode): waits until its optimised code decides and
 * fills *t (when not NULL) with the optimising thread's figures
 * (jit_wait).  Returns 0 when the optimised code decides, -1 when p was
 * not compiled in the tiered mode or its optimisation failed (t->err). */
int engine_wait_optimised(rpol_policy *p, struct jit_opt_times *t);

/* Whether path is a regular file holding an ELF object (a built policy,
 * whatever its name); a pipe is never read. */
int engine_is_artifact(const char *path);

/* Loads a .so, or compiles anything else with engine_compile. */
rpol_status engine_open(rpol_runtime *rt, const char *path,
                        enum engine_kind kind, FILE *diags,
                        rpol_policy **out);
/* As engine_open, with engine_compile_timed's figures. */
rpol_status engine_open_timed(rpol_runtime *rt, const char *path,
                              enum engine_kind kind, FILE *diags,
                              struct jit_times *times, rpol_policy **out);

/* Binds every extern of p that `lib` (a shared object) defines, by symbol
 * name.  Names it lacks stay unbound (calls are unbound_extern); each is
 * reported to `warn` if not NULL.  The library stays loaded for the life
 * of the process.  Returns 0, or -1 with *err set when lib cannot be
 * opened. */
int engine_bind_extern_lib(rpol_policy *p, const char *lib, FILE *warn,
                           const char **err);

#endif
