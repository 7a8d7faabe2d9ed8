/* SPDX-License-Identifier: MIT */
/*
 * counters.h - the counters every row reports, per operation, so that the
 * console shows one table.  A selection of struct hm_stats's fields
 * (HM_STATS_FIELDS, highmem.h, lists them all) under the names the console
 * shows: a field that is not there does not compile.
 */
#ifndef BENCH_COUNTERS_H
#define BENCH_COUNTERS_H

#include "bench/bench.h"

/* X(counter name, struct hm_stats field) */
#define BENCH_COUNTERS(X)                                                    \
	X("pte_writes", pte_writes)	/* PTEs set or cleared */            \
	X("invlpg", tlb_flush_one)	/* single-entry flushes */           \
	X("flush_all", tlb_flush_all)	/* whole-TLB flushes, per CPU */     \
	X("tlb_flushed", tlb_entries_flushed) /* TLB entries dropped */      \
	X("hash_steps", hash_steps)	/* page_address_htable entries seen */ \
	X("wraps", pkmap_flushes)	/* flush_all_zero_pkmaps() runs */  \
	X("ipis", tlb_ipis)		/* other CPUs a flush reached */

/* One more, not a field of struct hm_stats: of those IPIs, the ones the
 * target CPU's own thread served (the simulator's per-CPU hm_tlb_stats;
 * fixture.h).  Every user-space row reports it, zero where no thread runs
 * the other CPUs, so the console keeps one table. */
#define BENCH_IPIS_BY_THREAD "ipis_by_thread"

/* Report them all as zero: rows with nothing to count (the loop's own
 * cost), or that did not run. */
static inline void bench_zero_counters(bench_state *st)
{
#define ZERO(name, field) bench_counter(st, name, 0);
	BENCH_COUNTERS(ZERO)
#undef ZERO
	bench_counter(st, BENCH_IPIS_BY_THREAD, 0);
}

/* The subjects, each in its own file and compiled once per backend into
 * sim_bench_<subject>() and core_bench_<subject>(). */
#define BENCH_SUBJECTS(X) \
	X(kmap)           \
	X(kmap_stream)    \
	X(kmap_atomic)    \
	X(kmap_local)     \
	X(page_address)

#endif /* BENCH_COUNTERS_H */
