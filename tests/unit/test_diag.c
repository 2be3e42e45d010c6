/* test_diag.c: diagnostics rendering, suggestions, and source handling.
 *
 * Rendering is compared byte for byte with what clang would print: the
 * location line, the source line after "%5d | ", and the caret line with
 * '^' under the first column and '~' under the rest of the span.  Columns
 * count code points; a tab is one column and stays a tab under itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "arena.h"
#include "diag.h"
#include "source.h"

struct env {
  struct arena a;
  struct source_set ss;
  struct diag_list d;
};

static void env_init(struct env *e)
{
  arena_init(&e->a);
  source_set_init(&e->ss, &e->a);
  diag_init(&e->d, &e->a, &e->ss);
}

/* diag_print's output as a string (malloc'd).  A temporary file rather
 * than open_memstream, which gcc's -Wdangling-pointer misreads. */
static char *render(const struct diag_list *d)
{
  FILE *f = tmpfile();
  long len;
  char *buf;

  assert_non_null(f);
  diag_print(d, f);
  len = ftell(f);
  assert_true(len >= 0);
  buf = malloc((size_t)len + 1);
  assert_non_null(buf);
  rewind(f);
  assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
  buf[len] = '\0';
  fclose(f);
  return buf;
}

static struct span sp(const struct source *s, uint32_t a, uint32_t b)
{
  struct span r = {s->id, a, b};

  return r;
}

static void check_render(struct env *e, const char *want)
{
  char *got = render(&e->d);

  if (strcmp(got, want) != 0)
    fprintf(stderr, "got:\n%s\nwant:\n%s\n", got, want);
  assert_string_equal(got, want);
  free(got);
}

static void test_caret_ascii(void **state)
{
  struct env e;
  struct source *s;

  (void)state;
  env_init(&e);
  s = source_add(&e.ss, "p.rpol", "let x = 1\n  when request.usr == 1\n",
                 34, 0, &e.d);
  diag_error(&e.d, sp(s, 17, 28), "unknown field '%s' in '%s'", "usr",
             "request");
  diag_warning(&e.d, sp(s, 4, 5), "unused");
  diag_note(&e.d, sp(s, 0, 0), "declared here");
  check_render(&e,
               "p.rpol:2:8: error: unknown field 'usr' in 'request'\n"
               "    2 |   when request.usr == 1\n"
               "      |        ^~~~~~~~~~~\n"
               "p.rpol:1:5: warning: unused\n"
               "    1 | let x = 1\n"
               "      |     ^\n"
               "p.rpol:1:1: note: declared here\n"
               "    1 | let x = 1\n"
               "      | ^\n");
  assert_int_equal(e.d.nerrors, 1);
  assert_int_equal(e.d.nwarnings, 1);
  arena_free(&e.a);
}

/* Multibyte characters are one column each; the underline covers the
 * span's code points, not its bytes. */
static void test_caret_utf8(void **state)
{
  static const char text[] = "let caf\xc3\xa9 = \"\xe2\x82\xac\xf0\x9f\x98\x80\" + x\n";
  struct env e;
  struct source *s;
  int line, col;
  const char *plus = strchr(text, '+');

  (void)state;
  env_init(&e);
  s = source_add(&e.ss, "u.rpol", text, sizeof text - 1, 0, &e.d);
  assert_int_equal(e.d.nerrors, 0);
  /* "café" is columns 5..8; the string "€😀" is columns 12..15. */
  diag_error(&e.d, sp(s, 4, 9), "name");
  diag_error(&e.d, sp(s, 12, 21), "string");
  diag_error(&e.d, sp(s, (uint32_t)(plus - text), (uint32_t)(plus - text) + 1),
             "plus");
  source_linecol(s, (uint32_t)(plus - text), &line, &col);
  assert_int_equal(line, 1);
  assert_int_equal(col, 17);
  check_render(&e,
               "u.rpol:1:5: error: name\n"
               "    1 | let caf\xc3\xa9 = \"\xe2\x82\xac\xf0\x9f\x98\x80\" + x\n"
               "      |     ^~~~\n"
               "u.rpol:1:12: error: string\n"
               "    1 | let caf\xc3\xa9 = \"\xe2\x82\xac\xf0\x9f\x98\x80\" + x\n"
               "      |            ^~~~\n"
               "u.rpol:1:17: error: plus\n"
               "    1 | let caf\xc3\xa9 = \"\xe2\x82\xac\xf0\x9f\x98\x80\" + x\n"
               "      |                 ^\n");
  arena_free(&e.a);
}

