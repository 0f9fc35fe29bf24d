/* node_duties.c - what a party owes once a sync verified the log: receipts, ping answers, deadline records; the workflow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "parley/payload.h"
#include "parley/note.h"
#include "parley/proof.h"
#include "parley/receipt.h"
#include "node_internal.h"
#include "banned.h"

parley_code node_collect_hdr(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct hdr_ctx *c = ctx;
	parley_entry e;
	if (parley_entry_parse(data, len, &e, NULL))
		return PARLEY_E_FORMAT;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		parley_wf_entry *p = realloc(c->v, ncap * sizeof(*p));
		if (!p)
			return PARLEY_E_NOMEM;
		c->v = p;
		c->cap = ncap;
	}
	c->v[c->n].index = index;
	c->v[c->n].ms = ms;
	c->v[c->n].h = e.h;
	c->n++;
	return PARLEY_OK;
}

parley_code node_headers(parley_node *n, const uint8_t id[32], struct hdr_ctx *hc, parley_err *err)
{
	parley_code rc = parley_store_entries(n->store, id, 0, UINT64_MAX, node_collect_hdr, hc, err);
	if (rc == PARLEY_E_FORMAT || rc == PARLEY_E_NOMEM)
		rc = parley_fail(err, rc, rc == PARLEY_E_NOMEM ? "out of memory" : "replica: an entry does not parse");
	return rc;
}

parley_code parley_node_workflow(parley_node *n, const uint8_t id[32], uint64_t now_ms, parley_workflow *out,
	parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	struct hdr_ctx hc = { NULL, 0, 0 };
	parley_wf_input in = PARLEY_WF_INPUT_INIT;
	parley_buf note = PARLEY_BUF_INIT;
	parley_code rc;

	memset(out, 0, sizeof(*out));
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if ((rc = node_headers(n, id, &hc, err)))
		goto out;
	/* the cosignatures on the last verified checkpoint: each is its signer's view of the log */
	if (parley_store_checkpoint_get(n->store, id, 0, &note, NULL, NULL) == PARLEY_OK) {
		parley_checkpoint cp;
		bool cos[PARLEY_MAX_PARTIES] = { false };
		if (parley_checkpoint_check_times(c->charter, (const char *)note.data, note.len, &cp, cos, in.cosigned_ms,
			    NULL) == PARLEY_OK &&
			cp.size <= hc.n)
			for (size_t i = 0; i < parley_charter_nparties(c->charter) && i < PARLEY_MAX_PARTIES; i++)
				if (cos[i])
					in.cosigned_size[i] = cp.size;
	}
	in.ch = c->charter;
	in.v = hc.v;
	in.n = hc.n;
	in.whole_log = true;
	in.now_ms = now_ms;
	rc = parley_workflow_eval(&in, out, err);
out:
	free(hc.v);
	parley_buf_release(&note);
	return rc;
}

parley_code parley_node_workflow_open(parley_node *n, const uint8_t id[32], uint64_t now_ms, parley_workflow *out,
	uint64_t *closed, parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	memset(out, 0, sizeof(*out));
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	return node_state_workflow(n, c, now_ms, out, closed, err);
}

parley_code parley_node_threads(parley_node *n, const uint8_t id[32], uint64_t now_ms, parley_thread **out,
	size_t *nout, parley_err *err)
{
	parley_workflow wf;
	parley_code rc;

	*out = NULL;
	*nout = 0;
	if ((rc = parley_node_workflow(n, id, now_ms, &wf, err)))
		return rc;
	*out = wf.threads;
	*nout = wf.nthreads;
	wf.threads = NULL;
	parley_workflow_release(&wf);
	for (size_t i = 0; i < *nout; i++) /* the obligations stay with the workflow */
		(*out)[i].nobl = (*out)[i].ndlv = 0;
	return PARLEY_OK;
}

/* Names of a thread's participants other than ourselves, for addressing an answer. */
static size_t participants(const parley_charter *ch, const parley_thread *t, const uint8_t me[4], const char **names)
{
	size_t k = 0;
	const parley_party *p;
	if (memcmp(t->requester, me, 4) != 0 && (p = parley_charter_party_by_keyid(ch, t->requester)))
		names[k++] = p->key.name;
	for (unsigned i = 0; i < t->nrecip; i++)
		if (memcmp(t->recip[i], me, 4) != 0 && (p = parley_charter_party_by_keyid(ch, t->recip[i])))
			names[k++] = p->key.name;
	return k;
}

