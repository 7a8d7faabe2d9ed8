/* SPDX-License-Identifier: MIT */
/*
 * perf_counters.h - hardware counters of the calling thread, user space
 * only, through perf_event_open(2): cycles, instructions, dTLB load misses.
 *
 * Hosts without a PMU (most VMs) have none; perf_counters_open() then says
 * why, and the benchmarks report no such counters.
 */
#ifndef BENCH_PERF_COUNTERS_H
#define BENCH_PERF_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PERF_COUNTERS_MAX 3

/* Open what the host has.  Returns how many counters opened (0: none,
 * with @why filled). */
unsigned perf_counters_open(char *why, size_t whysz);
/* The name of counter @i, as a benchmark counter ("cycles", ...). */
const char *perf_counters_name(unsigned i);
void perf_counters_reset(void);
void perf_counters_enable(void);
void perf_counters_disable(void);
/* The counts since the last reset, into @out[0 .. opened-1]. */
void perf_counters_read(uint64_t *out);

#ifdef __cplusplus
}
#endif
#endif /* BENCH_PERF_COUNTERS_H */
