#!/bin/sh
# The text of a post from standard input (--text -) or a file (--file F), wherever --text is accepted;
# bounded by PARLEY_TEXT_MAX, UTF-8 only, never empty; a refused text sends nothing.
. "$(dirname "$0")/lib.sh"

setup_channel
logsize() {
	"$PARLEY" api --relay "$RELAY_URL" --key keys/cert-a.key GET "/v1/channels/$CHANNEL/checkpoint" 2>/dev/null |
		sed -n 2p
}

# --text - reads standard input (it used to send a literal "-")
printf 'read from stdin\nsecond line\n' | "$PARLEY" --home a notify --to cert-b --category ip-theft --text - >out 2>err ||
	fail "notify --text -"
N=$(tail -n 1 out)
p 0 --home b sync
p 0 --home b show "$N"
has_out "^read from stdin$"
has_out "^second line$"

# --file F on notify, ack, reply, escalate, close
printf 'from a file\n' > note.txt
p 0 --home b ack "$N" --file note.txt
A=$(tail -n 1 out)
p 0 --home b reply "$N" --file note.txt
R=$(tail -n 1 out)
echo "piped reply" | "$PARLEY" --home b reply "$N" --text - >out 2>err || fail "reply --text -"
P=$(tail -n 1 out)
p 0 --home a escalate "$N" --file note.txt
E=$(tail -n 1 out)
p 0 --home a close "$N" --file note.txt
C=$(tail -n 1 out)
p 0 --home a sync
for i in "$A" "$R" "$C"; do
	p 0 --home a show "$i"
	has_out "^from a file$"
done
p 0 --home a show "$P"
has_out "^piped reply$"
p 0 --home a show "$E"
has_out "escalated to the diplomatic level: from a file"
for c in notify ack reply escalate close; do p 0 $c --help; has_out "--file F"; has_out "--text -"; done

# refused, nothing sent: empty, too long, not UTF-8, a NUL, both --text and --file, a missing file
before=$(logsize)
: > empty.txt
p 1 --home a notify --to cert-b --category ip-theft --file empty.txt
has_err "empty.txt: the text is empty"
printf '' | "$PARLEY" --home a notify --to cert-b --category ip-theft --text - >out 2>err && fail "empty stdin accepted"
has_err "standard input: the text is empty"
python3 -c "import sys; sys.stdout.write('x' * 65537)" > long.txt
p 1 --home a notify --to cert-b --category ip-theft --file long.txt
has_err "long.txt: the text is over the 65536-byte limit (PARLEY_TEXT_MAX)"
python3 -c "import sys; sys.stdout.write('x' * 65536)" > max.txt
printf 'caf\351\n' > latin1.txt
p 1 --home a notify --to cert-b --category ip-theft --file latin1.txt
has_err "latin1.txt: the text is not valid UTF-8"
printf 'a\000b' > nul.txt
p 1 --home a notify --to cert-b --category ip-theft --file nul.txt
has_err "nul.txt: text contains a NUL byte"
printf '\355\240\200\n' > surrogate.txt
p 1 --home b reply "$N" --file surrogate.txt
has_err "surrogate.txt: the text is not valid UTF-8"
p 2 --home a notify --to cert-b --category ip-theft --file note.txt --text "both"
has_err "give --text or --file, not both"
p 1 --home a notify --to cert-b --category ip-theft --file missing.txt
has_err "missing.txt: no such file"
[ "$(logsize)" = "$before" ] || fail "a refused text reached the log"

# exactly PARLEY_TEXT_MAX bytes is accepted
p 0 --home a notify --to cert-b --category ip-theft --file max.txt
done_ok
