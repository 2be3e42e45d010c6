/* cg.c: checked programs to LLVM IR (see cg.h).
 *
 * Shape of the code for one program: one function, the evaluator
 * rpol.eval.P (an rpol_eval_fn).  It decides `eligible`, stops after a
 * deny, else decides every other output in table order, writing each
 * one's result slot and trace entry once, right after deciding it (an
 * output read earlier, at its turn).  Lets and outputs live
 * in a frame (an alloca of the evaluator: per let or output a memo flag
 * and its value, per output its trace) and are computed by the
 * evaluator's own code where they are first read.  The generator tracks
 * what every path to the current point has computed (struct cg's
 * `known`), so a read of something computed is a plain load and a memo
 * flag is tested only where some paths computed it and others did not;
 * the optimiser then keeps the frame in registers.  An output of more
 * than CG_OUTLINE_CASES cases is decided by a function of its own,
 * rpol.out.P.K, on the evaluator's frame (see call_frame_fn).  `fn`s are
 * functions rpol.fn.P.NAME, called with their arguments, returning their
 * value through pointers.  Every failure writes res->code and res->err_loc at
 * the failing operation and goes to the evaluator's error block (which
 * reports no output); in a `fn` it returns its code, which the caller
 * passes on.  Chains of `when x == A`, `x in {..}` on one value are
 * emitted as branch chains (constant sets as bit tests or a switch);
 * simplifycfg turns such chains into switches.
 *
 * Values are one or two LLVM values (struct val): money is (amount i64,
 * currency i32), strings and sets (ptr, length), verdicts (kind, reason);
 * everything else a single i64, bools i1.  Sets inside `in` are never built:
 * membership in a union or difference is the or/and-not of memberships, and
 * a literal set is a comparison per element; a set becomes an array (in
 * res->scratch) only when it is stored: a let, an output, an argument.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/BitReader.h>
#include <llvm-c/Linker.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "cg.h"
#include "interp.h"
#include "sema.h"
#include "../runtime/rpol_abi.h"
#include "../runtime/value.h"

extern const unsigned char rpol_value_bc[];
extern const size_t rpol_value_bc_len;

/* Element representations of sets (struct rpol_slot). */
enum { EK_INT, EK_STR, EK_MONEY };

/* One value: `a` alone, or a pair (see the file comment). */
struct val {
  LLVMValueRef a, b;
};

enum { SV_ARRAY, SV_LIST, SV_UNION, SV_DIFF };

/* A set expression evaluated but not built (see the file comment). */
struct setv {
  int kind;
  int ek;
  struct val arr;            /* SV_ARRAY: (ptr, n) */
  struct val *el;            /* SV_LIST: evaluated elements */
  const struct expr **str;   /* SV_LIST of strings: literals, or NULL */
  int n;
  struct setv *l, *r;        /* SV_UNION, SV_DIFF */
  struct span span;          /* where running out of scratch is reported */
};

struct cg_mem {
  struct cg_mem *next;
};

struct fnmap {
  const struct decl *d;
  LLVMValueRef fn;
  int done;
};

struct cg {
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMModuleRef vm;          /* value.bc, lazily read, until linked */
  LLVMBuilderRef b;          /* code */
  LLVMBuilderRef ab;         /* allocas of the current function */
  const struct layout *L;
  char *err;                 /* first internal error (malloc'd) */
  struct cg_mem *mem;        /* compile-time allocations */

  LLVMTypeRef i1, i8, i32, i64, p8, pp8, slot, pslot, res, pres, env, penv;
  LLVMTypeRef str, money, evalfn;
  LLVMValueRef strlen_fn;
  LLVMValueRef codes;        /* rpol.codes: verdict code texts */
  LLVMValueRef set_eq_fns[3];
  LLVMValueRef set_norm_fns[3];

  /* The program being compiled. */
  const struct program *prog;
  int pindex;
  int cur_slot;              /* order.currency */
  int cur_required;          /* ... is required: present, exponent 0..9 */
  LLVMTypeRef frame, pframe;
  int *let_field;            /* [nlets] frame field of the flag; a, b after */
  int *out_field;            /* [noutputs] frame field of the flag; a, b,
                                trace after; -1 when not evaluated */
  LLVMValueRef *out_fns;     /* [noutputs] big outputs' own functions */
  char *out_done;
  LLVMValueRef *let_fns;     /* [nlets] heavy lets' own functions */
  char *let_done;
  /* [nlets + noutputs] copies of each let's and output's code in the
   * function being compiled, and the size of that code (see copy_weight;
   * 0 until weighed). */
  int *copies;
  long *weight;
  struct fnmap *fns;
  int nfns, capfns;

  /* The function being compiled. */
  LLVMValueRef fn, in, resp, envp, fr;
  LLVMValueRef trslot;       /* the evaluator body's where-to-trace pointer */
  LLVMValueRef cur_val, exp_val;   /* order currency, exponent (entry) */
  LLVMValueRef p10_val;            /* 10^exp (entry; see order_pow10) */
  LLVMValueRef pow10;              /* rpol.pow10: 10^0 .. 10^18 */
  struct val *fval;          /* [nfcache] input field values loaded */
  LLVMValueRef *fpres;       /* [nfcache] input field present loaded */
  int nfcache;
  /* While an output is decided in the evaluator: where its fields are
   * loaded (before the terminator of a block that dominates its code),
   * and what was loaded there. */
  LLVMBuilderRef hb;
  int hoisting;
  struct val *hval;
  LLVMValueRef *hpres;
  LLVMBasicBlockRef allocas;
  /* [nlets + noutputs] lets, then outputs: KN_NO where no path to the
   * insertion point computed it, KN_YES where every path did, KN_MAYBE
   * where some did (only then is its memo flag tested). */
  char *known;
  int nknown;
  /* In the evaluator, where failures go: it returns the code (phi). */
  LLVMBasicBlockRef errbb;
  LLVMValueRef errphi;
  /* The function's one failure block (made when first needed): it writes
   * res->code and res->err_loc from its phis and leaves (see fail_at). */
  LLVMBasicBlockRef failbb;
  LLVMValueRef failcode, failloc;
  struct val *params;
  const struct decl *fndecl;
  /* While the code that cases of one shape share is written (cg_cases'
   * lower_shared): the first case's literals, and the phis that stand
   * for them. */
  const struct expr **subst_e;
  LLVMValueRef *subst_v;
  int nsubst;
};

enum { KN_NO, KN_YES, KN_MAYBE };

/* Types used where sema's interned ones are not needed. */
static const struct type ty_bool = {TY_BOOL, 0, 0};
static const struct type ty_int = {TY_INT, 0, 0};
static const struct type ty_money = {TY_MONEY, 0, 0};

/* ------------------------------------------------------------ utilities */

static void ice(struct cg *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void ice(struct cg *g, const char *fmt, ...)
{
  va_list ap;
  char buf[512];
  int n;

  if (g->err)
    return;
  n = snprintf(buf, sizeof buf, "internal compiler error: ");
  va_start(ap, fmt);
  vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
  va_end(ap);
  g->err = strdup(buf);
  if (!g->err)
    g->err = (char *)-1;     /* replaced by a static text at the end */
}

/* Zeroed memory freed with the generator; NULL (and an ICE) on failure. */
static void *cg_alloc(struct cg *g, size_t n)
{
  struct cg_mem *m = calloc(1, sizeof *m + n + 16);

  if (!m) {
    ice(g, "out of memory");
    return NULL;
  }
  m->next = g->mem;
  g->mem = m;
  return (char *)m + ((sizeof *m + 15) & ~(size_t)15);
}

static LLVMValueRef ci32(struct cg *g, long long v)
{
  return LLVMConstInt(g->i32, (unsigned long long)v, 1);
}

static LLVMValueRef ci64(struct cg *g, long long v)
{
  return LLVMConstInt(g->i64, (unsigned long long)v, 1);
}

static LLVMValueRef ci8(struct cg *g, int v)
{
  return LLVMConstInt(g->i8, (unsigned long long)v, 0);
}

static int loc_of(struct cg *g, struct span sp)
{
  return layout_loc(g->L, sp);
}

static LLVMBasicBlockRef block(struct cg *g, const char *name)
{
  return LLVMAppendBasicBlockInContext(g->ctx, g->fn, name);
}

static void at(struct cg *g, LLVMBasicBlockRef bb)
{
  LLVMPositionBuilderAtEnd(g->b, bb);
}

static LLVMValueRef alloca_of(struct cg *g, LLVMTypeRef t, const char *name)
{
  return LLVMBuildAlloca(g->ab, t, name);
}

static LLVMValueRef gep_field(struct cg *g, LLVMTypeRef st, LLVMValueRef p,
                              unsigned i)
{
  return LLVMBuildStructGEP2(g->b, st, p, i, "");
}

static LLVMValueRef load(struct cg *g, LLVMTypeRef t, LLVMValueRef p)
{
  return LLVMBuildLoad2(g->b, t, p, "");
}

static LLVMValueRef load_field(struct cg *g, LLVMTypeRef st, LLVMValueRef p,
                               unsigned i, LLVMTypeRef ft)
{
  return load(g, ft, gep_field(g, st, p, i));
}

static void store_field(struct cg *g, LLVMTypeRef st, LLVMValueRef p,
                        unsigned i, LLVMValueRef v)
{
  LLVMBuildStore(g->b, v, gep_field(g, st, p, i));
}

static LLVMValueRef index_ptr(struct cg *g, LLVMTypeRef et, LLVMValueRef p,
                              LLVMValueRef idx)
{
  return LLVMBuildInBoundsGEP2(g->b, et, p, &idx, 1, "");
}

/* A branch to an error path, weighted as all but never taken.  Without
 * the weights, LLVM's static heuristics take `rc != 0` as likely, so that
 * after a few checks in a row the code that follows looks cold: the
 * inliner then refuses small outputs and lets (its threshold for cold
 * call sites is a fifth of the usual one) and block placement puts the
 * common path out of line. */
static void cond_br_error(struct cg *g, LLVMValueRef cond,
                          LLVMBasicBlockRef bad, LLVMBasicBlockRef ok)
{
  LLVMValueRef br = LLVMBuildCondBr(g->b, cond, bad, ok);
  LLVMValueRef md[3];
  static const char kind[] = "prof";

  md[0] = LLVMMDStringInContext(g->ctx, "branch_weights", 14);
  md[1] = ci32(g, 1);
  md[2] = ci32(g, 100000);
  LLVMSetMetadata(br, LLVMGetMDKindIDInContext(g->ctx, kind,
                                                sizeof kind - 1),
                  LLVMMDNodeInContext(g->ctx, md, 3));
}

/* Fields of the ABI structs (rpol_abi.h). */
enum { SL_PRESENT, SL_KIND, SL_ELEM, SL_PAD, SL_CUR, SL_V, SL_P, SL_N };
enum { RS_CODE, RS_ERR_LOC, RS_POLICY, RS_VERDICT, RS_REASON, RS_PAD,
       RS_OUT, RS_TRACE, RS_SCRATCH, RS_CAP, RS_USED };
enum { EV_EXTERNS, EV_CUR_EXP, EV_HOST };

/* Ends the current function with a failure code (res->code written). */
static void leave(struct cg *g, LLVMValueRef code)
{
  LLVMBasicBlockRef from = LLVMGetInsertBlock(g->b);

  if (!g->errbb) {
    LLVMBuildRet(g->b, code);
    return;
  }
  LLVMAddIncoming(g->errphi, &code, &from, 1);
  LLVMBuildBr(g->b, g->errbb);
}

/* The current function fails with `code` at location `loc` when cond.
 * Every failure point of a function branches to one block that writes
 * the code and location it gets through phis: a failure point costs a
 * conditional branch, not a block of two stores (less IR for the passes,
 * and the error paths share their code). */
static void fail_at(struct cg *g, LLVMValueRef cond, LLVMValueRef code,
                    LLVMValueRef loc)
{
  LLVMBasicBlockRef ok, from = LLVMGetInsertBlock(g->b);

  if (!g->failbb) {
    g->failbb = block(g, "fail");
    at(g, g->failbb);
    g->failcode = LLVMBuildPhi(g->b, g->i32, "code");
    g->failloc = LLVMBuildPhi(g->b, g->i32, "loc");
    store_field(g, g->res, g->resp, RS_CODE, g->failcode);
    store_field(g, g->res, g->resp, RS_ERR_LOC, g->failloc);
    leave(g, g->failcode);
    at(g, from);
  }
  ok = block(g, "ok");
  cond_br_error(g, cond, g->failbb, ok);
  LLVMAddIncoming(g->failcode, &code, &from, 1);
  LLVMAddIncoming(g->failloc, &loc, &from, 1);
  at(g, ok);
}

static LLVMValueRef ci32(struct cg *g, long long v);

static void fail_if(struct cg *g, LLVMValueRef cond, LLVMValueRef code,
                    int loc)
{
  fail_at(g, cond, code, ci32(g, loc));
}

/* A helper's status (an int, 0 = fine) fails the function at loc. */
static void check_rc(struct cg *g, LLVMValueRef rc, int loc)
{
  LLVMValueRef c;

  if (LLVMTypeOf(rc) != g->i32)
    rc = LLVMBuildIntCast2(g->b, rc, g->i32, 1, "");
  c = LLVMBuildICmp(g->b, LLVMIntNE, rc, ci32(g, 0), "");
  fail_if(g, c, rc, loc);
}

/* A callee failed (and wrote res->code/err_loc): return its code. */
static void propagate(struct cg *g, LLVMValueRef rc)
{
  LLVMBasicBlockRef bad, ok = block(g, "cont");
  LLVMBasicBlockRef from = LLVMGetInsertBlock(g->b);
  LLVMValueRef c = LLVMBuildICmp(g->b, LLVMIntNE, rc, ci32(g, 0), "");

  if (g->errbb) {
    cond_br_error(g, c, g->errbb, ok);
    LLVMAddIncoming(g->errphi, &rc, &from, 1);
  } else {
    bad = block(g, "err");
    cond_br_error(g, c, bad, ok);
    at(g, bad);
    leave(g, rc);
  }
  at(g, ok);
}

/* Calls a value.c helper, converting pointer and integer arguments to its
 * declared parameter types (bitcode from clang names its own struct types,
 * and `int` parameters are i32). */
static LLVMValueRef helper(struct cg *g, const char *name,
                           LLVMValueRef *args, unsigned n)
{
  LLVMValueRef fn = LLVMGetNamedFunction(g->mod, name), src;
  LLVMTypeRef fty, pt[8];
  unsigned i, np;

  /* Declared here at its first call; link_value_bc brings the body. */
  if (!fn && g->vm && (src = LLVMGetNamedFunction(g->vm, name)))
    fn = LLVMAddFunction(g->mod, name, LLVMGlobalGetValueType(src));
  if (!fn || n > 8) {
    ice(g, "runtime helper %s is missing", name);
    return ci32(g, 0);
  }
  fty = LLVMGlobalGetValueType(fn);
  np = LLVMCountParamTypes(fty);
  if (np != n) {
    ice(g, "runtime helper %s takes %u arguments", name, np);
    return ci32(g, 0);
  }
  LLVMGetParamTypes(fty, pt);
  for (i = 0; i < n; i++) {
    LLVMTypeRef at_ = LLVMTypeOf(args[i]);

    if (at_ == pt[i])
      continue;
    if (LLVMGetTypeKind(pt[i]) == LLVMPointerTypeKind)
      args[i] = LLVMBuildPointerCast(g->b, args[i], pt[i], "");
    else if (LLVMGetTypeKind(pt[i]) == LLVMIntegerTypeKind)
      args[i] = LLVMBuildIntCast2(g->b, args[i], pt[i], 1, "");
  }
  return LLVMBuildCall2(g->b, fty, fn, args, n, "");
}

/* helper(a, b, &out) -> status; *res = out. */
static LLVMValueRef helper_out(struct cg *g, const char *name,
                               LLVMValueRef *args, unsigned n,
                               LLVMValueRef *res)
{
  LLVMValueRef tmp = alloca_of(g, g->i64, "t"), rc;
  LLVMValueRef a[8];
  unsigned i;

  for (i = 0; i < n; i++)
    a[i] = args[i];
  a[n] = tmp;
  rc = helper(g, name, a, n + 1);
  *res = load(g, g->i64, tmp);
  return rc;
}

/* A checked two-operand helper failing at loc. */
static LLVMValueRef arith2(struct cg *g, const char *name, LLVMValueRef x,
                           LLVMValueRef y, int loc)
{
  LLVMValueRef args[2] = {x, y}, r;
  LLVMValueRef rc = helper_out(g, name, args, 2, &r);

  check_rc(g, rc, loc);
  return r;
}

/* P of M (§7): M * P / 10^6 (P in millionths of one, 15% = 150000)
 * rounded half away from zero, as rpol_percent_of.  Where the product
 * fits 64 bits, as it does for any plausible amount, it is divided by the
 * constant inline (a multiply and shifts); otherwise rpol_percent_of's
 * 128-bit path decides and fails as it did.  The helper alone was a call
 * of some 70 instructions, too big for the inliner. */
static LLVMValueRef percent_of(struct cg *g, LLVMValueRef p, LLVMValueRef m,
                               int loc)
{
  LLVMValueRef args[2] = {p, m}, prod, rc, q, r, up, step, vals[2], phi;
  LLVMBasicBlockRef fast = block(g, "pct.fast"), slow = block(g, "pct.slow");
  LLVMBasicBlockRef end = block(g, "pct.end"), bbs[2];

  rc = helper_out(g, "rpol_mul", args, 2, &prod);
  cond_br_error(g, LLVMBuildICmp(g->b, LLVMIntNE, rc, ci32(g, 0), ""), slow,
                fast);
  at(g, fast);
  q = LLVMBuildSDiv(g->b, prod, ci64(g, 1000000), "");
  r = LLVMBuildSRem(g->b, prod, ci64(g, 1000000), "");
  /* |r| >= 10^6 / 2: one step away from zero, the sign of r (not 0). */
  up = LLVMBuildOr(g->b,
                   LLVMBuildICmp(g->b, LLVMIntSGE, r, ci64(g, 500000), ""),
                   LLVMBuildICmp(g->b, LLVMIntSLE, r, ci64(g, -500000), ""),
                   "");
  step = LLVMBuildSelect(g->b,
                         LLVMBuildICmp(g->b, LLVMIntSLT, r, ci64(g, 0), ""),
                         ci64(g, -1), ci64(g, 1), "");
  vals[0] = LLVMBuildAdd(g->b, q,
                         LLVMBuildSelect(g->b, up, step, ci64(g, 0), ""),
                         "");
  bbs[0] = LLVMGetInsertBlock(g->b);
  LLVMBuildBr(g->b, end);
  at(g, slow);
  vals[1] = arith2(g, "rpol_percent_of", p, m, loc);
  bbs[1] = LLVMGetInsertBlock(g->b);
  LLVMBuildBr(g->b, end);
  at(g, end);
  phi = LLVMBuildPhi(g->b, g->i64, "pct");
  LLVMAddIncoming(phi, vals, bbs, 2);
  return phi;
}

static LLVMValueRef const_string(struct cg *g, const char *s, size_t len)
{
  LLVMValueRef init = LLVMConstStringInContext(g->ctx, s, (unsigned)len, 0);
  LLVMTypeRef t = LLVMTypeOf(init);
  LLVMValueRef gv = LLVMAddGlobal(g->mod, t, "rpol.str");
  LLVMValueRef idx[2] = {ci32(g, 0), ci32(g, 0)};

  LLVMSetInitializer(gv, init);
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
  return LLVMConstInBoundsGEP2(t, gv, idx, 2);
}

/* ------------------------------------------------------------ types */

/* An untyped number (or nothing) takes the type of its context. */
static const struct type *num_as(const struct type *t,
                                 const struct type *ctx)
{
  if (!t || t->kind == TY_NUMBER || t->kind == TY_ERROR) {
    if (!ctx || ctx->kind == TY_NUMBER || ctx->kind == TY_ERROR)
      return &ty_int;
    return ctx;
  }
  return t;
}

static LLVMTypeRef type_a(struct cg *g, const struct type *t)
{
  switch (t ? t->kind : TY_INT) {
  case TY_BOOL: return g->i1;
  case TY_STRING: case TY_SET: case TY_EMPTYSET: return g->p8;
  case TY_VERDICT: return g->i32;
  default: return g->i64;
  }
}

static LLVMTypeRef type_b(struct cg *g, const struct type *t)
{
  switch (t ? t->kind : TY_INT) {
  case TY_MONEY: return g->i32;
  case TY_STRING: case TY_SET: case TY_EMPTYSET: return g->i64;
  case TY_VERDICT: return g->i32;
  default: return NULL;
  }
}

static struct val undef_val(struct cg *g, const struct type *t)
{
  struct val v;
  LLVMTypeRef tb = type_b(g, t);

  v.a = LLVMGetUndef(type_a(g, t));
  v.b = tb ? LLVMGetUndef(tb) : NULL;
  return v;
}

static int slot_kind(const struct type *t)
{
  switch (t ? t->kind : TY_INT) {
  case TY_BOOL: return RPOL_K_BOOL;
  case TY_INT: return RPOL_K_INT;
  case TY_MONEY: return RPOL_K_MONEY;
  case TY_PERCENT: return RPOL_K_PERCENT;
  case TY_DATE: return RPOL_K_DATE;
  case TY_DURATION: return RPOL_K_DURATION;
  case TY_STRING: return RPOL_K_STRING;
  case TY_COUNTRY: return RPOL_K_COUNTRY;
  case TY_CURRENCY: return RPOL_K_CURRENCY;
  case TY_SET: case TY_EMPTYSET: return RPOL_K_SET;
  default: return RPOL_K_ENUM;   /* enums, and the verdict of eligible */
  }
}

static int elem_kind(const struct type *set)
{
  const struct type *e = set && set->kind == TY_SET ? set->elem : NULL;

  if (e && e->kind == TY_STRING)
    return EK_STR;
  if (e && e->kind == TY_MONEY)
    return EK_MONEY;
  return EK_INT;
}

static LLVMTypeRef ek_type(struct cg *g, int ek)
{
  return ek == EK_STR ? g->str : ek == EK_MONEY ? g->money : g->i64;
}

static long long ek_size(int ek)
{
  return ek == EK_STR ? (long long)sizeof(struct rpol_str)
       : ek == EK_MONEY ? (long long)sizeof(struct rpol_money) : 8;
}

/* ------------------------------------------------------------ slots */

static LLVMValueRef slot_at(struct cg *g, LLVMValueRef base, int i)
{
  return index_ptr(g, g->slot, base, ci64(g, i));
}

static struct val slot_val(struct cg *g, LLVMValueRef sp,
                           const struct type *t)
{
  struct val v = {0, 0};

  switch (t ? t->kind : TY_INT) {
  case TY_BOOL:
    v.a = LLVMBuildICmp(g->b, LLVMIntNE,
                        load_field(g, g->slot, sp, SL_V, g->i64),
                        ci64(g, 0), "");
    break;
  case TY_MONEY:
    v.a = load_field(g, g->slot, sp, SL_V, g->i64);
    v.b = load_field(g, g->slot, sp, SL_CUR, g->i32);
    break;
  case TY_STRING: case TY_SET: case TY_EMPTYSET:
    v.a = load_field(g, g->slot, sp, SL_P, g->p8);
    v.b = load_field(g, g->slot, sp, SL_N, g->i64);
    break;
  case TY_VERDICT:
    v.a = LLVMBuildTrunc(g->b, load_field(g, g->slot, sp, SL_V, g->i64),
                         g->i32, "");
    v.b = ci32(g, -1);
    break;
  default:
    v.a = load_field(g, g->slot, sp, SL_V, g->i64);
    break;
  }
  return v;
}

static LLVMValueRef const_string(struct cg *g, const char *s, size_t len);

/* The text of verdict code `idx` (layout numbering); for -1 that of
 * code 0, which the caller does not store (slot_store tests idx). */
static LLVMValueRef code_text(struct cg *g, LLVMValueRef idx)
{
  const struct layout *L = g->L;
  LLVMValueRef *texts, init, idx2[2];
  LLVMTypeRef at_;
  int i;

  if (L->ncodes == 0)
    return LLVMConstNull(g->p8);
  if (!g->codes) {
    texts = cg_alloc(g, (size_t)(L->ncodes + 1) * sizeof *texts);
    if (!texts)
      return LLVMConstNull(g->p8);
    for (i = 0; i < L->ncodes; i++)
      texts[i] = const_string(g, L->codes[i], strlen(L->codes[i]));
    init = LLVMConstArray(g->p8, texts, (unsigned)L->ncodes);
    g->codes = LLVMAddGlobal(g->mod, LLVMTypeOf(init), "rpol.codes");
    LLVMSetInitializer(g->codes, init);
    LLVMSetGlobalConstant(g->codes, 1);
    LLVMSetLinkage(g->codes, LLVMPrivateLinkage);
  }
  at_ = LLVMGlobalGetValueType(g->codes);
  idx2[0] = ci64(g, 0);
  idx2[1] = LLVMBuildZExt(
      g->b,
      LLVMBuildSelect(g->b,
                      LLVMBuildICmp(g->b, LLVMIntSGE, idx, ci32(g, 0), ""),
                      idx, ci32(g, 0), ""),
      g->i64, "");
  return load(g, g->p8, LLVMBuildInBoundsGEP2(g->b, at_, g->codes, idx2, 2,
                                                 ""));
}

/* Whether a verdict (kind, and `has_code`: it has a code index) differs
 * from the caller's reset, allow without a code (rpol_abi.h): only then
 * is it stored. */
static LLVMValueRef verdict_not_reset(struct cg *g, LLVMValueRef kind,
                                      LLVMValueRef has_code)
{
  return LLVMBuildOr(g->b,
                     LLVMBuildICmp(g->b, LLVMIntNE, kind,
                                   ci32(g, VERDICT_ALLOW), ""),
                     has_code, "");
}

/* Writes a whole slot, so that a decision leaves nothing from the last. */
static void slot_store(struct cg *g, LLVMValueRef sp, const struct type *t,
                       struct val v)
{
  LLVMValueRef cur = ci32(g, 0), iv = ci64(g, 0), p, n = ci64(g, 0);
  int ek = RPOL_K_INT;

  p = LLVMConstNull(g->p8);
  switch (t ? t->kind : TY_INT) {
  case TY_BOOL:
    iv = LLVMBuildZExt(g->b, v.a, g->i64, "");
    break;
  case TY_MONEY:
    iv = v.a;
    cur = v.b;
    break;
  case TY_STRING:
    p = v.a;
    n = v.b;
    break;
  case TY_SET: case TY_EMPTYSET:
    p = v.a;
    n = v.b;
    ek = slot_kind(t->kind == TY_SET ? t->elem : NULL);
    break;
  case TY_VERDICT:
    /* As the interpreter: an enum slot, v the kind, p the code (below). */
    break;
  default:
    iv = v.a;
    break;
  }
  /* The caller zeroed the slot (rpol_abi.h): fields that stay zero for
   * this type are not stored again. */
  store_field(g, g->slot, sp, SL_PRESENT, ci8(g, 1));
  store_field(g, g->slot, sp, SL_KIND, ci8(g, slot_kind(t)));
  if (t && (t->kind == TY_SET || t->kind == TY_EMPTYSET))
    store_field(g, g->slot, sp, SL_ELEM, ci8(g, ek));
  if (!LLVMIsNull(cur))
    store_field(g, g->slot, sp, SL_CUR, cur);
  if (!LLVMIsNull(iv))
    store_field(g, g->slot, sp, SL_V, iv);
  if (!LLVMIsNull(p))
    store_field(g, g->slot, sp, SL_P, p);
  if (!LLVMIsNull(n))
    store_field(g, g->slot, sp, SL_N, n);
  /* A verdict's kind and code text only where they are not the
   * caller's zeros: `allow` (kind 0) has no code, and stores neither.
   * Kind and code are phis of constants, so the passes thread each case
   * to its own side of the test. */
  if (t && t->kind == TY_VERDICT) {
    LLVMBasicBlockRef has = block(g, "verdict.slot");
    LLVMBasicBlockRef done = block(g, "verdict.slot.done");
    LLVMValueRef code = LLVMBuildICmp(g->b, LLVMIntSGE, v.b, ci32(g, 0), "");

    LLVMBuildCondBr(g->b, verdict_not_reset(g, v.a, code), has, done);
    at(g, has);
    store_field(g, g->slot, sp, SL_V, LLVMBuildSExt(g->b, v.a, g->i64, ""));
    p = code_text(g, v.b);
    if (!LLVMIsNull(p))
      store_field(g, g->slot, sp, SL_P,
                  LLVMBuildSelect(g->b, code, p, LLVMConstNull(g->p8), ""));
    LLVMBuildBr(g->b, done);
    at(g, done);
  }
}

/* The order currency, -1 when the line has none (the runtime rejects
 * such lines; -1 keeps the interpreter's answer if one gets here). */
static void order_currency_at_entry(struct cg *g);

static LLVMValueRef order_cur(struct cg *g)
{
  if (!g->cur_val)
    order_currency_at_entry(g);
  return g->cur_val;
}

/* The currency's minor-unit exponent, -1 when unknown (or no currency). */
static LLVMValueRef order_exp(struct cg *g)
{
  if (!g->exp_val)
    order_currency_at_entry(g);
  return g->exp_val;
}

/* Computes the order currency and its exponent once per function, in the
 * entry block, which dominates every use: a policy converts many bare
 * numbers, and each would otherwise reload both. */
static void order_currency_at_entry(struct cg *g)
{
  LLVMBuilderRef saved = g->b;
  LLVMValueRef sp, v, present, known, curx, tab, exp;

  g->b = g->ab;
  if (g->cur_slot < 0) {
    g->cur_val = ci32(g, -1);
  } else {
    sp = slot_at(g, g->in, g->cur_slot);
    v = load_field(g, g->slot, sp, SL_V, g->i64);
    g->cur_val = LLVMBuildTrunc(g->b, v, g->i32, "cur");
    if (!g->cur_required) {
      present = LLVMBuildICmp(g->b, LLVMIntNE,
                              load_field(g, g->slot, sp, SL_PRESENT, g->i8),
                              ci8(g, 0), "");
      g->cur_val = LLVMBuildSelect(g->b, present, g->cur_val, ci32(g, -1),
                                   "cur");
    }
  }
  /* A required order currency is present in every line an evaluator is
   * given (read_field), and a currency of the table, whose exponents are
   * 0..CG_MAX_EXP: the decoder, the API's setters and sema refuse any
   * other.  Else it may be absent (-1, no exponent either). */
  known = g->cur_required ? NULL
                          : LLVMBuildICmp(g->b, LLVMIntSGE, g->cur_val,
                                          ci32(g, 0), "");
  tab = load_field(g, g->env, g->envp, EV_CUR_EXP, g->p8);
  curx = LLVMBuildZExt(g->b, g->cur_val, g->i64, "");
  if (known)
    curx = LLVMBuildSelect(g->b, known, curx, ci64(g, 0), "");
  exp = LLVMBuildSExt(g->b, load(g, g->i8, index_ptr(g, g->i8, tab, curx)),
                      g->i32, "exp");
  g->exp_val = known ? LLVMBuildSelect(g->b, known, exp, ci32(g, -1), "exp")
                     : exp;
  g->b = saved;
}

/* ------------------------------------------------------- functions */

/* Forgets the input fields loaded so far: the next read loads again. */
static void fields_forget(struct cg *g)
{
  if (g->nfcache) {
    memset(g->fval, 0, sizeof *g->fval * (size_t)g->nfcache);
    memset(g->fpres, 0, sizeof *g->fpres * (size_t)g->nfcache);
  }
}

static void begin_function(struct cg *g, LLVMValueRef fn)
{
  LLVMBasicBlockRef body;

  g->fn = fn;
  g->allocas = block(g, "entry");
  body = block(g, "body");
  LLVMPositionBuilderAtEnd(g->ab, g->allocas);
  at(g, body);
  g->in = LLVMGetParam(fn, 0);
  g->resp = LLVMGetParam(fn, 1);
  g->envp = LLVMGetParam(fn, 2);
  g->fr = LLVMCountParams(fn) > 3 ? LLVMGetParam(fn, 3) : NULL;
  g->params = NULL;
  g->fndecl = NULL;
  g->cur_val = g->exp_val = g->p10_val = NULL;
  g->errbb = NULL;
  g->errphi = NULL;
  g->failbb = NULL;
  g->failcode = g->failloc = NULL;
  if (g->nknown)
    memset(g->known, KN_MAYBE, (size_t)g->nknown);
  if (g->copies)
    memset(g->copies, 0, sizeof *g->copies *
                             (size_t)(g->prog->nlets + g->prog->noutputs));
  fields_forget(g);
}

static void end_function(struct cg *g)
{
  LLVMBasicBlockRef body = LLVMGetNextBasicBlock(g->allocas);

  LLVMPositionBuilderAtEnd(g->ab, g->allocas);
  LLVMBuildBr(g->ab, body);
  g->fn = NULL;
}

/* What is known where code paths part and join: the state of every let
 * and output (see `known`) and the input fields loaded at a point that
 * dominates the current one (see field_here).  A copy is taken before a
 * conditional part and restored or met after it. */
struct ksave {
  char *known;
  struct val *fval;
  LLVMValueRef *fpres;
};

static struct ksave *known_save(struct cg *g)
{
  struct ksave *k = cg_alloc(g, sizeof *k + (size_t)g->nknown +
                                    (sizeof *k->fval + sizeof *k->fpres) *
                                        (size_t)g->nfcache + 16);

  if (!k)
    return NULL;
  k->fval = (struct val *)(k + 1);
  k->fpres = (LLVMValueRef *)(k->fval + g->nfcache);
  k->known = (char *)(k->fpres + g->nfcache);
  if (g->nknown)
    memcpy(k->known, g->known, (size_t)g->nknown);
  if (g->nfcache) {
    memcpy(k->fval, g->fval, sizeof *g->fval * (size_t)g->nfcache);
    memcpy(k->fpres, g->fpres, sizeof *g->fpres * (size_t)g->nfcache);
  }
  return k;
}

/* Forgets every loaded field and what may have been computed. */
static void known_forget(struct cg *g)
{
  if (g->nknown)
    memset(g->known, KN_MAYBE, (size_t)g->nknown);
  fields_forget(g);
}

static void known_restore(struct cg *g, const struct ksave *k)
{
  if (!k) {
    known_forget(g);
    return;
  }
  if (g->nknown)
    memcpy(g->known, k->known, (size_t)g->nknown);
  if (g->nfcache) {
    memcpy(g->fval, k->fval, sizeof *g->fval * (size_t)g->nfcache);
    memcpy(g->fpres, k->fpres, sizeof *g->fpres * (size_t)g->nfcache);
  }
}

/* Keeps in (known, fval, fpres) only what the other state agrees on:
 * what is known on both of two paths is known where they meet. */
static void known_meet_into(const struct cg *g, char *known,
                            struct val *fval, LLVMValueRef *fpres,
                            const char *oknown, const struct val *ofval,
                            LLVMValueRef const *ofpres)
{
  int i;

  for (i = 0; i < g->nknown; i++)
    if (known[i] != oknown[i])
      known[i] = KN_MAYBE;
  for (i = 0; i < g->nfcache; i++) {
    if (fval[i].a != ofval[i].a || fval[i].b != ofval[i].b)
      fval[i].a = fval[i].b = NULL;
    if (fpres[i] != ofpres[i])
      fpres[i] = NULL;
  }
}

/* acc = acc met with what is known now (acc NULL: a copy of it). */
static struct ksave *known_meet(struct cg *g, struct ksave *acc)
{
  if (!acc)
    return known_save(g);
  known_meet_into(g, acc->known, acc->fval, acc->fpres, g->known, g->fval,
                  g->fpres);
  return acc;
}

/* After code that may or may not have run, from state k before it. */
static void known_join(struct cg *g, const struct ksave *k)
{
  if (!k) {
    known_forget(g);
    return;
  }
  known_meet_into(g, g->known, g->fval, g->fpres, k->known, k->fval,
                  k->fpres);
}

static LLVMValueRef new_internal(struct cg *g, const char *name,
                                 LLVMTypeRef fty)
{
  LLVMValueRef fn = LLVMAddFunction(g->mod, name, fty);

  LLVMSetLinkage(fn, LLVMInternalLinkage);
  return fn;
}

static void fn_sig(struct cg *g, const struct decl *d, LLVMTypeRef *pt,
                   unsigned *np)
{
  unsigned n = 0;
  int i;

  pt[n++] = g->pslot;
  pt[n++] = g->pres;
  pt[n++] = g->penv;
  pt[n++] = g->pframe;
  for (i = 0; i < d->u.fn.nparams; i++) {
    const struct type *t = d->u.fn.params[i].type;

    pt[n++] = type_a(g, t);
    if (type_b(g, t))
      pt[n++] = type_b(g, t);
  }
  pt[n++] = LLVMPointerType(type_a(g, d->u.fn.result), 0);
  if (type_b(g, d->u.fn.result))
    pt[n++] = LLVMPointerType(type_b(g, d->u.fn.result), 0);
  *np = n;
}

static LLVMValueRef fn_fn(struct cg *g, const struct decl *d)
{
  LLVMTypeRef *pt;
  unsigned np;
  char name[160];
  int i;

  for (i = 0; i < g->nfns; i++)
    if (g->fns[i].d == d)
      return g->fns[i].fn;
  if (g->nfns == g->capfns) {
    int cap = g->capfns ? 2 * g->capfns : 16;
    struct fnmap *m = cg_alloc(g, (size_t)cap * sizeof *m);

    if (!m)
      return NULL;
    if (g->nfns)
      memcpy(m, g->fns, (size_t)g->nfns * sizeof *m);
    g->fns = m;
    g->capfns = cap;
  }
  pt = cg_alloc(g, (size_t)(2 * d->u.fn.nparams + 8) * sizeof *pt);
  if (!pt)
    return NULL;
  fn_sig(g, d, pt, &np);
  snprintf(name, sizeof name, "rpol.fn.%d.%s", g->pindex, d->name);
  g->fns[g->nfns].d = d;
  g->fns[g->nfns].fn =
      new_internal(g, name, LLVMFunctionType(g->i32, pt, np, 0));
  g->fns[g->nfns].done = 0;
  return g->fns[g->nfns++].fn;
}

/* ------------------------------------------------------- expressions */

static struct val cg_expr_t(struct cg *g, const struct expr *e,
                            const struct type *t);
static struct setv *cg_set(struct cg *g, const struct expr *e);
static struct val sv_mat(struct cg *g, struct setv *sv);
static LLVMValueRef sv_has(struct cg *g, struct setv *sv, struct val x,
                           long long xmax);

static struct val cg_expr(struct cg *g, const struct expr *e)
{
  return cg_expr_t(g, e, e ? e->type : NULL);
}

static LLVMValueRef cg_bool(struct cg *g, const struct expr *e)
{
  return cg_expr_t(g, e, &ty_bool).a;
}

static struct val phi_vals(struct cg *g, struct val *vs,
                           LLVMBasicBlockRef *bbs, unsigned n)
{
  struct val r = {0, 0};
  LLVMValueRef *tmp;
  unsigned i;

  if (n == 0)
    return r;
  tmp = cg_alloc(g, n * sizeof *tmp);
  if (!tmp)
    return vs[0];
  r.a = LLVMBuildPhi(g->b, LLVMTypeOf(vs[0].a), "");
  for (i = 0; i < n; i++)
    tmp[i] = vs[i].a;
  LLVMAddIncoming(r.a, tmp, bbs, n);
  if (vs[0].b) {
    r.b = LLVMBuildPhi(g->b, LLVMTypeOf(vs[0].b), "");
    for (i = 0; i < n; i++)
      tmp[i] = vs[i].b;
    LLVMAddIncoming(r.b, tmp, bbs, n);
  }
  return r;
}

/* An input field is loaded where first read and reused wherever that
 * point dominates (the cache is met where paths join, as `known`):
 * inputs never change during a decision, and a policy tests the same few
 * fields in case after case.  Left to the optimiser, each repeated load
 * would be proven redundant by GVN's memory dependence walk over every
 * block of the case chain, which grows with the square of the number of
 * cases; loading every field in the entry block instead keeps too many
 * values live across the whole evaluator, which then spills them.  The
 * loads are safe whether or not the field is present (a missing field's
 * slot holds zeros). */
/* Within an output's code in the evaluator the loads go instead to one
 * block at its start (the output's fields are live in it, and only in
 * it), which dominates every read however deep in its conditions. */
static struct val field_here(struct cg *g, int slot, const struct type *t)
{
  struct val v;
  LLVMBuilderRef saved = g->b;

  if (slot < 0 || slot >= g->nfcache)
    return slot_val(g, slot_at(g, g->in, slot), t);
  if (g->hoisting) {
    if (g->hval[slot].a)
      return g->hval[slot];
    g->b = g->hb;
    v = slot_val(g, slot_at(g, g->in, slot), t);
    g->b = saved;
    g->hval[slot] = v;
    return v;
  }
  if (g->fval[slot].a)
    return g->fval[slot];
  v = slot_val(g, slot_at(g, g->in, slot), t);
  g->fval[slot] = v;
  return v;
}

static LLVMValueRef present_here(struct cg *g, int slot)
{
  LLVMValueRef v;
  LLVMBuilderRef saved = g->b;
  int cached = slot >= 0 && slot < g->nfcache;

  if (cached && g->hoisting && g->hpres[slot])
    return g->hpres[slot];
  if (cached && !g->hoisting && g->fpres[slot])
    return g->fpres[slot];
  if (cached && g->hoisting)
    g->b = g->hb;
  v = LLVMBuildICmp(g->b, LLVMIntNE,
                    load_field(g, g->slot, slot_at(g, g->in, slot),
                               SL_PRESENT, g->i8),
                    ci8(g, 0), "");
  g->b = saved;
  if (cached && g->hoisting)
    g->hpres[slot] = v;
  else if (cached)
    g->fpres[slot] = v;
  return v;
}

/* Whether the runtime fills field d's default itself: the metadata
 * carries it (layout.c's default_json: a money default that is a number
 * literal, any other that is a constant needing no currency table), and
 * rpolc test fills every default alike.  Such a field is always present
 * when an evaluator runs. */
static int8_t no_exps[RPOL_NCURRENCY_CODES];

static void no_exps_init(void)
{
  memset(no_exps, -1, sizeof no_exps);
}

static int default_carried(const struct decl *d)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  const struct expr *e = d->u.input.deflt;
  struct arena a;
  struct rpol_slot v;
  int rc;

  if (!e || !d->u.input.type)
    return 0;
  if (d->u.input.type->kind == TY_MONEY) {
    if (e->expansion)
      e = e->expansion;
    if (e->kind == EX_UNARY && e->u.unary.op == UN_NEG)
      e = e->u.unary.operand;
    return e->kind == EX_INT || e->kind == EX_DEC;
  }
  pthread_once(&once, no_exps_init);
  arena_init(&a);
  rc = interp_const(&a, e, -1, no_exps, &v, NULL);
  arena_free(&a);
  return rc == 0;
}

