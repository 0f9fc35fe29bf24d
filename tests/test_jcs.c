/* test_jcs.c - RFC 8785 canonical JSON and strict parsing. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include "testutil.h"
#include "parley/jcs.h"

static char *canon(const char *json)
{
	json_t *v = NULL;
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	char *out;
	if (parley_json_parse(json, strlen(json), 1 << 20, &v, &err))
		fail_msg("parse: %s", err.msg);
	if (parley_jcs(v, &b, &err))
		fail_msg("jcs: %s", err.msg);
	json_decref(v);
	out = strdup((char *)b.data);
	parley_buf_release(&b);
	return out;
}

/* RFC 8785 section 3.2.3: names sort by UTF-16 code units (the emoji before U+FB33). */
static void test_rfc8785_sorting(void **state)
{
	(void)state;
	char *s = canon("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\","
			"\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\","
			"\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\","
			"\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}");
	assert_string_equal(s, "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
			       "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
			       "\"\xe2\x82\xac\":\"Euro Sign\",\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
			       "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
	free(s);
}

/* RFC 8785 section 3.2.2.2: string escaping. */
static void test_rfc8785_strings(void **state)
{
	(void)state;
	char *s = canon("{\"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\"}");
	assert_string_equal(s, "{\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
	free(s);
}

static void test_whitespace_and_order(void **state)
{
	(void)state;
	char *a = canon("{ \"b\" : [1, 2, {\"z\":true, \"a\":null}], \"a\": -7 }");
	char *b = canon("{\"a\":-7,\"b\":[1,2,{\"a\":null,\"z\":true}]}");
	assert_string_equal(a, b);
	assert_string_equal(a, "{\"a\":-7,\"b\":[1,2,{\"a\":null,\"z\":true}]}");
	free(a);
	free(b);
}

static void test_refusals(void **state)
{
	(void)state;
	json_t *v = NULL;
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	const char *dup = "{\"a\":1,\"a\":2}";
	assert_int_equal(parley_json_parse(dup, strlen(dup), 100, &v, &err), PARLEY_E_FORMAT);
	assert_non_null(strstr(err.msg, "duplicate"));
	const char *trail = "{\"a\":1} x";
	assert_int_equal(parley_json_parse(trail, strlen(trail), 100, &v, &err), PARLEY_E_FORMAT);
	const char *nul = "{\"a\":\"x\\u0000y\"}";
	assert_int_equal(parley_json_parse(nul, strlen(nul), 100, &v, &err), PARLEY_E_FORMAT);
	assert_int_equal(parley_json_parse(dup, strlen(dup), 5, &v, &err), PARLEY_E_LIMIT);

	const char *real = "{\"a\":1.5}";
	assert_int_equal(parley_json_parse(real, strlen(real), 100, &v, &err), PARLEY_OK);
	assert_int_equal(parley_jcs(v, &b, &err), PARLEY_E_FORMAT);
	assert_non_null(strstr(err.msg, "floating"));
	json_decref(v);
	const char *big = "{\"a\":9007199254740992}";
	assert_int_equal(parley_json_parse(big, strlen(big), 100, &v, &err), PARLEY_OK);
	assert_int_equal(parley_jcs(v, &b, &err), PARLEY_E_FORMAT);
	json_decref(v);
	parley_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc8785_sorting),
		cmocka_unit_test(test_rfc8785_strings),
		cmocka_unit_test(test_whitespace_and_order),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
