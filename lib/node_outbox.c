/*
 * node_outbox.c - entries composed while the relay cannot be reached.
 *
 * HOME/outbox/CHANNELHEX/SEQ.entry (SEQ zero-padded to 20 digits): each file a
 * whole signed entry continuing this party's chain, written atomically and
 * fsync'd (the directory too) before the command that composed it returns.
 * A sync sends them in sequence order after it has fetched the log, and deletes
 * each once the relay has integrated it. Entries are signed bytes: a resend of
 * one the relay already integrated (a node killed between the relay's answer
 * and the delete) is recognised by its sequence number and hash in the verified
 * replica, and deleted without being sent again; the relay refuses a second
 * entry with a sequence number it has (409), so nothing is ever integrated twice.
 * An entry the relay refuses for good (too old, out of scope now) is moved, with
 * every later one that chains on it, to HOME/outbox/refused/ for the operator.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "parley/batch.h"
#include "parley/compose.h"
#include "parley/remote.h"
#include "node_internal.h"
#include "banned.h"

#define OUTBOX_MAX 100000 /* entries waiting per channel */

static parley_code outbox_dir(const parley_node *n, const struct node_channel *c, char *out, size_t max, bool create,
	parley_err *err)
{
	char top[1200];
	if ((size_t)snprintf(top, sizeof(top), "%s/outbox", n->home) >= sizeof(top) ||
		(size_t)snprintf(out, max, "%s/%s", top, c->hex) >= max)
		return parley_fail(err, PARLEY_E_USAGE, "%s: path too long", n->home);
	if (create) {
		if (mkdir(top, 0700) != 0 && errno != EEXIST)
			return parley_fail(err, PARLEY_E_IO, "%s: %s", top, strerror(errno));
		if (mkdir(out, 0700) != 0 && errno != EEXIST)
			return parley_fail(err, PARLEY_E_IO, "%s: %s", out, strerror(errno));
	}
	return PARLEY_OK;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The sequence numbers waiting in a channel's outbox, ascending. *seqs is to be freed. */
static parley_code outbox_list(const parley_node *n, const struct node_channel *c, uint64_t **seqs, size_t *count,
	parley_err *err)
{
	char dir[1400];
	DIR *dp;
	struct dirent *de;
	uint64_t *v = NULL;
	size_t k = 0, cap = 0;
	parley_code rc;

	*seqs = NULL;
	*count = 0;
	if ((rc = outbox_dir(n, c, dir, sizeof(dir), false, err)))
		return rc;
	if (!(dp = opendir(dir)))
		return errno == ENOENT ? PARLEY_OK : parley_fail(err, PARLEY_E_IO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(dp))) {
		char *end;
		unsigned long long s;
		if (strlen(de->d_name) != 26 || strcmp(de->d_name + 20, ".entry") != 0 ||
			strspn(de->d_name, "0123456789") != 20)
			continue;
		s = strtoull(de->d_name, &end, 10);
		if (k == cap) {
			uint64_t *nv;
			if (cap >= OUTBOX_MAX || !(nv = realloc(v, (cap ? cap * 2 : 16) * sizeof(*v)))) {
				closedir(dp);
				free(v);
				return parley_fail(err, PARLEY_E_LIMIT, "%s: too many entries", dir);
			}
			v = nv;
			cap = cap ? cap * 2 : 16;
		}
		v[k++] = (uint64_t)s;
	}
	closedir(dp);
	if (k) /* qsort must not get NULL, even for no elements */
		qsort(v, k, sizeof(*v), cmp_u64);
	*seqs = v;
	*count = k;
	return PARLEY_OK;
}

static parley_code entry_path(const parley_node *n, const struct node_channel *c, uint64_t seq, char *out, size_t max,
	parley_err *err)
{
	char dir[1400];
	parley_code rc = outbox_dir(n, c, dir, sizeof(dir), false, err);
	if (!rc && (size_t)snprintf(out, max, "%s/%020llu.entry", dir, (unsigned long long)seq) >= max)
		rc = parley_fail(err, PARLEY_E_USAGE, "%s: path too long", dir);
	return rc;
}

static parley_code outbox_read(const parley_node *n, const struct node_channel *c, uint64_t seq, parley_buf *b,
	parley_entry *e, parley_err *err)
{
	char path[1500];
	parley_code rc;
	if ((rc = entry_path(n, c, seq, path, sizeof(path), err)) ||
		(rc = parley_file_read(path, PARLEY_ENTRY_MAX_BYTES, b, err)))
		return rc;
	if ((rc = parley_entry_parse(b->data, b->len, e, err)) || e->h.seq != seq)
		return rc ? parley_wrap(err, rc, "%s", path) : parley_fail(err, PARLEY_E_FORMAT, "%s: another sequence number", path);
	return PARLEY_OK;
}

