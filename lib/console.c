/* console.c - the operator console's HTTP server and JSON API (routes: docs/api.md "Console"). */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

#include "parley/compose.h"
#include "parley/console.h"
#include "parley/jcs.h"
#include "parley/msg.h"
#include "parley/payload.h"
#include "parley/proof.h"
#include "parley/psi.h"
#include "parley/report.h"
#include "parley/stix.h"
#include "parley/workflow.h"
#include "httpd_internal.h"
#include "banned.h"

#define SESSIONS_MAX 32
#define SEG_MAX 8
#define JSON_MEDIA "application/json"

const char *const parley_console_headers[] = {
	"Content-Security-Policy",
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options", "nosniff",
	"Referrer-Policy", "no-referrer",
	"X-Frame-Options", "DENY",
	"Cross-Origin-Opener-Policy", "same-origin",
	"Cross-Origin-Resource-Policy", "same-origin",
	NULL,
};

struct session {
	char id[65];   /* the cookie's value; "" when the slot is free */
	char csrf[65];
	uint64_t created_ms, used_ms; /* monotonic clock */
};

struct parley_console {
	parley_console_config cfg;
	char home[1024];
	char host[PARLEY_LISTEN_HOST_MAX + 1]; /* as given: a literal or a name */
	char urlhost[PARLEY_LISTEN_HOST_MAX + 8]; /* as a URL names it: [IPv6], a loopback for a wildcard */
	char name[PARLEY_NAME_MAX + 1];
	pthread_mutex_t own_lock, *lock; /* the node */
	pthread_mutex_t smu;             /* the token and the sessions */
	char token[65];
	struct session s[SESSIONS_MAX];
	uint64_t idle_ms, lifetime_ms;
	parley_httpd http;               /* the listener (every address of the host) */
	bool tls;
	uint16_t port;                   /* 0: no listener */
};

/* ---- answers ---- */

static void set_body(parley_console_response *r, unsigned status, const char *type, const void *p, size_t n)
{
	r->status = status;
	r->type = type;
	parley_buf_reset(&r->body);
	if (n && parley_buf_add(&r->body, p, n)) {
		r->status = 500;
		r->type = "text/plain; charset=utf-8";
		parley_buf_reset(&r->body);
	}
}

/* Answer JSON (steals j). */
static void answer_json(parley_console_response *r, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!s) {
		static const char oom[] = "{\"error\":\"out of memory\"}";
		set_body(r, 500, JSON_MEDIA, oom, sizeof(oom) - 1);
		return;
	}
	set_body(r, status, JSON_MEDIA, s, strlen(s));
	free(s);
}

static void answer_error(parley_console_response *r, unsigned status, const char *fmt, ...) PARLEY_PRINTF(3, 4);
static void answer_error(parley_console_response *r, unsigned status, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	answer_json(r, status, json_pack("{s:s}", "error", msg));
}

/* The HTTP status for a library failure. */
static unsigned status_of(parley_code rc)
{
	switch (rc) {
	case PARLEY_E_USAGE: return 409;   /* refused now: the thread is closed, not this party's to answer... */
	case PARLEY_E_FORMAT: return 422;
	case PARLEY_E_LIMIT: return 413;
	case PARLEY_E_NOTFOUND: return 404;
	case PARLEY_E_PENDING: return 409;
	case PARLEY_E_BUSY: return 503;
	case PARLEY_E_NOMEM: return 500;
	default: return 502; /* the relay, the network, verification of what it sent */
	}
}

static void answer_fail(parley_console_response *r, parley_code rc, const parley_err *err)
{
	answer_error(r, status_of(rc), "%s", err->msg[0] ? err->msg : parley_strerror(rc));
}

/* ---- helpers ---- */

static const char *party_name(const parley_charter *ch, const uint8_t keyid[4])
{
	const parley_party *p = ch ? parley_charter_party_by_keyid(ch, keyid) : NULL;
	return p ? p->key.name : "?";
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *jms(uint64_t ms)
{
	return ms ? json_integer((json_int_t)ms) : json_null();
}

static const char *kind_short(int kind)
{
	return kind == PARLEY_OBL_ACKNOWLEDGE ? "ack" : kind == PARLEY_OBL_RESPOND ? "respond" : "?";
}

static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s || strlen(s) > 19)
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

/* The channel a path names: 64 hex digits of a joined channel. Node lock held. */
static bool channel_of(parley_console *c, const char *hex, uint8_t id[32])
{
	if (strlen(hex) != 64 || parley_unhex(id, 32, hex, 64))
		return false;
	return parley_node_charter(c->cfg.node, id) != NULL;
}

/* The first line of an entry's text, or a word for its STIX content; NULL when neither opens. */
static char *first_line(const parley_node_entry *e)
{
	parley_payload p;
	char *out = NULL;
	if (!e->for_me || !e->opened || !e->payload.len || parley_payload_decode(e->payload.data, e->payload.len, &p, NULL))
		return NULL;
	if (p.text) {
		size_t n = strcspn(p.text, "\r\n");
		if (n > 200)
			n = 200;
		if ((out = malloc(n + 1))) {
			memcpy(out, p.text, n);
			out[n] = 0;
		}
	} else if (p.stix) {
		size_t k = json_array_size(json_object_get(p.stix, "objects"));
		if ((out = malloc(64)))
			snprintf(out, 64, "STIX bundle of %zu object%s", k, k == 1 ? "" : "s");
	}
	parley_payload_release(&p);
	return out;
}

/* The most urgent deadline still owed in a thread: as 'parley status' (INT64_MAX: none). */
static int64_t urgency(const parley_workflow *wf, const parley_thread *t, uint64_t now, const parley_obligation **which)
{
	int64_t u = INT64_MAX;
	*which = NULL;
	if (t->closed_ms)
		return INT64_MAX;
	for (size_t i = t->obl_first; i < t->obl_first + t->nobl; i++) {
		const parley_obligation *o = &wf->obl[i];
		if (o->has_entry || o->outcome == PARLEY_OUT_NOT_APPLICABLE)
			continue;
		int64_t d = (int64_t)o->deadline_ms - (int64_t)now;
		if (d < u) {
			u = d;
			*which = o;
		}
	}
	return u;
}

/* ---- session and CSRF ---- */

