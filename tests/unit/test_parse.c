/* test_parse.c: the scanner and the grammar, table-driven.
 *
 * Expressions are checked through an s-expression printer, so a table row
 * states the shape of the tree: "10% of item.price * item.quantity" =>
 * "(of 10% (* item.price item.quantity))".  Other tables give literals and
 * their errors, declarations, the spec's samples, error recovery and
 * hostile inputs (which must end in a diagnostic, never a crash).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "parse.h"
#include "source.h"

/* ------------------------------------------------------------ harness */

struct fixture {
  struct arena a;
  struct source_set ss;
  struct diag_list d;
  struct file *f;
};

static struct fixture *fx_parse_len(const char *text, size_t len,
                                    enum file_kind hint)
{
  struct fixture *x = calloc(1, sizeof *x);

  assert_non_null(x);
  arena_init(&x->a);
  source_set_init(&x->ss, &x->a);
  diag_init(&x->d, &x->a, &x->ss);
  x->f = parse_file(&x->a, &x->d,
                    source_add(&x->ss, "t.rpol", text, len, 0, &x->d), hint);
  assert_non_null(x->f);
  return x;
}

static struct fixture *fx_parse(const char *text, enum file_kind hint)
{
  return fx_parse_len(text, strlen(text), hint);
}

static void fx_free(struct fixture *x)
{
  arena_free(&x->a);
  free(x);
}

/* First error message, or "" */
static const char *fx_first(const struct fixture *x)
{
  int i;

  for (i = 0; i < x->d.len; i++)
    if (x->d.items[i].level == DIAG_ERROR)
      return x->d.items[i].msg;
  return "";
}

static void fx_dump(const struct fixture *x)
{
  diag_print(&x->d, stderr);
}

/* --------------------------------------------------- s-expression printer */

struct buf {
  char s[4096];
  size_t n;
};

static void bput(struct buf *b, const char *fmt, ...)
{
  va_list ap;
  int r;

  va_start(ap, fmt);
  r = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
  va_end(ap);
  if (r > 0)
    b->n += (size_t)r < sizeof b->s - b->n ? (size_t)r : sizeof b->s - b->n - 1;
}

static void bdec(struct buf *b, struct decimal d)
{
  int64_t p = 1, m;
  int i;

  if (d.scale == 0) {
    bput(b, "%lld", (long long)d.mant);
    return;
  }
  for (i = 0; i < d.scale; i++)
    p *= 10;
  m = d.mant < 0 ? -d.mant : d.mant;
  bput(b, "%s%lld.%0*lld", d.mant < 0 ? "-" : "", (long long)(m / p),
       d.scale, (long long)(m % p));
}

static const char *const binops[] = {"+", "-", "*", "/", "==", "!=", "<",
                                     "<=", ">", ">=", "and", "or"};

static void sx(struct buf *b, const struct expr *e)
{
  int i;

  if (!e) {
    bput(b, "_");
    return;
  }
  switch (e->kind) {
  case EX_INT:
  case EX_DEC:
    bdec(b, e->u.num);
    break;
  case EX_MONEY:
    bdec(b, e->u.money.amount);
    bput(b, "_%s", e->u.money.code);
    break;
  case EX_PERCENT:
    bdec(b, e->u.num);
    bput(b, "%%");
    break;
  case EX_DURATION:
    bput(b, "%lldd", (long long)e->u.days);
    break;
  case EX_DATE:
    bput(b, "@%lld", (long long)e->u.days);
    break;
  case EX_STRING:
    /* U+0000 (`\u{0}`) prints as \0: strings carry their length. */
    bput(b, "\"");
    for (int64_t k = 0; k < e->str_len; k++)
      if (e->u.str[k])
        bput(b, "%c", e->u.str[k]);
      else
        bput(b, "\\0");
    bput(b, "\"");
    break;
  case EX_BOOL:
    bput(b, e->u.b ? "true" : "false");
    break;
  case EX_VERDICT:
    bput(b, "%s", e->u.verdict.kind == VERDICT_ALLOW    ? "allow"
                  : e->u.verdict.kind == VERDICT_REVIEW ? "review"
                                                        : "deny");
    if (e->u.verdict.code)
      bput(b, ":%s", e->u.verdict.code);
    break;
  case EX_NAME:
    bput(b, "%s", e->u.name);
    break;
  case EX_QUALIFIED:
    bput(b, "%s::%s", e->u.qual.enum_name, e->u.qual.member);
    break;
  case EX_PATH:
    bput(b, "%s", e->u.path.text);
    break;
  case EX_UNARY:
    bput(b, "(%s ", e->u.unary.op == UN_NEG ? "neg" : "not");
    sx(b, e->u.unary.operand);
    bput(b, ")");
    break;
  case EX_BINARY:
  case EX_OF:
  case EX_COALESCE:
    bput(b, "(%s ", e->kind == EX_OF         ? "of"
                    : e->kind == EX_COALESCE ? "??"
                                             : binops[e->u.bin.op]);
    sx(b, e->u.bin.lhs);
    bput(b, " ");
    sx(b, e->u.bin.rhs);
    bput(b, ")");
    break;
  case EX_IN:
    bput(b, "(%s ", e->u.in.negated ? "not-in" : "in");
    sx(b, e->u.in.elem);
    bput(b, " ");
    sx(b, e->u.in.set);
    bput(b, ")");
    break;
  case EX_IF:
    bput(b, "(if ");
    sx(b, e->u.cond.cond);
    bput(b, " ");
    sx(b, e->u.cond.then);
    bput(b, " ");
    sx(b, e->u.cond.els);
    bput(b, ")");
    break;
  case EX_CALL:
    bput(b, "(call %s", e->u.call.name);
    for (i = 0; i < e->u.call.nargs; i++) {
      bput(b, " ");
      sx(b, e->u.call.args[i]);
    }
    bput(b, ")");
    break;
  case EX_SET:
    bput(b, "{");
    for (i = 0; i < e->u.set.n; i++) {
      if (i)
        bput(b, " ");
      sx(b, e->u.set.elems[i]);
    }
    bput(b, "}");
    break;
  }
}

static const char *sx_str(struct buf *b, const struct expr *e)
{
  b->n = 0;
  b->s[0] = '\0';
  sx(b, e);
  return b->s;
}

/* Parses `let x = SRC` in a policy and returns the printed initialiser. */
static int expr_case(const char *src, const char *want, const char *err)
{
  char text[4096];
  struct fixture *x;
  struct buf b;
  int ok;

  snprintf(text, sizeof text, "policy \"t\" version \"1\"\nlet x = %s\n",
           src);
  x = fx_parse(text, FILE_POLICY);
  if (err) {
    ok = x->d.nerrors > 0 && strstr(fx_first(x), err) != NULL;
    if (!ok)
      fprintf(stderr, "%s => %d errors, first '%s' (want '%s')\n", src,
              x->d.nerrors, fx_first(x), err);
  } else if (x->d.nerrors || x->f->ndecls != 1) {
    fprintf(stderr, "%s => unexpected errors:\n", src);
    fx_dump(x);
    ok = 0;
  } else {
    sx_str(&b, x->f->decls[0]->u.value.init);
    ok = strcmp(b.s, want) == 0;
    if (!ok)
      fprintf(stderr, "%s => %s (want %s)\n", src, b.s, want);
  }
  fx_free(x);
  return ok;
}

struct expr_row {
  const char *src;
  const char *want;     /* s-expression, or NULL when an error is wanted */
  const char *err;      /* substring of the first error */
};

static void run_expr_rows(const struct expr_row *rows, size_t n)
{
  size_t i;
  int fails = 0;

  for (i = 0; i < n; i++)
    fails += !expr_case(rows[i].src, rows[i].want, rows[i].err);
  assert_int_equal(fails, 0);
}

/* ------------------------------------------------------------- literals */

