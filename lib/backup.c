/* backup.c - a node home or a relay store copied while in use (SQLite online backup), and restored. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "parley/backup.h"
#include "parley/jcs.h"
#include "parley/util.h"
#include "banned.h"

#define PATH_MAX_ 1200

static parley_code sqerr(sqlite3 *db, parley_err *err, const char *what, const char *path)
{
	return parley_fail(err, PARLEY_E_IO, "%s: %s: %s", path, what, db ? sqlite3_errmsg(db) : "out of memory");
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/*
 * Copy database src into dst (both open) with the online backup API in one step: in WAL
 * mode that is one read transaction, a consistent snapshot while writers go on. BUSY and
 * LOCKED (a writer checkpointing, a rollback-journal writer) are retried for a while.
 */
static parley_code copy_db(sqlite3 *src, sqlite3 *dst, const char *what, parley_err *err)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	int rc = SQLITE_OK;

	if (!b)
		return sqerr(dst, err, "starting the online backup", what);
	for (int tries = 0; tries < 600; tries++) {
		rc = sqlite3_backup_step(b, -1);
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			break;
		sleep_ms(50);
	}
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE)
		return parley_fail(err, PARLEY_E_IO, "%s: the online backup failed: %s", what, sqlite3_errstr(rc));
	return PARLEY_OK;
}

static parley_code open_db(const char *path, int flags, sqlite3 **db, parley_err *err)
{
	if (sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		parley_code rc = sqerr(*db, err, "cannot open", path);
		sqlite3_close(*db);
		*db = NULL;
		return rc;
	}
	sqlite3_busy_timeout(*db, 10000);
	return PARLEY_OK;
}

static parley_code exec(sqlite3 *db, const char *sql, const char *path, parley_err *err)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		parley_code rc = parley_fail(err, PARLEY_E_IO, "%s: %s", path, msg ? msg : "error");
		sqlite3_free(msg);
		return rc;
	}
	return PARLEY_OK;
}

/* fsync a file by name (the backup before its rename, a directory after). */
static void sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

static void dir_of(char *out, size_t max, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(out, max, ".");
	else if (slash == path)
		snprintf(out, max, "/");
	else
		snprintf(out, max, "%.*s", (int)(slash - path), path);
}

/*
 * The temporary file next to out, removed first (with its -wal and -shm) so that
 * a stale one from a killed run is never mixed in.
 */
static parley_code temp_for(char *tmp, size_t max, const char *out, parley_err *err)
{
	char side[PATH_MAX_ + 8];
	if ((size_t)snprintf(tmp, max, "%s.tmp-%ld", out, (long)getpid()) >= max)
		return parley_fail(err, PARLEY_E_LIMIT, "%s: path too long", out);
	(void)unlink(tmp);
	snprintf(side, sizeof(side), "%s-wal", tmp);
	(void)unlink(side);
	snprintf(side, sizeof(side), "%s-shm", tmp);
	(void)unlink(side);
	return PARLEY_OK;
}

/* Close dst as a single self-contained file (no WAL left beside it), fsync, rename to out. */
static parley_code finish_file(sqlite3 *dst, const char *tmp, const char *out, parley_err *err)
{
	char dir[PATH_MAX_];
	parley_code rc;
	if ((rc = exec(dst, "PRAGMA journal_mode=DELETE", tmp, err))) {
		sqlite3_close(dst);
		return rc;
	}
	if (sqlite3_close(dst) != SQLITE_OK)
		return parley_fail(err, PARLEY_E_IO, "%s: cannot close", tmp);
	if (chmod(tmp, 0600) != 0)
		return parley_fail(err, PARLEY_E_IO, "%s: %s", tmp, strerror(errno));
	sync_path(tmp);
	if (rename(tmp, out) != 0)
		return parley_fail(err, PARLEY_E_IO, "%s: %s", out, strerror(errno));
	dir_of(dir, sizeof(dir), out);
	sync_path(dir);
	return PARLEY_OK;
}

