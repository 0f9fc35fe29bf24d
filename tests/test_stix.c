/* test_stix.c - STIX 2.1 validation: bundles, objects, required properties, TLP markings, patterns. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
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
		"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: pattern: required");
	expect(IND("\"pattern\":\"[ipv4-addr:value = '1.2.3.4']\",\"pattern_type\":\"stix\",\"valid_from\":\"yesterday\""),
		"valid_from: 'yesterday' is not a timestamp");
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
		"[process:pid > 4 AND (process:command_line = 'x' OR process:cwd = 'y')]",
		"[file:size >= 1024] START t'2026-01-01T00:00:00Z' STOP t'2026-12-31T00:00:00Z'",
		"[x-custom:list[*].item = true]",
		"[file:name NOT IN ('a.exe', 'b.exe') AND NOT EXISTS file:size]",
		"[ipv4-addr:value == '198.51.100.1'] // a comment",
		"[ ipv4-addr : value = '198.51.100.1' ] /* a comment */ OR [ipv6-addr:value ISSUBSET '2001:db8::/32']",
		"[artifact:payload_bin = b'aGVsbG8=' AND artifact:hashes.MD5 = '00ff00ff00ff00ff00ff00ff00ff00ff']",
		"[EXISTS windows-registry-key:values]",
		"[artifact:payload_bin = 'a string stands for its UTF-8 bytes']",
		"[url:value MATCHES '(?i)^https?://[a-z0-9.-]+\\\\.example/(login|gate)\\\\.php$']",
		"[file:name MATCHES 'it\\'s (a|b){2,5}+ \\\\p{L}\\\\d']",
		"[file:magic_number_hex MATCHES '^\\\\xff\\\\xd8']",
		"[file:name MATCHES '^(a+)+$']", /* compiled, never run: no backtracking at validation time */
	};
	static const char *const bad[] = {
		"", "ipv4-addr:value = '1.2.3.4'", "[ipv4-addr:value = 1.2.3.4']", "[ipv4-addr:value == '1']",
		"[IPV4:value = '1']", "[ipv4-addr value = '1']", "[ipv4-addr:value = 'x'] AND", "[x-a:b = 'x'] WITHIN SECONDS",
		"[x-a:b = 'unterminated]", "[x-a:b = h'xyz']", "[x-a:b = 'x'] extra", "[x-a:b = 't'] START t'bad' STOP t'x'",
		"[x-a:b IN (]", "[x-a:b = 'x' AND]", "[x-a:b = 'x'] WITHIN 0 SECONDS", "[x-a:b = 'x'] WITHIN -5 SECONDS",
		"[x-a:b = 'x'] REPEATS 0 TIMES", "[file:size = 'twelve']", "[file:name = 12]", "[file:nonexistent = 'x']",
		"[file:mtime = 'yesterday']", "[file:hashes.MD5 = 'abc']", "[ipv4-addr:value ISSUBSET 'nope']",
		"[file:name = 'a' AND ipv4-addr:value = '1.2.3.4']", "[x-a:b = t'2020-02-30T00:00:00Z']",
		"[x-a:b = 'x'] START t'2021-01-01T00:00:00Z' STOP t'2020-01-01T00:00:00Z'", "[x-a:b = 'a\\x']",
		"[indicator:name = 'x']", "[x-a:b = 'x'] /* unterminated", "[x-a:b = b'']", "[x-a:b = 007]",
		"[file:name MATCHES '(']", "[file:name MATCHES '*a']", "[file:name MATCHES 'a{3,2}']",
		"[file:name MATCHES '[z-a]']", "[file:name MATCHES '\\\\']", "[file:name MATCHES '(?<n>a)(?<n>b)']",
		"[file:name MATCHES 'a\\\\k<nope>']", "[file:name MATCHES '(?z)']",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		parley_err err = { 0 };
		if (parley_stix_pattern_check(good[i], &err))
			fail_msg("refused '%s': %s", good[i], err.msg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parley_stix_pattern_check(bad[i], NULL) == PARLEY_OK)
			fail_msg("accepted '%s'", bad[i]);
	/* an invalid MATCHES operand: PCRE2's reason, at the offset in the pattern (escapes counted as written) */
	{
		parley_err err = { 0 };
		assert_int_equal(parley_stix_pattern_check("[file:name MATCHES 'a\\\\.b[c']", &err), PARLEY_E_FORMAT);
		assert_non_null(strstr(err.msg, "MATCHES: not a valid PCRE regular expression: missing terminating ] for "
						"character class at offset 27"));
		/* beyond parley's bounds: said so, not called invalid */
		char big[40000];
		int n = snprintf(big, sizeof(big), "[file:name MATCHES '");
		memset(big + n, 'a', 33000);
		snprintf(big + n + 33000, sizeof(big) - (size_t)n - 33000, "']");
		assert_int_equal(parley_stix_pattern_check(big, &err), PARLEY_E_FORMAT);
		assert_non_null(strstr(err.msg, "beyond what parley checks"));
		assert_null(strstr(err.msg, "not a valid"));
	}
	/* deep nesting is bounded, not a stack overflow */
	char deep[2000];
	memset(deep, '(', 1000);
	snprintf(deep + 1000, sizeof(deep) - 1000, "[x-a:b = 1]");
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
	OBJ("malware", "\"is_family\":true", "name: required when is_family is true");
	OBJ("malware", "", "is_family");
	OBJ("infrastructure", "\"name\":\"c2\"", NULL);
	OBJ("infrastructure", "", "name: required");
	OBJ("attack-pattern", "\"name\":\"phishing\"", NULL);
	OBJ("identity", "\"name\":\"CERT-A\"", NULL);
	OBJ("identity", "", "name: required");
	OBJ("sighting", "\"sighting_of_ref\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\"", NULL);
	OBJ("sighting", "\"sighting_of_ref\":\"nonsense\"", "sighting_of_ref: must be an identifier");
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
	OBJ("relationship", "\"relationship_type\":\"indicates\"", "source_ref: required");
	OBJ("frobnicator", "", NULL); /* a custom type: x- is a SHOULD */
	OBJ("x-acme-thing", "", NULL);
	OBJ("indicator", "\"pattern\":\"[x-a:b = 1]\",\"pattern_type\":\"stix\",\"valid_from\":\"2026-11-27T06:00:00Z\","
			 "\"object_marking_refs\":[\"identity--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\"]",
		"object_marking_refs[0]: must refer to marking-definition");
#undef OBJ
	/* TLP markings by their standard ids */
	expect(B("{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\","
		 "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"green\"}}"),
		NULL);
	expect(B("{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\","
		 "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"red\"}}"),
		"this is the standard TLP:GREEN marking");
	expect(B("{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\","
		 "\"created\":\"2017-01-20T00:00:00.000Z\",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"red\"}}"),
		"one of the four standard TLP marking definitions");
	/* common properties */
	expect(B("{\"type\":\"identity\",\"spec_version\":\"2.0\",\"id\":\"identity--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\","
		 "\"created\":\"2026-11-27T06:00:00Z\",\"modified\":\"2026-11-27T06:00:00Z\",\"name\":\"x\"}"),
		"spec_version");
	expect(B("{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"identity--0C7B5B88-8ff7-4a4d-aa9d-feb398cd0061\","
		 "\"created\":\"2026-11-27T06:00:00Z\",\"modified\":\"2026-11-27T06:00:00Z\",\"name\":\"x\"}"),
		NULL); /* upper-case UUIDs are UUIDs (RFC 4122) */
	expect(B("{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"malware--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\","
		 "\"created\":\"2026-11-27T06:00:00Z\",\"modified\":\"2026-11-27T06:00:00Z\",\"name\":\"x\"}"),
		"does not start with the object's type");
	expect(B("{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"identity--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\","
		 "\"created\":\"2026-11-27T06:00:00Z\",\"modified\":\"2026-11-26T06:00:00Z\",\"name\":\"x\"}"),
		"modified: must be later than or equal to created");
	expect(B("{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd\",\"value\":\"1.2.3.4\"}"), NULL);
	/* the bundle */
	expect("{\"type\":\"report\"}", "not a bundle");
	expect("{\"type\":\"bundle\",\"id\":\"bundle--x\",\"objects\":[]}", "bundle--<uuid>");
	expect("{\"type\":\"bundle\",\"id\":\"bundle--6b4c7d2e-3f1a-4e5b-9c8d-0a1b2c3d4e5f\",\"objects\":[]}", "non-empty");
	(void)u;
}

