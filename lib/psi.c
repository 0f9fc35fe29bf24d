/* psi.c - RFC 9497 OPRF over ristretto255, tags, messages, indicators and the bulk PSI steps. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "parley/jcs.h"
#include "parley/psi.h"
#include "parley/stix.h"
#include "banned.h"

static const uint8_t identity[32];

/* ---- RFC 9380 expand_message_xmd, SHA-512 ---- */

parley_code parley_expand_message_xmd(uint8_t *out, size_t len, const uint8_t *msg, size_t n, const uint8_t *dst,
	size_t dstlen)
{
	crypto_hash_sha512_state st;
	uint8_t b0[64], bi[64], zpad[128] = { 0 }, lib[2], dlen, i8;
	size_t ell = (len + 63) / 64;

	if (ell > 255 || len > 65535 || dstlen > 255)
		return PARLEY_E_USAGE;
	lib[0] = (uint8_t)(len >> 8);
	lib[1] = (uint8_t)len;
	dlen = (uint8_t)dstlen;
	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, zpad, sizeof(zpad));
	crypto_hash_sha512_update(&st, msg, n);
	crypto_hash_sha512_update(&st, lib, 2);
	i8 = 0;
	crypto_hash_sha512_update(&st, &i8, 1);
	crypto_hash_sha512_update(&st, dst, dstlen);
	crypto_hash_sha512_update(&st, &dlen, 1);
	crypto_hash_sha512_final(&st, b0);
	for (size_t i = 1; i <= ell; i++) {
		uint8_t x[64];
		for (int k = 0; k < 64; k++)
			x[k] = i == 1 ? b0[k] : (uint8_t)(b0[k] ^ bi[k]);
		crypto_hash_sha512_init(&st);
		crypto_hash_sha512_update(&st, i == 1 ? b0 : x, 64);
		i8 = (uint8_t)i;
		crypto_hash_sha512_update(&st, &i8, 1);
		crypto_hash_sha512_update(&st, dst, dstlen);
		crypto_hash_sha512_update(&st, &dlen, 1);
		crypto_hash_sha512_final(&st, bi);
		size_t take = len - (i - 1) * 64 < 64 ? len - (i - 1) * 64 : 64;
		memcpy(out + (i - 1) * 64, bi, take);
	}
	return PARLEY_OK;
}

parley_code parley_oprf_hash_to_group(uint8_t out[32], const uint8_t *in, size_t n)
{
	static const char dst[] = "HashToGroup-" PARLEY_OPRF_CONTEXT;
	uint8_t u[64];
	parley_code rc = parley_expand_message_xmd(u, 64, in, n, (const uint8_t *)dst, 12 + PARLEY_OPRF_CONTEXT_LEN);
	if (rc)
		return rc;
	crypto_core_ristretto255_from_hash(out, u);
	return sodium_is_zero(out, 32) ? PARLEY_E_VERIFY : PARLEY_OK;
}

parley_code parley_oprf_derive_key(uint8_t sk[32], const uint8_t seed[32], const uint8_t *info, size_t infolen)
{
	static const char dst[] = "DeriveKeyPair" PARLEY_OPRF_CONTEXT;
	uint8_t msg[32 + 2 + 256 + 1], u[64];
	size_t n = 0;

	if (infolen > 256)
		return PARLEY_E_USAGE;
	memcpy(msg, seed, 32);
	msg[32] = (uint8_t)(infolen >> 8);
	msg[33] = (uint8_t)infolen;
	memcpy(msg + 34, info, infolen);
	n = 34 + infolen;
	for (unsigned counter = 0; counter < 256; counter++) {
		msg[n] = (uint8_t)counter;
		if (parley_expand_message_xmd(u, 64, msg, n + 1, (const uint8_t *)dst, 13 + PARLEY_OPRF_CONTEXT_LEN))
			return PARLEY_E_USAGE;
		crypto_core_ristretto255_scalar_reduce(sk, u);
		if (!sodium_is_zero(sk, 32))
			return PARLEY_OK;
	}
	return PARLEY_E_CRYPTO;
}

parley_code parley_oprf_blind(uint8_t blinded[32], const uint8_t blind[32], const uint8_t *in, size_t n)
{
	uint8_t p[32];
	parley_code rc = parley_oprf_hash_to_group(p, in, n);
	if (rc)
		return rc;
	return crypto_scalarmult_ristretto255(blinded, blind, p) == 0 ? PARLEY_OK : PARLEY_E_VERIFY;
}

parley_code parley_oprf_evaluate(uint8_t out[32], const uint8_t k[32], const uint8_t element[32])
{
	if (sodium_memcmp(element, identity, 32) == 0 || !crypto_core_ristretto255_is_valid_point(element))
		return PARLEY_E_VERIFY;
	return crypto_scalarmult_ristretto255(out, k, element) == 0 ? PARLEY_OK : PARLEY_E_VERIFY;
}

