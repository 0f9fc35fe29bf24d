/* node_sync.c - the sync pipeline: fetch, verify and store pages against the relay's signed tree; catch the relay. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "parley/admit.h"
#include "parley/evidence.h"
#include "parley/merkle.h"
#include "parley/note.h"
#include "parley/payload.h"
#include "parley/proof.h"
#include "parley/receipt.h"
#include "parley/remote.h"
#include "node_internal.h"
#include "banned.h"

/* ---- sync ---- */

struct src_ctx {
	parley_store *s;
	const uint8_t *id;
};

static parley_code src_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32], parley_err *err)
{
	struct src_ctx *c = ctx;
	return parley_store_node_get(c->s, c->id, level, index, out, err);
}

struct fetched {
	uint64_t index, ms;
	uint8_t *data;
	size_t len;
	parley_entry e;
};

static void fetched_free(struct fetched *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i].data);
	free(f);
}

/*
 * The root that the relay's tree of cp->size has at size m, a power of two, with the
 * consistency proof from it: the relay's leaf m - 1 and its inclusion proof in that tree
 * give the perfect subtree [0, m) (its first log2(m) hashes are that leaf's left
 * siblings) and the path above it, which is the RFC 9162 consistency proof from m.
 * Everything is checked against the signed root; a relay that does not serve it gives
 * nothing.
 */
static parley_code prefix_by_inclusion(parley_client *cl, const struct node_channel *c, uint64_t m,
	const parley_checkpoint *cp, uint8_t root[32], uint8_t proof[][32], size_t *np, parley_err *err)
{
	parley_remote_page pg = PARLEY_REMOTE_PAGE_INIT;
	uint8_t path[PARLEY_MERKLE_MAX_PROOF][32], leaf[32];
	size_t n = 0, levels = (size_t)__builtin_ctzll(m);
	parley_code rc;

	if (m == 0 || (m & (m - 1)) || m >= cp->size)
		return parley_fail(err, PARLEY_E_USAGE, "no inclusion route to the root at size %llu", (unsigned long long)m);
	if ((rc = parley_remote_entries(cl, c->hex, m - 1, 1, 0, &pg, err)))
		goto out;
	if (pg.n == 0) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "entry %llu: malformed in the relay's answer", (unsigned long long)(m - 1));
		goto out;
	}
	parley_store_leaf_hash(leaf, pg.v[0].data, pg.v[0].len, pg.v[0].integrated_ms);
	if ((rc = parley_remote_proof_inclusion(cl, c->hex, m - 1, cp->size, path, &n, err)) ||
		(rc = parley_merkle_verify_inclusion(leaf, m - 1, cp->size, (const uint8_t(*)[32])path, n, cp->root, err)))
		goto out;
	if (n < levels) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "inclusion proof: too short");
		goto out;
	}
	memcpy(root, leaf, 32);
	for (size_t i = 0; i < levels; i++)
		parley_merkle_node_hash(root, path[i], root);
	*np = n - levels;
	memcpy(proof, path + levels, *np * 32);
	rc = parley_merkle_verify_consistency(m, cp->size, root, cp->root, (const uint8_t(*)[32])proof, *np, err);
out:
	parley_remote_page_release(&pg);
	return rc;
}

/* Earlier entries for a fetch: those of this fetch, then the replica. */
struct fetch_look {
	const struct fetched *f;
	uint64_t from, upto; /* f holds [from, upto) so far */
	parley_admit_store st;
};

static parley_code fetch_lookup(void *ctx, uint64_t index, parley_entry_hdr *h, uint64_t *ms, parley_err *err)
{
	struct fetch_look *l = ctx;
	if (index >= l->from && index < l->upto) {
		*h = l->f[index - l->from].e.h;
		*ms = l->f[index - l->from].ms;
		return PARLEY_OK;
	}
	return parley_admit_store_lookup(&l->st, index, h, ms, err);
}

/* What the entries addressed to us showed when opened (look_note): in index order. */
struct look {
	uint64_t *unopened; /* addressed to us, and did not open */
	size_t nunopened, ucap;
	uint64_t *receipts; /* receipts addressed to us that opened: their views are compared */
	size_t nreceipts, rcap;
	uint64_t received, undecryptable;
};

static parley_code look_note(struct look *lk, const parley_seckey *me, uint64_t i, const parley_entry *e, int opened,
	parley_buf *pl, parley_err *err);

/*
 * The pager: a thread that reads the relay's pages of entries ahead of the sync, from the
 * first index to the signed size, on its own connection, and checks their signatures (on
 * every core), and opens those addressed to us, while the sync stores the page before: the
 * store's work and the verification overlap. At most PAGER_AHEAD pages wait (each at most a relay's page, about 16 MiB); the
 * sync takes them in order. What the pager
 * finds wrong (the relay unreachable, a malformed page, no entry where one is due) reaches
 * the sync with the page where it happened, as if the sync had read it itself.
 */
enum { PAGER_AHEAD = 2 };

struct pager_item {
	parley_remote_page pg;
	bool *ok;      /* signature checks of pg's entries */
	uint8_t *opened; /* NODE_OPEN_*: whether each entry addressed to us opened */
	size_t off;    /* entries of pg the sync has taken */
	parley_code rc; /* !OK: what went wrong instead of a page */
	parley_err err;
};

