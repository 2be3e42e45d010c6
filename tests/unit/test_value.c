/* test_value.c: runtime/value.c, table by table.
 *
 * Each table row is one case; a failing row prints its inputs, what came
 * out and what was expected before the assertion stops the test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "value.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
/* Calls first, then reads r: arguments are evaluated in no fixed order. */
#define CHECK(row, what, call, want_rc, want)                              \
  do {                                                                     \
    int rc_ = (call);                                                      \
    check(row, what, rc_, want_rc, r, want);                               \
  } while (0)
#define OK 0
#define OVF RPOL_E_OVERFLOW
#define DIV0 RPOL_E_DIVISION_BY_ZERO
#define INEX RPOL_E_INEXACT_AMOUNT

static void check(int row, const char *what, int rc, int want_rc,
                  int64_t got, int64_t want)
{
  if (rc != want_rc || (rc == 0 && got != want)) {
    print_error("row %d (%s): rc %d value %lld, want rc %d value %lld\n",
                row, what, rc, (long long)got, want_rc, (long long)want);
    fail();
  }
}

static void test_int_ops(void **state)
{
  static const struct {
    char op;
    int64_t a, b;
    int rc;
    int64_t want;
  } t[] = {
    {'+', INT64_MAX, 1, OVF, 0},
    {'+', INT64_MAX, 0, OK, INT64_MAX},
    {'+', INT64_MIN, -1, OVF, 0},
    {'+', -5, 3, OK, -2},
    {'-', INT64_MIN, 1, OVF, 0},
    {'-', 0, INT64_MIN, OVF, 0},
    {'-', -1, INT64_MAX, OK, INT64_MIN},
    {'*', INT64_MAX, 2, OVF, 0},
    {'*', INT64_MIN, -1, OVF, 0},
    {'*', 3037000499LL, 3037000499LL, OK, 9223372030926249001LL},
    {'*', 3037000500LL, 3037000500LL, OVF, 0},
    {'n', INT64_MIN, 0, OVF, 0},
    {'n', INT64_MAX, 0, OK, -INT64_MAX},
    {'n', 0, 0, OK, 0},
  };
  size_t i;
  int64_t r = 0;
  int rc = 0;

  (void)state;
  for (i = 0; i < N(t); i++) {
    switch (t[i].op) {
    case '+': rc = rpol_add(t[i].a, t[i].b, &r); break;
    case '-': rc = rpol_sub(t[i].a, t[i].b, &r); break;
    case '*': rc = rpol_mul(t[i].a, t[i].b, &r); break;
    case 'n': rc = rpol_neg(t[i].a, &r); break;
    }
    check((int)i, "int op", rc, t[i].rc, r, t[i].want);
  }
}

static void test_div(void **state)
{
  /* int `/` rounds half away from zero; so does money / int. */
  static const struct {
    int64_t a, b;
    int rc;
    int64_t want;
  } t[] = {
    {7, 2, OK, 4},
    {-7, 2, OK, -4},
    {7, -2, OK, -4},
    {-7, -2, OK, 4},
    {5, 2, OK, 3},
    {-5, 2, OK, -3},
    {1, 3, OK, 0},
    {2, 3, OK, 1},
    {-2, 3, OK, -1},
    {-1, 3, OK, 0},
    {12345, 10, OK, 1235},      /* 1234.5 -> 1235 */
    {-12345, 10, OK, -1235},
    {10, 0, DIV0, 0},
    {0, 0, DIV0, 0},
    {INT64_MIN, -1, OVF, 0},
    {INT64_MIN, 1, OK, INT64_MIN},
    {INT64_MIN, 2, OK, -4611686018427387904LL},
    {INT64_MAX, 2, OK, 4611686018427387904LL},
    {INT64_MIN, INT64_MIN, OK, 1},
    {INT64_MAX, INT64_MIN, OK, -1},
    {INT64_MIN, INT64_MAX, OK, -1},
    {INT64_MAX, INT64_MAX, OK, 1},
  };
  size_t i;
  int64_t r = 0;

  (void)state;
  for (i = 0; i < N(t); i++)
    CHECK((int)i, "div", rpol_div(t[i].a, t[i].b, &r), t[i].rc, t[i].want);
}