static void test_literals(void **state)
{
  static const struct expr_row rows[] = {
    {"0", "0", NULL},
    {"42", "42", NULL},
    {"1_000", "1000", NULL},
    {"1_000_000", "1000000", NULL},
    {"9223372036854775807", "9223372036854775807", NULL},
    {"-9223372036854775808", "-9223372036854775808", NULL},
    {"-(9223372036854775808)", NULL, "does not fit in 64 bits"},
    {"2 * -9223372036854775808", "(* 2 -9223372036854775808)", NULL},
    {"-9223372036854775808 * 2", "(* -9223372036854775808 2)", NULL},
    {"9223372036854775808 * 2", NULL, "does not fit in 64 bits"},
    {"- - 9223372036854775808", "(neg -9223372036854775808)", NULL},
    {"-9223372036854775807", "(neg 9223372036854775807)", NULL},
    {"9223372036854775808", NULL, "does not fit in 64 bits"},
    {"1 - 9223372036854775808", NULL, "does not fit in 64 bits"},
    {"18446744073709551616", NULL, "does not fit in 64 bits"},
    {"99999999999999999999999", NULL, "does not fit in 64 bits"},
    {"1__0", NULL, "'_' may only stand between digits"},
    {"1_", NULL, "'_' may only stand between digits"},
    {"_1", "_1", NULL},
    {"007", "7", NULL},
    {"12.5", "12.5", NULL},
    {"0.99", "0.99", NULL},
    {"12.50", "12.50", NULL},
    {"1_000.25", "1000.25", NULL},
    {"922337203685477580.7", "922337203685477580.7", NULL},
    {"92233720368547758.07", "92233720368547758.07", NULL},
    {"922337203685477580.8", NULL, "too many digits"},
    {"0.000000000000000001", "0.000000000000000001", NULL},
    {"0.0000000000000000001", NULL, "too many digits"},
    {"12345678901234567890.5", NULL, "too many digits"},
    {"12345678901234567890 EUR", NULL, "too many digits"},
    {"0.123456789012345678", "0.123456789012345678", NULL},
    {"50 USD", "50_USD", NULL},
    {"12.50 EUR", "12.50_EUR", NULL},
    {"1500 JPY", "1500_JPY", NULL},
    {"12.345 EUR", "12.345_EUR", NULL},
    {"10 EUX", "10_EUX", NULL},
    {"10\tEUR", "10_EUR", NULL},
    {"10EUR", "10_EUR", NULL},
    {"-12.50 EUR", "(neg 12.50_EUR)", NULL},
    {"10 EURO", NULL, "unexpected identifier 'EURO'"},
    {"10 Eur", NULL, "unexpected identifier 'Eur'"},
    {"15%", "15%", NULL},
    {"12.5%", "12.5%", NULL},
    {"12.3456%", "12.3456%", NULL},
    {"12.34560%", "12.3456%", NULL},
    {"12.34567%", NULL, "at most 4 decimals"},
    {"1000000%", "1000000%", NULL},
    {"1000000.0001%", NULL, "at most 1000000%"},
    {"1_000_001%", NULL, "at most 1000000%"},
    {"-5%", "(neg 5%)", NULL},
    {"15 %", NULL, "unexpected character '%'"},
    {"1 day", "1d", NULL},
    {"3 days", "3d", NULL},
    {"1 week", "7d", NULL},
    {"2 weeks", "14d", NULL},
    {"0 days", "0d", NULL},
    {"-3 days", "(neg 3d)", NULL},
    {"1.5 days", NULL, "a duration is a whole number of days"},
    {"9223372036854775807 days", "9223372036854775807d", NULL},
    {"1317624576693539402 weeks", NULL, "duration does not fit"},
    {"1970-01-01", "@0", NULL},
    {"1970-01-02", "@1", NULL},
    {"1969-12-31", "@-1", NULL},
    {"2026-02-28", "@20512", NULL},
    {"2026-03-01", "@20513", NULL},
    {"2024-02-29", "@19782", NULL},
    {"2000-02-29", "@11016", NULL},
    {"0001-01-01", "@-719162", NULL},
    {"9999-12-31", "@2932896", NULL},
    {"2026-02-29", NULL, "invalid date '2026-02-29'"},
    {"1900-02-29", NULL, "invalid date '1900-02-29'"},
    {"2026-13-01", NULL, "invalid date '2026-13-01': no such month"},
    {"2026-04-31", NULL, "invalid date"},
    {"2026-00-10", NULL, "invalid date"},
    {"0000-01-01", NULL, "years start at 0001"},
    {"2026-1-01", "(- (- 2026 1) 1)", NULL},
    {"\"\"", "\"\"", NULL},
    {"\"abc\"", "\"abc\"", NULL},
    {"\"a\\\"b\"", "\"a\"b\"", NULL},
    {"\"a\\\\b\"", "\"a\\b\"", NULL},
    {"\"a\\nb\"", "\"a\nb\"", NULL},
    {"\"a\\tb\"", "\"a\tb\"", NULL},
    {"\"\\u{41}\"", "\"A\"", NULL},
    {"\"\\u{e9}\"", "\"\xc3\xa9\"", NULL},
    {"\"\\u{20AC}\"", "\"\xe2\x82\xac\"", NULL},
    {"\"\\u{1F600}\"", "\"\xf0\x9f\x98\x80\"", NULL},
    {"\"\\u{10FFFF}\"", "\"\xf4\x8f\xbf\xbf\"", NULL},
    {"\"\\u{0010FFFF}\"", NULL, "invalid escape '\\u'"},
    {"\"\\u{110000}\"", NULL, "not a Unicode scalar value"},
    {"\"\\u{D800}\"", NULL, "not a Unicode scalar value"},
    {"\"\\u{DFFF}\"", NULL, "not a Unicode scalar value"},
    {"\"\\u{}\"", NULL, "invalid escape '\\u'"},
    {"\"\\u{12\"", NULL, "invalid escape '\\u'"},
    {"\"\\u0041\"", NULL, "invalid escape '\\u'"},
    {"\"\\u{0}\"", "\"\\0\"", NULL},
    {"\"a\\u{0}b\\u{00}\"", "\"a\\0b\\0\"", NULL},
    {"\"a\\qb\"", NULL, "invalid escape '\\q'"},
    {"\"\\r\"", NULL, "invalid escape '\\r'"},
    {"\"\\\xc3\xa9\"", NULL, "invalid escape '\\\xc3\xa9'"},
    {"\"caf\xc3\xa9\"", "\"caf\xc3\xa9\"", NULL},
    {"\"abc", NULL, "unterminated string"},
    {"\"abc\\\"", NULL, "unterminated string"},
    {"'abc'", NULL, "strings are written in double quotes"},
    {"true", "true", NULL},
    {"false", "false", NULL},
    {"allow", "allow", NULL},
    {"deny \"final_sale\"", "deny:final_sale", NULL},
    {"review \"manual\"", "review:manual", NULL},
    {"deny", NULL, "expected a reason code after 'deny'"},
    {"review 3", NULL, "expected a reason code after 'review'"},
    {"1 # a comment\n + 2", "(+ 1 2)", NULL},
    {"a @ b", NULL, "unexpected character '@'"},
    {"a \xc3\xa9 b", NULL, "unexpected character '\xc3\xa9'"},
    {"a \xc3\xa9 + b", NULL, "unexpected character '\xc3\xa9'"},
    {"a \x01 b", NULL, "unexpected character U+0001"},
  };
  (void)state;
  run_expr_rows(rows, sizeof rows / sizeof rows[0]);
}

/* ------------------------------------------------------------- shapes */

