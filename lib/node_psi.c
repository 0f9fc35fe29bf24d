/* node_psi.c - private set intersection between two nodes, over channel entries. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "parley/compose.h"
#include "parley/payload.h"
#include "parley/psi.h"
#include "node_internal.h"
#include "banned.h"

#define DAY_MS (86400ull * 1000)

/* One PSI entry of the replica, opened. */
struct psi_part {
	uint64_t index, ms;
	uint8_t type;
	uint8_t sender[4];
	uint64_t thread;
	parley_buf payload; /* decrypted */
	parley_psi_msg m;   /* views into payload, for request/response types */
};

struct gather {
	parley_node *n;
	uint64_t request;
	struct psi_part *parts;
	size_t np, cap;
	uint64_t day_requests; /* chunk-0 requests by the requester in the 24 h before the request */
	uint8_t requester[4];
	uint64_t request_ms;
	bool have_request;
	parley_err *err;
};

/*
 * The first entry of a request: thread 0 and no reference. Its other chunks name it in thread and refs, and
 * when the request is entry 0 of the log their thread is 0 too: only the reference tells them apart.
 */
static bool psi_first(const parley_entry_hdr *h)
{
	return h->type == PARLEY_T_PSI_REQUEST && h->thread == 0 && h->nrefs == 0;
}

static parley_code gather_cb(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct gather *g = ctx;
	parley_entry e;

	if (parley_entry_parse(data, len, &e, NULL))
		return PARLEY_OK; /* the replica was verified: cannot happen */
	if (e.h.type != PARLEY_T_PSI_REQUEST && e.h.type != PARLEY_T_PSI_RESPONSE && e.h.type != PARLEY_T_PSI_REFUSAL)
		return PARLEY_OK;
	if (index == g->request && e.h.type == PARLEY_T_PSI_REQUEST) {
		memcpy(g->requester, e.h.sender, 4);
		g->request_ms = ms;
		g->have_request = true;
	}
	bool mine = index == g->request || (e.h.thread == g->request && index > g->request && !psi_first(&e.h));
	if (!mine || parley_entry_recipient_index(&e, node_key(g->n)->pub.keyid) < 0)
		return PARLEY_OK;
	if (g->np == g->cap) {
		size_t ncap = g->cap ? g->cap * 2 : 16;
		struct psi_part *p = realloc(g->parts, ncap * sizeof(*p));
		if (!p)
			return parley_fail(g->err, PARLEY_E_NOMEM, "out of memory");
		g->parts = p;
		g->cap = ncap;
	}
	struct psi_part *p = &g->parts[g->np];
	memset(p, 0, sizeof(*p));
	parley_buf_init(&p->payload, 0);
	if (parley_entry_open(&e, node_key(g->n), &p->payload, NULL, g->err)) {
		parley_buf_release(&p->payload);
		return parley_wrap(g->err, PARLEY_E_DECRYPT, "PSI entry %llu", (unsigned long long)index);
	}
	p->index = index;
	p->ms = ms;
	p->type = e.h.type;
	p->thread = e.h.thread;
	memcpy(p->sender, e.h.sender, 4);
	if (p->type != PARLEY_T_PSI_REFUSAL &&
		parley_psi_msg_decode(p->payload.data, p->payload.len, &p->m, g->err)) {
		parley_buf_release(&p->payload);
		return parley_wrap(g->err, PARLEY_E_VERIFY, "PSI entry %llu", (unsigned long long)index);
	}
	g->np++;
	return PARLEY_OK;
}

/*
 * The daily quota counts the requests a party had answered: chunk-0 requests
 * by `who`, integrated less than 24 hours (relay clock) before or after t,
 * other than `skip`, to which a recipient has sent a psi-response. A refused
 * request (a psi-refusal), one its recipient never answered (incomplete, or
 * the responder failed) and one the requester's node refused before sending
 * do not count. Counting both sides of t bounds the answers in every 24-hour
 * window, whichever order the requests are answered in: the last one answered
 * in a window saw all the others.
 */
struct day_req {
	uint64_t index;
	uint8_t recip[PARLEY_ENTRY_MAX_RECIP][4];
	uint8_t nrecip;
	bool answered;
};

struct day_ctx {
	uint8_t who[4];
	uint64_t t, skip;
	struct day_req *v;
	size_t n, cap;
};

