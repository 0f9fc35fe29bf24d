/*
 * console.h - the operator console: a web page and its JSON API, served by a
 * party's standing node (parley run --console).
 *
 * The page (HTML, CSS, JavaScript modules embedded in the binary) talks JSON to
 * the API under /api/. Every action goes through the library calls the CLI uses
 * (parley_node_answer, parley_node_post, parley_node_prove, parley_node_sync,
 * parley_node_psi_*, parley_stix_check, parley_proof_check), so the log cannot
 * tell which was used. Login: a one-time token (parley_console_token), given to
 * the person in HOME/console.url, is exchanged for an HttpOnly, SameSite=Strict
 * session cookie (and the next login's token drawn); every POST needs the
 * session's CSRF token in X-CSRF-Token. A session ends after idle_s without a
 * request, lifetime_s after the login, or at POST /api/logout.
 * Routes and shapes: docs/api.md ("Console"); threat model: docs/security.md.
 */
#ifndef PARLEY_CONSOLE_H
#define PARLEY_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parley/err.h"
#include "parley/node.h"
#include "parley/util.h"

#define PARLEY_CONSOLE_BODY_MAX ((size_t)4 << 20) /* request bodies; 413 above */
#define PARLEY_CONSOLE_URL_FILE "console.url"
#define PARLEY_CONSOLE_COOKIE "parley_console"
#define PARLEY_CONSOLE_URL_MAX 400               /* parley_console_login_url's length, at most */
#define PARLEY_CONSOLE_IDLE_DEFAULT 1800u        /* seconds without a request that end a session */
#define PARLEY_CONSOLE_LIFETIME_DEFAULT 43200u   /* seconds after its login that end a session */
/*
 * How long an API request waits for the node lock (held by the standing node's
 * own syncs and commands, which wait on the relay) before it is answered 503
 * "node busy" with Retry-After, having done nothing.
 */
#define PARLEY_CONSOLE_BUSY_WAIT_MS 2000u

/* A file of the page, served at / (index.html) or /static/NAME. */
typedef struct parley_console_asset {
	const char *name;          /* "index.html", "app.js", ... (no '/') */
	const unsigned char *data;
	size_t len;
} parley_console_asset;

/* What the standing node knows of a channel's relay (parley_console_config.relay_state). */
enum { PARLEY_RELAY_UNKNOWN = 0, PARLEY_RELAY_UP, PARLEY_RELAY_DOWN };
typedef struct parley_console_relay {
	int state;                 /* PARLEY_RELAY_*; a halted channel shows as misbehaving whatever this says */
	uint64_t since_ms;         /* down since (0: not known) */
} parley_console_relay;

typedef struct parley_console_config {
	const char *home;          /* the node's home */
	parley_node *node;         /* borrowed; used only with node_lock held (see parley_console_set_node) */
	pthread_mutex_t *node_lock; /* held around every use of node; NULL: the console's own */
	const char *host;          /* address or name to listen on (every address it resolves to); NULL = 127.0.0.1 */
	uint16_t port;             /* 0: any free port (see parley_console_port) */
	unsigned idle_s;           /* a session unused this long ends; 0: PARLEY_CONSOLE_IDLE_DEFAULT */
	unsigned lifetime_s;       /* a session ends this long after its login; 0: PARLEY_CONSOLE_LIFETIME_DEFAULT */
	bool write_url;            /* parley_console_start writes HOME/console.url (0600): the login URL, again
	                              after each login with the next token */
	const char *tls_cert_pem;  /* PEM text, both or neither: HTTPS */
	const char *tls_key_pem;
	const parley_console_asset *assets; /* borrowed, must outlive the console */
	size_t nassets;
	/* optional, called with node_lock held: the relay's state as the caller sees it */
	void (*relay_state)(void *arg, const uint8_t channel[32], parley_console_relay *out);
	void *relay_arg;
} parley_console_config;

typedef struct parley_console parley_console;

/*
 * A console without a listener (for parley_console_handle: tests and fuzzing).
 * A fresh one-time login token is drawn. node (and then home) may be NULL: the
 * routes that need it answer 503.
 */
parley_code parley_console_new(const parley_console_config *cfg, parley_console **out, parley_err *err) PARLEY_WUR;
/*
 * parley_console_new, then listen (libmicrohttpd threads) on every address host
 * resolves to, and write HOME/console.url when asked. PARLEY_E_IO when an address
 * cannot be bound or the file written, PARLEY_E_NOTFOUND when host does not resolve.
 */
parley_code parley_console_start(const parley_console_config *cfg, parley_console **out, parley_err *err) PARLEY_WUR;
uint16_t parley_console_port(const parley_console *c);
/*
 * The one-time login token: 64 hex digits, valid until it is used once (then the
 * next is drawn in its place). For a console without a listener (tests, fuzzing):
 * a served login replaces it meanwhile; a listener's is in HOME/console.url.
 */
const char *parley_console_token(const parley_console *c);
/*
 * The URL that logs in: "http[s]://HOST:PORT/#token=TOKEN" (the token in the
 * fragment, which browsers never send; HOST as parley_console_url_host). As
 * parley_console_token: with write_url, read HOME/console.url instead.
 */
void parley_console_login_url(const parley_console *c, char out[PARLEY_CONSOLE_URL_MAX + 1]);
/*
 * The host as a browser's URL names it: an IPv6 literal in brackets ("[::1]"),
 * 127.0.0.1 or [::1] for a wildcard (0.0.0.0, ::), a name or IPv4 as given.
 */
const char *parley_console_url_host(const parley_console *c);
/* Point the console at another node handle (the caller reopened it). node_lock held. */
void parley_console_set_node(parley_console *c, parley_node *node);
/* Stop listening (requests under way finish first), forget the sessions, free. NULL allowed. */
void parley_console_stop(parley_console *c);

/* One HTTP request, as the listener received it. Headers absent: NULL. */
typedef struct parley_console_request {
	const char *method;
	const char *path;          /* without the query string */
	const char *cookie;        /* the Cookie header */
	const char *csrf;          /* X-CSRF-Token */
	const char *origin;        /* Origin */
	const char *host;          /* Host */
	const char *body;          /* NUL-terminated; may be NULL when body_len is 0 */
	size_t body_len;
	bool too_big;              /* the body was over PARLEY_CONSOLE_BODY_MAX (and was dropped) */
} parley_console_request;

/* The answer; release with parley_console_response_release. */
typedef struct parley_console_response {
	unsigned status;
	const char *type;          /* Content-Type (static string) */
	parley_buf body;
	bool api;                  /* an /api/ answer: Cache-Control: no-store */
	char set_cookie[192];      /* "" or the Set-Cookie value */
	char disposition[96];      /* "" or the Content-Disposition value */
	unsigned retry_after;      /* 0 or the Retry-After value, in seconds (503 node busy) */
} parley_console_response;

/*
 * Route one request (no I/O but the node's). Never fails: errors are answers
 * (JSON {"error": ...} with 4xx/5xx). The security headers every answer carries
 * are the listener's to add (parley_console_headers).
 */
void parley_console_handle(parley_console *c, const parley_console_request *rq, parley_console_response *out);
void parley_console_response_release(parley_console_response *r);
/* The headers every answer carries: name, value pairs, terminated by NULL. */
extern const char *const parley_console_headers[];

#endif
