/* note.c - C2SP signed notes, checkpoints and cosignatures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "parley/note.h"
#include "banned.h"

#define DASH "\xe2\x80\x94" /* U+2014 EM DASH */
#define COSIG_PREFIX "cosignature/v1\ntime "

/* Well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
			cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* C2SP key names: non-empty UTF-8 without spaces, control characters or '+'. */
static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n > PARLEY_NOTE_NAME_MAX || !utf8_valid((const unsigned char *)s, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7f || c == '+')
			return false;
		/* the Unicode spaces parley can meet: NBSP, U+2000..U+200A, U+2028/9, U+202F, U+205F, U+3000 */
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] == 0xa0)
			return false;
		if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
			(((unsigned char)s[i + 2] >= 0x80 && (unsigned char)s[i + 2] <= 0x8a) ||
				(unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9 ||
				(unsigned char)s[i + 2] == 0xaf))
			return false;
		if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x81 && (unsigned char)s[i + 2] == 0x9f)
			return false;
		if (c == 0xe3 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 && (unsigned char)s[i + 2] == 0x80)
			return false;
	}
	return true;
}

static void keyid_typed(uint8_t out[4], const char *name, uint8_t type, const uint8_t pk[32])
{
	crypto_hash_sha256_state st;
	uint8_t h[32], sep[2] = { 0x0a, type };
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_update(&st, sep, 2);
	crypto_hash_sha256_update(&st, pk, 32);
	crypto_hash_sha256_final(&st, h);
	memcpy(out, h, 4);
}

void parley_verifier_from_key(parley_verifier *out, const char *name, const uint8_t pk[32], uint8_t type)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->type = type;
	memcpy(out->pk, pk, 32);
	keyid_typed(out->keyid, out->name, type, pk);
}

parley_code parley_verifier_parse(const char *s, parley_verifier *out, parley_err *err)
{
	const char *p1 = strchr(s, '+'), *p2;
	uint8_t id[4], want[4], typed[40];
	size_t typedlen = 0;

	memset(out, 0, sizeof(*out));
	if (!p1 || !(p2 = strchr(p1 + 1, '+')))
		return parley_fail(err, PARLEY_E_FORMAT, "verifier key is not name+keyid+key");
	if (!name_ok(s, (size_t)(p1 - s)))
		return parley_fail(err, PARLEY_E_FORMAT, "verifier key: invalid name");
	memcpy(out->name, s, (size_t)(p1 - s));
	out->name[p1 - s] = 0;
	for (const char *h = p1 + 1; h < p2; h++)
		if (!((*h >= '0' && *h <= '9') || (*h >= 'a' && *h <= 'f')))
			return parley_fail(err, PARLEY_E_FORMAT, "verifier key '%s': key id is not 8 lower-case hex digits",
				out->name);
	if (parley_unhex(id, 4, p1 + 1, (size_t)(p2 - p1 - 1)))
		return parley_fail(err, PARLEY_E_FORMAT, "verifier key '%s': key id is not 8 hex digits", out->name);
	if (parley_unb64(typed, sizeof(typed), &typedlen, p2 + 1, strlen(p2 + 1)) || typedlen != 33)
		return parley_fail(err, PARLEY_E_FORMAT, "verifier key '%s': key is not base64 of 33 bytes", out->name);
	if (typed[0] != PARLEY_VKEY_ED25519 && typed[0] != PARLEY_VKEY_COSIGNATURE)
		return parley_fail(err, PARLEY_E_FORMAT,
			"verifier key '%s': key type 0x%02x is not supported (0x01 Ed25519, 0x04 cosignature)",
			out->name, typed[0]);
	out->type = typed[0];
	memcpy(out->pk, typed + 1, 32);
	keyid_typed(want, out->name, out->type, out->pk);
	if (sodium_memcmp(want, id, 4) != 0)
		return parley_fail(err, PARLEY_E_FORMAT, "verifier key '%s': key id does not match the key", out->name);
	memcpy(out->keyid, id, 4);
	return PARLEY_OK;
}

