/* merkle.h - RFC 9162 Merkle tree hashing, proofs and their verification. */
#ifndef PARLEY_MERKLE_H
#define PARLEY_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parley/err.h"

#define PARLEY_MERKLE_MAX_PROOF 64 /* a proof holds at most this many hashes (trees up to 2^63) */

/* SHA-256(0x00 || data): the hash of a leaf. */
void parley_merkle_leaf_hash(uint8_t out[32], const void *data, size_t n);
/* SHA-256(0x01 || left || right): the hash of an interior node. */
void parley_merkle_node_hash(uint8_t out[32], const uint8_t left[32], const uint8_t right[32]);
/* SHA-256 of the empty string: the root of the empty tree. */
void parley_merkle_empty_root(uint8_t out[32]);

/*
 * Where proofs read hashes from: the hash of the perfect subtree at `level`
 * covering leaves [index * 2^level, (index + 1) * 2^level). The tree stores
 * every completed perfect subtree, so a root or proof costs O(log n) reads.
 */
typedef struct parley_merkle_src {
	void *ctx;
	parley_code (*node)(void *ctx, unsigned level, uint64_t index, uint8_t out[32], parley_err *err);
} parley_merkle_src;

/* The root of the first `size` leaves (any size up to the tree's). */
parley_code parley_merkle_root(const parley_merkle_src *src, uint64_t size, uint8_t out[32],
	parley_err *err) PARLEY_WUR;

/*
 * The RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves:
 * *n hashes into proof, leaf upwards. PARLEY_E_USAGE when index >= size.
 */
parley_code parley_merkle_inclusion(const parley_merkle_src *src, uint64_t index, uint64_t size,
	uint8_t proof[][32], size_t *n, parley_err *err) PARLEY_WUR;

/*
 * The RFC 9162 consistency proof from size `old` to size `size`
 * (0 < old <= size; empty when old == size).
 */
parley_code parley_merkle_consistency(const parley_merkle_src *src, uint64_t old, uint64_t size,
	uint8_t proof[][32], size_t *n, parley_err *err) PARLEY_WUR;

/* RFC 9162 section 2.1.3.2. PARLEY_E_VERIFY when the proof does not lead to root. */
parley_code parley_merkle_verify_inclusion(const uint8_t leaf_hash[32], uint64_t index, uint64_t size,
	const uint8_t proof[][32], size_t n, const uint8_t root[32], parley_err *err) PARLEY_WUR;

/*
 * RFC 9162 section 2.1.4.2. old == size needs an empty proof and equal roots.
 * old == 0 (for which RFC 9162 defines no proof) needs an empty proof and
 * old_root equal to the empty tree's root: the empty tree is a prefix of every
 * tree, so this shows nothing about new_root, and a caller must not read a
 * verified proof from size 0 as a statement about the larger tree.
 */
parley_code parley_merkle_verify_consistency(uint64_t old, uint64_t size, const uint8_t old_root[32],
	const uint8_t new_root[32], const uint8_t proof[][32], size_t n, parley_err *err) PARLEY_WUR;

/*
 * The old root a consistency proof commits to: for 0 < old < size where old is
 * not a power of two the proof carries the old tree's root, and when the proof
 * leads to new_root, old_root is the root that the tree of new_root has at size
 * old (so verify_consistency(old, size, old_root, new_root, proof) succeeds).
 * PARLEY_E_VERIFY when old is a power of two (the old root is then implicit) or
 * the proof does not lead to new_root.
 */
parley_code parley_merkle_consistency_old_root(uint64_t old, uint64_t size, const uint8_t new_root[32],
	const uint8_t proof[][32], size_t n, uint8_t old_root[32], parley_err *err) PARLEY_WUR;

/*
 * The right edge of a tree: the perfect subtrees that make up its first
 * `size` leaves, hash[l] valid where bit l of size is set. Appending costs
 * O(1) amortised and reports each subtree it completes.
 */
typedef struct parley_merkle_frontier {
	uint64_t size;
	uint8_t hash[64][32];
} parley_merkle_frontier;

/* Called for every completed perfect subtree: the new leaf (level 0) and each parent it completes. */
typedef parley_code (*parley_merkle_emit)(void *ctx, unsigned level, uint64_t index, const uint8_t hash[32]);

/* Append a leaf hash. emit may be NULL. Stops at the first emit failure (the frontier is then undefined). */
parley_code parley_merkle_frontier_append(parley_merkle_frontier *f, const uint8_t leaf_hash[32],
	parley_merkle_emit emit, void *ctx) PARLEY_WUR;
/* The root of the frontier's tree. */
void parley_merkle_frontier_root(const parley_merkle_frontier *f, uint8_t out[32]);
/* Rebuild the frontier of a tree of `size` leaves from a source. */
parley_code parley_merkle_frontier_load(parley_merkle_frontier *f, const parley_merkle_src *src,
	uint64_t size, parley_err *err) PARLEY_WUR;

/*
 * An in-memory tree (for the command-line tools and tests): every perfect
 * subtree, level by level.
 */
typedef struct parley_merkle_mem {
	parley_merkle_frontier f;
	uint8_t (*level[64])[32];
	uint64_t count[64], cap[64];
} parley_merkle_mem;

void parley_merkle_mem_init(parley_merkle_mem *t);
void parley_merkle_mem_release(parley_merkle_mem *t);
parley_code parley_merkle_mem_append(parley_merkle_mem *t, const uint8_t leaf_hash[32]) PARLEY_WUR;
/* A source reading from the in-memory tree. */
parley_merkle_src parley_merkle_mem_src(parley_merkle_mem *t);

#endif
