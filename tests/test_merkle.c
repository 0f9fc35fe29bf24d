/* test_merkle.c - RFC 9162 tree: published vectors, a naive reference, tampered proofs. */
#include <stdio.h>
#include <stdlib.h>
#include "testutil.h"
#include "parley/merkle.h"

static void hexto(uint8_t *out, const char *hex)
{
	assert_int_equal(parley_unhex(out, strlen(hex) / 2, hex, strlen(hex)), PARLEY_OK);
}

static void assert_hash(const uint8_t h[32], const char *hex)
{
	char got[65];
	parley_hex(got, h, 32);
	assert_string_equal(got, hex);
}

/* ---- naive recursive reference, straight from the RFC's definitions ---- */

static void ref_mth(uint8_t (*leaves)[32], uint64_t n, uint8_t out[32])
{
	if (n == 0) {
		parley_merkle_empty_root(out);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves[0], 32);
		return;
	}
	uint64_t k = 1;
	while (k * 2 < n)
		k *= 2;
	uint8_t l[32], r[32];
	ref_mth(leaves, k, l);
	ref_mth(leaves + k, n - k, r);
	parley_merkle_node_hash(out, l, r);
}

static void ref_path(uint64_t m, uint8_t (*leaves)[32], uint64_t n, uint8_t out[][32], size_t *len)
{
	if (n == 1)
		return;
	uint64_t k = 1;
	while (k * 2 < n)
		k *= 2;
	if (m < k) {
		ref_path(m, leaves, k, out, len);
		ref_mth(leaves + k, n - k, out[(*len)++]);
	} else {
		ref_path(m - k, leaves + k, n - k, out, len);
		ref_mth(leaves, k, out[(*len)++]);
	}
}

static void ref_subproof(uint64_t m, uint8_t (*leaves)[32], uint64_t n, bool b, uint8_t out[][32], size_t *len)
{
	if (m == n) {
		if (!b)
			ref_mth(leaves, n, out[(*len)++]);
		return;
	}
	uint64_t k = 1;
	while (k * 2 < n)
		k *= 2;
	if (m <= k) {
		ref_subproof(m, leaves, k, b, out, len);
		ref_mth(leaves + k, n - k, out[(*len)++]);
	} else {
		ref_subproof(m - k, leaves + k, n - k, false, out, len);
		ref_mth(leaves, k, out[(*len)++]);
	}
}

/* ---- fixtures ---- */

static const char *ct_leaves[] = { "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f" };
static const char *ct_roots[] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void build_ct(parley_merkle_mem *t, size_t n)
{
	parley_merkle_mem_init(t);
	for (size_t i = 0; i < n; i++) {
		uint8_t d[16], h[32];
		size_t len = strlen(ct_leaves[i]) / 2;
		if (len)
			hexto(d, ct_leaves[i]);
		parley_merkle_leaf_hash(h, d, len);
		assert_int_equal(parley_merkle_mem_append(t, h), PARLEY_OK);
	}
}

static void test_ct_roots(void **state)
{
	(void)state;
	for (size_t n = 0; n <= 8; n++) {
		parley_merkle_mem t;
		parley_merkle_src src;
		uint8_t root[32];
		build_ct(&t, n);
		src = parley_merkle_mem_src(&t);
		parley_merkle_frontier_root(&t.f, root);
		assert_hash(root, ct_roots[n]);
		assert_int_equal(parley_merkle_root(&src, n, root, NULL), PARLEY_OK);
		assert_hash(root, ct_roots[n]);
		/* earlier sizes from the same tree */
		for (size_t m = 0; m <= n; m++) {
			assert_int_equal(parley_merkle_root(&src, m, root, NULL), PARLEY_OK);
			assert_hash(root, ct_roots[m]);
		}
		parley_merkle_mem_release(&t);
	}
}

