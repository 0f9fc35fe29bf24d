/* cmd_backup.c - parley backup | restore | relay-backup, and resume --fork. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "parley/backup.h"
#include "parley/node.h"
#include "banned.h"

static const char backup_usage[] =
	"usage: parley [--home DIR] backup FILE [--with-keys]\n"
	"\n"
	"Copy the node's home into FILE (one SQLite database file, mode 0600): the\n"
	"replica through SQLite's online backup API, a consistent snapshot even while\n"
	"'parley run' or a sync is writing, and every other file of the home (node.json,\n"
	"charters, evidence, PSI policy). Secret key files are included only with\n"
	"--with-keys, as they are on disk (still encrypted under their passphrase).\n"
	"Restore with 'parley restore FILE --home NEWDIR'.\n\n"
	"\n"
	"Example:\n"
	"  parley --home ~/hotline backup /srv/backup/hotline.db\n";

static const char restore_usage[] =
	"usage: parley restore FILE --home DIR [--no-sync]\n"
	"\n"
	"Restore a backup made by 'parley backup' into DIR, which must not exist or be\n"
	"empty. Then, when the home holds its key (a backup --with-keys, or the key file\n"
	"copied in by hand), the node re-verifies every channel's replica from scratch and\n"
	"synchronises it from the relay (unless --no-sync): the relay's log is a consistent\n"
	"extension of the older state the backup holds, so an old backup simply catches\n"
	"up; it is not taken for relay misbehaviour. Without the key, it says which file\n"
	"to copy into DIR before 'parley --home DIR verify' and 'sync'.\n\n"
	"\n"
	"Example:\n"
	"  parley restore /srv/backup/hotline.db --home ~/hotline\n";

static const char relay_backup_usage[] =
	"usage: parley relay-backup --db relay.db FILE\n"
	"\n"
	"Copy a relay's SQLite store into FILE with SQLite's online backup API: a\n"
	"consistent snapshot while 'parley serve' runs (mode 0600). To restore: stop the\n"
	"relay, replace its store with the copy (remove relay.db-wal and relay.db-shm),\n"
	"start it again, and announce it to every party (README, \"Backing up\"): the\n"
	"entries integrated after the backup are gone from the relay, so its log forks\n"
	"from theirs; each party runs 'parley resume --fork' and syncs. A PostgreSQL\n"
	"relay store is backed up with pg_dump and restored with pg_restore, the same way.\n\n"
	"\n"
	"Example:\n"
	"  parley relay-backup --db /var/lib/parley-relay/relay.db relay-copy.db\n";

static const char *home_of(char *buf, size_t max)
{
	const char *h;
	if (cli_home_dir)
		return cli_home_dir;
	if ((h = getenv("PARLEY_HOME")) && *h)
		return h;
	snprintf(buf, max, "%s/.parley", getenv("HOME") ? getenv("HOME") : ".");
	return buf;
}

static void fmt_time(char out[21], uint64_t ms)
{
	parley_time_fmt(out, (int64_t)(ms / 1000));
}

int cmd_backup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "with-keys", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	parley_backup_report rep;
	parley_err err = { 0 };
	bool keys = false;
	char buf[1024], when[21];
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keys = true; break;
		case 'h': return cli_help(backup_usage);
		default: return cli_usage_error("backup", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("backup", "expected one backup FILE");
	if (parley_backup_home(home_of(buf, sizeof(buf)), argv[optind], keys, &rep, &err))
		return cli_fail(&err);
	fmt_time(when, rep.created_ms);
	printf("backed up %s's home at %s: replica %llu bytes, %zu files (%zu key%s%s)\n", rep.name, when,
		(unsigned long long)rep.replica_bytes, rep.files, rep.keys, rep.keys == 1 ? "" : "s",
		keys ? "" : ": not included, use --with-keys");
	return EXIT_OK;
}

int cmd_restore(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "no-sync", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	parley_backup_report rep;
	parley_err err = { 0 };
	const char *home = cli_home_dir;
	bool sync = true;
	char when[21], name[PARLEY_NAME_MAX + 1], keypath[1200];
	int c, ret = EXIT_OK;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': home = optarg; break;
		case 'n': sync = false; break;
		case 'h': return cli_help(restore_usage);
		default: return cli_usage_error("restore", "unknown option");
		}
	}
	if (optind + 1 != argc || !home)
		return cli_usage_error("restore", "expected FILE --home DIR");
	if (parley_backup_restore(argv[optind], home, &rep, &err))
		return cli_fail(&err);
	fmt_time(when, rep.created_ms);
	printf("restored %s's home from the backup of %s into %s (%zu files)\n", rep.name, when, home, rep.files);

	struct stat st;
	if (parley_node_identity(home, name, keypath, sizeof(keypath), &err))
		return cli_fail(&err);
	if (stat(keypath, &st) != 0) {
		printf("the backup holds no key: copy %s's key file to %s, then run 'parley --home %s verify' and "
		       "'parley --home %s sync'\n",
			name, keypath, home, home);
		return EXIT_OK;
	}
	/* the node re-verifies what it got back, then catches up with the relay */
	parley_seckey *key = NULL;
	parley_node *node = NULL;
	cli_home_dir = home;
	if ((ret = cli_open_node(&key, &node)))
		return ret;
	for (size_t i = 0; i < parley_node_nchannels(node) && ret == EXIT_OK; i++) {
		const uint8_t *id = parley_node_channel_at(node, i);
		char hex[17];
		uint64_t entries = 0;
		parley_sync_report rep2;
		parley_hex(hex, id, 8);
		if (parley_node_verify(node, id, &entries, &err)) {
			ret = cli_fail(&err);
			break;
		}
		printf("channel %s...: the restored replica verifies (%llu entries)\n", hex, (unsigned long long)entries);
		if (!sync)
			continue;
		if (parley_node_sync(node, id, &rep2, &err)) {
			fprintf(stderr, "parley: channel %s...: restored, but the sync failed: %s\n", hex, err.msg);
			ret = EXIT_FAIL;
			break;
		}
		printf("channel %s...: synchronised from the relay: %llu entries (%llu new since the backup)\n", hex,
			(unsigned long long)rep2.new_size, (unsigned long long)(rep2.new_size - rep2.old_size));
	}
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}

