/* cmd_charter.c - parley charter new | sign | verify | show | set-relay. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "parley/charter.h"
#include "banned.h"

static const char usage_text[] =
	"usage: parley charter new --title T --party A.pub --party B.pub [...] --scope CAT[,CAT...]\n"
	"                          [--relay URL --relay-key R.pub] [options] > charter.json\n"
	"       parley charter sign --key A.key charter.json\n"
	"       parley charter verify [--any-time] charter.json\n"
	"       parley charter show charter.json\n"
	"       parley charter set-relay --relay URL --relay-key R.pub charter.json\n"
	"\n"
	"A charter is the JSON document all parties sign: parties and their keys, the\n"
	"relay, the agreed scope, per-type deadlines, the escalation ladder, PSI limits,\n"
	"the default TLP and its validity. Signatures cover the RFC 8785 canonical form\n"
	"of the body; the charter id (= channel id) is SHA-256 of that form.\n"
	"\n"
	"new: prints an unsigned charter on standard output (or --out FILE).\n"
	"  --title T               what the channel is for\n"
	"  --party F.pub           a party (repeat; at least two)\n"
	"  --auditor F.pub         a read-only auditor (repeat)\n"
	"  --scope CAT[,CAT...]    allowed categories (names like election-infrastructure)\n"
	"  --describe CAT=TEXT     a category's description\n"
	"  --relay URL             the relay's base URL, with --relay-key R.pub\n"
	"  --types T[,T...]        allowed message types (default: all)\n"
	"  --deadline acknowledge=SECONDS   for every type that opens a thread (default 7200)\n"
	"  --deadline respond=SECONDS       likewise (default 172800)\n"
	"  --deadline TYPE:acknowledge=SECONDS, --deadline TYPE:respond=SECONDS  for one type\n"
	"  --deadline ping:respond=SECONDS  pings must be answered within it (default: no deadline)\n"
	"  --escalation L1,L2,...  the escalation ladder (default technical,diplomatic,political)\n"
	"  --psi-max N, --psi-min N, --psi-per-day N   PSI limits (defaults 100000, 10, 10)\n"
	"  --psi-email-local-case sensitive|insensitive  compare e-mail indicators' local part\n"
	"                          with case (RFC 5321 strict) or without (the default)\n"
	"  --max-bytes-per-day N   each member may append at most N bytes of entries per UTC day\n"
	"                          (by integration time; relay and nodes refuse more; default: no quota)\n"
	"  --tlp LEVEL             default TLP: clear, green, amber (default), amber+strict, red\n"
	"  --valid-days N          validity from its start (default 365)\n"
	"  --valid-seconds N       validity in seconds instead (short charters for tests and demos)\n"
	"  --valid-from TIME       start of validity, YYYY-MM-DDTHH:MM:SSZ (default now)\n"
	"  --succeeds OLD.json     a successor of the charter in OLD.json: it names OLD's id as its\n"
	"                          predecessor and may change anything else (parties, keys, scope,\n"
	"                          deadlines, relay, validity); it takes over once every party signed\n"
	"                          it and every continuing party ran 'parley handover' on the old channel\n"
	"  --out FILE              write to FILE instead of standard output\n"
	"  --succeeds OLD.json     a successor of OLD's channel (parley handover; README)\n"
	"\n"
	"sign: adds (or replaces) the signature of the key's owner, in place.\n"
	"verify: exit 0 only if every listed party signed the same canonical body\n"
	"  and now lies in its validity window; prints the charter id. Otherwise exit 1\n"
	"  naming what is wrong (an expired or not yet valid charter with its dates).\n"
	"  --any-time checks the signatures only.\n"
	"show: a readable summary, with the state of each signature and of its validity.\n"
	"set-relay: names the relay; only before anyone has signed.\n"
	"\n"
	"Example:\n"
	"  parley charter new --title 'election hotline' --party a.pub --party b.pub \\\n"
	"      --scope election-infrastructure --relay https://relay.example:8443 --relay-key r.pub --out c.json\n"
	"  parley charter sign --key a.key c.json && parley charter verify c.json\n";

#define MAX_LIST 64

/* Split "a,b,c" into a NULL-free array of at most max items (modifies s). */
static size_t split_commas(char *s, char **out, size_t max, bool *overflow)
{
	size_t n = 0;
	*overflow = false;
	while (s) {
		char *comma = strchr(s, ',');
		if (comma)
			*comma = 0;
		if (n == max) {
			*overflow = true;
			return n;
		}
		out[n++] = s;
		s = comma ? comma + 1 : NULL;
	}
	return n;
}