parley_code parley_backup_db(const char *db, const char *out, parley_err *err)
{
	char tmp[PATH_MAX_];
	sqlite3 *src = NULL, *dst = NULL;
	parley_code rc;
	struct stat st;

	if (stat(db, &st) != 0)
		return parley_fail(err, PARLEY_E_NOTFOUND, "%s: %s", db, strerror(errno));
	if ((rc = temp_for(tmp, sizeof(tmp), out, err)) || (rc = open_db(db, SQLITE_OPEN_READONLY, &src, err)))
		return rc;
	if ((rc = open_db(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &dst, err)) ||
		(rc = copy_db(src, dst, db, err))) {
		sqlite3_close(src);
		sqlite3_close(dst);
		(void)unlink(tmp);
		return rc;
	}
	sqlite3_close(src);
	if ((rc = finish_file(dst, tmp, out, err)))
		(void)unlink(tmp);
	return rc;
}

/* ---- the home's files ---- */

/* A name a home holds: [A-Za-z0-9._+-], not "." or "..", not starting with '.'. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 200 || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			    c == '-' || c == '+'))
			return false;
	}
	return true;
}

/* A relative path a backup may hold: NAME, charters/NAME or psi/NAME. */
static bool path_ok(const char *p)
{
	const char *slash = strchr(p, '/');
	if (!slash)
		return name_ok(p) && strncmp(p, "replica.db", 10) != 0;
	if (strchr(slash + 1, '/'))
		return false;
	size_t d = (size_t)(slash - p);
	if (!((d == 8 && strncmp(p, "charters", 8) == 0) || (d == 3 && strncmp(p, "psi", 3) == 0)))
		return false;
	return name_ok(slash + 1);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

struct collect {
	sqlite3 *dst;
	sqlite3_stmt *ins;
	const char *home;
	const char *keyfile; /* node.json's key, relative */
	bool with_keys;
	parley_backup_report *rep;
	parley_err *err;
};

static parley_code add_file(struct collect *c, const char *rel)
{
	char path[PATH_MAX_];
	parley_buf b = PARLEY_BUF_INIT;
	struct stat st;
	parley_code rc;
	bool key = ends_with(rel, ".key") || (c->keyfile && strcmp(rel, c->keyfile) == 0);

	if (key && !c->with_keys)
		return PARLEY_OK;
	if (ends_with(rel, ".paging") || strncmp(rel, "replica.db", 10) == 0)
		return PARLEY_OK; /* transient, or the replica itself (copied by the online backup) */
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", c->home, rel) >= sizeof(path))
		return parley_fail(c->err, PARLEY_E_LIMIT, "%s/%s: path too long", c->home, rel);
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return PARLEY_OK; /* gone meanwhile, or not a plain file: a home holds none we need */
	if (!path_ok(rel))
		return parley_fail(c->err, PARLEY_E_FORMAT,
			"%s: a file name a backup cannot hold (letters, digits, '.', '_', '+', '-')", path);
	if (c->rep->files == PARLEY_BACKUP_FILES_MAX)
		return parley_fail(c->err, PARLEY_E_LIMIT, "%s: more than %d files", c->home, PARLEY_BACKUP_FILES_MAX);
	b.secret = key;
	rc = key ? parley_file_read_private(path, PARLEY_BACKUP_FILE_MAX, &b, c->err)
		 : parley_file_read(path, PARLEY_BACKUP_FILE_MAX, &b, c->err);
	if (rc == PARLEY_E_NOTFOUND) {
		parley_buf_release(&b);
		return PARLEY_OK;
	}
	if (rc) {
		parley_buf_release(&b);
		return rc;
	}
	sqlite3_reset(c->ins);
	sqlite3_bind_text(c->ins, 1, rel, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(c->ins, 2, (int)(st.st_mode & 0777));
	sqlite3_bind_blob(c->ins, 3, b.data ? (const void *)b.data : (const void *)"", (int)b.len, SQLITE_TRANSIENT);
	rc = sqlite3_step(c->ins) == SQLITE_DONE ? PARLEY_OK : sqerr(c->dst, c->err, "storing a file", rel);
	c->rep->files++;
	c->rep->keys += key;
	c->rep->file_bytes += b.len;
	parley_buf_release(&b);
	return rc;
}

static parley_code add_dir(struct collect *c, const char *sub)
{
	char path[PATH_MAX_], rel[PATH_MAX_];
	DIR *d;
	struct dirent *e;
	parley_code rc = PARLEY_OK;

	snprintf(path, sizeof(path), "%s%s%s", c->home, sub ? "/" : "", sub ? sub : "");
	if (!(d = opendir(path)))
		return errno == ENOENT && sub ? PARLEY_OK : parley_fail(c->err, PARLEY_E_IO, "%s: %s", path, strerror(errno));
	while (!rc && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (!sub && (strcmp(e->d_name, "charters") == 0 || strcmp(e->d_name, "psi") == 0))
			continue; /* walked on their own */
		snprintf(rel, sizeof(rel), "%s%s%s", sub ? sub : "", sub ? "/" : "", e->d_name);
		rc = add_file(c, rel);
	}
	closedir(d);
	return rc;
}

static parley_code home_identity(const char *home, char name[65], char key[256], parley_err *err)
{
	char path[PATH_MAX_];
	parley_buf b = PARLEY_BUF_INIT;
	json_t *j = NULL;
	parley_code rc;

	snprintf(path, sizeof(path), "%s/node.json", home);
	if ((rc = parley_file_read(path, 1 << 20, &b, err))) {
		if (rc == PARLEY_E_NOTFOUND)
			parley_fail(err, rc, "%s is not a parley node home (no node.json)", home);
		return rc;
	}
	rc = parley_json_parse((const char *)b.data, b.len, 1 << 20, &j, err);
	parley_buf_release(&b);
	if (rc)
		return parley_wrap(err, rc, "%s", path);
	const char *n = json_string_value(json_object_get(j, "name")), *k = json_string_value(json_object_get(j, "key"));
	if (!n || !k || strlen(n) > 64 || strlen(k) > 255) {
		json_decref(j);
		return parley_fail(err, PARLEY_E_FORMAT, "%s: not a valid node configuration", path);
	}
	snprintf(name, 65, "%s", n);
	snprintf(key, 256, "%s", k);
	json_decref(j);
	return PARLEY_OK;
}

parley_code parley_backup_home(const char *home, const char *out, bool with_keys, parley_backup_report *rep,
	parley_err *err)
{
	char tmp[PATH_MAX_], path[PATH_MAX_], keyrel[256], sql[256];
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_stmt *st = NULL;
	struct collect c;
	parley_code rc;

	memset(rep, 0, sizeof(*rep));
	if ((rc = parley_dir_check_private(home, "the node's home", err)) ||
		(rc = home_identity(home, rep->name, keyrel, err)))
		return rc;
	snprintf(path, sizeof(path), "%s/replica.db", home);
	if ((rc = temp_for(tmp, sizeof(tmp), out, err)))
		return rc;
	if ((rc = open_db(path, SQLITE_OPEN_READONLY, &src, err)) ||
		(rc = open_db(tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &dst, err)) ||
		(rc = copy_db(src, dst, path, err)))
		goto fail;
	sqlite3_close(src);
	src = NULL;
	rep->created_ms = parley_now_ms();
	snprintf(sql, sizeof(sql),
		"CREATE TABLE parley_backup_meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
		"CREATE TABLE parley_backup_files(path TEXT PRIMARY KEY, mode INTEGER NOT NULL, data BLOB NOT NULL);"
		"BEGIN;");
	if ((rc = exec(dst, sql, tmp, err)))
		goto fail;
	if (sqlite3_prepare_v2(dst, "INSERT INTO parley_backup_files(path, mode, data) VALUES (?1, ?2, ?3)", -1, &c.ins,
		    NULL) != SQLITE_OK) {
		rc = sqerr(dst, err, "preparing", tmp);
		goto fail;
	}
	c.dst = dst;
	c.home = home;
	c.keyfile = keyrel;
	c.with_keys = with_keys;
	c.rep = rep;
	c.err = err;
	rc = add_dir(&c, NULL);
	if (!rc)
		rc = add_dir(&c, "charters");
	if (!rc)
		rc = add_dir(&c, "psi");
	sqlite3_finalize(c.ins);
	if (rc)
		goto fail;
	if (sqlite3_prepare_v2(dst, "INSERT INTO parley_backup_meta(k, v) VALUES (?1, ?2)", -1, &st, NULL) != SQLITE_OK) {
		rc = sqerr(dst, err, "preparing", tmp);
		goto fail;
	}
	char ms[24];
	snprintf(ms, sizeof(ms), "%llu", (unsigned long long)rep->created_ms);
	const char *kv[][2] = { { "format", PARLEY_BACKUP_FORMAT }, { "name", rep->name }, { "created_ms", ms },
		{ "keys", rep->keys ? "yes" : "no" } };
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]) && !rc; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, kv[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, kv[i][1], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sqerr(dst, err, "writing", tmp);
	}
	sqlite3_finalize(st);
	if (rc || (rc = exec(dst, "COMMIT", tmp, err)))
		goto fail;
	sqlite3_int64 pages = 0, psize = 0;
	if (sqlite3_prepare_v2(dst, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", -1, &st,
		    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		pages = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	(void)psize;
	rep->replica_bytes = (uint64_t)pages;
	rc = finish_file(dst, tmp, out, err);
	dst = NULL;
	if (rc)
		(void)unlink(tmp);
	return rc;
fail:
	sqlite3_close(src);
	sqlite3_close(dst);
	(void)unlink(tmp);
	return rc;
}

/* ---- restore ---- */

static parley_code read_meta(sqlite3 *db, const char *in, parley_backup_report *rep, parley_err *err)
{
	sqlite3_stmt *st = NULL;
	bool format = false;

	memset(rep, 0, sizeof(*rep));
	if (sqlite3_prepare_v2(db, "SELECT k, v FROM parley_backup_meta", -1, &st, NULL) != SQLITE_OK)
		return parley_fail(err, PARLEY_E_FORMAT, "%s: not a parley home backup", in);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0), *v = (const char *)sqlite3_column_text(st, 1);
		if (!k || !v)
			continue;
		if (strcmp(k, "format") == 0)
			format = strcmp(v, PARLEY_BACKUP_FORMAT) == 0;
		else if (strcmp(k, "name") == 0)
			snprintf(rep->name, sizeof(rep->name), "%s", v);
		else if (strcmp(k, "created_ms") == 0)
			rep->created_ms = strtoull(v, NULL, 10);
	}
	sqlite3_finalize(st);
	if (!format)
		return parley_fail(err, PARLEY_E_FORMAT, "%s: not a backup in the format %s", in, PARLEY_BACKUP_FORMAT);
	return PARLEY_OK;
}

