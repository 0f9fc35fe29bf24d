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
	uint8_t ck[PARLEY_KEY_LEN] = { 0 };
	bool ok = false;
	if (parley_entry_open(&e, key, &pl, ck, NULL) == PARLEY_OK) {
		if (pl.len + PARLEY_TAG_LEN != e.ct_len)
			abort();
		/* with the committed key, the seal check answers for every slot and refuses past the last */
		for (unsigned i = 0; i < e.h.nrecip; i++)
			if (parley_entry_seal_check(&e, ck, i, key->pub.seal_pk, &ok, NULL) != PARLEY_OK)
				abort();
		if (parley_entry_seal_check(&e, ck, e.h.nrecip, key->pub.seal_pk, &ok, NULL) != PARLEY_E_USAGE || ok)
			abort();
	} else if (e.h.nrecip) {
		parley_code sr = parley_entry_seal_check(&e, ck, 0, key->pub.seal_pk, &ok, NULL);
		(void)sr;
	}
	parley_buf_release(&pl);
	return 0;
}
