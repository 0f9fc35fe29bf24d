/*
 * node_state.c - a node's incremental state: what a sync and `status` need, kept beside
 * the replica and advanced with the entries, in the same transaction, instead of
 * rescanning the replica.
 *
 * Per channel, in the store's node-state table (parley_store_state_*):
 *   "m"              the meta: entries folded (and the last one's hash), the last
 *                    integration time, the succession, closed threads, the layout tag
 *   "c" KEYID        a sender's chain head: sequence, hash, the quota day
 *   "t" BE64(opener) an open thread as the one obligation engine folded it
 *                    (parley_workflow_open_one / follow_one); deleted once it closes
 *   "o" BE64(index)  an entry addressed here that still owes a receipt (or an
 *                    unreadable report) or a ping answer
 *   "v" KEYID BE64(last) -> BE64(first)
 *                    what a writer's batched receipts have covered, as disjoint
 *                    intervals (each index is visited once per writer: cover_range)
 *   "d" BE64(due) BE64(opener)
 *                    a thread this node opened with a deadline neither met nor yet
 *                    recorded missed: due is the earliest such deadline. A sync's
 *                    deadline duties read the rows due by its clock, not every thread.
 *
 * The state is derived: a replica without it (an older parley), with another layout
 * (another build), or whose meta does not match its entries (a cut replica) gets it
 * rebuilt from the entries, in one transaction. `verify` recomputes everything from
 * scratch and compares (node_state_check).
 */
#include <stdlib.h>
#include <string.h>

#include "parley/receipt.h"
#include "parley/msg.h"
#include "parley/proof.h"
#include "parley/workflow.h"
#include "node_internal.h"
#include "banned.h"

#define NS_VERSION 2u
#define NS_BATCH 4096 /* entries folded per step of a rebuild */

/* A layout tag: the state is raw structs of this build, rebuilt when another build wrote it. */
struct ns_tag {
	uint32_t version, thread, obl, dlv, chain, succ, meta;
};

struct ns_meta {
	struct ns_tag tag;
	uint64_t size;    /* entries folded: [0, size) */
	uint8_t last[32]; /* hash of entry size - 1 (a replica cut and grown again differs) */
	uint64_t last_ms;
	uint64_t closed;  /* threads closed so far */
	parley_succession succ;
};

/* An owed row: what entry `index` addressed here still needs from this party. */
enum { OWE_RECEIPT = 1, OWE_ANSWER = 2 };

static struct ns_tag tag_now(void)
{
	struct ns_tag t;
	memset(&t, 0, sizeof(t));
	t.version = NS_VERSION;
	t.thread = (uint32_t)sizeof(parley_thread);
	t.obl = (uint32_t)sizeof(parley_obligation);
	t.dlv = (uint32_t)sizeof(parley_delivery);
	t.chain = (uint32_t)sizeof(struct chain);
	t.succ = (uint32_t)sizeof(parley_succession);
	t.meta = (uint32_t)sizeof(struct ns_meta);
	return t;
}

static void key_u64(uint8_t k[9], char kind, uint64_t v)
{
	k[0] = (uint8_t)kind;
	parley_put_u64(k + 1, v);
}

static uint64_t key_get_u64(const uint8_t *k)
{
	return parley_get_u64(k + 1);
}

/* ---- threads as blobs: the thread, its obligations, its deliveries ---- */

static parley_code thread_encode(const parley_workflow *one, parley_buf *out)
{
	parley_thread t;
	memcpy(&t, one->threads, sizeof(t)); /* padding too: verify compares bytes */
	uint32_t no = (uint32_t)t.nobl, nd = (uint32_t)t.ndlv;
	parley_buf_reset(out);
	t.obl_first = t.dlv_first = 0;
	if (parley_buf_add(out, &no, sizeof(no)) || parley_buf_add(out, &nd, sizeof(nd)) ||
		parley_buf_add(out, &t, sizeof(t)) || (no && parley_buf_add(out, one->obl, no * sizeof(*one->obl))) ||
		(nd && parley_buf_add(out, one->dlv, nd * sizeof(*one->dlv))))
		return PARLEY_E_NOMEM;
	return PARLEY_OK;
}

/* one is replaced (release it); PARLEY_E_FORMAT when the blob is not a thread of this layout. */
static parley_code thread_decode(const uint8_t *v, size_t n, parley_workflow *one)
{
	uint32_t no, nd;
	memset(one, 0, sizeof(*one));
	if (n < 8)
		return PARLEY_E_FORMAT;
	memcpy(&no, v, 4);
	memcpy(&nd, v + 4, 4);
	if (no > 2 * PARLEY_ENTRY_MAX_RECIP || nd > PARLEY_ENTRY_MAX_RECIP ||
		n != 8 + sizeof(parley_thread) + no * sizeof(parley_obligation) + nd * sizeof(parley_delivery))
		return PARLEY_E_FORMAT;
	one->threads = malloc(sizeof(parley_thread));
	one->obl = malloc((no ? no : 1) * sizeof(parley_obligation));
	one->dlv = malloc((nd ? nd : 1) * sizeof(parley_delivery));
	if (!one->threads || !one->obl || !one->dlv) {
		parley_workflow_release(one);
		return PARLEY_E_NOMEM;
	}
	memcpy(one->threads, v + 8, sizeof(parley_thread));
	memcpy(one->obl, v + 8 + sizeof(parley_thread), no * sizeof(parley_obligation));
	memcpy(one->dlv, v + 8 + sizeof(parley_thread) + no * sizeof(parley_obligation), nd * sizeof(parley_delivery));
	one->nthreads = 1;
	one->nobl = no;
	one->ndlv = nd;
	if (one->threads[0].nobl != no || one->threads[0].ndlv != nd) {
		parley_workflow_release(one);
		return PARLEY_E_FORMAT;
	}
	return PARLEY_OK;
}

/*
 * The earliest deadline of a thread `me` opened that is neither met nor recorded missed
 * by its deadline-missed entry (0: none, or a closed thread, or one opened by another
 * party). The deadline duties (record_deadlines) look at a thread only once this has
 * passed; whether the obligation is overdue is still the engine's judgement.
 */
static uint64_t thread_due(const parley_thread *t, const parley_obligation *obl, const uint8_t me[4])
{
	uint64_t due = 0;
	if (t->closed_ms || memcmp(t->requester, me, 4) != 0)
		return 0;
	for (size_t i = 0; i < t->nobl; i++) {
		const parley_obligation *o = &obl[i];
		uint64_t rec = o->kind == PARLEY_OBL_ACKNOWLEDGE ? t->missed_ack_ms : t->missed_respond_ms;
		if (o->has_entry || rec || !o->deadline_ms)
			continue;
		if (!due || o->deadline_ms < due)
			due = o->deadline_ms;
	}
	return due;
}

