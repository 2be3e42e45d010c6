#!/usr/bin/env bash
# make install into a temporary DESTDIR: the tree is complete, the shared
# library exports only rpol_* symbols, and the embedding examples build
# through pkg-config alone and decide the sample requests as expected (C and
# Python alike).
set -u
: "${BUILD:?}" "${TMP:?}"
D="$TMP/destdir"
rm -rf "$D"
if ! make --no-print-directory BUILD="$BUILD" DESTDIR="$D" PREFIX=/usr install >"$TMP/install.log" 2>&1; then
  echo "not ok install: make install failed: $(tail -n 5 "$TMP/install.log")"
  exit 0
fi
missing=""
for f in usr/bin/rpolc usr/lib/librpol.a usr/lib/librpol.so usr/lib/librpol.so.0 \
         usr/include/rpol.h usr/lib/pkgconfig/rpol.pc usr/share/man/man1/rpolc.1 \
         usr/share/man/man5/rpol.5 usr/share/bash-completion/completions/rpolc; do
  [ -e "$D/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && echo "ok install tree" || echo "not ok install tree: missing$missing"

soname=$(readelf -d "$D/usr/lib/librpol.so" 2>/dev/null | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = librpol.so.0 ] && echo "ok install soname" || echo "not ok install soname: '$soname'"

others=$(nm -D --defined-only "$D/usr/lib/librpol.so" | awk '$2 != "A" {print $3}' | grep -v '^rpol_' | grep -v '^_' | head -n 5)
[ -z "$others" ] && echo "ok install exports only rpol_*" || echo "not ok install exports: $others"

man -l "$D/usr/share/man/man1/rpolc.1" >/dev/null 2>&1 || groff -man -Tutf8 "$D/usr/share/man/man1/rpolc.1" >/dev/null 2>&1 \
  && echo "ok install man pages render" || echo "not ok install man pages render"

export PKG_CONFIG_PATH="$D/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$D"
ex="$TMP/embed"
rm -rf "$ex" && mkdir -p "$ex"
# make test-sanitize sets RPOL_SAN_FLAGS: a sanitized librpol links only
# into a program built with the same sanitizers.
# shellcheck disable=SC2086
if ${RPOL_SAN_FLAGS:+clang} ${RPOL_SAN_FLAGS:-cc} -O2 -Wall -Werror examples/embed-c/checkout.c $(pkg-config --cflags --libs rpol) -o "$ex/checkout" 2>"$ex/cc.err"; then
  echo "ok embed-c builds through pkg-config"
else
  echo "not ok embed-c builds through pkg-config: $(head -c 500 "$ex/cc.err")"
fi
export LD_LIBRARY_PATH="$D/usr/lib"
"$D/usr/bin/rpolc" build examples/checkout.rpol -o "$ex/checkout.so" 2>"$ex/build.err" \
  || echo "not ok embed: installed rpolc cannot build: $(head -c 500 "$ex/build.err")"
"$ex/checkout" "$ex/checkout.so" examples/requests.jsonl >"$ex/c.out" 2>/dev/null
cmp -s "$ex/c.out" examples/expected.jsonl && echo "ok embed-c decides the requests" \
  || { echo "not ok embed-c decides the requests"; diff examples/expected.jsonl "$ex/c.out" | head; }
if [ -n "${RPOL_SAN_FLAGS:-}" ]; then
  # ctypes cannot load a sanitized library into an uninstrumented python.
  echo "ok python example (skipped: sanitized build)"
elif command -v python3 >/dev/null; then
  RPOL_LIB="$D/usr/lib/librpol.so.0" python3 examples/python/decide.py "$ex/checkout.so" examples/requests.jsonl >"$ex/py.out" 2>"$ex/py.err"
  cmp -s "$ex/py.out" examples/expected.jsonl && echo "ok python example decides the requests" \
    || { echo "not ok python example decides the requests"; diff examples/expected.jsonl "$ex/py.out" | head; head -c 500 "$ex/py.err"; }
else
  echo "not ok python example: python3 is not installed"
fi
make --no-print-directory BUILD="$BUILD" DESTDIR="$D" PREFIX=/usr uninstall >/dev/null 2>&1
left=$(find "$D" -type f | head -n 3)
[ -z "$left" ] && echo "ok uninstall removes every file" || echo "not ok uninstall leaves: $left"