static void outbox_remove(const parley_node *n, const struct node_channel *c, uint64_t seq)
{
	char path[1500], dir[1400];
	if (entry_path(n, c, seq, path, sizeof(path), NULL) || outbox_dir(n, c, dir, sizeof(dir), false, NULL))
		return;
	unlink(path);
	sync_dir(dir);
}

/* Move entry seq and every later one to HOME/outbox/refused/ (kept for the operator, never sent). */
static void outbox_refuse(const parley_node *n, const struct node_channel *c, const uint64_t *seqs, size_t count,
	size_t from)
{
	char rdir[1300], dir[1400], src[1500], dst[1600];
	if ((size_t)snprintf(rdir, sizeof(rdir), "%s/outbox/refused", n->home) >= sizeof(rdir) ||
		outbox_dir(n, c, dir, sizeof(dir), false, NULL))
		return;
	if (mkdir(rdir, 0700) != 0 && errno != EEXIST)
		return;
	for (size_t i = from; i < count; i++) {
		if (entry_path(n, c, seqs[i], src, sizeof(src), NULL))
			continue;
		snprintf(dst, sizeof(dst), "%s/%.16s-%020llu.entry", rdir, c->hex, (unsigned long long)seqs[i]);
		(void)rename(src, dst);
	}
	sync_dir(rdir);
	sync_dir(dir);
}

void parley_node_set_outbox(parley_node *n, bool on)
{
	n->outbox = on;
}

parley_code parley_node_outbox(parley_node *n, const uint8_t id[32], size_t *count, uint64_t *oldest_ms,
	parley_err *err)
{
	struct node_channel *c = node_find_channel(n, id);
	uint64_t *seqs = NULL;
	parley_code rc;

	*count = 0;
	if (oldest_ms)
		*oldest_ms = 0;
	if (!c)
		return parley_fail(err, PARLEY_E_NOTFOUND, "channel not joined");
	if ((rc = outbox_list(n, c, &seqs, count, err)))
		return rc;
	if (*count && oldest_ms) {
		parley_buf b = PARLEY_BUF_INIT;
		parley_entry e;
		if (outbox_read(n, c, seqs[0], &b, &e, NULL) == PARLEY_OK)
			*oldest_ms = e.h.created_ms;
		parley_buf_release(&b);
	}
	free(seqs);
	return PARLEY_OK;
}

struct mine_ctx {
	const uint8_t *keyid;
	uint64_t seq;
	uint8_t hash[32];
	parley_err *err;
};

static parley_code mine_step(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct mine_ctx *m = ctx;
	parley_entry e;
	(void)ms;
	if (parley_entry_parse(data, len, &e, m->err))
		return parley_wrap(m->err, PARLEY_E_VERIFY, "replica entry %llu", (unsigned long long)index);
	if (memcmp(e.h.sender, m->keyid, 4) == 0) {
		m->seq = e.h.seq;
		parley_entry_hash(data, len, m->hash);
	}
	return PARLEY_OK;
}

/* This party's last entry in the replica: its sequence number (0: none) and hash. */
static parley_code chain_of_replica(parley_node *n, struct node_channel *c, uint64_t *seq, uint8_t hash[32],
	parley_err *err)
{
	struct mine_ctx m = { n->key->pub.keyid, 0, { 0 }, err };
	parley_code rc = parley_store_entries(n->store, c->id, 0, UINT64_MAX, mine_step, &m, err);
	*seq = m.seq;
	memcpy(hash, m.hash, 32);
	return rc;
}

/* HOME/outbox/CHANNELHEX.tip: this party's last entry the relay took (seq, hash), saved after each append. */
static bool tip_path(const parley_node *n, const struct node_channel *c, char *out, size_t max)
{
	return (size_t)snprintf(out, max, "%s/outbox/%s.tip", n->home, c->hex) < max;
}

void node_outbox_tip(parley_node *n, struct node_channel *c, uint64_t seq, const uint8_t hash[32])
{
	char path[1400], top[1200];
	uint8_t b[40];
	if (!tip_path(n, c, path, sizeof(path)) || (size_t)snprintf(top, sizeof(top), "%s/outbox", n->home) >= sizeof(top))
		return;
	if (mkdir(top, 0700) != 0 && errno != EEXIST)
		return;
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(seq >> (56 - 8 * i));
	memcpy(b + 8, hash, 32);
	/* no fsync: it must survive the process, not the machine (the replica is the record) */
	int fd;
	char tmp[1500];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return;
	if (write(fd, b, sizeof(b)) != (ssize_t)sizeof(b)) {
		close(fd);
		unlink(tmp);
		return;
	}
	close(fd);
	(void)rename(tmp, path);
}

