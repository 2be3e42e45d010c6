# The JIT's modes (--jit=MODE, rpol_runtime_set_jit_mode): each decides as
# the interpreter does; the quick code is never cached; the tiered mode
# leaves the optimised code in the cache even when the run ends before it
# takes over; an unknown mode is a usage error.  rpolc bench waits for the
# optimised code in the tiered mode and says when it took over.
st() { echo "[$*] exit $?"; }
C=$WORK/cache-modes
n() { find "$C" -name '*.o' 2>/dev/null | wc -l; }
rpolc eval --interp ok.rpol ok.jsonl >"$WORK/ref"; st interp
for m in quick optimised tiered; do
  rm -rf "$C"
  RPOL_CACHE_DIR=$C rpolc eval --jit=$m ok.rpol ok.jsonl >"$WORK/b"; st $m
  cmp "$WORK/ref" "$WORK/b" && echo same; echo "entries: $(n)"
done
rpolc eval --jit=fast ok.rpol ok.jsonl; st unknown mode
rpolc bench --jit=quick --no-cache ok.rpol ok.jsonl --repeat 1 >"$WORK/q"; st bench quick
grep -o '^load: .* ms (JIT compile, quick code only;' "$WORK/q" | sed 's/[0-9.]* ms/N ms/'
grep -c '^optimised code' "$WORK/q"
rpolc bench --no-cache ok.rpol ok.jsonl --repeat 1 >"$WORK/t"; st bench tiered
grep -o '^load: .* ms (JIT compile, quick code;' "$WORK/t" | sed 's/[0-9.]* ms/N ms/'
grep -o '^optimised code: deciding' "$WORK/t"