static parley_code day_cb(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct day_ctx *d = ctx;
	parley_entry e;

	if (parley_entry_parse(data, len, &e, NULL) != PARLEY_OK)
		return PARLEY_OK;
	if (psi_first(&e.h) && memcmp(e.h.sender, d->who, 4) == 0 &&
		index != d->skip && ms < d->t + DAY_MS && ms + DAY_MS > d->t) {
		if (d->n == d->cap) {
			size_t ncap = d->cap ? d->cap * 2 : 16;
			struct day_req *v = realloc(d->v, ncap * sizeof(*v));
			if (!v)
				return PARLEY_E_NOMEM;
			d->v = v;
			d->cap = ncap;
		}
		struct day_req *r = &d->v[d->n++];
		r->index = index;
		r->nrecip = e.h.nrecip;
		memcpy(r->recip, e.h.recip, sizeof(r->recip));
		r->answered = false;
	} else if (e.h.type == PARLEY_T_PSI_RESPONSE && memcmp(e.h.sender, d->who, 4) != 0) {
		for (size_t i = 0; i < d->n; i++) {
			struct day_req *r = &d->v[i];
			if (r->index != e.h.thread || r->answered)
				continue;
			for (unsigned k = 0; k < r->nrecip; k++)
				if (memcmp(r->recip[k], e.h.sender, 4) == 0)
					r->answered = true;
		}
	}
	return PARLEY_OK;
}

/* How many of who's requests integrated within 24 hours of t (skip excluded) were answered. */
static parley_code day_count(parley_node *n, const uint8_t id[32], const uint8_t who[4], uint64_t t, uint64_t skip,
	uint64_t *count, parley_err *err)
{
	struct day_ctx d;
	parley_code rc;

	memset(&d, 0, sizeof(d));
	memcpy(d.who, who, 4);
	d.t = t;
	d.skip = skip;
	*count = 0;
	if ((rc = parley_store_entries(parley_node_store(n), id, 0, UINT64_MAX, day_cb, &d, err)) == PARLEY_E_NOMEM)
		rc = parley_fail(err, rc, "out of memory");
	for (size_t i = 0; !rc && i < d.n; i++)
		*count += d.v[i].answered;
	free(d.v);
	return rc;
}

static void gather_release(struct gather *g)
{
	for (size_t i = 0; i < g->np; i++)
		parley_buf_release(&g->parts[i].payload);
	free(g->parts);
}

/* How this channel's charter normalises indicators (both sides of an exchange use the same). */
static unsigned node_psi_norm(const struct node_channel *c)
{
	return parley_charter_psi_email_case_sensitive(c->charter) ? PARLEY_NORM_EMAIL_LOCAL_CASE : 0;
}

static parley_code set_path(parley_node *n, uint64_t request, char *out, size_t max, bool mk, parley_err *err)
{
	char dir[1100];
	snprintf(dir, sizeof(dir), "%s/psi", node_home(n));
	if (mk && mkdir(dir, 0700) != 0 && errno != EEXIST)
		return parley_fail(err, PARLEY_E_IO, "%s: %s", dir, strerror(errno));
	if ((size_t)snprintf(out, max, "%s/%llu.set", dir, (unsigned long long)request) >= max)
		return parley_fail(err, PARLEY_E_USAGE, "path too long");
	return PARLEY_OK;
}

static parley_code check_size(const parley_charter *ch, uint64_t n, const char *whose, parley_err *err)
{
	int64_t max, min, per_day;
	parley_charter_psi_limits(ch, &max, &min, &per_day);
	if (n < (uint64_t)min || n > (uint64_t)max)
		return parley_fail(err, PARLEY_E_LIMIT, "%s set has %llu indicators; the charter allows %lld to %lld", whose,
			(unsigned long long)n, (long long)min, (long long)max);
	return PARLEY_OK;
}

static parley_code respond_core(parley_node *n, struct node_channel *c, struct node_session *s, uint64_t request,
	const parley_iset *set, parley_psi_outcome *out, parley_psi_preview *pv, parley_err *err);

