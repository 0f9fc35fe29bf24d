/*
 * workflow.h - threads, obligations and verdicts, computed from the log alone.
 *
 * A notification, a request or a consultation request opens a thread;
 * acknowledgements, responses, escalations, closes, deadline-missed entries
 * and unreadable reports name it in their thread field; receipts name it as
 * their first reference. A ping is a thread of its own, answered by a
 * ping-response. Deadlines come from the charter and run from the relay's
 * integration time of the opening entry; whether one was met is decided by
 * integration times, never by a party's clock.
 *
 * This module is the one place that decides whether a deadline was met:
 * status, thread, prove, check-proof and the node's deadline-missed entries
 * all read the obligations and verdicts it computes (docs/protocol.md,
 * "Obligations and verdicts", is the normative table).
 *
 * An obligation is owed by one recipient (a party other than the opener;
 * auditors never owe anything) for one deadline of the opener's type:
 * `acknowledge` (met by an acknowledgement or a response) and `respond` (met
 * by a response; for a ping, by a ping-response). Its outcome is exactly one
 * of the enum parley_outcome values below. Blame (`missed`, `late`) needs the
 * accused party's own signature on the log past the deadline: its cosignature,
 * made after the deadline, of a tree that holds an entry integrated after it.
 * Its own entries do not count: a relay-key holder can place them around an
 * opener the party never saw.
 */
#ifndef PARLEY_WORKFLOW_H
#define PARLEY_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parley/charter.h"
#include "parley/entry.h"
#include "parley/err.h"
#include "parley/util.h"

/* A header, its integration time and (optionally) its hash: all the workflow needs of an entry. */
typedef struct parley_wf_entry {
	uint64_t index, ms;
	parley_entry_hdr h;
	uint8_t hash[32]; /* SHA-256 of the entry's bytes, when has_hash */
	bool has_hash;
} parley_wf_entry;

enum parley_thread_state {
	PARLEY_TS_OPEN,
	PARLEY_TS_ACKNOWLEDGED,
	PARLEY_TS_ESCALATED,
	PARLEY_TS_OVERDUE,
	PARLEY_TS_ANSWERED,
	PARLEY_TS_CLOSED
};

enum parley_obl_kind { PARLEY_OBL_ACKNOWLEDGE = 1, PARLEY_OBL_RESPOND = 2 };

enum parley_outcome {
	PARLEY_OUT_MET = 1,            /* answered by the deadline */
	PARLEY_OUT_LATE,               /* answered after it (late_by_ms); the party's signature covers the log */
	PARLEY_OUT_MISSED,             /* no answer in a log the party itself signed past the deadline */
	PARLEY_OUT_MISSED_UNCONFIRMED, /* the relay's log shows no answer; the party has not signed it */
	PARLEY_OUT_NOT_ESTABLISHED,    /* the evidence does not decide (see why) */
	PARLEY_OUT_NOT_APPLICABLE      /* the obligation does not stand (see why) */
};

/* Why an outcome is what it is, where the outcome alone does not say. */
enum parley_obl_why {
	PARLEY_WHY_NONE = 0,
	PARLEY_WHY_WITHDRAWN,      /* not-applicable: the opener closed the thread before the deadline */
	PARLEY_WHY_UNREADABLE,     /* not-applicable: the seal check shows the party could not read the entry */
	PARLEY_WHY_CHARTER_ENDED,  /* not-applicable: the charter had ended before the thread opened */
	PARLEY_WHY_PENDING,        /* not-established: the deadline has not passed (by the caller's clock) */
	PARLEY_WHY_NOT_REACHED,    /* not-established: the evidence does not reach past the deadline */
	PARLEY_WHY_UNREADABLE_UNCHECKED, /* not-established: reported unreadable; no content key to check it */
	PARLEY_WHY_NOT_ATTESTED    /* late or missed-unconfirmed: the party has not signed the log past the deadline */
};

typedef struct parley_obligation {
	uint64_t opener;        /* the thread */
	uint8_t party[4];       /* who owes it */
	uint8_t kind;           /* enum parley_obl_kind */
	uint8_t outcome;        /* enum parley_outcome */
	uint8_t why;            /* enum parley_obl_why */
	bool overdue;           /* unanswered, applicable, and the caller's clock is past the deadline */
	bool recorded;          /* the opener's deadline-missed entry after this deadline is in the log */
	bool attested;          /* the party signed the log past the deadline */
	bool has_entry;         /* an answer exists: entry, at_ms */
	uint64_t deadline_ms;
	uint64_t entry, at_ms;  /* the party's first answer of this kind */
	uint64_t late_by_ms;    /* late: at_ms - deadline_ms */
	uint64_t witness;       /* late/missed: the first entry integrated after the deadline */
	uint64_t witness_ms;
} parley_obligation;

