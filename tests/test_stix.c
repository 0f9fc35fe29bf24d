/* test_stix.c - STIX 2.1 validation: bundles, objects, required properties, TLP markings, patterns. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include "testutil.h"
#include "parley/stix.h"

static json_t *load(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);
	assert_non_null(j);
	return j;
}

#define IND(extra)                                                                                          \
	"{\"type\":\"bundle\",\"id\":\"bundle--6b4c7d2e-3f1a-4e5b-9c8d-0a1b2c3d4e5f\",\"objects\":[{"     \
	"\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\"," \
	"\"created\":\"2026-11-27T06:00:00.000Z\",\"modified\":\"2026-11-27T06:00:00.000Z\"," extra "}]}"

static void expect(const char *doc, const char *needle)
{
	json_t *j = load(doc);
	parley_err err = { 0 };
	parley_code rc = parley_stix_validate(j, &err);
	json_decref(j);
	if (!needle) {
		if (rc)
			fail_msg("refused: %s", err.msg);
		return;
	}
	if (rc == PARLEY_OK)
		fail_msg("accepted, wanted an error with '%s'", needle);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' lacks '%s'", err.msg, needle);
}

static void test_indicator(void **state)
{
	(void)state;
	expect(IND("\"pattern\":\"[ipv4-addr:value = '198.51.100.7']\",\"pattern_type\":\"stix\",\"valid_from\":\"2026-11-27T06:00:00Z\""),
		NULL);
	expect(IND("\"pattern_type\":\"stix\",\"valid_from\":\"2026-11-27T06:00:00Z\""),
		"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: missing required property 'pattern'");
	expect(IND("\"pattern\":\"[ipv4-addr:value = '1.2.3.4']\",\"pattern_type\":\"stix\",\"valid_from\":\"yesterday\""),
		"'valid_from' must be a STIX timestamp");
	expect(IND("\"pattern\":\"[ipv4-addr:value = '1.2.3.4'\",\"pattern_type\":\"stix\",\"valid_from\":\"2026-11-27T06:00:00Z\""),
		"pattern: expected ']'");
	/* a non-STIX pattern language is not parsed */
	expect(IND("\"pattern\":\"alert tcp any any\",\"pattern_type\":\"snort\",\"valid_from\":\"2026-11-27T06:00:00Z\""), NULL);
}