static int set_deadline(parley_charter_spec *sp, const char *arg)
{
	char buf[128], *eq, *colon, *what;
	uint64_t secs;
	unsigned t = 0;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	memcpy(buf, arg, strlen(arg) + 1);
	if (!(eq = strchr(buf, '=')))
		return -1;
	*eq = 0;
	if (!cli_parse_u64(eq + 1, 1, PARLEY_DEADLINE_MAX, &secs))
		return -1;
	what = buf;
	if ((colon = strchr(buf, ':'))) {
		*colon = 0;
		t = parley_type_from_name(buf);
		what = colon + 1;
		if (t == PARLEY_T_PING) { /* a ping has one deadline: to be answered */
			if (strcmp(what, "respond") != 0)
				return -1;
			sp->deadlines[t].respond = (int64_t)secs;
			return 0;
		}
		if (!t || !parley_type_opens_thread(t))
			return -1;
	}
	for (unsigned u = 1; u <= PARLEY_TYPE_MAX; u++) {
		if (!parley_type_opens_thread(u) || (t && u != t))
			continue;
		if (strcmp(what, "acknowledge") == 0)
			sp->deadlines[u].acknowledge = (int64_t)secs;
		else if (strcmp(what, "respond") == 0)
			sp->deadlines[u].respond = (int64_t)secs;
		else
			return -1;
	}
	return 0;
}

static int write_out(const char *path, const parley_buf *b)
{
	parley_err err = { 0 };
	struct stat st;
	unsigned mode = 0644;

	if (!path)
		return cli_write_stdout(b->data, b->len) ? EXIT_OK : cli_failf("cannot write standard output");
	if (stat(path, &st) == 0)
		mode = (unsigned)(st.st_mode & 0777);
	if (parley_file_write(path, b->data, b->len, mode, false, &err))
		return cli_fail(&err);
	return EXIT_OK;
}

