/* store.c - the storage interface's generic layer: leaf hashing, tree nodes, frontier cache. */
#include <stdlib.h>
#include <string.h>

#include "parley/crypto.h"
#include "parley/store.h"
#include "banned.h"

struct chan_cache {
	uint8_t id[32];
	parley_merkle_frontier f;
	struct chan_cache *next;
};

struct parley_store {
	const parley_store_backend *ops;
	void *be;
	struct chan_cache *cache;
	parley_store_node *nodes;
	size_t nnodes, nodes_cap;
	bool locked; /* parley_store_lock holds lock_id's append lock at size lock_size */
	bool in_tx;  /* parley_store_begin's transaction is open */
	uint8_t lock_id[32];
	uint64_t lock_size;
};

struct src_ctx {
	parley_store *s;
	const uint8_t *id;
};

static parley_code src_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32], parley_err *err)
{
	struct src_ctx *c = ctx;
	return c->s->ops->node_get(c->s->be, c->id, level, index, out, err);
}

void parley_store_leaf_hash(uint8_t out[32], const uint8_t *entry, size_t n, uint64_t integrated_ms)
{
	uint8_t prefix[9];
	parley_span parts[2] = { { prefix, sizeof(prefix) }, { entry, n } };
	prefix[0] = 0x00; /* RFC 9162 leaf */
	parley_put_u64(prefix + 1, integrated_ms);
	parley_sha256_parts(out, parts, 2);
}

parley_code parley_store_open(const char *spec, parley_store **out, parley_err *err)
{
	parley_store *s;
	parley_code rc;
	const char *path = spec;

	*out = NULL;
	if (strncmp(spec, "sqlite:", 7) == 0)
		path = spec + 7;
	else if (strstr(spec, "://") && !parley_store_spec_is_pg(spec))
		return parley_fail(err, PARLEY_E_USAGE,
			"%.*s...: unsupported store (use a file path, sqlite:PATH or a postgresql:// URI)",
			(int)(strstr(spec, "://") - spec), spec);
	if (!(s = calloc(1, sizeof(*s))))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	rc = parley_store_spec_is_pg(spec) ? parley_store_pg_open(spec, &s->ops, &s->be, err)
					   : parley_store_sqlite_open(path, &s->ops, &s->be, err);
	if (rc) {
		free(s);
		return rc;
	}
	*out = s;
	return PARLEY_OK;
}

bool parley_store_spec_is_pg(const char *spec)
{
	return strncmp(spec, "postgresql://", 13) == 0 || strncmp(spec, "postgres://", 11) == 0;
}

const char *parley_store_backend_name(const parley_store *s)
{
	return s->ops->name;
}

#ifndef PARLEY_HAVE_PG
parley_code parley_store_pg_open(const char *uri, const parley_store_backend **ops, void **be, parley_err *err)
{
	(void)uri;
	(void)ops;
	(void)be;
	return parley_fail(err, PARLEY_E_USAGE, "this parley was built without PostgreSQL (libpq)");
}
#endif

void parley_store_close(parley_store *s)
{
	if (!s)
		return;
	parley_store_unlock(s);
	parley_store_rollback(s);
	s->ops->close(s->be);
	while (s->cache) {
		struct chan_cache *n = s->cache->next;
		free(s->cache);
		s->cache = n;
	}
	free(s->nodes);
	free(s);
}

parley_code parley_store_channel_add(parley_store *s, const uint8_t id[32], const uint8_t *charter, size_t n,
	parley_err *err)
{
	return s->ops->channel_add(s->be, id, charter, n, err);
}

parley_code parley_store_channels(parley_store *s, parley_store_channel_cb cb, void *ctx, parley_err *err)
{
	if (!s->ops->scan_channels)
		return parley_fail(err, PARLEY_E_USAGE, "store: %s cannot list its channels", s->ops->name);
	return s->ops->scan_channels(s->be, cb, ctx, err);
}

parley_code parley_store_channel_charter(parley_store *s, const uint8_t id[32], parley_buf *charter, parley_err *err)
{
	return s->ops->channel_get(s->be, id, charter, err);
}

parley_code parley_store_size(parley_store *s, const uint8_t id[32], uint64_t *size, parley_err *err)
{
	return s->ops->size(s->be, id, size, err);
}

parley_code parley_store_entry(parley_store *s, const uint8_t id[32], uint64_t index, parley_buf *data,
	uint64_t *integrated_ms, parley_err *err)
{
	return s->ops->entry_get(s->be, id, index, data, integrated_ms, err);
}

static void forget(parley_store *s, const uint8_t id[32]);

