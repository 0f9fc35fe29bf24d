/* workflow.c - threads, their states and deadlines, from integration times only. */
#include <stdlib.h>
#include <string.h>

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
	if (h->type == PARLEY_T_RECEIPT) {
		if (h->nrefs == 0)
			return false;
		*opener = h->thread ? h->thread : h->refs[0];
		return true;
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

parley_code parley_workflow_threads(const parley_charter *ch, const parley_wf_entry *entries, size_t n,
	uint64_t now_ms, parley_thread **out, size_t *nout, parley_err *err)
{
	parley_thread *ts = NULL;
	size_t nt = 0, cap = 0;

	*out = NULL;
	*nout = 0;
	for (size_t i = 0; i < n; i++) {
		const parley_wf_entry *e = &entries[i];
		uint64_t opener;
		if (!parley_workflow_thread_of(&e->h, e->index, &opener))
			continue;
		if (opener == e->index) {
			if (nt == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				parley_thread *p = realloc(ts, ncap * sizeof(*p));
				if (!p) {
					free(ts);
					return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
				}
				ts = p;
				cap = ncap;
			}
			parley_thread *t = &ts[nt++];
			memset(t, 0, sizeof(*t));
			t->opener = e->index;
			t->type = e->h.type;
			memcpy(t->category, e->h.category, sizeof(t->category));
			memcpy(t->requester, e->h.sender, 4);
			for (unsigned k = 0; k < e->h.nrecip; k++)
				if (memcmp(e->h.recip[k], e->h.sender, 4) != 0)
					memcpy(t->recip[t->nrecip++], e->h.recip[k], 4);
			t->opened_ms = e->ms;
			parley_deadline d = parley_charter_deadline(ch, e->h.type);
			if (d.acknowledge)
				t->ack_deadline_ms = e->ms + (uint64_t)d.acknowledge * 1000;
			if (d.respond)
				t->respond_deadline_ms = e->ms + (uint64_t)d.respond * 1000;
			t->entries = 1;
			continue;
		}
		parley_thread *t = find(ts, nt, opener);
		if (!t)
			continue; /* refers to something that is not a thread: ignored */
		t->entries++;
		int r = parley_thread_recipient(t, e->h.sender);
		bool from_requester = memcmp(e->h.sender, t->requester, 4) == 0;
		switch (e->h.type) {
		case PARLEY_T_RECEIPT:
			if (r >= 0 && !t->receipt_ms[r])
				t->receipt_ms[r] = e->ms;
			break;
		case PARLEY_T_ACK:
			if (r >= 0 && !t->ack_ms) {
				t->ack_ms = e->ms;
				t->ack_index = e->index;
			}
			break;
		case PARLEY_T_RESPONSE:
		case PARLEY_T_PING_RESPONSE:
			if (r >= 0) {
				if (!t->ack_ms) { /* an answer acknowledges too */
					t->ack_ms = e->ms;
					t->ack_index = e->index;
				}
				if (!t->answered_ms) {
					t->answered_ms = e->ms;
					t->answered_index = e->index;
				}
			}
			break;
		case PARLEY_T_ESCALATION:
			t->escalations++;
			break;
		case PARLEY_T_CLOSE:
			if ((r >= 0 || from_requester) && !t->closed_ms)
				t->closed_ms = e->ms;
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
	for (size_t i = 0; i < nt; i++) {
		parley_thread *t = &ts[i];
		bool late_ack = t->ack_deadline_ms && !t->ack_ms && now_ms > t->ack_deadline_ms;
		bool late_answer = t->respond_deadline_ms && !t->answered_ms && now_ms > t->respond_deadline_ms;
		if (t->closed_ms)
			t->state = PARLEY_TS_CLOSED;
		else if (t->answered_ms)
			t->state = PARLEY_TS_ANSWERED;
		else if (late_ack || late_answer)
			t->state = PARLEY_TS_OVERDUE;
		else if (t->escalations)
			t->state = PARLEY_TS_ESCALATED;
		else if (t->ack_ms)
			t->state = PARLEY_TS_ACKNOWLEDGED;
		else
			t->state = PARLEY_TS_OPEN;
	}
	*out = ts;
	*nout = nt;
	return PARLEY_OK;
}