static json_t *load_file(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j)
		fail_msg("%s: %s", path, je.text);
	return j;
}

static parley_code check_any(const json_t *doc, unsigned flags, parley_stix_report *rep)
{
	if (json_is_object(doc) && !json_object_get(doc, "type") && json_is_array(json_object_get(doc, "objects")))
		return parley_stix_check_objects(json_object_get(doc, "objects"), flags, rep);
	return parley_stix_check(doc, flags, rep);
}

/* Every bundle of tests/stix/valid is accepted, strict or not (warnings allowed). */
static void test_corpus_valid(void **state)
{
	(void)state;
	DIR *d = opendir("stix/valid");
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[512];
		if (!strstr(e->d_name, ".json"))
			continue;
		snprintf(path, sizeof(path), "stix/valid/%s", e->d_name);
		json_t *j = load_file(path);
		for (unsigned flags = 0; flags <= PARLEY_STIX_STRICT; flags++) {
			parley_stix_report rep;
			parley_stix_report_init(&rep);
			parley_code rc = check_any(j, flags, &rep);
			if (rc != PARLEY_OK || rep.errors)
				fail_msg("%s refused%s: %s: %s: %s", path, flags ? " (strict)" : "", rep.n ? rep.problems[0].id : "",
					rep.n ? rep.problems[0].property : "", rep.n ? rep.problems[0].message : "");
			if (!flags && rep.warnings)
				fail_msg("%s: a warning without --strict", path);
			parley_stix_report_release(&rep);
		}
		json_decref(j);
		n++;
	}
	closedir(d);
	printf("valid corpus: %d of %d accepted\n", n, n);
	assert_true(n >= 25);
}