static void test_precedence(void **state)
{
  static const struct expr_row rows[] = {
    /* §5.1 item 8 and §14: `of` */
    {"10% of item.price * item.quantity",
     "(of 10% (* item.price item.quantity))", NULL},
    {"a * 10% of m", "(of (* a 10%) m)", NULL},
    {"10% of 50% of m", "(of 10% (of 50% m))", NULL},
    {"10% of m + 1", "(+ (of 10% m) 1)", NULL},
    {"1 + 10% of m", "(+ 1 (of 10% m))", NULL},
    {"10% of m / 2", "(of 10% (/ m 2))", NULL},
    {"10% of -m", "(of 10% (neg m))", NULL},
    /* arithmetic */
    {"1 + 2 * 3", "(+ 1 (* 2 3))", NULL},
    {"1 * 2 + 3", "(+ (* 1 2) 3)", NULL},
    {"1 - 2 - 3", "(- (- 1 2) 3)", NULL},
    {"8 / 4 / 2", "(/ (/ 8 4) 2)", NULL},
    {"(1 + 2) * 3", "(* (+ 1 2) 3)", NULL},
    {"-a * b", "(* (neg a) b)", NULL},
    {"- -a", "(neg (neg a))", NULL},
    {"a - -1", "(- a (neg 1))", NULL},
    {"2026-03-11 - 2026-03-01", "(- @20523 @20513)", NULL},
    /* comparisons, in, not in */
    {"a + 1 == b * 2", "(== (+ a 1) (* b 2))", NULL},
    {"a != b", "(!= a b)", NULL},
    {"a < b", "(< a b)", NULL},
    {"a <= b", "(<= a b)", NULL},
    {"a > b", "(> a b)", NULL},
    {"a >= b", "(>= a b)", NULL},
    {"x in S + T", "(in x (+ S T))", NULL},
    {"x not in {a, b}", "(not-in x {a b})", NULL},
    {"a < b < c", NULL, "comparisons do not chain"},
    {"a == b == c", NULL, "comparisons do not chain"},
    {"a in b in c", NULL, "comparisons do not chain"},
    {"a < b in c", NULL, "comparisons do not chain"},
    /* not, and, or */
    {"not a == b", "(not (== a b))", NULL},
    {"not not a", "(not (not a))", NULL},
    {"not a and b", "(and (not a) b)", NULL},
    {"a and b or c and d", "(or (and a b) (and c d))", NULL},
    {"a or b or c", "(or (or a b) c)", NULL},
    {"a and b and c", "(and (and a b) c)", NULL},
    {"a or not b and c", "(or a (and (not b) c))", NULL},
    /* ?? */
    {"a ?? b ?? c", "(?? a (?? b c))", NULL},
    {"a ?? b or c", "(?? a (or b c))", NULL},
    {"a or b ?? c", "(?? (or a b) c)", NULL},
    {"item.material ?? Material.cotton",
     "(?? item.material Material::cotton)", NULL},
    /* if: lowest, extends right, may be an operand */
    {"if a then 1 else 2", "(if a 1 2)", NULL},
    {"if a then 1 else 2 + 3", "(if a 1 (+ 2 3))", NULL},
    {"1 + if a then 2 else 3 + 4", "(+ 1 (if a 2 (+ 3 4)))", NULL},
    {"if a then 1 else if b then 2 else 3", "(if a 1 (if b 2 3))", NULL},
    {"if if a then b else c then 1 else 2", "(if (if a b c) 1 2)", NULL},
    {"if a then if b then 1 else 2 else 3", "(if a (if b 1 2) 3)", NULL},
    {"(if a then 1 else 2) + 3", "(+ (if a 1 2) 3)", NULL},
    {"x ?? if a then b else c ?? d", "(?? x (if a b (?? c d)))", NULL},
    {"a or if b then c else d", "(or a (if b c d))", NULL},
    {"not if a then b else c", "(not (if a b c))", NULL},
    {"x == if a then 1 else 2", "(== x (if a 1 2))", NULL},
    {"x in if a then S else T", "(in x (if a S T))", NULL},
    {"10% of if a then m else n", "(of 10% (if a m n))", NULL},
    {"2 * if a then 1 else 2", "(* 2 (if a 1 2))", NULL},
    {"-if a then 1 else 2", "(neg (if a 1 2))", NULL},
    {"f(if a then 1 else 2, 3)", "(call f (if a 1 2) 3)", NULL},
    {"{if a then 1 else 2, 3}", "{(if a 1 2) 3}", NULL},
    {"if a then 1 else 2 == 3", "(if a 1 (== 2 3))", NULL},
    {"if a then 1", NULL, "expected 'else'"},
    /* names, paths, qualified names, calls, sets */
    {"customer", "customer", NULL},
    {"customer.country", "customer.country", NULL},
    {"item.dims.weight", "item.dims.weight", NULL},
    {"order.delivered_at", "order.delivered_at", NULL},
    {"request.date", "request.date", NULL},
    {"Tier.vip", "Tier::vip", NULL},
    {"Payer.customer", "Payer::customer", NULL},
    {"Tier.vip.x", NULL, "has no fields"},
    {"required", "required", NULL},
    {"none", "none", NULL},
    {"min(a, b)", "(call min a b)", NULL},
    {"present(order.delivered_at)", "(call present order.delivered_at)",
     NULL},
    {"f()", "(call f)", NULL},
    {"f(1, 2,)", NULL, "expected an expression"},
    {"{}", "{}", NULL},
    {"{a}", "{a}", NULL},
    {"{a,}", "{a}", NULL},
    {"{a, b, c,}", "{a b c}", NULL},
    {"{,}", NULL, "unexpected ','"},
    {"{DE, FR} + {GB}", "(+ {DE FR} {GB})", NULL},
    {"EEA - {NO}", "(- EEA {NO})", NULL},
    {"\"clearance\" in item.tags", "(in \"clearance\" item.tags)", NULL},
    {"a = b", NULL, "to compare, write '=='"},
  };
  (void)state;
  run_expr_rows(rows, sizeof rows / sizeof rows[0]);
}

/* ---------------------------------------------------------- declarations */

static void test_declarations(void **state)
{
  static const char src[] =
      "policy \"acme\" version \"1.0\"\n"
      "for customer.country in EEA + {GB, CH}\n"
      "use \"common.rpol\"\n"
      "region NORDICS = {DK, FI, IS, NO, SE}\n"
      "const LIMIT = 50\n"
      "const DAYS: duration = 30 days\n"
      "let faulty = request.reason in FAULTY\n"
      "let age: duration = request.date - order.delivered_at\n"
      "let tags: set<string> = item.tags\n"
      "fn gross_of(p: money, q: int) -> money = p * q\n"
      "fn none_() -> int = 1\n"
      "fn w(c: country) -> duration {\n"
      "  when c in EEA => 14 days\n"
      "  otherwise     => 0 days\n"
      "}\n"
      "extern fn fraud_score(customer_id: string) -> int\n"
      "extern fn now() -> date\n"
      "enum Material { cotton, wool, leather }\n"
      "enum Trailing { a, b, }\n"
      "extend enum Tier { silver, gold }\n"
      "input item.material: Material\n"
      "input customer.loyalty_points: int = 0\n"
      "input item.dims.weight: int\n"
      "output store_credit_bonus: money\n"
      "output points: set<int>\n"
      "decide eligible {\n"
      "  when item.final_sale => deny \"final_sale\"\n"
      "  otherwise => allow\n"
      "}\n"
      "decide restocking_fee = 12.50 EUR\n"
      "message \"final_sale\" {\n"
      "  en: \"Final-sale items can't be returned.\"\n"
      "  \"pt-BR\": \"N\xc3\xa3o.\"\n"
      "}\n"
      "use \"late.rpol\"\n";
  struct fixture *x = fx_parse(src, FILE_POLICY);
  struct file *f = x->f;
  struct decl **d = f->decls;
  struct buf b;

  (void)state;
  if (x->d.nerrors)
    fx_dump(x);
  assert_int_equal(x->d.nerrors, 0);
  assert_int_equal(f->syntax_errors, 0);
  assert_int_equal(f->kind, FILE_POLICY);
  assert_string_equal(f->name, "acme");
  assert_string_equal(f->version, "1.0");
  assert_non_null(f->for_set);
  assert_string_equal(sx_str(&b, f->for_subject), "customer.country");
  assert_string_equal(sx_str(&b, f->for_set), "(+ EEA {GB CH})");
  assert_int_equal(f->for_span.start, 28);
  assert_int_equal(f->for_span.end, 31);
  assert_int_equal(f->ndecls, 24);

  assert_int_equal(d[0]->kind, D_USE);
  assert_string_equal(d[0]->u.use.path, "common.rpol");
  assert_ptr_equal(d[0]->file, f);
  assert_int_equal(d[1]->kind, D_REGION);
  assert_string_equal(d[1]->name, "NORDICS");
  assert_int_equal(d[2]->kind, D_CONST);
  assert_null(d[2]->u.value.texpr);
  assert_int_equal(d[3]->kind, D_CONST);
  assert_string_equal(d[3]->u.value.texpr->name, "duration");
  assert_int_equal(d[4]->kind, D_LET);
  assert_int_equal(d[5]->kind, D_LET);
  assert_string_equal(d[6]->u.value.texpr->name, "set");
  assert_string_equal(d[6]->u.value.texpr->elem->name, "string");

  assert_int_equal(d[7]->kind, D_FN);
  assert_string_equal(d[7]->name, "gross_of");
  assert_int_equal(d[7]->u.fn.nparams, 2);
  assert_string_equal(d[7]->u.fn.params[1].name, "q");
  assert_string_equal(d[7]->u.fn.params[1].texpr->name, "int");
  assert_string_equal(d[7]->u.fn.result_texpr->name, "money");
  assert_string_equal(sx_str(&b, d[7]->u.fn.body), "(* p q)");
  assert_int_equal(d[8]->u.fn.nparams, 0);
  assert_int_equal(d[9]->kind, D_FN);
  assert_null(d[9]->u.fn.body);
  assert_int_equal(d[9]->u.fn.ncases, 2);
  assert_string_equal(sx_str(&b, d[9]->u.fn.cases[0]->cond), "(in c EEA)");
  assert_null(d[9]->u.fn.cases[1]->cond);
  assert_string_equal(sx_str(&b, d[9]->u.fn.cases[1]->value), "0d");

  assert_int_equal(d[10]->kind, D_EXTERN);
  assert_string_equal(d[10]->name, "fraud_score");
  assert_int_equal(d[10]->u.fn.nparams, 1);
  assert_int_equal(d[11]->kind, D_EXTERN);

  assert_int_equal(d[12]->kind, D_ENUM);
  assert_int_equal(d[12]->u.enm.nmembers, 3);
  assert_string_equal(d[12]->u.enm.members[2], "leather");
  assert_int_equal(d[13]->u.enm.nmembers, 2);
  assert_int_equal(d[14]->kind, D_EXTEND);
  assert_string_equal(d[14]->name, "Tier");
  assert_string_equal(d[14]->u.enm.members[0], "silver");

  assert_int_equal(d[15]->kind, D_INPUT);
  assert_string_equal(d[15]->u.input.path, "item.material");
  assert_int_equal(d[15]->u.input.nparts, 2);
  assert_null(d[15]->u.input.deflt);
  assert_int_equal(d[15]->u.input.required, 0);
  assert_string_equal(sx_str(&b, d[16]->u.input.deflt), "0");
  assert_int_equal(d[17]->u.input.nparts, 3);
  assert_string_equal(d[17]->u.input.parts[2], "weight");

  assert_int_equal(d[18]->kind, D_OUTPUT);
  assert_string_equal(d[18]->name, "store_credit_bonus");
  assert_null(d[18]->u.output.deflt);
  assert_int_equal(d[19]->kind, D_OUTPUT);

  assert_int_equal(d[20]->kind, D_DECIDE);
  assert_int_equal(d[20]->u.decide.ncases, 2);
  assert_int_equal(d[20]->u.decide.shorthand, 0);
  assert_string_equal(sx_str(&b, d[20]->u.decide.cases[0]->value),
                      "deny:final_sale");
  assert_int_equal(d[21]->kind, D_DECIDE);
  assert_int_equal(d[21]->u.decide.shorthand, 1);
  assert_int_equal(d[21]->u.decide.ncases, 1);
  assert_null(d[21]->u.decide.cases[0]->cond);
  /* The shorthand's case is located at its value. */
  assert_int_equal(d[21]->u.decide.cases[0]->kw_span.start,
                   d[21]->u.decide.cases[0]->value->span.start);
  assert_string_equal(sx_str(&b, d[21]->u.decide.cases[0]->value),
                      "12.50_EUR");

  assert_int_equal(d[22]->kind, D_MESSAGE);
  assert_string_equal(d[22]->u.message.code, "final_sale");
  assert_int_equal(d[22]->u.message.ntexts, 2);
  assert_string_equal(d[22]->u.message.texts[0].locale, "en");
  assert_string_equal(d[22]->u.message.texts[1].locale, "pt-BR");
  assert_string_equal(d[22]->u.message.texts[1].text, "N\xc3\xa3o.");
  assert_int_equal(d[23]->kind, D_USE);
  fx_free(x);
}

