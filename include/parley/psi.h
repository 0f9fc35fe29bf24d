/*
 * psi.h - private set intersection of indicators over the RFC 9497 OPRF
 * (ristretto255-SHA512, mode 0), and the message formats that carry it.
 *
 * The requester hashes each normalised indicator to the group and blinds it
 * with one session scalar r; the responder multiplies by a fresh key k, and
 * sends its own set as truncated OPRF outputs (sorted, Golomb-Rice coded);
 * the requester unblinds with 1/r, finalizes, and looks its outputs up. In
 * cardinality-only mode the responder shuffles the evaluated elements and
 * both sides hash the element alone, so that only the count can be learnt.
 */
#ifndef PARLEY_PSI_H
#define PARLEY_PSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parley/err.h"
#include "parley/util.h"

#define PARLEY_OPRF_CONTEXT "OPRFV1-\x00-ristretto255-SHA512"
#define PARLEY_OPRF_CONTEXT_LEN 28
#define PARLEY_PSI_CHUNK 30000        /* group elements per message: 960 KB */
#define PARLEY_PSI_TAG_CHUNK 100000   /* tags per message */
#define PARLEY_PSI_MAX_SET 100000000u

/* ---- RFC 9380 / RFC 9497 building blocks ---- */

/* expand_message_xmd with SHA-512; len <= 255 * 64, dst <= 255 bytes. */
parley_code parley_expand_message_xmd(uint8_t *out, size_t len, const uint8_t *msg, size_t n, const uint8_t *dst,
	size_t dstlen) PARLEY_WUR;
/* HashToGroup(input) for ristretto255-SHA512; PARLEY_E_VERIFY for the identity. */
parley_code parley_oprf_hash_to_group(uint8_t out[32], const uint8_t *in, size_t n) PARLEY_WUR;
/* DeriveKeyPair(seed, info): the secret scalar. */
parley_code parley_oprf_derive_key(uint8_t sk[32], const uint8_t seed[32], const uint8_t *info, size_t infolen) PARLEY_WUR;
/* Blind(input) with the given blind scalar. */
parley_code parley_oprf_blind(uint8_t blinded[32], const uint8_t blind[32], const uint8_t *in, size_t n) PARLEY_WUR;
/* BlindEvaluate: k * element, refusing non-canonical encodings and the identity (PARLEY_E_VERIFY). */
parley_code parley_oprf_evaluate(uint8_t out[32], const uint8_t k[32], const uint8_t element[32]) PARLEY_WUR;
/* Finalize(input, blind, evaluated): the 64-byte OPRF output. */
parley_code parley_oprf_finalize(uint8_t out[64], const uint8_t *in, size_t n, const uint8_t blind[32],
	const uint8_t evaluated[32]) PARLEY_WUR;
/* The OPRF output of the hashed and evaluated element of `in` (k * H(in) already computed). */
void parley_oprf_output(uint8_t out[64], const uint8_t *in, size_t n, const uint8_t unblinded[32]);

/* ---- tags: truncated outputs, sorted and Golomb-Rice coded ---- */

/* Tag length in bits for set sizes a and b: 40 + ceil(log2(a*b)), at least 48, at most 128. */
unsigned parley_psi_tag_bits(uint64_t a, uint64_t b);
typedef unsigned __int128 parley_tag;
/* The first `bits` bits of a 64-byte output, as an integer. */
parley_tag parley_psi_tag(const uint8_t out[64], unsigned bits);
/* Sort tags ascending; binary search in sorted tags. */
void parley_psi_tags_sort(parley_tag *tags, size_t n);
bool parley_psi_tags_contain(const parley_tag *sorted, size_t n, parley_tag t);
/*
 * Encode n sorted, distinct tags (duplicates are dropped) into out (appended):
 * a byte p, the first tag in `bits` bits, then each gap minus one Rice-coded
 * with parameter p, chosen for `total` tags spread over the whole range (so
 * that chunks of one set share it). Every chunk decodes on its own.
 */
parley_code parley_psi_tags_encode(const parley_tag *tags, size_t n, size_t total, unsigned bits,
	parley_buf *out) PARLEY_WUR;
/* Decode n tags; PARLEY_E_FORMAT on any inconsistency (order, range, truncation). */
parley_code parley_psi_tags_decode(const uint8_t *p, size_t len, size_t n, unsigned bits, parley_tag *out,
	parley_err *err) PARLEY_WUR;

/* ---- messages ---- */

enum parley_psi_kind { PARLEY_PSI_REQUEST = 1, PARLEY_PSI_EVALUATED = 2, PARLEY_PSI_TAGS = 3 };
enum parley_psi_mode { PARLEY_PSI_INTERSECTION = 0, PARLEY_PSI_CARDINALITY = 1 };

