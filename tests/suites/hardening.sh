#!/usr/bin/env bash
# Hardening (issue 7): artifacts the loader must refuse, a long stream with
# malformed lines, failed writes, and hot reload under load.  Run by
# tests/run.sh (make test); prints `ok NAME` / `not ok NAME` lines.
#
#   HARDEN_LINES   lines of the long stream (default 1000000)
#   RELOAD_ARGS    arguments of the hot-reload stress run (default: the
#                  full size of issue 7, 8 threads x 1,000,000 lines and
#                  1,000 swaps; make test-tsan runs it under TSan)
set -u
BUILD=${BUILD:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
RPOLC=${RPOLC:-$ROOT/$BUILD/rpolc}
LINES=${HARDEN_LINES:-1000000}
OWN_TMP=""
if [ -z "${TMP:-}" ] || [ ! -d "${TMP:-}" ]; then
  TMP=$(mktemp -d)
  OWN_TMP=$TMP
fi
W=$(mktemp -d "$TMP/hardening.XXXXXX")
cleanup() {
  rm -rf "$W"
  [ -n "$OWN_TMP" ] && rm -rf "$OWN_TMP"
}
trap cleanup EXIT

ok() { echo "ok hardening $1"; }
notok() {
  echo "not ok hardening $1"
  [ -n "${2:-}" ] && printf '%s\n' "$2" | head -n 10 | sed 's/^/# /'
}

# A policy with a decision error on some lines (division by zero) and a
# version number in a custom output.
mkpolicy() { # VERSION FILE
  cat >"$2" <<EOF
policy "harden" version "$1"
output gen: int
output per_unit: int
decide eligible = allow
decide refund_method = original_payment
decide shipping_payer = customer
decide gen = $1
decide per_unit = 100 / item.quantity
EOF
}
mkpolicy 1 "$W/p.rpol"
if ! "$RPOLC" build "$W/p.rpol" -o "$W/p.so" >"$W/build.err" 2>&1; then
  notok "build the test policy" "$(cat "$W/build.err")"
  exit 0
fi
GOOD='{"id":1,"customer":{"country":"DE"},"order":{"currency":"EUR"},"item":{"price":"10.00","quantity":2},"request":{"date":"2026-03-11"}}'
printf '%s\n' "$GOOD" >"$W/one.jsonl"

# --- artifacts the loader refuses -----------------------------------------
# refuse NAME FILE PATTERN: `rpolc eval FILE` fails cleanly (no crash, no
# output) with a message matching PATTERN.
refuse() {
  "$RPOLC" eval "$2" "$W/one.jsonl" >"$W/out" 2>"$W/err"
  rc=$?
  if [ "$rc" -eq 0 ] || [ "$rc" -gt 128 ]; then
    notok "refuses $1 (exit $rc)" "$(cat "$W/err" "$W/out")"
  elif [ -s "$W/out" ]; then
    notok "refuses $1: wrote a decision" "$(cat "$W/out")"
  elif ! grep -Eq "$3" "$W/err"; then
    notok "refuses $1: message does not say why" "$(cat "$W/err")"
  else
    ok "refuses $1"
  fi
}
# patch FILE OFFSET BYTES (printf escapes)
patch() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
offset_of() { # FILE PERL-REGEX: byte offset of the first match
  LC_ALL=C grep -obUaP "$2" "$1" | head -n 1 | cut -d: -f1
}

if "$RPOLC" eval "$W/p.so" "$W/one.jsonl" >"$W/out" 2>"$W/err" &&
   grep -q '"gen":1' "$W/out"; then
  ok "loads the intact artifact"
else
  notok "loads the intact artifact" "$(cat "$W/err" "$W/out")"
fi

size=$(stat -c %s "$W/p.so")
for n in 0 3 16 64 512 $(seq 2048 4096 "$size") $((size - 64)) $((size - 1)); do
  head -c "$n" "$W/p.so" >"$W/trunc$n.so"
  refuse "a .so truncated to $n of $size bytes" "$W/trunc$n.so" \
    'truncated|not an ELF|cannot load|corrupted|too short'
done

cp "$W/p.so" "$W/meta.so"
off=$(offset_of "$W/meta.so" '"policies":')
patch "$W/meta.so" "$((off + 1))" 'X'
refuse "corrupted metadata (a renamed key)" "$W/meta.so" 'corrupted'

cp "$W/p.so" "$W/json.so"
off=$(offset_of "$W/json.so" '"schema_hash":')
patch "$W/json.so" "$((off + 14))" '{'
refuse "corrupted metadata (broken JSON)" "$W/json.so" 'corrupted metadata'

cp "$W/p.so" "$W/hdr.so"
# The header: magic "RPOL", then the ABI version (rpol_abi.h).
abi=$(sed -n 's/^#define RPOL_ABI_VERSION \([0-9]*\)$/\1/p' runtime/rpol_abi.h)
off=$(offset_of "$W/hdr.so" "RPOL\\x$(printf %02x "$abi")\\x00\\x00\\x00")
patch "$W/hdr.so" "$((off + 8))" '\001\000\000\000'
refuse "a corrupted artifact header" "$W/hdr.so" 'corrupted artifact header'

cp "$W/p.so" "$W/magic.so"
patch "$W/magic.so" "$off" 'XPOL'
refuse "a bad magic number" "$W/magic.so" 'bad magic'

cp "$W/p.so" "$W/phdr.so"
patch "$W/phdr.so" 64 '\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377'
refuse "corrupted ELF program headers" "$W/phdr.so" 'cannot load|corrupted'

cp "$W/p.so" "$W/abi.so"
patch "$W/abi.so" "$((off + 4))" "$(printf '\\%03o' $((abi + 1)))"
refuse "a wrong ABI version" "$W/abi.so" "ABI $((abi + 1)), this runtime is ABI $abi"

cp "$W/p.so" "$W/schema.so"
off=$(offset_of "$W/schema.so" '"schema_hash":"')
c=$(dd if="$W/schema.so" bs=1 skip="$((off + 15))" count=1 status=none)
[ "$c" = 0 ] && new=1 || new=0
patch "$W/schema.so" "$((off + 15))" "$new"
refuse "another schema" "$W/schema.so" 'schema'

cp "$W/p.so" "$W/arch.so"
patch "$W/arch.so" 18 '\267\000'     # e_machine = EM_AARCH64
refuse "another architecture (e_machine aarch64)" "$W/arch.so" \
  'cannot load|architecture|ELF'

if command -v clang >/dev/null &&
   printf 'int rpol_artifact_v1[16] = {0x4c4f5052, 1};\n' >"$W/a64.c" &&
   clang --target=aarch64-linux-gnu -fPIC -c "$W/a64.c" -o "$W/a64.so" \
     2>/dev/null; then
  refuse "an aarch64 object" "$W/a64.so" 'cannot load|architecture|ELF'
fi

cp "$W/p.rpol" "$W/text.so"
refuse "a text file" "$W/text.so" 'not an ELF'
printf 'int not_a_policy = 1;\n' >"$W/other.c"
if cc -shared -fPIC -o "$W/other.so" "$W/other.c" 2>/dev/null; then
  refuse "a shared object that is not a policy" "$W/other.so" \
    'not an rpol policy artifact'
fi
mkdir -p "$W/empty"
refuse "an empty directory" "$W/empty" 'holds no policy|not a file|directory'
refuse "a missing file" "$W/missing.so" 'No such file|cannot'

# --- the long stream --------------------------------------------------------
# LINES lines, 1% malformed in ten ways, 0.5% decision errors: exactly
# LINES output lines, each naming its own line (id or line number).
awk -v n="$LINES" 'BEGIN {
  bad[0] = "not json"
  bad[1] = ""
  bad[2] = "{\"id\":%d,\"customer\":{\"country\":\"DE\"}"
  bad[3] = "{\"id\":%d,\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"10.001\",\"quantity\":1},\"request\":{\"date\":\"2026-03-11\"}}"
  bad[4] = "{\"id\":%d,\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"10.00\",\"quantity\":1},\"request\":{\"date\":\"2026-02-30\"}}"
  bad[5] = "[1,2,3]"
  bad[6] = "{\"id\":%d,\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"\303\050\",\"quantity\":1},\"request\":{\"date\":\"2026-03-11\"}}"
  bad[7] = "{\"id\":%d,\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"10.00\",\"quantity\":99999999999999999999},\"request\":{\"date\":\"2026-03-11\"}}"
  bad[8] = "{\"id\":%d,\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]}"
  bad[9] = "{\"id\":%d,\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"10.00\",\"quantity\":1},\"request\":{\"date\":\"2026-03-11\"}} trailing"
  for (i = 1; i <= n; i++) {
    if (i % 100 == 37) { printf bad[int(i / 100) % 10] "\n", i; continue }
    q = (i % 200 == 11) ? 0 : 1 + i % 7
    printf "{\"id\":%d,\"customer\":{\"country\":\"DE\"},\"order\":{\"currency\":\"EUR\"},\"item\":{\"price\":\"%d.%02d\",\"quantity\":%d},\"request\":{\"date\":\"2026-03-11\"}}\n", i, 1 + i % 500, i % 100, q
  }
}' >"$W/stream.jsonl"
start=$(date +%s)
"$RPOLC" eval "$W/p.so" "$W/stream.jsonl" >"$W/stream.out" 2>"$W/stream.err"
rc=$?
secs=$(( $(date +%s) - start ))
got=$(wc -l <"$W/stream.out")
want_rc=1
[ "$LINES" -lt 11 ] && want_rc=0    # no malformed line, no error
if [ "$rc" -ne "$want_rc" ]; then
  notok "stream of $LINES lines: exit $rc, want $want_rc" "$(head -c 2000 "$W/stream.err")"
