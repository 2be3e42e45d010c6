/* jit_cache.h: the JIT's code cache, object files kept in a directory.
 *
 * The JIT (jit.c) compiles a bundle to an object file in memory and links
 * that.  With a cache directory it first looks for an object compiled
 * before from the same inputs: the key is a SHA-256 of everything that
 * determines the code (the metadata, which carries the sources' SHA-256
 * and the schema hash; the target triple, CPU and features; the LLVM and
 * rpol versions; and the compiler's build identity, a hash of its sources
 * and value.bc made by the Makefile, so that a rebuilt compiler never
 * reuses another's code).  A hit skips IR generation, LLVM's passes and
 * code generation.
 *
 * A cache never makes a compile fail: a missing, unreadable, truncated or
 * corrupted entry is a miss, and a directory that cannot be written only
 * leaves the object unstored.  Entries are written to a temporary file and
 * renamed into place, so a reader sees a whole entry or none; each holds
 * its key, its object's length and the object's SHA-256, checked before
 * use.  The objects are machine code that the process runs: the directory
 * must be writable only by the user (it is created 0700).
 */
#ifndef RPOL_JIT_CACHE_H
#define RPOL_JIT_CACHE_H

#include <stddef.h>
#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

#define JIT_CACHE_KEY_LEN 32

/* The key of the code tm compiles from a bundle of this metadata.
 * Returns 0, or -1 when it cannot be computed (then: no cache). */
int jit_cache_key(LLVMTargetMachineRef tm, const char *metadata, size_t len,
                  unsigned char key[JIT_CACHE_KEY_LEN]);

/* The cached object of `key` in `dir`, as a new memory buffer (owned:
 * dispose it or hand it to the JIT), or NULL: a miss, whatever the
 * reason. */
LLVMMemoryBufferRef jit_cache_load(const char *dir,
                                   const unsigned char key[JIT_CACHE_KEY_LEN]);

/* Stores `obj` (len bytes) as the entry of `key` in `dir`, creating the
 * directory (and its parents) when missing.  Returns 0, or -1 when it could
 * not (nothing is left behind). */
int jit_cache_store(const char *dir, const unsigned char key[JIT_CACHE_KEY_LEN],
                    const char *obj, size_t len);

/* The path of key's entry in dir (malloc'd), or NULL; for tests. */
char *jit_cache_path(const char *dir,
                     const unsigned char key[JIT_CACHE_KEY_LEN]);

#endif
