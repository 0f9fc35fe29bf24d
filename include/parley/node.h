/*
 * node.h - a party's node: its home directory, its verified replica of each
 * channel's log, and the operations that keep it: join, sync, post, verify.
 *
 * A node never trusts the relay: every entry it stores has been checked
 * (signature, sender's sequence and chain, scope, recipients) and every
 * checkpoint it accepts is signed by the charter's relay and consistent with
 * the last one it verified. A failure names what failed and stores nothing.
 *
 * The home's files and lock are described in parley/home.h. Every operation
 * that writes the replica or a channel's state (sync, post, PSI, resume) takes
 * the home's lock first and holds it until parley_node_close: a second writer
 * fails with PARLEY_E_BUSY "home HOME is in use by process PID".
 */
#ifndef PARLEY_NODE_H
#define PARLEY_NODE_H

#include <stdbool.h>
#include <stdint.h>
#include "parley/charter.h"
#include "parley/client.h"
#include "parley/crypto.h"
#include "parley/entry.h"
#include "parley/err.h"
#include "parley/home.h"
#include "parley/store.h"
#include "parley/psi.h"
#include "parley/workflow.h"

typedef struct parley_node parley_node;

/* The name and key file recorded in a home (to load the key before opening). */
parley_code parley_node_identity(const char *home, char name[PARLEY_NAME_MAX + 1], char *keypath, size_t keypath_max,
	parley_err *err) PARLEY_WUR;

/*
 * Join a channel: copy the key file into home (first time), store the
 * charter, open the channel on its relay (idempotent) and create the replica.
 * relay_url overrides the charter's URL (the relay's key must still match);
 * ca_path (may be NULL) is a CA certificate to trust for an https relay, kept
 * in the home. The charter must verify and list key's owner as a member.
 */
parley_code parley_node_join(const char *home, const char *charter_path, const char *key_path,
	const parley_seckey *key, const char *relay_url, const char *ca_path, char channel_hex[65],
	parley_err *err) PARLEY_WUR;

/* Open a home with its (already decrypted) key. Reading takes no lock. */
parley_code parley_node_open(const char *home, const parley_seckey *key, parley_node **out, parley_err *err) PARLEY_WUR;
/* Close the node, releasing the home's lock if it holds it. */
void parley_node_close(parley_node *n);

/*
 * Take the home's lock now (a standing node does, for its whole life), held
 * until parley_node_close; PARLEY_OK at once when this node holds it already.
 * PARLEY_E_BUSY "home HOME is in use by process PID" when another holds it.
 */
parley_code parley_node_lock(parley_node *n, parley_err *err) PARLEY_WUR;
/* Hand the node a lock taken with parley_home_lock before it was opened (lk no longer holds it). */
void parley_node_adopt_lock(parley_node *n, parley_lock *lk);
/* The lock this node holds (for parley_home_lock_pass to a forked child), or NULL. */
parley_lock *parley_node_home_lock(parley_node *n);

/*
 * The channel to act on: sel is a prefix of its id (hex, either case) or its
 * charter's title (ignoring case); NULL names the only channel. PARLEY_E_USAGE
 * when sel names several, or is NULL and the node joined several, and
 * PARLEY_E_NOTFOUND when it names none: the message lists the channels
 * (id prefix and title) to choose from.
 */
parley_code parley_node_channel(parley_node *n, const char *prefix, uint8_t id[32], parley_err *err) PARLEY_WUR;
const parley_charter *parley_node_charter(parley_node *n, const uint8_t id[32]);
parley_store *parley_node_store(parley_node *n);

typedef struct parley_sync_report {
	uint64_t old_size, new_size; /* replica size before and after: entries [old_size, new_size) arrived in
	                                this sync, verified (read each with parley_node_entry_get to react) */
	uint64_t received;           /* new entries addressed to this party, decrypted */
	uint64_t receipts;           /* entries receipted (a batched receipt acknowledges many) */
	uint64_t receipt_entries;    /* receipt entries appended (usually one per sync: receipt.h) */
	uint64_t undecryptable;      /* new entries addressed to this party but not opening */
	uint64_t unreadable_reported; /* unreadable reports appended (one per entry that does not open) */
	uint64_t pings_answered;     /* ping-responses appended */
	uint64_t deadlines_missed;   /* deadline-missed entries appended for threads this party opened */
	uint64_t psi_answered;       /* PSI requests answered by the standing policy */
	uint64_t fetched;            /* entries fetched from the relay (a resumed sync skips stored pages) */
	uint64_t pages;              /* pages verified and stored, each against the relay's signed root */
	uint64_t outbox_sent;        /* outbox entries sent (composed while the relay could not be reached) */
	bool cosigned;
} parley_sync_report;

