#!/bin/sh
# MISP object templates beyond file and url, both ways: domain-ip, ip-port, email and network-connection
# objects (observed, and with to_ids as indicators) and attributes of the common types (hostname, ip-src,
# ip-dst, email-src, email-dst, url, domain, md5, sha1, sha256, sha512) sent with notify --misp come back
# from export --misp-feed with every object name, relation, type and value; the STIX they become is
# what MISP's export makes (patterns and observables); an object the mapping cannot hold (a port that is
# not a number, two senders) is kept whole as a note and reported, never dropped.
. "$(dirname "$0")/lib.sh"
M="$SRCDIR/tests/cli/misp"

setup_channel
p 0 --home a notify --to cert-b --category ip-theft --misp "$M/event-templates.json" --dry-run
cp out dry.json
has_err "no STIX mapping, kept as a note: ip-port: ip (ip-dst): 203.0.113.8; dst-port (port): http"
has_err "no STIX mapping, kept as a note: email: from (email-src): a@phish-example.org; from (email-src): b@phish-example.org"
has_err "2 attributes or objects kept as notes"
python3 - <<'PY' || fail "the STIX of the templates"
import json
txt = open('dry.json').read()
b = json.loads(txt[txt.index('{'):])
objs = b['objects']
by = {o['id']: o for o in objs}
pat = {o['id'].split('--')[1]: o['pattern'] for o in objs if o['type'] == 'indicator'}
def obs(u):
    od = by['observed-data--' + u]
    return [by[r] for r in od['object_refs']]
assert pat['d1000000-0000-4000-8000-000000000002'] == \
    "[domain-name:value = 'stage2.c2-example.net' AND domain-name:resolves_to_refs[*].value = '203.0.113.11']", pat
assert pat['d1000000-0000-4000-8000-000000000003'] == \
    "[network-traffic:dst_ref.value = '203.0.113.5' AND network-traffic:dst_port = 443]", pat
assert pat['d1000000-0000-4000-8000-000000000006'] == \
    "[email-message:from_ref.value = 'it-support@phish-example.org' AND email-message:subject = 'Passwort abgelaufen']"
assert pat['d1000000-0000-4000-8000-000000000008'] == \
    "[network-traffic:dst_ref.value = '203.0.113.67' AND network-traffic:dst_port = 53 AND network-traffic:x_misp_layer7_protocol = 'DNS']"
assert pat['c1000000-0000-4000-8000-000000000007'] == "[email-message:to_refs[*].value = 'presse@wahlen.example']"
assert pat['c1000000-0000-4000-8000-00000000000e'].startswith("[file:hashes.'SHA-512' = '91ea1245")
assert pat['c1000000-0000-4000-8000-000000000001'] == "[domain-name:value = 'mail.c2-example.net']"
# observables: a domain-name beside its addresses; a network-traffic referring to its own; an email-message
d = obs('d1000000-0000-4000-8000-000000000001')
assert sorted((o['type'], o['value']) for o in d) == [('domain-name', 'relay.c2-example.net'), ('ipv4-addr', '203.0.113.10'),
                                                   ('ipv6-addr', '2001:db8::10')], d
assert d[0]['x_misp_hostname'] == 'relay1.c2-example.net' and d[0]['x_misp_port'] == '8443', d[0]
n = obs('d1000000-0000-4000-8000-000000000007')[0]
assert n['type'] == 'network-traffic' and n['src_port'] == 49152 and n['dst_port'] == 8080 and n['protocols'] == ['ipv4'], n
assert by[n['src_ref']]['value'] == '10.20.30.40' and by[n['dst_ref']]['value'] == '203.0.113.66', n
e = obs('d1000000-0000-4000-8000-000000000005')[0]
assert e['type'] == 'email-message' and e['is_multipart'] is False and e['message_id'] == '<20261120.4711@phish-example.org>'
assert by[e['from_ref']]['value'] == 'buergerservice@phish-example.org'
assert [by[x]['value'] for x in e['to_refs']] == ['wahlleiter@wahlen.example', 'it@wahlen.example'], e
assert [by[x]['value'] for x in e['cc_refs']] == ['archiv@wahlen.example'] and e['x_misp_reply_to'] == 'antwort@phish-example.org'
t = obs('c1000000-0000-4000-8000-000000000006')
assert [x['type'] for x in t] == ['email-message', 'email-addr'] and by[t[0]['to_refs'][0]]['value'] == 'kommission@wahlen.example'
PY

p 0 --home a notify --to cert-b --category ip-theft --misp "$M/event-templates.json"
p 0 --home b sync
p 0 --home b export --misp-feed feed
has_out "1 event (1 new, 0 updated, 0 unchanged)"
E=$(jq -r 'keys[0]' feed/manifest.json)
python3 "$M/check_feed.py" feed "$E" "$M/event-templates.json" >out 2>&1 || fail "round trip: $(cat out)"
python3 - "feed/$E.json" "$M/event-templates.json" <<'PY' || fail "the feed event"
import json, sys
ev = json.load(open(sys.argv[1]))['Event']
src = json.load(open(sys.argv[2]))['Event']
# plain attributes keep their uuid, type, category and to_ids
have = {a['uuid']: a for a in ev['Attribute']}
for a in src['Attribute']:
    h = have.get(a['uuid'])
    assert h and (h['type'], h['value'], h['category'], h['to_ids']) == (a['type'], a['value'], a['category'], a['to_ids']), (a, h)
# objects keep their uuid and name; to_ids comes back on every attribute of an indicator's object
objs = {o['uuid']: o for o in ev['Object']}
for o in src['Object']:
    assert o['uuid'] in objs and objs[o['uuid']]['name'] == o['name'], o['uuid']
    got = sorted((a['object_relation'], a['type'], a['value']) for a in objs[o['uuid']]['Attribute'])
    want = sorted((a['object_relation'], a['type'], a['value']) for a in o['Attribute'])
    assert got == want, (o['uuid'], got, want)
assert all(a['to_ids'] for a in objs['d1000000-0000-4000-8000-000000000003']['Attribute'])
assert not any(a['to_ids'] for a in objs['d1000000-0000-4000-8000-000000000005']['Attribute'])
assert [t['name'] for t in ev['Tag'] if t['name'].startswith('tlp:')] == ['tlp:green']
PY
# hashes.csv lists the values of the new templates too
h=$(printf '%s' 203.0.113.66 | md5sum | cut -d' ' -f1)
grep -qx "$h,$E" feed/hashes.csv || fail "hashes.csv lacks network-connection's ip-dst"
h=$(printf '%s' it@wahlen.example | md5sum | cut -d' ' -f1)
grep -qx "$h,$E" feed/hashes.csv || fail "hashes.csv lacks an email's to"
done_ok