static void test_spans(void **state)
{
  static const char src[] = "module \"m\"\n"
                            "let x = a +  item.price\n"
                            "decide y {\n"
                            "  when x => 1 EUR\n"
                            "  otherwise => 2\n"
                            "}\n";
  struct fixture *x = fx_parse(src, FILE_POLICY);
  struct decl *d;
  struct expr *e;

  (void)state;
  assert_int_equal(x->d.nerrors, 0);
  assert_int_equal(x->f->kind, FILE_MODULE);
  assert_string_equal(x->f->name, "m");
  assert_null(x->f->version);
  d = x->f->decls[0];
  assert_int_equal(d->span.start, 11);
  assert_int_equal(d->span.end, 34);
  assert_int_equal(d->name_span.start, 15);
  e = d->u.value.init;
  assert_int_equal(e->span.start, 19);
  assert_int_equal(e->u.bin.op_span.start, 21);
  assert_int_equal(e->u.bin.op_span.end, 22);
  assert_int_equal(e->u.bin.rhs->span.start, 24);
  assert_int_equal(e->u.bin.rhs->span.end, 34);
  assert_int_equal(e->depth, 2);
  d = x->f->decls[1];
  assert_int_equal(d->u.decide.cases[0]->kw_span.start, 48);
  assert_int_equal(d->u.decide.cases[0]->kw_span.end, 52);
  e = d->u.decide.cases[0]->value;
  assert_int_equal(e->u.money.code_span.start, 60);
  assert_int_equal(e->u.money.code_span.end, 63);
  assert_int_equal(e->span.end, 63);
  assert_int_equal(d->u.decide.cases[1]->kw_span.start, 66);
  fx_free(x);
}

static void test_tests_and_prelude(void **state)
{
  static const char tests[] =
      "test \"denial\" {\n"
      "  given {\n"
      "    customer.returns_90d = 5\n"
      "    customer.tier = vip\n"
      "    item.price = 100.00\n"
      "    order.currency = EUR\n"
      "  }\n"
      "  expect {\n"
      "    eligible = deny\n"
      "    refund_method = none\n"
      "    shipping_payer = none\n"
      "    error = \"missing_input\"\n"
      "  }\n"
      "}\n"
      "test \"review\" { expect { eligible = review } }\n"
      "test \"full\" { given { } expect { eligible = deny \"x\" } }\n"
      "test \"empty\" { }\n";
  static const char prelude[] =
      "country AD, AE,\n  AF\n"
      "currency\n  EUR 2, JPY 0,\n  KWD 3\n"
      "input customer.country: country required\n"
      "input request.locale: string = \"en\"\n"
      "output refund_amount: money =\n"
      "  max(0, item.price * item.quantity - item.discount)\n"
      "output window: duration\n"
      "country ZW\n";
  struct fixture *x = fx_parse(tests, FILE_TESTS);
  struct decl *t;
  struct buf b;

  (void)state;
  if (x->d.nerrors)
    fx_dump(x);
  assert_int_equal(x->d.nerrors, 0);
  assert_int_equal(x->f->kind, FILE_TESTS);
  assert_int_equal(x->f->ndecls, 4);
  t = x->f->decls[0];
  assert_int_equal(t->kind, D_TEST);
  assert_string_equal(t->u.test.title, "denial");
  assert_int_equal(t->u.test.ngiven, 4);
  /* `5` then a newline then `customer`: not a money literal. */
  assert_string_equal(t->u.test.given[0].target, "customer.returns_90d");
  assert_string_equal(sx_str(&b, t->u.test.given[0].value), "5");
  assert_int_equal(t->u.test.given[0].target_expr->kind, EX_PATH);
  assert_string_equal(t->u.test.given[1].target, "customer.tier");
  assert_string_equal(sx_str(&b, t->u.test.given[2].value), "100.00");
  assert_int_equal(t->u.test.nexpect, 4);
  assert_string_equal(t->u.test.expect[0].target, "eligible");
  assert_null(t->u.test.expect[0].target_expr);
  assert_int_equal(t->u.test.expect[0].value->kind, EX_VERDICT);
  assert_int_equal(t->u.test.expect[0].value->u.verdict.kind, VERDICT_DENY);
  assert_null(t->u.test.expect[0].value->u.verdict.code);
  assert_int_equal(t->u.test.expect[1].value->kind, EX_NAME);
  assert_string_equal(t->u.test.expect[1].value->u.name, "none");
  assert_string_equal(t->u.test.expect[3].target, "error");
  assert_string_equal(sx_str(&b, t->u.test.expect[3].value),
                      "\"missing_input\"");
  t = x->f->decls[1];
  assert_int_equal(t->u.test.ngiven, 0);
  assert_string_equal(sx_str(&b, t->u.test.expect[0].value), "review");
  t = x->f->decls[2];
  assert_string_equal(sx_str(&b, t->u.test.expect[0].value), "deny:x");
  fx_free(x);

  /* Other declarations in a test file are sema's to reject; a policy
   * header is a syntax error there. */
  x = fx_parse("test \"a\" { }\nlet x = 1\n", FILE_TESTS);
  assert_int_equal(x->d.nerrors, 0);
  assert_int_equal(x->f->ndecls, 2);
  assert_int_equal(x->f->decls[1]->kind, D_LET);
  fx_free(x);
  x = fx_parse("policy \"p\" version \"1\"\n", FILE_TESTS);
  assert_true(x->d.nerrors > 0);
  fx_free(x);

  x = fx_parse(prelude, FILE_PRELUDE);
  if (x->d.nerrors)
    fx_dump(x);
  assert_int_equal(x->d.nerrors, 0);
  assert_int_equal(x->f->kind, FILE_PRELUDE);
  assert_int_equal(x->f->ndecls, 7);
  t = x->f->decls[0];
  assert_int_equal(t->kind, D_TABLE);
  assert_string_equal(t->name, "country");
  assert_int_equal(t->u.table.n, 3);
  assert_string_equal(t->u.table.codes[2], "AF");
  assert_null(t->u.table.numbers);
  t = x->f->decls[1];
  assert_string_equal(t->name, "currency");
  assert_int_equal(t->u.table.n, 3);
  assert_string_equal(t->u.table.codes[1], "JPY");
  assert_int_equal(t->u.table.numbers[0], 2);
  assert_int_equal(t->u.table.numbers[1], 0);
  assert_int_equal(t->u.table.numbers[2], 3);
  t = x->f->decls[2];
  assert_int_equal(t->kind, D_INPUT);
  assert_int_equal(t->u.input.required, 1);
  t = x->f->decls[4];
  assert_int_equal(t->kind, D_OUTPUT);
  assert_string_equal(
      sx_str(&b, t->u.output.deflt),
      "(call max 0 (- (* item.price item.quantity) item.discount))");
  assert_int_equal(x->f->decls[6]->kind, D_TABLE);
  fx_free(x);

  /* Tables are a prelude affair; currencies need their exponent. */
  x = fx_parse("currency EUR, JPY 0\n", FILE_PRELUDE);
  assert_string_equal(fx_first(x),
                      "expected the minor-unit exponent after currency "
                      "'EUR'");
  fx_free(x);
  x = fx_parse("country DE 2\n", FILE_PRELUDE);
  assert_string_equal(fx_first(x), "a country code takes no number");
  fx_free(x);
  x = fx_parse("colour DE\n", FILE_PRELUDE);
  assert_true(x->d.nerrors > 0);
  fx_free(x);
  x = fx_parse("policy \"p\" version \"1\"\ncountry DE\n", FILE_POLICY);
  assert_true(x->d.nerrors > 0);
  fx_free(x);
}

