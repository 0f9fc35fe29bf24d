/* cli.c - helpers shared by the parley subcommands. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "parley/util.h"
#include "banned.h"

#define PASS_MAX 1024

int cli_fail(const parley_err *e)
{
	fprintf(stderr, "parley: %s\n", e->msg[0] ? e->msg : parley_strerror(e->code));
	return EXIT_FAIL;
}

int cli_failf(const char *fmt, ...)
{
	va_list ap;
	fputs("parley: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "parley %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntry 'parley %s --help'\n", cmd);
	return EXIT_USAGE;
}

int cli_help(const char *text)
{
	fputs(text, stdout);
	return EXIT_OK;
}

/* Read one line from the terminal with echo off. */
static bool read_tty(const char *prompt, char *buf, size_t max)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	bool ok = false;
	size_t n = 0;

	if (fd < 0)
		return false;
	if (tcgetattr(fd, &old) != 0) {
		close(fd);
		return false;
	}
	quiet = old;
	quiet.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0 || tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
		close(fd);
		return false;
	}
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (c == '\n' || c == '\r') {
			ok = true;
			break;
		}
		if (n + 1 < max)
			buf[n++] = c;
	}
	buf[n] = 0;
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		ok = false;
	close(fd);
	return ok;
}

char *cli_passphrase(const char *prompt, bool confirm)
{
	const char *env = getenv("PARLEY_PASSPHRASE");
	char *p = sodium_malloc(PASS_MAX), *again;

	if (!p) {
		cli_failf("out of memory");
		return NULL;
	}
	if (env) {
		if (strlen(env) >= PASS_MAX || env[0] == 0) {
			sodium_free(p);
			cli_failf("PARLEY_PASSPHRASE must be 1 to %d bytes", PASS_MAX - 1);
			return NULL;
		}
		memcpy(p, env, strlen(env) + 1);
		return p;
	}
	if (!read_tty(prompt, p, PASS_MAX)) {
		sodium_free(p);
		cli_failf("no passphrase: set PARLEY_PASSPHRASE or run on a terminal");
		return NULL;
	}
	if (p[0] == 0) {
		sodium_free(p);
		cli_failf("empty passphrase");
		return NULL;
	}
	if (confirm) {
		again = sodium_malloc(PASS_MAX);
		if (!again || !read_tty("repeat passphrase: ", again, PASS_MAX) ||
			sodium_memcmp(p, again, PASS_MAX) != 0) {
			if (again)
				sodium_free(again);
			sodium_free(p);
			cli_failf("the passphrases do not match");
			return NULL;
		}
		sodium_free(again);
	}
	return p;
}

void cli_passphrase_free(char *p)
{
	if (p)
		sodium_free(p);
}

int cli_load_seckey(const char *path, parley_seckey **out)
{
	parley_err err = { 0 };
	parley_buf b = PARLEY_BUF_INIT;
	char *pass = NULL;
	parley_code rc;
	bool encrypted;

	/* peek to learn whether a passphrase is needed (the load re-reads and checks modes) */
	b.secret = 1;
	if ((rc = parley_file_read_private(path, PARLEY_KEYFILE_MAX, &b, &err))) {
		parley_buf_release(&b);
		return cli_fail(&err);
	}
	encrypted = parley_seckey_is_encrypted(b.data, b.len);
	parley_buf_release(&b);
	if (encrypted) {
		char prompt[512];
		snprintf(prompt, sizeof(prompt), "passphrase for %s: ", path);
		if (!(pass = cli_passphrase(prompt, false)))
			return EXIT_FAIL;
	}
	rc = parley_seckey_load(path, pass, pass ? strlen(pass) : 0, out, &err);
	cli_passphrase_free(pass);
	return rc ? cli_fail(&err) : EXIT_OK;
}

int cli_load_pubkey(const char *path, parley_pubkey *out)
{
	parley_err err = { 0 };
	parley_buf b = PARLEY_BUF_INIT;
	parley_code rc;

	if ((rc = parley_file_read(path, PARLEY_KEYFILE_MAX, &b, &err))) {
		parley_buf_release(&b);
		return cli_fail(&err);
	}
	rc = parley_pubkey_decode((const char *)b.data, b.len, out, &err);
	parley_buf_release(&b);
	if (rc) {
		parley_wrap(&err, rc, "%s", path);
		return cli_fail(&err);
	}
	return EXIT_OK;
}

int cli_load_charter(const char *path, parley_charter **out)
{
	parley_err err = { 0 };
	if (parley_charter_load(path, out, &err))
		return cli_fail(&err);
	return EXIT_OK;
}

bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = (uint64_t)v;
	return true;
}

bool cli_write_stdout(const void *p, size_t n)
{
	return fwrite(p, 1, n, stdout) == n && fflush(stdout) == 0;
}

