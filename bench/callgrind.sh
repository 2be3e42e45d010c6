#!/usr/bin/env bash
# bench/callgrind.sh POLICY [LINES]: instructions per decision (callgrind)
# of the compiled evaluator and of the hand-written baseline, decided on
# the same lines in one run of `rpolc bench --baseline`.  Instruction
# counts do not depend on the load of the machine, unlike times
# (docs/performance.md).  rpol_decide's own work is left out of both.
# TRACE=1: the evaluators that write the trace (rpolc bench --explain).
set -u
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
B="$BUILD/bench"
POLICY=${1:-$B/policy.so}
LINES=${2:-100}
mkdir -p "$B"
python3 bench/gen_inputs.py "$LINES" 6 > "$B/cg-inputs.jsonl"
out="$B/callgrind.out"
valgrind --tool=callgrind --callgrind-out-file="$out" --branch-sim=yes \
  "$BUILD/rpolc" bench ${TRACE:+--explain} "$POLICY" "$B/cg-inputs.jsonl" --repeat 1 \
  --baseline "$B/handwritten.so" > /dev/null 2>&1 || exit 1
# Inclusive cost and calls of each evaluator, from the caller tree:
# instructions, conditional branches, mispredicted ones (callgrind's
# branch simulator), per decision.
callgrind_annotate --inclusive=yes --tree=caller "$out" 2>/dev/null |
awk '
  function nums(s,   t, n, i, a, out) {
    gsub(/\([^)]*%\)/, "", s); gsub(",", "", s)
    n = split(s, a, " "); out = 0
    for (i = 1; i <= n && a[i] ~ /^([0-9]+|\.)$/; i++) v[++out] = a[i] + 0
    return out
  }
  /< .*rpol_decide \(/ {
    nums($0)
    if (match($0, /\(([0-9,]+)x\)/)) {
      c = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", c); calls = c
    }
    next
  }
  /\*  .*(rpol\.eval\.|rpol_bench_eval)/ {
    name = $0; sub(/.*\*  /, "", name); sub(/ \[.*/, "", name)
    sub(/^.*:/, "", name)
    if (calls > 0)
      printf "%-16s %7.1f instr %6.1f branches %5.2f mispredicted\n",
        name, v[1] / calls, v[2] / calls, (v[3] + v[5]) / calls
  }'
