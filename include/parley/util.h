/* util.h - bounded byte buffers, a bounds-checked reader, encodings, files. */
#ifndef PARLEY_UTIL_H
#define PARLEY_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "parley/err.h"

/* Initialise libsodium once. Safe to call many times. */
parley_code parley_init(parley_err *err) PARLEY_WUR;

/*
 * A growable byte buffer with a hard cap. data is always NUL-terminated
 * (one spare byte beyond len), so text can be used as a C string.
 * Zero-initialise (PARLEY_BUF_INIT) or call parley_buf_init.
 */
typedef struct parley_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max; /* appends that would exceed max fail with PARLEY_E_LIMIT; 0 = 64 MiB */
	int secret; /* when set, the storage is wiped before it is freed or moved */
} parley_buf;

#define PARLEY_BUF_INIT { NULL, 0, 0, 0, 0 }
#define PARLEY_BUF_DEFAULT_MAX ((size_t)64 << 20)

void parley_buf_init(parley_buf *b, size_t max);
/* Frees the storage (wiping it first if b->secret) and resets b to empty. */
void parley_buf_release(parley_buf *b);
/* Sets len to 0 and keeps the storage. */
void parley_buf_reset(parley_buf *b);
/* Make room for n more bytes. PARLEY_E_LIMIT past max, PARLEY_E_NOMEM. */
parley_code parley_buf_grow(parley_buf *b, size_t n) PARLEY_WUR;
parley_code parley_buf_add(parley_buf *b, const void *p, size_t n) PARLEY_WUR;
parley_code parley_buf_addstr(parley_buf *b, const char *s) PARLEY_WUR;
parley_code parley_buf_addf(parley_buf *b, const char *fmt, ...) PARLEY_PRINTF(2, 3) PARLEY_WUR;
parley_code parley_buf_add_u8(parley_buf *b, uint8_t v) PARLEY_WUR;
parley_code parley_buf_add_u32(parley_buf *b, uint32_t v) PARLEY_WUR; /* big-endian */
parley_code parley_buf_add_u64(parley_buf *b, uint64_t v) PARLEY_WUR; /* big-endian */

/*
 * A reader over a byte string that never reads past its end. Each get
 * returns false (and consumes nothing) when fewer bytes remain than asked.
 */
typedef struct parley_rd {
	const uint8_t *p;
	size_t left;
} parley_rd;

static inline void parley_rd_init(parley_rd *r, const void *p, size_t n)
{
	r->p = (const uint8_t *)p;
	r->left = n;
}
bool parley_rd_u8(parley_rd *r, uint8_t *v);
bool parley_rd_u32(parley_rd *r, uint32_t *v);
bool parley_rd_u64(parley_rd *r, uint64_t *v);
bool parley_rd_bytes(parley_rd *r, void *out, size_t n);
/* Points *out at the next n bytes without copying. */
bool parley_rd_view(parley_rd *r, const uint8_t **out, size_t n);

void parley_put_u32(uint8_t out[4], uint32_t v);
void parley_put_u64(uint8_t out[8], uint64_t v);
uint32_t parley_get_u32(const uint8_t in[4]);
uint64_t parley_get_u64(const uint8_t in[8]);

/* Lower-case hex. out must hold 2*n+1 bytes. */
void parley_hex(char *out, const uint8_t *in, size_t n);
/* Exactly 2*n hex digits (either case) into n bytes; PARLEY_E_FORMAT otherwise. */
parley_code parley_unhex(uint8_t *out, size_t n, const char *hex, size_t hexlen) PARLEY_WUR;

/* Standard base64 with padding. out must hold parley_b64_len(n) bytes. */
size_t parley_b64_len(size_t n);
void parley_b64(char *out, const uint8_t *in, size_t n);
/*
 * Decode canonical standard base64 (padding required, no whitespace, unused
 * bits zero) into at most max bytes; *outlen gets the length.
 */
parley_code parley_unb64(uint8_t *out, size_t max, size_t *outlen, const char *b64,
	size_t len) PARLEY_WUR;

/* Checked arithmetic: false on overflow. */
static inline bool parley_add_ok(size_t a, size_t b, size_t *r)
{
	if (a > SIZE_MAX - b)
		return false;
	*r = a + b;
	return true;
}

/*
 * Read a whole file of at most max bytes into b (replacing its contents).
 * PARLEY_E_LIMIT when larger, PARLEY_E_IO / PARLEY_E_NOTFOUND otherwise.
 * path "-" reads standard input.
 */
parley_code parley_file_read(const char *path, size_t max, parley_buf *b, parley_err *err) PARLEY_WUR;

/*
 * Read a secret file (a key): opened without following a symbolic link and
 * without waiting (a FIFO or device is refused at once), then checked on the
 * open descriptor to be a regular file that no other user can access
 * (PARLEY_E_PERM naming `chmod 600`). Otherwise as parley_file_read.
 */
parley_code parley_file_read_private(const char *path, size_t max, parley_buf *b, parley_err *err) PARLEY_WUR;

/*
 * Check a directory that holds keys, state or evidence (a node's home and
 * its subdirectories): it must be owned by the effective user and not
 * writable by group or others. PARLEY_E_PERM naming the fix (`chmod 700`);
 * PARLEY_E_NOTFOUND when missing. `what` names it in the message ("home").
 */
parley_code parley_dir_check_private(const char *path, const char *what, parley_err *err) PARLEY_WUR;

/*
 * Write a file atomically: a temporary file in the same directory, fsync,
 * rename. mode is applied at creation (0600 for secrets). When exclusive is
 * set, an existing file is not replaced (PARLEY_E_IO naming it).
 */
parley_code parley_file_write(const char *path, const void *data, size_t n, unsigned mode,
	bool exclusive, parley_err *err) PARLEY_WUR;

/* Current time in milliseconds since the Unix epoch. */
uint64_t parley_now_ms(void);

/*
 * Progress of long work (a full verify, a first sync, PSI over a large set):
 * the library calls parley_progress(what, done, total) from the calling thread
 * as it goes, done == total last; the program decides whether to show it
 * (the library never prints). fn NULL: nobody listens (the default).
 */
typedef void (*parley_progress_fn)(const char *what, uint64_t done, uint64_t total);
void parley_set_progress(parley_progress_fn fn);
void parley_progress(const char *what, uint64_t done, uint64_t total);

/* Format seconds since the epoch as RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL). */
void parley_time_fmt(char out[21], int64_t secs);
/* Parse exactly "YYYY-MM-DDTHH:MM:SSZ"; PARLEY_E_FORMAT otherwise. */
parley_code parley_time_parse(const char *s, int64_t *secs) PARLEY_WUR;

#endif
