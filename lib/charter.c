/* charter.c - charter parsing, validation, canonical form, signing and verification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "parley/charter.h"
#include "parley/jcs.h"
#include "banned.h"

#define MAX_SIG_ENTRIES (2 * PARLEY_MAX_PARTIES)

struct parley_charter {
	json_t *body;        /* the signed body */
	json_t *sigs;        /* array of {"name","sig"}, checked for shape only */
	parley_buf canon;    /* RFC 8785 form of body */
	uint8_t id[32];
	char title[PARLEY_TITLE_MAX + 1];
	parley_party parties[PARLEY_MAX_PARTIES];
	size_t nparties;
	bool has_relay;
	char relay_url[PARLEY_URL_MAX + 1];
	parley_pubkey relay;
	char cats[PARLEY_MAX_CATEGORIES][PARLEY_NAME_MAX + 1];
	size_t ncats;
	uint32_t types;
	parley_deadline dl[PARLEY_TYPE_MAX + 1];
	char levels[PARLEY_MAX_LEVELS][PARLEY_NAME_MAX + 1];
	size_t nlevels;
	int64_t psi_max, psi_min, psi_per_day;
	bool psi_email_sensitive;
	int tlp;
	int64_t valid_from, valid_until;
	int64_t max_bytes_per_day; /* 0 = no quota */
	bool has_pred;
	uint8_t pred[32]; /* the charter this one succeeds (docs/protocol.md, "Succession") */
};

/* ---- shape checks ---- */

/* Refuse members not in allowed; require those in required. */
static parley_code check_members(const json_t *o, const char *path, const char *const *allowed,
	const char *const *required, parley_err *err)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o))
		return parley_fail(err, PARLEY_E_FORMAT, "%s: must be an object", path);
	json_object_foreach((json_t *)o, k, v) {
		bool ok = false;
		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(k, allowed[i]) == 0)
				ok = true;
		if (!ok)
			return parley_fail(err, PARLEY_E_FORMAT, "%s: unknown field '%s'", path, k);
	}
	for (size_t i = 0; required[i]; i++)
		if (!json_object_get(o, required[i]))
			return parley_fail(err, PARLEY_E_FORMAT, "%s: missing field '%s'", path, required[i]);
	return PARLEY_OK;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* A string member of 1..max bytes without control characters (empty allowed when min is 0). */
static parley_code get_text(const json_t *o, const char *key, const char *path, size_t min,
	size_t max, const char **out, parley_err *err)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		return parley_fail(err, PARLEY_E_FORMAT, "%s.%s: must be a string", path, key);
	size_t n = json_string_length(v);
	if (n < min || n > max)
		return parley_fail(err, PARLEY_E_FORMAT, "%s.%s: length must be %zu to %zu bytes", path,
			key, min, max);
	if (strlen(json_string_value(v)) != n || has_control(json_string_value(v)))
		return parley_fail(err, PARLEY_E_FORMAT, "%s.%s: contains control characters", path, key);
	*out = json_string_value(v);
	return PARLEY_OK;
}

static parley_code get_name(const json_t *v, const char *path, char out[PARLEY_NAME_MAX + 1],
	parley_err *err)
{
	if (!json_is_string(v))
		return parley_fail(err, PARLEY_E_FORMAT, "%s: must be a string", path);
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v) || parley_name_check(s, err))
		return parley_wrap(err, PARLEY_E_FORMAT, "%s", path);
	memcpy(out, s, strlen(s) + 1);
	return PARLEY_OK;
}

static parley_code get_int(const json_t *o, const char *key, const char *path, int64_t min,
	int64_t max, int64_t *out, parley_err *err)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		return parley_fail(err, PARLEY_E_FORMAT, "%s.%s: must be an integer", path, key);
	json_int_t i = json_integer_value(v);
	if (i < min || i > max)
		return parley_fail(err, PARLEY_E_FORMAT, "%s.%s: %lld is out of range %lld..%lld", path,
			key, (long long)i, (long long)min, (long long)max);
	*out = (int64_t)i;
	return PARLEY_OK;
}

static parley_code get_time(const json_t *o, const char *key, const char *path, int64_t *out,
	parley_err *err)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_string(v) || parley_time_parse(json_string_value(v), out))
		return parley_fail(err, PARLEY_E_FORMAT, "%s.%s: must be a UTC time YYYY-MM-DDTHH:MM:SSZ",
			path, key);
	return PARLEY_OK;
}