/* What would make the responder refuse a request, or should never be sent: checked before anything is. */
static parley_code request_checks(parley_node *n, struct node_channel *c, const char *to, const parley_iset *set,
	const char *category, parley_entry_hdr *h, parley_err *err)
{
	const char *names[1] = { to };
	parley_post p = { PARLEY_T_PSI_REQUEST, 0, NULL, 0, category, -1, names, 1, NULL, 0 };
	int64_t max, min, per_day;
	uint64_t answered;
	parley_code rc;

	if ((rc = h ? parley_node_preview(n, c->id, &p, h, err) : parley_node_check_post(n, c->id, &p, err)) ||
		(rc = check_size(c->charter, set->n, "your", err)))
		return rc;
	parley_charter_psi_limits(c->charter, &max, &min, &per_day);
	if ((rc = day_count(n, c->id, node_key(n)->pub.keyid, parley_now_ms(), UINT64_MAX, &answered, err)))
		return rc;
	if (answered >= (uint64_t)per_day)
		return parley_fail(err, PARLEY_E_LIMIT,
			"%llu of your PSI requests were answered in the last 24 hours and the charter allows %lld a day: "
			"the responder would refuse this one",
			(unsigned long long)answered, (long long)per_day);
	return PARLEY_OK;
}

parley_code parley_node_psi_request_preview(parley_node *n, const uint8_t id[32], const char *to, const parley_iset *set,
	int mode, const char *category, parley_psi_preview *out, parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	parley_code rc;

	(void)mode;
	memset(out, 0, sizeof(*out));
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if ((rc = request_checks(n, c, to, set, category, &out->h, err)))
		return rc;
	out->entries = (set->n + PARLEY_PSI_CHUNK - 1) / PARLEY_PSI_CHUNK;
	out->elements = set->n;
	return PARLEY_OK;
}

parley_code parley_node_psi_respond_preview(parley_node *n, const uint8_t id[32], uint64_t request,
	const parley_iset *set, parley_psi_preview *out, parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	parley_psi_outcome o;
	parley_code rc;

	memset(out, 0, sizeof(*out));
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	rc = respond_core(n, c, NULL, request, set, &o, out, err);
	parley_iset_release(&o.common);
	return rc;
}

parley_code parley_node_psi_request(parley_node *n, const uint8_t id[32], const char *to, const parley_iset *set,
	int mode, const char *category, uint64_t *index, parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	struct node_session ss;
	uint8_t r[32], session[16], *blinded = NULL;
	parley_buf msg = PARLEY_BUF_INIT, file = PARLEY_BUF_INIT;
	char path[1200];
	parley_code rc;

	memset(&ss, 0, sizeof(ss));
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if ((rc = request_checks(n, c, to, set, category, NULL, err)))
		return rc;
	if (!(blinded = malloc(set->n * 32))) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	randombytes_buf(session, sizeof(session));
	parley_psi_blind_scalar(r, node_key(n)->seed, session);
	if ((rc = parley_psi_blind_all(set, r, blinded, err)))
		goto out;
	if ((rc = node_session_open(n, id, &ss, err)))
		goto out;
	uint32_t chunks = (uint32_t)((set->n + PARLEY_PSI_CHUNK - 1) / PARLEY_PSI_CHUNK);
	uint64_t first = 0;
	for (uint32_t i = 0; i < chunks; i++) {
		size_t from = (size_t)i * PARLEY_PSI_CHUNK, cnt = set->n - from < PARLEY_PSI_CHUNK ? set->n - from : PARLEY_PSI_CHUNK;
		parley_psi_msg m = { PARLEY_PSI_REQUEST, (uint8_t)mode, { 0 }, i, chunks, set->n, (uint32_t)cnt, 0,
			blinded + from * 32, cnt * 32 };
		memcpy(m.session, session, 16);
		const char *names[1] = { to };
		uint64_t idx;
		if ((rc = parley_psi_msg_encode(&m, &msg)))
			goto out;
		parley_post p = { PARLEY_T_PSI_REQUEST, i ? first : 0, i ? &first : NULL, i ? 1u : 0u, category, -1, names, 1,
			msg.data, msg.len };
		if ((rc = node_session_post(&ss, &p, &idx, err)))
			goto out;
		if (i == 0)
			first = idx;
	}
	/* the set, in the order it was blinded, for 'psi result' */
	for (size_t i = 0; i < set->n && !rc; i++)
		rc = parley_buf_addf(&file, "%s\n", set->items[i]);
	if (rc || (rc = set_path(n, first, path, sizeof(path), true, err)) ||
		(rc = parley_file_write(path, file.data, file.len, 0600, false, err)))
		goto out;
	*index = first;
out:
	sodium_memzero(r, sizeof(r));
	node_session_close(&ss);
	free(blinded);
	parley_buf_release(&msg);
	parley_buf_release(&file);
	return rc;
}

