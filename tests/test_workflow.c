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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_response_acknowledges_and_missed_entries),
		cmocka_unit_test(test_ping),
	};
	if (parley_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
