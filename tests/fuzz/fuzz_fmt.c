/* fuzz_fmt.c: the formatter's round trip on arbitrary bytes (issue 7).
 *
 * Bytes that parse cleanly as a policy (or module) are formatted; the
 * printed text must parse cleanly too, into the same syntax tree
 * (fmt_file_tree prints both alike), and formatting it again must change
 * nothing.  Bytes that do not parse are not the formatter's to print.
 */
#include <string.h>
#include "fuzz.h"
#include "fmt.h"
#include "parse.h"
#include "session.h"

/* Parses text as fuzz.rpol into s; NULL unless it parsed cleanly. */
static struct file *parse_clean(struct session *s, const char *text,
                                size_t len)
{
  struct source *src = source_add(&s->sources, "fuzz.rpol", text, len, 0,
                                  &s->diags);
  struct file *f;

  if (!src)
    return NULL;
  f = parse_file(&s->arena, &s->diags, src, FILE_POLICY);
  return f && !f->syntax_errors && !s->diags.nerrors ? f : NULL;
}

static int same(const char *a, size_t na, const char *b, size_t nb)
{
  return na == nb && memcmp(a, b, na) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct session s1, s2;
  struct file *f1, *f2;
  char *out1, *out2, *tree1, *tree2;
  size_t n1, n2, t1, t2;

  if (size > 1 << 16)
    return 0;
  session_init(&s1);
  session_init(&s2);
  f1 = parse_clean(&s1, (const char *)data, size);
  if (!f1)
    goto done;
  out1 = fmt_file(&s1.arena, f1, &n1);
  f2 = parse_clean(&s2, out1, n1);
  if (!f2) {
    diag_print(&s2.diags, stderr);
    FUZZ_FAIL("the formatted text does not parse:\n%.*s", (int)n1, out1);
  }
  tree1 = fmt_file_tree(&s1.arena, f1, &t1);
  tree2 = fmt_file_tree(&s2.arena, f2, &t2);
  if (!same(tree1, t1, tree2, t2))
    FUZZ_FAIL("formatting changed the syntax tree:\n%.*s\n---\n%.*s",
              (int)t1, tree1, (int)t2, tree2);
  out2 = fmt_file(&s2.arena, f2, &n2);
  if (!same(out1, n1, out2, n2))
    FUZZ_FAIL("formatting is not idempotent:\n%.*s\n---\n%.*s", (int)n1,
              out1, (int)n2, out2);
done:
  session_free(&s2);
  session_free(&s1);
  return 0;
}
