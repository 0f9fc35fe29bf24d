/* cmd_node.c - a party's node: parley join | sync | notify | inbox | show | verify. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "parley/jcs.h"
#include "parley/node.h"
#include "parley/payload.h"
#include "banned.h"

const char *cli_home_dir;

static const char *home_dir(char *buf, size_t max)
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
static int open_node(parley_seckey **key, parley_node **node)
{
	char buf[1024], name[PARLEY_NAME_MAX + 1], keypath[1200];
	const char *home = home_dir(buf, sizeof(buf));
	parley_err err = { 0 };
	int ret;

	*key = NULL;
	*node = NULL;
	if (parley_node_identity(home, name, keypath, sizeof(keypath), &err))
		return cli_fail(&err);
	if ((ret = cli_load_seckey(keypath, key)))
		return ret;
	if (parley_node_open(home, *key, node, &err)) {
		parley_seckey_free(*key);
		*key = NULL;
		return cli_fail(&err);
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
	"charter's. --ca trusts this CA certificate for an https relay (kept in DIR).\n";

static int cmd_join(int argc, char **argv)
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
	const char *home = home_dir(buf, sizeof(buf));
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

static const char sync_usage[] =
	"usage: parley [--home DIR] sync [--channel ID]\n"
	"\n"
	"Fetch the relay's latest checkpoint and the new entries; verify the checkpoint's\n"
	"signature and its consistency with the last verified one, every entry's\n"
	"signature, sequence, chain and scope, and that the entries hash to the signed\n"
	"root; store them; decrypt those addressed to this party and answer each with a\n"
	"receipt; cosign the verified checkpoint. Any failure names what failed, stores\n"
	"nothing and exits 1.\n";

static int cmd_sync(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *chan = NULL;
	parley_seckey *key;
	parley_node *node;
	parley_sync_report rep;
	parley_err err = { 0 };
	uint8_t id[32];
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': chan = optarg; break;
		case 'h': return cli_help(sync_usage);
		default: return cli_usage_error("sync", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("sync", "unexpected argument '%s'", argv[optind]);
	if ((ret = open_node(&key, &node)))
		return ret;
	if (!(ret = pick_channel(node, chan, id))) {
		if (parley_node_sync(node, id, &rep, &err)) {
			ret = cli_fail(&err);
		} else {
			printf("verified log of %llu entries (%llu new); %llu received, %llu receipts sent%s%s\n",
				(unsigned long long)rep.new_size, (unsigned long long)(rep.new_size - rep.old_size),
				(unsigned long long)rep.received, (unsigned long long)rep.receipts,
				rep.cosigned ? "; checkpoint cosigned" : "",
				rep.undecryptable ? "; WARNING: some entries addressed here do not decrypt" : "");
		}
	}
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}

static const char notify_usage[] =
	"usage: parley [--home DIR] notify --to NAME[,NAME...] --category CAT [--tlp LEVEL]\n"
	"                                  (--text TEXT | --stix FILE [--text TEXT]) [--channel ID]\n"
	"\n"
	"Send a notification (an incident report) to the named parties: sync, then\n"
	"sign, seal (to the recipients and this party) and append it. Prints the log\n"
	"index the relay assigned as the last line.\n";

static int cmd_notify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "category", required_argument, NULL, 'C' },
		{ "tlp", required_argument, NULL, 'l' },
		{ "text", required_argument, NULL, 'x' },
		{ "stix", required_argument, NULL, 's' },
		{ "channel", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *chan = NULL, *cat = NULL, *text = NULL, *stixf = NULL;
	char *to = NULL;
	int tlp = -1, c, ret;
	const char *names[PARLEY_ENTRY_MAX_RECIP];
	size_t nnames = 0;
	json_t *stix = NULL;
	parley_buf pl = PARLEY_BUF_INIT, sb = PARLEY_BUF_INIT;
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
		case 'x': text = optarg; break;
		case 's': stixf = optarg; break;
		case 'c': chan = optarg; break;
		case 'h': return cli_help(notify_usage);
		default: return cli_usage_error("notify", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("notify", "unexpected argument '%s'", argv[optind]);
	if (!to || !cat || (!text && !stixf))
		return cli_usage_error("notify", "--to, --category and --text or --stix are required");
	for (char *s = to; s; nnames++) {
		char *comma = strchr(s, ',');
		if (nnames == PARLEY_ENTRY_MAX_RECIP - 1)
			return cli_usage_error("notify", "too many recipients");
		if (comma)
			*comma = 0;
		names[nnames] = s;
		s = comma ? comma + 1 : NULL;
	}
	if (stixf) {
		if (parley_file_read(stixf, PARLEY_ENTRY_MAX_PAYLOAD, &sb, &err) ||
			parley_json_parse((const char *)sb.data, sb.len, PARLEY_ENTRY_MAX_PAYLOAD, &stix, &err)) {
			parley_wrap(&err, err.code, "%s", stixf);
			ret = cli_fail(&err);
			goto out;
		}
	}
	if (parley_payload_encode(text, stix, &pl, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if ((ret = open_node(&key, &node)) || (ret = pick_channel(node, chan, id)))
		goto out;
	parley_post p = { PARLEY_T_NOTIFICATION, 0, NULL, 0, cat, tlp, names, nnames, pl.data, pl.len };
	if (parley_node_post(node, id, &p, &index, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	printf("notification sent to %s\n%llu\n", to, (unsigned long long)index);
	ret = EXIT_OK;
out:
	json_decref(stix);
	parley_buf_release(&pl);
	parley_buf_release(&sb);
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}

/* A one-line summary of an entry's content. */
static void summary(const parley_node_entry *e, const parley_charter *ch, char *out, size_t max)
{
	parley_payload p;
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
		if (e->e.h.nrefs)
			snprintf(out, max, "re %llu", (unsigned long long)e->e.h.refs[0]);
		else if (e->payload.len)
			snprintf(out, max, "(%zu bytes)", e->payload.len);
		else
			out[0] = 0;
		return;
	}
	if (p.text) {
		size_t n = 0;
		for (const char *s = p.text; *s && n + 1 < max; s++)
			out[n++] = (*s == '\n' || *s == '\t') ? ' ' : *s;
		out[n] = 0;
		if (strlen(p.text) + 1 > max && max > 4)
			memcpy(out + max - 4, "...", 4);
	} else {
		snprintf(out, max, "[STIX bundle]");
	}
	parley_payload_release(&p);
}

