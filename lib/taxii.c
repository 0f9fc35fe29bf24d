/* taxii.c - the node's TAXII 2.1 server (and its MISP feed under /misp/), over libmicrohttpd. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "parley/compose.h"
#include "parley/jcs.h"
#include "parley/misp.h"
#include "parley/msg.h"
#include "parley/payload.h"
#include "parley/stix.h"
#include "parley/taxii.h"
#include "parley/workflow.h"
#include "httpd_internal.h"
#include "banned.h"

#define STATUS_MAX 1024      /* status resources kept, in memory and in HOME/taxii-status/ (the oldest are forgotten) */
#define STATUS_DIR "taxii-status"
#define STATUS_FILE_MAX ((size_t)4 << 20)
#define POST_OBJECTS_MAX 10000
#define PATH_MAX_LEN 600

/* ---- timestamps ---- */

bool parley_taxii_ts_parse(const char *s, parley_taxii_ts *out)
{
	char base[21];
	int64_t secs;
	uint32_t ns = 0;
	size_t n, i;

	if (!s || (n = strlen(s)) < 20 || n > 40 || s[19] == 0)
		return false;
	memcpy(base, s, 19);
	base[19] = 'Z';
	base[20] = 0;
	i = 19;
	if (s[i] == '.') {
		unsigned digits = 0;
		for (i++; isdigit((unsigned char)s[i]); i++, digits++) {
			if (digits >= 9)
				return false;
			ns = ns * 10 + (uint32_t)(s[i] - '0');
		}
		if (digits == 0)
			return false;
		for (; digits < 9; digits++)
			ns *= 10;
	}
	if (s[i] != 'Z' || s[i + 1] != 0 || parley_time_parse(base, &secs))
		return false;
	out->s = secs;
	out->ns = ns;
	return true;
}

int parley_taxii_ts_cmp(const parley_taxii_ts *a, const parley_taxii_ts *b)
{
	if (a->s != b->s)
		return a->s < b->s ? -1 : 1;
	if (a->ns != b->ns)
		return a->ns < b->ns ? -1 : 1;
	return 0;
}

/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" (microseconds) of a time in ms. */
static void fmt_ms(char out[32], uint64_t ms)
{
	char b[21];
	parley_time_fmt(b, (int64_t)(ms / 1000));
	b[19] = 0;
	snprintf(out, 32, "%s.%03u000Z", b, (unsigned)(ms % 1000));
}

static void fmt_ts(char out[40], const parley_taxii_ts *t)
{
	char b[21];
	parley_time_fmt(b, t->s);
	b[19] = 0;
	if (t->ns % 1000000 == 0)
		snprintf(out, 40, "%s.%03uZ", b, t->ns / 1000000);
	else if (t->ns % 1000 == 0)
		snprintf(out, 40, "%s.%06uZ", b, t->ns / 1000);
	else
		snprintf(out, 40, "%s.%09uZ", b, t->ns);
}

/* ---- ids, token, per-channel defaults ---- */

