// bench/peers/jre.mjs: bench/policy.rpol in json-rules-engine.
//
// One engine per decided output, its rules in policy order as priorities
// (the highest priority that fires wins: rpol's first match); the lets
// are facts the engine computes (and caches per run); an event's params
// carry the case's value.  Arithmetic (fees, refund amount) is not a rules
// engine feature: it is done by the host from the events, as a
// json-rules-engine user would.
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
const {Engine} = require('json-rules-engine');

const EEA = ('AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL ' +
  'PL PT RO SK SI ES SE IS LI NO').split(' ');
const APAC = ('AU BD BN CN FJ HK ID IN JP KH KR LA LK MM MN MO MY NP NZ PG ' +
  'PH PK SG TH TW VN').split(' ');

const fact = (f, operator, value) => ({fact: f, operator, value});
const x = (path, operator, value) =>
  ({fact: 'x', path: '$.' + path, operator, value});
const T = {fact: 'x', path: '$.date', operator: 'greaterThan', value: -1e9};

function engine(cases) {
  const e = new Engine([], {allowUndefinedFacts: true});
  cases.forEach(([cond, params], i) => e.addRule({
    conditions: cond.all || cond.any ? cond : {all: [cond]},
    event: {type: 'case', params: {...params, i}},
    priority: cases.length - i,
  }));
  addLets(e);
  return e;
}

function addLets(e) {
  e.addFact('faulty', (p, a) => a.factValue('x').then((v) =>
    ['defective', 'wrong_item', 'damaged_in_transit', 'not_as_described']
      .includes(v.reason)));
  e.addFact('opened', (p, a) => a.factValue('x').then((v) =>
    v.condition !== 'new'));
  e.addFact('age', (p, a) => a.factValue('x').then((v) =>
    v.date - (v.delivered === null ? v.date : v.delivered)));
  e.addFact('line', (p, a) => a.factValue('x').then((v) =>
    v.price * v.quantity - v.discount));
  e.addFact('line_vs_100', (p, a) => a.factValue('x').then((v) =>
    (v.price * v.quantity - v.discount) / v.major));
}

const windowE = engine([
  [x('tier', 'equal', 'vip'), {v: 60}],
  [x('country', 'in', EEA), {v: 30}],
  [x('country', 'in', ['GB', 'CH']), {v: 30}],
  [x('country', 'in', ['US', 'CA', 'MX']), {v: 45}],
  [x('country', 'in', APAC), {v: 21}],
  [x('country', 'in', ['AE', 'BH', 'KW', 'OM', 'QA', 'SA']), {v: 7}],
  [T, {v: 14}],
]);
const eligibleE = engine([
  [x('delivered', 'equal', null), {v: 'review', r: 'not_delivered'}],
  [{all: [x('category', 'in', ['perishable', 'personalized', 'digital',
    'gift_card']), fact('faulty', 'equal', false)]},
  {v: 'deny', r: 'non_returnable'}],
  [{all: [fact('faulty', 'equal', true), fact('age', 'lessThanInclusive',
    365)]}, {v: 'allow', r: null}],
  [fact('faulty', 'equal', true), {v: 'review', r: 'warranty'}],
  [x('final_sale', 'equal', true), {v: 'deny', r: 'final_sale'}],
  [{all: [x('category', 'in', ['hygiene', 'beauty']),
    fact('opened', 'equal', true)]}, {v: 'deny', r: 'hygiene'}],
  [x('condition', 'equal', 'damaged'), {v: 'deny', r: 'damaged'}],
  [x('returns_90d', 'greaterThan', 10), {v: 'review', r: 'serial_returner'}],
  [fact('age', 'greaterThan', {fact: 'window'}),
    {v: 'deny', r: 'window_closed'}],
  [T, {v: 'allow', r: null}],
]);
const refundMethodE = engine([
  [x('preferred_refund', 'equal', 'exchange'), {v: 'exchange'}],
  [x('preferred_refund', 'equal', 'store_credit'), {v: 'store_credit'}],
  [x('payment_method', 'in', ['gift_card', 'store_credit', 'cod']),
    {v: 'store_credit'}],
  [T, {v: 'original_payment'}],
]);
const payerE = engine([
  [fact('faulty', 'equal', true), {v: 'merchant'}],
  [x('tier', 'equal', 'vip'), {v: 'merchant'}],
  [x('method', 'equal', 'in_store'), {v: 'merchant'}],
  [fact('line_vs_100', 'greaterThanInclusive', 100), {v: 'merchant'}],
  [T, {v: 'customer'}],
]);
const labelE = engine([
  [fact('payer', 'equal', 'merchant'), {v: 0}],
  [x('country', 'in', ['US', 'CA']), {v: 6}],
  [T, {v: 8}],
]);
const restockE = engine([
  [fact('faulty', 'equal', true), {pct: 0}],
  [fact('opened', 'equal', false), {pct: 0}],
  [x('category', 'equal', 'electronics'), {pct: 15}],
  [T, {pct: 10}],
]);
const shipRefundE = engine([
  [fact('faulty', 'equal', true), {paid: true}],
  [{all: [x('country', 'in', EEA), fact('age', 'lessThanInclusive', 14)]},
    {paid: true}],
  [T, {paid: false}],
]);
const dutiesE = engine([
  [{all: [x('incoterm', 'equal', 'ddp'), fact('faulty', 'equal', true)]},
    {paid: true}],
  [T, {paid: false}],
]);
const withinE = engine([
  [x('country', 'in', EEA), {v: 14}],
  [T, {v: 30}],
]);

async function first(e, facts) {
  const {events} = await e.run(facts);
  let best = null;
  for (const ev of events)
    if (!best || ev.params.i < best.params.i) best = ev;
  return best.params;
}

function pct(m, p) {
  const t = m * p;
  return Math.sign(t) * Math.floor((Math.abs(t) + 50) / 100);
}

export async function decide(xv) {
  const window = (await first(windowE, {x: xv})).v;
  const el = await first(eligibleE, {x: xv, window});
  if (el.v === 'deny') return {verdict: 'deny', reason: el.r};
  const facts = {x: xv, window};
  const refund_method = (await first(refundMethodE, facts)).v;
  const payer = (await first(payerE, facts)).v;
  const label = (await first(labelE, {x: xv, payer})).v * xv.major;
  const line = xv.price * xv.quantity - xv.discount;
  const restocking_fee = pct(line, (await first(restockE, facts)).pct);
  const shipping_refund = (await first(shipRefundE, facts)).paid
    ? xv.shipping_paid : 0;
  const duties_refund = (await first(dutiesE, facts)).paid
    ? xv.duties_paid : 0;
  const gross = line - restocking_fee - label + shipping_refund +
    duties_refund;
  return {
    verdict: el.v, reason: el.r, refund_method, shipping_payer: payer,
    restocking_fee, return_shipping_fee: label, shipping_refund,
    duties_refund, refund_amount: Math.max(0, gross), window,
    refund_within: (await first(withinE, facts)).v,
  };
}
