/*
 * test_relay_batch.c - batched appends (docs/api.md "Appending in batches") racing single
 * appends on a real 'parley serve': parties at once send single entries, good batches and
 * poisoned ones (an entry out of sequence, one whose signature is broken, a duplicate, at a
 * random position), so that the committer groups refused batches with other parties' entries.
 * Every refused batch names its bad entry's position and leaves nothing; every entry
 * answered 201 is in the log at its index with its bytes, and nothing else is. With
 * PARLEY_PG_URI set (scripts/with-pg.sh), the relay's store is that PostgreSQL database.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "parley/batch.h"
#include "parley/client.h"
#include "parley/entry.h"
#include "parley/proof.h"
#include "parley/receipt.h"
#include "parley/remote.h"
#include "relaytest.h"

#define PARTIES 8
#define ROUNDS 30
#define MAXB 16

static struct rt T;
static pthread_barrier_t go;
static _Atomic unsigned long refused_ok, failures;

struct landed {
	uint64_t index;
	uint8_t hash[32];
};

struct party {
	int who;
	uint64_t seq;
	uint8_t prev[32];
	struct landed *got;
	size_t ngot, cap;
};

static void build(struct party *p, uint64_t seq, const uint8_t prev[32], parley_buf *out)
{
	parley_entry_hdr h;
	uint8_t payload[64];
	int to = (p->who + 1) % PARTIES;
	memset(&h, 0, sizeof(h));
	memcpy(h.channel, parley_charter_id(T.charter), 32);
	memcpy(h.sender, T.keys[p->who]->pub.keyid, 4);
	h.type = PARLEY_T_NOTIFICATION;
	memcpy(h.category, "batch", 6);
	h.nrecip = 1;
	memcpy(h.recip[0], T.keys[to]->pub.keyid, 4);
	h.seq = seq;
	if (seq > 1)
		memcpy(h.prev, prev, 32);
	h.created_ms = parley_now_ms();
	randombytes_buf(payload, sizeof(payload));
	parley_buf_reset(out);
	if (parley_entry_build(&h, (const uint8_t(*)[32])T.keys[to]->pub.seal_pk, payload, sizeof(payload),
		    T.keys[p->who], out, NULL, NULL))
		rt_die("build", NULL);
}

static void land(struct party *p, uint64_t index, const parley_buf *e)
{
	if (p->ngot == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		if (!(p->got = realloc(p->got, p->cap * sizeof(*p->got))))
			rt_die("out of memory", NULL);
	}
	p->got[p->ngot].index = index;
	parley_entry_hash(e->data, e->len, p->got[p->ngot].hash);
	p->ngot++;
}

static void *party_main(void *arg)
{
	struct party *p = arg;
	parley_client cl;
	parley_buf e[MAXB];
	const uint8_t *ptrs[MAXB];
	size_t lens[MAXB];
	uint64_t idx[MAXB];
	parley_err err = { 0 };

	for (int i = 0; i < MAXB; i++)
		parley_buf_init(&e[i], 0);
	if (parley_client_init(&cl, T.base, T.keys[p->who], &err))
		rt_die("client", err.msg);
	pthread_barrier_wait(&go);
	for (int round = 0; round < ROUNDS; round++) {
		unsigned kind = randombytes_uniform(3);
		if (kind == 0) { /* a single append, in the old form */
			uint64_t index;
			build(p, p->seq + 1, p->prev, &e[0]);
			if (parley_remote_append(&cl, T.chan, e[0].data, e[0].len, &index, NULL, &err)) {
				fprintf(stderr, "party %d: single append: %s\n", p->who, err.msg);
				atomic_fetch_add(&failures, 1);
				break;
			}
			land(p, index, &e[0]);
			p->seq++;
			parley_entry_hash(e[0].data, e[0].len, p->prev);
			continue;
		}
		size_t m = 2 + randombytes_uniform(MAXB - 1), bad = randombytes_uniform((uint32_t)m);
		unsigned poison = kind == 2 ? 1 + randombytes_uniform(3) : 0;
		uint64_t seq = p->seq;
		uint8_t prev[32];
		memcpy(prev, p->prev, 32);
		for (size_t k = 0; k < m; k++) {
			uint64_t s = seq + 1;
			if (poison == 1 && k == bad) {
				s++; /* out of sequence: the committer refuses it */
				if (seq == 0) /* a party's first entry skipped: seq 2 needs some previous hash to be built */
					randombytes_buf(prev, sizeof(prev));
			}
			if (poison == 3 && k == bad && k > 0) {
				/* a duplicate of the entry before it */
				parley_buf_reset(&e[k]);
				if (parley_buf_add(&e[k], e[k - 1].data, e[k - 1].len))
					rt_die("out of memory", NULL);
			} else {
				build(p, s, prev, &e[k]);
				seq = s;
				parley_entry_hash(e[k].data, e[k].len, prev);
			}
			if (poison == 2 && k == bad)
				e[k].data[e[k].len - 1] ^= 1; /* the signature broken: refused before the committer */
			ptrs[k] = e[k].data;
			lens[k] = e[k].len;
		}
		if (poison == 3 && bad == 0)
			poison = 0; /* nothing before it to duplicate: a good batch */
		parley_remote_batch res;
		parley_code rc = parley_remote_append_batch(&cl, T.chan, ptrs, lens, m, idx, NULL, &res, &err);
		if (!poison) {
			if (rc) {
				fprintf(stderr, "party %d: batch of %zu: %s\n", p->who, m, err.msg);
				atomic_fetch_add(&failures, 1);
				break;
			}
			for (size_t k = 0; k < m; k++)
				land(p, idx[k], &e[k]);
			p->seq = seq;
			memcpy(p->prev, prev, 32);
			continue;
		}
		long want = poison == 2 ? 422 : 409;
		if (rc != PARLEY_E_VERIFY || res.status != want || res.bad != bad) {
			fprintf(stderr, "party %d: poisoned batch (%u at %zu of %zu): status %ld, index %zu: %s\n", p->who,
				poison, bad, m, res.status, res.bad, err.msg);
			atomic_fetch_add(&failures, 1);
			break;
		}
		atomic_fetch_add(&refused_ok, 1);
	}
	for (int i = 0; i < MAXB; i++)
		parley_buf_release(&e[i]);
	parley_client_release(&cl);
	return NULL;
}

