/* test_psi.c - RFC 9497 OPRF vectors, tags, messages, indicator normalisation, PSI end to end. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <sodium.h>
#include "testutil.h"
#include "parley/psi.h"

static void hx(uint8_t *out, const char *hex)
{
	assert_int_equal(parley_unhex(out, strlen(hex) / 2, hex, strlen(hex)), PARLEY_OK);
}

static void eq(const uint8_t *got, const char *hex)
{
	char h[129];
	parley_hex(h, got, strlen(hex) / 2);
	assert_string_equal(h, hex);
}

/* RFC 9497 appendix A.1.1 (ristretto255-SHA512, OPRF mode), test vectors 1 and 2. */
static void test_rfc9497_vectors(void **state)
{
	(void)state;
	uint8_t seed[32], sk[32], blind[32], blinded[32], evaluated[32], out[64], in2[17];
	memset(seed, 0xa3, 32);
	assert_int_equal(parley_oprf_derive_key(sk, seed, (const uint8_t *)"test key", 8), PARLEY_OK);
	eq(sk, "5ebcea5ee37023ccb9fc2d2019f9d7737be85591ae8652ffa9ef0f4d37063b0e");
	hx(blind, "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706");

	uint8_t in1 = 0x00;
	assert_int_equal(parley_oprf_blind(blinded, blind, &in1, 1), PARLEY_OK);
	eq(blinded, "609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c");
	assert_int_equal(parley_oprf_evaluate(evaluated, sk, blinded), PARLEY_OK);
	eq(evaluated, "7ec6578ae5120958eb2db1745758ff379e77cb64fe77b0b2d8cc917ea0869c7e");
	assert_int_equal(parley_oprf_finalize(out, &in1, 1, blind, evaluated), PARLEY_OK);
	eq(out, "527759c3d9366f277d8c6020418d96bb393ba2afb20ff90df23fb7708264e2f3ab9135e3bd69955851de4b1f9fe8a0973396719b7912ba9ee8aa7d0b5e24bcf6");

	memset(in2, 0x5a, sizeof(in2));
	assert_int_equal(parley_oprf_blind(blinded, blind, in2, sizeof(in2)), PARLEY_OK);
	eq(blinded, "da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418");
	assert_int_equal(parley_oprf_evaluate(evaluated, sk, blinded), PARLEY_OK);
	eq(evaluated, "b4cbf5a4f1eeda5a63ce7b77c7d23f461db3fcab0dd28e4e17cecb5c90d02c25");
	assert_int_equal(parley_oprf_finalize(out, in2, sizeof(in2), blind, evaluated), PARLEY_OK);
	eq(out, "f4a74c9c592497375e796aa837e907b1a045d34306a749db9f34221f7e750cb4f2a6413a6bf6fa5e19ba6348eb673934a722a7ede2e7621306d18951e7cf2c73");
}

static void test_bad_points(void **state)
{
	(void)state;
	uint8_t k[32], p[32] = { 0 }, out[32];
	crypto_core_ristretto255_scalar_random(k);
	assert_int_equal(parley_oprf_evaluate(out, k, p), PARLEY_E_VERIFY); /* identity */
	memset(p, 0xff, 32);
	assert_int_equal(parley_oprf_evaluate(out, k, p), PARLEY_E_VERIFY); /* non-canonical */
	p[0] = 1;
	memset(p + 1, 0, 31);
	assert_int_equal(parley_oprf_evaluate(out, k, p), PARLEY_E_VERIFY);
}

