/*
 * fuzz_batch.c - libFuzzer harness for the body of a batched append (batch.h), the
 * relay's input from any member: parley_batch_split must refuse, or return frames that
 * lie inside the body, in order, back to back, each of 1..PARLEY_ENTRY_MAX_BYTES bytes,
 * covering it whole; building the same frames again gives the same bytes. The first
 * byte picks the most entries allowed (1..256).
 */
#include <stdlib.h>
#include <string.h>

#include "parley/batch.h"
#include "parley/entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static parley_batch_item items[PARLEY_BATCH_MAX_ENTRIES];
	size_t max = size ? (size_t)data[0] + 1 : PARLEY_BATCH_MAX_ENTRIES, count = 99, bad = 99;
	const uint8_t *body = size ? data + 1 : data;
	size_t n = size ? size - 1 : 0;

	if (parley_batch_split(body, n, items, max, &count, &bad, NULL) != PARLEY_OK) {
		if (count != 0 || bad > max)
			abort();
		return 0;
	}
	if (count == 0 || count > max)
		abort();
	parley_buf again = PARLEY_BUF_INIT;
	const uint8_t *at = body;
	for (size_t i = 0; i < count; i++) {
		if (items[i].data != at + 4 || items[i].len == 0 || items[i].len > PARLEY_ENTRY_MAX_BYTES)
			abort();
		at = items[i].data + items[i].len;
		if (parley_batch_add(&again, items[i].data, items[i].len, NULL))
			abort();
	}
	if (at != body + n || again.len != n || memcmp(again.data, body, n) != 0)
		abort();
	parley_buf_release(&again);
	return 0;
}
