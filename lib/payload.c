/* payload.c - encoding of an entry's plaintext. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "parley/entry.h"
#include "parley/jcs.h"
#include "parley/payload.h"
#include "banned.h"

static parley_code check_stix(const json_t *stix, parley_err *err)
{
	const json_t *t = json_object_get(stix, "type");
	if (!json_is_object(stix) || !json_is_string(t) || strcmp(json_string_value(t), "bundle") != 0)
		return parley_fail(err, PARLEY_E_FORMAT, "STIX content must be a bundle (\"type\": \"bundle\")");
	return PARLEY_OK;
}

parley_code parley_payload_encode(const char *text, const json_t *stix, parley_buf *out, parley_err *err)
{
	json_t *o;
	char *s;
	parley_code rc;

	if (!text && !stix)
		return parley_fail(err, PARLEY_E_USAGE, "a message needs text or a STIX bundle");
	if (text && strlen(text) > PARLEY_TEXT_MAX)
		return parley_fail(err, PARLEY_E_LIMIT, "text is longer than %d bytes", PARLEY_TEXT_MAX);
	if (stix && (rc = check_stix(stix, err)))
		return rc;
	o = json_object();
	if (text) {
		json_t *t = json_string(text);
		if (!t) {
			json_decref(o);
			return parley_fail(err, PARLEY_E_FORMAT, "text is not valid UTF-8");
		}
		json_object_set_new(o, "text", t);
	}
	if (stix)
		json_object_set(o, "stix", (json_t *)stix);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	parley_buf_reset(out);
	rc = parley_buf_addstr(out, s);
	free(s);
	if (rc)
		return parley_fail(err, rc, "payload too large");
	if (out->len > PARLEY_ENTRY_MAX_PAYLOAD)
		return parley_fail(err, PARLEY_E_LIMIT, "content of %zu bytes is over the %zu-byte limit", out->len,
			PARLEY_ENTRY_MAX_PAYLOAD);
	return PARLEY_OK;
}

parley_code parley_payload_decode(const uint8_t *p, size_t n, parley_payload *out, parley_err *err)
{
	json_t *o = NULL, *v;
	const char *k;
	parley_code rc;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return PARLEY_OK;
	if ((rc = parley_json_parse((const char *)p, n, PARLEY_ENTRY_MAX_PAYLOAD, &o, err)))
		return parley_wrap(err, rc, "payload");
	if (!json_is_object(o)) {
		json_decref(o);
		return parley_fail(err, PARLEY_E_FORMAT, "payload: not a JSON object");
	}
	json_object_foreach(o, k, v) {
		if (strcmp(k, "text") == 0 && json_is_string(v)) {
			out->text = strdup(json_string_value(v));
		} else if (strcmp(k, "stix") == 0 && check_stix(v, NULL) == PARLEY_OK) {
			out->stix = json_incref(v);
		} else if (strcmp(k, "checkpoint") == 0 && json_is_string(v)) {
			out->checkpoint = strdup(json_string_value(v));
		} else {
			json_decref(o);
			parley_payload_release(out);
			return parley_fail(err, PARLEY_E_FORMAT, "payload: unexpected member '%s'", k);
		}
	}
	json_decref(o);
	return PARLEY_OK;
}

void parley_payload_release(parley_payload *p)
{
	free(p->text);
	free(p->checkpoint);
	json_decref(p->stix);
	memset(p, 0, sizeof(*p));
}
