/*
 * node_internal.h - the internal API the node's modules share (not a public API).
 *
 *   node.c        the handle: open/close, channels, posting, reading, re-verification
 *   home.c        the home's files (node.json, charters/ID.*), its lock (parley/home.h)
 *   node_verify.c what a node checks about each entry and checkpoint (the chains)
 *   node_sync.c   the sync pipeline: fetch, verify and store pages, catch the relay
 *   node_duties.c what a party owes after a sync: receipts, ping answers, deadlines
 *   node_prove.c  proof bundles
 *   node_report.c timeliness reports and report bundles
 *   node_psi.c    private set intersection (through node_session only)
 *
 * Every relay request goes through parley/remote.h.
 */
#ifndef PARLEY_NODE_INTERNAL_H
#define PARLEY_NODE_INTERNAL_H

#include <jansson.h>

#include "parley/admit.h"
#include "parley/charter.h"
#include "parley/client.h"
#include "parley/home.h"
#include "parley/node.h"
#include "parley/succession.h"
#include "parley/note.h"
#include "parley/workflow.h"

#define NODE_MAX_CHANNELS PARLEY_HOME_MAX_CHANNELS

/* A sender's chain as verified so far: its last sequence number and entry hash. */
struct chain {
	uint8_t keyid[4];
	uint64_t seq;
	uint8_t hash[32];
	parley_quota_day quota; /* its bytes on its latest UTC day (the charter's daily quota) */
};

struct node_channel {
	uint8_t id[32];
	char hex[65];
	char relay[PARLEY_URL_MAX + 1];
	char ca[1100]; /* CA file for an https relay, or empty */
	char halted[1400]; /* why this node stopped trusting the relay, or empty */
	parley_charter *charter;
	/* the succession as the replica holds it (node_succession), for a replica of succ_size entries */
	parley_succession succ;
	uint64_t succ_size;
	bool succ_known;
};

struct parley_node {
	char psi_policy[1024]; /* a set file that answers PSI requests on every sync, or empty */
	char home[1024];
	const parley_seckey *key;
	parley_store *store;
	struct node_channel ch[NODE_MAX_CHANNELS];
	size_t nch;
	size_t page_entries, page_bytes; /* bounds of one sync page */
	bool outbox; /* queue posts in the outbox when the relay cannot be reached (node_outbox.c) */
	parley_lock lock; /* the home's lock, once a write took it (or it was adopted) */
};

/* The state of a scan of the replica: every sender's chain, entries counted. */
struct scan_ctx {
	const parley_charter *ch;
	const uint8_t *id;
	parley_store *store; /* the replica, where threads' openers are looked up */
	struct chain chains[PARLEY_MAX_PARTIES];
	size_t nchains;
	uint64_t count;
	uint64_t total;   /* the replica's size, for progress (full scans) */
	uint64_t last_ms; /* integration time of the last entry scanned (they never go back) */
	parley_succession succ; /* the handovers scanned so far (docs/protocol.md, "Succession") */
	parley_node *node;      /* whose store holds successor charters */
	parley_err *err;
};

/*
 * A channel being worked on: its relay client, and every sender's chain as the
 * sync that opened it left them (so our next entry continues our chain).
 */
struct node_session {
	parley_node *n;
	struct node_channel *c;
	parley_client cl;
	struct scan_ctx *sc;
	parley_sync_report rep; /* what the opening sync did */
	/* what that sync found opening: of the entries [looked_from, looked_to) addressed here (not
	 * ours), all opened but the `unopened` (ascending), so its duties need not open them again */
	uint64_t looked_from, looked_to;
	uint64_t *unopened;
	size_t nunopened;
	/* the entry node_session_post sent last when the relay gave no answer (PARLEY_E_IO): it may
	 * have landed, so what waits for the relay is these very bytes, never a second composition */
	parley_buf unsent;
	/*
	 * With defer set, node_session_post signs and queues (our chain advanced over the queue,
	 * *index PARLEY_INDEX_QUEUED) and node_session_flush sends the queue in batches: what a
	 * sync owes goes in one request per up to 256 entries instead of one per entry.
	 */
	bool defer;
	parley_buf *q;
	size_t nq, qcap;
	uint64_t q_seq0;     /* our chain before the queue: restored for what could not be sent */
	uint8_t q_hash0[32];
};

