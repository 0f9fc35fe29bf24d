/*
 * bench_psi.c - PSI of n x n indicators (sizes from PARLEY_BENCH_PSI_SIZES, default
 * 10000,100000,1000000): wall time, bytes exchanged and peak memory, beside what the group
 * operations alone cost on this machine (per element pair: 4 scalar multiplications and
 * 2 hash-to-group), measured in the same run with both cores busy.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <sodium.h>

#include "bench.h"
#include "parley/psi.h"

struct spin {
	int what; /* 0 scalar multiplication, 1 hash to group */
	double seconds;
	unsigned long n;
};

static void *spin_main(void *arg)
{
	struct spin *s = arg;
	uint8_t k[32], p[32], q[32], in[16];
	crypto_core_ristretto255_scalar_random(k);
	crypto_core_ristretto255_random(p);
	memset(in, 7, sizeof(in));
	double t0 = bench_now();
	while (bench_now() - t0 < s->seconds)
		for (int i = 0; i < 50; i++, s->n++) {
			if (s->what == 0) {
				if (crypto_scalarmult_ristretto255(q, k, p))
					abort();
				p[0] ^= 0; /* same point; the cost does not depend on it */
			} else {
				in[0]++;
				if (parley_oprf_hash_to_group(q, in, sizeof(in)))
					abort();
			}
		}
	return NULL;
}

/* Operations per second with both cores busy. */
static double both_cores(int what, double seconds)
{
	struct spin s[2] = { { what, seconds, 0 }, { what, seconds, 0 } };
	pthread_t t[2];
	double t0 = bench_now();
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, spin_main, &s[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return (double)(s[0].n + s[1].n) / (bench_now() - t0);
}

static void make_set(parley_iset *s, size_t n, size_t offset)
{
	char buf[64];
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < n; i++) {
		size_t v = i + offset;
		snprintf(buf, sizeof(buf), "ipv4-addr:10.%zu.%zu.%zu", (v >> 16) & 255, (v >> 8) & 255, v & 255);
		if (parley_iset_add(s, buf))
			abort();
	}
	parley_iset_finish(s);
}

static size_t msg_bytes(uint8_t kind, const uint8_t *data, size_t len, size_t count)
{
	parley_psi_msg m = { kind, 0, { 0 }, 0, 1, count, (uint32_t)count, 80, data, len };
	parley_buf b = PARLEY_BUF_INIT;
	if (parley_psi_msg_encode(&m, &b))
		abort();
	size_t n = b.len;
	parley_buf_release(&b);
	return n;
}

/* One whole exchange; returns bytes exchanged and the intersection size. */
static size_t exchange(const parley_iset *a, const parley_iset *b, size_t *common)
{
	uint8_t r[32], k[32], seed[32], session[16];
	size_t bytes = 0;
	randombytes_buf(seed, sizeof(seed));
	randombytes_buf(session, sizeof(session));
	parley_psi_blind_scalar(r, seed, session);
	uint8_t *el = malloc(a->n * 32);
	parley_tag *own = malloc(b->n * sizeof(*own)), *fin = malloc(a->n * sizeof(*fin));
	if (!el || !own || !fin || parley_psi_blind_all(a, r, el, NULL))
		abort();
	for (size_t i = 0; i < a->n; i += PARLEY_PSI_CHUNK) /* the requester's messages */
		bytes += msg_bytes(PARLEY_PSI_REQUEST, el + i * 32, (a->n - i < PARLEY_PSI_CHUNK ? a->n - i : PARLEY_PSI_CHUNK) * 32,
			a->n - i < PARLEY_PSI_CHUNK ? a->n - i : PARLEY_PSI_CHUNK);
	crypto_core_ristretto255_scalar_random(k);
	if (parley_psi_evaluate_all(el, a->n, k, NULL))
		abort();
	bytes += a->n * 32 + (a->n / PARLEY_PSI_CHUNK + 1) * 40;
	unsigned bits = parley_psi_tag_bits(a->n, b->n);
	if (parley_psi_own_tags(b, k, PARLEY_PSI_INTERSECTION, bits, own, NULL))
		abort();
	parley_psi_tags_sort(own, b->n);
	for (size_t i = 0; i < b->n; i += PARLEY_PSI_TAG_CHUNK) {
		size_t cnt = b->n - i < PARLEY_PSI_TAG_CHUNK ? b->n - i : PARLEY_PSI_TAG_CHUNK;
		parley_buf coded = PARLEY_BUF_INIT;
		if (parley_psi_tags_encode(own + i, cnt, b->n, bits, &coded))
			abort();
		bytes += msg_bytes(PARLEY_PSI_TAGS, coded.data, coded.len, cnt);
		parley_buf_release(&coded);
	}
	if (parley_psi_final_tags(a, el, a->n, r, PARLEY_PSI_INTERSECTION, bits, fin, NULL))
		abort();
	*common = 0;
	for (size_t i = 0; i < a->n; i++)
		*common += parley_psi_tags_contain(own, b->n, fin[i]);
	free(el);
	free(own);
	free(fin);
	return bytes;
}

void bench_psi(void)
{
	const char *env = getenv("PARLEY_BENCH_PSI_SIZES");
	char sizes[256];
	double s = bench_seconds();

	snprintf(sizes, sizeof(sizes), "%s", env ? env : "10000,100000,1000000");
	double smult = both_cores(0, s), h2g = both_cores(1, s);
	bench_report("ristretto255 scalar mult (2 threads)", smult, "ops/s", smult, "itself");
	bench_report("ristretto255 hash-to-group (2 threads)", h2g, "ops/s", h2g, "itself");
	for (char *p = sizes, *comma; p && *p; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		if (comma)
			*comma = 0;
		size_t n = strtoul(p, NULL, 10), common = 0;
		if (n == 0)
			continue;
		parley_iset a, b;
		make_set(&a, n, 0);
		make_set(&b, n, n / 2); /* half in common */
		double t0 = bench_now();
		size_t bytes = exchange(&a, &b, &common);
		double wall = bench_now() - t0;
		double bound = (double)n * (4.0 / smult + 2.0 / h2g);
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		if (common < n / 2) {
			fprintf(stderr, "bench psi: found %zu in common, expected at least %zu\n", common, n / 2);
			exit(1);
		}
		char name[128];
		snprintf(name, sizeof(name), "psi %zux%zu (%.1f s, %.1f MB sent, peak RSS %ld MB)", n, n, wall, (double)bytes / 1e6,
			ru.ru_maxrss / 1024);
		bench_report(name, (double)n / wall, "pairs/s", (double)n / bound, "4 smult + 2 h2g per pair");
		parley_iset_release(&a);
		parley_iset_release(&b);
	}
}
