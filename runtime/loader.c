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
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#define HOST_ARCH "x86-64"
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#define HOST_ARCH "aarch64"
#else
#define HOST_MACHINE EM_NONE   /* unknown host: leave it to dlopen */
#define HOST_ARCH "this machine"
#endif

static const char *machine_name(unsigned m)
{
  switch (m) {
  case EM_X86_64: return "x86-64";
  case EM_AARCH64: return "aarch64";
  case EM_386: return "i386";
  case EM_ARM: return "arm";
  case EM_RISCV: return "riscv";
  case EM_PPC64: return "ppc64";
  case EM_S390: return "s390";
  }
  return "an unknown machine";
}

/* Does [off, off+len) lie within a file of `size` bytes? */
static int within(uint64_t off, uint64_t len, uint64_t size)
{
  return off <= size && len <= size - off;
}

/* Checks the ELF header and program headers before dlopen sees the file:
 * the dynamic loader maps segments as the headers say and trusts them, so
 * a truncated file (a segment past the end) faults on first touch and a
 * corrupted header can crash inside dlopen.  Returns 0, or sets the
 * error and returns -1. */
static int check_elf(rpol_runtime *rt, const char *path, int fd,
                     uint64_t size)
{
  Elf64_Ehdr eh;
  Elf64_Phdr ph;
  int i, nload = 0, ndyn = 0;

  if (size < sizeof eh || pread(fd, &eh, sizeof eh, 0) != sizeof eh) {
    rt_seterr(rt, "%s: truncated ELF header (%llu bytes): rebuild with "
              "rpolc build", path, (unsigned long long)size);
    return -1;
  }
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
      eh.e_ident[EI_DATA] != ELFDATA2LSB) {
    rt_seterr(rt, "%s: built for another architecture (%s ELF); this "
              "runtime runs on %s", path,
              eh.e_ident[EI_CLASS] == ELFCLASS32 ? "32-bit" : "big-endian",
              HOST_ARCH);
    return -1;
  }
  if (HOST_MACHINE != EM_NONE && eh.e_machine != HOST_MACHINE) {
    rt_seterr(rt, "%s: built for another architecture (%s, ELF machine "
              "%u); this runtime runs on %s: rebuild with rpolc build on "
              "this machine", path, machine_name(eh.e_machine),
              (unsigned)eh.e_machine, HOST_ARCH);
    return -1;
  }
  if (eh.e_type != ET_DYN) {
    rt_seterr(rt, "%s: an ELF file but not a shared object (expected a "
              "policy built with rpolc build)", path);
    return -1;
  }
  if (eh.e_phentsize != sizeof ph || eh.e_phnum == 0 ||
      eh.e_phnum >= PN_XNUM ||
      !within(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof ph, size)) {
    rt_seterr(rt, "%s: corrupted or truncated ELF program headers: "
              "rebuild with rpolc build", path);
    return -1;
  }
  /* The section headers come last in the file: a file cut short loses
   * them first. */
  if (eh.e_shnum &&
      (eh.e_shentsize != sizeof(Elf64_Shdr) ||
       !within(eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr),
               size))) {
    rt_seterr(rt, "%s: truncated or corrupted (its section headers lie "
              "past the end of its %llu bytes): rebuild with rpolc build",
              path, (unsigned long long)size);
    return -1;
  }
  for (i = 0; i < eh.e_phnum; i++) {
    if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) !=
        sizeof ph) {
      rt_seterr(rt, "%s: cannot read program header %d", path, i);
      return -1;
    }
    if (ph.p_type >= PT_NUM && !(ph.p_type >= PT_LOOS &&
                                 ph.p_type <= PT_HIPROC)) {
      rt_seterr(rt, "%s: corrupted ELF program header %d (type %#x): "
                "rebuild with rpolc build", path, i, (unsigned)ph.p_type);
      return -1;
    }
    if (!within(ph.p_offset, ph.p_filesz, size)) {
      rt_seterr(rt, "%s: truncated or corrupted (segment %d ends at byte "
                "%llu, the file has %llu): rebuild with rpolc build", path,
                i, (unsigned long long)(ph.p_offset + ph.p_filesz),
                (unsigned long long)size);
      return -1;
    }
    if (ph.p_type == PT_LOAD) {
      nload++;
      if (ph.p_filesz > ph.p_memsz ||
          (ph.p_align && (ph.p_align & (ph.p_align - 1))) ||
          (ph.p_align > 1 &&
           (ph.p_offset - ph.p_vaddr) % ph.p_align != 0)) {
        rt_seterr(rt, "%s: corrupted ELF segment %d: rebuild with rpolc "
                  "build", path, i);
        return -1;
      }
    }
    ndyn += ph.p_type == PT_DYNAMIC;
  }
  if (nload == 0 || ndyn != 1) {
    rt_seterr(rt, "%s: not a loadable shared object (no segments or no "
              "dynamic section): rebuild with rpolc build", path);
    return -1;
  }
  return 0;
}

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
  if (n != (ssize_t)sizeof magic || memcmp(magic, "\177ELF", 4) != 0) {
    close(fd);
    rt_seterr(rt, "%s: not an ELF shared object (expected a policy built "
              "with rpolc build)", path);
    return RPOL_EARTIFACT;
  }
  if (check_elf(rt, path, fd, (uint64_t)st.st_size) != 0) {
    close(fd);
    return RPOL_EARTIFACT;
  }
  close(fd);
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
