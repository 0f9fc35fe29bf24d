/* remote.c - the typed relay client: every route of docs/api.md, its URL, statuses and JSON shapes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "parley/batch.h"
#include "parley/entry.h"
#include "parley/jcs.h"
#include "parley/merkle.h"
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

/* ---- the routes a node uses to join, sync and post ---- */

/* Send one request; a status other than `want` is the relay's problem (parley_client_problem). */
static parley_code call(parley_client *cl, const char *method, const char *target, const char *ctype,
	const uint8_t *body, size_t n, long want, parley_buf *resp, parley_err *err)
{
	long status = 0;
	parley_code rc;

	if ((rc = parley_client_do(cl, method, target, ctype, body, n, &status, resp, err)))
		return rc;
	return status == want ? PARLEY_OK : parley_client_problem(status, resp, err);
}

parley_code parley_remote_health(parley_client *cl, parley_err *err)
{
	parley_buf resp = PARLEY_BUF_INIT;
	parley_code rc = call(cl, "GET", "/v1/health", NULL, NULL, 0, 200, &resp, err);
	parley_buf_release(&resp);
	return rc;
}

parley_code parley_remote_metrics(parley_client *cl, parley_buf *out, parley_err *err)
{
	parley_buf_reset(out);
	return call(cl, "GET", "/v1/metrics", NULL, NULL, 0, 200, out, err);
}

parley_code parley_remote_open(parley_client *cl, const uint8_t *charter, size_t n, parley_err *err)
{
	parley_buf resp = PARLEY_BUF_INIT;
	parley_code rc = call(cl, "POST", "/v1/channels", "application/json", charter, n, 201, &resp, err);
	parley_buf_release(&resp);
	return rc;
}

parley_code parley_remote_charter(parley_client *cl, const char *channel_hex, parley_buf *out, parley_err *err)
{
	char target[200];
	parley_code rc;

	parley_buf_reset(out);
	if ((rc = check_channel(channel_hex, err)))
		return rc;
	snprintf(target, sizeof(target), "/v1/channels/%s/charter", channel_hex);
	return call(cl, "GET", target, NULL, NULL, 0, 200, out, err);
}

parley_code parley_remote_append(parley_client *cl, const char *channel_hex, const uint8_t *entry, size_t n,
	uint64_t *index, uint64_t *integrated_ms, parley_err *err)
{
	parley_buf resp = PARLEY_BUF_INIT;
	char target[128];
	json_t *j = NULL;
	uint64_t ms = 0;
	parley_code rc;

	if ((rc = check_channel(channel_hex, err)))
		return rc;
	snprintf(target, sizeof(target), "/v1/channels/%s/entries", channel_hex);
	if ((rc = call(cl, "POST", target, "application/octet-stream", entry, n, 201, &resp, err)))
		goto out;
	j = json_loadb((const char *)resp.data, resp.len, 0, NULL);
	if (!get_u64(j, "index", index)) {
		rc = parley_fail(err, PARLEY_E_IO, "the relay's answer has no index");
		goto out;
	}
	(void)get_u64(j, "integrated_ms", &ms);
	if (integrated_ms)
		*integrated_ms = ms;
out:
	json_decref(j);
	parley_buf_release(&resp);
	return rc;
}

