/*
 * fuzz_allowlist.c - libFuzzer harness for the relay's open-channels allowlist file
 * (serve --open-allowlist): parley_relay_allowlist_parse must never crash, and what it
 * accepts is a list of charter ids ('c') and party keys ('k'), never NULL.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "parley/relay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t (*allow)[33] = NULL;
	size_t n = 0;
	parley_err err = { 0 };

	if (parley_relay_allowlist_parse(data, size, "allowlist", &allow, &n, &err) == PARLEY_OK) {
		if (!allow || n > size)
			abort();
		for (size_t i = 0; i < n; i++)
			if (allow[i][0] != 'c' && allow[i][0] != 'k')
				abort();
	} else if (!err.msg[0] || allow || n) {
		abort();
	}
	free(allow);
	return 0;
}
