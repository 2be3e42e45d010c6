/* source.h: the files of one compile session and their line tables.
 *
 * Spans are byte offsets into a file's text (jq's approach); a line and a
 * column (counted in Unicode code points from 1, a tab is one column) are
 * computed only when something is printed: a diagnostic, or a location that
 * ends up in an artifact's trace table.
 */
#ifndef RPOL_SOURCE_H
#define RPOL_SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct arena;
struct diag_list;

/* A byte range [start, end) in file `file` (an index into the session). */
struct span {
  uint32_t file;
  uint32_t start, end;
};

struct source {
  uint32_t id;
  const char *path;      /* as given on the command line, or "<prelude>/x.rpol" */
  const char *display;   /* what locations print: path, or "<prelude>" */
  const char *text;      /* NUL-terminated copy; a leading BOM is skipped */
  size_t len;
  uint32_t *line_start;  /* byte offset of each line's first byte */
  int nlines;
  int is_prelude;
};

struct source_set {
  struct arena *arena;
  struct source **files;
  int len, cap;
};

void source_set_init(struct source_set *s, struct arena *a);

/* Adds text (borrowed: copied into the arena).  Invalid UTF-8 and NUL bytes
 * are reported to diags at their exact position; the file is still added so
 * that the caller can print the diagnostics.  Returns the new source. */
struct source *source_add(struct source_set *s, const char *path,
                          const char *text, size_t len, int is_prelude,
                          struct diag_list *diags);

/* Reads a file; returns NULL and sets *err (static text) when it cannot. */
struct source *source_load(struct source_set *s, const char *path,
                           struct diag_list *diags, const char **err);

struct source *source_get(const struct source_set *s, uint32_t id);

/* 1-based line and column (code points) of byte offset `off`. */
void source_linecol(const struct source *src, uint32_t off, int *line,
                    int *col);

/* The text of 1-based line `line` without its newline; sets *len. */
const char *source_line(const struct source *src, int line, size_t *len);

/* Length of the valid UTF-8 sequence at t[i], or 0 if none starts there
 * (overlong forms, surrogates and values past U+10FFFF are invalid). */
size_t source_utf8_len(const unsigned char *t, size_t len, size_t i);

/* "file:line:col" for the start of a span, allocated in the arena. */
const char *source_loc(const struct source_set *s, struct span sp);

#endif
