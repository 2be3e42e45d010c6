# §14 custom outputs across files, in `outputs` and in the trace, on every
# engine: modules first, each after the modules it uses (in use order),
# then the policy's own, each file in declaration order.
L='{"customer":{"country":"DE"},"order":{"currency":"EUR"},"item":{"price":"1"},"request":{"date":"2026-01-01"}}'
echo "$L" | rpolc eval --explain --interp order/pol.rpol | grep -o '"outputs".*'
echo "$L" | rpolc eval --explain order/pol.rpol | grep -o '"outputs".*'
rpolc build order/pol.rpol -o "$WORK/order.so" &&
  echo "$L" | rpolc eval --explain "$WORK/order.so" | grep -o '"outputs".*'
