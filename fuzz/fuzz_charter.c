/* fuzz_charter.c - libFuzzer harness: charter parse, verify, and write/parse round trip. */
#include <stdlib.h>
#include <string.h>

#include "parley/charter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parley_charter *c = NULL, *c2 = NULL;
	parley_buf out = PARLEY_BUF_INIT;

	if (parley_charter_parse((const char *)data, size, &c, NULL) != PARLEY_OK)
		return 0;
	parley_code vr = parley_charter_verify(c, NULL);
	(void)vr;
	(void)parley_charter_count_valid_sigs(c);
	/* what we write, we read back as the same charter */
	if (parley_charter_write(c, &out, NULL) ||
		parley_charter_parse((const char *)out.data, out.len, &c2, NULL) ||
		memcmp(parley_charter_id(c), parley_charter_id(c2), 32) != 0)
		abort();
	parley_buf_release(&out);
	parley_charter_free(c);
	parley_charter_free(c2);
	return 0;
}
