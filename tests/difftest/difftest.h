/* difftest.h: differential testing of the three rpol engines.
 *
 * The driver (difftest.c) decides generated return lines with the
 * reference interpreter, the JIT and an ahead-of-time built .so and
 * compares the encoded decisions byte for byte.  Inputs come from a
 * generator driven by a checked program's schema and the literals in its
 * conditions (gen_input.c); policies come from the corpus and from a
 * generator of random well-typed policies (gen_policy.c).  Everything is
 * deterministic from a seed, so every failure can be replayed.
 */
#ifndef DIFFTEST_H
#define DIFFTEST_H

#include <stddef.h>
#include <stdint.h>

#include "ast.h"
#include "session.h"

/* ------------------------------------------------------------- util.c */

/* splitmix64: small, fast, and good enough to drive generators. */
struct dt_rng {
  uint64_t s;
};

void dt_rng_seed(struct dt_rng *r, uint64_t seed);
uint64_t dt_next(struct dt_rng *r);
/* Uniform in [0, n); 0 when n <= 0. */
int64_t dt_below(struct dt_rng *r, int64_t n);
/* True with probability pct/100. */
int dt_chance(struct dt_rng *r, int pct);
/* A well-mixed seed from a base seed and a string or a number, so that a
 * policy's inputs do not change when other policies are added. */
uint64_t dt_mix(uint64_t base, uint64_t v);
uint64_t dt_hash_str(const char *s);

/* A growing string. */
struct dt_buf {
  char *p;
  size_t n, cap;
};

void dt_buf_reset(struct dt_buf *b);
void dt_buf_free(struct dt_buf *b);
void dt_buf_put(struct dt_buf *b, const char *s, size_t n);
void dt_buf_puts(struct dt_buf *b, const char *s);
void dt_buf_printf(struct dt_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A JSON string literal for UTF-8 text s (quotes included). */
void dt_buf_json_str(struct dt_buf *b, const char *s);
char *dt_strdup(const char *s);
char *dt_xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *dt_xmalloc(size_t n);
void *dt_xcalloc(size_t n, size_t k);
void *dt_xrealloc(void *p, size_t n);

/* Dates: days since 1970-01-01 <-> "YYYY-MM-DD". */
int64_t dt_days_from_civil(int y, int m, int d);
void dt_civil_from_days(int64_t z, int *y, int *m, int *d);
#define DT_DATE_MIN (-719162)   /* 0001-01-01 */
#define DT_DATE_MAX 2932896     /* 9999-12-31 */

/* Money minor units as a decimal string with exactly `exp` decimals. */
void dt_fmt_minor(char *out, size_t cap, int64_t minor, int exp);

/* ISO tables of the prelude, read from its D_TABLE declarations. */
struct dt_iso {
  const char **countries;   /* "AD", ... */
  int ncountries;
  const char **currencies;  /* "AED", ... */
  int *exponents;
  int ncurrencies;
};
void dt_iso_load(struct dt_iso *iso, struct session *s);
void dt_iso_free(struct dt_iso *iso);
/* Exponent of currency code text, -1 if not in the table. */
int dt_iso_exponent(const struct dt_iso *iso, const char *code);
/* Code number (ast.h) <-> text. */
void dt_code_text(int num, int letters, char *out);
int dt_code_num(const char *code);

/* ------------------------------------------------------- gen_input.c */

/* One generated return line, as flat field paths with JSON values; kept
 * flat so that the shrinker can drop or simplify one field at a time. */
#define DT_MAX_KV 128
struct dt_kv {
  char *path;      /* "item.price", or "id", or an unknown key */
  char *val;       /* JSON text of the value */
};
struct dt_line {
  int n;
  struct dt_kv kv[DT_MAX_KV];
  char *raw;       /* when set, the whole line as is (malformed lines) */
};

void dt_line_free(struct dt_line *l);
void dt_line_copy(struct dt_line *dst, const struct dt_line *src);
void dt_line_set(struct dt_line *l, const char *path, const char *val);
/* The line as one compact JSON object, roots as nested objects. */
void dt_line_json(const struct dt_line *l, struct dt_buf *out);

struct dt_igen;
/* An input generator for the programs of a bundle (borrowed: they must
 * outlive it).  Harvests every literal of the programs' expressions. */
struct dt_igen *dt_igen_new(struct session *s, const struct dt_iso *iso,
                            struct program **progs, int nprogs);
void dt_igen_free(struct dt_igen *g);
/* Fills *l (freed first) with the next line. */
void dt_igen_line(struct dt_igen *g, struct dt_rng *r, struct dt_line *l);
/* Simpler variants of a JSON value of field `path` for the shrinker, at
 * most `max` of them into out[] (malloc'd); returns how many. */
int dt_igen_simpler(struct dt_igen *g, const char *path, const char *val,
                    char **out, int max);

/* ------------------------------------------------------ gen_policy.c */

/* Writes a random unit for `seed` into the existing directory `dir`: one
 * policy file (most often), a policy and a module it uses, or a bundle
 * directory of two or three policies with disjoint `for` sets (maybe a
 * fallback, maybe a shared module).  Returns the path to evaluate (the
 * policy file or the bundle directory; malloc'd). */
char *dt_pgen_unit(uint64_t seed, const struct dt_iso *iso, const char *dir,
                   const char *name);

#endif
