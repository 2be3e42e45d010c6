// bench/peers/common.mjs: inputs, rpol's decisions, timing, comparison.
import fs from 'node:fs';

const ODD = {BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0,
  KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0,
  XPF: 0, BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3, CLF: 4,
  UYW: 4};
const exponent = (cur) => (cur in ODD ? ODD[cur] : 2);

function days(s) {
  return s == null ? null : Date.parse(s + 'T00:00:00Z') / 86400000;
}

// "12.50" in a currency of exponent e: minor units.
function minor(s, e) {
  if (s == null) return 0;
  const [i, f = ''] = String(s).split('.');
  const neg = i.startsWith('-');
  const v = Number(i.replace('-', '')) * 10 ** e +
    Number((f + '0000').slice(0, e) || 0);
  return neg ? -v : v;
}

// One JSON line, decoded once up front (as rpolc bench does for rpol).
export function predecode(line) {
  const j = JSON.parse(line);
  const c = j.customer || {}, o = j.order || {}, it = j.item || {},
    r = j.request || {};
  const e = exponent(o.currency);
  return {
    id: j.id, country: c.country, tier: c.tier || 'standard',
    returns_90d: c.returns_90d || 0, currency: o.currency,
    major: 10 ** e, payment_method: o.payment_method || 'card',
    delivered: days(o.delivered_at), shipping_paid: minor(o.shipping_paid, e),
    duties_paid: minor(o.duties_paid, e), incoterm: o.incoterm || 'dap',
    category: it.category || 'other', price: minor(it.price, e),
    discount: minor(it.discount, e), quantity: it.quantity || 1,
    condition: it.condition || 'new', final_sale: it.final_sale || false,
    date: days(r.date), reason: r.reason || 'other',
    preferred_refund: r.preferred_refund || 'original_payment',
    method: r.method || 'mail',
  };
}

export function readInputs(path) {
  return fs.readFileSync(path, 'utf8').split('\n').filter((l) => l)
    .map(predecode);
}

// rpolc eval's records, as the fields every engine reports.
export function readRpol(path) {
  return fs.readFileSync(path, 'utf8').split('\n').filter((l) => l)
    .map((l) => {
      const d = JSON.parse(l);
      const e = exponent(d.currency);
      if (d.verdict === 'deny') return {verdict: 'deny', reason: d.reason};
      return {
        verdict: d.verdict, reason: d.reason,
        refund_method: d.refund_method, shipping_payer: d.shipping_payer,
        restocking_fee: minor(d.restocking_fee, e),
        return_shipping_fee: minor(d.return_shipping_fee, e),
        shipping_refund: minor(d.shipping_refund, e),
        duties_refund: minor(d.duties_refund, e),
        refund_amount: minor(d.refund_amount, e),
        window: d.window, refund_within: d.refund_within,
      };
    });
}

const KEYS = ['verdict', 'reason', 'refund_method', 'shipping_payer',
  'restocking_fee', 'return_shipping_fee', 'shipping_refund',
  'duties_refund', 'refund_amount', 'window', 'refund_within'];

// Lines on which `got` differs from rpol; prints the first.
export function compare(name, got, want) {
  let diff = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    const keys = w.verdict === 'deny' ? ['verdict', 'reason'] : KEYS;
    const bad = keys.filter((k) => String(g[k]) !== String(w[k]));
    if (bad.length && diff++ === 0)
      console.error(`${name}: line ${i + 1} differs in ${bad.join(', ')}:` +
        `\n  rpol:   ${JSON.stringify(w)}\n  ${name}: ${JSON.stringify(g)}`);
  }
  return diff;
}

// ns per decision: warm up, then time whole passes for ~`ms` each and
// take the median of `runs`.
export async function time(decideAll, n, {ms = 400, runs = 5} = {}) {
  await decideAll();
  await decideAll();
  let passes = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < passes; k++) await decideAll();
    const dt = Number(process.hrtime.bigint() - t0) / 1e6;
    if (dt >= ms / 4 || passes > 1e6) {
      passes = Math.max(1, Math.round(passes * ms / Math.max(dt, 1e-3)));
      break;
    }
    passes *= 4;
  }
  const res = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < passes; k++) await decideAll();
    res.push(Number(process.hrtime.bigint() - t0) / (passes * n));
  }
  res.sort((a, b) => a - b);
  return res[runs >> 1];
}