parley_code parley_note_text_check(const char *text, size_t n, parley_err *err)
{
	if (n == 0)
		return parley_fail(err, PARLEY_E_FORMAT, "note: empty text");
	if (n > PARLEY_NOTE_MAX_BYTES)
		return parley_fail(err, PARLEY_E_LIMIT, "note: longer than %d bytes", PARLEY_NOTE_MAX_BYTES);
	if (text[n - 1] != '\n')
		return parley_fail(err, PARLEY_E_FORMAT, "note: text does not end with a newline");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c < 0x20 && c != '\n') || c == 0x7f)
			return parley_fail(err, PARLEY_E_FORMAT, "note: control character 0x%02x at byte %zu", c, i);
	}
	if (!utf8_valid((const unsigned char *)text, n))
		return parley_fail(err, PARLEY_E_FORMAT, "note: text is not valid UTF-8");
	return PARLEY_OK;
}

void parley_note_release(parley_note *n)
{
	free(n->text);
	free(n->sigs);
	memset(n, 0, sizeof(*n));
}

/* Parse one signature line (without its newline). */
static parley_code parse_sig_line(const char *l, size_t n, parley_note_sig *s, size_t lineno, parley_err *err)
{
	const char *sp;
	uint8_t raw[4 + PARLEY_NOTE_SIG_MAX + 3];
	size_t rawlen = 0;
	char *b64;

	if (n < 4 || memcmp(l, DASH " ", 4) != 0)
		return parley_fail(err, PARLEY_E_FORMAT, "note: signature line %zu does not start with '— '", lineno);
	l += 4;
	n -= 4;
	sp = memchr(l, ' ', n);
	if (!sp)
		return parley_fail(err, PARLEY_E_FORMAT, "note: signature line %zu has no signature", lineno);
	if (!name_ok(l, (size_t)(sp - l)))
		return parley_fail(err, PARLEY_E_FORMAT, "note: signature line %zu has an invalid key name", lineno);
	memcpy(s->name, l, (size_t)(sp - l));
	s->name[sp - l] = 0;
	size_t blen = n - (size_t)(sp - l) - 1;
	if (blen == 0 || blen > 4 * ((sizeof(raw) + 2) / 3))
		return parley_fail(err, PARLEY_E_FORMAT, "note: signature line %zu: signature of bad length", lineno);
	b64 = malloc(blen + 1);
	if (!b64)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	memcpy(b64, sp + 1, blen);
	b64[blen] = 0;
	parley_code rc = parley_unb64(raw, sizeof(raw), &rawlen, b64, blen);
	free(b64);
	if (rc || rawlen < 5 || rawlen > 4 + PARLEY_NOTE_SIG_MAX)
		return parley_fail(err, PARLEY_E_FORMAT, "note: signature line %zu: not base64 of key id and signature",
			lineno);
	memcpy(s->keyid, raw, 4);
	s->siglen = rawlen - 4;
	memcpy(s->sig, raw + 4, s->siglen);
	return PARLEY_OK;
}

parley_code parley_note_parse(const char *msg, size_t n, parley_note *out, parley_err *err)
{
	const char *split = NULL, *p, *end = msg + n;
	size_t textlen, lineno = 0;
	parley_code rc;

	memset(out, 0, sizeof(*out));
	if (n > PARLEY_NOTE_MAX_BYTES)
		return parley_fail(err, PARLEY_E_LIMIT, "note: longer than %d bytes", PARLEY_NOTE_MAX_BYTES);
	if ((rc = parley_note_text_check(msg, n, err)))
		return rc;
	/* the last blank line separates the text from the signatures */
	for (p = msg; p + 1 < end; p++)
		if (p[0] == '\n' && p[1] == '\n')
			split = p;
	if (!split)
		return parley_fail(err, PARLEY_E_FORMAT, "note: no blank line before the signatures");
	textlen = (size_t)(split - msg) + 1;
	p = split + 2;
	if (p >= end)
		return parley_fail(err, PARLEY_E_FORMAT, "note: no signatures");
	out->sigs = calloc(PARLEY_NOTE_MAX_SIGS, sizeof(*out->sigs));
	out->text = malloc(textlen + 1);
	if (!out->sigs || !out->text) {
		parley_note_release(out);
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	}
	memcpy(out->text, msg, textlen);
	out->text[textlen] = 0;
	out->text_len = textlen;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		lineno++;
		if (out->nsigs == PARLEY_NOTE_MAX_SIGS) {
			parley_note_release(out);
			return parley_fail(err, PARLEY_E_LIMIT, "note: more than %d signatures", PARLEY_NOTE_MAX_SIGS);
		}
		if ((rc = parse_sig_line(p, (size_t)(nl - p), &out->sigs[out->nsigs], lineno, err))) {
			parley_note_release(out);
			return rc;
		}
		out->nsigs++;
		p = nl + 1;
	}
	return PARLEY_OK;
}

