/* test_quick_lower.c: the quick code's switches as comparisons
 * (compiler/quick_lower.c).
 *
 * Each test builds a function around one switch, lowers a copy with
 * quick_lower, checks that the copy verifies and has no switch left (or
 * keeps it, where it should), and runs both in LLVM's interpreter over
 * every value around the keys: the results must be the same.  The shapes
 * are those the generated code has after the quick passes: several keys
 * to one block, phis with one entry per edge, a key that goes to the
 * default, destinations that are the default's phi block.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/ExecutionEngine.h>

#include "quick_lower.h"

struct key {
  unsigned long long v;
  int dest;              /* 0 .. 15, or -1: the default */
};

/* f(x) = 10 + d for a key to destination d, 1 for any other value.  An
 * even destination and the default return their value through a phi with
 * one entry per edge of the switch (several keys to one block are several
 * edges), as the quick passes leave them; an odd one from its own block. */
static LLVMModuleRef build(LLVMContextRef ctx, unsigned width,
                           const struct key *k, int nk, int ndest)
{
  LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("t", ctx);
  LLVMTypeRef xt = LLVMIntTypeInContext(ctx, width);
  LLVMTypeRef i32 = LLVMInt32TypeInContext(ctx);
  LLVMValueRef fn = LLVMAddFunction(mod, "f",
                                    LLVMFunctionType(i32, &xt, 1, 0));
  LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(ctx, fn, "e");
  LLVMBasicBlockRef bb[17];            /* [0] the default, [1 + d] */
  int edges[17] = {1};                 /* the default's own edge */
  LLVMValueRef sw;
  int d, i;

  for (d = 0; d <= ndest; d++)
    bb[d] = LLVMAppendBasicBlockInContext(ctx, fn, d ? "dest" : "def");
  LLVMPositionBuilderAtEnd(b, entry);
  sw = LLVMBuildSwitch(b, LLVMGetParam(fn, 0), bb[0], (unsigned)nk);
  for (i = 0; i < nk; i++) {
    LLVMAddCase(sw, LLVMConstInt(xt, k[i].v, 0), bb[1 + k[i].dest]);
    edges[1 + k[i].dest]++;
  }
  for (d = 0; d <= ndest; d++) {
    LLVMValueRef v = LLVMConstInt(i32, d ? 10 + (unsigned)d - 1 : 1, 0);

    LLVMPositionBuilderAtEnd(b, bb[d]);
    if (d == 0 || (d - 1) % 2 == 0) {
      LLVMValueRef phi = LLVMBuildPhi(b, i32, "p");

      for (i = 0; i < edges[d]; i++)
        LLVMAddIncoming(phi, &v, &entry, 1);
      v = phi;
    }
    LLVMBuildRet(b, v);
  }
  LLVMDisposeBuilder(b);
  return mod;
}

static int count_switches(LLVMModuleRef mod)
{
  int n = 0;

  for (LLVMValueRef fn = LLVMGetFirstFunction(mod); fn;
       fn = LLVMGetNextFunction(fn))
    for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb;
         bb = LLVMGetNextBasicBlock(bb)) {
      LLVMValueRef t = LLVMGetBasicBlockTerminator(bb);

      n += t && LLVMGetInstructionOpcode(t) == LLVMSwitch;
    }
  return n;
}

static int run(LLVMExecutionEngineRef ee, LLVMValueRef fn, unsigned width,
               unsigned long long x)
{
  LLVMTypeRef xt = LLVMIntTypeInContext(LLVMGetGlobalContext(), width);
  LLVMGenericValueRef arg = LLVMCreateGenericValueOfInt(xt, x, 0);
  LLVMGenericValueRef r = LLVMRunFunction(ee, fn, 1, &arg);
  int v = (int)LLVMGenericValueToInt(r, 0);

  LLVMDisposeGenericValue(arg);
  LLVMDisposeGenericValue(r);
  return v;
}

/* Lowers a copy of the switch and compares both over [lo, hi] (and the
 * type's extremes); `lowered`: whether no switch may be left. */
static void check(unsigned width, const struct key *k, int nk, int ndest,
                  unsigned long long lo, unsigned long long hi,
                  int lowered)
{
  LLVMContextRef ctx = LLVMGetGlobalContext();
  LLVMModuleRef a = build(ctx, width, k, nk, ndest);
  LLVMModuleRef q = build(ctx, width, k, nk, ndest);
  LLVMExecutionEngineRef ea, eq;
  char *msg = NULL;
  unsigned long long mask = width == 64 ? ~0ULL : (1ULL << width) - 1;
  unsigned long long x, extra[3] = {0, mask, mask / 2 + 1};
  int i;

  assert_int_equal(LLVMVerifyModule(a, LLVMReturnStatusAction, &msg), 0);
  LLVMDisposeMessage(msg);
  assert_int_equal(quick_lower(q), 0);
  if (LLVMVerifyModule(q, LLVMReturnStatusAction, &msg)) {
    print_error("%s\n", msg);
    fail();
  }
  LLVMDisposeMessage(msg);
  assert_int_equal(count_switches(q), lowered ? 0 : 1);
  assert_int_equal(LLVMCreateInterpreterForModule(&ea, a, &msg), 0);
  assert_int_equal(LLVMCreateInterpreterForModule(&eq, q, &msg), 0);
  for (x = lo;; x++) {
    assert_int_equal(run(eq, LLVMGetNamedFunction(q, "f"), width, x),
                     run(ea, LLVMGetNamedFunction(a, "f"), width, x));
    if (x == hi)
      break;
  }
  for (i = 0; i < 3; i++)
    assert_int_equal(
        run(eq, LLVMGetNamedFunction(q, "f"), width, extra[i] & mask),
        run(ea, LLVMGetNamedFunction(a, "f"), width, extra[i] & mask));
  LLVMDisposeExecutionEngine(ea);     /* and its module */
  LLVMDisposeExecutionEngine(eq);
}

