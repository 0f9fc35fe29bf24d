/* cmd_psi.c - parley psi request | respond | result: compare indicators without revealing them. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "parley/node.h"
#include "parley/psi.h"
#include "banned.h"

static const char usage_text[] =
	"usage: parley [--home DIR] psi request --to NAME --set FILE [--cardinality-only] [--category CAT]\n"
	"                                       [--skip-invalid] [--dry-run] [--json]\n"
	"       parley [--home DIR] psi respond N --set FILE [--skip-invalid] [--dry-run] [--json]\n"
	"       parley [--home DIR] psi result N [--json]\n"
	"       parley [--home DIR] psi policy (--set FILE [--skip-invalid] | --off)\n"
	"\n"
	"Private set intersection of indicators of compromise with another party\n"
	"(RFC 9497 OPRF over ristretto255): each side learns only what is common, or\n"
	"only how many with --cardinality-only, and both set sizes.\n"
	"\n"
	"A set FILE holds one indicator per line, its type inferred or given as\n"
	"type:value (ipv4-addr, ipv6-addr, domain-name, url, email-addr, file:sha256,\n"
	"file:sha1, file:md5), or is a STIX bundle whose indicators have simple equality\n"
	"patterns (the bundle is checked as 'parley stix validate' does, and refused,\n"
	"with the validator's lines, when it is invalid). Values are normalised\n"
	"(README, \"Indicator normalisation\": e-mail addresses without case unless\n"
	"the charter's psi.email_local_case is \"sensitive\") and duplicates removed; request and respond say how many\n"
	"indicators, duplicates and rejected lines the file had. A set with lines (or\n"
	"indicators) parley cannot read is refused before anything is sent, naming\n"
	"the first line numbers; --skip-invalid sends the rest and lists what was skipped.\n"
	"\n"
	"request  send blinded indicators to NAME; prints the request's log index last.\n"
	"         Refused before sending: NAME oneself or an auditor, a set outside the\n"
	"         charter's sizes, and a request the charter's daily quota would refuse\n"
	"         (the quota counts answered requests; refused or unanswered ones do not)\n"
	"respond  answer request N with FILE (the charter's PSI limits are enforced;\n"
	"         a refusal is itself logged with its reason)\n"
	"result   after a sync: the common indicators, one per line, or 'count: K';\n"
	"         exit 1 if the request was refused, 3 if no complete answer yet\n"
	"policy   a standing decision: on every sync, answer each complete request\n"
	"         addressed here with FILE (read at that time); --off ends it\n"
	"\n"
	"--channel ID picks the channel when the home has several.\n"
	"--json (request, respond, result) prints one JSON object (docs/cli-json.md).\n"
	"\n"
	"--dry-run (request, respond) prints the first entry that would be appended\n"
	"(its header), how many entries and elements, or the refusal respond would\n"
	"log, from the local replica; nothing is sent, not even a sync.\n"
	"\n"
	"Example:\n"
	"  parley psi request --to cert-b --set iocs.txt   # prints the request's index, say 40\n"
	"  parley sync; parley psi result 40\n";

static int load_set(const char *path, unsigned flags, bool skip_invalid, parley_iset *set)
{
	parley_buf problems = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	if (parley_iset_load_checked(path, flags, skip_invalid, set, &problems, &err)) {
		if (set->stix_errors && problems.len) {
			/* the validator's own lines, as 'parley stix validate' prints them; then the refusal */
			fprintf(stderr, "%.*s", (int)problems.len, (const char *)problems.data);
			parley_buf_release(&problems);
			parley_iset_release(set);
			return cli_failf("%s (nothing sent; --skip-invalid does not skip an invalid bundle)", err.msg);
		}
		parley_buf_release(&problems);
		if (err.code == PARLEY_E_FORMAT)
			return cli_failf("%s (nothing sent; --skip-invalid sends the rest)", err.msg);
		return cli_fail(&err);
	}
	if (problems.len) {
		/* the first ten, then how many more: a file of junk must not flood the terminal */
		const char *p = (const char *)problems.data, *nl;
		size_t shown = 0, more = 0;
		fprintf(stderr, "parley: warning: %s: skipped:\n", path);
		for (; *p; p = nl + 1) {
			if (!(nl = strchr(p, '\n')))
				break;
			if (shown < 10) {
				fprintf(stderr, "%.*s\n", (int)(nl - p), p);
				shown++;
			} else {
				more++;
			}
		}
		if (more)
			fprintf(stderr, "... and %zu more\n", more);
	}
	parley_buf_release(&problems);
	if (set->n == 0) {
		parley_iset_release(set);
		return cli_failf("%s: no indicators", path);
	}
	return EXIT_OK;
}