void parley_taxii_collection_id(const uint8_t channel[32], char out[37])
{
	/* RFC 4122 version 5: SHA-1 of a namespace (parley's, fixed) and the name (the channel's hex id) */
	static const uint8_t ns[16] = { 0x8c, 0x1e, 0x5d, 0x3a, 0x47, 0x0b, 0x4f, 0x9e,
		0xa2, 0x61, 0x0d, 0x7c, 0x93, 0x55, 0xe1, 0x2f };
	uint8_t in[16 + 64], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char hex[65];

	parley_hex(hex, channel, 32);
	memcpy(in, ns, 16);
	memcpy(in + 16, hex, 64);
	if (EVP_Digest(in, sizeof(in), md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen < 16)
		PARLEY_BUG("SHA-1 failed");
	md[6] = (uint8_t)((md[6] & 0x0f) | 0x50);
	md[8] = (uint8_t)((md[8] & 0x3f) | 0x80);
	parley_hex(hex, md, 16);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static void uuid4(char out[37])
{
	uint8_t b[16];
	char hex[33];
	randombytes_buf(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	parley_hex(hex, b, 16);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static parley_code home_path(char *out, size_t max, const char *home, const char *file, parley_err *err)
{
	if ((size_t)snprintf(out, max, "%s/%s", home, file) >= max)
		return parley_fail(err, PARLEY_E_LIMIT, "%s: path too long", home);
	return PARLEY_OK;
}

parley_code parley_taxii_token(const char *home, bool rotate, char tok[65], parley_err *err)
{
	char path[1200];
	parley_buf b = PARLEY_BUF_INIT;
	parley_code rc;
	uint8_t raw[32];

	b.secret = 1;
	if ((rc = home_path(path, sizeof(path), home, PARLEY_TAXII_TOKEN_FILE, err)))
		return rc;
	if (!rotate) {
		rc = parley_file_read_private(path, 128, &b, err);
		if (rc == PARLEY_OK) {
			size_t n = b.len;
			while (n && (b.data[n - 1] == '\n' || b.data[n - 1] == '\r'))
				n--;
			if (n != 64 || parley_unhex(raw, 32, (const char *)b.data, 64)) {
				parley_buf_release(&b);
				sodium_memzero(raw, sizeof(raw));
				return parley_fail(err, PARLEY_E_FORMAT,
					"%s: not a token (64 hex digits); 'parley taxii token --rotate' makes a new one", path);
			}
			memcpy(tok, b.data, 64);
			tok[64] = 0;
			parley_buf_release(&b);
			sodium_memzero(raw, sizeof(raw));
			return PARLEY_OK;
		}
		if (rc != PARLEY_E_NOTFOUND)
			return rc;
	}
	randombytes_buf(raw, sizeof(raw));
	parley_hex(tok, raw, 32);
	sodium_memzero(raw, sizeof(raw));
	char line[66];
	memcpy(line, tok, 64);
	line[64] = '\n';
	line[65] = 0;
	rc = parley_file_write(path, line, 65, 0600, !rotate, err);
	sodium_memzero(line, sizeof(line));
	if (rc == PARLEY_E_IO && !rotate) /* created meanwhile by another process: use that one */
		return parley_taxii_token(home, false, tok, err);
	return rc;
}

static parley_code config_load(const char *home, json_t **out, parley_err *err)
{
	char path[1200];
	parley_buf b = PARLEY_BUF_INIT;
	parley_code rc;

	*out = NULL;
	if ((rc = home_path(path, sizeof(path), home, PARLEY_TAXII_CONFIG_FILE, err)))
		return rc;
	rc = parley_file_read(path, 1 << 20, &b, err);
	if (rc == PARLEY_E_NOTFOUND) {
		*out = json_object();
		return *out ? PARLEY_OK : parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	}
	if (!rc && !(rc = parley_json_parse((const char *)b.data, b.len, 1 << 20, out, err)) && !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		rc = parley_fail(err, PARLEY_E_FORMAT, "%s: not a JSON object", path);
	}
	parley_buf_release(&b);
	return rc ? parley_wrap(err, rc, "%s", PARLEY_TAXII_CONFIG_FILE) : PARLEY_OK;
}

parley_code parley_taxii_set_default(const char *home, const uint8_t channel[32], const char *category,
	uint64_t thread, parley_err *err)
{
	json_t *cfg, *defs, *ch;
	char hex[65], path[1200];
	parley_code rc;

	if ((rc = config_load(home, &cfg, err)))
		return rc;
	parley_hex(hex, channel, 32);
	if (!json_is_object(defs = json_object_get(cfg, "defaults"))) {
		defs = json_object();
		json_object_set_new(cfg, "defaults", defs);
	}
	if (!json_is_object(ch = json_object_get(defs, hex))) {
		ch = json_object();
		json_object_set_new(defs, hex, ch);
	}
	if (category && *category)
		json_object_set_new(ch, "category", json_string(category));
	else if (category)
		json_object_del(ch, "category");
	if (thread == PARLEY_TAXII_THREAD_NONE)
		json_object_del(ch, "thread");
	else if (thread != PARLEY_TAXII_THREAD_KEEP) {
		if (thread > (uint64_t)INT64_MAX) {
			json_decref(cfg);
			return parley_fail(err, PARLEY_E_USAGE, "thread %" PRIu64 ": not a log index", thread);
		}
		json_object_set_new(ch, "thread", json_integer((json_int_t)thread));
	}
	char *s = json_dumps(cfg, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(cfg);
	if (!s)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	if (!(rc = home_path(path, sizeof(path), home, PARLEY_TAXII_CONFIG_FILE, err)))
		rc = parley_file_write(path, s, strlen(s), 0600, false, err);
	free(s);
	return rc;
}

/* A channel's defaults: category (copied, "" when none) and thread (PARLEY_TAXII_THREAD_NONE when none). */
static void channel_defaults(const char *home, const uint8_t channel[32], char cat[PARLEY_NAME_MAX + 1],
	uint64_t *thread)
{
	json_t *cfg, *ch;
	char hex[65];

	cat[0] = 0;
	*thread = PARLEY_TAXII_THREAD_NONE;
	if (config_load(home, &cfg, NULL))
		return;
	parley_hex(hex, channel, 32);
	ch = json_object_get(json_object_get(cfg, "defaults"), hex);
	if (json_is_string(json_object_get(ch, "category")))
		snprintf(cat, PARLEY_NAME_MAX + 1, "%s", json_string_value(json_object_get(ch, "category")));
	if (json_is_integer(json_object_get(ch, "thread")) && json_integer_value(json_object_get(ch, "thread")) >= 0)
		*thread = (uint64_t)json_integer_value(json_object_get(ch, "thread"));
	json_decref(cfg);
}

/* ---- queries ---- */

void parley_taxii_query_init(parley_taxii_query *q)
{
	memset(q, 0, sizeof(*q));
	q->limit = PARLEY_TAXII_PAGE_MAX;
}

void parley_taxii_query_release(parley_taxii_query *q)
{
	free(q->ids);
	free(q->types);
	free(q->spec_versions);
	memset(q, 0, sizeof(*q));
}

bool parley_taxii_list_has(const char *list, const char *item)
{
	size_t n = strlen(item);
	for (const char *p = list; p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		if (len == n && strncmp(p, item, n) == 0)
			return true;
		p = c ? c + 1 : NULL;
	}
	return false;
}

/* A comma list of at most PARLEY_TAXII_MATCH_MAX non-empty items of printable ASCII. */
static parley_code list_check(const char *key, const char *v, parley_err *err)
{
	size_t items = 1, len = 0;
	if (strlen(v) > 8192)
		return parley_fail(err, PARLEY_E_FORMAT, "%s: too long", key);
	for (const char *p = v;; p++) {
		if (*p == ',' || *p == 0) {
			if (len == 0)
				return parley_fail(err, PARLEY_E_FORMAT, "%s: an empty item", key);
			if (*p == 0)
				break;
			if (++items > PARLEY_TAXII_MATCH_MAX)
				return parley_fail(err, PARLEY_E_FORMAT, "%s: more than %d items", key, PARLEY_TAXII_MATCH_MAX);
			len = 0;
			continue;
		}
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return parley_fail(err, PARLEY_E_FORMAT, "%s: a character that is not printable ASCII", key);
		len++;
	}
	return PARLEY_OK;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!s || !*s || strlen(s) > 20)
		return false;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return false;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

parley_code parley_taxii_query_add(parley_taxii_query *q, const char *key, const char *value, parley_err *err)
{
	parley_code rc;
	char **slot = NULL;

	if (!value)
		value = "";
	if (strcmp(key, "added_after") == 0) {
		if (!parley_taxii_ts_parse(value, &q->added_after))
			return parley_fail(err, PARLEY_E_FORMAT, "added_after: not a timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)");
		q->has_added_after = true;
		return PARLEY_OK;
	}
	if (strcmp(key, "limit") == 0) {
		uint64_t v;
		if (!parse_u64(value, UINT64_MAX, &v) || v == 0)
			return parley_fail(err, PARLEY_E_FORMAT, "limit: not a positive integer");
		q->limit = v > PARLEY_TAXII_PAGE_MAX ? PARLEY_TAXII_PAGE_MAX : v;
		return PARLEY_OK;
	}
	if (strcmp(key, "next") == 0) {
		/* our own token: ENTRY-POS, the position of the last object of the previous page */
		const char *dash = strchr(value, '-');
		char num[24];
		uint64_t pos;
		if (!dash || (size_t)(dash - value) >= sizeof(num) || strlen(value) > 45)
			return parley_fail(err, PARLEY_E_FORMAT, "next: not a token this server gave");
		memcpy(num, value, (size_t)(dash - value));
		num[dash - value] = 0;
		if (!parse_u64(num, UINT64_MAX - 1, &q->next_entry) || !parse_u64(dash + 1, UINT32_MAX, &pos))
			return parley_fail(err, PARLEY_E_FORMAT, "next: not a token this server gave");
		q->next_pos = (uint32_t)pos;
		q->has_next = true;
		return PARLEY_OK;
	}
	if (strcmp(key, "match[id]") == 0)
		slot = &q->ids;
	else if (strcmp(key, "match[type]") == 0)
		slot = &q->types;
	else if (strcmp(key, "match[spec_version]") == 0)
		slot = &q->spec_versions;
	else if (strcmp(key, "match[version]") == 0) {
		if ((rc = list_check(key, value, err)))
			return rc;
		for (const char *p = value; p;) {
			const char *c = strchr(p, ',');
			size_t len = c ? (size_t)(c - p) : strlen(p);
			char item[48];
			if (len >= sizeof(item))
				return parley_fail(err, PARLEY_E_FORMAT, "match[version]: '%.*s' is not last, first, all or a timestamp",
					(int)(len > 40 ? 40 : len), p);
			memcpy(item, p, len);
			item[len] = 0;
			if (strcmp(item, "last") == 0)
				q->vmodes |= PARLEY_TAXII_V_LAST;
			else if (strcmp(item, "first") == 0)
				q->vmodes |= PARLEY_TAXII_V_FIRST;
			else if (strcmp(item, "all") == 0)
				q->vmodes |= PARLEY_TAXII_V_ALL;
			else if (q->nversions < PARLEY_TAXII_MATCH_MAX && parley_taxii_ts_parse(item, &q->versions[q->nversions]))
				q->nversions++;
			else
				return parley_fail(err, PARLEY_E_FORMAT, "match[version]: '%s' is not last, first, all or a timestamp",
					item);
			p = c ? c + 1 : NULL;
		}
		return PARLEY_OK;
	} else if (strncmp(key, "match[", 6) == 0) {
		return parley_fail(err, PARLEY_E_FORMAT, "%.40s: this server filters on id, type, version and spec_version only",
			key);
	} else {
		return PARLEY_OK; /* other parameters are not ours to refuse */
	}
	if ((rc = list_check(key, value, err)))
		return rc;
	free(*slot);
	if (!(*slot = strdup(value)))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	return PARLEY_OK;
}

/* ---- envelopes and categories ---- */

parley_code parley_taxii_envelope_parse(const char *body, size_t len, json_t **bundle, parley_err *err)
{
	json_t *env = NULL, *objs, *b;
	const char *k;
	json_t *v;
	char id[48], u[37];
	parley_code rc;

	*bundle = NULL;
	if (len > PARLEY_TAXII_BODY_MAX)
		return parley_fail(err, PARLEY_E_LIMIT, "the envelope is over %zu bytes", PARLEY_TAXII_BODY_MAX);
	if ((rc = parley_json_parse(body, len, PARLEY_TAXII_BODY_MAX, &env, err)))
		return parley_wrap(err, PARLEY_E_FORMAT, "the request body is not JSON");
	if (!json_is_object(env)) {
		json_decref(env);
		return parley_fail(err, PARLEY_E_FORMAT, "the request body is not a TAXII envelope (a JSON object)");
	}
	json_object_foreach(env, k, v) {
		if (strcmp(k, "objects") != 0 && strcmp(k, "more") != 0 && strcmp(k, "next") != 0) {
			json_decref(env);
			return parley_fail(err, PARLEY_E_FORMAT, "the envelope has an unknown member '%.40s'", k);
		}
	}
	objs = json_object_get(env, "objects");
	if (!json_is_array(objs) || json_array_size(objs) == 0) {
		json_decref(env);
		return parley_fail(err, PARLEY_E_FORMAT, "the envelope's 'objects' must be a non-empty list");
	}
	if (json_array_size(objs) > POST_OBJECTS_MAX) {
		json_decref(env);
		return parley_fail(err, PARLEY_E_LIMIT, "the envelope holds more than %d objects", POST_OBJECTS_MAX);
	}
	uuid4(u);
	snprintf(id, sizeof(id), "bundle--%s", u);
	b = json_pack("{s:s, s:s, s:O}", "type", "bundle", "id", id, "objects", objs);
	json_decref(env);
	if (!b)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	*bundle = b;
	return PARLEY_OK;
}

const char *parley_taxii_category_of(const json_t *bundle, const parley_charter *ch)
{
	size_t i, j;
	json_t *o, *l;

	json_array_foreach(json_object_get(bundle, "objects"), i, o) {
		const char *c = json_string_value(json_object_get(o, "x_parley_category"));
		if (c)
			return c;
	}
	json_array_foreach(json_object_get(bundle, "objects"), i, o) {
		json_array_foreach(json_object_get(o, "labels"), j, l) {
			const char *s = json_string_value(l);
			if (!s)
				continue;
			if (strncmp(s, "parley:category=", 16) == 0)
				return s + 16;
			if (ch && parley_charter_allows_category(ch, s))
				return s;
		}
	}
	return NULL;
}

/* The entry's TLP from the objects' TLP markings (the most restrictive), or -1 (the charter's default). */
static int tlp_of_objects(const json_t *bundle)
{
	static const struct {
		const char *id;
		int tlp;
	} marks[] = {
		{ "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", PARLEY_TLP_CLEAR },
		{ "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", PARLEY_TLP_GREEN },
		{ "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", PARLEY_TLP_AMBER },
		{ "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", PARLEY_TLP_RED },
	};
	int best = -1;
	size_t i, j;
	json_t *o, *m;
	json_array_foreach(json_object_get(bundle, "objects"), i, o) json_array_foreach(json_object_get(o, "object_marking_refs"), j, m) {
		for (size_t k = 0; json_string_value(m) && k < sizeof(marks) / sizeof(marks[0]); k++)
			if (strcmp(json_string_value(m), marks[k].id) == 0 && marks[k].tlp > best)
				best = marks[k].tlp;
	}
	return best;
}

/* ---- the collections: the STIX objects of each channel, in log order ---- */

struct rec {
	uint64_t entry;           /* log index */
	uint32_t pos;             /* the object's place in the entry's bundle */
	uint64_t added_ms;        /* the entry's integration time */
	json_t *obj;              /* a reference */
	const char *id, *type;    /* borrowed from obj */
	parley_taxii_ts version;  /* modified, else created, else date_added */
	bool spec21;              /* spec_version "2.1" (or none: an SCO of a 2.1 bundle) */
	bool keep;                /* scratch, for one query */
};

struct coll {
	uint8_t chan[32];
	char uuid[37], hex[65];
	struct rec *r;
	size_t n, cap;
	uint64_t scanned;         /* entries of the replica read so far */
};

struct status {
	char id[37];
	uint64_t request_ms;
	json_t *objs;             /* [[id, version], ...] */
	int state;                /* 0 pending, 1 complete (success), 2 complete (failure) */
	char reason[512];
	uint64_t index;
};

struct job {
	struct job *next;
	size_t status;            /* slot in statuses (its id is checked again) */
	char status_id[37];
	uint8_t chan[32];
	json_t *bundle;
	char category[PARLEY_NAME_MAX + 1];
	uint64_t thread;          /* PARLEY_TAXII_THREAD_NONE: a new notification */
	int tlp;
};

struct parley_taxii {
	parley_taxii_config cfg;
	char home[1024];
	char name[PARLEY_NAME_MAX + 1];
	pthread_mutex_t own_lock, *lock; /* the node */
	parley_httpd http;        /* the listener (every address of the host) */
	bool tls;
	struct coll *colls;
	size_t ncolls;
	pthread_mutex_t smu;      /* statuses and jobs */
	pthread_cond_t scv;
	struct status st[STATUS_MAX];
	size_t nst, st_next;
	struct job *jobs, **jobs_tail;
	bool stopping;
	pthread_t worker;
	bool worker_started;
};

static void version_of(struct rec *r)
{
	const char *v = json_string_value(json_object_get(r->obj, "modified"));
	if (!v)
		v = json_string_value(json_object_get(r->obj, "created"));
	if (!v || !parley_taxii_ts_parse(v, &r->version)) {
		r->version.s = (int64_t)(r->added_ms / 1000);
		r->version.ns = (uint32_t)(r->added_ms % 1000) * 1000000u;
	}
}

/* Read the entries of the replica past c->scanned. Node lock held. */
static parley_code coll_update(parley_taxii *t, struct coll *c, parley_err *err)
{
	parley_store *s = parley_node_store(t->cfg.node);
	uint64_t size;
	parley_code rc;

	if ((rc = parley_store_size(s, c->chan, &size, err)))
		return rc;
	for (; c->scanned < size; c->scanned++) {
		parley_node_entry e;
		parley_payload p;
		size_t i;
		json_t *o;

		if ((rc = parley_node_entry_get(t->cfg.node, c->chan, c->scanned, &e, err)))
			return rc;
		if (!e.opened || !e.payload.len || parley_payload_decode(e.payload.data, e.payload.len, &p, NULL)) {
			parley_node_entry_release(&e);
			continue;
		}
		json_array_foreach(json_object_get(p.stix, "objects"), i, o) {
			if (!json_is_object(o) || !json_is_string(json_object_get(o, "id")) ||
				!json_is_string(json_object_get(o, "type")))
				continue;
			if (c->n == c->cap) {
				size_t nc = c->cap ? c->cap * 2 : 64;
				struct rec *nr = realloc(c->r, nc * sizeof(*nr));
				if (!nr) {
					parley_payload_release(&p);
					parley_node_entry_release(&e);
					return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
				}
				c->r = nr;
				c->cap = nc;
			}
			struct rec *r = &c->r[c->n];
			memset(r, 0, sizeof(*r));
			r->entry = c->scanned;
			r->pos = (uint32_t)i;
			r->added_ms = e.integrated_ms;
			r->obj = json_incref(o);
			r->id = json_string_value(json_object_get(o, "id"));
			r->type = json_string_value(json_object_get(o, "type"));
			const char *sv = json_string_value(json_object_get(o, "spec_version"));
			r->spec21 = !sv || strcmp(sv, "2.1") == 0;
			version_of(r);
			c->n++;
		}
		parley_payload_release(&p);
		parley_node_entry_release(&e);
	}
	return PARLEY_OK;
}

static struct coll *coll_find(parley_taxii *t, const char *id)
{
	for (size_t i = 0; i < t->ncolls; i++)
		if (strcmp(t->colls[i].uuid, id) == 0 || strcmp(t->colls[i].hex, id) == 0)
			return &t->colls[i];
	return NULL;
}

static bool can_write(parley_taxii *t, const struct coll *c)
{
	const parley_charter *ch = parley_node_charter(t->cfg.node, c->chan);
	const parley_party *p = ch ? parley_charter_party(ch, t->name) : NULL;
	return p && p->role == PARLEY_ROLE_PARTY;
}

/* Order by object id, then version, then place in the log (records sit in an array in log order). */
static int cmp_idver(const void *a, const void *b)
{
	const struct rec *x = *(const struct rec *const *)a, *y = *(const struct rec *const *)b;
	int c = strcmp(x->id, y->id);
	if (c)
		return c;
	if ((c = parley_taxii_ts_cmp(&x->version, &y->version)))
		return c;
	return x < y ? -1 : x > y;
}

/*
 * Mark the records a query selects (before pagination): match[id], match[type],
 * match[spec_version], then match[version] per object id (equal versions in
 * several entries count once, at their first), then added_after. Returns the count,
 * or (size_t)-1 when out of memory. Node lock held.
 */
static size_t coll_select(struct coll *c, const parley_taxii_query *q, const char *only_id)
{
	struct rec **ix;
	size_t n = 0, kept = 0;
	unsigned modes = q->vmodes ? q->vmodes : (q->nversions ? 0 : PARLEY_TAXII_V_LAST);

	if (!(ix = malloc((c->n ? c->n : 1) * sizeof(*ix))))
		return (size_t)-1;
	for (size_t i = 0; i < c->n; i++) {
		struct rec *r = &c->r[i];
		r->keep = false;
		if (only_id && strcmp(r->id, only_id) != 0)
			continue;
		if (q->ids && !parley_taxii_list_has(q->ids, r->id))
			continue;
		if (q->types && !parley_taxii_list_has(q->types, r->type))
			continue;
		/* every object here is STIX 2.1; by default the latest spec version is 2.1 */
		if (q->spec_versions && !(r->spec21 && parley_taxii_list_has(q->spec_versions, "2.1")))
			continue;
		ix[n++] = r;
	}
	qsort(ix, n, sizeof(*ix), cmp_idver);
	for (size_t g = 0; g < n;) {
		size_t e = g;
		while (e < n && strcmp(ix[e]->id, ix[g]->id) == 0)
			e++;
		for (size_t k = g; k < e; k++) {
			struct rec *r = ix[k];
			if (k > g && parley_taxii_ts_cmp(&r->version, &ix[k - 1]->version) == 0)
				continue; /* the same version again: its first appearance stands */
			bool sel = (modes & PARLEY_TAXII_V_ALL) != 0;
			if ((modes & PARLEY_TAXII_V_FIRST) && k == g)
				sel = true;
			if ((modes & PARLEY_TAXII_V_LAST) && parley_taxii_ts_cmp(&r->version, &ix[e - 1]->version) == 0)
				sel = true;
			for (size_t v = 0; !sel && v < q->nversions; v++)
				if (parley_taxii_ts_cmp(&r->version, &q->versions[v]) == 0)
					sel = true;
			if (sel && q->has_added_after) {
				parley_taxii_ts da = { (int64_t)(r->added_ms / 1000), (uint32_t)(r->added_ms % 1000) * 1000000u };
				if (parley_taxii_ts_cmp(&da, &q->added_after) <= 0)
					sel = false;
			}
			if (sel) {
				r->keep = true;
				kept++;
			}
		}
		g = e;
	}
	free(ix);
	return kept;
}

/* ---- HTTP ---- */

/* A request's body, whole (httpd.c collects it). */
struct request {
	const char *body;
	size_t len;
};

static enum MHD_Result send_body(struct MHD_Connection *conn, unsigned status, const char *type, const char *body,
	size_t n, const char *const *hdrs)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(n, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	if (!resp)
		return MHD_NO;
	if (type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	for (size_t i = 0; hdrs && hdrs[i]; i += 2)
		MHD_add_response_header(resp, hdrs[i], hdrs[i + 1]);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_t *j, const char *const *hdrs)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	enum MHD_Result ret;
	json_decref(j);
	if (!s)
		return send_body(conn, 500, NULL, "", 0, NULL);
	ret = send_body(conn, status, PARLEY_TAXII_MEDIA, s, strlen(s), hdrs);
	free(s);
	return ret;
}

/* The TAXII error message (§3.6.1), with the media type of TAXII. */
static enum MHD_Result taxii_error(struct MHD_Connection *conn, unsigned status, const char *title, const char *fmt, ...)
	PARLEY_PRINTF(4, 5);
static enum MHD_Result taxii_error(struct MHD_Connection *conn, unsigned status, const char *title, const char *fmt, ...)
{
	char desc[640], code[8];
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	snprintf(code, sizeof(code), "%u", status);
	j = json_pack("{s:s, s:s, s:s}", "title", title, "description", desc, "http_status", code);
	if (status == 401) {
		static const char *const h[] = { "WWW-Authenticate", "Basic realm=\"parley\", charset=\"UTF-8\"", NULL };
		return send_json(conn, status, j, h);
	}
	if (status == 405) {
		static const char *const h[] = { "Allow", "GET, POST", NULL };
		return send_json(conn, status, j, h);
	}
	return send_json(conn, status, j, NULL);
}

/* 422 for objects the STIX validator refuses: the first problem described, every problem (at most 100) in details. */
static enum MHD_Result stix_refused(struct MHD_Connection *conn, const parley_stix_report *rep)
{
	json_t *probs = json_array(), *j;
	char desc[700];
	const parley_stix_problem *first = NULL;

	for (size_t i = 0; i < rep->n && json_array_size(probs) < 100; i++) {
		const parley_stix_problem *p = &rep->problems[i];
		if (p->is_warning)
			continue;
		if (!first)
			first = p;
		json_array_append_new(probs, json_pack("{s:s, s:s, s:s}", "id", p->id, "property", p->property,
						     "message", p->message));
	}
	if (first && strncmp(first->message, "STIX ", 5) == 0)
		snprintf(desc, sizeof(desc), "%s (%zu problem%s)", first->message, rep->errors, rep->errors == 1 ? "" : "s");
	else if (first)
		snprintf(desc, sizeof(desc), "STIX %s%s%s: %s (%zu problem%s)", first->id, first->property[0] ? ": " : "",
			first->property, first->message, rep->errors, rep->errors == 1 ? "" : "s");
	else
		snprintf(desc, sizeof(desc), "the objects are not valid STIX 2.1");
	j = json_pack("{s:s, s:s, s:s, s:{s:o}}", "title", "unprocessable", "description", desc, "http_status", "422",
		"details", "problems", probs);
	return send_json(conn, 422, j, NULL);
}

/* HTTP Basic with user "parley" and the home's token, compared in constant time. */
static bool authorized(parley_taxii *t, struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	char tok[65], want[7 + 64];
	uint8_t got[128];
	size_t n = 0, hl;
	bool ok;

	if (!h || strncasecmp(h, "Basic ", 6) != 0)
		return false;
	h += 6;
	while (*h == ' ')
		h++;
	hl = strlen(h);
	while (hl && h[hl - 1] == ' ')
		hl--;
	if (hl > 160 || parley_unb64(got, sizeof(got), &n, h, hl))
		return false;
	if (parley_taxii_token(t->home, false, tok, NULL))
		return false;
	memcpy(want, "parley:", 7);
	memcpy(want + 7, tok, 64);
	ok = n == sizeof(want) && sodium_memcmp(got, want, sizeof(want)) == 0;
	sodium_memzero(tok, sizeof(tok));
	sodium_memzero(want, sizeof(want));
	sodium_memzero(got, sizeof(got));
	return ok;
}

/* A media type and its parameters: "application/taxii+json; version=2.1". */
static bool media_matches(const char *s, size_t len, const char *want, bool wildcards, bool *q0)
{
	char buf[256], *p, *params;
	size_t tl;

	*q0 = false;
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = 0;
	params = strchr(buf, ';');
	tl = params ? (size_t)(params - buf) : len;
	while (tl && (buf[tl - 1] == ' ' || buf[tl - 1] == '\t'))
		tl--;
	bool type_ok = (tl == strlen(want) && strncasecmp(buf, want, tl) == 0) ||
		(wildcards && ((tl == 3 && strncmp(buf, "*/*", 3) == 0) ||
				      (tl == 13 && strncasecmp(buf, "application/*", 13) == 0)));
	if (!type_ok)
		return false;
	for (p = params; p;) {
		char *next = strchr(p + 1, ';'), *eq;
		if (next)
			*next = 0;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		eq = strchr(p, '=');
		if (eq) {
			char *v = eq + 1, *e;
			*eq = 0;
			for (e = eq; e > p && (e[-1] == ' ' || e[-1] == '\t'); e--)
				e[-1] = 0;
			while (*v == ' ')
				v++;
			size_t vl = strlen(v);
			while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				v[--vl] = 0;
			if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
				v[vl - 1] = 0;
				v++;
			}
			if (strcasecmp(p, "version") == 0 && strcmp(v, "2.1") != 0)
				return false;
			if (strcasecmp(p, "q") == 0 && strspn(v, "0.") == strlen(v))
				*q0 = true;
		}
		p = next;
	}
	return !*q0;
}

/* Whether an Accept header admits want (no header: anything goes). */
static bool accepts(struct MHD_Connection *conn, const char *want)
{
	const char *a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	bool q0;
	if (!a || !*a)
		return true;
	for (const char *p = a; p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		if (media_matches(p, len, want, true, &q0))
			return true;
		p = c ? c + 1 : NULL;
	}
	return false;
}

static enum MHD_Result send_envelope(struct MHD_Connection *conn, json_t *body, const struct rec *first,
	const struct rec *last)
{
	char f[32], l[32];
	if (!first)
		return send_json(conn, 200, body, NULL);
	fmt_ms(f, first->added_ms);
	fmt_ms(l, last->added_ms);
	const char *const h[] = { "X-TAXII-Date-Added-First", f, "X-TAXII-Date-Added-Last", l, NULL };
	return send_json(conn, 200, body, h);
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	void **ctx = cls;
	parley_taxii_query *q = ctx[0];
	parley_err *err = ctx[1];
	(void)kind;
	if (err->code)
		return MHD_NO;
	if (parley_taxii_query_add(q, key, value, err) && !err->code)
		err->code = PARLEY_E_FORMAT;
	return err->code ? MHD_NO : MHD_YES;
}

enum listing { L_OBJECTS, L_MANIFEST, L_VERSIONS, L_OBJECT };

/* objects/, objects/{id}/, objects/{id}/versions/, manifest/ */
static enum MHD_Result route_list(parley_taxii *t, struct MHD_Connection *conn, struct coll *c, enum listing what,
	const char *oid)
{
	parley_taxii_query q;
	parley_err err = { 0 };
	void *ctx[2] = { &q, &err };
	enum MHD_Result ret;
	json_t *arr, *body;
	size_t got = 0, kept;
	const struct rec *first = NULL, *last = NULL;
	bool more = false;

	parley_taxii_query_init(&q);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_arg, ctx);
	if (err.code) {
		parley_taxii_query_release(&q);
		return taxii_error(conn, 400, "bad request", "%s", err.msg);
	}
	if (what == L_VERSIONS && !q.vmodes && !q.nversions)
		q.vmodes = PARLEY_TAXII_V_ALL; /* versions/ lists every version */
	pthread_mutex_lock(t->lock);
	if (coll_update(t, c, &err)) {
		pthread_mutex_unlock(t->lock);
		parley_taxii_query_release(&q);
		return taxii_error(conn, 500, "internal error", "reading the replica: %s", err.msg);
	}
	if (oid) {
		bool found = false;
		for (size_t i = 0; i < c->n && !found; i++)
			found = strcmp(c->r[i].id, oid) == 0;
		if (!found) {
			pthread_mutex_unlock(t->lock);
			parley_taxii_query_release(&q);
			return taxii_error(conn, 404, "not found", "no object %.100s in this collection", oid);
		}
	}
	kept = coll_select(c, &q, oid);
	if (kept == (size_t)-1 || !(arr = json_array())) {
		pthread_mutex_unlock(t->lock);
		parley_taxii_query_release(&q);
		return taxii_error(conn, 500, "internal error", "out of memory");
	}
	for (size_t i = 0; i < c->n; i++) {
		const struct rec *r = &c->r[i];
		if (!r->keep)
			continue;
		if (q.has_next && (r->entry < q.next_entry || (r->entry == q.next_entry && r->pos <= q.next_pos)))
			continue;
		if (got == q.limit) {
			more = true;
			break;
		}
		char da[32], ver[40];
		fmt_ms(da, r->added_ms);
		fmt_ts(ver, &r->version);
		if (what == L_OBJECTS || what == L_OBJECT)
			json_array_append(arr, r->obj);
		else if (what == L_VERSIONS)
			json_array_append_new(arr, json_string(ver));
		else
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "id", r->id, "date_added", da,
							   "version", ver, "media_type", PARLEY_STIX_MEDIA));
		if (!first)
			first = r;
		last = r;
		got++;
	}
	body = json_object();
	if (got) {
		char next[48];
		json_object_set_new(body, "more", json_boolean(more));
		if (more) {
			snprintf(next, sizeof(next), "%" PRIu64 "-%" PRIu32, last->entry, last->pos);
			json_object_set_new(body, "next", json_string(next));
		}
		json_object_set_new(body, what == L_VERSIONS ? "versions" : "objects", arr);
	} else {
		json_decref(arr); /* an empty envelope */
	}
	/* headers from copies: the records may move once the lock is released */
	struct rec f0, l0;
	if (first) {
		f0 = *first;
		l0 = *last;
	}
	pthread_mutex_unlock(t->lock);
	parley_taxii_query_release(&q);
	ret = send_envelope(conn, body, first ? &f0 : NULL, first ? &l0 : NULL);
	return ret;
}

static json_t *collection_json(parley_taxii *t, const struct coll *c)
{
	const parley_charter *ch = parley_node_charter(t->cfg.node, c->chan);
	char desc[200];
	snprintf(desc, sizeof(desc), "parley channel %s: the STIX content of its entries this node can read", c->hex);
	return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:[s]}", "id", c->uuid, "title",
		ch ? parley_charter_title(ch) : c->hex, "description", desc, "alias", c->hex, "can_read", 1, "can_write",
		can_write(t, c), "media_types", PARLEY_STIX_MEDIA);
}

