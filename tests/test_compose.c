/* test_compose.c - the checks on a post before it is sent, on a synthetic replica. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "testutil.h"
#include "parley/compose.h"
#include "parley/entry.h"
#include "parley/payload.h"
#include "parley/store.h"

static parley_seckey *ka, *kb, *kx;
static parley_charter *ch;
static parley_store *st;
static char dir[64], path[128];
static uint64_t seq_a, seq_b;
static uint8_t prev_a[32], prev_b[32];

static int setup(void **state)
{
	parley_party parties[3];
	const char *cats[] = { "ip-theft" };
	const char *levels[] = { "technical", "political" };
	parley_charter_spec sp;
	parley_err err = { 0 };

	(void)state;
	ka = tu_key("cert-a", 1);
	kb = tu_key("cert-b", 2);
	kx = tu_key("auditor", 3);
	memset(&sp, 0, sizeof(sp));
	parties[0].key = ka->pub;
	parties[0].role = PARLEY_ROLE_PARTY;
	parties[1].key = kb->pub;
	parties[1].role = PARLEY_ROLE_PARTY;
	parties[2].key = kx->pub;
	parties[2].role = PARLEY_ROLE_AUDITOR;
	sp.title = "compose";
	sp.parties = parties;
	sp.nparties = 3;
	sp.categories = cats;
	sp.ncategories = 1;
	sp.levels = levels;
	sp.nlevels = 2;
	sp.tlp = -1;
	sp.valid_from = 1798761600;
	sp.valid_until = 1830297600;
	if (parley_charter_new(&sp, &ch, &err))
		fail_msg("charter: %s", err.msg);
	snprintf(dir, sizeof(dir), "/tmp/parley-compose-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/replica.db", dir);
	assert_int_equal(parley_store_open(path, &st, &err), PARLEY_OK);
	assert_int_equal(parley_store_channel_add(st, parley_charter_id(ch), (const uint8_t *)"c", 1, &err), PARLEY_OK);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	parley_store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd)) {
	}
	parley_charter_free(ch);
	parley_seckey_free(ka);
	parley_seckey_free(kb);
	parley_seckey_free(kx);
	return 0;
}

static const uint8_t *id(void) { return parley_charter_id(ch); }

/* Append a post by `from` to the replica, as the relay would have integrated it. */
static void append(const parley_seckey *from, const parley_post *p)
{
	parley_entry_hdr h;
	uint8_t pks[PARLEY_ENTRY_MAX_RECIP][32];
	parley_buf e = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	bool a = from == ka;
	parley_store_item it;

	assert_int_equal(parley_compose_header(ch, &from->pub, id(), p, &h, pks, &err), PARLEY_OK);
	h.seq = (a ? seq_a : seq_b) + 1;
	if (h.seq > 1)
		memcpy(h.prev, a ? prev_a : prev_b, 32);
	h.created_ms = parley_now_ms();
	assert_int_equal(parley_entry_build(&h, (const uint8_t(*)[32])pks, p->payload, p->payload_len, from, &e, NULL, &err),
		PARLEY_OK);
	parley_entry_hash(e.data, e.len, a ? prev_a : prev_b);
	*(a ? &seq_a : &seq_b) = h.seq;
	it.data = e.data;
	it.len = e.len;
	it.integrated_ms = parley_now_ms();
	assert_int_equal(parley_store_append(st, id(), &it, 1, NULL, NULL, &err), PARLEY_OK);
	parley_buf_release(&e);
}

static parley_code check(const parley_seckey *from, const parley_post *p, const char *want)
{
	parley_err err = { 0 };
	parley_code rc = parley_compose_check(ch, st, id(), &from->pub, p, &err);
	if (want && !strstr(err.msg, want))
		fail_msg("expected '%s', got '%s'", want, err.msg);
	return rc;
}

static void test_text(void **state)
{
	(void)state;
	assert_int_equal(parley_compose_text_check("t", "hello", 5, NULL), PARLEY_OK);
	assert_int_equal(parley_compose_text_check("t", "", 0, NULL), PARLEY_E_USAGE);
	assert_int_equal(parley_compose_text_check("t", " \n\t", 3, NULL), PARLEY_E_USAGE);
	assert_int_equal(parley_compose_text_check("t", "a\0b", 3, NULL), PARLEY_E_FORMAT);
	assert_int_equal(parley_compose_text_check("t", "caf\xe9", 4, NULL), PARLEY_E_FORMAT);
	assert_int_equal(parley_compose_text_check("t", "\xed\xa0\x80", 3, NULL), PARLEY_E_FORMAT); /* a surrogate */
	assert_int_equal(parley_compose_text_check("t", "\xc0\xaf", 2, NULL), PARLEY_E_FORMAT);     /* overlong */
	assert_int_equal(parley_compose_text_check("t", "caf\xc3\xa9", 5, NULL), PARLEY_OK);
	char *big = malloc(PARLEY_TEXT_MAX + 1);
	assert_non_null(big);
	memset(big, 'x', PARLEY_TEXT_MAX + 1);
	assert_int_equal(parley_compose_text_check("t", big, PARLEY_TEXT_MAX, NULL), PARLEY_OK);
	assert_int_equal(parley_compose_text_check("t", big, PARLEY_TEXT_MAX + 1, NULL), PARLEY_E_LIMIT);
	free(big);
}

