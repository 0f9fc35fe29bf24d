/* test_workflow.c - thread states and deadlines from integration times, on synthetic logs. */
#include <stdlib.h>
#include "testutil.h"
#include "parley/workflow.h"

static parley_seckey *ka, *kb;
static parley_charter *ch;

static int setup(void **state)
{
	(void)state;
	ka = tu_key("cert-a", 1);
	kb = tu_key("cert-b", 2);
	ch = tu_charter(ka, kb); /* defaults: acknowledge 7200 s, respond 172800 s */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	parley_charter_free(ch);
	parley_seckey_free(ka);
	parley_seckey_free(kb);
	return 0;
}

static parley_wf_entry E(uint64_t index, uint64_t ms, const parley_seckey *from, const parley_seckey *to, uint8_t type,
	uint64_t thread)
{
	parley_wf_entry e;
	memset(&e, 0, sizeof(e));
	e.index = index;
	e.ms = ms;
	memcpy(e.h.sender, from->pub.keyid, 4);
	e.h.type = type;
	e.h.thread = thread;
	e.h.nrecip = 2;
	memcpy(e.h.recip[0], to->pub.keyid, 4);
	memcpy(e.h.recip[1], from->pub.keyid, 4);
	if (!parley_type_opens_thread(type) && type != PARLEY_T_PING) {
		e.h.nrefs = 1;
		e.h.refs[0] = thread;
	}
	return e;
}

#define H 3600000ull
#define T0_NOW (parley_now_ms() / H * H) /* an hour boundary; the charter is valid from its creation */

static parley_thread one(const parley_wf_entry *v, size_t n, uint64_t now, uint64_t opener)
{
	parley_thread *ts = NULL, t;
	size_t nt = 0;
	memset(&t, 0, sizeof(t));
	assert_int_equal(parley_workflow_threads(ch, v, n, now, &ts, &nt, NULL), PARLEY_OK);
	for (size_t i = 0; i < nt; i++)
		if (ts[i].opener == opener) {
			t = ts[i];
			free(ts);
			return t;
		}
	fail_msg("no thread %llu", (unsigned long long)opener);
	return t;
}

static void test_states(void **state)
{
	(void)state;
	uint64_t t0 = T0_NOW + 1000 * H; /* within the charter's validity, which starts now */
	parley_wf_entry v[8];
	v[0] = E(0, t0, ka, kb, PARLEY_T_NOTIFICATION, 0);
	parley_thread t = one(v, 1, t0 + H, 0);
	assert_int_equal(t.state, PARLEY_TS_OPEN);
	assert_int_equal(t.ack_deadline_ms, t0 + 2 * H);
	assert_int_equal(t.respond_deadline_ms, t0 + 48 * H);
	assert_int_equal(t.nrecip, 1);
	/* past the acknowledgement deadline with no answer: overdue */
	assert_int_equal(one(v, 1, t0 + 2 * H + 1, 0).state, PARLEY_TS_OVERDUE);
	/* the requester's own acknowledgement does not count */
	v[1] = E(1, t0 + 1000, ka, kb, PARLEY_T_ACK, 0);
	assert_int_equal(one(v, 2, t0 + 3 * H, 0).state, PARLEY_TS_OVERDUE);
	/* a receipt is delivery, not acknowledgement */
	v[1] = E(1, t0 + 1000, kb, ka, PARLEY_T_RECEIPT, 0);
	t = one(v, 2, t0 + 3 * H, 0);
	assert_int_equal(t.receipt_ms[0], t0 + 1000);
	assert_int_equal(t.state, PARLEY_TS_OVERDUE);
	/* acknowledged in time */
	v[2] = E(2, t0 + H, kb, ka, PARLEY_T_ACK, 0);
	t = one(v, 3, t0 + 3 * H, 0);
	assert_int_equal(t.state, PARLEY_TS_ACKNOWLEDGED);
	assert_int_equal(t.ack_ms, t0 + H);
	assert_int_equal(t.ack_index, 2);
	/* the respond deadline passes */
	assert_int_equal(one(v, 3, t0 + 49 * H, 0).state, PARLEY_TS_OVERDUE);
	/* escalated, then answered, then closed */
	v[3] = E(3, t0 + 4 * H, ka, kb, PARLEY_T_ESCALATION, 0);
	assert_int_equal(one(v, 4, t0 + 5 * H, 0).state, PARLEY_TS_ESCALATED);
	assert_int_equal(one(v, 4, t0 + 5 * H, 0).escalations, 1);
	v[4] = E(4, t0 + 6 * H, kb, ka, PARLEY_T_RESPONSE, 0);
	t = one(v, 5, t0 + 60 * H, 0);
	assert_int_equal(t.state, PARLEY_TS_ANSWERED);
	assert_int_equal(t.answered_index, 4);
	v[5] = E(5, t0 + 7 * H, ka, kb, PARLEY_T_CLOSE, 0);
	assert_int_equal(one(v, 6, t0 + 60 * H, 0).state, PARLEY_TS_CLOSED);
}

