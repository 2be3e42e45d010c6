rpolc test test-given-expect.rpol