struct pager {
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	parley_client cl;
	const parley_charter *ch;
	const parley_seckey *me;
	char hex[65];
	uint64_t first, next, to;
	size_t per; /* the sync's page: requests never cross its boundaries (as the sync's own reads did) */
	struct pager_item q[PAGER_AHEAD];
	size_t head, n;
	bool stop, ended;
	struct pager_item cur; /* the page the sync is taking entries from */
	bool have_cur;
};

static void item_release(struct pager_item *it)
{
	parley_remote_page_release(&it->pg);
	free(it->ok);
	free(it->opened);
	memset(it, 0, sizeof(*it));
}

static void *pager_main(void *arg)
{
	struct pager *p = arg;
	for (;;) {
		struct pager_item it;
		memset(&it, 0, sizeof(it));
		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->n == PAGER_AHEAD)
			pthread_cond_wait(&p->cv, &p->mu);
		bool stop = p->stop || p->next >= p->to;
		uint64_t from = p->next;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		uint64_t ask = p->to - from < PARLEY_REMOTE_PAGE_MAX ? p->to - from : PARLEY_REMOTE_PAGE_MAX;
		uint64_t left = p->per - (from - p->first) % p->per; /* to the end of the sync's page */
		if (ask > left)
			ask = left;
		it.rc = parley_remote_entries(&p->cl, p->hex, from, ask, 0, &it.pg, &it.err);
		if (!it.rc && it.pg.n == 0)
			it.rc = parley_fail(&it.err, PARLEY_E_VERIFY, "the relay did not return entry %llu (its checkpoint has %llu)",
				(unsigned long long)from, (unsigned long long)p->to);
		if (!it.rc && (!(it.ok = calloc(it.pg.n, sizeof(*it.ok))) || !(it.opened = calloc(it.pg.n, 1))))
			it.rc = parley_fail(&it.err, PARLEY_E_NOMEM, "out of memory for a page of %zu entries", it.pg.n);
		if (!it.rc) {
			const uint8_t **dv = calloc(it.pg.n, sizeof(*dv));
			size_t *lv = calloc(it.pg.n, sizeof(*lv));
			if (dv && lv) {
				for (size_t i = 0; i < it.pg.n; i++) {
					dv[i] = it.pg.v[i].data;
					lv[i] = it.pg.v[i].len;
				}
				node_verify_signatures(p->ch, p->me, dv, lv, it.pg.n, it.ok, it.opened);
			} /* else: every ok false and nothing opened: the sync does it itself */
			free(dv);
			free(lv);
		}
		pthread_mutex_lock(&p->mu);
		p->q[(p->head + p->n) % PAGER_AHEAD] = it;
		p->n++;
		if (it.rc)
			p->stop = true; /* nothing after a failure */
		else
			p->next = from + it.pg.n;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_lock(&p->mu);
	p->ended = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static parley_code pager_start(struct pager *p, parley_node *n, const struct node_channel *c, uint64_t from,
	uint64_t to, size_t per, parley_err *err)
{
	parley_code rc;
	memset(p, 0, sizeof(*p));
	if ((rc = node_client(n, c, &p->cl, err)))
		return rc;
	p->ch = c->charter;
	p->me = n->key;
	memcpy(p->hex, c->hex, sizeof(p->hex));
	p->first = p->next = from;
	p->to = to;
	p->per = per ? per : 1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->th, NULL, pager_main, p) != 0) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		parley_client_release(&p->cl);
		return parley_fail(err, PARLEY_E_NOMEM, "cannot start a thread to read the relay's pages");
	}
	p->started = true;
	return PARLEY_OK;
}

static void pager_stop(struct pager *p)
{
	if (!p->started)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	for (size_t i = 0; i < p->n; i++)
		item_release(&p->q[(p->head + i) % PAGER_AHEAD]);
	if (p->have_cur)
		item_release(&p->cur);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	parley_client_release(&p->cl);
	p->started = false;
}

/* The page to take entries from next (p->cur), waiting for the pager; its failure as the sync's. */
static parley_code pager_take(struct pager *p, parley_err *err)
{
	if (p->have_cur && p->cur.off < p->cur.pg.n)
		return PARLEY_OK;
	if (p->have_cur)
		item_release(&p->cur);
	p->have_cur = false;
	pthread_mutex_lock(&p->mu);
	while (p->n == 0 && !p->ended)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->n == 0) {
		pthread_mutex_unlock(&p->mu);
		return parley_fail(err, PARLEY_E_VERIFY, "the relay's pages ended before the signed size");
	}
	p->cur = p->q[p->head];
	p->head = (p->head + 1) % PAGER_AHEAD;
	p->n--;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	p->have_cur = true;
	if (p->cur.rc) {
		*err = p->cur.err;
		return p->cur.rc;
	}
	return PARLEY_OK;
}

/*
 * Fetch one page of entries from index `from` (before `to`) from the relay, checking each as
 * it comes: at most max_entries and max_bytes of entry data (a single larger entry makes a
 * page alone), taken from the pager's pages in order. *got is how many; entries of the
 * pager's page past this page stay with the pager for the next one.
 */