/* An input field (EX_PATH).  Required fields are present (the runtime
 * rejects lines without them); a missing defaulted field takes its
 * default; a missing optional one is missing_input at the path. */
static struct val read_field(struct cg *g, const struct expr *e,
                             const struct type *t)
{
  const struct decl *d = e->ref.decl;
  LLVMValueRef present;
  LLVMBasicBlockRef no, end;
  struct val vs[2];
  LLVMBasicBlockRef bbs[2];
  struct ksave *kn;

  if (!d || d->kind != D_INPUT) {
    ice(g, "input path %s is unresolved", e->u.path.text);
    return undef_val(g, t);
  }
  t = d->u.input.type ? d->u.input.type : t;
  /* The runtime hands an evaluator only inputs whose required fields are
   * set (input_finish; rpolc test checks the same), so they need no test,
   * nor do fields whose default the runtime fills.  Another defaulted
   * field may still be missing: the metadata cannot carry every constant
   * default (`abs(0.5)`), and then the code computes it. */
  if (d->u.input.required || default_carried(d))
    return field_here(g, d->u.input.slot, t);
  present = present_here(g, d->u.input.slot);
  if (!d->u.input.deflt) {
    fail_if(g, LLVMBuildNot(g->b, present, ""),
            ci32(g, RPOL_E_MISSING_INPUT), loc_of(g, e->span));
    return field_here(g, d->u.input.slot, t);
  }
  vs[0] = field_here(g, d->u.input.slot, t);
  no = block(g, "default"), end = block(g, "fv");
  bbs[0] = LLVMGetInsertBlock(g->b);
  LLVMBuildCondBr(g->b, present, end, no);
  at(g, no);
  kn = known_save(g);
  vs[1] = cg_expr_t(g, d->u.input.deflt, t);
  known_join(g, kn);
  bbs[1] = LLVMGetInsertBlock(g->b);
  LLVMBuildBr(g->b, end);
  at(g, end);
  return phi_vals(g, vs, bbs, 2);
}

/* Fields with a default are never missing (§4), and required ones are
 * always set: rpol_decide refuses a line without them (bad_input) before
 * any evaluator runs. */
static int field_always_present(const struct decl *d)
{
  return d->u.input.deflt != NULL || d->u.input.required;
}

static LLVMValueRef field_present(struct cg *g, const struct expr *path)
{
  const struct decl *d = path->ref.decl;

  if (path->kind != EX_PATH || !d || d->kind != D_INPUT) {
    ice(g, "present() of something that is not an input field");
    return LLVMConstInt(g->i1, 0, 0);
  }
  if (field_always_present(d))
    return LLVMConstInt(g->i1, 1, 0);
  return present_here(g, d->u.input.slot);
}

/* The largest minor-unit exponent a currency can have: sema refuses a
 * currency table entry above 9, and the runtime's exponents come from
 * that table (the artifact's metadata, rpolc test's runner). */
#define CG_MAX_EXP 9

/* Where known[] records that the order currency's exponent was checked
 * (0 <= exp <= CG_MAX_EXP) on every path to the insertion point. */
static int exp_checked(const struct cg *g)
{
  if (g->cur_required && g->cur_slot >= 0)
    return 1;                   /* see order_currency_at_entry */
  return g->known && g->nknown > g->prog->nlets + g->prog->noutputs &&
         g->known[g->prog->nlets + g->prog->noutputs] == KN_YES;
}

static void exp_check_done(struct cg *g)
{
  if (g->known && g->nknown > g->prog->nlets + g->prog->noutputs)
    g->known[g->prog->nlets + g->prog->noutputs] = KN_YES;
}

/* 10^exp for the order currency's exponent, computed once in the entry
 * block from a table of powers of ten (0 when exp is out of range: then
 * every use is behind a failed check). */
static LLVMValueRef order_pow10(struct cg *g)
{
  LLVMBuilderRef saved = g->b;
  LLVMValueRef exp = order_exp(g), init[19], idx[2], in_range;
  LLVMTypeRef at_ = LLVMArrayType(g->i64, 19);
  long long p = 1;
  int i;

  if (g->p10_val)
    return g->p10_val;
  if (!g->pow10) {
    for (i = 0; i < 19; i++) {
      init[i] = ci64(g, p);
      if (i < 18)               /* 10^19 is past the 64-bit range */
        p *= 10;
    }
    g->pow10 = LLVMAddGlobal(g->mod, at_, "rpol.pow10");
    LLVMSetInitializer(g->pow10, LLVMConstArray(g->i64, init, 19));
    LLVMSetGlobalConstant(g->pow10, 1);
    LLVMSetLinkage(g->pow10, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(g->pow10, LLVMGlobalUnnamedAddr);
  }
  g->b = g->ab;
  idx[0] = ci64(g, 0);
  idx[1] = LLVMBuildZExt(g->b, exp, g->i64, "");
  if (!g->cur_required || g->cur_slot < 0) {
    in_range = LLVMBuildICmp(g->b, LLVMIntULE, exp, ci32(g, 18), "");
    idx[1] = LLVMBuildSelect(g->b, in_range, idx[1], ci64(g, 0), "");
  }
  g->p10_val = LLVMBuildLoad2(g->b, g->i64,
                              LLVMBuildInBoundsGEP2(g->b, at_, g->pow10, idx,
                                                    2, ""),
                              "p10");
  g->b = saved;
  return g->p10_val;
}

/* A number literal as money: major units of the order currency.  An
 * unknown currency has no exponent: nothing is exact in it
 * (inexact_amount), which is checked once on a path, not at every
 * literal.  A literal that is exact and cannot overflow in every
 * exponent (most are: `100`, `0`) is then mant * 10^exp without a call
 * or a failure branch; fewer decimals than the literal has are
 * inexact_amount, as rpol_number_to_minor says. */
static struct val number_money(struct cg *g, const struct expr *e)
{
  struct val v;
  LLVMValueRef cur = order_cur(g), exp = order_exp(g), args[3], r, rc;
  int loc = loc_of(g, e->span);
  int64_t m = e->u.num.mant, big;
  int s = e->u.num.scale, k, fits;

  while (s > 0 && m % 10 == 0) {
    m /= 10;
    s--;
  }
  fits = s >= 0 && s <= CG_MAX_EXP;
  for (big = m, k = s; fits && k < CG_MAX_EXP; k++)
    fits = !__builtin_mul_overflow(big, (int64_t)10, &big);
  v.b = cur;
  if (fits && s > 0) {
    /* exp < s (or unknown): inexact; one unsigned test for both. */
    LLVMValueRef d = LLVMBuildSub(g->b, exp, ci32(g, s), "");

    fail_if(g, LLVMBuildICmp(g->b, LLVMIntUGT, d, ci32(g, CG_MAX_EXP - s),
                             ""),
            ci32(g, RPOL_E_INEXACT_AMOUNT), loc);
    exp_check_done(g);
  } else if (!exp_checked(g)) {
    fail_if(g, LLVMBuildICmp(g->b, LLVMIntUGT, exp, ci32(g, CG_MAX_EXP), ""),
            ci32(g, RPOL_E_INEXACT_AMOUNT), loc);
    exp_check_done(g);
  }
  if (fits) {
    LLVMValueRef p = order_pow10(g);
    long long div = 1;

    for (k = 0; k < s; k++)
      div *= 10;
    if (m == 0) {
      v.a = ci64(g, 0);
      return v;
    }
    if (div > 1)
      p = LLVMBuildExactSDiv(g->b, p, ci64(g, div), "");
    v.a = m == 1 ? p : LLVMBuildNSWMul(g->b, p, ci64(g, m), "");
    return v;
  }
  args[0] = ci64(g, e->u.num.mant);
  args[1] = ci32(g, e->u.num.scale);
  args[2] = exp;
  rc = helper_out(g, "rpol_number_to_minor", args, 3, &r);
  check_rc(g, rc, loc);
  v.a = r;
  return v;
}

/* Values of the same currency (one SSA value: the order currency, say)
 * need no test. */
static void cur_check(struct cg *g, struct val x, struct val y, int loc)
{
  if (x.b == y.b)
    return;
  fail_if(g, LLVMBuildICmp(g->b, LLVMIntNE, x.b, y.b, ""),
          ci32(g, RPOL_E_CURRENCY_MISMATCH), loc);
}

static int elem_kind(const struct type *set);

/* i1 rpol.set_eq.K(p8 a, i64 na, p8 b, i64 nb): both sorted and
 * duplicate-free, so equal sets are equal arrays. */
static LLVMValueRef set_eq_fn(struct cg *g, int ek)
{
  LLVMTypeRef pt[4] = {g->p8, g->i64, g->p8, g->i64}, et, pet;
  LLVMBasicBlockRef saved = LLVMGetInsertBlock(g->b), entry, loop, body;
  LLVMBasicBlockRef yes, no, next;
  LLVMValueRef fn, saved_fn = g->fn, a, b, i, ea, eb, eq, inc, vals[2];
  LLVMBasicBlockRef bbs[2];
  static const char *const names[3] = {
    "rpol.set_eq.int", "rpol.set_eq.str", "rpol.set_eq.money"
  };

  if (g->set_eq_fns[ek])
    return g->set_eq_fns[ek];
  fn = new_internal(g, names[ek], LLVMFunctionType(g->i1, pt, 4, 0));
  g->set_eq_fns[ek] = fn;
  g->fn = fn;
  et = ek_type(g, ek);
  pet = LLVMPointerType(et, 0);
  entry = block(g, "entry");
  loop = block(g, "loop");
  body = block(g, "body");
  next = block(g, "next");
  yes = block(g, "yes");
  no = block(g, "no");
  at(g, entry);
  a = LLVMBuildPointerCast(g->b, LLVMGetParam(fn, 0), pet, "");
  b = LLVMBuildPointerCast(g->b, LLVMGetParam(fn, 2), pet, "");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, LLVMGetParam(fn, 1),
                                      LLVMGetParam(fn, 3), ""),
                  loop, no);
  at(g, loop);
  i = LLVMBuildPhi(g->b, g->i64, "i");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGE, i,
                                      LLVMGetParam(fn, 1), ""),
                  yes, body);
  at(g, body);
  ea = index_ptr(g, et, a, i);
  eb = index_ptr(g, et, b, i);
  if (ek == EK_STR) {
    LLVMValueRef args[2] = {ea, eb};

    eq = LLVMBuildICmp(g->b, LLVMIntNE, helper(g, "rpol_str_eq", args, 2),
                       ci32(g, 0), "");
  } else if (ek == EK_MONEY) {
    eq = LLVMBuildAnd(
        g->b,
        LLVMBuildICmp(g->b, LLVMIntEQ,
                      load_field(g, g->money, ea, 0, g->i64),
                      load_field(g, g->money, eb, 0, g->i64), ""),
        LLVMBuildICmp(g->b, LLVMIntEQ,
                      load_field(g, g->money, ea, 1, g->i32),
                      load_field(g, g->money, eb, 1, g->i32), ""),
        "");
  } else {
    eq = LLVMBuildICmp(g->b, LLVMIntEQ, load(g, g->i64, ea),
                       load(g, g->i64, eb), "");
  }
  LLVMBuildCondBr(g->b, eq, next, no);
  at(g, next);
  inc = LLVMBuildAdd(g->b, i, ci64(g, 1), "");
  LLVMBuildBr(g->b, loop);
  vals[0] = ci64(g, 0);
  vals[1] = inc;
  bbs[0] = entry;
  bbs[1] = next;
  LLVMAddIncoming(i, vals, bbs, 2);
  at(g, yes);
  LLVMBuildRet(g->b, LLVMConstInt(g->i1, 1, 0));
  at(g, no);
  LLVMBuildRet(g->b, LLVMConstInt(g->i1, 0, 0));
  g->fn = saved_fn;
  if (saved)
    at(g, saved);
  return fn;
}

