# The JIT's code cache through rpolc eval: the first run stores one entry
# in $RPOL_CACHE_DIR (created), the second uses it, --no-cache and an
# empty RPOL_CACHE_DIR leave the directory alone, a damaged entry is
# ignored (and written anew); every run decides alike.  A cache directory
# that cannot be made only means compiling.  rpolc test uses it too.
st() { echo "[$*] exit $?"; }
C=$WORK/cache/rpol
n() { find "$C" -name '*.o' 2>/dev/null | wc -l; }
RPOL_CACHE_DIR=$C rpolc eval ok.rpol ok.jsonl >"$WORK/a"; st cold; echo "entries: $(n)"
RPOL_CACHE_DIR=$C rpolc eval ok.rpol ok.jsonl >"$WORK/b"; st warm; cmp "$WORK/a" "$WORK/b" && echo same
rm -rf "$C"
RPOL_CACHE_DIR=$C rpolc eval ok.rpol ok.jsonl --no-cache >"$WORK/b"; st no-cache; cmp "$WORK/a" "$WORK/b" && echo same; echo "entries: $(n)"
RPOL_CACHE_DIR= rpolc eval ok.rpol ok.jsonl >"$WORK/b"; st empty variable; cmp "$WORK/a" "$WORK/b" && echo same
RPOL_CACHE_DIR=$C rpolc eval ok.rpol ok.jsonl >/dev/null; st stored again
for f in "$C"/*.o; do printf 'garbage' >"$f"; done
RPOL_CACHE_DIR=$C rpolc eval ok.rpol ok.jsonl >"$WORK/b"; st damaged; cmp "$WORK/a" "$WORK/b" && echo same
for f in "$C"/*.o; do [ "$(stat -c %s "$f")" -gt 1000 ] && echo rewritten; done
RPOL_CACHE_DIR=ok.rpol/cache rpolc eval ok.rpol ok.jsonl >"$WORK/b"; st under a file; cmp "$WORK/a" "$WORK/b" && echo same
rm -rf "$C"
RPOL_CACHE_DIR=$C rpolc test ok.rpol; st test; echo "entries: $(n)"
RPOL_CACHE_DIR=$C rpolc test ok.rpol; st test, warm; echo "entries: $(n)"
rm -rf "$C"
RPOL_CACHE_DIR=$C rpolc test ok.rpol --no-cache; st test --no-cache; echo "entries: $(n)"