parley_code parley_remote_append_batch(parley_client *cl, const char *channel_hex, const uint8_t *const *entries,
	const size_t *lens, size_t n, uint64_t *indexes, uint64_t *integrated_ms, parley_remote_batch *out,
	parley_err *err)
{
	parley_buf body = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	parley_remote_batch o = { 0, SIZE_MAX, "" };
	char target[128];
	json_t *j = NULL, *arr, *v;
	parley_code rc;

	if (integrated_ms)
		*integrated_ms = 0;
	if ((rc = check_channel(channel_hex, err)))
		goto out;
	if (n == 0 || n > PARLEY_BATCH_MAX_ENTRIES) {
		rc = parley_fail(err, PARLEY_E_USAGE, "a batch holds 1 to %d entries, not %zu", PARLEY_BATCH_MAX_ENTRIES, n);
		goto out;
	}
	body.max = PARLEY_BATCH_MAX_BYTES;
	for (size_t i = 0; i < n; i++)
		if ((rc = parley_batch_add(&body, entries[i], lens[i], err))) {
			if (body.len + 4 + lens[i] > PARLEY_BATCH_MAX_BYTES)
				rc = parley_fail(err, PARLEY_E_USAGE, "the batch is larger than %zu bytes",
					(size_t)PARLEY_BATCH_MAX_BYTES);
			goto out;
		}
	snprintf(target, sizeof(target), "/v1/channels/%s/entries", channel_hex);
	if ((rc = parley_client_do(cl, "POST", target, PARLEY_BATCH_CTYPE, body.data, body.len, &o.status, &resp, err)))
		goto out;
	j = json_loadb((const char *)resp.data, resp.len, 0, NULL);
	if (o.status != 201) {
		json_t *ix = json_object_get(j, "index"), *ti = json_object_get(j, "title");
		if (json_is_integer(ix) && json_integer_value(ix) >= 0 && (uint64_t)json_integer_value(ix) < n)
			o.bad = (size_t)json_integer_value(ix);
		if (json_is_string(ti))
			snprintf(o.slug, sizeof(o.slug), "%s", json_string_value(ti));
		rc = parley_client_problem(o.status, &resp, err);
		goto out;
	}
	arr = json_object_get(j, "entries");
	if (!json_is_array(arr) || json_array_size(arr) != n) {
		rc = parley_fail(err, PARLEY_E_IO, "the relay's answer does not list the %zu entries of the batch", n);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t ms = 0;
		v = json_array_get(arr, i);
		if (!get_u64(v, "index", &indexes[i]) || (i && indexes[i] != indexes[i - 1] + 1)) {
			rc = parley_fail(err, PARLEY_E_IO, "the relay's answer has no index, or not consecutive ones");
			goto out;
		}
		if (get_u64(v, "integrated_ms", &ms) && integrated_ms && i == 0)
			*integrated_ms = ms;
	}
out:
	if (out)
		*out = o;
	json_decref(j);
	parley_buf_release(&body);
	parley_buf_release(&resp);
	return rc;
}

void parley_remote_page_release(parley_remote_page *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].data);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

parley_code parley_remote_page_parse(const char *json, size_t n, uint64_t from, parley_remote_page *out, parley_err *err)
{
	json_t *j = NULL, *arr, *v;
	size_t i;
	parley_code rc = PARLEY_OK;

	parley_remote_page_release(out);
	j = json_loadb(json, n, 0, NULL);
	arr = json_object_get(j, "entries");
	if (!json_is_array(arr)) /* no page: an empty one, which a sync takes as entries not returned */
		goto out;
	(void)get_u64(j, "size", &out->size);
	if (!(out->v = calloc(json_array_size(arr) ? json_array_size(arr) : 1, sizeof(*out->v)))) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory for a page of entries");
		goto out;
	}
	json_array_foreach(arr, i, v) {
		json_t *ji = json_object_get(v, "index"), *jm = json_object_get(v, "integrated_ms"), *je = json_object_get(v, "entry");
		parley_remote_entry *x = &out->v[i];
		uint64_t k = from + i;
		if (!json_is_integer(ji) || json_integer_value(ji) < 0 || (uint64_t)json_integer_value(ji) != k) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "the relay returned entry %lld where %llu was due",
				json_is_integer(ji) ? (long long)json_integer_value(ji) : -1LL, (unsigned long long)k);
			goto out;
		}
		const char *b64 = json_string_value(je);
		size_t blen = b64 ? strlen(b64) : 0, len = 0;
		if (!json_is_integer(jm) || json_integer_value(jm) < 0 || !b64 || blen > 2 * PARLEY_ENTRY_MAX_BYTES ||
			!(x->data = malloc(blen / 4 * 3 + 3)) || parley_unb64(x->data, blen / 4 * 3 + 3, &len, b64, blen)) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "entry %llu: malformed in the relay's answer", (unsigned long long)k);
			out->n = i + 1; /* frees x->data */
			goto out;
		}
		x->index = k;
		x->integrated_ms = (uint64_t)json_integer_value(jm);
		x->len = len;
		out->n = i + 1;
	}
