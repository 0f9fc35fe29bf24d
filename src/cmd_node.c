/* cmd_node.c - a party's node: join, sync, notify, inbox, show, verify, ack/reply/escalate/close, ping, status, thread, prove, resume. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "parley/receipt.h"
#include "parley/compose.h"
#include "parley/jcs.h"
#include "parley/node.h"
#include "parley/payload.h"
#include "parley/stix.h"
#include "parley/workflow.h"
#include "banned.h"

const char *cli_home_dir;

const char *cli_home(char *buf, size_t max)
{
	const char *h;
	if (cli_home_dir)
		return cli_home_dir;
	if ((h = getenv("PARLEY_HOME")) && *h)
		return h;
	snprintf(buf, max, "%s/.parley", getenv("HOME") ? getenv("HOME") : ".");
	return buf;
}

/* Open the node of the home directory, loading (and if need be decrypting) its key. */
int cli_open_node(parley_seckey **key, parley_node **node)
{
	char buf[1024], name[PARLEY_NAME_MAX + 1], keypath[1200];
	const char *home = cli_home(buf, sizeof(buf));
	parley_err err = { 0 };
	int ret;

	*key = NULL;
	*node = NULL;
	if (parley_node_identity(home, name, keypath, sizeof(keypath), &err))
		return cli_fail(&err);
	if (cli_node_key) {
		/* run by the standing node for a client: its key, no passphrase */
		if (parley_seckey_from_seed(cli_node_key->pub.name, cli_node_key->seed, key, &err))
			return cli_fail(&err);
	} else if ((ret = cli_load_seckey(keypath, key))) {
		return ret;
	}
	if (parley_node_open(home, *key, node, &err)) {
		parley_seckey_free(*key);
		*key = NULL;
		return cli_fail(&err);
	}
	/* smaller sync pages, for tests and small machines (docs in README: "Sync") */
	{
		const char *pe = getenv("PARLEY_SYNC_PAGE_ENTRIES"), *pb = getenv("PARLEY_SYNC_PAGE_BYTES");
		uint64_t e = 0, b = 0;
		if ((pe && *pe && !cli_parse_u64(pe, 1, 1000000, &e)) || (pb && *pb && !cli_parse_u64(pb, 1, (uint64_t)1 << 32, &b))) {
			fprintf(stderr, "parley: PARLEY_SYNC_PAGE_ENTRIES must be 1..1000000 and PARLEY_SYNC_PAGE_BYTES 1..4294967296\n");
			parley_node_close(*node);
			parley_seckey_free(*key);
			*node = NULL;
			*key = NULL;
			return EXIT_USAGE;
		}
		parley_node_set_sync_page(*node, (size_t)e, (size_t)b);
	}
	/* under the running node, what the relay cannot take now waits in the outbox */
	parley_node_set_outbox(*node, cli_node_key != NULL);
	/* a relay caught lying, or suspected of it, is announced on every command */
	for (size_t i = 0; i < parley_node_nchannels(*node); i++) {
		const char *why = parley_node_halted(*node, parley_node_channel_at(*node, i));
		char hex[17];
		if (!why)
			continue;
		parley_hex(hex, parley_node_channel_at(*node, i), 8);
		fprintf(stderr, "parley: WARNING: this node stopped trusting the relay of channel %s... (%s)\n", hex, why);
	}
	return EXIT_OK;
}

static const char join_usage[] =
	"usage: parley [--home DIR] join CHARTER.json --key NAME.key [--relay URL] [--ca CA.pem]\n"
	"\n"
	"Make DIR (default $PARLEY_HOME, else ~/.parley) this party's node for the\n"
	"channel of a signed charter: copy the key file into it, keep the charter,\n"
	"open the channel on the charter's relay (idempotent) and create the local\n"
	"replica. --relay reaches the relay at another URL; its key must still be the\n"
	"charter's. --ca trusts this CA certificate for an https relay (kept in DIR).\n"
	"\n"
	"Example:\n"
	"  parley --home ~/.parley-cert-a join c.json --key keys/cert-a.key\n";

int cmd_join(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "relay", required_argument, NULL, 'r' },
		{ "ca", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keypath = NULL, *relay = NULL, *ca = NULL;
	char buf[1024], hex[65];
	parley_seckey *key = NULL;
	parley_err err = { 0 };
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keypath = optarg; break;
		case 'r': relay = optarg; break;
		case 'C': ca = optarg; break;
		case 'h': return cli_help(join_usage);
		default: return cli_usage_error("join", "unknown option");
		}
	}
	if (!keypath || optind + 1 != argc)
		return cli_usage_error("join", "expected CHARTER.json --key NAME.key");
	if ((ret = cli_load_seckey(keypath, &key)))
		return ret;
	const char *home = cli_home(buf, sizeof(buf));
	if (parley_node_join(home, argv[optind], keypath, key, relay, ca, hex, &err))
		ret = cli_fail(&err);
	else
		printf("joined channel %s as %s (home %s)\n", hex, key->pub.name, home);
	parley_seckey_free(key);
	return ret;
}

/* Parse the common --channel option and return the remaining argv position. */
static int pick_channel(parley_node *node, const char *prefix, uint8_t id[32])
{
	parley_err err = { 0 };
	if (parley_node_channel(node, prefix, id, &err))
		return cli_fail(&err);
	return EXIT_OK;
}

#define HELP_SHOWN (-1)

/*
 * The start of every node command whose only option is --channel: parse it,
 * open the node and pick the channel. EXIT_OK; HELP_SHOWN after --help; or
 * the exit status to return (key and node freed).
 */
static int channel_command_json(int argc, char **argv, const char *usage, parley_seckey **key, parley_node **node,
	uint8_t id[32], bool *json, bool *all)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *chan = NULL;
	int c, ret;

	*key = NULL;
	*node = NULL;
	if (all)
		*all = false;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': chan = optarg; break;
		case 'j':
			if (!json)
				return cli_usage_error(argv[0], "unknown option");
			*json = true;
			break;
		case 'h':
			cli_help(usage);
			return HELP_SHOWN;
		default: return cli_usage_error(argv[0], "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error(argv[0], "unexpected argument '%s'", argv[optind]);
	if (all && !chan) { /* the caller takes every channel of the home */
		*all = true;
		return cli_open_node(key, node);
	}
	if ((ret = cli_open_node(key, node)) || (ret = pick_channel(*node, chan, id))) {
		parley_node_close(*node);
		parley_seckey_free(*key);
		*node = NULL;
		*key = NULL;
	}
	return ret;
}

static int channel_command(int argc, char **argv, const char *usage, parley_seckey **key, parley_node **node,
	uint8_t id[32])
{
	return channel_command_json(argc, argv, usage, key, node, id, NULL, NULL);
}

/*
 * A charter's end is announced ahead of time, so that the parties agree a new one
 * before the channel winds down: 30, 7 and 1 days before, then at every use after.
 */
static void warn_validity(parley_node *node, const uint8_t id[32])
{
	const parley_charter *ch = parley_node_charter(node, id);
	int64_t from, until, now = (int64_t)time(NULL), left;
	char when[CLI_TIME_MAX], hex[17];
	static const int64_t days[] = { 1, 7, 30 };

	if (!ch)
		return;
	parley_charter_validity(ch, &from, &until);
	parley_hex(hex, id, 8);
	left = until - now;
	if (now < from) {
		cli_time(when, from);
		fprintf(stderr, "parley: WARNING: the charter of channel %s... is not yet valid (valid from %s)\n", hex,
			when);
		return;
	}
	cli_time(when, until);
	if (left <= 0) {
		fprintf(stderr,
			"parley: WARNING: the charter of channel %s... expired at %s: the channel is winding down "
			"(no new threads; threads opened before then can be answered until their last deadline); "
			"agree and sign a new charter\n",
			hex, when);
		return;
	}
	for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++)
		if (left <= days[i] * 86400) {
			fprintf(stderr,
				"parley: WARNING: the charter of channel %s... expires within %lld day%s, at %s; "
				"then no new threads can be opened: agree and sign a new charter\n",
				hex, (long long)days[i], days[i] == 1 ? "" : "s", when);
			return;
		}
}

static const char sync_usage[] =
	"usage: parley [--home DIR] sync [--json] [--channel ID|TITLE]\n"
	"\n"
	"Without --channel, every channel of the home in turn (each one's result after\n"
	"a 'channel ID (TITLE):' line when there are several; exit 1 if any failed).\n"
	"Fetch the relay's latest checkpoint and the new entries; verify the checkpoint's\n"
	"signature and its consistency with the last verified one, every entry's\n"
	"signature, sequence, chain and scope, and that the entries hash to the signed\n"
	"root; store them; decrypt those addressed to this party and answer each with a\n"
	"receipt (which carries the checkpoint just verified), or, for one that does not\n"
	"open, with one 'unreadable' report to its sender; compare the checkpoint in\n"
	"each receipt addressed here with this node's own tree; cosign the verified\n"
	"checkpoint. Any failure names what failed and exits 1; nothing unverified is\n"
	"ever stored. When the relay is caught lying (rollback, fork, rewritten history,\n"
	"a split view) the node keeps evidence in its home and refuses the relay for\n"
	"the channel until 'parley resume'. Warns on standard error 30, 7 and 1 days\n"
	"before the charter expires; after that the channel winds down (no new threads;\n"
	"answers to earlier ones until their last deadline, docs/protocol.md 4.1.3).\n"
	"A channel that succeeds another (parley handover) is synced with every\n"
	"predecessor this home follows: threads opened there are answered there.\n"
	"--json prints one JSON array, an object per channel synced (docs/cli-json.md).\n"
	"\n"
	"Example:\n"
	"  parley sync && parley inbox\n";

