/*
 * batch.h - several entries in one request body (POST /v1/channels/{id}/entries
 * with Content-Type PARLEY_BATCH_CTYPE, docs/api.md "Appending in batches"):
 * each entry as a 4-byte big-endian length followed by that many bytes (the
 * entry of docs/protocol.md §5), nothing before, between or after.
 */
#ifndef PARLEY_BATCH_H
#define PARLEY_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include "parley/err.h"
#include "parley/util.h"

#define PARLEY_BATCH_CTYPE "application/vnd.parley.entries"
/* The most entries one batch holds, and the most bytes its body holds (framing included). */
#define PARLEY_BATCH_MAX_ENTRIES 256
#define PARLEY_BATCH_MAX_BYTES ((size_t)8 << 20)

/* One entry of a batch: a view into the body. */
typedef struct parley_batch_item {
	const uint8_t *data;
	size_t len;
} parley_batch_item;

/*
 * Split a batch body of n bytes into out (room for `max` items), *count set.
 * PARLEY_E_FORMAT for an empty body, a truncated length or entry, an entry of
 * length 0 or above PARLEY_ENTRY_MAX_BYTES; PARLEY_E_LIMIT for more than `max`
 * entries (or a body above PARLEY_BATCH_MAX_BYTES). *bad is then the 0-based
 * position of the frame at fault (may be NULL). Entries are not parsed here.
 */
parley_code parley_batch_split(const uint8_t *body, size_t n, parley_batch_item *out, size_t max, size_t *count,
	size_t *bad, parley_err *err) PARLEY_WUR;

/* Append one entry's frame to a batch body being built. */
parley_code parley_batch_add(parley_buf *body, const uint8_t *entry, size_t n, parley_err *err) PARLEY_WUR;

/* Whether a Content-Type header names the batch format (the media type, case-insensitive; parameters ignored). */
bool parley_batch_ctype_is(const char *content_type);

#endif
