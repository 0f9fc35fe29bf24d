/* compose.c - refuse a party's mistakes before they enter the permanent log; the header a post would carry. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "parley/compose.h"
#include "parley/payload.h"
#include "parley/stix.h"
#include "node_internal.h"
#include "banned.h"

parley_code parley_compose_text_check(const char *what, const char *text, size_t len, parley_err *err)
{
	json_t *probe;
	size_t i;

	if (len > PARLEY_TEXT_MAX)
		return parley_fail(err, PARLEY_E_LIMIT, "%s: text of %zu bytes is over the %d-byte limit", what, len,
			PARLEY_TEXT_MAX);
	if (memchr(text, 0, len))
		return parley_fail(err, PARLEY_E_FORMAT, "%s: text contains a NUL byte", what);
	for (i = 0; i < len && isspace((unsigned char)text[i]); i++)
		;
	if (i == len)
		return parley_fail(err, PARLEY_E_USAGE, "%s: the text is empty; an empty message would stay in the log",
			what);
	/* jansson refuses ill-formed UTF-8 (overlongs, surrogates, beyond U+10FFFF) */
	if (!(probe = json_stringn(text, len)))
		return parley_fail(err, PARLEY_E_FORMAT, "%s: the text is not valid UTF-8", what);
	json_decref(probe);
	return PARLEY_OK;
}

/* The headers of the replica, for the threads, and whether `me` acknowledged thread `thread` already. */
struct scan {
	parley_wf_entry *v;
	size_t n, cap;
	const uint8_t *me;
	bool collect;    /* keep the headers (to compute the threads) */
	uint64_t thread; /* with collect: the thread whose acknowledgements matter */
	uint64_t my_ack; /* index + 1 of my acknowledgement of `thread`, 0 if none */
	uint64_t my_seq;
	uint8_t my_prev[32];
};

static parley_code scan_cb(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct scan *s = ctx;
	parley_entry e;

	if (parley_entry_parse(data, len, &e, NULL))
		return PARLEY_E_FORMAT; /* the replica holds verified entries only */
	if (memcmp(e.h.sender, s->me, PARLEY_KEYID_LEN) == 0) {
		s->my_seq = e.h.seq;
		parley_entry_hash(data, len, s->my_prev);
		if (s->collect && e.h.type == PARLEY_T_ACK && e.h.thread == s->thread && !s->my_ack)
			s->my_ack = index + 1;
	}
	if (!s->collect)
		return PARLEY_OK;
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		parley_wf_entry *p = realloc(s->v, ncap * sizeof(*p));
		if (!p)
			return PARLEY_E_NOMEM;
		s->v = p;
		s->cap = ncap;
	}
	s->v[s->n].index = index;
	s->v[s->n].ms = ms;
	s->v[s->n].h = e.h;
	s->n++;
	return PARLEY_OK;
}

static parley_code scan_replica(parley_store *st, const uint8_t id[32], const uint8_t me[4], bool collect,
	uint64_t thread, struct scan *s, parley_err *err)
{
	parley_code rc;
	memset(s, 0, sizeof(*s));
	s->me = me;
	s->collect = collect;
	s->thread = thread;
	if ((rc = parley_store_entries(st, id, 0, UINT64_MAX, scan_cb, s, err)))
		return rc == PARLEY_E_NOMEM ? parley_fail(err, rc, "out of memory")
			: parley_wrap(err, rc, "reading the replica");
	return PARLEY_OK;
}

static bool answers_thread(uint8_t type)
{
	return type == PARLEY_T_ACK || type == PARLEY_T_RESPONSE || type == PARLEY_T_ESCALATION || type == PARLEY_T_CLOSE;
}

