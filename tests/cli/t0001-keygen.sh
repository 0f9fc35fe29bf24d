#!/bin/sh
# parley keygen: files, modes, formats, passphrases, refusals.
. "$(dirname "$0")/lib.sh"

p 0 keygen --help
has_out "usage: parley keygen"

p 0 keygen --name cert-a --out keys --no-passphrase
has_err "NOT encrypted"
has_out "verifier key: cert-a+"
[ "$(stat -c %a keys/cert-a.key)" = 600 ] || fail "secret key mode is not 600"
[ "$(stat -c %a keys)" = 700 ] || fail "key directory mode is not 700"
[ "$(sed -n 1p keys/cert-a.pub)" = "parley-public-key v1" ] || fail "public file header"
[ "$(sed -n 2p keys/cert-a.pub)" = "name cert-a" ] || fail "public file name line"
vkey=$(sed -n 's/^sign //p' keys/cert-a.pub)
grep -q "verifier key: $vkey" out || fail "printed verifier key differs from the .pub file"
# key id: first 4 bytes of SHA-256(name || 0x0A || 0x01 || pk), checked independently
python3 - "$vkey" <<'PY' || fail "key id does not match SHA-256(name\n\x01pk)"
import base64, hashlib, sys
name, kid, key = sys.argv[1].split('+', 2)
raw = base64.b64decode(key)
assert len(raw) == 33 and raw[0] == 1
assert hashlib.sha256(name.encode() + b'\n' + raw).hexdigest()[:8] == kid
PY

# never overwrite
p 1 keygen --name cert-a --out keys --no-passphrase
has_err "already exists"

# usage errors
p 2 keygen --name Cert_A --out keys --no-passphrase
has_err "invalid --name"
p 2 keygen --name cert-x
p 2 keygen --name cert-x --out keys --kdf extreme --no-passphrase
p 2 keygen --name cert-x --out keys --no-passphrase extra-arg

# encrypted at rest: the passphrase from the environment
PARLEY_PASSPHRASE="correct horse battery" p 0 keygen --name cert-b --out keys --kdf interactive
[ "$(stat -c %a keys/cert-b.key)" = 600 ] || fail "encrypted key mode"
head -c 6 keys/cert-b.key | grep -q PRLYSK || fail "key file magic"

# no passphrase available (no terminal, no variable): refused, nothing written
run 1 setsid -w "$PARLEY" keygen --name cert-c --out keys
has_err "no passphrase"
[ ! -e keys/cert-c.key ] || fail "key written without a passphrase"

# use the keys: a charter that cert-b signs with its passphrase
mkparty cert-d
p 0 charter new --title t --party keys/cert-b.pub --party keys/cert-d.pub --scope ip-theft --out c.json
PARLEY_PASSPHRASE="wrong" p 1 charter sign --key keys/cert-b.key c.json
has_err "wrong passphrase for key 'cert-b'"
run 1 setsid -w "$PARLEY" charter sign --key keys/cert-b.key c.json
has_err "passphrase"
PARLEY_PASSPHRASE="correct horse battery" p 0 charter sign --key keys/cert-b.key c.json
has_out "signed by cert-b"
no_err

# a secret key file others can read is refused
chmod 644 keys/cert-d.key
p 1 charter sign --key keys/cert-d.key c.json
has_err "accessible by other users"
chmod 600 keys/cert-d.key
p 0 charter sign --key keys/cert-d.key c.json

# a corrupted or foreign key file
printf 'not a key' > keys/junk.key; chmod 600 keys/junk.key
p 1 charter sign --key keys/junk.key c.json
has_err "not a parley secret key file"
head -c 20 keys/cert-d.key > keys/short.key; chmod 600 keys/short.key
p 1 charter sign --key keys/short.key c.json
p 1 charter sign --key keys/missing.key c.json
has_err "missing.key: no such file"

done_ok
