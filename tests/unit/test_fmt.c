/* test_fmt.c: the formatter (compiler/fmt.c).
 *
 * On every .rpol file of the repository, and on every table row:
 * formatting keeps the syntax tree (compared through fmt_file_tree, which
 * parenthesises every compound expression), keeps every comment, is
 * idempotent, and does not depend on the layout (the file with its
 * comments blanked out and its fully parenthesised one-line print format
 * alike).  Tables give the exact output for precedence (minimal
 * parentheses) and for several layouts of one program.  Run from the
 * repository root (tests/run.sh does).
 */
#include <glob.h>
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
#include "fmt.h"
#include "parse.h"
#include "source.h"

struct fx {
  struct arena a;
  struct source_set ss;
  struct diag_list d;
};

static struct fx *fx_new(void)
{
  struct fx *x = calloc(1, sizeof *x);

  assert_non_null(x);
  arena_init(&x->a);
  source_set_init(&x->ss, &x->a);
  diag_init(&x->d, &x->a, &x->ss);
  return x;
}

static void fx_free(struct fx *x)
{
  arena_free(&x->a);
  free(x);
}

static struct file *parse(struct fx *x, const char *name, const char *text,
                          size_t len, enum file_kind hint)
{
  struct source *src = source_add(&x->ss, name, text, len, 0, &x->d);

  return parse_file(&x->a, &x->d, src, hint);
}

/* Every comment's text, trimmed, joined by one space (trailing comments
 * that met on one line are joined the same way). */
static char *comments_of(struct fx *x, const struct file *f)
{
  char *out = arena_strdup(&x->a, "");

  for (int i = 0; i < f->comments.len; i++) {
    const struct comment *c = f->comments.items[i];
    size_t n = strlen(c->text);

    while (n > 0 && (c->text[n - 1] == ' ' || c->text[n - 1] == '\t' ||
                     c->text[n - 1] == '\r'))
      n--;
    out = arena_printf(&x->a, "%s%s%.*s", out, *out ? " " : "", (int)n,
                       c->text);
  }
  return out;
}

/* The text without its empty lines (blank lines are the one piece of the
 * author's layout that formatting keeps). */
static char *squeeze(const char *s)
{
  char *out = malloc(strlen(s) + 1), *o = out;

  assert_non_null(out);
  for (const char *p = s; *p; p++)
    if (!(*p == '\n' && (p == s || p[-1] == '\n')))
      *o++ = *p;
  *o = '\0';
  return out;
}

/* Layout independence: the file without comments (blanked out in place)
 * and the same program printed fully parenthesised on long lines format
 * alike, blank lines aside. */
static void check_layout(struct fx *x, const char *name, const char *text,
                         size_t len, const struct file *f,
                         enum file_kind hint)
{
  char *plain = arena_strndup(&x->a, text, len), *tree, *a, *b, *sa, *sb;
  size_t tn, an, bn;
  struct file *g, *h;

  for (int i = 0; i < f->comments.len; i++) {
    const struct comment *c = f->comments.items[i];

    /* Offsets are into the source text, which skips a leading BOM. */
    size_t skip = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;

    memset(plain + skip + c->span.start, ' ', c->span.end - c->span.start);
  }
  tree = fmt_file_tree(&x->a, f, &tn);
  g = parse(x, name, plain, len, hint);
  h = parse(x, name, tree, tn, hint);
  assert_int_equal(g->syntax_errors, 0);
  assert_int_equal(h->syntax_errors, 0);
  a = fmt_file(&x->a, g, &an);
  b = fmt_file(&x->a, h, &bn);
  sa = squeeze(a);
  sb = squeeze(b);
  if (strcmp(sa, sb) != 0) {
    print_error("%s: two layouts format differently:\n--- plain\n%s\n"
                "--- from the tree\n%s\n", name, a, b);
    fail();
  }
  free(sa);
  free(sb);
}

/* Formats text and checks the three properties; returns the output
 * (malloc'd), or NULL when text does not parse. */
static char *check_one(const char *name, const char *text, size_t len,
                       enum file_kind hint)
{
  struct fx *x = fx_new();
  struct file *f = parse(x, name, text, len, hint), *g;
  char *out, *again, *t1, *t2, *res;
  size_t n, n2, tn1, tn2;

