/*
 * bench_relay.c - relay append throughput over HTTP on loopback with 1, 8 and 64 concurrent
 * clients (each a party with its own chain), beside the machine's Ed25519 verify rate: an
 * append costs the relay two verifies (the request's signature and the entry's). Then, when
 * PARLEY_PG_URI names a PostgreSQL database (make bench starts a throwaway server), the same
 * 64 clients against a relay on PostgreSQL in this process, and against two 'parley serve'
 * processes sharing the database, the clients alternating between them.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "bench.h"
#include "parley/charter.h"
#include "parley/client.h"
#include "parley/entry.h"
#include "parley/relay.h"
#include "parley/remote.h"

#define PARTIES 64

static parley_seckey *keys[PARTIES], *relay_key;
static parley_charter *charter;
static char base[64], chan_hex[65];
/* where client i posts: urls[i % nurls] (the in-process relay's base by default) */
static const char *urls[2] = { base, NULL };
static int nurls = 1;

struct client {
	int who;
	size_t n;
	parley_buf *entries;
	double *lat;
	int failures;
	double cpu; /* this client thread's CPU seconds while posting */
};

/* Entries per request in a round: 0 posts them one by one, more in batches (docs/api.md). */
static size_t batch_of;
static const char *batch_label = "";

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

	if (parley_client_init(&cl, urls[c->who % nurls], keys[c->who], &err))
		die("client", &err);
	snprintf(target, sizeof(target), "/v1/channels/%s/entries", chan_hex);
	double cpu0 = cpu_now(CLOCK_THREAD_CPUTIME_ID);
	if (batch_of > 1) {
		const uint8_t **ptrs = calloc(batch_of, sizeof(*ptrs));
		size_t *lens = calloc(batch_of, sizeof(*lens));
		uint64_t *idx = calloc(batch_of, sizeof(*idx));
		for (size_t i = 0; ptrs && lens && idx && i < c->n; i += batch_of) {
			size_t m = c->n - i < batch_of ? c->n - i : batch_of;
			for (size_t k = 0; k < m; k++) {
				ptrs[k] = c->entries[i + k].data;
				lens[k] = c->entries[i + k].len;
			}
			double t0 = bench_now();
			if (parley_remote_append_batch(&cl, chan_hex, ptrs, lens, m, idx, NULL, NULL, &err)) {
				c->failures += (int)m;
				continue;
			}
			for (size_t k = 0; k < m; k++)
				c->lat[i + k] = bench_now() - t0;
		}
		free(ptrs);
		free(lens);
		free(idx);
		c->n = 0; /* posted */
	}
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

/* CPU seconds of process pid and its waited-for children (utime + stime), or 0. */
static double proc_cpu(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long ut = 0, st = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *p = strrchr(buf, ')');
	/* after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The PostgreSQL server's CPU seconds: its postmaster (PARLEY_PG_DIR/data/postmaster.pid) and children. */
static double pg_server_cpu(void)
{
	char cmd[600], line[64];
	const char *dir = getenv("PARLEY_PG_DIR");
	double sum = 0;
	int pid;
	if (!dir)
		return 0;
	snprintf(cmd, sizeof(cmd), "pm=$(head -n 1 '%s/data/postmaster.pid') && echo $pm && pgrep -P $pm", dir);
	FILE *p = popen(cmd, "r");
	if (!p)
		return 0;
	while (fgets(line, sizeof(line), p))
		if ((pid = atoi(line)) > 0)
			sum += proc_cpu(pid);
	pclose(p);
	return sum;
}

/* the relay processes of a round against 'parley serve' children (their CPU is read from /proc) */
static pid_t ext_pids[2];
static int next;
static const char *round_label = "";

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
	double ext0 = 0, pg0 = *round_label ? pg_server_cpu() : 0;
	for (int i = 0; i < next; i++)
		ext0 += proc_cpu(ext_pids[i]);
	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	double t0 = bench_now(), p0 = cpu_now(CLOCK_PROCESS_CPUTIME_ID), clients_cpu = 0;
	for (int i = 0; i < k; i++)
		pthread_create(&th[i], NULL, client_main, &cs[i]);
	for (int i = 0; i < k; i++)
		pthread_join(th[i], NULL);
	double wall = bench_now() - t0, relay_cpu = cpu_now(CLOCK_PROCESS_CPUTIME_ID) - p0;
	getrusage(RUSAGE_SELF, &ru1);
	/* threads' voluntary context switches (relay and clients when in this process): wake-ups per append */
	double csw = (double)(ru1.ru_nvcsw - ru0.ru_nvcsw);
	double ext1 = 0, pg_cpu = *round_label ? pg_server_cpu() - pg0 : 0;
	for (int i = 0; i < next; i++)
		ext1 += proc_cpu(ext_pids[i]);
	for (int i = 0; i < k; i++)
		clients_cpu += cs[i].cpu;
	relay_cpu -= clients_cpu;
	if (next)
		relay_cpu = ext1 - ext0; /* the relays are other processes: this one only ran the clients */
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
	char name[160];
	snprintf(name, sizeof(name), "relay append, %2d clients%s%s (p50 %.2f ms, p99 %.2f ms)", k, round_label,
		batch_label, all[nall / 2] * 1e3, all[(nall * 99) / 100] * 1e3);
	/* both cores verifying, two verifies per append */
	bench_report(name, (double)nall / wall, "entries/s", verify_rate / 2, "both cores' verifies / 2 per append");
	/* the clients run on the same two cores: what the relay itself spends per append */
	snprintf(name, sizeof(name), "  relay CPU per append, %2d clients%s%s (%.0f us, %.1f context switches)", k,
		round_label, batch_label, relay_cpu / (double)nall * 1e6, csw / (double)nall);
	bench_report(name, (double)nall / relay_cpu, "entries/cpu-s", one_thread_verify / 2, "one core's verifies / 2");
	if (*round_label) {
		snprintf(name, sizeof(name), "  PostgreSQL server CPU per append, %2d clients%s%s (%.0f us)", k, round_label,
			batch_label, pg_cpu / (double)nall * 1e6);
		bench_report(name, pg_cpu > 0 ? (double)nall / pg_cpu : 0, "entries/cpu-s", one_thread_verify / 2,
			"one core's verifies / 2");
	}
	free(all);
}

