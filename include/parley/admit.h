/*
 * admit.h - admission rules shared by the relay and the nodes: each rule is
 * written once here, and every place that admits or verifies an entry calls it
 * (the relay when it integrates, a node when it verifies what it synced, the
 * node again before it sends, so that a refusal costs nothing permanent).
 */
#ifndef PARLEY_ADMIT_H
#define PARLEY_ADMIT_H

#include <stdint.h>
#include "parley/charter.h"
#include "parley/entry.h"
#include "parley/err.h"
#include "parley/store.h"

/*
 * After the charter expired, a deadline-missed entry (which can only be written
 * after a deadline) may record a thread's last deadline for this long after it.
 */
#define PARLEY_WINDDOWN_RECORD_MS ((uint64_t)7 * 86400 * 1000)

/*
 * The caller's view of its log: the header and integration time of the entry at
 * `index` (always below the index of the entry being admitted). PARLEY_E_NOTFOUND
 * when there is none; any other failure is passed on as it is.
 */
typedef parley_code (*parley_admit_lookup)(void *ctx, uint64_t index, parley_entry_hdr *h, uint64_t *integrated_ms,
	parley_err *err);

/*
 * Whether an entry with header h, at log index `index`, integrated at
 * integrated_ms, is admissible under the charter's validity (docs/protocol.md,
 * "Validity and wind-down"):
 *   - integrated before valid_from: refused;
 *   - from valid_from until valid_until: admitted (as far as validity goes);
 *   - from valid_until on (the wind-down): nothing opens a thread; a receipt,
 *     acknowledgement, response, ping-response, escalation, close,
 *     deadline-missed entry or unreadable report is admitted when it belongs to
 *     a thread opened before valid_until and is integrated no later than that
 *     thread's last deadline (the later of the opener type's acknowledge and
 *     respond deadlines in the charter, from the opener's integration time;
 *     PARLEY_WINDDOWN_RECORD_MS more for deadline-missed). A thread whose type
 *     has no deadline ends at valid_until.
 * lookup is called only in the wind-down, at most twice (the entry an entry
 * refers to, and its thread's opener). A receipt must decode
 * (parley_receipt_covers: a batched one's ranges ascending, disjoint, below the
 * tree size it names, which is at most its index); a batched receipt belongs to
 * no thread, so the wind-down refuses it (nodes send single receipts then).
 * Returns PARLEY_OK, PARLEY_E_VERIFY
 * naming the rule and the dates, or what lookup returned for other failures.
 */
parley_code parley_admit_validity(const parley_charter *ch, const parley_entry_hdr *h, uint64_t index,
	uint64_t integrated_ms, parley_admit_lookup lookup, void *ctx, parley_err *err) PARLEY_WUR;

/*
 * parley_admit_validity for a channel that ended at end_ms (the integration time of
 * the handover that completed its succession, docs/protocol.md "Succession"), or
 * UINT64_MAX: the wind-down starts at the earlier of valid_until and end_ms, and
 * threads opened before it run to their last deadline, as after an expiry.
 */
parley_code parley_admit_validity_end(const parley_charter *ch, uint64_t end_ms, const parley_entry_hdr *h,
	uint64_t index, uint64_t integrated_ms, parley_admit_lookup lookup, void *ctx, parley_err *err) PARLEY_WUR;

/*
 * The second half of the batched-receipt rule (include/parley/receipt.h): the
 * tree its writer verified is this log's. For a form-2 receipt h at `index`,
 * the root of the log in store at the receipt's size must be the root it
 * names, and that size must be at most `committed` (the entries the caller's
 * store holds). PARLEY_OK for every other entry (one O(log n) root read for a
 * batched receipt), PARLEY_E_VERIFY naming the receipt otherwise. The relay
 * refuses such a receipt (403 receipt-not-this-log); a node that finds one in
 * what its relay served stops trusting the relay (a split view, or an entry an
 * honest relay refuses).
 */
parley_code parley_admit_receipt_root(parley_store *store, const uint8_t id[32], const parley_entry_hdr *h,
	uint64_t index, uint64_t committed, parley_err *err) PARLEY_WUR;

/*
 * A parley_admit_lookup over a store: ctx is a parley_admit_store. The entry is
 * read by its index (one indexed read); buf holds it afterwards and is the
 * caller's to release (parley_buf_release).
 */
typedef struct parley_admit_store {
	parley_store *store;
	const uint8_t *id; /* the channel */
	parley_buf buf;
} parley_admit_store;

parley_code parley_admit_store_lookup(void *ctx, uint64_t index, parley_entry_hdr *h, uint64_t *integrated_ms,
	parley_err *err) PARLEY_WUR;

#endif
