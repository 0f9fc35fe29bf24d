/*
 * test_vectors.c - the test vectors of docs/protocol.md, checked byte for byte.
 * PARLEY_REGEN_VECTORS=1 rewrites tests/vectors/ (only when a format changes on purpose).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include "testutil.h"
#include "parley/entry.h"

#define VDIR "vectors/"

static bool regen;

static char *slurp(const char *path)
{
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	if (parley_file_read(path, 1 << 22, &b, &err))
		fail_msg("%s", err.msg);
	return (char *)b.data; /* caller frees */
}

/* Value of "key = value" in the vectors file. */
static const char *lookup(const char *text, const char *key, char *out, size_t max)
{
	char pat[128];
	snprintf(pat, sizeof(pat), "\n%s = ", key);
	const char *p = strstr(text, pat);
	if (!p)
		fail_msg("vector '%s' missing", key);
	p += strlen(pat);
	size_t n = strcspn(p, "\n");
	if (n >= max)
		fail_msg("vector '%s' too long", key);
	memcpy(out, p, n);
	out[n] = 0;
	return out;
}

static void put(parley_buf *b, const char *key, const char *val)
{
	assert_int_equal(parley_buf_addf(b, "%s = %s\n", key, val), PARLEY_OK);
}

static void puthex(parley_buf *b, const char *key, const uint8_t *p, size_t n)
{
	char *h = malloc(2 * n + 1);
	parley_hex(h, p, n);
	put(b, key, h);
	free(h);
}

