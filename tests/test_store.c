/* test_store.c - the SQLite store: appends, proofs, reopen, checkpoints, tampering behind its back. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sqlite3.h>
#include "testutil.h"
#include "parley/store.h"

static char dir[64], path[128];
static const uint8_t chan[32] = { 1, 2, 3 };

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/parley-store-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/store.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static void item_bytes(uint64_t i, uint8_t *buf, size_t *len)
{
	*len = 10 + i % 50;
	for (size_t k = 0; k < *len; k++)
		buf[k] = (uint8_t)(i * 31 + k);
}

/* Append count entries in batches of batch; mirror them in an in-memory tree. */
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
	parley_store *s = NULL;
	parley_err err = { 0 };
	parley_merkle_mem t;
	parley_merkle_src src;
	parley_buf b = PARLEY_BUF_INIT;
	uint64_t size, ms;
	uint8_t root[32], want[32], p1[64][32], p2[64][32];
	size_t n1, n2;

	parley_merkle_mem_init(&t);
	src = parley_merkle_mem_src(&t);
	assert_int_equal(parley_store_open(path, &s, &err), PARLEY_OK);
	assert_int_equal(parley_store_size(s, chan, &size, &err), PARLEY_E_NOTFOUND);
	assert_int_equal(parley_store_channel_add(s, chan, (const uint8_t *)"charter", 7, &err), PARLEY_OK);
	assert_int_equal(parley_store_channel_add(s, chan, (const uint8_t *)"charter", 7, &err), PARLEY_OK);
	assert_int_equal(parley_store_channel_add(s, chan, (const uint8_t *)"other", 5, &err), PARLEY_E_USAGE);
	assert_int_equal(parley_store_channel_charter(s, chan, &b, &err), PARLEY_OK);
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

	/* reopen: the tree carries on where it was */
	assert_int_equal(parley_store_open(path, &s, &err), PARLEY_OK);
	append_n(s, &t, 100, 37, 5);
	assert_int_equal(parley_store_check(s, chan, &err), PARLEY_OK);
	parley_store_close(s);
	parley_merkle_mem_release(&t);
	parley_buf_release(&b);
}

static void test_checkpoints_and_cosigs(void **state)
{
	(void)state;
	parley_store *s = NULL;
	parley_err err = { 0 };
	parley_buf b = PARLEY_BUF_INIT;
	uint64_t size;

	assert_int_equal(parley_store_open(path, &s, &err), PARLEY_OK);
	assert_int_equal(parley_store_checkpoint_get(s, chan, 0, &b, &size, &err), PARLEY_E_NOTFOUND);
	assert_int_equal(parley_store_checkpoint_put(s, chan, 10, "ten\n", 4, &err), PARLEY_OK);
	assert_int_equal(parley_store_checkpoint_put(s, chan, 20, "twenty\n", 7, &err), PARLEY_OK);
	assert_int_equal(parley_store_checkpoint_get(s, chan, 0, &b, &size, &err), PARLEY_OK);
	assert_int_equal(size, 20);
	assert_memory_equal(b.data, "twenty\n", 7);
	assert_int_equal(parley_store_checkpoint_get(s, chan, 10, &b, &size, &err), PARLEY_OK);
	assert_memory_equal(b.data, "ten\n", 4);
	assert_int_equal(parley_store_cosig_put(s, chan, 20, "cert-b", "line b\n", &err), PARLEY_OK);
	assert_int_equal(parley_store_cosig_put(s, chan, 20, "cert-a", "line a\n", &err), PARLEY_OK);
	assert_int_equal(parley_store_cosig_put(s, chan, 20, "cert-a", "line a2\n", &err), PARLEY_OK);
	assert_int_equal(parley_store_cosigs(s, chan, 20, &b, &err), PARLEY_OK);
	assert_string_equal((char *)b.data, "line a2\nline b\n");
	parley_store_close(s);
	parley_buf_release(&b);
}

static void sql(const char *q)
{
	sqlite3 *db;
	char *msg = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", q, msg);
	sqlite3_close(db);
}

static void expect_check_fails(const char *needle)
{
	parley_store *s = NULL;
	parley_err err = { 0 };
	assert_int_equal(parley_store_open(path, &s, &err), PARLEY_OK);
	assert_int_not_equal(parley_store_check(s, chan, &err), PARLEY_OK);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' lacks '%s'", err.msg, needle);
	parley_store_close(s);
}