static parley_code parse_parties(parley_charter *c, const json_t *arr, parley_err *err)
{
	static const char *const allowed[] = { "name", "role", "sign", "seal", NULL };
	size_t i, nparty = 0;
	json_t *p;
	char path[64];

	if (!json_is_array(arr))
		return parley_fail(err, PARLEY_E_FORMAT, "charter.parties: must be an array");
	if (json_array_size(arr) > PARLEY_MAX_PARTIES)
		return parley_fail(err, PARLEY_E_LIMIT, "charter.parties: more than %d parties",
			PARLEY_MAX_PARTIES);
	json_array_foreach(arr, i, p) {
		parley_party *pt = &c->parties[i];
		const char *role, *sign, *seal;
		char name[PARLEY_NAME_MAX + 1];
		uint8_t sealbuf[PARLEY_PK_LEN + 4];
		size_t seallen = 0;

		snprintf(path, sizeof(path), "charter.parties[%zu]", i);
		if (check_members(p, path, allowed, allowed, err))
			return PARLEY_E_FORMAT;
		if (get_name(json_object_get(p, "name"), path, name, err) ||
			get_text(p, "role", path, 1, 16, &role, err) ||
			get_text(p, "sign", path, 1, PARLEY_VKEY_MAX - 1, &sign, err) ||
			get_text(p, "seal", path, 1, 64, &seal, err))
			return PARLEY_E_FORMAT;
		if (strcmp(role, "party") == 0)
			pt->role = PARLEY_ROLE_PARTY;
		else if (strcmp(role, "auditor") == 0)
			pt->role = PARLEY_ROLE_AUDITOR;
		else
			return parley_fail(err, PARLEY_E_FORMAT, "%s.role: '%s' is not 'party' or 'auditor'",
				path, role);
		if (parley_vkey_parse(sign, &pt->key, err))
			return parley_wrap(err, PARLEY_E_FORMAT, "%s.sign", path);
		if (strcmp(pt->key.name, name) != 0)
			return parley_fail(err, PARLEY_E_FORMAT, "%s.sign: key is named '%s', not '%s'", path,
				pt->key.name, name);
		if (parley_unb64(sealbuf, sizeof(sealbuf), &seallen, seal, strlen(seal)) ||
			seallen != PARLEY_PK_LEN)
			return parley_fail(err, PARLEY_E_FORMAT, "%s.seal: not base64 of a 32-byte key", path);
		memcpy(pt->key.seal_pk, sealbuf, PARLEY_PK_LEN);
		pt->key.has_seal = true;
		for (size_t j = 0; j < i; j++) {
			const parley_party *q = &c->parties[j];
			if (strcmp(q->key.name, name) == 0)
				return parley_fail(err, PARLEY_E_FORMAT, "charter.parties: '%s' is listed twice",
					name);
			if (memcmp(q->key.keyid, pt->key.keyid, 4) == 0)
				return parley_fail(err, PARLEY_E_FORMAT,
					"charter.parties: '%s' and '%s' have the same key id", q->key.name, name);
			if (memcmp(q->key.sign_pk, pt->key.sign_pk, 32) == 0 ||
				memcmp(q->key.seal_pk, pt->key.seal_pk, 32) == 0)
				return parley_fail(err, PARLEY_E_FORMAT,
					"charter.parties: '%s' and '%s' share a key", q->key.name, name);
		}
		if (pt->role == PARLEY_ROLE_PARTY)
			nparty++;
	}
	c->nparties = json_array_size(arr);
	if (nparty < 2)
		return parley_fail(err, PARLEY_E_FORMAT,
			"charter.parties: a charter needs at least two parties (role 'party')");
	return PARLEY_OK;
}

static parley_code parse_relay(parley_charter *c, const json_t *r, parley_err *err)
{
	static const char *const allowed[] = { "url", "key", NULL };
	const char *url, *key;

	if (check_members(r, "charter.relay", allowed, allowed, err) ||
		get_text(r, "url", "charter.relay", 1, PARLEY_URL_MAX, &url, err) ||
		get_text(r, "key", "charter.relay", 1, PARLEY_VKEY_MAX - 1, &key, err))
		return PARLEY_E_FORMAT;
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return parley_fail(err, PARLEY_E_FORMAT, "charter.relay.url: must start with http:// or https://");
	if (strchr(url, ' '))
		return parley_fail(err, PARLEY_E_FORMAT, "charter.relay.url: contains a space");
	if (parley_vkey_parse(key, &c->relay, err))
		return parley_wrap(err, PARLEY_E_FORMAT, "charter.relay.key");
	for (size_t i = 0; i < c->nparties; i++)
		if (memcmp(c->parties[i].key.keyid, c->relay.keyid, 4) == 0 ||
			memcmp(c->parties[i].key.sign_pk, c->relay.sign_pk, 32) == 0)
			return parley_fail(err, PARLEY_E_FORMAT,
				"charter.relay.key: the relay's key collides with party '%s'",
				c->parties[i].key.name);
	memcpy(c->relay_url, url, strlen(url) + 1);
	c->has_relay = true;
	return PARLEY_OK;
}

