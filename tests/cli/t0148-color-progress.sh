#!/bin/sh
# t0148: colour and progress. Piped, nothing carries an escape sequence (stdout or stderr); --color=always
# colours stdout anyway; on a terminal (script(1) gives one) colour is on by default, off with NO_COLOR,
# TERM=dumb or --color=never; long work (verify, PSI over a large set, a first sync) shows a progress line
# with its rate and ETA on standard error, on a terminal only, erased when done.
. "$SRCDIR/tests/cli/lib.sh"

ESC=$(printf '\033')
has_esc() { grep -q "$ESC" "$1"; }

CHARTER_ARGS="--deadline acknowledge=1" setup_channel
p 0 --home a notify --to cert-b --category ip-theft --text "one"
N=$(tail -n 1 out)
p 0 --home b sync
p 0 --home a sync

# piped: no escape sequences, on stdout or stderr
for args in "status" "inbox" "thread $N" "verify" "sync" "show $N"; do
	# shellcheck disable=SC2086
	p 0 --home a $args
	has_esc out && fail "'$args' piped writes an escape sequence on stdout"
	has_esc err && fail "'$args' piped writes an escape sequence on stderr"
done
# --color=always: colour even when piped (the state column, the verdict of verify)
p 0 --home a --color=always status
has_esc out || fail "--color=always does not colour status"
grep -q "${ESC}\[[0-9;]*m[a-z]*${ESC}\[0m" out || fail "status: no coloured state"
p 0 --home a verify --color=always
has_esc out || fail "--color=always does not colour verify"
p 0 --home a --color=never status
has_esc out && fail "--color=never colours"

if ! script -qec true /dev/null >/dev/null 2>&1; then
	echo "no script(1): the terminal checks are skipped"
	done_ok
fi
# tty CMD...: run under a pseudo-terminal (stdout and stderr on it), the session in ./tty.out
tty() { script -qec "$*" /dev/null >tty.out 2>&1 </dev/null; }

tty "$PARLEY" --home a status || fail "status on a terminal"
has_esc tty.out || fail "status on a terminal is not coloured"
NO_COLOR=1 tty "$PARLEY" --home a status || fail "status, NO_COLOR"
has_esc tty.out && fail "NO_COLOR is not respected"
TERM=dumb tty "$PARLEY" --home a status || fail "status, TERM=dumb"
has_esc tty.out && fail "TERM=dumb is coloured"
tty "$PARLEY" --home a --color=never status || fail "status, --color=never"
has_esc tty.out && fail "--color=never on a terminal is coloured"

# progress on a terminal: verify, and PSI over 20000 indicators (blinding); rate and ETA; none with --quiet
tty "$PARLEY" --home a verify || fail "verify on a terminal"
grep -q "verify: [0-9]*/[0-9]* ([0-9]*%), [0-9]*/s" tty.out || fail "verify shows no progress on a terminal"
grep -q "replica verified" tty.out || fail "verify on a terminal"
python3 -c "
for i in range(20000): print('10.%d.%d.%d' % (i // 65536, i // 256 % 256, i % 256))" > big.txt
tty "$PARLEY" --home a psi request --to cert-b --set big.txt || fail "psi request on a terminal"
grep -q "psi: blinding: [0-9]*/20000 ([0-9]*%), [0-9]*/s, ETA [0-9]" tty.out || fail "PSI shows no progress with an ETA"
tty "$PARLEY" --home a --quiet verify || fail "verify --quiet on a terminal"
grep -q "verify: [0-9]" tty.out && fail "--quiet still shows progress"
# a first sync of a new home shows its pages
"$PARLEY" --home c join c.json --key keys/cert-b.key >/dev/null 2>&1 || fail "join c"
PARLEY_SYNC_PAGE_ENTRIES=2 tty "$PARLEY" --home c sync || fail "first sync on a terminal"
grep -q "sync: [0-9]*/[0-9]* ([0-9]*%)" tty.out || fail "a first sync shows no progress"
# and piped, the same work shows none
p 0 --home a verify
grep -q "verify:" err && fail "verify piped shows progress"
done_ok
