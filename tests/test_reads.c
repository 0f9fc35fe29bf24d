/*
 * test_reads.c - the relay's kept signed reads (delivery evidence), /reads,
 * checkpoint?cosigned_by, checkpoint?size=0, auditor recipients, and the
 * offline checker parley_signed_read_verify, against a real relay in-process.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "parley/auth.h"
#include "parley/client.h"
#include "parley/entry.h"
#include "parley/msg.h"
#include "parley/note.h"
#include "parley/relay.h"
#include "parley/remote.h"
#include "testutil.h"

static char dir[64], db[128], base[64], chan[65], other[65];
static parley_seckey *ka, *kb, *kaud, *kx, *krelay;
static parley_charter *charter;
static parley_relay *relay;
static uint64_t seq_a;
static uint8_t prev_a[32];

static void start_relay(void)
{
	parley_relay_config cfg;
	parley_err err = { 0 };
	memset(&cfg, 0, sizeof(cfg));
	cfg.db = db;
	cfg.key = krelay;
	cfg.host = "127.0.0.1";
	cfg.rate = -1;
	if (parley_relay_start(&cfg, &relay, &err))
		fail_msg("relay: %s", err.msg);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", parley_relay_port(relay));
}

static long do_req(parley_seckey *k, const char *method, const char *target, const uint8_t *body, size_t n,
	parley_buf *resp)
{
	parley_client cl;
	long st = 0;
	parley_err err = { 0 };
	assert_int_equal(parley_client_init(&cl, base, k, &err), PARLEY_OK);
	if (parley_client_do(&cl, method, target, body ? "application/octet-stream" : NULL, body, n, &st, resp, &err))
		fail_msg("request %s: %s", target, err.msg);
	parley_client_release(&cl);
	return st;
}

/* GET /v1/channels/CHAN + rest + arg. */
static long get(parley_seckey *k, const char *rest, const char *arg, parley_buf *resp)
{
	char target[400];
	snprintf(target, sizeof(target), "/v1/channels/%s%s%s", chan, rest, arg ? arg : "");
	return do_req(k, "GET", target, NULL, 0, resp);
}

/* Post a notification from a to recipient; the status. */
static long post_a(const parley_seckey *to)
{
	parley_entry_hdr h;
	parley_buf e = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	char target[128];
	long st;
	memset(&h, 0, sizeof(h));
	memcpy(h.channel, parley_charter_id(charter), 32);
	memcpy(h.sender, ka->pub.keyid, 4);
	h.seq = seq_a + 1;
	memcpy(h.prev, prev_a, 32);
	h.created_ms = parley_now_ms();
	h.type = PARLEY_T_NOTIFICATION;
	memcpy(h.category, "ip-theft", 9);
	h.nrecip = 1;
	memcpy(h.recip[0], to->pub.keyid, 4);
	assert_int_equal(parley_entry_build(&h, (const uint8_t(*)[32])to->pub.seal_pk, (const uint8_t *)"{}", 2, ka, &e,
				 NULL, NULL),
		PARLEY_OK);
	snprintf(target, sizeof(target), "/v1/channels/%s/entries", chan);
	st = do_req(ka, "POST", target, e.data, e.len, &resp);
	if (st == 201) {
		seq_a = h.seq;
		parley_entry_hash(e.data, e.len, prev_a);
	} else if (to == kaud) {
		assert_non_null(memmem(resp.data, resp.len, "auditor-recipient", 17));
	}
	parley_buf_release(&e);
	parley_buf_release(&resp);
	return st;
}

