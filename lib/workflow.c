/*
 * workflow.c - threads, obligations and verdicts, from integration times only.
 *
 * One pass over the entries (in index order) builds the threads and, for each
 * recipient, its first answers, receipt and unreadable report. A second pass
 * decides each obligation's outcome, in the order of the table in
 * docs/protocol.md: the charter had ended; the entry was unreadable by the
 * sender's fault; answered in time; withdrawn by the opener; an unreadable
 * report nobody can check; the evidence does not reach past the deadline; the
 * party's own signature covers the log past it or not.
 */
#include <stdlib.h>
#include <string.h>

#include "parley/receipt.h"
#include "parley/workflow.h"
#include "banned.h"

const char *parley_thread_state_name(int state)
{
	switch (state) {
	case PARLEY_TS_OPEN: return "open";
	case PARLEY_TS_ACKNOWLEDGED: return "acknowledged";
	case PARLEY_TS_ESCALATED: return "escalated";
	case PARLEY_TS_OVERDUE: return "overdue";
	case PARLEY_TS_ANSWERED: return "answered";
	case PARLEY_TS_CLOSED: return "closed";
	}
	return "?";
}

const char *parley_outcome_name(int outcome)
{
	switch (outcome) {
	case PARLEY_OUT_MET: return "met";
	case PARLEY_OUT_LATE: return "late";
	case PARLEY_OUT_MISSED: return "missed";
	case PARLEY_OUT_MISSED_UNCONFIRMED: return "missed-unconfirmed";
	case PARLEY_OUT_NOT_ESTABLISHED: return "not-established";
	case PARLEY_OUT_NOT_APPLICABLE: return "not-applicable";
	}
	return "?";
}

const char *parley_obl_kind_name(int kind)
{
	return kind == PARLEY_OBL_ACKNOWLEDGE ? "acknowledge" : kind == PARLEY_OBL_RESPOND ? "respond" : "?";
}

const char *parley_verdict_code_name(int code)
{
	switch (code) {
	case PARLEY_V_MET: return "met";
	case PARLEY_V_LATE: return "late";
	case PARLEY_V_MISSED: return "missed";
	case PARLEY_V_MISSED_UNCONFIRMED: return "missed-unconfirmed";
	case PARLEY_V_NOT_SHOWN_DELIVERED: return "not-shown-delivered";
	case PARLEY_V_WITHDRAWN: return "withdrawn";
	case PARLEY_V_UNREADABLE_BY_SENDER_FAULT: return "unreadable-by-sender-fault";
	case PARLEY_V_NOT_ESTABLISHED: return "not-established";
	}
	return "?";
}

const char *parley_obl_why_text(int why)
{
	switch (why) {
	case PARLEY_WHY_WITHDRAWN: return "the opener closed the thread before the deadline";
	case PARLEY_WHY_UNREADABLE: return "the sender sealed it so that the party could not read it";
	case PARLEY_WHY_CHARTER_ENDED: return "the thread opened outside the charter's validity period";
	case PARLEY_WHY_PENDING: return "the deadline has not passed";
	case PARLEY_WHY_NOT_REACHED: return "the evidence does not reach past the deadline";
	case PARLEY_WHY_UNREADABLE_UNCHECKED:
		return "the party reported the entry unreadable, and without the content key nobody can check it";
	case PARLEY_WHY_NOT_ATTESTED: return "the party has not signed a view of the log past the deadline";
	}
	return "";
}

static bool opens(uint8_t type)
{
	return parley_type_opens_thread(type) || type == PARLEY_T_PING;
}

bool parley_workflow_thread_of(const parley_entry_hdr *h, uint64_t index, uint64_t *opener)
{
	if (opens(h->type)) {
		*opener = index;
		return true;
	}
	if (h->type == PARLEY_T_RECEIPT || h->type == PARLEY_T_UNREADABLE) {
		/* a batched receipt covers entries of many threads and belongs to none */
		if (h->nrefs == 0 || (h->type == PARLEY_T_RECEIPT && h->refs[0] == PARLEY_RECEIPT_BATCH_TAG))
			return false;
		*opener = h->thread ? h->thread : h->refs[0];
		return *opener < index;
	}
	if (h->type >= PARLEY_T_ACK && h->type <= PARLEY_T_CLOSE)
		goto threaded;
	if (h->type == PARLEY_T_PING_RESPONSE || h->type == PARLEY_T_DEADLINE_MISSED)
		goto threaded;
	return false;
threaded:
	if (h->thread >= index) /* a thread is always opened earlier in the log */
		return false;
	*opener = h->thread;
	return true;
}

int parley_thread_recipient(const parley_thread *t, const uint8_t keyid[4])
{
	for (unsigned i = 0; i < t->nrecip; i++)
		if (memcmp(t->recip[i], keyid, 4) == 0)
			return (int)i;
	return -1;
}

static parley_thread *find(parley_thread *ts, size_t n, uint64_t opener)
{
	/* threads are appended in opener order: binary search */
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ts[mid].opener < opener)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ts[lo].opener == opener ? &ts[lo] : NULL;
}