void parley_oprf_output(uint8_t out[64], const uint8_t *in, size_t n, const uint8_t unblinded[32])
{
	crypto_hash_sha512_state st;
	uint8_t l[2];
	crypto_hash_sha512_init(&st);
	l[0] = (uint8_t)(n >> 8);
	l[1] = (uint8_t)n;
	crypto_hash_sha512_update(&st, l, 2);
	crypto_hash_sha512_update(&st, in, n);
	l[0] = 0;
	l[1] = 32;
	crypto_hash_sha512_update(&st, l, 2);
	crypto_hash_sha512_update(&st, unblinded, 32);
	crypto_hash_sha512_update(&st, (const uint8_t *)"Finalize", 8);
	crypto_hash_sha512_final(&st, out);
}

parley_code parley_oprf_finalize(uint8_t out[64], const uint8_t *in, size_t n, const uint8_t blind[32],
	const uint8_t evaluated[32])
{
	uint8_t inv[32], z[32];
	if (sodium_memcmp(evaluated, identity, 32) == 0 || !crypto_core_ristretto255_is_valid_point(evaluated) ||
		crypto_core_ristretto255_scalar_invert(inv, blind) != 0 || crypto_scalarmult_ristretto255(z, inv, evaluated))
		return PARLEY_E_VERIFY;
	parley_oprf_output(out, in, n, z);
	sodium_memzero(inv, sizeof(inv));
	return PARLEY_OK;
}

/* The cardinality-only output: the element alone, so the requester cannot tell which input matched. */
static void ca_output(uint8_t out[64], const uint8_t unblinded[32])
{
	crypto_hash_sha512_state st;
	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, (const uint8_t *)"parley-psi-ca/v1", 16);
	crypto_hash_sha512_update(&st, unblinded, 32);
	crypto_hash_sha512_final(&st, out);
}

/* ---- tags ---- */

unsigned parley_psi_tag_bits(uint64_t a, uint64_t b)
{
	unsigned la = 0, lb = 0;
	while (la < 64 && ((uint64_t)1 << la) < a)
		la++;
	while (lb < 64 && ((uint64_t)1 << lb) < b)
		lb++;
	unsigned bits = 40 + la + lb;
	return bits < 48 ? 48 : bits > 128 ? 128 : bits;
}

parley_tag parley_psi_tag(const uint8_t out[64], unsigned bits)
{
	parley_tag t = 0;
	for (int i = 0; i < 16; i++)
		t = (t << 8) | out[i];
	return bits >= 128 ? t : t >> (128 - bits);
}

struct bitw {
	parley_buf *b;
	uint8_t cur;
	int nbits;
	parley_code rc;
};

static void putbit(struct bitw *w, unsigned bit)
{
	w->cur = (uint8_t)((w->cur << 1) | (bit & 1));
	if (++w->nbits == 8) {
		if (!w->rc)
			w->rc = parley_buf_add_u8(w->b, w->cur);
		w->cur = 0;
		w->nbits = 0;
	}
}

static int cmp_tag(const void *a, const void *b)
{
	parley_tag x = *(const parley_tag *)a, y = *(const parley_tag *)b;
	return x < y ? -1 : x > y;
}

void parley_psi_tags_sort(parley_tag *tags, size_t n)
{
	if (n > 1)
		qsort(tags, n, sizeof(*tags), cmp_tag);
}

bool parley_psi_tags_contain(const parley_tag *sorted, size_t n, parley_tag t)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sorted[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && sorted[lo] == t;
}

static unsigned rice_param(size_t n, unsigned bits)
{
	unsigned ln = 0;
	while (ln < 64 && ((uint64_t)1 << ln) < n)
		ln++;
	return bits > ln + 1 ? bits - ln - 1 : 0;
}

parley_code parley_psi_tags_encode(const parley_tag *tags, size_t n, size_t total, unsigned bits, parley_buf *out)
{
	unsigned p = rice_param(total > n ? total : n, bits);
	struct bitw w = { out, 0, 0, PARLEY_OK };
	parley_tag prev = 0;

	if ((w.rc = parley_buf_add_u8(out, (uint8_t)p)))
		return w.rc;
	for (size_t i = 0; i < n; i++) {
		if (i && tags[i] == tags[i - 1])
			continue;
		if (i == 0) {
			/* the first tag verbatim, so that every chunk decodes on its own */
			for (int k = (int)bits - 1; k >= 0; k--)
				putbit(&w, (unsigned)(tags[0] >> k) & 1);
		} else {
			parley_tag d = tags[i] - prev - 1, q = d >> p;
			for (parley_tag k = 0; k < q; k++)
				putbit(&w, 1);
			putbit(&w, 0);
			for (int k = (int)p - 1; k >= 0; k--)
				putbit(&w, (unsigned)(d >> k) & 1);
		}
		prev = tags[i];
	}
	while (w.nbits)
		putbit(&w, 0);
	return w.rc;
}