/* What a sync did, for --json (docs/cli-json.md). NULL when out of memory. */
json_t *cli_sync_json(const uint8_t id[32], const parley_sync_report *rep, const parley_err *err)
{
	char hex[65];
	parley_hex(hex, id, 32);
	if (!rep)
		return json_pack("{s:s, s:b, s:s}", "channel", hex, "ok", 0, "error", err->msg);
	return json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:I}", "channel", hex, "ok", 1,
		"size", (json_int_t)rep->new_size, "new", (json_int_t)(rep->new_size - rep->old_size),
		"received", (json_int_t)rep->received, "receipts_sent", (json_int_t)rep->receipts,
		"cosigned", rep->cosigned ? 1 : 0, "undecryptable", rep->undecryptable ? 1 : 0,
		"unreadable_reported", (json_int_t)rep->unreadable_reported, "pages", (json_int_t)rep->pages,
		"fetched", (json_int_t)rep->fetched, "pings_answered", (json_int_t)rep->pings_answered,
		"deadlines_missed", (json_int_t)rep->deadlines_missed, "psi_answered", (json_int_t)rep->psi_answered);
}

static int json_add(json_t *arr, json_t *o)
{
	return !o || json_array_append_new(arr, o) ? cli_failf("out of memory") : EXIT_OK;
}

/* Sync one channel and say what happened (as JSON objects into arr, with --json). */
static int sync_one(parley_node *node, const uint8_t id[32], json_t *arr)
{
	parley_sync_report rep;
	parley_err err = { 0 };
	int ret = EXIT_OK;

	warn_validity(node, id);
	if (parley_node_sync(node, id, &rep, &err)) {
		ret = cli_fail(&err);
		if (arr)
			(void)json_add(arr, cli_sync_json(id, NULL, &err));
	} else if (arr) {
		if (!(ret = json_add(arr, cli_sync_json(id, &rep, NULL))))
			ret = cli_sync_predecessors(node, id, arr);
	} else {
		printf("verified log of %llu entries (%llu new); %llu received, %llu receipts sent%s%s\n",
			(unsigned long long)rep.new_size, (unsigned long long)(rep.new_size - rep.old_size),
			(unsigned long long)rep.received, (unsigned long long)rep.receipts,
			rep.cosigned ? "; checkpoint cosigned" : "",
			rep.undecryptable ? "; WARNING: some entries addressed here do not decrypt" : "");
		if (rep.unreadable_reported)
			printf("reported %llu entr%s unreadable to their senders\n", (unsigned long long)rep.unreadable_reported,
				rep.unreadable_reported == 1 ? "y" : "ies");
		if (rep.pages > 1)
			printf("fetched %llu entries in %llu pages, each verified against the signed root before it was stored\n",
				(unsigned long long)rep.fetched, (unsigned long long)rep.pages);
		if (rep.pings_answered)
			printf("answered %llu ping(s)\n", (unsigned long long)rep.pings_answered);
		if (rep.deadlines_missed)
			printf("recorded %llu missed deadline(s)\n", (unsigned long long)rep.deadlines_missed);
		if (rep.psi_answered)
			printf("answered %llu PSI request(s) by the standing policy\n", (unsigned long long)rep.psi_answered);
		ret = cli_sync_predecessors(node, id, NULL);
	}
	return ret;
}

int cmd_sync(int argc, char **argv)
{
	parley_seckey *key;
	parley_node *node;
	uint8_t id[32];
	bool json = false, all = false;
	json_t *arr = NULL;
	int ret;

	if ((ret = channel_command_json(argc, argv, sync_usage, &key, &node, id, &json, &all)))
		return ret == HELP_SHOWN ? EXIT_OK : ret;
	if (json && !(arr = json_array())) {
		ret = cli_failf("out of memory");
		goto out;
	}
	if (!all) {
		ret = sync_one(node, id, arr);
		goto out;
	}
	/* without --channel, every channel of the home */
	size_t n = parley_node_nchannels(node);
	if (n <= 1) {
		ret = pick_channel(node, NULL, id);
		if (!ret)
			ret = sync_one(node, id, arr);
	}
	for (size_t i = 0; n > 1 && i < n; i++) {
		const uint8_t *cid = parley_node_channel_at(node, i);
		char hex[65];
		if (!json) {
			parley_hex(hex, cid, 32);
			printf("channel %.16s (%s):\n", hex, parley_charter_title(parley_node_charter(node, cid)));
			fflush(stdout);
		}
		if (sync_one(node, cid, arr))
			ret = EXIT_FAIL;
	}
out:
	if (arr) {
		char *s = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s)
			printf("%s\n", s);
		else
			ret = cli_failf("out of memory");
		free(s);
		json_decref(arr);
	}
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}

/*
 * The text of a post: --text TEXT, --text - (standard input) or --file F,
 * checked (not empty, UTF-8, at most PARLEY_TEXT_MAX bytes). *text is NULL
 * when none was given, else points to arg or into buf.
 */
static int read_text(const char *cmd, const char *arg, const char *file, parley_buf *buf, const char **text)
{
	parley_err err = { 0 };
	parley_code rc;

	*text = NULL;
	if (arg && file)
		return cli_usage_error(cmd, "give --text or --file, not both");
	if (!arg && !file)
		return EXIT_OK;
	if (arg && strcmp(arg, "-") != 0) {
		if (parley_compose_text_check("--text", arg, strlen(arg), &err))
			return cli_fail(&err);
		*text = arg;
		return EXIT_OK;
	}
	const char *path = file ? file : "-", *what = strcmp(path, "-") == 0 ? "standard input" : path;
	if ((rc = parley_file_read(path, PARLEY_TEXT_MAX, buf, &err)) == PARLEY_E_LIMIT)
		return cli_failf("%s: the text is over the %d-byte limit (PARLEY_TEXT_MAX)", what, PARLEY_TEXT_MAX);
	if (rc)
		return cli_fail(&err);
	if (parley_compose_text_check(what, buf->len ? (const char *)buf->data : "", buf->len, &err))
		return cli_fail(&err);
	*text = (const char *)buf->data; /* parley_file_read keeps a NUL after the data */
	return EXIT_OK;
}

/* --dry-run: the entry a command would append (its header and, here, its content); nothing is sent. */
void cli_print_preview(struct parley_node *node, const uint8_t id[32], const parley_entry_hdr *h, const uint8_t *pl,
	size_t pl_len, const char *content)
{
	const parley_charter *ch = parley_node_charter(node, id);
	const parley_party *me = parley_charter_party_by_keyid(ch, h->sender);
	char hex[65], ts[CLI_TIME_MAX];
	parley_payload p;

	printf("dry run: nothing sent; the entry that would be appended:\n");
	parley_hex(hex, h->channel, 32);
	cli_time(ts, (int64_t)(h->created_ms / 1000));
	printf("channel:    %s\nsender:     %s (seq %llu in the local replica)\ncreated:    %s (this clock)\n", hex,
		me ? me->key.name : "?", (unsigned long long)h->seq, ts);
	printf("type:       %s\n", parley_type_name(h->type));
	if (parley_type_opens_thread(h->type))
		printf("thread:     (this entry opens it)\n");
	else
		printf("thread:     %llu\n", (unsigned long long)h->thread);
	printf("category:   %s\ntlp:        %s\n", h->category, parley_tlp_name(h->tlp));
	if (h->nrefs) {
		printf("refs:      ");
		for (unsigned k = 0; k < h->nrefs; k++)
			printf(" %llu", (unsigned long long)h->refs[k]);
		printf("\n");
	}
	printf("recipients:");
	for (unsigned k = 0; k < h->nrecip; k++) {
		const parley_party *r = parley_charter_party_by_keyid(ch, h->recip[k]);
		printf(" %s", r ? r->key.name : "?");
	}
	printf("\n");
	if (content) {
		printf("content:    %s\n", content);
	} else if (!pl_len) {
		printf("content:    (none)\n");
	} else if (!parley_payload_decode(pl, pl_len, &p, NULL)) {
		printf("content:    %zu bytes, sealed to the recipients\n", pl_len);
		if (p.text)
			printf("text:\n%s\n", p.text);
		if (p.stix) {
			char *js = json_dumps(p.stix, JSON_INDENT(2));
			printf("stix:\n%s\n", js ? js : "");
			free(js);
		}
		parley_payload_release(&p);
	}
}

static const char notify_usage[] =
	"usage: parley [--home DIR] notify --to NAME[,NAME...] --category CAT [--tlp LEVEL] [--type T]\n"
	"                                  (--text TEXT | --file F | --stix FILE [--text TEXT | --file F])\n"
	"                                  [--misp EVENT.json instead of --stix]\n"
	"                                  [--dry-run] [--channel ID]\n"
	"\n"
	"Send a notification (an incident report) to the named parties: sync, then\n"
	"sign, seal (to the recipients and this party) and append it. Prints the log\n"
	"index the relay assigned as the last line. A STIX 2.1 bundle is validated\n"
	"first (objects, required properties, TLP markings, pattern syntax); invalid\n"
	"content is refused naming the object and the reason.\n"
	"The log keeps every entry for good, so mistakes are refused before anything\n"
	"is sent: a notification to nobody but oneself, to an auditor (auditors are\n"
	"never recipients), an empty text, text that is not UTF-8.\n"
	"  --type T    request-for-information, request-for-assistance or\n"
	"              consultation-request instead of a notification\n"
	"  --text -    read the text from standard input\n"
	"  --file F    read the text from file F (at most 65536 bytes of UTF-8)\n"
	"  --misp F    a MISP event (core format) converted to a STIX 2.1 bundle as\n"
	"              MISP's own export does (README \"MISP\"); attributes with no\n"
	"              STIX mapping are kept as notes and listed on standard error\n"
	"  --dry-run   print the entry that would be sent (header and content),\n"
	"              from the local replica, and send nothing (no sync either)\n"
	"\n"
	"Example:\n"
	"  parley notify --to cert-b --category election-infrastructure --text 'phishing wave at 09:00'\n";

