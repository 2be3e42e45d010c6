/* engine.c: a path to a loaded policy (see engine.h).
 *
 * Compiling in memory keeps the compile session alive for as long as the
 * policy lives: the interpreter walks its tree, and the JIT's code refers
 * to nothing in it but is released through the same hook.
 *
 * The front end (sources, parser, checker, layout, the interpreter's
 * prepared state) takes its memory from the runtime's rpol_alloc_fn: the
 * session arena's blocks come from it, and running out in the middle of the
 * front end jumps back here and is RPOL_ENOMEM.  Not covered (the C
 * library's): flex's scanner buffers, opendir for a bundle, the diagnostics
 * text of a failed compile, the metadata text (json-c), and the JIT (cg.c,
 * LLVM).
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "driver.h"
#include "engine.h"
#include "interp.h"
#include "layout.h"
#include "../runtime/artifact.h"
#include "../runtime/internal.h"
#include "jit.h"

/* Everything one in-memory policy needs until its last reference goes. */
struct compiled {
  rpol_runtime *rt;         /* whose allocator this came from */
  int nhosts;
  struct session s;
  struct arena meta_arena;  /* the metadata text (see engine_compile) */
  struct layout layout;
  struct interp_host *hosts;
  rpol_eval_fn *fns;
  struct rpol_artifact art;
  void (*jit_release)(void *);
  void *jit_ud;
};

/* The runtime's allocator as an arena_alloc_fn (ud: the runtime). */
static void *rt_hook(void *ud, void *p, size_t o, size_t n)
{
  rpol_runtime *rt = ud;
  if (n == 0) {
    rt_free(rt, p, o);
    return NULL;
  }
  return p ? rt_realloc(rt, p, o, n) : rt_alloc(rt, n);
}

static void compiled_free(void *ud)
{
  struct compiled *c = ud;
  rpol_runtime *rt = c->rt;
  if (c->jit_release)
    c->jit_release(c->jit_ud);
  for (int i = 0; c->hosts && i < c->nhosts; i++)
    interp_host_release(&c->hosts[i]);
  session_free(&c->s);
  arena_free(&c->meta_arena);
  rt_free(rt, c->hosts, (size_t)c->nhosts * sizeof *c->hosts);
  rt_free(rt, c->fns, (size_t)c->nhosts * sizeof *c->fns);
  rt_free(rt, c, sizeof *c);
}

static int ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Diagnostics to `out`, or into the runtime's error message. */
static void report(rpol_runtime *rt, struct session *s, FILE *out)
{
  if (out) {
    diag_print(&s->diags, out);
    return;
  }
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  if (mem) {
    diag_print(&s->diags, mem);
    fclose(mem);
  }
  while (len > 0 && text[len - 1] == '\n')
    text[--len] = 0;
  rt_seterr(rt, "%s", text ? text : "compile error");
  free(text);
}

static rpol_status build_interp(struct compiled *c, void **hosts)
{
  int n = c->layout.nprogs;
  c->hosts = rt_alloc(c->rt, (size_t)(n ? n : 1) * sizeof *c->hosts);
  c->fns = rt_alloc(c->rt, (size_t)(n ? n : 1) * sizeof *c->fns);
  c->nhosts = n ? n : 1;
  if (!c->hosts || !c->fns)
    return RPOL_ENOMEM;
  for (int i = 0; i < n; i++) {
    c->hosts[i].prog = c->layout.progs[i];
    c->hosts[i].layout = &c->layout;
    c->hosts[i].policy_index = i;
    c->hosts[i].alloc = rt_hook;
    c->hosts[i].alloc_ud = c->rt;
    if (interp_host_prepare(&c->hosts[i]) != 0)
      return RPOL_ENOMEM;
    c->fns[i] = interp_eval;
    hosts[i] = &c->hosts[i];
  }
  return RPOL_OK;
}

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

