/* node.c - a party's node: home, join, verified sync, receipts, cosignatures, posting, re-verification. */
#define _GNU_SOURCE /* memmem, realpath */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "parley/admit.h"
#include "parley/client.h"
#include "parley/evidence.h"
#include "parley/jcs.h"
#include "parley/node.h"
#include "parley/remote.h"
#include "parley/note.h"
#include "parley/payload.h"
#include "parley/proof.h"
#include "parley/workflow.h"
#include "parley/compose.h"
#include "node_internal.h"
#include "banned.h"





static parley_code path_in(char *out, size_t max, const char *home, const char *rel, parley_err *err)
{
	if ((size_t)snprintf(out, max, "%s/%s", home, rel) >= max)
		return parley_fail(err, PARLEY_E_USAGE, "%s: path too long", home);
	return PARLEY_OK;
}

/* HOME/charters/HEX.EXT: a channel's charter (json) and state files. */
static parley_code channel_file(char *out, size_t max, const char *home, const char *hex, const char *ext,
	parley_err *err)
{
	char rel[160];
	snprintf(rel, sizeof(rel), "charters/%.64s.%.16s", hex, ext);
	return path_in(out, max, home, rel, err);
}

/*
 * The home and the subdirectories it uses must be ours alone: another user who can
 * write there could delete evidence, clear a halted channel's marker or swap a charter.
 */
static parley_code home_check(const char *home, parley_err *err)
{
	static const char *const subdirs[] = { "charters", "psi" };
	char path[1100];
	parley_code rc;

	if ((rc = parley_dir_check_private(home, "the node's home", err)))
		return rc == PARLEY_E_NOTFOUND ? parley_fail(err, rc,
			"%s is not a parley node home (no such directory); run 'parley join' first", home) : rc;
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if ((rc = path_in(path, sizeof(path), home, subdirs[i], err)))
			return rc;
		rc = parley_dir_check_private(path, "a directory of the node's home", err);
		if (rc && rc != PARLEY_E_NOTFOUND)
			return rc;
	}
	return PARLEY_OK;
}

/* ---- node.json ---- */

static parley_code config_load(const char *home, json_t **out, parley_err *err)
{
	char path[1100];
	parley_buf b = PARLEY_BUF_INIT;
	parley_code rc;

	*out = NULL;
	if ((rc = home_check(home, err)))
		return rc;
	if ((rc = path_in(path, sizeof(path), home, "node.json", err)))
		return rc;
	if ((rc = parley_file_read(path, 1 << 20, &b, err))) {
		if (rc == PARLEY_E_NOTFOUND)
			parley_fail(err, rc, "%s is not a parley node home (no node.json); run 'parley join' first", home);
		return rc;
	}
	rc = parley_json_parse((const char *)b.data, b.len, 1 << 20, out, err);
	parley_buf_release(&b);
	if (rc)
		return parley_wrap(err, rc, "%s", path);
	if (!json_is_string(json_object_get(*out, "name")) || !json_is_string(json_object_get(*out, "key")) ||
		!json_is_array(json_object_get(*out, "channels"))) {
		json_decref(*out);
		*out = NULL;
		return parley_fail(err, PARLEY_E_FORMAT, "%s: not a valid node configuration", path);
	}
	return PARLEY_OK;
}

static parley_code config_save(const char *home, json_t *cfg, parley_err *err)
{
	char path[1100], *s;
	parley_code rc;

	if ((rc = path_in(path, sizeof(path), home, "node.json", err)))
		return rc;
	if (!(s = json_dumps(cfg, JSON_INDENT(2) | JSON_PRESERVE_ORDER)))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	size_t n = strlen(s);
	s[n] = '\n';
	rc = parley_file_write(path, s, n + 1, 0600, false, err);
	free(s);
	return rc;
}

parley_code parley_node_identity(const char *home, char name[PARLEY_NAME_MAX + 1], char *keypath, size_t keypath_max,
	parley_err *err)
{
	json_t *cfg;
	parley_code rc;

	if ((rc = config_load(home, &cfg, err)))
		return rc;
	snprintf(name, PARLEY_NAME_MAX + 1, "%s", json_string_value(json_object_get(cfg, "name")));
	rc = path_in(keypath, keypath_max, home, json_string_value(json_object_get(cfg, "key")), err);
	json_decref(cfg);
	return rc;
}

/* ---- verification shared by sync and verify ---- */

static struct chain *chain_of(struct chain *c, size_t *n, const uint8_t keyid[4])
{
	for (size_t i = 0; i < *n; i++)
		if (memcmp(c[i].keyid, keyid, 4) == 0)
			return &c[i];
	if (*n == PARLEY_MAX_PARTIES)
		return NULL;
	memset(&c[*n], 0, sizeof(c[*n]));
	memcpy(c[*n].keyid, keyid, 4);
	return &c[(*n)++];
}

/*
 * Everything a node checks about one entry at log index `index`, against the
 * charter and the senders' chains so far (which it advances on success);
 * look finds earlier entries (a thread's opener, for the charter's wind-down).
 */
static parley_code check_entry(const parley_charter *ch, const uint8_t id[32], struct chain *chains, size_t *nchains,
	uint64_t *last_ms, uint64_t index, uint64_t integrated_ms, const uint8_t *data, size_t len, parley_entry *e,
	parley_admit_lookup look, void *lctx, parley_succession *succ, struct node_charter_look *clook, parley_err *err)
{
	const parley_party *p;
	struct chain *c;
	uint8_t zero[32] = { 0 };
	char kid[9];

	if (parley_entry_parse(data, len, e, err))
		return parley_wrap(err, PARLEY_E_VERIFY, "entry %llu", (unsigned long long)index);
	/* the relay integrates in order: a time that goes back is a log it built out of order */
	if (integrated_ms < *last_ms)
		return parley_fail(err, PARLEY_E_VERIFY,
			"entry %llu: integrated at %llu ms, before entry %llu (%llu ms): integration times go backwards",
			(unsigned long long)index, (unsigned long long)integrated_ms, (unsigned long long)(index ? index - 1 : 0),
			(unsigned long long)*last_ms);
	if (memcmp(e->h.channel, id, 32) != 0)
		return parley_fail(err, PARLEY_E_VERIFY, "entry %llu: belongs to another channel", (unsigned long long)index);
	parley_hex(kid, e->h.sender, 4);
	if (!(p = parley_charter_party_by_keyid(ch, e->h.sender)))
		return parley_fail(err, PARLEY_E_VERIFY, "entry %llu: sender key %s is not a party of the charter",
			(unsigned long long)index, kid);
	if (p->role != PARLEY_ROLE_PARTY)
		return parley_fail(err, PARLEY_E_VERIFY, "entry %llu: sent by %s, a read-only auditor",
			(unsigned long long)index, p->key.name);
	if (parley_entry_verify(e, p->key.sign_pk, NULL))
		return parley_fail(err, PARLEY_E_VERIFY, "entry %llu: signature does not verify for party %s",
			(unsigned long long)index, p->key.name);
	if (e->h.created_ms > integrated_ms + PARLEY_ENTRY_MAX_SKEW_MS || e->h.created_ms + PARLEY_ENTRY_MAX_SKEW_MS < integrated_ms)
		return parley_fail(err, PARLEY_E_VERIFY,
			"entry %llu from %s: created %lld s away from its integration time (at most %llu s allowed)",
			(unsigned long long)index, p->key.name,
			(long long)(((int64_t)e->h.created_ms - (int64_t)integrated_ms) / 1000),
			(unsigned long long)(PARLEY_ENTRY_MAX_SKEW_MS / 1000));
	if (!parley_charter_allows_type(ch, e->h.type))
		return parley_fail(err, PARLEY_E_VERIFY, "entry %llu from %s: type %s is outside the charter's scope",
			(unsigned long long)index, p->key.name, parley_type_name(e->h.type));
	if (e->h.type != PARLEY_T_HANDOVER && !parley_charter_allows_category(ch, e->h.category))
		return parley_fail(err, PARLEY_E_VERIFY, "entry %llu from %s: category '%s' is outside the charter's scope",
			(unsigned long long)index, p->key.name, e->h.category);
	for (unsigned i = 0; i < e->h.nrecip; i++) {
		const parley_party *r = parley_charter_party_by_keyid(ch, e->h.recip[i]);
		if (!r)
			return parley_fail(err, PARLEY_E_VERIFY, "entry %llu from %s: recipient %u is not a charter member",
				(unsigned long long)index, p->key.name, i);
		if (r->role != PARLEY_ROLE_PARTY) /* an auditor reads the log, but owes and answers nothing */
			return parley_fail(err, PARLEY_E_VERIFY, "entry %llu from %s: addressed to %s, a read-only auditor",
				(unsigned long long)index, p->key.name, r->key.name);
	}
	parley_succession next = *succ;
	parley_code rc = parley_admit_entry(ch, &next, &e->h, index, integrated_ms, look, lctx, node_charter_lookup, clook, err);
	if (rc)
		return parley_wrap(err, rc, "entry %llu from %s (%s)", (unsigned long long)index, p->key.name,
			parley_type_name(e->h.type));
	if (!(c = chain_of(chains, nchains, e->h.sender)))
		return parley_fail(err, PARLEY_E_VERIFY, "entry %llu: too many senders", (unsigned long long)index);
	if (e->h.seq != c->seq + 1)
		return parley_fail(err, PARLEY_E_VERIFY,
			"entry %llu from %s: sequence number %llu, expected %llu (replayed, dropped or reordered)",
			(unsigned long long)index, p->key.name, (unsigned long long)e->h.seq,
			(unsigned long long)c->seq + 1);
	if (memcmp(e->h.prev, c->seq ? c->hash : zero, 32) != 0)
		return parley_fail(err, PARLEY_E_VERIFY,
			"entry %llu from %s: previous-entry hash does not match its entry %llu (a forked chain)",
			(unsigned long long)index, p->key.name, (unsigned long long)c->seq);
	c->seq = e->h.seq;
	parley_entry_hash(data, len, c->hash);
	*last_ms = integrated_ms;
	*succ = next;
	return PARLEY_OK;
}


/*
 * The charter's daily byte quota, after check_entry took the entry: counted in log order
 * for its sender, exactly as the relay counts at admission (parley_charter_quota_check).
 */
static parley_code quota_step(const parley_charter *ch, struct chain *chains, size_t *nchains, const parley_entry *e,
	uint64_t index, uint64_t ms, size_t len, parley_err *err)
{
	struct chain *c = chain_of(chains, nchains, e->h.sender);
	const parley_party *p = parley_charter_party_by_keyid(ch, e->h.sender);
	if (!c)
		return parley_fail(err, PARLEY_E_VERIFY, "entry %llu: too many senders", (unsigned long long)index);
	if (parley_charter_quota_check(ch, &c->quota, p ? p->key.name : "its sender", ms, len, err))
		return parley_wrap(err, PARLEY_E_VERIFY, "entry %llu", (unsigned long long)index);
	parley_quota_count(&c->quota, ms, len);
	return PARLEY_OK;
}

static parley_code scan_check(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct scan_ctx *s = ctx;
	parley_entry e;
	parley_code rc;
	if (index != s->count)
		return parley_fail(s->err, PARLEY_E_VERIFY, "replica: entry %llu is missing", (unsigned long long)s->count);
	s->count++;
	parley_admit_store look = { s->store, s->id, PARLEY_BUF_INIT };
	struct node_charter_look cl = { s->node, NULL };
	rc = check_entry(s->ch, s->id, s->chains, &s->nchains, &s->last_ms, index, ms, data, len, &e,
		parley_admit_store_lookup, &look, &s->succ, &cl, s->err);
	parley_buf_release(&look.buf);
	if (rc)
		return rc;
	return quota_step(s->ch, s->chains, &s->nchains, &e, index, ms, len, s->err);
}

