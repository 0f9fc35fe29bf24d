/*
 * listen.h - listening addresses for the relay and the TAXII listener: "HOST:PORT",
 * "[IPv6]:PORT", and host names that resolve (every address bound, on one port).
 */
#ifndef PARLEY_LISTEN_H
#define PARLEY_LISTEN_H

#include <stddef.h>
#include <stdint.h>

#include "parley/err.h"

#define PARLEY_LISTEN_MAX 8        /* addresses one name may bind */
#define PARLEY_LISTEN_HOST_MAX 253 /* a DNS name's length; IPv6 literals are shorter */
#define PARLEY_LISTEN_ADDR_MAX 64  /* "[ffff:...%scope]:65535" as parley_listen_addr writes it */

/*
 * Split a listening address: "HOST:PORT" (an IPv4 address or a host name),
 * "[IPv6]:PORT" (brackets required: "::1:80" is ambiguous). PORT is 0..65535
 * (0: any free port). host gets the host without brackets. PARLEY_E_FORMAT with
 * the reason on anything else (no port, an unbracketed IPv6 address, an empty
 * host, bytes a host name cannot hold, a name or label too long).
 */
parley_code parley_listen_parse(const char *spec, char host[PARLEY_LISTEN_HOST_MAX + 1], uint16_t *port,
	parley_err *err) PARLEY_WUR;

/*
 * Bind and listen on every address host resolves to (getaddrinfo: a literal, or
 * a name such as localhost: 127.0.0.1 and ::1), each once, all on one port; with
 * port 0 the first gets a free port and the others the same. An address of a
 * family this machine lacks (::1 without IPv6) is skipped when another binds;
 * any other failure (in use, not permitted) fails the whole. IPv6 sockets are
 * IPv6-only, so [::] and 0.0.0.0 may both be bound. The sockets are
 * non-blocking and close-on-exec; *n of them in fds, *bound their port.
 */
parley_code parley_listen_open(const char *host, uint16_t port, int fds[PARLEY_LISTEN_MAX], size_t *n,
	uint16_t *bound, parley_err *err) PARLEY_WUR;

/* "127.0.0.1:8443" or "[::1]:8443": the address socket fd is bound to. */
void parley_listen_addr(int fd, char out[PARLEY_LISTEN_ADDR_MAX]);

/* Close what parley_listen_open opened. */
void parley_listen_close(int fds[], size_t n);

#endif
