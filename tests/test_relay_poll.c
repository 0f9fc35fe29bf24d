/*
 * test_relay_poll.c - long polls on a real 'parley serve' (GET entries with wait=): an entry
 * appended while a request waits answers it at once; a wait that expires answers an empty
 * page after about its time; the per-key and total limits answer 429 with Retry-After; a
 * waiting client that disconnects frees its slot; a node's parley_node_wait says when its
 * replica is behind the relay.
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

#include <sodium.h>

#include "parley/client.h"
#include "parley/entry.h"
#include "parley/node.h"
#include "parley/remote.h"
#include "relaytest.h"

static struct rt T;
static uint64_t seq0;
static uint8_t prev0[32];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Party 0 appends one entry to party 1; its index. */
static uint64_t append_one(void)
{
	parley_client cl;
	parley_buf entry = PARLEY_BUF_INIT;
	parley_entry_hdr h;
	parley_err err = { 0 };
	uint8_t payload[64];
	uint64_t index = 0;

	memset(&h, 0, sizeof(h));
	memcpy(h.channel, parley_charter_id(T.charter), 32);
	memcpy(h.sender, T.keys[0]->pub.keyid, 4);
	h.type = PARLEY_T_NOTIFICATION;
	memcpy(h.category, "polls", 6);
	h.nrecip = 1;
	memcpy(h.recip[0], T.keys[1]->pub.keyid, 4);
	h.seq = seq0 + 1;
	memcpy(h.prev, prev0, 32);
	h.created_ms = parley_now_ms();
	randombytes_buf(payload, sizeof(payload));
	if (parley_client_init(&cl, T.base, T.keys[0], &err) ||
		parley_entry_build(&h, (const uint8_t(*)[32])T.keys[1]->pub.seal_pk, payload, sizeof(payload), T.keys[0], &entry,
			NULL, &err) ||
		parley_remote_append(&cl, T.chan, entry.data, entry.len, &index, NULL, &err))
		rt_die("append", err.msg);
	parley_entry_hash(entry.data, entry.len, prev0);
	seq0 = h.seq;
	parley_client_release(&cl);
	parley_buf_release(&entry);
	return index;
}

/* The relay's parley_long_polls_waiting gauge. */
static long waiting(void)
{
	parley_client cl;
	parley_buf m = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	long v = -1;
	if (parley_client_init(&cl, T.base, NULL, &err) || parley_remote_metrics(&cl, &m, &err))
		rt_die("metrics", err.msg);
	const char *p = strstr((const char *)m.data, "\nparley_long_polls_waiting ");
	if (p)
		v = strtol(p + 27, NULL, 10);
	parley_client_release(&cl);
	parley_buf_release(&m);
	return v;
}

/* Poll the gauge until it reads want (up to 20 s: the machine may be loaded). */
static void wait_gauge(long want, const char *what)
{
	long v = -1;
	for (int i = 0; i < 400; i++) {
		if ((v = waiting()) == want)
			return;
		nap_ms(50);
	}
	char d[96];
	snprintf(d, sizeof(d), "parley_long_polls_waiting is %ld, expected %ld", v, want);
	rt_die(what, d);
}

struct poll {
	int who;
	uint64_t from;
	unsigned wait;
	parley_code rc;
	size_t n;
	double took;
	char msg[512];
};

static void *poll_main(void *arg)
{
	struct poll *p = arg;
	parley_client cl;
	parley_remote_page pg = PARLEY_REMOTE_PAGE_INIT;
	parley_err err = { 0 };
	double t0 = now_s();
	if (parley_client_init(&cl, T.base, T.keys[p->who], &err))
		rt_die("client", err.msg);
	p->rc = parley_remote_entries(&cl, T.chan, p->from, 10, p->wait, &pg, &err);
	p->took = now_s() - t0;
	p->n = pg.n;
	snprintf(p->msg, sizeof(p->msg), "%s", err.msg);
	parley_remote_page_release(&pg);
	parley_client_release(&cl);
	return NULL;
}

