/* proof.c - proof bundles: checking them offline, and checkpoints against a charter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "parley/auth.h"
#include "parley/bundle.h"
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
	return parley_checkpoint_check_times(ch, text, n, cp, cosigned, NULL, err);
}

parley_code parley_checkpoint_check_times(const parley_charter *ch, const char *text, size_t n, parley_checkpoint *cp,
	bool cosigned[PARLEY_MAX_PARTIES], uint64_t times_ms[PARLEY_MAX_PARTIES], parley_err *err)
{
	parley_note note;
	parley_verifier keys[1 + PARLEY_MAX_PARTIES];
	bool ok[1 + PARLEY_MAX_PARTIES];
	uint64_t times[1 + PARLEY_MAX_PARTIES] = { 0 };
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
	rc = parley_note_verify(&note, keys, nk, ok, times, err);
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
	if (times_ms) /* a signed timestamp of 0 still says "before any deadline" */
		for (size_t i = 0; i < np && i < PARLEY_MAX_PARTIES; i++)
			times_ms[i] = ok[1 + i] ? (times[1 + i] ? times[1 + i] * 1000 : 1) : 0;
	return PARLEY_OK;
}

/* ---- checking a bundle: collect what it proves into struct proof, then render ---- */

#define MAX_READS 256

typedef parley_bundle_entry pentry_t;


struct proof {
	json_t *doc;
	parley_charter *ch;
	char idhex[65];
	parley_checkpoint cp;
	bool cosigned[PARLEY_MAX_PARTIES];
	parley_bundle_cosigned extra[PARLEY_BUNDLE_MAX_COSIGNED];
	size_t nextra;
	uint64_t subject;
	pentry_t *pe;
	size_t np;
	const pentry_t *sub;
	bool has_range;
	uint64_t cfrom, cto;
	parley_wf_input in;
	parley_wf_entry *wf;
	parley_workflow w;
	const parley_thread *t;
	parley_verdict v;
	bool revealed, opened;
	parley_buf pl;
};

static void proof_release(struct proof *p)
{
	json_decref(p->doc);
	parley_charter_free(p->ch);
	parley_bundle_entries_free(p->pe, p->np);
	free(p->wf);
	parley_workflow_release(&p->w);
	parley_buf_release(&p->pl);
}

static void iso(char out[32], uint64_t ms)
{
	char ts[21];
	parley_time_fmt(ts, (int64_t)(ms / 1000));
	snprintf(out, 32, "%.19s.%03uZ", ts, (unsigned)(ms % 1000));
}

