/*
 * fuzz_page.c - libFuzzer harness for a page of entries as a relay answers GET
 * /entries (a sync's and a standing node's input), in JSON and in the binary
 * form: parley_remote_page_parse and parley_remote_page_parse_bin must refuse or
 * return entries in order from `from`, each with its bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "parley/remote.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parley_remote_page pg = PARLEY_REMOTE_PAGE_INIT;
	uint64_t from = size ? data[0] : 0;

	for (int bin = 0; bin < 2; bin++) {
		parley_code rc = bin ? parley_remote_page_parse_bin(data, size, from, &pg, NULL) :
				       parley_remote_page_parse((const char *)data, size, from, &pg, NULL);
		if (rc == PARLEY_OK) {
			for (size_t i = 0; i < pg.n; i++)
				if (pg.v[i].index != from + i || (pg.v[i].len && !pg.v[i].data) || pg.v[i].len > size)
					abort();
		} else if (pg.n || pg.v) {
			abort(); /* a refused page holds nothing */
		}
		parley_remote_page_release(&pg);
	}
	return 0;
}
