/*
 * relay.h - the relay: an HTTP server (libmicrohttpd) that stores channels and
 * relays entries. Anyone can host it; nobody needs to trust it: everything it
 * serves is signed by the parties or by itself and checked by every node.
 * The routes are documented in docs/api.md.
 */
#ifndef PARLEY_RELAY_H
#define PARLEY_RELAY_H

#include <stdint.h>
#include <stdio.h>
#include "parley/crypto.h"
#include "parley/err.h"

typedef struct parley_relay_config {
	const char *db;            /* store: a path or sqlite:PATH */
	const parley_seckey *key;  /* the relay's signing key (kept by the caller while the relay runs) */
	const char *host;          /* address or name to listen on (127.0.0.1, ::1, localhost: every address it resolves to) */
	uint16_t port;             /* 0: any free port (see parley_relay_port) */
	const char *tls_cert_pem;  /* PEM text; both or neither */
	const char *tls_key_pem;
	unsigned max_connections;  /* default 256 */
	unsigned max_per_ip;       /* connections from one address; default max(64, max_connections / 4);
	                              and an address holding some takes at most half of the free ones */
	unsigned timeout_s;        /* idle connection timeout, default 15 */
	unsigned deadline_s;       /* a request's headers and body must arrive within this, default 30 */
	double rate;               /* requests per second per party; 0 = default 200; < 0 = unlimited */
	unsigned page_max;         /* entries per page, default 500 */
	unsigned checkpoint_ms;    /* checkpoint interval while entries arrive, default 1000 */
	FILE *log;                 /* structured log lines; NULL = none */
	/*
	 * Who may open channels (POST /v1/channels). NULL: any member of a charter
	 * that verifies and names this relay ("any"). Else the path of an allowlist:
	 * one charter id (64 hex) or party verifier key (name+keyid+base64, the
	 * "sign" line of a .pub file) per line, # comments; a charter is opened when
	 * its id is listed or one of its parties' keys is. Re-opening an existing
	 * channel is always allowed.
	 */
	const char *open_allowlist;
	unsigned open_rate;        /* POST /v1/channels per minute per source address; default 30, burst as many */
	unsigned open_max_per_key; /* channels one party key may be in (all in the store); default 1000 */
	size_t open_bytes_per_key; /* charter bytes of those channels; default 16 MiB */
	/* long polls (GET entries with wait, docs/api.md): waiting at once in all, and per party key */
	unsigned poll_max;         /* default 64 */
	unsigned poll_max_per_key; /* default 4 */
} parley_relay_config;

typedef struct parley_relay parley_relay;

/* Open the store, start the committer and the HTTP server. */
parley_code parley_relay_start(const parley_relay_config *cfg, parley_relay **out, parley_err *err) PARLEY_WUR;
/* The port the relay listens on. */
uint16_t parley_relay_port(const parley_relay *r);
/* Stop accepting, finish in-flight requests and appends, close the store. NULL allowed. */
void parley_relay_stop(parley_relay *r);

/*
 * Parse the bytes of an open-channels allowlist (open_allowlist above): each
 * line blank, a # comment, a charter id (64 hex digits) or a verifier key
 * (optionally after "sign "), surrounding blanks ignored. *out gets *n entries
 * of 33 bytes: 'c' and a charter id, or 'k' and a party's signing key; an empty
 * list is a non-NULL array of one unused entry (nobody may open). name (the
 * file's path) only names it in errors. PARLEY_E_FORMAT naming the line, on a
 * NUL byte or a line that is neither; PARLEY_E_NOMEM. Free *out with free().
 */
#define PARLEY_ALLOWLIST_MAX_ENTRIES 100000u
parley_code parley_relay_allowlist_parse(const uint8_t *data, size_t len, const char *name, uint8_t (**out)[33],
	size_t *n, parley_err *err) PARLEY_WUR;

#endif
