/* listen.c - listening addresses: parse "HOST:PORT" / "[IPv6]:PORT", resolve, bind every address. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "parley/listen.h"
#include "banned.h"

#define SPEC_MAX (PARLEY_LISTEN_HOST_MAX + 16)

/* A printable rendering of a hostile spec for an error message: at most 80 bytes, odd bytes as '?'. */
static void shown(const char *s, char out[84])
{
	size_t i;
	for (i = 0; s[i] && i < 80; i++)
		out[i] = (s[i] > 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i])
		memcpy(out + i - 3, "...", 3);
	out[i] = 0;
}

static bool parse_port(const char *p, uint16_t *port)
{
	unsigned v = 0;
	size_t i;
	for (i = 0; p[i]; i++) {
		if (p[i] < '0' || p[i] > '9' || i >= 5)
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (i == 0 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* A host name or IPv4 literal: labels of letters, digits, '-' and '_', 1..63 bytes, dot-separated. */
static const char *bad_name(const char *h)
{
	size_t label = 0;
	for (const char *c = h; *c; c++) {
		if (*c == '.') {
			if (label == 0)
				return "an empty label";
			label = 0;
			continue;
		}
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' ||
			    *c == '_'))
			return "a byte a host name cannot hold";
		if (++label > 63)
			return "a label longer than 63 bytes";
	}
	return NULL;
}

parley_code parley_listen_parse(const char *spec, char host[PARLEY_LISTEN_HOST_MAX + 1], uint16_t *port,
	parley_err *err)
{
	char s[84];
	const char *colon, *why;
	size_t hl, len;

	if (!spec || !*spec)
		return parley_fail(err, PARLEY_E_FORMAT, "no listening address: give HOST:PORT, e.g. 127.0.0.1:8443");
	len = strnlen(spec, SPEC_MAX + 1);
	shown(spec, s);
	if (len > SPEC_MAX)
		return parley_fail(err, PARLEY_E_FORMAT, "listening address '%s': too long", s);
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');
		struct in6_addr a6;
		char lit[PARLEY_LISTEN_HOST_MAX + 1];
		if (!rb)
			return parley_fail(err, PARLEY_E_FORMAT, "listening address '%s': no ']' after the IPv6 address", s);
		hl = (size_t)(rb - spec - 1);
		if (rb[1] != ':')
			return parley_fail(err, PARLEY_E_FORMAT,
				"listening address '%s': no port after ']' (give [IPv6]:PORT, e.g. [::1]:8443)", s);
		if (hl == 0 || hl > PARLEY_LISTEN_HOST_MAX)
			return parley_fail(err, PARLEY_E_FORMAT, "listening address '%s': no IPv6 address in the brackets", s);
		memcpy(lit, spec + 1, hl);
		lit[hl] = 0;
		{ /* an IPv6 literal, with an optional %scope (fe80::1%eth0) */
			char *pct = strchr(lit, '%');
			if (pct && (pct[1] == 0 || bad_name(pct + 1) || strchr(pct + 1, '.')))
				return parley_fail(err, PARLEY_E_FORMAT, "listening address '%s': a bad scope after '%%'", s);
			if (pct)
				*pct = 0;
			if (inet_pton(AF_INET6, lit, &a6) != 1)
				return parley_fail(err, PARLEY_E_FORMAT, "listening address '%s': not an IPv6 address in the brackets",
					s);
		}
		memcpy(host, spec + 1, hl);
		host[hl] = 0;
		colon = rb + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon)
			return parley_fail(err, PARLEY_E_FORMAT, "listening address '%s': no port (give HOST:PORT, e.g. 127.0.0.1:8443)",
				s);
		if (memchr(spec, ':', (size_t)(colon - spec)))
			return parley_fail(err, PARLEY_E_FORMAT,
				"listening address '%s': an IPv6 address goes in brackets, e.g. [::1]:8443", s);
		hl = (size_t)(colon - spec);
		if (hl == 0)
			return parley_fail(err, PARLEY_E_FORMAT,
				"listening address '%s': no host (0.0.0.0:PORT is every IPv4 address, [::]:PORT every IPv6 one)", s);
		if (hl > PARLEY_LISTEN_HOST_MAX)
			return parley_fail(err, PARLEY_E_FORMAT, "listening address '%s': the host name is too long", s);
		memcpy(host, spec, hl);
		host[hl] = 0;
		if ((why = bad_name(host))) {
			host[0] = 0;
			return parley_fail(err, PARLEY_E_FORMAT, "listening address '%s': not a host name or IPv4 address (%s)", s,
				why);
		}
	}
	if (!parse_port(colon + 1, port)) {
		host[0] = 0;
		return parley_fail(err, PARLEY_E_FORMAT, "listening address '%s': the port must be a number from 0 to 65535",
			s);
	}
	return PARLEY_OK;
}

