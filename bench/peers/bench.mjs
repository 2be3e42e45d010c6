// bench/peers/bench.mjs INPUT RPOL_OUTPUT RPOL_NS: times every peer engine
// on the pre-decoded lines of INPUT, checks each against rpol's records
// (RPOL_OUTPUT, from rpolc eval) and prints ns per decision and the ratio
// to rpol's RPOL_NS (from rpolc bench, same inputs).  Exit 1 when an
// engine decides differently from rpol.
import {createRequire} from 'node:module';
import {readInputs, readRpol, compare, time} from './common.mjs';
import * as cel from './cel.mjs';
import * as jre from './jre.mjs';
import * as zen from './zen.mjs';

const require = createRequire(import.meta.url);
const hw = require('./handwritten.js');
const [input, rpolOut, rpolNs] = process.argv.slice(2);
const xs = readInputs(input);
const want = readRpol(rpolOut);
const ns = Number(rpolNs);
const cxs = xs.map(cel.celInput);
// The slow engines are timed on a prefix (after checking every line).
const few = xs.slice(0, 200);

const engines = [
  ['hand-written JS', 'x', async (x) => hw.decide(x),
    () => { for (const x of xs) hw.decide(x); }, xs.length],
  ['CEL (@marcbachmann/cel-js)', 'c', async (x) => cel.decide(x),
    () => { for (const x of cxs) cel.decide(x); }, cxs.length],
  ['GoRules ZEN (@gorules/zen-engine)', 'x', zen.decide,
    async () => { for (const x of few) await zen.decide(x); }, few.length],
  ['json-rules-engine', 'x', jre.decide,
    async () => { for (const x of few) await jre.decide(x); }, few.length],
];
let status = 0;
console.log(`node ${process.version}; ${xs.length} lines; rpol ${ns} ns ` +
  'per decision (rpolc bench, same lines)');
console.log('engine'.padEnd(36) + 'ns/decision'.padStart(14) +
  'rpol faster by'.padStart(16) + 'agrees'.padStart(12));
for (const [name, kind, one, all, n] of engines) {
  const got = [];
  const src = kind === 'c' ? cxs : xs;
  for (const x of src) got.push(await one(x));
  const diff = compare(name, got, want);
  if (diff) status = 1;
  const t = await time(all, n, {ms: 300, runs: 3});
  console.log(name.padEnd(36) + t.toFixed(0).padStart(14) +
    ((t / ns).toFixed(0) + 'x').padStart(16) +
    `${xs.length - diff}/${xs.length}`.padStart(12));
}
process.exit(status);