static json_t *status_json(const struct status *s)
{
	json_t *ok = json_array(), *bad = json_array(), *pend = json_array(), *j;
	size_t i, n = json_array_size(s->objs);
	char req[32];
	json_t *v;

	json_array_foreach(s->objs, i, v) {
		json_t *d = json_pack("{s:O, s:O}", "id", json_array_get(v, 0), "version", json_array_get(v, 1));
		if (s->state == 1) {
			char m[80];
			snprintf(m, sizeof(m), "in log entry %" PRIu64, s->index);
			json_object_set_new(d, "message", json_string(m));
			json_array_append_new(ok, d);
		} else if (s->state == 2) {
			json_object_set_new(d, "message", json_string(s->reason));
			json_array_append_new(bad, d);
		} else {
			json_array_append_new(pend, d);
		}
	}
	fmt_ms(req, s->request_ms);
	j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "id", s->id, "status", s->state ? "complete" : "pending",
		"request_timestamp", req, "total_count", (json_int_t)n, "success_count",
		(json_int_t)(s->state == 1 ? n : 0), "failure_count", (json_int_t)(s->state == 2 ? n : 0), "pending_count",
		(json_int_t)(s->state == 0 ? n : 0));
	if (j) {
		if (json_array_size(ok))
			json_object_set(j, "successes", ok);
		if (json_array_size(bad))
			json_object_set(j, "failures", bad);
		if (json_array_size(pend))
			json_object_set(j, "pendings", pend);
	}
	json_decref(ok);
	json_decref(bad);
	json_decref(pend);
	return j;
}