static void random_hex(char out[65])
{
	uint8_t b[32];
	randombytes_buf(b, sizeof(b));
	parley_hex(out, b, 32);
	sodium_memzero(b, sizeof(b));
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Whether a session is past its idle timeout or its lifetime at now. smu held. */
static bool session_expired(const parley_console *c, const struct session *s, uint64_t now)
{
	return now - s->used_ms > c->idle_ms || now - s->created_ms > c->lifetime_ms;
}

static void session_forget(struct session *s)
{
	sodium_memzero(s, sizeof(*s));
}

/* The session id a Cookie header carries ("a=b; parley_console=HEX; c=d"), or false. */
static bool cookie_session(const char *cookie, char id[65])
{
	const char *v = NULL;
	for (const char *p = cookie; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		size_t nl = strlen(PARLEY_CONSOLE_COOKIE);
		if (strncmp(p, PARLEY_CONSOLE_COOKIE, nl) == 0 && p[nl] == '=') {
			v = p + nl + 1;
			break;
		}
		p = strchr(p, ';');
	}
	if (!v || strspn(v, "0123456789abcdef") != 64 || (v[64] && v[64] != ';' && v[64] != ' '))
		return false;
	memcpy(id, v, 64);
	id[64] = 0;
	return true;
}

enum session_state { SESSION_NONE, SESSION_EXPIRED, SESSION_OK };

/*
 * The session of the request's cookie: its CSRF token copied into csrf and its
 * use recorded, SESSION_EXPIRED (and forgotten) when past its idle timeout or
 * lifetime, or SESSION_NONE. With end, a live one is forgotten too (logout).
 * Every slot is compared, in constant time.
 */
static enum session_state session_of(parley_console *c, const char *cookie, char csrf[65], bool end,
	uint64_t *expires_ms)
{
	enum session_state st = SESSION_NONE;
	char id[65];
	uint64_t now = mono_ms();

	if (!cookie_session(cookie, id))
		return SESSION_NONE;
	pthread_mutex_lock(&c->smu);
	for (size_t i = 0; i < SESSIONS_MAX; i++) {
		struct session *s = &c->s[i];
		if (!s->id[0] || sodium_memcmp(s->id, id, 64) != 0)
			continue;
		if (session_expired(c, s, now)) {
			st = SESSION_EXPIRED;
			session_forget(s);
			continue;
		}
		st = SESSION_OK;
		memcpy(csrf, s->csrf, 65);
		s->used_ms = now;
		if (expires_ms) /* the wall-clock time the lifetime ends */
			*expires_ms = parley_now_ms() + (c->lifetime_ms - (now - s->created_ms));
		if (end)
			session_forget(s);
	}
	pthread_mutex_unlock(&c->smu);
	sodium_memzero(id, sizeof(id));
	return st;
}

static void session_new(parley_console *c, char id[65], char csrf[65])
{
	size_t slot = 0;
	uint64_t now = mono_ms();
	pthread_mutex_lock(&c->smu);
	for (size_t i = 0; i < SESSIONS_MAX; i++) {
		if (c->s[i].id[0] && session_expired(c, &c->s[i], now))
			session_forget(&c->s[i]);
		if (!c->s[slot].id[0])
			continue; /* a free slot found */
		if (!c->s[i].id[0] || c->s[i].used_ms < c->s[slot].used_ms)
			slot = i; /* a free one, else the least recently used goes */
	}
	random_hex(c->s[slot].id);
	random_hex(c->s[slot].csrf);
	c->s[slot].created_ms = c->s[slot].used_ms = now;
	memcpy(id, c->s[slot].id, 65);
	memcpy(csrf, c->s[slot].csrf, 65);
	pthread_mutex_unlock(&c->smu);
}

/*
 * HOME/console.url (0600, replaced): the URL of the token that logs in next.
 * smu held. After a login a failure is not reported (the library prints
 * nothing): the file keeps the used token, refused, until the node restarts.
 */
static parley_code write_url(parley_console *c, parley_err *err)
{
	char url[PARLEY_CONSOLE_URL_MAX + 2], path[1100];
	size_t n;
	parley_code rc;

	if (!c->cfg.write_url || !c->home[0] || !c->port)
		return PARLEY_OK;
	parley_console_login_url(c, url);
	n = strlen(url);
	url[n++] = '\n';
	snprintf(path, sizeof(path), "%s/%s", c->home, PARLEY_CONSOLE_URL_FILE);
	rc = parley_file_write(path, url, n, 0600, false, err);
	sodium_memzero(url, sizeof(url));
	return rc;
}

static void route_session_post(parley_console *c, const json_t *body, parley_console_response *r)
{
	const char *tok = json_string_value(json_object_get(body, "token"));
	char id[65], csrf[65];
	bool ok;

	if (!tok)
		return answer_error(r, 400, "the body must be {\"token\": \"...\"}");
	pthread_mutex_lock(&c->smu);
	ok = strlen(tok) == 64 && sodium_memcmp(tok, c->token, 64) == 0;
	if (ok) {
		/* one time: a copied URL is worth nothing once used; the next login takes the next token */
		random_hex(c->token);
		(void)write_url(c, NULL);
	}
	pthread_mutex_unlock(&c->smu);
	if (!ok)
		return answer_error(r, 401, "wrong or used login token: open the URL in HOME/%s (a new one is written there "
					    "after each login)", PARLEY_CONSOLE_URL_FILE);
	session_new(c, id, csrf);
	snprintf(r->set_cookie, sizeof(r->set_cookie), "%s=%s; HttpOnly; SameSite=Strict; Path=/%s",
		PARLEY_CONSOLE_COOKIE, id, c->tls ? "; Secure" : "");
	sodium_memzero(id, sizeof(id));
	answer_json(r, 200, json_pack("{s:s, s:s, s:I, s:I}", "csrf", csrf, "party", c->name, "idle_s",
		(json_int_t)(c->idle_ms / 1000), "expires_ms", (json_int_t)(parley_now_ms() + c->lifetime_ms)));
	sodium_memzero(csrf, sizeof(csrf));
}

/* ---- reading ---- */

static json_t *relay_json(parley_console *c, const uint8_t id[32], const char *hex)
{
	parley_console_relay st = { PARLEY_RELAY_UNKNOWN, 0 };
	const char *halted = parley_node_halted(c->cfg.node, id);
	const char *state;
	json_t *o;

	if (c->cfg.relay_state)
		c->cfg.relay_state(c->cfg.relay_arg, id, &st);
	state = halted ? "misbehaving" : st.state == PARLEY_RELAY_UP ? "up" : st.state == PARLEY_RELAY_DOWN ? "down" : "unknown";
	o = json_pack("{s:s, s:s, s:o}", "channel", hex, "state", state, "since_ms", jms(st.since_ms));
	if (o) {
		char ev[1200] = "";
		/* the node names its evidence file in the halting reason ("... evidence in PATH") */
		const char *in = halted ? strstr(halted, "evidence") : NULL;
		const char *slash = in ? strchr(in, '/') : NULL;
		if (slash) {
			size_t n = strcspn(slash, " )\n");
			if (n < sizeof(ev)) {
				memcpy(ev, slash, n);
				ev[n] = 0;
			}
		}
		json_object_set_new(o, "evidence", ev[0] ? json_string(ev) : json_null());
		json_object_set_new(o, "reason", jstr(halted));
	}
	return o;
}

struct att {
	int64_t u;
	uint64_t opener;
	json_t *o;
};

static int att_cmp(const void *a, const void *b)
{
	const struct att *x = a, *y = b;
	if (x->u != y->u)
		return x->u < y->u ? -1 : 1;
	return x->opener < y->opener ? 1 : x->opener > y->opener ? -1 : 0;
}

static void validity_warning(const parley_charter *ch, const char *hex, json_t *warnings)
{
	int64_t from, until, now = (int64_t)(parley_now_ms() / 1000);
	char when[21], msg[300];
	parley_charter_validity(ch, &from, &until);
	if (now < from) {
		parley_time_fmt(when, from);
		snprintf(msg, sizeof(msg), "charter of channel %.16s... is not yet valid (valid from %s)", hex, when);
	} else if (until <= now) {
		parley_time_fmt(when, until);
		snprintf(msg, sizeof(msg), "charter of channel %.16s... expired at %s: no new threads; agree and sign a new charter",
			hex, when);
	} else if (until - now <= 30 * 86400) {
		parley_time_fmt(when, until);
		snprintf(msg, sizeof(msg), "charter of channel %.16s... expires at %s: agree and sign a new charter", hex, when);
	} else {
		return;
	}
	json_array_append_new(warnings, json_string(msg));
}

static void psi_requests(parley_console *c, const uint8_t id[32], bool only_pending, json_t *out);

static void route_attention(parley_console *c, parley_console_response *r)
{
	parley_node *n = c->cfg.node;
	uint64_t now = parley_now_ms();
	json_t *threads = json_array(), *relays = json_array(), *warnings = json_array(), *psi = json_array();
	struct att *v = NULL;
	size_t nv = 0, cap = 0;

	for (size_t i = 0; i < parley_node_nchannels(n); i++) {
		const uint8_t *id = parley_node_channel_at(n, i);
		const parley_charter *ch = parley_node_charter(n, id);
		parley_workflow wf = PARLEY_WORKFLOW_INIT;
		char hex[65];
		parley_hex(hex, id, 32);
		json_array_append_new(relays, relay_json(c, id, hex));
		validity_warning(ch, hex, warnings);
		psi_requests(c, id, true, psi);
		if (parley_node_workflow(n, id, now, &wf, NULL))
			continue;
		for (size_t k = 0; k < wf.nthreads; k++) {
			const parley_thread *t = &wf.threads[k];
			const parley_obligation *next;
			parley_node_entry e;
			char *sum = NULL;
			int tlp = -1;
			if (t->state == PARLEY_TS_CLOSED)
				continue;
			int64_t u = urgency(&wf, t, now, &next);
			if (parley_node_entry_get(n, id, t->opener, &e, NULL) == PARLEY_OK) {
				sum = first_line(&e);
				tlp = e.e.h.tlp;
				parley_node_entry_release(&e);
			}
			json_t *turn = json_array();
			for (size_t q = t->obl_first; q < t->obl_first + t->nobl; q++) {
				const parley_obligation *o = &wf.obl[q];
				const char *who = party_name(ch, o->party);
				bool have = false;
				if (o->has_entry || o->outcome == PARLEY_OUT_NOT_APPLICABLE)
					continue;
				for (size_t z = 0; z < json_array_size(turn); z++)
					if (strcmp(json_string_value(json_array_get(turn, z)), who) == 0)
						have = true;
				if (!have)
					json_array_append_new(turn, json_string(who));
			}
			json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:b, s:s}", "channel", hex,
				"channel_name", parley_charter_title(ch), "opener", (json_int_t)t->opener, "type",
				parley_type_name(t->type) ? parley_type_name(t->type) : "?", "category", t->category, "tlp",
				jstr(tlp >= 0 ? parley_tlp_name((unsigned)tlp) : NULL), "summary", jstr(sum), "requester",
				party_name(ch, t->requester), "turn", turn, "deadline_ms",
				next ? json_integer((json_int_t)next->deadline_ms) : json_null(), "deadline_kind",
				next ? json_string(kind_short(next->kind)) : json_null(), "overdue", next && u < 0, "state",
				parley_thread_state_name(t->state));
			free(sum);
			if (!o)
				continue;
			if (nv == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct att *nvp = realloc(v, nc * sizeof(*v));
				if (!nvp) {
					json_decref(o);
					continue;
				}
				v = nvp;
				cap = nc;
			}
			v[nv].u = u;
			v[nv].opener = t->opener;
			v[nv++].o = o;
		}
		parley_workflow_release(&wf);
	}
	if (nv)
		qsort(v, nv, sizeof(*v), att_cmp);
	for (size_t i = 0; i < nv; i++)
		json_array_append_new(threads, v[i].o);
	free(v);
	answer_json(r, 200, json_pack("{s:I, s:s, s:o, s:o, s:o, s:o}", "now_ms", (json_int_t)now, "party", c->name,
		"threads", threads, "psi_pending", psi, "relays", relays, "warnings", warnings));
}