rpol_status engine_compile(rpol_runtime *rt, const char *path,
                           enum engine_kind kind, FILE *diags,
                           rpol_policy **out)
{
  return engine_compile_timed(rt, path, kind, diags, NULL, out);
}

rpol_status engine_compile_timed(rpol_runtime *rt, const char *path,
                                 enum engine_kind kind, FILE *diags,
                                 struct jit_times *times, rpol_policy **out)
{
  double t0 = now_ms();
  *out = NULL;
  if (times)
    memset(times, 0, sizeof *times);
  struct compiled *c = rt_alloc(rt, sizeof *c);
  if (!c) {
    rt_seterr(rt, "out of memory while compiling %s", path);
    return RPOL_ENOMEM;
  }
  c->rt = rt;
  session_init(&c->s);
  arena_set_allocator(&c->s.arena, rt_hook, rt);
  /* Running out of memory anywhere in the front end comes back here; all
   * it took is in the session (or freed by parse_file on the way). */
  jmp_buf oom;
  if (setjmp(oom) != 0) {
    arena_set_oom(&c->s.arena, NULL);
    rt_seterr(rt, "out of memory while compiling %s", path);
    compiled_free(c);
    return RPOL_ENOMEM;
  }
  arena_set_oom(&c->s.arena, &oom);
  struct driver_unit u;
  enum driver_status st = driver_load(&c->s, path, 0, &u);
  if (st == DRIVER_OK && u.is_module) {
    diag_error_nospan(&c->s.diags, "'%s' is a module, not a policy: "
                      "evaluate the policy that uses it", path);
    st = DRIVER_MISUSE;
  }
  if (st != DRIVER_OK || c->s.diags.nerrors) {
    arena_set_oom(&c->s.arena, NULL);
    report(rt, &c->s, diags);
    compiled_free(c);
    return st == DRIVER_MISUSE ? RPOL_EIO : RPOL_ESEMANTIC;
  }
  if (diags && c->s.diags.nwarnings)
    diag_print(&c->s.diags, diags);

  layout_init(&c->layout, &c->s, u.progs, u.nprogs);
  arena_set_oom(&c->s.arena, NULL);
  /* The metadata is built as a json-c tree interleaved with arena
   * allocations: a jump out of it would leak the tree.  So it is built in
   * an arena of the C library's (kept with the policy), swapped in for the
   * session's at the same address, where the sources and diagnostics
   * point. */
  struct arena session_arena = c->s.arena;
  arena_init(&c->s.arena);
  size_t mlen = 0;
  const char *meta = layout_metadata(&c->layout, &mlen);
  c->meta_arena = c->s.arena;
  c->s.arena = session_arena;
  size_t hsize = (size_t)(u.nprogs ? u.nprogs : 1) * sizeof(void *);
  void **hosts = rt_alloc(rt, hsize);
  if (!hosts) {
    rt_seterr(rt, "out of memory while compiling %s", path);
    compiled_free(c);
    return RPOL_ENOMEM;
  }
  const struct rpol_artifact *art = &c->art;
  rpol_status rs = RPOL_OK;
  if (kind == ENGINE_INTERP) {
    rs = build_interp(c, hosts);
    if (rs == RPOL_ENOMEM)
      rt_seterr(rt, "out of memory while compiling %s", path);
    c->art.magic = RPOL_ARTIFACT_MAGIC;
    c->art.abi_version = RPOL_ABI_VERSION;
    c->art.struct_size = sizeof c->art;
    c->art.npolicies = (uint32_t)u.nprogs;
    c->art.metadata = meta;
    c->art.metadata_len = mlen;
    c->art.eval = c->fns;
  } else {
    char *err = NULL;
    if (times)
      times->front_end_ms = now_ms() - t0;
    if (jit_compile_timed(&c->layout, meta, mlen, rt_cache_dir(rt),
                          rt_jit_mode(rt), times, &art,
                          &c->jit_release, &c->jit_ud, &err) != 0) {
      rt_seterr(rt, "code generation failed: %s",
                       err ? err : "unknown error");
      if (diags)
        fprintf(diags, "rpolc: error: code generation failed: %s\n",
                err ? err : "unknown error");
      free(err);
      rs = RPOL_EJIT;
    }
  }
  if (rs == RPOL_OK)
    rs = rpol_policy_from_artifact(rt, art,
                                   kind == ENGINE_INTERP ? hosts : NULL,
                                   compiled_free, c, out);
  rt_free(rt, hosts, hsize);
  /* A failed load takes nothing: the compiled state is still ours. */
  if (rs != RPOL_OK) {
    compiled_free(c);
    if (diags && rs != RPOL_EJIT)
      fprintf(diags, "rpolc: error: %s\n", rpol_errmsg(rt));
  }
  return rs;
}

