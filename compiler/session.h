/* session.h: one compile session: arena, sources, diagnostics, the prelude,
 * and the cache of parsed files.
 *
 * Every rpolc command opens one session.  The prelude (the stdlib files,
 * embedded in the binary at build time) is parsed once per session, and
 * every module is parsed once however many files `use` it.
 */
#ifndef RPOL_SESSION_H
#define RPOL_SESSION_H

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "source.h"

struct session {
  struct arena arena;
  struct source_set sources;
  struct diag_list diags;
  struct file **prelude;          /* parsed stdlib files, in name order */
  int nprelude;
  struct file **cache;            /* every file parsed, by source path */
  int ncache, capcache;
  const char **cache_real;        /* cache[i]'s canonical path, or NULL */
};

/* Embedded prelude sources (generated: build/prelude.c). */
struct prelude_source {
  const char *name;               /* "schema.rpol" */
  const char *text;
  unsigned len;
};
extern const struct prelude_source prelude_sources[];
extern const int prelude_nsources;

void session_init(struct session *s);
void session_free(struct session *s);

/* Parses the prelude into s->prelude (idempotent). */
void session_load_prelude(struct session *s);

/* Parses `path` once (cached by path text, and by the file it names:
 * two spellings of one module's path give the same file).  Returns NULL and reports an
 * error at `from` (has_from) or without a span when the file is
 * unreadable. */
struct file *session_file(struct session *s, const char *path,
                          enum file_kind hint, struct span from,
                          int has_from);

/* The path a `use "x"` in `importer` names: the importer's folder, one
 * '/', then the string as written (§14: never normalised). */
const char *session_use_path(struct session *s, const struct file *importer,
                             const char *use);

#endif