/* Print o (a new reference), with the set's members when s; EXIT_OK, or EXIT_FAIL when it could not be built. */
static int print_json(json_t *o, const parley_iset *s, const char *file)
{
	char *t;
	if (o && s)
		json_object_set_new(o, "set",
			json_pack("{s:s, s:I, s:I, s:I}", "file", file, "indicators", (json_int_t)s->n, "duplicates",
				(json_int_t)s->duplicates, "rejected", (json_int_t)s->rejected));
	t = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!t)
		return cli_failf("cannot build the JSON document (out of memory?)");
	printf("%s\n", t);
	free(t);
	return EXIT_OK;
}

int cmd_psi(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "set", required_argument, NULL, 's' },
		{ "cardinality-only", no_argument, NULL, 'C' },
		{ "category", required_argument, NULL, 'g' },
		{ "channel", required_argument, NULL, 'c' },
		{ "off", no_argument, NULL, 'O' },
		{ "skip-invalid", no_argument, NULL, 'S' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *to = NULL, *setf = NULL, *cat = NULL, *chan = NULL, *sub;
	bool card = false, off = false, skip = false, dry = false, as_json = false;
	parley_seckey *key = NULL;
	parley_node *node = NULL;
	parley_iset set = { 0 };
	parley_psi_outcome o;
	parley_err err = { 0 };
	uint8_t id[32];
	uint64_t n = 0;
	int c, ret;

	memset(&o, 0, sizeof(o));
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return argc < 2 ? cli_usage_error("psi", "expected request, respond or result") : cli_help(usage_text);
	sub = argv[1];
	if (strcmp(sub, "request") && strcmp(sub, "respond") && strcmp(sub, "result") && strcmp(sub, "policy"))
		return cli_usage_error("psi", "unknown subcommand '%s'", sub);
	argc--;
	argv++;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': to = optarg; break;
		case 's': setf = optarg; break;
		case 'C': card = true; break;
		case 'g': cat = optarg; break;
		case 'c': chan = optarg; break;
		case 'O': off = true; break;
		case 'S': skip = true; break;
		case 'n': dry = true; break;
		case 'j': as_json = true; break;
		case 'h': return cli_help(usage_text);
		default: return cli_usage_error("psi", "unknown option");
		}
	}
	if (strcmp(sub, "policy") == 0) {
		char buf[1024];
		const char *home = cli_home_dir ? cli_home_dir : getenv("PARLEY_HOME");
		if (!home || !*home) {
			snprintf(buf, sizeof(buf), "%s/.parley", getenv("HOME") ? getenv("HOME") : ".");
			home = buf;
		}
		if (optind != argc || !setf == !off)
			return cli_usage_error("psi policy", "expected --set FILE or --off");
		if (as_json)
			return cli_usage_error("psi policy", "--json applies to request, respond and result");
		/* checked here under the default rules; each answer reads it again under its channel's charter */
		if (setf && (ret = load_set(setf, 0, skip, &set)))
			return ret;
		parley_iset_release(&set);
		if (parley_node_psi_policy(home, setf, &err))
			return cli_fail(&err);
		printf(setf ? "PSI requests will be answered on every sync with %s\n" : "no standing PSI policy%s\n",
			setf ? setf : "");
		return EXIT_OK;
	}
	if (dry && strcmp(sub, "request") != 0 && strcmp(sub, "respond") != 0)
		return cli_usage_error("psi", "--dry-run applies to request and respond");
	if (dry && as_json)
		return cli_usage_error("psi", "--dry-run prints the entry for people; give it without --json");
	if (strcmp(sub, "request") == 0) {
		if (!to || !setf || optind != argc)
			return cli_usage_error("psi request", "expected --to NAME --set FILE");
	} else {
		if (optind + 1 != argc || !cli_parse_u64(argv[optind], 0, UINT64_MAX, &n))
			return cli_usage_error(sub[2] == 's' && sub[3] == 'p' ? "psi respond" : "psi result",
				"expected the request's log index");
		if (strcmp(sub, "respond") == 0 && !setf)
			return cli_usage_error("psi respond", "--set FILE is required");
	}
	if ((ret = cli_open_node(&key, &node)))
		goto out;
	if (parley_node_channel(node, chan, id, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	/* the set, normalised by the channel's charter: the rule both sides of the exchange use */
	if (setf) {
		const parley_charter *ch = parley_node_charter(node, id);
		unsigned flags = ch && parley_charter_psi_email_case_sensitive(ch) ? PARLEY_NORM_EMAIL_LOCAL_CASE : 0;
		if ((ret = load_set(setf, flags, skip, &set)))
			goto out;
		if (!as_json && !dry)
			printf("%s: %zu indicators (%zu duplicate%s removed, %zu line%s rejected)\n", setf, set.n, set.duplicates,
				set.duplicates == 1 ? "" : "s", set.rejected, set.rejected == 1 ? "" : "s");
	}
	if (dry) {
		parley_psi_preview pv;
		char what[160];
		int mode = card ? PARLEY_PSI_CARDINALITY : PARLEY_PSI_INTERSECTION;
		if (sub[2] == 'q' ? parley_node_psi_request_preview(node, id, to, &set, mode, cat, &pv, &err)
				  : parley_node_psi_respond_preview(node, id, n, &set, &pv, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		if (pv.refused)
			snprintf(what, sizeof(what), "a refusal, sealed to the requester");
		else if (sub[2] == 'q')
			snprintf(what, sizeof(what), "%llu blinded indicators in %zu psi-request entries%s",
				(unsigned long long)pv.elements, pv.entries, card ? " (cardinality only)" : "");
		else
			snprintf(what, sizeof(what), "%llu evaluated elements and %llu tags in %zu psi-response entries",
				(unsigned long long)pv.elements, (unsigned long long)pv.tags, pv.entries);
		cli_print_preview(node, id, &pv.h, NULL, 0, what);
		if (pv.refused)
			printf("reason:     %s\n", pv.reason);
		ret = EXIT_OK;
		goto out;
	}
	if (strcmp(sub, "request") == 0) {
		uint64_t index;
		if (parley_node_psi_request(node, id, to, &set, card ? PARLEY_PSI_CARDINALITY : PARLEY_PSI_INTERSECTION, cat,
			    &index, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		if (as_json) {
			ret = print_json(json_pack("{s:I, s:s, s:s}", "request", (json_int_t)index, "to", to, "mode",
						 card ? "cardinality" : "intersection"),
				&set, setf);
			goto out;
		}
			printf("%s request for %zu indicators sent to %s\n%llu\n", card ? "cardinality-only PSI" : "PSI", set.n,
				to, (unsigned long long)index);
	} else if (strcmp(sub, "respond") == 0) {
		if (parley_node_psi_respond(node, id, n, &set, &o, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		if (as_json) {
			json_t *j = json_pack("{s:I, s:b, s:s?, s:b, s:I, s:I}", "request", (json_int_t)n, "refused", o.refused,
				"reason", o.refused ? o.reason : NULL, "cardinality", o.cardinality, "evaluated",
				(json_int_t)(o.refused ? 0 : o.their_size), "tags", (json_int_t)(o.refused ? 0 : set.n));
			ret = print_json(j, &set, setf);
			goto out;
		}
		if (o.refused) {
			printf("refused request %llu (logged): %s\n", (unsigned long long)n, o.reason);
		} else {
			printf("answered request %llu: %llu blinded indicators evaluated, %zu of ours sent as tags%s\n",
				(unsigned long long)n, (unsigned long long)o.their_size, set.n,
				o.cardinality ? " (cardinality only)" : "");
		}
	} else {
		parley_code rc = parley_node_psi_result(node, id, n, &o, &err);
		if (rc) {
			ret = cli_fail(&err);
			if (rc == PARLEY_E_PENDING)
				ret = EXIT_PENDING;
			goto out;
		}
		if (o.refused) {
			ret = cli_failf("request %llu was refused: %s", (unsigned long long)n, o.reason);
			goto out;
		}
		if (as_json) {
			json_t *common = o.cardinality ? json_null() : json_array();
			for (size_t i = 0; common && !o.cardinality && i < o.common.n; i++)
				json_array_append_new(common, json_string(o.common.items[i]));
			ret = print_json(json_pack("{s:I, s:b, s:I, s:I, s:o}", "request", (json_int_t)n, "cardinality",
						 o.cardinality, "count", (json_int_t)o.count, "their_size",
						 (json_int_t)o.their_size, "common", common),
				NULL, NULL);
			goto out;
		}
		if (o.cardinality)
			printf("count: %llu\n", (unsigned long long)o.count);
		else
			for (size_t i = 0; i < o.common.n; i++)
				printf("%s\n", o.common.items[i]);
		fprintf(stderr, "%llu in common (they have %llu indicators)\n", (unsigned long long)o.count,
			(unsigned long long)o.their_size);
	}
	ret = EXIT_OK;
out:
	parley_iset_release(&o.common);
	parley_iset_release(&set);
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}
