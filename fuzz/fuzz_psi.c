/*
 * fuzz_psi.c - libFuzzer harness for PSI messages and coded tags. The first byte picks:
 * 0 a whole message, 1 a tag stream (second byte: tag length), 2 an indicator line.
 */
#include <stdlib.h>
#include <string.h>

#include "parley/psi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (parley_init(NULL))
		abort();
	switch (data[0] % 3) {
	case 0: {
		parley_psi_msg m;
		if (parley_psi_msg_decode(data + 1, size - 1, &m, NULL) == PARLEY_OK && m.kind == PARLEY_PSI_TAGS &&
			m.count <= 4096) {
			parley_tag *t = malloc((m.count ? m.count : 1) * sizeof(*t));
			if (!t)
				abort();
			parley_code rc = parley_psi_tags_decode(m.data, m.data_len, m.count, m.bits, t, NULL);
			(void)rc;
			free(t);
		}
		break;
	}
	case 1: {
		unsigned bits = 48 + data[1] % 81;
		parley_tag t[256];
		if (parley_psi_tags_decode(data + 2 - 0, size - 2, 256, bits, t, NULL) == PARLEY_OK)
			for (int i = 1; i < 256; i++)
				if (t[i] <= t[i - 1])
					abort(); /* decoded tags are strictly increasing */
		break;
	}
	default: {
		char *s = malloc(size);
		char out[4096];
		if (!s)
			abort();
		memcpy(s, data + 1, size - 1);
		s[size - 1] = 0;
		parley_code rc = parley_indicator_normalize(s, out, sizeof(out), NULL);
		if (rc == PARLEY_OK) {
			/* normalising twice changes nothing */
			char again[4096];
			if (parley_indicator_normalize(out, again, sizeof(again), NULL) || strcmp(out, again) != 0)
				abort();
		}
		free(s);
	}
	}
	return 0;
}
