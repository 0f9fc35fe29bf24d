/*
 * workflow.h - threads and deadlines, computed from the log alone.
 *
 * A notification or a request opens a thread; acknowledgements, responses,
 * escalations, closes and deadline-missed entries name it in their thread
 * field; receipts name it as their first reference. A ping is a thread of its
 * own, answered by a ping-response. Deadlines come from the charter and run
 * from the relay's integration time of the opening entry; whether one was met
 * is decided by integration times, never by a party's clock.
 */
#ifndef PARLEY_WORKFLOW_H
#define PARLEY_WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parley/charter.h"
#include "parley/entry.h"
#include "parley/err.h"

/* A header and its integration time: all the workflow needs of an entry. */
typedef struct parley_wf_entry {
	uint64_t index, ms;
	parley_entry_hdr h;
} parley_wf_entry;

enum parley_thread_state {
	PARLEY_TS_OPEN,
	PARLEY_TS_ACKNOWLEDGED,
	PARLEY_TS_ESCALATED,
	PARLEY_TS_OVERDUE,
	PARLEY_TS_ANSWERED,
	PARLEY_TS_CLOSED
};

typedef struct parley_thread {
	uint64_t opener;                /* log index of the opening entry */
	uint8_t type;                   /* its type (a notification, a request, a ping) */
	char category[PARLEY_NAME_MAX + 1];
	uint8_t requester[4];           /* who opened it */
	uint8_t nrecip;                 /* who must answer: the opener's recipients but the requester */
	uint8_t recip[PARLEY_ENTRY_MAX_RECIP][4];
	uint64_t opened_ms;
	uint64_t ack_deadline_ms;       /* 0: none */
	uint64_t respond_deadline_ms;   /* 0: none */
	uint64_t receipt_ms[PARLEY_ENTRY_MAX_RECIP]; /* per recipient: its first receipt, 0 if none */
	uint64_t ack_ms, ack_index;     /* first acknowledgement (or response) by a recipient; 0 if none */
	uint64_t answered_ms, answered_index; /* first response by a recipient */
	uint64_t closed_ms;
	unsigned escalations;           /* escalation entries so far */
	uint64_t missed_ack_ms, missed_respond_ms; /* the requester's deadline-missed entries after each deadline */
	unsigned entries;               /* entries in the thread, the opener included */
	int state;                      /* enum parley_thread_state, at the `now` given */
} parley_thread;

/* "open", "acknowledged", ... */
const char *parley_thread_state_name(int state);

/*
 * The threads of a log given as its entries in index order (headers only).
 * now_ms decides which deadlines have passed for the state (a node passes its
 * clock; an arbiter passes the latest integration time it can prove).
 * *out is allocated (free it); *nout threads.
 */
parley_code parley_workflow_threads(const parley_charter *ch, const parley_wf_entry *entries, size_t n,
	uint64_t now_ms, parley_thread **out, size_t *nout, parley_err *err) PARLEY_WUR;

/* The thread an entry belongs to (its opener's index), or false for none. */
bool parley_workflow_thread_of(const parley_entry_hdr *h, uint64_t index, uint64_t *opener);

/* Index of keyid among a thread's recipients, or -1. */
int parley_thread_recipient(const parley_thread *t, const uint8_t keyid[4]);

#endif