const parley_thread *parley_workflow_thread(const parley_workflow *wf, uint64_t opener)
{
	return find(wf->threads, wf->nthreads, opener);
}

void parley_workflow_release(parley_workflow *wf)
{
	free(wf->threads);
	free(wf->obl);
	free(wf->dlv);
	memset(wf, 0, sizeof(*wf));
}

/* Grow *p (of *cap elements of size sz) to hold at least need. */
static bool grow(void **p, size_t *cap, size_t need, size_t sz)
{
	if (need <= *cap)
		return true;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	void *q = realloc(*p, ncap * sz);
	if (!q)
		return false;
	*p = q;
	*cap = ncap;
	return true;
}

/* The log the evaluation may rely on: positions lo..hi of v hold a complete range, times non-decreasing. */
struct range {
	bool ok;
	size_t lo, hi;      /* positions in v, inclusive */
	uint64_t from, to;  /* log indexes */
};

static size_t pos_of(const parley_wf_entry *v, size_t n, uint64_t index)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct range complete_range(const parley_wf_input *in)
{
	struct range r = { false, 0, 0, 0, 0 };
	if (in->n == 0)
		return r;
	if (in->whole_log) {
		r.from = 0;
		r.to = in->n - 1;
	} else if (in->has_range && in->range_from <= in->range_to) {
		r.from = in->range_from;
		r.to = in->range_to;
	} else {
		return r;
	}
	r.lo = pos_of(in->v, in->n, r.from);
	r.hi = r.lo + (size_t)(r.to - r.from);
	if (r.hi >= in->n || r.hi < r.lo)
		return r;
	/* every index of the range is present, and times never go back: otherwise nothing rests on it */
	for (size_t i = r.lo; i <= r.hi; i++) {
		if (in->v[i].index != r.from + (i - r.lo))
			return r;
		if (i > r.lo && in->v[i].ms < in->v[i - 1].ms)
			return r;
	}
	r.ok = true;
	return r;
}

/*
 * The first entry of the range after the opener integrated after the deadline,
 * which shows that the range reaches past it. The range must start at or just
 * after the opener so that nothing between them is missing.
 */
static bool witness(const parley_wf_input *in, const struct range *r, uint64_t opener, uint64_t deadline,
	size_t *pos)
{
	if (in->witness)
		return false; /* judge() asks the caller's log instead */
	if (!r->ok || r->from > opener + 1 || r->to <= opener)
		return false;
	size_t lo = pos_of(in->v, in->n, opener + 1), hi = r->hi + 1;
	if (lo < r->lo)
		lo = r->lo;
	/* times are non-decreasing over the range: the first one past the deadline by bisection */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (in->v[mid].ms <= deadline)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > r->hi)
		return false;
	*pos = lo;
	return true;
}

static int party_index(const parley_charter *ch, const uint8_t keyid[4])
{
	const parley_party *p = parley_charter_party_by_keyid(ch, keyid);
	return p ? (int)(p - parley_charter_party_at(ch, 0)) : -1;
}

/*
 * Has the party signed the log past the deadline? Only its cosignature binds it
 * to this tree: one of a tree that holds the witness, made after the deadline by
 * its own signed timestamp (0: not known). Its own entries do not: entries name
 * others by log index, so whoever holds the relay key can place the party's
 * entries, chained without a gap, around an opener the party never saw
 * (docs/protocol.md §7.0.1).
 */
static bool attested(const parley_wf_input *in, const uint8_t party[4], uint64_t deadline, uint64_t witness_index)
{
	int pi = party_index(in->ch, party);
	return pi >= 0 && pi < PARLEY_MAX_PARTIES && in->cosigned_size[pi] > witness_index &&
		(in->cosigned_ms[pi] == 0 || in->cosigned_ms[pi] > deadline);
}

static bool in_scope_thread(const parley_wf_input *in, uint64_t opener)
{
	return in->whole_log || !in->has_facts || in->facts_opener == opener;
}

