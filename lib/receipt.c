/* receipt.c - what a receipt covers (form 1: one entry; form 2: ranges). */
#include <string.h>

#include "parley/msg.h"
#include "parley/receipt.h"
#include "banned.h"

static parley_code check_ranges(const uint64_t *first, const uint64_t *last, unsigned n, uint64_t below,
	parley_code code, parley_err *err)
{
	if (n == 0)
		return parley_fail(err, code, "batched receipt: no ranges");
	if (n > PARLEY_RECEIPT_MAX_RANGES)
		return parley_fail(err, code, "batched receipt: %u ranges (at most %d)", n, PARLEY_RECEIPT_MAX_RANGES);
	for (unsigned k = 0; k < n; k++) {
		if (first[k] > last[k])
			return parley_fail(err, code, "batched receipt: range %u runs backwards (%llu..%llu)", k + 1,
				(unsigned long long)first[k], (unsigned long long)last[k]);
		if (k && first[k] <= last[k - 1])
			return parley_fail(err, code, "batched receipt: range %u (%llu..%llu) overlaps or precedes range %u",
				k + 1, (unsigned long long)first[k], (unsigned long long)last[k], k);
		if (k && first[k] == last[k - 1] + 1)
			return parley_fail(err, code, "batched receipt: ranges %u and %u are adjacent (write them as one)",
				k, k + 1);
	}
	if (last[n - 1] >= below)
		return parley_fail(err, code,
			"batched receipt: covers entry %llu, beyond the tree of size %llu its writer verified",
			(unsigned long long)last[n - 1], (unsigned long long)below);
	return PARLEY_OK;
}

parley_code parley_receipt_covers(const parley_entry_hdr *h, uint64_t index, parley_receipt_cover *out,
	parley_err *err)
{
	memset(out, 0, sizeof(*out));
	if (h->type != PARLEY_T_RECEIPT)
		return parley_fail(err, PARLEY_E_USAGE, "not a receipt");
	if (h->nrefs == 0 || h->refs[0] != PARLEY_RECEIPT_BATCH_TAG) {
		out->form = 1;
		if (h->nrefs && h->refs[0] < index) {
			out->n = 1;
			out->first[0] = out->last[0] = h->refs[0];
		}
		return PARLEY_OK;
	}
	out->form = 2;
	if (h->thread != 0)
		return parley_fail(err, PARLEY_E_VERIFY, "batched receipt: names thread %llu (it must be 0)",
			(unsigned long long)h->thread);
	if (h->nrefs < PARLEY_RECEIPT_BATCH_HEAD + 2 || h->nrefs % 2 != 0)
		return parley_fail(err, PARLEY_E_VERIFY,
			"batched receipt: %u references (its tag, size, root and pairs of first and last index expected)",
			(unsigned)h->nrefs);
	uint64_t size = h->refs[1];
	if (size == 0 || size > index)
		return parley_fail(err, PARLEY_E_VERIFY,
			"batched receipt: names a verified tree of size %llu (1 up to its own index %llu)",
			(unsigned long long)size, (unsigned long long)index);
	unsigned n = ((unsigned)h->nrefs - PARLEY_RECEIPT_BATCH_HEAD) / 2;
	uint64_t first[PARLEY_RECEIPT_MAX_RANGES], last[PARLEY_RECEIPT_MAX_RANGES];
	for (unsigned k = 0; k < n && k < PARLEY_RECEIPT_MAX_RANGES; k++) {
		first[k] = h->refs[PARLEY_RECEIPT_BATCH_HEAD + 2 * k];
		last[k] = h->refs[PARLEY_RECEIPT_BATCH_HEAD + 1 + 2 * k];
	}
	parley_code rc = check_ranges(first, last, n, size, PARLEY_E_VERIFY, err);
	if (rc)
		return rc;
	out->size = size;
	for (unsigned w = 0; w < 4; w++)
		for (unsigned b = 0; b < 8; b++)
			out->root[8 * w + b] = (uint8_t)(h->refs[2 + w] >> (56 - 8 * b));
	out->n = n;
	memcpy(out->first, first, n * sizeof(first[0]));
	memcpy(out->last, last, n * sizeof(last[0]));
	return PARLEY_OK;
}

bool parley_receipt_cover_has(const parley_receipt_cover *c, uint64_t i)
{
	unsigned lo = 0, hi = c->n;
	while (lo < hi) { /* the first range whose last is not below i */
		unsigned mid = lo + (hi - lo) / 2;
		if (c->last[mid] < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n && c->first[lo] <= i;
}

parley_code parley_receipt_batch_hdr(parley_entry_hdr *h, uint64_t size, const uint8_t root[32], const uint64_t *first,
	const uint64_t *last, unsigned n, parley_err *err)
{
	parley_code rc = check_ranges(first, last, n, size, PARLEY_E_USAGE, err);
	if (rc)
		return rc;
	h->thread = 0;
	h->nrefs = (uint8_t)(PARLEY_RECEIPT_BATCH_HEAD + 2 * n);
	h->refs[0] = PARLEY_RECEIPT_BATCH_TAG;
	h->refs[1] = size;
	for (unsigned w = 0; w < 4; w++) {
		uint64_t x = 0;
		for (unsigned b = 0; b < 8; b++)
			x = x << 8 | root[8 * w + b];
		h->refs[2 + w] = x;
	}
	for (unsigned k = 0; k < n; k++) {
		h->refs[PARLEY_RECEIPT_BATCH_HEAD + 2 * k] = first[k];
		h->refs[PARLEY_RECEIPT_BATCH_HEAD + 1 + 2 * k] = last[k];
	}
	return PARLEY_OK;
}
