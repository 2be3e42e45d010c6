#!/usr/bin/env bash
# The rpol test suite: what `make test` runs.
#
#   unit      tests/unit/*.c, cmocka programs built by make
#   diag      tests/diag/NAME.rpol (or the bundle directory NAME/): the
#             stderr of `rpolc check` must equal NAME.expected exactly
#   check     tests/check/*.rpol must check clean
#   eval      tests/eval/NAME.test: policy, input lines, expected output;
#             run on every engine (interpreter, the JIT's optimised and
#             quick code, built .so), which must
#             agree byte for byte
#   policies  rpolc check and rpolc test on every policy under policies/
#             and tests/stdlib/
#
# BLESS=1 rewrites the golden files from the current output instead of
# comparing (review the diff before committing).  ONLY=kind runs one kind.
# Ends with the line "N passed, N failed".
set -u
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
RPOLC="$ROOT/$BUILD/rpolc"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# The JIT's code cache: the suite's own, not the user's (~/.cache/rpol).
export RPOL_CACHE_DIR="$TMP/jit-cache"
pass=0
fail=0
failures=()

ok() { pass=$((pass + 1)); }
bad() {
  fail=$((fail + 1))
  failures+=("$1")
  printf 'FAIL %s\n' "$1"
  [ -n "${2:-}" ] && printf '%s\n' "$2" | head -n 40 | sed 's/^/    /'
}
want() { [ -z "${ONLY:-}" ] || [ "$ONLY" = "$1" ]; }
section() { printf '== %s\n' "$1"; }

# --- unit tests (cmocka) -------------------------------------------------
if want unit; then
  section "unit tests"
  for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    out=$("$t" 2>&1)
    rc=$?
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
    pass=$((pass + ${p:-0}))
    if [ "$rc" -ne 0 ] || [ -n "$f" ]; then
      n=${f:-1}
      fail=$((fail + n - 1))
      bad "unit $name (exit $rc)" "$(printf '%s\n' "$out" | grep -E 'FAIL|ERROR|error|Assert' | head -n 20)"
    fi
  done
fi

