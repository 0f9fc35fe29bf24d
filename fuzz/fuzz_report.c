/*
 * fuzz_report.c - libFuzzer harness for the report-bundle checker (parley check-report):
 * every input is parsed and checked; a bundle that checks must render as text, JSON and HTML.
 */
#include <stdlib.h>

#include "parley/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parley_report rep;
	parley_buf out = PARLEY_BUF_INIT;

	if (parley_init(NULL))
		abort();
	if (parley_report_check((const char *)data, size, &rep, NULL) != PARLEY_OK) {
		/* a refused bundle leaves nothing behind */
		if (rep.names || rep.items || rep.party)
			abort();
		return 0;
	}
	json_t *js = parley_report_json(&rep);
	if (!js || parley_report_text(&rep, &out) || parley_report_html(&rep, &out))
		abort();
	json_decref(js);
	parley_buf_release(&out);
	parley_report_release(&rep);
	return 0;
}
