/* sha256.h: SHA-256 (FIPS 180-4), for the sources' hashes in the
 * metadata and the JIT's code cache.
 *
 * Our own rather than OpenSSL's EVP: the first EVP digest of a process
 * initialises OpenSSL's default provider and configuration, 5.3 M
 * instructions (about 2 ms), more than hashing everything a compile hashes
 * (docs/performance.md). */
#ifndef RPOL_SHA256_H
#define RPOL_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
  uint32_t h[8];
  uint64_t len;                 /* bytes hashed so far */
  unsigned char buf[64];        /* the block being filled */
  size_t nbuf;
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t n);
void sha256_final(struct sha256 *c, unsigned char out[32]);

/* The digest of data[0..n). */
void sha256(const void *data, size_t n, unsigned char out[32]);

#endif
