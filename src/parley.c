/* parley.c - the parley command: the command table, the global options and dispatch. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "parley/util.h"
#include "banned.h"

#ifndef PARLEY_VERSION_STRING
#define PARLEY_VERSION_STRING "0.1.0"
#endif

static int cmd_help(int argc, char **argv);

#define H CLI_HOME
#define K CLI_KEY
#define RO CLI_RO
/*
 * The command table: dispatch, 'parley help', the manual pages, shell
 * completion and the README check all come from it. Adding a command is
 * adding one row here (and its handler's prototype in cli.h): name, handler,
 * flags (H works on a node's home, K loads a secret key, RO changes nothing),
 * the man page that documents it (docs/man/<page>.1.scd), a one-line summary.
 * tests/cli/t0141-docs.sh then names whatever the man page and README lack.
 */
const cli_cmd cli_commands[] = {
	{ "keygen", cmd_keygen, 0, "parley-charter", "create a party's key pair (secret .key, public .pub)" },
	{ "charter", cmd_charter, K, "parley-charter", "create, sign, verify and show charters" },
	{ "serve", cmd_serve, K, "parley-serve", "run the relay (HTTP server)" },
	{ "join", cmd_join, H | K, "parley-node", "make a home directory this party's node for a channel" },
	{ "sync", cmd_sync, H | K, "parley-node", "fetch, verify and store new entries; receipts; cosign" },
	{ "channels", cmd_channels, H | RO, "parley-node", "the channels this home joined: id, title, parties, relay, state" },
	{ "verify", cmd_verify, H | K | RO, "parley-node", "re-verify the whole local replica" },
	{ "resume", cmd_resume, H | K, "parley-node", "trust a relay again after investigating its misbehaviour" },
	{ "notify", cmd_notify, H | K, "parley-thread", "send a notification (incident report)" },
	{ "inbox", cmd_inbox, H | K | RO, "parley-thread", "list the entries of the local replica" },
	{ "show", cmd_show, H | K | RO, "parley-thread", "show one entry in full" },
	{ "ack", cmd_answer, H | K, "parley-thread", "acknowledge a thread (a person has read it)" },
	{ "reply", cmd_answer, H | K, "parley-thread", "answer a thread (response or status update)" },
	{ "escalate", cmd_answer, H | K, "parley-thread", "escalate a thread to the next level of the ladder" },
	{ "close", cmd_answer, H | K, "parley-thread", "close a thread" },
	{ "ping", cmd_ping, H | K, "parley-thread", "a timed liveness test of a party's point of contact" },
	{ "status", cmd_status, H | K | RO, "parley-thread", "threads, states and deadlines, most urgent first" },
	{ "thread", cmd_thread, H | K | RO, "parley-thread", "one thread with all its entries" },
	{ "prove", cmd_prove, H | K | RO, "parley-proof", "a proof bundle for an entry, for any third party" },
	{ "check-proof", cmd_check_proof, RO, "parley-proof", "verify a proof bundle offline" },
	{ "check-evidence", cmd_check_evidence, RO, "parley-proof", "verify evidence that a relay lied, offline" },
	{ "report", cmd_report, H | K | RO, "parley-report", "timeliness per party and direction; report bundles" },
	{ "check-report", cmd_check_report, RO, "parley-report", "verify a report bundle offline, recompute its figures" },
	{ "psi", cmd_psi, H | K, "parley-psi", "private set intersection of indicators with another party" },
	{ "stix", cmd_stix, RO, "parley-stix", "validate STIX 2.1 content offline (stix validate FILE...)" },
	{ "run", cmd_run, H | K, "parley-node", "the standing node: serve every channel of the home until stopped" },
	{ "handover", cmd_handover, H | K, "parley-node", "hand a channel over to its successor charter" },
	{ "backup", cmd_backup, H | RO, "parley-node", "back up this node's home (replica, state; keys with --with-keys)" },
	{ "restore", cmd_restore, K, "parley-node", "restore a home from a backup, re-verify and resynchronise" },
	{ "relay-backup", cmd_relay_backup, RO, "parley-serve", "back up a running relay's SQLite store" },
	{ "entry", cmd_entry, K, "parley-lowlevel", "build and inspect single log entries (low level)" },
	{ "tree", cmd_tree, RO, "parley-lowlevel", "RFC 9162 Merkle root and proofs over leaves on stdin (low level)" },
	{ "note", cmd_note, K, "parley-lowlevel", "sign and verify C2SP signed notes (checkpoints, low level)" },
	{ "api", cmd_api, K, "parley-lowlevel", "send one signed HTTP request to a relay (low level)" },
	{ "taxii", cmd_taxii, H | K, "parley-taxii", "serve the node over TAXII 2.1 and a MISP feed to local tools" },
	{ "export", cmd_export, H | K, "parley-taxii", "write what the node received as a MISP feed" },
	{ "help", cmd_help, RO, "parley", "this list, or the manual of one command" },
	{ "complete", cmd_complete, H | RO | CLI_HIDDEN, "parley", "words for shell completion: channels, parties, categories" },
	{ NULL, NULL, 0, NULL, NULL },
};
#undef H
#undef K
#undef RO