static const char inbox_usage[] =
	"usage: parley [--home DIR] inbox [--channel ID]\n"
	"\n"
	"One line per entry of the local replica: index, time the relay integrated it,\n"
	"sender, type, category, and the start of the text (decrypted where this party\n"
	"is a recipient). Run 'parley sync' first to fetch new entries.\n";

static const char show_usage[] =
	"usage: parley [--home DIR] show N [--channel ID]\n"
	"\n"
	"One entry of the local replica in full: its header and, where this party is a\n"
	"recipient, its decrypted content.\n";

static int list_or_show(int argc, char **argv, bool show)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *chan = NULL, *cmd = show ? "show" : "inbox";
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
		case 'h': return cli_help(show ? show_usage : inbox_usage);
		default: return cli_usage_error(cmd, "unknown option");
		}
	}
	if (show && (optind + 1 != argc || !cli_parse_u64(argv[optind], 0, UINT64_MAX, &n)))
		return cli_usage_error(cmd, "expected one entry index");
	if (!show && optind != argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if ((ret = open_node(&key, &node)) || (ret = pick_channel(node, chan, id)))
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
	for (uint64_t i = show ? n : 0; i < (show ? n + 1 : size); i++) {
		parley_node_entry e;
		char ts[21], text[72], hex[65];
		if (parley_node_entry_get(node, id, i, &e, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		parley_time_fmt(ts, (int64_t)(e.integrated_ms / 1000));
		if (!show) {
			summary(&e, ch, text, sizeof(text));
			printf("%-5llu %s  %-12s %-16s %-24s %s\n", (unsigned long long)i, ts,
				e.sender ? e.sender->key.name : "?", parley_type_name(e.e.h.type), e.e.h.category, text);
		} else {
			printf("index:      %llu\nintegrated: %s (%llu ms, relay clock)\n", (unsigned long long)i, ts,
				(unsigned long long)e.integrated_ms);
			printf("sender:     %s (seq %llu)\ntype:       %s\n", e.sender ? e.sender->key.name : "?",
				(unsigned long long)e.e.h.seq, parley_type_name(e.e.h.type));
			printf("thread:     %llu\ncategory:   %s\ntlp:        %s\n", (unsigned long long)e.e.h.thread,
				e.e.h.category, parley_tlp_name(e.e.h.tlp));
			printf("refs:      ");
			for (unsigned k = 0; k < e.e.h.nrefs; k++)
				printf(" %llu", (unsigned long long)e.e.h.refs[k]);
			printf("\nrecipients:");
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
				if (e.payload.len && !parley_payload_decode(e.payload.data, e.payload.len, &p, NULL)) {
					if (p.text)
						printf("text:\n%s\n", p.text);
					if (p.stix) {
						char *s = json_dumps(p.stix, JSON_INDENT(2));
						printf("stix:\n%s\n", s ? s : "");
						free(s);
					}
					parley_payload_release(&p);
				} else if (e.payload.len) {
					printf("content:    %zu bytes, not a parley payload\n", e.payload.len);
				}
			}
		}
		parley_node_entry_release(&e);
	}
	ret = EXIT_OK;
out:
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}

static int cmd_inbox(int argc, char **argv) { return list_or_show(argc, argv, false); }
static int cmd_show(int argc, char **argv) { return list_or_show(argc, argv, true); }

static const char verify_usage[] =
	"usage: parley [--home DIR] verify [--channel ID]\n"
	"\n"
	"Re-verify the whole local replica from scratch: the charter's signatures, the\n"
	"tree against every entry, every entry's signature, sequence, chain and scope,\n"
	"and the last relay checkpoint's signature and root. Exit 1 on any problem.\n";

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *chan = NULL;
	parley_seckey *key = NULL;
	parley_node *node = NULL;
	parley_err err = { 0 };
	uint8_t id[32];
	uint64_t n = 0;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': chan = optarg; break;
		case 'h': return cli_help(verify_usage);
		default: return cli_usage_error("verify", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("verify", "unexpected argument '%s'", argv[optind]);
	if ((ret = open_node(&key, &node)) || (ret = pick_channel(node, chan, id)))
		goto out;
	if (parley_node_verify(node, id, &n, &err))
		ret = cli_fail(&err);
	else
		printf("replica verified: %llu entries, tree and checkpoint match\n", (unsigned long long)n);
out:
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}

int cmd_node(int argc, char **argv)
{
	if (strcmp(argv[0], "join") == 0)
		return cmd_join(argc, argv);
	if (strcmp(argv[0], "sync") == 0)
		return cmd_sync(argc, argv);
	if (strcmp(argv[0], "notify") == 0)
		return cmd_notify(argc, argv);
	if (strcmp(argv[0], "inbox") == 0)
		return cmd_inbox(argc, argv);
	if (strcmp(argv[0], "show") == 0)
		return cmd_show(argc, argv);
	return cmd_verify(argc, argv);
}
