/* test_charter.c - charter building, canonical form, signatures and every refusal. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include "testutil.h"
#include "parley/jcs.h"

static parley_seckey *ka, *kb, *kc;

static int setup(void **state)
{
	(void)state;
	ka = tu_key("cert-a", 0xa1);
	kb = tu_key("cert-b", 0xb2);
	kc = tu_key("mallory", 0xcc);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	parley_seckey_free(ka);
	parley_seckey_free(kb);
	parley_seckey_free(kc);
	return 0;
}

/* A charter signed by both parties, as file text (caller frees). */
static char *signed_text(void)
{
	parley_charter *c = tu_charter(ka, kb);
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	assert_int_equal(parley_charter_sign(c, ka, &err), PARLEY_OK);
	assert_int_equal(parley_charter_sign(c, kb, &err), PARLEY_OK);
	assert_int_equal(parley_charter_write(c, &b, &err), PARLEY_OK);
	parley_charter_free(c);
	char *s = strdup((char *)b.data);
	parley_buf_release(&b);
	return s;
}

/* Parse then verify text; returns the first failing code and leaves the message in err. */
static parley_code parse_verify(const char *text, parley_err *err)
{
	parley_charter *c = NULL;
	parley_code rc = parley_charter_parse(text, strlen(text), &c, err);
	if (!rc)
		rc = parley_charter_verify(c, err);
	parley_charter_free(c);
	return rc;
}

static char *dump(json_t *doc)
{
	char *s = json_dumps(doc, JSON_INDENT(1));
	json_decref(doc);
	return s;
}

static json_t *load(const char *text)
{
	json_t *doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	return doc;
}

static void test_sign_verify(void **state)
{
	(void)state;
	parley_charter *c = tu_charter(ka, kb);
	parley_err err = { 0 };

	assert_int_equal(parley_charter_verify(c, &err), PARLEY_E_VERIFY);
	assert_string_equal(err.msg, "not signed by cert-a, cert-b");
	assert_int_equal(parley_charter_sign(c, ka, &err), PARLEY_OK);
	assert_int_equal(parley_charter_count_valid_sigs(c), 1);
	assert_int_equal(parley_charter_verify(c, &err), PARLEY_E_VERIFY);
	assert_string_equal(err.msg, "not signed by cert-b");
	assert_int_equal(parley_charter_sign(c, kb, &err), PARLEY_OK);
	/* signing again replaces, not duplicates */
	assert_int_equal(parley_charter_sign(c, kb, &err), PARLEY_OK);
	assert_int_equal(parley_charter_verify(c, &err), PARLEY_OK);
	assert_int_equal(parley_charter_count_valid_sigs(c), 2);

	/* the id is SHA-256 of the canonical body */
	uint8_t h[32];
	const parley_buf *cb = parley_charter_canonical(c);
	parley_sha256(h, cb->data, cb->len);
	assert_memory_equal(h, parley_charter_id(c), 32);
	assert_int_equal(parley_charter_sign(c, kc, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "not a party"));
	parley_charter_free(c);
}

static void test_wrong_key_same_name(void **state)
{
	(void)state;
	parley_charter *c = tu_charter(ka, kb);
	parley_seckey *imposter = tu_key("cert-a", 0x55);
	parley_err err = { 0 };
	assert_int_equal(parley_charter_sign(c, imposter, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "not the one the charter lists"));
	parley_seckey_free(imposter);
	parley_charter_free(c);
}

static void test_roundtrip_order_whitespace(void **state)
{
	(void)state;
	char *t = signed_text();
	parley_charter *c1 = NULL, *c2 = NULL;
	parley_err err = { 0 };
	/* re-serialise compactly with sorted keys: same id, signatures still verify */
	json_t *doc = load(t);
	char *t2 = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	assert_int_equal(parley_charter_parse(t, strlen(t), &c1, &err), PARLEY_OK);
	assert_int_equal(parley_charter_parse(t2, strlen(t2), &c2, &err), PARLEY_OK);
	assert_memory_equal(parley_charter_id(c1), parley_charter_id(c2), 32);
	assert_int_equal(parley_charter_verify(c2, &err), PARLEY_OK);
	assert_string_equal(parley_charter_title(c2), "test hotline");
	assert_true(parley_charter_allows_category(c2, "ip-theft"));
	assert_false(parley_charter_allows_category(c2, "espionage"));
	assert_int_equal(parley_charter_deadline(c2, PARLEY_T_NOTIFICATION).acknowledge, PARLEY_DEFAULT_ACK);
	assert_int_equal(parley_charter_deadline(c2, PARLEY_T_NOTIFICATION).respond, PARLEY_DEFAULT_RESPOND);
	assert_int_equal(parley_charter_deadline(c2, PARLEY_T_ACK).acknowledge, 0);
	assert_non_null(parley_charter_party_by_keyid(c2, kb->pub.keyid));
	assert_null(parley_charter_party_by_keyid(c2, kc->pub.keyid));
	parley_charter_free(c1);
	parley_charter_free(c2);
	free(t);
	free(t2);
}

