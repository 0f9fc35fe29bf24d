/* report.c - timeliness reports: figures per party and per direction, collected from the one obligation engine, then rendered. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/admit.h"
#include "parley/bundle.h"
#include "parley/jcs.h"
#include "parley/proof.h"
#include "parley/report.h"
#include "parley/succession.h"
#include "banned.h"

/* ---- statistics ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

uint64_t parley_stats_rank(const uint64_t *sorted, size_t n, unsigned per_mille)
{
	if (n == 0 || per_mille == 0)
		return 0;
	if (per_mille > 1000)
		per_mille = 1000;
	/* nearest rank: the smallest value with at least q*n values at or below it, ceil(q*n) */
	uint64_t rank = ((uint64_t)n * per_mille + 999) / 1000;
	if (rank == 0)
		rank = 1;
	return sorted[rank - 1];
}

void parley_stats_compute(uint64_t *v, size_t n, parley_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_u64);
	out->n = n;
	out->median_ms = parley_stats_rank(v, n, 500);
	out->p90_ms = parley_stats_rank(v, n, 900);
	out->max_ms = v[n - 1];
}

/* ---- collecting ---- */

void parley_report_release(parley_report *r)
{
	for (size_t i = 0; r->parts && i < r->nparts; i++)
		parley_report_release(&r->parts[i]);
	free(r->parts);
	free(r->names);
	free(r->cosigned);
	free(r->attested);
	free(r->party);
	free(r->dir);
	free(r->items);
	memset(r, 0, sizeof(*r));
}

static bool in_period(const parley_report *r, uint64_t ms)
{
	return ms >= r->from_ms && ms < r->to_ms;
}

struct collect {
	parley_report *r;
	int pos[PARLEY_MAX_PARTIES]; /* charter party index -> report position, -1 for an auditor */
	const parley_charter *ch;
	size_t icap;
};

static int position(const struct collect *c, const uint8_t keyid[4])
{
	const parley_party *p = parley_charter_party_by_keyid(c->ch, keyid);
	if (!p)
		return -1;
	size_t ci = (size_t)(p - parley_charter_party_at(c->ch, 0));
	return ci < PARLEY_MAX_PARTIES ? c->pos[ci] : -1;
}

static parley_code item_add(struct collect *c, const parley_report_item *it)
{
	parley_report *r = c->r;
	if (r->nitems == c->icap) {
		size_t ncap = c->icap ? c->icap * 2 : 64;
		parley_report_item *p = realloc(r->items, ncap * sizeof(*p));
		if (!p)
			return PARLEY_E_NOMEM;
		r->items = p;
		c->icap = ncap;
	}
	r->items[r->nitems++] = *it;
	return PARLEY_OK;
}

/* Apply f to the party's figures and to the direction's. */
#define BOTH(r, from, to, stmt)                                                      \
	do {                                                                         \
		parley_report_figures *F_ = &(r)->party[(to)];                       \
		stmt;                                                                \
		F_ = &(r)->dir[(size_t)(from) * (r)->nparties + (size_t)(to)];      \
		stmt;                                                                \
	} while (0)

static parley_code collect_thread(struct collect *c, const parley_workflow *wf, const parley_thread *t)
{
	parley_report *r = c->r;
	int from = position(c, t->requester);
	if (from < 0)
		return PARLEY_OK;
	for (size_t i = t->dlv_first; i < t->dlv_first + t->ndlv; i++) {
		const parley_delivery *dv = &wf->dlv[i];
		int to = position(c, dv->party);
		parley_report_item it = { 0 };
		if (to < 0)
			continue;
		it.from = (uint16_t)from;
		it.to = (uint16_t)to;
		it.opener = t->opener;
		it.opened_ms = t->opened_ms;
		if (t->type == PARLEY_T_PING) {
			BOTH(r, from, to, F_->pings++);
			if (dv->answer_ms) {
				BOTH(r, from, to, F_->pings_answered++);
				it.kind = PARLEY_RI_PING;
				it.ms = dv->answer_ms - t->opened_ms;
				if (item_add(c, &it))
					return PARLEY_E_NOMEM;
			}
			continue;
		}
		if (t->type == PARLEY_T_NOTIFICATION)
			BOTH(r, from, to, F_->notifications++);
		else
			BOTH(r, from, to, F_->requests++);
		BOTH(r, from, to, F_->escalations += t->escalations);
		if (dv->ack_ms) {
			it.kind = PARLEY_RI_ACK;
			it.ms = dv->ack_ms - t->opened_ms;
			if (item_add(c, &it))
				return PARLEY_E_NOMEM;
		}
		if (dv->answer_ms) {
			it.kind = PARLEY_RI_RESPOND;
			it.ms = dv->answer_ms - t->opened_ms;
			if (item_add(c, &it))
				return PARLEY_E_NOMEM;
		}
	}
	for (size_t i = t->obl_first; i < t->obl_first + t->nobl; i++) {
		const parley_obligation *o = &wf->obl[i];
		int to = position(c, o->party);
		parley_report_item it = { 0 };
		if (to < 0 || o->outcome < 1 || o->outcome > 6)
			continue;
		BOTH(r, from, to, F_->obligations++);
		BOTH(r, from, to, F_->outcome[o->outcome]++);
		if (o->outcome == PARLEY_OUT_NOT_APPLICABLE && o->why == PARLEY_WHY_WITHDRAWN)
			BOTH(r, from, to, F_->withdrawn++);
		it.kind = PARLEY_RI_OBLIGATION;
		it.outcome = o->outcome;
		it.why = o->why;
		it.from = (uint16_t)from;
		it.to = (uint16_t)to;
		it.opener = t->opener;
		it.opened_ms = t->opened_ms;
		it.ms = o->deadline_ms - t->opened_ms;
		if (item_add(c, &it))
			return PARLEY_E_NOMEM;
	}
	return PARLEY_OK;
}

/* A PSI request of the period: its first entry, and what each responder did. */
struct psi_req {
	uint64_t index;
	int from;
	uint8_t n;
	uint8_t to[PARLEY_ENTRY_MAX_RECIP][4];
	uint8_t done[PARLEY_ENTRY_MAX_RECIP]; /* 0 none, 1 answered, 2 refused: the responder's first word */
};

static int cmp_req(const void *key, const void *elem)
{
	uint64_t k = *(const uint64_t *)key, x = ((const struct psi_req *)elem)->index;
	return k < x ? -1 : k > x;
}

