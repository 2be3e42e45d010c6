/* value.h: exact arithmetic on rpol values, shared by every back end.
 *
 * Money is an integer count of minor units, percents are scaled by 10^4,
 * dates are days since 1970-01-01 in the proleptic Gregorian calendar.
 * Every operation that can fail returns an enum rpol_code (0 = fine) and
 * writes its result through `out`; nothing here allocates, reads global
 * state or touches floating point.  Rounding is always half away from zero.
 *
 * The runtime and the interpreter call these functions; the code generator
 * links the same file, compiled to LLVM bitcode, into every evaluator so
 * that they inline and an artifact needs no symbol from its host.
 */
#ifndef RPOL_VALUE_H
#define RPOL_VALUE_H

#include <stddef.h>
#include <stdint.h>
#include "rpol_abi.h"

#define RPOL_DATE_MIN (-719162)   /* 0001-01-01 */
#define RPOL_DATE_MAX 2932896     /* 9999-12-31 */

/* int and duration arithmetic, checked (RPOL_E_OVERFLOW). */
int rpol_add(int64_t a, int64_t b, int64_t *out);
int rpol_sub(int64_t a, int64_t b, int64_t *out);
int rpol_mul(int64_t a, int64_t b, int64_t *out);
int rpol_neg(int64_t a, int64_t *out);
/* a / b rounded half away from zero; RPOL_E_DIVISION_BY_ZERO for b == 0. */
int rpol_div(int64_t a, int64_t b, int64_t *out);

/* `p of m`: m * p / 10^6 (p is a percent scaled by 10^4), rounded, with a
 * 128-bit intermediate. */
int rpol_percent_of(int64_t p, int64_t m, int64_t *out);

/* A decimal number of major units (mant / 10^scale) as minor units of a
 * currency with exponent `exp`: RPOL_E_INEXACT_AMOUNT when it needs more
 * decimals than the currency has, RPOL_E_OVERFLOW past 64 bits. */
int rpol_number_to_minor(int64_t mant, int scale, int exp, int64_t *out);

/* round(m, unit): m to a multiple of unit, half away from zero.
 * RPOL_E_DIVISION_BY_ZERO for unit == 0. */
int rpol_round_to(int64_t m, int64_t unit, int64_t *out);

/* Dates. */
int64_t rpol_days_from_civil(int64_t y, int m, int d);
void rpol_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int rpol_date_valid(int64_t days);            /* within 0001..9999 */
int rpol_civil_valid(int64_t y, int m, int d);
/* date + duration, RPOL_E_OVERFLOW outside 0001-01-01..9999-12-31. */
int rpol_date_add(int64_t date, int64_t days, int64_t *out);
int rpol_weekday(int64_t days);               /* 1 Monday .. 7 Sunday */
/* The date n business days (Monday-Friday) after d (before, for n < 0);
 * from a weekend day the count starts at the next (previous) weekday. */
int rpol_add_business_days(int64_t d, int64_t n, int64_t *out);

/* Strings (byte-wise on UTF-8, which is code-point order). */
int rpol_str_cmp(const struct rpol_str *a, const struct rpol_str *b);
int rpol_str_eq(const struct rpol_str *a, const struct rpol_str *b);
int rpol_starts_with(const struct rpol_str *s, const struct rpol_str *p);
int rpol_ends_with(const struct rpol_str *s, const struct rpol_str *p);
int rpol_contains(const struct rpol_str *s, const struct rpol_str *sub);

/* Membership in sorted sets (see struct rpol_slot). */
int rpol_set_has_int(const int64_t *elems, int64_t n, int64_t x);
int rpol_set_has_str(const struct rpol_str *elems, int64_t n,
                     const struct rpol_str *x);
int rpol_set_has_money(const struct rpol_money *elems, int64_t n,
                       int64_t amount, int32_t cur);

/* Set union and difference into `dst` (room for na + nb elements); return
 * the element count.  Inputs sorted and duplicate-free; so is the result. */
int64_t rpol_set_union_int(const int64_t *a, int64_t na, const int64_t *b,
                           int64_t nb, int64_t *dst);
int64_t rpol_set_diff_int(const int64_t *a, int64_t na, const int64_t *b,
                          int64_t nb, int64_t *dst);
int64_t rpol_set_union_str(const struct rpol_str *a, int64_t na,
                           const struct rpol_str *b, int64_t nb,
                           struct rpol_str *dst);
int64_t rpol_set_diff_str(const struct rpol_str *a, int64_t na,
                          const struct rpol_str *b, int64_t nb,
                          struct rpol_str *dst);
int64_t rpol_set_union_money(const struct rpol_money *a, int64_t na,
                             const struct rpol_money *b, int64_t nb,
                             struct rpol_money *dst);
int64_t rpol_set_diff_money(const struct rpol_money *a, int64_t na,
                            const struct rpol_money *b, int64_t nb,
                            struct rpol_money *dst);

/* Codes. */
int rpol_country_code(const char *s);   /* "DE" -> number, -1 if not AA */
int rpol_currency_code(const char *s);  /* "EUR" -> number, -1 */
void rpol_country_text(int code, char out[3]);
void rpol_currency_text(int code, char out[4]);

/* Text forms used by the JSON encoder and by diagnostics.  Each writes a
 * NUL-terminated string to buf (at least 32 bytes) and returns its length. */
int rpol_format_money(char *buf, int64_t minor, int exp);   /* "-12.50" */
int rpol_format_percent(char *buf, int64_t p);              /* "12.5%" */
int rpol_format_date(char *buf, int64_t days);              /* 2026-03-01 */

#endif
