# rpolc test --extern-lib: a bare library name is the file in the current
# directory (as for rpolc eval), and an extern the library does not define
# is named in a warning (its calls are unbound_extern).
D=$(cd ../externs && pwd)
cd "$WORK" || exit
cp "$D/externs.rpol" . || exit
${CC:-cc} -shared -fPIC -o libexterns.so "$D/externs.c" || exit
echo 'int unrelated(void) { return 0; }' >other.c
${CC:-cc} -shared -fPIC -o libother.so other.c || exit
rpolc test --extern-lib libexterns.so externs.rpol; echo "exit $?"
rpolc eval --extern-lib libexterns.so externs.rpol "$D/input.jsonl" >/dev/null
echo "exit $?"
rpolc test --extern-lib libother.so externs.rpol | tail -n 1
