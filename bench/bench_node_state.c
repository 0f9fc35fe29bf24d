/*
 * bench_node_state.c - a node's incremental state at growing replica sizes: a sync with
 * nothing new and `status` at 10k, 100k (and, with PARLEY_BENCH_NODE_BIG=1, 1M) entries,
 * each beside the same figure at 10k (the target: the ratio stays under 2, as the cost
 * does not grow with the replica), the 10k figures beside two relay round trips (what
 * such a sync must do: fetch the checkpoint, post the cosignature), and `verify` (the
 * full re-verification) beside one core's Ed25519 verify rate.
 *
 * The log is built straight into the relay's store and the node's replica (entries
 * signed and sealed as parties would, not sent over HTTP): threads of four entries
 * (cert-a's notification to cert-b, cert-b's receipt, its response and its close),
 * all closed, after 50 threads that stay open; the node builds its tables on first open
 * of the grown replica, as it does for a replica of an older parley.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "parley/charter.h"
#include "parley/client.h"
#include "parley/entry.h"
#include "parley/node.h"
#include "parley/relay.h"
#include "parley/remote.h"
#include "parley/store.h"
#include "parley/workflow.h"

#define OPEN_THREADS 50

static void die(const char *what, const parley_err *err)
{
	fprintf(stderr, "bench node state: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

struct party {
	const parley_seckey *k;
	uint64_t seq;
	uint8_t prev[32];
};

struct builder {
	const uint8_t *id;
	struct party a, b;
	uint8_t pk_a[32], pk_b[32];
	uint64_t next;   /* the next index */
	uint64_t ms;     /* integration times: one ms apart */
	parley_store *relay, *replica;
	parley_buf *bufs;
	parley_store_item *items;
	size_t n, cap;
};

/* One entry from p (type, thread, ref) to the other party, queued for the next flush. */
static void add(struct builder *bd, struct party *p, const uint8_t *to_pk, const uint8_t *to_id, uint8_t type,
	uint64_t thread, bool ref)
{
	parley_entry_hdr h;
	parley_err err = { 0 };
	uint8_t pks[1][32];
	static const uint8_t payload[] = "{\"text\":\"bench\"}";

	memset(&h, 0, sizeof(h));
	memcpy(h.channel, bd->id, 32);
	memcpy(h.sender, p->k->pub.keyid, 4);
	h.seq = ++p->seq;
	if (h.seq > 1)
		memcpy(h.prev, p->prev, 32);
	h.created_ms = bd->ms;
	h.type = type;
	h.thread = thread;
	if (ref) {
		h.nrefs = 1;
		h.refs[0] = thread;
	}
	memcpy(h.category, "bench", 6);
	h.tlp = 1;
	h.nrecip = 1;
	memcpy(h.recip[0], to_id, 4);
	memcpy(pks[0], to_pk, 32);
	parley_buf *b = &bd->bufs[bd->n];
	parley_buf_reset(b);
	if (parley_entry_build(&h, (const uint8_t(*)[32])pks, payload, sizeof(payload) - 1, p->k, b, NULL, &err))
		die("entry", &err);
	parley_entry_hash(b->data, b->len, p->prev);
	bd->items[bd->n].data = b->data;
	bd->items[bd->n].len = b->len;
	bd->items[bd->n].integrated_ms = bd->ms++;
	bd->n++;
	bd->next++;
}

static void flush(struct builder *bd)
{
	parley_err err = { 0 };
	if (!bd->n)
		return;
	if (parley_store_append(bd->relay, bd->id, bd->items, bd->n, NULL, NULL, &err) ||
		parley_store_append(bd->replica, bd->id, bd->items, bd->n, NULL, NULL, &err))
		die("append", &err);
	bd->n = 0;
}

/* Grow the log to `size` entries: the open threads first, then closed threads of four. */
static void grow(struct builder *bd, uint64_t size)
{
	const uint8_t *ida = bd->a.k->pub.keyid, *idb = bd->b.k->pub.keyid;
	while (bd->next + 4 <= size) {
		if (bd->n + 4 > bd->cap)
			flush(bd);
		uint64_t t = bd->next;
		if (t < 2 * OPEN_THREADS) { /* an open thread: the notification and its receipt */
			add(bd, &bd->a, bd->pk_b, idb, PARLEY_T_NOTIFICATION, 0, false);
			add(bd, &bd->b, bd->pk_a, ida, PARLEY_T_RECEIPT, t, true);
			continue;
		}
		add(bd, &bd->a, bd->pk_b, idb, PARLEY_T_NOTIFICATION, 0, false);
		add(bd, &bd->b, bd->pk_a, ida, PARLEY_T_RECEIPT, t, true);
		add(bd, &bd->b, bd->pk_a, ida, PARLEY_T_RESPONSE, t, true);
		add(bd, &bd->b, bd->pk_a, ida, PARLEY_T_CLOSE, t, true);
	}
	flush(bd);
}

