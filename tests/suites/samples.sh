#!/usr/bin/env bash
# Each example bundle's sample requests decide exactly as samples.expected.jsonl
# says, on the JIT, the interpreter and a built .so (the three must agree).
set -u
: "${RPOLC:?}" "${TMP:?}"
for dir in policies/*/; do
  name=$(basename "$dir")
  [ -f "$dir/samples.jsonl" ] && [ -f "$dir/samples.expected.jsonl" ] || continue
  so="$TMP/samples-$name.so"
  "$RPOLC" build "$dir" -o "$so" 2>"$TMP/samples.err" || { echo "not ok samples $name: build failed: $(head -c 500 "$TMP/samples.err")"; continue; }
  for engine in jit interp aot; do
    case $engine in
      jit) "$RPOLC" eval "$dir" "$dir/samples.jsonl" ;;
      interp) "$RPOLC" eval --interp "$dir" "$dir/samples.jsonl" ;;
      aot) "$RPOLC" eval "$so" "$dir/samples.jsonl" ;;
    esac >"$TMP/samples.out" 2>"$TMP/samples.err"
    rc=$?
    if [ "$rc" -gt 1 ]; then
      echo "not ok samples $name [$engine]: exit $rc: $(head -c 500 "$TMP/samples.err")"
    elif ! cmp -s "$TMP/samples.out" "$dir/samples.expected.jsonl"; then
      echo "not ok samples $name [$engine]"
      diff "$dir/samples.expected.jsonl" "$TMP/samples.out" | head -n 10
    else
      echo "ok samples $name [$engine]"
    fi
  done
done
