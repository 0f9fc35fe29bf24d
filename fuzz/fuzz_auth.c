/*
 * fuzz_auth.c - libFuzzer harness for request authentication as the relay sees it: the four
 * headers and the request line come from the input (NUL-separated), then the body.
 */
#include <stdlib.h>
#include <string.h>

#include "parley/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static parley_nonce_cache *nc;
	static uint8_t pk[32];
	char fields[6][200];
	size_t f = 0, pos = 0;
	parley_auth_headers h;

	if (!nc) {
		if (parley_init(NULL) || parley_nonce_cache_new(1000, &nc))
			abort();
		memset(pk, 9, sizeof(pk));
	}
	memset(fields, 0, sizeof(fields));
	/* key, time, nonce, signature, method, target: NUL-separated; the rest is the body */
	while (f < 6 && pos < size) {
		size_t k = 0;
		while (pos < size && data[pos] && k < sizeof(fields[f]) - 1)
			fields[f][k++] = (char)data[pos++];
		while (pos < size && data[pos])
			pos++; /* an over-long field is cut, as the relay's copies are */
		pos++;
		f++;
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.key, fields[0], sizeof(h.key) - 1);
	memcpy(h.time, fields[1], sizeof(h.time) - 1);
	memcpy(h.nonce, fields[2], sizeof(h.nonce) - 1);
	memcpy(h.sig, fields[3], sizeof(h.sig) - 1);
	const uint8_t *body = pos < size ? data + pos : (const uint8_t *)"";
	size_t blen = pos < size ? size - pos : 0;
	if (parley_auth_verify(&h, pk, fields[4], fields[5], body, blen, parley_now_ms(), NULL) == PARLEY_OK)
		abort(); /* nobody knows the secret key of this public key */
	parley_code rc = parley_nonce_cache_add(nc, h.key, h.nonce, parley_now_ms());
	(void)rc;
	return 0;
}