/*
 * PSI (docs/protocol.md §8.1): a request's first entry has thread 0 and no
 * reference; a psi-response or psi-refusal from one of its recipients names it
 * as its first reference. The responder's first answer decides.
 */
static parley_code collect_psi(struct collect *c, const parley_wf_input *in)
{
	parley_report *r = c->r;
	struct psi_req *q = NULL;
	size_t nq = 0, cap = 0;

	for (size_t i = 0; i < in->n; i++) {
		const parley_entry_hdr *h = &in->v[i].h;
		if (h->type == PARLEY_T_PSI_REQUEST && h->thread == 0 && h->nrefs == 0 && in_period(r, in->v[i].ms)) {
			int from = position(c, h->sender);
			if (from < 0)
				continue;
			if (nq == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct psi_req *p = realloc(q, ncap * sizeof(*p));
				if (!p) {
					free(q);
					return PARLEY_E_NOMEM;
				}
				q = p;
				cap = ncap;
			}
			struct psi_req *x = &q[nq++];
			memset(x, 0, sizeof(*x));
			x->index = in->v[i].index;
			x->from = from;
			for (unsigned k = 0; k < h->nrecip; k++) {
				int to = position(c, h->recip[k]);
				if (to < 0 || to == from)
					continue;
				memcpy(x->to[x->n++], h->recip[k], 4);
				BOTH(r, from, to, F_->psi_requests++);
			}
			continue;
		}
		if ((h->type != PARLEY_T_PSI_RESPONSE && h->type != PARLEY_T_PSI_REFUSAL) || h->nrefs == 0 || !nq)
			continue;
		struct psi_req *x = bsearch(&h->refs[0], q, nq, sizeof(*q), cmp_req);
		if (!x)
			continue;
		for (unsigned k = 0; k < x->n; k++)
			if (memcmp(x->to[k], h->sender, 4) == 0 && !x->done[k]) {
				int to = position(c, h->sender);
				x->done[k] = h->type == PARLEY_T_PSI_REFUSAL ? 2 : 1;
				if (x->done[k] == 2)
					BOTH(r, x->from, to, F_->psi_refused++);
				else
					BOTH(r, x->from, to, F_->psi_answered++);
			}
	}
	free(q);
	return PARLEY_OK;
}

struct keyed {
	size_t cell;
	uint64_t ms;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	if (x->cell != y->cell)
		return x->cell < y->cell ? -1 : 1;
	return x->ms < y->ms ? -1 : x->ms > y->ms;
}

/* Durations of one kind grouped by party (dir false) or by direction, and their statistics. */
static parley_code stats_of(parley_report *r, uint8_t kind, bool dir)
{
	struct keyed *k = malloc((r->nitems ? r->nitems : 1) * sizeof(*k));
	uint64_t *v = malloc((r->nitems ? r->nitems : 1) * sizeof(*v));
	size_t n = 0;
	if (!k || !v) {
		free(k);
		free(v);
		return PARLEY_E_NOMEM;
	}
	for (size_t i = 0; i < r->nitems; i++)
		if (r->items[i].kind == kind) {
			k[n].cell = dir ? (size_t)r->items[i].from * r->nparties + r->items[i].to : r->items[i].to;
			k[n].ms = r->items[i].ms;
			n++;
		}
	qsort(k, n, sizeof(*k), cmp_keyed);
	for (size_t i = 0; i < n;) {
		size_t j = i, m = 0;
		while (j < n && k[j].cell == k[i].cell)
			v[m++] = k[j++].ms;
		parley_report_figures *f = dir ? &r->dir[k[i].cell] : &r->party[k[i].cell];
		parley_stats *s = kind == PARLEY_RI_ACK ? &f->ack : kind == PARLEY_RI_RESPOND ? &f->respond : &f->ping_rtt;
		parley_stats_compute(v, m, s);
		i = j;
	}
	free(k);
	free(v);
	return PARLEY_OK;
}

parley_code parley_report_collect(const parley_wf_input *in, const parley_workflow *wf, uint64_t from_ms,
	uint64_t to_ms, uint64_t size, const bool *cosigned, parley_report *out, parley_err *err)
{
	parley_report r = PARLEY_REPORT_INIT;
	struct collect c;
	size_t np = 0, nall = parley_charter_nparties(in->ch);
	parley_code rc = PARLEY_OK;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.r = &r;
	c.ch = in->ch;
	if (from_ms >= to_ms)
		return parley_fail(err, PARLEY_E_USAGE, "report: the period ends before it starts");
	for (size_t i = 0; i < PARLEY_MAX_PARTIES; i++)
		c.pos[i] = -1;
	for (size_t i = 0; i < nall && i < PARLEY_MAX_PARTIES; i++)
		if (parley_charter_party_at(in->ch, i)->role == PARLEY_ROLE_PARTY)
			c.pos[i] = (int)np++;
	parley_hex(r.channel, parley_charter_id(in->ch), 32);
	snprintf(r.title, sizeof(r.title), "%s", parley_charter_title(in->ch));
	r.from_ms = from_ms;
	r.to_ms = to_ms;
	r.size = size;
	r.nparties = np;
	if (!(r.names = calloc(np ? np : 1, sizeof(*r.names))) || !(r.cosigned = calloc(np ? np : 1, sizeof(bool))) ||
		!(r.attested = calloc(np ? np : 1, sizeof(uint64_t))) || !(r.party = calloc(np ? np : 1, sizeof(*r.party))) || !(r.dir = calloc(np ? np * np : 1, sizeof(*r.dir)))) {
		rc = PARLEY_E_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < nall && i < PARLEY_MAX_PARTIES; i++)
		if (c.pos[i] >= 0) {
			snprintf(r.names[c.pos[i]], sizeof(r.names[0]), "%s", parley_charter_party_at(in->ch, i)->key.name);
			r.cosigned[c.pos[i]] = cosigned && cosigned[i];
			r.attested[c.pos[i]] = in->cosigned_size[i];
		}
	for (size_t i = 0; i < in->n; i++)
		if (in_period(&r, in->v[i].ms)) {
			if (!r.first_ms)
				r.first_ms = in->v[i].ms;
			r.last_ms = in->v[i].ms;
		}
	for (size_t i = 0; i < wf->nthreads && !rc; i++)
		if (in_period(&r, wf->threads[i].opened_ms))
			rc = collect_thread(&c, wf, &wf->threads[i]);
	if (!rc)
		rc = collect_psi(&c, in);
	for (uint8_t k = PARLEY_RI_ACK; !rc && k <= PARLEY_RI_PING; k++)
		if ((rc = stats_of(&r, k, false)) == PARLEY_OK)
			rc = stats_of(&r, k, true);
out:
	if (rc) {
		parley_report_release(&r);
		return parley_fail(err, rc, "out of memory");
	}
	*out = r;
	return PARLEY_OK;
}

