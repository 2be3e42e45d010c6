/* loader.c: rpol_load, a built policy (.so) into a policy handle.
 *
 * The file is checked step by step so that each way of handing the runtime
 * the wrong file gets its own message: not there, not a regular file, not
 * an ELF shared object, not loadable, not an rpol artifact (no
 * rpol_artifact_v1 symbol).  Magic, ABI, schema and metadata are then
 * checked by rpol_policy_from_artifact, as for the JIT and interpreter.
 * The shared object stays open until the policy's last reference goes.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

static void close_so(void *handle)
{
  dlclose(handle);
}

rpol_status rpol_load(rpol_runtime *rt, const char *path, rpol_policy **out)
{
  struct stat st;
  unsigned char magic[4];
  char pathbuf[4096];
  const struct rpol_artifact *art;
  const char *err;
  void *h;
  ssize_t n;
  int fd;
  rpol_status rc;

  if (!rt || !path || !out)
    return RPOL_EMISUSE;
  *out = NULL;
  if (stat(path, &st) != 0) {
    rt_seterr(rt, "%s: %s", path, strerror(errno));
    return RPOL_EIO;
  }
  if (!S_ISREG(st.st_mode)) {
    rt_seterr(rt, "%s: not a file (expected a policy built with "
              "rpolc build)", path);
    return RPOL_EIO;
  }
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    rt_seterr(rt, "%s: %s", path, strerror(errno));
    return RPOL_EIO;
  }
  n = read(fd, magic, sizeof magic);
  close(fd);
  if (n != (ssize_t)sizeof magic || memcmp(magic, "\177ELF", 4) != 0) {
    rt_seterr(rt, "%s: not an ELF shared object (expected a policy built "
              "with rpolc build)", path);
    return RPOL_EARTIFACT;
  }
  /* dlopen searches the library path for a name without a slash. */
  if (!strchr(path, '/')) {
    if ((size_t)snprintf(pathbuf, sizeof pathbuf, "./%s", path) >=
        sizeof pathbuf) {
      rt_seterr(rt, "%s: path too long", path);
      return RPOL_EIO;
    }
    path = pathbuf;
  }
  dlerror();
  h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    err = dlerror();
    rt_seterr(rt, "cannot load %s: %s", path, err ? err : "dlopen failed");
    return RPOL_EARTIFACT;
  }
  art = dlsym(h, RPOL_ARTIFACT_SYMBOL);
  if (!art) {
    dlclose(h);
    rt_seterr(rt, "%s: not an rpol policy artifact (no %s symbol)", path,
              RPOL_ARTIFACT_SYMBOL);
    return RPOL_EARTIFACT;
  }
  rc = rpol_policy_from_artifact(rt, art, NULL, close_so, h, out);
  if (rc != RPOL_OK) {
    /* Prefix the file name to the artifact's complaint. */
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", rpol_errmsg(rt));
    rt_seterr(rt, "%s: %s", path, msg);
    dlclose(h);
  }
  return rc;
}