/* A country switch's shape: keys spread over hundreds of values, a few
 * destinations, several keys each: the table of bytes. */
static void test_table(void **state)
{
  struct key k[40];
  int i;

  (void)state;
  for (i = 0; i < 40; i++) {
    k[i].v = 4 + 13ULL * (unsigned long long)i;    /* 4 .. 511 */
    k[i].dest = i % 5;
  }
  k[7].dest = -1;                                  /* to the default */
  check(64, k, 40, 5, 0, 530, 1);
  check(16, k, 40, 5, 0, 530, 1);
}

/* Keys within 64 values: a bit mask per destination. */
static void test_mask(void **state)
{
  static const struct key k[] = {
      {3, 0}, {5, 1}, {9, 0}, {40, 2}, {66, 1}, {66 - 63 + 60, 3}, {7, 2},
  };

  (void)state;
  check(64, k, 7, 4, 0, 80, 1);
  check(8, k, 7, 4, 0, 255, 1);
  /* A range of exactly 64: the top bit of the mask. */
  {
    static const struct key e[] = {{100, 0}, {163, 1}, {130, 0}, {131, 1}};

    check(32, e, 4, 2, 90, 170, 1);
  }
}

/* Up to three keys: one comparison each. */
static void test_chain(void **state)
{
  static const struct key k[] = {{1, 0}, {2, 1}, {1000000, 0}};

  (void)state;
  check(64, k, 3, 2, 0, 5, 1);
  check(64, k + 1, 1, 2, 0, 3, 1);
}

/* What stays a switch: a range too wide for a table, and an i8 switch
 * whose keys fill all 256 values (the range test would wrap). */
static void test_kept(void **state)
{
  struct key k[256];
  int i;

  (void)state;
  for (i = 0; i < 5; i++) {
    k[i].v = 1ULL << (10 + 3 * i);
    k[i].dest = 1 + 2 * (i % 2);
  }
  check(64, k, 5, 4, 0, 10, 0);
  for (i = 0; i < 256; i++) {
    k[i].v = (unsigned long long)i;
    k[i].dest = 1 + 2 * (i % 2);
  }
  check(8, k, 256, 4, 0, 255, 0);
}

/* select i1 becomes and/or (fast selection does not take it). */
static void test_select(void **state)
{
  LLVMContextRef ctx = LLVMGetGlobalContext();
  LLVMModuleRef m = LLVMModuleCreateWithNameInContext("s", ctx);
  LLVMTypeRef i1 = LLVMInt1TypeInContext(ctx), p[3] = {i1, i1, i1};
  LLVMValueRef fn = LLVMAddFunction(m, "f", LLVMFunctionType(i1, p, 3, 0));
  LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
  LLVMExecutionEngineRef ee;
  char *msg = NULL;
  int c, x, y;

  (void)state;
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(ctx, fn, "e"));
  LLVMBuildRet(b, LLVMBuildSelect(b, LLVMGetParam(fn, 0),
                                  LLVMGetParam(fn, 1), LLVMGetParam(fn, 2),
                                  ""));
  LLVMDisposeBuilder(b);
  assert_int_equal(quick_lower(m), 0);
  assert_int_equal(LLVMVerifyModule(m, LLVMReturnStatusAction, &msg), 0);
  LLVMDisposeMessage(msg);
  for (LLVMValueRef in = LLVMGetFirstInstruction(LLVMGetEntryBasicBlock(fn));
       in; in = LLVMGetNextInstruction(in))
    assert_int_not_equal(LLVMGetInstructionOpcode(in), LLVMSelect);
  assert_int_equal(LLVMCreateInterpreterForModule(&ee, m, &msg), 0);
  for (c = 0; c < 2; c++)
    for (x = 0; x < 2; x++)
      for (y = 0; y < 2; y++) {
        LLVMGenericValueRef a[3] = {
            LLVMCreateGenericValueOfInt(i1, (unsigned long long)c, 0),
            LLVMCreateGenericValueOfInt(i1, (unsigned long long)x, 0),
            LLVMCreateGenericValueOfInt(i1, (unsigned long long)y, 0)};
        LLVMGenericValueRef r = LLVMRunFunction(ee, fn, 3, a);

        assert_int_equal(LLVMGenericValueToInt(r, 0), c ? x : y);
        for (int i = 0; i < 3; i++)
          LLVMDisposeGenericValue(a[i]);
        LLVMDisposeGenericValue(r);
      }
  LLVMDisposeExecutionEngine(ee);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),  cmocka_unit_test(test_mask),
      cmocka_unit_test(test_chain),  cmocka_unit_test(test_kept),
      cmocka_unit_test(test_select),
  };

  LLVMLinkInInterpreter();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
