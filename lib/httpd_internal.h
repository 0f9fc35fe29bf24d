/*
 * httpd_internal.h - a node-hosted HTTP server (not a public API): libmicrohttpd
 * threads on every socket parley_listen_open gives for a host (an IPv4 or IPv6
 * literal, or a name: each address it resolves to, one port), plain or TLS,
 * each request's body collected up to a cap before the server's answer is
 * called. The console (lib/console.c) and TAXII (lib/taxii.c) both start theirs
 * here; the node lock their answers take is theirs.
 */
#ifndef PARLEY_HTTPD_INTERNAL_H
#define PARLEY_HTTPD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <microhttpd.h>

#include "parley/err.h"
#include "parley/listen.h"

/*
 * Answer one request, once it is whole: body holds body_len bytes followed by
 * a NUL (never NULL). too_big: the body was over the cap (announced by
 * Content-Length, answered before it is read, or found while reading); it was
 * dropped and body is "". Called on MHD's threads, any number at once.
 */
typedef enum MHD_Result (*parley_httpd_answer_fn)(void *cls, struct MHD_Connection *conn, const char *url,
	const char *method, const char *body, size_t body_len, bool too_big);

typedef struct parley_httpd_config {
	const char *host;          /* literal or name; NULL = 127.0.0.1 */
	uint16_t port;             /* 0: any free port (the same on every address) */
	const char *tls_cert_pem;  /* PEM text, both or neither: HTTPS */
	const char *tls_key_pem;
	unsigned timeout_s;        /* an idle connection is closed after this */
	size_t body_max;           /* request bodies over this: too_big */
	parley_httpd_answer_fn answer;
	void *cls;
} parley_httpd_config;

typedef struct parley_httpd {
	struct MHD_Daemon *mhd[PARLEY_LISTEN_MAX]; /* one per listening address */
	size_t n;
	uint16_t port;             /* the port bound (every address has it) */
	char addr[PARLEY_LISTEN_MAX][PARLEY_LISTEN_ADDR_MAX]; /* "127.0.0.1:8443", "[::1]:8443" */
	size_t body_max;
	parley_httpd_answer_fn answer;
	void *cls;
} parley_httpd;

/*
 * Listen and serve: h is filled (zeroed first). PARLEY_E_IO when an address
 * cannot be bound or the TLS files are refused, PARLEY_E_NOTFOUND when the host
 * does not resolve; nothing is left running then.
 */
parley_code parley_httpd_start(parley_httpd *h, const parley_httpd_config *cfg, parley_err *err) PARLEY_WUR;
/* Stop every daemon (requests under way finish first). A zeroed or stopped h is fine. */
void parley_httpd_stop(parley_httpd *h);

/*
 * Whether hostport (a Host header) names one of the addresses h listens on
 * ("127.0.0.1:8443", "[::1]:8443"); false for NULL.
 */
bool parley_httpd_is_bound_addr(const parley_httpd *h, const char *hostport);

#endif