/* ---- status resources that outlive the server (HOME/taxii-status/ID.json) ---- */

static bool status_id_ok(const char *id)
{
	if (strlen(id) != 36)
		return false;
	for (size_t i = 0; i < 36; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f') ||
			    (id[i] == '-' && (i == 8 || i == 13 || i == 18 || i == 23))))
			return false;
	return true;
}

static bool status_path(const parley_taxii *t, const char *id, char *out, size_t max)
{
	return status_id_ok(id) && (size_t)snprintf(out, max, "%s/%s/%s.json", t->home, STATUS_DIR, id) < max;
}

/* Write s to its file (best effort: a status that cannot be saved is still served until a restart). smu held. */
static void status_save(const parley_taxii *t, const struct status *s)
{
	char path[1200];
	json_t *j;
	char *txt;
	if (!status_path(t, s->id, path, sizeof(path)))
		return;
	j = json_pack("{s:s, s:I, s:O, s:i, s:s, s:I}", "id", s->id, "request_ms", (json_int_t)s->request_ms, "objects",
		s->objs, "state", s->state, "reason", s->reason, "index", (json_int_t)s->index);
	txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (txt)
		(void)!parley_file_write(path, txt, strlen(txt), 0600, false, NULL);
	free(txt);
	json_decref(j);
}

