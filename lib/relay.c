/* relay.c - the relay: HTTP routes, request authentication, admission of entries, group commit, checkpoints. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

#include "parley/admit.h"
#include "parley/receipt.h"
#include "parley/succession.h"
#include "parley/auth.h"
#include "parley/batch.h"
#include "parley/charter.h"
#include "parley/entry.h"
#include "parley/jcs.h"
#include "parley/listen.h"
#include "parley/note.h"
#include "parley/relay.h"
#include "parley/remote.h"
#include "parley/store.h"
#include "banned.h"

#define BODY_MAX (PARLEY_ENTRY_MAX_BYTES + 4096) /* the largest request body: an entry or a charter */
#define PAGE_BYTES_MAX ((size_t)16 << 20)
#define BATCH_MAX 1024
#define NONCES_MAX 1000000
#define READERS_MAX 8 /* reading store connections, each used by one thread at a time */
#define READS_QUEUED_MAX 65536 /* signed reads waiting for the committer; more are dropped (and logged) */
#define POLL_WAIT_MAX 60 /* seconds a long poll (GET entries with wait) may wait at most */
#define POLL_SLICE 0.25 /* a waiting long poll looks at its client's socket this often (s) */

struct sender {
	uint8_t keyid[4];
	uint64_t seq;
	uint8_t hash[32];
	parley_quota_day quota; /* bytes integrated on its latest UTC day */
};

struct channel {
	uint8_t id[32];
	char idhex[65];
	parley_charter *charter;
	/* owned by the committer thread */
	bool loaded;
	struct sender senders[PARLEY_MAX_PARTIES];
	size_t nsenders;
	uint64_t size, last_ms;
	parley_succession succ; /* handovers so far: whether (and when) the channel ended */
	/* the greatest from kept (or queued to keep) per member, under rd_mu; loaded from the store on first use */
	pthread_mutex_t rd_mu;
	struct {
		uint8_t keyid[4];
		uint64_t from;
	} rd[PARLEY_MAX_PARTIES];
	size_t nrd;
	/* checkpoints: owned by the committer thread, the only one that signs */
	uint64_t cp_size;
	uint64_t cp_time;
	bool has_cp;
	uint64_t gen; /* appends committed so far, under the relay's wmu: what long polls wait on */
	struct channel *next;
};

/* A signed read for the committer to keep (fire and forget: the reader does not wait). */
struct read_item {
	struct channel *ch;
	parley_signed_read rd;
	struct read_item *next;
};

/*
 * A request to the committer thread, the only user of the writing store
 * connection; the submitting HTTP thread waits until done. Everything that
 * writes goes this way: appends (batched per channel), channel opens,
 * checkpoint signing and cosignatures (signed reads are queued apart, unawaited).
 */
enum job { JOB_APPEND, JOB_OPEN, JOB_CHECKPOINT, JOB_COSIG };

/* One entry of an append: its bytes (in the request's body), parsed, and where it landed. */
struct append_item {
	const uint8_t *data;
	size_t len;
	parley_entry e;
	uint64_t index;
};

struct pending {
	enum job kind;
	struct channel *ch;     /* APPEND, CHECKPOINT, COSIG */
	const uint8_t *data;    /* OPEN: the canonical charter */
	size_t len;
	/* APPEND: the entries, admitted all or none, in order (a single append is a batch of one) */
	struct append_item *v;
	size_t nv;
	size_t bad; /* a refused append: the position of the first entry at fault */
	const parley_charter *charter; /* OPEN */
	uint64_t size;          /* COSIG */
	const char *signer, *line; /* COSIG */
	int status;
	char slug[32], msg[256];
	uint64_t index, ms;
	bool done;
	pthread_cond_t cv; /* signalled when done: only this request's thread wakes */
	struct pending *next;
};

#define NBUCKETS 9
static const double buckets[NBUCKETS] = { 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5 };

struct parley_relay {
	parley_relay_config cfg;
	struct MHD_Daemon *mhd[PARLEY_LISTEN_MAX]; /* one daemon per listening address (--listen localhost: two) */
	size_t nmhd;
	uint16_t port;
	uint8_t addr_key[crypto_shorthash_KEYBYTES]; /* hashes IPv6 sources for the per-address open rate */
	parley_store *w; /* the committer thread's store connection: nobody else touches it */
	/* reading connections, handed to one thread at a time (reader_get, reader_put) */
	pthread_mutex_t poolmu;
	pthread_cond_t poolcv;
	parley_store *idle[READERS_MAX];
	size_t nidle, nreaders;
	int lockfd; /* the lock file next to the store: one relay process per store */
	pthread_mutex_t chmu;
	struct channel *channels;
	pthread_t committer;
	bool committer_started;
	pthread_mutex_t qmu;
	pthread_cond_t qcv;
	struct pending *qhead, *qtail;
	struct read_item *rdhead, *rdtail; /* under qmu */
	size_t nreads;
	bool stopping;
	parley_nonce_cache *nonces;
	parley_ratelimit *rl;
	/* who may open channels: the allowlist (NULL: any), the per-address rate, the per-key quotas */
	uint8_t (*allow)[33]; /* [0] 'c' charter id or 'k' party key, then 32 bytes */
	size_t nallow;
	parley_ratelimit *open_rl;
	struct keyuse *use; /* owned by the committer thread (before it starts: parley_relay_start) */
	size_t nuse, use_cap;
	uint32_t *use_slot; /* open addressing over use: index + 1, 0 empty; use_nslot a power of two */
	size_t use_nslot;
	char origin_prefix[16];
	_Atomic unsigned long appended, by_status[600], hist[NBUCKETS + 1];
	_Atomic double duration_sum;
	_Atomic unsigned long duration_count;
	pthread_mutex_t logmu;
	/* connections (struct conn), their reaper, under connmu */
	pthread_mutex_t connmu;
	pthread_cond_t conncv;
	struct conn *conns;
	unsigned nconns;
	pthread_t reaper;
	bool reaper_started, reaper_stop;
	_Atomic unsigned long reaped, refused;
	/*
	 * Long polls: the requests waiting for a channel's next entry, counted in all and per
	 * party key (slots of poll_max, free when n is 0), under wmu; the committer broadcasts
	 * wcv (monotonic clock) after each append, parley_relay_stop with wstop set.
	 */
	pthread_mutex_t wmu;
	pthread_cond_t wcv;
	unsigned nwait;
	struct poll_key {
		uint8_t pk[32];
		unsigned n;
	} *wkeys;
	bool wstop;
};

/*
 * A connection, from accept to close (MHD_OPTION_NOTIFY_CONNECTION), in the
 * relay's list under connmu: its socket, its source address, and since when it
 * has been receiving its current request. The reaper thread shuts down the
 * socket of one that is still receiving past the deadline, however its bytes
 * trickle in; the access policy counts them per address.
 */
struct conn {
	int fd;
	uint8_t ip[16]; /* the source address as IPv6 (IPv4 as ::ffff:a.b.c.d) */
	double since;
	bool receiving; /* false while a request is handled and answered */
	bool reaped;
	struct conn *prev, *next;
};

/* A client's address as 16 bytes (IPv4 mapped into IPv6), for counting and limits per address. */
static void addr_key(const struct sockaddr *sa, size_t len, uint8_t out[16])
{
	memset(out, 0, 16);
	if (sa && sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	}
}

/* The address for a log line: "192.0.2.1", "2001:db8::1". */
static void addr_str(const uint8_t ip[16], char out[INET6_ADDRSTRLEN])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(ip, mapped, 12) == 0 ? !inet_ntop(AF_INET, ip + 12, out, INET6_ADDRSTRLEN)
					: !inet_ntop(AF_INET6, ip, out, INET6_ADDRSTRLEN))
		snprintf(out, INET6_ADDRSTRLEN, "?");
}

/* what the stored channels (counted at the start) and those opened since hold per party key */
struct keyuse {
	uint8_t pk[32];
	unsigned channels;
	size_t bytes;
};

struct request {
	parley_buf body;
	unsigned retry_after; /* seconds, for a Retry-After header (0: none) */
	bool too_big;
	bool batch; /* a POST whose Content-Type is PARLEY_BATCH_CTYPE: its body may be larger */
	double start;
	unsigned status;
	char keyhex[9];
	parley_auth_headers auth;                 /* of an authenticated request */
	char target[PARLEY_READ_TARGET_MAX];      /* its signed target, when it fits */
	char method[8];
	char path[120];
};

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void logf_(parley_relay *r, const char *fmt, ...) PARLEY_PRINTF(2, 3);
static void logf_(parley_relay *r, const char *fmt, ...)
{
	char ts[21];
	va_list ap;
	uint64_t now = parley_now_ms();

	if (!r->cfg.log)
		return;
	parley_time_fmt(ts, (int64_t)(now / 1000));
	pthread_mutex_lock(&r->logmu);
	fprintf(r->cfg.log, "time=%.19s.%03uZ ", ts, (unsigned)(now % 1000));
	va_start(ap, fmt);
	vfprintf(r->cfg.log, fmt, ap);
	va_end(ap);
	fputc('\n', r->cfg.log);
	fflush(r->cfg.log);
	pthread_mutex_unlock(&r->logmu);
}

/* ---- responses ---- */

/* The relay's record of connection c (NULL if it has none). */
static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* Mark c as receiving a request (since now) or as handling one. */
static void conn_receiving(parley_relay *r, struct MHD_Connection *c, bool receiving)
{
	struct conn *k = conn_of(c);
	if (!k)
		return;
	pthread_mutex_lock(&r->connmu);
	k->receiving = receiving;
	k->since = mono();
	pthread_mutex_unlock(&r->connmu);
}

static enum MHD_Result respond(struct MHD_Connection *c, struct request *rq, unsigned status, const char *type,
	const void *body, size_t n)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(n, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (rq->retry_after) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%u", rq->retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	rq->status = status;
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, struct request *rq, unsigned status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	enum MHD_Result ret;
	json_decref(j);
	if (!s)
		return MHD_NO;
	ret = respond(c, rq, status, "application/json", s, strlen(s));
	free(s);
	return ret;
}

/* RFC 9457 problem details; a refused batch also names the position of its first bad entry (index >= 0). */
static enum MHD_Result vproblem(struct MHD_Connection *c, struct request *rq, unsigned status, const char *slug,
	long index, const char *fmt, va_list ap) PARLEY_PRINTF(6, 0);
static enum MHD_Result vproblem(struct MHD_Connection *c, struct request *rq, unsigned status, const char *slug,
	long index, const char *fmt, va_list ap)
{
	char detail[512], type[96];
	vsnprintf(detail, sizeof(detail), fmt, ap);
	snprintf(type, sizeof(type), "urn:parley:problem:%s", slug);
	json_t *j = json_pack("{s:s, s:s, s:i, s:s}", "type", type, "title", slug, "status", (int)status, "detail",
		detail);
	if (j && index >= 0)
		json_object_set_new(j, "index", json_integer((json_int_t)index));
	char *s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!s)
		return MHD_NO;
	enum MHD_Result ret = respond(c, rq, status, "application/problem+json", s, strlen(s));
	free(s);
	return ret;
}

static enum MHD_Result problem(struct MHD_Connection *c, struct request *rq, unsigned status, const char *slug,
	const char *fmt, ...) PARLEY_PRINTF(5, 6);
static enum MHD_Result problem(struct MHD_Connection *c, struct request *rq, unsigned status, const char *slug,
	const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum MHD_Result ret = vproblem(c, rq, status, slug, -1, fmt, ap);
	va_end(ap);
	return ret;
}

/* A problem of entry `index` of a batch (index < 0: not a batch, the plain problem). */
static enum MHD_Result problem_at(struct MHD_Connection *c, struct request *rq, long index, unsigned status,
	const char *slug, const char *fmt, ...) PARLEY_PRINTF(6, 7);
static enum MHD_Result problem_at(struct MHD_Connection *c, struct request *rq, long index, unsigned status,
	const char *slug, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum MHD_Result ret = vproblem(c, rq, status, slug, index, fmt, ap);
	va_end(ap);
	return ret;
}

/* ---- channels ---- */

static struct channel *channel_find(parley_relay *r, const uint8_t id[32])
{
	struct channel *ch;
	for (ch = r->channels; ch; ch = ch->next)
		if (memcmp(ch->id, id, 32) == 0)
			return ch;
	return NULL;
}

static void channel_free(struct channel *ch)
{
	parley_charter_free(ch->charter);
	pthread_mutex_destroy(&ch->rd_mu);
	free(ch);
}