out:
	json_decref(j);
	if (rc)
		parley_remote_page_release(out);
	return rc;
}

parley_code parley_remote_page_parse_bin(const uint8_t *p, size_t n, uint64_t from, parley_remote_page *out,
	parley_err *err)
{
	size_t off = 8, cap = 0;
	parley_code rc = PARLEY_OK;

	parley_remote_page_release(out);
	if (n < 8)
		return parley_fail(err, PARLEY_E_VERIFY, "the relay's page of entries is cut short");
	out->size = parley_get_u64(p);
	while (off < n) {
		uint64_t k = from + out->n;
		if (n - off < 20) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "entry %llu: malformed in the relay's answer", (unsigned long long)k);
			break;
		}
		uint64_t idx = parley_get_u64(p + off), ms = parley_get_u64(p + off + 8);
		uint32_t len = (uint32_t)p[off + 16] << 24 | (uint32_t)p[off + 17] << 16 | (uint32_t)p[off + 18] << 8 | p[off + 19];
		off += 20;
		if (idx != k) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "the relay returned entry %llu where %llu was due",
				(unsigned long long)idx, (unsigned long long)k);
			break;
		}
		if (len > PARLEY_ENTRY_MAX_BYTES || len > n - off || ms > INT64_MAX) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "entry %llu: malformed in the relay's answer", (unsigned long long)k);
			break;
		}
		if (out->n == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			parley_remote_entry *v = realloc(out->v, ncap * sizeof(*v));
			if (!v) {
				rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory for a page of entries");
				break;
			}
			out->v = v;
			cap = ncap;
		}
		parley_remote_entry *x = &out->v[out->n];
		memset(x, 0, sizeof(*x));
		if (!(x->data = malloc(len ? len : 1))) {
			rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory for a page of entries");
			break;
		}
		memcpy(x->data, p + off, len);
		x->index = k;
		x->integrated_ms = ms;
		x->len = len;
		out->n++;
		off += len;
	}
	if (rc)
		parley_remote_page_release(out);
	return rc;
}

parley_code parley_remote_entries(parley_client *cl, const char *channel_hex, uint64_t from, uint64_t limit,
	unsigned wait_s, parley_remote_page *out, parley_err *err)
{
	parley_buf resp = PARLEY_BUF_INIT;
	char target[200];
	long status = 0;
	parley_code rc;

	parley_remote_page_release(out);
	if ((rc = check_channel(channel_hex, err)))
		return rc;
	if (limit == 0 || limit > PARLEY_REMOTE_PAGE_MAX || wait_s > PARLEY_REMOTE_WAIT_MAX)
		return parley_fail(err, PARLEY_E_USAGE, "entries: limit must be 1 to %d and wait at most %d s",
			PARLEY_REMOTE_PAGE_MAX, PARLEY_REMOTE_WAIT_MAX);
	if (wait_s)
		snprintf(target, sizeof(target), "/v1/channels/%s/entries?from=%llu&limit=%llu&wait=%u", channel_hex,
			(unsigned long long)from, (unsigned long long)limit, wait_s);
	else
		snprintf(target, sizeof(target), "/v1/channels/%s/entries?from=%llu&limit=%llu", channel_hex,
			(unsigned long long)from, (unsigned long long)limit);
	cl->accept = PARLEY_MEDIA_PAGE; /* the binary page: no JSON or base64 per entry (a JSON answer is read too) */
	if (wait_s) { /* a long poll refused for the waiting limits is the caller's to pace, not retried here */
		int keep = cl->no_retry;
		cl->no_retry = 1;
		rc = parley_client_do(cl, "GET", target, NULL, NULL, 0, &status, &resp, err);
		cl->no_retry = keep;
		if (!rc && status == 429) {
			rc = parley_client_problem(status, &resp, err);
			rc = recode(err, PARLEY_E_LIMIT, "long poll");
			goto out;
		}
		if (!rc && status != 200)
			rc = parley_client_problem(status, &resp, err);
	} else {
		rc = call(cl, "GET", target, NULL, NULL, 0, 200, &resp, err);
	}
	if (rc)
		goto out;
	if (strncmp(cl->resp_type, PARLEY_MEDIA_PAGE, strlen(PARLEY_MEDIA_PAGE)) == 0)
		rc = parley_remote_page_parse_bin(resp.data, resp.len, from, out, err);
	else
		rc = parley_remote_page_parse((const char *)resp.data, resp.len, from, out, err);
out:
	cl->accept = NULL;
	parley_buf_release(&resp);
	if (rc)
		parley_remote_page_release(out);
	return rc;
}

