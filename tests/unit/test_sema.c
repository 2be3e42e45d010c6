/* test_sema.c: the semantic checker on whole programs.
 *
 * Sources are written to a temporary directory and checked through a real
 * session (prelude included), as `rpolc check` does.  Besides accepting
 * and rejecting, every accepted program is walked to check the contract
 * back ends rely on (ast.h): each evaluated expression typed, never with
 * an untyped number, every name resolved, untyped consts expanded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "parse.h"
#include "sema.h"
#include "session.h"
#include "../runtime/value.h"

static char tmpdir[] = "/tmp/rpol-sema-XXXXXX";

static const char *HDR =
    "policy \"t\" version \"1\"\n"
    "decide eligible = allow\n"
    "decide refund_method = original_payment\n"
    "decide shipping_payer = customer\n";

static void write_file(const char *name, const char *text)
{
  FILE *f = fopen(name, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

struct run {
  struct session s;
  struct program *p;
  char err[4096];        /* every diagnostic message, one a line */
};

static void collect(struct run *r)
{
  size_t l = 0;
  r->err[0] = 0;
  for (int i = 0; i < r->s.diags.len && l < sizeof r->err - 1; i++)
    l += snprintf(r->err + l, sizeof r->err - l, "%s%s\n",
                  r->s.diags.items[i].level == DIAG_WARNING ? "warning: " :
                  r->s.diags.items[i].level == DIAG_NOTE ? "note: " : "",
                  r->s.diags.items[i].msg);
}

/* Checks `src` as p.rpol (with `test_src` as p.test.rpol if given). */
static struct program *check(struct run *r, const char *src,
                             const char *test_src)
{
  session_init(&r->s);
  session_load_prelude(&r->s);
  write_file("p.rpol", src);
  struct span none = {0};
  struct file *f = session_file(&r->s, "p.rpol", FILE_POLICY, none, 0);
  assert_non_null(f);
  struct file *t[1];
  int nt = 0;
  if (test_src) {
    write_file("p.test.rpol", test_src);
    t[nt++] = session_file(&r->s, "p.test.rpol", FILE_TESTS, none, 0);
  }
  r->p = f->kind == FILE_POLICY ? sema_check_policy(&r->s, f, t, nt) : NULL;
  collect(r);
  return r->p;
}

static char *cat(const char *a, const char *b)
{
  static char buf[8][8192];
  static int k;
  char *p = buf[k++ % 8];
  snprintf(p, 8192, "%s%s", a, b);
  return p;
}

/* ------------------------------------------------------------ contract */

static int untyped(const struct type *t)
{
  return t->kind == TY_NUMBER || t->kind == TY_EMPTYSET ||
         (t->kind == TY_SET && t->elem->kind == TY_NUMBER);
}

static void walk(const struct expr *e)
{
  if (!e)
    return;
  if (!e->type || e->type->kind == TY_ERROR || untyped(e->type))
    fail_msg("expression at byte %u (kind %d) has type kind %d",
             e->span.start, (int)e->kind, e->type ? (int)e->type->kind : -1);
  switch (e->kind) {
  case EX_INT:
  case EX_DEC:
    assert_true(e->type == &type_money || e->type == &type_int);
    assert_int_equal(e->from_number, e->type == &type_money);
    break;
  case EX_MONEY:
    assert_true(e->u.money.cur >= 0);
    break;
  case EX_NAME:
  case EX_QUALIFIED:
    if (e->kind == EX_NAME && strcmp(e->u.name, "none") == 0 &&
        e->ref.kind == REF_NONE)
      break;        /* a test's `none` */
    assert_int_not_equal(e->ref.kind, REF_NONE);
    if ((e->ref.kind == REF_CONST || e->ref.kind == REF_LET) &&
        untyped(e->ref.decl->u.value.type)) {
      assert_non_null(e->expansion);
      assert_ptr_equal(e->expansion->type, e->type);
      walk(e->expansion);
    }
    if (e->ref.kind == REF_MEMBER)
      assert_true(e->ref.index >= 0 &&
                  e->ref.index < e->ref.decl->u.enm.nall);
    break;
  case EX_PATH:
    assert_int_equal(e->ref.kind, REF_FIELD);
    assert_non_null(e->ref.decl);
    break;
  case EX_UNARY:
    walk(e->u.unary.operand);
    break;
  case EX_BINARY:
  case EX_OF:
  case EX_COALESCE:
    walk(e->u.bin.lhs);
    walk(e->u.bin.rhs);
    break;
  case EX_IN:
    walk(e->u.in.elem);
    walk(e->u.in.set);
    break;
  case EX_IF:
    walk(e->u.cond.cond);
    walk(e->u.cond.then);
    walk(e->u.cond.els);
    break;
  case EX_CALL:
    assert_true(e->ref.kind == REF_FN || e->ref.kind == REF_EXTERN ||
                e->ref.kind == REF_BUILTIN);
    for (int i = 0; i < e->u.call.nargs; i++)
      walk(e->u.call.args[i]);
    break;
  case EX_SET:
    for (int i = 0; i < e->u.set.n; i++)
      walk(e->u.set.elems[i]);
    break;
  default:
    break;
  }
}

