/* relaytest.h - a fixture for tests that drive real 'parley serve' processes with many parties. */
#ifndef PARLEY_RELAYTEST_H
#define PARLEY_RELAYTEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "parley/charter.h"
#include "parley/crypto.h"
#include "parley/note.h"

#define RT_MAX_PARTIES 64

struct rt {
	parley_seckey *keys[RT_MAX_PARTIES];
	int nkeys;
	parley_seckey *relay_key;
	parley_charter *charter;
	char base[64], chan[65], dir[64];
	const char *parley; /* the binary, from $PARLEY */
	unsigned port;
	pid_t pid;
	const char *opt2, *val2; /* a second option pair for rt_start, or NULL */
	const char *db;          /* the relay's --db; NULL: relay.db in dir */
};

/* Print and exit 1. */
void rt_die(const char *what, const char *detail);
/* Keys for n parties and the relay, a signed charter naming the relay, a scratch directory. */
void rt_setup(struct rt *t, int n, const char *category);
/* Start the relay (with "--rate 0" and the given extra argument pair, or none) and wait until it answers. */
void rt_start(struct rt *t, const char *opt, const char *val);
/* Open the channel on the relay. */
void rt_open_channel(struct rt *t);
/* The relay's current RSS in KiB (from /proc). */
long rt_rss_kib(const struct rt *t);
/*
 * Fetch every entry and the latest checkpoint, and check that the checkpoint
 * verifies and the entries hash to its root. Returns the number of entries;
 * the caller frees (*entries)[i], *entries and *lens (NULL pointers to skip).
 */
size_t rt_fetch_verified(struct rt *t, uint8_t ***entries, size_t **lens);
/* Stop the relay (SIGTERM) and free everything. */
void rt_teardown(struct rt *t);

#endif
