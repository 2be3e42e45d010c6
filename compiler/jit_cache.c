/* jit_cache.c: the JIT's code cache (see jit_cache.h).
 *
 * An entry is the file DIR/KEY.o (KEY in hex):
 *
 *   8 bytes   "rpoljit1" (the entry format)
 *   32 bytes  the key
 *   8 bytes   the object's length, little-endian
 *   32 bytes  the object's SHA-256
 *   the object file
 *
 * and is used only when all of it checks (a file cut short by a crash or
 * a full disk, or changed by anything, is a miss, and the next compile
 * writes it anew).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <llvm/Config/llvm-config.h>
#include <nettle/sha2.h>

#include "jit_cache.h"

/* Made by the Makefile: a hash of the compiler's sources and value.bc. */
extern const char rpol_build_id[];

static const char MAGIC[8] = {'r', 'p', 'o', 'l', 'j', 'i', 't', '1'};
enum { HEADER = 8 + JIT_CACHE_KEY_LEN + 8 + 32 };
/* Far above any bundle's object; a length field beyond it is corruption,
 * not a reason to allocate. */
#define MAX_OBJECT ((uint64_t)1 << 31)

/* Each part with its length, so that no two lists of parts hash alike. */
static void put(struct sha256_ctx *c, const char *s, size_t n)
{
  unsigned char len[8];

  for (int i = 0; i < 8; i++)
    len[i] = (unsigned char)((uint64_t)n >> (8 * i));
  sha256_update(c, sizeof len, len);
  sha256_update(c, n, (const uint8_t *)s);
}

static void put_str(struct sha256_ctx *c, const char *s)
{
  put(c, s ? s : "", s ? strlen(s) : 0);
}

/* The SHA-256 an entry's object is checked against. */
static void digest(const void *data, size_t n, unsigned char out[32])
{
  struct sha256_ctx c;

  sha256_init(&c);
  sha256_update(&c, n, data);
  sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

int jit_cache_key(LLVMTargetMachineRef tm, const char *metadata, size_t len,
                  unsigned char key[JIT_CACHE_KEY_LEN])
{
  struct sha256_ctx c;
  char *triple, *cpu, *features;

  triple = LLVMGetTargetMachineTriple(tm);
  cpu = LLVMGetTargetMachineCPU(tm);
  features = LLVMGetTargetMachineFeatureString(tm);
  sha256_init(&c);
  put_str(&c, "rpol jit cache 1");
  put_str(&c, RPOL_VERSION_TEXT);
  put_str(&c, rpol_build_id);
  put_str(&c, LLVM_VERSION_STRING);
  put_str(&c, triple);
  put_str(&c, cpu);
  put_str(&c, features);
  put(&c, metadata, len);
  sha256_digest(&c, SHA256_DIGEST_SIZE, key);
  LLVMDisposeMessage(triple);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(features);
  return 0;
}

char *jit_cache_path(const char *dir,
                     const unsigned char key[JIT_CACHE_KEY_LEN])
{
  size_t n = strlen(dir) + 2 * JIT_CACHE_KEY_LEN + 4;
  char *path = malloc(n);
  int k;

  if (!path)
    return NULL;
  k = snprintf(path, n, "%s/", dir);
  for (int i = 0; i < JIT_CACHE_KEY_LEN; i++)
    k += snprintf(path + k, n - (size_t)k, "%02x", key[i]);
  snprintf(path + k, n - (size_t)k, ".o");
  return path;
}

static int read_all(int fd, char *p, size_t n)
{
  while (n > 0) {
    ssize_t r = read(fd, p, n);

    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, p, n);

    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

LLVMMemoryBufferRef jit_cache_load(const char *dir,
                                   const unsigned char key[JIT_CACHE_KEY_LEN])
{
  char *path = jit_cache_path(dir, key), *obj = NULL;
  char h[HEADER];
  unsigned char sum[32];
  uint64_t len = 0;
  struct stat st;
  LLVMMemoryBufferRef buf = NULL;
  int fd;

  if (!path)
    return NULL;
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  free(path);
  if (fd < 0)
    return NULL;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      read_all(fd, h, HEADER) != 0 || memcmp(h, MAGIC, 8) != 0 ||
      memcmp(h + 8, key, JIT_CACHE_KEY_LEN) != 0)
    goto out;
  for (int i = 0; i < 8; i++)
    len |= (uint64_t)(unsigned char)h[8 + JIT_CACHE_KEY_LEN + i] << (8 * i);
  if (len == 0 || len > MAX_OBJECT ||
      (uint64_t)st.st_size != (uint64_t)HEADER + len)
    goto out;
  obj = malloc((size_t)len);
  if (!obj || read_all(fd, obj, (size_t)len) != 0)
    goto out;
  digest(obj, (size_t)len, sum);
  if (memcmp(sum, h + 8 + JIT_CACHE_KEY_LEN + 8, 32) != 0)
    goto out;
  buf = LLVMCreateMemoryBufferWithMemoryRangeCopy(obj, (size_t)len,
                                                  "rpol-jit-cache");
out:
  free(obj);
  close(fd);
  return buf;
}

/* mkdir -p, the directories it creates private to the user. */
static int make_dirs(const char *dir)
{
  char *p = strdup(dir);
  int rc = 0;

  if (!p)
    return -1;
  for (char *s = p + 1; rc == 0; s++) {
    if (*s != '/' && *s != 0)
      continue;
    char c = *s;
    *s = 0;
    if (mkdir(p, 0700) != 0 && errno != EEXIST)
      rc = -1;
    *s = c;
    if (!c)
      break;
  }
  free(p);
  return rc;
}

int jit_cache_store(const char *dir, const unsigned char key[JIT_CACHE_KEY_LEN],
                    const char *obj, size_t len)
{
  char h[HEADER];
  char *path, *tmp;
  size_t n;
  int fd, rc = -1;

  if (len == 0 || (uint64_t)len > MAX_OBJECT || make_dirs(dir) != 0)
    return -1;
  memcpy(h, MAGIC, 8);
  memcpy(h + 8, key, JIT_CACHE_KEY_LEN);
  for (int i = 0; i < 8; i++)
    h[8 + JIT_CACHE_KEY_LEN + i] = (char)((uint64_t)len >> (8 * i));
  digest(obj, len, (unsigned char *)h + 8 + JIT_CACHE_KEY_LEN + 8);
  path = jit_cache_path(dir, key);
  if (!path)
    return -1;
  n = strlen(path) + 8;
  tmp = malloc(n);
  if (!tmp) {
    free(path);
    return -1;
  }
  /* A temporary name of its own, then rename: a reader never sees half an
   * entry, and concurrent writers of one key each rename a whole one. */
  snprintf(tmp, n, "%s.XXXXXX", path);
  fd = mkstemp(tmp);
  if (fd >= 0) {
    int wrote = write_all(fd, h, HEADER) == 0 &&
                write_all(fd, obj, len) == 0;

    /* Closed once whatever happens (another thread may reuse the
     * number at once). */
    if (close(fd) == 0 && wrote && rename(tmp, path) == 0)
      rc = 0;
    else
      unlink(tmp);
  }
  free(tmp);
  free(path);
  return rc;
}
