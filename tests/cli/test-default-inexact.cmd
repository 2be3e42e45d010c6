rpolc test test-default-inexact.rpol
