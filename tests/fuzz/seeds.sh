#!/usr/bin/env bash
# seeds.sh TARGET DIR: writes the seed corpus of a fuzz target into DIR,
# one input per file, from the repository (run from its root).
#   frontend  every .rpol file under policies/, tests/ and stdlib/
#   json      every JSON line of policies/*/samples.jsonl and of the
#             inputs of tests/eval/*.test
#   diff      the json seeds as raw lines (first byte 0), plus generator
#             seeds (first byte 1, then 8 seed bytes)
#   decode_diff  the json seeds
#   fmt       the frontend seeds
set -eu
t=$1
dir=$2
mkdir -p "$dir"
json_lines() {
  cat policies/*/samples.jsonl 2>/dev/null || true
  for f in tests/eval/*.test; do
    awk '/^--- input$/ { on = 1; next } /^--- output$/ { on = 0 } on' "$f"
  done
}
case $t in
  frontend|fmt)
    find policies tests stdlib -name '*.rpol' | sort | while read -r f; do
      cp "$f" "$dir/$(printf '%s' "$f" | tr '/' '_')"
    done ;;
  json|diff|decode_diff)
    i=0
    json_lines | while IFS= read -r line; do
      i=$((i + 1))
      if [ "$t" != diff ]; then
        printf '%s' "$line" >"$dir/line$i"
      else
        { printf '\000'; printf '%s' "$line"; } >"$dir/line$i"
      fi
    done
    if [ "$t" = diff ]; then
      for s in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
        printf "\\001\\000\\000\\000\\000\\000\\000\\000\\$(printf '%03o' "$s")" \
          >"$dir/gen$s"
      done
    fi ;;
  *) echo "seeds.sh: unknown target '$t' (frontend, json, diff, decode_diff, fmt)" >&2; exit 2 ;;
esac