/* ---- one dialogue over a chain of charters ---- */

static void add_counts(parley_report_figures *d, const parley_report_figures *s)
{
	d->notifications += s->notifications;
	d->requests += s->requests;
	d->obligations += s->obligations;
	for (size_t i = 0; i < 7; i++)
		d->outcome[i] += s->outcome[i];
	d->withdrawn += s->withdrawn;
	d->pings += s->pings;
	d->pings_answered += s->pings_answered;
	d->escalations += s->escalations;
	d->psi_requests += s->psi_requests;
	d->psi_answered += s->psi_answered;
	d->psi_refused += s->psi_refused;
}

static size_t name_pos(const parley_report *r, const char *name)
{
	for (size_t i = 0; i < r->nparties; i++)
		if (strcmp(r->names[i], name) == 0)
			return i;
	return SIZE_MAX;
}

parley_code parley_report_merge(parley_report *parts, size_t n, parley_report *out, parley_err *err)
{
	parley_report r = PARLEY_REPORT_INIT;
	size_t maxp = 0, maxi = 0;
	const parley_report *last;
	parley_code rc = PARLEY_OK;

	memset(out, 0, sizeof(*out));
	if (n == 0 || n > PARLEY_REPORT_MAX_PARTS) {
		for (size_t k = 0; k < n; k++)
			parley_report_release(&parts[k]);
		free(parts);
		return parley_fail(err, PARLEY_E_USAGE, "report: a chain of 1 to %d channels", PARLEY_REPORT_MAX_PARTS);
	}
	if (n == 1) {
		*out = parts[0];
		free(parts);
		return PARLEY_OK;
	}
	last = &parts[n - 1];
	for (size_t k = 0; k < n; k++) {
		maxp += parts[k].nparties;
		maxi += parts[k].nitems;
	}
	if (!(r.names = calloc(maxp ? maxp : 1, sizeof(*r.names))) || !(r.cosigned = calloc(maxp ? maxp : 1, sizeof(bool))) ||
		!(r.attested = calloc(maxp ? maxp : 1, sizeof(uint64_t))) ||
		!(r.party = calloc(maxp ? maxp : 1, sizeof(*r.party))) ||
		!(r.dir = calloc(maxp ? maxp * maxp : 1, sizeof(*r.dir))) ||
		!(r.items = calloc(maxi ? maxi : 1, sizeof(*r.items)))) {
		rc = PARLEY_E_NOMEM;
		goto out;
	}
	/* the parties by name, in the order they first appear */
	for (size_t k = 0; k < n; k++)
		for (size_t i = 0; i < parts[k].nparties; i++)
			if (name_pos(&r, parts[k].names[i]) == SIZE_MAX)
				snprintf(r.names[r.nparties++], sizeof(r.names[0]), "%s", parts[k].names[i]);
	/* r.dir was sized for maxp columns: lay it out for r.nparties */
	for (size_t k = 0; k < n; k++) {
		const parley_report *p = &parts[k];
		size_t map[PARLEY_MAX_PARTIES];
		for (size_t i = 0; i < p->nparties && i < PARLEY_MAX_PARTIES; i++)
			map[i] = name_pos(&r, p->names[i]);
		for (size_t i = 0; i < p->nparties && i < PARLEY_MAX_PARTIES; i++) {
			add_counts(&r.party[map[i]], &p->party[i]);
			for (size_t j = 0; j < p->nparties && j < PARLEY_MAX_PARTIES; j++)
				add_counts(&r.dir[map[i] * r.nparties + map[j]], &p->dir[i * p->nparties + j]);
		}
		for (size_t i = 0; i < p->nitems; i++) {
			parley_report_item it = p->items[i];
			if (it.from >= p->nparties || it.to >= p->nparties)
				continue;
			it.from = (uint16_t)map[it.from];
			it.to = (uint16_t)map[it.to];
			r.items[r.nitems++] = it;
		}
		if (p->first_ms && (!r.first_ms || p->first_ms < r.first_ms))
			r.first_ms = p->first_ms;
		if (p->last_ms > r.last_ms)
			r.last_ms = p->last_ms;
	}
	for (uint8_t kind = PARLEY_RI_ACK; !rc && kind <= PARLEY_RI_PING; kind++)
		if ((rc = stats_of(&r, kind, false)) == PARLEY_OK)
			rc = stats_of(&r, kind, true);
	if (rc)
		goto out;
	memcpy(r.channel, last->channel, sizeof(r.channel));
	memcpy(r.title, last->title, sizeof(r.title));
	r.from_ms = last->from_ms;
	r.to_ms = last->to_ms;
	r.size = last->size;
	for (size_t i = 0; i < last->nparties; i++) {
		size_t m = name_pos(&r, last->names[i]);
		r.cosigned[m] = last->cosigned[i];
		r.attested[m] = last->attested[i];
	}
	r.has_pred = parts[0].has_pred;
	memcpy(r.pred, parts[0].pred, 32);
	r.parts = parts;
	r.nparts = n;
	*out = r;
	return PARLEY_OK;
out:
	parley_report_release(&r);
	for (size_t k = 0; k < n; k++)
		parley_report_release(&parts[k]);
	free(parts);
	return parley_fail(err, rc, "out of memory");
}

/* ---- dates ---- */

parley_code parley_report_date(const char *s, bool end, uint64_t *ms, parley_err *err)
{
	char buf[32];
	int64_t secs;
	size_t n = strlen(s);
	bool bare = n == 10;

	if (bare)
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
	else if (n < sizeof(buf))
		memcpy(buf, s, n + 1);
	else
		return parley_fail(err, PARLEY_E_FORMAT, "date '%.40s' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ", s);
	if (parley_time_parse(buf, &secs) || secs < 0)
		return parley_fail(err, PARLEY_E_FORMAT, "date '%.40s' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ", s);
	if (bare && end)
		secs += 86400;
	*ms = (uint64_t)secs * 1000;
	return PARLEY_OK;
}