/* Open the channel through url (its charter names the in-process relay's URL: it does not matter here). */
static void open_channel(const char *url, const uint8_t *cb, size_t cblen)
{
	parley_client cl;
	parley_buf resp = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	long status = 0;
	if (parley_client_init(&cl, url, keys[0], &err) ||
		parley_client_do(&cl, "POST", "/v1/channels", "application/json", cb, cblen, &status, &resp, &err) ||
		status != 201)
		die("open channel", &err);
	parley_client_release(&cl);
	parley_buf_release(&resp);
}

/* 'parley serve' (next to this binary) on the database at uri; its URL into out. */
static pid_t serve(const char *dir, const char *uri, int n, char *out, size_t cap)
{
	char exe[4096], keyp[160], portf[160], buf[32];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 16);
	if (len <= 0)
		die("readlink /proc/self/exe", NULL);
	exe[len] = 0;
	char *slash = strrchr(exe, '/');
	*slash = 0;
	if ((slash = strrchr(exe, '/')))
		*slash = 0;
	snprintf(exe + strlen(exe), sizeof(exe) - strlen(exe), "/parley");
	snprintf(keyp, sizeof(keyp), "%s/relay.key", dir);
	snprintf(portf, sizeof(portf), "%s/relay%d.port", dir, n);
	unlink(portf);
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stderr))
			_exit(126);
		execl(exe, exe, "serve", "--key", keyp, "--db", uri, "--listen", "127.0.0.1:0", "--port-file", portf,
			"--rate", "0", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 3000; i++) {
		FILE *f = fopen(portf, "r");
		if (f && fgets(buf, sizeof(buf), f)) {
			fclose(f);
			snprintf(out, cap, "http://127.0.0.1:%d", atoi(buf));
			return pid;
		}
		if (f)
			fclose(f);
		struct timespec d = { 0, 10000000L };
		nanosleep(&d, NULL);
	}
	die("parley serve did not start", NULL);
	return -1;
}

/* The 64-client round against relays on PostgreSQL: one in this process, then two 'parley serve'. */
static void bench_relay_pg(const char *dir, const uint8_t *cb, size_t cblen, size_t per, double both)
{
	const char *uri = getenv("PARLEY_PG_URI");
	parley_relay_config cfg;
	parley_relay *relay;
	parley_err err = { 0 };
	parley_buf kb = PARLEY_BUF_INIT;
	uint64_t seqs[PARTIES] = { 0 };
	uint8_t prevs[PARTIES][32];
	char path[160], url2[2][64];

	if (!uri) {
		printf("relay append on PostgreSQL: skipped (PARLEY_PG_URI unset; make bench starts a server)\n");
		return;
	}
	memset(prevs, 0, sizeof(prevs));
	memset(&cfg, 0, sizeof(cfg));
	cfg.db = uri;
	cfg.key = relay_key;
	cfg.host = "127.0.0.1";
	cfg.rate = -1;
	if (parley_relay_start(&cfg, &relay, &err))
		die("relay on PostgreSQL", &err);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", parley_relay_port(relay));
	open_channel(base, cb, cblen);
	round_label = ", PostgreSQL, 1 relay";
	round_of(64, per / 64 ? per / 64 : 1, seqs, prevs, both);
	/* the same entries in batches of 64 (one request, one auth verify and one commit wait per batch) */
	batch_of = 64;
	batch_label = ", batches of 64";
	round_of(8, per / 8 ? per / 8 : 1, seqs, prevs, both);
	batch_of = 0;
	batch_label = "";
	parley_relay_stop(relay);

	if (parley_seckey_encode(relay_key, NULL, 0, NULL, &kb, &err))
		die("relay key", &err);
	snprintf(path, sizeof(path), "%s/relay.key", dir);
	if (parley_file_write(path, kb.data, kb.len, 0600, true, &err))
		die("relay key file", &err);
	parley_buf_release(&kb);
	for (int i = 0; i < 2; i++) {
		ext_pids[i] = serve(dir, uri, i, url2[i], sizeof(url2[i]));
		urls[i] = url2[i];
	}
	next = nurls = 2;
	round_label = ", PostgreSQL, 2 relay processes";
	round_of(64, per / 64 ? per / 64 : 1, seqs, prevs, both);
	for (int i = 0; i < 2; i++) {
		kill(ext_pids[i], SIGTERM);
		waitpid(ext_pids[i], NULL, 0);
	}
	next = 0;
	nurls = 1;
	urls[0] = base;
	urls[1] = NULL;
	round_label = "";
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
	/* the same entries in batches of 64 (one request, one auth verify and one commit wait per batch) */
	batch_of = 64;
	batch_label = ", batches of 64";
	round_of(8, per / 8 ? per / 8 : 1, seqs, prevs, both);
	batch_of = 0;
	batch_label = "";
	parley_relay_stop(relay);
	bench_relay_pg(dir, cb.data, cb.len, per, both);

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
