/*
 * test_crash.c - kill -9 a process appending to the store, many times, at random moments:
 * every acknowledged entry must survive, with a tree that verifies, and appends carry on.
 */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parley/store.h"

#define ITERATIONS 25

static const uint8_t chan[32] = { 0xc4, 0x45 };

static void entry_bytes(uint64_t i, uint8_t *buf, size_t *len)
{
	*len = 200 + (size_t)(i * 7919 % 1000);
	for (size_t k = 0; k < *len; k++)
		buf[k] = (uint8_t)((i >> (8 * (k % 8))) ^ k);
}

static void die(const char *what, const parley_err *err)
{
	fprintf(stderr, "FAIL: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

/* The writer: append batches until killed, reporting each acknowledged size on fd. */
static void writer(const char *path, int fd, unsigned seed)
{
	parley_store *s;
	parley_err err = { 0 };
	static uint8_t bufs[40][1200];
	parley_store_item items[40];
	uint64_t size;

	srand(seed);
	if (parley_store_open(path, &s, &err))
		die("writer open", &err);
	if (parley_store_channel_add(s, chan, (const uint8_t *)"c", 1, &err) || parley_store_size(s, chan, &size, &err))
		die("writer channel", &err);
	for (;;) {
		size_t n = 1 + (size_t)(rand() % 40);
		uint64_t first;
		char msg[32];
		for (size_t k = 0; k < n; k++) {
			entry_bytes(size + k, bufs[k], &items[k].len);
			items[k].data = bufs[k];
			items[k].integrated_ms = size + k;
		}
		if (parley_store_append(s, chan, items, n, &first, NULL, &err))
			die("writer append", &err);
		if (first != size)
			die("writer: unexpected first index", NULL);
		size += n;
		int len = snprintf(msg, sizeof(msg), "%llu\n", (unsigned long long)size);
		if (write(fd, msg, (size_t)len) != len)
			_exit(0);
	}
}

int main(void)
{
	char dir[] = "/tmp/parley-crash-XXXXXX", path[128];
	uint64_t last_size = 0;
	parley_err err = { 0 };

	if (parley_init(NULL) || !mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/store.db", dir);
	srand((unsigned)time(NULL));
	for (int it = 0; it < ITERATIONS; it++) {
		int fds[2];
		pid_t pid;
		char buf[1 << 16];
		size_t have = 0;
		ssize_t r;
		uint64_t acked = 0;

		if (pipe(fds))
			return 1;
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			close(fds[0]);
			writer(path, fds[1], (unsigned)it * 7 + 1);
			_exit(0);
		}
		close(fds[1]);
		/*
		 * Every other iteration waits for the writer's first acknowledgement (at most
		 * 10 s) before the random delay, so that a loaded machine, where 5-55 ms may
		 * pass before the first append, still kills writers in the middle of appends.
		 */
		if (it % 2) {
			struct pollfd pf = { fds[0], POLLIN, 0 };
			for (int waited = 0; waited < 10000 && !memchr(buf, '\n', have); waited += 10) {
				if (poll(&pf, 1, 10) > 0 && (r = read(fds[0], buf + have, sizeof(buf) - 1 - have)) > 0)
					have += (size_t)r;
				else if (pf.revents & (POLLHUP | POLLERR))
					break;
			}
		}
		struct timespec ts = { 0, (long)(5 + rand() % 50) * 1000000L };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		while ((r = read(fds[0], buf + have, sizeof(buf) - 1 - have)) > 0) {
			have += (size_t)r;
			if (have > sizeof(buf) - 64) { /* keep only the tail */
				memmove(buf, buf + have - 64, 64);
				have = 64;
			}
		}
		close(fds[0]);
		waitpid(pid, NULL, 0);
		buf[have] = 0;
		/* the last complete line is the last acknowledged size */
		char *end = strrchr(buf, '\n');
		if (end) {
			*end = 0;
			char *line = strrchr(buf, '\n');
			acked = strtoull(line ? line + 1 : buf, NULL, 10);
		}

		parley_store *s;
		uint64_t size;
		parley_buf b = PARLEY_BUF_INIT;
		if (parley_store_open(path, &s, &err))
			die("reopen", &err);
		if (parley_store_size(s, chan, &size, &err)) {
			if (acked == 0 && err.code == PARLEY_E_NOTFOUND) { /* killed before the channel existed */
				parley_store_close(s);
				continue;
			}
			die("size", &err);
		}
		if (size < acked || size < last_size) {
			fprintf(stderr, "FAIL: iteration %d: store has %llu entries, %llu were acknowledged (before: %llu)\n",
				it, (unsigned long long)size, (unsigned long long)acked, (unsigned long long)last_size);
			return 1;
		}
		/* what earlier iterations checked is checked again by the tree check below */
		for (uint64_t i = last_size; i < size; i++) {
			uint8_t want[1200];
			size_t len;
			uint64_t ms;
			entry_bytes(i, want, &len);
			if (parley_store_entry(s, chan, i, &b, &ms, &err))
				die("entry", &err);
			if (b.len != len || memcmp(b.data, want, len) != 0 || ms != i) {
				fprintf(stderr, "FAIL: iteration %d: entry %llu differs\n", it, (unsigned long long)i);
				return 1;
			}
		}
		if (parley_store_check(s, chan, &err))
			die("tree check", &err);
		printf("iteration %2d: killed after %llu acknowledged, %llu stored, tree verifies\n", it,
			(unsigned long long)acked, (unsigned long long)size);
		last_size = size;
		parley_buf_release(&b);
		parley_store_close(s);
	}
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	if (last_size == 0) {
		fprintf(stderr, "FAIL: no entry was ever appended\n");
		return 1;
	}
	printf("%d kills, %llu entries in the end: every acknowledged entry survived\n", ITERATIONS,
		(unsigned long long)last_size);
	return 0;
}
