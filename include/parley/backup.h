/*
 * backup.h - backing up and restoring a node's home and a relay's store (README, "Backing up").
 *
 * A home backup is one SQLite database file: the replica, copied with SQLite's
 * online backup API (a consistent snapshot, taken while a node process may be
 * writing: in WAL mode the copy is one read transaction), plus two tables of
 * its own: parley_backup_meta (format, creation time, party name) and
 * parley_backup_files (every other file of the home, by relative path, with its
 * mode). Key files are included only when asked for, still encrypted as they
 * are on disk. A sync's transient paging file is never included.
 */
#ifndef PARLEY_BACKUP_H
#define PARLEY_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parley/err.h"

#define PARLEY_BACKUP_FORMAT "parley-home-backup/1"
#define PARLEY_BACKUP_FILE_MAX ((size_t)64 << 20) /* any one home file, at most */
#define PARLEY_BACKUP_FILES_MAX 10000

typedef struct parley_backup_report {
	char name[65];        /* the home's party name */
	size_t files;         /* home files copied (keys included) */
	size_t keys;          /* of which secret key files */
	uint64_t file_bytes;  /* their bytes */
	uint64_t replica_bytes; /* the replica's size (pages x page size) */
	uint64_t created_ms;  /* when the backup was taken */
} parley_backup_report;

/*
 * Back up the node home `home` into the file `out` (written under a temporary
 * name, fsynced and renamed; mode 0600). with_keys: include the secret key
 * files (node.json's key and any *.key), as they are on disk. PARLEY_E_NOTFOUND
 * when home is not a node home.
 */
parley_code parley_backup_home(const char *home, const char *out, bool with_keys, parley_backup_report *rep,
	parley_err *err) PARLEY_WUR;

/*
 * Restore a home backup into `home`, which must not exist or be empty
 * (PARLEY_E_USAGE otherwise: a restore never mixes two homes). Every path in
 * the backup is checked (relative, at most one directory deep, under charters/
 * or psi/, names of [A-Za-z0-9._+-]) before anything is written; a backup that
 * breaks a rule is refused (PARLEY_E_FORMAT). The replica is copied back with
 * the online backup API and the backup's own tables dropped from it.
 */
parley_code parley_backup_restore(const char *in, const char *home, parley_backup_report *rep,
	parley_err *err) PARLEY_WUR;

/* What parley_backup_restore would restore, without writing anything. */
parley_code parley_backup_inspect(const char *in, parley_backup_report *rep, parley_err *err) PARLEY_WUR;

/*
 * Copy the SQLite database at db (a relay's store) into out with the online
 * backup API: a consistent snapshot while the relay runs. out is written
 * under a temporary name and renamed (mode 0600).
 */
parley_code parley_backup_db(const char *db, const char *out, parley_err *err) PARLEY_WUR;

/*
 * Cut channel id of the replica database at path back to its first `size`
 * entries: the entries, tree nodes, checkpoints and cosignatures beyond it are
 * deleted, in one transaction. For a relay restored from an old backup (a fork
 * by design): the node keeps what both histories share and syncs the rest.
 */
parley_code parley_replica_truncate(const char *path, const uint8_t id[32], uint64_t size, parley_err *err) PARLEY_WUR;

#endif