int cmd_notify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "category", required_argument, NULL, 'C' },
		{ "tlp", required_argument, NULL, 'l' },
		{ "text", required_argument, NULL, 'x' },
		{ "file", required_argument, NULL, 'f' },
		{ "stix", required_argument, NULL, 's' },
		{ "misp", required_argument, NULL, 'M' },
		{ "channel", required_argument, NULL, 'c' },
		{ "type", required_argument, NULL, 'T' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *chan = NULL, *cat = NULL, *textarg = NULL, *textf = NULL, *text = NULL, *stixf = NULL, *mispf = NULL;
	uint8_t type = PARLEY_T_NOTIFICATION;
	char *to = NULL;
	int tlp = -1, c, ret;
	bool dry = false;
	const char *names[PARLEY_ENTRY_MAX_RECIP];
	size_t nnames = 0;
	json_t *stix = NULL;
	parley_buf pl = PARLEY_BUF_INIT, sb = PARLEY_BUF_INIT, tb = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	parley_seckey *key = NULL;
	parley_node *node = NULL;
	uint8_t id[32];
	uint64_t index;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': to = optarg; break;
		case 'C': cat = optarg; break;
		case 'l':
			if ((tlp = parley_tlp_from_name(optarg)) < 0)
				return cli_usage_error("notify", "unknown TLP level '%s'", optarg);
			break;
		case 'x': textarg = optarg; break;
		case 'f': textf = optarg; break;
		case 's': stixf = optarg; break;
		case 'M': mispf = optarg; break;
		case 'c': chan = optarg; break;
		case 'n': dry = true; break;
		case 'T':
			type = (uint8_t)parley_type_from_name(optarg);
			if (!parley_type_opens_thread(type))
				return cli_usage_error("notify", "--type must be a type that opens a thread");
			break;
		case 'h': return cli_help(notify_usage);
		default: return cli_usage_error("notify", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("notify", "unexpected argument '%s'", argv[optind]);
	if (!to || !cat || (!textarg && !textf && !stixf && !mispf))
		return cli_usage_error("notify", "--to, --category and --text, --file, --stix or --misp are required");
	if (stixf && mispf)
		return cli_usage_error("notify", "give --stix or --misp, not both");
	for (char *s = to; s; nnames++) {
		char *comma = strchr(s, ',');
		if (nnames == PARLEY_ENTRY_MAX_RECIP - 1)
			return cli_usage_error("notify", "too many recipients");
		if (comma)
			*comma = 0;
		names[nnames] = s;
		s = comma ? comma + 1 : NULL;
	}
	if ((ret = read_text("notify", textarg, textf, &tb, &text)))
		goto out;
	if (stixf) {
		if (parley_file_read(stixf, PARLEY_ENTRY_MAX_PAYLOAD, &sb, &err) ||
			parley_json_parse((const char *)sb.data, sb.len, PARLEY_ENTRY_MAX_PAYLOAD, &stix, &err) ||
			parley_stix_validate(stix, &err)) {
			parley_wrap(&err, err.code, "%s", stixf);
			ret = cli_fail(&err);
			goto out;
		}
	}
	if (mispf && (ret = cli_load_misp(mispf, &stix)))
		goto out;
	if (parley_payload_encode(text, stix, &pl, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if ((ret = cli_open_node(&key, &node)) || (ret = pick_channel(node, chan, id)))
		goto out;
	parley_post p = { type, 0, NULL, 0, cat, tlp, names, nnames, pl.data, pl.len };
	if (dry) {
		parley_entry_hdr h;
		if (parley_node_preview(node, id, &p, &h, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		cli_print_preview(node, id, &h, pl.data, pl.len, NULL);
		goto out;
	}
	/* checked on the local replica before the sync sends anything, and again by the post after it */
	if (parley_node_check_post(node, id, &p, &err) || parley_node_post(node, id, &p, &index, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if (index == PARLEY_INDEX_QUEUED)
		printf("%s to %s queued in the outbox: the relay cannot be reached (sent when it is back)\nqueued\n",
			parley_type_name(type), to);
	else
		printf("%s sent to %s\n%llu\n", parley_type_name(type), to, (unsigned long long)index);
	ret = EXIT_OK;
out:
	json_decref(stix);
	parley_buf_release(&pl);
	parley_buf_release(&sb);
	parley_buf_release(&tb);
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}

/* "entry 7" or, for a batched receipt, "entries 3..7, 9 (of the tree of size 12 it verified)". */
static void receipt_label(const parley_entry_hdr *h, uint64_t index, char *out, size_t max)
{
	parley_receipt_cover cov;
	size_t k = 0;
	if (parley_receipt_covers(h, index, &cov, NULL) || cov.n == 0) {
		snprintf(out, max, "receipt for no entry");
		return;
	}
	if (cov.n == 1 && cov.first[0] == cov.last[0]) {
		snprintf(out, max, "receipt for entry %llu", (unsigned long long)cov.first[0]);
		return;
	}
	k += (size_t)snprintf(out + k, max - k, "receipt for entries ");
	for (unsigned i = 0; i < cov.n && k < max; i++) {
		if (cov.first[i] == cov.last[i])
			k += (size_t)snprintf(out + k, max - k, "%s%llu", i ? ", " : "", (unsigned long long)cov.first[i]);
		else
			k += (size_t)snprintf(out + k, max - k, "%s%llu..%llu", i ? ", " : "",
				(unsigned long long)cov.first[i], (unsigned long long)cov.last[i]);
	}
}

/* What an entry without text is, by its type (receipts, PSI messages, pings, missed deadlines...). */
static void type_label(const parley_node_entry *e, char *out, size_t max)
{
	unsigned long long r = e->e.h.nrefs ? (unsigned long long)e->e.h.refs[0] : 0, th = e->e.h.thread;
	size_t n = e->payload.len;

	switch (e->e.h.type) {
	case PARLEY_T_RECEIPT: receipt_label(&e->e.h, e->index, out, max); break;
	case PARLEY_T_ACK: snprintf(out, max, "acknowledges thread %llu", th); break;
	case PARLEY_T_ESCALATION: snprintf(out, max, "escalates thread %llu", th); break;
	case PARLEY_T_CLOSE: snprintf(out, max, "closes thread %llu", th); break;
	case PARLEY_T_PING: snprintf(out, max, "ping"); break;
	case PARLEY_T_PING_RESPONSE: snprintf(out, max, "answers ping %llu", th); break;
	case PARLEY_T_DEADLINE_MISSED: snprintf(out, max, "a deadline of thread %llu was missed", th); break;
	case PARLEY_T_PSI_REQUEST: snprintf(out, max, "PSI request data (%zu bytes)", n); break;
	case PARLEY_T_PSI_RESPONSE: snprintf(out, max, "PSI response data for request %llu (%zu bytes)", th, n); break;
	case PARLEY_T_PSI_REFUSAL: snprintf(out, max, "PSI refusal of request %llu", th); break;
	case PARLEY_T_UNREADABLE: snprintf(out, max, "entry %llu does not open", r); break;
	default:
		if (n)
			snprintf(out, max, "(%zu bytes)", n);
		else
			out[0] = 0;
	}
}

/* A one-line summary of an entry's content. */
static void summary(const parley_node_entry *e, const parley_charter *ch, char *out, size_t max)
{
	parley_payload p;
	if (e->e.h.type == PARLEY_T_UNREADABLE && e->e.h.nrefs) { /* the header says it all, to every reader */
		snprintf(out, max, "entry %llu does not open for %s", (unsigned long long)e->e.h.refs[0],
			e->sender ? e->sender->key.name : "?");
		return;
	}
	if (!e->for_me) {
		size_t used = (size_t)snprintf(out, max, "(sealed to");
		for (unsigned i = 0; i < e->e.h.nrecip && used < max; i++) {
			const parley_party *r = parley_charter_party_by_keyid(ch, e->e.h.recip[i]);
			used += (size_t)snprintf(out + used, max - used, " %s", r ? r->key.name : "?");
		}
		if (used < max)
			snprintf(out + used, max - used, ")");
		return;
	}
	if (!e->opened) {
		snprintf(out, max, "(DOES NOT DECRYPT)");
		return;
	}
	if (e->payload.len == 0 || parley_payload_decode(e->payload.data, e->payload.len, &p, NULL)) {
		type_label(e, out, max);
		return;
	}
	if (p.text) {
		size_t n = 0;
		for (const char *s = p.text; *s && n + 1 < max; s++)
			out[n++] = (*s == '\n' || *s == '\t') ? ' ' : *s;
		out[n] = 0;
		if (strlen(p.text) + 1 > max && max > 4)
			memcpy(out + max - 4, "...", 4);
	} else if (p.stix) {
		snprintf(out, max, "[STIX bundle]");
	} else { /* a receipt: its checkpoint is no summary */
		type_label(e, out, max);
	}
	parley_payload_release(&p);
}

static void iso_ms(char out[32], uint64_t ms)
{
	char ts[21];
	parley_time_fmt(ts, (int64_t)(ms / 1000));
	snprintf(out, 32, "%.19s.%03uZ", ts, (unsigned)(ms % 1000));
}

/* ---- --json (docs/cli-json.md) ---- */

/* A JSON string of s; bytes that are not UTF-8 (never from a verified entry) become '?' rather than no member. */
static json_t *jstr(const char *s)
{
	json_t *j;
	char *c;
	if (!s)
		return json_null();
	if ((j = json_string(s)))
		return j;
	if (!(c = strdup(s)))
		return NULL;
	for (char *q = c; *q; q++)
		if ((unsigned char)*q >= 0x80 || (unsigned char)*q < 0x20)
			*q = '?';
	j = json_string(c);
	free(c);
	return j;
}

static json_t *jtime(uint64_t ms)
{
	char b[32];
	iso_ms(b, ms);
	return json_string(b);
}

/* Set o.name = v (a new reference, may be NULL); *bad on failure. */
static void jset(json_t *o, const char *name, json_t *v, bool *bad)
{
	if (!v || json_object_set_new(o, name, v))
		*bad = true;
}

/* Print a JSON document and a newline on stdout; EXIT_OK, or EXIT_FAIL when it could not be built. */
static int jprint(json_t *js, bool bad)
{
	char *s = !bad && js ? json_dumps(js, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	int ret = EXIT_OK;
	if (!s || printf("%s\n", s) < 0)
		ret = cli_failf("cannot write the JSON document (out of memory?)");
	free(s);
	json_decref(js);
	return ret;
}

/*
 * One entry of the replica as JSON (docs/cli-json.md, "parley show --json"): its header, its summary line, and
 * where this party opens it, its text and STIX bundle. NULL when out of memory.
 */
static json_t *entry_json(const parley_node_entry *e, const parley_charter *ch, uint64_t i)
{
	json_t *o = json_object(), *a;
	char text[72], hex[65];
	uint8_t h[32];
	uint64_t op = 0;
	bool bad = !o, threaded = parley_workflow_thread_of(&e->e.h, i, &op);
	parley_payload p = { 0 };
	bool decoded = false;

	if (bad)
		return NULL;
	jset(o, "index", json_integer((json_int_t)i), &bad);
	jset(o, "integrated_at", jtime(e->integrated_ms), &bad);
	jset(o, "sender", jstr(e->sender ? e->sender->key.name : NULL), &bad);
	jset(o, "seq", json_integer((json_int_t)e->e.h.seq), &bad);
	jset(o, "type", jstr(parley_type_name(e->e.h.type)), &bad);
	jset(o, "thread", threaded ? json_integer((json_int_t)op) : json_null(), &bad);
	jset(o, "opens_thread", json_boolean(threaded && op == i), &bad);
	jset(o, "category", jstr(e->e.h.category), &bad);
	jset(o, "tlp", jstr(parley_tlp_name(e->e.h.tlp)), &bad);
	/* a receipt: what it covers (receipt.h); a batched one's references are ranges and a tree, not entries */
	parley_receipt_cover cov;
	bool rcpt = e->e.h.type == PARLEY_T_RECEIPT && parley_receipt_covers(&e->e.h, i, &cov, NULL) == PARLEY_OK;
	if ((a = json_array()))
		for (unsigned k = 0; k < e->e.h.nrefs && !(rcpt && cov.form == 2); k++)
			bad |= json_array_append_new(a, json_integer((json_int_t)e->e.h.refs[k])) != 0;
	jset(o, "refs", a, &bad);
	if (rcpt) {
		if ((a = json_array()))
			for (unsigned k = 0; k < cov.n; k++)
				bad |= json_array_append_new(a, json_pack("[I, I]", (json_int_t)cov.first[k],
								      (json_int_t)cov.last[k])) != 0;
		jset(o, "covers", a, &bad);
		jset(o, "verified_size", cov.form == 2 ? json_integer((json_int_t)cov.size) : json_null(), &bad);
	}
	if ((a = json_array()))
		for (unsigned k = 0; k < e->e.h.nrecip; k++) {
			const parley_party *r = parley_charter_party_by_keyid(ch, e->e.h.recip[k]);
			bad |= json_array_append_new(a, jstr(r ? r->key.name : NULL)) != 0;
		}
	jset(o, "to", a, &bad);
	parley_entry_hash(e->raw.data, e->raw.len, h);
	parley_hex(hex, h, 32);
	jset(o, "hash", json_string(hex), &bad);
	jset(o, "addressed", json_boolean(e->for_me), &bad);
	jset(o, "decrypted", json_boolean(e->for_me && e->opened), &bad);
	summary(e, ch, text, sizeof(text));
	jset(o, "summary", jstr(text), &bad);
	if (e->for_me && e->opened)
		decoded = e->payload.len && parley_payload_decode(e->payload.data, e->payload.len, &p, NULL) == PARLEY_OK;
	jset(o, "payload_bytes", json_integer((json_int_t)e->payload.len), &bad);
	jset(o, "text", jstr(decoded ? p.text : NULL), &bad);
	jset(o, "stix", decoded && p.stix ? json_incref(p.stix) : json_null(), &bad);
	jset(o, "with_checkpoint", json_boolean(decoded && p.checkpoint), &bad);
	if (decoded)
		parley_payload_release(&p);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static const char inbox_usage[] =
	"usage: parley [--home DIR] inbox [--json] [--channel ID]\n"
	"\n"
	"One line per entry of the local replica: index, time the relay integrated it,\n"
	"sender, type, category, and the start of the text (decrypted where this party\n"
	"is a recipient). Run 'parley sync' first to fetch new entries.\n"
	"  --json   one JSON array, one object per entry as 'show --json' prints it\n"
	"           (docs/cli-json.md)\n"
	"\n"
	"Example:\n"
	"  parley sync && parley inbox\n"
	"  parley inbox --json | jq -r '.[] | select(.type == \"notification\") | .index'\n";

static const char show_usage[] =
	"usage: parley [--home DIR] show N [--json] [--channel ID]\n"
	"\n"
	"One entry of the local replica in full: its header and, where this party is a\n"
	"recipient, its decrypted content.\n"
	"  --json   one JSON object: index, integrated_at, sender, type, thread, refs,\n"
	"           to, hash, text, stix... (docs/cli-json.md)\n"
	"\n"
	"Example:\n"
	"  parley show 12\n";

static int list_or_show(int argc, char **argv, bool show)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *chan = NULL, *cmd = show ? "show" : "inbox";
	bool as_json = false;
	parley_seckey *key = NULL;
	parley_node *node = NULL;
	parley_err err = { 0 };
	uint8_t id[32];
	uint64_t size, n = 0;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': chan = optarg; break;
		case 'j': as_json = true; break;
		case 'h': return cli_help(show ? show_usage : inbox_usage);
		default: return cli_usage_error(cmd, "unknown option");
		}
	}
	if (show && (optind + 1 != argc || !cli_parse_u64(argv[optind], 0, UINT64_MAX, &n)))
		return cli_usage_error(cmd, "expected one entry index");
	if (!show && optind != argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if ((ret = cli_open_node(&key, &node)) || (ret = pick_channel(node, chan, id)))
		goto out;
	const parley_charter *ch = parley_node_charter(node, id);
	if (parley_store_size(parley_node_store(node), id, &size, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if (show && n >= size) {
		ret = cli_failf("no entry %llu: the replica has %llu (run 'parley sync')", (unsigned long long)n,
			(unsigned long long)size);
		goto out;
	}
	/* inbox --json: an array written an entry at a time (one per line), not built whole in memory */
	if (as_json && !show)
		fputs("[", stdout);
	for (uint64_t i = show ? n : 0; i < (show ? n + 1 : size); i++) {
		parley_node_entry e;
		char ts[CLI_TIME_MAX], text[72], hex[65];
		if (parley_node_entry_get(node, id, i, &e, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		cli_time(ts, (int64_t)(e.integrated_ms / 1000));
		if (as_json) {
			json_t *o = entry_json(&e, ch, i);
			char *js = o ? json_dumps(o, (show ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER) : NULL;
			json_decref(o);
			parley_node_entry_release(&e);
			if (!js) {
				ret = cli_failf("entry %llu: cannot build its JSON (out of memory?)", (unsigned long long)i);
				goto out;
			}
			printf("%s%s", show ? "" : i == 0 ? "\n" : ",\n", js);
			free(js);
			continue;
		}
		if (!show) {
			summary(&e, ch, text, sizeof(text));
			printf("%-5llu %s  %-12s %-16s %-24s %s\n", (unsigned long long)i, ts,
				e.sender ? e.sender->key.name : "?", parley_type_name(e.e.h.type), e.e.h.category, text);
		} else {
			printf("index:      %llu\nintegrated: %s (relay clock)\n", (unsigned long long)i, ts);
			printf("sender:     %s (seq %llu)\ntype:       %s\n", e.sender ? e.sender->key.name : "?",
				(unsigned long long)e.e.h.seq, parley_type_name(e.e.h.type));
			uint64_t op;
			if (parley_workflow_thread_of(&e.e.h, i, &op) && op == i) /* a ping opens its thread too */
				printf("thread:     %llu (this entry opens it)\n", (unsigned long long)i);
			else
				printf("thread:     %llu\n", (unsigned long long)e.e.h.thread);
			printf("category:   %s\ntlp:        %s\n", e.e.h.category, parley_tlp_name(e.e.h.tlp));
			if (e.e.h.type == PARLEY_T_RECEIPT && e.e.h.nrefs && e.e.h.refs[0] == PARLEY_RECEIPT_BATCH_TAG) {
				char lb[400];
				parley_receipt_cover cov;
				receipt_label(&e.e.h, i, lb, sizeof(lb));
				printf("covers:     %s\n", lb + strlen("receipt for "));
				if (parley_receipt_covers(&e.e.h, i, &cov, NULL) == PARLEY_OK)
					printf("verified:   the tree of size %llu\n", (unsigned long long)cov.size);
			} else if (e.e.h.nrefs) {
				printf("refs:      ");
				for (unsigned k = 0; k < e.e.h.nrefs; k++)
					printf(" %llu", (unsigned long long)e.e.h.refs[k]);
				printf("\n");
			}
			printf("recipients:");
			for (unsigned k = 0; k < e.e.h.nrecip; k++) {
				const parley_party *r = parley_charter_party_by_keyid(ch, e.e.h.recip[k]);
				printf(" %s", r ? r->key.name : "?");
			}
			uint8_t h[32];
			parley_entry_hash(e.raw.data, e.raw.len, h);
			parley_hex(hex, h, 32);
			printf("\nhash:       %s\n", hex);
			if (!e.for_me) {
				printf("content:    (sealed: this party is not a recipient)\n");
			} else if (!e.opened) {
				printf("content:    DOES NOT DECRYPT\n");
			} else {
				parley_payload p;
				char label[128];
				type_label(&e, label, sizeof(label));
				if (e.payload.len && !parley_payload_decode(e.payload.data, e.payload.len, &p, NULL)) {
					if (p.text)
						printf("text:\n%s\n", p.text);
					if (p.stix) {
						char *s = json_dumps(p.stix, JSON_INDENT(2));
						printf("stix:\n%s\n", s ? s : "");
						free(s);
					}
					if (!p.text && !p.stix)
						printf("content:    %s%s\n", label,
							p.checkpoint ? " (with the checkpoint its sender verified)" : "");
					parley_payload_release(&p);
				} else if (label[0]) {
					printf("content:    %s\n", label);
				}
			}
		}
		parley_node_entry_release(&e);
	}
	if (as_json)
		fputs(show ? "\n" : size ? "\n]\n" : "]\n", stdout);
	ret = EXIT_OK;
out:
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}

int cmd_inbox(int argc, char **argv) { return list_or_show(argc, argv, false); }
int cmd_show(int argc, char **argv) { return list_or_show(argc, argv, true); }

static const char verify_usage[] =
	"usage: parley [--home DIR] verify [--json] [--channel ID]\n"
	"\n"
	"Re-verify the whole local replica from scratch: the charter's signatures, the\n"
	"tree against every entry, every entry's signature, sequence, chain and scope,\n"
	"and the last relay checkpoint's signature and root. Exit 1 on any problem.\n"
	"--json prints {\"channel\", \"ok\", \"entries\"} or {\"channel\", \"ok\": false, \"error\"}.\n"
	"\n"
	"Example:\n"
	"  parley verify --channel 3fa9\n";

int cmd_verify(int argc, char **argv)
{
	parley_seckey *key;
	parley_node *node;
	parley_err err = { 0 };
	uint8_t id[32];
	uint64_t n = 0;
	bool json = false;
	int ret = channel_command_json(argc, argv, verify_usage, &key, &node, id, &json, NULL);

	if (ret)
		return ret == HELP_SHOWN ? EXIT_OK : ret;
	bool ok = parley_node_verify(node, id, &n, &err) == PARLEY_OK;
	if (!ok)
		ret = cli_fail(&err);
	if (json) {
		char hex[65];
		parley_hex(hex, id, 32);
		json_t *o = ok ? json_pack("{s:s, s:b, s:I}", "channel", hex, "ok", 1, "entries", (json_int_t)n)
			       : json_pack("{s:s, s:b, s:s}", "channel", hex, "ok", 0, "error", err.msg);
		char *s = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		if (s)
			printf("%s\n", s);
		else
			ret = cli_failf("out of memory");
		free(s);
		json_decref(o);
	} else if (ok) {
		printf("%sreplica verified%s: %llu entries, tree and checkpoint match\n", cli_sgr("32"), cli_sgr("0"),
			(unsigned long long)n);
	}
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}

/* ---- the hotline workflow ---- */

static void fmt_duration(char *out, size_t max, uint64_t ms)
{
	/* for people: "2d 3h", "1h 12m", "3m 5s", "42 s", "1.1 s", "850 ms"; --json gives exact milliseconds */
	uint64_t s = ms / 1000;
	if (s >= 86400)
		snprintf(out, max, "%llud %lluh", (unsigned long long)(s / 86400), (unsigned long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(out, max, "%lluh %llum", (unsigned long long)(s / 3600), (unsigned long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(out, max, "%llum %llus", (unsigned long long)(s / 60), (unsigned long long)(s % 60));
	else if (s >= 10)
		snprintf(out, max, "%llu s", (unsigned long long)s);
	else if (ms >= 1000)
		snprintf(out, max, "%llu.%llu s", (unsigned long long)s, (unsigned long long)(ms % 1000 / 100));
	else
		snprintf(out, max, "%llu ms", (unsigned long long)ms);
}

/* The thread opened by entry N, and the names of its other participants. */
static int thread_at(parley_node *node, const uint8_t id[32], uint64_t n, parley_thread *out)
{
	parley_thread *ts = NULL;
	size_t nt = 0;
	parley_err err = { 0 };
	int ret = EXIT_FAIL;

	if (parley_node_threads(node, id, parley_now_ms(), &ts, &nt, &err))
		return cli_fail(&err);
	for (size_t i = 0; i < nt; i++)
		if (ts[i].opener == n) {
			*out = ts[i];
			ret = EXIT_OK;
		}
	free(ts);
	if (ret)
		cli_failf("entry %llu does not open a thread in the local replica (run 'parley sync'?)", (unsigned long long)n);
	return ret;
}

static const char answer_usage[] =
	"usage: parley [--home DIR] ack N [--text TEXT | --file F] [--dry-run] [--channel ID]\n"
	"       parley [--home DIR] reply N (--text TEXT | --file F | --stix FILE | --misp EVENT.json\n"
	"                                    [--text TEXT | --file F])\n"
	"                                   [--dry-run] [--channel ID]\n"
	"       parley [--home DIR] escalate N [--text TEXT | --file F] [--dry-run] [--channel ID]\n"
	"       parley [--home DIR] close N [--text TEXT | --file F] [--dry-run] [--channel ID]\n"
	"\n"
	"Answer the thread opened by entry N, on the record, to its other participants:\n"
	"  ack        a person has read it (its recipients only, once each)\n"
	"  reply      a response or status update\n"
	"  escalate   to the next level of the charter's escalation ladder\n"
	"  close      the thread is closed\n"
	"Each syncs first and prints the new entry's log index as its last line.\n"
	"The log keeps every entry for good, so mistakes are refused before anything\n"
	"is sent: answering a thread one takes no part in or that is closed (closing\n"
	"twice included), a second acknowledgement, acknowledging one's own thread,\n"
	"escalating past the top of the ladder, an empty text.\n"
	"  --text -    read the text from standard input\n"
	"  --file F    read the text from file F (at most 65536 bytes of UTF-8)\n"
	"  --dry-run   print the entry that would be sent (header and content),\n"
	"              from the local replica, and send nothing (no sync either)\n"
	"\n"
	"Example:\n"
	"  parley ack 12 && parley reply 12 --text 'blocked at our border'\n";

int cmd_answer(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "text", required_argument, NULL, 'x' },
		{ "file", required_argument, NULL, 'f' },
		{ "stix", required_argument, NULL, 's' },
		{ "misp", required_argument, NULL, 'M' },
		{ "channel", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0], *textarg = NULL, *textf = NULL, *text = NULL, *stixf = NULL, *chan = NULL, *mispf = NULL;
	uint8_t type = strcmp(cmd, "ack") == 0 ? PARLEY_T_ACK : strcmp(cmd, "reply") == 0 ? PARLEY_T_RESPONSE
		: strcmp(cmd, "escalate") == 0 ? PARLEY_T_ESCALATION : PARLEY_T_CLOSE;
	parley_seckey *key = NULL;
	parley_node *node = NULL;
	parley_err err = { 0 };
	parley_buf pl = PARLEY_BUF_INIT, sb = PARLEY_BUF_INIT, tb = PARLEY_BUF_INIT, msg = PARLEY_BUF_INIT;
	json_t *stix = NULL;
	parley_thread t;
	uint8_t id[32];
	uint64_t n, index;
	bool dry = false;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'x': textarg = optarg; break;
		case 'f': textf = optarg; break;
		case 's': stixf = optarg; break;
		case 'M': mispf = optarg; break;
		case 'c': chan = optarg; break;
		case 'n': dry = true; break;
		case 'h': return cli_help(answer_usage);
		default: return cli_usage_error(cmd, "unknown option");
		}
	}
	if (optind + 1 != argc || !cli_parse_u64(argv[optind], 0, UINT64_MAX, &n))
		return cli_usage_error(cmd, "expected the index of the entry that opened the thread");
	if (type == PARLEY_T_RESPONSE && !textarg && !textf && !stixf && !mispf)
		return cli_usage_error(cmd, "a reply needs --text, --file, --stix or --misp");
	if ((stixf || mispf) && type != PARLEY_T_RESPONSE)
		return cli_usage_error(cmd, "only a reply carries a STIX bundle");
	if (stixf && mispf)
		return cli_usage_error(cmd, "give --stix or --misp, not both");
	if ((ret = read_text(cmd, textarg, textf, &tb, &text)))
		goto out;
	if (stixf && (parley_file_read(stixf, PARLEY_ENTRY_MAX_PAYLOAD, &sb, &err) ||
			     parley_json_parse((const char *)sb.data, sb.len, PARLEY_ENTRY_MAX_PAYLOAD, &stix, &err) ||
			     parley_stix_validate(stix, &err))) {
		parley_wrap(&err, err.code, "%s", stixf);
		ret = cli_fail(&err);
		goto out;
	}
	if (mispf && (ret = cli_load_misp(mispf, &stix)))
		goto out;
	if ((ret = cli_open_node(&key, &node)) || (ret = pick_channel(node, chan, id)))
		goto out;
	if (!dry) {
		/*
		 * A refusal on the local replica is final (a thread stays closed, acknowledged, escalated): say so
		 * before the sync sends anything. Then the thread as the log has it now (a dry run sends nothing,
		 * not even receipts: it works on the local replica).
		 */
		uint64_t ref0 = n;
		parley_post early = { type, n, &ref0, 1, NULL, -1, NULL, 0, NULL, 0 };
		parley_code erc = parley_node_check_post(node, id, &early, &err);
		if (erc && erc != PARLEY_E_NOTFOUND) {
			ret = cli_fail(&err);
			goto out;
		}
		parley_sync_report rep;
		if (parley_node_sync(node, id, &rep, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
	}
	if ((ret = thread_at(node, id, n, &t)))
		goto out;
	const parley_charter *ch = parley_node_charter(node, id);
	if (type == PARLEY_T_ESCALATION) {
		if (parley_compose_escalation(ch, &t, text, &msg, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		text = (const char *)msg.data;
	}
	if ((text || stix) && parley_payload_encode(text, stix, &pl, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	const char *names[PARLEY_ENTRY_MAX_RECIP];
	size_t nn = parley_compose_answer_to(ch, &t, key->pub.keyid, names);
	uint64_t ref = n;
	parley_post post = { type, n, &ref, 1, t.category, -1, names, nn, pl.data, pl.len };
	if (dry) {
		parley_entry_hdr h;
		if (parley_node_preview(node, id, &post, &h, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		cli_print_preview(node, id, &h, pl.data, pl.len, NULL);
		goto out;
	}
	/* parley_node_post checks who may answer, closed threads, acknowledgements and the ladder after its sync */
	if (parley_node_post(node, id, &post, &index, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if (index == PARLEY_INDEX_QUEUED)
		printf("%s of thread %llu queued in the outbox: the relay cannot be reached (sent when it is back)\nqueued\n",
			parley_type_name(type), (unsigned long long)n);
	else
		printf("%s of thread %llu recorded\n%llu\n", parley_type_name(type), (unsigned long long)n,
			(unsigned long long)index);
	ret = EXIT_OK;
out:
	json_decref(stix);
	parley_buf_release(&pl);
	parley_buf_release(&sb);
	parley_buf_release(&tb);
	parley_buf_release(&msg);
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}

static const char ping_usage[] =
	"usage: parley [--home DIR] ping NAME [--category CAT] [--dry-run] [--channel ID]\n"
	"\n"
	"A timed liveness test of a point of contact: a ping entry that NAME's node\n"
	"answers automatically on its next sync. The round trip is on the record\n"
	"('parley thread N' or 'parley status'). Prints the ping's log index last.\n"
	"NAME is another party of the charter: a ping to oneself or to an auditor is\n"
	"refused before anything is sent.\n"
	"  --dry-run   print the entry that would be sent and send nothing (no sync)\n"
	"\n"
	"Example:\n"
	"  parley ping cert-b\n";

int cmd_ping(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "category", required_argument, NULL, 'C' },
		{ "channel", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cat = NULL, *chan = NULL;
	parley_seckey *key = NULL;
	parley_node *node = NULL;
	parley_err err = { 0 };
	uint8_t id[32];
	uint64_t index;
	bool dry = false;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'C': cat = optarg; break;
		case 'c': chan = optarg; break;
		case 'n': dry = true; break;
		case 'h': return cli_help(ping_usage);
		default: return cli_usage_error("ping", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("ping", "expected the name of the party to ping");
	if ((ret = cli_open_node(&key, &node)) || (ret = pick_channel(node, chan, id)))
		goto out;
	const char *to[1] = { argv[optind] };
	parley_post p = { PARLEY_T_PING, 0, NULL, 0, cat, -1, to, 1, NULL, 0 };
	if (dry) {
		parley_entry_hdr h;
		if (parley_node_preview(node, id, &p, &h, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		cli_print_preview(node, id, &h, NULL, 0, NULL);
		goto out;
	}
	if (parley_node_check_post(node, id, &p, &err) || parley_node_post(node, id, &p, &index, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if (index == PARLEY_INDEX_QUEUED)
		printf("ping to %s queued in the outbox: the relay cannot be reached (sent when it is back)\nqueued\n",
			argv[optind]);
	else
		printf("ping sent to %s\n%llu\n", argv[optind], (unsigned long long)index);
out:
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}

/*
 * Milliseconds to the next deadline of a thread that someone still owes an answer
 * in: negative when overdue; INT64_MAX for none. *which is that obligation.
 */
static int64_t urgency(const parley_workflow *wf, const parley_thread *t, uint64_t now, const parley_obligation **which)
{
	int64_t u = INT64_MAX;
	if (which)
		*which = NULL;
	if (t->closed_ms)
		return INT64_MAX;
	for (size_t i = t->obl_first; i < t->obl_first + t->nobl; i++) {
		const parley_obligation *o = &wf->obl[i];
		if (o->has_entry || o->outcome == PARLEY_OUT_NOT_APPLICABLE)
			continue;
		int64_t d = (int64_t)o->deadline_ms - (int64_t)now;
		if (d < u) {
			u = d;
			if (which)
				*which = o;
		}
	}
	return u;
}

static const parley_workflow *sort_wf; /* qsort has no context argument */

static int cmp_threads(const void *a, const void *b)
{
	const parley_thread *x = a, *y = b;
	uint64_t now = parley_now_ms();
	int64_t ux = urgency(sort_wf, x, now, NULL), uy = urgency(sort_wf, y, now, NULL);
	if (ux != uy)
		return ux < uy ? -1 : 1;
	return x->opener < y->opener ? 1 : x->opener > y->opener ? -1 : 0;
}

/*
 * A thread as JSON (docs/cli-json.md, "parley status --json" and "parley thread --json"): the opener, its state,
 * deadlines and obligations judged at now. NULL when out of memory.
 */
static json_t *thread_json(const parley_workflow *wf, const parley_thread *t, const parley_charter *ch, uint64_t now)
{
	const parley_party *rq = parley_charter_party_by_keyid(ch, t->requester);
	json_t *o = json_object(), *a;
	bool bad = !o;

	if (bad)
		return NULL;
	jset(o, "thread", json_integer((json_int_t)t->opener), &bad);
	jset(o, "state", jstr(parley_thread_state_name(t->state)), &bad);
	jset(o, "type", jstr(parley_type_name(t->type)), &bad);
	jset(o, "from", jstr(rq ? rq->key.name : "?"), &bad);
	jset(o, "category", jstr(t->category), &bad);
	if ((a = json_array()))
		for (unsigned k = 0; k < t->nrecip; k++) {
			const parley_party *p = parley_charter_party_by_keyid(ch, t->recip[k]);
			bad |= json_array_append_new(a, jstr(p ? p->key.name : "?")) != 0;
		}
	jset(o, "to", a, &bad);
	jset(o, "opened_at", jtime(t->opened_ms), &bad);
	jset(o, "acknowledge_by", t->ack_deadline_ms ? jtime(t->ack_deadline_ms) : json_null(), &bad);
	jset(o, "respond_by", t->respond_deadline_ms ? jtime(t->respond_deadline_ms) : json_null(), &bad);
	jset(o, "acknowledged_at", t->ack_ms ? jtime(t->ack_ms) : json_null(), &bad);
	jset(o, "answered_at", t->answered_ms ? jtime(t->answered_ms) : json_null(), &bad);
	jset(o, "closed_at", t->closed_ms ? jtime(t->closed_ms) : json_null(), &bad);
	jset(o, "escalations", json_integer(t->escalations), &bad);
	jset(o, "round_trip_ms",
		t->type == PARLEY_T_PING && t->answered_ms ? json_integer((json_int_t)(t->answered_ms - t->opened_ms)) : json_null(),
		&bad);
	if ((a = json_array()))
		for (size_t k = t->obl_first; k < t->obl_first + t->nobl; k++) {
			const parley_obligation *ob = &wf->obl[k];
			const parley_party *p = parley_charter_party_by_keyid(ch, ob->party);
			json_t *j = json_object();
			bool jb = !j;
			if (!j) {
				bad = true;
				break;
			}
			jset(j, "party", jstr(p ? p->key.name : "?"), &jb);
			jset(j, "kind", jstr(parley_obl_kind_name(ob->kind)), &jb);
			jset(j, "deadline", jtime(ob->deadline_ms), &jb);
			jset(j, "outcome", jstr(ob->outcome ? parley_outcome_name(ob->outcome) : "pending"), &jb);
			jset(j, "overdue", json_boolean(ob->overdue), &jb);
			jset(j, "at", ob->has_entry ? jtime(ob->at_ms) : json_null(), &jb);
			jset(j, "entry", ob->has_entry ? json_integer((json_int_t)ob->entry) : json_null(), &jb);
			jset(j, "after_ms", ob->has_entry && ob->at_ms >= t->opened_ms ?
				json_integer((json_int_t)(ob->at_ms - t->opened_ms)) : json_null(), &jb);
			jset(j, "late_by_ms", ob->outcome == PARLEY_OUT_LATE ? json_integer((json_int_t)ob->late_by_ms) : json_null(),
				&jb);
			jset(j, "overdue_by_ms", ob->overdue && !ob->has_entry && now >= ob->deadline_ms ?
				json_integer((json_int_t)(now - ob->deadline_ms)) : json_null(), &jb);
			jset(j, "why", ob->why && ob->why != PARLEY_WHY_PENDING ? jstr(parley_obl_why_text(ob->why)) : json_null(),
				&jb);
			if (jb) {
				json_decref(j);
				bad = true;
			} else {
				bad |= json_array_append_new(a, j) != 0;
			}
		}
	jset(o, "obligations", a, &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static const char status_usage[] =
	"usage: parley [--home DIR] status [--all] [--json] [--channel ID]\n"
	"\n"
	"Every open thread of the local replica with its state (open, acknowledged,\n"
	"escalated, overdue, answered) and the time left to its next deadline\n"
	"or how long it is overdue, most urgent first, then how many threads are\n"
	"closed. Deadlines run from the relay's integration times; 'now' is this\n"
	"machine's clock. Run 'parley sync' first. It reads the node's incremental\n"
	"tables: its cost grows with the open threads, not with the log.\n"
	"Warns on standard error 30, 7 and 1 days before the charter expires. On a\n"
	"successor charter, the threads still open on its predecessor follow (--json:\n"
	"each thread has its \"channel\"; those have \"predecessor\": true).\n"
	"\n"
	"  --all   closed threads too (a pass over the whole replica)\n"
	"\n"
	"Example:\n"
	"  parley sync && parley status\n";

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "channel", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *chan = NULL;
	bool as_json = false, all = false;
	uint64_t closed = 0;
	parley_seckey *key = NULL;
	parley_node *node = NULL;
	parley_err err = { 0 };
	parley_workflow wf = PARLEY_WORKFLOW_INIT;
	parley_thread *ts = NULL;
	size_t nt = 0;
	uint8_t id[32];
	uint64_t now = parley_now_ms();
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = true; break;
		case 'a': all = true; break;
		case 'c': chan = optarg; break;
		case 'h': return cli_help(status_usage);
		default: return cli_usage_error("status", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("status", "unexpected argument '%s'", argv[optind]);
	if ((ret = cli_open_node(&key, &node)) || (ret = pick_channel(node, chan, id)))
		goto out;
	warn_validity(node, id);
	if (!as_json)
		cli_print_succession(node, id);
	char hexid[65];
	parley_hex(hexid, id, 32);
	/* the open threads from the node's tables; every thread (a pass over the replica) with --all */
	if (all ? parley_node_workflow(node, id, now, &wf, &err) :
		  parley_node_workflow_open(node, id, now, &wf, &closed, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	/* most urgent first; the obligations stay where the engine put them */
	nt = wf.nthreads;
	ts = malloc((nt ? nt : 1) * sizeof(*ts));
	if (!ts) {
		ret = cli_failf("out of memory");
		goto out;
	}
	if (nt) /* memcpy's source must not be NULL, even for no bytes */
		memcpy(ts, wf.threads, nt * sizeof(*ts));
	sort_wf = &wf;
	qsort(ts, nt, sizeof(*ts), cmp_threads);
	const parley_charter *ch = parley_node_charter(node, id);
	json_t *arr = as_json ? json_array() : NULL;
	if (!as_json && nt == 0)
		printf(closed ? "no open threads\n" : "no threads\n");
	else if (!as_json)
		printf("%-6s %-12s %-24s %-10s %-24s %s\n", "THREAD", "STATE", "TYPE", "FROM", "CATEGORY", "DEADLINE");
	for (size_t i = 0; i < nt; i++) {
		parley_thread *t = &ts[i];
		const parley_party *rq = parley_charter_party_by_keyid(ch, t->requester);
		const parley_obligation *next;
		int64_t u = urgency(&wf, t, now, &next);
		char when[96] = "-", d[24];
		if (u != INT64_MAX && next) {
			const parley_party *owes = parley_charter_party_by_keyid(ch, next->party);
			fmt_duration(d, sizeof(d), (uint64_t)(u < 0 ? -u : u));
			snprintf(when, sizeof(when), "%s %s %s (%s)", parley_obl_kind_name(next->kind),
				u < 0 ? "overdue by" : "in", d, owes ? owes->key.name : "?");
		} else if (t->type == PARLEY_T_PING && t->answered_ms) {
			fmt_duration(d, sizeof(d), t->answered_ms - t->opened_ms);
			snprintf(when, sizeof(when), "round trip %s", d);
		}
		if (!as_json) {
			const char *st = parley_thread_state_name(t->state);
			printf("%-6llu %s%s%s%*s %-24s %-10s %-24s %s\n", (unsigned long long)t->opener, cli_state_sgr(st), st,
				cli_sgr("0"), (int)(strlen(st) < 12 ? 12 - strlen(st) : 0), "", parley_type_name(t->type),
				rq ? rq->key.name : "?", t->category, when);
			continue;
		}
		json_t *o = thread_json(&wf, t, ch, now);
		if (!o || json_object_set_new(o, "seconds_to_deadline", u == INT64_MAX ? json_null() : json_integer(u / 1000)) ||
			json_object_set_new(o, "channel", json_string(hexid)) || json_array_append_new(arr, o)) {
			json_decref(arr);
			ret = cli_failf("cannot build the JSON document (out of memory?)");
			goto out;
		}
	}
	/* one dialogue: the threads still open on a predecessor this home follows run there until they end */
	const uint8_t *pred = parley_charter_predecessor(ch);
	const parley_charter *pch = pred ? parley_node_charter(node, pred) : NULL;
	parley_workflow pwf = PARLEY_WORKFLOW_INIT;
	if (as_json && pch && parley_node_workflow_open(node, pred, now, &pwf, NULL, NULL) == PARLEY_OK) {
		char phex[65];
		parley_hex(phex, pred, 32);
		for (size_t i = 0; i < pwf.nthreads; i++) {
			const parley_thread *t = &pwf.threads[i];
			const parley_obligation *next;
			if (t->closed_ms || t->type == PARLEY_T_PING)
				continue;
			int64_t u = urgency(&pwf, t, now, &next);
			json_t *o = thread_json(&pwf, t, pch, now);
			if (!o ||
				json_object_set_new(o, "seconds_to_deadline", u == INT64_MAX ? json_null() : json_integer(u / 1000)) ||
				json_object_set_new(o, "channel", json_string(phex)) ||
				json_object_set_new(o, "predecessor", json_true()) || json_array_append_new(arr, o)) {
				json_decref(arr);
				parley_workflow_release(&pwf);
				ret = cli_failf("cannot build the JSON document (out of memory?)");
				goto out;
			}
		}
	}
	parley_workflow_release(&pwf);
	if (!as_json && closed)
		printf("%llu closed thread%s not shown (parley status --all)\n", (unsigned long long)closed,
			closed == 1 ? "" : "s");
	{
		/* entries composed while the relay could not be reached, waiting to be sent */
		size_t waiting = 0;
		uint64_t oldest = 0;
		if (!as_json && parley_node_outbox(node, id, &waiting, &oldest, NULL) == PARLEY_OK && waiting) {
			char b2[32];
			iso_ms(b2, oldest);
			printf("outbox: %zu entr%s waiting for the relay (oldest composed at %s)\n", waiting,
				waiting == 1 ? "y" : "ies", b2);
		}
	}
	if (as_json)
		ret = jprint(arr, !arr);
out:
	free(ts);
	parley_workflow_release(&wf);
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}

static const char thread_usage[] =
	"usage: parley [--home DIR] thread N [--json] [--channel ID]\n"
	"\n"
	"The thread opened by entry N: its state and deadlines, then every entry in it\n"
	"with the relay's integration time and, where addressed here, its text.\n"
	"  --json   one JSON object: the thread as in 'status --json' with its verdict\n"
	"           and its entries as 'show --json' prints them (docs/cli-json.md)\n"
	"\n"
	"Example:\n"
	"  parley thread 12\n";

int cmd_thread(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *chan = NULL;
	bool as_json = false;
	json_t *js = NULL, *jentries = NULL;
	parley_seckey *key = NULL;
	parley_node *node = NULL;
	parley_err err = { 0 };
	parley_workflow wf = PARLEY_WORKFLOW_INIT;
	const parley_thread *tp;
	uint8_t id[32];
	uint64_t n, size;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': chan = optarg; break;
		case 'j': as_json = true; break;
		case 'h': return cli_help(thread_usage);
		default: return cli_usage_error("thread", "unknown option");
		}
	}
	if (optind + 1 != argc || !cli_parse_u64(argv[optind], 0, UINT64_MAX, &n))
		return cli_usage_error("thread", "expected the index of the entry that opened the thread");
	if ((ret = cli_open_node(&key, &node)) || (ret = pick_channel(node, chan, id)))
		goto out;
	if (parley_node_workflow(node, id, parley_now_ms(), &wf, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if (!(tp = parley_workflow_thread(&wf, n))) {
		ret = cli_failf("entry %llu does not open a thread (see 'parley inbox')", (unsigned long long)n);
		goto out;
	}
	const parley_thread t = *tp;
	const parley_charter *ch = parley_node_charter(node, id);
	char b[32], d[24];
	if (as_json) {
		parley_verdict v = parley_workflow_verdict(&wf, &t);
		parley_buf vt = PARLEY_BUF_INIT;
		json_t *vp = json_array();
		bool bad = !(js = thread_json(&wf, &t, ch, parley_now_ms())) || !vp;
		for (unsigned k = 0; !bad && k < v.nparties; k++) {
			const parley_party *p = parley_charter_party_by_keyid(ch, v.parties[k]);
			bad |= json_array_append_new(vp, jstr(p ? p->key.name : "?")) != 0;
		}
		bad |= parley_verdict_text(ch, &wf, &t, &v, &vt) != PARLEY_OK;
		if (!bad)
			jset(js, "verdict",
				json_pack("{s:s, s:s%, s:O}", "code", parley_verdict_code_name(v.code), "text",
					vt.data ? (const char *)vt.data : "", vt.len, "parties", vp),
				&bad);
		json_decref(vp);
		parley_buf_release(&vt);
		if (!bad)
			jset(js, "entries", (jentries = json_array()), &bad);
		if (bad) {
			ret = cli_failf("cannot build the JSON document (out of memory?)");
			goto out;
		}
		goto entries;
	}
	printf("thread %llu: %s, %s%s%s\n", (unsigned long long)n, parley_type_name(t.type),
		cli_state_sgr(parley_thread_state_name(t.state)), parley_thread_state_name(t.state), cli_sgr("0"));
	iso_ms(b, t.opened_ms);
	printf("opened:        %s\n", b);
	/* one line per obligation: who owes what by when, and what the log shows */
	for (size_t k = t.obl_first; k < t.obl_first + t.nobl; k++) {
		const parley_obligation *o = &wf.obl[k];
		const parley_party *p = parley_charter_party_by_keyid(ch, o->party);
		iso_ms(b, o->deadline_ms);
		const char *oc = o->outcome ? parley_outcome_name(o->outcome) : "pending";
		printf("%-11s %-10s by %s: %s%s%s", parley_obl_kind_name(o->kind), p ? p->key.name : "?", b,
			cli_state_sgr(o->overdue && !o->has_entry ? "overdue" : oc), oc, cli_sgr("0"));
		if (o->has_entry) {
			fmt_duration(d, sizeof(d), o->at_ms - t.opened_ms);
			printf(" (entry %llu, after %s)", (unsigned long long)o->entry, d);
		} else if (o->overdue) {
			fmt_duration(d, sizeof(d), parley_now_ms() - o->deadline_ms);
			printf(" (overdue by %s)", d);
		}
		if (o->why && o->why != PARLEY_WHY_PENDING)
			printf(": %s", parley_obl_why_text(o->why));
		printf("\n");
	}
	{
		parley_verdict v = parley_workflow_verdict(&wf, &t);
		parley_buf vt = PARLEY_BUF_INIT;
		if (parley_verdict_text(ch, &wf, &t, &v, &vt) == PARLEY_OK)
			printf("verdict:       %.*s\n", (int)vt.len, (const char *)vt.data);
		parley_buf_release(&vt);
	}
	if (t.type == PARLEY_T_PING && t.answered_ms) {
		fmt_duration(d, sizeof(d), t.answered_ms - t.opened_ms);
		printf("round trip:    %s (%llu ms, relay clock)\n", d, (unsigned long long)(t.answered_ms - t.opened_ms));
	}
entries:
	if (parley_store_size(parley_node_store(node), id, &size, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	for (uint64_t i = n; i < size; i++) {
		parley_node_entry e;
		uint64_t op;
		char text[72], ts[CLI_TIME_MAX];
		if (parley_node_entry_get(node, id, i, &e, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		if (parley_workflow_thread_of(&e.e.h, i, &op) && op == n && jentries) {
			json_t *o = entry_json(&e, ch, i);
			if (!o || json_array_append_new(jentries, o)) {
				parley_node_entry_release(&e);
				ret = cli_failf("entry %llu: cannot build its JSON (out of memory?)", (unsigned long long)i);
				goto out;
			}
		} else if (parley_workflow_thread_of(&e.e.h, i, &op) && op == n) {
			summary(&e, ch, text, sizeof(text));
			cli_time(ts, (int64_t)(e.integrated_ms / 1000));
			printf("%-5llu %s  %-12s %-16s %s\n", (unsigned long long)i, ts, e.sender ? e.sender->key.name : "?",
				parley_type_name(e.e.h.type), text);
		}
		parley_node_entry_release(&e);
	}
	if (js) {
		ret = jprint(js, false);
		js = NULL;
	}
out:
	json_decref(js);
	parley_workflow_release(&wf);
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}

static const char prove_usage[] =
	"usage: parley [--home DIR] prove N [--reveal] [--channel ID] > proof.json\n"
	"\n"
	"A self-contained proof bundle for entry N that any third party checks offline\n"
	"with 'parley check-proof': the charter, a checkpoint signed by the relay and\n"
	"cosigned by members, entry N, its thread's receipts, acknowledgements,\n"
	"responses, unreadable reports and deadline-missed entries, every entry up to\n"
	"the first one integrated after each deadline not met in time (showing what\n"
	"did not happen), each recipient's own attestation of the log past its\n"
	"deadlines (its chain of entries, or a checkpoint it cosigned) and, for a\n"
	"recipient without a receipt, its earliest signed read past N that the relay\n"
	"kept; each entry with its inclusion proof. It syncs first when the relay\n"
	"answers. --reveal adds N's content key, so that the checker sees the content,\n"
	"that the log holds exactly it, and whether every recipient's key was sealed\n"
	"right.\n"
	"\n"
	"Example:\n"
	"  parley prove 12 > proof.json && parley check-proof proof.json\n";

int cmd_prove(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reveal", no_argument, NULL, 'r' },
		{ "channel", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *chan = NULL;
	bool reveal = false;
	parley_seckey *key = NULL;
	parley_node *node = NULL;
	parley_err err = { 0 };
	parley_buf out = PARLEY_BUF_INIT;
	uint8_t id[32];
	uint64_t n;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': reveal = true; break;
		case 'c': chan = optarg; break;
		case 'h': return cli_help(prove_usage);
		default: return cli_usage_error("prove", "unknown option");
		}
	}
	if (optind + 1 != argc || !cli_parse_u64(argv[optind], 0, UINT64_MAX, &n))
		return cli_usage_error("prove", "expected one entry index");
	if ((ret = cli_open_node(&key, &node)) || (ret = pick_channel(node, chan, id)))
		goto out;
	if (parley_node_prove(node, id, n, reveal, &out, &err))
		ret = cli_fail(&err);
	else if (!cli_write_stdout(out.data, out.len))
		ret = cli_failf("cannot write standard output");
out:
	parley_buf_release(&out);
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}

static const char resume_usage[] =
	"usage: parley [--home DIR] resume [--fork] [--channel ID]\n"
	"\n"
	"After a relay was caught misbehaving (a rollback, a fork, a rewritten history),\n"
	"this node refuses it for that channel and keeps the evidence in DIR. When an\n"
	"operator has investigated, 'resume' lets the node talk to the relay again.\n"
	"The evidence file stays; every later check still applies.\n"
	"\n"
	"--fork: the relay's operator announced that it restored the relay from an old\n"
	"backup (a fork by design, README \"Backing up\"). The node finds the longest\n"
	"prefix of its replica that the relay's current log extends (checked with the\n"
	"relay's signed checkpoint and consistency proofs), copies the whole replica to\n"
	"DIR/replica-before-fork-*.db (the abandoned history stays available), cuts the\n"
	"channel back to that prefix and resumes; the next sync fetches the rest.\n"
	"Prints how many entries the relay lost, and how many of them were this party's\n"
	"(to be sent again if they still matter).\n"
	"\n"
	"Example:\n"
	"  parley check-evidence ~/.parley/evidence-*.json && parley resume\n";

int cmd_resume(int argc, char **argv)
{
	parley_seckey *key;
	parley_node *node;
	parley_err err = { 0 };
	uint8_t id[32];
	bool fork = false;
	int n = 0;
	for (int i = 0; i < argc; i++) /* --fork, then the usual --channel parsing */
		if (i == 0 || strcmp(argv[i], "--fork") != 0)
			argv[n++] = argv[i];
		else
			fork = true;
	argc = n;
	int ret = channel_command(argc, argv, resume_usage, &key, &node, id);

	if (ret)
		return ret == HELP_SHOWN ? EXIT_OK : ret;
	if (fork)
		ret = cli_resume_fork(node, id);
	else if (!parley_node_halted(node, id))
		printf("the relay of this channel is trusted already\n");
	else if (parley_node_resume(node, id, &err))
		ret = cli_fail(&err);
	else
		printf("this node will talk to the relay again; the evidence file is kept\n");
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}