static parley_code cosig_message(const char *text, size_t n, uint64_t t, parley_buf *m)
{
	parley_code rc;
	parley_buf_init(m, PARLEY_NOTE_MAX_BYTES + 64);
	if ((rc = parley_buf_addf(m, COSIG_PREFIX "%llu\n", (unsigned long long)t)) ||
		(rc = parley_buf_add(m, text, n)))
		parley_buf_release(m);
	return rc;
}

parley_code parley_note_verify(const parley_note *n, const parley_verifier *keys, size_t nkeys, bool *verified,
	uint64_t *times, parley_err *err)
{
	size_t good = 0;

	if (verified)
		memset(verified, 0, nkeys * sizeof(*verified));
	for (size_t i = 0; i < n->nsigs; i++) {
		const parley_note_sig *s = &n->sigs[i];
		for (size_t k = 0; k < nkeys; k++) {
			const parley_verifier *v = &keys[k];
			int bad;
			if (strcmp(v->name, s->name) != 0 || memcmp(v->keyid, s->keyid, 4) != 0)
				continue;
			if (v->type == PARLEY_VKEY_ED25519) {
				bad = s->siglen != 64 ||
					crypto_sign_verify_detached(s->sig, (const uint8_t *)n->text, n->text_len, v->pk) != 0;
			} else {
				parley_buf m;
				uint64_t t = s->siglen == 72 ? parley_get_u64(s->sig) : 0;
				if (s->siglen != 72)
					bad = 1;
				else if (cosig_message(n->text, n->text_len, t, &m))
					return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
				else {
					bad = crypto_sign_verify_detached(s->sig + 8, m.data, m.len, v->pk) != 0;
					parley_buf_release(&m);
				}
				if (!bad && times)
					times[k] = t;
			}
			if (bad)
				return parley_fail(err, PARLEY_E_VERIFY, "note: signature by '%s' does not verify", s->name);
			good++;
			if (verified)
				verified[k] = true;
		}
	}
	if (good == 0)
		return parley_fail(err, PARLEY_E_VERIFY, "note: no signature by a known key");
	return PARLEY_OK;
}

static parley_code sig_line(const char *name, const uint8_t keyid[4], const uint8_t *sig, size_t siglen,
	parley_buf *line)
{
	uint8_t raw[4 + PARLEY_NOTE_SIG_MAX];
	char b64[4 * ((sizeof(raw) + 2) / 3) + 1];
	if (siglen > PARLEY_NOTE_SIG_MAX)
		PARLEY_BUG("signature longer than a note allows");
	memcpy(raw, keyid, 4);
	memcpy(raw + 4, sig, siglen);
	parley_b64(b64, raw, 4 + siglen);
	parley_buf_reset(line);
	return parley_buf_addf(line, DASH " %s %s\n", name, b64);
}

parley_code parley_note_sign_line(const char *text, size_t n, const parley_seckey *key, parley_buf *line,
	parley_err *err)
{
	uint8_t sig[64];
	parley_code rc;

	if ((rc = parley_note_text_check(text, n, err)))
		return rc;
	crypto_sign_detached(sig, NULL, (const uint8_t *)text, n, key->sign_sk);
	if ((rc = sig_line(key->pub.name, key->pub.keyid, sig, 64, line)))
		return parley_fail(err, rc, "out of memory");
	return PARLEY_OK;
}

