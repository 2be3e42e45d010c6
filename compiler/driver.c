/* driver.c: paths to checked programs (see driver.h). */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"
#include "sema.h"

static int ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

const char *driver_test_path(struct session *s, const char *policy_path)
{
  if (!ends_with(policy_path, ".rpol") || ends_with(policy_path,
                                                    ".test.rpol"))
    return NULL;
  size_t n = strlen(policy_path) - strlen(".rpol");
  return arena_printf(&s->arena, "%.*s.test.rpol", (int)n, policy_path);
}

/* NAME.rpol, the policy a NAME.test.rpol (a path or a name) tests. */
static const char *tested_policy(struct session *s, const char *test)
{
  return arena_printf(&s->arena, "%.*s.rpol",
                      (int)(strlen(test) - strlen(".test.rpol")), test);
}

static int readable_file(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void nothing_to_test(struct session *s, const char *module,
                            const char *tests)
{
  diag_error_nospan(&s->diags, "'%s' is not a policy, so '%s' has nothing "
                    "to test: tests run a policy; put them beside a policy "
                    "that uses the module", module, tests);
}

/* A test file beside a module would never run: said, as when the test
 * file is named itself.  Returns 1 if there is one. */
static int module_has_tests(struct session *s, const char *path,
                            int with_tests)
{
  const char *tp = with_tests ? driver_test_path(s, path) : NULL;
  if (!tp || !readable_file(tp))
    return 0;
  nothing_to_test(s, path, tp);
  return 1;
}

/* Checks one policy file with its tests; appends the program. */
static enum driver_status load_policy(struct session *s, struct file *f,
                                      struct file *tests, int with_tests,
                                      struct driver_unit *u)
{
  struct file *tf[1];
  int nt = 0;
  if (tests) {
    tf[nt++] = tests;
  } else if (with_tests) {
    const char *tp = driver_test_path(s, f->src->path);
    if (tp && readable_file(tp)) {
      struct span none = {0};
      struct file *t = session_file(s, tp, FILE_TESTS, none, 0);
      if (t)
        tf[nt++] = t;
    }
  }
  struct program *p = sema_check_policy(s, f, tf, nt);
  if (!p)
    return DRIVER_REJECTED;
  struct program **n = arena_alloc(&s->arena, sizeof *n * (u->nprogs + 1));
  if (u->nprogs)
    memcpy(n, u->progs, sizeof *n * u->nprogs);
  n[u->nprogs++] = p;
  u->progs = n;
  return DRIVER_OK;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static enum driver_status load_dir(struct session *s, const char *dir,
                                   int with_tests, struct driver_unit *u)
{
  DIR *d = opendir(dir);
  if (!d) {
    diag_error_nospan(&s->diags, "cannot read directory '%s'", dir);
    return DRIVER_MISUSE;
  }
  const char **names = NULL;
  int n = 0, cap = 0;
  struct vec tests = {0};        /* NAME.test.rpol files */
  struct dirent *e;
  /* The arena may jump out of the loop (out of memory): close the
   * directory on the way. */
  jmp_buf *outer = s->arena.oom;
  jmp_buf here;
  if (setjmp(here) != 0) {
    s->arena.oom = outer;
    closedir(d);
    if (outer)
      longjmp(*outer, 1);
    abort();
  }
  s->arena.oom = &here;
  while ((e = readdir(d))) {
    /* Hidden files are editors' (an Emacs lock `.#p.rpol` is a link to
     * nothing while a file is edited) or deliberately set aside; rpolc
     * fmt skips them too. */
    if (e->d_name[0] == '.' || !ends_with(e->d_name, ".rpol"))
      continue;
    /* A bundle is the directory's own files, not its subdirectories
     * (§2), whatever their name: a folder called x.rpol is not read. */
    struct stat sb;
    if (fstatat(dirfd(d), e->d_name, &sb, 0) == 0 && S_ISDIR(sb.st_mode))
      continue;
    if (ends_with(e->d_name, ".test.rpol")) {
      if (with_tests)
        vec_push(&s->arena, &tests, arena_strdup(&s->arena, e->d_name));
      continue;
    }
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      const char **nn = arena_alloc(&s->arena, sizeof *nn * cap);
      if (n)
        memcpy(nn, names, sizeof *nn * n);
      names = nn;
    }
    names[n++] = arena_strdup(&s->arena, e->d_name);
  }
  s->arena.oom = outer;
  closedir(d);
  if (n)
    qsort(names, n, sizeof *names, cmp_str);
  u->is_bundle = 1;
  enum driver_status st = DRIVER_OK;
  size_t dl = strlen(dir);
  while (dl > 1 && dir[dl - 1] == '/')
    dl--;
  for (int i = 0; i < n; i++) {
    const char *path = arena_printf(&s->arena, "%.*s/%s", (int)dl, dir,
                                    names[i]);
    struct span none = {0};
    int ncache = s->ncache;
    struct file *f = session_file(s, path, FILE_POLICY, none, 0);
    if (!f) {
      st = DRIVER_MISUSE;
      continue;
    }
    if (f->kind != FILE_POLICY) {
      /* Modules in a bundle are reached through `use`, which names them. */
      f->named_by_scan = s->ncache > ncache;
      if (f->kind == FILE_MODULE && module_has_tests(s, path, with_tests))
        st = DRIVER_REJECTED;
      continue;
    }
    if (load_policy(s, f, NULL, with_tests, u) != DRIVER_OK &&
        st == DRIVER_OK)
      st = DRIVER_REJECTED;
  }
  /* A test file whose policy is not in the bundle would silently never
   * run: a CI pipeline must hear of it, as for a file named alone. */
  for (int i = 0; i < tests.len; i++) {
    const char *t = tests.items[i];
    const char *pol = tested_policy(s, t);
    if (!n || !bsearch(&pol, names, n, sizeof *names, cmp_str)) {
      diag_error_nospan(&s->diags,
                        "'%.*s/%s' is a test file, but the bundle has no "
                        "policy '%s': name a test file after the policy it "
                        "tests", (int)dl, dir, t, pol);
      if (st == DRIVER_OK)
        st = DRIVER_REJECTED;
    }
  }
  if (st == DRIVER_OK && u->nprogs == 0) {
    diag_error_nospan(&s->diags,
                      "'%s' holds no policy file: a bundle directory needs "
                      "at least one .rpol file that starts with 'policy'",
                      dir);
    return DRIVER_REJECTED;
  }
  if (st == DRIVER_OK && sema_check_bundle(s, u->progs, u->nprogs) != 0)
    st = DRIVER_REJECTED;
  return st;
}

enum driver_status driver_load(struct session *s, const char *path,
                               int with_tests, struct driver_unit *u)
{
  memset(u, 0, sizeof *u);
  session_load_prelude(s);
  struct stat st;
  if (stat(path, &st) != 0) {
    diag_error_nospan(&s->diags, "cannot read '%s': no such file or "
                      "directory", path);
    return DRIVER_MISUSE;
  }
  if (S_ISDIR(st.st_mode))
    return load_dir(s, path, with_tests, u);
  struct span none = {0};
  int is_test = ends_with(path, ".test.rpol");
  const char *pp = is_test ? tested_policy(s, path) : NULL;
  if (is_test && !with_tests) {
    /* eval, build, rpol_compile take a policy (§13): a test file would
     * quietly stand for the policy beside it. */
    diag_error_nospan(&s->diags, "'%s' is a test file, not a policy: give "
                      "its policy '%s' (rpolc test runs the tests)", path,
                      pp);
    return DRIVER_MISUSE;
  }
  struct file *f = session_file(s, path, is_test ? FILE_TESTS : FILE_POLICY,
                                none, 0);
  if (!f)
    return DRIVER_MISUSE;
  if (is_test) {
    if (!readable_file(pp)) {
      diag_error_nospan(&s->diags,
                        "'%s' is a test file, but its policy '%s' does not "
                        "exist: name a test file after the policy it tests",
                        path, pp);
      return DRIVER_REJECTED;
    }
    struct file *pf = session_file(s, pp, FILE_POLICY, none, 0);
    if (!pf)
      return DRIVER_MISUSE;
    if (pf->kind != FILE_POLICY) {
      nothing_to_test(s, pp, path);
      return DRIVER_REJECTED;
    }
    return load_policy(s, pf, f, 0, u);
  }
  if (f->kind == FILE_MODULE) {
    u->is_module = 1;
    if (sema_check_module(s, f) != 0)
      return DRIVER_REJECTED;
    return module_has_tests(s, path, with_tests) ? DRIVER_REJECTED
                                                 : DRIVER_OK;
  }
  if (f->kind != FILE_POLICY)
    return DRIVER_REJECTED; /* the parser has said why */
  return load_policy(s, f, NULL, with_tests, u);
}
