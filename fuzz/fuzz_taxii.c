/*
 * fuzz_taxii.c - libFuzzer harness for what a TAXII client sends the node's listener. First byte:
 * 0 URL query parameters ("k=v&k=v", as libmicrohttpd hands them over), 1 a POSTed envelope
 * (parsed, then validated as STIX), 2 a timestamp.
 */
#include <stdlib.h>
#include <string.h>

#include "parley/stix.h"
#include "parley/taxii.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1 << 20))
		return 0;
	char *s = malloc(size);
	if (!s)
		abort();
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	switch (data[0] % 3) {
	case 0: {
		parley_taxii_query q;
		parley_taxii_query_init(&q);
		for (char *p = s; p && *p;) {
			char *amp = strchr(p, '&'), *eq;
			if (amp)
				*amp = 0;
			eq = strchr(p, '=');
			if (eq)
				*eq = 0;
			if (parley_taxii_query_add(&q, p, eq ? eq + 1 : NULL, NULL))
				break;
			p = amp ? amp + 1 : NULL;
		}
		if (q.ids)
			(void)parley_taxii_list_has(q.ids, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
		parley_taxii_query_release(&q);
		break;
	}
	case 1: {
		json_t *b = NULL;
		if (parley_taxii_envelope_parse(s, size - 1, &b, NULL) == PARLEY_OK) {
			parley_code rc = parley_stix_validate(b, NULL);
			(void)rc;
			(void)parley_taxii_category_of(b, NULL);
			json_decref(b);
		}
		break;
	}
	default: {
		parley_taxii_ts t, u = { 0, 0 };
		if (parley_taxii_ts_parse(s, &t))
			(void)parley_taxii_ts_cmp(&t, &u);
	}
	}
	free(s);
	return 0;
}
