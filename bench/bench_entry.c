/* bench_entry.c - entry build / parse / verify / open rates beside raw Ed25519, X25519 sealing and XChaCha20. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bench.h"
#include "parley/entry.h"

#define PAYLOAD 1024

static parley_seckey *ka, *kb;
static parley_entry_hdr hdr;
static uint8_t payload[PAYLOAD];
static parley_buf entry_buf, out_buf;
static uint8_t msg[PAYLOAD + 512], sig[64], sealed[80], key[32], ct[PAYLOAD + 16], nonce[24];
static size_t msglen;

static void raw_sign(void *c) { (void)c; crypto_sign_detached(sig, NULL, msg, msglen, ka->sign_sk); }
static void raw_verify(void *c)
{
	(void)c;
	if (crypto_sign_verify_detached(sig, msg, msglen, ka->pub.sign_pk) != 0)
		abort();
}
static void raw_seal(void *c) { (void)c; crypto_box_seal(sealed, key, 32, kb->pub.seal_pk); }
static void raw_seal_open(void *c)
{
	(void)c;
	if (crypto_box_seal_open(key, sealed, 80, kb->pub.seal_pk, kb->seal_sk) != 0)
		abort();
}
static void raw_aead(void *c)
{
	(void)c;
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, payload, PAYLOAD, msg, 200, NULL, nonce, key);
}
static void raw_aead_open(void *c)
{
	(void)c;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(payload, NULL, NULL, ct, sizeof(ct), msg, 200, nonce, key))
		abort();
}
static void raw_copy(void *c) { (void)c; memcpy(msg, entry_buf.data, entry_buf.len); __asm__ volatile("" ::: "memory"); }

static void do_build(void *c)
{
	(void)c;
	if (parley_entry_build(&hdr, (const uint8_t(*)[32])kb->pub.seal_pk, payload, PAYLOAD, ka, &out_buf, NULL, NULL))
		abort();
}
static void do_parse(void *c)
{
	parley_entry e;
	(void)c;
	if (parley_entry_parse(entry_buf.data, entry_buf.len, &e, NULL))
		abort();
}
static void do_verify(void *c)
{
	parley_entry e;
	(void)c;
	if (parley_entry_parse(entry_buf.data, entry_buf.len, &e, NULL) ||
		parley_entry_verify(&e, ka->pub.sign_pk, NULL))
		abort();
}
static void do_open(void *c)
{
	parley_entry e;
	(void)c;
	if (parley_entry_parse(entry_buf.data, entry_buf.len, &e, NULL) ||
		parley_entry_open(&e, kb, &out_buf, NULL, NULL))
		abort();
}

void bench_entry(void)
{
	uint8_t seed[32];
	double s = bench_seconds();

	memset(seed, 1, 32);
	if (parley_seckey_from_seed("cert-a", seed, &ka, NULL))
		abort();
	memset(seed, 2, 32);
	if (parley_seckey_from_seed("cert-b", seed, &kb, NULL))
		abort();
	randombytes_buf(payload, sizeof(payload));
	randombytes_buf(key, sizeof(key));
	randombytes_buf(nonce, sizeof(nonce));
	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.sender, ka->pub.keyid, 4);
	hdr.seq = 1;
	hdr.type = PARLEY_T_NOTIFICATION;
	memcpy(hdr.category, "election-infrastructure", 24);
	hdr.nrecip = 1;
	memcpy(hdr.recip[0], kb->pub.keyid, 4);
	do_build(NULL);
	if (parley_buf_add(&entry_buf, out_buf.data, out_buf.len))
		abort();
	msglen = entry_buf.len - 64; /* the raw signature covers what an entry's does */
	memcpy(msg, entry_buf.data, msglen);
	raw_sign(NULL);
	crypto_box_seal(sealed, key, 32, kb->pub.seal_pk);
	raw_aead(NULL);

	double sign = bench_rate(raw_sign, NULL, s);
	double verify = bench_rate(raw_verify, NULL, s);
	double seal = bench_rate(raw_seal, NULL, s);
	double unseal = bench_rate(raw_seal_open, NULL, s);
	double aead = bench_rate(raw_aead, NULL, s);
	double unaead = bench_rate(raw_aead_open, NULL, s);
	double copy = bench_rate(raw_copy, NULL, s);

	bench_report("ed25519 sign", sign, "ops/s", sign, "itself");
	bench_report("ed25519 verify", verify, "ops/s", verify, "itself");
	bench_report("xchacha20poly1305 1KiB encrypt", aead * PAYLOAD / 1e6, "MB/s", aead * PAYLOAD / 1e6, "itself");
	bench_report("x25519 seal (crypto_box_seal)", seal, "ops/s", seal, "itself");

	/* an entry costs at least one signature, one seal and one AEAD pass: that is its limit */
	double build_limit = 1.0 / (1.0 / sign + 1.0 / seal + 1.0 / aead);
	double open_limit = 1.0 / (1.0 / unseal + 1.0 / unaead);
	bench_report("entry build (1 recipient, 1 KiB)", bench_rate(do_build, NULL, s), "entries/s", build_limit,
		"sign+seal+encrypt");
	bench_report("entry parse", bench_rate(do_parse, NULL, s), "entries/s", copy, "memcpy of the entry");
	bench_report("entry parse+verify", bench_rate(do_verify, NULL, s), "entries/s", verify,
		"ed25519 verify");
	bench_report("entry parse+open", bench_rate(do_open, NULL, s), "entries/s", open_limit,
		"unseal+decrypt");

	parley_buf_release(&entry_buf);
	parley_buf_release(&out_buf);
	parley_seckey_free(ka);
	parley_seckey_free(kb);
}
