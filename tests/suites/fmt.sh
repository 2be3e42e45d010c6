#!/usr/bin/env bash
# rpolc fmt (docs/fmt.md): golden layouts, idempotence, layout
# independence, semantics kept, and the command's contract.
#
#   golden      tests/fmt/NAME.rpol formats to tests/fmt/NAME.expected
#               (BLESS=1 rewrites the .expected files), and the expected
#               text is a fixed point
#   idempotent  every .rpol of policies/, tests/check/, tests/stdlib/ and
#               stdlib/: formatting the formatted text changes nothing, and
#               `fmt --check` then exits 0
#   layout      the same files with every line's indentation removed
#               format to the same text
#   semantics   each bundle of policies/, tests/stdlib/ and each policy of
#               tests/check/, formatted in a copy of the tree: `rpolc check`
#               is clean, `rpolc test` reports the same counts, and
#               samples.jsonl decides the same (locations aside)
#   cli         --check exit codes and output, `-` (stdin), syntax errors,
#               misuse
#
# Prints "ok NAME" / "not ok NAME" lines (tests/run.sh counts them).
set -u
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
RPOLC=${RPOLC:-$ROOT/$BUILD/rpolc}
OWN_TMP=""
if [ -z "${TMP:-}" ] || [ ! -d "${TMP:-}" ]; then
  TMP=$(mktemp -d)
  OWN_TMP=$TMP
fi
W=$(mktemp -d "$TMP/fmt.XXXXXX")
cleanup() {
  rm -rf "$W"
  [ -n "$OWN_TMP" ] && rm -rf "$OWN_TMP"
}
trap cleanup EXIT

ok() { echo "ok fmt $1"; }
notok() {
  echo "not ok fmt $1"
  [ -n "${2:-}" ] && printf '%s\n' "$2" | head -n 30 | sed 's/^/# /'
}

# --- golden layouts ---------------------------------------------------------
mkdir -p "$W/golden"
for src in tests/fmt/*.rpol; do
  [ -e "$src" ] || continue
  base=$(basename "$src" .rpol)
  exp="tests/fmt/$base.expected"
  [ -e "$exp" ] || continue
  cp "$src" "$W/golden/$base.rpol"
  if ! "$RPOLC" fmt "$W/golden/$base.rpol" 2>"$W/err"; then
    notok "golden $base: fmt failed" "$(cat "$W/err")"
    continue
  fi
  if [ -n "${BLESS:-}" ]; then cp "$W/golden/$base.rpol" "$exp"; fi
  if ! cmp -s "$W/golden/$base.rpol" "$exp"; then
    notok "golden $base" "$(diff "$exp" "$W/golden/$base.rpol")"
    continue
  fi
  cp "$exp" "$W/golden/$base.rpol"
  "$RPOLC" fmt --check "$W/golden/$base.rpol" >"$W/out" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    notok "golden $base: the expected text is not a fixed point (exit $rc)"
  else
    ok "golden $base"
  fi
done

# --- the repository's sources: a formatted copy of the tree ---------------------
files=$(find policies tests/check tests/stdlib stdlib -name '*.rpol' | sort)
mkdir -p "$W/tree" "$W/flat"
for f in $files; do
  mkdir -p "$W/tree/$(dirname "$f")" "$W/flat/$(dirname "$f")"
  cp "$f" "$W/tree/$f"
  sed 's/^[ 	]*//' "$f" >"$W/flat/$f"
