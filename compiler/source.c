/* source.c: source texts, their validation and their line tables.
 *
 * Every file of a session enters through source_add, which copies it into
 * the arena, drops a UTF-8 byte-order mark, reports bytes that are not
 * UTF-8 (and NUL bytes) at their exact position, and indexes line starts.
 * Everything downstream works on byte spans; this file turns them into
 * line:col (code points) when something is printed.
 */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "diag.h"

/* Sources larger than this are refused: nothing legitimate comes close,
 * and spans are 32-bit. */
#define SOURCE_MAX_BYTES (16u * 1024 * 1024)

void source_set_init(struct source_set *s, struct arena *a)
{
  memset(s, 0, sizeof *s);
  s->arena = a;
}

/* Length of the valid UTF-8 sequence at t[i], or 0 if the byte there does
 * not start one (overlong forms, surrogates and values past U+10FFFF are
 * invalid).  NUL counts as valid here; callers check it separately. */
size_t source_utf8_len(const unsigned char *t, size_t len, size_t i)
{
  unsigned c = t[i];
  size_t n, k;
  unsigned lo = 0x80, hi = 0xBF;

  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else
    return 0;
  if (len - i < n)
    return 0;
  if (t[i + 1] < lo || t[i + 1] > hi)
    return 0;
  for (k = 2; k < n; k++)
    if (t[i + k] < 0x80 || t[i + k] > 0xBF)
      return 0;
  return n;
}

static void source_validate(struct source *src, struct diag_list *diags)
{
  const unsigned char *t = (const unsigned char *)src->text;
  size_t i = 0, n;
  struct span sp;

  sp.file = src->id;
  while (i < src->len) {
    /* ASCII but NUL, nearly all of any source, eight bytes at a time
     * (a byte >= 0x80 sets its top bit in w, a NUL in w - 0x01..01):
     * no call per byte. */
    uint64_t w;

    if (src->len - i >= 8) {
      memcpy(&w, t + i, 8);
      if (((w | (w - 0x0101010101010101u)) & 0x8080808080808080u) == 0) {
        i += 8;
        continue;
      }
    }
    if ((unsigned)t[i] - 1u < 0x7Fu) {
      i++;
      continue;
    }
    if (t[i] == 0) {
      sp.start = (uint32_t)i;
      sp.end = (uint32_t)i + 1;
      if (diags)
        diag_error(diags, sp, "NUL byte in source");
      i++;
      continue;
    }
    n = source_utf8_len(t, src->len, i);
    if (n == 0) {
      sp.start = (uint32_t)i;
      sp.end = (uint32_t)i + 1;
      if (diags)
        diag_error(diags, sp, "invalid UTF-8 byte 0x%02x", t[i]);
      /* One report per broken sequence: its continuation bytes go
       * with it. */
      for (i++; i < src->len && t[i] >= 0x80 && t[i] <= 0xBF; i++)
        ;
      continue;
    }
    i += n;
  }
}

static void source_index_lines(struct source_set *s, struct source *src)
{
  const char *t = src->text, *end = t + src->len, *p;
  int n = 1;

  /* memchr goes a vector at a time; a loop over the bytes took about
   * 8 instructions per byte of the 36 KB prelude, in every compile. */
  for (p = t; p < end && (p = memchr(p, '\n', (size_t)(end - p))); p++)
    n++;
  src->line_start = arena_alloc(s->arena, (size_t)n * sizeof(uint32_t));
  src->nlines = n;
  n = 1;
  src->line_start[0] = 0;
  for (p = t; p < end && (p = memchr(p, '\n', (size_t)(end - p))); p++)
    src->line_start[n++] = (uint32_t)(p - t + 1);
}

struct source *source_add(struct source_set *s, const char *path,
                          const char *text, size_t len, int is_prelude,
                          struct diag_list *diags)
{
  struct source *src = arena_alloc(s->arena, sizeof *src);
  int too_big = len > SOURCE_MAX_BYTES;
  char *copy;

  if (s->len == s->cap) {
    int cap = s->cap ? s->cap * 2 : 8;
    struct source **files = arena_alloc(s->arena, (size_t)cap * sizeof *files);

    if (s->len)
      memcpy(files, s->files, (size_t)s->len * sizeof *files);
    s->files = files;
    s->cap = cap;
  }
  src->id = (uint32_t)s->len;
  s->files[s->len++] = src;
  src->path = arena_strdup(s->arena, path ? path : "<input>");
  src->display = is_prelude ? "<prelude>" : src->path;
  src->is_prelude = is_prelude;

  if (too_big)
    len = 0;
  else if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
    text += 3;
    len -= 3;
  }
  /* Two NULs: the scanner may want a terminated buffer, and a NUL inside
   * the text must never be mistaken for its end (len is the truth). */
  copy = arena_alloc(s->arena, len + 2);
  if (len)
    memcpy(copy, text, len);
  src->text = copy;
  src->len = len;
  source_index_lines(s, src);
  if (too_big) {
    struct span sp = {src->id, 0, 0};

    if (diags)
      diag_error(diags, sp, "source file is too large (limit 16 MiB)");
    return src;
  }
  source_validate(src, diags);
  return src;
}

