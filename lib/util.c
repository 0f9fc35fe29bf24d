/* util.c - buffers, bounded reading, hex/base64, files and time. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "parley/util.h"
#include "banned.h"

parley_code parley_init(parley_err *err)
{
	if (sodium_init() < 0)
		return parley_fail(err, PARLEY_E_CRYPTO, "libsodium failed to initialise");
	return PARLEY_OK;
}

void parley_buf_init(parley_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

static size_t buf_max(const parley_buf *b)
{
	return b->max ? b->max : PARLEY_BUF_DEFAULT_MAX;
}

void parley_buf_release(parley_buf *b)
{
	if (b->data && b->secret)
		sodium_memzero(b->data, b->cap);
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void parley_buf_reset(parley_buf *b)
{
	if (b->data && b->secret)
		sodium_memzero(b->data, b->cap);
	b->len = 0;
	if (b->data)
		b->data[0] = 0;
}

parley_code parley_buf_grow(parley_buf *b, size_t n)
{
	size_t need, ncap;
	uint8_t *p;

	if (!parley_add_ok(b->len, n, &need) || need > buf_max(b))
		return PARLEY_E_LIMIT;
	if (need + 1 <= b->cap)
		return PARLEY_OK;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need + 1)
		ncap = ncap > SIZE_MAX / 2 ? need + 1 : ncap * 2;
	if (b->secret) {
		/* never leave a copy of a secret behind in freed memory */
		p = malloc(ncap);
		if (!p)
			return PARLEY_E_NOMEM;
		if (b->data) {
			memcpy(p, b->data, b->len + 1);
			sodium_memzero(b->data, b->cap);
			free(b->data);
		}
	} else {
		p = realloc(b->data, ncap);
		if (!p)
			return PARLEY_E_NOMEM;
	}
	if (!b->data)
		p[0] = 0;
	b->data = p;
	b->cap = ncap;
	return PARLEY_OK;
}

parley_code parley_buf_add(parley_buf *b, const void *p, size_t n)
{
	parley_code rc = parley_buf_grow(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return PARLEY_OK;
}

parley_code parley_buf_addstr(parley_buf *b, const char *s)
{
	return parley_buf_add(b, s, strlen(s));
}

parley_code parley_buf_addf(parley_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	parley_code rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return PARLEY_E_USAGE;
	rc = parley_buf_grow(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return PARLEY_OK;
}

parley_code parley_buf_add_u8(parley_buf *b, uint8_t v)
{
	return parley_buf_add(b, &v, 1);
}

parley_code parley_buf_add_u32(parley_buf *b, uint32_t v)
{
	uint8_t t[4];
	parley_put_u32(t, v);
	return parley_buf_add(b, t, 4);
}

parley_code parley_buf_add_u64(parley_buf *b, uint64_t v)
{
	uint8_t t[8];
	parley_put_u64(t, v);
	return parley_buf_add(b, t, 8);
}

void parley_put_u32(uint8_t out[4], uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)(v & 0xff);
}

void parley_put_u64(uint8_t out[8], uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)(v & 0xff);
}

uint32_t parley_get_u32(const uint8_t in[4])
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = (v << 8) | in[i];
	return v;
}

uint64_t parley_get_u64(const uint8_t in[8])
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | in[i];
	return v;
}

bool parley_rd_view(parley_rd *r, const uint8_t **out, size_t n)
{
	if (r->left < n)
		return false;
	*out = r->p;
	r->p += n;
	r->left -= n;
	return true;
}

bool parley_rd_bytes(parley_rd *r, void *out, size_t n)
{
	const uint8_t *p;
	if (!parley_rd_view(r, &p, n))
		return false;
	if (n)
		memcpy(out, p, n);
	return true;
}

bool parley_rd_u8(parley_rd *r, uint8_t *v)
{
	return parley_rd_bytes(r, v, 1);
}