done
# samples and other data travel with the bundles
for d in policies/*/; do
  for s in "$d"samples.jsonl; do
    [ -e "$s" ] && cp "$s" "$W/tree/$s"
  done
done

for f in $files; do
  if ! "$RPOLC" fmt "$W/tree/$f" 2>"$W/err"; then
    notok "idempotent $f: fmt failed" "$(cat "$W/err")"
    continue
  fi
  cp "$W/tree/$f" "$W/once"
  "$RPOLC" fmt "$W/tree/$f" 2>"$W/err"
  if ! cmp -s "$W/once" "$W/tree/$f"; then
    notok "idempotent $f" "$(diff "$W/once" "$W/tree/$f")"
    continue
  fi
  "$RPOLC" fmt --check "$W/tree/$f" >"$W/out" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ] || [ -s "$W/out" ]; then
    notok "idempotent $f: --check on formatted text: exit $rc" "$(cat "$W/out")"
    continue
  fi
  ok "idempotent $f"
  # The same program without indentation: the same text.
  if ! "$RPOLC" fmt "$W/flat/$f" 2>"$W/err"; then
    notok "layout $f: fmt failed" "$(cat "$W/err")"
  elif ! cmp -s "$W/flat/$f" "$W/tree/$f"; then
    notok "layout $f" "$(diff "$W/tree/$f" "$W/flat/$f")"
  else
    ok "layout $f"
  fi
done

# --- semantics: the formatted tree behaves as the original -----------------------
strip_at() {
  jq -c 'del(.trace) | walk(if type == "object" then del(.at) else . end)'
}
units=$(ls -d policies/*/ tests/stdlib/ 2>/dev/null; ls tests/check/*.rpol 2>/dev/null | grep -v '\.test\.rpol$')
for u in $units; do
  u=${u%/}
  "$RPOLC" check "$W/tree/$u" >"$W/out" 2>"$W/err"
  rc=$?
  if [ "$rc" -ne 0 ] || grep -q 'error:' "$W/err"; then
    notok "semantics $u: check of the formatted copy (exit $rc)" "$(cat "$W/err")"
    continue
  fi
  "$RPOLC" test "$u" >"$W/t1" 2>&1
  rc1=$?
  "$RPOLC" test "$W/tree/$u" >"$W/t2" 2>&1
  rc2=$?
  l1=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$W/t1" | tail -n 1)
  l2=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$W/t2" | tail -n 1)
  if [ "$rc1" -ne "$rc2" ] || [ "$l1" != "$l2" ]; then
    notok "semantics $u: test counts differ: '$l1' (exit $rc1) vs '$l2' (exit $rc2)" \
      "$(cat "$W/t2")"
    continue
  fi
  if [ -f "$u/samples.jsonl" ]; then
    "$RPOLC" eval "$u" "$u/samples.jsonl" 2>/dev/null | strip_at >"$W/e1"
    "$RPOLC" eval "$W/tree/$u" "$W/tree/$u/samples.jsonl" 2>/dev/null |
      strip_at >"$W/e2"
    if [ ! -s "$W/e1" ] || ! cmp -s "$W/e1" "$W/e2"; then
      notok "semantics $u: decisions differ" "$(diff "$W/e1" "$W/e2")"
      continue
    fi
  fi
  ok "semantics $u"
done

# --- the command --------------------------------------------------------------
mkdir -p "$W/cli"
messy='policy "p"   version "1"
decide eligible {when item.final_sale=>deny "x"
otherwise=>allow}
decide refund_method = original_payment decide shipping_payer=customer'
printf '%s\n' "$messy" >"$W/cli/messy.rpol"
cp "$W/cli/messy.rpol" "$W/cli/orig.rpol"
"$RPOLC" fmt --check "$W/cli/messy.rpol" >"$W/out" 2>"$W/err"
rc=$?
if [ "$rc" -eq 1 ] && [ "$(cat "$W/out")" = "$W/cli/messy.rpol" ] &&
   cmp -s "$W/cli/messy.rpol" "$W/cli/orig.rpol"; then
  ok "cli --check names a file that would change, exit 1, file untouched"
else
  notok "cli --check on a messy file: exit $rc" "$(cat "$W/out" "$W/err")"
fi

printf '%s\n' "$messy" | "$RPOLC" fmt - >"$W/stdout" 2>"$W/err"
rc=$?
"$RPOLC" fmt "$W/cli/messy.rpol" 2>>"$W/err"
if [ "$rc" -eq 0 ] && cmp -s "$W/stdout" "$W/cli/messy.rpol" &&
   grep -q '^  otherwise            => allow$' "$W/stdout"; then
  ok "cli - formats stdin to stdout, as the file is formatted"
else
  notok "cli - (exit $rc)" "$(cat "$W/stdout" "$W/err")"
fi

"$RPOLC" fmt --check "$W/cli/messy.rpol" "$W/cli/orig.rpol" >"$W/out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && [ "$(cat "$W/out")" = "$W/cli/orig.rpol" ]; then
  ok "cli --check names only the files that would change"
else
  notok "cli --check with two files: exit $rc" "$(cat "$W/out")"
fi

printf '%s\n' "$messy" | "$RPOLC" fmt --check - >"$W/out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && [ "$(cat "$W/out")" = "<stdin>" ]; then
  ok "cli --check - names <stdin>"
else
  notok "cli --check -: exit $rc" "$(cat "$W/out")"
fi

printf 'policy "p" version "1"\ndecide eligible {\n  when => allow\n}\n' \
  >"$W/cli/bad.rpol"
cp "$W/cli/bad.rpol" "$W/cli/bad.orig"
"$RPOLC" fmt "$W/cli/bad.rpol" >"$W/out" 2>"$W/err"
rc=$?
if [ "$rc" -eq 1 ] && cmp -s "$W/cli/bad.rpol" "$W/cli/bad.orig" &&
   grep -q 'bad.rpol:3:8: error:' "$W/err"; then
  ok "cli a file with syntax errors is reported and not rewritten"
else
  notok "cli syntax errors: exit $rc" "$(cat "$W/err")"
fi

mkdir -p "$W/cli/dir/sub"
printf '%s\n' "$messy" >"$W/cli/dir/a.rpol"
printf '%s\n' "$messy" >"$W/cli/dir/sub/b.rpol"
printf 'not rpol\n' >"$W/cli/dir/notes.txt"
"$RPOLC" fmt --check "$W/cli/dir" >"$W/out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && [ "$(cat "$W/out")" = "$W/cli/dir/a.rpol
$W/cli/dir/sub/b.rpol" ]; then
  ok "cli a directory stands for the .rpol files under it"
else
  notok "cli directory: exit $rc" "$(cat "$W/out")"
fi

"$RPOLC" fmt --bogus "$W/cli/orig.rpol" >/dev/null 2>&1
rc1=$?
"$RPOLC" fmt >/dev/null 2>&1
rc2=$?
"$RPOLC" fmt "$W/cli/missing.rpol" >/dev/null 2>&1
rc3=$?
if [ "$rc1" -eq 2 ] && [ "$rc2" -eq 2 ] && [ "$rc3" -eq 2 ]; then
  ok "cli misuse and unreadable files exit 2"
else
  notok "cli misuse: exits $rc1 $rc2 $rc3 (want 2 2 2)"
fi
exit 0
