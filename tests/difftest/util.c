/* util.c: random numbers, strings, dates and ISO tables for difftest. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "difftest.h"

/* ---------------------------------------------------------------- memory */

void *dt_xmalloc(size_t n)
{
  void *p = malloc(n ? n : 1);
  if (!p) {
    fprintf(stderr, "difftest: out of memory\n");
    exit(2);
  }
  return p;
}

void *dt_xcalloc(size_t n, size_t k)
{
  void *p = calloc(n ? n : 1, k ? k : 1);
  if (!p) {
    fprintf(stderr, "difftest: out of memory\n");
    exit(2);
  }
  return p;
}

void *dt_xrealloc(void *p, size_t n)
{
  p = realloc(p, n ? n : 1);
  if (!p) {
    fprintf(stderr, "difftest: out of memory\n");
    exit(2);
  }
  return p;
}

char *dt_strdup(const char *s)
{
  size_t n = strlen(s);
  char *p = dt_xmalloc(n + 1);
  memcpy(p, s, n + 1);
  return p;
}

char *dt_xprintf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *p = dt_xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

/* ------------------------------------------------------------------- rng */

void dt_rng_seed(struct dt_rng *r, uint64_t seed)
{
  r->s = seed;
}

uint64_t dt_next(struct dt_rng *r)
{
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

int64_t dt_below(struct dt_rng *r, int64_t n)
{
  if (n <= 0)
    return 0;
  return (int64_t)(dt_next(r) % (uint64_t)n);
}

int dt_chance(struct dt_rng *r, int pct)
{
  return dt_below(r, 100) < pct;
}

uint64_t dt_mix(uint64_t base, uint64_t v)
{
  struct dt_rng r = { base ^ (v * 0xd6e8feb86659fd93ull) };
  dt_next(&r);
  return dt_next(&r);
}

uint64_t dt_hash_str(const char *s)
{
  uint64_t h = 1469598103934665603ull;    /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* --------------------------------------------------------------- buffers */

void dt_buf_reset(struct dt_buf *b)
{
  b->n = 0;
  if (b->p)
    b->p[0] = 0;
}

void dt_buf_free(struct dt_buf *b)
{
  free(b->p);
  b->p = NULL;
  b->n = b->cap = 0;
}

void dt_buf_put(struct dt_buf *b, const char *s, size_t n)
{
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 256;
    while (cap < b->n + n + 1)
      cap *= 2;
    b->p = dt_xrealloc(b->p, cap);
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}

void dt_buf_puts(struct dt_buf *b, const char *s)
{
  dt_buf_put(b, s, strlen(s));
}

void dt_buf_printf(struct dt_buf *b, const char *fmt, ...)
{
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n < sizeof small) {
    dt_buf_put(b, small, (size_t)n);
    return;
  }
  char *big = dt_xmalloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  dt_buf_put(b, big, (size_t)n);
  free(big);
}

void dt_buf_json_str(struct dt_buf *b, const char *s)
{
  dt_buf_put(b, "\"", 1);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      char e[2] = { '\\', (char)c };
      dt_buf_put(b, e, 2);
    } else if (c < 0x20) {
      dt_buf_printf(b, "\\u%04x", c);
    } else {
      dt_buf_put(b, (const char *)&c, 1);
    }
  }
  dt_buf_put(b, "\"", 1);
}

/* ----------------------------------------------------------------- dates */

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t dt_days_from_civil(int y, int m, int d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void dt_civil_from_days(int64_t z, int *y, int *m, int *d)
{
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t dd = doy - (153 * mp + 2) / 5 + 1;
  int64_t mm = mp + (mp < 10 ? 3 : -9);
  *y = (int)(yy + (mm <= 2));
  *m = (int)mm;
  *d = (int)dd;
}

void dt_fmt_minor(char *out, size_t cap, int64_t minor, int exp)
{
  uint64_t u = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
  char digits[32];
  int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)u);
  char tmp[48];
  int k = 0;
  if (minor < 0)
    tmp[k++] = '-';
  if (exp <= 0) {
    memcpy(tmp + k, digits, (size_t)n);
    k += n;
  } else {
    int whole = n - exp;
    if (whole <= 0) {
      tmp[k++] = '0';
      tmp[k++] = '.';
      for (int i = whole; i < 0; i++)
        tmp[k++] = '0';
      memcpy(tmp + k, digits, (size_t)n);
      k += n;
    } else {
      memcpy(tmp + k, digits, (size_t)whole);
      k += whole;
      tmp[k++] = '.';
      memcpy(tmp + k, digits + whole, (size_t)exp);
      k += exp;
    }
  }
  tmp[k] = 0;
  snprintf(out, cap, "%s", tmp);
}

