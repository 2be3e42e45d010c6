rpolc test test-required.rpol