/* Verify a checkpoint note from the relay: relay signature, origin, and any party cosignatures present. */
static parley_code check_checkpoint(const struct node_channel *c, const char *text, size_t n, parley_checkpoint *cp,
	parley_err *err)
{
	parley_code rc = parley_checkpoint_check(c->charter, text, n, cp, NULL, err);
	return rc ? parley_wrap(err, rc, "from the relay") : PARLEY_OK;
}

/* ---- join and open ---- */

struct node_channel *node_find_channel(parley_node *n, const uint8_t id[32])
{
	for (size_t i = 0; i < n->nch; i++)
		if (memcmp(n->ch[i].id, id, 32) == 0)
			return &n->ch[i];
	return NULL;
}

parley_code parley_node_join(const char *home, const char *charter_path, const char *key_path,
	const parley_seckey *key, const char *relay_url, const char *ca_path, char channel_hex[65], parley_err *err)
{
	parley_charter *ch = NULL;
	parley_buf text = PARLEY_BUF_INIT, kb = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	json_t *cfg = NULL;
	parley_client cl;
	const parley_party *me;
	const char *url;
	char path[1100], rel[160];
	long status = 0;
	parley_code rc;

	memset(&cl, 0, sizeof(cl));
	if ((rc = parley_file_read(charter_path, PARLEY_CHARTER_MAX_BYTES, &text, err)) ||
		(rc = parley_charter_parse((const char *)text.data, text.len, &ch, err)))
		goto out;
	if ((rc = parley_charter_verify(ch, err)) || (rc = parley_charter_check_time(ch, (int64_t)time(NULL), err))) {
		parley_wrap(err, rc, "%s", charter_path);
		goto out;
	}
	if (!(me = parley_charter_party(ch, key->pub.name)) ||
		sodium_memcmp(me->key.sign_pk, key->pub.sign_pk, 32) != 0) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "key '%s' is not a member of this charter", key->pub.name);
		goto out;
	}
	if (!parley_charter_relay(ch, &url)) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "the charter names no relay");
		goto out;
	}
	if (relay_url)
		url = relay_url;
	parley_hex(channel_hex, parley_charter_id(ch), 32);

	if (mkdir(home, 0700) != 0 && errno != EEXIST) {
		rc = parley_fail(err, PARLEY_E_IO, "%s: %s", home, strerror(errno));
		goto out;
	}
	if ((rc = path_in(path, sizeof(path), home, "charters", err)))
		goto out;
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		rc = parley_fail(err, PARLEY_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((rc = home_check(home, err)))
		goto out;
	/* the configuration: one identity per home */
	if (config_load(home, &cfg, NULL) == PARLEY_OK) {
		if (strcmp(json_string_value(json_object_get(cfg, "name")), key->pub.name) != 0) {
			rc = parley_fail(err, PARLEY_E_USAGE, "%s belongs to '%s', not '%s'", home,
				json_string_value(json_object_get(cfg, "name")), key->pub.name);
			goto out;
		}
	} else {
		snprintf(rel, sizeof(rel), "%s.key", key->pub.name);
		kb.secret = 1;
		if ((rc = parley_file_read_private(key_path, PARLEY_KEYFILE_MAX, &kb, err)) ||
			(rc = path_in(path, sizeof(path), home, rel, err)))
			goto out;
		rc = parley_file_write(path, kb.data, kb.len, 0600, false, err);
		if (rc)
			goto out;
		cfg = json_pack("{s:i, s:s, s:s, s:[]}", "version", 1, "name", key->pub.name, "key", rel, "channels");
	}
	if ((rc = channel_file(path, sizeof(path), home, channel_hex, "json", err)) ||
		(rc = parley_file_write(path, text.data, text.len, 0644, false, err)))
		goto out;

	/* a CA to trust for an https relay is kept in the home, per channel */
	char ca_rel[160] = "";
	if (ca_path) {
		parley_buf cab = PARLEY_BUF_INIT;
		snprintf(ca_rel, sizeof(ca_rel), "charters/%s.ca.pem", channel_hex);
		if ((rc = parley_file_read(ca_path, 1 << 20, &cab, err)) || (rc = path_in(path, sizeof(path), home, ca_rel, err)) ||
			(rc = parley_file_write(path, cab.data, cab.len, 0644, false, err))) {
			parley_buf_release(&cab);
			goto out;
		}
		parley_buf_release(&cab);
	}

	/* open the channel on the relay (idempotent) */
	if ((rc = parley_client_init(&cl, url, key, err)))
		goto out;
	if (ca_path)
		snprintf(cl.ca_file, sizeof(cl.ca_file), "%s", path);
	if (
		(rc = parley_client_do(&cl, "POST", "/v1/channels", "application/json", text.data, text.len, &status,
			 &resp, err)))
		goto out;
	if (status != 201) {
		rc = parley_client_problem(status, &resp, err);
		goto out;
	}

	/* the replica */
	parley_store *st = NULL;
	if ((rc = path_in(path, sizeof(path), home, "replica.db", err)) || (rc = parley_store_open(path, &st, err)))
		goto out;
	rc = parley_store_channel_add(st, parley_charter_id(ch), text.data, text.len, err);
	if (rc == PARLEY_E_USAGE) /* held already in another form (a successor fetched during a sync): the same id */
		rc = PARLEY_OK;
	parley_store_close(st);
	if (rc)
		goto out;

	json_t *chans = json_object_get(cfg, "channels"), *v = NULL;
	size_t i;
	json_array_foreach(chans, i, v)
		if (strcmp(json_string_value(json_object_get(v, "id")), channel_hex) == 0)
			break;
	if (i == json_array_size(chans)) {
		v = json_pack("{s:s, s:s}", "id", channel_hex, "relay", url);
		json_array_append_new(chans, v);
	} else {
		json_object_set_new(v, "relay", json_string(url));
	}
	if (ca_path)
		json_object_set_new(v, "ca", json_string(ca_rel));
	else
		json_object_del(v, "ca");
	rc = config_save(home, cfg, err);
out:
	parley_client_release(&cl);
	json_decref(cfg);
	parley_charter_free(ch);
	parley_buf_release(&text);
	parley_buf_release(&kb);
	parley_buf_release(&resp);
	return rc;
}

parley_code parley_node_open(const char *home, const parley_seckey *key, parley_node **out, parley_err *err)
{
	parley_node *n = calloc(1, sizeof(*n));
	json_t *cfg = NULL, *v;
	char path[1100];
	size_t i;
	parley_code rc;

	*out = NULL;
	if (!n)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	snprintf(n->home, sizeof(n->home), "%s", home);
	n->key = key;
	n->page_entries = PARLEY_SYNC_PAGE_ENTRIES;
	n->page_bytes = PARLEY_SYNC_PAGE_BYTES;
	if ((rc = config_load(home, &cfg, err)))
		goto fail;
	if (strcmp(json_string_value(json_object_get(cfg, "name")), key->pub.name) != 0) {
		rc = parley_fail(err, PARLEY_E_USAGE, "%s belongs to '%s', not '%s'", home,
			json_string_value(json_object_get(cfg, "name")), key->pub.name);
		goto fail;
	}
	if (json_is_string(json_object_get(cfg, "psi_respond_with")))
		snprintf(n->psi_policy, sizeof(n->psi_policy), "%s", json_string_value(json_object_get(cfg, "psi_respond_with")));
	json_array_foreach(json_object_get(cfg, "channels"), i, v) {
		struct node_channel *c = &n->ch[n->nch];
		const char *hex = json_string_value(json_object_get(v, "id"));
		const char *relay = json_string_value(json_object_get(v, "relay"));
		if (n->nch == NODE_MAX_CHANNELS || !hex || !relay || parley_unhex(c->id, 32, hex, strlen(hex))) {
			rc = parley_fail(err, PARLEY_E_FORMAT, "%s/node.json: bad channel entry", home);
			goto fail;
		}
		snprintf(c->hex, sizeof(c->hex), "%s", hex);
		snprintf(c->relay, sizeof(c->relay), "%s", relay);
		const char *ca = json_string_value(json_object_get(v, "ca"));
		if (ca && (rc = path_in(c->ca, sizeof(c->ca), home, ca, err)))
			goto fail;
		if ((rc = channel_file(path, sizeof(path), home, hex, "json", err)) ||
			(rc = parley_charter_load(path, &c->charter, err)))
			goto fail;
		{
			parley_buf hb = PARLEY_BUF_INIT;
			char hpath[1200];
			if (channel_file(hpath, sizeof(hpath), home, hex, "halted", NULL) == PARLEY_OK &&
				parley_file_read(hpath, sizeof(c->halted) - 1, &hb, NULL) == PARLEY_OK)
				snprintf(c->halted, sizeof(c->halted), "%s", (const char *)hb.data);
			parley_buf_release(&hb);
		}
		if (memcmp(parley_charter_id(c->charter), c->id, 32) != 0) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "%s: the charter file was changed", path);
			n->nch++;
			goto fail;
		}
		n->nch++;
	}
	if ((rc = path_in(path, sizeof(path), home, "replica.db", err)) || (rc = parley_store_open(path, &n->store, err)))
		goto fail;
	json_decref(cfg);
	*out = n;
	return PARLEY_OK;
fail:
	json_decref(cfg);
	parley_node_close(n);
	return rc;
}

void parley_node_close(parley_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nch; i++)
		parley_charter_free(n->ch[i].charter);
	parley_store_close(n->store);
	free(n);
}

parley_code parley_node_channel(parley_node *n, const char *prefix, uint8_t id[32], parley_err *err)
{
	struct node_channel *hit = NULL;
	if (n->nch == 0)
		return parley_fail(err, PARLEY_E_NOTFOUND, "this node has joined no channel");
	if (!prefix) {
		/* channels that succeed each other are one dialogue: its latest charter by default */
		if (n->nch > 1 && !(hit = node_chain_head(n)))
			return parley_fail(err, PARLEY_E_USAGE, "this node has joined %zu channels: name one with --channel",
				n->nch);
		if (!hit)
			hit = &n->ch[0];
	} else {
		for (size_t i = 0; i < n->nch; i++)
			if (strncmp(n->ch[i].hex, prefix, strlen(prefix)) == 0) {
				if (hit)
					return parley_fail(err, PARLEY_E_USAGE, "channel prefix %s is ambiguous", prefix);
				hit = &n->ch[i];
			}
		if (!hit)
			return parley_fail(err, PARLEY_E_NOTFOUND, "no joined channel starts with %s", prefix);
	}
	memcpy(id, hit->id, 32);
	return PARLEY_OK;
}

const parley_charter *parley_node_charter(parley_node *n, const uint8_t id[32])
{
	struct node_channel *c = node_find_channel(n, id);
	return c ? c->charter : NULL;
}

parley_store *parley_node_store(parley_node *n)
{
	return n->store;
}

/* ---- sync ---- */

struct src_ctx {
	parley_store *s;
	const uint8_t *id;
};

static parley_code src_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32], parley_err *err)
{
	struct src_ctx *c = ctx;
	return parley_store_node_get(c->s, c->id, level, index, out, err);
}

struct fetched {
	uint64_t index, ms;
	uint8_t *data;
	size_t len;
	parley_entry e;
};

static void fetched_free(struct fetched *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i].data);
	free(f);
}

/* Load every sender's chain from the replica, checking each entry again on the way. */
/* Follow the chains of entries already verified when they were stored: parse and hash, no signatures. */
static parley_code scan_chain(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct scan_ctx *s = ctx;
	parley_entry e;
	struct chain *c;
	if (index != s->count)
		return parley_fail(s->err, PARLEY_E_VERIFY, "replica: entry %llu is missing", (unsigned long long)s->count);
	s->count++;
	if (parley_entry_parse(data, len, &e, s->err))
		return parley_wrap(s->err, PARLEY_E_VERIFY, "replica entry %llu", (unsigned long long)index);
	if (!(c = chain_of(s->chains, &s->nchains, e.h.sender)))
		return parley_fail(s->err, PARLEY_E_VERIFY, "replica: too many senders");
	c->seq = e.h.seq;
	parley_entry_hash(data, len, c->hash);
	s->last_ms = ms;
	parley_quota_count(&c->quota, ms, len);
	struct node_charter_look cl = { s->node, NULL };
	return parley_succession_follow(s->ch, &s->succ, &e.h, index, ms, node_charter_lookup, &cl, s->err);
}