static void test_percent_of(void **state)
{
  /* p is percent * 10^4; the result is m * p / 10^6, rounded. */
  static const struct {
    int64_t p, m;
    int rc;
    int64_t want;
  } t[] = {
    {100000, 12345, OK, 1235},      /* 10% of 123.45 = 12.345 -> 12.35 */
    {100000, -12345, OK, -1235},    /* -12.345 -> -12.35 */
    {-100000, 12345, OK, -1235},
    {150000, 999, OK, 150},         /* 149.85 -> 150 */
    {150000, 1, OK, 0},             /* 0.15 -> 0 */
    {50000, 10, OK, 1},             /* 0.5 -> 1 */
    {50000, -10, OK, -1},
    {1000000, 1999, OK, 1999},      /* 100% */
    {0, INT64_MAX, OK, 0},
    {1, INT64_MAX, OK, 9223372036855LL},
    {1000000, INT64_MIN, OK, INT64_MIN},
    {-1000000, INT64_MIN, OVF, 0},
    {2000000, INT64_MAX / 2 + 1, OVF, 0},
    {INT64_MAX, INT64_MAX, OVF, 0},
    {10000000000LL, 100, OK, 1000000},  /* 1,000,000% */
  };
  size_t i;
  int64_t r = 0;

  (void)state;
  for (i = 0; i < N(t); i++)
    CHECK((int)i, "percent_of", rpol_percent_of(t[i].p, t[i].m, &r), t[i].rc, t[i].want);
}

/* The 128/64 division inside percent_of against the compiler's own
 * 128-bit division, on a few hundred thousand pseudo-random operands. */
static void test_percent_of_random(void **state)
{
  uint64_t x = 0x9e3779b97f4a7c15u;
  int i;

  (void)state;
  for (i = 0; i < 300000; i++) {
    int64_t p, m, got = 0, want;
    __int128 prod, q, r;
    int rc, shift;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    shift = (int)(x % 64);
    p = (int64_t)(x >> shift) * ((x & 1) ? -1 : 1);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    m = (int64_t)(x >> (x % 64));
    if (x & 2)
      m = -m;
    prod = (__int128)p * m;
    q = prod / 1000000;
    r = prod % 1000000;
    if (r < 0)
      r = -r;
    if (2 * r >= 1000000)
      q += prod < 0 ? -1 : 1;
    rc = rpol_percent_of(p, m, &got);
    if (q > INT64_MAX || q < INT64_MIN) {
      assert_int_equal(rc, OVF);
    } else {
      want = (int64_t)q;
      if (rc != 0 || got != want) {
        print_error("p %lld m %lld: got %lld rc %d want %lld\n",
                    (long long)p, (long long)m, (long long)got, rc,
                    (long long)want);
        fail();
      }
    }
  }
}

static void test_number_to_minor(void **state)
{
  static const struct {
    int64_t mant;
    int scale, exp, rc;
    int64_t want;
  } t[] = {
    {1250, 2, 2, OK, 1250},        /* 12.50 EUR */
    {12345, 3, 2, INEX, 0},        /* 12.345 EUR */
    {12340, 3, 2, OK, 1234},       /* 12.340 EUR: trailing zero */
    {-12340, 3, 2, OK, -1234},
    {15, 1, 0, INEX, 0},           /* 1.5 JPY */
    {15000, 1, 0, OK, 1500},       /* 1500.0 JPY */
    {0, 2, 0, OK, 0},              /* 0.00 JPY */
    {0, 40, 0, OK, 0},
    {12345, 3, 3, OK, 12345},      /* 12.345 KWD */
    {1, 0, 3, OK, 1000},           /* 1 KWD */
    {123456, 4, 3, INEX, 0},
    {5, 40, 2, INEX, 0},
    {1000, 25, 2, INEX, 0},
    {INT64_MAX, 0, 2, OVF, 0},
    {INT64_MAX / 100, 0, 2, OK, INT64_MAX / 100 * 100},
    {INT64_MIN, 0, 0, OK, INT64_MIN},
    {INT64_MIN, 2, 2, OK, INT64_MIN},
    {-92233720368547759LL, 0, 2, OVF, 0},
  };
  size_t i;
  int64_t r = 0;

  (void)state;
  for (i = 0; i < N(t); i++)
    CHECK((int)i, "number_to_minor", rpol_number_to_minor(t[i].mant, t[i].scale, t[i].exp, &r), t[i].rc, t[i].want);
}