static parley_code parse_scope(parley_charter *c, const json_t *s, parley_err *err)
{
	static const char *const allowed[] = { "categories", "types", NULL };
	static const char *const cat_allowed[] = { "name", "description", NULL };
	static const char *const cat_required[] = { "name", NULL };
	const json_t *cats, *types;
	json_t *v;
	size_t i;
	char path[64];

	if (check_members(s, "charter.scope", allowed, allowed, err))
		return PARLEY_E_FORMAT;
	cats = json_object_get(s, "categories");
	if (!json_is_array(cats) || json_array_size(cats) == 0)
		return parley_fail(err, PARLEY_E_FORMAT, "charter.scope.categories: must be a non-empty array");
	if (json_array_size(cats) > PARLEY_MAX_CATEGORIES)
		return parley_fail(err, PARLEY_E_LIMIT, "charter.scope.categories: more than %d",
			PARLEY_MAX_CATEGORIES);
	json_array_foreach(cats, i, v) {
		const char *desc;
		snprintf(path, sizeof(path), "charter.scope.categories[%zu]", i);
		if (check_members(v, path, cat_allowed, cat_required, err))
			return PARLEY_E_FORMAT;
		snprintf(path, sizeof(path), "charter.scope.categories[%zu].name", i);
		if (get_name(json_object_get(v, "name"), path, c->cats[i], err))
			return PARLEY_E_FORMAT;
		snprintf(path, sizeof(path), "charter.scope.categories[%zu]", i);
		if (json_object_get(v, "description") &&
			get_text(v, "description", path, 0, PARLEY_DESC_MAX, &desc, err))
			return PARLEY_E_FORMAT;
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->cats[j], c->cats[i]) == 0)
				return parley_fail(err, PARLEY_E_FORMAT,
					"charter.scope.categories: '%s' is listed twice", c->cats[i]);
	}
	c->ncats = json_array_size(cats);

	types = json_object_get(s, "types");
	if (!json_is_array(types) || json_array_size(types) == 0 ||
		json_array_size(types) > PARLEY_TYPE_MAX)
		return parley_fail(err, PARLEY_E_FORMAT,
			"charter.scope.types: must be a non-empty array of message types");
	json_array_foreach(types, i, v) {
		unsigned t = json_is_string(v) ? parley_type_from_name(json_string_value(v)) : 0;
		if (!t)
			return parley_fail(err, PARLEY_E_FORMAT, "charter.scope.types[%zu]: not a message type", i);
		if (t == PARLEY_T_HANDOVER)
			return parley_fail(err, PARLEY_E_FORMAT,
				"charter.scope.types[%zu]: handover is allowed on every channel and is not listed", i);
		if (c->types & (1u << t))
			return parley_fail(err, PARLEY_E_FORMAT, "charter.scope.types: '%s' is listed twice",
				parley_type_name(t));
		c->types |= 1u << t;
	}
	return PARLEY_OK;
}

static parley_code parse_deadlines(parley_charter *c, const json_t *d, parley_err *err)
{
	static const char *const allowed[] = { "acknowledge", "respond", NULL };
	static const char *const ping_allowed[] = { "respond", NULL };
	const char *k;
	json_t *v;
	char path[96];

	if (!json_is_object(d))
		return parley_fail(err, PARLEY_E_FORMAT, "charter.deadlines: must be an object");
	json_object_foreach((json_t *)d, k, v) {
		unsigned t = parley_type_from_name(k);
		snprintf(path, sizeof(path), "charter.deadlines.%.60s", k);
		if (t == PARLEY_T_PING) { /* a ping is answered or not: one deadline */
			if (!(c->types & (1u << t)))
				return parley_fail(err, PARLEY_E_FORMAT, "%s: type is not in charter.scope.types", path);
			if (check_members(v, path, ping_allowed, ping_allowed, err) ||
				get_int(v, "respond", path, 1, PARLEY_DEADLINE_MAX, &c->dl[t].respond, err))
				return PARLEY_E_FORMAT;
			continue;
		}
		if (!t || !parley_type_opens_thread(t))
			return parley_fail(err, PARLEY_E_FORMAT,
				"%s: deadlines are set only for types that open a thread", path);
		if (!(c->types & (1u << t)))
			return parley_fail(err, PARLEY_E_FORMAT, "%s: type is not in charter.scope.types", path);
		if (check_members(v, path, allowed, allowed, err) ||
			get_int(v, "acknowledge", path, 1, PARLEY_DEADLINE_MAX, &c->dl[t].acknowledge, err) ||
			get_int(v, "respond", path, 1, PARLEY_DEADLINE_MAX, &c->dl[t].respond, err))
			return PARLEY_E_FORMAT;
	}
	return PARLEY_OK;
}