/*
 * Every sender's chain in the replica: re-verified from scratch (full, for
 * 'parley verify'), or followed (for a sync: the entries were verified when
 * they were stored, and the tree check guards them since).
 */
static parley_code load_chains(parley_node *n, struct node_channel *c, struct scan_ctx *sc, bool full, parley_err *err)
{
	memset(sc, 0, sizeof(*sc));
	sc->ch = c->charter;
	sc->id = c->id;
	sc->store = n->store;
	sc->node = n;
	parley_succession_init(&sc->succ);
	sc->err = err;
	return parley_store_entries(n->store, c->id, 0, UINT64_MAX, full ? scan_check : scan_chain, sc, err);
}

bool node_is_auditor(const parley_node *n, const struct node_channel *c)
{
	const parley_party *me = parley_charter_party_by_keyid(c->charter, n->key->pub.keyid);
	return !me || me->role != PARLEY_ROLE_PARTY;
}

parley_code node_admit_now(parley_node *n, struct node_channel *c, const parley_entry_hdr *h, parley_err *err)
{
	parley_admit_store look = { n->store, c->id, PARLEY_BUF_INIT };
	struct node_charter_look cl = { n, NULL };
	parley_succession st;
	uint64_t size = UINT64_MAX, now = parley_now_ms();
	parley_code rc;

	/* the size is the index a handover would take (and bounds the wind-down's lookups) */
	if (!(rc = parley_store_size(n->store, c->id, &size, err)) && !(rc = node_succession(n, c, &st, err)) &&
		!(rc = parley_admit_entry(c->charter, &st, h, size, now, parley_admit_store_lookup, &look, node_charter_lookup,
			  &cl, err)))
		rc = node_successor_check(n, c, h, err);
	parley_buf_release(&look.buf);
	return rc;
}

/* Sign, seal and append one entry on the relay, advancing our own chain. */
parley_code node_post_entry(parley_node *n, struct node_channel *c, struct scan_ctx *sc, parley_client *cl,
	const parley_post *p, uint64_t *index, parley_err *err)
{
	parley_entry_hdr h;
	uint8_t pks[PARLEY_ENTRY_MAX_RECIP][32];
	parley_buf entry = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	struct chain *mine = chain_of(sc->chains, &sc->nchains, n->key->pub.keyid);
	char target[128];
	long status = 0;
	parley_code rc;

	if (node_is_auditor(n, c))
		return parley_fail(err, PARLEY_E_USAGE, "%s is a read-only auditor of this channel: it cannot write entries",
			n->key->pub.name);
	if (!mine)
		return parley_fail(err, PARLEY_E_LIMIT, "too many senders");
	if ((rc = parley_compose_header(c->charter, &n->key->pub, c->id, p, &h, pks, err)))
		return rc;
	h.seq = mine->seq + 1;
	if (mine->seq)
		memcpy(h.prev, mine->hash, 32);
	h.created_ms = parley_now_ms();
	/* what the relay would refuse for the charter's validity is not sent */
	if ((rc = node_admit_now(n, c, &h, err)))
		return parley_wrap(err, rc, "not sent");
	if ((rc = parley_entry_build(&h, (const uint8_t(*)[32])pks, p->payload, p->payload_len, n->key, &entry, NULL,
		     err)))
		goto out;
	snprintf(target, sizeof(target), "/v1/channels/%s/entries", c->hex);
	if ((rc = parley_client_do(cl, "POST", target, "application/octet-stream", entry.data, entry.len, &status, &resp,
		     err)))
		goto out;
	if (status != 201) {
		rc = parley_client_problem(status, &resp, err);
		goto out;
	}
	json_t *j = json_loadb((const char *)resp.data, resp.len, 0, NULL);
	json_t *ix = json_object_get(j, "index");
	if (!json_is_integer(ix) || json_integer_value(ix) < 0) {
		json_decref(j);
		rc = parley_fail(err, PARLEY_E_IO, "the relay's answer has no index");
		goto out;
	}
	*index = (uint64_t)json_integer_value(ix);
	json_decref(j);
	mine->seq = h.seq;
	parley_entry_hash(entry.data, entry.len, mine->hash);
	node_outbox_tip(n, c, mine->seq, mine->hash); /* an entry queued before the next sync continues from here */
out:
	parley_buf_release(&entry);
	parley_buf_release(&resp);
	return rc;
}

/* GET a path and return the body of a 200 response. */
static parley_code get_ok(parley_client *cl, const char *target, parley_buf *resp, parley_err *err)
{
	long status = 0;
	parley_code rc = parley_client_do(cl, "GET", target, NULL, NULL, 0, &status, resp, err);
	if (rc)
		return rc;
	if (status != 200)
		return parley_client_problem(status, resp, err);
	return PARLEY_OK;
}

static parley_code get_proof(parley_client *cl, const char *target, uint8_t proof[][32], size_t *n, parley_err *err)
{
	parley_buf resp = PARLEY_BUF_INIT;
	json_t *j = NULL, *arr, *v;
	size_t i;
	parley_code rc;

	*n = 0;
	if ((rc = get_ok(cl, target, &resp, err)))
		goto out;
	j = json_loadb((const char *)resp.data, resp.len, 0, NULL);
	arr = json_object_get(j, "hashes");
	if (!json_is_array(arr) || json_array_size(arr) > PARLEY_MERKLE_MAX_PROOF) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "malformed proof from the relay");
		goto out;
	}
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);
		if (!s || parley_unhex(proof[i], 32, s, strlen(s))) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "malformed proof from the relay");
			goto out;
		}
	}
	*n = json_array_size(arr);
out:
	json_decref(j);
	parley_buf_release(&resp);
	return rc;
}

/*
 * The root that the relay's tree of cp->size has at size m, a power of two, with the
 * consistency proof from it: the relay's leaf m - 1 and its inclusion proof in that tree
 * give the perfect subtree [0, m) (its first log2(m) hashes are that leaf's left
 * siblings) and the path above it, which is the RFC 9162 consistency proof from m.
 * Everything is checked against the signed root; a relay that does not serve it gives
 * nothing.
 */
static parley_code prefix_by_inclusion(parley_client *cl, const struct node_channel *c, uint64_t m,
	const parley_checkpoint *cp, uint8_t root[32], uint8_t proof[][32], size_t *np, parley_err *err)
{
	char target[200];
	parley_buf resp = PARLEY_BUF_INIT;
	uint8_t path[PARLEY_MERKLE_MAX_PROOF][32], leaf[32], *data = NULL;
	size_t n = 0, len = 0, levels = (size_t)__builtin_ctzll(m);
	json_t *j = NULL, *e;
	parley_code rc;

	if (m == 0 || (m & (m - 1)) || m >= cp->size)
		return parley_fail(err, PARLEY_E_USAGE, "no inclusion route to the root at size %llu", (unsigned long long)m);
	snprintf(target, sizeof(target), "/v1/channels/%s/entries?from=%llu&limit=1", c->hex, (unsigned long long)(m - 1));
	if ((rc = get_ok(cl, target, &resp, err)))
		goto out;
	j = json_loadb((const char *)resp.data, resp.len, 0, NULL);
	e = json_array_get(json_object_get(j, "entries"), 0);
	const char *b64 = json_string_value(json_object_get(e, "entry"));
	json_t *jm = json_object_get(e, "integrated_ms");
	size_t blen = b64 ? strlen(b64) : 0;
	if (!b64 || blen > 2 * PARLEY_ENTRY_MAX_BYTES || !json_is_integer(jm) || json_integer_value(jm) < 0 ||
		json_integer_value(json_object_get(e, "index")) != (json_int_t)(m - 1) ||
		!(data = malloc(blen / 4 * 3 + 3)) || parley_unb64(data, blen / 4 * 3 + 3, &len, b64, blen)) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "entry %llu: malformed in the relay's answer", (unsigned long long)(m - 1));
		goto out;
	}
	parley_store_leaf_hash(leaf, data, len, (uint64_t)json_integer_value(jm));
	snprintf(target, sizeof(target), "/v1/channels/%s/proof/inclusion?index=%llu&size=%llu", c->hex,
		(unsigned long long)(m - 1), (unsigned long long)cp->size);
	if ((rc = get_proof(cl, target, path, &n, err)) ||
		(rc = parley_merkle_verify_inclusion(leaf, m - 1, cp->size, (const uint8_t(*)[32])path, n, cp->root, err)))
		goto out;
	if (n < levels) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "inclusion proof: too short");
		goto out;
	}
	memcpy(root, leaf, 32);
	for (size_t i = 0; i < levels; i++)
		parley_merkle_node_hash(root, path[i], root);
	*np = n - levels;
	memcpy(proof, path + levels, *np * 32);
	rc = parley_merkle_verify_consistency(m, cp->size, root, cp->root, (const uint8_t(*)[32])proof, *np, err);
out:
	free(data);
	json_decref(j);
	parley_buf_release(&resp);
	return rc;
}

/* Earlier entries for a fetch: those of this fetch, then the replica. */
struct fetch_look {
	const struct fetched *f;
	uint64_t from, upto; /* f holds [from, upto) so far */
	parley_admit_store st;
};

static parley_code fetch_lookup(void *ctx, uint64_t index, parley_entry_hdr *h, uint64_t *ms, parley_err *err)
{
	struct fetch_look *l = ctx;
	if (index >= l->from && index < l->upto) {
		*h = l->f[index - l->from].e.h;
		*ms = l->f[index - l->from].ms;
		return PARLEY_OK;
	}
	return parley_admit_store_lookup(&l->st, index, h, ms, err);
}

/*
 * Fetch one page of entries from index `from` (before `to`) from the relay, checking each as
 * it comes: at most max_entries and max_bytes of entry data (a single larger entry makes a
 * page alone). *got is how many; entries the relay sent past the page are dropped and
 * fetched with the next page.
 */
static parley_code fetch(parley_client *cl, struct node_channel *c, struct scan_ctx *sc, uint64_t from, uint64_t to,
	size_t max_entries, size_t max_bytes, struct fetched **out, size_t *got, parley_err *err)
{
	size_t cap = to - from < max_entries ? (size_t)(to - from) : max_entries;
	struct fetched *f = calloc(cap ? cap : 1, sizeof(*f));
	parley_buf resp = PARLEY_BUF_INIT;
	size_t bytes = 0;
	uint64_t k = from, end = from + cap;
	parley_code rc = PARLEY_OK;

	*got = 0;
	if (!f)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory for a page of %zu entries", cap);
	while (k < end && bytes < max_bytes) {
		char target[160];
		json_t *j, *arr, *v;
		size_t i;
		snprintf(target, sizeof(target), "/v1/channels/%s/entries?from=%llu&limit=%llu", c->hex,
			(unsigned long long)k, (unsigned long long)(end - k < 500 ? end - k : 500));
		if ((rc = get_ok(cl, target, &resp, err)))
			break;
		j = json_loadb((const char *)resp.data, resp.len, 0, NULL);
		arr = json_object_get(j, "entries");
		if (!json_is_array(arr) || json_array_size(arr) == 0) {
			json_decref(j);
			rc = parley_fail(err, PARLEY_E_VERIFY, "the relay did not return entry %llu (its checkpoint has %llu)",
				(unsigned long long)k, (unsigned long long)to);
			break;
		}
		json_array_foreach(arr, i, v) {
			json_t *ji = json_object_get(v, "index"), *jm = json_object_get(v, "integrated_ms"),
			       *je = json_object_get(v, "entry");
			struct fetched *x = &f[k - from];
			if (k >= end || bytes >= max_bytes)
				break;
			if (!json_is_integer(ji) || (uint64_t)json_integer_value(ji) != k) {
				rc = parley_fail(err, PARLEY_E_VERIFY, "the relay returned entry %lld where %llu was due",
					json_is_integer(ji) ? (long long)json_integer_value(ji) : -1LL,
					(unsigned long long)k);
				break;
			}
			const char *b64 = json_string_value(je);
			size_t blen = b64 ? strlen(b64) : 0, len = 0;
			if (!json_is_integer(jm) || json_integer_value(jm) < 0 || !b64 || blen > 2 * PARLEY_ENTRY_MAX_BYTES ||
				!(x->data = malloc(blen / 4 * 3 + 3)) ||
				parley_unb64(x->data, blen / 4 * 3 + 3, &len, b64, blen)) {
				rc = parley_fail(err, PARLEY_E_VERIFY, "entry %llu: malformed in the relay's answer",
					(unsigned long long)k);
				break;
			}
			if (k > from && len > max_bytes - bytes) { /* the next page's first entry */
				free(x->data);
				x->data = NULL;
				bytes = max_bytes;
				break;
			}
			x->index = k;
			x->ms = (uint64_t)json_integer_value(jm);
			x->len = len;
			bytes = len > max_bytes - bytes ? max_bytes : bytes + len;
			struct fetch_look look = { f, from, k, { sc->store, c->id, PARLEY_BUF_INIT } };
			struct node_charter_look clk = { sc->node, cl };
			rc = check_entry(c->charter, c->id, sc->chains, &sc->nchains, &sc->last_ms, k, x->ms, x->data, len, &x->e,
				fetch_lookup, &look, &sc->succ, &clk, err);
			parley_buf_release(&look.st.buf);
			if (rc || (rc = quota_step(c->charter, sc->chains, &sc->nchains, &x->e, k, x->ms, len, err)))
				break;
			k++;
		}
		json_decref(j);
		if (rc)
			break;
	}
	parley_buf_release(&resp);
	if (rc) {
		fetched_free(f, cap);
		return rc;
	}
	*out = f;
	*got = (size_t)(k - from);
	return PARLEY_OK;
}

