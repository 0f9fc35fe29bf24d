/*
 * bundle.h - what proof bundles (proof.h) and report bundles (report.h) share:
 * the signed charter, a checkpoint, entries with their RFC 9162 inclusion
 * proofs, and a range claimed complete. Checking (offline, from the bundle
 * alone) and building (from a node's replica) live here once, so both kinds of
 * bundle apply the same rules (docs/protocol.md §7 and §7.2).
 */
#ifndef PARLEY_BUNDLE_H
#define PARLEY_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "parley/charter.h"
#include "parley/entry.h"
#include "parley/err.h"
#include "parley/note.h"
#include "parley/store.h"
#include "parley/workflow.h"

/* One checked entry of a bundle. bytes is owned (parley_bundle_entries_free). */
typedef struct parley_bundle_entry {
	uint64_t index, ms;
	uint8_t *bytes;
	size_t len;
	parley_entry e;              /* parsed from bytes (points into them) */
	const parley_party *sender;  /* in the bundle's charter */
} parley_bundle_entry;

/*
 * The member `charter` of a bundle: parsed, and every member's signature
 * checked. `what` prefixes messages ("proof", "report"). *out is to be freed.
 */
parley_code parley_bundle_charter(const json_t *doc, const char *what, parley_charter **out, parley_err *err) PARLEY_WUR;

/*
 * A JSON list of at most PARLEY_MERKLE_MAX_PROOF hex hashes into out; *n gets
 * how many. PARLEY_E_FORMAT naming `what` otherwise.
 */
parley_code parley_bundle_hashes(const json_t *arr, uint8_t out[][32], size_t *n, const char *prefix, const char *what,
	parley_err *err) PARLEY_WUR;

/*
 * Check the list arr of {"index", "integrated_ms", "entry", "inclusion"}
 * objects (1 to max of them): each entry decodes, belongs to the charter's
 * channel, is signed by a party of the charter, was created within
 * PARLEY_ENTRY_MAX_SKEW_MS of its integration time, is in the charter's
 * scope, is addressed to parties only, and (with its integration time) is in
 * the tree cp signs. *out (allocated, sorted by index, no index twice) gets
 * them; free with parley_bundle_entries_free. PARLEY_E_FORMAT / PARLEY_E_VERIFY
 * naming the first that fails, prefixed with `what`.
 */
parley_code parley_bundle_entries(const parley_charter *ch, const parley_checkpoint *cp, const json_t *arr, size_t max,
	const char *what, parley_bundle_entry **out, size_t *n, parley_err *err) PARLEY_WUR;
void parley_bundle_entries_free(parley_bundle_entry *v, size_t n);

/*
 * The admission rules' lookup (parley_admit_lookup) over entries sorted by index
 * (as parley_bundle_entries gives them): ctx is a parley_bundle_look; an index the
 * entries lack gives PARLEY_E_PENDING ("cannot tell"), not a refusal.
 */
typedef struct parley_bundle_look {
	const parley_bundle_entry *v;
	size_t n;
} parley_bundle_look;
parley_code parley_bundle_admit_lookup(void *ctx, uint64_t index, parley_entry_hdr *h, uint64_t *integrated_ms,
	parley_err *err);

/*
 * The member `complete` ({"from": F, "to": M}, F <= M, nothing else) into
 * *from, *to. PARLEY_E_FORMAT otherwise.
 */
parley_code parley_bundle_complete_parse(const json_t *v, const char *what, uint64_t *from, uint64_t *to,
	parley_err *err) PARLEY_WUR;

/*
 * The range from..to is complete in v (sorted) and its integration times never
 * go back. PARLEY_E_VERIFY naming the missing entry or the step back.
 */
parley_code parley_bundle_range_check(const parley_bundle_entry *v, size_t n, uint64_t from, uint64_t to,
	const char *what, parley_err *err) PARLEY_WUR;

#define PARLEY_BUNDLE_MAX_COSIGNED 64

/* A further checkpoint of the log that a bundle holds, and who cosigned it. */
typedef struct parley_bundle_cosigned {
	uint64_t size;
	bool cosigned[PARLEY_MAX_PARTIES];
} parley_bundle_cosigned;

/*
 * The optional member `cosigned` (arr may be NULL): a list of at most
 * PARLEY_BUNDLE_MAX_COSIGNED {"checkpoint": NOTE, "consistency": [hex...]},
 * further checkpoints of the log, each checked like cp (relay signature,
 * origin, cosignatures) and consistent with cp by its RFC 9162 proof (empty
 * for the same size: then the same root). out (room for the maximum; may be
 * NULL) gets each and *nout how many. in->cosigned_size and cosigned_ms are
 * moved, per party, to its latest cosignature by its own signed clock: what
 * it attests (docs/protocol.md §7.0.1).
 */
parley_code parley_bundle_cosigned_check(const parley_charter *ch, const parley_checkpoint *cp, const json_t *arr,
	const char *what, parley_bundle_cosigned *out, size_t *nout, parley_wf_input *in, parley_err *err) PARLEY_WUR;

/* The workflow engine's view of v (headers, times, hashes). *out is to be freed. */
parley_code parley_bundle_wf_entries(const parley_bundle_entry *v, size_t n, parley_wf_entry **out,
	parley_err *err) PARLEY_WUR;

/*
 * Building: entry `index` of a replica as a bundle member {"index",
 * "integrated_ms", "entry": base64, "inclusion": [hex...]}, its inclusion
 * proof in the tree of `size` entries. *out is a new reference.
 */
parley_code parley_bundle_entry_json(parley_store *s, const uint8_t id[32], uint64_t index, uint64_t size, json_t **out,
	parley_err *err) PARLEY_WUR;

#endif
