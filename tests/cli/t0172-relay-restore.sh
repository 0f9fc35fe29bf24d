#!/bin/sh
# The supported path after a relay is restored from an old backup (a fork by design):
# the nodes catch it (a rollback, a fork: evidence kept, channel halted); a plain
# 'resume' does not help (the next sync sees the same rollback); 'resume --fork' finds
# what both histories share, keeps the abandoned one in an archive, cuts the replica
# back and resumes; then both parties sync, verify and keep talking, and the lost
# entry is visible in the archive.
. "$(dirname "$0")/lib.sh"

setup_channel
PORT=$(cat relay.port)
p 0 --home a notify --to cert-b --category ip-theft --text "before the backup"
p 0 --home b sync
p 0 --home a sync
p 0 relay-backup --db relay.db relay.bak
has_out "backed up the relay store"

# after the backup: entries 2 and 3, which the restored relay will not have
p 0 --home a notify --to cert-b --category ip-theft --text "lost with the restore"
[ "$(tail -n 1 out)" = 2 ] || fail "entry 2"
p 0 --home b sync
p 0 --home a sync

# the operator restores the old backup
stop_relay
rm -f relay.db-wal relay.db-shm
cp relay.bak relay.db
start_relay relay "$PORT"

# b writes on the restored relay first: the relay's log forks from what a verified
p 1 --home b sync
has_err "rolled its log back"
p 1 --home a sync
has_err "rolled its log back"
ls a/evidence-*.json >/dev/null 2>&1 || fail "no evidence kept"
# a plain resume does not help: the relay is still behind what a verified
p 0 --home a resume
p 1 --home a sync
has_err "rolled its log back"

# the supported path
p 0 --home b resume --fork
has_out "shares the first 2 of this replica's 3 entries: 1 entry of the abandoned history (0 written by this party) is kept in b/replica-before-fork-"
p 0 --home b sync
p 0 --home b notify --to cert-a --category ip-theft --text "after the restore"
[ "$(tail -n 1 out)" = 2 ] || fail "the new entry 2"
p 0 --home a resume --fork
has_out "shares the first 2 of this replica's 4 entries: 2 entries of the abandoned history (1 written by this party) are kept in a/replica-before-fork-"
ls a/replica-before-fork-*.db >/dev/null 2>&1 || fail "no archive"
p 0 --home a sync
p 0 --home a verify
p 0 --home a thread 2
has_out "after the restore"
p 0 --home a notify --to cert-b --category ip-theft --text "and on we go"
p 0 --home b sync
p 0 --home b verify
p 0 --home b thread 0
# the abandoned entry is in the archive
python3 -c "
import sqlite3, glob
db = sqlite3.connect(glob.glob('a/replica-before-fork-*.db')[0])
assert db.execute('SELECT COUNT(*) FROM entries').fetchone()[0] == 4
" || fail "the archive lacks the abandoned history"
# nothing is cut twice: resume --fork again finds nothing lost
p 0 --home a resume --fork
has_out "extends all .* entries of this replica: nothing was lost"

done_ok