  if (f->syntax_errors) {
    fx_free(x);
    return NULL;
  }
  out = fmt_file(&x->a, f, &n);
  g = parse(x, name, out, n, hint);
  if (g->syntax_errors) {
    print_error("%s: the formatted text does not parse:\n%s\n", name, out);
    fail();
  }
  t1 = fmt_file_tree(&x->a, f, &tn1);
  t2 = fmt_file_tree(&x->a, g, &tn2);
  if (tn1 != tn2 || memcmp(t1, t2, tn1) != 0) {
    print_error("%s: formatting changed the tree:\n--- before\n%s\n"
                "--- after\n%s\n", name, t1, t2);
    fail();
  }
  assert_string_equal(comments_of(x, f), comments_of(x, g));
  again = fmt_file(&x->a, g, &n2);
  if (n != n2 || memcmp(out, again, n) != 0) {
    print_error("%s: not idempotent:\n--- once\n%s\n--- twice\n%s\n", name,
                out, again);
    fail();
  }
  check_layout(x, name, text, len, f, hint);
  res = strdup(out);
  fx_free(x);
  return res;
}

/* ------------------------------------------------------ expressions */

static const struct {
  const char *src, *want;
} exprs[] = {
  {"((1 + 2)) * 3", "(1 + 2) * 3"},
  {"1 + (2 * 3)", "1 + 2 * 3"},
  {"1 - (2 - 3)", "1 - (2 - 3)"},
  {"(1 - 2) - 3", "1 - 2 - 3"},
  {"(true == false) == true", "(true == false) == true"},
  {"not (true and false)", "not (true and false)"},
  {"(not true) and false", "not true and false"},
  {"not (1 == 2)", "not 1 == 2"},
  {"-(1 + 2)", "-(1 + 2)"},
  {"- - 5", "--5"},
  {"-9223372036854775808", "-9223372036854775808"},
  {"(if true then 1 else 2) + 3", "(if true then 1 else 2) + 3"},
  {"3 + (if true then 1 else 2)", "3 + if true then 1 else 2"},
  {"(not if true then true else false) or true",
   "(not if true then true else false) or true"},
  {"(3 + if true then 1 else 2) * 2", "(3 + if true then 1 else 2) * 2"},
  {"10% of (10% of item.price)", "10% of 10% of item.price"},
  {"(10% of item.price) + 1", "10% of item.price + 1"},
  {"(2 * 10%) of item.price", "2 * 10% of item.price"},
  {"10% of (item.price * 2)", "10% of item.price * 2"},
  {"(10% of item.price) * 2", "(10% of item.price) * 2"},
  {"order.delivered_at ?? (request.date ?? request.date)",
   "order.delivered_at ?? request.date ?? request.date"},
  {"(order.delivered_at ?? request.date) ?? request.date",
   "(order.delivered_at ?? request.date) ?? request.date"},
  {"(a or b) ?? c", "a or b ?? c"},
  {"a or (b ?? c)", "a or (b ?? c)"},
  {"(a or b) and c", "(a or b) and c"},
  {"a or (b and c)", "a or b and c"},
  {"(customer.country in EEA) == true", "(customer.country in EEA) == true"},
  {"x not in (EEA - {DE})", "x not in EEA - {DE}"},
  {"(x in S) in T", "(x in S) in T"},
  {"f((a), (b + c))", "f(a, b + c)"},
  {"{ 1 , 2 , }", "{1, 2}"},
  {"{}", "{}"},
  {"\"tab\\there \\u{41}\\u{1} \\\\ \\\"\"",
   "\"tab\\there A\\u{1} \\\\ \\\"\""},
  {"1_000 +  12.50 EUR + 12.5% + 3   days + 1 week + 2 weeks",
   "1_000 + 12.50 EUR + 12.5% + 3 days + 1 week + 2 weeks"},
  {"2026-02-28 - 2026 - 02", "2026-02-28 - 2026 - 02"},
  {"Reason . other", "Reason.other"},
  {"item . dims . weight", "item.dims.weight"},
};

static void test_exprs(void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
    size_t n = strlen(exprs[i].src) + strlen(exprs[i].want) + 64;
    char *src = malloc(n), *want = malloc(n), *got;

    assert_non_null(src);
    assert_non_null(want);
    snprintf(src, n, "module \"m\"\nlet x = %s\n", exprs[i].src);
    snprintf(want, n, "module \"m\"\n\nlet x = %s\n", exprs[i].want);
    got = check_one("expr.rpol", src, strlen(src), FILE_POLICY);
    if (!got || strcmp(got, want) != 0) {
      print_error("%s\n  => %s  want %s", exprs[i].src,
                  got ? got : "(no parse)\n", want);
      fail();
    }
    free(got);
    free(src);
    free(want);
  }
}

/* ------------------------------------------------ layout independence */

