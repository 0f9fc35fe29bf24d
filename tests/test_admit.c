/* test_admit.c - the charter validity and wind-down rule (parley_admit_validity) on synthetic logs. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "testutil.h"
#include "parley/admit.h"
#include "parley/receipt.h"
#include "parley/store.h"

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

/* ---- batched receipts (receipt.h): the one decoder and the admission rule ---- */

static parley_entry_hdr B(uint64_t size, const uint64_t *fl, unsigned n)
{
	parley_entry_hdr h;
	memset(&h, 0, sizeof(h));
	h.type = PARLEY_T_RECEIPT;
	h.nrefs = (uint8_t)(PARLEY_RECEIPT_BATCH_HEAD + 2 * n);
	h.refs[0] = PARLEY_RECEIPT_BATCH_TAG;
	h.refs[1] = size;
	h.refs[2] = 0x0102030405060708ull;
	h.refs[5] = 0xf1f2f3f4f5f6f7f8ull;
	for (unsigned k = 0; k < 2 * n; k++)
		h.refs[PARLEY_RECEIPT_BATCH_HEAD + k] = fl[k];
	return h;
}

/* the decoder: both forms, and every hostile shape of the batched one named */
static void receipt_covers(void **state)
{
	parley_receipt_cover c;
	parley_err err = { 0 };
	(void)state;

	/* form 1: one entry, below the receipt's own index; nothing otherwise (as before batching) */
	parley_entry_hdr h = H(PARLEY_T_RECEIPT, 0, 5);
	assert_int_equal(parley_receipt_covers(&h, 9, &c, &err), PARLEY_OK);
	assert_int_equal(c.form, 1);
	assert_int_equal(c.n, 1);
	assert_true(parley_receipt_cover_has(&c, 5));
	assert_false(parley_receipt_cover_has(&c, 4));
	assert_int_equal(parley_receipt_covers(&h, 5, &c, &err), PARLEY_OK);
	assert_int_equal(c.n, 0);
	h.nrefs = 0;
	assert_int_equal(parley_receipt_covers(&h, 9, &c, &err), PARLEY_OK);
	assert_int_equal(c.n, 0);
	h = H(PARLEY_T_ACK, 0, 5);
	assert_int_equal(parley_receipt_covers(&h, 9, &c, &err), PARLEY_E_USAGE);

	/* form 2: the tree, the root, the ranges */
	uint64_t ok[] = { 0, 3, 5, 5, 9, 11 };
	h = B(12, ok, 3);
	assert_int_equal(parley_receipt_covers(&h, 12, &c, &err), PARLEY_OK);
	assert_int_equal(c.form, 2);
	assert_int_equal(c.size, 12);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.root[0], 0x01);
	assert_int_equal(c.root[7], 0x08);
	assert_int_equal(c.root[24], 0xf1);
	assert_int_equal(c.root[31], 0xf8);
	for (uint64_t i = 0; i < 14; i++)
		assert_int_equal(parley_receipt_cover_has(&c, i), i <= 3 || i == 5 || (i >= 9 && i <= 11));
	/* the builder writes the same header */
	parley_entry_hdr h2;
	uint64_t f[3] = { 0, 5, 9 }, l[3] = { 3, 5, 11 };
	memset(&h2, 0, sizeof(h2));
	h2.type = PARLEY_T_RECEIPT;
	assert_int_equal(parley_receipt_batch_hdr(&h2, 12, c.root, f, l, 3, &err), PARLEY_OK);
	assert_memory_equal(h2.refs, h.refs, sizeof(h.refs[0]) * h.nrefs);
	assert_int_equal(h2.nrefs, h.nrefs);
	/* the builder refuses what the decoder refuses */
	uint64_t l2[3] = { 3, 5, 12 };
	assert_int_equal(parley_receipt_batch_hdr(&h2, 12, c.root, f, l2, 3, &err), PARLEY_E_USAGE);
	assert_int_equal(parley_receipt_batch_hdr(&h2, 12, c.root, f, l, 0, &err), PARLEY_E_USAGE);

	struct {
		uint64_t size, index;
		uint64_t fl[12];
		unsigned n;
		const char *why;
	} bad[] = {
		{ 12, 12, { 3, 2 }, 1, "runs backwards" },
		{ 12, 12, { 0, 3, 3, 5 }, 2, "overlaps or precedes" },
		{ 12, 12, { 0, 3, 2, 5 }, 2, "overlaps or precedes" },
		{ 12, 12, { 5, 6, 0, 3 }, 2, "overlaps or precedes" },     /* unsorted */
		{ 12, 12, { 0, 3, 4, 5 }, 2, "adjacent" },
		{ 12, 12, { 0, 12 }, 1, "beyond the tree of size 12" },     /* past its checkpoint */
		{ 12, 20, { 0, 15 }, 1, "beyond the tree of size 12" },
		{ 13, 12, { 0, 3 }, 1, "up to its own index 12" },          /* a tree past itself */
		{ 0, 12, { 0, 0 }, 1, "size 0" },
		{ 12, 12, { 0, UINT64_MAX - 1 }, 1, "beyond" },             /* a huge count: O(1) */
		{ 12, 12, { 0, 0, 2, 2, 4, 4, 6, 6, 8, 8 }, 5, NULL },     /* five ranges: fine */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h = B(bad[i].size, bad[i].fl, bad[i].n);
		parley_code rc = parley_receipt_covers(&h, bad[i].index, &c, &err);
		if (!bad[i].why) {
			assert_int_equal(rc, PARLEY_OK);
			continue;
		}
		if (rc != PARLEY_E_VERIFY || !strstr(err.msg, bad[i].why))
			fail_msg("case %zu: %d '%s', expected '%s'", i, rc, err.msg, bad[i].why);
		/* and the one admission rule refuses it, for the relay and for nodes */
		assert_int_equal(parley_admit_validity(ch, &h, bad[i].index, FROM_MS + HOUR, lookup, NULL, &err),
			PARLEY_E_VERIFY);
	}
	/* a thread, half a pair, no range */
	h = B(12, ok, 1);
	h.thread = 3;
	assert_int_equal(parley_receipt_covers(&h, 12, &c, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "names thread 3"));
	h = B(12, ok, 2);
	h.nrefs--;
	assert_int_equal(parley_receipt_covers(&h, 12, &c, &err), PARLEY_E_VERIFY);
	h = B(12, ok, 0);
	assert_int_equal(parley_receipt_covers(&h, 12, &c, &err), PARLEY_E_VERIFY);
	/* well formed: admitted inside the charter's window, refused in the wind-down (it is in no thread) */
	h = B(3, ok, 1);
	h.refs[PARLEY_RECEIPT_BATCH_HEAD + 1] = 2;
	assert_int_equal(parley_admit_validity(ch, &h, 3, FROM_MS + HOUR, lookup, NULL, &err), PARLEY_OK);
	assert_int_equal(parley_admit_validity(ch, &h, 3, UNTIL_MS + 1, lookup, NULL, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "belongs to no thread"));
}

