/* entry.h - the binary entry: build, parse, verify, open. Byte layout in docs/protocol.md. */
#ifndef PARLEY_ENTRY_H
#define PARLEY_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parley/crypto.h"
#include "parley/err.h"
#include "parley/msg.h"
#include "parley/util.h"

#define PARLEY_ENTRY_VERSION 1
#define PARLEY_ENTRY_MAGIC "PRLY"
#define PARLEY_ENTRY_MAX_REFS 16
#define PARLEY_ENTRY_MAX_RECIP 32
#define PARLEY_ENTRY_MAX_PAYLOAD ((size_t)1 << 20) /* 1 MiB of plaintext */
/* An entry's creation time may differ from the relay's integration time by at most this. */
#define PARLEY_ENTRY_MAX_SKEW_MS ((uint64_t)3600 * 1000)
#define PARLEY_SEALED_KEY_LEN 80                   /* a sealed box of a 32-byte key */
#define PARLEY_NONCE_LEN 24
#define PARLEY_TAG_LEN 16
#define PARLEY_KEY_LEN 32
/* Largest possible entry: header + sealed keys + nonce + length + ciphertext + signature. */
#define PARLEY_ENTRY_MAX_BYTES                                                                 \
	(5 + 32 + 4 + 8 + 32 + 8 + 1 + 8 + 1 + 8 * PARLEY_ENTRY_MAX_REFS + 1 + PARLEY_NAME_MAX + 1 + \
		1 + 4 * PARLEY_ENTRY_MAX_RECIP + 32 + PARLEY_SEALED_KEY_LEN * PARLEY_ENTRY_MAX_RECIP +   \
		PARLEY_NONCE_LEN + 4 + PARLEY_ENTRY_MAX_PAYLOAD + PARLEY_TAG_LEN + PARLEY_SIG_LEN)
/* The content-key commitment is SHA-256 of this prefix and the 32-byte content key. */
#define PARLEY_KEY_COMMIT_CONTEXT "parley-content-key/v1\n"
/* A seal's ephemeral key seed is SHA-256 of this prefix, the content key and the recipient's X25519 key. */
#define PARLEY_SEAL_CONTEXT "parley-seal/v1\n"

/* The header: everything a relay and a non-recipient can see. */
typedef struct parley_entry_hdr {
	uint8_t channel[32];            /* charter id */
	uint8_t sender[PARLEY_KEYID_LEN];
	uint64_t seq;                   /* 1, 2, 3 ... per sender */
	uint8_t prev[32];               /* SHA-256 of the sender's previous entry; zero when seq == 1 */
	uint64_t created_ms;            /* sender's clock, informative only */
	uint8_t type;                   /* enum parley_type */
	uint64_t thread;                /* 0 or the log index of the entry that opened the thread */
	uint8_t nrefs;
	uint64_t refs[PARLEY_ENTRY_MAX_REFS];
	char category[PARLEY_NAME_MAX + 1];
	uint8_t tlp;                    /* enum parley_tlp */
	uint8_t nrecip;                 /* 1 .. PARLEY_ENTRY_MAX_RECIP, no duplicates */
	uint8_t recip[PARLEY_ENTRY_MAX_RECIP][PARLEY_KEYID_LEN];
} parley_entry_hdr;

/* A parsed entry. Pointers are views into the bytes given to parse. */
typedef struct parley_entry {
	parley_entry_hdr h;
	uint8_t key_commit[32];
	const uint8_t *sealed;  /* nrecip * PARLEY_SEALED_KEY_LEN, in recipient order */
	const uint8_t *nonce;   /* PARLEY_NONCE_LEN */
	const uint8_t *ct;      /* ciphertext with its tag */
	size_t ct_len;
	const uint8_t *sig;     /* PARLEY_SIG_LEN */
	const uint8_t *raw;     /* the whole entry */
	size_t raw_len;
	size_t hdr_len;         /* bytes covered as associated data */
} parley_entry;

