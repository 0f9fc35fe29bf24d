/* proof.c - proof bundles: checking them offline, and checkpoints against a charter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "parley/entry.h"
#include "parley/jcs.h"
#include "parley/merkle.h"
#include "parley/payload.h"
#include "parley/proof.h"
#include "parley/store.h"
#include "parley/workflow.h"
#include "banned.h"

#define MAX_PROOF_ENTRIES 100000

parley_code parley_checkpoint_check(const parley_charter *ch, const char *text, size_t n, parley_checkpoint *cp,
	bool cosigned[PARLEY_MAX_PARTIES], parley_err *err)
{
	parley_note note;
	parley_verifier keys[1 + PARLEY_MAX_PARTIES];
	bool ok[1 + PARLEY_MAX_PARTIES];
	const parley_pubkey *relay = parley_charter_relay(ch, NULL);
	size_t nk = 0, np = parley_charter_nparties(ch);
	char origin[80], hex[65];
	parley_code rc;

	if (!relay)
		return parley_fail(err, PARLEY_E_VERIFY, "the charter names no relay");
	if ((rc = parley_note_parse(text, n, &note, err)))
		return parley_wrap(err, PARLEY_E_VERIFY, "checkpoint");
	parley_verifier_from_key(&keys[nk++], relay->name, relay->sign_pk, PARLEY_VKEY_ED25519);
	for (size_t i = 0; i < np; i++) {
		const parley_party *p = parley_charter_party_at(ch, i);
		parley_verifier_from_key(&keys[nk++], p->key.name, p->key.sign_pk, PARLEY_VKEY_COSIGNATURE);
	}
	rc = parley_note_verify(&note, keys, nk, ok, NULL, err);
	if (rc && err && strstr(err->msg, "does not verify"))
		parley_wrap(err, rc, "a signature on the relay's checkpoint is invalid (the relay altered the checkpoint or a cosignature)");
	if (!rc && !ok[0])
		rc = parley_fail(err, PARLEY_E_VERIFY, "checkpoint is not signed by the relay");
	if (!rc)
		rc = parley_checkpoint_parse(note.text, note.text_len, cp, err);
	parley_note_release(&note);
	if (rc)
		return parley_wrap(err, PARLEY_E_VERIFY, "checkpoint");
	parley_hex(hex, parley_charter_id(ch), 32);
	snprintf(origin, sizeof(origin), "parley/%s", hex);
	if (strcmp(cp->origin, origin) != 0)
		return parley_fail(err, PARLEY_E_VERIFY, "checkpoint is for another log (%s)", cp->origin);
	if (cosigned)
		for (size_t i = 0; i < np; i++)
			cosigned[i] = ok[1 + i];
	return PARLEY_OK;
}

struct pentry {
	uint64_t index, ms;
	uint8_t *bytes;
	size_t len;
	parley_entry e;
	const parley_party *sender;
};

static void iso(char out[32], uint64_t ms)
{
	char ts[21];
	parley_time_fmt(ts, (int64_t)(ms / 1000));
	snprintf(out, 32, "%.19s.%03uZ", ts, (unsigned)(ms % 1000));
}

static const char *pname(const parley_charter *ch, const uint8_t keyid[4])
{
	const parley_party *p = parley_charter_party_by_keyid(ch, keyid);
	return p ? p->key.name : "?";
}

void parley_proof_report_release(parley_proof_report *rep)
{
	json_decref(rep->json);
	parley_buf_release(&rep->text);
	memset(rep, 0, sizeof(*rep));
}

static int cmp_pentry(const void *a, const void *b)
{
	const struct pentry *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The outcome of one deadline, as a JSON object and a line of text. */