/* Whether an entry of this type answering ref in thread would be admitted now (the charter's wind-down). */
static bool admissible_now(parley_node *n, struct node_channel *c, const struct node_admit *ax, uint8_t type,
	uint64_t thread, uint64_t ref)
{
	parley_entry_hdr h = { .type = type, .thread = thread, .nrefs = 1 };
	h.refs[0] = ref;
	return (ax ? node_admit_with(n, c, ax, &h, NULL) : node_admit_now(n, c, &h, NULL)) == PARLEY_OK;
}

/*
 * On every sync: record the deadlines the other side let pass in the threads we
 * opened. The workflow engine says which obligations are overdue by our clock;
 * one entry per thread records every deadline that passed unrecorded (its
 * integration time is then a witness for everyone).
 */
static parley_code record_deadlines(struct node_session *s, parley_err *err)
{
	parley_node *n = s->n;
	struct node_channel *c = s->c;
	parley_workflow wf;
	uint64_t now = parley_now_ms();
	parley_code rc;

	if (!parley_charter_allows_type(c->charter, PARLEY_T_DEADLINE_MISSED))
		return PARLEY_OK;
	/* the threads we opened whose deadline passed unanswered and unrecorded (node_state.c's "d" rows) */
	if ((rc = node_state_due(n, c, now, &wf, err)))
		return rc;
	for (size_t i = 0; i < wf.nthreads && !rc; i++) {
		const parley_thread *t = &wf.threads[i];
		bool ack = false, resp = false;
		char who[PARLEY_ENTRY_MAX_RECIP * (PARLEY_NAME_MAX + 2) + 1] = "";
		size_t wl = 0;
		if (memcmp(t->requester, n->key->pub.keyid, 4) != 0 || t->closed_ms)
			continue;
		for (size_t k = t->obl_first; k < t->obl_first + t->nobl; k++) {
			const parley_obligation *o = &wf.obl[k];
			if (!o->overdue || o->recorded)
				continue;
			if (o->kind == PARLEY_OBL_ACKNOWLEDGE)
				ack = true;
			else
				resp = true;
			const char *nm = parley_charter_party_by_keyid(c->charter, o->party)->key.name;
			if (!strstr(who, nm) && wl + strlen(nm) + 3 < sizeof(who))
				wl += (size_t)snprintf(who + wl, sizeof(who) - wl, "%s%s", wl ? ", " : "", nm);
		}
		if ((!ack && !resp) || !admissible_now(n, c, NULL, PARLEY_T_DEADLINE_MISSED, t->opener, t->opener))
			continue;
		const char *what = ack && resp ? "acknowledge and respond" : ack ? "acknowledge" : "respond";
		uint64_t secs = ((resp ? t->respond_deadline_ms : t->ack_deadline_ms) - t->opened_ms) / 1000;
		const char *names[PARLEY_ENTRY_MAX_RECIP];
		size_t nn = participants(c->charter, t, n->key->pub.keyid, names);
		char text[PARLEY_ENTRY_MAX_RECIP * (PARLEY_NAME_MAX + 2) + 160];
		parley_buf pl = PARLEY_BUF_INIT;
		uint64_t ref = t->opener, idx;
		snprintf(text, sizeof(text), "deadline to %s within %llu s missed for entry %llu by %s", what,
			(unsigned long long)secs, (unsigned long long)t->opener, who);
		if ((rc = parley_payload_encode(text, NULL, &pl, err)))
			break;
		parley_post p = { PARLEY_T_DEADLINE_MISSED, t->opener, &ref, 1, t->category, -1, names, nn, pl.data, pl.len };
		rc = node_session_post(s, &p, &idx, err);
		parley_buf_release(&pl);
		if (!rc)
			s->rep.deadlines_missed++;
	}
	parley_workflow_release(&wf);
	return rc;
}

