/* externs.c: a real extern library for the test suite (§9).
 *
 * Built as a shared object and bound by name with --extern-lib, it stands
 * in for the host services a merchant would plug in: a fraud score, a
 * block list, a holiday calendar.  Every C type of the extern ABI appears
 * as a parameter and as a result: bool is int, int is int64_t, string is
 * const char * (NUL-terminated UTF-8, valid only during the call), date is
 * int32_t days since 1970-01-01.
 */
#include <stdint.h>
#include <string.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant). */
static int32_t days_from_civil(int32_t y, int m, int d)
{
  y -= m <= 2;
  int32_t era = (y >= 0 ? y : y - 399) / 400;
  int32_t yoe = y - era * 400;
  int32_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* A score from 0 to 99 that depends on every byte of the id, so that a
 * wrongly marshalled string shows. "c-fraud" scores 99, "" scores 0. */
int64_t fraud_score(const char *customer_id)
{
  if (strcmp(customer_id, "c-fraud") == 0)
    return 99;
  uint64_t h = 0;
  for (const unsigned char *p = (const unsigned char *)customer_id; *p; p++)
    h = h * 31 + *p;
  return (int64_t)(h % 50);
}

/* Customers on the block list: ids that start with "blk-". */
int is_blocked(const char *id)
{
  return strncmp(id, "blk-", 4) == 0;
}

/* The last day of the holiday returns extension for purchases made in
 * `year`: January 31 of the next year. */
int32_t holiday_end(int32_t year)
{
  return days_from_civil(year + 1, 1, 31);
}

/* Whether a date falls in the holiday season (Nov 15 .. Dec 31). */
int in_holiday_season(int32_t date)
{
  /* Scan years: the date's year is the one whose Jan 1 is at or before. */
  int32_t y = 1970 + date / 366;
  while (days_from_civil(y + 1, 1, 1) <= date)
    y++;
  while (days_from_civil(y, 1, 1) > date)
    y--;
  return date >= days_from_civil(y, 11, 15);
}

/* The extra days granted to a loyalty tier given as text; -1 marks an
 * unknown tier. */
int64_t loyalty_bonus_days(const char *tier, int64_t years)
{
  int64_t base = strcmp(tier, "vip") == 0 ? 30
                 : strcmp(tier, "standard") == 0 ? 0 : -1;
  return base < 0 ? -1 : base + (years > 5 ? 5 : years);
}

/* A routing label for a warehouse, built from a country and a flag. */
const char *warehouse_for(const char *country, int bulky)
{
  if (bulky)
    return "bulky-central";
  if (strcmp(country, "DE") == 0 || strcmp(country, "AT") == 0)
    return "wh-leipzig";
  return "wh-default";
}

/* Mixed signature: a date, an int and a bool in; a date out. */
int32_t shift_date(int32_t date, int64_t days, int forward)
{
  return forward ? date + (int32_t)days : date - (int32_t)days;
}

/* Returns an out-of-range date, to check the evaluators' guard. */
int32_t bad_date(int32_t date)
{
  (void)date;
  return 3000000;
}
