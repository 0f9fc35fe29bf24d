/* store_sqlite.c - the SQLite (WAL) backend of the storage interface. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "parley/store.h"
#include "banned.h"

/* Schema migrations: entry i brings the schema from version i to i + 1. Never edit a shipped one. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE channels(cid INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, charter BLOB NOT NULL,"
	" size INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE entries(cid INTEGER NOT NULL, idx INTEGER NOT NULL, integrated_ms INTEGER NOT NULL,"
	" data BLOB NOT NULL, PRIMARY KEY(cid, idx));"
	"CREATE TABLE nodes(cid INTEGER NOT NULL, level INTEGER NOT NULL, idx INTEGER NOT NULL,"
	" hash BLOB NOT NULL, PRIMARY KEY(cid, level, idx)) WITHOUT ROWID;"
	"CREATE TABLE checkpoints(cid INTEGER NOT NULL, size INTEGER NOT NULL, note BLOB NOT NULL,"
	" PRIMARY KEY(cid, size)) WITHOUT ROWID;"
	"CREATE TABLE cosignatures(cid INTEGER NOT NULL, size INTEGER NOT NULL, signer TEXT NOT NULL,"
	" line TEXT NOT NULL, PRIMARY KEY(cid, size, signer)) WITHOUT ROWID;",
	/* 1 -> 2: the relay's kept signed reads (delivery evidence), increasing in from_idx per member */
	"CREATE TABLE reads(cid INTEGER NOT NULL, keyid BLOB NOT NULL, from_idx INTEGER NOT NULL,"
	" time_ms INTEGER NOT NULL, target TEXT NOT NULL, nonce TEXT NOT NULL, sig TEXT NOT NULL,"
	" PRIMARY KEY(cid, keyid, from_idx)) WITHOUT ROWID;",
	/* 2 -> 3: a node's derived state (node_state.c), rebuilt from the entries when missing */
	"CREATE TABLE node_state(cid INTEGER NOT NULL, k BLOB NOT NULL, v BLOB NOT NULL, PRIMARY KEY(cid, k)) WITHOUT ROWID;",
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

enum {
	Q_CHANNEL,
	Q_CHANNEL_ADD,
	Q_ENTRY_ADD,
	Q_NODE_ADD,
	Q_SIZE_SET,
	Q_ENTRY_GET,
	Q_NODE_GET,
	Q_CP_PUT,
	Q_CP_GET,
	Q_CP_LATEST,
	Q_COSIG_PUT,
	Q_COSIG_GET,
	Q_SCAN_ENTRIES,
	Q_SCAN_NODES,
	Q_CP_FIND,
	Q_CP_FIND_COSIGNED,
	Q_READ_PUT,
	Q_READ_LATEST,
	Q_READ_PAST,
	Q_ST_PUT,
	Q_ST_DEL,
	Q_ST_GET,
	Q_ST_SCAN,
	Q_ST_CLEAR,
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_CHANNELS,
	NQ
};

