/* test_report.c - report statistics (nearest rank), figures from a synthetic log, dates, HTML escaping. */
#include <stdlib.h>
#include "testutil.h"
#include "parley/report.h"

static parley_seckey *ka, *kb;
static parley_charter *ch;

static int setup(void **state)
{
	(void)state;
	ka = tu_key("cert-a", 1);
	kb = tu_key("cert-b", 2);
	ch = tu_charter(ka, kb); /* acknowledge 7200 s, respond 172800 s; valid 2027 */
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

static void test_stats(void **state)
{
	(void)state;
	parley_stats s;
	uint64_t none[1] = { 0 };
	parley_stats_compute(none, 0, &s);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.median_ms, 0);
	assert_int_equal(s.max_ms, 0);

	uint64_t one[] = { 42 };
	parley_stats_compute(one, 1, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.median_ms, 42);
	assert_int_equal(s.p90_ms, 42);
	assert_int_equal(s.max_ms, 42);

	/* even n: the lower middle value (rank ceil(n/2)), never an average */
	uint64_t two[] = { 30, 10 };
	parley_stats_compute(two, 2, &s);
	assert_int_equal(s.median_ms, 10);
	assert_int_equal(s.p90_ms, 30); /* rank ceil(1.8) = 2 */

	/* unsorted input is sorted in place */
	uint64_t three[] = { 1800000, 300000, 600000 };
	parley_stats_compute(three, 3, &s);
	assert_int_equal(three[0], 300000);
	assert_int_equal(s.median_ms, 600000); /* rank 2 */
	assert_int_equal(s.p90_ms, 1800000);   /* rank ceil(2.7) = 3 */

	/* ten values 1..10: median rank 5, p90 rank 9 */
	uint64_t ten[10];
	for (int i = 0; i < 10; i++)
		ten[i] = (uint64_t)(10 - i);
	parley_stats_compute(ten, 10, &s);
	assert_int_equal(s.median_ms, 5);
	assert_int_equal(s.p90_ms, 9);
	assert_int_equal(s.max_ms, 10);

	/* eleven values 1..11: median rank 6, p90 rank ceil(9.9) = 10 */
	uint64_t eleven[11];
	for (int i = 0; i < 11; i++)
		eleven[i] = (uint64_t)(i + 1);
	parley_stats_compute(eleven, 11, &s);
	assert_int_equal(s.median_ms, 6);
	assert_int_equal(s.p90_ms, 10);

	/* 100 values: p90 is the 90th, not an interpolation towards the 91st */
	uint64_t hundred[100];
	for (int i = 0; i < 100; i++)
		hundred[i] = (uint64_t)(i + 1) * 1000;
	parley_stats_compute(hundred, 100, &s);
	assert_int_equal(s.median_ms, 50000);
	assert_int_equal(s.p90_ms, 90000);
	assert_int_equal(parley_stats_rank(hundred, 100, 1000), 100000);
	assert_int_equal(parley_stats_rank(hundred, 100, 1), 1000);
	assert_int_equal(parley_stats_rank(hundred, 0, 500), 0);

	/* large durations do not overflow */
	uint64_t big[] = { UINT64_MAX - 1, UINT64_MAX };
	parley_stats_compute(big, 2, &s);
	assert_true(s.median_ms == UINT64_MAX - 1 && s.max_ms == UINT64_MAX);
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
	if (!parley_type_opens_thread(type) && type != PARLEY_T_PING && !(type == PARLEY_T_PSI_REQUEST && thread == 0)) {
		e.h.nrefs = 1;
		e.h.refs[0] = thread;
	}
	return e;
}

#define H 3600000ull
#define T0 (1798761600000ull + 24 * H) /* 2027-01-02, within the charter */

