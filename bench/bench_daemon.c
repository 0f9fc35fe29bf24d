/*
 * bench_daemon.c - the standing node (parley run) on loopback: two homes each served by
 * `parley run`; the time from `parley notify` returning to the recipient's receipt being
 * integrated (the relay's clock), p50 and p99 over PARLEY_BENCH_DAEMON_N notifications
 * (default 200), and a ping's round trip (ping to ping-response, integration times);
 * each beside the floor of the same path measured in this run: two signed HTTP round
 * trips on loopback (an append and a read of it) plus the entry's signature verify.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "bench.h"
#include "parley/charter.h"
#include "parley/client.h"
#include "parley/entry.h"
#include "parley/msg.h"
#include "parley/node.h"
#include "parley/relay.h"

static char parley_bin[4096];

static void die(const char *what, const parley_err *err)
{
	fprintf(stderr, "bench daemon: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	size_t i;
	qsort(v, n, sizeof(*v), cmp_d);
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static void write_key(const char *path, const parley_seckey *k)
{
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	if (parley_seckey_encode(k, NULL, 0, NULL, &b, &err) || parley_file_write(path, b.data, b.len, 0600, false, &err))
		die(path, &err);
	parley_buf_release(&b);
}

/* Run parley with args; its stdout (first line that is a number) into *index. Returns the exit status. */
static int run_parley(char *const args[], uint64_t *index)
{
	int p[2], st = 0;
	pid_t pid;
	char out[4096];
	size_t n = 0;
	ssize_t r;

	if (pipe(p) != 0)
		die("pipe", NULL);
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(p[1], 1);
		dup2(null, 0);
		dup2(null, 2);
		close(p[0]);
		close(p[1]);
		execv(parley_bin, args);
		_exit(127);
	}
	close(p[1]);
	while (n + 1 < sizeof(out) && (r = read(p[0], out + n, sizeof(out) - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(p[0]);
	waitpid(pid, &st, 0);
	if (index) {
		char *last = strrchr(out, '\n');
		while (last && last > out && last[-1] != '\n')
			last--;
		/* the last line is the index */
		char *s = out + n;
		while (s > out && s[-1] == '\n')
			s--;
		*s = 0;
		last = strrchr(out, '\n');
		*index = strtoull(last ? last + 1 : out, NULL, 10);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static pid_t start_node(const char *home, const char *log)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600), null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(fd, 2);
		execl(parley_bin, "parley", "--home", home, "run", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/*
 * Wait until the log holds an entry of `type` from sender whose first reference (receipt)
 * or thread (ping-response) is `ref`, from index `from`; its integration time into *ms,
 * and the integration time of entry `ref` into *ref_ms when it is seen.
 */
static void wait_entry(parley_client *cl, const char *hex, uint64_t from, uint8_t type, const uint8_t sender[4],
	uint64_t ref, uint64_t *ms, uint64_t *ref_ms)
{
	char target[200];
	parley_buf resp = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	double start = bench_now();
	long status = 0;

	for (;;) {
		snprintf(target, sizeof(target), "/v1/channels/%s/entries?from=%llu&limit=100", hex, (unsigned long long)from);
		if (parley_client_do(cl, "GET", target, NULL, NULL, 0, &status, &resp, &err) || status != 200)
			die("read the log", &err);
		json_t *j = json_loadb((const char *)resp.data, resp.len, 0, NULL);
		json_t *es = json_object_get(j, "entries"), *e;
		size_t i;
		bool found = false;
		json_array_foreach(es, i, e) {
			const char *b64 = json_string_value(json_object_get(e, "entry"));
			uint64_t idx = (uint64_t)json_integer_value(json_object_get(e, "index"));
			uint64_t t = (uint64_t)json_integer_value(json_object_get(e, "integrated_ms"));
			uint8_t raw[PARLEY_ENTRY_MAX_BYTES];
			size_t len = 0;
			parley_entry pe;
			if (idx == ref && ref_ms)
				*ref_ms = t;
			if (!b64 || sodium_base642bin(raw, sizeof(raw), b64, strlen(b64), NULL, &len, NULL,
					    sodium_base64_VARIANT_ORIGINAL) != 0 ||
				parley_entry_parse(raw, len, &pe, NULL))
				continue;
			if (pe.h.type == type && memcmp(pe.h.sender, sender, 4) == 0 &&
				(type == PARLEY_T_RECEIPT ? pe.h.nrefs > 0 && pe.h.refs[0] == ref : pe.h.thread == ref)) {
				*ms = t;
				found = true;
				break;
			}
		}
		json_decref(j);
		if (found)
			break;
		if (bench_now() - start > 60)
			die("no answer from the recipient's node within 60 s", NULL);
		sleep_ms(2);
	}
	parley_buf_release(&resp);
}

static parley_charter *make_charter(const char *title, parley_seckey *x, parley_seckey *y, const char *base,
	const parley_seckey *kr, parley_buf *cb)
{
	parley_party parties[2];
	parley_charter_spec sp;
	parley_charter *ch;
	parley_err err = { 0 };
	const char *cats[] = { "bench" };

	memset(parties, 0, sizeof(parties));
	parties[0].key = x->pub;
	parties[0].role = PARLEY_ROLE_PARTY;
	parties[1].key = y->pub;
	parties[1].role = PARLEY_ROLE_PARTY;
	memset(&sp, 0, sizeof(sp));
	sp.title = title;
	sp.parties = parties;
	sp.nparties = 2;
	sp.relay_url = base;
	sp.relay = &kr->pub;
	sp.categories = cats;
	sp.ncategories = 1;
	sp.tlp = -1;
	if (parley_charter_new(&sp, &ch, &err) || parley_charter_sign(ch, x, &err) || parley_charter_sign(ch, y, &err) ||
		parley_charter_write(ch, cb, &err))
		die("charter", &err);
	return ch;
}

void bench_daemon(void)
{
	char dir[] = "/tmp/parley-bench-daemon.XXXXXX", dbpath[256], path[300], cpath[300], ha[300], hb[300], base[64],
	     hex[65], hex2[65], la[300], lb[300];
	parley_seckey *ka = NULL, *kb = NULL, *kc = NULL, *kd = NULL, *kr = NULL;
	parley_err err = { 0 };
	parley_relay_config cfg;
	parley_relay *relay;
	parley_charter *ch, *ch2;
	parley_buf cb = PARLEY_BUF_INIT, cb2 = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	parley_client cla, clc, cld;
	long status = 0;
	size_t n = getenv("PARLEY_BENCH_DAEMON_N") ? strtoul(getenv("PARLEY_BENCH_DAEMON_N"), NULL, 10) : 200;
	const char *env = getenv("PARLEY");

	if (env && *env) {
		snprintf(parley_bin, sizeof(parley_bin), "%s", env);
	} else {
		ssize_t r = readlink("/proc/self/exe", parley_bin, sizeof(parley_bin) - 20);
		if (r <= 0)
			die("where is parley (set PARLEY)", NULL);
		parley_bin[r] = 0;
		char *slash = strrchr(parley_bin, '/');
		snprintf(slash ? slash + 1 : parley_bin, 20, "../parley");
	}
	if (access(parley_bin, X_OK) != 0) {
		fprintf(stderr, "bench daemon: %s is not built (set PARLEY): section skipped\n", parley_bin);
		return;
	}
	if (!n || !mkdtemp(dir))
		die("setup", NULL);
	if (parley_seckey_generate("cert-a", &ka, &err) || parley_seckey_generate("cert-b", &kb, &err) ||
		parley_seckey_generate("cert-c", &kc, &err) || parley_seckey_generate("cert-d", &kd, &err) ||
		parley_seckey_generate("relay", &kr, &err))
		die("keys", &err);
	memset(&cfg, 0, sizeof(cfg));
	snprintf(dbpath, sizeof(dbpath), "%s/relay.db", dir);
	cfg.db = dbpath;
	cfg.key = kr;
	cfg.host = "127.0.0.1";
	cfg.rate = -1;
	if (parley_relay_start(&cfg, &relay, &err))
		die("relay", &err);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", parley_relay_port(relay));
	ch = make_charter("bench daemon", ka, kb, base, kr, &cb);
	ch2 = make_charter("bench floor", kc, kd, base, kr, &cb2);
	parley_hex(hex, parley_charter_id(ch), 32);
	parley_hex(hex2, parley_charter_id(ch2), 32);
	snprintf(cpath, sizeof(cpath), "%s/c.json", dir);
	if (parley_file_write(cpath, cb.data, cb.len, 0644, false, &err) || parley_client_init(&cla, base, ka, &err) ||
		parley_client_init(&clc, base, kc, &err) || parley_client_init(&cld, base, kd, &err) ||
		parley_client_do(&clc, "POST", "/v1/channels", "application/json", cb2.data, cb2.len, &status, &resp, &err) ||
		status != 201)
		die("open the floor's channel", &err);

	/* the floor: an append by one party and its read by the other (both signed), and the entry's verify */
	double floor_ms;
	{
		enum { FLOOR_N = 50 };
		double v[FLOOR_N];
		parley_entry_hdr h;
		uint8_t both[2][32], payload[] = "{\"text\":\"floor\"}";
		char target[200];
		memset(&h, 0, sizeof(h));
		memcpy(h.channel, parley_charter_id(ch2), 32);
		memcpy(h.sender, kc->pub.keyid, 4);
		h.type = PARLEY_T_NOTIFICATION;
		memcpy(h.category, "bench", 6);
		h.nrecip = 2;
		memcpy(h.recip[0], kd->pub.keyid, 4);
		memcpy(h.recip[1], kc->pub.keyid, 4);
		memcpy(both[0], kd->pub.seal_pk, 32);
		memcpy(both[1], kc->pub.seal_pk, 32);
		for (int i = 0; i < FLOOR_N; i++) {
			parley_buf e = PARLEY_BUF_INIT;
			h.seq = (uint64_t)i + 1;
			h.created_ms = parley_now_ms();
			if (parley_entry_build(&h, (const uint8_t(*)[32])both, payload, sizeof(payload) - 1, kc, &e, NULL, &err))
				die("floor entry", &err);
			double t0 = bench_now();
			snprintf(target, sizeof(target), "/v1/channels/%s/entries", hex2);
			if (parley_client_do(&clc, "POST", target, "application/octet-stream", e.data, e.len, &status, &resp,
				    &err) ||
				status != 201)
				die("floor append", &err);
			snprintf(target, sizeof(target), "/v1/channels/%s/entries?from=%d&limit=1", hex2, i);
			if (parley_client_do(&cld, "GET", target, NULL, NULL, 0, &status, &resp, &err) || status != 200)
				die("floor read", &err);
			json_t *j = json_loadb((const char *)resp.data, resp.len, 0, NULL);
			const char *b64 = json_string_value(json_object_get(json_array_get(json_object_get(j, "entries"), 0), "entry"));
			uint8_t raw[PARLEY_ENTRY_MAX_BYTES];
			size_t len = 0;
			parley_entry pe;
			if (!b64 || sodium_base642bin(raw, sizeof(raw), b64, strlen(b64), NULL, &len, NULL,
					    sodium_base64_VARIANT_ORIGINAL) != 0 ||
				parley_entry_parse(raw, len, &pe, &err) || parley_entry_verify(&pe, kc->pub.sign_pk, &err))
				die("floor verify", &err);
			json_decref(j);
			v[i] = (bench_now() - t0) * 1e3;
			parley_entry_hash(e.data, e.len, h.prev);
			parley_buf_release(&e);
		}
		floor_ms = pct(v, FLOOR_N, 0.5);
	}

	/* the two homes, each served by parley run */
	snprintf(ha, sizeof(ha), "%s/a", dir);
	snprintf(hb, sizeof(hb), "%s/b", dir);
	snprintf(path, sizeof(path), "%s/cert-a.key", dir);
	write_key(path, ka);
	if (parley_node_join(ha, cpath, path, ka, NULL, NULL, hex, &err))
		die("join a", &err);
	snprintf(path, sizeof(path), "%s/cert-b.key", dir);
	write_key(path, kb);
	if (parley_node_join(hb, cpath, path, kb, NULL, NULL, hex, &err))
		die("join b", &err);
	snprintf(la, sizeof(la), "%s/a.log", dir);
	snprintf(lb, sizeof(lb), "%s/b.log", dir);
	pid_t pa = start_node(ha, la), pb = start_node(hb, lb);
	for (int i = 0; i < 400; i++) {
		struct stat st;
		char s1[320], s2[320];
		snprintf(s1, sizeof(s1), "%s/node.sock", ha);
		snprintf(s2, sizeof(s2), "%s/node.sock", hb);
		if (stat(s1, &st) == 0 && stat(s2, &st) == 0)
			break;
		sleep_ms(25);
	}
	sleep_ms(300);

	double *lat = calloc(n, sizeof(double)), rt[20];
	if (!lat)
		die("memory", NULL);
	for (size_t i = 0; i < n; i++) {
		char text[64];
		uint64_t idx = 0, ms = 0;
		snprintf(text, sizeof(text), "bench %zu", i);
		char *args[] = { (char *)"parley", (char *)"--home", ha, (char *)"notify", (char *)"--to", (char *)"cert-b",
			(char *)"--category", (char *)"bench", (char *)"--text", text, NULL };
		if (run_parley(args, &idx))
			die("notify through the node", NULL);
		uint64_t returned = parley_now_ms();
		wait_entry(&cla, hex, idx + 1, PARLEY_T_RECEIPT, kb->pub.keyid, idx, &ms, NULL);
		lat[i] = ms > returned ? (double)(ms - returned) : 0.0;
	}
	for (int i = 0; i < 20; i++) {
		uint64_t idx = 0, ms = 0, at = 0;
		char *args[] = { (char *)"parley", (char *)"--home", ha, (char *)"ping", (char *)"cert-b", NULL };
		if (run_parley(args, &idx))
			die("ping through the node", NULL);
		wait_entry(&cla, hex, idx, PARLEY_T_PING_RESPONSE, kb->pub.keyid, idx, &ms, &at);
		rt[i] = (double)(ms - at);
	}
	double p50 = pct(lat, n, 0.5), p99 = pct(lat, n, 0.99), ping50 = pct(rt, 20, 0.5);
	bench_report("daemon notify -> receipt integrated p50", p50, "ms", floor_ms,
		"2 signed loopback round trips + verify");
	bench_report("daemon notify -> receipt integrated p99", p99, "ms", floor_ms,
		"2 signed loopback round trips + verify");
	bench_report("daemon ping round trip p50", ping50, "ms", floor_ms, "2 signed loopback round trips + verify");
	printf("  (daemon: %zu notifications, receipt p50 %.1f ms p99 %.1f ms (goal p50 < 50 ms); ping p50 %.1f ms; "
	       "floor %.2f ms)\n",
		n, p50, p99, ping50, floor_ms);

	kill(pa, SIGTERM);
	kill(pb, SIGTERM);
	waitpid(pa, NULL, 0);
	waitpid(pb, NULL, 0);
	free(lat);
	parley_client_release(&cla);
	parley_client_release(&clc);
	parley_client_release(&cld);
	parley_relay_stop(relay);
	parley_charter_free(ch);
	parley_charter_free(ch2);
	parley_seckey_free(ka);
	parley_seckey_free(kb);
	parley_seckey_free(kc);
	parley_seckey_free(kd);
	parley_seckey_free(kr);
	parley_buf_release(&cb);
	parley_buf_release(&cb2);
	parley_buf_release(&resp);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench daemon: could not remove %s\n", dir);
}
