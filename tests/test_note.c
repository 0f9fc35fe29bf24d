/* test_note.c - C2SP signed notes (with the Go reference vector), cosignatures, checkpoints. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include "testutil.h"
#include "parley/note.h"

#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_SEED "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz" /* 0x01 || Ed25519 seed */
#define TEXT "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
#define PETER_SIG "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

static parley_code parse_str(const char *s, parley_note *n, parley_err *err)
{
	return parley_note_parse(s, strlen(s), n, err);
}

static void test_go_reference_note(void **state)
{
	(void)state;
	parley_verifier v;
	parley_note n;
	parley_err err = { 0 };
	bool ok[1];

	assert_int_equal(parley_verifier_parse(PETER_VKEY, &v, &err), PARLEY_OK);
	assert_string_equal(v.name, "PeterNeumann");
	assert_int_equal(v.type, PARLEY_VKEY_ED25519);
	assert_int_equal(parse_str(TEXT "\n" PETER_SIG, &n, &err), PARLEY_OK);
	assert_int_equal(n.nsigs, 1);
	assert_int_equal(n.text_len, strlen(TEXT));
	assert_int_equal(parley_note_verify(&n, &v, 1, ok, NULL, &err), PARLEY_OK);
	assert_true(ok[0]);
	parley_note_release(&n);

	/* one changed letter */
	char *bad = strdup(TEXT "\n" PETER_SIG);
	bad[strlen("If you think cryptograph")] = 'Y';
	assert_int_equal(parse_str(bad, &n, &err), PARLEY_OK);
	assert_int_equal(parley_note_verify(&n, &v, 1, ok, NULL, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "'PeterNeumann' does not verify"));
	parley_note_release(&n);
	free(bad);
}

static void test_go_reference_sign(void **state)
{
	(void)state;
	uint8_t raw[33];
	size_t rawlen;
	parley_seckey *k = sodium_malloc(sizeof(*k));
	parley_buf line = PARLEY_BUF_INIT;
	parley_err err = { 0 };

	assert_non_null(k);
	memset(k, 0, sizeof(*k));
	assert_int_equal(parley_unb64(raw, sizeof(raw), &rawlen, PETER_SEED, strlen(PETER_SEED)), PARLEY_OK);
	crypto_sign_seed_keypair(k->pub.sign_pk, k->sign_sk, raw + 1);
	snprintf(k->pub.name, sizeof(k->pub.name), "PeterNeumann");
	parley_keyid(k->pub.keyid, k->pub.name, k->pub.sign_pk);
	assert_int_equal(parley_note_sign_line(TEXT, strlen(TEXT), k, &line, &err), PARLEY_OK);
	assert_string_equal((char *)line.data, PETER_SIG);
	parley_buf_release(&line);
	sodium_free(k);
}

