/* auth.c - signed requests, the nonce cache and per-party token buckets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "parley/auth.h"
#include "banned.h"

parley_code parley_auth_message(parley_buf *out, const char *method, const char *target, const uint8_t *body,
	size_t body_len, uint64_t time_ms, const char *nonce_hex, const char *keyid_hex)
{
	uint8_t h[32];
	char hex[65];

	parley_sha256(h, body_len ? body : (const uint8_t *)"", body_len);
	parley_hex(hex, h, 32);
	parley_buf_reset(out);
	return parley_buf_addf(out, PARLEY_AUTH_CONTEXT "%s\n%s\n%s\n%llu\n%s\n%s\n", method, target, hex,
		(unsigned long long)time_ms, nonce_hex, keyid_hex);
}

parley_code parley_auth_sign(parley_auth_headers *h, const parley_seckey *key, const char *method,
	const char *target, const uint8_t *body, size_t body_len, uint64_t time_ms, const char *nonce_hex)
{
	parley_buf m = PARLEY_BUF_INIT;
	uint8_t nonce[PARLEY_REQ_NONCE_LEN], sig[64];
	parley_code rc;

	memset(h, 0, sizeof(*h));
	parley_hex(h->key, key->pub.keyid, 4);
	snprintf(h->time, sizeof(h->time), "%llu", (unsigned long long)time_ms);
	if (nonce_hex) {
		snprintf(h->nonce, sizeof(h->nonce), "%s", nonce_hex);
	} else {
		randombytes_buf(nonce, sizeof(nonce));
		parley_hex(h->nonce, nonce, sizeof(nonce));
	}
	if ((rc = parley_auth_message(&m, method, target, body, body_len, time_ms, h->nonce, h->key)))
		return rc;
	crypto_sign_detached(sig, NULL, m.data, m.len, key->sign_sk);
	parley_buf_release(&m);
	parley_b64(h->sig, sig, sizeof(sig));
	return PARLEY_OK;
}

static bool all_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

parley_code parley_auth_verify(const parley_auth_headers *h, const uint8_t pk[32], const char *method,
	const char *target, const uint8_t *body, size_t body_len, uint64_t now_ms, parley_err *err)
{
	parley_buf m = PARLEY_BUF_INIT;
	uint8_t sig[68];
	size_t siglen = 0;
	uint64_t t = 0;
	parley_code rc;

	if (!all_hex(h->key, 8))
		return parley_fail(err, PARLEY_E_FORMAT, "Parley-Key is not 8 lower-case hex digits");
	if (!all_hex(h->nonce, 2 * PARLEY_REQ_NONCE_LEN))
		return parley_fail(err, PARLEY_E_FORMAT, "Parley-Nonce is not 32 lower-case hex digits");
	if (!h->time[0] || strlen(h->time) > 19 || (strlen(h->time) > 1 && h->time[0] == '0'))
		return parley_fail(err, PARLEY_E_FORMAT, "Parley-Time is not a time in milliseconds");
	for (const char *p = h->time; *p; p++) {
		if (*p < '0' || *p > '9')
			return parley_fail(err, PARLEY_E_FORMAT, "Parley-Time is not a time in milliseconds");
		t = t * 10 + (uint64_t)(*p - '0');
	}
	if (parley_unb64(sig, sizeof(sig), &siglen, h->sig, strlen(h->sig)) || siglen != 64)
		return parley_fail(err, PARLEY_E_FORMAT, "Parley-Signature is not base64 of 64 bytes");
	if (t + PARLEY_AUTH_WINDOW_MS < now_ms || t > now_ms + PARLEY_AUTH_WINDOW_MS)
		return parley_fail(err, PARLEY_E_VERIFY,
			"request time is %lld s away from the relay's clock (at most %d s allowed)",
			(long long)(((int64_t)t - (int64_t)now_ms) / 1000), PARLEY_AUTH_WINDOW_MS / 1000);
	if ((rc = parley_auth_message(&m, method, target, body, body_len, t, h->nonce, h->key)))
		return parley_fail(err, rc, "out of memory");
	rc = crypto_sign_verify_detached(sig, m.data, m.len, pk) == 0
		? PARLEY_OK
		: parley_fail(err, PARLEY_E_VERIFY, "request signature does not verify");
	parley_buf_release(&m);
	return rc;
}

/* ---- signed reads as evidence ---- */

