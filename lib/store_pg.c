/*
 * store_pg.c - the PostgreSQL backend of the storage interface (libpq).
 *
 * Several processes may share one database: an append holds the channel's
 * row lock (SELECT ... FOR UPDATE) from parley_store_lock to its commit, so
 * that two writers never assign the same index; everything else is a single
 * statement or its own transaction. Statements are prepared once per
 * connection, parameters and results travel in binary. A connection that
 * breaks (the server restarted) is reset on the next call, and a call made
 * outside a transaction is retried once on the new connection (every such
 * statement is idempotent); a transaction that breaks fails, and its caller
 * reads the truth (the size under the lock) before appending again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "parley/store.h"
#include "banned.h"

/* Schema migrations, as in store_sqlite.c: entry i brings the schema from version i to i + 1. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE channels(cid BIGSERIAL PRIMARY KEY, id BYTEA NOT NULL UNIQUE, charter BYTEA NOT NULL,"
	" size BIGINT NOT NULL DEFAULT 0);"
	"CREATE TABLE entries(cid BIGINT NOT NULL, idx BIGINT NOT NULL, integrated_ms BIGINT NOT NULL,"
	" data BYTEA NOT NULL, PRIMARY KEY(cid, idx));"
	"CREATE TABLE nodes(cid BIGINT NOT NULL, level INTEGER NOT NULL, idx BIGINT NOT NULL,"
	" hash BYTEA NOT NULL, PRIMARY KEY(cid, level, idx));"
	"CREATE TABLE checkpoints(cid BIGINT NOT NULL, size BIGINT NOT NULL, note BYTEA NOT NULL,"
	" PRIMARY KEY(cid, size));"
	"CREATE TABLE cosignatures(cid BIGINT NOT NULL, size BIGINT NOT NULL, signer TEXT NOT NULL,"
	" line TEXT NOT NULL, PRIMARY KEY(cid, size, signer));",
	/* 1 -> 2 */
	"CREATE TABLE reads(cid BIGINT NOT NULL, keyid BYTEA NOT NULL, from_idx BIGINT NOT NULL,"
	" time_ms BIGINT NOT NULL, target TEXT NOT NULL, nonce TEXT NOT NULL, sig TEXT NOT NULL,"
	" PRIMARY KEY(cid, keyid, from_idx));",
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

/* the advisory lock key that serialises schema migrations between processes ("parley" in ASCII) */
#define MIGRATION_LOCK "112101011121108"
/* the high bits of the advisory lock that serialises kept reads per channel (cid in the low bits) */
#define READS_LOCK_BASE ((int64_t)0x7061726c << 32)

#define SCAN_PAGE 1000 /* rows per query of a scan */

enum {
	Q_CHANNEL,
	Q_CHANNEL_ADD,
	Q_LOCK,
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
	Q_READS_LOCK,
	Q_READ_PUT,
	Q_READ_LATEST,
	Q_READ_PAST,
	Q_CHANNELS,
	NQ
};

static const char *const queries[NQ] = {
	[Q_CHANNEL] = "SELECT cid, size, charter FROM channels WHERE id = $1",
	[Q_CHANNEL_ADD] = "INSERT INTO channels(id, charter) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
	[Q_LOCK] = "SELECT cid, size FROM channels WHERE id = $1 FOR UPDATE",
	[Q_ENTRY_ADD] = "INSERT INTO entries(cid, idx, integrated_ms, data) VALUES ($1, $2, $3, $4)",
	[Q_NODE_ADD] = "INSERT INTO nodes(cid, level, idx, hash) VALUES ($1, $2, $3, $4)",
	[Q_SIZE_SET] = "UPDATE channels SET size = $2 WHERE cid = $1 AND size = $3",
	[Q_ENTRY_GET] = "SELECT integrated_ms, data FROM entries WHERE cid = $1 AND idx = $2",
	[Q_NODE_GET] = "SELECT hash FROM nodes WHERE cid = $1 AND level = $2 AND idx = $3",
	[Q_CP_PUT] = "INSERT INTO checkpoints(cid, size, note) VALUES ($1, $2, $3)"
		     " ON CONFLICT (cid, size) DO UPDATE SET note = EXCLUDED.note",
	[Q_CP_GET] = "SELECT size, note FROM checkpoints WHERE cid = $1 AND size = $2",
	[Q_CP_LATEST] = "SELECT size, note FROM checkpoints WHERE cid = $1 ORDER BY size DESC LIMIT 1",
	[Q_COSIG_PUT] = "INSERT INTO cosignatures(cid, size, signer, line) VALUES ($1, $2, $3, $4)"
			" ON CONFLICT (cid, size, signer) DO UPDATE SET line = EXCLUDED.line",
	[Q_COSIG_GET] = "SELECT line FROM cosignatures WHERE cid = $1 AND size = $2 ORDER BY signer COLLATE \"C\"",
	[Q_SCAN_ENTRIES] = "SELECT idx, integrated_ms, data FROM entries WHERE cid = $1 AND idx >= $2 ORDER BY idx LIMIT $3",
	[Q_SCAN_NODES] = "SELECT level, idx, hash FROM nodes WHERE cid = $1 AND (level, idx) > ($2, $3)"
			 " ORDER BY level, idx LIMIT 1000",
	[Q_CP_FIND] = "SELECT size, note FROM checkpoints WHERE cid = $1 AND size >= $2 ORDER BY size LIMIT 1",
	[Q_CP_FIND_COSIGNED] = "SELECT c.size, c.note FROM checkpoints c JOIN cosignatures s ON s.cid = c.cid AND s.size = c.size"
			       " WHERE c.cid = $1 AND c.size >= $2 AND s.signer = $3 ORDER BY c.size LIMIT 1",
	[Q_READS_LOCK] = "SELECT pg_advisory_xact_lock($1::bigint)",
	[Q_READ_PUT] = "INSERT INTO reads(cid, keyid, from_idx, time_ms, target, nonce, sig) "
		       " SELECT $1::bigint, $2::bytea, $3::bigint, $4::bigint, $5::text, $6::text, $7::text"
		       " WHERE NOT EXISTS (SELECT 1 FROM reads WHERE cid = $1 AND keyid = $2 AND from_idx >= $3)",
	[Q_READ_LATEST] = "SELECT COALESCE(MAX(from_idx), 0) FROM reads WHERE cid = $1 AND keyid = $2",
	[Q_READ_PAST] = "SELECT from_idx, time_ms, target, nonce, sig FROM reads WHERE cid = $1 AND keyid = $2 AND from_idx > $3"
			" ORDER BY from_idx LIMIT 1",
	[Q_CHANNELS] = "SELECT cid, id, charter FROM channels WHERE cid > $1 ORDER BY cid LIMIT 1000",
};

