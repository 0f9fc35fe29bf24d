/* node_succession.c - a node follows a chain of charters: the successor's charter, handing over, the state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_internal.h"
#include "parley/payload.h"
#include "parley/store.h"
#include "parley/succession.h"
#include "banned.h"

parley_code node_charter_lookup(void *ctx, const uint8_t id[32], parley_charter **out, parley_err *err)
{
	struct node_charter_look *l = ctx;
	parley_buf resp = PARLEY_BUF_INIT;
	char hex[65], target[128];
	long status = 0;
	parley_code rc;

	rc = parley_charter_store_lookup(l->n->store, id, out, err);
	if (rc != PARLEY_E_NOTFOUND || !l->cl)
		return rc;
	/* during a sync: the relay holds every successor a handover on it names (it refuses the others) */
	parley_hex(hex, id, 32);
	snprintf(target, sizeof(target), "/v1/channels/%s/charter", hex);
	if ((rc = parley_client_do(l->cl, "GET", target, NULL, NULL, 0, &status, &resp, err)))
		goto out;
	if (status == 404) {
		rc = PARLEY_E_NOTFOUND;
		goto out;
	}
	if (status != 200) {
		rc = parley_client_problem(status, &resp, err);
		goto out;
	}
	if (parley_charter_parse((const char *)resp.data, resp.len, out, err)) {
		parley_wrap(err, PARLEY_E_VERIFY, "successor charter %.16s from the relay", hex);
		rc = PARLEY_E_VERIFY;
		goto out;
	}
	if (memcmp(parley_charter_id(*out), id, 32) != 0) {
		parley_charter_free(*out);
		*out = NULL;
		rc = parley_fail(err, PARLEY_E_VERIFY, "the relay answered another charter for successor %.16s", hex);
		goto out;
	}
	rc = parley_store_channel_add(l->n->store, id, resp.data, resp.len, err);
	if (rc == PARLEY_E_USAGE)
		rc = PARLEY_OK;
	if (rc) {
		parley_charter_free(*out);
		*out = NULL;
	}
out:
	parley_buf_release(&resp);
	return rc;
}

struct follow_ctx {
	parley_node *n;
	struct node_channel *c;
	parley_succession st;
	parley_err *err;
};

static parley_code follow_one(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct follow_ctx *f = ctx;
	struct node_charter_look cl = { f->n, NULL };
	parley_entry e;
	if (parley_entry_parse(data, len, &e, f->err))
		return parley_wrap(f->err, PARLEY_E_VERIFY, "replica entry %llu", (unsigned long long)index);
	return parley_succession_follow(f->c->charter, &f->st, &e.h, index, ms, node_charter_lookup, &cl, f->err);
}

parley_code node_succession(parley_node *n, struct node_channel *c, parley_succession *out, parley_err *err)
{
	struct follow_ctx f = { n, c, { 0 }, err };
	uint64_t size;
	parley_code rc;

	if ((rc = parley_store_size(n->store, c->id, &size, err)))
		return rc;
	if (c->succ_known && c->succ_size == size) {
		*out = c->succ;
		return PARLEY_OK;
	}
	/* the replica only grows (a fork's cut resets succ_known): follow what was added since */
	uint64_t from = 0;
	if (c->succ_known && c->succ_size < size) {
		f.st = c->succ;
		from = c->succ_size;
	} else {
		/* the node's state tables hold it for the replica they follow (built on first use) */
		struct scan_ctx *sc = malloc(sizeof(*sc));
		if (!sc)
			return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		if ((rc = node_state_load(n, c, sc, err))) {
			free(sc);
			return rc;
		}
		f.st = sc->succ;
		from = sc->count <= size ? sc->count : 0;
		if (!from)
			parley_succession_init(&f.st);
		free(sc);
	}
	if ((rc = parley_store_entries(n->store, c->id, from, size - from, follow_one, &f, err)))
		return rc;
	c->succ = f.st;
	c->succ_size = size;
	c->succ_known = true;
	*out = f.st;
	return PARLEY_OK;
}

struct node_channel *node_chain_head(parley_node *n)
{
	struct node_channel *head = NULL;
	size_t len = 0;

	/* the head: the channel no joined channel names as predecessor (exactly one) */
	for (size_t i = 0; i < n->nch; i++) {
		bool succeeded = false;
		for (size_t j = 0; j < n->nch && !succeeded; j++) {
			const uint8_t *p = parley_charter_predecessor(n->ch[j].charter);
			succeeded = j != i && p && memcmp(p, n->ch[i].id, 32) == 0;
		}
		if (succeeded)
			continue;
		if (head)
			return NULL;
		head = &n->ch[i];
	}
	/* and every channel lies on the head's chain of predecessors */
	for (struct node_channel *c = head; c && len <= n->nch; len++) {
		const uint8_t *p = parley_charter_predecessor(c->charter);
		c = p ? node_find_channel(n, p) : NULL;
	}
	return head && len == n->nch ? head : NULL;
}