parley_code parley_psi_tags_decode(const uint8_t *data, size_t len, size_t n, unsigned bits, parley_tag *out,
	parley_err *err)
{
	size_t pos = 0, limit;
	unsigned p;
	parley_tag prev = 0, max = bits >= 128 ? ~(parley_tag)0 : (((parley_tag)1 << bits) - 1);

	if (len < 1)
		return parley_fail(err, PARLEY_E_FORMAT, "PSI tags: empty");
	p = data[0];
	if (p > 127 || p > bits)
		return parley_fail(err, PARLEY_E_FORMAT, "PSI tags: bad Rice parameter %u", p);
	data++;
	len--;
	limit = len * 8;
#define BIT() ((data[pos >> 3] >> (7 - (pos & 7))) & 1)
	for (size_t i = 0; i < n; i++) {
		parley_tag q = 0, r = 0, d;
		if (i == 0) {
			if (pos + bits > limit)
				return parley_fail(err, PARLEY_E_FORMAT, "PSI tags: truncated at tag 0");
			for (unsigned k = 0; k < bits; k++, pos++)
				r = (r << 1) | BIT();
			out[0] = prev = r;
			continue;
		}
		while (pos < limit && BIT()) {
			q++;
			pos++;
			if (q > (max >> p) + 1)
				return parley_fail(err, PARLEY_E_FORMAT, "PSI tags: value out of range at tag %zu", i);
		}
		if (pos >= limit)
			return parley_fail(err, PARLEY_E_FORMAT, "PSI tags: truncated at tag %zu", i);
		pos++; /* the 0 that ends the unary part */
		if (pos + p > limit)
			return parley_fail(err, PARLEY_E_FORMAT, "PSI tags: truncated at tag %zu", i);
		for (unsigned k = 0; k < p; k++, pos++)
			r = (r << 1) | BIT();
		d = (q << p) | r;
		if (prev == max || d > max - prev - 1)
			return parley_fail(err, PARLEY_E_FORMAT, "PSI tags: value out of range at tag %zu", i);
		out[i] = prev + 1 + d;
		if (out[i] > max)
			return parley_fail(err, PARLEY_E_FORMAT, "PSI tags: value out of range at tag %zu", i);
		prev = out[i];
	}
#undef BIT
	if ((limit - pos) >= 8)
		return parley_fail(err, PARLEY_E_FORMAT, "PSI tags: %zu bytes after the last tag", (limit - pos) / 8);
	return PARLEY_OK;
}

/* ---- messages ---- */

#define MSG_MAGIC "PSI1"

parley_code parley_psi_msg_encode(const parley_psi_msg *m, parley_buf *out)
{
	parley_code rc;
	parley_buf_reset(out);
	if ((rc = parley_buf_add(out, MSG_MAGIC, 4)) || (rc = parley_buf_add_u8(out, m->kind)) ||
		(rc = parley_buf_add_u8(out, m->mode)) || (rc = parley_buf_add(out, m->session, 16)) ||
		(rc = parley_buf_add_u32(out, m->chunk)) || (rc = parley_buf_add_u32(out, m->chunks)) ||
		(rc = parley_buf_add_u64(out, m->set_size)) || (rc = parley_buf_add_u32(out, m->count)) ||
		(rc = parley_buf_add_u8(out, m->bits)) || (rc = parley_buf_add(out, m->data, m->data_len)))
		return rc;
	return PARLEY_OK;
}