/* Who the post is addressed to: parties of the charter, no auditor, someone but the sender where that matters. */
static parley_code check_recipients(const parley_charter *ch, const parley_pubkey *sender, const parley_post *p,
	parley_err *err)
{
	size_t others = 0;
	for (size_t i = 0; i < p->nto; i++) {
		const parley_party *r = parley_charter_party(ch, p->to[i]);
		if (!r)
			return parley_fail(err, PARLEY_E_USAGE, "'%s' is not a party of this charter", p->to[i]);
		if (r->role == PARLEY_ROLE_AUDITOR)
			return parley_fail(err, PARLEY_E_USAGE,
				"'%s' is an auditor of this charter: auditors read the log and are never recipients", p->to[i]);
		if (memcmp(r->key.keyid, sender->keyid, PARLEY_KEYID_LEN) != 0)
			others++;
	}
	bool opens = parley_type_opens_thread(p->type) || p->type == PARLEY_T_PING || p->type == PARLEY_T_PSI_REQUEST;
	if (opens && others == 0)
		return parley_fail(err, PARLEY_E_USAGE, "a %s addressed to nobody but %s itself: name another party",
			parley_type_name(p->type), sender->name);
	return PARLEY_OK;
}

static parley_code check_payload(const parley_post *p, parley_err *err)
{
	parley_payload pl;
	parley_code rc = PARLEY_OK;

	if (p->type == PARLEY_T_PSI_REQUEST || p->type == PARLEY_T_PSI_RESPONSE || !p->payload_len)
		return PARLEY_OK;
	if (parley_payload_decode(p->payload, p->payload_len, &pl, NULL))
		return PARLEY_OK; /* not a text payload: nothing to say about it here */
	if (pl.text)
		rc = parley_compose_text_check("the message", pl.text, strlen(pl.text), err);
	parley_payload_release(&pl);
	return rc;
}

/* The rules of answering thread t (the replica's view of it). */
static parley_code check_answer(const parley_charter *ch, const parley_pubkey *me, const parley_post *p,
	const parley_thread *t, uint64_t my_ack, parley_err *err)
{
	unsigned long long n = (unsigned long long)t->opener;
	bool requester = memcmp(t->requester, me->keyid, PARLEY_KEYID_LEN) == 0;

	if (!requester && parley_thread_recipient(t, me->keyid) < 0)
		return parley_fail(err, PARLEY_E_USAGE, "%s is not a participant of thread %llu", me->name, n);
	if (t->closed_ms)
		return parley_fail(err, PARLEY_E_USAGE, "thread %llu is closed already%s", n,
			p->type == PARLEY_T_CLOSE ? ": it cannot be closed twice" : "");
	if (p->type == PARLEY_T_ACK && requester)
		return parley_fail(err, PARLEY_E_USAGE, "thread %llu was opened by %s: only its recipients acknowledge it", n,
			me->name);
	if (p->type == PARLEY_T_ACK && my_ack)
		return parley_fail(err, PARLEY_E_USAGE, "%s acknowledged thread %llu already (entry %llu)", me->name, n,
			(unsigned long long)(my_ack - 1));
	if (p->type == PARLEY_T_ESCALATION && (size_t)t->escalations + 1 >= parley_charter_nlevels(ch))
		return parley_fail(err, PARLEY_E_USAGE,
			"thread %llu is at the top of the escalation ladder (%s) already: it cannot be escalated further", n,
			parley_charter_level_at(ch, parley_charter_nlevels(ch) - 1));
	return PARLEY_OK;
}

parley_code parley_compose_check(const parley_charter *ch, parley_store *s, const uint8_t id[32],
	const parley_pubkey *sender, const parley_post *p, parley_err *err)
{
	const parley_party *me = parley_charter_party_by_keyid(ch, sender->keyid);
	struct scan sc;
	parley_thread *ts = NULL;
	size_t nt = 0;
	parley_code rc;

	if (!me || memcmp(me->key.sign_pk, sender->sign_pk, sizeof(sender->sign_pk)) != 0)
		return parley_fail(err, PARLEY_E_USAGE, "%s is not a party of this charter", sender->name);
	if (me->role == PARLEY_ROLE_AUDITOR)
		return parley_fail(err, PARLEY_E_USAGE, "%s is an auditor of this charter: auditors read the log, they do not post",
			sender->name);
	if ((rc = check_recipients(ch, sender, p, err)) || (rc = check_payload(p, err)))
		return rc;
	if (!answers_thread(p->type))
		return PARLEY_OK;
	if ((rc = scan_replica(s, id, sender->keyid, true, p->thread, &sc, err)))
		goto out;
	if ((rc = parley_workflow_threads(ch, sc.v, sc.n, parley_now_ms(), &ts, &nt, err)))
		goto out;
	rc = parley_fail(err, PARLEY_E_NOTFOUND, "entry %llu does not open a thread in the local replica (run 'parley sync'?)",
		(unsigned long long)p->thread);
	for (size_t i = 0; i < nt; i++)
		if (ts[i].opener == p->thread) {
			rc = check_answer(ch, sender, p, &ts[i], sc.my_ack, err);
			break;
		}
out:
	free(ts);
	free(sc.v);
	return rc;
}