static void test_unknown_and_mixed(void **state)
{
	(void)state;
	parley_seckey *a = tu_key("relay", 1), *b = tu_key("witness", 2);
	parley_verifier va, vb;
	parley_buf la = PARLEY_BUF_INIT, lb = PARLEY_BUF_INIT, msg = PARLEY_BUF_INIT;
	parley_note n;
	parley_err err = { 0 };
	bool ok[2];
	uint64_t times[2] = { 0, 0 };

	parley_verifier_from_key(&va, "relay", a->pub.sign_pk, PARLEY_VKEY_ED25519);
	parley_verifier_from_key(&vb, "witness", b->pub.sign_pk, PARLEY_VKEY_COSIGNATURE);
	assert_int_equal(parley_note_sign_line("x\n", 2, a, &la, &err), PARLEY_OK);
	assert_int_equal(parley_note_cosign_line("x\n", 2, b, 1700000000, &lb, &err), PARLEY_OK);
	assert_int_equal(parley_buf_addf(&msg, "x\n\n%s%s", (char *)la.data, (char *)lb.data), PARLEY_OK);
	assert_int_equal(parley_note_parse((char *)msg.data, msg.len, &n, &err), PARLEY_OK);
	parley_verifier both[2] = { va, vb };
	assert_int_equal(parley_note_verify(&n, both, 2, ok, times, &err), PARLEY_OK);
	assert_true(ok[0] && ok[1]);
	assert_int_equal(times[1], 1700000000);
	/* only the cosigner known */
	assert_int_equal(parley_note_verify(&n, &vb, 1, ok, NULL, &err), PARLEY_OK);
	/* nobody known */
	parley_verifier other;
	parley_verifier_from_key(&other, "stranger", b->pub.sign_pk, PARLEY_VKEY_ED25519);
	assert_int_equal(parley_note_verify(&n, &other, 1, ok, NULL, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "no signature by a known key"));
	/* the cosigner's key as a plain note key has another key id: not matched */
	parley_verifier wrongtype;
	parley_verifier_from_key(&wrongtype, "witness", b->pub.sign_pk, PARLEY_VKEY_ED25519);
	assert_int_equal(parley_note_verify(&n, &wrongtype, 1, ok, NULL, &err), PARLEY_E_VERIFY);
	parley_note_release(&n);

	/* a cosignature whose timestamp was changed */
	uint8_t raw[80];
	size_t rawlen;
	char *b64 = strchr((char *)lb.data + 4, ' ') + 1;
	b64[strlen(b64) - 1] = 0;
	assert_int_equal(parley_unb64(raw, sizeof(raw), &rawlen, b64, strlen(b64)), PARLEY_OK);
	raw[11] ^= 1;
	char enc[128];
	parley_b64(enc, raw, rawlen);
	parley_buf_reset(&msg);
	assert_int_equal(parley_buf_addf(&msg, "x\n\n\xe2\x80\x94 witness %s\n", enc), PARLEY_OK);
	assert_int_equal(parley_note_parse((char *)msg.data, msg.len, &n, &err), PARLEY_OK);
	assert_int_equal(parley_note_verify(&n, &vb, 1, ok, NULL, &err), PARLEY_E_VERIFY);
	parley_note_release(&n);

	parley_buf_release(&la);
	parley_buf_release(&lb);
	parley_buf_release(&msg);
	parley_seckey_free(a);
	parley_seckey_free(b);
}

static void expect_bad(const char *s, size_t len, const char *needle)
{
	parley_note n;
	parley_err err = { 0 };
	parley_code rc = parley_note_parse(s, len, &n, &err);
	if (rc == PARLEY_OK)
		fail_msg("accepted a malformed note (wanted '%s')", needle);
	if (!strstr(err.msg, needle))
		fail_msg("error '%s' lacks '%s'", err.msg, needle);
}
#define BAD(s, needle) expect_bad(s, sizeof(s) - 1, needle)