struct pg {
	PGconn *c;
	bool prepared; /* the statements exist on this connection */
	bool in_tx;    /* an append transaction holds a channel's lock */
	int64_t tx_cid;
	uint64_t tx_size;
	uint8_t tx_id[32];
	/* the last channel looked up: a channel's cid never changes once it exists */
	uint8_t last_id[32];
	int64_t last_cid;
	bool have_last;
};

/* Parameters of one statement: binary int8/int4/bytea, or text. */
struct params {
	const char *v[8];
	int len[8], fmt[8];
	uint8_t ints[8][8];
	int n;
};

static void p_i64(struct params *p, int64_t x)
{
	parley_put_u64(p->ints[p->n], (uint64_t)x);
	p->v[p->n] = (const char *)p->ints[p->n];
	p->len[p->n] = 8;
	p->fmt[p->n++] = 1;
}

static void p_i32(struct params *p, int32_t x)
{
	uint32_t u = (uint32_t)x;
	uint8_t *b = p->ints[p->n];
	b[0] = (uint8_t)(u >> 24);
	b[1] = (uint8_t)(u >> 16);
	b[2] = (uint8_t)(u >> 8);
	b[3] = (uint8_t)u;
	p->v[p->n] = (const char *)b;
	p->len[p->n] = 4;
	p->fmt[p->n++] = 1;
}

static void p_bytes(struct params *p, const void *data, size_t n)
{
	p->v[p->n] = n ? data : "";
	p->len[p->n] = (int)n;
	p->fmt[p->n++] = 1;
}

static void p_text(struct params *p, const char *s)
{
	p->v[p->n] = s;
	p->len[p->n] = 0;
	p->fmt[p->n++] = 0;
}