/* A decimal number of n characters: no sign, no leading zero, no overflow. */
static bool strict_u64(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

parley_code parley_read_target_from(const char *target, const char *channel_hex, uint64_t *from, parley_err *err)
{
	char path[13 + 64 + 8 + 1];
	size_t plen;
	const char *q;
	bool have_from = false, have_limit = false;
	uint64_t f = 0, lim;

	if (!all_hex(channel_hex, 64))
		return parley_fail(err, PARLEY_E_USAGE, "channel id is not 64 lower-case hex digits");
	snprintf(path, sizeof(path), "/v1/channels/%s/entries", channel_hex);
	plen = strlen(path);
	if (strncmp(target, path, plen) != 0 || target[plen] != '?')
		return parley_fail(err, PARLEY_E_FORMAT, "read target is not a read of this channel's entries");
	q = target + plen + 1;
	for (;;) {
		const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
		const char *eq = memchr(q, '=', (size_t)(end - q));
		uint64_t *dst;
		bool *seen;
		if (!eq)
			return parley_fail(err, PARLEY_E_FORMAT, "read target: an argument has no value");
		if ((size_t)(eq - q) == 4 && memcmp(q, "from", 4) == 0) {
			dst = &f;
			seen = &have_from;
		} else if ((size_t)(eq - q) == 5 && memcmp(q, "limit", 5) == 0) {
			dst = &lim;
			seen = &have_limit;
		} else {
			return parley_fail(err, PARLEY_E_FORMAT, "read target: unknown argument");
		}
		if (*seen)
			return parley_fail(err, PARLEY_E_FORMAT, "read target: an argument is repeated");
		if (!strict_u64(eq + 1, (size_t)(end - eq - 1), dst))
			return parley_fail(err, PARLEY_E_FORMAT, "read target: an argument is not a plain decimal number");
		*seen = true;
		if (!amp)
			break;
		q = amp + 1;
	}
	if (!have_from)
		return parley_fail(err, PARLEY_E_FORMAT, "read target has no from argument");
	*from = f;
	return PARLEY_OK;
}

parley_code parley_signed_read_verify(const parley_signed_read *r, const uint8_t sign_pk[32], const char *channel_hex,
	uint64_t *from, parley_err *err)
{
	parley_buf m = PARLEY_BUF_INIT;
	char keyhex[9];
	uint8_t sig[68];
	size_t siglen = 0;
	uint64_t f;
	parley_code rc;

	if (!memchr(r->target, 0, sizeof(r->target)) || !memchr(r->nonce, 0, sizeof(r->nonce)) ||
		!memchr(r->sig, 0, sizeof(r->sig)))
		return parley_fail(err, PARLEY_E_FORMAT, "signed read: a field is not terminated");
	if (!all_hex(r->nonce, 2 * PARLEY_REQ_NONCE_LEN))
		return parley_fail(err, PARLEY_E_FORMAT, "signed read: the nonce is not 32 lower-case hex digits");
	if (parley_unb64(sig, sizeof(sig), &siglen, r->sig, strlen(r->sig)) || siglen != 64)
		return parley_fail(err, PARLEY_E_FORMAT, "signed read: the signature is not base64 of 64 bytes");
	if ((rc = parley_read_target_from(r->target, channel_hex, &f, err)))
		return rc;
	parley_hex(keyhex, r->keyid, 4);
	if ((rc = parley_auth_message(&m, "GET", r->target, NULL, 0, r->time_ms, r->nonce, keyhex)))
		return parley_fail(err, rc, "out of memory");
	rc = crypto_sign_verify_detached(sig, m.data, m.len, sign_pk) == 0
		? PARLEY_OK
		: parley_fail(err, PARLEY_E_VERIFY, "signed read by %s: the signature does not verify", keyhex);
	parley_buf_release(&m);
	if (rc)
		return rc;
	if (f != r->from)
		return parley_fail(err, PARLEY_E_VERIFY, "signed read by %s: it says from %llu but its target reads from %llu",
			keyhex, (unsigned long long)r->from, (unsigned long long)f);
	if (from)
		*from = f;
	return PARLEY_OK;
}

/* ---- nonce cache: open addressing over (keyid, nonce), with expiry ---- */

struct nonce_slot {
	uint64_t expires; /* 0 = empty */
	uint8_t key[4 + PARLEY_REQ_NONCE_LEN];
};

/* live nonces of one key id: keeps one flooding key from filling the cache for everyone */
struct key_count {
	uint8_t key[4];
	uint32_t n; /* 0 = empty */
};

struct parley_nonce_cache {
	pthread_mutex_t mu;
	struct nonce_slot *slots;
	size_t cap, live, max, per_key;
	uint64_t swept_ms; /* the last sweep: at most one a second, whatever a flooding key does */
	struct key_count *keys; /* open addressing, cap slots: never more keys than live nonces */
};

parley_code parley_nonce_cache_new(size_t max_entries, parley_nonce_cache **out)
{
	parley_nonce_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return PARLEY_E_NOMEM;
	c->max = max_entries;
	c->cap = 1;
	while (c->cap < 2 * max_entries)
		c->cap <<= 1;
	c->per_key = max_entries / PARLEY_NONCE_KEY_SHARE ? max_entries / PARLEY_NONCE_KEY_SHARE : 1;
	c->slots = calloc(c->cap, sizeof(*c->slots));
	c->keys = calloc(c->cap, sizeof(*c->keys));
	if (!c->slots || !c->keys) {
		free(c->slots);
		free(c->keys);
		free(c);
		return PARLEY_E_NOMEM;
	}
	pthread_mutex_init(&c->mu, NULL);
	*out = c;
	return PARLEY_OK;
}

void parley_nonce_cache_free(parley_nonce_cache *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c->slots);
	free(c->keys);
	free(c);
}

