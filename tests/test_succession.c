/* test_succession.c - successor charters and the handover rule (parley_admit_entry) on synthetic logs. */
#include <stdio.h>
#include <stdlib.h>
#include "testutil.h"
#include "parley/entry.h"
#include "parley/succession.h"

#define FROM_MS (1798761600ULL * 1000) /* tu_charter: 2027-01-01 */
#define HOUR (3600ULL * 1000)

static parley_seckey *ka, *kb, *kb2, *kc;
static parley_charter *old, *succ, *other, *wrong, *half;

/* the charters a lookup finds (by id) */
static parley_charter *held[8];
static size_t nheld;

static parley_code clook(void *ctx, const uint8_t id[32], parley_charter **out, parley_err *err)
{
	parley_buf b = PARLEY_BUF_INIT;
	(void)ctx;
	for (size_t i = 0; i < nheld; i++)
		if (memcmp(parley_charter_id(held[i]), id, 32) == 0) {
			parley_code rc = parley_charter_write(held[i], &b, err);
			if (!rc)
				rc = parley_charter_parse((const char *)b.data, b.len, out, err);
			parley_buf_release(&b);
			return rc;
		}
	return parley_fail(err, PARLEY_E_NOTFOUND, "no such charter");
}

/* the log the wind-down's lookups see */
static parley_entry_hdr log_h[16];
static uint64_t log_ms[16];
static size_t log_n;

static parley_code lookup(void *ctx, uint64_t index, parley_entry_hdr *h, uint64_t *ms, parley_err *err)
{
	(void)ctx;
	if (index >= log_n)
		return parley_fail(err, PARLEY_E_NOTFOUND, "no entry");
	*h = log_h[index];
	*ms = log_ms[index];
	return PARLEY_OK;
}

static parley_charter *make(const char *title, parley_seckey **keys, size_t n, const uint8_t *pred, size_t nsign)
{
	parley_party parties[4];
	const char *cats[] = { "ip-theft" };
	parley_charter_spec sp;
	parley_charter *c = NULL;
	parley_err err = { 0 };

	memset(&sp, 0, sizeof(sp));
	for (size_t i = 0; i < n; i++) {
		parties[i].key = keys[i]->pub;
		parties[i].role = PARLEY_ROLE_PARTY;
	}
	sp.title = title;
	sp.parties = parties;
	sp.nparties = n;
	sp.categories = cats;
	sp.ncategories = 1;
	sp.tlp = -1;
	sp.valid_from = 1798761600;
	sp.valid_until = 1830297600;
	sp.predecessor = pred;
	if (parley_charter_new(&sp, &c, &err))
		fail_msg("charter: %s", err.msg);
	for (size_t i = 0; i < nsign; i++)
		assert_int_equal(parley_charter_sign(c, keys[i], &err), PARLEY_OK);
	return c;
}

static int setup(void **state)
{
	(void)state;
	ka = tu_key("cert-a", 1);
	kb = tu_key("cert-b", 2);
	kb2 = tu_key("cert-b", 12); /* cert-b's rotated key */
	kc = tu_key("cert-c", 3);
	parley_seckey *o[] = { ka, kb, kc };
	old = make("old", o, 3, NULL, 3);
	/* the successor: cert-c removed, cert-b's key rotated */
	parley_seckey *s[] = { ka, kb2 };
	succ = make("new", s, 2, parley_charter_id(old), 2);
	half = make("half-signed", s, 2, parley_charter_id(old), 1);
	other = make("another channel", o, 3, NULL, 3);
	wrong = make("succeeds another", s, 2, parley_charter_id(other), 2);
	held[0] = succ;
	held[1] = half;
	held[2] = wrong;
	nheld = 3;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	parley_charter_free(old);
	parley_charter_free(succ);
	parley_charter_free(half);
	parley_charter_free(other);
	parley_charter_free(wrong);
	parley_seckey_free(ka);
	parley_seckey_free(kb);
	parley_seckey_free(kb2);
	parley_seckey_free(kc);
	return 0;
}

static parley_entry_hdr handover_to(const parley_seckey *from, const parley_charter *to)
{
	parley_entry_hdr h;
	memset(&h, 0, sizeof(h));
	h.type = PARLEY_T_HANDOVER;
	memcpy(h.sender, from->pub.keyid, PARLEY_KEYID_LEN);
	parley_hex(h.category, parley_charter_id(to), 32);
	return h;
}

