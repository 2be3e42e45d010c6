/* value.c: exact arithmetic on rpol values (see value.h).
 *
 * This file is compiled twice: into librpol for the runtime and the
 * interpreter, and by clang into LLVM bitcode that the code generator links
 * into every evaluator.  It therefore stays freestanding: no libc beyond
 * memcmp/memcpy/memset, no mutable static data, and no operation that a
 * compiler lowers to a runtime-library call (128-bit division becomes
 * __divti3, 128-bit overflow builtins become __muloti4, neither of which an
 * in-memory JIT module can be assumed to resolve).  128-bit values are only
 * ever multiplied, shifted and compared; division is done by div128_64.
 */
#include <string.h>
#include "value.h"

/* ---- checked 64-bit arithmetic ------------------------------------------ */

int rpol_add(int64_t a, int64_t b, int64_t *out)
{
  return __builtin_add_overflow(a, b, out) ? RPOL_E_OVERFLOW : 0;
}

int rpol_sub(int64_t a, int64_t b, int64_t *out)
{
  return __builtin_sub_overflow(a, b, out) ? RPOL_E_OVERFLOW : 0;
}

int rpol_mul(int64_t a, int64_t b, int64_t *out)
{
  return __builtin_mul_overflow(a, b, out) ? RPOL_E_OVERFLOW : 0;
}

int rpol_neg(int64_t a, int64_t *out)
{
  return __builtin_sub_overflow((int64_t)0, a, out) ? RPOL_E_OVERFLOW : 0;
}

static uint64_t mag64(int64_t a)
{
  /* |INT64_MIN| does not fit int64_t; the unsigned negation is exact. */
  return a < 0 ? (uint64_t)0 - (uint64_t)a : (uint64_t)a;
}

/* A magnitude and a sign as int64_t, or RPOL_E_OVERFLOW. */
static int signed_from(uint64_t m, int neg, int64_t *out)
{
  if (neg) {
    if (m > (uint64_t)1 << 63)
      return RPOL_E_OVERFLOW;
    *out = m == (uint64_t)1 << 63 ? INT64_MIN : -(int64_t)m;
  } else {
    if (m > (uint64_t)INT64_MAX)
      return RPOL_E_OVERFLOW;
    *out = (int64_t)m;
  }
  return 0;
}

/* (u1:u0) / v for u1 < v, with 64-bit operations only (Hacker's Delight,
 * divlu).  Returns the quotient and stores the remainder. */
static uint64_t div128_64(uint64_t u1, uint64_t u0, uint64_t v, uint64_t *r)
{
  const uint64_t b = (uint64_t)1 << 32;
  uint64_t un1, un0, vn1, vn0, q1, q0, un32, un21, un10, rhat;
  int s = __builtin_clzll(v);

  v <<= s;
  vn1 = v >> 32;
  vn0 = v & 0xffffffffu;
  un32 = s ? (u1 << s) | (u0 >> (64 - s)) : u1;
  un10 = u0 << s;
  un1 = un10 >> 32;
  un0 = un10 & 0xffffffffu;

  q1 = un32 / vn1;
  rhat = un32 - q1 * vn1;
  while (q1 >= b || q1 * vn0 > b * rhat + un1) {
    q1--;
    rhat += vn1;
    if (rhat >= b)
      break;
  }
  un21 = un32 * b + un1 - q1 * v;

  q0 = un21 / vn1;
  rhat = un21 - q0 * vn1;
  while (q0 >= b || q0 * vn0 > b * rhat + un0) {
    q0--;
    rhat += vn1;
    if (rhat >= b)
      break;
  }
  *r = (un21 * b + un0 - q0 * v) >> s;
  return q1 * b + q0;
}

/* round(n / d) half away from zero, n given as a 128-bit magnitude and a
 * sign, d > 0. */
static int div_round_u128(unsigned __int128 n, int neg, uint64_t d,
                          int64_t *out)
{
  uint64_t hi = (uint64_t)(n >> 64), lo = (uint64_t)n, q, r;

  if (hi >= d)
    return RPOL_E_OVERFLOW;         /* the quotient needs 65+ bits */
  q = div128_64(hi, lo, d, &r);
  if (r >= d - r) {                 /* 2r >= d without overflowing */
    if (q == UINT64_MAX)
      return RPOL_E_OVERFLOW;
    q++;
  }
  return signed_from(q, neg, out);
}