parley_code parley_psi_msg_decode(const uint8_t *p, size_t n, parley_psi_msg *m, parley_err *err)
{
	parley_rd r;
	const uint8_t *magic;

	memset(m, 0, sizeof(*m));
	parley_rd_init(&r, p, n);
	if (!parley_rd_view(&r, &magic, 4) || memcmp(magic, MSG_MAGIC, 4) != 0)
		return parley_fail(err, PARLEY_E_FORMAT, "PSI message: bad magic");
	if (!parley_rd_u8(&r, &m->kind) || !parley_rd_u8(&r, &m->mode) || !parley_rd_bytes(&r, m->session, 16) ||
		!parley_rd_u32(&r, &m->chunk) || !parley_rd_u32(&r, &m->chunks) || !parley_rd_u64(&r, &m->set_size) ||
		!parley_rd_u32(&r, &m->count) || !parley_rd_u8(&r, &m->bits))
		return parley_fail(err, PARLEY_E_FORMAT, "PSI message: truncated header");
	if (m->kind < PARLEY_PSI_REQUEST || m->kind > PARLEY_PSI_TAGS)
		return parley_fail(err, PARLEY_E_FORMAT, "PSI message: unknown kind %u", m->kind);
	if (m->mode > PARLEY_PSI_CARDINALITY)
		return parley_fail(err, PARLEY_E_FORMAT, "PSI message: unknown mode %u", m->mode);
	if (m->chunks == 0 || m->chunk >= m->chunks)
		return parley_fail(err, PARLEY_E_FORMAT, "PSI message: chunk %u of %u", m->chunk, m->chunks);
	if (m->set_size > PARLEY_PSI_MAX_SET)
		return parley_fail(err, PARLEY_E_LIMIT, "PSI message: set of %llu elements is too large",
			(unsigned long long)m->set_size);
	m->data = r.p;
	m->data_len = r.left;
	if (m->kind == PARLEY_PSI_TAGS) {
		if (m->bits < 48 || m->bits > 128 || m->count > PARLEY_PSI_TAG_CHUNK)
			return parley_fail(err, PARLEY_E_FORMAT, "PSI message: bad tag length or count");
		return PARLEY_OK;
	}
	if (m->count > PARLEY_PSI_CHUNK || m->data_len != (size_t)m->count * 32)
		return parley_fail(err, PARLEY_E_FORMAT, "PSI message: %u elements do not fill %zu bytes", m->count,
			m->data_len);
	for (uint32_t i = 0; i < m->count; i++) {
		const uint8_t *e = m->data + (size_t)i * 32;
		if (sodium_memcmp(e, identity, 32) == 0 || !crypto_core_ristretto255_is_valid_point(e))
			return parley_fail(err, PARLEY_E_VERIFY, "PSI message: element %u is not a valid group element", i);
	}
	return PARLEY_OK;
}

/* ---- indicators ---- */

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/*
 * A host name (RFC 1123 labels, '_' allowed as DNS names carry it): at least two labels of 1 to 63
 * letters, digits, '-' or '_', none starting or ending with '-', 253 bytes at most, and a top-level
 * label that is not all digits (so 999.1.1.1, which no resolver treats as a name, is refused).
 */
static bool domain_ok(char *d)
{
	size_t n = strlen(d), label = 0, digits = 0;
	if (n && d[n - 1] == '.')
		d[--n] = 0;
	if (n == 0 || n > 253 || !strchr(d, '.'))
		return false;
	lower(d);
	for (size_t i = 0; i < n; i++) {
		char c = d[i];
		if (c == '.') {
			if (label == 0 || label > 63 || d[i - 1] == '-')
				return false;
			label = digits = 0;
			continue;
		}
		if (!(isalnum((unsigned char)c) || c == '-' || c == '_') || (c == '-' && label == 0))
			return false;
		label++;
		digits += isdigit((unsigned char)c) != 0;
	}
	return label > 0 && label <= 63 && d[n - 1] != '-' && digits < label;
}

static bool all_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

parley_code parley_indicator_normalize(const char *in, char *out, size_t max, parley_err *err)
{
	return parley_indicator_normalize_flags(in, 0, out, max, err);
}

