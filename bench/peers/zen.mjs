// bench/peers/zen.mjs: bench/policy.rpol as a GoRules ZEN decision graph
// (JDM): an expression node for the lets, first-hit decision tables for
// window, eligible, refund_method and shipping_payer, and an expression
// node for the fees and amounts.  The graph is a chain, so a denied line
// still runs every node (ZEN has no early exit short of a switch node);
// only the verdict and reason of a denial are compared.
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
const {ZenEngine} = require('@gorules/zen-engine');

const list = (s) => s.split(' ').map((c) => `'${c}'`).join(',');
const EEA = list('AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT ' +
  'NL PL PT RO SK SI ES SE IS LI NO');
const APAC = list('AU BD BN CN FJ HK ID IN JP KH KR LA LK MM MN MO MY NP NZ ' +
  'PG PH PK SG TH TW VN');

const pos = {x: 0, y: 0};
let ids = 0;
const id = () => 'n' + ids++;

function expressions(name, outputPath, exprs) {
  return {id: id(), type: 'expressionNode', name, position: pos,
    content: {passThrough: true, inputField: null, outputPath,
      expressions: exprs.map(([key, value]) => ({id: id(), key, value}))}};
}

// cols: [[name, field]], rows: [[cell...], [output...]]
function table(name, cols, outs, rows) {
  const inputs = cols.map(([n, field]) => ({id: id(), name: n, field}));
  const outputs = outs.map((field) => ({id: id(), name: field, field}));
  return {id: id(), type: 'decisionTableNode', name, position: pos,
    content: {hitPolicy: 'first', passThrough: true, inputField: null,
      outputPath: null, inputs, outputs,
      rules: rows.map(([cells, vals]) => {
        const r = {_id: id()};
        inputs.forEach((c, i) => { r[c.id] = cells[i] || ''; });
        outputs.forEach((o, i) => { r[o.id] = vals[i]; });
        return r;
      })}};
}

const nodes = [
  {id: 'in', type: 'inputNode', name: 'request', position: pos},
  expressions('lets', 'v', [
    ['faulty', "x.reason in ['defective', 'wrong_item', " +
      "'damaged_in_transit', 'not_as_described']"],
    ['opened', "x.condition != 'new'"],
    ['has_delivered', 'x.delivered != null'],
    ['age', 'x.date - (x.delivered ?? x.date)'],
    ['line', 'x.price * x.quantity - x.discount'],
    ['line100', '$.line >= 100 * x.major'],
    ['eea', `x.country in [${EEA}]`],
  ]),
  table('window', [['tier', 'x.tier'], ['country', 'x.country']],
    ['window'], [
      [["'vip'"], ['60']],
      [['', EEA], ['30']],
      [['', "'GB','CH'"], ['30']],
      [['', "'US','CA','MX'"], ['45']],
      [['', APAC], ['21']],
      [['', "'AE','BH','KW','OM','QA','SA'"], ['7']],
      [[], ['14']],
    ]),
  table('eligible', [['delivered', 'v.has_delivered'],
    ['category', 'x.category'], ['faulty', 'v.faulty'], ['age', 'v.age'],
    ['final_sale', 'x.final_sale'], ['opened', 'v.opened'],
    ['condition', 'x.condition'], ['returns', 'x.returns_90d']],
  ['verdict', 'reason'], [
    [['false'], ["'review'", "'not_delivered'"]],
    [['', "'perishable','personalized','digital','gift_card'", 'false'],
      ["'deny'", "'non_returnable'"]],
    [['', '', 'true', '<= 365'], ["'allow'", 'null']],
    [['', '', 'true'], ["'review'", "'warranty'"]],
    [['', '', '', '', 'true'], ["'deny'", "'final_sale'"]],
    [['', "'hygiene','beauty'", '', '', '', 'true'],
      ["'deny'", "'hygiene'"]],
    [['', '', '', '', '', '', "'damaged'"], ["'deny'", "'damaged'"]],
    [['', '', '', '', '', '', '', '> 10'],
      ["'review'", "'serial_returner'"]],
    [['', '', '', '> window'], ["'deny'", "'window_closed'"]],
    [[], ["'allow'", 'null']],
  ]),
  table('refund_method', [['preferred', 'x.preferred_refund'],
    ['payment', 'x.payment_method']], ['refund_method'], [
    [["'exchange'"], ["'exchange'"]],
    [["'store_credit'"], ["'store_credit'"]],
    [['', "'gift_card','store_credit','cod'"], ["'store_credit'"]],
    [[], ["'original_payment'"]],
  ]),
  table('shipping_payer', [['faulty', 'v.faulty'], ['tier', 'x.tier'],
    ['method', 'x.method'], ['line100', 'v.line100']], ['shipping_payer'], [
    [['true'], ["'merchant'"]],
    [['', "'vip'"], ["'merchant'"]],
    [['', '', "'in_store'"], ["'merchant'"]],
    [['', '', '', 'true'], ["'merchant'"]],
    [[], ["'customer'"]],
  ]),
  expressions('amounts', 'f', [
    ['return_shipping_fee', "shipping_payer == 'merchant' ? 0 : " +
      "(x.country in ['US', 'CA'] ? 6 * x.major : 8 * x.major)"],
    ['t', "v.line * (x.category == 'electronics' ? 15 : 10)"],
    ['restocking_fee', 'v.faulty or not v.opened ? 0 : ' +
      '(floor((abs($.t) + 50) / 100) * ($.t < 0 ? -1 : 1))'],
    ['shipping_refund', 'v.faulty or (v.eea and v.age <= 14) ? ' +
      'x.shipping_paid : 0'],
    ['duties_refund', "x.incoterm == 'ddp' and v.faulty ? " +
      'x.duties_paid : 0'],
    ['refund_amount', 'max([0, v.line - $.restocking_fee - ' +
      '$.return_shipping_fee + $.shipping_refund + $.duties_refund])'],
    ['refund_within', 'v.eea ? 14 : 30'],
  ]),
  {id: 'out', type: 'outputNode', name: 'decision', position: pos},
];
const edges = nodes.slice(1).map((n, i) =>
  ({id: 'e' + i, sourceId: nodes[i].id, targetId: n.id, type: 'edge'}));

export const jdm = {nodes, edges};
const engine = new ZenEngine();
const decision = engine.createDecision(jdm);

export async function decide(xv) {
  const {result: r} = await decision.evaluate({x: xv});
  if (r.verdict === 'deny') return {verdict: 'deny', reason: r.reason};
  return {
    verdict: r.verdict, reason: r.reason ?? null, refund_method: r.refund_method,
    shipping_payer: r.shipping_payer,
    restocking_fee: r.f.restocking_fee,
    return_shipping_fee: r.f.return_shipping_fee,
    shipping_refund: r.f.shipping_refund,
    duties_refund: r.f.duties_refund, refund_amount: r.f.refund_amount,
    window: r.window, refund_within: r.f.refund_within,
  };
}