static const char *const queries[NQ] = {
	[Q_CHANNEL] = "SELECT cid, size, charter FROM channels WHERE id = ?1",
	[Q_CHANNEL_ADD] = "INSERT OR IGNORE INTO channels(id, charter) VALUES (?1, ?2)",
	[Q_ENTRY_ADD] = "INSERT INTO entries(cid, idx, integrated_ms, data) VALUES (?1, ?2, ?3, ?4)",
	[Q_NODE_ADD] = "INSERT INTO nodes(cid, level, idx, hash) VALUES (?1, ?2, ?3, ?4)",
	[Q_SIZE_SET] = "UPDATE channels SET size = ?2 WHERE cid = ?1 AND size = ?3",
	[Q_ENTRY_GET] = "SELECT integrated_ms, data FROM entries WHERE cid = ?1 AND idx = ?2",
	[Q_NODE_GET] = "SELECT hash FROM nodes WHERE cid = ?1 AND level = ?2 AND idx = ?3",
	[Q_CP_PUT] = "INSERT OR REPLACE INTO checkpoints(cid, size, note) VALUES (?1, ?2, ?3)",
	[Q_CP_GET] = "SELECT size, note FROM checkpoints WHERE cid = ?1 AND size = ?2",
	[Q_CP_LATEST] = "SELECT size, note FROM checkpoints WHERE cid = ?1 ORDER BY size DESC LIMIT 1",
	[Q_COSIG_PUT] = "INSERT OR REPLACE INTO cosignatures(cid, size, signer, line) VALUES (?1, ?2, ?3, ?4)",
	[Q_COSIG_GET] = "SELECT line FROM cosignatures WHERE cid = ?1 AND size = ?2 ORDER BY signer",
	[Q_SCAN_ENTRIES] = "SELECT idx, integrated_ms, data FROM entries WHERE cid = ?1 AND idx >= ?2 ORDER BY idx LIMIT ?3",
	[Q_SCAN_NODES] = "SELECT level, idx, hash FROM nodes WHERE cid = ?1",
	[Q_CP_FIND] = "SELECT size, note FROM checkpoints WHERE cid = ?1 AND size >= ?2 ORDER BY size LIMIT 1",
	[Q_CP_FIND_COSIGNED] = "SELECT c.size, c.note FROM checkpoints c JOIN cosignatures s ON s.cid = c.cid AND s.size = c.size"
			       " WHERE c.cid = ?1 AND c.size >= ?2 AND s.signer = ?3 ORDER BY c.size LIMIT 1",
	[Q_READ_PUT] = "INSERT INTO reads(cid, keyid, from_idx, time_ms, target, nonce, sig) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7"
		       " WHERE NOT EXISTS (SELECT 1 FROM reads WHERE cid = ?1 AND keyid = ?2 AND from_idx >= ?3)",
	[Q_READ_LATEST] = "SELECT MAX(from_idx) FROM reads WHERE cid = ?1 AND keyid = ?2",
	[Q_READ_PAST] = "SELECT from_idx, time_ms, target, nonce, sig FROM reads WHERE cid = ?1 AND keyid = ?2 AND from_idx > ?3"
			" ORDER BY from_idx LIMIT 1",
	[Q_ST_PUT] = "INSERT OR REPLACE INTO node_state(cid, k, v) VALUES (?1, ?2, ?3)",
	[Q_ST_DEL] = "DELETE FROM node_state WHERE cid = ?1 AND k = ?2",
	[Q_ST_GET] = "SELECT v FROM node_state WHERE cid = ?1 AND k = ?2",
	[Q_ST_SCAN] = "SELECT k, v FROM node_state WHERE cid = ?1 AND k >= ?2 ORDER BY k",
	[Q_ST_CLEAR] = "DELETE FROM node_state WHERE cid = ?1",
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_CHANNELS] = "SELECT id, charter FROM channels ORDER BY cid",
};

struct sq {
	sqlite3 *db;
	sqlite3_stmt *q[NQ];
	/* the last channel looked up: a channel's cid never changes once it exists */
	uint8_t last_id[32];
	sqlite3_int64 last_cid;
	bool have_last;
	bool in_tx; /* sq_lock's transaction is open */
	bool outer; /* sq_begin's transaction is open: append joins it */
};

static parley_code dberr(struct sq *s, parley_err *err, const char *what)
{
	return parley_fail(err, PARLEY_E_IO, "store: %s: %s", what, sqlite3_errmsg(s->db));
}