static parley_code fetch(parley_client *cl, struct pager *pgr, struct node_channel *c, struct scan_ctx *sc,
	struct look *pre, uint64_t from, uint64_t to, size_t max_entries, size_t max_bytes, struct fetched **out, size_t *got,
	parley_err *err)
{
	parley_buf pl = PARLEY_BUF_INIT;
	size_t cap = to - from < max_entries ? (size_t)(to - from) : max_entries;
	struct fetched *f = calloc(cap ? cap : 1, sizeof(*f));
	size_t bytes = 0;
	uint64_t k = from, end = from + cap;
	parley_code rc = PARLEY_OK;

	*got = 0;
	if (!f)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory for a page of %zu entries", cap);
	while (k < end && bytes < max_bytes) {
		if ((rc = pager_take(pgr, err)))
			break;
		struct pager_item *it = &pgr->cur;
		for (; it->off < it->pg.n; it->off++) {
			size_t i = it->off;
			struct fetched *x = &f[k - from];
			size_t len = it->pg.v[i].len;
			if (k >= end || bytes >= max_bytes)
				break;
			if (k > from && len > max_bytes - bytes) { /* the next page's first entry */
				bytes = max_bytes;
				break;
			}
			if (it->pg.v[i].index != k) { /* the pager reads in order from where the sync began */
				rc = parley_fail(err, PARLEY_E_VERIFY, "the relay returned entry %llu where %llu was due",
					(unsigned long long)it->pg.v[i].index, (unsigned long long)k);
				break;
			}
			x->data = it->pg.v[i].data; /* the page gives it up */
			it->pg.v[i].data = NULL;
			x->index = k;
			x->ms = it->pg.v[i].integrated_ms;
			x->len = len;
			bytes = len > max_bytes - bytes ? max_bytes : bytes + len;
			struct fetch_look look = { f, from, k, { sc->store, c->id, PARLEY_BUF_INIT } };
			struct node_charter_look clk = { sc->node, cl };
			rc = node_check_entry(c->charter, c->id, sc->chains, &sc->nchains, &sc->last_ms, k, x->ms, x->data, len,
				it->ok[i], &x->e, fetch_lookup, &look, &sc->succ, &clk, err);
			parley_buf_release(&look.st.buf);
			/* what the pager found opening it (NONE: not addressed to us, or not known: opened here) */
			int op = it->opened[i] == NODE_OPEN_OK ? 1 : it->opened[i] == NODE_OPEN_FAILED ? 0 : -1;
			if (!rc)
				rc = look_note(pre, pgr->me, k, &x->e, op, &pl, err);
			if (rc) {
				it->off++; /* x holds its bytes now */
				k++;
				break;
			}
			k++;
		}
		if (rc)
			break;
	}
	parley_buf_release(&pl);
	if (rc) {
		fetched_free(f, cap);
		return rc;
	}
	*out = f;
	*got = (size_t)(k - from);
	return PARLEY_OK;
}

/*
 * HOME/charters/HEX.paging holds the signed checkpoint a sync stores entries against,
 * written before its first page is stored and removed once the checkpoint is. The entries
 * stored beyond the last verified checkpoint are a prefix of its tree, so a resumed sync
 * holds the relay to it (rollback, fork and consistency checks) as to a verified one.
 */
parley_code node_paging_load(parley_node *n, const struct node_channel *c, parley_buf *note, parley_checkpoint *cp)
{
	char path[1200];
	parley_code rc;
	if ((rc = parley_home_channel_file(path, sizeof(path), n->home, c->hex, "paging", NULL)) ||
		(rc = parley_file_read(path, 64 * 1024, note, NULL)))
		return rc;
	return parley_checkpoint_check(c->charter, (const char *)note->data, note->len, cp, NULL, NULL);
}

static parley_code paging_save(parley_node *n, const struct node_channel *c, const parley_buf *note, parley_err *err)
{
	char path[1200];
	parley_code rc;
	if ((rc = parley_home_channel_file(path, sizeof(path), n->home, c->hex, "paging", err)))
		return rc;
	return parley_file_write(path, note->data, note->len, 0600, false, err);
}

static void paging_clear(parley_node *n, const struct node_channel *c)
{
	char path[1200];
	if (parley_home_channel_file(path, sizeof(path), n->home, c->hex, "paging", NULL) == PARLEY_OK)
		(void)unlink(path);
}

void parley_node_set_sync_page(parley_node *n, size_t entries, size_t bytes)
{
	if (entries)
		n->page_entries = entries;
	if (bytes)
		n->page_bytes = bytes;
}

/*
 * The relay was caught: keep portable evidence (both signed checkpoints, and the
 * proof it served) and stop trusting it for this channel until an operator acts.
 * The file states whether it is a proof ("standing": "proof", what check-evidence
 * accepts: two signed trees that contradict each other) or a suspicion (what this
 * node saw, which the checkpoints alone do not prove: a rollback, a proof that does
 * not verify); the node halts on both, as it cannot go on, but says which it is.
 */