/* Check every file row (and, when home is not NULL, write it under home). */
static parley_code walk_files(sqlite3 *db, const char *in, const char *home, parley_backup_report *rep,
	parley_err *err)
{
	sqlite3_stmt *st = NULL;
	parley_code rc = PARLEY_OK;
	char path[PATH_MAX_];

	if (sqlite3_prepare_v2(db, "SELECT path, mode, data FROM parley_backup_files ORDER BY path", -1, &st, NULL) !=
		SQLITE_OK)
		return parley_fail(err, PARLEY_E_FORMAT, "%s: not a parley home backup (no file table)", in);
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 0);
		int mode = sqlite3_column_int(st, 1);
		const void *data = sqlite3_column_blob(st, 2);
		size_t n = (size_t)sqlite3_column_bytes(st, 2);
		if (!p || !path_ok(p) || mode < 0 || mode > 0777 || n > PARLEY_BACKUP_FILE_MAX) {
			rc = parley_fail(err, PARLEY_E_FORMAT, "%s: holds a file it may not ('%s')", in, p ? p : "(null)");
			break;
		}
		if (++rep->files > PARLEY_BACKUP_FILES_MAX) {
			rc = parley_fail(err, PARLEY_E_LIMIT, "%s: more than %d files", in, PARLEY_BACKUP_FILES_MAX);
			break;
		}
		rep->keys += ends_with(p, ".key");
		rep->file_bytes += n;
		if (!home)
			continue;
		snprintf(path, sizeof(path), "%s/%s", home, p);
		/* never group- or world-writable; secrets stay 0600 */
		rc = parley_file_write(path, data ? data : "", n, (unsigned)mode & 0755, true, err);
	}
	sqlite3_finalize(st);
	return rc;
}