parley_code parley_indicator_normalize_flags(const char *in, unsigned flags, char *out, size_t max, parley_err *err)
{
	char v[2048], t[32] = "";
	const char *s = in;
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		return parley_fail(err, PARLEY_E_FORMAT, "empty indicator");
	if (n >= sizeof(v))
		return parley_fail(err, PARLEY_E_FORMAT, "indicator longer than %zu bytes", sizeof(v) - 1);
	memcpy(v, s, n);
	v[n] = 0;
	/* an explicit type prefix */
	static const char *const types[] = { "ipv4-addr:", "ipv6-addr:", "domain-name:", "url:", "email-addr:",
		"file:sha256:", "file:md5:", "file:sha1:", NULL };
	for (int i = 0; types[i]; i++)
		if (strncmp(v, types[i], strlen(types[i])) == 0) {
			snprintf(t, sizeof(t), "%.*s", (int)strlen(types[i]) - 1, types[i]);
			memmove(v, v + strlen(types[i]), strlen(v + strlen(types[i])) + 1);
			break;
		}
	if (!t[0]) {
		/* inferred */
		unsigned char a[16];
		if (inet_pton(AF_INET, v, a) == 1)
			snprintf(t, sizeof(t), "ipv4-addr");
		else if (strchr(v, ':') && !strstr(v, "://") && inet_pton(AF_INET6, v, a) == 1)
			snprintf(t, sizeof(t), "ipv6-addr");
		else if (strstr(v, "://"))
			snprintf(t, sizeof(t), "url");
		else if (strchr(v, '@'))
			snprintf(t, sizeof(t), "email-addr");
		else if (all_hex(v, 64))
			snprintf(t, sizeof(t), "file:sha256");
		else if (all_hex(v, 40))
			snprintf(t, sizeof(t), "file:sha1");
		else if (all_hex(v, 32))
			snprintf(t, sizeof(t), "file:md5");
		else
			snprintf(t, sizeof(t), "domain-name");
	}
	char val[2048];
	if (strcmp(t, "ipv4-addr") == 0 || strcmp(t, "ipv6-addr") == 0) {
		unsigned char a[16];
		int af = t[3] == '4' ? AF_INET : AF_INET6;
		if (inet_pton(af, v, a) != 1 || !inet_ntop(af, a, val, sizeof(val)))
			return parley_fail(err, PARLEY_E_FORMAT, "'%s' is not an %s address", v, af == AF_INET ? "IPv4" : "IPv6");
	} else if (strcmp(t, "domain-name") == 0) {
		if (!domain_ok(v))
			return parley_fail(err, PARLEY_E_FORMAT, "'%s' is not a domain name", v);
		snprintf(val, sizeof(val), "%s", v);
	} else if (strcmp(t, "url") == 0) {
		char *sep = strstr(v, "://");
		if (!sep || sep == v || strchr(v, ' '))
			return parley_fail(err, PARLEY_E_FORMAT, "'%s' is not a URL", v);
		/* scheme and host are case-insensitive */
		char *host = sep + 3, *end = host + strcspn(host, "/?#");
		for (char *c = v; c < end; c++)
			*c = (char)tolower((unsigned char)*c);
		if (end == host)
			return parley_fail(err, PARLEY_E_FORMAT, "'%s' has no host", v);
		snprintf(val, sizeof(val), "%s", v);
	} else if (strcmp(t, "email-addr") == 0) {
		char *at = strrchr(v, '@');
		if (!at || at == v || strchr(v, ' '))
			return parley_fail(err, PARLEY_E_FORMAT, "'%s' is not an e-mail address", v);
		*at = 0;
		if (!domain_ok(at + 1))
			return parley_fail(err, PARLEY_E_FORMAT, "'%s@%s' has no valid domain", v, at + 1);
		/* the local part too is compared without case: Phish@ and phish@ reach one mailbox everywhere
		 * that matters (RFC 5321 allows otherwise: a charter's psi.email_local_case "sensitive" keeps it;
		 * docs/protocol.md section 8, README's table) */
		if (!(flags & PARLEY_NORM_EMAIL_LOCAL_CASE))
			lower(v);
		snprintf(val, sizeof(val), "%s@%s", v, at + 1);
	} else {
		size_t want = strcmp(t, "file:sha256") == 0 ? 64 : strcmp(t, "file:sha1") == 0 ? 40 : 32;
		if (!all_hex(v, want))
			return parley_fail(err, PARLEY_E_FORMAT, "'%s' is not a %s hash (%zu hex digits)", v, t + 5, want);
		lower(v);
		snprintf(val, sizeof(val), "%s", v);
	}
	if ((size_t)snprintf(out, max, "%s:%s", t, val) >= max)
		return parley_fail(err, PARLEY_E_LIMIT, "indicator too long");
	return PARLEY_OK;
}

parley_code parley_iset_add(parley_iset *s, const char *normalized)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 256;
		char **p = realloc(s->items, ncap * sizeof(*p));
		if (!p)
			return PARLEY_E_NOMEM;
		s->items = p;
		s->cap = ncap;
	}
	if (s->n >= PARLEY_PSI_MAX_SET)
		return PARLEY_E_LIMIT;
	if (!(s->items[s->n] = strdup(normalized)))
		return PARLEY_E_NOMEM;
	s->n++;
	return PARLEY_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void parley_iset_finish(parley_iset *s)
{
	size_t k = 0;
	if (s->n > 1)
		qsort(s->items, s->n, sizeof(*s->items), cmp_str);
	for (size_t i = 0; i < s->n; i++) {
		if (k && strcmp(s->items[k - 1], s->items[i]) == 0) {
			free(s->items[i]);
			s->duplicates++;
			continue;
		}
		s->items[k++] = s->items[i];
	}
	s->n = k;
}

void parley_iset_release(parley_iset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->items[i]);
	free(s->items);
	memset(s, 0, sizeof(*s));
}

/* "[type:prop = 'value']" with the properties parley compares; others are not simple. */
static bool simple_pattern(const char *p, char *out, size_t max)
{
	static const struct {
		const char *path, *type;
	} map[] = {
		{ "ipv4-addr:value", "ipv4-addr" }, { "ipv6-addr:value", "ipv6-addr" },
		{ "domain-name:value", "domain-name" }, { "url:value", "url" }, { "email-addr:value", "email-addr" },
		{ "file:hashes.'SHA-256'", "file:sha256" }, { "file:hashes.MD5", "file:md5" },
		{ "file:hashes.'SHA-1'", "file:sha1" },
	};
	char path[64], val[1024];
	int end = 0;
	if (sscanf(p, " [ %63[^= ] = '%1023[^']' ]%n", path, val, &end) != 2 || end == 0)
		return false;
	/* nothing may follow the one comparison: no AND, OR, FOLLOWEDBY, qualifier */
	for (const char *q = p + end; *q; q++)
		if (!isspace((unsigned char)*q))
			return false;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(path, map[i].path) == 0) {
			snprintf(out, max, "%s:%s", map[i].type, val);
			return true;
		}
	return false;
}

