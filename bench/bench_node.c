/*
 * bench_node.c - a party's node: the first sync of N new entries addressed to it (verify,
 * store, decrypt, and its batched receipts posted to the relay), beside one core's Ed25519
 * verify rate ("node first sync"); and a sync with nothing new over the N-entry replica (the
 * node re-reads its replica to follow chains, receipts owed and deadlines), beside the
 * SHA-256 rate over entries of the same size. The N entries are written into the relay's
 * store before the relay starts (so 100,000 take seconds, not an HTTP append each).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "bench.h"
#include "parley/charter.h"
#include "parley/entry.h"
#include "parley/node.h"
#include "parley/relay.h"
#include "parley/store.h"

static parley_seckey *ka, *kb, *kr;
static parley_buf sample = PARLEY_BUF_INIT;

static void die(const char *what, const parley_err *err)
{
	fprintf(stderr, "bench node: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static void hash_once(void *c)
{
	uint8_t h[32];
	(void)c;
	parley_entry_hash(sample.data, sample.len, h);
}

static void write_key(const char *path, const parley_seckey *k)
{
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	if (parley_seckey_encode(k, NULL, 0, NULL, &b, &err) || parley_file_write(path, b.data, b.len, 0600, false, &err))
		die(path, &err);
	parley_buf_release(&b);
}

void bench_node(void)
{
	char dir[] = "/tmp/parley-bench-node.XXXXXX", dbpath[256], path[256], cpath[256], home[256], base[64], hex[65];
	parley_err err = { 0 };
	parley_relay_config cfg;
	parley_relay *relay;
	parley_charter *ch;
	parley_charter_spec sp;
	parley_party parties[2];
	const char *cats[] = { "bench" };
	parley_buf cb = PARLEY_BUF_INIT;
	size_t n = getenv("PARLEY_BENCH_NODE_N") ? strtoul(getenv("PARLEY_BENCH_NODE_N"), NULL, 10) : 100000;

	if (!n || !mkdtemp(dir))
		die("setup", NULL);
	if (parley_seckey_generate("cert-a", &ka, &err) || parley_seckey_generate("cert-b", &kb, &err) ||
		parley_seckey_generate("relay", &kr, &err))
		die("keys", &err);
	double verify = bench_rate(bench_verify_one, NULL, bench_seconds());

	memset(&cfg, 0, sizeof(cfg));
	snprintf(dbpath, sizeof(dbpath), "%s/relay.db", dir); /* the relay opens it again later: its own buffer */
	cfg.db = dbpath;
	cfg.key = kr;
	cfg.host = "127.0.0.1";
	cfg.rate = -1;
	if (parley_relay_start(&cfg, &relay, &err))
		die("relay", &err);
	cfg.port = parley_relay_port(relay); /* stopped while its store is filled, then started again there */
	parley_relay_stop(relay);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", cfg.port);

	memset(parties, 0, sizeof(parties));
	parties[0].key = ka->pub;
	parties[0].role = PARLEY_ROLE_PARTY;
	parties[1].key = kb->pub;
	parties[1].role = PARLEY_ROLE_PARTY;
	memset(&sp, 0, sizeof(sp));
	sp.title = "bench";
	sp.parties = parties;
	sp.nparties = 2;
	sp.relay_url = base;
	sp.relay = &kr->pub;
	sp.categories = cats;
	sp.ncategories = 1;
	sp.tlp = -1;
	if (parley_charter_new(&sp, &ch, &err) || parley_charter_sign(ch, ka, &err) || parley_charter_sign(ch, kb, &err) ||
		parley_charter_write(ch, &cb, &err))
		die("charter", &err);
	snprintf(cpath, sizeof(cpath), "%s/c.json", dir);
	parley_store *st = NULL;
	if (parley_file_write(cpath, cb.data, cb.len, 0644, false, &err) || parley_store_open(dbpath, &st, &err) ||
		parley_store_channel_add(st, parley_charter_id(ch), cb.data, cb.len, &err))
		die("open channel", &err);

	/* cert-a's N notifications to cert-b, appended straight to the relay */
	parley_entry_hdr h;
	uint8_t payload[200], both[2][32];
	memset(&h, 0, sizeof(h));
	memcpy(h.channel, parley_charter_id(ch), 32);
	memcpy(h.sender, ka->pub.keyid, 4);
	h.type = PARLEY_T_NOTIFICATION;
	memcpy(h.category, "bench", 6);
	h.nrecip = 2;
	memcpy(h.recip[0], kb->pub.keyid, 4);
	memcpy(h.recip[1], ka->pub.keyid, 4);
	memcpy(both[0], kb->pub.seal_pk, 32);
	memcpy(both[1], ka->pub.seal_pk, 32);
	memcpy(payload, "{\"text\":\"", 9);
	memset(payload + 9, 'x', sizeof(payload) - 11);
	memcpy(payload + sizeof(payload) - 2, "\"}", 2);
	parley_hex(hex, parley_charter_id(ch), 32);
	/* appended in transactions of 1,000, as the relay's group commit would */
	enum { CHUNK = 1000 };
	parley_buf *eb = calloc(CHUNK, sizeof(*eb));
	parley_store_item *items = calloc(CHUNK, sizeof(*items));
	if (!eb || !items)
		die("memory", NULL);
	for (size_t i = 0; i < n; i += CHUNK) {
		size_t m = n - i < CHUNK ? n - i : CHUNK;
		uint64_t now = parley_now_ms();
		for (size_t k = 0; k < m; k++) {
			h.seq = i + k + 1;
			h.created_ms = now;
			parley_buf_reset(&eb[k]);
			if (parley_entry_build(&h, (const uint8_t(*)[32])both, payload, sizeof(payload), ka, &eb[k], NULL, &err))
				die("entry", &err);
			parley_entry_hash(eb[k].data, eb[k].len, h.prev);
			items[k].data = eb[k].data;
			items[k].len = eb[k].len;
			items[k].integrated_ms = now;
		}
		if (parley_store_append(st, parley_charter_id(ch), items, m, NULL, NULL, &err))
			die("append", &err);
		if (i == 0 && parley_buf_add(&sample, eb[0].data, eb[0].len))
			die("sample", NULL);
	}
	for (size_t k = 0; k < CHUNK; k++)
		parley_buf_release(&eb[k]);
	free(eb);
	free(items);
	parley_store_close(st);
	if (parley_relay_start(&cfg, &relay, &err))
		die("relay (again)", &err);

	/* cert-b's node */
	parley_node *node = NULL;
	parley_sync_report rep;
	uint8_t id[32];
	snprintf(path, sizeof(path), "%s/cert-b.key", dir);
	write_key(path, kb);
	snprintf(home, sizeof(home), "%s/b", dir);
	if (parley_node_join(home, cpath, path, kb, NULL, NULL, hex, &err) || parley_node_open(home, kb, &node, &err) ||
		parley_node_channel(node, NULL, id, &err))
		die("join", &err);
	double t0 = bench_now();
	if (parley_node_sync(node, id, &rep, &err))
		die("first sync", &err);
	double first = bench_now() - t0;
	if (rep.received != n || rep.receipts != n)
		die("first sync: not every entry was received and receipted", NULL);
	bench_report("node first sync", (double)n / first, "entries/s", verify,
		"one core's Ed25519 verifies");
	printf("  (node first sync: %zu entries in %.2f s: verified, stored, opened, %llu receipt entries)\n", n, first,
		(unsigned long long)rep.receipt_entries);
	if (parley_node_sync(node, id, &rep, &err)) /* fetch its own receipts */
		die("second sync", &err);
	double best = 1e9;
	for (int r = 0; r < 3; r++) {
		t0 = bench_now();
		if (parley_node_sync(node, id, &rep, &err))
			die("empty sync", &err);
		double t = bench_now() - t0;
		if (t < best)
			best = t;
	}
	double hashes = bench_rate(hash_once, NULL, bench_seconds());
	bench_report("node sync with nothing new (replica entries scanned)", (double)rep.new_size / best, "entries/s",
		hashes, "SHA-256 of an entry of this size");
	printf("  (node: first sync of %zu entries %.2f s; sync with nothing new over %llu entries %.1f ms)\n", n, first,
		(unsigned long long)rep.new_size, best * 1e3);

	parley_node_close(node);
	parley_relay_stop(relay);
	parley_charter_free(ch);
	parley_seckey_free(ka);
	parley_seckey_free(kb);
	parley_seckey_free(kr);
	parley_buf_release(&cb);
	parley_buf_release(&sample);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench node: could not remove %s\n", dir);
}