/* A reading store connection for this thread alone, until reader_put; NULL (err set) when none can be opened. */
static parley_store *reader_get(parley_relay *r, parley_err *err)
{
	parley_store *s = NULL;

	pthread_mutex_lock(&r->poolmu);
	while (!r->nidle && r->nreaders == READERS_MAX)
		pthread_cond_wait(&r->poolcv, &r->poolmu);
	if (r->nidle) {
		s = r->idle[--r->nidle];
		pthread_mutex_unlock(&r->poolmu);
		return s;
	}
	r->nreaders++;
	pthread_mutex_unlock(&r->poolmu);
	if (parley_store_open(r->cfg.db, &s, err) == PARLEY_OK)
		return s;
	pthread_mutex_lock(&r->poolmu);
	r->nreaders--;
	pthread_cond_signal(&r->poolcv);
	pthread_mutex_unlock(&r->poolmu);
	return NULL;
}

static void reader_put(parley_relay *r, parley_store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&r->poolmu);
	r->idle[r->nidle++] = s;
	pthread_cond_signal(&r->poolcv);
	pthread_mutex_unlock(&r->poolmu);
}

/*
 * The channel, loaded from the store on first use; NULL when unknown. Reads
 * through s (the committer passes its own connection) or, when s is NULL, a
 * reader of the pool. The store is read without holding chmu.
 */
static struct channel *channel_get(parley_relay *r, const uint8_t id[32], parley_store *s)
{
	struct channel *ch, *other;
	parley_buf b = PARLEY_BUF_INIT;
	parley_charter *charter = NULL;
	parley_store *rd = s;
	parley_code rc;

	pthread_mutex_lock(&r->chmu);
	ch = channel_find(r, id);
	pthread_mutex_unlock(&r->chmu);
	if (ch)
		return ch;
	if (!rd && !(rd = reader_get(r, NULL)))
		return NULL;
	rc = parley_store_channel_charter(rd, id, &b, NULL);
	if (!s)
		reader_put(r, rd);
	if (rc || parley_charter_parse((const char *)b.data, b.len, &charter, NULL)) {
		parley_buf_release(&b);
		return NULL;
	}
	parley_buf_release(&b);
	if (!(ch = calloc(1, sizeof(*ch)))) {
		parley_charter_free(charter);
		return NULL;
	}
	memcpy(ch->id, id, 32);
	parley_hex(ch->idhex, id, 32);
	ch->charter = charter;
	pthread_mutex_init(&ch->rd_mu, NULL);
	pthread_mutex_lock(&r->chmu);
	if ((other = channel_find(r, id))) { /* another thread loaded it meanwhile */
		pthread_mutex_unlock(&r->chmu);
		channel_free(ch);
		return other;
	}
	ch->next = r->channels;
	r->channels = ch;
	pthread_mutex_unlock(&r->chmu);
	return ch;
}

/*
 * Sign and store a checkpoint when the tree has grown (or none exists); not
 * sooner than checkpoint_ms after the last unless force. Committer thread only.
 */
static void checkpoint_refresh(parley_relay *r, struct channel *ch, bool force)
{
	uint64_t size;
	uint8_t root[32];
	parley_checkpoint cp;
	parley_buf body = PARLEY_BUF_INIT, line = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	parley_store *s = r->w;

	if (parley_store_size(s, ch->id, &size, &err))
		goto out;
	if (ch->has_cp && size <= ch->cp_size)
		goto out;
	if (!force && ch->has_cp && parley_now_ms() < ch->cp_time + r->cfg.checkpoint_ms)
		goto out;
	if (parley_store_root(s, ch->id, size, root, &err))
		goto out;
	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "parley/%s", ch->idhex);
	cp.size = size;
	memcpy(cp.root, root, 32);
	if (parley_checkpoint_format(&cp, &body) ||
		parley_note_sign_line((const char *)body.data, body.len, r->cfg.key, &line, &err) ||
		parley_buf_add_u8(&body, '\n') || parley_buf_add(&body, line.data, line.len) ||
		parley_store_checkpoint_put(s, ch->id, size, (const char *)body.data, body.len, &err))
		goto out;
	ch->cp_size = size;
	ch->cp_time = parley_now_ms();
	ch->has_cp = true;
out:
	if (err.msg[0])
		logf_(r, "level=error msg=\"checkpoint: %s\" channel=%.16s", err.msg, ch->idhex);
	parley_buf_release(&body);
	parley_buf_release(&line);
}

/* ---- the committer: validates order and appends in batches ---- */

struct load_ctx {
	struct channel *ch;
	parley_store *s;
	parley_err *err;
};

static parley_code load_entry(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct load_ctx *lc = ctx;
	struct channel *ch = lc->ch;
	parley_entry e;
	if (parley_entry_parse(data, len, &e, NULL))
		return PARLEY_E_FORMAT;
	if (parley_succession_follow(ch->charter, &ch->succ, &e.h, index, ms, parley_charter_store_lookup, lc->s, lc->err))
		return PARLEY_E_VERIFY;
	size_t i;
	for (i = 0; i < ch->nsenders; i++)
		if (memcmp(ch->senders[i].keyid, e.h.sender, 4) == 0)
			break;
	if (i == ch->nsenders) {
		if (ch->nsenders == PARLEY_MAX_PARTIES)
			return PARLEY_E_FORMAT;
		memcpy(ch->senders[ch->nsenders++].keyid, e.h.sender, 4);
	}
	ch->senders[i].seq = e.h.seq;
	parley_entry_hash(data, len, ch->senders[i].hash);
	parley_quota_count(&ch->senders[i].quota, ms, len);
	if (ms > ch->last_ms)
		ch->last_ms = ms;
	return PARLEY_OK;
}

/*
 * Bring the channel's admission state (senders' chains, quotas, last
 * integration time) to size, the log's size under the append lock: entries
 * appended since by another relay process sharing the store, or by an append
 * whose outcome was unknown, are read from the store (all of them the first time).
 */
static parley_code channel_catch_up(parley_relay *r, struct channel *ch, uint64_t size, parley_err *err)
{
	struct load_ctx ctx = { ch, r->w, err };
	parley_code rc;

	if (!ch->loaded) {
		ch->nsenders = 0;
		ch->last_ms = 0;
		ch->size = 0;
		parley_succession_init(&ch->succ);
	}
	if (size < ch->size)
		return parley_fail(err, PARLEY_E_VERIFY, "the log shrank under the relay (%llu entries, %llu before)",
			(unsigned long long)size, (unsigned long long)ch->size);
	if (size > ch->size &&
		(rc = parley_store_entries(r->w, ch->id, ch->size, size - ch->size, load_entry, &ctx, err))) {
		ch->loaded = false; /* read it all again next time */
		return rc;
	}
	ch->size = size;
	ch->loaded = true;
	return PARLEY_OK;
}

static struct sender *sender_of(struct channel *ch, const uint8_t keyid[4], bool create)
{
	for (size_t i = 0; i < ch->nsenders; i++)
		if (memcmp(ch->senders[i].keyid, keyid, 4) == 0)
			return &ch->senders[i];
	if (!create || ch->nsenders == PARLEY_MAX_PARTIES)
		return NULL;
	struct sender *s = &ch->senders[ch->nsenders++];
	memset(s, 0, sizeof(*s));
	memcpy(s->keyid, keyid, 4);
	return s;
}

static void finish(struct pending *p, int status, const char *slug, const char *fmt, ...) PARLEY_PRINTF(4, 5);
static void finish(struct pending *p, int status, const char *slug, const char *fmt, ...)
{
	va_list ap;
	p->status = status;
	snprintf(p->slug, sizeof(p->slug), "%s", slug);
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
}

/*
 * Admit one entry at index `at` (the log's size plus what this group admitted
 * before it), or finish p with the refusal. On success the channel's admission
 * state (senders' chains, quotas, succession) includes it.
 */
static bool admit_one(parley_relay *r, struct channel *ch, struct channel *pred, struct pending *p,
	const struct append_item *it, uint64_t at, uint64_t now)
{
	parley_err err = { 0 };
	const parley_entry_hdr *h = &it->e.h;
	/*
	 * validity and succession are decided at the integration time; a thread's opener is
	 * read from the log, a handover's successor from the channels this relay holds
	 */
	parley_admit_store look = { r->w, ch->id, PARLEY_BUF_INIT };
	parley_succession succ = ch->succ;
	/* a receipt's cover decodes, and a batched one's verified tree is this log's, as committed (admit.h) */
	parley_receipt_cover cov;
	if (h->type == PARLEY_T_RECEIPT && parley_receipt_covers(h, at, &cov, &err)) {
		finish(p, 400, "bad-receipt", "%s", err.msg);
		return false;
	}
	if (parley_admit_receipt_root(r->w, ch->id, h, at, ch->size, &err)) {
		finish(p, 403, "receipt-not-this-log", "%s", err.msg);
		return false;
	}
	parley_code arc = parley_admit_entry(ch->charter, &succ, h, at, now, parley_admit_store_lookup, &look,
		parley_charter_store_lookup, r->w, &err);
	parley_buf_release(&look.buf);
	if (!arc && pred && parley_admit_successor_active(ch->charter, &pred->succ, h, &err)) {
		finish(p, 403, "successor-not-active", "%s", err.msg);
		return false;
	}
	if (arc) {
		if (arc == PARLEY_E_VERIFY)
			finish(p, 403, h->type == PARLEY_T_HANDOVER ? "handover-refused" : "charter-not-valid", "%s", err.msg);
		else
			finish(p, 500, "store-error", "%s", err.msg);
		return false;
	}
	struct sender *s = sender_of(ch, h->sender, true);
	uint8_t zero[32] = { 0 };
	if (!s) {
		finish(p, 500, "too-many-senders", "too many senders");
		return false;
	}
	if (h->seq != s->seq + 1) {
		finish(p, 409, "wrong-sequence", "sequence number %llu, expected %llu (a replayed, duplicated or out-of-order entry)",
			(unsigned long long)h->seq, (unsigned long long)s->seq + 1);
		return false;
	}
	if (memcmp(h->prev, s->seq ? s->hash : zero, 32) != 0) {
		finish(p, 409, "broken-chain", "previous-entry hash does not match the sender's entry %llu",
			(unsigned long long)s->seq);
		return false;
	}
	const parley_party *who = parley_charter_party_by_keyid(ch->charter, h->sender);
	if (parley_charter_quota_check(ch->charter, &s->quota, who ? who->key.name : "the sender", now, it->len, &err)) {
		finish(p, 413, "daily-byte-quota", "%s", err.msg);
		return false;
	}
	parley_quota_count(&s->quota, now, it->len);
	ch->succ = succ;
	s->seq = h->seq;
	parley_entry_hash(it->data, it->len, s->hash);
	return true;
}

/*
 * Admit and append one group of pending appends of one channel, in one
 * transaction. Each request's entries are admitted all or none, each against
 * the log as the entries before it leave it: a refused request leaves the
 * admission state as it found it, and the requests before and after it in the
 * group are committed as if it had never come.
 */
static void commit_channel(parley_relay *r, struct channel *ch, struct pending **items, size_t n)
{
	parley_store_item *sitems = NULL;
	struct append_item **accepted = NULL;
	struct sender *saved = NULL, *mark = NULL;
	parley_succession saved_succ;
	size_t nsaved, na = 0, total = 0;
	parley_err err = { 0 };
	uint64_t now, first = 0;

	for (size_t i = 0; i < n; i++)
		total += items[i]->nv;
	sitems = malloc(total * sizeof(*sitems));
	accepted = malloc(total * sizeof(*accepted));
	saved = malloc(PARLEY_MAX_PARTIES * sizeof(*saved));
	mark = malloc(PARLEY_MAX_PARTIES * sizeof(*mark));
	if (!sitems || !accepted || !saved || !mark) {
		for (size_t i = 0; i < n; i++)
			finish(items[i], 503, "busy", "out of memory");
		goto out;
	}
	uint64_t size;
	/* the channel's append lock, held to the commit: other relay processes on the store wait */
	if (parley_store_lock(r->w, ch->id, &size, &err) || channel_catch_up(r, ch, size, &err)) {
		parley_store_unlock(r->w);
		for (size_t i = 0; i < n; i++)
			finish(items[i], 500, "store-error", "cannot load the channel: %s", err.msg);
		goto out;
	}
	memcpy(saved, ch->senders, PARLEY_MAX_PARTIES * sizeof(*saved));
	nsaved = ch->nsenders;
	saved_succ = ch->succ;
	/* a successor whose predecessor is hosted here opens no thread before the predecessor ended */
	struct channel *pred = NULL;
	if (parley_charter_predecessor(ch->charter) &&
		(pred = channel_get(r, parley_charter_predecessor(ch->charter), r->w))) {
		uint64_t psize;
		if (parley_store_size(r->w, pred->id, &psize, &err) || channel_catch_up(r, pred, psize, &err))
			pred = NULL;
	}
	now = parley_now_ms();
	if (now < ch->last_ms)
		now = ch->last_ms; /* integration times never go backwards within a log */
	for (size_t i = 0; i < n; i++) {
		struct pending *p = items[i];
		size_t na0 = na, nmark = ch->nsenders;
		parley_succession msucc = ch->succ;
		if (p->nv > 1)
			memcpy(mark, ch->senders, nmark * sizeof(*mark));
		p->status = 0;
		for (size_t k = 0; k < p->nv; k++) {
			if (!admit_one(r, ch, pred, p, &p->v[k], ch->size + na, now)) {
				/* the whole request is refused: what its earlier entries did is undone */
				p->bad = k;
				if (p->nv > 1)
					memcpy(ch->senders, mark, nmark * sizeof(*mark));
				ch->nsenders = nmark;
				ch->succ = msucc;
				na = na0;
				break;
			}
			sitems[na].data = p->v[k].data;
			sitems[na].len = p->v[k].len;
			sitems[na].integrated_ms = now;
			accepted[na++] = &p->v[k];
		}
	}
	if (na == 0) {
		parley_store_unlock(r->w);
		goto out;
	}
	if (parley_store_append(r->w, ch->id, sitems, na, &first, NULL, &err)) {
		/* the state before the group; whatever the store holds now is read under the next lock */
		memcpy(ch->senders, saved, PARLEY_MAX_PARTIES * sizeof(*saved));
		ch->nsenders = nsaved;
		ch->succ = saved_succ;
		for (size_t i = 0; i < n; i++)
			if (items[i]->status == 0)
				finish(items[i], 500, "store-error", "the entry could not be stored: %s", err.msg);
		logf_(r, "level=error msg=\"append failed: %s\" channel=%.16s", err.msg, ch->idhex);
		goto out;
	}
	ch->size = first + na;
	ch->last_ms = now;
	atomic_fetch_add(&r->appended, na);
	/* durable now: wake the long polls (each looks whether its channel moved) */
	pthread_mutex_lock(&r->wmu);
	ch->gen++;
	if (r->nwait)
		pthread_cond_broadcast(&r->wcv);
	pthread_mutex_unlock(&r->wmu);
	for (size_t i = 0; i < na; i++)
		accepted[i]->index = first + i;
	for (size_t i = 0; i < n; i++)
		if (items[i]->status == 0) {
			items[i]->status = 201;
			items[i]->ms = now;
		}
out:
	free(sitems);
	free(accepted);
	free(saved);
	free(mark);
}