static void walk_cases(struct case_ **k, int n)
{
  for (int i = 0; i < n; i++) {
    walk(k[i]->cond);
    walk(k[i]->value);
  }
}

static void walk_file(const struct file *f)
{
  walk(f->for_set);
  for (int i = 0; i < f->ndecls; i++) {
    const struct decl *d = f->decls[i];
    switch (d->kind) {
    case D_CONST: case D_LET: case D_REGION:
      if (!untyped(d->u.value.type))
        walk(d->u.value.init);
      break;
    case D_FN:
      walk(d->u.fn.body);
      walk_cases(d->u.fn.cases, d->u.fn.ncases);
      break;
    case D_INPUT:
      walk(d->u.input.deflt);
      break;
    case D_OUTPUT:
      walk(d->u.output.deflt);
      break;
    case D_DECIDE:
      walk_cases(d->u.decide.cases, d->u.decide.ncases);
      break;
    case D_TEST:
      for (int k = 0; k < d->u.test.ngiven; k++)
        walk(d->u.test.given[k].value);
      for (int k = 0; k < d->u.test.nexpect; k++)
        if (strcmp(d->u.test.expect[k].target, "error") != 0)
          walk(d->u.test.expect[k].value);
      break;
    default:
      break;
    }
  }
}

static void check_contract(const struct program *p)
{
  for (int i = 0; i < p->nfiles; i++)
    walk_file(p->files[i]);
  for (int i = 0; i < p->ntest_files; i++)
    walk_file(p->test_files[i]);
  for (int i = 0; i < p->ninputs; i++)
    assert_int_equal(p->inputs[i]->u.input.slot, i);
  assert_int_equal(p->nstd_outputs, OUT_NSTD);
  for (int i = 0; i < p->noutputs; i++) {
    assert_int_equal(p->outputs[i]->u.output.index, i);
    assert_non_null(p->outputs[i]->u.output.type);
  }
  for (int i = 0; i < p->ncases; i++)
    assert_int_equal(p->cases[i]->id, i);
  for (int i = 0; i < p->nlets; i++)
    assert_int_equal(p->lets[i]->u.value.index, i);
  for (int i = 0; i < p->nexterns; i++)
    assert_int_equal(p->externs[i]->u.fn.index, i);
  for (int i = 1; i < p->nfor_countries; i++)
    assert_true(p->for_countries[i - 1] < p->for_countries[i]);
  assert_non_null(p->outputs[OUT_ELIGIBLE]->u.output.decided_by);
}

/* --------------------------------------------------------------- tables */

