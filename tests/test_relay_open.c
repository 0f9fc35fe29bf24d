/*
 * test_relay_open.c - channel opens racing appends, checkpoints and cosignatures on a real
 * 'parley serve': every channel answered 201 is there after a restart, the store passes
 * SQLite's integrity check, appends carry on; a second relay on the same store refuses to start.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "parley/client.h"
#include "parley/entry.h"
#include "parley/proof.h"
#include "relaytest.h"

#define OPENERS 16
#define ROUNDS 3

static struct rt T;
static pthread_barrier_t go;
static _Atomic int stop;
static _Atomic unsigned long appended, cosigned, failures;
static uint64_t seqs[2];      /* each party's last sequence number, owned by its appender */
static uint8_t prevs[2][32];  /* and its last entry's hash */

struct opener {
	parley_charter *charter;
	parley_buf text;
	long status;
	char detail[256];
};

/* POST /v1/channels for one charter, all openers at once. */
static void *opener_main(void *arg)
{
	struct opener *o = arg;
	parley_client cl;
	parley_buf resp = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	if (parley_client_init(&cl, T.base, T.keys[0], &err))
		rt_die("client", err.msg);
	pthread_barrier_wait(&go);
	if (parley_client_do(&cl, "POST", "/v1/channels", "application/json", o->text.data, o->text.len, &o->status,
		    &resp, &err))
		o->status = -1;
	snprintf(o->detail, sizeof(o->detail), "%.*s%s", (int)(resp.len < 200 ? resp.len : 200),
		resp.data ? (const char *)resp.data : "", err.msg);
	parley_client_release(&cl);
	parley_buf_release(&resp);
	return NULL;
}

/* Appends to the main channel as party `who` until stopped. */
static void *appender_main(void *arg)
{
	int who = (int)(intptr_t)arg;
	parley_client cl;
	parley_buf entry = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	parley_entry_hdr h;
	char target[128];
	uint8_t payload[200];
	if (parley_client_init(&cl, T.base, T.keys[who], NULL))
		return NULL;
	snprintf(target, sizeof(target), "/v1/channels/%s/entries", T.chan);
	memset(&h, 0, sizeof(h));
	memcpy(h.channel, parley_charter_id(T.charter), 32);
	memcpy(h.sender, T.keys[who]->pub.keyid, 4);
	h.type = PARLEY_T_NOTIFICATION;
	memcpy(h.category, "opens", 6);
	h.nrecip = 1;
	memcpy(h.recip[0], T.keys[1 - who]->pub.keyid, 4);
	randombytes_buf(payload, sizeof(payload));
	while (!atomic_load(&stop)) {
		long st = 0;
		h.seq = seqs[who] + 1;
		memcpy(h.prev, prevs[who], 32);
		h.created_ms = parley_now_ms();
		if (parley_entry_build(&h, (const uint8_t(*)[32])T.keys[1 - who]->pub.seal_pk, payload, sizeof(payload),
			    T.keys[who], &entry, NULL, NULL))
			break;
		if (parley_client_do(&cl, "POST", target, "application/octet-stream", entry.data, entry.len, &st, &resp,
			    NULL) || st != 201) {
			atomic_fetch_add(&failures, 1);
			fprintf(stderr, "append: status %ld: %.*s\n", st, (int)resp.len, resp.data ? (char *)resp.data : "");
			break;
		}
		parley_entry_hash(entry.data, entry.len, prevs[who]);
		seqs[who] = h.seq;
		atomic_fetch_add(&appended, 1);
	}
	parley_client_release(&cl);
	parley_buf_release(&entry);
	parley_buf_release(&resp);
	return NULL;
}

