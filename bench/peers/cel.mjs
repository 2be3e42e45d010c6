// bench/peers/cel.mjs: bench/policy.rpol as CEL expressions
// (@marcbachmann/cel-js), in the shape of a CEL policy: variables (the
// lets) evaluated in order, then one expression per output.  Every
// expression is parsed once; a decision evaluates them against the line.
import {parse} from '@marcbachmann/cel-js';

const EEA = JSON.stringify(('AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV ' +
  'LT LU MT NL PL PT RO SK SI ES SE IS LI NO').split(' '));
const APAC = JSON.stringify(('AU BD BN CN FJ HK ID IN JP KH KR LA LK MM MN ' +
  'MO MY NP NZ PG PH PK SG TH TW VN').split(' '));

const LETS = [
  ['faulty', 'x.reason in ["defective", "wrong_item", ' +
    '"damaged_in_transit", "not_as_described"]'],
  ['opened', 'x.condition != "new"'],
  ['age', 'x.date - (x.has_delivered ? x.delivered : x.date)'],
  ['line', 'x.price * x.quantity - x.discount'],
  ['eea', `x.country in ${EEA}`],
  ['window', `x.tier == "vip" ? 60 : v.eea ? 30 : x.country in ["GB", "CH"]
    ? 30 : x.country in ["US", "CA", "MX"] ? 45 : x.country in ${APAC} ? 21
    : x.country in ["AE", "BH", "KW", "OM", "QA", "SA"] ? 7 : 14`],
  ['eligible', `!x.has_delivered ? ["review", "not_delivered"]
    : x.category in ["perishable", "personalized", "digital", "gift_card"]
      && !v.faulty ? ["deny", "non_returnable"]
    : v.faulty && v.age <= 365 ? ["allow", ""]
    : v.faulty ? ["review", "warranty"]
    : x.final_sale ? ["deny", "final_sale"]
    : x.category in ["hygiene", "beauty"] && v.opened ? ["deny", "hygiene"]
    : x.condition == "damaged" ? ["deny", "damaged"]
    : x.returns_90d > 10 ? ["review", "serial_returner"]
    : v.age > v.window ? ["deny", "window_closed"]
    : ["allow", ""]`],
];
const OUTPUTS = [
  ['refund_method', `x.preferred_refund == "exchange" ? "exchange"
    : x.preferred_refund == "store_credit" ? "store_credit"
    : x.payment_method in ["gift_card", "store_credit", "cod"]
      ? "store_credit" : "original_payment"`],
  ['merchant', `v.faulty || x.tier == "vip" || x.method == "in_store"
    || v.line >= 100 * x.major`],
  ['return_shipping_fee', `v.merchant ? 0 : x.country in ["US", "CA"]
    ? 6 * x.major : 8 * x.major`],
  ['restocking_fee', `v.faulty || !v.opened ? 0
    : (v.line * (x.category == "electronics" ? 15 : 10)
       + (v.line < 0 ? -50 : 50)) / 100`],
  ['shipping_refund', `v.faulty || (v.eea && v.age <= 14)
    ? x.shipping_paid : 0`],
  ['duties_refund', 'x.incoterm == "ddp" && v.faulty ? x.duties_paid : 0'],
  ['refund_amount', `x.price * x.quantity - x.discount - v.restocking_fee
    - v.return_shipping_fee + v.shipping_refund + v.duties_refund > 0
    ? x.price * x.quantity - x.discount - v.restocking_fee
      - v.return_shipping_fee + v.shipping_refund + v.duties_refund : 0`],
  ['refund_within', 'v.eea ? 14 : 30'],
];

const lets = LETS.map(([k, e]) => [k, parse(e)]);
const outs = OUTPUTS.map(([k, e]) => [k, parse(e)]);

const INTS = ['returns_90d', 'major', 'shipping_paid', 'duties_paid',
  'price', 'discount', 'quantity', 'date'];

// CEL integers are BigInts: the line as CEL sees it.
export function celInput(x) {
  const c = {...x, has_delivered: x.delivered !== null,
    delivered: BigInt(x.delivered ?? 0)};
  for (const k of INTS) c[k] = BigInt(x[k]);
  return c;
}

export function decide(cx) {
  const v = {};
  const ctx = {x: cx, v};
  for (const [k, f] of lets) v[k] = f(ctx);
  const [verdict, reason] = v.eligible;
  if (verdict === 'deny') return {verdict, reason};
  for (const [k, f] of outs) v[k] = f(ctx);
  return {
    verdict, reason: reason || null, refund_method: v.refund_method,
    shipping_payer: v.merchant ? 'merchant' : 'customer',
    restocking_fee: v.restocking_fee,
    return_shipping_fee: v.return_shipping_fee,
    shipping_refund: v.shipping_refund, duties_refund: v.duties_refund,
    refund_amount: v.refund_amount, window: v.window,
    refund_within: v.refund_within,
  };
}