void node_halt(parley_node *n, struct node_channel *c, const char *kind, const parley_buf *old_note,
	const parley_buf *new_note, const uint8_t (*proof)[32], size_t np, const uint8_t *prefix_root, parley_err *err)
{
	char path[1200], marker[1200], rel[160];
	parley_buf charter = PARLEY_BUF_INIT, rep = PARLEY_BUF_INIT;
	json_t *cj = NULL, *doc, *pr = json_array();
	uint64_t now = parley_now_ms();
	bool proven = false;

	for (size_t i = 0; i < np; i++) {
		char hex[65];
		parley_hex(hex, proof[i], 32);
		json_array_append_new(pr, json_string(hex));
	}
	if (parley_store_channel_charter(n->store, c->id, &charter, NULL) == PARLEY_OK)
		cj = json_loadb((const char *)charter.data, charter.len, 0, NULL);
	doc = json_pack("{s:i, s:s, s:o?, s:[s%, s%], s:o, s:s}", "parley_evidence", 1, "kind", kind, "charter", cj,
		"checkpoints", old_note->data ? (const char *)old_note->data : "", old_note->len,
		(const char *)new_note->data, new_note->len, "consistency_proof", pr, "detail", err ? err->msg : kind);
	parley_buf_release(&charter);
	if (doc && prefix_root) {
		char hex[65];
		parley_hex(hex, prefix_root, 32);
		json_object_set_new(doc, "prefix_root", json_string(hex));
	}
	/* the label is what an offline check of this very file finds */
	char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	proven = s && parley_evidence_check(s, strlen(s), &rep, NULL) == PARLEY_OK;
	parley_buf_release(&rep);
	free(s);
	if (doc)
		json_object_set_new(doc, "standing", json_string(proven ? "proof" : "suspicion"));
	snprintf(rel, sizeof(rel), "evidence-%.16s-%llu.json", c->hex, (unsigned long long)now);
	s = doc ? json_dumps(doc, JSON_INDENT(1)) : NULL;
	json_decref(doc);
	if (s && parley_home_path(path, sizeof(path), n->home, rel, NULL) == PARLEY_OK &&
		parley_file_write(path, s, strlen(s), 0644, false, NULL) == PARLEY_OK) {
		snprintf(c->halted, sizeof(c->halted), "%s, %s at %llu ms; %s in %s", kind,
			proven ? "proven" : "suspected but not proven", (unsigned long long)now,
			proven ? "proof" : "observation", path);
		if (parley_home_channel_file(marker, sizeof(marker), n->home, c->hex, "halted", NULL) == PARLEY_OK &&
			parley_file_write(marker, c->halted, strlen(c->halted), 0600, false, NULL) == PARLEY_OK && err) {
			if (proven)
				parley_wrap(err, err->code, "RELAY MISBEHAVIOUR, PROVEN; this node now refuses the relay for "
					"this channel (proof: %s)", path);
			else
				parley_wrap(err, err->code, "SUSPECTED RELAY MISBEHAVIOUR (a suspicion, not a proof); this node "
					"now refuses the relay for this channel (observation: %s)", path);
		}
	}
	free(s);
}

/*
 * A receipt carries the checkpoint its writer's node verified before writing it, so
 * it is integrated after that tree: our verified log, which holds the receipt, must
 * have the same root at that size. If not, the relay showed the two of us different
 * histories (G4), and both checkpoints carry its signature.
 */
static parley_code compare_views(parley_node *n, struct node_channel *c, const parley_buf *note,
	const parley_checkpoint *cp, uint64_t index, const parley_entry *e, const parley_buf *pl, parley_err *err)
{
	parley_payload p;
	parley_checkpoint theirs;
	uint8_t mine[32], proof[PARLEY_MERKLE_MAX_PROOF][32];
	size_t np = 0;
	parley_code rc = PARLEY_OK;
	const parley_party *who = parley_charter_party_by_keyid(c->charter, e->h.sender);

	/* a receipt without a view is allowed, and one whose checkpoint lacks the relay's signature
	 * or postdates the receipt is only its writer's word: neither helps */
	if (parley_payload_decode(pl->data, pl->len, &p, NULL) || !p.checkpoint)
		goto out;
	parley_buf tb = { .data = (uint8_t *)p.checkpoint, .len = strlen(p.checkpoint) };
	if (parley_checkpoint_check(c->charter, p.checkpoint, tb.len, &theirs, NULL, NULL) != PARLEY_OK ||
		theirs.size > index || theirs.size == 0)
		goto out;
	if ((rc = parley_store_root(n->store, c->id, theirs.size, mine, err)) || sodium_memcmp(mine, theirs.root, 32) == 0)
		goto out;
	if (theirs.size < cp->size &&
		(rc = parley_store_consistency(n->store, c->id, theirs.size, cp->size, proof, &np, err)))
		goto out;
	rc = parley_fail(err, PARLEY_E_VERIFY,
		"the receipt at %llu from %s holds a checkpoint of size %llu signed by the relay whose root is not the one "
		"this node verified at that size: the relay shows different histories to different parties (split view)",
		(unsigned long long)index, who ? who->key.name : "?", (unsigned long long)theirs.size);
	node_halt(n, c, "split view", &tb, note, (const uint8_t(*)[32])proof, np, mine, err);
out:
	parley_payload_release(&p);
	return rc;
}

/* A batched receipt's verified tree, to compare with the frontier's root at its size. */
struct tree_claim {
	uint64_t index, size;
	uint8_t root[32];
};

static int cmp_claim(const void *a, const void *b)
{
	uint64_t x = ((const struct tree_claim *)a)->size, y = ((const struct tree_claim *)b)->size;
	return x < y ? -1 : x > y;
}

/*
 * The first batched receipt whose tree is not this log's: the relay admitted what an honest
 * relay refuses. Noted while pages are stored, acted on after the receipts were looked at
 * (a recipient turns its checkpoint into a proof of the split view first).
 */
struct bad_receipt {
	bool seen;
	parley_err err;
};

static void bad_note(struct bad_receipt *b, const parley_err *e)
{
	if (!b->seen) {
		b->seen = true;
		b->err = *e;
	}
}

