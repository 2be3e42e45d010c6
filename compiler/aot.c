/* aot.c: ahead-of-time compilation to a file (see aot.h).
 *
 * The module is compiled for a generic CPU of the host's architecture with
 * position-independent code, since a built .so may run on another machine.
 * A shared object is made by writing a temporary .o and linking it with
 * the system C compiler (no shell: posix_spawnp with an argument vector);
 * what the linker prints is kept and returned in the error text.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <llvm-c/Analysis.h>

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

/* cc -shared -o out obj.  Returns 0 or -1 with *err. */
static int link_shared(const char *obj, const char *out, char **err)
{
  const char *cc = getenv("CC");
  char *argv[6];
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
  argv[4] = (char *)obj;
  argv[5] = NULL;
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

int aot_build(const struct layout *L, const char *metadata, size_t len,
              const char *out_path, enum aot_emit emit, char **err)
{
  LLVMTargetMachineRef tm;
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  char *msg = NULL;
  int rc = -1;

  *err = NULL;
  tm = cg_target_machine(0, err);
  if (!tm)
    return -1;
  ctx = LLVMContextCreate();
  mod = cg_bundle_for(ctx, L, metadata, len, tm, err);
  if (!mod)
    goto out;
  /* Verified before the passes (cg); again before emitting. */
  if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg)) {
    *err = fmt_err("internal compiler error: invalid IR after "
                   "optimisation: %s%s", msg, NULL);
    goto out;
  }
  if (msg) {
    LLVMDisposeMessage(msg);
    msg = NULL;
  }
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
    int fd;
    char *obj = temp_file(".o", &fd);

    if (!obj) {
      *err = fmt_err("cannot create a temporary file: %s%s",
                     strerror(errno), NULL);
      break;
    }
    close(fd);
    rc = emit_file(tm, mod, obj, LLVMObjectFile, err);
    if (rc == 0)
      rc = link_shared(obj, out_path, err);
    unlink(obj);
    free(obj);
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