elif [ "$got" -ne "$LINES" ]; then
  notok "stream of $LINES lines: $got output lines"
else
  # Every output line names its input line: by id, or by line number.
  res=$(awk '{
      if (index($0, "{\"id\":" NR ",") != 1 && index($0, "\"line\":" NR ",") == 0) {
        print "line " NR ": " substr($0, 1, 200); exit
      }
      if (index($0, "\"bad_input\"")) b++
      else if (index($0, "\"division_by_zero\"")) z++
      else if (index($0, "\"verdict\":\"allow\"")) a++
    } END { if (!NR) print "empty"; printf "counts %d %d %d\n", b, z, a }' \
    "$W/stream.out")
  case $res in
    counts*)
      set -- $res
      want_bad=$(( (LINES + 63) / 100 ))
      if [ "$2" -ne "$want_bad" ] || { [ "$3" -eq 0 ] && [ "$LINES" -ge 11 ]; } ||
         [ $(( $2 + $3 + $4 )) -ne "$LINES" ]; then
        notok "stream of $LINES lines: $2 bad_input (want $want_bad), $3 decision errors, $4 decisions"
      else
        ok "stream of $LINES lines, $2 malformed, $3 decision errors: all lines out, in order (${secs}s)"
      fi ;;
    *) notok "stream of $LINES lines: out of order" "$res" ;;
  esac
