/*
 * remote.h - a typed relay client: one function per route of docs/api.md,
 * over parley_client (signed requests). Each returns
 * PARLEY_OK with the typed answer, PARLEY_E_NOTFOUND when the relay answers
 * 404, PARLEY_E_IO when it cannot be reached or answers garbage, and
 * PARLEY_E_VERIFY for another refusal (err carries the relay's detail).
 * Answers are the relay's claims: callers verify them (for example with
 * parley_signed_read_verify or parley_note_verify) before relying on them.
 */
#ifndef PARLEY_REMOTE_H
#define PARLEY_REMOTE_H

#include <stddef.h>
#include <stdint.h>
#include "parley/auth.h"
#include "parley/client.h"
#include "parley/err.h"
#include "parley/util.h"

/*
 * GET /v1/channels/{channel_hex}/reads?party=KEYID&past=N: the earliest
 * signed read the relay keeps by keyid whose from is greater than past,
 * into *out. The answer is checked for shape (PARLEY_E_IO when malformed, or
 * when its party is not keyid or its from is not past `past`), not for its
 * signature: use parley_signed_read_verify. PARLEY_E_NOTFOUND on 404 (no such
 * read, or keyid is not a member).
 */
parley_code parley_remote_read_past(parley_client *cl, const char *channel_hex, const uint8_t keyid[4], uint64_t past,
	parley_signed_read *out, parley_err *err) PARLEY_WUR;

/*
 * GET /v1/channels/{channel_hex}/checkpoint?cosigned_by=KEYID&min_size=N:
 * the relay's checkpoint note of the smallest size >= min_size that keyid
 * cosigned, with every cosignature the relay holds for it, into note (reset
 * first). PARLEY_E_NOTFOUND on 404 (none, or keyid is not a member).
 */
parley_code parley_remote_checkpoint_cosigned(parley_client *cl, const char *channel_hex, const uint8_t keyid[4],
	uint64_t min_size, parley_buf *note, parley_err *err) PARLEY_WUR;

/*
 * Parse the JSON of a signed read as /reads serves it ({"party", "from",
 * "target", "time_ms", "nonce", "signature"}, nothing else) into *out.
 * PARLEY_E_FORMAT for anything else. Checks shapes only, not the signature.
 */
parley_code parley_signed_read_parse_json(const char *json, size_t n, parley_signed_read *out,
	parley_err *err) PARLEY_WUR;

/* ---- the routes a node uses to join, sync and post ---- */

/*
 * The routes below fail with the code parley_client_problem gives for a status
 * other than the route's success (PARLEY_E_VERIFY for any 4xx, 404 included,
 * PARLEY_E_IO for the rest), PARLEY_E_IO for an unreachable relay. What a node holds the relay to
 * (entries in order, proofs that parse) is PARLEY_E_VERIFY, as a wrong answer
 * from the relay is its misbehaviour: the messages are the ones a sync reports.
 */

/* GET /v1/health: PARLEY_OK when the relay answers 200. */
parley_code parley_remote_health(parley_client *cl, parley_err *err) PARLEY_WUR;

/* GET /v1/metrics: the Prometheus text into out (reset first). */
parley_code parley_remote_metrics(parley_client *cl, parley_buf *out, parley_err *err) PARLEY_WUR;

/* POST /v1/channels: open the channel of a charter file (idempotent; 201 is PARLEY_OK). */
parley_code parley_remote_open(parley_client *cl, const uint8_t *charter, size_t n, parley_err *err) PARLEY_WUR;

/* GET /v1/channels/{id}/charter: the charter in the relay's canonical form, into out (reset first). */
parley_code parley_remote_charter(parley_client *cl, const char *channel_hex, parley_buf *out, parley_err *err) PARLEY_WUR;

/*
 * POST /v1/channels/{id}/entries: append one entry. 201 gives *index (and
 * *integrated_ms, which may be NULL); PARLEY_E_IO when the answer has no index.
 */
parley_code parley_remote_append(parley_client *cl, const char *channel_hex, const uint8_t *entry, size_t n,
	uint64_t *index, uint64_t *integrated_ms, parley_err *err) PARLEY_WUR;

/*
 * The outcome of a batched append (parley_remote_append_batch): the relay's
 * status (0 when it could not be reached), and for a refusal the position in
 * the batch of the first entry at fault (SIZE_MAX when the relay named none)
 * and the problem's title (its slug, e.g. "wrong-sequence").
 */
typedef struct parley_remote_batch {
	long status;
	size_t bad;
	char slug[40];
} parley_remote_batch;

/*
 * POST /v1/channels/{id}/entries with n entries (1 to PARLEY_BATCH_MAX_ENTRIES,
 * at most PARLEY_BATCH_MAX_BYTES framed; batch.h) in one signed request,
 * admitted by the relay all or none. 201 gives each entry's index into
 * indexes[n] (consecutive) and the integration time into *integrated_ms (may be
 * NULL); PARLEY_E_IO when the answer does not list n entries. A refusal fills
 * *out (may be NULL) and returns the code parley_client_problem gives; nothing
 * of the batch was appended then.
 */