/* ---- rendering ---- */

static void iso(char out[32], uint64_t ms)
{
	char ts[21];
	parley_time_fmt(ts, (int64_t)(ms / 1000));
	snprintf(out, 32, "%s", ts);
}

/* A compact duration: "12.3s", "5m 03s", "2h 05m", "3d 04h". */
static void dur(char out[24], uint64_t ms)
{
	uint64_t s = ms / 1000;
	if (s < 60)
		snprintf(out, 24, "%llu.%llus", (unsigned long long)s, (unsigned long long)(ms % 1000 / 100));
	else if (s < 3600)
		snprintf(out, 24, "%llum %02llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(out, 24, "%lluh %02llum", (unsigned long long)(s / 3600), (unsigned long long)(s % 3600 / 60));
	else
		snprintf(out, 24, "%llud %02lluh", (unsigned long long)(s / 86400), (unsigned long long)(s % 86400 / 3600));
}

#define ADD(...)                                              \
	do {                                                  \
		if (parley_buf_addf(out, __VA_ARGS__))        \
			return PARLEY_E_NOMEM;                \
	} while (0)

/* The rows of a table: each a label and a cell per column. */
enum row {
	ROW_NOTIF, ROW_REQ, ROW_OBL, ROW_MET, ROW_LATE, ROW_MISSED, ROW_UNCONF, ROW_NOTEST, ROW_NA, ROW_WITHDRAWN,
	ROW_ACK_MED, ROW_ACK_P90, ROW_ACK_MAX, ROW_RESP_MED, ROW_RESP_P90, ROW_RESP_MAX, ROW_PINGS, ROW_PING_MED,
	ROW_PING_P90, ROW_PING_MAX, ROW_ESC, ROW_PSI, ROW_PSI_ANS, ROW_PSI_REF, ROW_COUNT
};
static const char *const row_label[ROW_COUNT] = {
	"notifications received", "requests received", "obligations", "  met", "  late", "  missed",
	"  missed-unconfirmed", "  not-established", "  not-applicable", "    of which withdrawn",
	"time to acknowledge: median", "  p90", "  max", "time to respond: median", "  p90", "  max",
	"pings answered", "ping round trip: median", "  p90", "  max", "escalations", "PSI requests received",
	"  answered", "  refused",
};

static void stat_cell(char out[40], const parley_stats *s, int which)
{
	if (!s->n) {
		snprintf(out, 40, "-");
		return;
	}
	dur(out, which == 0 ? s->median_ms : which == 1 ? s->p90_ms : s->max_ms);
	if (which == 0) {
		size_t l = strlen(out);
		snprintf(out + l, 40 - l, " (%llu)", (unsigned long long)s->n);
	}
}

static void cell(char out[40], const parley_report_figures *f, int row)
{
	unsigned long long v = 0;
	switch (row) {
	case ROW_NOTIF: v = f->notifications; break;
	case ROW_REQ: v = f->requests; break;
	case ROW_OBL: v = f->obligations; break;
	case ROW_MET: v = f->outcome[PARLEY_OUT_MET]; break;
	case ROW_LATE: v = f->outcome[PARLEY_OUT_LATE]; break;
	case ROW_MISSED: v = f->outcome[PARLEY_OUT_MISSED]; break;
	case ROW_UNCONF: v = f->outcome[PARLEY_OUT_MISSED_UNCONFIRMED]; break;
	case ROW_NOTEST: v = f->outcome[PARLEY_OUT_NOT_ESTABLISHED]; break;
	case ROW_NA: v = f->outcome[PARLEY_OUT_NOT_APPLICABLE]; break;
	case ROW_WITHDRAWN: v = f->withdrawn; break;
	case ROW_ACK_MED: case ROW_ACK_P90: case ROW_ACK_MAX:
		stat_cell(out, &f->ack, row - ROW_ACK_MED);
		return;
	case ROW_RESP_MED: case ROW_RESP_P90: case ROW_RESP_MAX:
		stat_cell(out, &f->respond, row - ROW_RESP_MED);
		return;
	case ROW_PINGS:
		snprintf(out, 40, "%llu of %llu", (unsigned long long)f->pings_answered, (unsigned long long)f->pings);
		return;
	case ROW_PING_MED: case ROW_PING_P90: case ROW_PING_MAX:
		stat_cell(out, &f->ping_rtt, row - ROW_PING_MED);
		return;
	case ROW_ESC: v = f->escalations; break;
	case ROW_PSI: v = f->psi_requests; break;
	case ROW_PSI_ANS: v = f->psi_answered; break;
	case ROW_PSI_REF: v = f->psi_refused; break;
	}
	snprintf(out, 40, "%llu", v);
}

#define TEXT_COLUMNS 64

/* Anything addressed from one party to the other in the period? */
static bool active(const parley_report_figures *f)
{
	return f->notifications || f->requests || f->pings || f->psi_requests;
}

static parley_code table(parley_buf *out, const char *const *heads, const parley_report_figures *const *cols, size_t ncol)
{
	size_t w[TEXT_COLUMNS];
	size_t lw = 28;
	if (ncol > TEXT_COLUMNS)
		ncol = TEXT_COLUMNS;
	for (size_t j = 0; j < ncol; j++) {
		w[j] = strlen(heads[j]) + 2;
		if (w[j] < 16)
			w[j] = 16;
	}
	ADD("%-*s", (int)lw, "");
	for (size_t j = 0; j < ncol; j++)
		ADD("%*s", (int)w[j], heads[j]);
	ADD("\n");
	for (int row = 0; row < ROW_COUNT; row++) {
		char c[40];
		ADD("%-*s", (int)lw, row_label[row]);
		for (size_t j = 0; j < ncol; j++) {
			cell(c, cols[j], row);
			ADD("%*s", (int)w[j], c);
		}
		ADD("\n");
	}
	return PARLEY_OK;
}

/* The evidence line(s) of a report or of part k (1-based; 0: a report over one channel). */
static parley_code evidence(parley_buf *out, const parley_report *r, size_t k)
{
	bool any = false;
	if (k)
		ADD("part %zu:     channel %.16s... (%s): a checkpoint of %llu entries", k, r->channel, r->title,
			(unsigned long long)r->size);
	else
		ADD("evidence:   a checkpoint of %llu entries", (unsigned long long)r->size);
	for (size_t i = 0; i < r->nparties; i++)
		if (r->cosigned[i]) {
			ADD("%s %s", any ? "," : ", cosigned by", r->names[i]);
			any = true;
		}
	ADD("%s\n", any ? "" : ", cosigned by no party");
	for (size_t i = 0; i < r->nparties; i++)
		if (r->attested[i] && r->attested[i] != r->size)
			ADD("            %s attests through its cosignature of the tree of %llu entries\n", r->names[i],
				(unsigned long long)r->attested[i]);
	if (r->handed_over) {
		char h[65], t[32];
		parley_hex(h, r->successor, 32);
		iso(t, r->end_ms);
		ADD("            handed over to %.16s... at %s (log size %llu); its open threads count here\n", h, t,
			(unsigned long long)r->end_size);
	}
	return PARLEY_OK;
}

parley_code parley_report_text(const parley_report *r, parley_buf *out)
{
	char a[32], b[32];
	const char *heads[TEXT_COLUMNS];
	const parley_report_figures *cols[TEXT_COLUMNS];
	char dirname[TEXT_COLUMNS][2 * PARLEY_NAME_MAX + 8];
	size_t n = 0, more = 0;

	ADD("report:     channel %s (%s)\n", r->channel, r->title);
	iso(a, r->from_ms);
	if (r->to_ms == PARLEY_REPORT_OPEN_END)
		snprintf(b, sizeof(b), "the end of the log");
	else
		iso(b, r->to_ms);
	ADD("period:     %s .. %s (threads, pings and PSI requests opened in it)\n",
		r->from_ms ? a : "the start of the log", b);
	if (r->nparts > 1)
		ADD("chain:      %zu channels of one succession, as one dialogue (a party is the same party by name in each)\n",
			r->nparts);
	for (size_t k = 0; k < (r->nparts > 1 ? r->nparts : 1); k++)
		if (evidence(out, r->nparts > 1 ? &r->parts[k] : r, r->nparts > 1 ? k + 1 : 0))
			return PARLEY_E_NOMEM;
	if (r->has_pred) {
		char h[65];
		parley_hex(h, r->pred, 32);
		ADD("            %s succeeds %.16s..., whose log is not part of this report\n",
			r->nparts > 1 ? "the first charter" : "this charter", h);
	}
	ADD("\nper party, as recipient:\n");
	for (size_t i = 0; i < r->nparties && i < TEXT_COLUMNS; i++) {
		heads[i] = r->names[i];
		cols[i] = &r->party[i];
	}
	if (table(out, heads, cols, r->nparties < TEXT_COLUMNS ? r->nparties : TEXT_COLUMNS))
		return PARLEY_E_NOMEM;
	/* the directions in which anything was opened (all of them are in the JSON) */
	for (size_t i = 0; i < r->nparties; i++)
		for (size_t j = 0; j < r->nparties; j++) {
			if (i == j || !active(&r->dir[i * r->nparties + j]))
				continue;
			if (n == TEXT_COLUMNS) {
				more++;
				continue;
			}
			snprintf(dirname[n], sizeof(dirname[n]), "%s->%s", r->names[i], r->names[j]);
			heads[n] = dirname[n];
			cols[n] = &r->dir[i * r->nparties + j];
			n++;
		}
	if (n) {
		ADD("\nper direction (A->B: B's conduct in what A opened):\n");
		if (table(out, heads, cols, n))
			return PARLEY_E_NOMEM;
	}
	if (more)
		ADD("(%zu more directions: see --json)\n", more);
	ADD("\nmet, late, missed: the obligation engine's outcomes (docs/protocol.md 7.0); blame needs the party's\n"
	    "own cosignature of the log after the deadline. Medians and p90 are nearest-rank (observed values).\n");
	return PARLEY_OK;
}

static json_t *stats_json(const parley_stats *s)
{
	if (!s->n)
		return json_pack("{s:i, s:n, s:n, s:n}", "n", 0, "median_ms", "p90_ms", "max_ms");
	return json_pack("{s:I, s:I, s:I, s:I}", "n", (json_int_t)s->n, "median_ms", (json_int_t)s->median_ms, "p90_ms",
		(json_int_t)s->p90_ms, "max_ms", (json_int_t)s->max_ms);
}

static json_t *figures_json(const parley_report_figures *f)
{
	json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "total", (json_int_t)f->obligations, "met",
		(json_int_t)f->outcome[PARLEY_OUT_MET], "late", (json_int_t)f->outcome[PARLEY_OUT_LATE], "missed",
		(json_int_t)f->outcome[PARLEY_OUT_MISSED], "missed_unconfirmed",
		(json_int_t)f->outcome[PARLEY_OUT_MISSED_UNCONFIRMED], "not_established",
		(json_int_t)f->outcome[PARLEY_OUT_NOT_ESTABLISHED], "not_applicable",
		(json_int_t)f->outcome[PARLEY_OUT_NOT_APPLICABLE], "withdrawn", (json_int_t)f->withdrawn, "decided",
		(json_int_t)(f->outcome[PARLEY_OUT_MET] + f->outcome[PARLEY_OUT_LATE] + f->outcome[PARLEY_OUT_MISSED]));
	return json_pack("{s:I, s:I, s:o, s:o, s:o, s:{s:I, s:I, s:o}, s:I, s:{s:I, s:I, s:I}}", "notifications",
		(json_int_t)f->notifications, "requests", (json_int_t)f->requests, "obligations", o, "acknowledge",
		stats_json(&f->ack), "respond", stats_json(&f->respond), "pings", "received", (json_int_t)f->pings,
		"answered", (json_int_t)f->pings_answered, "round_trip", stats_json(&f->ping_rtt), "escalations",
		(json_int_t)f->escalations, "psi", "requests", (json_int_t)f->psi_requests, "answered",
		(json_int_t)f->psi_answered, "refused", (json_int_t)f->psi_refused);
}