static void test_round_to(void **state)
{
  static const struct {
    int64_t m, unit;
    int rc;
    int64_t want;
  } t[] = {
    {1234, 5, OK, 1235},      /* 12.34 to 0.05: 12.35 */
    {1232, 5, OK, 1230},
    {-1237, 5, OK, -1235},
    {-1238, 5, OK, -1240},
    {125, 50, OK, 150},       /* exactly half: away from zero */
    {-125, 50, OK, -150},
    {124, 50, OK, 100},
    {99, 100, OK, 100},
    {0, 100, OK, 0},
    {1234, 0, DIV0, 0},
    {INT64_MAX, 10, OVF, 0},
    {INT64_MAX, 1, OK, INT64_MAX},
    {INT64_MIN, 1, OK, INT64_MIN},
  };
  size_t i;
  int64_t r = 0;

  (void)state;
  for (i = 0; i < N(t); i++)
    CHECK((int)i, "round_to", rpol_round_to(t[i].m, t[i].unit, &r), t[i].rc, t[i].want);
}

static void test_civil(void **state)
{
  static const struct {
    int64_t y;
    int m, d;
    int valid;
    int64_t days;
    int weekday;
  } t[] = {
    {1970, 1, 1, 1, 0, 4},          /* a Thursday */
    {2000, 2, 29, 1, 11016, 2},     /* 2000 is a leap year */
    {2000, 3, 1, 1, 11017, 3},
    {1900, 2, 28, 1, -25509, 3},
    {1900, 2, 29, 0, 0, 0},         /* 1900 is not */
    {1900, 3, 1, 1, -25508, 4},
    {2024, 2, 29, 1, 19782, 4},
    {2023, 2, 29, 0, 0, 0},
    {2026, 3, 1, 1, 20513, 7},      /* a Sunday */
    {2026, 4, 31, 0, 0, 0},
    {2026, 4, 30, 1, 20573, 4},
    {2026, 12, 31, 1, 20818, 4},
    {2026, 13, 1, 0, 0, 0},
    {2026, 0, 1, 0, 0, 0},
    {2026, 1, 0, 0, 0, 0},
    {2026, 1, 32, 0, 0, 0},
    {1, 1, 1, 1, RPOL_DATE_MIN, 1},
    {9999, 12, 31, 1, RPOL_DATE_MAX, 5},
    {0, 12, 31, 0, 0, 0},
    {10000, 1, 1, 0, 0, 0},
  };
  size_t i;

  (void)state;
  for (i = 0; i < N(t); i++) {
    int64_t y;
    int m, d;
    if (rpol_civil_valid(t[i].y, t[i].m, t[i].d) != t[i].valid) {
      print_error("row %zu: validity\n", i);
      fail();
    }
    if (!t[i].valid)
      continue;
    check((int)i, "days_from_civil", 0, 0,
          rpol_days_from_civil(t[i].y, t[i].m, t[i].d), t[i].days);
    rpol_civil_from_days(t[i].days, &y, &m, &d);
    assert_true(y == t[i].y && m == t[i].m && d == t[i].d);
    check((int)i, "weekday", 0, 0, rpol_weekday(t[i].days), t[i].weekday);
  }
}