/* Reset and clear a statement before (re)use. */
static sqlite3_stmt *Q(struct sq *s, int which)
{
	sqlite3_stmt *st = s->q[which];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static parley_code step_done(struct sq *s, sqlite3_stmt *st, parley_err *err, const char *what)
{
	int r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return dberr(s, err, what);
	return PARLEY_OK;
}

static void sq_close(void *be)
{
	struct sq *s = be;
	if (!s)
		return;
	for (int i = 0; i < NQ; i++)
		sqlite3_finalize(s->q[i]);
	sqlite3_close(s->db);
	free(s);
}

/* cid and size of a channel; PARLEY_E_NOTFOUND when unknown. */
static parley_code channel(struct sq *s, const uint8_t id[32], sqlite3_int64 *cid, uint64_t *size, parley_err *err)
{
	sqlite3_stmt *st;
	int r;

	if (!size && s->have_last && memcmp(s->last_id, id, 32) == 0) {
		*cid = s->last_cid;
		return PARLEY_OK;
	}
	st = Q(s, Q_CHANNEL);
	sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*cid = sqlite3_column_int64(st, 0);
		memcpy(s->last_id, id, 32);
		s->last_cid = *cid;
		s->have_last = true;
		if (size)
			*size = (uint64_t)sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
		return PARLEY_OK;
	}
	sqlite3_reset(st);
	if (r == SQLITE_DONE) {
		char hex[17];
		parley_hex(hex, id, 8);
		return parley_fail(err, PARLEY_E_NOTFOUND, "store: no channel %s...", hex);
	}
	return dberr(s, err, "reading a channel");
}

static parley_code sq_channel_add(void *be, const uint8_t id[32], const uint8_t *charter, size_t n, parley_err *err)
{
	struct sq *s = be;
	sqlite3_stmt *st = Q(s, Q_CHANNEL_ADD);
	parley_code rc;

	sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, charter, (int)n, SQLITE_STATIC);
	if ((rc = step_done(s, st, err, "adding a channel")))
		return rc;
	st = Q(s, Q_CHANNEL);
	sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return dberr(s, err, "adding a channel");
	}
	const void *p = sqlite3_column_blob(st, 2);
	size_t len = (size_t)sqlite3_column_bytes(st, 2);
	rc = (len == n && memcmp(p, charter, n) == 0)
		? PARLEY_OK
		: parley_fail(err, PARLEY_E_USAGE, "store: the channel is already registered with another charter file");
	sqlite3_reset(st);
	return rc;
}

static parley_code sq_channel_get(void *be, const uint8_t id[32], parley_buf *charter, parley_err *err)
{
	struct sq *s = be;
	sqlite3_stmt *st = Q(s, Q_CHANNEL);
	parley_code rc;
	int r;

	sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		sqlite3_reset(st);
		if (r == SQLITE_DONE)
			return parley_fail(err, PARLEY_E_NOTFOUND, "store: no such channel");
		return dberr(s, err, "reading a channel");
	}
	parley_buf_reset(charter);
	rc = parley_buf_add(charter, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2));
	sqlite3_reset(st);
	return rc ? parley_fail(err, rc, "store: charter too large") : PARLEY_OK;
}

static parley_code sq_size(void *be, const uint8_t id[32], uint64_t *size, parley_err *err)
{
	sqlite3_int64 cid;
	return channel(be, id, &cid, size, err);
}

static parley_code sq_append(void *be, const uint8_t id[32], uint64_t first, const parley_store_item *items, size_t n,
	const parley_store_node *nodes, size_t nnodes, parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	uint64_t size;
	sqlite3_stmt *st;
	parley_code rc;

	if (!s->outer && !s->in_tx && (rc = step_done(s, Q(s, Q_BEGIN), err, "beginning a transaction")))
		return rc;
	s->in_tx = false;
	if ((rc = channel(s, id, &cid, &size, err)))
		goto fail;
	if (size != first) {
		rc = parley_fail(err, PARLEY_E_USAGE, "store: the log grew under this writer (size %llu, expected %llu)",
			(unsigned long long)size, (unsigned long long)first);
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		st = Q(s, Q_ENTRY_ADD);
		sqlite3_bind_int64(st, 1, cid);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)(first + i));
		sqlite3_bind_int64(st, 3, (sqlite3_int64)items[i].integrated_ms);
		sqlite3_bind_blob(st, 4, items[i].data, (int)items[i].len, SQLITE_STATIC);
		if ((rc = step_done(s, st, err, "storing an entry")))
			goto fail;
	}
	for (size_t i = 0; i < nnodes; i++) {
		st = Q(s, Q_NODE_ADD);
		sqlite3_bind_int64(st, 1, cid);
		sqlite3_bind_int(st, 2, (int)nodes[i].level);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)nodes[i].index);
		sqlite3_bind_blob(st, 4, nodes[i].hash, 32, SQLITE_STATIC);
		if ((rc = step_done(s, st, err, "storing a tree node")))
			goto fail;
	}
	st = Q(s, Q_SIZE_SET);
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)(first + n));
	sqlite3_bind_int64(st, 3, (sqlite3_int64)first);
	if ((rc = step_done(s, st, err, "updating the size")))
		goto fail;
	if (s->outer) /* sq_commit ends it, with what else the caller writes */
		return PARLEY_OK;
	if ((rc = step_done(s, Q(s, Q_COMMIT), err, "committing")))
		goto fail;
	return PARLEY_OK;
