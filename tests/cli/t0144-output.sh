#!/bin/sh
# t0144: output conventions: inbox and show label every entry type (receipt, ping, ping answer, PSI request),
# show gives an opener its own index and no empty refs line, times are ISO 8601 UTC (--local: this zone),
# durations read '1.1 s' / '1h 12m' rather than raw milliseconds, success goes to stdout without 'parley:'.
. "$SRCDIR/tests/cli/lib.sh"

CHARTER_ARGS="--deadline acknowledge=2 --deadline respond=3600" setup_channel

p 0 --home a notify --to cert-b --category ip-theft --text "first"
N=$(tail -n 1 out)
p 0 --home a ping cert-b
P=$(tail -n 1 out)
python3 -c "
for i in range(20): print('10.9.0.%d' % i)" > set.txt
p 0 --home a psi request --to cert-b --set set.txt
Q=$(tail -n 1 out)
p 0 --home b sync
p 0 --home a sync
p 0 --home a inbox
no_err
grep -q "not a parley payload\|STIX bundle\]" out && fail "inbox mislabels an entry"
has_out "^$N .*notification .*first$"
has_out "^[0-9]* .*cert-b .*receipt .*receipt for entries $N\.\.[0-9]*$"
has_out "^$P .*ping .*ping$"
has_out "^[0-9]* .*cert-b .*ping-response .*answers ping $P$"
has_out "^$Q .*psi-request .*PSI request data ([0-9]* bytes)$"
# times: ISO 8601 in UTC by default
has_out "^$N *[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z "
TZ=Etc/GMT-3 run 0 "$PARLEY" --home a inbox --local
has_out "^$N *[0-9-]*T[0-9:]*+03:00 "

# show: an opener names its own index as its thread, without an empty refs line
p 0 --home a show "$N"
has_out "^thread:     $N (this entry opens it)$"
grep -q "^refs:" out && fail "show prints a refs line for an entry without references"
has_out "^integrated: [0-9-]*T[0-9:]*Z (relay clock)$"
p 0 --home b show "$Q"
has_out "^content:    PSI request data"
R=$(awk '$3 == "cert-b" && $4 == "receipt" {print $1; exit}' out 2>/dev/null)
p 0 --home a inbox
R=$(awk '$3 == "cert-b" && $4 == "receipt" {print $1; exit}' out)
p 0 --home a show "$R"
has_out "^content:    receipt for entries $N\.\.[0-9]* (with the checkpoint its sender verified)$"
has_out "^covers:     entries $N\.\.[0-9]*$"

# durations: the acknowledgement deadline of 2 s passes; status says how long, for people
for _ in $(seq 1 60); do
	p 0 --home a status
	# under a second it reads "overdue by 42 ms"; wait until it is past one
	grep -q "^$N .*overdue by [0-9.]* s\|^$N .*overdue by [0-9]*m [0-9]*s" out && break
	sleep 0.5
done
has_out "^$N .*overdue by [0-9.]* s\|^$N .*overdue by [0-9]*m [0-9]*s"
grep -q "overdue by [0-9][0-9][0-9][0-9]* ms" out && fail "a duration of a second or more in raw milliseconds"
p 0 --home a status --json
python3 -c 'import json; d=json.load(open("out")); assert d and all("thread" in t and "state" in t for t in d)' ||
	fail "status --json"

# success on stdout without the error prefix; --quiet drops it
p 0 charter sign --key keys/cert-a.key c.json
has_out "^signed by cert-a"
no_err
p 0 --quiet charter sign --key keys/cert-a.key c.json
[ -s out ] && fail "--quiet still reports"
done_ok