/* The cached frontier of a channel, loaded from the store on first use (and again when it is stale). */
static parley_code frontier_of(parley_store *s, const uint8_t id[32], struct chan_cache **out, parley_err *err)
{
	struct chan_cache *c;
	struct src_ctx ctx = { s, id };
	parley_merkle_src src = { &ctx, src_node };
	uint64_t size;
	parley_code rc;

	for (c = s->cache; c; c = c->next)
		if (memcmp(c->id, id, 32) == 0) {
			if (s->locked && c->f.size != s->lock_size) { /* another writer appended: load it again */
				forget(s, id);
				break;
			}
			*out = c;
			return PARLEY_OK;
		}
	if ((rc = s->ops->size(s->be, id, &size, err)))
		return rc;
	if (!(c = calloc(1, sizeof(*c))))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	if ((rc = parley_merkle_frontier_load(&c->f, &src, size, err))) {
		free(c);
		return parley_wrap(err, rc, "loading the tree");
	}
	memcpy(c->id, id, 32);
	c->next = s->cache;
	s->cache = c;
	*out = c;
	return PARLEY_OK;
}

static void forget(parley_store *s, const uint8_t id[32])
{
	for (struct chan_cache **p = &s->cache; *p; p = &(*p)->next)
		if (memcmp((*p)->id, id, 32) == 0) {
			struct chan_cache *dead = *p;
			*p = dead->next;
			free(dead);
			return;
		}
}

static parley_code collect_node(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32])
{
	parley_store *s = ctx;
	if (s->nnodes == s->nodes_cap) {
		size_t ncap = s->nodes_cap ? s->nodes_cap * 2 : 1024;
		parley_store_node *p = realloc(s->nodes, ncap * sizeof(*p));
		if (!p)
			return PARLEY_E_NOMEM;
		s->nodes = p;
		s->nodes_cap = ncap;
	}
	s->nodes[s->nnodes].level = level;
	s->nodes[s->nnodes].index = index;
	memcpy(s->nodes[s->nnodes].hash, hash, 32);
	s->nnodes++;
	return PARLEY_OK;
}

parley_code parley_store_append(parley_store *s, const uint8_t id[32], const parley_store_item *items, size_t n,
	uint64_t *first, uint8_t root[32], parley_err *err)
{
	struct chan_cache *c = NULL;
	parley_merkle_frontier next;
	parley_code rc;

	if (s->locked && memcmp(s->lock_id, id, 32) != 0) {
		parley_store_unlock(s);
		return parley_fail(err, PARLEY_E_USAGE, "store: appending to a channel other than the locked one");
	}
	if (n == 0) {
		parley_store_unlock(s);
		return parley_fail(err, PARLEY_E_USAGE, "nothing to append");
	}
	if ((rc = frontier_of(s, id, &c, err))) {
		parley_store_unlock(s);
		return rc;
	}
	next = c->f;
	s->nnodes = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t h[32];
		parley_store_leaf_hash(h, items[i].data, items[i].len, items[i].integrated_ms);
		if ((rc = parley_merkle_frontier_append(&next, h, collect_node, s))) {
			parley_store_unlock(s);
			return parley_fail(err, rc, "out of memory");
		}
	}
	s->locked = false; /* the backend's append ends the transaction either way */
	if ((rc = s->ops->append(s->be, id, c->f.size, items, n, s->nodes, s->nnodes, err))) {
		/* the store may have changed under us (another writer): read it again next time */
		forget(s, id);
		return rc;
	}
	if (first)
		*first = c->f.size;
	c->f = next;
	if (root)
		parley_merkle_frontier_root(&c->f, root);
	return PARLEY_OK;
}

parley_code parley_store_lock(parley_store *s, const uint8_t id[32], uint64_t *size, parley_err *err)
{
	parley_code rc;
	if (s->locked)
		return parley_fail(err, PARLEY_E_USAGE, "store: a channel is already locked on this handle");
	if ((rc = s->ops->lock(s->be, id, size, err)))
		return rc;
	s->locked = true;
	memcpy(s->lock_id, id, 32);
	s->lock_size = *size;
	return PARLEY_OK;
}

void parley_store_unlock(parley_store *s)
{
	if (!s->locked)
		return;
	s->ops->unlock(s->be);
	s->locked = false;
}

parley_code parley_store_node_get(parley_store *s, const uint8_t id[32], unsigned level, uint64_t index, uint8_t out[32],
	parley_err *err)
{
	return s->ops->node_get(s->be, id, level, index, out, err);
}

parley_code parley_store_root(parley_store *s, const uint8_t id[32], uint64_t size, uint8_t root[32], parley_err *err)
{
	struct src_ctx ctx = { s, id };
	parley_merkle_src src = { &ctx, src_node };
	return parley_merkle_root(&src, size, root, err);
}

parley_code parley_store_inclusion(parley_store *s, const uint8_t id[32], uint64_t index, uint64_t size,
	uint8_t proof[][32], size_t *n, parley_err *err)
{
	struct src_ctx ctx = { s, id };
	parley_merkle_src src = { &ctx, src_node };
	return parley_merkle_inclusion(&src, index, size, proof, n, err);
}

