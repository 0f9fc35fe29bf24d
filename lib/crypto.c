/* crypto.c - party keys, key files and verifier keys. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "parley/crypto.h"
#include "banned.h"

#define SK_MAGIC "PRLYSK"
#define SK_MAGIC_LEN 6
#define SK_VERSION 1
#define SK_CLEAR 0
#define SK_ARGON2ID 1
#define SK_SALT_LEN 16
#define SK_OPS_MAX 16u
#define SK_MEM_MAX_KIB (1024u * 1024u) /* 1 GiB */
#define KDF_CONTEXT "parleyk1"

void parley_sha256(uint8_t out[PARLEY_HASH_LEN], const void *p, size_t n)
{
	SHA256(p, n, out);
}

void parley_sha256_parts(uint8_t out[PARLEY_HASH_LEN], const parley_span *parts, size_t nparts)
{
	uint8_t tmp[4096];
	size_t total = 0, off = 0;

	for (size_t i = 0; i < nparts; i++)
		total += parts[i].n;
	if (total <= sizeof(tmp)) {
		/* one contiguous call is the fast path; the copy may hold a secret, so wipe it */
		for (size_t i = 0; i < nparts; i++) {
			if (parts[i].n)
				memcpy(tmp + off, parts[i].p, parts[i].n);
			off += parts[i].n;
		}
		SHA256(tmp, total, out);
		sodium_memzero(tmp, total);
		return;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		PARLEY_BUG("libcrypto cannot hash");
	for (size_t i = 0; i < nparts; i++)
		if (EVP_DigestUpdate(ctx, parts[i].p, parts[i].n) != 1)
			PARLEY_BUG("libcrypto cannot hash");
	if (EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != PARLEY_HASH_LEN)
		PARLEY_BUG("libcrypto cannot hash");
	EVP_MD_CTX_free(ctx);
}

void parley_sha256_2(uint8_t out[PARLEY_HASH_LEN], const void *a, size_t an, const void *b, size_t bn)
{
	parley_span parts[2] = { { a, an }, { b, bn } };
	parley_sha256_parts(out, parts, 2);
}

parley_code parley_name_check(const char *name, parley_err *err)
{
	size_t n = strnlen(name, PARLEY_NAME_MAX + 1);

	if (n == 0)
		return parley_fail(err, PARLEY_E_FORMAT, "name is empty");
	if (n > PARLEY_NAME_MAX)
		return parley_fail(err, PARLEY_E_FORMAT, "name is longer than %d bytes", PARLEY_NAME_MAX);
	if (name[0] == '-' || name[0] == '.')
		return parley_fail(err, PARLEY_E_FORMAT, "name '%s' must start with a letter or digit", name);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return parley_fail(err, PARLEY_E_FORMAT,
				"name may hold only a-z, 0-9, '-' and '.' (byte %zu is 0x%02x)", i,
				(unsigned)(unsigned char)c);
	}
	return PARLEY_OK;
}

void parley_keyid(uint8_t out[PARLEY_KEYID_LEN], const char *name, const uint8_t pk[PARLEY_PK_LEN])
{
	crypto_hash_sha256_state st;
	uint8_t h[32];
	static const uint8_t sep[2] = { 0x0a, 0x01 };

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_update(&st, sep, 2);
	crypto_hash_sha256_update(&st, pk, PARLEY_PK_LEN);
	crypto_hash_sha256_final(&st, h);
	memcpy(out, h, PARLEY_KEYID_LEN);
}

