/* payload.h - what an entry's sealed payload holds: a free-text summary and/or a STIX 2.1 bundle. */
#ifndef PARLEY_PAYLOAD_H
#define PARLEY_PAYLOAD_H

#include <jansson.h>
#include "parley/err.h"
#include "parley/util.h"

#define PARLEY_TEXT_MAX (64 * 1024)

/*
 * The plaintext of an entry is UTF-8 JSON: {"text": STRING} and/or
 * {"stix": OBJECT} (a STIX bundle); an empty payload is allowed. A receipt's payload is
 * {"checkpoint": NOTE}: the signed checkpoint its writer's node last verified, so that the
 * receipt's reader can compare it with its own view of the log (split-view detection).
 */
typedef struct parley_payload {
	char *text;       /* NULL when absent */
	json_t *stix;     /* NULL when absent; a new reference */
	char *checkpoint; /* receipts: the checkpoint note the receipt's writer last verified; NULL when absent */
} parley_payload;

/* Encode; at least one of text and stix. The STIX object must be a bundle ("type": "bundle"). */
parley_code parley_payload_encode(const char *text, const json_t *stix, parley_buf *out, parley_err *err) PARLEY_WUR;
/* Decode strictly (no other members, no duplicates). An empty input gives an empty payload. */
parley_code parley_payload_decode(const uint8_t *p, size_t n, parley_payload *out, parley_err *err) PARLEY_WUR;
void parley_payload_release(parley_payload *p);

#endif