static void write_key(const char *path, const parley_seckey *k)
{
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	if (parley_seckey_encode(k, NULL, 0, NULL, &b, &err) || parley_file_write(path, b.data, b.len, 0600, false, &err))
		die(path, &err);
	parley_buf_release(&b);
}

struct rtt_ctx {
	parley_client *cl;
	const char *hex;
	parley_buf note;
};

static void rtt_once(void *c)
{
	struct rtt_ctx *r = c;
	parley_err err = { 0 };
	if (parley_remote_checkpoint(r->cl, r->hex, PARLEY_REMOTE_LATEST, &r->note, &err))
		die("checkpoint", &err);
}

void bench_node_state(void)
{
	char dir[] = "/tmp/parley-bench-state.XXXXXX", dbpath[256], path[300], cpath[256], home[256], base[64], hex[65];
	parley_seckey *ka = NULL, *kb = NULL, *kr = NULL;
	parley_err err = { 0 };
	parley_relay_config cfg;
	parley_relay *relay = NULL;
	parley_charter *ch;
	parley_charter_spec sp;
	parley_party parties[2];
	const char *cats[] = { "bench" };
	parley_buf cb = PARLEY_BUF_INIT;
	bool big = getenv("PARLEY_BENCH_NODE_BIG") && strcmp(getenv("PARLEY_BENCH_NODE_BIG"), "0") != 0;
	const uint64_t sizes[] = { 10000, 100000, 1000000 };
	size_t nsizes = big ? 3 : 2;
	double t_sync[3] = { 0 }, t_status[3] = { 0 };
	uint16_t port = 0;

	if (!mkdtemp(dir))
		die("setup", NULL);
	if (parley_seckey_generate("cert-a", &ka, &err) || parley_seckey_generate("cert-b", &kb, &err) ||
		parley_seckey_generate("relay", &kr, &err))
		die("keys", &err);
	double verify = bench_rate(bench_verify_one, NULL, bench_seconds());

	/* the channel: a relay we can stop and start on one port */
	memset(&cfg, 0, sizeof(cfg));
	snprintf(dbpath, sizeof(dbpath), "%s/relay.db", dir);
	cfg.db = dbpath;
	cfg.key = kr;
	cfg.host = "127.0.0.1";
	cfg.rate = -1;
	if (parley_relay_start(&cfg, &relay, &err))
		die("relay", &err);
	port = parley_relay_port(relay);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", port);
	memset(parties, 0, sizeof(parties));
	parties[0].key = ka->pub;
	parties[0].role = PARLEY_ROLE_PARTY;
	parties[1].key = kb->pub;
	parties[1].role = PARLEY_ROLE_PARTY;
	memset(&sp, 0, sizeof(sp));
	sp.title = "bench state";
	sp.parties = parties;
	sp.nparties = 2;
	sp.relay_url = base;
	sp.relay = &kr->pub;
	sp.categories = cats;
	sp.ncategories = 1;
	sp.tlp = -1;
	sp.valid_from = (int64_t)(parley_now_ms() / 1000) - 7200; /* the log's times start an hour ago */
	if (parley_charter_new(&sp, &ch, &err) || parley_charter_sign(ch, ka, &err) || parley_charter_sign(ch, kb, &err) ||
		parley_charter_write(ch, &cb, &err))
		die("charter", &err);
	snprintf(cpath, sizeof(cpath), "%s/c.json", dir);
	snprintf(path, sizeof(path), "%s/cert-b.key", dir);
	write_key(path, kb);
	snprintf(home, sizeof(home), "%s/b", dir);
	if (parley_file_write(cpath, cb.data, cb.len, 0644, false, &err) ||
		parley_node_join(home, cpath, path, kb, NULL, NULL, hex, &err))
		die("join", &err);
	parley_relay_stop(relay);
	relay = NULL;

	struct builder bd;
	memset(&bd, 0, sizeof(bd));
	bd.id = parley_charter_id(ch);
	bd.a.k = ka;
	bd.b.k = kb;
	memcpy(bd.pk_a, ka->pub.seal_pk, 32);
	memcpy(bd.pk_b, kb->pub.seal_pk, 32);
	bd.ms = parley_now_ms() - 3600 * 1000; /* an hour ago, one ms apart: within the charter's validity */
	bd.cap = 4096;
	bd.bufs = calloc(bd.cap, sizeof(*bd.bufs));
	bd.items = calloc(bd.cap, sizeof(*bd.items));
	snprintf(path, sizeof(path), "%s/replica.db", home);
	if (!bd.bufs || !bd.items || parley_store_open(dbpath, &bd.relay, &err) ||
		parley_store_open(path, &bd.replica, &err))
		die("stores", &err);

	double rtt = 0, verify_rate = 0, build_s = 0;
	uint64_t verified = 0;
	for (size_t si = 0; si < nsizes; si++) {
		parley_node *node = NULL;
		parley_sync_report rep;
		parley_client cl;
		uint8_t id[32];
		double t0 = bench_now();

		/* the log grows while neither the relay nor the node runs; the node then follows it */
		bd.ms = parley_now_ms() - 3600 * 1000 > bd.ms ? parley_now_ms() - 3600 * 1000 : bd.ms;
		grow(&bd, sizes[si]);
		build_s += bench_now() - t0;
		cfg.port = port;
		if (parley_relay_start(&cfg, &relay, &err))
			die("relay restart", &err);
		if (parley_node_open(home, kb, &node, &err) || parley_node_channel(node, NULL, id, &err))
			die("open", &err);
		if (parley_client_init(&cl, base, kb, &err))
			die("client", &err);
		/* the relay's signed checkpoint of the grown log, as if verified by an earlier sync */
		struct rtt_ctx rc = { &cl, hex, PARLEY_BUF_INIT };
		rtt_once(&rc);
		if (parley_store_checkpoint_put(bd.replica, bd.id, bd.next, (const char *)rc.note.data, rc.note.len,
			    &err))
			die("checkpoint", &err);
		if (si == 0)
			rtt = bench_rate(rtt_once, &rc, bench_seconds());
		parley_buf_release(&rc.note);
		parley_client_release(&cl);

		t0 = bench_now();
		if (parley_node_sync(node, id, &rep, &err)) /* builds the tables for what was added */
			die("sync", &err);
		double follow = bench_now() - t0;
		if (rep.receipts || rep.fetched) {
			fprintf(stderr, "bench node state: %zu receipts, %zu fetched\n", (size_t)rep.receipts, (size_t)rep.fetched);
			die("the built log owes or lacks something", NULL);
		}
		double best = 1e9, sbest = 1e9;
		for (int r = 0; r < 11; r++) { /* the best of 11: two HTTP round trips on a shared machine */
			t0 = bench_now();
			if (parley_node_sync(node, id, &rep, &err))
				die("empty sync", &err);
			double t = bench_now() - t0;
			best = t < best ? t : best;
		}
		for (int r = 0; r < 11; r++) {
			parley_workflow wf;
			uint64_t closed = 0;
			t0 = bench_now();
			if (parley_node_workflow_open(node, id, parley_now_ms(), &wf, &closed, &err))
				die("status", &err);
			double t = bench_now() - t0;
			sbest = t < sbest ? t : sbest;
			if (wf.nthreads != OPEN_THREADS)
				die("status: not the open threads", NULL);
			parley_workflow_release(&wf);
		}
		t_sync[si] = best;
		t_status[si] = sbest;
		printf("  (node state at %llu entries: log built in %.1f s so far, tables followed in %.2f s; "
		       "sync with nothing new %.2f ms, status %.3f ms)\n",
			(unsigned long long)sizes[si], build_s, follow, best * 1e3, sbest * 1e3);
		if (si + 1 == nsizes) { /* the full re-verification, at the largest size */
			t0 = bench_now();
			if (parley_node_verify(node, id, &verified, &err))
				die("verify", &err);
			verify_rate = (double)verified / (bench_now() - t0);
		}
		parley_node_close(node);
		parley_relay_stop(relay);
		relay = NULL;
	}

	/* each size's time beside the time at 10k (ratio < 2: it does not grow with the replica) */
	bench_report("node sync with nothing new, 10k (ms)", t_sync[0] * 1e3, "ms", 2e3 / rtt,
		"two relay round trips (ms)");
	bench_report("node status, 10k (ms)", t_status[0] * 1e3, "ms", 2e3 / rtt, "two relay round trips (ms)");
	for (size_t si = 1; si < nsizes; si++) {
		char name[96];
		snprintf(name, sizeof(name), "node sync with nothing new, %s (ms)", si == 1 ? "100k" : "1M");
		bench_report(name, t_sync[si] * 1e3, "ms", t_sync[0] * 1e3, "the same at 10k (target ratio < 2)");
		snprintf(name, sizeof(name), "node status, %s (ms)", si == 1 ? "100k" : "1M");
		bench_report(name, t_status[si] * 1e3, "ms", t_status[0] * 1e3, "the same at 10k (target ratio < 2)");
	}
	bench_report("node verify (full re-verification)", verify_rate, "entries/s", verify, "one core's Ed25519 verifies");

	parley_store_close(bd.relay);
	parley_store_close(bd.replica);
	for (size_t i = 0; i < bd.cap; i++)
		parley_buf_release(&bd.bufs[i]);
	free(bd.bufs);
	free(bd.items);
	parley_charter_free(ch);
	parley_seckey_free(ka);
	parley_seckey_free(kb);
	parley_seckey_free(kr);
	parley_buf_release(&cb);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench node state: could not remove %s\n", dir);
}
