#!/usr/bin/env python3
"""bench/gen_inputs.py N [SEED]: N return lines for bench/policy.rpol.

Deterministic for a seed.  The mix is chosen so that every case of the
policy is reached (make bench checks it through --explain traces), with
realistic weights: most lines are plain change-of-mind returns inside the
window.  Amounts respect each currency's minor unit; every money value is
in the order currency, so the policy never meets currency_mismatch.
"""
import json
import random
import sys

# country, currency, decimals
MARKETS = [
    ("DE", "EUR", 2), ("FR", "EUR", 2), ("IT", "EUR", 2), ("ES", "EUR", 2),
    ("NL", "EUR", 2), ("SE", "SEK", 2), ("PL", "PLN", 2), ("NO", "NOK", 2),
    ("GB", "GBP", 2), ("CH", "CHF", 2), ("US", "USD", 2), ("CA", "CAD", 2),
    ("MX", "MXN", 2), ("JP", "JPY", 0), ("KR", "KRW", 0), ("AU", "AUD", 2),
    ("SG", "SGD", 2), ("AE", "AED", 2), ("SA", "SAR", 2), ("BR", "BRL", 2),
    ("ZA", "ZAR", 2), ("TR", "TRY", 2),
]
CATEGORIES = ["apparel", "footwear", "accessories", "electronics", "beauty",
              "hygiene", "perishable", "personalized", "furniture", "home",
              "books", "media", "software", "digital", "gift_card", "other"]
CAT_W = [22, 12, 8, 14, 5, 3, 1, 1, 3, 8, 5, 3, 2, 1, 1, 3]
REASONS = ["changed_mind", "size_fit", "defective", "wrong_item",
           "damaged_in_transit", "not_as_described", "late_delivery", "other"]
REASON_W = [40, 25, 10, 5, 4, 5, 3, 8]
CONDITIONS = ["new", "opened", "used", "damaged"]
COND_W = [55, 30, 10, 5]
PAYMENTS = ["card", "paypal", "bank_transfer", "wallet", "gift_card",
            "store_credit", "cod", "bnpl"]
PAY_W = [50, 20, 4, 10, 4, 3, 4, 5]
REFUNDS = ["original_payment", "store_credit", "exchange"]
REFUND_W = [80, 8, 12]
METHODS = ["mail", "drop_off", "in_store", "pickup"]
METHOD_W = [60, 20, 15, 5]

EPOCH = 20454  # 2026-01-01 in days since 1970-01-01


def day(n):
    import datetime
    d = datetime.date(1970, 1, 1) + datetime.timedelta(days=n)
    return d.isoformat()


def amount(rng, lo, hi, dec):
    if dec == 0:
        # yen and won prices are larger numbers
        return str(rng.randint(lo, hi) * 100)
    cents = rng.randint(lo * 100, hi * 100)
    return "%d.%02d" % (cents // 100, cents % 100)


def line(rng, i):
    country, cur, dec = rng.choice(MARKETS)
    rec = {"id": "b-%d" % i}
    cust = {"country": country}
    if rng.random() < 0.12:
        cust["tier"] = "vip"
    if rng.random() < 0.3:
        cust["returns_90d"] = rng.choice([0, 1, 2, 3, 5, 8, 11, 14])
    rec["customer"] = cust
    ordered = EPOCH + rng.randint(0, 300)
    order = {"currency": cur, "ordered_at": day(ordered),
             "payment_method": rng.choices(PAYMENTS, PAY_W)[0]}
    delivered = ordered + rng.randint(1, 10)
    if rng.random() > 0.04:
        order["delivered_at"] = day(delivered)
    if rng.random() < 0.7:
        order["shipping_paid"] = amount(rng, 0, 15, dec)
    if rng.random() < 0.25:
        order["incoterm"] = "ddp"
        order["duties_paid"] = amount(rng, 1, 40, dec)
    rec["order"] = order
    item = {"price": amount(rng, 5, 400, dec),
            "category": rng.choices(CATEGORIES, CAT_W)[0],
            "condition": rng.choices(CONDITIONS, COND_W)[0]}
    if rng.random() < 0.2:
        item["quantity"] = rng.randint(2, 4)
    if rng.random() < 0.15:
        item["discount"] = amount(rng, 1, 5, dec)
    if rng.random() < 0.05:
        item["final_sale"] = True
    rec["item"] = item
    # mostly inside the window, a tail far outside it (warranty claims)
    r = rng.random()
    age = (rng.randint(0, 70) if r < 0.93 else rng.randint(71, 500))
    req = {"date": day(delivered + age),
           "reason": rng.choices(REASONS, REASON_W)[0],
           "preferred_refund": rng.choices(REFUNDS, REFUND_W)[0],
           "method": rng.choices(METHODS, METHOD_W)[0]}
    rec["request"] = req
    return json.dumps(rec, separators=(",", ":"))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    rng = random.Random(seed)
    out = sys.stdout
    for i in range(n):
        out.write(line(rng, i + 1))
        out.write("\n")


if __name__ == "__main__":
    main()
