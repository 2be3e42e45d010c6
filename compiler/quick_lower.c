/* quick_lower.c: the tiered JIT's quick code without switches (see
 * quick_lower.h).
 *
 * LLVM's fast instruction selection (CodeGenLevelNone) handles neither
 * `switch` nor a `select` of i1 values: for each it falls back to the
 * SelectionDAG (on bench/policy.rpol, 44 times for 3.6 M instructions of
 * the compiler).  And a switch on a country (codes 0 to 675) with
 * keys from AE to ZA becomes a jump table of some 560 entries, each a
 * relocation for the JIT to resolve (about 4,400 instructions apiece in
 * RuntimeDyld).  LLVM's own lowerswitch pass avoids both but costs more
 * than it saves (LazyValueInfo, and a block per comparison of its
 * binary search).  Here each switch becomes a test that the value is in
 * the keys' range, then per destination one bit test of a constant mask
 * (range of at most 64) or one comparison of a byte loaded from a
 * constant table (a range of at most QL_TABLE_MAX): blocks in the number
 * of destinations, no relocation but the table's address.
 *
 * Only the quick code is lowered so; the optimised code, compiled from
 * the bitcode written before, keeps its switches for LLVM's own lowering
 * (jump tables, bit tests, lookup tables), which decides faster.
 */
#include <stdint.h>
#include <stdlib.h>

#include <llvm-c/Core.h>

#include "quick_lower.h"

/* Above this range a switch stays a switch (a table of one byte per
 * value of the range would outweigh what it saves). */
#define QL_TABLE_MAX 4096
/* Destinations a lowered switch may have: one comparison each, in
 * order, so a long run of them would make slow code. */
#define QL_DEST_MAX 16
/* At most this many cases: one comparison per case, no range test. */
#define QL_CHAIN_MAX 3

/* A new edge from block `from` to `to`, for the phis of `to`. */
struct ql_edge {
  LLVMBasicBlockRef from, to;
};

struct ql {
  LLVMContextRef ctx;
  LLVMBuilderRef b;
  LLVMValueRef fn;
  LLVMBasicBlockRef at;          /* the switch's block */
  LLVMBasicBlockRef before;      /* new blocks go before it (NULL: end) */
  struct ql_edge *edges;
  int nedges, capedges;
  int failed;                    /* out of memory */
};

/* Unnamed: a name would cost a search of the function's symbol table for
 * a free "qlN" (1,700 instructions a block). */
static LLVMBasicBlockRef ql_block(struct ql *q)
{
  return q->before ? LLVMInsertBasicBlockInContext(q->ctx, q->before, "")
                   : LLVMAppendBasicBlockInContext(q->ctx, q->fn, "");
}

static void ql_edge(struct ql *q, LLVMBasicBlockRef from,
                    LLVMBasicBlockRef to)
{
  if (q->nedges == q->capedges) {
    int cap = q->capedges ? 2 * q->capedges : 16;
    struct ql_edge *e = realloc(q->edges, (size_t)cap * sizeof *e);

    if (!e) {
      q->failed = 1;
      return;
    }
    q->edges = e;
    q->capedges = cap;
  }
  q->edges[q->nedges].from = from;
  q->edges[q->nedges++].to = to;
}

/* Ends the current block with `br c, yes, no` and records both edges. */
static void ql_condbr(struct ql *q, LLVMBasicBlockRef cur, LLVMValueRef c,
                      LLVMBasicBlockRef yes, LLVMBasicBlockRef no)
{
  LLVMBuildCondBr(q->b, c, yes, no);
  ql_edge(q, cur, yes);
  ql_edge(q, cur, no);
}

/* Each phi of `to` had its entries from q->at (one per edge of the old
 * switch, all of one value); it gets one per new edge into `to` instead.
 * The C API cannot remove a phi's entry: a new phi replaces the old. */
static void ql_fix_phis(struct ql *q, LLVMBasicBlockRef to)
{
  LLVMValueRef phi = LLVMGetFirstInstruction(to), next, np, v, from_at;
  LLVMValueRef *vals;
  LLVMBasicBlockRef *bbs, bb;
  unsigned n, i, k;
  int e;

  for (; phi && LLVMGetInstructionOpcode(phi) == LLVMPHI; phi = next) {
    next = LLVMGetNextInstruction(phi);
    n = LLVMCountIncoming(phi);
    vals = malloc(((size_t)n + (size_t)q->nedges) * sizeof *vals);
    bbs = malloc(((size_t)n + (size_t)q->nedges) * sizeof *bbs);
    if (!vals || !bbs) {
      free(vals);
      free(bbs);
      q->failed = 1;
      return;
    }
    from_at = NULL;
    for (i = k = 0; i < n; i++) {
      bb = LLVMGetIncomingBlock(phi, i);
      v = LLVMGetIncomingValue(phi, i);
      if (bb == q->at) {
        from_at = v;
        continue;
      }
      vals[k] = v;
      bbs[k++] = bb;
    }
    for (e = 0; from_at && e < q->nedges; e++)
      if (q->edges[e].to == to) {
        vals[k] = from_at;
        bbs[k++] = q->edges[e].from;
      }
    LLVMPositionBuilderBefore(q->b, phi);
    np = LLVMBuildPhi(q->b, LLVMTypeOf(phi), "");
    LLVMAddIncoming(np, vals, bbs, k);
    LLVMReplaceAllUsesWith(phi, np);
    LLVMInstructionEraseFromParent(phi);
    free(vals);
    free(bbs);
  }
}

