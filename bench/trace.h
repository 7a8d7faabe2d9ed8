/* SPDX-License-Identifier: MIT */
/*
 * trace.h - the per-call recorder: the cost of each call in a long stream,
 * read with the time-stamp counter around every call (kmap_trace.c).
 */
#ifndef BENCH_TRACE_H
#define BENCH_TRACE_H

#include <stdint.h>

struct trace_opts {
	unsigned calls;		/* length of each stream */
	unsigned runs;		/* streams; per call the minimum is kept */
	unsigned pages;		/* working set of the kmap stream */
};

/* The series, in this order, in the output of a trace function. */
enum { TRACE_KMAP, TRACE_KMAP_ATOMIC, TRACE_KMAP_LOCAL, TRACE_NR };

/* Read before and after each call; serialised so the call stays inside. */
static inline uint64_t trace_clock(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* Fill @out[series * calls + i] with the minimum ticks of call i over the
 * runs, each stream starting from a fresh context (hm_reset).  Returns 0,
 * or -1 if no context could be made. */
int sim_trace(const struct trace_opts *o, uint64_t *out);
int core_trace(const struct trace_opts *o, uint64_t *out);

#endif /* BENCH_TRACE_H */
