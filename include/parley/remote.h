/*
 * remote.h - a typed relay client: one function per route of docs/api.md that
 * the proof tools need, over parley_client (signed requests). Each returns
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

#endif
