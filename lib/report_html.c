/*
 * report_html.c - a report as one self-contained HTML page: tables and inline
 * SVG charts, no script and no external resource. Names, titles and
 * categories come from the charter and the log, which hostile parties write:
 * every one of them goes through esc().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/report.h"
#include "banned.h"

#define ADD(...)                                              \
	do {                                                  \
		if (parley_buf_addf(out, __VA_ARGS__))        \
			return PARLEY_E_NOMEM;                \
	} while (0)

/* Append s with &, <, >, " and ' escaped (and control characters dropped). */
static parley_code esc(parley_buf *out, const char *s)
{
	for (; *s; s++) {
		const char *r = NULL;
		switch (*s) {
		case '&': r = "&amp;"; break;
		case '<': r = "&lt;"; break;
		case '>': r = "&gt;"; break;
		case '"': r = "&quot;"; break;
		case '\'': r = "&#39;"; break;
		}
		if (r) {
			if (parley_buf_addstr(out, r))
				return PARLEY_E_NOMEM;
		} else if ((unsigned char)*s >= 0x20 && *s != 0x7f) {
			if (parley_buf_add_u8(out, (uint8_t)*s))
				return PARLEY_E_NOMEM;
		}
	}
	return PARLEY_OK;
}

#define ESC(s)                                   \
	do {                                     \
		if (esc(out, (s)))               \
			return PARLEY_E_NOMEM;   \
	} while (0)