void cli_time(char out[CLI_TIME_MAX], int64_t secs)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (cli_local && localtime_r(&t, &tm)) {
		char z[8];
		size_t n = strftime(out, CLI_TIME_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
		/* +hh:mm as ISO 8601 writes it (strftime's %z gives +hhmm) */
		if (n && strftime(z, sizeof(z), "%z", &tm) == 5)
			snprintf(out + n, CLI_TIME_MAX - n, "%.3s:%.2s", z, z + 3);
		return;
	}
	parley_time_fmt(out, secs);
}

const char *cli_sgr(const char *code)
{
	static char buf[4][16];
	static unsigned next;
	char *b;
	if (!cli_color)
		return "";
	b = buf[next++ % 4];
	snprintf(b, sizeof(buf[0]), "\033[%.8sm", code);
	return b;
}

const char *cli_state_sgr(const char *state)
{
	static const struct {
		const char *name, *sgr;
	} map[] = {
		{ "overdue", "1;31" }, { "missed", "1;31" }, { "missed-unconfirmed", "31" }, { "escalated", "35" },
		{ "open", "33" }, { "late", "33" }, { "acknowledged", "36" }, { "answered", "32" }, { "met", "32" },
		{ "closed", "2" }, { "not-established", "2" }, { "not-applicable", "2" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].name, state) == 0)
			return cli_sgr(map[i].sgr);
	return "";
}

static void show_progress(const char *what, uint64_t done, uint64_t total)
{
	static char cur[32];
	static uint64_t start, last;
	uint64_t now = parley_now_ms();
	char eta[24] = "";

	if (strncmp(cur, what, sizeof(cur) - 1) != 0 || done < 1) { /* a new piece of work */
		snprintf(cur, sizeof(cur), "%s", what);
		start = now;
		last = 0;
	}
	if (done < total && last && now - last < 200) /* at most five lines a second */
		return;
	last = now;
	if (done >= total) { /* erased: what the command prints next takes the line */
		fputs("\r\033[K", stderr);
		cur[0] = 0;
		return;
	}
	double secs = (double)(now - start) / 1000.0, rate = secs > 0.05 ? (double)done / secs : 0;
	if (rate > 0) {
		double left = (double)(total - done) / rate;
		if (left >= 3600)
			snprintf(eta, sizeof(eta), ", ETA %.0fh %.0fm", left / 3600, (double)((uint64_t)left % 3600 / 60));
		else if (left >= 60)
			snprintf(eta, sizeof(eta), ", ETA %.0fm %.0fs", (double)((uint64_t)left / 60), (double)((uint64_t)left % 60));
		else
			snprintf(eta, sizeof(eta), ", ETA %.0f s", left);
	}
	fprintf(stderr, "\r\033[K%s: %llu/%llu (%llu%%), %.0f/s%s", what, (unsigned long long)done,
		(unsigned long long)total, (unsigned long long)(total ? done * 100 / total : 0), rate, eta);
	fflush(stderr);
}

void cli_progress_init(void)
{
	if (!cli_quiet && isatty(STDERR_FILENO))
		parley_set_progress(show_progress);
}

int cli_listener_init(cli_listener *l, const char *cmd, const char *opt, const char *listen, const char *cert,
	const char *key)
{
	char spec[PARLEY_LISTEN_HOST_MAX + 16];
	parley_err err = { 0 };

	memset(l, 0, sizeof(*l));
	/* ":PORT" is the loopback address, as before */
	if (!listen || (size_t)snprintf(spec, sizeof(spec), "%s%s", listen[0] == ':' && listen[1] != ':' ? "127.0.0.1" : "", listen) >=
			       sizeof(spec))
		return cli_usage_error(cmd, "%s takes HOST:PORT, e.g. 127.0.0.1:8443", opt);
	if (parley_listen_parse(spec, l->host, &l->port, &err))
		return cli_usage_error(cmd, "%s %s: %s", opt, listen, err.msg);
	if (strcmp(l->host, "localhost") == 0)
		snprintf(l->host, sizeof(l->host), "127.0.0.1");
	if (!cert != !key)
		return cli_usage_error(cmd, "--tls-cert and --tls-key go together");
	if (cert) {
		l->key.secret = 1;
		if (parley_file_read(cert, 1 << 20, &l->cert, &err) || parley_file_read(key, 1 << 20, &l->key, &err)) {
			cli_listener_release(l);
			return cli_fail(&err);
		}
	}
	return EXIT_OK;
}

void cli_listener_release(cli_listener *l)
{
	parley_buf_release(&l->cert);
	parley_buf_release(&l->key);
}

int cli_port_file(const char *path, unsigned port)
{
	char p[16];
	parley_err err = { 0 };
	int n = snprintf(p, sizeof(p), "%u\n", port);
	if (parley_file_write(path, p, (size_t)n, 0644, false, &err))
		return cli_fail(&err);
	return EXIT_OK;
}