/*
 * HOME/charters/HEX.paging holds the signed checkpoint a sync stores entries against,
 * written before its first page is stored and removed once the checkpoint is. The entries
 * stored beyond the last verified checkpoint are a prefix of its tree, so a resumed sync
 * holds the relay to it (rollback, fork and consistency checks) as to a verified one.
 */
static parley_code paging_load(parley_node *n, const struct node_channel *c, parley_buf *note, parley_checkpoint *cp)
{
	char path[1200];
	parley_code rc;
	if ((rc = channel_file(path, sizeof(path), n->home, c->hex, "paging", NULL)) ||
		(rc = parley_file_read(path, 64 * 1024, note, NULL)))
		return rc;
	return parley_checkpoint_check(c->charter, (const char *)note->data, note->len, cp, NULL, NULL);
}

static parley_code paging_save(parley_node *n, const struct node_channel *c, const parley_buf *note, parley_err *err)
{
	char path[1200];
	parley_code rc;
	if ((rc = channel_file(path, sizeof(path), n->home, c->hex, "paging", err)))
		return rc;
	return parley_file_write(path, note->data, note->len, 0600, false, err);
}

static void paging_clear(parley_node *n, const struct node_channel *c)
{
	char path[1200];
	if (channel_file(path, sizeof(path), n->home, c->hex, "paging", NULL) == PARLEY_OK)
		(void)unlink(path);
}

void parley_node_set_sync_page(parley_node *n, size_t entries, size_t bytes)
{
	if (entries)
		n->page_entries = entries;
	if (bytes)
		n->page_bytes = bytes;
}


struct hdr_ctx {
	parley_wf_entry *v;
	size_t n, cap;
};

static parley_code collect_hdr(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct hdr_ctx *c = ctx;
	parley_entry e;
	if (parley_entry_parse(data, len, &e, NULL))
		return PARLEY_E_FORMAT;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		parley_wf_entry *p = realloc(c->v, ncap * sizeof(*p));
		if (!p)
			return PARLEY_E_NOMEM;
		c->v = p;
		c->cap = ncap;
	}
	c->v[c->n].index = index;
	c->v[c->n].ms = ms;
	c->v[c->n].h = e.h;
	c->n++;
	return PARLEY_OK;
}

/* Every header of a channel's replica, in index order. */
static parley_code node_headers(parley_node *n, const uint8_t id[32], struct hdr_ctx *hc, parley_err *err)
{
	parley_code rc = parley_store_entries(n->store, id, 0, UINT64_MAX, collect_hdr, hc, err);
	if (rc == PARLEY_E_FORMAT || rc == PARLEY_E_NOMEM)
		rc = parley_fail(err, rc, rc == PARLEY_E_NOMEM ? "out of memory" : "replica: an entry does not parse");
	return rc;
}

parley_code parley_node_workflow(parley_node *n, const uint8_t id[32], uint64_t now_ms, parley_workflow *out,
	parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	struct hdr_ctx hc = { NULL, 0, 0 };
	parley_wf_input in = PARLEY_WF_INPUT_INIT;
	parley_buf note = PARLEY_BUF_INIT;
	parley_code rc;

	memset(out, 0, sizeof(*out));
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if ((rc = node_headers(n, id, &hc, err)))
		goto out;
	/* the cosignatures on the last verified checkpoint: each is its signer's view of the log */
	if (parley_store_checkpoint_get(n->store, id, 0, &note, NULL, NULL) == PARLEY_OK) {
		parley_checkpoint cp;
		bool cos[PARLEY_MAX_PARTIES] = { false };
		if (parley_checkpoint_check_times(c->charter, (const char *)note.data, note.len, &cp, cos, in.cosigned_ms,
			    NULL) == PARLEY_OK &&
			cp.size <= hc.n)
			for (size_t i = 0; i < parley_charter_nparties(c->charter) && i < PARLEY_MAX_PARTIES; i++)
				if (cos[i])
					in.cosigned_size[i] = cp.size;
	}
	in.ch = c->charter;
	in.v = hc.v;
	in.n = hc.n;
	in.whole_log = true;
	in.now_ms = now_ms;
	rc = parley_workflow_eval(&in, out, err);
out:
	free(hc.v);
	parley_buf_release(&note);
	return rc;
}

parley_code parley_node_threads(parley_node *n, const uint8_t id[32], uint64_t now_ms, parley_thread **out,
	size_t *nout, parley_err *err)
{
	parley_workflow wf;
	parley_code rc;

	*out = NULL;
	*nout = 0;
	if ((rc = parley_node_workflow(n, id, now_ms, &wf, err)))
		return rc;
	*out = wf.threads;
	*nout = wf.nthreads;
	wf.threads = NULL;
	parley_workflow_release(&wf);
	for (size_t i = 0; i < *nout; i++) /* the obligations stay with the workflow */
		(*out)[i].nobl = (*out)[i].ndlv = 0;
	return PARLEY_OK;
}

/* Names of a thread's participants other than ourselves, for addressing an answer. */
static size_t participants(const parley_charter *ch, const parley_thread *t, const uint8_t me[4], const char **names)
{
	size_t k = 0;
	const parley_party *p;
	if (memcmp(t->requester, me, 4) != 0 && (p = parley_charter_party_by_keyid(ch, t->requester)))
		names[k++] = p->key.name;
	for (unsigned i = 0; i < t->nrecip; i++)
		if (memcmp(t->recip[i], me, 4) != 0 && (p = parley_charter_party_by_keyid(ch, t->recip[i])))
			names[k++] = p->key.name;
	return k;
}

/* Whether an entry of this type answering ref in thread would be admitted now (the charter's wind-down). */
static bool admissible_now(parley_node *n, struct node_channel *c, uint8_t type, uint64_t thread, uint64_t ref)
{
	parley_entry_hdr h = { .type = type, .thread = thread, .nrefs = 1 };
	h.refs[0] = ref;
	return node_admit_now(n, c, &h, NULL) == PARLEY_OK;
}

/*
 * On every sync: record the deadlines the other side let pass in the threads we
 * opened. The workflow engine says which obligations are overdue by our clock;
 * one entry per thread records every deadline that passed unrecorded (its
 * integration time is then a witness for everyone).
 */
static parley_code record_deadlines(parley_node *n, struct node_channel *c, struct scan_ctx *sc, parley_client *cl,
	parley_sync_report *rep, parley_err *err)
{
	parley_workflow wf;
	uint64_t now = parley_now_ms();
	parley_code rc;

	if (!parley_charter_allows_type(c->charter, PARLEY_T_DEADLINE_MISSED))
		return PARLEY_OK;
	if ((rc = parley_node_workflow(n, c->id, now, &wf, err)))
		return rc;
	for (size_t i = 0; i < wf.nthreads && !rc; i++) {
		const parley_thread *t = &wf.threads[i];
		bool ack = false, resp = false;
		char who[PARLEY_ENTRY_MAX_RECIP * (PARLEY_NAME_MAX + 2) + 1] = "";
		size_t wl = 0;
		if (memcmp(t->requester, n->key->pub.keyid, 4) != 0 || t->closed_ms)
			continue;
		for (size_t k = t->obl_first; k < t->obl_first + t->nobl; k++) {
			const parley_obligation *o = &wf.obl[k];
			if (!o->overdue || o->recorded)
				continue;
			if (o->kind == PARLEY_OBL_ACKNOWLEDGE)
				ack = true;
			else
				resp = true;
			const char *nm = parley_charter_party_by_keyid(c->charter, o->party)->key.name;
			if (!strstr(who, nm) && wl + strlen(nm) + 3 < sizeof(who))
				wl += (size_t)snprintf(who + wl, sizeof(who) - wl, "%s%s", wl ? ", " : "", nm);
		}
		if ((!ack && !resp) || !admissible_now(n, c, PARLEY_T_DEADLINE_MISSED, t->opener, t->opener))
			continue;
		const char *what = ack && resp ? "acknowledge and respond" : ack ? "acknowledge" : "respond";
		uint64_t secs = ((resp ? t->respond_deadline_ms : t->ack_deadline_ms) - t->opened_ms) / 1000;
		const char *names[PARLEY_ENTRY_MAX_RECIP];
		size_t nn = participants(c->charter, t, n->key->pub.keyid, names);
		char text[PARLEY_ENTRY_MAX_RECIP * (PARLEY_NAME_MAX + 2) + 160];
		parley_buf pl = PARLEY_BUF_INIT;
		uint64_t ref = t->opener, idx;
		snprintf(text, sizeof(text), "deadline to %s within %llu s missed for entry %llu by %s", what,
			(unsigned long long)secs, (unsigned long long)t->opener, who);
		if ((rc = parley_payload_encode(text, NULL, &pl, err)))
			break;
		parley_post p = { PARLEY_T_DEADLINE_MISSED, t->opener, &ref, 1, t->category, -1, names, nn, pl.data, pl.len };
		rc = node_post_entry(n, c, sc, cl, &p, &idx, err);
		parley_buf_release(&pl);
		if (!rc)
			rep->deadlines_missed++;
	}
	parley_workflow_release(&wf);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static bool has_u64(const uint64_t *v, size_t n, uint64_t x)
{
	return n && bsearch(&x, v, n, sizeof(*v), cmp_u64) != NULL;
}

/*
 * The answered mark: every entry of the replica below it is answered (a receipt, a
 * ping answer, or an unreadable report for one that does not open), so a sync scans
 * from there. Answers always come after what they answer, so the scan still sees
 * every answer to what is above.
 * A sync killed before it moves the mark scans again from the old one.
 */
static uint64_t answered_mark(parley_node *n, const struct node_channel *c, uint64_t size)
{
	parley_buf b = PARLEY_BUF_INIT;
	char path[1200];
	uint64_t w = 0;
	if (channel_file(path, sizeof(path), n->home, c->hex, "answered", NULL) == PARLEY_OK &&
		parley_file_read(path, 32, &b, NULL) == PARLEY_OK && b.len)
		w = strtoull((const char *)b.data, NULL, 10);
	parley_buf_release(&b);
	return w <= size ? w : 0;
}

static void answered_mark_set(parley_node *n, const struct node_channel *c, uint64_t w)
{
	char path[1200], text[32];
	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)w);
	if (channel_file(path, sizeof(path), n->home, c->hex, "answered", NULL) == PARLEY_OK)
		(void)!parley_file_write(path, text, strlen(text), 0600, false, NULL); /* losing it costs a longer scan */
}

