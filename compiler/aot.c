/* aot.c: ahead-of-time compilation to a file (see aot.h).
 *
 * The module is compiled for a generic CPU of the host's architecture with
 * position-independent code, since a built .so may run on another machine.
 * A shared object is made by writing a temporary .o and linking it with
 * the system C compiler (no shell: posix_spawnp with an argument vector);
 * what the linker prints is kept and returned in the error text.  A big
 * module (thousands of cases) is optimised and compiled as two objects on
 * two threads, each in its own LLVM context (split_module, emit_split).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/BitReader.h>
#include <llvm-c/BitWriter.h>

#include "aot.h"
#include "cg.h"

extern char **environ;

static char *fmt_err(const char *fmt, const char *a, const char *b)
{
  size_t n = strlen(fmt) + (a ? strlen(a) : 0) + (b ? strlen(b) : 0) + 1;
  char *s = malloc(n);

  if (s)
    snprintf(s, n, fmt, a ? a : "", b ? b : "");
  return s;
}

/* "$TMPDIR/rpol-XXXXXX<suffix>", created; NULL on failure. */
static char *temp_file(const char *suffix, int *fd)
{
  const char *dir = getenv("TMPDIR");
  size_t n;
  char *path;

  if (!dir || !*dir)
    dir = "/tmp";
  n = strlen(dir) + strlen(suffix) + 16;
  path = malloc(n);
  if (!path)
    return NULL;
  snprintf(path, n, "%s/rpol-XXXXXX%s", dir, suffix);
  *fd = mkstemps(path, (int)strlen(suffix));
  if (*fd < 0) {
    free(path);
    return NULL;
  }
  return path;
}

/* Up to `max` bytes of what the linker said, without the final newline. */
static char *read_log(int fd, size_t max)
{
  char *buf = malloc(max + 1);
  ssize_t n;
  size_t len = 0;

  if (!buf)
    return NULL;
  if (lseek(fd, 0, SEEK_SET) == 0)
    while (len < max && (n = read(fd, buf + len, max - len)) > 0)
      len += (size_t)n;
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
    len--;
  buf[len] = 0;
  return buf;
}

/* cc -shared -o out obj...  Returns 0 or -1 with *err. */
static int link_shared(char *const *objs, int nobjs, const char *out,
                       char **err)
{
  const char *cc = getenv("CC");
  char *argv[8];
  char *log_path;
  int log_fd, rc, status = 0;
  posix_spawn_file_actions_t fa;
  pid_t pid;

  if (!cc || !*cc || strchr(cc, ' '))
    cc = "cc";
  log_path = temp_file(".log", &log_fd);
  if (!log_path) {
    *err = fmt_err("cannot create a temporary file: %s%s", strerror(errno),
                   NULL);
    return -1;
  }
  argv[0] = (char *)cc;
  argv[1] = (char *)"-shared";
  argv[2] = (char *)"-o";
  argv[3] = (char *)out;
  argv[4] = objs[0];
  argv[5] = nobjs > 1 ? objs[1] : NULL;
  argv[6] = NULL;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, log_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, log_fd, 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  rc = posix_spawnp(&pid, cc, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    *err = fmt_err("cannot run the C compiler '%s' to link: %s", cc,
                   strerror(rc));
  } else {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
      ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      char *log = read_log(log_fd, 2000);

      *err = fmt_err("linking with '%s' failed:\n%s", cc,
                     log && *log ? log : "(no output)");
      free(log);
      rc = -1;
    }
  }
  close(log_fd);
  unlink(log_path);
  free(log_path);
  return rc == 0 ? 0 : -1;
}

/* The passes' output verified again before it is emitted. */
static int verify_optimised(LLVMModuleRef mod, char **err)
{
  char *msg = NULL;
  int rc = 0;

  if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg)) {
    *err = fmt_err("internal compiler error: invalid IR after "
                   "optimisation: %s%s", msg, NULL);
    rc = -1;
  }
  if (msg)
    LLVMDisposeMessage(msg);
  return rc;
}

