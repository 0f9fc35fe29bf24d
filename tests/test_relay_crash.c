/*
 * test_relay_crash.c - kill -9 a relay (the real 'parley serve') under concurrent append load,
 * 20 times at random moments: after each restart every acknowledged entry is in the log at
 * its index, the log's entries hash to the relay's signed root, and clients carry on.
 * Needs PARLEY (the parley binary).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "parley/charter.h"
#include "parley/client.h"
#include "parley/entry.h"
#include "parley/merkle.h"
#include "parley/note.h"
#include "parley/proof.h"
#include "parley/store.h"

#define CLIENTS 4
#define KILLS 20

static parley_seckey *keys[CLIENTS], *relay_key;
static parley_charter *charter;
static char base[64], chan[65], dir[64];
static const char *parley;

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
	volatile int stop;
};

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "FAIL: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

static pid_t start_relay(unsigned port)
{
	char listen[64], keyp[128], db[128];
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
	snprintf(keyp, sizeof(keyp), "%s/relay.key", dir);
	snprintf(db, sizeof(db), "%s/relay.db", dir);
	pid_t pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stderr);
		execl(parley, parley, "serve", "--key", keyp, "--db", db, "--listen", listen, "--rate", "0", (char *)NULL);
		_exit(127);
	}
	/* wait until it answers */
	for (int i = 0; i < 200; i++) {
		parley_client cl;
		parley_buf resp = PARLEY_BUF_INIT;
		long st = 0;
		if (parley_client_init(&cl, base, NULL, NULL) == PARLEY_OK &&
			parley_client_do(&cl, "GET", "/v1/health", NULL, NULL, 0, &st, &resp, NULL) == PARLEY_OK && st == 200) {
			parley_client_release(&cl);
			parley_buf_release(&resp);
			return pid;
		}
		parley_client_release(&cl);
		parley_buf_release(&resp);
		struct timespec d = { 0, 20000000L };
		nanosleep(&d, NULL);
	}
	die("the relay did not start", NULL);
	return -1;
}

