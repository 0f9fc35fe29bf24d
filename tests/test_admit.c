/* test_admit.c - the charter validity and wind-down rule (parley_admit_validity) on synthetic logs. */
#include <stdlib.h>
#include "testutil.h"
#include "parley/admit.h"

#define FROM_MS (1798761600ULL * 1000)  /* tu_charter: 2027-01-01 */
#define UNTIL_MS (1830297600ULL * 1000) /* 2028-01-01 */
#define HOUR (3600ULL * 1000)

static parley_seckey *ka, *kb;
static parley_charter *ch;

/* the log the lookups see: index -> header and integration time */
static parley_entry_hdr log_h[8];
static uint64_t log_ms[8];
static size_t log_n;
static unsigned lookups;

static parley_code lookup(void *ctx, uint64_t index, parley_entry_hdr *h, uint64_t *ms, parley_err *err)
{
	(void)ctx;
	lookups++;
	if (index >= log_n)
		return parley_fail(err, PARLEY_E_NOTFOUND, "no entry %llu", (unsigned long long)index);
	*h = log_h[index];
	*ms = log_ms[index];
	return PARLEY_OK;
}

static parley_entry_hdr H(uint8_t type, uint64_t thread, uint64_t ref)
{
	parley_entry_hdr h;
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.thread = thread;
	if (type != PARLEY_T_NOTIFICATION && type != PARLEY_T_PING) {
		h.nrefs = 1;
		h.refs[0] = ref;
	}
	return h;
}

static void put(uint8_t type, uint64_t thread, uint64_t ref, uint64_t ms)
{
	log_h[log_n] = H(type, thread, ref);
	log_ms[log_n++] = ms;
}

static parley_code admit(uint8_t type, uint64_t thread, uint64_t ref, uint64_t ms, parley_err *err)
{
	parley_entry_hdr h = H(type, thread, ref);
	return parley_admit_validity(ch, &h, log_n, ms, lookup, NULL, err);
}

static int setup(void **state)
{
	(void)state;
	ka = tu_key("cert-a", 1);
	kb = tu_key("cert-b", 2);
	ch = tu_charter(ka, kb); /* acknowledge 2 h, respond 48 h for the thread-opening types */
	/* 0: a notification an hour before the end; 1: a ping just before it; 2: a response in thread 0 */
	log_n = 0;
	put(PARLEY_T_NOTIFICATION, 0, 0, UNTIL_MS - HOUR);
	put(PARLEY_T_PING, 0, 0, UNTIL_MS - 1);
	put(PARLEY_T_RESPONSE, 0, 0, UNTIL_MS - 1);
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

static void inside_the_window(void **state)
{
	(void)state;
	lookups = 0;
	for (uint8_t t = 1; t <= PARLEY_TYPE_MAX; t++) {
		assert_int_equal(admit(t, 0, 0, FROM_MS, NULL), PARLEY_OK);
		assert_int_equal(admit(t, 0, 0, UNTIL_MS - 1, NULL), PARLEY_OK);
	}
	assert_int_equal(lookups, 0); /* nothing is read while the charter is valid */
}

static void before_valid_from(void **state)
{
	parley_err err = { 0 };
	(void)state;
	assert_int_equal(admit(PARLEY_T_NOTIFICATION, 0, 0, FROM_MS - 1, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "before the charter is valid (from 2027-01-01T00:00:00Z)"));
	assert_int_equal(admit(PARLEY_T_RECEIPT, 0, 0, FROM_MS - 1, NULL), PARLEY_E_VERIFY);
}

static void no_new_threads_after(void **state)
{
	parley_err err = { 0 };
	(void)state;
	const uint8_t opening[] = { PARLEY_T_NOTIFICATION, PARLEY_T_REQUEST_INFO, PARLEY_T_REQUEST_ASSIST,
		PARLEY_T_CONSULTATION, PARLEY_T_PING, PARLEY_T_PSI_REQUEST, PARLEY_T_PSI_RESPONSE, PARLEY_T_PSI_REFUSAL };
	for (size_t i = 0; i < sizeof(opening); i++)
		assert_int_equal(admit(opening[i], 0, 0, UNTIL_MS, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "the charter expired at 2028-01-01T00:00:00Z"));
}

static void answers_until_the_last_deadline(void **state)
{
	parley_err err = { 0 };
	(void)state;
	uint64_t last = UNTIL_MS - HOUR + 48 * HOUR; /* respond deadline of thread 0 */
	const uint8_t answers[] = { PARLEY_T_RECEIPT, PARLEY_T_ACK, PARLEY_T_RESPONSE, PARLEY_T_ESCALATION,
		PARLEY_T_CLOSE, PARLEY_T_DEADLINE_MISSED, PARLEY_T_UNREADABLE };
	for (size_t i = 0; i < sizeof(answers); i++) {
		assert_int_equal(admit(answers[i], 0, 0, UNTIL_MS, NULL), PARLEY_OK);
		assert_int_equal(admit(answers[i], 0, 0, last, NULL), PARLEY_OK);
	}
	assert_int_equal(admit(PARLEY_T_ACK, 0, 0, last + 1, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "thread 0 wound down at"));
	/* a deadline-missed entry may still record the last deadline for a while */
	assert_int_equal(admit(PARLEY_T_DEADLINE_MISSED, 0, 0, last + 1, NULL), PARLEY_OK);
	assert_int_equal(admit(PARLEY_T_DEADLINE_MISSED, 0, 0, last + PARLEY_WINDDOWN_RECORD_MS + 1, NULL),
		PARLEY_E_VERIFY);
	/* a receipt of the response at 2 (thread field 0, reference 2) belongs to thread 0 */
	assert_int_equal(admit(PARLEY_T_RECEIPT, 0, 2, UNTIL_MS + HOUR, NULL), PARLEY_OK);
}

static void threads_without_deadline_end_with_the_charter(void **state)
{
	parley_err err = { 0 };
	(void)state;
	assert_int_equal(admit(PARLEY_T_PING_RESPONSE, 1, 1, UNTIL_MS, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "has no deadline"));
	assert_int_equal(admit(PARLEY_T_PING_RESPONSE, 1, 1, UNTIL_MS - 1, NULL), PARLEY_OK);
}

static void bad_references(void **state)
{
	parley_err err = { 0 };
	(void)state;
	/* a thread that does not exist, or a later one */
	assert_int_equal(admit(PARLEY_T_ACK, 7, 7, UNTIL_MS, &err), PARLEY_E_VERIFY);
	/* an acknowledgement naming the response at 2 as its thread: not a thread */
	assert_int_equal(admit(PARLEY_T_ACK, 2, 2, UNTIL_MS, &err), PARLEY_E_VERIFY);
	/* a thread opened after the end (a lying relay): nothing in it counts */
	log_h[3] = H(PARLEY_T_NOTIFICATION, 0, 0);
	log_ms[3] = UNTIL_MS + 1;
	log_n = 4;
	assert_int_equal(admit(PARLEY_T_RECEIPT, 3, 3, UNTIL_MS + 2, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "opened after the charter expired"));
	log_n = 3;
}

int main(void)
{
	if (parley_init(NULL))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(inside_the_window),
		cmocka_unit_test(before_valid_from),
		cmocka_unit_test(no_new_threads_after),
		cmocka_unit_test(answers_until_the_last_deadline),
		cmocka_unit_test(threads_without_deadline_end_with_the_charter),
		cmocka_unit_test(bad_references),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