static void eval(parley_wf_entry *v, size_t n, bool attested, uint64_t from, uint64_t to, parley_report *r)
{
	parley_wf_input in = PARLEY_WF_INPUT_INIT;
	parley_workflow wf;
	bool cos[PARLEY_MAX_PARTIES] = { false };
	in.ch = ch;
	in.v = v;
	in.n = n;
	in.whole_log = true;
	if (attested) {
		in.cosigned_size[0] = in.cosigned_size[1] = n;
		cos[0] = cos[1] = true;
	}
	assert_int_equal(parley_workflow_eval(&in, &wf, NULL), PARLEY_OK);
	assert_int_equal(parley_report_collect(&in, &wf, from, to, n, cos, r, NULL), PARLEY_OK);
	parley_workflow_release(&wf);
}

static void test_figures(void **state)
{
	(void)state;
	parley_wf_entry v[16];
	size_t n = 0;
	parley_report r;

	v[n++] = E(0, T0, ka, kb, PARLEY_T_NOTIFICATION, 0);                /* met, met */
	v[n++] = E(1, T0 + H, kb, ka, PARLEY_T_ACK, 0);
	v[n++] = E(2, T0 + 3 * H, kb, ka, PARLEY_T_RESPONSE, 0);
	v[n++] = E(3, T0 + 4 * H, ka, kb, PARLEY_T_REQUEST_INFO, 0);        /* respond late by 2 h (ack by the response) */
	v[n++] = E(4, T0 + 5 * H, ka, kb, PARLEY_T_PING, 0);
	v[n++] = E(5, T0 + 5 * H + 1500, kb, ka, PARLEY_T_PING_RESPONSE, 4);
	v[n++] = E(6, T0 + 6 * H, kb, ka, PARLEY_T_NOTIFICATION, 0);        /* cert-a never answers: missed twice */
	v[n++] = E(7, T0 + 7 * H, ka, kb, PARLEY_T_ESCALATION, 3);
	v[n++] = E(8, T0 + 8 * H, kb, ka, PARLEY_T_PSI_REQUEST, 0);
	v[n++] = E(9, T0 + 8 * H + 10, ka, kb, PARLEY_T_PSI_REFUSAL, 8);
	v[n++] = E(10, T0 + 54 * H, kb, ka, PARLEY_T_RESPONSE, 3);          /* 50 h after the request */
	v[n++] = E(11, T0 + 100 * H, ka, kb, PARLEY_T_NOTIFICATION, 0);     /* a witness past every deadline */
	eval(v, n, true, 0, PARLEY_REPORT_OPEN_END, &r);

	assert_int_equal(r.nparties, 2);
	assert_string_equal(r.names[0], "cert-a");
	const parley_report_figures *a = &r.party[0], *b = &r.party[1];
	assert_int_equal(b->notifications, 2);
	assert_int_equal(b->requests, 1);
	assert_int_equal(b->obligations, 6);
	assert_int_equal(b->outcome[PARLEY_OUT_MET], 2);  /* thread 0 */
	assert_int_equal(b->outcome[PARLEY_OUT_LATE], 2); /* thread 3: acknowledged by the late response only */
	assert_int_equal(b->outcome[PARLEY_OUT_NOT_ESTABLISHED], 2); /* thread 11: the log ends before its deadlines */
	assert_int_equal(b->ack.n, 2);
	assert_int_equal(b->ack.median_ms, H);
	assert_int_equal(b->ack.max_ms, 50 * H);
	assert_int_equal(b->respond.n, 2);
	assert_int_equal(b->respond.median_ms, 3 * H);
	assert_int_equal(b->respond.p90_ms, 50 * H);
	assert_int_equal(b->pings, 1);
	assert_int_equal(b->pings_answered, 1);
	assert_int_equal(b->ping_rtt.median_ms, 1500);
	assert_int_equal(b->escalations, 1);
	assert_int_equal(a->notifications, 1);
	assert_int_equal(a->outcome[PARLEY_OUT_MISSED], 2);
	assert_int_equal(a->psi_requests, 1);
	assert_int_equal(a->psi_refused, 1);
	assert_int_equal(a->psi_answered, 0);
	assert_int_equal(a->ack.n, 0);
	/* two parties: each direction is the recipient's figures */
	assert_memory_equal(&r.dir[0 * 2 + 1], b, sizeof(*b));
	assert_memory_equal(&r.dir[1 * 2 + 0], a, sizeof(*a));
	parley_report_release(&r);

	/* not attested: nobody is blamed */
	eval(v, n, false, 0, PARLEY_REPORT_OPEN_END, &r);
	assert_int_equal(r.party[0].outcome[PARLEY_OUT_MISSED], 0);
	assert_int_equal(r.party[0].outcome[PARLEY_OUT_MISSED_UNCONFIRMED], 2);
	assert_int_equal(r.party[1].outcome[PARLEY_OUT_LATE], 0);
	parley_report_release(&r);

	/* a period: threads opened in it, their answers wherever they fall */
	eval(v, n, true, T0 + 4 * H, T0 + 6 * H, &r);
	assert_int_equal(r.party[1].requests, 1);
	assert_int_equal(r.party[1].notifications, 0);
	assert_int_equal(r.party[1].respond.n, 1);
	assert_int_equal(r.party[1].respond.median_ms, 50 * H);
	assert_int_equal(r.party[1].pings, 1);
	assert_int_equal(r.party[0].notifications, 0);
	assert_int_equal(r.first_ms, T0 + 4 * H);
	assert_int_equal(r.last_ms, T0 + 5 * H + 1500);
	parley_report_release(&r);
}

