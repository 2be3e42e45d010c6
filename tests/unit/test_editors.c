/* test_editors.c: the editor grammars know exactly the reserved words.
 *
 * The vim syntax file and the VS Code TextMate grammar each list the
 * language's reserved words; this test holds both lists against the
 * scanner's (parse_reserved_words) so that they cannot drift apart.  Run
 * from the repository root (tests/run.sh does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define MAXW 128

struct words {
  char *w[MAXW];
  int n;
};

static void add(struct words *ws, const char *w, size_t len)
{
  for (int i = 0; i < ws->n; i++)
    if (strlen(ws->w[i]) == len && strncmp(ws->w[i], w, len) == 0)
      return;
  assert_true(ws->n < MAXW);
  ws->w[ws->n++] = strndup(w, len);
}

static void add_all(struct words *ws, const char *text, const char *seps)
{
  const char *p = text;
  while (*p) {
    size_t skip = strspn(p, seps);
    p += skip;
    size_t len = strcspn(p, seps);
    if (len)
      add(ws, p, len);
    p += len;
  }
}

static void free_words(struct words *ws)
{
  for (int i = 0; i < ws->n; i++)
    free(ws->w[i]);
}

static int has(const struct words *ws, const char *w)
{
  for (int i = 0; i < ws->n; i++)
    if (strcmp(ws->w[i], w) == 0)
      return 1;
  return 0;
}

/* Every reserved word is in ws, and ws holds nothing else. */
static void assert_same_as_scanner(const struct words *ws, const char *what)
{
  int nres = 0;
  for (const char *const *r = parse_reserved_words; *r; r++, nres++)
    if (!has(ws, *r)) {
      print_error("%s lacks reserved word '%s'\n", what, *r);
      fail();
    }
  for (int i = 0; i < ws->n; i++) {
    int found = 0;
    for (const char *const *r = parse_reserved_words; *r && !found; r++)
      found = strcmp(*r, ws->w[i]) == 0;
    if (!found) {
      print_error("%s lists '%s', which is not a reserved word\n", what,
                  ws->w[i]);
      fail();
    }
  }
  assert_int_equal(ws->n, nres);
}

static char *slurp(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    print_error("cannot read %s (run from the repository root)\n", path);
    fail();
  }
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  int c;
  while ((c = fgetc(f)) != EOF)
    fputc(c, m);
  fclose(m);
  fclose(f);
  return buf;
}

/* The vim groups that hold reserved words (not rpolRoot or rpolType). */
static void test_vim(void **state)
{
  static const char *const groups[] = {"rpolKeyword", "rpolOperator",
                                       "rpolVerdict", "rpolBoolean",
                                       "rpolUnit"};
  char *text = slurp("editors/vim/syntax/rpol.vim");
  struct words ws = {0};
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++) {
      char prefix[64];
      snprintf(prefix, sizeof prefix, "syn keyword %s ", groups[g]);
      if (strncmp(line, prefix, strlen(prefix)) == 0)
        add_all(&ws, line + strlen(prefix), " \t");
    }
  }
  assert_same_as_scanner(&ws, "editors/vim/syntax/rpol.vim");
  free_words(&ws);
  free(text);
}

/* The TextMate scopes that hold reserved words: `\\b(a|b|c)\\b`. */
static void test_vscode(void **state)
{
  static const char *const scopes[] = {
      "keyword.control.rpol", "keyword.operator.word.rpol",
      "constant.language.verdict.rpol", "constant.language.boolean.rpol",
      "keyword.other.unit.rpol"};
  json_object *root =
      json_object_from_file("editors/vscode/syntaxes/rpol.tmLanguage.json");
  assert_non_null(root);
  json_object *repo, *kw, *patterns;
  assert_true(json_object_object_get_ex(root, "repository", &repo));
  assert_true(json_object_object_get_ex(repo, "keyword", &kw));
  assert_true(json_object_object_get_ex(kw, "patterns", &patterns));
  struct words ws = {0};
  for (size_t i = 0; i < json_object_array_length(patterns); i++) {
    json_object *p = json_object_array_get_idx(patterns, i), *name, *match;
    if (!json_object_object_get_ex(p, "name", &name) ||
        !json_object_object_get_ex(p, "match", &match))
      continue;
    int wanted = 0;
    for (size_t s = 0; s < sizeof scopes / sizeof *scopes; s++)
      wanted |= strcmp(json_object_get_string(name), scopes[s]) == 0;
    if (!wanted)
      continue;
    const char *m = json_object_get_string(match);
    const char *open = strchr(m, '('), *close = strrchr(m, ')');
    assert_non_null(open);
    assert_non_null(close);
    char *inner = strndup(open + 1, (size_t)(close - open - 1));
    add_all(&ws, inner, "|");
    free(inner);
  }
  assert_same_as_scanner(&ws, "editors/vscode/syntaxes/rpol.tmLanguage.json");
  free_words(&ws);
  json_object_put(root);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vim),
      cmocka_unit_test(test_vscode),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