static void test_tags_roundtrip(void **state)
{
	(void)state;
	for (unsigned bits = 48; bits <= 128; bits += 40) {
		size_t n = 5000;
		parley_tag *t = malloc(n * sizeof(*t)), *back = malloc(n * sizeof(*t));
		for (size_t i = 0; i < n; i++) {
			uint8_t out[64];
			randombytes_buf(out, sizeof(out));
			t[i] = parley_psi_tag(out, bits);
		}
		parley_psi_tags_sort(t, n);
		parley_buf b = PARLEY_BUF_INIT;
		assert_int_equal(parley_psi_tags_encode(t, n, n, bits, &b), PARLEY_OK);
		/* close to the entropy: about bits - log2(n) + 2 bits per tag */
		assert_true(b.len * 8 < n * (bits - 12 + 3) + 64);
		assert_int_equal(parley_psi_tags_decode(b.data, b.len, n, bits, back, NULL), PARLEY_OK);
		assert_memory_equal(t, back, n * sizeof(*t));
		/* truncated, one tag too many, garbage parameter */
		assert_int_equal(parley_psi_tags_decode(b.data, b.len - 8, n, bits, back, NULL), PARLEY_E_FORMAT);
		assert_int_equal(parley_psi_tags_decode(b.data, b.len, n + 1, bits, back, NULL), PARLEY_E_FORMAT);
		b.data[0] = 200;
		assert_int_equal(parley_psi_tags_decode(b.data, b.len, n, bits, back, NULL), PARLEY_E_FORMAT);
		parley_buf_release(&b);
		free(t);
		free(back);
	}
	assert_int_equal(parley_psi_tag_bits(1000, 1000), 40 + 10 + 10);
	assert_int_equal(parley_psi_tag_bits(1, 1), 48);
	assert_int_equal(parley_psi_tag_bits(1000000, 1000000), 80);
}

static void test_messages(void **state)
{
	(void)state;
	uint8_t elems[3 * 32];
	for (int i = 0; i < 3; i++) {
		uint8_t h[64];
		randombytes_buf(h, sizeof(h));
		crypto_core_ristretto255_from_hash(elems + i * 32, h);
	}
	parley_psi_msg m = { PARLEY_PSI_REQUEST, PARLEY_PSI_INTERSECTION, { 1, 2, 3 }, 0, 1, 3, 3, 0, elems, sizeof(elems) }, d;
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	assert_int_equal(parley_psi_msg_encode(&m, &b), PARLEY_OK);
	assert_int_equal(parley_psi_msg_decode(b.data, b.len, &d, &err), PARLEY_OK);
	assert_int_equal(d.count, 3);
	assert_memory_equal(d.data, elems, sizeof(elems));
	for (size_t n = 0; n < b.len; n++)
		assert_int_not_equal(parley_psi_msg_decode(b.data, n, &d, NULL), PARLEY_OK);
	/* an identity element inside is refused */
	memset(b.data + b.len - 32, 0, 32);
	assert_int_equal(parley_psi_msg_decode(b.data, b.len, &d, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "element 2"));
	/* a chunk number beyond the count */
	m.chunk = 1;
	assert_int_equal(parley_psi_msg_encode(&m, &b), PARLEY_OK);
	assert_int_equal(parley_psi_msg_decode(b.data, b.len, &d, &err), PARLEY_E_FORMAT);
	parley_buf_release(&b);
}

static void norm(const char *in, const char *want)
{
	char out[256];
	parley_err err = { 0 };
	parley_code rc = parley_indicator_normalize(in, out, sizeof(out), &err);
	if (!want) {
		if (rc == PARLEY_OK)
			fail_msg("'%s' normalised to '%s', wanted a refusal", in, out);
		return;
	}
	if (rc)
		fail_msg("'%s': %s", in, err.msg);
	assert_string_equal(out, want);
}

