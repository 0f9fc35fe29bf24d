/* err.c - error codes, messages and the bug trap. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/err.h"
#include "banned.h"

const char *parley_strerror(parley_code code)
{
	switch (code) {
	case PARLEY_OK: return "success";
	case PARLEY_E_NOMEM: return "out of memory";
	case PARLEY_E_USAGE: return "invalid argument";
	case PARLEY_E_FORMAT: return "malformed input";
	case PARLEY_E_LIMIT: return "limit exceeded";
	case PARLEY_E_VERIFY: return "verification failed";
	case PARLEY_E_DECRYPT: return "cannot decrypt";
	case PARLEY_E_PASSPHRASE: return "wrong or missing passphrase";
	case PARLEY_E_PERM: return "unsafe file permissions";
	case PARLEY_E_IO: return "input/output error";
	case PARLEY_E_NOTFOUND: return "not found";
	case PARLEY_E_CRYPTO: return "crypto library failure";
	case PARLEY_E_BUSY: return "in use by another process";
	case PARLEY_E_PENDING: return "not yet";
	}
	return "unknown error";
}

parley_code parley_fail(parley_err *err, parley_code code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

parley_code parley_wrap(parley_err *err, parley_code code, const char *fmt, ...)
{
	char prefix[256], old[sizeof(err->msg)];
	va_list ap;

	if (!err)
		return code;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	return err->code;
}

void parley_bug(const char *file, int line, const char *msg)
{
	fprintf(stderr, "BUG: %s:%d: %s\n", file, line, msg);
	abort();
}
