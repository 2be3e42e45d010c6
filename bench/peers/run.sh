#!/usr/bin/env bash
# bench/peers/run.sh: what `make bench-peers` runs (docs/performance.md).
# The same policy and lines in Node.js engines from npm, each timed per
# decision in its own runtime after warm-up and checked against rpol.
set -u
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
if ! command -v node >/dev/null 2>&1; then
  echo "bench-peers: node (Node.js) not found; skipped"
  exit 0
fi
P=bench/peers
B="$BUILD/bench"
LINES=${PEER_LINES:-1000}
mkdir -p "$B"
if [ ! -d "$P/node_modules/@gorules/zen-engine" ] \
   || [ ! -d "$P/node_modules/@marcbachmann/cel-js" ] \
   || [ ! -d "$P/node_modules/json-rules-engine" ]; then
  echo "bench-peers: installing the peer engines from npm ($P/package-lock.json)"
  # Some npm releases refuse `npm ci` when the lock lists a package's
  # optional per-platform builds that the registry does not offer here;
  # `npm install` takes the same pinned versions (package.json pins each).
  (cd "$P" && { npm ci --no-audit --no-fund >/dev/null 2>&1 \
               || npm install --no-audit --no-fund >/dev/null; }) || {
    echo "bench-peers: npm could not install the peer engines; skipped"; exit 0; }
fi
python3 bench/gen_inputs.py "$LINES" 6 > "$B/peers.jsonl"
"$BUILD/rpolc" build bench/policy.rpol -o "$B/policy.so" || exit 1
"$BUILD/rpolc" eval "$B/policy.so" "$B/peers.jsonl" > "$B/peers-rpol.out"
ns=$("$BUILD/rpolc" bench "$B/policy.so" "$B/peers.jsonl" --repeat 5 \
     | sed -n 's/^\([0-9.]*\) ns per decision$/\1/p')
node "$P/bench.mjs" "$B/peers.jsonl" "$B/peers-rpol.out" "$ns"