/* Change one body field of a signed charter: parsing may pass, verification must not. */
static void tamper_body(const char *path, json_t *value, const char *why)
{
	char *t = signed_text();
	json_t *doc = load(t), *o = json_object_get(doc, "charter");
	char buf[128], *key, *next;
	parley_err err = { 0 };

	snprintf(buf, sizeof(buf), "%s", path);
	key = buf;
	/* walk a dotted path; numeric parts index arrays */
	while ((next = strchr(key, '.'))) {
		*next = 0;
		o = json_is_array(o) ? json_array_get(o, strtoul(key, NULL, 10)) : json_object_get(o, key);
		assert_non_null(o);
		key = next + 1;
	}
	if (json_is_array(o))
		json_array_set_new(o, strtoul(key, NULL, 10), value);
	else
		json_object_set_new(o, key, value);
	char *t2 = dump(doc);
	parley_code rc = parse_verify(t2, &err);
	if (rc == PARLEY_OK)
		fail_msg("tampering with %s (%s) went unnoticed", path, why);
	free(t);
	free(t2);
}

static void test_changed_after_signing(void **state)
{
	(void)state;
	tamper_body("title", json_string("another title"), "title");
	tamper_body("tlp", json_string("red"), "tlp");
	tamper_body("valid_until", json_string("2099-01-01T00:00:00Z"), "validity");
	tamper_body("scope.categories.1.name", json_string("espionage"), "scope");
	tamper_body("deadlines.notification.acknowledge", json_integer(999999), "deadline");
	tamper_body("psi.max_set", json_integer(5000000), "psi");
	tamper_body("escalation.0", json_string("nobody"), "ladder");
	tamper_body("parties.1.role", json_string("auditor"), "role");

	/* swapping a party's sealing key for the attacker's */
	char seal[64];
	parley_b64(seal, kc->pub.seal_pk, 32);
	tamper_body("parties.1.seal", json_string(seal), "sealing key");

	/* the exact message for a changed title */
	char *t = signed_text();
	json_t *doc = load(t);
	json_object_set_new(json_object_get(doc, "charter"), "title", json_string("x"));
	char *t2 = dump(doc);
	parley_err err = { 0 };
	assert_int_equal(parse_verify(t2, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "signature by 'cert-a' does not verify"));
	free(t);
	free(t2);
}

static void test_signature_list_refusals(void **state)
{
	(void)state;
	char *t = signed_text();
	parley_err err = { 0 };
	json_t *doc, *sigs;
	char *t2;

	/* missing */
	doc = load(t);
	json_array_remove(json_object_get(doc, "signatures"), 1);
	t2 = dump(doc);
	assert_int_equal(parse_verify(t2, &err), PARLEY_E_VERIFY);
	assert_string_equal(err.msg, "not signed by cert-b");
	free(t2);

	/* duplicated */
	doc = load(t);
	sigs = json_object_get(doc, "signatures");
	json_array_append_new(sigs, json_deep_copy(json_array_get(sigs, 0)));
	t2 = dump(doc);
	assert_int_equal(parse_verify(t2, &err), PARLEY_E_VERIFY);
	assert_string_equal(err.msg, "two signatures by 'cert-a'");
	free(t2);

	/* extra, by someone not listed */
	doc = load(t);
	sigs = json_object_get(doc, "signatures");
	json_array_append_new(sigs, json_pack("{s:s,s:s}", "name", "mallory", "sig",
					    json_string_value(json_object_get(json_array_get(sigs, 0), "sig"))));
	t2 = dump(doc);
	assert_int_equal(parse_verify(t2, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "'mallory', who is not listed"));
	free(t2);

	/* one party's signature under the other's name */
	doc = load(t);
	sigs = json_object_get(doc, "signatures");
	json_object_set(json_array_get(sigs, 1), "sig", json_object_get(json_array_get(sigs, 0), "sig"));
	t2 = dump(doc);
	assert_int_equal(parse_verify(t2, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "'cert-b' does not verify"));
	free(t2);

	/* not base64 / wrong length */
	doc = load(t);
	json_object_set_new(json_array_get(json_object_get(doc, "signatures"), 0), "sig", json_string("AAAA"));
	t2 = dump(doc);
	assert_int_equal(parse_verify(t2, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "not base64"));
	free(t2);

	/* extra field in a signature */
	doc = load(t);
	json_object_set_new(json_array_get(json_object_get(doc, "signatures"), 0), "when", json_integer(1));
	t2 = dump(doc);
	assert_int_equal(parse_verify(t2, &err), PARLEY_E_FORMAT);
	assert_non_null(strstr(err.msg, "unknown field 'when'"));
	free(t2);
	free(t);
}

