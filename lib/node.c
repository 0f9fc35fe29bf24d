/* node.c - a party's node: the handle, its channels, join, posting, reading and re-verifying the replica. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "parley/admit.h"
#include "parley/client.h"
#include "parley/compose.h"
#include "parley/node.h"
#include "parley/proof.h"
#include "parley/remote.h"
#include "parley/batch.h"
#include "node_internal.h"
#include "banned.h"

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
	parley_buf text = PARLEY_BUF_INIT, kb = PARLEY_BUF_INIT;
	json_t *cfg = NULL;
	parley_client cl;
	const parley_party *me;
	const char *url;
	char path[1100], rel[160];
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
	if ((rc = parley_home_path(path, sizeof(path), home, "charters", err)))
		goto out;
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		rc = parley_fail(err, PARLEY_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((rc = parley_home_check(home, err)))
		goto out;
	/* the configuration: one identity per home */
	if (home_config_load(home, &cfg, NULL) == PARLEY_OK) {
		if (strcmp(json_string_value(json_object_get(cfg, "name")), key->pub.name) != 0) {
			rc = parley_fail(err, PARLEY_E_USAGE, "%s belongs to '%s', not '%s'", home,
				json_string_value(json_object_get(cfg, "name")), key->pub.name);
			goto out;
		}
	} else {
		snprintf(rel, sizeof(rel), "%s.key", key->pub.name);
		kb.secret = 1;
		if ((rc = parley_file_read_private(key_path, PARLEY_KEYFILE_MAX, &kb, err)) ||
			(rc = parley_home_path(path, sizeof(path), home, rel, err)))
			goto out;
		rc = parley_file_write(path, kb.data, kb.len, 0600, false, err);
		if (rc)
			goto out;
		cfg = json_pack("{s:i, s:s, s:s, s:[]}", "version", 1, "name", key->pub.name, "key", rel, "channels");
	}
	if ((rc = parley_home_channel_file(path, sizeof(path), home, channel_hex, "json", err)) ||
		(rc = parley_file_write(path, text.data, text.len, 0644, false, err)))
		goto out;

	/* a CA to trust for an https relay is kept in the home, per channel */
	char ca_rel[160] = "";
	if (ca_path) {
		parley_buf cab = PARLEY_BUF_INIT;
		snprintf(ca_rel, sizeof(ca_rel), "charters/%s.ca.pem", channel_hex);
		if ((rc = parley_file_read(ca_path, 1 << 20, &cab, err)) || (rc = parley_home_path(path, sizeof(path), home, ca_rel, err)) ||
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
	if ((rc = parley_remote_open(&cl, text.data, text.len, err)))
		goto out;

	/* the replica */
	parley_store *st = NULL;
	if ((rc = parley_home_path(path, sizeof(path), home, "replica.db", err)) || (rc = parley_store_open(path, &st, err)))
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
	rc = home_config_save(home, cfg, err);
out:
	parley_client_release(&cl);
	json_decref(cfg);
	parley_charter_free(ch);
	parley_buf_release(&text);
	parley_buf_release(&kb);
	return rc;
}

parley_code parley_node_open(const char *home, const parley_seckey *key, parley_node **out, parley_err *err)
{
	parley_node *n = calloc(1, sizeof(*n));
	json_t *cfg = NULL;
	char path[1100];
	size_t i;
	parley_code rc;

	*out = NULL;
	if (!n)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	snprintf(n->home, sizeof(n->home), "%s", home);
	n->key = key;
	n->lock.fd = -1;
	n->page_entries = PARLEY_SYNC_PAGE_ENTRIES;
	n->page_bytes = PARLEY_SYNC_PAGE_BYTES;
	if ((rc = home_config_load(home, &cfg, err)))
		goto fail;
	if (strcmp(json_string_value(json_object_get(cfg, "name")), key->pub.name) != 0) {
		rc = parley_fail(err, PARLEY_E_USAGE, "%s belongs to '%s', not '%s'", home,
			json_string_value(json_object_get(cfg, "name")), key->pub.name);
		goto fail;
	}
	if (json_is_string(json_object_get(cfg, "psi_respond_with")))
		snprintf(n->psi_policy, sizeof(n->psi_policy), "%s", json_string_value(json_object_get(cfg, "psi_respond_with")));
	{
		parley_home_channel *hc;
		size_t nhc;
		if ((rc = parley_home_channels(home, &hc, &nhc, err)))
			goto fail;
		for (i = 0; i < nhc && i < NODE_MAX_CHANNELS; i++) {
			struct node_channel *c = &n->ch[n->nch++];
			memcpy(c->id, hc[i].id, 32);
			memcpy(c->hex, hc[i].hex, sizeof(c->hex));
			memcpy(c->relay, hc[i].relay, sizeof(c->relay));
			memcpy(c->ca, hc[i].ca, sizeof(c->ca));
			memcpy(c->halted, hc[i].halted, sizeof(c->halted));
			c->charter = hc[i].charter; /* the node keeps it */
			hc[i].charter = NULL;
		}
		parley_home_channels_free(hc, nhc);
	}
	if ((rc = parley_home_path(path, sizeof(path), home, "replica.db", err)) || (rc = parley_store_open(path, &n->store, err)))
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
	parley_home_unlock(&n->lock);
	free(n);
}

/* "ID16 "TITLE", ..." for the channels marked in pick (all when pick is NULL), cut to fit out. */
static void channel_list(const parley_node *n, const bool *pick, char *out, size_t max)
{
	size_t len = 0, shown = 0, total = 0;
	out[0] = 0;
	for (size_t i = 0; i < n->nch; i++) {
		if (pick && !pick[i])
			continue;
		total++;
		int k = snprintf(out + len, max - len, "%s%.16s \"%.40s\"", shown ? ", " : "", n->ch[i].hex,
			parley_charter_title(n->ch[i].charter));
		if (k < 0 || (size_t)k >= max - len - 24) { /* room for the count of the rest */
			out[len] = 0;
			break;
		}
		len += (size_t)k;
		shown++;
	}
	if (shown < total)
		snprintf(out + len, max - len, "%s%zu more", shown ? " and " : "", total - shown);
}

/* Whether sel names channel c: a prefix of its id (hex, either case) or its charter's title (ignoring case). */
static bool channel_named(const struct node_channel *c, const char *sel)
{
	size_t k = strlen(sel);
	bool prefix = k > 0 && k <= 64;
	for (size_t i = 0; prefix && i < k; i++) {
		char x = sel[i] >= 'A' && sel[i] <= 'F' ? (char)(sel[i] - 'A' + 'a') : sel[i];
		prefix = x == c->hex[i];
	}
	return prefix || strcasecmp(sel, parley_charter_title(c->charter)) == 0;
}

parley_code parley_node_channel(parley_node *n, const char *prefix, uint8_t id[32], parley_err *err)
{
	struct node_channel *hit = NULL;
	bool pick[NODE_MAX_CHANNELS] = { false };
	size_t nhit = 0;
	char list[400];

	if (n->nch == 0)
		return parley_fail(err, PARLEY_E_NOTFOUND, "this node has joined no channel");
	if (!prefix) {
		/* channels that succeed each other are one dialogue: its latest charter by default */
		if (n->nch > 1 && !(hit = node_chain_head(n))) {
			channel_list(n, NULL, list, sizeof(list));
			return parley_fail(err, PARLEY_E_USAGE,
				"this node has joined %zu channels: name one with --channel (an id prefix or the title): %s", n->nch,
				list);
		}
		if (!hit)
			hit = &n->ch[0];
	} else {
		for (size_t i = 0; i < n->nch; i++)
			if (channel_named(&n->ch[i], prefix)) {
				pick[i] = true;
				hit = &n->ch[i];
				nhit++;
			}
		if (nhit > 1) {
			channel_list(n, pick, list, sizeof(list));
			return parley_fail(err, PARLEY_E_USAGE, "channel '%.64s' is ambiguous: it names %zu channels: %s", prefix,
				nhit, list);
		}
		if (!hit) {
			channel_list(n, NULL, list, sizeof(list));
			return parley_fail(err, PARLEY_E_NOTFOUND, "no joined channel has the id prefix or title '%.64s' (joined: %s)",
				prefix, list);
		}
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

bool node_is_auditor(const parley_node *n, const struct node_channel *c)
{
	const parley_party *me = parley_charter_party_by_keyid(c->charter, n->key->pub.keyid);
	return !me || me->role != PARLEY_ROLE_PARTY;
}

parley_code node_admit_prepare(parley_node *n, struct node_channel *c, struct node_admit *ax, parley_err *err)
{
	parley_code rc;
	/* the size is the index a handover would take (and bounds the wind-down's lookups) */
	if ((rc = parley_store_size(n->store, c->id, &ax->size, err)) || (rc = node_succession(n, c, &ax->st, err)))
		return rc;
	return PARLEY_OK;
}

parley_code node_admit_with(parley_node *n, struct node_channel *c, const struct node_admit *ax,
	const parley_entry_hdr *h, parley_err *err)
{
	parley_admit_store look = { n->store, c->id, PARLEY_BUF_INIT };
	struct node_charter_look cl = { n, NULL };
	parley_succession st = ax->st; /* a handover would advance it: a copy */
	parley_code rc;

	if (!(rc = parley_admit_entry(c->charter, &st, h, ax->size, parley_now_ms(), parley_admit_store_lookup, &look,
		      node_charter_lookup, &cl, err)))
		rc = node_successor_check(n, c, h, err);
	parley_buf_release(&look.buf);
	return rc;
}

parley_code node_admit_now(parley_node *n, struct node_channel *c, const parley_entry_hdr *h, parley_err *err)
{
	struct node_admit ax;
	parley_code rc = node_admit_prepare(n, c, &ax, err);
	return rc ? rc : node_admit_with(n, c, &ax, h, err);
}

/* Sign, seal and append one entry on the relay, advancing our own chain. */
parley_code node_session_post(struct node_session *s, const parley_post *p, uint64_t *index, parley_err *err)
{
	parley_node *n = s->n;
	struct node_channel *c = s->c;
	struct scan_ctx *sc = s->sc;
	parley_entry_hdr h;
	uint8_t pks[PARLEY_ENTRY_MAX_RECIP][32];
	parley_buf entry = PARLEY_BUF_INIT;
	struct chain *mine = node_chain_of(sc->chains, &sc->nchains, n->key->pub.keyid);
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
	if (s->defer) {
		/* queued for node_session_flush: the chain continues over it */
		if (s->nq == s->qcap) {
			size_t cap = s->qcap ? s->qcap * 2 : 16;
			parley_buf *nv = realloc(s->q, cap * sizeof(*nv));
			if (!nv) {
				rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
				goto out;
			}
			s->q = nv;
			s->qcap = cap;
		}
		if (s->nq == 0) {
			s->q_seq0 = mine->seq;
			memcpy(s->q_hash0, mine->hash, 32);
		}
		s->q[s->nq++] = entry;
		entry = (parley_buf)PARLEY_BUF_INIT; /* the queue holds it now */
		mine->seq = h.seq;
		parley_entry_hash(s->q[s->nq - 1].data, s->q[s->nq - 1].len, mine->hash);
		*index = PARLEY_INDEX_QUEUED;
		goto out;
	}
	if ((rc = parley_remote_append(&s->cl, c->hex, entry.data, entry.len, index, NULL, err))) {
		/* no answer: the relay may have taken it; what is kept for later is this very entry */
		parley_buf_reset(&s->unsent);
		if (rc == PARLEY_E_IO && parley_buf_add(&s->unsent, entry.data, entry.len))
			parley_buf_reset(&s->unsent);
		goto out;
	}
	mine->seq = h.seq;
	parley_entry_hash(entry.data, entry.len, mine->hash);
	node_outbox_tip(n, c, mine->seq, mine->hash); /* an entry queued before the next sync continues from here */
out:
	parley_buf_release(&entry);
	return rc;
}

parley_code node_session_flush(struct node_session *s, parley_err *err)
{
	struct chain *mine = node_chain_of(s->sc->chains, &s->sc->nchains, s->n->key->pub.keyid);
	const uint8_t *ptrs[PARLEY_BATCH_MAX_ENTRIES];
	size_t lens[PARLEY_BATCH_MAX_ENTRIES];
	uint64_t idx[PARLEY_BATCH_MAX_ENTRIES];
	uint64_t seq = s->q_seq0;
	uint8_t hash[32];
	size_t i = 0;
	parley_code rc = PARLEY_OK;

	memcpy(hash, s->q_hash0, 32);
	while (i < s->nq && !rc) {
		size_t m = 0, bytes = 0;
		while (i + m < s->nq && m < PARLEY_BATCH_MAX_ENTRIES && bytes + 4 + s->q[i + m].len <= PARLEY_BATCH_MAX_BYTES) {
			ptrs[m] = s->q[i + m].data;
			lens[m] = s->q[i + m].len;
			bytes += 4 + lens[m];
			m++;
		}
		if ((rc = parley_remote_append_batch(&s->cl, s->c->hex, ptrs, lens, m, idx, NULL, NULL, err)))
			break;
		parley_entry e;
		if (parley_entry_parse(s->q[i + m - 1].data, s->q[i + m - 1].len, &e, NULL) == PARLEY_OK)
			seq = e.h.seq;
		parley_entry_hash(s->q[i + m - 1].data, s->q[i + m - 1].len, hash);
		node_outbox_tip(s->n, s->c, seq, hash); /* an entry queued before the next sync continues from here */
		i += m;
	}
	if (rc && mine) { /* our chain is what the relay took */
		mine->seq = seq;
		memcpy(mine->hash, hash, 32);
	}
	for (size_t k = 0; k < s->nq; k++)
		parley_buf_release(&s->q[k]);
	s->nq = 0;
	return rc;
}

parley_code node_client(parley_node *n, const struct node_channel *c, parley_client *cl, parley_err *err)
{
	parley_code rc = parley_client_init(cl, c->relay, n->key, err);
	if (!rc)
		snprintf(cl->ca_file, sizeof(cl->ca_file), "%s", c->ca);
	return rc;
}

parley_code parley_node_client(parley_node *n, const uint8_t id[32], parley_client *cl, parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	memset(cl, 0, sizeof(*cl));
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	return node_client(n, c, cl, err);
}

parley_code node_session_open(parley_node *n, const uint8_t id[32], struct node_session *s, parley_err *err)
{
	parley_code rc;

	memset(s, 0, sizeof(*s));
	s->n = n;
	if (!(s->c = node_find_channel(n, id)))
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if ((rc = parley_node_lock(n, err)))
		return rc;
	if (!(s->sc = malloc(sizeof(*s->sc))))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	if ((rc = node_client(n, s->c, &s->cl, err)))
		return rc;
	return node_do_sync(s, err);
}

parley_code parley_node_lock(parley_node *n, parley_err *err)
{
	return n->lock.fd >= 0 ? PARLEY_OK : parley_home_lock(n->home, &n->lock, err);
}

void parley_node_adopt_lock(parley_node *n, parley_lock *lk)
{
	if (lk->fd < 0)
		return;
	parley_home_unlock(&n->lock);
	n->lock = *lk;
	lk->fd = -1;
}

parley_lock *parley_node_home_lock(parley_node *n)
{
	return n->lock.fd >= 0 ? &n->lock : NULL;
}

void node_session_close(struct node_session *s)
{
	parley_client_release(&s->cl);
	free(s->sc);
	s->sc = NULL;
	free(s->unopened);
	s->unopened = NULL;
	s->nunopened = 0;
	parley_buf_release(&s->unsent);
	for (size_t k = 0; k < s->nq; k++)
		parley_buf_release(&s->q[k]);
	free(s->q);
	s->q = NULL;
	s->nq = s->qcap = 0;
}

parley_code parley_node_post(parley_node *n, const uint8_t id[32], const parley_post *p, uint64_t *index,
	parley_err *err)
{
	struct node_session s;
	parley_code rc;

	/* a sync first: our chain must continue from our last entry in the log, and the checks see the latest */
	if (!(rc = node_session_open(n, id, &s, err)) && !(rc = parley_node_check_post(n, id, p, err)))
		rc = node_session_post(&s, p, index, err);
	if (rc == PARLEY_E_IO && n->outbox && s.c && s.unsent.len)
		rc = node_outbox_keep(n, s.c, s.unsent.data, s.unsent.len, index, err); /* sent, unanswered: kept as it is */
	else if (rc == PARLEY_E_IO && n->outbox && s.c && !(rc = parley_node_check_post(n, id, p, err)))
		rc = node_outbox_queue(n, s.c, p, index, err); /* the relay cannot be reached: into the outbox */
	node_session_close(&s);
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
	rc = node_load_chains(n, c, sc, true, err);
	if (entries)
		*entries = sc->count;
	/* the incremental tables must say what a recomputation from the verified entries says */
	if (!rc)
		rc = node_state_check(n, c, sc, err);
	free(sc);
	if (rc)
		return rc;
	if ((rc = parley_store_size(n->store, id, &size, err)))
		return rc;
	/* a paged sync killed half-way stored pages past the last checkpoint, against this one */
	{
		parley_checkpoint pcp;
		if (node_paging_load(n, c, &note, &pcp) == PARLEY_OK && pcp.size >= size)
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
		rc = node_check_checkpoint(c, (const char *)note.data, note.len, &cp, err);
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

const parley_seckey *node_key(const parley_node *n)
{
	return n->key;
}

const char *node_home(const parley_node *n)
{
	return n->home;
}

const char *node_psi_policy_path(const parley_node *n)
{
	return n->psi_policy;
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
	parley_code rc;
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if ((rc = parley_node_lock(n, err)))
		return rc;
	if (parley_home_channel_file(path, sizeof(path), n->home, c->hex, "halted", err))
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