static int setup(void **state)
{
	parley_party parties[3];
	const char *cats[] = { "ip-theft" };
	parley_charter_spec sp;
	parley_err err = { 0 };
	parley_buf b = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	long st;
	(void)state;

	assert_int_equal(parley_init(NULL), PARLEY_OK);
	snprintf(dir, sizeof(dir), "/tmp/parley-reads-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/relay.db", dir);
	ka = tu_key("cert-a", 1);
	kb = tu_key("cert-b", 2);
	kaud = tu_key("auditor", 3);
	kx = tu_key("stranger", 4);
	krelay = tu_key("relay", 5);
	start_relay();
	parties[0].key = ka->pub;
	parties[0].role = PARLEY_ROLE_PARTY;
	parties[1].key = kb->pub;
	parties[1].role = PARLEY_ROLE_PARTY;
	parties[2].key = kaud->pub;
	parties[2].role = PARLEY_ROLE_AUDITOR;
	memset(&sp, 0, sizeof(sp));
	sp.title = "reads";
	sp.parties = parties;
	sp.nparties = 3;
	sp.categories = cats;
	sp.ncategories = 1;
	sp.tlp = -1;
	sp.valid_from = (int64_t)time(NULL) - 86400;
	sp.valid_until = (int64_t)time(NULL) + 86400 * 30;
	sp.relay_url = base;
	sp.relay = &krelay->pub;
	if (parley_charter_new(&sp, &charter, &err) || parley_charter_sign(charter, ka, &err) ||
		parley_charter_sign(charter, kb, &err) || parley_charter_sign(charter, kaud, &err) ||
		parley_charter_write(charter, &b, &err))
		fail_msg("charter: %s", err.msg);
	parley_hex(chan, parley_charter_id(charter), 32);
	memcpy(other, chan, 65);
	other[0] = other[0] == '0' ? '1' : '0';
	{
		parley_client cl;
		assert_int_equal(parley_client_init(&cl, base, ka, &err), PARLEY_OK);
		assert_int_equal(
			parley_client_do(&cl, "POST", "/v1/channels", "application/json", b.data, b.len, &st, &resp, &err),
			PARLEY_OK);
		parley_client_release(&cl);
	}
	assert_int_equal(st, 201);
	for (int i = 0; i < 3; i++)
		assert_int_equal(post_a(kb), 201);
	parley_buf_release(&b);
	parley_buf_release(&resp);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	parley_relay_stop(relay);
	parley_charter_free(charter);
	parley_seckey_free(ka);
	parley_seckey_free(kb);
	parley_seckey_free(kaud);
	parley_seckey_free(kx);
	parley_seckey_free(krelay);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}

/* The earliest kept read of k past `past`, waiting for the committer to keep it (up to 5 s). */
static parley_code read_past(const parley_seckey *k, uint64_t past, parley_signed_read *out, bool wait)
{
	parley_client cl;
	parley_err err = { 0 };
	parley_code rc = PARLEY_OK;
	assert_int_equal(parley_client_init(&cl, base, kb, &err), PARLEY_OK);
	for (int i = 0; i < (wait ? 100 : 1); i++) {
		if ((rc = parley_remote_read_past(&cl, chan, k->pub.keyid, past, out, &err)) != PARLEY_E_NOTFOUND)
			break;
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
	parley_client_release(&cl);
	return rc;
}

static void test_reads_kept(void **state)
{
	parley_buf resp = PARLEY_BUF_INIT;
	parley_signed_read rd;
	uint64_t from = 0;
	(void)state;

	/* a sync from 0 shows nothing and is not kept */
	assert_int_equal(get(kb, "/entries?from=0", NULL, &resp), 200);
	assert_int_equal(read_past(kb, 0, &rd, false), PARLEY_E_NOTFOUND);
	/* reads from 2, then 1 (behind: not kept), then 3 */
	assert_int_equal(get(kb, "/entries?from=2&limit=", "10", &resp), 200);
	assert_int_equal(read_past(kb, 0, &rd, true), PARLEY_OK);
	assert_int_equal(get(kb, "/entries?from=1", NULL, &resp), 200);
	assert_int_equal(get(kb, "/entries?from=3", NULL, &resp), 200);
	/* past the end of the log: answered, not kept */
	assert_int_equal(get(kb, "/entries?from=100", NULL, &resp), 200);
	assert_int_equal(read_past(kb, 2, &rd, true), PARLEY_OK);
	assert_int_equal(rd.from, 3);

	/* durable: the same after a restart */
	parley_relay_stop(relay);
	start_relay();
	assert_int_equal(read_past(kb, 0, &rd, false), PARLEY_OK);
	assert_int_equal(rd.from, 2);
	assert_memory_equal(rd.keyid, kb->pub.keyid, 4);
	assert_int_equal(parley_signed_read_verify(&rd, kb->pub.sign_pk, chan, &from, NULL), PARLEY_OK);
	assert_int_equal(from, 2);
	assert_non_null(strstr(rd.target, "?from=2&limit=10"));
	assert_int_equal(read_past(kb, 1, &rd, false), PARLEY_OK);
	assert_int_equal(rd.from, 2);
	assert_int_equal(read_past(kb, 2, &rd, false), PARLEY_OK);
	assert_int_equal(rd.from, 3);
	assert_int_equal(read_past(kb, 3, &rd, false), PARLEY_E_NOTFOUND);
	/* a's reads are its own: none kept */
	assert_int_equal(read_past(ka, 0, &rd, false), PARLEY_E_NOTFOUND);

	/* the raw route */
	char q[64];
	char kh[9];
	parley_hex(kh, kb->pub.keyid, 4);
	snprintf(q, sizeof(q), "%s&past=0", kh);
	assert_int_equal(get(ka, "/reads?party=", q, &resp), 200);
	json_t *j = json_loadb((const char *)resp.data, resp.len, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "party")), kh);
	assert_int_equal(json_integer_value(json_object_get(j, "from")), 2);
	json_decref(j);
	assert_int_equal(get(ka, "/reads?party=", "zz", &resp), 400);
	assert_int_equal(get(ka, "/reads?party=", kh, &resp), 400); /* past is required */
	parley_hex(kh, kx->pub.keyid, 4);
	snprintf(q, sizeof(q), "%s&past=0", kh);
	assert_int_equal(get(ka, "/reads?party=", q, &resp), 404);
	/* non-members may neither read entries nor reads */
	parley_hex(kh, kb->pub.keyid, 4);
	snprintf(q, sizeof(q), "%s&past=0", kh);
	assert_int_equal(get(kx, "/reads?party=", q, &resp), 403);
	assert_int_equal(get(kx, "/entries?from=3", NULL, &resp), 403);
	assert_int_equal(get(NULL, "/reads?party=", q, &resp), 401);
	parley_buf_release(&resp);
}

