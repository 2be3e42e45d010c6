/* cmd_build.c: `rpolc build PATH -o OUT.so` (§13): ahead-of-time
 * compilation of a policy file or a bundle directory into a shared object
 * (or, with --emit, an object file, assembly or LLVM IR to inspect). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aot.h"
#include "commands.h"
#include "driver.h"
#include "layout.h"

/* Refuses, before compiling, an output that cannot be written or that
 * would overwrite the source: both are misuse (exit 2), and the linker's
 * own message would come only after the whole compilation. */
static int check_output(const char *out, const char *src,
                        enum aot_emit emit)
{
  struct stat so, ss;
  if (strcmp(out, "-") == 0) {
    if (emit != AOT_SO)
      return 0;          /* --emit=llvm|asm|obj to stdout */
    fprintf(stderr, "rpolc build: error: a shared object is written to a "
                    "file, not to stdout: -o OUT.so\n");
    return 2;
  }
  if (stat(out, &so) == 0) {
    if (S_ISDIR(so.st_mode)) {
      fprintf(stderr, "rpolc build: error: cannot write '%s': it is a "
                      "directory\n", out);
      return 2;
    }
    if (stat(src, &ss) == 0 && so.st_dev == ss.st_dev &&
        so.st_ino == ss.st_ino) {
      fprintf(stderr, "rpolc build: error: '%s' is the source being "
                      "built; choose another output file\n", out);
      return 2;
    }
    return 0;
  }
  const char *slash = strrchr(out, '/');
  char *dir = slash ? strndup(out, slash == out ? 1 : (size_t)(slash - out))
                    : strdup(".");
  if (!dir)
    return 2;
  int ok = access(dir, W_OK | X_OK) == 0;
  int e = errno;
  free(dir);
  if (ok)
    return 0;
  fprintf(stderr, "rpolc build: error: cannot write '%s': %s\n", out,
          strerror(e));
  return 2;
}

int cmd_build(int argc, char **argv)
{
  const char *path = NULL, *out = NULL;
  enum aot_emit emit = AOT_SO;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-o") == 0) {
      if (i + 1 >= argc)
        return cmd_usage_error("build", "%s", "-o needs a file name");
      out = argv[++i];
    } else if (strncmp(a, "--emit=", 7) == 0) {
      const char *k = a + 7;
      if (strcmp(k, "so") == 0)
        emit = AOT_SO;
      else if (strcmp(k, "obj") == 0)
        emit = AOT_OBJ;
      else if (strcmp(k, "asm") == 0)
        emit = AOT_ASM;
      else if (strcmp(k, "llvm") == 0)
        emit = AOT_LLVM;
      else
        return cmd_usage_error("build", "unknown --emit kind '%s' (so, "
                               "obj, asm or llvm)", k);
    } else if (a[0] == '-' && a[1]) {
      return cmd_usage_error("build", "unknown option '%s'", a);
    } else if (!path) {
      path = a;
    } else {
      return cmd_usage_error("build", "one PATH at a time; unexpected '%s'",
                             a);
    }
  }
  if (!path)
    return cmd_usage_error("build", "%s", "no PATH given");
  if (!out)
    return cmd_usage_error("build", "%s", "no output given: add -o OUT.so");
  if (cmd_reject_artifact("build", path))
    return 2;
  int orc = check_output(out, path, emit);
  if (orc)
    return orc;

  struct session s;
  session_init(&s);
  struct driver_unit u;
  enum driver_status st = driver_load(&s, path, 0, &u);
  if (st == DRIVER_OK && u.is_module) {
    diag_error_nospan(&s.diags, "'%s' is a module, not a policy: build the "
                      "policy that uses it", path);
    st = DRIVER_MISUSE;
  }
  diag_print(&s.diags, stderr);
  int rc = (int)st;
  if (st == DRIVER_OK && !s.diags.nerrors) {
    struct layout L;
    layout_init(&L, &s, u.progs, u.nprogs);
    size_t len = 0;
    const char *meta = layout_metadata(&L, &len);
    char *err = NULL;
    if (aot_build(&L, meta, len, out, emit, &err) != 0) {
      fprintf(stderr, "rpolc build: error: %s\n",
              err ? err : "code generation failed");
      rc = 1;
    }
    free(err);
  } else if (rc == 0) {
    rc = 1;
  }
  session_free(&s);
  return rc;
}