/*
 * A batched receipt inside a batch names a tree of at most the log committed before the
 * batch: one covering the batch's own notification is refused (403 at its position) with
 * the notification; one naming the committed tree goes in with it.
 */
static void receipt_in_batch(struct party *p)
{
	parley_client cl;
	parley_buf resp = PARLEY_BUF_INIT, e[2] = { PARLEY_BUF_INIT, PARLEY_BUF_INIT };
	parley_err err = { 0 };
	parley_checkpoint cp;
	char target[128];
	long st = 0;

	if (parley_client_init(&cl, T.base, T.keys[p->who], &err))
		rt_die("client", err.msg);
	snprintf(target, sizeof(target), "/v1/channels/%s/checkpoint", T.chan);
	if (parley_client_do(&cl, "GET", target, NULL, NULL, 0, &st, &resp, &err) || st != 200 ||
		parley_checkpoint_check(T.charter, (const char *)resp.data, resp.len, &cp, NULL, &err))
		rt_die("checkpoint", err.msg);
	for (int round = 0; round < 2; round++) {
		uint8_t prev[32];
		parley_entry_hdr h;
		uint64_t first = round == 0 ? cp.size : cp.size - 1, size = round == 0 ? cp.size + 1 : cp.size, idx[2];
		uint8_t root[32];
		memcpy(root, cp.root, 32);
		build(p, p->seq + 1, p->prev, &e[0]);
		parley_entry_hash(e[0].data, e[0].len, prev);
		memset(&h, 0, sizeof(h));
		if (parley_receipt_batch_hdr(&h, size, root, &first, &first, 1, &err))
			rt_die("receipt header", err.msg);
		memcpy(h.channel, parley_charter_id(T.charter), 32);
		memcpy(h.sender, T.keys[p->who]->pub.keyid, 4);
		h.type = PARLEY_T_RECEIPT;
		memcpy(h.category, "batch", 6);
		h.nrecip = 1;
		memcpy(h.recip[0], T.keys[(p->who + 1) % PARTIES]->pub.keyid, 4);
		h.seq = p->seq + 2;
		memcpy(h.prev, prev, 32);
		h.created_ms = parley_now_ms();
		parley_buf_reset(&e[1]);
		if (parley_entry_build(&h, (const uint8_t(*)[32])T.keys[(p->who + 1) % PARTIES]->pub.seal_pk, NULL, 0,
			    T.keys[p->who], &e[1], NULL, &err))
			rt_die("build receipt", err.msg);
		const uint8_t *ptrs[2] = { e[0].data, e[1].data };
		size_t lens[2] = { e[0].len, e[1].len };
		parley_remote_batch res;
		parley_code rc = parley_remote_append_batch(&cl, T.chan, ptrs, lens, 2, idx, NULL, &res, &err);
		if (round == 0 && (rc == PARLEY_OK || res.status != 403 || res.bad != 1 ||
					  strcmp(res.slug, "receipt-not-this-log") != 0)) {
			fprintf(stderr, "status %ld, index %zu, %s: %s\n", res.status, res.bad, res.slug, err.msg);
			rt_die("a receipt of its own batch's entry was not refused", NULL);
		}
		if (round == 1) {
			if (rc)
				rt_die("a receipt of the committed tree in a batch was refused", err.msg);
			land(p, idx[0], &e[0]);
			land(p, idx[1], &e[1]);
			p->seq += 2;
			parley_entry_hash(e[1].data, e[1].len, p->prev);
		}
	}
	parley_buf_release(&e[0]);
	parley_buf_release(&e[1]);
	parley_buf_release(&resp);
	parley_client_release(&cl);
}