parley_code parley_store_consistency(parley_store *s, const uint8_t id[32], uint64_t old, uint64_t size,
	uint8_t proof[][32], size_t *n, parley_err *err)
{
	struct src_ctx ctx = { s, id };
	parley_merkle_src src = { &ctx, src_node };
	return parley_merkle_consistency(&src, old, size, proof, n, err);
}

parley_code parley_store_entries(parley_store *s, const uint8_t id[32], uint64_t from, uint64_t limit,
	parley_store_entry_cb cb, void *ctx, parley_err *err)
{
	return s->ops->scan_entries(s->be, id, from, limit, cb, ctx, err);
}

struct check_ctx {
	parley_merkle_mem t;
	uint64_t expect; /* next index */
	uint64_t nodes;  /* stored nodes seen */
	parley_err *err;
};

static parley_code check_entry(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct check_ctx *c = ctx;
	uint8_t h[32];

	if (index != c->expect)
		return parley_fail(c->err, PARLEY_E_VERIFY, "entry %llu is missing", (unsigned long long)c->expect);
	parley_store_leaf_hash(h, data, len, ms);
	if (parley_merkle_mem_append(&c->t, h))
		return parley_fail(c->err, PARLEY_E_NOMEM, "out of memory");
	c->expect++;
	return PARLEY_OK;
}

static parley_code check_node(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32])
{
	struct check_ctx *c = ctx;

	if (level >= 64 || index >= c->t.count[level])
		return parley_fail(c->err, PARLEY_E_VERIFY, "tree node (%u, %llu) is beyond the tree of the entries",
			level, (unsigned long long)index);
	if (!hash || memcmp(hash, c->t.level[level][index], 32) != 0)
		return parley_fail(c->err, PARLEY_E_VERIFY, "tree node (%u, %llu) does not match the entries below it",
			level, (unsigned long long)index);
	c->nodes++;
	return PARLEY_OK;
}

parley_code parley_store_check(parley_store *s, const uint8_t id[32], parley_err *err)
{
	struct check_ctx c;
	uint64_t size, want_nodes = 0;
	parley_code rc;

	memset(&c, 0, sizeof(c));
	c.err = err;
	parley_merkle_mem_init(&c.t);
	if ((rc = s->ops->size(s->be, id, &size, err)))
		goto out;
	if ((rc = s->ops->scan_entries(s->be, id, 0, UINT64_MAX, check_entry, &c, err)))
		goto out;
	if (c.expect != size) {
		rc = c.expect < size
			? parley_fail(err, PARLEY_E_VERIFY, "entry %llu is missing", (unsigned long long)c.expect)
			: parley_fail(err, PARLEY_E_VERIFY, "an entry is stored at index %llu, past the tree size %llu",
				  (unsigned long long)size, (unsigned long long)size);
		goto out;
	}
	if ((rc = s->ops->scan_nodes(s->be, id, check_node, &c, err)))
		goto out;
	for (unsigned l = 0; l < 64; l++)
		want_nodes += c.t.count[l];
	if (c.nodes != want_nodes) {
		/* find the first node that is not stored */
		uint8_t h[32];
		for (unsigned l = 0; l < 64; l++)
			for (uint64_t i = 0; i < c.t.count[l]; i++)
				if (s->ops->node_get(s->be, id, l, i, h, NULL) != PARLEY_OK) {
					rc = parley_fail(err, PARLEY_E_VERIFY, "tree node (%u, %llu) is missing", l,
						(unsigned long long)i);
					goto out;
				}
		rc = parley_fail(err, PARLEY_E_VERIFY, "tree nodes are missing");
		goto out;
	}
	rc = PARLEY_OK;
out:
	parley_merkle_mem_release(&c.t);
	return rc;
}

parley_code parley_store_checkpoint_put(parley_store *s, const uint8_t id[32], uint64_t size, const char *note,
	size_t n, parley_err *err)
{
	return s->ops->checkpoint_put(s->be, id, size, note, n, err);
}

parley_code parley_store_checkpoint_get(parley_store *s, const uint8_t id[32], uint64_t size, parley_buf *note,
	uint64_t *size_out, parley_err *err)
{
	return s->ops->checkpoint_get(s->be, id, size, note, size_out, err);
}

parley_code parley_store_cosig_put(parley_store *s, const uint8_t id[32], uint64_t size, const char *signer,
	const char *line, parley_err *err)
{
	return s->ops->cosig_put(s->be, id, size, signer, line, err);
}

parley_code parley_store_cosigs(parley_store *s, const uint8_t id[32], uint64_t size, parley_buf *lines,
	parley_err *err)
{
	return s->ops->cosigs_get(s->be, id, size, lines, err);
}

