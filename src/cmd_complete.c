/* cmd_complete.c - words for shell completion (hidden): a home's channel ids, party names and categories. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "banned.h"

static const char usage_text[] =
	"usage: parley [--home DIR] complete channels|parties|categories\n"
	"\n"
	"For the shell completion scripts: one word per line, from the charters in\n"
	"the home (read without its key; nothing is verified, nothing is written).\n"
	"  channels     the channel ids\n"
	"  parties      the party names of every charter (not its auditors)\n"
	"  categories   the categories of every charter's scope\n"
	"Prints nothing, and exits 0, when the home has no charter.\n"
	"\n"
	"Example:\n"
	"  parley --home ~/hotline complete parties\n";

int cmd_complete(int argc, char **argv)
{
	char buf[1024], dir[1200], path[1500];
	const char *home = cli_home_dir, *what;
	struct dirent *d;
	DIR *dp;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return cli_help(usage_text);
	if (argc != 2 || (strcmp(argv[1], "channels") && strcmp(argv[1], "parties") && strcmp(argv[1], "categories")))
		return cli_usage_error("complete", "expected channels, parties or categories");
	what = argv[1];
	if (!home && !((home = getenv("PARLEY_HOME")) && *home)) {
		snprintf(buf, sizeof(buf), "%s/.parley", getenv("HOME") ? getenv("HOME") : ".");
		home = buf;
	}
	snprintf(dir, sizeof(dir), "%s/charters", home);
	if (!(dp = opendir(dir)))
		return EXIT_OK;
	while ((d = readdir(dp))) {
		size_t n = strlen(d->d_name);
		parley_charter *ch = NULL;
		parley_err err = { 0 };

		if (n != 64 + 5 || strcmp(d->d_name + 64, ".json") != 0)
			continue;
		if (what[1] == 'h') {
			printf("%.64s\n", d->d_name);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (parley_charter_load(path, &ch, &err))
			continue;
		if (what[0] == 'p')
			for (size_t i = 0; i < parley_charter_nparties(ch); i++) {
				const parley_party *pa = parley_charter_party_at(ch, i);
				if (pa->role == PARLEY_ROLE_PARTY) /* auditors are never recipients */
					printf("%s\n", pa->key.name);
			}
		else
			for (size_t i = 0; i < parley_charter_ncategories(ch); i++)
				printf("%s\n", parley_charter_category_at(ch, i));
		parley_charter_free(ch);
	}
	closedir(dp);
	return EXIT_OK;
}