static void key_due(uint8_t k[17], uint64_t due, uint64_t opener)
{
	k[0] = 'd';
	parley_put_u64(k + 1, due);
	parley_put_u64(k + 9, opener);
}

/* ---- the fold: entries in index order into the state ---- */

/* A thread touched by the fold so far (open-addressed by opener). */
struct slot {
	bool used, dirty, gone; /* gone: closed (or never loaded): deleted at the flush */
	uint64_t opener;
	uint64_t due; /* the "d" row the store holds for it (thread_due when loaded; 0: none) */
	parley_workflow one;
};

struct owed_slot {
	bool used;
	uint64_t index;
	uint8_t flags; /* 0: delete */
};

struct fold {
	parley_node *n;
	struct node_channel *c;
	parley_store *st;
	bool persist; /* write to the store at flush (false: in memory only, for node_state_check) */
	struct slot *t;
	size_t tcap, tn;
	struct owed_slot *o;
	size_t ocap, on;
	uint64_t closed;
	parley_err *err;
	/* in memory only (!persist): per batched-receipt writer, next-uncovered links over [0, limit] */
	uint64_t limit;
	struct {
		uint8_t kid[4];
		size_t *next;
	} cov[PARLEY_MAX_PARTIES];
	size_t ncov;
};

static size_t hash_u64(uint64_t v, size_t cap)
{
	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return (size_t)(v & (cap - 1));
}

static bool grow_threads(struct fold *f)
{
	if ((f->tn + 1) * 2 <= f->tcap)
		return true;
	size_t ncap = f->tcap ? f->tcap * 2 : 256;
	struct slot *nt = calloc(ncap, sizeof(*nt));
	if (!nt)
		return false;
	for (size_t i = 0; i < f->tcap; i++)
		if (f->t[i].used) {
			size_t h = hash_u64(f->t[i].opener, ncap);
			while (nt[h].used)
				h = (h + 1) & (ncap - 1);
			nt[h] = f->t[i];
		}
	free(f->t);
	f->t = nt;
	f->tcap = ncap;
	return true;
}

static struct slot *slot_find(struct fold *f, uint64_t opener, bool add)
{
	if (add && !grow_threads(f))
		return NULL;
	if (!f->tcap)
		return NULL;
	size_t h = hash_u64(opener, f->tcap);
	while (f->t[h].used) {
		if (f->t[h].opener == opener)
			return &f->t[h];
		h = (h + 1) & (f->tcap - 1);
	}
	if (!add)
		return NULL;
	f->t[h].used = true;
	f->t[h].opener = opener;
	f->tn++;
	return &f->t[h];
}

static struct owed_slot *owed_find(struct fold *f, uint64_t index, bool add)
{
	if (add && (f->on + 1) * 2 > f->ocap) {
		size_t ncap = f->ocap ? f->ocap * 2 : 256;
		struct owed_slot *no = calloc(ncap, sizeof(*no));
		if (!no)
			return NULL;
		for (size_t i = 0; i < f->ocap; i++)
			if (f->o[i].used) {
				size_t h = hash_u64(f->o[i].index, ncap);
				while (no[h].used)
					h = (h + 1) & (ncap - 1);
				no[h] = f->o[i];
			}
		free(f->o);
		f->o = no;
		f->ocap = ncap;
	}
	if (!f->ocap)
		return NULL;
	size_t h = hash_u64(index, f->ocap);
	while (f->o[h].used) {
		if (f->o[h].index == index)
			return &f->o[h];
		h = (h + 1) & (f->ocap - 1);
	}
	if (!add)
		return NULL;
	f->o[h].used = true;
	f->o[h].index = index;
	f->on++;
	return &f->o[h];
}

static void fold_release(struct fold *f)
{
	for (size_t i = 0; i < f->tcap; i++)
		if (f->t[i].used)
			parley_workflow_release(&f->t[i].one);
	free(f->t);
	free(f->o);
	for (size_t i = 0; i < f->ncov; i++)
		free(f->cov[i].next);
	f->ncov = 0;
	f->t = NULL;
	f->o = NULL;
	f->tcap = f->tn = f->ocap = f->on = 0;
}

/* The thread of opener as folded so far: from this fold, else from the store; NULL when not open. */
static parley_code fold_thread(struct fold *f, uint64_t opener, struct slot **out)
{
	parley_buf b = PARLEY_BUF_INIT;
	uint8_t k[9];
	parley_code rc;
	struct slot *s = slot_find(f, opener, false);

	*out = NULL;
	if (s) {
		*out = s->gone ? NULL : s;
		return PARLEY_OK;
	}
	if (!f->persist)
		return PARLEY_OK; /* in memory, every thread of the log is in the fold */
	key_u64(k, 't', opener);
	rc = parley_store_state_get(f->st, f->c->id, k, sizeof(k), &b, f->err);
	if (rc == PARLEY_E_NOTFOUND) {
		parley_buf_release(&b);
		return PARLEY_OK;
	}
	if (!rc) {
		if (!(s = slot_find(f, opener, true)))
			rc = parley_fail(f->err, PARLEY_E_NOMEM, "out of memory");
		else if ((rc = thread_decode(b.data, b.len, &s->one)))
			rc = parley_fail(f->err, PARLEY_E_VERIFY, "node state: thread %llu does not decode",
				(unsigned long long)opener);
		else {
			s->due = thread_due(s->one.threads, s->one.obl, f->n->key->pub.keyid);
			*out = s;
		}
		if (rc && s)
			s->gone = true;
	}
	parley_buf_release(&b);
	return rc;
}

/* The owed flags of index so far: from this fold, else from the store (0: none). */
static parley_code fold_owed(struct fold *f, uint64_t index, struct owed_slot **out)
{
	parley_buf b = PARLEY_BUF_INIT;
	uint8_t k[9];
	parley_code rc = PARLEY_OK;
	struct owed_slot *s = owed_find(f, index, false);

	*out = s;
	if (s || !f->persist)
		return PARLEY_OK;
	key_u64(k, 'o', index);
	rc = parley_store_state_get(f->st, f->c->id, k, sizeof(k), &b, f->err);
	if (rc == PARLEY_E_NOTFOUND)
		rc = PARLEY_OK;
	else if (!rc) {
		if (!(s = owed_find(f, index, true)))
			rc = parley_fail(f->err, PARLEY_E_NOMEM, "out of memory");
		else
			s->flags = b.len == 1 ? b.data[0] : 0;
		*out = s;
	}
	parley_buf_release(&b);
	return rc;
}