static void restore(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -f %s-wal %s-shm && cp %s/pristine.db %s", path, path, dir, path);
	assert_int_equal(system(cmd), 0);
}

static void test_tampering_behind_its_back(void **state)
{
	(void)state;
	char cmd[512];
	sql("PRAGMA wal_checkpoint(TRUNCATE)");
	snprintf(cmd, sizeof(cmd), "cp %s %s/pristine.db", path, dir);
	assert_int_equal(system(cmd), 0);

	static const struct {
		const char *sql, *needle;
	} cases[] = {
		{ "UPDATE entries SET data = x'00' || data WHERE idx = 17", "tree node (0, 17) does not match" },
		{ "UPDATE entries SET integrated_ms = integrated_ms + 1 WHERE idx = 5", "tree node (0, 5) does not match" },
		{ "DELETE FROM entries WHERE idx = 30", "entry 30" },
		{ "UPDATE entries SET idx = -1 WHERE idx = 3; UPDATE entries SET idx = 3 WHERE idx = 4;"
		  "UPDATE entries SET idx = 4 WHERE idx = -1",
			"tree node (0, 3) does not match" },
		{ "UPDATE nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 1", "tree node (2, 1) does not match" },
		{ "DELETE FROM nodes WHERE level = 1 AND idx = 0", "tree node (1, 0)" },
		{ "INSERT INTO entries SELECT cid, idx + 1, integrated_ms, data FROM entries WHERE idx = 136",
			"past the tree size" },
		{ "UPDATE channels SET size = size - 1", "past the tree size" },
		{ "UPDATE nodes SET hash = x'00' WHERE level = 0 AND idx = 9", "tree node (0, 9) does not match" },
		{ "INSERT INTO nodes VALUES (1, 9, 0, zeroblob(32))", "beyond the tree" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		restore();
		sql(cases[i].sql);
		expect_check_fails(cases[i].needle);
	}
	restore();
	parley_store *s = NULL;
	parley_err err = { 0 };
	assert_int_equal(parley_store_open(path, &s, &err), PARLEY_OK);
	assert_int_equal(parley_store_check(s, chan, &err), PARLEY_OK);
	parley_store_close(s);
}

static void test_open_refusals(void **state)
{
	(void)state;
	parley_store *s = NULL;
	parley_err err = { 0 };
	char p2[160];

	assert_int_equal(parley_store_open("mysql://localhost/x", &s, &err), PARLEY_E_USAGE);
	assert_int_equal(parley_store_open("/nonexistent-dir/x.db", &s, &err), PARLEY_E_IO);
	snprintf(p2, sizeof(p2), "%s/future.db", dir);
	assert_int_equal(parley_store_open(p2, &s, &err), PARLEY_OK);
	parley_store_close(s);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(p2, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE meta SET v = 99 WHERE k = 'schema_version'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(parley_store_open(p2, &s, &err), PARLEY_E_USAGE);
	assert_non_null(strstr(err.msg, "newer"));
	/* garbage in place of a database */
	snprintf(p2, sizeof(p2), "%s/garbage.db", dir);
	FILE *f = fopen(p2, "w");
	assert_non_null(f);
	for (int i = 0; i < 4096; i++)
		fputc('x', f);
	fclose(f);
	assert_int_equal(parley_store_open(p2, &s, &err), PARLEY_E_IO);
}


static parley_code count_state(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
	(void)key;
	(void)klen;
	(void)val;
	(void)vlen;
	(*(int *)ctx)++;
	return PARLEY_OK;
}

/* One transaction around entries, a checkpoint and node state: all of them or none. */
static void test_transactions_and_state(void **state)
{
	(void)state;
	parley_store *s;
	parley_buf b = PARLEY_BUF_INIT;
	uint8_t d[8] = { 7 }, root[32];
	parley_store_item it = { d, sizeof(d), 1 };
	uint64_t size = 9, first;
	int nk = 0;
	char p2[160];

	snprintf(p2, sizeof(p2), "%s/tx.db", dir);
	assert_int_equal(parley_store_open(p2, &s, NULL), PARLEY_OK);
	assert_int_equal(parley_store_channel_add(s, chan, (const uint8_t *)"c", 1, NULL), PARLEY_OK);
	/* rolled back: nothing stays, and the next append starts from the old size */
	assert_int_equal(parley_store_begin(s, NULL), PARLEY_OK);
	assert_int_equal(parley_store_begin(s, NULL), PARLEY_E_USAGE);
	assert_int_equal(parley_store_append(s, chan, &it, 1, &first, root, NULL), PARLEY_OK);
	assert_int_equal(parley_store_state_put(s, chan, (const uint8_t *)"k1", 2, (const uint8_t *)"v", 1, NULL), PARLEY_OK);
	assert_int_equal(parley_store_checkpoint_put(s, chan, 1, "note", 4, NULL), PARLEY_OK);
	assert_int_equal(parley_store_size(s, chan, &size, NULL), PARLEY_OK);
	assert_int_equal(size, 1); /* reads see the transaction */
	parley_store_rollback(s);
	assert_int_equal(parley_store_size(s, chan, &size, NULL), PARLEY_OK);
	assert_int_equal(size, 0);
	assert_int_equal(parley_store_state_get(s, chan, (const uint8_t *)"k1", 2, &b, NULL), PARLEY_E_NOTFOUND);
	assert_int_equal(parley_store_checkpoint_get(s, chan, 0, &b, NULL, NULL), PARLEY_E_NOTFOUND);
	/* committed: all three */
	assert_int_equal(parley_store_begin(s, NULL), PARLEY_OK);
	assert_int_equal(parley_store_append(s, chan, &it, 1, &first, root, NULL), PARLEY_OK);
	assert_int_equal(first, 0);
	assert_int_equal(parley_store_state_put(s, chan, (const uint8_t *)"k1", 2, (const uint8_t *)"v1", 2, NULL), PARLEY_OK);
	assert_int_equal(parley_store_state_put(s, chan, (const uint8_t *)"k2", 2, (const uint8_t *)"", 0, NULL), PARLEY_OK);
	assert_int_equal(parley_store_state_put(s, chan, (const uint8_t *)"m", 1, (const uint8_t *)"x", 1, NULL), PARLEY_OK);
	assert_int_equal(parley_store_checkpoint_put(s, chan, 1, "note", 4, NULL), PARLEY_OK);
	assert_int_equal(parley_store_commit(s, NULL), PARLEY_OK);
	assert_int_equal(parley_store_commit(s, NULL), PARLEY_E_USAGE);
	parley_store_close(s);
	assert_int_equal(parley_store_open(p2, &s, NULL), PARLEY_OK);
	assert_int_equal(parley_store_size(s, chan, &size, NULL), PARLEY_OK);
	assert_int_equal(size, 1);
	assert_int_equal(parley_store_check(s, chan, NULL), PARLEY_OK);
	assert_int_equal(parley_store_state_get(s, chan, (const uint8_t *)"k1", 2, &b, NULL), PARLEY_OK);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "v1", 2);
	/* a prefix scan: the two "k" keys, not "m" */
	assert_int_equal(parley_store_state_scan(s, chan, (const uint8_t *)"k", 1, count_state, &nk, NULL), PARLEY_OK);
	assert_int_equal(nk, 2);
	/* delete, clear */
	assert_int_equal(parley_store_state_put(s, chan, (const uint8_t *)"k1", 2, NULL, 0, NULL), PARLEY_OK);
	assert_int_equal(parley_store_state_get(s, chan, (const uint8_t *)"k1", 2, &b, NULL), PARLEY_E_NOTFOUND);
	assert_int_equal(parley_store_state_clear(s, chan, NULL), PARLEY_OK);
	nk = 0;
	assert_int_equal(parley_store_state_scan(s, chan, (const uint8_t *)"", 0, count_state, &nk, NULL), PARLEY_OK);
	assert_int_equal(nk, 0);
	/* bounds */
	uint8_t big[65] = { 0 };
	assert_int_equal(parley_store_state_put(s, chan, big, sizeof(big), (const uint8_t *)"v", 1, NULL), PARLEY_E_LIMIT);
	parley_store_close(s);
	parley_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_proofs),
		cmocka_unit_test(test_checkpoints_and_cosigs),
		cmocka_unit_test(test_tampering_behind_its_back),
		cmocka_unit_test(test_open_refusals),
		cmocka_unit_test(test_transactions_and_state),
	};
	if (parley_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