/*
 * Seal a content key to a recipient's X25519 key, deterministically
 * (docs/protocol.md §5.1): the ephemeral key pair is crypto_box_seed_keypair
 * of SHA-256(PARLEY_SEAL_CONTEXT || content_key || recip_seal_pk), and out is
 * eph_pk || crypto_box_easy(content_key) with crypto_box_seal's nonce, so
 * crypto_box_seal_open opens it. Whoever knows the content key can re-create
 * every seal of an entry. PARLEY_E_USAGE (out zeroed) when the key is a
 * low-order point no box can be made to.
 */
parley_code parley_entry_seal(uint8_t out[PARLEY_SEALED_KEY_LEN], const uint8_t content_key[PARLEY_KEY_LEN],
	const uint8_t recip_seal_pk[PARLEY_PK_LEN], parley_err *err) PARLEY_WUR;

/*
 * Build and sign an entry. h->sender must be sender's key id; seal_pks holds
 * the X25519 key of each of h->nrecip recipients in order (normally each
 * recipient's charter key; a caller may pass another, which then is what the
 * seal check below exposes). A fresh content key seals the payload (at most
 * PARLEY_ENTRY_MAX_PAYLOAD bytes) and is sealed to each key with
 * parley_entry_seal; it is copied to content_key when that is not NULL (the
 * sender keeps it to reveal the content to an arbiter later). out receives
 * the entry bytes.
 */
parley_code parley_entry_build(const parley_entry_hdr *h, const uint8_t (*seal_pks)[PARLEY_PK_LEN],
	const uint8_t *payload, size_t n, const parley_seckey *sender, parley_buf *out,
	uint8_t content_key[PARLEY_KEY_LEN], parley_err *err) PARLEY_WUR;

/*
 * Parse an entry. Total: any byte string gives PARLEY_OK or PARLEY_E_FORMAT /
 * PARLEY_E_LIMIT naming the field; nothing is allocated. Structural rules
 * (version, ranges, no duplicate recipients, seq/prev consistency, exact
 * length) are checked here; the signature is not.
 */
parley_code parley_entry_parse(const uint8_t *p, size_t n, parley_entry *e, parley_err *err) PARLEY_WUR;

/* Check the sender's signature with its Ed25519 key. PARLEY_E_VERIFY otherwise. */
parley_code parley_entry_verify(const parley_entry *e, const uint8_t sign_pk[PARLEY_PK_LEN],
	parley_err *err) PARLEY_WUR;

/*
 * Decrypt as a recipient: PARLEY_E_DECRYPT when me is not a recipient or
 * nothing authenticates. The content key is checked against the header's
 * commitment. payload is marked secret; content_key may be NULL.
 */
parley_code parley_entry_open(const parley_entry *e, const parley_seckey *me, parley_buf *payload,
	uint8_t content_key[PARLEY_KEY_LEN], parley_err *err) PARLEY_WUR;

/*
 * Check a seal with a revealed content key: *ok is true iff the sealed key
 * at recip_index is byte for byte parley_entry_seal(content_key,
 * recip_seal_pk) (compared in constant time). So with the recipient's
 * charter key, false means the sender sealed that slot wrongly, and true
 * means the slot gives content_key to whoever holds that key (whether the
 * payload then opens is parley_entry_open_with_key's answer: an entry is
 * readable by that recipient iff both succeed). Errors only for bad
 * arguments, with *ok false: PARLEY_E_USAGE when recip_index is not below
 * the entry's recipient count, PARLEY_E_VERIFY when content_key does not
 * match the entry's commitment.
 */
parley_code parley_entry_seal_check(const parley_entry *e, const uint8_t content_key[PARLEY_KEY_LEN],
	unsigned recip_index, const uint8_t recip_seal_pk[PARLEY_PK_LEN], bool *ok, parley_err *err) PARLEY_WUR;

/* Decrypt with a revealed content key (for a third party checking a proof). */
parley_code parley_entry_open_with_key(const parley_entry *e, const uint8_t key[PARLEY_KEY_LEN],
	parley_buf *payload, parley_err *err) PARLEY_WUR;

/* SHA-256 of the entry's bytes: what the sender's next entry names as prev. */
void parley_entry_hash(const uint8_t *p, size_t n, uint8_t out[32]);

/* Index of keyid among the recipients, or -1. */
int parley_entry_recipient_index(const parley_entry *e, const uint8_t keyid[PARLEY_KEYID_LEN]);

#endif
