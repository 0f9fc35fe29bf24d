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
#include "parley/listen.h"
#include "parley/util.h"

/* Exit codes of every command. */
#define EXIT_OK 0
#define EXIT_FAIL 1  /* a user's mistake, bad input, or a verification failure */
#define EXIT_USAGE 2 /* the command line itself is wrong */
#define EXIT_PENDING 3 /* not yet: something asked for is still pending (never for a wrong argument) */

/* What a command needs and does: the flags of its row in the command table (src/parley.c). */
enum {
	CLI_HOME = 1 << 0,   /* works on a node's home: --home and --channel apply */
	CLI_KEY = 1 << 1,    /* loads a secret key (and may ask for its passphrase) */
	CLI_RO = 1 << 2,     /* reads only: changes no file (a home, a database) and posts nothing */
	CLI_HIDDEN = 1 << 3, /* for scripts (completion): not listed by 'parley help' */
};

/* One command: run gets argv with argv[0] = the command's name. */
typedef struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	unsigned flags;  /* CLI_HOME | CLI_KEY | CLI_RO | CLI_HIDDEN */
	const char *man; /* the manual page that documents it, section 1: "parley-node" is parley-node(1) */
	const char *summary;
} cli_cmd;

/* The command table (src/parley.c), terminated by a row whose name is NULL. */
extern const cli_cmd cli_commands[];
/* The row of a command, or NULL. */
const cli_cmd *cli_command(const char *name);

int cmd_keygen(int argc, char **argv);
int cmd_charter(int argc, char **argv);
int cmd_entry(int argc, char **argv);
int cmd_tree(int argc, char **argv);
int cmd_note(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_api(int argc, char **argv);
int cmd_check_proof(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_check_report(int argc, char **argv);
int cmd_check_evidence(int argc, char **argv);
int cmd_psi(int argc, char **argv);
int cmd_complete(int argc, char **argv); /* hidden: words for shell completion */
/* a party's node (cmd_node.c) */
int cmd_join(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_notify(int argc, char **argv);
int cmd_inbox(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_answer(int argc, char **argv); /* ack, reply, escalate, close */
int cmd_ping(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_thread(int argc, char **argv);
int cmd_prove(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_stix(int argc, char **argv); /* stix validate (cmd_stix.c) */
int cmd_run(int argc, char **argv); /* the standing node (cmd_run.c) */
/*
 * When a node runs for the home (HOME/node.sock answers) and the command works on
 * the home, run it there (same output, same exit status) and return its status;
 * else -1 (run it here).
 */
int cli_forward(const cli_cmd *cmd, int argc, char **argv);
/* In a command the running node runs for a client: its unlocked key (else NULL). */
extern const parley_seckey *cli_node_key;
/* the node's TAXII 2.1 listener and MISP bridge (cmd_taxii.c) */
int cmd_taxii(int argc, char **argv); /* taxii --listen, taxii token, taxii set-default */
int cmd_export(int argc, char **argv); /* export --misp-feed DIR */
/*
 * notify --misp / reply --misp: read a MISP event file, convert it to a STIX 2.1
 * bundle (*stix, a new reference) and validate it; attributes kept as notes are
 * listed on standard error. EXIT_OK or the exit status (the reason printed).
 */
struct json_t;
int cli_load_misp(const char *path, struct json_t **stix);

/*
 * The global options, given anywhere before or after the command's name
 * (src/parley.c takes them out of argv; --channel and --json are handed on to
 * the command, at the end of its arguments, for its own parser).
 */
extern bool cli_quiet; /* --quiet: only errors, warnings and the data asked for */
extern bool cli_local; /* --local: times in the viewer's time zone rather than UTC */
extern bool cli_color; /* colour: --color=always, or auto (the default) on a terminal without NO_COLOR */
/* An SGR escape ("1;31": bold red) when colour is on, else "": printf("%s%s%s", cli_sgr("31"), text, cli_sgr("0")). */
const char *cli_sgr(const char *code);
/* The colour of a thread state or an obligation's outcome (overdue, missed red; late yellow; met green...). */
const char *cli_state_sgr(const char *state);
/*
 * Show the library's progress reports (parley_progress) on standard error:
 * "verify: 12000/50000 entries (24%), 3100/s, ETA 12 s", rewritten in place and
 * erased when done. Only when standard error is a terminal and not --quiet.
 */
void cli_progress_init(void);
/* succession and backups (cmd_succession.c, cmd_backup.c) */
int cmd_handover(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_relay_backup(int argc, char **argv);

/* --home given before the command, or NULL. */
extern const char *cli_home_dir;
/* The home: --home, else $PARLEY_HOME, else ~/.parley (written into buf when built). */
const char *cli_home(char *buf, size_t max);
int cmd_channels(int argc, char **argv);

struct parley_node;
/* Open the node of the home directory, loading (and if need be decrypting) its key. */
int cli_open_node(parley_seckey **key, struct parley_node **node);

/* After a sync: sync every joined predecessor of channel id too (its open threads run there). */
int cli_sync_predecessors(struct parley_node *node, const uint8_t id[32], struct json_t *arr);
/* What a sync did (rep), or its failure (rep NULL: err), as a JSON object for --json; NULL when out of memory. */
struct parley_sync_report;
struct json_t *cli_sync_json(const uint8_t id[32], const struct parley_sync_report *rep, const parley_err *err);
/* "succession:" lines for status (cmd_succession.c). */
void cli_print_succession(struct parley_node *node, const uint8_t id[32]);

/* resume --fork (cmd_backup.c): accept a relay restored from an old backup. */
int cli_resume_fork(struct parley_node *node, const uint8_t id[32]);

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

/* A time for people: ISO 8601 in UTC ("2026-11-30T07:45:12Z"), or with --local in this machine's
 * zone with its offset ("2026-11-30T08:45:12+01:00"). JSON output keeps UTC with milliseconds. */
#define CLI_TIME_MAX 32
void cli_time(char out[CLI_TIME_MAX], int64_t secs);

/* Write all of a buffer to stdout; false on error. */
bool cli_write_stdout(const void *p, size_t n);

/*
 * A listener's address and TLS files (run --console/--taxii): HOST:PORT,
 * [IPv6]:PORT or NAME:PORT parsed by parley_listen_parse (":PORT" and
 * "localhost" mean 127.0.0.1; port 0: any free one), the PEM files read when
 * given (both or neither). EXIT_OK, or the exit status with the reason
 * printed; release with cli_listener_release.
 */
typedef struct cli_listener {
	char host[PARLEY_LISTEN_HOST_MAX + 1];
	uint16_t port;
	parley_buf cert, key; /* empty: plain HTTP */
} cli_listener;
int cli_listener_init(cli_listener *l, const char *cmd, const char *opt, const char *listen, const char *cert,
	const char *key);
void cli_listener_release(cli_listener *l);
/* Write the port a listener bound to path (for scripts). */
int cli_port_file(const char *path, unsigned port);

#endif