parley_code parley_store_checkpoint_find(parley_store *s, const uint8_t id[32], uint64_t min_size,
	const char *cosigner, parley_buf *note, uint64_t *size_out, parley_err *err)
{
	return s->ops->checkpoint_find(s->be, id, min_size, cosigner, note, size_out, err);
}

parley_code parley_store_reads_put(parley_store *s, const uint8_t id[32], const parley_signed_read *reads, size_t n,
	parley_err *err)
{
	return n ? s->ops->reads_put(s->be, id, reads, n, err) : PARLEY_OK;
}

parley_code parley_store_read_latest(parley_store *s, const uint8_t id[32], const uint8_t keyid[4], uint64_t *from,
	parley_err *err)
{
	return s->ops->read_latest(s->be, id, keyid, from, err);
}

parley_code parley_store_read_past(parley_store *s, const uint8_t id[32], const uint8_t keyid[4], uint64_t past,
	parley_signed_read *out, parley_err *err)
{
	return s->ops->read_past(s->be, id, keyid, past, out, err);
}

/* ---- transactions and derived state ---- */

parley_code parley_store_begin(parley_store *s, parley_err *err)
{
	parley_code rc;
	if (!s->ops->begin)
		return parley_fail(err, PARLEY_E_USAGE, "store: the %s backend has no explicit transactions", s->ops->name);
	if (s->in_tx || s->locked)
		return parley_fail(err, PARLEY_E_USAGE, "store: a transaction is already open on this handle");
	if ((rc = s->ops->begin(s->be, err)))
		return rc;
	s->in_tx = true;
	return PARLEY_OK;
}

parley_code parley_store_commit(parley_store *s, parley_err *err)
{
	parley_code rc;
	if (!s->in_tx)
		return parley_fail(err, PARLEY_E_USAGE, "store: no transaction to commit");
	s->in_tx = false;
	if ((rc = s->ops->commit(s->be, err))) {
		while (s->cache) /* what the failed transaction appended is gone: read the trees again */
			forget(s, s->cache->id);
		return rc;
	}
	return PARLEY_OK;
}

void parley_store_rollback(parley_store *s)
{
	if (!s->in_tx)
		return;
	s->in_tx = false;
	s->ops->rollback(s->be);
	while (s->cache)
		forget(s, s->cache->id);
}

parley_code parley_store_state_put(parley_store *s, const uint8_t id[32], const uint8_t *key, size_t klen,
	const uint8_t *val, size_t vlen, parley_err *err)
{
	if (!s->ops->state_put)
		return parley_fail(err, PARLEY_E_USAGE, "store: the %s backend keeps no node state", s->ops->name);
	if (klen == 0 || klen > 64 || vlen > (1u << 20))
		return parley_fail(err, PARLEY_E_LIMIT, "store: a state key of %zu bytes or value of %zu bytes", klen, vlen);
	return s->ops->state_put(s->be, id, key, klen, val, vlen, err);
}

parley_code parley_store_state_get(parley_store *s, const uint8_t id[32], const uint8_t *key, size_t klen,
	parley_buf *val, parley_err *err)
{
	if (!s->ops->state_get)
		return parley_fail(err, PARLEY_E_USAGE, "store: the %s backend keeps no node state", s->ops->name);
	return s->ops->state_get(s->be, id, key, klen, val, err);
}

parley_code parley_store_state_scan(parley_store *s, const uint8_t id[32], const uint8_t *prefix, size_t plen,
	parley_store_state_cb cb, void *ctx, parley_err *err)
{
	if (!s->ops->state_scan)
		return parley_fail(err, PARLEY_E_USAGE, "store: the %s backend keeps no node state", s->ops->name);
	return s->ops->state_scan(s->be, id, prefix, plen, prefix, plen, cb, ctx, err);
}

parley_code parley_store_state_scan_from(parley_store *s, const uint8_t id[32], const uint8_t *prefix, size_t plen,
	const uint8_t *from, size_t flen, parley_store_state_cb cb, void *ctx, parley_err *err)
{
	if (!s->ops->state_scan)
		return parley_fail(err, PARLEY_E_USAGE, "store: the %s backend keeps no node state", s->ops->name);
	if (flen < plen || memcmp(from, prefix, plen) != 0)
		return parley_fail(err, PARLEY_E_USAGE, "store: a state scan's start key is outside its prefix");
	return s->ops->state_scan(s->be, id, prefix, plen, from, flen, cb, ctx, err);
}

parley_code parley_store_state_clear(parley_store *s, const uint8_t id[32], parley_err *err)
{
	if (!s->ops->state_clear)
		return parley_fail(err, PARLEY_E_USAGE, "store: the %s backend keeps no node state", s->ops->name);
	return s->ops->state_clear(s->be, id, err);
}