static parley_code parse_body(parley_charter *c, parley_err *err)
{
	static const char *const allowed[] = { "parley", "title", "parties", "relay", "scope",
		"deadlines", "escalation", "psi", "tlp", "valid_from", "valid_until", "max_bytes_per_day", "predecessor", NULL };
	static const char *const required[] = { "parley", "title", "parties", "scope", "deadlines",
		"escalation", "psi", "tlp", "valid_from", "valid_until", NULL };
	static const char *const psi_allowed[] = { "max_set", "min_set", "requests_per_day", "email_local_case", NULL };
	static const char *const psi_required[] = { "max_set", "min_set", "requests_per_day", NULL };
	const json_t *b = c->body, *v;
	const char *s;
	int64_t version;
	size_t i;
	json_t *x;

	if (check_members(b, "charter", allowed, required, err))
		return PARLEY_E_FORMAT;
	if (get_int(b, "parley", "charter", 0, 1000, &version, err))
		return PARLEY_E_FORMAT;
	if (version != PARLEY_CHARTER_VERSION)
		return parley_fail(err, PARLEY_E_FORMAT, "charter.parley: version %lld is not supported",
			(long long)version);
	if (get_text(b, "title", "charter", 1, PARLEY_TITLE_MAX, &s, err))
		return PARLEY_E_FORMAT;
	memcpy(c->title, s, strlen(s) + 1);
	if (parse_parties(c, json_object_get(b, "parties"), err))
		return PARLEY_E_FORMAT;
	if ((v = json_object_get(b, "relay")) && parse_relay(c, v, err))
		return PARLEY_E_FORMAT;
	if (parse_scope(c, json_object_get(b, "scope"), err) ||
		parse_deadlines(c, json_object_get(b, "deadlines"), err))
		return PARLEY_E_FORMAT;

	v = json_object_get(b, "escalation");
	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > PARLEY_MAX_LEVELS)
		return parley_fail(err, PARLEY_E_FORMAT, "charter.escalation: must be an array of 1 to %d levels",
			PARLEY_MAX_LEVELS);
	json_array_foreach(v, i, x) {
		char path[48];
		snprintf(path, sizeof(path), "charter.escalation[%zu]", i);
		if (get_name(x, path, c->levels[i], err))
			return PARLEY_E_FORMAT;
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->levels[j], c->levels[i]) == 0)
				return parley_fail(err, PARLEY_E_FORMAT, "charter.escalation: '%s' is listed twice",
					c->levels[i]);
	}
	c->nlevels = json_array_size(v);

	v = json_object_get(b, "psi");
	if (check_members(v, "charter.psi", psi_allowed, psi_required, err) ||
		get_int(v, "max_set", "charter.psi", 1, 100000000, &c->psi_max, err) ||
		get_int(v, "min_set", "charter.psi", 1, 100000000, &c->psi_min, err) ||
		get_int(v, "requests_per_day", "charter.psi", 0, 1000000, &c->psi_per_day, err))
		return PARLEY_E_FORMAT;
	if (c->psi_min > c->psi_max)
		return parley_fail(err, PARLEY_E_FORMAT, "charter.psi: min_set is larger than max_set");
	if ((x = json_object_get(v, "email_local_case"))) {
		const char *lc = json_string_value(x);
		if (!lc || (strcmp(lc, "sensitive") != 0 && strcmp(lc, "insensitive") != 0))
			return parley_fail(err, PARLEY_E_FORMAT,
				"charter.psi.email_local_case: must be \"sensitive\" or \"insensitive\"");
		c->psi_email_sensitive = strcmp(lc, "sensitive") == 0;
	}

	if (get_text(b, "tlp", "charter", 1, 16, &s, err))
		return PARLEY_E_FORMAT;
	if ((c->tlp = parley_tlp_from_name(s)) < 0)
		return parley_fail(err, PARLEY_E_FORMAT, "charter.tlp: '%s' is not a TLP level", s);
	if (get_time(b, "valid_from", "charter", &c->valid_from, err) ||
		get_time(b, "valid_until", "charter", &c->valid_until, err))
		return PARLEY_E_FORMAT;
	if (c->valid_until <= c->valid_from)
		return parley_fail(err, PARLEY_E_FORMAT, "charter.valid_until: must be after valid_from");
	if (json_object_get(b, "max_bytes_per_day") &&
		get_int(b, "max_bytes_per_day", "charter", 1, PARLEY_QUOTA_MAX, &c->max_bytes_per_day, err))
		return PARLEY_E_FORMAT;
	if ((v = json_object_get(b, "predecessor"))) {
		/* 64 lower-case hex digits: one spelling, so that one body has one id */
		s = json_string_value(v);
		bool ok = s && strlen(s) == 64;
		for (i = 0; ok && i < 64; i++)
			ok = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
		if (!ok || parley_unhex(c->pred, 32, s, 64))
			return parley_fail(err, PARLEY_E_FORMAT,
				"charter.predecessor: must be a charter id (64 lower-case hex digits)");
		c->has_pred = true;
	}
	return PARLEY_OK;
}

static parley_code parse_sigs(parley_charter *c, parley_err *err)
{
	static const char *const allowed[] = { "name", "sig", NULL };
	size_t i;
	json_t *v;

	if (!json_is_array(c->sigs))
		return parley_fail(err, PARLEY_E_FORMAT, "signatures: must be an array");
	if (json_array_size(c->sigs) > MAX_SIG_ENTRIES)
		return parley_fail(err, PARLEY_E_LIMIT, "signatures: more than %d", MAX_SIG_ENTRIES);
	json_array_foreach(c->sigs, i, v) {
		char path[32];
		const char *s;
		snprintf(path, sizeof(path), "signatures[%zu]", i);
		if (check_members(v, path, allowed, allowed, err) ||
			get_text(v, "name", path, 1, PARLEY_NAME_MAX, &s, err) ||
			get_text(v, "sig", path, 1, 128, &s, err))
			return PARLEY_E_FORMAT;
	}
	return PARLEY_OK;
}

/* Validate c->body and c->sigs, compute the canonical form and the id. */
static parley_code finish(parley_charter *c, parley_err *err)
{
	json_t *body = c->body, *sigs = c->sigs;
	parley_code rc;

	/* start from nothing: finish may run again on a changed body */
	parley_buf_release(&c->canon);
	memset(c, 0, sizeof(*c));
	c->body = body;
	c->sigs = sigs;
	if ((rc = parse_body(c, err)) || (rc = parse_sigs(c, err)))
		return rc;
	parley_buf_init(&c->canon, PARLEY_CHARTER_MAX_BYTES);
	if ((rc = parley_jcs(c->body, &c->canon, err)))
		return parley_wrap(err, rc, "charter");
	parley_sha256(c->id, c->canon.data, c->canon.len);
	return PARLEY_OK;
}

