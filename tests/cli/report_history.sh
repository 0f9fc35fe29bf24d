# report_history.sh - sourced by the report tests (after lib.sh): a scripted channel history with
# known answers, served by a relay whose key the test holds (tests/cli/fake_relay.py), and home a
# joined and synced. report_history COSIGNERS: the parties (besides cert-a's own node) whose
# cosignatures, made now (after every deadline), the served checkpoint carries.
report_history() {
	mkparty cert-a; mkparty cert-b; mkparty relay
	start_fake_relay served
	"$PARLEY" charter new --title 'report <test> & "co"' --party keys/cert-a.pub --party keys/cert-b.pub \
		--scope ip-theft --deadline acknowledge=3600 --deadline respond=14400 \
		--valid-from 2026-09-01T00:00:00Z --valid-days 365 \
		--relay "$FAKE_URL" --relay-key keys/relay.pub --out c.json || fail "charter"
	for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key c.json 2>/dev/null || fail "sign"; done
	CHAN=$("$PARLEY" charter verify c.json) || fail "charter verify"
	SEP=1788249600000 # 2026-09-01T08:00:00Z
	OCT=1790841600000 # 2026-10-01T08:00:00Z
	M=60000

	SEQ_A=0; SEQ_B=0; PREV_A=-; PREV_B=-; N=0; : > log.txt
	# add KEY TYPE MS [--thread N --ref N]: the next entry, from KEY to the other party, integrated at MS
	add() {
		key=$1; type=$2; ms=$3; shift 3
		if [ "$key" = cert-a ]; then SEQ_A=$((SEQ_A + 1)); seq=$SEQ_A; prev=$PREV_A; to=cert-b
		else SEQ_B=$((SEQ_B + 1)); seq=$SEQ_B; prev=$PREV_B; to=cert-a; fi
		set -- --key keys/$key.key --charter c.json --to $to --type "$type" --category ip-theft --text "e$N" \
			--seq "$seq" --created "$ms" --out "e$N" "$@"
		[ "$prev" = - ] || set -- "$@" --prev "$prev"
		"$PARLEY" entry new "$@" || fail "entry e$N"
		if [ "$key" = cert-a ]; then PREV_A=e$N; else PREV_B=e$N; fi
		echo "$ms:e$N" >> log.txt
		N=$((N + 1))
	}
	re() { echo --thread "$1" --ref "$1"; }

	# September: cert-a opens, cert-b answers
	add cert-a notification $SEP                              # 0  N1
	add cert-b acknowledgement $((SEP + 10 * M)) $(re 0)      # 1  acknowledged in 10 min: met
	add cert-b response $((SEP + 120 * M)) $(re 0)            # 2  answered in 2 h: met
	add cert-a request-for-information $((SEP + 1440 * M))    # 3  R1
	add cert-b acknowledgement $((SEP + 1470 * M)) $(re 3)    # 4  30 min: met
	add cert-a ping $((SEP + 1500 * M))                       # 5  P1
	add cert-b ping-response $((SEP + 1500 * M + 2000)) $(re 5) # 6  round trip 2 s
	add cert-b response $((SEP + 1800 * M)) $(re 3)           # 7  6 h: late by 2 h
	add cert-a notification $((SEP + 2880 * M))               # 8  N2: never answered: missed twice
	add cert-a notification $((SEP + 2890 * M))               # 9  N3
	add cert-a close $((SEP + 2900 * M)) $(re 9)              # 10 withdrawn before its deadlines
	# October: cert-b opens too
	add cert-b notification $OCT                              # 11 N4
	add cert-a acknowledgement $((OCT + 90 * M)) $(re 11)     # 12 90 min: late by 30 min
	add cert-a response $((OCT + 180 * M)) $(re 11)           # 13 3 h: met
	add cert-b ping $((OCT + 200 * M))                        # 14 P2
	add cert-a ping-response $((OCT + 200 * M + 5000)) $(re 14) # 15 round trip 5 s
	add cert-a ping $((OCT + 210 * M))                        # 16 P3
	add cert-b ping-response $((OCT + 210 * M + 3000)) $(re 16) # 17 round trip 3 s
	add cert-a notification $((OCT + 300 * M))                # 18 N5
	add cert-b acknowledgement $((OCT + 305 * M)) $(re 18)    # 19 5 min: met; never responds: missed
	add cert-b psi-request $((OCT + 400 * M))                 # 20 PSI request to cert-a
	add cert-a psi-refusal $((OCT + 401 * M)) $(re 20)        # 21 refused
	add cert-a psi-request $((OCT + 410 * M))                 # 22 PSI request to cert-b
	add cert-b psi-response $((OCT + 411 * M)) $(re 22)       # 23 answered
	add cert-a escalation $((OCT + 600 * M)) $(re 18)         # 24 after N5's respond deadline (4 h)
	add cert-a notification $((OCT + 4 * 1440 * M))           # 25 N6: the log ends before its deadlines

	# shellcheck disable=SC2046
	serve_log served "$CHAN" keys/relay.key $(cat log.txt)
	cp served/checkpoint.note cp1.note
	for k in "$@"; do
		"$PARLEY" note sign --key keys/$k.key --cosignature served/checkpoint.note > cp2.note || fail "cosign $k"
		mv cp2.note served/checkpoint.note
	done

	"$PARLEY" --home a join c.json --key keys/cert-a.key >/dev/null || fail "join a"
	p 0 --home a sync
}