parley_code parley_seckey_from_seed(const char *name, const uint8_t seed[PARLEY_SEED_LEN],
	parley_seckey **out, parley_err *err)
{
	parley_seckey *k;
	uint8_t sub[32];
	parley_code rc;

	*out = NULL;
	if ((rc = parley_name_check(name, err)))
		return rc;
	k = sodium_malloc(sizeof(*k));
	if (!k)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory for a secret key");
	memset(k, 0, sizeof(*k));
	memcpy(k->pub.name, name, strlen(name) + 1);
	memcpy(k->seed, seed, PARLEY_SEED_LEN);

	crypto_kdf_derive_from_key(sub, sizeof(sub), 1, KDF_CONTEXT, k->seed);
	crypto_sign_seed_keypair(k->pub.sign_pk, k->sign_sk, sub);
	crypto_kdf_derive_from_key(k->seal_sk, sizeof(k->seal_sk), 2, KDF_CONTEXT, k->seed);
	sodium_memzero(sub, sizeof(sub));
	if (crypto_scalarmult_base(k->pub.seal_pk, k->seal_sk) != 0) {
		parley_seckey_free(k);
		return parley_fail(err, PARLEY_E_CRYPTO, "cannot derive the sealing key");
	}
	k->pub.has_seal = true;
	parley_keyid(k->pub.keyid, name, k->pub.sign_pk);
	*out = k;
	return PARLEY_OK;
}

parley_code parley_seckey_generate(const char *name, parley_seckey **out, parley_err *err)
{
	uint8_t seed[PARLEY_SEED_LEN];
	parley_code rc;

	randombytes_buf(seed, sizeof(seed));
	rc = parley_seckey_from_seed(name, seed, out, err);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

void parley_seckey_free(parley_seckey *k)
{
	if (k)
		sodium_free(k); /* sodium_free wipes before freeing */
}

parley_code parley_kdf_preset(const char *name, parley_kdf *out)
{
	if (strcmp(name, "interactive") == 0) {
		out->opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		out->memlimit_kib = (uint32_t)(crypto_pwhash_MEMLIMIT_INTERACTIVE / 1024);
	} else if (strcmp(name, "moderate") == 0) {
		out->opslimit = crypto_pwhash_OPSLIMIT_MODERATE;
		out->memlimit_kib = (uint32_t)(crypto_pwhash_MEMLIMIT_MODERATE / 1024);
	} else if (strcmp(name, "sensitive") == 0) {
		out->opslimit = crypto_pwhash_OPSLIMIT_SENSITIVE;
		out->memlimit_kib = (uint32_t)(crypto_pwhash_MEMLIMIT_SENSITIVE / 1024);
	} else {
		return PARLEY_E_USAGE;
	}
	return PARLEY_OK;
}

static parley_code derive_wrap_key(uint8_t key[32], const char *pass, size_t passlen,
	const uint8_t salt[SK_SALT_LEN], uint32_t ops, uint32_t mem_kib, parley_err *err)
{
	if (crypto_pwhash(key, 32, pass, passlen, salt, ops, (size_t)mem_kib * 1024u,
		    crypto_pwhash_ALG_ARGON2ID13) != 0)
		return parley_fail(err, PARLEY_E_NOMEM, "argon2id needs %u KiB of memory and could not get it",
			mem_kib);
	return PARLEY_OK;
}

parley_code parley_seckey_encode(const parley_seckey *k, const char *pass, size_t passlen,
	const parley_kdf *kdf, parley_buf *out, parley_err *err)
{
	size_t namelen = strlen(k->pub.name);
	parley_code rc;

	out->secret = 1;
	parley_buf_reset(out);
	if ((rc = parley_buf_add(out, SK_MAGIC, SK_MAGIC_LEN)) ||
		(rc = parley_buf_add_u8(out, SK_VERSION)) ||
		(rc = parley_buf_add_u8(out, pass ? SK_ARGON2ID : SK_CLEAR)) ||
		(rc = parley_buf_add_u8(out, (uint8_t)namelen)) ||
		(rc = parley_buf_add(out, k->pub.name, namelen)))
		return parley_fail(err, rc, "cannot encode the key file");
	if (!pass) {
		if ((rc = parley_buf_add(out, k->seed, PARLEY_SEED_LEN)))
			return parley_fail(err, rc, "cannot encode the key file");
		return PARLEY_OK;
	}

	parley_kdf def;
	if (!kdf) {
		if (parley_kdf_preset("moderate", &def))
			PARLEY_BUG("no moderate preset");
		kdf = &def;
	}
	if (kdf->opslimit < 1 || kdf->opslimit > SK_OPS_MAX || kdf->memlimit_kib < 8 ||
		kdf->memlimit_kib > SK_MEM_MAX_KIB)
		return parley_fail(err, PARLEY_E_USAGE, "argon2id cost out of range");

	uint8_t salt[SK_SALT_LEN], nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
	uint8_t wkey[32], ct[PARLEY_SEED_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES];
	unsigned long long ctlen = 0;

	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(nonce, sizeof(nonce));
	if ((rc = parley_buf_add_u32(out, kdf->opslimit)) ||
		(rc = parley_buf_add_u32(out, kdf->memlimit_kib)) ||
		(rc = parley_buf_add(out, salt, sizeof(salt))) ||
		(rc = parley_buf_add(out, nonce, sizeof(nonce))))
		return parley_fail(err, rc, "cannot encode the key file");
	if ((rc = derive_wrap_key(wkey, pass, passlen, salt, kdf->opslimit, kdf->memlimit_kib, err)))
		return rc;
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &ctlen, k->seed, PARLEY_SEED_LEN, out->data,
		out->len, NULL, nonce, wkey);
	sodium_memzero(wkey, sizeof(wkey));
	if ((rc = parley_buf_add(out, ct, (size_t)ctlen)))
		return parley_fail(err, rc, "cannot encode the key file");
	return PARLEY_OK;
}

