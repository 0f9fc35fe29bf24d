/* client.h - signed HTTP requests to a relay (libcurl). */
#ifndef PARLEY_CLIENT_H
#define PARLEY_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include "parley/crypto.h"
#include "parley/err.h"
#include "parley/util.h"

#define PARLEY_CLIENT_RESPONSE_MAX ((size_t)64 << 20)

typedef struct parley_client {
	void *curl;
	char base[512];             /* relay base URL without a trailing slash */
	const parley_seckey *key;   /* signs every request; NULL sends unsigned requests */
	char ca_file[512];          /* trust this CA for https (empty: the system's) */
	/* for tests of the relay's refusals: a fixed time and nonce instead of now and random */
	uint64_t fixed_time_ms;
	char fixed_nonce[33];
	int no_retry;               /* return a 429 as it is instead of backing off and retrying */
	const char *accept;         /* an Accept header for the next requests (NULL: none) */
	char resp_type[96];         /* the last response's Content-Type (empty: none) */
} parley_client;

parley_code parley_client_init(parley_client *c, const char *base_url, const parley_seckey *key,
	parley_err *err) PARLEY_WUR;
void parley_client_release(parley_client *c);

/*
 * Send one request to base + target (a path with an optional query). On a
 * response of any status, PARLEY_OK with *status and the body in resp;
 * PARLEY_E_IO when the relay cannot be reached or answers garbage. A 429
 * (rate limited) is retried, newly signed, after a growing pause (50 ms
 * doubling to 2 s, for at most PARLEY_CLIENT_RETRY_MS in all) unless
 * no_retry is set or the time or nonce is fixed.
 */
#define PARLEY_CLIENT_RETRY_MS 60000
parley_code parley_client_do(parley_client *c, const char *method, const char *target, const char *content_type,
	const uint8_t *body, size_t n, long *status, parley_buf *resp, parley_err *err) PARLEY_WUR;

/*
 * For a non-2xx response: the problem's detail (RFC 9457) or the start of the
 * body, written into err with the status. Returns PARLEY_E_VERIFY for 4xx and
 * PARLEY_E_IO for other statuses.
 */
parley_code parley_client_problem(long status, const parley_buf *resp, parley_err *err);

#endif