static parley_charter *charter_alloc(void)
{
	parley_charter *c = calloc(1, sizeof(*c));
	return c;
}

void parley_charter_free(parley_charter *c)
{
	if (!c)
		return;
	json_decref(c->body);
	json_decref(c->sigs);
	parley_buf_release(&c->canon);
	free(c);
}

parley_code parley_charter_parse(const char *text, size_t len, parley_charter **out, parley_err *err)
{
	static const char *const allowed[] = { "charter", "signatures", NULL };
	json_t *doc = NULL;
	parley_charter *c;
	parley_code rc;

	*out = NULL;
	if ((rc = parley_json_parse(text, len, PARLEY_CHARTER_MAX_BYTES, &doc, err)))
		return parley_wrap(err, rc, "charter");
	if (check_members(doc, "charter file", allowed, allowed, err)) {
		json_decref(doc);
		return PARLEY_E_FORMAT;
	}
	if (!(c = charter_alloc())) {
		json_decref(doc);
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	}
	c->body = json_incref(json_object_get(doc, "charter"));
	c->sigs = json_incref(json_object_get(doc, "signatures"));
	json_decref(doc);
	if ((rc = finish(c, err))) {
		parley_charter_free(c);
		return rc;
	}
	*out = c;
	return PARLEY_OK;
}

parley_code parley_charter_load(const char *path, parley_charter **out, parley_err *err)
{
	parley_buf b = PARLEY_BUF_INIT;
	parley_code rc;

	*out = NULL;
	if ((rc = parley_file_read(path, PARLEY_CHARTER_MAX_BYTES, &b, err)))
		return rc;
	rc = parley_charter_parse((const char *)b.data, b.len, out, err);
	parley_buf_release(&b);
	if (rc)
		return parley_wrap(err, rc, "%s", path);
	return PARLEY_OK;
}

/* ---- building ---- */

static json_t *party_json(const parley_party *p)
{
	char vkey[PARLEY_VKEY_MAX], seal[64];
	parley_vkey_format(vkey, p->key.name, p->key.sign_pk);
	parley_b64(seal, p->key.seal_pk, PARLEY_PK_LEN);
	return json_pack("{s:s, s:s, s:s, s:s}", "name", p->key.name, "role",
		p->role == PARLEY_ROLE_AUDITOR ? "auditor" : "party", "sign", vkey, "seal", seal);
}

static json_t *relay_json(const char *url, const parley_pubkey *k)
{
	char vkey[PARLEY_VKEY_MAX];
	parley_vkey_format(vkey, k->name, k->sign_pk);
	return json_pack("{s:s, s:s}", "url", url, "key", vkey);
}

