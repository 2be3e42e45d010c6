/* ffi_call.c: libffi calls of extern fns (see ffi_call.h).
 *
 * The interpreter cannot call a host function of arbitrary signature
 * directly from C; libffi builds the call from a description that is
 * prepared once per extern, so each call only marshals a few scalars on
 * the stack.
 */
#include <string.h>

#include "ffi_call.h"
#include "../runtime/value.h"

static ffi_type *ffi_type_of(enum type_kind k)
{
  switch (k) {
  case TY_BOOL: return &ffi_type_sint;
  case TY_INT: return &ffi_type_sint64;
  case TY_STRING: return &ffi_type_pointer;
  case TY_DATE: return &ffi_type_sint32;
  default: return NULL;
  }
}

int ffi_sig_init(struct ffi_sig *sig, const struct decl *ext)
{
  memset(sig, 0, sizeof *sig);
  if (ext->kind != D_EXTERN || !ext->u.fn.result ||
      ext->u.fn.nparams > FFI_SIG_MAX_PARAMS)
    return -1;
  sig->nparams = ext->u.fn.nparams;
  for (int i = 0; i < sig->nparams; i++) {
    const struct type *t = ext->u.fn.params[i].type;
    if (!t || !(sig->atypes[i] = ffi_type_of(t->kind)))
      return -1;
    sig->params[i] = t->kind;
  }
  sig->result = ext->u.fn.result->kind;
  ffi_type *rt = ffi_type_of(sig->result);
  if (!rt)
    return -1;
  if (ffi_prep_cif(&sig->cif, FFI_DEFAULT_ABI, (unsigned)sig->nparams, rt,
                   sig->atypes) != FFI_OK)
    return -1;
  sig->ready = 1;
  return 0;
}

int ffi_sig_call(const struct ffi_sig *sig, rpol_extern_ptr fn,
                 const struct rpol_slot *args, struct rpol_slot *out)
{
  if (!sig->ready || !fn)
    return RPOL_E_UNBOUND_EXTERN;
  union arg {
    int i;
    int64_t i64;
    int32_t i32;
    const char *s;
  } store[FFI_SIG_MAX_PARAMS];
  void *ptrs[FFI_SIG_MAX_PARAMS];
  for (int i = 0; i < sig->nparams; i++) {
    switch (sig->params[i]) {
    case TY_BOOL: store[i].i = args[i].v != 0; break;
    case TY_INT: store[i].i64 = args[i].v; break;
    case TY_DATE: store[i].i32 = (int32_t)args[i].v; break;
    default: store[i].s = args[i].p ? (const char *)args[i].p : ""; break;
    }
    ptrs[i] = &store[i];
  }
  /* libffi widens small integer results to a full ffi_arg. */
  union {
    ffi_arg a;
    ffi_sarg sa;
    int64_t i64;
    void *p;
  } rv;
  memset(&rv, 0, sizeof rv);
  ffi_call((ffi_cif *)&sig->cif, fn, &rv, ptrs);
  memset(out, 0, sizeof *out);
  out->present = 1;
  switch (sig->result) {
  case TY_BOOL:
    out->kind = RPOL_K_BOOL;
    out->v = (int)rv.sa != 0;
    break;
  case TY_INT:
    out->kind = RPOL_K_INT;
    out->v = rv.i64;
    break;
  case TY_DATE:
    out->kind = RPOL_K_DATE;
    out->v = (int32_t)rv.sa;
    if (!rpol_date_valid(out->v))
      return RPOL_E_OVERFLOW;
    break;
  default: {
    const char *s = rv.p ? (const char *)rv.p : "";
    out->kind = RPOL_K_STRING;
    out->p = s;
    out->n = (int64_t)strlen(s);
    break;
  }
  }
  return 0;
}
