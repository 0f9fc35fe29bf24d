/* test_crypto.c - names, key ids, verifier keys, secret and public key files. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(parley_name_check("cert-a", NULL), PARLEY_OK);
	assert_int_equal(parley_name_check("ncsc.gov.example", NULL), PARLEY_OK);
	assert_int_equal(parley_name_check("0day", NULL), PARLEY_OK);
	assert_int_equal(parley_name_check("", NULL), PARLEY_E_FORMAT);
	assert_int_equal(parley_name_check("Cert-A", NULL), PARLEY_E_FORMAT);
	assert_int_equal(parley_name_check("cert a", NULL), PARLEY_E_FORMAT);
	assert_int_equal(parley_name_check("cert+a", NULL), PARLEY_E_FORMAT);
	assert_int_equal(parley_name_check("-cert", NULL), PARLEY_E_FORMAT);
	assert_int_equal(parley_name_check(".cert", NULL), PARLEY_E_FORMAT);
	char longname[80];
	memset(longname, 'a', sizeof(longname));
	longname[64] = 0;
	assert_int_equal(parley_name_check(longname, NULL), PARLEY_OK);
	longname[64] = 'a';
	longname[65] = 0;
	assert_int_equal(parley_name_check(longname, NULL), PARLEY_E_FORMAT);
}

/* The key id of the C2SP signed-note example verifier key. */
static void test_keyid_c2sp_vector(void **state)
{
	(void)state;
	uint8_t pk[32], id[4], want[4] = { 0xc7, 0x4f, 0x20, 0xa3 };
	assert_int_equal(parley_unhex(pk, 32,
				 "1a5cd907143c384c41e830c5bce12aa8817ec5649aaabf2c31388b35b2d744d6", 64),
		PARLEY_OK);
	parley_keyid(id, "PeterNeumann", pk);
	assert_memory_equal(id, want, 4);
}

static void test_vkey_roundtrip_and_tamper(void **state)
{
	(void)state;
	parley_seckey *k = tu_key("cert-a", 1);
	char v[PARLEY_VKEY_MAX], t[PARLEY_VKEY_MAX];
	parley_pubkey pk;
	parley_err err = { 0 };

	parley_vkey_format(v, "cert-a", k->pub.sign_pk);
	assert_int_equal(parley_vkey_parse(v, &pk, &err), PARLEY_OK);
	assert_string_equal(pk.name, "cert-a");
	assert_memory_equal(pk.sign_pk, k->pub.sign_pk, 32);
	assert_memory_equal(pk.keyid, k->pub.keyid, 4);

	/* another name: the key id no longer matches */
	memcpy(t, v, sizeof(t));
	t[5] = 'b';
	assert_int_equal(parley_vkey_parse(t, &pk, &err), PARLEY_E_FORMAT);
	assert_non_null(strstr(err.msg, "key id"));
	/* key id digit changed */
	memcpy(t, v, sizeof(t));
	t[7] = t[7] == '0' ? '1' : '0';
	assert_int_equal(parley_vkey_parse(t, &pk, &err), PARLEY_E_FORMAT);
	/* wrong key type byte: 0x02 */
	{
		uint8_t typed[33];
		char b64[64];
		typed[0] = 0x02;
		memcpy(typed + 1, k->pub.sign_pk, 32);
		parley_b64(b64, typed, 33);
		char idhex[9];
		parley_hex(idhex, k->pub.keyid, 4);
		snprintf(t, sizeof(t), "cert-a+%s+%s", idhex, b64);
		assert_int_equal(parley_vkey_parse(t, &pk, &err), PARLEY_E_FORMAT);
		assert_non_null(strstr(err.msg, "type"));
	}
	/* upper-case key id: one canonical spelling only (found by fuzz_keyfile) */
	memcpy(t, v, sizeof(t));
	for (char *h = t + 7; h < t + 15; h++)
		if (*h >= 'a' && *h <= 'f')
			*h = (char)(*h - 'a' + 'A');
	if (strcmp(t, v) != 0)
		assert_int_equal(parley_vkey_parse(t, &pk, &err), PARLEY_E_FORMAT);
	assert_int_equal(parley_vkey_parse("cert-a", &pk, &err), PARLEY_E_FORMAT);
	assert_int_equal(parley_vkey_parse("cert-a+00000000+", &pk, &err), PARLEY_E_FORMAT);
	assert_int_equal(parley_vkey_parse("+00000000+AA==", &pk, &err), PARLEY_E_FORMAT);
	parley_seckey_free(k);
}