parley_code parley_charter_new(const parley_charter_spec *sp, parley_charter **out, parley_err *err)
{
	static const char *const default_levels[] = { "technical", "diplomatic", "political" };
	json_t *b, *arr;
	parley_charter *c;
	char from[21], until[21];
	int64_t now = (int64_t)time(NULL);
	uint32_t types = sp->types ? sp->types : PARLEY_TYPES_ALL;
	parley_code rc;

	*out = NULL;
	if (!sp->title || sp->nparties == 0 || sp->ncategories == 0)
		return parley_fail(err, PARLEY_E_USAGE, "a charter needs a title, parties and a scope");
	parley_time_fmt(from, sp->valid_from ? sp->valid_from : now);
	parley_time_fmt(until, sp->valid_until ? sp->valid_until : now + 365 * 86400);

	b = json_object();
	json_object_set_new(b, "parley", json_integer(PARLEY_CHARTER_VERSION));
	json_object_set_new(b, "title", json_string(sp->title));
	arr = json_array();
	for (size_t i = 0; i < sp->nparties; i++)
		json_array_append_new(arr, party_json(&sp->parties[i]));
	json_object_set_new(b, "parties", arr);
	if (sp->relay_url && sp->relay)
		json_object_set_new(b, "relay", relay_json(sp->relay_url, sp->relay));

	json_t *scope = json_object(), *cats = json_array(), *tarr = json_array();
	for (size_t i = 0; i < sp->ncategories; i++) {
		json_t *cat = json_pack("{s:s}", "name", sp->categories[i]);
		const char *d = sp->descriptions ? sp->descriptions[i] : NULL;
		if (cat && d)
			json_object_set_new(cat, "description", json_string(d));
		json_array_append_new(cats, cat);
	}
	for (unsigned t = 1; t <= PARLEY_TYPE_MAX; t++)
		if (types & (1u << t))
			json_array_append_new(tarr, json_string(parley_type_name(t)));
	json_object_set_new(scope, "categories", cats);
	json_object_set_new(scope, "types", tarr);
	json_object_set_new(b, "scope", scope);

	json_t *dl = json_object();
	if ((types & (1u << PARLEY_T_PING)) && sp->deadlines[PARLEY_T_PING].respond)
		json_object_set_new(dl, parley_type_name(PARLEY_T_PING),
			json_pack("{s:I}", "respond", (json_int_t)sp->deadlines[PARLEY_T_PING].respond));
	for (unsigned t = 1; t <= PARLEY_TYPE_MAX; t++) {
		if (!parley_type_opens_thread(t) || !(types & (1u << t)))
			continue;
		int64_t a = sp->deadlines[t].acknowledge ? sp->deadlines[t].acknowledge : PARLEY_DEFAULT_ACK;
		int64_t r = sp->deadlines[t].respond ? sp->deadlines[t].respond : PARLEY_DEFAULT_RESPOND;
		json_object_set_new(dl, parley_type_name(t),
			json_pack("{s:I, s:I}", "acknowledge", (json_int_t)a, "respond", (json_int_t)r));
	}
	json_object_set_new(b, "deadlines", dl);

	json_t *lv = json_array();
	const char *const *levels = sp->levels ? sp->levels : default_levels;
	size_t nlevels = sp->levels ? sp->nlevels : 3;
	for (size_t i = 0; i < nlevels; i++)
		json_array_append_new(lv, json_string(levels[i]));
	json_object_set_new(b, "escalation", lv);
	json_object_set_new(b, "psi",
		json_pack("{s:I, s:I, s:I}", "max_set",
			(json_int_t)(sp->psi_max_set ? sp->psi_max_set : PARLEY_DEFAULT_PSI_MAX), "min_set",
			(json_int_t)(sp->psi_min_set ? sp->psi_min_set : PARLEY_DEFAULT_PSI_MIN),
			"requests_per_day",
			(json_int_t)(sp->psi_requests_per_day ? sp->psi_requests_per_day
							      : PARLEY_DEFAULT_PSI_PER_DAY)));
	if (sp->psi_email_local_case_sensitive) /* the default stays out: charters without it keep their ids */
		json_object_set_new(json_object_get(b, "psi"), "email_local_case", json_string("sensitive"));
	json_object_set_new(b, "tlp",
		json_string(parley_tlp_name(sp->tlp >= 0 ? (unsigned)sp->tlp : PARLEY_TLP_AMBER)));
	json_object_set_new(b, "valid_from", json_string(from));
	json_object_set_new(b, "valid_until", json_string(until));
	if (sp->max_bytes_per_day)
		json_object_set_new(b, "max_bytes_per_day", json_integer((json_int_t)sp->max_bytes_per_day));
	if (sp->predecessor) {
		char hex[65];
		parley_hex(hex, sp->predecessor, 32);
		json_object_set_new(b, "predecessor", json_string(hex));
	}

	if (!(c = charter_alloc())) {
		json_decref(b);
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	}
	c->body = b;
	c->sigs = json_array();
	/* the same validation as a parsed file: a charter we write is one we accept */
	if ((rc = finish(c, err))) {
		parley_charter_free(c);
		return rc;
	}
	*out = c;
	return PARLEY_OK;
}

/* ---- signatures ---- */

static parley_code sig_message(const parley_charter *c, parley_buf *m)
{
	parley_code rc;
	parley_buf_init(m, PARLEY_CHARTER_MAX_BYTES + 64);
	if ((rc = parley_buf_addstr(m, PARLEY_CHARTER_SIG_CONTEXT)) ||
		(rc = parley_buf_add(m, c->canon.data, c->canon.len)))
		parley_buf_release(m);
	return rc;
}

/* 0 = verifies, 1 = bad encoding, 2 = does not verify */
static int check_sig(const parley_party *p, const char *b64, const parley_buf *msg)
{
	uint8_t sig[PARLEY_SIG_LEN + 4];
	size_t n = 0;
	if (parley_unb64(sig, sizeof(sig), &n, b64, strlen(b64)) || n != PARLEY_SIG_LEN)
		return 1;
	if (crypto_sign_verify_detached(sig, msg->data, msg->len, p->key.sign_pk) != 0)
		return 2;
	return 0;
}

parley_code parley_charter_verify(const parley_charter *c, parley_err *err)
{
	parley_buf msg;
	bool seen[PARLEY_MAX_PARTIES] = { false };
	size_t i;
	json_t *v;
	parley_code rc = PARLEY_OK;

	if (sig_message(c, &msg))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	json_array_foreach(c->sigs, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		const char *sig = json_string_value(json_object_get(v, "sig"));
		size_t k;
		for (k = 0; k < c->nparties; k++)
			if (strcmp(c->parties[k].key.name, name) == 0)
				break;
		if (k == c->nparties) {
			rc = parley_fail(err, PARLEY_E_VERIFY,
				"signature by '%s', who is not listed in the charter", name);
			goto out;
		}
		if (seen[k]) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "two signatures by '%s'", name);
			goto out;
		}
		seen[k] = true;
		switch (check_sig(&c->parties[k], sig, &msg)) {
		case 1:
			rc = parley_fail(err, PARLEY_E_VERIFY,
				"signature by '%s' is not base64 of a 64-byte signature", name);
			goto out;
		case 2:
			rc = parley_fail(err, PARLEY_E_VERIFY,
				"signature by '%s' does not verify: the charter was changed after it was signed, or the signature is not theirs",
				name);
			goto out;
		}
	}
	{
		char missing[sizeof(err->msg) - 64] = "";
		size_t nmissing = 0, used = 0;
		for (size_t k = 0; k < c->nparties; k++) {
			if (seen[k])
				continue;
			int w = snprintf(missing + used, sizeof(missing) - used, "%s%s", nmissing ? ", " : "",
				c->parties[k].key.name);
			if (w > 0 && (size_t)w < sizeof(missing) - used)
				used += (size_t)w;
			nmissing++;
		}
		if (nmissing)
			rc = parley_fail(err, PARLEY_E_VERIFY, "not signed by %s", missing);
	}