/* "2 h 5 min", "3.2 s" */
static void span(char out[32], uint64_t ms)
{
	uint64_t s = ms / 1000;
	if (s < 60)
		snprintf(out, 32, "%llu.%llu s", (unsigned long long)s, (unsigned long long)(ms % 1000 / 100));
	else if (s < 3600)
		snprintf(out, 32, "%llu min %llu s", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(out, 32, "%llu h %llu min", (unsigned long long)(s / 3600), (unsigned long long)(s % 3600 / 60));
	else
		snprintf(out, 32, "%llu d %llu h", (unsigned long long)(s / 86400), (unsigned long long)(s % 86400 / 3600));
}

static const char *pname(const parley_charter *ch, const uint8_t keyid[4])
{
	const parley_party *p = parley_charter_party_by_keyid(ch, keyid);
	return p ? p->key.name : "?";
}

static int pindex(const parley_charter *ch, const uint8_t keyid[4])
{
	const parley_party *p = parley_charter_party_by_keyid(ch, keyid);
	return p ? (int)(p - parley_charter_party_at(ch, 0)) : -1;
}

void parley_proof_report_release(parley_proof_report *rep)
{
	json_decref(rep->json);
	parley_buf_release(&rep->text);
	memset(rep, 0, sizeof(*rep));
}

/* Signed reads: the party's own request for entries from F > subject shows its node held the subject. */
static parley_code check_reads(struct proof *p, const json_t *arr, parley_err *err)
{
	size_t i;
	json_t *v;
	if (!arr)
		return PARLEY_OK;
	if (!json_is_array(arr) || json_array_size(arr) > MAX_READS)
		return parley_fail(err, PARLEY_E_FORMAT, "proof: 'reads' must be a list of at most %d signed reads", MAX_READS);
	json_array_foreach(arr, i, v) {
		const char *party = json_string_value(json_object_get(v, "party")),
			   *target = json_string_value(json_object_get(v, "target")),
			   *nonce = json_string_value(json_object_get(v, "nonce")),
			   *sig = json_string_value(json_object_get(v, "signature"));
		json_t *jt = json_object_get(v, "time_ms"), *jf = json_object_get(v, "from");
		const parley_party *pp = party ? parley_charter_party(p->ch, party) : NULL;
		parley_signed_read r;
		uint64_t from = 0;
		parley_code rc;
		memset(&r, 0, sizeof(r));
		if (!json_is_object(v) || !party || !target || !nonce || !sig || !json_is_integer(jt) ||
			json_integer_value(jt) < 0 || !json_is_integer(jf) || json_integer_value(jf) < 0 || strlen(target) >= sizeof(r.target) || strlen(nonce) >= sizeof(r.nonce) ||
			strlen(sig) >= sizeof(r.sig))
			return parley_fail(err, PARLEY_E_FORMAT, "proof: read %zu is malformed", i);
		if (!pp || pp->role != PARLEY_ROLE_PARTY)
			return parley_fail(err, PARLEY_E_VERIFY, "proof: read %zu: '%s' is not a party of the charter", i, party);
		memcpy(r.keyid, pp->key.keyid, 4);
		r.time_ms = (uint64_t)json_integer_value(jt);
		r.from = (uint64_t)json_integer_value(jf);
		memcpy(r.target, target, strlen(target) + 1);
		memcpy(r.nonce, nonce, strlen(nonce) + 1);
		memcpy(r.sig, sig, strlen(sig) + 1);
		if ((rc = parley_signed_read_verify(&r, pp->key.sign_pk, p->idhex, &from, err)))
			return parley_wrap(err, PARLEY_E_VERIFY, "proof: read %zu by %s", i, party);
		int pi = pindex(p->ch, pp->key.keyid);
		if (from > p->subject && pi >= 0 && pi < PARLEY_MAX_PARTIES &&
			(!p->in.read[pi] || r.time_ms < p->in.read_ms[pi])) {
			p->in.read[pi] = true;
			p->in.read_ms[pi] = r.time_ms;
			p->in.read_from[pi] = from;
		}
	}
	return PARLEY_OK;
}

/* The revealed content key: it must be the committed one; then every seal is re-created. */
static parley_code check_reveal(struct proof *p, parley_err *err)
{
	json_t *jk = json_object_get(p->doc, "content_key");
	const char *kb64 = json_string_value(jk);
	uint8_t key[PARLEY_KEY_LEN + 4], commit[32];
	size_t klen = 0;
	crypto_hash_sha256_state st;
	parley_code rc = PARLEY_OK;

	if (!jk)
		return PARLEY_OK;
	if (!kb64 || parley_unb64(key, sizeof(key), &klen, kb64, strlen(kb64)) || klen != PARLEY_KEY_LEN)
		return parley_fail(err, PARLEY_E_FORMAT, "proof: content_key is not base64 of 32 bytes");
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)PARLEY_KEY_COMMIT_CONTEXT, strlen(PARLEY_KEY_COMMIT_CONTEXT));
	crypto_hash_sha256_update(&st, key, PARLEY_KEY_LEN);
	crypto_hash_sha256_final(&st, commit);
	if (sodium_memcmp(commit, p->sub->e.key_commit, 32) != 0) {
		rc = parley_fail(err, PARLEY_E_VERIFY,
			"proof: the revealed key does not open entry %llu (it is not the key the entry commits to)",
			(unsigned long long)p->subject);
		goto out;
	}
	p->revealed = true;
	p->opened = parley_entry_open_with_key(&p->sub->e, key, &p->pl, NULL) == PARLEY_OK;
	p->in.content_bad = !p->opened;
	for (unsigned k = 0; k < p->sub->e.h.nrecip; k++) {
		const parley_party *r = parley_charter_party_by_keyid(p->ch, p->sub->e.h.recip[k]);
		int pi = pindex(p->ch, p->sub->e.h.recip[k]);
		bool ok = false;
		if (!r || pi < 0 || pi >= PARLEY_MAX_PARTIES)
			continue;
		if ((rc = parley_entry_seal_check(&p->sub->e, key, k, r->key.seal_pk, &ok, err)))
			goto out;
		p->in.seal[pi] = ok ? PARLEY_SEAL_OK : PARLEY_SEAL_BAD;
	}
