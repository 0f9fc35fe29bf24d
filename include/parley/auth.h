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

/* Seen nonces within the window: thread-safe, bounded. */
typedef struct parley_nonce_cache parley_nonce_cache;
parley_code parley_nonce_cache_new(size_t max_entries, parley_nonce_cache **out) PARLEY_WUR;
void parley_nonce_cache_free(parley_nonce_cache *c);
/*
 * Record (keyid, nonce) seen at time_ms. PARLEY_E_VERIFY when it was seen
 * before (a replay), PARLEY_E_LIMIT when the cache is full of live nonces.
 * Entries older than the window are dropped as it goes.
 */
parley_code parley_nonce_cache_add(parley_nonce_cache *c, const char *keyid_hex, const char *nonce_hex,
	uint64_t now_ms) PARLEY_WUR;

/* A token bucket per key id: rate per second, burst = 2 * rate. Thread-safe. */
typedef struct parley_ratelimit parley_ratelimit;
parley_code parley_ratelimit_new(double rate, parley_ratelimit **out) PARLEY_WUR;
void parley_ratelimit_free(parley_ratelimit *r);
/* True when a request by keyid may go ahead at now_ms (and takes a token). */
bool parley_ratelimit_take(parley_ratelimit *r, const char *keyid_hex, uint64_t now_ms);

#endif
