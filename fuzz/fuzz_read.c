/*
 * fuzz_read.c - libFuzzer harness for kept signed reads, which reach a checker
 * from a relay or a proof bundle: the JSON form, the read target parser, and
 * parley_signed_read_verify over whatever bytes the fields hold.
 */
#include <stdlib.h>
#include <string.h>

#include "parley/auth.h"
#include "parley/remote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char chan[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pk[32];
	static bool ready;
	parley_signed_read r;
	uint64_t from;
	char *s;

	if (!ready) {
		if (parley_init(NULL))
			abort();
		memset(pk, 9, sizeof(pk));
		ready = true;
	}
	/* the input as a target */
	if (!(s = malloc(size + 1)))
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (parley_read_target_from(s, chan, &from, NULL) == PARLEY_OK && !strstr(s, "from="))
		abort(); /* a from must have come from somewhere */
	free(s);
	/* the input as the JSON a relay answers, then checked */
	if (parley_signed_read_parse_json((const char *)data, size, &r, NULL) == PARLEY_OK &&
		parley_signed_read_verify(&r, pk, chan, &from, NULL) == PARLEY_OK)
		abort(); /* nobody knows the secret key of this public key */
	/* the input as the raw structure, unterminated fields included */
	memset(&r, 0, sizeof(r));
	memcpy(&r, data, size < sizeof(r) ? size : sizeof(r));
	if (parley_signed_read_verify(&r, pk, chan, &from, NULL) == PARLEY_OK)
		abort();
	return 0;
}
