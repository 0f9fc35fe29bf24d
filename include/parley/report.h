/*
 * report.h - timeliness reports: how each party answered the other side over
 * a period, computed from the log by the obligation engine (workflow.h), so
 * that both sides, or a mediator, can redo the computation.
 *
 * Collect, then render: parley_report_collect (from a node's replica, through
 * parley_node_report in node.h) or parley_report_check (offline, from a report
 * bundle alone) fill a parley_report; parley_report_text, _json and _html
 * render the same figures. Nothing here prints.
 *
 * The period is a half-open interval of integration times [from_ms, to_ms).
 * A thread, a ping or a PSI request belongs to the period in which its
 * opening entry was integrated; its answers count with it wherever they fall
 * (a report bundle reaches past the period's end as far as needed to show
 * them, docs/protocol.md §7.2).
 *
 * Statistics of durations use the nearest-rank method: for n sorted values
 * v[0..n-1], the q-quantile is v[ceil(q*n) - 1]; the median is q = 0.5 (for
 * an even n, the lower of the two middle values), p90 is q = 0.9. Every figure
 * is a duration that was observed, never an interpolation, so any checker
 * reproduces it exactly.
 */
#ifndef PARLEY_REPORT_H
#define PARLEY_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "parley/charter.h"
#include "parley/err.h"
#include "parley/util.h"
#include "parley/workflow.h"

#define PARLEY_REPORT_VERSION 1
#define PARLEY_REPORT_MAX_BYTES ((size_t)256 << 20)
#define PARLEY_REPORT_MAX_ENTRIES 1000000
#define PARLEY_REPORT_OPEN_END UINT64_MAX /* to_ms of a period without an end */

/* Durations in ms: how many, and nearest-rank median, 90th percentile, maximum (all 0 when n is 0). */
typedef struct parley_stats {
	uint64_t n, median_ms, p90_ms, max_ms;
} parley_stats;

/* Sort v (n values) in place and describe it. */
void parley_stats_compute(uint64_t *v, size_t n, parley_stats *out);
/* The nearest-rank q-quantile (0 < q <= 1, in per-mille: 500 median, 900 p90) of sorted v; 0 for n == 0. */
uint64_t parley_stats_rank(const uint64_t *sorted, size_t n, unsigned per_mille);

/*
 * One party's conduct as a recipient: of every party's threads addressed to
 * it (a party's figures), or of one other party's (a direction's).
 */
typedef struct parley_report_figures {
	uint64_t notifications;        /* notifications received */
	uint64_t requests;             /* requests for information or assistance, consultation requests */
	uint64_t obligations;          /* obligations owed (acknowledge and respond) */
	uint64_t outcome[7];           /* by enum parley_outcome (index 1..6) */
	uint64_t withdrawn;            /* of the not-applicable: withdrawn by the opener */
	parley_stats ack;              /* opener to the party's first acknowledgement (or response) */
	parley_stats respond;          /* opener to the party's first response */
	uint64_t pings, pings_answered;
	parley_stats ping_rtt;         /* ping to the party's ping-response */
	uint64_t escalations;          /* escalation entries in threads addressed to it */
	uint64_t psi_requests, psi_answered, psi_refused;
} parley_report_figures;

/* One observation behind the figures, for charts (in opener order). */
enum parley_report_item_kind { PARLEY_RI_ACK = 1, PARLEY_RI_RESPOND, PARLEY_RI_PING, PARLEY_RI_OBLIGATION };
typedef struct parley_report_item {
	uint8_t kind;          /* enum parley_report_item_kind */
	uint8_t outcome;       /* obligations: enum parley_outcome */
	uint8_t why;           /* obligations: enum parley_obl_why */
	uint16_t from, to;     /* party positions in the report: the opener and the one who answers or owes */
	uint64_t opener, opened_ms;
	uint64_t ms;           /* ack, respond, ping: the duration */
} parley_report_item;

