/* cmd_report.c - parley report | check-report: timeliness reports, and report bundles anyone can check offline. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parley/node.h"
#include "parley/report.h"
#include "banned.h"

static const char report_usage[] =
	"usage: parley [--home DIR] report [--channel ID] [--from DATE] [--to DATE] [--json]\n"
	"                                  [--bundle FILE] [--html FILE] [--offline]\n"
	"\n"
	"How each party answered the other side over a period, from the local replica:\n"
	"per party (as recipient) and per direction (A->B: B's conduct in what A opened),\n"
	"side by side: notifications and requests received; obligations met, late,\n"
	"missed, missed-unconfirmed, not established and not applicable (withdrawn\n"
	"among them), as the obligation engine decides them (docs/protocol.md 7.0:\n"
	"blame needs the party's own cosignature of the log after the deadline); time\n"
	"to acknowledge and to respond (median, 90th percentile, maximum; nearest rank);\n"
	"pings answered and their round trips; escalations; PSI requests answered and\n"
	"refused. A thread, ping or PSI request counts in the period in which it was\n"
	"opened (the relay's integration time); its answers count with it.\n"
	"\n"
	"A channel continued under a successor charter is one dialogue: the report\n"
	"covers every channel of the chain this home follows that the period meets,\n"
	"merged by party name (a rotated key is the same party), and its bundle holds\n"
	"each channel's part with the handovers that link them.\n"
	"\n"
	"The figures rest on the last verified checkpoint (run 'parley sync' first),\n"
	"with every cosignature the relay holds for it (--offline: only those stored).\n"
	"\n"
	"  --from DATE, --to DATE   YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC); a bare --to\n"
	"                           date includes that day. Default: the whole log.\n"
	"  --json                   the figures as JSON (what check-report --json prints)\n"
	"  --bundle FILE            also write a report bundle: the charter, the checkpoint\n"
	"                           signed by the relay and cosigned by the parties, and every\n"
	"                           entry of the period (and those that decide its threads)\n"
	"                           with inclusion proofs, contents sealed, and the figures.\n"
	"                           'parley check-report FILE' recomputes them offline.\n"
	"  --html FILE              also write a self-contained HTML page with the same\n"
	"                           tables and SVG charts (no script, no external resource)\n"
	"\n"
	"Example:\n"
	"  parley report --from 2026-10-01 --to 2026-10-31 --bundle october.json\n";

static const char check_usage[] =
	"usage: parley check-report [--json] [--html FILE] BUNDLE.json\n"
	"\n"
	"Verify a report bundle made by 'parley report --bundle' with nothing but the\n"
	"bundle: the charter's signatures, the relay's signature and the cosignatures on\n"
	"the checkpoint, every entry's signature, scope, creation time and inclusion\n"
	"proof, that the range it claims complete has every entry (times never going\n"
	"back) and covers the period; then recompute every figure with the obligation\n"
	"engine and compare it with the figures the bundle states. Any difference fails.\n"
	"Prints the report as 'parley report' does (--json: the same JSON).\n"
	"Exit 0 when the bundle is valid, 1 naming what fails, 2 for a usage error.\n"
	"\n"
	"Example:\n"
	"  parley check-report --json q4.json | jq '.parties[] | {party, obligations}'\n";

static int write_file(const char *path, const parley_buf *b)
{
	parley_err err = { 0 };
	if (parley_file_write(path, b->data, b->len, 0644, false, &err))
		return cli_fail(&err);
	return EXIT_OK;
}

/* Print the report (text or JSON) and write the HTML page when asked. */
static int emit(const parley_report *rep, bool as_json, const char *html)
{
	parley_buf b = PARLEY_BUF_INIT;
	int ret = EXIT_OK;

	if (as_json) {
		json_t *js = parley_report_json(rep);
		char *s = js ? json_dumps(js, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		if (!s)
			ret = cli_failf("out of memory");
		else
			printf("%s\n", s);
		free(s);
		json_decref(js);
	} else if (parley_report_text(rep, &b)) {
		ret = cli_failf("out of memory");
	} else {
		cli_write_stdout(b.data, b.len);
	}
	if (!ret && html) {
		parley_buf_reset(&b);
		if (parley_report_html(rep, &b))
			ret = cli_failf("out of memory");
		else
			ret = write_file(html, &b);
	}
	parley_buf_release(&b);
	return ret;
}

/* A channel handed over to a successor this home does not follow: its figures stop at the handover. */
static void warn_unfollowed_successor(parley_node *node, const parley_report *rep)
{
	uint8_t id[32];
	parley_node_succession s;
	char h[65], t[21];
	if (parley_unhex(id, 32, rep->channel, 64) || parley_node_succession_get(node, id, &s, NULL) || !s.ended ||
		s.succ_joined || rep->to_ms <= s.end_ms)
		return;
	parley_hex(h, s.successor, 32);
	parley_time_fmt(t, (int64_t)(s.end_ms / 1000));
	fprintf(stderr,
		"parley: warning: the channel was handed over to %.16s... at %s; this home does not follow it, so the "
		"report has nothing opened there (parley join SUCCESSOR.json, then sync)\n",
		h, t);
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "bundle", required_argument, NULL, 'b' },
		{ "html", required_argument, NULL, 'H' },
		{ "offline", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *chan = NULL, *from = NULL, *to = NULL, *bundle = NULL, *html = NULL;
	bool as_json = false, offline = false;
	uint64_t from_ms = 0, to_ms = PARLEY_REPORT_OPEN_END;
	parley_seckey *key = NULL;
	parley_node *node = NULL;
	parley_err err = { 0 };
	parley_report rep = PARLEY_REPORT_INIT;
	parley_buf b = PARLEY_BUF_INIT;
	uint8_t id[32];
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': chan = optarg; break;
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'j': as_json = true; break;
		case 'b': bundle = optarg; break;
		case 'H': html = optarg; break;
		case 'o': offline = true; break;
		case 'h': return cli_help(report_usage);
		default: return cli_usage_error("report", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("report", "unexpected argument '%s'", argv[optind]);
	if ((from && parley_report_date(from, false, &from_ms, &err)) || (to && parley_report_date(to, true, &to_ms, &err)))
		return cli_usage_error("report", "%s", err.msg);
	if (from_ms >= to_ms)
		return cli_usage_error("report", "--to must be after --from");
	if ((ret = cli_open_node(&key, &node)))
		return ret;
	if (parley_node_channel(node, chan, id, &err) ||
		parley_node_report(node, id, from_ms, to_ms, !offline, &rep, bundle ? &b : NULL, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if (bundle && (ret = write_file(bundle, &b)))
		goto out;
	warn_unfollowed_successor(node, &rep);
	ret = emit(&rep, as_json, html);
out:
	parley_report_release(&rep);
	parley_buf_release(&b);
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}

int cmd_check_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *html = NULL;
	bool as_json = false;
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	parley_report rep = PARLEY_REPORT_INIT;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = true; break;
		case 'H': html = optarg; break;
		case 'h': return cli_help(check_usage);
		default: return cli_usage_error("check-report", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("check-report", "expected one report bundle");
	if (parley_file_read(argv[optind], PARLEY_REPORT_MAX_BYTES, &b, &err) ||
		parley_report_check((const char *)b.data, b.len, &rep, &err)) {
		if (as_json)
			printf("{\"valid\": false, \"error\": \"%s\"}\n", "see standard error");
		ret = cli_fail(&err);
	} else {
		ret = emit(&rep, as_json, html);
	}
	parley_report_release(&rep);
	parley_buf_release(&b);
	return ret;
}