out:
	sodium_memzero(key, sizeof(key));
	return rc;
}

static parley_code collect(struct proof *p, const char *text, size_t n, parley_err *err)
{
	json_t *v;
	size_t i;
	const char *k;
	parley_code rc;

	if ((rc = parley_json_parse(text, n, PARLEY_PROOF_MAX_BYTES, &p->doc, err)))
		return parley_wrap(err, rc, "proof");
	if (!json_is_object(p->doc) || json_integer_value(json_object_get(p->doc, "parley_proof")) != PARLEY_PROOF_VERSION)
		return parley_fail(err, PARLEY_E_FORMAT, "not a parley proof bundle (version %d)", PARLEY_PROOF_VERSION);
	json_object_foreach(p->doc, k, v) {
		static const char *const known[] = { "parley_proof", "subject", "charter", "checkpoint", "entries", "complete",
			"content_key", "cosigned", "reads", NULL };
		size_t j = 0;
		while (known[j] && strcmp(known[j], k) != 0)
			j++;
		if (!known[j])
			return parley_fail(err, PARLEY_E_FORMAT, "proof: unknown field '%s'", k);
	}
	/* the charter: every member signed it */
	if ((rc = parley_bundle_charter(p->doc, "proof", &p->ch, err)))
		return rc;
	parley_hex(p->idhex, parley_charter_id(p->ch), 32);
	p->in.ch = p->ch;

	/* the checkpoint: signed by the charter's relay, cosignatures valid */
	const char *cptext = json_string_value(json_object_get(p->doc, "checkpoint"));
	if (!cptext)
		return parley_fail(err, PARLEY_E_FORMAT, "proof: no checkpoint");
	if ((rc = parley_checkpoint_check_times(p->ch, cptext, strlen(cptext), &p->cp, p->cosigned, p->in.cosigned_ms, err)))
		return parley_wrap(err, rc, "proof");
	for (i = 0; i < parley_charter_nparties(p->ch) && i < PARLEY_MAX_PARTIES; i++)
		if (p->cosigned[i])
			p->in.cosigned_size[i] = p->cp.size;
	v = json_object_get(p->doc, "subject");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return parley_fail(err, PARLEY_E_FORMAT, "proof: no subject index");
	p->subject = (uint64_t)json_integer_value(v);
	if ((v = json_object_get(p->doc, "complete"))) {
		if ((rc = parley_bundle_complete_parse(v, "proof", &p->cfrom, &p->cto, err)))
			return rc;
		p->has_range = true;
	}

	/* every entry: a member's signature, in scope, in the signed tree */
	if ((rc = parley_bundle_entries(p->ch, &p->cp, json_object_get(p->doc, "entries"), MAX_PROOF_ENTRIES, "proof",
		     &p->pe, &p->np, err)))
		return rc;
	/* the claimed range is complete, and its integration times never go backwards */
	if (p->has_range && (rc = parley_bundle_range_check(p->pe, p->np, p->cfrom, p->cto, "proof", err)))
		return rc;
	for (i = 0; i < p->np; i++)
		if (p->pe[i].index == p->subject)
			p->sub = &p->pe[i];
	if (!p->sub)
		return parley_fail(err, PARLEY_E_FORMAT, "proof: the subject entry %llu is not in the bundle",
			(unsigned long long)p->subject);
	if ((rc = parley_bundle_cosigned_check(p->ch, &p->cp, json_object_get(p->doc, "cosigned"), "proof", p->extra,
		     &p->nextra, &p->in, err)) ||
		(rc = check_reads(p, json_object_get(p->doc, "reads"), err)) || (rc = check_reveal(p, err)))
		return rc;

	/* what it establishes: the one engine */
	if ((rc = parley_bundle_wf_entries(p->pe, p->np, &p->wf, err)))
		return rc;
	p->in.v = p->wf;
	p->in.n = p->np;
	p->in.has_range = p->has_range;
	p->in.range_from = p->cfrom;
	p->in.range_to = p->cto;
	p->in.has_facts = true;
	p->in.facts_opener = p->subject;
	if ((rc = parley_workflow_eval(&p->in, &p->w, err)))
		return rc;
	if ((p->t = parley_workflow_thread(&p->w, p->subject)))
		p->v = parley_workflow_verdict(&p->w, p->t);
	return PARLEY_OK;
}