/* Every supported day maps to a valid civil date and back. */
static void test_civil_roundtrip(void **state)
{
  int64_t z, y = 0;
  int m, d;

  (void)state;
  for (z = RPOL_DATE_MIN; z <= RPOL_DATE_MAX; z++) {
    rpol_civil_from_days(z, &y, &m, &d);
    if (!rpol_civil_valid(y, m, d) || rpol_days_from_civil(y, m, d) != z) {
      print_error("day %lld -> %lld-%d-%d\n", (long long)z, (long long)y,
                  m, d);
      fail();
    }
  }
  assert_int_equal(y, 9999);
  assert_true(rpol_date_valid(RPOL_DATE_MIN));
  assert_true(rpol_date_valid(RPOL_DATE_MAX));
  assert_false(rpol_date_valid(RPOL_DATE_MIN - 1));
  assert_false(rpol_date_valid(RPOL_DATE_MAX + 1));
  /* nonsense in, no undefined behaviour out */
  rpol_civil_from_days(INT64_MIN, &y, &m, &d);
  rpol_civil_from_days(INT64_MAX, &y, &m, &d);
  (void)rpol_days_from_civil(INT64_MAX, 2, 1);
  (void)rpol_days_from_civil(INT64_MIN, 99, -99999);
  (void)rpol_weekday(INT64_MIN);
}

static void test_date_add(void **state)
{
  static const struct {
    int64_t date, days;
    int rc;
    int64_t want;
  } t[] = {
    {20484, 30, OK, 20514},          /* 2026-01-31 + 30 = 2026-03-02 */
    {20513, -1, OK, 20512},          /* 2026-03-01 - 1 = 2026-02-28 */
    {19783, -1, OK, 19782},          /* 2024-03-01 - 1 = 2024-02-29 */
    {RPOL_DATE_MAX, 1, OVF, 0},
    {RPOL_DATE_MIN, -1, OVF, 0},
    {RPOL_DATE_MAX, -(RPOL_DATE_MAX - RPOL_DATE_MIN), OK, RPOL_DATE_MIN},
    {0, INT64_MAX, OVF, 0},
    {-1, INT64_MIN, OVF, 0},
  };
  size_t i;
  int64_t r = 0;

  (void)state;
  for (i = 0; i < N(t); i++)
    CHECK((int)i, "date_add", rpol_date_add(t[i].date, t[i].days, &r), t[i].rc, t[i].want);
}

static void test_business_days(void **state)
{
  /* 2026-03-02 Mon .. 2026-03-08 Sun = 20514 .. 20520 */
  enum { MON = 20514, TUE, WED, THU, FRI, SAT, SUN };
  static const struct {
    int64_t d, n, want;
  } t[] = {
    {FRI, 1, MON + 7},
    {SAT, 1, MON + 7},          /* the count starts at Monday */
    {SUN, 1, MON + 7},
    {SAT, 5, FRI + 7},
    {MON, 5, MON + 7},
    {WED, 2, FRI},
    {WED, 3, MON + 7},
    {FRI, 10, FRI + 14},
    {WED, -1, TUE},
    {WED, -3, FRI - 7},
    {MON, -1, FRI - 7},
    {SAT, -1, FRI},
    {SUN, -1, FRI},
    {SUN, -5, MON},
    {WED, 0, WED},
    {SAT, 0, SAT},
  };
  size_t i;
  int64_t r = 0;

  (void)state;
  for (i = 0; i < N(t); i++)
    CHECK((int)i, "business_days", rpol_add_business_days(t[i].d, t[i].n, &r), 0, t[i].want);
  assert_int_equal(rpol_add_business_days(RPOL_DATE_MAX, 1, &r), OVF);
  assert_int_equal(rpol_add_business_days(0, INT64_MAX, &r), OVF);
  assert_int_equal(rpol_add_business_days(0, INT64_MIN, &r), OVF);
  assert_int_equal(rpol_add_business_days(RPOL_DATE_MIN, -1, &r), OVF);
}