/* {size, cosigned_by, attested}: the checkpoint a report (or a part of one) rests on */
static json_t *checkpoint_json(const parley_report *r)
{
	json_t *cos = json_array(), *att = json_array();
	int bad = !cos || !att;
	for (size_t i = 0; !bad && i < r->nparties; i++) {
		if (r->cosigned[i])
			bad |= json_array_append_new(cos, json_string(r->names[i]));
		if (r->attested[i])
			bad |= json_array_append_new(att,
				json_pack("{s:s, s:I}", "party", r->names[i], "size", (json_int_t)r->attested[i]));
	}
	json_t *js = bad ? NULL :
			   json_pack("{s:I, s:O, s:O}", "size", (json_int_t)r->size, "cosigned_by", cos, "attested", att);
	json_decref(cos);
	json_decref(att);
	return js;
}

/* A part of a chain: {channel, title, predecessor, checkpoint, handover} (docs/protocol.md §7.2.1). */
static json_t *part_json(const parley_report *p)
{
	char hex[65], at[32];
	json_t *pred, *ho;
	if (p->has_pred) {
		parley_hex(hex, p->pred, 32);
		pred = json_string(hex);
	} else {
		pred = json_null();
	}
	if (p->handed_over) {
		parley_hex(hex, p->successor, 32);
		iso(at, p->end_ms);
		ho = json_pack("{s:s, s:I, s:s, s:I}", "successor", hex, "size", (json_int_t)p->end_size, "at", at, "at_ms",
			(json_int_t)p->end_ms);
	} else {
		ho = json_null();
	}
	return json_pack("{s:s, s:s, s:o, s:o, s:o}", "channel", p->channel, "title", p->title, "predecessor", pred,
		"checkpoint", checkpoint_json(p), "handover", ho);
}

