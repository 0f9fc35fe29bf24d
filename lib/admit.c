/* admit.c - admission rules shared by the relay and the nodes (charter validity and wind-down). */
#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#include "parley/admit.h"
#include "parley/receipt.h"
#include "parley/workflow.h"
#include "banned.h"

/* An unreadable-entry report names the entry as refs[0], as a receipt does. */
#define TYPE_UNREADABLE PARLEY_T_UNREADABLE

static bool winds_down(unsigned type)
{
	switch (type) {
	case PARLEY_T_RECEIPT:
	case PARLEY_T_ACK:
	case PARLEY_T_RESPONSE:
	case PARLEY_T_ESCALATION:
	case PARLEY_T_CLOSE:
	case PARLEY_T_PING_RESPONSE:
	case PARLEY_T_DEADLINE_MISSED:
	case TYPE_UNREADABLE:
		return true;
	}
	return false;
}

static bool opens(unsigned type)
{
	return parley_type_opens_thread(type) || type == PARLEY_T_PING;
}

static const char *tname(unsigned type)
{
	const char *n = parley_type_name(type);
	return n ? n : type == TYPE_UNREADABLE ? "unreadable report" : "entry of unknown type";
}

static void fmt_ms(char out[21], uint64_t ms)
{
	parley_time_fmt(out, (int64_t)(ms / 1000));
}

/* The entry at `at` for the entry at `index`: NOTFOUND and indices not below `index` become a refusal. */
static parley_code look(parley_admit_lookup lookup, void *ctx, uint64_t index, uint64_t at, parley_entry_hdr *h,
	uint64_t *ms, parley_err *err)
{
	parley_code rc;
	if (at >= index)
		return parley_fail(err, PARLEY_E_VERIFY, "refers to entry %llu, which is not earlier in the log",
			(unsigned long long)at);
	rc = lookup(ctx, at, h, ms, err);
	if (rc == PARLEY_E_NOTFOUND)
		return parley_fail(err, PARLEY_E_VERIFY, "refers to entry %llu, which is not in the log",
			(unsigned long long)at);
	return rc;
}

parley_code parley_admit_validity(const parley_charter *ch, const parley_entry_hdr *h, uint64_t index,
	uint64_t integrated_ms, parley_admit_lookup lookup, void *ctx, parley_err *err)
{
	return parley_admit_validity_end(ch, UINT64_MAX, h, index, integrated_ms, lookup, ctx, err);
}

