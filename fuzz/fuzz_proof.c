/* fuzz_proof.c - libFuzzer harness: proof bundles through the offline checker. */
#include <stdlib.h>

#include "parley/proof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parley_proof_report rep;
	if (parley_init(NULL))
		abort();
	if (parley_proof_check((const char *)data, size, &rep, NULL) == PARLEY_OK)
		parley_proof_report_release(&rep);
	return 0;
}
