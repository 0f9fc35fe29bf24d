/* bundle.c - the parts proof bundles and report bundles share: checking entries, proofs and ranges, and building them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "parley/admit.h"
#include "parley/bundle.h"
#include "parley/receipt.h"
#include "parley/merkle.h"
#include "parley/proof.h"
#include "banned.h"

parley_code parley_bundle_charter(const json_t *doc, const char *what, parley_charter **out, parley_err *err)
{
	const json_t *cj = json_object_get(doc, "charter");
	char *ctext;
	parley_code rc;

	*out = NULL;
	if (!json_is_object(cj) || !(ctext = json_dumps(cj, JSON_COMPACT)))
		return parley_fail(err, PARLEY_E_FORMAT, "%s: no charter", what);
	rc = parley_charter_parse(ctext, strlen(ctext), out, err);
	free(ctext);
	if (rc || (rc = parley_charter_verify(*out, err))) {
		parley_charter_free(*out);
		*out = NULL;
		return parley_wrap(err, rc, "%s: charter", what);
	}
	return PARLEY_OK;
}

parley_code parley_bundle_hashes(const json_t *arr, uint8_t out[][32], size_t *n, const char *prefix, const char *what,
	parley_err *err)
{
	size_t k;
	json_t *h;
	if (!json_is_array(arr) || json_array_size(arr) > PARLEY_MERKLE_MAX_PROOF)
		return parley_fail(err, PARLEY_E_FORMAT, "%s: %s must be a list of at most %d hashes", prefix, what,
			PARLEY_MERKLE_MAX_PROOF);
	json_array_foreach(arr, k, h) {
		const char *hx = json_string_value(h);
		if (!hx || parley_unhex(out[k], 32, hx, strlen(hx)))
			return parley_fail(err, PARLEY_E_FORMAT, "%s: %s: hash %zu is not 32 bytes of hex", prefix, what, k);
	}
	*n = json_array_size(arr);
	return PARLEY_OK;
}

/* One entry: decoded, a party's signature, created near its integration time, in scope, in the signed tree. */
static parley_code check_one(const parley_charter *ch, const parley_checkpoint *cp, size_t i, const json_t *v,
	const char *what, parley_bundle_entry *x, parley_err *err)
{
	json_t *ji = json_object_get(v, "index"), *jm = json_object_get(v, "integrated_ms");
	const char *b64 = json_string_value(json_object_get(v, "entry"));
	uint8_t proof[PARLEY_MERKLE_MAX_PROOF][32], leaf[32];
	size_t nh, blen = b64 ? strlen(b64) : 0;
	parley_code rc;

	if (!json_is_object(v) || !json_is_integer(ji) || json_integer_value(ji) < 0 || !json_is_integer(jm) ||
		json_integer_value(jm) < 0 || !b64 || blen > 2 * PARLEY_ENTRY_MAX_BYTES)
		return parley_fail(err, PARLEY_E_FORMAT, "%s: entry %zu is malformed", what, i);
	x->index = (uint64_t)json_integer_value(ji);
	x->ms = (uint64_t)json_integer_value(jm);
	if (!(x->bytes = malloc(blen / 4 * 3 + 3)))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	if (parley_unb64(x->bytes, blen / 4 * 3 + 3, &x->len, b64, blen))
		return parley_fail(err, PARLEY_E_FORMAT, "%s: entry %llu is not base64", what, (unsigned long long)x->index);
	if (parley_entry_parse(x->bytes, x->len, &x->e, err))
		return parley_wrap(err, PARLEY_E_VERIFY, "%s: entry %llu", what, (unsigned long long)x->index);
	if (memcmp(x->e.h.channel, parley_charter_id(ch), 32) != 0)
		return parley_fail(err, PARLEY_E_VERIFY, "%s: entry %llu belongs to another channel", what,
			(unsigned long long)x->index);
	if (!(x->sender = parley_charter_party_by_keyid(ch, x->e.h.sender)) || x->sender->role != PARLEY_ROLE_PARTY)
		return parley_fail(err, PARLEY_E_VERIFY, "%s: entry %llu: the sender is not a party", what,
			(unsigned long long)x->index);
	if (parley_entry_verify(&x->e, x->sender->key.sign_pk, NULL))
		return parley_fail(err, PARLEY_E_VERIFY, "%s: entry %llu: signature does not verify for party %s", what,
			(unsigned long long)x->index, x->sender->key.name);
	/* the relay and every node refuse an entry created more than an hour from its integration time (§5) */
	if (x->e.h.created_ms > x->ms + PARLEY_ENTRY_MAX_SKEW_MS || x->e.h.created_ms + PARLEY_ENTRY_MAX_SKEW_MS < x->ms)
		return parley_fail(err, PARLEY_E_VERIFY,
			"%s: entry %llu was created more than %llu s away from its integration time", what,
			(unsigned long long)x->index, (unsigned long long)(PARLEY_ENTRY_MAX_SKEW_MS / 1000));
	/* a handover's category names its successor (docs/protocol.md §4.1.4) */
	if (!parley_charter_allows_type(ch, x->e.h.type) ||
		(x->e.h.type != PARLEY_T_HANDOVER && !parley_charter_allows_category(ch, x->e.h.category)))
		return parley_fail(err, PARLEY_E_VERIFY, "%s: entry %llu is outside the charter's scope", what,
			(unsigned long long)x->index);
	for (unsigned k = 0; k < x->e.h.nrecip; k++) {
		const parley_party *r = parley_charter_party_by_keyid(ch, x->e.h.recip[k]);
		if (!r || r->role != PARLEY_ROLE_PARTY)
			return parley_fail(err, PARLEY_E_VERIFY,
				"%s: entry %llu: recipient %u is not a party (auditors are never recipients)", what,
				(unsigned long long)x->index, k);
	}
	if ((rc = parley_bundle_hashes(json_object_get(v, "inclusion"), proof, &nh, what, "inclusion", err)))
		return rc;
	parley_store_leaf_hash(leaf, x->bytes, x->len, x->ms);
	if (parley_merkle_verify_inclusion(leaf, x->index, cp->size, (const uint8_t(*)[32])proof, nh, cp->root, NULL))
		return parley_fail(err, PARLEY_E_VERIFY,
			"%s: entry %llu (with its integration time) is not in the tree the checkpoint signs", what,
			(unsigned long long)x->index);
	/* a batched receipt covers entries of the tree its writer verified: "tree" proves it is this one */
	if (x->e.h.type == PARLEY_T_RECEIPT) {
		parley_receipt_cover cov;
		if (parley_receipt_covers(&x->e.h, x->index, &cov, err))
			return parley_wrap(err, PARLEY_E_VERIFY, "%s: entry %llu", what, (unsigned long long)x->index);
		if (cov.form == 2) {
			if ((rc = parley_bundle_hashes(json_object_get(v, "tree"), proof, &nh, what, "tree", err)))
				return parley_wrap(err, rc, "entry %llu, a batched receipt", (unsigned long long)x->index);
			if (parley_merkle_verify_consistency(cov.size, cp->size, cov.root, cp->root, (const uint8_t(*)[32])proof,
				    nh, NULL))
				return parley_fail(err, PARLEY_E_VERIFY,
					"%s: entry %llu, a batched receipt, names a tree of size %llu that is not a prefix of the tree "
					"the checkpoint signs", what, (unsigned long long)x->index, (unsigned long long)cov.size);
		}
	}
	return PARLEY_OK;
}