# --- golden diagnostics --------------------------------------------------
if want diag; then
  section "diagnostics"
  for exp in tests/diag/*.expected; do
    [ -e "$exp" ] || continue
    name=${exp%.expected}
    if [ -d "$name" ]; then target="$name"; else target="$name.rpol"; fi
    [ -e "$target" ] || { bad "diag $name: no $target"; continue; }
    "$RPOLC" check "$target" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ -n "${BLESS:-}" ]; then cp "$TMP/err" "$exp"; ok; continue; fi
    wantrc=0
    grep -q ': error: ' "$exp" && wantrc=1
    if [ "$rc" -eq 139 ] || [ "$rc" -gt 128 ]; then
      bad "diag $name crashed (exit $rc)"
    elif ! cmp -s "$TMP/err" "$exp"; then
      bad "diag $name" "$(diff "$exp" "$TMP/err")"
    elif [ "$rc" -ne "$wantrc" ]; then
      bad "diag $name: exit $rc, want $wantrc"
    else
      ok
    fi
  done
fi

# --- positive corpus ------------------------------------------------------
if want check; then
  section "check corpus"
  for f in tests/check/*.rpol; do
    [ -e "$f" ] || continue
    case "$f" in *.test.rpol) continue ;; esac
    if "$RPOLC" check "$f" >"$TMP/out" 2>"$TMP/err" && ! grep -q 'error:' "$TMP/err"; then
      ok
    else
      bad "check $f" "$(cat "$TMP/err")"
    fi
  done
fi

# --- evaluation goldens, on every engine -----------------------------------
# Splits NAME.test into DIR/NAME.rpol, DIR/input.jsonl, DIR/expected.jsonl.
split_eval() {
  awk -v dir="$2" -v name="$3" '
    /^--- input$/  { part = 1; next }
    /^--- output$/ { part = 2; next }
    part == 0 { print > (dir "/" name ".rpol") }
    part == 1 { print > (dir "/input.jsonl") }
    part == 2 { print > (dir "/expected.jsonl") }' "$1"
  touch "$2/input.jsonl" "$2/expected.jsonl"
}

# jit: the JIT's optimised code (--jit=optimised; the default, tiered
# mode decides with the quick code and then the optimised code, each
# compared here alone); jit-quick: the quick code; jit-tiered: the default
# mode (tests/unit/test_cg.c checks its swap).
ENGINES=${ENGINES:-interp jit jit-quick aot}
if want eval; then
  section "evaluation goldens ($ENGINES)"
  for t in tests/eval/*.test; do
    [ -e "$t" ] || continue
    name=$(basename "$t" .test)
    d="$TMP/eval-$name"
    mkdir -p "$d"
    split_eval "$t" "$d" "$name"
    flags=$(sed -n '1s/^# flags: //p' "$t")
    first=""
    for engine in $ENGINES; do
      case $engine in
        interp) (cd "$d" && "$RPOLC" eval --interp $flags "$name.rpol" input.jsonl) >"$d/out.$engine" 2>"$d/err.$engine" ;;
        jit)    (cd "$d" && "$RPOLC" eval --jit=optimised $flags "$name.rpol" input.jsonl) >"$d/out.$engine" 2>"$d/err.$engine" ;;
        jit-quick) (cd "$d" && "$RPOLC" eval --jit=quick --no-cache $flags "$name.rpol" input.jsonl) >"$d/out.$engine" 2>"$d/err.$engine" ;;
        jit-tiered) (cd "$d" && "$RPOLC" eval $flags "$name.rpol" input.jsonl) >"$d/out.$engine" 2>"$d/err.$engine" ;;
        aot)    if (cd "$d" && "$RPOLC" build "$name.rpol" -o "$name.so") >"$d/err.$engine" 2>&1; then
                  (cd "$d" && "$RPOLC" eval $flags "./$name.so" input.jsonl) >"$d/out.$engine" 2>>"$d/err.$engine"
                else : >"$d/out.$engine"; fi ;;
      esac
      rc=$?
      if [ "$rc" -gt 128 ]; then bad "eval $name [$engine] crashed (exit $rc)"; continue; fi
      if [ -n "${BLESS:-}" ] && [ "$engine" = interp ]; then
        awk '/^--- output$/ { print; exit } { print }' "$t" >"$TMP/blessed"
        cat "$d/out.$engine" >>"$TMP/blessed"
        cp "$TMP/blessed" "$t"
        cp "$d/out.$engine" "$d/expected.jsonl"
      fi
      if cmp -s "$d/out.$engine" "$d/expected.jsonl"; then
        ok
      else
        bad "eval $name [$engine]" "$(diff "$d/expected.jsonl" "$d/out.$engine"; head -c 2000 "$d/err.$engine")"
      fi
    done
  done
fi

# --- policies and the stdlib: check, then their own tests ---------------------
if want policies; then
  section "policies"
  for p in policies/*/ tests/stdlib/; do
    [ -d "$p" ] || continue
    if "$RPOLC" check "$p" >"$TMP/out" 2>"$TMP/err" && ! grep -q 'error:' "$TMP/err"; then
      ok
    else
      bad "check $p" "$(cat "$TMP/err")"
    fi
    "$RPOLC" test "$p" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$TMP/out" | tail -n 1)
    p_n=$(printf '%s' "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
    f_n=$(printf '%s' "$line" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
    pass=$((pass + ${p_n:-0}))
    if [ "$rc" -ne 0 ] || [ -z "$line" ]; then
      fail=$((fail + ${f_n:-1} - 1))
      bad "test $p (exit $rc)" "$(cat "$TMP/out" "$TMP/err")"
    fi
  done
fi

# --- extra suites registered by other parts of the tree ---------------------------
# Each tests/suites/*.sh prints lines "ok NAME" / "not ok NAME" (TAP-like).
if want suites; then
  for s in tests/suites/*.sh; do
    [ -e "$s" ] || continue
    section "suite $(basename "$s" .sh)"
    while IFS= read -r line; do
      case $line in
        "ok "*) ok ;;
        "not ok "*) bad "${line#not ok }" ;;
        *) printf '%s\n' "$line" ;;
      esac
    done < <(BUILD="$BUILD" RPOLC="$RPOLC" TMP="$TMP" bash "$s" 2>&1)
  done
fi

if [ "$fail" -gt 0 ]; then
  printf '\nfailures:\n'
  printf '  %s\n' "${failures[@]}"
fi
printf '\n%d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
