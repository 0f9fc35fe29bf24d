/* evidence.c - evidence files: what a node keeps when it catches its relay, checked offline. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "parley/evidence.h"
#include "parley/jcs.h"
#include "parley/merkle.h"
#include "parley/proof.h"
#include "banned.h"

#define NOT_A_PROOF "not a proof: "

/* Refuse: what the file is, and why it proves nothing. */
static parley_code not_proof(parley_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static parley_code not_proof(parley_err *err, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return parley_fail(err, PARLEY_E_VERIFY, NOT_A_PROOF "%s", msg);
}

/* The consistency proof of the file, if any: absent is empty, anything but a list of hashes is refused. */
static parley_code load_proof(const json_t *doc, uint8_t proof[][32], size_t *np, parley_err *err)
{
	const json_t *jp = json_object_get(doc, "consistency_proof"), *h;
	size_t i;

	*np = 0;
	if (!jp)
		return PARLEY_OK;
	if (!json_is_array(jp) || json_array_size(jp) > PARLEY_MERKLE_MAX_PROOF)
		return not_proof(err, "'consistency_proof' must be a list of at most %d hashes", PARLEY_MERKLE_MAX_PROOF);
	json_array_foreach(jp, i, h) {
		const char *s = json_string_value(h);
		if (!s || strlen(s) != 64 || parley_unhex(proof[i], 32, s, 64))
			return not_proof(err, "consistency proof hash %zu is not 32 bytes of hex", i);
	}
	*np = json_array_size(jp);
	return PARLEY_OK;
}

/*
 * Two checkpoints signed by the relay contradict each other when they are trees of one
 * size with different roots, or when the larger tree has, at the smaller one's size,
 * a root other than the one the smaller signs. The larger tree's root at that size is
 * known only through a consistency proof that verifies from it to the larger root: it
 * is the file's prefix_root, or (when the smaller size is not a power of two) the one
 * the proof itself carries. Nothing else is a proof: an honest relay's checkpoints of
 * any sizes and its proofs, however assembled, are consistent.
 */
parley_code parley_evidence_check(const char *text, size_t n, parley_buf *report, parley_err *err)
{
	json_t *doc = NULL, *cps;
	parley_charter *ch = NULL;
	parley_checkpoint a, b;
	const parley_checkpoint *lo, *hi;
	uint8_t proof[PARLEY_MERKLE_MAX_PROOF][32], pr[32];
	size_t np = 0;
	bool have_pr = false;
	parley_code rc;

	if ((rc = parley_json_parse(text, n, (size_t)1 << 22, &doc, err))) {
		rc = not_proof(err, "not a parley evidence file (%s)", err ? err->msg : "not JSON");
		goto out;
	}
	if (!json_is_object(doc) || json_integer_value(json_object_get(doc, "parley_evidence")) != 1) {
		rc = not_proof(err, "not a parley evidence file");
		goto out;
	}
	char *ctext = json_dumps(json_object_get(doc, "charter"), JSON_COMPACT);
	rc = ctext ? parley_charter_parse(ctext, strlen(ctext), &ch, err) : parley_fail(err, PARLEY_E_FORMAT, "no charter");
	free(ctext);
	if (rc || (rc = parley_charter_verify(ch, err))) {
		rc = not_proof(err, "the charter does not verify (%s)", err ? err->msg : "");
		goto out;
	}
	cps = json_object_get(doc, "checkpoints");
	const char *t0 = json_string_value(json_array_get(cps, 0)), *t1 = json_string_value(json_array_get(cps, 1));
	if (!json_is_array(cps) || json_array_size(cps) != 2 || !t0 || !t1) {
		rc = not_proof(err, "'checkpoints' must hold two checkpoint notes");
		goto out;
	}
	if ((rc = parley_checkpoint_check(ch, t0, strlen(t0), &a, NULL, err)) ||
		(rc = parley_checkpoint_check(ch, t1, strlen(t1), &b, NULL, err))) {
		rc = not_proof(err, "%s", err ? err->msg : "a checkpoint does not verify");
		goto out;
	}
	if ((rc = load_proof(doc, proof, &np, err)))
		goto out;
	if (json_object_get(doc, "prefix_root")) {
		const char *ph = json_string_value(json_object_get(doc, "prefix_root"));
		if (!ph || strlen(ph) != 64 || parley_unhex(pr, 32, ph, 64)) {
			rc = not_proof(err, "'prefix_root' is not 32 bytes of hex");
			goto out;
		}
		have_pr = true;
	}
	const parley_pubkey *rk = parley_charter_relay(ch, NULL);
	char ra[64], rb[64], rp[64];
	lo = a.size <= b.size ? &a : &b;
	hi = a.size <= b.size ? &b : &a;
	if (lo->size == 0) {
		rc = not_proof(err, "a checkpoint of size 0 is the empty tree, a prefix of every tree: it contradicts no other "
				   "checkpoint");
		goto out;
	}
	parley_b64(ra, a.root, 32);
	parley_b64(rb, b.root, 32);
	if (a.size == b.size) {
		if (sodium_memcmp(a.root, b.root, 32) == 0) {
			rc = not_proof(err, "the two checkpoints sign the same tree (size %llu)", (unsigned long long)a.size);
			goto out;
		}
		if (parley_buf_addf(report,
			    "PROVEN: relay %s signed two different trees of size %llu for this channel:\n  %s\n  %s\n"
			    "Both signatures verify with the charter's relay key. An append-only log has one tree per size:\n"
			    "the relay showed different histories (a split view, G4).\n",
			    rk->name, (unsigned long long)a.size, ra, rb))
			rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	/* sizes differ: what root does the larger tree have at the smaller size? */
	if (have_pr) {
		if (parley_merkle_verify_consistency(lo->size, hi->size, pr, hi->root, (const uint8_t(*)[32])proof, np,
			    NULL) != PARLEY_OK) {
			rc = not_proof(err, "the consistency proof does not lead from 'prefix_root' to the root of size %llu",
				(unsigned long long)hi->size);
			goto out;
		}
	} else if (parley_merkle_verify_consistency(lo->size, hi->size, lo->root, hi->root, (const uint8_t(*)[32])proof,
			   np, NULL) == PARLEY_OK) {
		memcpy(pr, lo->root, 32);
	} else if (parley_merkle_consistency_old_root(lo->size, hi->size, hi->root, (const uint8_t(*)[32])proof, np, pr,
			   NULL) != PARLEY_OK) {
		if (a.size > b.size)
			rc = not_proof(err,
				"a rollback: relay %s signed trees of sizes %llu and %llu, and nothing shows that they "
				"disagree: checkpoints carry no order (any member can fetch an older one), so the smaller "
				"one seen later is only the observer's word",
				rk->name, (unsigned long long)a.size, (unsigned long long)b.size);
		else
			rc = not_proof(err,
				"inconsistent: the consistency proof from size %llu to %llu does not verify, which shows only "
				"that this proof is wrong, not that relay %s signed trees that disagree (an honest relay "
				"serves a valid one: GET /v1/channels/<id>/proof/consistency?old=%llu&size=%llu)",
				(unsigned long long)lo->size, (unsigned long long)hi->size, rk->name,
				(unsigned long long)lo->size, (unsigned long long)hi->size);
		goto out;
	}
	if (sodium_memcmp(pr, lo->root, 32) == 0) {
		rc = not_proof(err, "the checkpoints of sizes %llu and %llu are consistent (the proof verifies from the "
				   "smaller root)", (unsigned long long)lo->size, (unsigned long long)hi->size);
		goto out;
	}
	parley_b64(rp, pr, 32);
	if (parley_buf_addf(report,
		    "PROVEN: relay %s signed a tree of size %llu with root\n  %s\nand a tree of size %llu whose first %llu "
		    "entries have, by the consistency proof included, the root\n  %s\n"
		    "Both signatures verify with the charter's relay key. An append-only log has one tree per size:\n"
		    "the relay showed different histories (a split view, G4).\n",
		    rk->name, (unsigned long long)lo->size, lo == &a ? ra : rb, (unsigned long long)hi->size,
		    (unsigned long long)lo->size, rp))
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
out:
	json_decref(doc);
	parley_charter_free(ch);
	return rc;
}