bool parley_seckey_is_encrypted(const uint8_t *p, size_t n)
{
	return n > SK_MAGIC_LEN + 1 && memcmp(p, SK_MAGIC, SK_MAGIC_LEN) == 0 &&
		p[SK_MAGIC_LEN + 1] == SK_ARGON2ID;
}

parley_code parley_seckey_decode(const uint8_t *p, size_t n, const char *pass, size_t passlen,
	parley_seckey **out, parley_err *err)
{
	parley_rd r;
	uint8_t magic[SK_MAGIC_LEN], version, prot, namelen;
	char name[PARLEY_NAME_MAX + 1];
	parley_code rc;

	*out = NULL;
	parley_rd_init(&r, p, n);
	if (!parley_rd_bytes(&r, magic, SK_MAGIC_LEN) || memcmp(magic, SK_MAGIC, SK_MAGIC_LEN) != 0)
		return parley_fail(err, PARLEY_E_FORMAT, "not a parley secret key file (bad magic)");
	if (!parley_rd_u8(&r, &version) || version != SK_VERSION)
		return parley_fail(err, PARLEY_E_FORMAT, "unsupported secret key file version");
	if (!parley_rd_u8(&r, &prot) || (prot != SK_CLEAR && prot != SK_ARGON2ID))
		return parley_fail(err, PARLEY_E_FORMAT, "unknown key protection scheme");
	if (!parley_rd_u8(&r, &namelen) || namelen == 0 || namelen > PARLEY_NAME_MAX ||
		!parley_rd_bytes(&r, name, namelen))
		return parley_fail(err, PARLEY_E_FORMAT, "secret key file: bad name field");
	name[namelen] = 0;
	if (strlen(name) != namelen || parley_name_check(name, NULL))
		return parley_fail(err, PARLEY_E_FORMAT, "secret key file: invalid name");

	if (prot == SK_CLEAR) {
		const uint8_t *seed;
		if (!parley_rd_view(&r, &seed, PARLEY_SEED_LEN) || r.left != 0)
			return parley_fail(err, PARLEY_E_FORMAT, "secret key file: wrong length");
		return parley_seckey_from_seed(name, seed, out, err);
	}

	uint32_t ops, mem_kib;
	const uint8_t *salt, *nonce, *ct;
	size_t adlen;
	const size_t ctlen = PARLEY_SEED_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES;
	if (!parley_rd_u32(&r, &ops) || !parley_rd_u32(&r, &mem_kib) ||
		!parley_rd_view(&r, &salt, SK_SALT_LEN) ||
		!parley_rd_view(&r, &nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES))
		return parley_fail(err, PARLEY_E_FORMAT, "secret key file: truncated header");
	adlen = n - r.left;
	if (!parley_rd_view(&r, &ct, ctlen) || r.left != 0)
		return parley_fail(err, PARLEY_E_FORMAT, "secret key file: wrong length");
	if (ops < 1 || ops > SK_OPS_MAX || mem_kib < 8 || mem_kib > SK_MEM_MAX_KIB)
		return parley_fail(err, PARLEY_E_FORMAT,
			"secret key file: argon2id cost out of range (ops %u, memory %u KiB)", ops, mem_kib);
	if (!pass)
		return parley_fail(err, PARLEY_E_PASSPHRASE, "key '%s' is encrypted: passphrase required", name);

	uint8_t wkey[32], seed[PARLEY_SEED_LEN];
	unsigned long long seedlen = 0;
	if ((rc = derive_wrap_key(wkey, pass, passlen, salt, ops, mem_kib, err)))
		return rc;
	int bad = crypto_aead_xchacha20poly1305_ietf_decrypt(seed, &seedlen, NULL, ct, ctlen, p, adlen,
		nonce, wkey);
	sodium_memzero(wkey, sizeof(wkey));
	if (bad || seedlen != PARLEY_SEED_LEN) {
		sodium_memzero(seed, sizeof(seed));
		return parley_fail(err, PARLEY_E_PASSPHRASE,
			"wrong passphrase for key '%s' (or the key file was altered)", name);
	}
	rc = parley_seckey_from_seed(name, seed, out, err);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

parley_code parley_seckey_load(const char *path, const char *pass, size_t passlen,
	parley_seckey **out, parley_err *err)
{
	parley_buf b = PARLEY_BUF_INIT;
	parley_code rc;

	*out = NULL;
	b.secret = 1;
	if ((rc = parley_file_read_private(path, PARLEY_KEYFILE_MAX, &b, err))) {
		parley_buf_release(&b);
		return rc;
	}
	rc = parley_seckey_decode(b.data, b.len, pass, passlen, out, err);
	parley_buf_release(&b);
	if (rc)
		return parley_wrap(err, rc, "%s", path);
	return PARLEY_OK;
}

void parley_vkey_format(char out[PARLEY_VKEY_MAX], const char *name, const uint8_t pk[PARLEY_PK_LEN])
{
	uint8_t id[PARLEY_KEYID_LEN], typed[1 + PARLEY_PK_LEN];
	char idhex[2 * PARLEY_KEYID_LEN + 1], b64[64];

	parley_keyid(id, name, pk);
	parley_hex(idhex, id, sizeof(id));
	typed[0] = 0x01;
	memcpy(typed + 1, pk, PARLEY_PK_LEN);
	parley_b64(b64, typed, sizeof(typed));
	snprintf(out, PARLEY_VKEY_MAX, "%s+%s+%s", name, idhex, b64);
}

parley_code parley_vkey_parse(const char *s, parley_pubkey *out, parley_err *err)
{
	const char *p1 = strchr(s, '+'), *p2;
	uint8_t id[PARLEY_KEYID_LEN], want[PARLEY_KEYID_LEN], typed[1 + PARLEY_PK_LEN + 4];
	size_t namelen, typedlen = 0;

	memset(out, 0, sizeof(*out));
	if (!p1 || !(p2 = strchr(p1 + 1, '+')))
		return parley_fail(err, PARLEY_E_FORMAT, "verifier key is not name+keyid+key");
	namelen = (size_t)(p1 - s);
	if (namelen == 0 || namelen > PARLEY_NAME_MAX)
		return parley_fail(err, PARLEY_E_FORMAT, "verifier key: bad name length");
	memcpy(out->name, s, namelen);
	out->name[namelen] = 0;
	if (parley_name_check(out->name, err))
		return parley_wrap(err, PARLEY_E_FORMAT, "verifier key");
	for (const char *h = p1 + 1; h < p2; h++)
		if (!((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f')))
			return parley_fail(err, PARLEY_E_FORMAT,
				"verifier key '%s': key id is not 8 lower-case hex digits", out->name);
	if (parley_unhex(id, sizeof(id), p1 + 1, (size_t)(p2 - p1 - 1)))
		return parley_fail(err, PARLEY_E_FORMAT, "verifier key '%s': key id is not 8 hex digits",
			out->name);
	if (parley_unb64(typed, sizeof(typed), &typedlen, p2 + 1, strlen(p2 + 1)) ||
		typedlen != 1 + PARLEY_PK_LEN)
		return parley_fail(err, PARLEY_E_FORMAT, "verifier key '%s': key is not base64 of 33 bytes",
			out->name);
	if (typed[0] != 0x01)
		return parley_fail(err, PARLEY_E_FORMAT,
			"verifier key '%s': key type 0x%02x is not Ed25519 (0x01)", out->name, typed[0]);
	memcpy(out->sign_pk, typed + 1, PARLEY_PK_LEN);
	parley_keyid(want, out->name, out->sign_pk);
	if (sodium_memcmp(want, id, sizeof(id)) != 0)
		return parley_fail(err, PARLEY_E_FORMAT, "verifier key '%s': key id does not match the key",
			out->name);
	memcpy(out->keyid, id, sizeof(id));
	return PARLEY_OK;
}

#define PUB_HEADER "parley-public-key v1"

parley_code parley_pubkey_encode(const parley_pubkey *k, parley_buf *out)
{
	char vkey[PARLEY_VKEY_MAX], seal[64];

	parley_vkey_format(vkey, k->name, k->sign_pk);
	parley_b64(seal, k->seal_pk, PARLEY_PK_LEN);
	parley_buf_reset(out);
	return parley_buf_addf(out, PUB_HEADER "\nname %s\nsign %s\nseal %s\n", k->name, vkey, seal);
}

/* Next line of text (without its newline) into line; false at the end. */
static bool next_line(const char **p, const char *end, char *line, size_t max, bool *toolong)
{
	const char *nl;
	size_t n;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	*toolong = n >= max;
	if (!*toolong) {
		memcpy(line, *p, n);
		line[n] = 0;
	}
	*p = nl ? nl + 1 : end;
	return true;
}

parley_code parley_pubkey_decode(const char *text, size_t n, parley_pubkey *out, parley_err *err)
{
	const char *p = text, *end = text + n;
	char line[256], name[PARLEY_NAME_MAX + 1];
	bool toolong;
	uint8_t seal[PARLEY_PK_LEN + 4];
	size_t seallen = 0;
	static const char *const want[] = { PUB_HEADER, "name ", "sign ", "seal " };

	memset(out, 0, sizeof(*out));
	if (memchr(text, 0, n))
		return parley_fail(err, PARLEY_E_FORMAT, "public key file contains a NUL byte");
	for (int i = 0; i < 4; i++) {
		if (!next_line(&p, end, line, sizeof(line), &toolong))
			return parley_fail(err, PARLEY_E_FORMAT, "public key file: line %d missing", i + 1);
		if (toolong)
			return parley_fail(err, PARLEY_E_FORMAT, "public key file: line %d too long", i + 1);
		if (i == 0) {
			if (strcmp(line, want[0]) != 0)
				return parley_fail(err, PARLEY_E_FORMAT,
					"not a parley public key file (first line is not '%s')", PUB_HEADER);
			continue;
		}
		if (strncmp(line, want[i], 5) != 0)
			return parley_fail(err, PARLEY_E_FORMAT, "public key file: line %d does not start with '%s'",
				i + 1, want[i]);
		const char *v = line + 5;
		if (i == 1) {
			if (strlen(v) > PARLEY_NAME_MAX || parley_name_check(v, err))
				return parley_fail(err, PARLEY_E_FORMAT, "public key file: invalid name");
			memcpy(name, v, strlen(v) + 1);
		} else if (i == 2) {
			if (parley_vkey_parse(v, out, err))
				return parley_wrap(err, PARLEY_E_FORMAT, "public key file");
			if (strcmp(out->name, name) != 0)
				return parley_fail(err, PARLEY_E_FORMAT,
					"public key file: signing key is for '%s', not '%s'", out->name, name);
		} else {
			if (parley_unb64(seal, sizeof(seal), &seallen, v, strlen(v)) || seallen != PARLEY_PK_LEN)
				return parley_fail(err, PARLEY_E_FORMAT,
					"public key file: sealing key is not base64 of 32 bytes");
			memcpy(out->seal_pk, seal, PARLEY_PK_LEN);
			out->has_seal = true;
		}
	}
	if (p != end)
		return parley_fail(err, PARLEY_E_FORMAT, "public key file: unexpected text after line 4");
	return PARLEY_OK;
}