static void expect_format(const char *text, const char *needle)
{
	parley_err err = { 0 };
	parley_charter *c = NULL;
	parley_code rc = parley_charter_parse(text, strlen(text), &c, &err);
	if (rc == PARLEY_OK)
		fail_msg("accepted, expected an error containing '%s'", needle);
	if (!strstr(err.msg, needle))
		fail_msg("error '%s' does not contain '%s'", err.msg, needle);
	assert_null(c);
}

static void test_structure_refusals(void **state)
{
	(void)state;
	char *t = signed_text(), *t2;
	json_t *doc;

	doc = load(t);
	json_object_set_new(json_object_get(doc, "charter"), "secret_clause", json_true());
	t2 = dump(doc);
	expect_format(t2, "unknown field 'secret_clause'");
	free(t2);

	doc = load(t);
	json_object_set_new(json_array_get(json_object_get(json_object_get(doc, "charter"), "parties"), 0),
		"email", json_string("x@example.org"));
	t2 = dump(doc);
	expect_format(t2, "charter.parties[0]: unknown field 'email'");
	free(t2);

	doc = load(t);
	json_object_set_new(doc, "comment", json_string("hi"));
	t2 = dump(doc);
	expect_format(t2, "unknown field 'comment'");
	free(t2);

	/* a party listed twice */
	doc = load(t);
	json_t *parties = json_object_get(json_object_get(doc, "charter"), "parties");
	json_array_append_new(parties, json_deep_copy(json_array_get(parties, 0)));
	t2 = dump(doc);
	expect_format(t2, "listed twice");
	free(t2);

	/* a key that does not parse */
	doc = load(t);
	json_object_set_new(json_array_get(json_object_get(json_object_get(doc, "charter"), "parties"), 1),
		"sign", json_string("cert-b+12345678+AAAA"));
	t2 = dump(doc);
	expect_format(t2, "charter.parties[1].sign");
	free(t2);

	/* a missing field */
	doc = load(t);
	json_object_del(json_object_get(doc, "charter"), "tlp");
	t2 = dump(doc);
	expect_format(t2, "missing field 'tlp'");
	free(t2);

	/* floating point */
	doc = load(t);
	json_object_set_new(json_object_get(json_object_get(doc, "charter"), "psi"), "max_set", json_real(10.5));
	t2 = dump(doc);
	expect_format(t2, "charter.psi.max_set: must be an integer");
	free(t2);

	/* deadlines for a type that does not open a thread */
	doc = load(t);
	json_object_set_new(json_object_get(json_object_get(doc, "charter"), "deadlines"), "receipt",
		json_pack("{s:i,s:i}", "acknowledge", 1, "respond", 1));
	t2 = dump(doc);
	expect_format(t2, "only for types that open a thread");
	free(t2);
	/* a ping has one deadline, to be answered: no acknowledge */
	doc = load(t);
	json_object_set_new(json_object_get(json_object_get(doc, "charter"), "deadlines"), "ping",
		json_pack("{s:i,s:i}", "acknowledge", 1, "respond", 1));
	t2 = dump(doc);
	expect_format(t2, "charter.deadlines.ping: unknown field 'acknowledge'");
	free(t2);

	/* duplicate JSON keys in the text */
	char *dupl = strdup(t);
	char *title = strstr(dupl, "\"title\"");
	assert_non_null(title);
	memcpy(title, "\"tlp\"  ", 7);
	expect_format(dupl, "duplicate");
	free(dupl);

	expect_format("", "JSON");
	expect_format("[]", "must be an object");
	expect_format("{\"charter\": {}, \"signatures\": []}", "missing field");
	free(t);
}

