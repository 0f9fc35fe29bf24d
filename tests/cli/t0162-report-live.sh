#!/bin/sh
# parley report against a real relay: cert-b answers one notification late and leaves another
# unanswered; its node cosigns the log after the deadlines, then the log grows and cert-a
# reports on a checkpoint cert-b has not cosigned. cert-b still attests, through the earlier
# checkpoint it cosigned after the deadlines (fetched from the relay into the bundle's
# `cosigned`, as proofs do): late 2, missed 2. --offline (no such checkpoint): nobody is blamed.
. "$(dirname "$0")/lib.sh"

CHARTER_ARGS="--deadline acknowledge=3 --deadline respond=6" setup_channel

p 0 --home a notify --to cert-b --category ip-theft --text "first"
N1=$(tail -n 1 out)
p 0 --home b sync
p 0 --home a notify --to cert-b --category ip-theft --text "second"
N2=$(tail -n 1 out)
# past both deadlines of both threads, by the relay's clock
sleep 7
p 0 --home b ack "$N1"
p 0 --home b reply "$N1" --text "late"
p 0 --home a sync       # records the missed deadlines: entries integrated after them
p 0 --home b sync       # cert-b's node cosigns a tree past every deadline
p 0 --home a sync
p 0 --home a notify --to cert-b --category ip-theft --text "third"
p 0 --home a sync       # a newer checkpoint, which cert-b has not cosigned

p 0 --home a report --json --bundle live.json
cp out live-report.json
p 0 check-report --json live.json
cmp -s out live-report.json || fail "check-report differs from report"
python3 - "$N1" "$N2" <<'PY' || fail "figures"
import json, sys
r = json.load(open('live-report.json'))
b = {x['party']: x for x in r['parties']}['cert-b']
o = b['obligations']
assert (o['late'], o['missed'], o['missed_unconfirmed']) == (2, 2, 0), o
assert 'cert-b' not in r['checkpoint']['cosigned_by'], r['checkpoint']
att = {x['party']: x['size'] for x in r['checkpoint']['attested']}
assert 0 < att['cert-b'] < r['checkpoint']['size'], r['checkpoint']
bundle = json.load(open('live.json'))
assert len(bundle['cosigned']) == 1, bundle.get('cosigned')
assert b['acknowledge']['n'] == 1 and b['acknowledge']['median_ms'] > 3000, b['acknowledge']
PY
p 0 check-report live.json
has_out "cert-b attests through its cosignature of the tree of"

# without the relay: only the checkpoint's own cosignatures, and cert-b has not signed it
p 0 --home a report --json --offline
python3 - <<'PY' || fail "offline figures"
import json
r = json.load(open('out'))
o = {x['party']: x for x in r['parties']}['cert-b']['obligations']
assert (o['late'], o['missed'], o['missed_unconfirmed'], o['not_established']) == (0, 0, 2, 4), o  # N3 is pending
PY
stop_relay
done_ok