static json_t *parties_json(const parley_charter *ch)
{
	json_t *a = json_array();
	for (size_t i = 0; i < parley_charter_nparties(ch); i++)
		json_array_append_new(a, json_string(parley_charter_party_at(ch, i)->key.name));
	return a;
}

static void route_channels(parley_console *c, parley_console_response *r)
{
	parley_node *n = c->cfg.node;
	json_t *a = json_array();
	for (size_t i = 0; i < parley_node_nchannels(n); i++) {
		const uint8_t *id = parley_node_channel_at(n, i);
		const parley_charter *ch = parley_node_charter(n, id);
		uint64_t size = 0;
		char hex[65];
		parley_hex(hex, id, 32);
		if (parley_store_size(parley_node_store(n), id, &size, NULL))
			size = 0;
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:o}", "channel", hex, "name", parley_charter_title(ch),
			"size", (json_int_t)size, "parties", parties_json(ch)));
	}
	answer_json(r, 200, json_pack("{s:o}", "channels", a));
}

/* Whether this party may post this answer now (the checks of the CLI, on the local replica). */
static bool may(parley_console *c, const uint8_t id[32], const parley_thread *t, uint8_t type)
{
	const parley_charter *ch = parley_node_charter(c->cfg.node, id);
	parley_pubkey me;
	const parley_party *p = parley_charter_party(ch, c->name);
	const char *names[PARLEY_ENTRY_MAX_RECIP];
	uint64_t ref = t->opener;
	static const uint8_t dummy[] = "{\"text\":\"x\"}";
	if (!p)
		return false;
	me = p->key;
	size_t nn = parley_compose_answer_to(ch, t, me.keyid, names);
	parley_post post = { type, t->opener, &ref, 1, t->category, -1, names, nn, dummy, sizeof(dummy) - 1 };
	if (type == PARLEY_T_ESCALATION && (size_t)t->escalations + 1 >= parley_charter_nlevels(ch))
		return false;
	return parley_node_check_post(c->cfg.node, id, &post, NULL) == PARLEY_OK;
}

static bool in_thread(const parley_entry_hdr *h, uint64_t index, uint64_t opener)
{
	if (index == opener)
		return true;
	switch (h->type) {
	case PARLEY_T_ACK:
	case PARLEY_T_RESPONSE:
	case PARLEY_T_ESCALATION:
	case PARLEY_T_CLOSE:
	case PARLEY_T_DEADLINE_MISSED:
	case PARLEY_T_PING_RESPONSE: return h->thread == opener;
	default: return false;
	}
}

static void route_thread(parley_console *c, const uint8_t id[32], uint64_t opener, parley_console_response *r)
{
	parley_node *n = c->cfg.node;
	const parley_charter *ch = parley_node_charter(n, id);
	uint64_t now = parley_now_ms(), size = 0;
	parley_workflow wf = PARLEY_WORKFLOW_INIT;
	parley_err err = { 0 };
	parley_code rc;
	const parley_thread *t = NULL;
	json_t *entries, *obl, *actions;
	uint64_t *members = NULL;
	size_t nm = 0;

	if ((rc = parley_node_workflow(n, id, now, &wf, &err)))
		return answer_fail(r, rc, &err);
	for (size_t i = 0; i < wf.nthreads; i++)
		if (wf.threads[i].opener == opener)
			t = &wf.threads[i];
	if (!t) {
		parley_workflow_release(&wf);
		return answer_error(r, 404, "entry %" PRIu64 " does not open a thread in the local replica", opener);
	}
	if (parley_store_size(parley_node_store(n), id, &size, NULL))
		size = 0;
	entries = json_array();
	members = calloc(1, sizeof(*members));
	/* one pass over the log from the opener: the thread's entries, and the receipts of each */
	for (uint64_t i = opener; i < size && entries && members; i++) {
		parley_node_entry e;
		if (parley_node_entry_get(n, id, i, &e, NULL))
			continue;
		const parley_entry_hdr *h = &e.e.h;
		if (h->type == PARLEY_T_RECEIPT && h->nrefs) {
			for (size_t k = 0; k < nm; k++)
				if (members[k] == h->refs[0]) {
					json_t *d = json_object_get(json_array_get(entries, k), "delivery");
					const char *who = party_name(ch, h->sender);
					for (size_t z = 0; z < json_array_size(d); z++) {
						json_t *dj = json_array_get(d, z);
						if (strcmp(json_string_value(json_object_get(dj, "party")), who) == 0 &&
							json_is_null(json_object_get(dj, "receipt_ms")))
							json_object_set_new(dj, "receipt_ms", json_integer((json_int_t)e.integrated_ms));
					}
				}
			parley_node_entry_release(&e);
			continue;
		}
		if (!in_thread(h, i, opener)) {
			parley_node_entry_release(&e);
			continue;
		}
		uint64_t *nmem = realloc(members, (nm + 1) * sizeof(*members));
		if (!nmem) {
			parley_node_entry_release(&e);
			break;
		}
		members = nmem;
		members[nm++] = i;
		json_t *text = json_null(), *stix = json_null(), *dlv = json_array();
		parley_payload p;
		if (e.for_me && e.opened && e.payload.len &&
			parley_payload_decode(e.payload.data, e.payload.len, &p, NULL) == PARLEY_OK) {
			if (p.text)
				text = json_string(p.text);
			if (p.stix)
				stix = json_incref(p.stix);
			parley_payload_release(&p);
		}
		for (unsigned k = 0; k < h->nrecip; k++)
			if (memcmp(h->recip[k], h->sender, 4) != 0)
				json_array_append_new(dlv, json_pack("{s:s, s:n}", "party", party_name(ch, h->recip[k]), "receipt_ms"));
		json_array_append_new(entries,
			json_pack("{s:I, s:s, s:s, s:I, s:o, s:o, s:s, s:b, s:o}", "index", (json_int_t)i, "sender",
				party_name(ch, h->sender), "type", parley_type_name(h->type) ? parley_type_name(h->type) : "?",
				"integrated_ms", (json_int_t)e.integrated_ms, "text", text ? text : json_null(), "stix",
				stix ? stix : json_null(), "tlp", parley_tlp_name(h->tlp) ? parley_tlp_name(h->tlp) : "?",
				"readable", e.for_me && e.opened, "delivery", dlv));
		parley_node_entry_release(&e);
	}
	free(members);
	obl = json_array();
	for (size_t q = t->obl_first; q < t->obl_first + t->nobl; q++) {
		const parley_obligation *o = &wf.obl[q];
		const char *outcome = o->why == PARLEY_WHY_PENDING ? "pending" : parley_outcome_name(o->outcome);
		json_array_append_new(obl, json_pack("{s:s, s:s, s:I, s:s, s:o, s:b}", "party", party_name(ch, o->party),
			"kind", kind_short(o->kind), "deadline_ms", (json_int_t)o->deadline_ms, "outcome", outcome, "at_ms",
			o->has_entry ? json_integer((json_int_t)o->at_ms) : json_null(), "overdue", o->overdue));
	}
	actions = json_array();
	if (may(c, id, t, PARLEY_T_ACK))
		json_array_append_new(actions, json_string("acknowledge"));
	if (may(c, id, t, PARLEY_T_RESPONSE))
		json_array_append_new(actions, json_string("reply"));
	if (may(c, id, t, PARLEY_T_ESCALATION))
		json_array_append_new(actions, json_string("escalate"));
	if (may(c, id, t, PARLEY_T_CLOSE))
		json_array_append_new(actions, json_string("close"));
	char hex[65];
	parley_hex(hex, id, 32);
	answer_json(r, 200, json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o}", "channel", hex, "opener",
		(json_int_t)opener, "type", parley_type_name(t->type) ? parley_type_name(t->type) : "?", "category",
		t->category, "state", parley_thread_state_name(t->state), "requester", party_name(ch, t->requester),
		"escalations", (json_int_t)t->escalations, "entries", entries ? entries : json_array(), "obligations", obl,
		"actions", actions));
	parley_workflow_release(&wf);
}