/* Fetches the latest checkpoint (which makes the relay sign one) and cosigns it, until stopped. */
static void *cosigner_main(void *arg)
{
	parley_client cl;
	parley_buf resp = PARLEY_BUF_INIT, line = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	char target[128], post[128];
	(void)arg;
	if (parley_client_init(&cl, T.base, T.keys[2], NULL))
		return NULL;
	snprintf(target, sizeof(target), "/v1/channels/%s/checkpoint", T.chan);
	snprintf(post, sizeof(post), "/v1/channels/%s/cosignatures", T.chan);
	while (!atomic_load(&stop)) {
		long st = 0;
		parley_checkpoint cp;
		if (parley_client_do(&cl, "GET", target, NULL, NULL, 0, &st, &resp, &err) || st != 200 ||
			parley_checkpoint_check(T.charter, (const char *)resp.data, resp.len, &cp, NULL, &err)) {
			atomic_fetch_add(&failures, 1);
			fprintf(stderr, "checkpoint: status %ld: %s\n", st, err.msg);
			break;
		}
		const char *blank = strstr((const char *)resp.data, "\n\n");
		if (!blank || parley_note_cosign_line((const char *)resp.data, (size_t)(blank - (const char *)resp.data) + 1,
				      T.keys[2], parley_now_ms() / 1000, &line, &err))
			rt_die("cosign", err.msg);
		json_t *j = json_pack("{s:I, s:s%}", "size", (json_int_t)cp.size, "line", (const char *)line.data, line.len);
		char *body = json_dumps(j, JSON_COMPACT);
		json_decref(j);
		if (parley_client_do(&cl, "POST", post, "application/json", (const uint8_t *)body, strlen(body), &st, &resp,
			    &err) || st != 201) {
			atomic_fetch_add(&failures, 1);
			fprintf(stderr, "cosignature: status %ld: %.*s\n", st, (int)resp.len, resp.data ? (char *)resp.data : "");
			free(body);
			break;
		}
		free(body);
		atomic_fetch_add(&cosigned, 1);
	}
	parley_client_release(&cl);
	parley_buf_release(&resp);
	parley_buf_release(&line);
	return NULL;
}

static long get_status(const char *path, int who)
{
	parley_client cl;
	parley_buf resp = PARLEY_BUF_INIT;
	long st = 0;
	if (parley_client_init(&cl, T.base, T.keys[who], NULL) ||
		parley_client_do(&cl, "GET", path, NULL, NULL, 0, &st, &resp, NULL))
		st = -1;
	parley_client_release(&cl);
	parley_buf_release(&resp);
	return st;
}

static void restart(void)
{
	kill(T.pid, SIGTERM);
	waitpid(T.pid, NULL, 0);
	rt_start(&T, NULL, NULL);
}

