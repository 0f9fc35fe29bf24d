/*
 * auth.h - signed HTTP requests (G8): what a party signs, how the relay checks
 * it, the nonce cache that refuses replays, and per-party rate limits.
 */
#ifndef PARLEY_AUTH_H
#define PARLEY_AUTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parley/crypto.h"
#include "parley/err.h"
#include "parley/util.h"

#define PARLEY_AUTH_CONTEXT "parley-request/v1\n"
#define PARLEY_AUTH_WINDOW_MS (300 * 1000) /* a request's time may differ from the relay's by 5 minutes */
#define PARLEY_REQ_NONCE_LEN 16

/* The four request headers. */
#define PARLEY_H_KEY "Parley-Key"             /* signer's key id, 8 hex digits */
#define PARLEY_H_TIME "Parley-Time"           /* ms since the epoch, decimal */
#define PARLEY_H_NONCE "Parley-Nonce"         /* 32 hex digits, random */
#define PARLEY_H_SIGNATURE "Parley-Signature" /* base64 Ed25519 signature */

/*
 * The signed message:
 *   "parley-request/v1\n" METHOD "\n" TARGET "\n" hex(SHA-256(body)) "\n"
 *   TIME "\n" NONCE "\n" KEYID "\n"
 * TARGET is the path and, when present, "?" and the query exactly as sent.
 */
parley_code parley_auth_message(parley_buf *out, const char *method, const char *target, const uint8_t *body,
	size_t body_len, uint64_t time_ms, const char *nonce_hex, const char *keyid_hex) PARLEY_WUR;

/* Headers of a signed request (NUL-terminated strings). */
typedef struct parley_auth_headers {
	char key[9];
	char time[24];
	char nonce[2 * PARLEY_REQ_NONCE_LEN + 1];
	char sig[96];
} parley_auth_headers;

/* Sign a request as key at time_ms with a fresh nonce (or the given one, for tests). */
parley_code parley_auth_sign(parley_auth_headers *h, const parley_seckey *key, const char *method,
	const char *target, const uint8_t *body, size_t body_len, uint64_t time_ms, const char *nonce_hex) PARLEY_WUR;

/*
 * Check the shape of the headers and the time window (now_ms given), and
 * verify the signature with pk. PARLEY_E_FORMAT for malformed headers,
 * PARLEY_E_VERIFY for a stale time or a bad signature (err says which).
 * Does not consult the nonce cache.
 */
parley_code parley_auth_verify(const parley_auth_headers *h, const uint8_t pk[32], const char *method,
	const char *target, const uint8_t *body, size_t body_len, uint64_t now_ms, parley_err *err) PARLEY_WUR;

/*
 * A member's signed read of a channel's entries, kept by the relay as
 * delivery evidence: a request GET TARGET signed with the member's key at
 * time_ms, where TARGET is "/v1/channels/<id>/entries?from=F[&limit=L]".
 * It shows that the member's node held entries 0..F-1 at its signed time
 * (docs/security.md says what it does not show). Strings are NUL-terminated.
 */
#define PARLEY_READ_TARGET_MAX 512
typedef struct parley_signed_read {
	uint8_t keyid[4];                        /* the signer */
	uint64_t from;                           /* the target's from (the relay's copy; checked against target) */
	uint64_t time_ms;                        /* Parley-Time as signed */
	char target[PARLEY_READ_TARGET_MAX];     /* the target exactly as signed */
	char nonce[2 * PARLEY_REQ_NONCE_LEN + 1]; /* Parley-Nonce, 32 lower-case hex digits */
	char sig[96];                            /* Parley-Signature, base64 of 64 bytes */
} parley_signed_read;

/*
 * Parse the target of a read of channel_hex's entries: the path must be
 * exactly "/v1/channels/<channel_hex>/entries" and the query hold "from"
 * once and at most "limit" once, in any order, each a decimal number without
 * sign or leading zero. *from gets from. PARLEY_E_FORMAT for anything else
 * (another path or channel, a missing, repeated or unknown argument, junk).
 */
parley_code parley_read_target_from(const char *target, const char *channel_hex, uint64_t *from,
	parley_err *err) PARLEY_WUR;

/*
 * Check a kept read offline: rebuild the signed message (GET, r->target,
 * empty body, r->time_ms, r->nonce, r->keyid), verify r->sig with sign_pk,
 * parse the target with parley_read_target_from, and require that its from
 * equals r->from; *from (may be NULL) gets it. No time-window check: the
 * time is evidence for the caller to weigh. PARLEY_E_FORMAT for malformed
 * fields or target, PARLEY_E_VERIFY for a signature that does not verify or
 * a from that differs from the target's.
 */
parley_code parley_signed_read_verify(const parley_signed_read *r, const uint8_t sign_pk[32], const char *channel_hex,
	uint64_t *from, parley_err *err) PARLEY_WUR;

/*
 * Seen nonces within the window: thread-safe, bounded in all (max_entries) and per
 * key id (max_entries / PARLEY_NONCE_KEY_SHARE live nonces), so that one key
 * flooding requests fills its own share and nobody else's.
 */
#define PARLEY_NONCE_KEY_SHARE 16
typedef struct parley_nonce_cache parley_nonce_cache;
parley_code parley_nonce_cache_new(size_t max_entries, parley_nonce_cache **out) PARLEY_WUR;
void parley_nonce_cache_free(parley_nonce_cache *c);
/*
 * Record (keyid, nonce) seen at time_ms. PARLEY_E_VERIFY when it was seen
 * before (a replay), PARLEY_E_LIMIT when this key id holds its share of live
 * nonces (the key should slow down), PARLEY_E_NOMEM when the whole cache is full
 * (at least PARLEY_NONCE_KEY_SHARE keys at their share). Entries older than the
 * window are dropped as it goes, at most once a second.
 */
parley_code parley_nonce_cache_add(parley_nonce_cache *c, const char *keyid_hex, const char *nonce_hex,
	uint64_t now_ms) PARLEY_WUR;

/*
 * A token bucket per key id: rate per second, burst = 2 * rate. Thread-safe.
 * A fixed number of buckets, evicted least recently used: a key never finds the
 * table full. Evicting costs a key nothing (it comes back with a full bucket,
 * as an idle key's bucket would be), so no number of unknown keys can lock a
 * member out; it only lets a key that was evicted burst again.
 */
typedef struct parley_ratelimit parley_ratelimit;
parley_code parley_ratelimit_new(double rate, parley_ratelimit **out) PARLEY_WUR;
/* The same with another burst (tokens a full bucket holds). */
parley_code parley_ratelimit_new_burst(double rate, double burst, parley_ratelimit **out) PARLEY_WUR;
void parley_ratelimit_free(parley_ratelimit *r);
/* True when a request by keyid may go ahead at now_ms (and takes a token). */
bool parley_ratelimit_take(parley_ratelimit *r, const char *keyid_hex, uint64_t now_ms);
/*
 * Take n more tokens from keyid's bucket after a parley_ratelimit_take let a
 * request in (a request that counts as 1 + n, such as a batch of entries): the
 * bucket may go into debt, down to -n, and the key's next requests wait until
 * it refills.
 */
void parley_ratelimit_debit(parley_ratelimit *r, const char *keyid_hex, uint64_t now_ms, double n);

#endif