/* how: a receipt; a signed read past the entry; its own unreadable report that the seal check refutes */
enum parley_delivery_how { PARLEY_DLV_NONE = 0, PARLEY_DLV_RECEIPT, PARLEY_DLV_READ, PARLEY_DLV_REPORT };
enum parley_seal { PARLEY_SEAL_UNKNOWN = 0, PARLEY_SEAL_OK, PARLEY_SEAL_BAD };

/* What shows that one recipient held the opening entry. */
typedef struct parley_delivery {
	uint8_t party[4];
	uint8_t how;              /* enum parley_delivery_how */
	uint8_t seal;             /* enum parley_seal: the party's sealed key, checked with a revealed content key */
	uint64_t at_ms;           /* receipt: its integration time; read: the signed request's time */
	uint64_t entry;           /* receipt: its index; read: the request's `from` */
	bool unreadable;          /* the party reported the entry unreadable */
	uint64_t unreadable_entry;
	/* the party's own first answers in the thread, whatever the deadlines (0: none) */
	uint64_t ack_ms, ack_entry;       /* acknowledgement, response or ping-response */
	uint64_t answer_ms, answer_entry; /* response or ping-response */
} parley_delivery;

typedef struct parley_thread {
	uint64_t opener;                /* log index of the opening entry */
	uint8_t type;                   /* its type (a notification, a request, a ping) */
	char category[PARLEY_NAME_MAX + 1];
	uint8_t requester[4];           /* who opened it */
	uint8_t nrecip;                 /* who must answer: the opener's recipients that are parties, but the requester */
	uint8_t recip[PARLEY_ENTRY_MAX_RECIP][4];
	uint64_t opened_ms;
	uint64_t ack_deadline_ms;       /* 0: none */
	uint64_t respond_deadline_ms;   /* 0: none */
	uint64_t receipt_ms[PARLEY_ENTRY_MAX_RECIP]; /* per recipient: its first receipt, 0 if none */
	uint64_t ack_ms, ack_index;     /* first acknowledgement (or response) by a recipient; 0 if none */
	uint64_t answered_ms, answered_index; /* first response by a recipient */
	uint64_t closed_ms;             /* first close by the requester or a recipient */
	bool closed_by_requester;
	uint64_t requester_closed_ms;   /* the requester's own first close (withdrawal); 0 if none */
	unsigned escalations;           /* escalation entries so far */
	uint64_t missed_ack_ms, missed_respond_ms; /* the requester's deadline-missed entries after each deadline */
	unsigned entries;               /* entries in the thread, the opener included */
	int state;                      /* enum parley_thread_state, at the `now` given */
	size_t obl_first, nobl;         /* its obligations in parley_workflow.obl */
	size_t dlv_first, ndlv;         /* its deliveries in parley_workflow.dlv, one per recipient */
} parley_thread;

/*
 * What the caller knows beyond the entries. Zero-initialise (PARLEY_WF_INPUT_INIT)
 * and fill what applies.
 */
/*
 * The first entry after `opener` integrated after deadline_ms in a whole verified log:
 * true with its index and time, false when the log does not reach past the deadline.
 */
typedef bool (*parley_wf_witness_fn)(void *ctx, uint64_t opener, uint64_t deadline_ms, uint64_t *index,
	uint64_t *ms);

typedef struct parley_wf_input {
	const parley_charter *ch;
	/* parley_workflow_judge over a log not held in v (a node's tables): finds witnesses there */
	parley_wf_witness_fn witness;
	void *witness_ctx;
	const parley_wf_entry *v;  /* in ascending index order, each verified by the caller */
	size_t n;
	bool whole_log;            /* v holds every entry 0..n-1 of a verified log (a node's replica) */
	bool has_range;            /* otherwise: the entries range_from..range_to are all in v */
	uint64_t range_from, range_to;
	uint64_t now_ms;           /* the caller's clock for `overdue` and `pending`; 0: the log alone */
	/* by charter party index: the size of a tree this party cosigned that contains v's entries (0: none) */
	uint64_t cosigned_size[PARLEY_MAX_PARTIES];
	/*
	 * by charter party index: when the party made that cosignature, by its own signed clock
	 * (ms; 0: not known, as for a node's own replica). A cosignature made at or before a
	 * deadline does not attest the log past it, whatever times the relay put in the tree.
	 */
	uint64_t cosigned_ms[PARLEY_MAX_PARTIES];
	/* facts about one thread's opening entry (a proof's subject), by charter party index */
	bool has_facts;
	uint64_t facts_opener;
	uint8_t seal[PARLEY_MAX_PARTIES];   /* enum parley_seal */
	bool content_bad;          /* a content key that matches the commitment does not open the payload */
	bool read[PARLEY_MAX_PARTIES];      /* a signed read by the party past the opener */
	uint64_t read_ms[PARLEY_MAX_PARTIES], read_from[PARLEY_MAX_PARTIES];
} parley_wf_input;
#define PARLEY_WF_INPUT_INIT { 0 }

