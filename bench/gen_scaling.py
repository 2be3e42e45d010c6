#!/usr/bin/env python3
"""bench/gen_scaling.py N: a policy of about N cases, for compile scaling.

The shape of a large merchant's policy: per-market, per-category and
per-reason exceptions, each a `when` of eligible with its own reason code,
then the fee and window rules of bench/policy.rpol.  Every case tests
different values, so none is unreachable, and the policy reads the same
inputs as bench/policy.rpol (bench/gen_inputs.py lines decide with it).
A block holds at most 1,000 cases (docs/limits.md): beyond eligible's
first 990, the exceptions go to custom outputs of up to 1,000 cases each
(a handling-days figure per market, category, reason and condition).
"""
import sys

COUNTRIES = """AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO
SK SI ES SE IS LI NO CH GB US CA MX BR AR CL CO PE UY AU NZ JP KR CN HK TW
SG MY TH ID PH VN IN AE SA QA KW BH OM TR IL ZA EG MA NG KE""".split()
CATEGORIES = ["apparel", "footwear", "accessories", "electronics", "beauty",
              "hygiene", "perishable", "personalized", "furniture", "home",
              "books", "media", "software", "digital", "gift_card", "other"]
REASONS = ["changed_mind", "size_fit", "defective", "wrong_item",
           "damaged_in_transit", "not_as_described", "late_delivery",
           "other"]
CONDITIONS = ["new", "opened", "used", "damaged"]

TAIL = """
decide window {
  when customer.tier == vip                 => 60 days
  when customer.country in EEA              => 30 days
  otherwise                                 => 14 days
}

decide refund_method {
  when request.preferred_refund == exchange     => exchange
  otherwise                                     => original_payment
}

decide shipping_payer {
  when faulty or line_total >= 100          => merchant
  otherwise                                 => customer
}
"""
FIXED = 10   # the cases of TAIL (7) and eligible's fixed ones (3)
ELIGIBLE_MAX = 990   # eligible's exceptions (a block holds 1,000 cases)
BLOCK_MAX = 1000


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    out = sys.stdout
    out.write('policy "scaling-%d" version "1"\n\n' % n)
    out.write("const FAULTY = {defective, wrong_item, damaged_in_transit,"
              " not_as_described}\n")
    out.write("let faulty = request.reason in FAULTY\n")
    out.write("let age: duration = request.date - "
              "(order.delivered_at ?? request.date)\n")
    out.write("let line_total: money = item.price * item.quantity"
              " - item.discount\n\n")
    out.write("decide eligible {\n")
    out.write('  when not present(order.delivered_at) => review '
              '"not_delivered"\n')
    want = max(n - FIXED, 0)
    combos = [(c, cat, r, cond) for c in COUNTRIES for cat in CATEGORIES
              for r in REASONS for cond in CONDITIONS]
    first = min(want, ELIGIBLE_MAX)
    for k in range(first):
        c, cat, r, cond = combos[k % len(combos)]
        limit = 7 + (k * 7) % 60
        out.write("  when customer.country == %s and "
                  "item.category == %s and request.reason == %s"
                  " and item.condition == %s and age > %d days"
                  ' => deny "r%d"\n' % (c, cat, r, cond, limit, k))
    out.write("  when age > window => deny \"window_closed\"\n")
    out.write("  otherwise => allow\n}\n")
    out.write(TAIL)
    k = first
    block = 0
    while k < want:
        m = min(want - k, BLOCK_MAX - 1)
        out.write("\noutput handling_%d: int\ndecide handling_%d {\n"
                  % (block, block))
        for j in range(m):
            c, cat, r, cond = combos[(k + j) % len(combos)]
            out.write("  when customer.country == %s and "
                      "item.category == %s and request.reason == %s"
                      " and item.condition == %s and age > %d days"
                      " => %d\n" % (c, cat, r, cond, 7 + (j * 7) % 60,
                                    j + 1))
        out.write("  otherwise => 0\n}\n")
        k += m
        block += 1


if __name__ == "__main__":
    main()