static int charter_new(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "title", required_argument, NULL, 't' },
		{ "party", required_argument, NULL, 'p' },
		{ "auditor", required_argument, NULL, 'a' },
		{ "scope", required_argument, NULL, 's' },
		{ "describe", required_argument, NULL, 'd' },
		{ "relay", required_argument, NULL, 'r' },
		{ "relay-key", required_argument, NULL, 'R' },
		{ "types", required_argument, NULL, 'T' },
		{ "deadline", required_argument, NULL, 'D' },
		{ "escalation", required_argument, NULL, 'e' },
		{ "psi-max", required_argument, NULL, 'M' },
		{ "psi-min", required_argument, NULL, 'm' },
		{ "psi-per-day", required_argument, NULL, 'P' },
		{ "psi-email-local-case", required_argument, NULL, 'E' },
		{ "max-bytes-per-day", required_argument, NULL, 'Q' },
		{ "tlp", required_argument, NULL, 'l' },
		{ "valid-days", required_argument, NULL, 'v' },
		{ "valid-seconds", required_argument, NULL, 'S' },
		{ "valid-from", required_argument, NULL, 'F' },
		{ "out", required_argument, NULL, 'o' },
		{ "succeeds", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	parley_charter_spec sp;
	parley_charter *old = NULL;
	uint8_t pred[32];
	parley_party parties[PARLEY_MAX_PARTIES];
	parley_pubkey relay;
	char *cats[MAX_LIST], *levels[MAX_LIST], *scratch[8] = { NULL };
	const char *descs[MAX_LIST] = { NULL };
	const char *relay_key = NULL, *out = NULL;
	char *describe[MAX_LIST];
	size_t ncats = 0, nlevels = 0, ndescribe = 0, nscratch = 0;
	bool overflow;
	uint64_t v;
	int64_t valid_secs = 365 * 86400, valid_from = 0;
	int c, ret = EXIT_USAGE;
	parley_charter *ch = NULL;
	parley_err err = { 0 };
	parley_buf b = PARLEY_BUF_INIT;

	memset(&sp, 0, sizeof(sp));
	sp.tlp = -1;
	sp.parties = parties;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': sp.title = optarg; break;
		case 'p':
		case 'a':
			if (sp.nparties == PARLEY_MAX_PARTIES) {
				ret = cli_usage_error("charter new", "more than %d parties", PARLEY_MAX_PARTIES);
				goto out;
			}
			if (cli_load_pubkey(optarg, &parties[sp.nparties].key)) {
				ret = EXIT_FAIL;
				goto out;
			}
			parties[sp.nparties++].role = c == 'p' ? PARLEY_ROLE_PARTY : PARLEY_ROLE_AUDITOR;
			break;
		case 's':
			if (nscratch == 8 || !(scratch[nscratch] = strdup(optarg))) {
				ret = cli_usage_error("charter new", "too many --scope options");
				goto out;
			}
			ncats += split_commas(scratch[nscratch++], cats + ncats, MAX_LIST - ncats, &overflow);
			if (overflow) {
				ret = cli_usage_error("charter new", "more than %d categories", MAX_LIST);
				goto out;
			}
			break;
		case 'd':
			if (ndescribe == MAX_LIST || !strchr(optarg, '=')) {
				ret = cli_usage_error("charter new", "--describe takes CATEGORY=TEXT");
				goto out;
			}
			describe[ndescribe++] = optarg;
			break;
		case 'r': sp.relay_url = optarg; break;
		case 'R': relay_key = optarg; break;
		case 'T': {
			char *types[MAX_LIST];
			size_t nt;
			if (nscratch == 8 || !(scratch[nscratch] = strdup(optarg))) {
				ret = cli_usage_error("charter new", "too many list options");
				goto out;
			}
			nt = split_commas(scratch[nscratch++], types, MAX_LIST, &overflow);
			for (size_t i = 0; i < nt; i++) {
				unsigned t = parley_type_from_name(types[i]);
				if (!t) {
					ret = cli_usage_error("charter new", "'%s' is not a message type", types[i]);
					goto out;
				}
				sp.types |= 1u << t;
			}
			break;
		}
		case 'D':
			if (set_deadline(&sp, optarg)) {
				ret = cli_usage_error("charter new",
					"--deadline takes acknowledge=SECONDS, respond=SECONDS, TYPE:acknowledge=SECONDS (TYPE opening a thread) or ping:respond=SECONDS");
				goto out;
			}
			break;
		case 'e':
			if (nscratch == 8 || !(scratch[nscratch] = strdup(optarg))) {
				ret = cli_usage_error("charter new", "too many list options");
				goto out;
			}
			nlevels = split_commas(scratch[nscratch++], levels, PARLEY_MAX_LEVELS + 1, &overflow);
			sp.levels = (const char *const *)levels;
			sp.nlevels = nlevels;
			break;
		case 'M':
		case 'm':
		case 'P':
			if (!cli_parse_u64(optarg, c == 'P' ? 0 : 1, 100000000, &v)) {
				ret = cli_usage_error("charter new", "PSI limits are whole numbers");
				goto out;
			}
			if (c == 'M')
				sp.psi_max_set = (int64_t)v;
			else if (c == 'm')
				sp.psi_min_set = (int64_t)v;
			else
				sp.psi_requests_per_day = (int64_t)v;
			break;
		case 'E':
			if (strcmp(optarg, "sensitive") != 0 && strcmp(optarg, "insensitive") != 0) {
				ret = cli_usage_error("charter new", "--psi-email-local-case takes sensitive or insensitive");
				goto out;
			}
			sp.psi_email_local_case_sensitive = strcmp(optarg, "sensitive") == 0;
			break;
		case 'Q':
			if (!cli_parse_u64(optarg, 1, (uint64_t)PARLEY_QUOTA_MAX, &v)) {
				ret = cli_usage_error("charter new", "--max-bytes-per-day takes a whole number of bytes, at least 1");
				goto out;
			}
			sp.max_bytes_per_day = (int64_t)v;
			break;
		case 'l':
			if ((sp.tlp = parley_tlp_from_name(optarg)) < 0) {
				ret = cli_usage_error("charter new", "unknown TLP level '%s'", optarg);
				goto out;
			}
			break;
		case 'v':
			if (!cli_parse_u64(optarg, 1, 36600, &v)) {
				ret = cli_usage_error("charter new", "--valid-days takes 1 to 36600");
				goto out;
			}
			valid_secs = (int64_t)v * 86400;
			break;
		case 'S':
			if (!cli_parse_u64(optarg, 1, 36600LL * 86400, &v)) {
				ret = cli_usage_error("charter new", "--valid-seconds takes 1 to %lld", 36600LL * 86400);
				goto out;
			}
			valid_secs = (int64_t)v;
			break;
		case 'F':
			if (parley_time_parse(optarg, &valid_from) || valid_from <= 0) {
				ret = cli_usage_error("charter new", "--valid-from takes a UTC time like 2030-01-01T00:00:00Z");
				goto out;
			}
			break;
		case 'o': out = optarg; break;
		case 'U':
			/* the predecessor's id is the hash of its body: its signatures need not be complete to name it */
			parley_charter_free(old);
			old = NULL;
			if ((ret = cli_load_charter(optarg, &old)))
				goto out;
			memcpy(pred, parley_charter_id(old), 32);
			sp.predecessor = pred;
			ret = EXIT_USAGE;
			break;
		case 'h': ret = cli_help(usage_text); goto out;
		default: ret = cli_usage_error("charter new", "unknown option"); goto out;
		}
	}
	if (optind != argc) {
		ret = cli_usage_error("charter new", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!sp.title || sp.nparties < 2 || ncats == 0) {
		ret = cli_usage_error("charter new", "--title, two --party and --scope are required");
		goto out;
	}
	if (!sp.relay_url != !relay_key) {
		ret = cli_usage_error("charter new", "--relay and --relay-key go together");
		goto out;
	}
	if (relay_key) {
		if (cli_load_pubkey(relay_key, &relay)) {
			ret = EXIT_FAIL;
			goto out;
		}
		sp.relay = &relay;
	}
	for (size_t i = 0; i < ndescribe; i++) {
		char *eq = strchr(describe[i], '=');
		size_t k;
		for (k = 0; k < ncats; k++)
			if (strlen(cats[k]) == (size_t)(eq - describe[i]) &&
				strncmp(cats[k], describe[i], (size_t)(eq - describe[i])) == 0)
				break;
		if (k == ncats) {
			ret = cli_usage_error("charter new", "--describe names a category not in --scope");
			goto out;
		}
		descs[k] = eq + 1;
	}
	sp.valid_from = valid_from ? valid_from : (int64_t)time(NULL);
	sp.valid_until = sp.valid_from + valid_secs;
	sp.categories = (const char *const *)cats;
	sp.descriptions = descs;
	sp.ncategories = ncats;
	if (parley_charter_new(&sp, &ch, &err) || parley_charter_write(ch, &b, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	ret = write_out(out, &b);
out:
	for (size_t i = 0; i < nscratch; i++)
		free(scratch[i]);
	parley_charter_free(ch);
	parley_charter_free(old);
	parley_buf_release(&b);
	return ret;
}

static int charter_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keypath = NULL;
	parley_seckey *key = NULL;
	parley_charter *ch = NULL;
	parley_err err = { 0 };
	parley_buf b = PARLEY_BUF_INIT;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keypath = optarg; break;
		case 'h': return cli_help(usage_text);
		default: return cli_usage_error("charter sign", "unknown option");
		}
	}
	if (!keypath || optind + 1 != argc)
		return cli_usage_error("charter sign", "expected --key KEY CHARTER");
	if ((ret = cli_load_charter(argv[optind], &ch)))
		return ret;
	if ((ret = cli_load_seckey(keypath, &key)))
		goto out;
	if (parley_charter_sign(ch, key, &err) || parley_charter_write(ch, &b, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if ((ret = write_out(argv[optind], &b)))
		goto out;
	if (!cli_quiet)
		printf("signed by %s (%zu of %zu signatures valid)\n", key->pub.name, parley_charter_count_valid_sigs(ch),
			parley_charter_nparties(ch));
out:
	parley_seckey_free(key);
	parley_charter_free(ch);
	parley_buf_release(&b);
	return ret;
}

static int charter_verify(int argc, char **argv)
{
	parley_charter *ch = NULL;
	parley_err err = { 0 };
	char id[65];
	bool any_time = false;
	int ret;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return cli_help(usage_text);
	if (argc == 3 && strcmp(argv[1], "--any-time") == 0) {
		any_time = true;
		argc--;
		argv++;
	}
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage_error("charter verify", "expected [--any-time] and one charter file");
	if ((ret = cli_load_charter(argv[1], &ch)))
		return ret;
	if (parley_charter_verify(ch, &err) ||
		(!any_time && parley_charter_check_time(ch, (int64_t)time(NULL), &err))) {
		parley_wrap(&err, err.code, "%s", argv[1]);
		ret = cli_fail(&err);
	} else {
		parley_hex(id, parley_charter_id(ch), 32);
		printf("%s\n", id);
	}
	parley_charter_free(ch);
	return ret;
}

static void print_duration(int64_t s)
{
	if (s % 86400 == 0)
		printf("%lldd", (long long)(s / 86400));
	else if (s % 3600 == 0)
		printf("%lldh", (long long)(s / 3600));
	else if (s % 60 == 0)
		printf("%lldm", (long long)(s / 60));
	else
		printf("%llds", (long long)s);
}

static int charter_show(int argc, char **argv)
{
	parley_charter *ch = NULL;
	parley_err err = { 0 };
	char id[65], vkey[PARLEY_VKEY_MAX], from[21], until[21];
	const char *url;
	const parley_pubkey *relay;
	int64_t a, b2, c2;
	int ret;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return cli_help(usage_text);
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage_error("charter show", "expected one charter file");
	if ((ret = cli_load_charter(argv[1], &ch)))
		return ret;
	parley_hex(id, parley_charter_id(ch), 32);
	printf("title:      %s\nid:         %s\n", parley_charter_title(ch), id);
	for (size_t i = 0; i < parley_charter_nparties(ch); i++) {
		const parley_party *p = parley_charter_party_at(ch, i);
		parley_vkey_format(vkey, p->key.name, p->key.sign_pk);
		printf("%-11s %s\n", p->role == PARLEY_ROLE_AUDITOR ? "auditor:" : "party:", vkey);
	}
	if ((relay = parley_charter_relay(ch, &url))) {
		parley_vkey_format(vkey, relay->name, relay->sign_pk);
		printf("relay:      %s %s\n", url, vkey);
	} else {
		printf("relay:      (none yet)\n");
	}
	printf("scope:     ");
	for (size_t i = 0; i < parley_charter_ncategories(ch); i++)
		printf(" %s", parley_charter_category_at(ch, i));
	printf("\ntypes:     ");
	for (unsigned t = 1; t <= PARLEY_TYPE_MAX; t++)
		if (parley_charter_allows_type(ch, t))
			printf(" %s", parley_type_name(t));
	printf("\n");
	for (unsigned t = 1; t <= PARLEY_TYPE_MAX; t++) {
		parley_deadline d = parley_charter_deadline(ch, t);
		if (!d.acknowledge && d.respond) { /* a ping: answered or not */
			printf("deadline:   %s: respond ", parley_type_name(t));
			print_duration(d.respond);
			printf("\n");
			continue;
		}
		if (!d.acknowledge)
			continue;
		printf("deadline:   %s: acknowledge ", parley_type_name(t));
		print_duration(d.acknowledge);
		printf(", respond ");
		print_duration(d.respond);
		printf("\n");
	}
	printf("escalation:");
	for (size_t i = 0; i < parley_charter_nlevels(ch); i++)
		printf(" %s%s", i ? "-> " : "", parley_charter_level_at(ch, i));
	parley_charter_psi_limits(ch, &a, &b2, &c2);
	printf("\npsi:        sets of %lld to %lld indicators, %lld requests per day; e-mail local parts %s\n",
		(long long)b2, (long long)a, (long long)c2,
		parley_charter_psi_email_case_sensitive(ch) ? "with case (sensitive)" : "without case");
	printf("tlp:        %s\n", parley_tlp_name((unsigned)parley_charter_tlp(ch)));
	if (parley_charter_max_bytes_per_day(ch))
		printf("quota:      %lld bytes per member per UTC day\n", (long long)parley_charter_max_bytes_per_day(ch));
	parley_charter_validity(ch, &a, &b2);
	parley_time_fmt(from, a);
	parley_time_fmt(until, b2);
	printf("valid:      %s to %s\n", from, until);
	if (parley_charter_predecessor(ch)) {
		char ph[65];
		parley_hex(ph, parley_charter_predecessor(ch), 32);
		printf("succeeds:   %s\n", ph);
	}
	printf("signatures: %zu of %zu valid\n", parley_charter_count_valid_sigs(ch),
		parley_charter_nparties(ch));
	if (parley_charter_verify(ch, &err))
		printf("status:     NOT VERIFIED: %s\n", err.msg);
	else if ((int64_t)time(NULL) < a)
		printf("status:     not yet valid: signed by every party, valid from %s\n", from);
	else if ((int64_t)time(NULL) >= b2)
		printf("status:     expired: signed by every party, expired at %s\n", until);
	else
		printf("status:     verified: signed by every party, valid until %s\n", until);
	parley_charter_free(ch);
	return EXIT_OK;
}

static int charter_set_relay(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "relay", required_argument, NULL, 'r' },
		{ "relay-key", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *keypath = NULL;
	parley_pubkey relay;
	parley_charter *ch = NULL;
	parley_err err = { 0 };
	parley_buf b = PARLEY_BUF_INIT;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': url = optarg; break;
		case 'R': keypath = optarg; break;
		case 'h': return cli_help(usage_text);
		default: return cli_usage_error("charter set-relay", "unknown option");
		}
	}
	if (!url || !keypath || optind + 1 != argc)
		return cli_usage_error("charter set-relay", "expected --relay URL --relay-key R.pub CHARTER");
	if ((ret = cli_load_pubkey(keypath, &relay)) || (ret = cli_load_charter(argv[optind], &ch)))
		return ret;
	if (parley_charter_set_relay(ch, url, &relay, &err) || parley_charter_write(ch, &b, &err))
		ret = cli_fail(&err);
	else
		ret = write_out(argv[optind], &b);
	parley_charter_free(ch);
	parley_buf_release(&b);
	return ret;
}

int cmd_charter(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("charter", "expected new, sign, verify, show or set-relay");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cli_help(usage_text);
	if (strcmp(argv[1], "new") == 0)
		return charter_new(argc - 1, argv + 1);
	if (strcmp(argv[1], "sign") == 0)
		return charter_sign(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return charter_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "show") == 0)
		return charter_show(argc - 1, argv + 1);
	if (strcmp(argv[1], "set-relay") == 0)
		return charter_set_relay(argc - 1, argv + 1);
	return cli_usage_error("charter", "unknown subcommand '%s'", argv[1]);
}
