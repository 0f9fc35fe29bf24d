/* node_verify.c - what a node checks about each entry (signature, chain, scope, validity, quota) and checkpoint. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parley/admit.h"
#include "parley/proof.h"
#include "node_internal.h"
#include "banned.h"

struct chain *node_chain_of(struct chain *c, size_t *n, const uint8_t keyid[4])
{
	for (size_t i = 0; i < *n; i++)
		if (memcmp(c[i].keyid, keyid, 4) == 0)
			return &c[i];
	if (*n == PARLEY_MAX_PARTIES)
		return NULL;
	memset(&c[*n], 0, sizeof(c[*n]));
	memcpy(c[*n].keyid, keyid, 4);
	return &c[(*n)++];
}

/*
 * Everything a node checks about one entry at log index `index` but the quota, against
 * the charter and the senders' chains so far (which it advances on success);
 * look finds earlier entries (a thread's opener, for the charter's wind-down).
 */
static parley_code check_rules(const parley_charter *ch, const uint8_t id[32], struct chain *chains, size_t *nchains,
	uint64_t *last_ms, uint64_t index, uint64_t integrated_ms, const uint8_t *data, size_t len, bool sig_ok,
	parley_entry *e, parley_admit_lookup look, void *lctx, parley_succession *succ, struct node_charter_look *clook,
	parley_err *err)
{
	const parley_party *p;
	struct chain *c;
	uint8_t zero[32] = { 0 };
	char kid[9];

	if (parley_entry_parse(data, len, e, err))
		return parley_wrap(err, PARLEY_E_VERIFY, "entry %llu", (unsigned long long)index);
	/* the relay integrates in order: a time that goes back is a log it built out of order */
	if (integrated_ms < *last_ms)
		return parley_fail(err, PARLEY_E_VERIFY,
			"entry %llu: integrated at %llu ms, before entry %llu (%llu ms): integration times go backwards",
			(unsigned long long)index, (unsigned long long)integrated_ms, (unsigned long long)(index ? index - 1 : 0),
			(unsigned long long)*last_ms);
	if (memcmp(e->h.channel, id, 32) != 0)
		return parley_fail(err, PARLEY_E_VERIFY, "entry %llu: belongs to another channel", (unsigned long long)index);
	parley_hex(kid, e->h.sender, 4);
	if (!(p = parley_charter_party_by_keyid(ch, e->h.sender)))
		return parley_fail(err, PARLEY_E_VERIFY, "entry %llu: sender key %s is not a party of the charter",
			(unsigned long long)index, kid);
	if (p->role != PARLEY_ROLE_PARTY)
		return parley_fail(err, PARLEY_E_VERIFY, "entry %llu: sent by %s, a read-only auditor",
			(unsigned long long)index, p->key.name);
	if (!sig_ok && parley_entry_verify(e, p->key.sign_pk, NULL))
		return parley_fail(err, PARLEY_E_VERIFY, "entry %llu: signature does not verify for party %s",
			(unsigned long long)index, p->key.name);
	if (e->h.created_ms > integrated_ms + PARLEY_ENTRY_MAX_SKEW_MS || e->h.created_ms + PARLEY_ENTRY_MAX_SKEW_MS < integrated_ms)
		return parley_fail(err, PARLEY_E_VERIFY,
			"entry %llu from %s: created %lld s away from its integration time (at most %llu s allowed)",
			(unsigned long long)index, p->key.name,
			(long long)(((int64_t)e->h.created_ms - (int64_t)integrated_ms) / 1000),
			(unsigned long long)(PARLEY_ENTRY_MAX_SKEW_MS / 1000));
	if (!parley_charter_allows_type(ch, e->h.type))
		return parley_fail(err, PARLEY_E_VERIFY, "entry %llu from %s: type %s is outside the charter's scope",
			(unsigned long long)index, p->key.name, parley_type_name(e->h.type));
	if (e->h.type != PARLEY_T_HANDOVER && !parley_charter_allows_category(ch, e->h.category))
		return parley_fail(err, PARLEY_E_VERIFY, "entry %llu from %s: category '%s' is outside the charter's scope",
			(unsigned long long)index, p->key.name, e->h.category);
	for (unsigned i = 0; i < e->h.nrecip; i++) {
		const parley_party *r = parley_charter_party_by_keyid(ch, e->h.recip[i]);
		if (!r)
			return parley_fail(err, PARLEY_E_VERIFY, "entry %llu from %s: recipient %u is not a charter member",
				(unsigned long long)index, p->key.name, i);
		if (r->role != PARLEY_ROLE_PARTY) /* an auditor reads the log, but owes and answers nothing */
			return parley_fail(err, PARLEY_E_VERIFY, "entry %llu from %s: addressed to %s, a read-only auditor",
				(unsigned long long)index, p->key.name, r->key.name);
	}
	parley_succession next = *succ;
	parley_code rc = parley_admit_entry(ch, &next, &e->h, index, integrated_ms, look, lctx, node_charter_lookup, clook, err);
	if (rc)
		return parley_wrap(err, rc, "entry %llu from %s (%s)", (unsigned long long)index, p->key.name,
			parley_type_name(e->h.type));
	if (!(c = node_chain_of(chains, nchains, e->h.sender)))
		return parley_fail(err, PARLEY_E_VERIFY, "entry %llu: too many senders", (unsigned long long)index);
	if (e->h.seq != c->seq + 1)
		return parley_fail(err, PARLEY_E_VERIFY,
			"entry %llu from %s: sequence number %llu, expected %llu (replayed, dropped or reordered)",
			(unsigned long long)index, p->key.name, (unsigned long long)e->h.seq,
			(unsigned long long)c->seq + 1);
	if (memcmp(e->h.prev, c->seq ? c->hash : zero, 32) != 0)
		return parley_fail(err, PARLEY_E_VERIFY,
			"entry %llu from %s: previous-entry hash does not match its entry %llu (a forked chain)",
			(unsigned long long)index, p->key.name, (unsigned long long)c->seq);
	c->seq = e->h.seq;
	parley_entry_hash(data, len, c->hash);
	*last_ms = integrated_ms;
	*succ = next;
	return PARLEY_OK;
}