/* Create a thread for an opening entry, with a delivery per recipient and its obligations. */
static parley_code open_thread(const parley_wf_input *in, const parley_wf_entry *e, parley_workflow *wf,
	size_t *tcap, size_t *ocap, size_t *dcap, parley_err *err)
{
	if (!grow((void **)&wf->threads, tcap, wf->nthreads + 1, sizeof(*wf->threads)) ||
		!grow((void **)&wf->dlv, dcap, wf->ndlv + PARLEY_ENTRY_MAX_RECIP, sizeof(*wf->dlv)) ||
		!grow((void **)&wf->obl, ocap, wf->nobl + 2 * PARLEY_ENTRY_MAX_RECIP, sizeof(*wf->obl)))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	parley_thread *t = &wf->threads[wf->nthreads++];
	memset(t, 0, sizeof(*t));
	t->opener = e->index;
	t->type = e->h.type;
	memcpy(t->category, e->h.category, sizeof(t->category));
	memcpy(t->requester, e->h.sender, 4);
	for (unsigned k = 0; k < e->h.nrecip; k++) {
		const parley_party *p = parley_charter_party_by_keyid(in->ch, e->h.recip[k]);
		/* the opener owes itself nothing; auditors read and never owe */
		if (memcmp(e->h.recip[k], e->h.sender, 4) == 0 || !p || p->role != PARLEY_ROLE_PARTY)
			continue;
		memcpy(t->recip[t->nrecip++], e->h.recip[k], 4);
	}
	t->opened_ms = e->ms;
	parley_deadline d = parley_charter_deadline(in->ch, e->h.type);
	if (d.acknowledge > 0)
		t->ack_deadline_ms = e->ms + (uint64_t)d.acknowledge * 1000;
	if (d.respond > 0)
		t->respond_deadline_ms = e->ms + (uint64_t)d.respond * 1000;
	t->entries = 1;
	t->dlv_first = wf->ndlv;
	t->obl_first = wf->nobl;
	bool judged = in_scope_thread(in, e->index);
	for (unsigned r = 0; r < t->nrecip; r++) {
		parley_delivery *dv = &wf->dlv[wf->ndlv++];
		memset(dv, 0, sizeof(*dv));
		memcpy(dv->party, t->recip[r], 4);
		t->ndlv++;
		for (int k = PARLEY_OBL_ACKNOWLEDGE; judged && k <= PARLEY_OBL_RESPOND; k++) {
			uint64_t dl = k == PARLEY_OBL_ACKNOWLEDGE ? t->ack_deadline_ms : t->respond_deadline_ms;
			if (!dl)
				continue;
			parley_obligation *o = &wf->obl[wf->nobl++];
			memset(o, 0, sizeof(*o));
			o->opener = e->index;
			memcpy(o->party, t->recip[r], 4);
			o->kind = (uint8_t)k;
			o->deadline_ms = dl;
			t->nobl++;
		}
	}
	return PARLEY_OK;
}

static void answer(parley_workflow *wf, parley_thread *t, const parley_wf_entry *e, int kind)
{
	for (size_t i = t->obl_first; i < t->obl_first + t->nobl; i++) {
		parley_obligation *o = &wf->obl[i];
		if (o->kind == kind && !o->has_entry && memcmp(o->party, e->h.sender, 4) == 0) {
			o->has_entry = true;
			o->entry = e->index;
			o->at_ms = e->ms;
		}
	}
}

static parley_delivery *delivery_of(parley_workflow *wf, const parley_thread *t, const uint8_t party[4])
{
	for (size_t i = t->dlv_first; i < t->dlv_first + t->ndlv; i++)
		if (memcmp(wf->dlv[i].party, party, 4) == 0)
			return &wf->dlv[i];
	return NULL;
}

/* An entry that belongs to thread t: what it changes. */
static void follow(parley_workflow *wf, parley_thread *t, const parley_wf_entry *e)
{
	int r = parley_thread_recipient(t, e->h.sender);
	bool from_requester = memcmp(e->h.sender, t->requester, 4) == 0;
	parley_delivery *dv = r >= 0 ? delivery_of(wf, t, e->h.sender) : NULL;

	t->entries++;
	switch (e->h.type) {
	case PARLEY_T_RECEIPT:
		if (r >= 0 && !t->receipt_ms[r])
			t->receipt_ms[r] = e->ms;
		if (dv && e->h.refs[0] == t->opener && dv->how != PARLEY_DLV_RECEIPT) {
			dv->how = PARLEY_DLV_RECEIPT;
			dv->at_ms = e->ms;
			dv->entry = e->index;
		}
		break;
	case PARLEY_T_UNREADABLE:
		if (dv && e->h.refs[0] == t->opener && !dv->unreadable) {
			dv->unreadable = true;
			dv->unreadable_entry = e->index;
		}
		break;
	case PARLEY_T_ACK:
		if (dv && !dv->ack_ms) {
			dv->ack_ms = e->ms;
			dv->ack_entry = e->index;
		}
		if (r >= 0) {
			if (!t->ack_ms) {
				t->ack_ms = e->ms;
				t->ack_index = e->index;
			}
			answer(wf, t, e, PARLEY_OBL_ACKNOWLEDGE);
		}
		break;
	case PARLEY_T_RESPONSE:
	case PARLEY_T_PING_RESPONSE:
		if (dv && !dv->ack_ms) {
			dv->ack_ms = e->ms;
			dv->ack_entry = e->index;
		}
		if (dv && !dv->answer_ms) {
			dv->answer_ms = e->ms;
			dv->answer_entry = e->index;
		}
		if (r >= 0) {
			if (!t->ack_ms) { /* an answer acknowledges too */
				t->ack_ms = e->ms;
				t->ack_index = e->index;
			}
			if (!t->answered_ms) {
				t->answered_ms = e->ms;
				t->answered_index = e->index;
			}
			answer(wf, t, e, PARLEY_OBL_ACKNOWLEDGE);
			answer(wf, t, e, PARLEY_OBL_RESPOND);
		}
		break;
	case PARLEY_T_ESCALATION:
		t->escalations++;
		break;
	case PARLEY_T_CLOSE:
		if (from_requester && !t->requester_closed_ms)
			t->requester_closed_ms = e->ms;
		if ((r >= 0 || from_requester) && !t->closed_ms) {
			t->closed_ms = e->ms;
			t->closed_by_requester = from_requester;
		} else if (from_requester && !t->closed_by_requester && t->closed_ms) {
			/* a recipient closed first; the requester's own close is what withdraws */
			t->closed_by_requester = true;
			t->closed_ms = e->ms < t->closed_ms ? e->ms : t->closed_ms;
		}
		break;
	case PARLEY_T_DEADLINE_MISSED:
		if (!from_requester)
			break;
		if (t->ack_deadline_ms && e->ms > t->ack_deadline_ms && !t->missed_ack_ms)
			t->missed_ack_ms = e->ms;
		if (t->respond_deadline_ms && e->ms > t->respond_deadline_ms && !t->missed_respond_ms)
			t->missed_respond_ms = e->ms;
		break;
	}
}

