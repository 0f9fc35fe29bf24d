/* cmd_succession.c - parley handover: a channel continues under a successor charter. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "parley/node.h"
#include "parley/workflow.h"
#include "banned.h"

static const char handover_usage[] =
	"usage: parley [--home DIR] handover [--channel ID] SUCCESSOR.json\n"
	"\n"
	"Hand the channel over to a successor charter (made with 'parley charter new\n"
	"--succeeds OLD.json' and signed by every one of its parties): the successor is\n"
	"given to the channel's relay, then a 'handover' entry naming its id is appended\n"
	"to the old channel's log, addressed to every other party. The old channel ends\n"
	"when every continuing party (a party of both charters) has handed over: from\n"
	"then on it takes no new threads (relay and nodes refuse them); threads opened\n"
	"before run on it until they close or their last deadline passes. New threads\n"
	"open on the successor ('parley join SUCCESSOR.json'). A party whose key changes\n"
	"hands over with its old key, from the home that holds it. Without --channel, the\n"
	"channel the successor names as its predecessor.\n"
	"Prints the handover's log index, and how many continuing parties have handed over.\n\n"
	"\n"
	"Example:\n"
	"  parley handover --channel 3fa9 new-charter.json\n";

/* "succession:" lines for status: where this channel stands in its chain of charters. */
void cli_print_succession(struct parley_node *node, const uint8_t id[32])
{
	parley_node_succession s;
	parley_err err = { 0 };
	char a[65], t[21];

	if (parley_node_succession_get(node, id, &s, &err))
		return;
	if (s.has_pred) {
		parley_thread *ts = NULL;
		size_t nt = 0, open = 0;
		parley_hex(a, s.pred, 32);
		printf("succession: this channel succeeds %.16s...%s\n", a,
			s.pred_joined ? " (followed here too: its open threads run there until they end)" : "");
		/* one dialogue: what is still open on the predecessor is shown with the successor */
		if (s.pred_joined && parley_node_threads(node, s.pred, parley_now_ms(), &ts, &nt, &err) == PARLEY_OK) {
			for (size_t i = 0; i < nt; i++)
				if (!ts[i].closed_ms && ts[i].type != PARLEY_T_PING)
					printf("%s%llu", open++ ? ", " : "succession: threads still open on the predecessor: ",
						(unsigned long long)ts[i].opener);
			if (open)
				printf(" (parley status --channel %.16s)\n", a);
		}
		free(ts);
		parley_node_succession ps;
		if (s.pred_joined && parley_node_succession_get(node, s.pred, &ps, &err) == PARLEY_OK &&
			!(ps.ended && memcmp(ps.successor, id, 32) == 0))
			printf("succession: this charter is not active yet: %zu of %zu continuing parties have handed its "
			       "predecessor over (no new threads until all have)\n",
				ps.named && memcmp(ps.successor, id, 32) == 0 ? ps.ndone : (size_t)0,
				ps.named && memcmp(ps.successor, id, 32) == 0 ? ps.ncont : (size_t)0);
	}
	if (s.ended) {
		parley_hex(a, s.successor, 32);
		parley_time_fmt(t, (int64_t)(s.end_ms / 1000));
		printf("succession: handed over to %.16s... at %s (log size %llu): new threads open there%s\n", a, t,
			(unsigned long long)s.end_size, s.succ_joined ? "" : " (join it: parley join SUCCESSOR.json)");
	} else if (s.named) {
		parley_hex(a, s.successor, 32);
		printf("succession: handing over to %.16s...: %zu of %zu continuing parties have handed over\n", a, s.ndone,
			s.ncont);
	}
}

int cli_sync_predecessors(struct parley_node *node, const uint8_t id[32], json_t *arr)
{
	const parley_charter *ch = parley_node_charter(node, id);
	parley_sync_report rep;
	parley_err err = { 0 };
	char hex[17];
	int ret = EXIT_OK;

	/* the threads still open on a predecessor are answered there: it is synced with its successor */
	for (size_t hops = 0; ch && parley_charter_predecessor(ch) && hops < 64; hops++) {
		const uint8_t *pred = parley_charter_predecessor(ch);
		if (!(ch = parley_node_charter(node, pred)))
			break;
		parley_hex(hex, pred, 8);
		if (parley_node_sync(node, pred, &rep, &err)) {
			fprintf(stderr, "parley: predecessor %s...: %s\n", hex, err.msg);
			ret = EXIT_FAIL;
			if (arr)
				json_array_append_new(arr, cli_sync_json(pred, NULL, &err));
			continue;
		}
		if (arr) {
			json_t *o = cli_sync_json(pred, &rep, NULL);
			if (!o || json_object_set_new(o, "predecessor", json_true()) || json_array_append_new(arr, o))
				ret = EXIT_FAIL;
			continue;
		}
		printf("predecessor %s...: verified log of %llu entries (%llu new); %llu received, %llu receipts sent\n", hex,
			(unsigned long long)rep.new_size, (unsigned long long)(rep.new_size - rep.old_size),
			(unsigned long long)rep.received, (unsigned long long)rep.receipts);
	}
	return ret;
}

int cmd_handover(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *chan = NULL;
	parley_seckey *key = NULL;
	parley_node *node = NULL;
	parley_node_succession s;
	parley_err err = { 0 };
	uint8_t id[32];
	uint64_t index = 0;
	char predhex[65];
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': chan = optarg; break;
		case 'h': return cli_help(handover_usage);
		default: return cli_usage_error("handover", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("handover", "expected one successor charter file");
	if ((ret = cli_open_node(&key, &node)))
		goto out;
	parley_sync_report rep;
	if (!chan) { /* the channel the successor succeeds, when this home follows it */
		parley_charter *succ = NULL;
		const uint8_t *pred;
		if (!cli_load_charter(argv[optind], &succ) && (pred = parley_charter_predecessor(succ)) &&
			parley_node_charter(node, pred)) {
			parley_hex(predhex, pred, 32);
			chan = predhex;
		}
		parley_charter_free(succ);
	}
	if (parley_node_channel(node, chan, id, &err) || parley_node_handover(node, id, argv[optind], &index, &err) ||
		parley_node_sync(node, id, &rep, &err) || parley_node_succession_get(node, id, &s, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	printf("handover appended at index %llu\n", (unsigned long long)index);
	if (s.ended)
		printf("the channel has ended: every continuing party handed over (log size %llu)\n",
			(unsigned long long)s.end_size);
	else
		printf("%zu of %zu continuing parties have handed over \n",
			s.ndone, s.ncont);
	ret = EXIT_OK;
out:
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}
