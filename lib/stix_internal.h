/* stix_internal.h - what the STIX validator's files share: the finding collector, property tables, value syntax. */
#ifndef PARLEY_STIX_INTERNAL_H
#define PARLEY_STIX_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "parley/stix.h"

/* The state of one check: where findings go and which object is being looked at. */
typedef struct stix_ctx {
	unsigned flags;
	parley_stix_report *rep;
	parley_code rc;     /* PARLEY_E_NOMEM once the report could not grow */
	char who[320];      /* the current object's id, or "objects[N]" */
} stix_ctx;

void stix_error(stix_ctx *x, const char *prop, const char *fmt, ...) PARLEY_PRINTF(3, 4);
/* A SHOULD: recorded only with PARLEY_STIX_STRICT. */
void stix_warn(stix_ctx *x, const char *prop, const char *fmt, ...) PARLEY_PRINTF(3, 4);

/* Property types of the tables. */
enum stix_ptype {
	PT_STR,     /* string */
	PT_STRS,    /* non-empty list of strings */
	PT_TS,      /* timestamp */
	PT_INT,     /* integer, range lo..hi when lo < hi */
	PT_NUM,     /* number, range lo..hi when lo < hi */
	PT_BOOL,    /* boolean */
	PT_REF,     /* identifier of one of the types in set ("@sdo", "@sco", "@any" stand for groups) */
	PT_REFS,    /* non-empty list of such identifiers */
	PT_DICT,    /* non-empty dictionary */
	PT_HASHES,  /* hashes: algorithm -> hex or digest string */
	PT_KCP,     /* kill chain phases */
	PT_ENUM,    /* string from the closed set (MUST) */
	PT_OV,      /* string, SHOULD come from the open vocabulary in set */
	PT_OVS,     /* non-empty list of such strings */
	PT_BIN,     /* base64 */
	PT_HEX,     /* hex string */
	PT_URL,     /* URL (RFC 3986) */
	PT_LIST,    /* non-empty list of anything (checked by the object's own hook) */
	PT_ANY,     /* anything but null (checked by a hook) */
};

typedef struct stix_prop {
	const char *name;
	unsigned char type;
	unsigned char required;
	const char *const *set;
	double lo, hi;
} stix_prop;

enum stix_kind { SK_SDO, SK_SRO, SK_SCO, SK_META };

typedef struct stix_type {
	const char *name;
	unsigned char kind;
	const stix_prop *props;
	void (*hook)(stix_ctx *x, const json_t *o);
} stix_type;

/* The type table (SDOs, SROs, meta objects and SCOs); NULL for a type the specification does not define. */
const stix_type *stix_type_find(const char *name);
/* The SCO table alone (stix_sco.c). */
const stix_type *stix_sco_find(const char *name);
/* A property of a type (its own properties, then the common ones of its kind), or NULL. */
const stix_prop *stix_prop_find(const stix_type *t, const char *name);

/* Check one value against a property's type; path names it in findings. */
void stix_check_value(stix_ctx *x, const stix_prop *p, const char *path, const json_t *v);
bool stix_ref_ok(const char *ref, const char *const *set);
bool stix_is_id(const char *s, const char *want_type);
bool stix_is_sdo_type(const char *t);
bool stix_in(const char *s, const char *const *set);
const char *stix_str(const json_t *o, const char *k);

/* Timestamps: the parsed value, comparable. */
typedef struct stix_time {
	int64_t sec;   /* seconds since 1970 (60 for a leap second folds into the next minute's 0) */
	char frac[16]; /* sub-second digits, NUL-padded: compared as a string after padding with zeros */
	int ndigits;   /* how many sub-second digits were written */
} stix_time;
bool stix_time_parse(const char *s, size_t n, stix_time *t);
int stix_time_cmp(const stix_time *a, const stix_time *b);

/* A predefined extension (archive-ext, ...) on an SCO of type t (NULL: not an SCO of the specification). */
void stix_sco_check_extension(stix_ctx *x, const stix_type *t, const char *name, const char *path, const json_t *v);

/* The pattern checker: true when the pattern is valid; why (on failure) and warn (a SHOULD-level finding, or "")
 * name the reason with its offset. */
bool stix_pattern_run(const char *pattern, char *why, size_t why_n, char *warn, size_t warn_n);

/* Value syntax (stix_sco.c). */
bool stix_ipv4_ok(const char *s, bool cidr);
bool stix_ipv6_ok(const char *s, bool cidr);
bool stix_domain_ok(const char *s);
bool stix_email_ok(const char *s);
bool stix_url_ok(const char *s);
bool stix_mac_ok(const char *s);
bool stix_base64_ok(const char *s, size_t n);
/* NULL when the hash value fits the algorithm (or the algorithm is custom), else why not. */
const char *stix_hash_problem(const char *alg, const char *val);

extern const char *const stix_hash_algs[];

#endif
