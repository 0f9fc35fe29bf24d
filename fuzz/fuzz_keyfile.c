/*
 * fuzz_keyfile.c - libFuzzer harness for key files. The first byte picks the parser:
 * 0 secret key file, 1 public key file, 2 verifier key string. Clear files must round-trip.
 */
#include <stdlib.h>
#include <string.h>

#include "parley/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parley_buf out = PARLEY_BUF_INIT;

	if (size < 1)
		return 0;
	if (parley_init(NULL))
		abort();
	switch (data[0] % 3) {
	case 0: {
		parley_seckey *k = NULL;
		/* no passphrase: encrypted files stop before Argon2id, after every header check */
		if (parley_seckey_decode(data + 1, size - 1, NULL, 0, &k, NULL) == PARLEY_OK) {
			if (parley_seckey_encode(k, NULL, 0, NULL, &out, NULL) || out.len != size - 1 ||
				memcmp(out.data, data + 1, out.len) != 0)
				abort();
		}
		parley_seckey_free(k);
		break;
	}
	case 1: {
		parley_pubkey pk;
		if (parley_pubkey_decode((const char *)data + 1, size - 1, &pk, NULL) == PARLEY_OK) {
			if (parley_pubkey_encode(&pk, &out))
				abort();
			/* the canonical file is what we parsed, but for an optional final newline */
			if (out.len != size - 1 && out.len != size)
				abort();
			if (memcmp(out.data, data + 1, size - 1 < out.len ? size - 1 : out.len) != 0)
				abort();
		}
		break;
	}
	default: {
		char *s = malloc(size);
		parley_pubkey pk;
		char again[PARLEY_VKEY_MAX];
		if (!s)
			abort();
		memcpy(s, data + 1, size - 1);
		s[size - 1] = 0;
		if (parley_vkey_parse(s, &pk, NULL) == PARLEY_OK) {
			parley_vkey_format(again, pk.name, pk.sign_pk);
			if (strcmp(again, s) != 0)
				abort();
		}
		free(s);
	}
	}
	parley_buf_release(&out);
	return 0;
}