typedef struct parley_report {
	char channel[65];
	char title[256];
	uint64_t from_ms, to_ms;   /* the period; to_ms PARLEY_REPORT_OPEN_END: none */
	uint64_t size;             /* the checkpoint (tree size) the figures rest on */
	uint64_t first_ms, last_ms; /* integration times of the first and last entry of the period (0: none) */
	size_t nparties;           /* charter parties (auditors excluded), in charter order */
	char (*names)[PARLEY_NAME_MAX + 1];
	bool *cosigned;            /* per party: it cosigned the checkpoint */
	uint64_t *attested;        /* per party: the tree size its attesting cosignature covers (0: none) */
	parley_report_figures *party;  /* [nparties] */
	parley_report_figures *dir;    /* [from * nparties + to]: to's conduct in what from opened */
	parley_report_item *items;
	size_t nitems;
	/* succession (docs/protocol.md §7.2.1) */
	bool has_pred;             /* the (first) charter names a predecessor */
	uint8_t pred[32];
	bool handed_over;          /* a part of a chain: its log, as far as the report holds it, hands over to the next part */
	uint8_t successor[32];     /* handed_over: the next part's charter id */
	uint64_t end_ms, end_size; /* handed_over: the last handover's integration time, the log's size right after it */
	struct parley_report *parts; /* a report over a chain of charters: each channel's own report, oldest first */
	size_t nparts;             /* 0 for a report over one channel */
} parley_report;
#define PARLEY_REPORT_INIT                                                                                         \
	{ { 0 }, { 0 }, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, 0, false, { 0 }, false, { 0 }, 0, 0, NULL, \
		0 }
#define PARLEY_REPORT_MAX_PARTS 16 /* channels of one chain in one report */

void parley_report_release(parley_report *r);

/*
 * One dialogue over a chain of charters (docs/protocol.md §7.2.1): the reports
 * parts[0..n-1] (n >= 1) of consecutive channels of one chain, oldest first,
 * each over the same period, become one report whose figures are merged by
 * party name (a party whose key was rotated is the same party; one that joined
 * or left has figures only where it is a party: parties in the order they
 * first appear). Counts add up; statistics are recomputed from every part's
 * durations. The channel, title and checkpoint are the last part's. The parts
 * are moved into *out (parts[] itself is freed: it must come from malloc);
 * with n == 1 *out is parts[0] itself. On failure every part is released.
 */
parley_code parley_report_merge(parley_report *parts, size_t n, parley_report *out, parley_err *err) PARLEY_WUR;

/*
 * Compute the figures for [from_ms, to_ms) from an evaluated workflow and the
 * entries it was evaluated on (wf_in, in index order). size is the checkpoint
 * the evaluation rests on; cosigned (by charter party index, may be NULL)
 * which parties cosigned it; wf_in->cosigned_size what each attests. *out is
 * replaced; release it.
 */
parley_code parley_report_collect(const parley_wf_input *wf_in, const parley_workflow *wf, uint64_t from_ms,
	uint64_t to_ms, uint64_t size, const bool *cosigned, parley_report *out, parley_err *err) PARLEY_WUR;

/*
 * Verify a report bundle (docs/protocol.md §7.2) completely with nothing else:
 * the charter, the checkpoint's relay signature and cosignatures, every
 * entry's signature, scope, creation time and inclusion proof, the complete
 * range and that it covers the period; then recompute every figure and
 * compare it with the figures the bundle states. PARLEY_E_VERIFY /
 * PARLEY_E_FORMAT naming the first thing that fails (a figure that differs
 * is named with both values). *out gets the recomputed report.
 */
parley_code parley_report_check(const char *text, size_t n, parley_report *out, parley_err *err) PARLEY_WUR;

/*
 * Parse a date for a period: "YYYY-MM-DD" (midnight UTC) or
 * "YYYY-MM-DDTHH:MM:SSZ". With end set, a bare date means the end of that day
 * (the next midnight), so --from 2026-10-01 --to 2026-10-31 is October.
 */
parley_code parley_report_date(const char *s, bool end, uint64_t *ms, parley_err *err) PARLEY_WUR;

/* Renderings of the same figures. Text and HTML are appended to out. */
parley_code parley_report_text(const parley_report *r, parley_buf *out) PARLEY_WUR;
/* The figures as JSON (what a bundle states under "figures"); NULL when out of memory. */
json_t *parley_report_json(const parley_report *r);
/*
 * A self-contained HTML page (no script, no external resource): the tables
 * and inline SVG charts (per party, the distribution of times to
 * acknowledge; obligations met, late and missed per month; ping round trips
 * over time). Every string from the log or the charter is escaped.
 */
parley_code parley_report_html(const parley_report *r, parley_buf *out) PARLEY_WUR;

#endif
