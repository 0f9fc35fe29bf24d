/*
 * test_soak.c - 64 parties append and read concurrently against one relay for
 * PARLEY_SOAK_SECONDS (default 60), while 4 threads open new channels all along: no error
 * but rate limiting, every channel answered 201 is there at the end, the relay's RSS reported
 * before and after (and its growth bounded), the log verifies at the end. Run by make torture.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "parley/client.h"
#include "parley/entry.h"
#include "relaytest.h"

#define CLIENTS 64

static struct rt T;
#define OPENERS 4

static _Atomic unsigned long appended, reads, limited, errors, opened;
static _Atomic int stop;

static void *client_main(void *arg)
{
	int who = (int)(intptr_t)arg, to = (who + 1) % CLIENTS;
	parley_client cl;
	parley_buf entry = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	parley_entry_hdr h;
	char post[128], get[160];
	uint8_t payload[500];
	unsigned long i = 0;

	if (parley_client_init(&cl, T.base, T.keys[who], NULL))
		return NULL;
	snprintf(post, sizeof(post), "/v1/channels/%s/entries", T.chan);
	memset(&h, 0, sizeof(h));
	memcpy(h.channel, parley_charter_id(T.charter), 32);
	memcpy(h.sender, T.keys[who]->pub.keyid, 4);
	h.type = PARLEY_T_NOTIFICATION;
	memcpy(h.category, "soak", 5);
	h.nrecip = 1;
	memcpy(h.recip[0], T.keys[to]->pub.keyid, 4);
	randombytes_buf(payload, sizeof(payload));
	while (!stop) {
		long st = 0;
		if (i++ % 3 == 2) { /* a read for every two appends */
			snprintf(get, sizeof(get), "/v1/channels/%s/entries?from=%u&limit=50", T.chan, randombytes_uniform(100));
			if (parley_client_do(&cl, "GET", get, NULL, NULL, 0, &st, &resp, NULL) || (st != 200 && st != 429))
				atomic_fetch_add(&errors, 1);
			atomic_fetch_add(st == 429 ? &limited : &reads, 1);
			continue;
		}
		h.seq++;
		h.created_ms = parley_now_ms();
		if (parley_entry_build(&h, (const uint8_t(*)[32])T.keys[to]->pub.seal_pk, payload, sizeof(payload), T.keys[who],
			    &entry, NULL, NULL))
			break;
		if (parley_client_do(&cl, "POST", post, "application/octet-stream", entry.data, entry.len, &st, &resp, NULL) ||
			st != 201) {
			if (st == 429)
				atomic_fetch_add(&limited, 1);
			else
				atomic_fetch_add(&errors, 1);
			h.seq--;
			continue;
		}
		parley_entry_hash(entry.data, entry.len, h.prev);
		atomic_fetch_add(&appended, 1);
	}
	parley_client_release(&cl);
	parley_buf_release(&entry);
	parley_buf_release(&resp);
	return NULL;
}

/* Opens channels of two parties each (a fresh title each time) until stopped; records their ids. */
struct opener {
	int id;
	uint8_t (*ids)[32];
	size_t n, cap;
};

static void *opener_main(void *arg)
{
	struct opener *o = arg;
	parley_client cl;
	parley_buf text = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	const char *cats[1] = { "soak" };
	unsigned long k = 0;

	if (parley_client_init(&cl, T.base, T.keys[o->id], NULL))
		return NULL;
	while (!stop) {
		parley_party parties[2];
		parley_charter_spec sp;
		parley_charter *ch = NULL;
		char title[64];
		long st = 0;
		int a = o->id, b = (o->id + 1 + (int)(k % (CLIENTS - 1))) % CLIENTS;
		memset(&sp, 0, sizeof(sp));
		parties[0].key = T.keys[a]->pub;
		parties[1].key = T.keys[b]->pub;
		parties[0].role = parties[1].role = PARLEY_ROLE_PARTY;
		snprintf(title, sizeof(title), "soak open %d.%lu", o->id, k++);
		sp.title = title;
		sp.parties = parties;
		sp.nparties = 2;
		sp.relay_url = T.base;
		sp.relay = &T.relay_key->pub;
		sp.categories = cats;
		sp.ncategories = 1;
		sp.tlp = -1;
		if (parley_charter_new(&sp, &ch, &err) || parley_charter_sign(ch, T.keys[a], &err) ||
			parley_charter_sign(ch, T.keys[b], &err) || parley_charter_write(ch, &text, &err))
			rt_die("charter", err.msg);
		if (parley_client_do(&cl, "POST", "/v1/channels", "application/json", text.data, text.len, &st, &resp, NULL) ||
			st != 201) {
			atomic_fetch_add(st == 429 ? &limited : &errors, 1);
		} else {
			if (o->n == o->cap) {
				o->cap = o->cap ? 2 * o->cap : 256;
				if (!(o->ids = realloc(o->ids, o->cap * sizeof(*o->ids))))
					rt_die("out of memory", NULL);
			}
			memcpy(o->ids[o->n++], parley_charter_id(ch), 32);
			atomic_fetch_add(&opened, 1);
		}
		parley_charter_free(ch);
	}
	parley_client_release(&cl);
	parley_buf_release(&text);
	parley_buf_release(&resp);
	return NULL;
}

