/* succession.c - the handover rule and the end of a channel that a successor charter takes over. */
#include <string.h>

#include "parley/succession.h"
#include "banned.h"

void parley_succession_init(parley_succession *st)
{
	memset(st, 0, sizeof(*st));
	st->end_ms = UINT64_MAX;
}

bool parley_succession_ended(const parley_succession *st)
{
	return st->end_ms != UINT64_MAX;
}

parley_code parley_charter_store_lookup(void *ctx, const uint8_t id[32], parley_charter **out, parley_err *err)
{
	parley_buf b = PARLEY_BUF_INIT;
	parley_code rc;

	*out = NULL;
	if ((rc = parley_store_channel_charter((parley_store *)ctx, id, &b, err)))
		return rc;
	rc = parley_charter_parse((const char *)b.data, b.len, out, err);
	parley_buf_release(&b);
	if (rc) {
		parley_wrap(err, PARLEY_E_VERIFY, "stored charter");
		return PARLEY_E_VERIFY;
	}
	if (memcmp(parley_charter_id(*out), id, 32) != 0) { /* a store keeps a charter under its own id */
		parley_charter_free(*out);
		*out = NULL;
		return parley_fail(err, PARLEY_E_VERIFY, "the charter stored under an id has another id");
	}
	return PARLEY_OK;
}

parley_code parley_handover_successor(const parley_entry_hdr *h, uint8_t id[32], parley_err *err)
{
	const char *s = h->category;
	bool ok = strlen(s) == 64;
	for (size_t i = 0; ok && i < 64; i++)
		ok = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
	if (!ok || parley_unhex(id, 32, s, 64))
		return parley_fail(err, PARLEY_E_FORMAT,
			"a handover names its successor's charter id (64 lower-case hex digits) in its category, not '%s'", s);
	return PARLEY_OK;
}

static int cont_index(const parley_succession *st, const uint8_t keyid[PARLEY_KEYID_LEN])
{
	for (size_t i = 0; i < st->ncont; i++)
		if (memcmp(st->cont[i], keyid, PARLEY_KEYID_LEN) == 0)
			return (int)i;
	return -1;
}

/* The handover rule; advances *st on success (callers pass a copy when they may still refuse the entry). */
static parley_code handover(const parley_charter *old, parley_succession *st, const parley_entry_hdr *h,
	uint64_t index, uint64_t ms, parley_charter_lookup clook, void *cctx, parley_err *err)
{
	uint8_t sid[32];
	char shex[65], ohex[65];
	parley_charter *succ = NULL;
	const parley_party *p = parley_charter_party_by_keyid(old, h->sender), *np;
	parley_code rc;

	if (parley_handover_successor(h, sid, err)) {
		parley_wrap(err, PARLEY_E_VERIFY, "handover");
		return PARLEY_E_VERIFY;
	}
	memcpy(shex, h->category, 65);
	if (h->thread || h->nrefs)
		return parley_fail(err, PARLEY_E_VERIFY, "a handover belongs to no thread and names no entry");
	if (!p || p->role != PARLEY_ROLE_PARTY)
		return parley_fail(err, PARLEY_E_VERIFY, "a handover comes from a party of the charter");
	if (parley_succession_ended(st)) {
		parley_hex(ohex, st->successor, 32);
		return parley_fail(err, PARLEY_E_VERIFY,
			"the channel was handed over to %.16s at size %llu: it takes no more handovers", ohex,
			(unsigned long long)st->end_size);
	}
	if (st->named && memcmp(st->successor, sid, 32) != 0) {
		parley_hex(ohex, st->successor, 32);
		return parley_fail(err, PARLEY_E_VERIFY,
			"handover by %s names successor %.16s, but an earlier handover names %.16s", p->key.name, shex, ohex);
	}
	rc = clook(cctx, sid, &succ, err);
	if (rc == PARLEY_E_NOTFOUND)
		return parley_fail(err, PARLEY_E_VERIFY,
			"handover by %s names successor %.16s, a charter not held here (open the successor on the relay first)",
			p->key.name, shex);
	if (rc)
		return rc;
	const uint8_t *pred = parley_charter_predecessor(succ);
	if (!pred || memcmp(pred, parley_charter_id(old), 32) != 0) {
		if (pred)
			parley_hex(ohex, pred, 32);
		rc = parley_fail(err, PARLEY_E_VERIFY,
			"handover by %s names charter %.16s, which %s%.16s%s, not this channel", p->key.name, shex,
			pred ? "succeeds " : "succeeds no charter", pred ? ohex : "", pred ? " (another channel)" : "");
		goto out;
	}
	if (parley_charter_verify(succ, err)) {
		parley_wrap(err, PARLEY_E_VERIFY, "handover by %s: successor %.16s is not signed by all its parties",
			p->key.name, shex);
		rc = PARLEY_E_VERIFY;
		goto out;
	}
	np = parley_charter_party(succ, p->key.name);
	if (!np || np->role != PARLEY_ROLE_PARTY) {
		rc = parley_fail(err, PARLEY_E_VERIFY,
			"handover by %s: it is not a party of successor %.16s (only continuing parties hand over)", p->key.name,
			shex);
		goto out;
	}
	parley_succession next = *st;
	if (!next.named) { /* the continuing parties: of both charters, by name */
		next.named = true;
		memcpy(next.successor, sid, 32);
		next.ncont = 0;
		for (size_t i = 0; i < parley_charter_nparties(old); i++) {
			const parley_party *a = parley_charter_party_at(old, i), *b;
			if (a->role != PARLEY_ROLE_PARTY || !(b = parley_charter_party(succ, a->key.name)) ||
				b->role != PARLEY_ROLE_PARTY)
				continue;
			memcpy(next.cont[next.ncont++], a->key.keyid, PARLEY_KEYID_LEN);
		}
	}
	int k = cont_index(&next, h->sender);
	if (k < 0) { /* cannot happen: the sender is a party of both */
		rc = parley_fail(err, PARLEY_E_VERIFY, "handover by %s: not a continuing party", p->key.name);
		goto out;
	}
	if (next.done[k]) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "%s already handed the channel over to %.16s", p->key.name, shex);
		goto out;
	}
	next.done[k] = true;
	size_t ndone = 0;
	for (size_t i = 0; i < next.ncont; i++)
		ndone += next.done[i];
	if (ndone == next.ncont) {
		next.end_ms = ms;
		next.end_size = index + 1;
	}
	*st = next;
	rc = PARLEY_OK;
