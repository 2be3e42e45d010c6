#!/bin/sh
# make demo: compile an example bundle ahead of time, decide its sample
# return requests with the built artifact, and print the decisions.
set -eu
BUILD=${1:-build}
BUNDLE=policies/eu-fashion
OUT="$BUILD/demo"
mkdir -p "$OUT"

echo "== rpolc check $BUNDLE"
"$BUILD/rpolc" check "$BUNDLE"
echo "   ok"
echo "== rpolc test $BUNDLE"
"$BUILD/rpolc" test "$BUNDLE" | tail -n 1
echo "== rpolc build $BUNDLE -o $OUT/eu-fashion.so"
"$BUILD/rpolc" build "$BUNDLE" -o "$OUT/eu-fashion.so"
echo "== rpolc eval $OUT/eu-fashion.so $BUNDLE/samples.jsonl"
"$BUILD/rpolc" eval --explain "$OUT/eu-fashion.so" "$BUNDLE/samples.jsonl" \
  >"$OUT/decisions.jsonl" || true
jq -r '
  def money: if . == null then "-" else . end;
  if .error then
    "\(.id // "line \(.line)")\terror \(.error.code): \(.error.message)"
  else
    "\(.id)\t\(.policy)\t\(.verdict)\(if .reason then " (" + .reason + ")" else "" end)" +
    "\trefund \(.refund_amount | money) \(.currency) by \(.refund_method)" +
    "\treturn shipping paid by \(.shipping_payer)" +
    (if .message then "\n\t\"" + .message + "\"" else "" end)
  end' "$OUT/decisions.jsonl"
echo
echo "Full decisions, with the rule behind every answer: $OUT/decisions.jsonl"