int cmd_relay_backup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	parley_err err = { 0 };
	const char *db = NULL;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'h': return cli_help(relay_backup_usage);
		default: return cli_usage_error("relay-backup", "unknown option");
		}
	}
	if (!db || optind + 1 != argc)
		return cli_usage_error("relay-backup", "expected --db relay.db FILE");
	if (parley_backup_db(db, argv[optind], &err))
		return cli_fail(&err);
	printf("backed up the relay store %s to %s\n", db, argv[optind]);
	return EXIT_OK;
}

int cli_resume_fork(struct parley_node *node, const uint8_t id[32])
{
	parley_node_fork f;
	parley_err err = { 0 };

	if (parley_node_accept_fork(node, id, &f, &err))
		return cli_fail(&err);
	if (!f.lost)
		printf("the relay's log (%llu entries) extends all %llu entries of this replica: nothing was lost; "
		       "this node will talk to the relay again\n",
			(unsigned long long)f.relays, (unsigned long long)f.ours);
	else
		printf("the relay's log (%llu entries) shares the first %llu of this replica's %llu entries: %llu entr%s "
		       "of the abandoned history (%llu written by this party) %s kept in %s; the replica now ends at %llu "
		       "and the next sync fetches the relay's log from there\n",
			(unsigned long long)f.relays, (unsigned long long)f.shared, (unsigned long long)f.ours,
			(unsigned long long)f.lost, f.lost == 1 ? "y" : "ies", (unsigned long long)f.lost_own,
			f.lost == 1 ? "is" : "are", f.archive, (unsigned long long)f.shared);
	return EXIT_OK;
}
