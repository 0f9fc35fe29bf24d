#!/bin/sh
# parley entry new / inspect: build, verify, open, tamper.
. "$(dirname "$0")/lib.sh"

mkparty cert-a; mkparty cert-b; mkparty cert-c
"$PARLEY" charter new --title t --party keys/cert-a.pub --party keys/cert-b.pub --party keys/cert-c.pub \
	--scope election-infrastructure --out c.json || fail "charter"
for k in cert-a cert-b cert-c; do "$PARLEY" charter sign --key keys/$k.key c.json 2>/dev/null || fail "sign"; done

p 0 entry new --key keys/cert-a.key --charter c.json --to cert-b --type notification \
	--category election-infrastructure --text "scan of voter-roll servers from 198.51.100.7" --out e1
p 0 entry inspect e1 --charter c.json --key keys/cert-b.key
has_out "sender:     [0-9a-f]* cert-a"
has_out "type:       notification"
has_out "recipients: cert-b"
has_out "signature:  good (cert-a)"
has_out "scan of voter-roll servers from 198.51.100.7"

# a non-recipient cannot read it, and the content is not in the clear
p 1 entry inspect e1 --key keys/cert-c.key
has_err "'cert-c' is not a recipient"
grep -q "voter-roll" e1 && fail "plaintext visible in the entry"

# the next entry chains to the first
p 0 entry new --key keys/cert-a.key --charter c.json --to cert-b,cert-c --type response --thread 0 \
	--category election-infrastructure --text "update" --seq 2 --prev e1 --out e2
p 0 entry inspect e2 --charter c.json --key keys/cert-c.key
has_out "seq:        2"
h1=$(sha256sum e1 | cut -d' ' -f1)
has_out "prev:       $h1"
has_out "update"

# any changed byte is caught
size=$(stat -c %s e1)
for off in 0 5 40 45 90 100 $((size - 80)) $((size - 1)); do
	cp e1 t
	printf '\377' | dd of=t bs=1 seek=$off conv=notrunc 2>/dev/null
	cmp -s e1 t && continue
	p 1 entry inspect t --charter c.json
done
head -c $((size - 1)) e1 > t
p 1 entry inspect t
has_err "truncated"
cp e1 t; printf 'x' >> t
p 1 entry inspect t
has_err "after the signature"
printf 'garbage' > t
p 1 entry inspect t
has_err "bad magic"

# refusals at build time
p 1 entry new --key keys/cert-a.key --charter c.json --to cert-b --type notification \
	--category espionage --text x --out e3
has_err "not in the charter's scope"
p 1 entry new --key keys/cert-a.key --charter c.json --to mallory --type notification \
	--category election-infrastructure --text x --out e3
has_err "'mallory' is not a party"
p 2 entry new --key keys/cert-a.key --charter c.json --to cert-b --type gossip \
	--category election-infrastructure --text x --out e3
p 2 entry new --key keys/cert-a.key --charter c.json --to cert-b --type notification \
	--category election-infrastructure --text x --seq 2 --out e3
head -c 1048577 /dev/zero > big
p 1 entry new --key keys/cert-a.key --charter c.json --to cert-b --type notification \
	--category election-infrastructure --file big --out e3
has_err "larger than"
p 0 entry --help

done_ok
