/*
 * test_relay_crash.c - kill -9 a relay (the real 'parley serve') under concurrent append load,
 * 20 times at random moments: after each restart every acknowledged entry is in the log at
 * its index, the log's entries hash to the relay's signed root, and clients carry on.
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

#include <jansson.h>
#include <sodium.h>

#include "parley/client.h"
#include "parley/entry.h"
#include "relaytest.h"

#define CLIENTS 4
#define KILLS 20

static struct rt T;

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
	_Atomic int stop; /* set by main while the client runs */
};

/* After a restart: where each client's chain ends in the log. */
static void resync(struct client *cs, uint8_t **e, size_t *lens, size_t n)
{
	for (int c = 0; c < CLIENTS; c++) {
		cs[c].seq = 0;
		memset(cs[c].prev, 0, 32);
	}
	for (size_t i = 0; i < n; i++) {
		parley_entry pe;
		if (parley_entry_parse(e[i], lens[i], &pe, NULL))
			rt_die("the log holds an entry that does not parse", NULL);
		for (int c = 0; c < CLIENTS; c++)
			if (memcmp(pe.h.sender, T.keys[c]->pub.keyid, 4) == 0) {
				cs[c].seq = pe.h.seq;
				parley_entry_hash(e[i], lens[i], cs[c].prev);
			}
	}
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	parley_client cl;
	parley_buf entry = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	parley_entry_hdr h;
	char target[128];
	uint8_t payload[300];
	int to = (c->who + 1) % CLIENTS;

	if (parley_client_init(&cl, T.base, T.keys[c->who], NULL))
		return NULL;
	snprintf(target, sizeof(target), "/v1/channels/%s/entries", T.chan);
	memset(&h, 0, sizeof(h));
	memcpy(h.channel, parley_charter_id(T.charter), 32);
	memcpy(h.sender, T.keys[c->who]->pub.keyid, 4);
	h.type = PARLEY_T_NOTIFICATION;
	memcpy(h.category, "crash", 6);
	h.nrecip = 1;
	memcpy(h.recip[0], T.keys[to]->pub.keyid, 4);
	randombytes_buf(payload, sizeof(payload));
	while (!c->stop) {
		long st = 0;
		h.seq = c->seq + 1;
		memcpy(h.prev, c->prev, 32);
		h.created_ms = parley_now_ms();
		if (parley_entry_build(&h, (const uint8_t(*)[32])T.keys[to]->pub.seal_pk, payload, sizeof(payload),
			    T.keys[c->who], &entry, NULL, NULL))
			break;
		if (parley_client_do(&cl, "POST", target, "application/octet-stream", entry.data, entry.len, &st, &resp,
			    NULL) || st != 201)
			break; /* the relay died: stop until it is back */
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
	}
	parley_client_release(&cl);
	parley_buf_release(&entry);
	parley_buf_release(&resp);
	return NULL;
}

int main(void)
{
	struct client cs[CLIENTS];
	size_t total_acked = 0;

	rt_setup(&T, CLIENTS, "crash");
	srand((unsigned)time(NULL));
	rt_start(&T, NULL, NULL);
	rt_open_channel(&T);
	memset(cs, 0, sizeof(cs));
	for (int k = 0; k <= KILLS; k++) {
		uint8_t **e;
		size_t *lens, n;

		/* the log after the last crash: it verifies, and every acknowledged entry is in it */
		n = rt_fetch_verified(&T, &e, &lens);
		for (int c = 0; c < CLIENTS; c++)
			for (size_t i = 0; i < cs[c].nacks; i++) {
				uint8_t h[32];
				struct acked *a = &cs[c].acks[i];
				if (a->index >= n)
					rt_die("an acknowledged entry is missing after the restart", NULL);
				parley_entry_hash(e[a->index], lens[a->index], h);
				if (memcmp(h, a->hash, 32) != 0)
					rt_die("an acknowledged entry changed after the restart", NULL);
			}
		resync(cs, e, lens, n);
		for (size_t i = 0; i < n; i++)
			free(e[i]);
		free(e);
		free(lens);
		if (k == KILLS)
			break;

		/* load, then kill -9 at a random moment */
		pthread_t th[CLIENTS];
		for (int c = 0; c < CLIENTS; c++) {
			cs[c].who = c;
			cs[c].stop = 0;
			pthread_create(&th[c], NULL, client_main, &cs[c]);
		}
		struct timespec ts = { 0, (long)(50 + rand() % 250) * 1000000L };
		nanosleep(&ts, NULL);
		kill(T.pid, SIGKILL);
		waitpid(T.pid, NULL, 0);
		for (int c = 0; c < CLIENTS; c++) {
			cs[c].stop = 1;
			pthread_join(th[c], NULL);
		}
		total_acked = 0;
		for (int c = 0; c < CLIENTS; c++)
			total_acked += cs[c].nacks;
		printf("kill %2d: %zu entries acknowledged so far\n", k + 1, total_acked);
		rt_start(&T, NULL, NULL);
	}
	for (int c = 0; c < CLIENTS; c++)
		free(cs[c].acks);
	rt_teardown(&T);
	if (total_acked == 0)
		rt_die("no entry was ever acknowledged", NULL);
	printf("%d kills of the relay under load: all %zu acknowledged entries survived; the log verifies\n", KILLS,
		total_acked);
	return 0;
}