static void route_prove(parley_console *c, const uint8_t id[32], uint64_t subject, parley_console_response *r)
{
	parley_buf out = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	parley_code rc = parley_node_prove(c->cfg.node, id, subject, false, &out, &err);
	if (rc) {
		parley_buf_release(&out);
		return answer_fail(r, rc, &err);
	}
	set_body(r, 200, JSON_MEDIA, out.data, out.len);
	snprintf(r->disposition, sizeof(r->disposition), "attachment; filename=\"proof-%" PRIu64 ".json\"", subject);
	parley_buf_release(&out);
}

/* ---- acting ---- */

/* A STIX document checked as 'parley stix validate' does: 422 with its lines when it has errors. */
static bool stix_refused(const json_t *doc, parley_console_response *r)
{
	parley_stix_report rep;
	json_t *probs;
	parley_code rc;

	if (!json_is_object(doc) || strcmp(json_string_value(json_object_get(doc, "type")) ?
			json_string_value(json_object_get(doc, "type")) : "", "bundle") != 0) {
		answer_json(r, 422, json_pack("{s:s, s:[s]}", "error", "STIX content must be a bundle", "problems",
			"document: type: STIX content must be a bundle (\"type\": \"bundle\")"));
		return true;
	}
	parley_stix_report_init(&rep);
	rc = parley_stix_check(doc, 0, &rep);
	if (rc == PARLEY_OK) {
		parley_stix_report_release(&rep);
		return false;
	}
	probs = json_array();
	for (size_t k = 0; k < rep.n; k++) {
		const parley_stix_problem *p = &rep.problems[k];
		char line[900];
		if (p->is_warning)
			continue;
		snprintf(line, sizeof(line), "%s: %s%s%s", p->id, p->property, p->property[0] ? ": " : "", p->message);
		json_array_append_new(probs, json_string(line));
	}
	if (rep.truncated)
		json_array_append_new(probs, json_string("(more problems not shown)"));
	answer_json(r, 422, json_pack("{s:s, s:o}", "error",
		rc == PARLEY_E_NOMEM ? "out of memory" : json_string_value(json_array_get(probs, 0)) ?
			json_string_value(json_array_get(probs, 0)) : "invalid STIX", "problems", probs));
	parley_stix_report_release(&rep);
	return true;
}

/* text and stix of an action's body; false when answered (the body is wrong). */
static bool content_of(const json_t *body, bool text_required, const char **text, const json_t **stix,
	parley_console_response *r)
{
	json_t *t = json_object_get(body, "text"), *s = json_object_get(body, "stix");
	*text = NULL;
	*stix = NULL;
	if (t && !json_is_null(t) && !json_is_string(t)) {
		answer_error(r, 400, "text must be a string");
		return false;
	}
	if (json_is_string(t) && json_string_length(t))
		*text = json_string_value(t);
	if (s && !json_is_null(s)) {
		if (stix_refused(s, r))
			return false;
		*stix = s;
	}
	if (*text) {
		parley_err err = { 0 };
		parley_code rc = parley_compose_text_check("text", *text, json_string_length(t), &err);
		if (rc) {
			answer_error(r, rc == PARLEY_E_LIMIT ? 413 : 400, "%s", err.msg);
			return false;
		}
	}
	if (text_required && !*text && !*stix) {
		answer_error(r, 400, "a text or a STIX bundle is required");
		return false;
	}
	return true;
}

/*
 * After a post: sync the channel, so that the replica (what the next GET reads)
 * holds the new entry at once rather than when the standing node's long poll
 * brings it. A failure changes nothing: the entry is in the log (or the outbox).
 */
static void settle(parley_console *c, const uint8_t id[32])
{
	parley_sync_report rep;
	if (parley_node_sync(c->cfg.node, id, &rep, NULL) != PARLEY_OK) {
		/* nothing to undo: the standing node syncs again on its own */
	}
}

static void answer_index(parley_console_response *r, uint64_t index)
{
	if (index == PARLEY_INDEX_QUEUED)
		answer_json(r, 202, json_pack("{s:n, s:b}", "index", "queued", true));
	else
		answer_json(r, 200, json_pack("{s:I}", "index", (json_int_t)index));
}

static void route_answer(parley_console *c, const uint8_t id[32], uint64_t opener, const char *verb, const json_t *body,
	parley_console_response *r)
{
	uint8_t type = strcmp(verb, "acknowledge") == 0 ? PARLEY_T_ACK : strcmp(verb, "reply") == 0 ? PARLEY_T_RESPONSE
		: strcmp(verb, "escalate") == 0 ? PARLEY_T_ESCALATION : PARLEY_T_CLOSE;
	const char *text;
	const json_t *stix;
	parley_err err = { 0 };
	uint64_t index;
	parley_code rc;

	if (!content_of(body, type == PARLEY_T_RESPONSE, &text, &stix, r))
		return;
	if (stix && type != PARLEY_T_RESPONSE)
		return answer_error(r, 400, "only a reply carries a STIX bundle");
	if ((rc = parley_node_answer(c->cfg.node, id, type, opener, text, stix, &index, &err)))
		return answer_fail(r, rc, &err);
	if (index != PARLEY_INDEX_QUEUED)
		settle(c, id);
	answer_index(r, index);
}

