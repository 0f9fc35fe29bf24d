/* test_entry.c - entry build, parse, verify, open; tampering and truncation everywhere. */
#include <sodium.h>

#include "testutil.h"
#include "parley/entry.h"

static parley_seckey *ka, *kb, *kc;

static int setup(void **state)
{
	(void)state;
	ka = tu_key("cert-a", 0xa1);
	kb = tu_key("cert-b", 0xb2);
	kc = tu_key("cert-c", 0xc3);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	parley_seckey_free(ka);
	parley_seckey_free(kb);
	parley_seckey_free(kc);
	return 0;
}

static void hdr_for(parley_entry_hdr *h, const parley_seckey *from, const parley_seckey *to)
{
	memset(h, 0, sizeof(*h));
	memset(h->channel, 0x42, 32);
	memcpy(h->sender, from->pub.keyid, 4);
	h->seq = 1;
	h->created_ms = 1798761600123ull;
	h->type = PARLEY_T_NOTIFICATION;
	memcpy(h->category, "ip-theft", 9);
	h->tlp = PARLEY_TLP_AMBER;
	h->nrecip = 1;
	memcpy(h->recip[0], to->pub.keyid, 4);
}

static void build(const parley_entry_hdr *h, const parley_seckey *from, const uint8_t (*pks)[32],
	const char *text, parley_buf *out, uint8_t ck[32])
{
	parley_err err = { 0 };
	if (parley_entry_build(h, pks, (const uint8_t *)text, strlen(text), from, out, ck, &err))
		fail_msg("build: %s", err.msg);
}

static void test_roundtrip(void **state)
{
	(void)state;
	parley_entry_hdr h;
	parley_entry e;
	parley_buf raw = PARLEY_BUF_INIT, pl = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	uint8_t ck[32], ck2[32];

	hdr_for(&h, ka, kb);
	h.thread = 7;
	h.nrefs = 2;
	h.refs[0] = 7;
	h.refs[1] = 1ull << 40;
	build(&h, ka, (const uint8_t(*)[32])kb->pub.seal_pk, "hello, cert-b", &raw, ck);
	assert_int_equal(parley_entry_parse(raw.data, raw.len, &e, &err), PARLEY_OK);
	assert_memory_equal(e.h.channel, h.channel, 32);
	assert_memory_equal(e.h.sender, ka->pub.keyid, 4);
	assert_int_equal(e.h.seq, 1);
	assert_int_equal(e.h.created_ms, 1798761600123ull);
	assert_int_equal(e.h.type, PARLEY_T_NOTIFICATION);
	assert_int_equal(e.h.thread, 7);
	assert_int_equal(e.h.nrefs, 2);
	assert_int_equal(e.h.refs[1], 1ull << 40);
	assert_string_equal(e.h.category, "ip-theft");
	assert_int_equal(e.h.tlp, PARLEY_TLP_AMBER);
	assert_int_equal(e.h.nrecip, 1);
	assert_int_equal(e.ct_len, strlen("hello, cert-b") + PARLEY_TAG_LEN);
	assert_int_equal(parley_entry_verify(&e, ka->pub.sign_pk, &err), PARLEY_OK);
	assert_int_equal(parley_entry_verify(&e, kb->pub.sign_pk, &err), PARLEY_E_VERIFY);

	assert_int_equal(parley_entry_open(&e, kb, &pl, ck2, &err), PARLEY_OK);
	assert_int_equal(pl.len, strlen("hello, cert-b"));
	assert_memory_equal(pl.data, "hello, cert-b", pl.len);
	assert_memory_equal(ck, ck2, 32);
	/* the sender is not a recipient here; nor is cert-c */
	assert_int_equal(parley_entry_open(&e, ka, &pl, NULL, &err), PARLEY_E_DECRYPT);
	assert_int_equal(parley_entry_open(&e, kc, &pl, NULL, &err), PARLEY_E_DECRYPT);
	assert_non_null(strstr(err.msg, "not a recipient"));
	/* a revealed content key opens it for a third party; another key does not */
	assert_int_equal(parley_entry_open_with_key(&e, ck, &pl, &err), PARLEY_OK);
	assert_memory_equal(pl.data, "hello, cert-b", pl.len);
	ck[0] ^= 1;
	assert_int_equal(parley_entry_open_with_key(&e, ck, &pl, &err), PARLEY_E_DECRYPT);
	assert_non_null(strstr(err.msg, "commitment"));
	parley_buf_release(&raw);
	parley_buf_release(&pl);
}