/* Default bounds of one sync page: fetched, verified and stored before the next is fetched. */
#define PARLEY_SYNC_PAGE_ENTRIES 1000
#define PARLEY_SYNC_PAGE_BYTES ((size_t)16 << 20)

/*
 * Bound the pages of later syncs: at most `entries` entries and `bytes` of entry data
 * (a single larger entry makes a page alone). 0 keeps the current value.
 */
void parley_node_set_sync_page(parley_node *n, size_t entries, size_t bytes);

/*
 * Fetch, verify and store new entries; send what this party owes (a receipt for
 * each entry addressed to it that opens, one unreadable report instead for each
 * that does not, ping answers, deadline-missed records, PSI answers); cosign
 * the verified checkpoint. Idempotent: what is owed is computed from the replica,
 * so a repeated or interrupted sync never sends anything twice.
 */
parley_code parley_node_sync(parley_node *n, const uint8_t id[32], parley_sync_report *rep, parley_err *err) PARLEY_WUR;

/*
 * A standing node's push: wait (a long poll of GET entries with wait=, at most
 * wait_s seconds, capped at PARLEY_REMOTE_WAIT_MAX) until the channel's relay has
 * an entry past this replica. *arrived says whether it has; then parley_node_sync
 * fetches and verifies (nothing the relay says here is trusted or stored). Takes
 * no lock. Like every call on a parley_node it is for one thread at a time; to
 * wait on several channels at once from other threads, give each a client of
 * its own (parley_node_client) and call parley_remote_entries with wait_s from
 * the replica's size. PARLEY_E_LIMIT when the relay
 * refuses more waiting requests (429: poll later or sync plainly), PARLEY_E_IO
 * when it cannot be reached, PARLEY_E_VERIFY for a halted channel.
 */
parley_code parley_node_wait(parley_node *n, const uint8_t id[32], unsigned wait_s, bool *arrived,
	parley_err *err) PARLEY_WUR;

/*
 * A signed client for the channel's relay (its URL and CA as joined), for the
 * routes of parley/remote.h; release with parley_client_release. It borrows the
 * node's key: close the client before the node.
 */
parley_code parley_node_client(parley_node *n, const uint8_t id[32], parley_client *cl, parley_err *err) PARLEY_WUR;

/* What to post. recipients are party names; the sender is added as a recipient. */
typedef struct parley_post {
	uint8_t type;
	uint64_t thread;
	const uint64_t *refs;
	size_t nrefs;
	const char *category;  /* NULL: the first category of the charter */
	int tlp;               /* -1: the charter's default */
	const char *const *to;
	size_t nto;
	const uint8_t *payload;
	size_t payload_len;
} parley_post;

/* Sign, seal and append an entry after a sync; *index is the log index the relay assigned. */
parley_code parley_node_post(parley_node *n, const uint8_t id[32], const parley_post *p, uint64_t *index,
	parley_err *err) PARLEY_WUR;

/*
 * The outbox (HOME/outbox/): with it on (the running node sets it), a post that finds
 * the relay unreachable is signed and kept there instead (*index = PARLEY_INDEX_QUEUED);
 * every later sync first sends what waits, in order, never twice.
 */
#define PARLEY_INDEX_QUEUED UINT64_MAX
void parley_node_set_outbox(parley_node *n, bool on);
/* How many entries wait in a channel's outbox, and when the oldest was composed (ms; NULL to skip). */
parley_code parley_node_outbox(parley_node *n, const uint8_t id[32], size_t *count, uint64_t *oldest_ms,
	parley_err *err) PARLEY_WUR;

/* An entry of the replica, parsed; payload decrypted when addressed to this party. */
typedef struct parley_node_entry {
	uint64_t index, integrated_ms;
	parley_buf raw;
	parley_entry e;
	const parley_party *sender;
	bool for_me, opened;
	parley_buf payload;
} parley_node_entry;

parley_code parley_node_entry_get(parley_node *n, const uint8_t id[32], uint64_t index, parley_node_entry *out,
	parley_err *err) PARLEY_WUR;
void parley_node_entry_release(parley_node_entry *e);

/*
 * The workflow of a channel's whole replica (threads, obligations, deliveries)
 * judged at now_ms, with the cosignatures on the last verified checkpoint as
 * attestations. Release *out with parley_workflow_release.
 */
parley_code parley_node_workflow(parley_node *n, const uint8_t id[32], uint64_t now_ms, parley_workflow *out,
	parley_err *err) PARLEY_WUR;