/* ----------------------------------------------------- the spec's samples */

static const char *const spec_samples[] = {
  /* §2 */
  "policy \"acme-eu\" version \"2026.11.1\"\n"
  "for customer.country in EEA + {GB, CH}      # optional: which customers "
  "this policy serves\n"
  "use \"common.rpol\"                            # optional, repeatable\n",
  "module \"common\"\n",
  /* §4 */
  "policy \"p\" version \"1\"\n"
  "enum Material { cotton, wool, leather }          # a new enum\n"
  "extend enum Tier { silver, gold }                 # new members of a "
  "standard enum\n"
  "input item.material: Material                     # a new field, no "
  "default: may be missing\n"
  "input customer.loyalty_points: int = 0            # a new field with a "
  "default\n",
  /* §5.4 */
  "policy \"p\" version \"1\"\n"
  "const FAULTY = {defective, wrong_item, damaged_in_transit, "
  "not_as_described}\n"
  "let faulty = request.reason in FAULTY\n"
  "let age: duration = request.date - order.delivered_at\n"
  "fn statutory_window(c: country) -> duration {\n"
  "  when c in EEA => 14 days\n"
  "  otherwise     => 0 days\n"
  "}\n"
  "fn gross_of(p: money, q: int) -> money = p * q\n",
  /* §5.1, §5.3 */
  "policy \"p\" version \"1\"\n"
  "let a = present(order.delivered_at) and request.date - "
  "order.delivered_at > 30 days\n"
  "region NORDICS = {DK, FI, IS, NO, SE}\n"
  "let b = \"clearance\" in item.tags\n"
  "let c = customer.country == EU\n"
  "let d = 10% of item.price * item.quantity\n"
  "let e = gift_card in NON_RETURNABLE\n",
  /* §6 */
  "policy \"p\" version \"1\"\n"
  "decide restocking_fee = 0\n"
  "decide eligible {\n"
  "  when item.final_sale => deny \"final_sale\"\n"
  "  when item.price >= 50 => review \"manual\"\n"
  "  otherwise => allow\n"
  "}\n",
  /* §8 */
  "policy \"p\" version \"1\"\n"
  "message \"final_sale\" {\n"
  "  en: \"Final-sale items can't be returned.\"\n"
  "  de: \"Reduzierte Artikel sind vom Umtausch ausgeschlossen.\"\n"
  "}\n",
  /* §9 */
  "policy \"p\" version \"1\"\n"
  "extern fn fraud_score(customer_id: string) -> int\n",
  /* §11 */
  "policy \"p\" version \"1\"\n"
  "test \"EU change of mind on day 10 is refunded in full\" {\n"
  "  given {\n"
  "    customer.country = DE\n"
  "    order.currency = EUR\n"
  "    order.delivered_at = 2026-03-01\n"
  "    item.price = 100.00\n"
  "    request.date = 2026-03-11\n"
  "    request.reason = changed_mind\n"
  "  }\n"
  "  expect {\n"
  "    eligible = allow\n"
  "    refund_method = original_payment\n"
  "    refund_amount = 100.00\n"
  "  }\n"
  "}\n",
  /* §7 and §14 snippets */
  "policy \"p\" version \"1\"\n"
  "let a = item.price >= 50\n"
  "decide restocking_fee = 2 * 3\n"
  "let b = 12.345 EUR + 12.340 EUR + 1500.0 JPY + 0.00\n"
  "let c = 10% of 50% of m\n"
  "let d = 50 USD + 12.50 EUR + 1500 JPY\n",
};

static void test_spec_samples(void **state)
{
  size_t i;
  int fails = 0;

  (void)state;
  for (i = 0; i < sizeof spec_samples / sizeof spec_samples[0]; i++) {
    struct fixture *x = fx_parse(spec_samples[i], FILE_POLICY);

    if (x->d.nerrors || x->f->syntax_errors) {
      fprintf(stderr, "spec sample %zu:\n", i);
      fx_dump(x);
      fails++;
    }
    fx_free(x);
  }
  assert_int_equal(fails, 0);
}

/* ------------------------------------------------------ errors, recovery */

struct err_row {
  const char *src;
  int kind;               /* FILE_POLICY etc. */
  int nerrors;            /* exact count, or -1 for "at least one" */
  const char *first;      /* exact first message */
};