parley_code node_successor_check(parley_node *n, struct node_channel *c, const parley_entry_hdr *h, parley_err *err)
{
	const uint8_t *pred = parley_charter_predecessor(c->charter);
	struct node_channel *pc;
	parley_succession st;
	parley_code rc;

	if (!pred || !(pc = node_find_channel(n, pred)))
		return PARLEY_OK; /* not followed here: the relay that hosts both decides */
	if ((rc = node_succession(n, pc, &st, err)))
		return rc;
	return parley_admit_successor_active(c->charter, &st, h, err);
}

parley_code parley_node_succession_get(parley_node *n, const uint8_t id[32], parley_node_succession *out,
	parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	parley_succession st;
	const uint8_t *pred;
	parley_code rc;

	memset(out, 0, sizeof(*out));
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if ((pred = parley_charter_predecessor(c->charter))) {
		out->has_pred = true;
		memcpy(out->pred, pred, 32);
		out->pred_joined = node_find_channel(n, pred) != NULL;
	}
	if ((rc = node_succession(n, c, &st, err)))
		return rc;
	out->named = st.named;
	memcpy(out->successor, st.successor, 32);
	out->succ_joined = st.named && node_find_channel(n, st.successor) != NULL;
	out->ncont = st.ncont;
	for (size_t i = 0; i < st.ncont; i++)
		out->ndone += st.done[i];
	out->ended = parley_succession_ended(&st);
	out->end_ms = st.end_ms;
	out->end_size = st.end_size;
	return PARLEY_OK;
}

parley_code parley_node_handover(parley_node *n, const uint8_t id[32], const char *successor_path, uint64_t *index,
	parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	parley_charter *succ = NULL;
	parley_buf text = PARLEY_BUF_INIT, canon = PARLEY_BUF_INIT, payload = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT,
		   msg = PARLEY_BUF_INIT;
	parley_client cl;
	const char *to[PARLEY_MAX_PARTIES];
	size_t nto = 0;
	char hex[65];
	long status = 0;
	const uint8_t *pred;
	parley_code rc;

	memset(&cl, 0, sizeof(cl));
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if ((rc = parley_file_read(successor_path, PARLEY_CHARTER_MAX_BYTES, &text, err)) ||
		(rc = parley_charter_parse((const char *)text.data, text.len, &succ, err)))
		goto out;
	if (!(pred = parley_charter_predecessor(succ)) || memcmp(pred, id, 32) != 0) {
		rc = parley_fail(err, PARLEY_E_USAGE, "%s does not succeed channel %.16s (its predecessor field %s)",
			successor_path, c->hex, pred ? "names another channel" : "is absent");
		goto out;
	}
	if ((rc = parley_charter_verify(succ, err))) {
		parley_wrap(err, rc, "%s: every party of the successor signs it before anyone hands over", successor_path);
		goto out;
	}
	const parley_party *me = parley_charter_party(succ, n->key->pub.name);
	if (!me || me->role != PARLEY_ROLE_PARTY) {
		rc = parley_fail(err, PARLEY_E_USAGE,
			"%s is not a party of the successor: only continuing parties hand over", n->key->pub.name);
		goto out;
	}
	if ((rc = parley_charter_write_canonical(succ, &canon, err)))
		goto out;
	/*
	 * The relay of this channel holds the successor (it checks handovers against it): the
	 * first party to hand over gives it (a rotated key can read it there, not open it)
	 */
	if ((rc = node_client(n, c, &cl, err)))
		goto out;
	struct node_charter_look lk = { n, &cl };
	parley_charter *held = NULL;
	rc = node_charter_lookup(&lk, parley_charter_id(succ), &held, err);
	parley_charter_free(held);
	if (rc == PARLEY_E_NOTFOUND) {
		if ((rc = parley_client_do(&cl, "POST", "/v1/channels", "application/json", canon.data, canon.len, &status,
			     &resp, err)))
			goto out;
		if (status != 201) {
			rc = parley_client_problem(status, &resp, err);
			parley_wrap(err, rc, "the relay did not take the successor charter");
			goto out;
		}
	} else if (rc) {
		goto out;
	}
	rc = parley_store_channel_add(n->store, parley_charter_id(succ), canon.data, canon.len, err);
	if (rc == PARLEY_E_USAGE)
		rc = PARLEY_OK;
	if (rc)
		goto out;
	for (size_t i = 0; i < parley_charter_nparties(c->charter); i++) {
		const parley_party *p = parley_charter_party_at(c->charter, i);
		if (p->role == PARLEY_ROLE_PARTY && strcmp(p->key.name, n->key->pub.name) != 0)
			to[nto++] = p->key.name;
	}
	parley_hex(hex, parley_charter_id(succ), 32);
	if ((rc = parley_buf_addf(&msg, "this channel continues under charter %s (%s)", hex, parley_charter_title(succ))) ||
		(rc = parley_payload_encode((const char *)msg.data, NULL, &payload, err)))
		goto out;
	parley_post p = { PARLEY_T_HANDOVER, 0, NULL, 0, hex, -1, to, nto, payload.data, payload.len };
	rc = parley_node_post(n, id, &p, index, err);
out:
	parley_client_release(&cl);
	parley_charter_free(succ);
	parley_buf_release(&text);
	parley_buf_release(&canon);
	parley_buf_release(&payload);
	parley_buf_release(&resp);
	parley_buf_release(&msg);
	return rc;
}
