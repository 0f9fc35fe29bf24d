/* cmd_entry.c - parley entry new | inspect: one entry, outside any log. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parley/entry.h"
#include "banned.h"

static const char usage_text[] =
	"usage: parley entry new --key A.key --charter C.json --to NAME[,NAME...] --type TYPE\n"
	"                        --category CAT (--text TEXT | --file F) --out FILE [options]\n"
	"       parley entry inspect FILE [--key K.key] [--charter C.json]\n"
	"\n"
	"Low-level tools for one entry, the unit of the log (docs/protocol.md).\n"
	"\n"
	"new: builds, seals and signs an entry as the key's owner.\n"
	"  --to NAMES        recipients, charter parties (comma-separated)\n"
	"  --type TYPE       notification, request-for-information, acknowledgement, ...\n"
	"  --category CAT    a category of the charter's scope\n"
	"  --tlp LEVEL       clear, green, amber, amber+strict, red (default: the charter's)\n"
	"  --seq N           the sender's sequence number (default 1)\n"
	"  --prev FILE       the sender's previous entry (required when --seq > 1)\n"
	"  --thread N        log index of the thread's opening entry (default 0)\n"
	"  --ref N           a referenced log index (repeat, at most 16)\n"
	"  --text TEXT | --file F   the content to seal\n"
	"  --out FILE        where to write the entry\n"
	"  --unchecked       skip the local scope checks (to test that a relay refuses);\n"
	"                    --to then also takes public key files (NAME.pub) of outsiders\n"
	"  --seal-to NAME=OTHER.pub   with --unchecked: seal recipient NAME's content key\n"
	"                    to OTHER's key instead (a wrong seal, to test unreadable reports)\n"
	"  --created MS      the creation time to record (default now; for tests)\n"
	"\n"
	"inspect: prints the header. With --charter, names the sender and checks the\n"
	"signature and scope; with a recipient's --key, decrypts and prints the content.\n"
	"Exit 1 when the entry does not parse, verify or open.\n"
	"\n"
	"Example:\n"
	"  parley entry inspect e.bin --charter c.json --key keys/cert-b.key\n";

static int resolve_recipients(const parley_charter *ch, char *list, bool unchecked, parley_entry_hdr *h,
	uint8_t (*pks)[PARLEY_PK_LEN])
{
	char *s = list;
	h->nrecip = 0;
	while (s) {
		char *comma = strchr(s, ',');
		const parley_party *p;
		if (comma)
			*comma = 0;
		parley_pubkey outsider;
		size_t sl = strlen(s);
		if (h->nrecip == PARLEY_ENTRY_MAX_RECIP)
			return cli_failf("more than %d recipients", PARLEY_ENTRY_MAX_RECIP);
		if (unchecked && sl > 4 && strcmp(s + sl - 4, ".pub") == 0) { /* an outsider, to test refusals */
			int ret = cli_load_pubkey(s, &outsider);
			if (ret)
				return ret;
			memcpy(h->recip[h->nrecip], outsider.keyid, PARLEY_KEYID_LEN);
			memcpy(pks[h->nrecip], outsider.seal_pk, PARLEY_PK_LEN);
		} else if (!(p = parley_charter_party(ch, s))) {
			return cli_failf("'%s' is not a party of this charter", s);
		} else {
			memcpy(h->recip[h->nrecip], p->key.keyid, PARLEY_KEYID_LEN);
			memcpy(pks[h->nrecip], p->key.seal_pk, PARLEY_PK_LEN);
		}
		h->nrecip++;
		s = comma ? comma + 1 : NULL;
	}
	return EXIT_OK;
}

/* --seal-to NAME=FILE.pub: recipient NAME's slot is sealed to FILE's key (deliberate misuse, for tests). */
static int seal_to(const parley_charter *ch, const char *spec, const parley_entry_hdr *h, uint8_t (*pks)[PARLEY_PK_LEN])
{
	char name[PARLEY_NAME_MAX + 1];
	const char *eq = strchr(spec, '=');
	const parley_party *p;
	parley_pubkey other;
	int ret;

	if (!eq || eq == spec || (size_t)(eq - spec) > PARLEY_NAME_MAX || !eq[1])
		return cli_usage_error("entry new", "--seal-to takes NAME=OTHER.pub");
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = 0;
	if (!(p = parley_charter_party(ch, name)))
		return cli_failf("--seal-to: '%s' is not a party of this charter", name);
	for (unsigned i = 0; i < h->nrecip; i++) {
		if (memcmp(h->recip[i], p->key.keyid, PARLEY_KEYID_LEN) != 0)
			continue;
		if ((ret = cli_load_pubkey(eq + 1, &other)))
			return ret;
		memcpy(pks[i], other.seal_pk, PARLEY_PK_LEN);
		return EXIT_OK;
	}
	return cli_failf("--seal-to: '%s' is not a recipient (--to)", name);
}

