/* cmd_tree.c - parley tree root | inclusion INDEX | consistency OLDSIZE: RFC 9162 over leaves on stdin. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parley/merkle.h"
#include "banned.h"

#define LINE_MAX_BYTES ((size_t)32 << 20) /* a leaf of up to 16 MiB, in hex */

static const char usage_text[] =
	"usage: parley tree root\n"
	"       parley tree inclusion INDEX\n"
	"       parley tree consistency OLDSIZE\n"
	"\n"
	"Reads leaves on standard input, one per line, each the hex of the leaf's bytes\n"
	"(an empty line is the empty leaf), and computes over the RFC 9162 tree of all\n"
	"of them (leaf hash SHA-256(0x00||leaf), node hash SHA-256(0x01||left||right)):\n"
	"\n"
	"  root                   the root hash (no leaves: SHA-256 of the empty string)\n"
	"  inclusion INDEX        the inclusion proof of leaf INDEX (0-based), leaf upwards\n"
	"  consistency OLDSIZE    the consistency proof from the first OLDSIZE leaves\n"
	"\n"
	"Hashes are printed in lower-case hex, one per line. Bad input (a line that is\n"
	"not hex, INDEX >= the number of leaves, OLDSIZE 0 or above it) is an error with\n"
	"exit status 2.\n"
	"\n"
	"Example:\n"
	"  printf '00\\n01\\n02\\n' | parley tree inclusion 1\n";

static int bad(const char *fmt, ...) PARLEY_PRINTF(1, 2);
static int bad(const char *fmt, ...)
{
	va_list ap;
	fputs("parley tree: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

/* Read every leaf from stdin into the tree; EXIT_OK or EXIT_USAGE/EXIT_FAIL after a message. */
static int read_leaves(parley_merkle_mem *t)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long long lineno = 0;
	uint8_t *bytes = NULL;
	size_t bytes_cap = 0;
	int ret = EXIT_OK;

	while ((len = getline(&line, &cap, stdin)) >= 0) {
		size_t n = (size_t)len;
		uint8_t h[32];

		lineno++;
		if (n && line[n - 1] == '\n')
			n--;
		if (n && line[n - 1] == '\r')
			n--;
		if (n > LINE_MAX_BYTES) {
			ret = bad("line %llu: longer than the 32 MiB limit", lineno);
			break;
		}
		if (n % 2) {
			ret = bad("line %llu: odd number of hex digits", lineno);
			break;
		}
		if (n / 2 > bytes_cap) {
			uint8_t *p = realloc(bytes, n / 2);
			if (!p) {
				ret = cli_failf("out of memory");
				break;
			}
			bytes = p;
			bytes_cap = n / 2;
		}
		if (n && parley_unhex(bytes, n / 2, line, n)) {
			ret = bad("line %llu: not hex", lineno);
			break;
		}
		parley_merkle_leaf_hash(h, bytes, n / 2);
		if (parley_merkle_mem_append(t, h)) {
			ret = cli_failf("out of memory");
			break;
		}
	}
	if (ret == EXIT_OK && ferror(stdin))
		ret = cli_failf("error reading standard input");
	free(line);
	free(bytes);
	return ret;
}

static void print_hashes(uint8_t (*h)[32], size_t n)
{
	char hex[65];
	for (size_t i = 0; i < n; i++) {
		parley_hex(hex, h[i], 32);
		printf("%s\n", hex);
	}
}

int cmd_tree(int argc, char **argv)
{
	parley_merkle_mem t;
	parley_merkle_src src;
	parley_err err = { 0 };
	uint8_t proof[PARLEY_MERKLE_MAX_PROOF][32], root[32];
	size_t n = 0;
	uint64_t arg = 0, size;
	int ret;
	enum { ROOT, INCLUSION, CONSISTENCY } what;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return cli_help(usage_text);
	if (argc == 2 && strcmp(argv[1], "root") == 0)
		what = ROOT;
	else if (argc == 3 && strcmp(argv[1], "inclusion") == 0)
		what = INCLUSION;
	else if (argc == 3 && strcmp(argv[1], "consistency") == 0)
		what = CONSISTENCY;
	else
		return cli_usage_error("tree", "expected root, inclusion INDEX or consistency OLDSIZE");
	if (what != ROOT && !cli_parse_u64(argv[2], 0, UINT64_MAX, &arg))
		return bad("'%s' is not a whole number", argv[2]);

	parley_merkle_mem_init(&t);
	if ((ret = read_leaves(&t))) {
		parley_merkle_mem_release(&t);
		return ret;
	}
	src = parley_merkle_mem_src(&t);
	size = t.f.size;
	switch (what) {
	case ROOT:
		parley_merkle_frontier_root(&t.f, root);
		print_hashes(&root, 1);
		break;
	case INCLUSION:
		if (arg >= size) {
			ret = bad("index %llu is out of range", (unsigned long long)arg);
			fprintf(stderr, "parley tree: the tree has %llu leaves\n", (unsigned long long)size);
			break;
		}
		if (parley_merkle_inclusion(&src, arg, size, proof, &n, &err)) {
			ret = cli_fail(&err);
			break;
		}
		print_hashes(proof, n);
		break;
	case CONSISTENCY:
		if (arg == 0 || arg > size) {
			ret = bad("old size %llu must be 1 to the number of leaves", (unsigned long long)arg);
			fprintf(stderr, "parley tree: the tree has %llu leaves\n", (unsigned long long)size);
			break;
		}
		if (parley_merkle_consistency(&src, arg, size, proof, &n, &err)) {
			ret = cli_fail(&err);
			break;
		}
		print_hashes(proof, n);
		break;
	}
	parley_merkle_mem_release(&t);
	if (ret == EXIT_OK && fflush(stdout) != 0)
		ret = cli_failf("cannot write standard output");
	return ret;
}
