/* stix.c - STIX 2.1 bundle validation and the patterning grammar. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/stix.h"
#include "banned.h"

/* ---- the patterning grammar (STIX 2.1 part 5), by recursive descent ---- */

struct pp {
	const char *s, *p;
	char why[128];
	int depth;
};

static void ws(struct pp *x)
{
	while (*x->p == ' ' || *x->p == '\t' || *x->p == '\n' || *x->p == '\r')
		x->p++;
}

static bool fail_at(struct pp *x, const char *why)
{
	if (!x->why[0])
		snprintf(x->why, sizeof(x->why), "%s at offset %ld", why, (long)(x->p - x->s));
	return false;
}

/* A keyword, matched whole (case-sensitive, as the grammar's are upper case). */
static bool kw(struct pp *x, const char *k)
{
	size_t n = strlen(k);
	ws(x);
	if (strncmp(x->p, k, n) == 0 && !isalnum((unsigned char)x->p[n]) && x->p[n] != '_') {
		x->p += n;
		return true;
	}
	return false;
}

static bool ch(struct pp *x, char c)
{
	ws(x);
	if (*x->p == c) {
		x->p++;
		return true;
	}
	return false;
}

static bool quoted(struct pp *x)
{
	if (*x->p != '\'')
		return false;
	x->p++;
	while (*x->p && *x->p != '\'') {
		if (*x->p == '\\') {
			if (x->p[1] != '\'' && x->p[1] != '\\')
				return fail_at(x, "bad escape in a string");
			x->p++;
		}
		x->p++;
	}
	if (*x->p != '\'')
		return fail_at(x, "unterminated string");
	x->p++;
	return true;
}

static bool number(struct pp *x, bool integer_only)
{
	const char *start = x->p;
	if (*x->p == '-' || *x->p == '+')
		x->p++;
	while (isdigit((unsigned char)*x->p))
		x->p++;
	if (!integer_only && *x->p == '.') {
		x->p++;
		while (isdigit((unsigned char)*x->p))
			x->p++;
	}
	return x->p > start && isdigit((unsigned char)x->p[-1]) ? true : (x->p = start, false);
}

static bool value(struct pp *x)
{
	ws(x);
	if ((x->p[0] == 't' || x->p[0] == 'h' || x->p[0] == 'b') && x->p[1] == '\'') {
		char kind = x->p[0];
		const char *v = x->p + 2;
		x->p++;
		if (!quoted(x))
			return fail_at(x, "bad typed literal");
		size_t n = (size_t)(x->p - v - 1);
		for (size_t i = 0; i < n; i++) {
			char c = v[i];
			if (kind == 'h' && !isxdigit((unsigned char)c))
				return fail_at(x, "bad hex literal");
			if (kind == 'b' && !(isalnum((unsigned char)c) || c == '+' || c == '/' || c == '='))
				return fail_at(x, "bad base64 literal");
		}
		if (kind == 't' && (n < 20 || v[4] != '-' || v[7] != '-' || v[10] != 'T' || v[n - 1] != 'Z'))
			return fail_at(x, "bad timestamp literal");
		return true;
	}
	if (*x->p == '\'')
		return quoted(x);
	if (kw(x, "true") || kw(x, "false"))
		return true;
	if (number(x, false))
		return true;
	return fail_at(x, "expected a value");
}

static bool ident(struct pp *x)
{
	const char *start = x->p;
	if (!isalpha((unsigned char)*x->p) && *x->p != '_')
		return false;
	while (isalnum((unsigned char)*x->p) || *x->p == '_' || *x->p == '-')
		x->p++;
	return x->p > start;
}

