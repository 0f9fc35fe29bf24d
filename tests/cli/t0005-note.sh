#!/bin/sh
# parley note sign / verify: checkpoints, the Go reference note, tampering, bad input.
. "$(dirname "$0")/lib.sh"

mkparty relay; mkparty cert-a
relay_vkey=$(sed -n 's/^sign //p' keys/relay.pub)
a_vkey=$(sed -n 's/^sign //p' keys/cert-a.pub)

printf 'parley/demo\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n' > cp.txt
p 0 note sign --key keys/relay.key cp.txt
cp out cp.note
grep -q "^— relay " cp.note || fail "signature line"
p 0 note verify --key "$relay_vkey" cp.note
[ "$(cat out)" = relay ] || fail "verified names"
p 1 note verify --key "$a_vkey" cp.note
has_err "no signature by a known key"

# a second signer; both verify
p 0 note sign --key keys/cert-a.key cp.note
cp out both.note
[ "$(grep -c '^— ' both.note)" = 2 ] || fail "two signature lines"
p 0 note verify --key "$relay_vkey" --key "$a_vkey" both.note
[ "$(cat out)" = "$(printf 'relay\ncert-a')" ] || fail "both names"

# tampering with the size is caught
sed 's/^8$/9/' both.note > t.note
p 1 note verify --key "$relay_vkey" t.note
has_err "does not verify"

# the reference note of Go's signed-note package
printf "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n" > peter.note
p 0 note verify --key PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW peter.note
[ "$(cat out)" = PeterNeumann ] || fail "reference note"

# a cosignature is a note signature too
p 0 note sign --cosignature --key keys/cert-a.key cp.note
cp out cos.note
p 0 note verify --key "$relay_vkey" cos.note

# malformed notes and keys: exit 1 with a reason
printf 'no blank line\n— relay AAAA\n' > bad.note
p 1 note verify --key "$relay_vkey" bad.note
has_err "no blank line"
printf 'x\n\n— relay !!!!\n' > bad.note
p 1 note verify --key "$relay_vkey" bad.note
printf 'x\001y\n\n— relay AAAAAAAA\n' > bad.note
p 1 note verify --key "$relay_vkey" bad.note
has_err "control character"
p 1 note verify --key "relay+00000000+AAAA" cp.note
p 1 note verify --key "$relay_vkey" missing.note
printf 'no newline at the end' > raw.txt
p 1 note sign --key keys/relay.key raw.txt
has_err "newline"
p 2 note verify cp.note
p 2 note sign cp.note
p 0 note --help

done_ok