/* The result: threads in opener order, their obligations and deliveries. */
typedef struct parley_workflow {
	parley_thread *threads;
	size_t nthreads;
	parley_obligation *obl;
	size_t nobl;
	parley_delivery *dlv;
	size_t ndlv;
} parley_workflow;
#define PARLEY_WORKFLOW_INIT { NULL, 0, NULL, 0, NULL, 0 }

/* Compute threads, obligations and deliveries. *out is replaced; release it. */
parley_code parley_workflow_eval(const parley_wf_input *in, parley_workflow *out, parley_err *err) PARLEY_WUR;
void parley_workflow_release(parley_workflow *wf);
/*
 * The same engine one thread at a time (a node's incremental tables, node_state.c):
 * parley_workflow_eval is exactly open_one on each opening entry, follow_one on each
 * later entry of its thread, then judge. `one` holds a single thread with its
 * obligations and deliveries (obl_first = dlv_first = 0); open_one replaces it
 * (release it). e must open a thread (parley_workflow_thread_of gives e->index).
 */
parley_code parley_workflow_open_one(const parley_charter *ch, const parley_wf_entry *e, parley_workflow *one,
	parley_err *err) PARLEY_WUR;
/* An entry of one's thread (parley_workflow_thread_of names its opener), after the opener. */
void parley_workflow_follow_one(parley_workflow *one, const parley_wf_entry *e);
/* A batched receipt e (receipt.h) covering x, an entry of one's thread: as parley_workflow_eval reads it. */
void parley_workflow_cover_one(parley_workflow *one, const parley_wf_entry *e, const parley_wf_entry *x);
/*
 * Decide every obligation and state of wf's threads (folded as above) for the log in
 * describes: a whole log (in->whole_log) whose witnesses in->witness finds when in->v
 * does not hold it; in->ch, now_ms and the cosignatures as for parley_workflow_eval.
 */
void parley_workflow_judge(const parley_wf_input *in, parley_workflow *wf);

/* The thread opened at `opener`, or NULL. */
const parley_thread *parley_workflow_thread(const parley_workflow *wf, uint64_t opener);

enum parley_verdict_code {
	PARLEY_V_MET = 1,
	PARLEY_V_LATE,
	PARLEY_V_MISSED,
	PARLEY_V_MISSED_UNCONFIRMED,
	PARLEY_V_NOT_SHOWN_DELIVERED,
	PARLEY_V_WITHDRAWN,
	PARLEY_V_UNREADABLE_BY_SENDER_FAULT,
	PARLEY_V_NOT_ESTABLISHED
};

/* A thread's verdict: a pure function of its obligations and deliveries. */
typedef struct parley_verdict {
	uint8_t code;       /* enum parley_verdict_code */
	uint8_t nparties;   /* the parties it concerns */
	uint8_t parties[PARLEY_ENTRY_MAX_RECIP][4];
	uint8_t why;        /* not-established: why, for the first party (PARLEY_WHY_*; NONE: no obligation) */
	uint8_t whys[PARLEY_ENTRY_MAX_RECIP]; /* not-established: why, per party of parties[] */
} parley_verdict;

parley_verdict parley_workflow_verdict(const parley_workflow *wf, const parley_thread *t);
/*
 * The verdict as one sentence that only restates it, appended to out
 * (names from the charter).
 */
parley_code parley_verdict_text(const parley_charter *ch, const parley_workflow *wf, const parley_thread *t,
	const parley_verdict *v, parley_buf *out) PARLEY_WUR;

/* "met", "late", ..., "not-applicable"; "?" when unknown. */
const char *parley_outcome_name(int outcome);
/* "acknowledge", "respond". */
const char *parley_obl_kind_name(int kind);
/* "met", "late", "missed", "missed-unconfirmed", "not-shown-delivered", ... */
const char *parley_verdict_code_name(int code);
/* A short phrase for an obligation's why, "" for none. */
const char *parley_obl_why_text(int why);
/* "open", "acknowledged", ... */
const char *parley_thread_state_name(int state);

/*
 * The threads of a log given as its entries in index order (headers only);
 * a shorthand for parley_workflow_eval without facts that hands back the
 * threads alone. *out is allocated (free it); *nout threads.
 */
parley_code parley_workflow_threads(const parley_charter *ch, const parley_wf_entry *entries, size_t n,
	uint64_t now_ms, parley_thread **out, size_t *nout, parley_err *err) PARLEY_WUR;

/* The thread an entry belongs to (its opener's index), or false for none. */
bool parley_workflow_thread_of(const parley_entry_hdr *h, uint64_t index, uint64_t *opener);

/* Index of keyid among a thread's recipients, or -1. */
int parley_thread_recipient(const parley_thread *t, const uint8_t keyid[4]);

#endif