/* bb's index among the distinct destinations d[0..n), or -1. */
static int ql_index(LLVMBasicBlockRef *d, int n, LLVMBasicBlockRef bb)
{
  int i;

  for (i = 0; i < n; i++)
    if (d[i] == bb)
      return i;
  return -1;
}

/* Lowers the switch sw (the terminator of q->at); returns whether it
 * did. */
static int ql_switch(struct ql *q, LLVMValueRef sw)
{
  LLVMValueRef x = LLVMGetOperand(sw, 0), idx, c, bit, gv = NULL, gi[2], t;
  LLVMTypeRef xt = LLVMTypeOf(x), i64 = LLVMInt64TypeInContext(q->ctx);
  LLVMTypeRef i8 = LLVMInt8TypeInContext(q->ctx), at_ = NULL;
  LLVMBasicBlockRef def = LLVMGetSwitchDefaultDest(sw), cur, nx;
  LLVMBasicBlockRef *dest = NULL, *succ = NULL;
  unsigned nsucc = LLVMGetNumSuccessors(sw), width, i;
  unsigned long long *key = NULL, lo = 0, hi = 0, range;
  unsigned long long mask[QL_DEST_MAX];
  unsigned char *tab = NULL;
  LLVMValueRef *el = NULL;
  unsigned long long r;
  int ncase = 0, ndest = 0, j, done = 0;

  if (LLVMGetTypeKind(xt) != LLVMIntegerTypeKind ||
      (width = LLVMGetIntTypeWidth(xt)) > 64 || nsucc < 2)
    return 0;
  key = malloc(nsucc * sizeof *key);
  succ = malloc(nsucc * sizeof *succ);
  dest = malloc(nsucc * sizeof *dest);
  if (!key || !succ || !dest)
    goto out;
  /* Successor 0 is the default; case i's value is operand 2 + 2i. */
  for (i = 1; i < nsucc; i++) {
    LLVMBasicBlockRef s = LLVMGetSuccessor(sw, i);
    unsigned long long v = LLVMConstIntGetZExtValue(LLVMGetOperand(sw,
                                                        2 * i));

    if (s == def)
      continue;       /* the default's anyway */
    key[ncase] = v;
    succ[ncase++] = s;
    if (ql_index(dest, ndest, s) < 0)
      dest[ndest++] = s;
    if (ncase == 1 || v < lo)
      lo = v;
    if (ncase == 1 || v > hi)
      hi = v;
  }
  range = hi - lo + 1;     /* ncase >= 1: at least 1 (width <= 64) */
  if (ncase == 0 || ndest > QL_DEST_MAX ||
      (ncase > QL_CHAIN_MAX && (range == 0 || range > QL_TABLE_MAX)))
    goto out;
  if (width < 64 && range >> width)
    goto out;           /* every value: the range test would wrap */
  if (ncase > QL_CHAIN_MAX && range > 64) {
    tab = calloc(range, 1);
    el = malloc(range * sizeof *el);
    if (!tab || !el) {
      q->failed = 1;
      goto out;
    }
  }
  for (j = 0; j < ndest; j++)
    mask[j] = 0;
  for (j = 0; j < ncase; j++) {
    int d = ql_index(dest, ndest, succ[j]);

    if (tab)
      tab[key[j] - lo] = (unsigned char)(d + 1);
    else if (ncase > QL_CHAIN_MAX)
      mask[d] |= 1ULL << (key[j] - lo);
  }

  if (tab) {
    for (r = 0; r < range; r++)
      el[r] = LLVMConstInt(i8, tab[r], 0);
    at_ = LLVMArrayType(i8, (unsigned)range);
    gv = LLVMAddGlobal(LLVMGetGlobalParent(q->fn), at_, "ql.table");
    LLVMSetInitializer(gv, LLVMConstArray(i8, el, (unsigned)range));
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMPrivateLinkage);
    LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
  }
  /* From here the switch goes. */
  LLVMInstructionEraseFromParent(sw);
  LLVMPositionBuilderAtEnd(q->b, q->at);
  cur = q->at;
  q->nedges = 0;
  if (ncase <= QL_CHAIN_MAX) {
    for (j = 0; j < ncase; j++) {
      c = LLVMBuildICmp(q->b, LLVMIntEQ, x, LLVMConstInt(xt, key[j], 0), "");
      nx = j + 1 < ncase ? ql_block(q) : def;
      ql_condbr(q, cur, c, succ[j], nx);
      cur = nx;
      LLVMPositionBuilderAtEnd(q->b, cur);
    }
  } else {
    idx = lo ? LLVMBuildSub(q->b, x, LLVMConstInt(xt, lo, 0), "") : x;
    c = LLVMBuildICmp(q->b, LLVMIntULT, idx, LLVMConstInt(xt, range, 0),
                      "");
    nx = ql_block(q);
    ql_condbr(q, cur, c, nx, def);
    cur = nx;
    LLVMPositionBuilderAtEnd(q->b, cur);
    if (width < 64)
      idx = LLVMBuildZExt(q->b, idx, i64, "");
    t = NULL;
    if (tab) {
      gi[0] = LLVMConstInt(i64, 0, 0);
      gi[1] = idx;
      t = LLVMBuildLoad2(q->b, i8,
                         LLVMBuildInBoundsGEP2(q->b, at_, gv, gi, 2, ""), "");
    }
    for (j = 0; j < ndest; j++) {
      if (tab) {
        c = LLVMBuildICmp(q->b, LLVMIntEQ, t,
                          LLVMConstInt(i8, (unsigned long long)(j + 1), 0),
                          "");
      } else {
        bit = LLVMBuildAnd(q->b,
                           LLVMBuildLShr(q->b, LLVMConstInt(i64, mask[j], 0),
                                         idx, ""),
                           LLVMConstInt(i64, 1, 0), "");
        c = LLVMBuildICmp(q->b, LLVMIntNE, bit, LLVMConstInt(i64, 0, 0), "");
      }
      nx = j + 1 < ndest ? ql_block(q) : def;
      ql_condbr(q, cur, c, dest[j], nx);
      cur = nx;
      LLVMPositionBuilderAtEnd(q->b, cur);
    }
  }
  /* The phis of each block the switch went to (once each). */
  ql_fix_phis(q, def);
  for (j = 0; j < ndest; j++)
    ql_fix_phis(q, dest[j]);
  done = 1;
