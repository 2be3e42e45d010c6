// bench/peers/handwritten.js: bench/policy.rpol written by hand in
// JavaScript, the baseline a Node.js checkout service would write.
// Input: one pre-decoded line (bench/peers/common.mjs); money in minor
// units as Numbers (exact below 2^53), dates as day numbers.
'use strict';

const FAULTY = new Set(['defective', 'wrong_item', 'damaged_in_transit',
  'not_as_described']);
const NON_RETURNABLE = new Set(['perishable', 'personalized', 'digital',
  'gift_card']);
const HYGIENE = new Set(['hygiene', 'beauty']);
const PREPAID = new Set(['gift_card', 'store_credit', 'cod']);
const EEA = new Set(('AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT ' +
  'LU MT NL PL PT RO SK SI ES SE IS LI NO').split(' '));
const NORTH_AMERICA = new Set(['US', 'CA', 'MX']);
const APAC = new Set(('AU BD BN CN FJ HK ID IN JP KH KR LA LK MM MN MO MY ' +
  'NP NZ PG PH PK SG TH TW VN').split(' '));
const GCC = new Set(['AE', 'BH', 'KW', 'OM', 'QA', 'SA']);

function pct(m, p) {
  const t = m * p;
  return Math.sign(t) * Math.floor((Math.abs(t) + 50) / 100);
}

function decide(x) {
  const faulty = FAULTY.has(x.reason);
  const opened = x.condition !== 'new';
  const delivered = x.delivered === null ? x.date : x.delivered;
  const age = x.date - delivered;
  const line = x.price * x.quantity - x.discount;
  const eea = EEA.has(x.country);
  const vip = x.tier === 'vip';
  const window = vip ? 60 : eea ? 30
    : x.country === 'GB' || x.country === 'CH' ? 30
      : NORTH_AMERICA.has(x.country) ? 45
        : APAC.has(x.country) ? 21 : GCC.has(x.country) ? 7 : 14;
  let verdict = 'allow', reason = null;
  if (x.delivered === null) verdict = 'review', reason = 'not_delivered';
  else if (NON_RETURNABLE.has(x.category) && !faulty)
    verdict = 'deny', reason = 'non_returnable';
  else if (faulty && age <= 365) ;
  else if (faulty) verdict = 'review', reason = 'warranty';
  else if (x.final_sale) verdict = 'deny', reason = 'final_sale';
  else if (HYGIENE.has(x.category) && opened)
    verdict = 'deny', reason = 'hygiene';
  else if (x.condition === 'damaged') verdict = 'deny', reason = 'damaged';
  else if (x.returns_90d > 10) verdict = 'review', reason = 'serial_returner';
  else if (age > window) verdict = 'deny', reason = 'window_closed';
  if (verdict === 'deny') return {verdict, reason};
  const refund_method = x.preferred_refund === 'exchange' ? 'exchange'
    : x.preferred_refund === 'store_credit' ? 'store_credit'
      : PREPAID.has(x.payment_method) ? 'store_credit' : 'original_payment';
  const merchant = faulty || vip || x.method === 'in_store' ||
    line >= 100 * x.major;
  const shipping_payer = merchant ? 'merchant' : 'customer';
  const return_shipping_fee = merchant ? 0
    : x.country === 'US' || x.country === 'CA' ? 6 * x.major : 8 * x.major;
  const restocking_fee = faulty || !opened ? 0
    : pct(line, x.category === 'electronics' ? 15 : 10);
  const shipping_refund = faulty || (eea && age <= 14) ? x.shipping_paid : 0;
  const duties_refund = x.incoterm === 'ddp' && faulty ? x.duties_paid : 0;
  const gross = x.price * x.quantity - x.discount - restocking_fee -
    return_shipping_fee + shipping_refund + duties_refund;
  return {
    verdict, reason, refund_method, shipping_payer, restocking_fee,
    return_shipping_fee, shipping_refund, duties_refund,
    refund_amount: Math.max(0, gross), window,
    refund_within: eea ? 14 : 30,
  };
}

module.exports = {decide};