static bool object_path(struct pp *x)
{
	ws(x);
	if (!islower((unsigned char)*x->p))
		return fail_at(x, "expected an object type");
	while (islower((unsigned char)*x->p) || isdigit((unsigned char)*x->p) || *x->p == '-')
		x->p++;
	if (*x->p != ':')
		return fail_at(x, "expected ':' after the object type");
	x->p++;
	if (!ident(x) && !quoted(x))
		return fail_at(x, "expected a property name");
	for (;;) {
		if (*x->p == '.') {
			x->p++;
			if (!ident(x) && !quoted(x))
				return fail_at(x, "expected a property name after '.'");
		} else if (*x->p == '[') {
			x->p++;
			if (*x->p == '*')
				x->p++;
			else if (!number(x, true))
				return fail_at(x, "expected an index or '*'");
			if (*x->p != ']')
				return fail_at(x, "expected ']'");
			x->p++;
		} else {
			return true;
		}
	}
}

static bool comp_or(struct pp *x);

static bool prop_test(struct pp *x)
{
	if (kw(x, "EXISTS"))
		return object_path(x);
	if (!object_path(x))
		return false;
	kw(x, "NOT");
	ws(x);
	if (kw(x, "IN")) {
		if (!ch(x, '('))
			return fail_at(x, "expected '(' after IN");
		do {
			if (!value(x))
				return false;
		} while (ch(x, ','));
		return ch(x, ')') ? true : fail_at(x, "expected ')'");
	}
	static const char *const ops[] = { "!=", "<>", ">=", "<=", "=", ">", "<" };
	ws(x);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strncmp(x->p, ops[i], strlen(ops[i])) == 0) {
			x->p += strlen(ops[i]);
			return value(x);
		}
	if (kw(x, "LIKE") || kw(x, "MATCHES") || kw(x, "ISSUBSET") || kw(x, "ISSUPERSET"))
		return value(x);
	return fail_at(x, "expected a comparison operator");
}

static bool comp_primary(struct pp *x)
{
	if (++x->depth > 64)
		return fail_at(x, "nested too deeply");
	bool ok;
	if (ch(x, '('))
		ok = comp_or(x) && (ch(x, ')') || fail_at(x, "expected ')'"));
	else
		ok = prop_test(x);
	x->depth--;
	return ok;
}

static bool comp_and(struct pp *x)
{
	if (!comp_primary(x))
		return false;
	while (kw(x, "AND"))
		if (!comp_primary(x))
			return false;
	return true;
}

static bool comp_or(struct pp *x)
{
	if (!comp_and(x))
		return false;
	while (kw(x, "OR"))
		if (!comp_and(x))
			return false;
	return true;
}

static bool obs_or(struct pp *x);

static bool obs_primary(struct pp *x)
{
	if (++x->depth > 64)
		return fail_at(x, "nested too deeply");
	bool ok;
	if (ch(x, '['))
		ok = comp_or(x) && (ch(x, ']') || fail_at(x, "expected ']'"));
	else if (ch(x, '('))
		ok = obs_or(x) && (ch(x, ')') || fail_at(x, "expected ')'"));
	else
		ok = fail_at(x, "expected '[' or '('");
	x->depth--;
	if (!ok)
		return false;
	for (;;) { /* qualifiers */
		if (kw(x, "WITHIN")) {
			ws(x);
			if (!number(x, false) || !kw(x, "SECONDS"))
				return fail_at(x, "expected WITHIN n SECONDS");
		} else if (kw(x, "REPEATS")) {
			ws(x);
			if (!number(x, true) || !kw(x, "TIMES"))
				return fail_at(x, "expected REPEATS n TIMES");
		} else if (kw(x, "START")) {
			ws(x);
			if (*x->p != 't' || !value(x) || !kw(x, "STOP"))
				return fail_at(x, "expected START t'...' STOP t'...'");
			ws(x);
			if (*x->p != 't' || !value(x))
				return fail_at(x, "expected a timestamp after STOP");
		} else {
			return true;
		}
	}
}

static bool obs_seq(struct pp *x, int level)
{
	static const char *const ops[] = { "OR", "AND", "FOLLOWEDBY" };
	if (level == 3)
		return obs_primary(x);
	if (!obs_seq(x, level + 1))
		return false;
	while (kw(x, ops[level]))
		if (!obs_seq(x, level + 1))
			return false;
	return true;
}