parley_code parley_remote_append_batch(parley_client *cl, const char *channel_hex, const uint8_t *const *entries,
	const size_t *lens, size_t n, uint64_t *indexes, uint64_t *integrated_ms, parley_remote_batch *out,
	parley_err *err) PARLEY_WUR;

/* One entry of a page, base64-decoded (data is malloc'd). */
typedef struct parley_remote_entry {
	uint64_t index, integrated_ms;
	uint8_t *data;
	size_t len;
} parley_remote_entry;

/* A page of /entries: the log's size as the relay answered it, and the entries in order. */
typedef struct parley_remote_page {
	uint64_t size;
	parley_remote_entry *v;
	size_t n;
} parley_remote_page;
#define PARLEY_REMOTE_PAGE_INIT { 0, NULL, 0 }

/* The most entries one page holds (docs/api.md), and the longest long-poll wait a relay grants. */
#define PARLEY_REMOTE_PAGE_MAX 500
#define PARLEY_REMOTE_WAIT_MAX 60

/*
 * GET /v1/channels/{id}/entries?from=N&limit=M[&wait=S]: at most limit (1 to
 * PARLEY_REMOTE_PAGE_MAX) entries from index `from` into *out (released first).
 * With wait_s > 0 (at most PARLEY_REMOTE_WAIT_MAX) it is a long poll: the relay
 * answers as soon as an entry at `from` or later exists, or with an empty page
 * after wait_s seconds. Each entry must carry the index due at its place
 * ("the relay returned entry I where K was due") and a well-formed time and
 * base64 entry ("entry K: malformed in the relay's answer"), both
 * PARLEY_E_VERIFY; entries are otherwise unchecked (the caller verifies them).
 * A 429 of a long poll (too many waiting) is PARLEY_E_LIMIT, not retried.
 */
parley_code parley_remote_entries(parley_client *cl, const char *channel_hex, uint64_t from, uint64_t limit,
	unsigned wait_s, parley_remote_page *out, parley_err *err) PARLEY_WUR;
void parley_remote_page_release(parley_remote_page *p);
/*
 * The JSON of an /entries answer (n bytes, not NUL-terminated) for a request
 * from index `from`, into *out (released first), checked as
 * parley_remote_entries says. An answer without an "entries" array is an
 * empty page.
 */
parley_code parley_remote_page_parse(const char *json, size_t n, uint64_t from, parley_remote_page *out,
	parley_err *err) PARLEY_WUR;
/*
 * The same page in the binary form a relay sends to a request that accepts
 * PARLEY_MEDIA_PAGE (docs/api.md): BE64 size, then per entry BE64 index,
 * BE64 integrated_ms, BE32 length and the entry's bytes. The same errors.
 */
#define PARLEY_MEDIA_PAGE "application/vnd.parley.page"
parley_code parley_remote_page_parse_bin(const uint8_t *p, size_t n, uint64_t from, parley_remote_page *out,
	parley_err *err) PARLEY_WUR;

/*
 * GET /v1/channels/{id}/checkpoint[?size=S]: the relay's latest checkpoint note
 * (size PARLEY_REMOTE_LATEST) or the one of exactly that size, into note
 * (reset first). Unverified: check it with parley_checkpoint_check.
 */
#define PARLEY_REMOTE_LATEST UINT64_MAX
parley_code parley_remote_checkpoint(parley_client *cl, const char *channel_hex, uint64_t size, parley_buf *note,
	parley_err *err) PARLEY_WUR;

/*
 * GET /v1/channels/{id}/proof/inclusion?index=I&size=S and
 * GET /v1/channels/{id}/proof/consistency?old=M&size=N: the proof's hashes
 * into proof (room for PARLEY_MERKLE_MAX_PROOF) and *n. PARLEY_E_VERIFY
 * "malformed proof from the relay" when the answer is not such a list.
 * Unverified: check it with parley_merkle_verify_*.
 */
parley_code parley_remote_proof_inclusion(parley_client *cl, const char *channel_hex, uint64_t index, uint64_t size,
	uint8_t proof[][32], size_t *n, parley_err *err) PARLEY_WUR;
parley_code parley_remote_proof_consistency(parley_client *cl, const char *channel_hex, uint64_t old, uint64_t size,
	uint8_t proof[][32], size_t *n, parley_err *err) PARLEY_WUR;

/* POST /v1/channels/{id}/cosignatures: our cosignature line over the checkpoint of that size (201 is PARLEY_OK). */
parley_code parley_remote_cosign(parley_client *cl, const char *channel_hex, uint64_t size, const char *line,
	parley_err *err) PARLEY_WUR;

#endif
