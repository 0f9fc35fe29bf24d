#!/bin/sh
# parley charter: new, sign, verify, show, set-relay, and the refusals.
. "$(dirname "$0")/lib.sh"

mkparty cert-a; mkparty cert-b; mkparty relay; mkparty mallory

p 0 charter new --title "A-B election hotline" --party keys/cert-a.pub --party keys/cert-b.pub \
	--scope election-infrastructure,ip-theft --describe ip-theft="theft of intellectual property" \
	--deadline acknowledge=5 --deadline respond=60 --deadline request-for-assistance:acknowledge=9 \
	--relay http://127.0.0.1:8443 --relay-key keys/relay.pub --tlp green --valid-days 30
cp out charter.json
python3 - <<'PY' || fail "charter content"
import json
c = json.load(open('charter.json'))['charter']
assert c['parley'] == 1 and c['title'] == 'A-B election hotline'
assert [p['name'] for p in c['parties']] == ['cert-a', 'cert-b']
assert c['deadlines']['notification'] == {'acknowledge': 5, 'respond': 60}
assert c['deadlines']['request-for-assistance'] == {'acknowledge': 9, 'respond': 60}
assert c['scope']['categories'][1] == {'name': 'ip-theft', 'description': 'theft of intellectual property'}
assert c['relay']['url'] == 'http://127.0.0.1:8443' and c['relay']['key'].startswith('relay+')
assert c['tlp'] == 'green' and c['escalation'] == ['technical', 'diplomatic', 'political']
PY

p 1 charter verify charter.json
has_err "not signed by cert-a, cert-b"
p 0 charter sign --key keys/cert-a.key charter.json
p 1 charter verify charter.json
has_err "not signed by cert-b"
p 1 charter sign --key keys/mallory.key charter.json
has_err "'mallory' is not a party"
p 0 charter sign --key keys/cert-b.key charter.json
p 0 charter verify charter.json
id=$(cat out)
echo "$id" | grep -qE '^[0-9a-f]{64}$' || fail "charter id is not 64 hex digits"
p 0 charter show charter.json
has_out "id:         $id"
has_out "verified: signed by every party"
has_out "request-for-assistance: acknowledge 9s"

# the id is SHA-256 of the RFC 8785 body; key order and white space do not matter
python3 - "$id" <<'PY' || fail "canonical form"
import json, hashlib, sys
doc = json.load(open('charter.json'))
canon = json.dumps(doc['charter'], sort_keys=True, separators=(',', ':'), ensure_ascii=False)
assert hashlib.sha256(canon.encode()).hexdigest() == sys.argv[1]
json.dump(doc, open('compact.json', 'w'), sort_keys=True, separators=(',', ':'))
PY
p 0 charter verify compact.json
[ "$(cat out)" = "$id" ] || fail "re-serialised charter has another id"

# the relay can only be set before anyone signs
p 1 charter set-relay --relay http://127.0.0.1:9 --relay-key keys/relay.pub charter.json
has_err "already signed"

# tampering, each named
tamper() { # python expression on doc, expected message
	python3 -c "import json; doc=json.load(open('charter.json')); $1; json.dump(doc, open('t.json','w'), indent=1)" ||
		fail "tamper script"
	p 1 charter verify t.json
	has_err "$2"
}
tamper "doc['charter']['title']='other'" "does not verify"
tamper "doc['charter']['deadlines']['notification']['acknowledge']=86400" "does not verify"
tamper "doc['charter']['scope']['categories'].append({'name':'espionage'})" "does not verify"
tamper "doc['charter']['valid_until']='2099-01-01T00:00:00Z'" "does not verify"
tamper "doc['signatures'].pop()" "not signed by cert-b"
tamper "doc['signatures'].append(dict(doc['signatures'][0]))" "two signatures by 'cert-a'"
tamper "doc['signatures'].append({'name':'mallory','sig':doc['signatures'][0]['sig']})" "'mallory', who is not listed"
tamper "doc['signatures'][0]['sig']='!!!!'" "not base64"
tamper "doc['charter']['extra']=1" "unknown field 'extra'"
tamper "doc['charter']['parties'][0]['note']='x'" "charter.parties\[0\]: unknown field 'note'"
tamper "doc['charter']['parties'].append(doc['charter']['parties'][0])" "listed twice"
tamper "doc['charter']['parties'][1]['sign']='cert-b+00000000+AAAA'" "charter.parties\[1\].sign"
tamper "doc['charter']['parties'][1]['seal']='short'" "charter.parties\[1\].seal"
tamper "doc['charter']['psi']['max_set']=1.5" "must be an integer"
tamper "doc['charter']['tlp']='purple'" "not a TLP level"
tamper "del doc['charter']['scope']" "missing field 'scope'"

# duplicate keys in the text
sed '0,/"title"/s/"title"/"tlp"/' charter.json > dup.json
p 1 charter verify dup.json
has_err "duplicate"
printf '{"charter": ' > trunc.json
p 1 charter verify trunc.json
has_err "JSON"
p 1 charter verify missing.json
has_err "no such file"
head -c 2000000 /dev/zero | tr '\0' ' ' > huge.json
p 1 charter verify huge.json
has_err "larger than"

# usage errors
p 2 charter new --title t --party keys/cert-a.pub --scope x
p 2 charter new --title t --party keys/cert-a.pub --party keys/cert-b.pub --scope x --deadline soon
p 2 charter new --title t --party keys/cert-a.pub --party keys/cert-b.pub --scope x --deadline ping:acknowledge=5
p 2 charter new --title t --party keys/cert-a.pub --party keys/cert-b.pub --scope x --relay http://x
p 1 charter new --title t --party keys/cert-a.pub --party keys/cert-a.pub --scope x
has_err "listed twice"
p 1 charter new --title t --party keys/cert-a.pub --party keys/cert-b.pub --scope "Bad Name"
p 2 charter frobnicate
p 2 charter verify
p 0 charter --help
has_out "parley charter verify"

# set-relay before signing
p 0 charter new --title t --party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft --out r.json
p 0 charter set-relay --relay http://127.0.0.1:7000 --relay-key keys/relay.pub r.json
grep -q '"url": "http://127.0.0.1:7000"' r.json || fail "relay not set"
p 1 charter set-relay --relay http://127.0.0.1:7000 --relay-key keys/cert-a.pub r.json
has_err "collides with party 'cert-a'"

done_ok