/*
 * The same for the open threads only (those not closed), from the node's incremental
 * tables in O(open threads) instead of a pass over the replica: exactly what
 * parley_node_workflow gives for them (the same engine, folded as entries arrive;
 * `verify` compares). *closed (may be NULL) gets how many threads are closed.
 */
parley_code parley_node_workflow_open(parley_node *n, const uint8_t id[32], uint64_t now_ms, parley_workflow *out,
	uint64_t *closed, parley_err *err) PARLEY_WUR;

/* The threads of a channel's replica, their states at now_ms. *out is to be freed. */
parley_code parley_node_threads(parley_node *n, const uint8_t id[32], uint64_t now_ms, parley_thread **out,
	size_t *nout, parley_err *err) PARLEY_WUR;

/*
 * A proof bundle for entry `subject` (docs/protocol.md §7): syncs when the
 * relay answers, then assembles the charter, the last verified checkpoint
 * (with the cosignatures the relay holds for it), the entry, its thread and
 * receipts, the consecutive entries up to the first one integrated after each
 * deadline not met in time, each recipient's own attestation of the log past
 * its deadlines (its chain of entries, or a checkpoint it cosigned) and, for a
 * recipient without a receipt, its earliest signed read past the entry; each
 * entry with its inclusion proof. With reveal, the content key too.
 */
parley_code parley_node_prove(parley_node *n, const uint8_t id[32], uint64_t subject, bool reveal, parley_buf *out,
	parley_err *err) PARLEY_WUR;

/* What a PSI exchange gave this party. */
typedef struct parley_psi_outcome {
	bool refused;
	char reason[256];
	bool cardinality;      /* only the count is known */
	uint64_t count;        /* indicators in common */
	parley_iset common;    /* which ones (intersection mode, requester side) */
	uint64_t their_size;   /* the other side's set size */
} parley_psi_outcome;

/*
 * Ask `to` which of set's indicators it also has (or only how many, with
 * mode PARLEY_PSI_CARDINALITY): blinded elements in psi-request entries, the
 * set kept in the home for the result. *index is the first entry's index.
 * Refused before anything is sent (PARLEY_E_USAGE / PARLEY_E_LIMIT): a
 * request to oneself or an auditor, a set outside the charter's sizes, and
 * one the responder would refuse for the daily quota (requests answered
 * within 24 hours; refused and unanswered ones do not count).
 */
parley_code parley_node_psi_request(parley_node *n, const uint8_t id[32], const char *to, const parley_iset *set,
	int mode, const char *category, uint64_t *index, parley_err *err) PARLEY_WUR;
/*
 * Answer request `request` with this party's set: the charter's limits are
 * enforced first (a refusal is appended as a psi-refusal entry with its
 * reason, and reported in out); then a fresh key evaluates the requester's
 * elements and this set's tags, all in psi-response entries.
 */
parley_code parley_node_psi_respond(parley_node *n, const uint8_t id[32], uint64_t request, const parley_iset *set,
	parley_psi_outcome *out, parley_err *err) PARLEY_WUR;
/*
 * Dry runs of psi request and psi respond: the same checks on the local
 * replica (no sync, nothing sent), and what would be appended: the first
 * entry's header (seq from the local replica), how many entries, and for a
 * response whether it would be a psi-refusal (refused, reason).
 */
typedef struct parley_psi_preview {
	parley_entry_hdr h;
	size_t entries;
	uint64_t elements;     /* blinded (request) or evaluated (response) elements */
	uint64_t tags;         /* response: tags of this party's set */
	bool refused;
	char reason[256];
} parley_psi_preview;
parley_code parley_node_psi_request_preview(parley_node *n, const uint8_t id[32], const char *to, const parley_iset *set,
	int mode, const char *category, parley_psi_preview *out, parley_err *err) PARLEY_WUR;
parley_code parley_node_psi_respond_preview(parley_node *n, const uint8_t id[32], uint64_t request,
	const parley_iset *set, parley_psi_preview *out, parley_err *err) PARLEY_WUR;
/* Set (path) or clear (NULL) the standing PSI policy: answer requests on every sync with this set. */
parley_code parley_node_psi_policy(const char *home, const char *set_path, parley_err *err) PARLEY_WUR;
/* The result of this party's request: PARLEY_E_NOTFOUND until the answer is complete. */
parley_code parley_node_psi_result(parley_node *n, const uint8_t id[32], uint64_t request, parley_psi_outcome *out,
	parley_err *err) PARLEY_WUR;

