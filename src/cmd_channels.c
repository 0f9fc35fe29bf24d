/* cmd_channels.c - parley channels: the channels of a home, read from its files (no key, no relay). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "parley/charter.h"
#include "parley/home.h"
#include "parley/util.h"
#include "banned.h"

static const char usage_text[] =
	"usage: parley [--home DIR] channels [--json]\n"
	"\n"
	"List the channels this home joined, from its files (no passphrase, no relay):\n"
	"id, title, parties (auditors marked), relay, state and when the charter expires.\n"
	"State: 'active'; 'not yet valid'; 'winding down' after the charter's end (answers\n"
	"to earlier threads only); 'halted' when this node stopped trusting the relay\n"
	"(the evidence named; 'parley resume' after investigating).\n"
	"Every command's --channel takes an id prefix from here or the title.\n"
	"  --json   one JSON array: [{\"id\", \"title\", \"parties\": [{\"name\", \"role\"}],\n"
	"           \"relay\", \"state\", \"halted\" (the reason, when halted),\n"
	"           \"valid_from\", \"valid_until\" (RFC 3339, UTC)}]\n\n"
	"\n"
	"Example:\n"
	"  parley --home ~/hotline channels --json\n";

static const char *state_of(const parley_home_channel *c, int64_t now)
{
	int64_t from, until;
	if (c->halted[0])
		return "halted";
	parley_charter_validity(c->charter, &from, &until);
	if (now < from)
		return "not yet valid";
	if (now >= until)
		return "winding down";
	return "active";
}

int cmd_channels(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	parley_home_channel *v = NULL;
	parley_err err = { 0 };
	char buf[1024];
	bool as_json = false;
	size_t n = 0;
	int c, ret = EXIT_OK;
	int64_t now = (int64_t)time(NULL);

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = true; break;
		case 'h': return cli_help(usage_text);
		default: return cli_usage_error("channels", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("channels", "unexpected argument '%s'", argv[optind]);
	if (parley_home_channels(cli_home(buf, sizeof(buf)), &v, &n, &err))
		return cli_fail(&err);
	json_t *arr = as_json ? json_array() : NULL;
	if (as_json && !arr) {
		parley_home_channels_free(v, n);
		return cli_failf("out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const parley_home_channel *ch = &v[i];
		int64_t from, until;
		char tf[21], tu[21];
		parley_charter_validity(ch->charter, &from, &until);
		parley_time_fmt(tf, from);
		parley_time_fmt(tu, until);
		if (as_json) {
			json_t *parties = json_array(), *o;
			for (size_t k = 0; k < parley_charter_nparties(ch->charter); k++) {
				const parley_party *p = parley_charter_party_at(ch->charter, k);
				json_array_append_new(parties, json_pack("{s:s, s:s}", "name", p->key.name, "role",
								       p->role == PARLEY_ROLE_PARTY ? "party" : "auditor"));
			}
			o = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:s}", "id", ch->hex, "title",
				parley_charter_title(ch->charter), "parties", parties, "relay", ch->relay, "state",
				state_of(ch, now), "valid_from", tf, "valid_until", tu);
			if (o && ch->halted[0])
				json_object_set_new(o, "halted", json_string(ch->halted));
			if (!o || json_array_append_new(arr, o)) {
				ret = cli_failf("out of memory");
				break;
			}
			continue;
		}
		printf("%s  %s\n", ch->hex, parley_charter_title(ch->charter));
		printf("  parties:  ");
		for (size_t k = 0; k < parley_charter_nparties(ch->charter); k++) {
			const parley_party *p = parley_charter_party_at(ch->charter, k);
			printf("%s%s%s", k ? ", " : "", p->key.name, p->role == PARLEY_ROLE_PARTY ? "" : " (auditor)");
		}
		printf("\n  relay:    %s\n  state:    %s", ch->relay, state_of(ch, now));
		if (ch->halted[0])
			printf(" (%s)", ch->halted);
		printf("\n  valid:    %s to %s\n", tf, tu);
	}
	if (as_json && ret == EXIT_OK) {
		char *s = json_dumps(arr, JSON_INDENT(2));
		if (!s)
			ret = cli_failf("out of memory");
		else
			printf("%s\n", s);
		free(s);
	}
	if (!as_json && n == 0)
		printf("no channel joined yet ('parley join')\n");
	json_decref(arr);
	parley_home_channels_free(v, n);
	return ret;
}