out:
	parley_charter_free(succ);
	return rc;
}

parley_code parley_admit_entry(const parley_charter *old, parley_succession *st, const parley_entry_hdr *h,
	uint64_t index, uint64_t ms, parley_admit_lookup look, void *lctx, parley_charter_lookup clook, void *cctx,
	parley_err *err)
{
	parley_code rc;
	if ((rc = parley_admit_validity_end(old, st->end_ms, h, index, ms, look, lctx, err)))
		return rc;
	if (h->type != PARLEY_T_HANDOVER)
		return PARLEY_OK;
	return handover(old, st, h, index, ms, clook, cctx, err);
}

parley_code parley_succession_follow(const parley_charter *old, parley_succession *st, const parley_entry_hdr *h,
	uint64_t index, uint64_t ms, parley_charter_lookup clook, void *cctx, parley_err *err)
{
	if (h->type != PARLEY_T_HANDOVER)
		return PARLEY_OK;
	return handover(old, st, h, index, ms, clook, cctx, err);
}

parley_code parley_admit_successor_active(const parley_charter *succ, const parley_succession *pred,
	const parley_entry_hdr *h, parley_err *err)
{
	char hex[65];
	size_t ndone = 0;

	if (!(parley_type_opens_thread(h->type) || h->type == PARLEY_T_PING || h->type == PARLEY_T_PSI_REQUEST))
		return PARLEY_OK;
	if (parley_succession_ended(pred) && memcmp(pred->successor, parley_charter_id(succ), 32) == 0)
		return PARLEY_OK;
	parley_hex(hex, parley_charter_predecessor(succ) ? parley_charter_predecessor(succ) : pred->successor, 32);
	if (parley_succession_ended(pred))
		return parley_fail(err, PARLEY_E_VERIFY,
			"this charter is not active: its predecessor %.16s was handed over to another successor", hex);
	for (size_t i = 0; i < pred->ncont; i++)
		ndone += pred->done[i];
	return parley_fail(err, PARLEY_E_VERIFY,
		"this charter is not active yet: %zu of %zu continuing parties have handed over its predecessor %.16s "
		"(no new threads until all have; 'parley handover')",
		ndone, pred->named ? pred->ncont : (size_t)0, hex);
}

struct scan {
	const parley_charter *ch;
	parley_store *s;
	parley_succession *st;
	uint64_t first;
	parley_err *err;
};

static parley_code scan_one(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len)
{
	struct scan *sc = ctx;
	parley_entry e;
	if (parley_entry_parse(data, len, &e, sc->err))
		return parley_wrap(sc->err, PARLEY_E_VERIFY, "replica entry %llu", (unsigned long long)index);
	if (e.h.type != PARLEY_T_HANDOVER)
		return PARLEY_OK;
	if (sc->first == UINT64_MAX)
		sc->first = index;
	return parley_succession_follow(sc->ch, sc->st, &e.h, index, ms, parley_charter_store_lookup, sc->s, sc->err);
}

parley_code parley_succession_scan(parley_store *s, const parley_charter *ch, parley_succession *st, uint64_t *first,
	parley_err *err)
{
	struct scan sc = { ch, s, st, UINT64_MAX, err };
	uint64_t size = 0;
	parley_code rc;

	parley_succession_init(st);
	if (first)
		*first = UINT64_MAX;
	rc = parley_store_size(s, parley_charter_id(ch), &size, err);
	if (rc == PARLEY_E_NOTFOUND)
		return PARLEY_OK;
	if (rc || size == 0)
		return rc;
	if ((rc = parley_store_entries(s, parley_charter_id(ch), 0, size, scan_one, &sc, err)))
		return rc;
	if (first)
		*first = sc.first;
	return PARLEY_OK;
}