static int64_t col_i64(const PGresult *res, int row, int col)
{
	if (PQgetlength(res, row, col) == 8)
		return (int64_t)parley_get_u64((const uint8_t *)PQgetvalue(res, row, col));
	if (PQgetlength(res, row, col) == 4) {
		const uint8_t *b = (const uint8_t *)PQgetvalue(res, row, col);
		return (int32_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
	}
	return -1;
}

/* The server's message, one line. */
static const char *pgmsg(struct pg *s, const PGresult *res)
{
	static _Thread_local char buf[256];
	const char *m = res ? PQresultErrorMessage(res) : "";
	if (!m || !*m)
		m = PQerrorMessage(s->c);
	snprintf(buf, sizeof(buf), "%s", m && *m ? m : "unknown error");
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

static parley_code prepare_all(struct pg *s, parley_err *err)
{
	char name[16];
	for (int i = 0; i < NQ; i++) {
		snprintf(name, sizeof(name), "q%d", i);
		PGresult *res = PQprepare(s->c, name, queries[i], 0, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			parley_code rc = parley_fail(err, PARLEY_E_IO, "store: preparing a query: %s", pgmsg(s, res));
			PQclear(res);
			return rc;
		}
		PQclear(res);
	}
	s->prepared = true;
	return PARLEY_OK;
}

/* Make sure the connection is up (reset a broken one and prepare again). */
static parley_code ensure(struct pg *s, parley_err *err)
{
	if (PQstatus(s->c) == CONNECTION_OK && s->prepared)
		return PARLEY_OK;
	if (PQstatus(s->c) != CONNECTION_OK) {
		s->prepared = false;
		s->in_tx = false;
		PQreset(s->c);
		if (PQstatus(s->c) != CONNECTION_OK)
			return parley_fail(err, PARLEY_E_IO, "store: cannot reconnect to PostgreSQL: %s", pgmsg(s, NULL));
	}
	return prepare_all(s, err);
}

/* The statement failed because the connection did (the server went away), not because of the statement. */
static bool connection_lost(struct pg *s, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (PQstatus(s->c) != CONNECTION_OK || !state)
		return true;
	/* 08: connection exception; 57P01-57P03: the server is shutting down or starting */
	return strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0;
}

/*
 * Run prepared statement q with binary results; NULL (err set) on failure.
 * Outside a transaction a broken connection is reset and the statement tried
 * once more. The caller PQclears the result.
 */
static PGresult *run(struct pg *s, int q, const struct params *p, parley_err *err, const char *what)
{
	char name[16];
	PGresult *res;

	snprintf(name, sizeof(name), "q%d", q);
	for (int attempt = 0;; attempt++) {
		if (!s->in_tx && ensure(s, err)) {
			parley_wrap(err, PARLEY_E_IO, "store: %s", what);
			return NULL;
		}
		res = PQexecPrepared(s->c, name, p ? p->n : 0, p ? p->v : NULL, p ? p->len : NULL, p ? p->fmt : NULL, 1);
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
			return res;
		if (attempt == 0 && !s->in_tx && connection_lost(s, res)) {
			PQclear(res);
			s->prepared = false; /* ensure() reconnects */
			if (PQstatus(s->c) == CONNECTION_OK)
				PQreset(s->c);
			continue;
		}
		parley_fail(err, PARLEY_E_IO, "store: %s: %s", what, pgmsg(s, res));
		PQclear(res);
		return NULL;
	}
}

static parley_code exec_sql(struct pg *s, const char *sql, parley_err *err, const char *what)
{
	PGresult *res = PQexec(s->c, sql);
	ExecStatusType st = PQresultStatus(res);
	parley_code rc = PARLEY_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = parley_fail(err, PARLEY_E_IO, "store: %s: %s", what, pgmsg(s, res));
	PQclear(res);
	return rc;
}

/* COMMIT, and make sure it committed (COMMIT of an aborted transaction answers ROLLBACK). */
static parley_code commit(struct pg *s, parley_err *err)
{
	PGresult *res = PQexec(s->c, "COMMIT");
	parley_code rc = PARLEY_OK;
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = parley_fail(err, PARLEY_E_IO, "store: committing: %s", pgmsg(s, res));
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		rc = parley_fail(err, PARLEY_E_IO, "store: committing: the transaction was rolled back");
	PQclear(res);
	return rc;
}

/* Drop a connection whose state is unknown: the server rolls back its transaction; ensure() reconnects. */
static void drop(struct pg *s)
{
	PQreset(s->c);
	s->prepared = false;
	s->in_tx = false;
}

static void pg_close(void *be)
{
	struct pg *s = be;
	if (!s)
		return;
	PQfinish(s->c);
	free(s);
}

/* cid (and size, when asked) of a channel; PARLEY_E_NOTFOUND when unknown. */
static parley_code channel(struct pg *s, const uint8_t id[32], int64_t *cid, uint64_t *size, parley_err *err)
{
	struct params p = { .n = 0 };
	PGresult *res;

	if (!size && s->have_last && memcmp(s->last_id, id, 32) == 0) {
		*cid = s->last_cid;
		return PARLEY_OK;
	}
	p_bytes(&p, id, 32);
	if (!(res = run(s, Q_CHANNEL, &p, err, "reading a channel")))
		return PARLEY_E_IO;
	if (PQntuples(res) != 1) {
		char hex[17];
		PQclear(res);
		parley_hex(hex, id, 8);
		return parley_fail(err, PARLEY_E_NOTFOUND, "store: no channel %s...", hex);
	}
	*cid = col_i64(res, 0, 0);
	if (size)
		*size = (uint64_t)col_i64(res, 0, 1);
	memcpy(s->last_id, id, 32);
	s->last_cid = *cid;
	s->have_last = true;
	PQclear(res);
	return PARLEY_OK;
}

static parley_code pg_channel_add(void *be, const uint8_t id[32], const uint8_t *charter, size_t n, parley_err *err)
{
	struct pg *s = be;
	struct params p = { .n = 0 };
	PGresult *res;
	parley_code rc;

	p_bytes(&p, id, 32);
	p_bytes(&p, charter, n);
	if (!(res = run(s, Q_CHANNEL_ADD, &p, err, "adding a channel")))
		return PARLEY_E_IO;
	PQclear(res);
	p.n = 1;
	if (!(res = run(s, Q_CHANNEL, &p, err, "adding a channel")))
		return PARLEY_E_IO;
	if (PQntuples(res) != 1)
		rc = parley_fail(err, PARLEY_E_IO, "store: adding a channel: it is not there after the insert");
	else if ((size_t)PQgetlength(res, 0, 2) == n && memcmp(PQgetvalue(res, 0, 2), charter, n) == 0)
		rc = PARLEY_OK;
	else
		rc = parley_fail(err, PARLEY_E_USAGE, "store: the channel is already registered with another charter file");
	PQclear(res);
	return rc;
}

static parley_code pg_channel_get(void *be, const uint8_t id[32], parley_buf *charter, parley_err *err)
{
	struct pg *s = be;
	struct params p = { .n = 0 };
	PGresult *res;
	parley_code rc;

	p_bytes(&p, id, 32);
	if (!(res = run(s, Q_CHANNEL, &p, err, "reading a channel")))
		return PARLEY_E_IO;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return parley_fail(err, PARLEY_E_NOTFOUND, "store: no such channel");
	}
	parley_buf_reset(charter);
	rc = parley_buf_add(charter, PQgetvalue(res, 0, 2), (size_t)PQgetlength(res, 0, 2));
	PQclear(res);
	return rc ? parley_fail(err, rc, "store: charter too large") : PARLEY_OK;
}

static parley_code pg_size(void *be, const uint8_t id[32], uint64_t *size, parley_err *err)
{
	struct pg *s = be;
	int64_t cid;
	if (s->in_tx && memcmp(s->tx_id, id, 32) == 0) {
		*size = s->tx_size;
		return PARLEY_OK;
	}
	return channel(s, id, &cid, size, err);
}

static void rollback(struct pg *s)
{
	if (PQstatus(s->c) == CONNECTION_OK)
		exec_sql(s, "ROLLBACK", NULL, "rolling back");
	s->in_tx = false;
}

static parley_code pg_lock(void *be, const uint8_t id[32], uint64_t *size, parley_err *err)
{
	struct pg *s = be;
	struct params p = { .n = 0 };
	PGresult *res;
	parley_code rc;

	if (s->in_tx)
		return parley_fail(err, PARLEY_E_USAGE, "store: a channel is already locked on this connection");
	if ((rc = ensure(s, err)))
		return rc;
	if (exec_sql(s, "BEGIN", NULL, "beginning a transaction")) {
		/* a connection that broke since its last use (the server restarted): once more on a new one */
		s->prepared = false;
		if (PQstatus(s->c) == CONNECTION_OK)
			PQreset(s->c);
		if ((rc = ensure(s, err)) || (rc = exec_sql(s, "BEGIN", err, "beginning a transaction")))
			return rc;
	}
	s->in_tx = true;
	p_bytes(&p, id, 32);
	if (!(res = run(s, Q_LOCK, &p, err, "locking a channel"))) {
		rollback(s);
		return PARLEY_E_IO;
	}
	if (PQntuples(res) != 1) {
		char hex[17];
		PQclear(res);
		rollback(s);
		parley_hex(hex, id, 8);
		return parley_fail(err, PARLEY_E_NOTFOUND, "store: no channel %s...", hex);
	}
	s->tx_cid = col_i64(res, 0, 0);
	s->tx_size = (uint64_t)col_i64(res, 0, 1);
	memcpy(s->tx_id, id, 32);
	PQclear(res);
	*size = s->tx_size;
	return PARLEY_OK;
}

static void pg_unlock(void *be)
{
	struct pg *s = be;
	if (s->in_tx)
		rollback(s);
}

/*
 * The rows of an append, sent in one pipeline (one round trip for the whole
 * group commit); then COMMIT. On any error the transaction is rolled back.
 */
static parley_code pg_append(void *be, const uint8_t id[32], uint64_t first, const parley_store_item *items, size_t n,
	const parley_store_node *nodes, size_t nnodes, parley_err *err)
{
	struct pg *s = be;
	uint64_t size;
	parley_code rc;
	char name[16];
	size_t sent = 0;
	bool piped = false;

	if (!s->in_tx || memcmp(s->tx_id, id, 32) != 0) {
		if (s->in_tx)
			rollback(s);
		if ((rc = pg_lock(s, id, &size, err)))
			return rc;
	}
	if (s->tx_size != first) {
		rc = parley_fail(err, PARLEY_E_USAGE, "store: the log grew under this writer (size %llu, expected %llu)",
			(unsigned long long)s->tx_size, (unsigned long long)first);
		goto fail;
	}
	if (first + n > INT64_MAX) {
		rc = parley_fail(err, PARLEY_E_LIMIT, "store: the log is full");
		goto fail;
	}
	if (!PQenterPipelineMode(s->c)) {
		rc = parley_fail(err, PARLEY_E_IO, "store: cannot pipeline: %s", pgmsg(s, NULL));
		goto fail;
	}
	piped = true;
	for (size_t i = 0; i < n + nnodes + 1; i++) {
		struct params p = { .n = 0 };
		int q;
		p_i64(&p, s->tx_cid);
		if (i < n) {
			q = Q_ENTRY_ADD;
			p_i64(&p, (int64_t)(first + i));
			p_i64(&p, (int64_t)items[i].integrated_ms);
			p_bytes(&p, items[i].data, items[i].len);
		} else if (i < n + nnodes) {
			const parley_store_node *nd = &nodes[i - n];
			q = Q_NODE_ADD;
			p_i32(&p, (int32_t)nd->level);
			p_i64(&p, (int64_t)nd->index);
			p_bytes(&p, nd->hash, 32);
		} else {
			q = Q_SIZE_SET;
			p_i64(&p, (int64_t)(first + n));
			p_i64(&p, (int64_t)first);
		}
		snprintf(name, sizeof(name), "q%d", q);
		if (!PQsendQueryPrepared(s->c, name, p.n, p.v, p.len, p.fmt, 1)) {
			rc = parley_fail(err, PARLEY_E_IO, "store: storing entries: %s", pgmsg(s, NULL));
			drop(s);
			return rc;
		}
		sent++;
	}
	if (!PQpipelineSync(s->c)) {
		rc = parley_fail(err, PARLEY_E_IO, "store: storing entries: %s", pgmsg(s, NULL));
		drop(s);
		return rc;
	}
	rc = PARLEY_OK;
	/* one result (and its NULL) per statement sent, then the sync's; a lost connection is dropped */
	bool lost = false;
	for (size_t i = 0; i < sent && !lost; i++) {
		PGresult *res = PQgetResult(s->c);
		if (!res) {
			lost = true;
			break;
		}
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_FATAL_ERROR && connection_lost(s, res))
			lost = true;
		if (!rc && st != PGRES_COMMAND_OK)
			rc = parley_fail(err, PARLEY_E_IO, "store: storing entries: %s", pgmsg(s, res));
		else if (!rc && i == sent - 1 && strcmp(PQcmdTuples(res), "1") != 0)
			rc = parley_fail(err, PARLEY_E_USAGE, "store: the log grew under this writer");
		PQclear(res);
		if (!lost && (res = PQgetResult(s->c))) {
			lost = true; /* not the NULL that ends a statement's results */
			PQclear(res);
		}
	}
	if (!lost) {
		PGresult *res = PQgetResult(s->c);
		lost = !res || PQresultStatus(res) != PGRES_PIPELINE_SYNC;
		PQclear(res);
	}
	if (lost) {
		if (!rc)
			rc = parley_fail(err, PARLEY_E_IO, "store: storing entries: %s", pgmsg(s, NULL));
		drop(s);
		return rc;
	}
	PQexitPipelineMode(s->c);
	piped = false;
	if (rc)
		goto fail;
	if ((rc = commit(s, err)))
		goto fail;
	s->in_tx = false;
	return PARLEY_OK;
fail:
	if (piped)
		PQexitPipelineMode(s->c);
	rollback(s);
	return rc;
}

