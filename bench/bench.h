/* bench.h - the benchmark convention: every figure beside the machine's own limit, measured in the same run. */
#ifndef PARLEY_BENCH_H
#define PARLEY_BENCH_H

#include <stddef.h>

/* Calls fn(ctx) repeatedly for at least `seconds`; returns calls per second. */
double bench_rate(void (*fn)(void *), void *ctx, double seconds);

/*
 * Record one figure: value in unit, beside limit (the same unit, what this
 * machine allows for that work, measured in this run). ratio = value / limit.
 */
void bench_report(const char *name, double value, const char *unit, double limit, const char *limit_what);

/* One Ed25519 verify of a 256-byte message: the unit of verify-bound limits (thread-safe). */
void bench_verify_one(void *ctx);

/* A monotonic clock, in seconds. */
double bench_now(void);

/* Seconds per call budget for each measurement (PARLEY_BENCH_SECONDS, default 0.5). */
double bench_seconds(void);

/* Sections. */
void bench_entry(void);
void bench_store(void);
void bench_relay(void);
void bench_node(void);
void bench_node_state(void);
void bench_daemon(void);
void bench_psi(void);

#endif
