/* note.h - C2SP signed notes, tlog checkpoints and tlog cosignatures. */
#ifndef PARLEY_NOTE_H
#define PARLEY_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parley/crypto.h"
#include "parley/err.h"
#include "parley/util.h"

#define PARLEY_NOTE_MAX_BYTES 65536 /* a whole note, text and signatures */
#define PARLEY_NOTE_MAX_SIGS 100
#define PARLEY_NOTE_NAME_MAX 255
#define PARLEY_NOTE_SIG_MAX 256     /* signature bytes after the key id */

/* Key types of C2SP verifier keys that parley understands. */
enum parley_vkey_type {
	PARLEY_VKEY_ED25519 = 0x01,     /* signed-note Ed25519 signature */
	PARLEY_VKEY_COSIGNATURE = 0x04  /* tlog-cosignature/v1 (Ed25519 with a timestamp) */
};

/* A verifier: a name, a key id, a key type and an Ed25519 public key. */
typedef struct parley_verifier {
	char name[PARLEY_NOTE_NAME_MAX + 1];
	uint8_t keyid[4];
	uint8_t type;
	uint8_t pk[32];
} parley_verifier;

/* A signature line of a note. */
typedef struct parley_note_sig {
	char name[PARLEY_NOTE_NAME_MAX + 1];
	uint8_t keyid[4];
	uint8_t sig[PARLEY_NOTE_SIG_MAX];
	size_t siglen;
} parley_note_sig;

/* A parsed note. text (the signed body, ending in a newline) is owned by the note. */
typedef struct parley_note {
	char *text;
	size_t text_len;
	size_t nsigs;
	parley_note_sig *sigs;
} parley_note;

/*
 * Parse a verifier key "name+hexkeyid+base64(type||key)" with C2SP's name
 * rules (UTF-8 without spaces or '+'), type 0x01 or 0x04, and a key id that
 * matches SHA-256(name || 0x0A || type || key).
 */
parley_code parley_verifier_parse(const char *s, parley_verifier *out, parley_err *err) PARLEY_WUR;
/* The verifier for a party key: type 0x01 (notes) or 0x04 (cosignatures). */
void parley_verifier_from_key(parley_verifier *out, const char *name, const uint8_t pk[32], uint8_t type);

/*
 * Parse a signed note: text, a blank line, then one or more lines
 * "— NAME BASE64(keyid || signature)" (U+2014). Refuses control characters
 * other than newline, invalid UTF-8, notes over PARLEY_NOTE_MAX_BYTES, more
 * than PARLEY_NOTE_MAX_SIGS signatures, and malformed lines.
 */
parley_code parley_note_parse(const char *msg, size_t n, parley_note *out, parley_err *err) PARLEY_WUR;
void parley_note_release(parley_note *n);

/* Check note text alone (what a signer signs): non-empty, valid, ends in a newline. */
parley_code parley_note_text_check(const char *text, size_t n, parley_err *err) PARLEY_WUR;

/*
 * Verify a note against known verifiers. Each signature line whose name and
 * key id match a verifier must verify (PARLEY_E_VERIFY naming it otherwise);
 * lines of unknown keys are ignored. At least one verifier must verify.
 * verified (nkeys entries, may be NULL) tells which did; for cosignatures,
 * times (may be NULL) gets the signed timestamp.
 */
parley_code parley_note_verify(const parley_note *n, const parley_verifier *keys, size_t nkeys,
	bool *verified, uint64_t *times, parley_err *err) PARLEY_WUR;

/* The signature line (with its newline) of key over text: Ed25519 note signature. */
parley_code parley_note_sign_line(const char *text, size_t n, const parley_seckey *key, parley_buf *line,
	parley_err *err) PARLEY_WUR;
/* The tlog-cosignature/v1 line of key over checkpoint text at time t (seconds). */
parley_code parley_note_cosign_line(const char *text, size_t n, const parley_seckey *key, uint64_t t,
	parley_buf *line, parley_err *err) PARLEY_WUR;

/* Write a note: text, a blank line, then its signature lines in order. */
parley_code parley_note_write(const parley_note *n, parley_buf *out) PARLEY_WUR;

/* A checkpoint body (C2SP tlog-checkpoint). */
typedef struct parley_checkpoint {
	char origin[256];
	uint64_t size;
	uint8_t root[32];
} parley_checkpoint;

/* "origin\nsize\nbase64(root)\n" */
parley_code parley_checkpoint_format(const parley_checkpoint *c, parley_buf *out) PARLEY_WUR;
/* Parse a checkpoint body (extension lines after the third are allowed and ignored). */
parley_code parley_checkpoint_parse(const char *text, size_t n, parley_checkpoint *out,
	parley_err *err) PARLEY_WUR;

#endif
