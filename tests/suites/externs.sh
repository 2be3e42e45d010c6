#!/usr/bin/env bash
# Extern functions through a real shared library (tests/externs/): the
# library is built here, bound with --extern-lib, and the same decisions
# are expected from the interpreter, the JIT and a built .so; the policy's
# own tests run on both engines; without the library every call is
# unbound_extern at the call's name.  Prints `ok NAME` / `not ok NAME`.
set -u
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
RPOLC=${RPOLC:-$ROOT/$BUILD/rpolc}
WORK=$(mktemp -d "${TMP:-/tmp}/externs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DIR=tests/externs
LIB="$WORK/libexterns.so"

if ! ${CC:-cc} -shared -fPIC -O2 -Wall -Wextra -o "$LIB" "$DIR/externs.c" \
     2>"$WORK/cc.err"; then
  echo "not ok externs: cannot build $DIR/externs.c"
  sed 's/^/# /' "$WORK/cc.err"
  exit 0
fi

check() {  # NAME EXPECTED-FILE OUTPUT-FILE
  if cmp -s "$2" "$3"; then
    echo "ok $1"
  else
    echo "not ok $1"
    diff "$2" "$3" | head -n 20 | sed 's/^/# /'
  fi
}

"$RPOLC" build "$DIR/externs.rpol" -o "$WORK/externs.so" 2>"$WORK/build.err" ||
  sed 's/^/# /' "$WORK/build.err"
for engine in interp jit aot; do
  case $engine in
    interp) set -- --interp "$DIR/externs.rpol" ;;
    jit) set -- "$DIR/externs.rpol" ;;
    aot) set -- "$WORK/externs.so" ;;
  esac
  "$RPOLC" eval --extern-lib "$LIB" "$@" "$DIR/input.jsonl" \
    >"$WORK/out.$engine" 2>"$WORK/err.$engine"
  check "externs eval [$engine]" "$DIR/expected.jsonl" "$WORK/out.$engine"
done

for engine in interp jit; do
  flag=""
  [ "$engine" = interp ] && flag=--interp
  if "$RPOLC" test $flag --extern-lib "$LIB" "$DIR/externs.rpol" \
       >"$WORK/test.out" 2>&1 &&
     grep -qx '5 passed, 0 failed' "$WORK/test.out"; then
    echo "ok externs test [$engine]"
  else
    echo "not ok externs test [$engine]"
    sed 's/^/# /' "$WORK/test.out" | head -n 20
  fi
done

# Without the library: the first call met is unbound_extern at its name.
"$RPOLC" eval --interp "$DIR/externs.rpol" "$DIR/input.jsonl" \
  >"$WORK/unbound.out" 2>/dev/null
if head -n 1 "$WORK/unbound.out" | grep -q \
     '"code":"unbound_extern",.*"at":"tests/externs/externs.rpol:23:8"'; then
  echo "ok externs unbound"
else
  echo "not ok externs unbound"
  sed 's/^/# /' "$WORK/unbound.out"
fi
