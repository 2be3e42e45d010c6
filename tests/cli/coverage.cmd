# rpolc test --coverage (§11, §13): per policy, the cases no test reached
# (decide blocks and function case blocks, modules included, FILE:LINE of
# the when/otherwise) and the share reached (tenths, rounded down, so 100%
# means every case); --coverage=json prints the same as one JSON line
# before the closing `N passed, N failed` line, which always comes last.
rpolc test --coverage cov; echo "exit $?"
rpolc test --coverage=json cov/b.rpol; echo "exit $?"
rpolc test --coverage ok.rpol mod.rpol; echo "exit $?"
