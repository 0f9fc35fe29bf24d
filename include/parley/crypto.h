/* crypto.h - party keys, key files, verifier keys and hashing (thin, over libsodium). */
#ifndef PARLEY_CRYPTO_H
#define PARLEY_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parley/err.h"
#include "parley/util.h"

#define PARLEY_NAME_MAX 64       /* longest party name, bytes */
#define PARLEY_KEYID_LEN 4       /* C2SP key id */
#define PARLEY_PK_LEN 32         /* Ed25519 and X25519 public keys */
#define PARLEY_SIG_LEN 64
#define PARLEY_HASH_LEN 32
#define PARLEY_SEED_LEN 32
#define PARLEY_VKEY_MAX 128      /* longest verifier-key string, with NUL */
#define PARLEY_KEYFILE_MAX 4096  /* secret and public key files are at most this size */

/*
 * SHA-256 of one buffer, of two concatenated buffers, and of a list of parts.
 * These use OpenSSL's libcrypto, which uses the CPU's SHA extensions: about
 * five times libsodium's rate on 1 KiB inputs here (make bench shows both).
 */
typedef struct parley_span {
	const void *p;
	size_t n;
} parley_span;
void parley_sha256(uint8_t out[PARLEY_HASH_LEN], const void *p, size_t n);
void parley_sha256_2(uint8_t out[PARLEY_HASH_LEN], const void *a, size_t an, const void *b,
	size_t bn);
void parley_sha256_parts(uint8_t out[PARLEY_HASH_LEN], const parley_span *parts, size_t nparts);

/*
 * Names: 1..64 bytes of a-z, 0-9, '-' and '.', not starting with '-' or '.'.
 * PARLEY_E_FORMAT (with the reason in err) otherwise.
 */
parley_code parley_name_check(const char *name, parley_err *err) PARLEY_WUR;

/* A party's public identity. */
typedef struct parley_pubkey {
	char name[PARLEY_NAME_MAX + 1];
	uint8_t sign_pk[PARLEY_PK_LEN];   /* Ed25519 */
	uint8_t seal_pk[PARLEY_PK_LEN];   /* X25519 */
	uint8_t keyid[PARLEY_KEYID_LEN];  /* C2SP key id of sign_pk under name */
	bool has_seal;                    /* false for a bare verifier key */
} parley_pubkey;

/*
 * A party's secret key, in sodium_malloc'd guarded memory. Both key pairs
 * are derived from one 32-byte seed with crypto_kdf (context "parleyk1",
 * subkey 1 = Ed25519 seed, subkey 2 = X25519 secret key): one secret to
 * protect, two keys that never share a scalar.
 */
typedef struct parley_seckey {
	parley_pubkey pub;
	uint8_t seed[PARLEY_SEED_LEN];
	uint8_t sign_sk[64];
	uint8_t seal_sk[32];
} parley_seckey;

/* C2SP key id: first 4 bytes of SHA-256(name || 0x0A || 0x01 || pk). */
void parley_keyid(uint8_t out[PARLEY_KEYID_LEN], const char *name, const uint8_t pk[PARLEY_PK_LEN]);

/* Derive a secret key from a seed. *out is freed with parley_seckey_free. */
parley_code parley_seckey_from_seed(const char *name, const uint8_t seed[PARLEY_SEED_LEN],
	parley_seckey **out, parley_err *err) PARLEY_WUR;
/* A fresh random key. */
parley_code parley_seckey_generate(const char *name, parley_seckey **out, parley_err *err) PARLEY_WUR;
/* Wipes and frees; NULL is allowed. */
void parley_seckey_free(parley_seckey *k);

/* Argon2id cost of an encrypted key file. */
typedef struct parley_kdf {
	uint32_t opslimit;
	uint32_t memlimit_kib;
} parley_kdf;

/* Presets "interactive", "moderate" (the default) and "sensitive". */
parley_code parley_kdf_preset(const char *name, parley_kdf *out) PARLEY_WUR;

/*
 * Encode a secret key file (see docs/protocol.md). With pass == NULL the
 * seed is stored in the clear; otherwise it is sealed with
 * XChaCha20-Poly1305 under Argon2id(pass, random salt, kdf). out is marked
 * secret (wiped on release).
 */
parley_code parley_seckey_encode(const parley_seckey *k, const char *pass, size_t passlen,
	const parley_kdf *kdf, parley_buf *out, parley_err *err) PARLEY_WUR;

/* True when the bytes look like an encrypted key file (so a passphrase is needed). */
bool parley_seckey_is_encrypted(const uint8_t *p, size_t n);

/*
 * Decode a secret key file. An encrypted file needs pass (else
 * PARLEY_E_PASSPHRASE "passphrase required"); a wrong passphrase or altered
 * file is PARLEY_E_PASSPHRASE; malformed bytes PARLEY_E_FORMAT. The Argon2id
 * cost read from the file is bounded (ops <= 16, memory <= 1 GiB).
 */
parley_code parley_seckey_decode(const uint8_t *p, size_t n, const char *pass, size_t passlen,
	parley_seckey **out, parley_err *err) PARLEY_WUR;

/*
 * Load a secret key file: refuses a file that group or others can access
 * (PARLEY_E_PERM), then decodes it. pass may be NULL for a clear file.
 */
parley_code parley_seckey_load(const char *path, const char *pass, size_t passlen,
	parley_seckey **out, parley_err *err) PARLEY_WUR;

/* C2SP verifier key "name+hexkeyid+base64(0x01||pk)" into out (PARLEY_VKEY_MAX). */
void parley_vkey_format(char out[PARLEY_VKEY_MAX], const char *name, const uint8_t pk[PARLEY_PK_LEN]);
/*
 * Parse a verifier key; checks the name, the key type byte 0x01, the key
 * length and that the key id matches. Fills name, sign_pk and keyid.
 */
parley_code parley_vkey_parse(const char *s, parley_pubkey *out, parley_err *err) PARLEY_WUR;

/* The public identity file (text, see docs/protocol.md). */
parley_code parley_pubkey_encode(const parley_pubkey *k, parley_buf *out) PARLEY_WUR;
parley_code parley_pubkey_decode(const char *text, size_t n, parley_pubkey *out, parley_err *err) PARLEY_WUR;

#endif