fail:
	if (!s->outer) /* else the caller rolls back the whole transaction */
		step_done(s, Q(s, Q_ROLLBACK), NULL, "rolling back");
	return rc;
}

static parley_code sq_begin(void *be, parley_err *err)
{
	struct sq *s = be;
	parley_code rc;
	if (s->in_tx || s->outer)
		return parley_fail(err, PARLEY_E_USAGE, "store: a transaction is already open on this connection");
	if ((rc = step_done(s, Q(s, Q_BEGIN), err, "beginning a transaction")))
		return rc;
	s->outer = true;
	return PARLEY_OK;
}

static parley_code sq_commit(void *be, parley_err *err)
{
	struct sq *s = be;
	parley_code rc;
	s->outer = false;
	if ((rc = step_done(s, Q(s, Q_COMMIT), err, "committing"))) {
		step_done(s, Q(s, Q_ROLLBACK), NULL, "rolling back");
		return rc;
	}
	return PARLEY_OK;
}

static void sq_rollback(void *be)
{
	struct sq *s = be;
	if (!s->outer)
		return;
	s->outer = false;
	step_done(s, Q(s, Q_ROLLBACK), NULL, "rolling back");
}

static parley_code sq_state_put(void *be, const uint8_t id[32], const uint8_t *key, size_t klen, const uint8_t *val,
	size_t vlen, parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	sqlite3_stmt *st;
	parley_code rc;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	st = Q(s, val ? Q_ST_PUT : Q_ST_DEL);
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_blob(st, 2, key, (int)klen, SQLITE_STATIC);
	if (val)
		sqlite3_bind_blob(st, 3, vlen ? (const void *)val : "", (int)vlen, SQLITE_STATIC);
	return step_done(s, st, err, "storing node state");
}

