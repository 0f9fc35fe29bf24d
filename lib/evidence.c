/* evidence.c - evidence files: what a node keeps when it catches its relay, checked offline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "parley/evidence.h"
#include "parley/jcs.h"
#include "parley/merkle.h"
#include "parley/proof.h"
#include "banned.h"

parley_code parley_evidence_check(const char *text, size_t n, parley_buf *report, parley_err *err)
{
	json_t *doc = NULL, *cps, *jp;
	parley_charter *ch = NULL;
	parley_checkpoint a, b;
	uint8_t proof[PARLEY_MERKLE_MAX_PROOF][32];
	size_t np = 0, i;
	parley_code rc;

	if ((rc = parley_json_parse(text, n, (size_t)1 << 22, &doc, err)))
		return parley_wrap(err, rc, "evidence");
	if (!json_is_object(doc) || json_integer_value(json_object_get(doc, "parley_evidence")) != 1) {
		rc = parley_fail(err, PARLEY_E_FORMAT, "not a parley evidence file");
		goto out;
	}
	char *ctext = json_dumps(json_object_get(doc, "charter"), JSON_COMPACT);
	rc = ctext ? parley_charter_parse(ctext, strlen(ctext), &ch, err) : parley_fail(err, PARLEY_E_FORMAT, "no charter");
	free(ctext);
	if (rc || (rc = parley_charter_verify(ch, err))) {
		parley_wrap(err, rc, "evidence: charter");
		goto out;
	}
	cps = json_object_get(doc, "checkpoints");
	const char *t0 = json_string_value(json_array_get(cps, 0)), *t1 = json_string_value(json_array_get(cps, 1));
	if (!json_is_array(cps) || json_array_size(cps) != 2 || !t0 || !t1) {
		rc = parley_fail(err, PARLEY_E_FORMAT, "evidence: 'checkpoints' must hold two checkpoint notes");
		goto out;
	}
	if ((rc = parley_checkpoint_check(ch, t0, strlen(t0), &a, NULL, err)) ||
		(rc = parley_checkpoint_check(ch, t1, strlen(t1), &b, NULL, err))) {
		parley_wrap(err, rc, "evidence");
		goto out;
	}
	jp = json_object_get(doc, "consistency_proof");
	if (json_is_array(jp) && json_array_size(jp) <= PARLEY_MERKLE_MAX_PROOF) {
		json_t *h;
		json_array_foreach(jp, i, h) {
			const char *s = json_string_value(h);
			if (!s || parley_unhex(proof[i], 32, s, strlen(s))) {
				rc = parley_fail(err, PARLEY_E_FORMAT, "evidence: proof hash %zu is not hex", i);
				goto out;
			}
		}
		np = json_array_size(jp);
	}
	const parley_pubkey *rk = parley_charter_relay(ch, NULL);
	char ra[64], rb[64];
	parley_b64(ra, a.root, 32);
	parley_b64(rb, b.root, 32);
	if (a.size == b.size && memcmp(a.root, b.root, 32) != 0) {
		rc = parley_buf_addf(report,
			"PROVEN: relay %s signed two different trees of size %llu for this channel:\n  %s\n  %s\n"
			"Both signatures verify with the charter's relay key. An append-only log has one tree per size:\n"
			"the relay showed different histories (a split view, G4).\n",
			rk->name, (unsigned long long)a.size, ra, rb);
	} else if (a.size < b.size && json_is_string(json_object_get(doc, "prefix_root"))) {
		/* b's tree, by a proof that verifies, has at size a.size a root other than the one a signs */
		const char *ph = json_string_value(json_object_get(doc, "prefix_root"));
		uint8_t pr[32];
		char rp[64];
		if (parley_unhex(pr, 32, ph, strlen(ph))) {
			rc = parley_fail(err, PARLEY_E_FORMAT, "evidence: 'prefix_root' is not 32 bytes of hex");
			goto out;
		}
		if (parley_merkle_verify_consistency(a.size, b.size, pr, b.root, (const uint8_t(*)[32])proof, np, NULL) !=
			PARLEY_OK) {
			rc = parley_fail(err, PARLEY_E_VERIFY,
				"evidence: the consistency proof does not lead from 'prefix_root' to the second checkpoint");
			goto out;
		}
		if (sodium_memcmp(pr, a.root, 32) == 0) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "evidence: the checkpoints are consistent (same prefix root)");
			goto out;
		}
		parley_b64(rp, pr, 32);
		rc = parley_buf_addf(report,
			"PROVEN: relay %s signed a tree of size %llu with root\n  %s\nand a tree of size %llu whose first %llu "
			"entries have, by the consistency proof included, the root\n  %s\n"
			"Both signatures verify with the charter's relay key. An append-only log has one tree per size:\n"
			"the relay showed different histories (a split view, G4).\n",
			rk->name, (unsigned long long)a.size, ra, (unsigned long long)b.size, (unsigned long long)a.size, rp);
	} else if (a.size < b.size) {
		if (parley_merkle_verify_consistency(a.size, b.size, a.root, b.root, (const uint8_t(*)[32])proof, np, NULL) ==
			PARLEY_OK) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "evidence: the checkpoints are consistent (the proof verifies)");
			goto out;
		}
		rc = parley_buf_addf(report,
			"relay %s signed checkpoints of sizes %llu and %llu; the consistency proof it served between them\n"
			"does not verify. An honest relay can always produce one: ask it to, with\n"
			"GET /v1/channels/<id>/proof/consistency?old=%llu&size=%llu. Until it does, it stands accused of\n"
			"rewriting history.\n",
			rk->name, (unsigned long long)a.size, (unsigned long long)b.size, (unsigned long long)a.size,
			(unsigned long long)b.size);
	} else if (a.size > b.size) {
		rc = parley_buf_addf(report,
			"relay %s signed a checkpoint of size %llu, and later (as this node saw it) one of size %llu:\n"
			"it went back to a shorter log. Both are signed; their order is this node's observation, which\n"
			"the checkpoints themselves do not prove.\n",
			rk->name, (unsigned long long)a.size, (unsigned long long)b.size);
	} else {
		rc = parley_fail(err, PARLEY_E_VERIFY, "evidence: the two checkpoints are the same tree");
		goto out;
	}
	if (rc)
		rc = parley_fail(err, rc, "out of memory");
out:
	json_decref(doc);
	parley_charter_free(ch);
	return rc;
}