/* Programs that must check clean (each is HDR plus the text). */
static const char *const good[] = {
  /* §14: the left of `in` takes the element type of the right. */
  "const NON_RETURNABLE: set<Category> = {gift_card, software}\n"
  "decide return_required = gift_card in NON_RETURNABLE\n",
  /* A root word alone resolves like any identifier (Payer.customer). */
  "decide route = if request.reason == defective then \"a\" else \"b\"\n"
  "decide refund_trigger = receipt\n",
  "let payer = if item.final_sale then customer else Payer.merchant\n"
  "decide return_required = payer == customer\n",
  /* Untyped consts as money and as int, and as both. */
  "const LIMIT = 50\n"
  "decide return_required = item.price >= LIMIT and item.quantity < LIMIT\n",
  "const FEE = 4.95\ndecide restocking_fee = FEE + FEE\n",
  "const A = 1\nconst B = A + 2\nconst C = -B\n"
  "decide restocking_fee = C + B\n",
  "let x = if item.final_sale then 5 else 10\n"
  "decide restocking_fee = x\ndecide return_required = x > 3\n",
  /* Sets of untyped numbers settle per use. */
  "const PRICES = {10, 20}\n"
  "decide return_required = item.price in PRICES or item.quantity in "
  "PRICES\n",
  "const NONE = {}\n"
  "decide return_required = item.category in NONE or \"a\" in NONE\n",
  /* Expected types through if, ??, set +/-, min. */
  "decide shipping_payer_alt = if item.final_sale then customer else "
  "merchant\noutput shipping_payer_alt: Payer\n",
  "input order.kind: Category\n"
  "decide return_required = (order.kind ?? electronics) == books\n",
  "decide return_required = item.category in {books} + {media} - "
  "{software}\n",
  "decide restocking_fee = min(item.price, 5) + max(1, 2)\n",
  "decide window = max(14 days, statutory_withdrawal(customer.country))\n",
  /* Country and currency codes by expected type and by shape. */
  "decide return_required = customer.country == DE or order.currency == "
  "EUR or customer.country in {FR, IT}\n",
  "const HOME = DE\nconst CUR = JPY\n"
  "decide return_required = customer.country == HOME and "
  "order.currency != CUR\n",
  /* Enum member shared by two enums, resolved by the other side. */
  "decide return_required = other == request.reason\n",
  "decide return_required = request.reason in {other, defective}\n",
  "decide return_required = other == books or item.category in "
  "{other, books} or item.category in {books, other}\n",
  /* Functions: params shadow, case bodies, calls in consts. */
  "fn f(EU: int) -> int = EU + 1\nconst X = f(2)\n"
  "decide return_required = item.quantity > X\n",
  "fn cap(m: money) -> money {\n  when m > 100 => 100\n"
  "  otherwise => m\n}\ndecide restocking_fee = cap(item.price)\n",
  /* Extensions and new enums; members of the extension resolve. */
  "extend enum Tier { silver, gold }\n"
  "decide return_required = customer.tier in {gold, silver, vip}\n",
  "enum Material { cotton, wool }\ninput item.material: Material\n"
  "decide return_required = (item.material ?? wool) == cotton\n",
  /* Custom outputs of every type. */
  "output bonus: money\noutput tags: set<string>\noutput when_: date\n"
  "decide bonus = 5\ndecide tags = item.tags + {\"x\"}\n"
  "decide when_ = request.date + 3 days\n",
  /* Reading decided absent outputs. */
  "decide window = 30 days\n"
  "decide refund_within = if window > 14 days then 14 days else window\n",
  /* Messages with string locale keys. */
  "message \"x\" { en: \"a\" \"pt-BR\": \"b\" de: \"c\" }\n",
  /* for clause with regions, consts and set operations. */
  "const MORE = {CH, GB}\n",
  /* Tests: money given as numbers, none, verdict without code, errors. */
  "test \"t\" {\n  given {\n    customer.country = DE\n"
  "    order.currency = EUR\n    item.price = 10.50\n"
  "    request.date = 2026-03-01\n    item.tags = {\"a\"}\n  }\n"
  "  expect {\n    eligible = allow\n    refund_amount = 10.50\n  }\n}\n"
  "test \"u\" {\n  given {\n    item.price = 1\n  }\n"
  "  expect {\n    error = \"bad_input\"\n  }\n}\n",
};