/*
 * A set file that is a JSON document must be a STIX bundle that parley_stix_check accepts (as 'parley stix
 * validate' does): otherwise its lines ("ID: PROPERTY: message", as that command prints them) go into problems,
 * *nerr counts them, and the file is refused. A set must not be read from what the validator refuses: the
 * indicators it would compare could be ones the bundle does not really state.
 */
static parley_code stix_set_check(const char *path, const parley_buf *b, parley_buf *problems, json_t **out,
	size_t *nerr, parley_err *err)
{
	parley_stix_report rep;
	parley_err e = { 0 };
	parley_code rc;
	json_t *j = NULL;
	const char *type;

	*out = NULL;
	if (parley_json_parse((const char *)b->data, b->len, b->len + 1, &j, &e)) {
		*nerr = 1;
		if (parley_buf_addf(problems, "document: %s\n", e.msg))
			return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		return parley_fail(err, PARLEY_E_FORMAT, "%s: not a STIX bundle: %s", path, e.msg);
	}
	type = json_string_value(json_object_get(j, "type"));
	if (!type || strcmp(type, "bundle") != 0) {
		json_decref(j);
		*nerr = 1;
		if (parley_buf_addf(problems, "document: type: a set in JSON must be a STIX bundle (\"type\": \"bundle\")\n"))
			return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		return parley_fail(err, PARLEY_E_FORMAT, "%s: a set in JSON must be a STIX bundle (\"type\": \"bundle\")",
			path);
	}
	parley_stix_report_init(&rep);
	rc = parley_stix_check(j, 0, &rep);
	if (rc == PARLEY_OK) {
		parley_stix_report_release(&rep);
		*out = j;
		return PARLEY_OK;
	}
	json_decref(j);
	const parley_stix_problem *first = NULL;
	for (size_t k = 0; k < rep.n; k++) {
		const parley_stix_problem *p = &rep.problems[k];
		if (p->is_warning)
			continue;
		if (!first)
			first = p;
		if (parley_buf_addf(problems, "%s: %s%s%s\n", p->id, p->property, p->property[0] ? ": " : "", p->message)) {
			rc = PARLEY_E_NOMEM;
			break;
		}
	}
	if (rc != PARLEY_E_NOMEM && rep.truncated && parley_buf_addf(problems, "(more problems not shown)\n"))
		rc = PARLEY_E_NOMEM;
	*nerr = rep.errors;
	if (rc == PARLEY_E_NOMEM || !first)
		rc = parley_fail(err, PARLEY_E_NOMEM, "%s: out of memory while validating the STIX bundle", path);
	else
		rc = parley_fail(err, PARLEY_E_FORMAT, "%s: invalid STIX bundle (%zu error%s): %s: %s%s%s", path, rep.errors,
			rep.errors == 1 ? "" : "s", first->id, first->property, first->property[0] ? ": " : "", first->message);
	parley_stix_report_release(&rep);
	return rc;
}

parley_code parley_iset_load(const char *path, unsigned flags, parley_iset *s, parley_buf *problems, parley_err *err)
{
	parley_buf b = PARLEY_BUF_INIT;
	char norm[2100];
	parley_code rc;
	json_t *j = NULL;

	memset(s, 0, sizeof(*s));
	if ((rc = parley_file_read(path, (size_t)1 << 30, &b, err)))
		return rc;
	const char *t = (const char *)b.data;
	while (*t && isspace((unsigned char)*t))
		t++;
	if (*t == '{') {
		/* a JSON document: a STIX bundle, checked by the project's one validator before any of it is used */
		size_t i;
		json_t *o;
		if ((rc = stix_set_check(path, &b, problems, &j, &s->stix_errors, err))) {
			parley_buf_release(&b);
			return rc;
		}
		json_array_foreach(json_object_get(j, "objects"), i, o) {
			const char *type = json_string_value(json_object_get(o, "type"));
			const char *pat = json_string_value(json_object_get(o, "pattern"));
			const char *id = json_string_value(json_object_get(o, "id"));
			char raw[1100];
			if (!type || strcmp(type, "indicator") != 0)
				continue;
			if (!pat || !simple_pattern(pat, raw, sizeof(raw)) ||
				parley_indicator_normalize_flags(raw, flags, norm, sizeof(norm), NULL)) {
				s->rejected++;
				if (parley_buf_addf(problems, "%s: not a simple equality pattern parley compares\n", id ? id : "?"))
					break;
				continue;
			}
			if ((rc = parley_iset_add(s, norm)))
				break;
		}
		json_decref(j);
	} else {
		size_t line = 0;
		char *p = (char *)b.data, *nl;
		for (; p && *p; p = nl ? nl + 1 : NULL) {
			parley_err e = { 0 };
			nl = strchr(p, '\n');
			if (nl)
				*nl = 0;
			line++;
			char *q = p;
			while (isspace((unsigned char)*q))
				q++;
			if (!*q || *q == '#')
				continue;
			if (parley_indicator_normalize_flags(q, flags, norm, sizeof(norm), &e)) {
				s->rejected++;
				if (parley_buf_addf(problems, "line %zu: %s\n", line, e.msg))
					break;
				continue;
			}
			if ((rc = parley_iset_add(s, norm)))
				break;
		}
	}
	parley_buf_release(&b);
	if (rc) {
		parley_iset_release(s);
		return parley_fail(err, rc, "%s: %s", path, rc == PARLEY_E_LIMIT ? "too many indicators" : "out of memory");
	}
	parley_iset_finish(s);
	return PARLEY_OK;
}