/*
 * Post the receipts, ping-responses and unreadable reports this party owes for
 * entries of the replica; note is the checkpoint this sync verified, which every
 * receipt carries. An entry addressed here either opens (a receipt) or does not
 * (one unreadable report to its sender, and no receipt or answer); our own
 * receipts and reports since the answered mark say which are still owed.
 */
static parley_code answer_owed(parley_node *n, struct node_channel *c, struct scan_ctx *sc, parley_client *cl,
	const parley_buf *note, parley_sync_report *rep, parley_err *err)
{
	struct hdr_ctx hc = { NULL, 0, 0 };
	uint64_t *receipted = NULL, *answered = NULL, *reported = NULL;
	size_t nr = 0, na = 0, nu = 0;
	parley_buf raw = PARLEY_BUF_INIT, pl = PARLEY_BUF_INIT, rpl = PARLEY_BUF_INIT, upl = PARLEY_BUF_INIT;
	const uint8_t *me = n->key->pub.keyid;
	parley_code rc;

	uint64_t size, from;
	if ((rc = parley_store_size(n->store, c->id, &size, err)))
		goto out;
	from = answered_mark(n, c, size);
	if ((rc = parley_store_entries(n->store, c->id, from, UINT64_MAX, collect_hdr, &hc, err)))
		goto out;
	/* every receipt carries the checkpoint this node verified last: its reader compares views */
	{
		json_t *o = json_pack("{s:s%}", "checkpoint", (const char *)note->data, note->len);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (s) /* else the receipts go without a view, as a writer may send them */
			rc = parley_buf_addstr(&rpl, s);
		free(s);
		json_decref(o);
		if (rc) {
			rc = parley_fail(err, rc, "out of memory");
			goto out;
		}
	}
	receipted = malloc((hc.n + 1) * sizeof(*receipted));
	answered = malloc((hc.n + 1) * sizeof(*answered));
	reported = malloc((hc.n + 1) * sizeof(*reported));
	if (!receipted || !answered || !reported) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < hc.n; i++) {
		const parley_entry_hdr *h = &hc.v[i].h;
		if (memcmp(h->sender, me, 4) != 0 || !h->nrefs)
			continue;
		if (h->type == PARLEY_T_RECEIPT)
			receipted[nr++] = h->refs[0];
		else if (h->type == PARLEY_T_PING_RESPONSE)
			answered[na++] = h->refs[0];
		else if (h->type == PARLEY_T_UNREADABLE)
			reported[nu++] = h->refs[0];
	}
	qsort(receipted, nr, sizeof(*receipted), cmp_u64);
	qsort(answered, na, sizeof(*answered), cmp_u64);
	qsort(reported, nu, sizeof(*reported), cmp_u64);
	for (size_t i = 0; i < hc.n; i++) {
		const parley_entry_hdr *h = &hc.v[i].h;
		uint64_t idx = hc.v[i].index, ref = idx, out_idx;
		parley_entry e;
		uint64_t ms;
		/* the automatic reports are not answered themselves; PSI has its own answers */
		if (memcmp(h->sender, me, 4) == 0 || h->type == PARLEY_T_RECEIPT || h->type == PARLEY_T_UNREADABLE ||
			h->type == PARLEY_T_HANDOVER || parley_type_is_psi(h->type))
			continue;
		bool for_me = false;
		for (unsigned k = 0; k < h->nrecip; k++)
			if (memcmp(h->recip[k], me, 4) == 0)
				for_me = true;
		if (!for_me || has_u64(reported, nu, idx))
			continue;
		bool owe_receipt = !has_u64(receipted, nr, idx) && parley_charter_allows_type(c->charter, PARLEY_T_RECEIPT);
		bool owe_answer = h->type == PARLEY_T_PING && !has_u64(answered, na, idx) &&
			parley_charter_allows_type(c->charter, PARLEY_T_PING_RESPONSE);
		/* not yet receipted: it opens (a receipt is owed) or not (a report is) */
		bool may_report = !has_u64(receipted, nr, idx) && parley_charter_allows_type(c->charter, PARLEY_T_UNREADABLE);
		/* after the charter expired, only what the wind-down admits is owed (receipts and reports alike) */
		if ((owe_receipt || may_report) &&
			!admissible_now(n, c, PARLEY_T_RECEIPT, parley_type_opens_thread(h->type) ? idx : h->thread, idx))
			owe_receipt = may_report = false;
		if (owe_answer && !admissible_now(n, c, PARLEY_T_PING_RESPONSE, idx, idx))
			owe_answer = false;
		if (!owe_receipt && !owe_answer && !may_report)
			continue;
		if ((rc = parley_store_entry(n->store, c->id, idx, &raw, &ms, err)) ||
			(rc = parley_entry_parse(raw.data, raw.len, &e, err)))
			goto out;
		const parley_party *snd = parley_charter_party_by_keyid(c->charter, h->sender);
		const char *to[1] = { snd->key.name };
		uint64_t thread = parley_type_opens_thread(h->type) ? idx : h->thread;
		parley_err oerr = { 0 };
		if (parley_entry_open(&e, n->key, &pl, NULL, &oerr)) {
			/* the sender's word is that it sealed the content key to us: say on the record that it does not open */
			if (!may_report)
				continue;
			char text[sizeof(oerr.msg) + PARLEY_NAME_MAX + 80];
			snprintf(text, sizeof(text), "entry %llu from %s could not be opened by %s's node (%s)",
				(unsigned long long)idx, snd->key.name, n->key->pub.name, oerr.msg);
			if ((rc = parley_payload_encode(text, NULL, &upl, err)))
				goto out;
			parley_post p = { PARLEY_T_UNREADABLE, thread, &ref, 1, h->category, h->tlp, to, 1, upl.data, upl.len };
			if ((rc = node_post_entry(n, c, sc, cl, &p, &out_idx, err))) {
				parley_wrap(err, rc, "reporting entry %llu unreadable", (unsigned long long)idx);
				goto out;
			}
			rep->unreadable_reported++;
			continue;
		}
		/* a receipt says: received and decrypted */
		if (owe_receipt) {
			parley_post p = { PARLEY_T_RECEIPT, thread, &ref, 1, h->category, h->tlp, to, 1,
				rpl.len ? rpl.data : NULL, rpl.len };
			if ((rc = node_post_entry(n, c, sc, cl, &p, &out_idx, err))) {
				parley_wrap(err, rc, "sending a receipt for entry %llu", (unsigned long long)idx);
				goto out;
			}
			rep->receipts++;
		}
		if (owe_answer) { /* a ping is answered at once, on the record */
			parley_post p = { PARLEY_T_PING_RESPONSE, idx, &ref, 1, h->category, h->tlp, to, 1, NULL, 0 };
			if ((rc = node_post_entry(n, c, sc, cl, &p, &out_idx, err))) {
				parley_wrap(err, rc, "answering ping %llu", (unsigned long long)idx);
				goto out;
			}
			rep->pings_answered++;
		}
	}
	answered_mark_set(n, c, size);
	rc = PARLEY_OK;
out:
	free(hc.v);
	free(receipted);
	free(answered);
	free(reported);
	parley_buf_release(&raw);
	parley_buf_release(&pl);
	parley_buf_release(&rpl);
	parley_buf_release(&upl);
	return rc;
}

/*
 * The relay was caught: keep portable evidence (both signed checkpoints, and the
 * proof it served) and stop trusting it for this channel until an operator acts.
 * The file states whether it is a proof ("standing": "proof", what check-evidence
 * accepts: two signed trees that contradict each other) or a suspicion (what this
 * node saw, which the checkpoints alone do not prove: a rollback, a proof that does
 * not verify); the node halts on both, as it cannot go on, but says which it is.
 */
void node_halt(parley_node *n, struct node_channel *c, const char *kind, const parley_buf *old_note,
	const parley_buf *new_note, const uint8_t (*proof)[32], size_t np, const uint8_t *prefix_root, parley_err *err)
{
	char path[1200], marker[1200], rel[160];
	parley_buf charter = PARLEY_BUF_INIT, rep = PARLEY_BUF_INIT;
	json_t *cj = NULL, *doc, *pr = json_array();
	uint64_t now = parley_now_ms();
	bool proven = false;

	for (size_t i = 0; i < np; i++) {
		char hex[65];
		parley_hex(hex, proof[i], 32);
		json_array_append_new(pr, json_string(hex));
	}
	if (parley_store_channel_charter(n->store, c->id, &charter, NULL) == PARLEY_OK)
		cj = json_loadb((const char *)charter.data, charter.len, 0, NULL);
	doc = json_pack("{s:i, s:s, s:o?, s:[s%, s%], s:o, s:s}", "parley_evidence", 1, "kind", kind, "charter", cj,
		"checkpoints", old_note->data ? (const char *)old_note->data : "", old_note->len,
		(const char *)new_note->data, new_note->len, "consistency_proof", pr, "detail", err ? err->msg : kind);
	parley_buf_release(&charter);
	if (doc && prefix_root) {
		char hex[65];
		parley_hex(hex, prefix_root, 32);
		json_object_set_new(doc, "prefix_root", json_string(hex));
	}
	/* the label is what an offline check of this very file finds */
	char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	proven = s && parley_evidence_check(s, strlen(s), &rep, NULL) == PARLEY_OK;
	parley_buf_release(&rep);
	free(s);
	if (doc)
		json_object_set_new(doc, "standing", json_string(proven ? "proof" : "suspicion"));
	snprintf(rel, sizeof(rel), "evidence-%.16s-%llu.json", c->hex, (unsigned long long)now);
	s = doc ? json_dumps(doc, JSON_INDENT(1)) : NULL;
	json_decref(doc);
	if (s && path_in(path, sizeof(path), n->home, rel, NULL) == PARLEY_OK &&
		parley_file_write(path, s, strlen(s), 0644, false, NULL) == PARLEY_OK) {
		snprintf(c->halted, sizeof(c->halted), "%s, %s at %llu ms; %s in %s", kind,
			proven ? "proven" : "suspected but not proven", (unsigned long long)now,
			proven ? "proof" : "observation", path);
		if (channel_file(marker, sizeof(marker), n->home, c->hex, "halted", NULL) == PARLEY_OK &&
			parley_file_write(marker, c->halted, strlen(c->halted), 0600, false, NULL) == PARLEY_OK && err) {
			if (proven)
				parley_wrap(err, err->code, "RELAY MISBEHAVIOUR, PROVEN; this node now refuses the relay for "
					"this channel (proof: %s)", path);
			else
				parley_wrap(err, err->code, "SUSPECTED RELAY MISBEHAVIOUR (a suspicion, not a proof); this node "
					"now refuses the relay for this channel (observation: %s)", path);
		}
	}
	free(s);
}

/*
 * A receipt carries the checkpoint its writer's node verified before writing it, so
 * it is integrated after that tree: our verified log, which holds the receipt, must
 * have the same root at that size. If not, the relay showed the two of us different
 * histories (G4), and both checkpoints carry its signature.
 */
