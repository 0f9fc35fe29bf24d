/* merkle.c - RFC 9162 Merkle tree: hashing, frontier appends, proofs and verification. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "parley/crypto.h"
#include "parley/merkle.h"
#include "banned.h"

void parley_merkle_leaf_hash(uint8_t out[32], const void *data, size_t n)
{
	static const uint8_t zero = 0x00;
	parley_sha256_2(out, &zero, 1, data, n);
}

void parley_merkle_node_hash(uint8_t out[32], const uint8_t left[32], const uint8_t right[32])
{
	uint8_t buf[65];
	buf[0] = 0x01;
	memcpy(buf + 1, left, 32);
	memcpy(buf + 33, right, 32);
	parley_sha256(out, buf, sizeof(buf));
}

void parley_merkle_empty_root(uint8_t out[32])
{
	parley_sha256(out, "", 0);
}

/* The largest power of two strictly smaller than n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

/* MTH(D[a:b]) for 0 <= a < b, from stored perfect subtrees. */
static parley_code range_hash(const parley_merkle_src *src, uint64_t a, uint64_t b, uint8_t out[32],
	parley_err *err)
{
	uint64_t n = b - a, k;
	uint8_t l[32], r[32];
	parley_code rc;

	if ((n & (n - 1)) == 0 && a % n == 0) {
		unsigned level = (unsigned)__builtin_ctzll(n);
		return src->node(src->ctx, level, a >> level, out, err);
	}
	k = split_point(n);
	if ((rc = range_hash(src, a, a + k, l, err)) || (rc = range_hash(src, a + k, b, r, err)))
		return rc;
	parley_merkle_node_hash(out, l, r);
	return PARLEY_OK;
}

parley_code parley_merkle_root(const parley_merkle_src *src, uint64_t size, uint8_t out[32], parley_err *err)
{
	if (size == 0) {
		parley_merkle_empty_root(out);
		return PARLEY_OK;
	}
	return range_hash(src, 0, size, out, err);
}

parley_code parley_merkle_inclusion(const parley_merkle_src *src, uint64_t index, uint64_t size,
	uint8_t proof[][32], size_t *n, parley_err *err)
{
	uint64_t lo = 0, hi = size;
	size_t depth = 0;
	parley_code rc;

	*n = 0;
	if (index >= size)
		return parley_fail(err, PARLEY_E_USAGE, "leaf index %llu is not below tree size %llu",
			(unsigned long long)index, (unsigned long long)size);
	/* walk down from the root, collecting siblings; the proof lists them leaf first */
	while (hi - lo > 1) {
		uint64_t k = split_point(hi - lo);
		if (index < lo + k) {
			rc = range_hash(src, lo + k, hi, proof[depth], err);
			hi = lo + k;
		} else {
			rc = range_hash(src, lo, lo + k, proof[depth], err);
			lo = lo + k;
		}
		if (rc)
			return rc;
		depth++;
	}
	for (size_t i = 0; i < depth / 2; i++) {
		uint8_t t[32];
		memcpy(t, proof[i], 32);
		memcpy(proof[i], proof[depth - 1 - i], 32);
		memcpy(proof[depth - 1 - i], t, 32);
	}
	*n = depth;
	return PARLEY_OK;
}

/* SUBPROOF(m, D[lo:hi], b) of RFC 9162 section 2.1.4.1. */
static parley_code subproof(const parley_merkle_src *src, uint64_t m, uint64_t lo, uint64_t hi, bool b,
	uint8_t proof[][32], size_t *n, parley_err *err)
{
	uint64_t count = hi - lo, k;
	parley_code rc;

	if (m == count) {
		if (b)
			return PARLEY_OK;
		return range_hash(src, lo, hi, proof[(*n)++], err);
	}
	k = split_point(count);
	if (m <= k) {
		if ((rc = subproof(src, m, lo, lo + k, b, proof, n, err)))
			return rc;
		return range_hash(src, lo + k, hi, proof[(*n)++], err);
	}
	if ((rc = subproof(src, m - k, lo + k, hi, false, proof, n, err)))
		return rc;
	return range_hash(src, lo, lo + k, proof[(*n)++], err);
}

parley_code parley_merkle_consistency(const parley_merkle_src *src, uint64_t old, uint64_t size,
	uint8_t proof[][32], size_t *n, parley_err *err)
{
	*n = 0;
	if (old == 0 || old > size)
		return parley_fail(err, PARLEY_E_USAGE, "old size %llu must be 1 to %llu",
			(unsigned long long)old, (unsigned long long)size);
	return subproof(src, old, 0, size, true, proof, n, err);
}