static void test_normalize(void **state)
{
	(void)state;
	norm("198.51.100.7", "ipv4-addr:198.51.100.7");
	norm("  ipv4-addr:198.51.100.7 ", "ipv4-addr:198.51.100.7");
	norm("2001:DB8:0:0:1:0:0:1", "ipv6-addr:2001:db8::1:0:0:1");
	norm("ipv6-addr:2001:db8:0:0:0:0:2:1", "ipv6-addr:2001:db8::2:1");
	norm("Evil.Example.", "domain-name:evil.example");
	norm("HTTPS://Evil.Example/Login?x=Y", "url:https://evil.example/Login?x=Y");
	norm("Alice@Mail.Example", "email-addr:alice@mail.example");
	norm("999.1.1.1", NULL);             /* an all-numeric top-level label: not a host name */
	norm("domain-name:example.123", NULL);
	norm("-bad.example", NULL);
	norm("bad-.example", NULL);
	norm("x.example-", NULL);
	norm("a-b.example", "domain-name:a-b.example");
	norm("123.example", "domain-name:123.example");
	norm("AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F",
		"file:sha256:aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f");
	norm("file:md5:D41D8CD98F00B204E9800998ECF8427E", "file:md5:d41d8cd98f00b204e9800998ecf8427e");
	norm("ipv4-addr:300.1.1.1", NULL);
	norm("file:sha256:abcd", NULL);
	norm("not a domain", NULL);
	norm("localhost", NULL);
	norm("", NULL);
	norm("@example.org", NULL);
}

/* The whole exchange with the library's steps, as the two nodes run it. */
static size_t run_psi(parley_iset *a, parley_iset *b, int mode, bool *member)
{
	uint8_t r[32], k[32], seed[32], session[16];
	parley_err err = { 0 };
	randombytes_buf(seed, sizeof(seed));
	randombytes_buf(session, sizeof(session));
	parley_psi_blind_scalar(r, seed, session);
	uint8_t *el = malloc(a->n * 32 + 1);
	assert_int_equal(parley_psi_blind_all(a, r, el, &err), PARLEY_OK);
	crypto_core_ristretto255_scalar_random(k);
	assert_int_equal(parley_psi_evaluate_all(el, a->n, k, &err), PARLEY_OK);
	if (mode == PARLEY_PSI_CARDINALITY) /* the responder shuffles */
		for (size_t i = a->n; i > 1; i--) {
			size_t j = randombytes_uniform((uint32_t)i);
			uint8_t t[32];
			memcpy(t, el + (i - 1) * 32, 32);
			memcpy(el + (i - 1) * 32, el + j * 32, 32);
			memcpy(el + j * 32, t, 32);
		}
	unsigned bits = parley_psi_tag_bits(a->n, b->n);
	parley_tag *own = malloc((b->n + 1) * sizeof(*own)), *fin = malloc((a->n + 1) * sizeof(*fin));
	assert_int_equal(parley_psi_own_tags(b, k, mode, bits, own, &err), PARLEY_OK);
	parley_psi_tags_sort(own, b->n);
	parley_buf enc = PARLEY_BUF_INIT;
	assert_int_equal(parley_psi_tags_encode(own, b->n, b->n, bits, &enc), PARLEY_OK);
	assert_int_equal(parley_psi_tags_decode(enc.data, enc.len, b->n, bits, own, &err), PARLEY_OK);
	assert_int_equal(parley_psi_final_tags(a, el, a->n, r, mode, bits, fin, &err), PARLEY_OK);
	size_t count = 0;
	for (size_t i = 0; i < a->n; i++) {
		bool in = parley_psi_tags_contain(own, b->n, fin[i]);
		if (member)
			member[i] = in;
		count += in;
	}
	free(el);
	free(own);
	free(fin);
	parley_buf_release(&enc);
	return count;
}

/* Addresses 10.0.x.y for i in [from, to). */
static void fill(parley_iset *s, int from, int to)
{
	char raw[64], n[128];
	for (int i = from; i < to; i++) {
		snprintf(raw, sizeof(raw), "10.0.%d.%d", i / 256, i % 256);
		assert_int_equal(parley_indicator_normalize(raw, n, sizeof(n), NULL), PARLEY_OK);
		assert_int_equal(parley_iset_add(s, n), PARLEY_OK);
	}
}