static parley_code compare_views(parley_node *n, struct node_channel *c, const parley_buf *note,
	const parley_checkpoint *cp, uint64_t index, const parley_entry *e, const parley_buf *pl, parley_err *err)
{
	parley_payload p;
	parley_checkpoint theirs;
	uint8_t mine[32], proof[PARLEY_MERKLE_MAX_PROOF][32];
	size_t np = 0;
	parley_code rc = PARLEY_OK;
	const parley_party *who = parley_charter_party_by_keyid(c->charter, e->h.sender);

	/* a receipt without a view is allowed, and one whose checkpoint lacks the relay's signature
	 * or postdates the receipt is only its writer's word: neither helps */
	if (parley_payload_decode(pl->data, pl->len, &p, NULL) || !p.checkpoint)
		goto out;
	parley_buf tb = { .data = (uint8_t *)p.checkpoint, .len = strlen(p.checkpoint) };
	if (parley_checkpoint_check(c->charter, p.checkpoint, tb.len, &theirs, NULL, NULL) != PARLEY_OK ||
		theirs.size > index || theirs.size == 0)
		goto out;
	if ((rc = parley_store_root(n->store, c->id, theirs.size, mine, err)) || sodium_memcmp(mine, theirs.root, 32) == 0)
		goto out;
	if (theirs.size < cp->size &&
		(rc = parley_store_consistency(n->store, c->id, theirs.size, cp->size, proof, &np, err)))
		goto out;
	rc = parley_fail(err, PARLEY_E_VERIFY,
		"the receipt at %llu from %s holds a checkpoint of size %llu signed by the relay whose root is not the one "
		"this node verified at that size: the relay shows different histories to different parties (split view)",
		(unsigned long long)index, who ? who->key.name : "?", (unsigned long long)theirs.size);
	node_halt(n, c, "split view", &tb, note, (const uint8_t(*)[32])proof, np, mine, err);
out:
	parley_payload_release(&p);
	return rc;
}

/* Verify and store one fetched page [k, k + got): its root at k + got must be in the signed tree. */
static parley_code store_page(parley_node *n, struct node_channel *c, parley_client *cl, parley_merkle_frontier *fr,
	const parley_checkpoint *cp, uint64_t k, const struct fetched *f, size_t got, parley_err *err)
{
	uint8_t root[32], proof[PARLEY_MERKLE_MAX_PROOF][32];
	uint64_t end = k + got;
	size_t np = 0;
	char target[200];
	parley_store_item *items;
	parley_code rc;

	for (size_t i = 0; i < got; i++) {
		uint8_t h[32];
		parley_store_leaf_hash(h, f[i].data, f[i].len, f[i].ms);
		if (parley_merkle_frontier_append(fr, h, NULL, NULL))
			return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	}
	parley_merkle_frontier_root(fr, root);
	/* the last page ends at the signed size; an earlier one is a prefix of the signed tree
	 * exactly when a consistency proof from its size leads to the signed root (RFC 9162) */
	if (end < cp->size) {
		snprintf(target, sizeof(target), "/v1/channels/%s/proof/consistency?old=%llu&size=%llu", c->hex,
			(unsigned long long)end, (unsigned long long)cp->size);
		if ((rc = get_proof(cl, target, proof, &np, err)))
			return rc;
	}
	if (end < cp->size ? parley_merkle_verify_consistency(end, cp->size, root, cp->root, (const uint8_t(*)[32])proof,
				    np, NULL) != PARLEY_OK :
			     sodium_memcmp(root, cp->root, 32) != 0)
		return parley_fail(err, PARLEY_E_VERIFY,
			"entries %llu..%llu from the relay do not match the root its checkpoint signs (altered, dropped or reordered entries)",
			(unsigned long long)k, (unsigned long long)end - 1);
	if (!(items = calloc(got, sizeof(*items))))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	for (size_t i = 0; i < got; i++) {
		items[i].data = f[i].data;
		items[i].len = f[i].len;
		items[i].integrated_ms = f[i].ms;
	}
	rc = parley_store_append(n->store, c->id, items, got, NULL, NULL, err);
	free(items);
	return rc;
}

/*
 * What is new and addressed to us must decrypt; receipts show us their writer's view.
 * Read back from the replica once every page is stored (a split-view proof reaches the
 * verified size), from the last verified checkpoint on: a sync killed between pages
 * looks at the pages it stored when it resumes.
 */
static parley_code look_at_new(parley_node *n, struct node_channel *c, const parley_buf *note,
	const parley_checkpoint *cp, uint64_t from, parley_sync_report *rep, parley_err *err)
{
	parley_buf raw = PARLEY_BUF_INIT, pl = PARLEY_BUF_INIT;
	parley_code rc = PARLEY_OK;

	for (uint64_t i = from; i < cp->size && !rc; i++) {
		parley_entry e;
		uint64_t ms;
		if ((rc = parley_store_entry(n->store, c->id, i, &raw, &ms, err)))
			break;
		if ((rc = parley_entry_parse(raw.data, raw.len, &e, err))) {
			rc = parley_wrap(err, PARLEY_E_VERIFY, "replica entry %llu", (unsigned long long)i);
			break;
		}
		if (parley_entry_recipient_index(&e, n->key->pub.keyid) < 0 || memcmp(e.h.sender, n->key->pub.keyid, 4) == 0)
			continue;
		parley_buf_reset(&pl);
		bool opened = parley_entry_open(&e, n->key, &pl, NULL, NULL) == PARLEY_OK;
		if (e.h.type != PARLEY_T_RECEIPT) {
			if (!opened)
				rep->undecryptable++;
			else if (e.h.type != PARLEY_T_UNREADABLE) /* a report on our own entry is no news */
				rep->received++;
		} else if (opened) {
			rc = compare_views(n, c, note, cp, i, &e, &pl, err);
		}
	}
	parley_buf_release(&raw);
	parley_buf_release(&pl);
	return rc;
}

parley_code node_do_sync(parley_node *n, struct node_channel *c, parley_client *cl, struct scan_ctx *sc,
	parley_sync_report *rep, parley_err *err)
{
	parley_buf note = PARLEY_BUF_INIT, stored = PARLEY_BUF_INIT, line = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	parley_buf pnote = PARLEY_BUF_INIT;
	parley_checkpoint cp, vcp, pcp;
	uint64_t L, V = 0, V0, vsize = 0;
	uint8_t proof[PARLEY_MERKLE_MAX_PROOF][32];
	size_t np;
	struct fetched *f = NULL;
	size_t got = 0;
	char target[200];
	parley_code rc;

	memset(rep, 0, sizeof(*rep));
	memset(&vcp, 0, sizeof(vcp));
	if (c->halted[0])
		return parley_fail(err, PARLEY_E_VERIFY,
			"this node stopped trusting the relay of channel %.16s: %s (run 'parley resume' after investigating)",
			c->hex, c->halted);
	if ((rc = load_chains(n, c, sc, false, err)))
		return parley_wrap(err, rc, "the local replica does not verify");
	if ((rc = parley_store_size(n->store, c->id, &L, err)))
		return rc;
	rep->old_size = rep->new_size = L;
	/* the last checkpoint this node verified */
	rc = parley_store_checkpoint_get(n->store, c->id, 0, &stored, &vsize, err);
	if (rc == PARLEY_OK) {
		if ((rc = check_checkpoint(c, (const char *)stored.data, stored.len, &vcp, err)))
			goto out;
		V = vcp.size;
	} else if (rc != PARLEY_E_NOTFOUND) {
		goto out;
	}
	V0 = V;
	/* a paged sync killed half-way: the checkpoint its stored pages are a prefix of binds the relay */
	if (paging_load(n, c, &pnote, &pcp) == PARLEY_OK && pcp.size > V && pcp.size >= L) {
		parley_buf tmp = stored;
		stored = pnote;
		pnote = tmp;
		vcp = pcp;
		V = pcp.size;
	}

	snprintf(target, sizeof(target), "/v1/channels/%s/checkpoint", c->hex);
	if ((rc = get_ok(cl, target, &note, err)) || (rc = check_checkpoint(c, (const char *)note.data, note.len, &cp, err)))
		goto out;
	if (cp.size < V || cp.size < L) {
		/* a shorter log is a proof only when its root is not the one our verified tree has at its size
		 * (our replica gives that root and the consistency proof to the tree the relay signed before) */
		uint8_t mine[32];
		bool split = cp.size >= 1 && cp.size < V &&
			parley_store_root(n->store, c->id, cp.size, mine, NULL) == PARLEY_OK &&
			sodium_memcmp(mine, cp.root, 32) != 0 &&
			parley_store_consistency(n->store, c->id, cp.size, V, proof, &np, NULL) == PARLEY_OK;
		if (split)
			rc = parley_fail(err, PARLEY_E_VERIFY,
				"the relay's checkpoint has %llu entries, fewer than the %llu this node verified, and a root "
				"that is not the verified tree's at that size: it shows different histories (split view)",
				(unsigned long long)cp.size, (unsigned long long)V);
		else
			rc = parley_fail(err, PARLEY_E_VERIFY,
				"the relay's checkpoint has %llu entries, fewer than the %llu this node verified: the relay "
				"rolled its log back",
				(unsigned long long)cp.size, (unsigned long long)(V > L ? V : L));
		node_halt(n, c, split ? "split view" : "rollback", &stored, &note, split ? (const uint8_t(*)[32])proof : NULL,
			split ? np : 0, split ? mine : NULL, err);
		goto out;
	}
	if (V && cp.size == V && sodium_memcmp(cp.root, vcp.root, 32) != 0) {
		rc = parley_fail(err, PARLEY_E_VERIFY,
			"the relay signed two different roots for size %llu: it shows different histories (split view)",
			(unsigned long long)V);
		node_halt(n, c, "fork", &stored, &note, NULL, 0, NULL, err);
		goto out;
	}
	if (V && cp.size > V) {
		snprintf(target, sizeof(target), "/v1/channels/%s/proof/consistency?old=%llu&size=%llu", c->hex,
			(unsigned long long)V, (unsigned long long)cp.size);
		if ((rc = get_proof(cl, target, proof, &np, err)))
			goto out;
		if (parley_merkle_verify_consistency(V, cp.size, vcp.root, cp.root, (const uint8_t(*)[32])proof, np, NULL)) {
			/* the proof may still lead to the new root from another root at size V (it carries that root
			 * when V is not a power of two): then the relay's own proof shows its trees disagree */
			uint8_t theirs[32], ip[PARLEY_MERKLE_MAX_PROOF][32];
			size_t nip = 0;
			bool split = parley_merkle_consistency_old_root(V, cp.size, cp.root, (const uint8_t(*)[32])proof, np,
					     theirs, NULL) == PARLEY_OK &&
				sodium_memcmp(theirs, vcp.root, 32) != 0, by_inclusion = false, same = false;
			/* at a power of two the proof does not carry that root: the relay's entry V - 1 and its
			 * inclusion proof give it, with a proof that verifies (two requests, made only here) */
			if (!split && (V & (V - 1)) == 0 &&
				prefix_by_inclusion(cl, c, V, &cp, theirs, ip, &nip, NULL) == PARLEY_OK) {
				split = by_inclusion = sodium_memcmp(theirs, vcp.root, 32) != 0;
				same = !split;
			}
			if (split)
				rc = parley_fail(err, PARLEY_E_VERIFY,
					"the relay's checkpoint of size %llu is not a consistent extension of the verified size "
					"%llu: its own %s proof gives another root at that size (history was rewritten)",
					(unsigned long long)cp.size, (unsigned long long)V, by_inclusion ? "inclusion" : "consistency");
			else
				rc = parley_fail(err, PARLEY_E_VERIFY,
					"the relay's checkpoint of size %llu is not a consistent extension of the verified size "
					"%llu: the consistency proof it served does not verify (%s)",
					(unsigned long long)cp.size, (unsigned long long)V,
					same ? "yet its inclusion proof shows the verified tree at that size: the proof alone is wrong"
					     : "history may have been rewritten");
			node_halt(n, c, split ? "split view" : "inconsistent", &stored, &note,
				(const uint8_t(*)[32])(by_inclusion ? ip : proof), by_inclusion ? nip : np, split ? theirs : NULL, err);
			goto out;
		}
	}

	/* fetch, verify and store page by page: memory stays bounded and each stored page is kept */
	if (cp.size > L) {
		struct src_ctx sx = { n->store, c->id };
		parley_merkle_src src = { &sx, src_node };
		parley_merkle_frontier fr;
		uint64_t k = L;
		if ((rc = parley_merkle_frontier_load(&fr, &src, L, err)))
			goto out;
		while (k < cp.size) {
			if ((rc = fetch(cl, c, sc, k, cp.size, n->page_entries, n->page_bytes, &f, &got, err)))
				goto out;
			rep->fetched += got;
			/* a sync killed before the checkpoint is stored keeps what its pages were checked against */
			if (k == L && (rc = paging_save(n, c, &note, err)))
				goto out;
			if ((rc = store_page(n, c, cl, &fr, &cp, k, f, got, err)))
				goto out;
			fetched_free(f, got);
			f = NULL;
			k += got;
			rep->pages++;
		}
	}
	if ((rc = parley_store_checkpoint_put(n->store, c->id, cp.size, (const char *)note.data, note.len, err)))
		goto out;
	paging_clear(n, c);
	rep->new_size = cp.size;

	if ((rc = look_at_new(n, c, &note, &cp, V0 < L ? V0 : L, rep, err)))
		goto out;
	/* receipts and ping answers owed, from the whole replica: a sync killed half-way owes them still.
	 * An auditor writes nothing (the relay refuses it): it only verifies and cosigns. */
	if (!node_is_auditor(n, c)) {
		/* first what waits in the outbox (composed while the relay was unreachable), in order */
		struct chain *mine = chain_of(sc->chains, &sc->nchains, n->key->pub.keyid);
		if (mine && (rc = node_outbox_flush(n, c, mine, cl, &rep->outbox_sent, err)))
			goto out;
		if ((rc = answer_owed(n, c, sc, cl, &note, rep, err)) || (rc = node_psi_auto(n, c, sc, cl, rep, err)))
			goto out;
		if ((rc = record_deadlines(n, c, sc, cl, rep, err)))
			goto out;
	}

	/* cosign what we verified */
	{
		const char *blank = strstr((const char *)note.data, "\n\n");
		size_t tl = (size_t)(blank - (const char *)note.data) + 1;
		json_t *body;
		char *s;
		long status = 0;
		if ((rc = parley_note_cosign_line((const char *)note.data, tl, n->key, (uint64_t)time(NULL), &line, err)))
			goto out;
		body = json_pack("{s:I, s:s}", "size", (json_int_t)cp.size, "line", (const char *)line.data);
		s = json_dumps(body, JSON_COMPACT);
		json_decref(body);
		snprintf(target, sizeof(target), "/v1/channels/%s/cosignatures", c->hex);
		rc = parley_client_do(cl, "POST", target, "application/json", (const uint8_t *)s, strlen(s), &status, &resp,
			err);
		free(s);
		if (rc)
			goto out;
		if (status != 201) {
			rc = parley_client_problem(status, &resp, err);
			goto out;
		}
		if ((rc = parley_store_cosig_put(n->store, c->id, cp.size, n->key->pub.name, (const char *)line.data, err)))
			goto out;
		rep->cosigned = true;
	}
	rc = PARLEY_OK;
out:
	if (f)
		fetched_free(f, got);
	parley_buf_release(&note);
	parley_buf_release(&pnote);
	parley_buf_release(&stored);
	parley_buf_release(&line);
	parley_buf_release(&resp);
	return rc;
}

