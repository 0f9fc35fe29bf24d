/*
 * bench_relay.c - relay append throughput over HTTP on loopback with 1, 8 and 64 concurrent
 * clients (each a party with its own chain), beside the machine's Ed25519 verify rate: an
 * append costs the relay two verifies (the request's signature and the entry's).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "bench.h"
#include "parley/charter.h"
#include "parley/client.h"
#include "parley/entry.h"
#include "parley/relay.h"

#define PARTIES 64

static parley_seckey *keys[PARTIES], *relay_key;
static parley_charter *charter;
static char base[64], chan_hex[65];

struct client {
	int who;
	size_t n;
	parley_buf *entries;
	double *lat;
	int failures;
	double cpu; /* this client thread's CPU seconds while posting */
};

static double cpu_now(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const parley_err *err)
{
	fprintf(stderr, "bench relay: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

struct spin {
	double seconds;
	unsigned long n;
};

static void *verify_thread(void *arg)
{
	struct spin *s = arg;
	double t0 = bench_now();
	while (bench_now() - t0 < s->seconds)
		for (int i = 0; i < 100; i++, s->n++)
			bench_verify_one(NULL);
	return NULL;
}

/* Verifies per second with both cores busy (the machine's real bound, SMT or not). */
static double both_cores_verify(double seconds)
{
	struct spin s[2] = { { seconds, 0 }, { seconds, 0 } };
	pthread_t t[2];
	double t0 = bench_now();
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, verify_thread, &s[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return (double)(s[0].n + s[1].n) / (bench_now() - t0);
}

/* Pre-build a client's chain of entries (signing and sealing are the clients' cost, not the relay's). */
static void prebuild(struct client *c, uint64_t first_seq, const uint8_t prev[32])
{
	parley_entry_hdr h;
	uint8_t payload[200];
	parley_err err = { 0 };
	int to = (c->who + 1) % PARTIES;

	memset(&h, 0, sizeof(h));
	memcpy(h.channel, parley_charter_id(charter), 32);
	memcpy(h.sender, keys[c->who]->pub.keyid, 4);
	h.type = PARLEY_T_NOTIFICATION;
	memcpy(h.category, "bench", 6);
	h.nrecip = 1;
	memcpy(h.recip[0], keys[to]->pub.keyid, 4);
	memcpy(h.prev, prev, 32);
	randombytes_buf(payload, sizeof(payload));
	for (size_t i = 0; i < c->n; i++) {
		h.seq = first_seq + i;
		h.created_ms = parley_now_ms();
		parley_buf_init(&c->entries[i], 0);
		if (parley_entry_build(&h, (const uint8_t(*)[32])keys[to]->pub.seal_pk, payload, sizeof(payload),
			    keys[c->who], &c->entries[i], NULL, &err))
			die("build", &err);
		parley_entry_hash(c->entries[i].data, c->entries[i].len, h.prev);
	}
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	parley_client cl;
	parley_buf resp = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	char target[128];

	if (parley_client_init(&cl, base, keys[c->who], &err))
		die("client", &err);
	snprintf(target, sizeof(target), "/v1/channels/%s/entries", chan_hex);
	double cpu0 = cpu_now(CLOCK_THREAD_CPUTIME_ID);
	for (size_t i = 0; i < c->n; i++) {
		long status = 0;
		double t0 = bench_now();
		if (parley_client_do(&cl, "POST", target, "application/octet-stream", c->entries[i].data,
			    c->entries[i].len, &status, &resp, &err) || status != 201) {
			c->failures++;
			continue;
		}
		c->lat[i] = bench_now() - t0;
	}
	c->cpu = cpu_now(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	parley_client_release(&cl);
	parley_buf_release(&resp);
	return NULL;
}

struct health {
	size_t n;
	int fails;
};

static void *health_main(void *arg)
{
	struct health *h = arg;
	parley_client cl;
	parley_buf resp = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	if (parley_client_init(&cl, base, NULL, &err))
		die("client", &err);
	for (size_t i = 0; i < h->n; i++) {
		long status = 0;
		if (parley_client_do(&cl, "GET", "/v1/health", NULL, NULL, 0, &status, &resp, &err) || status != 200)
			h->fails++;
	}
	parley_client_release(&cl);
	parley_buf_release(&resp);
	return NULL;
}

/* Unsigned GET /v1/health round trips per second with k clients: what HTTP alone costs here. */
static double health_rate(int k, size_t per)
{
	struct health hs[PARTIES];
	pthread_t th[PARTIES];
	double t0 = bench_now();
	for (int i = 0; i < k; i++) {
		hs[i].n = per;
		hs[i].fails = 0;
		pthread_create(&th[i], NULL, health_main, &hs[i]);
	}
	for (int i = 0; i < k; i++)
		pthread_join(th[i], NULL);
	return (double)k * (double)per / (bench_now() - t0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One round: k clients post per_client entries each, continuing their chains. */
static double one_thread_verify;

static void round_of(int k, size_t per_client, uint64_t *seqs, uint8_t (*prevs)[32], double verify_rate)
{
	struct client cs[PARTIES];
	pthread_t th[PARTIES];
	double *all = calloc((size_t)k * per_client, sizeof(double));
	size_t nall = 0;
	int failures = 0;

	for (int i = 0; i < k; i++) {
		cs[i].who = i;
		cs[i].n = per_client;
		cs[i].entries = calloc(per_client, sizeof(parley_buf));
		cs[i].lat = calloc(per_client, sizeof(double));
		cs[i].failures = 0;
		prebuild(&cs[i], seqs[i] + 1, prevs[i]);
	}
	double t0 = bench_now(), p0 = cpu_now(CLOCK_PROCESS_CPUTIME_ID), clients_cpu = 0;
	for (int i = 0; i < k; i++)
		pthread_create(&th[i], NULL, client_main, &cs[i]);
	for (int i = 0; i < k; i++)
		pthread_join(th[i], NULL);
	double wall = bench_now() - t0, relay_cpu = cpu_now(CLOCK_PROCESS_CPUTIME_ID) - p0;
	for (int i = 0; i < k; i++)
		clients_cpu += cs[i].cpu;
	relay_cpu -= clients_cpu;
	for (int i = 0; i < k; i++) {
		failures += cs[i].failures;
		for (size_t j = 0; j < per_client; j++)
			if (cs[i].lat[j] > 0)
				all[nall++] = cs[i].lat[j];
		seqs[i] += per_client;
		parley_entry_hash(cs[i].entries[per_client - 1].data, cs[i].entries[per_client - 1].len, prevs[i]);
		for (size_t j = 0; j < per_client; j++)
			parley_buf_release(&cs[i].entries[j]);
		free(cs[i].entries);
		free(cs[i].lat);
	}
	if (failures) {
		fprintf(stderr, "bench relay: %d appends failed\n", failures);
		exit(1);
	}
	qsort(all, nall, sizeof(double), cmp_double);
	char name[96];
	snprintf(name, sizeof(name), "relay append, %2d clients (p50 %.2f ms, p99 %.2f ms)", k, all[nall / 2] * 1e3,
		all[(nall * 99) / 100] * 1e3);
	/* both cores verifying, two verifies per append */
	bench_report(name, (double)nall / wall, "entries/s", verify_rate / 2, "both cores' verifies / 2 per append");
	/* the clients run on the same two cores: what the relay itself spends per append */
	snprintf(name, sizeof(name), "  relay CPU per append, %2d clients (%.0f us)", k, relay_cpu / (double)nall * 1e6);
	bench_report(name, (double)nall / relay_cpu, "entries/cpu-s", one_thread_verify / 2, "one core's verifies / 2");
	free(all);
}

void bench_relay(void)
{
	char dir[] = "/tmp/parley-benchrelay-XXXXXX", db[128], cmd[160];
	parley_party parties[PARTIES];
	const char *cats[] = { "bench" };
	parley_charter_spec sp;
	parley_relay_config cfg;
	parley_relay *relay;
	parley_err err = { 0 };
	parley_buf cb = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	uint64_t seqs[PARTIES] = { 0 };
	uint8_t prevs[PARTIES][32];
	size_t per = getenv("PARLEY_BENCH_RELAY_N") ? strtoul(getenv("PARLEY_BENCH_RELAY_N"), NULL, 10) : 3000;

	memset(prevs, 0, sizeof(prevs));
	if (!mkdtemp(dir))
		die("mkdtemp", NULL);
	snprintf(db, sizeof(db), "%s/relay.db", dir);
	for (int i = 0; i < PARTIES; i++) {
		char name[16];
		snprintf(name, sizeof(name), "party-%02d", i);
		if (parley_seckey_generate(name, &keys[i], &err))
			die("key", &err);
		parties[i].key = keys[i]->pub;
		parties[i].role = PARLEY_ROLE_PARTY;
	}
	if (parley_seckey_generate("relay", &relay_key, &err))
		die("key", &err);
	double verify = bench_rate(bench_verify_one, NULL, bench_seconds());
	one_thread_verify = verify;
	bench_report("ed25519 verify (one thread)", verify, "ops/s", verify, "itself");
	double both = both_cores_verify(bench_seconds());
	bench_report("ed25519 verify (two threads)", both, "ops/s", 2 * verify, "2 x one thread");

	memset(&cfg, 0, sizeof(cfg));
	cfg.db = db;
	cfg.key = relay_key;
	cfg.host = "127.0.0.1";
	cfg.rate = -1;
	if (parley_relay_start(&cfg, &relay, &err))
		die("relay", &err);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", parley_relay_port(relay));

	memset(&sp, 0, sizeof(sp));
	sp.title = "bench";
	sp.parties = parties;
	sp.nparties = PARTIES;
	sp.relay_url = base;
	sp.relay = &relay_key->pub;
	sp.categories = cats;
	sp.ncategories = 1;
	sp.tlp = -1;
	if (parley_charter_new(&sp, &charter, &err))
		die("charter", &err);
	for (int i = 0; i < PARTIES; i++)
		if (parley_charter_sign(charter, keys[i], &err))
			die("sign", &err);
	if (parley_charter_write(charter, &cb, &err))
		die("write", &err);
	parley_hex(chan_hex, parley_charter_id(charter), 32);
	parley_client cl;
	long status = 0;
	if (parley_client_init(&cl, base, keys[0], &err) ||
		parley_client_do(&cl, "POST", "/v1/channels", "application/json", cb.data, cb.len, &status, &resp, &err) ||
		status != 201)
		die("open channel", &err);
	parley_client_release(&cl);

	double http = health_rate(64, per / 64 ? per / 64 : 1);
	bench_report("http round trip (GET /v1/health), 64 clients", http, "requests/s", http, "itself");
	round_of(1, per / 4 ? per / 4 : 1, seqs, prevs, both);
	round_of(8, per / 8 ? per / 8 : 1, seqs, prevs, both);
	round_of(64, per / 64 ? per / 64 : 1, seqs, prevs, both);

	parley_relay_stop(relay);
	for (int i = 0; i < PARTIES; i++)
		parley_seckey_free(keys[i]);
	parley_seckey_free(relay_key);
	parley_charter_free(charter);
	parley_buf_release(&cb);
	parley_buf_release(&resp);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		die("cleanup", NULL);
}