/* A tab is one column, printed as is; the caret line repeats it. */
static void test_caret_tabs(void **state)
{
  static const char text[] = "\tlet\tx = \xc3\xa9\t+ y\r\n";
  struct env e;
  struct source *s;
  const char *y = strchr(text, 'y');

  (void)state;
  env_init(&e);
  s = source_add(&e.ss, "t.rpol", text, sizeof text - 1, 0, &e.d);
  diag_error(&e.d, sp(s, (uint32_t)(y - text), (uint32_t)(y - text) + 1),
             "y");
  /* The trailing CR is not printed. */
  check_render(&e, "t.rpol:1:14: error: y\n"
                   "    1 | \tlet\tx = \xc3\xa9\t+ y\n"
                   "      | \t   \t     \t  ^\n");
  arena_free(&e.a);
}

/* A span running past its line is underlined to the end of the line; an
 * empty span is a lone caret; a location at the end of the file sits on
 * the (empty) last line. */
static void test_caret_edges(void **state)
{
  static const char text[] = "decide x {\n  when a\n";
  struct env e;
  struct source *s;

  (void)state;
  env_init(&e);
  s = source_add(&e.ss, "e.rpol", text, sizeof text - 1, 0, &e.d);
  diag_error(&e.d, sp(s, 7, 18), "multi");
  diag_error(&e.d, sp(s, 9, 9), "empty");
  diag_error(&e.d, sp(s, sizeof text - 1, sizeof text - 1), "eof");
  check_render(&e, "e.rpol:1:8: error: multi\n"
                   "    1 | decide x {\n"
                   "      |        ^~~\n"
                   "e.rpol:1:10: error: empty\n"
                   "    1 | decide x {\n"
                   "      |          ^\n"
                   "e.rpol:3:1: error: eof\n"
                   "    3 | \n"
                   "      | ^\n");
  arena_free(&e.a);
}

static void test_line_numbers(void **state)
{
  struct env e;
  struct source *s;
  char *text = malloc(200000);
  size_t n = 0;
  int i, line, col;

  (void)state;
  assert_non_null(text);
  for (i = 0; i < 123456; i++)
    text[n++] = '\n';
  memcpy(text + n, "  oops\n", 7);
  n += 7;
  env_init(&e);
  s = source_add(&e.ss, "n.rpol", text, n, 0, &e.d);
  assert_int_equal(s->nlines, 123458);
  source_linecol(s, 123456 + 2, &line, &col);
  assert_int_equal(line, 123457);
  assert_int_equal(col, 3);
  diag_error(&e.d, sp(s, 123456 + 2, 123456 + 6), "oops");
  check_render(&e, "n.rpol:123457:3: error: oops\n"
                   "123457 |   oops\n"
                   "      |   ^~~~\n");
  assert_string_equal(source_loc(&e.ss, sp(s, 123456 + 2, 0)),
                      "n.rpol:123457:3");
  arena_free(&e.a);
  free(text);
}