parley_code parley_compose_header(const parley_charter *ch, const parley_pubkey *sender, const uint8_t id[32],
	const parley_post *p, parley_entry_hdr *h, uint8_t (*seal_pks)[32], parley_err *err)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->channel, id, 32);
	memcpy(h->sender, sender->keyid, PARLEY_KEYID_LEN);
	h->type = p->type;
	h->thread = p->thread;
	if (p->nrefs > PARLEY_ENTRY_MAX_REFS)
		return parley_fail(err, PARLEY_E_LIMIT, "too many references");
	h->nrefs = (uint8_t)p->nrefs;
	for (size_t i = 0; i < p->nrefs; i++)
		h->refs[i] = p->refs[i];
	const char *cat = p->category ? p->category : parley_charter_category_at(ch, 0);
	/* a handover's category is its successor's id (docs/protocol.md, "Succession") */
	if (!cat || (p->type == PARLEY_T_HANDOVER ? parley_name_check(cat, NULL) != PARLEY_OK
						  : !parley_charter_allows_category(ch, cat)))
		return parley_fail(err, PARLEY_E_USAGE, "category '%s' is not in the charter's scope", cat ? cat : "");
	if (!parley_charter_allows_type(ch, p->type))
		return parley_fail(err, PARLEY_E_USAGE, "type %s is not allowed by the charter", parley_type_name(p->type));
	snprintf(h->category, sizeof(h->category), "%s", cat);
	h->tlp = (uint8_t)(p->tlp >= 0 ? p->tlp : parley_charter_tlp(ch));
	/* recipients: the named parties, then the sender (so that it can read its own words later) */
	for (size_t i = 0; i <= p->nto; i++) {
		const char *name = i < p->nto ? p->to[i] : sender->name;
		const parley_party *r = parley_charter_party(ch, name);
		bool dup = false;
		if (!r)
			return parley_fail(err, PARLEY_E_USAGE, "'%s' is not a party of this charter", name);
		for (unsigned k = 0; k < h->nrecip; k++)
			if (memcmp(h->recip[k], r->key.keyid, PARLEY_KEYID_LEN) == 0)
				dup = true;
		if (dup)
			continue;
		if (h->nrecip == PARLEY_ENTRY_MAX_RECIP)
			return parley_fail(err, PARLEY_E_LIMIT, "more than %d recipients", PARLEY_ENTRY_MAX_RECIP);
		memcpy(h->recip[h->nrecip], r->key.keyid, PARLEY_KEYID_LEN);
		if (seal_pks)
			memcpy(seal_pks[h->nrecip], r->key.seal_pk, 32);
		h->nrecip++;
	}
	return PARLEY_OK;
}

parley_code parley_compose_escalation(const parley_charter *ch, const parley_thread *t, const char *text,
	parley_buf *out, parley_err *err)
{
	size_t lv = (size_t)t->escalations + 1;
	if (lv >= parley_charter_nlevels(ch))
		return parley_fail(err, PARLEY_E_USAGE,
			"thread %llu is at the top of the escalation ladder (%s) already: it cannot be escalated further",
			(unsigned long long)t->opener, parley_charter_level_at(ch, parley_charter_nlevels(ch) - 1));
	parley_buf_reset(out);
	if (parley_buf_addf(out, "escalated to the %s level%s%s", parley_charter_level_at(ch, lv), text ? ": " : "",
		    text ? text : ""))
		return parley_fail(err, PARLEY_E_LIMIT, "escalation text too long");
	return PARLEY_OK;
}

parley_code parley_node_check_post(parley_node *n, const uint8_t id[32], const parley_post *p, parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	return parley_compose_check(c->charter, n->store, id, &n->key->pub, p, err);
}

