/* diag.h: diagnostics, collected and printed the way clang prints them.
 *
 *   file.rpol:12:20: error: unknown field 'usr' in 'request'
 *      12 |   when request.usr == "root" => deny "x"
 *         |                ^~~
 *
 * The library never writes to stderr by itself: diagnostics accumulate in a
 * diag_list and the driver prints them.  After DIAG_MAX_ERRORS errors further
 * errors are counted but not kept, and a final line says so.
 */
#ifndef RPOL_DIAG_H
#define RPOL_DIAG_H

#include <stdio.h>
#include "source.h"

#define DIAG_MAX_ERRORS 20

enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

struct diag {
  enum diag_level level;
  struct span span;
  int has_span;          /* 0: a file-less message ("rpolc: error: ...") */
  const char *msg;
};

struct diag_list {
  struct arena *arena;
  struct source_set *sources;
  struct diag *items;
  int len, cap;
  int nerrors, nwarnings;
  int dropped;           /* errors past the cap */
  int last_dropped;      /* the last error was dropped: so are its notes */
};

void diag_init(struct diag_list *d, struct arena *a, struct source_set *s);
void diag_error(struct diag_list *d, struct span sp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_warning(struct diag_list *d, struct span sp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A note attaches to the diagnostic before it (printed right after it). */
void diag_note(struct diag_list *d, struct span sp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void diag_error_nospan(struct diag_list *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints every diagnostic in order; color is never used (goldens). */
void diag_print(const struct diag_list *d, FILE *out);

/* The closest candidate to `name` by edit distance, or NULL when nothing is
 * close enough to be a plausible typo.  Used for "did you mean ...". */
const char *diag_suggest(const char *name, const char *const *cands, int n);

#endif