static parley_code pg_entry_get(void *be, const uint8_t id[32], uint64_t index, parley_buf *data,
	uint64_t *integrated_ms, parley_err *err)
{
	struct pg *s = be;
	struct params p = { .n = 0 };
	int64_t cid;
	PGresult *res;
	parley_code rc;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	if (index > INT64_MAX)
		return parley_fail(err, PARLEY_E_NOTFOUND, "store: no entry %llu", (unsigned long long)index);
	p_i64(&p, cid);
	p_i64(&p, (int64_t)index);
	if (!(res = run(s, Q_ENTRY_GET, &p, err, "reading an entry")))
		return PARLEY_E_IO;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return parley_fail(err, PARLEY_E_NOTFOUND, "store: no entry %llu", (unsigned long long)index);
	}
	if (integrated_ms)
		*integrated_ms = (uint64_t)col_i64(res, 0, 0);
	parley_buf_reset(data);
	rc = parley_buf_add(data, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1));
	PQclear(res);
	return rc ? parley_fail(err, rc, "store: entry too large") : PARLEY_OK;
}

static parley_code pg_node_get(void *be, const uint8_t id[32], unsigned level, uint64_t index, uint8_t out[32],
	parley_err *err)
{
	struct pg *s = be;
	struct params p = { .n = 0 };
	int64_t cid;
	PGresult *res;
	parley_code rc;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	if (level > 63 || index > INT64_MAX)
		return parley_fail(err, PARLEY_E_NOTFOUND, "store: tree node (%u, %llu) is missing", level,
			(unsigned long long)index);
	p_i64(&p, cid);
	p_i32(&p, (int32_t)level);
	p_i64(&p, (int64_t)index);
	if (!(res = run(s, Q_NODE_GET, &p, err, "reading a tree node")))
		return PARLEY_E_IO;
	if (PQntuples(res) == 1 && PQgetlength(res, 0, 0) == 32) {
		memcpy(out, PQgetvalue(res, 0, 0), 32);
		rc = PARLEY_OK;
	} else {
		rc = parley_fail(err, PARLEY_E_NOTFOUND, "store: tree node (%u, %llu) is missing", level,
			(unsigned long long)index);
	}
	PQclear(res);
	return rc;
}

