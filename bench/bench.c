/* bench.c - parley-bench: runs every section, prints a table, writes a JSON list of figures. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "bench.h"
#include "parley/util.h"

static json_t *results;
static uint8_t verify_pk[32], verify_msg[256], verify_sig[64];

void bench_verify_one(void *ctx)
{
	(void)ctx;
	if (crypto_sign_verify_detached(verify_sig, verify_msg, sizeof(verify_msg), verify_pk))
		abort();
}

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_seconds(void)
{
	const char *s = getenv("PARLEY_BENCH_SECONDS");
	double v = s ? strtod(s, NULL) : 0.5;
	return v > 0 ? v : 0.5;
}

/* One timed round: calls per second over at least `seconds`. */
static double round_rate(void (*fn)(void *), void *ctx, double seconds)
{
	unsigned long n = 1, total = 0;
	double start = bench_now(), t;

	for (;;) {
		for (unsigned long i = 0; i < n; i++)
			fn(ctx);
		total += n;
		t = bench_now() - start;
		if (t >= seconds)
			break;
		if (t < seconds / 8)
			n *= 2;
	}
	return (double)total / t;
}

/*
 * The best of five rounds: these machines are shared and noisy, and a slow
 * round measures the neighbours, not the code. Limits are measured the same
 * way, so ratios compare like with like.
 */
double bench_rate(void (*fn)(void *), void *ctx, double seconds)
{
	double best = 0;
	fn(ctx); /* warm up */
	for (int r = 0; r < 5; r++) {
		double v = round_rate(fn, ctx, seconds / 5);
		if (v > best)
			best = v;
	}
	return best;
}

void bench_report(const char *name, double value, const char *unit, double limit, const char *limit_what)
{
	double ratio = limit > 0 ? value / limit : 0;
	printf("%-34s %14.1f %-10s %14.1f  %6.3f  %s\n", name, value, unit, limit, ratio, limit_what);
	fflush(stdout);
	json_array_append_new(results, json_pack("{s:s, s:f, s:s, s:f, s:f, s:s}", "name", name, "value", value,
		"unit", unit, "limit", limit, "ratio", ratio, "limit_is", limit_what));
}

int main(int argc, char **argv)
{
	const char *json_path = NULL, *only = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
			json_path = argv[++i];
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr, "usage: parley-bench [--json FILE] [--only SECTION]\n"
					"sections: entry, store, relay, node, daemon, psi (nodestate: the node's\n"
					"  incremental state alone, also part of node)\n"
					"PARLEY_BENCH_LOG_N sets the log size of the store section (default 1000000)\n"
					"PARLEY_BENCH_RELAY_N sets the appends per relay round (default 3000)\n"
					"PARLEY_BENCH_NODE_N sets the entries of the node section (default 100000)\n"
					"PARLEY_BENCH_NODE_BIG=1 adds a replica of 1,000,000 entries to the node state figures\n"
					"PARLEY_BENCH_DAEMON_N sets the notifications of the daemon section (default 200);\n"
					"  PARLEY names the parley binary it runs (default ../parley beside parley-bench)\n"
					"PARLEY_BENCH_PSI_SIZES sets the PSI set sizes (default 10000,100000,1000000)\n"
					"PARLEY_BENCH_SECONDS sets the time per measurement (default 0.5)\n");
			return 2;
		}
	}
	if (parley_init(NULL))
		return 1;
	{
		uint8_t sk[64];
		crypto_sign_keypair(verify_pk, sk);
		randombytes_buf(verify_msg, sizeof(verify_msg));
		crypto_sign_detached(verify_sig, NULL, verify_msg, sizeof(verify_msg), sk);
		sodium_memzero(sk, sizeof(sk));
	}
	results = json_array();
	printf("%-34s %14s %-10s %14s  %6s  %s\n", "figure", "value", "unit", "limit", "ratio", "limit is");
	if (!only || strcmp(only, "entry") == 0)
		bench_entry();
	if (!only || strcmp(only, "store") == 0)
		bench_store();
	if (!only || strcmp(only, "relay") == 0)
		bench_relay();
	if (!only || strcmp(only, "node") == 0)
		bench_node();
	if (!only || strcmp(only, "node") == 0 || strcmp(only, "nodestate") == 0)
		bench_node_state();
	if (!only || strcmp(only, "daemon") == 0)
		bench_daemon();
	if (!only || strcmp(only, "psi") == 0)
		bench_psi();
	if (json_path && json_dump_file(results, json_path, JSON_INDENT(2)) != 0) {
		fprintf(stderr, "parley-bench: cannot write %s\n", json_path);
		return 1;
	}
	if (json_path)
		printf("wrote %s\n", json_path);
	json_decref(results);
	return 0;
}
