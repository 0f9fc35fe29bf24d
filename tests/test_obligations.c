/*
 * test_obligations.c - obligations, outcomes and verdicts against docs/protocol.md §7.0.
 *
 * The expectations here are written from the normative table, not from
 * lib/workflow.c: a cross product of scenarios with expectations derived
 * from each scenario, a randomized comparison with a naive model of the
 * table (linear scans, chains walked back by hash), and named regressions
 * for the cases of issue 10.
 *
 * Cast: cert-a opens threads; cert-b and cert-c are parties that owe
 * answers; aud is the charter's auditor (owes nothing). Entries carry proper
 * per-sender seq/prev chains; an entry's hash is SHA-256 of bytes chosen
 * here (its sender, seq, prev, type, thread, reference and a counter),
 * never of its log index, so a rebuilt tree keeps the chains.
 */
#include <stdio.h>
#include <stdlib.h>
#include "testutil.h"
#include "parley/crypto.h"
#include "parley/workflow.h"

enum { PA, PB, PC, PD, NP };     /* cert-a, cert-b, cert-c (parties), aud (auditor) */
enum { T_UNREADABLE = 16 };      /* the unreadable report (docs/protocol.md §7.0.2) */
#define SEC 1000ull
#define H 3600000ull
#define T0 1800000000000ull      /* 2027-01-15, inside the test charters' validity */
#define VALID_FROM 1798761600    /* 2027-01-01 */
#define VALID_UNTIL 1830297600   /* 2028-01-01 */
#define ACK_DL (2 * H)           /* charter defaults */
#define RESP_DL (48 * H)

static parley_seckey *key[NP];
static const char *const names[NP] = { "cert-a", "cert-b", "cert-c", "aud" };
static parley_charter *ch;       /* default deadlines, valid through 2027 */
static parley_charter *ch_rand;  /* shorter deadlines for the requests; ends T0 + 100 h */
static parley_charter *ch_ended; /* ended before T0 */

/* ---- fixtures ---- */

static parley_charter *charter4(int64_t valid_until, bool short_deadlines)
{
	parley_party parties[NP];
	const char *cats[] = { "ip-theft" };
	parley_charter_spec sp;
	parley_charter *c = NULL;
	parley_err err = { 0 };

	memset(&sp, 0, sizeof(sp));
	for (int i = 0; i < NP; i++) {
		parties[i].key = key[i]->pub;
		parties[i].role = i == PD ? PARLEY_ROLE_AUDITOR : PARLEY_ROLE_PARTY;
	}
	sp.title = "obligations";
	sp.parties = parties;
	sp.nparties = NP;
	sp.categories = cats;
	sp.ncategories = 1;
	sp.tlp = -1;
	sp.valid_from = VALID_FROM;
	sp.valid_until = valid_until;
	if (short_deadlines) {
		sp.deadlines[PARLEY_T_REQUEST_INFO].acknowledge = 600;
		sp.deadlines[PARLEY_T_REQUEST_INFO].respond = 3600;
		sp.deadlines[PARLEY_T_REQUEST_ASSIST].acknowledge = 60;
		sp.deadlines[PARLEY_T_REQUEST_ASSIST].respond = 120;
		sp.deadlines[PARLEY_T_CONSULTATION].acknowledge = 1;
		sp.deadlines[PARLEY_T_CONSULTATION].respond = 2;
		sp.deadlines[PARLEY_T_PING].respond = 300; /* a ping then owes a respond deadline */
	}
	if (parley_charter_new(&sp, &c, &err))
		fail_msg("charter: %s", err.msg);
	return c;
}

static int setup(void **state)
{
	(void)state;
	if (parley_init(NULL))
		return -1;
	for (int i = 0; i < NP; i++)
		key[i] = tu_key(names[i], (uint8_t)(0x41 + i));
	ch = charter4(VALID_UNTIL, false);
	ch_rand = charter4((int64_t)(T0 / 1000 + 100 * 3600), true);
	ch_ended = charter4((int64_t)(T0 / 1000 - 3600), false);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	parley_charter_free(ch);
	parley_charter_free(ch_rand);
	parley_charter_free(ch_ended);
	for (int i = 0; i < NP; i++)
		parley_seckey_free(key[i]);
	return 0;
}

/* The charter's index of a member (what cosigned_size, seal and read are indexed by). */
static int cidx(const parley_charter *c, int who)
{
	const parley_party *p = parley_charter_party_by_keyid(c, key[who]->pub.keyid);
	assert_non_null(p);
	return (int)(p - parley_charter_party_at(c, 0));
}

static int who_of(const uint8_t keyid[4])
{
	for (int i = 0; i < NP; i++)
		if (memcmp(key[i]->pub.keyid, keyid, 4) == 0)
			return i;
	return -1;
}

/* ---- a log with real per-sender chains ---- */

#define MAXLOG 160
typedef struct lg {
	parley_wf_entry e[MAXLOG];
	size_t n;
	uint64_t seq[NP];
	uint8_t last[NP][32];
	uint64_t ctr;
} lg;

static void lg_init(lg *L)
{
	memset(L, 0, sizeof(*L));
}

static void hash_of(lg *L, parley_wf_entry *e)
{
	uint8_t b[4 + 8 + 32 + 1 + 8 + 8 + 8];
	size_t o = 0;
	memcpy(b + o, e->h.sender, 4), o += 4;
	memcpy(b + o, &e->h.seq, 8), o += 8;
	memcpy(b + o, e->h.prev, 32), o += 32;
	b[o++] = e->h.type;
	memcpy(b + o, &e->h.thread, 8), o += 8;
	memcpy(b + o, &e->h.refs[0], 8), o += 8;
	L->ctr++;
	memcpy(b + o, &L->ctr, 8), o += 8;
	parley_sha256(e->hash, b, o);
	e->has_hash = true;
}

/* Fill e as `from`'s next entry: seq, prev, hash. to: recipients as letters "abcd". */
static void make(lg *L, parley_wf_entry *e, int from, uint64_t ms, uint8_t type, uint64_t thread, uint64_t ref,
	const char *to)
{
	memset(e, 0, sizeof(*e));
	e->ms = ms;
	memcpy(e->h.sender, key[from]->pub.keyid, 4);
	e->h.seq = ++L->seq[from];
	memcpy(e->h.prev, L->last[from], 32); /* zero for seq 1 */
	e->h.created_ms = ms;
	e->h.type = type;
	e->h.thread = thread;
	if (!parley_type_opens_thread(type) && type != PARLEY_T_PING && type != PARLEY_T_PSI_REQUEST) {
		e->h.nrefs = 1;
		e->h.refs[0] = ref;
	}
	strcpy(e->h.category, "ip-theft");
	e->h.tlp = PARLEY_TLP_AMBER;
	for (const char *p = to; *p; p++)
		memcpy(e->h.recip[e->h.nrecip++], key[*p - 'a']->pub.keyid, 4);
	hash_of(L, e);
	memcpy(L->last[from], e->hash, 32);
}

/* Append the next entry to the log; returns its index. */
static uint64_t put(lg *L, int from, uint64_t ms, uint8_t type, uint64_t thread, uint64_t ref, const char *to)
{
	assert_true(L->n < MAXLOG);
	parley_wf_entry *e = &L->e[L->n];
	make(L, e, from, ms, type, thread, ref, to);
	e->index = L->n++;
	return e->index;
}

/* A follow-up in thread o referencing o. */
static uint64_t say(lg *L, int from, uint64_t ms, uint8_t type, uint64_t o)
{
	return put(L, from, ms, type, o, o, "a");
}

/*
 * Make the receipt e a batched one (docs/protocol.md §4.1.5): verified tree of size `size`,
 * n (first, last) pairs from fl, written as given (the caller may break the rules).
 */
#define BATCH_TAG UINT64_MAX
static void batch(parley_wf_entry *e, uint64_t size, const uint64_t *fl, unsigned n)
{
	e->h.thread = 0;
	e->h.nrefs = (uint8_t)(6 + 2 * n);
	e->h.refs[0] = BATCH_TAG;
	e->h.refs[1] = size;
	for (unsigned k = 2; k < 6; k++)
		e->h.refs[k] = 0x0123456789abcdefull * k; /* the root: the workflow does not read it */
	for (unsigned k = 0; k < 2 * n; k++)
		e->h.refs[6 + k] = fl[k];
}

/* The model's own reading of a batched receipt: does it (well formed) cover index o? */
static bool m_batch_covers(const parley_wf_entry *e, uint64_t o)
{
	const parley_entry_hdr *h = &e->h;
	if (h->type != PARLEY_T_RECEIPT || h->nrefs < 8 || h->refs[0] != BATCH_TAG || h->nrefs % 2 || h->thread)
		return false;
	uint64_t size = h->refs[1];
	if (size == 0 || size > e->index)
		return false;
	bool hit = false;
	for (unsigned k = 6; k < h->nrefs; k += 2) {
		uint64_t f = h->refs[k], l = h->refs[k + 1];
		if (f > l || l >= size || (k > 6 && f <= h->refs[k - 1] + 1))
			return false; /* backwards, beyond its tree, overlapping, adjacent or unsorted: refused */
		if (f <= o && o <= l)
			hit = true;
	}
	return hit;
}

/* `from` signs an entry the relay never integrates: its chain moves on, the log does not. */
static void ghost(lg *L, int from, uint8_t type, uint64_t thread)
{
	parley_wf_entry e;
	make(L, &e, from, 0, type, thread, thread, "a");
}

/* ---- running the engine ---- */

typedef struct run {
	parley_workflow wf;
	const parley_thread *t;
	parley_verdict v;
} run;

static void eval(const parley_wf_input *in, uint64_t opener, run *r)
{
	parley_err err = { 0 };
	memset(r, 0, sizeof(*r));
	if (parley_workflow_eval(in, &r->wf, &err))
		fail_msg("eval: %s", err.msg);
	r->t = parley_workflow_thread(&r->wf, opener);
	if (r->t)
		r->v = parley_workflow_verdict(&r->wf, r->t);
}

static const parley_obligation *obl(const run *r, int who, int kind)
{
	for (size_t i = r->t->obl_first; i < r->t->obl_first + r->t->nobl; i++)
		if (memcmp(r->wf.obl[i].party, key[who]->pub.keyid, 4) == 0 && r->wf.obl[i].kind == kind)
			return &r->wf.obl[i];
	return NULL;
}

static const parley_delivery *dlv(const run *r, int who)
{
	for (size_t i = r->t->dlv_first; i < r->t->dlv_first + r->t->ndlv; i++)
		if (memcmp(r->wf.dlv[i].party, key[who]->pub.keyid, 4) == 0)
			return &r->wf.dlv[i];
	return NULL;
}

/* The verdict's parties as a bit set of members. */
static unsigned vparties(const parley_verdict *v)
{
	unsigned s = 0;
	for (unsigned i = 0; i < v->nparties; i++) {
		int w = who_of(v->parties[i]);
		s |= w >= 0 ? 1u << w : 0x100u;
	}
	return s;
}

/*
 * The verdict text: one sentence (no line break, no sentence break inside),
 * that starts with the code's name and names every party it concerns.
 */
static void check_text(const parley_charter *c, const run *r, char *out, size_t outn)
{
	parley_buf b = PARLEY_BUF_INIT;
	assert_int_equal(parley_verdict_text(c, &r->wf, r->t, &r->v, &b), PARLEY_OK);
	const char *s = (const char *)b.data;
	const char *code = parley_verdict_code_name(r->v.code);
	assert_non_null(s);
	if (strncmp(s, code, strlen(code)) != 0 || !strstr(s, code))
		fail_msg("verdict text does not carry its code %s: %s", code, s);
	if (strchr(s, '\n') || strstr(s, ". ") || strstr(s, "? "))
		fail_msg("verdict text is not one sentence: %s", s);
	for (unsigned i = 0; i < r->v.nparties; i++) {
		int w = who_of(r->v.parties[i]);
		if (w < 0 || !strstr(s, names[w]))
			fail_msg("verdict text does not name %s: %s", w >= 0 ? names[w] : "?", s);
	}
	if (out)
		snprintf(out, outn, "%s", s);
	parley_buf_release(&b);
}

/* ---- the verdict from outcomes (docs/protocol.md §7.0.3), shared by parts 1 and 2 of this file ---- */

typedef struct exp_obl {
	bool present;
	int outcome, why;
	bool has_entry;
	uint64_t entry, at_ms, late_by, witness;
	bool has_witness, attested, overdue, recorded;
} exp_obl;