void parley_bundle_entries_free(parley_bundle_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].bytes);
	free(v);
}

static int cmp_entry(const void *a, const void *b)
{
	const parley_bundle_entry *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

parley_code parley_bundle_admit_lookup(void *ctx, uint64_t index, parley_entry_hdr *h, uint64_t *integrated_ms,
	parley_err *err)
{
	const parley_bundle_look *b = ctx;
	size_t lo = 0, hi = b->n;
	(void)err;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b->v[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == b->n || b->v[lo].index != index)
		return PARLEY_E_PENDING;
	*h = b->v[lo].e.h;
	*integrated_ms = b->v[lo].ms;
	return PARLEY_OK;
}

parley_code parley_bundle_entries(const parley_charter *ch, const parley_checkpoint *cp, const json_t *arr, size_t max,
	const char *what, parley_bundle_entry **out, size_t *n, parley_err *err)
{
	parley_bundle_entry *v;
	size_t i, got = 0;
	json_t *e;
	parley_code rc = PARLEY_OK;

	*out = NULL;
	*n = 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > max)
		return parley_fail(err, PARLEY_E_FORMAT, "%s: 'entries' must be a list of 1 to %zu entries", what, max);
	if (!(v = calloc(json_array_size(arr), sizeof(*v))))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	json_array_foreach(arr, i, e) {
		rc = check_one(ch, cp, i, e, what, &v[got], err);
		got++;
		if (rc)
			goto fail;
	}
	qsort(v, got, sizeof(*v), cmp_entry);
	for (i = 1; i < got; i++)
		if (v[i].index == v[i - 1].index) {
			rc = parley_fail(err, PARLEY_E_FORMAT, "%s: entry %llu appears twice", what,
				(unsigned long long)v[i].index);
			goto fail;
		}
	/*
	 * The charter's validity and wind-down (lib/admit.c), as the relay and every node
	 * apply them: a relay holding its key, alone or with a sender, cannot put into a
	 * bundle a thread opened after the charter expired (or anything before it began),
	 * which no honest relay or node admits. An answer or receipt whose thread the
	 * bundle does not hold is not judged here (the bundle cannot tell).
	 */
	parley_bundle_look bl = { v, got };
	for (i = 0; i < got; i++) {
		parley_err aerr = { 0 };
		parley_code arc = parley_admit_validity(ch, &v[i].e.h, v[i].index, v[i].ms, parley_bundle_admit_lookup, &bl, &aerr);
		if (arc && arc != PARLEY_E_PENDING) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "%s: entry %llu is not admissible: %s", what,
				(unsigned long long)v[i].index, aerr.msg);
			goto fail;
		}
	}
	*out = v;
	*n = got;
	return PARLEY_OK;
