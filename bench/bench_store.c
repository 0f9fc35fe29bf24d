/*
 * bench_store.c - the log in the SQLite store: appends, proofs and root recomputation at
 * PARLEY_BENCH_LOG_N entries (default 1M) of 1 KiB, beside SHA-256 and bare SQLite rates.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>
#include <sodium.h>
#include <sqlite3.h>

#include "bench.h"
#include "parley/merkle.h"
#include "parley/store.h"

#define ENTRY 1024
#define BATCH 1000

static uint8_t leafbuf[ENTRY + 9], digest[32];
static parley_store *store;
static uint8_t chan[32] = { 0xbe, 0x4c };
static uint64_t nlog;

static void h_sodium(void *c) { (void)c; leafbuf[1]++; crypto_hash_sha256(digest, leafbuf, sizeof(leafbuf)); }
static void h_libcrypto(void *c) { (void)c; leafbuf[1]++; SHA256(leafbuf, sizeof(leafbuf), digest); }

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "bench: %s failed\n", what);
		exit(1);
	}
}

/* Rows per second into a bare table with the store's durability settings and batch size. */
static double bare_insert_rate(const char *path, uint64_t rows)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	static uint8_t blob[ENTRY];
	double t0;

	randombytes_buf(blob, sizeof(blob));
	check(sqlite3_open(path, &db) == SQLITE_OK, "sqlite open");
	check(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			       "CREATE TABLE t(a INTEGER NOT NULL, b INTEGER NOT NULL, ms INTEGER, d BLOB, PRIMARY KEY(a, b))",
		      NULL, NULL, NULL) == SQLITE_OK,
		"sqlite schema");
	check(sqlite3_prepare_v2(db, "INSERT INTO t VALUES (1, ?1, ?1, ?2)", -1, &st, NULL) == SQLITE_OK, "prepare");
	t0 = bench_now();
	for (uint64_t i = 0; i < rows;) {
		sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		for (int k = 0; k < BATCH && i < rows; k++, i++) {
			sqlite3_bind_int64(st, 1, (sqlite3_int64)i);
			sqlite3_bind_blob(st, 2, blob, ENTRY, SQLITE_STATIC);
			check(sqlite3_step(st) == SQLITE_DONE, "insert");
			sqlite3_reset(st);
		}
		check(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK, "commit");
	}
	double rate = (double)rows / (bench_now() - t0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rate;
}

/* Random point lookups in the store's node table: what a proof's reads cost. */
static double node_lookup_rate(double seconds)
{
	uint8_t h[32];
	parley_err err;
	uint64_t n = 0;
	double t0 = bench_now();
	do {
		for (int k = 0; k < 1000; k++, n++) {
			uint64_t idx = randombytes_uniform((uint32_t)nlog);
			if (parley_store_node_get(store, chan, 0, idx, h, &err))
				exit(1);
		}
	} while (bench_now() - t0 < seconds);
	return (double)n / (bench_now() - t0);
}

static void proof_inclusion(void *c)
{
	uint8_t proof[64][32];
	size_t n;
	parley_err err;
	(void)c;
	if (parley_store_inclusion(store, chan, randombytes_uniform((uint32_t)nlog), nlog, proof, &n, &err))
		exit(1);
}

static void proof_consistency(void *c)
{
	uint8_t proof[64][32];
	size_t n;
	parley_err err;
	(void)c;
	if (parley_store_consistency(store, chan, 1 + randombytes_uniform((uint32_t)nlog - 1), nlog, proof, &n, &err))
		exit(1);
}