/* One recipient's code: the first row of the §7.0.3 table that applies. */
static int spec_party_code(const exp_obl *o, size_t n, bool delivered)
{
	bool any = false, unread = false, missed = false, unconf = false, late = false, notest = false, withdrawn = false,
	     all_ended = true, all_met_or_wd = true;
	for (size_t i = 0; i < n; i++) {
		if (!o[i].present)
			continue;
		any = true;
		unread |= o[i].outcome == PARLEY_OUT_NOT_APPLICABLE && o[i].why == PARLEY_WHY_UNREADABLE;
		missed |= o[i].outcome == PARLEY_OUT_MISSED;
		unconf |= o[i].outcome == PARLEY_OUT_MISSED_UNCONFIRMED;
		late |= o[i].outcome == PARLEY_OUT_LATE;
		notest |= o[i].outcome == PARLEY_OUT_NOT_ESTABLISHED;
		withdrawn |= o[i].outcome == PARLEY_OUT_NOT_APPLICABLE && o[i].why == PARLEY_WHY_WITHDRAWN;
		all_ended &= o[i].outcome == PARLEY_OUT_NOT_APPLICABLE && o[i].why == PARLEY_WHY_CHARTER_ENDED;
		all_met_or_wd &= o[i].outcome == PARLEY_OUT_MET ||
			(o[i].outcome == PARLEY_OUT_NOT_APPLICABLE && o[i].why == PARLEY_WHY_WITHDRAWN);
	}
	if (!any)
		return 0;
	if (unread)
		return PARLEY_V_UNREADABLE_BY_SENDER_FAULT;
	if (missed && delivered)
		return PARLEY_V_MISSED;
	if ((missed || unconf) && !delivered)
		return PARLEY_V_NOT_SHOWN_DELIVERED;
	if (unconf)
		return PARLEY_V_MISSED_UNCONFIRMED;
	if (late)
		return PARLEY_V_LATE;
	if (notest || all_ended)
		return PARLEY_V_NOT_ESTABLISHED;
	if (withdrawn && all_met_or_wd)
		return PARLEY_V_WITHDRAWN;
	if (all_met_or_wd)
		return PARLEY_V_MET;
	return -1; /* no row applies: a hole in the table */
}

/* The thread's verdict: the worst code among recipients, and who has it. */
static int spec_thread_code(const int *codes, size_t n, unsigned *parties, const int *who)
{
	static const int order[] = { PARLEY_V_MISSED, PARLEY_V_NOT_SHOWN_DELIVERED, PARLEY_V_MISSED_UNCONFIRMED,
		PARLEY_V_UNREADABLE_BY_SENDER_FAULT, PARLEY_V_LATE, PARLEY_V_NOT_ESTABLISHED, PARLEY_V_WITHDRAWN,
		PARLEY_V_MET };
	*parties = 0;
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		for (size_t i = 0; i < n; i++)
			if (codes[i] == order[k])
				*parties |= 1u << who[i];
		if (*parties)
			return order[k];
	}
	return PARLEY_V_NOT_ESTABLISHED; /* creates no obligation */
}

/* ---- failure reporting ---- */

static int nfail;
static char ctx[512];

#define EXPECT_EQ(what, got, want)                                                                       \
	do {                                                                                                 \
		unsigned long long g_ = (unsigned long long)(got), w_ = (unsigned long long)(want);              \
		if (g_ != w_) {                                                                                  \
			if (nfail < 25)                                                                              \
				print_error("%s: %s = %llu, expected %llu\n", ctx, what, g_, w_);                        \
			nfail++;                                                                                     \
		}                                                                                                \
	} while (0)

/* Compare one obligation with its expectation. */
static void check_obl(const char *who, const char *kind, const parley_obligation *o, const exp_obl *x)
{
	char w[96];
	if (!x->present) {
		snprintf(w, sizeof(w), "%s %s: obligation present", who, kind);
		EXPECT_EQ(w, o != NULL, 0);
		return;
	}
	snprintf(w, sizeof(w), "%s %s: obligation present", who, kind);
	EXPECT_EQ(w, o != NULL, 1);
	if (!o)
		return;
#define F(field, val)                                             \
	do {                                                          \
		snprintf(w, sizeof(w), "%s %s: %s", who, kind, field);    \
		EXPECT_EQ(w, o->val, x->val);                             \
	} while (0)
	snprintf(w, sizeof(w), "%s %s: outcome (%s, expected %s)", who, kind, parley_outcome_name(o->outcome),
		parley_outcome_name(x->outcome));
	EXPECT_EQ(w, o->outcome, x->outcome);
	if (x->outcome == PARLEY_OUT_NOT_APPLICABLE || x->why)
		F("why", why);
	snprintf(w, sizeof(w), "%s %s: has_entry", who, kind);
	EXPECT_EQ(w, o->has_entry, x->has_entry);
	if (x->has_entry && o->has_entry) {
		snprintf(w, sizeof(w), "%s %s: entry", who, kind);
		EXPECT_EQ(w, o->entry, x->entry);
		snprintf(w, sizeof(w), "%s %s: at_ms", who, kind);
		EXPECT_EQ(w, o->at_ms, x->at_ms);
	}
	if (x->outcome == PARLEY_OUT_LATE) {
		snprintf(w, sizeof(w), "%s %s: late_by_ms", who, kind);
		EXPECT_EQ(w, o->late_by_ms, x->late_by);
	}
	if (x->has_witness) {
		snprintf(w, sizeof(w), "%s %s: witness", who, kind);
		EXPECT_EQ(w, o->witness, x->witness);
		snprintf(w, sizeof(w), "%s %s: attested", who, kind);
		EXPECT_EQ(w, o->attested, x->attested);
	}
	snprintf(w, sizeof(w), "%s %s: overdue", who, kind);
	EXPECT_EQ(w, o->overdue, x->overdue);
	snprintf(w, sizeof(w), "%s %s: recorded", who, kind);
	EXPECT_EQ(w, o->recorded, x->recorded);
#undef F
}

/* ---- 1. the cross product ---- */

/* receipts written batched: each covers every entry before it (own entries and others' included) */
static bool xbatched;

enum { ON_TIME, LATE, NEVER };
enum { CL_BEFORE, CL_BETWEEN, CL_AFTER, CL_NEVER, NCL };          /* the opener's close vs. the deadlines */
enum { DV_RECEIPT, DV_READ, DV_NONE, DV_UNREADABLE, NDV };        /* how the recipient shows it held the entry */
enum { RE_NONE, RE_ACK, RE_BOTH, NRE };                           /* how far the evidence reaches */
enum { AT_COSIGN, AT_CHAIN, AT_NONE, NAT };                       /* how the recipient attests the log */
static const char *const s_ans[] = { "on time", "late", "never" };
static const char *const s_cl[] = { "before", "between", "after", "never" };
static const char *const s_dv[] = { "receipt", "read", "not shown", "unreadable" };
static const char *const s_seal[] = { "unknown", "ok", "bad" };
static const char *const s_re[] = { "none", "ack only", "both" };
static const char *const s_at[] = { "cosignature", "own chain", "none" };

typedef struct ev {
	uint64_t ms;
	int from;
	uint8_t type;
	int tag; /* what the scenario needs to find it again */
} ev;
enum { TAG_NONE, TAG_CLOSE, TAG_RECEIPT, TAG_UNREAD, TAG_ACK, TAG_RESP };

static lg L1;
static parley_wf_entry V1[MAXLOG];

static uint64_t first_after(const parley_wf_entry *v, size_t n, uint64_t from, uint64_t to, uint64_t o, uint64_t dl,
	bool *found)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].index >= from && v[i].index <= to && v[i].index > o && v[i].ms > dl) {
			*found = true;
			return v[i].index;
		}
	*found = false;
	return 0;
}

static void cross_one(int ack, int resp, int cl, int nrec, int dv, int seal, int reach, int att, bool bundle)
{
	lg *L = &L1;
	const int rec[2] = { PB, PC };
	int b_ack[NP] = { 0 }, b_resp[NP] = { 0 }, b_dv[NP] = { 0 };
	uint64_t idx[NP][TAG_RESP + 1], ms_of[NP][TAG_RESP + 1];
	bool has[NP][TAG_RESP + 1];
	ev evs[40];
	memset(idx, 0, sizeof(idx));
	memset(ms_of, 0, sizeof(ms_of));
	size_t ne = 0;

	snprintf(ctx, sizeof(ctx), "%s, ack %s, respond %s, close %s, %d recipient(s), delivery %s, seal %s, reach %s, attested by %s",
		bundle ? "bundle" : "whole log", s_ans[ack], s_ans[resp], s_cl[cl], nrec, s_dv[dv], s_seal[seal],
		s_re[reach], s_at[att]);
	memset(has, 0, sizeof(has));
	b_ack[PB] = ack, b_resp[PB] = resp, b_dv[PB] = dv;
	/* the second recipient behaves differently, so that one party's answer is never taken for another's */
	b_ack[PC] = (ack + 1) % 3, b_resp[PC] = (resp + 2) % 3, b_dv[PC] = (dv + 1) % NDV;

	lg_init(L);
	put(L, PA, T0 - 30 * SEC, PARLEY_T_PSI_REQUEST, 0, 0, "b");
	put(L, PB, T0 - 20 * SEC, PARLEY_T_PSI_REQUEST, 0, 0, "a");
	put(L, PC, T0 - 15 * SEC, PARLEY_T_PSI_REQUEST, 0, 0, "a");
	put(L, PB, T0 - 10 * SEC, PARLEY_T_PSI_REQUEST, 0, 0, "a"); /* cert-b's last entry before the opener */
	put(L, PC, T0 - 5 * SEC, PARLEY_T_PSI_REQUEST, 0, 0, "a");
	/* addressed to its sender and the auditor too: neither owes anything */
	uint64_t o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, nrec == 2 ? "bcad" : "bad");

#define EV(t, f, ty, tg) (evs[ne++] = (ev){ (t), (f), (ty), (tg) })
	if (cl != CL_NEVER)
		EV(T0 + (cl == CL_BEFORE ? 500 : cl == CL_BETWEEN ? 5 * H : 60 * H), PA, PARLEY_T_CLOSE, TAG_CLOSE);
	bool dm_ack = false, dm_resp = false;
	for (int r = 0; r < nrec; r++) {
		int p = rec[r];
		uint64_t off = (uint64_t)r * 60 * SEC;
		if (b_dv[p] == DV_RECEIPT)
			EV(T0 + SEC + off, p, PARLEY_T_RECEIPT, TAG_RECEIPT);
		if (b_dv[p] == DV_UNREADABLE)
			EV(T0 + SEC + off, p, T_UNREADABLE, TAG_UNREAD);
		if (b_ack[p] != NEVER)
			EV(T0 + (b_ack[p] == ON_TIME ? H : 3 * H) + off, p, PARLEY_T_ACK, TAG_ACK);
		if (b_resp[p] != NEVER)
			EV(T0 + (b_resp[p] == ON_TIME ? 24 * H : 50 * H) + off, p, PARLEY_T_RESPONSE, TAG_RESP);
		if (att == AT_CHAIN) {
			EV(T0 + 30 * H + off, p, PARLEY_T_PSI_REQUEST, TAG_NONE);
			EV(T0 + 52 * H + off, p, PARLEY_T_PSI_REQUEST, TAG_NONE);
		}
		dm_ack |= b_ack[p] != ON_TIME;
		dm_resp |= b_resp[p] != ON_TIME;
	}
	/* the opener's node records what it saw overdue */
	if (dm_ack && cl != CL_BEFORE)
		EV(T0 + ACK_DL + 120 * SEC, PA, PARLEY_T_DEADLINE_MISSED, TAG_NONE);
	if (dm_resp && cl != CL_BEFORE && cl != CL_BETWEEN)
		EV(T0 + RESP_DL + 120 * SEC, PA, PARLEY_T_DEADLINE_MISSED, TAG_NONE);
	/* unrelated traffic that carries the log past each deadline */
	EV(T0 + 10 * H, PA, PARLEY_T_PSI_REQUEST, TAG_NONE);
	EV(T0 + 55 * H, PA, PARLEY_T_PSI_REQUEST, TAG_NONE);