/* Every entry of the log, with integration times; and the latest checkpoint. */
static size_t fetch_all(uint8_t ***entries, size_t **lens, uint64_t **times, parley_checkpoint *cp)
{
	parley_client cl;
	parley_buf resp = PARLEY_BUF_INIT;
	char target[256];
	long st = 0;
	size_t n = 0, cap = 0;
	parley_err err = { 0 };

	if (parley_client_init(&cl, base, keys[0], &err))
		die("client", err.msg);
	snprintf(target, sizeof(target), "/v1/channels/%s/checkpoint", chan);
	if (parley_client_do(&cl, "GET", target, NULL, NULL, 0, &st, &resp, &err) || st != 200)
		die("checkpoint", err.msg);
	if (parley_checkpoint_check(charter, (const char *)resp.data, resp.len, cp, NULL, &err))
		die("checkpoint does not verify", err.msg);
	*entries = NULL;
	*lens = NULL;
	*times = NULL;
	while (n < cp->size) {
		snprintf(target, sizeof(target), "/v1/channels/%s/entries?from=%zu", chan, n);
		if (parley_client_do(&cl, "GET", target, NULL, NULL, 0, &st, &resp, &err) || st != 200)
			die("entries", err.msg);
		json_t *j = json_loadb((const char *)resp.data, resp.len, 0, NULL), *v;
		size_t i;
		json_array_foreach(json_object_get(j, "entries"), i, v) {
			if (n == cap) {
				cap = cap ? cap * 2 : 1024;
				*entries = realloc(*entries, cap * sizeof(**entries));
				*lens = realloc(*lens, cap * sizeof(**lens));
				*times = realloc(*times, cap * sizeof(**times));
			}
			const char *b = json_string_value(json_object_get(v, "entry"));
			(*entries)[n] = malloc(strlen(b));
			if (parley_unb64((*entries)[n], strlen(b), &(*lens)[n], b, strlen(b)))
				die("bad base64", NULL);
			(*times)[n] = (uint64_t)json_integer_value(json_object_get(v, "integrated_ms"));
			n++;
		}
		json_decref(j);
		if (i == 0)
			break;
	}
	parley_client_release(&cl);
	parley_buf_release(&resp);
	return n;
}

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
			die("the log holds an entry that does not parse", NULL);
		for (int c = 0; c < CLIENTS; c++)
			if (memcmp(pe.h.sender, keys[c]->pub.keyid, 4) == 0) {
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

	if (parley_client_init(&cl, base, keys[c->who], NULL))
		return NULL;
	snprintf(target, sizeof(target), "/v1/channels/%s/entries", chan);
	memset(&h, 0, sizeof(h));
	memcpy(h.channel, parley_charter_id(charter), 32);
	memcpy(h.sender, keys[c->who]->pub.keyid, 4);
	h.type = PARLEY_T_NOTIFICATION;
	memcpy(h.category, "crash", 6);
	h.nrecip = 1;
	memcpy(h.recip[0], keys[to]->pub.keyid, 4);
	randombytes_buf(payload, sizeof(payload));
	while (!c->stop) {
		long st = 0;
		h.seq = c->seq + 1;
		memcpy(h.prev, c->prev, 32);
		h.created_ms = parley_now_ms();
		if (parley_entry_build(&h, (const uint8_t(*)[32])keys[to]->pub.seal_pk, payload, sizeof(payload), keys[c->who],
			    &entry, NULL, NULL))
			break;
		if (parley_client_do(&cl, "POST", target, "application/octet-stream", entry.data, entry.len, &st, &resp,
			    NULL) || st != 201)
			break; /* the relay died (or refused): stop until it is back */
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
	parley_err err = { 0 };
	parley_party parties[CLIENTS];
	parley_charter_spec sp;
	parley_buf b = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	const char *cats[] = { "crash" };
	struct client cs[CLIENTS];
	unsigned port;
	size_t total_acked = 0;

	if (!(parley = getenv("PARLEY")))
		die("PARLEY is not set", NULL);
	if (parley_init(NULL))
		return 1;
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/parley-relaycrash-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	srand((unsigned)time(NULL));
	port = 20000 + (unsigned)(getpid() % 20000);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", port);
	for (int i = 0; i < CLIENTS; i++) {
		char name[16];
		snprintf(name, sizeof(name), "party-%d", i);
		if (parley_seckey_generate(name, &keys[i], &err))
			die("key", err.msg);
		parties[i].key = keys[i]->pub;
		parties[i].role = PARLEY_ROLE_PARTY;
	}
	if (parley_seckey_generate("relay", &relay_key, &err) || parley_seckey_encode(relay_key, NULL, 0, NULL, &b, &err))
		die("relay key", err.msg);
	char path[128];
	snprintf(path, sizeof(path), "%s/relay.key", dir);
	if (parley_file_write(path, b.data, b.len, 0600, true, &err))
		die("relay key file", err.msg);
	memset(&sp, 0, sizeof(sp));
	sp.title = "crash";
	sp.parties = parties;
	sp.nparties = CLIENTS;
	sp.relay_url = base;
	sp.relay = &relay_key->pub;
	sp.categories = cats;
	sp.ncategories = 1;
	sp.tlp = -1;
	if (parley_charter_new(&sp, &charter, &err))
		die("charter", err.msg);
	for (int i = 0; i < CLIENTS; i++)
		if (parley_charter_sign(charter, keys[i], &err))
			die("sign", err.msg);
	if (parley_charter_write(charter, &b, &err))
		die("charter", err.msg);
	parley_hex(chan, parley_charter_id(charter), 32);

	pid_t pid = start_relay(port);
	{
		parley_client cl;
		long st = 0;
		if (parley_client_init(&cl, base, keys[0], &err) ||
			parley_client_do(&cl, "POST", "/v1/channels", "application/json", b.data, b.len, &st, &resp, &err) ||
			st != 201)
			die("open channel", err.msg);
		parley_client_release(&cl);
	}
	memset(cs, 0, sizeof(cs));
	for (int k = 0; k <= KILLS; k++) {
		uint8_t **e;
		size_t *lens, n;
		uint64_t *times;
		parley_checkpoint cp;

		/* the log after the last crash: acknowledged entries present, tree matches the signed root */
		n = fetch_all(&e, &lens, &times, &cp);
		for (int c = 0; c < CLIENTS; c++)
			for (size_t i = 0; i < cs[c].nacks; i++) {
				uint8_t h[32];
				struct acked *a = &cs[c].acks[i];
				if (a->index >= n)
					die("an acknowledged entry is missing after the restart", NULL);
				parley_entry_hash(e[a->index], lens[a->index], h);
				if (memcmp(h, a->hash, 32) != 0)
					die("an acknowledged entry changed after the restart", NULL);
			}
		parley_merkle_frontier f;
		memset(&f, 0, sizeof(f));
		for (size_t i = 0; i < n; i++) {
			uint8_t h[32];
			parley_store_leaf_hash(h, e[i], lens[i], times[i]);
			if (parley_merkle_frontier_append(&f, h, NULL, NULL))
				die("frontier", NULL);
		}
		uint8_t root[32];
		parley_merkle_frontier_root(&f, root);
		if (cp.size != n || memcmp(root, cp.root, 32) != 0)
			die("the relay's entries do not hash to its signed root", NULL);
		resync(cs, e, lens, n);
		for (size_t i = 0; i < n; i++)
			free(e[i]);
		free(e);
		free(lens);
		free(times);
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
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		for (int c = 0; c < CLIENTS; c++) {
			cs[c].stop = 1;
			pthread_join(th[c], NULL);
		}
		total_acked = 0;
		for (int c = 0; c < CLIENTS; c++)
			total_acked += cs[c].nacks;
		printf("kill %2d: %zu entries acknowledged so far\n", k + 1, total_acked);
		pid = start_relay(port);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	for (int c = 0; c < CLIENTS; c++) {
		free(cs[c].acks);
		parley_seckey_free(keys[c]);
	}
	parley_seckey_free(relay_key);
	parley_charter_free(charter);
	parley_buf_release(&b);
	parley_buf_release(&resp);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	if (total_acked == 0)
		die("no entry was ever acknowledged", NULL);
	printf("%d kills of the relay under load: all %zu acknowledged entries survived; the log verifies\n", KILLS,
		total_acked);
	return 0;
}
