#!/bin/sh
# demo.sh - a two-party hotline, start to finish, using only the real parley commands.
# Usage: examples/demo.sh [path/to/parley]     (make demo builds it and runs this)
set -eu
PARLEY=${1:-build/parley}
case "$PARLEY" in /*) ;; *) PARLEY="$(pwd)/$PARLEY" ;; esac
[ -x "$PARLEY" ] || { echo "demo: $PARLEY is not built; run make" >&2; exit 1; }

DIR=$(mktemp -d "${TMPDIR:-/tmp}/parley-demo.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
cd "$DIR"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ parley %s\n' "$*"; "$PARLEY" "$@"; }

say "1. Each party creates its identity (tests and demos skip the passphrase)"
run keygen --name cert-a --out a --no-passphrase 2>/dev/null
run keygen --name cert-b --out b --no-passphrase 2>/dev/null
run keygen --name relay --out r --no-passphrase 2>/dev/null
echo "cert-a's public identity:"
sed 's/^/    /' a/cert-a.pub

say "2. CERT-A drafts a charter: parties, scope, deadlines, the relay"
run charter new --title "CERT-A / CERT-B election-security hotline" \
	--party a/cert-a.pub --party b/cert-b.pub \
	--scope election-infrastructure --describe election-infrastructure="attacks on voter rolls, tallying and result publication" \
	--deadline acknowledge=7200 --deadline respond=172800 \
	--relay http://127.0.0.1:8443 --relay-key r/relay.pub --out charter.json
echo "(charter.json written: $(wc -c < charter.json) bytes)"

say "3. Until both have signed, the charter does not verify"
run charter verify charter.json || echo "(exit $?, as expected)"

say "4. Both parties sign the same canonical body"
run charter sign --key a/cert-a.key charter.json
run charter sign --key b/cert-b.key charter.json
run charter verify charter.json
run charter show charter.json

say "5. A changed field is caught"
sed 's/"acknowledge": 7200/"acknowledge": 720000/' charter.json > tampered.json
run charter verify tampered.json || echo "(exit $?, as expected)"

say "6. CERT-A seals a notification to CERT-B (one signed, encrypted entry)"
run entry new --key a/cert-a.key --charter charter.json --to cert-b --type notification \
	--category election-infrastructure --text "Scanning of the voter-roll portal from 198.51.100.23 since 06:00 UTC" \
	--out notification.bin
echo "(the relay would see only the header; the text is not in the file:"
if grep -q "voter-roll" notification.bin; then echo " LEAK)"; exit 1; else echo " confirmed)"; fi

say "7. CERT-B checks the signature against the charter and decrypts"
run entry inspect notification.bin --charter charter.json --key b/cert-b.key

say "8. Anyone else cannot read it"
run entry inspect notification.bin --key r/relay.key | tail -n 1 || echo "(exit $?, as expected)"

say "demo complete"
