/* cli.h - what the parley command's subcommands share: errors, keys, passphrases, output. */
#ifndef PARLEY_CLI_H
#define PARLEY_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parley/charter.h"
#include "parley/crypto.h"
#include "parley/entry.h"
#include "parley/err.h"

/* Exit codes of every command. */
#define EXIT_OK 0
#define EXIT_FAIL 1  /* a user's mistake, bad input, or a verification failure */
#define EXIT_USAGE 2 /* the command line itself is wrong */

/* One subcommand: run gets argv with argv[0] = the command's name. */
typedef struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} cli_cmd;

int cmd_keygen(int argc, char **argv);
int cmd_charter(int argc, char **argv);
int cmd_entry(int argc, char **argv);
int cmd_tree(int argc, char **argv);
int cmd_note(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_api(int argc, char **argv);
int cmd_check_proof(int argc, char **argv);
int cmd_check_evidence(int argc, char **argv);
int cmd_psi(int argc, char **argv);
int cmd_node(int argc, char **argv); /* join, sync, notify, inbox, show, verify */

/* --home given before the command, or NULL. */
extern const char *cli_home_dir;

struct parley_node;
/* Open the node of the home directory, loading (and if need be decrypting) its key. */
int cli_open_node(parley_seckey **key, struct parley_node **node);

/* --dry-run of a posting command: print the header an entry would carry and its content (decoded from payload,
 * or the description `content` when not NULL). Nothing is sent. */
void cli_print_preview(struct parley_node *node, const uint8_t id[32], const parley_entry_hdr *h, const uint8_t *pl,
	size_t pl_len, const char *content);

/* "parley: <msg>" on stderr; returns EXIT_FAIL. */
int cli_fail(const parley_err *e);
int cli_failf(const char *fmt, ...) PARLEY_PRINTF(1, 2);
/* "parley <cmd>: <msg>" plus a pointer to --help; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) PARLEY_PRINTF(2, 3);

/* Print usage text to stdout (for --help) and return EXIT_OK. */
int cli_help(const char *text);

/*
 * The passphrase: PARLEY_PASSPHRASE when set, else asked on the terminal
 * without echo (twice when confirm). Returns a sodium_malloc'd string to be
 * freed with cli_passphrase_free, or NULL after printing why.
 */
char *cli_passphrase(const char *prompt, bool confirm);
void cli_passphrase_free(char *p);

/* Load a secret key file, asking for the passphrase only when it is encrypted. */
int cli_load_seckey(const char *path, parley_seckey **out);
int cli_load_pubkey(const char *path, parley_pubkey *out);
int cli_load_charter(const char *path, parley_charter **out);

/* Parse a decimal unsigned integer in [min, max]; false otherwise. */
bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Write all of a buffer to stdout; false on error. */
bool cli_write_stdout(const void *p, size_t n);

#endif