parley_code node_client(parley_node *n, const struct node_channel *c, parley_client *cl, parley_err *err)
{
	parley_code rc = parley_client_init(cl, c->relay, n->key, err);
	if (!rc)
		snprintf(cl->ca_file, sizeof(cl->ca_file), "%s", c->ca);
	return rc;
}

parley_code parley_node_sync(parley_node *n, const uint8_t id[32], parley_sync_report *rep, parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	struct scan_ctx *sc;
	parley_client cl;
	parley_code rc;

	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if (!(sc = malloc(sizeof(*sc))))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	if (!(rc = node_client(n, c, &cl, err)))
		rc = node_do_sync(n, c, &cl, sc, rep, err);
	parley_client_release(&cl);
	free(sc);
	return rc;
}

parley_code parley_node_post(parley_node *n, const uint8_t id[32], const parley_post *p, uint64_t *index,
	parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	struct scan_ctx *sc;
	parley_sync_report rep;
	parley_client cl;
	parley_code rc;

	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if (!(sc = malloc(sizeof(*sc))))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	/* a sync first: our chain must continue from our last entry in the log, and the checks see the latest */
	if (!(rc = node_client(n, c, &cl, err)) && !(rc = node_do_sync(n, c, &cl, sc, &rep, err)) &&
		!(rc = parley_node_check_post(n, id, p, err)))
		rc = node_post_entry(n, c, sc, &cl, p, index, err);
	if (rc == PARLEY_E_IO && n->outbox && !(rc = parley_node_check_post(n, id, p, err)))
		rc = node_outbox_queue(n, c, p, index, err); /* the relay cannot be reached: into the outbox */
	parley_client_release(&cl);
	free(sc);
	return rc;
}

/* ---- reading the replica ---- */

parley_code parley_node_entry_get(parley_node *n, const uint8_t id[32], uint64_t index, parley_node_entry *out,
	parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	parley_code rc;

	memset(out, 0, sizeof(*out));
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	out->index = index;
	if ((rc = parley_store_entry(n->store, id, index, &out->raw, &out->integrated_ms, err)))
		return rc;
	if ((rc = parley_entry_parse(out->raw.data, out->raw.len, &out->e, err)))
		return parley_wrap(err, rc, "replica entry %llu", (unsigned long long)index);
	out->sender = parley_charter_party_by_keyid(c->charter, out->e.h.sender);
	out->for_me = parley_entry_recipient_index(&out->e, n->key->pub.keyid) >= 0;
	if (out->for_me && parley_entry_open(&out->e, n->key, &out->payload, NULL, NULL) == PARLEY_OK)
		out->opened = true;
	return PARLEY_OK;
}

void parley_node_entry_release(parley_node_entry *e)
{
	parley_buf_release(&e->raw);
	parley_buf_release(&e->payload);
}

parley_code parley_node_verify(parley_node *n, const uint8_t id[32], uint64_t *entries, parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	struct scan_ctx *sc;
	parley_buf note = PARLEY_BUF_INIT;
	parley_checkpoint cp;
	uint8_t root[32];
	uint64_t size, paged = UINT64_MAX;
	parley_code rc;

	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if ((rc = parley_charter_verify(c->charter, err)))
		return parley_wrap(err, rc, "charter");
	if ((rc = parley_store_check(n->store, id, err)))
		return parley_wrap(err, rc, "replica tree");
	if (!(sc = malloc(sizeof(*sc))))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	rc = load_chains(n, c, sc, true, err);
	if (entries)
		*entries = sc->count;
	free(sc);
	if (rc)
		return rc;
	if ((rc = parley_store_size(n->store, id, &size, err)))
		return rc;
	/* a paged sync killed half-way stored pages past the last checkpoint, against this one */
	{
		parley_checkpoint pcp;
		if (paging_load(n, c, &note, &pcp) == PARLEY_OK && pcp.size >= size)
			paged = size;
		parley_buf_reset(&note);
	}
	rc = parley_store_checkpoint_get(n->store, id, 0, &note, NULL, err);
	if (rc == PARLEY_E_NOTFOUND) {
		parley_buf_release(&note);
		return size == 0 || paged == size ? PARLEY_OK :
						    parley_fail(err, PARLEY_E_VERIFY, "replica has entries but no checkpoint");
	}
	if (!rc)
		rc = check_checkpoint(c, (const char *)note.data, note.len, &cp, err);
	parley_buf_release(&note);
	if (rc)
		return rc;
	if (cp.size > size)
		return parley_fail(err, PARLEY_E_VERIFY, "the verified checkpoint has %llu entries, the replica %llu",
			(unsigned long long)cp.size, (unsigned long long)size);
	if ((rc = parley_store_root(n->store, id, cp.size, root, err)))
		return rc;
	if (sodium_memcmp(root, cp.root, 32) != 0)
		return parley_fail(err, PARLEY_E_VERIFY, "the replica's root at size %llu is not the one the relay signed",
			(unsigned long long)cp.size);
	return PARLEY_OK;
}

/* ---- proofs ---- */

struct add_ctx {
	json_t *arr;
	parley_store *s;
	const uint8_t *id;
	uint64_t size;
	parley_err *err;
};

static parley_code add_entry(struct add_ctx *a, uint64_t index)
{
	parley_buf b = PARLEY_BUF_INIT;
	uint64_t ms;
	uint8_t proof[PARLEY_MERKLE_MAX_PROOF][32];
	size_t np;
	char *b64;
	parley_code rc;

	if ((rc = parley_store_entry(a->s, a->id, index, &b, &ms, a->err)) ||
		(rc = parley_store_inclusion(a->s, a->id, index, a->size, proof, &np, a->err))) {
		parley_buf_release(&b);
		return rc;
	}
	if (!(b64 = malloc(parley_b64_len(b.len)))) {
		parley_buf_release(&b);
		return parley_fail(a->err, PARLEY_E_NOMEM, "out of memory");
	}
	parley_b64(b64, b.data, b.len);
	json_t *hs = json_array();
	for (size_t i = 0; i < np; i++) {
		char hex[65];
		parley_hex(hex, proof[i], 32);
		json_array_append_new(hs, json_string(hex));
	}
	json_array_append_new(a->arr, json_pack("{s:I, s:I, s:s, s:o}", "index", (json_int_t)index, "integrated_ms",
					      (json_int_t)ms, "entry", b64, "inclusion", hs));
	free(b64);
	parley_buf_release(&b);
	return PARLEY_OK;
}

/* Is the entry at index in the bundle already? (The list is small: linear.) */
static bool has_index(const uint64_t *v, size_t n, uint64_t x)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static int cmp_idx(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

struct idxset {
	uint64_t *v;
	size_t n, cap;
};

static parley_code idx_add(struct idxset *s, uint64_t x, parley_err *err)
{
	if (has_index(s->v, s->n, x))
		return PARLEY_OK;
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		uint64_t *p = realloc(s->v, ncap * sizeof(*p));
		if (!p)
			return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		s->v = p;
		s->cap = ncap;
	}
	s->v[s->n++] = x;
	return PARLEY_OK;
}

/* A signed-read object for the bundle, or NULL. */
static json_t *read_json(const parley_charter *ch, const parley_signed_read *r)
{
	const parley_party *p = parley_charter_party_by_keyid(ch, r->keyid);
	if (!p)
		return NULL;
	return json_pack("{s:s, s:I, s:s, s:I, s:s, s:s}", "party", p->key.name, "from", (json_int_t)r->from, "target",
		r->target, "time_ms", (json_int_t)r->time_ms, "nonce", r->nonce, "signature", r->sig);
}

/* A further checkpoint the party cosigned, with the consistency proof to ours; NULL when the relay has none. */
static json_t *cosigned_json(parley_client *cl, const struct node_channel *c, const parley_checkpoint *cp,
	const uint8_t party[4], uint64_t min_size, uint64_t *size, uint64_t *at_ms)
{
	parley_buf note = PARLEY_BUF_INIT;
	parley_checkpoint x;
	bool cos[PARLEY_MAX_PARTIES] = { false };
	uint64_t tms[PARLEY_MAX_PARTIES] = { 0 };
	json_t *out = NULL, *hs = NULL;
	const parley_party *pp = parley_charter_party_by_keyid(c->charter, party);
	size_t pi = pp ? (size_t)(pp - parley_charter_party_at(c->charter, 0)) : 0;

	if (!pp || parley_remote_checkpoint_cosigned(cl, c->hex, party, min_size, &note, NULL) ||
		parley_checkpoint_check_times(c->charter, (const char *)note.data, note.len, &x, cos, tms, NULL) || !cos[pi] ||
		x.size < min_size || x.size > cp->size)
		goto out;
	if (!(hs = json_array()))
		goto out;
	if (x.size < cp->size) {
		uint8_t proof[PARLEY_MERKLE_MAX_PROOF][32];
		size_t np = 0;
		char target[200];
		snprintf(target, sizeof(target), "/v1/channels/%s/proof/consistency?old=%llu&size=%llu", c->hex,
			(unsigned long long)x.size, (unsigned long long)cp->size);
		if (get_proof(cl, target, proof, &np, NULL) ||
			parley_merkle_verify_consistency(x.size, cp->size, x.root, cp->root, (const uint8_t(*)[32])proof, np,
				NULL))
			goto out;
		for (size_t i = 0; i < np; i++) {
			char hex[65];
			parley_hex(hex, proof[i], 32);
			json_array_append_new(hs, json_string(hex));
		}
	} else if (sodium_memcmp(x.root, cp->root, 32) != 0) {
		goto out;
	}
	out = json_pack("{s:s%, s:O}", "checkpoint", (const char *)note.data, note.len, "consistency", hs);
	*size = x.size;
	*at_ms = tms[pi];
out:
	json_decref(hs);
	parley_buf_release(&note);
	return out;
}

