/* fuzz_entry.c - libFuzzer harness: any bytes through entry parse, verify and open. */
#include <stdlib.h>
#include <string.h>

#include "parley/entry.h"
#include "parley/receipt.h"

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
	/* what a receipt covers: total over any header and index; a cover holds ascending, disjoint ranges below its tree */
	if (e.h.type == PARLEY_T_RECEIPT) {
		static const uint64_t at[] = { 0, 1, 7, 1000, UINT64_MAX - 1, UINT64_MAX };
		for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
			parley_receipt_cover c;
			if (parley_receipt_covers(&e.h, at[k], &c, NULL) != PARLEY_OK)
				continue;
			if (c.n > PARLEY_RECEIPT_MAX_RANGES || (c.form == 2 && (c.n == 0 || c.size == 0 || c.size > at[k])))
				abort();
			for (unsigned i = 0; i < c.n; i++)
				if (c.first[i] > c.last[i] || c.last[i] >= at[k] || (i && c.first[i] <= c.last[i - 1] + 1) ||
					(c.form == 2 && c.last[i] >= c.size) || !parley_receipt_cover_has(&c, c.first[i]) ||
					!parley_receipt_cover_has(&c, c.last[i]))
					abort();
		}
	}
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
