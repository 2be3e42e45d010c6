# §10/§14 locations in error records and --explain traces: the policy file
# as given on the command line, imports as the importer's folder, one /,
# then the use string as written (never normalised); a bundle directory's
# files as DIR/NAME; a built .so keeps the locations it was built with.
# Error records carry no trace; a denial's trace holds eligible only.
rpolc eval --explain loc/pol.rpol loc/lines.jsonl; echo "exit $?"
rpolc eval ./loc/pol.rpol loc/lines.jsonl | grep -o '"at":"[^"]*"'
rpolc eval --interp loc loc/lines.jsonl | grep -o '"at":"[^"]*"'
rpolc build loc/ -o "$WORK/loc.so" && rpolc eval "$WORK/loc.so" loc/lines.jsonl | grep -o '"at":"[^"]*"'
cd loc && rpolc eval --explain pol.rpol lines.jsonl | grep -o '"at":"[^"]*"\|"eligible":"[^"]*"'