/* Keep a batch of signed reads: one transaction per channel on the committer's store handle. */
static void keep_reads(parley_relay *r, struct read_item *list)
{
	while (list) {
		struct channel *ch = list->ch;
		size_t n = 0, k = 0;
		for (struct read_item *it = list; it; it = it->next)
			n += it->ch == ch;
		parley_signed_read *arr = calloc(n, sizeof(*arr));
		struct read_item **pp = &list;
		while (*pp) {
			struct read_item *it = *pp;
			if (it->ch != ch) {
				pp = &it->next;
				continue;
			}
			if (arr)
				arr[k++] = it->rd;
			*pp = it->next;
			free(it);
		}
		parley_err err = { 0 };
		if (!arr || parley_store_reads_put(r->w, ch->id, arr, k, &err)) {
			logf_(r, "level=error msg=\"keeping %zu signed reads failed: %s\" channel=%.16s", n,
				arr ? err.msg : "out of memory", ch->idhex);
			pthread_mutex_lock(&ch->rd_mu);
			ch->nrd = 0; /* read the truth from the store next time */
			pthread_mutex_unlock(&ch->rd_mu);
		}
		free(arr);
	}
}

static bool quota_take(parley_relay *r, const parley_charter *charter, size_t n, char *why, size_t whylen);

/*
 * Open a channel (committer thread): an existing id is the same channel (201
 * again, no quota); a new one is counted against its parties' quotas, stored,
 * and its empty log's checkpoint signed, all before the 201.
 */
static void job_open(parley_relay *r, struct pending *p)
{
	const uint8_t *id = parley_charter_id(p->charter);
	parley_buf old = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	char why[256];
	parley_code rc = parley_store_channel_charter(r->w, id, &old, &err);

	parley_buf_release(&old);
	if (rc == PARLEY_E_NOTFOUND) {
		if (!quota_take(r, p->charter, p->len, why, sizeof(why))) {
			finish(p, 429, "channel-quota", "%s", why);
			return;
		}
		/* E_USAGE: other bytes under this id, which is the same channel (the id is its body's hash) */
		rc = parley_store_channel_add(r->w, id, p->data, p->len, &err);
		if (rc == PARLEY_E_USAGE)
			rc = PARLEY_OK;
	}
	if (rc) {
		finish(p, 500, "cannot-open", "%s", err.msg);
		return;
	}
	if (!(p->ch = channel_get(r, id, r->w))) {
		finish(p, 500, "cannot-open", "the stored charter cannot be read back");
		return;
	}
	checkpoint_refresh(r, p->ch, true);
	if (p->ch->has_cp)
		p->status = 201;
	else
		finish(p, 500, "cannot-open", "the log's first checkpoint could not be signed");
}

static void run_job(parley_relay *r, struct pending *p)
{
	parley_err err = { 0 };

	switch (p->kind) {
	case JOB_OPEN:
		job_open(r, p);
		break;
	case JOB_CHECKPOINT:
		checkpoint_refresh(r, p->ch, true);
		p->status = 200;
		break;
	case JOB_COSIG:
		if (parley_store_cosig_put(r->w, p->ch->id, p->size, p->signer, p->line, &err))
			finish(p, 500, "store-error", "%s", err.msg);
		else
			p->status = 201;
		break;
	case JOB_APPEND:
		PARLEY_BUG("appends are committed in batches");
	}
}

static void *committer_main(void *arg)
{
	parley_relay *r = arg;

	for (;;) {
		struct pending *batch[BATCH_MAX];
		size_t n = 0;
		bool stop;
		struct timespec ts;

		struct read_item *reads;

		pthread_mutex_lock(&r->qmu);
		if (!r->qhead && !r->rdhead && !r->stopping) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)(r->cfg.checkpoint_ms % 1000) * 1000000L;
			ts.tv_sec += (time_t)(r->cfg.checkpoint_ms / 1000) + ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&r->qcv, &r->qmu, &ts);
		}
		while (r->qhead && n < BATCH_MAX) {
			batch[n++] = r->qhead;
			r->qhead = r->qhead->next;
		}
		if (!r->qhead)
			r->qtail = NULL;
		reads = r->rdhead;
		r->rdhead = r->rdtail = NULL;
		r->nreads = 0;
		stop = r->stopping && !r->qhead && n == 0;
		pthread_mutex_unlock(&r->qmu);
		struct pending *all[BATCH_MAX];
		memcpy(all, batch, n * sizeof(*all));

		/* appends: one transaction per channel present in the batch, in arrival order */
		for (size_t i = 0; i < n; i++) {
			if (!batch[i] || batch[i]->kind != JOB_APPEND)
				continue;
			struct channel *ch = batch[i]->ch;
			struct pending *group[BATCH_MAX];
			size_t g = 0;
			for (size_t j = i; j < n; j++)
				if (batch[j] && batch[j]->kind == JOB_APPEND && batch[j]->ch == ch) {
					group[g++] = batch[j];
					if (j != i)
						batch[j] = NULL;
				}
			commit_channel(r, ch, group, g);
		}
		/* then the other requests, in arrival order, after the appends before them */
		for (size_t i = 0; i < n; i++)
			if (batch[i] && batch[i]->kind != JOB_APPEND)
				run_job(r, batch[i]);
		if (n) {
			pthread_mutex_lock(&r->qmu);
			for (size_t i = 0; i < n; i++) {
				all[i]->done = true;
				pthread_cond_signal(&all[i]->cv);
			}
			pthread_mutex_unlock(&r->qmu);
		}
		keep_reads(r, reads);
		/* checkpoints on a timer while entries arrive */
		pthread_mutex_lock(&r->chmu);
		struct channel *list = r->channels;
		pthread_mutex_unlock(&r->chmu);
		for (struct channel *ch = list; ch; ch = ch->next)
			if (ch->loaded && (!ch->has_cp || ch->size > ch->cp_size))
				checkpoint_refresh(r, ch, false);
		if (stop)
			break;
	}
	return NULL;
}

/*
 * Hand a request to the committer and wait for its verdict. Callers hold no
 * reader meanwhile (it would sit idle for a whole commit).
 */
static void submit(parley_relay *r, struct pending *p)
{
	pthread_cond_init(&p->cv, NULL);
	pthread_mutex_lock(&r->qmu);
	p->next = NULL;
	if (r->qtail)
		r->qtail->next = p;
	else
		r->qhead = p;
	r->qtail = p;
	pthread_cond_signal(&r->qcv);
	while (!p->done)
		pthread_cond_wait(&p->cv, &r->qmu);
	pthread_mutex_unlock(&r->qmu);
	pthread_cond_destroy(&p->cv);
}

/* ---- authentication ---- */

static const char *header(struct MHD_Connection *c, const char *name)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
	return v ? v : "";
}

struct target_ctx {
	parley_buf *b;
	bool first;
};

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct target_ctx *t = cls;
	(void)kind;
	if (parley_buf_addf(t->b, "%s%s=%s", t->first ? "?" : "&", key, value ? value : ""))
		return MHD_NO;
	t->first = false;
	return MHD_YES;
}

/* The signed target: the path and the query arguments in the order sent. */
static void request_target(struct MHD_Connection *c, const char *url, parley_buf *b)
{
	struct target_ctx t = { b, true };
	parley_buf_reset(b);
	if (parley_buf_addstr(b, url))
		return;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, &t);
}

/*
 * Authenticate a request as a member of charter; on success *who is the
 * party. Returns 0 or an HTTP status after queueing the problem response.
 */
static unsigned authenticate(parley_relay *r, struct MHD_Connection *c, struct request *rq, const char *method,
	const char *url, const parley_charter *charter, const parley_party **who, enum MHD_Result *ret)
{
	parley_auth_headers h;
	parley_err err = { 0 };
	parley_buf target = PARLEY_BUF_INIT;
	uint8_t keyid[4];
	uint64_t now = parley_now_ms();
	const parley_party *p;
	parley_code rc;

	memset(&h, 0, sizeof(h));
	snprintf(h.key, sizeof(h.key), "%s", header(c, PARLEY_H_KEY));
	snprintf(h.time, sizeof(h.time), "%s", header(c, PARLEY_H_TIME));
	snprintf(h.nonce, sizeof(h.nonce), "%s", header(c, PARLEY_H_NONCE));
	snprintf(h.sig, sizeof(h.sig), "%s", header(c, PARLEY_H_SIGNATURE));
	if (!h.key[0] || !h.sig[0]) {
		*ret = problem(c, rq, 401, "unauthenticated", "requests must be signed by a party's key (%s, %s, %s, %s)",
			PARLEY_H_KEY, PARLEY_H_TIME, PARLEY_H_NONCE, PARLEY_H_SIGNATURE);
		return 401;
	}
	snprintf(rq->keyhex, sizeof(rq->keyhex), "%s", h.key);
	if (parley_unhex(keyid, 4, h.key, strlen(h.key)) || !(p = parley_charter_party_by_keyid(charter, keyid))) {
		*ret = problem(c, rq, 403, "not-a-party", "key %.8s is not a party of this channel's charter", h.key);
		return 403;
	}
	request_target(c, url, &target);
	rc = parley_auth_verify(&h, p->key.sign_pk, method, (const char *)target.data, rq->body.data, rq->body.len,
		now, &err);
	if (!rc && target.len < sizeof(rq->target)) {
		memcpy(rq->target, target.data, target.len);
		rq->target[target.len] = 0;
	}
	parley_buf_release(&target);
	if (rc) {
		*ret = problem(c, rq, 401, rc == PARLEY_E_FORMAT ? "malformed-auth" : "bad-auth", "%s", err.msg);
		return 401;
	}
	if (!parley_ratelimit_take(r->rl, h.key, now)) {
		*ret = problem(c, rq, 429, "rate-limited", "too many requests by %s; slow down", p->key.name);
		return 429;
	}
	rc = parley_nonce_cache_add(r->nonces, h.key, h.nonce, now);
	if (rc == PARLEY_E_VERIFY) {
		*ret = problem(c, rq, 401, "replayed-request", "nonce %s was already used by %s", h.nonce, p->key.name);
		return 401;
	}
	if (rc == PARLEY_E_LIMIT) {
		*ret = problem(c, rq, 429, "rate-limited",
			"too many requests by %s within the replay window (%d s); slow down", p->key.name,
			2 * PARLEY_AUTH_WINDOW_MS / 1000);
		return 429;
	}
	if (rc) {
		*ret = problem(c, rq, 503, "busy", "too many requests in flight");
		return 503;
	}
	rq->auth = h;
	*who = p;
	return 0;
}

/* ---- routes ---- */