static int emit_file(LLVMTargetMachineRef tm, LLVMModuleRef mod,
                     const char *path, LLVMCodeGenFileType kind, char **err)
{
  char *msg = NULL;

  if (LLVMTargetMachineEmitToFile(tm, mod, (char *)path, kind, &msg)) {
    *err = fmt_err("cannot write %s: %s", path, msg);
    LLVMDisposeMessage(msg);
    return -1;
  }
  if (msg)
    LLVMDisposeMessage(msg);
  return 0;
}

/* ---- code generation on two threads ----------------------------------- */

/* A module whose evaluators and big outputs' functions hold more than
 * this many instructions before the passes is optimised and compiled to
 * machine code as two objects side by side (a policy of about 3,000 cases
 * or more: the passes, instruction selection and register allocation are
 * most of its build).  Below it one object is faster. */
#define AOT_SPLIT_MIN 60000

static long fn_size(LLVMValueRef fn)
{
  LLVMBasicBlockRef bb;
  LLVMValueRef in;
  long n = 0;

  for (bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
    for (in = LLVMGetFirstInstruction(bb); in;
         in = LLVMGetNextInstruction(in))
      n++;
  return n;
}

struct half {
  LLVMMemoryBufferRef bc;    /* the whole module, shared read-only */
  const char *obj;           /* where this half's object goes */
  int part;                  /* 0 keeps the globals */
  char *err;
  int rc;
};

/* Which of the two objects compiles a function: a string attribute set
 * by split_module, which the bitcode carries to both threads. */
static const char PART_ATTR[] = "rpol-part";

enum { PART_0, PART_1, PART_BOTH };

static int part_of(LLVMValueRef fn)
{
  LLVMAttributeRef a = LLVMGetStringAttributeAtIndex(
      fn, LLVMAttributeFunctionIndex, PART_ATTR, sizeof PART_ATTR - 1);
  unsigned n = 0;
  const char *v;

  if (!a)
    return PART_BOTH;
  v = LLVMGetStringAttributeValue(a, &n);
  return n == 1 && v[0] == '1' ? PART_1 : PART_0;
}

static void set_part(LLVMValueRef fn, int part)
{
  LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                          LLVMCreateStringAttribute(
                              LLVMGetModuleContext(LLVMGetGlobalParent(fn)),
                              PART_ATTR, sizeof PART_ATTR - 1,
                              part == PART_1 ? "1" : "0", 1));
}

/* The functions split between the objects: evaluators and big outputs'
 * functions.  The rest (value.c's helpers, the policy's fns) stay in both,
 * internal, so that each object's passes can inline them. */
static int splittable(LLVMValueRef fn)
{
  size_t n = 0;
  const char *name = LLVMGetValueName2(fn, &n);

  return (n > 10 && strncmp(name, "rpol.eval.", 10) == 0) ||
         (n > 9 && strncmp(name, "rpol.out.", 9) == 0);
}

/* Makes v a declaration of the same name and type in its module. */
static void to_declaration(LLVMModuleRef mod, LLVMValueRef v, int is_fn)
{
  size_t n = 0;
  const char *name = LLVMGetValueName2(v, &n);
  char *keep = strndup(name, n);
  LLVMValueRef d;

  if (!keep)
    return;
  if (is_fn) {
    d = LLVMAddFunction(mod, "", LLVMGlobalGetValueType(v));
  } else {
    d = LLVMAddGlobal(mod, LLVMGlobalGetValueType(v), "");
    if (LLVMIsGlobalConstant(v))
      LLVMSetGlobalConstant(d, 1);
  }
  /* The visibility the definition has: a hidden reference to the
   * exported descriptor would hide it in the linked object. */
  LLVMSetLinkage(d, LLVMExternalLinkage);
  LLVMSetVisibility(d, LLVMGetVisibility(v));
  LLVMReplaceAllUsesWith(v, d);
  if (is_fn)
    LLVMDeleteFunction(v);
  else
    LLVMDeleteGlobal(v);
  LLVMSetValueName2(d, keep, n);
  free(keep);
}