static void route_notify(parley_console *c, const uint8_t id[32], const json_t *body, parley_console_response *r)
{
	json_t *to = json_object_get(body, "to"), *v;
	const char *cat = json_string_value(json_object_get(body, "category"));
	const char *tlps = json_string_value(json_object_get(body, "tlp"));
	const char *names[PARLEY_ENTRY_MAX_RECIP], *text;
	const json_t *stix;
	size_t nn = 0, i;
	int tlp = -1;
	uint8_t type = json_is_true(json_object_get(body, "request")) ? PARLEY_T_REQUEST_INFO : PARLEY_T_NOTIFICATION;
	const char *tname = json_string_value(json_object_get(body, "type"));
	parley_buf pl = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	parley_code rc;
	uint64_t index;

	if (!json_is_array(to) || !json_array_size(to))
		return answer_error(r, 400, "to must be a list of party names");
	json_array_foreach(to, i, v) {
		if (!json_is_string(v) || nn >= PARLEY_ENTRY_MAX_RECIP - 1)
			return answer_error(r, 400, "to must be a list of at most %d party names", PARLEY_ENTRY_MAX_RECIP - 1);
		names[nn++] = json_string_value(v);
	}
	if (!cat)
		return answer_error(r, 400, "category is required");
	if (tlps && (tlp = parley_tlp_from_name(tlps)) < 0)
		return answer_error(r, 400, "unknown TLP level '%s'", tlps);
	if (tname) {
		type = (uint8_t)parley_type_from_name(tname);
		if (!parley_type_opens_thread(type))
			return answer_error(r, 400, "type must be a type that opens a thread");
	}
	if (!content_of(body, true, &text, &stix, r))
		return;
	if ((rc = parley_payload_encode(text, stix, &pl, &err))) {
		parley_buf_release(&pl);
		return answer_fail(r, rc, &err);
	}
	parley_post p = { type, 0, NULL, 0, cat, tlp, names, nn, pl.data, pl.len };
	rc = parley_node_check_post(c->cfg.node, id, &p, &err);
	if (!rc)
		rc = parley_node_post(c->cfg.node, id, &p, &index, &err);
	parley_buf_release(&pl);
	if (rc)
		return answer_fail(r, rc, &err);
	if (index != PARLEY_INDEX_QUEUED)
		settle(c, id);
	answer_index(r, index);
}

static void route_check_proof(const parley_console_request *rq, parley_console_response *r)
{
	parley_proof_report rep;
	parley_err err = { 0 };
	if (parley_proof_check(rq->body, rq->body_len, &rep, &err)) {
		answer_json(r, 200, json_pack("{s:b, s:b, s:s}", "ok", false, "valid", false, "error", err.msg));
		return;
	}
	json_t *j = json_incref(rep.json);
	if (json_is_object(j))
		json_object_set_new(j, "ok", json_true());
	parley_proof_report_release(&rep);
	answer_json(r, 200, j);
}

static void route_sync(parley_console *c, parley_console_response *r)
{
	parley_node *n = c->cfg.node;
	json_t *a = json_array();
	for (size_t i = 0; i < parley_node_nchannels(n); i++) {
		const uint8_t *id = parley_node_channel_at(n, i);
		parley_sync_report rep;
		parley_err err = { 0 };
		uint64_t size = 0;
		char hex[65];
		parley_code rc = parley_node_sync(n, id, &rep, &err);
		parley_hex(hex, id, 32);
		if (parley_store_size(parley_node_store(n), id, &size, NULL))
			size = 0;
		json_t *o = json_pack("{s:s, s:I}", "channel", hex, "size", (json_int_t)size);
		if (o && rc)
			json_object_set_new(o, "error", json_string(err.msg));
		json_array_append_new(a, o);
	}
	answer_json(r, 200, json_pack("{s:o}", "channels", a));
}

/* ---- the router ---- */

/* The node lock, waited for at most PARLEY_CONSOLE_BUSY_WAIT_MS; false when not taken. */
static bool node_lock(parley_console *c)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts); /* pthread_mutex_timedlock's clock */
	ts.tv_sec += (time_t)(PARLEY_CONSOLE_BUSY_WAIT_MS / 1000u);
	ts.tv_nsec += (long)(PARLEY_CONSOLE_BUSY_WAIT_MS % 1000u) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_mutex_timedlock(c->lock, &ts) == 0;
}

static bool same_origin(parley_console *c, const parley_console_request *rq)
{
	char want[200];
	if (!rq->origin)
		return true;
	if (!rq->host || strlen(rq->host) > 150)
		return false;
	snprintf(want, sizeof(want), "%s://%s", c->tls ? "https" : "http", rq->host);
	return strcmp(rq->origin, want) == 0;
}

static bool is_wildcard(const char *host)
{
	return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0;
}

/*
 * The Host header must name this listener (DNS rebinding: a page of another site whose
 * name resolves to 127.0.0.1 reaches the console with its own name as Host).
 */
static bool host_ok(parley_console *c, const parley_console_request *rq)
{
	char a[PARLEY_LISTEN_HOST_MAX + 16], b[32];
	if (!c->port)
		return true; /* no listener (tests, fuzzing) */
	if (!rq->host)
		return false;
	snprintf(a, sizeof(a), "%s:%u", c->urlhost, c->port);
	snprintf(b, sizeof(b), "localhost:%u", c->port);
	/* the name or address it was told, localhost, or an address it is bound to ([::1]:PORT) */
	if (strcmp(rq->host, a) == 0 || strcmp(rq->host, b) == 0 || parley_httpd_is_bound_addr(&c->http, rq->host))
		return true;
	/* any address of this host when listening on all of them */
	return is_wildcard(c->host);
}

static const char *media_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	static const char *const m[][2] = {
		{ ".html", "text/html; charset=utf-8" }, { ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
		{ ".svg", "image/svg+xml" }, { ".png", "image/png" }, { ".ico", "image/x-icon" },
		{ ".json", JSON_MEDIA }, { ".txt", "text/plain; charset=utf-8" },
	};
	for (size_t i = 0; dot && i < sizeof(m) / sizeof(m[0]); i++)
		if (strcmp(dot, m[i][0]) == 0)
			return m[i][1];
	return "application/octet-stream";
}

static void route_static(parley_console *c, const char *name, parley_console_response *r)
{
	for (size_t i = 0; i < c->cfg.nassets; i++)
		if (strcmp(c->cfg.assets[i].name, name) == 0) {
			set_body(r, 200, media_of(name), c->cfg.assets[i].data, c->cfg.assets[i].len);
			return;
		}
	answer_error(r, 404, "no such file");
}

enum route_id {
	R_NONE, R_SESSION, R_LOGOUT, R_ATTENTION, R_CHANNELS, R_CHANNEL, R_THREAD, R_PROVE, R_PSI, R_ANSWER, R_NOTIFY,
	R_VALIDATE, R_CHECK_PROOF, R_SYNC, R_PSI_REQUEST, R_PSI_RESPOND
};

/* Which route a path is, and the method it takes ("GET", "POST", or "*" for session: both). */
static enum route_id match(char **seg, size_t n, const char **method)
{
	*method = "GET";
	if (n == 2 && strcmp(seg[1], "session") == 0)
		return *method = "*", R_SESSION;
	if (n == 2 && strcmp(seg[1], "logout") == 0)
		return *method = "POST", R_LOGOUT;
	if (n == 2 && strcmp(seg[1], "attention") == 0)
		return R_ATTENTION;
	if (n == 2 && strcmp(seg[1], "channels") == 0)
		return R_CHANNELS;
	if (n == 2 && strcmp(seg[1], "sync") == 0)
		return *method = "POST", R_SYNC;
	if (n == 2 && strcmp(seg[1], "check-proof") == 0)
		return *method = "POST", R_CHECK_PROOF;
	if (n == 3 && strcmp(seg[1], "stix") == 0 && strcmp(seg[2], "validate") == 0)
		return *method = "POST", R_VALIDATE;
	if (n < 3 || strcmp(seg[1], "channels") != 0)
		return R_NONE;
	if (n == 3)
		return R_CHANNEL;
	if (n == 4 && strcmp(seg[3], "notify") == 0)
		return *method = "POST", R_NOTIFY;
	if (n == 4 && strcmp(seg[3], "psi") == 0)
		return R_PSI;
	if (n == 5 && strcmp(seg[3], "threads") == 0)
		return R_THREAD;
	if (n == 5 && strcmp(seg[3], "prove") == 0)
		return R_PROVE;
	if (n == 5 && strcmp(seg[3], "psi") == 0 && strcmp(seg[4], "request") == 0)
		return *method = "POST", R_PSI_REQUEST;
	if (n == 6 && strcmp(seg[3], "psi") == 0 && strcmp(seg[5], "respond") == 0)
		return *method = "POST", R_PSI_RESPOND;
	if (n == 6 && strcmp(seg[3], "threads") == 0 &&
		(strcmp(seg[5], "acknowledge") == 0 || strcmp(seg[5], "reply") == 0 || strcmp(seg[5], "escalate") == 0 ||
			strcmp(seg[5], "close") == 0))
		return *method = "POST", R_ANSWER;
	return R_NONE;
}

