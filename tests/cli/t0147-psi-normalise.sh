#!/bin/sh
# t0147: indicator normalisation under the charter: psi.email_local_case "sensitive" (charter new
# --psi-email-local-case) keeps the case of e-mail local parts on both sides of an exchange, the
# default compares them without case; request and respond report duplicate and rejected lines (and in
# --json); psi result --json gives the common indicators.
. "$SRCDIR/tests/cli/lib.sh"

CHARTER_ARGS="--psi-min 1 --psi-email-local-case sensitive" setup_channel
python3 -c 'import json; b = json.load(open("c.json"))
b = b.get("charter", b)
assert b["psi"]["email_local_case"] == "sensitive", b["psi"]' || fail "the charter lacks psi.email_local_case"
p 0 charter show c.json
has_out "e-mail local parts with case (sensitive)"
p 2 charter new --title x --party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft --psi-email-local-case upper
has_err "sensitive or insensitive"

# a second channel on the same relay with the default rule (the member left out: older charters keep their ids)
"$PARLEY" charter new --title "default rule" --party keys/cert-a.pub --party keys/cert-b.pub --psi-min 1 \
	--scope ip-theft --relay "$RELAY_URL" --relay-key keys/relay.pub --out d.json || fail "charter d"
for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key d.json >/dev/null 2>&1 || fail "sign d"; done
grep -q email_local_case d.json && fail "a default charter carries email_local_case"
p 0 charter show d.json
has_out "e-mail local parts without case"
"$PARLEY" --home a2 join d.json --key keys/cert-a.key >/dev/null || fail "join a2"
"$PARLEY" --home b2 join d.json --key keys/cert-b.key >/dev/null || fail "join b2"

cat > a.txt <<'SET'
Alice@Mail.Example
bob@mail.example
Carol@x.example
198.51.100.7
ipv4-addr:198.51.100.7
999.1.1.1
Dave@D.Example
SET
cat > b.txt <<'SET'
alice@mail.example
Bob@Mail.Example
Carol@X.EXAMPLE
198.51.100.7
dave@d.example
dave@d.example
SET

# exchange HOME_A HOME_B: request, respond, result; leaves the result's JSON in result.json
exchange() {
	p 1 --home "$1" psi request --to cert-b --set a.txt
	has_err "unreadable line 6"
	p 0 --home "$1" psi request --to cert-b --set a.txt --skip-invalid
	has_out "^a.txt: 5 indicators (1 duplicate removed, 1 line rejected)$"
	has_err "line 6: '999.1.1.1' is not a domain name"
	R=$(tail -n 1 out)
	p 0 --home "$2" sync
	p 0 --home "$2" psi respond "$R" --set b.txt --json
	cp out respond.json
	python3 - "$R" <<'PY' || fail "psi respond --json"
import json, sys
d = json.load(open('respond.json'))
assert d['request'] == int(sys.argv[1]) and d['refused'] is False and d['reason'] is None, d
assert d['evaluated'] == 5, d
assert d['set']['file'] == 'b.txt' and d['set']['rejected'] == 0 and d['tags'] == d['set']['indicators'], d
PY
	p 0 --home "$1" sync
	p 0 --home "$1" psi result "$R" --json
	cp out result.json
	p 0 --home "$1" psi result "$R"
	no_json=$(cat out)
}

exchange a b
python3 - <<'PY' || fail "sensitive: only the same-case local parts match"
import json
d = json.load(open('result.json'))
assert d['cardinality'] is False and d['their_size'] == 5 and d['count'] == 2, d
assert sorted(d['common']) == ['email-addr:Carol@x.example', 'ipv4-addr:198.51.100.7'], d
r = json.load(open('respond.json'))
# b.txt under "sensitive": dave@d.example twice is one, Bob and alice differ from bob and Alice
assert r['set']['indicators'] == 5 and r['set']['duplicates'] == 1, r
PY
echo "$no_json" | grep -qx "email-addr:Carol@x.example" || fail "psi result (text) under sensitive"

exchange a2 b2
python3 - <<'PY' || fail "default: e-mail addresses match without case"
import json
d = json.load(open('result.json'))
assert sorted(d['common']) == ['email-addr:alice@mail.example', 'email-addr:bob@mail.example',
                               'email-addr:carol@x.example', 'email-addr:dave@d.example',
                               'ipv4-addr:198.51.100.7'], d
PY

# psi request --json: the request and the set's counts; a result that is not there yet exits 3 without JSON
p 0 --home a psi request --to cert-b --set a.txt --skip-invalid --json
python3 -c '
import json; d = json.load(open("out"))
assert d["to"] == "cert-b" and d["mode"] == "intersection" and isinstance(d["request"], int), d
assert d["set"] == {"file": "a.txt", "indicators": 5, "duplicates": 1, "rejected": 1}, d' || fail "psi request --json"
R=$(python3 -c 'import json; print(json.load(open("out"))["request"])')
p 3 --home a psi result "$R" --json
[ -s out ] && fail "a pending result prints JSON"
p 2 --home a psi policy --set b.txt --json
done_ok