int rpol_div(int64_t a, int64_t b, int64_t *out)
{
  uint64_t ma, mb, q, r;

  if (b == 0)
    return RPOL_E_DIVISION_BY_ZERO;
  ma = mag64(a);
  mb = mag64(b);
  q = ma / mb;
  r = ma % mb;
  if (r >= mb - r)
    q++;                            /* cannot wrap: q <= 2^63 here */
  return signed_from(q, (a < 0) != (b < 0), out);
}

int rpol_percent_of(int64_t p, int64_t m, int64_t *out)
{
  unsigned __int128 prod = (unsigned __int128)mag64(p) * mag64(m);

  return div_round_u128(prod, (p < 0) != (m < 0), 1000000u, out);
}

int rpol_number_to_minor(int64_t mant, int scale, int exp, int64_t *out)
{
  int64_t v = mant;
  int k;

  if (mant == 0) {
    *out = 0;
    return 0;
  }
  if (exp >= scale) {
    for (k = exp - scale; k > 0; k--)
      if (__builtin_mul_overflow(v, (int64_t)10, &v))
        return RPOL_E_OVERFLOW;
    *out = v;
    return 0;
  }
  /* More decimals than the currency has: exact only if the extra digits
   * are zeros.  Past 18 extra digits, 10^k exceeds any nonzero |mant|. */
  for (k = scale - exp; k > 0; k--) {
    if (v % 10 != 0)
      return RPOL_E_INEXACT_AMOUNT;
    v /= 10;
  }
  *out = v;
  return 0;
}

int rpol_round_to(int64_t m, int64_t unit, int64_t *out)
{
  int64_t q;
  int rc;

  if (unit == 0)
    return RPOL_E_DIVISION_BY_ZERO;
  rc = rpol_div(m, unit, &q);
  if (rc)
    return rc;
  return rpol_mul(q, unit, out);
}

/* ---- dates ---------------------------------------------------------------
 * Howard Hinnant's days_from_civil / civil_from_days, proleptic Gregorian.
 * Arguments are clamped far outside the supported years so that nonsense
 * input gives nonsense output rather than signed overflow. */

#define YEAR_CLAMP 100000000LL
#define DAYS_CLAMP 36500000000LL

