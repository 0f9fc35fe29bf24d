/* charter.h - the charter all parties sign: parties, relay, scope, deadlines, limits. */
#ifndef PARLEY_CHARTER_H
#define PARLEY_CHARTER_H

#include <stdbool.h>
#include <stdint.h>
#include "parley/crypto.h"
#include "parley/err.h"
#include "parley/msg.h"
#include "parley/util.h"

#define PARLEY_CHARTER_VERSION 1
#define PARLEY_CHARTER_MAX_BYTES ((size_t)1 << 20) /* a charter file is at most 1 MiB */
#define PARLEY_MAX_PARTIES 64
#define PARLEY_MAX_CATEGORIES 64
#define PARLEY_MAX_LEVELS 8
#define PARLEY_TITLE_MAX 256
#define PARLEY_DESC_MAX 1024
#define PARLEY_URL_MAX 512
#define PARLEY_DEADLINE_MAX (10LL * 366 * 86400) /* ten years, in seconds */

/* What a charter signature covers: this prefix, then the RFC 8785 form of the body. */
#define PARLEY_CHARTER_SIG_CONTEXT "parley-charter/v1\n"

enum parley_role { PARLEY_ROLE_PARTY = 1, PARLEY_ROLE_AUDITOR = 2 };

typedef struct parley_party {
	parley_pubkey key; /* name, signing and sealing keys, key id */
	int role;          /* PARLEY_ROLE_PARTY or PARLEY_ROLE_AUDITOR (read-only) */
} parley_party;

typedef struct parley_deadline {
	int64_t acknowledge; /* seconds after integration; 0 = no deadline */
	int64_t respond;
} parley_deadline;

/* A parsed, validated charter (its signatures are checked by parley_charter_verify). */
typedef struct parley_charter parley_charter;

/* What `parley charter new` fills in; the library builds and validates the body. */
typedef struct parley_charter_spec {
	const char *title;
	const parley_party *parties;
	size_t nparties;
	const char *relay_url;         /* NULL: no relay yet */
	const parley_pubkey *relay;    /* with relay_url */
	const char *const *categories; /* names */
	const char *const *descriptions; /* per category; may be NULL */
	size_t ncategories;
	uint32_t types;                /* bit t set = type t allowed; 0 = PARLEY_TYPES_ALL */
	parley_deadline deadlines[PARLEY_TYPE_MAX + 1]; /* for thread-opening types; 0 = default */
	const char *const *levels;     /* escalation ladder; NULL = technical, diplomatic, political */
	size_t nlevels;
	int64_t psi_max_set, psi_min_set, psi_requests_per_day; /* 0 = default */
	bool psi_email_local_case_sensitive; /* psi.email_local_case "sensitive" (left out by default: insensitive) */
	int tlp;                       /* -1 = default (amber) */
	int64_t valid_from, valid_until; /* seconds; 0 = now, now + 365 days */
	int64_t max_bytes_per_day;     /* each member's daily byte quota; 0 = none (the field is left out) */
	const uint8_t *predecessor;    /* 32 bytes: the id of the charter this one succeeds; NULL = none */
} parley_charter_spec;

/* Defaults: acknowledge within 2 hours, respond within 48 hours (the Vienna Document's). */
#define PARLEY_DEFAULT_ACK 7200
#define PARLEY_DEFAULT_RESPOND 172800
#define PARLEY_DEFAULT_PSI_MAX 100000
#define PARLEY_DEFAULT_PSI_MIN 10
#define PARLEY_DEFAULT_PSI_PER_DAY 10

/* Build a new unsigned charter from a spec. */
parley_code parley_charter_new(const parley_charter_spec *spec, parley_charter **out,
	parley_err *err) PARLEY_WUR;

/*
 * Parse a charter file {"charter": BODY, "signatures": [...]}: strict JSON
 * (no duplicate names), no unknown fields anywhere, every value in range.
 * Does not check signatures. PARLEY_E_FORMAT / PARLEY_E_LIMIT with the
 * exact field named in err.
 */
parley_code parley_charter_parse(const char *text, size_t len, parley_charter **out,
	parley_err *err) PARLEY_WUR;

/* Read and parse a charter file (see parley_charter_parse). */
parley_code parley_charter_load(const char *path, parley_charter **out, parley_err *err) PARLEY_WUR;

/*
 * Check the signatures: every listed party has exactly one signature that
 * verifies over the canonical body, and there is no other. PARLEY_E_VERIFY
 * naming the first problem (missing ones are listed together).
 */
parley_code parley_charter_verify(const parley_charter *c, parley_err *err) PARLEY_WUR;

/* How many of the listed parties have a signature that verifies. */
size_t parley_charter_count_valid_sigs(const parley_charter *c);

/*
 * Add (or replace) the signature of key's owner. The key must be a listed
 * party's, with the same signing key (PARLEY_E_VERIFY otherwise).
 */
