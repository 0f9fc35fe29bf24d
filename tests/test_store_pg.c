/*
 * test_store_pg.c - the PostgreSQL store against a real, throwaway server
 * (scripts/with-pg.sh starts it and sets PARLEY_PG_URI): the same appends,
 * proofs and checkpoints as the SQLite store, kept reads, tampering behind its
 * back, two writers that never assign one index twice, and a server restart.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "testutil.h"
#include "parley/store.h"

static const char *uri;
static uint8_t chan[32];

/* A fresh channel per test: the tests share one database. */
static int setup(void **state)
{
	static uint8_t n;
	(void)state;
	memset(chan, 0, sizeof(chan));
	chan[0] = 0xa0;
	chan[1] = ++n;
	chan[2] = (uint8_t)getpid();
	return 0;
}

static void item_bytes(uint64_t i, uint8_t *buf, size_t *len)
{
	*len = 10 + i % 50;
	for (size_t k = 0; k < *len; k++)
		buf[k] = (uint8_t)(i * 31 + k);
}

static parley_store *open_store(void)
{
	parley_store *s = NULL;
	parley_err err = { 0 };
	if (parley_store_open(uri, &s, &err))
		fail_msg("open %s: %s", uri, err.msg);
	assert_string_equal(parley_store_backend_name(s), "postgresql");
	return s;
}

static void append_n(parley_store *s, parley_merkle_mem *t, uint64_t from, uint64_t count, size_t batch)
{
	static uint8_t bufs[64][64];
	parley_store_item items[64];
	parley_err err = { 0 };
	uint64_t i = from;

	while (i < from + count) {
		size_t n = 0;
		for (; n < batch && i < from + count; n++, i++) {
			item_bytes(i, bufs[n], &items[n].len);
			items[n].data = bufs[n];
			items[n].integrated_ms = 1000 + i;
			uint8_t h[32];
			parley_store_leaf_hash(h, bufs[n], items[n].len, items[n].integrated_ms);
			assert_int_equal(parley_merkle_mem_append(t, h), PARLEY_OK);
		}
		uint64_t first;
		uint8_t root[32], want[32];
		if (parley_store_append(s, chan, items, n, &first, root, &err))
			fail_msg("append: %s", err.msg);
		assert_int_equal(first, i - n);
		parley_merkle_frontier_root(&t->f, want);
		assert_memory_equal(root, want, 32);
	}
}

