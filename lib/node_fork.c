/*
 * node_fork.c - after a relay was restored from an old backup (a fork by design): find
 * what both histories share, keep the rest in an archive, cut the replica back, resume.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "node_internal.h"
#include "parley/backup.h"
#include "parley/merkle.h"
#include "parley/note.h"
#include "parley/proof.h"
#include "parley/store.h"
#include "banned.h"

static parley_code get200(parley_client *cl, const char *target, parley_buf *resp, parley_err *err)
{
	long status = 0;
	parley_code rc = parley_client_do(cl, "GET", target, NULL, NULL, 0, &status, resp, err);
	if (rc)
		return rc;
	return status == 200 ? PARLEY_OK : parley_client_problem(status, resp, err);
}

/* Whether the relay's tree cp extends our first k entries: our root at k, its consistency proof. */
static parley_code extends(parley_node *n, struct node_channel *c, parley_client *cl, const parley_checkpoint *cp,
	uint64_t k, bool *yes, parley_err *err)
{
	uint8_t mine[32], proof[PARLEY_MERKLE_MAX_PROOF][32];
	parley_buf resp = PARLEY_BUF_INIT;
	char target[200];
	json_t *j = NULL, *arr, *v;
	size_t i, np;
	parley_code rc;

	*yes = false;
	if (k == 0) {
		*yes = true;
		return PARLEY_OK;
	}
	if ((rc = parley_store_root(n->store, c->id, k, mine, err)))
		return rc;
	if (k == cp->size) {
		*yes = sodium_memcmp(mine, cp->root, 32) == 0;
		return PARLEY_OK;
	}
	snprintf(target, sizeof(target), "/v1/channels/%s/proof/consistency?old=%llu&size=%llu", c->hex,
		(unsigned long long)k, (unsigned long long)cp->size);
	if ((rc = get200(cl, target, &resp, err)))
		goto out;
	j = json_loadb((const char *)resp.data, resp.len, 0, NULL);
	arr = json_object_get(j, "hashes");
	if (!json_is_array(arr) || json_array_size(arr) > PARLEY_MERKLE_MAX_PROOF) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "malformed proof from the relay");
		goto out;
	}
	np = json_array_size(arr);
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);
		if (!s || parley_unhex(proof[i], 32, s, strlen(s))) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "malformed proof from the relay");
			goto out;
		}
	}
	*yes = parley_merkle_verify_consistency(k, cp->size, mine, cp->root, (const uint8_t(*)[32])proof, np, NULL) ==
		PARLEY_OK;
out:
	json_decref(j);
	parley_buf_release(&resp);
	return rc;
}

struct own_ctx {
	const uint8_t *keyid;
	uint64_t n;
};

static parley_code count_own(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct own_ctx *o = ctx;
	parley_entry e;
	(void)index;
	(void)ms;
	if (parley_entry_parse(data, len, &e, NULL) == PARLEY_OK && memcmp(e.h.sender, o->keyid, 4) == 0)
		o->n++;
	return PARLEY_OK;
}

parley_code parley_node_accept_fork(parley_node *n, const uint8_t id[32], parley_node_fork *out, parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	parley_buf note = PARLEY_BUF_INIT;
	parley_checkpoint cp;
	parley_client cl;
	char target[200], path[1200];
	uint64_t lo, hi;
	bool yes;
	parley_code rc;

	memset(out, 0, sizeof(*out));
	memset(&cl, 0, sizeof(cl));
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if ((rc = parley_store_size(n->store, c->id, &out->ours, err)) || (rc = node_client(n, c, &cl, err)))
		goto out;
	snprintf(target, sizeof(target), "/v1/channels/%s/checkpoint", c->hex);
	if ((rc = get200(&cl, target, &note, err)) ||
		(rc = parley_checkpoint_check(c->charter, (const char *)note.data, note.len, &cp, NULL, err)))
		goto out;
	out->relays = cp.size;
	/* the largest k such that the relay's tree extends our first k entries (true for 0, monotone) */
	lo = 0;
	hi = out->ours < cp.size ? out->ours : cp.size;
	if ((rc = extends(n, c, &cl, &cp, hi, &yes, err)))
		goto out;
	if (yes) {
		lo = hi;
	} else {
		while (hi - lo > 1) { /* extends(lo) holds, extends(hi) does not */
			uint64_t mid = lo + (hi - lo) / 2;
			if ((rc = extends(n, c, &cl, &cp, mid, &yes, err)))
				goto out;
			if (yes)
				lo = mid;
			else
				hi = mid;
		}
	}
	out->shared = lo;
	out->lost = out->ours - lo;
	if (out->lost) {
		struct own_ctx o = { n->key->pub.keyid, 0 };
		if ((rc = parley_store_entries(n->store, c->id, lo, UINT64_MAX, count_own, &o, err)))
			goto out;
		out->lost_own = o.n;
		/* the abandoned history stays available (proofs, evidence): the whole replica, as it was */
		snprintf(out->archive, sizeof(out->archive), "%s/replica-before-fork-%.16s-%llu.db", n->home, c->hex,
			(unsigned long long)parley_now_ms());
		snprintf(path, sizeof(path), "%s/replica.db", n->home);
		parley_store_close(n->store);
		n->store = NULL;
		rc = parley_backup_db(path, out->archive, err);
		if (!rc)
			rc = parley_replica_truncate(path, c->id, lo, err);
		parley_code rc2 = parley_store_open(path, &n->store, rc ? NULL : err);
		if (!rc)
			rc = rc2;
		if (rc)
			goto out;
		c->succ_known = false;
	}
	rc = parley_node_resume(n, id, err);
out:
	parley_client_release(&cl);
	parley_buf_release(&note);
	return rc;
}