/* In pages of SCAN_PAGE rows, so that a whole log never sits in memory. */
static parley_code pg_scan_entries(void *be, const uint8_t id[32], uint64_t from, uint64_t limit,
	parley_store_entry_cb cb, void *ctx, parley_err *err)
{
	struct pg *s = be;
	int64_t cid;
	parley_code rc;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	while (limit > 0 && from <= INT64_MAX) {
		struct params p = { .n = 0 };
		uint64_t page = limit < SCAN_PAGE ? limit : SCAN_PAGE;
		PGresult *res;
		int rows;

		p_i64(&p, cid);
		p_i64(&p, (int64_t)from);
		p_i64(&p, (int64_t)page);
		if (!(res = run(s, Q_SCAN_ENTRIES, &p, err, "reading entries")))
			return PARLEY_E_IO;
		rows = PQntuples(res);
		for (int i = 0; i < rows; i++) {
			uint64_t idx = (uint64_t)col_i64(res, i, 0);
			rc = cb(ctx, idx, (uint64_t)col_i64(res, i, 1), (const uint8_t *)PQgetvalue(res, i, 2),
				(size_t)PQgetlength(res, i, 2));
			if (rc) {
				PQclear(res);
				return rc;
			}
			from = idx + 1;
		}
		PQclear(res);
		if ((uint64_t)rows < page)
			break;
		limit -= page;
	}
	return PARLEY_OK;
}

