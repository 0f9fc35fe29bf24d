/* jcs.c - RFC 8785 canonical JSON (integers only) and strict JSON parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/jcs.h"
#include "banned.h"

/* Decode one UTF-8 sequence (already validated by jansson) to a code point. */
static uint32_t utf8_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t c = s[0];
	int n = 0;

	if (c >= 0xf0) {
		c &= 0x07;
		n = 3;
	} else if (c >= 0xe0) {
		c &= 0x0f;
		n = 2;
	} else if (c >= 0xc0) {
		c &= 0x1f;
		n = 1;
	}
	for (int i = 1; i <= n && s[i]; i++)
		c = (c << 6) | (s[i] & 0x3f);
	*p = s + 1 + n;
	return c;
}

/* Compare two UTF-8 strings by their UTF-16 code units, as RFC 8785 sorts names. */
static int cmp_utf16(const char *a, const char *b)
{
	const unsigned char *pa = (const unsigned char *)a, *pb = (const unsigned char *)b;
	uint16_t ua[2], ub[2];
	int na = 0, nb = 0, ia = 0, ib = 0;

	for (;;) {
		if (ia == na) {
			if (!*pa)
				na = 0;
			else {
				uint32_t c = utf8_next(&pa);
				if (c >= 0x10000) {
					c -= 0x10000;
					ua[0] = (uint16_t)(0xd800 + (c >> 10));
					ua[1] = (uint16_t)(0xdc00 + (c & 0x3ff));
					na = 2;
				} else {
					ua[0] = (uint16_t)c;
					na = 1;
				}
			}
			ia = 0;
		}
		if (ib == nb) {
			if (!*pb)
				nb = 0;
			else {
				uint32_t c = utf8_next(&pb);
				if (c >= 0x10000) {
					c -= 0x10000;
					ub[0] = (uint16_t)(0xd800 + (c >> 10));
					ub[1] = (uint16_t)(0xdc00 + (c & 0x3ff));
					nb = 2;
				} else {
					ub[0] = (uint16_t)c;
					nb = 1;
				}
			}
			ib = 0;
		}
		if (na == 0 || nb == 0)
			return (na != 0) - (nb != 0);
		if (ua[ia] != ub[ib])
			return ua[ia] < ub[ib] ? -1 : 1;
		ia++;
		ib++;
	}
}

static int cmp_keys(const void *x, const void *y)
{
	return cmp_utf16(*(const char *const *)x, *(const char *const *)y);
}

static parley_code jcs_string(const char *s, size_t n, parley_buf *out)
{
	parley_code rc = parley_buf_add_u8(out, '"');

	for (size_t i = 0; !rc && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': rc = parley_buf_addstr(out, "\\\""); break;
		case '\\': rc = parley_buf_addstr(out, "\\\\"); break;
		case '\b': rc = parley_buf_addstr(out, "\\b"); break;
		case '\f': rc = parley_buf_addstr(out, "\\f"); break;
		case '\n': rc = parley_buf_addstr(out, "\\n"); break;
		case '\r': rc = parley_buf_addstr(out, "\\r"); break;
		case '\t': rc = parley_buf_addstr(out, "\\t"); break;
		default:
			if (c < 0x20)
				rc = parley_buf_addf(out, "\\u%04x", c);
			else
				rc = parley_buf_add_u8(out, c);
		}
	}
	return rc ? rc : parley_buf_add_u8(out, '"');
}

static parley_code jcs_value(const json_t *v, parley_buf *out, parley_err *err, int depth)
{
	parley_code rc = PARLEY_OK;

	if (depth > 64)
		return parley_fail(err, PARLEY_E_LIMIT, "JSON nested deeper than 64 levels");
	switch (json_typeof(v)) {
	case JSON_NULL: rc = parley_buf_addstr(out, "null"); break;
	case JSON_TRUE: rc = parley_buf_addstr(out, "true"); break;
	case JSON_FALSE: rc = parley_buf_addstr(out, "false"); break;
	case JSON_REAL:
		return parley_fail(err, PARLEY_E_FORMAT, "floating-point numbers are not allowed");
	case JSON_INTEGER: {
		json_int_t i = json_integer_value(v);
		if (i > PARLEY_JCS_INT_MAX || i < -PARLEY_JCS_INT_MAX)
			return parley_fail(err, PARLEY_E_FORMAT, "integer %lld is out of the exact range",
				(long long)i);
		rc = parley_buf_addf(out, "%lld", (long long)i);
		break;
	}
	case JSON_STRING:
		rc = jcs_string(json_string_value(v), json_string_length(v), out);
		break;
	case JSON_ARRAY: {
		size_t i;
		json_t *x;
		rc = parley_buf_add_u8(out, '[');
		json_array_foreach(v, i, x) {
			if (!rc && i)
				rc = parley_buf_add_u8(out, ',');
			if (!rc && (rc = jcs_value(x, out, err, depth + 1)) != PARLEY_OK)
				return rc;
		}
		if (!rc)
			rc = parley_buf_add_u8(out, ']');
		break;
	}
	case JSON_OBJECT: {
		size_t n = json_object_size(v), i = 0;
		const char **keys, *k;
		json_t *x;

		keys = calloc(n ? n : 1, sizeof(*keys));
		if (!keys)
			return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		json_object_foreach((json_t *)v, k, x) keys[i++] = k;
		qsort(keys, n, sizeof(*keys), cmp_keys);
		rc = parley_buf_add_u8(out, '{');
		for (i = 0; !rc && i < n; i++) {
			if (i)
				rc = parley_buf_add_u8(out, ',');
			if (!rc)
				rc = jcs_string(keys[i], strlen(keys[i]), out);
			if (!rc)
				rc = parley_buf_add_u8(out, ':');
			if (!rc && (rc = jcs_value(json_object_get(v, keys[i]), out, err, depth + 1))) {
				free(keys);
				return rc;
			}
		}
		free(keys);
		if (!rc)
			rc = parley_buf_add_u8(out, '}');
		break;
	}
	}
	if (rc)
		return parley_fail(err, rc, "canonical JSON: %s", parley_strerror(rc));
	return PARLEY_OK;
}

parley_code parley_jcs(const json_t *v, parley_buf *out, parley_err *err)
{
	return jcs_value(v, out, err, 0);
}

parley_code parley_json_parse(const char *text, size_t len, size_t max_len, json_t **out,
	parley_err *err)
{
	json_error_t je;

	*out = NULL;
	if (len > max_len)
		return parley_fail(err, PARLEY_E_LIMIT, "JSON document is larger than %zu bytes", max_len);
	*out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!*out)
		return parley_fail(err, PARLEY_E_FORMAT, "JSON: %s (line %d, column %d)", je.text, je.line,
			je.column);
	return PARLEY_OK;
}