out:
  free(key);
  free(succ);
  free(dest);
  free(tab);
  free(el);
  return done;
}

/* select i1 c, a, b  ->  (c & a) | (~c & b), which fast selection
 * handles (the operands are computed anyway: no poison reaches a branch
 * that the select would have kept from it in this code). */
static void ql_selects(struct ql *q, LLVMBasicBlockRef bb)
{
  LLVMValueRef in, next, c, a, bv, r;
  LLVMTypeRef i1 = LLVMInt1TypeInContext(q->ctx);

  for (in = LLVMGetFirstInstruction(bb); in; in = next) {
    next = LLVMGetNextInstruction(in);
    if (LLVMGetInstructionOpcode(in) != LLVMSelect || LLVMTypeOf(in) != i1)
      continue;
    c = LLVMGetOperand(in, 0);
    if (LLVMTypeOf(c) != i1)
      continue;
    a = LLVMGetOperand(in, 1);
    bv = LLVMGetOperand(in, 2);
    LLVMPositionBuilderBefore(q->b, in);
    if (LLVMIsAConstantInt(bv) && !LLVMConstIntGetZExtValue(bv))
      r = LLVMBuildAnd(q->b, c, a, "");
    else if (LLVMIsAConstantInt(a) && LLVMConstIntGetZExtValue(a))
      r = LLVMBuildOr(q->b, c, bv, "");
    else
      r = LLVMBuildOr(q->b, LLVMBuildAnd(q->b, c, a, ""),
                      LLVMBuildAnd(q->b, LLVMBuildNot(q->b, c, ""), bv, ""),
                      "");
    LLVMReplaceAllUsesWith(in, r);
    LLVMInstructionEraseFromParent(in);
  }
}

int quick_lower(LLVMModuleRef mod)
{
  struct ql q = {0};
  LLVMValueRef fn, term;
  LLVMBasicBlockRef bb, next;

  q.ctx = LLVMGetModuleContext(mod);
  q.b = LLVMCreateBuilderInContext(q.ctx);
  for (fn = LLVMGetFirstFunction(mod); fn && !q.failed;
       fn = LLVMGetNextFunction(fn)) {
    q.fn = fn;
    /* Blocks added by a lowering come before `next`: not visited. */
    for (bb = LLVMGetFirstBasicBlock(fn); bb && !q.failed; bb = next) {
      next = LLVMGetNextBasicBlock(bb);
      ql_selects(&q, bb);
      term = LLVMGetBasicBlockTerminator(bb);
      if (term && LLVMGetInstructionOpcode(term) == LLVMSwitch) {
        q.at = bb;
        q.before = next;
        ql_switch(&q, term);
      }
    }
  }
  LLVMDisposeBuilder(q.b);
  free(q.edges);
  return q.failed ? -1 : 0;
}