int main(void)
{
	struct opener o[ROUNDS][OPENERS];
	parley_err err = { 0 };
	char db[128], path[256];

	rt_setup(&T, 3, "opens");
	rt_start(&T, NULL, NULL);
	rt_open_channel(&T);
	snprintf(db, sizeof(db), "%s/relay.db", T.dir);

	/* a second relay on the same store refuses to start, naming the first one's pid */
	char cmd[512], out[1024] = "";
	snprintf(cmd, sizeof(cmd), "timeout 10 %s serve --key %s/relay.key --db %s --listen 127.0.0.1:0 2>&1", T.parley, T.dir, db);
	FILE *f = popen(cmd, "r");
	size_t got = f ? fread(out, 1, sizeof(out) - 1, f) : 0;
	out[got] = 0;
	int rc = f ? pclose(f) : -1;
	char want[64];
	snprintf(want, sizeof(want), "in use by another relay (pid %d", (int)T.pid);
	printf("second relay: %s", out);
	bool lock_ok = rc != 0 && strstr(out, want);
	if (!lock_ok)
		fprintf(stderr, "FAIL: a second relay on the same store was not refused naming the first's pid\n");

	for (int k = 0; k < ROUNDS; k++)
		for (int i = 0; i < OPENERS; i++) {
			parley_party parties[2];
			parley_charter_spec sp;
			char title[64];
			const char *cats[1] = { "opens" };
			memset(&sp, 0, sizeof(sp));
			for (int p = 0; p < 2; p++) {
				parties[p].key = T.keys[p]->pub;
				parties[p].role = PARLEY_ROLE_PARTY;
			}
			snprintf(title, sizeof(title), "concurrent open %d.%d", k, i);
			sp.title = title;
			sp.parties = parties;
			sp.nparties = 2;
			sp.relay_url = T.base;
			sp.relay = &T.relay_key->pub;
			sp.categories = cats;
			sp.ncategories = 1;
			sp.tlp = -1;
			memset(&o[k][i], 0, sizeof(o[k][i]));
			parley_buf_init(&o[k][i].text, 1 << 20);
			if (parley_charter_new(&sp, &o[k][i].charter, &err) ||
				parley_charter_sign(o[k][i].charter, T.keys[0], &err) ||
				parley_charter_sign(o[k][i].charter, T.keys[1], &err) ||
				parley_charter_write(o[k][i].charter, &o[k][i].text, &err))
				rt_die("charter", err.msg);
		}

	/* appends and cosignatures on the main channel all along */
	pthread_t app[2], cos;
	for (int i = 0; i < 2; i++)
		pthread_create(&app[i], NULL, appender_main, (void *)(intptr_t)i);
	pthread_create(&cos, NULL, cosigner_main, NULL);
	int ok = 0;
	for (int k = 0; k < ROUNDS; k++) {
		pthread_t th[OPENERS];
		pthread_barrier_init(&go, NULL, OPENERS);
		for (int i = 0; i < OPENERS; i++)
			pthread_create(&th[i], NULL, opener_main, &o[k][i]);
		for (int i = 0; i < OPENERS; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&go);
		for (int i = 0; i < OPENERS; i++) {
			if (o[k][i].status == 201)
				ok++;
			else
				fprintf(stderr, "open %d.%d: status %ld: %s\n", k, i, o[k][i].status, o[k][i].detail);
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(app[i], NULL);
	pthread_join(cos, NULL);
	printf("%d of %d concurrent opens answered 201; %lu appends and %lu cosignatures meanwhile, %lu failed\n", ok,
		ROUNDS * OPENERS, atomic_load(&appended), atomic_load(&cosigned), atomic_load(&failures));

	/* after a restart every channel answered 201 is there and serves its empty log's checkpoint */
	restart();
	for (int k = 0; k < ROUNDS; k++)
		for (int i = 0; i < OPENERS; i++) {
			char hex[65];
			if (o[k][i].status != 201)
				continue;
			parley_hex(hex, parley_charter_id(o[k][i].charter), 32);
			snprintf(path, sizeof(path), "/v1/channels/%s/checkpoint?size=0", hex);
			if (get_status(path, 1) != 200)
				rt_die("a channel answered 201 is gone after the restart", hex);
		}
	sqlite3 *sq = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_open_v2(db, &sq, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
		sqlite3_prepare_v2(sq, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW ||
		strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
		rt_die("the store fails PRAGMA integrity_check", sq ? sqlite3_errmsg(sq) : NULL);
	sqlite3_finalize(st);
	sqlite3_close(sq);
	/* appends carry on, and the log verifies */
	size_t before = rt_fetch_verified(&T, NULL, NULL);
	atomic_store(&stop, 0);
	atomic_store(&appended, 0);
	unsigned long failed = atomic_load(&failures);
	pthread_t th;
	pthread_create(&th, NULL, appender_main, (void *)(intptr_t)0);
	struct timespec d = { 0, 300000000L };
	nanosleep(&d, NULL);
	atomic_store(&stop, 1);
	pthread_join(th, NULL);
	size_t after = rt_fetch_verified(&T, NULL, NULL);
	printf("after the restart: %zu entries, then %zu; integrity_check ok\n", before, after);
	for (int k = 0; k < ROUNDS; k++)
		for (int i = 0; i < OPENERS; i++) {
			parley_charter_free(o[k][i].charter);
			parley_buf_release(&o[k][i].text);
		}
	rt_teardown(&T);
	if (!lock_ok)
		rt_die("the store lock", NULL);
	if (ok != ROUNDS * OPENERS)
		rt_die("a concurrent open was refused", NULL);
	if (failed || atomic_load(&failures) != failed || after <= before)
		rt_die("appends or cosignatures failed around the opens", NULL);
	return 0;
}
