rpolc test test-reported.rpol