int64_t rpol_days_from_civil(int64_t y, int m, int d)
{
  int64_t era, yoe, doy, doe, mp;

  if (y > YEAR_CLAMP)
    y = YEAR_CLAMP;
  if (y < -YEAR_CLAMP)
    y = -YEAR_CLAMP;
  if (m < 1 || m > 12)
    m = 1;
  if (d < -1000 || d > 1000)
    d = 1;
  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  mp = m > 2 ? m - 3 : m + 9;
  doy = (153 * mp + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void rpol_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
  int64_t era, doe, yoe, doy, mp;

  if (z > DAYS_CLAMP)
    z = DAYS_CLAMP;
  if (z < -DAYS_CLAMP)
    z = -DAYS_CLAMP;
  z += 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

int rpol_date_valid(int64_t days)
{
  return days >= RPOL_DATE_MIN && days <= RPOL_DATE_MAX;
}

int rpol_civil_valid(int64_t y, int m, int d)
{
  static const unsigned char mdays[12] = {
    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
  };
  int dim;

  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
    return 0;
  dim = mdays[m - 1];
  if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
    dim = 29;
  return d <= dim;
}

int rpol_date_add(int64_t date, int64_t days, int64_t *out)
{
  int64_t r;

  if (__builtin_add_overflow(date, days, &r) || !rpol_date_valid(r))
    return RPOL_E_OVERFLOW;
  *out = r;
  return 0;
}

int rpol_weekday(int64_t days)
{
  /* 1970-01-01 (day 0) was a Thursday, weekday 4. */
  int64_t r = days % 7;

  if (r < 0)
    r += 7;
  return (int)((r + 3) % 7) + 1;
}

int rpol_add_business_days(int64_t d, int64_t n, int64_t *out)
{
  int64_t step = n < 0 ? -1 : 1, left, r = d;

  if (!rpol_date_valid(d) || n == INT64_MIN)
    return RPOL_E_OVERFLOW;
  left = n < 0 ? -n : n;
  /* From a weekend day the first business day counted is the next weekday
   * (the previous one backwards): Saturday + 1 is Monday. */
  if (left > 0 && rpol_weekday(r) > 5) {
    while (rpol_weekday(r) > 5)
      r += step;
    left--;
  }
  /* From a weekday, every 5 business days are exactly one week. */
  if (left / 5 > (int64_t)(RPOL_DATE_MAX - RPOL_DATE_MIN) / 7 + 1)
    return RPOL_E_OVERFLOW;
  r += step * (left / 5) * 7;
  left %= 5;
  while (left > 0) {
    r += step;
    if (rpol_weekday(r) <= 5)
      left--;
  }
  if (!rpol_date_valid(r))
    return RPOL_E_OVERFLOW;
  *out = r;
  return 0;
}

/* ---- strings -------------------------------------------------------------- */

int rpol_str_cmp(const struct rpol_str *a, const struct rpol_str *b)
{
  int64_t n = a->len < b->len ? a->len : b->len;
  int c = n > 0 ? memcmp(a->ptr, b->ptr, (size_t)n) : 0;

  if (c)
    return c < 0 ? -1 : 1;
  return a->len < b->len ? -1 : a->len > b->len;
}

int rpol_str_eq(const struct rpol_str *a, const struct rpol_str *b)
{
  return a->len == b->len &&
         (a->len == 0 || memcmp(a->ptr, b->ptr, (size_t)a->len) == 0);
}

int rpol_starts_with(const struct rpol_str *s, const struct rpol_str *p)
{
  return p->len <= s->len &&
         (p->len == 0 || memcmp(s->ptr, p->ptr, (size_t)p->len) == 0);
}

int rpol_ends_with(const struct rpol_str *s, const struct rpol_str *p)
{
  return p->len <= s->len &&
         (p->len == 0 ||
          memcmp(s->ptr + (s->len - p->len), p->ptr, (size_t)p->len) == 0);
}

int rpol_contains(const struct rpol_str *s, const struct rpol_str *sub)
{
  int64_t i, last;

  if (sub->len == 0)
    return 1;
  last = s->len - sub->len;
  for (i = 0; i <= last; i++)
    if (s->ptr[i] == sub->ptr[0] &&
        memcmp(s->ptr + i, sub->ptr, (size_t)sub->len) == 0)
      return 1;
  return 0;
}

/* ---- sets ------------------------------------------------------------------ */

int rpol_set_has_int(const int64_t *elems, int64_t n, int64_t x)
{
  int64_t lo = 0, hi = n;

  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (elems[mid] < x)
      lo = mid + 1;
    else if (elems[mid] > x)
      hi = mid;
    else
      return 1;
  }
  return 0;
}

int rpol_set_has_str(const struct rpol_str *elems, int64_t n,
                     const struct rpol_str *x)
{
  int64_t lo = 0, hi = n;

  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    int c = rpol_str_cmp(&elems[mid], x);
    if (c < 0)
      lo = mid + 1;
    else if (c > 0)
      hi = mid;
    else
      return 1;
  }
  return 0;
}

static int money_cmp(const struct rpol_money *a, int64_t amount, int32_t cur)
{
  if (a->cur != cur)
    return a->cur < cur ? -1 : 1;
  if (a->amount != amount)
    return a->amount < amount ? -1 : 1;
  return 0;
}

int rpol_set_has_money(const struct rpol_money *elems, int64_t n,
                       int64_t amount, int32_t cur)
{
  int64_t lo = 0, hi = n;

  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    int c = money_cmp(&elems[mid], amount, cur);
    if (c < 0)
      lo = mid + 1;
    else if (c > 0)
      hi = mid;
    else
      return 1;
  }
  return 0;
}

/* The six merges differ only in element type and comparison. */
#define SET_MERGE(NAME, T, CMP, KEEP_B)                                   \
  int64_t NAME(const T *a, int64_t na, const T *b, int64_t nb, T *dst)   \
  {                                                                       \
    int64_t i = 0, j = 0, k = 0;                                          \
    while (i < na && j < nb) {                                            \
      int c = CMP(&a[i], &b[j]);                                          \
      if (c < 0)                                                          \
        dst[k++] = a[i++];                                                \
      else if (c > 0) {                                                   \
        if (KEEP_B)                                                       \
          dst[k++] = b[j];                                                \
        j++;                                                              \
      } else {                                                            \
        if (KEEP_B)                                                       \
          dst[k++] = a[i];                                                \
        i++;                                                              \
        j++;                                                              \
      }                                                                   \
    }                                                                     \
    while (i < na)                                                        \
      dst[k++] = a[i++];                                                  \
    while (KEEP_B && j < nb)                                              \
      dst[k++] = b[j++];                                                  \
    return k;                                                             \
  }

