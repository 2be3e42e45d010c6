/* bench/handwritten.h: bench/policy.rpol written by hand in C.
 *
 * The baseline of `make bench`: the logic an engineer would write for the
 * policy in C, on the same pre-decoded input slots the compiled evaluator
 * reads (runtime/rpol_abi.h), with the same exact-money semantics (64-bit
 * minor units, overflow and currency checks, half-away rounding).  It is
 * an rpol_eval_fn, so `rpolc bench --baseline` drives it through
 * rpol_decide exactly as it drives the compiled policy, and checks that
 * both give the same decision for every input line.
 */
#ifndef BENCH_HANDWRITTEN_H
#define BENCH_HANDWRITTEN_H

#include "rpol.h"
#include "rpol_abi.h"

/* Checks that the slot numbers and codes compiled into the function match
 * policy 0 of p (the compiled bench/policy.rpol); 0 if they do, else -1
 * with a message in msg. */
int rpol_bench_init(const rpol_policy *p, char *msg, size_t cap);

/* Fills the region tables (rpol_bench_init does it too). */
void rpol_bench_tables(void);

/* The evaluator. */
int rpol_bench_eval(const struct rpol_slot *in, struct rpol_result *res,
                    const struct rpol_env *env);

#endif
