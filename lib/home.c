/* home.c - a node's home: its files (node.json, charters/ID.*), its lock, and checks that it is ours alone. */
#define _GNU_SOURCE /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "parley/charter.h"
#include "parley/home.h"
#include "parley/jcs.h"
#include "node_internal.h"
#include "banned.h"

parley_code parley_home_path(char *out, size_t max, const char *home, const char *rel, parley_err *err)
{
	if ((size_t)snprintf(out, max, "%s/%s", home, rel) >= max)
		return parley_fail(err, PARLEY_E_USAGE, "%s: path too long", home);
	return PARLEY_OK;
}

parley_code parley_home_channel_file(char *out, size_t max, const char *home, const char *hex, const char *ext,
	parley_err *err)
{
	char rel[160];
	snprintf(rel, sizeof(rel), "charters/%.64s.%.16s", hex, ext);
	return parley_home_path(out, max, home, rel, err);
}

parley_code parley_home_check(const char *home, parley_err *err)
{
	static const char *const subdirs[] = { "charters", "psi" };
	char path[1100];
	parley_code rc;

	if ((rc = parley_dir_check_private(home, "the node's home", err)))
		return rc == PARLEY_E_NOTFOUND ? parley_fail(err, rc,
			"%s is not a parley node home (no such directory); run 'parley join' first", home) : rc;
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if ((rc = parley_home_path(path, sizeof(path), home, subdirs[i], err)))
			return rc;
		rc = parley_dir_check_private(path, "a directory of the node's home", err);
		if (rc && rc != PARLEY_E_NOTFOUND)
			return rc;
	}
	return PARLEY_OK;
}

/* ---- node.json ---- */

parley_code home_config_load(const char *home, json_t **out, parley_err *err)
{
	char path[1100];
	parley_buf b = PARLEY_BUF_INIT;
	parley_code rc;

	*out = NULL;
	if ((rc = parley_home_check(home, err)))
		return rc;
	if ((rc = parley_home_path(path, sizeof(path), home, "node.json", err)))
		return rc;
	if ((rc = parley_file_read(path, 1 << 20, &b, err))) {
		if (rc == PARLEY_E_NOTFOUND)
			parley_fail(err, rc, "%s is not a parley node home (no node.json); run 'parley join' first", home);
		return rc;
	}
	rc = parley_json_parse((const char *)b.data, b.len, 1 << 20, out, err);
	parley_buf_release(&b);
	if (rc)
		return parley_wrap(err, rc, "%s", path);
	if (!json_is_string(json_object_get(*out, "name")) || !json_is_string(json_object_get(*out, "key")) ||
		!json_is_array(json_object_get(*out, "channels"))) {
		json_decref(*out);
		*out = NULL;
		return parley_fail(err, PARLEY_E_FORMAT, "%s: not a valid node configuration", path);
	}
	return PARLEY_OK;
}

parley_code home_config_save(const char *home, json_t *cfg, parley_err *err)
{
	char path[1100], *s;
	parley_code rc;

	if ((rc = parley_home_path(path, sizeof(path), home, "node.json", err)))
		return rc;
	if (!(s = json_dumps(cfg, JSON_INDENT(2) | JSON_PRESERVE_ORDER)))
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	size_t n = strlen(s);
	s[n] = '\n';
	rc = parley_file_write(path, s, n + 1, 0600, false, err);
	free(s);
	return rc;
}

parley_code parley_node_identity(const char *home, char name[PARLEY_NAME_MAX + 1], char *keypath, size_t keypath_max,
	parley_err *err)
{
	json_t *cfg;
	parley_code rc;

	if ((rc = home_config_load(home, &cfg, err)))
		return rc;
	snprintf(name, PARLEY_NAME_MAX + 1, "%s", json_string_value(json_object_get(cfg, "name")));
	rc = parley_home_path(keypath, keypath_max, home, json_string_value(json_object_get(cfg, "key")), err);
	json_decref(cfg);
	return rc;
}

parley_code parley_node_psi_policy(const char *home, const char *set_path, parley_err *err)
{
	json_t *cfg;
	parley_code rc;
	char abs[4096];

	if ((rc = home_config_load(home, &cfg, err)))
		return rc;
	if (set_path) {
		if (!realpath(set_path, abs)) {
			json_decref(cfg);
			return parley_fail(err, PARLEY_E_NOTFOUND, "%s: %s", set_path, strerror(errno));
		}
		json_object_set_new(cfg, "psi_respond_with", json_string(abs));
	} else {
		json_object_del(cfg, "psi_respond_with");
	}
	rc = home_config_save(home, cfg, err);
	json_decref(cfg);
	return rc;
}


/* ---- the channels joined ---- */

void parley_home_channels_free(parley_home_channel *v, size_t n)
{
	for (size_t i = 0; i < n && v; i++)
		parley_charter_free(v[i].charter);
	free(v);
}