static void test_response_acknowledges_and_missed_entries(void **state)
{
	(void)state;
	uint64_t t0 = T0_NOW + 2000 * H;
	parley_wf_entry v[4];
	v[0] = E(0, t0, ka, kb, PARLEY_T_REQUEST_INFO, 0);
	v[1] = E(1, t0 + 3 * H, ka, kb, PARLEY_T_DEADLINE_MISSED, 0); /* after the ack deadline only */
	parley_thread t = one(v, 2, t0 + 3 * H, 0);
	assert_int_equal(t.missed_ack_ms, t0 + 3 * H);
	assert_int_equal(t.missed_respond_ms, 0);
	/* a deadline-missed entry by the other side is not the requester's record */
	v[1] = E(1, t0 + 3 * H, kb, ka, PARLEY_T_DEADLINE_MISSED, 0);
	assert_int_equal(one(v, 2, t0 + 3 * H, 0).missed_ack_ms, 0);
	v[2] = E(2, t0 + 5 * H, kb, ka, PARLEY_T_RESPONSE, 0);
	t = one(v, 3, t0 + 5 * H, 0);
	assert_int_equal(t.ack_ms, t0 + 5 * H); /* an answer acknowledges too (late, here) */
	assert_int_equal(t.answered_ms, t0 + 5 * H);
	/* entries naming a later or unknown thread are ignored */
	v[3] = E(3, t0 + 6 * H, kb, ka, PARLEY_T_ACK, 7);
	assert_int_equal(one(v, 4, t0 + 6 * H, 0).entries, 3);
}

static void test_ping(void **state)
{
	(void)state;
	uint64_t t0 = T0_NOW + 3000 * H;
	parley_wf_entry v[2];
	v[0] = E(0, t0, ka, kb, PARLEY_T_PING, 0);
	v[1] = E(1, t0 + 350, kb, ka, PARLEY_T_PING_RESPONSE, 0);
	parley_thread t = one(v, 2, t0 + 1000, 0);
	assert_int_equal(t.answered_ms - t.opened_ms, 350);
	assert_int_equal(t.ack_deadline_ms, 0); /* pings have no charter deadline */
	assert_int_equal(t.state, PARLEY_TS_ANSWERED);
}


/* Bisection over a whole log held in an array, as a node does over its replica. */
struct wlog {
	const parley_wf_entry *v;
	size_t n;
};

static bool wlog_witness(void *ctx, uint64_t opener, uint64_t deadline, uint64_t *index, uint64_t *ms)
{
	const struct wlog *l = ctx;
	size_t lo = (size_t)opener + 1, hi = l->n;
	if (lo >= l->n)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->v[mid].ms <= deadline)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= l->n)
		return false;
	*index = l->v[lo].index;
	*ms = l->v[lo].ms;
	return true;
}

/*
 * One engine, two ways: random histories judged by parley_workflow_eval over the whole
 * log, and thread by thread (open_one, follow_one as entries come, then judge with a
 * witness found by bisection), at every prefix of the log: the same threads,
 * obligations and deliveries, byte for byte.
 */