static void test_patterns(void **state)
{
	(void)state;
	static const char *const good[] = {
		"[ipv4-addr:value = '198.51.100.7']",
		"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
		"[domain-name:value = 'evil.example' OR domain-name:value = 'evil2.example']",
		"[url:value LIKE '%/login%'] AND [ipv4-addr:value ISSUBSET '198.51.100.0/24']",
		"([file:name = 'a.exe'] FOLLOWEDBY [file:name = 'b.exe']) WITHIN 300 SECONDS",
		"[network-traffic:dst_ref.value NOT IN ('1.1.1.1', '8.8.8.8')] REPEATS 5 TIMES",
		"[email-message:from_ref.value MATCHES '^.*@evil\\\\.example$']",
		"[process:pid > 4 AND (process:name = 'x' OR process:name = 'y')]",
		"[file:size >= 1024] START t'2026-01-01T00:00:00Z' STOP t'2026-12-31T00:00:00Z'",
		"[x-custom:list[*].item = true]",
		"[artifact:payload_bin = b'aGVsbG8=' AND artifact:hashes.MD5 = h'00ff']",
		"[EXISTS windows-registry-key:values]",
	};
	static const char *const bad[] = {
		"", "ipv4-addr:value = '1.2.3.4'", "[ipv4-addr:value = 1.2.3.4']", "[ipv4-addr:value == '1']",
		"[IPV4:value = '1']", "[ipv4-addr value = '1']", "[ipv4-addr:value = 'x'] AND", "[a:b = 'x'] WITHIN SECONDS",
		"[a:b = 'unterminated]", "[a:b = h'xyz']", "[a:b = 'x'] extra", "[a:b = 't'] START t'bad' STOP t'x'",
		"[a:b IN ()]", "[a:b = 'x' AND]",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		parley_err err = { 0 };
		if (parley_stix_pattern_check(good[i], &err))
			fail_msg("refused '%s': %s", good[i], err.msg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parley_stix_pattern_check(bad[i], NULL) == PARLEY_OK)
			fail_msg("accepted '%s'", bad[i]);
	/* deep nesting is bounded, not a stack overflow */
	char deep[2000];
	memset(deep, '(', 1000);
	snprintf(deep + 1000, sizeof(deep) - 1000, "[a:b = 1]");
	assert_int_equal(parley_stix_pattern_check(deep, NULL), PARLEY_E_FORMAT);
}

#define B(objs) "{\"type\":\"bundle\",\"id\":\"bundle--6b4c7d2e-3f1a-4e5b-9c8d-0a1b2c3d4e5f\",\"objects\":[" objs "]}"
#define COMMON(type, uuid) "\"type\":\"" type "\",\"spec_version\":\"2.1\",\"id\":\"" type "--" uuid "\"," \
	"\"created\":\"2026-11-27T06:00:00Z\",\"modified\":\"2026-11-27T06:00:00Z\""

static void test_objects(void **state)
{
	(void)state;
	const char *u = "0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061";
	char doc[2048];
#define OBJ(type, extra, needle)                                                                           \
	do {                                                                                             \
		snprintf(doc, sizeof(doc), B("{%s%s}"), "", "");                                         \
		snprintf(doc, sizeof(doc),                                                               \
			"{\"type\":\"bundle\",\"id\":\"bundle--6b4c7d2e-3f1a-4e5b-9c8d-0a1b2c3d4e5f\",\"objects\":[{" \
			"\"type\":\"%s\",\"spec_version\":\"2.1\",\"id\":\"%s--%s\",\"created\":\"2026-11-27T06:00:00Z\"," \
			"\"modified\":\"2026-11-27T06:00:00Z\"%s%s}]}",                                  \
			type, type, u, extra[0] ? "," : "", extra);                                      \
		expect(doc, needle);                                                                     \
	} while (0)
	OBJ("malware", "\"is_family\":false", NULL);
	OBJ("malware", "\"is_family\":true", "missing required property 'name'");
	OBJ("malware", "", "is_family");
	OBJ("infrastructure", "\"name\":\"c2\"", NULL);
	OBJ("infrastructure", "", "'name'");
	OBJ("attack-pattern", "\"name\":\"phishing\"", NULL);
	OBJ("identity", "\"name\":\"CERT-A\"", NULL);
	OBJ("identity", "", "'name'");
	OBJ("sighting", "\"sighting_of_ref\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\"", NULL);
	OBJ("sighting", "\"sighting_of_ref\":\"nonsense\"", "'sighting_of_ref' must be an object id");
	OBJ("observed-data", "\"first_observed\":\"2026-11-27T06:00:00Z\",\"last_observed\":\"2026-11-27T07:00:00Z\","
			     "\"number_observed\":3,\"object_refs\":[\"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd\"]",
		NULL);
	OBJ("observed-data", "\"first_observed\":\"2026-11-27T06:00:00Z\",\"last_observed\":\"2026-11-27T07:00:00Z\","
			     "\"number_observed\":0,\"object_refs\":[\"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd\"]",
		"number_observed");
	OBJ("report", "\"name\":\"r\",\"published\":\"2026-11-27T06:00:00Z\",\"object_refs\":[]", "object_refs");
	OBJ("note", "\"content\":\"c\",\"object_refs\":[\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\"]", NULL);
	OBJ("relationship", "\"relationship_type\":\"indicates\",\"source_ref\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
			    "\"target_ref\":\"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\"",
		NULL);
	OBJ("relationship", "\"relationship_type\":\"indicates\"", "'source_ref'");
	OBJ("frobnicator", "", "unknown object type");
	OBJ("x-acme-thing", "", NULL);
	OBJ("indicator", "\"pattern\":\"[a:b = 1]\",\"pattern_type\":\"stix\",\"valid_from\":\"2026-11-27T06:00:00Z\","
			 "\"object_marking_refs\":[\"identity--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\"]",
		"not a marking id");
#undef OBJ
	/* TLP markings by their standard ids */
	expect(B("{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\","
		 "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"green\"}}"),
		NULL);
	expect(B("{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\","
		 "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"red\"}}"),
		"standard TLP:green marking");
	expect(B("{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\","
		 "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"red\"}}"),
		"standard TLP marking-definition id");
	/* common properties */
	expect(B("{\"type\":\"identity\",\"spec_version\":\"2.0\",\"id\":\"identity--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\","
		 "\"created\":\"2026-11-27T06:00:00Z\",\"modified\":\"2026-11-27T06:00:00Z\",\"name\":\"x\"}"),
		"spec_version");
	expect(B("{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"identity--0C7B5B88-8ff7-4a4d-aa9d-feb398cd0061\","
		 "\"created\":\"2026-11-27T06:00:00Z\",\"modified\":\"2026-11-27T06:00:00Z\",\"name\":\"x\"}"),
		"is not 'identity--<uuid>'");
	expect(B("{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\","
		 "\"created\":\"2026-11-27T06:00:00Z\",\"modified\":\"2026-11-27T06:00:00Z\",\"name\":\"x\"}"),
		"is not 'identity--<uuid>'");
	expect(B("{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"identity--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\","
		 "\"created\":\"2026-11-27T06:00:00Z\",\"modified\":\"2026-11-26T06:00:00Z\",\"name\":\"x\"}"),
		"modified is before created");
	expect(B("{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd\",\"value\":\"1.2.3.4\"}"), NULL);
	/* the bundle */
	expect("{\"type\":\"report\"}", "not a bundle");
	expect("{\"type\":\"bundle\",\"id\":\"bundle--x\",\"objects\":[]}", "bundle--<uuid>");
	expect("{\"type\":\"bundle\",\"id\":\"bundle--6b4c7d2e-3f1a-4e5b-9c8d-0a1b2c3d4e5f\",\"objects\":[]}", "non-empty");
	(void)u;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_indicator),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_objects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
