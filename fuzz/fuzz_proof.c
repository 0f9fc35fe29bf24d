/*
 * fuzz_proof.c - libFuzzer harness for what is checked offline: every input goes
 * through the proof-bundle checker and through the evidence checker.
 */
#include <stdlib.h>

#include "parley/proof.h"
#include "parley/evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parley_proof_report rep;
	parley_buf ev = PARLEY_BUF_INIT;

	if (parley_init(NULL))
		abort();
	if (parley_proof_check((const char *)data, size, &rep, NULL) == PARLEY_OK)
		parley_proof_report_release(&rep);
	/* a refused evidence file leaves no report behind */
	if (parley_evidence_check((const char *)data, size, &ev, NULL) != PARLEY_OK && ev.len)
		abort();
	parley_buf_release(&ev);
	return 0;
}
