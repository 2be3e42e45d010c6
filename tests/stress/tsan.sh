#!/usr/bin/env bash
# tsan.sh RPOLC STRESS [ARGS...]: builds three versions of a policy with
# RPOLC and runs the hot-reload stress program STRESS on them (make
# test-tsan runs a ThreadSanitizer build at full size: 8 threads x
# 1,000,000 lines, 1,000 swaps).  Exit status: the stress program's.
set -u
rpolc=$1
bin=$2
shift 2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for v in 1 2 3; do
  cat >"$W/v$v.rpol" <<EOF2
policy "harden" version "$v"
output gen: int
output per_unit: int
decide eligible = allow
decide refund_method = original_payment
decide shipping_payer = customer
decide gen = $v
decide per_unit = 100 / item.quantity
EOF2
  "$rpolc" build "$W/v$v.rpol" -o "$W/v$v.so" || exit 2
done
"$bin" "$@" "$W/v1.so" "$W/v2.so" "$W/v3.so"