static void route_psi_list(parley_console *c, const uint8_t id[32], parley_console_response *r);
static void route_psi_request(parley_console *c, const uint8_t id[32], const json_t *body, parley_console_response *r);
static void route_psi_respond(parley_console *c, const uint8_t id[32], uint64_t request, const json_t *body,
	parley_console_response *r);
static void route_channel(parley_console *c, const uint8_t id[32], parley_console_response *r);

static void route_api(parley_console *c, const parley_console_request *rq, char **seg, size_t n,
	parley_console_response *r)
{
	const char *want;
	enum route_id id = match(seg, n, &want);
	bool post = strcmp(rq->method, "POST") == 0;
	char csrf[65];
	json_t *body = NULL;
	uint8_t chan[32];
	uint64_t num = 0, expires = 0;
	enum session_state st;

	r->api = true;
	if (id == R_NONE)
		return answer_error(r, 404, "no such route");
	if (strcmp(want, "*") == 0 ? !post && strcmp(rq->method, "GET") != 0 : strcmp(rq->method, want) != 0)
		return answer_error(r, 405, "%s takes %s", rq->path, strcmp(want, "*") == 0 ? "GET or POST" : want);
	if (post && !same_origin(c, rq))
		return answer_error(r, 403, "request from another origin");
	if (id == R_SESSION && post) {
		if (rq->too_big)
			return answer_error(r, 413, "request bodies are limited to %zu bytes", PARLEY_CONSOLE_BODY_MAX);
		if (parley_json_parse(rq->body ? rq->body : "", rq->body_len, PARLEY_CONSOLE_BODY_MAX, &body, NULL))
			return answer_error(r, 400, "the body is not JSON");
		route_session_post(c, body, r);
		json_decref(body);
		return;
	}
	st = session_of(c, rq->cookie, csrf, false, &expires);
	if (st == SESSION_EXPIRED)
		return answer_error(r, 401, "session expired: log in again with the URL in HOME/%s", PARLEY_CONSOLE_URL_FILE);
	if (st != SESSION_OK)
		return answer_error(r, 401, "log in first: open the URL of HOME/%s", PARLEY_CONSOLE_URL_FILE);
	if (id == R_SESSION) {
		answer_json(r, 200, json_pack("{s:s, s:s, s:I, s:I}", "csrf", csrf, "party", c->name, "idle_s",
			(json_int_t)(c->idle_ms / 1000), "expires_ms", (json_int_t)expires));
		sodium_memzero(csrf, sizeof(csrf));
		return;
	}
	if (post) {
		bool ok = rq->csrf && strlen(rq->csrf) == 64 && sodium_memcmp(rq->csrf, csrf, 64) == 0;
		sodium_memzero(csrf, sizeof(csrf));
		if (!ok)
			return answer_error(r, 403, "csrf token missing or wrong");
		if (id == R_LOGOUT) {
			/* ended here, whatever the browser does with the cookie */
			if (session_of(c, rq->cookie, csrf, true, NULL) != SESSION_OK)
				return answer_error(r, 401, "log in first: open the URL of HOME/%s", PARLEY_CONSOLE_URL_FILE);
			sodium_memzero(csrf, sizeof(csrf));
			snprintf(r->set_cookie, sizeof(r->set_cookie), "%s=; Max-Age=0; HttpOnly; SameSite=Strict; Path=/%s",
				PARLEY_CONSOLE_COOKIE, c->tls ? "; Secure" : "");
			return answer_json(r, 200, json_pack("{s:b}", "ok", true));
		}
		if (rq->too_big)
			return answer_error(r, 413, "request bodies are limited to %zu bytes", PARLEY_CONSOLE_BODY_MAX);
		if (parley_json_parse(rq->body ? rq->body : "", rq->body_len, PARLEY_CONSOLE_BODY_MAX, &body, NULL) ||
			!json_is_object(body)) {
			json_decref(body);
			return answer_error(r, 400, "the body is not a JSON object");
		}
	}
	sodium_memzero(csrf, sizeof(csrf));
	if (id == R_VALIDATE) {
		if (!stix_refused(body, r))
			answer_json(r, 200, json_pack("{s:b}", "ok", true));
		json_decref(body);
		return;
	}
	if (id == R_CHECK_PROOF) {
		route_check_proof(rq, r);
		json_decref(body);
		return;
	}
	if ((id == R_THREAD || id == R_PROVE || id == R_ANSWER || id == R_PSI_RESPOND) && !parse_u64(seg[4], &num)) {
		json_decref(body);
		return answer_error(r, 404, "'%.30s' is not an entry index", seg[4]);
	}
	if (!node_lock(c)) {
		/* a sync of the node's own (a relay that does not answer) or a command: a read waits no longer */
		json_decref(body);
		r->retry_after = 2;
		return answer_error(r, 503, "node busy: a sync or a command is under way (a slow relay?); nothing was "
					    "done, try again");
	}
	if (!c->cfg.node) {
		answer_error(r, 503, "the node is not available");
	} else if (n >= 3 && id != R_SYNC && !channel_of(c, seg[2], chan)) {
		answer_error(r, 404, "no such channel");
	} else {
		switch (id) {
		case R_ATTENTION: route_attention(c, r); break;
		case R_CHANNELS: route_channels(c, r); break;
		case R_CHANNEL: route_channel(c, chan, r); break;
		case R_THREAD: route_thread(c, chan, num, r); break;
		case R_PROVE: route_prove(c, chan, num, r); break;
		case R_PSI: route_psi_list(c, chan, r); break;
		case R_ANSWER: route_answer(c, chan, num, seg[5], body, r); break;
		case R_NOTIFY: route_notify(c, chan, body, r); break;
		case R_SYNC: route_sync(c, r); break;
		case R_PSI_REQUEST: route_psi_request(c, chan, body, r); break;
		case R_PSI_RESPOND: route_psi_respond(c, chan, num, body, r); break;
		default: answer_error(r, 404, "no such route");
		}
	}
	pthread_mutex_unlock(c->lock);
	json_decref(body);
}

void parley_console_handle(parley_console *c, const parley_console_request *rq, parley_console_response *r)
{
	char path[512], *seg[SEG_MAX + 1];
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	parley_buf_init(&r->body, (size_t)64 << 20);
	if (!rq->method || !rq->path || rq->path[0] != '/' || strlen(rq->path) >= sizeof(path))
		return answer_error(r, 404, "no such resource");
	if (!host_ok(c, rq))
		return answer_error(r, 421, "the Host header does not name this console");
	memcpy(path, rq->path, strlen(rq->path) + 1);
	for (char *p = path + 1; p && *p && n <= SEG_MAX;) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash = 0;
		seg[n++] = p;
		p = slash ? slash + 1 : NULL;
	}
	if (n > SEG_MAX)
		return answer_error(r, 404, "no such resource");
	for (size_t i = 0; i < n; i++)
		if (!seg[i][0] || strcmp(seg[i], ".") == 0 || strcmp(seg[i], "..") == 0)
			return answer_error(r, 404, "no such resource");
	if (n >= 1 && strcmp(seg[0], "api") == 0)
		return route_api(c, rq, seg, n, r);
	if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0)
		return answer_error(r, 405, "%s takes GET", rq->path);
	if (n == 0)
		return route_static(c, "index.html", r);
	if (n == 2 && strcmp(seg[0], "static") == 0)
		return route_static(c, seg[1], r);
	if (n == 1 && strcmp(seg[0], "favicon.ico") == 0)
		return route_static(c, "favicon.ico", r);
	answer_error(r, 404, "no such resource");
}

void parley_console_response_release(parley_console_response *r)
{
	parley_buf_release(&r->body);
}