static void test_verify(void **state)
{
	parley_signed_read rd, bad;
	uint64_t from = 99;
	(void)state;

	assert_int_equal(read_past(kb, 0, &rd, true), PARLEY_OK);
	assert_int_equal(parley_signed_read_verify(&rd, kb->pub.sign_pk, chan, &from, NULL), PARLEY_OK);
	/* one byte changed in the target, the time, the nonce, the signature */
	for (size_t i = 0; i < strlen(rd.target); i++) {
		bad = rd;
		bad.target[i] = bad.target[i] == 'e' ? 'f' : 'e';
		assert_int_not_equal(parley_signed_read_verify(&bad, kb->pub.sign_pk, chan, NULL, NULL), PARLEY_OK);
	}
	bad = rd;
	bad.time_ms++;
	assert_int_equal(parley_signed_read_verify(&bad, kb->pub.sign_pk, chan, NULL, NULL), PARLEY_E_VERIFY);
	bad = rd;
	bad.nonce[5] = bad.nonce[5] == 'a' ? 'b' : 'a';
	assert_int_equal(parley_signed_read_verify(&bad, kb->pub.sign_pk, chan, NULL, NULL), PARLEY_E_VERIFY);
	bad = rd;
	bad.sig[10] = bad.sig[10] == 'A' ? 'B' : 'A';
	assert_int_equal(parley_signed_read_verify(&bad, kb->pub.sign_pk, chan, NULL, NULL), PARLEY_E_VERIFY);
	bad = rd;
	memcpy(bad.keyid, ka->pub.keyid, 4);
	assert_int_equal(parley_signed_read_verify(&bad, kb->pub.sign_pk, chan, NULL, NULL), PARLEY_E_VERIFY);
	bad = rd;
	bad.from = rd.from + 1;
	assert_int_equal(parley_signed_read_verify(&bad, kb->pub.sign_pk, chan, NULL, NULL), PARLEY_E_VERIFY);
	/* a wrong key, another channel's path */
	assert_int_equal(parley_signed_read_verify(&rd, ka->pub.sign_pk, chan, NULL, NULL), PARLEY_E_VERIFY);
	assert_int_equal(parley_signed_read_verify(&rd, kb->pub.sign_pk, other, NULL, NULL), PARLEY_E_FORMAT);
	/* malformed fields */
	bad = rd;
	memset(bad.target, 'x', sizeof(bad.target));
	assert_int_equal(parley_signed_read_verify(&bad, kb->pub.sign_pk, chan, NULL, NULL), PARLEY_E_FORMAT);
	bad = rd;
	bad.sig[0] = 0;
	assert_int_equal(parley_signed_read_verify(&bad, kb->pub.sign_pk, chan, NULL, NULL), PARLEY_E_FORMAT);
}