/* What batched receipt e says about entry x, in x's thread (as the engine's cover_entry). */
static parley_code cover_index(struct fold *f, const parley_wf_entry *e, uint64_t x, parley_buf *xb)
{
	parley_entry xe;
	parley_wf_entry xw;
	uint64_t xop;
	struct slot *s;
	parley_code rc;

	if ((rc = parley_store_entry(f->st, f->c->id, x, xb, &xw.ms, f->err)) ||
		(rc = parley_entry_parse(xb->data, xb->len, &xe, f->err)))
		return rc;
	xw.index = x;
	xw.h = xe.h;
	if (!parley_workflow_thread_of(&xw.h, x, &xop))
		return PARLEY_OK;
	if ((rc = fold_thread(f, xop, &s)))
		return rc;
	if (s) {
		parley_workflow_cover_one(&s->one, e, &xw);
		s->dirty = true;
	}
	return PARLEY_OK;
}

/*
 * Each index is visited once per writer of batched receipts, as the engine visits it
 * (cover_entry is idempotent, so this changes no result): a writer re-covering the
 * whole log in every receipt costs nothing more than its new indexes. What a writer
 * has covered is kept as disjoint intervals, merged when they touch: rows
 * "v" KEYID BE64(last) -> BE64(first), found by an ordered seek (in memory for check:
 * next-uncovered links, as in lib/workflow.c).
 */
struct iv_scan {
	uint64_t hi; /* the range being added ends here (inclusive) */
	uint64_t (*iv)[2];
	size_t n, cap;
};

static parley_code iv_cb(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
	struct iv_scan *sc = ctx;
	if (klen != 13 || vlen != 8)
		return PARLEY_E_FORMAT;
	uint64_t last = parley_get_u64(key + 5), first = parley_get_u64(val);
	if (first > last)
		return PARLEY_E_FORMAT;
	if (first > sc->hi + 1) /* hi < a receipt's own index: no overflow */
		return PARLEY_E_PENDING; /* past the range: stop */
	if (sc->n == sc->cap) {
		size_t nc = sc->cap ? 2 * sc->cap : 8;
		void *q = realloc(sc->iv, nc * sizeof(*sc->iv));
		if (!q)
			return PARLEY_E_NOMEM;
		sc->iv = q;
		sc->cap = nc;
	}
	sc->iv[sc->n][0] = first;
	sc->iv[sc->n][1] = last;
	sc->n++;
	return PARLEY_OK;
}

static parley_code cover_range_mem(struct fold *f, const parley_wf_entry *e, uint64_t lo, uint64_t hi, parley_buf *xb)
{
	size_t w = 0, *nx;
	parley_code rc;

	while (w < f->ncov && memcmp(f->cov[w].kid, e->h.sender, 4) != 0)
		w++;
	if (w == f->ncov) {
		if (w == PARLEY_MAX_PARTIES || f->limit >= SIZE_MAX / sizeof(size_t) - 1)
			return parley_fail(f->err, PARLEY_E_LIMIT, "node state: too many writers of batched receipts");
		if (!(f->cov[w].next = malloc(((size_t)f->limit + 1) * sizeof(size_t))))
			return parley_fail(f->err, PARLEY_E_NOMEM, "out of memory");
		for (size_t p = 0; p <= f->limit; p++)
			f->cov[w].next[p] = p;
		memcpy(f->cov[w].kid, e->h.sender, 4);
		f->ncov++;
	}
	nx = f->cov[w].next;
	if (hi >= f->limit)
		return parley_fail(f->err, PARLEY_E_VERIFY, "node state: a receipt covers entries past the replica");
	for (size_t p = (size_t)lo;; p++) {
		size_t root = p;
		while (nx[root] != root)
			root = nx[root];
		while (nx[p] != root) {
			size_t q = nx[p];
			nx[p] = root;
			p = q;
		}
		p = root;
		if (p > hi)
			break;
		nx[p] = p + 1;
		if ((rc = cover_index(f, e, p, xb)))
			return rc;
	}
	return PARLEY_OK;
}

static parley_code cover_range(struct fold *f, const parley_wf_entry *e, uint64_t lo, uint64_t hi, parley_buf *xb)
{
	struct iv_scan sc = { hi, NULL, 0, 0 };
	uint8_t k[13], from[13], v[8];
	parley_code rc;

	if (!f->persist)
		return cover_range_mem(f, e, lo, hi, xb);
	from[0] = 'v';
	memcpy(from + 1, e->h.sender, 4);
	parley_put_u64(from + 5, lo ? lo - 1 : 0); /* from the interval that ends just before lo on */
	rc = parley_store_state_scan_from(f->st, f->c->id, from, 5, from, sizeof(from), iv_cb, &sc, f->err);
	if (rc == PARLEY_E_PENDING)
		rc = PARLEY_OK;
	else if (rc == PARLEY_E_FORMAT)
		rc = parley_fail(f->err, PARLEY_E_VERIFY, "node state: a covered-range row does not decode");
	else if (rc == PARLEY_E_NOMEM)
		rc = parley_fail(f->err, PARLEY_E_NOMEM, "out of memory");
	/* the gaps of [lo, hi] between the intervals that touch it are new */
	uint64_t cur = lo, first = lo, last = hi;
	for (size_t i = 0; !rc && i <= sc.n; i++) {
		uint64_t stop = i < sc.n ? sc.iv[i][0] : hi + 1; /* exclusive */
		for (uint64_t x = cur; !rc && x < stop && x <= hi; x++)
			rc = cover_index(f, e, x, xb);
		if (i < sc.n) {
			if (sc.iv[i][1] + 1 > cur)
				cur = sc.iv[i][1] + 1;
			if (sc.iv[i][0] < first)
				first = sc.iv[i][0];
			if (sc.iv[i][1] > last)
				last = sc.iv[i][1];
		}
	}
	/* one interval in their place */
	memcpy(k, from, 5);
	for (size_t i = 0; !rc && i < sc.n; i++) {
		parley_put_u64(k + 5, sc.iv[i][1]);
		rc = parley_store_state_put(f->st, f->c->id, k, sizeof(k), NULL, 0, f->err);
	}
	if (!rc) {
		parley_put_u64(k + 5, last);
		parley_put_u64(v, first);
		rc = parley_store_state_put(f->st, f->c->id, k, sizeof(k), v, sizeof(v), f->err);
	}
	free(sc.iv);
	return rc;
}

/*
 * What one entry changes: its thread (the engine's fold), and what this party owes.
 * The duties mirror answer_owed's reading of the log: an entry from another party,
 * addressed here, that is neither a receipt, an unreadable report, a handover nor PSI,
 * owes a receipt (or a report) until our receipt or report names it, and a ping owes
 * an answer until our ping-response names it.
 */
