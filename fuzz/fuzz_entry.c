/* fuzz_entry.c - libFuzzer harness: any bytes through entry parse, verify and open. */
#include <stdlib.h>
#include <string.h>

#include "parley/entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static parley_seckey *key;
	parley_entry e;
	parley_buf pl = PARLEY_BUF_INIT;

	if (!key) {
		uint8_t seed[32];
		memset(seed, 0x20, sizeof(seed));
		if (parley_init(NULL) || parley_seckey_from_seed("cert-b", seed, &key, NULL))
			abort();
	}
	if (parley_entry_parse(data, size, &e, NULL) != PARLEY_OK)
		return 0;
	/* a parsed entry's views lie inside the input */
	if (e.raw != data || e.raw_len != size || e.hdr_len > size || e.ct < data ||
		e.ct + e.ct_len > data + size || e.sig + PARLEY_SIG_LEN != data + size)
		abort();
	parley_code vr = parley_entry_verify(&e, key->pub.sign_pk, NULL);
	(void)vr;
	if (parley_entry_open(&e, key, &pl, NULL, NULL) == PARLEY_OK && pl.len + PARLEY_TAG_LEN != e.ct_len)
		abort();
	parley_buf_release(&pl);
	return 0;
}
