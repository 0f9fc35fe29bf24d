/*
 * receipt.h - what a receipt covers: the one place that reads a receipt's
 * header (docs/protocol.md §4.1.5). Every reader (the admission rule, the
 * workflow, proofs, reports, the node's "receipts owed") goes through
 * parley_receipt_covers.
 */
#ifndef PARLEY_RECEIPT_H
#define PARLEY_RECEIPT_H

#include <stdbool.h>
#include <stdint.h>
#include "parley/entry.h"
#include "parley/err.h"

/* refs[0] of a batched receipt (form 2): no log ever reaches this index, so no form-1 receipt names it */
#define PARLEY_RECEIPT_BATCH_TAG UINT64_MAX
/* A batched receipt lists 1..5 ranges: the tag, the tree size, the root (4 words) and 5 (first, last) pairs fill the 16 references. */
#define PARLEY_RECEIPT_BATCH_HEAD 6
#define PARLEY_RECEIPT_MAX_RANGES ((PARLEY_ENTRY_MAX_REFS - PARLEY_RECEIPT_BATCH_HEAD) / 2)

/*
 * What one receipt covers. Form 1 (one entry): refs[0] is the entry received,
 * the thread field its thread. Form 2 (batched): thread 0, refs =
 * [PARLEY_RECEIPT_BATCH_TAG, S, R0, R1, R2, R3, first1, last1, ..., firstN, lastN]:
 * S >= 1 and R (32 bytes, the four words big-endian) are the size and root of
 * the tree its writer verified (the checkpoint it carries), S at most the
 * receipt's own index; then 1..5 inclusive ranges, ascending, neither
 * overlapping nor adjacent (first(k+1) > last(k) + 1), every index below S.
 * The relay admits one only when its own tree's root at S is R, and every node
 * checks that against its replica (a mismatch is the relay's misbehaviour: a
 * split view, or an entry an honest relay refuses).
 *
 * Meaning, in both forms: the writer's node holds, has verified and has opened
 * every entry at a covered index that is addressed to the writer and that the
 * writer did not write. Covered indexes of other entries (not addressed to the
 * writer, its own, receipts) state nothing and are ignored.
 */
typedef struct parley_receipt_cover {
	uint8_t form;   /* 1 or 2 */
	uint64_t size;  /* form 2: the tree size its writer verified; form 1: 0 */
	uint8_t root[32]; /* form 2: that tree's root */
	unsigned n;     /* ranges: 0 (covers nothing) .. PARLEY_RECEIPT_MAX_RANGES */
	uint64_t first[PARLEY_RECEIPT_MAX_RANGES];
	uint64_t last[PARLEY_RECEIPT_MAX_RANGES];
} parley_receipt_cover;

/*
 * Decode the header h of the receipt at log index `index` (h->type must be
 * PARLEY_T_RECEIPT: PARLEY_E_USAGE otherwise). Form 1 is total: it covers
 * refs[0] when there is a reference below `index`, and nothing otherwise (as
 * before batching). Form 2 that breaks a rule above gives PARLEY_E_VERIFY
 * naming it: both the relay and every node refuse such an entry (the
 * admission rule, include/parley/admit.h). Costs O(ranges), whatever the
 * ranges' lengths.
 */
parley_code parley_receipt_covers(const parley_entry_hdr *h, uint64_t index, parley_receipt_cover *out,
	parley_err *err) PARLEY_WUR;

/* Whether index i is in one of the cover's ranges (O(log ranges)). */
bool parley_receipt_cover_has(const parley_receipt_cover *c, uint64_t i);

/*
 * Fill a batched receipt's thread and references: the verified tree (size,
 * root) and ranges (ascending, disjoint, non-adjacent, below size;
 * 1..PARLEY_RECEIPT_MAX_RANGES of them). PARLEY_E_USAGE when they are not.
 */
parley_code parley_receipt_batch_hdr(parley_entry_hdr *h, uint64_t size, const uint8_t root[32], const uint64_t *first,
	const uint64_t *last, unsigned n, parley_err *err) PARLEY_WUR;

#endif