/* Programs that must fail, with a fragment of the first message. */
static const struct {
  const char *src, *want;
} bad[] = {
  {"decide return_required = item.colour\n", "unknown field 'item.colour'"},
  {"decide return_required = customer.country == EU\n",
   "did you mean 'customer.country in EU'?"},
  {"decide return_required = EU == customer.country\n",
   "did you mean 'customer.country in EU'?"},
  {"const X = other\n", "write 'Category.other' or 'Reason.other'"},
  {"decide restocking_fee = 2 * 3\n", "must be money, found int"},
  {"decide restocking_fee = 1 + 2 * 3\n", "must be money"},
  {"decide return_required = item.quantity > 1.5\n", "decimal number"},
  {"decide restocking_fee = 10 EUX\n", "unknown currency 'EUX'"},
  {"decide restocking_fee = 1.001 EUR\n", "more decimals than 'EUR'"},
  {"decide return_required = item.price > 5%\n", "cannot compare money"},
  {"decide restocking_fee = item.price * item.price\n",
   "cannot multiply money by money"},
  {"decide restocking_fee = 5% of item.quantity\n", "'of' takes money"},
  {"decide restocking_fee = 5 of item.price\n", "must be a percent"},
  {"decide return_required = request.date + 1 > request.date\n",
   "add a duration"},
  {"decide return_required = item.category > books\n", "unordered"},
  {"decide return_required = \"a\" < \"b\"\n", "strings cannot be ordered"},
  {"decide return_required = true < false\n", "cannot be ordered"},
  {"decide return_required = customer.country < DE\n",
   "cannot be ordered"},
  {"decide route = if item.final_sale then \"a\" else 1\n",
   "different types"},
  {"decide route = allow\n", "can only be the value of a case"},
  {"decide return_required = eligible == allow\n", "'eligible' cannot"},
  {"decide route = if window > 3 days then \"a\" else \"b\"\n",
   "does not decide it"},
  {"decide return_required = present(1)\n", "'present' takes an input"},
  {"decide restocking_fee = (item.price + 1) ?? 0\n", "left of '?\?'"},
  {"decide restocking_fee = abs(\"x\")\n", "'abs' takes"},
  {"decide return_required = to_days(3) > 1\n", "must be duration"},
  {"decide return_required = weekday(3) > 1\n", "must be date"},
  {"decide return_required = starts_with(1, \"a\")\n", "must be string"},
  {"decide return_required = \"a\" in \"abc\"\n", "contains(s, sub)"},
  {"decide return_required = 1 in 2\n", "needs a set"},
  {"const S = {{1}}\n", "sets cannot contain sets"},
  {"const S = {1, \"a\"}\n", "one type"},
  {"const S = {}\ndecide return_required = S == S\n", "cannot be compared"},
  {"const L = item.price\n", "must be constant"},
  {"fn f(x: int) -> int = x + item.quantity\nconst C = f(1)\n",
   "must be constant"},
  {"let a = b\nlet b = a\ndecide return_required = a\n", "cycle: a -> b"},
  {"const A = B + 1\nconst B = A\n", "cycle: A -> B -> A"},
  {"fn f(x: int) -> int = f(x)\n", "cycle: f -> f"},
  {"decide restocking_fee = refund_amount\n",
   "cycle: restocking_fee -> refund_amount -> restocking_fee"},
  {"decide window = 1 day\ndecide window = 2 days\n", "already decided"},
  {"output bonus: money\n", "never decided"},
  {"output bonus: money = 3\ndecide bonus = 1\n", "only the prelude"},
  {"input item.x: int required\n", "required"},
  {"input item.price.net: money\n", "extends input 'item.price'"},
  {"input item: int\n", "an input is a path"},
  {"input item.size: verdict\n", "cannot be named"},
  {"input item.size: set<set<int>>\n", "sets cannot contain sets"},
  {"input item.size: Size\n", "unknown type 'Size'"},
  {"input item.size: int = \"L\"\n", "must be int"},
  {"input item.size: int = item.quantity\n", "must be constant"},
  {"enum Tier { a }\n", "already declared in the prelude"},
  {"const min = 1\n", "built-in"},
  {"const order = 1\n", "input root"},
  {"extend enum Nope { a }\n", "unknown enum 'Nope'"},
  {"extend enum Tier { vip }\n", "already a member"},
  {"enum E { a }\nextend enum E { b }\n", "declared in this file"},
  {"extern fn x(a: money) -> int\n", "externs take only"},
  {"extern fn x(a: int) -> set<int>\n", "externs return only"},
  {"message \"c\" { de: \"x\" }\n", "no 'en' text"},
  {"message \"c\" { en: \"x\" }\nmessage \"c\" { en: \"y\" }\n",
   "already defined"},
  {"message \"c\" { en: \"x\" en: \"y\" }\n", "appears twice"},
  {"decide nope = 1\n", "unknown output 'nope'"},
  {"fn f(a: int) -> int = a\ndecide return_required = f(1, 2) > 0\n",
   "takes 1 argument, 2 given"},
  {"decide return_required = nope(1)\n", "unknown function 'nope'"},
  {"const X = zzz\n", "unknown name 'zzz'"},
  {"decide return_required = customer.tier == vipp\n",
   "'vipp' is not a member of 'Tier'; did you mean 'vip'?"},
  {"decide return_required = Tier.vipp == customer.tier\n",
   "did you mean 'vip'?"},
  {"decide return_required = customer.country == ZZ\n",
   "unknown country code 'ZZ'"},
  {"decide return_required = order.currency == ZZZ\n",
   "unknown currency code 'ZZZ'"},
  {"test \"t\" {\n  given {\n    item.nope = 1\n  }\n  expect {\n"
   "    eligible = allow\n  }\n}\n", "unknown field 'item.nope'"},
  {"test \"t\" {\n  given {\n    item.price = 1\n  }\n  expect {\n"
   "    nope = 1\n  }\n}\n", "unknown output 'nope'"},
  {"test \"t\" {\n  given {\n    item.price = 1\n  }\n  expect {\n"
   "    error = \"oops\"\n  }\n}\n", "unknown error code"},
  {"test \"t\" {\n  given {\n    item.price = 1\n    item.price = 2\n  }\n"
   "  expect {\n    eligible = allow\n  }\n}\n", "given twice"},
  {"test \"t\" {\n  given {\n    item.price = 1\n  }\n  expect {\n"
   "    window = 1 day\n  }\n}\n", "does not decide 'window'"},
  {"test \"t\" {\n  given {\n    item.price = 1\n  }\n  expect {\n"
   "    return_required = none\n  }\n}\n", "'none' can be expected only"},
};