int main(void)
{
	struct party parties[PARTIES];
	pthread_t th[PARTIES];
	uint8_t **entries = NULL;
	size_t *lens = NULL, total = 0;

	if (sodium_init() < 0)
		rt_die("sodium_init", NULL);
	rt_setup(&T, PARTIES, "batch");
	T.db = getenv("PARLEY_PG_URI");
	rt_start(&T, NULL, NULL);
	rt_open_channel(&T);
	pthread_barrier_init(&go, NULL, PARTIES);
	memset(parties, 0, sizeof(parties));
	for (int i = 0; i < PARTIES; i++) {
		parties[i].who = i;
		if (pthread_create(&th[i], NULL, party_main, &parties[i]))
			rt_die("pthread_create", NULL);
	}
	for (int i = 0; i < PARTIES; i++)
		pthread_join(th[i], NULL);
	if (atomic_load(&failures))
		rt_die("some appends did not get the answer due", NULL);
	receipt_in_batch(&parties[0]);

	size_t n = rt_fetch_verified(&T, &entries, &lens);
	for (int i = 0; i < PARTIES; i++) {
		total += parties[i].ngot;
		for (size_t k = 0; k < parties[i].ngot; k++) {
			uint8_t h[32];
			uint64_t at = parties[i].got[k].index;
			if (at >= n)
				rt_die("an acknowledged entry is past the log's end", NULL);
			parley_entry_hash(entries[at], lens[at], h);
			if (memcmp(h, parties[i].got[k].hash, 32) != 0)
				rt_die("the log holds another entry at an acknowledged index", NULL);
		}
	}
	if (n != total) {
		fprintf(stderr, "log of %zu entries, %zu acknowledged\n", n, total);
		rt_die("entries of refused batches landed", NULL);
	}
	if (atomic_load(&refused_ok) == 0)
		rt_die("no poisoned batch was tried", NULL);
	printf("ok: %zu entries from %d parties, %lu poisoned batches refused whole (%s)\n", n, PARTIES,
		atomic_load(&refused_ok), T.db ? "PostgreSQL" : "SQLite");
	for (size_t i = 0; i < n; i++)
		free(entries[i]);
	free(entries);
	free(lens);
	for (int i = 0; i < PARTIES; i++)
		free(parties[i].got);
	rt_teardown(&T);
	return 0;
}
