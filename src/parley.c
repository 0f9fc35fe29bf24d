/* parley.c - the parley command: global options and dispatch to subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "parley/util.h"
#include "banned.h"

#define PARLEY_VERSION_STRING "0.1.0"

static const cli_cmd commands[] = {
	{ "keygen", cmd_keygen, "create a party's key pair (secret .key, public .pub)" },
	{ "charter", cmd_charter, "create, sign, verify and show charters" },
	{ "entry", cmd_entry, "build and inspect single log entries" },
	{ "tree", cmd_tree, "RFC 9162 Merkle root and proofs over leaves on stdin" },
	{ "note", cmd_note, "sign and verify C2SP signed notes (checkpoints)" },
	{ "serve", cmd_serve, "run the relay (HTTP server)" },
	{ "join", cmd_node, "make a home directory this party's node for a channel" },
	{ "sync", cmd_node, "fetch, verify and store new entries; receipts; cosign" },
	{ "notify", cmd_node, "send a notification (incident report)" },
	{ "inbox", cmd_node, "list the entries of the local replica" },
	{ "show", cmd_node, "show one entry in full" },
	{ "verify", cmd_node, "re-verify the whole local replica" },
	{ "ack", cmd_node, "acknowledge a thread (a person has read it)" },
	{ "reply", cmd_node, "answer a thread (response or status update)" },
	{ "escalate", cmd_node, "escalate a thread to the next level of the ladder" },
	{ "close", cmd_node, "close a thread" },
	{ "ping", cmd_node, "a timed liveness test of a party's point of contact" },
	{ "status", cmd_node, "threads, states and deadlines, most urgent first" },
	{ "thread", cmd_node, "one thread with all its entries" },
	{ "prove", cmd_node, "a proof bundle for an entry, for any third party" },
	{ "check-proof", cmd_check_proof, "verify a proof bundle offline" },
	{ "psi", cmd_psi, "private set intersection of indicators with another party" },
	{ "resume", cmd_node, "trust a relay again after investigating its misbehaviour" },
	{ "check-evidence", cmd_check_evidence, "verify evidence that a relay lied, offline" },
	{ "api", cmd_api, "send one signed HTTP request to a relay (low level)" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int usage(FILE *f)
{
	fputs("usage: parley [--version] [--help] [--home DIR] <command> [<args>]\n"
	      "\n"
	      "A hotline and incident-sharing channel for parties that do not trust each other.\n"
	      "\n"
	      "commands:\n",
		f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\n--home DIR: the node's home for join, sync, notify, inbox, show, verify\n"
	      "(default $PARLEY_HOME, else ~/.parley).\n"
	      "'parley <command> --help' describes one command.\n"
	      "exit status: 0 success, 1 failure (bad input, verification failed), 2 usage error\n",
		f);
	return f == stdout ? EXIT_OK : EXIT_USAGE;
}

int main(int argc, char **argv)
{
	parley_err err = { 0 };
	const char *name;

	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "--home") == 0 || strncmp(argv[1], "--home=", 7) == 0) {
		if (argv[1][6] == '=') {
			cli_home_dir = argv[1] + 7;
			argv += 1;
			argc -= 1;
		} else if (argc >= 3) {
			cli_home_dir = argv[2];
			argv += 2;
			argc -= 2;
		} else {
			fprintf(stderr, "parley: --home needs a directory\n");
			return EXIT_USAGE;
		}
		if (argc < 2)
			return usage(stderr);
	}
	name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
		return usage(stdout);
	if (strcmp(name, "--version") == 0) {
		printf("parley %s\n", PARLEY_VERSION_STRING);
		return EXIT_OK;
	}
	if (strcmp(name, "help") == 0) {
		if (argc < 3)
			return usage(stdout);
		name = argv[2];
		for (size_t i = 0; i < NCOMMANDS; i++)
			if (strcmp(commands[i].name, name) == 0) {
				char *hv[] = { argv[2], (char *)"--help", NULL };
				return commands[i].run(2, hv);
			}
		fprintf(stderr, "parley: '%s' is not a parley command\n", name);
		return EXIT_USAGE;
	}
	if (parley_init(&err))
		return cli_fail(&err);
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "parley: '%s' is not a parley command; see 'parley --help'\n", name);
	return EXIT_USAGE;
}