fi

# --- limits (docs/limits.md) --------------------------------------------------
HDR='policy "lim" version "1"
output x: int
decide eligible = allow
decide refund_method = original_payment
decide shipping_payer = customer'
# limit NAME FILE PATTERN: `rpolc check FILE` fails (exit 1, or 2 for a
# file it will not read) saying PATTERN.
limit() {
  "$RPOLC" check "$2" >"$W/out" 2>"$W/err"
  rc=$?
  if { [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ]; } && grep -q -- "$3" "$W/err"; then
    ok "limit: $1"
  else
    notok "limit: $1 (exit $rc)" "$(head -c 600 "$W/err")"
  fi
}
rep() { # N TEXT: TEXT N times
  awk -v n="$1" -v t="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", t }'
}
{ echo "$HDR"; printf 'decide x = '; rep 300 '('; printf 1; rep 300 ')'; echo; } >"$W/l-nest.rpol"
limit "bracket nesting" "$W/l-nest.rpol" 'nested too deeply (limit 256)'
{ echo "$HDR"; printf 'decide x = 1'; rep 1100 ' + 1'; echo; } >"$W/l-ops.rpol"
limit "operator depth" "$W/l-ops.rpol" 'limit 1024 operators'
{ echo "$HDR"; echo 'decide x {'
  awk 'BEGIN { for (i = 1; i <= 1001; i++) print "  when item.quantity == " i " => " i }'
  echo '  otherwise => 0'; echo '}'; } >"$W/l-cases.rpol"
limit "cases per block" "$W/l-cases.rpol" 'has 1002 cases; the limit is 1000'
{ echo "$HDR"; printf 'enum Big { '; awk 'BEGIN { for (i = 0; i < 65; i++) printf "m%d, ", i }'
  echo 'last }'; echo 'decide x = 1'; } >"$W/l-enum.rpol"
limit "enum members" "$W/l-enum.rpol" 'the limit is 64'
{ echo "$HDR"; echo 'decide x = 1'; awk 'BEGIN { s = sprintf("%1000s", ""); for (i = 0; i < 17 * 1024; i++) print "#" s }'; } >"$W/l-size.rpol"
limit "source file size" "$W/l-size.rpol" 'too large (limit 16 MiB)'
rm -f "$W/l-size.rpol"

