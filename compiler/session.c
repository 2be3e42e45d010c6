/* session.c: one compile session (see session.h).
 *
 * Files are cached by the path text they were reached by, so a module used
 * by several files is parsed once and its declarations are the same nodes
 * for every user: sema relies on that to make a second `use` harmless.
 * `lib/a.rpol` and `lib/sub/../a.rpol` are one module too (§2: importing
 * the same module twice is harmless), so a miss on the text is looked up
 * again by canonical path; the file keeps the spelling it was first
 * reached by, which is where its locations point.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "session.h"

void session_init(struct session *s)
{
  memset(s, 0, sizeof *s);
  arena_init(&s->arena);
  source_set_init(&s->sources, &s->arena);
  diag_init(&s->diags, &s->arena, &s->sources);
}

void session_free(struct session *s)
{
  arena_free(&s->arena);
}

void session_load_prelude(struct session *s)
{
  if (s->prelude)
    return;
  s->prelude = arena_alloc(&s->arena,
                           sizeof *s->prelude * (prelude_nsources + 1));
  for (int i = 0; i < prelude_nsources; i++) {
    const struct prelude_source *p = &prelude_sources[i];
    const char *path = arena_printf(&s->arena, "<prelude>/%s", p->name);
    struct source *src = source_add(&s->sources, path, p->text, p->len, 1,
                                    &s->diags);
    s->prelude[s->nprelude++] = parse_file(&s->arena, &s->diags, src,
                                           FILE_PRELUDE);
  }
}

static struct file *cache_find(struct session *s, const char *path)
{
  for (int i = 0; i < s->ncache; i++)
    if (strcmp(s->cache[i]->src->path, path) == 0)
      return s->cache[i];
  return NULL;
}

static struct file *cache_find_real(struct session *s, const char *real)
{
  for (int i = 0; real && i < s->ncache; i++)
    if (s->cache_real[i] && strcmp(s->cache_real[i], real) == 0)
      return s->cache[i];
  return NULL;
}

static void cache_add(struct session *s, struct file *f, const char *real)
{
  if (s->ncache == s->capcache) {
    int cap = s->capcache ? s->capcache * 2 : 16;
    struct file **n = arena_alloc(&s->arena, sizeof *n * cap);
    const char **r = arena_alloc(&s->arena, sizeof *r * cap);
    if (s->ncache) {
      memcpy(n, s->cache, sizeof *n * s->ncache);
      memcpy(r, s->cache_real, sizeof *r * s->ncache);
    }
    s->cache = n;
    s->cache_real = r;
    s->capcache = cap;
  }
  s->cache_real[s->ncache] = real;
  s->cache[s->ncache++] = f;
}

/* The canonical path of `path` in the session's arena, or NULL when it
 * cannot be resolved (the load then reports why). */
static const char *canonical(struct session *s, const char *path)
{
  /* Into a buffer of ours: realpath's own allocation would leak if the
   * copy ran out of memory (the arena jumps out). */
  char r[PATH_MAX];
  if (!realpath(path, r))
    return NULL;
  return arena_strdup(&s->arena, r);
}

struct file *session_file(struct session *s, const char *path,
                          enum file_kind hint, struct span from,
                          int has_from)
{
  struct file *f = cache_find(s, path);
  if (f) {
    f->named_by_scan = 0;
    return f;
  }
  const char *real = canonical(s, path);
  f = cache_find_real(s, real);
  if (f) {
    if (f->named_by_scan && !f->src->is_prelude) {
      /* Locations in an imported file name it as the import wrote it
       * (§14), not as the directory scan that read it first did. */
      f->src->path = f->src->display = arena_strdup(&s->arena, path);
      f->named_by_scan = 0;
    }
    return f;
  }
  const char *err = NULL;
  struct source *src = source_load(&s->sources, path, &s->diags, &err);
  if (!src) {
    if (has_from)
      diag_error(&s->diags, from, "cannot read '%s': %s", path,
                 err ? err : "unknown error");
    else
      diag_error_nospan(&s->diags, "cannot read '%s': %s", path,
                        err ? err : "unknown error");
    return NULL;
  }
  f = parse_file(&s->arena, &s->diags, src, hint);
  cache_add(s, f, real);
  return f;
}

const char *session_use_path(struct session *s, const struct file *importer,
                             const char *use)
{
  const char *path = importer->src->path;
  const char *slash = strrchr(path, '/');
  if (!slash)
    return arena_strdup(&s->arena, use);
  return arena_printf(&s->arena, "%.*s/%s", (int)(slash - path), path, use);
}