static parley_code open_backup(const char *in, sqlite3 **db, parley_backup_report *rep, parley_err *err)
{
	struct stat st;
	parley_code rc;
	if (stat(in, &st) != 0)
		return parley_fail(err, PARLEY_E_NOTFOUND, "%s: %s", in, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return parley_fail(err, PARLEY_E_USAGE, "%s: not a regular file", in);
	if ((rc = open_db(in, SQLITE_OPEN_READONLY, db, err)))
		return rc;
	if ((rc = read_meta(*db, in, rep, err)) || (rc = walk_files(*db, in, NULL, rep, err))) {
		sqlite3_close(*db);
		*db = NULL;
	}
	return rc;
}

parley_code parley_backup_inspect(const char *in, parley_backup_report *rep, parley_err *err)
{
	sqlite3 *db = NULL;
	parley_code rc = open_backup(in, &db, rep, err);
	sqlite3_close(db);
	return rc;
}

static bool dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;
	if (!d)
		return false;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

parley_code parley_backup_restore(const char *in, const char *home, parley_backup_report *rep, parley_err *err)
{
	char path[PATH_MAX_];
	sqlite3 *src = NULL, *dst = NULL;
	struct stat st;
	parley_code rc;

	if ((rc = open_backup(in, &src, rep, err)))
		return rc;
	rep->files = rep->keys = 0;
	rep->file_bytes = 0;
	if (stat(home, &st) == 0) {
		if (!S_ISDIR(st.st_mode) || !dir_empty(home)) {
			rc = parley_fail(err, PARLEY_E_USAGE,
				"%s exists and is not an empty directory: restore into a new home (a restore never mixes two homes)",
				home);
			goto out;
		}
	} else if (mkdir(home, 0700) != 0) {
		rc = parley_fail(err, PARLEY_E_IO, "%s: %s", home, strerror(errno));
		goto out;
	}
	if (chmod(home, 0700) != 0) {
		rc = parley_fail(err, PARLEY_E_IO, "%s: %s", home, strerror(errno));
		goto out;
	}
	const char *subs[] = { "charters", "psi" };
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", home, subs[i]);
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			rc = parley_fail(err, PARLEY_E_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
	}
	if ((rc = walk_files(src, in, home, rep, err)))
		goto out;
	/* the replica: the backup itself, without the backup's own tables */
	snprintf(path, sizeof(path), "%s/replica.db", home);
	if ((rc = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &dst, err)) ||
		(rc = copy_db(src, dst, in, err)) ||
		(rc = exec(dst, "DROP TABLE parley_backup_files; DROP TABLE parley_backup_meta; VACUUM;", path, err)) ||
		(rc = exec(dst, "PRAGMA journal_mode=WAL", path, err)))
		goto out;
out:
	sqlite3_close(src);
	if (dst && sqlite3_close(dst) != SQLITE_OK && !rc)
		rc = parley_fail(err, PARLEY_E_IO, "%s: cannot close", path);
	return rc;
}