/* ---- rendering: the same facts as text and as JSON ---- */

#define ADD(...)                                              \
	do {                                                  \
		if (parley_buf_addf(out, __VA_ARGS__))        \
			return PARLEY_E_NOMEM;                \
	} while (0)

static parley_code render_obligation(const struct proof *p, const parley_obligation *o, parley_buf *out)
{
	char d[32], at[32], w[32], late[32];
	const char *who = pname(p->ch, o->party);
	iso(d, o->deadline_ms);
	if (o->has_entry)
		iso(at, o->at_ms);
	iso(w, o->witness_ms);
	ADD("%-13s %s by %s: ", parley_obl_kind_name(o->kind), who, d);
	switch (o->outcome) {
	case PARLEY_OUT_MET:
		ADD("MET, at %s (entry %llu)\n", at, (unsigned long long)o->entry);
		break;
	case PARLEY_OUT_LATE:
		span(late, o->late_by_ms);
		ADD("LATE by %s, at %s (entry %llu)\n", late, at, (unsigned long long)o->entry);
		break;
	case PARLEY_OUT_MISSED:
		ADD("MISSED: the log shows every entry up to %llu (integrated %s) and no answer by %s; %s signed the log past the deadline\n",
			(unsigned long long)o->witness, w, who, who);
		break;
	case PARLEY_OUT_MISSED_UNCONFIRMED:
		ADD("MISSED-UNCONFIRMED: the relay's log shows no answer by %s up to entry %llu (integrated %s); %s has not signed a view of the log past the deadline\n",
			who, (unsigned long long)o->witness, w, who);
		break;
	case PARLEY_OUT_NOT_ESTABLISHED:
		if (o->has_entry)
			ADD("NOT ESTABLISHED: answered at %s (entry %llu), after the deadline, but %s\n", at,
				(unsigned long long)o->entry, parley_obl_why_text(o->why));
		else
			ADD("NOT ESTABLISHED: %s\n", parley_obl_why_text(o->why));
		break;
	default:
		ADD("NOT APPLICABLE: %s\n", parley_obl_why_text(o->why));
	}
	return PARLEY_OK;
}