parley_code parley_merkle_verify_inclusion(const uint8_t leaf_hash[32], uint64_t index, uint64_t size,
	const uint8_t proof[][32], size_t n, const uint8_t root[32], parley_err *err)
{
	uint64_t fn = index, sn;
	uint8_t r[32];

	if (index >= size)
		return parley_fail(err, PARLEY_E_VERIFY, "inclusion proof: index %llu is not below size %llu",
			(unsigned long long)index, (unsigned long long)size);
	if (n > PARLEY_MERKLE_MAX_PROOF)
		return parley_fail(err, PARLEY_E_VERIFY, "inclusion proof: %zu hashes is too many", n);
	sn = size - 1;
	memcpy(r, leaf_hash, 32);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return parley_fail(err, PARLEY_E_VERIFY, "inclusion proof: %zu hashes too many", n - i);
		if ((fn & 1) || fn == sn) {
			parley_merkle_node_hash(r, proof[i], r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			parley_merkle_node_hash(r, r, proof[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return parley_fail(err, PARLEY_E_VERIFY, "inclusion proof: too few hashes for size %llu",
			(unsigned long long)size);
	if (sodium_memcmp(r, root, 32) != 0)
		return parley_fail(err, PARLEY_E_VERIFY, "inclusion proof: does not lead to the root");
	return PARLEY_OK;
}

/*
 * The two roots a consistency proof from old to size leads to (0 < old < size, n > 0):
 * the old tree's into fr, the new tree's into sr. When old is a power of two the old
 * root is the proof's implicit first hash, taken from old_root (NULL: not known).
 */
static parley_code consistency_walk(uint64_t old, uint64_t size, const uint8_t *old_root, const uint8_t proof[][32],
	size_t n, uint8_t fr[32], uint8_t sr[32], parley_err *err)
{
	uint64_t fn, sn;
	size_t i = 0;

	/* step 2: when old is a power of two the old root is the first hash of the path */
	if ((old & (old - 1)) == 0) {
		if (!old_root)
			return parley_fail(err, PARLEY_E_VERIFY,
				"consistency proof: the root of size %llu (a power of two) is not part of the proof",
				(unsigned long long)old);
		memcpy(fr, old_root, 32);
	} else {
		memcpy(fr, proof[0], 32);
		i = 1;
	}
	memcpy(sr, fr, 32);
	fn = old - 1;
	sn = size - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < n; i++) {
		if (sn == 0)
			return parley_fail(err, PARLEY_E_VERIFY, "consistency proof: too many hashes");
		if ((fn & 1) || fn == sn) {
			parley_merkle_node_hash(fr, proof[i], fr);
			parley_merkle_node_hash(sr, proof[i], sr);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			parley_merkle_node_hash(sr, sr, proof[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return parley_fail(err, PARLEY_E_VERIFY, "consistency proof: too few hashes");
	return PARLEY_OK;
}

parley_code parley_merkle_verify_consistency(uint64_t old, uint64_t size, const uint8_t old_root[32],
	const uint8_t new_root[32], const uint8_t proof[][32], size_t n, parley_err *err)
{
	uint8_t fr[32], sr[32];
	parley_code rc;

	if (old > size)
		return parley_fail(err, PARLEY_E_VERIFY, "consistency proof: old size %llu is above new size %llu",
			(unsigned long long)old, (unsigned long long)size);
	if (n > PARLEY_MERKLE_MAX_PROOF)
		return parley_fail(err, PARLEY_E_VERIFY, "consistency proof: %zu hashes is too many", n);
	/* RFC 9162 defines no proof from size 0: every tree extends the empty one, so there is nothing
	 * to show but that old_root is the empty tree's (anything else is not a tree of size 0) */
	if (old == 0) {
		uint8_t empty[32];
		if (n != 0)
			return parley_fail(err, PARLEY_E_VERIFY, "consistency proof from the empty tree must be empty");
		parley_merkle_empty_root(empty);
		if (sodium_memcmp(old_root, empty, 32) != 0)
			return parley_fail(err, PARLEY_E_VERIFY, "consistency proof: the root of size 0 is not the empty tree's");
		return PARLEY_OK;
	}
	if (old == size) {
		if (n != 0)
			return parley_fail(err, PARLEY_E_VERIFY, "consistency proof between equal sizes must be empty");
		if (sodium_memcmp(old_root, new_root, 32) != 0)
			return parley_fail(err, PARLEY_E_VERIFY, "two different roots for tree size %llu",
				(unsigned long long)size);
		return PARLEY_OK;
	}
	if (n == 0)
		return parley_fail(err, PARLEY_E_VERIFY, "consistency proof is empty");
	if ((rc = consistency_walk(old, size, old_root, proof, n, fr, sr, err)))
		return rc;
	if (sodium_memcmp(fr, old_root, 32) != 0)
		return parley_fail(err, PARLEY_E_VERIFY,
			"consistency proof: does not reproduce the old root of size %llu", (unsigned long long)old);
	if (sodium_memcmp(sr, new_root, 32) != 0)
		return parley_fail(err, PARLEY_E_VERIFY,
			"consistency proof: does not reproduce the new root of size %llu", (unsigned long long)size);
	return PARLEY_OK;
}

parley_code parley_merkle_consistency_old_root(uint64_t old, uint64_t size, const uint8_t new_root[32],
	const uint8_t proof[][32], size_t n, uint8_t old_root[32], parley_err *err)
{
	uint8_t fr[32], sr[32];
	parley_code rc;

	if (old == 0 || old >= size || n == 0 || n > PARLEY_MERKLE_MAX_PROOF)
		return parley_fail(err, PARLEY_E_VERIFY, "consistency proof: no old root follows from %zu hashes from size "
			"%llu to %llu", n, (unsigned long long)old, (unsigned long long)size);
	if ((rc = consistency_walk(old, size, NULL, proof, n, fr, sr, err)))
		return rc;
	if (sodium_memcmp(sr, new_root, 32) != 0)
		return parley_fail(err, PARLEY_E_VERIFY,
			"consistency proof: does not reproduce the new root of size %llu", (unsigned long long)size);
	memcpy(old_root, fr, 32);
	return PARLEY_OK;
}

parley_code parley_merkle_frontier_append(parley_merkle_frontier *f, const uint8_t leaf_hash[32],
	parley_merkle_emit emit, void *ctx)
{
	uint64_t idx = f->size;
	unsigned level = 0;
	uint8_t cur[32];
	parley_code rc;

	memcpy(cur, leaf_hash, 32);
	if (emit && (rc = emit(ctx, 0, idx, cur)))
		return rc;
	while (idx & 1) {
		parley_merkle_node_hash(cur, f->hash[level], cur);
		level++;
		idx >>= 1;
		if (emit && (rc = emit(ctx, level, idx, cur)))
			return rc;
	}
	memcpy(f->hash[level], cur, 32);
	f->size++;
	return PARLEY_OK;
}

void parley_merkle_frontier_root(const parley_merkle_frontier *f, uint8_t out[32])
{
	bool have = false;

	for (unsigned l = 0; l < 64; l++) {
		if (!(f->size & ((uint64_t)1 << l)))
			continue;
		if (have)
			parley_merkle_node_hash(out, f->hash[l], out);
		else
			memcpy(out, f->hash[l], 32);
		have = true;
	}
	if (!have)
		parley_merkle_empty_root(out);
}

parley_code parley_merkle_frontier_load(parley_merkle_frontier *f, const parley_merkle_src *src,
	uint64_t size, parley_err *err)
{
	parley_code rc;

	memset(f, 0, sizeof(*f));
	for (unsigned l = 0; l < 64; l++)
		if (size & ((uint64_t)1 << l))
			if ((rc = src->node(src->ctx, l, (size >> l) - 1, f->hash[l], err)))
				return rc;
	f->size = size;
	return PARLEY_OK;
}

void parley_merkle_mem_init(parley_merkle_mem *t)
{
	memset(t, 0, sizeof(*t));
}

void parley_merkle_mem_release(parley_merkle_mem *t)
{
	for (int l = 0; l < 64; l++)
		free(t->level[l]);
	memset(t, 0, sizeof(*t));
}

static parley_code mem_emit(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32])
{
	parley_merkle_mem *t = ctx;

	if (index != t->count[level])
		PARLEY_BUG("merkle node appended out of order");
	if (t->count[level] == t->cap[level]) {
		uint64_t ncap = t->cap[level] ? t->cap[level] * 2 : 64;
		void *p = realloc(t->level[level], (size_t)ncap * 32);
		if (!p)
			return PARLEY_E_NOMEM;
		t->level[level] = p;
		t->cap[level] = ncap;
	}
	memcpy(t->level[level][index], hash, 32);
	t->count[level]++;
	return PARLEY_OK;
}

parley_code parley_merkle_mem_append(parley_merkle_mem *t, const uint8_t leaf_hash[32])
{
	return parley_merkle_frontier_append(&t->f, leaf_hash, mem_emit, t);
}

static parley_code mem_node(void *ctx, unsigned level, uint64_t index, uint8_t out[32], parley_err *err)
{
	parley_merkle_mem *t = ctx;
	if (level >= 64 || index >= t->count[level])
		return parley_fail(err, PARLEY_E_NOTFOUND, "no tree node at level %u index %llu", level,
			(unsigned long long)index);
	memcpy(out, t->level[level][index], 32);
	return PARLEY_OK;
}

parley_merkle_src parley_merkle_mem_src(parley_merkle_mem *t)
{
	parley_merkle_src s = { t, mem_node };
	return s;
}