static void status_forget(const parley_taxii *t, const char *id)
{
	char path[1200];
	if (id[0] && status_path(t, id, path, sizeof(path)))
		(void)unlink(path);
}

/* One saved status, checked field by field (a damaged file is left out, never trusted). */
static bool status_load_one(const char *path, const char *id, struct status *s)
{
	parley_buf b = PARLEY_BUF_INIT;
	json_t *j = NULL, *objs, *v;
	const char *reason;
	size_t i;
	bool ok = false;

	memset(s, 0, sizeof(*s));
	if (parley_file_read(path, STATUS_FILE_MAX, &b, NULL) ||
		parley_json_parse((const char *)b.data, b.len, STATUS_FILE_MAX, &j, NULL))
		goto out;
	objs = json_object_get(j, "objects");
	reason = json_string_value(json_object_get(j, "reason"));
	if (!json_is_object(j) || !json_is_string(json_object_get(j, "id")) ||
		strcmp(json_string_value(json_object_get(j, "id")), id) != 0 ||
		!json_is_integer(json_object_get(j, "request_ms")) || json_integer_value(json_object_get(j, "request_ms")) < 0 ||
		!json_is_integer(json_object_get(j, "state")) || json_integer_value(json_object_get(j, "state")) < 0 ||
		json_integer_value(json_object_get(j, "state")) > 2 || !reason ||
		!json_is_integer(json_object_get(j, "index")) || json_integer_value(json_object_get(j, "index")) < 0 ||
		!json_is_array(objs) || json_array_size(objs) > POST_OBJECTS_MAX)
		goto out;
	json_array_foreach(objs, i, v)
		if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_string(json_array_get(v, 0)) ||
			!json_is_string(json_array_get(v, 1)))
			goto out;
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->request_ms = (uint64_t)json_integer_value(json_object_get(j, "request_ms"));
	s->state = (int)json_integer_value(json_object_get(j, "state"));
	snprintf(s->reason, sizeof(s->reason), "%s", reason);
	s->index = (uint64_t)json_integer_value(json_object_get(j, "index"));
	s->objs = json_incref(objs);
	ok = true;