/*
 * Verify and store one fetched page [k, k + got): its root at k + got must be in the signed
 * tree. The entries, the node's state tables advanced over them (sc holds the chains after
 * them) and, for the last page, the checkpoint (note) commit in one transaction: a kill
 * leaves all of them or none.
 */
static parley_code store_page(parley_node *n, struct node_channel *c, parley_client *cl, parley_merkle_frontier *fr,
	const parley_checkpoint *cp, const parley_buf *note, const struct scan_ctx *sc, uint64_t k,
	const struct fetched *f, size_t got, struct bad_receipt *bad, parley_err *err)
{
	uint8_t root[32], proof[PARLEY_MERKLE_MAX_PROOF][32];
	uint64_t end = k + got;
	size_t np = 0;
	parley_store_item *items;
	parley_code rc;

	/* a batched receipt names the tree its writer verified: it must be this log's (admit.h). A tree
	 * below the page is read from the replica, one within it from the frontier as it grows */
	struct tree_claim *tc = NULL;
	size_t ntc = 0;
	for (size_t i = 0; i < got; i++) {
		parley_receipt_cover cov;
		parley_code rrc;
		if (f[i].e.h.type != PARLEY_T_RECEIPT || parley_receipt_covers(&f[i].e.h, f[i].index, &cov, NULL) ||
			cov.form != 2)
			continue;
		if (cov.size <= k) {
			parley_err e2 = { 0 };
			if ((rrc = parley_admit_receipt_root(n->store, c->id, &f[i].e.h, f[i].index, k, &e2)) == PARLEY_E_VERIFY)
				bad_note(bad, &e2);
			else if (rrc) {
				free(tc);
				*err = e2;
				return rrc;
			}
			continue;
		}
		struct tree_claim *ntc2 = realloc(tc, (ntc + 1) * sizeof(*tc));
		if (!ntc2) {
			free(tc);
			return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		}
		tc = ntc2;
		tc[ntc].index = f[i].index;
		tc[ntc].size = cov.size;
		memcpy(tc[ntc].root, cov.root, 32);
		ntc++;
	}
	if (ntc)
		qsort(tc, ntc, sizeof(*tc), cmp_claim);
	size_t next = 0;
	for (size_t i = 0; i < got; i++) {
		uint8_t h[32];
		parley_store_leaf_hash(h, f[i].data, f[i].len, f[i].ms);
		if (parley_merkle_frontier_append(fr, h, NULL, NULL)) {
			free(tc);
			return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		}
		for (; next < ntc && tc[next].size == k + i + 1; next++) {
			parley_merkle_frontier_root(fr, root);
			if (sodium_memcmp(root, tc[next].root, 32) != 0) {
				parley_err e2 = { 0 };
				parley_fail(&e2, PARLEY_E_VERIFY,
					"batched receipt at %llu: the root it names for the tree of size %llu is not this log's "
					"(its writer verified another history)", (unsigned long long)tc[next].index,
					(unsigned long long)tc[next].size);
				bad_note(bad, &e2);
			}
		}
	}
	free(tc);
	parley_merkle_frontier_root(fr, root);
	/* the last page ends at the signed size; an earlier one is a prefix of the signed tree
	 * exactly when a consistency proof from its size leads to the signed root (RFC 9162) */
	if (end < cp->size) {
		if ((rc = parley_remote_proof_consistency(cl, c->hex, end, cp->size, proof, &np, err)))
			return rc;
	}
	if (end < cp->size ? parley_merkle_verify_consistency(end, cp->size, root, cp->root, (const uint8_t(*)[32])proof,
				    np, NULL) != PARLEY_OK :
			     sodium_memcmp(root, cp->root, 32) != 0)
		return parley_fail(err, PARLEY_E_VERIFY,
			"entries %llu..%llu from the relay do not match the root its checkpoint signs (altered, dropped or reordered entries)",
			(unsigned long long)k, (unsigned long long)end - 1);
	if (!(items = calloc(got, sizeof(*items))))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	parley_wf_entry *hv = calloc(got, sizeof(*hv));
	if (!hv) {
		free(items);
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < got; i++) {
		items[i].data = f[i].data;
		items[i].len = f[i].len;
		items[i].integrated_ms = f[i].ms;
		hv[i].index = f[i].index;
		hv[i].ms = f[i].ms;
		hv[i].h = f[i].e.h;
	}
	uint8_t last[32];
	parley_entry_hash(f[got - 1].data, f[got - 1].len, last);
	if (!(rc = parley_store_begin(n->store, err))) {
		if ((rc = parley_store_append(n->store, c->id, items, got, NULL, NULL, err)) ||
			(rc = node_state_advance(n, c, sc, hv, got, last, err)) ||
			(end == cp->size &&
				(rc = parley_store_checkpoint_put(n->store, c->id, cp->size, (const char *)note->data, note->len, err))) ||
			(rc = parley_store_commit(n->store, err)))
			parley_store_rollback(n->store);
	}
	free(hv);
	free(items);
	return rc;
}

static bool push_u64(uint64_t **v, size_t *n, size_t *cap, uint64_t x)
{
	if (*n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 16;
		uint64_t *q = realloc(*v, ncap * sizeof(*q));
		if (!q)
			return false;
		*v = q;
		*cap = ncap;
	}
	(*v)[(*n)++] = x;
	return true;
}

/*
 * Entry i addressed to us by another sender: opened (opened >= 0: the pager's answer; -1:
 * open it here), then counted as received or undecryptable, or kept as a receipt whose
 * view is compared later. Nothing for our own entries or ones not addressed to us.
 */
