#!/usr/bin/env bash
# valgrind.sh: the end-to-end tests under valgrind memcheck (make
# test-valgrind): rpolc check on the diagnostics and check corpora, rpolc
# test on every policy, rpolc eval of every evaluation golden with the
# interpreter, a built .so and (VG_JIT=1, slow) the JIT, and rpolc build.
# Any memcheck error or definite/indirect leak fails the run; the output
# is not compared (make test does that).  Prints the suite's ok/not ok
# lines and a count.  Loading libLLVM under memcheck takes seconds per
# run, so by default a sample runs (a few of each kind, chosen to cover
# bad input, errors, explain, money and bundles); VG_ALL=1 runs them all.
set -u
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
RPOLC="$ROOT/$BUILD/rpolc"
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
pass=0
fail=0
VG=(valgrind -q --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
    --track-origins=no --suppressions="$ROOT/tests/stress/valgrind.supp")

# vg NAME DIR ARGS...: runs rpolc ARGS in DIR under memcheck.
# Exit 0 or 1 (error records, rejected policies) is fine; 2 means the
# test itself is broken (a file not found).
vg() {
  local what=$1 dir=$2 rc
  shift 2
  (cd "$dir" && "${VG[@]}" "$RPOLC" "$@") >"$W/out" 2>"$W/err"
  rc=$?
  if [ "$rc" -ge 2 ] || grep -q '^==[0-9]*==' "$W/err"; then
    fail=$((fail + 1))
    echo "not ok valgrind $what (exit $rc)"
    grep -v '^    ' "$W/err" | head -n 30 | sed 's/^/# /'
  else
    pass=$((pass + 1))
    echo "ok valgrind $what"
  fi
}

sample() { # the arguments, or only those matching $2 unless VG_ALL
  pat=$1
  shift
  for x in "$@"; do
    [ -n "${VG_ALL:-}" ] || printf '%s\n' "$x" | grep -Eq "$pat" && echo "$x"
  done
}
for f in $(sample 'cycle\.|arg-type|spec-overview|operators' tests/diag/*.rpol tests/check/*.rpol); do
  vg "check $f" . check "$f"
done
for p in $(sample 'eu-fashion' policies/*/ tests/stdlib/); do
  vg "test $p" . test "$p"
done
for t in $(sample '/(basic|bad_input|explain|overflow|money_in|no_policy|missing_input|fn_calls)\.' tests/eval/*.test); do
  name=$(basename "$t" .test)
  d="$W/$name"
  mkdir -p "$d"
  awk -v dir="$d" -v name="$name" '
    /^--- input$/  { part = 1; next }
    /^--- output$/ { part = 2; next }
    part == 0 { print > (dir "/" name ".rpol") }
    part == 1 { print > (dir "/input.jsonl") }' "$t"
  touch "$d/input.jsonl"
  flags=$(sed -n '1s/^# flags: //p' "$t")
  # shellcheck disable=SC2086
  vg "eval --interp $name" "$d" eval --interp $flags "$name.rpol" input.jsonl
  vg "build $name" "$d" build "$name.rpol" -o "$name.so"
  # shellcheck disable=SC2086
  [ -f "$d/$name.so" ] && vg "eval $name.so" "$d" eval $flags "./$name.so" input.jsonl
  # shellcheck disable=SC2086
  [ -n "${VG_JIT:-}" ] && vg "eval --jit $name" "$d" eval $flags "$name.rpol" input.jsonl
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