/* Every one-rule mutation of tests/stix/invalid is refused, with the finding its EXPECT line names. */
static void test_corpus_invalid(void **state)
{
	(void)state;
	FILE *f = fopen("stix/invalid/EXPECT", "r");
	char line[1024];
	int n = 0;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t'), path[512];
		if (line[0] == '#' || !tab)
			continue;
		*tab = 0;
		line[strcspn(line, "\n")] = 0;
		tab[1 + strcspn(tab + 1, "\n")] = 0;
		snprintf(path, sizeof(path), "stix/invalid/%s", line);
		json_t *j = load_file(path);
		parley_stix_report rep;
		parley_stix_report_init(&rep);
		parley_code rc = check_any(j, 0, &rep);
		if (rc != PARLEY_E_FORMAT)
			fail_msg("%s accepted (wanted '%s')", path, tab + 1);
		bool found = false;
		for (size_t i = 0; i < rep.n && !found; i++) {
			char all[1024];
			snprintf(all, sizeof(all), "%s: %s: %s", rep.problems[i].id, rep.problems[i].property, rep.problems[i].message);
			found = !rep.problems[i].is_warning && strstr(all, tab + 1) != NULL;
		}
		if (!found)
			fail_msg("%s: no error with '%s' (first: %s: %s)", path, tab + 1, rep.n ? rep.problems[0].property : "",
				rep.n ? rep.problems[0].message : "");
		/* the first-error API agrees */
		if (json_is_object(j) && json_object_get(j, "type") &&
			strcmp(json_string_value(json_object_get(j, "type")), "bundle") == 0) {
			parley_err err = { 0 };
			assert_int_equal(parley_stix_validate(j, &err), PARLEY_E_FORMAT);
			assert_true(strncmp(err.msg, "STIX ", 5) == 0);
		}
		parley_stix_report_release(&rep);
		json_decref(j);
		n++;
	}
	fclose(f);
	printf("one-rule mutations: %d of %d refused with the expected finding\n", n, n);
	assert_true(n >= 200);
}