#undef EV
	for (size_t i = 1; i < ne; i++) /* by time, stably */
		for (size_t j = i; j > 0 && evs[j].ms < evs[j - 1].ms; j--) {
			ev t = evs[j];
			evs[j] = evs[j - 1];
			evs[j - 1] = t;
		}
	for (size_t i = 0; i < ne; i++) {
		uint64_t ix = evs[i].type == PARLEY_T_PSI_REQUEST ?
			put(L, evs[i].from, evs[i].ms, evs[i].type, 0, 0, evs[i].from == PA ? "b" : "a") :
			say(L, evs[i].from, evs[i].ms, evs[i].type, o);
		if (xbatched && evs[i].type == PARLEY_T_RECEIPT) {
			uint64_t fl[2] = { 0, ix - 1 };
			batch(&L->e[ix], ix, fl, 1);
		}
		if (evs[i].tag) {
			idx[evs[i].from][evs[i].tag] = ix;
			ms_of[evs[i].from][evs[i].tag] = evs[i].ms;
			has[evs[i].from][evs[i].tag] = true;
		}
	}

	/* what the engine is shown */
	uint64_t tend = reach == RE_NONE ? T0 + 90 * 60 * SEC : reach == RE_ACK ? T0 + 47 * H : UINT64_MAX;
	size_t k = 0, nv = 0;
	while (k < L->n && L->e[k].ms <= tend)
		k++;
	parley_wf_input in = PARLEY_WF_INPUT_INIT;
	uint64_t rfrom, rto;
	bool facts;
	in.ch = ch;
	if (!bundle) { /* a node's replica, synced up to tend */
		for (size_t i = 0; i < k; i++)
			V1[nv++] = L->e[i];
		in.whole_log = true;
		in.now_ms = V1[nv - 1].ms + SEC;
		rfrom = 0, rto = nv - 1;
		facts = seal != PARLEY_SEAL_UNKNOWN || dv == DV_READ || (nrec == 2 && b_dv[PC] == DV_READ);
	} else { /* a proof: the range, the thread, and the attesting chains when asked for */
		for (size_t i = 0; i < L->n; i++) {
			const parley_wf_entry *e = &L->e[i];
			int w = who_of(e->h.sender);
			bool chain = att == AT_CHAIN && (w == PB || (w == PC && nrec == 2));
			bool thread = (e->index > o && e->h.thread == o && e->h.type != PARLEY_T_PSI_REQUEST) ||
				m_batch_covers(e, o);
			if ((e->index >= o && e->index < k) || thread || chain)
				V1[nv++] = *e;
		}
		in.has_range = true;
		in.range_from = rfrom = o;
		in.range_to = rto = k - 1;
		facts = true;
	}
	in.v = V1;
	in.n = nv;
	if (facts) {
		in.has_facts = true;
		in.facts_opener = o;
	}
	for (int r = 0; r < nrec; r++) {
		int p = rec[r], pi = cidx(ch, p);
		if (facts) {
			in.seal[pi] = (uint8_t)(p == PB ? seal : seal == PARLEY_SEAL_UNKNOWN ? PARLEY_SEAL_UNKNOWN : PARLEY_SEAL_OK);
			if (b_dv[p] == DV_READ) {
				in.read[pi] = true;
				in.read_ms[pi] = T0 + 2 * SEC + (uint64_t)r * 60 * SEC;
				in.read_from[pi] = o + 1;
			}
		}
		if (att == AT_COSIGN)
			in.cosigned_size[pi] = bundle ? L->n : nv;
	}

	/* what §7.0 says */
	exp_obl x[2][3];
	int codes[2];
	memset(x, 0, sizeof(x));
	for (int r = 0; r < nrec; r++) {
		int p = rec[r];
		uint8_t pseal = facts ? in.seal[cidx(ch, p)] : PARLEY_SEAL_UNKNOWN;
		/* row 5 needs no answer at all: an acknowledgement says a person read it */
		bool any_ans = false;
		for (int tg = TAG_ACK; tg <= TAG_RESP; tg++)
			if (has[p][tg] && (bundle || ms_of[p][tg] <= tend))
				any_ans = true;
		/* its own receipt or answer says its node opened the entry: a failed seal check yields to it */
		if (pseal == PARLEY_SEAL_BAD && (b_dv[p] == DV_RECEIPT || any_ans))
			pseal = PARLEY_SEAL_UNKNOWN;
		for (int kind = PARLEY_OBL_ACKNOWLEDGE; kind <= PARLEY_OBL_RESPOND; kind++) {
			exp_obl *e = &x[r][kind];
			uint64_t dl = T0 + (kind == PARLEY_OBL_ACKNOWLEDGE ? ACK_DL : RESP_DL);
			e->present = true;
			/* the party's first answer of this kind the engine can see */
			for (int tg = TAG_ACK; tg <= TAG_RESP; tg++) {
				if (kind == PARLEY_OBL_RESPOND && tg == TAG_ACK)
					continue;
				if (!has[p][tg] || (!bundle && ms_of[p][tg] > tend))
					continue;
				if (!e->has_entry || idx[p][tg] < e->entry) {
					e->has_entry = true;
					e->entry = idx[p][tg];
					e->at_ms = ms_of[p][tg];
				}
			}
			bool closed = has[PA][TAG_CLOSE] && (bundle || ms_of[PA][TAG_CLOSE] <= tend) &&
				ms_of[PA][TAG_CLOSE] <= dl;
			bool unread = has[p][TAG_UNREAD]; /* at T0 + 1 s: always shown */
			bool wfound;
			uint64_t wit = first_after(V1, nv, rfrom, rto, o, dl, &wfound);
			if (pseal == PARLEY_SEAL_BAD)
				e->outcome = PARLEY_OUT_NOT_APPLICABLE, e->why = PARLEY_WHY_UNREADABLE;
			else if (e->has_entry && e->at_ms <= dl)
				e->outcome = PARLEY_OUT_MET;
			else if (closed)
				e->outcome = PARLEY_OUT_NOT_APPLICABLE, e->why = PARLEY_WHY_WITHDRAWN;
			else if (unread && pseal == PARLEY_SEAL_UNKNOWN && !any_ans)
				e->outcome = PARLEY_OUT_NOT_ESTABLISHED, e->why = PARLEY_WHY_UNREADABLE_UNCHECKED;
			else if (!wfound)
				e->outcome = PARLEY_OUT_NOT_ESTABLISHED,
				e->why = in.now_ms && in.now_ms <= dl ? PARLEY_WHY_PENDING : PARLEY_WHY_NOT_REACHED;
			else {
				bool own = false;
				for (size_t i = 0; i < nv; i++)
					if (who_of(V1[i].h.sender) == p && V1[i].index > o && V1[i].ms > dl)
						own = true;
				e->has_witness = true;
				e->witness = wit;
				(void)own; /* the party's own entries no longer attest (§7.0.1): only its cosignature */
				e->attested = att == AT_COSIGN;
				if (e->has_entry) {
					e->outcome = e->attested ? PARLEY_OUT_LATE : PARLEY_OUT_NOT_ESTABLISHED;
					e->late_by = e->at_ms - dl;
				} else {
					e->outcome = e->attested ? PARLEY_OUT_MISSED : PARLEY_OUT_MISSED_UNCONFIRMED;
				}
				if (!e->attested)
					e->why = PARLEY_WHY_NOT_ATTESTED;
			}
			e->overdue = e->outcome != PARLEY_OUT_NOT_APPLICABLE && !e->has_entry && in.now_ms > dl;
			for (size_t i = 0; i < nv; i++)
				if (V1[i].h.type == PARLEY_T_DEADLINE_MISSED && V1[i].h.thread == o && V1[i].ms > dl &&
					who_of(V1[i].h.sender) == PA)
					e->recorded = true;
		}
		/* §7.0.2: a receipt, a signed read, or its own unreadable report that the seal check refutes */
		bool delivered = (b_dv[p] == DV_RECEIPT) || (b_dv[p] == DV_READ && facts) ||
			(b_dv[p] == DV_UNREADABLE && pseal == PARLEY_SEAL_OK);
		codes[r] = spec_party_code(&x[r][0], 3, delivered);
	}
	unsigned want_parties;
	int want = spec_thread_code(codes, (size_t)nrec, &want_parties, rec);

	run R;
	eval(&in, o, &R);
	assert_non_null(R.t);
	EXPECT_EQ("recipients", R.t->nrecip, nrec);
	EXPECT_EQ("obligations", R.t->nobl, 2 * nrec);
	for (int r = 0; r < nrec; r++) {
		int p = rec[r];
		check_obl(names[p], "acknowledge", obl(&R, p, PARLEY_OBL_ACKNOWLEDGE), &x[r][PARLEY_OBL_ACKNOWLEDGE]);
		check_obl(names[p], "respond", obl(&R, p, PARLEY_OBL_RESPOND), &x[r][PARLEY_OBL_RESPOND]);
		const parley_delivery *d = dlv(&R, p);
		EXPECT_EQ("delivery present", d != NULL, 1);
		if (!d)
			continue;
		uint8_t pseal = facts ? in.seal[cidx(ch, p)] : PARLEY_SEAL_UNKNOWN;
		int how = b_dv[p] == DV_RECEIPT ? PARLEY_DLV_RECEIPT : b_dv[p] == DV_READ && facts ? PARLEY_DLV_READ :
			b_dv[p] == DV_UNREADABLE && pseal == PARLEY_SEAL_OK ? PARLEY_DLV_REPORT : PARLEY_DLV_NONE;
		EXPECT_EQ(p == PB ? "cert-b delivery" : "cert-c delivery", d->how, how);
		if (how == PARLEY_DLV_RECEIPT)
			EXPECT_EQ("receipt entry", d->entry, idx[p][TAG_RECEIPT]);
		if (how == PARLEY_DLV_READ)
			EXPECT_EQ("read from", d->entry, o + 1);
		if (how == PARLEY_DLV_REPORT)
			EXPECT_EQ("report entry", d->entry, idx[p][TAG_UNREAD]);
		EXPECT_EQ("unreadable reported", d->unreadable, b_dv[p] == DV_UNREADABLE);
	}
	EXPECT_EQ("no obligation for the opener or the auditor", obl(&R, PA, 1) || obl(&R, PD, 1) || obl(&R, PD, 2), 0);
	char vw[64];
	snprintf(vw, sizeof(vw), "verdict (%s, expected %s)", parley_verdict_code_name(R.v.code), parley_verdict_code_name(want));
	EXPECT_EQ(vw, R.v.code, want);
	EXPECT_EQ("verdict parties", vparties(&R.v), want_parties);
	check_text(ch, &R, NULL, 0);
	parley_workflow_release(&R.wf);
}

static void test_cross_product(void **state)
{
	(void)state;
	unsigned n = 0;
	nfail = 0;
	for (int bt = 0; bt < 4; bt++)
		for (int bundle = bt % 2, once = (xbatched = bt >= 2, 1); once; once = 0)
		for (int ack = 0; ack < 3; ack++)
			for (int resp = 0; resp < 3; resp++)
				for (int cl = 0; cl < NCL; cl++)
					for (int nrec = 1; nrec <= 2; nrec++)
						for (int dv = 0; dv < NDV; dv++)
							for (int seal = 0; seal < 3; seal++)
								for (int reach = 0; reach < NRE; reach++)
									for (int att = 0; att < NAT; att++, n++)
										cross_one(ack, resp, cl, nrec, dv, seal, reach, att, bundle);
	xbatched = false;
	print_message("cross product: %u combinations (receipts single and batched), %d mismatches\n", n, nfail);
	assert_int_equal(nfail, 0);
}

/* ---- 2. random logs against a naive model of the table ---- */

