/* remote.c - the typed relay client: the routes the proof tools ask, their URLs, statuses and JSON shapes. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "parley/jcs.h"
#include "parley/remote.h"
#include "banned.h"

#define READ_JSON_MAX 4096

/* Add context to err and give it another code (parley_wrap keeps the code). */
static parley_code recode(parley_err *err, parley_code code, const char *ctx)
{
	parley_wrap(err, code, "%s", ctx);
	if (err)
		err->code = code;
	return code;
}

/* A string member copied into a fixed field; false when absent, not a string, empty or too long. */
static bool get_str(json_t *j, const char *name, char *out, size_t cap)
{
	json_t *v = json_object_get(j, name);
	const char *s = json_string_value(v);
	size_t n = s ? json_string_length(v) : 0;
	if (!s || n == 0 || n >= cap || strlen(s) != n)
		return false;
	memcpy(out, s, n + 1);
	return true;
}

static bool get_u64(json_t *j, const char *name, uint64_t *out)
{
	json_t *v = json_object_get(j, name);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

parley_code parley_signed_read_parse_json(const char *json, size_t n, parley_signed_read *out, parley_err *err)
{
	json_t *j = NULL;
	char party[9];
	parley_code rc = PARLEY_OK;

	memset(out, 0, sizeof(*out));
	if (parley_json_parse(json, n, READ_JSON_MAX, &j, err))
		return recode(err, PARLEY_E_FORMAT, "signed read");
	if (!json_is_object(j) || json_object_size(j) != 6 || !get_str(j, "party", party, sizeof(party)) ||
		strspn(party, "0123456789abcdef") != 8 || parley_unhex(out->keyid, 4, party, 8) || !get_u64(j, "from", &out->from) ||
		!get_u64(j, "time_ms", &out->time_ms) || !get_str(j, "target", out->target, sizeof(out->target)) ||
		!get_str(j, "nonce", out->nonce, sizeof(out->nonce)) || !get_str(j, "signature", out->sig, sizeof(out->sig)))
		rc = parley_fail(err, PARLEY_E_FORMAT,
			"signed read: expected {party, from, target, time_ms, nonce, signature} with strings that fit");
	json_decref(j);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* GET target; 200 leaves the body in resp, 404 is PARLEY_E_NOTFOUND, other statuses the relay's problem. */
static parley_code get(parley_client *cl, const char *target, parley_buf *resp, parley_err *err)
{
	long status = 0;
	parley_code rc;

	if ((rc = parley_client_do(cl, "GET", target, NULL, NULL, 0, &status, resp, err)))
		return rc;
	if (status == 200)
		return PARLEY_OK;
	rc = parley_client_problem(status, resp, err);
	return status == 404 ? recode(err, PARLEY_E_NOTFOUND, "not found") : rc;
}

static parley_code check_channel(const char *channel_hex, parley_err *err)
{
	size_t n = strlen(channel_hex);
	if (n != 64 || strspn(channel_hex, "0123456789abcdef") != 64)
		return parley_fail(err, PARLEY_E_USAGE, "channel id is not 64 lower-case hex digits");
	return PARLEY_OK;
}

parley_code parley_remote_read_past(parley_client *cl, const char *channel_hex, const uint8_t keyid[4], uint64_t past,
	parley_signed_read *out, parley_err *err)
{
	parley_buf resp = PARLEY_BUF_INIT;
	char target[200], keyhex[9];
	parley_code rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_channel(channel_hex, err)))
		return rc;
	parley_hex(keyhex, keyid, 4);
	snprintf(target, sizeof(target), "/v1/channels/%s/reads?party=%s&past=%llu", channel_hex, keyhex,
		(unsigned long long)past);
	resp.max = READ_JSON_MAX;
	if ((rc = get(cl, target, &resp, err)))
		goto out;
	if ((rc = parley_signed_read_parse_json((const char *)resp.data, resp.len, out, err))) {
		rc = recode(err, PARLEY_E_IO, "relay answered a malformed read");
		goto out;
	}
	if (memcmp(out->keyid, keyid, 4) != 0 || out->from <= past)
		rc = parley_fail(err, PARLEY_E_IO, "relay %s answered a read by another party or not past %llu", cl->base,
			(unsigned long long)past);
out:
	if (rc)
		memset(out, 0, sizeof(*out));
	parley_buf_release(&resp);
	return rc;
}

parley_code parley_remote_checkpoint_cosigned(parley_client *cl, const char *channel_hex, const uint8_t keyid[4],
	uint64_t min_size, parley_buf *note, parley_err *err)
{
	char target[200], keyhex[9];
	parley_code rc;

	parley_buf_reset(note);
	if ((rc = check_channel(channel_hex, err)))
		return rc;
	parley_hex(keyhex, keyid, 4);
	snprintf(target, sizeof(target), "/v1/channels/%s/checkpoint?cosigned_by=%s&min_size=%llu", channel_hex, keyhex,
		(unsigned long long)min_size);
	if ((rc = get(cl, target, note, err)))
		parley_buf_reset(note);
	return rc;
}
