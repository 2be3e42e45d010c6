/* diag.c: collecting and printing diagnostics, and "did you mean".
 *
 * Diagnostics are stored in the session arena and printed by the driver in
 * clang's shape: location, severity, message, the source line and a caret
 * line underlining the span.  After DIAG_MAX_ERRORS errors the rest are
 * only counted (with the notes attached to them), and diag_print ends with
 * one line "FILE: error: too many errors, stopping" naming the file of the
 * last error shown.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

/* Longer source lines are shown as a window around the caret, so that a
 * hostile 10 MB line does not flood the terminal 20 times over. */
#define DIAG_LINE_MAX 400
#define DIAG_WINDOW_BEFORE 60
#define DIAG_WINDOW_AFTER 200

void diag_init(struct diag_list *d, struct arena *a, struct source_set *s)
{
  memset(d, 0, sizeof *d);
  d->arena = a;
  d->sources = s;
}

static void diag_push(struct diag_list *d, enum diag_level level,
                      struct span sp, int has_span, const char *fmt,
                      va_list ap)
{
  struct diag *it;
  va_list aq;
  int n;
  char *msg;

  if (level == DIAG_ERROR) {
    d->nerrors++;
    if (d->nerrors > DIAG_MAX_ERRORS) {
      d->dropped++;
      d->last_dropped = 1;
      return;
    }
  } else if (level == DIAG_NOTE) {
    /* A note belongs to the diagnostic before it. */
    if (d->last_dropped)
      return;
  } else
    d->nwarnings++;
  d->last_dropped = 0;

  va_copy(aq, ap);
  n = vsnprintf(NULL, 0, fmt, aq);
  va_end(aq);
  if (n < 0)
    n = 0;
  msg = arena_alloc(d->arena, (size_t)n + 1);
  vsnprintf(msg, (size_t)n + 1, fmt, ap);

  if (d->len == d->cap) {
    int cap = d->cap ? d->cap * 2 : 16;
    struct diag *items = arena_alloc(d->arena, (size_t)cap * sizeof *items);

    if (d->len)
      memcpy(items, d->items, (size_t)d->len * sizeof *items);
    d->items = items;
    d->cap = cap;
  }
  it = &d->items[d->len++];
  it->level = level;
  it->span = sp;
  it->has_span = has_span;
  it->msg = msg;
}

void diag_error(struct diag_list *d, struct span sp, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  diag_push(d, DIAG_ERROR, sp, 1, fmt, ap);
  va_end(ap);
}

void diag_warning(struct diag_list *d, struct span sp, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  diag_push(d, DIAG_WARNING, sp, 1, fmt, ap);
  va_end(ap);
}

void diag_note(struct diag_list *d, struct span sp, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  diag_push(d, DIAG_NOTE, sp, 1, fmt, ap);
  va_end(ap);
}

void diag_error_nospan(struct diag_list *d, const char *fmt, ...)
{
  va_list ap;
  struct span none = {0, 0, 0};

  va_start(ap, fmt);
  diag_push(d, DIAG_ERROR, none, 0, fmt, ap);
  va_end(ap);
}

/* Length of the UTF-8 sequence at t[i] if valid, else 1: the same notion of
 * "one column" as source_linecol (an invalid byte is one column). */
static size_t diag_cp_len(const unsigned char *t, size_t len, size_t i)
{
  size_t n = source_utf8_len(t, len, i);
  return n ? n : 1;
}

/* Byte offset within `line` of code point number `cp` (0-based). */
static size_t diag_cp_offset(const unsigned char *line, size_t len, long cp)
{
  size_t i = 0;

  while (cp > 0 && i < len) {
    i += diag_cp_len(line, len, i);
    cp--;
  }
  return i;
}

static const char *diag_level_name(enum diag_level l)
{
  switch (l) {
  case DIAG_ERROR:
    return "error";
  case DIAG_WARNING:
    return "warning";
  default:
    return "note";
  }
}

