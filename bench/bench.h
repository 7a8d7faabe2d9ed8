/* SPDX-License-Identifier: MIT */
/*
 * bench.h - Google Benchmark for benchmarks written in C.
 *
 * bench_shim.cc maps these calls onto benchmark::State and
 * benchmark::internal::Benchmark.  A benchmark is a C function run once per
 * measurement; it sets up outside the timed loop, then runs its operation
 * in batches:
 *
 *	static void kmap_hit(bench_state *st, const void *arg)
 *	{
 *		... setup ...
 *		for (uint64_t n; (n = bench_batch(st, 0)); )
 *			while (n--)
 *				op();
 *		bench_items(st, bench_iterations(st));
 *	}
 *	bench_register("sim@linux-4.7/kmap_hit", kmap_hit, NULL);
 *
 * bench_batch(st, 0) hands out every iteration at once, so the loop costs
 * a decrement and a branch per operation.  Benchmarks that must do untimed
 * work between batches (a reset) ask for fixed batches, use manual time
 * and bracket the timed part with bench_manual_start/stop.
 *
 * The same brackets drive the measurement tools: hardware counters
 * (perf_event_open, where the host has them) and, under valgrind, callgrind
 * (stats zeroed when the loop starts, dumped under the row's name when it
 * ends; collection toggled off outside manual-time brackets).
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bench_state bench_state;	/* a benchmark::State */
typedef struct bench_def bench_def;	/* a registered benchmark */
typedef void (*bench_fn)(bench_state *st, const void *arg);

/* ---- Registration (before bench_main) ------------------------------------ */

/* Register @fn under @name (copied); @arg is passed to every run. */
bench_def *bench_register(const char *name, bench_fn fn, const void *arg);
/* Name the arguments: rows become name/pages:64/cpus:2.  NULL-terminated. */
void bench_arg_names(bench_def *b, ...);
/* Add one set of @n arguments (one row). */
void bench_args(bench_def *b, const int64_t *args, size_t n);
/* The row's time comes from bench_manual_start/stop, not the loop's clock. */
void bench_use_manual_time(bench_def *b);

/* ---- Inside a benchmark ---------------------------------------------------- */

int64_t bench_arg(const bench_state *st, size_t i);
/*
 * bench_batch - the next batch of iterations to run, 0 when done
 * @n: the batch size; 0 for all iterations at once
 *
 * The last batch of fixed size may overshoot the planned iterations;
 * bench_iterations() counts what really ran.
 */
uint64_t bench_batch(bench_state *st, uint64_t n);
uint64_t bench_iterations(const bench_state *st);
/* Manual time: only what lies between start and stop is timed. */
void bench_manual_start(bench_state *st);
void bench_manual_stop(bench_state *st);
/* Manual time measured elsewhere (a guest's rdtsc): add @seconds. */
void bench_manual_time(bench_state *st, double seconds);

void bench_items(bench_state *st, int64_t items);
/* A user counter: @total over the whole loop, reported per iteration. */
void bench_counter(bench_state *st, const char *name, double total);
/* A value reported as it is (a ratio, a figure per operation computed
 * elsewhere), not divided by the iterations. */
void bench_counter_value(bench_state *st, const char *name, double value);
/* A note at the end of the row. */
void bench_label(bench_state *st, const char *label);
/* Mark the row as not run, with the reason.  Call before the loop and
 * return without running it. */
void bench_skip(bench_state *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A key: value line in the run's context (console header, JSON).  Before
 * bench_main() runs the benchmarks. */
void bench_context(const char *key, const char *value);

/* The kernel profile the core and sim rows run (enum hm_kernel of
 * core/highmem.h; 0, linux-4.7, by default): --bench_kernel=NAME, taken by
 * bench_take_kernel() before the rows are registered. */
extern int bench_kernel;
/* Take --bench_kernel=NAME out of @argv; false (with a message) if NAME is
 * no profile. */
bool bench_take_kernel(int *argc, char **argv);
/* Nonzero under valgrind. */
int bench_under_valgrind(void);

/* Defeat dead-code elimination of @v. */
static inline void bench_keep(uint64_t v)
{
	__asm__ volatile("" : : "r"(v) : "memory");
}

/* ---- Running --------------------------------------------------------------- */

/*
 * bench_main - run the registered benchmarks with Google Benchmark's
 * command line (--benchmark_filter, --benchmark_format, --benchmark_out,
 * --benchmark_repetitions, ...), plus:
 *   --bench_iterations=N  run every row for exactly N iterations (callgrind)
 *   --bench_no_perf       do not open hardware counters
 * Counters are shown as table columns unless the command line says
 * otherwise.  Returns the exit status.
 */
int bench_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* BENCH_H */