bool cli_quiet, cli_local, cli_color;

const cli_cmd *cli_command(const char *name)
{
	for (const cli_cmd *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static const char global_options[] =
	"global options (before or after the command's name):\n"
	"  --home DIR       the node's home (default $PARLEY_HOME, else ~/.parley)\n"
	"  --channel ID     the channel (a prefix of its id, or its title) when the home has several\n"
	"  --json           one JSON document on stdout (docs/cli-json.md)\n"
	"  --quiet, -q      only errors, warnings and the data asked for\n"
	"  --color=WHEN     auto (default: on a terminal, unless NO_COLOR is set), always, never\n"
	"  --local          times in this machine's time zone (default UTC)\n"
	"  --version, -V    print the version and exit\n"
	"  --help, -h       this text; 'parley COMMAND --help' for one command\n";

static int usage(FILE *f)
{
	fputs("usage: parley [GLOBAL OPTIONS] COMMAND [ARGS]\n"
	      "\n"
	      "A hotline and incident-sharing channel for parties that do not trust each other.\n"
	      "\n"
	      "commands:\n",
		f);
	for (const cli_cmd *c = cli_commands; c->name; c++)
		if (!(c->flags & CLI_HIDDEN))
			fprintf(f, "  %-15s %s\n", c->name, c->summary);
	fputs("\n", f);
	fputs(global_options, f);
	fputs("\nexit status: 0 success; 1 failure (bad input, refusal, verification failed);\n"
	      "2 usage error; 3 not yet (something is still pending)\n"
	      "\n"
	      "Example:\n"
	      "  parley --home ~/.parley-cert-a status --json\n"
	      "'parley help COMMAND' shows the manual of one command.\n",
		f);
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

/* Edit distance with adjacent transpositions (optimal string alignment), capped at 9. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[32][32];

	if (la > 30 || lb > 30)
		return 9;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1], v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb] < 9 ? d[la][lb] : 9;
}

/* "'x' is not a parley command" and the nearest names (git's "did you mean"); EXIT_USAGE. */
static int unknown_command(const char *name)
{
	size_t best = 9, n = 0, len = strlen(name);

	fprintf(stderr, "parley: '%s' is not a parley command; see 'parley help'\n", name);
	for (const cli_cmd *c = cli_commands; c->name; c++) {
		size_t d = distance(name, c->name);
		if (len >= 2 && strncmp(c->name, name, len) == 0)
			d = 1;
		if (!(c->flags & CLI_HIDDEN) && d < best)
			best = d;
	}
	/* at most two edits, and fewer than half the name's letters */
	if (best > 2 || best * 2 >= len + (len < 3))
		return EXIT_USAGE;
	for (const cli_cmd *c = cli_commands; c->name; c++) {
		size_t d = distance(name, c->name);
		if (len >= 2 && strncmp(c->name, name, len) == 0)
			d = 1;
		if (!(c->flags & CLI_HIDDEN) && d == best)
			fprintf(stderr, "%s '%s'", n++ ? " or" : "did you mean", c->name);
	}
	fputs("?\n", stderr);
	return EXIT_USAGE;
}

/* 'man PAGE' when stdout is a terminal and man knows the page; returns only when it could not (then print --help). */
static void show_man(const char *page)
{
	pid_t pid;
	int st;

	if (!isatty(STDOUT_FILENO) || getenv("PARLEY_NO_MAN"))
		return;
	if ((pid = fork()) < 0)
		return;
	if (pid == 0) {
		FILE *null = freopen("/dev/null", "w", stdout);
		(void)null;
		null = freopen("/dev/null", "w", stderr);
		(void)null;
		execlp("man", "man", "-w", page, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return;
	fflush(stdout);
	execlp("man", "man", page, (char *)NULL);
}

static const char help_usage[] =
	"usage: parley help [COMMAND]\n"
	"       parley help --json\n"
	"\n"
	"Without a command, list the commands and the global options. With one, show\n"
	"its manual page when man(1) has it and standard output is a terminal, else its\n"
	"--help text. --json prints the command table (name, flags, manual page,\n"
	"summary) for scripts; docs/cli-json.md describes it.\n"
	"\n"
	"Example:\n"
	"  parley help sync\n";

static void flags_json(unsigned flags)
{
	printf("\"home\":%s,\"key\":%s,\"reads_only\":%s,\"hidden\":%s", flags & CLI_HOME ? "true" : "false",
		flags & CLI_KEY ? "true" : "false", flags & CLI_RO ? "true" : "false",
		flags & CLI_HIDDEN ? "true" : "false");
}

static int cmd_help(int argc, char **argv)
{
	const char *name = NULL;
	bool json = false;
	const cli_cmd *c;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return cli_help(help_usage);
		else if (argv[i][0] == '-' || name)
			return cli_usage_error("help", "unexpected argument '%s'", argv[i]);
		else
			name = argv[i];
	}
	if (json) {
		if (name)
			return cli_usage_error("help", "--json lists every command; give no command");
		fputs("{\"version\":\"" PARLEY_VERSION_STRING "\",\"commands\":[", stdout);
		for (c = cli_commands; c->name; c++) {
			printf("%s{\"name\":\"%s\",", c == cli_commands ? "" : ",", c->name);
			flags_json(c->flags);
			printf(",\"man\":\"%s\",\"summary\":\"%s\"}", c->man, c->summary);
		}
		fputs("]}\n", stdout);
		return EXIT_OK;
	}
	if (!name)
		return usage(stdout);
	if (!(c = cli_command(name)))
		return unknown_command(name);
	if (c->run == cmd_help)
		return cli_help(help_usage);
	show_man(c->man);
	{
		char *hv[] = { (char *)c->name, (char *)"--help", NULL };
		return c->run(2, hv);
	}
}

/* Does a matches the option "--name" or "--name=VALUE"?  *val gets VALUE, or NULL. */
static bool opt_is(const char *a, const char *name, const char **val)
{
	size_t n = strlen(name);
	if (strncmp(a, name, n) != 0)
		return false;
	if (a[n] == 0) {
		*val = NULL;
		return true;
	}
	if (a[n] == '=') {
		*val = a + n + 1;
		return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	parley_err err = { 0 };
	const char *name = NULL, *chan = NULL, *color = "auto", *val;
	const cli_cmd *cmd;
	bool json = false, dashdash = false;
	int n = 0, end, ret;
	char **av;

	if (!(av = calloc((size_t)argc + 4, sizeof(*av)))) {
		fputs("parley: out of memory\n", stderr);
		return EXIT_FAIL;
	}
	/* the global options, anywhere up to a "--"; everything else is the command's */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (dashdash || a[0] != '-' || a[1] == 0) {
			if (!name)
				name = a;
			av[n++] = argv[i];
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = true;
			av[n++] = argv[i];
			continue;
		}
		if (opt_is(a, "--home", &val) || opt_is(a, "--channel", &val)) {
			bool home = a[2] == 'h';
			if (!val && i + 1 >= argc) {
				free(av);
				fprintf(stderr, "parley: %s needs %s\n", home ? "--home" : "--channel",
					home ? "a directory" : "a channel id (a prefix of it) or title");
				return EXIT_USAGE;
			}
			if (!val)
				val = argv[++i];
			if (home)
				cli_home_dir = val;
			else
				chan = val;
		} else if (strcmp(a, "--json") == 0) {
			json = true;
		} else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			cli_quiet = true;
		} else if (strcmp(a, "--local") == 0) {
			cli_local = true;
		} else if (opt_is(a, "--color", &val) || opt_is(a, "--colour", &val)) {
			color = val ? val : "always";
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			free(av);
			printf("parley %s\n", PARLEY_VERSION_STRING);
			return EXIT_OK;
		} else if (!name && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
			free(av);
			return usage(stdout);
		} else if (!name) {
			free(av);
			fprintf(stderr, "parley: unknown option '%s' before the command; see 'parley --help'\n", a);
			return EXIT_USAGE;
		} else {
			av[n++] = argv[i];
		}
	}
	if (strcmp(color, "always") == 0) {
		cli_color = true;
	} else if (strcmp(color, "auto") == 0) {
		const char *term = getenv("TERM");
		cli_color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && !(term && strcmp(term, "dumb") == 0);
	} else if (strcmp(color, "never") != 0) {
		free(av);
		fprintf(stderr, "parley: --color must be auto, always or never, not '%s'\n", color);
		return EXIT_USAGE;
	}
	if (!name) {
		free(av);
		return usage(stderr);
	}
	if (!(cmd = cli_command(name))) {
		free(av);
		return unknown_command(name);
	}
	/* --channel and --json go to the command, after a subcommand's name and before any "--" */
	for (end = 0; end < n && strcmp(av[end], "--") != 0; end++)
		;
	if (chan || json) {
		int add = (chan ? 2 : 0) + (json ? 1 : 0);
		memmove(av + end + add, av + end, (size_t)(n - end) * sizeof(*av));
		if (json)
			av[end++] = (char *)"--json";
		if (chan) {
			av[end++] = (char *)"--channel";
			av[end++] = (char *)chan;
		}
		n += add;
	}
	av[n] = NULL;
	if (cmd->run != cmd_help && parley_init(&err)) {
		free(av);
		return cli_fail(&err);
	}
	/* progress of long work on a terminal (not for the long-running servers, whose standard error is a log) */
	if (cmd->run == cmd_sync || cmd->run == cmd_verify || cmd->run == cmd_psi || cmd->run == cmd_join ||
		cmd->run == cmd_restore)
		cli_progress_init();
	ret = cli_forward(cmd, n, av); /* to the running node of the home, if there is one */
	if (ret < 0)
		ret = cmd->run(n, av);
	free(av);
	return ret;
}
