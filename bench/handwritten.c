/* bench/handwritten.c: bench/policy.rpol by hand, as an evaluator.
 *
 * Written the way a careful C programmer would: slot numbers and enum
 * members as constants, one table lookup for every region test, lets
 * computed once into locals, checked 64-bit arithmetic where the policy's
 * money could overflow, and the currency checks that money read from input
 * needs (a line may give "12.00 USD" in a EUR order).  No trace is kept:
 * a hand-written function has none.  Keep in step with bench/policy.rpol.
 */
#include <stdio.h>
#include <string.h>
#include "handwritten.h"

/* Input slots of policy 0 (the prelude's schema order). */
enum {
  S_COUNTRY = 1, S_TIER = 2, S_RETURNS_90D = 3, S_CURRENCY = 5,
  S_PAYMENT = 6, S_DELIVERED = 8, S_SHIPPING_PAID = 10, S_DUTIES_PAID = 11,
  S_INCOTERM = 12, S_CATEGORY = 14, S_PRICE = 15, S_DISCOUNT = 16,
  S_QUANTITY = 17, S_CONDITION = 18, S_FINAL_SALE = 19, S_REQ_DATE = 21,
  S_REASON = 22, S_PREFERRED = 23, S_METHOD = 24
};

/* Standard enum members (§4 order). */
enum { VIP = 1 };
enum { PM_GIFT_CARD = 4, PM_STORE_CREDIT = 5, PM_COD = 6 };
enum { DDP = 1 };
enum { C_ELECTRONICS = 3, C_BEAUTY = 4, C_HYGIENE = 5, C_PERISHABLE = 6,
       C_PERSONALIZED = 7, C_DIGITAL = 13, C_GIFT_CARD = 14 };
enum { NEW = 0, DAMAGED = 3 };
enum { R_DEFECTIVE = 2, R_WRONG_ITEM = 3, R_DAMAGED_IN_TRANSIT = 4,
       R_NOT_AS_DESCRIBED = 5 };
enum { RM_ORIGINAL = 0, RM_STORE_CREDIT = 1, RM_EXCHANGE = 2 };
enum { P_CUSTOMER = 0, P_MERCHANT = 1 };
enum { M_IN_STORE = 2 };

/* Reason codes, in the order the policy first uses them. */
enum { NOT_DELIVERED, NON_RETURNABLE, WARRANTY, FINAL_SALE, HYGIENE,
       DAMAGED_CODE, SERIAL_RETURNER, WINDOW_CLOSED };

/* Region bits per country code number. */
enum { EEA = 1, GB_CH = 2, NORTH_AMERICA = 4, APAC = 8, GCC = 16,
       US_CA = 32 };
static uint8_t region[RPOL_NCOUNTRY_CODES];

#define BIT(x) (1u << (x))
static const unsigned faulty_reasons = BIT(R_DEFECTIVE) | BIT(R_WRONG_ITEM)
    | BIT(R_DAMAGED_IN_TRANSIT) | BIT(R_NOT_AS_DESCRIBED);
static const unsigned non_returnable = BIT(C_PERISHABLE)
    | BIT(C_PERSONALIZED) | BIT(C_DIGITAL) | BIT(C_GIFT_CARD);
static const unsigned hygiene = BIT(C_HYGIENE) | BIT(C_BEAUTY);
static const unsigned prepaid = BIT(PM_GIFT_CARD) | BIT(PM_STORE_CREDIT)
    | BIT(PM_COD);

static const int64_t major_unit[] = {1, 10, 100, 1000, 10000};

static void mark(const char *codes, unsigned bit)
{
  for (const char *c = codes;; c += 3) {
    region[(c[0] - 'A') * 26 + (c[1] - 'A')] |= (uint8_t)bit;
    if (!c[2])
      break;
  }
}