static parley_code look_note(struct look *lk, const parley_seckey *me, uint64_t i, const parley_entry *e, int opened,
	parley_buf *pl, parley_err *err)
{
	if (parley_entry_recipient_index(e, me->pub.keyid) < 0 || memcmp(e->h.sender, me->pub.keyid, 4) == 0)
		return PARLEY_OK;
	if (opened < 0) {
		parley_buf_reset(pl);
		opened = parley_entry_open(e, me, pl, NULL, NULL) == PARLEY_OK;
	}
	if (!opened && !push_u64(&lk->unopened, &lk->nunopened, &lk->ucap, i))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	if (e->h.type != PARLEY_T_RECEIPT) {
		if (!opened)
			lk->undecryptable++;
		else if (e->h.type != PARLEY_T_UNREADABLE) /* a report on our own entry is no news */
			lk->received++;
	} else if (opened && !push_u64(&lk->receipts, &lk->nreceipts, &lk->rcap, i)) {
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	}
	return PARLEY_OK;
}

static void look_release(struct look *lk)
{
	free(lk->unopened);
	free(lk->receipts);
	memset(lk, 0, sizeof(*lk));
}

struct look_scan {
	struct look *lk;
	const parley_seckey *me;
	parley_buf pl;
	parley_err *err;
};

static parley_code look_cb(void *ctx, uint64_t i, uint64_t ms, const uint8_t *data, size_t len)
{
	struct look_scan *ls = ctx;
	parley_entry e;
	(void)ms;
	if (parley_entry_parse(data, len, &e, ls->err))
		return parley_wrap(ls->err, PARLEY_E_VERIFY, "replica entry %llu", (unsigned long long)i);
	return look_note(ls->lk, ls->me, i, &e, -1, &ls->pl, ls->err);
}

/*
 * What is new and addressed to us must decrypt; receipts show us their writer's view.
 * Once every page is stored (a split-view proof reaches the verified size), from the last
 * verified checkpoint on: [from, pre_from) read back from the replica (a sync killed
 * between pages looks at the pages it stored when it resumes), and what this sync's
 * pages showed as they were stored (pre, from pre_from on: the pager opened them).
 */
static parley_code look_at_new(struct node_session *s, const parley_buf *note, const parley_checkpoint *cp,
	uint64_t from, struct look *pre, uint64_t pre_from, parley_err *err)
{
	parley_node *n = s->n;
	struct node_channel *c = s->c;
	struct look lk;
	struct look_scan ls = { &lk, n->key, PARLEY_BUF_INIT, err };
	parley_buf raw = PARLEY_BUF_INIT;
	uint64_t upto = pre ? pre_from : cp->size;
	parley_code rc = PARLEY_OK;

	memset(&lk, 0, sizeof(lk));
	free(s->unopened);
	s->unopened = NULL;
	s->nunopened = 0;
	s->looked_from = s->looked_to = from;
	if (from < upto)
		rc = parley_store_entries(n->store, c->id, from, upto - from, look_cb, &ls, err);
	/* then this sync's pages, after the replica's older ones: both lists stay ascending */
	for (size_t k = 0; pre && !rc && k < pre->nunopened; k++)
		if (!push_u64(&lk.unopened, &lk.nunopened, &lk.ucap, pre->unopened[k]))
			rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	for (size_t k = 0; pre && !rc && k < pre->nreceipts; k++)
		if (!push_u64(&lk.receipts, &lk.nreceipts, &lk.rcap, pre->receipts[k]))
			rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	if (pre) {
		lk.received += pre->received;
		lk.undecryptable += pre->undecryptable;
	}
	s->rep.received += lk.received;
	s->rep.undecryptable += lk.undecryptable;
	/* the receipts' views, each read again (a few per sync: one per writer) */
	for (size_t k = 0; k < lk.nreceipts && !rc; k++) {
		parley_entry e;
		uint64_t ms;
		if ((rc = parley_store_entry(n->store, c->id, lk.receipts[k], &raw, &ms, err)) ||
			(rc = parley_entry_parse(raw.data, raw.len, &e, err)))
			break;
		parley_buf_reset(&ls.pl);
		if (parley_entry_open(&e, n->key, &ls.pl, NULL, NULL) == PARLEY_OK)
			rc = compare_views(n, c, note, cp, lk.receipts[k], &e, &ls.pl, err);
	}
	if (!rc) {
		s->unopened = lk.unopened; /* the session keeps them */
		s->nunopened = lk.nunopened;
		lk.unopened = NULL;
		s->looked_to = cp->size;
	}
	look_release(&lk);
	parley_buf_release(&raw);
	parley_buf_release(&ls.pl);
	return rc;
}