static bool query_u64(struct MHD_Connection *c, const char *name, uint64_t *v, bool required)
{
	const char *s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	char *end;
	if (!s)
		return !required;
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

/* A channel open from this connection's source address fits the per-address rate. */
static bool open_rate_ok(parley_relay *r, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char hex[9];
	uint8_t a[16], h[crypto_shorthash_BYTES];
	if (!r->open_rl)
		return true;
	addr_key(ci ? ci->client_addr : NULL, ci && ci->client_addr ? sizeof(struct sockaddr_in6) : 0, a);
	/* the limiter keys on 4 bytes: an IPv4 address as is; an IPv6 source by its /64 (one host gets a whole
	 * /64), hashed with this process's secret key so that nobody can aim at another's bucket */
	if (memcmp(a, mapped, 12) != 0) {
		crypto_shorthash(h, a, 8, r->addr_key);
		memcpy(a + 12, h, 4);
	}
	parley_hex(hex, a + 12, 4);
	return parley_ratelimit_take(r->open_rl, hex, parley_now_ms());
}

/* The charter's id, or one of its parties' keys, is on the allowlist. */
static bool open_allowed(parley_relay *r, const parley_charter *charter)
{
	for (size_t i = 0; i < r->nallow; i++) {
		if (r->allow[i][0] == 'c' && memcmp(r->allow[i] + 1, parley_charter_id(charter), 32) == 0)
			return true;
		for (size_t j = 0; r->allow[i][0] == 'k' && j < parley_charter_nparties(charter); j++)
			if (memcmp(r->allow[i] + 1, parley_charter_party_at(charter, j)->key.sign_pk, 32) == 0)
				return true;
	}
	return false;
}

/* A key's slot: keyed with this process's secret, so that nobody can choose keys that collide. */
static size_t keyuse_hash(const parley_relay *r, const uint8_t pk[32])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;
	crypto_shorthash(h, pk, 32, r->addr_key);
	memcpy(&v, h, sizeof(v));
	return (size_t)v;
}

/* The counts of a party key, added (zero) when new; NULL when out of memory. */
static struct keyuse *keyuse_of(parley_relay *r, const uint8_t pk[32])
{
	size_t mask = r->use_nslot - 1, i;
	if (r->use_nslot)
		for (i = keyuse_hash(r, pk) & mask; r->use_slot[i]; i = (i + 1) & mask)
			if (memcmp(r->use[r->use_slot[i] - 1].pk, pk, 32) == 0)
				return &r->use[r->use_slot[i] - 1];
	if (r->nuse >= UINT32_MAX - 1)
		return NULL;
	if (r->nuse == r->use_cap) {
		size_t cap = r->use_cap ? 2 * r->use_cap : 64;
		struct keyuse *u = realloc(r->use, cap * sizeof(*u));
		if (!u)
			return NULL;
		r->use = u;
		r->use_cap = cap;
	}
	if (2 * (r->nuse + 1) > r->use_nslot) { /* at most half full: rebuild twice as large */
		size_t ns = r->use_nslot ? 2 * r->use_nslot : 128;
		uint32_t *slot = calloc(ns, sizeof(*slot));
		if (!slot)
			return NULL;
		for (size_t k = 0; k < r->nuse; k++) {
			for (i = keyuse_hash(r, r->use[k].pk) & (ns - 1); slot[i]; i = (i + 1) & (ns - 1))
				;
			slot[i] = (uint32_t)(k + 1);
		}
		free(r->use_slot);
		r->use_slot = slot;
		r->use_nslot = ns;
		mask = ns - 1;
	}
	for (i = keyuse_hash(r, pk) & mask; r->use_slot[i]; i = (i + 1) & mask)
		;
	r->use_slot[i] = (uint32_t)(r->nuse + 1);
	memset(&r->use[r->nuse], 0, sizeof(*r->use));
	memcpy(r->use[r->nuse].pk, pk, 32);
	return &r->use[r->nuse++];
}

struct quota_count {
	parley_relay *r;
	size_t channels, unreadable;
	bool nomem;
};

/* One stored channel counted against its parties' quotas, as job_open counts a new one. */
static parley_code quota_count_cb(void *ctx, const uint8_t id[32], const uint8_t *charter, size_t n)
{
	struct quota_count *q = ctx;
	parley_charter *c = NULL;
	(void)id;
	if (parley_charter_parse((const char *)charter, n, &c, NULL)) {
		q->unreadable++; /* stored by an older parley under other rules: nothing to count it by */
		return PARLEY_OK;
	}
	for (size_t j = 0; j < parley_charter_nparties(c); j++) {
		struct keyuse *u = keyuse_of(q->r, parley_charter_party_at(c, j)->key.sign_pk);
		if (!u) {
			parley_charter_free(c);
			q->nomem = true;
			return PARLEY_E_NOMEM;
		}
		u->channels++;
		u->bytes += n;
	}
	parley_charter_free(c);
	q->channels++;
	return PARLEY_OK;
}

/*
 * The per-key channel quotas count every channel in the store, so that a restart does not
 * give each key a fresh allowance: read once at the start, before the committer runs.
 */
static parley_code quota_load(parley_relay *r, parley_err *err)
{
	struct quota_count q = { r, 0, 0, false };
	uint64_t t0 = parley_now_ms();
	parley_code rc = parley_store_channels(r->w, quota_count_cb, &q, err);
	if (q.nomem)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory counting the channel quotas");
	if (rc)
		return parley_wrap(err, rc, "counting the stored channels for the per-key quotas");
	logf_(r, "level=info msg=\"channel quotas counted\" channels=%zu keys=%zu unreadable=%zu ms=%llu", q.channels,
		r->nuse, q.unreadable, (unsigned long long)(parley_now_ms() - t0));
	return PARLEY_OK;
}

/*
 * Count a new channel of n charter bytes against each of its parties' quotas, or
 * refuse it (why says which key is over which limit). Committer thread only.
 */
static bool quota_take(parley_relay *r, const parley_charter *charter, size_t n, char *why, size_t whylen)
{
	size_t np = parley_charter_nparties(charter);
	for (size_t j = 0; j < np; j++) {
		const parley_party *p = parley_charter_party_at(charter, j);
		struct keyuse *u = keyuse_of(r, p->key.sign_pk);
		if (!u) {
			snprintf(why, whylen, "out of memory");
			return false;
		}
		if (u->channels >= r->cfg.open_max_per_key || u->bytes + n > r->cfg.open_bytes_per_key) {
			snprintf(why, whylen,
				"key %s is already a party of %u channels (%zu charter bytes) opened on this relay; the "
				"limit is %u channels and %zu bytes per key",
				p->key.name, u->channels, u->bytes, r->cfg.open_max_per_key, r->cfg.open_bytes_per_key);
			return false;
		}
	}
	for (size_t j = 0; j < np; j++) {
		struct keyuse *u = keyuse_of(r, parley_charter_party_at(charter, j)->key.sign_pk);
		u->channels++;
		u->bytes += n;
	}
	return true;
}

