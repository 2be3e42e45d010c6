/* parse.h: source text to a file of declarations (flex + bison).
 *
 * The scanner (grammar/rpol.l) and the grammar (grammar/rpol.y) are
 * generated into build/.  Syntax errors go to the session's diagnostics,
 * several per file thanks to error recovery; the returned file holds every
 * declaration that parsed, and .syntax_errors counts what did not.
 */
#ifndef RPOL_PARSE_H
#define RPOL_PARSE_H

#include "ast.h"
#include "diag.h"

/* Nesting limit for expressions; deeper input gets a compile error that
 * names the limit (never a stack overflow). */
#define PARSE_MAX_DEPTH 256

/* Parses src.  `kind_hint` is FILE_TESTS for a NAME.test.rpol file (test
 * blocks only, no header) and FILE_PRELUDE for stdlib files; otherwise the
 * header decides between FILE_POLICY and FILE_MODULE.  Never returns NULL. */
struct file *parse_file(struct arena *a, struct diag_list *d,
                        struct source *src, enum file_kind kind_hint);

/* The reserved words of §1, NULL-terminated (the editor grammars' tests
 * compare against this list). */
extern const char *const parse_reserved_words[];

#endif