/* A process that long-polls as party `who` until killed: its socket closes with it. */
static pid_t poller(int who, uint64_t from)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct poll p = { who, from, 30, PARLEY_OK, 0, 0, "" };
		poll_main(&p);
		_exit(0);
	}
	if (pid < 0)
		rt_die("fork", NULL);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	pthread_t th;
	struct poll p;

	rt_setup(&T, 2, "polls");
	T.opt2 = "--poll-max-per-key";
	T.val2 = "2";
	rt_start(&T, "--poll-max", "3");
	rt_open_channel(&T);

	/* 1. an entry appended while the request waits answers it at once */
	memset(&p, 0, sizeof(p));
	p.who = 1;
	p.from = 0;
	p.wait = 30;
	if (pthread_create(&th, NULL, poll_main, &p))
		rt_die("thread", NULL);
	wait_gauge(1, "the long poll is not waiting");
	double t0 = now_s();
	if (append_one() != 0)
		rt_die("append", "not at index 0");
	pthread_join(th, NULL);
	if (p.rc || p.n != 1)
		rt_die("a waiting poll did not get the appended entry", p.msg);
	if (now_s() - t0 > 10)
		rt_die("a waiting poll answered long after the append", NULL);
	printf("woken by an append: answered %.3f s after the append was sent\n", now_s() - t0);

	/* 2. a wait that expires answers an empty page, after about its time */
	memset(&p, 0, sizeof(p));
	p.who = 1;
	p.from = 1;
	p.wait = 1;
	poll_main(&p);
	if (p.rc || p.n != 0)
		rt_die("an expired poll", p.msg[0] ? p.msg : "entries in an expired poll");
	if (p.took < 0.9 || p.took > 15)
		rt_die("an expired poll did not wait about its time", NULL);
	printf("expired: empty page after %.3f s (wait=1)\n", p.took);
	/* an entry already there is answered at once, however long the wait */
	memset(&p, 0, sizeof(p));
	p.who = 1;
	p.from = 0;
	p.wait = 30;
	poll_main(&p);
	if (p.rc || p.n != 1 || p.took > 10)
		rt_die("a poll for an entry already there", p.msg);

	/* 3. per key: party 0 may keep 2 waiting, the third is refused */
	pid_t a = poller(0, 1), b = poller(0, 1);
	wait_gauge(2, "two polls of party 0 are not waiting");
	{
		parley_client cl;
		parley_buf resp = PARLEY_BUF_INIT;
		parley_err err = { 0 };
		long status = 0;
		char target[160];
		snprintf(target, sizeof(target), "/v1/channels/%s/entries?from=1&wait=5", T.chan);
		if (parley_client_init(&cl, T.base, T.keys[0], &err))
			rt_die("client", err.msg);
		cl.no_retry = 1;
		if (parley_client_do(&cl, "GET", target, NULL, NULL, 0, &status, &resp, &err) || status != 429 ||
			!strstr((const char *)resp.data, "too-many-waiting"))
			rt_die("a third poll by one key is not refused with 429", err.msg);
		parley_client_release(&cl);
		parley_buf_release(&resp);
	}
	memset(&p, 0, sizeof(p));
	p.who = 0;
	p.from = 1;
	p.wait = 5;
	poll_main(&p);
	if (p.rc != PARLEY_E_LIMIT || !strstr(p.msg, "429"))
		rt_die("parley_remote_entries does not say PARLEY_E_LIMIT for a 429", p.msg);
	printf("per key: third poll refused (%s)\n", p.msg);

	/* 4. in all: party 1 takes the last slot, its second poll is refused */
	pid_t c = poller(1, 1);
	wait_gauge(3, "three polls are not waiting");
	memset(&p, 0, sizeof(p));
	p.who = 1;
	p.from = 1;
	p.wait = 5;
	poll_main(&p);
	if (p.rc != PARLEY_E_LIMIT)
		rt_die("a poll beyond the total is not refused", p.msg);

	/* 5. waiting clients that go away free their slots */
	reap(a);
	reap(b);
	reap(c);
	wait_gauge(0, "the slots of disconnected clients were not freed");
	memset(&p, 0, sizeof(p));
	p.who = 0;
	p.from = 1;
	p.wait = 1;
	poll_main(&p);
	if (p.rc || p.n != 0)
		rt_die("a poll after the others went away", p.msg);
	printf("disconnected clients freed their slots\n");

	/* 6. a waiting poll is woken by an append even with others waiting on the same channel */
	pid_t d = poller(0, 1);
	memset(&p, 0, sizeof(p));
	p.who = 1;
	p.from = 1;
	p.wait = 30;
	if (pthread_create(&th, NULL, poll_main, &p))
		rt_die("thread", NULL);
	wait_gauge(2, "two polls are not waiting");
	t0 = now_s();
	(void)append_one();
	pthread_join(th, NULL);
	if (p.rc || p.n != 1 || now_s() - t0 > 10)
		rt_die("a second waiting poll was not woken", p.msg);
	reap(d);
	wait_gauge(0, "a killed poller's slot was not freed");

	/* 7. a node waits for its relay: at once when the replica is behind, after the wait when not */
	{
		parley_buf fb = PARLEY_BUF_INIT;
		parley_err err = { 0 };
		parley_node *node = NULL;
		parley_sync_report rep;
		char home[128], cpath[160], kpath[160], hex[65];
		bool arrived = true;
		snprintf(home, sizeof(home), "%s/home-1", T.dir);
		snprintf(cpath, sizeof(cpath), "%s/charter.json", T.dir);
		snprintf(kpath, sizeof(kpath), "%s/party-01.key", T.dir);
		if (parley_charter_write(T.charter, &fb, &err) || parley_file_write(cpath, fb.data, fb.len, 0644, false, &err))
			rt_die("charter file", err.msg);
		parley_buf_reset(&fb);
		if (parley_seckey_encode(T.keys[1], NULL, 0, NULL, &fb, &err) ||
			parley_file_write(kpath, fb.data, fb.len, 0600, true, &err) ||
			parley_node_join(home, cpath, kpath, T.keys[1], NULL, NULL, hex, &err) ||
			parley_node_open(home, T.keys[1], &node, &err))
			rt_die("node", err.msg);
		parley_buf_release(&fb);
		const uint8_t *id = parley_charter_id(T.charter);
		double w0 = now_s();
		if (parley_node_wait(node, id, 30, &arrived, &err) || !arrived || now_s() - w0 > 10)
			rt_die("parley_node_wait on a replica behind the relay", err.msg);
		if (parley_node_sync(node, id, &rep, &err) || rep.new_size != 2 || rep.old_size != 0)
			rt_die("sync", err.msg);
		/* its batched receipt for the two went to the relay: an entry past the replica, which a wait sees */
		if (parley_node_wait(node, id, 30, &arrived, &err) || !arrived)
			rt_die("parley_node_wait after the node's own receipts", err.msg);
		if (parley_node_sync(node, id, &rep, &err) || rep.new_size != 3)
			rt_die("second sync", err.msg);
		w0 = now_s();
		if (parley_node_wait(node, id, 1, &arrived, &err) || arrived || now_s() - w0 < 0.9)
			rt_die("parley_node_wait on a replica up to date", arrived ? "arrived" : err.msg);
		printf("node: wait at once when behind, %.2f s when up to date\n", now_s() - w0);
		parley_node_close(node);
	}

	/* 8. the binary page (Accept: PARLEY_MEDIA_PAGE) holds the same entries as the JSON one */
	{
		parley_client cl;
		parley_buf js = PARLEY_BUF_INIT, bin = PARLEY_BUF_INIT;
		parley_remote_page pj = PARLEY_REMOTE_PAGE_INIT, pb = PARLEY_REMOTE_PAGE_INIT;
		parley_err err = { 0 };
		long status = 0;
		char target[160];
		snprintf(target, sizeof(target), "/v1/channels/%s/entries?from=0&limit=10", T.chan);
		if (parley_client_init(&cl, T.base, T.keys[1], &err) ||
			parley_client_do(&cl, "GET", target, NULL, NULL, 0, &status, &js, &err) || status != 200 ||
			strncmp(cl.resp_type, "application/json", 16) != 0)
			rt_die("a page without Accept is not JSON", err.msg);
		cl.accept = PARLEY_MEDIA_PAGE;
		if (parley_client_do(&cl, "GET", target, NULL, NULL, 0, &status, &bin, &err) || status != 200 ||
			strcmp(cl.resp_type, PARLEY_MEDIA_PAGE) != 0)
			rt_die("a page with Accept: " PARLEY_MEDIA_PAGE " is not binary", cl.resp_type);
		cl.accept = NULL;
		if (parley_remote_page_parse((const char *)js.data, js.len, 0, &pj, &err) ||
			parley_remote_page_parse_bin(bin.data, bin.len, 0, &pb, &err))
			rt_die("parse", err.msg);
		if (pj.n != 3 || pb.n != pj.n || pb.size != pj.size)
			rt_die("the binary page does not hold the JSON page's entries", NULL);
		for (size_t i = 0; i < pj.n; i++)
			if (pb.v[i].index != pj.v[i].index || pb.v[i].integrated_ms != pj.v[i].integrated_ms ||
				pb.v[i].len != pj.v[i].len || memcmp(pb.v[i].data, pj.v[i].data, pj.v[i].len) != 0)
				rt_die("the binary page differs from the JSON page at an entry", NULL);
		/* what a hostile relay might send instead: each refused, nothing kept */
		size_t first = 8 + 20 + pb.v[0].len;
		const struct {
			size_t cut;
			size_t at;
			uint8_t val;
			const char *what;
		} bad[] = {
			{ 5, 0, 0, "cut short" },
			{ first - 1, 0, 0, "malformed" },
			{ bin.len, 8 + 7, 1, "where 0 was due" },          /* index 1 first */
			{ bin.len, 8 + 16, 0x7f, "malformed" },            /* a length past the body */
			{ bin.len, first + 7, 9, "where 1 was due" },      /* the second entry's index skips */
		};
		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			parley_buf t = PARLEY_BUF_INIT;
			parley_remote_page px = PARLEY_REMOTE_PAGE_INIT;
			parley_err e2 = { 0 };
			if (parley_buf_add(&t, bin.data, bad[k].cut))
				rt_die("memory", NULL);
			if (bad[k].val)
				t.data[bad[k].at] = bad[k].val;
			if (parley_remote_page_parse_bin(t.data, t.len, 0, &px, &e2) != PARLEY_E_VERIFY || px.n || px.v ||
				!strstr(e2.msg, bad[k].what))
				rt_die("a damaged binary page is not refused as it should be", e2.msg[0] ? e2.msg : bad[k].what);
			parley_buf_release(&t);
		}
		printf("binary page: %zu entries, %zu bytes (JSON %zu); damaged pages refused\n", pb.n, bin.len, js.len);
		parley_remote_page_release(&pj);
		parley_remote_page_release(&pb);
		parley_buf_release(&js);
		parley_buf_release(&bin);
		parley_client_release(&cl);
	}

	rt_teardown(&T);
	printf("ok\n");
	return 0;
}
