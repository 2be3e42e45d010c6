# §12 input lines through rpolc eval: numbered from 1, a trailing \r
# ignored (CRLF files), a final line without a newline still decided, a
# blank or whitespace-only line is bad_input (never skipped), empty input
# gives no output and exit 0, INPUT absent or - is stdin, a directory as
# INPUT is misuse (exit 2), an over-long line is a bad_input record and the
# stream goes on.  Records are cut to 90 columns.
st() { echo "[$*] exit $?"; }
ev() { rpolc eval "$@" >"$WORK/o"; local r=$?; cut -c1-90 "$WORK/o"; return $r; }
L=$(cat ok.jsonl)
printf '%s\r\n%s\r\n' "${L/\{/{\"id\":1,}" "${L/\{/{\"id\":2,}" | ev ok.rpol; st crlf
printf '%s\n%s' "${L/\{/{\"id\":1,}" "${L/\{/{\"id\":2,}" | ev ok.rpol -; st no final newline
printf '%s\n\n \t\n\r\n%s\n' "$L" "${L/\{/{\"id\":5,}" | ev ok.rpol; st blank lines
: | ev ok.rpol; st empty input
ev ok.rpol /dev/null; st empty file
ev ok.rpol . 2>/dev/null; st directory as input
{ printf '{"id":"%*s",' 1048576 x; printf '%s\n' "${L#\{}"; echo "${L/\{/{\"id\":3,}"; } |
  ev ok.rpol; st long line
printf '%s\n' "$L" | ev ok.rpol nope.jsonl; st missing input file
