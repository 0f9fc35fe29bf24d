/*
 * fuzz_stix.c - libFuzzer harness for STIX content and payloads. First byte: 0 a STIX
 * bundle (JSON), 1 a STIX pattern, 2 an entry payload.
 */
#include <stdlib.h>
#include <string.h>

#include "parley/jcs.h"
#include "parley/payload.h"
#include "parley/stix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	switch (data[0] % 3) {
	case 0: {
		json_t *j = NULL;
		if (parley_json_parse(p, n, 1 << 20, &j, NULL) == PARLEY_OK) {
			parley_code rc = parley_stix_validate(j, NULL);
			(void)rc;
			json_decref(j);
		}
		break;
	}
	case 1: {
		char *s = malloc(n + 1);
		if (!s)
			abort();
		memcpy(s, p, n);
		s[n] = 0;
		parley_code rc = parley_stix_pattern_check(s, NULL);
		(void)rc;
		free(s);
		break;
	}
	default: {
		parley_payload pl;
		if (parley_payload_decode((const uint8_t *)p, n, &pl, NULL) == PARLEY_OK)
			parley_payload_release(&pl);
	}
	}
	return 0;
}