parley_code parley_admit_validity_end(const parley_charter *ch, uint64_t end_ms, const parley_entry_hdr *h,
	uint64_t index, uint64_t integrated_ms, parley_admit_lookup lookup, void *ctx, parley_err *err)
{
	int64_t from, until;
	char t1[21], t2s[21];
	parley_entry_hdr oh;
	uint64_t op, oms, until_ms;
	parley_code rc;

	/* a batched receipt's ranges are well formed and name only earlier entries (receipt.h) */
	if (h->type == PARLEY_T_RECEIPT) {
		parley_receipt_cover cov;
		if ((rc = parley_receipt_covers(h, index, &cov, err)))
			return rc;
	}
	parley_charter_validity(ch, &from, &until);
	if (integrated_ms < (uint64_t)from * 1000) {
		fmt_ms(t1, integrated_ms);
		parley_time_fmt(t2s, from);
		return parley_fail(err, PARLEY_E_VERIFY, "integrated at %s, before the charter is valid (from %s)", t1, t2s);
	}
	/* a handover ends the channel like its expiry, only sooner: the same wind-down follows */
	until_ms = (uint64_t)until * 1000;
	const char *ended = "the charter expired at";
	if (end_ms < until_ms) {
		until_ms = end_ms;
		ended = "the channel was handed over to its successor at";
	}
	if (integrated_ms < until_ms)
		return PARLEY_OK;

	/* the wind-down: only what finishes a thread opened before the end */
	fmt_ms(t2s, until_ms);
	const char *t2 = t2s;
	if (!winds_down(h->type))
		return parley_fail(err, PARLEY_E_VERIFY,
			"%s %s: the channel is winding down and takes no new %s (no new threads)", ended, t2,
			tname(h->type));
	if (h->type == TYPE_UNREADABLE) {
		if (h->nrefs == 0)
			return parley_fail(err, PARLEY_E_VERIFY,
				"%s %s: an unreadable report names no entry", ended, t2);
		op = h->thread ? h->thread : h->refs[0];
	} else if (!parley_workflow_thread_of(h, index, &op)) {
		return parley_fail(err, PARLEY_E_VERIFY,
			"%s %s: a %s that belongs to no thread is not admitted", ended, t2,
			tname(h->type));
	}
	if ((rc = look(lookup, ctx, index, op, &oh, &oms, err)))
		return rc;
	if (!opens(oh.type)) { /* a receipt or report of an answer: its thread is the answer's */
		uint64_t op2;
		if ((h->type != PARLEY_T_RECEIPT && h->type != TYPE_UNREADABLE) ||
			!parley_workflow_thread_of(&oh, op, &op2) || op2 == op)
			return parley_fail(err, PARLEY_E_VERIFY,
				"%s %s: entry %llu, which this %s names, is in no thread", ended, t2,
				(unsigned long long)op, tname(h->type));
		op = op2;
		if ((rc = look(lookup, ctx, index, op, &oh, &oms, err)))
			return rc;
		if (!opens(oh.type))
			return parley_fail(err, PARLEY_E_VERIFY, "entry %llu does not open a thread", (unsigned long long)op);
	}
	if (oms >= until_ms)
		return parley_fail(err, PARLEY_E_VERIFY, "thread %llu was opened after %s %s",
			(unsigned long long)op, ended, t2);

	parley_deadline d = parley_charter_deadline(ch, oh.type);
	int64_t last = d.acknowledge > d.respond ? d.acknowledge : d.respond;
	if (last <= 0)
		return parley_fail(err, PARLEY_E_VERIFY,
			"%s %s and thread %llu (a %s) has no deadline to wind down to", ended, t2,
			(unsigned long long)op, tname(oh.type));
	uint64_t end = oms + (uint64_t)last * 1000;
	if (h->type == PARLEY_T_DEADLINE_MISSED)
		end += PARLEY_WINDDOWN_RECORD_MS;
	if (integrated_ms > end) {
		fmt_ms(t1, end);
		return parley_fail(err, PARLEY_E_VERIFY,
			"%s %s and thread %llu wound down at %s (its last deadline%s)", ended, t2,
			(unsigned long long)op, t1, h->type == PARLEY_T_DEADLINE_MISSED ? " and the time to record it" : "");
	}
	return PARLEY_OK;
}

parley_code parley_admit_store_lookup(void *ctx, uint64_t index, parley_entry_hdr *h, uint64_t *integrated_ms,
	parley_err *err)
{
	parley_admit_store *a = ctx;
	parley_entry e;
	parley_code rc;

	if ((rc = parley_store_entry(a->store, a->id, index, &a->buf, integrated_ms, err)))
		return rc;
	if (parley_entry_parse(a->buf.data, a->buf.len, &e, err))
		return parley_wrap(err, PARLEY_E_VERIFY, "stored entry %llu", (unsigned long long)index);
	*h = e.h;
	return PARLEY_OK;
}

parley_code parley_admit_receipt_root(parley_store *store, const uint8_t id[32], const parley_entry_hdr *h,
	uint64_t index, uint64_t committed, parley_err *err)
{
	parley_receipt_cover cov;
	uint8_t root[32];
	parley_code rc;

	if (h->type != PARLEY_T_RECEIPT)
		return PARLEY_OK;
	if ((rc = parley_receipt_covers(h, index, &cov, err)) || cov.form != 2)
		return rc;
	if (cov.size > committed)
		return parley_fail(err, PARLEY_E_VERIFY,
			"batched receipt at %llu: names a verified tree of size %llu, beyond the %llu entries committed",
			(unsigned long long)index, (unsigned long long)cov.size, (unsigned long long)committed);
	if ((rc = parley_store_root(store, id, cov.size, root, err)))
		return rc;
	if (sodium_memcmp(root, cov.root, 32) != 0)
		return parley_fail(err, PARLEY_E_VERIFY,
			"batched receipt at %llu: the root it names for the tree of size %llu is not this log's "
			"(its writer verified another history)",
			(unsigned long long)index, (unsigned long long)cov.size);
	return PARLEY_OK;
}