static struct val cg_compare(struct cg *g, const struct expr *e)
{
  const struct expr *l = e->u.bin.lhs, *r = e->u.bin.rhs;
  const struct type *lt = l->type, *rt = r->type;
  enum binary_op op = e->u.bin.op;
  int loc = loc_of(g, e->u.bin.op_span);
  struct val x, y, res = {0, 0};
  LLVMIntPredicate p;

  if (!lt || lt->kind == TY_NUMBER)
    lt = num_as(rt, &ty_int);
  if (!rt || rt->kind == TY_NUMBER)
    rt = lt;
  x = cg_expr_t(g, l, lt);
  y = cg_expr_t(g, r, rt);
  switch (op) {
  case BIN_EQ: p = LLVMIntEQ; break;
  case BIN_NE: p = LLVMIntNE; break;
  case BIN_LT: p = LLVMIntSLT; break;
  case BIN_LE: p = LLVMIntSLE; break;
  case BIN_GT: p = LLVMIntSGT; break;
  default: p = LLVMIntSGE; break;
  }
  switch (lt->kind) {
  case TY_MONEY:
    cur_check(g, x, y, loc);
    res.a = LLVMBuildICmp(g->b, p, x.a, y.a, "");
    return res;
  case TY_STRING: {
    LLVMValueRef sa = alloca_of(g, g->str, "s"), sb = alloca_of(g, g->str,
                                                               "s");
    LLVMValueRef args[2] = {sa, sb}, eq;

    store_field(g, g->str, sa, 0, x.a);
    store_field(g, g->str, sa, 1, x.b);
    store_field(g, g->str, sb, 0, y.a);
    store_field(g, g->str, sb, 1, y.b);
    if (op == BIN_EQ || op == BIN_NE) {
      eq = LLVMBuildICmp(g->b, LLVMIntNE,
                         helper(g, "rpol_str_eq", args, 2), ci32(g, 0), "");
      res.a = op == BIN_NE ? LLVMBuildNot(g->b, eq, "") : eq;
    } else {
      /* Not in the language (§3), but the interpreter orders strings by
       * code point; so does this. */
      res.a = LLVMBuildICmp(g->b, p, helper(g, "rpol_str_cmp", args, 2),
                            ci32(g, 0), "");
    }
    return res;
  }
  case TY_SET: case TY_EMPTYSET: {
    LLVMValueRef fn = set_eq_fn(g, elem_kind(lt->kind == TY_SET ? lt : rt));
    LLVMValueRef args[4] = {x.a, x.b, y.a, y.b};

    res.a = LLVMBuildCall2(g->b, LLVMGlobalGetValueType(fn), fn, args, 4,
                           "");
    if (op == BIN_NE)
      res.a = LLVMBuildNot(g->b, res.a, "");
    return res;
  }
  case TY_VERDICT:
    ice(g, "comparison of verdicts");
    res.a = LLVMConstInt(g->i1, 0, 0);
    return res;
  case TY_BOOL:
    if (op != BIN_EQ && op != BIN_NE)
      p = op == BIN_LT ? LLVMIntULT : op == BIN_LE ? LLVMIntULE
        : op == BIN_GT ? LLVMIntUGT : LLVMIntUGE;
    res.a = LLVMBuildICmp(g->b, p, x.a, y.a, "");
    return res;
  default:
    res.a = LLVMBuildICmp(g->b, p, x.a, y.a, "");
    return res;
  }
}

static struct val cg_logic(struct cg *g, const struct expr *e)
{
  int is_and = e->u.bin.op == BIN_AND;
  LLVMValueRef l = cg_bool(g, e->u.bin.lhs), r, phi;
  LLVMBasicBlockRef lbb = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef rhs = block(g, is_and ? "and.rhs" : "or.rhs");
  LLVMBasicBlockRef end = block(g, is_and ? "and.end" : "or.end");
  LLVMValueRef vals[2];
  LLVMBasicBlockRef bbs[2];
  struct val res = {0, 0};
  struct ksave *kn = known_save(g);

  if (is_and)
    LLVMBuildCondBr(g->b, l, rhs, end);
  else
    LLVMBuildCondBr(g->b, l, end, rhs);
  at(g, rhs);
  r = cg_bool(g, e->u.bin.rhs);
  known_join(g, kn);
  bbs[1] = LLVMGetInsertBlock(g->b);
  LLVMBuildBr(g->b, end);
  at(g, end);
  phi = LLVMBuildPhi(g->b, g->i1, "");
  vals[0] = LLVMConstInt(g->i1, is_and ? 0 : 1, 0);
  bbs[0] = lbb;
  vals[1] = r;
  LLVMAddIncoming(phi, vals, bbs, 2);
  res.a = phi;
  return res;
}

static int cannot_fail(const struct expr *e, int depth);

static struct val cg_arith(struct cg *g, const struct expr *e,
                           const struct type *t)
{
  const struct expr *l = e->u.bin.lhs, *r = e->u.bin.rhs;
  enum binary_op op = e->u.bin.op;
  int loc = loc_of(g, e->u.bin.op_span);
  const struct type *lt, *rt;
  struct val x, y, res = {0, 0};

  if (op == BIN_ADD || op == BIN_SUB) {
    /* Untyped operands of + and - take the result's type (money);
     * a date or duration partner keeps its own. */
    lt = num_as(l->type, num_as(r->type, t));
    rt = num_as(r->type, lt);
  } else {
    /* `*` and `/` make an int of untyped numbers (§14). */
    lt = num_as(l->type, &ty_int);
    rt = num_as(r->type, &ty_int);
  }
  x = cg_expr_t(g, l, lt);
  y = cg_expr_t(g, r, rt);
  switch (op) {
  case BIN_ADD:
    if (lt->kind == TY_MONEY && rt->kind == TY_MONEY) {
      cur_check(g, x, y, loc);
      res.a = arith2(g, "rpol_add", x.a, y.a, loc);
      res.b = x.b;
    } else if (lt->kind == TY_DATE && rt->kind != TY_DATE) {
      res.a = arith2(g, "rpol_date_add", x.a, y.a, loc);
    } else if (rt->kind == TY_DATE && lt->kind != TY_DATE) {
      res.a = arith2(g, "rpol_date_add", y.a, x.a, loc);
    } else {
      res.a = arith2(g, "rpol_add", x.a, y.a, loc);
    }
    return res;
  case BIN_SUB:
    if (lt->kind == TY_MONEY) {
      cur_check(g, x, y, loc);
      res.a = arith2(g, "rpol_sub", x.a, y.a, loc);
      res.b = x.b;
    } else if (lt->kind == TY_DATE && rt->kind != TY_DATE) {
      LLVMValueRef d = arith2(g, "rpol_sub", x.a, y.a, loc);

      res.a = arith2(g, "rpol_date_add", d, ci64(g, 0), loc);
    } else if (lt->kind == TY_DATE && cannot_fail(l, 0) &&
               cannot_fail(r, 0)) {
      /* Two dates of 0001-01-01..9999-12-31 (fields, literals, lets of
       * these: cannot_fail) are at most 3.7 million days apart: no
       * overflow test, so a let like `age` cannot fail in the code
       * either. */
      res.a = LLVMBuildNSWSub(g->b, x.a, y.a, "");
    } else {
      res.a = arith2(g, "rpol_sub", x.a, y.a, loc);
    }
    return res;
  case BIN_MUL:
    res.a = arith2(g, "rpol_mul", x.a, y.a, loc);
    if (lt->kind == TY_MONEY)
      res.b = x.b;
    else if (rt->kind == TY_MONEY)
      res.b = y.b;
    return res;
  case BIN_DIV:
    res.a = arith2(g, "rpol_div", x.a, y.a, loc);
    if (lt->kind == TY_MONEY)
      res.b = x.b;
    return res;
  default:
    ice(g, "binary operator %d", (int)op);
    return undef_val(g, t);
  }
}

static struct val cg_binary(struct cg *g, const struct expr *e,
                            const struct type *t)
{
  switch (e->u.bin.op) {
  case BIN_AND: case BIN_OR:
    return cg_logic(g, e);
  case BIN_EQ: case BIN_NE: case BIN_LT: case BIN_LE: case BIN_GT:
  case BIN_GE:
    return cg_compare(g, e);
  default:
    if (t && (t->kind == TY_SET || t->kind == TY_EMPTYSET))
      return sv_mat(g, cg_set(g, e));
    return cg_arith(g, e, t);
  }
}

static struct val cg_unary(struct cg *g, const struct expr *e,
                           const struct type *t)
{
  const struct expr *o = e->u.unary.operand;
  struct val x, res = {0, 0};

  if (e->u.unary.op == UN_NOT) {
    res.a = LLVMBuildNot(g->b, cg_bool(g, o), "");
    return res;
  }
  x = cg_expr_t(g, o, num_as(o->type, t));
  {
    LLVMValueRef args[1] = {x.a}, r;
    LLVMValueRef rc = helper_out(g, "rpol_neg", args, 1, &r);

    check_rc(g, rc, loc_of(g, e->span));
    res.a = r;
    res.b = x.b;
  }
  return res;
}

static struct val cg_if(struct cg *g, const struct expr *e,
                        const struct type *t)
{
  LLVMValueRef c = cg_bool(g, e->u.cond.cond);
  LLVMBasicBlockRef th = block(g, "then"), el = block(g, "else");
  LLVMBasicBlockRef end = block(g, "if.end");
  struct val vs[2];
  LLVMBasicBlockRef bbs[2];
  struct ksave *kn = known_save(g), *both;

  LLVMBuildCondBr(g->b, c, th, el);
  at(g, th);
  vs[0] = cg_expr_t(g, e->u.cond.then, num_as(e->u.cond.then->type, t));
  both = known_meet(g, NULL);
  known_restore(g, kn);
  bbs[0] = LLVMGetInsertBlock(g->b);
  LLVMBuildBr(g->b, end);
  at(g, el);
  vs[1] = cg_expr_t(g, e->u.cond.els, num_as(e->u.cond.els->type, t));
  both = known_meet(g, both);
  known_restore(g, both);
  bbs[1] = LLVMGetInsertBlock(g->b);
  LLVMBuildBr(g->b, end);
  at(g, end);
  return phi_vals(g, vs, bbs, 2);
}

static struct val cg_coalesce(struct cg *g, const struct expr *e,
                              const struct type *t)
{
  const struct expr *p = e->u.bin.lhs;
  const struct decl *d = p->ref.decl;
  LLVMValueRef present;
  struct ksave *kn;
  LLVMBasicBlockRef no, end;
  struct val vs[2];
  LLVMBasicBlockRef bbs[2];

  if (p->kind != EX_PATH || !d || d->kind != D_INPUT)
    return cg_expr_t(g, p, t);     /* never missing: as the interpreter */
  if (field_always_present(d))
    return read_field(g, p, t);
  present = present_here(g, d->u.input.slot);
  vs[0] = field_here(g, d->u.input.slot,
                     d->u.input.type ? d->u.input.type : t);
  no = block(g, "fallback"), end = block(g, "cv");
  bbs[0] = LLVMGetInsertBlock(g->b);
  LLVMBuildCondBr(g->b, present, end, no);
  at(g, no);
  kn = known_save(g);
  vs[1] = cg_expr_t(g, e->u.bin.rhs, num_as(e->u.bin.rhs->type, t));
  known_join(g, kn);
  bbs[1] = LLVMGetInsertBlock(g->b);
  LLVMBuildBr(g->b, end);
  at(g, end);
  return phi_vals(g, vs, bbs, 2);
}

static LLVMValueRef str_tmp(struct cg *g, struct val s)
{
  LLVMValueRef p = alloca_of(g, g->str, "s");

  store_field(g, g->str, p, 0, s.a);
  store_field(g, g->str, p, 1, s.b);
  return p;
}

static LLVMValueRef strlen_fn(struct cg *g)
{
  LLVMTypeRef fty;
  LLVMBasicBlockRef entry, loop, done;
  LLVMBuilderRef b;
  LLVMValueRef fn, s, i, phi, c, next, one;

  if (g->strlen_fn)
    return g->strlen_fn;
  fty = LLVMFunctionType(g->i64, &g->p8, 1, 0);
  fn = new_internal(g, "rpol.strlen", fty);
  b = LLVMCreateBuilderInContext(g->ctx);
  entry = LLVMAppendBasicBlockInContext(g->ctx, fn, "entry");
  loop = LLVMAppendBasicBlockInContext(g->ctx, fn, "loop");
  done = LLVMAppendBasicBlockInContext(g->ctx, fn, "done");
  s = LLVMGetParam(fn, 0);
  LLVMPositionBuilderAtEnd(b, entry);
  LLVMBuildBr(b, loop);
  LLVMPositionBuilderAtEnd(b, loop);
  phi = LLVMBuildPhi(b, g->i64, "i");
  i = phi;
  c = LLVMBuildLoad2(b, g->i8, LLVMBuildInBoundsGEP2(b, g->i8, s, &i, 1, ""),
                     "");
  one = ci64(g, 1);
  next = LLVMBuildAdd(b, i, one, "");
  LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntEQ, c, ci8(g, 0), ""), done,
                  loop);
  {
    LLVMValueRef vals[2] = {ci64(g, 0), next};
    LLVMBasicBlockRef bbs[2] = {entry, loop};

    LLVMAddIncoming(phi, vals, bbs, 2);
  }
  LLVMPositionBuilderAtEnd(b, done);
  LLVMBuildRet(b, i);
  LLVMDisposeBuilder(b);
  g->strlen_fn = fn;
  return fn;
}

/* The C ABI of §9: bool int, int int64_t, string const char *, date
 * int32_t. */
static LLVMTypeRef extern_abi_type(struct cg *g, const struct type *t)
{
  switch (t ? t->kind : TY_INT) {
  case TY_BOOL: case TY_DATE: return g->i32;
  case TY_STRING: return g->p8;
  default: return g->i64;
  }
}

static struct val cg_extern_call(struct cg *g, const struct expr *e,
                                 const struct type *t)
{
  const struct decl *d = e->ref.decl;
  int n = e->u.call.nargs, i, idx, loc = loc_of(g, e->u.call.name_span);
  LLVMValueRef *args, tab, fp, raw, ok;
  LLVMTypeRef *pt, fty, rt;
  struct val res = {0, 0};

  args = cg_alloc(g, (size_t)(n + 1) * sizeof *args);
  pt = cg_alloc(g, (size_t)(n + 1) * sizeof *pt);
  if (!args || !pt)
    return undef_val(g, t);
  for (i = 0; i < n && i < d->u.fn.nparams; i++) {
    const struct type *ptype = d->u.fn.params[i].type;
    struct val v = cg_expr_t(g, e->u.call.args[i],
                             num_as(e->u.call.args[i]->type, ptype));

    pt[i] = extern_abi_type(g, ptype);
    switch (ptype ? ptype->kind : TY_INT) {
    case TY_BOOL: args[i] = LLVMBuildZExt(g->b, v.a, g->i32, ""); break;
    case TY_DATE: args[i] = LLVMBuildTrunc(g->b, v.a, g->i32, ""); break;
    case TY_STRING:
      /* A slot may hold an empty string as NULL; hosts get "". */
      args[i] = LLVMBuildSelect(g->b, LLVMBuildIsNull(g->b, v.a, ""),
                                const_string(g, "", 0), v.a, "");
      break;
    default: args[i] = v.a; break;
    }
  }
  if (i != n) {
    ice(g, "extern %s called with %d arguments", d->name, n);
    return undef_val(g, t);
  }
  idx = layout_extern(g->L, d->name);
  if (idx < 0) {
    ice(g, "extern %s has no layout number", d->name);
    return undef_val(g, t);
  }
  tab = load_field(g, g->env, g->envp, EV_EXTERNS, g->pp8);
  raw = load(g, g->p8, index_ptr(g, g->p8, tab, ci64(g, idx)));
  ok = LLVMBuildIsNull(g->b, raw, "");
  fail_if(g, ok, ci32(g, RPOL_E_UNBOUND_EXTERN), loc);
  rt = extern_abi_type(g, d->u.fn.result);
  fty = LLVMFunctionType(rt, pt, (unsigned)n, 0);
  fp = LLVMBuildPointerCast(g->b, raw, LLVMPointerType(fty, 0), "");
  res.a = LLVMBuildCall2(g->b, fty, fp, args, (unsigned)n, "");
  switch (d->u.fn.result ? d->u.fn.result->kind : TY_INT) {
  case TY_BOOL:
    res.a = LLVMBuildICmp(g->b, LLVMIntNE, res.a, ci32(g, 0), "");
    break;
  case TY_DATE:
    /* A date outside 0001..9999 from the host is an overflow there. */
    res.a = LLVMBuildSExt(g->b, res.a, g->i64, "");
    fail_if(g, LLVMBuildOr(g->b,
                           LLVMBuildICmp(g->b, LLVMIntSLT, res.a,
                                         ci64(g, RPOL_DATE_MIN), ""),
                           LLVMBuildICmp(g->b, LLVMIntSGT, res.a,
                                         ci64(g, RPOL_DATE_MAX), ""), ""),
            ci32(g, RPOL_E_OVERFLOW), loc);
    break;
  case TY_STRING: {
    /* A NULL string from the host reads as "". */
    LLVMValueRef empty = const_string(g, "", 0), p, len;
    LLVMValueRef sl = strlen_fn(g);

    p = LLVMBuildSelect(g->b, LLVMBuildIsNull(g->b, res.a, ""), empty,
                        res.a, "");
    len = LLVMBuildCall2(g->b, LLVMGlobalGetValueType(sl), sl, &p, 1, "");
    res.a = p;
    res.b = len;
    break;
  }
  default:
    break;
  }
  return res;
}

static struct val cg_fn_call(struct cg *g, const struct expr *e,
                             const struct type *t)
{
  const struct decl *d = e->ref.decl;
  LLVMValueRef fn = fn_fn(g, d), *args, oa, ob = NULL, rc;
  int n = e->u.call.nargs, i;
  unsigned k = 0;
  const struct type *rt = d->u.fn.result;
  struct val res = {0, 0};

  args = cg_alloc(g, (size_t)(2 * n + 8) * sizeof *args);
  if (!fn || !args)
    return undef_val(g, t);
  if (n != d->u.fn.nparams) {
    ice(g, "fn %s called with %d arguments", d->name, n);
    return undef_val(g, t);
  }
  args[k++] = g->in;
  args[k++] = g->resp;
  args[k++] = g->envp;
  args[k++] = g->fr;
  for (i = 0; i < n; i++) {
    const struct type *pt = d->u.fn.params[i].type;
    struct val v = cg_expr_t(g, e->u.call.args[i],
                             num_as(e->u.call.args[i]->type, pt));

    args[k++] = v.a;
    if (type_b(g, pt))
      args[k++] = v.b;
  }
  oa = alloca_of(g, type_a(g, rt), "ra");
  args[k++] = oa;
  if (type_b(g, rt)) {
    ob = alloca_of(g, type_b(g, rt), "rb");
    args[k++] = ob;
  }
  rc = LLVMBuildCall2(g->b, LLVMGlobalGetValueType(fn), fn, args, k, "");
  propagate(g, rc);
  res.a = load(g, type_a(g, rt), oa);
  if (ob)
    res.b = load(g, type_b(g, rt), ob);
  return res;
}

static struct val str_args_call(struct cg *g, const char *name,
                                const struct expr *e)
{
  struct val s = cg_expr(g, e->u.call.args[0]);
  struct val p = cg_expr(g, e->u.call.args[1]);
  LLVMValueRef args[2] = {str_tmp(g, s), str_tmp(g, p)};
  struct val res = {0, 0};

  res.a = LLVMBuildICmp(g->b, LLVMIntNE, helper(g, name, args, 2),
                        ci32(g, 0), "");
  return res;
}

static struct val cg_builtin(struct cg *g, const struct expr *e,
                             const struct type *t)
{
  int loc = loc_of(g, e->u.call.name_span), n = e->u.call.nargs;
  struct expr **a = e->u.call.args;
  struct val x, y, res = {0, 0};
  enum builtin bi = e->ref.builtin;
  int need = bi == BI_ABS || bi == BI_PRESENT || bi == BI_TO_DAYS ||
             bi == BI_WEEKDAY ? 1 : 2;

  if (n != need) {
    ice(g, "built-in %s called with %d arguments", e->u.call.name, n);
    return undef_val(g, t);
  }
  switch (bi) {
  case BI_MIN: case BI_MAX: {
    const struct type *at_ = num_as(a[0]->type, num_as(a[1]->type, t));

    x = cg_expr_t(g, a[0], at_);
    y = cg_expr_t(g, a[1], num_as(a[1]->type, at_));
    if (at_->kind == TY_MONEY)
      cur_check(g, x, y, loc);
    res.a = LLVMBuildSelect(
        g->b,
        LLVMBuildICmp(g->b, bi == BI_MIN ? LLVMIntSLE : LLVMIntSGE, x.a,
                      y.a, ""),
        x.a, y.a, "");
    res.b = x.b;
    return res;
  }
  case BI_ABS: {
    LLVMValueRef args[1], r, rc, neg;

    x = cg_expr_t(g, a[0], num_as(a[0]->type, t));
    args[0] = x.a;
    neg = LLVMBuildICmp(g->b, LLVMIntSLT, x.a, ci64(g, 0), "");
    rc = helper_out(g, "rpol_neg", args, 1, &r);
    check_rc(g, rc, loc);
    res.a = LLVMBuildSelect(g->b, neg, r, x.a, "");
    res.b = x.b;
    return res;
  }
  case BI_PRESENT:
    res.a = field_present(g, a[0]);
    return res;
  case BI_STARTS_WITH:
    return str_args_call(g, "rpol_starts_with", e);
  case BI_ENDS_WITH:
    return str_args_call(g, "rpol_ends_with", e);
  case BI_CONTAINS:
    return str_args_call(g, "rpol_contains", e);
  case BI_TO_DAYS:
    return cg_expr(g, a[0]);
  case BI_ROUND:
    x = cg_expr_t(g, a[0], num_as(a[0]->type, &ty_money));
    y = cg_expr_t(g, a[1], num_as(a[1]->type, &ty_money));
    cur_check(g, x, y, loc);
    res.a = arith2(g, "rpol_round_to", x.a, y.a, loc);
    res.b = x.b;
    return res;
  case BI_WEEKDAY: {
    LLVMValueRef args[1];

    x = cg_expr(g, a[0]);
    args[0] = x.a;
    res.a = LLVMBuildSExt(g->b, helper(g, "rpol_weekday", args, 1), g->i64,
                          "");
    return res;
  }
  case BI_ADD_BUSINESS_DAYS:
    x = cg_expr(g, a[0]);
    y = cg_expr_t(g, a[1], num_as(a[1]->type, &ty_int));
    res.a = arith2(g, "rpol_add_business_days", x.a, y.a, loc);
    return res;
  default:
    ice(g, "unknown built-in %s", e->u.call.name);
    return undef_val(g, t);
  }
}

static struct val cg_call(struct cg *g, const struct expr *e,
                          const struct type *t)
{
  switch (e->ref.kind) {
  case REF_BUILTIN: return cg_builtin(g, e, t);
  case REF_FN: return cg_fn_call(g, e, t);
  case REF_EXTERN: return cg_extern_call(g, e, t);
  default:
    ice(g, "call of %s is unresolved", e->u.call.name);
    return undef_val(g, t);
  }
}

static void gen_value(struct cg *g, int f, struct val v);

/* Computes let i into the frame where this path may not have yet: code
 * of the function itself, with a memo test only where some paths to here
 * computed it and others did not (KN_MAYBE).  Where none did (KN_NO), the
 * code runs straight, so that what it computed stays known after it: a
 * chain of lets each reading the one before is computed in one pass. */
/* Where some paths have computed the value at frame flag field f and
 * others have not: branch on the flag, and continue where it is clear.
 * Returns the block to join at once the value is computed; *kn keeps what
 * was known before, for known_join there. */
static LLVMBasicBlockRef memo_guard(struct cg *g, int f, const char *joined,
                                    const char *compute, struct ksave **kn)
{
  LLVMBasicBlockRef done = block(g, joined), fresh = block(g, compute);

  LLVMBuildCondBr(g->b,
                  LLVMBuildICmp(g->b, LLVMIntNE,
                                load_field(g, g->frame, g->fr, (unsigned)f,
                                           g->i8),
                                ci8(g, 0), ""),
                  done, fresh);
  at(g, fresh);
  *kn = known_save(g);
  return done;
}

