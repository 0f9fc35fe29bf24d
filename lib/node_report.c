/* node_report.c - a node's timeliness reports and report bundles, from its verified replica. */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_internal.h"
#include "parley/bundle.h"
#include "parley/jcs.h"
#include "parley/merkle.h"
#include "parley/remote.h"
#include "parley/proof.h"
#include "parley/report.h"
#include "parley/succession.h"
#include "banned.h"

parley_code parley_node_checkpoint(parley_node *n, const uint8_t id[32], bool ask_relay, parley_buf *note,
	parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	parley_buf fresh = PARLEY_BUF_INIT, mine = PARLEY_BUF_INIT;
	parley_checkpoint cp, cp2;
	parley_client cl;
	parley_code rc;

	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	parley_buf_reset(note);
	if ((rc = parley_store_checkpoint_get(n->store, id, 0, note, NULL, err)))
		return parley_wrap(err, rc, "no verified checkpoint: run 'parley sync'");
	if ((rc = parley_checkpoint_check(c->charter, (const char *)note->data, note->len, &cp, NULL, err)))
		return parley_wrap(err, rc, "the stored checkpoint");
	/* the same checkpoint as the relay serves it now, with every cosignature it collected since */
	if (ask_relay && node_client(n, c, &cl, NULL) == PARLEY_OK) {
		if (parley_remote_checkpoint(&cl, c->hex, cp.size, &fresh, NULL) == PARLEY_OK &&
			parley_checkpoint_check(c->charter, (const char *)fresh.data, fresh.len, &cp2, NULL, NULL) == PARLEY_OK &&
			cp2.size == cp.size && memcmp(cp2.root, cp.root, 32) == 0) {
			parley_buf_reset(note);
			if (parley_buf_add(note, fresh.data, fresh.len))
				rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		}
		parley_client_release(&cl);
	}
	/* our own cosignature of it, if that copy lacks it */
	if (!rc && parley_store_cosigs(n->store, id, cp.size, &mine, NULL) == PARLEY_OK && mine.len &&
		!memmem(note->data, note->len, mine.data, mine.len) && parley_buf_add(note, mine.data, mine.len))
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	parley_buf_release(&fresh);
	parley_buf_release(&mine);
	return rc;
}

struct hdrs {
	parley_wf_entry *v;
	size_t n, cap;
};

static parley_code collect_hdr(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct hdrs *c = ctx;
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
	memset(&c->v[c->n], 0, sizeof(c->v[0]));
	c->v[c->n].index = index;
	c->v[c->n].ms = ms;
	c->v[c->n].h = e.h;
	c->n++;
	return PARLEY_OK;
}