/* source_add of a buffer from arena_sys_alloc, which it then frees.
 * source_add allocates from the arena, which may jump out: the buffer is
 * freed on the way. */
static struct source *add_owned(struct source_set *s, const char *path,
                                char *buf, size_t bufsize, size_t len,
                                struct diag_list *diags)
{
  jmp_buf *outer = s->arena->oom;
  jmp_buf here;
  struct source *src;

  if (setjmp(here) != 0) {
    s->arena->oom = outer;
    arena_sys_free(s->arena, buf, bufsize);
    if (outer)
      longjmp(*outer, 1);
    abort();
  }
  s->arena->oom = &here;
  src = source_add(s, path, buf, len, 0, diags);
  s->arena->oom = outer;
  arena_sys_free(s->arena, buf, bufsize);
  return src;
}

struct source *source_load(struct source_set *s, const char *path,
                           struct diag_list *diags, const char **err)
{
  struct stat st;
  int fd;
  char *buf;
  size_t len = 0, bufsize;

  *err = NULL;
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *err = strerror(errno);
    return NULL;
  }
  if (fstat(fd, &st) != 0) {
    *err = strerror(errno);
    close(fd);
    return NULL;
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    *err = "is a directory";
    return NULL;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    *err = "not a regular file";
    return NULL;
  }
  if (st.st_size > (off_t)SOURCE_MAX_BYTES) {
    close(fd);
    *err = "file is too large (limit 16 MiB)";
    return NULL;
  }
  /* From the session's allocator, outside the pool (source_add copies
   * the text into it). */
  bufsize = (size_t)st.st_size + 1;
  buf = arena_sys_alloc(s->arena, bufsize);
  if (!buf) {
    close(fd);
    if (s->arena->oom)
      longjmp(*s->arena->oom, 1);     /* the session's out of memory */
    *err = "out of memory";
    return NULL;
  }
  /* The size may change under us; read what is there, up to the limit. */
  for (;;) {
    ssize_t r;

    if (len == (size_t)st.st_size + 1)
      break;
    r = read(fd, buf + len, (size_t)st.st_size + 1 - len);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      *err = strerror(errno);
      arena_sys_free(s->arena, buf, bufsize);
      close(fd);
      return NULL;
    }
    if (r == 0)
      break;
    len += (size_t)r;
  }
  close(fd);
  if (len > (size_t)st.st_size) {
    arena_sys_free(s->arena, buf, bufsize);
    *err = "file changed while it was read";
    return NULL;
  }
  return add_owned(s, path, buf, bufsize, len, diags);
}

struct source *source_get(const struct source_set *s, uint32_t id)
{
  if (id >= (uint32_t)s->len)
    return NULL;
  return s->files[id];
}

/* Index of the line holding byte `off` (0-based). */
static int source_line_index(const struct source *src, uint32_t off)
{
  int lo = 0, hi = src->nlines - 1;

  while (lo < hi) {
    int mid = lo + (hi - lo + 1) / 2;

    if (src->line_start[mid] <= off)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

void source_linecol(const struct source *src, uint32_t off, int *line,
                    int *col)
{
  const unsigned char *t = (const unsigned char *)src->text;
  int li;
  size_t i;
  int c = 1;

  if (off > src->len)
    off = (uint32_t)src->len;
  li = source_line_index(src, off);
  /* A valid sequence is one column, and so is each invalid byte. */
  for (i = src->line_start[li]; i < off;) {
    size_t n = t[i] < 0x80 ? 1 : source_utf8_len(t, src->len, i);

    i += n ? n : 1;
    c++;
  }
  *line = li + 1;
  *col = c;
}

const char *source_line(const struct source *src, int line, size_t *len)
{
  size_t start, end;

  if (line < 1 || line > src->nlines) {
    *len = 0;
    return "";
  }
  start = src->line_start[line - 1];
  end = line < src->nlines ? src->line_start[line] - 1 : src->len;
  if (end > start && src->text[end - 1] == '\r')
    end--;
  *len = end - start;
  return src->text + start;
}

static char *put_decimal(char *p, unsigned v)
{
  char t[12];
  int n = 0;

  do
    t[n++] = (char)('0' + v % 10);
  while (v /= 10);
  while (n)
    *p++ = t[--n];
  return p;
}

/* Formatted by hand: the metadata lists every location of a bundle and its
 * prelude (1,138 for bench/policy.rpol), and arena_printf's two vsnprintf
 * calls took 3.6 M instructions of each compile, cached or not. */
const char *source_loc(const struct source_set *s, struct span sp)
{
  const struct source *src = source_get(s, sp.file);
  size_t n;
  char *d, *p;
  int line, col;

  if (!src)
    return "<unknown>";
  source_linecol(src, sp.start, &line, &col);
  n = strlen(src->display);
  d = arena_alloc(s->arena, n + 2 * 12 + 1);
  memcpy(d, src->display, n);
  p = d + n;
  *p++ = ':';
  p = put_decimal(p, (unsigned)line);
  *p++ = ':';
  p = put_decimal(p, (unsigned)col);
  *p = 0;
  return d;
}