static void test_good(void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    struct run r;
    const char *src = cat(HDR, good[i]);
    if (!check(&r, src, NULL) || r.s.diags.nerrors)
      fail_msg("rejected:\n%s=> %s", src, r.err);
    check_contract(r.p);
    session_free(&r.s);
  }
}

static void test_bad(void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct run r;
    const char *src = cat(HDR, bad[i].src);
    if (check(&r, src, NULL))
      fail_msg("accepted:\n%s", src);
    if (!strstr(r.err, bad[i].want))
      fail_msg("%s=> %s(want '%s')", src, r.err, bad[i].want);
    session_free(&r.s);
  }
}

/* ------------------------------------------------------- detail checks */

static struct decl *find_decl(const struct program *p, enum decl_kind k,
                              const char *name)
{
  for (int f = 0; f < p->nfiles; f++)
    for (int i = 0; i < p->files[f]->ndecls; i++) {
      struct decl *d = p->files[f]->decls[i];
      if (d->kind == k && d->name && strcmp(d->name, name) == 0)
        return d;
    }
  return NULL;
}

static void test_untyped_settling(void **state)
{
  (void)state;
  struct run r;
  check(&r, cat(HDR, "const LIMIT = 50\n"
                     "decide restocking_fee = LIMIT\n"
                     "decide return_required = item.quantity > LIMIT\n"),
        NULL);
  assert_non_null(r.p);
  struct decl *lim = find_decl(r.p, D_CONST, "LIMIT");
  assert_int_equal(lim->u.value.type->kind, TY_NUMBER);
  struct decl *fee = find_decl(r.p, D_DECIDE, "restocking_fee");
  struct expr *v = fee->u.decide.cases[0]->value;
  assert_int_equal(v->ref.kind, REF_CONST);
  assert_ptr_equal(v->type, &type_money);
  assert_int_equal(v->expansion->kind, EX_INT);
  assert_int_equal(v->expansion->from_number, 1);
  struct decl *rr = find_decl(r.p, D_DECIDE, "return_required");
  struct expr *cmp = rr->u.decide.cases[0]->value;
  assert_ptr_equal(cmp->u.bin.rhs->type, &type_int);
  assert_int_equal(cmp->u.bin.rhs->expansion->from_number, 0);
  /* Each use has its own copy. */
  assert_ptr_not_equal(cmp->u.bin.rhs->expansion, v->expansion);
  session_free(&r.s);

  /* A literal where money is expected converts at evaluation. */
  check(&r, cat(HDR, "decide return_required = item.price >= 50\n"), NULL);
  assert_non_null(r.p);
  rr = find_decl(r.p, D_DECIDE, "return_required");
  cmp = rr->u.decide.cases[0]->value;
  assert_int_equal(cmp->u.bin.rhs->from_number, 1);
  assert_ptr_equal(cmp->u.bin.rhs->type, &type_money);
  session_free(&r.s);

  /* Money literals carry minor units and the currency number. */
  check(&r, cat(HDR, "decide restocking_fee = 12.5 EUR + 1500 JPY * 0 - "
                     "1.005 KWD * 0\n"), NULL);
  session_free(&r.s);
  check(&r, cat(HDR, "decide restocking_fee = 12.50 EUR\n"), NULL);
  assert_non_null(r.p);
  v = find_decl(r.p, D_DECIDE, "restocking_fee")->u.decide.cases[0]->value;
  assert_int_equal(v->u.money.minor, 1250);
  assert_int_equal(v->u.money.cur, rpol_currency_code("EUR"));
  session_free(&r.s);
}

static void test_resolution_details(void **state)
{
  (void)state;
  struct run r;
  check(&r, cat(HDR, "extend enum Tier { silver, gold }\n"
                     "decide return_required = customer.tier == gold and "
                     "customer.country == DE\n"), NULL);
  assert_non_null(r.p);
  struct decl *rr = find_decl(r.p, D_DECIDE, "return_required");
  struct expr *and = rr->u.decide.cases[0]->value;
  struct expr *gold = and->u.bin.lhs->u.bin.rhs;
  assert_int_equal(gold->ref.kind, REF_MEMBER);
  assert_int_equal(gold->ref.index, 3);   /* standard, vip, silver, gold */
  assert_int_equal(gold->ref.decl->u.enm.nall, 4);
  struct expr *de = and->u.bin.rhs->u.bin.rhs;
  assert_int_equal(de->ref.kind, REF_COUNTRY);
  assert_int_equal(de->ref.index, rpol_country_code("DE"));
  /* shipping_payer = customer is Payer.customer. */
  struct decl *sp = find_decl(r.p, D_DECIDE, "shipping_payer");
  struct expr *cust = sp->u.decide.cases[0]->value;
  assert_int_equal(cust->ref.kind, REF_MEMBER);
  assert_string_equal(cust->ref.decl->name, "Payer");
  assert_int_equal(cust->ref.index, 0);
  session_free(&r.s);
}