static parley_code admit(parley_succession *st, const parley_entry_hdr *h, uint64_t ms, parley_err *err)
{
	parley_code rc = parley_admit_entry(old, st, h, log_n, ms, lookup, NULL, clook, NULL, err);
	if (!rc) {
		log_h[log_n] = *h;
		log_ms[log_n++] = ms;
	}
	return rc;
}

static void predecessor_field(void **state)
{
	parley_buf b = PARLEY_BUF_INIT;
	parley_charter *c = NULL;
	parley_err err = { 0 };
	char hex[65];
	(void)state;
	assert_null(parley_charter_predecessor(old));
	assert_memory_equal(parley_charter_predecessor(succ), parley_charter_id(old), 32);
	/* in the canonical body, so in the id and under every signature */
	parley_hex(hex, parley_charter_id(old), 32);
	assert_non_null(strstr((const char *)parley_charter_canonical(succ)->data, hex));
	assert_int_equal(parley_charter_verify(succ, &err), PARLEY_OK);
	/* a round trip keeps it; upper case or a short id is refused */
	assert_int_equal(parley_charter_write(succ, &b, &err), PARLEY_OK);
	assert_int_equal(parley_charter_parse((const char *)b.data, b.len, &c, &err), PARLEY_OK);
	assert_memory_equal(parley_charter_id(c), parley_charter_id(succ), 32);
	parley_charter_free(c);
	char *p = strstr((char *)b.data, hex);
	assert_non_null(p);
	p[0] = 'A';
	assert_int_equal(parley_charter_parse((const char *)b.data, b.len, &c, &err), PARLEY_E_FORMAT);
	assert_non_null(strstr(err.msg, "charter.predecessor"));
	parley_buf_release(&b);
}

static void the_handover_rule(void **state)
{
	parley_succession st;
	parley_entry_hdr h;
	parley_err err = { 0 };
	(void)state;

	log_n = 0;
	parley_succession_init(&st);
	/* thread 0, opened before the handover */
	memset(&h, 0, sizeof(h));
	h.type = PARLEY_T_NOTIFICATION;
	memcpy(h.sender, kc->pub.keyid, 4);
	assert_int_equal(admit(&st, &h, FROM_MS + HOUR, &err), PARLEY_OK);

	/* a successor that succeeds another channel; one not signed by all; one nobody holds */
	h = handover_to(ka, wrong);
	assert_int_equal(admit(&st, &h, FROM_MS + 2 * HOUR, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "another channel"));
	h = handover_to(ka, half);
	assert_int_equal(admit(&st, &h, FROM_MS + 2 * HOUR, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "not signed by all its parties"));
	h = handover_to(ka, other);
	assert_int_equal(admit(&st, &h, FROM_MS + 2 * HOUR, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "not held here"));
	assert_false(st.named);
	/* not a successor's id; a handover in a thread */
	h = handover_to(ka, succ);
	h.category[3] = 'X';
	assert_int_equal(admit(&st, &h, FROM_MS + 2 * HOUR, &err), PARLEY_E_VERIFY);
	h = handover_to(ka, succ);
	h.thread = 0;
	h.nrefs = 1;
	assert_int_equal(admit(&st, &h, FROM_MS + 2 * HOUR, &err), PARLEY_E_VERIFY);
	/* cert-c is dropped by the successor: it does not hand over */
	h = handover_to(kc, succ);
	assert_int_equal(admit(&st, &h, FROM_MS + 2 * HOUR, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "not a party of successor"));

	/* cert-a hands over; twice is refused; the channel is still open */
	h = handover_to(ka, succ);
	assert_int_equal(admit(&st, &h, FROM_MS + 2 * HOUR, &err), PARLEY_OK);
	assert_true(st.named);
	assert_int_equal(st.ncont, 2);
	assert_false(parley_succession_ended(&st));
	assert_int_equal(admit(&st, &h, FROM_MS + 2 * HOUR, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "already handed"));
	memset(&h, 0, sizeof(h));
	h.type = PARLEY_T_NOTIFICATION;
	memcpy(h.sender, kc->pub.keyid, 4);
	assert_int_equal(admit(&st, &h, FROM_MS + 3 * HOUR, &err), PARLEY_OK); /* thread 2 */

	/* cert-b (old key) names another successor: refused; then the right one ends the channel */
	h = handover_to(kb, wrong);
	assert_int_equal(admit(&st, &h, FROM_MS + 4 * HOUR, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "an earlier handover names"));
	h = handover_to(kb, succ);
	assert_int_equal(admit(&st, &h, FROM_MS + 4 * HOUR, &err), PARLEY_OK);
	assert_true(parley_succession_ended(&st));
	assert_int_equal(st.end_ms, FROM_MS + 4 * HOUR);
	assert_int_equal(st.end_size, log_n);

	/* after: no new thread, no more handovers; thread 2 is answered until its last deadline (48 h) */
	memset(&h, 0, sizeof(h));
	h.type = PARLEY_T_NOTIFICATION;
	memcpy(h.sender, ka->pub.keyid, 4);
	assert_int_equal(admit(&st, &h, FROM_MS + 5 * HOUR, &err), PARLEY_E_VERIFY);
	assert_non_null(strstr(err.msg, "handed over to its successor"));
	h = handover_to(kc, succ);
	assert_int_equal(admit(&st, &h, FROM_MS + 5 * HOUR, &err), PARLEY_E_VERIFY);
	memset(&h, 0, sizeof(h));
	h.type = PARLEY_T_RESPONSE;
	h.thread = 2;
	h.nrefs = 1;
	h.refs[0] = 2;
	memcpy(h.sender, ka->pub.keyid, 4);
	assert_int_equal(admit(&st, &h, FROM_MS + 5 * HOUR, &err), PARLEY_OK);
	assert_int_equal(admit(&st, &h, FROM_MS + 3 * HOUR + 49 * HOUR, &err), PARLEY_E_VERIFY);

	/* following the log again gives the same state */
	parley_succession again;
	parley_succession_init(&again);
	for (size_t i = 0; i < log_n; i++)
		assert_int_equal(parley_succession_follow(old, &again, &log_h[i], i, log_ms[i], clook, NULL, &err), PARLEY_OK);
	assert_memory_equal(&again, &st, sizeof(st));
}