static uint64_t rs;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}
static unsigned rn(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static lg L2;
static parley_wf_entry V2[MAXLOG];

static const parley_wf_entry *m_at(const parley_wf_input *in, uint64_t index)
{
	for (size_t i = 0; i < in->n; i++)
		if (in->v[i].index == index)
			return &in->v[i];
	return NULL;
}

/* The complete range the evidence claims, if it is complete and its times never go back. */
static bool m_range(const parley_wf_input *in, uint64_t *from, uint64_t *to)
{
	if (in->n == 0)
		return false;
	if (in->whole_log)
		*from = 0, *to = in->n - 1;
	else if (in->has_range && in->range_from <= in->range_to)
		*from = in->range_from, *to = in->range_to;
	else
		return false;
	for (uint64_t i = *from; i <= *to; i++) {
		const parley_wf_entry *e = m_at(in, i);
		if (!e || (i > *from && e->ms < m_at(in, i - 1)->ms))
			return false;
	}
	return true;
}

static bool same(const uint8_t a[4], const uint8_t b[4])
{
	return memcmp(a, b, 4) == 0;
}

/*
 * Does e's sequence chain run without a gap back to before the opener o (or
 * to the party's first entry)? Walk back by hash: each step must find, in
 * the evidence, the party's entry with seq - 1 whose hash is e's prev.
 */
static __attribute__((unused)) bool m_chain(const parley_wf_input *in, const parley_wf_entry *e, uint64_t o)
{
	static const uint8_t zero[32];
	const parley_wf_entry *cur = e;
	while (cur->index > o) {
		if (cur->h.seq == 1)
			return memcmp(cur->h.prev, zero, 32) == 0;
		const parley_wf_entry *p = NULL;
		for (size_t i = 0; i < in->n; i++) {
			const parley_wf_entry *c = &in->v[i];
			if (c->index < cur->index && same(c->h.sender, cur->h.sender) && c->h.seq + 1 == cur->h.seq &&
				c->has_hash && memcmp(c->hash, cur->h.prev, 32) == 0)
				p = c;
		}
		if (!p)
			return false;
		cur = p;
	}
	return true;
}

typedef struct m_thread {
	uint64_t o;
	int nrec, rec[PARLEY_ENTRY_MAX_RECIP];
	bool judged, facts;
	exp_obl x[NP][3];
	int how[NP], seal[NP];
	bool unread[NP];
	uint64_t receipt[NP];
	int code;
	unsigned parties;
} m_thread;

static bool m_opens(uint8_t type)
{
	return (type >= PARLEY_T_NOTIFICATION && type <= PARLEY_T_CONSULTATION) || type == PARLEY_T_PING;
}

/* The model: every threads' obligations and verdict, from the table, by linear scans. */
static void model(const parley_wf_input *in, const parley_wf_entry *op, m_thread *m)
{
	const parley_charter *c = in->ch;
	uint64_t o = op->index, rfrom = 0, rto = 0;
	int req = who_of(op->h.sender);
	int64_t vfrom, vuntil;
	bool range = m_range(in, &rfrom, &rto);
	parley_deadline d = parley_charter_deadline(c, op->h.type);

	memset(m, 0, sizeof(*m));
	parley_charter_validity(c, &vfrom, &vuntil);
	m->o = o;
	m->judged = in->whole_log || !in->has_facts || in->facts_opener == o;
	m->facts = in->has_facts && in->facts_opener == o;
	for (unsigned k = 0; k < op->h.nrecip; k++) {
		int w = who_of(op->h.recip[k]);
		const parley_party *p = parley_charter_party_by_keyid(c, op->h.recip[k]);
		if (w != req && p && p->role == PARLEY_ROLE_PARTY)
			m->rec[m->nrec++] = w;
	}
	/* the opener's first close */
	const parley_wf_entry *close = NULL;
	for (size_t i = 0; i < in->n && !close; i++) {
		const parley_wf_entry *e = &in->v[i];
		if (e->index > o && e->h.type == PARLEY_T_CLOSE && e->h.thread == o && who_of(e->h.sender) == req)
			close = e;
	}
	int codes[PARLEY_ENTRY_MAX_RECIP];
	for (int r = 0; r < m->nrec; r++) {
		int p = m->rec[r], pi = cidx(c, p);
		int seal = !m->facts ? PARLEY_SEAL_UNKNOWN : in->content_bad ? PARLEY_SEAL_BAD : in->seal[pi];
		const parley_wf_entry *receipt = NULL, *report = NULL;
		bool unread = false;
		for (size_t i = 0; i < in->n; i++) {
			const parley_wf_entry *e = &in->v[i];
			if (e->index > o && who_of(e->h.sender) == p && m_batch_covers(e, o) && !receipt)
				receipt = e;
			if (e->index <= o || who_of(e->h.sender) != p || e->h.nrefs < 1 || e->h.refs[0] != o ||
				(e->h.thread != o && e->h.thread != 0))
				continue;
			if (e->h.type == PARLEY_T_RECEIPT && !receipt)
				receipt = e;
			if (e->h.type == T_UNREADABLE && !report)
				report = e;
		}
		bool read = m->facts && in->read[pi];
		unread = report != NULL;
		m->how[p] = receipt ? PARLEY_DLV_RECEIPT : read ? PARLEY_DLV_READ :
			report && seal == PARLEY_SEAL_OK ? PARLEY_DLV_REPORT : PARLEY_DLV_NONE;
		m->receipt[p] = receipt ? receipt->index : report ? report->index : 0;
		m->seal[p] = seal;
		m->unread[p] = unread;
		/* row 5 needs no answer at all to the thread (one that meets an obligation it has) */
		bool any_ans = false;
		for (size_t i = 0; i < in->n && m->judged; i++) {
			const parley_wf_entry *e = &in->v[i];
			bool counts = ((e->h.type == PARLEY_T_RESPONSE || e->h.type == PARLEY_T_PING_RESPONSE) &&
					      (d.acknowledge > 0 || d.respond > 0)) ||
				(e->h.type == PARLEY_T_ACK && d.acknowledge > 0);
			if (e->index > o && counts && e->h.thread == o && who_of(e->h.sender) == p)
				any_ans = true;
		}
		/* its own receipt or answer says its node opened the entry: a failed seal check yields to it */
		if (seal == PARLEY_SEAL_BAD && (receipt || any_ans)) {
			seal = PARLEY_SEAL_UNKNOWN;
			m->seal[p] = (uint8_t)seal;
		}
		for (int kind = PARLEY_OBL_ACKNOWLEDGE; kind <= PARLEY_OBL_RESPOND; kind++) {
			exp_obl *x = &m->x[p][kind];
			int64_t secs = kind == PARLEY_OBL_ACKNOWLEDGE ? d.acknowledge : d.respond;
			if (secs <= 0 || !m->judged)
				continue;
			uint64_t dl = op->ms + (uint64_t)secs * 1000;
			x->present = true;
			const parley_wf_entry *ans = NULL;
			for (size_t i = 0; i < in->n && !ans; i++) {
				const parley_wf_entry *e = &in->v[i];
				bool kind_ok = e->h.type == PARLEY_T_RESPONSE || e->h.type == PARLEY_T_PING_RESPONSE ||
					(kind == PARLEY_OBL_ACKNOWLEDGE && e->h.type == PARLEY_T_ACK);
				if (e->index > o && kind_ok && e->h.thread == o && who_of(e->h.sender) == p)
					ans = e;
			}
			if (ans) {
				x->has_entry = true;
				x->entry = ans->index;
				x->at_ms = ans->ms;
			}
			const parley_wf_entry *wit = NULL;
			if (range && rfrom <= o + 1 && rto > o)
				for (uint64_t i = o + 1; i <= rto && !wit; i++) {
					const parley_wf_entry *e = m_at(in, i);
					if (e->ms > dl)
						wit = e;
				}
			if (vuntil > 0 && op->ms > (uint64_t)vuntil * 1000)
				x->outcome = PARLEY_OUT_NOT_APPLICABLE, x->why = PARLEY_WHY_CHARTER_ENDED;
			else if (seal == PARLEY_SEAL_BAD)
				x->outcome = PARLEY_OUT_NOT_APPLICABLE, x->why = PARLEY_WHY_UNREADABLE;
			else if (ans && ans->ms <= dl)
				x->outcome = PARLEY_OUT_MET;
			else if (close && close->ms <= dl)
				x->outcome = PARLEY_OUT_NOT_APPLICABLE, x->why = PARLEY_WHY_WITHDRAWN;
			else if (unread && seal == PARLEY_SEAL_UNKNOWN && !any_ans)
				x->outcome = PARLEY_OUT_NOT_ESTABLISHED, x->why = PARLEY_WHY_UNREADABLE_UNCHECKED;
			else if (!wit)
				x->outcome = PARLEY_OUT_NOT_ESTABLISHED,
				x->why = in->now_ms && in->now_ms <= dl ? PARLEY_WHY_PENDING : PARLEY_WHY_NOT_REACHED;
			else {
				/* only a cosignature of a tree holding the witness, made after the deadline, attests */
				bool att = in->cosigned_size[pi] > wit->index &&
					(in->cosigned_ms[pi] == 0 || in->cosigned_ms[pi] > dl);
				x->has_witness = true;
				x->witness = wit->index;
				x->attested = att;
				if (ans) {
					x->outcome = att ? PARLEY_OUT_LATE : PARLEY_OUT_NOT_ESTABLISHED;
					x->late_by = ans->ms - dl;
				} else {
					x->outcome = att ? PARLEY_OUT_MISSED : PARLEY_OUT_MISSED_UNCONFIRMED;
				}
				if (!att)
					x->why = PARLEY_WHY_NOT_ATTESTED;
			}
			x->overdue = x->outcome != PARLEY_OUT_NOT_APPLICABLE && !ans && in->now_ms > dl;
			for (size_t i = 0; i < in->n; i++) {
				const parley_wf_entry *e = &in->v[i];
				if (e->index > o && e->h.type == PARLEY_T_DEADLINE_MISSED && e->h.thread == o &&
					who_of(e->h.sender) == req && e->ms > dl)
					x->recorded = true;
			}
		}
		codes[r] = spec_party_code(&m->x[p][0], 3, m->how[p] != PARLEY_DLV_NONE);
	}
	m->code = spec_thread_code(codes, (size_t)m->nrec, &m->parties, m->rec);
}

static const char *const tname[] = { "?", "notification", "rfi", "rfa", "consult", "receipt", "ack", "response",
	"escalation", "close", "ping", "ping-response", "deadline-missed", "psi", "psi-resp", "psi-refusal", "unreadable" };

static void dump(const parley_wf_input *in)
{
	print_message("  whole_log %d range %d %llu..%llu facts %d opener %llu content_bad %d now %+lld s\n", in->whole_log,
		in->has_range, (unsigned long long)in->range_from, (unsigned long long)in->range_to, in->has_facts,
		(unsigned long long)in->facts_opener, in->content_bad,
		in->now_ms ? (long long)(in->now_ms - T0) / 1000 : 0);
	for (int p = PB; p <= PC; p++) {
		int pi = cidx(in->ch, p);
		print_message("  %s: cosigned %llu seal %d read %d at %+lld s from %llu\n", names[p],
			(unsigned long long)in->cosigned_size[pi], in->seal[pi], in->read[pi],
			(long long)(in->read_ms[pi] - T0) / 1000, (unsigned long long)in->read_from[pi]);
	}
	for (size_t i = 0; i < in->n; i++) {
		const parley_wf_entry *e = &in->v[i];
		char to[16] = "";
		for (unsigned k = 0; k < e->h.nrecip && k < 8; k++)
			to[k] = (char)('a' + who_of(e->h.recip[k]));
		print_message("  #%llu %+lld s %s seq %llu %s thread %llu ref %llu to %s\n", (unsigned long long)e->index,
			(long long)(e->ms - T0) / 1000, names[who_of(e->h.sender)], (unsigned long long)e->h.seq,
			e->h.type <= 16 ? tname[e->h.type] : "?", (unsigned long long)e->h.thread,
			(unsigned long long)(e->h.nrefs ? e->h.refs[0] : 0), to);
	}
}

/*
 * A batched receipt with random ranges below a random verified size: covering the
 * writer's own entries, entries not addressed to it, several threads; one time in
 * four breaking a rule (which admission refuses and the workflow ignores).
 */
static void random_batch(parley_wf_entry *e)
{
	uint64_t size = 1 + rn((unsigned)e->index), fl[10], x = 0;
	unsigned n = 1 + rn(5), k = 0;
	for (; k < n && x < size; k++) {
		uint64_t f = x + rn(3), l = f + rn(6);
		if (f >= size)
			break;
		if (l >= size)
			l = size - 1;
		fl[2 * k] = f;
		fl[2 * k + 1] = l;
		x = l + 2;
	}
	if (k == 0) {
		fl[0] = 0, fl[1] = size - 1;
		k = 1;
	}
	if (rn(4) == 0) {
		switch (rn(7)) {
		case 0: fl[2 * k - 1] = size; break;                       /* beyond its tree */
		case 1: size = e->index + 1 + rn(3); break;                 /* a tree beyond itself */
		case 2: fl[0] = fl[1] + 1 + rn(3); break;                   /* backwards */
		case 3: if (k > 1) fl[2] = fl[1] + rn(2); break;            /* overlapping or adjacent */
		case 4: if (k > 1) { uint64_t a = fl[0], b = fl[1]; fl[0] = fl[2], fl[1] = fl[3], fl[2] = a, fl[3] = b; } break;
		case 5: size = 0; break;
		default: fl[0] = 0, fl[1] = UINT64_MAX - 1; break;          /* a huge count */
		}
	}
	batch(e, size, fl, k);
	if (rn(20) == 0)
		e->h.thread = 1 + rn(3); /* a batched receipt names no thread */
	if (rn(20) == 0)
		e->h.nrefs--;           /* half a pair */
}

/* A random log, and what the engine is shown of it. */
static void random_case(parley_wf_input *in, bool *bundle_out)
{
	lg *L = &L2;
	uint64_t openers[MAXLOG];
	size_t no = 0;
	unsigned n = 3 + rn(40);
	bool bundle = rn(5) >= 2, backwards = rn(16) == 0;
	uint64_t t = T0 - (uint64_t)rn(3) * H;

	lg_init(L);
	for (unsigned i = 0; i < n; i++) {
		switch (rn(6)) {
		case 0: break;
		case 1: t += (uint64_t)rn(5) * SEC; break;
		case 2: t += (uint64_t)rn(20) * 60 * SEC; break;
		case 3: t += (uint64_t)rn(4) * H; break;
		case 4: t += (uint64_t)rn(30) * H; break;
		default: t += (uint64_t)rn(3000) + 1; break;
		}
		if (backwards && rn(6) == 0)
			t -= (uint64_t)rn(3) * H + 1;
		int from = (int)rn(3);
		if (no == 0 || rn(4) == 0) {
			char to[8];
			size_t k = 0;
			const char *order = rn(2) ? "abcd" : "dcba";
			for (const char *p = order; *p; p++)
				if (rn(2))
					to[k++] = *p;
			if (!k)
				to[k++] = (char)('a' + rn(4));
			to[k] = 0;
			uint8_t type = rn(10) == 0 ? PARLEY_T_PING : (uint8_t)(1 + rn(4));
			openers[no++] = put(L, from, t, type, 0, 0, to);
		} else {
			uint64_t o = openers[rn((unsigned)no)];
			const parley_wf_entry *op = &L->e[o];
			unsigned r = rn(100);
			uint8_t type = r < 18 ? PARLEY_T_ACK : r < 32 ? PARLEY_T_RESPONSE : r < 50 ? PARLEY_T_RECEIPT :
				r < 58 ? PARLEY_T_CLOSE : r < 64 ? T_UNREADABLE : r < 71 ? PARLEY_T_DEADLINE_MISSED :
				r < 74 ? PARLEY_T_ESCALATION : r < 78 ? PARLEY_T_PING_RESPONSE : PARLEY_T_PSI_REQUEST;
			/* mostly the thread's own people */
			int w = who_of(op->h.recip[rn(op->h.nrecip)]);
			if (w != PD && rn(10) < 7)
				from = w;
			if ((type == PARLEY_T_CLOSE || type == PARLEY_T_DEADLINE_MISSED) && rn(10) < 6)
				from = who_of(op->h.sender);
			uint64_t thread = o, ref = o;
			if (type == PARLEY_T_PSI_REQUEST)
				thread = 0;
			else if (rn(25) == 0)
				thread = rn(L->n); /* perhaps not a thread at all */
			if ((type == PARLEY_T_RECEIPT || type == T_UNREADABLE) && rn(7) == 0)
				thread = 0;
			if (type == PARLEY_T_RECEIPT && rn(10) < 3)
				ref = o + rn((unsigned)(L->n - o)); /* a receipt of a later entry of the thread */
			uint64_t me = put(L, from, t, type, thread, ref, "a");
			if (type == PARLEY_T_RECEIPT && rn(3) == 0 && me > 0)
				random_batch(&L->e[me]);
			/* in a bundle, a party may have signed a broken chain of its own */
			if (bundle && rn(12) == 0) {
				if (rn(2))
					L->e[L->n - 1].h.prev[rn(32)] ^= 0x5a;
				else
					L->e[L->n - 1].h.seq += 1 + rn(2);
			}
		}
	}

	memset(in, 0, sizeof(*in));
	in->ch = rn(3) == 0 ? ch : ch_rand;
	size_t nv = 0;
	uint64_t subject = openers[rn((unsigned)no)];
	if (!bundle) {
		for (size_t i = 0; i < L->n; i++)
			V2[nv++] = L->e[i];
		in->whole_log = true;
		if (rn(2)) {
			in->has_facts = true;
			in->facts_opener = subject;
		}
	} else {
		uint64_t from = subject + rn(4), to;
		from = from > 0 ? from - 1 : 0;
		if (from >= L->n)
			from = L->n - 1;
		to = rn(10) == 0 && from > 0 ? from - 1 : from + rn((unsigned)(L->n - from));
		in->has_range = rn(10) != 0;
		in->range_from = from;
		in->range_to = to;
		for (size_t i = 0; i < L->n; i++) {
			const parley_wf_entry *e = &L->e[i];
			bool keep;
			if (i == subject)
				keep = rn(20) != 0;
			else if (i >= from && i <= to)
				keep = rn(30) != 0;
			else if (e->h.thread == subject)
				keep = rn(7) != 0;
			else
				keep = rn(3) == 0;
			if (keep)
				V2[nv++] = *e;
		}
		if (rn(7) != 0) {
			in->has_facts = true;
			in->facts_opener = rn(10) ? subject : openers[rn((unsigned)no)];
		}
	}
	in->v = V2;
	in->n = nv;
	in->content_bad = rn(25) == 0;
	for (int p = 0; p < NP; p++) {
		int pi = cidx(in->ch, p);
		in->seal[pi] = (uint8_t)rn(3);
		if (rn(3) == 0) {
			in->read[pi] = true;
			in->read_ms[pi] = T0 + (uint64_t)rn(50) * H;
			in->read_from[pi] = in->facts_opener + 1 + rn(4);
		}
		in->cosigned_size[pi] = rn(2) ? 0 : rn((unsigned)L->n + 2);
	}
	in->now_ms = rn(2) ? 0 : T0 + (uint64_t)rn(120) * H;
	*bundle_out = bundle;
}

static void test_random_against_model(void **state)
{
	(void)state;
	const unsigned iterations = 3000;
	unsigned judged = 0, outcomes[8] = { 0 }, verdicts[10] = { 0 };
	int last_dump = -1;
	nfail = 0;
	rs = 0x9e3779b97f4a7c15ull;
	for (unsigned it = 0; it < iterations; it++) {
		parley_wf_input in;
		bool bundle;
		random_case(&in, &bundle);
		run R;
		eval(&in, 0, &R);
		int before = nfail;
		size_t nopen = 0;
		for (size_t i = 0; i < in.n; i++) {
			if (!m_opens(in.v[i].h.type))
				continue;
			nopen++;
			m_thread m;
			model(&in, &in.v[i], &m);
			const parley_thread *t = parley_workflow_thread(&R.wf, m.o);
			snprintf(ctx, sizeof(ctx), "random case %u (%s), thread %llu", it, bundle ? "bundle" : "whole log",
				(unsigned long long)m.o);
			EXPECT_EQ("thread found", t != NULL, 1);
			if (!t)
				continue;
			R.t = t;
			EXPECT_EQ("recipients", t->nrecip, m.nrec);
			for (int r = 0; r < m.nrec && r < t->nrecip; r++)
				EXPECT_EQ("recipient", who_of(t->recip[r]), m.rec[r]);
			size_t want_obl = 0;
			for (int p = 0; p < NP; p++)
				want_obl += m.x[p][1].present + m.x[p][2].present;
			EXPECT_EQ("obligations", t->nobl, want_obl);
			if (!m.judged || !want_obl)
				continue;
			judged++;
			for (int r = 0; r < m.nrec; r++) {
				int p = m.rec[r];
				for (int kind = PARLEY_OBL_ACKNOWLEDGE; kind <= PARLEY_OBL_RESPOND; kind++) {
					check_obl(names[p], parley_obl_kind_name(kind), obl(&R, p, kind), &m.x[p][kind]);
					if (m.x[p][kind].present && m.x[p][kind].outcome < 8)
						outcomes[m.x[p][kind].outcome]++;
				}
				const parley_delivery *d = dlv(&R, p);
				EXPECT_EQ("delivery present", d != NULL, 1);
				if (!d)
					continue;
				EXPECT_EQ("delivery how", d->how, m.how[p]);
				if (m.how[p] == PARLEY_DLV_RECEIPT || m.how[p] == PARLEY_DLV_REPORT)
					EXPECT_EQ("delivery entry", d->entry, m.receipt[p]);
				EXPECT_EQ("unreadable reported", d->unreadable, m.unread[p]);
				if (m.facts)
					EXPECT_EQ("seal", d->seal, m.seal[p]);
			}
			parley_verdict v = parley_workflow_verdict(&R.wf, t);
			R.v = v;
			char vw[80];
			snprintf(vw, sizeof(vw), "verdict (%s, expected %s)", parley_verdict_code_name(v.code),
				parley_verdict_code_name(m.code));
			EXPECT_EQ(vw, v.code, m.code);
			EXPECT_EQ("verdict parties", vparties(&v), m.parties);
			if (v.code < 10)
				verdicts[v.code]++;
			check_text(in.ch, &R, NULL, 0);
		}
		EXPECT_EQ("threads", R.wf.nthreads, nopen);
		if (nfail != before && last_dump < 0) {
			last_dump = (int)it;
			dump(&in);
		}
		parley_workflow_release(&R.wf);
	}
	print_message("random: %u logs, %u judged threads; outcomes met %u late %u missed %u unconfirmed %u "
		"not-established %u not-applicable %u; verdicts met %u late %u missed %u unconfirmed %u not-shown %u "
		"withdrawn %u unreadable %u not-established %u; %d mismatches\n",
		iterations, judged, outcomes[1], outcomes[2], outcomes[3], outcomes[4], outcomes[5], outcomes[6], verdicts[1],
		verdicts[2], verdicts[3], verdicts[4], verdicts[5], verdicts[6], verdicts[7], verdicts[8], nfail);
	assert_int_equal(nfail, 0);
}

/* ---- 3. the cases of issue 10, by name ---- */

static lg L3;

static parley_wf_input whole_of(const lg *L)
{
	parley_wf_input in = PARLEY_WF_INPUT_INIT;
	in.ch = ch;
	in.v = L->e;
	in.n = L->n;
	in.whole_log = true;
	return in;
}

/* A proof of thread o: the entries given (all of L but those in `omit`), the range o..last. */
static parley_wf_input bundle_of(const lg *L, uint64_t o, const uint64_t *omit, size_t nomit)
{
	static parley_wf_entry v[MAXLOG];
	parley_wf_input in = PARLEY_WF_INPUT_INIT;
	size_t n = 0;
	for (size_t i = 0; i < L->n; i++) {
		bool skip = false;
		for (size_t k = 0; k < nomit; k++)
			skip |= omit[k] == i;
		if (!skip)
			v[n++] = L->e[i];
	}
	in.ch = ch;
	in.v = v;
	in.n = n;
	in.has_range = true;
	in.range_from = o;
	in.range_to = L->e[L->n - 1].index;
	in.has_facts = true;
	in.facts_opener = o;
	return in;
}

static void expect_outcome(const run *r, int who, int kind, int outcome)
{
	const parley_obligation *o = obl(r, who, kind);
	assert_non_null(o);
	if (o->outcome != outcome)
		fail_msg("%s %s: %s, expected %s", names[who], parley_obl_kind_name(kind), parley_outcome_name(o->outcome),
			parley_outcome_name(outcome));
}

static void expect_verdict(const run *r, int code, unsigned parties, char *text, size_t textn)
{
	if (r->v.code != code)
		fail_msg("verdict %s, expected %s", parley_verdict_code_name(r->v.code), parley_verdict_code_name(code));
	assert_int_equal(vparties(&r->v), parties);
	check_text(r->t ? ch : ch, r, text, textn);
}

#define BIT(w) (1u << (w))

static void test_ack_late_answered_in_time(void **state)
{
	(void)state;
	lg *L = &L3;
	char text[512];
	lg_init(L);
	uint64_t o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "b");
	say(L, PB, T0 + SEC, PARLEY_T_RECEIPT, o);
	uint64_t ack = say(L, PB, T0 + 3 * H, PARLEY_T_ACK, o);
	say(L, PB, T0 + 24 * H, PARLEY_T_RESPONSE, o);
	put(L, PA, T0 + 50 * H, PARLEY_T_PSI_REQUEST, 0, 0, "b");
	for (int mode = 0; mode < 2; mode++) {
		parley_wf_input in = mode ? bundle_of(L, o, NULL, 0) : whole_of(L);
		in.cosigned_size[cidx(ch, PB)] = L->n; /* cert-b cosigned the log after its answers */
		run r;
		eval(&in, o, &r);
		expect_outcome(&r, PB, PARLEY_OBL_ACKNOWLEDGE, PARLEY_OUT_LATE);
		expect_outcome(&r, PB, PARLEY_OBL_RESPOND, PARLEY_OUT_MET);
		const parley_obligation *a = obl(&r, PB, PARLEY_OBL_ACKNOWLEDGE);
		assert_int_equal(a->late_by_ms, H);
		assert_int_equal(a->entry, ack);
		assert_int_equal(a->witness, ack); /* the first entry past the deadline is the answer itself */
		assert_true(a->attested);          /* by its cosignature of the log past the deadline */
		expect_verdict(&r, PARLEY_V_LATE, BIT(PB), text, sizeof(text));
		if (strstr(text, "no one answered") || strstr(text, "accountable") || strstr(text, "missed"))
			fail_msg("a late acknowledgement is not a missed answer: %s", text);
		parley_workflow_release(&r.wf);
	}
}

