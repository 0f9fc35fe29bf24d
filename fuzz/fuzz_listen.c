/*
 * fuzz_listen.c - libFuzzer harness for listening addresses (--listen of serve and taxii):
 * parley_listen_parse must never crash, and what it accepts has a host that fits and is a string.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "parley/listen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), host[PARLEY_LISTEN_HOST_MAX + 1];
	uint16_t port;
	parley_err err = { 0 };

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	if (parley_listen_parse(s, host, &port, &err) == PARLEY_OK) {
		size_t n = strnlen(host, sizeof(host));
		if (n == 0 || n == sizeof(host) || strchr(host, ']') || (strchr(host, ':') && s[0] != '['))
			abort();
	} else if (!err.msg[0]) {
		abort();
	}
	free(s);
	return 0;
}
