/*
 * fuzz_misp.c - libFuzzer harness for MISP events (notify --misp) and the way back: the input parsed as a
 * MISP event and converted to STIX; the bundle then validated and converted back to a MISP event.
 */
#include <stdlib.h>
#include <string.h>

#include "parley/misp.h"
#include "parley/stix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *bundle = NULL, *unknown = NULL, *ev = NULL;
	if (size > PARLEY_MISP_EVENT_MAX)
		return 0;
	if (parley_misp_parse((const char *)data, size, &bundle, &unknown, NULL) == PARLEY_OK) {
		parley_code rc = parley_stix_validate(bundle, NULL);
		(void)rc;
		if (parley_misp_from_stix(json_object_get(bundle, "objects"), "5f1e6a4b-9c2d-4e7f-8a1b-2c3d4e5f6a7b", "fuzz",
			    1796000000000ull, &ev, NULL) == PARLEY_OK)
			json_decref(ev);
		json_decref(bundle);
		json_decref(unknown);
	}
	return 0;
}