int main(void)
{
	const char *env = getenv("PARLEY_SOAK_SECONDS");
	int seconds = env ? (int)strtol(env, NULL, 10) : 60;
	pthread_t th[CLIENTS], op[OPENERS];
	struct opener ops[OPENERS];

	if (seconds < 5)
		seconds = 5;
	rt_setup(&T, CLIENTS, "soak");
	T.opt2 = "--open-rate";
	T.val2 = "1000000";
	rt_start(&T, "--max-per-ip", "128");
	rt_open_channel(&T);
	for (int i = 0; i < CLIENTS; i++)
		pthread_create(&th[i], NULL, client_main, (void *)(intptr_t)i);
	memset(ops, 0, sizeof(ops));
	for (int i = 0; i < OPENERS; i++) {
		ops[i].id = i;
		pthread_create(&op[i], NULL, opener_main, &ops[i]);
	}
	struct timespec warm = { 5, 0 };
	nanosleep(&warm, NULL);
	long rss0 = rt_rss_kib(&T);
	for (int s = 5; s < seconds; s += 5) {
		struct timespec d = { 5, 0 };
		nanosleep(&d, NULL);
		printf("%3d s: %lu appended, %lu reads, %lu channels opened, %lu rate-limited, %lu errors, relay RSS %ld KiB\n",
			s + 5, atomic_load(&appended), atomic_load(&reads), atomic_load(&opened), atomic_load(&limited),
			atomic_load(&errors), rt_rss_kib(&T));
		fflush(stdout);
	}
	long rss1 = rt_rss_kib(&T);
	stop = 1;
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < OPENERS; i++)
		pthread_join(op[i], NULL);
	size_t n = rt_fetch_verified(&T, NULL, NULL);
	/* every channel answered 201 is there, with its empty log's checkpoint */
	size_t missing = 0;
	parley_buf resp = PARLEY_BUF_INIT;
	for (int i = 0; i < OPENERS; i++) {
		parley_client cl;
		if (parley_client_init(&cl, T.base, T.keys[i], NULL))
			rt_die("client", NULL);
		for (size_t j = 0; j < ops[i].n; j++) {
			char hex[65], target[160];
			long st = 0;
			parley_hex(hex, ops[i].ids[j], 32);
			snprintf(target, sizeof(target), "/v1/channels/%s/checkpoint?size=0", hex);
			if (parley_client_do(&cl, "GET", target, NULL, NULL, 0, &st, &resp, NULL) || st != 200)
				missing++;
		}
		parley_client_release(&cl);
		free(ops[i].ids);
	}
	parley_buf_release(&resp);
	printf("soak: %d clients for %d s: %lu appended (%.0f/s), %lu reads, %lu channels opened by %d threads "
	       "(%zu missing), %lu rate-limited, %lu errors; relay RSS %ld KiB after warm-up, %ld KiB at the end; "
	       "the log of %zu entries verifies\n",
		CLIENTS, seconds, atomic_load(&appended), (double)atomic_load(&appended) / seconds, atomic_load(&reads),
		atomic_load(&opened), OPENERS, missing, atomic_load(&limited), atomic_load(&errors), rss0, rss1, n);
	rt_teardown(&T);
	if (atomic_load(&errors))
		rt_die("requests failed other than by rate limiting", NULL);
	if (missing || !atomic_load(&opened))
		rt_die("channels answered 201 are missing (or none was opened)", NULL);
	if (n != atomic_load(&appended))
		rt_die("the log does not hold exactly the acknowledged entries", NULL);
	if (rss1 > rss0 + 64 * 1024 && rss1 > rss0 * 3 / 2)
		rt_die("the relay's memory grew by more than half (and more than 64 MiB)", NULL);
	return 0;
}