static void test_reachability_and_cases(void **state)
{
  (void)state;
  struct run r;
  check(&r,
        "policy \"t\" version \"1\"\n"
        "decide eligible {\n"
        "  when item.final_sale => deny \"a\"\n"
        "  when (item.final_sale) => deny \"b\"\n"
        "  when 2 * 3 > 5 => allow\n"
        "  when item.quantity > 3 => review \"c\"\n"
        "  otherwise => allow\n"
        "}\n"
        "decide refund_method = original_payment\n"
        "decide shipping_payer = customer\n"
        "fn f(x: int) -> int {\n  when x > 1 => 1\n  otherwise => 0\n}\n",
        NULL);
  assert_non_null(r.p);
  assert_int_equal(r.s.diags.nwarnings, 3);
  struct decl *el = find_decl(r.p, D_DECIDE, "eligible");
  assert_int_equal(el->u.decide.cases[0]->reachable, 1);
  assert_int_equal(el->u.decide.cases[1]->reachable, 0);
  assert_int_equal(el->u.decide.cases[2]->reachable, 1);
  assert_int_equal(el->u.decide.cases[3]->reachable, 0);
  assert_int_equal(el->u.decide.cases[4]->reachable, 0);
  /* 5 + 1 + 1 decide cases, 2 fn cases; none from the prelude. */
  assert_int_equal(r.p->ncases, 9);
  check_contract(r.p);
  session_free(&r.s);
}

static void test_modules_and_outputs(void **state)
{
  (void)state;
  struct run r;
  write_file("m1.rpol", "module \"m1\"\nuse \"m2.rpol\"\noutput a: int\n"
                        "extend enum Tier { gold }\n");
  write_file("m2.rpol", "module \"m2\"\noutput b: int\n"
                        "input item.m2: int = 0\n");
  write_file("m3.rpol", "module \"m3\"\nuse \"m2.rpol\"\noutput c: int\n");
  check(&r, "policy \"t\" version \"1\"\nuse \"m1.rpol\"\nuse \"m3.rpol\"\n"
            "use \"m2.rpol\"\n"
            "output d: int\n"
            "decide eligible = allow\n"
            "decide refund_method = original_payment\n"
            "decide shipping_payer = customer\n"
            "decide a = 1\ndecide b = item.m2\ndecide c = 3\ndecide d = 4\n"
            "decide return_required = customer.tier == gold\n", NULL);
  if (!r.p)
    fail_msg("%s", r.err);
  /* Outputs: modules first, each after what it uses, then the policy. */
  assert_int_equal(r.p->noutputs, OUT_NSTD + 4);
  assert_string_equal(r.p->outputs[OUT_NSTD + 0]->name, "b");
  assert_string_equal(r.p->outputs[OUT_NSTD + 1]->name, "a");
  assert_string_equal(r.p->outputs[OUT_NSTD + 2]->name, "c");
  assert_string_equal(r.p->outputs[OUT_NSTD + 3]->name, "d");
  /* m2 is loaded once. */
  int nm2 = 0;
  for (int i = 0; i < r.p->nfiles; i++)
    nm2 += r.p->files[i]->name && strcmp(r.p->files[i]->name, "m2") == 0;
  assert_int_equal(nm2, 1);
  check_contract(r.p);
  session_free(&r.s);

  /* A custom output of a module must be decided by the policy. */
  check(&r, "policy \"t\" version \"1\"\nuse \"m2.rpol\"\n"
            "decide eligible = allow\n"
            "decide refund_method = original_payment\n"
            "decide shipping_payer = customer\n", NULL);
  assert_null(r.p);
  assert_non_null(strstr(r.err, "does not decide output 'b'"));
  session_free(&r.s);

  /* A module cannot see what the policy declares. */
  write_file("m4.rpol", "module \"m4\"\nconst X = Y\n");
  check(&r, cat(HDR, "use \"m4.rpol\"\nconst Y = 1\n"), NULL);
  assert_null(r.p);
  assert_non_null(strstr(r.err, "unknown name 'Y'"));
  session_free(&r.s);
}