static bool obs_or(struct pp *x)
{
	return obs_seq(x, 0);
}

parley_code parley_stix_pattern_check(const char *pattern, parley_err *err)
{
	struct pp x = { pattern, pattern, "", 0 };
	if (!obs_or(&x))
		return parley_fail(err, PARLEY_E_FORMAT, "pattern: %s", x.why[0] ? x.why : "invalid");
	ws(&x);
	if (*x.p)
		return parley_fail(err, PARLEY_E_FORMAT, "pattern: unexpected text at offset %ld", (long)(x.p - pattern));
	return PARLEY_OK;
}

/* ---- objects ---- */

static bool is_timestamp(const char *s)
{
	/* YYYY-MM-DDTHH:MM:SS[.s+]Z */
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t n = strlen(s), i;
	if (n < 20 || s[n - 1] != 'Z')
		return false;
	for (i = 0; i < 19; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	if (i == n - 1)
		return true;
	if (s[i] != '.' || i + 1 >= n - 1)
		return false;
	for (i++; i < n - 1; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) {
			return false;
		}
	}
	return s[14] >= '1' && s[14] <= '8' && strchr("89ab", s[19]);
}

/* "type--uuid" with the given type (or any, when want is NULL). */
static bool is_id(const char *s, const char *want)
{
	const char *dd = s ? strstr(s, "--") : NULL;
	if (!dd || dd == s)
		return false;
	if (want && ((size_t)(dd - s) != strlen(want) || strncmp(s, want, strlen(want)) != 0))
		return false;
	for (const char *p = s; p < dd; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
			return false;
	return is_uuid(dd + 2);
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const struct tlp_def {
	const char *id, *tlp;
} tlp_ids[] = {
	{ "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "white" },
	{ "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "green" },
	{ "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber" },
	{ "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red" },
};

static const char *const sco_types[] = { "artifact", "autonomous-system", "directory", "domain-name",
	"email-addr", "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic",
	"process", "software", "url", "user-account", "windows-registry-key", "x509-certificate", NULL };

static bool in(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* Required string / timestamp / id / array-of-ids properties. */
#define NEED_STR(k)                                                                                         \
	do {                                                                                                \
		if (!str(o, k) || !*str(o, k))                                                              \
			return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: missing required property '%s'", who, k); \
	} while (0)
#define NEED_TS(k)                                                                                          \
	do {                                                                                                \
		if (!str(o, k) || !is_timestamp(str(o, k)))                                                 \
			return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: '%s' must be a STIX timestamp", who, k);  \
	} while (0)
#define NEED_REF(k)                                                                                         \
	do {                                                                                                \
		if (!is_id(str(o, k), NULL))                                                                \
			return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: '%s' must be an object id", who, k);    \
	} while (0)
#define NEED_REFS(k)                                                                                        \
	do {                                                                                                \
		const json_t *a = json_object_get(o, k);                                                    \
		size_t ii;                                                                                  \
		json_t *vv;                                                                                 \
		if (!json_is_array(a) || json_array_size(a) == 0)                                           \
			return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: '%s' must be a non-empty list of ids", who, k); \
		json_array_foreach(a, ii, vv) if (!is_id(json_string_value(vv), NULL)) return parley_fail(  \
			err, PARLEY_E_FORMAT, "STIX %s: '%s' holds something that is not an object id", who, k);   \
	} while (0)

static parley_code check_object(const json_t *o, size_t idx, parley_err *err)
{
	char who[128];
	const char *type = str(o, "type"), *id = str(o, "id");

	if (!json_is_object(o))
		return parley_fail(err, PARLEY_E_FORMAT, "STIX object %zu is not an object", idx);
	snprintf(who, sizeof(who), "%s", id ? id : "(object without id)");
	if (!type || !*type)
		return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: missing 'type'", who);
	if (!is_id(id, type))
		return parley_fail(err, PARLEY_E_FORMAT, "STIX object %zu: id '%s' is not '%s--<uuid>'", idx,
			id ? id : "", type);
	bool sco = in(type, sco_types);
	bool custom = strncmp(type, "x-", 2) == 0;
	if (!sco) {
		if (!str(o, "spec_version") || strcmp(str(o, "spec_version"), "2.1") != 0)
			return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: spec_version must be \"2.1\"", who);
		NEED_TS("created");
		if (strcmp(type, "marking-definition") != 0) {
			NEED_TS("modified");
			if (strcmp(str(o, "modified"), str(o, "created")) < 0)
				return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: modified is before created", who);
		}
	} else if (json_object_get(o, "spec_version") && !json_is_string(json_object_get(o, "spec_version"))) {
		return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: bad spec_version", who);
	}

	if (strcmp(type, "indicator") == 0) {
		NEED_STR("pattern");
		NEED_STR("pattern_type");
		NEED_TS("valid_from");
		if (strcmp(str(o, "pattern_type"), "stix") == 0 && parley_stix_pattern_check(str(o, "pattern"), err))
			return parley_wrap(err, PARLEY_E_FORMAT, "STIX %s", who);
	} else if (strcmp(type, "observed-data") == 0) {
		NEED_TS("first_observed");
		NEED_TS("last_observed");
		const json_t *n = json_object_get(o, "number_observed");
		if (!json_is_integer(n) || json_integer_value(n) < 1 || json_integer_value(n) > 999999999)
			return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: number_observed must be 1 to 999999999", who);
		NEED_REFS("object_refs");
	} else if (strcmp(type, "sighting") == 0) {
		NEED_REF("sighting_of_ref");
	} else if (strcmp(type, "malware") == 0) {
		if (!json_is_boolean(json_object_get(o, "is_family")))
			return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: missing required property 'is_family'", who);
		if (json_is_true(json_object_get(o, "is_family")))
			NEED_STR("name");
	} else if (strcmp(type, "infrastructure") == 0 || strcmp(type, "attack-pattern") == 0 ||
		strcmp(type, "identity") == 0) {
		NEED_STR("name");
	} else if (strcmp(type, "report") == 0) {
		NEED_STR("name");
		NEED_TS("published");
		NEED_REFS("object_refs");
	} else if (strcmp(type, "note") == 0) {
		NEED_STR("content");
		NEED_REFS("object_refs");
	} else if (strcmp(type, "relationship") == 0) {
		NEED_STR("relationship_type");
		NEED_REF("source_ref");
		NEED_REF("target_ref");
	} else if (strcmp(type, "marking-definition") == 0) {
		const char *dt = str(o, "definition_type");
		if (dt && strcmp(dt, "tlp") == 0) {
			const char *t = str(json_object_get(o, "definition"), "tlp");
			size_t k;
			for (k = 0; k < sizeof(tlp_ids) / sizeof(tlp_ids[0]); k++)
				if (strcmp(id, tlp_ids[k].id) == 0)
					break;
			if (k == sizeof(tlp_ids) / sizeof(tlp_ids[0]))
				return parley_fail(err, PARLEY_E_FORMAT,
					"STIX %s: a TLP marking must use the standard TLP marking-definition id", who);
			if (!t || strcmp(t, tlp_ids[k].tlp) != 0)
				return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: is the standard TLP:%s marking, says '%s'",
					who, tlp_ids[k].tlp, t ? t : "");
		} else if (!json_object_get(o, "extensions")) {
			return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: a marking needs definition_type or extensions", who);
		}
	} else if (!sco && !custom && !in(type, (const char *const[]){ "campaign", "course-of-action", "grouping",
					       "incident", "intrusion-set", "location", "malware-analysis", "opinion",
					       "threat-actor", "tool", "vulnerability", "language-content", NULL })) {
		return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: unknown object type '%s'", who, type);
	}
	const json_t *marks = json_object_get(o, "object_marking_refs");
	if (marks) {
		size_t i;
		json_t *v;
		if (!json_is_array(marks))
			return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: object_marking_refs must be a list", who);
		json_array_foreach(marks, i, v) if (!is_id(json_string_value(v), "marking-definition")) return parley_fail(
			err, PARLEY_E_FORMAT, "STIX %s: object_marking_refs holds something that is not a marking id", who);
	}
	return PARLEY_OK;
}

parley_code parley_stix_validate(const json_t *bundle, parley_err *err)
{
	const json_t *objs;
	size_t i;
	json_t *o;
	parley_code rc;

	if (!json_is_object(bundle) || !str(bundle, "type") || strcmp(str(bundle, "type"), "bundle") != 0)
		return parley_fail(err, PARLEY_E_FORMAT, "STIX: not a bundle (\"type\": \"bundle\")");
	if (!is_id(str(bundle, "id"), "bundle"))
		return parley_fail(err, PARLEY_E_FORMAT, "STIX bundle: id is not 'bundle--<uuid>'");
	objs = json_object_get(bundle, "objects");
	if (!json_is_array(objs) || json_array_size(objs) == 0)
		return parley_fail(err, PARLEY_E_FORMAT, "STIX bundle: 'objects' must be a non-empty list");
	json_array_foreach(objs, i, o) {
		if ((rc = check_object(o, i, err)))
			return rc;
		for (size_t j = 0; j < i; j++)
			if (strcmp(str(json_array_get(objs, j), "id"), str(o, "id")) == 0 &&
				strcmp(str(json_array_get(objs, j), "modified") ? str(json_array_get(objs, j), "modified") : "",
					str(o, "modified") ? str(o, "modified") : "") == 0)
				return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: appears twice in the bundle", str(o, "id"));
	}
	return PARLEY_OK;
}

/* ---- reports (first increment: the first error only) ---- */

void parley_stix_report_init(parley_stix_report *rep)
{
	memset(rep, 0, sizeof(*rep));
}

void parley_stix_report_release(parley_stix_report *rep)
{
	free(rep->problems);
	memset(rep, 0, sizeof(*rep));
}

static parley_code report_err(parley_stix_report *rep, const parley_err *e)
{
	rep->errors++;
	if (rep->n >= PARLEY_STIX_MAX_PROBLEMS) {
		rep->truncated = true;
		return PARLEY_E_FORMAT;
	}
	if (rep->n == rep->cap) {
		size_t nc = rep->cap ? rep->cap * 2 : 8;
		parley_stix_problem *np = realloc(rep->problems, nc * sizeof(*np));
		if (!np)
			return PARLEY_E_NOMEM;
		rep->problems = np;
		rep->cap = nc;
	}
	parley_stix_problem *pr = &rep->problems[rep->n++];
	memset(pr, 0, sizeof(*pr));
	snprintf(pr->id, sizeof(pr->id), "document");
	snprintf(pr->message, sizeof(pr->message), "%s", e->msg);
	return PARLEY_E_FORMAT;
}

parley_code parley_stix_check(const json_t *doc, unsigned flags, parley_stix_report *rep)
{
	parley_err e = { 0 };
	(void)flags;
	if (parley_stix_validate(doc, &e))
		return report_err(rep, &e);
	return PARLEY_OK;
}

parley_code parley_stix_validate_objects(const json_t *objects, parley_err *err)
{
	size_t i;
	json_t *o;
	if (!json_is_array(objects))
		return parley_fail(err, PARLEY_E_FORMAT, "STIX: objects is not a list");
	json_array_foreach(objects, i, o) {
		parley_code rc = check_object(o, i, err);
		if (rc)
			return rc;
	}
	return PARLEY_OK;
}

parley_code parley_stix_check_objects(const json_t *objects, unsigned flags, parley_stix_report *rep)
{
	parley_err e = { 0 };
	(void)flags;
	if (parley_stix_validate_objects(objects, &e))
		return report_err(rep, &e);
	return PARLEY_OK;
}
