/*
 * cmd_run.c - parley run: the standing node of a home, and the CLI's way to it.
 *
 * One process per home, single-threaded: an event loop (curl multi + poll) that
 * long-polls each channel's relay, syncs at once when entries arrive (receipts,
 * ping answers, PSI policy answers, cosignatures: everything parley_node_sync
 * owes), syncs again when a deadline passes, rings hooks and webhooks, and
 * serves HOME/node.sock. A command sent over the socket runs in a forked child
 * with the client's argv, environment, working directory and fds 0/1/2, and the
 * unlocked key; the daemon writes nothing until the child has exited (it waits
 * for it), so two writers never race on this party's chain.
 *
 * With --console and --taxii, libmicrohttpd threads serve the operator console
 * (lib/console.c) and TAXII 2.1 (lib/taxii.c) over the same node handle: the loop
 * holds d->lock whenever it uses the node (all but its waits), and the servers'
 * threads hold it around each of their uses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "cli.h"
#include "node_internal.h"
#include "parley/auth.h"
#include "parley/console.h"
#include "parley/msg.h"
#include "parley/node.h"
#include "parley/sockreq.h"
#include "parley/payload.h"
#include "parley/taxii.h"
#include "parley/workflow.h"
#include "banned.h"

extern char **environ;

/* ---- shared by the daemon and the client: the socket protocol ---- */

#define SOCK_NAME "node.sock"
/* the request's header and payload: include/parley/sockreq.h */
#define SOCK_NFDS 4 /* stdin, stdout, stderr, working directory */

/* The key a command run for a client uses (set in the daemon's child), or NULL. */
const parley_seckey *cli_node_key;

static const char *home_of(char *buf, size_t max)
{
	const char *h;
	if (cli_home_dir)
		return cli_home_dir;
	if ((h = getenv("PARLEY_HOME")) && *h)
		return h;
	snprintf(buf, max, "%s/.parley", getenv("HOME") ? getenv("HOME") : ".");
	return buf;
}

static bool sock_path(char *out, size_t max, const char *home)
{
	struct sockaddr_un sa;
	int n = snprintf(out, max, "%s/%s", home, SOCK_NAME);
	return n > 0 && (size_t)n < max && (size_t)n < sizeof(sa.sun_path);
}

/* The commands that work on a home go to its running node; not join (it reads a key file), not run. */
static bool forwardable(const cli_cmd *cmd)
{
	/* taxii runs its own long-lived listener: never inside the running node */
	return cmd && (cmd->flags & CLI_HOME) && strcmp(cmd->name, "join") != 0 && cmd->run != cmd_run && cmd->run != cmd_taxii;
}

static bool write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		b += w;
		n -= (size_t)w;
	}
	return true;
}

static bool read_all(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		ssize_t r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
	}
	return true;
}

static bool peer_is_me(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && len == sizeof(cr) && cr.uid == geteuid();
}

int cli_forward(const cli_cmd *cmd, int argc, char **argv)
{
	char buf[1024], path[1200];
	const char *home;
	struct sockaddr_un sa;
	parley_buf pl = PARLEY_BUF_INIT;
	uint32_t hdr[PARLEY_SOCKREQ_HDR_WORDS], nenv = 0;
	int fd, cwd = -1, status = EXIT_FAIL;
	int32_t rs;

	if (cli_node_key || argc < 1 || !forwardable(cmd) || getenv("PARLEY_NO_NODE"))
		return -1;
	home = home_of(buf, sizeof(buf));
	if (!sock_path(path, sizeof(path), home))
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || !peer_is_me(fd)) {
		close(fd); /* no running node (or another user's socket): the command runs here, as always */
		return -1;
	}
	for (int i = 0; i < argc; i++)
		if (parley_buf_add(&pl, argv[i], strlen(argv[i]) + 1))
			goto fail;
	for (char **e = environ; e && *e; e++, nenv++)
		if (parley_buf_add(&pl, *e, strlen(*e) + 1))
			goto fail;
	if (pl.len > PARLEY_SOCKREQ_PAYLOAD_MAX) {
		fprintf(stderr, "parley: the command line and environment are too large for the running node\n");
		goto out;
	}
	if ((cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 && (cwd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		goto fail;
	hdr[0] = PARLEY_SOCKREQ_MAGIC;
	hdr[1] = (uint32_t)pl.len;
	hdr[2] = (uint32_t)argc;
	hdr[3] = nenv;
	hdr[4] = (cli_quiet ? PARLEY_SOCKREQ_QUIET : 0u) | (cli_local ? PARLEY_SOCKREQ_LOCAL : 0u) |
		(cli_color ? PARLEY_SOCKREQ_COLOR : 0u); /* the global options */
	{
		int fds[SOCK_NFDS] = { 0, 1, 2, cwd };
		union {
			char b[CMSG_SPACE(sizeof(fds))];
			struct cmsghdr align;
		} u;
		struct iovec iov = { hdr, sizeof(hdr) };
		struct msghdr m;
		struct cmsghdr *cm;
		memset(&m, 0, sizeof(m));
		memset(&u, 0, sizeof(u));
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		m.msg_control = u.b;
		m.msg_controllen = sizeof(u.b);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(cm), fds, sizeof(fds));
		if (sendmsg(fd, &m, MSG_NOSIGNAL) != (ssize_t)sizeof(hdr))
			goto fail;
	}
	if (!write_all(fd, pl.data, pl.len))
		goto fail;
	fflush(stdout);
	if (!read_all(fd, &rs, sizeof(rs)))
		goto fail;
	status = rs;
	goto out;
fail:
	fprintf(stderr, "parley: the running node of %s did not finish the command (see its log)\n", home);
	status = EXIT_FAIL;
out:
	if (cwd >= 0)
		close(cwd);
	close(fd);
	parley_buf_release(&pl);
	return status;
}

/* ---- the daemon ---- */

#define MAX_HOOKS 32          /* hook processes running at once; more are skipped (and logged) */
#define HOOK_TIMEOUT_MS 30000 /* a hook still running after this is killed */
#define MAX_WEBHOOKS 256      /* webhook deliveries pending; the oldest is dropped beyond */
#define WEBHOOK_TRIES 6
#define POLL_WAIT_S 25        /* seconds a long-poll waits on the relay */
#define POLL_MIN_GAP_MS 100   /* between two polls that brought nothing (a relay without long-poll) */
#define FIRED_MAX 4096

struct chan {
	uint8_t id[32];
	char hex[65];
	bool up, ever_up, halted;
	uint64_t down_since, backoff_ms, next_try;
	CURL *poll;
	struct curl_slist *hdrs;
	parley_buf resp;
	uint64_t poll_started, last_poll;
	uint64_t known;      /* replica size whose entries have had their events */
	bool want_sync;
	uint64_t timer;      /* next deadline (sync) or approach (event); 0: none */
};

struct hook {
	pid_t pid;
	uint64_t started;
};

struct webhook {
	CURL *h;
	struct curl_slist *hdrs;
	char *body;
	unsigned tries;
	uint64_t next; /* when to try again (not in flight) */
	bool inflight;
};

struct fired {
	uint8_t chan[8];
	uint64_t opener;
	uint8_t party[4], kind, level;
};

struct daemon {
	char home[4096], sock[4200];
	parley_seckey *key;
	parley_node *node;         /* used with lock held once the servers run */
	pthread_mutex_t lock;
	parley_console *console;
	parley_taxii *taxii;
	CURLM *multi;
	struct chan ch[NODE_MAX_CHANNELS];
	size_t nch;
	int lfd, sigr, sigw;
	const char *hook, *webhook;
	struct hook hooks[MAX_HOOKS];
	struct webhook wh[MAX_WEBHOOKS];
	size_t nwh;
	struct fired fired[FIRED_MAX];
	size_t nfired;
	uint64_t backoff_max_ms;
	bool stop, reload;
};

static volatile sig_atomic_t sig_pipe_fd = -1;

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;
	if (sig_pipe_fd >= 0 && write(sig_pipe_fd, &c, 1) < 0) {
		/* the pipe is full: a wake-up is already pending */
	}
	errno = saved;
}

