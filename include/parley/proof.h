/*
 * proof.h - proof bundles (G5): what a sender hands a third party so that it
 * can check, offline and with nothing else, that an entry was sent, delivered,
 * acknowledged and answered at given times, and which deadlines were missed.
 *
 * A bundle (JSON, docs/protocol.md) holds the charter, a checkpoint signed by
 * the relay and cosigned by members, the subject entry and the entries of its
 * thread with their inclusion proofs, and a range of consecutive entries that
 * shows what did not happen before a deadline. With --reveal it holds the
 * subject's content key, and the checker decrypts the content.
 */
#ifndef PARLEY_PROOF_H
#define PARLEY_PROOF_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include "parley/charter.h"
#include "parley/err.h"
#include "parley/note.h"
#include "parley/util.h"

#define PARLEY_PROOF_VERSION 2
#define PARLEY_PROOF_MAX_BYTES ((size_t)256 << 20)

/*
 * Check a checkpoint note against a charter: the relay's signature, the origin
 * "parley/<channel id>", and every member's cosignature present (a bad one
 * fails). cosigned[i] (may be NULL) tells which members cosigned.
 */
parley_code parley_checkpoint_check(const parley_charter *ch, const char *text, size_t n, parley_checkpoint *cp,
	bool cosigned[PARLEY_MAX_PARTIES], parley_err *err) PARLEY_WUR;

/*
 * As parley_checkpoint_check; times_ms (may be NULL) gets, per charter party,
 * the signed timestamp of its cosignature in ms (1 for a timestamp of 0; 0
 * when it did not cosign).
 */
parley_code parley_checkpoint_check_times(const parley_charter *ch, const char *text, size_t n, parley_checkpoint *cp,
	bool cosigned[PARLEY_MAX_PARTIES], uint64_t times_ms[PARLEY_MAX_PARTIES], parley_err *err) PARLEY_WUR;

/* What a checked bundle establishes. */
typedef struct parley_proof_report {
	json_t *json; /* the findings, as printed by check-proof --json */
	parley_buf text; /* the same, for people */
} parley_proof_report;

/*
 * Verify a bundle completely (every signature, every proof, the contiguity
 * of the claimed range, the revealed key) and describe what it establishes.
 * PARLEY_E_VERIFY / PARLEY_E_FORMAT naming the first thing that fails.
 */
parley_code parley_proof_check(const char *text, size_t n, parley_proof_report *rep, parley_err *err) PARLEY_WUR;
void parley_proof_report_release(parley_proof_report *rep);

#endif