int engine_wait_optimised(rpol_policy *p, struct jit_opt_times *t)
{
  struct compiled *c;

  if (!p || p->release != compiled_free)
    return -1;
  c = p->release_ud;
  return c->jit_ud ? jit_wait(c->jit_ud, t) : -1;
}

int engine_is_artifact(const char *path)
{
  struct stat st;
  unsigned char magic[4];
  FILE *f;
  int yes;

  /* Only regular files: peeking into a pipe (/dev/stdin) would eat the
   * bytes the command is about to read. */
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
      !(f = fopen(path, "rb")))
    return 0;
  yes = fread(magic, 1, sizeof magic, f) == sizeof magic &&
        memcmp(magic, "\x7f" "ELF", 4) == 0;
  fclose(f);
  return yes;
}

rpol_status engine_open(rpol_runtime *rt, const char *path,
                        enum engine_kind kind, FILE *diags,
                        rpol_policy **out)
{
  return engine_open_timed(rt, path, kind, diags, NULL, out);
}

rpol_status engine_open_timed(rpol_runtime *rt, const char *path,
                              enum engine_kind kind, FILE *diags,
                              struct jit_times *times, rpol_policy **out)
{
  if (times)
    memset(times, 0, sizeof *times);
  /* By content: `rpolc build -o policy` names no extension. */
  if (ends_with(path, ".so") || engine_is_artifact(path)) {
    rpol_status st = rpol_load(rt, path, out);
    if (st != RPOL_OK && diags)
      fprintf(diags, "rpolc: error: %s\n", rpol_errmsg(rt));
    return st;
  }
  return engine_compile_timed(rt, path, kind, diags, times, out);
}

int engine_bind_extern_lib(rpol_policy *p, const char *lib, FILE *warn,
                           const char **err)
{
  /* A bare name would make dlopen search the library path, not the
   * current directory: the user means the file. */
  const char *path = lib;
  char *owned = NULL;
  if (!strchr(lib, '/')) {
    owned = malloc(strlen(lib) + 3);
    if (!owned) {
      *err = "out of memory";
      return -1;
    }
    strcpy(owned, "./");
    strcat(owned, lib);
    path = owned;
  }
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  free(owned);
  if (!h) {
    *err = dlerror();
    return -1;
  }
  for (int i = 0; i < rpol_policy_nexterns(p); i++) {
    const char *name = rpol_policy_extern_name(p, i);
    void *sym = dlsym(h, name);
    if (!sym) {
      if (warn)
        fprintf(warn, "rpolc: warning: '%s' does not define extern '%s'; "
                      "calls to it are the error unbound_extern\n",
                lib, name);
      continue;
    }
    rpol_extern_fn fn;
    memcpy(&fn, &sym, sizeof fn);
    rpol_bind_extern(p, name, fn);
  }
  return 0;
}

/* The public entry point (rpol.h): compile with the JIT, diagnostics into
 * rpol_errmsg. */
RPOL_API rpol_status rpol_compile(rpol_runtime *rt, const char *path,
                                  rpol_policy **out)
{
  if (!rt || !path || !out)
    return RPOL_EMISUSE;
  return engine_compile(rt, path, ENGINE_JIT, NULL, out);
}