static void test_errors(void **state)
{
  static const struct err_row rows[] = {
    {"", FILE_POLICY, 1, "empty file: expected 'policy' or 'module'"},
    {"# only a comment\n\n", FILE_POLICY, 1,
     "empty file: expected 'policy' or 'module'"},
    {"decide x = 1\n", FILE_POLICY, 1,
     "unexpected 'decide', expected 'policy' or 'module' at the start of "
     "the file"},
    {"policy \"a\"\n", FILE_POLICY, 1,
     "unexpected end of file, expected 'version'"},
    {"policy \"a\" version 3\n", FILE_POLICY, 1,
     "unexpected number '3', expected a string"},
    {"module m\n", FILE_POLICY, 1,
     "unexpected identifier 'm', expected a string"},
    /* A module's `for` parses; the checker refuses it. */
    {"module \"m\"\nfor customer.country in EU\n", FILE_POLICY, 0, NULL},
    {"policy \"a\" version \"1\"\nuse \"x\"\nfor customer.country in EU\n",
     FILE_POLICY, 1, "unexpected 'for': a 'for' clause stands directly "
     "after 'policy NAME version VERSION'"},
    {"policy \"a\" version \"1\"\nfor customer.country == DE\n",
     FILE_POLICY, 1, "expected 'customer.country in SET' after 'for'"},
    {"policy \"a\" version \"1\"\nlet x = 1 2\n", FILE_POLICY, 1,
     "unexpected number '2', expected a declaration"},
    {"policy \"a\" version \"1\"\nlet = 1\n", FILE_POLICY, 1,
     "unexpected '=', expected a name"},
    {"policy \"a\" version \"1\"\nlet let = 1\n", FILE_POLICY, 1,
     "unexpected 'let', expected a name"},
    {"policy \"a\" version \"1\"\nlet x = \n", FILE_POLICY, 1,
     "unexpected end of file, expected an expression"},
    {"policy \"a\" version \"1\"\ndecide x {\n  when a b => 1\n"
     "  otherwise => 2\n}\n",
     FILE_POLICY, 1, "expected '=>' after the condition of 'when'"},
    {"policy \"a\" version \"1\"\ndecide x {\n  otherwise 2\n}\n",
     FILE_POLICY, 1, "expected '=>' after 'otherwise'"},
    {"policy \"a\" version \"1\"\ndecide x {\n  when a => 1\n}\n",
     FILE_POLICY, 1, "expected an 'otherwise' case at the end of 'decide "
     "x'"},
    {"policy \"a\" version \"1\"\ndecide x { }\n", FILE_POLICY, 1,
     "expected an 'otherwise' case at the end of 'decide x'"},
    {"policy \"a\" version \"1\"\nfn f() -> int {\n  when a => 1\n}\n",
     FILE_POLICY, 1, "expected an 'otherwise' case at the end of 'fn f'"},
    {"policy \"a\" version \"1\"\ndecide x {\n  otherwise => 2\n"
     "  when a => 1\n}\n",
     FILE_POLICY, 1,
     "'when' case after 'otherwise': 'otherwise' must be the last case"},
    {"policy \"a\" version \"1\"\ndecide x {\n  otherwise => 2\n"
     "  otherwise => 1\n}\n",
     FILE_POLICY, 1,
     "'otherwise' case after 'otherwise': 'otherwise' must be the last "
     "case"},
    {"policy \"a\" version \"1\"\n\ndecide x {\n  when a => 1\n",
     FILE_POLICY, 1, "expected '}' to close 'decide' opened at 3:1"},
    {"policy \"a\" version \"1\"\ndecide x {\n  when a => 1\n"
     "decide y = 2\n",
     FILE_POLICY, 1, "expected '}' to close 'decide' opened at 2:1"},
    {"policy \"a\" version \"1\"\nlet x = f(1,\n  2\nlet y = 1\n",
     FILE_POLICY, 1, "expected ')' to close '(' opened at 2:10"},
    {"policy \"a\" version \"1\"\nlet x = {1, 2\n", FILE_POLICY, 1,
     "expected '}' to close '{' opened at 2:9"},
    {"policy \"a\" version \"1\"\nenum E { a, b\n", FILE_POLICY, 1,
     "expected '}' to close 'enum' opened at 2:1"},
    {"policy \"a\" version \"1\"\nextend enum E { a\n", FILE_POLICY, 1,
     "expected '}' to close 'extend' opened at 2:1"},
    {"policy \"a\" version \"1\"\nfn f() -> int {\n otherwise => 1\n",
     FILE_POLICY, 1, "expected '}' to close 'fn' opened at 2:1"},
    {"policy \"a\" version \"1\"\nmessage \"m\" {\n en: \"x\"\n",
     FILE_POLICY, 1, "expected '}' to close 'message' opened at 2:1"},
    {"policy \"a\" version \"1\"\ntest \"t\" {\n given {\n",
     FILE_POLICY, 1, "expected '}' to close 'given' opened at 3:2"},
    {"policy \"a\" version \"1\"\nenum E { }\n", FILE_POLICY, 0, NULL},
    {"policy \"a\" version \"1\"\nenum E { , }\n", FILE_POLICY, 1,
     "unexpected ',', expected a name or '}'"},
    {"policy \"a\" version \"1\"\ninput x: int\n", FILE_POLICY, 1,
     "an input is a path under customer, order, item or request, such as "
     "'item.material'"},
    {"policy \"a\" version \"1\"\ninput item: int\n", FILE_POLICY, 1,
     "an input is a path under customer, order, item or request, such as "
     "'item.material'"},
    {"policy \"a\" version \"1\"\ntest \"t\" { given { x = 1 } }\n",
     FILE_POLICY, 1, "'given' sets input fields: expected a path such as "
     "'item.price', found 'x'"},
    {"policy \"a\" version \"1\"\nlet x: set<int = 1\n", FILE_POLICY, 1,
     "unexpected '=', expected '>'"},
    {"policy \"a\" version \"1\"\nfn f(a int) -> int = a\n", FILE_POLICY,
     1, "unexpected identifier 'int', expected ':'"},
    {"policy \"a\" version \"1\"\nfn f(a: int) = a\n", FILE_POLICY, 1,
     "unexpected '=', expected '->'"},
    {"policy \"a\" version \"1\"\nlet x = 1 +\n", FILE_POLICY, 1,
     "unexpected end of file, expected an expression"},
    {"policy \"a\" version \"1\"\nlet x = \"abc\n", FILE_POLICY, 1,
     "unterminated string: a string ends with '\"' on the line it starts"},
    {"policy \"a\" version \"1\"\nlet x = a \xc3\xa9 + b\nlet y = 1\n",
     FILE_POLICY, 1, "unexpected character '\xc3\xa9'"},
    {"policy \"a\" version \"1\"\nlet x = a $ $ $\n", FILE_POLICY, 3,
     "unexpected character '$'"},
    {"\"", FILE_POLICY, -1,
     "unterminated string: a string ends with '\"' on the line it starts"},
  };
  size_t i;
  int fails = 0;

  (void)state;
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    struct fixture *x = fx_parse(rows[i].src, rows[i].kind);
    int ok = rows[i].nerrors < 0 ? x->d.nerrors > 0
                                 : x->d.nerrors == rows[i].nerrors;

    if (ok && rows[i].first)
      ok = strcmp(fx_first(x), rows[i].first) == 0;
    if (ok && x->d.nerrors && !x->f->syntax_errors)
      ok = 0;
    if (!ok) {
      fprintf(stderr, "row %zu: %s\n=> %d errors (want %d):\n", i,
              rows[i].src, x->d.nerrors, rows[i].nerrors);
      fx_dump(x);
      fails++;
    }
    fx_free(x);
  }
  assert_int_equal(fails, 0);
}

static void test_recovery(void **state)
{
  static const char src[] =
      "policy \"a\" version \"1\"\n"
      "let a = 1 + + 2\n"                        /* 1 */
      "let ok1 = 1\n"
      "decide x {\n"
      "  when a b => 1\n"                        /* 2 */
      "  when c = 2 => 3\n"                      /* 3 */
      "  when d => 4\n"
      "  otherwise 5\n"                          /* 4 */
      "}\n"
      "let = 3\n"                                /* 5 */
      "test \"t\" {\n"
      "  given {\n"
      "    item.price = = 1\n"                   /* 6 */
      "    item.quantity = 2\n"
      "  }\n"
      "  expect { eligible = allow }\n"
      "}\n"
      "message \"m\" { en \"x\" de: \"y\" }\n"   /* 7 */
      "let ok2 = (1 + ) * 2\n"                   /* 8 */
      "let ok3 = 3\n";
  struct fixture *x = fx_parse(src, FILE_POLICY);
  int i, nok = 0;

  (void)state;
  if (x->d.nerrors != 8)
    fx_dump(x);
  assert_int_equal(x->d.nerrors, 8);
  assert_int_equal(x->f->syntax_errors, 8);
  for (i = 0; i < x->f->ndecls; i++) {
    const char *n = x->f->decls[i]->name;

    nok += n && strncmp(n, "ok", 2) == 0;
  }
  /* Declarations around the errors survive. */
  assert_int_equal(nok, 3);
  for (i = 0; i < x->f->ndecls; i++)
    if (x->f->decls[i]->kind == D_TEST) {
      assert_int_equal(x->f->decls[i]->u.test.ngiven, 1);
      assert_int_equal(x->f->decls[i]->u.test.nexpect, 1);
    }
  fx_free(x);
}