static void test_many_recipients(void **state)
{
	(void)state;
	parley_entry_hdr h;
	parley_entry e;
	parley_buf raw = PARLEY_BUF_INIT, pl = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	uint8_t pks[3][32];

	hdr_for(&h, ka, kb);
	h.nrecip = 3;
	memcpy(h.recip[0], ka->pub.keyid, 4);
	memcpy(h.recip[1], kb->pub.keyid, 4);
	memcpy(h.recip[2], kc->pub.keyid, 4);
	memcpy(pks[0], ka->pub.seal_pk, 32);
	memcpy(pks[1], kb->pub.seal_pk, 32);
	memcpy(pks[2], kc->pub.seal_pk, 32);
	build(&h, ka, (const uint8_t(*)[32])pks, "to all", &raw, NULL);
	assert_int_equal(parley_entry_parse(raw.data, raw.len, &e, &err), PARLEY_OK);
	const parley_seckey *who[3] = { ka, kb, kc };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(parley_entry_open(&e, who[i], &pl, NULL, &err), PARLEY_OK);
		assert_memory_equal(pl.data, "to all", 6);
	}
	parley_buf_release(&raw);
	parley_buf_release(&pl);
}

/* Every single-bit change anywhere is caught: by parsing, by the signature, or both. */
static void test_every_byte_tampered(void **state)
{
	(void)state;
	parley_entry_hdr h;
	parley_entry e;
	parley_buf raw = PARLEY_BUF_INIT;
	parley_err err = { 0 };

	hdr_for(&h, ka, kb);
	build(&h, ka, (const uint8_t(*)[32])kb->pub.seal_pk, "the quick brown fox", &raw, NULL);
	for (size_t i = 0; i < raw.len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			raw.data[i] ^= (uint8_t)(1u << bit);
			if (parley_entry_parse(raw.data, raw.len, &e, &err) == PARLEY_OK &&
				parley_entry_verify(&e, ka->pub.sign_pk, &err) == PARLEY_OK)
				fail_msg("flipping bit %d of byte %zu went unnoticed", bit, i);
			raw.data[i] ^= (uint8_t)(1u << bit);
		}
	}
	parley_buf_release(&raw);
}

static void test_truncation_and_trailing(void **state)
{
	(void)state;
	parley_entry_hdr h;
	parley_entry e;
	parley_buf raw = PARLEY_BUF_INIT;
	parley_err err = { 0 };

	hdr_for(&h, ka, kb);
	build(&h, ka, (const uint8_t(*)[32])kb->pub.seal_pk, "x", &raw, NULL);
	for (size_t n = 0; n < raw.len; n++)
		assert_int_not_equal(parley_entry_parse(raw.data, n, &e, &err), PARLEY_OK);
	assert_int_equal(parley_entry_parse(raw.data, 10, &e, &err), PARLEY_E_FORMAT);
	assert_non_null(strstr(err.msg, "truncated"));
	assert_int_equal(parley_buf_add_u8(&raw, 0), PARLEY_OK);
	assert_int_equal(parley_entry_parse(raw.data, raw.len, &e, &err), PARLEY_E_FORMAT);
	assert_non_null(strstr(err.msg, "after the signature"));
	parley_buf_release(&raw);
}