parley_code node_do_sync(struct node_session *s, parley_err *err)
{
	parley_node *n = s->n;
	struct node_channel *c = s->c;
	parley_client *cl = &s->cl;
	struct scan_ctx *sc = s->sc;
	parley_sync_report *rep = &s->rep;
	parley_buf note = PARLEY_BUF_INIT, stored = PARLEY_BUF_INIT, line = PARLEY_BUF_INIT;
	parley_buf pnote = PARLEY_BUF_INIT;
	parley_checkpoint cp, vcp, pcp;
	uint64_t L, V = 0, V0, vsize = 0;
	uint8_t proof[PARLEY_MERKLE_MAX_PROOF][32];
	size_t np;
	struct fetched *f = NULL;
	size_t got = 0;
	struct bad_receipt bad;
	struct look pre;
	struct pager pgr;
	parley_code rc;

	memset(&pre, 0, sizeof(pre));
	pgr.started = false;
	memset(rep, 0, sizeof(*rep));
	memset(&bad, 0, sizeof(bad));
	memset(&vcp, 0, sizeof(vcp));
	if (c->halted[0])
		return parley_fail(err, PARLEY_E_VERIFY,
			"this node stopped trusting the relay of channel %.16s: %s (run 'parley resume' after investigating)",
			c->hex, c->halted);
	/* every sender's chain from the node's state tables: no rescan of the replica */
	if ((rc = node_state_load(n, c, sc, err)))
		return parley_wrap(err, rc, "the local replica does not verify");
	if ((rc = parley_store_size(n->store, c->id, &L, err)))
		return rc;
	rep->old_size = rep->new_size = L;
	/* the last checkpoint this node verified */
	rc = parley_store_checkpoint_get(n->store, c->id, 0, &stored, &vsize, err);
	if (rc == PARLEY_OK) {
		if ((rc = node_check_checkpoint(c, (const char *)stored.data, stored.len, &vcp, err)))
			goto out;
		V = vcp.size;
	} else if (rc != PARLEY_E_NOTFOUND) {
		goto out;
	}
	V0 = V;
	/* a paged sync killed half-way: the checkpoint its stored pages are a prefix of binds the relay */
	if (node_paging_load(n, c, &pnote, &pcp) == PARLEY_OK && pcp.size > V && pcp.size >= L) {
		parley_buf tmp = stored;
		stored = pnote;
		pnote = tmp;
		vcp = pcp;
		V = pcp.size;
	}

	if ((rc = parley_remote_checkpoint(cl, c->hex, PARLEY_REMOTE_LATEST, &note, err)) || (rc = node_check_checkpoint(c, (const char *)note.data, note.len, &cp, err)))
		goto out;
	if (cp.size < V || cp.size < L) {
		/* a shorter log is a proof only when its root is not the one our verified tree has at its size
		 * (our replica gives that root and the consistency proof to the tree the relay signed before) */
		uint8_t mine[32];
		bool split = cp.size >= 1 && cp.size < V &&
			parley_store_root(n->store, c->id, cp.size, mine, NULL) == PARLEY_OK &&
			sodium_memcmp(mine, cp.root, 32) != 0 &&
			parley_store_consistency(n->store, c->id, cp.size, V, proof, &np, NULL) == PARLEY_OK;
		if (split)
			rc = parley_fail(err, PARLEY_E_VERIFY,
				"the relay's checkpoint has %llu entries, fewer than the %llu this node verified, and a root "
				"that is not the verified tree's at that size: it shows different histories (split view)",
				(unsigned long long)cp.size, (unsigned long long)V);
		else
			rc = parley_fail(err, PARLEY_E_VERIFY,
				"the relay's checkpoint has %llu entries, fewer than the %llu this node verified: the relay "
				"rolled its log back",
				(unsigned long long)cp.size, (unsigned long long)(V > L ? V : L));
		node_halt(n, c, split ? "split view" : "rollback", &stored, &note, split ? (const uint8_t(*)[32])proof : NULL,
			split ? np : 0, split ? mine : NULL, err);
		goto out;
	}
	if (V && cp.size == V && sodium_memcmp(cp.root, vcp.root, 32) != 0) {
		rc = parley_fail(err, PARLEY_E_VERIFY,
			"the relay signed two different roots for size %llu: it shows different histories (split view)",
			(unsigned long long)V);
		node_halt(n, c, "fork", &stored, &note, NULL, 0, NULL, err);
		goto out;
	}
	if (V && cp.size > V) {
		if ((rc = parley_remote_proof_consistency(cl, c->hex, V, cp.size, proof, &np, err)))
			goto out;
		if (parley_merkle_verify_consistency(V, cp.size, vcp.root, cp.root, (const uint8_t(*)[32])proof, np, NULL)) {
			/* the proof may still lead to the new root from another root at size V (it carries that root
			 * when V is not a power of two): then the relay's own proof shows its trees disagree */
			uint8_t theirs[32], ip[PARLEY_MERKLE_MAX_PROOF][32];
			size_t nip = 0;
			bool split = parley_merkle_consistency_old_root(V, cp.size, cp.root, (const uint8_t(*)[32])proof, np,
					     theirs, NULL) == PARLEY_OK &&
				sodium_memcmp(theirs, vcp.root, 32) != 0, by_inclusion = false, same = false;
			/* at a power of two the proof does not carry that root: the relay's entry V - 1 and its
			 * inclusion proof give it, with a proof that verifies (two requests, made only here) */
			if (!split && (V & (V - 1)) == 0 &&
				prefix_by_inclusion(cl, c, V, &cp, theirs, ip, &nip, NULL) == PARLEY_OK) {
				split = by_inclusion = sodium_memcmp(theirs, vcp.root, 32) != 0;
				same = !split;
			}
			if (split)
				rc = parley_fail(err, PARLEY_E_VERIFY,
					"the relay's checkpoint of size %llu is not a consistent extension of the verified size "
					"%llu: its own %s proof gives another root at that size (history was rewritten)",
					(unsigned long long)cp.size, (unsigned long long)V, by_inclusion ? "inclusion" : "consistency");
			else
				rc = parley_fail(err, PARLEY_E_VERIFY,
					"the relay's checkpoint of size %llu is not a consistent extension of the verified size "
					"%llu: the consistency proof it served does not verify (%s)",
					(unsigned long long)cp.size, (unsigned long long)V,
					same ? "yet its inclusion proof shows the verified tree at that size: the proof alone is wrong"
					     : "history may have been rewritten");
			node_halt(n, c, split ? "split view" : "inconsistent", &stored, &note,
				(const uint8_t(*)[32])(by_inclusion ? ip : proof), by_inclusion ? nip : np, split ? theirs : NULL, err);
			goto out;
		}
	}

	/* fetch, verify and store page by page: memory stays bounded and each stored page is kept */
	if (cp.size > L) {
		struct src_ctx sx = { n->store, c->id };
		parley_merkle_src src = { &sx, src_node };
		parley_merkle_frontier fr;
		uint64_t k = L;
		if ((rc = parley_merkle_frontier_load(&fr, &src, L, err)) || (rc = pager_start(&pgr, n, c, L, cp.size, n->page_entries, err)))
			goto out;
		while (k < cp.size) {
			if ((rc = fetch(cl, &pgr, c, sc, &pre, k, cp.size, n->page_entries, n->page_bytes, &f, &got, err)))
				goto out;
			rep->fetched += got;
			/* a sync killed before the checkpoint is stored keeps what its pages were checked against */
			if (k == L && (rc = paging_save(n, c, &note, err)))
				goto out;
			if ((rc = store_page(n, c, cl, &fr, &cp, &note, sc, k, f, got, &bad, err)))
				goto out;
			fetched_free(f, got);
			f = NULL;
			k += got;
			rep->pages++;
			parley_progress("sync", k - L, cp.size - L);
		}
		pager_stop(&pgr);
	}
	/* the last page stored it with its entries; with nothing new, it is stored alone */
	if (cp.size == L && (rc = parley_store_checkpoint_put(n->store, c->id, cp.size, (const char *)note.data, note.len, err)))
		goto out;
	paging_clear(n, c);
	rep->new_size = cp.size;

	if ((rc = look_at_new(s, &note, &cp, V0 < L ? V0 : L, cp.size > L ? &pre : NULL, L, err)))
		goto out;
	if (bad.seen) {
		*err = bad.err;
		rc = parley_wrap(err, PARLEY_E_VERIFY,
			"the relay served an entry an honest relay refuses (a split view, or a broken rule)");
		node_halt(n, c, "receipt of another history", &stored, &note, NULL, 0, NULL, err);
		goto out;
	}
	/* receipts and ping answers owed, from the whole replica: a sync killed half-way owes them still.
	 * An auditor writes nothing (the relay refuses it): it only verifies and cosigns. */
	if (!node_is_auditor(n, c)) {
		/* first what waits in the outbox (composed while the relay was unreachable), in order */
		struct chain *mine = node_chain_of(sc->chains, &sc->nchains, n->key->pub.keyid);
		if (mine && (rc = node_outbox_flush(n, c, mine, cl, &rep->outbox_sent, err)))
			goto out;
		if ((rc = node_duties(s, &note, err)))
			goto out;
	}

	/* cosign what we verified */
	{
		const char *blank = strstr((const char *)note.data, "\n\n");
		size_t tl = (size_t)(blank - (const char *)note.data) + 1;
		if ((rc = parley_note_cosign_line((const char *)note.data, tl, n->key, (uint64_t)time(NULL), &line, err)) ||
			(rc = parley_remote_cosign(cl, c->hex, cp.size, (const char *)line.data, err)))
			goto out;
		if ((rc = parley_store_cosig_put(n->store, c->id, cp.size, n->key->pub.name, (const char *)line.data, err)))
			goto out;
		rep->cosigned = true;
	}
	rc = PARLEY_OK;
out:
	look_release(&pre);
	pager_stop(&pgr);
	if (f)
		fetched_free(f, got);
	parley_buf_release(&note);
	parley_buf_release(&pnote);
	parley_buf_release(&stored);
	parley_buf_release(&line);
	return rc;
}