parley_code parley_note_cosign_line(const char *text, size_t n, const parley_seckey *key, uint64_t t,
	parley_buf *line, parley_err *err)
{
	uint8_t sig[72], id[4];
	parley_buf m;
	parley_code rc;

	if ((rc = parley_note_text_check(text, n, err)))
		return rc;
	if (cosig_message(text, n, t, &m))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	parley_put_u64(sig, t);
	crypto_sign_detached(sig + 8, NULL, m.data, m.len, key->sign_sk);
	parley_buf_release(&m);
	keyid_typed(id, key->pub.name, PARLEY_VKEY_COSIGNATURE, key->pub.sign_pk);
	if ((rc = sig_line(key->pub.name, id, sig, 72, line)))
		return parley_fail(err, rc, "out of memory");
	return PARLEY_OK;
}

parley_code parley_note_write(const parley_note *n, parley_buf *out)
{
	parley_buf line = PARLEY_BUF_INIT;
	parley_code rc;

	parley_buf_reset(out);
	if ((rc = parley_buf_add(out, n->text, n->text_len)) || (rc = parley_buf_add_u8(out, '\n')))
		return rc;
	for (size_t i = 0; i < n->nsigs && !rc; i++)
		if (!(rc = sig_line(n->sigs[i].name, n->sigs[i].keyid, n->sigs[i].sig, n->sigs[i].siglen, &line)))
			rc = parley_buf_add(out, line.data, line.len);
	parley_buf_release(&line);
	return rc;
}

parley_code parley_checkpoint_format(const parley_checkpoint *c, parley_buf *out)
{
	char b64[64];
	parley_b64(b64, c->root, 32);
	parley_buf_reset(out);
	return parley_buf_addf(out, "%s\n%llu\n%s\n", c->origin, (unsigned long long)c->size, b64);
}

parley_code parley_checkpoint_parse(const char *text, size_t n, parley_checkpoint *out, parley_err *err)
{
	const char *p = text, *end = text + n, *nl;
	char line[128];
	size_t len, outlen = 0;
	parley_code rc;

	memset(out, 0, sizeof(*out));
	if ((rc = parley_note_text_check(text, n, err)))
		return parley_wrap(err, rc, "checkpoint");
	/* origin */
	nl = memchr(p, '\n', (size_t)(end - p));
	len = (size_t)(nl - p);
	if (len == 0 || len >= sizeof(out->origin))
		return parley_fail(err, PARLEY_E_FORMAT, "checkpoint: origin line empty or too long");
	memcpy(out->origin, p, len);
	p = nl + 1;
	/* size: decimal, no sign, no leading zeros */
	if (p >= end || !(nl = memchr(p, '\n', (size_t)(end - p))))
		return parley_fail(err, PARLEY_E_FORMAT, "checkpoint: no size line");
	len = (size_t)(nl - p);
	if (len == 0 || len > 20 || (len > 1 && p[0] == '0'))
		return parley_fail(err, PARLEY_E_FORMAT, "checkpoint: size is not a canonical decimal number");
	out->size = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return parley_fail(err, PARLEY_E_FORMAT, "checkpoint: size is not a decimal number");
		uint64_t d = (uint64_t)(p[i] - '0');
		if (out->size > (UINT64_MAX - d) / 10)
			return parley_fail(err, PARLEY_E_FORMAT, "checkpoint: size overflows");
		out->size = out->size * 10 + d;
	}
	p = nl + 1;
	/* root hash */
	if (p >= end || !(nl = memchr(p, '\n', (size_t)(end - p))))
		return parley_fail(err, PARLEY_E_FORMAT, "checkpoint: no root hash line");
	len = (size_t)(nl - p);
	if (len >= sizeof(line))
		return parley_fail(err, PARLEY_E_FORMAT, "checkpoint: root hash line too long");
	memcpy(line, p, len);
	line[len] = 0;
	uint8_t root[40];
	if (parley_unb64(root, sizeof(root), &outlen, line, len) || outlen != 32)
		return parley_fail(err, PARLEY_E_FORMAT, "checkpoint: root hash is not base64 of 32 bytes");
	memcpy(out->root, root, 32);
	return PARLEY_OK;
}
