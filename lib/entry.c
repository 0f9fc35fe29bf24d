/* entry.c - encoding, parsing, signing and sealing of log entries. */
#include <string.h>

#include <sodium.h>

#include "parley/entry.h"
#include "banned.h"

static const uint8_t zero32[32];

_Static_assert(PARLEY_SEALED_KEY_LEN == crypto_box_SEALBYTES + PARLEY_KEY_LEN, "a sealed key is a sealed box");
_Static_assert(crypto_box_SEEDBYTES == PARLEY_HASH_LEN, "the seal seed is a SHA-256");

static void key_commit(uint8_t out[32], const uint8_t key[PARLEY_KEY_LEN])
{
	parley_sha256_2(out, PARLEY_KEY_COMMIT_CONTEXT, strlen(PARLEY_KEY_COMMIT_CONTEXT), key,
		PARLEY_KEY_LEN);
}

/* Rules that both build and parse enforce on a header. */
static parley_code check_hdr(const parley_entry_hdr *h, parley_err *err)
{
	if (h->seq == 0)
		return parley_fail(err, PARLEY_E_FORMAT, "entry: sequence number 0 (they start at 1)");
	if (h->seq == 1 && sodium_memcmp(h->prev, zero32, 32) != 0)
		return parley_fail(err, PARLEY_E_FORMAT, "entry: first entry (seq 1) names a previous entry");
	if (h->seq > 1 && sodium_is_zero(h->prev, 32))
		return parley_fail(err, PARLEY_E_FORMAT, "entry: seq %llu has no previous-entry hash",
			(unsigned long long)h->seq);
	if (!parley_type_name(h->type))
		return parley_fail(err, PARLEY_E_FORMAT, "entry: unknown message type %u", h->type);
	if (h->nrefs > PARLEY_ENTRY_MAX_REFS)
		return parley_fail(err, PARLEY_E_LIMIT, "entry: more than %d references",
			PARLEY_ENTRY_MAX_REFS);
	if (parley_name_check(h->category, NULL))
		return parley_fail(err, PARLEY_E_FORMAT, "entry: invalid category name");
	if (h->tlp > PARLEY_TLP_MAX)
		return parley_fail(err, PARLEY_E_FORMAT, "entry: unknown TLP level %u", h->tlp);
	if (h->nrecip == 0)
		return parley_fail(err, PARLEY_E_FORMAT, "entry: no recipients");
	if (h->nrecip > PARLEY_ENTRY_MAX_RECIP)
		return parley_fail(err, PARLEY_E_LIMIT, "entry: more than %d recipients",
			PARLEY_ENTRY_MAX_RECIP);
	for (unsigned i = 0; i < h->nrecip; i++)
		for (unsigned j = 0; j < i; j++)
			if (memcmp(h->recip[i], h->recip[j], PARLEY_KEYID_LEN) == 0)
				return parley_fail(err, PARLEY_E_FORMAT, "entry: recipient %u is listed twice", i);
	return PARLEY_OK;
}

parley_code parley_entry_seal(uint8_t out[PARLEY_SEALED_KEY_LEN], const uint8_t content_key[PARLEY_KEY_LEN],
	const uint8_t recip_seal_pk[PARLEY_PK_LEN], parley_err *err)
{
	uint8_t seed[crypto_box_SEEDBYTES], eph_sk[crypto_box_SECRETKEYBYTES], nonce[crypto_box_NONCEBYTES];
	crypto_generichash_state st;
	parley_span parts[3] = {
		{ PARLEY_SEAL_CONTEXT, strlen(PARLEY_SEAL_CONTEXT) },
		{ content_key, PARLEY_KEY_LEN },
		{ recip_seal_pk, PARLEY_PK_LEN },
	};
	int bad;

	/* the ephemeral key pair comes from the content key and the recipient: whoever learns the
	 * content key can re-create this seal, and nobody else learns anything new from it */
	parley_sha256_parts(seed, parts, 3);
	crypto_box_seed_keypair(out, eph_sk, seed);
	/* crypto_box_seal's nonce, so that crypto_box_seal_open opens it */
	crypto_generichash_init(&st, NULL, 0, sizeof(nonce));
	crypto_generichash_update(&st, out, crypto_box_PUBLICKEYBYTES);
	crypto_generichash_update(&st, recip_seal_pk, PARLEY_PK_LEN);
	crypto_generichash_final(&st, nonce, sizeof(nonce));
	bad = crypto_box_easy(out + crypto_box_PUBLICKEYBYTES, content_key, PARLEY_KEY_LEN, nonce, recip_seal_pk,
		eph_sk);
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(eph_sk, sizeof(eph_sk));
	sodium_memzero(&st, sizeof(st));
	if (bad) {
		sodium_memzero(out, PARLEY_SEALED_KEY_LEN);
		return parley_fail(err, PARLEY_E_USAGE, "entry: the sealing key is unusable (a low-order point)");
	}
	return PARLEY_OK;
}