static void *emit_half(void *arg)
{
  struct half *h = arg;
  LLVMContextRef ctx = LLVMContextCreate();
  LLVMModuleRef mod = NULL;
  LLVMTargetMachineRef tm = NULL;
  LLVMValueRef v, next;

  h->rc = -1;
  if (LLVMParseBitcodeInContext2(ctx, h->bc, &mod)) {
    h->err = strdup("internal compiler error: the module's bitcode does "
                    "not read back");
    goto out;
  }
  for (v = LLVMGetFirstFunction(mod); v; v = next) {
    int part = part_of(v);

    next = LLVMGetNextFunction(v);
    if (!LLVMIsDeclaration(v) && part != PART_BOTH && part != h->part)
      to_declaration(mod, v, 1);
  }
  if (h->part != 0)
    for (v = LLVMGetFirstGlobal(mod); v; v = next) {
      next = LLVMGetNextGlobal(v);
      if (!LLVMIsDeclaration(v))
        to_declaration(mod, v, 0);
    }
  tm = cg_target_machine(0, &h->err);
  if (tm && cg_optimise(mod, tm, &h->err) == 0 &&
      verify_optimised(mod, &h->err) == 0)
    h->rc = emit_file(tm, mod, h->obj, LLVMObjectFile, &h->err);
out:
  if (tm)
    LLVMDisposeTargetMachine(tm);
  if (mod)
    LLVMDisposeModule(mod);
  LLVMContextDispose(ctx);
  return NULL;
}

/* Whether mod (not yet optimised) is worth two objects; if so, marks
 * each evaluator and big output's function with the part that optimises
 * and compiles it (largest first, to the lighter part), and gives them
 * and every global external linkage with hidden visibility and a name, so
 * the two objects link to each other and export nothing more than one
 * would.  The helpers they call stay internal, a copy in each part. */
static int split_module(LLVMModuleRef mod)
{
  LLVMValueRef fn, gv;
  long total = 0, load[2] = {0, 0}, n;
  int nfn = 0, i, j, anon = 0;
  struct { LLVMValueRef fn; long n; } *fns, t;

  for (fn = LLVMGetFirstFunction(mod); fn; fn = LLVMGetNextFunction(fn))
    if (!LLVMIsDeclaration(fn) && splittable(fn)) {
      nfn++;
      total += fn_size(fn);
    }
  if (total < AOT_SPLIT_MIN || nfn < 2)
    return 0;
  fns = calloc((size_t)nfn, sizeof *fns);
  if (!fns)
    return 0;
  for (i = 0, fn = LLVMGetFirstFunction(mod); fn;
       fn = LLVMGetNextFunction(fn))
    if (!LLVMIsDeclaration(fn) && splittable(fn)) {
      fns[i].fn = fn;
      fns[i++].n = fn_size(fn);
    }
  for (i = 1; i < nfn; i++)              /* few functions: insertion sort */
    for (j = i; j > 0 && fns[j - 1].n < fns[j].n; j--) {
      t = fns[j];
      fns[j] = fns[j - 1];
      fns[j - 1] = t;
    }
  for (i = 0; i < nfn; i++)
    load[load[1] < load[0]] += fns[i].n;
  n = load[0] < load[1] ? load[0] : load[1];
  if (n * 5 < total) {                   /* one function is most of it */
    free(fns);
    return 0;
  }
  load[0] = load[1] = 0;
  for (i = 0; i < nfn; i++) {
    int p = load[1] < load[0];

    load[p] += fns[i].n;
    set_part(fns[i].fn, p);
    if (LLVMGetLinkage(fns[i].fn) == LLVMInternalLinkage ||
        LLVMGetLinkage(fns[i].fn) == LLVMPrivateLinkage) {
      LLVMSetLinkage(fns[i].fn, LLVMExternalLinkage);
      LLVMSetVisibility(fns[i].fn, LLVMHiddenVisibility);
    }
  }
  free(fns);
  for (gv = LLVMGetFirstGlobal(mod); gv; gv = LLVMGetNextGlobal(gv)) {
    size_t len = 0;

    if (LLVMIsDeclaration(gv))
      continue;
    LLVMGetValueName2(gv, &len);
    if (len == 0) {
      char name[32];

      snprintf(name, sizeof name, "rpol.anon.%d", anon++);
      LLVMSetValueName2(gv, name, strlen(name));
    }
    if (LLVMGetLinkage(gv) == LLVMInternalLinkage ||
        LLVMGetLinkage(gv) == LLVMPrivateLinkage) {
      LLVMSetLinkage(gv, LLVMExternalLinkage);
      LLVMSetVisibility(gv, LLVMHiddenVisibility);
      LLVMSetUnnamedAddr(gv, 0);
    }
  }
  return 1;
}