/* Check the parts of one kind form a complete, consistent message set; returns the element/tag total. */
static parley_code complete(struct psi_part *parts, size_t np, uint8_t type, uint8_t kind, const uint8_t who[4],
	const parley_psi_msg *ref, uint64_t *total, size_t *nchunks, parley_err *err)
{
	uint32_t chunks = 0, seen = 0;
	uint64_t sum = 0;
	for (size_t i = 0; i < np; i++) {
		parley_psi_msg *m = &parts[i].m;
		if (parts[i].type != type || m->kind != kind || memcmp(parts[i].sender, who, 4) != 0)
			continue;
		if (memcmp(m->session, ref->session, 16) != 0 || m->mode != ref->mode)
			return parley_fail(err, PARLEY_E_VERIFY, "PSI entry %llu belongs to another session",
				(unsigned long long)parts[i].index);
		if (chunks && m->chunks != chunks)
			return parley_fail(err, PARLEY_E_VERIFY, "PSI entry %llu: inconsistent chunk count",
				(unsigned long long)parts[i].index);
		chunks = m->chunks;
		if (m->chunk != seen)
			return parley_fail(err, PARLEY_E_VERIFY, "PSI entry %llu: chunk %u where %u was due",
				(unsigned long long)parts[i].index, m->chunk, seen);
		seen++;
		sum += m->count;
	}
	if (!chunks || seen != chunks)
		return parley_fail(err, PARLEY_E_NOTFOUND, "%u of %u PSI messages so far", seen, chunks);
	*total = sum;
	*nchunks = chunks;
	return PARLEY_OK;
}

static parley_code refuse(struct node_session *s, uint64_t request, const char *requester, const char *category, const char *reason, parley_err *err)
{
	parley_buf pl = PARLEY_BUF_INIT;
	uint64_t idx;
	const char *to[1] = { requester };
	parley_code rc = parley_payload_encode(reason, NULL, &pl, err);
	if (!rc) {
		parley_post p = { PARLEY_T_PSI_REFUSAL, request, &request, 1, category, -1, to, 1, pl.data, pl.len };
		rc = node_session_post(s, &p, &idx, err);
	}
	parley_buf_release(&pl);
	return rc;
}

/* Answer request `request` with set, in an open session (after its sync); or, with pv, say what
 * would be sent and send nothing (s unused, may be NULL). */