static parley_code put_hdr(parley_buf *b, const parley_entry_hdr *h, const uint8_t commit[32])
{
	parley_code rc;
	size_t catlen = strlen(h->category);

	if ((rc = parley_buf_add(b, PARLEY_ENTRY_MAGIC, 4)) ||
		(rc = parley_buf_add_u8(b, PARLEY_ENTRY_VERSION)) || (rc = parley_buf_add(b, h->channel, 32)) ||
		(rc = parley_buf_add(b, h->sender, PARLEY_KEYID_LEN)) || (rc = parley_buf_add_u64(b, h->seq)) ||
		(rc = parley_buf_add(b, h->prev, 32)) || (rc = parley_buf_add_u64(b, h->created_ms)) ||
		(rc = parley_buf_add_u8(b, h->type)) || (rc = parley_buf_add_u64(b, h->thread)) ||
		(rc = parley_buf_add_u8(b, h->nrefs)))
		return rc;
	for (unsigned i = 0; i < h->nrefs; i++)
		if ((rc = parley_buf_add_u64(b, h->refs[i])))
			return rc;
	if ((rc = parley_buf_add_u8(b, (uint8_t)catlen)) || (rc = parley_buf_add(b, h->category, catlen)) ||
		(rc = parley_buf_add_u8(b, h->tlp)) || (rc = parley_buf_add_u8(b, h->nrecip)))
		return rc;
	for (unsigned i = 0; i < h->nrecip; i++)
		if ((rc = parley_buf_add(b, h->recip[i], PARLEY_KEYID_LEN)))
			return rc;
	return parley_buf_add(b, commit, 32);
}

parley_code parley_entry_build(const parley_entry_hdr *h, const uint8_t (*seal_pks)[PARLEY_PK_LEN],
	const uint8_t *payload, size_t n, const parley_seckey *sender, parley_buf *out,
	uint8_t content_key[PARLEY_KEY_LEN], parley_err *err)
{
	uint8_t key[PARLEY_KEY_LEN], commit[32], nonce[PARLEY_NONCE_LEN], sig[PARLEY_SIG_LEN];
	uint8_t sealed[PARLEY_SEALED_KEY_LEN];
	size_t hdr_len;
	unsigned long long ctlen = 0;
	parley_code rc;

	if ((rc = check_hdr(h, err)))
		return rc;
	if (memcmp(h->sender, sender->pub.keyid, PARLEY_KEYID_LEN) != 0)
		return parley_fail(err, PARLEY_E_USAGE, "entry: header's sender is not the signing key");
	if (n > PARLEY_ENTRY_MAX_PAYLOAD)
		return parley_fail(err, PARLEY_E_LIMIT, "entry: payload of %zu bytes is over the %zu-byte limit",
			n, PARLEY_ENTRY_MAX_PAYLOAD);

	crypto_aead_xchacha20poly1305_ietf_keygen(key);
	randombytes_buf(nonce, sizeof(nonce));
	key_commit(commit, key);

	parley_buf_reset(out);
	if (out->max == 0 || out->max < PARLEY_ENTRY_MAX_BYTES)
		out->max = PARLEY_ENTRY_MAX_BYTES;
	if ((rc = put_hdr(out, h, commit)))
		goto fail;
	hdr_len = out->len;
	for (unsigned i = 0; i < h->nrecip; i++) {
		if (parley_entry_seal(sealed, key, seal_pks[i], NULL)) {
			sodium_memzero(key, sizeof(key));
			return parley_fail(err, PARLEY_E_USAGE, "entry: recipient %u's sealing key is unusable", i);
		}
		if ((rc = parley_buf_add(out, sealed, sizeof(sealed))))
			goto fail;
	}
	if ((rc = parley_buf_add(out, nonce, sizeof(nonce))) ||
		(rc = parley_buf_add_u32(out, (uint32_t)(n + PARLEY_TAG_LEN))) ||
		(rc = parley_buf_grow(out, n + PARLEY_TAG_LEN)))
		goto fail;
	/* the header sits at the start of out: it is the associated data */
	crypto_aead_xchacha20poly1305_ietf_encrypt(out->data + out->len, &ctlen, payload, n, out->data,
		hdr_len, NULL, nonce, key);
	out->len += (size_t)ctlen;
	crypto_sign_detached(sig, NULL, out->data, out->len, sender->sign_sk);
	if ((rc = parley_buf_add(out, sig, sizeof(sig))))
		goto fail;
	if (content_key)
		memcpy(content_key, key, PARLEY_KEY_LEN);
	sodium_memzero(key, sizeof(key));
	return PARLEY_OK;
fail:
	sodium_memzero(key, sizeof(key));
	return parley_fail(err, rc, "entry: cannot encode (%s)", parley_strerror(rc));
}

