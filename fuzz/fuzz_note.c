/*
 * fuzz_note.c - libFuzzer harness for signed notes, checkpoints and verifier keys.
 * First byte: 0 note (must round-trip byte for byte), 1 checkpoint body, 2 verifier key.
 */
#include <stdlib.h>
#include <string.h>

#include "parley/note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static parley_verifier keys[2];
	static int init;
	parley_buf out = PARLEY_BUF_INIT;

	if (!init) {
		uint8_t pk[32];
		memset(pk, 7, sizeof(pk));
		if (parley_init(NULL))
			abort();
		parley_verifier_from_key(&keys[0], "relay", pk, PARLEY_VKEY_ED25519);
		parley_verifier_from_key(&keys[1], "cert-a", pk, PARLEY_VKEY_COSIGNATURE);
		init = 1;
	}
	if (size < 1)
		return 0;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	switch (data[0] % 3) {
	case 0: {
		parley_note note;
		if (parley_note_parse(p, n, &note, NULL) != PARLEY_OK)
			break;
		bool ok[2];
		uint64_t times[2];
		parley_code vr = parley_note_verify(&note, keys, 2, ok, times, NULL);
		(void)vr;
		if (parley_note_write(&note, &out) || out.len != n || memcmp(out.data, p, n) != 0)
			abort();
		parley_note_release(&note);
		break;
	}
	case 1: {
		parley_checkpoint c;
		if (parley_checkpoint_parse(p, n, &c, NULL) != PARLEY_OK)
			break;
		if (parley_checkpoint_format(&c, &out) || out.len > n || memcmp(out.data, p, out.len) != 0)
			abort();
		break;
	}
	default: {
		char *s = malloc(n + 1);
		parley_verifier v;
		if (!s)
			abort();
		memcpy(s, p, n);
		s[n] = 0;
		parley_code vr = parley_verifier_parse(s, &v, NULL);
		(void)vr;
		free(s);
	}
	}
	parley_buf_release(&out);
	return 0;
}