/* Whether evaluating e can neither fail nor touch anything but the
 * frame: literals, always-present fields, `??`, comparisons and logic on
 * scalars that are not money (money compares currencies), membership in a
 * constant set, and the difference of two dates (day numbers of years
 * 1-9999 cannot overflow).  Lets built of these only. */
static int cannot_fail(const struct expr *e, int depth)
{
  enum type_kind tk;

  if (!e || depth > 32)
    return 0;
  if (e->expansion)
    return cannot_fail(e->expansion, depth + 1);
  tk = e->type ? e->type->kind : TY_ERROR;
  switch (e->kind) {
  case EX_INT:
  case EX_DEC:
    return tk != TY_MONEY;      /* a bare number as money may be inexact */
  case EX_BOOL:
  case EX_DATE:
  case EX_DURATION:
  case EX_STRING:
  case EX_QUALIFIED:
    return 1;
  case EX_NAME:
    switch (e->ref.kind) {
    case REF_LET:
      return e->ref.decl->u.value.type->kind != TY_SET &&
             cannot_fail(e->ref.decl->u.value.init, depth + 1);
    case REF_MEMBER:
    case REF_COUNTRY:
    case REF_CURRENCY:
      return 1;
    default:
      return 0;
    }
  case EX_PATH:
    return e->ref.kind == REF_FIELD && tk != TY_SET &&
           field_always_present(e->ref.decl);
  case EX_COALESCE:
    return tk != TY_SET && cannot_fail(e->u.bin.rhs, depth + 1);
  case EX_UNARY:
    return e->u.unary.op == UN_NOT &&
           cannot_fail(e->u.unary.operand, depth + 1);
  case EX_BINARY: {
    const struct expr *l = e->u.bin.lhs, *r = e->u.bin.rhs;
    enum type_kind lk = l->type ? l->type->kind : TY_ERROR;

    switch (e->u.bin.op) {
    case BIN_AND:
    case BIN_OR:
      break;
    case BIN_SUB:
      if (lk != TY_DATE || tk != TY_DURATION)
        return 0;
      break;
    case BIN_EQ: case BIN_NE: case BIN_LT: case BIN_LE: case BIN_GT:
    case BIN_GE:
      if (lk == TY_MONEY || lk == TY_SET || lk == TY_NUMBER ||
          lk == TY_ERROR || lk == TY_VERDICT)
        return 0;
      break;
    default:
      return 0;
    }
    return cannot_fail(l, depth + 1) && cannot_fail(r, depth + 1);
  }
  case EX_IN:
    return e->u.in.set->is_const && e->u.in.elem->type &&
           (e->u.in.elem->type->kind == TY_ENUM ||
            e->u.in.elem->type->kind == TY_COUNTRY ||
            e->u.in.elem->type->kind == TY_CURRENCY) &&
           cannot_fail(e->u.in.elem, depth + 1);
  default:
    return 0;
  }
}

/* How many of the cases' conditions read let d directly. */
static int refs_in(const struct expr *e, const struct decl *d, int depth)
{
  if (!e || depth > 64)
    return 0;
  switch (e->kind) {
  case EX_NAME:
    return e->ref.kind == REF_LET && e->ref.decl == d;
  case EX_UNARY:
    return refs_in(e->u.unary.operand, d, depth + 1);
  case EX_BINARY:
  case EX_OF:
  case EX_COALESCE:
    return refs_in(e->u.bin.lhs, d, depth + 1) +
           refs_in(e->u.bin.rhs, d, depth + 1);
  case EX_IN:
    return refs_in(e->u.in.elem, d, depth + 1) +
           refs_in(e->u.in.set, d, depth + 1);
  case EX_IF:
    return refs_in(e->u.cond.cond, d, depth + 1) +
           refs_in(e->u.cond.then, d, depth + 1) +
           refs_in(e->u.cond.els, d, depth + 1);
  default:
    return 0;
  }
}

static void emit_let(struct cg *g, int i);

/* A let or output read where some paths computed it and others did not
 * gets a copy of its code there, behind its memo flag.  Copies nest (a
 * copy of an output copies the lets it reads), so a policy whose big
 * lets are read in many such places grew without bound: a generated
 * 840-line policy made an evaluator of 147,000 instructions that LLVM
 * took 70 s to optimise.  So a let or output whose code weighs more than
 * this many expression nodes (what it reads counted in) is copied once;
 * its other reads call a function of its own computing it on the frame
 * (rpol.let.P.I, or rpol.out.P.K as for big outputs).  Small ones stay
 * inline, where the frame can live in registers. */
#define CG_COPY_WEIGHT 64

static long weight_of(struct cg *g, int idx, int depth);

static long weight_expr(struct cg *g, const struct expr *e, int depth)
{
  long w = 1;
  int i;

  if (!e || depth > 256)
    return 1;
  if (e->expansion)
    return weight_expr(g, e->expansion, depth + 1);
  switch (e->kind) {
  case EX_NAME:
    if (e->ref.kind == REF_LET) {
      int li = e->ref.decl->u.value.index;

      if (li >= 0 && li < g->prog->nlets && g->prog->lets[li] == e->ref.decl)
        w += weight_of(g, li, depth + 1);
    } else if (e->ref.kind == REF_OUTPUT) {
      int k = e->ref.decl->u.output.index;

      if (k >= 0 && k < g->prog->noutputs &&
          g->prog->outputs[k] == e->ref.decl)
        w += weight_of(g, g->prog->nlets + k, depth + 1);
    }
    break;
  case EX_UNARY:
    w += weight_expr(g, e->u.unary.operand, depth + 1);
    break;
  case EX_BINARY:
  case EX_OF:
  case EX_COALESCE:
    w += weight_expr(g, e->u.bin.lhs, depth + 1) +
         weight_expr(g, e->u.bin.rhs, depth + 1);
    break;
  case EX_IN:
    w += weight_expr(g, e->u.in.elem, depth + 1) +
         weight_expr(g, e->u.in.set, depth + 1);
    break;
  case EX_IF:
    w += weight_expr(g, e->u.cond.cond, depth + 1) +
         weight_expr(g, e->u.cond.then, depth + 1) +
         weight_expr(g, e->u.cond.els, depth + 1);
    break;
  case EX_CALL:
    for (i = 0; i < e->u.call.nargs; i++)
      w += weight_expr(g, e->u.call.args[i], depth + 1);
    break;
  case EX_SET:
    for (i = 0; i < e->u.set.n; i++)
      w += weight_expr(g, e->u.set.elems[i], depth + 1);
    break;
  default:
    break;
  }
  return w < CG_COPY_WEIGHT * 1024L ? w : CG_COPY_WEIGHT * 1024L;
}

/* The weight of let idx, or of output idx - nlets (memoised; a cycle,
 * which sema rejects, would weigh as heavy). */
static long weight_of(struct cg *g, int idx, int depth)
{
  const struct program *p = g->prog;
  long w = 0;
  int c;

  if (!g->weight || idx < 0 || idx >= p->nlets + p->noutputs)
    return CG_COPY_WEIGHT + 1;
  if (g->weight[idx])
    return g->weight[idx];
  g->weight[idx] = CG_COPY_WEIGHT + 1;
  if (idx < p->nlets) {
    w = weight_expr(g, p->lets[idx]->u.value.init, depth);
  } else {
    const struct decl *d = p->outputs[idx - p->nlets];
    const struct decl *dec = d->u.output.decided_by;

    if (dec)
      for (c = 0; c < dec->u.decide.ncases; c++)
        w += weight_expr(g, dec->u.decide.cases[c]->cond, depth) +
             weight_expr(g, dec->u.decide.cases[c]->value, depth);
    else
      w = weight_expr(g, d->u.output.deflt, depth);
  }
  if (w < 1)
    w = 1;
  g->weight[idx] = w < CG_COPY_WEIGHT * 1024L ? w : CG_COPY_WEIGHT * 1024L;
  return g->weight[idx];
}

/* Whether this read of let or output idx calls its function instead of
 * copying its code (see CG_COPY_WEIGHT); counts the copy otherwise. */
static int copy_elsewhere(struct cg *g, int idx)
{
  if (!g->copies || !g->fr)
    return 0;
  if (g->copies[idx] > 0 && weight_of(g, idx, 0) > CG_COPY_WEIGHT)
    return 1;
  g->copies[idx]++;
  return 0;
}

/* Computes let or output idx (an index of `known`) by calling *fn, a
 * function of its own on the caller's frame, rpol.KIND.P.I (made here when
 * first needed, generated after the evaluator).  What the function may
 * have computed besides is unknown to the caller after it. */
static void call_frame_fn(struct cg *g, LLVMValueRef *fn, const char *kind,
                          int i, int idx)
{
  LLVMTypeRef pt[4] = {g->pslot, g->pres, g->penv, g->pframe};
  LLVMValueRef args[4], rc;
  int k;

  if (!*fn) {
    static const char noinline[] = "noinline";
    unsigned ak = LLVMGetEnumAttributeKindForName(noinline,
                                                  sizeof noinline - 1);
    char name[64];

    snprintf(name, sizeof name, "rpol.%s.%d.%d", kind, g->pindex, i);
    *fn = new_internal(g, name, LLVMFunctionType(g->i32, pt, 4, 0));
    LLVMAddAttributeAtIndex(*fn, LLVMAttributeFunctionIndex,
                            LLVMCreateEnumAttribute(g->ctx, ak, 0));
  }
  args[0] = g->in;
  args[1] = g->resp;
  args[2] = g->envp;
  args[3] = g->fr;
  rc = LLVMBuildCall2(g->b, LLVMGlobalGetValueType(*fn), *fn, args, 4, "");
  propagate(g, rc);
  for (k = 0; k < g->nknown; k++)
    if (g->known[k] == KN_NO)
      g->known[k] = KN_MAYBE;
  if (g->known)
    g->known[idx] = KN_YES;
}

/* Cases of a decide block from which a let read in two or more of its
 * conditions is computed before the first case, when it cannot fail:
 * otherwise each case that reads it where earlier cases may or may not
 * have computed it repeats its code behind a memo test (in a generated
 * 1,000-case block, most of the block's code: 3,000 cases build in 5.6 s
 * instead of 12.6).  Below this size the memo tests cost less than
 * computing a let that the deciding case may not read (bench/policy.rpol:
 * +1.6% instructions per decision with 8). */
#define CG_EAGER_LET_CASES 32

static void eager_lets(struct cg *g, const struct decl *dec)
{
  int i, c, n;

  if (!g->known || dec->u.decide.ncases < CG_EAGER_LET_CASES)
    return;
  for (i = 0; i < g->prog->nlets; i++) {
    const struct decl *d = g->prog->lets[i];

    if (g->known[i] == KN_YES || d->u.value.type->kind == TY_NUMBER ||
        d->u.value.type->kind == TY_SET)
      continue;
    for (n = 0, c = 0; c < dec->u.decide.ncases && n < 2; c++)
      if (refs_in(dec->u.decide.cases[c]->cond, d, 0))
        n++;
    if (n >= 2 && cannot_fail(d->u.value.init, 0))
      emit_let(g, i);
  }
}

/* A let that cannot fail and weighs at most this many expression nodes
 * (what it reads counted in: `age = request.date - (order.delivered_at ??
 * request.date)` weighs 6) has no memo flag that is ever tested: where
 * some paths to a read computed it and others did not, the read computes
 * it again.  Its flag and value then no longer live across the code
 * after the paths join, where they took registers or stack slots
 * (bench/policy.rpol: 171.0 -> 161.9 instructions per decision; with 3,
 * `faulty` and `opened` only, 166.2). */
#define CG_RECOMPUTE_WEIGHT 8

static void emit_let(struct cg *g, int i)
{
  const struct decl *d = g->prog->lets[i];
  const struct type *t = num_as(d->u.value.type, &ty_int);
  int f = g->let_field[i];
  int st = g->known ? g->known[i] : KN_MAYBE;
  LLVMBasicBlockRef done = NULL;
  struct ksave *kn = NULL;

  if (st == KN_YES)
    return;
  if (g->let_fns && g->fn != g->let_fns[i] && copy_elsewhere(g, i)) {
    call_frame_fn(g, &g->let_fns[i], "let", i, i);
    return;
  }
  /* A light let that cannot fail is computed again where some paths
   * have not computed it, instead of behind its memo flag: as cheap as
   * the test, and the flag and the value need not live on from the
   * paths that did (see CG_RECOMPUTE_WEIGHT). */
  if (st == KN_MAYBE && !(cannot_fail(d->u.value.init, 0) &&
                          weight_of(g, i, 0) <= CG_RECOMPUTE_WEIGHT))
    done = memo_guard(g, f, "let.done", "let", &kn);
  gen_value(g, f, cg_expr_t(g, d->u.value.init,
                            num_as(d->u.value.init->type, t)));
  if (done) {
    LLVMBuildBr(g->b, done);
    at(g, done);
    known_join(g, kn);
  }
  if (g->known)
    g->known[i] = KN_YES;
}

/* Stores a computed value in the frame at flag field f, then the flag. */
static void gen_value(struct cg *g, int f, struct val v)
{
  store_field(g, g->frame, g->fr, (unsigned)f + 1, v.a);
  if (v.b)
    store_field(g, g->frame, g->fr, (unsigned)f + 2, v.b);
  store_field(g, g->frame, g->fr, (unsigned)f, ci8(g, 1));
}

static struct val read_let(struct cg *g, const struct decl *d,
                           const struct type *t)
{
  int i = d->u.value.index, f;
  const struct type *lt = d->u.value.type;
  struct val v = {0, 0};

  if (i < 0 || i >= g->prog->nlets || g->prog->lets[i] != d) {
    ice(g, "let %s is not in the program", d->name);
    return undef_val(g, t);
  }
  if (!g->fr) {
    ice(g, "let %s read outside a decision", d->name);
    return undef_val(g, t);
  }
  lt = num_as(lt, &ty_int);       /* as build_frame laid it out */
  emit_let(g, i);
  f = g->let_field[i];
  v.a = load_field(g, g->frame, g->fr, (unsigned)f + 1, type_a(g, lt));
  if (type_b(g, lt))
    v.b = load_field(g, g->frame, g->fr, (unsigned)f + 2, type_b(g, lt));
  return v;
}

/* Output k's value as the frame holds it (decided: see gen_output). */
static struct val out_frame_val(struct cg *g, int k)
{
  const struct type *t = num_as(g->prog->outputs[k]->u.output.type,
                                &ty_int);
  int f = g->out_field[k];
  struct val v = {0, 0};

  v.a = load_field(g, g->frame, g->fr, (unsigned)f + 1, type_a(g, t));
  if (type_b(g, t))
    v.b = load_field(g, g->frame, g->fr, (unsigned)f + 2, type_b(g, t));
  return v;
}

static void emit_output(struct cg *g, int k);

static struct val read_output(struct cg *g, const struct decl *d,
                              const struct type *t)
{
  int k = d->u.output.index;

  if (k < 0 || k >= g->prog->noutputs || g->out_field[k] < 0) {
    ice(g, "output %s is read but never decided", d->name);
    return undef_val(g, t);
  }
  if (!g->fr) {
    ice(g, "output %s read outside a decision", d->name);
    return undef_val(g, t);
  }
  emit_output(g, k);
  return out_frame_val(g, k);
}

static struct val cg_name(struct cg *g, const struct expr *e,
                          const struct type *t)
{
  const struct expr_ref *r = &e->ref;
  struct val v = {0, 0};

  switch (r->kind) {
  case REF_PARAM:
    if (!g->params || !g->fndecl || r->index < 0 ||
        r->index >= g->fndecl->u.fn.nparams) {
      ice(g, "parameter %s outside its function",
          e->kind == EX_NAME ? e->u.name : "?");
      return undef_val(g, t);
    }
    return g->params[r->index];
  case REF_LET:
    return read_let(g, r->decl, t);
  case REF_CONST: case REF_REGION:
    return cg_expr_t(g, r->decl->u.value.init,
                     num_as(r->decl->u.value.init->type, t));
  case REF_OUTPUT:
    return read_output(g, r->decl, t);
  case REF_MEMBER: case REF_COUNTRY: case REF_CURRENCY:
    v.a = ci64(g, r->index);
    return v;
  case REF_FIELD:
    if (r->decl && r->decl->kind == D_INPUT)
      return read_field(g, e, t);
    break;
  default:
    break;
  }
  ice(g, "name %s is unresolved", e->kind == EX_NAME ? e->u.name : "?");
  return undef_val(g, t);
}

static struct val cg_expr_t(struct cg *g, const struct expr *e,
                            const struct type *t)
{
  struct val v = {0, 0};
  int k;

  if (!e) {
    ice(g, "missing expression");
    return undef_val(g, t);
  }
  for (k = 0; k < g->nsubst; k++)
    if (g->subst_e[k] == e) {
      v.a = g->subst_v[k];
      return v;
    }
  if (e->expansion)
    return cg_expr_t(g, e->expansion, num_as(e->expansion->type, t));
  t = num_as(e->type, t);
  switch (e->kind) {
  case EX_INT: case EX_DEC: {
    int64_t m = e->u.num.mant;
    int i, exact = 1;

    if (t->kind == TY_MONEY || e->from_number)
      return number_money(g, e);
    /* An int written with decimals (`2.0`) must be whole. */
    for (i = 0; i < e->u.num.scale && exact; i++) {
      exact = m % 10 == 0;
      m /= 10;
    }
    if (!exact)
      fail_if(g, LLVMConstInt(g->i1, 1, 0), ci32(g, RPOL_E_INEXACT_AMOUNT),
              loc_of(g, e->span));
    v.a = ci64(g, m);
    return v;
  }
  case EX_MONEY:
    v.a = ci64(g, e->u.money.minor);
    v.b = ci32(g, e->u.money.cur);
    return v;
  case EX_PERCENT: {
    int s = e->u.num.scale;
    int64_t m = e->u.num.mant;

    for (; s < 4; s++)
      m *= 10;               /* at most 1,000,000% (§1): no overflow */
    v.a = ci64(g, m);
    return v;
  }
  case EX_DURATION: case EX_DATE:
    v.a = ci64(g, e->u.days);
    return v;
  case EX_STRING: {
    size_t n = (size_t)e->str_len;

    v.a = const_string(g, e->u.str, n);
    v.b = ci64(g, (long long)n);
    return v;
  }
  case EX_BOOL:
    v.a = LLVMConstInt(g->i1, e->u.b ? 1 : 0, 0);
    return v;
  case EX_VERDICT:
    v.a = ci32(g, (int)e->u.verdict.kind);
    v.b = ci32(g, e->u.verdict.code ? layout_code(g->L, e->u.verdict.code)
                                    : -1);
    return v;
  case EX_NAME: case EX_QUALIFIED:
    return cg_name(g, e, t);
  case EX_PATH:
    return read_field(g, e, t);
  case EX_UNARY:
    return cg_unary(g, e, t);
  case EX_BINARY:
    return cg_binary(g, e, t);
  case EX_IN: {
    const struct expr *se = e->u.in.set;
    const struct type *et = se->type && se->type->kind == TY_SET
                                ? se->type->elem : NULL;
    struct val x = cg_expr_t(g, e->u.in.elem, num_as(e->u.in.elem->type,
                                                     et));
    struct setv *sv = cg_set(g, se);

    if (!sv)
      return undef_val(g, t);
    v.a = sv_has(g, sv, x,
                 et && et->kind == TY_COUNTRY ? RPOL_NCOUNTRY_CODES : 0);
    if (e->u.in.negated)
      v.a = LLVMBuildNot(g->b, v.a, "");
    return v;
  }
  case EX_OF: {
    struct val p = cg_expr(g, e->u.bin.lhs);
    struct val m = cg_expr_t(g, e->u.bin.rhs,
                             num_as(e->u.bin.rhs->type, &ty_money));

    v.a = percent_of(g, p.a, m.a, loc_of(g, e->u.bin.op_span));
    v.b = m.b;
    return v;
  }
  case EX_COALESCE:
    return cg_coalesce(g, e, t);
  case EX_IF:
    return cg_if(g, e, t);
  case EX_CALL:
    return cg_call(g, e, t);
  case EX_SET: {
    struct setv *sv = cg_set(g, e);

    return sv ? sv_mat(g, sv) : undef_val(g, t);
  }
  }
  ice(g, "expression kind %d", (int)e->kind);
  return undef_val(g, t);
}

/* ------------------------------------------------------------ sets */

static struct setv *new_setv(struct cg *g, int kind, int ek, struct span sp)
{
  struct setv *sv = cg_alloc(g, sizeof *sv);

  if (sv) {
    sv->kind = kind;
    sv->ek = ek;
    sv->span = sp;
  }
  return sv;
}

/* Bools are stored in sets as 0/1 int64s. */
static LLVMValueRef as_i64(struct cg *g, LLVMValueRef v)
{
  if (LLVMTypeOf(v) == g->i64)
    return v;
  return LLVMBuildZExt(g->b, v, g->i64, "");
}

static struct setv *cg_set(struct cg *g, const struct expr *e)
{
  int ek;
  struct setv *sv;

  if (e->expansion)
    return cg_set(g, e->expansion);
  ek = elem_kind(e->type);
  if (e->kind == EX_SET) {
    const struct type *et = e->type && e->type->kind == TY_SET
                                ? e->type->elem : NULL;
    int i;

    sv = new_setv(g, SV_LIST, ek, e->span);
    if (!sv)
      return NULL;
    sv->n = e->u.set.n;
    sv->el = cg_alloc(g, (size_t)(sv->n + 1) * sizeof *sv->el);
    if (!sv->el)
      return NULL;
    if (ek == EK_STR) {
      sv->str = cg_alloc(g, (size_t)(sv->n + 1) * sizeof *sv->str);
      if (!sv->str)
        return NULL;
    }
    for (i = 0; i < sv->n; i++) {
      const struct expr *x = e->u.set.elems[i];

      sv->el[i] = cg_expr_t(g, x, num_as(x->type, et));
      while (x->expansion)
        x = x->expansion;
      if (sv->str && x->kind == EX_STRING)
        sv->str[i] = x;
    }
    return sv;
  }
  if (e->kind == EX_BINARY &&
      (e->u.bin.op == BIN_ADD || e->u.bin.op == BIN_SUB)) {
    sv = new_setv(g, e->u.bin.op == BIN_ADD ? SV_UNION : SV_DIFF, ek,
                  e->u.bin.op_span);
    if (!sv)
      return NULL;
    sv->l = cg_set(g, e->u.bin.lhs);
    sv->r = cg_set(g, e->u.bin.rhs);
    if (!sv->l || !sv->r)
      return NULL;
    /* `{}` on one side has no element type of its own. */
    sv->l->ek = sv->r->ek = ek;
    return sv;
  }
  if ((e->kind == EX_NAME || e->kind == EX_QUALIFIED) &&
      (e->ref.kind == REF_REGION || e->ref.kind == REF_CONST)) {
    sv = cg_set(g, e->ref.decl->u.value.init);
    if (sv)
      sv->ek = ek;
    return sv;
  }
  sv = new_setv(g, SV_ARRAY, ek, e->span);
  if (!sv)
    return NULL;
  sv->arr = cg_expr(g, e);
  return sv;
}

static int all_const_ints(struct cg *g, struct setv *sv)
{
  int i;

  (void)g;
  if (sv->ek != EK_INT)
    return 0;
  for (i = 0; i < sv->n; i++)
    if (!LLVMIsAConstantInt(sv->el[i].a))
      return 0;
  return 1;
}

static int cmp_ll(const void *a, const void *b)
{
  long long x = *(const long long *)a, y = *(const long long *)b;

  return x < y ? -1 : x > y;
}

/* Sorted distinct values of an all-constant int list; returns the count. */
static int const_elems(struct cg *g, struct setv *sv, long long **out)
{
  long long *v = cg_alloc(g, (size_t)(sv->n + 1) * sizeof *v);
  int i, k = 0;

  *out = v;
  if (!v)
    return 0;
  for (i = 0; i < sv->n; i++) {
    LLVMValueRef c = sv->el[i].a;

    v[i] = LLVMTypeOf(c) == g->i1 ? (long long)LLVMConstIntGetZExtValue(c)
                                  : LLVMConstIntGetSExtValue(c);
  }
  qsort(v, (size_t)sv->n, sizeof *v, cmp_ll);
  for (i = 0; i < sv->n; i++)
    if (k == 0 || v[k - 1] != v[i])
      v[k++] = v[i];
  return k;
}

static LLVMValueRef elem_eq(struct cg *g, int ek, struct val x, struct val y)
{
  switch (ek) {
  case EK_STR: {
    LLVMValueRef args[2] = {str_tmp(g, x), str_tmp(g, y)};

    return LLVMBuildICmp(g->b, LLVMIntNE,
                         helper(g, "rpol_str_eq", args, 2), ci32(g, 0), "");
  }
  case EK_MONEY:
    return LLVMBuildAnd(g->b,
                        LLVMBuildICmp(g->b, LLVMIntEQ, x.a, y.a, ""),
                        LLVMBuildICmp(g->b, LLVMIntEQ, x.b, y.b, ""), "");
  default:
    return LLVMBuildICmp(g->b, LLVMIntEQ, as_i64(g, x.a), as_i64(g, y.a),
                         "");
  }
}

static int sv_const(struct setv *sv);
static struct val sv_const_array(struct cg *g, struct setv *sv);
static struct setv *sv_folded(struct cg *g, struct setv *sv);

/* Membership in a constant set of small non-negative numbers that spread
 * wider than one machine word (country codes are 0..675): a bitmap in
 * constant memory and a single load, shift and mask, where a switch would
 * become a tree of compares and branches at run time, and more blocks for
 * the optimiser at compile time. */
#define BITMAP_MAX_WORDS 512

/* xmax > 0: every value x can take is below xmax (a country is a code
 * 0..675: the decoder, the API's setters and sema accept no other), so a
 * bitmap of at least xmax bits needs no range test. */