/* ---- home.c: node.json (internal: jansson) ---- */

/* Load HOME/node.json after checking the home (parley_home_check); *out to json_decref. */
parley_code home_config_load(const char *home, json_t **out, parley_err *err) PARLEY_WUR;
/* Write HOME/node.json (mode 0600). */
parley_code home_config_save(const char *home, json_t *cfg, parley_err *err) PARLEY_WUR;

/* ---- node.c ---- */

/* The joined channel with this id, or NULL. */
struct node_channel *node_find_channel(parley_node *n, const uint8_t id[32]);
/* The node's key, home directory and standing PSI policy set file ("" when none). */
const parley_seckey *node_key(const parley_node *n);
const char *node_home(const parley_node *n);
const char *node_psi_policy_path(const parley_node *n);
/* A client for a channel's relay (its CA too); release with parley_client_release. */
parley_code node_client(parley_node *n, const struct node_channel *c, parley_client *cl, parley_err *err) PARLEY_WUR;
/*
 * Open a session on a joined channel: the home's lock (parley_node_lock), its relay client, then a verified sync
 * (node_do_sync) that leaves s->sc holding every sender's chain, ours included.
 * PARLEY_E_NOTFOUND "channel not joined". Close it with node_session_close,
 * also after a failure.
 */
parley_code node_session_open(parley_node *n, const uint8_t id[32], struct node_session *s, parley_err *err) PARLEY_WUR;
void node_session_close(struct node_session *s);
/* Sign, seal and append one entry, continuing our chain in s->sc (refused for an auditor). */
parley_code node_session_post(struct node_session *s, const parley_post *p, uint64_t *index, parley_err *err) PARLEY_WUR;
/* What node_admit_with needs from the replica, read once for many checks (the replica does not change between). */
struct node_admit {
	uint64_t size;
	parley_succession st;
};
parley_code node_admit_prepare(parley_node *n, struct node_channel *c, struct node_admit *ax, parley_err *err) PARLEY_WUR;
parley_code node_admit_with(parley_node *n, struct node_channel *c, const struct node_admit *ax,
	const parley_entry_hdr *h, parley_err *err) PARLEY_WUR;
/*
 * Send what node_session_post queued under defer, in order, in batches (parley_remote_append_batch,
 * each all or none). On a failure our chain goes back to the last entry the relay took and
 * the rest of the queue is dropped (what a sync owes is owed again at the next one). The
 * queue is empty afterwards either way.
 */
parley_code node_session_flush(struct node_session *s, parley_err *err) PARLEY_WUR;
/*
 * Whether an entry with header h would be admitted now under the charter's validity
 * (parley_admit_validity against the replica). PARLEY_E_VERIFY naming the rule.
 */
parley_code node_admit_now(parley_node *n, struct node_channel *c, const parley_entry_hdr *h, parley_err *err) PARLEY_WUR;
/*
 * The succession state of the replica of channel c (cached until the replica grows).
 * Lookups of successor charters go to the replica's store.
 */
parley_code node_succession(parley_node *n, struct node_channel *c, parley_succession *out, parley_err *err) PARLEY_WUR;
/*
 * When the joined channels are one chain of charters (each but one the predecessor
 * of another, all linked), its latest: the default channel. NULL otherwise.
 */
struct node_channel *node_chain_head(parley_node *n);
/* parley_admit_successor_active when this home follows c's predecessor too (else PARLEY_OK). */
parley_code node_successor_check(parley_node *n, struct node_channel *c, const parley_entry_hdr *h,
	parley_err *err) PARLEY_WUR;
/*
 * A parley_charter_lookup for a node (ctx: struct node_charter_look): the replica's
 * store, then, during a sync, the relay (GET .../charter), whose answer is kept in the
 * store once its id is checked.
 */
struct node_charter_look {
	parley_node *n;
	parley_client *cl; /* NULL: the store only */
};
parley_code node_charter_lookup(void *ctx, const uint8_t id[32], parley_charter **out, parley_err *err) PARLEY_WUR;
/* Whether this node's key is a read-only auditor of the channel (it never writes). */
bool node_is_auditor(const parley_node *n, const struct node_channel *c);