/* ---- channel, PSI ---- */

static void route_channel(parley_console *c, const uint8_t id[32], parley_console_response *r)
{
	parley_node *n = c->cfg.node;
	const parley_charter *ch = parley_node_charter(n, id);
	const parley_buf *canon = parley_charter_canonical(ch);
	json_t *charter = NULL, *cp = json_null(), *report = json_null();
	parley_buf note = PARLEY_BUF_INIT;
	uint64_t size = 0;
	char hex[65];

	parley_hex(hex, id, 32);
	if (canon && canon->len)
		charter = json_loadb((const char *)canon->data, canon->len, 0, NULL);
	if (parley_store_size(parley_node_store(n), id, &size, NULL))
		size = 0;
	if (parley_node_checkpoint(n, id, false, &note, NULL) == PARLEY_OK && note.len) {
		/* the signed note as is: its text, and the names of the cosigners' keys on its signature lines */
		json_t *cos = json_array();
		const char *s = (const char *)note.data, *end = s + note.len;
		uint64_t csize = 0;
		char root[100] = "";
		int line = 0;
		for (const char *p = s; p < end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
			char buf[300];
			if (len >= sizeof(buf))
				len = sizeof(buf) - 1;
			memcpy(buf, p, len);
			buf[len] = 0;
			if (line == 1)
				(void)parse_u64(buf, &csize);
			else if (line == 2)
				snprintf(root, sizeof(root), "%s", buf);
			else if (strncmp(buf, "\xe2\x80\x94 ", 4) == 0) {
				char who[PARLEY_NAME_MAX + 1];
				size_t w = strcspn(buf + 4, " ");
				if (w && w <= PARLEY_NAME_MAX) {
					memcpy(who, buf + 4, w);
					who[w] = 0;
					json_array_append_new(cos, json_string(who));
				}
			}
			line++;
			p = nl ? nl + 1 : end;
		}
		cp = json_pack("{s:I, s:s, s:o, s:s%}", "size", (json_int_t)csize, "root", root, "cosigners", cos, "note",
			(const char *)note.data, note.len);
		if (!cp)
			cp = json_null();
	}
	parley_buf_release(&note);
	{
		parley_report rep = PARLEY_REPORT_INIT;
		if (parley_node_report(n, id, 0, parley_now_ms() + 1, false, &rep, NULL, NULL) == PARLEY_OK) {
			json_t *rj = parley_report_json(&rep);
			if (rj)
				report = rj;
		}
		parley_report_release(&rep);
	}
	answer_json(r, 200, json_pack("{s:s, s:s, s:o, s:I, s:o, s:o, s:o}", "channel", hex, "name",
		parley_charter_title(ch), "charter", charter ? charter : json_null(), "size", (json_int_t)size, "checkpoint",
		cp, "report", report, "parties", parties_json(ch)));
}

/*
 * The PSI requests of a channel's replica, appended to out: this party's own
 * ("pending" until the answer is complete, then "answered" with the result, or
 * "refused") and those addressed to it ("received" until it answered or refused,
 * then "answered"). With only_pending, only "pending" and "received". Node lock held.
 */
static void psi_requests(parley_console *c, const uint8_t id[32], bool only_pending, json_t *out)
{
	parley_node *n = c->cfg.node;
	const parley_charter *ch = parley_node_charter(n, id);
	const parley_party *me = parley_charter_party(ch, c->name);
	uint64_t size = 0, *answered = NULL;
	size_t na = 0;
	json_t *mine = json_array();
	char hex[65];

	parley_hex(hex, id, 32);
	if (!me || !mine || parley_store_size(parley_node_store(n), id, &size, NULL))
		size = 0;
	/* requests, in log order; answers by this party, to match them with */
	for (uint64_t i = 0; i < size; i++) {
		parley_node_entry e;
		if (parley_node_entry_get(n, id, i, &e, NULL))
			continue;
		const parley_entry_hdr *h = &e.e.h;
		bool by_me = memcmp(h->sender, me->key.keyid, 4) == 0;
		if ((h->type == PARLEY_T_PSI_RESPONSE || h->type == PARLEY_T_PSI_REFUSAL) && by_me) {
			uint64_t *nv = realloc(answered, (na + 1) * sizeof(*answered));
			if (nv) {
				answered = nv;
				answered[na++] = h->thread;
			}
		} else if (h->type == PARLEY_T_PSI_REQUEST && h->thread == 0 && h->nrefs == 0) {
			const char *to = "?";
			for (unsigned k = 0; k < h->nrecip; k++)
				if (memcmp(h->recip[k], h->sender, 4) != 0)
					to = party_name(ch, h->recip[k]);
			json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:b}", "channel", hex, "request", (json_int_t)i, "from",
				party_name(ch, h->sender), "to", to, "category", h->category, "mine", by_me);
			if (o)
				json_array_append_new(mine, o);
		}
		parley_node_entry_release(&e);
	}
	for (size_t k = 0; k < json_array_size(mine); k++) {
		json_t *o = json_array_get(mine, k);
		uint64_t req = (uint64_t)json_integer_value(json_object_get(o, "request"));
		const char *state;
		if (json_is_true(json_object_get(o, "mine"))) {
			parley_psi_outcome res;
			parley_err err = { 0 };
			memset(&res, 0, sizeof(res));
			parley_code rc = parley_node_psi_result(n, id, req, &res, &err);
			if (rc == PARLEY_OK) {
				json_t *common = json_array();
				for (size_t q = 0; q < res.common.n; q++)
					json_array_append_new(common, json_string(res.common.items[q]));
				state = res.refused ? "refused" : "answered";
				json_object_set_new(o, "mode", json_string(res.cardinality ? "cardinality" : "intersection"));
				if (res.refused) {
					json_decref(common);
					json_object_set_new(o, "reason", json_string(res.reason));
					json_object_set_new(o, "result", json_null());
				} else {
					json_object_set_new(o, "result", json_pack("{s:I, s:o}", "count", (json_int_t)res.count,
						"common", common));
				}
				parley_iset_release(&res.common);
			} else {
				state = rc == PARLEY_E_NOTFOUND || rc == PARLEY_E_PENDING ? "pending" : "failed";
				json_object_set_new(o, "result", json_null());
				if (state[0] == 'f')
					json_object_set_new(o, "reason", json_string(err.msg));
			}
		} else {
			bool done = false;
			for (size_t q = 0; q < na; q++)
				done = done || answered[q] == req;
			state = done ? "answered" : "received";
			json_object_set_new(o, "result", json_null());
		}
		json_object_set_new(o, "state", json_string(state));
		if (!only_pending || strcmp(state, "pending") == 0 || strcmp(state, "received") == 0)
			json_array_append(out, o);
	}
	json_decref(mine);
	free(answered);
}

static void route_psi_list(parley_console *c, const uint8_t id[32], parley_console_response *r)
{
	json_t *a = json_array();
	psi_requests(c, id, false, a);
	answer_json(r, 200, json_pack("{s:o}", "requests", a));
}

/*
 * A set of indicators from the page's text: one per line (blank lines and '#'
 * comments skipped), each normalised as in a set file; a line that does not
 * parse refuses the set (sending less than the person meant would stay on the record).
 */
static parley_code iset_of(const char *text, parley_iset *s, parley_err *err)
{
	char line[1100], norm[1100];
	size_t lineno = 0;
	parley_code rc;

	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		const char *next = p[n] ? p + n + 1 : p + n;
		lineno++;
		while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		if (n >= sizeof(line))
			return parley_fail(err, PARLEY_E_FORMAT, "line %zu: longer than %zu bytes", lineno, sizeof(line) - 1);
		memcpy(line, p, n);
		line[n] = 0;
		p = next;
		if (!n || line[0] == '#')
			continue;
		if ((rc = parley_indicator_normalize(line, norm, sizeof(norm), err))) {
			parley_wrap(err, rc, "line %zu", lineno);
			return rc;
		}
		if ((rc = parley_iset_add(s, norm)))
			return parley_fail(err, rc, "out of memory");
	}
	parley_iset_finish(s);
	return PARLEY_OK;
}

