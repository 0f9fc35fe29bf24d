/*
 * store.h - the storage of channels, entries, tree nodes, checkpoints and
 * cosignatures, and the relay's kept signed reads, used by the relay and by
 * every party's node.
 *
 * One interface, several backends: SQLite (WAL) is the embedded default,
 * PostgreSQL (libpq) the one several relay processes can share; a backend
 * implements struct parley_store_backend and the generic layer here does the
 * hashing and the tree, so callers never see which one they use. A store
 * handle is used by one thread at a time.
 */
#ifndef PARLEY_STORE_H
#define PARLEY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parley/auth.h"
#include "parley/err.h"
#include "parley/merkle.h"
#include "parley/util.h"

/* SQLite's schema (3: the node-state table); PostgreSQL's stops at 2 (no node state) */
#define PARLEY_STORE_SCHEMA_VERSION 3

typedef struct parley_store parley_store;

/* One entry to append: its bytes and the relay's integration time. */
typedef struct parley_store_item {
	const uint8_t *data;
	size_t len;
	uint64_t integrated_ms;
} parley_store_item;

/* A tree node computed by an append, for the backend to write. */
typedef struct parley_store_node {
	unsigned level;
	uint64_t index;
	uint8_t hash[32];
} parley_store_node;

/* Called for each entry of a range, in index order; a non-OK return stops the scan with that code. */
typedef parley_code (*parley_store_entry_cb)(void *ctx, uint64_t index, uint64_t integrated_ms, const uint8_t *data,
	size_t len);
/* Called for each state key under a prefix, in key order; a non-OK return stops the scan with that code. */
typedef parley_code (*parley_store_state_cb)(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val,
	size_t vlen);
/* Called for each stored channel with its charter file; a non-OK return stops the scan with that code. */
typedef parley_code (*parley_store_channel_cb)(void *ctx, const uint8_t id[32], const uint8_t *charter, size_t n);
/* Called for each stored tree node; hash is NULL when the stored value is not 32 bytes. */
typedef parley_code (*parley_store_node_cb)(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32]);

/*
 * What a backend provides. Every call returns a parley_code and fills err.
 * append must write the items as indexes first..first+n-1, the nodes, and
 * the new size in one transaction, durable before it returns PARLEY_OK.
 */