/* The requester's first close in the thread, for withdrawal: 0 when none (followed as the entries came). */
static uint64_t requester_close(const parley_thread *t)
{
	return t->closed_by_requester ? t->requester_closed_ms : 0;
}

/* Has the party answered the thread at all (an acknowledgement says a person read it)? */
static bool answered_any(const parley_workflow *wf, const parley_thread *t, const uint8_t party[4])
{
	for (size_t i = t->obl_first; i < t->obl_first + t->nobl; i++)
		if (wf->obl[i].has_entry && memcmp(wf->obl[i].party, party, 4) == 0)
			return true;
	return false;
}

static void judge(const parley_wf_input *in, const struct range *rg, parley_workflow *wf, parley_thread *t)
{
	int64_t vfrom, vuntil;
	uint64_t closed = requester_close(t);
	bool facts = in->has_facts && in->facts_opener == t->opener;
	parley_charter_validity(in->ch, &vfrom, &vuntil);

	for (size_t i = t->dlv_first; i < t->dlv_first + t->ndlv; i++) {
		parley_delivery *dv = &wf->dlv[i];
		int pi = party_index(in->ch, dv->party);
		if (!facts || pi < 0 || pi >= PARLEY_MAX_PARTIES)
			continue;
		/* a payload that does not open with the committed key is unreadable for everyone */
		dv->seal = in->content_bad ? PARLEY_SEAL_BAD : in->seal[pi];
		/* but the party's own receipt or answer says its node opened it: that, against itself, stands */
		if (dv->seal == PARLEY_SEAL_BAD && (dv->how == PARLEY_DLV_RECEIPT || answered_any(wf, t, dv->party)))
			dv->seal = PARLEY_SEAL_UNKNOWN;
		if (dv->how == PARLEY_DLV_NONE && in->read[pi]) {
			dv->how = PARLEY_DLV_READ;
			dv->at_ms = in->read_ms[pi];
			dv->entry = in->read_from[pi];
		}
		/* it said it held the entry and could not open it; the seal shows it could */
		if (dv->how == PARLEY_DLV_NONE && dv->unreadable && dv->seal == PARLEY_SEAL_OK) {
			dv->how = PARLEY_DLV_REPORT;
			dv->entry = dv->unreadable_entry;
			for (size_t k = 0; k < in->n; k++)
				if (in->v[k].index == dv->unreadable_entry)
					dv->at_ms = in->v[k].ms;
		}
	}
	for (size_t i = t->obl_first; i < t->obl_first + t->nobl; i++) {
		parley_obligation *o = &wf->obl[i];
		const parley_delivery *dv = delivery_of(wf, t, o->party);
		size_t wpos = 0;
		uint64_t widx = 0, wms = 0;
		bool answered_in_time = o->has_entry && o->at_ms <= o->deadline_ms;

		o->why = PARLEY_WHY_NONE;
		if ((vuntil > 0 && t->opened_ms > (uint64_t)vuntil * 1000) ||
			(vfrom > 0 && t->opened_ms < (uint64_t)vfrom * 1000)) {
			o->outcome = PARLEY_OUT_NOT_APPLICABLE;
			o->why = PARLEY_WHY_CHARTER_ENDED;
		} else if (dv && dv->seal == PARLEY_SEAL_BAD) {
			o->outcome = PARLEY_OUT_NOT_APPLICABLE;
			o->why = PARLEY_WHY_UNREADABLE;
		} else if (answered_in_time) {
			o->outcome = PARLEY_OUT_MET;
		} else if (closed && closed <= o->deadline_ms) {
			o->outcome = PARLEY_OUT_NOT_APPLICABLE;
			o->why = PARLEY_WHY_WITHDRAWN;
		} else if (dv && dv->unreadable && dv->seal == PARLEY_SEAL_UNKNOWN && !answered_any(wf, t, o->party)) {
			o->outcome = PARLEY_OUT_NOT_ESTABLISHED;
			o->why = PARLEY_WHY_UNREADABLE_UNCHECKED;
		} else if (in->witness ? !in->witness(in->witness_ctx, t->opener, o->deadline_ms, &widx, &wms) :
					 !witness(in, rg, t->opener, o->deadline_ms, &wpos)) {
			o->outcome = PARLEY_OUT_NOT_ESTABLISHED;
			o->why = in->now_ms && in->now_ms <= o->deadline_ms ? PARLEY_WHY_PENDING : PARLEY_WHY_NOT_REACHED;
		} else {
			o->witness = in->witness ? widx : in->v[wpos].index;
			o->witness_ms = in->witness ? wms : in->v[wpos].ms;
			o->attested = attested(in, o->party, o->deadline_ms, o->witness);
			if (o->has_entry) {
				o->outcome = o->attested ? PARLEY_OUT_LATE : PARLEY_OUT_NOT_ESTABLISHED;
				o->late_by_ms = o->at_ms - o->deadline_ms;
			} else {
				o->outcome = o->attested ? PARLEY_OUT_MISSED : PARLEY_OUT_MISSED_UNCONFIRMED;
			}
			if (!o->attested)
				o->why = PARLEY_WHY_NOT_ATTESTED;
		}
		bool applicable = o->outcome != PARLEY_OUT_NOT_APPLICABLE;
		o->overdue = applicable && !o->has_entry && in->now_ms > o->deadline_ms;
		uint64_t rec = o->kind == PARLEY_OBL_ACKNOWLEDGE ? t->missed_ack_ms : t->missed_respond_ms;
		o->recorded = rec != 0;
	}
}

