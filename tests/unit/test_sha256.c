/* test_sha256.c: compiler/sha256.c against FIPS 180-4's examples, and
 * fed in pieces of every size across a block boundary. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "sha256.h"

static void hex(const unsigned char md[32], char out[65])
{
  for (int i = 0; i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void check(const char *msg, size_t n, const char *want)
{
  unsigned char md[32];
  char got[65];

  sha256(msg, n, md);
  hex(md, got);
  assert_string_equal(got, want);
}

static void test_vectors(void **state)
{
  (void)state;
  check("", 0,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  check("abc", 3,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_million_a(void **state)
{
  static char a[1000000];
  (void)state;
  memset(a, 'a', sizeof a);
  check(a, sizeof a,
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Every split of a 200-byte message into two updates gives one digest. */
static void test_pieces(void **state)
{
  unsigned char msg[200], whole[32], md[32];
  struct sha256 c;
  (void)state;

  for (size_t i = 0; i < sizeof msg; i++)
    msg[i] = (unsigned char)(i * 7 + 3);
  sha256(msg, sizeof msg, whole);
  for (size_t k = 0; k <= sizeof msg; k++) {
    sha256_init(&c);
    sha256_update(&c, msg, k);
    sha256_update(&c, msg + k, sizeof msg - k);
    sha256_final(&c, md);
    assert_memory_equal(md, whole, 32);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_vectors),
    cmocka_unit_test(test_million_a),
    cmocka_unit_test(test_pieces),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