static LLVMValueRef bitmap_has(struct cg *g, const long long *v, int k,
                               LLVMValueRef x, long long xmax)
{
  int nw = (int)(v[k - 1] / 64) + 1, i, whole = 0;
  unsigned long long *w;
  LLVMValueRef *cw;
  LLVMTypeRef at_;
  LLVMValueRef gv, in_range, idx, word, bit, gi[2];

  if (xmax > 0 && xmax <= 64LL * BITMAP_MAX_WORDS) {
    if (nw < (xmax + 63) / 64)
      nw = (int)((xmax + 63) / 64);
    whole = 1;
  }
  w = cg_alloc(g, (size_t)nw * sizeof *w);
  cw = cg_alloc(g, (size_t)nw * sizeof *cw);
  at_ = LLVMArrayType(g->i64, (unsigned)nw);
  if (!w || !cw)
    return LLVMConstInt(g->i1, 0, 0);
  for (i = 0; i < k; i++)
    w[v[i] / 64] |= 1ull << (v[i] % 64);
  for (i = 0; i < nw; i++)
    cw[i] = LLVMConstInt(g->i64, w[i], 0);
  gv = LLVMAddGlobal(g->mod, at_, "rpol.bitmap");
  LLVMSetInitializer(gv, LLVMConstArray(g->i64, cw, (unsigned)nw));
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
  /* Unsigned: a negative x is out of range too. */
  in_range = whole ? NULL
                   : LLVMBuildICmp(g->b, LLVMIntULT, x, ci64(g, 64LL * nw),
                                   "");
  idx = LLVMBuildLShr(g->b, x, ci64(g, 6), "");
  if (in_range)
    idx = LLVMBuildSelect(g->b, in_range, idx, ci64(g, 0), "");
  gi[0] = ci64(g, 0);
  gi[1] = idx;
  word = load(g, g->i64, LLVMBuildInBoundsGEP2(g->b, at_, gv, gi, 2, ""));
  bit = LLVMBuildAnd(g->b,
                     LLVMBuildLShr(g->b, word,
                                   LLVMBuildAnd(g->b, x, ci64(g, 63), ""),
                                   ""),
                     ci64(g, 1), "");
  bit = LLVMBuildTrunc(g->b, bit, g->i1, "in");
  return in_range ? LLVMBuildAnd(g->b, in_range, bit, "in") : bit;
}

static LLVMValueRef sv_has(struct cg *g, struct setv *sv, struct val x,
                           long long xmax)
{
  struct setv *f;

  if ((sv->kind == SV_UNION || sv->kind == SV_DIFF) && sv->ek == EK_INT &&
      sv_const(sv) && (f = sv_folded(g, sv)) != NULL)
    return sv_has(g, f, x, xmax);
  switch (sv->kind) {
  case SV_UNION:
    return LLVMBuildOr(g->b, sv_has(g, sv->l, x, xmax),
                       sv_has(g, sv->r, x, xmax), "");
  case SV_DIFF:
    return LLVMBuildAnd(g->b, sv_has(g, sv->l, x, xmax),
                        LLVMBuildNot(g->b, sv_has(g, sv->r, x, xmax), ""),
                        "");
  case SV_LIST: {
    LLVMValueRef r = LLVMConstInt(g->i1, 0, 0);
    int i;

    if (sv->n > 2 && all_const_ints(g, sv)) {
      /* A constant set: one switch, which the back end turns into a bit
       * test or a jump table. */
      long long *v;
      int k = const_elems(g, sv, &v);

      if (k > 2 && v[0] >= 0 && v[k - 1] >= 64 &&
          v[k - 1] < 64LL * BITMAP_MAX_WORDS)
        return bitmap_has(g, v, k, as_i64(g, x.a), xmax);
      LLVMBasicBlockRef yes = block(g, "in.yes"), no = block(g, "in.no");
      LLVMBasicBlockRef end = block(g, "in.end");
      LLVMValueRef sw, phi, vals[2];
      LLVMBasicBlockRef bbs[2];

      sw = LLVMBuildSwitch(g->b, as_i64(g, x.a), no, (unsigned)k);
      for (i = 0; i < k; i++)
        LLVMAddCase(sw, ci64(g, v[i]), yes);
      at(g, yes);
      LLVMBuildBr(g->b, end);
      at(g, no);
      LLVMBuildBr(g->b, end);
      at(g, end);
      phi = LLVMBuildPhi(g->b, g->i1, "");
      vals[0] = LLVMConstInt(g->i1, 1, 0);
      vals[1] = LLVMConstInt(g->i1, 0, 0);
      bbs[0] = yes;
      bbs[1] = no;
      LLVMAddIncoming(phi, vals, bbs, 2);
      return phi;
    }
    if (sv->ek == EK_STR && sv->n > 8 && sv_const(sv)) {
      /* Many constant strings: a binary search of the sorted array. */
      struct val arr = sv_const_array(g, sv);
      LLVMValueRef args[3] = {arr.a, arr.b, str_tmp(g, x)};

      return LLVMBuildICmp(g->b, LLVMIntNE,
                           helper(g, "rpol_set_has_str", args, 3),
                           ci32(g, 0), "");
    }
    for (i = 0; i < sv->n; i++)
      r = LLVMBuildOr(g->b, r, elem_eq(g, sv->ek, x, sv->el[i]), "");
    return r;
  }
  default: {
    LLVMValueRef args[4];

    args[0] = sv->arr.a;
    args[1] = sv->arr.b;
    if (sv->ek == EK_STR) {
      args[2] = str_tmp(g, x);
      return LLVMBuildICmp(g->b, LLVMIntNE,
                           helper(g, "rpol_set_has_str", args, 3),
                           ci32(g, 0), "");
    }
    if (sv->ek == EK_MONEY) {
      args[2] = x.a;
      args[3] = x.b;
      return LLVMBuildICmp(g->b, LLVMIntNE,
                           helper(g, "rpol_set_has_money", args, 4),
                           ci32(g, 0), "");
    }
    args[2] = as_i64(g, x.a);
    return LLVMBuildICmp(g->b, LLVMIntNE,
                         helper(g, "rpol_set_has_int", args, 3), ci32(g, 0),
                         "");
  }
  }
}

/* `count` elements of `esize` bytes from res->scratch, 16-aligned (as the
 * interpreter allocates, so both run out alike); running out is an
 * overflow at loc that leaves scratch_used above scratch_cap, which tells
 * the runtime's message that it was the scratch space (interp.c too). */
static LLVMValueRef scratch_alloc(struct cg *g, LLVMValueRef count,
                                  long long esize, int loc)
{
  LLVMValueRef used = load_field(g, g->res, g->resp, RS_USED, g->i64);
  LLVMValueRef cap = load_field(g, g->res, g->resp, RS_CAP, g->i64);
  LLVMValueRef base = load_field(g, g->res, g->resp, RS_SCRATCH, g->p8);
  LLVMValueRef al, need, room;

  al = LLVMBuildAnd(g->b, LLVMBuildAdd(g->b, used, ci64(g, 15), ""),
                    ci64(g, -16), "");
  need = LLVMBuildMul(g->b, count, ci64(g, esize), "");
  room = LLVMBuildSub(g->b, cap, al, "");
  {
    LLVMBasicBlockRef bad = block(g, "scratch.full"), ok = block(g, "ok");

    cond_br_error(g, LLVMBuildICmp(g->b, LLVMIntSGT, need, room, ""), bad,
                  ok);
    at(g, bad);
    store_field(g, g->res, g->resp, RS_USED,
                LLVMBuildAdd(g->b, cap, ci64(g, 1), ""));
    store_field(g, g->res, g->resp, RS_CODE, ci32(g, RPOL_E_OVERFLOW));
    store_field(g, g->res, g->resp, RS_ERR_LOC, ci32(g, loc));
    LLVMBuildRet(g->b, ci32(g, RPOL_E_OVERFLOW));
    at(g, ok);
  }
  store_field(g, g->res, g->resp, RS_USED, LLVMBuildAdd(g->b, al, need, ""));
  return index_ptr(g, g->i8, base, al);
}

static const char *merge_name(int ek, int is_union)
{
  static const char *const names[3][2] = {
    {"rpol_set_diff_int", "rpol_set_union_int"},
    {"rpol_set_diff_str", "rpol_set_union_str"},
    {"rpol_set_diff_money", "rpol_set_union_money"},
  };

  return names[ek][is_union ? 1 : 0];
}

/* ---- sets known at compile time ------------------------------------ */

/* One element of a set folded at compile time. */
struct celem {
  long long v;               /* int-like value, or money amount */
  int cur;                   /* money */
  const char *s;             /* strings */
  size_t len;
};

static int celem_cmp(int ek, const struct celem *x, const struct celem *y)
{
  if (ek == EK_STR) {
    size_t n = x->len < y->len ? x->len : y->len;
    int c = n ? memcmp(x->s, y->s, n) : 0;

    if (c)
      return c < 0 ? -1 : 1;
    return x->len < y->len ? -1 : x->len > y->len;
  }
  if (ek == EK_MONEY && x->cur != y->cur)
    return x->cur < y->cur ? -1 : 1;
  return x->v < y->v ? -1 : x->v > y->v;
}

/* Whether the set's value is known at compile time: literals of
 * constants, and unions and differences of those (regions, const sets). */
static int sv_const(struct setv *sv)
{
  int i;

  switch (sv->kind) {
  case SV_UNION: case SV_DIFF:
    return sv_const(sv->l) && sv_const(sv->r);
  case SV_LIST:
    for (i = 0; i < sv->n; i++) {
      if (sv->ek == EK_STR ? !sv->str || !sv->str[i]
                           : !LLVMIsAConstantInt(sv->el[i].a))
        return 0;
      if (sv->ek == EK_MONEY && !LLVMIsAConstantInt(sv->el[i].b))
        return 0;
    }
    return 1;
  default:
    return 0;
  }
}

/* Sorted, duplicate-free elements of a constant set; returns the count
 * (-1 when out of memory). */
static int sv_fold(struct cg *g, struct setv *sv, struct celem **out)
{
  struct celem *a, *b, *r;
  int na, nb, i, j, k = 0;

  if (sv->kind == SV_LIST) {
    r = cg_alloc(g, (size_t)(sv->n + 1) * sizeof *r);
    if (!r)
      return -1;
    for (i = 0; i < sv->n; i++) {
      LLVMValueRef c = sv->el[i].a;

      if (sv->ek == EK_STR) {
        /* By length: a literal may hold U+0000 (§1). */
        r[i].s = sv->str[i]->u.str;
        r[i].len = (size_t)sv->str[i]->str_len;
      } else {
        r[i].v = LLVMTypeOf(c) == g->i1
                     ? (long long)LLVMConstIntGetZExtValue(c)
                     : LLVMConstIntGetSExtValue(c);
        if (sv->ek == EK_MONEY)
          r[i].cur = (int)LLVMConstIntGetSExtValue(sv->el[i].b);
      }
    }
    /* Insertion sort, then drop repeats: literal sets are small. */
    for (i = 1; i < sv->n; i++)
      for (j = i; j > 0 && celem_cmp(sv->ek, &r[j - 1], &r[j]) > 0; j--) {
        struct celem t = r[j];

        r[j] = r[j - 1];
        r[j - 1] = t;
      }
    for (i = 0; i < sv->n; i++)
      if (k == 0 || celem_cmp(sv->ek, &r[k - 1], &r[i]) != 0)
        r[k++] = r[i];
    *out = r;
    return k;
  }
  na = sv_fold(g, sv->l, &a);
  nb = sv_fold(g, sv->r, &b);
  if (na < 0 || nb < 0)
    return -1;
  r = cg_alloc(g, (size_t)(na + nb + 1) * sizeof *r);
  if (!r)
    return -1;
  i = j = 0;
  while (i < na && j < nb) {
    int c = celem_cmp(sv->ek, &a[i], &b[j]);

    if (c < 0)
      r[k++] = a[i++];
    else if (c > 0) {
      if (sv->kind == SV_UNION)
        r[k++] = b[j];
      j++;
    } else {
      if (sv->kind == SV_UNION)
        r[k++] = a[i];
      i++;
      j++;
    }
  }
  while (i < na)
    r[k++] = a[i++];
  while (sv->kind == SV_UNION && j < nb)
    r[k++] = b[j++];
  *out = r;
  return k;
}

/* A union or difference of constant int sets (`EEA` is `EU + {IS, LI,
 * NO}`) as the one constant list it folds to: one bitmap or switch
 * instead of one per operand. */
static struct setv *sv_folded(struct cg *g, struct setv *sv)
{
  struct celem *c;
  struct setv *f;
  int n = sv_fold(g, sv, &c), i;

  if (n < 0)
    return NULL;
  f = new_setv(g, SV_LIST, EK_INT, sv->span);
  if (!f)
    return NULL;
  f->el = cg_alloc(g, (size_t)(n + 1) * sizeof *f->el);
  if (!f->el)
    return NULL;
  for (i = 0; i < n; i++)
    f->el[i].a = ci64(g, c[i].v);
  f->n = n;
  return f;
}

/* A constant set as a private global array in the slot layout. */
static struct val sv_const_array(struct cg *g, struct setv *sv)
{
  struct celem *e;
  int n = sv_fold(g, sv, &e), i;
  struct val r;
  LLVMValueRef *cs, init, gv, f[3];

  r.a = LLVMConstNull(g->p8);
  r.b = ci64(g, 0);
  if (n <= 0)
    return r;
  cs = cg_alloc(g, (size_t)n * sizeof *cs);
  if (!cs)
    return r;
  for (i = 0; i < n; i++) {
    switch (sv->ek) {
    case EK_STR:
      f[0] = const_string(g, e[i].s, e[i].len);
      f[1] = ci64(g, (long long)e[i].len);
      cs[i] = LLVMConstNamedStruct(g->str, f, 2);
      break;
    case EK_MONEY:
      f[0] = ci64(g, e[i].v);
      f[1] = ci32(g, e[i].cur);
      f[2] = ci32(g, 0);
      cs[i] = LLVMConstNamedStruct(g->money, f, 3);
      break;
    default:
      cs[i] = ci64(g, e[i].v);
      break;
    }
  }
  init = LLVMConstArray(ek_type(g, sv->ek), cs, (unsigned)n);
  gv = LLVMAddGlobal(g->mod, LLVMTypeOf(init), "rpol.set");
  LLVMSetInitializer(gv, init);
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
  r.a = LLVMConstPointerCast(gv, g->p8);
  r.b = ci64(g, n);
  return r;
}

/* ---- sets built per decision ----------------------------------------- */

/* Three-way comparison of two elements in memory (-1, 0, 1 as i32). */
static LLVMValueRef elem_cmp_ir(struct cg *g, int ek, LLVMValueRef pa,
                                LLVMValueRef pb)
{
  LLVMValueRef x, y, lt, gt;

  if (ek == EK_STR) {
    LLVMValueRef args[2] = {pa, pb};
    LLVMValueRef c = helper(g, "rpol_str_cmp", args, 2);

    lt = LLVMBuildICmp(g->b, LLVMIntSLT, c, ci32(g, 0), "");
    gt = LLVMBuildICmp(g->b, LLVMIntSGT, c, ci32(g, 0), "");
  } else if (ek == EK_MONEY) {
    LLVMValueRef ca = load_field(g, g->money, pa, 1, g->i32);
    LLVMValueRef cb = load_field(g, g->money, pb, 1, g->i32);
    LLVMValueRef same = LLVMBuildICmp(g->b, LLVMIntEQ, ca, cb, "");

    x = load_field(g, g->money, pa, 0, g->i64);
    y = load_field(g, g->money, pb, 0, g->i64);
    lt = LLVMBuildSelect(g->b, same,
                         LLVMBuildICmp(g->b, LLVMIntSLT, x, y, ""),
                         LLVMBuildICmp(g->b, LLVMIntSLT, ca, cb, ""), "");
    gt = LLVMBuildSelect(g->b, same,
                         LLVMBuildICmp(g->b, LLVMIntSGT, x, y, ""),
                         LLVMBuildICmp(g->b, LLVMIntSGT, ca, cb, ""), "");
  } else {
    x = load(g, g->i64, pa);
    y = load(g, g->i64, pb);
    lt = LLVMBuildICmp(g->b, LLVMIntSLT, x, y, "");
    gt = LLVMBuildICmp(g->b, LLVMIntSGT, x, y, "");
  }
  return LLVMBuildSub(g->b, LLVMBuildZExt(g->b, gt, g->i32, ""),
                      LLVMBuildZExt(g->b, lt, g->i32, ""), "");
}

/* i64 rpol.set_norm.K(p8 buf, i64 n): sorts n elements in place and
 * removes repeats, returning the new count (what the interpreter does
 * with a literal set: no memory beyond the n elements). */
static LLVMValueRef set_norm_fn(struct cg *g, int ek)
{
  LLVMTypeRef pt[2] = {g->p8, g->i64}, et = ek_type(g, ek);
  LLVMBasicBlockRef saved = LLVMGetInsertBlock(g->b);
  LLVMValueRef saved_fn = g->fn, fn, buf, n, i, j, k, i2, ni, nj, nk, ni2;
  LLVMValueRef pa, pb, va, vb, keep, vals[2];
  LLVMBasicBlockRef entry, outer, inner_top, inner_cmp, swap, outer_next;
  LLVMBasicBlockRef dtop, dbody, dkeep, dnext, done, bbs[2];
  static const char *const names[3] = {
    "rpol.set_norm.int", "rpol.set_norm.str", "rpol.set_norm.money"
  };

  if (g->set_norm_fns[ek])
    return g->set_norm_fns[ek];
  fn = new_internal(g, names[ek], LLVMFunctionType(g->i64, pt, 2, 0));
  g->set_norm_fns[ek] = fn;
  g->fn = fn;
  entry = block(g, "entry");
  outer = block(g, "outer");
  inner_top = block(g, "inner");
  inner_cmp = block(g, "cmp");
  swap = block(g, "swap");
  outer_next = block(g, "outer.next");
  dtop = block(g, "dedupe");
  dbody = block(g, "dedupe.body");
  dkeep = block(g, "dedupe.keep");
  dnext = block(g, "dedupe.next");
  done = block(g, "done");

  at(g, entry);
  buf = LLVMBuildPointerCast(g->b, LLVMGetParam(fn, 0),
                             LLVMPointerType(et, 0), "");
  n = LLVMGetParam(fn, 1);
  LLVMBuildBr(g->b, outer);

  /* for (i = 1; i < n; i++) for (j = i; j > 0 && buf[j-1] > buf[j]; j--)
   *   swap */
  at(g, outer);
  i = LLVMBuildPhi(g->b, g->i64, "i");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, i, n, ""),
                  inner_top, dtop);
  at(g, inner_top);
  j = LLVMBuildPhi(g->b, g->i64, "j");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, j, ci64(g, 0), ""),
                  inner_cmp, outer_next);
  at(g, inner_cmp);
  nj = LLVMBuildSub(g->b, j, ci64(g, 1), "");
  pa = index_ptr(g, et, buf, nj);
  pb = index_ptr(g, et, buf, j);
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGT,
                                      elem_cmp_ir(g, ek, pa, pb),
                                      ci32(g, 0), ""),
                  swap, outer_next);
  at(g, swap);
  va = load(g, et, pa);
  vb = load(g, et, pb);
  LLVMBuildStore(g->b, vb, pa);
  LLVMBuildStore(g->b, va, pb);
  LLVMBuildBr(g->b, inner_top);
  vals[0] = i;
  vals[1] = nj;
  bbs[0] = outer;
  bbs[1] = swap;
  LLVMAddIncoming(j, vals, bbs, 2);
  at(g, outer_next);
  ni = LLVMBuildAdd(g->b, i, ci64(g, 1), "");
  LLVMBuildBr(g->b, outer);
  vals[0] = ci64(g, 1);
  vals[1] = ni;
  bbs[0] = entry;
  bbs[1] = outer_next;
  LLVMAddIncoming(i, vals, bbs, 2);

  /* k = 0; for (i2 = 0; i2 < n; i2++) if (k == 0 || buf[k-1] != buf[i2])
   *   buf[k++] = buf[i2]; */
  at(g, dtop);
  i2 = LLVMBuildPhi(g->b, g->i64, "i2");
  k = LLVMBuildPhi(g->b, g->i64, "k");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, i2, n, ""), dbody,
                  done);
  at(g, dbody);
  pb = index_ptr(g, et, buf, i2);
  {
    LLVMBasicBlockRef first = LLVMGetInsertBlock(g->b);
    LLVMBasicBlockRef cmpb = block(g, "dedupe.cmp");
    LLVMValueRef c, kp, v2[2];
    LLVMBasicBlockRef b2[2];

    LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, k, ci64(g, 0), ""),
                    dkeep, cmpb);
    at(g, cmpb);
    pa = index_ptr(g, et, buf, LLVMBuildSub(g->b, k, ci64(g, 1), ""));
    c = elem_cmp_ir(g, ek, pa, pb);
    LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, c, ci32(g, 0), ""),
                    dkeep, dnext);
    at(g, dkeep);
    kp = index_ptr(g, et, buf, k);
    LLVMBuildStore(g->b, load(g, et, pb), kp);
    nk = LLVMBuildAdd(g->b, k, ci64(g, 1), "");
    LLVMBuildBr(g->b, dnext);
    at(g, dnext);
    keep = LLVMBuildPhi(g->b, g->i64, "k.next");
    v2[0] = nk;
    v2[1] = k;
    b2[0] = dkeep;
    b2[1] = cmpb;
    LLVMAddIncoming(keep, v2, b2, 2);
    (void)first;
  }
  ni2 = LLVMBuildAdd(g->b, i2, ci64(g, 1), "");
  LLVMBuildBr(g->b, dtop);
  vals[0] = ci64(g, 0);
  vals[1] = ni2;
  bbs[0] = outer;
  bbs[1] = dnext;
  LLVMAddIncoming(i2, vals, bbs, 2);
  vals[0] = ci64(g, 0);
  vals[1] = keep;
  LLVMAddIncoming(k, vals, bbs, 2);
  at(g, done);
  LLVMBuildRet(g->b, k);

  g->fn = saved_fn;
  if (saved)
    at(g, saved);
  return fn;
}

static void store_elem(struct cg *g, int ek, LLVMValueRef p, struct val x)
{
  if (ek == EK_STR) {
    store_field(g, g->str, p, 0, x.a);
    store_field(g, g->str, p, 1, x.b);
  } else if (ek == EK_MONEY) {
    store_field(g, g->money, p, 0, x.a);
    store_field(g, g->money, p, 1, x.b);
    store_field(g, g->money, p, 2, ci32(g, 0));
  } else {
    LLVMBuildStore(g->b, as_i64(g, x.a), p);
  }
}

static struct val sv_mat(struct cg *g, struct setv *sv)
{
  struct val r = {0, 0}, a, b;
  int loc = loc_of(g, sv->span), i;
  LLVMValueRef args[5], dst, buf, fn;
  LLVMTypeRef et = ek_type(g, sv->ek);

  if (sv->kind == SV_ARRAY)
    return sv->arr;
  if (sv_const(sv))
    return sv_const_array(g, sv);
  if (sv->kind == SV_UNION || sv->kind == SV_DIFF) {
    a = sv_mat(g, sv->l);
    b = sv_mat(g, sv->r);
    dst = scratch_alloc(g, sv->kind == SV_UNION
                               ? LLVMBuildAdd(g->b, a.b, b.b, "") : a.b,
                        ek_size(sv->ek), loc);
    args[0] = a.a;
    args[1] = a.b;
    args[2] = b.a;
    args[3] = b.b;
    args[4] = dst;
    r.b = helper(g, merge_name(sv->ek, sv->kind == SV_UNION), args, 5);
    r.a = dst;
    return r;
  }
  /* A literal with elements known only now: its n elements in scratch,
   * sorted in place. */
  dst = scratch_alloc(g, ci64(g, sv->n), ek_size(sv->ek), loc);
  buf = LLVMBuildPointerCast(g->b, dst, LLVMPointerType(et, 0), "");
  for (i = 0; i < sv->n; i++)
    store_elem(g, sv->ek, index_ptr(g, et, buf, ci64(g, i)), sv->el[i]);
  fn = set_norm_fn(g, sv->ek);
  args[0] = dst;
  args[1] = ci64(g, sv->n);
  r.a = dst;
  r.b = LLVMBuildCall2(g->b, LLVMGlobalGetValueType(fn), fn, args, 2, "");
  return r;
}

/* ------------------------------------------------------- case blocks */

/* A case block is lowered as a chain of tests in case order, except that
 * a run of consecutive cases whose next condition tests the same field
 * against constants (`customer.country == AT and ...`, `x in {A, B}`,
 * `not item.final_sale`) becomes a switch on that field: for each value,
 * the run's cases that value passes, in their order, lowered the same way
 * on their next conjunct; values no case names go on after the run.  The
 * field must be one whose read cannot fail or compute anything (required,
 * or with a default the runtime fills), so that a test the switch skips
 * was free of effects: first match, the short circuit of `and`, errors
 * and traces are those of the plain chain.  A 990-case block of the
 * scaling policy is then a tree of four switches deep instead of a chain
 * of 990 tests, for LLVM's passes and at run time alike. */

/* One conjunct that tests such a field: field in (neg: not in) keys. */
struct ftest {
  const struct expr *field;      /* what is read */
  int slot;
  int neg;
  int nkeys;
  const long long *keys;         /* sorted, distinct */
  long long key1;                /* the key of a single `==` */
};

/* A case as the lowering sees it: its condition's conjuncts, of which
 * those before `at` are known to hold on the current path. */
struct citem {
  const struct case_ *c;
  const struct expr **conj;
  struct ftest **test;           /* [nconj]: NULL for other conjuncts */
  int nconj, at;
};

/* What a switch knows of its field on one of its edges: the field is in
 * (neg: not in) keys. */
struct fknown {
  int slot;
  int neg;
  int nkeys;
  const long long *keys;
};

/* Where the cases' values go: the block's end, and per value its trace
 * and the block it comes from (a case may be lowered in more than one
 * switch bucket, so there may be more values than cases). */
struct cdest {
  LLVMBasicBlockRef end;
  const struct type *t;
  struct val *vs;
  LLVMValueRef *tr;
  LLVMBasicBlockRef *bbs;
  int k, cap;
  struct ksave *all;             /* met where each value was computed */
};

static int conj_count(const struct expr *e)
{
  if (e->kind == EX_BINARY && e->u.bin.op == BIN_AND && !e->expansion)
    return conj_count(e->u.bin.lhs) + conj_count(e->u.bin.rhs);
  return 1;
}

/* `a and b and c` as [a, b, c]: the same short circuit as cg_logic. */
static void conj_fill(const struct expr *e, const struct expr **out, int *n)
{
  if (e->kind == EX_BINARY && e->u.bin.op == BIN_AND && !e->expansion) {
    conj_fill(e->u.bin.lhs, out, n);
    conj_fill(e->u.bin.rhs, out, n);
    return;
  }
  out[(*n)++] = e;
}