static void test_append_and_proofs(void **state)
{
	(void)state;
	parley_store *s = open_store();
	parley_err err = { 0 };
	parley_merkle_mem t;
	parley_merkle_src src;
	parley_buf b = PARLEY_BUF_INIT;
	uint64_t size, ms;
	uint8_t root[32], want[32], p1[64][32], p2[64][32];
	size_t n1, n2;

	parley_merkle_mem_init(&t);
	src = parley_merkle_mem_src(&t);
	assert_int_equal(parley_store_size(s, chan, &size, &err), PARLEY_E_NOTFOUND);
	assert_int_equal(parley_store_channel_add(s, chan, (const uint8_t *)"charter", 7, &err), PARLEY_OK);
	assert_int_equal(parley_store_channel_add(s, chan, (const uint8_t *)"charter", 7, &err), PARLEY_OK);
	assert_int_equal(parley_store_channel_add(s, chan, (const uint8_t *)"other", 5, &err), PARLEY_E_USAGE);
	assert_int_equal(parley_store_channel_charter(s, chan, &b, &err), PARLEY_OK);
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.data, "charter", 7);

	append_n(s, &t, 0, 100, 7);
	assert_int_equal(parley_store_size(s, chan, &size, &err), PARLEY_OK);
	assert_int_equal(size, 100);
	for (uint64_t sz = 1; sz <= 100; sz += 9) {
		assert_int_equal(parley_store_root(s, chan, sz, root, &err), PARLEY_OK);
		assert_int_equal(parley_merkle_root(&src, sz, want, NULL), PARLEY_OK);
		assert_memory_equal(root, want, 32);
		for (uint64_t i = 0; i < sz; i += 5) {
			assert_int_equal(parley_store_inclusion(s, chan, i, sz, p1, &n1, &err), PARLEY_OK);
			assert_int_equal(parley_merkle_inclusion(&src, i, sz, p2, &n2, NULL), PARLEY_OK);
			assert_int_equal(n1, n2);
			assert_memory_equal(p1, p2, 32 * n1);
		}
		assert_int_equal(parley_store_consistency(s, chan, (sz + 1) / 2, 100, p1, &n1, &err), PARLEY_OK);
		assert_int_equal(parley_merkle_consistency(&src, (sz + 1) / 2, 100, p2, &n2, NULL), PARLEY_OK);
		assert_int_equal(n1, n2);
		assert_memory_equal(p1, p2, 32 * n1);
	}
	assert_int_equal(parley_store_entry(s, chan, 42, &b, &ms, &err), PARLEY_OK);
	assert_int_equal(ms, 1042);
	uint8_t exp[64];
	size_t explen;
	item_bytes(42, exp, &explen);
	assert_int_equal(b.len, explen);
	assert_memory_equal(b.data, exp, explen);
	assert_int_equal(parley_store_entry(s, chan, 100, &b, &ms, &err), PARLEY_E_NOTFOUND);
	assert_int_equal(parley_store_check(s, chan, &err), PARLEY_OK);
	parley_store_close(s);

	/* another connection carries on where the tree is; a scan longer than one page */
	s = open_store();
	append_n(s, &t, 100, 2437, 61);
	if (parley_store_check(s, chan, &err))
		fail_msg("check: %s", err.msg);
	parley_store_close(s);
	parley_merkle_mem_release(&t);
	parley_buf_release(&b);
}