typedef struct parley_store_backend {
	const char *name;
	void (*close)(void *be);
	parley_code (*channel_add)(void *be, const uint8_t id[32], const uint8_t *charter, size_t n, parley_err *err);
	parley_code (*channel_get)(void *be, const uint8_t id[32], parley_buf *charter, parley_err *err);
	parley_code (*size)(void *be, const uint8_t id[32], uint64_t *size, parley_err *err);
	parley_code (*append)(void *be, const uint8_t id[32], uint64_t first, const parley_store_item *items, size_t n,
		const parley_store_node *nodes, size_t nnodes, parley_err *err);
	parley_code (*entry_get)(void *be, const uint8_t id[32], uint64_t index, parley_buf *data,
		uint64_t *integrated_ms, parley_err *err);
	parley_code (*node_get)(void *be, const uint8_t id[32], unsigned level, uint64_t index, uint8_t out[32],
		parley_err *err);
	parley_code (*scan_entries)(void *be, const uint8_t id[32], uint64_t from, uint64_t limit,
		parley_store_entry_cb cb, void *ctx, parley_err *err);
	parley_code (*scan_nodes)(void *be, const uint8_t id[32], parley_store_node_cb cb, void *ctx, parley_err *err);
	parley_code (*checkpoint_put)(void *be, const uint8_t id[32], uint64_t size, const char *note, size_t n,
		parley_err *err);
	parley_code (*checkpoint_get)(void *be, const uint8_t id[32], uint64_t size, parley_buf *note,
		uint64_t *size_out, parley_err *err);
	parley_code (*cosig_put)(void *be, const uint8_t id[32], uint64_t size, const char *signer, const char *line,
		parley_err *err);
	parley_code (*cosigs_get)(void *be, const uint8_t id[32], uint64_t size, parley_buf *lines, parley_err *err);
	parley_code (*checkpoint_find)(void *be, const uint8_t id[32], uint64_t min_size, const char *cosigner,
		parley_buf *note, uint64_t *size_out, parley_err *err);
	parley_code (*reads_put)(void *be, const uint8_t id[32], const parley_signed_read *reads, size_t n,
		parley_err *err);
	parley_code (*read_latest)(void *be, const uint8_t id[32], const uint8_t keyid[4], uint64_t *from,
		parley_err *err);
	parley_code (*read_past)(void *be, const uint8_t id[32], const uint8_t keyid[4], uint64_t past,
		parley_signed_read *out, parley_err *err);
	/*
	 * lock begins a transaction that holds the channel's append lock and gives
	 * its size; calls on this handle see that transaction until append commits
	 * it (append without lock takes the lock itself) or unlock rolls it back.
	 */
	parley_code (*lock)(void *be, const uint8_t id[32], uint64_t *size, parley_err *err);
	void (*unlock)(void *be);
	/*
	 * Optional (NULL: not supported; a node's replica is SQLite). begin opens a
	 * transaction that append, checkpoint_put and state_put join (append then
	 * neither begins nor commits) until commit or rollback ends it.
	 */
	parley_code (*begin)(void *be, parley_err *err);
	parley_code (*commit)(void *be, parley_err *err);
	void (*rollback)(void *be);
	/* A channel's derived state (parley_store_state_*): value NULL deletes the key. */
	parley_code (*state_put)(void *be, const uint8_t id[32], const uint8_t *key, size_t klen, const uint8_t *val,
		size_t vlen, parley_err *err);
	parley_code (*state_get)(void *be, const uint8_t id[32], const uint8_t *key, size_t klen, parley_buf *val,
		parley_err *err);
	parley_code (*state_scan)(void *be, const uint8_t id[32], const uint8_t *prefix, size_t plen,
		const uint8_t *from, size_t flen, parley_store_state_cb cb, void *ctx, parley_err *err);
	parley_code (*state_clear)(void *be, const uint8_t id[32], parley_err *err);
	/* Every channel with its charter, in the order they were added (in pages: memory stays bounded). */
	parley_code (*scan_channels)(void *be, parley_store_channel_cb cb, void *ctx, parley_err *err);
} parley_store_backend;

/*
 * Open a store. spec is a file path (SQLite, created if missing),
 * "sqlite:PATH", or a libpq connection URI "postgresql://..." or
 * "postgres://..." (PostgreSQL; the database must exist). The schema is
 * created or migrated to PARLEY_STORE_SCHEMA_VERSION; a newer schema is refused.
 */
parley_code parley_store_open(const char *spec, parley_store **out, parley_err *err) PARLEY_WUR;
/* Whether spec names a PostgreSQL store (a store several processes may share). */
bool parley_store_spec_is_pg(const char *spec);
/* "sqlite" or "postgresql". */
const char *parley_store_backend_name(const parley_store *s);
/* Close (NULL allowed). */
void parley_store_close(parley_store *s);

/* Register a channel with its charter file. Idempotent for the same bytes; PARLEY_E_USAGE for others. */
parley_code parley_store_channel_add(parley_store *s, const uint8_t id[32], const uint8_t *charter, size_t n,
	parley_err *err) PARLEY_WUR;
/*
 * Every channel the store holds, with its charter file, in the order they were
 * added: cb is called for each (the relay counts its parties' channel quotas
 * from them when it starts).
 */
parley_code parley_store_channels(parley_store *s, parley_store_channel_cb cb, void *ctx, parley_err *err) PARLEY_WUR;
/* The charter file of a channel; PARLEY_E_NOTFOUND for an unknown channel. */
parley_code parley_store_channel_charter(parley_store *s, const uint8_t id[32], parley_buf *charter,
	parley_err *err) PARLEY_WUR;

/*
 * Take a channel's append lock: until parley_store_append (which commits) or
 * parley_store_unlock (which gives it up), no other handle, in this process
 * or another sharing the store, appends to the channel, and *size is the index
 * the next append gets. Reads through s meanwhile see the locked state, so a
 * caller can read what other writers appended, decide, then append. One
 * channel at a time per handle. PARLEY_E_NOTFOUND for an unknown channel.
 */
