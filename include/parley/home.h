/*
 * home.h - a node's home directory: its files, its lock and the channels it
 * joined, read without the party's key.
 *
 * Layout: node.json (name, key file, channels and their relay URLs),
 * NAME.key (the party's key file, mode 0600), charters/ID.json (a channel's
 * charter), charters/ID.{ca.pem,halted,paging,answered} (its CA, halt marker
 * and sync state), replica.db, psi/, evidence-*.json, lock.
 *
 * The lock: whichever process writes a home's replica and channel state
 * (sync, posting, PSI, resume; a standing node for its whole life) holds an
 * exclusive flock(2) on HOME/lock, with its PID written in the file, so a
 * second writer is told who holds the home instead of racing it at the relay.
 * Joining a channel and setting the PSI policy only add to node.json, which a
 * standing node re-reads: they do not take the lock.
 */
#ifndef PARLEY_HOME_H
#define PARLEY_HOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "parley/err.h"
#include "parley/util.h"

/* HOME/REL into out (max bytes). PARLEY_E_USAGE "HOME: path too long". */
parley_code parley_home_path(char *out, size_t max, const char *home, const char *rel, parley_err *err) PARLEY_WUR;

/* HOME/charters/HEX.EXT: a channel's charter (ext "json") or one of its state files. */
parley_code parley_home_channel_file(char *out, size_t max, const char *home, const char *hex, const char *ext,
	parley_err *err) PARLEY_WUR;

/*
 * The home and the subdirectories it uses must be ours alone: another user who can
 * write there could delete evidence, clear a halted channel's marker or swap a charter.
 * PARLEY_E_NOTFOUND when home does not exist ("run 'parley join' first"),
 * PARLEY_E_PERM when it or a subdirectory is open to others.
 */
parley_code parley_home_check(const char *home, parley_err *err) PARLEY_WUR;

/* ---- the channels joined ---- */

struct parley_charter;

/* A channel of the home as its files say, read without the party's key. */
typedef struct parley_home_channel {
	uint8_t id[32];
	char hex[65];
	char relay[512 + 1];           /* the relay's URL (PARLEY_URL_MAX) */
	char ca[1100];                 /* CA file for an https relay, or empty */
	char halted[1400];             /* why the node stopped trusting the relay, or empty */
	struct parley_charter *charter; /* parsed from charters/ID.json (its id checked, signatures not) */
} parley_home_channel;

/*
 * The channels of home (node.json), in the order joined, with their charters:
 * *out (n of them) to free with parley_home_channels_free. PARLEY_E_FORMAT for
 * a bad node.json entry, PARLEY_E_VERIFY "the charter file was changed" when a
 * charter's id is not its channel's, PARLEY_E_LIMIT past PARLEY_HOME_MAX_CHANNELS.
 * A node that is not a home fails as parley_home_check.
 */
#define PARLEY_HOME_MAX_CHANNELS 64
parley_code parley_home_channels(const char *home, parley_home_channel **out, size_t *n, parley_err *err) PARLEY_WUR;
void parley_home_channels_free(parley_home_channel *v, size_t n);

/* ---- the lock ---- */

typedef struct parley_lock {
	int fd; /* HOME/lock, flock'ed; -1 when not held */
} parley_lock;
#define PARLEY_LOCK_INIT { -1 }

/*
 * Take the home's lock without waiting: HOME/lock is created (mode 0600),
 * locked exclusively and given this process's PID. PARLEY_E_BUSY "home HOME is
 * in use by process PID" when another open file holds it (another process, or
 * another lock of this one); PARLEY_E_IO when the file cannot be opened.
 * The descriptor is close-on-exec; a forked child shares the lock (flock
 * belongs to the open file), which lasts until the last copy is closed.
 */
parley_code parley_home_lock(const char *home, parley_lock *lk, parley_err *err) PARLEY_WUR;

/*
 * Hand the lock to another process: write pid as the holder (after fork, the
 * child that keeps running) and, with keep_on_exec, clear close-on-exec so a
 * program the child executes keeps holding it (its fd is lk->fd).
 */
parley_code parley_home_lock_pass(parley_lock *lk, pid_t pid, bool keep_on_exec, parley_err *err) PARLEY_WUR;

/* Release the lock (closing this process's descriptor); a no-op when not held. */
void parley_home_unlock(parley_lock *lk);

#endif