parley_code parley_node_preview(parley_node *n, const uint8_t id[32], const parley_post *p, parley_entry_hdr *h,
	parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	struct scan sc;
	parley_code rc;

	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if ((rc = parley_compose_check(c->charter, n->store, id, &n->key->pub, p, err)) ||
		(rc = parley_compose_header(c->charter, &n->key->pub, id, p, h, NULL, err)) ||
		(rc = scan_replica(n->store, id, n->key->pub.keyid, false, 0, &sc, err)))
		return rc;
	free(sc.v);
	h->seq = sc.my_seq + 1;
	if (sc.my_seq)
		memcpy(h->prev, sc.my_prev, 32);
	h->created_ms = parley_now_ms();
	return PARLEY_OK;
}

size_t parley_compose_answer_to(const parley_charter *ch, const parley_thread *t, const uint8_t sender[4],
	const char *names[PARLEY_ENTRY_MAX_RECIP])
{
	size_t nn = 0;
	const parley_party *p;
	if (memcmp(t->requester, sender, 4) != 0 && (p = parley_charter_party_by_keyid(ch, t->requester)))
		names[nn++] = p->key.name;
	for (unsigned i = 0; i < t->nrecip && nn < PARLEY_ENTRY_MAX_RECIP; i++)
		if (memcmp(t->recip[i], sender, 4) != 0 && (p = parley_charter_party_by_keyid(ch, t->recip[i])))
			names[nn++] = p->key.name;
	return nn;
}

parley_code parley_node_answer(parley_node *n, const uint8_t id[32], uint8_t type, uint64_t thread, const char *text,
	const json_t *stix, uint64_t *index, parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	parley_buf pl = PARLEY_BUF_INIT, msg = PARLEY_BUF_INIT;
	parley_thread *ts = NULL, t;
	size_t nt = 0;
	const char *names[PARLEY_ENTRY_MAX_RECIP];
	parley_sync_report rep;
	parley_code rc;
	bool found = false;
	uint64_t ref = thread;

	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if (type != PARLEY_T_ACK && type != PARLEY_T_RESPONSE && type != PARLEY_T_ESCALATION && type != PARLEY_T_CLOSE)
		return parley_fail(err, PARLEY_E_USAGE, "not an answer type");
	if (type == PARLEY_T_RESPONSE && !text && !stix)
		return parley_fail(err, PARLEY_E_USAGE, "a reply needs a text or a STIX bundle");
	if (stix && type != PARLEY_T_RESPONSE)
		return parley_fail(err, PARLEY_E_USAGE, "only a reply carries a STIX bundle");
	if (text && (rc = parley_compose_text_check("text", text, strlen(text), err)))
		return rc;
	if (stix && (rc = parley_stix_validate(stix, err)))
		return rc;
	{
		/* a refusal on the local replica is final: say so before the sync sends anything */
		parley_post early = { type, thread, &ref, 1, NULL, -1, NULL, 0, NULL, 0 };
		rc = parley_node_check_post(n, id, &early, err);
		if (rc && rc != PARLEY_E_NOTFOUND)
			return rc;
	}
	if ((rc = parley_node_sync(n, id, &rep, err)) ||
		(rc = parley_node_threads(n, id, parley_now_ms(), &ts, &nt, err)))
		return rc;
	for (size_t i = 0; i < nt; i++)
		if (ts[i].opener == thread) {
			t = ts[i];
			found = true;
		}
	free(ts);
	if (!found)
		return parley_fail(err, PARLEY_E_NOTFOUND, "entry %llu does not open a thread in the local replica",
			(unsigned long long)thread);
	if (type == PARLEY_T_ESCALATION) {
		if ((rc = parley_compose_escalation(c->charter, &t, text, &msg, err)))
			goto out;
		text = (const char *)msg.data;
	}
	if ((text || stix) && (rc = parley_payload_encode(text, stix, &pl, err)))
		goto out;
	{
		size_t nn = parley_compose_answer_to(c->charter, &t, n->key->pub.keyid, names);
		parley_post post = { type, thread, &ref, 1, t.category, -1, names, nn, pl.data, pl.len };
		rc = parley_node_post(n, id, &post, index, err);
	}
out:
	parley_buf_release(&pl);
	parley_buf_release(&msg);
	return rc;
}