static void test_header_rules(void **state)
{
	(void)state;
	parley_entry_hdr h;
	parley_buf raw = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	const uint8_t(*pk)[32] = (const uint8_t(*)[32])kb->pub.seal_pk;

#define REFUSED(code, needle)                                                                      \
	do {                                                                                       \
		assert_int_equal(parley_entry_build(&h, pk, (const uint8_t *)"x", 1, ka, &raw, NULL, &err), \
			code);                                                                     \
		assert_non_null(strstr(err.msg, needle));                                          \
		hdr_for(&h, ka, kb);                                                               \
	} while (0)

	hdr_for(&h, ka, kb);
	h.seq = 0;
	REFUSED(PARLEY_E_FORMAT, "sequence number 0");
	h.prev[3] = 1;
	REFUSED(PARLEY_E_FORMAT, "names a previous entry");
	h.seq = 2;
	REFUSED(PARLEY_E_FORMAT, "no previous-entry hash");
	h.type = 0;
	REFUSED(PARLEY_E_FORMAT, "unknown message type");
	h.type = PARLEY_TYPE_MAX + 1;
	REFUSED(PARLEY_E_FORMAT, "unknown message type");
	h.tlp = 5;
	REFUSED(PARLEY_E_FORMAT, "TLP");
	h.category[0] = 0;
	REFUSED(PARLEY_E_FORMAT, "category");
	memcpy(h.category, "Bad Cat", 8);
	REFUSED(PARLEY_E_FORMAT, "category");
	h.nrecip = 0;
	REFUSED(PARLEY_E_FORMAT, "no recipients");
	h.nrecip = 2;
	memcpy(h.recip[1], h.recip[0], 4);
	REFUSED(PARLEY_E_FORMAT, "listed twice");
	h.nrefs = PARLEY_ENTRY_MAX_REFS + 1;
	REFUSED(PARLEY_E_LIMIT, "references");
	memcpy(h.sender, kb->pub.keyid, 4);
	REFUSED(PARLEY_E_USAGE, "not the signing key");

	static uint8_t big[PARLEY_ENTRY_MAX_PAYLOAD + 1];
	assert_int_equal(parley_entry_build(&h, pk, big, sizeof(big), ka, &raw, NULL, &err), PARLEY_E_LIMIT);
	assert_int_equal(parley_entry_build(&h, pk, big, sizeof(big) - 1, ka, &raw, NULL, &err), PARLEY_OK);
	parley_entry e;
	assert_int_equal(parley_entry_parse(raw.data, raw.len, &e, &err), PARLEY_OK);
	assert_true(raw.len <= PARLEY_ENTRY_MAX_BYTES);
	parley_buf_release(&raw);
#undef REFUSED
}

/* A hand-made entry claiming a huge payload length is refused without allocating it. */
static void test_length_fields(void **state)
{
	(void)state;
	parley_entry_hdr h;
	parley_entry e;
	parley_buf raw = PARLEY_BUF_INIT;
	parley_err err = { 0 };

	hdr_for(&h, ka, kb);
	build(&h, ka, (const uint8_t(*)[32])kb->pub.seal_pk, "abc", &raw, NULL);
	assert_int_equal(parley_entry_parse(raw.data, raw.len, &e, &err), PARLEY_OK);
	size_t len_at = (size_t)(e.nonce - raw.data) + PARLEY_NONCE_LEN;
	parley_put_u32(raw.data + len_at, 0xffffffffu);
	assert_int_equal(parley_entry_parse(raw.data, raw.len, &e, &err), PARLEY_E_FORMAT);
	assert_non_null(strstr(err.msg, "out of range"));
	parley_put_u32(raw.data + len_at, 3);
	assert_int_equal(parley_entry_parse(raw.data, raw.len, &e, &err), PARLEY_E_FORMAT);
	parley_buf_release(&raw);
}