out:
	parley_buf_release(&msg);
	return rc;
}

size_t parley_charter_count_valid_sigs(const parley_charter *c)
{
	parley_buf msg;
	bool seen[PARLEY_MAX_PARTIES] = { false };
	size_t i, n = 0;
	json_t *v;

	if (sig_message(c, &msg))
		return 0;
	json_array_foreach(c->sigs, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		for (size_t k = 0; k < c->nparties; k++)
			if (!seen[k] && strcmp(c->parties[k].key.name, name) == 0 &&
				check_sig(&c->parties[k], json_string_value(json_object_get(v, "sig")), &msg) == 0) {
				seen[k] = true;
				n++;
			}
	}
	parley_buf_release(&msg);
	return n;
}

parley_code parley_charter_sign(parley_charter *c, const parley_seckey *key, parley_err *err)
{
	const parley_party *p = parley_charter_party(c, key->pub.name);
	uint8_t sig[PARLEY_SIG_LEN];
	char b64[128];
	parley_buf msg;
	size_t i;
	json_t *v, *entry;

	if (!p)
		return parley_fail(err, PARLEY_E_VERIFY, "'%s' is not a party of this charter", key->pub.name);
	if (sodium_memcmp(p->key.sign_pk, key->pub.sign_pk, PARLEY_PK_LEN) != 0 ||
		sodium_memcmp(p->key.seal_pk, key->pub.seal_pk, PARLEY_PK_LEN) != 0)
		return parley_fail(err, PARLEY_E_VERIFY,
			"this key for '%s' is not the one the charter lists", key->pub.name);
	if (sig_message(c, &msg))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	crypto_sign_detached(sig, NULL, msg.data, msg.len, key->sign_sk);
	parley_buf_release(&msg);
	parley_b64(b64, sig, sizeof(sig));

	/* replace our earlier signature, keep the others in party order */
	for (i = json_array_size(c->sigs); i-- > 0;) {
		v = json_array_get(c->sigs, i);
		if (strcmp(json_string_value(json_object_get(v, "name")), key->pub.name) == 0)
			json_array_remove(c->sigs, i);
	}
	entry = json_pack("{s:s, s:s}", "name", key->pub.name, "sig", b64);
	if (!entry || json_array_append_new(c->sigs, entry))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	return PARLEY_OK;
}

parley_code parley_charter_set_relay(parley_charter *c, const char *url, const parley_pubkey *relay,
	parley_err *err)
{
	json_t *old;
	parley_code rc;

	if (json_array_size(c->sigs) > 0)
		return parley_fail(err, PARLEY_E_USAGE,
			"the charter is already signed: the relay can be set only before the first signature");
	old = json_incref(json_object_get(c->body, "relay"));
	json_object_set_new(c->body, "relay", relay_json(url, relay));
	if ((rc = finish(c, err))) {
		if (old)
			json_object_set_new(c->body, "relay", old);
		else
			json_object_del(c->body, "relay");
		if (finish(c, NULL))
			PARLEY_BUG("a charter that parsed before no longer does");
		return rc;
	}
	json_decref(old);
	return PARLEY_OK;
}

parley_code parley_charter_write(const parley_charter *c, parley_buf *out, parley_err *err)
{
	json_t *doc = json_pack("{s:O, s:O}", "charter", c->body, "signatures", c->sigs);
	char *s;
	parley_code rc;

	if (!doc)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!s)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	parley_buf_reset(out);
	rc = parley_buf_addstr(out, s);
	if (!rc)
		rc = parley_buf_add_u8(out, '\n');
	free(s);
	if (rc)
		return parley_fail(err, rc, "cannot write the charter");
	return PARLEY_OK;
}

static int sig_by_name(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "name"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "name"));
	return strcmp(x ? x : "", y ? y : "");
}

parley_code parley_charter_write_canonical(const parley_charter *c, parley_buf *out, parley_err *err)
{
	json_t *sorted[MAX_SIG_ENTRIES], *sigs = json_array(), *doc = NULL;
	size_t n = json_array_size(c->sigs);
	parley_code rc = PARLEY_E_NOMEM;

	if (!sigs || n > MAX_SIG_ENTRIES)
		goto out;
	for (size_t i = 0; i < n; i++)
		sorted[i] = json_array_get(c->sigs, i);
	qsort(sorted, n, sizeof(*sorted), sig_by_name);
	for (size_t i = 0; i < n; i++)
		if (json_array_append(sigs, sorted[i]))
			goto out;
	if (!(doc = json_pack("{s:O, s:O}", "charter", c->body, "signatures", sigs)))
		goto out;
	parley_buf_reset(out);
	rc = parley_jcs(doc, out, err);
out:
	json_decref(sigs);
	json_decref(doc);
	return rc == PARLEY_E_NOMEM ? parley_fail(err, rc, "out of memory") : rc;
}