static parley_code fold_entry(struct fold *f, const parley_wf_entry *e)
{
	const parley_entry_hdr *h = &e->h;
	const uint8_t *me = f->n->key->pub.keyid;
	struct slot *s;
	uint64_t opener;
	parley_code rc;

	/* a batched receipt: what it says about each entry it covers, in that entry's thread */
	parley_receipt_cover cov;
	if (h->type == PARLEY_T_RECEIPT && parley_receipt_covers(h, e->index, &cov, NULL) == PARLEY_OK && cov.form == 2) {
		parley_buf xb = PARLEY_BUF_INIT;
		rc = PARLEY_OK;
		for (unsigned r = 0; !rc && r < cov.n; r++)
			rc = cover_range(f, e, cov.first[r], cov.last[r], &xb);
		parley_buf_release(&xb);
		if (rc)
			return rc;
	}
	if (parley_workflow_thread_of(h, e->index, &opener)) {
		if (opener == e->index) {
			if (!(s = slot_find(f, opener, true)))
				return parley_fail(f->err, PARLEY_E_NOMEM, "out of memory");
			parley_workflow_release(&s->one);
			if ((rc = parley_workflow_open_one(f->c->charter, e, &s->one, f->err)))
				return rc;
			s->dirty = true;
			s->gone = false;
		} else {
			if ((rc = fold_thread(f, opener, &s)))
				return rc;
			if (s) {
				parley_workflow_follow_one(&s->one, e);
				s->dirty = true;
				if (s->one.threads[0].closed_ms) { /* closed: status no longer shows it */
					s->gone = true;
					f->closed++;
				}
			}
		}
	}
	if (memcmp(h->sender, me, 4) == 0) {
		struct owed_slot *o;
		if (!h->nrefs || (h->type != PARLEY_T_RECEIPT && h->type != PARLEY_T_PING_RESPONSE &&
					 h->type != PARLEY_T_UNREADABLE))
			return PARLEY_OK;
		if (h->type == PARLEY_T_RECEIPT) {
			/* every entry our receipt covers (either form, receipt.h) is receipted */
			if (parley_receipt_covers(h, e->index, &cov, NULL))
				return PARLEY_OK;
			for (unsigned r = 0; r < cov.n; r++)
				for (uint64_t x = cov.first[r]; x <= cov.last[r]; x++) {
					if ((rc = fold_owed(f, x, &o)))
						return rc;
					if (o)
						o->flags &= (uint8_t)~OWE_RECEIPT;
					if (x == cov.last[r])
						break;
				}
			return PARLEY_OK;
		}
		if ((rc = fold_owed(f, h->refs[0], &o)) || !o)
			return rc;
		if (h->type == PARLEY_T_PING_RESPONSE)
			o->flags &= (uint8_t)~OWE_ANSWER;
		else
			o->flags = 0; /* reported unreadable: nothing more is owed */
		return PARLEY_OK;
	}
	if (h->type == PARLEY_T_RECEIPT || h->type == PARLEY_T_UNREADABLE || h->type == PARLEY_T_HANDOVER ||
		parley_type_is_psi(h->type))
		return PARLEY_OK;
	bool for_me = false;
	for (unsigned k = 0; k < h->nrecip; k++)
		if (memcmp(h->recip[k], me, 4) == 0)
			for_me = true;
	if (!for_me)
		return PARLEY_OK;
	struct owed_slot *o = owed_find(f, e->index, true);
	if (!o)
		return parley_fail(f->err, PARLEY_E_NOMEM, "out of memory");
	o->flags = (uint8_t)(OWE_RECEIPT | (h->type == PARLEY_T_PING ? OWE_ANSWER : 0));
	return PARLEY_OK;
}

/* Write what the fold changed (threads, owed rows) and forget it. */
static int cmp_slot(const void *a, const void *b)
{
	uint64_t x = (*(struct slot *const *)a)->opener, y = (*(struct slot *const *)b)->opener;
	return x < y ? -1 : x > y;
}

static int cmp_owed_slot(const void *a, const void *b)
{
	uint64_t x = (*(struct owed_slot *const *)a)->index, y = (*(struct owed_slot *const *)b)->index;
	return x < y ? -1 : x > y;
}

/*
 * Write the fold's threads and owed rows, in key order: a first sync writes tens of
 * thousands of rows, and the store's B-tree takes ordered keys as appends (in hash
 * order they cost about three times as much).
 */
