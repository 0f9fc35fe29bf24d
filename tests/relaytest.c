/* relaytest.c - the fixture of relaytest.h. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "parley/client.h"
#include "parley/merkle.h"
#include "parley/proof.h"
#include "parley/store.h"
#include "relaytest.h"

static pid_t running; /* the relay rt_start started last: rt_die stops it, so no orphan holds the test's output */

void rt_die(const char *what, const char *detail)
{
	fprintf(stderr, "FAIL: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	if (getenv("RT_PAUSE_ON_FAIL")) /* time to attach a debugger to the relays */
		sleep(300);
	if (running > 0)
		kill(running, SIGKILL);
	exit(1);
}

void rt_setup(struct rt *t, int n, const char *category)
{
	parley_err err = { 0 };
	parley_party parties[RT_MAX_PARTIES];
	parley_charter_spec sp;
	parley_buf b = PARLEY_BUF_INIT;
	const char *cats[1] = { category };
	char path[128];

	memset(t, 0, sizeof(*t));
	if (!(t->parley = getenv("PARLEY")))
		rt_die("PARLEY is not set", NULL);
	if (parley_init(NULL))
		rt_die("libsodium", NULL);
	signal(SIGPIPE, SIG_IGN);
	snprintf(t->dir, sizeof(t->dir), "/tmp/parley-relaytest-XXXXXX");
	if (!mkdtemp(t->dir))
		rt_die("mkdtemp", NULL);
	t->port = 20000 + (unsigned)(getpid() % 12000); /* below the ephemeral range other tests' relays use */
	snprintf(t->base, sizeof(t->base), "http://127.0.0.1:%u", t->port);
	t->nkeys = n;
	for (int i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "party-%02d", i);
		if (parley_seckey_generate(name, &t->keys[i], &err))
			rt_die("key", err.msg);
		parties[i].key = t->keys[i]->pub;
		parties[i].role = PARLEY_ROLE_PARTY;
	}
	if (parley_seckey_generate("relay", &t->relay_key, &err) ||
		parley_seckey_encode(t->relay_key, NULL, 0, NULL, &b, &err))
		rt_die("relay key", err.msg);
	snprintf(path, sizeof(path), "%s/relay.key", t->dir);
	if (parley_file_write(path, b.data, b.len, 0600, true, &err))
		rt_die("relay key file", err.msg);
	parley_buf_release(&b);
	memset(&sp, 0, sizeof(sp));
	sp.title = "relay test";
	sp.parties = parties;
	sp.nparties = (size_t)n;
	sp.relay_url = t->base;
	sp.relay = &t->relay_key->pub;
	sp.categories = cats;
	sp.ncategories = 1;
	sp.tlp = -1;
	if (parley_charter_new(&sp, &t->charter, &err))
		rt_die("charter", err.msg);
	for (int i = 0; i < n; i++)
		if (parley_charter_sign(t->charter, t->keys[i], &err))
			rt_die("sign", err.msg);
	parley_hex(t->chan, parley_charter_id(t->charter), 32);
}

void rt_start(struct rt *t, const char *opt, const char *val)
{
	char listen[64], keyp[128], db[128];
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", t->port);
	snprintf(keyp, sizeof(keyp), "%s/relay.key", t->dir);
	snprintf(db, sizeof(db), "%s/relay.db", t->dir);
	const char *dbarg = t->db ? t->db : db;
	t->pid = running = fork();
	if (t->pid == 0) {
		const char *log = getenv("PARLEY_RELAY_STDERR"); /* to read the relay's own reports, sanitizers' too */
		if (!freopen(log ? log : "/dev/null", "a", stderr))
			_exit(126);
		execl(t->parley, t->parley, "serve", "--key", keyp, "--db", dbarg, "--listen", listen, "--rate", "0",
			opt ? opt : (char *)NULL, val, t->opt2, t->val2, (char *)NULL);
		_exit(127);
	}
	/* up to 30 s: a relay under ThreadSanitizer on a loaded machine, recovering a killed one's WAL, is slow */
	for (int i = 0; i < 1500; i++) {
		int status;
		if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
			t->pid = running = 0;
			rt_die("the relay exited at start", NULL);
		}
		parley_client cl;
		parley_buf resp = PARLEY_BUF_INIT;
		long st = 0;
		int up = parley_client_init(&cl, t->base, NULL, NULL) == PARLEY_OK &&
			parley_client_do(&cl, "GET", "/v1/health", NULL, NULL, 0, &st, &resp, NULL) == PARLEY_OK && st == 200;
		parley_client_release(&cl);
		parley_buf_release(&resp);
		if (up)
			return;
		struct timespec d = { 0, 20000000L };
		nanosleep(&d, NULL);
	}
	kill(t->pid, SIGKILL); /* no orphan holding the test's output open */
	waitpid(t->pid, NULL, 0);
	rt_die("the relay did not start within 30 s", NULL);
}