/* Very long lines are shown as a window around the caret. */
static void test_long_line(void **state)
{
  struct env e;
  struct source *s;
  size_t n = 100000;
  char *text = malloc(n + 1), *got;

  (void)state;
  assert_non_null(text);
  memset(text, 'a', n);
  text[n] = '\0';
  env_init(&e);
  s = source_add(&e.ss, "l.rpol", text, n, 0, &e.d);
  diag_error(&e.d, sp(s, 50000, 50003), "here");
  got = render(&e.d);
  /* Location, then a window: well under the line's length. */
  assert_non_null(strstr(got, "l.rpol:1:50001: error: here\n"));
  assert_true(strlen(got) < 1000);
  assert_non_null(strstr(got, "    1 | ..."));
  /* The caret sits under the same column as in the shown text. */
  {
    const char *l1 = strstr(got, "    1 | ");
    const char *l2 = strstr(l1 + 1, "      | ");
    const char *caret = strchr(l2, '^');

    assert_non_null(caret);
    assert_int_equal(caret - l2, 8 + 3 + 60);
    assert_int_equal(strncmp(caret, "^~~\n", 4), 0);
  }
  free(got);
  arena_free(&e.a);
  free(text);
}

static void test_nospan_and_cap(void **state)
{
  struct env e;
  struct source *s;
  int i;
  char *got;

  (void)state;
  env_init(&e);
  s = source_add(&e.ss, "c.rpol", "x\n", 2, 0, &e.d);
  diag_error_nospan(&e.d, "cannot open '%s'", "y.rpol");
  for (i = 0; i < 30; i++) {
    diag_error(&e.d, sp(s, 0, 1), "error %d", i);
    diag_note(&e.d, sp(s, 0, 1), "note %d", i);
  }
  diag_warning(&e.d, sp(s, 0, 1), "still a warning");
  assert_int_equal(e.d.nerrors, 31);
  assert_int_equal(e.d.dropped, 11);
  got = render(&e.d);
  assert_non_null(strstr(got, "rpolc: error: cannot open 'y.rpol'\n"));
  assert_non_null(strstr(got, "error 18\n"));
  assert_non_null(strstr(got, "note 18\n"));
  assert_null(strstr(got, "error 19\n"));
  /* Notes of dropped errors go with them. */
  assert_null(strstr(got, "note 19\n"));
  assert_non_null(strstr(got, "warning: still a warning\n"));
  assert_non_null(strstr(got, "c.rpol: error: too many errors, stopping\n"));
  free(got);
  arena_free(&e.a);
}

static void test_suggest(void **state)
{
  static const char *const cands[] = {
    "electronics", "apparel", "footwear", "gift_card", "vip", "standard",
    "EU", "EEA", "refund_amount", "restocking_fee", "window"};
  static const struct {
    const char *name;
    const char *want;
  } rows[] = {
    {"electronic", "electronics"},
    {"elcetronics", "electronics"},   /* transposition: distance 1 */
    {"aparel", "apparel"},
    {"apparle", "apparel"},
    {"vp", "vip"},                    /* len 2: limit 1 */
    {"xy", NULL},
    {"EUU", "EU"},                    /* EEA is 2 away */
    {"refund_amuont", "refund_amount"},
    {"restocking_fees", "restocking_fee"},
    {"windw", "window"},
    {"foot", NULL},
    {"zzzzzzzz", NULL},
    {"", NULL},
  };
  size_t i;
  char longname[200];

  (void)state;
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    const char *got = diag_suggest(rows[i].name, cands, 11);

    if (rows[i].want == NULL) {
      if (got)
        fprintf(stderr, "%s => %s (want none)\n", rows[i].name, got);
      assert_null(got);
    } else {
      if (!got || strcmp(got, rows[i].want))
        fprintf(stderr, "%s => %s (want %s)\n", rows[i].name,
                got ? got : "none", rows[i].want);
      assert_non_null(got);
      assert_string_equal(got, rows[i].want);
    }
  }
  assert_null(diag_suggest("x", NULL, 0));
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  assert_null(diag_suggest(longname, cands, 11));
  {
    static const char *const ties[] = {"cat", "bat", "hat"};

    assert_string_equal(diag_suggest("rat", ties, 3), "cat");
  }
}

