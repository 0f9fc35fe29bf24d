/* sockreq.c - parsing a request read from HOME/node.sock (include/parley/sockreq.h). */
#include <stdlib.h>
#include <string.h>

#include "parley/sockreq.h"
#include "banned.h"

parley_code parley_sockreq_header(const uint32_t hdr[PARLEY_SOCKREQ_HDR_WORDS], parley_sockreq *r, parley_err *err)
{
	memset(r, 0, sizeof(*r));
	if (hdr[0] != PARLEY_SOCKREQ_MAGIC)
		return parley_fail(err, PARLEY_E_FORMAT, "node socket request: bad magic");
	if (hdr[1] == 0 || hdr[1] > PARLEY_SOCKREQ_PAYLOAD_MAX)
		return parley_fail(err, PARLEY_E_FORMAT, "node socket request: a payload of %u bytes (1 to %u)", hdr[1],
			PARLEY_SOCKREQ_PAYLOAD_MAX);
	if (hdr[2] == 0 || hdr[2] > PARLEY_SOCKREQ_ARGC_MAX)
		return parley_fail(err, PARLEY_E_FORMAT, "node socket request: %u arguments (1 to %u)", hdr[2],
			PARLEY_SOCKREQ_ARGC_MAX);
	if (hdr[3] > PARLEY_SOCKREQ_ENV_MAX)
		return parley_fail(err, PARLEY_E_FORMAT, "node socket request: %u environment strings (at most %u)", hdr[3],
			PARLEY_SOCKREQ_ENV_MAX);
	r->len = hdr[1];
	r->argc = hdr[2];
	r->nenv = hdr[3];
	r->flags = hdr[4] & (PARLEY_SOCKREQ_QUIET | PARLEY_SOCKREQ_LOCAL | PARLEY_SOCKREQ_COLOR);
	return PARLEY_OK;
}

parley_code parley_sockreq_payload(parley_sockreq *r, char *pl, size_t len, parley_err *err)
{
	size_t strings = 0, k = 0;

	r->argv = r->env = NULL;
	if (len != r->len || len == 0)
		return parley_fail(err, PARLEY_E_FORMAT, "node socket request: %zu payload bytes, the header says %u", len,
			r->len);
	if (pl[len - 1] != 0)
		return parley_fail(err, PARLEY_E_FORMAT, "node socket request: the payload does not end with a NUL");
	for (size_t i = 0; i < len; i++)
		if (!pl[i])
			strings++;
	if (strings != (size_t)r->argc + r->nenv)
		return parley_fail(err, PARLEY_E_FORMAT, "node socket request: %zu strings, the header says %u + %u", strings,
			r->argc, r->nenv);
	if (!pl[0])
		return parley_fail(err, PARLEY_E_FORMAT, "node socket request: an empty command name");
	r->argv = calloc((size_t)r->argc + 1, sizeof(char *));
	r->env = calloc((size_t)r->nenv + 1, sizeof(char *));
	if (!r->argv || !r->env) {
		parley_sockreq_release(r);
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	}
	for (char *p = pl; k < strings; k++) {
		if (k < r->argc)
			r->argv[k] = p;
		else
			r->env[k - r->argc] = p;
		p += strlen(p) + 1;
	}
	return PARLEY_OK;
}

void parley_sockreq_release(parley_sockreq *r)
{
	free(r->argv);
	free(r->env);
	r->argv = r->env = NULL;
}
