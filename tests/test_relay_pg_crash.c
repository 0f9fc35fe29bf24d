/*
 * test_relay_pg_crash.c - two relays ('parley serve') on one PostgreSQL database
 * (scripts/with-pg.sh), 64 clients posting through both at once:
 * 1. kill -9 one relay during the burst;
 * 2. restart PostgreSQL itself (immediate shutdown: a crash) during a burst.
 * After each: every acknowledged entry is in the log at the index it was given,
 * no index was given twice, the log read through either relay hashes to the
 * relay's signed root, and both relays take appends again.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "parley/client.h"
#include "parley/entry.h"
#include "relaytest.h"

#define CLIENTS 64

static struct rt A, B; /* B shares A's keys, charter and directory; its own port and process */

struct acked {
	uint64_t index;
	uint8_t hash[32];
};

struct client {
	int who;
	uint64_t seq;
	uint8_t prev[32];
	struct acked *acks;
	size_t nacks, cap;
	unsigned ok_a, ok_b; /* 201s through each relay in the current round */
	bool alternate;      /* post through A and B in turn (else only through one) */
	_Atomic int stop;
};

static struct client cs[CLIENTS];

static void kill_relays(void)
{
	if (A.pid > 0)
		kill(A.pid, SIGKILL);
	if (B.pid > 0)
		kill(B.pid, SIGKILL);
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	parley_client ca, cb;
	parley_buf entry = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	parley_entry_hdr h;
	char target[128];
	uint8_t payload[200];
	int to = (c->who + 1) % CLIENTS;
	unsigned n = 0;

	if (parley_client_init(&ca, A.base, A.keys[c->who], NULL) || parley_client_init(&cb, B.base, A.keys[c->who], NULL))
		return NULL;
	snprintf(target, sizeof(target), "/v1/channels/%s/entries", A.chan);
	memset(&h, 0, sizeof(h));
	memcpy(h.channel, parley_charter_id(A.charter), 32);
	memcpy(h.sender, A.keys[c->who]->pub.keyid, 4);
	h.type = PARLEY_T_NOTIFICATION;
	memcpy(h.category, "crash", 6);
	h.nrecip = 1;
	memcpy(h.recip[0], A.keys[to]->pub.keyid, 4);
	randombytes_buf(payload, sizeof(payload));
	while (!c->stop) {
		long st = 0;
		bool via_b = c->alternate ? (n++ % 2 == 1) : (c->who % 2 == 1);
		h.seq = c->seq + 1;
		memcpy(h.prev, c->prev, 32);
		h.created_ms = parley_now_ms();
		if (parley_entry_build(&h, (const uint8_t(*)[32])A.keys[to]->pub.seal_pk, payload, sizeof(payload),
			    A.keys[c->who], &entry, NULL, NULL))
			break;
		if (parley_client_do(via_b ? &cb : &ca, "POST", target, "application/octet-stream", entry.data, entry.len,
			    &st, &resp, NULL) || st != 201)
			break; /* its relay or the database is down: this client's chain is uncertain until resync */
		json_t *j = json_loadb((const char *)resp.data, resp.len, 0, NULL);
		if (c->nacks == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 256;
			c->acks = realloc(c->acks, c->cap * sizeof(*c->acks));
		}
		c->acks[c->nacks].index = (uint64_t)json_integer_value(json_object_get(j, "index"));
		parley_entry_hash(entry.data, entry.len, c->acks[c->nacks].hash);
		c->nacks++;
		json_decref(j);
		c->seq = h.seq;
		parley_entry_hash(entry.data, entry.len, c->prev);
		if (via_b)
			c->ok_b++;
		else
			c->ok_a++;
	}
	parley_client_release(&ca);
	parley_client_release(&cb);
	parley_buf_release(&entry);
	parley_buf_release(&resp);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * The log through relay t: it verifies against t's signed root, every
 * acknowledged entry is at its index, no index was acknowledged twice. Then
 * each client's chain continues from its last entry in the log. Returns the size.
 */
static size_t check_log(struct rt *t, const char *when)
{
	uint8_t **e;
	size_t *lens, n = rt_fetch_verified(t, &e, &lens), total = 0;
	uint64_t *all;

	for (int c = 0; c < CLIENTS; c++)
		total += cs[c].nacks;
	all = malloc((total + 1) * sizeof(*all));
	total = 0;
	for (int c = 0; c < CLIENTS; c++)
		for (size_t i = 0; i < cs[c].nacks; i++) {
			uint8_t h[32];
			struct acked *a = &cs[c].acks[i];
			if (a->index >= n)
				rt_die("an acknowledged entry is missing", when);
			parley_entry_hash(e[a->index], lens[a->index], h);
			if (memcmp(h, a->hash, 32) != 0)
				rt_die("the log holds another entry at an acknowledged index", when);
			all[total++] = a->index;
		}
	qsort(all, total, sizeof(*all), cmp_u64);
	for (size_t i = 1; i < total; i++)
		if (all[i] == all[i - 1])
			rt_die("one index was acknowledged to two appends", when);
	for (int c = 0; c < CLIENTS; c++) {
		cs[c].seq = 0;
		memset(cs[c].prev, 0, 32);
	}
	for (size_t i = 0; i < n; i++) {
		parley_entry pe;
		if (parley_entry_parse(e[i], lens[i], &pe, NULL))
			rt_die("the log holds an entry that does not parse", when);
		for (int c = 0; c < CLIENTS; c++)
			if (memcmp(pe.h.sender, A.keys[c]->pub.keyid, 4) == 0) {
				if (pe.h.seq != cs[c].seq + 1)
					rt_die("a chain in the log skips or repeats a sequence number", when);
				cs[c].seq = pe.h.seq;
				parley_entry_hash(e[i], lens[i], cs[c].prev);
			}
		free(e[i]);
	}
	free(e);
	free(lens);
	free(all);
	printf("%s: %zu entries, %zu acknowledged, all in place; the log verifies through relay %c\n", when, n, total,
		t == &A ? 'A' : 'B');
	return n;
}

/* Run the clients until disrupt() has run and `after_ms` more have passed. */
static void burst(bool alternate, void (*disrupt)(void), long after_ms)
{
	pthread_t th[CLIENTS];
	for (int c = 0; c < CLIENTS; c++) {
		cs[c].who = c;
		cs[c].stop = 0;
		cs[c].ok_a = cs[c].ok_b = 0;
		cs[c].alternate = alternate;
		pthread_create(&th[c], NULL, client_main, &cs[c]);
	}
	struct timespec ts = { 0, (long)(300 + rand() % 700) * 1000000L };
	nanosleep(&ts, NULL);
	if (disrupt)
		disrupt();
	ts.tv_sec = after_ms / 1000;
	ts.tv_nsec = (after_ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
	for (int c = 0; c < CLIENTS; c++)
		cs[c].stop = 1;
	for (int c = 0; c < CLIENTS; c++)
		pthread_join(th[c], NULL);
}

static void kill_b(void)
{
	kill(B.pid, SIGKILL);
	waitpid(B.pid, NULL, 0);
	B.pid = 0;
	printf("relay B killed (-9) during the burst\n");
}

/*
 * Restart the server with none of this process's descriptors: a server started
 * by system() would inherit the clients' sockets and hold their connections
 * to the relays open after the clients close them.
 */
static void restart_pg(void)
{
	char cmd[1024];
	const char *dir = getenv("PARLEY_PG_DIR"), *src = getenv("SRCDIR");
	int status = -1;
	snprintf(cmd, sizeof(cmd), ". \"%s/scripts/pg-lib.sh\" && pg_restart \"%s\" immediate", src, dir);
	pid_t pid = fork();
	if (pid == 0) {
		for (int fd = 3; fd < 4096; fd++)
			close(fd);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		rt_die("PostgreSQL did not restart", NULL);
	printf("PostgreSQL restarted (immediate shutdown) during the burst\n");
}

/* Both relays take appends: every client gets 201s through each within a short calm burst. */
static void both_take_appends(const char *when)
{
	unsigned a = 0, b = 0;
	burst(true, NULL, 1500);
	for (int c = 0; c < CLIENTS; c++) {
		a += cs[c].ok_a;
		b += cs[c].ok_b;
	}
	if (!a || !b)
		rt_die("a relay takes no appends", when);
	printf("%s: %u appends through A, %u through B\n", when, a, b);
}

int main(void)
{
	if (!getenv("PARLEY_PG_URI") || !getenv("PARLEY_PG_DIR") || !getenv("SRCDIR"))
		rt_die("run under scripts/with-pg.sh (PARLEY_PG_URI, PARLEY_PG_DIR) with SRCDIR", NULL);
	rt_setup(&A, CLIENTS, "crash");
	A.db = getenv("PARLEY_PG_URI");
	B = A;
	B.port = A.port + 1;
	snprintf(B.base, sizeof(B.base), "http://127.0.0.1:%u", B.port);
	atexit(kill_relays);
	srand((unsigned)time(NULL));
	rt_start(&A, NULL, NULL);
	rt_start(&B, NULL, NULL);
	rt_open_channel(&A);
	memset(cs, 0, sizeof(cs));

	/* 1. half the clients through A, half through B; B dies under them */
	burst(false, kill_b, 700);
	check_log(&A, "after kill -9 of relay B");
	rt_start(&B, NULL, NULL);
	check_log(&B, "relay B restarted");
	both_take_appends("after relay B's restart");
	check_log(&B, "both relays again");

	/* 2. every client through both relays in turn; PostgreSQL crashes and restarts under them */
	burst(true, restart_pg, 500);
	check_log(&A, "after PostgreSQL's restart");
	check_log(&B, "after PostgreSQL's restart");
	both_take_appends("after PostgreSQL's restart");
	size_t n = check_log(&A, "at the end");
	if (n < 200)
		rt_die("too few entries were appended to show anything", NULL);
	if (B.pid > 0) {
		kill(B.pid, SIGTERM);
		waitpid(B.pid, NULL, 0);
		B.pid = 0;
	}
	for (int c = 0; c < CLIENTS; c++)
		free(cs[c].acks);
	rt_teardown(&A);
	printf("two relays on PostgreSQL: a relay killed and the database restarted under 64 clients; nothing "
	       "acknowledged was lost, no index was given twice, the log verifies through both\n");
	return 0;
}