static parley_code pg_scan_nodes(void *be, const uint8_t id[32], parley_store_node_cb cb, void *ctx, parley_err *err)
{
	struct pg *s = be;
	int64_t cid, level = -1, idx = -1;
	parley_code rc;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	for (;;) {
		struct params p = { .n = 0 };
		PGresult *res;
		int rows;

		p_i64(&p, cid);
		p_i32(&p, (int32_t)level);
		p_i64(&p, idx);
		if (!(res = run(s, Q_SCAN_NODES, &p, err, "reading tree nodes")))
			return PARLEY_E_IO;
		rows = PQntuples(res);
		for (int i = 0; i < rows; i++) {
			level = col_i64(res, i, 0);
			idx = col_i64(res, i, 1);
			const uint8_t *h = PQgetlength(res, i, 2) == 32 ? (const uint8_t *)PQgetvalue(res, i, 2) : NULL;
			if ((rc = cb(ctx, (unsigned)level, (uint64_t)idx, h))) {
				PQclear(res);
				return rc;
			}
		}
		PQclear(res);
		if (rows < SCAN_PAGE)
			return PARLEY_OK;
	}
}

static parley_code pg_checkpoint_put(void *be, const uint8_t id[32], uint64_t size, const char *note, size_t n,
	parley_err *err)
{
	struct pg *s = be;
	struct params p = { .n = 0 };
	int64_t cid;
	PGresult *res;
	parley_code rc;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	p_i64(&p, cid);
	p_i64(&p, (int64_t)size);
	p_bytes(&p, note, n);
	if (!(res = run(s, Q_CP_PUT, &p, err, "storing a checkpoint")))
		return PARLEY_E_IO;
	PQclear(res);
	return PARLEY_OK;
}

/* A (size, note) row into size_out and note; PARLEY_E_NOTFOUND when res has none. */
static parley_code size_note(PGresult *res, parley_buf *note, uint64_t *size_out, parley_err *err)
{
	parley_code rc;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return parley_fail(err, PARLEY_E_NOTFOUND, "store: no checkpoint");
	}
	if (size_out)
		*size_out = (uint64_t)col_i64(res, 0, 0);
	parley_buf_reset(note);
	rc = parley_buf_add(note, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1));
	PQclear(res);
	return rc ? parley_fail(err, rc, "store: checkpoint too large") : PARLEY_OK;
}

static parley_code pg_checkpoint_get(void *be, const uint8_t id[32], uint64_t size, parley_buf *note,
	uint64_t *size_out, parley_err *err)
{
	struct pg *s = be;
	struct params p = { .n = 0 };
	int64_t cid;
	PGresult *res;
	parley_code rc;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	if (size > INT64_MAX)
		return parley_fail(err, PARLEY_E_NOTFOUND, "store: no checkpoint");
	p_i64(&p, cid);
	if (size)
		p_i64(&p, (int64_t)size);
	if (!(res = run(s, size ? Q_CP_GET : Q_CP_LATEST, &p, err, "reading a checkpoint")))
		return PARLEY_E_IO;
	return size_note(res, note, size_out, err);
}

static parley_code pg_cosig_put(void *be, const uint8_t id[32], uint64_t size, const char *signer, const char *line,
	parley_err *err)
{
	struct pg *s = be;
	struct params p = { .n = 0 };
	int64_t cid;
	PGresult *res;
	parley_code rc;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	if (size > INT64_MAX)
		return parley_fail(err, PARLEY_E_USAGE, "store: size out of range");
	p_i64(&p, cid);
	p_i64(&p, (int64_t)size);
	p_text(&p, signer);
	p_text(&p, line);
	if (!(res = run(s, Q_COSIG_PUT, &p, err, "storing a cosignature")))
		return PARLEY_E_IO;
	PQclear(res);
	return PARLEY_OK;
}

static parley_code pg_cosigs_get(void *be, const uint8_t id[32], uint64_t size, parley_buf *lines, parley_err *err)
{
	struct pg *s = be;
	struct params p = { .n = 0 };
	int64_t cid;
	PGresult *res;
	parley_code rc;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	parley_buf_reset(lines);
	if (size > INT64_MAX)
		return PARLEY_OK;
	p_i64(&p, cid);
	p_i64(&p, (int64_t)size);
	if (!(res = run(s, Q_COSIG_GET, &p, err, "reading cosignatures")))
		return PARLEY_E_IO;
	for (int i = 0; i < PQntuples(res); i++)
		if ((rc = parley_buf_add(lines, PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0)))) {
			PQclear(res);
			return parley_fail(err, rc, "store: too many cosignatures");
		}
	PQclear(res);
	return PARLEY_OK;
}