/* Every problem is collected, SHOULDs only with STRICT, and a bare object list (a TAXII envelope) is checked. */
static void test_report(void **state)
{
	(void)state;
	json_t *j = load(B("{\"type\":\"tool\",\"spec_version\":\"2.1\",\"id\":\"tool--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\","
			   "\"created\":\"2026-13-27T06:00:00Z\",\"modified\":\"2026-11-27T06:00:00Z\",\"confidence\":200},"
			   "{\"type\":\"frobnicator\",\"id\":\"frobnicator--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\"}"));
	parley_stix_report rep;
	parley_stix_report_init(&rep);
	assert_int_equal(parley_stix_check(j, 0, &rep), PARLEY_E_FORMAT);
	assert_int_equal(rep.errors, 3); /* created, confidence, name */
	assert_int_equal(rep.warnings, 0);
	assert_string_equal(rep.problems[0].id, "tool--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061");
	parley_stix_report_release(&rep);
	parley_stix_report_init(&rep);
	assert_int_equal(parley_stix_check(j, PARLEY_STIX_STRICT, &rep), PARLEY_E_FORMAT);
	assert_true(rep.warnings >= 1);
	bool custom = false;
	for (size_t i = 0; i < rep.n; i++)
		custom = custom || (rep.problems[i].is_warning && strstr(rep.problems[i].message, "start with x-"));
	assert_true(custom);
	parley_stix_report_release(&rep);

	/* objects of a TAXII envelope: an empty list is fine, a bad object is not */
	json_t *objs = json_object_get(j, "objects");
	parley_err err = { 0 };
	assert_int_equal(parley_stix_validate_objects(objs, &err), PARLEY_E_FORMAT);
	assert_non_null(strstr(err.msg, "STIX tool--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061: created:"));
	json_t *empty = json_array();
	assert_int_equal(parley_stix_validate_objects(empty, NULL), PARLEY_OK);
	json_decref(empty);
	json_decref(j);

	/* a 2.1 bundle with spec_version "2.1" is accepted (a SHOULD-level finding), "2.0" is not STIX 2.1 */
	expect("{\"type\":\"bundle\",\"spec_version\":\"2.1\",\"id\":\"bundle--6b4c7d2e-3f1a-4e5b-9c8d-0a1b2c3d4e5f\"}", NULL);
	expect("{\"type\":\"bundle\",\"spec_version\":\"2.0\",\"id\":\"bundle--6b4c7d2e-3f1a-4e5b-9c8d-0a1b2c3d4e5f\"}",
		"is not STIX 2.1 content");

	/* a message cut in the middle of a UTF-8 character is cut before it (reports are printed as JSON too) */
	char big[2048];
	int k = snprintf(big, sizeof(big), B("{\"type\":\"domain-name\",\"id\":\"domain-name--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061\",\"value\":\"a b"));
	for (int i = 0; i < 300; i++)
		k += snprintf(big + k, sizeof(big) - (size_t)k, "\xc3\xa9");
	snprintf(big + k, sizeof(big) - (size_t)k, "\"}]}");
	j = load(big);
	parley_stix_report_init(&rep);
	assert_int_equal(parley_stix_check(j, 0, &rep), PARLEY_E_FORMAT);
	assert_true(rep.n >= 1);
	json_t *m = json_string(rep.problems[0].message);
	assert_non_null(m); /* valid UTF-8 */
	json_decref(m);
	parley_stix_report_release(&rep);
	json_decref(j);

	/* the problem cap bounds memory */
	json_t *many = json_array();
	for (int i = 0; i < 1500; i++)
		json_array_append_new(many, json_pack("{s:s}", "type", "tool"));
	parley_stix_report_init(&rep);
	assert_int_equal(parley_stix_check_objects(many, 0, &rep), PARLEY_E_FORMAT);
	assert_true(rep.truncated);
	assert_int_equal(rep.n, PARLEY_STIX_MAX_PROBLEMS);
	assert_true(rep.errors > PARLEY_STIX_MAX_PROBLEMS);
	parley_stix_report_release(&rep);
	json_decref(many);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_indicator),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_corpus_valid),
		cmocka_unit_test(test_corpus_invalid),
		cmocka_unit_test(test_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
