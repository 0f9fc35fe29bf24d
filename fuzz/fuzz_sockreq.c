/*
 * fuzz_sockreq.c - libFuzzer harness for a request read from HOME/node.sock ('parley run'):
 * the first 20 bytes are the header, the rest the payload. parley_sockreq_header and
 * parley_sockreq_payload must never crash, and what they accept is exactly argc + nenv
 * strings inside the payload, with a non-empty command name.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "parley/sockreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t hdr[PARLEY_SOCKREQ_HDR_WORDS];
	parley_sockreq rq;
	parley_err err = { 0 };
	size_t n = size >= sizeof(hdr) ? size - sizeof(hdr) : 0;
	char *pl;

	if (size < sizeof(hdr))
		return 0;
	memcpy(hdr, data, sizeof(hdr));
	if (parley_sockreq_header(hdr, &rq, &err)) {
		if (!err.msg[0])
			abort();
		return 0;
	}
	if (rq.len < 1 || rq.len > PARLEY_SOCKREQ_PAYLOAD_MAX || rq.argc < 1 || rq.argc > PARLEY_SOCKREQ_ARGC_MAX ||
		rq.nenv > PARLEY_SOCKREQ_ENV_MAX)
		abort();
	/* the daemon reads exactly rq.len bytes; the harness passes what it has, so a short one is refused too */
	if (!(pl = malloc(n + 1)))
		return 0;
	memcpy(pl, data + sizeof(hdr), n);
	pl[n] = 0;
	if (parley_sockreq_payload(&rq, pl, n, &err) == PARLEY_OK) {
		if (!rq.argv || !rq.env || !rq.argv[0][0] || rq.argv[rq.argc] || rq.env[rq.nenv])
			abort();
		for (uint32_t i = 0; i < rq.argc; i++)
			if (rq.argv[i] < pl || rq.argv[i] + strlen(rq.argv[i]) >= pl + n)
				abort();
		for (uint32_t i = 0; i < rq.nenv; i++)
			if (rq.env[i] < pl || rq.env[i] + strlen(rq.env[i]) >= pl + n)
				abort();
	} else if (!err.msg[0] || rq.argv || rq.env) {
		abort();
	}
	parley_sockreq_release(&rq);
	free(pl);
	return 0;
}