static void test_set_relay(void **state)
{
	(void)state;
	parley_charter *c = tu_charter(ka, kb);
	parley_seckey *relay = tu_key("relay", 0x77);
	parley_err err = { 0 };
	const char *url = NULL;
	uint8_t before[32];

	memcpy(before, parley_charter_id(c), 32);
	assert_null(parley_charter_relay(c, NULL));
	assert_int_equal(parley_charter_set_relay(c, "ftp://x", &relay->pub, &err), PARLEY_E_FORMAT);
	assert_null(parley_charter_relay(c, NULL));
	assert_int_equal(parley_charter_set_relay(c, "http://127.0.0.1:9", &relay->pub, &err), PARLEY_OK);
	assert_non_null(parley_charter_relay(c, &url));
	assert_string_equal(url, "http://127.0.0.1:9");
	assert_memory_not_equal(before, parley_charter_id(c), 32);
	/* the relay cannot share a party's key */
	assert_int_equal(parley_charter_set_relay(c, "http://127.0.0.1:9", &ka->pub, &err), PARLEY_E_FORMAT);
	assert_int_equal(parley_charter_sign(c, ka, &err), PARLEY_OK);
	assert_int_equal(parley_charter_set_relay(c, "http://127.0.0.1:10", &relay->pub, &err), PARLEY_E_USAGE);
	parley_seckey_free(relay);
	parley_charter_free(c);
}

/* unreadable (16) comes with receipt without being listed; listed alone, it stands alone. */
static void test_unreadable_type(void **state)
{
	(void)state;
	parley_charter *c = tu_charter(ka, kb), *c2 = NULL;
	parley_party parties[2];
	const char *cats[] = { "ip-theft" };
	parley_charter_spec sp;
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };

	assert_string_equal(parley_type_name(PARLEY_T_UNREADABLE), "unreadable");
	assert_int_equal(parley_type_from_name("unreadable"), PARLEY_T_UNREADABLE);
	assert_null(parley_type_name(PARLEY_TYPE_MAX + 1));
	assert_true(parley_charter_allows_type(c, PARLEY_T_RECEIPT));
	assert_true(parley_charter_allows_type(c, PARLEY_T_UNREADABLE));
	assert_null(strstr((const char *)parley_charter_canonical(c)->data, "unreadable"));
	parley_charter_free(c);

	memset(&sp, 0, sizeof(sp));
	parties[0].key = ka->pub;
	parties[0].role = PARLEY_ROLE_PARTY;
	parties[1].key = kb->pub;
	parties[1].role = PARLEY_ROLE_PARTY;
	sp.title = "no receipts";
	sp.parties = parties;
	sp.nparties = 2;
	sp.categories = cats;
	sp.ncategories = 1;
	sp.tlp = -1;
	sp.types = 1u << PARLEY_T_NOTIFICATION | 1u << PARLEY_T_ACK;
	assert_int_equal(parley_charter_new(&sp, &c, &err), PARLEY_OK);
	assert_false(parley_charter_allows_type(c, PARLEY_T_RECEIPT));
	assert_false(parley_charter_allows_type(c, PARLEY_T_UNREADABLE));
	parley_charter_free(c);

	sp.types = 1u << PARLEY_T_NOTIFICATION | 1u << PARLEY_T_UNREADABLE;
	assert_int_equal(parley_charter_new(&sp, &c, &err), PARLEY_OK);
	assert_false(parley_charter_allows_type(c, PARLEY_T_RECEIPT));
	assert_true(parley_charter_allows_type(c, PARLEY_T_UNREADABLE));
	assert_int_equal(parley_charter_write(c, &b, &err), PARLEY_OK);
	assert_int_equal(parley_charter_parse((const char *)b.data, b.len, &c2, &err), PARLEY_OK);
	assert_true(parley_charter_allows_type(c2, PARLEY_T_UNREADABLE));
	assert_non_null(strstr((const char *)parley_charter_canonical(c2)->data, "\"unreadable\""));
	parley_charter_free(c);
	parley_charter_free(c2);
	parley_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_wrong_key_same_name),
		cmocka_unit_test(test_roundtrip_order_whitespace),
		cmocka_unit_test(test_changed_after_signing),
		cmocka_unit_test(test_signature_list_refusals),
		cmocka_unit_test(test_structure_refusals),
		cmocka_unit_test(test_set_relay),
		cmocka_unit_test(test_unreadable_type),
	};
	if (parley_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