parley_code parley_node_sync(parley_node *n, const uint8_t id[32], parley_sync_report *rep, parley_err *err)
{
	struct node_session s;
	parley_code rc = node_session_open(n, id, &s, err);

	memcpy(rep, &s.rep, sizeof(*rep));
	node_session_close(&s);
	return rc;
}

parley_code parley_node_wait(parley_node *n, const uint8_t id[32], unsigned wait_s, bool *arrived, parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	parley_remote_page pg = PARLEY_REMOTE_PAGE_INIT;
	parley_client cl;
	uint64_t size;
	parley_code rc;

	*arrived = false;
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if (c->halted[0])
		return parley_fail(err, PARLEY_E_VERIFY,
			"this node stopped trusting the relay of channel %.16s: %s (run 'parley resume' after investigating)",
			c->hex, c->halted);
	if ((rc = parley_store_size(n->store, c->id, &size, err)) || (rc = node_client(n, c, &cl, err)))
		return rc;
	rc = parley_remote_entries(&cl, c->hex, size, 1,
		wait_s < PARLEY_REMOTE_WAIT_MAX ? wait_s : PARLEY_REMOTE_WAIT_MAX, &pg, err);
	if (!rc)
		*arrived = pg.n > 0 || pg.size > size;
	parley_remote_page_release(&pg);
	parley_client_release(&cl);
	return rc;
}