static int int_cmp(const int64_t *a, const int64_t *b)
{
  return *a < *b ? -1 : *a > *b;
}

static int money_cmp2(const struct rpol_money *a, const struct rpol_money *b)
{
  return money_cmp(a, b->amount, b->cur);
}

SET_MERGE(rpol_set_union_int, int64_t, int_cmp, 1)
SET_MERGE(rpol_set_diff_int, int64_t, int_cmp, 0)
SET_MERGE(rpol_set_union_str, struct rpol_str, rpol_str_cmp, 1)
SET_MERGE(rpol_set_diff_str, struct rpol_str, rpol_str_cmp, 0)
SET_MERGE(rpol_set_union_money, struct rpol_money, money_cmp2, 1)
SET_MERGE(rpol_set_diff_money, struct rpol_money, money_cmp2, 0)

/* ---- codes ------------------------------------------------------------------ */

static int upper(char c)
{
  return c >= 'A' && c <= 'Z';
}

int rpol_country_code(const char *s)
{
  if (!upper(s[0]) || !upper(s[1]) || s[2] != '\0')
    return -1;
  return (s[0] - 'A') * 26 + (s[1] - 'A');
}

int rpol_currency_code(const char *s)
{
  if (!upper(s[0]) || !upper(s[1]) || !upper(s[2]) || s[3] != '\0')
    return -1;
  return ((s[0] - 'A') * 26 + (s[1] - 'A')) * 26 + (s[2] - 'A');
}

void rpol_country_text(int code, char out[3])
{
  if (code < 0 || code >= RPOL_NCOUNTRY_CODES) {
    out[0] = out[1] = '?';
  } else {
    out[0] = (char)('A' + code / 26);
    out[1] = (char)('A' + code % 26);
  }
  out[2] = '\0';
}

void rpol_currency_text(int code, char out[4])
{
  if (code < 0 || code >= RPOL_NCURRENCY_CODES) {
    out[0] = out[1] = out[2] = '?';
  } else {
    out[0] = (char)('A' + code / 676);
    out[1] = (char)('A' + code / 26 % 26);
    out[2] = (char)('A' + code % 26);
  }
  out[3] = '\0';
}

/* ---- text forms ------------------------------------------------------------- */

/* Decimal digits of m, at least `width` of them, right-aligned, into buf;
 * returns the digit count. */
static int put_digits(char *buf, uint64_t m, int width)
{
  char tmp[24];
  int n = 0, i;

  do {
    tmp[n++] = (char)('0' + m % 10);
    m /= 10;
  } while (m);
  while (n < width)
    tmp[n++] = '0';
  for (i = 0; i < n; i++)
    buf[i] = tmp[n - 1 - i];
  return n;
}

int rpol_format_money(char *buf, int64_t minor, int exp)
{
  char digits[24];
  int n, len = 0, i, ip;

  if (exp < 0)
    exp = 0;
  if (exp > 18)
    exp = 18;
  n = put_digits(digits, mag64(minor), exp + 1);
  if (minor < 0)
    buf[len++] = '-';
  ip = n - exp;
  for (i = 0; i < ip; i++)
    buf[len++] = digits[i];
  if (exp > 0) {
    buf[len++] = '.';
    for (; i < n; i++)
      buf[len++] = digits[i];
  }
  buf[len] = '\0';
  return len;
}

int rpol_format_percent(char *buf, int64_t p)
{
  uint64_t m = mag64(p);
  uint64_t frac = m % 10000;
  int len = 0, nf = 4;
  char f[4];

  if (p < 0)
    buf[len++] = '-';
  len += put_digits(buf + len, m / 10000, 1);
  if (frac) {
    put_digits(f, frac, 4);
    while (nf > 0 && f[nf - 1] == '0')
      nf--;
    buf[len++] = '.';
    memcpy(buf + len, f, (size_t)nf);
    len += nf;
  }
  buf[len++] = '%';
  buf[len] = '\0';
  return len;
}

int rpol_format_date(char *buf, int64_t days)
{
  int64_t y;
  int m, d, len = 0;

  rpol_civil_from_days(days, &y, &m, &d);
  if (y < 0)
    buf[len++] = '-';
  len += put_digits(buf + len, mag64(y), 4);
  buf[len++] = '-';
  len += put_digits(buf + len, (uint64_t)m, 2);
  buf[len++] = '-';
  len += put_digits(buf + len, (uint64_t)d, 2);
  buf[len] = '\0';
  return len;
}