void rt_open_channel(struct rt *t)
{
	parley_client cl;
	parley_buf b = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	long st = 0;
	if (parley_charter_write(t->charter, &b, &err) || parley_client_init(&cl, t->base, t->keys[0], &err) ||
		parley_client_do(&cl, "POST", "/v1/channels", "application/json", b.data, b.len, &st, &resp, &err) ||
		st != 201)
		rt_die("open channel", err.msg);
	parley_client_release(&cl);
	parley_buf_release(&b);
	parley_buf_release(&resp);
}

long rt_rss_kib(const struct rt *t)
{
	char path[64], line[256];
	long kib = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)t->pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	fclose(f);
	return kib;
}

size_t rt_fetch_verified(struct rt *t, uint8_t ***entries, size_t **lens)
{
	parley_client cl;
	parley_buf resp = PARLEY_BUF_INIT;
	parley_checkpoint cp;
	parley_merkle_frontier fr;
	parley_err err = { 0 };
	char target[256];
	long st = 0;
	size_t n = 0, cap = 0;
	uint8_t root[32];

	memset(&fr, 0, sizeof(fr));
	if (entries)
		*entries = NULL;
	if (lens)
		*lens = NULL;
	if (parley_client_init(&cl, t->base, t->keys[0], &err))
		rt_die("client", err.msg);
	snprintf(target, sizeof(target), "/v1/channels/%s/checkpoint", t->chan);
	if (parley_client_do(&cl, "GET", target, NULL, NULL, 0, &st, &resp, &err) || st != 200)
		rt_die("checkpoint", err.msg);
	if (parley_checkpoint_check(t->charter, (const char *)resp.data, resp.len, &cp, NULL, &err))
		rt_die("the checkpoint does not verify", err.msg);
	while (n < cp.size) {
		size_t got = 0, i;
		json_t *v;
		snprintf(target, sizeof(target), "/v1/channels/%s/entries?from=%zu", t->chan, n);
		if (parley_client_do(&cl, "GET", target, NULL, NULL, 0, &st, &resp, &err) || st != 200)
			rt_die("entries", err.msg);
		json_t *j = json_loadb((const char *)resp.data, resp.len, 0, NULL);
		json_array_foreach(json_object_get(j, "entries"), i, v) {
			const char *b64 = json_string_value(json_object_get(v, "entry"));
			uint64_t ms = (uint64_t)json_integer_value(json_object_get(v, "integrated_ms"));
			uint8_t *raw = malloc(strlen(b64)), h[32];
			size_t len = 0;
			if (!raw || parley_unb64(raw, strlen(b64), &len, b64, strlen(b64)))
				rt_die("bad base64 from the relay", NULL);
			parley_store_leaf_hash(h, raw, len, ms);
			if (parley_merkle_frontier_append(&fr, h, NULL, NULL))
				rt_die("frontier", NULL);
			if (entries) {
				if (n == cap) {
					cap = cap ? cap * 2 : 1024;
					*entries = realloc(*entries, cap * sizeof(**entries));
					*lens = realloc(*lens, cap * sizeof(**lens));
				}
				(*entries)[n] = raw;
				(*lens)[n] = len;
			} else {
				free(raw);
			}
			n++;
			got++;
		}
		json_decref(j);
		if (!got)
			break;
	}
	parley_merkle_frontier_root(&fr, root);
	if (n != cp.size || memcmp(root, cp.root, 32) != 0)
		rt_die("the relay's entries do not hash to its signed root", NULL);
	parley_client_release(&cl);
	parley_buf_release(&resp);
	return n;
}

void rt_teardown(struct rt *t)
{
	char cmd[128];
	if (t->pid > 0) {
		kill(t->pid, SIGTERM);
		waitpid(t->pid, NULL, 0);
	}
	for (int i = 0; i < t->nkeys; i++)
		parley_seckey_free(t->keys[i]);
	parley_seckey_free(t->relay_key);
	parley_charter_free(t->charter);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", t->dir);
	if (system(cmd) != 0)
		rt_die("cleanup", NULL);
}