static parley_code sq_state_get(void *be, const uint8_t id[32], const uint8_t *key, size_t klen, parley_buf *val,
	parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	sqlite3_stmt *st;
	parley_code rc;
	int r;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	st = Q(s, Q_ST_GET);
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_blob(st, 2, key, (int)klen, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		sqlite3_reset(st);
		if (r == SQLITE_DONE)
			return parley_fail(err, PARLEY_E_NOTFOUND, "store: no such node state");
		return dberr(s, err, "reading node state");
	}
	parley_buf_reset(val);
	rc = parley_buf_add(val, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
	sqlite3_reset(st);
	return rc ? parley_fail(err, rc, "store: node state too large") : PARLEY_OK;
}

static parley_code sq_state_scan(void *be, const uint8_t id[32], const uint8_t *prefix, size_t plen,
	const uint8_t *from, size_t flen, parley_store_state_cb cb, void *ctx, parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	sqlite3_stmt *st;
	parley_code rc;
	int r;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	st = Q(s, Q_ST_SCAN);
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_blob(st, 2, flen ? (const void *)from : "", (int)flen, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *k = sqlite3_column_blob(st, 0);
		size_t kl = (size_t)sqlite3_column_bytes(st, 0);
		if (kl < plen || (plen && memcmp(k, prefix, plen) != 0))
			break; /* past the prefix (keys are in order) */
		const uint8_t *v = sqlite3_column_blob(st, 1);
		rc = cb(ctx, k, kl, v ? v : (const uint8_t *)"", (size_t)sqlite3_column_bytes(st, 1));
		if (rc) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return r == SQLITE_DONE || r == SQLITE_ROW ? PARLEY_OK : dberr(s, err, "reading node state");
}

static parley_code sq_state_clear(void *be, const uint8_t id[32], parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	sqlite3_stmt *st;
	parley_code rc;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	st = Q(s, Q_ST_CLEAR);
	sqlite3_bind_int64(st, 1, cid);
	return step_done(s, st, err, "clearing node state");
}

/* BEGIN IMMEDIATE takes SQLite's write lock: the whole database, for this connection alone. */
static parley_code sq_lock(void *be, const uint8_t id[32], uint64_t *size, parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	parley_code rc;

	if (s->in_tx)
		return parley_fail(err, PARLEY_E_USAGE, "store: a channel is already locked on this connection");
	if ((rc = step_done(s, Q(s, Q_BEGIN), err, "beginning a transaction")))
		return rc;
	if ((rc = channel(s, id, &cid, size, err))) {
		step_done(s, Q(s, Q_ROLLBACK), NULL, "rolling back");
		return rc;
	}
	s->in_tx = true;
	return PARLEY_OK;
}

static void sq_unlock(void *be)
{
	struct sq *s = be;
	if (!s->in_tx)
		return;
	step_done(s, Q(s, Q_ROLLBACK), NULL, "rolling back");
	s->in_tx = false;
}

static parley_code sq_entry_get(void *be, const uint8_t id[32], uint64_t index, parley_buf *data,
	uint64_t *integrated_ms, parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	sqlite3_stmt *st;
	parley_code rc;
	int r;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	st = Q(s, Q_ENTRY_GET);
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)index);
	r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		sqlite3_reset(st);
		if (r == SQLITE_DONE)
			return parley_fail(err, PARLEY_E_NOTFOUND, "store: no entry %llu", (unsigned long long)index);
		return dberr(s, err, "reading an entry");
	}
	if (integrated_ms)
		*integrated_ms = (uint64_t)sqlite3_column_int64(st, 0);
	parley_buf_reset(data);
	rc = parley_buf_add(data, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
	sqlite3_reset(st);
	return rc ? parley_fail(err, rc, "store: entry too large") : PARLEY_OK;
}

static parley_code sq_node_get(void *be, const uint8_t id[32], unsigned level, uint64_t index, uint8_t out[32],
	parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	sqlite3_stmt *st;
	parley_code rc;
	int r;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	st = Q(s, Q_NODE_GET);
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_int(st, 2, (int)level);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)index);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
		memcpy(out, sqlite3_column_blob(st, 0), 32);
		sqlite3_reset(st);
		return PARLEY_OK;
	}
	sqlite3_reset(st);
	if (r == SQLITE_ROW || r == SQLITE_DONE)
		return parley_fail(err, PARLEY_E_NOTFOUND, "store: tree node (%u, %llu) is missing", level,
			(unsigned long long)index);
	return dberr(s, err, "reading a tree node");
}

static parley_code sq_scan_entries(void *be, const uint8_t id[32], uint64_t from, uint64_t limit,
	parley_store_entry_cb cb, void *ctx, parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	sqlite3_stmt *st;
	parley_code rc;
	int r;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	st = Q(s, Q_SCAN_ENTRIES);
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)from);
	sqlite3_bind_int64(st, 3, limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)limit);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(st, 2);
		rc = cb(ctx, (uint64_t)sqlite3_column_int64(st, 0), (uint64_t)sqlite3_column_int64(st, 1),
			p ? p : "", (size_t)sqlite3_column_bytes(st, 2));
		if (rc) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return r == SQLITE_DONE ? PARLEY_OK : dberr(s, err, "reading entries");
}

