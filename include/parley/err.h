/* err.h - error codes and the error record that library calls fill in. */
#ifndef PARLEY_ERR_H
#define PARLEY_ERR_H

#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define PARLEY_WUR __attribute__((warn_unused_result))
#define PARLEY_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PARLEY_NORETURN __attribute__((noreturn))
#else
#define PARLEY_WUR
#define PARLEY_PRINTF(f, a)
#define PARLEY_NORETURN
#endif

/*
 * Every fallible library call returns a parley_code. PARLEY_OK is 0, so
 * `if (rc)` reads as "if it failed". Codes say which kind of failure it was;
 * the message in a parley_err says exactly what and where.
 */
typedef enum parley_code {
	PARLEY_OK = 0,
	PARLEY_E_NOMEM,      /* an allocation failed */
	PARLEY_E_USAGE,      /* the caller passed an invalid argument */
	PARLEY_E_FORMAT,     /* input is malformed: it does not parse */
	PARLEY_E_LIMIT,      /* input exceeds a size or count limit */
	PARLEY_E_VERIFY,     /* a signature, hash, proof or rule does not verify */
	PARLEY_E_DECRYPT,    /* not addressed to this key, or authentication failed */
	PARLEY_E_PASSPHRASE, /* passphrase missing or wrong */
	PARLEY_E_PERM,       /* a secret file has unsafe permissions */
	PARLEY_E_IO,         /* an operating-system or file error */
	PARLEY_E_NOTFOUND,   /* the named thing does not exist */
	PARLEY_E_CRYPTO,     /* the crypto library failed to initialise */
	PARLEY_E_BUSY,       /* another process holds what this needs (a home's lock) */
	PARLEY_E_PENDING     /* not yet: what was asked for is still pending (try again later) */
} parley_code;

/*
 * An error record owned by the caller. Library calls that take a
 * `parley_err *err` fill it on failure (err may be NULL when the caller only
 * wants the code). Messages are lower case, without a trailing full stop,
 * and name the thing and the reason. They never contain secret material.
 */
typedef struct parley_err {
	parley_code code;
	char msg[512];
} parley_err;

/* A short constant name for a code ("malformed input", ...). Never NULL. */
const char *parley_strerror(parley_code code);

/*
 * Record a failure: sets err->code and formats err->msg (when err is not
 * NULL) and returns code, so callers write `return parley_fail(err, ...)`.
 */
parley_code parley_fail(parley_err *err, parley_code code, const char *fmt, ...)
	PARLEY_PRINTF(3, 4);

/*
 * Prefix an existing message: "ctx: old message". Returns err->code (or
 * `code` when err is NULL). Used to add context as an error travels up.
 */
parley_code parley_wrap(parley_err *err, parley_code code, const char *fmt, ...)
	PARLEY_PRINTF(3, 4);

/* A bug in parley itself: print file, line and message and abort. */
PARLEY_NORETURN void parley_bug(const char *file, int line, const char *msg);
#define PARLEY_BUG(msg) parley_bug(__FILE__, __LINE__, (msg))

#endif