bool parley_rd_u32(parley_rd *r, uint32_t *v)
{
	const uint8_t *p;
	if (!parley_rd_view(r, &p, 4))
		return false;
	*v = parley_get_u32(p);
	return true;
}

bool parley_rd_u64(parley_rd *r, uint64_t *v)
{
	const uint8_t *p;
	if (!parley_rd_view(r, &p, 8))
		return false;
	*v = parley_get_u64(p);
	return true;
}

void parley_hex(char *out, const uint8_t *in, size_t n)
{
	sodium_bin2hex(out, 2 * n + 1, in, n);
}

parley_code parley_unhex(uint8_t *out, size_t n, const char *hex, size_t hexlen)
{
	size_t got = 0;
	const char *end = NULL;

	if (hexlen != 2 * n)
		return PARLEY_E_FORMAT;
	if (sodium_hex2bin(out, n, hex, hexlen, NULL, &got, &end) != 0 || got != n ||
		end != hex + hexlen)
		return PARLEY_E_FORMAT;
	return PARLEY_OK;
}

size_t parley_b64_len(size_t n)
{
	return sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
}

void parley_b64(char *out, const uint8_t *in, size_t n)
{
	sodium_bin2base64(out, parley_b64_len(n), in, n, sodium_base64_VARIANT_ORIGINAL);
}

parley_code parley_unb64(uint8_t *out, size_t max, size_t *outlen, const char *b64, size_t len)
{
	size_t got = 0;
	const char *end = NULL;
	char *again;
	parley_code rc = PARLEY_OK;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 > max + 2)
		return PARLEY_E_FORMAT;
	if (sodium_base642bin(out, max, b64, len, NULL, &got, &end,
		    sodium_base64_VARIANT_ORIGINAL) != 0 || end != b64 + len)
		return PARLEY_E_FORMAT;
	/* canonical: encoding the result again gives the same text */
	again = malloc(parley_b64_len(got));
	if (!again)
		return PARLEY_E_NOMEM;
	parley_b64(again, out, got);
	if (strlen(again) != len || memcmp(again, b64, len) != 0)
		rc = PARLEY_E_FORMAT;
	free(again);
	if (rc == PARLEY_OK)
		*outlen = got;
	return rc;
}

