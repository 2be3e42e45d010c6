# §2: a bundle directory's policies are its own .rpol files whose header
# is `policy`, not its subdirectories, whatever their names: a folder
# called x.rpol (or x.test.rpol) is neither read nor an error, for check,
# test, eval and build alike.
st() { echo "[$*] exit $?"; }
mkdir -p "$WORK/bsub/b/old.rpol" "$WORK/bsub/b/p.test.rpol" && cd "$WORK/bsub" || exit
printf 'policy "p" version "1"\ndecide eligible = allow\ndecide refund_method = original_payment\ndecide shipping_payer = customer\n' > b/p.rpol
cp b/p.rpol b/old.rpol/q.rpol
echo '{"id":1,"customer":{"country":"DE"},"order":{"currency":"EUR"},"item":{"price":"1"},"request":{"date":"2026-01-01"}}' > in.jsonl
rpolc check b; st check
rpolc test b; st test
rpolc eval b in.jsonl; st eval
rpolc build b -o b.so; st build
rpolc eval b.so in.jsonl; st eval the build