/* The value of a constant enum member, country, currency or bool. */
static int const_key(const struct expr *e, long long *k, int depth)
{
  if (depth > 64)
    return 0;
  while (e->expansion)
    e = e->expansion;
  if (e->kind == EX_BOOL) {
    *k = e->u.b ? 1 : 0;
    return 1;
  }
  if (e->kind != EX_NAME && e->kind != EX_QUALIFIED)
    return 0;
  switch (e->ref.kind) {
  case REF_MEMBER: case REF_COUNTRY: case REF_CURRENCY:
    *k = e->ref.index;
    return 1;
  case REF_CONST:
    return e->ref.decl && e->ref.decl->u.value.init &&
           const_key(e->ref.decl->u.value.init, k, depth + 1);
  default:
    return 0;
  }
}

static int key_cmp(const void *a, const void *b)
{
  long long x = *(const long long *)a, y = *(const long long *)b;

  return x < y ? -1 : x > y;
}

static int keys_has(const long long *k, int n, long long v)
{
  return bsearch(&v, k, (size_t)n, sizeof *k, key_cmp) != NULL;
}

/* The sorted distinct members of a constant set of such values
 * (literals, consts, regions, their unions and differences): their
 * count, or -1 when the set is not one. */
static int const_keys(struct cg *g, const struct expr *e, long long **out,
                      int depth)
{
  long long *a, *b, *r;
  int na, nb, i, j, k = 0;

  if (depth > 64)
    return -1;
  while (e->expansion)
    e = e->expansion;
  if (e->kind == EX_SET) {
    r = cg_alloc(g, (size_t)(e->u.set.n + 1) * sizeof *r);
    if (!r)
      return -1;
    for (i = 0; i < e->u.set.n; i++)
      if (!const_key(e->u.set.elems[i], &r[i], 0))
        return -1;
    qsort(r, (size_t)e->u.set.n, sizeof *r, key_cmp);
    for (i = 0; i < e->u.set.n; i++)
      if (k == 0 || r[k - 1] != r[i])
        r[k++] = r[i];
    *out = r;
    return k;
  }
  if ((e->kind == EX_NAME || e->kind == EX_QUALIFIED) &&
      (e->ref.kind == REF_CONST || e->ref.kind == REF_REGION))
    return e->ref.decl && e->ref.decl->u.value.init
               ? const_keys(g, e->ref.decl->u.value.init, out, depth + 1)
               : -1;
  if (e->kind != EX_BINARY ||
      (e->u.bin.op != BIN_ADD && e->u.bin.op != BIN_SUB))
    return -1;
  na = const_keys(g, e->u.bin.lhs, &a, depth + 1);
  nb = na < 0 ? -1 : const_keys(g, e->u.bin.rhs, &b, depth + 1);
  if (nb < 0)
    return -1;
  r = cg_alloc(g, (size_t)(na + nb + 1) * sizeof *r);
  if (!r)
    return -1;
  for (i = 0; i < na; i++)
    if (e->u.bin.op == BIN_ADD || !keys_has(b, nb, a[i]))
      r[k++] = a[i];
  for (j = 0; e->u.bin.op == BIN_ADD && j < nb; j++)
    if (!keys_has(a, na, b[j]))
      r[k++] = b[j];
  qsort(r, (size_t)k, sizeof *r, key_cmp);
  *out = r;
  return k;
}

/* Whether e reads a field a switch may test: enum, country, currency or
 * bool, and read without a test or any computation (read_field). */
static int switch_field(struct cg *g, const struct expr *e,
                        signed char *carried)
{
  const struct decl *d;
  int s;

  while (e->expansion)
    e = e->expansion;
  if (e->kind != EX_PATH && !((e->kind == EX_NAME ||
                               e->kind == EX_QUALIFIED) &&
                              e->ref.kind == REF_FIELD))
    return 0;
  d = e->ref.decl;
  if (!d || d->kind != D_INPUT || !d->u.input.type)
    return 0;
  switch (d->u.input.type->kind) {
  case TY_ENUM: case TY_COUNTRY: case TY_CURRENCY: case TY_BOOL:
    break;
  default:
    return 0;
  }
  s = d->u.input.slot;
  if (s < 0 || s >= g->prog->ninputs)
    return 0;
  if (d->u.input.required)
    return 1;
  if (!carried[s])
    carried[s] = default_carried(d) ? 1 : -1;
  return carried[s] > 0;
}

/* Whether conjunct e is a test a switch can take, filling *t. */
static int field_test(struct cg *g, const struct expr *e, struct ftest *t,
                      signed char *carried)
{
  const struct expr *f = NULL, *k = NULL;
  long long *keys;
  int n;

  while (e->expansion)
    e = e->expansion;
  memset(t, 0, sizeof *t);
  if (e->kind == EX_UNARY && e->u.unary.op == UN_NOT) {
    if (!field_test(g, e->u.unary.operand, t, carried))
      return 0;
    t->neg = !t->neg;
    return 1;
  }
  if (e->kind == EX_BINARY &&
      (e->u.bin.op == BIN_EQ || e->u.bin.op == BIN_NE)) {
    if (switch_field(g, e->u.bin.lhs, carried) &&
        const_key(e->u.bin.rhs, &t->key1, 0))
      f = e->u.bin.lhs, k = e->u.bin.rhs;
    else if (switch_field(g, e->u.bin.rhs, carried) &&
             const_key(e->u.bin.lhs, &t->key1, 0))
      f = e->u.bin.rhs, k = e->u.bin.lhs;
    if (!f || !k)
      return 0;
    t->neg = e->u.bin.op == BIN_NE;
    t->keys = &t->key1;
    t->nkeys = 1;
  } else if (e->kind == EX_IN) {
    if (!switch_field(g, e->u.in.elem, carried))
      return 0;
    n = const_keys(g, e->u.in.set, &keys, 0);
    if (n < 0)
      return 0;
    f = e->u.in.elem;
    t->neg = e->u.in.negated;
    t->keys = keys;
    t->nkeys = n;
  } else if (switch_field(g, e, carried)) {
    f = e;                          /* a bool field: field == true */
    t->key1 = 1;
    t->keys = &t->key1;
    t->nkeys = 1;
  } else {
    return 0;
  }
  while (f->expansion)
    f = f->expansion;
  t->field = f;
  t->slot = f->ref.decl->u.input.slot;
  return 1;
}

/* 1 or 0 when what the switches around the current point know of the
 * field decides test t, else -1. */
static int test_known(const struct ftest *t, const struct fknown *kn,
                      int nkn)
{
  int i, j, sub, disj;

  for (i = 0; i < nkn; i++) {
    if (kn[i].slot != t->slot)
      continue;
    if (!kn[i].neg) {
      /* field in K: K within the tested set, or apart from it. */
      sub = disj = 1;
      for (j = 0; j < kn[i].nkeys; j++) {
        if (keys_has(t->keys, t->nkeys, kn[i].keys[j]))
          disj = 0;
        else
          sub = 0;
      }
      if (sub)
        return !t->neg;
      if (disj)
        return t->neg;
    } else {
      /* field not in K: the tested set within K. */
      sub = 1;
      for (j = 0; j < t->nkeys && sub; j++)
        sub = keys_has(kn[i].keys, kn[i].nkeys, t->keys[j]);
      if (sub)
        return t->neg;
    }
  }
  return -1;
}

static void dest_push(struct cg *g, struct cdest *D, struct val v,
                      LLVMValueRef tr, LLVMBasicBlockRef bb)
{
  if (D->k == D->cap) {
    int cap = 2 * D->cap + 8;
    struct val *vs = cg_alloc(g, (size_t)cap * sizeof *vs);
    LLVMValueRef *trs = cg_alloc(g, (size_t)cap * sizeof *trs);
    LLVMBasicBlockRef *bbs = cg_alloc(g, (size_t)cap * sizeof *bbs);

    if (!vs || !trs || !bbs)
      return;
    if (D->k) {
      memcpy(vs, D->vs, (size_t)D->k * sizeof *vs);
      memcpy(trs, D->tr, (size_t)D->k * sizeof *trs);
      memcpy(bbs, D->bbs, (size_t)D->k * sizeof *bbs);
    }
    D->vs = vs, D->tr = trs, D->bbs = bbs, D->cap = cap;
  }
  D->vs[D->k] = v;
  D->tr[D->k] = tr;
  D->bbs[D->k++] = bb;
}

/* Where the cases that did not match go on: a block, and what every
 * path that branched to it knows (met as they are added). */
struct cexit {
  LLVMBasicBlockRef bb;
  struct ksave *kn;
  int used;
  int shares;                    /* a switch's: cases may share code */
  struct shared *sh;             /* (see lower_shared) */
};

/* The current path does not match: on to ex (the builder stays here). */
static void exit_edge(struct cg *g, struct cexit *ex)
{
  ex->kn = known_meet(g, ex->kn);
  ex->used = 1;
}

/* Lowers one case as tests of its conjuncts from `at` on; where one
 * fails, the case does not match and the code goes on at ex.  The value
 * goes to D's end. */
static void lower_case(struct cg *g, struct cdest *D, const struct citem *it,
                       const struct fknown *kn, int nkn, struct cexit *ex,
                       const struct val *sv, LLVMValueRef str)
{
  LLVMBasicBlockRef from = NULL, th = NULL, bb;
  LLVMValueRef br = NULL;
  struct ksave *save;
  struct val v;
  int j;

  /* A case no switch has entered: its whole condition at once, as
   * before switches (per conjunct, a random policy's `or` of nested set
   * expressions took LLVM's passes minutes: difftest seed 1795740218,
   * unit 489). */
  if (it->at == 0 && it->nconj > 1 && !nkn) {
    LLVMValueRef cond = cg_bool(g, it->c->cond);

    exit_edge(g, ex);
    th = block(g, "when");
    from = LLVMGetInsertBlock(g->b);
    br = LLVMBuildCondBr(g->b, cond, th, ex->bb);
    at(g, th);
    j = it->nconj;
  } else {
    j = it->at;
  }
  for (; j < it->nconj; j++) {
    int known = it->test[j] ? test_known(it->test[j], kn, nkn) : -1;
    LLVMValueRef cond;

    if (known == 1)
      continue;
    if (known == 0) {
      /* A switch around here has ruled this case out. */
      exit_edge(g, ex);
      LLVMBuildBr(g->b, ex->bb);
      return;
    }
    cond = cg_bool(g, it->conj[j]);
    exit_edge(g, ex);
    th = block(g, "when");
    from = LLVMGetInsertBlock(g->b);
    br = LLVMBuildCondBr(g->b, cond, th, ex->bb);
    at(g, th);
  }
  /* The value runs on its own path only. */
  save = known_save(g);
  v = sv ? *sv : cg_expr_t(g, it->c->value, num_as(it->c->value->type, D->t));
  D->all = known_meet(g, D->all);
  known_restore(g, save);
  bb = LLVMGetInsertBlock(g->b);
  if (br && bb == th && !LLVMGetFirstInstruction(th)) {
    /* A constant value: the condition branches to the end itself.  An
     * empty block per case would cost simplifycfg time quadratic in
     * the number of cases (each removal edits the end's phis). */
    LLVMSetSuccessor(br, 0, D->end);
    LLVMDeleteBasicBlock(th);
    bb = from;
  } else {
    LLVMBuildBr(g->b, D->end);
  }
  dest_push(g, D, v, str ? str : ci32(g, loc_of(g, it->c->kw_span)), bb);
}

/* ---- cases that share their code ----------------------------------- */

/* The buckets of a big switch end in cases of one shape (`age > 14 days
 * => deny "r7"`, `age > 21 days => deny "r8"`): the same conditions but
 * for their literals, and a constant value.  Lowered one by one, each
 * would repeat the code of its conditions (and of the lets they read,
 * behind a memo flag), which then dominates compile time.  Instead every
 * such case branches to one copy of the code of the first, whose literals
 * are phis of each case's own, as are the value and the trace (or, for
 * many cases, loads from constant tables at the case's index).  Only
 * conditions whose failures are located outside the case's own text are
 * shared (the code is the first case's): comparisons of plain values,
 * lets, outputs, fields that cannot be missing; no arithmetic, no calls,
 * no money. */

/* A literal that a shared case takes from a phi (one i1 or i64, whatever
 * the context). */
static int lit_param(const struct expr *e)
{
  switch (e->kind) {
  case EX_DURATION: case EX_DATE: case EX_BOOL: case EX_PERCENT:
    return 1;
  case EX_INT:
    return e->type && e->type->kind == TY_INT && !e->from_number &&
           e->u.num.scale == 0;
  case EX_NAME: case EX_QUALIFIED:
    return e->ref.kind == REF_MEMBER || e->ref.kind == REF_COUNTRY ||
           e->ref.kind == REF_CURRENCY;
  default:
    return 0;
  }
}

static int plain_kind(const struct type *t)
{
  switch (t ? t->kind : TY_ERROR) {
  case TY_BOOL: case TY_INT: case TY_PERCENT: case TY_DATE: case TY_DURATION:
  case TY_COUNTRY: case TY_CURRENCY: case TY_ENUM:
    return 1;
  default:
    return 0;
  }
}

/* Whether no failure of e's code is located in e's own text. */
static int shareable(struct cg *g, const struct expr *e, int depth)
{
  long long *k;

  if (depth > 64)
    return 0;
  while (e->expansion)
    e = e->expansion;
  if (lit_param(e))
    return 1;
  switch (e->kind) {
  case EX_NAME: case EX_QUALIFIED:
    switch (e->ref.kind) {
    case REF_LET: case REF_OUTPUT: case REF_CONST: case REF_REGION:
      return 1;              /* located in their own declarations */
    case REF_FIELD:
      break;
    default:
      return 0;
    }
    /* fall through */
  case EX_PATH:
    /* Only a missing optional field fails here (missing_input). */
    return e->ref.decl && e->ref.decl->kind == D_INPUT &&
           (e->ref.decl->u.input.required || e->ref.decl->u.input.deflt);
  case EX_UNARY:
    return e->u.unary.op == UN_NOT &&
           shareable(g, e->u.unary.operand, depth + 1);
  case EX_BINARY:
    switch (e->u.bin.op) {
    case BIN_AND: case BIN_OR:
      break;
    case BIN_EQ: case BIN_NE: case BIN_LT: case BIN_LE: case BIN_GT:
    case BIN_GE:
      if (!plain_kind(e->u.bin.lhs->type) || !plain_kind(e->u.bin.rhs->type))
        return 0;
      break;
    default:
      return 0;
    }
    return shareable(g, e->u.bin.lhs, depth + 1) &&
           shareable(g, e->u.bin.rhs, depth + 1);
  case EX_IN:
    return plain_kind(e->u.in.elem->type) &&
           shareable(g, e->u.in.elem, depth + 1) &&
           const_keys(g, e->u.in.set, &k, 0) >= 0;
  default:
    return 0;
  }
}

/* Whether value e is a constant whose code is no instruction. */
static int const_value(const struct expr *e, int depth)
{
  if (depth > 64)
    return 0;
  while (e->expansion)
    e = e->expansion;
  if (lit_param(e))
    return 1;
  switch (e->kind) {
  case EX_VERDICT: case EX_MONEY:
    return 1;
  case EX_NAME: case EX_QUALIFIED:
    return e->ref.kind == REF_CONST && e->ref.decl &&
           e->ref.decl->u.value.init &&
           const_value(e->ref.decl->u.value.init, depth + 1);
  default:
    return 0;
  }
}

static int same_type(const struct type *a, const struct type *b)
{
  if (a == b)
    return 1;
  if (!a || !b || a->kind != b->kind || a->enm != b->enm)
    return 0;
  return a->kind != TY_SET || same_type(a->elem, b->elem);
}

/* Whether shareable a and b differ at most in their literals. */
static int same_shape(struct cg *g, const struct expr *a,
                      const struct expr *b, int depth)
{
  long long *ka, *kb;
  int na, nb;

  if (depth > 64)
    return 0;
  while (a->expansion)
    a = a->expansion;
  while (b->expansion)
    b = b->expansion;
  if (a->kind != b->kind || !same_type(a->type, b->type))
    return 0;
  if (lit_param(a) || lit_param(b))
    return lit_param(a) && lit_param(b) && a->ref.kind == b->ref.kind &&
           a->ref.decl == b->ref.decl;
  switch (a->kind) {
  case EX_NAME: case EX_QUALIFIED: case EX_PATH:
    return a->ref.kind == b->ref.kind && a->ref.decl == b->ref.decl;
  case EX_UNARY:
    return a->u.unary.op == b->u.unary.op &&
           same_shape(g, a->u.unary.operand, b->u.unary.operand, depth + 1);
  case EX_BINARY:
    return a->u.bin.op == b->u.bin.op &&
           same_shape(g, a->u.bin.lhs, b->u.bin.lhs, depth + 1) &&
           same_shape(g, a->u.bin.rhs, b->u.bin.rhs, depth + 1);
  case EX_IN:
    if (a->u.in.negated != b->u.in.negated ||
        !same_shape(g, a->u.in.elem, b->u.in.elem, depth + 1))
      return 0;
    na = const_keys(g, a->u.in.set, &ka, 0);
    nb = const_keys(g, b->u.in.set, &kb, 0);
    return na >= 0 && na == nb && !memcmp(ka, kb, (size_t)na * sizeof *ka);
  default:
    return 0;
  }
}

static unsigned long shape_hash(const struct expr *e, unsigned long h,
                                int depth)
{
  if (depth > 64)
    return h;
  while (e->expansion)
    e = e->expansion;
  h = h * 31 + (unsigned long)e->kind;
  if (lit_param(e))
    return h;
  switch (e->kind) {
  case EX_NAME: case EX_QUALIFIED: case EX_PATH:
    return h * 31 + (unsigned long)(size_t)e->ref.decl;
  case EX_UNARY:
    return shape_hash(e->u.unary.operand, h, depth + 1);
  case EX_BINARY:
    h = shape_hash(e->u.bin.lhs, h * 31 + (unsigned long)e->u.bin.op,
                   depth + 1);
    return shape_hash(e->u.bin.rhs, h, depth + 1);
  case EX_IN:
    return shape_hash(e->u.in.elem, h, depth + 1);
  default:
    return h;
  }
}

/* e's literals that are parameters, in order (not those of sets). */
static void lit_list(const struct expr *e, const struct expr **out, int *n,
                     int depth)
{
  if (depth > 64)
    return;
  while (e->expansion)
    e = e->expansion;
  if (lit_param(e)) {
    if (out)
      out[*n] = e;
    (*n)++;
    return;
  }
  switch (e->kind) {
  case EX_UNARY:
    lit_list(e->u.unary.operand, out, n, depth + 1);
    break;
  case EX_BINARY:
    lit_list(e->u.bin.lhs, out, n, depth + 1);
    lit_list(e->u.bin.rhs, out, n, depth + 1);
    break;
  case EX_IN:
    lit_list(e->u.in.elem, out, n, depth + 1);
    break;
  default:
    break;
  }
}

/* One case that branched to shared code: from where, with what. */
struct sleaf {
  LLVMBasicBlockRef bb;
  struct val v;
  LLVMValueRef tr;
  LLVMValueRef *lit;
};

/* The code shared by cases of one shape that go on at one exit. */
struct shared {
  struct shared *next;
  struct citem rep;              /* the first case: its code */
  unsigned long hash;
  const struct expr **lits;
  int nlits;
  LLVMBasicBlockRef bb;          /* where the cases branch */
  struct ksave *kn;              /* met over them */
  struct sleaf *leaves;
  int nleaves, cap;
};

/* Whether case it (conjuncts from `at`) may share its code. */
static int share_ok(struct cg *g, const struct citem *it)
{
  int j;

  if (it->at >= it->nconj || !const_value(it->c->value, 0))
    return 0;
  for (j = it->at; j < it->nconj; j++)
    if (!shareable(g, it->conj[j], 0))
      return 0;
  return 1;
}

/* Case it branches to the code it shares with others of its shape at
 * exit ex (made on first use; lower_shared writes it). */
static void share_case(struct cg *g, struct cdest *D, const struct citem *it,
                       struct cexit *ex)
{
  unsigned long h = (unsigned long)(it->nconj - it->at);
  struct shared *s;
  struct sleaf *l;
  const struct expr **lits;
  int j, n = 0;

  for (j = it->at; j < it->nconj; j++)
    h = shape_hash(it->conj[j], h, 0);
  for (s = ex->sh; s; s = s->next) {
    if (s->hash != h || s->rep.nconj - s->rep.at != it->nconj - it->at)
      continue;
    for (j = 0; j < it->nconj - it->at &&
                same_shape(g, s->rep.conj[s->rep.at + j], it->conj[it->at + j],
                           0);
         j++)
      ;
    if (j == it->nconj - it->at)
      break;
  }
  if (!s) {
    s = cg_alloc(g, sizeof *s);
    if (!s)
      return;
    s->rep = *it;
    s->hash = h;
    for (j = it->at; j < it->nconj; j++)
      lit_list(it->conj[j], NULL, &s->nlits, 0);
    s->lits = cg_alloc(g, (size_t)(s->nlits + 1) * sizeof *s->lits);
    if (!s->lits)
      return;
    for (j = it->at; j < it->nconj; j++)
      lit_list(it->conj[j], s->lits, &n, 0);
    s->bb = block(g, "shared");
    s->next = ex->sh;
    ex->sh = s;
  }
  if (s->nleaves == s->cap) {
    int cap = 2 * s->cap + 8;
    struct sleaf *ls = cg_alloc(g, (size_t)cap * sizeof *ls);

    if (!ls)
      return;
    if (s->nleaves)
      memcpy(ls, s->leaves, (size_t)s->nleaves * sizeof *ls);
    s->leaves = ls;
    s->cap = cap;
  }
  l = &s->leaves[s->nleaves++];
  lits = malloc((size_t)(s->nlits + 1) * sizeof *lits);
  l->lit = cg_alloc(g, (size_t)(s->nlits + 1) * sizeof *l->lit);
  if (!lits || !l->lit) {
    free(lits);
    ice(g, "out of memory");
    return;
  }
  n = 0;
  for (j = it->at; j < it->nconj; j++)
    lit_list(it->conj[j], lits, &n, 0);
  /* Literals and the value are constants: no code here. */
  for (j = 0; j < n; j++)
    l->lit[j] = cg_expr_t(g, lits[j], lits[j]->type).a;
  free(lits);
  l->v = cg_expr_t(g, it->c->value, num_as(it->c->value->type, D->t));
  l->tr = ci32(g, loc_of(g, it->c->kw_span));
  l->bb = LLVMGetInsertBlock(g->b);
  s->kn = known_meet(g, s->kn);
  LLVMBuildBr(g->b, s->bb);
}

/* Cases above which shared code takes what differs between them from
 * constant tables, by an index each case stores, instead of from phis: a
 * phi of N incoming values costs register coalescing time quadratic in N
 * (a 1,000-case block had 4 such phis of 998). */
#define CG_SHARED_PHIS 32

/* One column of what shared code takes from its cases (in[i] for case
 * i): a phi, or (idx not NULL) a load from a constant table. */
static LLVMValueRef shared_col(struct cg *g, const struct shared *s,
                               LLVMValueRef *in, LLVMBasicBlockRef *bbs,
                               LLVMValueRef idx, const char *name)
{
  LLVMTypeRef t = LLVMTypeOf(in[0]), at_;
  LLVMValueRef v, gv, gi[2];

  if (!idx) {
    v = LLVMBuildPhi(g->b, t, name);
    LLVMAddIncoming(v, in, bbs, (unsigned)s->nleaves);
    return v;
  }
  at_ = LLVMArrayType(t, (unsigned)s->nleaves);
  gv = LLVMAddGlobal(g->mod, at_, "rpol.cases");
  LLVMSetInitializer(gv, LLVMConstArray(t, in, (unsigned)s->nleaves));
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
  gi[0] = ci64(g, 0);
  gi[1] = idx;
  return load(g, t, LLVMBuildInBoundsGEP2(g->b, at_, gv, gi, 2, name));
}

/* Writes the code that cases share at exit ex: the first case's, on
 * phis (or tables) of every case's literals, value and trace. */
static void lower_shared(struct cg *g, struct cdest *D, struct cexit *ex)
{
  struct shared *s;
  LLVMBasicBlockRef *bbs;
  LLVMValueRef *in, *sv, *old_v, tr, idx, slot, st;
  const struct expr **old_e;
  struct val v;
  int i, j, old_n, ok;

  for (s = ex->sh; s; s = s->next) {
    bbs = malloc((size_t)(s->nleaves + 1) * sizeof *bbs);
    in = malloc((size_t)(s->nleaves + 1) * sizeof *in);
    sv = cg_alloc(g, (size_t)(s->nlits + 1) * sizeof *sv);
    if (!bbs || !in || !sv || !s->nleaves) {
      free(bbs);
      free(in);
      ice(g, "out of memory");
      return;
    }
    for (i = 0; i < s->nleaves; i++)
      bbs[i] = s->leaves[i].bb;
    /* Tables hold constants only (the value's code is none: const_value). */
    ok = s->nleaves > CG_SHARED_PHIS;
    for (i = 0; i < s->nleaves && ok; i++) {
      ok = LLVMIsConstant(s->leaves[i].v.a) && LLVMIsConstant(s->leaves[i].tr) &&
           (!s->leaves[i].v.b || LLVMIsConstant(s->leaves[i].v.b));
      for (j = 0; j < s->nlits && ok; j++)
        ok = LLVMIsConstant(s->leaves[i].lit[j]);
    }
    idx = NULL;
    if (ok) {
      /* Each case stores its index where SROA leaves it in memory
       * (volatile): a phi of them would be the one this avoids. */
      slot = alloca_of(g, g->i32, "case.index");
      for (i = 0; i < s->nleaves; i++) {
        LLVMPositionBuilderBefore(g->b, LLVMGetBasicBlockTerminator(bbs[i]));
        st = LLVMBuildStore(g->b, ci32(g, i), slot);
        LLVMSetVolatile(st, 1);
      }
      at(g, s->bb);
      idx = load(g, g->i32, slot);
      LLVMSetVolatile(idx, 1);
      idx = LLVMBuildZExt(g->b, idx, g->i64, "");
    } else {
      at(g, s->bb);
    }
    for (j = 0; j < s->nlits; j++) {
      for (i = 0; i < s->nleaves; i++)
        in[i] = s->leaves[i].lit[j];
      sv[j] = shared_col(g, s, in, bbs, idx, "lit");
    }
    for (i = 0; i < s->nleaves; i++)
      in[i] = s->leaves[i].tr;
    tr = shared_col(g, s, in, bbs, idx, "tr");
    for (i = 0; i < s->nleaves; i++)
      in[i] = s->leaves[i].v.a;
    v.a = shared_col(g, s, in, bbs, idx, "v");
    v.b = NULL;
    if (s->leaves[0].v.b) {
      for (i = 0; i < s->nleaves; i++)
        in[i] = s->leaves[i].v.b;
      v.b = shared_col(g, s, in, bbs, idx, "v");
    }
    known_restore(g, s->kn);
    /* The conditions may decide an output whose own block shares code:
     * that one's substitutions last while it is written, then these. */
    old_e = g->subst_e;
    old_v = g->subst_v;
    old_n = g->nsubst;
    g->subst_e = s->lits;
    g->subst_v = sv;
    g->nsubst = s->nlits;
    lower_case(g, D, &s->rep, NULL, 0, ex, &v, tr);
    g->subst_e = old_e;
    g->subst_v = old_v;
    g->nsubst = old_n;
    free(bbs);
    free(in);
  }
  ex->sh = NULL;
}

