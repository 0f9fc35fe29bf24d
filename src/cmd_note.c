/* cmd_note.c - parley note verify | sign: C2SP signed notes, for checkpoints and witnesses. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "parley/note.h"
#include "banned.h"

#define MAX_KEYS 64

static const char usage_text[] =
	"usage: parley note verify --key VKEY [--key VKEY ...] FILE\n"
	"       parley note sign --key NAME.key [--cosignature] FILE\n"
	"\n"
	"C2SP signed notes: text, a blank line, then lines '— NAME BASE64(keyid||sig)'.\n"
	"Checkpoints are signed notes; FILE may be - for standard input.\n"
	"\n"
	"verify: exit 0 and print the names whose signatures verified when at least one\n"
	"  given key verified (and no given key's signature failed); exit 1 otherwise.\n"
	"  VKEY is a C2SP verifier key 'name+hexkeyid+base64(type||ed25519 key)', type\n"
	"  0x01 (note signatures) or 0x04 (tlog-cosignature/v1).\n"
	"sign: print the note with this key's signature added. FILE is a signed note,\n"
	"  or bare text ending in a newline. --cosignature adds a tlog-cosignature/v1\n"
	"  (timestamped) instead of a plain note signature.\n"
	"\n"
	"Example:\n"
	"  parley note verify --key \"$(cat relay.vkey)\" checkpoint.txt\n";

static int load_note_text(const char *path, parley_buf *b)
{
	parley_err err = { 0 };
	if (parley_file_read(path, PARLEY_NOTE_MAX_BYTES, b, &err))
		return cli_fail(&err);
	return EXIT_OK;
}

static int note_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	parley_verifier keys[MAX_KEYS];
	bool ok[MAX_KEYS];
	size_t nkeys = 0;
	parley_err err = { 0 };
	parley_buf b = PARLEY_BUF_INIT;
	parley_note note;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (nkeys == MAX_KEYS)
				return cli_usage_error("note verify", "more than %d keys", MAX_KEYS);
			if (parley_verifier_parse(optarg, &keys[nkeys], &err))
				return cli_fail(&err);
			nkeys++;
			break;
		case 'h': return cli_help(usage_text);
		default: return cli_usage_error("note verify", "unknown option");
		}
	}
	if (nkeys == 0 || optind + 1 != argc)
		return cli_usage_error("note verify", "expected --key VKEY [...] FILE");
	if ((ret = load_note_text(argv[optind], &b)))
		return ret;
	if (parley_note_parse((const char *)b.data, b.len, &note, &err)) {
		parley_buf_release(&b);
		return cli_fail(&err);
	}
	if (parley_note_verify(&note, keys, nkeys, ok, NULL, &err)) {
		ret = cli_fail(&err);
	} else {
		for (size_t i = 0; i < nkeys; i++)
			if (ok[i])
				printf("%s\n", keys[i].name);
		ret = EXIT_OK;
	}
	parley_note_release(&note);
	parley_buf_release(&b);
	return ret;
}

static int note_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "cosignature", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keypath = NULL;
	bool cosign = false;
	parley_seckey *key = NULL;
	parley_err err = { 0 };
	parley_buf b = PARLEY_BUF_INIT, line = PARLEY_BUF_INIT;
	parley_note note;
	const char *text;
	size_t textlen;
	bool is_note;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keypath = optarg; break;
		case 'c': cosign = true; break;
		case 'h': return cli_help(usage_text);
		default: return cli_usage_error("note sign", "unknown option");
		}
	}
	if (!keypath || optind + 1 != argc)
		return cli_usage_error("note sign", "expected --key NAME.key FILE");
	if ((ret = load_note_text(argv[optind], &b)))
		return ret;
	/* a signed note gets one more line; anything else is the text to sign */
	is_note = parley_note_parse((const char *)b.data, b.len, &note, NULL) == PARLEY_OK;
	text = is_note ? note.text : (const char *)b.data;
	textlen = is_note ? note.text_len : b.len;
	if ((ret = cli_load_seckey(keypath, &key)))
		goto out;
	if ((cosign ? parley_note_cosign_line(text, textlen, key, (uint64_t)time(NULL), &line, &err)
		    : parley_note_sign_line(text, textlen, key, &line, &err))) {
		ret = cli_fail(&err);
		goto out;
	}
	if (is_note) {
		if (!cli_write_stdout(b.data, b.len))
			ret = cli_failf("cannot write standard output");
	} else if (!cli_write_stdout(b.data, b.len) || !cli_write_stdout("\n", 1)) {
		ret = cli_failf("cannot write standard output");
	}
	if (!ret && !cli_write_stdout(line.data, line.len))
		ret = cli_failf("cannot write standard output");
out:
	if (is_note)
		parley_note_release(&note);
	parley_seckey_free(key);
	parley_buf_release(&b);
	parley_buf_release(&line);
	return ret;
}

int cmd_note(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("note", "expected verify or sign");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cli_help(usage_text);
	if (strcmp(argv[1], "verify") == 0)
		return note_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "sign") == 0)
		return note_sign(argc - 1, argv + 1);
	return cli_usage_error("note", "unknown subcommand '%s'", argv[1]);
}