/* Two programs of one session see different extensions of one prelude
 * enum and decide `eligible` differently: their views must not mix. */
static void test_programs_independent(void **state)
{
  (void)state;
  struct session s;
  session_init(&s);
  session_load_prelude(&s);
  write_file("m.rpol", "module \"m\"\noutput x: bool\n"
                       "let g = customer.tier\n");
  write_file("a.rpol", "policy \"a\" version \"1\"\nuse \"m.rpol\"\n"
                       "extend enum Tier { gold }\n"
                       "decide eligible = allow\ndecide x = true\n"
                       "decide refund_method = original_payment\n"
                       "decide shipping_payer = customer\n");
  write_file("b.rpol", "policy \"b\" version \"1\"\nuse \"m.rpol\"\n"
                       "extend enum Tier { silver, platinum }\n"
                       "decide eligible = review \"r\"\ndecide x = false\n"
                       "decide refund_method = store_credit\n"
                       "decide shipping_payer = merchant\n");
  struct span none = {0};
  struct file *fa = session_file(&s, "a.rpol", FILE_POLICY, none, 0);
  struct file *fb = session_file(&s, "b.rpol", FILE_POLICY, none, 0);
  struct program *pa = sema_check_policy(&s, fa, NULL, 0);
  struct program *pb = sema_check_policy(&s, fb, NULL, 0);
  assert_non_null(pa);
  assert_non_null(pb);
  assert_ptr_equal(pa->outputs[OUT_ELIGIBLE]->u.output.decided_by->file,
                   fa);
  assert_ptr_equal(pb->outputs[OUT_ELIGIBLE]->u.output.decided_by->file,
                   fb);
  assert_ptr_equal(pa->outputs[OUT_NSTD]->u.output.decided_by->file, fa);
  struct decl *ta = find_decl(pa, D_ENUM, "Tier");
  struct decl *tb = find_decl(pb, D_ENUM, "Tier");
  assert_int_equal(ta->u.enm.nall, 3);
  assert_int_equal(tb->u.enm.nall, 4);
  assert_string_equal(ta->u.enm.all[2], "gold");
  assert_string_equal(tb->u.enm.all[2], "silver");
  check_contract(pa);
  check_contract(pb);
  session_free(&s);
}

static void test_for_and_bundles(void **state)
{
  (void)state;
  struct session s;
  session_init(&s);
  session_load_prelude(&s);
  const char *body = "decide eligible = allow\n"
                     "decide refund_method = original_payment\n"
                     "decide shipping_payer = customer\n";
  char buf[1024];
  snprintf(buf, sizeof buf, "policy \"a\" version \"1\"\n"
           "for customer.country in NORDICS + {DE} - {SE}\n"
           "region NORDICS = {DK, FI, IS, NO, SE}\n%s", body);
  write_file("a.rpol", buf);
  snprintf(buf, sizeof buf, "policy \"b\" version \"1\"\n"
           "for customer.country in {FR, DE, NO}\n%s", body);
  write_file("b.rpol", buf);
  snprintf(buf, sizeof buf, "policy \"c\" version \"1\"\n%s", body);
  write_file("c.rpol", buf);
  struct span none = {0};
  struct program *p[3];
  const char *names[] = {"a.rpol", "b.rpol", "c.rpol"};
  for (int i = 0; i < 3; i++) {
    struct file *f = session_file(&s, names[i], FILE_POLICY, none, 0);
    p[i] = sema_check_policy(&s, f, NULL, 0);
    assert_non_null(p[i]);
  }
  assert_int_equal(p[0]->has_for, 1);
  assert_int_equal(p[0]->nfor_countries, 5);
  assert_int_equal(p[0]->for_countries[0], rpol_country_code("DE"));
  assert_int_equal(p[2]->has_for, 0);
  assert_int_equal(sema_check_bundle(&s, p, 1), 0);
  assert_int_not_equal(sema_check_bundle(&s, p, 3), 0);
  int found = 0;
  for (int i = 0; i < s.diags.len; i++)
    found |= strstr(s.diags.items[i].msg, "countries DE, NO are already "
                    "routed to policy 'a'") != NULL;
  assert_true(found);
  assert_int_equal(sema_currency_exponent(&s, rpol_currency_code("JPY")),
                   0);
  assert_int_equal(sema_currency_exponent(&s, rpol_currency_code("KWD")),
                   3);
  assert_int_equal(sema_currency_exponent(&s, rpol_currency_code("EUX")),
                   -1);
  assert_true(sema_is_country(&s, rpol_country_code("DE")));
  assert_false(sema_is_country(&s, rpol_country_code("UK")));
  session_free(&s);
}