json_t *parley_report_json(const parley_report *r)
{
	char a[32], b[32];
	json_t *js, *parties = json_array(), *dirs = json_array(), *chain = NULL;
	int bad = !parties || !dirs;

	for (size_t i = 0; !bad && i < r->nparties; i++) {
		json_t *f = figures_json(&r->party[i]);
		bad |= !f || json_object_set_new(f, "party", json_string(r->names[i])) ||
			json_array_append_new(parties, f);
	}
	for (size_t i = 0; !bad && i < r->nparties; i++)
		for (size_t j = 0; !bad && j < r->nparties; j++) {
			if (i == j)
				continue;
			json_t *f = figures_json(&r->dir[i * r->nparties + j]);
			bad |= !f || json_object_set_new(f, "from", json_string(r->names[i])) ||
				json_object_set_new(f, "to", json_string(r->names[j])) || json_array_append_new(dirs, f);
		}
	/* the chain of charters the figures come from: a report over a succession, or a successor's alone */
	if (!bad && (r->nparts > 1 || r->has_pred)) {
		bad |= !(chain = json_array());
		for (size_t k = 0; !bad && k < (r->nparts > 1 ? r->nparts : 1); k++)
			bad |= json_array_append_new(chain, part_json(r->nparts > 1 ? &r->parts[k] : r));
	}
	iso(a, r->from_ms);
	iso(b, r->to_ms == PARLEY_REPORT_OPEN_END ? 0 : r->to_ms);
	js = bad ? NULL :
		   json_pack("{s:s, s:s, s:{s:s, s:o, s:I, s:o}, s:o}", "channel", r->channel, "title", r->title, "period",
			   "from", a, "to", r->to_ms == PARLEY_REPORT_OPEN_END ? json_null() : json_string(b), "from_ms",
			   (json_int_t)r->from_ms, "to_ms",
			   r->to_ms == PARLEY_REPORT_OPEN_END ? json_null() : json_integer((json_int_t)r->to_ms), "checkpoint",
			   checkpoint_json(r));
	if (js && chain && json_object_set(js, "chain", chain)) {
		json_decref(js);
		js = NULL;
	}
	if (js && (json_object_set(js, "parties", parties) || json_object_set(js, "directions", dirs))) {
		json_decref(js);
		js = NULL;
	}
	json_decref(parties);
	json_decref(dirs);
	json_decref(chain);
	return js;
}

/* ---- checking a report bundle ---- */

/* The first place where two JSON values differ, as a path ("parties[1].obligations.missed"). */
static bool json_diff(const json_t *a, const json_t *b, char *path, size_t max)
{
	size_t len = strlen(path);
	if (json_equal(a, b))
		return false;
	if (json_is_object(a) && json_is_object(b)) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)a, k, v) {
			snprintf(path + len, max - len, "%s%s", len ? "." : "", k);
			if (json_diff(v, json_object_get(b, k), path, max))
				return true;
			path[len] = 0;
		}
		json_object_foreach((json_t *)b, k, v)
			if (!json_object_get(a, k)) {
				snprintf(path + len, max - len, "%s%s", len ? "." : "", k);
				return true;
			}
		return true;
	}
	if (json_is_array(a) && json_is_array(b) && json_array_size(a) == json_array_size(b)) {
		for (size_t i = 0; i < json_array_size(a); i++) {
			snprintf(path + len, max - len, "[%zu]", i);
			if (json_diff(json_array_get(a, i), json_array_get(b, i), path, max))
				return true;
			path[len] = 0;
		}
	}
	return true;
}

static parley_code compare_figures(const json_t *stated, const json_t *computed, parley_err *err)
{
	char path[256] = "";
	if (!json_diff(computed, stated, path, sizeof(path)))
		return PARLEY_OK;
	{
		/* name the figure and both values */
		const json_t *x = computed, *y = stated;
		char *p = path, seg[128];
		while (*p && x && y) {
			size_t n = strcspn(p, ".[");
			if (n) {
				snprintf(seg, sizeof(seg), "%.*s", (int)n, p);
				x = json_object_get(x, seg);
				y = json_object_get(y, seg);
				p += n;
			} else if (*p == '[') {
				size_t i = (size_t)strtoul(p + 1, &p, 10);
				if (*p == ']')
					p++;
				x = json_array_get(x, i);
				y = json_array_get(y, i);
			} else {
				p++;
			}
		}
		char *xs = x ? json_dumps(x, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
		char *ys = y ? json_dumps(y, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
		parley_code rc = parley_fail(err, PARLEY_E_VERIFY,
			"report: the bundle states %.60s for %s, but its entries give %.60s", ys ? ys : "nothing",
			path[0] ? path : "the figures", xs ? xs : "nothing");
		free(xs);
		free(ys);
		return rc;
	}
}

/* Every member of o is one of known; `what` names o in the message. */
static parley_code only_known(const json_t *o, const char *const *known, const char *what, parley_err *err)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		size_t j = 0;
		while (known[j] && strcmp(known[j], k) != 0)
			j++;
		if (!known[j])
			return parley_fail(err, PARLEY_E_FORMAT, "%s: unknown field '%.40s'", what, k);
	}
	return PARLEY_OK;
}