out:
	json_decref(j);
	parley_buf_release(&b);
	return ok;
}

static int cmp_status_age(const void *a, const void *b)
{
	const struct status *x = a, *y = b;
	if (x->request_ms != y->request_ms)
		return x->request_ms < y->request_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

/*
 * The statuses a previous run answered: the newest STATUS_MAX kept (older files
 * removed). One still pending then was never posted (the queue lived in that
 * process): it becomes a failure saying so, for the client to POST again.
 */
static void status_load(parley_taxii *t)
{
	char dir[1100], path[1200];
	struct status *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *d;
	DIR *dp;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", t->home, STATUS_DIR) >= sizeof(dir))
		return;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return;
	if (!(dp = opendir(dir)))
		return;
	while ((d = readdir(dp))) {
		char id[37];
		size_t l = strlen(d->d_name);
		if (l != 41 || strcmp(d->d_name + 36, ".json") != 0)
			continue;
		memcpy(id, d->d_name, 36);
		id[36] = 0;
		if (!status_path(t, id, path, sizeof(path)))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct status *p = realloc(v, ncap * sizeof(*p));
			if (!p)
				break;
			v = p;
			cap = ncap;
		}
		if (status_load_one(path, id, &v[n]))
			n++;
		else
			(void)unlink(path);
	}
	closedir(dp);
	if (!n) {
		free(v);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_status_age);
	size_t skip = n > STATUS_MAX ? n - STATUS_MAX : 0;
	for (size_t i = 0; i < skip; i++) {
		status_forget(t, v[i].id);
		json_decref(v[i].objs);
	}
	for (size_t i = skip; i < n; i++) {
		struct status *s = &t->st[t->nst++];
		*s = v[i];
		if (s->state == 0) {
			s->state = 2;
			snprintf(s->reason, sizeof(s->reason),
				"the TAXII server stopped before it sent these objects: POST them again");
			status_save(t, s);
		}
	}
	t->st_next = t->nst % STATUS_MAX;
	free(v);
}

static enum MHD_Result route_status(parley_taxii *t, struct MHD_Connection *conn, const char *sid)
{
	json_t *j = NULL;
	pthread_mutex_lock(&t->smu);
	for (size_t i = 0; i < t->nst; i++)
		if (strcmp(t->st[i].id, sid) == 0) {
			j = status_json(&t->st[i]);
			break;
		}
	pthread_mutex_unlock(&t->smu);
	if (!j)
		return taxii_error(conn, 404, "not found", "no status %.60s (this node keeps the last %d, across restarts)", sid,
			STATUS_MAX);
	return send_json(conn, 200, j, NULL);
}

/* POST objects/: validate, check on the replica, queue for the poster, 202 with a pending status. */
static enum MHD_Result route_post(parley_taxii *t, struct MHD_Connection *conn, struct coll *c, struct request *rq)
{
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *th = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Parley-Thread");
	parley_err err = { 0 };
	json_t *bundle = NULL, *objs, *o;
	struct job *jb;
	bool q0;
	size_t i;
	char defcat[PARLEY_NAME_MAX + 1];
	uint64_t thread = PARLEY_TAXII_THREAD_NONE;

	if (!ct || !media_matches(ct, strlen(ct), "application/taxii+json", false, &q0))
		return taxii_error(conn, 415, "unsupported media type", "send the envelope as %s", PARLEY_TAXII_MEDIA);
	pthread_mutex_lock(t->lock);
	bool writer = can_write(t, c);
	pthread_mutex_unlock(t->lock);
	if (!writer)
		return taxii_error(conn, 403, "forbidden", "this node's party is an auditor of the channel: it cannot write");
	if (th && !parse_u64(th, (uint64_t)INT64_MAX, &thread))
		return taxii_error(conn, 400, "bad request", "X-Parley-Thread: not the index of a thread's opening entry");
	if (parley_taxii_envelope_parse(rq->body, rq->len, &bundle, &err))
		return err.code == PARLEY_E_LIMIT ? taxii_error(conn, 413, "too large", "%s", err.msg)
						  : taxii_error(conn, 400, "bad request", "%s", err.msg);
	{
		/* the validator of notify --stix, on the envelope's objects, every problem reported */
		parley_stix_report rep;
		parley_stix_report_init(&rep);
		parley_code vrc = parley_stix_check_objects(json_object_get(bundle, "objects"), 0, &rep);
		if (vrc) {
			enum MHD_Result ret = vrc == PARLEY_E_NOMEM ? taxii_error(conn, 500, "internal error", "out of memory")
								    : stix_refused(conn, &rep);
			parley_stix_report_release(&rep);
			json_decref(bundle);
			return ret;
		}
		parley_stix_report_release(&rep);
	}
	if (!(jb = calloc(1, sizeof(*jb)))) {
		json_decref(bundle);
		return taxii_error(conn, 500, "internal error", "out of memory");
	}
	memcpy(jb->chan, c->chan, 32);
	jb->bundle = bundle;
	jb->tlp = tlp_of_objects(bundle);
	channel_defaults(t->home, c->chan, defcat, &jb->thread);
	if (th)
		jb->thread = thread;
	pthread_mutex_lock(t->lock);
	const parley_charter *ch = parley_node_charter(t->cfg.node, c->chan);
	const char *cat = parley_taxii_category_of(bundle, ch);
	if (cat && !parley_charter_allows_category(ch, cat)) {
		enum MHD_Result ret =
			taxii_error(conn, 422, "unprocessable", "category '%.64s' is not in the charter's scope", cat);
		pthread_mutex_unlock(t->lock);
		json_decref(bundle);
		free(jb);
		return ret;
	}
	snprintf(jb->category, sizeof(jb->category), "%s", cat ? cat : defcat);
	pthread_mutex_unlock(t->lock);

