/* ffi_call.h: calling `extern fn`s through libffi.
 *
 * An extern's C signature follows from its declaration (§9): bool is int,
 * int is int64_t, string is const char *, date is int32_t.  The call
 * interface is prepared once, when an evaluator is set up; a call then
 * allocates nothing, so it may sit on the per-decision path.
 */
#ifndef RPOL_FFI_CALL_H
#define RPOL_FFI_CALL_H

#include <ffi.h>
#include "ast.h"
#include "../runtime/rpol_abi.h"

/* Externs take at most this many parameters through the interpreter; a
 * longer signature fails ffi_sig_init (sema has no such limit, so this is
 * reported as an unbound extern at the call). */
#define FFI_SIG_MAX_PARAMS 16

struct ffi_sig {
  ffi_cif cif;
  ffi_type *atypes[FFI_SIG_MAX_PARAMS];
  enum type_kind params[FFI_SIG_MAX_PARAMS];
  enum type_kind result;
  int nparams;
  int ready;                 /* ffi_prep_cif succeeded */
};

/* Prepares the call interface of an extern declaration (D_EXTERN).
 * Returns 0, or -1 when the signature cannot be called (sig->ready = 0). */
int ffi_sig_init(struct ffi_sig *sig, const struct decl *ext);

/* Calls `fn` with args[0..nparams) (slots of the declared types) and writes
 * the result slot.  Strings passed are the slots' NUL-terminated bytes; a
 * string result is borrowed from the extern (NULL reads as "").  Returns 0
 * or an enum rpol_code: RPOL_E_OVERFLOW for a date result outside
 * 0001-01-01..9999-12-31, RPOL_E_UNBOUND_EXTERN if the signature is not
 * ready. */
int ffi_sig_call(const struct ffi_sig *sig, rpol_extern_ptr fn,
                 const struct rpol_slot *args, struct rpol_slot *out);

#endif