parley_code parley_home_channels(const char *home, parley_home_channel **out, size_t *nout, parley_err *err)
{
	json_t *cfg = NULL, *v, *chans;
	parley_home_channel *list = NULL;
	char path[1200];
	size_t i, n = 0;
	parley_code rc;

	*out = NULL;
	*nout = 0;
	if ((rc = home_config_load(home, &cfg, err)))
		return rc;
	chans = json_object_get(cfg, "channels");
	if (json_array_size(chans) > PARLEY_HOME_MAX_CHANNELS) {
		rc = parley_fail(err, PARLEY_E_LIMIT, "%s/node.json: more than %d channels", home, PARLEY_HOME_MAX_CHANNELS);
		goto out;
	}
	if (!(list = calloc(json_array_size(chans) ? json_array_size(chans) : 1, sizeof(*list)))) {
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
		goto out;
	}
	json_array_foreach(chans, i, v) {
		parley_home_channel *c = &list[n];
		const char *hex = json_string_value(json_object_get(v, "id"));
		const char *relay = json_string_value(json_object_get(v, "relay"));
		const char *ca = json_string_value(json_object_get(v, "ca"));
		if (!hex || !relay || strlen(hex) != 64 || parley_unhex(c->id, 32, hex, 64) ||
			strlen(relay) >= sizeof(c->relay)) {
			rc = parley_fail(err, PARLEY_E_FORMAT, "%s/node.json: bad channel entry", home);
			goto out;
		}
		snprintf(c->hex, sizeof(c->hex), "%s", hex);
		snprintf(c->relay, sizeof(c->relay), "%s", relay);
		if (ca && (rc = parley_home_path(c->ca, sizeof(c->ca), home, ca, err)))
			goto out;
		if ((rc = parley_home_channel_file(path, sizeof(path), home, hex, "json", err)) ||
			(rc = parley_charter_load(path, &c->charter, err)))
			goto out;
		n++;
		{
			parley_buf hb = PARLEY_BUF_INIT;
			char hpath[1200];
			if (parley_home_channel_file(hpath, sizeof(hpath), home, hex, "halted", NULL) == PARLEY_OK &&
				parley_file_read(hpath, sizeof(c->halted) - 1, &hb, NULL) == PARLEY_OK)
				snprintf(c->halted, sizeof(c->halted), "%s", (const char *)hb.data);
			parley_buf_release(&hb);
		}
		if (memcmp(parley_charter_id(c->charter), c->id, 32) != 0) {
			rc = parley_fail(err, PARLEY_E_VERIFY, "%s: the charter file was changed", path);
			goto out;
		}
	}
	*out = list;
	*nout = n;
	list = NULL;
out:
	parley_home_channels_free(list, n);
	json_decref(cfg);
	return rc;
}

/* ---- the lock ---- */

/* Write pid into the locked file, replacing what a previous holder left. */
static parley_code lock_write_pid(int fd, pid_t pid, parley_err *err)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%ld\n", (long)pid);
	if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)n, 0) != (ssize_t)n)
		return parley_fail(err, PARLEY_E_IO, "home lock: %s", strerror(errno));
	return PARLEY_OK;
}

parley_code parley_home_lock(const char *home, parley_lock *lk, parley_err *err)
{
	char path[1100], text[32];
	parley_code rc;
	int fd;

	lk->fd = -1;
	if ((rc = parley_home_path(path, sizeof(path), home, "lock", err)))
		return rc;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return parley_fail(err, errno == ENOENT ? PARLEY_E_NOTFOUND : PARLEY_E_IO, "%s: %s", path, strerror(errno));
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			rc = parley_fail(err, PARLEY_E_IO, "%s: %s", path, strerror(errno));
			close(fd);
			return rc;
		}
		/* the holder writes its PID right after locking: a moment later it is there */
		ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
		long pid = 0;
		if (n > 0) {
			text[n] = 0;
			pid = strtol(text, NULL, 10);
		}
		close(fd);
		if (pid > 0)
			return parley_fail(err, PARLEY_E_BUSY, "home %s is in use by process %ld", home, pid);
		return parley_fail(err, PARLEY_E_BUSY, "home %s is in use by another process", home);
	}
	if ((rc = lock_write_pid(fd, getpid(), err))) {
		close(fd);
		return rc;
	}
	lk->fd = fd;
	return PARLEY_OK;
}

parley_code parley_home_lock_pass(parley_lock *lk, pid_t pid, bool keep_on_exec, parley_err *err)
{
	int fl;
	if (lk->fd < 0)
		return parley_fail(err, PARLEY_E_USAGE, "home lock: not held");
	if ((fl = fcntl(lk->fd, F_GETFD)) < 0 ||
		fcntl(lk->fd, F_SETFD, keep_on_exec ? fl & ~FD_CLOEXEC : fl | FD_CLOEXEC) != 0)
		return parley_fail(err, PARLEY_E_IO, "home lock: %s", strerror(errno));
	return lock_write_pid(lk->fd, pid, err);
}

void parley_home_unlock(parley_lock *lk)
{
	if (lk->fd < 0)
		return;
	close(lk->fd); /* the file stays: removing it would race the next locker's open */
	lk->fd = -1;
}
