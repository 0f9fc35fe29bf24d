/* cmd_proof.c - parley check-proof: verify a proof bundle offline, with nothing else. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parley/proof.h"
#include "parley/evidence.h"
#include "banned.h"

static const char usage_text[] =
	"usage: parley check-proof [--json] PROOF.json\n"
	"\n"
	"Verify a proof bundle made by 'parley prove' with nothing but the bundle: no\n"
	"keys, no network, no node home. Checks the charter's signatures, the relay's\n"
	"signature and the members' cosignatures on each checkpoint and their\n"
	"consistency, every entry's signature and inclusion proof, that the range it\n"
	"claims complete has every entry with times never going back, every signed\n"
	"read, and the revealed content key (then re-creates every recipient's seal).\n"
	"Prints who sent what to whom and when it was integrated, how each recipient\n"
	"is shown to have held it, one line per obligation (party, acknowledge or\n"
	"respond, deadline, outcome: met, late, missed, missed-unconfirmed,\n"
	"not-established, not-applicable), the verdict, and the revealed content\n"
	"(docs/protocol.md section 7.0). A party is blamed (missed, late) only when its\n"
	"own signature covers the log past the deadline.\n"
	"\n"
	"--json prints the same as JSON: valid, channel, checkpoint, subject,\n"
	"delivery, obligations [{party, kind, deadline, outcome, at, entry,\n"
	"late_by_ms}], verdict {code, text, parties}, content.\n"
	"\n"
	"Exit 0 when the bundle is valid, 1 naming what fails, 2 for a usage error.\n"
	"\n"
	"Example:\n"
	"  parley check-proof --json proof.json | jq -r .verdict.code\n";

int cmd_check_proof(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool as_json = false;
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	parley_proof_report rep;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = true; break;
		case 'h': return cli_help(usage_text);
		default: return cli_usage_error("check-proof", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("check-proof", "expected one proof file");
	if (parley_file_read(argv[optind], PARLEY_PROOF_MAX_BYTES, &b, &err))
		return cli_fail(&err);
	if (parley_proof_check((const char *)b.data, b.len, &rep, &err)) {
		if (as_json)
			printf("{\"valid\": false, \"error\": \"%s\"}\n", "see standard error");
		ret = cli_fail(&err);
	} else {
		if (as_json) {
			char *s = json_dumps(rep.json, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			printf("%s\n", s ? s : "{}");
			free(s);
		} else {
			cli_write_stdout(rep.text.data, rep.text.len);
		}
		parley_proof_report_release(&rep);
		ret = EXIT_OK;
	}
	parley_buf_release(&b);
	return ret;
}

static const char evidence_usage[] =
	"usage: parley check-evidence [--json] EVIDENCE.json\n"
	"\n"
	"Verify, offline, an evidence file that a node wrote when it caught, or\n"
	"suspected, its relay: the charter's signatures, the relay's signature on both\n"
	"checkpoints, and whether they contradict each other. Only a cryptographic\n"
	"contradiction is a proof of a split view (G4): two different trees of one\n"
	"size, or a consistency proof (from a size of at least 1) that leads to the\n"
	"larger tree's root from a root at the smaller size other than the one the\n"
	"smaller checkpoint signs. Anything else - a shorter checkpoint seen later\n"
	"(a rollback), a consistency proof that does not verify, a checkpoint of size\n"
	"0 - is a suspicion, which an honest relay's own checkpoints could produce:\n"
	"it is refused with \"not a proof: ...\" saying what it is.\n"
	"Exit 0 and a report on standard output for a proof, 1 otherwise.\n"
	"--json prints {\"file\", \"proof\": true, \"report\"} or {\"file\", \"proof\": false, \"reason\"}.\n"
	"\n"
	"Example:\n"
	"  parley check-evidence ~/.parley/evidence-3fa9.json\n";

int cmd_check_evidence(int argc, char **argv)
{
	parley_buf b = PARLEY_BUF_INIT, rep = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	const char *file = NULL;
	bool json = false;
	int ret = EXIT_OK;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return cli_help(evidence_usage);
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error("check-evidence", "unknown option '%s'", argv[i]);
		else if (file)
			return cli_usage_error("check-evidence", "expected one evidence file");
		else
			file = argv[i];
	}
	if (!file)
		return cli_usage_error("check-evidence", "expected one evidence file");
	bool ok = !parley_file_read(file, (size_t)1 << 22, &b, &err) &&
		!parley_evidence_check((const char *)b.data, b.len, &rep, &err);
	if (!ok)
		ret = cli_fail(&err);
	if (json) {
		json_t *o = ok ? json_pack("{s:s, s:b, s:s%}", "file", file, "proof", 1, "report", (const char *)rep.data,
				       rep.len)
			       : json_pack("{s:s, s:b, s:s}", "file", file, "proof", 0, "reason", err.msg);
		char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		if (s)
			printf("%s\n", s);
		else
			ret = cli_failf("the report is not UTF-8 text or out of memory");
		free(s);
		json_decref(o);
	} else if (ok) {
		cli_write_stdout(rep.data, rep.len);
	}
	parley_buf_release(&b);
	parley_buf_release(&rep);
	return ret;
}