void bench_store(void)
{
	char dir[] = "/tmp/parley-bench-XXXXXX", path[128], bare[128], cmd[160];
	const char *env = getenv("PARLEY_BENCH_LOG_N");
	double s = bench_seconds();
	parley_err err = { 0 };
	static uint8_t bufs[BATCH][ENTRY];
	parley_store_item items[BATCH];

	nlog = env ? strtoull(env, NULL, 10) : 1000000;
	if (nlog < 2 * BATCH)
		nlog = 2 * BATCH;
	check(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(path, sizeof(path), "%s/log.db", dir);
	snprintf(bare, sizeof(bare), "%s/bare.db", dir);
	randombytes_buf(leafbuf, sizeof(leafbuf));

	double sodium_rate = bench_rate(h_sodium, NULL, s);
	double crypto_rate = bench_rate(h_libcrypto, NULL, s);
	bench_report("sha256 1KiB leaf (libsodium)", sodium_rate * (double)sizeof(leafbuf) / 1e6, "MB/s",
		crypto_rate * (double)sizeof(leafbuf) / 1e6, "libcrypto sha256");
	bench_report("sha256 1KiB leaf (libcrypto, used)", crypto_rate * (double)sizeof(leafbuf) / 1e6, "MB/s",
		crypto_rate * (double)sizeof(leafbuf) / 1e6, "itself");

	uint64_t bare_rows = nlog < 200000 ? nlog : 200000;
	double insert_rate = bare_insert_rate(bare, bare_rows);
	bench_report("sqlite bare insert 1KiB (batch 1000)", insert_rate, "rows/s", insert_rate, "itself");

	/* appends: the whole load, group-committed in batches */
	check(parley_store_open(path, &store, &err) == PARLEY_OK, "store open");
	check(parley_store_channel_add(store, chan, (const uint8_t *)"bench", 5, &err) == PARLEY_OK, "channel");
	for (int k = 0; k < BATCH; k++) {
		randombytes_buf(bufs[k], ENTRY);
		items[k].data = bufs[k];
		items[k].len = ENTRY;
	}
	double t0 = bench_now();
	for (uint64_t i = 0; i < nlog; i += BATCH) {
		uint64_t first;
		for (int k = 0; k < BATCH; k++) {
			bufs[k][0] = (uint8_t)i; /* distinct leaves */
			bufs[k][1] = (uint8_t)(i >> 8);
			items[k].integrated_ms = i + (uint64_t)k;
		}
		check(parley_store_append(store, chan, items, BATCH, &first, NULL, &err) == PARLEY_OK, "append");
	}
	double append_rate = (double)nlog / (bench_now() - t0);
	double limit = 1.0 / (1.0 / crypto_rate + 1.0 / insert_rate);
	char name[96];
	snprintf(name, sizeof(name), "store append 1KiB x %llu (batch %d)", (unsigned long long)nlog, BATCH);
	bench_report(name, append_rate, "entries/s", limit, "1/(1/sha256 + 1/bare insert)");

	/* proofs at full size: reads of stored nodes */
	double lookups = node_lookup_rate(s / 2);
	double reads = log2((double)nlog); /* a proof reads at least log2 n stored nodes */
	double inc = bench_rate(proof_inclusion, NULL, s), con = bench_rate(proof_consistency, NULL, s);
	snprintf(name, sizeof(name), "inclusion proof @%llu (%.1f us)", (unsigned long long)nlog, 1e6 / inc);
	bench_report(name, inc, "proofs/s", lookups / reads, "node lookups / log2 n");
	snprintf(name, sizeof(name), "consistency proof @%llu (%.1f us)", (unsigned long long)nlog, 1e6 / con);
	bench_report(name, con, "proofs/s", lookups / reads, "node lookups / log2 n");

	/* recomputing the root from every stored leaf (what parley_store_check does, plus node reads) */
	t0 = bench_now();
	check(parley_store_check(store, chan, &err) == PARLEY_OK, "store check");
	double check_rate = (double)nlog / (bench_now() - t0);
	bench_report("recompute tree from stored leaves", check_rate, "leaves/s", crypto_rate, "sha256 of the leaves");

	parley_store_close(store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	check(system(cmd) == 0, "cleanup");
}
