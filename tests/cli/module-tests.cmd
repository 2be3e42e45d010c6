# §11: a test file runs its policy, so NAME.test.rpol beside a module
# would never run; check and test say so (exit 1) whether the module, the
# test file or a bundle holding both is named.  Eval of the bundle is not
# about tests and is unaffected.
st() { echo "[$*] exit $?"; }
mkdir -p "$WORK/modtests/b" && cd "$WORK/modtests/b" || exit
printf 'module "m"\nlet x = 1\n' > m.rpol
printf 'test "a" {\n  given { customer.country = DE }\n  expect { eligible = allow }\n}\n' > m.test.rpol
printf 'policy "q" version "1"\nuse "m.rpol"\ndecide eligible = allow\ndecide refund_method = original_payment\ndecide shipping_payer = customer\n' > q.rpol
rpolc check m.rpol; st check the module
rpolc test m.rpol; st test the module
rpolc check m.test.rpol; st check the test file
cd .. && rpolc check b; st check the bundle
rpolc eval b </dev/null; st eval the bundle
rm b/m.test.rpol && rpolc check b/m.rpol b; st check without the test file