static void test_closed_half_a_second_after_sending(void **state)
{
	(void)state;
	lg *L = &L3;
	char text[512];
	lg_init(L);
	uint64_t o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "bc");
	say(L, PA, T0 + 500, PARLEY_T_CLOSE, o);
	put(L, PA, T0 + 60 * H, PARLEY_T_PSI_REQUEST, 0, 0, "b");
	for (int mode = 0; mode < 2; mode++) {
		parley_wf_input in = mode ? bundle_of(L, o, NULL, 0) : whole_of(L);
		in.now_ms = T0 + 61 * H;
		in.cosigned_size[cidx(ch, PB)] = L->n; /* it would be accountable, were the thread open */
		run r;
		eval(&in, o, &r);
		for (int w = PB; w <= PC; w++)
			for (int k = PARLEY_OBL_ACKNOWLEDGE; k <= PARLEY_OBL_RESPOND; k++) {
				expect_outcome(&r, w, k, PARLEY_OUT_NOT_APPLICABLE);
				assert_int_equal(obl(&r, w, k)->why, PARLEY_WHY_WITHDRAWN);
				assert_false(obl(&r, w, k)->overdue);
			}
		expect_verdict(&r, PARLEY_V_WITHDRAWN, BIT(PB) | BIT(PC), text, sizeof(text));
		if (strstr(text, "MISSED") || strstr(text, "accountable"))
			fail_msg("a withdrawn notification blames no one: %s", text);
		parley_workflow_release(&r.wf);
	}
	/* a recipient's close does not withdraw anything */
	lg_init(L);
	o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "bc");
	say(L, PC, T0 + 500, PARLEY_T_CLOSE, o);
	say(L, PB, T0 + 1000, PARLEY_T_RECEIPT, o);
	put(L, PA, T0 + 60 * H, PARLEY_T_PSI_REQUEST, 0, 0, "b");
	parley_wf_input in = whole_of(L);
	in.cosigned_size[cidx(ch, PB)] = L->n;
	run r;
	eval(&in, o, &r);
	expect_outcome(&r, PB, PARLEY_OBL_ACKNOWLEDGE, PARLEY_OUT_MISSED);
	expect_verdict(&r, PARLEY_V_MISSED, BIT(PB), NULL, 0);
	parley_workflow_release(&r.wf);
}