static void test_target_parser(void **state)
{
	static const struct {
		const char *q;
		parley_code rc;
		uint64_t from;
	} cases[] = {
		{ "?from=5", PARLEY_OK, 5 },
		{ "?from=5&limit=10", PARLEY_OK, 5 },
		{ "?limit=10&from=0", PARLEY_OK, 0 },
		{ "?from=18446744073709551615", PARLEY_OK, UINT64_MAX },
		{ "?from=18446744073709551616", PARLEY_E_FORMAT, 0 },
		{ "?from=5&from=6", PARLEY_E_FORMAT, 0 },
		{ "?from=5&limit=1&limit=2", PARLEY_E_FORMAT, 0 },
		{ "?from=05", PARLEY_E_FORMAT, 0 },
		{ "?from=+5", PARLEY_E_FORMAT, 0 },
		{ "?from=-5", PARLEY_E_FORMAT, 0 },
		{ "?from=5x", PARLEY_E_FORMAT, 0 },
		{ "?from=", PARLEY_E_FORMAT, 0 },
		{ "?from", PARLEY_E_FORMAT, 0 },
		{ "?from=5&", PARLEY_E_FORMAT, 0 },
		{ "?&from=5", PARLEY_E_FORMAT, 0 },
		{ "?from=5&x=1", PARLEY_E_FORMAT, 0 },
		{ "?limit=5", PARLEY_E_FORMAT, 0 },
		{ "?", PARLEY_E_FORMAT, 0 },
		{ "", PARLEY_E_FORMAT, 0 },
		{ "/?from=5", PARLEY_E_FORMAT, 0 },
		{ "x?from=5", PARLEY_E_FORMAT, 0 },
	};
	char t[300];
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t f = 0;
		snprintf(t, sizeof(t), "/v1/channels/%s/entries%s", chan, cases[i].q);
		parley_code rc = parley_read_target_from(t, chan, &f, NULL);
		if (rc != cases[i].rc)
			fail_msg("%s: %d, expected %d", cases[i].q, rc, cases[i].rc);
		if (!rc)
			assert_int_equal(f, cases[i].from);
	}
	uint64_t f;
	snprintf(t, sizeof(t), "/v1/channels/%s/checkpoint?from=5", chan);
	assert_int_equal(parley_read_target_from(t, chan, &f, NULL), PARLEY_E_FORMAT);
	snprintf(t, sizeof(t), "/v1/channels/%s/entries?from=5", other);
	assert_int_equal(parley_read_target_from(t, chan, &f, NULL), PARLEY_E_FORMAT);
}

/* b cosigns the relay's checkpoint of size `size`. */
static void cosign_b(uint64_t size)
{
	parley_buf note = PARLEY_BUF_INIT, line = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	char sz[32], target[200];
	parley_err err = { 0 };
	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	assert_int_equal(get(kb, "/checkpoint?size=", sz, &note), 200);
	const char *blank = memmem(note.data, note.len, "\n\n", 2);
	assert_non_null(blank);
	if (parley_note_cosign_line((const char *)note.data, (size_t)(blank - (const char *)note.data) + 1, kb,
		    (uint64_t)time(NULL), &line, &err))
		fail_msg("cosign: %s", err.msg);
	json_t *j = json_pack("{s:I, s:s}", "size", (json_int_t)size, "line", (const char *)line.data);
	char *s = json_dumps(j, JSON_COMPACT);
	snprintf(target, sizeof(target), "/v1/channels/%s/cosignatures", chan);
	assert_int_equal(do_req(kb, "POST", target, (const uint8_t *)s, strlen(s), &resp), 201);
	free(s);
	json_decref(j);
	parley_buf_release(&note);
	parley_buf_release(&line);
	parley_buf_release(&resp);
}