	/* the status resource, pending until the poster is done */
	pthread_mutex_lock(&t->smu);
	size_t slot = t->st_next;
	struct status *s = &t->st[slot];
	status_forget(t, s->id);
	json_decref(s->objs);
	memset(s, 0, sizeof(*s));
	uuid4(s->id);
	s->request_ms = parley_now_ms();
	s->objs = json_array();
	objs = json_object_get(bundle, "objects");
	json_array_foreach(objs, i, o) {
		const char *v = json_string_value(json_object_get(o, "modified"));
		if (!v)
			v = json_string_value(json_object_get(o, "created"));
		json_array_append_new(s->objs, json_pack("[O, s]", json_object_get(o, "id"), v ? v : ""));
	}
	t->st_next = (t->st_next + 1) % STATUS_MAX;
	if (t->nst < STATUS_MAX)
		t->nst++;
	jb->status = slot;
	memcpy(jb->status_id, s->id, sizeof(s->id));
	status_save(t, s);
	*t->jobs_tail = jb;
	t->jobs_tail = &jb->next;
	json_t *sj = status_json(s);
	pthread_cond_signal(&t->scv);
	pthread_mutex_unlock(&t->smu);
	return send_json(conn, 202, sj, NULL);
}

/* Post one job. Node lock held. */
static void post_job(parley_taxii *t, struct job *jb, int *state, char reason[512], uint64_t *index)
{
	parley_node *n = t->cfg.node;
	const parley_charter *ch = parley_node_charter(n, jb->chan);
	parley_buf pl = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	const char *names[PARLEY_ENTRY_MAX_RECIP];
	size_t nn = 0;
	uint64_t ref = jb->thread;
	parley_post p = { 0 };
	parley_thread *threads = NULL;
	size_t nthreads = 0;
	parley_sync_report rep;

	*state = 2;
	if (!ch) {
		snprintf(reason, 512, "the channel is no longer joined");
		return;
	}
	if (parley_payload_encode(NULL, jb->bundle, &pl, &err))
		goto fail;
	if (jb->thread != PARLEY_TAXII_THREAD_NONE) {
		const parley_thread *th = NULL;
		const parley_party *me = parley_charter_party(ch, t->name), *pp;
		if (parley_node_sync(n, jb->chan, &rep, &err) ||
			parley_node_threads(n, jb->chan, parley_now_ms(), &threads, &nthreads, &err))
			goto fail;
		for (size_t i = 0; i < nthreads; i++)
			if (threads[i].opener == jb->thread)
				th = &threads[i];
		if (!th) {
			parley_fail(&err, PARLEY_E_NOTFOUND, "entry %" PRIu64 " does not open a thread", jb->thread);
			goto fail;
		}
		if (me && memcmp(th->requester, me->key.keyid, 4) != 0 &&
			(pp = parley_charter_party_by_keyid(ch, th->requester)))
			names[nn++] = pp->key.name;
		for (unsigned i = 0; i < th->nrecip && nn < PARLEY_ENTRY_MAX_RECIP; i++)
			if (me && memcmp(th->recip[i], me->key.keyid, 4) != 0 &&
				(pp = parley_charter_party_by_keyid(ch, th->recip[i])))
				names[nn++] = pp->key.name;
		p.type = PARLEY_T_RESPONSE;
		p.thread = jb->thread;
		p.refs = &ref;
		p.nrefs = 1;
		snprintf(jb->category, sizeof(jb->category), "%s", th->category);
	} else {
		for (size_t i = 0; i < parley_charter_nparties(ch) && nn < PARLEY_ENTRY_MAX_RECIP; i++) {
			const parley_party *pp = parley_charter_party_at(ch, i);
			if (pp->role == PARLEY_ROLE_PARTY && strcmp(pp->key.name, t->name) != 0)
				names[nn++] = pp->key.name;
		}
		p.type = PARLEY_T_NOTIFICATION;
	}
	p.category = jb->category[0] ? jb->category : NULL;
	p.tlp = jb->tlp;
	p.to = names;
	p.nto = nn;
	p.payload = pl.data;
	p.payload_len = pl.len;
	if (parley_node_post(n, jb->chan, &p, index, &err))
		goto fail;
	/* into the replica at once, so that the collection shows it (a failure here is the next sync's) */
	if (parley_node_sync(n, jb->chan, &rep, NULL)) {
	}
	*state = 1;
	free(threads);
	parley_buf_release(&pl);
	return;
fail:
	snprintf(reason, 512, "%s", err.msg[0] ? err.msg : parley_strerror(err.code));
	free(threads);
	parley_buf_release(&pl);
}

static void *worker_main(void *arg)
{
	parley_taxii *t = arg;
	for (;;) {
		struct job *jb;
		int state;
		char reason[512] = "";
		uint64_t index = 0;

		pthread_mutex_lock(&t->smu);
		while (!t->jobs && !t->stopping)
			pthread_cond_wait(&t->scv, &t->smu);
		if (!t->jobs) {
			pthread_mutex_unlock(&t->smu);
			return NULL;
		}
		jb = t->jobs;
		t->jobs = jb->next;
		if (!t->jobs)
			t->jobs_tail = &t->jobs;
		pthread_mutex_unlock(&t->smu);

		pthread_mutex_lock(t->lock);
		post_job(t, jb, &state, reason, &index);
		pthread_mutex_unlock(t->lock);

		pthread_mutex_lock(&t->smu);
		struct status *s = &t->st[jb->status];
		if (strcmp(s->id, jb->status_id) == 0) {
			s->state = state;
			s->index = index;
			snprintf(s->reason, sizeof(s->reason), "%s", reason);
			status_save(t, s);
		}
		pthread_mutex_unlock(&t->smu);
		json_decref(jb->bundle);
		free(jb);
	}
}

/* /misp/: the MISP feed of the received content (manifest.json, hashes.csv, UUID.json). */
static enum MHD_Result route_misp(parley_taxii *t, struct MHD_Connection *conn, const char *file)
{
	parley_buf out = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	parley_code rc;
	const char *type = "application/json";

	if (!accepts(conn, strstr(file, ".csv") ? "text/csv" : "application/json"))
		return send_body(conn, 406, "text/plain", "not acceptable\n", 15, NULL);
	pthread_mutex_lock(t->lock);
	rc = parley_misp_feed_file(t->cfg.node, NULL, file, &out, &err);
	pthread_mutex_unlock(t->lock);
	if (rc == PARLEY_E_NOTFOUND) {
		parley_buf_release(&out);
		return send_body(conn, 404, "text/plain", "not found\n", 10, NULL);
	}
	if (rc) {
		parley_buf_release(&out);
		return send_body(conn, 500, "text/plain", "internal error\n", 15, NULL);
	}
	if (strstr(file, ".csv"))
		type = "text/csv";
	enum MHD_Result ret = send_body(conn, 200, type, (const char *)out.data, out.len, NULL);
	parley_buf_release(&out);
	return ret;
}

/* Split "/a/b/c/" into at most 8 segments; false unless it ends with '/'. */
static size_t split(char *path, char **seg, size_t max, bool *slash)
{
	size_t n = 0, len = strlen(path);
	*slash = len > 0 && path[len - 1] == '/';
	for (char *p = path; *p && n < max;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		seg[n++] = p;
		while (*p && *p != '/')
			p++;
		if (*p)
			*p++ = 0;
	}
	return n;
}

static enum MHD_Result route(parley_taxii *t, struct MHD_Connection *conn, const char *url, const char *method,
	struct request *rq)
{
	char path[PATH_MAX_LEN], *seg[9];
	bool slash, get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
	size_t n;

