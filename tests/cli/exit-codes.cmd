# §13: exit status 0 success, 1 input rejected, 2 misuse.
st() { echo "[$*] exit $?"; }
rpolc check ok.rpol mod.rpol; st check ok
rpolc check; st check nothing
rpolc check nope.rpol; st check unreadable
rpolc check --bogus ok.rpol; st check bad flag
rpolc test ok.rpol; st test ok
rpolc test --coverage ok.rpol; st test coverage
rpolc eval ok.rpol ok.jsonl; st eval ok
rpolc eval ok.rpol - < ok.jsonl; st eval stdin
rpolc eval mod.rpol ok.jsonl; st eval module
rpolc eval ok.rpol nope.jsonl; st eval unreadable input
rpolc eval --bogus ok.rpol ok.jsonl; st eval bad flag
rpolc eval --locale; st eval flag without value
rpolc eval testrun.rpol ok.jsonl; st eval error record
echo '' | rpolc eval ok.rpol; st eval bad_input record
rpolc eval --extern-lib ./nope.so ok.rpol ok.jsonl; st eval extern lib missing
rpolc test --extern-lib ./nope.so ok.rpol; st test extern lib missing
rpolc build ok.rpol; st build without -o
rpolc build mod.rpol -o "$WORK/m.so"; st build module
rpolc fmt --check ok.rpol; st fmt check unformatted
rpolc fmt - < ok.rpol >/dev/null; st fmt stdin
rpolc bench ok.rpol; st bench without input
rpolc frob 2>/dev/null; st unknown command