parley_code parley_relay_allowlist_parse(const uint8_t *data, size_t len, const char *name, uint8_t (**out)[33],
	size_t *n, parley_err *err)
{
	uint8_t (*allow)[33] = NULL;
	size_t nallow = 0, cap = 0;
	unsigned lineno = 0;
	parley_code rc = PARLEY_OK;
	char *text;

	*out = NULL;
	*n = 0;
	const uint8_t *nul = len ? memchr(data, 0, len) : NULL;
	if (nul)
		return parley_fail(err, PARLEY_E_FORMAT, "%s: a NUL byte at offset %zu: not a text file", name,
			(size_t)(nul - data));
	if (!(text = malloc(len + 1)))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	memcpy(text, data, len);
	text[len] = 0;
	for (char *line = text, *next; line && *line; line = next) {
		char *end;
		parley_pubkey pk;
		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		while (*line == ' ' || *line == '\t')
			line++;
		end = line + strlen(line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = 0;
		if (!*line || *line == '#')
			continue;
		if (strncmp(line, "sign ", 5) == 0)
			line += 5;
		if (nallow == PARLEY_ALLOWLIST_MAX_ENTRIES) {
			rc = parley_fail(err, PARLEY_E_LIMIT, "%s:%u: more than %u entries", name, lineno,
				PARLEY_ALLOWLIST_MAX_ENTRIES);
			goto out;
		}
		if (nallow == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			uint8_t (*a)[33] = realloc(allow, ncap * sizeof(*a));
			if (!a) {
				rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
				goto out;
			}
			allow = a;
			cap = ncap;
		}
		if (strlen(line) == 64 && !parley_unhex(allow[nallow] + 1, 32, line, 64)) {
			allow[nallow++][0] = 'c';
		} else if (!parley_vkey_parse(line, &pk, NULL)) {
			allow[nallow][0] = 'k';
			memcpy(allow[nallow++] + 1, pk.sign_pk, 32);
		} else {
			rc = parley_fail(err, PARLEY_E_FORMAT,
				"%s:%u: neither a charter id (64 hex digits) nor a verifier key (name+keyid+base64)", name,
				lineno);
			goto out;
		}
	}
	if (!allow && !(allow = calloc(1, sizeof(*allow)))) /* an empty list: nobody may open */
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
out:
	free(text);
	if (rc) {
		free(allow);
		return rc;
	}
	*out = allow;
	*n = nallow;
	return PARLEY_OK;
}

/* Read the allowlist file of cfg.open_allowlist. */
static parley_code allowlist_load(parley_relay *r, parley_err *err)
{
	parley_buf b = PARLEY_BUF_INIT;
	parley_code rc;

	if ((rc = parley_file_read(r->cfg.open_allowlist, 1 << 20, &b, err)))
		return parley_wrap(err, rc, "the allowlist");
	rc = parley_relay_allowlist_parse(b.data ? b.data : (const uint8_t *)"", b.len, r->cfg.open_allowlist, &r->allow,
		&r->nallow, err);
	parley_buf_release(&b);
	return rc;
}

static enum MHD_Result route_open(parley_relay *r, struct MHD_Connection *c, struct request *rq, const char *url)
{
	parley_charter *charter = NULL;
	parley_err err = { 0 };
	const parley_pubkey *rk;
	const parley_party *who;
	parley_buf canon = PARLEY_BUF_INIT;
	enum MHD_Result ret;
	char idhex[65];

	if (!open_rate_ok(r, c))
		return problem(c, rq, 429, "open-rate-limited",
			"too many channels opened from this address; at most %u a minute (serve --open-rate)",
			r->cfg.open_rate);
	if (parley_charter_parse((const char *)rq->body.data, rq->body.len, &charter, &err))
		return problem(c, rq, 400, "bad-charter", "%s", err.msg);
	if (parley_charter_verify(charter, &err)) {
		ret = problem(c, rq, 422, "charter-not-signed", "%s", err.msg);
		goto out;
	}
	if (!(rk = parley_charter_relay(charter, NULL))) {
		ret = problem(c, rq, 422, "no-relay", "the charter names no relay");
		goto out;
	}
	/*
	 * A successor that moves to another relay is kept here too (never written to), so
	 * that this relay can check the handovers that name it on its predecessor.
	 */
	const uint8_t *pred = parley_charter_predecessor(charter);
	if (memcmp(rk->sign_pk, r->cfg.key->pub.sign_pk, 32) != 0 && !(pred && channel_get(r, pred, NULL))) {
		ret = problem(c, rq, 422, "wrong-relay", "the charter names another relay (%s)", rk->name);
		goto out;
	}
	if (authenticate(r, c, rq, "POST", url, charter, &who, &ret))
		goto out;
	/*
	 * The channel is its id: any serialisation of the same signed charter opens (or
	 * re-opens) the same channel, stored once in canonical form. A store conflict
	 * (E_USAGE: other bytes under this id, e.g. stored before canonical forms) is
	 * the same channel too, since the id is the hash of the body every member signed.
	 */
	if (parley_charter_write_canonical(charter, &canon, &err)) {
		ret = problem(c, rq, 500, "cannot-open", "%s", err.msg);
		goto out;
	}
	/* a new channel: the operator's policy here, its parties' quotas in the committer */
	if (r->allow && !channel_get(r, parley_charter_id(charter), NULL) && !open_allowed(r, charter)) {
		ret = problem(c, rq, 403, "not-allowed-to-open",
			"this relay opens only channels on its allowlist (by charter id or party key); "
			"ask its operator to add this charter");
		goto out;
	}
	/*
	 * An expired charter opens nothing new (join refuses it too): its channel could only
	 * ever wind down. One already open stays readable, and re-opening it is harmless.
	 */
	int64_t vfrom, vuntil;
	parley_charter_validity(charter, &vfrom, &vuntil);
	if ((int64_t)(parley_now_ms() / 1000) >= vuntil && !channel_get(r, parley_charter_id(charter), NULL)) {
		char until[21];
		parley_time_fmt(until, vuntil);
		ret = problem(c, rq, 422, "charter-expired",
			"the charter expired at %s: a new channel cannot be opened under it (make a successor: "
			"parley charter new --succeeds)", until);
		goto out;
	}
	struct pending p;
	memset(&p, 0, sizeof(p));
	p.kind = JOB_OPEN;
	p.charter = charter;
	p.data = canon.data;
	p.len = canon.len;
	submit(r, &p);
	if (p.status != 201) {
		ret = problem(c, rq, (unsigned)p.status, p.slug, "%s", p.msg);
		goto out;
	}
	parley_hex(idhex, parley_charter_id(charter), 32);
	logf_(r, "level=info msg=\"channel opened\" channel=%s by=%s", idhex, who->key.name);
	ret = send_json(c, rq, 201, json_pack("{s:s}", "channel", idhex));
out:
	parley_charter_free(charter);
	parley_buf_release(&canon);
	return ret;
}

/*
 * The checks of one entry that need no log: its form, channel, sender (the
 * request's signer), signature, creation time and the charter's scope. `at` is
 * its position in a batch (-1: a single append, answered without an index).
 */
static bool entry_precheck(parley_relay *r, struct MHD_Connection *c, struct request *rq, struct channel *ch,
	const parley_party *who, struct append_item *it, long at, enum MHD_Result *ret)
{
	parley_err err = { 0 };
	const parley_charter *charter = ch->charter;
	parley_entry *e = &it->e;
	(void)r;

	if (parley_entry_parse(it->data, it->len, e, &err)) {
		*ret = problem_at(c, rq, at, 400, "malformed-entry", "%s", err.msg);
		return false;
	}
	if (memcmp(e->h.channel, ch->id, 32) != 0) {
		*ret = problem_at(c, rq, at, 422, "wrong-channel", "the entry belongs to another channel");
		return false;
	}
	if (memcmp(e->h.sender, who->key.keyid, 4) != 0) {
		*ret = problem_at(c, rq, at, 403, "not-the-sender", "%s may only append its own entries", who->key.name);
		return false;
	}
	if (parley_entry_verify(e, who->key.sign_pk, &err)) {
		*ret = problem_at(c, rq, at, 422, "bad-signature", "entry signature does not verify for party %s",
			who->key.name);
		return false;
	}
	uint64_t now_ms = parley_now_ms();
	if (e->h.created_ms > now_ms + PARLEY_ENTRY_MAX_SKEW_MS || e->h.created_ms + PARLEY_ENTRY_MAX_SKEW_MS < now_ms) {
		*ret = problem_at(c, rq, at, 422, "bad-creation-time",
			"the entry was created %lld s away from the relay's clock (at most %llu s allowed)",
			(long long)(((int64_t)e->h.created_ms - (int64_t)now_ms) / 1000),
			(unsigned long long)(PARLEY_ENTRY_MAX_SKEW_MS / 1000));
		return false;
	}
	if (!parley_charter_allows_type(charter, e->h.type)) {
		*ret = problem_at(c, rq, at, 422, "type-out-of-scope", "message type %s is not in the charter's scope",
			parley_type_name(e->h.type));
		return false;
	}
	/* a handover's category names its successor (the handover rule checks it in the committer) */
	if (e->h.type != PARLEY_T_HANDOVER && !parley_charter_allows_category(charter, e->h.category)) {
		*ret = problem_at(c, rq, at, 422, "category-out-of-scope", "category '%s' is not in the charter's scope",
			e->h.category);
		return false;
	}
	for (unsigned i = 0; i < e->h.nrecip; i++) {
		const parley_party *rp = parley_charter_party_by_keyid(charter, e->h.recip[i]);
		if (!rp) {
			*ret = problem_at(c, rq, at, 422, "unknown-recipient", "recipient %u is not a member of the charter", i);
			return false;
		}
		if (rp->role != PARLEY_ROLE_PARTY) {
			*ret = problem_at(c, rq, at, 422, "auditor-recipient",
				"recipient %u (%s) is an auditor: auditors read the log but are never addressed", i, rp->key.name);
			return false;
		}
	}
	return true;
}

/*
 * POST /v1/channels/{id}/entries: one entry (any other Content-Type), or with
 * Content-Type PARLEY_BATCH_CTYPE a batch (batch.h) admitted all or none.
 */
static enum MHD_Result route_append(parley_relay *r, struct MHD_Connection *c, struct request *rq,
	struct channel *ch, const parley_party *who)
{
	struct pending p;
	struct append_item one;
	parley_batch_item *frames = NULL;
	parley_err err = { 0 };
	enum MHD_Result ret = MHD_NO;
	bool batch = rq->batch;

	memset(&p, 0, sizeof(p));
	memset(&one, 0, sizeof(one));
	if (who->role != PARLEY_ROLE_PARTY)
		return problem(c, rq, 403, "read-only", "%s is an auditor: it can read, not write", who->key.name);
	if (!batch) {
		one.data = rq->body.data;
		one.len = rq->body.len;
		p.v = &one;
		p.nv = 1;
	} else {
		size_t count = 0, bad = 0;
		parley_code rc;
		if (!(frames = calloc(PARLEY_BATCH_MAX_ENTRIES, sizeof(*frames))))
			return problem(c, rq, 503, "busy", "out of memory");
		rc = parley_batch_split(rq->body.data, rq->body.len, frames, PARLEY_BATCH_MAX_ENTRIES, &count, &bad, &err);
		if (rc == PARLEY_E_LIMIT) {
			ret = problem_at(c, rq, (long)bad, 413, "batch-too-large", "%s", err.msg);
			goto out;
		}
		if (rc) {
			ret = rq->body.len ? problem_at(c, rq, (long)bad, 400, "malformed-batch", "%s", err.msg)
					   : problem(c, rq, 400, "empty-batch", "%s", err.msg);
			goto out;
		}
		if (!(p.v = calloc(count, sizeof(*p.v)))) {
			ret = problem(c, rq, 503, "busy", "out of memory");
			goto out;
		}
		p.nv = count;
		for (size_t k = 0; k < count; k++) {
			p.v[k].data = frames[k].data;
			p.v[k].len = frames[k].len;
		}
		/* a batch of N entries costs N requests of the signer's rate (the first was taken by authenticate) */
		parley_ratelimit_debit(r->rl, rq->keyhex, parley_now_ms(), (double)(count - 1));
	}
	for (size_t k = 0; k < p.nv; k++)
		if (!entry_precheck(r, c, rq, ch, who, &p.v[k], batch ? (long)k : -1, &ret))
			goto out;
	p.ch = ch;
	submit(r, &p);
	if (p.status != 201) {
		ret = problem_at(c, rq, batch ? (long)p.bad : -1, (unsigned)p.status, p.slug, "%s", p.msg);
		goto out;
	}
	if (!batch) {
		logf_(r, "level=info msg=\"entry appended\" channel=%.16s index=%llu sender=%s seq=%llu type=%s", ch->idhex,
			(unsigned long long)one.index, who->key.name, (unsigned long long)one.e.h.seq,
			parley_type_name(one.e.h.type));
		ret = send_json(c, rq, 201,
			json_pack("{s:I, s:I}", "index", (json_int_t)one.index, "integrated_ms", (json_int_t)p.ms));
		goto out;
	}
	logf_(r, "level=info msg=\"entries appended\" channel=%.16s index=%llu count=%zu sender=%s seq=%llu..%llu",
		ch->idhex, (unsigned long long)p.v[0].index, p.nv, who->key.name, (unsigned long long)p.v[0].e.h.seq,
		(unsigned long long)p.v[p.nv - 1].e.h.seq);
	json_t *arr = json_array();
	for (size_t k = 0; arr && k < p.nv; k++)
		if (json_array_append_new(arr,
			    json_pack("{s:I, s:I}", "index", (json_int_t)p.v[k].index, "integrated_ms", (json_int_t)p.ms))) {
			json_decref(arr);
			arr = NULL;
		}
	ret = arr ? send_json(c, rq, 201, json_pack("{s:o}", "entries", arr))
		  : problem(c, rq, 500, "out-of-memory", "the answer could not be built (the entries were appended)");
out:
	if (p.v != &one)
		free(p.v);
	free(frames);
	return ret;
}

/* A page of entries being built: JSON (arr), or the binary form (bin, PARLEY_MEDIA_PAGE). */
struct page {
	json_t *arr;
	parley_buf *bin;
	size_t bytes, n;
	bool built;
};

static parley_code page_entry(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct page *pg = ctx;
	if (pg->bytes + len > PAGE_BYTES_MAX && pg->n > 0)
		return PARLEY_E_LIMIT; /* the page is full; the client asks for the rest */
	if (pg->bin) {
		uint8_t h[20];
		parley_put_u64(h, index);
		parley_put_u64(h + 8, ms);
		h[16] = (uint8_t)(len >> 24);
		h[17] = (uint8_t)(len >> 16);
		h[18] = (uint8_t)(len >> 8);
		h[19] = (uint8_t)len;
		if (parley_buf_add(pg->bin, h, sizeof(h)) || parley_buf_add(pg->bin, data, len))
			return PARLEY_E_NOMEM;
	} else {
		char *b64;
		if (!(b64 = malloc(parley_b64_len(len))))
			return PARLEY_E_NOMEM;
		parley_b64(b64, data, len);
		json_array_append_new(pg->arr, json_pack("{s:I, s:I, s:s}", "index", (json_int_t)index, "integrated_ms",
						      (json_int_t)ms, "entry", b64));
		free(b64);
	}
	pg->bytes += len;
	pg->n++;
	return PARLEY_OK;
}

/*
 * A member's signed read from `from` is evidence that its node held entries
 * 0..from-1 (docs/security.md): queue it for the committer when from is past
 * every from kept for the member and within the log. Repeated reads from the
 * same point cost one mutex and no write.
 */
static void keep_read(parley_relay *r, struct channel *ch, struct request *rq, const parley_party *who,
	uint64_t from, uint64_t size)
{
	uint64_t f, latest = 0;
	size_t i;
	struct read_item *it;

	if (from == 0 || from > size || !rq->target[0] ||
		parley_read_target_from(rq->target, ch->idhex, &f, NULL) || f != from)
		return; /* shows nothing, or not in the one form a checker accepts */
	pthread_mutex_lock(&ch->rd_mu);
	for (i = 0; i < ch->nrd; i++)
		if (memcmp(ch->rd[i].keyid, who->key.keyid, 4) == 0)
			break;
	if (i == ch->nrd) {
		parley_store *rd = reader_get(r, NULL);
		parley_code rc = rd ? parley_store_read_latest(rd, ch->id, who->key.keyid, &latest, NULL) : PARLEY_E_IO;
		reader_put(r, rd);
		if (rc || i == PARLEY_MAX_PARTIES)
			goto out;
		memcpy(ch->rd[i].keyid, who->key.keyid, 4);
		ch->rd[i].from = latest;
		ch->nrd++;
	}
	if (from <= ch->rd[i].from)
		goto out;
	if (!(it = calloc(1, sizeof(*it))))
		goto out;
	it->ch = ch;
	memcpy(it->rd.keyid, who->key.keyid, 4);
	it->rd.from = from;
	it->rd.time_ms = strtoull(rq->auth.time, NULL, 10); /* checked by parley_auth_verify */
	memcpy(it->rd.target, rq->target, sizeof(it->rd.target));
	memcpy(it->rd.nonce, rq->auth.nonce, sizeof(it->rd.nonce));
	memcpy(it->rd.sig, rq->auth.sig, sizeof(it->rd.sig));
	pthread_mutex_lock(&r->qmu);
	if (r->nreads >= READS_QUEUED_MAX || r->stopping) {
		pthread_mutex_unlock(&r->qmu);
		free(it);
		logf_(r, "level=warn msg=\"signed read not kept: queue full\" channel=%.16s by=%s", ch->idhex,
			who->key.name);
		goto out;
	}
	if (r->rdtail)
		r->rdtail->next = it;
	else
		r->rdhead = it;
	r->rdtail = it;
	r->nreads++;
	pthread_cond_signal(&r->qcv);
	pthread_mutex_unlock(&r->qmu);
	ch->rd[i].from = from;
out:
	pthread_mutex_unlock(&ch->rd_mu);
}

/*
 * A long poll takes a waiting slot: at most poll_max in all and poll_max_per_key for one
 * party key, so waiting requests never hold more than a bounded share of the connection
 * threads. False when none is free.
 */
static bool poll_enter(parley_relay *r, const uint8_t pk[32])
{
	struct poll_key *mine = NULL, *free_slot = NULL;
	bool ok = false;

	pthread_mutex_lock(&r->wmu);
	for (unsigned i = 0; i < r->cfg.poll_max && !mine; i++) {
		if (r->wkeys[i].n && memcmp(r->wkeys[i].pk, pk, 32) == 0)
			mine = &r->wkeys[i];
		else if (!r->wkeys[i].n && !free_slot)
			free_slot = &r->wkeys[i];
	}
	if (r->nwait < r->cfg.poll_max && !r->wstop && (mine ? mine->n < r->cfg.poll_max_per_key : free_slot != NULL)) {
		if (!mine) {
			mine = free_slot;
			memcpy(mine->pk, pk, 32);
		}
		mine->n++;
		r->nwait++;
		ok = true;
	}
	pthread_mutex_unlock(&r->wmu);
	return ok;
}

static void poll_leave(parley_relay *r, const uint8_t pk[32])
{
	pthread_mutex_lock(&r->wmu);
	for (unsigned i = 0; i < r->cfg.poll_max; i++)
		if (r->wkeys[i].n && memcmp(r->wkeys[i].pk, pk, 32) == 0) {
			r->wkeys[i].n--;
			r->nwait--;
			break;
		}
	pthread_mutex_unlock(&r->wmu);
}

static uint64_t poll_gen(parley_relay *r, struct channel *ch)
{
	pthread_mutex_lock(&r->wmu);
	uint64_t g = ch->gen;
	pthread_mutex_unlock(&r->wmu);
	return g;
}

/* Whether the client of c closed its end (or reset it): a waiting request it gave up on. */
static bool client_gone(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	char b;
	if (!ci)
		return false;
	ssize_t n = recv(ci->connect_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

enum poll_end { POLL_MOVED, POLL_EXPIRED, POLL_GONE };

/*
 * Wait until the channel's committed appends move past gen, the deadline (monotonic)
 * passes or the relay stops; every POLL_SLICE, look whether the client went away.
 */
static enum poll_end poll_wait(parley_relay *r, struct MHD_Connection *c, struct channel *ch, uint64_t gen,
	double deadline)
{
	enum poll_end end = POLL_EXPIRED;
	double look = mono() + POLL_SLICE; /* when to look at the client's socket next, whatever wakes us */

	pthread_mutex_lock(&r->wmu);
	for (;;) {
		double now = mono(), until = deadline < look ? deadline : look;
		struct timespec ts;
		if (ch->gen != gen) {
			end = POLL_MOVED;
			break;
		}
		if (r->wstop || now >= deadline)
			break;
		if (now >= look) {
			pthread_mutex_unlock(&r->wmu);
			bool gone = client_gone(c);
			pthread_mutex_lock(&r->wmu);
			if (gone) {
				end = POLL_GONE;
				break;
			}
			look = now + POLL_SLICE;
			continue;
		}
		ts.tv_sec = (time_t)until;
		ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
		if (ts.tv_nsec > 999999999L)
			ts.tv_nsec = 999999999L;
		pthread_cond_timedwait(&r->wcv, &r->wmu, &ts);
	}
	pthread_mutex_unlock(&r->wmu);
	return end;
}

static enum MHD_Result route_entries(parley_relay *r, struct MHD_Connection *c, struct request *rq,
	struct channel *ch, const parley_party *who)
{
	uint64_t from = 0, limit = r->cfg.page_max, size = 0, wait = 0;
	struct page pg = { NULL, NULL, 0, 0, false };
	parley_buf bin = PARLEY_BUF_INIT;
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	/* the binary page for a client that asks for it (a node: no JSON or base64 per entry), JSON otherwise */
	bool binary = accept && strstr(accept, PARLEY_MEDIA_PAGE) != NULL;
	parley_err err = { 0 };
	parley_code rc = PARLEY_OK;
	enum poll_end end = POLL_MOVED;

	if (!query_u64(c, "from", &from, false) || !query_u64(c, "limit", &limit, false) || limit == 0 ||
		!query_u64(c, "wait", &wait, false))
		return problem(c, rq, 400, "bad-query", "from, limit and wait must be whole numbers (limit >= 1)");
	if (limit > r->cfg.page_max)
		limit = r->cfg.page_max;
	if (wait > POLL_WAIT_MAX)
		wait = POLL_WAIT_MAX;
	if (wait && !poll_enter(r, who->key.sign_pk)) {
		rq->retry_after = 1;
		return problem(c, rq, 429, "too-many-waiting",
			"too many requests are waiting for entries (%u in all, %u per key): poll without wait, or retry later",
			r->cfg.poll_max, r->cfg.poll_max_per_key);
	}
	double deadline = mono() + (double)wait;
	for (;;) {
		/* the generation before the size: an append committed after it wakes the wait below */
		uint64_t gen = wait ? poll_gen(r, ch) : 0;
		/* on this thread's own reading connection: no lock shared with other readers or the committer */
		parley_store *rd = reader_get(r, &err);
		rc = rd ? parley_store_size(rd, ch->id, &size, &err) : PARLEY_E_IO;
		if (!rc && (size > from || !wait || end != POLL_MOVED)) {
			pg.built = true;
			if (binary) {
				uint8_t sz[8];
				parley_put_u64(sz, size);
				pg.bin = &bin;
				if (parley_buf_add(&bin, sz, sizeof(sz)))
					rc = parley_fail(&err, PARLEY_E_NOMEM, "out of memory");
			} else if (!(pg.arr = json_array())) {
				rc = parley_fail(&err, PARLEY_E_NOMEM, "out of memory");
			}
			if (!rc && (rc = parley_store_entries(rd, ch->id, from, limit, page_entry, &pg, &err)) == PARLEY_E_LIMIT)
				rc = PARLEY_OK;
		}
		reader_put(r, rd);
		if (rc || pg.built)
			break;
		end = poll_wait(r, c, ch, gen, deadline);
		if (end == POLL_GONE)
			break;
	}
	if (wait)
		poll_leave(r, who->key.sign_pk);
	if (end == POLL_GONE || rc) {
		json_decref(pg.arr);
		parley_buf_release(&bin);
		/* nobody to answer: close the connection */
		return end == POLL_GONE ? MHD_NO : problem(c, rq, 500, "store-error", "%s", err.msg);
	}
	keep_read(r, ch, rq, who, from, size);
	if (binary) {
		enum MHD_Result ret = respond(c, rq, 200, PARLEY_MEDIA_PAGE, bin.data, bin.len);
		parley_buf_release(&bin);
		return ret;
	}
	return send_json(c, rq, 200, json_pack("{s:I, s:o}", "size", (json_int_t)size, "entries", pg.arr));
}

/* A key id argument: 8 lower-case hex digits. */
static bool query_keyid(struct MHD_Connection *c, const char *name, uint8_t keyid[4])
{
	const char *s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	if (!s || strlen(s) != 8 || parley_unhex(keyid, 4, s, 8))
		return false;
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'F')
			return false;
	return true;
}

static enum MHD_Result route_reads(parley_relay *r, struct MHD_Connection *c, struct request *rq,
	struct channel *ch)
{
	uint8_t keyid[4];
	uint64_t past = 0;
	parley_signed_read rd;
	parley_err err = { 0 };
	char keyhex[9];
	parley_code rc;

	if (!query_keyid(c, "party", keyid) || !query_u64(c, "past", &past, true))
		return problem(c, rq, 400, "bad-query", "party (a key id, 8 lower-case hex digits) and past (a whole number) are required");
	parley_hex(keyhex, keyid, 4);
	if (!parley_charter_party_by_keyid(ch->charter, keyid))
		return problem(c, rq, 404, "no-such-party", "key %s is not a member of this channel's charter", keyhex);
	parley_store *st = reader_get(r, &err);
	rc = st ? parley_store_read_past(st, ch->id, keyid, past, &rd, &err) : PARLEY_E_IO;
	reader_put(r, st);
	if (rc == PARLEY_E_NOTFOUND)
		return problem(c, rq, 404, "no-such-read", "the relay keeps no signed read by %s from past %llu", keyhex,
			(unsigned long long)past);
	if (rc)
		return problem(c, rq, 500, "store-error", "%s", err.msg);
	return send_json(c, rq, 200,
		json_pack("{s:s, s:I, s:s, s:I, s:s, s:s}", "party", keyhex, "from", (json_int_t)rd.from, "target", rd.target,
			"time_ms", (json_int_t)rd.time_ms, "nonce", rd.nonce, "signature", rd.sig));
}

static enum MHD_Result route_checkpoint(parley_relay *r, struct MHD_Connection *c, struct request *rq,
	struct channel *ch)
{
	parley_buf note = PARLEY_BUF_INIT, cos = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	uint64_t size = 0;
	parley_code rc;
	enum MHD_Result ret;

	uint64_t want = 0, min_size = 0;
	uint8_t keyid[4];
	const parley_party *cosigner = NULL;
	bool has_size = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "size") != NULL;
	bool by = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "cosigned_by") != NULL;

	if (!query_u64(c, "size", &want, false))
		return problem(c, rq, 400, "bad-query", "size must be a whole number");
	if (by) {
		if (has_size || !query_keyid(c, "cosigned_by", keyid) || !query_u64(c, "min_size", &min_size, false))
			return problem(c, rq, 400, "bad-query",
				"cosigned_by is a key id (8 lower-case hex digits), with an optional whole min_size and no size");
		if (!(cosigner = parley_charter_party_by_keyid(ch->charter, keyid)))
			return problem(c, rq, 404, "no-such-party", "key %s is not a member of this channel's charter",
				MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "cosigned_by"));
	} else if (MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "min_size")) {
		return problem(c, rq, 400, "bad-query", "min_size goes with cosigned_by");
	}
	if (!has_size && !by) {
		/* the latest: the committer signs one for the current size first, if the log grew */
		struct pending p;
		memset(&p, 0, sizeof(p));
		p.kind = JOB_CHECKPOINT;
		p.ch = ch;
		submit(r, &p);
	}
	parley_store *rd = reader_get(r, &err);
	if (!rd)
		rc = PARLEY_E_IO;
	else if (by)
		rc = parley_store_checkpoint_find(rd, ch->id, min_size, cosigner->key.name, &note, &size, &err);
	else if (has_size) /* exactly that size, 0 included */
		rc = parley_store_checkpoint_find(rd, ch->id, want, NULL, &note, &size, &err) == PARLEY_OK && size == want
			? PARLEY_OK
			: parley_fail(&err, PARLEY_E_NOTFOUND, "no checkpoint of that size");
	else
		rc = parley_store_checkpoint_get(rd, ch->id, 0, &note, &size, &err);
	if (!rc)
		rc = parley_store_cosigs(rd, ch->id, size, &cos, &err);
	reader_put(r, rd);
	if (rc == PARLEY_E_NOTFOUND && by)
		ret = problem(c, rq, 404, "no-such-checkpoint", "%s cosigned no checkpoint of size %llu or more",
			cosigner->key.name, (unsigned long long)min_size);
	else if (rc == PARLEY_E_NOTFOUND)
		ret = problem(c, rq, 404, "no-such-checkpoint", "the relay signed no checkpoint of size %llu",
			(unsigned long long)want);
	else if (rc)
		ret = problem(c, rq, 500, "no-checkpoint", "%s", err.msg);
	else if (parley_buf_add(&note, cos.data, cos.len))
		ret = problem(c, rq, 500, "too-large", "checkpoint too large");
	else
		ret = respond(c, rq, 200, "text/plain; charset=utf-8", note.data, note.len);
	parley_buf_release(&note);
	parley_buf_release(&cos);
	return ret;
}