static void test_source_checks(void **state)
{
  static const char bad[] = "ok\n\xff\xfex\n\xed\xa0\x80\n\xc0\xaf\n"
                            "\xf4\x90\x80\x80\n\x00z\n\xe2\x82\n";
  struct env e;
  struct source *s;
  int line, col;

  (void)state;
  env_init(&e);
  s = source_add(&e.ss, "b.rpol", bad, sizeof bad - 1, 0, &e.d);
  assert_int_equal(e.d.nerrors, 7);
  assert_string_equal(e.d.items[0].msg, "invalid UTF-8 byte 0xff");
  assert_string_equal(e.d.items[1].msg, "invalid UTF-8 byte 0xfe");
  source_linecol(s, e.d.items[1].span.start, &line, &col);
  assert_int_equal(line, 2);
  assert_int_equal(col, 2);
  /* A surrogate, an overlong form, past U+10FFFF: one report each, at
   * the lead byte. */
  assert_string_equal(e.d.items[2].msg, "invalid UTF-8 byte 0xed");
  assert_string_equal(e.d.items[3].msg, "invalid UTF-8 byte 0xc0");
  assert_string_equal(e.d.items[4].msg, "invalid UTF-8 byte 0xf4");
  source_linecol(s, e.d.items[4].span.start, &line, &col);
  assert_int_equal(line, 5);
  assert_int_equal(col, 1);
  assert_string_equal(e.d.items[5].msg, "NUL byte in source");
  source_linecol(s, e.d.items[5].span.start, &line, &col);
  assert_int_equal(line, 6);
  assert_int_equal(col, 1);
  /* A truncated sequence at the end of a line. */
  assert_string_equal(e.d.items[6].msg, "invalid UTF-8 byte 0xe2");
  source_linecol(s, e.d.items[6].span.start + 2, &line, &col);
  assert_int_equal(line, 7);
  assert_int_equal(col, 3);
  arena_free(&e.a);

  /* A BOM is dropped; the text is NUL-terminated. */
  env_init(&e);
  s = source_add(&e.ss, "bom.rpol", "\xef\xbb\xbfx", 4, 0, &e.d);
  assert_int_equal(e.d.nerrors, 0);
  assert_int_equal(s->len, 1);
  assert_string_equal(s->text, "x");
  assert_string_equal(s->display, "bom.rpol");
  s = source_add(&e.ss, "<prelude>/a.rpol", "", 0, 1, &e.d);
  assert_string_equal(s->display, "<prelude>");
  assert_int_equal(s->id, 1);
  assert_ptr_equal(source_get(&e.ss, 1), s);
  assert_null(source_get(&e.ss, 2));
  arena_free(&e.a);
}

static void test_source_load(void **state)
{
  struct env e;
  const char *err = NULL;
  struct source *s;
  char path[] = "/tmp/rpol_test_diag_XXXXXX";
  int fd;

  (void)state;
  env_init(&e);
  assert_null(source_load(&e.ss, "/nonexistent/x.rpol", &e.d, &err));
  assert_non_null(err);
  err = NULL;
  assert_null(source_load(&e.ss, "/tmp", &e.d, &err));
  assert_string_equal(err, "is a directory");
  err = NULL;
  assert_null(source_load(&e.ss, "/dev/null", &e.d, &err));
  assert_string_equal(err, "not a regular file");

  fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "module \"m\"\n", 11), 11);
  close(fd);
  s = source_load(&e.ss, path, &e.d, &err);
  assert_non_null(s);
  assert_int_equal(s->len, 11);
  assert_string_equal(s->text, "module \"m\"\n");
  assert_string_equal(s->path, path);

  /* Over 16 MiB: refused, naming the limit. */
  fd = open(path, O_WRONLY | O_TRUNC);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, 16 * 1024 * 1024 + 1), 0);
  close(fd);
  err = NULL;
  assert_null(source_load(&e.ss, path, &e.d, &err));
  assert_non_null(strstr(err, "16 MiB"));
  unlink(path);
  arena_free(&e.a);
}