static parley_code fold_flush(struct fold *f)
{
	parley_buf b = PARLEY_BUF_INIT;
	uint8_t k[9], dk[17];
	size_t nd = 0, no = 0;
	parley_code rc = PARLEY_OK;
	struct slot **ts = calloc(f->tn ? f->tn : 1, sizeof(*ts));
	struct owed_slot **os = calloc(f->on ? f->on : 1, sizeof(*os));

	if (!ts || !os) {
		free(ts);
		free(os);
		fold_release(f);
		return parley_fail(f->err, PARLEY_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < f->tcap; i++)
		if (f->t[i].used && f->t[i].dirty)
			ts[nd++] = &f->t[i];
	for (size_t i = 0; i < f->ocap; i++)
		if (f->o[i].used)
			os[no++] = &f->o[i];
	qsort(ts, nd, sizeof(*ts), cmp_slot);
	qsort(os, no, sizeof(*os), cmp_owed_slot);
	for (size_t i = 0; i < nd && !rc; i++) {
		struct slot *s = ts[i];
		uint64_t due = s->gone ? 0 : thread_due(s->one.threads, s->one.obl, f->n->key->pub.keyid);
		key_u64(k, 't', s->opener);
		if (s->gone)
			rc = parley_store_state_put(f->st, f->c->id, k, sizeof(k), NULL, 0, f->err);
		else if (thread_encode(&s->one, &b))
			rc = parley_fail(f->err, PARLEY_E_NOMEM, "out of memory");
		else
			rc = parley_store_state_put(f->st, f->c->id, k, sizeof(k), b.data, b.len, f->err);
		if (!rc && due != s->due) {
			if (s->due) {
				key_due(dk, s->due, s->opener);
				rc = parley_store_state_put(f->st, f->c->id, dk, sizeof(dk), NULL, 0, f->err);
			}
			if (!rc && due) {
				key_due(dk, due, s->opener);
				rc = parley_store_state_put(f->st, f->c->id, dk, sizeof(dk), (const uint8_t *)"", 0, f->err);
			}
			if (!rc)
				s->due = due;
		}
	}
	for (size_t i = 0; i < no && !rc; i++) {
		struct owed_slot *o = os[i];
		key_u64(k, 'o', o->index);
		rc = parley_store_state_put(f->st, f->c->id, k, sizeof(k), o->flags ? &o->flags : NULL, 1, f->err);
	}
	free(ts);
	free(os);
	parley_buf_release(&b);
	fold_release(f);
	return rc;
}

/* ---- meta and chains ---- */

static parley_code meta_get(parley_node *n, struct node_channel *c, struct ns_meta *m, parley_err *err)
{
	parley_buf b = PARLEY_BUF_INIT;
	struct ns_tag t = tag_now();
	parley_code rc = parley_store_state_get(n->store, c->id, (const uint8_t *)"m", 1, &b, err);
	if (!rc && (b.len != sizeof(*m) || memcmp(b.data, &t, sizeof(t)) != 0))
		rc = PARLEY_E_NOTFOUND; /* another layout: rebuilt */
	if (!rc)
		memcpy(m, b.data, sizeof(*m));
	parley_buf_release(&b);
	return rc;
}

/* Write chains and meta from sc, for a state that has folded [0, sc->count). */
static parley_code meta_put(parley_node *n, struct node_channel *c, const struct scan_ctx *sc, uint64_t size,
	uint64_t closed, const uint8_t last[32], parley_err *err)
{
	struct ns_meta m;
	parley_code rc = PARLEY_OK;

	for (size_t i = 0; i < sc->nchains && !rc; i++) {
		uint8_t k[5] = { 'c' };
		struct chain ch;
		memset(&ch, 0, sizeof(ch));
		memcpy(ch.keyid, sc->chains[i].keyid, 4);
		ch.seq = sc->chains[i].seq;
		memcpy(ch.hash, sc->chains[i].hash, 32);
		ch.quota = sc->chains[i].quota;
		memcpy(k + 1, ch.keyid, 4);
		rc = parley_store_state_put(n->store, c->id, k, sizeof(k), (const uint8_t *)&ch, sizeof(ch), err);
	}
	if (rc)
		return rc;
	memset(&m, 0, sizeof(m));
	m.tag = tag_now();
	m.size = size;
	memcpy(m.last, last, 32);
	m.last_ms = sc->last_ms;
	m.closed = closed;
	m.succ = sc->succ;
	return parley_store_state_put(n->store, c->id, (const uint8_t *)"m", 1, (const uint8_t *)&m, sizeof(m), err);
}

static parley_code chain_cb(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
	struct scan_ctx *sc = ctx;
	if (klen != 5 || vlen != sizeof(struct chain) || sc->nchains == PARLEY_MAX_PARTIES)
		return PARLEY_E_FORMAT;
	memcpy(&sc->chains[sc->nchains], val, sizeof(struct chain));
	if (memcmp(sc->chains[sc->nchains].keyid, key + 1, 4) != 0)
		return PARLEY_E_FORMAT;
	sc->nchains++;
	return PARLEY_OK;
}

static void scan_init(parley_node *n, struct node_channel *c, struct scan_ctx *sc, parley_err *err)
{
	memset(sc, 0, sizeof(*sc));
	sc->ch = c->charter;
	sc->id = c->id;
	sc->store = n->store;
	sc->node = n;
	parley_succession_init(&sc->succ);
	sc->err = err;
}

/* ---- catching up: folding entries the state has not seen (a migration, a rebuild) ---- */

struct catchup {
	struct fold *f;
	struct scan_ctx *sc;
	uint8_t last[32];
	parley_code rc;
};

static parley_code catchup_cb(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct catchup *cu = ctx;
	struct scan_ctx *s = cu->sc;
	parley_wf_entry we;
	parley_entry e;
	struct chain *ch;
	parley_code rc;

	if (index != s->count)
		return parley_fail(s->err, PARLEY_E_VERIFY, "replica: entry %llu is missing", (unsigned long long)s->count);
	s->count++;
	if (parley_entry_parse(data, len, &e, s->err))
		return parley_wrap(s->err, PARLEY_E_VERIFY, "replica entry %llu", (unsigned long long)index);
	if (!(ch = node_chain_of(s->chains, &s->nchains, e.h.sender)))
		return parley_fail(s->err, PARLEY_E_VERIFY, "replica: too many senders");
	ch->seq = e.h.seq;
	parley_entry_hash(data, len, ch->hash);
	memcpy(cu->last, ch->hash, 32);
	s->last_ms = ms;
	parley_quota_count(&ch->quota, ms, len);
	struct node_charter_look cl = { s->node, NULL };
	if ((rc = parley_succession_follow(s->ch, &s->succ, &e.h, index, ms, node_charter_lookup, &cl, s->err)))
		return rc;
	memset(&we, 0, sizeof(we));
	we.index = index;
	we.ms = ms;
	we.h = e.h;
	return fold_entry(cu->f, &we);
}

/*
 * Fold [from, size) into the state in steps of NS_BATCH entries, writing each step,
 * inside the caller's transaction. sc holds the chains after `from` and gets them after size.
 */
static parley_code catch_up(parley_node *n, struct node_channel *c, struct scan_ctx *sc, uint64_t closed,
	const uint8_t last_in[32], uint64_t size, parley_err *err)
{
	struct fold f = { .n = n, .c = c, .st = n->store, .persist = true, .closed = closed, .err = err };
	struct catchup cu = { &f, sc, { 0 }, PARLEY_OK };
	parley_code rc = PARLEY_OK;

	memcpy(cu.last, last_in, 32);
	do {
		uint64_t step = size - sc->count < NS_BATCH ? size - sc->count : NS_BATCH;
		if ((step && (rc = parley_store_entries(n->store, c->id, sc->count, step, catchup_cb, &cu, err))) ||
			(rc = fold_flush(&f)))
			break;
		rc = meta_put(n, c, sc, sc->count, f.closed, cu.last, err);
	} while (sc->count < size && !rc);
	fold_release(&f);
	return rc;
}

/*
 * Read the state into sc: *fresh when it must be rebuilt from nothing (missing, another
 * layout, or not the replica's: more entries than the replica, or another last entry),
 * else sc holds it, *closed and last its meta, and *size the replica's size.
 */
static parley_code state_read(parley_node *n, struct node_channel *c, struct scan_ctx *sc, bool *fresh,
	uint64_t *closed, uint8_t last[32], uint64_t *size, parley_err *err)
{
	struct ns_meta m;
	parley_buf b = PARLEY_BUF_INIT;
	parley_code rc;

	scan_init(n, c, sc, err);
	*closed = 0;
	memset(last, 0, 32);
	if ((rc = parley_store_size(n->store, c->id, size, err)))
		return rc;
	rc = meta_get(n, c, &m, err);
	if (rc && rc != PARLEY_E_NOTFOUND)
		return rc;
	*fresh = rc == PARLEY_E_NOTFOUND || m.size > *size;
	if (!*fresh && m.size) { /* the entry the state ends at is still the replica's */
		uint8_t h[32];
		if ((rc = parley_store_entry(n->store, c->id, m.size - 1, &b, NULL, err))) {
			parley_buf_release(&b);
			return rc;
		}
		parley_entry_hash(b.data, b.len, h);
		*fresh = memcmp(h, m.last, 32) != 0;
		parley_buf_release(&b);
	}
	if (*fresh)
		return PARLEY_OK;
	rc = parley_store_state_scan(n->store, c->id, (const uint8_t *)"c", 1, chain_cb, sc, err);
	if (rc == PARLEY_E_FORMAT) {
		scan_init(n, c, sc, err);
		*fresh = true;
		return PARLEY_OK;
	}
	if (rc)
		return rc;
	sc->count = m.size;
	sc->last_ms = m.last_ms;
	sc->succ = m.succ;
	*closed = m.closed;
	memcpy(last, m.last, 32);
	return PARLEY_OK;
}

parley_code node_state_load(parley_node *n, struct node_channel *c, struct scan_ctx *sc, parley_err *err)
{
	uint64_t size, closed;
	uint8_t last[32];
	bool fresh = false;
	parley_code rc;

	if ((rc = state_read(n, c, sc, &fresh, &closed, last, &size, err)))
		return rc;
	if (!fresh && sc->count == size)
		return PARLEY_OK; /* the usual case: nothing to do */
	/*
	 * An older replica, another layout, or entries the state has not followed: one
	 * transaction, which reads everything again under the write lock (a sync may have
	 * committed entries and state between the reads above).
	 */
	if ((rc = parley_store_begin(n->store, err)))
		return rc;
	if ((rc = state_read(n, c, sc, &fresh, &closed, last, &size, err)) ||
		(fresh && (rc = parley_store_state_clear(n->store, c->id, err))) ||
		(rc = catch_up(n, c, sc, closed, last, size, err)) || (rc = parley_store_commit(n->store, err))) {
		parley_store_rollback(n->store);
		scan_init(n, c, sc, err);
	}
	return rc;
}

parley_code node_state_advance(parley_node *n, struct node_channel *c, const struct scan_ctx *sc,
	const parley_wf_entry *v, size_t count, const uint8_t last[32], parley_err *err)
{
	struct ns_meta m;
	struct fold f = { .n = n, .c = c, .st = n->store, .persist = true, .err = err };
	parley_code rc;

	if ((rc = meta_get(n, c, &m, err)))
		return rc == PARLEY_E_NOTFOUND ? parley_fail(err, PARLEY_E_VERIFY, "node state: missing") : rc;
	if (count && m.size != v[0].index)
		return parley_fail(err, PARLEY_E_VERIFY, "node state: it follows %llu entries, not %llu",
			(unsigned long long)m.size, (unsigned long long)v[0].index);
	f.closed = m.closed;
	for (size_t i = 0; i < count && !rc; i++)
		rc = fold_entry(&f, &v[i]);
	if (!rc)
		rc = fold_flush(&f);
	fold_release(&f);
	return rc ? rc : meta_put(n, c, sc, count ? v[count - 1].index + 1 : m.size, f.closed, count ? last : m.last, err);
}

/* ---- reading: open threads, owed duties ---- */

struct wf_collect {
	parley_workflow *wf;
	size_t tcap, ocap, dcap;
};

static parley_code thread_cb(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
	struct wf_collect *w = ctx;
	parley_workflow one, *wf = w->wf;
	parley_code rc;
	(void)key;
	if (klen != 9)
		return PARLEY_E_FORMAT;
	if ((rc = thread_decode(val, vlen, &one)))
		return rc;
	if (wf->nthreads == w->tcap || wf->nobl + one.nobl > w->ocap || wf->ndlv + one.ndlv > w->dcap) {
		size_t tc = w->tcap ? w->tcap * 2 : 16, oc = w->ocap * 2 + one.nobl + 32, dc = w->dcap * 2 + one.ndlv + 16;
		parley_thread *t = realloc(wf->threads, tc * sizeof(*t));
		if (t)
			wf->threads = t;
		parley_obligation *o = t ? realloc(wf->obl, oc * sizeof(*o)) : NULL;
		if (o)
			wf->obl = o;
		parley_delivery *d = o ? realloc(wf->dlv, dc * sizeof(*d)) : NULL;
		if (!d) {
			parley_workflow_release(&one);
			return PARLEY_E_NOMEM;
		}
		wf->dlv = d;
		w->tcap = tc;
		w->ocap = oc;
		w->dcap = dc;
	}
	parley_thread *t = &wf->threads[wf->nthreads++];
	memcpy(t, one.threads, sizeof(*t));
	t->obl_first = wf->nobl;
	t->dlv_first = wf->ndlv;
	if (one.nobl)
		memcpy(wf->obl + wf->nobl, one.obl, one.nobl * sizeof(*one.obl));
	if (one.ndlv)
		memcpy(wf->dlv + wf->ndlv, one.dlv, one.ndlv * sizeof(*one.dlv));
	wf->nobl += one.nobl;
	wf->ndlv += one.ndlv;
	parley_workflow_release(&one);
	return PARLEY_OK;
}

struct witness_ctx {
	parley_node *n;
	const uint8_t *id;
	uint64_t size, last_ms; /* the replica's size and its last entry's integration time */
	parley_buf b;
	bool failed;
};

/* An entry's integration time (UINT64_MAX when it cannot be read: the search then stops short). */
static uint64_t entry_ms(struct witness_ctx *w, uint64_t index)
{
	uint64_t ms;
	if (parley_store_entry(w->n->store, w->id, index, &w->b, &ms, NULL)) {
		w->failed = true;
		return UINT64_MAX;
	}
	return ms;
}

/*
 * The engine's witness over the replica: the first entry after the opener integrated
 * after the deadline. Integration times never go back in a verified log, so a
 * bisection over the indexes finds it in O(log n) reads.
 */
static bool witness_replica(void *ctx, uint64_t opener, uint64_t deadline, uint64_t *index, uint64_t *ms)
{
	struct witness_ctx *w = ctx;
	uint64_t lo = opener + 1, hi = w->size;
	/* a deadline the log has not reached yet (the usual case for open threads) costs no read */
	if (w->size == 0 || opener + 1 >= w->size || deadline >= w->last_ms)
		return false;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (entry_ms(w, mid) <= deadline)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= w->size)
		return false;
	*index = lo;
	*ms = entry_ms(w, lo);
	return !w->failed;
}