static enum MHD_Result route_proof(parley_relay *r, struct MHD_Connection *c, struct request *rq,
	struct channel *ch, bool inclusion)
{
	uint64_t a = 0, size = 0, have;
	uint8_t proof[PARLEY_MERKLE_MAX_PROOF][32];
	size_t n = 0;
	parley_err err = { 0 };
	parley_code rc;

	if (!query_u64(c, inclusion ? "index" : "old", &a, true) || !query_u64(c, "size", &size, true))
		return problem(c, rq, 400, "bad-query", inclusion ? "index and size are required whole numbers"
								 : "old and size are required whole numbers");
	parley_store *rd = reader_get(r, &err);
	rc = rd ? parley_store_size(rd, ch->id, &have, &err) : PARLEY_E_IO;
	if (!rc && size > have)
		rc = parley_fail(&err, PARLEY_E_USAGE, "size %llu is beyond the log (%llu entries)",
			(unsigned long long)size, (unsigned long long)have);
	if (!rc)
		rc = inclusion ? parley_store_inclusion(rd, ch->id, a, size, proof, &n, &err)
			       : parley_store_consistency(rd, ch->id, a, size, proof, &n, &err);
	reader_put(r, rd);
	if (rc)
		return problem(c, rq, rc == PARLEY_E_USAGE ? 400 : 500, "bad-proof-request", "%s", err.msg);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		char hex[65];
		parley_hex(hex, proof[i], 32);
		json_array_append_new(arr, json_string(hex));
	}
	return send_json(c, rq, 200, json_pack("{s:I, s:o}", "size", (json_int_t)size, "hashes", arr));
}

static enum MHD_Result route_cosign(parley_relay *r, struct MHD_Connection *c, struct request *rq,
	struct channel *ch, const parley_party *who)
{
	json_t *j = NULL;
	parley_err err = { 0 };
	parley_buf note = PARLEY_BUF_INIT, msg = PARLEY_BUF_INIT;
	parley_note parsed;
	parley_verifier v;
	bool ok = false;
	uint64_t size;
	const char *line;
	enum MHD_Result ret;

