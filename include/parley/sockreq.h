/*
 * sockreq.h - a request to a running node over HOME/node.sock ('parley run'): the
 * CLI forwards a command line and its environment there (docs/protocol.md,
 * "The node socket"). The daemon parses what it reads with these functions
 * before anything runs; the bytes come from another process of the same user
 * (checked with SO_PEERCRED), still treated as untrusted input.
 *
 * Wire form (host byte order: both ends are on this machine): five uint32
 * {magic "PRL1", payload length, argc, nenv, flags} sent with four descriptors
 * (stdin, stdout, stderr, working directory), then the payload: argc + nenv
 * NUL-terminated strings, exactly, the argument vector first.
 */
#ifndef PARLEY_SOCKREQ_H
#define PARLEY_SOCKREQ_H

#include <stddef.h>
#include <stdint.h>

#include "parley/err.h"

#define PARLEY_SOCKREQ_MAGIC 0x314c5250u /* "PRL1" */
#define PARLEY_SOCKREQ_HDR_WORDS 5
#define PARLEY_SOCKREQ_PAYLOAD_MAX ((uint32_t)1 << 20)
#define PARLEY_SOCKREQ_ARGC_MAX 4096u
#define PARLEY_SOCKREQ_ENV_MAX 65536u
/* flags: the CLI's global options */
#define PARLEY_SOCKREQ_QUIET 1u
#define PARLEY_SOCKREQ_LOCAL 2u
#define PARLEY_SOCKREQ_COLOR 4u

typedef struct parley_sockreq {
	uint32_t len, argc, nenv, flags; /* from the header (flags: only the known bits) */
	char **argv;                     /* argc strings and a NULL, pointing into the payload */
	char **env;                      /* nenv "NAME=value" strings and a NULL, likewise */
} parley_sockreq;

/*
 * Check a header: the magic, a payload of 1 to PARLEY_SOCKREQ_PAYLOAD_MAX bytes,
 * 1 to PARLEY_SOCKREQ_ARGC_MAX arguments, at most PARLEY_SOCKREQ_ENV_MAX
 * environment strings. Fills r's counts (argv and env NULL). PARLEY_E_FORMAT
 * naming what is wrong.
 */
parley_code parley_sockreq_header(const uint32_t hdr[PARLEY_SOCKREQ_HDR_WORDS], parley_sockreq *r, parley_err *err)
	PARLEY_WUR;

/*
 * Split the payload (pl, exactly r->len bytes, kept by the caller while r is
 * used): argc + nenv NUL-terminated strings exactly, the last byte a NUL, the
 * first argument (the command's name) not empty. Fills r->argv and r->env
 * (allocated; parley_sockreq_release frees them). PARLEY_E_FORMAT or
 * PARLEY_E_NOMEM.
 */
parley_code parley_sockreq_payload(parley_sockreq *r, char *pl, size_t len, parley_err *err) PARLEY_WUR;

void parley_sockreq_release(parley_sockreq *r);

#endif
