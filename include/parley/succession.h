/*
 * succession.h - charters that succeed each other (docs/protocol.md, "Succession").
 *
 * A successor charter names its predecessor's id. The old channel ends when its
 * log holds a handover entry naming the successor by every continuing party (a
 * party of both charters, by name): from the integration time of the last one,
 * the old channel winds down as after an expiry (parley_admit_validity_end) and
 * new threads open on the successor. The rule is written once here; the relay
 * (at admission), the nodes (when they verify) and the CLI (before sending) call
 * it with a copy of their state, and keep the copy only when the entry is taken.
 */
#ifndef PARLEY_SUCCESSION_H
#define PARLEY_SUCCESSION_H

#include <stdbool.h>
#include <stdint.h>
#include "parley/admit.h"
#include "parley/charter.h"
#include "parley/entry.h"
#include "parley/err.h"
#include "parley/store.h"

/* The succession state of one channel's log, as far as it has been admitted. */
typedef struct parley_succession {
	bool named;                                  /* a handover has been admitted */
	uint8_t successor[32];                       /* the successor every handover names */
	size_t ncont;                                /* continuing parties */
	uint8_t cont[PARLEY_MAX_PARTIES][PARLEY_KEYID_LEN]; /* their key ids in this (the old) charter */
	bool done[PARLEY_MAX_PARTIES];               /* which of them handed over */
	uint64_t end_ms;   /* integration time of the handover that ended the channel; UINT64_MAX until then */
	uint64_t end_size; /* the log's size right after that handover; 0 until then */
} parley_succession;

/* A log without handovers (nothing named, end_ms UINT64_MAX). */
void parley_succession_init(parley_succession *st);

/* Whether every continuing party has handed over: the channel has ended. */
bool parley_succession_ended(const parley_succession *st);

/*
 * Find a charter by id: PARLEY_OK with *out (the caller frees it), PARLEY_E_NOTFOUND
 * when the caller does not hold it, anything else for other failures.
 */
typedef parley_code (*parley_charter_lookup)(void *ctx, const uint8_t id[32], parley_charter **out, parley_err *err);

/* A parley_charter_lookup over a store's channels (ctx is the parley_store). */
parley_code parley_charter_store_lookup(void *ctx, const uint8_t id[32], parley_charter **out,
	parley_err *err) PARLEY_WUR;

/*
 * Admission of the entry h at log index `index`, integrated at ms, on channel
 * `old` whose log so far left *st: the charter's validity with the succession's
 * end (parley_admit_validity_end, look/lctx as there), and for a handover entry:
 *   - it names the successor's id in its category field (64 lower-case hex
 *     digits), opens no thread and names no entry;
 *   - the channel has not ended yet, and every earlier handover named the same
 *     successor;
 *   - the successor (found with clook) names this channel as its predecessor,
 *     and every party it lists has signed it;
 *   - its sender is a continuing party (a party of the successor by name) that
 *     has not handed over yet.
 * On PARLEY_OK *st is advanced (the handover counted; end_ms and end_size set by
 * the last one); on failure *st is unchanged. PARLEY_E_VERIFY names the rule;
 * what clook returned (other than NOTFOUND, which becomes E_VERIFY) passes on.
 */
parley_code parley_admit_entry(const parley_charter *old, parley_succession *st, const parley_entry_hdr *h,
	uint64_t index, uint64_t ms, parley_admit_lookup look, void *lctx, parley_charter_lookup clook, void *cctx,
	parley_err *err) PARLEY_WUR;

/*
 * Rebuild the state from a log already verified: advance *st for every handover
 * (hdr at index, integrated at ms) without the validity check. The same handover
 * rule applies; a failure means the replica or the store changed under it.
 */
parley_code parley_succession_follow(const parley_charter *old, parley_succession *st, const parley_entry_hdr *h,
	uint64_t index, uint64_t ms, parley_charter_lookup clook, void *cctx, parley_err *err) PARLEY_WUR;

/*
 * Whether the successor `succ` takes the entry h, given its predecessor's state
 * pred (the predecessor's log as the caller holds it): until every continuing
 * party handed the predecessor over (or when pred names another successor),
 * nothing opens a thread on the successor (notifications, requests, pings, PSI
 * requests): PARLEY_E_VERIFY "not active yet". This is a rule of the relay that
 * hosts both channels and of a sending node that follows both, not of the log:
 * a party that joined only the successor cannot check it, so nodes do not apply
 * it when they verify what they synced.
 */
parley_code parley_admit_successor_active(const parley_charter *succ, const parley_succession *pred,
	const parley_entry_hdr *h, parley_err *err) PARLEY_WUR;

/* The successor's id from a handover's category: PARLEY_E_FORMAT when it is not 64 lower-case hex digits. */
parley_code parley_handover_successor(const parley_entry_hdr *h, uint8_t id[32], parley_err *err) PARLEY_WUR;

/*
 * The state of channel ch's log as store s holds it: every handover followed
 * from the start (successor charters looked up in s). *first gets the index of
 * the first handover (UINT64_MAX when none; may be NULL). A log the store does
 * not hold leaves the state of a log without handovers.
 */
parley_code parley_succession_scan(parley_store *s, const parley_charter *ch, parley_succession *st, uint64_t *first,
	parley_err *err) PARLEY_WUR;

#endif