static uint64_t note_size(const parley_buf *note)
{
	/* origin line, then the size */
	const char *nl = memchr(note->data, '\n', note->len);
	assert_non_null(nl);
	return strtoull(nl + 1, NULL, 10);
}

static void test_checkpoints(void **state)
{
	parley_buf note = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	parley_client cl;
	parley_err err = { 0 };
	char kh[9], q[64];
	(void)state;

	/* the latest is signed on demand (size 3); size=0 is the empty log's checkpoint, not the latest */
	assert_int_equal(get(kb, "/checkpoint", NULL, &resp), 200);
	assert_int_equal(note_size(&resp), 3);
	assert_int_equal(get(kb, "/checkpoint?size=", "0", &resp), 200);
	assert_int_equal(note_size(&resp), 0);
	assert_int_equal(get(kb, "/checkpoint?size=", "3", &resp), 200);
	assert_int_equal(note_size(&resp), 3);
	assert_int_equal(get(kb, "/checkpoint?size=", "2", &resp), 404);

	assert_int_equal(parley_client_init(&cl, base, ka, &err), PARLEY_OK);
	assert_int_equal(parley_remote_checkpoint_cosigned(&cl, chan, kb->pub.keyid, 0, &note, &err), PARLEY_E_NOTFOUND);
	cosign_b(3);
	/* a cosignature of size 0 is of the size-0 checkpoint, not the latest */
	cosign_b(0);
	assert_int_equal(parley_remote_checkpoint_cosigned(&cl, chan, kb->pub.keyid, 0, &note, &err), PARLEY_OK);
	assert_int_equal(note_size(&note), 0);
	assert_int_equal(parley_remote_checkpoint_cosigned(&cl, chan, kb->pub.keyid, 1, &note, &err), PARLEY_OK);
	assert_int_equal(note_size(&note), 3);
	{
		/* the note carries the relay's signature and b's cosignature, and verifies with both */
		parley_note parsed;
		parley_verifier v[2];
		bool ok = false;
		assert_int_equal(parley_note_parse((const char *)note.data, note.len, &parsed, &err), PARLEY_OK);
		parley_verifier_from_key(&v[0], krelay->pub.name, krelay->pub.sign_pk, PARLEY_VKEY_ED25519);
		parley_verifier_from_key(&v[1], kb->pub.name, kb->pub.sign_pk, PARLEY_VKEY_COSIGNATURE);
		assert_int_equal(parley_note_verify(&parsed, &v[1], 1, &ok, NULL, &err), PARLEY_OK);
		assert_true(ok);
		parley_note_release(&parsed);
	}
	assert_int_equal(parley_remote_checkpoint_cosigned(&cl, chan, kb->pub.keyid, 4, &note, &err), PARLEY_E_NOTFOUND);
	assert_int_equal(parley_remote_checkpoint_cosigned(&cl, chan, ka->pub.keyid, 0, &note, &err), PARLEY_E_NOTFOUND);
	assert_int_equal(parley_remote_checkpoint_cosigned(&cl, chan, kx->pub.keyid, 0, &note, &err), PARLEY_E_NOTFOUND);
	parley_client_release(&cl);
	parley_hex(kh, kb->pub.keyid, 4);
	snprintf(q, sizeof(q), "%s&size=3", kh);
	assert_int_equal(get(ka, "/checkpoint?cosigned_by=", q, &resp), 400);
	assert_int_equal(get(ka, "/checkpoint?min_size=", "1", &resp), 400);
	assert_int_equal(get(kx, "/checkpoint?cosigned_by=", kh, &resp), 403);
	parley_buf_release(&note);
	parley_buf_release(&resp);
}

static void test_auditor_recipient(void **state)
{
	(void)state;
	assert_int_equal(post_a(kaud), 422);
	assert_int_equal(post_a(kb), 201); /* the refusal did not consume a sequence number */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_kept),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_target_parser),
		cmocka_unit_test(test_checkpoints),
		cmocka_unit_test(test_auditor_recipient),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