static json_t *deadline_outcome(const char *what, uint64_t deadline, uint64_t event, uint64_t event_index,
	const char *by, bool covered, uint64_t witness_index, uint64_t witness_ms, parley_buf *text)
{
	char d[32], e[32], w[32];
	const char *outcome;

	if (!deadline) {
		if (event) {
			iso(e, event);
			if (parley_buf_addf(text, "%-13s at %s by %s (entry %llu); no deadline\n", what, e, by,
				    (unsigned long long)event_index))
				return NULL;
		}
		return json_pack("{s:s, s:n}", "outcome", event ? "done" : "none", "deadline");
	}
	iso(d, deadline);
	if (event)
		iso(e, event);
	if (event && event <= deadline) {
		outcome = "met";
		if (parley_buf_addf(text, "%-13s by %s: MET, at %s by %s (entry %llu)\n", what, d, e, by,
			    (unsigned long long)event_index))
			return NULL;
	} else if (covered) {
		outcome = "missed";
		iso(w, witness_ms);
		if (parley_buf_addf(text,
			    "%-13s by %s: MISSED: the log shows every entry up to %llu (integrated %s) and none is it%s%s%s\n",
			    what, d, (unsigned long long)witness_index, w, event ? "; it came late, at " : "",
			    event ? e : "", event ? "" : ""))
			return NULL;
	} else if (event) {
		outcome = "late";
		if (parley_buf_addf(text, "%-13s by %s: LATE, at %s by %s (entry %llu)\n", what, d, e, by,
			    (unsigned long long)event_index))
			return NULL;
	} else {
		outcome = "pending";
		if (parley_buf_addf(text, "%-13s by %s: not established (the bundle does not reach past the deadline)\n",
			    what, d))
			return NULL;
	}
	json_t *o = json_pack("{s:s, s:s}", "outcome", outcome, "deadline", d);
	json_object_set_new(o, "at", event ? json_string(e) : json_null());
	json_object_set_new(o, "entry", event ? json_integer((json_int_t)event_index) : json_null());
	if (covered && outcome[0] == 'm' && outcome[1] == 'i')
		json_object_set_new(o, "shown_through_entry", json_integer((json_int_t)witness_index));
	return o;
}