static int entry_new(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "charter", required_argument, NULL, 'c' },
		{ "to", required_argument, NULL, 't' },
		{ "type", required_argument, NULL, 'T' },
		{ "category", required_argument, NULL, 'C' },
		{ "tlp", required_argument, NULL, 'l' },
		{ "seq", required_argument, NULL, 's' },
		{ "prev", required_argument, NULL, 'p' },
		{ "thread", required_argument, NULL, 'r' },
		{ "ref", required_argument, NULL, 'R' },
		{ "text", required_argument, NULL, 'x' },
		{ "file", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "unchecked", no_argument, NULL, 'U' },
		{ "created", required_argument, NULL, 'W' },
		{ "seal-to", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool unchecked = false;
	uint64_t created = 0;
	const char *keypath = NULL, *charter = NULL, *type = NULL, *cat = NULL, *tlp = NULL;
	const char *prev = NULL, *text = NULL, *file = NULL, *out = NULL;
	const char *seal_specs[PARLEY_ENTRY_MAX_RECIP];
	size_t nseal = 0;
	char *to = NULL;
	parley_entry_hdr h;
	uint8_t pks[PARLEY_ENTRY_MAX_RECIP][PARLEY_PK_LEN];
	uint64_t v;
	parley_seckey *key = NULL;
	parley_charter *ch = NULL;
	parley_err err = { 0 };
	parley_buf payload = PARLEY_BUF_INIT, entry = PARLEY_BUF_INIT, pb = PARLEY_BUF_INIT;
	int c, ret = EXIT_USAGE;

	memset(&h, 0, sizeof(h));
	h.seq = 1;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keypath = optarg; break;
		case 'c': charter = optarg; break;
		case 't': to = optarg; break;
		case 'T': type = optarg; break;
		case 'C': cat = optarg; break;
		case 'l': tlp = optarg; break;
		case 's':
			if (!cli_parse_u64(optarg, 1, UINT64_MAX, &h.seq))
				return cli_usage_error("entry new", "--seq takes a number from 1");
			break;
		case 'p': prev = optarg; break;
		case 'r':
			if (!cli_parse_u64(optarg, 0, UINT64_MAX, &h.thread))
				return cli_usage_error("entry new", "--thread takes a log index");
			break;
		case 'R':
			if (h.nrefs == PARLEY_ENTRY_MAX_REFS || !cli_parse_u64(optarg, 0, UINT64_MAX, &v))
				return cli_usage_error("entry new", "--ref takes a log index (at most %d)",
					PARLEY_ENTRY_MAX_REFS);
			h.refs[h.nrefs++] = v;
			break;
		case 'x': text = optarg; break;
		case 'f': file = optarg; break;
		case 'o': out = optarg; break;
		case 'U': unchecked = true; break;
		case 'W':
			if (!cli_parse_u64(optarg, 0, UINT64_MAX / 2, &created))
				return cli_usage_error("entry new", "--created takes milliseconds since the epoch");
			break;
		case 'S':
			if (nseal == PARLEY_ENTRY_MAX_RECIP)
				return cli_usage_error("entry new", "--seal-to at most %d times", PARLEY_ENTRY_MAX_RECIP);
			seal_specs[nseal++] = optarg;
			break;
		case 'h': return cli_help(usage_text);
		default: return cli_usage_error("entry new", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("entry new", "unexpected argument '%s'", argv[optind]);
	if (!keypath || !charter || !to || !type || !cat || !out || !text == !file)
		return cli_usage_error("entry new",
			"--key, --charter, --to, --type, --category, --out and one of --text/--file are required");
	if (!(h.type = (uint8_t)parley_type_from_name(type)))
		return cli_usage_error("entry new", "'%s' is not a message type", type);
	if (h.seq > 1 && !prev)
		return cli_usage_error("entry new", "--seq above 1 needs --prev (the previous entry)");
	if (nseal && !unchecked)
		return cli_usage_error("entry new", "--seal-to only with --unchecked (it makes an entry its recipient cannot read)");
	if ((ret = cli_load_charter(charter, &ch)))
		return ret;
	if (!unchecked && h.type != PARLEY_T_HANDOVER && !parley_charter_allows_category(ch, cat)) {
		ret = cli_failf("category '%s' is not in the charter's scope", cat);
		goto out;
	}
	if (!unchecked && !parley_charter_allows_type(ch, h.type)) {
		ret = cli_failf("type '%s' is not allowed by the charter", type);
		goto out;
	}
	if (strlen(cat) > PARLEY_NAME_MAX) {
		ret = cli_failf("category name too long");
		goto out;
	}
	memcpy(h.category, cat, strlen(cat) + 1);
	h.tlp = (uint8_t)parley_charter_tlp(ch);
	if (tlp) {
		int t = parley_tlp_from_name(tlp);
		if (t < 0) {
			ret = cli_usage_error("entry new", "unknown TLP level '%s'", tlp);
			goto out;
		}
		h.tlp = (uint8_t)t;
	}
	memcpy(h.channel, parley_charter_id(ch), 32);
	if ((ret = resolve_recipients(ch, to, unchecked, &h, pks)))
		goto out;
	for (size_t i = 0; i < nseal; i++)
		if ((ret = seal_to(ch, seal_specs[i], &h, pks)))
			goto out;
	if (prev) {
		parley_entry pe;
		if (parley_file_read(prev, PARLEY_ENTRY_MAX_BYTES, &pb, &err) ||
			parley_entry_parse(pb.data, pb.len, &pe, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		parley_entry_hash(pb.data, pb.len, h.prev);
	}
	if ((ret = cli_load_seckey(keypath, &key)))
		goto out;
	if (!parley_charter_party(ch, key->pub.name) ||
		memcmp(parley_charter_party(ch, key->pub.name)->key.sign_pk, key->pub.sign_pk, 32) != 0) {
		ret = cli_failf("key '%s' is not a party of this charter", key->pub.name);
		goto out;
	}
	memcpy(h.sender, key->pub.keyid, PARLEY_KEYID_LEN);
	h.created_ms = created ? created : parley_now_ms();
	if (file) {
		if (parley_file_read(file, PARLEY_ENTRY_MAX_PAYLOAD, &payload, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
	} else if (parley_buf_addstr(&payload, text)) {
		ret = cli_failf("--text is too long");
		goto out;
	}
	if (parley_entry_build(&h, (const uint8_t(*)[PARLEY_PK_LEN])pks, payload.data, payload.len, key,
		    &entry, NULL, &err) ||
		parley_file_write(out, entry.data, entry.len, 0644, false, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	ret = EXIT_OK;
out:
	parley_seckey_free(key);
	parley_charter_free(ch);
	parley_buf_release(&payload);
	parley_buf_release(&entry);
	parley_buf_release(&pb);
	return ret;
}

/* Print payload text as is when it is printable UTF-8-ish text, else as hex. */
static void print_payload(const parley_buf *p)
{
	bool text = true;
	for (size_t i = 0; i < p->len; i++) {
		unsigned char ch = p->data[i];
		if ((ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') || ch == 0x7f)
			text = false;
	}
	if (text) {
		cli_write_stdout(p->data, p->len);
		if (p->len && p->data[p->len - 1] != '\n')
			putchar('\n');
	} else {
		char hex[65];
		for (size_t i = 0; i < p->len; i += 32) {
			size_t n = p->len - i < 32 ? p->len - i : 32;
			parley_hex(hex, p->data + i, n);
			printf("%s\n", hex);
		}
	}
}

static int entry_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "charter", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keypath = NULL, *charter = NULL;
	parley_buf raw = PARLEY_BUF_INIT, payload = PARLEY_BUF_INIT;
	parley_entry e;
	parley_err err = { 0 };
	parley_seckey *key = NULL;
	parley_charter *ch = NULL;
	char hex[65], ts[21];
	int c, ret = EXIT_FAIL;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keypath = optarg; break;
		case 'c': charter = optarg; break;
		case 'h': return cli_help(usage_text);
		default: return cli_usage_error("entry inspect", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("entry inspect", "expected one entry file");
	if (parley_file_read(argv[optind], PARLEY_ENTRY_MAX_BYTES, &raw, &err) ||
		parley_entry_parse(raw.data, raw.len, &e, &err)) {
		parley_wrap(&err, err.code, "%s", argv[optind]);
		ret = cli_fail(&err);
		goto out;
	}
	if (charter && (ret = cli_load_charter(charter, &ch)))
		goto out;
	ret = EXIT_FAIL;

	const parley_party *sender = ch ? parley_charter_party_by_keyid(ch, e.h.sender) : NULL;
	parley_hex(hex, e.h.channel, 32);
	printf("version:    %d\nchannel:    %s\n", PARLEY_ENTRY_VERSION, hex);
	parley_hex(hex, e.h.sender, PARLEY_KEYID_LEN);
	printf("sender:     %s%s%s\n", hex, sender ? " " : "", sender ? sender->key.name : "");
	printf("seq:        %llu\n", (unsigned long long)e.h.seq);
	parley_hex(hex, e.h.prev, 32);
	printf("prev:       %s\n", hex);
	parley_time_fmt(ts, (int64_t)(e.h.created_ms / 1000));
	printf("created:    %s (%llu ms)\n", ts, (unsigned long long)e.h.created_ms);
	printf("type:       %s\nthread:     %llu\n", parley_type_name(e.h.type),
		(unsigned long long)e.h.thread);
	printf("refs:      ");
	for (unsigned i = 0; i < e.h.nrefs; i++)
		printf(" %llu", (unsigned long long)e.h.refs[i]);
	printf("\ncategory:   %s\ntlp:        %s\nrecipients:", e.h.category, parley_tlp_name(e.h.tlp));
	for (unsigned i = 0; i < e.h.nrecip; i++) {
		const parley_party *p = ch ? parley_charter_party_by_keyid(ch, e.h.recip[i]) : NULL;
		parley_hex(hex, e.h.recip[i], PARLEY_KEYID_LEN);
		printf(" %s", p ? p->key.name : hex);
	}
	{
		uint8_t hh[32];
		parley_entry_hash(e.raw, e.raw_len, hh);
		parley_hex(hex, hh, 32);
	}
	printf("\nsize:       %zu bytes (payload %zu)\nhash:       %s\n", e.raw_len,
		e.ct_len - PARLEY_TAG_LEN, hex);

	if (ch) {
		if (memcmp(e.h.channel, parley_charter_id(ch), 32) != 0) {
			ret = cli_failf("entry belongs to another channel than %s", charter);
			goto out;
		}
		if (!sender) {
			ret = cli_failf("sender key id is not a party of the charter");
			goto out;
		}
		if (parley_entry_verify(&e, sender->key.sign_pk, &err)) {
			printf("signature:  BAD\n");
			ret = cli_fail(&err);
			goto out;
		}
		printf("signature:  good (%s)\n", sender->key.name);
		if ((e.h.type != PARLEY_T_HANDOVER && !parley_charter_allows_category(ch, e.h.category)) ||
			!parley_charter_allows_type(ch, e.h.type)) {
			ret = cli_failf("entry is outside the charter's scope");
			goto out;
		}
	}
	if (keypath) {
		if ((ret = cli_load_seckey(keypath, &key)))
			goto out;
		if (parley_entry_open(&e, key, &payload, NULL, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		printf("content:\n");
		fflush(stdout);
		print_payload(&payload);
	}
	ret = EXIT_OK;
out:
	parley_seckey_free(key);
	parley_charter_free(ch);
	parley_buf_release(&raw);
	parley_buf_release(&payload);
	return ret;
}

int cmd_entry(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("entry", "expected new or inspect");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cli_help(usage_text);
	if (strcmp(argv[1], "new") == 0)
		return entry_new(argc - 1, argv + 1);
	if (strcmp(argv[1], "inspect") == 0)
		return entry_inspect(argc - 1, argv + 1);
	return cli_usage_error("entry", "unknown subcommand '%s'", argv[1]);
}
