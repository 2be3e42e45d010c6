# A bundle directory skips hidden files (an editor's lock link .#p.rpol
# pointing nowhere, a set-aside .old.rpol), as rpolc fmt does; and a use
# path is relative to the importing file (§2): an absolute one is a check
# error at the use, whether the file sits in the current folder or not.
st() { echo "[$*] exit $?"; }
mkdir -p "$WORK/bhid/b" "$WORK/bhid/d" && cd "$WORK/bhid" || exit
printf 'policy "p" version "1"\ndecide eligible = allow\ndecide refund_method = original_payment\ndecide shipping_payer = customer\n' > b/p.rpol
ln -s nowhere@1234:5678 'b/.#p.rpol'
printf 'policy "old" version "0"\n' > b/.old.rpol
rpolc check b; st check a bundle with hidden files
printf 'policy "q" version "1"\nuse "/srv/rpol/common.rpol"\ndecide eligible = allow\ndecide refund_method = original_payment\ndecide shipping_payer = customer\n' > x.rpol
cp x.rpol d/x.rpol
rpolc check x.rpol; st check an absolute use here
rpolc check d/x.rpol; st check an absolute use in a folder