/* The source line and the caret line under it. */
static void diag_print_snippet(const struct source *src, struct span sp,
                               FILE *out)
{
  int line, col, eline, ecol;
  size_t len, i, from, to;
  const unsigned char *text;
  long ncols, caret, width, first = 0;

  source_linecol(src, sp.start, &line, &col);
  text = (const unsigned char *)source_line(src, line, &len);
  /* Columns on this line; the underline stops at its end. */
  for (ncols = 0, i = 0; i < len; ncols++)
    i += diag_cp_len(text, len, i);
  caret = col - 1;
  width = 1;
  if (sp.end > sp.start) {
    source_linecol(src, sp.end, &eline, &ecol);
    if (eline == line)
      width = ecol - col;
    else
      width = ncols - caret;
    if (width < 1)
      width = 1;
  }

  from = 0;
  to = len;
  if (len > DIAG_LINE_MAX) {
    first = caret > DIAG_WINDOW_BEFORE ? caret - DIAG_WINDOW_BEFORE : 0;
    from = diag_cp_offset(text, len, first);
    to = from + diag_cp_offset(text + from, len - from,
                               caret - first + DIAG_WINDOW_AFTER);
    if (width > DIAG_WINDOW_AFTER)
      width = DIAG_WINDOW_AFTER;
  }
  fprintf(out, "%5d | %s", line, from > 0 ? "..." : "");
  fwrite(text + from, 1, to - from, out);
  fprintf(out, "%s\n", to < len ? "..." : "");

  fputs("      | ", out);
  if (from > 0)
    fputs("   ", out);
  /* A tab in the line stays a tab under it, so the caret lines up in a
   * terminal while a tab still counts as one column. */
  for (i = from; i < len && (long)first < caret;) {
    fputc(text[i] == '\t' ? '\t' : ' ', out);
    i += diag_cp_len(text, len, i);
    first++;
  }
  fputc('^', out);
  for (; width > 1; width--)
    fputc('~', out);
  fputc('\n', out);
}

void diag_print(const struct diag_list *d, FILE *out)
{
  int i;
  const char *last_file = NULL;

  for (i = 0; i < d->len; i++) {
    const struct diag *it = &d->items[i];
    const struct source *src =
        it->has_span ? source_get(d->sources, it->span.file) : NULL;

    if (!src) {
      fprintf(out, "rpolc: %s: %s\n", diag_level_name(it->level), it->msg);
      continue;
    }
    {
      int line, col;

      source_linecol(src, it->span.start, &line, &col);
      fprintf(out, "%s:%d:%d: %s: %s\n", src->display, line, col,
              diag_level_name(it->level), it->msg);
    }
    diag_print_snippet(src, it->span, out);
    if (it->level == DIAG_ERROR)
      last_file = src->display;
  }
  if (d->dropped)
    fprintf(out, "%s: error: too many errors, stopping\n",
            last_file ? last_file : "rpolc");
}

/* Optimal string alignment distance (Damerau-Levenshtein with adjacent
 * transpositions), on bytes.  Names are short: both are capped by the
 * caller, so the rows live on the stack. */
#define DIAG_SUGGEST_MAX 64

static int diag_distance(const char *a, size_t la, const char *b, size_t lb)
{
  int rows[3][DIAG_SUGGEST_MAX + 1];
  int *prev2 = rows[0], *prev = rows[1], *cur = rows[2], *t;
  size_t i, j;

  for (j = 0; j <= lb; j++)
    prev[j] = (int)j;
  for (i = 1; i <= la; i++) {
    cur[0] = (int)i;
    for (j = 1; j <= lb; j++) {
      int cost = a[i - 1] != b[j - 1];
      int v = prev[j] + 1;

      if (cur[j - 1] + 1 < v)
        v = cur[j - 1] + 1;
      if (prev[j - 1] + cost < v)
        v = prev[j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
          prev2[j - 2] + 1 < v)
        v = prev2[j - 2] + 1;
      cur[j] = v;
    }
    t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[lb];
}

const char *diag_suggest(const char *name, const char *const *cands, int n)
{
  size_t len = name ? strlen(name) : 0;
  int limit, best = -1, bestd = 0, i;

  if (len == 0 || len > DIAG_SUGGEST_MAX)
    return NULL;
  limit = (int)(len / 3);
  if (limit < 1)
    limit = 1;
  for (i = 0; i < n; i++) {
    size_t lc;
    int dist;

    if (!cands[i])
      continue;
    lc = strlen(cands[i]);
    if (lc > DIAG_SUGGEST_MAX || lc == 0)
      continue;
    /* The distance is at least the difference in length. */
    if ((lc > len ? lc - len : len - lc) > (size_t)limit)
      continue;
    dist = diag_distance(name, len, cands[i], lc);
    if (dist <= limit && (best < 0 || dist < bestd)) {
      best = i;
      bestd = dist;
    }
  }
  return best < 0 ? NULL : cands[best];
}