/* ---- node_verify.c ---- */

/* The chain of keyid in chains (added when new); NULL when PARLEY_MAX_PARTIES are there already. */
struct chain *node_chain_of(struct chain *c, size_t *n, const uint8_t keyid[4]);
/*
 * Everything a node checks about one entry at log index `index`, against the
 * charter and the senders' chains so far (which it advances on success), and
 * (sig_ok: its signature was checked by node_verify_signatures)
 * the charter's daily byte quota; look finds earlier entries (a thread's
 * opener, for the charter's wind-down). PARLEY_E_VERIFY naming the entry.
 */
parley_code node_check_entry(const parley_charter *ch, const uint8_t id[32], struct chain *chains, size_t *nchains,
	uint64_t *last_ms, uint64_t index, uint64_t integrated_ms, const uint8_t *data, size_t len, bool sig_ok,
	parley_entry *e, parley_admit_lookup look, void *lctx, parley_succession *succ, struct node_charter_look *clook,
	parley_err *err) PARLEY_WUR;
/*
 * The signatures of n entries, on every core: ok[i] is true when data[i] parses, its
 * sender is a member of ch and its signature verifies with that member's key. Passing
 * ok[i] as node_check_entry's sig_ok for the same bytes skips its own verify (false:
 * it verifies, and names what is wrong). With opened (and me), each entry that verified
 * and is addressed to me by another sender is also opened (the X25519 each costs):
 * opened[i] says how (NODE_OPEN_*).
 */
enum { NODE_OPEN_NONE = 0, NODE_OPEN_OK, NODE_OPEN_FAILED };
void node_verify_signatures(const parley_charter *ch, const parley_seckey *me, const uint8_t *const *data,
	const size_t *len, size_t n, bool *ok, uint8_t *opened);
/*
 * Every sender's chain in the replica into sc: re-verified from scratch (full,
 * for 'parley verify'), or followed (for a sync: the entries were verified when
 * they were stored, and the tree check guards them since).
 */
parley_code node_load_chains(parley_node *n, struct node_channel *c, struct scan_ctx *sc, bool full,
	parley_err *err) PARLEY_WUR;
/* Verify a checkpoint note from the relay: relay signature, origin, and any party cosignatures present. */
parley_code node_check_checkpoint(const struct node_channel *c, const char *text, size_t n, parley_checkpoint *cp,
	parley_err *err) PARLEY_WUR;

/* ---- node_sync.c ---- */

/*
 * A verified sync of s->c: fetch, verify and store new pages, answer what is
 * owed (node_duties), cosign; leaves s->sc holding every sender's chain and
 * s->rep what happened.
 */
parley_code node_do_sync(struct node_session *s, parley_err *err) PARLEY_WUR;
/* The checkpoint a paged sync killed half-way stored its pages against (HOME/charters/HEX.paging). */
parley_code node_paging_load(parley_node *n, const struct node_channel *c, parley_buf *note, parley_checkpoint *cp);
/* Record relay misbehaviour: an evidence file in the home, and the channel halted. */
void node_halt(parley_node *n, struct node_channel *c, const char *kind, const parley_buf *old_note,
	const parley_buf *new_note, const uint8_t (*proof)[32], size_t np, const uint8_t *prefix_root, parley_err *err);

/* Sign an entry continuing our chain (replica, then outbox) and keep it in the outbox; *index = PARLEY_INDEX_QUEUED. */
parley_code node_outbox_queue(parley_node *n, struct node_channel *c, const parley_post *p, uint64_t *index,
	parley_err *err) PARLEY_WUR;
/*
 * Keep an entry already signed (sent without an answer: it may have landed) in the outbox,
 * as it is, under its sequence number; *index = PARLEY_INDEX_QUEUED. A flush then finds it
 * in the log (same bytes) or sends it.
 */
parley_code node_outbox_keep(parley_node *n, struct node_channel *c, const uint8_t *entry, size_t len,
	uint64_t *index, parley_err *err) PARLEY_WUR;