/* After DIAG_MAX_ERRORS errors the parse stops. */
static void test_error_cap(void **state)
{
  char *src = malloc(100000);
  size_t n;
  int i;
  struct fixture *x;

  (void)state;
  assert_non_null(src);
  n = (size_t)sprintf(src, "policy \"a\" version \"1\"\n");
  for (i = 0; i < 1000; i++)
    n += (size_t)sprintf(src + n, "let = %d\n", i);
  x = fx_parse(src, FILE_POLICY);
  assert_int_equal(x->d.len, DIAG_MAX_ERRORS);
  assert_true(x->d.nerrors <= DIAG_MAX_ERRORS + 1);
  assert_true(x->f->syntax_errors >= DIAG_MAX_ERRORS);
  fx_free(x);

  /* Scanner errors count too: 100000 stray characters. */
  memset(src, '@', 99999);
  src[99999] = '\0';
  x = fx_parse(src, FILE_POLICY);
  assert_true(x->d.nerrors <= DIAG_MAX_ERRORS + 2);
  assert_true(x->d.dropped <= 2);
  fx_free(x);
  free(src);
}

/* -------------------------------------------------------------- hostile */

static char *repeat(const char *pre, const char *unit, size_t times,
                    const char *mid, const char *unit2, size_t times2,
                    const char *post, size_t *len)
{
  size_t lp = strlen(pre), lu = strlen(unit), lm = strlen(mid);
  size_t lu2 = strlen(unit2), lq = strlen(post);
  size_t n = lp + lu * times + lm + lu2 * times2 + lq, k = 0, i;
  char *s = malloc(n + 1);

  assert_non_null(s);
  memcpy(s, pre, lp);
  k = lp;
  for (i = 0; i < times; i++, k += lu)
    memcpy(s + k, unit, lu);
  memcpy(s + k, mid, lm);
  k += lm;
  for (i = 0; i < times2; i++, k += lu2)
    memcpy(s + k, unit2, lu2);
  memcpy(s + k, post, lq);
  k += lq;
  s[k] = '\0';
  *len = k;
  return s;
}

struct hostile {
  const char *name;
  const char *pre, *unit;
  size_t times;
  const char *mid, *unit2;
  size_t times2;
  const char *post;
  int want_errors;        /* 0: must parse clean; 1: must have errors */
  const char *msg;        /* substring of some error, or NULL */
};

#define HDR "policy \"a\" version \"1\"\n"

static const struct hostile hostile_rows[] = {
  {"20000 parens", HDR "let x = ", "(", 20000, "1", ")", 20000, "\n", 1,
   "expression nested too deeply (limit 256)"},
  {"256 parens", HDR "let x = ", "(", 256, "1", ")", 256, "\n", 0, NULL},
  {"257 parens", HDR "let x = ", "(", 257, "1", ")", 257, "\n", 1,
   "expression nested too deeply (limit 256)"},
  {"20000 braces", HDR "let x = ", "{", 20000, "", "}", 20000, "\n", 1,
   "expression nested too deeply (limit 256)"},
  {"unclosed parens", HDR "let x = ", "(", 100000, "", "", 0, "", 1,
   "expression nested too deeply"},
  {"top-level braces", "", "{", 100000, "", "", 0, "", 1, NULL},
  {"decide braces", HDR, "decide x {", 5000, "", "", 0, "", 1, NULL},
  {"256 minus", HDR "let x = ", "-", 256, "1", "", 0, "\n", 0, NULL},
  {"30000 minus", HDR "let x = ", "-", 30000, "1", "", 0, "\n", 1,
   "nested too deeply"},
  {"30000 not", HDR "let x = ", "not ", 30000, "a", "", 0, "\n", 1,
   "nested too deeply"},
  {"if chain", HDR "let x = ", "if a then 1 else ", 20000, "2", "", 0,
   "\n", 1, "nested too deeply"},
  {"long sum", HDR "let x = 1", "+1", 2000000, "", "", 0, "\n", 1,
   "too deeply nested"},
  {"long or", HDR "let x = a", " or a", 2000, "", "", 0, "\n", 1,
   "too deeply nested"},
  {"long set", HDR "let x = {", "1,", 100000, "", "", 0, "}\n", 0, NULL},
  {"huge set", HDR "let x = {", "1,", 3000000, "", "", 0, "}\n", 1,
   "more than"},
  {"10 MB identifier", HDR "let x = ", "abcdefghij", 1000000, "", "", 0,
   "\n", 0, NULL},
  {"10 MB string", HDR "let x = \"", "abcdefghij", 1000000, "\"", "", 0,
   "\n", 0, NULL},
  {"10 MB unterminated", HDR "let x = \"", "abcdefghij", 1000000, "", "", 0,
   "\n", 1, "unterminated string"},
  {"10 MB comment", HDR "# ", "abcdefghij", 1000000, "", "", 0, "\n", 0,
   NULL},
  {"10 MB blanks", HDR "let x = 1", "          ", 1000000, "", "", 0, "\n",
   0, NULL},
  {"10 MB digits", HDR "let x = ", "1234567890", 1000000, "", "", 0, "\n",
   1, "does not fit in 64 bits"},
  {"10 MB of @", HDR, "@@@@@@@@@@", 1000000, "", "", 0, "\n", 1,
   "unexpected character '@'"},
  {"10 MB of quotes", HDR, "\"", 10000000, "", "", 0, "", 1, NULL},
  {"many errors", HDR, "let = 1\n", 100000, "", "", 0, "", 1, NULL},
  {"1000 cases", HDR "decide x {\n", "when a => 1\n", 999, "", "", 0,
   "otherwise => 2\n}\n", 0, NULL},
  {"20000 cases", HDR "decide x {\n", "when a => 1\n", 20000, "", "", 0,
   "otherwise => 2\n}\n", 1, "the limit is 1000"},
  {"lone quote", "\"", "", 0, "", "", 0, "", 1, "unterminated string"},
  {"lone backslash", "\\", "", 0, "", "", 0, "", 1,
   "unexpected character '\\'"},
};

static void test_hostile(void **state)
{
  size_t i;
  int fails = 0;

  (void)state;
  for (i = 0; i < sizeof hostile_rows / sizeof hostile_rows[0]; i++) {
    const struct hostile *h = &hostile_rows[i];
    size_t len;
    char *s = repeat(h->pre, h->unit, h->times, h->mid, h->unit2, h->times2,
                     h->post, &len);
    struct fixture *x = fx_parse_len(s, len, FILE_POLICY);
    int ok = h->want_errors ? x->d.nerrors > 0 && x->f->syntax_errors > 0
                            : x->d.nerrors == 0;
    int j;

    if (ok && h->msg) {
      ok = 0;
      for (j = 0; j < x->d.len; j++)
        ok |= strstr(x->d.items[j].msg, h->msg) != NULL;
    }
    if (!ok) {
      fprintf(stderr, "hostile '%s': %d errors\n", h->name, x->d.nerrors);
      for (j = 0; j < x->d.len && j < 3; j++)
        fprintf(stderr, "  %s\n", x->d.items[j].msg);
      fails++;
    }
    fx_free(x);
    free(s);
  }
  assert_int_equal(fails, 0);
}

/* Bytes that are not text: NUL, invalid UTF-8, random garbage. */
static void test_binary(void **state)
{
  static const char nul[] = HDR "let x = 1\0\0 + 2\n";
  static const char bad[] = HDR "let x = \"a\xff\"\n# \xc3\x28\n";
  struct fixture *x;
  char *g;
  size_t i;
  uint32_t r = 12345;

  (void)state;
  x = fx_parse_len(nul, sizeof nul - 1, FILE_POLICY);
  assert_int_equal(x->d.nerrors, 2);
  assert_string_equal(x->d.items[0].msg, "NUL byte in source");
  assert_int_equal(x->d.items[0].span.start, sizeof HDR - 1 + 9);
  assert_true(x->f->syntax_errors > 0);
  /* The declaration itself still parses. */
  assert_int_equal(x->f->ndecls, 1);
  fx_free(x);

  x = fx_parse_len(bad, sizeof bad - 1, FILE_POLICY);
  assert_int_equal(x->d.nerrors, 2);
  assert_string_equal(x->d.items[0].msg, "invalid UTF-8 byte 0xff");
  assert_string_equal(x->d.items[1].msg, "invalid UTF-8 byte 0xc3");
  assert_true(x->f->syntax_errors > 0);
  fx_free(x);

  g = malloc(1 << 20);
  assert_non_null(g);
  for (i = 0; i < (1u << 20); i++) {
    r = r * 1103515245u + 12345u;
    g[i] = (char)(r >> 16);
  }
  x = fx_parse_len(g, 1 << 20, FILE_POLICY);
  assert_true(x->d.nerrors > 0);
  fx_free(x);
  /* Garbage after a valid header. */
  memcpy(g, HDR, sizeof HDR - 1);
  x = fx_parse_len(g, 1 << 20, FILE_POLICY);
  assert_true(x->d.nerrors > 0);
  assert_true(x->f->syntax_errors > 0);
  fx_free(x);
  /* Garbage that is valid UTF-8 and printable. */
  for (i = 0; i < (1u << 20); i++) {
    r = r * 1103515245u + 12345u;
    g[i] = (char)(32 + (r >> 16) % 95);
  }
  x = fx_parse_len(g, 1 << 20, FILE_POLICY);
  assert_true(x->d.nerrors > 0);
  fx_free(x);
  free(g);
}

