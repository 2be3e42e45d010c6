/* artifact.h: how the compiler hands evaluators to the runtime.
 *
 * The JIT and the interpreter make artifacts in memory (rpol_abi.h); this
 * is the runtime's entry point for them, the same one rpol_load uses for a
 * shared object.  Internal to librpol: not installed, not API.
 */
#ifndef RPOL_ARTIFACT_H
#define RPOL_ARTIFACT_H

#include "rpol.h"
#include "rpol_abi.h"

/* Turns an artifact into a policy handle: checks magic, ABI, struct size
 * and schema hash, parses and validates the metadata and builds the decode
 * tables.  hosts[i] becomes env->host of policy i (NULL: all NULL).  On
 * success *out holds one reference and release(release_ud) runs when the
 * policy is freed; the artifact must stay valid until then.  On failure
 * nothing is taken (release is not called) and rpol_errmsg(rt) says why. */
RPOL_API rpol_status rpol_policy_from_artifact(
    rpol_runtime *rt, const struct rpol_artifact *art, void *const *hosts,
    void (*release)(void *ud), void *release_ud, rpol_policy **out);

/* Sets the message rpol_errmsg(rt) returns. */
void rt_seterr(rpol_runtime *rt, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