static void route_psi_request(parley_console *c, const uint8_t id[32], const json_t *body, parley_console_response *r)
{
	const char *to = json_string_value(json_object_get(body, "to"));
	const char *ind = json_string_value(json_object_get(body, "indicators"));
	const char *mode = json_string_value(json_object_get(body, "mode"));
	const char *cat = json_string_value(json_object_get(body, "category"));
	parley_iset set;
	parley_err err = { 0 };
	uint64_t index;
	parley_code rc;

	if (!to || !ind)
		return answer_error(r, 400, "to and indicators are required");
	if (mode && strcmp(mode, "intersection") != 0 && strcmp(mode, "cardinality") != 0)
		return answer_error(r, 400, "mode is intersection or cardinality");
	memset(&set, 0, sizeof(set));
	if ((rc = iset_of(ind, &set, &err))) {
		answer_error(r, 422, "%s", err.msg);
	} else if ((rc = parley_node_psi_request(c->cfg.node, id, to, &set,
			    mode && strcmp(mode, "cardinality") == 0 ? PARLEY_PSI_CARDINALITY : PARLEY_PSI_INTERSECTION, cat,
			    &index, &err))) {
		answer_fail(r, rc, &err);
	} else {
		settle(c, id);
		answer_index(r, index);
	}
	parley_iset_release(&set);
}

static void route_psi_respond(parley_console *c, const uint8_t id[32], uint64_t request, const json_t *body,
	parley_console_response *r)
{
	const char *ind = json_string_value(json_object_get(body, "indicators"));
	parley_iset set;
	parley_err err = { 0 };
	parley_psi_outcome out;
	parley_code rc;

	if (!ind)
		return answer_error(r, 400, "indicators are required");
	memset(&set, 0, sizeof(set));
	memset(&out, 0, sizeof(out));
	if ((rc = iset_of(ind, &set, &err))) {
		answer_error(r, 422, "%s", err.msg);
	} else if ((rc = parley_node_psi_respond(c->cfg.node, id, request, &set, &out, &err))) {
		answer_fail(r, rc, &err);
	} else {
		settle(c, id);
		answer_json(r, 200, json_pack("{s:b, s:s}", "refused", out.refused, "reason", out.reason));
		parley_iset_release(&out.common);
	}
	parley_iset_release(&set);
}

/* ---- the listener ---- */

static enum MHD_Result send_response(struct MHD_Connection *conn, parley_console_response *res)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(res->body.len, res->body.data, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	if (!resp)
		return MHD_NO;
	if (res->type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, res->type);
	for (size_t i = 0; parley_console_headers[i]; i += 2)
		MHD_add_response_header(resp, parley_console_headers[i], parley_console_headers[i + 1]);
	MHD_add_response_header(resp, "Cache-Control", res->api ? "no-store" : "no-cache");
	if (res->set_cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, res->set_cookie);
	if (res->disposition[0])
		MHD_add_response_header(resp, "Content-Disposition", res->disposition);
	if (res->retry_after) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%u", res->retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	ret = MHD_queue_response(conn, res->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* One request, whole (httpd.c collected its body). */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	const char *body, size_t body_len, bool too_big)
{
	parley_console *c = cls;
	parley_console_request q;
	parley_console_response res;
	enum MHD_Result ret;

	memset(&q, 0, sizeof(q));
	q.method = method;
	q.path = url;
	q.cookie = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
	q.csrf = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token");
	q.origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	q.host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	q.too_big = too_big;
	q.body = body;
	q.body_len = body_len;
	parley_console_handle(c, &q, &res);
	ret = send_response(conn, &res);
	parley_console_response_release(&res);
	return ret;
}

parley_code parley_console_new(const parley_console_config *cfg, parley_console **out, parley_err *err)
{
	parley_console *c;
	char keypath[1200];
	parley_code rc;

	*out = NULL;
	if ((!cfg->home && cfg->node) || (!cfg->tls_cert_pem) != (!cfg->tls_key_pem))
		return parley_fail(err, PARLEY_E_USAGE, "console: a home, and TLS certificate and key both or neither");
	if (sodium_init() < 0)
		return parley_fail(err, PARLEY_E_CRYPTO, "libsodium failed to initialise");
	if (!(c = calloc(1, sizeof(*c))))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	c->cfg = *cfg;
	snprintf(c->home, sizeof(c->home), "%s", cfg->home ? cfg->home : "");
	snprintf(c->host, sizeof(c->host), "%s", cfg->host ? cfg->host : "127.0.0.1");
	/* what a browser on this machine opens: an IPv6 literal in brackets, a loopback for a wildcard */
	if (strcmp(c->host, "0.0.0.0") == 0)
		snprintf(c->urlhost, sizeof(c->urlhost), "127.0.0.1");
	else if (strcmp(c->host, "::") == 0)
		snprintf(c->urlhost, sizeof(c->urlhost), "[::1]");
	else if (strchr(c->host, ':')) {
		const char *pct = strchr(c->host, '%'); /* a scope: %25 in a URL (RFC 6874) */
		snprintf(c->urlhost, sizeof(c->urlhost), "[%.*s%s%s]", pct ? (int)(pct - c->host) : (int)strlen(c->host),
			c->host, pct ? "%25" : "", pct ? pct + 1 : "");
	} else
		snprintf(c->urlhost, sizeof(c->urlhost), "%s", c->host);
	c->idle_ms = (uint64_t)(cfg->idle_s ? cfg->idle_s : PARLEY_CONSOLE_IDLE_DEFAULT) * 1000u;
	c->lifetime_ms = (uint64_t)(cfg->lifetime_s ? cfg->lifetime_s : PARLEY_CONSOLE_LIFETIME_DEFAULT) * 1000u;
	c->tls = cfg->tls_cert_pem != NULL;
	pthread_mutex_init(&c->own_lock, NULL);
	pthread_mutex_init(&c->smu, NULL);
	c->lock = cfg->node_lock ? cfg->node_lock : &c->own_lock;
	random_hex(c->token);
	snprintf(c->name, sizeof(c->name), "?");
	if (cfg->home && (rc = parley_node_identity(cfg->home, c->name, keypath, sizeof(keypath), err))) {
		parley_console_stop(c);
		return rc;
	}
	*out = c;
	return PARLEY_OK;
}

parley_code parley_console_start(const parley_console_config *cfg, parley_console **out, parley_err *err)
{
	parley_console *c;
	parley_code rc;

	*out = NULL;
	if ((rc = parley_console_new(cfg, &c, err)))
		return rc;
	{
		parley_httpd_config hc = { c->host, cfg->port, cfg->tls_cert_pem, cfg->tls_key_pem, 30u,
			PARLEY_CONSOLE_BODY_MAX, answer, c };
		if ((rc = parley_httpd_start(&c->http, &hc, err))) {
			parley_console_stop(c);
			return rc;
		}
	}
	pthread_mutex_lock(&c->smu);
	c->port = c->http.port;
	rc = write_url(c, err);
	pthread_mutex_unlock(&c->smu);
	if (rc) {
		parley_console_stop(c);
		return rc;
	}
	*out = c;
	return PARLEY_OK;
}

uint16_t parley_console_port(const parley_console *c)
{
	return c->port;
}

const char *parley_console_token(const parley_console *c)
{
	return c->token;
}

void parley_console_login_url(const parley_console *c, char out[PARLEY_CONSOLE_URL_MAX + 1])
{
	snprintf(out, PARLEY_CONSOLE_URL_MAX + 1, "%s://%s:%u/#token=%s", c->tls ? "https" : "http", c->urlhost, c->port,
		c->token);
}

const char *parley_console_url_host(const parley_console *c)
{
	return c->urlhost;
}

void parley_console_set_node(parley_console *c, parley_node *node)
{
	c->cfg.node = node;
}

void parley_console_stop(parley_console *c)
{
	if (!c)
		return;
	parley_httpd_stop(&c->http);
	pthread_mutex_destroy(&c->own_lock);
	pthread_mutex_destroy(&c->smu);
	sodium_memzero(c, sizeof(*c));
	free(c);
}
