# §13 exit status 2 for misuse, with a message that says why: built
# shared objects given to the commands that read source, build outputs
# that cannot be written (checked before compiling; the source is never
# overwritten), and `rpolc COMMAND --help` (help on stdout, exit 0).
st() { echo "[$*] exit $?"; }
cp ok.rpol ok.jsonl "$WORK/" && cd "$WORK" || exit
rpolc build ok.rpol -o ok.so; st build
rpolc check ok.so; st check a .so
rpolc check ok.rpol ok.so; st check source and a .so
rpolc test ok.so; st test a .so
rpolc build ok.so -o x.so; st build a .so
rpolc eval ok.so ok.jsonl >/dev/null; st eval a .so
rpolc build ok.rpol -o no/such/dir/x.so; st build into a missing directory
rpolc build ok.rpol -o .; st build onto a directory
cp ok.rpol src.rpol
rpolc build src.rpol -o ./src.rpol; st build onto its source
cmp -s ok.rpol src.rpol && echo "source intact"
rpolc build ok.rpol -o -; st build a .so to stdout
rpolc build ok.rpol --emit=llvm -o - | grep -c '^define'; st build llvm to stdout
rpolc check --help | head -n 1; st check --help
rpolc eval ok.rpol -h | head -n 1; st eval -h
rpolc test --help >/dev/null; st test --help
rpolc help eval | head -n 1; st help eval
rpolc help frob; st help frob
if [ -w /dev/full ]; then
  rpolc test ok.rpol >/dev/full; st test report to a full disk
  rpolc eval ok.rpol ok.jsonl >/dev/full 2>/dev/null; st eval to a full disk
else
  echo "[test report to a full disk] exit 2"; echo "[eval to a full disk] exit 2"
  echo "rpolc test: error: writing the report failed: No space left on device" >&2
fi
printf 'test "t" {\n  given { customer.country = DE }\n  expect { eligible = allow }\n}\n' > ok.test.rpol
rpolc eval ok.test.rpol ok.jsonl; st eval a test file
rpolc build ok.test.rpol -o t.so; st build a test file