static const char *const layouts[][3] = {
  {"policy \"p\" version \"1\"\nfor customer.country in {DE}\n\n"
   "decide eligible {\n  when item.final_sale => deny \"x\"\n"
   "  otherwise            => allow\n}\n",
   "policy \"p\"\nversion \"1\" for customer.country\nin{DE}\n"
   "decide eligible{when item.final_sale=>deny \"x\" otherwise=>allow}",
   "  policy \"p\" version \"1\" for customer.country in {  DE  }\n"
   "decide   eligible {\n\t\twhen\n item.final_sale\n =>\n deny\n \"x\"\n"
   "otherwise\n=>\nallow\n\n\n}\n"},
  {"module \"m\"\n\nlet x =\n  present(order.delivered_at)\n"
   "  and request.date - order.delivered_at <= 30 days\n"
   "  and not item.final_sale\n",
   "module \"m\" let x = present(order.delivered_at) and request.date - "
   "order.delivered_at <= 30 days and not item.final_sale",
   "module \"m\"\nlet x = (present(order.delivered_at)\n and ((request.date"
   " - order.delivered_at) <= 30 days))\n and (not item.final_sale)\n"},
  {"test \"t\" {\n  given {\n    item.price = 1.00\n  }\n"
   "  expect {\n    eligible = deny\n  }\n}\n",
   "test \"t\" { given { item.price = 1.00 } expect { eligible = deny } }",
   "test \"t\"{given{item.price=1.00}expect{eligible=deny}}\n\n"},
};

static void test_layouts(void **state)
{
  (void)state;
  for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
    enum file_kind hint = strncmp(layouts[i][0], "test", 4) == 0
                              ? FILE_TESTS : FILE_POLICY;

    for (int j = 0; j < 3; j++) {
      char *got = check_one("layout.rpol", layouts[i][j],
                            strlen(layouts[i][j]), hint);

      if (!got || strcmp(got, layouts[i][0]) != 0) {
        print_error("layout %zu.%d:\n%s\n--- gives\n%s\n--- want\n%s\n", i,
                    j, layouts[i][j], got ? got : "(no parse)",
                    layouts[i][0]);
        fail();
      }
      free(got);
    }
  }
}

/* ---------------------------------------------------------- hostile */

static void test_deep(void **state)
{
  size_t depth = 250, i, n = 0;
  char *src = malloc(depth * 8 + 64), *got;

  (void)state;
  assert_non_null(src);
  n += (size_t)sprintf(src, "module \"m\"\nlet x = ");
  for (i = 0; i < depth; i++)
    src[n++] = '(';
  src[n++] = '1';
  for (i = 0; i < depth; i++)
    n += (size_t)sprintf(src + n, " + 1)");
  n += (size_t)sprintf(src + n, " ?? if true then not -1 else 2\n");
  got = check_one("deep.rpol", src, n, FILE_POLICY);
  assert_non_null(got);
  free(got);
  free(src);
}

/* ------------------------------------------------ the repository */

static enum file_kind kind_of(const char *path)
{
  size_t n = strlen(path);

  if (n > 10 && strcmp(path + n - 10, ".test.rpol") == 0)
    return FILE_TESTS;
  if (strncmp(path, "stdlib/", 7) == 0)
    return FILE_PRELUDE;
  return FILE_POLICY;
}

static void test_repository(void **state)
{
  static const char *const pats[] = {
    "policies/*/*.rpol", "tests/check/*.rpol", "tests/check/*/*.rpol",
    "tests/stdlib/*.rpol", "stdlib/*.rpol", "tests/fmt/*.rpol",
    "tests/diag/*.rpol"
  };
  int files = 0, formatted = 0;

  (void)state;
  for (size_t p = 0; p < sizeof pats / sizeof pats[0]; p++) {
    glob_t g;

    if (glob(pats[p], 0, NULL, &g) != 0)
      continue;
    for (size_t i = 0; i < g.gl_pathc; i++) {
      FILE *fp = fopen(g.gl_pathv[i], "rb");
      char *buf = malloc(1 << 22), *got;
      size_t n;

      assert_non_null(fp);
      assert_non_null(buf);
      n = fread(buf, 1, (1 << 22) - 1, fp);
      fclose(fp);
      buf[n] = '\0';
      files++;
      got = check_one(g.gl_pathv[i], buf, n, kind_of(g.gl_pathv[i]));
      formatted += got != NULL;
      free(got);
      free(buf);
    }
    globfree(&g);
  }
  /* Run from elsewhere, the test would prove nothing. */
  assert_true(files > 20);
  assert_true(formatted > 20);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_exprs),
    cmocka_unit_test(test_layouts),
    cmocka_unit_test(test_deep),
    cmocka_unit_test(test_repository),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