#define NEED(cond, what)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			return parley_fail(err, PARLEY_E_FORMAT, "entry: truncated in %s", what);        \
	} while (0)

parley_code parley_entry_parse(const uint8_t *p, size_t n, parley_entry *e, parley_err *err)
{
	parley_rd r;
	const uint8_t *v;
	uint8_t version, catlen;
	uint32_t ctlen;
	parley_entry_hdr *h = &e->h;
	parley_code rc;

	memset(e, 0, sizeof(*e));
	if (n > PARLEY_ENTRY_MAX_BYTES)
		return parley_fail(err, PARLEY_E_LIMIT, "entry: %zu bytes is over the %zu-byte limit", n,
			(size_t)PARLEY_ENTRY_MAX_BYTES);
	parley_rd_init(&r, p, n);
	NEED(parley_rd_view(&r, &v, 4), "magic");
	if (memcmp(v, PARLEY_ENTRY_MAGIC, 4) != 0)
		return parley_fail(err, PARLEY_E_FORMAT, "entry: bad magic (not a parley entry)");
	NEED(parley_rd_u8(&r, &version), "version");
	if (version != PARLEY_ENTRY_VERSION)
		return parley_fail(err, PARLEY_E_FORMAT, "entry: unsupported version %u", version);
	NEED(parley_rd_bytes(&r, h->channel, 32), "channel id");
	NEED(parley_rd_bytes(&r, h->sender, PARLEY_KEYID_LEN), "sender key id");
	NEED(parley_rd_u64(&r, &h->seq), "sequence number");
	NEED(parley_rd_bytes(&r, h->prev, 32), "previous-entry hash");
	NEED(parley_rd_u64(&r, &h->created_ms), "creation time");
	NEED(parley_rd_u8(&r, &h->type), "type");
	NEED(parley_rd_u64(&r, &h->thread), "thread");
	NEED(parley_rd_u8(&r, &h->nrefs), "reference count");
	if (h->nrefs > PARLEY_ENTRY_MAX_REFS)
		return parley_fail(err, PARLEY_E_LIMIT, "entry: %u references (at most %d)", h->nrefs,
			PARLEY_ENTRY_MAX_REFS);
	for (unsigned i = 0; i < h->nrefs; i++)
		NEED(parley_rd_u64(&r, &h->refs[i]), "references");
	NEED(parley_rd_u8(&r, &catlen), "category length");
	if (catlen == 0 || catlen > PARLEY_NAME_MAX)
		return parley_fail(err, PARLEY_E_FORMAT, "entry: category length %u (1 to %d)", catlen,
			PARLEY_NAME_MAX);
	NEED(parley_rd_bytes(&r, h->category, catlen), "category");
	h->category[catlen] = 0;
	if (strlen(h->category) != catlen)
		return parley_fail(err, PARLEY_E_FORMAT, "entry: category contains a NUL byte");
	NEED(parley_rd_u8(&r, &h->tlp), "TLP");
	NEED(parley_rd_u8(&r, &h->nrecip), "recipient count");
	if (h->nrecip > PARLEY_ENTRY_MAX_RECIP)
		return parley_fail(err, PARLEY_E_LIMIT, "entry: %u recipients (at most %d)", h->nrecip,
			PARLEY_ENTRY_MAX_RECIP);
	for (unsigned i = 0; i < h->nrecip; i++)
		NEED(parley_rd_bytes(&r, h->recip[i], PARLEY_KEYID_LEN), "recipients");
	NEED(parley_rd_bytes(&r, e->key_commit, 32), "content-key commitment");
	e->hdr_len = n - r.left;
	if ((rc = check_hdr(h, err)))
		return rc;
	NEED(parley_rd_view(&r, &e->sealed, (size_t)h->nrecip * PARLEY_SEALED_KEY_LEN), "sealed keys");
	NEED(parley_rd_view(&r, &e->nonce, PARLEY_NONCE_LEN), "nonce");
	NEED(parley_rd_u32(&r, &ctlen), "payload length");
	if (ctlen < PARLEY_TAG_LEN || ctlen > PARLEY_ENTRY_MAX_PAYLOAD + PARLEY_TAG_LEN)
		return parley_fail(err, PARLEY_E_FORMAT, "entry: payload length %u out of range", ctlen);
	NEED(parley_rd_view(&r, &e->ct, ctlen), "payload");
	e->ct_len = ctlen;
	NEED(parley_rd_view(&r, &e->sig, PARLEY_SIG_LEN), "signature");
	if (r.left != 0)
		return parley_fail(err, PARLEY_E_FORMAT, "entry: %zu bytes after the signature", r.left);
	e->raw = p;
	e->raw_len = n;
	return PARLEY_OK;
}