static void dur(char out[24], uint64_t ms)
{
	uint64_t s = ms / 1000;
	if (s < 60)
		snprintf(out, 24, "%llu.%llus", (unsigned long long)s, (unsigned long long)(ms % 1000 / 100));
	else if (s < 3600)
		snprintf(out, 24, "%llum %02llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(out, 24, "%lluh %02llum", (unsigned long long)(s / 3600), (unsigned long long)(s % 3600 / 60));
	else
		snprintf(out, 24, "%llud %02lluh", (unsigned long long)(s / 86400), (unsigned long long)(s % 86400 / 3600));
}

static void day(char out[32], uint64_t ms)
{
	char ts[21];
	parley_time_fmt(ts, (int64_t)(ms / 1000));
	snprintf(out, 32, "%.10s", ts);
}

static parley_code stat_cells(parley_buf *out, const parley_stats *s)
{
	char a[24], b[24], c[24];
	if (!s->n)
		ADD("<td>-</td><td>-</td><td>-</td><td>0</td>");
	else {
		dur(a, s->median_ms);
		dur(b, s->p90_ms);
		dur(c, s->max_ms);
		ADD("<td>%s</td><td>%s</td><td>%s</td><td>%llu</td>", a, b, c, (unsigned long long)s->n);
	}
	return PARLEY_OK;
}

/* One row of the figures table: a label cell (escaped names), then the figures. */
static parley_code row(parley_buf *out, const char *a, const char *b, const parley_report_figures *f)
{
	ADD("<tr><th>");
	ESC(a);
	if (b) {
		ADD(" &rarr; ");
		ESC(b);
	}
	ADD("</th><td>%llu</td><td>%llu</td><td>%llu</td><td class=met>%llu</td><td class=late>%llu</td>"
	    "<td class=missed>%llu</td><td>%llu</td><td>%llu</td><td>%llu (%llu withdrawn)</td>",
		(unsigned long long)f->notifications, (unsigned long long)f->requests, (unsigned long long)f->obligations,
		(unsigned long long)f->outcome[PARLEY_OUT_MET], (unsigned long long)f->outcome[PARLEY_OUT_LATE],
		(unsigned long long)f->outcome[PARLEY_OUT_MISSED],
		(unsigned long long)f->outcome[PARLEY_OUT_MISSED_UNCONFIRMED],
		(unsigned long long)f->outcome[PARLEY_OUT_NOT_ESTABLISHED],
		(unsigned long long)f->outcome[PARLEY_OUT_NOT_APPLICABLE], (unsigned long long)f->withdrawn);
	if (stat_cells(out, &f->ack) || stat_cells(out, &f->respond))
		return PARLEY_E_NOMEM;
	ADD("<td>%llu / %llu</td>", (unsigned long long)f->pings_answered, (unsigned long long)f->pings);
	if (stat_cells(out, &f->ping_rtt))
		return PARLEY_E_NOMEM;
	ADD("<td>%llu</td><td>%llu / %llu / %llu</td></tr>\n", (unsigned long long)f->escalations,
		(unsigned long long)f->psi_answered, (unsigned long long)f->psi_refused, (unsigned long long)f->psi_requests);
	return PARLEY_OK;
}

static const char table_head[] =
	"<tr><th rowspan=2></th><th rowspan=2>notifications</th><th rowspan=2>requests</th><th colspan=7>obligations</th>"
	"<th colspan=4>time to acknowledge</th><th colspan=4>time to respond</th><th rowspan=2>pings answered</th>"
	"<th colspan=4>ping round trip</th><th rowspan=2>escalations</th><th rowspan=2>PSI answered / refused / "
	"received</th></tr>\n<tr><th>owed</th><th>met</th><th>late</th><th>missed</th><th>missed, unconfirmed</th>"
	"<th>not established</th><th>not applicable</th><th>median</th><th>p90</th><th>max</th><th>n</th>"
	"<th>median</th><th>p90</th><th>max</th><th>n</th><th>median</th><th>p90</th><th>max</th><th>n</th></tr>\n";

/* Buckets of the time-to-acknowledge distribution (upper bounds in ms; the last is open). */
static const uint64_t bucket_ms[] = { 60000, 600000, 3600000, 7200000, 21600000, 86400000, 172800000 };
static const char *const bucket_label[] = { "&lt;1m", "&lt;10m", "&lt;1h", "&lt;2h", "&lt;6h", "&lt;1d", "&lt;2d",
	"&#8805;2d" };
#define NBUCKETS 8

static parley_code chart_ack(parley_buf *out, const parley_report *r, size_t p)
{
	uint64_t count[NBUCKETS] = { 0 }, top = 0;
	for (size_t i = 0; i < r->nitems; i++) {
		const parley_report_item *it = &r->items[i];
		size_t b = 0;
		if (it->kind != PARLEY_RI_ACK || it->to != p)
			continue;
		while (b < NBUCKETS - 1 && it->ms >= bucket_ms[b])
			b++;
		count[b]++;
	}
	for (size_t b = 0; b < NBUCKETS; b++)
		top = count[b] > top ? count[b] : top;
	ADD("<figure><svg xmlns='http://www.w3.org/2000/svg' width='360' height='170' role='img'><title>time to "
	    "acknowledge, ");
	ESC(r->names[p]);
	ADD("</title>\n");
	for (size_t b = 0; b < NBUCKETS; b++) {
		unsigned h = top ? (unsigned)(count[b] * 120 / top) : 0;
		unsigned x = 10 + (unsigned)b * 43;
		ADD("<rect x='%u' y='%u' width='36' height='%u' class='bar'/><text x='%u' y='%u' class='n'>%llu</text>"
		    "<text x='%u' y='160' class='l'>%s</text>\n",
			x, 135 - h, h, x + 18, 130 - h, (unsigned long long)count[b], x + 18, bucket_label[b]);
	}
	ADD("</svg><figcaption>time to acknowledge: ");
	ESC(r->names[p]);
	ADD("</figcaption></figure>\n");
	return PARLEY_OK;
}

/* Months as y*12+m (m 0..11) from integration times. */
static unsigned month_of(uint64_t ms)
{
	char d[32];
	day(d, ms);
	unsigned y = (unsigned)strtoul(d, NULL, 10), m = (unsigned)strtoul(d + 5, NULL, 10);
	return y * 12 + (m ? m - 1 : 0);
}

#define MAX_MONTHS 60

static parley_code chart_months(parley_buf *out, const parley_report *r, size_t p)
{
	unsigned first = 0, last = 0;
	bool any = false;
	uint64_t met[MAX_MONTHS] = { 0 }, late[MAX_MONTHS] = { 0 }, missed[MAX_MONTHS] = { 0 }, top = 0;
	for (size_t i = 0; i < r->nitems; i++) {
		const parley_report_item *it = &r->items[i];
		if (it->kind != PARLEY_RI_OBLIGATION || it->to != p)
			continue;
		unsigned m = month_of(it->opened_ms);
		if (!any || m < first)
			first = m;
		if (!any || m > last)
			last = m;
		any = true;
	}
	if (!any)
		return PARLEY_OK;
	if (last - first >= MAX_MONTHS)
		first = last - MAX_MONTHS + 1;
	for (size_t i = 0; i < r->nitems; i++) {
		const parley_report_item *it = &r->items[i];
		unsigned m;
		if (it->kind != PARLEY_RI_OBLIGATION || it->to != p || (m = month_of(it->opened_ms)) < first)
			continue;
		if (it->outcome == PARLEY_OUT_MET)
			met[m - first]++;
		else if (it->outcome == PARLEY_OUT_LATE)
			late[m - first]++;
		else if (it->outcome == PARLEY_OUT_MISSED || it->outcome == PARLEY_OUT_MISSED_UNCONFIRMED)
			missed[m - first]++;
	}
	unsigned nm = last - first + 1;
	for (unsigned m = 0; m < nm; m++)
		top = met[m] + late[m] + missed[m] > top ? met[m] + late[m] + missed[m] : top;
	ADD("<figure><svg xmlns='http://www.w3.org/2000/svg' width='%u' height='170' role='img'><title>obligations per "
	    "month, ",
		20 + nm * 50);
	ESC(r->names[p]);
	ADD("</title>\n");
	for (unsigned m = 0; m < nm; m++) {
		unsigned x = 10 + m * 50, y = 135;
		uint64_t v[3] = { met[m], late[m], missed[m] };
		static const char *const cls[3] = { "met", "late", "missed" };
		for (int k = 0; k < 3; k++) {
			unsigned h = top ? (unsigned)(v[k] * 120 / top) : 0;
			if (!v[k])
				continue;
			y -= h;
			ADD("<rect x='%u' y='%u' width='40' height='%u' class='%s'><title>%s: %llu</title></rect>\n", x, y, h,
				cls[k], cls[k], (unsigned long long)v[k]);
		}
		ADD("<text x='%u' y='160' class='l'>%04u-%02u</text>\n", x + 20, (first + m) / 12, (first + m) % 12 + 1);
	}
	ADD("</svg><figcaption>obligations met, late and missed per month (by the thread's opening): ");
	ESC(r->names[p]);
	ADD("</figcaption></figure>\n");
	return PARLEY_OK;
}

static parley_code chart_pings(parley_buf *out, const parley_report *r)
{
	uint64_t t0 = 0, t1 = 0, top = 0;
	bool any = false;
	static const char *const colour[] = { "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2" };
	for (size_t i = 0; i < r->nitems; i++) {
		const parley_report_item *it = &r->items[i];
		if (it->kind != PARLEY_RI_PING)
			continue;
		if (!any || it->opened_ms < t0)
			t0 = it->opened_ms;
		if (!any || it->opened_ms > t1)
			t1 = it->opened_ms;
		top = it->ms > top ? it->ms : top;
		any = true;
	}
	if (!any)
		return PARLEY_OK;
	char a[32], b[32], m[24];
	day(a, t0);
	day(b, t1);
	dur(m, top);
	ADD("<h2>Ping round trips over time</h2>\n<figure><svg xmlns='http://www.w3.org/2000/svg' width='620' "
	    "height='220' role='img'><title>ping round trips</title>\n"
	    "<line x1='50' y1='190' x2='610' y2='190' class='axis'/><line x1='50' y1='10' x2='50' y2='190' class='axis'/>\n"
	    "<text x='50' y='210' class='l'>%s</text><text x='600' y='210' class='l'>%s</text>"
	    "<text x='45' y='15' class='y'>%s</text><text x='45' y='190' class='y'>0</text>\n",
		a, b, m);
	for (size_t i = 0; i < r->nitems; i++) {
		const parley_report_item *it = &r->items[i];
		char d[24];
		if (it->kind != PARLEY_RI_PING)
			continue;
		unsigned x = 50 + (unsigned)(t1 > t0 ? (it->opened_ms - t0) * 560 / (t1 - t0) : 280);
		unsigned y = 190 - (unsigned)(top ? it->ms * 180 / top : 0);
		dur(d, it->ms);
		ADD("<circle cx='%u' cy='%u' r='4' fill='%s'><title>", x, y, colour[it->to % 6]);
		ESC(r->names[it->to]);
		ADD(": %s (ping %llu)</title></circle>\n", d, (unsigned long long)it->opener);
	}
	ADD("</svg><figcaption>");
	for (size_t p = 0; p < r->nparties; p++) {
		ADD("<span style='color:%s'>&#9679; ", colour[p % 6]);
		ESC(r->names[p]);
		ADD("</span> ");
	}
	ADD("(each dot: a ping to that party, its round trip)</figcaption></figure>\n");
	return PARLEY_OK;
}

parley_code parley_report_html(const parley_report *r, parley_buf *out)
{
	char a[32], b[32];
	day(a, r->from_ms);
	day(b, r->to_ms == PARLEY_REPORT_OPEN_END ? 0 : r->to_ms);
	ADD("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>\n"
	    "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	    "<title>parley report: ");
	ESC(r->title);
	ADD("</title>\n<style>\nbody{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;"
	    "font-size:90%%}td,th{border:1px solid #bbb;padding:3px 6px;text-align:right}th{background:#f3f3f3}"
	    "tbody th{text-align:left}.met{fill:#2ca02c;color:#1a661a}.late{fill:#ff9f1c;color:#a65f00}"
	    ".missed{fill:#d62728;color:#a01010}.bar{fill:#1f77b4}text{font-size:11px}text.n,text.l{text-anchor:middle}"
	    "text.y{text-anchor:end}.axis{stroke:#888}figure{display:inline-block;margin:0 1em 1em 0}"
	    "code{font-size:90%%}\n</style></head><body>\n<h1>Timeliness report: ");
	ESC(r->title);
	ADD("</h1>\n<p>Channel <code>%s</code>; period %s to %s (threads, pings and PSI requests opened in it, by the "
	    "relay's integration time); evidence: a checkpoint of %llu entries, cosigned by ",
		r->channel, r->from_ms ? a : "the start of the log",
		r->to_ms == PARLEY_REPORT_OPEN_END ? "the end of the log" : b, (unsigned long long)r->size);
	bool any = false;
	for (size_t i = 0; i < r->nparties; i++)
		if (r->cosigned[i]) {
			ADD("%s", any ? ", " : "");
			ESC(r->names[i]);
			any = true;
		}
	ADD("%s.</p>\n", any ? "" : "no party");
	if (r->nparts > 1 || r->has_pred) {
		/* the chain of charters the figures come from (docs/protocol.md §7.2.1) */
		ADD("<p>One dialogue over %zu channel%s of a succession (a party is the same party by name in each):</p>\n<ol>\n",
			r->nparts > 1 ? r->nparts : (size_t)1, r->nparts > 1 ? "s" : "");
		for (size_t k = 0; k < (r->nparts > 1 ? r->nparts : 1); k++) {
			const parley_report *p = r->nparts > 1 ? &r->parts[k] : r;
			ADD("<li><code>%.16s&hellip;</code> ", p->channel);
			ESC(p->title);
			ADD(": a checkpoint of %llu entries", (unsigned long long)p->size);
			if (p->handed_over) {
				char h[65], t[32];
				parley_hex(h, p->successor, 32);
				day(t, p->end_ms);
				ADD("; handed over to <code>%.16s&hellip;</code> on %s at log size %llu (its open threads count "
				    "here)",
					h, t, (unsigned long long)p->end_size);
			}
			ADD("</li>\n");
		}
		ADD("</ol>\n");
		if (r->has_pred) {
			char h[65];
			parley_hex(h, r->pred, 32);
			ADD("<p>The first charter succeeds <code>%.16s&hellip;</code>, whose log is not part of this report.</p>\n",
				h);
		}
	}
	ADD("<p>Outcomes are the obligation engine's (docs/protocol.md &sect;7.0): a party is blamed (late, "
	    "missed) only when its own cosignature of the log was made after the deadline. Medians and 90th "
	    "percentiles are nearest-rank: observed durations.</p>\n<h2>Per party, as recipient</h2>\n<table><thead>%s"
	    "</thead><tbody>\n",
		table_head);
	for (size_t i = 0; i < r->nparties; i++)
		if (row(out, r->names[i], NULL, &r->party[i]))
			return PARLEY_E_NOMEM;
	ADD("</tbody></table>\n<h2>Per direction (A &rarr; B: B's conduct in what A opened)</h2>\n<table><thead>%s"
	    "</thead><tbody>\n",
		table_head);
	for (size_t i = 0; i < r->nparties; i++)
		for (size_t j = 0; j < r->nparties; j++) {
			const parley_report_figures *f = &r->dir[i * r->nparties + j];
			/* the directions in which anything was opened */
			if (i == j || !(f->notifications || f->requests || f->pings || f->psi_requests))
				continue;
			if (row(out, r->names[i], r->names[j], f))
				return PARLEY_E_NOMEM;
		}
	ADD("</tbody></table>\n<h2>Time to acknowledge</h2>\n");
	for (size_t p = 0; p < r->nparties; p++)
		if (chart_ack(out, r, p))
			return PARLEY_E_NOMEM;
	ADD("<h2>Obligations per month</h2>\n");
	for (size_t p = 0; p < r->nparties; p++)
		if (chart_months(out, r, p))
			return PARLEY_E_NOMEM;
	if (chart_pings(out, r))
		return PARLEY_E_NOMEM;
	ADD("</body></html>\n");
	return PARLEY_OK;
}