/* The live-nonce counter of a key id, created at 0 (the table has room: keys <= live < cap). */
static struct key_count *key_count(struct key_count *keys, size_t cap, const uint8_t key[4])
{
	size_t j = (size_t)parley_get_u32(key) & (cap - 1);
	for (; keys[j].n; j = (j + 1) & (cap - 1))
		if (memcmp(keys[j].key, key, 4) == 0)
			return &keys[j];
	memcpy(keys[j].key, key, 4);
	return &keys[j];
}

/* Drop expired slots by rebuilding the table and the per-key counts (amortised by the caller). */
static void sweep(parley_nonce_cache *c, uint64_t now)
{
	struct nonce_slot *old = c->slots;
	struct nonce_slot *fresh = calloc(c->cap, sizeof(*fresh));
	struct key_count *keys = calloc(c->cap, sizeof(*keys));
	if (!fresh || !keys) {
		free(fresh);
		free(keys);
		return;
	}
	free(c->keys);
	c->keys = keys;
	c->live = 0;
	for (size_t i = 0; i < c->cap; i++) {
		if (!old[i].expires || old[i].expires <= now)
			continue;
		uint64_t h;
		memcpy(&h, old[i].key + 4, 8);
		size_t j = (size_t)h & (c->cap - 1);
		while (fresh[j].expires)
			j = (j + 1) & (c->cap - 1);
		fresh[j] = old[i];
		c->live++;
		key_count(keys, c->cap, old[i].key)->n++;
	}
	c->slots = fresh;
	free(old);
}

parley_code parley_nonce_cache_add(parley_nonce_cache *c, const char *keyid_hex, const char *nonce_hex,
	uint64_t now_ms)
{
	uint8_t key[4 + PARLEY_REQ_NONCE_LEN];
	uint64_t h;
	size_t j;
	parley_code rc = PARLEY_OK;

	if (parley_unhex(key, 4, keyid_hex, strlen(keyid_hex)) ||
		parley_unhex(key + 4, PARLEY_REQ_NONCE_LEN, nonce_hex, strlen(nonce_hex)))
		return PARLEY_E_FORMAT;
	/* nonces are random: their bytes are a good enough hash, salted by the key id */
	memcpy(&h, key + 4, 8);
	pthread_mutex_lock(&c->mu);
	struct key_count *kc = key_count(c->keys, c->cap, key);
	if ((c->live >= c->max || kc->n >= c->per_key) && now_ms >= c->swept_ms + 1000) {
		sweep(c, now_ms);
		c->swept_ms = now_ms;
		kc = key_count(c->keys, c->cap, key);
	}
	if (kc->n >= c->per_key) {
		rc = PARLEY_E_LIMIT; /* this key's share is full: it alone waits */
		goto out;
	}
	if (c->live >= c->max) {
		rc = PARLEY_E_NOMEM;
		goto out;
	}
	for (j = (size_t)h & (c->cap - 1); c->slots[j].expires; j = (j + 1) & (c->cap - 1))
		if (memcmp(c->slots[j].key, key, sizeof(key)) == 0 && c->slots[j].expires > now_ms) {
			rc = PARLEY_E_VERIFY;
			goto out;
		}
	memcpy(c->slots[j].key, key, sizeof(key));
	/* a nonce must outlive every time at which its request could still be accepted */
	c->slots[j].expires = now_ms + 2 * PARLEY_AUTH_WINDOW_MS + 1;
	c->live++;
	kc->n++;
out:
	pthread_mutex_unlock(&c->mu);
	return rc;
}