/* ------------------------------------------------------------ ISO tables */

void dt_iso_load(struct dt_iso *iso, struct session *s)
{
  memset(iso, 0, sizeof *iso);
  session_load_prelude(s);
  for (int i = 0; i < s->nprelude; i++) {
    struct file *f = s->prelude[i];
    for (int j = 0; f && j < f->ndecls; j++) {
      struct decl *d = f->decls[j];
      if (d->kind != D_TABLE || !d->name)
        continue;
      int n = d->u.table.n;
      if (strcmp(d->name, "country") == 0) {
        iso->countries = dt_xcalloc((size_t)n, sizeof *iso->countries);
        for (int k = 0; k < n; k++)
          iso->countries[k] = dt_strdup(d->u.table.codes[k]);
        iso->ncountries = n;
      } else if (strcmp(d->name, "currency") == 0) {
        iso->currencies = dt_xcalloc((size_t)n, sizeof *iso->currencies);
        iso->exponents = dt_xcalloc((size_t)n, sizeof *iso->exponents);
        for (int k = 0; k < n; k++) {
          iso->currencies[k] = dt_strdup(d->u.table.codes[k]);
          iso->exponents[k] = d->u.table.numbers ? d->u.table.numbers[k]
                                                 : 2;
        }
        iso->ncurrencies = n;
      }
    }
  }
  /* Without a prelude table (should not happen) fall back to a few codes
   * so that the generators still produce something. */
  if (!iso->ncountries) {
    static const char *c[] = { "DE", "FR", "GB", "US", "JP", "KW", "CH" };
    iso->ncountries = 7;
    iso->countries = dt_xcalloc(7, sizeof *iso->countries);
    for (int k = 0; k < 7; k++)
      iso->countries[k] = dt_strdup(c[k]);
  }
  if (!iso->ncurrencies) {
    static const char *c[] = { "EUR", "USD", "GBP", "JPY", "KWD", "CHF" };
    static const int e[] = { 2, 2, 2, 0, 3, 2 };
    iso->ncurrencies = 6;
    iso->currencies = dt_xcalloc(6, sizeof *iso->currencies);
    iso->exponents = dt_xcalloc(6, sizeof *iso->exponents);
    for (int k = 0; k < 6; k++) {
      iso->currencies[k] = dt_strdup(c[k]);
      iso->exponents[k] = e[k];
    }
  }
}

void dt_iso_free(struct dt_iso *iso)
{
  for (int i = 0; i < iso->ncountries; i++)
    free((char *)iso->countries[i]);
  for (int i = 0; i < iso->ncurrencies; i++)
    free((char *)iso->currencies[i]);
  free(iso->countries);
  free(iso->currencies);
  free(iso->exponents);
  memset(iso, 0, sizeof *iso);
}

int dt_iso_exponent(const struct dt_iso *iso, const char *code)
{
  for (int i = 0; i < iso->ncurrencies; i++)
    if (strcmp(iso->currencies[i], code) == 0)
      return iso->exponents[i];
  return -1;
}

void dt_code_text(int num, int letters, char *out)
{
  for (int i = letters - 1; i >= 0; i--) {
    out[i] = (char)('A' + num % 26);
    num /= 26;
  }
  out[letters] = 0;
}

int dt_code_num(const char *code)
{
  int v = 0;
  for (; *code; code++)
    v = v * 26 + (*code - 'A');
  return v;
}
