/* node_internal.h - what the node's source files share (not a public API). */
#ifndef PARLEY_NODE_INTERNAL_H
#define PARLEY_NODE_INTERNAL_H

#include "parley/charter.h"
#include "parley/client.h"
#include "parley/node.h"
#include "parley/succession.h"

#define NODE_MAX_CHANNELS 64

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
};

/* The state of a scan of the replica: every sender's chain, entries counted. */
struct scan_ctx {
	const parley_charter *ch;
	const uint8_t *id;
	parley_store *store; /* the replica, where threads' openers are looked up */
	struct chain chains[PARLEY_MAX_PARTIES];
	size_t nchains;
	uint64_t count;
	uint64_t last_ms; /* integration time of the last entry scanned (they never go back) */
	parley_succession succ; /* the handovers scanned so far (docs/protocol.md, "Succession") */
	parley_node *node;      /* whose store holds successor charters */
	parley_err *err;
};

/* The joined channel with this id, or NULL. */
struct node_channel *node_find_channel(parley_node *n, const uint8_t id[32]);
/* A client for a channel's relay (its CA too); release with parley_client_release. */
parley_code node_client(parley_node *n, const struct node_channel *c, parley_client *cl, parley_err *err) PARLEY_WUR;
/* A verified sync that leaves sc holding every sender's chain, ours included. */
parley_code node_do_sync(parley_node *n, struct node_channel *c, parley_client *cl, struct scan_ctx *sc,
	parley_sync_report *rep, parley_err *err) PARLEY_WUR;
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
/* Sign, seal and append one entry, continuing our chain in sc (refused for an auditor). */
parley_code node_post_entry(parley_node *n, struct node_channel *c, struct scan_ctx *sc, parley_client *cl,
	const parley_post *p, uint64_t *index, parley_err *err) PARLEY_WUR;

/* The standing PSI policy: answer complete requests addressed here with the policy's set. */
parley_code node_psi_auto(parley_node *n, struct node_channel *c, struct scan_ctx *sc, parley_client *cl,
	parley_sync_report *rep, parley_err *err) PARLEY_WUR;

/* Record relay misbehaviour: an evidence file in the home, and the channel halted. */
void node_halt(parley_node *n, struct node_channel *c, const char *kind, const parley_buf *old_note,
	const parley_buf *new_note, const uint8_t (*proof)[32], size_t np, const uint8_t *prefix_root, parley_err *err);

/* Sign an entry continuing our chain (replica, then outbox) and keep it in the outbox; *index = PARLEY_INDEX_QUEUED. */
parley_code node_outbox_queue(parley_node *n, struct node_channel *c, const parley_post *p, uint64_t *index,
	parley_err *err) PARLEY_WUR;
/* Remember this party's last entry the relay took (seq, hash): what an entry queued next continues. */
void node_outbox_tip(parley_node *n, struct node_channel *c, uint64_t seq, const uint8_t hash[32]);
/*
 * Send the outbox in order after a sync's fetch (mine: our chain in the replica, advanced
 * over what is sent); entries already integrated are recognised and deleted, not sent.
 * PARLEY_OK only when the outbox is empty at the end.
 */
parley_code node_outbox_flush(parley_node *n, struct node_channel *c, struct chain *mine, parley_client *cl,
	uint64_t *sent, parley_err *err) PARLEY_WUR;

#endif
