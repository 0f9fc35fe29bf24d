/*
 * compose.h - what a party is about to post, checked against the charter and
 * the replica before it enters a log that can never forget it.
 *
 * The log is append-only and every party keeps a copy: a notification sent
 * to oneself, an empty text, a second acknowledgement or an escalation past
 * the top of the ladder stays on the record for good. These checks refuse
 * such mistakes (PARLEY_E_USAGE, the mistake named) before anything is sent,
 * and build the header an entry would carry, for a dry run.
 */
#ifndef PARLEY_COMPOSE_H
#define PARLEY_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "parley/charter.h"
#include "parley/crypto.h"
#include "parley/entry.h"
#include "parley/err.h"
#include "parley/node.h"
#include "parley/store.h"
#include "parley/workflow.h"

/*
 * Text a person gives (--text, --file, standard input): 1 to PARLEY_TEXT_MAX
 * bytes of UTF-8 without NUL, not only white space. `what` names the source
 * in the error ("--text", a file name, "standard input").
 */
parley_code parley_compose_text_check(const char *what, const char *text, size_t len, parley_err *err) PARLEY_WUR;

/*
 * Check a post by `sender` on the replica `s` of channel `id` governed by `ch`:
 *  - the sender is a party of the charter, not an auditor (auditors only read);
 *  - every recipient is a party, none an auditor (auditors are never
 *    recipients), and an entry that opens a thread (or a ping, a PSI request)
 *    names at least one party other than the sender;
 *  - a text payload is not empty;
 *  - an acknowledgement, response, escalation or close names a thread the
 *    replica holds, in which the sender takes part; the thread is not closed
 *    (closing twice included); only its recipients acknowledge it, each once;
 *    an escalation stays on the charter's escalation ladder.
 * PARLEY_OK, or PARLEY_E_USAGE naming the mistake (PARLEY_E_NOTFOUND when the
 * replica holds no such thread: a sync may bring it); the store is only read.
 * Every refusal but that one is final: a later sync cannot lift it.
 */
parley_code parley_compose_check(const parley_charter *ch, parley_store *s, const uint8_t id[32],
	const parley_pubkey *sender, const parley_post *p, parley_err *err) PARLEY_WUR;

/*
 * The header fields a post determines: channel, sender, type, thread, refs,
 * category (the charter's first by default, checked against its scope), TLP
 * (the charter's default for -1), and the recipients (the named parties, then
 * the sender, without duplicates). seal_pks (may be NULL) receives each
 * recipient's X25519 key in order. seq, prev and created_ms are left zero.
 */
parley_code parley_compose_header(const parley_charter *ch, const parley_pubkey *sender, const uint8_t id[32],
	const parley_post *p, parley_entry_hdr *h, uint8_t (*seal_pks)[32], parley_err *err) PARLEY_WUR;

/*
 * The text of an escalation of thread t: "escalated to the LEVEL level" and
 * ": TEXT" when text is not NULL, LEVEL being the next rung of the charter's
 * ladder. PARLEY_E_USAGE when the thread is at the top already. out is replaced.
 */
parley_code parley_compose_escalation(const parley_charter *ch, const parley_thread *t, const char *text,
	parley_buf *out, parley_err *err) PARLEY_WUR;

/* parley_compose_check for this node's party on its local replica of channel id (no network). */
parley_code parley_node_check_post(parley_node *n, const uint8_t id[32], const parley_post *p,
	parley_err *err) PARLEY_WUR;

/*
 * A dry run: check the post on the local replica (no sync, nothing sent) and
 * fill h with the header it would carry, seq and prev continuing this party's
 * chain as the replica has it and created_ms now. A sync before the real post
 * may move seq on.
 */
parley_code parley_node_preview(parley_node *n, const uint8_t id[32], const parley_post *p, parley_entry_hdr *h,
	parley_err *err) PARLEY_WUR;

/*
 * Who an answer by `sender` to thread t goes to: its requester and its recipients,
 * the sender left out (parley_node_post adds it). names (borrowed from ch) must
 * hold PARLEY_ENTRY_MAX_RECIP; returns how many.
 */
size_t parley_compose_answer_to(const parley_charter *ch, const parley_thread *t, const uint8_t sender[4],
	const char *names[PARLEY_ENTRY_MAX_RECIP]);

/*
 * Answer thread `thread` (the index of its opening entry) on the record, as
 * 'parley ack|reply|escalate|close' does: type PARLEY_T_ACK, _RESPONSE,
 * _ESCALATION or _CLOSE; text (may be NULL, but not with stix also NULL for a
 * response) and stix (a bundle, responses only, validated here). Refuses on the
 * local replica first (a refusal there is final), syncs, then posts to the
 * thread's other participants in its category; an escalation's text names the
 * next rung of the ladder. *index as parley_node_post.
 */
parley_code parley_node_answer(parley_node *n, const uint8_t id[32], uint8_t type, uint64_t thread, const char *text,
	const json_t *stix, uint64_t *index, parley_err *err) PARLEY_WUR;

#endif
