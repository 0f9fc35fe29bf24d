/* test_auth.c - the nonce cache and the token buckets under floods of unknown keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "parley/auth.h"
#include "testutil.h"

static void keyhex(char out[9], uint32_t k)
{
	snprintf(out, 9, "%08x", k);
}

static void noncehex(char out[33], uint32_t key, uint32_t i)
{
	snprintf(out, 33, "%08x%08x%016x", i, key, 0u);
}

/* 100,000 unknown keys cannot take a member's bucket or leave a new member without one. */
static void test_ratelimit_flood(void **state)
{
	parley_ratelimit *rl;
	char k[9];
	uint64_t now = 1000000;
	(void)state;
	assert_int_equal(parley_ratelimit_new(10, &rl), PARLEY_OK);
	assert_true(parley_ratelimit_take(rl, "aaaaaaaa", now));
	for (uint32_t i = 0; i < 100000; i++) {
		keyhex(k, 0x10000000u + i * 7919u);
		assert_true(parley_ratelimit_take(rl, k, now + i / 1000)); /* every new key gets a bucket */
	}
	/* the member who was there before, and one who arrives after, are both served */
	assert_true(parley_ratelimit_take(rl, "aaaaaaaa", now + 200));
	assert_true(parley_ratelimit_take(rl, "bbbbbbbb", now + 200));
	/* and the rate still holds for a busy key: a burst of 2 * rate, then refusals */
	int ok = 0;
	for (int i = 0; i < 100; i++)
		ok += parley_ratelimit_take(rl, "cccccccc", now + 300);
	assert_int_equal(ok, 20);
	parley_ratelimit_free(rl);
}

/* One key filling the nonce cache fills only its share: others are not refused. */
static void test_nonce_flood(void **state)
{
	parley_nonce_cache *c;
	char n[33];
	uint64_t now = 5000000;
	size_t max = 1600, ok = 0;
	parley_code rc = PARLEY_OK;
	(void)state;
	assert_int_equal(parley_nonce_cache_new(max, &c), PARLEY_OK);
	for (uint32_t i = 0; i < max + 10; i++) {
		noncehex(n, 1, i);
		rc = parley_nonce_cache_add(c, "00000001", n, now);
		if (rc == PARLEY_OK)
			ok++;
	}
	assert_int_equal(rc, PARLEY_E_LIMIT);
	assert_int_equal(ok, max / PARLEY_NONCE_KEY_SHARE);
	for (uint32_t k = 2; k < 10; k++) {
		char key[9];
		keyhex(key, k);
		noncehex(n, k, 0);
		assert_int_equal(parley_nonce_cache_add(c, key, n, now), PARLEY_OK);
		assert_int_equal(parley_nonce_cache_add(c, key, n, now), PARLEY_E_VERIFY); /* replays still caught */
	}
	/* once its nonces expire the flooding key is served again */
	noncehex(n, 1, 99999);
	assert_int_equal(parley_nonce_cache_add(c, "00000001", n, now + 2 * PARLEY_AUTH_WINDOW_MS + 2), PARLEY_OK);
	parley_nonce_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratelimit_flood),
		cmocka_unit_test(test_nonce_flood),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