/* The cosignatures on the last verified checkpoint, as parley_node_workflow reads them. */
static void cosigned(parley_node *n, struct node_channel *c, uint64_t size, parley_wf_input *in)
{
	parley_buf note = PARLEY_BUF_INIT;
	if (parley_store_checkpoint_get(n->store, c->id, 0, &note, NULL, NULL) == PARLEY_OK) {
		parley_checkpoint cp;
		bool cos[PARLEY_MAX_PARTIES] = { false };
		if (parley_checkpoint_check_times(c->charter, (const char *)note.data, note.len, &cp, cos, in->cosigned_ms,
			    NULL) == PARLEY_OK &&
			cp.size <= size)
			for (size_t i = 0; i < parley_charter_nparties(c->charter) && i < PARLEY_MAX_PARTIES; i++)
				if (cos[i])
					in->cosigned_size[i] = cp.size;
	}
	parley_buf_release(&note);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The "d" rows due before `before`, in order: their openers. */
struct due_collect {
	uint64_t before;
	uint64_t *v;
	size_t n, cap;
};

static parley_code due_cb(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
	struct due_collect *dc = ctx;
	(void)val;
	if (klen != 17 || vlen != 0)
		return PARLEY_E_FORMAT;
	if (parley_get_u64(key + 1) >= dc->before)
		return PARLEY_E_PENDING; /* the rest is later: stop */
	if (dc->n == dc->cap) {
		size_t ncap = dc->cap ? 2 * dc->cap : 16;
		uint64_t *p = realloc(dc->v, ncap * sizeof(*p));
		if (!p)
			return PARLEY_E_NOMEM;
		dc->v = p;
		dc->cap = ncap;
	}
	dc->v[dc->n++] = parley_get_u64(key + 9);
	return PARLEY_OK;
}

/*
 * The open threads into out and judged at now_ms: every one (due false), or only the
 * threads this node opened whose "d" row is due before now_ms (due true).
 */
static parley_code state_workflow(parley_node *n, struct node_channel *c, uint64_t now_ms, bool due,
	parley_workflow *out, uint64_t *closed, parley_err *err)
{
	struct wf_collect w = { out, 0, 0, 0 };
	struct witness_ctx wc = { n, c->id, 0, 0, PARLEY_BUF_INIT, false };
	parley_wf_input in = PARLEY_WF_INPUT_INIT;
	struct scan_ctx *sc = malloc(sizeof(*sc));
	struct ns_meta m;
	parley_code rc;

	memset(out, 0, sizeof(*out));
	if (!sc)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	/* brought up to the replica first (an older replica's first open builds it) */
	rc = node_state_load(n, c, sc, err);
	free(sc);
	if (rc || (rc = meta_get(n, c, &m, err)))
		return rc;
	if (closed)
		*closed = m.closed;
	if (!due) {
		rc = parley_store_state_scan(n->store, c->id, (const uint8_t *)"t", 1, thread_cb, &w, err);
	} else {
		struct due_collect dc = { now_ms, NULL, 0, 0 };
		parley_buf b = PARLEY_BUF_INIT;
		rc = parley_store_state_scan(n->store, c->id, (const uint8_t *)"d", 1, due_cb, &dc, err);
		if (rc == PARLEY_E_PENDING)
			rc = PARLEY_OK;
		if (dc.n)
			qsort(dc.v, dc.n, sizeof(*dc.v), cmp_u64); /* threads in opener order, as the "t" scan gives */
		for (size_t i = 0; i < dc.n && !rc; i++) {
			uint8_t k[9];
			key_u64(k, 't', dc.v[i]);
			if ((rc = parley_store_state_get(n->store, c->id, k, sizeof(k), &b, err)) == PARLEY_E_NOTFOUND)
				rc = parley_fail(err, PARLEY_E_FORMAT, "node state: a due thread is not open");
			else if (!rc)
				rc = thread_cb(&w, k, sizeof(k), b.data, b.len);
		}
		parley_buf_release(&b);
		free(dc.v);
	}
	if (rc == PARLEY_E_FORMAT || rc == PARLEY_E_NOMEM)
		rc = parley_fail(err, rc, rc == PARLEY_E_NOMEM ? "out of memory" : "node state: a thread does not decode");
	if (rc) {
		parley_workflow_release(out);
		return rc;
	}
	wc.size = m.size;
	wc.last_ms = m.last_ms;
	in.ch = c->charter;
	in.whole_log = true;
	in.now_ms = now_ms;
	in.witness = witness_replica;
	in.witness_ctx = &wc;
	cosigned(n, c, m.size, &in);
	parley_workflow_judge(&in, out);
	parley_buf_release(&wc.b);
	if (wc.failed) {
		parley_workflow_release(out);
		return parley_fail(err, PARLEY_E_IO, "replica: an entry could not be read while judging deadlines");
	}
	return PARLEY_OK;
}

parley_code node_state_workflow(parley_node *n, struct node_channel *c, uint64_t now_ms, parley_workflow *out,
	uint64_t *closed, parley_err *err)
{
	return state_workflow(n, c, now_ms, false, out, closed, err);
}

parley_code node_state_due(parley_node *n, struct node_channel *c, uint64_t now_ms, parley_workflow *out,
	parley_err *err)
{
	return state_workflow(n, c, now_ms, true, out, NULL, err);
}

struct owed_collect {
	struct node_owed *v;
	size_t n, cap;
};

static parley_code owed_cb(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
	struct owed_collect *oc = ctx;
	if (klen != 9 || vlen != 1)
		return PARLEY_E_FORMAT;
	if (oc->n == oc->cap) {
		size_t ncap = oc->cap ? oc->cap * 2 : 32;
		struct node_owed *p = realloc(oc->v, ncap * sizeof(*p));
		if (!p)
			return PARLEY_E_NOMEM;
		oc->v = p;
		oc->cap = ncap;
	}
	oc->v[oc->n].index = key_get_u64(key);
	oc->v[oc->n].receipt = (val[0] & OWE_RECEIPT) != 0;
	oc->v[oc->n].answer = (val[0] & OWE_ANSWER) != 0;
	oc->n++;
	return PARLEY_OK;
}

parley_code node_state_owed(parley_node *n, struct node_channel *c, struct node_owed **v, size_t *nv, parley_err *err)
{
	struct owed_collect oc = { NULL, 0, 0 };
	parley_code rc = parley_store_state_scan(n->store, c->id, (const uint8_t *)"o", 1, owed_cb, &oc, err);
	if (rc == PARLEY_E_FORMAT || rc == PARLEY_E_NOMEM)
		rc = parley_fail(err, rc, rc == PARLEY_E_NOMEM ? "out of memory" : "node state: an owed row does not decode");
	if (rc) {
		free(oc.v);
		oc.v = NULL;
		oc.n = 0;
	}
	*v = oc.v;
	*nv = oc.n;
	return rc;
}

parley_code node_state_owed_drop(parley_node *n, struct node_channel *c, uint64_t index, parley_err *err)
{
	uint8_t k[9];
	key_u64(k, 'o', index);
	return parley_store_state_put(n->store, c->id, k, sizeof(k), NULL, 0, err);
}

/* ---- verify: everything again from the entries, compared with the tables ---- */

struct check_ctx {
	struct fold f;
	struct scan_ctx *sc;
};

static parley_code check_cb(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct check_ctx *cc = ctx;
	parley_wf_entry we;
	parley_entry e;
	(void)data;
	if (parley_entry_parse(data, len, &e, cc->sc->err))
		return parley_wrap(cc->sc->err, PARLEY_E_VERIFY, "replica entry %llu", (unsigned long long)index);
	memset(&we, 0, sizeof(we));
	we.index = index;
	we.ms = ms;
	we.h = e.h;
	return fold_entry(&cc->f, &we);
}

static bool same_thread(const parley_workflow *a, const parley_thread *ta, const parley_workflow *b,
	const parley_thread *tb)
{
	parley_thread x, y;
	memcpy(&x, ta, sizeof(x));
	memcpy(&y, tb, sizeof(y));
	x.obl_first = y.obl_first = x.dlv_first = y.dlv_first = 0;
	if (memcmp(&x, &y, sizeof(x)) != 0)
		return false;
	for (size_t i = 0; i < ta->nobl; i++)
		if (memcmp(&a->obl[ta->obl_first + i], &b->obl[tb->obl_first + i], sizeof(parley_obligation)) != 0)
			return false;
	for (size_t i = 0; i < ta->ndlv; i++)
		if (memcmp(&a->dlv[ta->dlv_first + i], &b->dlv[tb->dlv_first + i], sizeof(parley_delivery)) != 0)
			return false;
	return true;
}

static bool same_succession(const parley_succession *a, const parley_succession *b)
{
	if (a->named != b->named || memcmp(a->successor, b->successor, 32) != 0 || a->ncont != b->ncont ||
		a->end_ms != b->end_ms || a->end_size != b->end_size || a->ncont > PARLEY_MAX_PARTIES)
		return false;
	for (size_t i = 0; i < a->ncont; i++)
		if (memcmp(a->cont[i], b->cont[i], PARLEY_KEYID_LEN) != 0 || a->done[i] != b->done[i])
			return false;
	return true;
}

parley_code node_state_check(parley_node *n, struct node_channel *c, const struct scan_ctx *full, parley_err *err)
{
	struct check_ctx cc;
	struct scan_ctx *sc = malloc(sizeof(*sc));
	parley_workflow inc = PARLEY_WORKFLOW_INIT, all = PARLEY_WORKFLOW_INIT;
	struct node_owed *owed = NULL;
	size_t nowed = 0, nopen = 0;
	uint64_t now = parley_now_ms(), closed = 0;
	parley_code rc;

	memset(&cc, 0, sizeof(cc));
	if (!sc)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	/* the tables as they stand (brought up to the replica), then the chains they hold */
	if ((rc = node_state_workflow(n, c, now, &inc, &closed, err)) || (rc = node_state_load(n, c, sc, err)))
		goto out;
	if (sc->count != full->count || sc->last_ms != full->last_ms || !same_succession(&sc->succ, &full->succ)) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "node state: its size, last time or succession is not the replica's");
		goto out;
	}
	for (size_t i = 0; i < full->nchains; i++) {
		const struct chain *want = &full->chains[i];
		struct chain *have = NULL;
		for (size_t k = 0; k < sc->nchains; k++)
			if (memcmp(sc->chains[k].keyid, want->keyid, 4) == 0)
				have = &sc->chains[k];
		if (!have || have->seq != want->seq || memcmp(have->hash, want->hash, 32) != 0 ||
			have->quota.day != want->quota.day || have->quota.bytes != want->quota.bytes) {
			char kid[9];
			parley_hex(kid, want->keyid, 4);
			rc = parley_fail(err, PARLEY_E_VERIFY, "node state: the chain head of sender %s is not the replica's", kid);
			goto out;
		}
	}
	if (sc->nchains != full->nchains) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "node state: it holds %zu senders' chains, the replica %zu",
			sc->nchains, full->nchains);
		goto out;
	}
	/* threads: the full engine over every entry; the open ones must be the tables' */
	if ((rc = parley_node_workflow(n, c->id, now, &all, err)))
		goto out;
	for (size_t i = 0; i < all.nthreads; i++) {
		const parley_thread *t = &all.threads[i], *mine = parley_workflow_thread(&inc, t->opener);
		if (t->closed_ms) {
			if (mine) {
				rc = parley_fail(err, PARLEY_E_VERIFY, "node state: thread %llu is closed, the tables hold it open",
					(unsigned long long)t->opener);
				goto out;
			}
			continue;
		}
		nopen++;
		if (!mine || !same_thread(&all, t, &inc, mine)) {
			rc = parley_fail(err, PARLEY_E_VERIFY,
				"node state: thread %llu differs from what the obligation engine computes over the replica",
				(unsigned long long)t->opener);
			goto out;
		}
	}
	if (nopen != inc.nthreads || nopen + closed != all.nthreads) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "node state: %zu open and %llu closed threads, the replica has %zu and %zu",
			inc.nthreads, (unsigned long long)closed, nopen, all.nthreads - nopen);
		goto out;
	}
	/* the deadline index: one "d" row per thread this node opened with a deadline pending, at its due time */
	{
		struct due_collect dc = { UINT64_MAX, NULL, 0, 0 };
		size_t want = 0;
		uint8_t dk[17];
		parley_buf b = PARLEY_BUF_INIT;
		rc = parley_store_state_scan(n->store, c->id, (const uint8_t *)"d", 1, due_cb, &dc, err);
		for (size_t i = 0; i < inc.nthreads && !rc; i++) {
			const parley_thread *t = &inc.threads[i];
			uint64_t due = thread_due(t, inc.obl + t->obl_first, n->key->pub.keyid);
			if (!due)
				continue;
			want++;
			key_due(dk, due, t->opener);
			if ((rc = parley_store_state_get(n->store, c->id, dk, sizeof(dk), &b, err)) == PARLEY_E_NOTFOUND)
				rc = parley_fail(err, PARLEY_E_VERIFY, "node state: thread %llu is missing from the deadline index",
					(unsigned long long)t->opener);
		}
		if (!rc && want != dc.n)
			rc = parley_fail(err, PARLEY_E_VERIFY, "node state: the deadline index holds %zu threads, the tables %zu",
				dc.n, want);
		else if (rc == PARLEY_E_FORMAT || rc == PARLEY_E_NOMEM)
			rc = parley_fail(err, rc, "node state: the deadline index does not decode");
		parley_buf_release(&b);
		free(dc.v);
		if (rc)
			goto out;
	}
	/* duties: the fold again, in memory, over every entry */
	cc.f.n = n;
	cc.f.c = c;
	cc.f.st = n->store;
	cc.f.persist = false;
	cc.f.err = err;
	cc.f.limit = full->count;
	cc.sc = sc;
	if ((rc = parley_store_entries(n->store, c->id, 0, UINT64_MAX, check_cb, &cc, err)) ||
		(rc = node_state_owed(n, c, &owed, &nowed, err)))
		goto out;
	/* every row the tables hold is owed by the replica too (the duties drop rows that are not owed now) */
	for (size_t k = 0; k < nowed; k++) {
		struct owed_slot *o = owed_find(&cc.f, owed[k].index, false);
		uint8_t flags = (uint8_t)((owed[k].receipt ? OWE_RECEIPT : 0) | (owed[k].answer ? OWE_ANSWER : 0));
		if (!o || o->flags != flags) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "node state: entry %llu is listed as owed, the replica says otherwise",
				(unsigned long long)owed[k].index);
			goto out;
		}
	}
	rc = PARLEY_OK;
out:
	fold_release(&cc.f);
	free(owed);
	free(sc);
	parley_workflow_release(&inc);
	parley_workflow_release(&all);
	return rc;
}