/* The end-to-end program (e2e_handwritten.c) links without librpol. */
#ifndef BENCH_STANDALONE
static const struct {
  int slot;
  const char *path;
} slots[] = {
  {S_COUNTRY, "customer.country"}, {S_TIER, "customer.tier"},
  {S_RETURNS_90D, "customer.returns_90d"}, {S_CURRENCY, "order.currency"},
  {S_PAYMENT, "order.payment_method"}, {S_DELIVERED, "order.delivered_at"},
  {S_SHIPPING_PAID, "order.shipping_paid"},
  {S_DUTIES_PAID, "order.duties_paid"}, {S_INCOTERM, "order.incoterm"},
  {S_CATEGORY, "item.category"}, {S_PRICE, "item.price"},
  {S_DISCOUNT, "item.discount"}, {S_QUANTITY, "item.quantity"},
  {S_CONDITION, "item.condition"}, {S_FINAL_SALE, "item.final_sale"},
  {S_REQ_DATE, "request.date"}, {S_REASON, "request.reason"},
  {S_PREFERRED, "request.preferred_refund"}, {S_METHOD, "request.method"},
};

int rpol_bench_init(const rpol_policy *p, char *msg, size_t cap)
{
  for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
    if (rpol_input_slot(p, 0, slots[i].path) != slots[i].slot) {
      snprintf(msg, cap, "slot of %s is not %d", slots[i].path,
               slots[i].slot);
      return -1;
    }
  rpol_bench_tables();
  return 0;
}
#endif

void rpol_bench_tables(void)
{
  memset(region, 0, sizeof region);
  mark("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT "
       "RO SK SI ES SE IS LI NO", EEA);
  mark("GB CH", GB_CH);
  mark("US CA MX", NORTH_AMERICA);
  mark("AU BD BN CN FJ HK ID IN JP KH KR LA LK MM MN MO MY NP NZ PG PH PK "
       "SG TH TW VN", APAC);
  mark("AE BH KW OM QA SA", GCC);
  mark("US CA", US_CA);
}

static void put(struct rpol_result *res, int k, int kind, int64_t v,
                int32_t cur)
{
  res->out[k].present = 1;
  res->out[k].kind = (uint8_t)kind;
  res->out[k].cur = cur;
  res->out[k].v = v;
}

static int fail(struct rpol_result *res, int code)
{
  res->code = code;
  return code;
}