static void test_keys_differ_and_derive(void **state)
{
	(void)state;
	parley_seckey *a = tu_key("cert-a", 1), *a2 = tu_key("cert-a", 1), *b = tu_key("cert-a", 2);
	assert_memory_equal(a->pub.sign_pk, a2->pub.sign_pk, 32);
	assert_memory_equal(a->pub.seal_pk, a2->pub.seal_pk, 32);
	assert_memory_not_equal(a->pub.sign_pk, b->pub.sign_pk, 32);
	/* the sealing key is not the signing key's scalar */
	assert_memory_not_equal(a->pub.sign_pk, a->pub.seal_pk, 32);
	parley_seckey_free(a);
	parley_seckey_free(a2);
	parley_seckey_free(b);
}

static const parley_kdf fast = { 1, 64 }; /* 1 pass, 64 KiB: tests only */

static void test_seckey_clear_roundtrip(void **state)
{
	(void)state;
	parley_seckey *k = tu_key("cert-a", 7), *d = NULL;
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };

	assert_int_equal(parley_seckey_encode(k, NULL, 0, NULL, &b, &err), PARLEY_OK);
	assert_false(parley_seckey_is_encrypted(b.data, b.len));
	assert_int_equal(parley_seckey_decode(b.data, b.len, NULL, 0, &d, &err), PARLEY_OK);
	assert_memory_equal(d->seed, k->seed, 32);
	assert_string_equal(d->pub.name, "cert-a");
	parley_seckey_free(d);
	/* every truncation and one extra byte are refused */
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(parley_seckey_decode(b.data, n, NULL, 0, &d, &err), PARLEY_E_FORMAT);
	assert_int_equal(parley_buf_add_u8(&b, 0), PARLEY_OK);
	assert_int_equal(parley_seckey_decode(b.data, b.len, NULL, 0, &d, &err), PARLEY_E_FORMAT);
	assert_null(d);
	parley_buf_release(&b);
	parley_seckey_free(k);
}

static void test_seckey_encrypted(void **state)
{
	(void)state;
	parley_seckey *k = tu_key("cert-b", 9), *d = NULL;
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };

	assert_int_equal(parley_seckey_encode(k, "correct horse", 13, &fast, &b, &err), PARLEY_OK);
	assert_true(parley_seckey_is_encrypted(b.data, b.len));
	/* the seed does not appear in the file */
	for (size_t i = 0; i + 32 <= b.len; i++)
		assert_memory_not_equal(b.data + i, k->seed, 32);
	assert_int_equal(parley_seckey_decode(b.data, b.len, "correct horse", 13, &d, &err), PARLEY_OK);
	assert_memory_equal(d->seed, k->seed, 32);
	parley_seckey_free(d);
	d = NULL;

	assert_int_equal(parley_seckey_decode(b.data, b.len, NULL, 0, &d, &err), PARLEY_E_PASSPHRASE);
	assert_non_null(strstr(err.msg, "passphrase required"));
	assert_int_equal(parley_seckey_decode(b.data, b.len, "correct horsf", 13, &d, &err),
		PARLEY_E_PASSPHRASE);
	assert_non_null(strstr(err.msg, "wrong passphrase"));
	assert_null(d);

	/* flipping any byte after the name is refused (format or authentication) */
	for (size_t i = 9 + 6; i < b.len; i++) {
		b.data[i] ^= 0x01;
		parley_code rc = parley_seckey_decode(b.data, b.len, "correct horse", 13, &d, &err);
		assert_true(rc == PARLEY_E_PASSPHRASE || rc == PARLEY_E_FORMAT);
		assert_null(d);
		b.data[i] ^= 0x01;
	}
	for (size_t n = 0; n < b.len; n++)
		assert_int_not_equal(parley_seckey_decode(b.data, n, "correct horse", 13, &d, &err), PARLEY_OK);
	parley_buf_release(&b);
	parley_seckey_free(k);
}