static parley_code respond_core(parley_node *n, struct node_channel *c, struct node_session *s, uint64_t request,
	const parley_iset *set, parley_psi_outcome *out, parley_psi_preview *pv, parley_err *err)
{
	struct gather g = { n, request, NULL, 0, 0, 0, { 0 }, 0, false, err };
	uint8_t k[32], *elems = NULL;
	parley_tag *tags = NULL;
	parley_buf msg = PARLEY_BUF_INIT;
	char reason[256] = "";
	const uint8_t *id = c->id;
	parley_code rc;

	memset(out, 0, sizeof(*out));
	crypto_core_ristretto255_scalar_random(k); /* a fresh key for every session */
	if ((rc = parley_store_entries(parley_node_store(n), id, request, UINT64_MAX, gather_cb, &g, err)))
		goto out;
	if (!g.have_request || g.np == 0 || g.parts[0].index != request || g.parts[0].type != PARLEY_T_PSI_REQUEST ||
		g.parts[0].thread != 0) {
		rc = parley_fail(err, PARLEY_E_NOTFOUND, "entry %llu is not a PSI request addressed to %s",
			(unsigned long long)request, node_key(n)->pub.name);
		goto out;
	}
	if (memcmp(g.requester, node_key(n)->pub.keyid, 4) == 0) {
		rc = parley_fail(err, PARLEY_E_USAGE, "request %llu is this party's own", (unsigned long long)request);
		goto out;
	}
	for (size_t i = 0; i < g.np; i++)
		if (memcmp(g.parts[i].sender, node_key(n)->pub.keyid, 4) == 0) {
			rc = parley_fail(err, PARLEY_E_USAGE, "request %llu was already answered (entry %llu)",
				(unsigned long long)request, (unsigned long long)g.parts[i].index);
			goto out;
		}
	const parley_party *rq = parley_charter_party_by_keyid(c->charter, g.requester);
	const parley_psi_msg *first = &g.parts[0].m;
	char category[PARLEY_NAME_MAX + 1];
	{
		parley_buf raw = PARLEY_BUF_INIT;
		parley_entry e;
		uint64_t ms;
		if ((rc = parley_store_entry(parley_node_store(n), id, request, &raw, &ms, err)) ||
			(rc = parley_entry_parse(raw.data, raw.len, &e, err))) {
			parley_buf_release(&raw);
			goto out;
		}
		snprintf(category, sizeof(category), "%s", e.h.category);
		parley_buf_release(&raw);
	}
	uint64_t na = 0;
	size_t nchunks = 0;
	if ((rc = complete(g.parts, g.np, PARLEY_T_PSI_REQUEST, PARLEY_PSI_REQUEST, g.requester, first, &na, &nchunks, err)))
		goto out;
	if (na != first->set_size) {
		snprintf(reason, sizeof(reason), "the request declares %llu elements and carries %llu",
			(unsigned long long)first->set_size, (unsigned long long)na);
	} else if (check_size(c->charter, na, "the requester's", NULL)) {
		int64_t max, min, per_day;
		parley_charter_psi_limits(c->charter, &max, &min, &per_day);
		snprintf(reason, sizeof(reason), "the request has %llu indicators; the charter allows %lld to %lld",
			(unsigned long long)na, (long long)min, (long long)max);
	} else {
		int64_t max, min, per_day;
		uint64_t answered;
		parley_charter_psi_limits(c->charter, &max, &min, &per_day);
		if ((rc = day_count(n, id, g.requester, g.request_ms, request, &answered, err)))
			goto out;
		if (answered + 1 > (uint64_t)per_day)
			snprintf(reason, sizeof(reason),
				"%s has had %llu requests answered within 24 hours of this one; the charter allows %lld a day",
				rq->key.name, (unsigned long long)answered, (long long)per_day);
	}
	if (reason[0] && pv) {
		parley_buf pl = PARLEY_BUF_INIT;
		const char *to[1] = { rq->key.name };
		if (!(rc = parley_payload_encode(reason, NULL, &pl, err))) {
			parley_post p = { PARLEY_T_PSI_REFUSAL, request, &request, 1, category, -1, to, 1, pl.data, pl.len };
			rc = parley_node_preview(n, id, &p, &pv->h, err);
		}
		parley_buf_release(&pl);
		pv->entries = 1;
		pv->refused = true;
		snprintf(pv->reason, sizeof(pv->reason), "%s", reason);
		goto out;
	}
	if (reason[0]) {
		if ((rc = refuse(s, request, rq->key.name, category, reason, err)))
			goto out;
		out->refused = true;
		snprintf(out->reason, sizeof(out->reason), "%s", reason);
		goto out;
	}
	if ((rc = check_size(c->charter, set->n, "your", err)))
		goto out;
	if (pv) {
		const char *to[1] = { rq->key.name };
		parley_post p = { PARLEY_T_PSI_RESPONSE, request, &request, 1, category, -1, to, 1, NULL, 0 };
		pv->entries = (na + PARLEY_PSI_CHUNK - 1) / PARLEY_PSI_CHUNK +
			(set->n + PARLEY_PSI_TAG_CHUNK - 1) / PARLEY_PSI_TAG_CHUNK;
		pv->elements = na;
		pv->tags = set->n;
		rc = parley_node_preview(n, id, &p, &pv->h, err);
		goto out;
	}

	/* evaluate the requester's elements, in order (or shuffled: cardinality only) */
	if (!(elems = malloc(na * 32)) || !(tags = malloc((set->n ? set->n : 1) * sizeof(*tags)))) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	size_t off = 0;
	for (size_t i = 0; i < g.np; i++)
		if (g.parts[i].type == PARLEY_T_PSI_REQUEST && memcmp(g.parts[i].sender, g.requester, 4) == 0) {
			memcpy(elems + off * 32, g.parts[i].m.data, (size_t)g.parts[i].m.count * 32);
			off += g.parts[i].m.count;
		}
	if ((rc = parley_psi_evaluate_all(elems, na, k, err)))
		goto out;
	if (first->mode == PARLEY_PSI_CARDINALITY)
		for (size_t i = na; i > 1; i--) {
			size_t j = randombytes_uniform((uint32_t)i);
			uint8_t t[32];
			memcpy(t, elems + (i - 1) * 32, 32);
			memcpy(elems + (i - 1) * 32, elems + j * 32, 32);
			memcpy(elems + j * 32, t, 32);
		}
	unsigned bits = parley_psi_tag_bits(na, set->n);
	if ((rc = parley_psi_own_tags(set, k, first->mode, bits, tags, err)))
		goto out;
	parley_psi_tags_sort(tags, set->n);

	const char *to[1] = { rq->key.name };
	uint32_t echunks = (uint32_t)((na + PARLEY_PSI_CHUNK - 1) / PARLEY_PSI_CHUNK);
	uint32_t tchunks = (uint32_t)((set->n + PARLEY_PSI_TAG_CHUNK - 1) / PARLEY_PSI_TAG_CHUNK);
	for (uint32_t i = 0; i < echunks + tchunks; i++) {
		parley_psi_msg m;
		parley_buf coded = PARLEY_BUF_INIT;
		uint64_t idx;
		memset(&m, 0, sizeof(m));
		m.mode = first->mode;
		memcpy(m.session, first->session, 16);
		m.set_size = set->n;
		if (i < echunks) {
			size_t from = (size_t)i * PARLEY_PSI_CHUNK, cnt = na - from < PARLEY_PSI_CHUNK ? na - from : PARLEY_PSI_CHUNK;
			m.kind = PARLEY_PSI_EVALUATED;
			m.chunk = i;
			m.chunks = echunks;
			m.count = (uint32_t)cnt;
			m.data = elems + from * 32;
			m.data_len = cnt * 32;
		} else {
			size_t t = i - echunks, from = t * PARLEY_PSI_TAG_CHUNK,
			       cnt = set->n - from < PARLEY_PSI_TAG_CHUNK ? set->n - from : PARLEY_PSI_TAG_CHUNK;
			/* duplicates were removed from the set: the tags of distinct indicators are distinct but by chance */
			if ((rc = parley_psi_tags_encode(tags + from, cnt, set->n, bits, &coded)))
				goto out;
			m.kind = PARLEY_PSI_TAGS;
			m.chunk = (uint32_t)t;
			m.chunks = tchunks;
			m.count = (uint32_t)cnt;
			m.bits = (uint8_t)bits;
			m.data = coded.data;
			m.data_len = coded.len;
		}
		rc = parley_psi_msg_encode(&m, &msg);
		parley_buf_release(&coded);
		if (rc)
			goto out;
		parley_post p = { PARLEY_T_PSI_RESPONSE, request, &request, 1, category, -1, to, 1, msg.data, msg.len };
		if ((rc = node_session_post(s, &p, &idx, err)))
			goto out;
	}
	out->their_size = na;
	out->cardinality = first->mode == PARLEY_PSI_CARDINALITY;
out:
	sodium_memzero(k, sizeof(k));
	gather_release(&g);
	free(elems);
	free(tags);
	parley_buf_release(&msg);
	return rc;
}