/* The first index at or after `from` whose integration time is at least ms (n when none). */
static uint64_t first_at(const parley_wf_entry *v, uint64_t n, uint64_t from, uint64_t ms)
{
	uint64_t lo = from, hi = n;
	while (lo < hi) { /* integration times never go back in a verified replica */
		uint64_t mid = lo + (hi - lo) / 2;
		if (v[mid].ms < ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The range a bundle needs: from the entry before the period (or the log's
 * start) to the last entry of a thread or PSI request opened in the period,
 * and at least to the first entry after the period (or the checkpoint's end).
 */
static void bundle_range(const parley_wf_input *in, const parley_workflow *wf, uint64_t from_ms, uint64_t to_ms,
	uint64_t *rfrom, uint64_t *rto)
{
	uint64_t n = in->n, f = first_at(in->v, n, 0, from_ms), m;
	*rfrom = f > 0 ? f - 1 : 0;
	if (f >= n)
		*rfrom = n - 1;
	m = to_ms == PARLEY_REPORT_OPEN_END ? n - 1 : first_at(in->v, n, f, to_ms);
	if (m >= n)
		m = n - 1;
	for (uint64_t i = f; i < n; i++) {
		const parley_entry_hdr *h = &in->v[i].h;
		uint64_t op;
		const parley_thread *t;
		if (i <= m)
			continue;
		if (parley_workflow_thread_of(h, i, &op) && op < n && (t = parley_workflow_thread(wf, op)) &&
			t->opened_ms >= from_ms && t->opened_ms < to_ms) {
			m = i;
			continue;
		}
		/* a PSI answer to a request of the period */
		if ((h->type == PARLEY_T_PSI_RESPONSE || h->type == PARLEY_T_PSI_REFUSAL) && h->nrefs && h->refs[0] < n &&
			in->v[h->refs[0]].ms >= from_ms && in->v[h->refs[0]].ms < to_ms)
			m = i;
	}
	/* each obligation's witness, the first entry integrated after its deadline */
	for (size_t i = 0; i < wf->nobl; i++) {
		const parley_thread *t = parley_workflow_thread(wf, wf->obl[i].opener);
		if (t && t->opened_ms >= from_ms && t->opened_ms < to_ms && wf->obl[i].witness_ms && wf->obl[i].witness > m)
			m = wf->obl[i].witness;
	}
	*rto = m < *rfrom ? *rfrom : m;
}

/*
 * A checkpoint of at least min_size entries (and at most cp's) that party pi
 * cosigned after after_ms by its own clock, as a bundle's `cosigned` member
 * with the consistency proof to cp from the replica; NULL when the relay has
 * none. Later checkpoints are tried while the cosignature is too early.
 */
static json_t *cosigned_after(parley_node *n, const struct node_channel *c, parley_client *cl,
	const parley_checkpoint *cp, size_t pi, uint64_t min_size, uint64_t after_ms)
{
	const parley_party *pp = parley_charter_party_at(c->charter, pi);
	parley_buf note = PARLEY_BUF_INIT;
	json_t *out = NULL;

	for (int tries = 0; tries < 16 && min_size <= cp->size && !out; tries++) {
		parley_checkpoint x;
		bool cos[PARLEY_MAX_PARTIES] = { false };
		uint64_t tms[PARLEY_MAX_PARTIES] = { 0 };
		uint8_t proof[PARLEY_MERKLE_MAX_PROOF][32];
		size_t np = 0;
		json_t *hs;
		if (parley_remote_checkpoint_cosigned(cl, c->hex, pp->key.keyid, min_size, &note, NULL) ||
			parley_checkpoint_check_times(c->charter, (const char *)note.data, note.len, &x, cos, tms, NULL) ||
			!cos[pi] || x.size < min_size || x.size > cp->size)
			break;
		min_size = x.size + 1;
		if (tms[pi] <= after_ms) /* made before the deadline: a later one may do */
			continue;
		if (x.size < cp->size && (parley_store_consistency(n->store, c->id, x.size, cp->size, proof, &np, NULL) ||
						 parley_merkle_verify_consistency(x.size, cp->size, x.root, cp->root,
							 (const uint8_t(*)[32])proof, np, NULL)))
			break;
		if (!(hs = json_array()))
			break;
		for (size_t i = 0; i < np; i++) {
			char hex[65];
			parley_hex(hex, proof[i], 32);
			json_array_append_new(hs, json_string(hex));
		}
		out = json_pack("{s:s%, s:o}", "checkpoint", (const char *)note.data, note.len, "consistency", hs);
	}
	parley_buf_release(&note);
	return out;
}

/*
 * For each party not attesting the log past a deadline of the period with the
 * checkpoint's cosignature: a later one it made, from the relay (an empty list
 * when none, or offline).
 */
static parley_code fetch_cosigned(parley_node *n, const struct node_channel *c, const parley_checkpoint *cp,
	const parley_workflow *wf, uint64_t from_ms, uint64_t to_ms, json_t *arr, parley_err *err)
{
	parley_client cl;
	size_t np = parley_charter_nparties(c->charter);
	bool online = false;

	for (size_t pi = 0; pi < np && pi < PARLEY_MAX_PARTIES; pi++) {
		const parley_party *pp = parley_charter_party_at(c->charter, pi);
		uint64_t wmax = 0, dmax = 0;
		bool need = false;
		if (pp->role != PARLEY_ROLE_PARTY)
			continue;
		for (size_t i = 0; i < wf->nobl; i++) {
			const parley_obligation *o = &wf->obl[i];
			const parley_thread *t = parley_workflow_thread(wf, o->opener);
			if (!t || t->opened_ms < from_ms || t->opened_ms >= to_ms || !o->witness_ms || o->attested ||
				memcmp(o->party, pp->key.keyid, 4) != 0)
				continue;
			need = true;
			wmax = o->witness > wmax ? o->witness : wmax;
			dmax = o->deadline_ms > dmax ? o->deadline_ms : dmax;
		}
		if (!need)
			continue;
		if (!online && node_client(n, c, &cl, NULL) != PARLEY_OK)
			return PARLEY_OK;
		online = true;
		json_t *j = cosigned_after(n, c, &cl, cp, pi, wmax + 1, dmax);
		if (j && json_array_append_new(arr, j)) {
			parley_client_release(&cl);
			return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		}
	}
	if (online)
		parley_client_release(&cl);
	return PARLEY_OK;
}

/*
 * One channel's part of a bundle: {charter, checkpoint, entries, complete, cosigned?}.
 * hfirst..hlast (hfirst <= hlast) is a range the part must hold too: the handovers
 * that show its end when another part follows (docs/protocol.md §7.2.1).
 */
static parley_code make_part(parley_node *n, const uint8_t id[32], const parley_wf_input *in,
	const parley_workflow *wf, const parley_report *rep, const parley_buf *note, const json_t *cosigned,
	uint64_t hfirst, uint64_t hlast, json_t **out, parley_err *err)
{
	parley_buf charter = PARLEY_BUF_INIT;
	json_t *cj = NULL, *arr = NULL, *doc = NULL;
	uint64_t rfrom, rto;
	parley_code rc;

	*out = NULL;
	bundle_range(in, wf, rep->from_ms, rep->to_ms, &rfrom, &rto);
	if (hfirst <= hlast) {
		rfrom = hfirst < rfrom ? hfirst : rfrom;
		rto = hlast > rto ? hlast : rto;
	}
	if (!(arr = json_array())) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	for (uint64_t i = rfrom; i <= rto; i++) {
		json_t *e;
		if ((rc = parley_bundle_entry_json(n->store, id, i, in->n, &e, err)))
			goto out;
		if (json_array_append_new(arr, e)) {
			rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
			goto out;
		}
	}
	if ((rc = parley_store_channel_charter(n->store, id, &charter, err)) ||
		(rc = parley_json_parse((const char *)charter.data, charter.len, PARLEY_CHARTER_MAX_BYTES, &cj, err)))
		goto out;
	doc = json_pack("{s:O, s:s%, s:O, s:{s:I, s:I}}", "charter", cj, "checkpoint", (const char *)note->data,
		note->len, "entries", arr, "complete", "from", (json_int_t)rfrom, "to", (json_int_t)rto);
	if (doc && json_array_size(cosigned) && json_object_set(doc, "cosigned", (json_t *)cosigned)) {
		json_decref(doc);
		doc = NULL;
	}
	if (!doc)
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	*out = doc;
out:
	json_decref(cj);
	json_decref(arr);
	parley_buf_release(&charter);
	return rc;
}

/*
 * The report of one channel c over [from_ms, to_ms), and its bundle part when
 * part is not NULL. With next (the next channel of the chain in the report):
 * its checkpoint must hold every handover to it (the part shows them).
 */
static parley_code report_part(parley_node *n, struct node_channel *c, uint64_t from_ms, uint64_t to_ms,
	bool ask_relay, const uint8_t *next, parley_report *rep, json_t **part, parley_err *err)
{
	const uint8_t *id = c->id;
	parley_buf note = PARLEY_BUF_INIT;
	struct hdrs hc = { NULL, 0, 0 };
	parley_wf_input in = PARLEY_WF_INPUT_INIT;
	parley_workflow wf = PARLEY_WORKFLOW_INIT;
	parley_checkpoint cp;
	parley_succession st;
	bool cos[PARLEY_MAX_PARTIES] = { false };
	json_t *cosigned = NULL;
	uint64_t hfirst = 1, hlast = 0;
	parley_code rc;

	memset(rep, 0, sizeof(*rep));
	if (part)
		*part = NULL;
	if ((rc = parley_node_checkpoint(n, id, ask_relay, &note, err)) ||
		(rc = parley_checkpoint_check_times(c->charter, (const char *)note.data, note.len, &cp, cos, in.cosigned_ms,
			 err)))
		goto out;
	if (cp.size == 0) {
		rc = parley_fail(err, PARLEY_E_USAGE, "the log is empty: nothing to report");
		goto out;
	}
	/* the replica up to the checkpoint: the tree whose cosignatures attest it */
	rc = parley_store_entries(n->store, id, 0, cp.size, collect_hdr, &hc, err);
	if (rc == PARLEY_E_FORMAT || rc == PARLEY_E_NOMEM)
		rc = parley_fail(err, rc, rc == PARLEY_E_NOMEM ? "out of memory" : "replica: an entry does not parse");
	if (rc)
		goto out;
	if (hc.n < cp.size) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "the replica holds fewer entries than its checkpoint");
		goto out;
	}
	/* followed by the next channel: the handovers up to the checkpoint end this one */
	parley_succession_init(&st);
	if (next) {
		for (size_t i = 0; i < cp.size; i++) {
			if (hc.v[i].h.type != PARLEY_T_HANDOVER)
				continue;
			if ((rc = parley_succession_follow(c->charter, &st, &hc.v[i].h, hc.v[i].index, hc.v[i].ms,
				     parley_charter_store_lookup, n->store, err)))
				goto out;
			hfirst = hfirst > hlast ? hc.v[i].index : hfirst;
			hlast = hc.v[i].index;
		}
		if (!parley_succession_ended(&st) || memcmp(st.successor, next, 32) != 0) {
			char nhex[65];
			parley_hex(nhex, next, 32);
			rc = parley_fail(err, PARLEY_E_USAGE,
				"channel %.16s: its verified checkpoint does not reach its handover to %.16s yet: run 'parley sync'",
				c->hex, nhex);
			goto out;
		}
	}
	for (size_t i = 0; i < parley_charter_nparties(c->charter) && i < PARLEY_MAX_PARTIES; i++)
		if (cos[i])
			in.cosigned_size[i] = cp.size;
	in.ch = c->charter;
	in.v = hc.v;
	in.n = (size_t)cp.size;
	in.whole_log = true;
	if ((rc = parley_workflow_eval(&in, &wf, err)))
		goto out;
	/* a party that cosigned only an earlier tree, after the deadlines, attests through it (as in proofs) */
	if (!(cosigned = json_array())) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	if (ask_relay && (rc = fetch_cosigned(n, c, &cp, &wf, from_ms, to_ms, cosigned, err)))
		goto out;
	if (json_array_size(cosigned)) {
		if ((rc = parley_bundle_cosigned_check(c->charter, &cp, cosigned, "report", NULL, NULL, &in, err)))
			goto out;
		parley_workflow_release(&wf);
		if ((rc = parley_workflow_eval(&in, &wf, err)))
			goto out;
	}
	if ((rc = parley_report_collect(&in, &wf, from_ms, to_ms, cp.size, cos, rep, err)))
		goto out;
	if (parley_charter_predecessor(c->charter)) {
		rep->has_pred = true;
		memcpy(rep->pred, parley_charter_predecessor(c->charter), 32);
	}
	if (next) {
		rep->handed_over = true;
		memcpy(rep->successor, st.successor, 32);
		rep->end_ms = st.end_ms;
		rep->end_size = st.end_size;
	}
	if (part)
		rc = make_part(n, id, &in, &wf, rep, &note, cosigned, hfirst, hlast, part, err);
out:
	if (rc)
		parley_report_release(rep);
	parley_workflow_release(&wf);
	json_decref(cosigned);
	free(hc.v);
	parley_buf_release(&note);
	return rc;
}

/* Whether channel c has a verified checkpoint of at least one entry (a report can rest on it). */
static bool has_checkpoint(parley_node *n, const struct node_channel *c)
{
	parley_buf note = PARLEY_BUF_INIT;
	parley_checkpoint cp;
	bool ok = parley_store_checkpoint_get(n->store, c->id, 0, &note, NULL, NULL) == PARLEY_OK &&
		parley_checkpoint_check(c->charter, (const char *)note.data, note.len, &cp, NULL, NULL) == PARLEY_OK &&
		cp.size > 0;
	parley_buf_release(&note);
	return ok;
}

/*
 * The channels a report on c over [from_ms, to_ms) covers (docs/protocol.md
 * §7.2.1): c's chain of charters as this home follows it, oldest first, each
 * channel taking the threads opened from its predecessor's end to its own; those
 * whose span meets the period and that have a checkpoint, contiguous, around c.
 */
static parley_code chain_of(parley_node *n, struct node_channel *c, uint64_t from_ms, uint64_t to_ms,
	struct node_channel **sel, size_t *nsel, parley_err *err)
{
	struct node_channel *all[PARLEY_REPORT_MAX_PARTS], *back[PARLEY_REPORT_MAX_PARTS];
	uint64_t end[PARLEY_REPORT_MAX_PARTS];
	bool take[PARLEY_REPORT_MAX_PARTS];
	size_t na = 0, nb = 0, me = 0;
	parley_code rc;

	for (struct node_channel *x = c; x && nb < PARLEY_REPORT_MAX_PARTS;) {
		const uint8_t *p = parley_charter_predecessor(x->charter);
		back[nb++] = x;
		x = p ? node_find_channel(n, p) : NULL;
	}
	for (size_t i = nb; i > 0; i--)
		all[na++] = back[i - 1];
	me = na - 1;
	for (;;) {
		parley_succession st;
		struct node_channel *y;
		if ((rc = node_succession(n, all[na - 1], &st, err)))
			return rc;
		end[na - 1] = parley_succession_ended(&st) ? st.end_ms : PARLEY_REPORT_OPEN_END;
		if (!parley_succession_ended(&st) || na == PARLEY_REPORT_MAX_PARTS ||
			!(y = node_find_channel(n, st.successor)))
			break;
		all[na++] = y;
	}
	for (size_t i = 0; i + 1 < na; i++) { /* the predecessors' ends (walked back above) */
		parley_succession st;
		if ((rc = node_succession(n, all[i], &st, err)))
			return rc;
		end[i] = parley_succession_ended(&st) ? st.end_ms : PARLEY_REPORT_OPEN_END;
	}
	end[na - 1] = PARLEY_REPORT_OPEN_END; /* the last one followed here takes everything after */
	for (size_t i = 0; i < na; i++) {
		uint64_t start = i ? end[i - 1] : 0;
		take[i] = start < to_ms && from_ms < end[i] && (all[i] == c || has_checkpoint(n, all[i]));
	}
	/* the contiguous run around c (or the first run when c's span is outside the period) */
	size_t lo = me, hi = me;
	if (!take[me]) {
		for (lo = 0; lo < na && !take[lo]; lo++)
			;
		if (lo == na) {
			sel[0] = c;
			*nsel = 1;
			return PARLEY_OK;
		}
		hi = lo;
	}
	while (lo > 0 && take[lo - 1])
		lo--;
	while (hi + 1 < na && take[hi + 1])
		hi++;
	*nsel = 0;
	for (size_t i = lo; i <= hi; i++)
		sel[(*nsel)++] = all[i];
	return PARLEY_OK;
}

parley_code parley_node_report(parley_node *n, const uint8_t id[32], uint64_t from_ms, uint64_t to_ms, bool ask_relay,
	struct parley_report *rep, parley_buf *bundle, parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id), *sel[PARLEY_REPORT_MAX_PARTS];
	json_t *pj[PARLEY_REPORT_MAX_PARTS] = { NULL }, *doc = NULL, *fig = NULL;
	parley_report *parts = NULL;
	size_t ns = 0;
	char *s = NULL;
	parley_code rc;

	memset(rep, 0, sizeof(*rep));
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if ((rc = chain_of(n, c, from_ms, to_ms, sel, &ns, err)))
		return rc;
	if (!(parts = calloc(ns, sizeof(*parts))))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	for (size_t k = 0; k < ns; k++)
		if ((rc = report_part(n, sel[k], from_ms, to_ms, ask_relay, k + 1 < ns ? sel[k + 1]->id : NULL, &parts[k],
			     bundle ? &pj[k] : NULL, err))) {
			if (ns > 1)
				parley_wrap(err, rc, "channel %.16s", sel[k]->hex);
			for (size_t j = 0; j < k; j++)
				parley_report_release(&parts[j]);
			free(parts);
			goto out;
		}
	if ((rc = parley_report_merge(parts, ns, rep, err)))
		goto out;
	if (bundle) {
		parley_report check;
		if (!(fig = parley_report_json(rep)) ||
			!(doc = json_pack("{s:i, s:{s:I, s:o}}", "parley_report", PARLEY_REPORT_VERSION, "period", "from_ms",
				  (json_int_t)rep->from_ms, "to_ms",
				  rep->to_ms == PARLEY_REPORT_OPEN_END ? json_null() : json_integer((json_int_t)rep->to_ms)))) {
			rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
			goto out;
		}
		if (ns == 1) {
			if (json_object_update(doc, pj[0]))
				rc = PARLEY_E_NOMEM;
		} else {
			json_t *chain = json_array();
			for (size_t k = 0; chain && k < ns; k++)
				if (json_array_append(chain, pj[k]))
					rc = PARLEY_E_NOMEM;
			if (!chain || json_object_set_new(doc, "chain", chain))
				rc = PARLEY_E_NOMEM;
		}
		if (rc || json_object_set(doc, "figures", fig) ||
			!(s = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER))) {
			rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
			goto out;
		}
		parley_buf_reset(bundle);
		if (parley_buf_addstr(bundle, s) || parley_buf_add_u8(bundle, '\n')) {
			rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
			goto out;
		}
		/* what any checker will find, before anyone else sees it */
		if ((rc = parley_report_check((const char *)bundle->data, bundle->len, &check, err))) {
			parley_wrap(err, rc, "the report bundle does not check (a bug: please report it)");
			goto out;
		}
		parley_report_release(&check);
	}
out:
	if (rc)
		parley_report_release(rep);
	for (size_t k = 0; k < ns; k++)
		json_decref(pj[k]);
	json_decref(doc);
	json_decref(fig);
	free(s);
	return rc;
}
