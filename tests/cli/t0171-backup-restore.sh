#!/bin/sh
# A node's home backed up (while another process writes to it) and restored: the
# restored node re-verifies its replica and catches up with the relay. Restoring an
# OLD backup is not relay misbehaviour: the node's own state went back, not the
# relay's; it syncs, keeps writing its chain where the log has it, and the other
# party sees nothing wrong. Keys are in a backup only with --with-keys. A restore
# never mixes homes, and a hostile backup (a path out of the home) is refused.
. "$(dirname "$0")/lib.sh"

setup_channel
p 0 --home a notify --to cert-b --category ip-theft --text "first"
p 0 --home b sync
p 0 --home a sync

p 0 --home a backup a.bak
has_out "backed up cert-a's home at .*(0 keys: not included, use --with-keys)"
python3 -c "
import sqlite3, sys
db = sqlite3.connect('a.bak')
paths = [r[0] for r in db.execute('SELECT path FROM parley_backup_files')]
assert 'node.json' in paths and any(p.startswith('charters/') for p in paths), paths
assert not any(p.endswith('.key') for p in paths), paths
assert db.execute('SELECT COUNT(*) FROM entries').fetchone()[0] == 2
" || fail "a.bak holds node.json, the charter and the replica, and no key"
p 0 --home a backup --with-keys old.bak
has_out "(1 key)"

# backups taken while another process appends to the replica are each consistent
( for i in 1 2 3 4 5 6; do "$PARLEY" --home a notify --to cert-b --category ip-theft --text "busy $i" >/dev/null 2>&1; done ) &
BUSY=$!
for i in 1 2 3; do
	p 0 --home a backup --with-keys "busy$i.bak"
done
wait $BUSY
for i in 1 2 3; do
	p 0 restore "busy$i.bak" --home "r$i" --no-sync
	has_out "the restored replica verifies"
done

# the log moves on after the old backup
p 0 --home b sync
p 0 --home b reply 0 --text "answer after the backup"
p 0 --home a sync
SIZE=$("$PARLEY" --home a inbox | grep -c '^ *[0-9]')

# restore the OLD backup: verified, then synchronised; no evidence, no halt
p 0 restore old.bak --home a2
has_out "restored cert-a's home from the backup of"
has_out "the restored replica verifies (2 entries)"
has_out "synchronised from the relay: .* new since the backup"
ls a2/evidence-* >/dev/null 2>&1 && fail "an old backup was taken for relay misbehaviour"
p 0 --home a2 verify
p 0 --home a2 thread 0
has_out "answer after the backup"
# the restored node continues the party's chain where the log has it
p 0 --home a2 notify --to cert-b --category ip-theft --text "after the restore"
p 0 --home b sync
p 0 --home b verify
p 0 --home a2 status
ls b/evidence-* >/dev/null 2>&1 && fail "the other party saw misbehaviour"

# without keys: the restore says what to copy; then the usual commands work
p 0 restore a.bak --home a3
has_out "the backup holds no key: copy cert-a's key file to a3/cert-a.key"
cp keys/cert-a.key a3/cert-a.key
chmod 600 a3/cert-a.key
p 0 --home a3 verify
p 0 --home a3 sync

# a restore never writes into a home in use; hostile or foreign files are refused
p 1 restore old.bak --home b
has_err "exists and is not an empty directory"
cp old.bak evil.bak
python3 -c "
import sqlite3
db = sqlite3.connect('evil.bak')
db.execute(\"UPDATE parley_backup_files SET path = '../escaped' WHERE path = 'node.json'\")
db.commit()
" || fail "tamper"
p 1 restore evil.bak --home e1
has_err "holds a file it may not ('../escaped')"
[ -e escaped ] && fail "a backup wrote outside its home"
p 1 restore c.json --home e2
has_err "not a parley home backup\|file is not a database\|cannot open"
cp relay.db notabackup.db 2>/dev/null || true
p 1 restore notabackup.db --home e3
has_err "not a parley home backup"

done_ok