static int lower_chain(struct cg *g, struct cdest *D, struct citem *items,
                       int n, const struct fknown *kn, int nkn,
                       struct cexit *ex);

/* A switch group: the keys that go to one bucket, and its cases. */
struct sgroup {
  long long *keys;
  int nkeys;
  const unsigned char *in;       /* [m] which of the run's cases */
};

/* Sorts the run's keys by the cases they let through, so that keys with
 * the same cases are adjacent and share a bucket. */
struct in_rows {
  const unsigned char *in;
  int m;
};

static int in_cmp(const void *a, const void *b, void *arg)
{
  const struct in_rows *r = arg;
  int x = *(const int *)a, y = *(const int *)b;
  int c = memcmp(r->in + (size_t)x * (size_t)r->m,
                 r->in + (size_t)y * (size_t)r->m, (size_t)r->m);

  return c ? c : x < y ? -1 : x > y;
}

static int grp_cmp(const void *a, const void *b)
{
  const struct sgroup *x = a, *y = b;

  return x->keys[0] < y->keys[0] ? -1 : x->keys[0] > y->keys[0];
}

/* Lowers the run items[0..m) (every head conjunct tests one field) as a
 * switch on the field; the cases that do not match go on at ex, or, ex
 * NULL, after the switch.  Returns -1 when the run would copy too many
 * cases into several buckets (overlapping sets, `!=`) and is better left
 * a chain; else whether the code goes on after the switch here. */
static int lower_switch(struct cg *g, struct cdest *D, struct citem *items,
                        int m, const struct fknown *kn, int nkn,
                        struct cexit *ex)
{
  const struct ftest *t0 = items[0].test[items[0].at];
  long long *keys = NULL;
  unsigned char *in = NULL, *defin = NULL;
  int *order = NULL, nk = 0, i, j, r, ng = 0, cost = 0, ret = -1, ndef = 0;
  struct sgroup *grp = NULL;
  struct citem *sub = NULL;
  struct fknown *skn = NULL;
  struct ksave *start;
  struct cexit own = {NULL, NULL, 0, 1, NULL};
  struct in_rows rows;
  LLVMBasicBlockRef defbb;
  LLVMValueRef sw, x;

  for (r = 0; r < m; r++)
    nk += items[r].test[items[r].at]->nkeys;
  keys = malloc((size_t)(nk + 1) * sizeof *keys);
  defin = calloc((size_t)m + 1, 1);
  sub = malloc((size_t)(m + 1) * sizeof *sub);
  skn = malloc((size_t)(nkn + 1) * sizeof *skn);
  if (!keys || !defin || !sub || !skn)
    goto out;
  nk = 0;
  for (r = 0; r < m; r++) {
    const struct ftest *t = items[r].test[items[r].at];

    memcpy(keys + nk, t->keys, (size_t)t->nkeys * sizeof *keys);
    nk += t->nkeys;
    defin[r] = (unsigned char)t->neg;   /* values no case names */
    ndef += t->neg;
  }
  qsort(keys, (size_t)nk, sizeof *keys, key_cmp);
  for (i = j = 0; i < nk; i++)
    if (j == 0 || keys[j - 1] != keys[i])
      keys[j++] = keys[i];
  nk = j;
  in = malloc((size_t)nk * (size_t)m + 1);
  order = malloc((size_t)(nk + 1) * sizeof *order);
  grp = malloc((size_t)(nk + 1) * sizeof *grp);
  if (!in || !order || !grp)
    goto out;
  for (i = 0; i < nk; i++) {
    for (r = 0; r < m; r++) {
      const struct ftest *t = items[r].test[items[r].at];

      in[(size_t)i * (size_t)m + (size_t)r] =
          (unsigned char)(keys_has(t->keys, t->nkeys, keys[i]) != t->neg);
    }
    order[i] = i;
  }
  /* qsort_r: the rows travel with the call, as concurrent compiles in
   * other threads sort their own (a static for them was a data race). */
  rows.in = in;
  rows.m = m;
  qsort_r(order, (size_t)nk, sizeof *order, in_cmp, &rows);
  /* Groups of keys with the same cases; keys with the default's cases
   * go to the default. */
  for (i = 0; i < nk; i = j) {
    const unsigned char *row = in + (size_t)order[i] * (size_t)m;

    for (j = i + 1; j < nk && !memcmp(row, in + (size_t)order[j] *
                                                (size_t)m, (size_t)m); j++)
      ;
    if (!memcmp(row, defin, (size_t)m))
      continue;
    grp[ng].keys = cg_alloc(g, (size_t)(j - i) * sizeof(long long));
    if (!grp[ng].keys)
      goto out;
    for (r = i; r < j; r++)
      grp[ng].keys[r - i] = keys[order[r]];
    qsort(grp[ng].keys, (size_t)(j - i), sizeof(long long), key_cmp);
    grp[ng].nkeys = j - i;
    grp[ng].in = row;
    for (r = 0; r < m; r++)
      cost += row[r];
    ng++;
  }
  if (cost + ndef > 2 * m + 8)
    goto out;
  qsort(grp, (size_t)ng, sizeof *grp, grp_cmp);
  /* The default's keys: every key of the groups (the field is in none). */
  for (i = nk = 0; i < ng; i++)
    for (j = 0; j < grp[i].nkeys; j++)
      keys[nk++] = grp[i].keys[j];
  qsort(keys, (size_t)nk, sizeof *keys, key_cmp);

  if (!ex) {
    own.bb = block(g, "sw.after");
    ex = &own;
  }
  x = cg_expr(g, t0->field).a;
  /* Values for which no case is left go on at once. */
  defbb = ndef ? block(g, "sw.default") : ex->bb;
  if (!ndef)
    exit_edge(g, ex);
  for (i = 0; i < ng; i++)
    if (!memchr(grp[i].in, 1, (size_t)m))
      exit_edge(g, ex);
  sw = LLVMBuildSwitch(g->b, x, defbb, (unsigned)nk);
  start = known_save(g);
  if (nkn)
    memcpy(skn, kn, (size_t)nkn * sizeof *skn);
  skn[nkn].slot = t0->slot;
  for (i = 0; i <= ng; i++) {
    const unsigned char *row = i < ng ? grp[i].in : defin;
    LLVMBasicBlockRef bb;
    int ns = 0;

    for (r = 0; r < m; r++)
      if (row[r]) {
        sub[ns] = items[r];
        sub[ns++].at++;
      }
    if (i < ng) {
      bb = ns ? block(g, "sw.case") : ex->bb;
      for (j = 0; j < grp[i].nkeys; j++)
        LLVMAddCase(sw, LLVMConstInt(LLVMTypeOf(x),
                                     (unsigned long long)grp[i].keys[j], 1),
                    bb);
    } else {
      bb = defbb;
    }
    if (!ns)
      continue;
    skn[nkn].neg = i == ng;
    skn[nkn].keys = i < ng ? grp[i].keys : keys;
    skn[nkn].nkeys = i < ng ? grp[i].nkeys : nk;
    at(g, bb);
    known_restore(g, start);
    lower_chain(g, D, sub, ns, skn, nkn + 1, ex);
  }
  ret = 0;
  if (ex == &own) {
    lower_shared(g, D, &own);
    if (own.used) {
      at(g, own.bb);
      known_restore(g, own.kn);
      ret = 1;
    } else {
      LLVMDeleteBasicBlock(own.bb);
    }
  }
out:
  free(keys);
  free(defin);
  free(in);
  free(order);
  free(grp);
  free(sub);
  free(skn);
  return ret;
}

/* Lowers the cases items[0..n) in order (see the section comment), where
 * the switches around know kn of their fields.  If none matches, the code
 * goes on at ex; or, ex NULL, here: returns whether it does. */
static int lower_chain(struct cg *g, struct cdest *D, struct citem *items,
                       int n, const struct fknown *kn, int nkn,
                       struct cexit *ex)
{
  struct cexit next;
  int i, j, r, lin = 0;

  for (i = 0; i < n; i = j) {
    struct citem *it = &items[i];
    const struct ftest *t;

    r = -1;
    /* Head conjuncts the switches around decide: passed, or the case
     * cannot match here. */
    while (it->at < it->nconj && it->test[it->at] &&
           (r = test_known(it->test[it->at], kn, nkn)) == 1)
      it->at++;
    if (it->at < it->nconj && it->test[it->at] && r == 0) {
      j = i + 1;
      continue;
    }
    t = it->at < it->nconj ? it->test[it->at] : NULL;
    j = i + 1;
    if (t) {
      while (j < n && items[j].at < items[j].nconj &&
             items[j].test[items[j].at] &&
             items[j].test[items[j].at]->slot == t->slot &&
             test_known(items[j].test[items[j].at], kn, nkn) < 0)
        j++;
      if (j - i >= 2 && i >= lin) {
        r = lower_switch(g, D, it, j - i, kn, nkn, j == n ? ex : NULL);
        if (r == 0)
          return 0;
        if (r == 1)
          continue;
        lin = j;                 /* a chain, not tried again case by case */
      }
      j = i + 1;
    }
    if (j == n && ex) {
      if (ex->shares && share_ok(g, it))
        share_case(g, D, it, ex);
      else
        lower_case(g, D, it, kn, nkn, ex, NULL, NULL);
      return 0;
    }
    memset(&next, 0, sizeof next);
    next.bb = block(g, "next");
    lower_case(g, D, it, kn, nkn, &next, NULL, NULL);
    if (!next.used) {
      LLVMDeleteBasicBlock(next.bb);
      return 0;
    }
    at(g, next.bb);
    known_restore(g, next.kn);
  }
  if (!ex)
    return 1;
  exit_edge(g, ex);
  LLVMBuildBr(g->b, ex->bb);
  return 0;
}

/* Evaluates cases in order; *trace (if asked) is the location of the
 * deciding case's keyword. */
static struct val cg_cases(struct cg *g, struct case_ **cases, int n,
                           const struct type *t, LLVMValueRef *trace)
{
  struct cdest D;
  struct citem *items;
  signed char *carried;
  int i, nc = 0, j;
  const struct expr **conj;
  struct ftest **tests, *tt;

  if (n <= 0) {
    ice(g, "empty case block");
    return undef_val(g, t);
  }
  memset(&D, 0, sizeof D);
  D.t = t;
  for (i = 0; i < n; i++)
    nc += cases[i]->cond ? conj_count(cases[i]->cond) : 0;
  items = cg_alloc(g, (size_t)n * sizeof *items);
  conj = cg_alloc(g, (size_t)(nc + 1) * sizeof *conj);
  tests = cg_alloc(g, (size_t)(nc + 1) * sizeof *tests);
  tt = cg_alloc(g, (size_t)(nc + 1) * sizeof *tt);
  carried = cg_alloc(g, (size_t)g->prog->ninputs + 1);
  if (!items || !conj || !tests || !tt || !carried)
    return undef_val(g, t);
  for (i = nc = 0; i < n; i++) {
    items[i].c = cases[i];
    items[i].conj = conj + nc;
    items[i].test = tests + nc;
    items[i].nconj = 0;
    items[i].at = 0;
    if (cases[i]->cond)
      conj_fill(cases[i]->cond, items[i].conj, &items[i].nconj);
    for (j = 0; j < items[i].nconj; j++)
      items[i].test[j] = field_test(g, items[i].conj[j], &tt[nc + j],
                                    carried) ? &tt[nc + j] : NULL;
    nc += items[i].nconj;
  }
  D.end = block(g, "case.end");
  if (lower_chain(g, &D, items, n, NULL, 0, NULL))
    LLVMBuildUnreachable(g->b);   /* sema guarantees `otherwise` */
  at(g, D.end);
  if (D.all)
    known_restore(g, D.all);
  if (trace) {
    *trace = LLVMBuildPhi(g->b, g->i32, "trace");
    LLVMAddIncoming(*trace, D.tr, D.bbs, (unsigned)D.k);
  }
  return phi_vals(g, D.vs, D.bbs, (unsigned)D.k);
}

/* ------------------------------------------------------- bodies */

static void gen_fn(struct cg *g, struct fnmap *m)
{
  const struct decl *d = m->d;
  struct val *ps, v;
  unsigned k = 4;
  int i;
  const struct type *rt = d->u.fn.result;
  LLVMValueRef oa, ob = NULL;

  ps = cg_alloc(g, (size_t)(d->u.fn.nparams + 1) * sizeof *ps);
  if (!ps)
    return;
  begin_function(g, m->fn);
  for (i = 0; i < d->u.fn.nparams; i++) {
    ps[i].a = LLVMGetParam(m->fn, k++);
    ps[i].b = type_b(g, d->u.fn.params[i].type) ? LLVMGetParam(m->fn, k++)
                                                  : NULL;
  }
  oa = LLVMGetParam(m->fn, k++);
  if (type_b(g, rt))
    ob = LLVMGetParam(m->fn, k++);
  g->params = ps;
  g->fndecl = d;
  if (d->u.fn.body)
    v = cg_expr_t(g, d->u.fn.body, num_as(d->u.fn.body->type, rt));
  else
    v = cg_cases(g, d->u.fn.cases, d->u.fn.ncases, rt, NULL);
  LLVMBuildStore(g->b, v.a, oa);
  if (ob && v.b)
    LLVMBuildStore(g->b, v.b, ob);
  LLVMBuildRet(g->b, ci32(g, 0));
  end_function(g);
}

static int is_std_money(const struct program *p, int k)
{
  return k >= OUT_RESTOCKING_FEE && k <= OUT_REFUND_AMOUNT &&
         k < p->nstd_outputs;
}

/* Cases above which an output gets a function of its own. */
#define CG_OUTLINE_CASES 64

/* Cases above which the input fields an output reads are all loaded at
 * the start of its code (hoisted): in a long chain of cases, loads where
 * first read made GVN's walks quadratic (1,000 cases: 71 s instead of
 * 5.7 s).  A smaller output loads a field where it first reads it and
 * reuses the load where that point dominates (field_here), and each of
 * the evaluator's outputs in turn loads afresh, so no load lives from
 * one output into the next.  Hoisted, bench/policy.rpol's `eligible`
 * loaded nine fields at entry that stayed live through its cases, and
 * paths that read none of them loaded them too: 161.9 -> 146.2
 * instructions per decision. */
#define CG_HOIST_CASES 32

/* Decides output k once per decision into the evaluator's frame (value,
 * trace, then the flag), as emit_let computes a let; the evaluator writes
 * its result slot once, at its turn after `eligible`.  Keeping them in
 * the frame rather than in res->out lets the optimiser keep them in
 * registers, and no flag in res->out has to be cleared before a decision.
 * A big output is decided by calling its own function (call_frame_fn):
 * optimising one function grows faster than its size, so a policy of
 * many big decide blocks builds in far less time this way; the frame
 * then stays in memory. */
static void emit_output(struct cg *g, int k)
{
  const struct decl *d = g->prog->outputs[k];
  const struct decl *dec = d->u.output.decided_by;
  const struct type *t = d->u.output.type;
  int f = g->out_field[k];
  int st = g->known ? g->known[g->prog->nlets + k] : KN_MAYBE;
  LLVMValueRef trace;
  LLVMBasicBlockRef done = NULL;
  struct val v;
  struct ksave *kn = NULL;
  int hoist = 0;

  if (st != KN_YES && g->out_fns && g->fn != g->out_fns[k] &&
      ((dec && dec->u.decide.ncases > CG_OUTLINE_CASES) ||
       copy_elsewhere(g, g->prog->nlets + k))) {
    call_frame_fn(g, &g->out_fns[k], "out", k, g->prog->nlets + k);
    return;
  }

  if (st == KN_YES)
    return;
  if (st == KN_MAYBE)
    done = memo_guard(g, f, "decided", "decide", &kn);
  if (!g->hoisting && g->hb && g->nfcache && dec &&
      dec->u.decide.ncases > CG_HOIST_CASES) {
    LLVMBasicBlockRef body = block(g, "decide.body");

    hoist = 1;
    g->hoisting = 1;
    memset(g->hval, 0, sizeof *g->hval * (size_t)g->nfcache);
    memset(g->hpres, 0, sizeof *g->hpres * (size_t)g->nfcache);
    LLVMPositionBuilderBefore(g->hb, LLVMBuildBr(g->b, body));
    at(g, body);
  }
  if (dec) {
    eager_lets(g, dec);
    v = cg_cases(g, dec->u.decide.cases, dec->u.decide.ncases, t, &trace);
  } else {
    const struct expr *df = d->u.output.deflt;

    v = cg_expr_t(g, df, num_as(df->type, t));
    trace = ci32(g, loc_of(g, df->span));
  }
  /* Standard money outputs are in the order currency (§6); the error is
   * located where the output got its value, as in the trace. */
  if (is_std_money(g->prog, k))
    fail_at(g, LLVMBuildICmp(g->b, LLVMIntNE, v.b, order_cur(g), ""),
            ci32(g, RPOL_E_CURRENCY_MISMATCH), trace);
  store_field(g, g->frame, g->fr, (unsigned)f + 3, trace);
  gen_value(g, f, v);
  if (hoist)
    g->hoisting = 0;
  if (done) {
    LLVMBuildBr(g->b, done);
    at(g, done);
    known_join(g, kn);
  }
  if (g->known)
    g->known[g->prog->nlets + k] = KN_YES;
}

static void gen_output(struct cg *g, int k)
{
  begin_function(g, g->out_fns[k]);
  emit_output(g, k);
  LLVMBuildRet(g->b, ci32(g, 0));
  end_function(g);
}

static void gen_let_fn(struct cg *g, int i)
{
  begin_function(g, g->let_fns[i]);
  emit_let(g, i);
  LLVMBuildRet(g->b, ci32(g, 0));
  end_function(g);
}

static int output_evaluated(const struct decl *d)
{
  return d->u.output.decided_by ||
         (!d->u.output.absent_default && d->u.output.deflt);
}

/* The result's output and trace arrays, loaded once before the slots
 * are written: a store into a slot could alias res->out as far as LLVM
 * knows, so loading them per output would reload them every time.  The
 * trace array is read through the body's trace slot (gen_evaluator). */
static void result_arrays(struct cg *g, LLVMValueRef *outs, LLVMValueRef *tr)
{
  *outs = load_field(g, g->res, g->resp, RS_OUT, g->pslot);
  *tr = load(g, LLVMPointerType(g->i32, 0), g->trslot);
}

/* Writes output k's slot and trace entry from the frame. */
static void write_output(struct cg *g, LLVMValueRef outs, LLVMValueRef tr,
                         int k)
{
  int f = g->out_field[k];

  slot_store(g, slot_at(g, outs, k), g->prog->outputs[k]->u.output.type,
             out_frame_val(g, k));
  LLVMBuildStore(g->b, load_field(g, g->frame, g->fr, (unsigned)f + 3,
                                  g->i32),
                 index_ptr(g, g->i32, tr, ci64(g, k)));
}

/* The evaluator's body: rpol.eval.P.body(in, res, env, trslot) decides
 * as described at the top and writes each output's trace entry into
 * (*trslot)[k]. */
static LLVMValueRef gen_body(struct cg *g)
{
  const struct program *p = g->prog;
  char name[64];
  LLVMValueRef fn, fr, deny, phi, verdict, reason, outs, tr;
  LLVMBasicBlockRef denied, go, errbb, here, hdr;
  LLVMTypeRef pt[4];
  int i, k;

  snprintf(name, sizeof name, "rpol.eval.%d.body", g->pindex);
  pt[0] = g->pslot;
  pt[1] = g->pres;
  pt[2] = g->penv;
  pt[3] = LLVMPointerType(LLVMPointerType(g->i32, 0), 0);
  fn = new_internal(g, name, LLVMFunctionType(g->i32, pt, 4, 0));
  begin_function(g, fn);
  g->trslot = LLVMGetParam(fn, 3);
  fr = alloca_of(g, g->frame, "frame");
  g->fr = fr;
  if (g->nknown)
    memset(g->known, KN_NO, (size_t)g->nknown);
  /* The caller has reset the result (rpol_abi.h): the header says
   * decided, every output is unreported and traced -1.  So only what is
   * decided is written, once, and an error or a denial leaves the rest as
   * it is. */
  for (i = 0; i < p->nlets; i++)
    store_field(g, g->frame, fr, (unsigned)g->let_field[i], ci8(g, 0));
  for (k = 0; k < p->noutputs; k++)
    if (g->out_field[k] >= 0)
      store_field(g, g->frame, fr, (unsigned)g->out_field[k], ci8(g, 0));
  if (g->out_field[OUT_ELIGIBLE] < 0) {
    ice(g, "eligible is not decided");
    LLVMBuildRet(g->b, ci32(g, 0));
    end_function(g);
    return fn;
  }
  here = LLVMGetInsertBlock(g->b);
  errbb = block(g, "error");
  at(g, errbb);
  phi = LLVMBuildPhi(g->b, g->i32, "rc");
  LLVMBuildRet(g->b, phi);
  at(g, here);
  g->errbb = errbb;
  g->errphi = phi;
  /* Everything is decided by the evaluator's own code: outputs in table
   * order, lets and outputs read before their turn (eligible reading
   * window, say) where they are first read. */
  emit_output(g, OUT_ELIGIBLE);
  verdict = out_frame_val(g, OUT_ELIGIBLE).a;
  reason = out_frame_val(g, OUT_ELIGIBLE).b;
  /* The caller reset verdict and reason to allow's 0 and -1: they are
   * stored only for a review or a denial (the test, on phis of
   * constants, is threaded away by the passes). */
  hdr = block(g, "verdict");
  go = block(g, "verdict.done");
  LLVMBuildCondBr(g->b,
                  verdict_not_reset(g, verdict,
                                    LLVMBuildICmp(g->b, LLVMIntNE, reason,
                                                  ci32(g, -1), "")),
                  hdr, go);
  at(g, hdr);
  store_field(g, g->res, g->resp, RS_VERDICT, verdict);
  store_field(g, g->res, g->resp, RS_REASON, reason);
  LLVMBuildBr(g->b, go);
  at(g, go);
  deny = LLVMBuildICmp(g->b, LLVMIntEQ, verdict, ci32(g, VERDICT_DENY), "");
  denied = block(g, "denied"), go = block(g, "allowed");
  LLVMBuildCondBr(g->b, deny, denied, go);
  at(g, denied);
  /* After a deny nothing else is reported, not even what eligible read. */
  result_arrays(g, &outs, &tr);
  write_output(g, outs, tr, OUT_ELIGIBLE);
  LLVMBuildRet(g->b, ci32(g, RPOL_DECIDED));
  at(g, go);
  /* Each output's slot is written as soon as it is decided: written all
   * at the end, the values and traces decided early lived across the
   * whole evaluator, and the register allocator spilled them (bench
   * policy: 183.2 -> 176.3 instructions per decision).  An error after
   * some writes leaves them in res->out, where nothing reads them: the
   * result's code says error. */
  result_arrays(g, &outs, &tr);
  write_output(g, outs, tr, OUT_ELIGIBLE);
  for (k = 1; k < p->noutputs; k++)
    if (g->out_field[k] >= 0) {
      /* Fields read again here are loaded again here (CG_HOIST_CASES). */
      fields_forget(g);
      emit_output(g, k);
      if (!(k >= OUT_SHIPPING_REFUND && k <= OUT_DUTIES_REFUND &&
            !p->outputs[k]->u.output.decided_by))
        write_output(g, outs, tr, k);
    }
  LLVMBuildRet(g->b, ci32(g, RPOL_DECIDED));
  end_function(g);
  return fn;
}

/* An evaluator: the body called with where its trace goes. */
static LLVMValueRef gen_wrapper(struct cg *g, LLVMValueRef body,
                                const char *name, int traced)
{
  LLVMValueRef fn = new_internal(g, name, g->evalfn), args[4], slot;
  LLVMTypeRef bt = LLVMGlobalGetValueType(body);
  LLVMTypeRef arr = LLVMArrayType(g->i32, (unsigned)g->prog->noutputs);
  LLVMValueRef idx[2] = {ci32(g, 0), ci32(g, 0)};
  int i;

  LLVMPositionBuilderAtEnd(g->b,
                           LLVMAppendBasicBlockInContext(g->ctx, fn, "entry"));
  for (i = 0; i < 3; i++)
    args[i] = LLVMGetParam(fn, (unsigned)i);
  if (traced) {
    args[3] = gep_field(g, g->res, args[1], RS_TRACE);
  } else {
    /* A trace nobody reads: once the body is inlined, its stores into
     * this local array are dead and the passes delete them. */
    LLVMValueRef a = LLVMBuildAlloca(g->b, arr, "trace");

    slot = LLVMBuildAlloca(g->b, LLVMPointerType(g->i32, 0), "trslot");
    LLVMBuildStore(g->b, LLVMBuildInBoundsGEP2(g->b, arr, a, idx, 2, ""),
                   slot);
    args[3] = slot;
  }
  LLVMBuildRet(g->b, LLVMBuildCall2(g->b, bt, body, args, 4, ""));
  return fn;
}

/* The two evaluators of a program, on one body (gen_body): rpol.eval.P
 * writes the trace, rpol.eval.P.plain (*plain) does not.  The body is
 * always inlined by the full pipeline, so the plain evaluator is the
 * traced one without its trace stores and costs no code generation of
 * its own before that; the quick tier's light pipeline does not inline,
 * and both call one copy of the body. */