parley_code parley_proof_check(const char *text, size_t n, parley_proof_report *rep, parley_err *err)
{
	json_t *doc = NULL, *jent, *v;
	parley_charter *ch = NULL;
	parley_checkpoint cp;
	bool cosigned[PARLEY_MAX_PARTIES] = { false };
	struct pentry *pe = NULL;
	size_t np = 0, i;
	parley_wf_entry *wf = NULL;
	parley_thread *ts = NULL;
	size_t nt = 0;
	parley_buf out = PARLEY_BUF_INIT, pl = PARLEY_BUF_INIT;
	json_t *js = NULL;
	char idhex[65], b1[32];
	uint64_t subject, cfrom = 0, cto = 0;
	bool has_range = false;
	parley_code rc;

	memset(rep, 0, sizeof(*rep));
	if ((rc = parley_json_parse(text, n, PARLEY_PROOF_MAX_BYTES, &doc, err)))
		return parley_wrap(err, rc, "proof");
	if (!json_is_object(doc) || json_integer_value(json_object_get(doc, "parley_proof")) != PARLEY_PROOF_VERSION) {
		rc = parley_fail(err, PARLEY_E_FORMAT, "not a parley proof bundle (version %d)", PARLEY_PROOF_VERSION);
		goto out;
	}
	{
		const char *k;
		json_object_foreach(doc, k, v) if (strcmp(k, "parley_proof") && strcmp(k, "subject") && strcmp(k, "charter") &&
			strcmp(k, "checkpoint") && strcmp(k, "entries") && strcmp(k, "complete") && strcmp(k, "content_key"))
		{
			rc = parley_fail(err, PARLEY_E_FORMAT, "proof: unknown field '%s'", k);
			goto out;
		}
	}
	/* the charter: every member signed it */
	char *ctext = json_dumps(json_object_get(doc, "charter"), JSON_COMPACT);
	if (!ctext) {
		rc = parley_fail(err, PARLEY_E_FORMAT, "proof: no charter");
		goto out;
	}
	rc = parley_charter_parse(ctext, strlen(ctext), &ch, err);
	free(ctext);
	if (rc || (rc = parley_charter_verify(ch, err))) {
		parley_wrap(err, rc, "proof: charter");
		goto out;
	}
	parley_hex(idhex, parley_charter_id(ch), 32);

	/* the checkpoint: signed by the charter's relay, cosignatures valid */
	const char *cptext = json_string_value(json_object_get(doc, "checkpoint"));
	if (!cptext) {
		rc = parley_fail(err, PARLEY_E_FORMAT, "proof: no checkpoint");
		goto out;
	}
	if ((rc = parley_checkpoint_check(ch, cptext, strlen(cptext), &cp, cosigned, err))) {
		parley_wrap(err, rc, "proof");
		goto out;
	}
	if (!json_is_integer(json_object_get(doc, "subject")) || json_integer_value(json_object_get(doc, "subject")) < 0) {
		rc = parley_fail(err, PARLEY_E_FORMAT, "proof: no subject index");
		goto out;
	}
	subject = (uint64_t)json_integer_value(json_object_get(doc, "subject"));
	v = json_object_get(doc, "complete");
	if (v) {
		json_t *f = json_object_get(v, "from"), *t = json_object_get(v, "to");
		if (!json_is_integer(f) || !json_is_integer(t) || json_integer_value(f) < 0 ||
			json_integer_value(t) < json_integer_value(f)) {
			rc = parley_fail(err, PARLEY_E_FORMAT, "proof: 'complete' must be {\"from\": N, \"to\": M}");
			goto out;
		}
		cfrom = (uint64_t)json_integer_value(f);
		cto = (uint64_t)json_integer_value(t);
		has_range = true;
	}

	/* every entry: a member's signature, in scope, in the signed tree */
	jent = json_object_get(doc, "entries");
	if (!json_is_array(jent) || json_array_size(jent) == 0 || json_array_size(jent) > MAX_PROOF_ENTRIES) {
		rc = parley_fail(err, PARLEY_E_FORMAT, "proof: 'entries' must be a list of 1 to %d entries", MAX_PROOF_ENTRIES);
		goto out;
	}
	pe = calloc(json_array_size(jent), sizeof(*pe));
	if (!pe) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(jent, i, v) {
		struct pentry *x = &pe[np];
		json_t *ji = json_object_get(v, "index"), *jm = json_object_get(v, "integrated_ms"),
		       *je = json_object_get(v, "entry"), *jp = json_object_get(v, "inclusion"), *h;
		const char *b64 = json_string_value(je);
		uint8_t proof[PARLEY_MERKLE_MAX_PROOF][32], leaf[32];
		size_t k, blen = b64 ? strlen(b64) : 0;

		if (!json_is_integer(ji) || json_integer_value(ji) < 0 || !json_is_integer(jm) ||
			json_integer_value(jm) < 0 || !b64 || !json_is_array(jp) ||
			json_array_size(jp) > PARLEY_MERKLE_MAX_PROOF || blen > 2 * PARLEY_ENTRY_MAX_BYTES) {
			rc = parley_fail(err, PARLEY_E_FORMAT, "proof: entry %zu is malformed", i);
			goto out;
		}
		x->index = (uint64_t)json_integer_value(ji);
		x->ms = (uint64_t)json_integer_value(jm);
		if (!(x->bytes = malloc(blen / 4 * 3 + 3)) || parley_unb64(x->bytes, blen / 4 * 3 + 3, &x->len, b64, blen)) {
			np++;
			rc = parley_fail(err, PARLEY_E_FORMAT, "proof: entry %llu is not base64", (unsigned long long)x->index);
			goto out;
		}
		np++;
		if (parley_entry_parse(x->bytes, x->len, &x->e, err)) {
			rc = parley_wrap(err, PARLEY_E_VERIFY, "proof: entry %llu", (unsigned long long)x->index);
			goto out;
		}
		if (memcmp(x->e.h.channel, parley_charter_id(ch), 32) != 0) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "proof: entry %llu belongs to another channel",
				(unsigned long long)x->index);
			goto out;
		}
		if (!(x->sender = parley_charter_party_by_keyid(ch, x->e.h.sender)) || x->sender->role != PARLEY_ROLE_PARTY) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "proof: entry %llu: the sender is not a party",
				(unsigned long long)x->index);
			goto out;
		}
		if (parley_entry_verify(&x->e, x->sender->key.sign_pk, NULL)) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "proof: entry %llu: signature does not verify for party %s",
				(unsigned long long)x->index, x->sender->key.name);
			goto out;
		}
		if (!parley_charter_allows_type(ch, x->e.h.type) || !parley_charter_allows_category(ch, x->e.h.category)) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "proof: entry %llu is outside the charter's scope",
				(unsigned long long)x->index);
			goto out;
		}
		json_array_foreach(jp, k, h) {
			const char *hx = json_string_value(h);
			if (!hx || parley_unhex(proof[k], 32, hx, strlen(hx))) {
				rc = parley_fail(err, PARLEY_E_FORMAT, "proof: entry %llu: inclusion proof is not hex",
					(unsigned long long)x->index);
				goto out;
			}
		}
		parley_store_leaf_hash(leaf, x->bytes, x->len, x->ms);
		if (parley_merkle_verify_inclusion(leaf, x->index, cp.size, (const uint8_t(*)[32])proof, json_array_size(jp),
			    cp.root, NULL)) {
			rc = parley_fail(err, PARLEY_E_VERIFY,
				"proof: entry %llu (with its integration time) is not in the tree the checkpoint signs",
				(unsigned long long)x->index);
			goto out;
		}
	}
	qsort(pe, np, sizeof(*pe), cmp_pentry);
	for (i = 1; i < np; i++)
		if (pe[i].index == pe[i - 1].index) {
			rc = parley_fail(err, PARLEY_E_FORMAT, "proof: entry %llu appears twice", (unsigned long long)pe[i].index);
			goto out;
		}
	/* the claimed range is complete, and its integration times never go backwards */
	if (has_range) {
		uint64_t want = cfrom, last_ms = 0;
		for (i = 0; i < np && pe[i].index <= cto; i++) {
			if (pe[i].index < cfrom)
				continue;
			if (pe[i].index != want) {
				rc = parley_fail(err, PARLEY_E_VERIFY, "proof: the range %llu..%llu claimed complete lacks entry %llu",
					(unsigned long long)cfrom, (unsigned long long)cto, (unsigned long long)want);
				goto out;
			}
			if (pe[i].ms < last_ms) {
				rc = parley_fail(err, PARLEY_E_VERIFY, "proof: integration times go backwards at entry %llu",
					(unsigned long long)pe[i].index);
				goto out;
			}
			last_ms = pe[i].ms;
			want++;
		}
		if (want != cto + 1) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "proof: the range %llu..%llu claimed complete lacks entry %llu",
				(unsigned long long)cfrom, (unsigned long long)cto, (unsigned long long)want);
			goto out;
		}
	}
	struct pentry *sub = NULL;
	for (i = 0; i < np; i++)
		if (pe[i].index == subject)
			sub = &pe[i];
	if (!sub) {
		rc = parley_fail(err, PARLEY_E_FORMAT, "proof: the subject entry %llu is not in the bundle",
			(unsigned long long)subject);
		goto out;
	}

	/* what the bundle establishes */
	if (!(wf = calloc(np, sizeof(*wf)))) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < np; i++) {
		wf[i].index = pe[i].index;
		wf[i].ms = pe[i].ms;
		wf[i].h = pe[i].e.h;
	}
	if ((rc = parley_workflow_threads(ch, wf, np, pe[np - 1].ms, &ts, &nt, err)))
		goto out;
	parley_thread *t = NULL;
	for (i = 0; i < nt; i++)
		if (ts[i].opener == subject)
			t = &ts[i];

	js = json_object();
	json_object_set_new(js, "valid", json_true());
	json_object_set_new(js, "channel", json_string(idhex));
	json_object_set_new(js, "title", json_string(parley_charter_title(ch)));
	json_t *cos = json_array();
	for (i = 0; i < parley_charter_nparties(ch); i++)
		if (cosigned[i])
			json_array_append_new(cos, json_string(parley_charter_party_at(ch, i)->key.name));
	const parley_pubkey *rk = parley_charter_relay(ch, NULL);
	json_object_set_new(js, "checkpoint",
		json_pack("{s:I, s:s, s:O}", "size", (json_int_t)cp.size, "relay", rk->name, "cosigned_by", cos));
	if (parley_buf_addf(&out, "proof valid: every signature and inclusion proof checks\n"
				  "channel:      %s (%s)\n"
				  "checkpoint:   size %llu, signed by relay %s",
		    idhex, parley_charter_title(ch), (unsigned long long)cp.size, rk->name)) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	if (json_array_size(cos)) {
		size_t k;
		json_t *c;
		if (parley_buf_addstr(&out, ", cosigned by"))
			goto nomem;
		json_array_foreach(cos, k, c) if (parley_buf_addf(&out, "%s %s", k ? "," : "", json_string_value(c))) goto nomem;
	}
	json_decref(cos);
	if (parley_buf_addstr(&out, "\n"))
		goto nomem;

	const parley_entry_hdr *sh = &sub->e.h;
	json_t *to = json_array();
	char tos[512] = "";
	size_t tl = 0;
	for (unsigned k = 0; k < sh->nrecip; k++) {
		if (memcmp(sh->recip[k], sh->sender, 4) == 0)
			continue;
		const char *nm = pname(ch, sh->recip[k]);
		json_array_append_new(to, json_string(nm));
		tl += (size_t)snprintf(tos + tl, tl < sizeof(tos) ? sizeof(tos) - tl : 0, "%s%s", tl ? ", " : "", nm);
	}
	iso(b1, sub->ms);
	json_object_set_new(js, "subject",
		json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s}", "index", (json_int_t)subject, "sender",
			sub->sender->key.name, "type", parley_type_name(sh->type), "category", sh->category, "tlp",
			parley_tlp_name(sh->tlp), "to", to, "integrated_at", b1));
	char label[40];
	snprintf(label, sizeof(label), "entry %llu:", (unsigned long long)subject);
	if (parley_buf_addf(&out, "%-13s %s from %s to %s, category %s, TLP %s\nintegrated:   %s (the relay's clock)\n",
		    label, parley_type_name(sh->type), sub->sender->key.name, tos[0] ? tos : "(itself)", sh->category,
		    parley_tlp_name(sh->tlp), b1))
		goto nomem;

	/* delivery: the recipients' own signatures */
	json_t *dl = json_array();
	bool all_delivered = true;
	for (unsigned k = 0; k < sh->nrecip; k++) {
		if (memcmp(sh->recip[k], sh->sender, 4) == 0)
			continue;
		const char *nm = pname(ch, sh->recip[k]);
		struct pentry *rcpt = NULL;
		for (i = 0; i < np && !rcpt; i++)
			if (pe[i].e.h.type == PARLEY_T_RECEIPT && memcmp(pe[i].e.h.sender, sh->recip[k], 4) == 0 &&
				pe[i].e.h.nrefs && pe[i].e.h.refs[0] == subject)
				rcpt = &pe[i];
		const parley_party *rp = parley_charter_party_by_keyid(ch, sh->recip[k]);
		size_t pidx = (size_t)(rp - parley_charter_party_at(ch, 0));
		if (rcpt) {
			iso(b1, rcpt->ms);
			json_array_append_new(dl, json_pack("{s:s, s:b, s:s, s:s, s:I}", "party", nm, "delivered", 1, "at", b1,
							  "evidence", "receipt", "entry", (json_int_t)rcpt->index));
			if (parley_buf_addf(&out, "delivered:    to %s at %s (its receipt, entry %llu)\n", nm, b1,
				    (unsigned long long)rcpt->index))
				goto nomem;
		} else if (rp && cosigned[pidx] && cp.size > subject) {
			json_array_append_new(dl, json_pack("{s:s, s:b, s:n, s:s, s:I}", "party", nm, "delivered", 1, "at",
							  "evidence", "cosigned checkpoint", "size", (json_int_t)cp.size));
			if (parley_buf_addf(&out, "delivered:    to %s: it cosigned the checkpoint of size %llu, which includes it\n",
				    nm, (unsigned long long)cp.size))
				goto nomem;
		} else {
			all_delivered = false;
			json_array_append_new(dl, json_pack("{s:s, s:b}", "party", nm, "delivered", 0));
			if (parley_buf_addf(&out,
				    "delivered:    to %s: NOT SHOWN: no signature by %s covers the entry (the relay may be withholding it)\n",
				    nm, nm))
				goto nomem;
		}
	}
	json_object_set_new(js, "delivery", dl);

	if (t) {
		/* the range shows absence: every entry from the subject to one integrated after each deadline */
		uint64_t ack_w = 0, ack_wms = 0, resp_w = 0, resp_wms = 0;
		bool ack_cov = false, resp_cov = false;
		if (has_range && cfrom <= subject)
			for (i = 0; i < np; i++) {
				if (pe[i].index < subject || pe[i].index > cto)
					continue;
				if (!ack_cov && t->ack_deadline_ms && pe[i].ms > t->ack_deadline_ms) {
					ack_cov = true;
					ack_w = pe[i].index;
					ack_wms = pe[i].ms;
				}
				if (!resp_cov && t->respond_deadline_ms && pe[i].ms > t->respond_deadline_ms) {
					resp_cov = true;
					resp_w = pe[i].index;
					resp_wms = pe[i].ms;
				}
			}
		const char *acker = "?", *answerer = "?";
		for (i = 0; i < np; i++) {
			if (pe[i].index == t->ack_index && t->ack_ms)
				acker = pe[i].sender->key.name;
			if (pe[i].index == t->answered_index && t->answered_ms)
				answerer = pe[i].sender->key.name;
		}
		json_t *a = deadline_outcome("acknowledge", t->ack_deadline_ms, t->ack_ms, t->ack_index, acker, ack_cov, ack_w,
			ack_wms, &out);
		json_t *r = deadline_outcome("respond", t->respond_deadline_ms, t->answered_ms, t->answered_index, answerer,
			resp_cov, resp_w, resp_wms, &out);
		if (!a || !r) {
			json_decref(a);
			json_decref(r);
			goto nomem;
		}
		json_object_set_new(js, "acknowledge", a);
		json_object_set_new(js, "respond", r);
		json_object_set_new(js, "escalations", json_integer(t->escalations));
		if (t->closed_ms) {
			iso(b1, t->closed_ms);
			json_object_set_new(js, "closed_at", json_string(b1));
			if (parley_buf_addf(&out, "closed:       at %s\n", b1))
				goto nomem;
		}
		bool ack_missed = strcmp(json_string_value(json_object_get(a, "outcome")), "missed") == 0;
		const char *verdict = NULL;
		if (ack_missed)
			verdict = all_delivered ? "delivered, not acknowledged in time: the recipients' nodes confirmed it and no one answered (the party is accountable)"
						: "not shown delivered: no recipient signature covers it (the relay may be withholding it)";
		if (verdict) {
			json_object_set_new(js, "verdict", json_string(verdict));
			if (parley_buf_addf(&out, "verdict:      %s\n", verdict))
				goto nomem;
		}
	}

	/* revealed content: the key must match the entry's commitment */
	const char *kb64 = json_string_value(json_object_get(doc, "content_key"));
	if (json_object_get(doc, "content_key")) {
		uint8_t key[PARLEY_KEY_LEN + 4];
		size_t klen = 0;
		parley_payload p;
		if (!kb64 || parley_unb64(key, sizeof(key), &klen, kb64, strlen(kb64)) || klen != PARLEY_KEY_LEN) {
			rc = parley_fail(err, PARLEY_E_FORMAT, "proof: content_key is not base64 of 32 bytes");
			goto out;
		}
		if ((rc = parley_entry_open_with_key(&sub->e, key, &pl, err))) {
			sodium_memzero(key, sizeof(key));
			parley_wrap(err, PARLEY_E_VERIFY, "proof: the revealed key does not open entry %llu",
				(unsigned long long)subject);
			rc = PARLEY_E_VERIFY;
			goto out;
		}
		sodium_memzero(key, sizeof(key));
		json_t *content = json_object();
		if (pl.len && parley_payload_decode(pl.data, pl.len, &p, NULL) == PARLEY_OK) {
			if (p.text) {
				json_object_set_new(content, "text", json_string(p.text));
				if (parley_buf_addf(&out, "content:      (revealed; the log holds exactly this)\n%s\n", p.text))
					goto nomem;
			}
			if (p.stix) {
				json_object_set(content, "stix", p.stix);
				char *s = json_dumps(p.stix, JSON_INDENT(2));
				if (s && parley_buf_addf(&out, "stix:\n%s\n", s)) {
					free(s);
					goto nomem;
				}
				free(s);
			}
			parley_payload_release(&p);
		}
		json_object_set_new(js, "content", content);
	}
	rep->json = js;
	rep->text = out;
	js = NULL;
	memset(&out, 0, sizeof(out));
	rc = PARLEY_OK;
	goto out;
nomem:
	rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
out:
	json_decref(js);
	json_decref(doc);
	parley_charter_free(ch);
	for (i = 0; i < np; i++)
		free(pe[i].bytes);
	free(pe);
	free(wf);
	free(ts);
	parley_buf_release(&out);
	parley_buf_release(&pl);
	return rc;
}