static void no_obligation(const char *to, uint8_t type)
{
	lg *L = &L3;
	char text[512];
	lg_init(L);
	uint64_t o = put(L, PA, T0, type, 0, 0, to);
	put(L, PA, T0 + 60 * H, PARLEY_T_PSI_REQUEST, 0, 0, "b");
	parley_wf_input in = whole_of(L);
	in.now_ms = T0 + 61 * H;
	run r;
	eval(&in, o, &r);
	assert_non_null(r.t);
	assert_int_equal(r.t->nobl, 0);
	assert_int_equal(r.v.code, PARLEY_V_NOT_ESTABLISHED);
	assert_int_equal(r.v.nparties, 0);
	assert_int_equal(r.t->state == PARLEY_TS_OVERDUE, 0);
	check_text(ch, &r, text, sizeof(text));
	if (!strstr(text, "creates no obligation"))
		fail_msg("%s to %s: %s", parley_type_name(type), to, text);
	if (strstr(text, "confirmed") || strstr(text, "delivered"))
		fail_msg("nothing was delivered to anyone: %s", text);
	parley_workflow_release(&r.wf);
}

static void test_addressed_to_its_sender_only(void **state)
{
	(void)state;
	no_obligation("a", PARLEY_T_NOTIFICATION);
	no_obligation("a", PARLEY_T_REQUEST_ASSIST);
	no_obligation("ad", PARLEY_T_NOTIFICATION); /* its sender and the auditor */
	no_obligation("b", PARLEY_T_PING);          /* pings have no deadline in a charter */
}

static void test_all_deadlines_met(void **state)
{
	(void)state;
	lg *L = &L3;
	char text[512];
	lg_init(L);
	uint64_t o = put(L, PA, T0, PARLEY_T_REQUEST_INFO, 0, 0, "cb");
	say(L, PB, T0 + SEC, PARLEY_T_RECEIPT, o);
	say(L, PC, T0 + 2 * SEC, PARLEY_T_RECEIPT, o);
	say(L, PB, T0 + H, PARLEY_T_ACK, o);
	say(L, PC, T0 + ACK_DL, PARLEY_T_RESPONSE, o); /* exactly at the deadline: met, and it acknowledges */
	say(L, PB, T0 + RESP_DL, PARLEY_T_RESPONSE, o);
	put(L, PA, T0 + 60 * H, PARLEY_T_PSI_REQUEST, 0, 0, "b");
	for (int mode = 0; mode < 2; mode++) {
		parley_wf_input in = mode ? bundle_of(L, o, NULL, 0) : whole_of(L);
		run r;
		eval(&in, o, &r);
		for (int w = PB; w <= PC; w++)
			for (int k = PARLEY_OBL_ACKNOWLEDGE; k <= PARLEY_OBL_RESPOND; k++)
				expect_outcome(&r, w, k, PARLEY_OUT_MET);
		expect_verdict(&r, PARLEY_V_MET, BIT(PB) | BIT(PC), text, sizeof(text));
		if (!strstr(text, "cert-b and cert-c") && !strstr(text, "cert-c and cert-b"))
			fail_msg("both parties by name: %s", text);
		parley_workflow_release(&r.wf);
	}
}

/*
 * Whoever holds the relay key rebuilds the tree without cert-b's in-time
 * acknowledgement. cert-b's later entry is still in it, but cert-b never
 * cosigned that tree: never `missed`.
 */
static void test_tree_without_the_acknowledgement(void **state)
{
	(void)state;
	lg *L = &L3;
	char text[512];
	for (int forged = 0; forged < 2; forged++) {
		lg_init(L);
		put(L, PB, T0 - 10 * SEC, PARLEY_T_PSI_REQUEST, 0, 0, "a");
		uint64_t o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "b");
		say(L, PB, T0 + SEC, PARLEY_T_RECEIPT, o);
		if (forged)
			ghost(L, PB, PARLEY_T_ACK, o); /* signed and sent by cert-b; left out by the relay */
		put(L, PA, T0 + 10 * H, PARLEY_T_DEADLINE_MISSED, o, o, "b");
		put(L, PB, T0 + 50 * H, PARLEY_T_PSI_REQUEST, 0, 0, "a");
		put(L, PA, T0 + 51 * H, PARLEY_T_DEADLINE_MISSED, o, o, "b");
		parley_wf_input in = bundle_of(L, o, NULL, 0);
		in.range_from = 0;
		if (!forged) /* cert-b cosigned the honest tree; it never saw the rebuilt one */
			in.cosigned_size[cidx(ch, PB)] = L->n;
		run r;
		eval(&in, o, &r);
		int want = forged ? PARLEY_OUT_MISSED_UNCONFIRMED : PARLEY_OUT_MISSED;
		expect_outcome(&r, PB, PARLEY_OBL_ACKNOWLEDGE, want);
		expect_outcome(&r, PB, PARLEY_OBL_RESPOND, want);
		assert_int_equal(obl(&r, PB, PARLEY_OBL_ACKNOWLEDGE)->attested, !forged);
		assert_true(obl(&r, PB, PARLEY_OBL_ACKNOWLEDGE)->recorded);
		expect_verdict(&r, forged ? PARLEY_V_MISSED_UNCONFIRMED : PARLEY_V_MISSED, BIT(PB), text, sizeof(text));
		if (forged && strstr(text, "accountable"))
			fail_msg("the relay's word alone blames: %s", text);
		parley_workflow_release(&r.wf);
	}
	/* the relay drops cert-b's later entries too: nothing of cert-b's past the deadline, still unconfirmed */
	lg_init(L);
	uint64_t o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "b");
	say(L, PB, T0 + SEC, PARLEY_T_RECEIPT, o);
	ghost(L, PB, PARLEY_T_ACK, o);
	put(L, PA, T0 + 50 * H, PARLEY_T_PSI_REQUEST, 0, 0, "b");
	parley_wf_input in = bundle_of(L, o, NULL, 0);
	run r;
	eval(&in, o, &r);
	expect_outcome(&r, PB, PARLEY_OBL_ACKNOWLEDGE, PARLEY_OUT_MISSED_UNCONFIRMED);
	expect_verdict(&r, PARLEY_V_MISSED_UNCONFIRMED, BIT(PB), NULL, 0);
	parley_workflow_release(&r.wf);
	/* a bundle that leaves out an entry cert-b signed between the opener and its later entry: the same gap */
	lg_init(L);
	put(L, PB, T0 - 10 * SEC, PARLEY_T_PSI_REQUEST, 0, 0, "a");
	o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "b");
	say(L, PB, T0 + SEC, PARLEY_T_RECEIPT, o);
	uint64_t a = say(L, PB, T0 + H, PARLEY_T_ACK, o);
	put(L, PB, T0 + 50 * H, PARLEY_T_PSI_REQUEST, 0, 0, "a");
	in = bundle_of(L, o, &a, 1);
	in.has_range = false; /* the range would show the hole; here only the chain can */
	eval(&in, o, &r);
	expect_outcome(&r, PB, PARLEY_OBL_ACKNOWLEDGE, PARLEY_OUT_NOT_ESTABLISHED);
	parley_workflow_release(&r.wf);
}

/* A reader that never receipts nor cosigns: held by it (its signed read), and not blamed without its signature. */
static void test_reader_that_never_receipts(void **state)
{
	(void)state;
	lg *L = &L3;
	for (int chain = 0; chain < 2; chain++)
		for (int read = 0; read < 2; read++) {
			lg_init(L);
			if (chain)
				put(L, PB, T0 - 10 * SEC, PARLEY_T_PSI_REQUEST, 0, 0, "a");
			uint64_t o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "b");
			put(L, PA, T0 + 49 * H, PARLEY_T_PSI_REQUEST, 0, 0, "b");
			if (chain)
				put(L, PB, T0 + 50 * H, PARLEY_T_PSI_REQUEST, 0, 0, "a");
			parley_wf_input in = bundle_of(L, o, NULL, 0);
			int pb = cidx(ch, PB);
			if (chain) /* its own later entries attest nothing; its cosignature of the log does */
				in.cosigned_size[pb] = L->n;
			if (read) {
				in.read[pb] = true;
				in.read_ms[pb] = T0 + 5 * SEC;
				in.read_from[pb] = o + 1;
			}
			run r;
			eval(&in, o, &r);
			const parley_delivery *d = dlv(&r, PB);
			assert_non_null(d);
			assert_int_equal(d->how, read ? PARLEY_DLV_READ : PARLEY_DLV_NONE);
			if (read) {
				assert_int_equal(d->at_ms, T0 + 5 * SEC);
				assert_int_equal(d->entry, o + 1);
			}
			int out = chain ? PARLEY_OUT_MISSED : PARLEY_OUT_MISSED_UNCONFIRMED;
			expect_outcome(&r, PB, PARLEY_OBL_ACKNOWLEDGE, out);
			expect_outcome(&r, PB, PARLEY_OBL_RESPOND, out);
			int code = !read ? PARLEY_V_NOT_SHOWN_DELIVERED : chain ? PARLEY_V_MISSED : PARLEY_V_MISSED_UNCONFIRMED;
			expect_verdict(&r, code, BIT(PB), NULL, 0);
			parley_workflow_release(&r.wf);
		}
}