	if (!authorized(t, conn))
		return taxii_error(conn, 401, "unauthorized",
			"HTTP Basic authentication as 'parley' with the token of HOME/taxii.token is required");
	if (strlen(url) >= sizeof(path))
		return taxii_error(conn, 404, "not found", "no such resource");
	snprintf(path, sizeof(path), "%s", url);
	n = split(path, seg, 9, &slash);
	if (n == 2 && strcmp(seg[0], "misp") == 0 && !slash) {
		if (!get)
			return send_body(conn, 405, "text/plain", "method not allowed\n", 19, NULL);
		return route_misp(t, conn, seg[1]);
	}
	if (n == 0 || strcmp(seg[0], "taxii2") != 0 || !slash || (n >= 2 && strcmp(seg[1], "parley") != 0) || n > 7)
		return taxii_error(conn, 404, "not found", "no such resource (TAXII paths end with '/'; the API root is /taxii2/parley/)");
	if (!accepts(conn, "application/taxii+json"))
		return taxii_error(conn, 406, "not acceptable", "this server answers with %s", PARLEY_TAXII_MEDIA);
	if (!get && !(post && n == 5 && strcmp(seg[4], "objects") == 0))
		return taxii_error(conn, 405, "method not allowed", "%s is not allowed here", method);
	if (n == 1) {
		const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
		char root[300], title[120];
		if (host && strlen(host) < 200 && strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == strlen(host))
			snprintf(root, sizeof(root), "%s://%s/taxii2/parley/", t->tls ? "https" : "http", host);
		else
			snprintf(root, sizeof(root), "/taxii2/parley/");
		snprintf(title, sizeof(title), "parley node of %s", t->name);
		return send_json(conn, 200,
			json_pack("{s:s, s:s, s:s, s:[s]}", "title", title, "description",
				"TAXII 2.1 over this party's verified replica of its parley channels", "default", root,
				"api_roots", root),
			NULL);
	}
	if (n == 2)
		return send_json(conn, 200,
			json_pack("{s:s, s:s, s:[s], s:I}", "title", "parley", "description",
				"one collection per channel this node has joined", "versions", PARLEY_TAXII_MEDIA,
				"max_content_length", (json_int_t)PARLEY_TAXII_BODY_MAX),
			NULL);
	if (n == 4 && strcmp(seg[2], "status") == 0)
		return route_status(t, conn, seg[3]);
	if (strcmp(seg[2], "collections") != 0)
		return taxii_error(conn, 404, "not found", "no such resource");
	if (n == 3) {
		json_t *a = json_array();
		pthread_mutex_lock(t->lock);
		for (size_t i = 0; i < t->ncolls; i++)
			json_array_append_new(a, collection_json(t, &t->colls[i]));
		pthread_mutex_unlock(t->lock);
		return send_json(conn, 200, json_pack("{s:o}", "collections", a), NULL);
	}
	struct coll *c = coll_find(t, seg[3]);
	if (!c)
		return taxii_error(conn, 404, "not found", "no collection %.60s", seg[3]);
	if (n == 4) {
		pthread_mutex_lock(t->lock);
		json_t *j = collection_json(t, c);
		pthread_mutex_unlock(t->lock);
		return send_json(conn, 200, j, NULL);
	}
	if (n == 5 && strcmp(seg[4], "objects") == 0)
		return post ? route_post(t, conn, c, rq) : route_list(t, conn, c, L_OBJECTS, NULL);
	if (n == 5 && strcmp(seg[4], "manifest") == 0)
		return route_list(t, conn, c, L_MANIFEST, NULL);
	if (n == 6 && strcmp(seg[4], "objects") == 0)
		return route_list(t, conn, c, L_OBJECT, seg[5]);
	if (n == 7 && strcmp(seg[4], "objects") == 0 && strcmp(seg[6], "versions") == 0)
		return route_list(t, conn, c, L_VERSIONS, seg[5]);
	return taxii_error(conn, 404, "not found", "no such resource");
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	const char *body, size_t body_len, bool too_big)
{
	parley_taxii *t = cls;
	struct request rq = { body, body_len };

	if (too_big) {
		if (!authorized(t, conn))
			return taxii_error(conn, 401, "unauthorized", "authentication required");
		return taxii_error(conn, 413, "too large", "request bodies are limited to %zu bytes", PARLEY_TAXII_BODY_MAX);
	}
	return route(t, conn, url, method, &rq);
}

parley_code parley_taxii_start(const parley_taxii_config *cfg, parley_taxii **out, parley_err *err)
{
	parley_taxii *t;
	char tok[65], keypath[1200];
	parley_code rc;

	*out = NULL;
	if (!cfg->home || !cfg->node || (!cfg->tls_cert_pem) != (!cfg->tls_key_pem))
		return parley_fail(err, PARLEY_E_USAGE, "taxii: a home, a node, and TLS certificate and key both or neither");
	if (!(t = calloc(1, sizeof(*t))))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	t->cfg = *cfg;
	snprintf(t->home, sizeof(t->home), "%s", cfg->home);
	t->tls = cfg->tls_cert_pem != NULL;
	pthread_mutex_init(&t->own_lock, NULL);
	pthread_mutex_init(&t->smu, NULL);
	pthread_cond_init(&t->scv, NULL);
	t->lock = cfg->node_lock ? cfg->node_lock : &t->own_lock;
	t->jobs_tail = &t->jobs;
	if ((rc = parley_node_identity(cfg->home, t->name, keypath, sizeof(keypath), err)) ||
		(rc = parley_taxii_token(cfg->home, false, tok, err)))
		goto fail;
	status_load(t);
	sodium_memzero(tok, sizeof(tok));
	pthread_mutex_lock(t->lock);
	t->ncolls = parley_node_nchannels(cfg->node);
	t->colls = calloc(t->ncolls ? t->ncolls : 1, sizeof(*t->colls));
	for (size_t i = 0; t->colls && i < t->ncolls; i++) {
		memcpy(t->colls[i].chan, parley_node_channel_at(cfg->node, i), 32);
		parley_hex(t->colls[i].hex, t->colls[i].chan, 32);
		parley_taxii_collection_id(t->colls[i].chan, t->colls[i].uuid);
	}
	pthread_mutex_unlock(t->lock);
	if (!t->colls) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto fail;
	}
	if (pthread_create(&t->worker, NULL, worker_main, t)) {
		rc = parley_fail(err, PARLEY_E_IO, "cannot start the TAXII poster thread");
		goto fail;
	}
	t->worker_started = true;
	{
		parley_httpd_config hc = { cfg->host, cfg->port, cfg->tls_cert_pem, cfg->tls_key_pem, 15u,
			PARLEY_TAXII_BODY_MAX, answer, t };
		if ((rc = parley_httpd_start(&t->http, &hc, err)))
			goto fail;
	}
	*out = t;
	return PARLEY_OK;
fail:
	parley_taxii_stop(t);
	return rc;
}

uint16_t parley_taxii_port(const parley_taxii *t)
{
	return t->http.port;
}

void parley_taxii_set_node(parley_taxii *t, parley_node *node)
{
	t->cfg.node = node;
}

void parley_taxii_stop(parley_taxii *t)
{
	if (!t)
		return;
	parley_httpd_stop(&t->http);
	if (t->worker_started) {
		pthread_mutex_lock(&t->smu);
		t->stopping = true;
		pthread_cond_signal(&t->scv);
		pthread_mutex_unlock(&t->smu);
		pthread_join(t->worker, NULL); /* posts already queued are finished first */
	}
	for (size_t i = 0; i < t->ncolls; i++) {
		for (size_t k = 0; k < t->colls[i].n; k++)
			json_decref(t->colls[i].r[k].obj);
		free(t->colls[i].r);
	}
	free(t->colls);
	for (size_t i = 0; i < STATUS_MAX; i++)
		json_decref(t->st[i].objs);
	while (t->jobs) {
		struct job *n = t->jobs->next;
		json_decref(t->jobs->bundle);
		free(t->jobs);
		t->jobs = n;
	}
	pthread_mutex_destroy(&t->own_lock);
	pthread_mutex_destroy(&t->smu);
	pthread_cond_destroy(&t->scv);
	free(t);
}