static parley_code sq_scan_nodes(void *be, const uint8_t id[32], parley_store_node_cb cb, void *ctx, parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	sqlite3_stmt *st;
	parley_code rc;
	int r;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	st = Q(s, Q_SCAN_NODES);
	sqlite3_bind_int64(st, 1, cid);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *h = sqlite3_column_bytes(st, 2) == 32 ? sqlite3_column_blob(st, 2) : NULL;
		rc = cb(ctx, (unsigned)sqlite3_column_int(st, 0), (uint64_t)sqlite3_column_int64(st, 1), h);
		if (rc) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return r == SQLITE_DONE ? PARLEY_OK : dberr(s, err, "reading tree nodes");
}

static parley_code sq_checkpoint_put(void *be, const uint8_t id[32], uint64_t size, const char *note, size_t n,
	parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	sqlite3_stmt *st;
	parley_code rc;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	st = Q(s, Q_CP_PUT);
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
	sqlite3_bind_blob(st, 3, note, (int)n, SQLITE_STATIC);
	return step_done(s, st, err, "storing a checkpoint");
}

static parley_code sq_checkpoint_get(void *be, const uint8_t id[32], uint64_t size, parley_buf *note,
	uint64_t *size_out, parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	sqlite3_stmt *st;
	parley_code rc;
	int r;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	st = Q(s, size ? Q_CP_GET : Q_CP_LATEST);
	sqlite3_bind_int64(st, 1, cid);
	if (size)
		sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
	r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		sqlite3_reset(st);
		if (r == SQLITE_DONE)
			return parley_fail(err, PARLEY_E_NOTFOUND, "store: no checkpoint");
		return dberr(s, err, "reading a checkpoint");
	}
	if (size_out)
		*size_out = (uint64_t)sqlite3_column_int64(st, 0);
	parley_buf_reset(note);
	rc = parley_buf_add(note, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
	sqlite3_reset(st);
	return rc ? parley_fail(err, rc, "store: checkpoint too large") : PARLEY_OK;
}

static parley_code sq_cosig_put(void *be, const uint8_t id[32], uint64_t size, const char *signer, const char *line,
	parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	sqlite3_stmt *st;
	parley_code rc;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	st = Q(s, Q_COSIG_PUT);
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
	sqlite3_bind_text(st, 3, signer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, line, -1, SQLITE_STATIC);
	return step_done(s, st, err, "storing a cosignature");
}

static parley_code sq_cosigs_get(void *be, const uint8_t id[32], uint64_t size, parley_buf *lines, parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	sqlite3_stmt *st;
	parley_code rc;
	int r;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	st = Q(s, Q_COSIG_GET);
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
	parley_buf_reset(lines);
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = parley_buf_add(lines, sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0)))) {
			sqlite3_reset(st);
			return parley_fail(err, rc, "store: too many cosignatures");
		}
	sqlite3_reset(st);
	return r == SQLITE_DONE ? PARLEY_OK : dberr(s, err, "reading cosignatures");
}

static parley_code sq_checkpoint_find(void *be, const uint8_t id[32], uint64_t min_size, const char *cosigner,
	parley_buf *note, uint64_t *size_out, parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	sqlite3_stmt *st;
	parley_code rc;
	int r;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	if (min_size > INT64_MAX)
		return parley_fail(err, PARLEY_E_NOTFOUND, "store: no checkpoint");
	st = Q(s, cosigner ? Q_CP_FIND_COSIGNED : Q_CP_FIND);
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)min_size);
	if (cosigner)
		sqlite3_bind_text(st, 3, cosigner, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		sqlite3_reset(st);
		if (r == SQLITE_DONE)
			return parley_fail(err, PARLEY_E_NOTFOUND, "store: no checkpoint");
		return dberr(s, err, "finding a checkpoint");
	}
	if (size_out)
		*size_out = (uint64_t)sqlite3_column_int64(st, 0);
	parley_buf_reset(note);
	rc = parley_buf_add(note, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
	sqlite3_reset(st);
	return rc ? parley_fail(err, rc, "store: checkpoint too large") : PARLEY_OK;
}