static void thread_state(const parley_workflow *wf, parley_thread *t, uint64_t now_ms)
{
	bool overdue = false;
	for (size_t i = t->obl_first; i < t->obl_first + t->nobl; i++)
		if (wf->obl[i].overdue)
			overdue = true;
	if (!t->nobl) { /* threads judged elsewhere (a bundle's other threads): the clock alone */
		overdue = (t->ack_deadline_ms && !t->ack_ms && now_ms > t->ack_deadline_ms) ||
			(t->respond_deadline_ms && !t->answered_ms && now_ms > t->respond_deadline_ms);
		if (!t->nrecip)
			overdue = false;
	}
	if (t->closed_ms)
		t->state = PARLEY_TS_CLOSED;
	else if (overdue)
		t->state = PARLEY_TS_OVERDUE;
	else if (t->answered_ms)
		t->state = PARLEY_TS_ANSWERED;
	else if (t->escalations)
		t->state = PARLEY_TS_ESCALATED;
	else if (t->ack_ms)
		t->state = PARLEY_TS_ACKNOWLEDGED;
	else
		t->state = PARLEY_TS_OPEN;
}

/*
 * Batched receipts: per writer, the positions of v not yet covered by one of its
 * batched receipts, as "next uncovered position" links with path compression, so
 * that each position is visited once per writer however many receipts cover it
 * (duplicated or overlapping receipts, ranges of any length, cost nothing more).
 */
struct covers {
	size_t *next[PARLEY_MAX_PARTIES]; /* n + 1 links each, allocated at the writer's first batched receipt */
};

static size_t uncovered(size_t *nx, size_t p)
{
	size_t root = p;
	while (nx[root] != root)
		root = nx[root];
	while (nx[p] != root) {
		size_t q = nx[p];
		nx[p] = root;
		p = q;
	}
	return root;
}

/* What the batched receipt e says about the entry x it covers: x's thread's receipt and delivery. */
static void cover_entry(parley_workflow *wf, const parley_wf_entry *e, const parley_wf_entry *x)
{
	uint64_t op;
	if (x->h.type == PARLEY_T_RECEIPT || x->h.type == PARLEY_T_UNREADABLE || memcmp(x->h.sender, e->h.sender, 4) == 0 ||
		!parley_workflow_thread_of(&x->h, x->index, &op))
		return;
	parley_thread *t = find(wf->threads, wf->nthreads, op);
	int r = t ? parley_thread_recipient(t, e->h.sender) : -1;
	bool to_writer = false;
	for (unsigned j = 0; j < x->h.nrecip; j++)
		if (memcmp(x->h.recip[j], e->h.sender, 4) == 0)
			to_writer = true;
	if (r < 0 || !to_writer)
		return;
	if (!t->receipt_ms[r])
		t->receipt_ms[r] = e->ms;
	parley_delivery *dv = op == x->index ? delivery_of(wf, t, e->h.sender) : NULL;
	if (dv && dv->how != PARLEY_DLV_RECEIPT) {
		dv->how = PARLEY_DLV_RECEIPT;
		dv->at_ms = e->ms;
		dv->entry = e->index;
	}
}

/*
 * A batched receipt (receipt.h): for every entry it covers that is addressed to
 * its writer and not written by it, what a receipt of that entry says. Covers
 * that do not decode (which admission refuses) and writers that are not parties
 * are ignored.
 */