/* ---- accessors ---- */

const parley_buf *parley_charter_canonical(const parley_charter *c) { return &c->canon; }
const uint8_t *parley_charter_id(const parley_charter *c) { return c->id; }
const char *parley_charter_title(const parley_charter *c) { return c->title; }
size_t parley_charter_nparties(const parley_charter *c) { return c->nparties; }

const parley_party *parley_charter_party_at(const parley_charter *c, size_t i)
{
	return i < c->nparties ? &c->parties[i] : NULL;
}

const parley_party *parley_charter_party(const parley_charter *c, const char *name)
{
	for (size_t i = 0; i < c->nparties; i++)
		if (strcmp(c->parties[i].key.name, name) == 0)
			return &c->parties[i];
	return NULL;
}

const parley_party *parley_charter_party_by_keyid(const parley_charter *c, const uint8_t keyid[4])
{
	for (size_t i = 0; i < c->nparties; i++)
		if (memcmp(c->parties[i].key.keyid, keyid, 4) == 0)
			return &c->parties[i];
	return NULL;
}

const parley_pubkey *parley_charter_relay(const parley_charter *c, const char **url)
{
	if (!c->has_relay)
		return NULL;
	if (url)
		*url = c->relay_url;
	return &c->relay;
}

size_t parley_charter_ncategories(const parley_charter *c) { return c->ncats; }

const char *parley_charter_category_at(const parley_charter *c, size_t i)
{
	return i < c->ncats ? c->cats[i] : NULL;
}

bool parley_charter_allows_category(const parley_charter *c, const char *category)
{
	for (size_t i = 0; i < c->ncats; i++)
		if (strcmp(c->cats[i], category) == 0)
			return true;
	return false;
}

const uint8_t *parley_charter_predecessor(const parley_charter *c)
{
	return c->has_pred ? c->pred : NULL;
}

bool parley_charter_allows_type(const parley_charter *c, unsigned type)
{
	if (type == PARLEY_T_HANDOVER)
		return true; /* every channel can hand over to a successor (docs/protocol.md, "Succession") */
	if (type == PARLEY_T_UNREADABLE && (c->types & (1u << PARLEY_T_RECEIPT)))
		return true; /* the other automatic report on an entry received: it comes with receipts */
	return type >= 1 && type <= PARLEY_TYPE_MAX && (c->types & (1u << type));
}

parley_deadline parley_charter_deadline(const parley_charter *c, unsigned type)
{
	parley_deadline none = { 0, 0 };
	return type <= PARLEY_TYPE_MAX ? c->dl[type] : none;
}

size_t parley_charter_nlevels(const parley_charter *c) { return c->nlevels; }

const char *parley_charter_level_at(const parley_charter *c, size_t i)
{
	return i < c->nlevels ? c->levels[i] : NULL;
}

void parley_charter_psi_limits(const parley_charter *c, int64_t *max_set, int64_t *min_set,
	int64_t *per_day)
{
	*max_set = c->psi_max;
	*min_set = c->psi_min;
	*per_day = c->psi_per_day;
}

bool parley_charter_psi_email_case_sensitive(const parley_charter *c)
{
	return c->psi_email_sensitive;
}

int parley_charter_tlp(const parley_charter *c) { return c->tlp; }

void parley_charter_validity(const parley_charter *c, int64_t *from, int64_t *until)
{
	*from = c->valid_from;
	*until = c->valid_until;
}

parley_code parley_charter_check_time(const parley_charter *c, int64_t now, parley_err *err)
{
	char from[21], until[21], at[21];

	parley_time_fmt(from, c->valid_from);
	parley_time_fmt(until, c->valid_until);
	parley_time_fmt(at, now);
	if (now < c->valid_from)
		return parley_fail(err, PARLEY_E_VERIFY, "the charter is not yet valid: valid from %s to %s (now %s)",
			from, until, at);
	if (now >= c->valid_until)
		return parley_fail(err, PARLEY_E_VERIFY, "the charter expired at %s: valid from %s to %s (now %s)",
			until, from, until, at);
	return PARLEY_OK;
}

/* ---- the daily byte quota ---- */

#define DAY_MS 86400000u

int64_t parley_charter_max_bytes_per_day(const parley_charter *c) { return c->max_bytes_per_day; }

parley_code parley_charter_quota_check(const parley_charter *c, const parley_quota_day *q, const char *who,
	uint64_t ms, size_t len, parley_err *err)
{
	uint64_t max = (uint64_t)c->max_bytes_per_day, used = ms / DAY_MS == q->day ? q->bytes : 0;
	if (!max || (len <= max && used <= max - len))
		return PARLEY_OK;
	return parley_fail(err, PARLEY_E_LIMIT,
		"%s would exceed the charter's daily byte quota (max_bytes_per_day %llu): %llu bytes already on UTC day %llu, "
		"this entry %zu",
		who, (unsigned long long)max, (unsigned long long)used, (unsigned long long)(ms / DAY_MS), len);
}

void parley_quota_count(parley_quota_day *q, uint64_t ms, size_t len)
{
	if (ms / DAY_MS != q->day) {
		q->day = ms / DAY_MS;
		q->bytes = 0;
	}
	q->bytes += len;
}