parley_code parley_entry_verify(const parley_entry *e, const uint8_t sign_pk[PARLEY_PK_LEN], parley_err *err)
{
	if (crypto_sign_verify_detached(e->sig, e->raw, e->raw_len - PARLEY_SIG_LEN, sign_pk) != 0)
		return parley_fail(err, PARLEY_E_VERIFY, "entry: signature does not verify");
	return PARLEY_OK;
}

int parley_entry_recipient_index(const parley_entry *e, const uint8_t keyid[PARLEY_KEYID_LEN])
{
	for (unsigned i = 0; i < e->h.nrecip; i++)
		if (memcmp(e->h.recip[i], keyid, PARLEY_KEYID_LEN) == 0)
			return (int)i;
	return -1;
}

parley_code parley_entry_open_with_key(const parley_entry *e, const uint8_t key[PARLEY_KEY_LEN],
	parley_buf *payload, parley_err *err)
{
	uint8_t commit[32];
	unsigned long long n = 0;
	parley_code rc;

	key_commit(commit, key);
	if (sodium_memcmp(commit, e->key_commit, 32) != 0)
		return parley_fail(err, PARLEY_E_DECRYPT, "entry: content key does not match its commitment");
	payload->secret = 1;
	parley_buf_reset(payload);
	if (payload->max == 0 || payload->max < PARLEY_ENTRY_MAX_PAYLOAD)
		payload->max = PARLEY_ENTRY_MAX_PAYLOAD;
	if ((rc = parley_buf_grow(payload, e->ct_len - PARLEY_TAG_LEN)))
		return parley_fail(err, rc, "entry: %s", parley_strerror(rc));
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(payload->data, &n, NULL, e->ct, e->ct_len, e->raw,
		    e->hdr_len, e->nonce, key) != 0)
		return parley_fail(err, PARLEY_E_DECRYPT, "entry: payload does not authenticate");
	payload->len = (size_t)n;
	payload->data[n] = 0;
	return PARLEY_OK;
}

parley_code parley_entry_seal_check(const parley_entry *e, const uint8_t content_key[PARLEY_KEY_LEN],
	unsigned recip_index, const uint8_t recip_seal_pk[PARLEY_PK_LEN], bool *ok, parley_err *err)
{
	uint8_t commit[32], want[PARLEY_SEALED_KEY_LEN];

	*ok = false;
	if (recip_index >= e->h.nrecip)
		return parley_fail(err, PARLEY_E_USAGE, "entry: no recipient %u (it has %u)", recip_index, e->h.nrecip);
	key_commit(commit, content_key);
	if (sodium_memcmp(commit, e->key_commit, 32) != 0)
		return parley_fail(err, PARLEY_E_VERIFY, "entry: content key does not match its commitment");
	/* a key no seal can be made to matches no seal: the sender sealed to something unusable */
	if (parley_entry_seal(want, content_key, recip_seal_pk, NULL) == PARLEY_OK)
		*ok = sodium_memcmp(want, e->sealed + (size_t)recip_index * PARLEY_SEALED_KEY_LEN,
			PARLEY_SEALED_KEY_LEN) == 0;
	return PARLEY_OK;
}

parley_code parley_entry_open(const parley_entry *e, const parley_seckey *me, parley_buf *payload,
	uint8_t content_key[PARLEY_KEY_LEN], parley_err *err)
{
	uint8_t key[PARLEY_KEY_LEN];
	int i = parley_entry_recipient_index(e, me->pub.keyid);
	parley_code rc;

	if (i < 0)
		return parley_fail(err, PARLEY_E_DECRYPT, "entry: '%s' is not a recipient", me->pub.name);
	if (crypto_box_seal_open(key, e->sealed + (size_t)i * PARLEY_SEALED_KEY_LEN, PARLEY_SEALED_KEY_LEN,
		    me->pub.seal_pk, me->seal_sk) != 0)
		return parley_fail(err, PARLEY_E_DECRYPT, "entry: the content key sealed to '%s' does not open",
			me->pub.name);
	rc = parley_entry_open_with_key(e, key, payload, err);
	if (!rc && content_key)
		memcpy(content_key, key, PARLEY_KEY_LEN);
	sodium_memzero(key, sizeof(key));
	return rc;
}

void parley_entry_hash(const uint8_t *p, size_t n, uint8_t out[32])
{
	parley_sha256(out, p, n);
}