/* docs/protocol.md §4.1.4: the header of a handover (deterministic up to the content-key commitment) */
static void handover_vector(void **state)
{
	static const char want[] =
		"50524c5901"
		"a61ca9f25e972bb7e65ed053d3c1cf8c813a9df56cd4d4b0229a6723867b3c5c"
		"0877cb86"
		"0000000000000001"
		"0000000000000000000000000000000000000000000000000000000000000000"
		"000001a2ce8bd400"
		"11"
		"0000000000000000"
		"00"
		"40" /* the category: 64 bytes, the successor's id in lower-case hex */
		"33626464316461346330626430656238646261653465626239633861306334"
		"633963323335376537643063326237613064346634616430653964303766386131"
		"02"
		"01849b579e";
	uint8_t seed[32], cb[32];
	parley_seckey *a = NULL, *b = NULL;
	parley_entry_hdr h;
	parley_entry e;
	parley_buf out = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	char hex[sizeof(want)];
	(void)state;

	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(0x10 + i);
	assert_int_equal(parley_seckey_from_seed("cert-a", seed, &a, NULL), PARLEY_OK);
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(0x20 + i);
	assert_int_equal(parley_seckey_from_seed("cert-b", seed, &b, NULL), PARLEY_OK);
	memset(&h, 0, sizeof(h));
	assert_int_equal(parley_unhex(h.channel, 32, "a61ca9f25e972bb7e65ed053d3c1cf8c813a9df56cd4d4b0229a6723867b3c5c", 64),
		PARLEY_OK);
	memcpy(h.sender, a->pub.keyid, 4);
	h.seq = 1;
	h.created_ms = 1798761600000ULL;
	h.type = PARLEY_T_HANDOVER;
	snprintf(h.category, sizeof(h.category), "%s", "3bdd1da4c0bd0eb8dbae4ebb9c8a0c4c9c2357e7d0c2b7a0d4f4ad0e9d07f8a1");
	h.tlp = PARLEY_TLP_AMBER;
	h.nrecip = 1;
	memcpy(h.recip[0], b->pub.keyid, 4);
	assert_int_equal(parley_entry_build(&h, (const uint8_t(*)[32]) & b->pub.seal_pk, (const uint8_t *)"{}", 2, a, &out,
				 NULL, &err),
		PARLEY_OK);
	assert_int_equal(parley_entry_parse(out.data, out.len, &e, &err), PARLEY_OK);
	assert_int_equal(e.h.type, PARLEY_T_HANDOVER);
	assert_int_equal(parley_handover_successor(&e.h, cb, &err), PARLEY_OK);
	parley_hex(hex, out.data, (sizeof(want) - 1) / 2);
	hex[sizeof(want) - 1] = 0;
	assert_string_equal(hex, want);
	parley_buf_release(&out);
	parley_seckey_free(a);
	parley_seckey_free(b);
}

int main(void)
{
	if (parley_init(NULL))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(predecessor_field),
		cmocka_unit_test(the_handover_rule),
		cmocka_unit_test(handover_vector),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