int rpol_bench_eval(const struct rpol_slot *in, struct rpol_result *res,
                    const struct rpol_env *env)
{
  int32_t cur = (int32_t)in[S_CURRENCY].v;
  unsigned reg = region[in[S_COUNTRY].v];
  int faulty = (faulty_reasons >> in[S_REASON].v) & 1;
  int opened = in[S_CONDITION].v != NEW;
  int vip = in[S_TIER].v == VIP;
  int64_t category = in[S_CATEGORY].v;
  int delivered_known = in[S_DELIVERED].present;
  int64_t today = in[S_REQ_DATE].v;
  int64_t age = today - (delivered_known ? in[S_DELIVERED].v : today);
  int64_t window, v;

  window = vip ? 60 : reg & (EEA | GB_CH) ? 30 : reg & NORTH_AMERICA ? 45
         : reg & APAC ? 21 : reg & GCC ? 7 : 14;

  /* eligible: a denial ends the decision. */
  int verdict = 0, reason = -1;
  if (!delivered_known)
    verdict = 1, reason = NOT_DELIVERED;
  else if ((non_returnable >> category & 1) && !faulty)
    verdict = 2, reason = NON_RETURNABLE;
  else if (faulty && age <= 365)
    ;
  else if (faulty)
    verdict = 1, reason = WARRANTY;
  else if (in[S_FINAL_SALE].v)
    verdict = 2, reason = FINAL_SALE;
  else if ((hygiene >> category & 1) && opened)
    verdict = 2, reason = HYGIENE;
  else if (in[S_CONDITION].v == DAMAGED)
    verdict = 2, reason = DAMAGED_CODE;
  else if (in[S_RETURNS_90D].v > 10)
    verdict = 1, reason = SERIAL_RETURNER;
  else if (age > window)
    verdict = 2, reason = WINDOW_CLOSED;
  res->verdict = verdict;
  res->reason = reason;
  put(res, OUT_ELIGIBLE, RPOL_K_ENUM, verdict, 0);
  if (verdict == 2)
    return 0;

  int64_t major = major_unit[env->cur_exponent[cur]];
  const struct rpol_slot *price = &in[S_PRICE], *disc = &in[S_DISCOUNT];
  int64_t line;
  if (price->cur != disc->cur)
    return fail(res, RPOL_E_CURRENCY_MISMATCH);
  if (__builtin_mul_overflow(price->v, in[S_QUANTITY].v, &line)
      || __builtin_sub_overflow(line, disc->v, &line))
    return fail(res, RPOL_E_OVERFLOW);
  int32_t line_cur = price->cur;

  int64_t rm = in[S_PREFERRED].v == RM_EXCHANGE ? RM_EXCHANGE
             : in[S_PREFERRED].v == RM_STORE_CREDIT ? RM_STORE_CREDIT
             : (prepaid >> in[S_PAYMENT].v & 1) ? RM_STORE_CREDIT
             : RM_ORIGINAL;
  put(res, OUT_REFUND_METHOD, RPOL_K_ENUM, rm, 0);

  int merchant;
  if (faulty || vip || in[S_METHOD].v == M_IN_STORE)
    merchant = 1;
  else {
    if (line_cur != cur)
      return fail(res, RPOL_E_CURRENCY_MISMATCH);
    merchant = line >= 100 * major;
  }
  put(res, OUT_SHIPPING_PAYER, RPOL_K_ENUM,
      merchant ? P_MERCHANT : P_CUSTOMER, 0);

  int64_t restock = 0;
  int32_t restock_cur = cur;
  if (!faulty && opened) {
    __int128 t = (__int128)line * (category == C_ELECTRONICS ? 15 : 10);
    restock = (int64_t)((t + (t < 0 ? -50 : 50)) / 100);
    restock_cur = line_cur;
  }
  int64_t label = merchant ? 0 : reg & US_CA ? 6 * major : 8 * major;
  put(res, OUT_RESTOCKING_FEE, RPOL_K_MONEY, restock, restock_cur);
  put(res, OUT_RETURN_SHIPPING_FEE, RPOL_K_MONEY, label, cur);

  const struct rpol_slot *sp = &in[S_SHIPPING_PAID];
  int64_t ship = 0;
  int32_t ship_cur = cur;
  if (faulty || (reg & EEA && age <= 14))
    ship = sp->v, ship_cur = sp->cur;
  put(res, OUT_SHIPPING_REFUND, RPOL_K_MONEY, ship, ship_cur);

  const struct rpol_slot *dp = &in[S_DUTIES_PAID];
  int64_t duties = 0;
  int32_t duties_cur = cur;
  if (in[S_INCOTERM].v == DDP && faulty)
    duties = dp->v, duties_cur = dp->cur;
  put(res, OUT_DUTIES_REFUND, RPOL_K_MONEY, duties, duties_cur);

  /* The standard outputs must be in the order currency. */
  if (restock_cur != cur || ship_cur != cur || duties_cur != cur)
    return fail(res, RPOL_E_CURRENCY_MISMATCH);

  /* refund_amount: the prelude's default formula. */
  int64_t gross;
  if (price->cur != cur || disc->cur != cur)
    return fail(res, RPOL_E_CURRENCY_MISMATCH);
  if (__builtin_mul_overflow(price->v, in[S_QUANTITY].v, &v)
      || __builtin_sub_overflow(v, disc->v, &v)
      || __builtin_sub_overflow(v, restock, &v)
      || __builtin_sub_overflow(v, label, &v)
      || __builtin_add_overflow(v, ship, &v)
      || __builtin_add_overflow(v, duties, &gross))
    return fail(res, RPOL_E_OVERFLOW);
  put(res, OUT_REFUND_AMOUNT, RPOL_K_MONEY, gross > 0 ? gross : 0, cur);
  put(res, OUT_RETURN_REQUIRED, RPOL_K_BOOL, 1, 0);
  put(res, OUT_WINDOW, RPOL_K_DURATION, window, 0);
  put(res, OUT_REFUND_WITHIN, RPOL_K_DURATION, reg & EEA ? 14 : 30, 0);
  return 0;
}
