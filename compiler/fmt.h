/* fmt.h: the canonical layout of rpol source (`rpolc fmt`, docs/fmt.md).
 *
 * The formatter prints a parsed file back from its syntax tree: the layout
 * comes from the tree alone (indentation, line breaks, spacing, minimal
 * parentheses), so every layout of one program prints the same text, and
 * printing the printed text changes nothing.  The comments the scanner
 * recorded (file->comments) are put back beside the code they annotate.
 * Literals keep the form the author wrote (`1_000`, `12.50 EUR`,
 * `1 week`); strings are re-escaped canonically.
 */
#ifndef RPOL_FMT_H
#define RPOL_FMT_H

#include <stddef.h>

#include "ast.h"

/* The right margin that long constructs are broken to fit. */
#define FMT_WIDTH 80

/* Formats f, a file parsed without syntax errors (f->syntax_errors == 0;
 * the result is unspecified otherwise).  Returns the text, owned by the
 * arena `a` (NUL-terminated, *len bytes).  Borrows f and its source. */
char *fmt_file(struct arena *a, const struct file *f, size_t *len);

/* For tests: f printed with every compound expression in parentheses,
 * without comments or margin, so that two files print alike exactly when
 * their syntax trees are alike (fmt must not change the tree). */
char *fmt_file_tree(struct arena *a, const struct file *f, size_t *len);

#endif