	if (parley_json_parse((const char *)rq->body.data, rq->body.len, 65536, &j, &err))
		return problem(c, rq, 400, "bad-cosignature", "%s", err.msg);
	json_t *jsz = json_object_get(j, "size"), *jl = json_object_get(j, "line");
	if (json_object_size(j) != 2 || !json_is_integer(jsz) || json_integer_value(jsz) < 0 || !json_is_string(jl)) {
		json_decref(j);
		return problem(c, rq, 400, "bad-cosignature", "expected {\"size\": N, \"line\": \"— name base64\\n\"}");
	}
	size = (uint64_t)json_integer_value(jsz);
	line = json_string_value(jl);
	uint64_t got = 0;
	parley_store *rd = reader_get(r, &err);
	parley_code rc = rd ? parley_store_checkpoint_find(rd, ch->id, size, NULL, &note, &got, &err) /* exactly size */
			    : PARLEY_E_IO;
	reader_put(r, rd);
	if (rc || got != size) {
		ret = problem(c, rq, 404, "no-such-checkpoint", "the relay signed no checkpoint of size %llu",
			(unsigned long long)size);
		goto out;
	}
	/* the checkpoint text is what precedes the blank line of the stored note */
	const char *blank = strstr((const char *)note.data, "\n\n");
	if (!blank || parley_buf_add(&msg, note.data, (size_t)(blank - (const char *)note.data) + 2) ||
		parley_buf_addstr(&msg, line) || parley_note_parse((const char *)msg.data, msg.len, &parsed, &err)) {
		ret = problem(c, rq, 400, "bad-cosignature", "%s", err.msg[0] ? err.msg : "malformed line");
		goto out;
	}
	parley_verifier_from_key(&v, who->key.name, who->key.sign_pk, PARLEY_VKEY_COSIGNATURE);
	rc = parley_note_verify(&parsed, &v, 1, &ok, NULL, &err);
	parley_note_release(&parsed);
	if (rc || !ok || strchr(line, '\n') != line + strlen(line) - 1) {
		ret = problem(c, rq, 422, "bad-cosignature", "the line is not a valid cosignature by %s of checkpoint %llu",
			who->key.name, (unsigned long long)size);
		goto out;
	}
	struct pending p;
	memset(&p, 0, sizeof(p));
	p.kind = JOB_COSIG;
	p.ch = ch;
	p.size = size;
	p.signer = who->key.name;
	p.line = line;
	submit(r, &p);
	if (p.status != 201) {
		ret = problem(c, rq, (unsigned)p.status, p.slug, "%s", p.msg);
		goto out;
	}
	logf_(r, "level=info msg=\"cosigned\" channel=%.16s size=%llu by=%s", ch->idhex, (unsigned long long)size,
		who->key.name);
	ret = send_json(c, rq, 201, json_pack("{s:I, s:s}", "size", (json_int_t)size, "signer", who->key.name));
out:
	json_decref(j);
	parley_buf_release(&note);
	parley_buf_release(&msg);
	return ret;
}

static enum MHD_Result route_metrics(parley_relay *r, struct MHD_Connection *c, struct request *rq)
{
	parley_buf b = PARLEY_BUF_INIT;
	unsigned long cum = 0;
	enum MHD_Result ret;

	if (parley_buf_addf(&b, "# HELP parley_entries_appended_total Entries appended to any log.\n"
				"# TYPE parley_entries_appended_total counter\nparley_entries_appended_total %lu\n"
				"# HELP parley_requests_total HTTP requests by status code.\n"
				"# TYPE parley_requests_total counter\n",
		    atomic_load(&r->appended)))
		return MHD_NO;
	for (unsigned s = 100; s < 600; s++) {
		unsigned long v = atomic_load(&r->by_status[s]);
		if (v && parley_buf_addf(&b, "parley_requests_total{code=\"%u\"} %lu\n", s, v))
			return MHD_NO;
	}
	if (parley_buf_addf(&b, "# HELP parley_connections_reaped_total Connections closed for missing the request deadline.\n"
				"# TYPE parley_connections_reaped_total counter\nparley_connections_reaped_total %lu\n"
				"# HELP parley_connections_refused_total Connections refused by the per-address policy.\n"
				"# TYPE parley_connections_refused_total counter\nparley_connections_refused_total %lu\n",
		    atomic_load(&r->reaped), atomic_load(&r->refused)))
		return MHD_NO;
	pthread_mutex_lock(&r->wmu);
	unsigned waiting = r->nwait;
	pthread_mutex_unlock(&r->wmu);
	if (parley_buf_addf(&b, "# HELP parley_long_polls_waiting Requests waiting for a channel's next entry (wait=).\n"
				"# TYPE parley_long_polls_waiting gauge\nparley_long_polls_waiting %u\n",
		    waiting)) {
		parley_buf_release(&b);
		return MHD_NO;
	}
	if (parley_buf_addstr(&b, "# HELP parley_request_duration_seconds Time to answer a request.\n"
				  "# TYPE parley_request_duration_seconds histogram\n"))
		return MHD_NO;
	for (int i = 0; i <= NBUCKETS; i++) {
		cum += atomic_load(&r->hist[i]);
		if (i < NBUCKETS)
			ret = parley_buf_addf(&b, "parley_request_duration_seconds_bucket{le=\"%g\"} %lu\n", buckets[i], cum)
				? MHD_NO : MHD_YES;
		else
			ret = parley_buf_addf(&b, "parley_request_duration_seconds_bucket{le=\"+Inf\"} %lu\n", cum) ? MHD_NO
														   : MHD_YES;
		if (ret == MHD_NO)
			return MHD_NO;
	}
	if (parley_buf_addf(&b, "parley_request_duration_seconds_sum %.6f\nparley_request_duration_seconds_count %lu\n",
		    atomic_load(&r->duration_sum), atomic_load(&r->duration_count)))
		return MHD_NO;
	ret = respond(c, rq, 200, "text/plain; version=0.0.4", b.data, b.len);
	parley_buf_release(&b);
	return ret;
}

static enum MHD_Result route(parley_relay *r, struct MHD_Connection *c, struct request *rq, const char *url,
	const char *method)
{
	bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
	uint8_t id[32];
	const char *rest;
	struct channel *ch;
	const parley_party *who;
	enum MHD_Result ret;

	if (strcmp(url, "/v1/health") == 0 && get)
		return send_json(c, rq, 200, json_pack("{s:s}", "status", "ok"));
	if (strcmp(url, "/v1/metrics") == 0 && get)
		return route_metrics(r, c, rq);
	if (strcmp(url, "/v1/channels") == 0 && post)
		return route_open(r, c, rq, url);
	if (strncmp(url, "/v1/channels/", 13) != 0 || strlen(url) < 13 + 64 ||
		parley_unhex(id, 32, url + 13, 64) || (url[13 + 64] && url[13 + 64] != '/'))
		return problem(c, rq, 404, "not-found", "no such resource: %s", url);
	rest = url + 13 + 64;
	for (const char *h = url + 13; h < rest; h++)
		if (*h >= 'A' && *h <= 'F')
			return problem(c, rq, 404, "not-found", "channel ids are lower-case hex");
	if (!(ch = channel_get(r, id, NULL)))
		return problem(c, rq, 404, "no-such-channel", "no channel %.16s... on this relay", url + 13);
	/*
	 * A successor's charter is also readable by the members of its predecessor: their
	 * nodes check the handovers that name it (docs/protocol.md, "Succession").
	 */
	const parley_charter *auth_charter = ch->charter;
	if (strcmp(rest, "/charter") == 0 && get && parley_charter_predecessor(ch->charter)) {
		uint8_t kid[4];
		const char *kh = header(c, PARLEY_H_KEY);
		struct channel *pc;
		if (kh && !parley_unhex(kid, 4, kh, strlen(kh)) && !parley_charter_party_by_keyid(ch->charter, kid) &&
			(pc = channel_get(r, parley_charter_predecessor(ch->charter), NULL)))
			auth_charter = pc->charter;
	}
	if (authenticate(r, c, rq, method, url, auth_charter, &who, &ret))
		return ret;
	if (strcmp(rest, "/entries") == 0 && post)
		return route_append(r, c, rq, ch, who);
	if (strcmp(rest, "/entries") == 0 && get)
		return route_entries(r, c, rq, ch, who);
	if (strcmp(rest, "/reads") == 0 && get)
		return route_reads(r, c, rq, ch);
	if (strcmp(rest, "/checkpoint") == 0 && get)
		return route_checkpoint(r, c, rq, ch);
	if (strcmp(rest, "/proof/inclusion") == 0 && get)
		return route_proof(r, c, rq, ch, true);
	if (strcmp(rest, "/proof/consistency") == 0 && get)
		return route_proof(r, c, rq, ch, false);
	if (strcmp(rest, "/cosignatures") == 0 && post)
		return route_cosign(r, c, rq, ch, who);
	if (strcmp(rest, "/charter") == 0 && get) {
		parley_buf b = PARLEY_BUF_INIT;
		parley_store *rd = reader_get(r, NULL);
		parley_code rc = rd ? parley_store_channel_charter(rd, id, &b, NULL) : PARLEY_E_IO;
		reader_put(r, rd);
		ret = rc ? problem(c, rq, 500, "store-error", "cannot read the charter")
			 : respond(c, rq, 200, "application/json", b.data, b.len);
		parley_buf_release(&b);
		return ret;
	}
	return problem(c, rq, (get || post) ? 404 : 405, "not-found", "no route %s %s", method, url);
}

/*
 * Whether a batch's headers name a writing party of the channel in its URL
 * (before its body is received; the signature over the body is checked after).
 */
static bool batch_signer_known(parley_relay *r, struct MHD_Connection *c, const char *url)
{
	uint8_t id[32], keyid[4];
	const char *kh = header(c, PARLEY_H_KEY);
	struct channel *ch;
	const parley_party *p;

	if (strncmp(url, "/v1/channels/", 13) != 0 || strlen(url) != 13 + 64 + 8 || parley_unhex(id, 32, url + 13, 64) ||
		strlen(kh) != 8 || parley_unhex(keyid, 4, kh, 8) || !(ch = channel_get(r, id, NULL)))
		return false;
	p = parley_charter_party_by_keyid(ch->charter, keyid);
	return p && p->role == PARLEY_ROLE_PARTY;
}

/* The largest body a request may have: a batch's, or an entry's or a charter's. */
static size_t body_max(const struct request *rq)
{
	return rq->batch ? PARLEY_BATCH_MAX_BYTES : BODY_MAX;
}

static enum MHD_Result too_large(struct MHD_Connection *c, struct request *rq)
{
	if (rq->batch)
		return problem(c, rq, 413, "batch-too-large", "a batch is limited to %zu bytes (and %d entries)",
			(size_t)PARLEY_BATCH_MAX_BYTES, PARLEY_BATCH_MAX_ENTRIES);
	return problem(c, rq, 413, "too-large", "request bodies are limited to %zu bytes", (size_t)BODY_MAX);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	parley_relay *r = cls;
	struct request *rq = *con_cls;
	(void)version;

	if (!rq) {
		if (!(rq = calloc(1, sizeof(*rq))))
			return MHD_NO;
		rq->batch = strcmp(method, "POST") == 0 && strlen(url) > 8 && strcmp(url + strlen(url) - 8, "/entries") == 0 &&
			    parley_batch_ctype_is(header(c, MHD_HTTP_HEADER_CONTENT_TYPE));
		parley_buf_init(&rq->body, body_max(rq));
		rq->start = mono();
		snprintf(rq->method, sizeof(rq->method), "%s", method);
		snprintf(rq->path, sizeof(rq->path), "%s", url);
		*con_cls = rq;
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > body_max(rq)) {
			rq->too_big = true;
			return too_large(c, rq);
		}
		/* a batch's body (up to 8 MiB) is taken only from a writing party of the channel's charter */
		if (rq->batch && !batch_signer_known(r, c, url)) {
			rq->too_big = true; /* its body is discarded as it comes */
			return problem(c, rq, 403, "not-a-party",
				"a batch of entries must come from a party of the channel (%s names none)", PARLEY_H_KEY);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (!rq->too_big && parley_buf_add(&rq->body, upload, *upload_size))
			rq->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->status)
		return MHD_YES; /* already answered */
	if (rq->too_big)
		return too_large(c, rq);
	conn_receiving(r, c, false); /* received whole: the deadline no longer applies */
	return route(r, c, rq, url, method);
}