fail:
	parley_bundle_entries_free(v, got);
	return rc;
}

parley_code parley_bundle_complete_parse(const json_t *v, const char *what, uint64_t *from, uint64_t *to,
	parley_err *err)
{
	json_t *f = json_object_get(v, "from"), *t = json_object_get(v, "to");
	if (!json_is_object(v) || !json_is_integer(f) || !json_is_integer(t) || json_integer_value(f) < 0 ||
		json_integer_value(t) < json_integer_value(f) || json_object_size(v) != 2)
		return parley_fail(err, PARLEY_E_FORMAT, "%s: 'complete' must be {\"from\": N, \"to\": M}", what);
	*from = (uint64_t)json_integer_value(f);
	*to = (uint64_t)json_integer_value(t);
	return PARLEY_OK;
}

parley_code parley_bundle_range_check(const parley_bundle_entry *v, size_t n, uint64_t from, uint64_t to,
	const char *what, parley_err *err)
{
	uint64_t want = from, last_ms = 0;
	for (size_t i = 0; i < n && v[i].index <= to; i++) {
		if (v[i].index < from)
			continue;
		if (v[i].index != want)
			break;
		if (v[i].ms < last_ms)
			return parley_fail(err, PARLEY_E_VERIFY, "%s: integration times go backwards at entry %llu", what,
				(unsigned long long)v[i].index);
		last_ms = v[i].ms;
		want++;
	}
	if (want != to + 1)
		return parley_fail(err, PARLEY_E_VERIFY, "%s: the range %llu..%llu claimed complete lacks entry %llu", what,
			(unsigned long long)from, (unsigned long long)to, (unsigned long long)want);
	return PARLEY_OK;
}