/* The tip saved by node_outbox_tip, when it is past *seq. */
static void tip_load(const parley_node *n, const struct node_channel *c, uint64_t *seq, uint8_t hash[32])
{
	char path[1400];
	uint8_t b[41];
	uint64_t s = 0;
	int fd;
	ssize_t r;
	if (!tip_path(n, c, path, sizeof(path)) || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	r = read(fd, b, sizeof(b));
	close(fd);
	if (r != 40)
		return;
	for (int i = 0; i < 8; i++)
		s = s << 8 | b[i];
	if (s > *seq) {
		*seq = s;
		memcpy(hash, b + 8, 32);
	}
}

parley_code node_outbox_keep(parley_node *n, struct node_channel *c, const uint8_t *entry, size_t len,
	uint64_t *index, parley_err *err)
{
	parley_entry e;
	char dir[1400], path[1500];
	parley_code rc;

	if ((rc = parley_entry_parse(entry, len, &e, err)) || (rc = outbox_dir(n, c, dir, sizeof(dir), true, err)) ||
		(rc = entry_path(n, c, e.h.seq, path, sizeof(path), err)) ||
		(rc = parley_file_write(path, entry, len, 0600, true, err)))
		return rc;
	sync_dir(dir);
	*index = PARLEY_INDEX_QUEUED;
	return PARLEY_OK;
}

parley_code node_outbox_queue(parley_node *n, struct node_channel *c, const parley_post *p, uint64_t *index,
	parley_err *err)
{
	parley_entry_hdr h;
	uint8_t pks[PARLEY_ENTRY_MAX_RECIP][32];
	parley_buf entry = PARLEY_BUF_INIT, b = PARLEY_BUF_INIT;
	uint64_t *seqs = NULL, seq = 0;
	uint8_t prev[32] = { 0 };
	size_t count = 0;
	char dir[1400], path[1500];
	parley_code rc;

	if (node_is_auditor(n, c)) {
		rc = parley_fail(err, PARLEY_E_USAGE, "%s is a read-only auditor of this channel: it cannot write entries",
			n->key->pub.name);
		goto out;
	}
	/* our chain: the replica's last entry of ours, then what already waits here */
	if ((rc = chain_of_replica(n, c, &seq, prev, err)) || (rc = outbox_list(n, c, &seqs, &count, err)))
		goto out;
	/* entries of ours the relay took that the replica has not fetched yet (a receipt, a post just made) */
	tip_load(n, c, &seq, prev);
	if (count) {
		parley_entry e;
		if ((rc = outbox_read(n, c, seqs[count - 1], &b, &e, err)))
			goto out;
		if (seqs[count - 1] > seq) {
			seq = seqs[count - 1];
			parley_entry_hash(b.data, b.len, prev);
		}
	}
	if ((rc = parley_compose_header(c->charter, &n->key->pub, c->id, p, &h, pks, err)))
		goto out;
	h.seq = seq + 1;
	if (seq)
		memcpy(h.prev, prev, 32);
	h.created_ms = parley_now_ms();
	if ((rc = node_admit_now(n, c, &h, err))) {
		parley_wrap(err, rc, "not queued");
		goto out;
	}
	if ((rc = parley_entry_build(&h, (const uint8_t(*)[32])pks, p->payload, p->payload_len, n->key, &entry, NULL,
		     err)) ||
		(rc = outbox_dir(n, c, dir, sizeof(dir), true, err)) ||
		(rc = entry_path(n, c, h.seq, path, sizeof(path), err)) ||
		(rc = parley_file_write(path, entry.data, entry.len, 0600, true, err)))
		goto out;
	sync_dir(dir);
	*index = PARLEY_INDEX_QUEUED;
out:
	parley_buf_release(&entry);
	parley_buf_release(&b);
	free(seqs);
	return rc;
}

/*
 * Our entries the relay holds past the replica (unverified: the relay's word),
 * as (seq, hash), to recognise an outbox entry whose append was answered with a
 * 409 because an earlier send of it landed and its answer was lost. At most
 * RECOGNISE_PAGES pages are read.
 */
#define RECOGNISE_PAGES 20
struct theirs {
	uint64_t seq;
	uint8_t hash[32];
};

static parley_code relay_has_ours(parley_node *n, struct node_channel *c, parley_client *cl, struct theirs **out,
	size_t *nout, parley_err *err)
{
	parley_remote_page pg = PARLEY_REMOTE_PAGE_INIT;
	struct theirs *v = NULL;
	size_t k = 0, cap = 0;
	uint64_t from = 0;
	parley_code rc;

	*out = NULL;
	*nout = 0;
	if ((rc = parley_store_size(n->store, c->id, &from, err)))
		return rc;
	for (int page = 0; page < RECOGNISE_PAGES; page++) {
		if ((rc = parley_remote_entries(cl, c->hex, from, PARLEY_REMOTE_PAGE_MAX, 0, &pg, err)))
			break;
		for (size_t i = 0; i < pg.n; i++) {
			parley_entry e;
			if (parley_entry_parse(pg.v[i].data, pg.v[i].len, &e, NULL) ||
				memcmp(e.h.sender, n->key->pub.keyid, 4) != 0)
				continue;
			if (k == cap) {
				struct theirs *nv = realloc(v, (cap ? cap * 2 : 16) * sizeof(*v));
				if (!nv) {
					rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
					goto out;
				}
				v = nv;
				cap = cap ? cap * 2 : 16;
			}
			v[k].seq = e.h.seq;
			parley_entry_hash(pg.v[i].data, pg.v[i].len, v[k].hash);
			k++;
		}
		if (pg.n == 0)
			break;
		from += pg.n;
	}
out:
	parley_remote_page_release(&pg);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	*nout = k;
	return PARLEY_OK;
}

/* One read outbox entry on its way into a batch. */
struct outgoing {
	parley_buf b;
	uint64_t seq;
	uint8_t hash[32];
};

/*
 * Send what waits in the outbox, in batches (parley_remote_append_batch): each
 * batch is admitted by the relay whole or not at all. A 409 wrong-sequence on
 * the first entry of a batch is the answer to a send that landed earlier (its
 * answer lost): the entries the relay holds past the replica are read, and ours
 * among them with the same bytes count as delivered; other bytes at that
 * sequence number are an error (the entries stay, the next sync's verified
 * replica decides). An entry the relay refuses for good goes to refused/ with
 * every later one; the entries before it in its batch are sent again without it.
 */
parley_code node_outbox_flush(parley_node *n, struct node_channel *c, struct chain *mine, parley_client *cl,
	uint64_t *sent, parley_err *err)
{
	uint64_t *seqs = NULL;
	size_t count = 0, i = 0, cap = PARLEY_BATCH_MAX_ENTRIES;
	struct outgoing *out = NULL;
	const uint8_t **ptrs = NULL;
	size_t *lens = NULL;
	uint64_t *idx = NULL;
	struct theirs *theirs = NULL;
	size_t ntheirs = 0;
	bool looked = false;
	parley_code rc;

	if (sent)
		*sent = 0;
	if ((rc = outbox_list(n, c, &seqs, &count, err)) || !count)
		goto done;
	out = calloc(PARLEY_BATCH_MAX_ENTRIES, sizeof(*out));
	ptrs = calloc(PARLEY_BATCH_MAX_ENTRIES, sizeof(*ptrs));
	lens = calloc(PARLEY_BATCH_MAX_ENTRIES, sizeof(*lens));
	idx = calloc(PARLEY_BATCH_MAX_ENTRIES, sizeof(*idx));
	if (!out || !ptrs || !lens || !idx) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto done;
	}
	while (i < count) {
		size_t nb = 0, bytes = 0;
		uint64_t last_seq = mine->seq;
		uint8_t last_hash[32];
		memcpy(last_hash, mine->hash, 32);
		/* a batch: the entries from i that continue our chain, within the limits */
		while (i + nb < count && nb < cap) {
			struct outgoing *o = &out[nb];
			parley_entry e;
			parley_buf_reset(&o->b);
			if ((rc = outbox_read(n, c, seqs[i + nb], &o->b, &e, err))) {
				if (nb) { /* send what comes before it first */
					rc = PARLEY_OK;
					break;
				}
				outbox_refuse(n, c, seqs, count, i);
				goto done;
			}
			o->seq = e.h.seq;
			parley_entry_hash(o->b.data, o->b.len, o->hash);
			if (nb == 0 && e.h.seq <= mine->seq) {
				/* integrated already: sent by a node that stopped before it could delete the file */
				if (e.h.seq == mine->seq && sodium_memcmp(o->hash, mine->hash, 32) != 0) {
					rc = parley_fail(err, PARLEY_E_VERIFY,
						"outbox entry %llu: the log has another entry of this party with that sequence number "
						"(moved to outbox/refused)",
						(unsigned long long)e.h.seq);
					outbox_refuse(n, c, seqs, count, i);
					goto done;
				}
				outbox_remove(n, c, seqs[i]);
				i++;
				continue;
			}
			/* the relay's word that it holds this very entry (a send whose answer was lost) */
			bool theirs_same = false, theirs_other = false;
			for (size_t t = 0; nb == 0 && t < ntheirs; t++)
				if (theirs[t].seq == e.h.seq) {
					if (sodium_memcmp(theirs[t].hash, o->hash, 32) == 0)
						theirs_same = true;
					else
						theirs_other = true;
				}
			if (theirs_same && e.h.seq == mine->seq + 1) {
				mine->seq = e.h.seq;
				memcpy(mine->hash, o->hash, 32);
				node_outbox_tip(n, c, mine->seq, mine->hash);
				outbox_remove(n, c, seqs[i]);
				if (sent)
					(*sent)++;
				i++;
				last_seq = mine->seq;
				memcpy(last_hash, mine->hash, 32);
				continue;
			}
			if (theirs_other) {
				rc = parley_fail(err, PARLEY_E_VERIFY,
					"outbox entry %llu: the relay holds another entry of this party with that sequence number",
					(unsigned long long)e.h.seq);
				goto done;
			}
			if (e.h.seq != last_seq + 1 || (last_seq && sodium_memcmp(e.h.prev, last_hash, 32) != 0)) {
				if (nb)
					break; /* the batch so far goes first; this one is judged at the head of the next */
				rc = parley_fail(err, PARLEY_E_VERIFY,
					"outbox entry %llu does not continue this party's chain at %llu (moved to outbox/refused)",
					(unsigned long long)e.h.seq, (unsigned long long)mine->seq);
				outbox_refuse(n, c, seqs, count, i);
				goto done;
			}
			if (bytes + 4 + o->b.len > PARLEY_BATCH_MAX_BYTES)
				break;
			bytes += 4 + o->b.len;
			ptrs[nb] = o->b.data;
			lens[nb] = o->b.len;
			last_seq = e.h.seq;
			memcpy(last_hash, o->hash, 32);
			nb++;
		}
		if (nb == 0)
			continue;
		parley_remote_batch res;
		rc = parley_remote_append_batch(cl, c->hex, ptrs, lens, nb, idx, NULL, &res, err);
		if (rc == PARLEY_OK) {
			for (size_t k = 0; k < nb; k++) {
				mine->seq = out[k].seq;
				memcpy(mine->hash, out[k].hash, 32);
				outbox_remove(n, c, seqs[i + k]);
				if (sent)
					(*sent)++;
			}
			node_outbox_tip(n, c, mine->seq, mine->hash);
			i += nb;
			cap = PARLEY_BATCH_MAX_ENTRIES;
			continue;
		}
		if (res.status == 0)
			goto done; /* the relay cannot be reached: the entries wait */
		size_t bad = res.bad < nb ? res.bad : 0;
		if (res.status == 409 && strcmp(res.slug, "wrong-sequence") == 0 && bad == 0 && !looked) {
			/* a send of ours landed and its answer was lost: look for it in the relay's log, once */
			looked = true;
			if ((rc = relay_has_ours(n, c, cl, &theirs, &ntheirs, err)))
				goto done;
			rc = PARLEY_OK;
			continue;
		}
		if (res.status == 409 || res.status == 429 || res.status < 400 || res.status >= 500) {
			parley_wrap(err, rc, "outbox entry %llu", (unsigned long long)out[bad].seq);
			goto done;
		}
		if (bad > 0) {
			/* the entries before the refused one were not appended (a batch is all or none): again without it */
			cap = bad;
			rc = PARLEY_OK;
			continue;
		}
		parley_wrap(err, rc, "outbox entry %llu refused by the relay (moved with the later ones to outbox/refused)",
			(unsigned long long)out[0].seq);
		outbox_refuse(n, c, seqs, count, i);
		goto done;
	}
done:
	if (out)
		for (size_t k = 0; k < PARLEY_BATCH_MAX_ENTRIES; k++)
			parley_buf_release(&out[k].b);
	free(out);
	free(ptrs);
	free(lens);
	free(idx);
	free(theirs);
	free(seqs);
	return rc;
}