/* ---- signatures checked in parallel ---- */

struct sig_job {
	const parley_charter *ch;
	const parley_seckey *me;
	const uint8_t *const *data;
	const size_t *len;
	bool *ok;
	uint8_t *opened;
	size_t from, to;
};

static void *sig_work(void *arg)
{
	struct sig_job *j = arg;
	parley_buf pl = PARLEY_BUF_INIT;
	for (size_t i = j->from; i < j->to; i++) {
		parley_entry e;
		const parley_party *p;
		j->ok[i] = parley_entry_parse(j->data[i], j->len[i], &e, NULL) == PARLEY_OK &&
			(p = parley_charter_party_by_keyid(j->ch, e.h.sender)) != NULL &&
			parley_entry_verify(&e, p->key.sign_pk, NULL) == PARLEY_OK;
		if (!j->opened)
			continue;
		j->opened[i] = NODE_OPEN_NONE;
		if (!j->ok[i] || parley_entry_recipient_index(&e, j->me->pub.keyid) < 0 ||
			memcmp(e.h.sender, j->me->pub.keyid, 4) == 0)
			continue;
		parley_buf_reset(&pl);
		j->opened[i] = parley_entry_open(&e, j->me, &pl, NULL, NULL) == PARLEY_OK ? NODE_OPEN_OK : NODE_OPEN_FAILED;
	}
	parley_buf_release(&pl);
	return NULL;
}

