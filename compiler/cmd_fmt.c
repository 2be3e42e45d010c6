/* cmd_fmt.c: `rpolc fmt [--check] PATH...` and `rpolc fmt -` (§13).
 *
 * Each file is parsed on its own (no checking: a module or a test file is
 * formatted without its policy) and printed by fmt.c.  A file with syntax
 * errors is reported and left alone.  Files are rewritten through a
 * temporary file and rename(), so an interrupted run never leaves half a
 * policy behind.  A directory stands for the .rpol files under it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "fmt.h"
#include "parse.h"
#include "session.h"

#define FMT_MAX_BYTES (16u << 20)

struct fmt_opts {
  int check;
  int status;
};

static int ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);

  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Whether the file sits in a directory named `stdlib`: a prelude file,
 * which has no header and may hold the code tables. */
static int in_stdlib(const char *path)
{
  const char *slash = strrchr(path, '/');
  const char *start;

  if (!slash)
    return 0;
  start = slash;
  while (start > path && start[-1] != '/')
    start--;
  return slash - start == 6 && strncmp(start, "stdlib", 6) == 0;
}

/* Reads all of fp into a malloc'd buffer; NULL on error or past the size
 * limit (*too_big set). */
static char *read_all(FILE *fp, size_t *len, int *too_big)
{
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap + 1);

  *too_big = 0;
  if (!buf)
    return NULL;
  for (;;) {
    size_t got;

    if (n == cap) {
      char *nb;

      if (cap >= FMT_MAX_BYTES) {
        *too_big = 1;
        free(buf);
        return NULL;
      }
      cap *= 2;
      nb = realloc(buf, cap + 1);
      if (!nb) {
        free(buf);
        return NULL;
      }
      buf = nb;
    }
    got = fread(buf + n, 1, cap - n, fp);
    n += got;
    if (got == 0)
      break;
  }
  if (ferror(fp)) {
    free(buf);
    return NULL;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* Parses text as the file at `path` would be; NULL (diagnostics printed)
 * when it has syntax errors.  A header-less file in a `stdlib` directory
 * that does not parse as a policy is read as a prelude file, in `alt`. */
static struct file *fmt_parse(struct session *s, struct session *alt,
                              const char *path, const char *text,
                              size_t len, struct arena **arena)
{
  enum file_kind hint = ends_with(path, ".test.rpol") ? FILE_TESTS
                                                      : FILE_POLICY;
  struct source *src = source_add(&s->sources, path, text, len, 0,
                                  &s->diags);
  struct file *f = parse_file(&s->arena, &s->diags, src, hint);

  *arena = &s->arena;
  if (f->syntax_errors && hint == FILE_POLICY && !f->name &&
      in_stdlib(path)) {
    struct file *g;

    src = source_add(&alt->sources, path, text, len, 1, &alt->diags);
    g = parse_file(&alt->arena, &alt->diags, src, FILE_PRELUDE);
    if (!g->syntax_errors && !alt->diags.nerrors) {
      *arena = &alt->arena;
      return g;
    }
  }
  if (f->syntax_errors || s->diags.nerrors) {
    diag_print(&s->diags, stderr);
    return NULL;
  }
  return f;
}

static int write_file(const char *path, const char *text, size_t len)
{
  size_t n = strlen(path);
  char *tmp = malloc(n + 16);
  struct stat st;
  FILE *fp;
  int ok;

  if (!tmp)
    return 0;
  snprintf(tmp, n + 16, "%s.fmt-XXXXXX", path);
  {
    int fd = mkstemp(tmp);

    if (fd < 0) {
      free(tmp);
      return 0;
    }
    if (stat(path, &st) == 0)
      fchmod(fd, st.st_mode & 07777);
    fp = fdopen(fd, "w");
    if (!fp) {
      close(fd);
      unlink(tmp);
      free(tmp);
      return 0;
    }
  }
  ok = fwrite(text, 1, len, fp) == len;
  ok = fclose(fp) == 0 && ok;
  if (ok)
    ok = rename(tmp, path) == 0;
  if (!ok)
    unlink(tmp);
  free(tmp);
  return ok;
}

static void raise_status(struct fmt_opts *o, int st)
{
  if (st > o->status)
    o->status = st;
}

/* Formats one file (or stdin when path is "-"). */
static void fmt_one(struct fmt_opts *o, const char *path)
{
  int is_stdin = strcmp(path, "-") == 0, too_big;
  const char *name = is_stdin ? "<stdin>" : path;
  FILE *fp = is_stdin ? stdin : fopen(path, "rb");
  size_t len = 0, outlen;
  char *text, *out;
  struct session s, alt;
  struct arena *arena;
  struct file *f;

  if (!fp) {
    fprintf(stderr, "rpolc fmt: error: cannot read '%s': %s\n", path,
            strerror(errno));
    raise_status(o, 2);
    return;
  }
  text = read_all(fp, &len, &too_big);
  if (!is_stdin)
    fclose(fp);
  if (!text) {
    fprintf(stderr, "rpolc fmt: error: cannot read '%s': %s\n", name,
            too_big ? "file is too large (limit 16 MiB)" : "read error");
    raise_status(o, 2);
    return;
  }
  session_init(&s);
  session_init(&alt);
  f = fmt_parse(&s, &alt, name, text, len, &arena);
  if (!f) {
    fprintf(stderr, "rpolc fmt: '%s' has syntax errors; not formatted\n",
            name);
    raise_status(o, 1);
    if (is_stdin && !o->check)
      fwrite(text, 1, len, stdout);
    goto done;
  }
  out = fmt_file(arena, f, &outlen);
  if (is_stdin && !o->check) {
    fwrite(out, 1, outlen, stdout);
  } else if (outlen != len || memcmp(out, text, len) != 0) {
    if (o->check) {
      printf("%s\n", name);
      raise_status(o, 1);
    } else if (!write_file(path, out, outlen)) {
      fprintf(stderr, "rpolc fmt: error: cannot write '%s': %s\n", path,
              strerror(errno));
      raise_status(o, 2);
    }
  }
done:
  session_free(&alt);
  session_free(&s);
  free(text);
}

static int cmp_names(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .rpol files under a directory, in name order, subdirectories
 * included. */
static void fmt_dir(struct fmt_opts *o, const char *dir, int depth)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  char **names = NULL;
  int n = 0, cap = 0;

  if (!d) {
    fprintf(stderr, "rpolc fmt: error: cannot read '%s': %s\n", dir,
            strerror(errno));
    raise_status(o, 2);
    return;
  }
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    if (n == cap) {
      char **nn = realloc(names, sizeof *names * (size_t)(cap ? cap * 2 : 16));

      if (!nn)
        break;
      names = nn;
      cap = cap ? cap * 2 : 16;
    }
    names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
    if (!names[n])
      break;
    sprintf(names[n], "%s%s%s", dir, ends_with(dir, "/") ? "" : "/",
            e->d_name);
    n++;
  }
  closedir(d);
  if (n)
    qsort(names, (size_t)n, sizeof *names, cmp_names);
  for (int i = 0; i < n; i++) {
    struct stat st;

    if (stat(names[i], &st) == 0) {
      if (S_ISDIR(st.st_mode) && depth < 32)
        fmt_dir(o, names[i], depth + 1);
      else if (S_ISREG(st.st_mode) && ends_with(names[i], ".rpol"))
        fmt_one(o, names[i]);
    }
    free(names[i]);
  }
  free(names);
}

int cmd_fmt(int argc, char **argv)
{
  struct fmt_opts o = {0, 0};
  int npaths = 0, i;

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--check") == 0)
      o.check = 1;
    else if (argv[i][0] == '-' && argv[i][1])
      return cmd_usage_error("fmt", "unknown option '%s'", argv[i]);
    else
      npaths++;
  }
  if (npaths == 0)
    return cmd_usage_error("fmt", "%s", "no PATH given (use - for stdin)");
  for (i = 1; i < argc; i++) {
    struct stat st;

    if (strcmp(argv[i], "--check") == 0)
      continue;
    if (strcmp(argv[i], "-") != 0 && stat(argv[i], &st) == 0 &&
        S_ISDIR(st.st_mode))
      fmt_dir(&o, argv[i], 0);
    else
      fmt_one(&o, argv[i]);
  }
  fflush(stdout);
  return o.status;
}