parley_code parley_iset_load_checked(const char *path, unsigned flags, bool skip_invalid, parley_iset *s,
	parley_buf *problems, parley_err *err)
{
	char where[128] = "";
	size_t nbad = 0, used = 0, firstlen = 0;
	parley_code rc;

	if ((rc = parley_iset_load(path, flags, s, problems, err)) || skip_invalid || !problems->len)
		return rc;
	/* problems holds one "line N: reason" (or "STIX-ID: reason") per line */
	for (const char *p = (const char *)problems->data, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nbad == 0)
			firstlen = nl ? (size_t)(nl - p) : strlen(p);
		if (nbad < 10 && used < sizeof(where)) {
			size_t len = strcspn(p, ":\n");
			const char *what = strncmp(p, "line ", 5) == 0 ? p + 5 : p;
			len -= (size_t)(what - p);
			used += (size_t)snprintf(where + used, sizeof(where) - used, "%s%.*s", nbad ? ", " : "", (int)len, what);
		}
		nbad++;
	}
	if (nbad > 10 && used < sizeof(where))
		snprintf(where + used, sizeof(where) - used, ", ...");
	parley_iset_release(s);
	bool lines = strncmp((const char *)problems->data, "line ", 5) == 0;
	return parley_fail(err, PARLEY_E_FORMAT, "%s: %s %s (%zu in all); %.*s", path,
		lines ? (nbad == 1 ? "unreadable line" : "unreadable lines") : "indicators parley cannot compare:", where,
		nbad, (int)firstlen, (const char *)problems->data);
}

/* ---- bulk steps on both cores ---- */

void parley_psi_blind_scalar(uint8_t r[32], const uint8_t seed[32], const uint8_t session[16])
{
	uint8_t h[64];
	crypto_generichash_state st;
	crypto_generichash_init(&st, seed, 32, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)"parley-psi-blind/v1", 19);
	crypto_generichash_update(&st, session, 16);
	crypto_generichash_final(&st, h, sizeof(h));
	crypto_core_ristretto255_scalar_reduce(r, h);
	sodium_memzero(h, sizeof(h));
}

struct job {
	void (*fn)(struct job *, size_t from, size_t to);
	const parley_iset *s;
	const uint8_t *key;
	uint8_t *elems;
	const uint8_t *in_elems;
	parley_tag *tags;
	unsigned bits;
	int mode;
	size_t bad; /* first failing index + 1, or 0 */
	pthread_mutex_t mu;
	const char *what; /* for parley_progress, or NULL */
};

struct slice {
	struct job *j;
	size_t from, to;
};

static void *run_slice(void *arg)
{
	struct slice *s = arg;
	s->j->fn(s->j, s->from, s->to);
	return NULL;
}

static void note_bad(struct job *j, size_t i)
{
	pthread_mutex_lock(&j->mu);
	if (!j->bad || i + 1 < j->bad)
		j->bad = i + 1;
	pthread_mutex_unlock(&j->mu);
}