static void test_format(void **state)
{
  static const struct {
    char kind;
    int64_t v;
    int exp;
    const char *want;
  } t[] = {
    {'m', 1250, 2, "12.50"},
    {'m', -1250, 2, "-12.50"},
    {'m', 5, 2, "0.05"},
    {'m', -5, 2, "-0.05"},
    {'m', 0, 2, "0.00"},
    {'m', 1500, 0, "1500"},
    {'m', -1500, 0, "-1500"},
    {'m', 0, 0, "0"},
    {'m', 12345, 3, "12.345"},
    {'m', 1, 3, "0.001"},
    {'m', INT64_MIN, 2, "-92233720368547758.08"},
    {'m', INT64_MAX, 0, "9223372036854775807"},
    {'p', 125000, 0, "12.5%"},
    {'p', -30000, 0, "-3%"},
    {'p', 1, 0, "0.0001%"},
    {'p', -1, 0, "-0.0001%"},
    {'p', 0, 0, "0%"},
    {'p', 1234567, 0, "123.4567%"},
    {'p', 10000000000LL, 0, "1000000%"},
    {'p', 100, 0, "0.01%"},
    {'d', 0, 0, "1970-01-01"},
    {'d', 20513, 0, "2026-03-01"},
    {'d', RPOL_DATE_MIN, 0, "0001-01-01"},
    {'d', RPOL_DATE_MAX, 0, "9999-12-31"},
    {'d', 11016, 0, "2000-02-29"},
  };
  size_t i;
  char buf[64];
  int n = 0;

  (void)state;
  for (i = 0; i < N(t); i++) {
    memset(buf, 'x', sizeof buf);
    switch (t[i].kind) {
    case 'm': n = rpol_format_money(buf, t[i].v, t[i].exp); break;
    case 'p': n = rpol_format_percent(buf, t[i].v); break;
    case 'd': n = rpol_format_date(buf, t[i].v); break;
    }
    if (strcmp(buf, t[i].want) != 0 || n != (int)strlen(t[i].want)) {
      print_error("row %zu: got \"%s\" (%d), want \"%s\"\n", i, buf, n,
                  t[i].want);
      fail();
    }
  }
}

#define S(lit) {lit, sizeof lit - 1}

static void test_strings(void **state)
{
  struct rpol_str abc = S("abc"), ab = S("ab"), bc = S("bc"), e = S(""),
                  xx = S("xxabcxx"), b = S("b"), abd = S("abd"),
                  uml = S("\xc3\xa4"), z = S("z");

  (void)state;
  assert_int_equal(rpol_str_cmp(&abc, &abc), 0);
  assert_int_equal(rpol_str_cmp(&ab, &abc), -1);
  assert_int_equal(rpol_str_cmp(&abc, &ab), 1);
  assert_int_equal(rpol_str_cmp(&abc, &abd), -1);
  assert_int_equal(rpol_str_cmp(&e, &ab), -1);
  assert_int_equal(rpol_str_cmp(&z, &uml), -1);   /* code-point order */
  assert_true(rpol_str_eq(&e, &e));
  assert_false(rpol_str_eq(&ab, &abc));
  assert_true(rpol_starts_with(&abc, &ab));
  assert_true(rpol_starts_with(&abc, &e));
  assert_false(rpol_starts_with(&ab, &abc));
  assert_true(rpol_ends_with(&abc, &bc));
  assert_false(rpol_ends_with(&abc, &ab));
  assert_true(rpol_ends_with(&e, &e));
  assert_true(rpol_contains(&xx, &abc));
  assert_true(rpol_contains(&abc, &b));
  assert_true(rpol_contains(&e, &e));
  assert_false(rpol_contains(&ab, &abc));
  assert_false(rpol_contains(&abc, &abd));
}