/* A seal to a key the recipient does not hold, or a payload the committed key does not open. */
static void test_seal_to_a_wrong_key(void **state)
{
	(void)state;
	lg *L = &L3;
	char text[512];
	lg_init(L);
	uint64_t o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "bc");
	say(L, PB, T0 + SEC, T_UNREADABLE, o);
	say(L, PC, T0 + SEC, PARLEY_T_RECEIPT, o);
	say(L, PC, T0 + H, PARLEY_T_RESPONSE, o);
	put(L, PA, T0 + 50 * H, PARLEY_T_PSI_REQUEST, 0, 0, "b");
	for (int bad = 0; bad < 3; bad++) {
		parley_wf_input in = bundle_of(L, o, NULL, 0);
		in.cosigned_size[cidx(ch, PB)] = L->n; /* it saw the log; that is not reading it */
		in.seal[cidx(ch, PB)] = bad == 0 ? PARLEY_SEAL_UNKNOWN : bad == 1 ? PARLEY_SEAL_BAD : PARLEY_SEAL_OK;
		in.seal[cidx(ch, PC)] = bad == 0 ? PARLEY_SEAL_UNKNOWN : PARLEY_SEAL_OK;
		run r;
		eval(&in, o, &r);
		assert_true(dlv(&r, PB)->unreadable);
		if (bad == 1) {
			expect_outcome(&r, PB, PARLEY_OBL_ACKNOWLEDGE, PARLEY_OUT_NOT_APPLICABLE);
			assert_int_equal(obl(&r, PB, PARLEY_OBL_RESPOND)->why, PARLEY_WHY_UNREADABLE);
			expect_outcome(&r, PC, PARLEY_OBL_RESPOND, PARLEY_OUT_MET);
			expect_verdict(&r, PARLEY_V_UNREADABLE_BY_SENDER_FAULT, BIT(PB), text, sizeof(text));
			if (!strstr(text, "cert-a"))
				fail_msg("the sender at fault by name: %s", text);
		} else if (bad == 0) { /* reported, nobody can check it */
			expect_outcome(&r, PB, PARLEY_OBL_ACKNOWLEDGE, PARLEY_OUT_NOT_ESTABLISHED);
			assert_int_equal(obl(&r, PB, PARLEY_OBL_ACKNOWLEDGE)->why, PARLEY_WHY_UNREADABLE_UNCHECKED);
			expect_verdict(&r, PARLEY_V_NOT_ESTABLISHED, BIT(PB), NULL, 0);
		} else { /* the seal was good: the report was false, and shows it held the entry */
			expect_outcome(&r, PB, PARLEY_OBL_ACKNOWLEDGE, PARLEY_OUT_MISSED);
			assert_int_equal(dlv(&r, PB)->how, PARLEY_DLV_REPORT);
			assert_int_equal(dlv(&r, PB)->at_ms, T0 + SEC);
			expect_verdict(&r, PARLEY_V_MISSED, BIT(PB), NULL, 0);
		}
		parley_workflow_release(&r.wf);
	}
	/* a payload the committed key does not open: unreadable for everyone, whatever the seals */
	parley_wf_input in = bundle_of(L, o, NULL, 0);
	in.seal[cidx(ch, PB)] = PARLEY_SEAL_OK;
	in.seal[cidx(ch, PC)] = PARLEY_SEAL_OK;
	in.content_bad = true;
	run r;
	eval(&in, o, &r);
	expect_outcome(&r, PB, PARLEY_OBL_ACKNOWLEDGE, PARLEY_OUT_NOT_APPLICABLE);
	/* cert-c's own receipt and response say its node opened it: against itself, that stands */
	expect_outcome(&r, PC, PARLEY_OBL_RESPOND, PARLEY_OUT_MET);
	expect_verdict(&r, PARLEY_V_UNREADABLE_BY_SENDER_FAULT, BIT(PB), NULL, 0);
	parley_workflow_release(&r.wf);
}

static void test_auditor_owes_nothing(void **state)
{
	(void)state;
	lg *L = &L3;
	no_obligation("d", PARLEY_T_NOTIFICATION);
	lg_init(L);
	uint64_t o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "db");
	say(L, PB, T0 + SEC, PARLEY_T_RECEIPT, o);
	put(L, PA, T0 + 50 * H, PARLEY_T_PSI_REQUEST, 0, 0, "b");
	parley_wf_input in = bundle_of(L, o, NULL, 0);
	in.cosigned_size[cidx(ch, PB)] = in.cosigned_size[cidx(ch, PD)] = L->n;
	in.read[cidx(ch, PD)] = true;
	in.read_ms[cidx(ch, PD)] = T0 + SEC;
	in.read_from[cidx(ch, PD)] = o + 1;
	run r;
	eval(&in, o, &r);
	assert_int_equal(r.t->nrecip, 1);
	assert_int_equal(r.t->nobl, 2);
	assert_int_equal(r.t->ndlv, 1);
	assert_null(obl(&r, PD, PARLEY_OBL_ACKNOWLEDGE));
	assert_null(dlv(&r, PD));
	expect_verdict(&r, PARLEY_V_MISSED, BIT(PB), NULL, 0);
	parley_workflow_release(&r.wf);
}

/* Integration times that go back within the range: nothing rests on it. */
static void test_times_going_back(void **state)
{
	(void)state;
	lg *L = &L3;
	for (int back = 0; back < 2; back++)
		for (int mode = 0; mode < 2; mode++) {
			lg_init(L);
			uint64_t o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "b");
			say(L, PB, T0 + SEC, PARLEY_T_RECEIPT, o);
			put(L, PA, T0 + 50 * H, PARLEY_T_PSI_REQUEST, 0, 0, "b");
			put(L, PA, back ? T0 + 10 * H : T0 + 51 * H, PARLEY_T_PSI_REQUEST, 0, 0, "b");
			parley_wf_input in = mode ? bundle_of(L, o, NULL, 0) : whole_of(L);
			in.cosigned_size[cidx(ch, PB)] = L->n;
			run r;
			eval(&in, o, &r);
			for (int k = PARLEY_OBL_ACKNOWLEDGE; k <= PARLEY_OBL_RESPOND; k++) {
				expect_outcome(&r, PB, k, back ? PARLEY_OUT_NOT_ESTABLISHED : PARLEY_OUT_MISSED);
				if (back)
					assert_int_equal(obl(&r, PB, k)->why, PARLEY_WHY_NOT_REACHED);
			}
			expect_verdict(&r, back ? PARLEY_V_NOT_ESTABLISHED : PARLEY_V_MISSED, BIT(PB), NULL, 0);
			parley_workflow_release(&r.wf);
		}
}

static void test_charter_ended(void **state)
{
	(void)state;
	lg *L = &L3;
	char text[512];
	lg_init(L);
	uint64_t o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "b");
	say(L, PB, T0 + SEC, PARLEY_T_RECEIPT, o);
	put(L, PA, T0 + 50 * H, PARLEY_T_PSI_REQUEST, 0, 0, "b");
	parley_wf_input in = whole_of(L);
	in.ch = ch_ended;
	in.cosigned_size[cidx(ch_ended, PB)] = L->n;
	run r;
	eval(&in, o, &r);
	for (int k = PARLEY_OBL_ACKNOWLEDGE; k <= PARLEY_OBL_RESPOND; k++) {
		expect_outcome(&r, PB, k, PARLEY_OUT_NOT_APPLICABLE);
		assert_int_equal(obl(&r, PB, k)->why, PARLEY_WHY_CHARTER_ENDED);
	}
	assert_int_equal(r.v.code, PARLEY_V_NOT_ESTABLISHED);
	assert_int_equal(vparties(&r.v), BIT(PB));
	check_text(ch_ended, &r, text, sizeof(text));
	if (!strstr(text, "outside the charter's validity"))
		fail_msg("the reason: %s", text);
	parley_workflow_release(&r.wf);
	/* opened at the very end of validity: the charter still held */
	int64_t vf, vu;
	parley_charter_validity(ch_ended, &vf, &vu);
	lg_init(L);
	o = put(L, PA, (uint64_t)vu * 1000, PARLEY_T_NOTIFICATION, 0, 0, "b");
	say(L, PB, (uint64_t)vu * 1000 + SEC, PARLEY_T_RECEIPT, o);
	put(L, PA, (uint64_t)vu * 1000 + 50 * H, PARLEY_T_PSI_REQUEST, 0, 0, "b");
	in = whole_of(L);
	in.ch = ch_ended;
	in.cosigned_size[cidx(ch_ended, PB)] = L->n;
	eval(&in, o, &r);
	expect_outcome(&r, PB, PARLEY_OBL_ACKNOWLEDGE, PARLEY_OUT_MISSED);
	parley_workflow_release(&r.wf);
}

/* A late answer in a bundle whose chain of the party has a gap: not established; with its cosignature, late. */
static void test_late_answer_needs_attestation(void **state)
{
	(void)state;
	lg *L = &L3;
	lg_init(L);
	put(L, PB, T0 - 20 * SEC, PARLEY_T_PSI_REQUEST, 0, 0, "a");
	uint64_t gap = put(L, PB, T0 - 10 * SEC, PARLEY_T_PSI_REQUEST, 0, 0, "a");
	uint64_t o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "b");
	say(L, PB, T0 + 3 * H, PARLEY_T_ACK, o);
	say(L, PB, T0 + 50 * H, PARLEY_T_RESPONSE, o);
	for (int cos = 0; cos < 2; cos++) {
		parley_wf_input in = bundle_of(L, o, &gap, 1);
		if (cos)
			in.cosigned_size[cidx(ch, PB)] = L->n;
		run r;
		eval(&in, o, &r);
		for (int k = PARLEY_OBL_ACKNOWLEDGE; k <= PARLEY_OBL_RESPOND; k++) {
			expect_outcome(&r, PB, k, cos ? PARLEY_OUT_LATE : PARLEY_OUT_NOT_ESTABLISHED);
			if (!cos)
				assert_int_equal(obl(&r, PB, k)->why, PARLEY_WHY_NOT_ATTESTED);
		}
		assert_int_equal(obl(&r, PB, PARLEY_OBL_RESPOND)->late_by_ms, 2 * H);
		expect_verdict(&r, cos ? PARLEY_V_LATE : PARLEY_V_NOT_ESTABLISHED, BIT(PB), NULL, 0);
		parley_workflow_release(&r.wf);
	}
}

/*
 * The chain is the party's own: each entry must carry seq + 1 and the hash of
 * the one before. An entry of the party with the right seq but another
 * predecessor's hash, or the right hash but a skipped seq, is a gap.
 */
static void test_chain_needs_seq_and_hash(void **state)
{
	(void)state;
	lg *L = &L3;
	for (int how = 0; how < 3; how++) {
		lg_init(L);
		put(L, PB, T0 - 10 * SEC, PARLEY_T_PSI_REQUEST, 0, 0, "a");
		uint64_t o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "b");
		say(L, PB, T0 + SEC, PARLEY_T_RECEIPT, o);
		uint64_t late = put(L, PB, T0 + 50 * H, PARLEY_T_PSI_REQUEST, 0, 0, "a");
		if (how == 1)
			L->e[late].h.prev[7] ^= 1; /* right seq, not the hash of the receipt */
		if (how == 2)
			L->e[late].h.seq++; /* right hash, a seq skipped */
		parley_wf_input in = bundle_of(L, o, NULL, 0);
		run r;
		eval(&in, o, &r);
		/* a relay-key holder can place a party's chain around an opener it never saw: no chain attests */
		expect_outcome(&r, PB, PARLEY_OBL_ACKNOWLEDGE, PARLEY_OUT_MISSED_UNCONFIRMED);
		assert_int_equal(obl(&r, PB, PARLEY_OBL_ACKNOWLEDGE)->attested, 0);
		parley_workflow_release(&r.wf);
	}
}

/* Evidence that starts two entries after the opener does not show that nothing happened in between. */
static void test_range_must_start_at_the_opener(void **state)
{
	(void)state;
	lg *L = &L3;
	lg_init(L);
	uint64_t o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "b");
	say(L, PB, T0 + SEC, PARLEY_T_RECEIPT, o);
	put(L, PA, T0 + 2 * SEC, PARLEY_T_PSI_REQUEST, 0, 0, "b");
	put(L, PA, T0 + 50 * H, PARLEY_T_PSI_REQUEST, 0, 0, "b");
	for (uint64_t from = o; from <= o + 2; from++) {
		parley_wf_input in = bundle_of(L, o, NULL, 0);
		in.range_from = from;
		in.cosigned_size[cidx(ch, PB)] = L->n;
		run r;
		eval(&in, o, &r);
		expect_outcome(&r, PB, PARLEY_OBL_ACKNOWLEDGE, from <= o + 1 ? PARLEY_OUT_MISSED : PARLEY_OUT_NOT_ESTABLISHED);
		parley_workflow_release(&r.wf);
	}
}