parley_code parley_store_lock(parley_store *s, const uint8_t id[32], uint64_t *size, parley_err *err) PARLEY_WUR;
/* Give up the append lock without appending (nothing when none is held). */
void parley_store_unlock(parley_store *s);

/*
 * Append entries as one durable transaction (group commit). Under
 * parley_store_lock it appends at the locked size and releases the lock,
 * whether it succeeds or not. Leaf i's data is
 * u64 integrated_ms || entry bytes (docs/protocol.md). On PARLEY_OK every item
 * is stored; *first gets the first index and root (may be NULL) the new root.
 * On failure nothing is stored.
 */
parley_code parley_store_append(parley_store *s, const uint8_t id[32], const parley_store_item *items, size_t n,
	uint64_t *first, uint8_t root[32], parley_err *err) PARLEY_WUR;

parley_code parley_store_size(parley_store *s, const uint8_t id[32], uint64_t *size, parley_err *err) PARLEY_WUR;
/* An entry's bytes and integration time; PARLEY_E_NOTFOUND past the end. */
parley_code parley_store_entry(parley_store *s, const uint8_t id[32], uint64_t index, parley_buf *data,
	uint64_t *integrated_ms, parley_err *err) PARLEY_WUR;

/* Entries from index `from`, at most `limit` of them, in order, to cb (one read for the whole range). */
parley_code parley_store_entries(parley_store *s, const uint8_t id[32], uint64_t from, uint64_t limit,
	parley_store_entry_cb cb, void *ctx, parley_err *err) PARLEY_WUR;

/* One stored perfect-subtree hash (see parley_merkle_src); PARLEY_E_NOTFOUND when absent. */
parley_code parley_store_node_get(parley_store *s, const uint8_t id[32], unsigned level, uint64_t index, uint8_t out[32],
	parley_err *err) PARLEY_WUR;

/* The tree, read from stored nodes in O(log n). */
parley_code parley_store_root(parley_store *s, const uint8_t id[32], uint64_t size, uint8_t root[32],
	parley_err *err) PARLEY_WUR;
parley_code parley_store_inclusion(parley_store *s, const uint8_t id[32], uint64_t index, uint64_t size,
	uint8_t proof[][32], size_t *n, parley_err *err) PARLEY_WUR;
parley_code parley_store_consistency(parley_store *s, const uint8_t id[32], uint64_t old, uint64_t size,
	uint8_t proof[][32], size_t *n, parley_err *err) PARLEY_WUR;

/*
 * Recompute the whole tree from the stored entries and compare it with every
 * stored node and the stored size: a missing, extra or different node, or an
 * entry past the size, is PARLEY_E_VERIFY naming the first difference.
 * Two sequential scans, O(n) time.
 */
parley_code parley_store_check(parley_store *s, const uint8_t id[32], parley_err *err) PARLEY_WUR;

/* The leaf hash of an entry: SHA-256(0x00 || u64 integrated_ms || entry). */
void parley_store_leaf_hash(uint8_t out[32], const uint8_t *entry, size_t n, uint64_t integrated_ms);

/* Signed checkpoints by tree size; size 0 in checkpoint_get means the latest. */
parley_code parley_store_checkpoint_put(parley_store *s, const uint8_t id[32], uint64_t size, const char *note,
	size_t n, parley_err *err) PARLEY_WUR;
parley_code parley_store_checkpoint_get(parley_store *s, const uint8_t id[32], uint64_t size, parley_buf *note,
	uint64_t *size_out, parley_err *err) PARLEY_WUR;
/* Cosignature lines (one per signer and size; a newer one from the same signer replaces it). */
parley_code parley_store_cosig_put(parley_store *s, const uint8_t id[32], uint64_t size, const char *signer,
	const char *line, parley_err *err) PARLEY_WUR;
parley_code parley_store_cosigs(parley_store *s, const uint8_t id[32], uint64_t size, parley_buf *lines,
	parley_err *err) PARLEY_WUR;