/* ---- token buckets ---- */

struct bucket {
	uint8_t key[4];
	bool used;
	double tokens;
	uint64_t last_ms;
};

/* set-associative: a key lives in one set of WAYS buckets; a new key takes the set's oldest */
#define SETS 256
#define WAYS 16

struct parley_ratelimit {
	pthread_mutex_t mu;
	double rate, burst;
	struct bucket b[SETS][WAYS];
};

parley_code parley_ratelimit_new_burst(double rate, double burst, parley_ratelimit **out)
{
	parley_ratelimit *r = calloc(1, sizeof(*r));
	if (!r)
		return PARLEY_E_NOMEM;
	r->rate = rate;
	r->burst = burst;
	pthread_mutex_init(&r->mu, NULL);
	*out = r;
	return PARLEY_OK;
}

parley_code parley_ratelimit_new(double rate, parley_ratelimit **out)
{
	return parley_ratelimit_new_burst(rate, 2 * rate, out);
}

void parley_ratelimit_free(parley_ratelimit *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* keyid's bucket, refilled to now_ms (created full, or the least recently used one evicted); under r->mu */
static struct bucket *bucket_of(parley_ratelimit *r, const uint8_t key[4], uint64_t now_ms)
{
	struct bucket *set, *b = NULL, *oldest;

	set = r->b[parley_get_u32(key) % SETS];
	oldest = &set[0];
	for (size_t i = 0; i < WAYS && !b; i++) {
		if (set[i].used && memcmp(set[i].key, key, 4) == 0)
			b = &set[i];
		else if (!set[i].used || (oldest->used && set[i].last_ms < oldest->last_ms))
			oldest = &set[i];
	}
	if (!b) {
		b = oldest; /* empty, or the least recently used: evicted */
		b->used = true;
		memcpy(b->key, key, 4);
		b->tokens = r->burst;
		b->last_ms = now_ms;
	}
	if (now_ms > b->last_ms) {
		b->tokens += r->rate * (double)(now_ms - b->last_ms) / 1000.0;
		if (b->tokens > r->burst)
			b->tokens = r->burst;
	}
	b->last_ms = now_ms > b->last_ms ? now_ms : b->last_ms;
	return b;
}

void parley_ratelimit_debit(parley_ratelimit *r, const char *keyid_hex, uint64_t now_ms, double n)
{
	uint8_t key[4];

	if (r->rate <= 0 || n <= 0 || parley_unhex(key, 4, keyid_hex, strlen(keyid_hex)))
		return;
	pthread_mutex_lock(&r->mu);
	struct bucket *b = bucket_of(r, key, now_ms);
	b->tokens -= n;
	if (b->tokens < -n)
		b->tokens = -n;
	pthread_mutex_unlock(&r->mu);
}

bool parley_ratelimit_take(parley_ratelimit *r, const char *keyid_hex, uint64_t now_ms)
{
	uint8_t key[4];
	struct bucket *b;
	bool ok = false;

	if (r->rate <= 0)
		return true;
	if (parley_unhex(key, 4, keyid_hex, strlen(keyid_hex)))
		return false;
	pthread_mutex_lock(&r->mu);
	b = bucket_of(r, key, now_ms);
	if (b->tokens >= 1) {
		b->tokens -= 1;
		ok = true;
	}
	pthread_mutex_unlock(&r->mu);
	return ok;
}