/* Token soup: every token and fragment in random order must end in a
 * result, errors or not, and keep the tree within its height bound. */
static int max_depth_seen;

static void walk(const struct expr *e, int d)
{
  int i;

  if (!e)
    return;
  if (d > max_depth_seen)
    max_depth_seen = d;
  switch (e->kind) {
  case EX_UNARY:
    walk(e->u.unary.operand, d + 1);
    break;
  case EX_BINARY:
  case EX_OF:
  case EX_COALESCE:
    walk(e->u.bin.lhs, d + 1);
    walk(e->u.bin.rhs, d + 1);
    break;
  case EX_IN:
    walk(e->u.in.elem, d + 1);
    walk(e->u.in.set, d + 1);
    break;
  case EX_IF:
    walk(e->u.cond.cond, d + 1);
    walk(e->u.cond.then, d + 1);
    walk(e->u.cond.els, d + 1);
    break;
  case EX_CALL:
    for (i = 0; i < e->u.call.nargs; i++)
      walk(e->u.call.args[i], d + 1);
    break;
  case EX_SET:
    for (i = 0; i < e->u.set.n; i++)
      walk(e->u.set.elems[i], d + 1);
    break;
  default:
    break;
  }
}

static void test_token_soup(void **state)
{
  static const char *const frags[] = {
    "policy", "\"p\"", "version", "module", "for", "use", "region", "const",
    "let", "fn", "extern", "enum", "extend", "input", "output", "decide",
    "when", "otherwise", "allow", "deny", "review", "message", "test",
    "given", "expect", "and", "or", "not", "in", "of", "if", "then", "else",
    "true", "false", "set", "days", "weeks", "x", "customer", "item.price",
    "Tier.vip", "1", "2.5", "3 EUR", "15%", "2026-02-28", "{", "}", "(",
    ")", ",", ":", "=", "=>", "->", ".", "+", "-", "*", "/", "<", "<=",
    ">", ">=", "==", "!=", "??", "required", "\n", "#c\n", "\"s\"",
  };
  size_t nf = sizeof frags / sizeof frags[0];
  uint32_t r = 1;
  int round;

  (void)state;
  for (round = 0; round < 300; round++) {
    char src[8192];
    size_t n = 0;
    struct fixture *x;
    int i, ntok = 5 + round % 200;

    if (round % 2)
      n = (size_t)sprintf(src, HDR);
    for (i = 0; i < ntok && n < sizeof src - 64; i++) {
      r = r * 1103515245u + 12345u;
      n += (size_t)sprintf(src + n, "%s ", frags[(r >> 16) % nf]);
    }
    x = fx_parse_len(src, n, round % 7 == 0 ? FILE_PRELUDE
                             : round % 5 == 0 ? FILE_TESTS
                                              : FILE_POLICY);
    for (i = 0; i < x->f->ndecls; i++) {
      struct decl *d = x->f->decls[i];

      if (d->kind == D_LET || d->kind == D_CONST || d->kind == D_REGION)
        walk(d->u.value.init, 1);
    }
    fx_free(x);
  }
  assert_true(max_depth_seen <= 4 * PARSE_MAX_DEPTH + 1);
}

static void test_reserved(void **state)
{
  static const char *const spec[] = {
    "policy", "version", "for", "use", "module", "region", "const", "let",
    "fn", "extern", "enum", "extend", "input", "output", "decide", "when",
    "otherwise", "allow", "deny", "review", "message", "test", "given",
    "expect", "and", "or", "not", "in", "of", "if", "then", "else", "true",
    "false", "set", "day", "days", "week", "weeks"};
  size_t i, n = 0;
  int fails = 0;

  (void)state;
  while (parse_reserved_words[n])
    n++;
  assert_int_equal(n, sizeof spec / sizeof spec[0]);
  for (i = 0; i < n; i++) {
    char src[128];
    struct fixture *x;

    assert_string_equal(parse_reserved_words[i], spec[i]);
    /* A reserved word cannot be declared as a name... */
    snprintf(src, sizeof src, HDR "const %s = 1\n", spec[i]);
    x = fx_parse(src, FILE_POLICY);
    fails += x->d.nerrors == 0;
    fx_free(x);
  }
  /* ...and these are not reserved. */
  {
    static const char *const free_words[] = {
      "customer", "order", "item", "request", "none", "required", "error",
      "country", "currency", "int", "money", "eligible", "Policy"};

    for (i = 0; i < sizeof free_words / sizeof free_words[0]; i++) {
      char src[128];
      struct fixture *x;

      snprintf(src, sizeof src, HDR "const %s = 1\n", free_words[i]);
      x = fx_parse(src, FILE_POLICY);
      fails += x->d.nerrors != 0;
      fx_free(x);
    }
  }
  assert_int_equal(fails, 0);
}

/* A byte-order mark is skipped; spans then count from after it. */
static void test_bom(void **state)
{
  static const char src[] = "\xEF\xBB\xBFmodule \"m\"\nlet x = 1\n";
  struct fixture *x = fx_parse(src, FILE_POLICY);

  (void)state;
  assert_int_equal(x->d.nerrors, 0);
  assert_int_equal(x->f->kind, FILE_MODULE);
  assert_int_equal(x->f->decls[0]->span.start, 11);
  fx_free(x);
}

/* Comments are recorded for the formatter, in source order. */
static void test_comments(void **state)
{
  static const char src[] = "# head\r\nmodule \"m\" # after\n"
                            "let x = \"# not a comment\"\n#\n";
  struct fixture *x = fx_parse(src, FILE_POLICY);
  struct comment **c = (struct comment **)x->f->comments.items;

  (void)state;
  assert_int_equal(x->d.nerrors, 0);
  assert_int_equal(x->f->comments.len, 3);
  assert_string_equal(c[0]->text, "# head");
  assert_int_equal(c[0]->span.start, 0);
  assert_int_equal(c[0]->span.end, 6);
  assert_string_equal(c[1]->text, "# after");
  assert_int_equal(c[1]->span.start, 19);
  assert_string_equal(c[2]->text, "#");
  fx_free(x);
}

/* Two files in one session: ids and error counts stay apart. */
static void test_two_files(void **state)
{
  struct arena a;
  struct source_set ss;
  struct diag_list d;
  struct file *f1, *f2;

  (void)state;
  arena_init(&a);
  source_set_init(&ss, &a);
  diag_init(&d, &a, &ss);
  f1 = parse_file(&a, &d, source_add(&ss, "a.rpol", "module \"a\"\nlet = 1",
                                     18, 0, &d), FILE_POLICY);
  f2 = parse_file(&a, &d, source_add(&ss, "b.rpol", "module \"b\"\nlet x = 1",
                                     20, 0, &d), FILE_POLICY);
  assert_int_equal(f1->syntax_errors, 1);
  assert_int_equal(f2->syntax_errors, 0);
  assert_int_equal(f2->decls[0]->span.file, 1);
  assert_int_equal(f2->src->id, 1);
  assert_string_equal(source_loc(&ss, f2->decls[0]->name_span), "b.rpol:2:5");
  arena_free(&a);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_literals),
    cmocka_unit_test(test_precedence),
    cmocka_unit_test(test_declarations),
    cmocka_unit_test(test_spans),
    cmocka_unit_test(test_tests_and_prelude),
    cmocka_unit_test(test_spec_samples),
    cmocka_unit_test(test_errors),
    cmocka_unit_test(test_recovery),
    cmocka_unit_test(test_error_cap),
    cmocka_unit_test(test_hostile),
    cmocka_unit_test(test_binary),
    cmocka_unit_test(test_token_soup),
    cmocka_unit_test(test_reserved),
    cmocka_unit_test(test_bom),
    cmocka_unit_test(test_comments),
    cmocka_unit_test(test_two_files),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