static void test_vectors(void **state)
{
	(void)state;
	const char *names[2] = { "cert-a", "cert-b" };
	parley_seckey *k[2];
	parley_buf out = PARLEY_BUF_INIT, cb = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	char vkey[PARLEY_VKEY_MAX], key[64], hexid[65];

	assert_int_equal(parley_buf_addstr(&out, "# parley v1 test vectors (docs/protocol.md)\n"), PARLEY_OK);
	for (int i = 0; i < 2; i++) {
		uint8_t seed[32];
		for (int j = 0; j < 32; j++)
			seed[j] = (uint8_t)(16 * (i + 1) + j);
		assert_int_equal(parley_seckey_from_seed(names[i], seed, &k[i], &err), PARLEY_OK);
		snprintf(key, sizeof(key), "%s.seed", names[i]);
		puthex(&out, key, seed, 32);
		snprintf(key, sizeof(key), "%s.sign-pk", names[i]);
		puthex(&out, key, k[i]->pub.sign_pk, 32);
		snprintf(key, sizeof(key), "%s.seal-pk", names[i]);
		puthex(&out, key, k[i]->pub.seal_pk, 32);
		snprintf(key, sizeof(key), "%s.keyid", names[i]);
		puthex(&out, key, k[i]->pub.keyid, 4);
		parley_vkey_format(vkey, names[i], k[i]->pub.sign_pk);
		snprintf(key, sizeof(key), "%s.vkey", names[i]);
		put(&out, key, vkey);
	}

	/* the charter: deterministic (fixed keys and times; Ed25519 signatures are deterministic) */
	parley_charter *c = tu_charter(k[0], k[1]);
	assert_int_equal(parley_charter_sign(c, k[0], &err), PARLEY_OK);
	assert_int_equal(parley_charter_sign(c, k[1], &err), PARLEY_OK);
	assert_int_equal(parley_charter_write(c, &cb, &err), PARLEY_OK);
	put(&out, "charter.canonical", (const char *)parley_charter_canonical(c)->data);
	parley_hex(hexid, parley_charter_id(c), 32);
	put(&out, "charter.id", hexid);

	/* a deterministic seal (docs/protocol.md §5.1): content key bytes 0x40..0x5f sealed to cert-b */
	{
		uint8_t ck[32], seed[32], nonce[24], sealed[PARLEY_SEALED_KEY_LEN], opened[32];
		parley_span parts[3] = { { "parley-seal/v1\n", 15 }, { ck, 32 }, { k[1]->pub.seal_pk, 32 } };
		for (int j = 0; j < 32; j++)
			ck[j] = (uint8_t)(0x40 + j);
		parley_sha256_parts(seed, parts, 3);
		assert_int_equal(parley_entry_seal(sealed, ck, k[1]->pub.seal_pk, &err), PARLEY_OK);
		crypto_generichash_state gs;
		crypto_generichash_init(&gs, NULL, 0, sizeof(nonce));
		crypto_generichash_update(&gs, sealed, 32);
		crypto_generichash_update(&gs, k[1]->pub.seal_pk, 32);
		crypto_generichash_final(&gs, nonce, sizeof(nonce));
		puthex(&out, "seal.content-key", ck, 32);
		puthex(&out, "seal.recipient-pk", k[1]->pub.seal_pk, 32);
		puthex(&out, "seal.seed", seed, 32);
		puthex(&out, "seal.ephemeral-pk", sealed, 32);
		puthex(&out, "seal.nonce", nonce, 24);
		puthex(&out, "seal.sealed", sealed, sizeof(sealed));
		assert_int_equal(crypto_box_seal_open(opened, sealed, sizeof(sealed), k[1]->pub.seal_pk, k[1]->seal_sk), 0);
		assert_memory_equal(opened, ck, 32);
	}

	if (regen) {
		/* an entry has random parts (content key, nonce, sealing): made once, then only checked */
		parley_entry_hdr h;
		parley_buf eb = PARLEY_BUF_INIT;
		memset(&h, 0, sizeof(h));
		memcpy(h.channel, parley_charter_id(c), 32);
		memcpy(h.sender, k[0]->pub.keyid, 4);
		h.seq = 1;
		h.created_ms = 1798761600000ull;
		h.type = PARLEY_T_NOTIFICATION;
		memcpy(h.category, "ip-theft", 9);
		h.tlp = PARLEY_TLP_AMBER;
		h.nrecip = 1;
		memcpy(h.recip[0], k[1]->pub.keyid, 4);
		const char *msg = "test vector: scanning from 192.0.2.1";
		uint8_t eck[32];
		assert_int_equal(parley_entry_build(&h, (const uint8_t(*)[32])k[1]->pub.seal_pk,
					 (const uint8_t *)msg, strlen(msg), k[0], &eb, eck, &err),
			PARLEY_OK);
		puthex(&out, "entry", eb.data, eb.len);
		puthex(&out, "entry.content-key", eck, 32);
		put(&out, "entry.payload", msg);
		parley_buf_release(&eb);
		assert_int_equal(parley_file_write(VDIR "v1.txt", out.data, out.len, 0644, false, &err), PARLEY_OK);
		assert_int_equal(parley_file_write(VDIR "charter.json", cb.data, cb.len, 0644, false, &err),
			PARLEY_OK);
	}

	/* compare every computed line with the stored vectors */
	char *stored = slurp(VDIR "v1.txt");
	char *line = (char *)out.data, *nl;
	while ((nl = strchr(line, '\n'))) {
		*nl = 0;
		if (line[0] != '#' && !strstr(stored, line))
			fail_msg("vector differs: %s", line);
		line = nl + 1;
	}
	char *stored_charter = slurp(VDIR "charter.json");
	assert_string_equal(stored_charter, (const char *)cb.data);

	/* the stored charter file verifies and has the stored id */
	parley_charter *sc = NULL;
	assert_int_equal(parley_charter_parse(stored_charter, strlen(stored_charter), &sc, &err), PARLEY_OK);
	assert_int_equal(parley_charter_verify(sc, &err), PARLEY_OK);
	assert_memory_equal(parley_charter_id(sc), parley_charter_id(c), 32);

	/* the stored entry parses, verifies with cert-a's key, and opens for cert-b */
	static char ehex[8192], payload[256];
	uint8_t ebytes[4096];
	lookup(stored, "entry", ehex, sizeof(ehex));
	lookup(stored, "entry.payload", payload, sizeof(payload));
	size_t elen = strlen(ehex) / 2;
	assert_int_equal(parley_unhex(ebytes, elen, ehex, strlen(ehex)), PARLEY_OK);
	parley_entry e;
	parley_buf pl = PARLEY_BUF_INIT;
	assert_int_equal(parley_entry_parse(ebytes, elen, &e, &err), PARLEY_OK);
	assert_memory_equal(e.h.channel, parley_charter_id(c), 32);
	assert_int_equal(e.h.created_ms, 1798761600000ull);
	assert_int_equal(parley_entry_verify(&e, k[0]->pub.sign_pk, &err), PARLEY_OK);
	uint8_t ck[32];
	bool seal_ok = false;
	assert_int_equal(parley_entry_open(&e, k[1], &pl, ck, &err), PARLEY_OK);
	/* its seal is the deterministic one: the stored content key re-creates it */
	char ckhex[65];
	parley_hex(ckhex, ck, 32);
	assert_string_equal(lookup(stored, "entry.content-key", payload, sizeof(payload)), ckhex);
	assert_int_equal(parley_entry_seal_check(&e, ck, 0, k[1]->pub.seal_pk, &seal_ok, &err), PARLEY_OK);
	assert_true(seal_ok);
	lookup(stored, "entry.payload", payload, sizeof(payload));
	assert_int_equal(pl.len, strlen(payload));
	assert_memory_equal(pl.data, payload, pl.len);
	assert_int_equal(e.hdr_len, 5 + 32 + 4 + 8 + 32 + 8 + 1 + 8 + 1 + 1 + 8 + 1 + 1 + 4 + 32);

	parley_buf_release(&pl);
	parley_charter_free(sc);
	parley_charter_free(c);
	free(stored);
	free(stored_charter);
	parley_buf_release(&out);
	parley_buf_release(&cb);
	parley_seckey_free(k[0]);
	parley_seckey_free(k[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
	};
	if (parley_init(NULL))
		return 1;
	regen = getenv("PARLEY_REGEN_VECTORS") != NULL;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
