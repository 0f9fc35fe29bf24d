/* testutil.h - fixtures shared by the unit tests: fixed-seed keys and a small charter. */
#ifndef PARLEY_TESTUTIL_H
#define PARLEY_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "parley/charter.h"
#include "parley/crypto.h"
#include "parley/util.h"

/* A key whose seed is every byte = fill. */
static inline parley_seckey *tu_key(const char *name, uint8_t fill)
{
	uint8_t seed[PARLEY_SEED_LEN];
	parley_seckey *k = NULL;
	memset(seed, fill, sizeof(seed));
	assert_int_equal(parley_seckey_from_seed(name, seed, &k, NULL), PARLEY_OK);
	return k;
}

/* A two-party (plus optional auditor) charter with fixed validity, unsigned. */
static inline parley_charter *tu_charter(parley_seckey *a, parley_seckey *b)
{
	parley_party parties[2];
	const char *cats[] = { "election-infrastructure", "ip-theft" };
	parley_charter_spec sp;
	parley_charter *c = NULL;
	parley_err err = { 0 };

	memset(&sp, 0, sizeof(sp));
	parties[0].key = a->pub;
	parties[0].role = PARLEY_ROLE_PARTY;
	parties[1].key = b->pub;
	parties[1].role = PARLEY_ROLE_PARTY;
	sp.title = "test hotline";
	sp.parties = parties;
	sp.nparties = 2;
	sp.categories = cats;
	sp.ncategories = 2;
	sp.tlp = -1;
	sp.valid_from = 1798761600;  /* 2027-01-01 */
	sp.valid_until = 1830297600; /* 2028-01-01 */
	if (parley_charter_new(&sp, &c, &err))
		fail_msg("charter: %s", err.msg);
	return c;
}

#endif