/* Remember this party's last entry the relay took (seq, hash): what an entry queued next continues. */
void node_outbox_tip(parley_node *n, struct node_channel *c, uint64_t seq, const uint8_t hash[32]);
/*
 * Send the outbox in order after a sync's fetch (mine: our chain in the replica, advanced
 * over what is sent); entries already integrated are recognised and deleted, not sent.
 * PARLEY_OK only when the outbox is empty at the end.
 */
parley_code node_outbox_flush(parley_node *n, struct node_channel *c, struct chain *mine, parley_client *cl,
	uint64_t *sent, parley_err *err) PARLEY_WUR;
/* ---- node_duties.c ---- */

/* Every header of a replica, in index order (v to free). */
struct hdr_ctx {
	parley_wf_entry *v;
	size_t n, cap;
};
/* A parley_store_entries callback that appends each entry's header to a struct hdr_ctx. */
parley_code node_collect_hdr(void *ctx, uint64_t index, uint64_t ms, const uint8_t *data, size_t len);
parley_code node_headers(parley_node *n, const uint8_t id[32], struct hdr_ctx *hc, parley_err *err) PARLEY_WUR;
/*
 * What this party owes once a sync verified the checkpoint note: receipts,
 * unreadable reports, ping answers, PSI answers by policy, deadline-missed
 * records; counted in s->rep. Not for an auditor (it writes nothing).
 */
parley_code node_duties(struct node_session *s, const parley_buf *note, parley_err *err) PARLEY_WUR;

/* ---- node_state.c: the incremental state (threads, chain heads, duties) ---- */

/* An entry addressed here that still owes something from this party. */
struct node_owed {
	uint64_t index;
	bool receipt; /* a receipt (or an unreadable report) */
	bool answer;  /* a ping answer */
};
/*
 * Every sender's chain, the succession, the last integration time and the entry count
 * into sc, from the state tables in O(senders); a replica whose tables are missing or
 * behind (an older parley's) gets them built first, in one transaction.
 */
parley_code node_state_load(parley_node *n, struct node_channel *c, struct scan_ctx *sc, parley_err *err) PARLEY_WUR;
/*
 * Fold count verified entries v (just appended, indexes continuing the state) into the
 * tables, with sc holding every chain after them and last the hash of the last one.
 * Call it inside the transaction that appends them (parley_store_begin).
 */
parley_code node_state_advance(parley_node *n, struct node_channel *c, const struct scan_ctx *sc,
	const parley_wf_entry *v, size_t count, const uint8_t last[32], parley_err *err) PARLEY_WUR;
/* The open (not closed) threads judged at now_ms, by the one engine, in O(open threads); *closed: how many closed. */
parley_code node_state_workflow(parley_node *n, struct node_channel *c, uint64_t now_ms, parley_workflow *out,
	uint64_t *closed, parley_err *err) PARLEY_WUR;
/*
 * The threads this node opened with a deadline neither met nor recorded missed that passed
 * before now_ms (the "d" rows), judged at now_ms: O(due threads), not O(open threads).
 */
parley_code node_state_due(parley_node *n, struct node_channel *c, uint64_t now_ms, parley_workflow *out,
	parley_err *err) PARLEY_WUR;
/* What is owed, in index order (*v to free). */
parley_code node_state_owed(parley_node *n, struct node_channel *c, struct node_owed **v, size_t *nv,
	parley_err *err) PARLEY_WUR;
/* Done with (or not owed any more): the row goes. */
parley_code node_state_owed_drop(parley_node *n, struct node_channel *c, uint64_t index, parley_err *err) PARLEY_WUR;
/*
 * Recompute every table from the replica (full: its chains, verified from scratch) and
 * compare: PARLEY_E_VERIFY naming the first difference.
 */
parley_code node_state_check(parley_node *n, struct node_channel *c, const struct scan_ctx *full,
	parley_err *err) PARLEY_WUR;

/* ---- node_psi.c ---- */

/* The standing PSI policy: answer complete requests addressed here with the policy's set. */
parley_code node_psi_auto(struct node_session *s, parley_err *err) PARLEY_WUR;

#endif