/* the root rule against a real store: the tree the receipt names must be this log's */
static void receipt_root(void **state)
{
	char path[] = "/tmp/parley-admit-XXXXXX";
	int fd = mkstemp(path);
	parley_store *st;
	parley_err err = { 0 };
	uint8_t chan[32] = { 7 }, root[32];
	uint8_t data[10][4];
	parley_store_item it[10];
	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(parley_store_open(path, &st, &err), PARLEY_OK);
	assert_int_equal(parley_store_channel_add(st, chan, (const uint8_t *)"c", 1, &err), PARLEY_OK);
	for (int i = 0; i < 10; i++) {
		memcpy(data[i], "e\0\0", 3);
		data[i][3] = (uint8_t)i;
		it[i].data = data[i];
		it[i].len = 4;
		it[i].integrated_ms = FROM_MS + (uint64_t)i;
	}
	assert_int_equal(parley_store_append(st, chan, it, 10, NULL, NULL, &err), PARLEY_OK);
	assert_int_equal(parley_store_root(st, chan, 6, root, &err), PARLEY_OK);
	uint64_t fl[2] = { 0, 5 };
	uint64_t f = 0, l = 5;
	parley_entry_hdr h;
	memset(&h, 0, sizeof(h));
	h.type = PARLEY_T_RECEIPT;
	assert_int_equal(parley_receipt_batch_hdr(&h, 6, root, &f, &l, 1, &err), PARLEY_OK);
	assert_int_equal(parley_admit_receipt_root(st, chan, &h, 10, 10, &err), PARLEY_OK);
	/* another history: one bit of the root */
	h.refs[3] ^= 1;
	assert_int_equal(parley_admit_receipt_root(st, chan, &h, 10, 10, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "not this log's"));
	/* a tree the log has not committed */
	h = B(6, fl, 1);
	assert_int_equal(parley_admit_receipt_root(st, chan, &h, 10, 5, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "beyond the 5 entries committed"));
	/* form 1 and other types: nothing to check */
	h = H(PARLEY_T_RECEIPT, 0, 3);
	assert_int_equal(parley_admit_receipt_root(st, chan, &h, 10, 10, &err), PARLEY_OK);
	h = H(PARLEY_T_ACK, 0, 3);
	assert_int_equal(parley_admit_receipt_root(st, chan, &h, 10, 10, &err), PARLEY_OK);
	parley_store_close(st);
	unlink(path);
	char side[64];
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

/* docs/protocol.md §9: the header of a batched receipt, byte for byte */
static void batched_receipt_vector(void **state)
{
	static const char want[] =
		"50524c5901"
		"a61ca9f25e972bb7e65ed053d3c1cf8c813a9df56cd4d4b0229a6723867b3c5c"
		"849b579e"                                                         /* cert-b */
		"0000000000000001"
		"0000000000000000000000000000000000000000000000000000000000000000"
		"000001a2ce8bd400"
		"05"                                                               /* receipt */
		"0000000000000000"                                                 /* thread 0 */
		"0a"                                                               /* 10 references */
		"ffffffffffffffff"                                                 /* the batch tag */
		"000000000000000c"                                                 /* verified tree: 12 */
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" /* its root */
		"0000000000000000" "0000000000000003"                              /* entries 0..3 */
		"0000000000000005" "0000000000000009"                              /* entries 5..9 */
		"0869702d7468656674"
		"02"
		"010877cb86";                                                      /* to cert-a */
	uint8_t seed[32], root[32];
	parley_seckey *a = NULL, *b = NULL;
	parley_entry_hdr h;
	parley_entry e;
	parley_buf out = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	char hex[sizeof(want)];
	uint64_t f[2] = { 0, 5 }, l[2] = { 3, 9 };
	parley_receipt_cover c;
	(void)state;

	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(0x10 + i);
	assert_int_equal(parley_seckey_from_seed("cert-a", seed, &a, NULL), PARLEY_OK);
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(0x20 + i);
	assert_int_equal(parley_seckey_from_seed("cert-b", seed, &b, NULL), PARLEY_OK);
	memset(&h, 0, sizeof(h));
	assert_int_equal(parley_unhex(h.channel, 32, "a61ca9f25e972bb7e65ed053d3c1cf8c813a9df56cd4d4b0229a6723867b3c5c", 64),
		PARLEY_OK);
	memcpy(h.sender, b->pub.keyid, 4);
	h.seq = 1;
	h.created_ms = 1798761600000ULL;
	h.type = PARLEY_T_RECEIPT;
	parley_sha256(root, "", 0);
	assert_int_equal(parley_receipt_batch_hdr(&h, 12, root, f, l, 2, &err), PARLEY_OK);
	snprintf(h.category, sizeof(h.category), "%s", "ip-theft");
	h.tlp = PARLEY_TLP_AMBER;
	h.nrecip = 1;
	memcpy(h.recip[0], a->pub.keyid, 4);
	assert_int_equal(parley_entry_build(&h, (const uint8_t(*)[32]) & a->pub.seal_pk, (const uint8_t *)"{}", 2, b, &out,
				 NULL, &err),
		PARLEY_OK);
	assert_true(out.len > (sizeof(want) - 1) / 2);
	parley_hex(hex, out.data, (sizeof(want) - 1) / 2);
	assert_string_equal(hex, want);
	assert_int_equal(parley_entry_parse(out.data, out.len, &e, &err), PARLEY_OK);
	assert_int_equal(parley_receipt_covers(&e.h, 12, &c, &err), PARLEY_OK);
	assert_int_equal(c.n, 2);
	assert_memory_equal(c.root, root, 32);
	parley_buf_release(&out);
	parley_seckey_free(a);
	parley_seckey_free(b);
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
		cmocka_unit_test(receipt_covers),
		cmocka_unit_test(receipt_root),
		cmocka_unit_test(batched_receipt_vector),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