parley_code parley_bundle_cosigned_check(const parley_charter *ch, const parley_checkpoint *cp, const json_t *arr,
	const char *what, parley_bundle_cosigned *out, size_t *nout, parley_wf_input *in, parley_err *err)
{
	size_t i;
	json_t *v;
	if (nout)
		*nout = 0;
	if (!arr)
		return PARLEY_OK;
	if (!json_is_array(arr) || json_array_size(arr) > PARLEY_BUNDLE_MAX_COSIGNED)
		return parley_fail(err, PARLEY_E_FORMAT, "%s: 'cosigned' must be a list of at most %d checkpoints", what,
			PARLEY_BUNDLE_MAX_COSIGNED);
	json_array_foreach(arr, i, v) {
		const char *note = json_string_value(json_object_get(v, "checkpoint"));
		uint8_t proof[PARLEY_MERKLE_MAX_PROOF][32];
		uint64_t tms[PARLEY_MAX_PARTIES] = { 0 };
		bool cos[PARLEY_MAX_PARTIES] = { false };
		size_t nh = 0;
		parley_checkpoint c;
		parley_code rc;
		if (!json_is_object(v) || !note)
			return parley_fail(err, PARLEY_E_FORMAT, "%s: cosigned checkpoint %zu is malformed", what, i);
		if ((rc = parley_checkpoint_check_times(ch, note, strlen(note), &c, cos, tms, err)))
			return parley_wrap(err, rc, "%s: cosigned checkpoint %zu", what, i);
		if ((rc = parley_bundle_hashes(json_object_get(v, "consistency"), proof, &nh, what, "cosigned consistency proof",
			     err)))
			return rc;
		if (c.size == cp->size ? sodium_memcmp(c.root, cp->root, 32) != 0 :
			c.size < cp->size ?
					 parley_merkle_verify_consistency(c.size, cp->size, c.root, cp->root,
						 (const uint8_t(*)[32])proof, nh, NULL) != PARLEY_OK :
					 parley_merkle_verify_consistency(cp->size, c.size, cp->root, c.root,
						 (const uint8_t(*)[32])proof, nh, NULL) != PARLEY_OK)
			return parley_fail(err, PARLEY_E_VERIFY,
				"%s: cosigned checkpoint %zu (size %llu) is not consistent with the bundle's checkpoint (size %llu)",
				what, i, (unsigned long long)c.size, (unsigned long long)cp->size);
		if (out) {
			out[i].size = c.size;
			memcpy(out[i].cosigned, cos, sizeof(cos));
		}
		if (nout)
			*nout = i + 1;
		/* each party's latest cosignature (by its own signed clock) is what it attests */
		for (size_t k = 0; k < parley_charter_nparties(ch) && k < PARLEY_MAX_PARTIES; k++)
			if (cos[k] && (tms[k] > in->cosigned_ms[k] ||
				(tms[k] == in->cosigned_ms[k] && c.size > in->cosigned_size[k]))) {
				in->cosigned_size[k] = c.size;
				in->cosigned_ms[k] = tms[k];
			}
	}
	return PARLEY_OK;
}

parley_code parley_bundle_wf_entries(const parley_bundle_entry *v, size_t n, parley_wf_entry **out, parley_err *err)
{
	parley_wf_entry *w = calloc(n ? n : 1, sizeof(*w));
	*out = NULL;
	if (!w)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		w[i].index = v[i].index;
		w[i].ms = v[i].ms;
		w[i].h = v[i].e.h;
		parley_entry_hash(v[i].bytes, v[i].len, w[i].hash);
		w[i].has_hash = true;
	}
	*out = w;
	return PARLEY_OK;
}

parley_code parley_bundle_entry_json(parley_store *s, const uint8_t id[32], uint64_t index, uint64_t size, json_t **out,
	parley_err *err)
{
	parley_buf b = PARLEY_BUF_INIT;
	uint64_t ms;
	uint8_t proof[PARLEY_MERKLE_MAX_PROOF][32];
	size_t np;
	char *b64 = NULL;
	json_t *hs = NULL;
	parley_code rc;

	*out = NULL;
	if ((rc = parley_store_entry(s, id, index, &b, &ms, err)) ||
		(rc = parley_store_inclusion(s, id, index, size, proof, &np, err)))
		goto out;
	if (!(b64 = malloc(parley_b64_len(b.len))) || !(hs = json_array())) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	parley_b64(b64, b.data, b.len);
	for (size_t i = 0; i < np; i++) {
		char hex[65];
		parley_hex(hex, proof[i], 32);
		if (json_array_append_new(hs, json_string(hex))) {
			rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
			goto out;
		}
	}
	if (!(*out = json_pack("{s:I, s:I, s:s, s:O}", "index", (json_int_t)index, "integrated_ms", (json_int_t)ms,
		      "entry", b64, "inclusion", hs))) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	/* a batched receipt: the consistency proof from the tree it names to this one */
	parley_entry e;
	parley_receipt_cover cov;
	if (parley_entry_parse(b.data, b.len, &e, NULL) == PARLEY_OK && e.h.type == PARLEY_T_RECEIPT &&
		parley_receipt_covers(&e.h, index, &cov, NULL) == PARLEY_OK && cov.form == 2) {
		json_t *ts = json_array();
		if ((rc = parley_store_consistency(s, id, cov.size, size, proof, &np, err)))
			goto out;
		for (size_t i = 0; ts && i < np; i++) {
			char hex[65];
			parley_hex(hex, proof[i], 32);
			json_array_append_new(ts, json_string(hex));
		}
		if (!ts || json_object_set_new(*out, "tree", ts)) {
			rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
			goto out;
		}
	}
out:
	if (rc && *out) {
		json_decref(*out);
		*out = NULL;
	}
	json_decref(hs);
	free(b64);
	parley_buf_release(&b);
	return rc;
}
