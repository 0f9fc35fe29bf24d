/*
 * taxii.h - a TAXII 2.1 server over a party's node (OASIS TAXII Version 2.1), and
 * the MISP feed of what the node received, served next to it under /misp/.
 *
 * One API root per home (/taxii2/parley/), one collection per joined channel.
 * Reading a collection returns the STIX objects of every entry of the channel
 * this node can decrypt, in log order, with the entry's integration time as
 * date_added. Writing (POST objects/) validates the objects and sends them as
 * one entry to the charter's other parties; the status resource becomes
 * "complete" once the relay has integrated it ("failure" with the reason
 * otherwise). HTTP Basic authentication: user "parley", the token of
 * HOME/taxii.token as password. Routes and behaviour: docs/api.md ("TAXII").
 */
#ifndef PARLEY_TAXII_H
#define PARLEY_TAXII_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "parley/err.h"
#include "parley/node.h"
#include "parley/util.h"

#define PARLEY_TAXII_MEDIA "application/taxii+json;version=2.1"
#define PARLEY_STIX_MEDIA "application/stix+json;version=2.1"
#define PARLEY_TAXII_BODY_MAX ((size_t)1 << 20)   /* max_content_length of the API root */
#define PARLEY_TAXII_PAGE_MAX 1000                /* objects per page, and the default limit */
#define PARLEY_TAXII_TOKEN_FILE "taxii.token"
#define PARLEY_TAXII_CONFIG_FILE "taxii.json"

typedef struct parley_taxii_config {
	const char *home;          /* the node's home: token, per-channel defaults */
	parley_node *node;         /* borrowed; used only with node_lock held */
	pthread_mutex_t *node_lock; /* held around every use of node; NULL: the server's own */
	const char *host;          /* address or name to listen on (every address it resolves to); NULL = 127.0.0.1 */
	uint16_t port;             /* 0: any free port (see parley_taxii_port) */
	const char *tls_cert_pem;  /* PEM text, both or neither: HTTPS */
	const char *tls_key_pem;
} parley_taxii_config;

typedef struct parley_taxii parley_taxii;

/*
 * Start the listener (its own threads: HTTP and one that posts). The token file is
 * created (0600) when missing. PARLEY_E_IO when the address cannot be bound.
 */
parley_code parley_taxii_start(const parley_taxii_config *cfg, parley_taxii **out, parley_err *err) PARLEY_WUR;
uint16_t parley_taxii_port(const parley_taxii *t);
/* Point the server at another node handle (the caller reopened it). node_lock held. */
void parley_taxii_set_node(parley_taxii *t, parley_node *node);
/* Stop accepting, finish the posts under way, free. NULL allowed. */
void parley_taxii_stop(parley_taxii *t);

/*
 * The token of HOME/taxii.token (64 hex digits), created 0600 when missing; with
 * rotate, a new one replaces it. tok must hold 65 bytes.
 */
parley_code parley_taxii_token(const char *home, bool rotate, char tok[65], parley_err *err) PARLEY_WUR;

/*
 * A channel's defaults for objects POSTed to its collection (HOME/taxii.json):
 * the category when the objects name none (NULL: unchanged, "" clears), and the
 * thread to answer (the index of its opening entry; PARLEY_TAXII_THREAD_NONE clears,
 * PARLEY_TAXII_THREAD_KEEP leaves it).
 */
#define PARLEY_TAXII_THREAD_KEEP UINT64_MAX
#define PARLEY_TAXII_THREAD_NONE (UINT64_MAX - 1)
parley_code parley_taxii_set_default(const char *home, const uint8_t channel[32], const char *category,
	uint64_t thread, parley_err *err) PARLEY_WUR;

/* The collection id of a channel: an RFC 4122 version-5 UUID of its hex id (37 bytes). */
void parley_taxii_collection_id(const uint8_t channel[32], char out[37]);

/*
 * A query of objects/, manifest/, versions/ (TAXII 2.1 §3.4 filtering and §3.6
 * pagination), parsed from URL parameters by parley_taxii_query_add.
 */
enum { PARLEY_TAXII_V_LAST = 1, PARLEY_TAXII_V_FIRST = 2, PARLEY_TAXII_V_ALL = 4 };
#define PARLEY_TAXII_MATCH_MAX 64 /* values in one match[...] list */
typedef struct parley_taxii_ts {
	int64_t s;
	uint32_t ns;
} parley_taxii_ts;
typedef struct parley_taxii_query {
	bool has_added_after;
	parley_taxii_ts added_after;
	uint64_t limit;            /* 1..PARLEY_TAXII_PAGE_MAX (larger values are lowered) */
	bool has_next;
	uint64_t next_entry;       /* resume after this entry's object next_pos */
	uint32_t next_pos;
	unsigned vmodes;           /* PARLEY_TAXII_V_*; 0: last */
	parley_taxii_ts versions[PARLEY_TAXII_MATCH_MAX];
	size_t nversions;
	char *ids;                 /* the comma lists as given, NULL when absent */
	char *types;
	char *spec_versions;
} parley_taxii_query;

void parley_taxii_query_init(parley_taxii_query *q);
/* One URL parameter (decoded). PARLEY_E_FORMAT naming it when its value is invalid. */
parley_code parley_taxii_query_add(parley_taxii_query *q, const char *key, const char *value, parley_err *err) PARLEY_WUR;
void parley_taxii_query_release(parley_taxii_query *q);
/* Whether a comma list holds item exactly. */
bool parley_taxii_list_has(const char *list, const char *item);

/* A STIX/TAXII timestamp ("YYYY-MM-DDTHH:MM:SS[.fraction]Z"); false when malformed. */
bool parley_taxii_ts_parse(const char *s, parley_taxii_ts *out);
int parley_taxii_ts_cmp(const parley_taxii_ts *a, const parley_taxii_ts *b);

/*
 * Parse a POSTed envelope ({"objects": [...]}, at most PARLEY_TAXII_BODY_MAX bytes)
 * into a STIX bundle (a new reference) that parley_stix_validate then checks.
 * PARLEY_E_FORMAT when it is not JSON or not an envelope with objects.
 */
parley_code parley_taxii_envelope_parse(const char *body, size_t len, json_t **bundle, parley_err *err) PARLEY_WUR;

/*
 * The category for objects POSTed without one being chosen by the caller: the
 * custom property "x_parley_category" of an object, else a label "parley:category=CAT"
 * or a label equal to a category of the charter (first object first), else
 * NULL. The value is borrowed from bundle.
 */
const char *parley_taxii_category_of(const json_t *bundle, const parley_charter *ch);

#endif
