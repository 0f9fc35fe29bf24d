/*
 * fuzz_stix.c - libFuzzer harness for STIX content and payloads: what 'parley stix validate',
 * notify --stix and the TAXII path run. First byte: 0 a STIX document (JSON: a bundle, an
 * object, a list of objects or a TAXII envelope) through parley_stix_check / check_objects,
 * strict and not, and parley_stix_validate; 1 a STIX pattern; 2 an entry payload.
 */
#include <stdlib.h>
#include <string.h>

#include "parley/jcs.h"
#include "parley/payload.h"
#include "parley/stix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_doc(const json_t *j)
{
	for (unsigned flags = 0; flags <= PARLEY_STIX_STRICT; flags++) {
		parley_stix_report rep;
		parley_code rc;
		parley_stix_report_init(&rep);
		if (json_is_array(j))
			rc = parley_stix_check_objects(j, flags, &rep);
		else if (json_is_object(j) && !json_object_get(j, "type") && json_is_array(json_object_get(j, "objects")))
			rc = parley_stix_check_objects(json_object_get(j, "objects"), flags, &rep);
		else
			rc = parley_stix_check(j, flags, &rep);
		/* the verdict and the report agree */
		if ((rc == PARLEY_OK) != (rep.errors == 0) && rc != PARLEY_E_NOMEM)
			abort();
		if (rep.n > PARLEY_STIX_MAX_PROBLEMS)
			abort();
		parley_stix_report_release(&rep);
	}
	parley_code rc = parley_stix_validate(j, NULL);
	(void)rc;
	if (json_is_array(j)) {
		rc = parley_stix_validate_objects(j, NULL);
		(void)rc;
	}
}

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
			check_doc(j);
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