static void test_incremental_is_the_engine(void **state)
{
	(void)state;
	const parley_seckey *who[2] = { ka, kb };
	static const uint8_t types[] = { PARLEY_T_NOTIFICATION, PARLEY_T_REQUEST_INFO, PARLEY_T_PING, PARLEY_T_ACK,
		PARLEY_T_RESPONSE, PARLEY_T_ESCALATION, PARLEY_T_CLOSE, PARLEY_T_RECEIPT, PARLEY_T_UNREADABLE,
		PARLEY_T_PING_RESPONSE, PARLEY_T_DEADLINE_MISSED, PARLEY_T_ACK, PARLEY_T_RESPONSE, PARLEY_T_CLOSE };
	enum { N = 120 };
	parley_wf_entry v[N];
	unsigned seed = 12345;
	for (int round = 0; round < 20; round++) {
		uint64_t t = T0_NOW + 1000 * H;
		for (size_t i = 0; i < N; i++) {
			seed = seed * 1103515245u + 12345u;
			uint8_t type = types[(seed >> 8) % sizeof(types)];
			const parley_seckey *from = who[(seed >> 20) & 1], *to = who[!((seed >> 20) & 1)];
			uint64_t thread = i ? (seed >> 4) % i : 0;
			t += (seed >> 12) % 3 ? (seed >> 3) % 5000 : (seed >> 2) % (3 * H); /* some gaps pass deadlines */
			v[i] = E(i, t, from, to, type, thread);
		}
		for (size_t n = 1; n <= N; n += 7) {
			uint64_t now = v[n - 1].ms + (seed % 2 ? H : 60 * H);
			parley_wf_input in = PARLEY_WF_INPUT_INIT;
			parley_workflow full, inc = PARLEY_WORKFLOW_INIT, one;
			in.ch = ch;
			in.v = v;
			in.n = n;
			in.whole_log = true;
			in.now_ms = now;
			in.cosigned_size[1] = n; /* cert-b attests the log */
			assert_int_equal(parley_workflow_eval(&in, &full, NULL), PARLEY_OK);
			/* thread by thread: each thread's fold kept apart, as the node's tables keep it */
			parley_workflow *folds = calloc(n, sizeof(*folds));
			assert_non_null(folds);
			for (size_t i = 0; i < n; i++) {
				uint64_t op;
				if (!parley_workflow_thread_of(&v[i].h, v[i].index, &op))
					continue;
				if (op == v[i].index)
					assert_int_equal(parley_workflow_open_one(ch, &v[i], &folds[i], NULL), PARLEY_OK);
				else if (folds[op].nthreads)
					parley_workflow_follow_one(&folds[op], &v[i]);
			}
			/* gathered as node_state_workflow does, then judged against the log through the witness callback */
			size_t nt = 0, no = 0, nd = 0;
			for (size_t i = 0; i < n; i++)
				if (folds[i].nthreads) {
					nt++;
					no += folds[i].nobl;
					nd += folds[i].ndlv;
				}
			inc.threads = calloc(nt + 1, sizeof(parley_thread));
			inc.obl = calloc(no + 1, sizeof(parley_obligation));
			inc.dlv = calloc(nd + 1, sizeof(parley_delivery));
			for (size_t i = 0; i < n; i++) {
				if (!folds[i].nthreads)
					continue;
				one = folds[i];
				parley_thread *th = &inc.threads[inc.nthreads++];
				memcpy(th, one.threads, sizeof(*th));
				th->obl_first = inc.nobl;
				th->dlv_first = inc.ndlv;
				memcpy(inc.obl + inc.nobl, one.obl, one.nobl * sizeof(*one.obl));
				memcpy(inc.dlv + inc.ndlv, one.dlv, one.ndlv * sizeof(*one.dlv));
				inc.nobl += one.nobl;
				inc.ndlv += one.ndlv;
				parley_workflow_release(&folds[i]);
			}
			free(folds);
			struct wlog wl = { v, n };
			parley_wf_input jin = in;
			jin.v = NULL;
			jin.n = 0;
			jin.witness = wlog_witness;
			jin.witness_ctx = &wl;
			parley_workflow_judge(&jin, &inc);
			assert_int_equal(inc.nthreads, full.nthreads);
			assert_int_equal(inc.nobl, full.nobl);
			assert_int_equal(inc.ndlv, full.ndlv);
			assert_memory_equal(inc.threads, full.threads, full.nthreads * sizeof(parley_thread));
			assert_memory_equal(inc.obl, full.obl, full.nobl * sizeof(parley_obligation));
			assert_memory_equal(inc.dlv, full.dlv, full.ndlv * sizeof(parley_delivery));
			parley_workflow_release(&full);
			parley_workflow_release(&inc);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_response_acknowledges_and_missed_entries),
		cmocka_unit_test(test_ping),
		cmocka_unit_test(test_incremental_is_the_engine),
	};
	if (parley_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