static LLVMValueRef gen_evaluator(struct cg *g, LLVMValueRef *plain)
{
  char name[64];
  LLVMValueRef body = gen_body(g), fn;
  unsigned ak = LLVMGetEnumAttributeKindForName("alwaysinline", 12);

  LLVMAddAttributeAtIndex(body, LLVMAttributeFunctionIndex,
                          LLVMCreateEnumAttribute(g->ctx, ak, 0));
  snprintf(name, sizeof name, "rpol.eval.%d", g->pindex);
  fn = gen_wrapper(g, body, name, 1);
  snprintf(name, sizeof name, "rpol.eval.%d.plain", g->pindex);
  *plain = gen_wrapper(g, body, name, 0);
  return fn;
}

static int find_currency_slot(const struct program *p, int *required)
{
  int i;

  *required = 0;
  for (i = 0; i < p->ninputs; i++) {
    const struct decl *d = p->inputs[i];

    if (d->u.input.path && strcmp(d->u.input.path, "order.currency") == 0) {
      *required = d->u.input.required && !d->u.input.deflt;
      return d->u.input.slot;
    }
  }
  return -1;
}

/* The frame: per let a flag byte, then its value (one or two fields);
 * per evaluated output the same and its trace (a location index). */
static void build_frame(struct cg *g, char *name)
{
  const struct program *p = g->prog;
  LLVMTypeRef *ft = cg_alloc(g, (size_t)(3 * p->nlets + 4 * p->noutputs +
                                         1) * sizeof *ft);
  unsigned n = 0;
  int i;

  g->frame = LLVMStructCreateNamed(g->ctx, name);
  g->pframe = LLVMPointerType(g->frame, 0);
  if (!ft)
    return;
  for (i = 0; i < p->nlets; i++) {
    const struct type *t = num_as(p->lets[i]->u.value.type, &ty_int);

    g->let_field[i] = (int)n;
    ft[n++] = g->i8;
    ft[n++] = type_a(g, t);
    ft[n++] = type_b(g, t) ? type_b(g, t) : g->i8;
  }
  for (i = 0; i < p->noutputs; i++) {
    const struct type *t = num_as(p->outputs[i]->u.output.type, &ty_int);

    g->out_field[i] = -1;
    if (!output_evaluated(p->outputs[i]))
      continue;
    g->out_field[i] = (int)n;
    ft[n++] = g->i8;
    ft[n++] = type_a(g, t);
    ft[n++] = type_b(g, t) ? type_b(g, t) : g->i8;
    ft[n++] = g->i32;
  }
  if (n == 0)
    ft[n++] = g->i8;
  LLVMStructSetBody(g->frame, ft, n, 0);
}

static LLVMValueRef gen_program(struct cg *g, const struct program *p,
                                int index, LLVMValueRef *plain)
{
  char name[64];
  LLVMValueRef ev;
  int i, more;

  *plain = NULL;
  g->prog = p;
  g->pindex = index;
  g->cur_slot = find_currency_slot(p, &g->cur_required);
  g->let_field = cg_alloc(g, (size_t)(p->nlets + 1) * sizeof(int));
  g->out_field = cg_alloc(g, (size_t)(p->noutputs + 1) * sizeof(int));
  g->out_fns = cg_alloc(g, (size_t)(p->noutputs + 1) *
                               sizeof(LLVMValueRef));
  g->out_done = cg_alloc(g, (size_t)(p->noutputs + 1));
  g->let_fns = cg_alloc(g, (size_t)(p->nlets + 1) * sizeof(LLVMValueRef));
  g->let_done = cg_alloc(g, (size_t)(p->nlets + 1));
  g->copies = cg_alloc(g, (size_t)(p->nlets + p->noutputs + 1) *
                              sizeof *g->copies);
  g->weight = cg_alloc(g, (size_t)(p->nlets + p->noutputs + 1) *
                              sizeof *g->weight);
  g->nknown = 0;
  g->known = cg_alloc(g, (size_t)(p->nlets + p->noutputs + 1));
  /* One entry more: whether the order currency's exponent was checked
   * (exp_checked). */
  if (g->known)
    g->nknown = p->nlets + p->noutputs + 1;
  g->nfcache = 0;
  g->fval = cg_alloc(g, sizeof *g->fval * (size_t)(p->ninputs + 1));
  g->fpres = cg_alloc(g, sizeof *g->fpres * (size_t)(p->ninputs + 1));
  g->hval = cg_alloc(g, sizeof *g->hval * (size_t)(p->ninputs + 1));
  g->hpres = cg_alloc(g, sizeof *g->hpres * (size_t)(p->ninputs + 1));
  g->hoisting = 0;
  if (g->fval && g->fpres && g->hval && g->hpres)
    g->nfcache = p->ninputs;
  g->fns = NULL;
  g->nfns = g->capfns = 0;
  if (!g->let_field || !g->out_field || !g->out_fns || !g->out_done ||
      !g->let_fns || !g->let_done || !g->copies || !g->weight)
    return NULL;
  snprintf(name, sizeof name, "rpol.frame.%d", index);
  build_frame(g, name);
  ev = gen_evaluator(g, plain);
  /* Big outputs' functions and fns are generated as they are first
   * referenced. */
  do {
    more = 0;
    for (i = 0; i < p->noutputs && !g->err; i++)
      if (g->out_fns[i] && !g->out_done[i]) {
        g->out_done[i] = 1;
        gen_output(g, i);
        more = 1;
      }
    for (i = 0; i < p->nlets && !g->err; i++)
      if (g->let_fns[i] && !g->let_done[i]) {
        g->let_done[i] = 1;
        gen_let_fn(g, i);
        more = 1;
      }
    for (i = 0; i < g->nfns && !g->err; i++)
      if (!g->fns[i].done) {
        g->fns[i].done = 1;
        gen_fn(g, &g->fns[i]);
        more = 1;
      }
  } while (more && !g->err);
  return ev;
}

/* ------------------------------------------------------- the module */

static pthread_once_t native_once = PTHREAD_ONCE_INIT;
static int native_status;

static void native_init(void)
{
  if (LLVMInitializeNativeTarget() || LLVMInitializeNativeAsmPrinter())
    native_status = -1;
}

int cg_init_native(void)
{
  pthread_once(&native_once, native_init);
  return native_status;
}

static char *dup_llvm_message(const char *prefix, char *msg)
{
  size_t n = strlen(prefix) + (msg ? strlen(msg) : 0) + 1;
  char *s = malloc(n);

  if (s)
    snprintf(s, n, "%s%s", prefix, msg ? msg : "");
  if (msg)
    LLVMDisposeMessage(msg);
  return s;
}

LLVMTargetMachineRef cg_target_machine(int host_cpu, char **err)
{
  return cg_target_machine_at(host_cpu, LLVMCodeGenLevelDefault, err);
}

LLVMTargetMachineRef cg_target_machine_at(int host_cpu,
                                          LLVMCodeGenOptLevel level,
                                          char **err)
{
  char *triple, *msg = NULL, *cpu = NULL, *features = NULL;
  LLVMTargetRef target;
  LLVMTargetMachineRef tm;

  if (cg_init_native() != 0) {
    *err = strdup("LLVM has no target for this host");
    return NULL;
  }
  triple = LLVMGetDefaultTargetTriple();
  if (LLVMGetTargetFromTriple(triple, &target, &msg)) {
    LLVMDisposeMessage(triple);
    *err = dup_llvm_message("no LLVM target for this host: ", msg);
    return NULL;
  }
  if (host_cpu) {
    cpu = LLVMGetHostCPUName();
    features = LLVMGetHostCPUFeatures();
  }
  tm = LLVMCreateTargetMachine(target, triple, cpu ? cpu : "generic",
                               features ? features : "",
                               level, LLVMRelocPIC, LLVMCodeModelDefault);
  if (cpu)
    LLVMDisposeMessage(cpu);
  if (features)
    LLVMDisposeMessage(features);
  LLVMDisposeMessage(triple);
  if (!tm)
    *err = strdup("cannot create an LLVM target machine");
  return tm;
}

static void init_types(struct cg *g)
{
  LLVMContextRef c = g->ctx;
  LLVMTypeRef f[11];

  g->i1 = LLVMInt1TypeInContext(c);
  g->i8 = LLVMInt8TypeInContext(c);
  g->i32 = LLVMInt32TypeInContext(c);
  g->i64 = LLVMInt64TypeInContext(c);
  g->p8 = LLVMPointerType(g->i8, 0);
  g->pp8 = LLVMPointerType(g->p8, 0);

  g->slot = LLVMStructCreateNamed(c, "rpol.slot");
  f[0] = f[1] = f[2] = f[3] = g->i8;
  f[4] = g->i32;
  f[5] = g->i64;
  f[6] = g->p8;
  f[7] = g->i64;
  LLVMStructSetBody(g->slot, f, 8, 0);
  g->pslot = LLVMPointerType(g->slot, 0);

  g->res = LLVMStructCreateNamed(c, "rpol.result");
  f[0] = f[1] = f[2] = f[3] = f[4] = f[5] = g->i32;
  f[6] = g->pslot;
  f[7] = LLVMPointerType(g->i32, 0);
  f[8] = g->p8;
  f[9] = f[10] = g->i64;
  LLVMStructSetBody(g->res, f, 11, 0);
  g->pres = LLVMPointerType(g->res, 0);

  g->env = LLVMStructCreateNamed(c, "rpol.env");
  f[0] = g->pp8;
  f[1] = g->p8;
  f[2] = g->p8;
  LLVMStructSetBody(g->env, f, 3, 0);
  g->penv = LLVMPointerType(g->env, 0);

  g->str = LLVMStructCreateNamed(c, "rpol.str");
  f[0] = g->p8;
  f[1] = g->i64;
  LLVMStructSetBody(g->str, f, 2, 0);

  g->money = LLVMStructCreateNamed(c, "rpol.money");
  f[0] = g->i64;
  f[1] = g->i32;
  f[2] = g->i32;
  LLVMStructSetBody(g->money, f, 3, 0);

  f[0] = g->pslot;
  f[1] = g->pres;
  f[2] = g->penv;
  g->evalfn = LLVMFunctionType(g->i32, f, 3, 0);
}

/* Reads value.bc lazily into g->vm: its functions' types, not their
 * bodies (reading all of it took 10.5 M instructions, about 4 ms, of every
 * compile, though a policy calls a few of its helpers).  helper() declares
 * a helper in the module at its first call, with clang's types, and checks
 * calls against those; link_value_bc then brings the bodies of those. */
static int load_value_bc(struct cg *g)
{
  LLVMMemoryBufferRef buf;

  buf = LLVMCreateMemoryBufferWithMemoryRange(
      (const char *)rpol_value_bc, rpol_value_bc_len, "value.bc", 0);
  if (LLVMGetBitcodeModuleInContext2(g->ctx, buf, &g->vm)) {
    LLVMDisposeMemoryBuffer(buf);     /* the module owns it on success */
    g->vm = NULL;
    ice(g, "the embedded value.bc does not parse");
    return -1;
  }
  return 0;
}

/* Links the helpers the module calls (and what they call) from g->vm,
 * which it consumes: defined linkonce_odr there, the linker takes only
 * those the module references, and reads only their bodies. */
static int link_value_bc(struct cg *g)
{
  LLVMModuleRef vm = g->vm;
  LLVMValueRef fn;
  LLVMValueRef gv;

  g->vm = NULL;
  for (fn = LLVMGetFirstFunction(vm); fn; fn = LLVMGetNextFunction(fn))
    if (!LLVMIsDeclaration(fn))
      LLVMSetLinkage(fn, LLVMLinkOnceODRLinkage);
  for (gv = LLVMGetFirstGlobal(vm); gv; gv = LLVMGetNextGlobal(gv))
    if (!LLVMIsDeclaration(gv) &&
        LLVMGetLinkage(gv) != LLVMInternalLinkage &&
        LLVMGetLinkage(gv) != LLVMPrivateLinkage)
      LLVMSetLinkage(gv, LLVMLinkOnceODRLinkage);
  /* Same triple and layout, or the linker warns (on stderr). */
  LLVMSetTarget(vm, LLVMGetTarget(g->mod));
  LLVMSetDataLayout(vm, LLVMGetDataLayoutStr(g->mod));
  if (LLVMLinkModules2(g->mod, vm)) {
    ice(g, "linking value.bc failed");
    return -1;
  }
  /* Internal, so they inline and vanish; and no CPU pinned by clang, so
   * the inliner sees them as compatible with our functions.  (The
   * module's own functions and globals are defined by then: only what
   * came from value.bc is linkonce_odr.) */
  for (fn = LLVMGetFirstFunction(g->mod); fn; fn = LLVMGetNextFunction(fn)) {
    if (LLVMIsDeclaration(fn) ||
        LLVMGetLinkage(fn) != LLVMLinkOnceODRLinkage)
      continue;
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    LLVMRemoveStringAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                     "target-cpu", 10);
    LLVMRemoveStringAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                     "target-features", 15);
    LLVMRemoveStringAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                                     "tune-cpu", 8);
  }
  for (gv = LLVMGetFirstGlobal(g->mod); gv; gv = LLVMGetNextGlobal(gv))
    if (!LLVMIsDeclaration(gv) &&
        LLVMGetLinkage(gv) == LLVMLinkOnceODRLinkage)
      LLVMSetLinkage(gv, LLVMInternalLinkage);
  return 0;
}

/* A private constant array of evaluators; a pointer to its first. */
static LLVMValueRef evaluator_array(struct cg *g, LLVMValueRef *evals, int n,
                                    const char *name)
{
  LLVMValueRef arr = LLVMConstArray(LLVMPointerType(g->evalfn, 0), evals,
                                    (unsigned)n);
  LLVMValueRef gv = LLVMAddGlobal(g->mod, LLVMTypeOf(arr), name);
  LLVMValueRef idx[2] = {ci32(g, 0), ci32(g, 0)};

  LLVMSetInitializer(gv, arr);
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  return LLVMConstInBoundsGEP2(LLVMTypeOf(arr), gv, idx, 2);
}

static void gen_artifact(struct cg *g, LLVMValueRef *evals,
                         LLVMValueRef *plain, int n, const char *md,
                         size_t mdlen)
{
  LLVMTypeRef pev = LLVMPointerType(g->evalfn, 0), f[8], art;
  LLVMValueRef mdinit, mdg, fields[8], gv, idx[2];

  mdinit = LLVMConstStringInContext(g->ctx, md, (unsigned)mdlen, 0);
  mdg = LLVMAddGlobal(g->mod, LLVMTypeOf(mdinit), "rpol.metadata");
  LLVMSetInitializer(mdg, mdinit);
  LLVMSetGlobalConstant(mdg, 1);
  LLVMSetLinkage(mdg, LLVMPrivateLinkage);

  f[0] = f[1] = f[2] = f[3] = g->i32;
  f[4] = g->p8;
  f[5] = g->i64;
  f[6] = f[7] = LLVMPointerType(pev, 0);
  art = LLVMStructCreateNamed(g->ctx, "rpol.artifact");
  LLVMStructSetBody(art, f, 8, 0);

  idx[0] = ci32(g, 0);
  idx[1] = ci32(g, 0);
  fields[0] = LLVMConstInt(g->i32, RPOL_ARTIFACT_MAGIC, 0);
  fields[1] = LLVMConstInt(g->i32, RPOL_ABI_VERSION, 0);
  fields[2] = LLVMConstInt(g->i32, sizeof(struct rpol_artifact), 0);
  fields[3] = LLVMConstInt(g->i32, (unsigned long long)n, 0);
  fields[4] = LLVMConstInBoundsGEP2(LLVMTypeOf(mdinit), mdg, idx, 2);
  fields[5] = LLVMConstInt(g->i64, mdlen, 0);
  fields[6] = evaluator_array(g, evals, n, "rpol.evaluators");
  fields[7] = evaluator_array(g, plain, n, "rpol.evaluators.plain");
  gv = LLVMAddGlobal(g->mod, art, RPOL_ARTIFACT_SYMBOL);
  LLVMSetInitializer(gv, LLVMConstNamedStruct(art, fields, 8));
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMExternalLinkage);
  LLVMSetVisibility(gv, LLVMDefaultVisibility);
}

static const char *const required_helpers[] = {
  "rpol_add", "rpol_sub", "rpol_mul", "rpol_neg", "rpol_div",
  "rpol_percent_of", "rpol_number_to_minor", "rpol_round_to",
  "rpol_date_add", "rpol_weekday", "rpol_add_business_days",
  "rpol_str_eq", "rpol_starts_with", "rpol_ends_with", "rpol_contains",
  "rpol_set_has_int", "rpol_set_has_str", "rpol_set_has_money",
  "rpol_set_union_int", "rpol_set_diff_int", "rpol_set_union_str",
  "rpol_set_diff_str", "rpol_set_union_money", "rpol_set_diff_money",
  "rpol_str_cmp", NULL
};

/* Deletes internal functions nothing calls (most of value.bc: formatting,
 * dates the policy never uses) before the optimiser spends time on them. */
static void drop_unused(LLVMModuleRef mod)
{
  LLVMValueRef fn, next;
  int changed = 1;

  while (changed) {
    changed = 0;
    for (fn = LLVMGetFirstFunction(mod); fn; fn = next) {
      next = LLVMGetNextFunction(fn);
      if (!LLVMIsDeclaration(fn) &&
          LLVMGetLinkage(fn) == LLVMInternalLinkage &&
          !LLVMGetFirstUse(fn)) {
        LLVMDeleteFunction(fn);
        changed = 1;
      }
    }
  }
}

struct diag_capture {
  char *first;
};

static void on_diagnostic(LLVMDiagnosticInfoRef di, void *ud)
{
  struct diag_capture *dc = ud;

  if (LLVMGetDiagInfoSeverity(di) == LLVMDSError && !dc->first)
    dc->first = LLVMGetDiagInfoDescription(di);
}

/* The new pass manager's pipeline, tailored to the code this file writes:
 * straight-line decisions with no loops, value.c's helpers to inline, and
 * memo flags and error tests that jump threading and correlated-value
 * propagation fold across the chain of cases.  On bench/policy.rpol it
 * gives slightly fewer instructions per decision than "default<O2>" (251.8
 * against 254.5, callgrind) in a third of the time (25 against 75 ms);
 * without jump threading and correlated propagation it gives +27%
 * instructions, without the second instcombine +7% (docs/performance.md). */
static const char CG_PASSES[] =
    "cgscc(inline,function(sroa,early-cse<memssa>,simplifycfg,instcombine,"
    "jump-threading,correlated-propagation,simplifycfg,gvn,instcombine,"
    "simplifycfg))";

/* For a module with a function of more than CG_BIG_FUNCTION instructions
 * (a decide block of hundreds of cases): jump threading and GVN grow
 * faster than the function (on a 3,000-case policy they took 75% of the
 * passes' time) and gained nothing measurable there, where the memo tests
 * they fold are few; the build of that policy takes half the time. */
static const char CG_PASSES_BIG[] =
    "cgscc(inline,function(sroa,early-cse<memssa>,simplifycfg,instcombine,"
    "simplifycfg))";
#define CG_BIG_FUNCTION 20000

/* The tiered JIT's first code (jit.c), made to exist soon rather than to
 * run fast: lets and outputs out of memory into registers, repeated loads
 * and tests merged, empty blocks gone; no inlining, so value.c's helpers
 * stay calls to the runtime's copies.  On bench/policy.rpol the passes
 * take 4 ms instead of 21 and the code (with LLVM's fast instruction
 * selection) decides in about twice the time of the full pipeline's
 * (docs/performance.md, "The tiered JIT"). */
static const char CG_PASSES_QUICK[] = "function(sroa,early-cse,simplifycfg)";

static int has_big_function(LLVMModuleRef mod)
{
  LLVMValueRef fn;
  LLVMBasicBlockRef bb;
  LLVMValueRef in;
  long n;

  for (fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn)) {
    n = 0;
    for (bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
      for (in = LLVMGetFirstInstruction(bb); in;
           in = LLVMGetNextInstruction(in))
        if (++n > CG_BIG_FUNCTION)
          return 1;
  }
  return 0;
}

static double cg_now_ms(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Drops unused helpers, then runs the pipeline of `opt`.  NULL, or the
 * optimiser's complaint (malloc'd; (char *)-1 when out of memory, as
 * struct cg's err). */
static char *optimise(LLVMModuleRef mod, LLVMTargetMachineRef tm,
                      enum cg_opt opt)
{
  LLVMPassBuilderOptionsRef opts;
  const char *passes;
  LLVMErrorRef e;
  char *m, *s = NULL;

  if (opt == CG_OPT_NONE)
    return NULL;
  drop_unused(mod);
  passes = opt == CG_OPT_QUICK     ? CG_PASSES_QUICK
           : has_big_function(mod) ? CG_PASSES_BIG
                                   : CG_PASSES;
  opts = LLVMCreatePassBuilderOptions();
  e = LLVMRunPasses(mod, passes, tm, opts);
  LLVMDisposePassBuilderOptions(opts);
  if (e) {
    static const char prefix[] = "internal compiler error: optimiser: ";

    m = LLVMGetErrorMessage(e);
    s = malloc(sizeof prefix + strlen(m));
    if (s)
      sprintf(s, "%s%s", prefix, m);
    LLVMDisposeErrorMessage(m);
    if (!s)
      s = (char *)-1;           /* out of memory, as ice() records it */
  }
  return s;
}

char *cg_optimise(LLVMModuleRef mod, LLVMTargetMachineRef tm,
                  enum cg_opt opt)
{
  char *s = optimise(mod, tm, opt);

  return s == (char *)-1 ? strdup("internal compiler error: out of memory")
                         : s;
}

LLVMModuleRef cg_bundle_timed(LLVMContextRef ctx, const struct layout *L,
                              const char *metadata, size_t metadata_len,
                              LLVMTargetMachineRef tm, enum cg_opt opt,
                              struct cg_times *t, char **err)
{
  double t0 = cg_now_ms(), t1, t2;
  struct cg g;
  LLVMTargetMachineRef own_tm = NULL;
  LLVMTargetDataRef td;
  LLVMValueRef *evals = NULL, *plain = NULL;
  LLVMDiagnosticHandler old_handler;
  void *old_ctx;
  struct diag_capture dc = {NULL};
  char *triple, *dl, *msg = NULL;
  int i;

  *err = NULL;
  memset(&g, 0, sizeof g);
  g.ctx = ctx;
  g.L = L;
  if (!tm) {
    own_tm = cg_target_machine(0, err);
    if (!own_tm)
      return NULL;
    tm = own_tm;
  }
  old_handler = LLVMContextGetDiagnosticHandler(ctx);
  old_ctx = LLVMContextGetDiagnosticContext(ctx);
  LLVMContextSetDiagnosticHandler(ctx, on_diagnostic, &dc);

  g.mod = LLVMModuleCreateWithNameInContext("rpol", ctx);
  triple = LLVMGetTargetMachineTriple(tm);
  LLVMSetTarget(g.mod, triple);
  LLVMDisposeMessage(triple);
  td = LLVMCreateTargetDataLayout(tm);
  dl = LLVMCopyStringRepOfTargetData(td);
  LLVMSetDataLayout(g.mod, dl);
  LLVMDisposeMessage(dl);
  LLVMDisposeTargetData(td);

  g.b = LLVMCreateBuilderInContext(ctx);
  g.ab = LLVMCreateBuilderInContext(ctx);
  g.hb = LLVMCreateBuilderInContext(ctx);
  init_types(&g);
  if (load_value_bc(&g) == 0) {
    for (i = 0; required_helpers[i]; i++)
      if (!LLVMGetNamedFunction(g.vm, required_helpers[i]))
        ice(&g, "value.bc lacks %s", required_helpers[i]);
  }
  if (!g.err) {
    evals = cg_alloc(&g, (size_t)(L->nprogs + 1) * sizeof *evals);
    plain = cg_alloc(&g, (size_t)(L->nprogs + 1) * sizeof *plain);
    for (i = 0; evals && plain && i < L->nprogs && !g.err; i++) {
      /* Declarations of the prelude and of shared modules carry the
       * numbering (slots, let and output indexes, enum members) of the
       * program selected last: select each before reading it. */
      sema_select_program(L->s, L->progs[i]);
      evals[i] = gen_program(&g, L->progs[i], i, &plain[i]);
    }
    if (!g.err && evals && plain)
      gen_artifact(&g, evals, plain, L->nprogs, metadata, metadata_len);
  }
  if (!g.err)
    link_value_bc(&g);
  if (g.vm)
    LLVMDisposeModule(g.vm);
  t1 = cg_now_ms();
  if (!g.err && LLVMVerifyModule(g.mod, LLVMReturnStatusAction, &msg)) {
    char *s = dup_llvm_message("internal compiler error: invalid IR: ",
                               msg);

    msg = NULL;
    g.err = s ? s : (char *)-1;
  } else if (msg) {
    LLVMDisposeMessage(msg);
  }
  t2 = cg_now_ms();
  if (!g.err)
    g.err = optimise(g.mod, tm, opt);
  if (t) {
    t->ir_ms = t1 - t0;
    t->verify_ms = t2 - t1;
    t->passes_ms = cg_now_ms() - t2;
  }
  if (!g.err && dc.first)
    ice(&g, "LLVM: %s", dc.first);
  if (dc.first)
    LLVMDisposeMessage(dc.first);
  LLVMContextSetDiagnosticHandler(ctx, old_handler, old_ctx);

  LLVMDisposeBuilder(g.b);
  LLVMDisposeBuilder(g.ab);
  LLVMDisposeBuilder(g.hb);
  while (g.mem) {
    struct cg_mem *next = g.mem->next;

    free(g.mem);
    g.mem = next;
  }
  if (own_tm)
    LLVMDisposeTargetMachine(own_tm);
  if (g.err) {
    LLVMDisposeModule(g.mod);
    *err = g.err == (char *)-1 ? strdup("internal compiler error: out of "
                                        "memory") : g.err;
    return NULL;
  }
  return g.mod;
}

LLVMModuleRef cg_bundle_for(LLVMContextRef ctx, const struct layout *L,
                            const char *metadata, size_t metadata_len,
                            LLVMTargetMachineRef tm, char **err)
{
  return cg_bundle_timed(ctx, L, metadata, metadata_len, tm, CG_OPT_FULL,
                         NULL, err);
}

LLVMModuleRef cg_bundle(LLVMContextRef ctx, const struct layout *L,
                        const char *metadata, size_t metadata_len,
                        char **err)
{
  return cg_bundle_for(ctx, L, metadata, metadata_len, NULL, err);
}
