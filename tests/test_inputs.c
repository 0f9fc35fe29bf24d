/* test_inputs.c - parsers of local input: a request on HOME/node.sock, the relay's open-channels allowlist. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "parley/util.h"
#include "parley/relay.h"
#include "parley/sockreq.h"

static parley_code header(uint32_t len, uint32_t argc, uint32_t nenv, parley_sockreq *rq, parley_err *err)
{
	uint32_t h[PARLEY_SOCKREQ_HDR_WORDS] = { PARLEY_SOCKREQ_MAGIC, len, argc, nenv, 0xffffffffu };
	return parley_sockreq_header(h, rq, err);
}

static void test_sockreq(void **state)
{
	(void)state;
	parley_sockreq rq;
	parley_err err = { 0 };
	char ok[] = "notify\0--to\0cert-b\0LANG=C\0HOME=/h"; /* and the literal's own NUL */
	uint32_t bad[PARLEY_SOCKREQ_HDR_WORDS] = { 0x314c5251u, 7, 1, 0, 0 };

	assert_int_equal(header(sizeof(ok), 3, 2, &rq, &err), PARLEY_OK);
	assert_int_equal(rq.flags, PARLEY_SOCKREQ_QUIET | PARLEY_SOCKREQ_LOCAL | PARLEY_SOCKREQ_COLOR);
	assert_int_equal(parley_sockreq_payload(&rq, ok, sizeof(ok), &err), PARLEY_OK);
	assert_string_equal(rq.argv[0], "notify");
	assert_string_equal(rq.argv[2], "cert-b");
	assert_null(rq.argv[3]);
	assert_string_equal(rq.env[1], "HOME=/h");
	assert_null(rq.env[2]);
	parley_sockreq_release(&rq);

	assert_int_equal(parley_sockreq_header(bad, &rq, &err), PARLEY_E_FORMAT);
	assert_non_null(strstr(err.msg, "bad magic"));
	assert_int_equal(header(0, 1, 0, &rq, &err), PARLEY_E_FORMAT);
	assert_int_equal(header(PARLEY_SOCKREQ_PAYLOAD_MAX + 1, 1, 0, &rq, &err), PARLEY_E_FORMAT);
	assert_int_equal(header(7, 0, 0, &rq, &err), PARLEY_E_FORMAT);
	assert_int_equal(header(7, PARLEY_SOCKREQ_ARGC_MAX + 1, 0, &rq, &err), PARLEY_E_FORMAT);
	assert_int_equal(header(7, 1, PARLEY_SOCKREQ_ENV_MAX + 1, &rq, &err), PARLEY_E_FORMAT);

	/* counts that do not agree with the payload, no final NUL, an empty command, a short read */
	assert_int_equal(header(sizeof(ok), 3, 3, &rq, &err), PARLEY_OK);
	assert_int_equal(parley_sockreq_payload(&rq, ok, sizeof(ok), &err), PARLEY_E_FORMAT);
	assert_non_null(strstr(err.msg, "5 strings, the header says 3 + 3"));
	assert_null(rq.argv);
	assert_int_equal(header(sizeof(ok) - 1, 3, 1, &rq, &err), PARLEY_OK);
	assert_int_equal(parley_sockreq_payload(&rq, ok, sizeof(ok) - 1, &err), PARLEY_E_FORMAT);
	assert_non_null(strstr(err.msg, "does not end with a NUL"));
	char empty[] = "\0x=1";
	assert_int_equal(header(sizeof(empty), 1, 1, &rq, &err), PARLEY_OK);
	assert_int_equal(parley_sockreq_payload(&rq, empty, sizeof(empty), &err), PARLEY_E_FORMAT);
	assert_non_null(strstr(err.msg, "empty command name"));
	assert_int_equal(header(100, 3, 2, &rq, &err), PARLEY_OK);
	assert_int_equal(parley_sockreq_payload(&rq, ok, sizeof(ok), &err), PARLEY_E_FORMAT);
}

static void test_allowlist(void **state)
{
	(void)state;
	uint8_t (*a)[33] = NULL;
	size_t n = 99;
	parley_err err = { 0 };
	char text[600];
	const char *id = "a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3";
	const char *vkey = "cert-a+b603c53b+Ac9jJdC1Xw8aS0wu3v3qntPESNWlRGNpAcMsa/+cyXDo";

	snprintf(text, sizeof(text), "# who may open\n\n  %s \t\r\nsign %s\n%s", id, vkey, vkey);
	assert_int_equal(parley_relay_allowlist_parse((const uint8_t *)text, strlen(text), "allow.txt", &a, &n, &err),
		PARLEY_OK);
	assert_int_equal(n, 3);
	assert_int_equal(a[0][0], 'c');
	assert_int_equal(a[0][1], 0xa3);
	assert_int_equal(a[1][0], 'k');
	assert_memory_equal(a[1], a[2], 33);
	free(a);

	/* empty: a list nobody is on, not "anyone" */
	assert_int_equal(parley_relay_allowlist_parse((const uint8_t *)"# nobody\n", 9, "allow.txt", &a, &n, &err),
		PARLEY_OK);
	assert_non_null(a);
	assert_int_equal(n, 0);
	free(a);

	snprintf(text, sizeof(text), "%s\n# fine\nnot a key\n", id);
	assert_int_equal(parley_relay_allowlist_parse((const uint8_t *)text, strlen(text), "allow.txt", &a, &n, &err),
		PARLEY_E_FORMAT);
	assert_non_null(strstr(err.msg, "allow.txt:3: neither a charter id"));
	assert_null(a);
	assert_int_equal(n, 0);

	/* a NUL byte used to end the list there, silently dropping what followed */
	snprintf(text, sizeof(text), "%s\n", id);
	size_t k = strlen(text);
	text[k++] = 0;
	memcpy(text + k, vkey, strlen(vkey));
	k += strlen(vkey);
	assert_int_equal(parley_relay_allowlist_parse((const uint8_t *)text, k, "allow.txt", &a, &n, &err),
		PARLEY_E_FORMAT);
	assert_non_null(strstr(err.msg, "a NUL byte at offset 65"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sockreq),
		cmocka_unit_test(test_allowlist),
	};
	if (parley_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