typedef struct parley_psi_msg {
	uint8_t kind, mode;
	uint8_t session[16];
	uint32_t chunk, chunks;  /* this message's number among its kind, and how many there are */
	uint64_t set_size;       /* the sender's whole set */
	uint32_t count;          /* elements or tags in this message */
	uint8_t bits;            /* tags only */
	const uint8_t *data;     /* count * 32 bytes of elements, or the coded tags */
	size_t data_len;
} parley_psi_msg;

parley_code parley_psi_msg_encode(const parley_psi_msg *m, parley_buf *out) PARLEY_WUR;
/* Parse (total: any bytes give a message or an error); elements are checked to be canonical non-identity points. */
parley_code parley_psi_msg_decode(const uint8_t *p, size_t n, parley_psi_msg *m, parley_err *err) PARLEY_WUR;

/* ---- indicators ---- */

/*
 * Normalise one indicator: "type:value" or a bare value whose type is
 * inferred. Types: ipv4-addr (dotted quad), ipv6-addr (RFC 5952), domain-name
 * (lower case, no trailing dot), url, file:sha256 / file:md5 / file:sha1
 * (lower-case hex), email-addr (domain lower-cased). out holds "type:value".
 */
parley_code parley_indicator_normalize(const char *in, char *out, size_t max, parley_err *err) PARLEY_WUR;
/*
 * The same under a channel's rules: flags PARLEY_NORM_EMAIL_LOCAL_CASE keeps
 * the case of an e-mail address's local part (charter psi.email_local_case
 * "sensitive"); without it the local part is lower-cased too (the default).
 */
#define PARLEY_NORM_EMAIL_LOCAL_CASE 1u
parley_code parley_indicator_normalize_flags(const char *in, unsigned flags, char *out, size_t max, parley_err *err)
	PARLEY_WUR;

/* A set of normalised indicators, sorted and distinct. */
typedef struct parley_iset {
	char **items;
	size_t n, cap;
	size_t duplicates; /* lines (or indicators) dropped as equal, after normalising, to an earlier one */
	size_t rejected;   /* lines (or STIX indicators) that could not be read (parley_iset_load's problems) */
	size_t stix_errors; /* set when parley_iset_load refused a STIX bundle: how many errors the validator found */
} parley_iset;

/*
 * Read indicators from a text file (one per line; blank lines and '#'
 * comments skipped) or, when it is a JSON document ('{' first), from the
 * indicators with simple equality patterns of a STIX bundle. Unparsable lines
 * are listed in problems ("line N: reason\n") and skipped; so are indicators
 * whose (valid) pattern is not a simple equality ("ID: reason\n").
 * A JSON document that is not a bundle parley_stix_check accepts is refused:
 * PARLEY_E_FORMAT naming the first error, the validator's lines ("ID:
 * PROPERTY: message\n", as 'parley stix validate' prints them) in problems,
 * s->stix_errors their count (s holds nothing else; release it as usual).
 */
parley_code parley_iset_load(const char *path, unsigned flags, parley_iset *s, parley_buf *problems, parley_err *err)
	PARLEY_WUR;
/*
 * parley_iset_load, then refuse a file with unreadable lines (or STIX
 * indicators parley cannot compare) unless skip_invalid: PARLEY_E_FORMAT
 * naming how many, the first line numbers (up to 10) and the first reason.
 * Sending a set with lines silently dropped would compare less than the
 * user meant, on the record. problems lists them all in either case.
 */
parley_code parley_iset_load_checked(const char *path, unsigned flags, bool skip_invalid, parley_iset *s,
	parley_buf *problems, parley_err *err) PARLEY_WUR;
parley_code parley_iset_add(parley_iset *s, const char *normalized) PARLEY_WUR;
void parley_iset_finish(parley_iset *s); /* sort and drop duplicates */
void parley_iset_release(parley_iset *s);

/* ---- the two sides, over whole sets (threads use both cores) ---- */

/* The requester's session blind from its secret seed and the session id (recomputable, never stored). */
void parley_psi_blind_scalar(uint8_t r[32], const uint8_t seed[32], const uint8_t session[16]);
/* Blind every item of s with r into out (n * 32 bytes). */
parley_code parley_psi_blind_all(const parley_iset *s, const uint8_t r[32], uint8_t *out, parley_err *err) PARLEY_WUR;
/* Evaluate n elements with k in place; PARLEY_E_VERIFY naming the first bad element. */
parley_code parley_psi_evaluate_all(uint8_t *elems, size_t n, const uint8_t k[32], parley_err *err) PARLEY_WUR;
/* The responder's own tags (unsorted) for its set with key k. */
parley_code parley_psi_own_tags(const parley_iset *s, const uint8_t k[32], int mode, unsigned bits, parley_tag *out,
	parley_err *err) PARLEY_WUR;
/*
 * The requester's tags: unblind each evaluated element with 1/r and finalize
 * (with the matching input in intersection mode, alone in cardinality mode).
 */
parley_code parley_psi_final_tags(const parley_iset *s, const uint8_t *evaluated, size_t n, const uint8_t r[32],
	int mode, unsigned bits, parley_tag *out, parley_err *err) PARLEY_WUR;

#endif