void parley_listen_close(int fds[], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

static void set_port(struct sockaddr *sa, uint16_t port)
{
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)(void *)sa)->sin_port = htons(port);
	else if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)sa)->sin6_port = htons(port);
}

static uint16_t get_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)(void *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
	return 0;
}

void parley_listen_addr(int fd, char out[PARLEY_LISTEN_ADDR_MAX])
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char a[INET6_ADDRSTRLEN] = "?";

	snprintf(out, PARLEY_LISTEN_ADDR_MAX, "?");
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)&ss)->sin_addr, a, sizeof(a));
		snprintf(out, PARLEY_LISTEN_ADDR_MAX, "%s:%u", a, get_port(fd));
	} else if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)&ss)->sin6_addr, a, sizeof(a));
		snprintf(out, PARLEY_LISTEN_ADDR_MAX, "[%s]:%u", a, get_port(fd));
	}
}

/* One socket bound to sa and listening; -1 with errno set. */
static int open_one(const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(sa->sa_family, SOCK_STREAM, 0), one = 1, e, fl;
	if (fd < 0)
		return -1;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || (fl = fcntl(fd, F_GETFL)) < 0 ||
		fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
		(sa->sa_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
		bind(fd, sa, len) != 0 || listen(fd, SOMAXCONN) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

parley_code parley_listen_open(const char *host, uint16_t port, int fds[PARLEY_LISTEN_MAX], size_t *n,
	uint16_t *bound, parley_err *err)
{
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage addrs[PARLEY_LISTEN_MAX];
	socklen_t lens[PARLEY_LISTEN_MAX];
	size_t na = 0;
	char shownhost[84], portstr[8];
	int g;

	*n = 0;
	*bound = 0;
	for (size_t i = 0; i < PARLEY_LISTEN_MAX; i++)
		fds[i] = -1;
	if (!host)
		host = "127.0.0.1";
	shown(host, shownhost);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(portstr, sizeof(portstr), "%u", port);
	if ((g = getaddrinfo(host, portstr, &hints, &res)) != 0)
		return parley_fail(err, PARLEY_E_NOTFOUND, "%s: does not resolve: %s", shownhost,
			g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		bool same = false;
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) || ai->ai_addrlen > sizeof(addrs[0]))
			continue;
		for (size_t i = 0; i < na && !same; i++)
			same = lens[i] == ai->ai_addrlen && memcmp(&addrs[i], ai->ai_addr, ai->ai_addrlen) == 0;
		if (same)
			continue;
		if (na == PARLEY_LISTEN_MAX) {
			freeaddrinfo(res);
			return parley_fail(err, PARLEY_E_LIMIT, "%s: resolves to more than %d addresses; give one of them",
				shownhost, PARLEY_LISTEN_MAX);
		}
		memcpy(&addrs[na], ai->ai_addr, ai->ai_addrlen);
		lens[na++] = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	if (na == 0)
		return parley_fail(err, PARLEY_E_NOTFOUND, "%s: resolves to no IPv4 or IPv6 address", shownhost);
	/* port 0: the first address picks a free port and the others take the same (retried if one is taken there) */
	for (int attempt = 0; attempt < 16; attempt++) {
		uint16_t p = port;
		int e = 0;
		size_t k = 0, missing = 0;
		const struct sockaddr *failed = NULL;
		for (size_t i = 0; i < na; i++) {
			int fd;
			set_port((struct sockaddr *)&addrs[i], p);
			if ((fd = open_one((struct sockaddr *)&addrs[i], lens[i])) < 0) {
				/* a family or address this machine lacks: skipped when another binds */
				if (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL || errno == EPROTONOSUPPORT) {
					if (!failed) {
						failed = (struct sockaddr *)&addrs[i];
						e = errno;
					}
					missing++;
					continue;
				}
				e = errno;
				failed = (struct sockaddr *)&addrs[i];
				parley_listen_close(fds, k);
				k = 0;
				break;
			}
			fds[k++] = fd;
			if (p == 0)
				p = get_port(fd);
		}
		if (k > 0 && k + missing == na) {
			*n = k;
			*bound = p;
			return PARLEY_OK;
		}
		if (port == 0 && e == EADDRINUSE && attempt < 15)
			continue;
		{
			char a[INET6_ADDRSTRLEN] = "?";
			if (failed && failed->sa_family == AF_INET)
				inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)failed)->sin_addr, a, sizeof(a));
			else if (failed)
				inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)failed)->sin6_addr, a, sizeof(a));
			return parley_fail(err, PARLEY_E_IO, "cannot listen on %s%s%s%s port %u: %s", shownhost,
				strcmp(a, shownhost) ? " (" : "", strcmp(a, shownhost) ? a : "", strcmp(a, shownhost) ? ")" : "",
				p ? p : port, strerror(e));
		}
	}
	return parley_fail(err, PARLEY_E_IO, "cannot listen on %s: no port free on all its addresses", shownhost);
}