static parley_code render_text(const struct proof *p, parley_buf *out)
{
	const parley_pubkey *rk = parley_charter_relay(p->ch, NULL);
	const parley_entry_hdr *sh = &p->sub->e.h;
	char b1[32], label[40];
	size_t np = parley_charter_nparties(p->ch);
	bool any = false;

	ADD("proof valid: every signature and inclusion proof checks\nchannel:      %s (%s)\n", p->idhex,
		parley_charter_title(p->ch));
	ADD("checkpoint:   size %llu, signed by relay %s", (unsigned long long)p->cp.size, rk->name);
	for (size_t i = 0; i < np; i++)
		if (p->cosigned[i]) {
			ADD("%s %s", any ? "," : ", cosigned by", parley_charter_party_at(p->ch, i)->key.name);
			any = true;
		}
	ADD("\n");
	for (size_t e = 0; e < p->nextra; e++) {
		ADD("also:         size %llu, consistent with it, cosigned by", (unsigned long long)p->extra[e].size);
		any = false;
		for (size_t i = 0; i < np; i++)
			if (p->extra[e].cosigned[i]) {
				ADD("%s %s", any ? "," : "", parley_charter_party_at(p->ch, i)->key.name);
				any = true;
			}
		ADD("%s\n", any ? "" : " no one");
	}
	snprintf(label, sizeof(label), "entry %llu:", (unsigned long long)p->subject);
	ADD("%-13s %s from %s to ", label, parley_type_name(sh->type), p->sub->sender->key.name);
	any = false;
	for (unsigned k = 0; k < sh->nrecip; k++)
		if (memcmp(sh->recip[k], sh->sender, 4) != 0) {
			ADD("%s%s", any ? ", " : "", pname(p->ch, sh->recip[k]));
			any = true;
		}
	iso(b1, p->sub->ms);
	ADD("%s, category %s, TLP %s\nintegrated:   %s (the relay's clock)\n", any ? "" : "no one but itself", sh->category,
		parley_tlp_name(sh->tlp), b1);

	if (p->t) {
		for (size_t i = p->t->dlv_first; i < p->t->dlv_first + p->t->ndlv; i++) {
			const parley_delivery *dv = &p->w.dlv[i];
			const char *nm = pname(p->ch, dv->party);
			iso(b1, dv->at_ms);
			if (dv->how == PARLEY_DLV_RECEIPT)
				ADD("delivered:    to %s at %s (its receipt, entry %llu)\n", nm, b1, (unsigned long long)dv->entry);
			else if (dv->how == PARLEY_DLV_READ)
				ADD("delivered:    held by %s by %s (its signed request for entries from %llu)\n", nm, b1,
					(unsigned long long)dv->entry);
			else if (dv->how == PARLEY_DLV_REPORT)
				ADD("delivered:    held by %s by %s (its own unreadable report, entry %llu, which the seal check refutes)\n",
					nm, b1, (unsigned long long)dv->entry);
			else
				ADD("delivered:    to %s: NOT SHOWN: no receipt or signed read by %s (the relay may be withholding it)\n",
					nm, nm);
			if (dv->unreadable)
				ADD("unreadable:   %s reported it could not open the entry (entry %llu)%s\n", nm,
					(unsigned long long)dv->unreadable_entry,
					dv->seal == PARLEY_SEAL_OK ? "; the seal check shows its sealed key was right" :
					dv->seal == PARLEY_SEAL_BAD ? "; the seal check confirms it" :
								      "; without the content key nobody can check it");
			if (dv->seal == PARLEY_SEAL_BAD)
				ADD("seal:         %s could not read it: %s\n", nm,
					p->in.content_bad ? "the payload does not open with the committed key" :
							    "its sealed key is not the one the content key derives");
		}
		for (size_t i = p->t->obl_first; i < p->t->obl_first + p->t->nobl; i++)
			if (render_obligation(p, &p->w.obl[i], out))
				return PARLEY_E_NOMEM;
		if (p->t->closed_ms) {
			iso(b1, p->t->closed_ms);
			ADD("closed:       at %s\n", b1);
		}
		if (p->t->escalations)
			ADD("escalations:  %u\n", p->t->escalations);
		ADD("verdict:      ");
		if (parley_verdict_text(p->ch, &p->w, p->t, &p->v, out))
			return PARLEY_E_NOMEM;
		ADD("\n");
	}
	if (p->revealed && p->opened) {
		parley_payload pay;
		if (p->pl.len && parley_payload_decode(p->pl.data, p->pl.len, &pay, NULL) == PARLEY_OK) {
			if (pay.text && parley_buf_addf(out, "content:      (revealed; the log holds exactly this)\n%s\n", pay.text)) {
				parley_payload_release(&pay);
				return PARLEY_E_NOMEM;
			}
			if (pay.stix) {
				char *s = json_dumps(pay.stix, JSON_INDENT(2));
				parley_code rc = s ? parley_buf_addf(out, "stix:\n%s\n", s) : PARLEY_E_NOMEM;
				free(s);
				if (rc) {
					parley_payload_release(&pay);
					return rc;
				}
			}
			parley_payload_release(&pay);
		}
	} else if (p->revealed) {
		ADD("content:      the revealed key is the committed one, but the payload does not open with it\n");
	}
	return PARLEY_OK;
}