static void test_sets(void **state)
{
  static const int64_t a[] = {-5, 1, 3, 9}, b[] = {1, 2, 9, 10};
  struct rpol_str sa[] = {S("a"), S("c"), S("e")}, sb[] = {S("b"), S("c")};
  struct rpol_money ma[] = {{100, 3241, 0}, {50, 17000, 0}},
                    mb[] = {{100, 3241, 0}, {100, 5000, 0}};
  int64_t dst[8];
  struct rpol_str sdst[5];
  struct rpol_money mdst[4];
  struct rpol_str x = S("c"), y = S("d");
  int64_t n;

  (void)state;
  assert_true(rpol_set_has_int(a, 4, -5));
  assert_true(rpol_set_has_int(a, 4, 9));
  assert_false(rpol_set_has_int(a, 4, 2));
  assert_false(rpol_set_has_int(a, 0, 2));
  n = rpol_set_union_int(a, 4, b, 4, dst);
  assert_int_equal(n, 6);
  assert_true(dst[0] == -5 && dst[1] == 1 && dst[2] == 2 && dst[3] == 3 &&
              dst[4] == 9 && dst[5] == 10);
  n = rpol_set_diff_int(a, 4, b, 4, dst);
  assert_int_equal(n, 2);
  assert_true(dst[0] == -5 && dst[1] == 3);
  n = rpol_set_diff_int(a, 4, b, 0, dst);
  assert_int_equal(n, 4);
  assert_true(rpol_set_has_str(sa, 3, &x));
  assert_false(rpol_set_has_str(sa, 3, &y));
  n = rpol_set_union_str(sa, 3, sb, 2, sdst);
  assert_int_equal(n, 4);
  assert_memory_equal(sdst[1].ptr, "b", 1);
  n = rpol_set_diff_str(sa, 3, sb, 2, sdst);
  assert_int_equal(n, 2);
  assert_memory_equal(sdst[1].ptr, "e", 1);
  assert_true(rpol_set_has_money(ma, 2, 50, 17000));
  assert_false(rpol_set_has_money(ma, 2, 50, 3241));
  n = rpol_set_union_money(ma, 2, mb, 2, mdst);
  assert_int_equal(n, 3);
  assert_true(mdst[1].cur == 5000 && mdst[2].cur == 17000);
  n = rpol_set_diff_money(ma, 2, mb, 2, mdst);
  assert_int_equal(n, 1);
  assert_int_equal(mdst[0].cur, 17000);
}

static void test_codes(void **state)
{
  char c2[3], c3[4];

  (void)state;
  assert_int_equal(rpol_country_code("DE"), 3 * 26 + 4);
  assert_int_equal(rpol_country_code("AA"), 0);
  assert_int_equal(rpol_country_code("ZZ"), 675);
  assert_int_equal(rpol_country_code("de"), -1);
  assert_int_equal(rpol_country_code("DEU"), -1);
  assert_int_equal(rpol_country_code("D"), -1);
  assert_int_equal(rpol_country_code(""), -1);
  assert_int_equal(rpol_currency_code("EUR"), (4 * 26 + 20) * 26 + 17);
  assert_int_equal(rpol_currency_code("ZZZ"), 17575);
  assert_int_equal(rpol_currency_code("EU"), -1);
  assert_int_equal(rpol_currency_code("EURO"), -1);
  assert_int_equal(rpol_currency_code("eur"), -1);
  rpol_country_text(rpol_country_code("GB"), c2);
  assert_string_equal(c2, "GB");
  rpol_currency_text(rpol_currency_code("JPY"), c3);
  assert_string_equal(c3, "JPY");
  rpol_country_text(-1, c2);
  assert_string_equal(c2, "??");
  rpol_currency_text(99999, c3);
  assert_string_equal(c3, "???");
  /* code numbers sort like the codes (sets of codes rely on it) */
  assert_true(rpol_currency_code("CHF") < rpol_currency_code("EUR"));
  assert_true(rpol_country_code("AT") < rpol_country_code("BE"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_int_ops),
    cmocka_unit_test(test_div),
    cmocka_unit_test(test_percent_of),
    cmocka_unit_test(test_percent_of_random),
    cmocka_unit_test(test_number_to_minor),
    cmocka_unit_test(test_round_to),
    cmocka_unit_test(test_civil),
    cmocka_unit_test(test_civil_roundtrip),
    cmocka_unit_test(test_date_add),
    cmocka_unit_test(test_business_days),
    cmocka_unit_test(test_format),
    cmocka_unit_test(test_strings),
    cmocka_unit_test(test_sets),
    cmocka_unit_test(test_codes),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