static void test_checkpoints_cosigs_reads(void **state)
{
	(void)state;
	parley_store *s = open_store();
	parley_err err = { 0 };
	parley_buf b = PARLEY_BUF_INIT;
	uint64_t size, from;

	assert_int_equal(parley_store_channel_add(s, chan, (const uint8_t *)"c", 1, &err), PARLEY_OK);
	assert_int_equal(parley_store_checkpoint_get(s, chan, 0, &b, &size, &err), PARLEY_E_NOTFOUND);
	assert_int_equal(parley_store_checkpoint_put(s, chan, 10, "ten\n", 4, &err), PARLEY_OK);
	assert_int_equal(parley_store_checkpoint_put(s, chan, 20, "twenty\n", 7, &err), PARLEY_OK);
	assert_int_equal(parley_store_checkpoint_put(s, chan, 20, "twenty\n", 7, &err), PARLEY_OK);
	assert_int_equal(parley_store_checkpoint_get(s, chan, 0, &b, &size, &err), PARLEY_OK);
	assert_int_equal(size, 20);
	assert_memory_equal(b.data, "twenty\n", 7);
	assert_int_equal(parley_store_checkpoint_get(s, chan, 10, &b, &size, &err), PARLEY_OK);
	assert_memory_equal(b.data, "ten\n", 4);
	assert_int_equal(parley_store_cosig_put(s, chan, 20, "cert-b", "line b\n", &err), PARLEY_OK);
	assert_int_equal(parley_store_cosig_put(s, chan, 20, "cert-a", "line a\n", &err), PARLEY_OK);
	assert_int_equal(parley_store_cosig_put(s, chan, 20, "cert-a", "line a2\n", &err), PARLEY_OK);
	assert_int_equal(parley_store_cosig_put(s, chan, 20, "Cert-c", "line c\n", &err), PARLEY_OK);
	assert_int_equal(parley_store_cosigs(s, chan, 20, &b, &err), PARLEY_OK);
	assert_int_equal(parley_buf_add_u8(&b, 0), PARLEY_OK);
	assert_string_equal((char *)b.data, "line c\nline a2\nline b\n"); /* byte order, as SQLite */
	assert_int_equal(parley_store_checkpoint_find(s, chan, 11, NULL, &b, &size, &err), PARLEY_OK);
	assert_int_equal(size, 20);
	assert_int_equal(parley_store_checkpoint_find(s, chan, 5, "cert-a", &b, &size, &err), PARLEY_OK);
	assert_int_equal(size, 20);
	assert_int_equal(parley_store_checkpoint_find(s, chan, 5, "cert-z", &b, &size, &err), PARLEY_E_NOTFOUND);
	assert_int_equal(parley_store_checkpoint_find(s, chan, 21, NULL, &b, &size, &err), PARLEY_E_NOTFOUND);

	/* kept reads increase with from per member */
	parley_signed_read rd[3], got;
	memset(rd, 0, sizeof(rd));
	for (int i = 0; i < 3; i++) {
		memcpy(rd[i].keyid, "\x01\x02\x03\x04", 4);
		rd[i].time_ms = 5000 + (uint64_t)i;
		snprintf(rd[i].target, sizeof(rd[i].target), "/v1/x?from=%d", i);
		snprintf(rd[i].nonce, sizeof(rd[i].nonce), "n%d", i);
		snprintf(rd[i].sig, sizeof(rd[i].sig), "s%d", i);
	}
	rd[0].from = 5;
	rd[1].from = 3; /* not above 5: skipped */
	rd[2].from = 9;
	assert_int_equal(parley_store_read_latest(s, chan, rd[0].keyid, &from, &err), PARLEY_OK);
	assert_int_equal(from, 0);
	assert_int_equal(parley_store_reads_put(s, chan, rd, 3, &err), PARLEY_OK);
	assert_int_equal(parley_store_read_latest(s, chan, rd[0].keyid, &from, &err), PARLEY_OK);
	assert_int_equal(from, 9);
	assert_int_equal(parley_store_read_past(s, chan, rd[0].keyid, 0, &got, &err), PARLEY_OK);
	assert_int_equal(got.from, 5);
	assert_string_equal(got.nonce, "n0");
	assert_int_equal(parley_store_read_past(s, chan, rd[0].keyid, 5, &got, &err), PARLEY_OK);
	assert_int_equal(got.from, 9);
	assert_int_equal(got.time_ms, 5002);
	assert_string_equal(got.target, "/v1/x?from=2");
	assert_int_equal(parley_store_read_past(s, chan, rd[0].keyid, 9, &got, &err), PARLEY_E_NOTFOUND);
	parley_store_close(s);
	parley_buf_release(&b);
}

/* psql against the test database */
static void psql(const char *q)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "\"${PG_BIN:+$PG_BIN/}psql\" -q -v ON_ERROR_STOP=1 -d \"%s\" -c \"%s\" >/dev/null", uri, q);
	if (system(cmd) != 0)
		fail_msg("psql: %s", q);
}