static parley_code pg_checkpoint_find(void *be, const uint8_t id[32], uint64_t min_size, const char *cosigner,
	parley_buf *note, uint64_t *size_out, parley_err *err)
{
	struct pg *s = be;
	struct params p = { .n = 0 };
	int64_t cid;
	PGresult *res;
	parley_code rc;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	if (min_size > INT64_MAX)
		return parley_fail(err, PARLEY_E_NOTFOUND, "store: no checkpoint");
	p_i64(&p, cid);
	p_i64(&p, (int64_t)min_size);
	if (cosigner)
		p_text(&p, cosigner);
	if (!(res = run(s, cosigner ? Q_CP_FIND_COSIGNED : Q_CP_FIND, &p, err, "finding a checkpoint")))
		return PARLEY_E_IO;
	return size_note(res, note, size_out, err);
}

/* One transaction under the channel's reads lock, so that concurrent processes keep reads in increasing order. */
static parley_code pg_reads_put(void *be, const uint8_t id[32], const parley_signed_read *reads, size_t n,
	parley_err *err)
{
	struct pg *s = be;
	struct params p = { .n = 0 };
	int64_t cid;
	PGresult *res;
	parley_code rc;

	if (s->in_tx)
		return parley_fail(err, PARLEY_E_USAGE, "store: keeping reads while a channel is locked");
	if ((rc = channel(s, id, &cid, NULL, err)) || (rc = ensure(s, err)) ||
		(rc = exec_sql(s, "BEGIN", err, "beginning a transaction")))
		return rc;
	s->in_tx = true;
	memset(s->tx_id, 0, sizeof(s->tx_id));
	p_i64(&p, READS_LOCK_BASE | cid);
	if (!(res = run(s, Q_READS_LOCK, &p, err, "locking the reads"))) {
		rc = PARLEY_E_IO;
		goto fail;
	}
	PQclear(res);
	for (size_t i = 0; i < n; i++) {
		const parley_signed_read *rd = &reads[i];
		if (rd->from > INT64_MAX || rd->time_ms > INT64_MAX || !memchr(rd->target, 0, sizeof(rd->target)) ||
			!memchr(rd->nonce, 0, sizeof(rd->nonce)) || !memchr(rd->sig, 0, sizeof(rd->sig)))
			continue; /* not a read the relay could have accepted */
		p.n = 0;
		p_i64(&p, cid);
		p_bytes(&p, rd->keyid, 4);
		p_i64(&p, (int64_t)rd->from);
		p_i64(&p, (int64_t)rd->time_ms);
		p_text(&p, rd->target);
		p_text(&p, rd->nonce);
		p_text(&p, rd->sig);
		if (!(res = run(s, Q_READ_PUT, &p, err, "storing a read"))) {
			rc = PARLEY_E_IO;
			goto fail;
		}
		PQclear(res);
	}
	if ((rc = commit(s, err)))
		goto fail;
	s->in_tx = false;
	return PARLEY_OK;
fail:
	rollback(s);
	return rc;
}

static parley_code pg_read_latest(void *be, const uint8_t id[32], const uint8_t keyid[4], uint64_t *from,
	parley_err *err)
{
	struct pg *s = be;
	struct params p = { .n = 0 };
	int64_t cid;
	PGresult *res;
	parley_code rc;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	p_i64(&p, cid);
	p_bytes(&p, keyid, 4);
	if (!(res = run(s, Q_READ_LATEST, &p, err, "reading the latest read")))
		return PARLEY_E_IO;
	*from = PQntuples(res) == 1 ? (uint64_t)col_i64(res, 0, 0) : 0;
	PQclear(res);
	return PARLEY_OK;
}

/* Copy a text column into a fixed field; false when it does not fit. */
static bool column_str(const PGresult *res, int col, char *out, size_t cap)
{
	size_t n = (size_t)PQgetlength(res, 0, col);
	const char *t = PQgetvalue(res, 0, col);
	if (n >= cap || memchr(t, 0, n))
		return false;
	memcpy(out, t, n);
	out[n] = 0;
	return true;
}

static parley_code pg_read_past(void *be, const uint8_t id[32], const uint8_t keyid[4], uint64_t past,
	parley_signed_read *out, parley_err *err)
{
	struct pg *s = be;
	struct params p = { .n = 0 };
	int64_t cid;
	PGresult *res;
	parley_code rc;

	if ((rc = channel(s, id, &cid, NULL, err)))
		return rc;
	if (past >= INT64_MAX)
		return parley_fail(err, PARLEY_E_NOTFOUND, "store: no read past %llu", (unsigned long long)past);
	p_i64(&p, cid);
	p_bytes(&p, keyid, 4);
	p_i64(&p, (int64_t)past);
	if (!(res = run(s, Q_READ_PAST, &p, err, "reading a read")))
		return PARLEY_E_IO;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return parley_fail(err, PARLEY_E_NOTFOUND, "store: no read past %llu", (unsigned long long)past);
	}
	memset(out, 0, sizeof(*out));
	memcpy(out->keyid, keyid, 4);
	out->from = (uint64_t)col_i64(res, 0, 0);
	out->time_ms = (uint64_t)col_i64(res, 0, 1);
	rc = column_str(res, 2, out->target, sizeof(out->target)) && column_str(res, 3, out->nonce, sizeof(out->nonce)) &&
			column_str(res, 4, out->sig, sizeof(out->sig))
		? PARLEY_OK
		: parley_fail(err, PARLEY_E_FORMAT, "store: a kept read has an over-long field");
	PQclear(res);
	return rc;
}