/* The successor a part of a chain may name in its handovers: the next part's charter, and nothing else. */
struct next_part {
	const json_t *obj;
	const uint8_t *id;
};

static parley_code next_lookup(void *ctx, const uint8_t id[32], parley_charter **out, parley_err *err)
{
	const struct next_part *np = ctx;
	*out = NULL;
	if (!np->obj || memcmp(id, np->id, 32) != 0)
		return PARLEY_E_NOTFOUND;
	return parley_bundle_charter(np->obj, "report", out, err);
}

/*
 * One channel's part of a bundle (the bundle itself, or a member of its chain):
 * everything checked, the figures of [from_ms, to_ms) computed into *out. With
 * next (the next part of a chain, whose charter is nch): the entries must show
 * every continuing party handing this channel over to it.
 */
static parley_code check_part(const json_t *doc, const char *what, const parley_charter *ch, const json_t *next,
	const parley_charter *nch, uint64_t from_ms, uint64_t to_ms, parley_report *out, parley_err *err)
{
	parley_checkpoint cp;
	bool cos[PARLEY_MAX_PARTIES] = { false };
	parley_wf_input in = PARLEY_WF_INPUT_INIT;
	parley_workflow wf = PARLEY_WORKFLOW_INIT;
	parley_bundle_entry *pe = NULL;
	parley_wf_entry *w = NULL;
	parley_succession st;
	size_t np = 0;
	uint64_t cfrom, cto;
	parley_code rc;

	memset(out, 0, sizeof(*out));
	const char *cptext = json_string_value(json_object_get(doc, "checkpoint"));
	if (!cptext) {
		rc = parley_fail(err, PARLEY_E_FORMAT, "%s: no checkpoint", what);
		goto out;
	}
	if ((rc = parley_checkpoint_check_times(ch, cptext, strlen(cptext), &cp, cos, in.cosigned_ms, err))) {
		parley_wrap(err, rc, "%s", what);
		goto out;
	}
	for (size_t i = 0; i < parley_charter_nparties(ch) && i < PARLEY_MAX_PARTIES; i++)
		if (cos[i])
			in.cosigned_size[i] = cp.size;
	/* further checkpoints a party cosigned after the deadlines (the same rule as proof bundles) */
	if ((rc = parley_bundle_cosigned_check(ch, &cp, json_object_get(doc, "cosigned"), what, NULL, NULL, &in, err)))
		goto out;
	if ((rc = parley_bundle_complete_parse(json_object_get(doc, "complete"), what, &cfrom, &cto, err)) ||
		(rc = parley_bundle_entries(ch, &cp, json_object_get(doc, "entries"), PARLEY_REPORT_MAX_ENTRIES, what, &pe,
			 &np, err)) ||
		(rc = parley_bundle_range_check(pe, np, cfrom, cto, what, err)))
		goto out;
	if (np != cto - cfrom + 1) {
		rc = parley_fail(err, PARLEY_E_FORMAT, "%s: entries outside the complete range %llu..%llu", what,
			(unsigned long long)cfrom, (unsigned long long)cto);
		goto out;
	}
	/* the range covers the period: it starts before it (or at the log's start) and ends after it (or at the checkpoint) */
	if (cfrom > 0 && pe[0].ms >= from_ms) {
		rc = parley_fail(err, PARLEY_E_VERIFY,
			"%s: the range starts at entry %llu, inside the period: entries of the period may be left out", what,
			(unsigned long long)cfrom);
		goto out;
	}
	if (cto + 1 != cp.size && pe[np - 1].ms < to_ms) {
		rc = parley_fail(err, PARLEY_E_VERIFY,
			"%s: the range ends at entry %llu, before the period's end and before the checkpoint's last entry (%llu)",
			what, (unsigned long long)cto, (unsigned long long)(cp.size - 1));
		goto out;
	}
	/* a part followed by another: its handovers, every one in the range, name the next part (§4.1.4) */
	parley_succession_init(&st);
	if (next) {
		struct next_part nx = { next, parley_charter_id(nch) };
		char nhex[65];
		parley_hex(nhex, parley_charter_id(nch), 32);
		for (size_t i = 0; i < np; i++) {
			uint8_t sid[32];
			if (pe[i].e.h.type != PARLEY_T_HANDOVER)
				continue;
			if (parley_handover_successor(&pe[i].e.h, sid, NULL) || memcmp(sid, parley_charter_id(nch), 32) != 0) {
				rc = parley_fail(err, PARLEY_E_VERIFY,
					"%s: entry %llu hands the channel over to %.16s, not to the next part of the chain (%.16s)",
					what, (unsigned long long)pe[i].index, pe[i].e.h.category, nhex);
				goto out;
			}
		}
		for (size_t i = 0; i < np; i++)
			if ((rc = parley_succession_follow(ch, &st, &pe[i].e.h, pe[i].index, pe[i].ms, next_lookup, &nx, err))) {
				parley_wrap(err, rc, "%s: entry %llu", what, (unsigned long long)pe[i].index);
				goto out;
			}
		if (!parley_succession_ended(&st) || memcmp(st.successor, parley_charter_id(nch), 32) != 0) {
			size_t ndone = 0;
			for (size_t i = 0; i < st.ncont; i++)
				ndone += st.done[i];
			rc = parley_fail(err, PARLEY_E_VERIFY,
				"%s: its entries do not hand the channel over to the next part (%.16s): %zu of %zu continuing "
				"parties hand over in the range",
				what, nhex, ndone, st.named ? st.ncont : (size_t)0);
			goto out;
		}
		/* after its end the old channel winds down (§4.1.4): a thread opened after the handover is no thread of it */
		parley_bundle_look pl = { pe, np };
		for (size_t i = 0; i < np; i++) {
			parley_err aerr = { 0 };
			parley_code arc;
			if (pe[i].index < st.end_size)
				continue;
			arc = parley_admit_validity_end(ch, st.end_ms, &pe[i].e.h, pe[i].index, pe[i].ms, parley_bundle_admit_lookup, &pl, &aerr);
			if (arc && arc != PARLEY_E_PENDING) {
				rc = parley_fail(err, PARLEY_E_VERIFY, "%s: entry %llu is not admissible after the handover: %s", what,
					(unsigned long long)pe[i].index, aerr.msg);
				goto out;
			}
		}
	}
	if ((rc = parley_bundle_wf_entries(pe, np, &w, err)))
		goto out;
	in.ch = ch;
	in.v = w;
	in.n = np;
	in.has_range = true;
	in.range_from = cfrom;
	in.range_to = cto;
	if ((rc = parley_workflow_eval(&in, &wf, err)) ||
		(rc = parley_report_collect(&in, &wf, from_ms, to_ms, cp.size, cos, out, err)))
		goto out;
	if (parley_charter_predecessor(ch)) {
		out->has_pred = true;
		memcpy(out->pred, parley_charter_predecessor(ch), 32);
	}
	if (next) {
		out->handed_over = true;
		memcpy(out->successor, st.successor, 32);
		out->end_ms = st.end_ms;
		out->end_size = st.end_size;
	}
out:
	if (rc)
		parley_report_release(out);
	parley_bundle_entries_free(pe, np);
	free(w);
	parley_workflow_release(&wf);
	return rc;
}