static void test_tampering_behind_its_back(void **state)
{
	(void)state;
	parley_store *s = open_store();
	parley_merkle_mem t;
	parley_err err = { 0 };
	char q[512], c[160];

	parley_merkle_mem_init(&t);
	assert_int_equal(parley_store_channel_add(s, chan, (const uint8_t *)"c", 1, &err), PARLEY_OK);
	append_n(s, &t, 0, 40, 9);
	parley_store_close(s);
	parley_merkle_mem_release(&t);
	char hex[65];
	parley_hex(hex, chan, 32);
	snprintf(c, sizeof(c), "(SELECT cid FROM channels WHERE id = decode('%s', 'hex'))", hex);
	static const struct {
		const char *fmt, *undo, *needle;
	} cases[] = {
		{ "UPDATE entries SET data = decode('00', 'hex') || data WHERE idx = 17",
			"UPDATE entries SET data = substring(data from 2) WHERE idx = 17",
			"tree node (0, 17) does not match" },
		{ "UPDATE nodes SET hash = decode('00', 'hex') WHERE level = 2 AND idx = 1", NULL,
			"tree node (2, 1) does not match" },
		{ "UPDATE channels SET size = size - 1 WHERE true", "UPDATE channels SET size = size + 1 WHERE true",
			"past the tree size" },
		{ "DELETE FROM entries WHERE idx = 30", NULL, "entry 30" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(q, sizeof(q), "%s AND cid = %s", cases[i].fmt, c);
		psql(q);
		s = open_store();
		assert_int_not_equal(parley_store_check(s, chan, &err), PARLEY_OK);
		if (!strstr(err.msg, cases[i].needle))
			fail_msg("'%s' lacks '%s'", err.msg, cases[i].needle);
		parley_store_close(s);
		if (cases[i].undo) {
			snprintf(q, sizeof(q), "%s AND cid = %s", cases[i].undo, c);
			psql(q);
		}
	}
}

/* Two writers (connections) appending to one channel at once, each taking the lock, reading the size, appending. */
struct writer {
	int who;
	int n;
	uint64_t *index; /* index[i] of its entry i */
	int retries;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	parley_store *s = open_store();
	parley_err err = { 0 };

	for (int i = 0; i < w->n; i++) {
		uint8_t data[16];
		uint64_t size, first;
		memset(data, 0, sizeof(data));
		data[0] = (uint8_t)w->who;
		data[1] = (uint8_t)i;
		data[2] = (uint8_t)(i >> 8);
		parley_store_item it = { data, sizeof(data), 7 };
		if (parley_store_lock(s, chan, &size, &err))
			fail_msg("lock: %s", err.msg);
		if (parley_store_append(s, chan, &it, 1, &first, NULL, &err))
			fail_msg("append under the lock: %s", err.msg);
		if (first != size)
			fail_msg("appended at %llu, locked at %llu", (unsigned long long)first, (unsigned long long)size);
		w->index[i] = first;
		/* without the lock, on a stale tree: refused, then right after a reload */
		if (i % 10 == 5) {
			while (parley_store_append(s, chan, &it, 0, &first, NULL, &err) == PARLEY_OK)
				;
		}
	}
	parley_store_close(s);
	return NULL;
}

static void test_two_writers(void **state)
{
	(void)state;
	enum { PER = 150 };
	parley_store *s = open_store();
	parley_err err = { 0 };
	struct writer w[2];
	pthread_t th[2];
	uint64_t idx[2][PER], size;
	parley_buf b = PARLEY_BUF_INIT;
	static uint8_t seen[2 * PER];

	assert_int_equal(parley_store_channel_add(s, chan, (const uint8_t *)"c", 1, &err), PARLEY_OK);
	for (int i = 0; i < 2; i++) {
		w[i] = (struct writer){ i, PER, idx[i], 0 };
		assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(parley_store_size(s, chan, &size, &err), PARLEY_OK);
	assert_int_equal(size, 2 * PER);
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < PER; j++) {
			assert_true(idx[i][j] < 2 * PER);
			assert_int_equal(seen[idx[i][j]], 0);
			seen[idx[i][j]] = 1;
			/* the entry at that index is the writer's */
			assert_int_equal(parley_store_entry(s, chan, idx[i][j], &b, NULL, &err), PARLEY_OK);
			assert_int_equal(b.data[0], i);
			assert_int_equal(b.data[1] | b.data[2] << 8, j);
		}
	if (parley_store_check(s, chan, &err))
		fail_msg("check: %s", err.msg);
	/* a stale handle's plain append is refused, and succeeds once it has read the new size */
	uint8_t d = 1;
	parley_store_item it = { &d, 1, 7 };
	uint64_t first;
	parley_store *other = open_store();
	assert_int_equal(parley_store_append(other, chan, &it, 1, &first, NULL, &err), PARLEY_OK);
	assert_int_equal(first, 2 * PER);
	assert_int_equal(parley_store_append(s, chan, &it, 1, &first, NULL, &err), PARLEY_OK);
	assert_int_equal(first, 2 * PER + 1);
	assert_int_equal(parley_store_append(other, chan, &it, 1, &first, NULL, &err), PARLEY_E_USAGE);
	assert_int_equal(parley_store_append(other, chan, &it, 1, &first, NULL, &err), PARLEY_OK);
	assert_int_equal(first, 2 * PER + 2);
	/* unlock gives the lock up without appending */
	assert_int_equal(parley_store_lock(s, chan, &size, &err), PARLEY_OK);
	assert_int_equal(size, 2 * PER + 3);
	assert_int_equal(parley_store_lock(s, chan, &size, &err), PARLEY_E_USAGE);
	parley_store_unlock(s);
	assert_int_equal(parley_store_append(other, chan, &it, 1, &first, NULL, &err), PARLEY_OK);
	if (parley_store_check(s, chan, &err))
		fail_msg("check: %s", err.msg);
	parley_store_close(other);
	parley_store_close(s);
	parley_buf_release(&b);
}

/* The server restarts under an open store: one call may fail, the next ones work on a new connection. */
static void test_server_restart(void **state)
{
	(void)state;
	parley_store *s = open_store();
	parley_err err = { 0 };
	parley_merkle_mem t;
	uint64_t size;
	char cmd[512];
	const char *dir = getenv("PARLEY_PG_DIR"), *src = getenv("SRCDIR");

	if (!dir || !src)
		fail_msg("PARLEY_PG_DIR and SRCDIR must be set (run under scripts/with-pg.sh)");
	parley_merkle_mem_init(&t);
	assert_int_equal(parley_store_channel_add(s, chan, (const uint8_t *)"c", 1, &err), PARLEY_OK);
	append_n(s, &t, 0, 10, 3);
	snprintf(cmd, sizeof(cmd), ". \"%s/scripts/pg-lib.sh\" && pg_restart \"%s\" immediate", src, dir);
	assert_int_equal(system(cmd), 0);
	/* reads retry on a new connection */
	if (parley_store_size(s, chan, &size, &err))
		fail_msg("size after a restart: %s", err.msg);
	assert_int_equal(size, 10);
	append_n(s, &t, 10, 10, 3);
	/* a restart between lock and append: the append fails, nothing is stored, the next lock works */
	assert_int_equal(parley_store_lock(s, chan, &size, &err), PARLEY_OK);
	assert_int_equal(system(cmd), 0);
	uint8_t d = 1;
	parley_store_item it = { &d, 1, 7 };
	assert_int_not_equal(parley_store_append(s, chan, &it, 1, NULL, NULL, &err), PARLEY_OK);
	assert_int_equal(parley_store_lock(s, chan, &size, &err), PARLEY_OK);
	assert_int_equal(size, 20);
	parley_store_unlock(s);
	append_n(s, &t, 20, 5, 2);
	if (parley_store_check(s, chan, &err))
		fail_msg("check: %s", err.msg);
	parley_store_close(s);
	parley_merkle_mem_release(&t);
}

static void test_open_refusals(void **state)
{
	(void)state;
	parley_store *s = NULL;
	parley_err err = { 0 };

	assert_int_equal(parley_store_open("postgresql://someone:hunter2@127.0.0.1:1/nodb?connect_timeout=2", &s, &err),
		PARLEY_E_IO);
	assert_non_null(strstr(err.msg, "cannot connect"));
	assert_null(strstr(err.msg, "hunter2"));
	assert_true(parley_store_spec_is_pg("postgres://x/y"));
	assert_false(parley_store_spec_is_pg("relay.db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_append_and_proofs, setup),
		cmocka_unit_test_setup(test_checkpoints_cosigs_reads, setup),
		cmocka_unit_test_setup(test_tampering_behind_its_back, setup),
		cmocka_unit_test_setup(test_two_writers, setup),
		cmocka_unit_test_setup(test_server_restart, setup),
		cmocka_unit_test(test_open_refusals),
	};
	if (!(uri = getenv("PARLEY_PG_URI"))) {
		fprintf(stderr, "test_store_pg: PARLEY_PG_URI is not set (run it under scripts/with-pg.sh)\n");
		return 1;
	}
	if (parley_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