/* ---- a fork by design: cutting a replica back to what both histories share ---- */

parley_code parley_replica_truncate(const char *path, const uint8_t id[32], uint64_t size, parley_err *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	sqlite3_int64 cid = -1;
	parley_code rc;
	static const char *const cut[] = {
		"DELETE FROM entries WHERE cid = ?1 AND idx >= ?2",
		/* a node (level, idx) covers leaves [idx << level, (idx + 1) << level) */
		"DELETE FROM nodes WHERE cid = ?1 AND level < 63 AND ((idx + 1) << level) > ?2",
		"DELETE FROM checkpoints WHERE cid = ?1 AND size > ?2",
		"DELETE FROM cosignatures WHERE cid = ?1 AND size > ?2",
		"UPDATE channels SET size = ?2 WHERE cid = ?1 AND size >= ?2",
	};

	if (size > (uint64_t)INT64_MAX)
		return parley_fail(err, PARLEY_E_USAGE, "size out of range");
	if ((rc = open_db(path, SQLITE_OPEN_READWRITE, &db, err)))
		return rc;
	if ((rc = exec(db, "BEGIN IMMEDIATE", path, err)))
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT cid FROM channels WHERE id = ?1", -1, &st, NULL) != SQLITE_OK) {
		rc = sqerr(db, err, "reading", path);
		goto rollback;
	}
	sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		cid = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (cid < 0) {
		rc = parley_fail(err, PARLEY_E_NOTFOUND, "%s: no such channel in the replica", path);
		goto rollback;
	}
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		if (sqlite3_prepare_v2(db, cut[i], -1, &st, NULL) != SQLITE_OK) {
			rc = sqerr(db, err, "truncating", path);
			goto rollback;
		}
		sqlite3_bind_int64(st, 1, cid);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
		int s = sqlite3_step(st);
		sqlite3_finalize(st);
		if (s != SQLITE_DONE) {
			rc = sqerr(db, err, "truncating", path);
			goto rollback;
		}
	}
	rc = exec(db, "COMMIT", path, err);
	goto out;
rollback:
	(void)exec(db, "ROLLBACK", path, NULL);
out:
	sqlite3_close(db);
	return rc;
}
