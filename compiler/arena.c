/* arena.c: the compile session's pool allocator (see arena.h).
 *
 * Memory comes in large zeroed blocks and is handed out 16-aligned; nothing
 * is freed before arena_free().  Exhaustion (malloc failure or the optional
 * byte limit) jumps to the session's handler, so callers never test for
 * NULL.
 */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_BLOCK (64 * 1024)

struct arena_block {
  struct arena_block *next;
  size_t size;            /* usable bytes after the header */
  size_t used;
  /* Keeps data 16-aligned whatever the header's size. */
  _Alignas(ARENA_ALIGN) unsigned char data[];
};

void arena_init(struct arena *a)
{
  memset(a, 0, sizeof *a);
}

void arena_set_oom(struct arena *a, jmp_buf *handler)
{
  a->oom = handler;
}

void arena_set_allocator(struct arena *a, arena_alloc_fn f, void *ud)
{
  a->alloc = f;
  a->alloc_ud = ud;
}

void *arena_sys_alloc(const struct arena *a, size_t n)
{
  void *p;

  if (!a->alloc)
    return calloc(1, n ? n : 1);
  p = a->alloc(a->alloc_ud, NULL, 0, n ? n : 1);
  if (p)
    memset(p, 0, n ? n : 1);
  return p;
}

void arena_sys_free(const struct arena *a, void *p, size_t n)
{
  if (!p)
    return;
  if (a->alloc)
    a->alloc(a->alloc_ud, p, n ? n : 1, 0);
  else
    free(p);
}

static _Noreturn void arena_oom(struct arena *a)
{
  if (a->oom)
    longjmp(*a->oom, 1);
  /* No handler: a program bug or a tool without a session; the message
   * is the only way to say why we stop. */
  fputs("rpol: out of memory\n", stderr);
  abort();
}

static struct arena_block *arena_grow(struct arena *a, size_t n)
{
  size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
  struct arena_block *b;

  if (size > SIZE_MAX - sizeof *b - ARENA_ALIGN)
    arena_oom(a);
  if (a->limit && (a->total + size > a->limit || a->total + size < size))
    arena_oom(a);
  /* Zeroed: the zeroing promise of arena_alloc comes from here. */
  b = arena_sys_alloc(a, sizeof *b + size);
  if (!b)
    arena_oom(a);
  b->size = size;
  b->next = a->head;
  a->head = b;
  a->total += size;
  return b;
}

void *arena_alloc(struct arena *a, size_t n)
{
  struct arena_block *b = a->head;
  size_t need;
  void *p;

  if (n == 0)
    n = 1;
  if (n > SIZE_MAX - ARENA_ALIGN)
    arena_oom(a);
  need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  if (!b || b->size - b->used < need) {
    if (need > ARENA_BLOCK / 4 && b) {
      /* A big object gets a block of its own, inserted behind the current
       * one, so the current block's free tail is not wasted. */
      struct arena_block *big = arena_grow(a, need);
      a->head = b;
      big->next = b->next;
      b->next = big;
      big->used = need;
      return big->data;
    }
    b = arena_grow(a, need);
  }
  p = b->data + b->used;
  b->used += need;
  return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
  char *d;

  if (n == SIZE_MAX)
    arena_oom(a);
  d = arena_alloc(a, n + 1);
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *arena_strdup(struct arena *a, const char *s)
{
  return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
  va_list ap;
  int n;
  char *d;

  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return arena_strdup(a, "");
  d = arena_alloc(a, (size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(d, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return d;
}

void arena_free(struct arena *a)
{
  struct arena_block *b = a->head, *next;

  for (; b; b = next) {
    next = b->next;
    arena_sys_free(a, b, sizeof *b + b->size);
  }
  a->head = NULL;
  a->total = 0;
}

void vec_push(struct arena *a, struct vec *v, void *item)
{
  if (v->len == v->cap) {
    int cap = v->cap ? v->cap * 2 : 8;
    void **items;

    if (v->cap > INT32_MAX / 4)
      arena_oom(a);
    items = arena_alloc(a, (size_t)cap * sizeof *items);
    if (v->len)
      memcpy(items, v->items, (size_t)v->len * sizeof *items);
    v->items = items;
    v->cap = cap;
  }
  v->items[v->len++] = item;
}