parley_code parley_charter_sign(parley_charter *c, const parley_seckey *key, parley_err *err) PARLEY_WUR;

/*
 * Set or replace the relay. Refused (PARLEY_E_USAGE) once any signature is
 * present: signatures would no longer cover the body.
 */
parley_code parley_charter_set_relay(parley_charter *c, const char *url, const parley_pubkey *relay,
	parley_err *err) PARLEY_WUR;

/* The charter file as pretty JSON text with a final newline. */
parley_code parley_charter_write(const parley_charter *c, parley_buf *out, parley_err *err) PARLEY_WUR;

/*
 * The charter file in one canonical form: RFC 8785 JSON of {"charter", "signatures"}
 * with the signatures ordered by name, no final newline. Every serialisation of the
 * same signed charter gives the same bytes (the relay stores this form).
 */
parley_code parley_charter_write_canonical(const parley_charter *c, parley_buf *out, parley_err *err) PARLEY_WUR;

/* The RFC 8785 form of the body (what signatures cover, after the context line). */
const parley_buf *parley_charter_canonical(const parley_charter *c);

void parley_charter_free(parley_charter *c);

/* Accessors. Pointers stay valid until the charter is freed. */
const uint8_t *parley_charter_id(const parley_charter *c); /* 32 bytes: SHA-256 of canonical body */
const char *parley_charter_title(const parley_charter *c);
size_t parley_charter_nparties(const parley_charter *c);
const parley_party *parley_charter_party_at(const parley_charter *c, size_t i);
const parley_party *parley_charter_party(const parley_charter *c, const char *name);
const parley_party *parley_charter_party_by_keyid(const parley_charter *c, const uint8_t keyid[4]);
/* NULL when the charter names no relay. */
const parley_pubkey *parley_charter_relay(const parley_charter *c, const char **url);
size_t parley_charter_ncategories(const parley_charter *c);
const char *parley_charter_category_at(const parley_charter *c, size_t i);
bool parley_charter_allows_category(const parley_charter *c, const char *category);
/* Whether scope.types lists type; unreadable is allowed wherever receipt is, listed or not. */
bool parley_charter_allows_type(const parley_charter *c, unsigned type);
parley_deadline parley_charter_deadline(const parley_charter *c, unsigned type);
size_t parley_charter_nlevels(const parley_charter *c);
const char *parley_charter_level_at(const parley_charter *c, size_t i);
void parley_charter_psi_limits(const parley_charter *c, int64_t *max_set, int64_t *min_set,
	int64_t *per_day);
int parley_charter_tlp(const parley_charter *c);
/*
 * psi.email_local_case: whether e-mail indicators keep the case of their local
 * part ("sensitive", RFC 5321 strict) rather than lower-casing it (the default).
 * Both sides of a PSI exchange normalise by this one signed rule.
 */
bool parley_charter_psi_email_case_sensitive(const parley_charter *c);
/*
 * The id (32 bytes) of the charter this one succeeds (its "predecessor" field,
 * docs/protocol.md "Succession"), or NULL for a charter that succeeds none.
 */
const uint8_t *parley_charter_predecessor(const parley_charter *c);
/* Validity window in seconds since the epoch: valid for from <= t < until. */
void parley_charter_validity(const parley_charter *c, int64_t *from, int64_t *until);
/*
 * Whether `now` (seconds) lies in the validity window: PARLEY_E_VERIFY naming
 * both dates, "not yet valid" or "expired", otherwise PARLEY_OK. Signatures
 * are not looked at (parley_charter_verify).
 */
parley_code parley_charter_check_time(const parley_charter *c, int64_t now, parley_err *err) PARLEY_WUR;

/*
 * The daily byte quota (docs/protocol.md, "Daily byte quota"): the entry bytes a member
 * may have integrated per UTC day, by integration time; 0 when the charter sets none.
 * Relay (at admission) and nodes (when verifying) count with the same two functions.
 */
#define PARLEY_QUOTA_MAX ((int64_t)1 << 50)
int64_t parley_charter_max_bytes_per_day(const parley_charter *c);

/* One member's bytes counted on one UTC day (day = integration ms / 86,400,000). */
typedef struct parley_quota_day {
	uint64_t day, bytes;
} parley_quota_day;

/*
 * May an entry of len bytes integrated at ms join q's member's day? PARLEY_OK, or
 * PARLEY_E_LIMIT with a message naming the quota, the member (who) and the bytes used.
 * Nothing is counted: call parley_quota_count once the entry is taken.
 */
parley_code parley_charter_quota_check(const parley_charter *c, const parley_quota_day *q, const char *who,
	uint64_t ms, size_t len, parley_err *err) PARLEY_WUR;
/* Count an entry of len bytes integrated at ms (a later UTC day starts again from 0). */
void parley_quota_count(parley_quota_day *q, uint64_t ms, size_t len);

#endif
