rpolc test testrun.rpol