/* The node's clock: overdue and pending, and another recipient's answer does not meet a party's deadline. */
static void test_overdue_and_each_party_for_itself(void **state)
{
	(void)state;
	lg *L = &L3;
	lg_init(L);
	uint64_t o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "bc");
	say(L, PC, T0 + H, PARLEY_T_RESPONSE, o);
	parley_wf_input in = whole_of(L);
	in.now_ms = T0 + 3 * H;
	run r;
	eval(&in, o, &r);
	const parley_obligation *a = obl(&r, PB, PARLEY_OBL_ACKNOWLEDGE), *s = obl(&r, PB, PARLEY_OBL_RESPOND);
	assert_true(a->overdue);
	assert_int_equal(a->outcome, PARLEY_OUT_NOT_ESTABLISHED); /* the log itself does not reach past it yet */
	assert_int_equal(a->why, PARLEY_WHY_NOT_REACHED);
	assert_false(s->overdue);
	assert_int_equal(s->why, PARLEY_WHY_PENDING);
	expect_outcome(&r, PC, PARLEY_OBL_ACKNOWLEDGE, PARLEY_OUT_MET);
	assert_false(obl(&r, PC, PARLEY_OBL_ACKNOWLEDGE)->overdue);
	assert_int_equal(r.t->state, PARLEY_TS_OVERDUE);
	expect_verdict(&r, PARLEY_V_NOT_ESTABLISHED, BIT(PB), NULL, 0);
	parley_workflow_release(&r.wf);
}

/* A ping, when the charter gives pings a deadline: one respond obligation for its target, met by a ping-response. */
static void test_ping_with_a_deadline(void **state)
{
	(void)state;
	lg *L = &L3;
	for (int answered = 0; answered < 2; answered++) {
		lg_init(L);
		uint64_t o = put(L, PA, T0, PARLEY_T_PING, 0, 0, "bd");
		say(L, PB, T0 + SEC, PARLEY_T_RECEIPT, o);
		if (answered)
			say(L, PB, T0 + 300 * SEC, PARLEY_T_PING_RESPONSE, o); /* at the deadline */
		put(L, PA, T0 + 301 * SEC, PARLEY_T_PSI_REQUEST, 0, 0, "b");
		parley_wf_input in = whole_of(L);
		in.ch = ch_rand; /* ping: respond within 300 s */
		in.cosigned_size[cidx(ch_rand, PB)] = L->n;
		run r;
		eval(&in, o, &r);
		assert_int_equal(r.t->nobl, 1);
		assert_null(obl(&r, PB, PARLEY_OBL_ACKNOWLEDGE));
		expect_outcome(&r, PB, PARLEY_OBL_RESPOND, answered ? PARLEY_OUT_MET : PARLEY_OUT_MISSED);
		if (r.v.code != (answered ? PARLEY_V_MET : PARLEY_V_MISSED))
			fail_msg("ping verdict %s", parley_verdict_code_name(r.v.code));
		check_text(ch_rand, &r, NULL, 0);
		parley_workflow_release(&r.wf);
	}
}

/*
 * REGRESSION (open, reported to the lead): a not-established verdict that
 * concerns several parties for different reasons gives the first party's
 * reason for all of them. Here cert-b reported the entry unreadable (no
 * content key to check it) and cert-c answered late in a bundle that lacks
 * its chain; the text said of both that "the party reported the entry
 * unreadable", which is false of cert-c. The sentence may give each
 * party's reason, or none, but not one party's reason as everyone's.
 */
static void test_not_established_reason_per_party(void **state)
{
	(void)state;
	lg *L = &L3;
	char text[512];
	lg_init(L);
	uint64_t gap = put(L, PC, T0 - 10 * SEC, PARLEY_T_PSI_REQUEST, 0, 0, "a");
	uint64_t o = put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "bc");
	say(L, PB, T0 + SEC, T_UNREADABLE, o);
	say(L, PC, T0 + 2 * SEC, PARLEY_T_RECEIPT, o);
	say(L, PC, T0 + 3 * H, PARLEY_T_ACK, o);
	say(L, PC, T0 + 50 * H, PARLEY_T_RESPONSE, o);
	parley_wf_input in = bundle_of(L, o, &gap, 1);
	run r;
	eval(&in, o, &r);
	assert_int_equal(obl(&r, PB, PARLEY_OBL_ACKNOWLEDGE)->why, PARLEY_WHY_UNREADABLE_UNCHECKED);
	assert_int_equal(obl(&r, PC, PARLEY_OBL_ACKNOWLEDGE)->why, PARLEY_WHY_NOT_ATTESTED);
	expect_verdict(&r, PARLEY_V_NOT_ESTABLISHED, BIT(PB) | BIT(PC), text, sizeof(text));
	const char *b = parley_obl_why_text(PARLEY_WHY_UNREADABLE_UNCHECKED), *c = parley_obl_why_text(PARLEY_WHY_NOT_ATTESTED);
	bool one_for_both = (strstr(text, b) != NULL) != (strstr(text, c) != NULL);
	parley_workflow_release(&r.wf);
	if (one_for_both)
		fail_msg("one party's reason given for both: %s", text);
}

/*
 * Hostile input: any header bytes, keyids outside the charter, any ranges and
 * facts. The engine must not crash, and whatever it says must be internally
 * sound: blame only with an attestation, met only with an answer in time.
 */
static void test_hostile_inputs(void **state)
{
	(void)state;
	static parley_wf_entry v[64];
	parley_err err = { 0 };
	uint8_t stranger[4] = { 0xde, 0xad, 0xbe, 0xef };
	rs = 0x2545f4914f6cdd1dull;
	for (unsigned it = 0; it < 1500; it++) {
		size_t n = rn(64);
		uint64_t clock = T0, index = rn(3);
		memset(v, 0, sizeof(v));
		for (size_t i = 0; i < n; i++) {
			parley_wf_entry *e = &v[i];
			e->index = index;
			index += 1 + (rn(8) == 0 ? rn(3) : 0);
			clock += rn(4) == 0 ? (uint64_t)rn(60) * H : rn(2) ? rn(100000) : 0;
			if (rn(12) == 0)
				clock -= rn(1000000);
			e->ms = rn(40) == 0 ? rnd() : clock;
			/* what a caller can hand over: verified (a member's signature), parsed (no recipient twice) */
			memcpy(e->h.sender, key[rn(3)]->pub.keyid, 4);
			e->h.seq = rn(6);
			e->h.prev[0] = (uint8_t)rn(3);
			e->h.type = (uint8_t)(rn(4) ? 1 + rn(17) : rn(256));
			e->h.thread = rn(3) ? rn((unsigned)index + 2) : rnd();
			e->h.nrefs = (uint8_t)rn(PARLEY_ENTRY_MAX_REFS + 1);
			for (unsigned k = 0; k < e->h.nrefs; k++)
				e->h.refs[k] = rn(3) ? rn((unsigned)index + 2) : rnd();
			unsigned want = rn(NP + 2);
			e->h.nrecip = 0;
			for (unsigned k = 0; k < want; k++) {
				int w = (int)rn(NP + 1);
				const uint8_t *id = w < NP ? key[w]->pub.keyid : stranger;
				bool dup = false;
				for (unsigned q = 0; q < e->h.nrecip; q++)
					dup |= same(e->h.recip[q], id);
				if (!dup)
					memcpy(e->h.recip[e->h.nrecip++], id, 4);
			}
			e->has_hash = rn(4) != 0;
			e->hash[0] = (uint8_t)rn(3);
		}
		parley_wf_input in = PARLEY_WF_INPUT_INIT;
		in.ch = rn(2) ? ch : ch_rand;
		in.v = v;
		in.n = n;
		in.whole_log = rn(3) == 0;
		in.has_range = rn(2);
		in.range_from = rn(4) ? rn((unsigned)index + 1) : rnd();
		in.range_to = rn(4) ? rn((unsigned)index + 3) : rnd();
		in.now_ms = rn(2) ? 0 : rnd();
		in.has_facts = rn(2);
		in.facts_opener = rn((unsigned)index + 1);
		in.content_bad = rn(10) == 0;
		for (int p = 0; p < PARLEY_MAX_PARTIES; p++) {
			in.cosigned_size[p] = rn(3) ? 0 : rn(2) ? rn((unsigned)index + 2) : rnd();
			in.seal[p] = (uint8_t)rn(3);
			in.read[p] = rn(3) == 0;
			in.read_ms[p] = rnd();
			in.read_from[p] = rnd();
		}
		parley_workflow wf;
		if (parley_workflow_eval(&in, &wf, &err))
			fail_msg("hostile case %u: %s", it, err.msg);
		for (size_t k = 0; k < wf.nthreads; k++) {
			const parley_thread *t = &wf.threads[k];
			for (size_t i = t->obl_first; i < t->obl_first + t->nobl; i++) {
				const parley_obligation *o = &wf.obl[i];
				bool sound = o->outcome >= PARLEY_OUT_MET && o->outcome <= PARLEY_OUT_NOT_APPLICABLE;
				if (o->outcome == PARLEY_OUT_MET)
					sound = o->has_entry && o->at_ms <= o->deadline_ms;
				if (o->outcome == PARLEY_OUT_LATE)
					sound = o->has_entry && o->attested && o->at_ms > o->deadline_ms &&
						o->late_by_ms == o->at_ms - o->deadline_ms;
				if (o->outcome == PARLEY_OUT_MISSED || o->outcome == PARLEY_OUT_MISSED_UNCONFIRMED)
					sound = !o->has_entry && o->attested == (o->outcome == PARLEY_OUT_MISSED) &&
						o->witness_ms > o->deadline_ms;
				if (o->outcome == PARLEY_OUT_NOT_APPLICABLE)
					sound = o->why == PARLEY_WHY_WITHDRAWN || o->why == PARLEY_WHY_UNREADABLE ||
						o->why == PARLEY_WHY_CHARTER_ENDED;
				if (o->outcome == PARLEY_OUT_MISSED) { /* the accused's own signature, in the input */
					int pi = -1;
					const parley_party *pp = parley_charter_party_by_keyid(in.ch, o->party);
					bool own = false;
					if (pp)
						pi = (int)(pp - parley_charter_party_at(in.ch, 0));
					for (size_t j = 0; j < n; j++)
						own |= same(v[j].h.sender, o->party) && v[j].index > o->opener && v[j].ms > o->deadline_ms;
					sound &= (pi >= 0 && in.cosigned_size[pi] > o->witness) || own;
					sound &= pp && pp->role == PARLEY_ROLE_PARTY;
				}
				if (!sound)
					fail_msg("hostile case %u: unsound %s obligation of thread %llu", it,
						parley_outcome_name(o->outcome), (unsigned long long)t->opener);
			}
			run r;
			r.wf = wf;
			r.t = t;
			r.v = parley_workflow_verdict(&wf, t);
			if (r.v.code < PARLEY_V_MET || r.v.code > PARLEY_V_NOT_ESTABLISHED)
				fail_msg("hostile case %u: verdict code %d", it, r.v.code);
			for (unsigned q = 0; q < r.v.nparties; q++)
				if (parley_thread_recipient(t, r.v.parties[q]) < 0)
					fail_msg("hostile case %u: the verdict concerns a non-recipient", it);
			check_text(in.ch, &r, NULL, 0);
		}
		parley_workflow_release(&wf);
	}
	/* entries out of order are refused, not judged */
	lg *L = &L3;
	lg_init(L);
	put(L, PA, T0, PARLEY_T_NOTIFICATION, 0, 0, "b");
	put(L, PB, T0 + 1, PARLEY_T_ACK, 0, 0, "a");
	L->e[1].index = 0;
	parley_wf_input in = whole_of(L);
	parley_workflow wf;
	assert_int_equal(parley_workflow_eval(&in, &wf, &err), PARLEY_E_USAGE);
	assert_int_equal(wf.nthreads, 0);
	in.n = 0;
	assert_int_equal(parley_workflow_eval(&in, &wf, &err), PARLEY_OK);
	assert_int_equal(wf.nthreads, 0);
	parley_workflow_release(&wf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_late_answered_in_time),
		cmocka_unit_test(test_closed_half_a_second_after_sending),
		cmocka_unit_test(test_addressed_to_its_sender_only),
		cmocka_unit_test(test_all_deadlines_met),
		cmocka_unit_test(test_tree_without_the_acknowledgement),
		cmocka_unit_test(test_reader_that_never_receipts),
		cmocka_unit_test(test_seal_to_a_wrong_key),
		cmocka_unit_test(test_auditor_owes_nothing),
		cmocka_unit_test(test_times_going_back),
		cmocka_unit_test(test_charter_ended),
		cmocka_unit_test(test_late_answer_needs_attestation),
		cmocka_unit_test(test_chain_needs_seq_and_hash),
		cmocka_unit_test(test_range_must_start_at_the_opener),
		cmocka_unit_test(test_overdue_and_each_party_for_itself),
		cmocka_unit_test(test_ping_with_a_deadline),
		cmocka_unit_test(test_not_established_reason_per_party),
		cmocka_unit_test(test_cross_product),
		cmocka_unit_test(test_random_against_model),
		cmocka_unit_test(test_hostile_inputs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
