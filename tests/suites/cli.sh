#!/usr/bin/env bash
# Command-line contract goldens (tests/cli/): each NAME.cmd is a bash
# snippet run in tests/cli/ with `rpolc` bound to the built compiler; its
# stdout, stderr and exit status must equal NAME.expected exactly
# (BLESS=1 rewrites the .expected files; review the diff).  Used for what
# the eval and diag goldens cannot hold: `rpolc test` reports, exit
# statuses of every command, misuse.  Prints `ok NAME` / `not ok NAME`.
set -u
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
RPOLC=${RPOLC:-$ROOT/$BUILD/rpolc}
WORK=$(mktemp -d "${TMP:-/tmp}/cli.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export RPOLC WORK

for cmd in tests/cli/*.cmd; do
  [ -e "$cmd" ] || continue
  name=$(basename "$cmd" .cmd)
  exp=tests/cli/$name.expected
  (cd tests/cli &&
   bash -c 'rpolc() { "$RPOLC" "$@"; }; . "./$1"' _ "$name.cmd" \
     >"$WORK/out" 2>"$WORK/err" </dev/null
   echo $? >"$WORK/rc")
  { echo "--- stdout"; cat "$WORK/out"; echo "--- stderr"; cat "$WORK/err"
    echo "--- exit $(cat "$WORK/rc")"; } >"$WORK/got"
  if [ -n "${BLESS:-}" ]; then cp "$WORK/got" "$exp"; echo "ok $name"; continue; fi
  if [ -e "$exp" ] && cmp -s "$exp" "$WORK/got"; then
    echo "ok $name"
  else
    echo "not ok cli $name"
    diff "$exp" "$WORK/got" 2>&1 | head -n 20 | sed 's/^/# /'
  fi
done