static void test_dates(void **state)
{
	(void)state;
	uint64_t ms = 0;
	assert_int_equal(parley_report_date("2026-10-01", false, &ms, NULL), PARLEY_OK);
	assert_int_equal(ms, 1790812800000ull);
	assert_int_equal(parley_report_date("2026-10-31", true, &ms, NULL), PARLEY_OK);
	assert_int_equal(ms, 1793491200000ull); /* 2026-11-01T00:00:00Z */
	assert_int_equal(parley_report_date("2026-10-01T12:00:00Z", true, &ms, NULL), PARLEY_OK);
	assert_int_equal(ms, 1790856000000ull);
	assert_int_equal(parley_report_date("2026-13-01", false, &ms, NULL), PARLEY_E_FORMAT);
	assert_int_equal(parley_report_date("yesterday", false, &ms, NULL), PARLEY_E_FORMAT);
	assert_int_equal(parley_report_date("", false, &ms, NULL), PARLEY_E_FORMAT);
	assert_int_equal(parley_report_date("2026-10-01T12:00:00Z and a very long tail to overflow", false, &ms, NULL),
		PARLEY_E_FORMAT);
}

static void test_html_escapes(void **state)
{
	(void)state;
	parley_wf_entry v[4];
	parley_report r;
	parley_buf out = PARLEY_BUF_INIT, txt = PARLEY_BUF_INIT;
	v[0] = E(0, T0, ka, kb, PARLEY_T_NOTIFICATION, 0);
	v[1] = E(1, T0 + H, kb, ka, PARLEY_T_ACK, 0);
	v[2] = E(2, T0 + 2 * H, ka, kb, PARLEY_T_PING, 0);
	v[3] = E(3, T0 + 2 * H + 10, kb, ka, PARLEY_T_PING_RESPONSE, 2);
	eval(v, 4, true, 0, PARLEY_REPORT_OPEN_END, &r);
	/* what a hostile party could choose */
	snprintf(r.title, sizeof(r.title), "<script>alert('t')</script>");
	snprintf(r.names[1], sizeof(r.names[1]), "<img src=x onerror=\"a&b\">");
	assert_int_equal(parley_report_html(&r, &out), PARLEY_OK);
	const char *h = (const char *)out.data;
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "<img"));
	assert_null(strstr(h, "onerror=\""));
	assert_non_null(strstr(h, "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;"));
	assert_non_null(strstr(h, "&lt;img src=x onerror=&quot;a&amp;b&quot;&gt;"));
	assert_non_null(strstr(h, "<svg"));
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, " href="));
	assert_int_equal(parley_report_text(&r, &txt), PARLEY_OK);
	assert_non_null(strstr((const char *)txt.data, "notifications received"));
	parley_buf_release(&out);
	parley_buf_release(&txt);
	parley_report_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_figures),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_html_escapes),
	};
	if (parley_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