/*
 * The smallest stored checkpoint of size >= min_size (exactly min_size when
 * the caller then compares *size_out), and when cosigner is not NULL, the
 * smallest such that the signer of that name cosigned. PARLEY_E_NOTFOUND
 * when there is none. note gets the relay's note without cosignatures.
 */
parley_code parley_store_checkpoint_find(parley_store *s, const uint8_t id[32], uint64_t min_size,
	const char *cosigner, parley_buf *note, uint64_t *size_out, parley_err *err) PARLEY_WUR;

/*
 * Signed reads kept as delivery evidence (the relay's; see auth.h). reads_put
 * stores, in one transaction, each read whose from is greater than every from
 * already kept for its key id, and skips the others, so that a member's kept
 * reads increase with from. Fields are stored as given; the caller checks them.
 */
parley_code parley_store_reads_put(parley_store *s, const uint8_t id[32], const parley_signed_read *reads, size_t n,
	parley_err *err) PARLEY_WUR;
/* The greatest from kept for keyid; 0 when none is kept. */
parley_code parley_store_read_latest(parley_store *s, const uint8_t id[32], const uint8_t keyid[4], uint64_t *from,
	parley_err *err) PARLEY_WUR;
/* The kept read of keyid with the smallest from > past; PARLEY_E_NOTFOUND when none. */
parley_code parley_store_read_past(parley_store *s, const uint8_t id[32], const uint8_t keyid[4], uint64_t past,
	parley_signed_read *out, parley_err *err) PARLEY_WUR;

/*
 * One transaction around several writes (SQLite only; PARLEY_E_USAGE elsewhere):
 * after parley_store_begin, parley_store_append, parley_store_checkpoint_put and
 * parley_store_state_put take effect together at parley_store_commit, or not at
 * all (parley_store_rollback, or a crash). Reads through s see them meanwhile.
 * A failed append inside it leaves the transaction open: roll it back.
 */
parley_code parley_store_begin(parley_store *s, parley_err *err) PARLEY_WUR;
parley_code parley_store_commit(parley_store *s, parley_err *err) PARLEY_WUR;
void parley_store_rollback(parley_store *s);

/*
 * A channel's derived state: keys and values of up to 1 MiB that a node keeps
 * beside its replica (its incremental thread, chain and duty tables, node_state.c),
 * written in the same transaction as the entries they follow. put with val NULL
 * deletes; get gives PARLEY_E_NOTFOUND for a missing key; scan calls cb for every
 * key that starts with prefix, in key order; clear deletes all of the channel's.
 * SQLite only (PARLEY_E_USAGE elsewhere).
 */
parley_code parley_store_state_put(parley_store *s, const uint8_t id[32], const uint8_t *key, size_t klen,
	const uint8_t *val, size_t vlen, parley_err *err) PARLEY_WUR;
parley_code parley_store_state_get(parley_store *s, const uint8_t id[32], const uint8_t *key, size_t klen,
	parley_buf *val, parley_err *err) PARLEY_WUR;
parley_code parley_store_state_scan(parley_store *s, const uint8_t id[32], const uint8_t *prefix, size_t plen,
	parley_store_state_cb cb, void *ctx, parley_err *err) PARLEY_WUR;
/* The same from the first key >= from (which starts with prefix) on: an ordered seek, not a walk. */
parley_code parley_store_state_scan_from(parley_store *s, const uint8_t id[32], const uint8_t *prefix, size_t plen,
	const uint8_t *from, size_t flen, parley_store_state_cb cb, void *ctx, parley_err *err) PARLEY_WUR;
parley_code parley_store_state_clear(parley_store *s, const uint8_t id[32], parley_err *err) PARLEY_WUR;

/* Backends, for parley_store_open. */
parley_code parley_store_sqlite_open(const char *path, const parley_store_backend **ops, void **be,
	parley_err *err) PARLEY_WUR;
/* PostgreSQL; PARLEY_E_USAGE when this parley was built without libpq. */
parley_code parley_store_pg_open(const char *uri, const parley_store_backend **ops, void **be,
	parley_err *err) PARLEY_WUR;

#endif