static void test_test_files(void **state)
{
  (void)state;
  struct run r;
  check(&r, HDR,
        "test \"a\" {\n  given {\n    item.price = 1\n  }\n"
        "  expect {\n    eligible = allow\n    refund_method = none\n"
        "  }\n}\n");
  if (!r.p)
    fail_msg("%s", r.err);
  assert_int_equal(r.p->ntests, 1);
  assert_int_equal(r.p->ntest_files, 1);
  check_contract(r.p);
  session_free(&r.s);
  check(&r, HDR, "const X = 1\n");
  assert_null(r.p);
  session_free(&r.s);
}

/* Limits: deep nesting and long chains must be errors or fine, never a
 * crash; exponential expansion is cut off. */
static void test_limits(void **state)
{
  (void)state;
  static char src[400000];
  struct run r;
  /* 200 nested parentheses and unary minus. */
  size_t l = snprintf(src, sizeof src, "%sconst X = ", HDR);
  for (int i = 0; i < 200; i++)
    l += snprintf(src + l, sizeof src - l, "-(");
  l += snprintf(src + l, sizeof src - l, "1");
  for (int i = 0; i < 200; i++)
    l += snprintf(src + l, sizeof src - l, ")");
  snprintf(src + l, sizeof src - l, "\ndecide restocking_fee = X\n");
  check(&r, src, NULL);
  assert_non_null(r.p);
  check_contract(r.p);
  session_free(&r.s);

  /* A chain of 5000 untyped consts: a depth error, not a crash. */
  l = snprintf(src, sizeof src, "%sconst C0 = 1\n", HDR);
  for (int i = 1; i < 5000; i++)
    l += snprintf(src + l, sizeof src - l, "const C%d = C%d + 1\n", i,
                  i - 1);
  snprintf(src + l, sizeof src - l, "decide restocking_fee = C4999\n");
  check(&r, src, NULL);
  if (r.p || !strstr(r.err, "expands too far"))
    fail_msg("%.300s", r.err);
  session_free(&r.s);

  /* The same chain declared backwards: checked on demand, depth-bound. */
  l = snprintf(src, sizeof src, "%s", HDR);
  for (int i = 4999; i >= 1; i--)
    l += snprintf(src + l, sizeof src - l, "const C%d = C%d + 1\n", i,
                  i - 1);
  snprintf(src + l, sizeof src - l, "const C0 = 1\n"
           "decide restocking_fee = C4999\n");
  check(&r, src, NULL);
  if (r.p || !strstr(r.err, "deeply"))
    fail_msg("%.300s", r.err);
  session_free(&r.s);

  /* A chain of 5000 typed lets is fine (iterative cycle check). */
  l = snprintf(src, sizeof src, "%slet C0: int = 1\n", HDR);
  for (int i = 1; i < 5000; i++)
    l += snprintf(src + l, sizeof src - l, "let C%d: int = C%d + 1\n", i,
                  i - 1);
  snprintf(src + l, sizeof src - l,
           "decide return_required = C4999 > 0\n");
  check(&r, src, NULL);
  if (!r.p)
    fail_msg("%.300s", r.err);
  session_free(&r.s);

  /* Doubling untyped consts would expand to 2^40 nodes. */
  l = snprintf(src, sizeof src, "%sconst D0 = 1\n", HDR);
  for (int i = 1; i <= 40; i++)
    l += snprintf(src + l, sizeof src - l, "const D%d = D%d + D%d\n", i,
                  i - 1, i - 1);
  snprintf(src + l, sizeof src - l, "decide restocking_fee = D40\n");
  check(&r, src, NULL);
  assert_null(r.p);
  assert_non_null(strstr(r.err, "give its declaration a type"));
  session_free(&r.s);
}

int main(void)
{
  if (!mkdtemp(tmpdir) || chdir(tmpdir) != 0)
    return 1;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_good),
    cmocka_unit_test(test_bad),
    cmocka_unit_test(test_untyped_settling),
    cmocka_unit_test(test_resolution_details),
    cmocka_unit_test(test_reachability_and_cases),
    cmocka_unit_test(test_modules_and_outputs),
    cmocka_unit_test(test_programs_independent),
    cmocka_unit_test(test_for_and_bundles),
    cmocka_unit_test(test_test_files),
    cmocka_unit_test(test_limits),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  const char *files[] = {"p.rpol", "p.test.rpol", "m.rpol", "m1.rpol",
                         "m2.rpol", "m3.rpol", "m4.rpol", "a.rpol",
                         "b.rpol", "c.rpol"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    unlink(files[i]);
  if (chdir("/") == 0)
    rmdir(tmpdir);
  return rc;
}