# JSON line limits: each bad line is its own bad_input record, and the line
# after it decides as usual.
{
  printf '{"id":1,"pad":"%s"}\n' "$(rep 70000 a)"
  printf '%s\n' "$GOOD"
  printf '{"id":3,"pad":"%s"}\n' "$(rep 1100 "$(rep 1000 b)")"
  printf '%s\n' "$GOOD"
  printf '{"id":5,"deep":%s1%s}\n' "$(rep 64 '[')" "$(rep 64 ']')"
  printf '%s\n' "$GOOD"
  printf '%s,"deep":%s1%s}\n' "${GOOD%\}}" "$(rep 63 '[')" "$(rep 63 ']')"
} >"$W/l-json.jsonl"
"$RPOLC" eval "$W/p.so" "$W/l-json.jsonl" >"$W/l-json.out" 2>"$W/err"
check_line() { # N PATTERN NAME
  if sed -n "$1p" "$W/l-json.out" | grep -q -- "$2"; then ok "limit: $3"
  else notok "limit: $3" "$(sed -n "$1p" "$W/l-json.out" | head -c 300)"; fi
}
check_line 1 'a string longer than 65536 bytes' "JSON string length"
check_line 3 'line too long: 1100[0-9]* bytes, the limit is 1048576' "JSON line length"
check_line 5 'nested deeper than 64 levels' "JSON nesting depth"
check_line 7 '"verdict":"allow"' "JSON nesting of 64 levels is accepted"
if [ "$(grep -c '"verdict":"allow"' "$W/l-json.out")" -eq 4 ] &&
   [ "$(wc -l <"$W/l-json.out")" -eq 7 ]; then
  ok "limit: lines past a limit do not stop the stream"
else
  notok "limit: lines past a limit do not stop the stream" "$(cut -c1-200 "$W/l-json.out")"
fi

# --- failed writes ------------------------------------------------------------
if [ -w /dev/full ]; then
  for n in 1 100000; do
    head -n "$n" "$W/stream.jsonl" >"$W/full.jsonl"
    "$RPOLC" eval "$W/p.so" "$W/full.jsonl" >/dev/full 2>"$W/full.err"
    rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] &&
       grep -q 'error: writing the decisions failed' "$W/full.err"; then
      ok "eval of $n lines to /dev/full fails with a message"
    else
      notok "eval of $n lines to /dev/full (exit $rc)" "$(cat "$W/full.err")"
    fi
  done
fi

# --- fuzz targets: seeds and regression inputs -----------------------------------
# The three first targets, and any other that make test built
# ($BUILD/fuzz-T for each of the Makefile's FUZZ_TARGETS).
targets="frontend json diff"
for b in "$ROOT/$BUILD"/fuzz-*; do
  [ -f "$b" ] && [ -x "$b" ] || continue
  case " $targets " in *" ${b##*/fuzz-} "*) ;; *) targets="$targets ${b##*/fuzz-}" ;; esac
done
for t in $targets; do
  bin="$ROOT/$BUILD/fuzz-$t"
  if [ ! -x "$bin" ]; then
    notok "fuzz $t: $BUILD/fuzz-$t is not built"
    continue
  fi
  bash tests/fuzz/seeds.sh "$t" "$W/seeds-$t"
  regress=tests/fuzz/regress/$t
  [ -d "$regress" ] || regress=
  if "$bin" "$W/seeds-$t" $regress >"$W/fuzz.out" 2>&1; then
    ok "fuzz $t replays $(sed -n 's/^ran \([0-9]*\) inputs$/\1/p' "$W/fuzz.out") seeds and regression inputs"
  else
    notok "fuzz $t replay" "$(tail -n 20 "$W/fuzz.out")"
  fi
done

# --- hot reload under load ------------------------------------------------------
if [ -x "$ROOT/$BUILD/stress-reload" ]; then
  for v in 1 2 3; do
    mkpolicy "$v" "$W/v$v.rpol"
    "$RPOLC" build "$W/v$v.rpol" -o "$W/v$v.so" >/dev/null 2>&1
  done
  # shellcheck disable=SC2086
  "$ROOT/$BUILD/stress-reload" ${RELOAD_ARGS:--t 8 -n 1000000 -s 1000} \
    "$W/v1.so" "$W/v2.so" "$W/v3.so" 2>&1 |
    sed 's/^ok reload/ok hardening reload/; s/^not ok reload/not ok hardening reload/'
else
  notok "reload: $BUILD/stress-reload is not built"
fi
exit 0
