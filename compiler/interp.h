/* interp.h: the reference interpreter, a tree walker over checked programs.
 *
 * Written from the spec independently of the code generator (it shares
 * only runtime/value.h), it is the oracle compiled code is tested against:
 * same decisions, same error codes and locations, same explain traces.  It
 * is an evaluator like any other (rpol_abi.h), so the runtime loads it the
 * way it loads compiled code.  It allocates nothing per decision: lets and
 * outputs are memoised in a frame on the C stack, bounded by the program.
 */
#ifndef RPOL_INTERP_H
#define RPOL_INTERP_H

#include "ast.h"
#include "layout.h"
#include "../runtime/rpol_abi.h"

struct interp_prep;

/* What env->host points to when the interpreter is the evaluator: one
 * host per policy of a bundle (rpol_policy_from_artifact's hosts[i]). */
struct interp_host {
  const struct program *prog;
  const struct layout *layout;
  int policy_index;
  /* Optional, NULL when unused: reached[case->id] is set to 1 when an
   * evaluation selects that case (coverage for `rpolc test`). */
  unsigned char *reached;
  /* Optional, filled by interp_host_prepare: libffi call interfaces and
   * lookups done once instead of per decision. */
  struct interp_prep *prep;
  /* Optional, NULL for the C library: where interp_host_prepare takes its
   * memory (a runtime compiling a policy passes its allocator). */
  arena_alloc_fn alloc;
  void *alloc_ud;
};

/* Prepares what evaluation would otherwise redo per decision (extern call
 * interfaces, the order-currency slot, constant sets).  Returns 0, or -1
 * when out of memory (evaluation still works, unprepared, but then builds
 * constant sets in scratch space as compiled code does not).  Free with
 * interp_host_release. */
int interp_host_prepare(struct interp_host *h);
void interp_host_release(struct interp_host *h);

/* An rpol_eval_fn: decides one line for env->host's program.  The
 * eligible output slot holds the verdict as an enum slot (v = enum
 * verdict_kind, p = the code string or NULL); res->verdict/reason say the
 * same. */
int interp_eval(const struct rpol_slot *in, struct rpol_result *res,
                const struct rpol_env *env);

/* Evaluates a constant expression (§5.4) into `out`; set storage and
 * strings are allocated in `a`.  `order_cur` is the currency untyped
 * numbers convert to (-1: none, which makes such a use an error), and
 * cur_exponent the currency table.  Returns an enum rpol_code; on error
 * *err_span (if not NULL) is where it failed. */
int interp_const(struct arena *a, const struct expr *e, int order_cur,
                 const int8_t *cur_exponent, struct rpol_slot *out,
                 struct span *err_span);

#endif
