/* jcs.h - RFC 8785 JSON Canonicalization Scheme for integer-only JSON. */
#ifndef PARLEY_JCS_H
#define PARLEY_JCS_H

#include <jansson.h>
#include "parley/err.h"
#include "parley/util.h"

/* Integers beyond +-(2^53 - 1) are not exactly representable in JCS (IEEE doubles). */
#define PARLEY_JCS_INT_MAX 9007199254740991LL

/*
 * Append the canonical form of v to out: object members sorted by the
 * UTF-16 code units of their names, no white space, strings escaped as
 * ECMAScript's JSON.stringify does. Refuses (PARLEY_E_FORMAT) real numbers
 * and integers beyond PARLEY_JCS_INT_MAX, which parley documents never carry.
 */
parley_code parley_jcs(const json_t *v, parley_buf *out, parley_err *err) PARLEY_WUR;

/*
 * Parse JSON text strictly for signed documents: duplicate member names,
 * NUL characters and trailing data are refused; at most max_len bytes.
 * *out is a new reference.
 */
parley_code parley_json_parse(const char *text, size_t len, size_t max_len, json_t **out,
	parley_err *err) PARLEY_WUR;

#endif