static parley_code sq_reads_put(void *be, const uint8_t id[32], const parley_signed_read *reads, size_t n,
	parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	sqlite3_stmt *st;
	parley_code rc;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	if ((rc = step_done(s, Q(s, Q_BEGIN), err, "beginning a transaction")))
		return rc;
	for (size_t i = 0; i < n; i++) {
		const parley_signed_read *rd = &reads[i];
		if (rd->from > INT64_MAX || rd->time_ms > INT64_MAX || !memchr(rd->target, 0, sizeof(rd->target)) ||
			!memchr(rd->nonce, 0, sizeof(rd->nonce)) || !memchr(rd->sig, 0, sizeof(rd->sig)))
			continue; /* not a read the relay could have accepted */
		st = Q(s, Q_READ_PUT);
		sqlite3_bind_int64(st, 1, cid);
		sqlite3_bind_blob(st, 2, rd->keyid, 4, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)rd->from);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)rd->time_ms);
		sqlite3_bind_text(st, 5, rd->target, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, rd->nonce, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, rd->sig, -1, SQLITE_STATIC);
		if ((rc = step_done(s, st, err, "storing a read")))
			goto fail;
	}
	if ((rc = step_done(s, Q(s, Q_COMMIT), err, "committing")))
		goto fail;
	return PARLEY_OK;
fail:
	step_done(s, Q(s, Q_ROLLBACK), NULL, "rolling back");
	return rc;
}

static parley_code sq_read_latest(void *be, const uint8_t id[32], const uint8_t keyid[4], uint64_t *from,
	parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	sqlite3_stmt *st;
	parley_code rc;
	int r;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	st = Q(s, Q_READ_LATEST);
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_blob(st, 2, keyid, 4, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*from = (uint64_t)sqlite3_column_int64(st, 0); /* NULL (none kept) reads as 0 */
	sqlite3_reset(st);
	return r == SQLITE_ROW ? PARLEY_OK : dberr(s, err, "reading the latest read");
}

/* Copy a text column into a fixed field; false when it does not fit. */
static bool column_str(sqlite3_stmt *st, int col, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	if (!t || n >= cap || memchr(t, 0, n))
		return false;
	memcpy(out, t, n);
	out[n] = 0;
	return true;
}

static parley_code sq_read_past(void *be, const uint8_t id[32], const uint8_t keyid[4], uint64_t past,
	parley_signed_read *out, parley_err *err)
{
	struct sq *s = be;
	sqlite3_int64 cid;
	sqlite3_stmt *st;
	parley_code rc;
	int r;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	if (past >= INT64_MAX)
		return parley_fail(err, PARLEY_E_NOTFOUND, "store: no read past %llu", (unsigned long long)past);
	st = Q(s, Q_READ_PAST);
	sqlite3_bind_int64(st, 1, cid);
	sqlite3_bind_blob(st, 2, keyid, 4, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)past);
	r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		sqlite3_reset(st);
		if (r == SQLITE_DONE)
			return parley_fail(err, PARLEY_E_NOTFOUND, "store: no read past %llu", (unsigned long long)past);
		return dberr(s, err, "reading a read");
	}
	memset(out, 0, sizeof(*out));
	memcpy(out->keyid, keyid, 4);
	out->from = (uint64_t)sqlite3_column_int64(st, 0);
	out->time_ms = (uint64_t)sqlite3_column_int64(st, 1);
	rc = column_str(st, 2, out->target, sizeof(out->target)) && column_str(st, 3, out->nonce, sizeof(out->nonce)) &&
			column_str(st, 4, out->sig, sizeof(out->sig))
		? PARLEY_OK
		: parley_fail(err, PARLEY_E_FORMAT, "store: a kept read has an over-long field");
	sqlite3_reset(st);
	return rc;
}

static parley_code sq_scan_channels(void *be, parley_store_channel_cb cb, void *ctx, parley_err *err)
{
	struct sq *s = be;
	sqlite3_stmt *st = Q(s, Q_CHANNELS);
	parley_code rc;
	int r;

	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != 32)
			continue; /* not a channel id: nothing parley wrote */
		rc = cb(ctx, sqlite3_column_blob(st, 0), sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
		if (rc) {
			sqlite3_reset(st);
			return rc;
		}
	}
	sqlite3_reset(st);
	return r == SQLITE_DONE ? PARLEY_OK : dberr(s, err, "listing channels");
}