/*
 * The last verified checkpoint of a channel as a note, with every cosignature
 * the relay holds for it (asked when ask_relay and the relay answers; its copy
 * must be the same tree) and this node's own. note is replaced.
 */
parley_code parley_node_checkpoint(parley_node *n, const uint8_t id[32], bool ask_relay, parley_buf *note,
	parley_err *err) PARLEY_WUR;

/*
 * A timeliness report (report.h) over [from_ms, to_ms) of the replica up to the
 * last verified checkpoint (parley_node_checkpoint, whose cosignatures are the
 * attestations). With bundle (may be NULL), also the report bundle
 * (docs/protocol.md §7.2), checked with parley_report_check before it is
 * returned, so that its figures are exactly what any checker recomputes.
 * *rep is replaced; release it with parley_report_release.
 */
struct parley_report;
parley_code parley_node_report(parley_node *n, const uint8_t id[32], uint64_t from_ms, uint64_t to_ms, bool ask_relay,
	struct parley_report *rep, parley_buf *bundle, parley_err *err) PARLEY_WUR;

/* The joined channels. */
size_t parley_node_nchannels(parley_node *n);
const uint8_t *parley_node_channel_at(parley_node *n, size_t i);

/* Why this node stopped trusting the channel's relay (evidence file named), or NULL. */
const char *parley_node_halted(parley_node *n, const uint8_t id[32]);
/* An operator's decision: trust the relay again (the evidence file stays). */
parley_code parley_node_resume(parley_node *n, const uint8_t id[32], parley_err *err) PARLEY_WUR;

/*
 * Re-verify the whole replica from scratch: tree, every entry, the latest checkpoint;
 * then the node's incremental tables against a recomputation (PARLEY_E_VERIFY
 * "node state: ..." when they differ).
 */
parley_code parley_node_verify(parley_node *n, const uint8_t id[32], uint64_t *entries, parley_err *err) PARLEY_WUR;

/* ---- succession (docs/protocol.md, "Succession") ---- */

/* A joined channel's place in a chain of charters. */
typedef struct parley_node_succession {
	bool has_pred;        /* the charter names a predecessor */
	uint8_t pred[32];
	bool pred_joined;     /* this home follows the predecessor too */
	bool named;           /* a handover in this channel's log names a successor */
	uint8_t successor[32];
	bool succ_joined;     /* this home follows the successor too */
	size_t ncont, ndone;  /* continuing parties, and how many handed over */
	bool ended;           /* all did: new threads open on the successor */
	uint64_t end_ms;      /* the last handover's integration time (ended) */
	uint64_t end_size;    /* the log's size right after it (ended) */
} parley_node_succession;

/* Where channel id stands in its chain of charters, as the local replica holds it (no network). */
parley_code parley_node_succession_get(parley_node *n, const uint8_t id[32], parley_node_succession *out,
	parley_err *err) PARLEY_WUR;

/*
 * Hand channel id over to the successor charter in successor_path: it must name id
 * as its predecessor, be signed by all its parties and list this party. The
 * successor is given to the channel's relay (POST /v1/channels: it opens it, or
 * keeps a copy when it names another relay) and to the local store, then a
 * handover entry naming it is posted (after a sync) to every other party.
 * *index is the handover's log index.
 */
parley_code parley_node_handover(parley_node *n, const uint8_t id[32], const char *successor_path, uint64_t *index,
	parley_err *err) PARLEY_WUR;

/* ---- a relay restored from an old backup (README, "Backing up") ---- */

typedef struct parley_node_fork {
	uint64_t ours;     /* entries in the replica before */
	uint64_t relays;   /* entries in the relay's current checkpoint */
	uint64_t shared;   /* the longest prefix of ours that the relay's log extends */
	uint64_t lost;     /* ours - shared: the abandoned history's entries */
	uint64_t lost_own; /* of which this party wrote */
	char archive[1200]; /* where the replica was copied before it was cut ("" when nothing was lost) */
} parley_node_fork;

/*
 * Accept a relay restored from an old backup: find the longest prefix of the
 * replica's channel id that the relay's current signed checkpoint extends
 * (consistency proofs, a binary search), copy the replica to
 * HOME/replica-before-fork-ID-MS.db, cut the channel back to that prefix
 * (parley_replica_truncate) and resume (parley_node_resume). The next sync
 * fetches and verifies the relay's log from there. The evidence files stay.
 */
parley_code parley_node_accept_fork(parley_node *n, const uint8_t id[32], parley_node_fork *out,
	parley_err *err) PARLEY_WUR;

#endif