static void test_arena(void **state)
{
  struct arena a;
  struct vec v = {0};
  int i;
  char *big;
  jmp_buf jb;
  volatile int jumped = 0;

  (void)state;
  arena_init(&a);
  for (i = 0; i < 10000; i++) {
    unsigned char *p = arena_alloc(&a, (size_t)(i % 97) + 1);
    size_t k;

    assert_int_equal((uintptr_t)p % 16, 0);
    for (k = 0; k < (size_t)(i % 97) + 1; k++)
      assert_int_equal(p[k], 0);
    memset(p, 0xab, (size_t)(i % 97) + 1);
    vec_push(&a, &v, p);
  }
  assert_int_equal(v.len, 10000);
  big = arena_alloc(&a, 1 << 20);
  assert_int_equal(big[(1 << 20) - 1], 0);
  assert_string_equal(arena_printf(&a, "%s-%d", "x", 42), "x-42");
  assert_string_equal(arena_strndup(&a, "abcdef", 3), "abc");
  assert_string_equal(arena_strdup(&a, "abc"), "abc");
  arena_free(&a);

  /* A limit turns exhaustion into a jump to the handler. */
  arena_init(&a);
  a.limit = 1 << 20;
  arena_set_oom(&a, &jb);
  if (setjmp(jb) == 0) {
    for (i = 0; i < 100; i++)
      arena_alloc(&a, 100000);
  } else
    jumped = 1;
  assert_true(jumped);
  arena_free(&a);
}

/* source_add checks eight ASCII bytes at a time: a bad byte or a NUL at
 * every offset around those words is still reported at its byte, once,
 * and lines are indexed wherever the newlines fall. */
static void test_source_scan_words(void **state)
{
  static const char *const bad[] = {"\xff", "\x00", "\xc3", "\xe2\x82"};
  char buf[40];
  struct env e;
  struct source *s;
  int line, col;

  (void)state;
  for (size_t b = 0; b < sizeof bad / sizeof *bad; b++)
    for (size_t at = 0; at < 24; at++) {
      size_t blen = bad[b][0] ? strlen(bad[b]) : 1;

      memset(buf, 'a', sizeof buf);
      buf[at / 2] = '\n';        /* a line break before the bad byte */
      memcpy(buf + at, bad[b], blen);
      env_init(&e);
      s = source_add(&e.ss, "w.rpol", buf, 30, 0, &e.d);
      assert_int_equal(e.d.nerrors, 1);
      assert_int_equal(e.d.items[0].span.start, at);
      source_linecol(s, (uint32_t)at, &line, &col);
      assert_int_equal(line, at / 2 < at ? 2 : 1);
      assert_int_equal(col, at / 2 < at ? (int)(at - at / 2) : 1);
      arena_free(&e.a);
    }
  /* Valid text of several lines: no report, every line start found. */
  env_init(&e);
  s = source_add(&e.ss, "ok.rpol", "abcdefgh\nij\n\nklmnopqrstuvwxyz\xc3\xa9\n",
                 32, 0, &e.d);
  assert_int_equal(e.d.nerrors, 0);
  assert_int_equal(s->nlines, 5);
  assert_int_equal(s->line_start[1], 9);
  assert_int_equal(s->line_start[2], 12);
  assert_int_equal(s->line_start[3], 13);
  assert_int_equal(s->line_start[4], 32);
  source_linecol(s, 31, &line, &col);     /* after the é */
  assert_int_equal(line, 4);
  assert_int_equal(col, 18);
  arena_free(&e.a);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_caret_ascii),
    cmocka_unit_test(test_caret_utf8),
    cmocka_unit_test(test_caret_tabs),
    cmocka_unit_test(test_caret_edges),
    cmocka_unit_test(test_line_numbers),
    cmocka_unit_test(test_long_line),
    cmocka_unit_test(test_nospan_and_cap),
    cmocka_unit_test(test_suggest),
    cmocka_unit_test(test_source_checks),
    cmocka_unit_test(test_source_scan_words),
    cmocka_unit_test(test_source_load),
    cmocka_unit_test(test_arena),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