static const parley_store_backend sqlite_backend = {
	"sqlite",
	sq_close,
	sq_channel_add,
	sq_channel_get,
	sq_size,
	sq_append,
	sq_entry_get,
	sq_node_get,
	sq_scan_entries,
	sq_scan_nodes,
	sq_checkpoint_put,
	sq_checkpoint_get,
	sq_cosig_put,
	sq_cosigs_get,
	sq_checkpoint_find,
	sq_reads_put,
	sq_read_latest,
	sq_read_past,
	sq_lock,
	sq_unlock,
	sq_begin,
	sq_commit,
	sq_rollback,
	sq_state_put,
	sq_state_get,
	sq_state_scan,
	sq_state_clear,
	sq_scan_channels,
};

static parley_code exec(struct sq *s, const char *sql, parley_err *err, const char *what)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		parley_code rc = parley_fail(err, PARLEY_E_IO, "store: %s: %s", what, msg ? msg : "error");
		sqlite3_free(msg);
		return rc;
	}
	return PARLEY_OK;
}

static parley_code migrate(struct sq *s, const char *path, parley_err *err)
{
	sqlite3_stmt *st;
	sqlite3_int64 version = 0;
	parley_code rc;

	if ((rc = exec(s, "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL)", err, "schema")))
		return rc;
	if (sqlite3_prepare_v2(s->db, "SELECT v FROM meta WHERE k = 'schema_version'", -1, &st, NULL) != SQLITE_OK)
		return dberr(s, err, "reading the schema version");
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (version > (sqlite3_int64)NMIGRATIONS)
		return parley_fail(err, PARLEY_E_USAGE, "%s: store schema version %lld is newer than this parley's (%zu)",
			path, (long long)version, NMIGRATIONS);
	if ((size_t)version == NMIGRATIONS)
		return PARLEY_OK;
	/* every pending step in one transaction: one commit (one fsync) for a new store, all or nothing */
	char sql[128];
	snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO meta(k, v) VALUES ('schema_version', %zu)", NMIGRATIONS);
	if ((rc = exec(s, "BEGIN IMMEDIATE", err, "migrating")))
		return rc;
	for (size_t v = (size_t)version; v < NMIGRATIONS; v++)
		if ((rc = exec(s, migrations[v], err, "migrating")))
			goto fail;
	if ((rc = exec(s, sql, err, "migrating")) || (rc = exec(s, "COMMIT", err, "migrating")))
		goto fail;
	return PARLEY_OK;
fail:
	exec(s, "ROLLBACK", NULL, "rolling back");
	return rc;
}

parley_code parley_store_sqlite_open(const char *path, const parley_store_backend **ops, void **be, parley_err *err)
{
	struct sq *s = calloc(1, sizeof(*s));
	parley_code rc;

	if (!s)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
		SQLITE_OK) {
		rc = parley_fail(err, PARLEY_E_IO, "%s: cannot open the store: %s", path,
			s->db ? sqlite3_errmsg(s->db) : "out of memory");
		sq_close(s);
		return rc;
	}
	sqlite3_busy_timeout(s->db, 10000);
	/* WAL for concurrent readers; FULL so that a commit survives power loss, not only a crash */
	if ((rc = exec(s, "PRAGMA journal_mode=WAL", err, "setting WAL mode")) ||
		(rc = exec(s, "PRAGMA synchronous=FULL", err, "setting synchronous")) ||
		(rc = migrate(s, path, err))) {
		parley_wrap(err, rc, "%s", path);
		sq_close(s);
		return rc;
	}
	for (int i = 0; i < NQ; i++)
		if (sqlite3_prepare_v2(s->db, queries[i], -1, &s->q[i], NULL) != SQLITE_OK) {
			rc = dberr(s, err, "preparing a query");
			sq_close(s);
			return rc;
		}
	*ops = &sqlite_backend;
	*be = s;
	return PARLEY_OK;
}