static parley_code batched_receipt(const parley_wf_input *in, parley_workflow *wf, struct covers *cv,
	const parley_wf_entry *e)
{
	parley_receipt_cover cov;
	int pi = party_index(in->ch, e->h.sender);
	if (pi < 0 || pi >= PARLEY_MAX_PARTIES || parley_receipt_covers(&e->h, e->index, &cov, NULL) || cov.form != 2)
		return PARLEY_OK;
	if (!cv->next[pi]) {
		if (!(cv->next[pi] = malloc((in->n + 1) * sizeof(size_t))))
			return PARLEY_E_NOMEM;
		for (size_t p = 0; p <= in->n; p++)
			cv->next[pi][p] = p;
	}
	size_t *nx = cv->next[pi];
	for (unsigned k = 0; k < cov.n; k++) {
		size_t hi = pos_of(in->v, in->n, cov.last[k] + 1); /* last < e->index: no overflow */
		for (size_t p = uncovered(nx, pos_of(in->v, in->n, cov.first[k])); p < hi; p = uncovered(nx, p + 1)) {
			nx[p] = p + 1;
			cover_entry(wf, e, &in->v[p]);
		}
	}
	return PARLEY_OK;
}

void parley_workflow_cover_one(parley_workflow *one, const parley_wf_entry *e, const parley_wf_entry *x)
{
	cover_entry(one, e, x);
}

static void covers_release(struct covers *cv)
{
	for (size_t i = 0; i < PARLEY_MAX_PARTIES; i++)
		free(cv->next[i]);
}

parley_code parley_workflow_eval(const parley_wf_input *in, parley_workflow *out, parley_err *err)
{
	parley_workflow wf = PARLEY_WORKFLOW_INIT;
	size_t tcap = 0, ocap = 0, dcap = 0;
	struct covers cv;
	parley_code rc;

	memset(out, 0, sizeof(*out));
	memset(&cv, 0, sizeof(cv));
	for (size_t i = 0; i < in->n; i++) {
		const parley_wf_entry *e = &in->v[i];
		uint64_t opener;
		if (i && e->index <= in->v[i - 1].index) {
			parley_workflow_release(&wf);
			covers_release(&cv);
			return parley_fail(err, PARLEY_E_USAGE, "workflow: entries out of order at %llu",
				(unsigned long long)e->index);
		}
		if (e->h.type == PARLEY_T_RECEIPT && e->h.nrefs && e->h.refs[0] == PARLEY_RECEIPT_BATCH_TAG) {
			if (batched_receipt(in, &wf, &cv, e)) {
				parley_workflow_release(&wf);
				covers_release(&cv);
				return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
			}
			continue;
		}
		if (!parley_workflow_thread_of(&e->h, e->index, &opener))
			continue;
		if (opener == e->index) {
			if ((rc = open_thread(in, e, &wf, &tcap, &ocap, &dcap, err))) {
				parley_workflow_release(&wf);
				covers_release(&cv);
				return rc;
			}
			continue;
		}
		parley_thread *t = find(wf.threads, wf.nthreads, opener);
		if (t) /* else it refers to something that is not a thread: ignored */
			follow(&wf, t, e);
	}
	covers_release(&cv);
	parley_workflow_judge(in, &wf);
	*out = wf;
	return PARLEY_OK;
}

parley_code parley_workflow_open_one(const parley_charter *ch, const parley_wf_entry *e, parley_workflow *one,
	parley_err *err)
{
	parley_wf_input in = PARLEY_WF_INPUT_INIT;
	size_t tcap = 0, ocap = 0, dcap = 0;
	parley_code rc;

	memset(one, 0, sizeof(*one));
	in.ch = ch;
	in.whole_log = true; /* every thread is judged */
	if ((rc = open_thread(&in, e, one, &tcap, &ocap, &dcap, err)))
		parley_workflow_release(one);
	return rc;
}

void parley_workflow_follow_one(parley_workflow *one, const parley_wf_entry *e)
{
	if (one->nthreads == 1)
		follow(one, &one->threads[0], e);
}

void parley_workflow_judge(const parley_wf_input *in, parley_workflow *wf)
{
	struct range rg = complete_range(in);
	for (size_t i = 0; i < wf->nthreads; i++) {
		judge(in, &rg, wf, &wf->threads[i]);
		thread_state(wf, &wf->threads[i], in->now_ms);
	}
}

parley_code parley_workflow_threads(const parley_charter *ch, const parley_wf_entry *entries, size_t n,
	uint64_t now_ms, parley_thread **out, size_t *nout, parley_err *err)
{
	parley_wf_input in = PARLEY_WF_INPUT_INIT;
	parley_workflow wf;
	parley_code rc;

	*out = NULL;
	*nout = 0;
	in.ch = ch;
	in.v = entries;
	in.n = n;
	in.now_ms = now_ms;
	in.whole_log = n && entries[0].index == 0 && entries[n - 1].index == n - 1;
	if ((rc = parley_workflow_eval(&in, &wf, err)))
		return rc;
	*out = wf.threads;
	*nout = wf.nthreads;
	free(wf.obl);
	free(wf.dlv);
	for (size_t i = 0; i < *nout; i++) /* the obligations went with wf */
		(*out)[i].nobl = (*out)[i].ndlv = 0;
	return PARLEY_OK;
}

