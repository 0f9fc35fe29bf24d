#!/bin/sh
# The node's incremental tables (threads, obligations, chain heads, receipts owed) against
# the one obligation engine run over the whole replica: a random channel history, and after
# every sync 'verify' recomputes the tables and compares, and 'status' (the tables) shows
# exactly the open threads of 'status --all' (the full engine). Then: syncs killed part-way
# (entries, tables and checkpoint commit together), a replica of an older parley (no tables:
# built on first open), and tables that were tampered with (verify says so).
. "$(dirname "$0")/lib.sh"

CHARTER_ARGS="--deadline acknowledge=3 --deadline respond=6" setup_channel
SEED=${PARLEY_TEST_SEED:-$(date +%s)}
echo "seed $SEED" >&2

# status (the tables) = status --all (the full engine) without its closed threads; the two
# runs are two processes, so a deadline may pass between them: what depends on the clock
# (overdue, why, the thread's state) is compared only for deadlines outside that window
same_status() {
	for attempt in 1 2 3; do
		t0=$(python3 -c 'import time; print(int(time.time() * 1000))')
		"$PARLEY" --home "$1" status --json >inc.json 2>/dev/null || fail "status --json ($1)"
		"$PARLEY" --home "$1" status --all --json >all.json 2>/dev/null || fail "status --all --json ($1)"
		t1=$(python3 -c 'import time; print(int(time.time() * 1000))')
		python3 - "$t0" "$t1" <<'PY' && return 0
import datetime, json, sys
t0, t1 = int(sys.argv[1]) - 50, int(sys.argv[2]) + 50
def ms(iso):
    if not isinstance(iso, str):
        return None
    for f in ('%Y-%m-%dT%H:%M:%S.%fZ', '%Y-%m-%dT%H:%M:%SZ'):
        try:
            d = datetime.datetime.strptime(iso, f)
        except ValueError:
            continue
        return int(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
    raise ValueError('not a time: %r' % iso)
def crossed(d):  # a deadline that may have passed between the two runs
    v = ms(d)
    return v is not None and t0 <= v <= t1
inc = json.load(open('inc.json'))
full = [t for t in json.load(open('all.json')) if t['state'] != 'closed']
def strip(t):  # what moves with the clock between the two runs
    t.pop('seconds_to_deadline', None)
    if crossed(t.get('acknowledge_by')) or crossed(t.get('respond_by')):
        t.pop('state', None)
    for o in t.get('obligations', []):
        o.pop('overdue_by_ms', None)
        if crossed(o.get('deadline')):
            o.pop('overdue', None)
            o.pop('why', None)
    return t
key = lambda t: t['thread']
assert sorted(map(strip, inc), key=key) == sorted(map(strip, full), key=key), (inc, full)
PY
	done
	fail "status of $1 differs from the full engine's (seed $SEED)"
}

check_node() {
	p 0 --home "$1" verify
	same_status "$1"
}

# a random history: notifications both ways, acknowledgements, replies, escalations,
# closes, pings; syncs in between, each followed by the comparison
python3 - "$SEED" >plan <<'PY'
import random, sys
r = random.Random(int(sys.argv[1]))
for _ in range(14):
    print(r.choice(['notify a', 'notify b', 'answer a', 'answer b', 'answer b', 'ping a', 'ping b',
                    'sync a', 'sync b', 'sync b', 'sleep']))
PY
threads=""
while read -r act who; do
	other=b; peer=cert-b
	[ "$who" = b ] && { other=a; peer=cert-a; }
	case $act in
	notify)
		"$PARLEY" --home "$who" notify --to "$peer" --category ip-theft --text "incident" >out 2>err ||
			fail "notify by $who"
		threads="$threads $(tail -n 1 out)" ;;
	ping)
		"$PARLEY" --home "$who" ping "$peer" >out 2>err || fail "ping by $who" ;;
	answer)
		[ -n "$threads" ] || continue
		t=$(python3 -c "import random,sys; r=random.Random($SEED + ${#threads}); print(r.choice(sys.argv[1:]))" $threads)
		verb=$(python3 -c "import random; print(random.Random($SEED * 7 + $t).choice(['ack', 'reply', 'escalate', 'close']))")
		# a closed thread or one this party cannot answer refuses: that is part of the history too
		"$PARLEY" --home "$who" "$verb" "$t" --text "on $t" >out 2>err || true ;;
	sync)
		"$PARLEY" --home "$who" sync >out 2>err || fail "sync $who"
		check_node "$who" ;;
	sleep)
		sleep 1 ;;
	esac
done <plan
for h in a b; do
	p 0 --home $h sync
	check_node $h
done

# syncs killed part-way: many receipts owed, kills at growing delays
i=0
while [ $i -lt 30 ]; do
	"$PARLEY" --home a notify --to cert-b --category ip-theft --text "bulk $i" >/dev/null 2>&1 || fail "notify $i"
	i=$((i + 1))
done
kills=0 delay=0.02 rounds=0
while [ "$rounds" -lt 5 ]; do
	rounds=$((rounds + 1))
	PARLEY_SYNC_PAGE_ENTRIES=16 "$PARLEY" --home b sync >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	killed=0
	kill -KILL "$pid" 2>/dev/null && killed=1
	wait "$pid" 2>/dev/null
	check_node b           # entries, tables and checkpoint: all of a sync's page or none
	[ "$killed" = 1 ] || break
	kills=$((kills + 1))
	delay=$(python3 -c "print(round($delay * 2, 3))")
done
echo "killed $kills syncs" >&2
p 0 --home b sync
check_node b
p 0 --home b sync
has_out "0 receipts sent"

# a replica of an older parley: no node-state table, schema version 2
"$PARLEY" --home b status --json >before.json || fail "status before"
python3 - <<'PY' || fail "making an old replica"
import sqlite3
db = sqlite3.connect('b/replica.db')
db.execute('DROP TABLE node_state')
db.execute("UPDATE meta SET v = 2 WHERE k = 'schema_version'")
db.commit()
PY
p 0 --home b status --json
python3 -c "
import json
a, b = json.load(open('before.json')), json.load(open('out'))
for t in a + b:
    t.pop('seconds_to_deadline', None)
    for o in t.get('obligations', []): o.pop('overdue_by_ms', None)
assert [t['thread'] for t in a] == [t['thread'] for t in b], (a, b)" || fail "status after the migration"
check_node b
python3 -c "
import sqlite3
db = sqlite3.connect('b/replica.db')
assert db.execute(\"SELECT v FROM meta WHERE k = 'schema_version'\").fetchone()[0] == 3
assert db.execute('SELECT COUNT(*) FROM node_state').fetchone()[0] > 0" || fail "tables not built"
p 0 --home b sync
check_node b

# tables that disagree with the entries: verify names it
python3 - <<'PY' || fail "tampering"
import sqlite3
db = sqlite3.connect('a/replica.db')
n = db.execute("SELECT COUNT(*) FROM node_state WHERE substr(k, 1, 1) = X'74'").fetchone()[0]
assert n > 0, 'no open thread in a'
db.execute("DELETE FROM node_state WHERE k = (SELECT MIN(k) FROM node_state WHERE substr(k, 1, 1) = X'74')")
db.commit()
PY
p 1 --home a verify
has_err "node state: "
done_ok