static void test_malformed(void **state)
{
	(void)state;
	BAD("", "empty");
	BAD(TEXT PETER_SIG, "no blank line");
	BAD(TEXT "\n", "no signatures");
	BAD(TEXT "\n" "- PeterNeumann x08go/ZJku\n", "does not start with");
	BAD(TEXT "\n" "\xe2\x80\x94 PeterNeumann\n", "no signature");
	BAD(TEXT "\n" "\xe2\x80\x94 Peter+Neumann AAAAAAAA\n", "invalid key name");
	BAD(TEXT "\n" "\xe2\x80\x94 PeterNeumann AAAA\n", "not base64 of key id and signature");
	BAD(TEXT "\n" "\xe2\x80\x94 PeterNeumann !!!!!!!!\n", "not base64");
	BAD(TEXT "\n" PETER_SIG "trailing", "newline");
	BAD("a\tb\n\n" PETER_SIG, "control character");
	BAD("a\rb\n\n" PETER_SIG, "control character");
	BAD("caf\xc3\n\n" PETER_SIG, "UTF-8");
	BAD("a\n\n" PETER_SIG "\n", "no signatures");

	/* 101 signatures */
	parley_buf b = PARLEY_BUF_INIT;
	assert_int_equal(parley_buf_addstr(&b, "x\n\n"), PARLEY_OK);
	for (int i = 0; i < 101; i++)
		assert_int_equal(parley_buf_addstr(&b, PETER_SIG), PARLEY_OK);
	expect_bad((char *)b.data, b.len, "more than 100");
	/* over-long */
	parley_buf_reset(&b);
	for (int i = 0; i < 70000; i++)
		assert_int_equal(parley_buf_addstr(&b, "a"), PARLEY_OK);
	assert_int_equal(parley_buf_addstr(&b, "\n\n" PETER_SIG), PARLEY_OK);
	expect_bad((char *)b.data, b.len, "longer than");
	parley_buf_release(&b);

	parley_verifier v;
	assert_int_equal(parley_verifier_parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v,
				 NULL),
		PARLEY_E_FORMAT);
	assert_int_equal(parley_verifier_parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v,
				 NULL),
		PARLEY_E_FORMAT);
	assert_int_equal(parley_verifier_parse("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", &v,
				 NULL),
		PARLEY_E_FORMAT);
}

/* Signatures of unknown types (any length up to the limit) survive a parse and write (found by fuzz_note). */
static void test_write_long_signature(void **state)
{
	(void)state;
	uint8_t raw[4 + PARLEY_NOTE_SIG_MAX];
	char b64[400], msg[600];
	parley_note n;
	parley_buf out = PARLEY_BUF_INIT;

	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)i;
	parley_b64(b64, raw, sizeof(raw));
	snprintf(msg, sizeof(msg), "x\n\n\xe2\x80\x94 someone %s\n", b64);
	assert_int_equal(parley_note_parse(msg, strlen(msg), &n, NULL), PARLEY_OK);
	assert_int_equal(n.sigs[0].siglen, PARLEY_NOTE_SIG_MAX);
	assert_int_equal(parley_note_write(&n, &out), PARLEY_OK);
	assert_string_equal((char *)out.data, msg);
	parley_note_release(&n);
	parley_buf_release(&out);
}

static void test_checkpoint(void **state)
{
	(void)state;
	parley_checkpoint c = { "parley/abc", 123456789, { 0 } }, d;
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };

	for (int i = 0; i < 32; i++)
		c.root[i] = (uint8_t)i;
	assert_int_equal(parley_checkpoint_format(&c, &b), PARLEY_OK);
	assert_string_equal((char *)b.data, "parley/abc\n123456789\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
	assert_int_equal(parley_checkpoint_parse((char *)b.data, b.len, &d, &err), PARLEY_OK);
	assert_string_equal(d.origin, "parley/abc");
	assert_int_equal(d.size, 123456789);
	assert_memory_equal(d.root, c.root, 32);
	/* an extension line is allowed */
	assert_int_equal(parley_buf_addstr(&b, "ext\n"), PARLEY_OK);
	assert_int_equal(parley_checkpoint_parse((char *)b.data, b.len, &d, &err), PARLEY_OK);

	const char *bad[] = {
		"o\n0123\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n-1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n18446744073709551616\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n",
		"o\n12\n",
		"\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
		"o\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parley_checkpoint_parse(bad[i], strlen(bad[i]), &d, &err) == PARLEY_OK)
			fail_msg("checkpoint %zu accepted", i);
	const char *empty = "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
	assert_int_equal(parley_checkpoint_parse(empty, strlen(empty), &d, &err), PARLEY_OK);
	assert_int_equal(d.size, 0);
	parley_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_reference_note),
		cmocka_unit_test(test_go_reference_sign),
		cmocka_unit_test(test_unknown_and_mixed),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_write_long_signature),
		cmocka_unit_test(test_checkpoint),
	};
	if (parley_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