static void test_chain_hash(void **state)
{
	(void)state;
	parley_entry_hdr h;
	parley_buf e1 = PARLEY_BUF_INIT, e2 = PARLEY_BUF_INIT;
	parley_entry p2;
	parley_err err = { 0 };
	uint8_t want[32];

	hdr_for(&h, ka, kb);
	build(&h, ka, (const uint8_t(*)[32])kb->pub.seal_pk, "first", &e1, NULL);
	h.seq = 2;
	parley_entry_hash(e1.data, e1.len, h.prev);
	build(&h, ka, (const uint8_t(*)[32])kb->pub.seal_pk, "second", &e2, NULL);
	assert_int_equal(parley_entry_parse(e2.data, e2.len, &p2, &err), PARLEY_OK);
	parley_sha256(want, e1.data, e1.len);
	assert_memory_equal(p2.h.prev, want, 32);
	parley_buf_release(&e1);
	parley_buf_release(&e2);
}

/* A seal is a function of the content key and the recipient's key, and crypto_box_seal_open opens it. */
static void test_seal_deterministic(void **state)
{
	(void)state;
	parley_err err = { 0 };
	uint8_t ck[32], s1[PARLEY_SEALED_KEY_LEN], s2[PARLEY_SEALED_KEY_LEN], got[32], seed[32];
	uint8_t eph_pk[32], eph_sk[32], nonce[24];
	crypto_hash_sha256_state hs;

	for (int i = 0; i < 32; i++)
		ck[i] = (uint8_t)(0x40 + i);
	assert_int_equal(parley_entry_seal(s1, ck, kb->pub.seal_pk, &err), PARLEY_OK);
	assert_int_equal(parley_entry_seal(s2, ck, kb->pub.seal_pk, &err), PARLEY_OK);
	assert_memory_equal(s1, s2, sizeof(s1));
	/* the derivation, spelled out with libsodium's own primitives */
	crypto_hash_sha256_init(&hs);
	crypto_hash_sha256_update(&hs, (const uint8_t *)"parley-seal/v1\n", 15);
	crypto_hash_sha256_update(&hs, ck, 32);
	crypto_hash_sha256_update(&hs, kb->pub.seal_pk, 32);
	crypto_hash_sha256_final(&hs, seed);
	crypto_box_seed_keypair(eph_pk, eph_sk, seed);
	assert_memory_equal(s1, eph_pk, 32);
	crypto_generichash_state gs;
	crypto_generichash_init(&gs, NULL, 0, sizeof(nonce));
	crypto_generichash_update(&gs, eph_pk, 32);
	crypto_generichash_update(&gs, kb->pub.seal_pk, 32);
	crypto_generichash_final(&gs, nonce, sizeof(nonce));
	uint8_t box[48];
	assert_int_equal(crypto_box_easy(box, ck, 32, nonce, kb->pub.seal_pk, eph_sk), 0);
	assert_memory_equal(s1 + 32, box, sizeof(box));
	/* byte-compatible with crypto_box_seal: its open gives the content key back */
	assert_int_equal(crypto_box_seal_open(got, s1, sizeof(s1), kb->pub.seal_pk, kb->seal_sk), 0);
	assert_memory_equal(got, ck, 32);
	assert_int_not_equal(crypto_box_seal_open(got, s1, sizeof(s1), kc->pub.seal_pk, kc->seal_sk), 0);
	/* another recipient or another content key: another ephemeral key */
	assert_int_equal(parley_entry_seal(s2, ck, kc->pub.seal_pk, &err), PARLEY_OK);
	assert_memory_not_equal(s1, s2, 32);
	ck[31] ^= 1;
	assert_int_equal(parley_entry_seal(s2, ck, kb->pub.seal_pk, &err), PARLEY_OK);
	assert_memory_not_equal(s1, s2, 32);
	/* a low-order point takes no box */
	static const uint8_t zero[32];
	assert_int_equal(parley_entry_seal(s2, ck, zero, &err), PARLEY_E_USAGE);
	assert_non_null(strstr(err.msg, "unusable"));
}