/* ---- verdicts ---- */

/* Worst first: the order in which a thread's verdict picks among its parties' codes. */
static const uint8_t severity[] = { PARLEY_V_MISSED, PARLEY_V_NOT_SHOWN_DELIVERED, PARLEY_V_MISSED_UNCONFIRMED,
	PARLEY_V_UNREADABLE_BY_SENDER_FAULT, PARLEY_V_LATE, PARLEY_V_NOT_ESTABLISHED, PARLEY_V_WITHDRAWN, PARLEY_V_MET };

/* One recipient's code, from its obligations and its delivery, and the why of a not-established. */
static uint8_t party_code(const parley_workflow *wf, const parley_thread *t, const uint8_t party[4], uint8_t *why)
{
	bool missed = false, unconf = false, notest = false, late = false, withdrawn = false, unreadable = false,
	     ended = false, any = false;
	const parley_delivery *dv = NULL;
	for (size_t i = t->dlv_first; i < t->dlv_first + t->ndlv; i++)
		if (memcmp(wf->dlv[i].party, party, 4) == 0)
			dv = &wf->dlv[i];
	*why = PARLEY_WHY_NONE;
	for (size_t i = t->obl_first; i < t->obl_first + t->nobl; i++) {
		const parley_obligation *o = &wf->obl[i];
		if (memcmp(o->party, party, 4) != 0)
			continue;
		any = true;
		switch (o->outcome) {
		case PARLEY_OUT_MISSED: missed = true; break;
		case PARLEY_OUT_MISSED_UNCONFIRMED: unconf = true; break;
		case PARLEY_OUT_LATE: late = true; break;
		case PARLEY_OUT_NOT_ESTABLISHED:
			if (!notest)
				*why = o->why;
			notest = true;
			break;
		case PARLEY_OUT_NOT_APPLICABLE:
			if (o->why == PARLEY_WHY_UNREADABLE)
				unreadable = true;
			else if (o->why == PARLEY_WHY_WITHDRAWN)
				withdrawn = true;
			else
				ended = true;
			break;
		}
	}
	if (!any)
		return 0;
	bool delivered = dv && dv->how != PARLEY_DLV_NONE;
	if (unreadable)
		return PARLEY_V_UNREADABLE_BY_SENDER_FAULT;
	if (missed)
		return delivered ? PARLEY_V_MISSED : PARLEY_V_NOT_SHOWN_DELIVERED;
	if (unconf)
		return delivered ? PARLEY_V_MISSED_UNCONFIRMED : PARLEY_V_NOT_SHOWN_DELIVERED;
	if (late)
		return PARLEY_V_LATE;
	if (notest)
		return PARLEY_V_NOT_ESTABLISHED;
	if (ended) {
		*why = PARLEY_WHY_CHARTER_ENDED;
		return PARLEY_V_NOT_ESTABLISHED;
	}
	if (withdrawn)
		return PARLEY_V_WITHDRAWN;
	return PARLEY_V_MET;
}

parley_verdict parley_workflow_verdict(const parley_workflow *wf, const parley_thread *t)
{
	parley_verdict v;
	uint8_t codes[PARLEY_ENTRY_MAX_RECIP], whys[PARLEY_ENTRY_MAX_RECIP];

	memset(&v, 0, sizeof(v));
	for (unsigned r = 0; r < t->nrecip; r++)
		codes[r] = party_code(wf, t, t->recip[r], &whys[r]);
	/* the worst code any recipient has, and every recipient that has it */
	for (size_t s = 0; s < sizeof(severity) && !v.code; s++)
		for (unsigned r = 0; r < t->nrecip; r++)
			if (codes[r] == severity[s])
				v.code = severity[s];
	if (!v.code) { /* no recipient owes anything */
		v.code = PARLEY_V_NOT_ESTABLISHED;
		return v;
	}
	for (unsigned r = 0; r < t->nrecip; r++)
		if (codes[r] == v.code) {
			if (!v.nparties)
				v.why = whys[r];
			v.whys[v.nparties] = whys[r];
			memcpy(v.parties[v.nparties++], t->recip[r], 4);
		}
	return v;
}

static const char *pname(const parley_charter *ch, const uint8_t keyid[4])
{
	const parley_party *p = parley_charter_party_by_keyid(ch, keyid);
	return p ? p->key.name : "?";
}

/* "cert-b", "cert-b and cert-c", "cert-b, cert-c and cert-d" */
static parley_code names(parley_buf *out, const parley_charter *ch, const parley_verdict *v)
{
	parley_code rc = PARLEY_OK;
	for (unsigned i = 0; i < v->nparties && !rc; i++)
		rc = parley_buf_addf(out, "%s%s", i == 0 ? "" : i + 1 == v->nparties ? " and " : ", ",
			pname(ch, v->parties[i]));
	return rc;
}