static bool has_looked_unopened(const struct node_session *s, uint64_t x)
{
	size_t lo = 0, hi = s->nunopened;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->unopened[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nunopened && s->unopened[lo] == x;
}

/* Entries owed a receipt that opened, for one batched receipt (or a few): ascending indexes. */
struct batch {
	uint64_t *idx;
	const char **who; /* each one's sender */
	uint8_t *tlp;
	size_t n, cap;
	char category[PARLEY_NAME_MAX + 1];
};

static parley_code batch_add(struct batch *b, uint64_t idx, const char *who, const parley_entry_hdr *h, parley_err *err)
{
	if (b->n == b->cap) {
		size_t ncap = b->cap ? 2 * b->cap : 64;
		uint64_t *i2 = realloc(b->idx, ncap * sizeof(*i2));
		if (i2)
			b->idx = i2;
		const char **w2 = i2 ? realloc(b->who, ncap * sizeof(*w2)) : NULL;
		if (w2)
			b->who = w2;
		uint8_t *t2 = w2 ? realloc(b->tlp, ncap) : NULL;
		if (!t2)
			return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		b->tlp = t2;
		b->cap = ncap;
	}
	if (!b->n)
		memcpy(b->category, h->category, sizeof(b->category));
	b->idx[b->n] = idx;
	b->who[b->n] = who;
	b->tlp[b->n] = h->tlp;
	b->n++;
	return PARLEY_OK;
}

/*
 * Send the batched receipts for the entries in b (docs/protocol.md §4.1.5): a range is a run
 * of consecutive indexes, all owed and opened, so a receipt never spans an entry this node
 * did not open; up to PARLEY_RECEIPT_MAX_RANGES ranges and PARLEY_ENTRY_MAX_RECIP senders
 * a receipt entry (usually one per sync). The tree is the checkpoint this sync verified.
 */
static parley_code send_batches(struct node_session *s, const struct batch *b, const parley_checkpoint *vcp,
	const parley_buf *rpl, parley_err *err)
{
	size_t k = 0;
	parley_code rc = PARLEY_OK;
	while (k < b->n && !rc) {
		uint64_t first[PARLEY_RECEIPT_MAX_RANGES], last[PARLEY_RECEIPT_MAX_RANGES];
		const char *to[PARLEY_ENTRY_MAX_RECIP];
		size_t nto = 0;
		unsigned nr = 0;
		int tlp = 0;
		while (k < b->n && nr < PARLEY_RECEIPT_MAX_RANGES) {
			bool known = false;
			for (size_t j = 0; j < nto; j++)
				if (strcmp(to[j], b->who[k]) == 0)
					known = true;
			if (!known && nto == PARLEY_ENTRY_MAX_RECIP)
				break;
			if (!known)
				to[nto++] = b->who[k];
			if (b->tlp[k] > tlp)
				tlp = b->tlp[k];
			if (nr && b->idx[k] == last[nr - 1] + 1) {
				last[nr - 1] = b->idx[k];
			} else {
				first[nr] = last[nr] = b->idx[k];
				nr++;
			}
			k++;
		}
		/* a run cut by the range limit continues in the next receipt */
		parley_entry_hdr bh;
		memset(&bh, 0, sizeof(bh));
		if ((rc = parley_receipt_batch_hdr(&bh, vcp->size, vcp->root, first, last, nr, err)))
			break;
		uint64_t out_idx;
		parley_post p = { PARLEY_T_RECEIPT, 0, bh.refs, bh.nrefs, b->category, tlp, to, nto,
			rpl->len ? rpl->data : NULL, rpl->len };
		if ((rc = node_session_post(s, &p, &out_idx, err))) {
			parley_wrap(err, rc, "sending a receipt for entries %llu..%llu", (unsigned long long)first[0],
				(unsigned long long)last[nr - 1]);
			break;
		}
		s->rep.receipt_entries++;
	}
	return rc;
}

/*
 * Post the receipts, ping-responses and unreadable reports this party owes; note is
 * the checkpoint this sync verified, which every receipt carries. What is owed comes
 * from the node's tables (node_state.c: an entry addressed here stays owed until our
 * receipt, report or answer to it is in the log), so a sync reads only those entries.
 * An entry either opens (a receipt) or does not (one unreadable report to its sender,
 * and no receipt or answer). A row stays after we answer, until the answer comes back
 * with the next sync; one that is not owed now (the charter's scope or wind-down, or
 * an entry that does not open and may not be reported) is dropped.
 */
/*
 * The owed entries' bytes, in order, read in runs: a dense stretch of owed indexes (a
 * first sync owes a receipt for nearly every entry) in one scan of the replica, a sparse
 * one entry by entry.
 */
enum { OWED_RUN = 256 };

struct owed_read {
	parley_store *st;
	const uint8_t *id;
	const struct node_owed *v;
	size_t n, base, cnt, got;
	parley_buf arena;
	size_t off[OWED_RUN], len[OWED_RUN];
};

static parley_code owed_cb(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct owed_read *r = ctx;
	(void)ms;
	if (r->got >= r->cnt || index != r->v[r->base + r->got].index)
		return PARLEY_OK; /* not owed: skipped */
	r->off[r->got] = r->arena.len;
	r->len[r->got] = len;
	if (parley_buf_add(&r->arena, data, len))
		return PARLEY_E_NOMEM;
	r->got++;
	return PARLEY_OK;
}

/* Entry v[i] (read in order: i never goes back), valid until the next call. */
static parley_code owed_entry(struct owed_read *r, size_t i, const uint8_t **data, size_t *len, parley_err *err)
{
	parley_code rc = PARLEY_OK;
	if (i < r->base || i >= r->base + r->cnt) {
		size_t cnt = r->n - i < OWED_RUN ? r->n - i : OWED_RUN;
		while (cnt > 1 && r->v[i + cnt - 1].index - r->v[i].index >= 4 * (uint64_t)cnt)
			cnt /= 2;
		r->base = i;
		r->cnt = cnt;
		r->got = 0;
		parley_buf_reset(&r->arena);
		uint64_t span = r->v[i + cnt - 1].index - r->v[i].index + 1;
		rc = parley_store_entries(r->st, r->id, r->v[i].index, span, owed_cb, r, err);
		if (rc == PARLEY_E_NOMEM)
			rc = parley_fail(err, rc, "out of memory");
		if (!rc && r->got != r->cnt)
			rc = parley_fail(err, PARLEY_E_VERIFY, "replica: owed entry %llu is missing",
				(unsigned long long)r->v[i + r->got].index);
		if (rc) {
			r->cnt = 0;
			return rc;
		}
	}
	*data = r->arena.data + r->off[i - r->base];
	*len = r->len[i - r->base];
	return PARLEY_OK;
}

static parley_code answer_owed(struct node_session *s, const parley_buf *note, parley_err *err)
{
	parley_node *n = s->n;
	struct node_channel *c = s->c;
	parley_sync_report *rep = &s->rep;
	struct node_owed *owed = NULL;
	size_t nowed = 0;
	parley_buf pl = PARLEY_BUF_INIT, rpl = PARLEY_BUF_INIT, upl = PARLEY_BUF_INIT;
	struct batch bt;
	struct node_admit ax;
	parley_checkpoint vcp;
	bool batched = false;
	struct owed_read rd;
	parley_code rc;

	memset(&rd, 0, sizeof(rd));
	memset(&bt, 0, sizeof(bt));

	if ((rc = node_state_owed(n, c, &owed, &nowed, err)) || !nowed ||
		(rc = node_admit_prepare(n, c, &ax, err))) /* the replica stays as it is while the duties run */
		goto out;
	/* every receipt carries the checkpoint this node verified last: its reader compares views */
	{
		json_t *o = json_pack("{s:s%}", "checkpoint", (const char *)note->data, note->len);
		char *js = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (js) /* else the receipts go without a view, as a writer may send them */
			rc = parley_buf_addstr(&rpl, js);
		free(js);
		json_decref(o);
		if (rc) {
			rc = parley_fail(err, rc, "out of memory");
			goto out;
		}
	}
	/* batched receipts name the tree this sync verified (receipt.h); the wind-down refuses them */
	if (node_check_checkpoint(c, (const char *)note->data, note->len, &vcp, NULL) == PARLEY_OK && vcp.size) {
		parley_entry_hdr bh = { .type = PARLEY_T_RECEIPT };
		uint64_t f0 = 0, l0 = 0;
		batched = parley_receipt_batch_hdr(&bh, vcp.size, vcp.root, &f0, &l0, 1, NULL) == PARLEY_OK &&
			node_admit_with(n, c, &ax, &bh, NULL) == PARLEY_OK;
	}
	rd.st = n->store;
	rd.id = c->id;
	rd.v = owed;
	rd.n = nowed;
	for (size_t i = 0; i < nowed; i++) {
		uint64_t idx = owed[i].index, ref = idx, out_idx;
		const uint8_t *raw = NULL;
		size_t rawlen = 0;
		parley_entry e;
		if ((rc = owed_entry(&rd, i, &raw, &rawlen, err)) || (rc = parley_entry_parse(raw, rawlen, &e, err)))
			goto out;
		const parley_entry_hdr *h = &e.h;
		bool owe_receipt = owed[i].receipt && parley_charter_allows_type(c->charter, PARLEY_T_RECEIPT);
		bool owe_answer = owed[i].answer && h->type == PARLEY_T_PING &&
			parley_charter_allows_type(c->charter, PARLEY_T_PING_RESPONSE);
		/* not yet receipted: it opens (a receipt is owed) or not (a report is) */
		bool may_report = owed[i].receipt && parley_charter_allows_type(c->charter, PARLEY_T_UNREADABLE);
		/* after the charter expired, only what the wind-down admits is owed (receipts and reports alike) */
		if ((owe_receipt || may_report) &&
			!admissible_now(n, c, &ax, PARLEY_T_RECEIPT, parley_type_opens_thread(h->type) ? idx : h->thread, idx))
			owe_receipt = may_report = false;
		if (owe_answer && !admissible_now(n, c, &ax, PARLEY_T_PING_RESPONSE, idx, idx))
			owe_answer = false;
		if (!owe_receipt && !owe_answer && !may_report) {
			if ((rc = node_state_owed_drop(n, c, idx, err)))
				goto out;
			continue;
		}
		const parley_party *snd = parley_charter_party_by_keyid(c->charter, h->sender);
		const char *to[1] = { snd ? snd->key.name : "?" };
		uint64_t thread = parley_type_opens_thread(h->type) ? idx : h->thread;
		parley_err oerr = { 0 };
		/* this sync opened it already (look_at_new): no second X25519 per entry */
		bool opened = idx >= s->looked_from && idx < s->looked_to && !has_looked_unopened(s, idx);
		if (!opened && parley_entry_open(&e, n->key, &pl, NULL, &oerr)) {
			/* the sender's word is that it sealed the content key to us: say on the record that it does not open */
			if (!may_report) {
				if ((rc = node_state_owed_drop(n, c, idx, err)))
					goto out;
				continue;
			}
			char text[sizeof(oerr.msg) + PARLEY_NAME_MAX + 80];
			snprintf(text, sizeof(text), "entry %llu from %s could not be opened by %s's node (%s)",
				(unsigned long long)idx, to[0], n->key->pub.name, oerr.msg);
			if ((rc = parley_payload_encode(text, NULL, &upl, err)))
				goto out;
			parley_post p = { PARLEY_T_UNREADABLE, thread, &ref, 1, h->category, h->tlp, to, 1, upl.data, upl.len };
			if ((rc = node_session_post(s, &p, &out_idx, err))) {
				parley_wrap(err, rc, "reporting entry %llu unreadable", (unsigned long long)idx);
				goto out;
			}
			rep->unreadable_reported++;
			continue;
		}
		/* a receipt says: received and decrypted; one batched receipt for the whole sync when the
		 * charter's validity takes it (a batched receipt belongs to no thread: the wind-down takes single ones) */
		if (owe_receipt && batched && idx < vcp.size) {
			if ((rc = batch_add(&bt, idx, to[0], h, err)))
				goto out;
			rep->receipts++;
		} else if (owe_receipt) {
			parley_post p = { PARLEY_T_RECEIPT, thread, &ref, 1, h->category, h->tlp, to, 1,
				rpl.len ? rpl.data : NULL, rpl.len };
			if ((rc = node_session_post(s, &p, &out_idx, err))) {
				parley_wrap(err, rc, "sending a receipt for entry %llu", (unsigned long long)idx);
				goto out;
			}
			rep->receipts++;
			rep->receipt_entries++;
		}
		if (owe_answer) { /* a ping is answered at once, on the record */
			parley_post p = { PARLEY_T_PING_RESPONSE, idx, &ref, 1, h->category, h->tlp, to, 1, NULL, 0 };
			if ((rc = node_session_post(s, &p, &out_idx, err))) {
				parley_wrap(err, rc, "answering ping %llu", (unsigned long long)idx);
				goto out;
			}
			rep->pings_answered++;
		}
		/* a receipt the charter does not allow, its ping answered: nothing more will come */
		if (!owe_receipt && !may_report && (rc = node_state_owed_drop(n, c, idx, err)))
			goto out;
	}
	if (bt.n && (rc = send_batches(s, &bt, &vcp, &rpl, err)))
		goto out;
	rc = PARLEY_OK;
out:
	parley_buf_release(&rd.arena);
	free(bt.idx);
	free(bt.who);
	free(bt.tlp);
	free(owed);
	parley_buf_release(&pl);
	parley_buf_release(&rpl);
	parley_buf_release(&upl);
	return rc;
}


parley_code node_duties(struct node_session *s, const parley_buf *note, parley_err *err)
{
	parley_code rc, frc;
	/* receipts, ping answers, unreadable reports and missed deadlines go in batches (docs/api.md);
	 * what was queued before a failure is still sent, the first error is the one returned */
	s->defer = true;
	rc = answer_owed(s, note, err);
	s->defer = false;
	frc = node_session_flush(s, rc ? NULL : err);
	if ((rc = rc ? rc : frc) || (rc = node_psi_auto(s, err)))
		return rc;
	s->defer = true;
	rc = record_deadlines(s, err);
	s->defer = false;
	frc = node_session_flush(s, rc ? NULL : err);
	return rc ? rc : frc;
}
