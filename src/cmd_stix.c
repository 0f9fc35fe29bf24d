/* cmd_stix.c - parley stix validate: check STIX 2.1 files offline, with the validator notify --stix uses. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parley/jcs.h"
#include "parley/stix.h"
#include "parley/util.h"
#include "banned.h"

/* The largest STIX file read (a TAXII page or a big MISP export fits). */
#define STIX_FILE_MAX (64u << 20)

static const char usage_text[] =
	"usage: parley stix validate [--json] [--strict] FILE...\n"
	"\n"
	"Check STIX 2.1 content against the specification (OASIS Standard with its\n"
	"errata): a bundle, a single object, or a list of objects (a TAXII envelope's\n"
	"\"objects\", or the envelope itself). Needs no home and no network. FILE '-'\n"
	"reads standard input. This is the validator notify --stix and reply --stix use.\n"
	"\n"
	"Each problem is one line on standard output:\n"
	"  OBJECT-ID: PROPERTY: problem\n"
	"(prefixed with 'FILE: ' when more than one file is given), then a summary line\n"
	"per file. What the specification says MUST is an error. What it says SHOULD is\n"
	"accepted; --strict reports it as 'warning: ...' (warnings never fail).\n"
	"\n"
	"--json prints {\"valid\", \"files\": [{\"file\", \"valid\", \"errors\", \"warnings\",\n"
	"\"truncated\", \"problems\": [{\"id\", \"property\", \"message\", \"severity\"}]}]}.\n"
	"\n"
	"Exit 0 when every file is valid, 1 when one is not (or cannot be read), 2 for a\n"
	"usage error.\n"
	"\n"
	"Example:\n"
	"  parley stix validate --strict misp-export.json\n";

static parley_code read_stdin(parley_buf *b, parley_err *err)
{
	char chunk[65536];
	size_t n;
	parley_buf_init(b, STIX_FILE_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (parley_buf_add(b, chunk, n))
			return parley_fail(err, PARLEY_E_LIMIT, "standard input: more than %u bytes", STIX_FILE_MAX);
	if (ferror(stdin))
		return parley_fail(err, PARLEY_E_IO, "standard input: read error");
	return PARLEY_OK;
}

/* Validate one parsed document: a bundle, an object, a list of objects or a TAXII envelope. */
static parley_code check_doc(const json_t *doc, unsigned flags, parley_stix_report *rep)
{
	if (json_is_array(doc))
		return parley_stix_check_objects(doc, flags, rep);
	if (json_is_object(doc) && !json_object_get(doc, "type") && json_is_array(json_object_get(doc, "objects")))
		return parley_stix_check_objects(json_object_get(doc, "objects"), flags, rep);
	return parley_stix_check(doc, flags, rep);
}

static void add_problem(parley_stix_report *rep, const char *msg)
{
	if (rep->n == rep->cap) {
		size_t nc = rep->cap ? rep->cap * 2 : 4;
		parley_stix_problem *np = realloc(rep->problems, nc * sizeof(*np));
		if (!np)
			return;
		rep->problems = np;
		rep->cap = nc;
	}
	parley_stix_problem *p = &rep->problems[rep->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "document");
	snprintf(p->message, sizeof(p->message), "%s", msg);
	rep->errors++;
}

static int stix_validate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "strict", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool as_json = false, all_valid = true;
	unsigned flags = 0;
	int c;
	json_t *out = NULL, *files = NULL;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': as_json = true; break;
		case 's': flags |= PARLEY_STIX_STRICT; break;
		case 'h': return cli_help(usage_text);
		default: return cli_usage_error("stix validate", "unknown option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("stix validate", "expected at least one file");
	bool many = argc - optind > 1;
	if (as_json) {
		out = json_object();
		files = json_array();
		if (!out || !files)
			return cli_failf("out of memory");
		json_object_set_new(out, "files", files);
	}
	for (int i = optind; i < argc; i++) {
		const char *f = argv[i];
		parley_buf b = PARLEY_BUF_INIT;
		parley_err err = { 0 };
		parley_stix_report rep;
		json_t *doc = NULL;
		parley_code rc;

		parley_stix_report_init(&rep);
		if (strcmp(f, "-") == 0)
			rc = read_stdin(&b, &err);
		else
			rc = parley_file_read(f, STIX_FILE_MAX, &b, &err);
		if (rc == PARLEY_OK)
			rc = parley_json_parse((const char *)b.data, b.len, STIX_FILE_MAX, &doc, &err);
		if (rc) {
			add_problem(&rep, err.msg);
		} else if (check_doc(doc, flags, &rep) == PARLEY_E_NOMEM) {
			add_problem(&rep, "out of memory while validating");
		}
		bool valid = rep.errors == 0;
		all_valid = all_valid && valid;
		if (as_json) {
			json_t *fo = json_object(), *probs = json_array();
			for (size_t k = 0; fo && probs && k < rep.n; k++) {
				const parley_stix_problem *p = &rep.problems[k];
				json_array_append_new(probs, json_pack("{s:s, s:s, s:s, s:s}", "id", p->id, "property", p->property,
								     "message", p->message, "severity",
								     p->is_warning ? "warning" : "error"));
			}
			if (fo) {
				json_object_set_new(fo, "file", json_string(f));
				json_object_set_new(fo, "valid", json_boolean(valid));
				json_object_set_new(fo, "errors", json_integer((json_int_t)rep.errors));
				json_object_set_new(fo, "warnings", json_integer((json_int_t)rep.warnings));
				json_object_set_new(fo, "truncated", json_boolean(rep.truncated));
				json_object_set_new(fo, "problems", probs ? probs : json_array());
				json_array_append_new(files, fo);
			}
		} else {
			for (size_t k = 0; k < rep.n; k++) {
				const parley_stix_problem *p = &rep.problems[k];
				printf("%s%s%s: %s%s%s%s\n", many ? f : "", many ? ": " : "", p->id, p->property,
					p->property[0] ? ": " : "", p->is_warning ? "warning: " : "", p->message);
			}
			if (rep.truncated)
				printf("%s%s(more problems not shown)\n", many ? f : "", many ? ": " : "");
			if (valid)
				printf("%s: valid%s", f, rep.warnings ? "" : "\n");
			else
				printf("%s: invalid (%zu error%s", f, rep.errors, rep.errors == 1 ? "" : "s");
			if (rep.warnings)
				printf("%s%zu warning%s)\n", valid ? " (" : ", ", rep.warnings, rep.warnings == 1 ? "" : "s");
			else if (!valid)
				printf(")\n");
		}
		parley_stix_report_release(&rep);
		json_decref(doc);
		parley_buf_release(&b);
	}
	if (as_json) {
		json_object_set_new(out, "valid", json_boolean(all_valid));
		char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "{}");
		free(s);
		json_decref(out);
	}
	fflush(stdout);
	return all_valid ? EXIT_OK : EXIT_FAIL;
}

int cmd_stix(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("stix", "expected a subcommand: validate");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cli_help(usage_text);
	if (strcmp(argv[1], "validate") == 0)
		return stix_validate(argc - 1, argv + 1);
	return cli_usage_error("stix", "unknown subcommand '%s'", argv[1]);
}