parley_code parley_report_check(const char *text, size_t n, parley_report *out, parley_err *err)
{
	static const char *const single[] = { "parley_report", "period", "charter", "checkpoint", "cosigned", "entries",
		"complete", "figures", NULL };
	static const char *const chained[] = { "parley_report", "period", "chain", "figures", NULL };
	static const char *const part_fields[] = { "charter", "checkpoint", "cosigned", "entries", "complete", NULL };
	json_t *doc = NULL, *per, *chain;
	parley_charter *ch[PARLEY_REPORT_MAX_PARTS] = { NULL };
	parley_report *parts = NULL;
	size_t nparts = 1;
	uint64_t from_ms, to_ms;
	json_t *computed = NULL;
	parley_code rc;

	memset(out, 0, sizeof(*out));
	if ((rc = parley_json_parse(text, n, PARLEY_REPORT_MAX_BYTES, &doc, err))) {
		parley_wrap(err, rc, "report");
		goto out;
	}
	if (!json_is_object(doc) || !json_is_integer(json_object_get(doc, "parley_report")) ||
		json_integer_value(json_object_get(doc, "parley_report")) != PARLEY_REPORT_VERSION) {
		rc = parley_fail(err, PARLEY_E_FORMAT, "not a parley report bundle (version %d)", PARLEY_REPORT_VERSION);
		goto out;
	}
	chain = json_object_get(doc, "chain");
	if ((rc = only_known(doc, chain ? chained : single, "report", err)))
		goto out;
	if (chain) {
		if (!json_is_array(chain) || json_array_size(chain) < 2 || json_array_size(chain) > PARLEY_REPORT_MAX_PARTS) {
			rc = parley_fail(err, PARLEY_E_FORMAT, "report: 'chain' must be a list of 2 to %d channels' parts",
				PARLEY_REPORT_MAX_PARTS);
			goto out;
		}
		nparts = json_array_size(chain);
	}
	per = json_object_get(doc, "period");
	{
		json_t *f = json_object_get(per, "from_ms"), *t = json_object_get(per, "to_ms");
		if (!json_is_object(per) || json_object_size(per) != 2 || !json_is_integer(f) || json_integer_value(f) < 0 ||
			!(json_is_null(t) || (json_is_integer(t) && json_integer_value(t) > json_integer_value(f)))) {
			rc = parley_fail(err, PARLEY_E_FORMAT,
				"report: 'period' must be {\"from_ms\": N, \"to_ms\": M or null} with N < M");
			goto out;
		}
		from_ms = (uint64_t)json_integer_value(f);
		to_ms = json_is_null(t) ? PARLEY_REPORT_OPEN_END : (uint64_t)json_integer_value(t);
	}
	/* every charter first: a part's handovers are checked against the next part's charter */
	for (size_t k = 0; k < nparts; k++) {
		const json_t *po = chain ? json_array_get(chain, k) : doc;
		char what[48];
		snprintf(what, sizeof(what), chain ? "report: chain part %zu" : "report", k + 1);
		if (chain && (!json_is_object(po) || (rc = only_known(po, part_fields, what, err)))) {
			if (!rc)
				rc = parley_fail(err, PARLEY_E_FORMAT, "%s is not an object", what);
			goto out;
		}
		if ((rc = parley_bundle_charter(po, what, &ch[k], err)))
			goto out;
		/* the chain: each part's charter names the one before as its predecessor */
		if (k > 0) {
			const uint8_t *pred = parley_charter_predecessor(ch[k]);
			if (!pred || memcmp(pred, parley_charter_id(ch[k - 1]), 32) != 0) {
				char a[65], b[65];
				parley_hex(a, parley_charter_id(ch[k]), 32);
				parley_hex(b, parley_charter_id(ch[k - 1]), 32);
				rc = parley_fail(err, PARLEY_E_VERIFY,
					"%s: charter %.16s does not name part %zu's charter (%.16s) as its predecessor", what, a, k, b);
				goto out;
			}
		}
	}
	if (!(parts = calloc(nparts, sizeof(*parts)))) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t k = 0; k < nparts; k++) {
		const json_t *po = chain ? json_array_get(chain, k) : doc;
		char what[48];
		snprintf(what, sizeof(what), chain ? "report: chain part %zu" : "report", k + 1);
		if ((rc = check_part(po, what, ch[k], k + 1 < nparts ? json_array_get(chain, k + 1) : NULL,
			     k + 1 < nparts ? ch[k + 1] : NULL, from_ms, to_ms, &parts[k], err)))
			goto out;
	}
	rc = parley_report_merge(parts, nparts, out, err);
	parts = NULL; /* moved (or released) */
	if (rc)
		goto out;
	if (!(computed = parley_report_json(out))) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	if (!json_is_object(json_object_get(doc, "figures"))) {
		rc = parley_fail(err, PARLEY_E_FORMAT, "report: no figures");
		goto out;
	}
	rc = compare_figures(json_object_get(doc, "figures"), computed, err);
out:
	if (rc)
		parley_report_release(out);
	for (size_t k = 0; parts && k < nparts; k++)
		parley_report_release(&parts[k]);
	free(parts);
	for (size_t k = 0; k < PARLEY_REPORT_MAX_PARTS; k++)
		parley_charter_free(ch[k]);
	json_decref(computed);
	json_decref(doc);
	return rc;
}