static void test_seckey_kdf_bounds(void **state)
{
	(void)state;
	parley_seckey *k = tu_key("cert-b", 9), *d = NULL;
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	size_t ops_at = 6 + 1 + 1 + 1 + strlen("cert-b");

	assert_int_equal(parley_seckey_encode(k, "pw", 2, &fast, &b, &err), PARLEY_OK);
	/* a hostile file asking for 4 GiB of memory is refused before any work */
	parley_put_u32(b.data + ops_at + 4, 0xffffffffu);
	assert_int_equal(parley_seckey_decode(b.data, b.len, "pw", 2, &d, &err), PARLEY_E_FORMAT);
	assert_non_null(strstr(err.msg, "out of range"));
	parley_put_u32(b.data + ops_at + 4, 64);
	parley_put_u32(b.data + ops_at, 1000);
	assert_int_equal(parley_seckey_decode(b.data, b.len, "pw", 2, &d, &err), PARLEY_E_FORMAT);
	parley_buf_release(&b);
	parley_seckey_free(k);
}

static void test_seckey_file_mode(void **state)
{
	(void)state;
	char path[] = "/tmp/parley-test-key-XXXXXX";
	parley_seckey *k = tu_key("cert-a", 3), *d = NULL;
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(parley_seckey_encode(k, NULL, 0, NULL, &b, &err), PARLEY_OK);
	assert_int_equal(parley_file_write(path, b.data, b.len, 0600, true, &err), PARLEY_OK);
	assert_int_equal(parley_seckey_load(path, NULL, 0, &d, &err), PARLEY_OK);
	parley_seckey_free(d);
	d = NULL;
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(parley_seckey_load(path, NULL, 0, &d, &err), PARLEY_E_PERM);
	assert_non_null(strstr(err.msg, "chmod 600"));
	assert_null(d);
	unlink(path);
	assert_int_equal(parley_seckey_load(path, NULL, 0, &d, &err), PARLEY_E_NOTFOUND);
	parley_buf_release(&b);
	parley_seckey_free(k);
}

static void test_pubkey_file(void **state)
{
	(void)state;
	parley_seckey *k = tu_key("cert-a", 5);
	parley_buf b = PARLEY_BUF_INIT;
	parley_pubkey p;
	parley_err err = { 0 };
	char bad[512];

	assert_int_equal(parley_pubkey_encode(&k->pub, &b), PARLEY_OK);
	assert_int_equal(parley_pubkey_decode((char *)b.data, b.len, &p, &err), PARLEY_OK);
	assert_memory_equal(p.sign_pk, k->pub.sign_pk, 32);
	assert_memory_equal(p.seal_pk, k->pub.seal_pk, 32);
	assert_memory_equal(p.keyid, k->pub.keyid, 4);
	assert_true(p.has_seal);
	/* no final newline is fine; every shorter prefix that cuts a line is not */
	assert_int_equal(parley_pubkey_decode((char *)b.data, b.len - 1, &p, &err), PARLEY_OK);
	for (size_t n = 0; n + 1 < b.len; n++) {
		parley_code rc = parley_pubkey_decode((char *)b.data, n, &p, &err);
		assert_int_equal(rc, PARLEY_E_FORMAT);
	}
	/* name line and key name disagree */
	snprintf(bad, sizeof(bad), "%s", (char *)b.data);
	char *nm = strstr(bad, "name cert-a");
	nm[10] = 'b';
	assert_int_equal(parley_pubkey_decode(bad, strlen(bad), &p, &err), PARLEY_E_FORMAT);
	/* trailing garbage */
	snprintf(bad, sizeof(bad), "%sextra\n", (char *)b.data);
	assert_int_equal(parley_pubkey_decode(bad, strlen(bad), &p, &err), PARLEY_E_FORMAT);
	/* a short sealing key */
	snprintf(bad, sizeof(bad), "%s", (char *)b.data);
	char *seal = strstr(bad, "seal ");
	snprintf(seal, 32, "seal AAAA\n");
	assert_int_equal(parley_pubkey_decode(bad, strlen(bad), &p, &err), PARLEY_E_FORMAT);
	parley_buf_release(&b);
	parley_seckey_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_keyid_c2sp_vector),
		cmocka_unit_test(test_vkey_roundtrip_and_tamper),
		cmocka_unit_test(test_keys_differ_and_derive),
		cmocka_unit_test(test_seckey_clear_roundtrip),
		cmocka_unit_test(test_seckey_encrypted),
		cmocka_unit_test(test_seckey_kdf_bounds),
		cmocka_unit_test(test_seckey_file_mode),
		cmocka_unit_test(test_pubkey_file),
	};
	if (parley_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