/* Writes mod as two objects, compiled at the same time. */
static int emit_split(LLVMModuleRef mod, char *const *objs, char **err)
{
  struct half h[2];
  pthread_t th;
  int i, started;

  memset(h, 0, sizeof h);
  h[0].bc = LLVMWriteBitcodeToMemoryBuffer(mod);
  if (!h[0].bc) {
    *err = strdup("internal compiler error: cannot write the module's "
                  "bitcode");
    return -1;
  }
  for (i = 0; i < 2; i++) {
    h[i].bc = h[0].bc;
    h[i].obj = objs[i];
    h[i].part = i;
  }
  started = pthread_create(&th, NULL, emit_half, &h[1]) == 0;
  emit_half(&h[0]);
  if (started)
    pthread_join(th, NULL);
  else
    emit_half(&h[1]);
  LLVMDisposeMemoryBuffer(h[0].bc);
  for (i = 0; i < 2; i++)
    if (h[i].rc != 0 && !*err) {
      *err = h[i].err;
      h[i].err = NULL;
    }
  free(h[0].err);
  free(h[1].err);
  return h[0].rc == 0 && h[1].rc == 0 ? 0 : -1;
}

int aot_build(const struct layout *L, const char *metadata, size_t len,
              const char *out_path, enum aot_emit emit, char **err)
{
  LLVMTargetMachineRef tm;
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  char *msg = NULL;
  int rc = -1, split;

  *err = NULL;
  tm = cg_target_machine(0, err);
  if (!tm)
    return -1;
  ctx = LLVMContextCreate();
  /* Verified before the passes (cg); again before emitting.  A module
   * split in two has its passes run on each half, on its own thread. */
  mod = cg_bundle_unoptimised(ctx, L, metadata, len, tm, err);
  if (!mod)
    goto out;
  split = emit == AOT_SO && split_module(mod);
  if (!split &&
      (cg_optimise(mod, tm, err) != 0 || verify_optimised(mod, err) != 0))
    goto out;
  switch (emit) {
  case AOT_LLVM:
    if (LLVMPrintModuleToFile(mod, out_path, &msg)) {
      *err = fmt_err("cannot write %s: %s", out_path, msg);
      goto out;
    }
    rc = 0;
    break;
  case AOT_ASM:
    rc = emit_file(tm, mod, out_path, LLVMAssemblyFile, err);
    break;
  case AOT_OBJ:
    rc = emit_file(tm, mod, out_path, LLVMObjectFile, err);
    break;
  case AOT_SO: {
    int fd, i, nobj = split ? 2 : 1;
    char *objs[2] = {NULL, NULL};

    for (i = 0; i < nobj; i++) {
      objs[i] = temp_file(".o", &fd);
      if (!objs[i])
        break;
      close(fd);
    }
    if (i < nobj) {
      *err = fmt_err("cannot create a temporary file: %s%s",
                     strerror(errno), NULL);
    } else {
      rc = nobj == 2 ? emit_split(mod, objs, err)
                     : emit_file(tm, mod, objs[0], LLVMObjectFile, err);
      if (rc == 0)
        rc = link_shared(objs, nobj, out_path, err);
    }
    for (i = 0; i < nobj; i++)
      if (objs[i]) {
        unlink(objs[i]);
        free(objs[i]);
      }
    break;
  }
  default:
    *err = fmt_err("unknown output kind%s%s", NULL, NULL);
    break;
  }
out:
  if (msg)
    LLVMDisposeMessage(msg);
  if (mod)
    LLVMDisposeModule(mod);
  LLVMContextDispose(ctx);
  LLVMDisposeTargetMachine(tm);
  if (rc != 0 && !*err)
    *err = strdup("out of memory");
  return rc;
}
