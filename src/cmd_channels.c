/* cmd_channels.c - parley channels: the channels of a home, read from its files (no key, no relay). */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "parley/charter.h"
#include "parley/home.h"
#include "parley/store.h"
#include "parley/succession.h"
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
	"           \"valid_from\", \"valid_until\" (RFC 3339, UTC), \"succession\"\n"
	"           (docs/cli-json.md: predecessor, successor, handovers, state)}]\n"
	"A channel in a chain of charters ('parley handover') also shows what it\n"
	"succeeds, what succeeds it, how far its handover went and whether it is active\n"
	"('not active yet' until its predecessor is handed over, 'wound down' after).\n"
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

/* Where a channel stands in its chain of charters, from its charter, the home's other charters and the replica. */
struct succ_view {
	bool any;                 /* nothing to say when false */
	const uint8_t *pred;      /* the predecessor its charter names */
	bool pred_joined;
	parley_succession st;     /* its log's handovers (as the replica holds them) */
	bool st_known;
	const uint8_t *next;      /* the successor: named by a handover, or a joined charter naming this one */
	bool next_joined;
	const char *state;
};

static const parley_home_channel *find_joined(const parley_home_channel *v, size_t n, const uint8_t id[32])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(v[i].id, id, 32) == 0)
			return &v[i];
	return NULL;
}

static void succession_of(const parley_home_channel *v, size_t n, size_t i, const parley_succession *all,
	const bool *known, struct succ_view *out)
{
	memset(out, 0, sizeof(*out));
	out->pred = parley_charter_predecessor(v[i].charter);
	out->pred_joined = out->pred && find_joined(v, n, out->pred);
	out->st = all[i];
	out->st_known = known[i];
	if (out->st.named) {
		out->next = out->st.successor;
	} else {
		for (size_t j = 0; j < n; j++) {
			const uint8_t *p = parley_charter_predecessor(v[j].charter);
			if (j != i && p && memcmp(p, v[i].id, 32) == 0)
				out->next = v[j].id;
		}
	}
	out->next_joined = out->next && find_joined(v, n, out->next);
	out->any = out->pred || out->next;
	if (parley_succession_ended(&out->st))
		out->state = "wound down";
	else if (out->st.named)
		out->state = "handing over";
	else if (out->pred && out->pred_joined) {
		const parley_home_channel *pc = find_joined(v, n, out->pred);
		size_t k = (size_t)(pc - v);
		out->state = known[k] && parley_succession_ended(&all[k]) && memcmp(all[k].successor, v[i].id, 32) == 0 ?
				     "active" :
				     "not active yet";
	} else
		out->state = "active";
}

static json_t *succession_json(const struct succ_view *sv)
{
	char a[65], b[65], t[21];
	size_t ndone = 0;
	if (!sv->any)
		return json_null();
	for (size_t k = 0; k < sv->st.ncont; k++)
		ndone += sv->st.done[k];
	if (sv->pred)
		parley_hex(a, sv->pred, 32);
	if (sv->next)
		parley_hex(b, sv->next, 32);
	bool ended = parley_succession_ended(&sv->st);
	if (ended)
		parley_time_fmt(t, (int64_t)(sv->st.end_ms / 1000));
	return json_pack("{s:o, s:b, s:o, s:b, s:I, s:I, s:o, s:o, s:o, s:s}", "predecessor",
		sv->pred ? json_string(a) : json_null(), "predecessor_joined", sv->pred_joined, "successor",
		sv->next ? json_string(b) : json_null(), "successor_joined", sv->next_joined, "continuing_parties",
		(json_int_t)(sv->st.named ? sv->st.ncont : 0), "handed_over", (json_int_t)ndone, "handover_index",
		ended ? json_integer((json_int_t)sv->st.end_size - 1) : json_null(), "handover_size",
		ended ? json_integer((json_int_t)sv->st.end_size) : json_null(), "handed_over_at",
		ended ? json_string(t) : json_null(), "state", sv->state);
}

static void succession_print(const struct succ_view *sv)
{
	char a[65], t[21];
	size_t ndone = 0;
	if (!sv->any)
		return;
	for (size_t k = 0; k < sv->st.ncont; k++)
		ndone += sv->st.done[k];
	if (sv->pred) {
		parley_hex(a, sv->pred, 32);
		printf("  succeeds: %.16s...%s\n", a, sv->pred_joined ? "" : " (not joined here)");
	}
	if (sv->next) {
		parley_hex(a, sv->next, 32);
		if (parley_succession_ended(&sv->st)) {
			parley_time_fmt(t, (int64_t)(sv->st.end_ms / 1000));
			printf("  handed over to %.16s... at %s (log size %llu)%s\n", a, t, (unsigned long long)sv->st.end_size,
				sv->next_joined ? "" : " (not joined here)");
		} else if (sv->st.named) {
			printf("  handing over to %.16s...: %zu of %zu continuing parties\n", a, ndone, sv->st.ncont);
		} else {
			printf("  succeeded by %.16s... (no handover in the replica yet)\n", a);
		}
	}
	printf("  chain:    %s\n", sv->state);
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
	parley_succession *all = calloc(n ? n : 1, sizeof(*all));
	bool *known = calloc(n ? n : 1, sizeof(*known));
	if ((as_json && !arr) || !all || !known) {
		free(all);
		free(known);
		json_decref(arr);
		parley_home_channels_free(v, n);
		return cli_failf("out of memory");
	}
	{
		/* the handovers in the replica, read without the key (a running node keeps writing it) */
		char path[1200];
		parley_store *st = NULL;
		for (size_t i = 0; i < n; i++)
			parley_succession_init(&all[i]);
		if (parley_home_path(path, sizeof(path), cli_home(buf, sizeof(buf)), "replica.db", NULL) == PARLEY_OK &&
			access(path, R_OK) == 0 && parley_store_open(path, &st, NULL) == PARLEY_OK) {
			for (size_t i = 0; i < n; i++)
				known[i] = parley_succession_scan(st, v[i].charter, &all[i], NULL, NULL) == PARLEY_OK;
			parley_store_close(st);
		}
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
			struct succ_view sv;
			succession_of(v, n, i, all, known, &sv);
			if (o)
				json_object_set_new(o, "succession", succession_json(&sv));
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
		struct succ_view sv;
		succession_of(v, n, i, all, known, &sv);
		succession_print(&sv);
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
	free(all);
	free(known);
	parley_home_channels_free(v, n);
	return ret;
}
