# A built policy is recognised by its content, not its name: `rpolc build
# -o NAME` with no extension, then eval NAME, decides as the source does.
cp ok.rpol ok.jsonl "$WORK/" && cd "$WORK" || exit
rpolc build ok.rpol -o okpolicy; echo "[build] exit $?"
rpolc eval okpolicy ok.jsonl > built.out; echo "[eval built] exit $?"
rpolc eval ok.rpol ok.jsonl > source.out; echo "[eval source] exit $?"
cmp built.out source.out && echo "same records"
cat built.out
