/* node_prove.c - proof bundles: the entry, its thread, the range that shows what did not happen, each party's word. */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "parley/jcs.h"
#include "parley/merkle.h"
#include "parley/note.h"
#include "parley/bundle.h"
#include "parley/proof.h"
#include "parley/receipt.h"
#include "parley/remote.h"
#include "node_internal.h"
#include "banned.h"

struct add_ctx {
	json_t *arr;
	parley_store *s;
	const uint8_t *id;
	uint64_t size;
	parley_err *err;
};

static parley_code add_entry(struct add_ctx *a, uint64_t index)
{
	json_t *j;
	parley_code rc = parley_bundle_entry_json(a->s, a->id, index, a->size, &j, a->err);
	if (!rc && json_array_append_new(a->arr, j))
		rc = parley_fail(a->err, PARLEY_E_NOMEM, "out of memory");
	return rc;
}

/* Is the entry at index in the bundle already? (The list is small: linear.) */
static bool has_index(const uint64_t *v, size_t n, uint64_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static int cmp_idx(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct idxset {
	uint64_t *v;
	size_t n, cap;
};

static parley_code idx_add(struct idxset *s, uint64_t x, parley_err *err)
{
	if (has_index(s->v, s->n, x))
		return PARLEY_OK;
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		uint64_t *p = realloc(s->v, ncap * sizeof(*p));
		if (!p)
			return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		s->v = p;
		s->cap = ncap;
	}
	s->v[s->n++] = x;
	return PARLEY_OK;
}

/* A signed-read object for the bundle, or NULL. */
static json_t *read_json(const parley_charter *ch, const parley_signed_read *r)
{
	const parley_party *p = parley_charter_party_by_keyid(ch, r->keyid);
	if (!p)
		return NULL;
	return json_pack("{s:s, s:I, s:s, s:I, s:s, s:s}", "party", p->key.name, "from", (json_int_t)r->from, "target",
		r->target, "time_ms", (json_int_t)r->time_ms, "nonce", r->nonce, "signature", r->sig);
}

/* A further checkpoint the party cosigned, with the consistency proof to ours; NULL when the relay has none. */
static json_t *cosigned_json(parley_client *cl, const struct node_channel *c, const parley_checkpoint *cp,
	const uint8_t party[4], uint64_t min_size, uint64_t *size, uint64_t *at_ms)
{
	parley_buf note = PARLEY_BUF_INIT;
	parley_checkpoint x;
	bool cos[PARLEY_MAX_PARTIES] = { false };
	uint64_t tms[PARLEY_MAX_PARTIES] = { 0 };
	json_t *out = NULL, *hs = NULL;
	const parley_party *pp = parley_charter_party_by_keyid(c->charter, party);
	size_t pi = pp ? (size_t)(pp - parley_charter_party_at(c->charter, 0)) : 0;

	if (!pp || parley_remote_checkpoint_cosigned(cl, c->hex, party, min_size, &note, NULL) ||
		parley_checkpoint_check_times(c->charter, (const char *)note.data, note.len, &x, cos, tms, NULL) || !cos[pi] ||
		x.size < min_size || x.size > cp->size)
		goto out;
	if (!(hs = json_array()))
		goto out;
	if (x.size < cp->size) {
		uint8_t proof[PARLEY_MERKLE_MAX_PROOF][32];
		size_t np = 0;
		if (parley_remote_proof_consistency(cl, c->hex, x.size, cp->size, proof, &np, NULL) ||
			parley_merkle_verify_consistency(x.size, cp->size, x.root, cp->root, (const uint8_t(*)[32])proof, np,
				NULL))
			goto out;
		for (size_t i = 0; i < np; i++) {
			char hex[65];
			parley_hex(hex, proof[i], 32);
			json_array_append_new(hs, json_string(hex));
		}
	} else if (sodium_memcmp(x.root, cp->root, 32) != 0) {
		goto out;
	}
	out = json_pack("{s:s%, s:O}", "checkpoint", (const char *)note.data, note.len, "consistency", hs);
	*size = x.size;
	*at_ms = tms[pi];
out:
	json_decref(hs);
	parley_buf_release(&note);
	return out;
}

parley_code parley_node_prove(parley_node *n, const uint8_t id[32], uint64_t subject, bool reveal, parley_buf *out,
	parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	parley_buf note = PARLEY_BUF_INIT, fresh = PARLEY_BUF_INIT, charter = PARLEY_BUF_INIT, raw = PARLEY_BUF_INIT;
	parley_checkpoint cp, cp2;
	parley_workflow wf = PARLEY_WORKFLOW_INIT;
	const parley_thread *t = NULL;
	struct hdr_ctx hc = { NULL, 0, 0 };
	struct idxset set = { NULL, 0, 0 };
	uint64_t range_to;
	json_t *doc = NULL, *cj = NULL, *arr = NULL, *cosigned = NULL, *reads = NULL;
	parley_err sync_err = { 0 };
	parley_client cl;
	bool online = false;
	bool cos[PARLEY_MAX_PARTIES] = { false };
	uint64_t cos_ms[PARLEY_MAX_PARTIES] = { 0 };
	parley_code rc;

	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	/* bring the replica up to date when the relay answers; a proof can also be made offline */
	{
		parley_sync_report rep;
		rc = parley_node_sync(n, id, &rep, &sync_err);
		if (rc && rc != PARLEY_E_IO)
			return parley_fail(err, rc, "%s", sync_err.msg);
	}
	if ((rc = parley_store_checkpoint_get(n->store, id, 0, &note, NULL, err)) ||
		(rc = node_check_checkpoint(c, (const char *)note.data, note.len, &cp, err)))
		goto out;
	if (subject >= cp.size) {
		rc = parley_fail(err, PARLEY_E_USAGE, "entry %llu is not in the last verified checkpoint (size %llu): run 'parley sync'",
			(unsigned long long)subject, (unsigned long long)cp.size);
		goto out;
	}
	online = node_client(n, c, &cl, NULL) == PARLEY_OK;
	/* the same checkpoint as the relay serves it now, with every cosignature it collected since */
	if (online) {
		if (parley_remote_checkpoint(&cl, c->hex, cp.size, &fresh, NULL) == PARLEY_OK &&
			node_check_checkpoint(c, (const char *)fresh.data, fresh.len, &cp2, NULL) == PARLEY_OK &&
			cp2.size == cp.size && memcmp(cp2.root, cp.root, 32) == 0) {
			parley_buf_reset(&note);
			if (parley_buf_add(&note, fresh.data, fresh.len)) {
				rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
				goto out;
			}
		}
	}
	/* our own cosignature of it, if the relay's copy lacks it */
	{
		parley_buf mine = PARLEY_BUF_INIT;
		if (parley_store_cosigs(n->store, id, cp.size, &mine, NULL) == PARLEY_OK && mine.len &&
			!memmem(note.data, note.len, mine.data, mine.len) && parley_buf_add(&note, mine.data, mine.len))
			rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		parley_buf_release(&mine);
		if (rc)
			goto out;
	}
	(void)!parley_checkpoint_check_times(c->charter, (const char *)note.data, note.len, &cp2, cos, cos_ms, NULL);
	if ((rc = parley_node_workflow(n, id, parley_now_ms(), &wf, err)) || (rc = node_headers(n, id, &hc, err)))
		goto out;
	if (hc.n < cp.size) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "the replica holds fewer entries than its checkpoint");
		goto out;
	}
	t = parley_workflow_thread(&wf, subject);

	/* the range that shows what did not happen: up to the first entry after each deadline not met in time */
	range_to = subject;
	if (t) {
		uint64_t need = 0;
		for (size_t k = t->obl_first; k < t->obl_first + t->nobl; k++) {
			const parley_obligation *o = &wf.obl[k];
			if (o->outcome == PARLEY_OUT_MET || o->outcome == PARLEY_OUT_NOT_APPLICABLE)
				continue;
			need = o->deadline_ms > need ? o->deadline_ms : need;
		}
		if (need) {
			range_to = cp.size - 1;
			for (uint64_t i = subject; i < cp.size; i++)
				if (hc.v[i].ms > need) {
					range_to = i;
					break;
				}
		}
	}
	for (uint64_t i = subject; i <= range_to; i++)
		if ((rc = idx_add(&set, i, err)))
			goto out;
	/* the rest of the thread, and receipts, past the range */
	for (uint64_t i = range_to + 1; i < cp.size; i++) {
		uint64_t op;
		const parley_entry_hdr *h = &hc.v[i].h;
		parley_receipt_cover cov;
		bool mine = (parley_workflow_thread_of(h, i, &op) && op == subject) ||
			(h->type == PARLEY_T_RECEIPT && parley_receipt_covers(h, i, &cov, NULL) == PARLEY_OK &&
				parley_receipt_cover_has(&cov, subject));
		if (mine && (rc = idx_add(&set, i, err)))
			goto out;
	}
	if (!(cosigned = json_array()) || !(reads = json_array())) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	/* each recipient's own word: its attestation of the log past its deadlines, its delivery */
	for (unsigned r = 0; t && r < t->nrecip; r++) {
		const uint8_t *party = t->recip[r];
		const parley_party *pp = parley_charter_party_by_keyid(c->charter, party);
		size_t pi = (size_t)(pp - parley_charter_party_at(c->charter, 0));
		uint64_t dmax = 0, wmax = 0;
		bool receipt = false;
		for (size_t k = t->obl_first; k < t->obl_first + t->nobl; k++) {
			const parley_obligation *o = &wf.obl[k];
			if (memcmp(o->party, party, 4) != 0 || o->outcome == PARLEY_OUT_MET ||
				o->outcome == PARLEY_OUT_NOT_APPLICABLE || !o->witness_ms)
				continue;
			dmax = o->deadline_ms > dmax ? o->deadline_ms : dmax;
			wmax = o->witness > wmax ? o->witness : wmax;
		}
		for (size_t k = t->dlv_first; k < t->dlv_first + t->ndlv; k++)
			if (memcmp(wf.dlv[k].party, party, 4) == 0 && wf.dlv[k].how == PARLEY_DLV_RECEIPT)
				receipt = true;
		if (!receipt && online) {
			parley_signed_read rd;
			json_t *j;
			if (parley_remote_read_past(&cl, c->hex, party, subject, &rd, NULL) == PARLEY_OK &&
				(j = read_json(c->charter, &rd)))
				json_array_append_new(reads, j);
		}
		if (!dmax)
			continue;
		/* its cosignature of our checkpoint, which holds every witness, attests the log when made after the deadlines */
		if (pi < PARLEY_MAX_PARTIES && cos[pi] && cos_ms[pi] > dmax)
			continue;
		/* or a checkpoint it cosigned after the deadlines that holds the witnesses (the relay keeps them) */
		if (online) {
			uint64_t min = wmax + 1;
			for (int tries = 0; tries < 16 && min <= cp.size; tries++) {
				uint64_t got = 0, at = 0;
				json_t *j = cosigned_json(&cl, c, &cp, party, min, &got, &at);
				if (!j)
					break;
				if (at > dmax) {
					json_array_append_new(cosigned, j);
					break;
				}
				json_decref(j); /* made before the deadline: a later one may do */
				min = got + 1;
			}
		}
	}
	qsort(set.v, set.n, sizeof(*set.v), cmp_idx);
	struct add_ctx a = { json_array(), n->store, id, cp.size, err };
	if (!a.arr) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	arr = a.arr;
	for (size_t i = 0; i < set.n; i++)
		if ((rc = add_entry(&a, set.v[i])))
			goto out;
	if ((rc = parley_store_channel_charter(n->store, id, &charter, err)) ||
		(rc = parley_json_parse((const char *)charter.data, charter.len, PARLEY_CHARTER_MAX_BYTES, &cj, err)))
		goto out;
	doc = json_pack("{s:i, s:I, s:O, s:s%, s:O, s:{s:I, s:I}}", "parley_proof", PARLEY_PROOF_VERSION, "subject",
		(json_int_t)subject, "charter", cj, "checkpoint", (const char *)note.data, note.len, "entries", arr,
		"complete", "from", (json_int_t)subject, "to", (json_int_t)range_to);
	if (!doc) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	if (json_array_size(cosigned))
		json_object_set(doc, "cosigned", cosigned);
	if (json_array_size(reads))
		json_object_set(doc, "reads", reads);
	if (reveal) {
		parley_entry e;
		uint8_t key[PARLEY_KEY_LEN];
		char kb[64];
		uint64_t ms;
		parley_buf pl = PARLEY_BUF_INIT;
		if ((rc = parley_store_entry(n->store, id, subject, &raw, &ms, err)) ||
			(rc = parley_entry_parse(raw.data, raw.len, &e, err)))
			goto out;
		if ((rc = parley_entry_open(&e, n->key, &pl, key, err))) {
			parley_wrap(err, rc, "--reveal needs an entry this party can open");
			goto out;
		}
		parley_buf_release(&pl);
		parley_b64(kb, key, sizeof(key));
		sodium_memzero(key, sizeof(key));
		json_object_set_new(doc, "content_key", json_string(kb));
		sodium_memzero(kb, sizeof(kb));
	}
	char *s = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	parley_buf_reset(out);
	if (!s || parley_buf_addstr(out, s) || parley_buf_add_u8(out, '\n'))
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	free(s);
out:
	if (online)
		parley_client_release(&cl);
	json_decref(doc);
	json_decref(cj);
	json_decref(arr);
	json_decref(cosigned);
	json_decref(reads);
	parley_workflow_release(&wf);
	free(hc.v);
	free(set.v);
	parley_buf_release(&note);
	parley_buf_release(&fresh);
	parley_buf_release(&charter);
	parley_buf_release(&raw);
	return rc;
}