/* Connections come and go: the list the reaper and the access policy read. */
static void notify_conn(void *cls, struct MHD_Connection *c, void **socket_context, enum MHD_ConnectionNotificationCode code)
{
	parley_relay *r = cls;
	struct conn *k = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ad = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (!fd || !(k = calloc(1, sizeof(*k))))
			return;
		k->fd = fd->connect_fd;
		addr_key(ad ? ad->client_addr : NULL, ad && ad->client_addr ? sizeof(struct sockaddr_in6) : 0, k->ip);
		k->since = mono();
		k->receiving = true;
		pthread_mutex_lock(&r->connmu);
		k->next = r->conns;
		if (r->conns)
			r->conns->prev = k;
		r->conns = k;
		r->nconns++;
		pthread_mutex_unlock(&r->connmu);
		*socket_context = k;
		return;
	}
	if (!k) /* MHD_CONNECTION_NOTIFY_CLOSED, before MHD closes the socket */
		return;
	pthread_mutex_lock(&r->connmu);
	if (k->prev)
		k->prev->next = k->next;
	else
		r->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	r->nconns--;
	pthread_mutex_unlock(&r->connmu);
	free(k);
	*socket_context = NULL;
}

/*
 * Accept a connection from addr? Besides MHD's total and per-address limits, an
 * address that already holds connections may take at most half of the free
 * ones, so that however many slow connections a few addresses open, room is
 * left for others (a new address is refused only when the relay is full).
 */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
	parley_relay *r = cls;
	uint8_t ip[16];
	unsigned mine = 0, total;

	addr_key(addr, addr ? (size_t)len : 0, ip);
	pthread_mutex_lock(&r->connmu);
	total = r->nconns;
	for (struct conn *k = r->conns; k; k = k->next)
		mine += memcmp(k->ip, ip, 16) == 0;
	pthread_mutex_unlock(&r->connmu);
	unsigned free_ = total < r->cfg.max_connections ? r->cfg.max_connections - total : 0;
	/* free_ == 0: full across every listening address (each daemon's own limit counts only its own) */
	if (free_ == 0 || mine >= r->cfg.max_per_ip || (mine > 0 && mine >= free_ / 2)) {
		atomic_fetch_add(&r->refused, 1);
		return MHD_NO;
	}
	return MHD_YES;
}

/* Shut down the sockets of connections still receiving a request past the deadline. */
static void *reaper_main(void *arg)
{
	parley_relay *r = arg;
	struct timespec ts;

	pthread_mutex_lock(&r->connmu);
	while (!r->reaper_stop) {
		double now = mono();
		for (struct conn *k = r->conns; k; k = k->next)
			if (k->receiving && !k->reaped && now - k->since > (double)r->cfg.deadline_s) {
				/* the connection's thread sees end of file and closes it; the fd is open until CLOSED */
				shutdown(k->fd, SHUT_RDWR);
				k->reaped = true;
				atomic_fetch_add(&r->reaped, 1);
				char ip[INET6_ADDRSTRLEN];
				addr_str(k->ip, ip);
				logf_(r, "level=warn msg=\"request deadline passed: connection closed\" from=%s seconds=%.1f", ip,
					now - k->since);
			}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&r->conncv, &r->connmu, &ts);
	}
	pthread_mutex_unlock(&r->connmu);
	return NULL;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	parley_relay *r = cls;
	struct request *rq = *con_cls;
	(void)toe;
	conn_receiving(r, c, true); /* the deadline of the next request on this connection starts */
	if (!rq)
		return;
	double d = mono() - rq->start;
	unsigned s = rq->status < 600 ? rq->status : 0;
	atomic_fetch_add(&r->by_status[s], 1);
	int i;
	for (i = 0; i < NBUCKETS && d > buckets[i]; i++)
		;
	atomic_fetch_add(&r->hist[i], 1);
	double old = atomic_load(&r->duration_sum);
	while (!atomic_compare_exchange_weak(&r->duration_sum, &old, old + d))
		;
	atomic_fetch_add(&r->duration_count, 1);
	logf_(r, "level=%s msg=request method=%s path=%s status=%u ms=%.1f key=%s",
		s >= 500 ? "error" : s >= 400 ? "warn" : "info", rq->method, rq->path, s, d * 1000,
		rq->keyhex[0] ? rq->keyhex : "-");
	parley_buf_release(&rq->body);
	free(rq);
	*con_cls = NULL;
}

/*
 * One relay process per store: an exclusive flock on PATH.lock, held until the
 * relay stops (or its process dies), with the holder's PID inside. A second relay
 * would append under the first one's cached tree and fail every client with 500.
 */
static parley_code store_lock(parley_relay *r, parley_err *err)
{
	if (parley_store_spec_is_pg(r->cfg.db))
		return PARLEY_OK; /* processes share it: each append holds its channel's lock in the database */
	const char *db = strncmp(r->cfg.db, "sqlite:", 7) == 0 ? r->cfg.db + 7 : r->cfg.db;
	char path[4096], pid[32];
	ssize_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s.lock", db) >= sizeof(path))
		return parley_fail(err, PARLEY_E_USAGE, "%s: path too long", db);
	if ((r->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return parley_fail(err, PARLEY_E_IO, "%s: cannot open the lock file: %s", path, strerror(errno));
	if (flock(r->lockfd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		n = pread(r->lockfd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = 0;
		pid[strcspn(pid, "\n")] = 0;
		if (e == EWOULDBLOCK)
			return parley_fail(err, PARLEY_E_USAGE,
				"%s is in use by another relay (pid %s, per %s); stop it first or use another --db", db,
				pid[0] ? pid : "unknown", path);
		return parley_fail(err, PARLEY_E_IO, "%s: cannot lock: %s", path, strerror(e));
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(r->lockfd, 0) != 0 || pwrite(r->lockfd, pid, (size_t)n, 0) != n)
		return parley_fail(err, PARLEY_E_IO, "%s: cannot write the lock file: %s", path, strerror(errno));
	return PARLEY_OK;
}

parley_code parley_relay_start(const parley_relay_config *cfg, parley_relay **out, parley_err *err)
{
	parley_relay *r = calloc(1, sizeof(*r));
	parley_code rc;
	int fds[PARLEY_LISTEN_MAX];
	size_t nfds = 0;

	*out = NULL;
	if (!r)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	r->cfg = *cfg;
	if (!r->cfg.max_connections)
		r->cfg.max_connections = 256;
	if (!r->cfg.timeout_s)
		r->cfg.timeout_s = 15;
	if (!r->cfg.deadline_s)
		r->cfg.deadline_s = 30;
	if (!r->cfg.max_per_ip)
		r->cfg.max_per_ip = r->cfg.max_connections / 4 > 64 ? r->cfg.max_connections / 4 : 64;
	if (r->cfg.rate == 0)
		r->cfg.rate = 200;
	if (!r->cfg.page_max)
		r->cfg.page_max = 500;
	if (!r->cfg.checkpoint_ms)
		r->cfg.checkpoint_ms = 1000;
	if (!r->cfg.open_rate)
		r->cfg.open_rate = 30;
	if (!r->cfg.open_max_per_key)
		r->cfg.open_max_per_key = 1000;
	if (!r->cfg.open_bytes_per_key)
		r->cfg.open_bytes_per_key = (size_t)16 << 20;
	if (!r->cfg.poll_max)
		r->cfg.poll_max = 64;
	if (!r->cfg.poll_max_per_key)
		r->cfg.poll_max_per_key = 4;
	r->lockfd = -1;
	randombytes_buf(r->addr_key, sizeof(r->addr_key));
	{
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* as mono(): deadlines immune to clock steps */
		pthread_cond_init(&r->wcv, &ca);
		pthread_condattr_destroy(&ca);
		pthread_mutex_init(&r->wmu, NULL);
	}
	pthread_mutex_init(&r->poolmu, NULL);
	pthread_cond_init(&r->poolcv, NULL);
	pthread_mutex_init(&r->chmu, NULL);
	pthread_mutex_init(&r->qmu, NULL);
	pthread_mutex_init(&r->logmu, NULL);
	pthread_mutex_init(&r->connmu, NULL);
	pthread_cond_init(&r->conncv, NULL);
	pthread_cond_init(&r->qcv, NULL);
	if (!(r->wkeys = calloc(r->cfg.poll_max, sizeof(*r->wkeys)))) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto fail;
	}
	if ((rc = store_lock(r, err)) || (rc = parley_store_open(cfg->db, &r->w, err)))
		goto fail;
	if (parley_nonce_cache_new(NONCES_MAX, &r->nonces) || parley_ratelimit_new(r->cfg.rate, &r->rl) ||
		parley_ratelimit_new_burst((double)r->cfg.open_rate / 60.0, (double)r->cfg.open_rate, &r->open_rl)) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto fail;
	}
	if (r->cfg.open_allowlist && (rc = allowlist_load(r, err)))
		goto fail;
	if ((rc = quota_load(r, err)))
		goto fail;
	if (pthread_create(&r->committer, NULL, committer_main, r)) {
		rc = parley_fail(err, PARLEY_E_IO, "cannot start the committer thread");
		goto fail;
	}
	r->committer_started = true;
	if (pthread_create(&r->reaper, NULL, reaper_main, r)) {
		rc = parley_fail(err, PARLEY_E_IO, "cannot start the reaper thread");
		goto fail;
	}
	r->reaper_started = true;

	/* every address the host resolves to, on one port; a daemon per socket (MHD binds one socket each) */
	if ((rc = parley_listen_open(cfg->host, cfg->port, fds, &nfds, &r->port, err)))
		goto fail;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (cfg->tls_cert_pem)
		flags |= MHD_USE_TLS;
	for (size_t i = 0; i < nfds; i++) {
		char addr[PARLEY_LISTEN_ADDR_MAX];
		parley_listen_addr(fds[i], addr);
		r->mhd[i] = MHD_start_daemon(flags, 0, accept_policy, r, handler, r, MHD_OPTION_LISTEN_SOCKET, fds[i],
			MHD_OPTION_CONNECTION_LIMIT, r->cfg.max_connections, MHD_OPTION_CONNECTION_TIMEOUT, r->cfg.timeout_s,
			MHD_OPTION_PER_IP_CONNECTION_LIMIT, r->cfg.max_per_ip, MHD_OPTION_NOTIFY_COMPLETED, completed, r,
			MHD_OPTION_NOTIFY_CONNECTION, notify_conn, r,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
			cfg->tls_cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cfg->tls_cert_pem,
			MHD_OPTION_HTTPS_MEM_KEY, cfg->tls_key_pem, MHD_OPTION_END);
		if (!r->mhd[i]) {
			/* the daemons started own (and close) theirs; MHD may have closed the one it refused */
			parley_listen_close(fds + i + 1, nfds - i - 1);
			rc = parley_fail(err, PARLEY_E_IO, "cannot serve on %s (TLS files invalid?)", addr);
			goto fail;
		}
		r->nmhd = i + 1;
		logf_(r, "level=info msg=\"relay listening\" addr=%s", addr);
	}
	*out = r;
	return PARLEY_OK;
fail:
	parley_relay_stop(r);
	return rc;
}

uint16_t parley_relay_port(const parley_relay *r)
{
	return r->port;
}

void parley_relay_stop(parley_relay *r)
{
	if (!r)
		return;
	if (r->reaper_started) { /* first: it must not touch a socket once MHD closes them */
		pthread_mutex_lock(&r->connmu);
		r->reaper_stop = true;
		pthread_cond_signal(&r->conncv);
		pthread_mutex_unlock(&r->connmu);
		pthread_join(r->reaper, NULL);
	}
	pthread_mutex_lock(&r->wmu); /* long polls answer now (an empty page) */
	r->wstop = true;
	pthread_cond_broadcast(&r->wcv);
	pthread_mutex_unlock(&r->wmu);
	for (size_t i = 0; i < r->nmhd; i++)
		MHD_stop_daemon(r->mhd[i]); /* waits for the connection threads: in-flight appends finish */
	if (r->committer_started) {
		pthread_mutex_lock(&r->qmu);
		r->stopping = true;
		pthread_cond_signal(&r->qcv);
		pthread_mutex_unlock(&r->qmu);
		pthread_join(r->committer, NULL);
	}
	while (r->channels) {
		struct channel *n = r->channels->next;
		channel_free(r->channels);
		r->channels = n;
	}
	parley_store_close(r->w);
	while (r->nidle)
		parley_store_close(r->idle[--r->nidle]);
	if (r->lockfd >= 0)
		close(r->lockfd); /* releases the lock; the file stays (removing it would race a starting relay) */
	parley_nonce_cache_free(r->nonces);
	parley_ratelimit_free(r->rl);
	parley_ratelimit_free(r->open_rl);
	free(r->allow);
	free(r->use);
	free(r->use_slot);
	free(r->wkeys);
	if (r->nmhd)
		logf_(r, "level=info msg=\"relay stopped\"");
	pthread_cond_destroy(&r->qcv);
	pthread_mutex_destroy(&r->poolmu);
	pthread_cond_destroy(&r->poolcv);
	pthread_mutex_destroy(&r->chmu);
	pthread_mutex_destroy(&r->qmu);
	pthread_mutex_destroy(&r->logmu);
	pthread_mutex_destroy(&r->connmu);
	pthread_cond_destroy(&r->conncv);
	pthread_mutex_destroy(&r->wmu);
	pthread_cond_destroy(&r->wcv);
	free(r);
}