parley_code parley_node_psi_respond(parley_node *n, const uint8_t id[32], uint64_t request, const parley_iset *set,
	parley_psi_outcome *out, parley_err *err)
{
	struct node_session s;
	parley_code rc;

	memset(out, 0, sizeof(*out));
	if (!(rc = node_session_open(n, id, &s, err)))
		rc = respond_core(n, s.c, &s, request, set, out, NULL, err);
	node_session_close(&s);
	return rc;
}

/* The standing policy: answer, during a sync, every complete request addressed here with the policy's set. */
struct pending_req {
	uint64_t *v;
	size_t n, cap;
	const uint8_t *me;
};

static parley_code find_requests(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct pending_req *p = ctx;
	parley_entry e;
	(void)ms;
	if (parley_entry_parse(data, len, &e, NULL) || !parley_type_is_psi(e.h.type))
		return PARLEY_OK;
	bool mine = memcmp(e.h.sender, p->me, 4) == 0;
	if (psi_first(&e.h) && !mine && parley_entry_recipient_index(&e, p->me) >= 0) {
		if (p->n == p->cap) {
			size_t ncap = p->cap ? p->cap * 2 : 16;
			uint64_t *v = realloc(p->v, ncap * sizeof(*v));
			if (!v)
				return PARLEY_E_NOMEM;
			p->v = v;
			p->cap = ncap;
		}
		p->v[p->n++] = index;
	} else if (mine && e.h.type != PARLEY_T_PSI_REQUEST) {
		/* answered (or refused) already */
		for (size_t i = 0; i < p->n; i++)
			if (p->v[i] == e.h.thread)
				p->v[i] = UINT64_MAX;
	}
	return PARLEY_OK;
}

