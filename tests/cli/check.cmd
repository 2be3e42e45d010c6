# §13 rpolc check: diagnostics on stderr as FILE:LINE:COL: error|warning:
# MESSAGE, the source line and a caret; warnings alone exit 0; a policy is
# checked with its NAME.test.rpol, and a file reached twice on the command
# line (`rpolc check *.rpol` names the test file too) is reported once;
# modules are checked on their own; nothing goes to stdout.
st() { echo "[$*] exit $?"; }
rpolc check ok.rpol mod.rpol; st clean
rpolc check chk.rpol chk.test.rpol ./chk.rpol; st policy and its test file
rpolc check chk.test.rpol; st test file alone
mkdir -p "$WORK/w" && sed -n '1,9p' chk.rpol >"$WORK/w/warn.rpol"
(cd "$WORK/w" && rpolc check warn.rpol); st warning only
