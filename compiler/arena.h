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

/* Where blocks come from, with lua_Alloc's contract (rpol_alloc_fn):
 * (ud, NULL, 0, n) allocates, (ud, p, o, 0) frees a block of o bytes. */
typedef void *(*arena_alloc_fn)(void *ud, void *ptr, size_t osize,
                                size_t nsize);

struct arena {
  struct arena_block *head;
  jmp_buf *oom;          /* borrowed; NULL means abort() on exhaustion */
  size_t total;          /* bytes reserved so far */
  size_t limit;          /* 0 = unlimited; exceeding it counts as OOM */
  arena_alloc_fn alloc;  /* NULL: the C library */
  void *alloc_ud;
};

void  arena_init(struct arena *a);
void  arena_set_oom(struct arena *a, jmp_buf *handler);
/* Takes blocks from f(ud, ...) instead of the C library (before the first
 * allocation: a runtime compiling a policy passes its rpol_alloc_fn). */
void  arena_set_allocator(struct arena *a, arena_alloc_fn f, void *ud);
/* A block of n zeroed bytes (NULL when out of memory) and its release,
 * from a's allocator, outside the pool: for memory with a lifetime of its
 * own that must still follow the session's allocator. */
void *arena_sys_alloc(const struct arena *a, size_t n);
void  arena_sys_free(const struct arena *a, void *p, size_t n);
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
