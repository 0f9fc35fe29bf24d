/*
 * test_soak.c - 64 parties append and read concurrently against one relay for
 * PARLEY_SOAK_SECONDS (default 60): no error but rate limiting, the relay's RSS reported
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
static _Atomic unsigned long appended, reads, limited, errors;
static volatile int stop;

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

int main(void)
{
	const char *env = getenv("PARLEY_SOAK_SECONDS");
	int seconds = env ? (int)strtol(env, NULL, 10) : 60;
	pthread_t th[CLIENTS];

	if (seconds < 5)
		seconds = 5;
	rt_setup(&T, CLIENTS, "soak");
	rt_start(&T, "--max-per-ip", "128");
	rt_open_channel(&T);
	for (int i = 0; i < CLIENTS; i++)
		pthread_create(&th[i], NULL, client_main, (void *)(intptr_t)i);
	struct timespec warm = { 5, 0 };
	nanosleep(&warm, NULL);
	long rss0 = rt_rss_kib(&T);
	for (int s = 5; s < seconds; s += 5) {
		struct timespec d = { 5, 0 };
		nanosleep(&d, NULL);
		printf("%3d s: %lu appended, %lu reads, %lu rate-limited, %lu errors, relay RSS %ld KiB\n", s + 5,
			atomic_load(&appended), atomic_load(&reads), atomic_load(&limited), atomic_load(&errors), rt_rss_kib(&T));
		fflush(stdout);
	}
	long rss1 = rt_rss_kib(&T);
	stop = 1;
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(th[i], NULL);
	size_t n = rt_fetch_verified(&T, NULL, NULL);
	printf("soak: %d clients for %d s: %lu appended (%.0f/s), %lu reads, %lu rate-limited, %lu errors; "
	       "relay RSS %ld KiB after warm-up, %ld KiB at the end; the log of %zu entries verifies\n",
		CLIENTS, seconds, atomic_load(&appended), (double)atomic_load(&appended) / seconds, atomic_load(&reads),
		atomic_load(&limited), atomic_load(&errors), rss0, rss1, n);
	rt_teardown(&T);
	if (atomic_load(&errors))
		rt_die("requests failed other than by rate limiting", NULL);
	if (n != atomic_load(&appended))
		rt_die("the log does not hold exactly the acknowledged entries", NULL);
	if (rss1 > rss0 + 64 * 1024 && rss1 > rss0 * 3 / 2)
		rt_die("the relay's memory grew by more than half (and more than 64 MiB)", NULL);
	return 0;
}