static void test_psi_exchange(void **state)
{
	(void)state;
	parley_iset a = { 0 }, b = { 0 };
	/* A: 10.0.0.0 .. 10.0.3.231 (1000) and some domains; B: half of the addresses, other domains, one shared domain */
	fill(&a, 0, 1000);
	fill(&b, 500, 1500);
	assert_int_equal(parley_iset_add(&a, "domain-name:shared.example"), PARLEY_OK);
	assert_int_equal(parley_iset_add(&b, "domain-name:shared.example"), PARLEY_OK);
	assert_int_equal(parley_iset_add(&a, "domain-name:only-a.example"), PARLEY_OK);
	assert_int_equal(parley_iset_add(&b, "file:md5:d41d8cd98f00b204e9800998ecf8427e"), PARLEY_OK);
	assert_int_equal(parley_iset_add(&a, "ipv4-addr:10.0.0.1"), PARLEY_OK); /* a duplicate */
	parley_iset_finish(&a);
	parley_iset_finish(&b);
	assert_int_equal(a.n, 1002);
	bool *member = calloc(a.n, sizeof(bool));
	assert_int_equal(run_psi(&a, &b, PARLEY_PSI_INTERSECTION, member), 501);
	for (size_t i = 0; i < a.n; i++) {
		bool want = false;
		for (size_t j = 0; j < b.n; j++)
			if (strcmp(a.items[i], b.items[j]) == 0)
				want = true;
		if (member[i] != want)
			fail_msg("%s: %s", a.items[i], want ? "missed" : "false positive");
	}
	assert_int_equal(run_psi(&a, &b, PARLEY_PSI_CARDINALITY, NULL), 501);
	free(member);

	/* empty intersection, one element, very different sizes, all elements */
	parley_iset one = { 0 }, same = { 0 };
	assert_int_equal(parley_iset_add(&one, "ipv4-addr:10.0.2.0"), PARLEY_OK);
	parley_iset_finish(&one);
	assert_int_equal(run_psi(&one, &b, PARLEY_PSI_INTERSECTION, NULL), 1);
	assert_int_equal(run_psi(&b, &one, PARLEY_PSI_INTERSECTION, NULL), 1);
	fill(&same, 0, 1000);
	assert_int_equal(parley_iset_add(&same, "domain-name:shared.example"), PARLEY_OK);
	assert_int_equal(parley_iset_add(&same, "domain-name:only-a.example"), PARLEY_OK);
	parley_iset_finish(&same);
	assert_int_equal(run_psi(&a, &same, PARLEY_PSI_INTERSECTION, NULL), a.n);
	parley_iset none = { 0 };
	assert_int_equal(parley_iset_add(&none, "domain-name:nobody.example"), PARLEY_OK);
	parley_iset_finish(&none);
	assert_int_equal(run_psi(&a, &none, PARLEY_PSI_INTERSECTION, NULL), 0);
	parley_iset_release(&a);
	parley_iset_release(&b);
	parley_iset_release(&one);
	parley_iset_release(&same);
	parley_iset_release(&none);
}

static void test_iset_load(void **state)
{
	(void)state;
	char path[] = "/tmp/parley-iset-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "# indicators\n198.51.100.7\n\nevil.example\nnot valid at all\n198.51.100.7\nfile:sha256:xyz\n";
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	parley_iset s;
	parley_buf problems = PARLEY_BUF_INIT;
	assert_int_equal(parley_iset_load(path, 0, &s, &problems, NULL), PARLEY_OK);
	assert_int_equal(s.n, 2);
	assert_non_null(strstr((char *)problems.data, "line 5:"));
	assert_non_null(strstr((char *)problems.data, "line 7:"));
	parley_iset_release(&s);
	parley_buf_release(&problems);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc9497_vectors),
		cmocka_unit_test(test_bad_points),
		cmocka_unit_test(test_tags_roundtrip),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_psi_exchange),
		cmocka_unit_test(test_iset_load),
	};
	if (parley_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