void node_verify_signatures(const parley_charter *ch, const parley_seckey *me, const uint8_t *const *data,
	const size_t *len, size_t n, bool *ok, uint8_t *opened)
{
	enum { MAX_WORKERS = 8, MIN_PER_WORKER = 32 };
	pthread_t tid[MAX_WORKERS];
	struct sig_job job[MAX_WORKERS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nw = cpus > 1 ? (size_t)cpus - 1 : 0, started = 0;

	if (nw > MAX_WORKERS)
		nw = MAX_WORKERS;
	if (nw > n / MIN_PER_WORKER)
		nw = n / MIN_PER_WORKER;
	/* nw helper threads and this one, a contiguous share each; this one takes what no helper took */
	for (; started < nw; started++) {
		job[started] = (struct sig_job){ ch, me, data, len, ok, opened, n * started / (nw + 1),
			n * (started + 1) / (nw + 1) };
		if (pthread_create(&tid[started], NULL, sig_work, &job[started]) != 0)
			break;
	}
	struct sig_job mine = { ch, me, data, len, ok, opened, n * started / (nw + 1), n };
	sig_work(&mine);
	for (size_t w = 0; w < started; w++)
		pthread_join(tid[w], NULL);
}

/*
 * The charter's daily byte quota, after check_rules took the entry: counted in log order
 * for its sender, exactly as the relay counts at admission (parley_charter_quota_check).
 */
static parley_code node_quota_step(const parley_charter *ch, struct chain *chains, size_t *nchains, const parley_entry *e,
	uint64_t index, uint64_t ms, size_t len, parley_err *err)
{
	struct chain *c = node_chain_of(chains, nchains, e->h.sender);
	const parley_party *p = parley_charter_party_by_keyid(ch, e->h.sender);
	if (!c)
		return parley_fail(err, PARLEY_E_VERIFY, "entry %llu: too many senders", (unsigned long long)index);
	if (parley_charter_quota_check(ch, &c->quota, p ? p->key.name : "its sender", ms, len, err))
		return parley_wrap(err, PARLEY_E_VERIFY, "entry %llu", (unsigned long long)index);
	parley_quota_count(&c->quota, ms, len);
	return PARLEY_OK;
}

parley_code node_check_entry(const parley_charter *ch, const uint8_t id[32], struct chain *chains, size_t *nchains,
	uint64_t *last_ms, uint64_t index, uint64_t integrated_ms, const uint8_t *data, size_t len, bool sig_ok,
	parley_entry *e, parley_admit_lookup look, void *lctx, parley_succession *succ, struct node_charter_look *clook,
	parley_err *err)
{
	parley_code rc = check_rules(ch, id, chains, nchains, last_ms, index, integrated_ms, data, len, sig_ok, e, look,
		lctx, succ, clook, err);
	return rc ? rc : node_quota_step(ch, chains, nchains, e, index, integrated_ms, len, err);
}

static parley_code scan_check(struct scan_ctx *s, uint64_t index, uint64_t ms, const uint8_t *data, size_t len,
	bool sig_ok)
{
	parley_entry e;
	parley_code rc;
	if (index != s->count)
		return parley_fail(s->err, PARLEY_E_VERIFY, "replica: entry %llu is missing", (unsigned long long)s->count);
	s->count++;
	if ((s->count & 255) == 1 || s->count == s->total)
		parley_progress("verify", s->count, s->total > s->count ? s->total : s->count);
	parley_admit_store look = { s->store, s->id, PARLEY_BUF_INIT };
	struct node_charter_look cl = { s->node, NULL };
	rc = node_check_entry(s->ch, s->id, s->chains, &s->nchains, &s->last_ms, index, ms, data, len, sig_ok, &e,
		parley_admit_store_lookup, &look, &s->succ, &cl, s->err);
	parley_buf_release(&look.buf);
	/* a batched receipt's verified tree is this log's (the entries below it are in the replica) */
	if (!rc && (rc = parley_admit_receipt_root(s->store, s->id, &e.h, index, index, s->err)))
		rc = parley_wrap(s->err, rc, "entry %llu", (unsigned long long)index);
	return rc;
}

/* A run of the replica's entries read in one scan, for their signatures to be checked together. */
struct chunk {
	parley_buf arena;
	size_t *off, *len;
	uint64_t *index, *ms;
	size_t n, cap;
};

static parley_code chunk_cb(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct chunk *k = ctx;
	if (k->n == k->cap)
		return PARLEY_E_LIMIT;
	k->off[k->n] = k->arena.len;
	k->len[k->n] = len;
	k->index[k->n] = index;
	k->ms[k->n] = ms;
	if (parley_buf_add(&k->arena, data, len))
		return PARLEY_E_NOMEM;
	k->n++;
	return PARLEY_OK;
}

/* 'parley verify': every entry checked in log order, the signatures of each run of entries on every core. */
static parley_code verify_all(struct scan_ctx *s, parley_err *err)
{
	enum { RUN = 512 };
	struct chunk k = { PARLEY_BUF_INIT, calloc(RUN, sizeof(size_t)), calloc(RUN, sizeof(size_t)),
		calloc(RUN, sizeof(uint64_t)), calloc(RUN, sizeof(uint64_t)), 0, RUN };
	const uint8_t **dv = calloc(RUN, sizeof(*dv));
	bool *ok = calloc(RUN, sizeof(*ok));
	parley_code rc = PARLEY_OK;

	if (!k.off || !k.len || !k.index || !k.ms || !dv || !ok)
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	for (uint64_t from = 0; !rc;) {
		k.n = 0;
		parley_buf_reset(&k.arena);
		rc = parley_store_entries(s->store, s->id, from, RUN, chunk_cb, &k, err);
		if (rc == PARLEY_E_NOMEM)
			rc = parley_fail(err, rc, "out of memory");
		if (rc || !k.n)
			break;
		for (size_t i = 0; i < k.n; i++)
			dv[i] = k.arena.data + k.off[i];
		node_verify_signatures(s->ch, NULL, dv, k.len, k.n, ok, NULL);
		for (size_t i = 0; i < k.n && !rc; i++)
			rc = scan_check(s, k.index[i], k.ms[i], dv[i], k.len[i], ok[i]);
		from = k.index[k.n - 1] + 1;
	}
	parley_buf_release(&k.arena);
	free(k.off);
	free(k.len);
	free(k.index);
	free(k.ms);
	free(dv);
	free(ok);
	return rc;
}

/* Verify a checkpoint note from the relay: relay signature, origin, and any party cosignatures present. */
parley_code node_check_checkpoint(const struct node_channel *c, const char *text, size_t n, parley_checkpoint *cp,
	parley_err *err)
{
	parley_code rc = parley_checkpoint_check(c->charter, text, n, cp, NULL, err);
	return rc ? parley_wrap(err, rc, "from the relay") : PARLEY_OK;
}

/* Follow the chains of entries already verified when they were stored: parse and hash, no signatures. */
static parley_code scan_chain(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct scan_ctx *s = ctx;
	parley_entry e;
	struct chain *c;
	if (index != s->count)
		return parley_fail(s->err, PARLEY_E_VERIFY, "replica: entry %llu is missing", (unsigned long long)s->count);
	s->count++;
	if (parley_entry_parse(data, len, &e, s->err))
		return parley_wrap(s->err, PARLEY_E_VERIFY, "replica entry %llu", (unsigned long long)index);
	if (!(c = node_chain_of(s->chains, &s->nchains, e.h.sender)))
		return parley_fail(s->err, PARLEY_E_VERIFY, "replica: too many senders");
	c->seq = e.h.seq;
	parley_entry_hash(data, len, c->hash);
	s->last_ms = ms;
	parley_quota_count(&c->quota, ms, len);
	struct node_charter_look cl = { s->node, NULL };
	return parley_succession_follow(s->ch, &s->succ, &e.h, index, ms, node_charter_lookup, &cl, s->err);
}

/*
 * Every sender's chain in the replica: re-verified from scratch (full, for
 * 'parley verify'), or followed (for a sync: the entries were verified when
 * they were stored, and the tree check guards them since).
 */
parley_code node_load_chains(parley_node *n, struct node_channel *c, struct scan_ctx *sc, bool full, parley_err *err)
{
	memset(sc, 0, sizeof(*sc));
	sc->ch = c->charter;
	sc->id = c->id;
	sc->store = n->store;
	sc->node = n;
	parley_succession_init(&sc->succ);
	sc->err = err;
	if (full && parley_store_size(n->store, c->id, &sc->total, NULL))
		sc->total = 0;
	return full ? verify_all(sc, err) : parley_store_entries(n->store, c->id, 0, UINT64_MAX, scan_chain, sc, err);
}