/* One logfmt line on standard error: time=... then the caller's key=value pairs. */
static void logf_(const char *fmt, ...) PARLEY_PRINTF(1, 2);
static void logf_(const char *fmt, ...)
{
	char ts[21];
	uint64_t now = parley_now_ms();
	va_list ap;
	parley_time_fmt(ts, (int64_t)(now / 1000));
	fprintf(stderr, "time=%.19s.%03uZ ", ts, (unsigned)(now % 1000));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* A value for logfmt: quotes and backslashes escaped, newlines as spaces, bounded. */
static const char *lq(char *out, size_t max, const char *s)
{
	size_t j = 0;
	for (; s && *s && j + 3 < max; s++) {
		if (*s == '"' || *s == '\\')
			out[j++] = '\\';
		out[j++] = (*s == '\n' || *s == '\r') ? ' ' : *s;
	}
	out[j] = 0;
	return out;
}

static void iso_ms(char out[32], uint64_t ms)
{
	char ts[21];
	parley_time_fmt(ts, (int64_t)(ms / 1000));
	snprintf(out, 32, "%.19s.%03uZ", ts, (unsigned)(ms % 1000));
}

static uint64_t jitter(uint64_t ms)
{
	/* +-25% */
	uint32_t span = (uint32_t)(ms / 2 > 0 ? ms / 2 : 1);
	return ms - ms / 4 + randombytes_uniform(span + 1);
}

/* ---- events: hooks and webhooks ---- */

static void hook_spawn(struct daemon *d, const char *json)
{
	size_t slot = MAX_HOOKS;
	int p[2];
	pid_t pid;

	for (size_t i = 0; i < MAX_HOOKS; i++)
		if (!d->hooks[i].pid) {
			slot = i;
			break;
		}
	if (slot == MAX_HOOKS) {
		logf_("level=warn msg=\"hook skipped: %d hooks still running\"", MAX_HOOKS);
		return;
	}
	if (pipe2(p, O_CLOEXEC) != 0) {
		logf_("level=warn msg=\"hook not run\" error=\"%s\"", strerror(errno));
		return;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		logf_("level=warn msg=\"hook not run\" error=\"%s\"", strerror(errno));
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(p[0], 0) < 0)
			_exit(127);
		/* the hook's output joins the node's log */
		if (dup2(2, 1) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", d->hook, (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	/* an event is far below PIPE_BUF: one write into an empty pipe never blocks */
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	if (!write_all(p[1], json, strlen(json)) || !write_all(p[1], "\n", 1))
		logf_("level=warn msg=\"hook did not take its event\" pid=%d", (int)pid);
	close(p[1]);
	d->hooks[slot].pid = pid;
	d->hooks[slot].started = parley_now_ms();
}

static void hooks_reap(struct daemon *d)
{
	uint64_t now = parley_now_ms();
	for (size_t i = 0; i < MAX_HOOKS; i++) {
		int st;
		pid_t r;
		if (!d->hooks[i].pid)
			continue;
		r = waitpid(d->hooks[i].pid, &st, WNOHANG);
		if (r == 0) {
			if (now - d->hooks[i].started > HOOK_TIMEOUT_MS) {
				logf_("level=warn msg=\"hook killed: still running after %d s\" pid=%d", HOOK_TIMEOUT_MS / 1000,
					(int)d->hooks[i].pid);
				kill(d->hooks[i].pid, SIGKILL);
			}
			continue;
		}
		if (r > 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
			if (WIFEXITED(st))
				logf_("level=warn msg=\"hook failed\" pid=%d status=%d", (int)r, WEXITSTATUS(st));
			else
				logf_("level=warn msg=\"hook failed\" pid=%d signal=%d", (int)r, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
		}
		d->hooks[i].pid = 0;
	}
}

static void webhook_free(struct webhook *w)
{
	if (w->h)
		curl_easy_cleanup(w->h);
	curl_slist_free_all(w->hdrs);
	free(w->body);
	memset(w, 0, sizeof(*w));
}

static size_t discard(char *p, size_t size, size_t nmemb, void *ud)
{
	(void)p;
	(void)ud;
	return size * nmemb;
}

static void webhook_start(struct daemon *d, struct webhook *w)
{
	if (!(w->h = curl_easy_init())) {
		w->next = parley_now_ms() + 1000;
		return;
	}
	curl_easy_setopt(w->h, CURLOPT_URL, d->webhook);
	curl_easy_setopt(w->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(w->h, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(w->h, CURLOPT_TIMEOUT, 10L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(w->h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	if (!w->hdrs) {
		w->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
		w->hdrs = curl_slist_append(w->hdrs, "Expect:");
	}
	curl_easy_setopt(w->h, CURLOPT_HTTPHEADER, w->hdrs);
	curl_easy_setopt(w->h, CURLOPT_POSTFIELDS, w->body);
	curl_easy_setopt(w->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(w->body));
	curl_easy_setopt(w->h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(w->h, CURLOPT_PRIVATE, (char *)w);
	curl_multi_add_handle(d->multi, w->h);
	w->inflight = true;
	w->tries++;
}

static void webhook_queue(struct daemon *d, const char *json)
{
	struct webhook *w = NULL;
	for (size_t i = 0; i < MAX_WEBHOOKS; i++)
		if (!d->wh[i].body) {
			w = &d->wh[i];
			break;
		}
	if (!w) {
		/* the oldest waiting delivery gives way (never one in flight: its handle is in use) */
		for (size_t i = 0; i < MAX_WEBHOOKS && !w; i++)
			if (!d->wh[i].inflight) {
				w = &d->wh[i];
				logf_("level=warn msg=\"webhook event dropped: too many pending\"");
				webhook_free(w);
			}
		if (!w)
			return;
	}
	if (!(w->body = strdup(json)))
		return;
	webhook_start(d, w);
}

/* A webhook delivery finished: done on a 2xx, else tried again after a growing pause. */
static void webhook_done(struct daemon *d, struct webhook *w, CURLcode cc)
{
	long status = 0;
	curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(d->multi, w->h);
	curl_easy_cleanup(w->h);
	w->h = NULL;
	w->inflight = false;
	if (cc == CURLE_OK && status >= 200 && status < 300) {
		webhook_free(w);
		return;
	}
	if (w->tries >= WEBHOOK_TRIES) {
		logf_("level=warn msg=\"webhook failed: event dropped\" tries=%u status=%ld error=\"%s\"", w->tries, status,
			cc == CURLE_OK ? "" : curl_easy_strerror(cc));
		webhook_free(w);
		return;
	}
	logf_("level=warn msg=\"webhook failed: will retry\" tries=%u status=%ld error=\"%s\"", w->tries, status,
		cc == CURLE_OK ? "" : curl_easy_strerror(cc));
	w->next = parley_now_ms() + jitter((uint64_t)500 << w->tries);
}

static void emit(struct daemon *d, json_t *ev)
{
	char ts[32], *s;
	json_t *ix = json_object_get(ev, "index");
	logf_("level=info msg=\"event\" event=%s channel=%.16s index=%lld", json_string_value(json_object_get(ev, "event")),
		json_object_get(ev, "channel") ? json_string_value(json_object_get(ev, "channel")) : "-",
		ix ? (long long)json_integer_value(ix) : -1LL);
	iso_ms(ts, parley_now_ms());
	json_object_set_new(ev, "time", json_string(ts));
	s = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (!s)
		return;
	if (d->hook)
		hook_spawn(d, s);
	if (d->webhook)
		webhook_queue(d, s);
	free(s);
}

static json_t *event_new(const char *name, const struct chan *c)
{
	json_t *ev = json_object();
	json_object_set_new(ev, "event", json_string(name));
	if (c)
		json_object_set_new(ev, "channel", json_string(c->hex));
	return ev;
}

static const char *party_name(const parley_charter *ch, const uint8_t keyid[4])
{
	const parley_party *p = ch ? parley_charter_party_by_keyid(ch, keyid) : NULL;
	return p ? p->key.name : "?";
}

/* The event an entry addressed to this party rings, or NULL. */
static const char *entry_event(unsigned type)
{
	if (parley_type_opens_thread(type))
		return parley_type_name(type);
	switch (type) {
	case PARLEY_T_ACK: return "acknowledgement";
	case PARLEY_T_RESPONSE: return "response";
	case PARLEY_T_ESCALATION: return "escalation";
	case PARLEY_T_CLOSE: return "close";
	case PARLEY_T_PING: return "ping";
	case PARLEY_T_DEADLINE_MISSED: return "deadline-missed";
	case PARLEY_T_PSI_REQUEST: return "psi-request";
	default: return NULL;
	}
}

/* At most 280 bytes of text, cut at a character boundary. */
static json_t *summary_of(const parley_node_entry *e)
{
	parley_payload pl;
	json_t *out = NULL;
	if (!e->opened || !e->payload.len || parley_payload_decode(e->payload.data, e->payload.len, &pl, NULL))
		return NULL;
	if (pl.text) {
		size_t n = strlen(pl.text);
		if (n > 280) {
			n = 280;
			while (n > 0 && ((unsigned char)pl.text[n] & 0xc0) == 0x80)
				n--;
		}
		out = json_stringn(pl.text, n);
	}
	parley_payload_release(&pl);
	return out;
}

static void deadline_field(json_t *ev, uint64_t ms)
{
	char ts[32];
	if (!ms)
		return;
	iso_ms(ts, ms);
	json_object_set_new(ev, "deadline", json_string(ts));
}

/* Events for the entries new to this daemon: those addressed to this party by others (and missed deadlines). */
static void entry_events(struct daemon *d, struct chan *c, uint64_t from, uint64_t to)
{
	const parley_charter *ch = parley_node_charter(d->node, c->id);
	parley_workflow wf = PARLEY_WORKFLOW_INIT;
	bool have_wf = false;

	for (uint64_t i = from; i < to; i++) {
		parley_node_entry e;
		parley_err err = { 0 };
		const char *name;
		json_t *ev, *sum;
		bool mine;

		if (parley_node_entry_get(d->node, c->id, i, &e, &err)) {
			logf_("level=warn msg=\"entry not read for its event\" channel=%.16s index=%llu", c->hex,
				(unsigned long long)i);
			continue;
		}
		mine = memcmp(e.e.h.sender, d->key->pub.keyid, 4) == 0;
		name = entry_event(e.e.h.type);
		if (!name || !e.for_me || (mine && e.e.h.type != PARLEY_T_DEADLINE_MISSED)) {
			parley_node_entry_release(&e);
			continue;
		}
		ev = event_new(name, c);
		json_object_set_new(ev, "index", json_integer((json_int_t)i));
		json_object_set_new(ev, "thread", json_integer((json_int_t)(e.e.h.thread ? e.e.h.thread : i)));
		json_object_set_new(ev, "from", json_string(e.sender ? e.sender->key.name : "?"));
		json_object_set_new(ev, "type", json_string(parley_type_name(e.e.h.type)));
		json_object_set_new(ev, "category", json_string(e.e.h.category));
		json_object_set_new(ev, "tlp", json_string(parley_tlp_name(e.e.h.tlp) ? parley_tlp_name(e.e.h.tlp) : "?"));
		if ((sum = summary_of(&e)))
			json_object_set_new(ev, "summary", sum);
		if (parley_type_opens_thread(e.e.h.type) || e.e.h.type == PARLEY_T_PING) {
			if (!have_wf)
				have_wf = parley_node_workflow_open(d->node, c->id, parley_now_ms(), &wf, NULL, NULL) == PARLEY_OK;
			const parley_thread *t = have_wf ? parley_workflow_thread(&wf, i) : NULL;
			if (t)
				deadline_field(ev, t->ack_deadline_ms ? t->ack_deadline_ms : t->respond_deadline_ms);
		}
		(void)ch;
		parley_node_entry_release(&e);
		emit(d, ev);
	}
	if (have_wf)
		parley_workflow_release(&wf);
}

static struct fired *fired_find(struct daemon *d, const struct chan *c, const parley_obligation *o)
{
	for (size_t i = 0; i < d->nfired; i++) {
		struct fired *f = &d->fired[i];
		if (f->opener == o->opener && f->kind == o->kind && memcmp(f->party, o->party, 4) == 0 &&
			memcmp(f->chan, c->id, 8) == 0)
			return f;
	}
	if (d->nfired == FIRED_MAX) {
		memmove(d->fired, d->fired + 1, (FIRED_MAX - 1) * sizeof(d->fired[0]));
		d->nfired--;
	}
	struct fired *f = &d->fired[d->nfired++];
	memset(f, 0, sizeof(*f));
	memcpy(f->chan, c->id, 8);
	f->opener = o->opener;
	f->kind = o->kind;
	memcpy(f->party, o->party, 4);
	return f;
}

/*
 * The deadlines of a channel: deadline-approaching events for what this party owes
 * (at half the time and at 90%), and a sync when a deadline of a thread it opened
 * passes (the sync appends the deadline-missed entry). Sets c->timer to the next.
 */
static void deadlines(struct daemon *d, struct chan *c, bool first)
{
	parley_workflow wf = PARLEY_WORKFLOW_INIT;
	const parley_charter *ch = parley_node_charter(d->node, c->id);
	uint64_t now = parley_now_ms(), next = 0;

	c->timer = 0;
	if (c->halted || parley_node_workflow_open(d->node, c->id, now, &wf, NULL, NULL)) /* open threads: O(open) */
		return;
	for (size_t i = 0; i < wf.nobl; i++) {
		const parley_obligation *o = &wf.obl[i];
		const parley_thread *t = parley_workflow_thread(&wf, o->opener);
		uint64_t at;
		if (!t || o->outcome != PARLEY_OUT_NOT_ESTABLISHED || o->why != PARLEY_WHY_PENDING)
			continue;
		if (memcmp(t->requester, d->key->pub.keyid, 4) == 0) {
			at = o->deadline_ms + 50;
			if (!next || at < next)
				next = at;
		}
		if (memcmp(o->party, d->key->pub.keyid, 4) == 0 && o->deadline_ms > t->opened_ms) {
			uint64_t span = o->deadline_ms - t->opened_ms, t50 = t->opened_ms + span / 2,
				 t90 = t->opened_ms + span * 9 / 10;
			uint8_t level = now >= t90 ? 2 : now >= t50 ? 1 : 0;
			struct fired *f = fired_find(d, c, o);
			if (first && !level)
				f->level = 0;
			if (level > f->level) {
				json_t *ev = event_new("deadline-approaching", c);
				f->level = level;
				json_object_set_new(ev, "index", json_integer((json_int_t)o->opener));
				json_object_set_new(ev, "thread", json_integer((json_int_t)o->opener));
				json_object_set_new(ev, "from", json_string(party_name(ch, t->requester)));
				json_object_set_new(ev, "type", json_string(parley_type_name(t->type)));
				json_object_set_new(ev, "category", json_string(t->category));
				json_object_set_new(ev, "obligation", json_string(parley_obl_kind_name(o->kind)));
				json_object_set_new(ev, "elapsed_percent", json_integer(level == 2 ? 90 : 50));
				deadline_field(ev, o->deadline_ms);
				emit(d, ev);
			}
			at = level == 0 ? t50 : level == 1 ? t90 : 0;
			if (at && (!next || at < next))
				next = at;
		}
	}
	parley_workflow_release(&wf);
	c->timer = next;
}

/* ---- the relay: long-poll, sync, back-off ---- */

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	parley_buf *b = ud;
	size_t n = size * nmemb;
	return parley_buf_add(b, p, n) ? 0 : n;
}

static void poll_stop(struct daemon *d, struct chan *c)
{
	if (!c->poll)
		return;
	curl_multi_remove_handle(d->multi, c->poll);
	curl_easy_cleanup(c->poll);
	curl_slist_free_all(c->hdrs);
	c->poll = NULL;
	c->hdrs = NULL;
}

/* Start a long-poll: GET entries from the replica's size, answered when one arrives (or after POLL_WAIT_S). */
static void poll_start(struct daemon *d, struct chan *c)
{
	struct node_channel *nc = node_find_channel(d->node, c->id);
	parley_auth_headers ah;
	char target[300], url[1200], line[256];
	uint64_t size = 0;

	if (!nc || parley_store_size(parley_node_store(d->node), c->id, &size, NULL))
		return;
	/* a relay not known to be up is asked without waiting: its answer is the news that it is back */
	snprintf(target, sizeof(target), "/v1/channels/%s/entries?from=%llu&limit=1&wait=%d", c->hex,
		(unsigned long long)size, c->up ? POLL_WAIT_S : 0);
	{
		size_t n = strlen(nc->relay);
		while (n > 0 && nc->relay[n - 1] == '/')
			n--;
		snprintf(url, sizeof(url), "%.*s%s", (int)n, nc->relay, target);
	}
	if (parley_auth_sign(&ah, d->key, "GET", target, NULL, 0, parley_now_ms(), NULL))
		return;
	if (!(c->poll = curl_easy_init()))
		return;
	snprintf(line, sizeof(line), PARLEY_H_KEY ": %s", ah.key);
	c->hdrs = curl_slist_append(c->hdrs, line);
	snprintf(line, sizeof(line), PARLEY_H_TIME ": %s", ah.time);
	c->hdrs = curl_slist_append(c->hdrs, line);
	snprintf(line, sizeof(line), PARLEY_H_NONCE ": %s", ah.nonce);
	c->hdrs = curl_slist_append(c->hdrs, line);
	snprintf(line, sizeof(line), PARLEY_H_SIGNATURE ": %s", ah.sig);
	c->hdrs = curl_slist_append(c->hdrs, line);
	parley_buf_reset(&c->resp);
	c->resp.max = (size_t)1 << 20;
	curl_easy_setopt(c->poll, CURLOPT_URL, url);
	curl_easy_setopt(c->poll, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->poll, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c->poll, CURLOPT_TIMEOUT, (long)POLL_WAIT_S + 15L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c->poll, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(c->poll, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(c->poll, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->poll, CURLOPT_WRITEDATA, &c->resp);
	curl_easy_setopt(c->poll, CURLOPT_PRIVATE, (char *)c);
	if (nc->ca[0])
		curl_easy_setopt(c->poll, CURLOPT_CAINFO, nc->ca);
	curl_multi_add_handle(d->multi, c->poll);
	c->poll_started = c->last_poll = parley_now_ms();
}

static void relay_down(struct daemon *d, struct chan *c, const char *why)
{
	struct node_channel *nc = node_find_channel(d->node, c->id);
	uint64_t now = parley_now_ms();
	char q[600], since[32];

	if (c->up || !c->down_since) {
		c->up = false;
		c->down_since = now;
		c->backoff_ms = 500;
		iso_ms(since, now);
		logf_("level=warn msg=\"relay down\" channel=%.16s relay=%s since=%s error=\"%s\"", c->hex,
			nc ? nc->relay : "?", since, lq(q, sizeof(q), why));
		json_t *ev = event_new("relay-down", c);
		json_object_set_new(ev, "summary", json_string(q));
		emit(d, ev);
	} else {
		c->backoff_ms *= 2;
		if (c->backoff_ms > d->backoff_max_ms)
			c->backoff_ms = d->backoff_max_ms;
	}
	c->next_try = now + jitter(c->backoff_ms);
}

static void relay_up(struct daemon *d, struct chan *c)
{
	struct node_channel *nc = node_find_channel(d->node, c->id);
	if (c->up)
		return;
	c->up = c->ever_up = true;
	c->backoff_ms = 0;
	c->next_try = 0;
	if (c->down_since) {
		char since[32];
		uint64_t dn = parley_now_ms() - c->down_since;
		iso_ms(since, c->down_since);
		logf_("level=info msg=\"relay back\" channel=%.16s relay=%s down_since=%s down_for=%llu.%03us", c->hex,
			nc ? nc->relay : "?", since, (unsigned long long)(dn / 1000), (unsigned)(dn % 1000));
		json_t *ev = event_new("relay-up", c);
		emit(d, ev);
	}
	c->down_since = 0;
}

static void do_sync(struct daemon *d, struct chan *c)
{
	parley_sync_report rep;
	parley_err err = { 0 };
	parley_code rc;
	char q[1200];
	uint64_t t0 = parley_now_ms();

	c->want_sync = false;
	if (c->halted)
		return;
	rc = parley_node_sync(d->node, c->id, &rep, &err);
	if (rc == PARLEY_E_IO) {
		relay_down(d, c, err.msg);
		poll_stop(d, c);
		return;
	}
	if (rc) {
		const char *why = parley_node_halted(d->node, c->id);
		logf_("level=error msg=\"sync failed\" channel=%.16s error=\"%s\"", c->hex, lq(q, sizeof(q), err.msg));
		if (why) {
			json_t *ev = event_new("relay-misbehaviour", c);
			json_object_set_new(ev, "summary", json_string(lq(q, sizeof(q), why)));
			emit(d, ev);
			c->halted = true;
			poll_stop(d, c);
			logf_("level=error msg=\"channel halted: this node no longer trusts its relay\" channel=%.16s "
			      "hint=\"parley resume after investigating\"",
				c->hex);
		} else {
			/* not the network: try again later, without hammering the relay */
			c->next_try = parley_now_ms() + jitter(2000);
		}
		return;
	}
	relay_up(d, c);
	if (rep.new_size > rep.old_size || rep.receipts || rep.pings_answered || rep.deadlines_missed || rep.psi_answered ||
		rep.unreadable_reported || rep.outbox_sent)
		logf_("level=info msg=\"synced\" channel=%.16s size=%llu new=%llu receipts=%llu pings_answered=%llu "
		      "deadlines_missed=%llu psi_answered=%llu outbox_sent=%llu ms=%llu",
			c->hex, (unsigned long long)rep.new_size, (unsigned long long)(rep.new_size - rep.old_size),
			(unsigned long long)rep.receipts, (unsigned long long)rep.pings_answered,
			(unsigned long long)rep.deadlines_missed, (unsigned long long)rep.psi_answered,
			(unsigned long long)rep.outbox_sent, (unsigned long long)(parley_now_ms() - t0));
	if (rep.new_size > c->known) {
		entry_events(d, c, c->known, rep.new_size);
		c->known = rep.new_size;
	}
	deadlines(d, c, false);
}

static void poll_done(struct daemon *d, struct chan *c, CURLcode cc)
{
	long status = 0;
	uint64_t size = 0;
	char q[300];

	curl_easy_getinfo(c->poll, CURLINFO_RESPONSE_CODE, &status);
	poll_stop(d, c);
	if (cc != CURLE_OK) {
		relay_down(d, c, curl_easy_strerror(cc));
		return;
	}
	if (status == 200) {
		json_t *j = json_loadb((const char *)c->resp.data, c->resp.len, 0, NULL);
		json_t *s = json_object_get(j, "size");
		json_t *es = json_object_get(j, "entries");
		if (json_is_integer(s) && json_integer_value(s) >= 0)
			size = (uint64_t)json_integer_value(s);
		if (json_array_size(es) > 0 || size > c->known || !c->up)
			c->want_sync = true;
		json_decref(j);
		return;
	}
	if (status >= 500 || status == 429) {
		snprintf(q, sizeof(q), "the relay answered %ld", status);
		relay_down(d, c, q);
		return;
	}
	logf_("level=warn msg=\"long-poll refused\" channel=%.16s status=%ld body=\"%s\"", c->hex, status,
		lq(q, sizeof(q), c->resp.len ? (const char *)c->resp.data : ""));
	c->want_sync = true;
	c->next_try = parley_now_ms() + jitter(2000);
}

/* ---- the home: channels, reload ---- */

static int open_node(struct daemon *d)
{
	parley_err err = { 0 };
	if (parley_node_open(d->home, d->key, &d->node, &err)) {
		logf_("level=error msg=\"home not opened\" home=%s error=\"%s\"", d->home, err.msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Match the daemon's channels to the home's (new ones joined, after SIGHUP). */
static void load_channels(struct daemon *d)
{
	size_t n = parley_node_nchannels(d->node);
	for (size_t i = 0; i < n && d->nch < NODE_MAX_CHANNELS; i++) {
		const uint8_t *id = parley_node_channel_at(d->node, i);
		bool have = false;
		for (size_t k = 0; k < d->nch; k++)
			if (memcmp(d->ch[k].id, id, 32) == 0)
				have = true;
		if (have)
			continue;
		struct chan *c = &d->ch[d->nch++];
		memset(c, 0, sizeof(*c));
		memcpy(c->id, id, 32);
		parley_hex(c->hex, id, 32);
		c->resp.max = (size_t)1 << 20;
		if (parley_store_size(parley_node_store(d->node), id, &c->known, NULL))
			c->known = 0;
		c->halted = parley_node_halted(d->node, id) != NULL;
		c->want_sync = !c->halted;
		logf_("level=info msg=\"serving channel\" channel=%.16s size=%llu%s", c->hex, (unsigned long long)c->known,
			c->halted ? " halted=true" : "");
	}
}

/* ---- commands from the CLI over node.sock ---- */

static void child_run(struct daemon *d, int conn, int fds[SOCK_NFDS], const parley_sockreq *rq)
{
	const cli_cmd *cmd;
	sigset_t none;
	parley_seckey *k = NULL;
	parley_err err = { 0 };
	int ret;

	sigemptyset(&none);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	close(conn);
	close(d->lfd);
	close(d->sigr);
	close(d->sigw);
	if (dup2(fds[0], 0) < 0 || dup2(fds[1], 1) < 0 || dup2(fds[2], 2) < 0 || fchdir(fds[3]) != 0)
		_exit(EXIT_FAIL);
	for (int i = 0; i < SOCK_NFDS; i++)
		if (fds[i] > 2)
			close(fds[i]);
	clearenv();
	for (uint32_t i = 0; i < rq->nenv; i++) {
		char *p = rq->env[i], *eq = strchr(p, '=');
		if (eq && eq != p) {
			*eq = 0;
			setenv(p, eq + 1, 1);
		}
	}
	unsetenv("PARLEY_HOME");
	cli_home_dir = d->home;
	if (parley_seckey_from_seed(d->key->pub.name, d->key->seed, &k, &err)) {
		cli_fail(&err);
		_exit(EXIT_FAIL);
	}
	cli_node_key = k;
	cli_quiet = rq->flags & PARLEY_SOCKREQ_QUIET;
	cli_local = rq->flags & PARLEY_SOCKREQ_LOCAL;
	cli_color = rq->flags & PARLEY_SOCKREQ_COLOR;
	optind = 0;
	cmd = cli_command(rq->argv[0]);
	ret = forwardable(cmd) ? cmd->run((int)rq->argc, rq->argv) : EXIT_USAGE;
	fflush(stdout);
	fflush(stderr);
	_exit(ret);
}

/* The servers' threads use the node handle the loop has now (lock held). */
static void servers_set_node(struct daemon *d)
{
	if (d->console)
		parley_console_set_node(d->console, d->node);
	if (d->taxii)
		parley_taxii_set_node(d->taxii, d->node);
}

/* Read one command from a client, run it in a child (the daemon writes nothing meanwhile), answer its status. */
static void serve_client(struct daemon *d)
{
	int conn = accept4(d->lfd, NULL, NULL, SOCK_CLOEXEC), fds[SOCK_NFDS] = { -1, -1, -1, -1 }, nfds = 0;
	uint32_t hdr[PARLEY_SOCKREQ_HDR_WORDS];
	char *pl = NULL;
	parley_sockreq rq = { 0 };
	parley_err err = { 0 };
	struct timeval tv = { 5, 0 };
	pid_t pid;
	int st = 0;
	int32_t rs = EXIT_FAIL;
	union {
		char b[CMSG_SPACE(sizeof(int) * SOCK_NFDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { hdr, sizeof(hdr) };
	struct msghdr m;
	ssize_t r;

	if (conn < 0)
		return;
	if (!peer_is_me(conn)) {
		logf_("level=warn msg=\"socket client refused: another user\"");
		close(conn);
		return;
	}
	setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.b;
	m.msg_controllen = sizeof(u.b);
	do
		r = recvmsg(conn, &m, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (r < 0 && errno == EINTR);
	for (struct cmsghdr *cm = r > 0 ? CMSG_FIRSTHDR(&m) : NULL; cm; cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < n; i++) {
				int f;
				memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				if (nfds < SOCK_NFDS)
					fds[nfds++] = f;
				else
					close(f);
			}
		}
	if (r != (ssize_t)sizeof(hdr) || (m.msg_flags & MSG_CTRUNC) || nfds != SOCK_NFDS) {
		logf_("level=warn msg=\"socket client refused: malformed request\"");
		goto out;
	}
	if (parley_sockreq_header(hdr, &rq, &err)) {
		logf_("level=warn msg=\"socket client refused: malformed request\" error=\"%s\"", err.msg);
		goto out;
	}
	if (!(pl = malloc((size_t)rq.len + 1)) || !read_all(conn, pl, rq.len))
		goto out;
	pl[rq.len] = 0;
	if (parley_sockreq_payload(&rq, pl, rq.len, &err)) {
		logf_("level=warn msg=\"socket client refused: malformed request\" error=\"%s\"", err.msg);
		goto out;
	}
	if (!forwardable(cli_command(rq.argv[0]))) {
		logf_("level=warn msg=\"socket client refused: malformed request\" error=\"not a command the node runs\"");
		goto out;
	}
	logf_("level=info msg=\"command from the CLI\" command=%s", pl);
	parley_node_close(d->node);
	d->node = NULL;
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		child_run(d, conn, fds, &rq);
	if (pid < 0) {
		logf_("level=error msg=\"command not run\" error=\"%s\"", strerror(errno));
	} else {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		rs = WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_FAIL;
		if (!WIFEXITED(st))
			logf_("level=error msg=\"command died\" command=%s signal=%d", pl, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	}
	if (open_node(d)) {
		d->stop = true;
		goto out;
	}
	servers_set_node(d);
	/* what the command did (a post, a sync) is looked at now */
	for (size_t i = 0; i < d->nch; i++)
		d->ch[i].want_sync = !d->ch[i].halted;
	load_channels(d);
	write_all(conn, &rs, sizeof(rs));
out:
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	parley_sockreq_release(&rq);
	free(pl);
	close(conn);
}

static int listen_socket(struct daemon *d)
{
	struct sockaddr_un sa;
	int fd;
	mode_t old;

	if (!sock_path(d->sock, sizeof(d->sock), d->home))
		return cli_failf("%s/%s: the path is too long for a unix socket", d->home, SOCK_NAME);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, d->sock, strlen(d->sock) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return cli_failf("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		struct ucred peer;
		socklen_t plen = sizeof(peer);
		bool known = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &plen) == 0 && peer.pid > 0;
		close(fd);
		if (known)
			return cli_failf("home %s is in use by process %ld: a node is already running (%s answers)",
				d->home, (long)peer.pid, d->sock);
		return cli_failf("home %s is in use: a node is already running (%s answers)", d->home, d->sock);
	}
	close(fd);
	unlink(d->sock); /* a socket left by a node that died */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return cli_failf("socket: %s", strerror(errno));
	old = umask(077);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		umask(old);
		close(fd);
		return cli_failf("%s: %s", d->sock, strerror(errno));
	}
	umask(old);
	if (chmod(d->sock, 0600) != 0 || listen(fd, 16) != 0) {
		close(fd);
		unlink(d->sock);
		return cli_failf("%s: %s", d->sock, strerror(errno));
	}
	d->lfd = fd;
	return EXIT_OK;
}

/* ---- the passphrase ---- */

/* Read a passphrase file: a regular file of this user that no one else can read (mode 0600 or 0400). */
static char *read_pass_file(const char *path, bool check_mode)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	char *p;
	ssize_t r;
	size_t n = 0;

	if (fd < 0) {
		cli_failf("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		cli_failf("%s: not a regular file", path);
		return NULL;
	}
	if (check_mode && (st.st_uid != geteuid() || (st.st_mode & 0077))) {
		close(fd);
		cli_failf("%s: a passphrase file must belong to this user and have mode 0600 (chmod 600 %s)", path, path);
		return NULL;
	}
	if (!(p = sodium_malloc(1024))) {
		close(fd);
		cli_failf("out of memory");
		return NULL;
	}
	while (n < 1023 && ((r = read(fd, p + n, 1023 - n)) > 0 || (r < 0 && errno == EINTR)))
		if (r > 0)
			n += (size_t)r;
	close(fd);
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	p[n] = 0;
	if (!n) {
		sodium_free(p);
		cli_failf("%s: empty passphrase", path);
		return NULL;
	}
	return p;
}

static int load_key(const char *home, const char *pass_file, parley_seckey **key)
{
	char name[PARLEY_NAME_MAX + 1], keypath[1200], cred[4200];
	parley_err err = { 0 };
	parley_buf b = PARLEY_BUF_INIT;
	const char *cd = getenv("CREDENTIALS_DIRECTORY");
	char *pass = NULL;
	bool encrypted;
	parley_code rc;

	if (parley_node_identity(home, name, keypath, sizeof(keypath), &err))
		return cli_fail(&err);
	b.secret = 1;
	if (parley_file_read_private(keypath, PARLEY_KEYFILE_MAX, &b, &err)) {
		parley_buf_release(&b);
		return cli_fail(&err);
	}
	encrypted = parley_seckey_is_encrypted(b.data, b.len);
	parley_buf_release(&b);
	if (pass_file) {
		if (!(pass = read_pass_file(pass_file, true)))
			return EXIT_FAIL;
	} else if (cd && *cd && (size_t)snprintf(cred, sizeof(cred), "%s/passphrase", cd) < sizeof(cred) &&
		access(cred, F_OK) == 0) {
		/* systemd's credential: its directory is private to the service */
		if (!(pass = read_pass_file(cred, false)))
			return EXIT_FAIL;
	} else if (encrypted) {
		char prompt[1300];
		snprintf(prompt, sizeof(prompt), "passphrase for %s: ", keypath);
		if (!(pass = cli_passphrase(prompt, false)))
			return EXIT_FAIL;
	}
	rc = parley_seckey_load(keypath, pass, pass ? strlen(pass) : 0, key, &err);
	if (pass)
		sodium_free(pass); /* zeroed on free */
	if (rc)
		return cli_fail(&err);
	/* sodium_malloc'd already; locked again explicitly so that a failure is logged */
	if (sodium_mlock(*key, sizeof(**key)) != 0)
		logf_("level=warn msg=\"the key could not be locked in memory (RLIMIT_MEMLOCK?)\"");
	return EXIT_OK;
}

/* ---- the console and TAXII servers ---- */

/* the page's files (generated from console/ by scripts/embed-console.py) */
extern const parley_console_asset cli_console_assets[];
extern const size_t cli_console_nassets;

/* The relay as the loop sees it, for the console (lock held). */
static void relay_state(void *arg, const uint8_t channel[32], parley_console_relay *out)
{
	struct daemon *d = arg;
	for (size_t i = 0; i < d->nch; i++)
		if (memcmp(d->ch[i].id, channel, 32) == 0) {
			const struct chan *c = &d->ch[i];
			out->state = c->up ? PARLEY_RELAY_UP : c->down_since ? PARLEY_RELAY_DOWN : PARLEY_RELAY_UNKNOWN;
			out->since_ms = c->up ? 0 : c->down_since;
		}
}

/* The listeners asked for (cl: console, tl: TAXII; a NULL one is not started); idle_s, lifetime_s: sessions. */
static int start_servers(struct daemon *d, const cli_listener *cl, const cli_listener *tl, bool tls, unsigned idle_s,
	unsigned lifetime_s)
{
	parley_err err = { 0 };
	const char *cert = tls ? "tls" : NULL;

	if (tl) {
		parley_taxii_config tc;
		memset(&tc, 0, sizeof(tc));
		tc.home = d->home;
		tc.node = d->node;
		tc.node_lock = &d->lock;
		tc.host = tl->host;
		tc.port = tl->port;
		tc.tls_cert_pem = cert ? (const char *)tl->cert.data : NULL;
		tc.tls_key_pem = cert ? (const char *)tl->key.data : NULL;
		if (parley_taxii_start(&tc, &d->taxii, &err))
			return cli_fail(&err);
		logf_("level=info msg=\"TAXII 2.1 at %s://%s%s%s:%u/taxii2/ (user parley, password in %s/%s)\"",
			cert ? "https" : "http", strchr(tl->host, ':') ? "[" : "", tl->host, strchr(tl->host, ':') ? "]" : "",
			parley_taxii_port(d->taxii), d->home, PARLEY_TAXII_TOKEN_FILE);
	}
	if (cl) {
		parley_console_config cc;
		memset(&cc, 0, sizeof(cc));
		cc.home = d->home;
		cc.node = d->node;
		cc.node_lock = &d->lock;
		cc.host = cl->host;
		cc.port = cl->port;
		cc.tls_cert_pem = cert ? (const char *)cl->cert.data : NULL;
		cc.tls_key_pem = cert ? (const char *)cl->key.data : NULL;
		cc.assets = cli_console_assets;
		cc.nassets = cli_console_nassets;
		cc.relay_state = relay_state;
		cc.relay_arg = d;
		cc.idle_s = idle_s;
		cc.lifetime_s = lifetime_s;
		/* the login URL (a one-time token) goes to a file only this user reads, never to the log */
		cc.write_url = true;
		if (parley_console_start(&cc, &d->console, &err))
			return cli_fail(&err);
		logf_("level=info msg=\"console at %s://%s:%u/ (login URL in %s/%s)\"", cert ? "https" : "http",
			parley_console_url_host(d->console), parley_console_port(d->console), d->home, PARLEY_CONSOLE_URL_FILE);
	}
	return EXIT_OK;
}

/* ---- the loop ---- */

static const char run_usage[] =
	"usage: parley [--home DIR] run [--passphrase-file F] [--hook CMD] [--webhook URL] [--backoff-max SECONDS]\n"
	"                               [--console ADDR:PORT [--console-idle SECONDS] [--console-lifetime SECONDS]]\n"
	"                               [--taxii ADDR:PORT] [--tls-cert CERT.pem --tls-key KEY.pem]\n"
	"\n"
	"The standing node of a home: serves every channel of it until stopped.\n"
	"It asks the key's passphrase once: from --passphrase-file F (a file of this\n"
	"user with mode 0600), from the systemd credential\n"
	"$CREDENTIALS_DIRECTORY/passphrase, or PARLEY_PASSPHRASE / the terminal. The\n"
	"unlocked key stays in locked memory, never in a file.\n"
	"\n"
	"New entries arrive by long-poll on each channel's relay; the node verifies them\n"
	"as 'parley sync' does and at once sends receipts, answers pings and PSI\n"
	"requests (standing policy), and cosigns. When a deadline of a thread this\n"
	"party opened passes, it records the deadline-missed entry then. A lost relay\n"
	"is retried with capped exponential back-off and jitter (--backoff-max,\n"
	"default 60 s), one log line when it goes down and one when it is back.\n"
	"\n"
	"While it runs, the commands that use the home (sync, notify, ack, reply,\n"
	"status, prove, ...) go through HOME/node.sock (mode 0600, this user only) and\n"
	"ask no passphrase; their output and exit status are the same.\n"
	"\n"
	"--hook CMD      run CMD (with /bin/sh) for each event, the event as one JSON\n"
	"                object on standard input: event, channel, index, thread, from,\n"
	"                type, category, tlp, summary (text addressed here), deadline,\n"
	"                time. Events: notification and each request type,\n"
	"                acknowledgement, response, escalation, close, ping,\n"
	"                deadline-approaching (50% and 90%), deadline-missed,\n"
	"                psi-request, relay-misbehaviour, relay-down, relay-up.\n"
	"--webhook URL   POST the same JSON to URL (retried with back-off; never\n"
	"                blocks the node)\n"
	"--console ADDR:PORT  serve the operator console (a web page) on ADDR:PORT\n"
	"                (127.0.0.1 unless given; port 0: any free one). Each start\n"
	"                writes HOME/console.url (mode 0600): the URL that logs in,\n"
	"                once, with a fresh token (a new one after each login).\n"
	"                HOST:PORT, [IPv6]:PORT or a name (every address it\n"
	"                resolves to; localhost: 127.0.0.1). docs/api.md \"Console\"\n"
	"--console-idle SECONDS  a console session unused this long ends (default\n"
	"                1800: 30 minutes; the open page polls every second)\n"
	"--console-lifetime SECONDS  a console session ends this long after its\n"
	"                login, used or not (default 43200: 12 hours)\n"
	"--taxii ADDR:PORT    serve TAXII 2.1 and the MISP feed as 'parley taxii\n"
	"                --listen' does (token in HOME/taxii.token); HOST:PORT,\n"
	"                [IPv6]:PORT or a name (every address it resolves to)\n"
	"--tls-cert, --tls-key  serve the console and TAXII over HTTPS with these PEM\n"
	"                files\n"
	"\n"
	"Logs are logfmt lines on standard error. SIGTERM or SIGINT: finish what is in\n"
	"flight and stop. SIGHUP: read the home again (channels joined since).\n"
	"\n"
	"Example:\n"
	"  parley --home ~/hotline run --hook 'logger -t parley'\n";

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "hook", required_argument, NULL, 'k' },
		{ "webhook", required_argument, NULL, 'w' },
		{ "backoff-max", required_argument, NULL, 'b' },
		{ "console", required_argument, NULL, 'C' },
		{ "console-idle", required_argument, NULL, 'I' },
		{ "console-lifetime", required_argument, NULL, 'L' },
		{ "taxii", required_argument, NULL, 'T' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct daemon dd;
	struct daemon *d = &dd;
	const char *pass_file = NULL, *console = NULL, *taxii = NULL, *cert = NULL, *tkey = NULL;
	char buf[1024];
	uint64_t bmax = 60, idle_s = 0, lifetime_s = 0;
	int c, ret = EXIT_OK, sp[2];
	struct sigaction sa;
	bool locked = false;
	cli_listener cl, tl;

	memset(d, 0, sizeof(*d));
	d->lfd = d->sigr = d->sigw = -1;
	pthread_mutex_init(&d->lock, NULL);
	memset(&cl, 0, sizeof(cl));
	memset(&tl, 0, sizeof(tl));
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pass_file = optarg; break;
		case 'k': d->hook = optarg; break;
		case 'w': d->webhook = optarg; break;
		case 'b':
			if (!cli_parse_u64(optarg, 1, 3600, &bmax))
				return cli_usage_error("run", "--backoff-max takes 1 to 3600 seconds");
			break;
		case 'C': console = optarg; break;
		case 'I':
			if (!cli_parse_u64(optarg, 1, 604800, &idle_s))
				return cli_usage_error("run", "--console-idle takes 1 to 604800 seconds");
			break;
		case 'L':
			if (!cli_parse_u64(optarg, 1, 604800, &lifetime_s))
				return cli_usage_error("run", "--console-lifetime takes 1 to 604800 seconds");
			break;
		case 'T': taxii = optarg; break;
		case 'c': cert = optarg; break;
		case 'K': tkey = optarg; break;
		case 'h': return cli_help(run_usage);
		default: return cli_usage_error("run", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("run", "unexpected argument '%s'", argv[optind]);
	if (d->webhook && strncmp(d->webhook, "http://", 7) != 0 && strncmp(d->webhook, "https://", 8) != 0)
		return cli_usage_error("run", "--webhook takes an http:// or https:// URL");
	if (!cert != !tkey)
		return cli_usage_error("run", "--tls-cert and --tls-key go together");
	if ((idle_s || lifetime_s) && !console)
		return cli_usage_error("run", "--console-idle and --console-lifetime are for --console");
	if (cert && !console && !taxii)
		return cli_usage_error("run", "--tls-cert and --tls-key are for --console and --taxii");
	if ((console && (ret = cli_listener_init(&cl, "run", "--console", console, cert, tkey))) ||
		(taxii && (ret = cli_listener_init(&tl, "run", "--taxii", taxii, cert, tkey))))
		goto out;
	d->backoff_max_ms = bmax * 1000;
	{
		const char *h = home_of(buf, sizeof(buf));
		if (!realpath(h, d->home))
			return cli_failf("home %s: %s", h, strerror(errno));
	}
	if ((ret = load_key(d->home, pass_file, &d->key)))
		return ret;
	if ((ret = open_node(d)))
		goto out;
	if (parley_node_nchannels(d->node) == 0) {
		ret = cli_failf("home %s has no channel: join one first", d->home);
		goto out;
	}
	if ((ret = listen_socket(d)))
		goto out;
	if (pipe2(sp, O_CLOEXEC | O_NONBLOCK) != 0) {
		ret = cli_failf("pipe: %s", strerror(errno));
		goto out;
	}
	d->sigr = sp[0];
	d->sigw = sp[1];
	sig_pipe_fd = sp[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (!(d->multi = curl_multi_init())) {
		ret = cli_failf("cannot create an HTTP client");
		goto out;
	}
	load_channels(d);
	for (size_t i = 0; i < d->nch; i++)
		deadlines(d, &d->ch[i], true);
	if ((ret = start_servers(d, console ? &cl : NULL, taxii ? &tl : NULL, cert != NULL, (unsigned)idle_s,
		     (unsigned)lifetime_s)))
		goto out;
	logf_("level=info msg=\"node running\" home=%s party=%s channels=%zu socket=%s pid=%d", d->home, d->key->pub.name,
		d->nch, d->sock, (int)getpid());

	pthread_mutex_lock(&d->lock);
	locked = true;
	while (!d->stop) {
		uint64_t now = parley_now_ms(), wake = now + 1000;
		struct curl_waitfd wfd[2] = { { d->lfd, CURL_WAIT_POLLIN, 0 }, { d->sigr, CURL_WAIT_POLLIN, 0 } };
		int running = 0, numfds = 0, left;
		CURLMsg *msg;

		/* syncs owed (new entries, a deadline passed, a command ran), then polls to start */
		for (size_t i = 0; i < d->nch && !d->stop; i++) {
			struct chan *ch = &d->ch[i];
			if (ch->halted)
				continue;
			if (ch->timer && now >= ch->timer) {
				ch->timer = 0;
				ch->want_sync = true;
				deadlines(d, ch, false); /* approaching events */
			}
			if (ch->want_sync && (!ch->next_try || now >= ch->next_try)) {
				do_sync(d, ch);
				now = parley_now_ms();
			}
			if (!ch->poll && !ch->halted && (!ch->next_try || now >= ch->next_try) &&
				now - ch->last_poll >= POLL_MIN_GAP_MS && !ch->want_sync)
				poll_start(d, ch);
			if (ch->next_try && ch->next_try < wake)
				wake = ch->next_try;
			if (ch->timer && ch->timer < wake)
				wake = ch->timer;
			if (!ch->poll && !ch->next_try && ch->last_poll + POLL_MIN_GAP_MS < wake)
				wake = ch->last_poll + POLL_MIN_GAP_MS;
		}
		for (size_t i = 0; i < MAX_WEBHOOKS; i++)
			if (d->wh[i].body && !d->wh[i].inflight) {
				if (now >= d->wh[i].next)
					webhook_start(d, &d->wh[i]);
				else if (d->wh[i].next < wake)
					wake = d->wh[i].next;
			}
		now = parley_now_ms();
		/* the servers' threads use the node while the loop waits */
		pthread_mutex_unlock(&d->lock);
		curl_multi_perform(d->multi, &running);
		curl_multi_wait(d->multi, wfd, 2, wake > now ? (int)(wake - now) : 0, &numfds);
		curl_multi_perform(d->multi, &running);
		pthread_mutex_lock(&d->lock);
		while ((msg = curl_multi_info_read(d->multi, &left))) {
			char *priv = NULL;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
			bool is_chan = false;
			for (size_t i = 0; i < d->nch; i++)
				if (priv == (char *)&d->ch[i] && d->ch[i].poll == msg->easy_handle) {
					poll_done(d, &d->ch[i], msg->data.result);
					is_chan = true;
					break;
				}
			if (!is_chan)
				for (size_t i = 0; i < MAX_WEBHOOKS; i++)
					if (priv == (char *)&d->wh[i] && d->wh[i].h == msg->easy_handle) {
						webhook_done(d, &d->wh[i], msg->data.result);
						break;
					}
		}
		if (wfd[1].revents) {
			char sigs[64];
			ssize_t r;
			while ((r = read(d->sigr, sigs, sizeof(sigs))) > 0)
				for (ssize_t i = 0; i < r; i++) {
					if (sigs[i] == SIGTERM || sigs[i] == SIGINT)
						d->stop = true;
					else if (sigs[i] == SIGHUP)
						d->reload = true;
				}
		}
		hooks_reap(d);
		if (d->stop)
			break;
		if (d->reload) {
			d->reload = false;
			for (size_t i = 0; i < d->nch; i++)
				poll_stop(d, &d->ch[i]);
			parley_node_close(d->node);
			d->node = NULL;
			if (open_node(d)) {
				ret = EXIT_FAIL;
				break;
			}
			servers_set_node(d);
			size_t before = d->nch;
			load_channels(d);
			for (size_t i = 0; i < d->nch; i++) {
				d->ch[i].want_sync = !d->ch[i].halted;
				if (i >= before)
					deadlines(d, &d->ch[i], true);
			}
			logf_("level=info msg=\"home read again\" channels=%zu", d->nch);
		}
		if (wfd[0].revents)
			serve_client(d);
	}
	logf_("level=info msg=\"node stopping\"");
out:
	if (locked && d->node) {
		pthread_mutex_unlock(&d->lock);
		locked = false;
	}
	if (!locked) {
		/* requests under way finish first; then no thread uses the node */
		parley_console_stop(d->console);
		parley_taxii_stop(d->taxii);
		d->console = NULL;
		d->taxii = NULL;
	}
	/*
	 * else: the node could not be opened again after a command or SIGHUP, and the servers' threads
	 * may be waiting for the lock; it stays held (they never see a closed node) until the process exits
	 */
	for (size_t i = 0; i < d->nch; i++) {
		poll_stop(d, &d->ch[i]);
		parley_buf_release(&d->ch[i].resp);
	}
	for (size_t i = 0; i < MAX_WEBHOOKS; i++) {
		if (d->wh[i].h)
			curl_multi_remove_handle(d->multi, d->wh[i].h);
		webhook_free(&d->wh[i]);
	}
	if (d->multi)
		curl_multi_cleanup(d->multi);
	if (d->lfd >= 0) {
		close(d->lfd);
		unlink(d->sock);
	}
	sig_pipe_fd = -1;
	if (d->sigr >= 0)
		close(d->sigr);
	if (d->sigw >= 0)
		close(d->sigw);
	parley_node_close(d->node);
	parley_seckey_free(d->key);
	cli_listener_release(&cl);
	cli_listener_release(&tl);
	return ret;
}