/* An entry's seals are exactly the deterministic ones; a slot sealed to another key is shown wrong. */
static void test_seal_check(void **state)
{
	(void)state;
	parley_entry_hdr h;
	parley_entry e;
	parley_buf raw = PARLEY_BUF_INIT, pl = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	uint8_t pks[3][32], ck[32], seal[PARLEY_SEALED_KEY_LEN];
	const parley_seckey *who[3] = { ka, kb, kc };
	bool ok = true;

	hdr_for(&h, ka, kb);
	h.nrecip = 3;
	for (int i = 0; i < 3; i++) {
		memcpy(h.recip[i], who[i]->pub.keyid, 4);
		memcpy(pks[i], who[i]->pub.seal_pk, 32);
	}
	build(&h, ka, (const uint8_t(*)[32])pks, "sealed three times", &raw, ck);
	assert_int_equal(parley_entry_parse(raw.data, raw.len, &e, &err), PARLEY_OK);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(parley_entry_seal(seal, ck, pks[i], &err), PARLEY_OK);
		assert_memory_equal(e.sealed + i * PARLEY_SEALED_KEY_LEN, seal, sizeof(seal));
		for (unsigned j = 0; j < 3; j++) {
			assert_int_equal(parley_entry_seal_check(&e, ck, i, pks[j], &ok, &err), PARLEY_OK);
			assert_true(ok == (i == j));
		}
	}
	/* bad arguments: an index past the recipients, a key that is not the committed one */
	ok = true;
	assert_int_equal(parley_entry_seal_check(&e, ck, 3, pks[0], &ok, &err), PARLEY_E_USAGE);
	assert_false(ok);
	assert_non_null(strstr(err.msg, "recipient 3"));
	ck[0] ^= 1;
	ok = true;
	assert_int_equal(parley_entry_seal_check(&e, ck, 0, pks[0], &ok, &err), PARLEY_E_VERIFY);
	assert_false(ok);
	assert_non_null(strstr(err.msg, "commitment"));
	ck[0] ^= 1;
	/* one changed byte of a seal: the check says false */
	raw.data[(size_t)(e.sealed - raw.data) + PARLEY_SEALED_KEY_LEN + 40] ^= 1;
	assert_int_equal(parley_entry_seal_check(&e, ck, 1, pks[1], &ok, &err), PARLEY_OK);
	assert_false(ok);
	assert_int_equal(parley_entry_seal_check(&e, ck, 2, pks[2], &ok, &err), PARLEY_OK);
	assert_true(ok);

	/* cert-b's slot sealed to cert-c's key: cert-b cannot open it, and the revealed key shows why */
	memcpy(pks[1], kc->pub.seal_pk, 32);
	build(&h, ka, (const uint8_t(*)[32])pks, "not for you", &raw, ck);
	assert_int_equal(parley_entry_parse(raw.data, raw.len, &e, &err), PARLEY_OK);
	assert_int_equal(parley_entry_open(&e, kb, &pl, NULL, &err), PARLEY_E_DECRYPT);
	assert_non_null(strstr(err.msg, "does not open"));
	assert_int_equal(parley_entry_open(&e, kc, &pl, NULL, &err), PARLEY_OK);
	assert_int_equal(parley_entry_seal_check(&e, ck, 1, kb->pub.seal_pk, &ok, &err), PARLEY_OK);
	assert_false(ok);
	assert_int_equal(parley_entry_seal_check(&e, ck, 1, kc->pub.seal_pk, &ok, &err), PARLEY_OK);
	assert_true(ok);
	/* a sealing key no box can be made to is refused when building */
	memset(pks[1], 0, 32);
	assert_int_equal(parley_entry_build(&h, (const uint8_t(*)[32])pks, (const uint8_t *)"x", 1, ka, &raw, NULL, &err),
		PARLEY_E_USAGE);
	assert_non_null(strstr(err.msg, "recipient 1"));
	parley_buf_release(&raw);
	parley_buf_release(&pl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_many_recipients),
		cmocka_unit_test(test_every_byte_tampered),
		cmocka_unit_test(test_truncation_and_trailing),
		cmocka_unit_test(test_header_rules),
		cmocka_unit_test(test_length_fields),
		cmocka_unit_test(test_chain_hash),
		cmocka_unit_test(test_seal_deterministic),
		cmocka_unit_test(test_seal_check),
	};
	if (parley_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