static parley_code pg_scan_channels(void *be, parley_store_channel_cb cb, void *ctx, parley_err *err)
{
	struct pg *s = be;
	int64_t cid = 0;
	parley_code rc;

	for (;;) {
		struct params p = { .n = 0 };
		PGresult *res;
		int rows;

		p_i64(&p, cid);
		if (!(res = run(s, Q_CHANNELS, &p, err, "listing channels")))
			return PARLEY_E_IO;
		rows = PQntuples(res);
		for (int i = 0; i < rows; i++) {
			cid = col_i64(res, i, 0);
			if (PQgetlength(res, i, 1) != 32)
				continue; /* not a channel id: nothing parley wrote */
			if ((rc = cb(ctx, (const uint8_t *)PQgetvalue(res, i, 1), (const uint8_t *)PQgetvalue(res, i, 2),
				     (size_t)PQgetlength(res, i, 2)))) {
				PQclear(res);
				return rc;
			}
		}
		PQclear(res);
		if (rows < SCAN_PAGE)
			return PARLEY_OK;
	}
}

static const parley_store_backend pg_backend = {
	.name = "postgresql",
	.close = pg_close,
	.channel_add = pg_channel_add,
	.channel_get = pg_channel_get,
	.size = pg_size,
	.append = pg_append,
	.entry_get = pg_entry_get,
	.node_get = pg_node_get,
	.scan_entries = pg_scan_entries,
	.scan_nodes = pg_scan_nodes,
	.checkpoint_put = pg_checkpoint_put,
	.checkpoint_get = pg_checkpoint_get,
	.cosig_put = pg_cosig_put,
	.cosigs_get = pg_cosigs_get,
	.checkpoint_find = pg_checkpoint_find,
	.reads_put = pg_reads_put,
	.read_latest = pg_read_latest,
	.read_past = pg_read_past,
	.lock = pg_lock,
	.unlock = pg_unlock,
	.scan_channels = pg_scan_channels,
};

/* Bring the schema to the current version, under an advisory lock (processes may start together). */
static parley_code migrate(struct pg *s, parley_err *err)
{
	PGresult *res;
	int64_t version = 0;
	char sql[160];
	parley_code rc;

	if ((rc = exec_sql(s, "SET client_min_messages = warning", err, "schema")) ||
		(rc = exec_sql(s, "BEGIN", err, "migrating")))
		return rc;
	if ((rc = exec_sql(s, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")", err, "migrating")) ||
		(rc = exec_sql(s, "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v BIGINT NOT NULL)", err, "schema")))
		goto fail;
	res = PQexec(s->c, "SELECT v FROM meta WHERE k = 'schema_version'");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = parley_fail(err, PARLEY_E_IO, "store: reading the schema version: %s", pgmsg(s, res));
		PQclear(res);
		goto fail;
	}
	if (PQntuples(res) == 1)
		version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (version > (int64_t)NMIGRATIONS) {
		rc = parley_fail(err, PARLEY_E_USAGE, "store schema version %lld is newer than this parley's (%zu)",
			(long long)version, NMIGRATIONS);
		goto fail;
	}
	for (size_t v = (size_t)version; v < NMIGRATIONS; v++)
		if ((rc = exec_sql(s, migrations[v], err, "migrating")))
			goto fail;
	snprintf(sql, sizeof(sql),
		"INSERT INTO meta(k, v) VALUES ('schema_version', %zu) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v",
		NMIGRATIONS);
	if ((rc = exec_sql(s, sql, err, "migrating")) || (rc = exec_sql(s, "COMMIT", err, "migrating")))
		goto fail;
	return PARLEY_OK;
fail:
	exec_sql(s, "ROLLBACK", NULL, "rolling back");
	return rc;
}

/* The URI without its password, for messages. */
static void uri_for_humans(char *out, size_t cap, const char *uri)
{
	const char *at = strchr(uri, '@'), *scheme = strstr(uri, "://");
	const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
	if (at && colon && colon < at)
		snprintf(out, cap, "%.*s:***%s", (int)(colon - uri), uri, at);
	else
		snprintf(out, cap, "%s", uri);
}

parley_code parley_store_pg_open(const char *uri, const parley_store_backend **ops, void **be, parley_err *err)
{
	struct pg *s = calloc(1, sizeof(*s));
	char shown[256];
	parley_code rc;

	uri_for_humans(shown, sizeof(shown), uri);
	if (!s)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	s->c = PQconnectdb(uri);
	if (!s->c || PQstatus(s->c) != CONNECTION_OK) {
		rc = parley_fail(err, PARLEY_E_IO, "%s: cannot connect to PostgreSQL: %s", shown,
			s->c ? pgmsg(s, NULL) : "out of memory");
		pg_close(s);
		return rc;
	}
	if ((rc = migrate(s, err)) || (rc = prepare_all(s, err))) {
		parley_wrap(err, rc, "%s", shown);
		pg_close(s);
		return rc;
	}
	*ops = &pg_backend;
	*be = s;
	return PARLEY_OK;
}
