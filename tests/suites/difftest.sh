#!/usr/bin/env bash
# Differential testing: the interpreter, the JIT and a built .so must agree
# decision by decision (docs/testing.md).  Run by tests/run.sh (make test)
# and by `make difftest` for longer campaigns.
#
# Corpus: every bundle under policies/, every policy file in tests/check/
# and tests/stdlib/, and the policy of every tests/eval/*.test golden;
# DIFFTEST_N generated lines each (default 10000).  Plus DIFFTEST_R random
# policies (default 200) of DIFFTEST_RI lines each (default 1000).  Seed:
# DIFFTEST_SEED (default 1, so that `make test` is reproducible);
# DIFFTEST_JOBS policies at a time (default 2); DIFFTEST_CPU_LIMIT CPU
# seconds per policy before it counts as a hang (default 180).
#
# Prints `ok difftest NAME` / `not ok difftest NAME` lines; mismatches are
# detailed on `#` lines with a replay command, and kept (policy, input,
# each engine's record) under $BUILD/difftest-failures/.
set -u
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
BIN="$ROOT/$BUILD/difftest"
N=${DIFFTEST_N:-10000}
R=${DIFFTEST_R:-200}
RI=${DIFFTEST_RI:-1000}
SEED=${DIFFTEST_SEED:-1}
# Policies checked at a time (each in its own process): the 2 cores of
# the project's machines.
JOBS=${DIFFTEST_JOBS:-2}
OWN_TMP=""
if [ -z "${TMP:-}" ] || [ ! -d "${TMP:-}" ]; then
  TMP=$(mktemp -d)
  OWN_TMP=$TMP
fi
WORK=$(mktemp -d "$TMP/difftest.XXXXXX")
cleanup() {
  rm -rf "$WORK"
  [ -n "$OWN_TMP" ] && rm -rf "$OWN_TMP"
}
trap cleanup EXIT

if [ ! -x "$BIN" ]; then
  echo "not ok difftest: $BIN is not built (make $BUILD/difftest)"
  exit 0
fi

paths=()
for p in policies/*/; do
  [ -d "$p" ] && paths+=("${p%/}")
done
for f in tests/check/*.rpol tests/stdlib/*.rpol; do
  [ -e "$f" ] || continue
  case "$f" in *.test.rpol) continue ;; esac
  # Policies only: modules decide nothing on their own.
  head -c 4096 "$f" | grep -qE '^[[:space:]]*policy[[:space:]]' || continue
  paths+=("$f")
done
# The policy part of each evaluation golden (before `--- input`), in a
# directory of its own so that its name stays NAME.rpol.
for t in tests/eval/*.test; do
  [ -e "$t" ] || continue
  name=$(basename "$t" .test)
  mkdir -p "$WORK/eval/$name"
  awk '/^--- input$/ { exit } { print }' "$t" >"$WORK/eval/$name/$name.rpol"
  paths+=("$WORK/eval/$name/$name.rpol")
done

start=$(date +%s)
selfcheck_failed=0
# Self-check: a fault injected into the JIT's records (every final-sale
# line) must be found, shrunk to a line that still has the trigger, and
# fail the run.  Without this, a comparison that compares nothing would
# pass silently.
if [ ${#paths[@]} -gt 0 ]; then
  out=$(TMPDIR="$WORK" "$BIN" --seed "$SEED" --inputs 300 --inject-fault \
        "${paths[0]}" 2>&1)
  rc=$?
  if [ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -q '^# MISMATCH' &&
     printf '%s\n' "$out" | grep -q '^#   input: .*"final_sale":true' &&
     printf '%s\n' "$out" | grep -q '^#   jit .*"x":1}$'; then
    echo "ok difftest self-check (an injected JIT fault is found and shrunk)"
  else
    echo "not ok difftest self-check: an injected fault was not reported"
    selfcheck_failed=1
    printf '%s\n' "$out" | head -n 20 | sed 's/^/# /'
  fi
fi

# Relative paths in the records: run from the repository root, and show
# the eval goldens by their own name.
# The CPU limit catches a compile or an evaluation that does not end.  A
# policy normally needs 1-3 s, but a compile-time regression of the code
# generator once took a wide random unit with long case chains to 30-50 s
# of CPU for the JIT alone on a busy machine (seed 1 unit 56, fixed by
# 6acc494): that is a slow compile, not a hang, so the suite allows 180 s.
TMPDIR="$WORK" "$BIN" --seed "$SEED" --jobs "$JOBS" --inputs "$N" --random "$R" \
  --cpu-limit "${DIFFTEST_CPU_LIMIT:-180}" --random-inputs "$RI" --keep "$ROOT/$BUILD/difftest-failures" \
  "${paths[@]}" | sed -u "s|$WORK/eval/[^/]*/|tests/eval/|g"
status=${PIPESTATUS[0]}
echo "# difftest suite: ${#paths[@]} corpus policies x $N lines, $R random" \
     "x $RI lines, seed $SEED: $(( $(date +%s) - start )) s (exit $status)"
if [ "$status" -gt 1 ]; then
  echo "not ok difftest: the driver exited with status $status"
fi
# tests/run.sh counts the lines; `make difftest` needs the status.
[ "$status" -eq 0 ] && [ "$selfcheck_failed" -eq 0 ]
