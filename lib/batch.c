/* batch.c - the body of a batched append: length-prefixed entries (batch.h, docs/api.md). */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "parley/batch.h"
#include "parley/entry.h"
#include "banned.h"

parley_code parley_batch_split(const uint8_t *body, size_t n, parley_batch_item *out, size_t max, size_t *count,
	size_t *bad, parley_err *err)
{
	size_t k = 0, off = 0;

	*count = 0;
	if (bad)
		*bad = 0;
	if (n == 0 || !body)
		return parley_fail(err, PARLEY_E_FORMAT, "empty batch: it must hold at least one entry");
	if (n > PARLEY_BATCH_MAX_BYTES)
		return parley_fail(err, PARLEY_E_LIMIT, "a batch is limited to %zu bytes", (size_t)PARLEY_BATCH_MAX_BYTES);
	while (off < n) {
		if (bad)
			*bad = k;
		if (k == max)
			return parley_fail(err, PARLEY_E_LIMIT, "a batch holds at most %zu entries", max);
		if (n - off < 4)
			return parley_fail(err, PARLEY_E_FORMAT, "batch entry %zu: truncated length", k);
		size_t len = parley_get_u32(body + off);
		off += 4;
		if (len == 0 || len > PARLEY_ENTRY_MAX_BYTES)
			return parley_fail(err, PARLEY_E_FORMAT, "batch entry %zu: length %zu outside 1..%zu", k, len,
				(size_t)PARLEY_ENTRY_MAX_BYTES);
		if (n - off < len)
			return parley_fail(err, PARLEY_E_FORMAT, "batch entry %zu: %zu bytes announced, %zu left", k, len,
				n - off);
		out[k].data = body + off;
		out[k].len = len;
		off += len;
		k++;
	}
	*count = k;
	return PARLEY_OK;
}

parley_code parley_batch_add(parley_buf *body, const uint8_t *entry, size_t n, parley_err *err)
{
	uint8_t len[4];

	if (n == 0 || n > PARLEY_ENTRY_MAX_BYTES)
		return parley_fail(err, PARLEY_E_USAGE, "batch entry: length %zu outside 1..%zu", n,
			(size_t)PARLEY_ENTRY_MAX_BYTES);
	parley_put_u32(len, (uint32_t)n);
	if (parley_buf_add(body, len, 4) || parley_buf_add(body, entry, n))
		return parley_fail(err, PARLEY_E_NOMEM, "batch: out of memory");
	return PARLEY_OK;
}

bool parley_batch_ctype_is(const char *ct)
{
	size_t m = strlen(PARLEY_BATCH_CTYPE);

	if (!ct)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, PARLEY_BATCH_CTYPE, m) != 0)
		return false;
	ct += m;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == 0 || *ct == ';';
}