static void test_ct_proofs(void **state)
{
	(void)state;
	parley_merkle_mem t;
	parley_merkle_src src;
	uint8_t proof[64][32], root8[32], root3[32], root2[32], root5[32];
	size_t n;

	build_ct(&t, 8);
	src = parley_merkle_mem_src(&t);
	assert_int_equal(parley_merkle_inclusion(&src, 5, 8, proof, &n, NULL), PARLEY_OK);
	assert_int_equal(n, 3);
	assert_hash(proof[0], "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
	assert_hash(proof[1], "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0");
	assert_hash(proof[2], "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");

	hexto(root8, ct_roots[8]);
	hexto(root3, ct_roots[3]);
	hexto(root2, ct_roots[2]);
	hexto(root5, ct_roots[5]);
	assert_int_equal(parley_merkle_consistency(&src, 3, 8, proof, &n, NULL), PARLEY_OK);
	assert_int_equal(n, 4);
	assert_hash(proof[0], "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7");
	assert_hash(proof[1], "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7");
	assert_hash(proof[2], "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
	assert_hash(proof[3], "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
	assert_int_equal(parley_merkle_verify_consistency(3, 8, root3, root8, (const uint8_t(*)[32])proof, n, NULL),
		PARLEY_OK);

	assert_int_equal(parley_merkle_consistency(&src, 2, 5, proof, &n, NULL), PARLEY_OK);
	assert_int_equal(n, 2);
	assert_hash(proof[0], "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e");
	assert_hash(proof[1], "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
	assert_int_equal(parley_merkle_verify_consistency(2, 5, root2, root5, (const uint8_t(*)[32])proof, n, NULL),
		PARLEY_OK);
	parley_merkle_mem_release(&t);
}

/* Every (index, size) and (old, size) up to N against the reference. */
#define N 140

static void test_against_reference(void **state)
{
	(void)state;
	static uint8_t leaves[N][32];
	static uint8_t got[64][32], want[64][32];
	parley_merkle_mem t;
	parley_merkle_src src;
	size_t ng, nw;
	uint8_t root[32], ref[32], oldroot[32];

	parley_merkle_mem_init(&t);
	src = parley_merkle_mem_src(&t);
	for (uint64_t i = 0; i < N; i++) {
		uint8_t d[8];
		parley_put_u64(d, i * 7919);
		parley_merkle_leaf_hash(leaves[i], d, sizeof(d));
		assert_int_equal(parley_merkle_mem_append(&t, leaves[i]), PARLEY_OK);
	}
	for (uint64_t size = 1; size <= N; size++) {
		ref_mth(leaves, size, ref);
		assert_int_equal(parley_merkle_root(&src, size, root, NULL), PARLEY_OK);
		assert_memory_equal(root, ref, 32);
		for (uint64_t m = 0; m < size; m++) {
			nw = 0;
			ref_path(m, leaves, size, want, &nw);
			assert_int_equal(parley_merkle_inclusion(&src, m, size, got, &ng, NULL), PARLEY_OK);
			assert_int_equal(ng, nw);
			assert_memory_equal(got, want, 32 * nw);
			assert_int_equal(parley_merkle_verify_inclusion(leaves[m], m, size, (const uint8_t(*)[32])got,
						 ng, root, NULL),
				PARLEY_OK);
		}
		for (uint64_t old = 1; old <= size; old++) {
			nw = 0;
			ref_subproof(old, leaves, size, true, want, &nw);
			assert_int_equal(parley_merkle_consistency(&src, old, size, got, &ng, NULL), PARLEY_OK);
			assert_int_equal(ng, nw);
			assert_memory_equal(got, want, 32 * nw);
			ref_mth(leaves, old, oldroot);
			assert_int_equal(parley_merkle_verify_consistency(old, size, oldroot, root,
						 (const uint8_t(*)[32])got, ng, NULL),
				PARLEY_OK);
		}
	}
	parley_merkle_mem_release(&t);
}

static void test_tampered_inclusion(void **state)
{
	(void)state;
	parley_merkle_mem t;
	parley_merkle_src src;
	uint8_t leaves[64][32], proof[65][32], root[32];
	size_t n;
	parley_err err = { 0 };

	parley_merkle_mem_init(&t);
	src = parley_merkle_mem_src(&t);
	for (int i = 0; i < 64; i++) {
		uint8_t d = (uint8_t)i;
		parley_merkle_leaf_hash(leaves[i], &d, 1);
		assert_int_equal(parley_merkle_mem_append(&t, leaves[i]), PARLEY_OK);
	}
	for (uint64_t size = 2; size <= 64; size += 3) {
		assert_int_equal(parley_merkle_root(&src, size, root, NULL), PARLEY_OK);
		for (uint64_t m = 0; m < size; m += 2) {
			const uint8_t(*p)[32] = (const uint8_t(*)[32])proof;
			assert_int_equal(parley_merkle_inclusion(&src, m, size, proof, &n, NULL), PARLEY_OK);
			assert_int_equal(parley_merkle_verify_inclusion(leaves[m], m, size, p, n, root, &err), PARLEY_OK);
			/* a flipped bit in any hash */
			for (size_t i = 0; i < n; i++) {
				proof[i][i % 32] ^= 0x10;
				assert_int_equal(parley_merkle_verify_inclusion(leaves[m], m, size, p, n, root, &err),
					PARLEY_E_VERIFY);
				proof[i][i % 32] ^= 0x10;
			}
			/* a hash missing, a hash extra */
			if (n > 0)
				assert_int_equal(parley_merkle_verify_inclusion(leaves[m], m, size, p, n - 1, root, &err),
					PARLEY_E_VERIFY);
			memcpy(proof[n], root, 32);
			assert_int_equal(parley_merkle_verify_inclusion(leaves[m], m, size, p, n + 1, root, &err),
				PARLEY_E_VERIFY);
			/* wrong index, wrong size, index >= size, another leaf */
			assert_int_equal(parley_merkle_verify_inclusion(leaves[m], m ^ 1, size, p, n, root, &err),
				PARLEY_E_VERIFY);
			/* a wrong size, with that size's own root (the pair a checkpoint would sign) */
			uint8_t other[32];
			assert_int_equal(parley_merkle_root(&src, size + 1, other, NULL), PARLEY_OK);
			assert_int_equal(parley_merkle_verify_inclusion(leaves[m], m, size + 1, p, n, other, &err),
				PARLEY_E_VERIFY);
			assert_int_equal(parley_merkle_root(&src, size - 1, other, NULL), PARLEY_OK);
			assert_int_equal(parley_merkle_verify_inclusion(leaves[m], m, size - 1, p, n, other, &err),
				PARLEY_E_VERIFY);
			assert_int_equal(parley_merkle_verify_inclusion(leaves[m], size, size, p, n, root, &err),
				PARLEY_E_VERIFY);
			assert_int_equal(parley_merkle_verify_inclusion(leaves[(m + 1) % size], m, size, p, n, root, &err),
				PARLEY_E_VERIFY);
		}
	}
	assert_int_equal(parley_merkle_inclusion(&src, 64, 64, proof, &n, &err), PARLEY_E_USAGE);
	parley_merkle_mem_release(&t);
}

static void test_tampered_consistency(void **state)
{
	(void)state;
	parley_merkle_mem t;
	parley_merkle_src src;
	uint8_t proof[65][32], oldr[32], newr[32];
	size_t n;
	parley_err err = { 0 };

	parley_merkle_mem_init(&t);
	src = parley_merkle_mem_src(&t);
	for (int i = 0; i < 51; i++) {
		uint8_t d = (uint8_t)i, h[32];
		parley_merkle_leaf_hash(h, &d, 1);
		assert_int_equal(parley_merkle_mem_append(&t, h), PARLEY_OK);
	}
	for (uint64_t size = 2; size <= 50; size += 3) {
		assert_int_equal(parley_merkle_root(&src, size, newr, NULL), PARLEY_OK);
		for (uint64_t old = 1; old < size; old++) {
			const uint8_t(*p)[32] = (const uint8_t(*)[32])proof;
			assert_int_equal(parley_merkle_root(&src, old, oldr, NULL), PARLEY_OK);
			assert_int_equal(parley_merkle_consistency(&src, old, size, proof, &n, NULL), PARLEY_OK);
			assert_int_equal(parley_merkle_verify_consistency(old, size, oldr, newr, p, n, &err), PARLEY_OK);
			for (size_t i = 0; i < n; i++) {
				proof[i][31 - i % 32] ^= 0x01;
				assert_int_equal(parley_merkle_verify_consistency(old, size, oldr, newr, p, n, &err),
					PARLEY_E_VERIFY);
				proof[i][31 - i % 32] ^= 0x01;
			}
			assert_int_equal(parley_merkle_verify_consistency(old, size, oldr, newr, p, n - 1, &err),
				PARLEY_E_VERIFY);
			memcpy(proof[n], newr, 32);
			assert_int_equal(parley_merkle_verify_consistency(old, size, oldr, newr, p, n + 1, &err),
				PARLEY_E_VERIFY);
			uint8_t other[32];
			assert_int_equal(parley_merkle_root(&src, size + 1, other, NULL), PARLEY_OK);
			assert_int_equal(parley_merkle_verify_consistency(old, size + 1, oldr, other, p, n, &err),
				PARLEY_E_VERIFY);
			if (old > 1) {
				assert_int_equal(parley_merkle_root(&src, old - 1, other, NULL), PARLEY_OK);
				assert_int_equal(parley_merkle_verify_consistency(old - 1, size, other, newr, p, n, &err),
					PARLEY_E_VERIFY);
			}
			assert_int_equal(parley_merkle_verify_consistency(size, old, oldr, newr, p, n, &err),
				PARLEY_E_VERIFY);
			/* a rewritten history: the old root of another tree */
			oldr[0] ^= 1;
			assert_int_equal(parley_merkle_verify_consistency(old, size, oldr, newr, p, n, &err),
				PARLEY_E_VERIFY);
		}
	}
	/* equal sizes: empty proof and equal roots only */
	assert_int_equal(parley_merkle_verify_consistency(5, 5, newr, newr, NULL, 0, &err), PARLEY_OK);
	oldr[0] = (uint8_t)(newr[0] ^ 1);
	memcpy(oldr + 1, newr + 1, 31);
	assert_int_equal(parley_merkle_verify_consistency(5, 5, oldr, newr, NULL, 0, &err), PARLEY_E_VERIFY);
	assert_int_equal(parley_merkle_consistency(&src, 0, 5, proof, &n, &err), PARLEY_E_USAGE);
	parley_merkle_mem_release(&t);
}

/* size 0: RFC 9162 has no proof from the empty tree; only an empty proof from the empty root verifies */
static void test_consistency_from_zero(void **state)
{
	(void)state;
	uint8_t empty[32], other[32], newr[32], proof[1][32];
	parley_err err = { 0 };

	parley_merkle_empty_root(empty);
	memset(other, 0x5a, sizeof(other));
	memset(newr, 0xa5, sizeof(newr));
	memset(proof, 0x33, sizeof(proof));
	assert_int_equal(parley_merkle_verify_consistency(0, 7, empty, newr, NULL, 0, &err), PARLEY_OK);
	assert_int_equal(parley_merkle_verify_consistency(0, 0, empty, empty, NULL, 0, &err), PARLEY_OK);
	/* any other "root of size 0" is no tree at all: refused, whatever the new root */
	assert_int_equal(parley_merkle_verify_consistency(0, 7, other, newr, NULL, 0, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "empty tree"));
	assert_int_equal(parley_merkle_verify_consistency(0, 7, newr, newr, NULL, 0, &err), PARLEY_E_VERIFY);
	assert_int_equal(parley_merkle_verify_consistency(0, 0, other, other, NULL, 0, &err), PARLEY_E_VERIFY);
	/* and a non-empty proof from size 0 is never one */
	assert_int_equal(parley_merkle_verify_consistency(0, 7, empty, newr, (const uint8_t(*)[32])proof, 1, &err),
		PARLEY_E_VERIFY);
}

static void test_consistency_implied_root(void **state)
{
	(void)state;
	parley_merkle_mem t;
	parley_merkle_src src;
	uint8_t proof[65][32], oldr[32], newr[32], got[32];
	size_t n;
	parley_err err = { 0 };

	parley_merkle_mem_init(&t);
	src = parley_merkle_mem_src(&t);
	for (int i = 0; i < 40; i++) {
		uint8_t d = (uint8_t)i, h[32];
		parley_merkle_leaf_hash(h, &d, 1);
		assert_int_equal(parley_merkle_mem_append(&t, h), PARLEY_OK);
	}
	for (uint64_t size = 2; size <= 40; size++) {
		assert_int_equal(parley_merkle_root(&src, size, newr, NULL), PARLEY_OK);
		for (uint64_t old = 1; old < size; old++) {
			assert_int_equal(parley_merkle_root(&src, old, oldr, NULL), PARLEY_OK);
			assert_int_equal(parley_merkle_consistency(&src, old, size, proof, &n, NULL), PARLEY_OK);
			parley_code rc = parley_merkle_consistency_old_root(old, size, newr, (const uint8_t(*)[32])proof, n,
				got, &err);
			if ((old & (old - 1)) == 0) { /* the old root is not in the proof */
				assert_int_equal(rc, PARLEY_E_VERIFY);
				continue;
			}
			assert_int_equal(rc, PARLEY_OK);
			assert_memory_equal(got, oldr, 32);
			newr[0] ^= 1; /* a proof that leads elsewhere implies nothing */
			assert_int_equal(parley_merkle_consistency_old_root(old, size, newr, (const uint8_t(*)[32])proof, n,
						 got, &err),
				PARLEY_E_VERIFY);
			newr[0] ^= 1;
		}
	}
	assert_int_equal(parley_merkle_consistency(&src, 6, 5, proof, &n, &err), PARLEY_E_USAGE);
	parley_merkle_mem_release(&t);
}

static void test_frontier_load(void **state)
{
	(void)state;
	parley_merkle_mem t;
	parley_merkle_src src;
	parley_merkle_frontier f;
	uint8_t a[32], b[32];

	parley_merkle_mem_init(&t);
	src = parley_merkle_mem_src(&t);
	for (int i = 0; i < 77; i++) {
		uint8_t d = (uint8_t)i, h[32];
		parley_merkle_leaf_hash(h, &d, 1);
		assert_int_equal(parley_merkle_mem_append(&t, h), PARLEY_OK);
		assert_int_equal(parley_merkle_frontier_load(&f, &src, (uint64_t)i + 1, NULL), PARLEY_OK);
		parley_merkle_frontier_root(&f, a);
		parley_merkle_frontier_root(&t.f, b);
		assert_memory_equal(a, b, 32);
	}
	parley_merkle_mem_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ct_roots),
		cmocka_unit_test(test_ct_proofs),
		cmocka_unit_test(test_against_reference),
		cmocka_unit_test(test_tampered_inclusion),
		cmocka_unit_test(test_tampered_consistency),
		cmocka_unit_test(test_consistency_from_zero),
		cmocka_unit_test(test_consistency_implied_root),
		cmocka_unit_test(test_frontier_load),
	};
	if (parley_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
