/* arena.h: the compile session's pool allocator.
 *
 * Every compilation owns one arena: token text, the AST, types, scopes and
 * diagnostics all live in it and are released together by arena_free().
 * Nothing in the frontend frees a single object, so bison error recovery and
 * early returns cannot leak.  Allocation failure longjmps to the handler that
 * the session installed with arena_set_oom(), the only jump in the frontend.
 */
#ifndef RPOL_ARENA_H
#define RPOL_ARENA_H

#include <setjmp.h>
#include <stddef.h>

struct arena_block;

struct arena {
  struct arena_block *head;
  jmp_buf *oom;          /* borrowed; NULL means abort() on exhaustion */
  size_t total;          /* bytes reserved so far */
  size_t limit;          /* 0 = unlimited; exceeding it counts as OOM */
};

void  arena_init(struct arena *a);
void  arena_set_oom(struct arena *a, jmp_buf *handler);
void *arena_alloc(struct arena *a, size_t n);     /* zeroed, 16-aligned */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void  arena_free(struct arena *a);

/* A growable array of pointers in an arena (old storage is simply abandoned). */
struct vec {
  void **items;
  int len, cap;
};
void vec_push(struct arena *a, struct vec *v, void *item);

#endif