/* json_pack that reports failure instead of quietly dropping a member */
static int jset(json_t *o, const char *k, json_t *v)
{
	return v ? json_object_set_new(o, k, v) : -1;
}

static json_t *tstr(uint64_t ms)
{
	char b[32];
	iso(b, ms);
	return json_string(b);
}

static json_t *render_json(const struct proof *p)
{
	json_t *js = json_object(), *cos = json_array(), *to = json_array();
	const parley_entry_hdr *sh = &p->sub->e.h;
	const parley_pubkey *rk = parley_charter_relay(p->ch, NULL);
	int bad = !js || !cos || !to;

	for (size_t i = 0; !bad && i < parley_charter_nparties(p->ch); i++)
		if (p->cosigned[i])
			bad |= json_array_append_new(cos, json_string(parley_charter_party_at(p->ch, i)->key.name));
	for (unsigned k = 0; !bad && k < sh->nrecip; k++)
		if (memcmp(sh->recip[k], sh->sender, 4) != 0)
			bad |= json_array_append_new(to, json_string(pname(p->ch, sh->recip[k])));
	if (bad) {
		json_decref(js);
		json_decref(cos);
		json_decref(to);
		return NULL;
	}
	bad |= jset(js, "valid", json_true());
	bad |= jset(js, "channel", json_string(p->idhex));
	bad |= jset(js, "title", json_string(parley_charter_title(p->ch)));
	bad |= jset(js, "checkpoint",
		json_pack("{s:I, s:s, s:o}", "size", (json_int_t)p->cp.size, "relay", rk->name, "cosigned_by", cos));
	bad |= jset(js, "subject",
		json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o}", "index", (json_int_t)p->subject, "sender",
			p->sub->sender->key.name, "type", parley_type_name(sh->type), "category", sh->category, "tlp",
			parley_tlp_name(sh->tlp), "to", to, "integrated_at", tstr(p->sub->ms)));
	if (p->t) {
		json_t *dl = json_array(), *ob = json_array(), *vp = json_array();
		parley_buf vt = PARLEY_BUF_INIT;
		bad |= !dl || !ob || !vp;
		for (size_t i = p->t->dlv_first; !bad && i < p->t->dlv_first + p->t->ndlv; i++) {
			const parley_delivery *dv = &p->w.dlv[i];
			json_t *o = json_pack("{s:s, s:b}", "party", pname(p->ch, dv->party), "delivered",
				dv->how != PARLEY_DLV_NONE);
			bad |= !o;
			if (!bad && dv->how == PARLEY_DLV_RECEIPT)
				bad |= jset(o, "evidence", json_string("receipt")) | jset(o, "at", tstr(dv->at_ms)) |
					jset(o, "entry", json_integer((json_int_t)dv->entry));
			if (!bad && dv->how == PARLEY_DLV_REPORT)
				bad |= jset(o, "evidence", json_string("refuted unreadable report")) | jset(o, "at", tstr(dv->at_ms)) |
					jset(o, "entry", json_integer((json_int_t)dv->entry));
			if (!bad && dv->how == PARLEY_DLV_READ)
				bad |= jset(o, "evidence", json_string("signed read")) | jset(o, "at", tstr(dv->at_ms)) |
					jset(o, "from", json_integer((json_int_t)dv->entry));
			if (!bad && dv->unreadable)
				bad |= jset(o, "unreadable_report", json_integer((json_int_t)dv->unreadable_entry));
			if (!bad)
				bad |= jset(o, "seal", json_string(dv->seal == PARLEY_SEAL_OK ? "ok" :
								   dv->seal == PARLEY_SEAL_BAD ? "bad" : "unchecked"));
			bad |= json_array_append_new(dl, o);
		}
		for (size_t i = p->t->obl_first; !bad && i < p->t->obl_first + p->t->nobl; i++) {
			const parley_obligation *o = &p->w.obl[i];
			json_t *j = json_pack("{s:s, s:s, s:o, s:s}", "party", pname(p->ch, o->party), "kind",
				parley_obl_kind_name(o->kind), "deadline", tstr(o->deadline_ms), "outcome",
				parley_outcome_name(o->outcome));
			bad |= !j;
			if (!bad)
				bad |= jset(j, "at", o->has_entry ? tstr(o->at_ms) : json_null()) |
					jset(j, "entry", o->has_entry ? json_integer((json_int_t)o->entry) : json_null()) |
					jset(j, "late_by_ms",
						o->outcome == PARLEY_OUT_LATE ? json_integer((json_int_t)o->late_by_ms) : json_null());
			if (!bad && o->witness_ms)
				bad |= jset(j, "shown_through_entry", json_integer((json_int_t)o->witness));
			if (!bad && o->why)
				bad |= jset(j, "why", json_string(parley_obl_why_text(o->why)));
			bad |= json_array_append_new(ob, j);
		}
		for (unsigned k = 0; !bad && k < p->v.nparties; k++)
			bad |= json_array_append_new(vp, json_string(pname(p->ch, p->v.parties[k])));
		bad |= parley_verdict_text(p->ch, &p->w, p->t, &p->v, &vt) != PARLEY_OK;
		bad |= jset(js, "delivery", dl) | jset(js, "obligations", ob);
		if (!bad)
			bad |= jset(js, "verdict",
				json_pack("{s:s, s:s%, s:o}", "code", parley_verdict_code_name(p->v.code), "text",
					(const char *)vt.data, vt.len, "parties", vp));
		else
			json_decref(vp);
		parley_buf_release(&vt);
		if (!bad && p->t->closed_ms)
			bad |= jset(js, "closed_at", tstr(p->t->closed_ms));
		if (!bad)
			bad |= jset(js, "escalations", json_integer(p->t->escalations));
	}
	if (!bad && p->revealed) {
		json_t *content = json_object();
		parley_payload pay;
		bad |= !content;
		if (!bad && p->opened && p->pl.len && parley_payload_decode(p->pl.data, p->pl.len, &pay, NULL) == PARLEY_OK) {
			if (pay.text)
				bad |= jset(content, "text", json_string(pay.text));
			if (pay.stix)
				bad |= json_object_set(content, "stix", pay.stix);
			parley_payload_release(&pay);
		}
		if (!bad && !p->opened)
			bad |= jset(content, "opens", json_false());
		bad |= jset(js, "content", content);
	}
	if (bad) {
		json_decref(js);
		return NULL;
	}
	return js;
}

parley_code parley_proof_check(const char *text, size_t n, parley_proof_report *rep, parley_err *err)
{
	struct proof p;
	parley_code rc;

	memset(rep, 0, sizeof(*rep));
	memset(&p, 0, sizeof(p));
	if ((rc = collect(&p, text, n, err)))
		goto out;
	if (render_text(&p, &rep->text) || !(rep->json = render_json(&p))) {
		parley_proof_report_release(rep);
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	}
out:
	proof_release(&p);
	return rc;
}