parley_code node_psi_auto(struct node_session *s, parley_err *err)
{
	parley_node *n = s->n;
	struct node_channel *c = s->c;
	struct pending_req p = { NULL, 0, 0, node_key(n)->pub.keyid };
	parley_iset set = { 0 };
	parley_buf problems = PARLEY_BUF_INIT;
	parley_code rc;

	if (!node_psi_policy_path(n)[0])
		return PARLEY_OK;
	if ((rc = parley_store_entries(parley_node_store(n), c->id, 0, UINT64_MAX, find_requests, &p, err)))
		goto out;
	for (size_t i = 0; i < p.n; i++) {
		parley_psi_outcome o;
		parley_err e2 = { 0 };
		if (p.v[i] == UINT64_MAX)
			continue;
		parley_entry_hdr ah = { .type = PARLEY_T_PSI_RESPONSE, .thread = p.v[i] };
		if (node_admit_now(n, c, &ah, NULL)) /* the charter expired: no answer would be admitted */
			continue;
		if (!set.n && (rc = parley_iset_load(node_psi_policy_path(n), node_psi_norm(c), &set, &problems, err))) {
			parley_wrap(err, rc, "the standing PSI policy's set");
			goto out;
		}
		rc = respond_core(n, c, s, p.v[i], &set, &o, NULL, &e2);
		parley_iset_release(&o.common);
		if (rc == PARLEY_E_NOTFOUND) { /* not complete yet: next sync */
			rc = PARLEY_OK;
			continue;
		}
		if (rc) {
			parley_fail(err, rc, "answering PSI request %llu by policy: %s", (unsigned long long)p.v[i], e2.msg);
			goto out;
		}
		s->rep.psi_answered++;
	}
out:
	free(p.v);
	parley_iset_release(&set);
	parley_buf_release(&problems);
	return rc;
}