parley_code parley_node_prove(parley_node *n, const uint8_t id[32], uint64_t subject, bool reveal, parley_buf *out,
	parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	parley_buf note = PARLEY_BUF_INIT, fresh = PARLEY_BUF_INIT, charter = PARLEY_BUF_INIT, raw = PARLEY_BUF_INIT;
	parley_checkpoint cp, cp2;
	parley_workflow wf = PARLEY_WORKFLOW_INIT;
	const parley_thread *t = NULL;
	struct hdr_ctx hc = { NULL, 0, 0 };
	struct idxset set = { NULL, 0, 0 };
	uint64_t range_to;
	json_t *doc = NULL, *cj = NULL, *arr = NULL, *cosigned = NULL, *reads = NULL;
	parley_err sync_err = { 0 };
	parley_client cl;
	bool online = false;
	bool cos[PARLEY_MAX_PARTIES] = { false };
	uint64_t cos_ms[PARLEY_MAX_PARTIES] = { 0 };
	parley_code rc;

	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	/* bring the replica up to date when the relay answers; a proof can also be made offline */
	{
		parley_sync_report rep;
		rc = parley_node_sync(n, id, &rep, &sync_err);
		if (rc && rc != PARLEY_E_IO)
			return parley_fail(err, rc, "%s", sync_err.msg);
	}
	if ((rc = parley_store_checkpoint_get(n->store, id, 0, &note, NULL, err)) ||
		(rc = check_checkpoint(c, (const char *)note.data, note.len, &cp, err)))
		goto out;
	if (subject >= cp.size) {
		rc = parley_fail(err, PARLEY_E_USAGE, "entry %llu is not in the last verified checkpoint (size %llu): run 'parley sync'",
			(unsigned long long)subject, (unsigned long long)cp.size);
		goto out;
	}
	online = node_client(n, c, &cl, NULL) == PARLEY_OK;
	/* the same checkpoint as the relay serves it now, with every cosignature it collected since */
	if (online) {
		char target[200];
		long status = 0;
		snprintf(target, sizeof(target), "/v1/channels/%s/checkpoint?size=%llu", c->hex, (unsigned long long)cp.size);
		if (parley_client_do(&cl, "GET", target, NULL, NULL, 0, &status, &fresh, NULL) == PARLEY_OK && status == 200 &&
			check_checkpoint(c, (const char *)fresh.data, fresh.len, &cp2, NULL) == PARLEY_OK &&
			cp2.size == cp.size && memcmp(cp2.root, cp.root, 32) == 0) {
			parley_buf_reset(&note);
			if (parley_buf_add(&note, fresh.data, fresh.len)) {
				rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
				goto out;
			}
		}
	}
	/* our own cosignature of it, if the relay's copy lacks it */
	{
		parley_buf mine = PARLEY_BUF_INIT;
		if (parley_store_cosigs(n->store, id, cp.size, &mine, NULL) == PARLEY_OK && mine.len &&
			!memmem(note.data, note.len, mine.data, mine.len) && parley_buf_add(&note, mine.data, mine.len))
			rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		parley_buf_release(&mine);
		if (rc)
			goto out;
	}
	(void)!parley_checkpoint_check_times(c->charter, (const char *)note.data, note.len, &cp2, cos, cos_ms, NULL);
	if ((rc = parley_node_workflow(n, id, parley_now_ms(), &wf, err)) || (rc = node_headers(n, id, &hc, err)))
		goto out;
	if (hc.n < cp.size) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "the replica holds fewer entries than its checkpoint");
		goto out;
	}
	t = parley_workflow_thread(&wf, subject);

	/* the range that shows what did not happen: up to the first entry after each deadline not met in time */
	range_to = subject;
	if (t) {
		uint64_t need = 0;
		for (size_t k = t->obl_first; k < t->obl_first + t->nobl; k++) {
			const parley_obligation *o = &wf.obl[k];
			if (o->outcome == PARLEY_OUT_MET || o->outcome == PARLEY_OUT_NOT_APPLICABLE)
				continue;
			need = o->deadline_ms > need ? o->deadline_ms : need;
		}
		if (need) {
			range_to = cp.size - 1;
			for (uint64_t i = subject; i < cp.size; i++)
				if (hc.v[i].ms > need) {
					range_to = i;
					break;
				}
		}
	}
	for (uint64_t i = subject; i <= range_to; i++)
		if ((rc = idx_add(&set, i, err)))
			goto out;
	/* the rest of the thread, and receipts, past the range */
	for (uint64_t i = range_to + 1; i < cp.size; i++) {
		uint64_t op;
		const parley_entry_hdr *h = &hc.v[i].h;
		bool mine = (parley_workflow_thread_of(h, i, &op) && op == subject) ||
			(h->type == PARLEY_T_RECEIPT && h->nrefs && h->refs[0] == subject);
		if (mine && (rc = idx_add(&set, i, err)))
			goto out;
	}
	if (!(cosigned = json_array()) || !(reads = json_array())) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	/* each recipient's own word: its attestation of the log past its deadlines, its delivery */
	for (unsigned r = 0; t && r < t->nrecip; r++) {
		const uint8_t *party = t->recip[r];
		const parley_party *pp = parley_charter_party_by_keyid(c->charter, party);
		size_t pi = (size_t)(pp - parley_charter_party_at(c->charter, 0));
		uint64_t dmax = 0, wmax = 0;
		bool receipt = false;
		for (size_t k = t->obl_first; k < t->obl_first + t->nobl; k++) {
			const parley_obligation *o = &wf.obl[k];
			if (memcmp(o->party, party, 4) != 0 || o->outcome == PARLEY_OUT_MET ||
				o->outcome == PARLEY_OUT_NOT_APPLICABLE || !o->witness_ms)
				continue;
			dmax = o->deadline_ms > dmax ? o->deadline_ms : dmax;
			wmax = o->witness > wmax ? o->witness : wmax;
		}
		for (size_t k = t->dlv_first; k < t->dlv_first + t->ndlv; k++)
			if (memcmp(wf.dlv[k].party, party, 4) == 0 && wf.dlv[k].how == PARLEY_DLV_RECEIPT)
				receipt = true;
		if (!receipt && online) {
			parley_signed_read rd;
			json_t *j;
			if (parley_remote_read_past(&cl, c->hex, party, subject, &rd, NULL) == PARLEY_OK &&
				(j = read_json(c->charter, &rd)))
				json_array_append_new(reads, j);
		}
		if (!dmax)
			continue;
		/* its cosignature of our checkpoint, which holds every witness, attests the log when made after the deadlines */
		if (pi < PARLEY_MAX_PARTIES && cos[pi] && cos_ms[pi] > dmax)
			continue;
		/* or a checkpoint it cosigned after the deadlines that holds the witnesses (the relay keeps them) */
		if (online) {
			uint64_t min = wmax + 1;
			for (int tries = 0; tries < 16 && min <= cp.size; tries++) {
				uint64_t got = 0, at = 0;
				json_t *j = cosigned_json(&cl, c, &cp, party, min, &got, &at);
				if (!j)
					break;
				if (at > dmax) {
					json_array_append_new(cosigned, j);
					break;
				}
				json_decref(j); /* made before the deadline: a later one may do */
				min = got + 1;
			}
		}
	}
	qsort(set.v, set.n, sizeof(*set.v), cmp_idx);
	struct add_ctx a = { json_array(), n->store, id, cp.size, err };
	if (!a.arr) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	arr = a.arr;
	for (size_t i = 0; i < set.n; i++)
		if ((rc = add_entry(&a, set.v[i])))
			goto out;
	if ((rc = parley_store_channel_charter(n->store, id, &charter, err)) ||
		(rc = parley_json_parse((const char *)charter.data, charter.len, PARLEY_CHARTER_MAX_BYTES, &cj, err)))
		goto out;
	doc = json_pack("{s:i, s:I, s:O, s:s%, s:O, s:{s:I, s:I}}", "parley_proof", PARLEY_PROOF_VERSION, "subject",
		(json_int_t)subject, "charter", cj, "checkpoint", (const char *)note.data, note.len, "entries", arr,
		"complete", "from", (json_int_t)subject, "to", (json_int_t)range_to);
	if (!doc) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	if (json_array_size(cosigned))
		json_object_set(doc, "cosigned", cosigned);
	if (json_array_size(reads))
		json_object_set(doc, "reads", reads);
	if (reveal) {
		parley_entry e;
		uint8_t key[PARLEY_KEY_LEN];
		char kb[64];
		uint64_t ms;
		parley_buf pl = PARLEY_BUF_INIT;
		if ((rc = parley_store_entry(n->store, id, subject, &raw, &ms, err)) ||
			(rc = parley_entry_parse(raw.data, raw.len, &e, err)))
			goto out;
		if ((rc = parley_entry_open(&e, n->key, &pl, key, err))) {
			parley_wrap(err, rc, "--reveal needs an entry this party can open");
			goto out;
		}
		parley_buf_release(&pl);
		parley_b64(kb, key, sizeof(key));
		sodium_memzero(key, sizeof(key));
		json_object_set_new(doc, "content_key", json_string(kb));
		sodium_memzero(kb, sizeof(kb));
	}
	char *s = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	parley_buf_reset(out);
	if (!s || parley_buf_addstr(out, s) || parley_buf_add_u8(out, '\n'))
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	free(s);
out:
	if (online)
		parley_client_release(&cl);
	json_decref(doc);
	json_decref(cj);
	json_decref(arr);
	json_decref(cosigned);
	json_decref(reads);
	parley_workflow_release(&wf);
	free(hc.v);
	free(set.v);
	parley_buf_release(&note);
	parley_buf_release(&fresh);
	parley_buf_release(&charter);
	parley_buf_release(&raw);
	return rc;
}

const char *parley_node_halted(parley_node *n, const uint8_t id[32])
{
	struct node_channel *c = node_find_channel(n, id);
	return c && c->halted[0] ? c->halted : NULL;
}

parley_code parley_node_resume(parley_node *n, const uint8_t id[32], parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	char path[1200];
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if (channel_file(path, sizeof(path), n->home, c->hex, "halted", err))
		return PARLEY_E_USAGE;
	if (unlink(path) != 0 && errno != ENOENT)
		return parley_fail(err, PARLEY_E_IO, "%s: %s", path, strerror(errno));
	c->halted[0] = 0;
	return PARLEY_OK;
}

size_t parley_node_nchannels(parley_node *n)
{
	return n->nch;
}

const uint8_t *parley_node_channel_at(parley_node *n, size_t i)
{
	return i < n->nch ? n->ch[i].id : NULL;
}

parley_code parley_node_psi_policy(const char *home, const char *set_path, parley_err *err)
{
	json_t *cfg;
	parley_code rc;
	char abs[4096];

	if ((rc = config_load(home, &cfg, err)))
		return rc;
	if (set_path) {
		if (!realpath(set_path, abs)) {
			json_decref(cfg);
			return parley_fail(err, PARLEY_E_NOTFOUND, "%s: %s", set_path, strerror(errno));
		}
		json_object_set_new(cfg, "psi_respond_with", json_string(abs));
	} else {
		json_object_del(cfg, "psi_respond_with");
	}
	rc = config_save(home, cfg, err);
	json_decref(cfg);
	return rc;
}