/* The kinds a party's obligations with this outcome concern: "acknowledge", "respond", "acknowledge or respond". */
static const char *kinds(const parley_workflow *wf, const parley_thread *t, const parley_verdict *v, int outcome)
{
	bool a = false, r = false;
	for (size_t i = t->obl_first; i < t->obl_first + t->nobl; i++) {
		const parley_obligation *o = &wf->obl[i];
		bool concerned = false;
		for (unsigned k = 0; k < v->nparties; k++)
			if (memcmp(o->party, v->parties[k], 4) == 0)
				concerned = true;
		if (!concerned || (outcome && o->outcome != outcome))
			continue;
		if (!outcome && o->outcome != PARLEY_OUT_MISSED && o->outcome != PARLEY_OUT_MISSED_UNCONFIRMED)
			continue;
		if (o->kind == PARLEY_OBL_ACKNOWLEDGE)
			a = true;
		else
			r = true;
	}
	return a && r ? "acknowledge or respond to" : r ? "respond to" : "acknowledge";
}

parley_code parley_verdict_text(const parley_charter *ch, const parley_workflow *wf, const parley_thread *t,
	const parley_verdict *v, parley_buf *out)
{
	unsigned long long n = (unsigned long long)t->opener;
	const char *opener = pname(ch, t->requester);
	bool many = v->nparties > 1;
	parley_code rc = parley_buf_addf(out, "%s: ", parley_verdict_code_name(v->code));

	if (!rc && v->nparties == 0)
		return parley_buf_addf(out, "entry %llu creates no obligation (its type has no deadline, or it is addressed to no other party)", n);
	switch (v->code) {
	case PARLEY_V_MET:
		return rc ? rc : (rc = names(out, ch, v)) ? rc :
			parley_buf_addf(out, " met every deadline of entry %llu", n);
	case PARLEY_V_LATE:
		return rc ? rc : (rc = names(out, ch, v)) ? rc :
			parley_buf_addf(out, " did %s entry %llu, but only after the deadline; %s own signed answer and cosignature of the log show it",
				kinds(wf, t, v, PARLEY_OUT_LATE), n, many ? "their" : "its");
	case PARLEY_V_MISSED:
		return rc ? rc : (rc = names(out, ch, v)) ? rc :
			parley_buf_addf(out, " did not %s entry %llu by the deadline; %s own signature covers the log past it and %s held the entry, so %s accountable",
				kinds(wf, t, v, PARLEY_OUT_MISSED), n, many ? "their" : "its", many ? "they" : "it",
				many ? "they are" : "it is");
	case PARLEY_V_MISSED_UNCONFIRMED:
		if (rc || (rc = parley_buf_addf(out, "the relay's log shows no answer to entry %llu from ", n)) ||
			(rc = names(out, ch, v)))
			return rc;
		return parley_buf_addf(out, " by the deadline; %s not signed a view of the log past the deadline",
			many ? "they have" : "it has");
	case PARLEY_V_NOT_SHOWN_DELIVERED:
		if (rc || (rc = parley_buf_addf(out, "no answer to entry %llu from ", n)) || (rc = names(out, ch, v)))
			return rc;
		return parley_buf_addf(out, " by the deadline, but no receipt or signed read shows that %s held the entry (the relay may have withheld it)",
			many ? "they" : "it");
	case PARLEY_V_WITHDRAWN:
		if (rc || (rc = parley_buf_addf(out, "%s closed the thread of entry %llu before the deadline of ", opener, n)) ||
			(rc = names(out, ch, v)))
			return rc;
		return parley_buf_addf(out, " passed");
	case PARLEY_V_UNREADABLE_BY_SENDER_FAULT:
		if (rc || (rc = parley_buf_addf(out, "%s sealed entry %llu so that ", opener, n)) || (rc = names(out, ch, v)))
			return rc;
		return parley_buf_addf(out, " could not read it; %s obligations do not apply", many ? "their" : "its");
	case PARLEY_V_NOT_ESTABLISHED: {
		bool same = true;
		for (unsigned i = 1; i < v->nparties; i++)
			same = same && v->whys[i] == v->whys[0];
		if (same) {
			if (rc || (rc = parley_buf_addf(out, "for ")) || (rc = names(out, ch, v)))
				return rc;
			return parley_buf_addf(out, ", what happened by the deadline of entry %llu is not established: %s", n,
				parley_obl_why_text(v->why)[0] ? parley_obl_why_text(v->why) : "the evidence does not decide");
		}
		/* each party with its own reason */
		if (rc || (rc = parley_buf_addf(out, "what happened by the deadlines of entry %llu is not established", n)))
			return rc;
		for (unsigned i = 0; i < v->nparties && !rc; i++)
			rc = parley_buf_addf(out, "%s for %s: %s", i ? ";" : "", pname(ch, v->parties[i]),
				parley_obl_why_text(v->whys[i])[0] ? parley_obl_why_text(v->whys[i]) : "the evidence does not decide");
		return rc;
	}
	}
	return rc ? rc : parley_buf_addstr(out, "?");
}