parley_code parley_node_psi_result(parley_node *n, const uint8_t id[32], uint64_t request, parley_psi_outcome *out,
	parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	struct gather g = { n, request, NULL, 0, 0, 0, { 0 }, 0, false, err };
	struct node_session ss;
	parley_iset set = { 0 };
	parley_buf problems = PARLEY_BUF_INIT;
	uint8_t r[32], *elems = NULL, responder[4];
	parley_tag *mine = NULL, *theirs = NULL;
	char path[1200];
	parley_code rc;

	memset(out, 0, sizeof(*out));
	memset(&ss, 0, sizeof(ss));
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if ((rc = node_session_open(n, id, &ss, err)) ||
		(rc = parley_store_entries(parley_node_store(n), id, request, UINT64_MAX, gather_cb, &g, err)))
		goto out;
	if (!g.have_request || g.np == 0 || g.parts[0].index != request || memcmp(g.requester, node_key(n)->pub.keyid, 4) != 0) {
		rc = parley_fail(err, PARLEY_E_NOTFOUND, "entry %llu is not a PSI request by %s", (unsigned long long)request,
			node_key(n)->pub.name);
		goto out;
	}
	const parley_psi_msg *first = &g.parts[0].m;
	/* the responder: whoever answered in this thread */
	bool have = false;
	for (size_t i = 0; i < g.np; i++) {
		if (g.parts[i].type == PARLEY_T_PSI_REFUSAL) {
			parley_payload p;
			out->refused = true;
			if (parley_payload_decode(g.parts[i].payload.data, g.parts[i].payload.len, &p, NULL) == PARLEY_OK) {
				snprintf(out->reason, sizeof(out->reason), "%s", p.text ? p.text : "(no reason given)");
				parley_payload_release(&p);
			}
			rc = PARLEY_OK;
			goto out;
		}
		if (g.parts[i].type == PARLEY_T_PSI_RESPONSE && !have) {
			memcpy(responder, g.parts[i].sender, 4);
			have = true;
		}
	}
	uint64_t ne = 0, nt = 0;
	size_t ech = 0, tch = 0;
	if (!have || (rc = complete(g.parts, g.np, PARLEY_T_PSI_RESPONSE, PARLEY_PSI_EVALUATED, responder, first, &ne, &ech,
			      err)) ||
		(rc = complete(g.parts, g.np, PARLEY_T_PSI_RESPONSE, PARLEY_PSI_TAGS, responder, first, &nt, &tch, err))) {
		if (!have || rc == PARLEY_E_NOTFOUND)
			rc = parley_fail(err, PARLEY_E_PENDING, "no complete answer to request %llu yet: sync again later",
				(unsigned long long)request);
		goto out;
	}
	if ((rc = set_path(n, request, path, sizeof(path), false, err)) ||
		(rc = parley_iset_load(path, node_psi_norm(c), &set, &problems, err)))
		goto out;
	if (set.n != first->set_size || ne != set.n) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "request %llu had %llu indicators; %zu saved, %llu evaluated",
			(unsigned long long)request, (unsigned long long)first->set_size, set.n, (unsigned long long)ne);
		goto out;
	}
	if (!(elems = malloc(ne * 32)) || !(mine = malloc(ne * sizeof(*mine))) ||
		!(theirs = malloc((nt ? nt : 1) * sizeof(*theirs)))) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	size_t eo = 0, to = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < g.np; i++) {
		struct psi_part *p = &g.parts[i];
		if (p->type != PARLEY_T_PSI_RESPONSE || memcmp(p->sender, responder, 4) != 0)
			continue;
		if (p->m.kind == PARLEY_PSI_EVALUATED) {
			memcpy(elems + eo * 32, p->m.data, (size_t)p->m.count * 32);
			eo += p->m.count;
		} else if (p->m.kind == PARLEY_PSI_TAGS) {
			if (bits && p->m.bits != bits) {
				rc = parley_fail(err, PARLEY_E_VERIFY, "PSI entry %llu: inconsistent tag length", (unsigned long long)p->index);
				goto out;
			}
			bits = p->m.bits;
			if ((rc = parley_psi_tags_decode(p->m.data, p->m.data_len, p->m.count, bits, theirs + to, err))) {
				parley_wrap(err, rc, "PSI entry %llu", (unsigned long long)p->index);
				goto out;
			}
			if (to && theirs[to] <= theirs[to - 1]) {
				rc = parley_fail(err, PARLEY_E_VERIFY, "PSI entry %llu: tags out of order", (unsigned long long)p->index);
				goto out;
			}
			to += p->m.count;
		}
	}
	if (bits != parley_psi_tag_bits(ne, first->set_size) && bits < parley_psi_tag_bits(ne, nt)) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "the responder's tags are too short (%u bits)", bits);
		goto out;
	}
	parley_psi_blind_scalar(r, node_key(n)->seed, first->session);
	rc = parley_psi_final_tags(&set, elems, ne, r, first->mode, bits, mine, err);
	sodium_memzero(r, sizeof(r));
	if (rc)
		goto out;
	out->cardinality = first->mode == PARLEY_PSI_CARDINALITY;
	for (size_t i = 0; i < ne; i++) {
		if (!parley_psi_tags_contain(theirs, nt, mine[i]))
			continue;
		out->count++;
		if (!out->cardinality && (rc = parley_iset_add(&out->common, set.items[i]))) {
			rc = parley_fail(err, rc, "out of memory");
			goto out;
		}
	}
	out->their_size = nt;
out:
	node_session_close(&ss);
	gather_release(&g);
	parley_iset_release(&set);
	parley_buf_release(&problems);
	free(elems);
	free(mine);
	free(theirs);
	return rc;
}