static void test_recipients(void **state)
{
	const char *self[] = { "cert-a" }, *both[] = { "cert-a", "cert-b" }, *aud[] = { "cert-b", "auditor" },
		   *who[] = { "nobody" };
	parley_buf pl = PARLEY_BUF_INIT;
	(void)state;
	assert_int_equal(parley_payload_encode("hi", NULL, &pl, NULL), PARLEY_OK);
	parley_post p = { PARLEY_T_NOTIFICATION, 0, NULL, 0, NULL, -1, self, 1, pl.data, pl.len };
	assert_int_equal(check(ka, &p, "addressed to nobody but cert-a itself"), PARLEY_E_USAGE);
	p.nto = 0;
	assert_int_equal(check(ka, &p, "nobody but cert-a"), PARLEY_E_USAGE);
	p.to = both;
	p.nto = 2;
	assert_int_equal(check(ka, &p, NULL), PARLEY_OK); /* oneself among others: the sender is a recipient anyway */
	p.to = aud;
	assert_int_equal(check(ka, &p, "'auditor' is an auditor"), PARLEY_E_USAGE);
	p.to = who;
	p.nto = 1;
	assert_int_equal(check(ka, &p, "'nobody' is not a party"), PARLEY_E_USAGE);
	p.to = self;
	p.type = PARLEY_T_PING;
	p.payload = NULL;
	p.payload_len = 0;
	assert_int_equal(check(ka, &p, "a ping addressed to nobody but cert-a"), PARLEY_E_USAGE);
	/* an auditor posts nothing */
	p.to = both;
	p.nto = 2;
	assert_int_equal(check(kx, &p, "auditors read the log, they do not post"), PARLEY_E_USAGE);
	/* an empty text inside an encoded payload */
	parley_buf_reset(&pl);
	assert_int_equal(parley_payload_encode("", NULL, &pl, NULL), PARLEY_OK);
	parley_post e = { PARLEY_T_NOTIFICATION, 0, NULL, 0, NULL, -1, both, 2, pl.data, pl.len };
	assert_int_equal(check(ka, &e, "the text is empty"), PARLEY_E_USAGE);
	parley_buf_release(&pl);
}

static void test_thread(void **state)
{
	const char *to_b[] = { "cert-b" }, *to_a[] = { "cert-a" };
	parley_buf pl = PARLEY_BUF_INIT, esc = PARLEY_BUF_INIT;
	uint64_t size, n, ref;
	(void)state;
	assert_int_equal(parley_store_size(st, id(), &size, NULL), PARLEY_OK);
	n = size;
	ref = n;
	assert_int_equal(parley_payload_encode("incident", NULL, &pl, NULL), PARLEY_OK);
	parley_post open = { PARLEY_T_NOTIFICATION, 0, NULL, 0, NULL, -1, to_b, 1, pl.data, pl.len };
	assert_int_equal(check(ka, &open, NULL), PARLEY_OK);
	append(ka, &open);

	parley_post ack = { PARLEY_T_ACK, n, &ref, 1, NULL, -1, to_a, 1, NULL, 0 };
	assert_int_equal(check(ka, &ack, "only its recipients acknowledge it"), PARLEY_E_USAGE);
	assert_int_equal(check(kb, &ack, NULL), PARLEY_OK);
	append(kb, &ack);
	assert_int_equal(check(kb, &ack, "cert-b acknowledged thread"), PARLEY_E_USAGE);
	parley_post other = ack;
	other.thread = ref = n + 1; /* the acknowledgement itself opens no thread */
	assert_int_equal(check(kb, &other, "does not open a thread"), PARLEY_E_NOTFOUND);
	ref = n;

	/* the ladder: technical, political; one escalation reaches the top */
	parley_post up = { PARLEY_T_ESCALATION, n, &ref, 1, NULL, -1, to_b, 1, NULL, 0 };
	assert_int_equal(check(ka, &up, NULL), PARLEY_OK);
	append(ka, &up);
	assert_int_equal(check(ka, &up, "at the top of the escalation ladder (political)"), PARLEY_E_USAGE);
	assert_int_equal(check(kb, &up, "at the top"), PARLEY_E_USAGE);

	/* the escalation text names the next rung, and there is none after the top */
	parley_thread t;
	memset(&t, 0, sizeof(t));
	t.opener = n;
	assert_int_equal(parley_compose_escalation(ch, &t, "why", &esc, NULL), PARLEY_OK);
	assert_string_equal((const char *)esc.data, "escalated to the political level: why");
	t.escalations = 1;
	assert_int_equal(parley_compose_escalation(ch, &t, NULL, &esc, NULL), PARLEY_E_USAGE);

	parley_post close = { PARLEY_T_CLOSE, n, &ref, 1, NULL, -1, to_b, 1, NULL, 0 };
	assert_int_equal(check(ka, &close, NULL), PARLEY_OK);
	append(ka, &close);
	assert_int_equal(check(ka, &close, "closed already: it cannot be closed twice"), PARLEY_E_USAGE);
	assert_int_equal(check(kb, &close, "closed already"), PARLEY_E_USAGE);
	parley_post reply = { PARLEY_T_RESPONSE, n, &ref, 1, NULL, -1, to_a, 1, pl.data, pl.len };
	assert_int_equal(check(kb, &reply, "closed already"), PARLEY_E_USAGE);
	parley_buf_release(&pl);
	parley_buf_release(&esc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_recipients),
		cmocka_unit_test(test_thread),
	};
	if (parley_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