/* Run fn over [0, n) on every core. */
static void parallel(struct job *j, size_t n)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t t = cores < 1 ? 1 : cores > 16 ? 16 : (size_t)cores;
	pthread_t th[16];
	struct slice sl[16];
	size_t started = 0;

	if (n < 64)
		t = 1;
	pthread_mutex_init(&j->mu, NULL);
	for (size_t i = 0; i < t; i++) {
		sl[i].j = j;
		sl[i].from = n * i / t;
		sl[i].to = n * (i + 1) / t;
		if (i + 1 < t && pthread_create(&th[i], NULL, run_slice, &sl[i]) == 0)
			started++;
		else if (i + 1 < t)
			run_slice(&sl[i]);
	}
	/* the calling thread's slice, in steps that report progress (the other slices keep pace) */
	for (size_t a = sl[t - 1].from, len = sl[t - 1].to - sl[t - 1].from; a < sl[t - 1].to; a += 2048) {
		size_t b = sl[t - 1].to - a > 2048 ? a + 2048 : sl[t - 1].to;
		j->fn(j, a, b);
		if (j->what && len)
			parley_progress(j->what, (uint64_t)((double)(b - sl[t - 1].from) / (double)len * (double)n), n);
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&j->mu);
}

static void do_blind(struct job *j, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		const char *x = j->s->items[i];
		if (parley_oprf_blind(j->elems + i * 32, j->key, (const uint8_t *)x, strlen(x)))
			note_bad(j, i);
	}
}

parley_code parley_psi_blind_all(const parley_iset *s, const uint8_t r[32], uint8_t *out, parley_err *err)
{
	struct job j = { do_blind, s, r, out, NULL, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER, "psi: blinding" };
	parallel(&j, s->n);
	if (j.bad)
		return parley_fail(err, PARLEY_E_VERIFY, "indicator %zu hashes to the identity", j.bad - 1);
	return PARLEY_OK;
}

static void do_evaluate(struct job *j, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (parley_oprf_evaluate(j->elems + i * 32, j->key, j->elems + i * 32))
			note_bad(j, i);
}

parley_code parley_psi_evaluate_all(uint8_t *elems, size_t n, const uint8_t k[32], parley_err *err)
{
	struct job j = { do_evaluate, NULL, k, elems, NULL, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER, "psi: evaluating" };
	parallel(&j, n);
	if (j.bad)
		return parley_fail(err, PARLEY_E_VERIFY, "blinded element %zu is not a valid group element", j.bad - 1);
	return PARLEY_OK;
}

static void do_own(struct job *j, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		const char *y = j->s->items[i];
		uint8_t p[32], z[32], out[64];
		if (parley_oprf_hash_to_group(p, (const uint8_t *)y, strlen(y)) ||
			crypto_scalarmult_ristretto255(z, j->key, p)) {
			note_bad(j, i);
			continue;
		}
		if (j->mode == PARLEY_PSI_CARDINALITY)
			ca_output(out, z);
		else
			parley_oprf_output(out, (const uint8_t *)y, strlen(y), z);
		j->tags[i] = parley_psi_tag(out, j->bits);
	}
}

parley_code parley_psi_own_tags(const parley_iset *s, const uint8_t k[32], int mode, unsigned bits, parley_tag *out,
	parley_err *err)
{
	struct job j = { do_own, s, k, NULL, NULL, out, bits, mode, 0, PTHREAD_MUTEX_INITIALIZER, "psi: tagging ours" };
	parallel(&j, s->n);
	if (j.bad)
		return parley_fail(err, PARLEY_E_VERIFY, "indicator %zu hashes to the identity", j.bad - 1);
	return PARLEY_OK;
}

static void do_final(struct job *j, size_t from, size_t to)
{
	uint8_t inv[32];
	if (crypto_core_ristretto255_scalar_invert(inv, j->key) != 0) {
		note_bad(j, from);
		return;
	}
	for (size_t i = from; i < to; i++) {
		const uint8_t *e = j->in_elems + i * 32;
		uint8_t z[32], out[64];
		if (sodium_memcmp(e, identity, 32) == 0 || !crypto_core_ristretto255_is_valid_point(e) ||
			crypto_scalarmult_ristretto255(z, inv, e)) {
			note_bad(j, i);
			continue;
		}
		if (j->mode == PARLEY_PSI_CARDINALITY)
			ca_output(out, z);
		else
			parley_oprf_output(out, (const uint8_t *)j->s->items[i], strlen(j->s->items[i]), z);
		j->tags[i] = parley_psi_tag(out, j->bits);
	}
	sodium_memzero(inv, sizeof(inv));
}

parley_code parley_psi_final_tags(const parley_iset *s, const uint8_t *evaluated, size_t n, const uint8_t r[32],
	int mode, unsigned bits, parley_tag *out, parley_err *err)
{
	struct job j = { do_final, s, r, NULL, evaluated, out, bits, mode, 0, PTHREAD_MUTEX_INITIALIZER, "psi: unblinding" };
	if (mode == PARLEY_PSI_INTERSECTION && n != s->n)
		return parley_fail(err, PARLEY_E_VERIFY, "%zu evaluated elements for %zu indicators", n, s->n);
	parallel(&j, n);
	if (j.bad)
		return parley_fail(err, PARLEY_E_VERIFY, "evaluated element %zu is not a valid group element", j.bad - 1);
	return PARLEY_OK;
}