parley_code parley_remote_checkpoint(parley_client *cl, const char *channel_hex, uint64_t size, parley_buf *note,
	parley_err *err)
{
	char target[200];
	parley_code rc;

	parley_buf_reset(note);
	if ((rc = check_channel(channel_hex, err)))
		return rc;
	if (size == PARLEY_REMOTE_LATEST)
		snprintf(target, sizeof(target), "/v1/channels/%s/checkpoint", channel_hex);
	else
		snprintf(target, sizeof(target), "/v1/channels/%s/checkpoint?size=%llu", channel_hex, (unsigned long long)size);
	if ((rc = call(cl, "GET", target, NULL, NULL, 0, 200, note, err)))
		parley_buf_reset(note);
	return rc;
}

static parley_code get_proof(parley_client *cl, const char *target, uint8_t proof[][32], size_t *n, parley_err *err)
{
	parley_buf resp = PARLEY_BUF_INIT;
	json_t *j = NULL, *arr, *v;
	size_t i;
	parley_code rc;

	*n = 0;
	if ((rc = call(cl, "GET", target, NULL, NULL, 0, 200, &resp, err)))
		goto out;
	j = json_loadb((const char *)resp.data, resp.len, 0, NULL);
	arr = json_object_get(j, "hashes");
	if (!json_is_array(arr) || json_array_size(arr) > PARLEY_MERKLE_MAX_PROOF) {
		rc = parley_fail(err, PARLEY_E_VERIFY, "malformed proof from the relay");
		goto out;
	}
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);
		if (!s || parley_unhex(proof[i], 32, s, strlen(s))) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "malformed proof from the relay");
			goto out;
		}
	}
	*n = json_array_size(arr);
out:
	json_decref(j);
	parley_buf_release(&resp);
	return rc;
}

parley_code parley_remote_proof_inclusion(parley_client *cl, const char *channel_hex, uint64_t index, uint64_t size,
	uint8_t proof[][32], size_t *n, parley_err *err)
{
	char target[200];
	parley_code rc;

	*n = 0;
	if ((rc = check_channel(channel_hex, err)))
		return rc;
	snprintf(target, sizeof(target), "/v1/channels/%s/proof/inclusion?index=%llu&size=%llu", channel_hex,
		(unsigned long long)index, (unsigned long long)size);
	return get_proof(cl, target, proof, n, err);
}

parley_code parley_remote_proof_consistency(parley_client *cl, const char *channel_hex, uint64_t old, uint64_t size,
	uint8_t proof[][32], size_t *n, parley_err *err)
{
	char target[200];
	parley_code rc;

	*n = 0;
	if ((rc = check_channel(channel_hex, err)))
		return rc;
	snprintf(target, sizeof(target), "/v1/channels/%s/proof/consistency?old=%llu&size=%llu", channel_hex,
		(unsigned long long)old, (unsigned long long)size);
	return get_proof(cl, target, proof, n, err);
}

parley_code parley_remote_cosign(parley_client *cl, const char *channel_hex, uint64_t size, const char *line,
	parley_err *err)
{
	parley_buf resp = PARLEY_BUF_INIT;
	char target[200], *s;
	json_t *body;
	parley_code rc;

	if ((rc = check_channel(channel_hex, err)))
		return rc;
	body = json_pack("{s:I, s:s}", "size", (json_int_t)size, "line", line);
	s = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!s)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	snprintf(target, sizeof(target), "/v1/channels/%s/cosignatures", channel_hex);
	rc = call(cl, "POST", target, "application/json", (const uint8_t *)s, strlen(s), 201, &resp, err);
	free(s);
	parley_buf_release(&resp);
	return rc;
}