/* Read fd to its end into b (at most max bytes), naming path in errors. */
static parley_code read_fd(int fd, const char *path, size_t max, parley_buf *b, parley_err *err)
{
	parley_code rc = PARLEY_OK;

	parley_buf_reset(b);
	b->max = max < SIZE_MAX - 1 ? max + 1 : max; /* room to notice one byte too many */
	while (b->len <= max) {
		size_t want = b->max - b->len < 65536 ? b->max - b->len : 65536;
		ssize_t n;

		if (parley_buf_grow(b, want) != PARLEY_OK) {
			rc = parley_fail(err, PARLEY_E_NOMEM, "%s: out of memory", path);
			break;
		}
		n = read(fd, b->data + b->len, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = parley_fail(err, PARLEY_E_IO, "%s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->data[b->len] = 0;
	}
	if (!rc && b->len > max)
		rc = parley_fail(err, PARLEY_E_LIMIT, "%s: larger than %zu bytes", path, max);
	return rc;
}

parley_code parley_file_read(const char *path, size_t max, parley_buf *b, parley_err *err)
{
	int fd;
	bool is_stdin = strcmp(path, "-") == 0;
	parley_code rc;

	parley_buf_reset(b);
	fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return parley_fail(err, PARLEY_E_NOTFOUND, "%s: no such file", path);
		return parley_fail(err, PARLEY_E_IO, "%s: %s", path, strerror(errno));
	}
	rc = read_fd(fd, path, max, b, err);
	if (!is_stdin)
		close(fd);
	return rc;
}

parley_code parley_file_read_private(const char *path, size_t max, parley_buf *b, parley_err *err)
{
	struct stat st;
	parley_code rc;
	int fd, fl;

	parley_buf_reset(b);
	/* no link to follow, and no open that waits for a FIFO's writer: the type is checked first */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return parley_fail(err, PARLEY_E_NOTFOUND, "%s: no such file", path);
		if (errno == ELOOP)
			return parley_fail(err, PARLEY_E_PERM,
				"%s: is a symbolic link; name the secret key file itself", path);
		return parley_fail(err, PARLEY_E_IO, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		rc = parley_fail(err, PARLEY_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = parley_fail(err, PARLEY_E_FORMAT, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & 0077) {
		rc = parley_fail(err, PARLEY_E_PERM,
			"%s: secret key file is accessible by other users (mode %04o); run: chmod 600 %s",
			path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		rc = parley_fail(err, PARLEY_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = read_fd(fd, path, max, b, err);
out:
	close(fd);
	return rc;
}

parley_code parley_dir_check_private(const char *path, const char *what, parley_err *err)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return parley_fail(err, PARLEY_E_NOTFOUND, "%s: no such directory", path);
		return parley_fail(err, PARLEY_E_IO, "%s: %s", path, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return parley_fail(err, PARLEY_E_USAGE, "%s: not a directory", path);
	if (st.st_uid != geteuid())
		return parley_fail(err, PARLEY_E_PERM,
			"%s: %s is owned by another user (uid %u, you are uid %u), who could alter or delete it; "
			"use a directory of your own (mkdir -m 700 DIR)",
			path, what, (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & 0022)
		return parley_fail(err, PARLEY_E_PERM,
			"%s: %s is writable by other users (mode %04o), who could delete or replace what it holds; run: chmod 700 %s",
			path, what, (unsigned)(st.st_mode & 07777), path);
	return PARLEY_OK;
}

parley_code parley_file_write(const char *path, const void *data, size_t n, unsigned mode,
	bool exclusive, parley_err *err)
{
	char tmp[4096];
	int fd, r;
	const uint8_t *p = data;
	size_t left = n;

	if (exclusive && access(path, F_OK) == 0)
		return parley_fail(err, PARLEY_E_IO, "%s: already exists, not overwriting", path);
	r = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (r < 0 || (size_t)r >= sizeof(tmp))
		return parley_fail(err, PARLEY_E_USAGE, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		return parley_fail(err, PARLEY_E_IO, "%s: %s", tmp, strerror(errno));
	/* the umask must not widen or narrow what we asked for */
	if (fchmod(fd, (mode_t)mode) != 0)
		goto fail;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (exclusive) {
		/* link fails if the name appeared meanwhile: never clobber */
		if (link(tmp, path) != 0)
			goto fail;
		unlink(tmp);
	} else if (rename(tmp, path) != 0) {
		goto fail;
	}
	return PARLEY_OK;
fail: {
	int e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return parley_fail(err, PARLEY_E_IO, "%s: %s", path, strerror(e));
}
}

uint64_t parley_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm) */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void parley_time_fmt(char out[21], int64_t secs)
{
	struct tm tm;
	time_t t = (time_t)secs;
	if (!gmtime_r(&t, &tm) || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 21, "%s", "invalid-time");
}

static bool digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

parley_code parley_time_parse(const char *s, int64_t *secs)
{
	int y, mo, d, h, mi, se;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
		s[16] != ':' || s[19] != 'Z')
		return PARLEY_E_FORMAT;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
		!digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
		return PARLEY_E_FORMAT;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
		se > 59)
		return PARLEY_E_FORMAT;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return PARLEY_E_FORMAT;
	*secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return PARLEY_OK;
}

static parley_progress_fn progress_fn;

void parley_set_progress(parley_progress_fn fn)
{
	progress_fn = fn;
}

void parley_progress(const char *what, uint64_t done, uint64_t total)
{
	if (progress_fn)
		progress_fn(what, done, total);
}
