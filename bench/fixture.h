/* SPDX-License-Identifier: MIT */
/*
 * fixture.h - what every benchmark of the core sets up outside its loop:
 * a context, a working set of pages, the event counts.
 *
 * The subject files (kmap.c, kmap_atomic.c, ...) are compiled twice:
 *   -DBENCH_SIM   against //core:highmem_lib, the simulated MMU and TLBs:
 *                 rows "sim/...";
 *   -DBENCH_CORE  against //bench:nullcore, the same core on the minimal
 *                 backend of arch_null.c: rows "core/...".
 * The hm_* calls are the same in both; for the core build,
 * nullcore_names.h renames them to the nullcore_ copy.  Everything here is
 * static inline, so the two builds do not collide.
 *
 * In sim rows each map is followed by one 8-byte load through it, as a
 * user of the mapping would do: that fills the simulated TLB, which is what
 * the flushes then have to drop.  The minimal backend has no memory, so
 * core rows only map and unmap.
 */
#ifndef BENCH_FIXTURE_H
#define BENCH_FIXTURE_H

#if defined(BENCH_CORE)
#include "bench/nullcore_names.h"
#define BENCH_BACKEND "core"
#define BENCH_REGISTER(subject) core_bench_##subject
#define BENCH_TRACE core_trace
#elif defined(BENCH_SIM)
#define BENCH_BACKEND "sim"
#define BENCH_REGISTER(subject) sim_bench_##subject
#define BENCH_TRACE sim_trace
#else
#error "build with -DBENCH_SIM or -DBENCH_CORE"
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "bench/counters.h"
#include "bench/fixture_decl.h"
#include "core/highmem.h"

struct fx_opts {
	unsigned pages;		/* working set (default 1) */
	unsigned cpus;		/* nr_cpus (default 1) */
	bool debug;		/* CONFIG_DEBUG_HIGHMEM */
	bool lowmem;		/* lowmem pages instead of highmem */
};

struct fx {
	struct hm_ctx *ctx;
	struct page **pages;
	unsigned nr_pages;
	struct hm_stats before;	/* at fx_stats_begin() */
	struct hm_stats sum;	/* over every begin/end pair */
	uint64_t by_thread_before, by_thread_sum;	/* fx_ipis_by_thread() */
};

/* "sim@linux-4.7/kmap_hit": a row name with this build's prefix and the
 * kernel profile its rows run (static buffer). */
static inline const char *fx_name(const char *subject)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "%s@%s/%s", BENCH_BACKEND,
		 hm_kernel_name((enum hm_kernel)bench_kernel), subject);
	return buf;
}

/* Skip the row (or, outside a benchmark, say why on stderr). */
static inline void fx_fail(bench_state *st, const char *why)
{
	if (st)
		bench_skip(st, "%s", why);
	else
		fprintf(stderr, "%s\n", why);
}

/*
 * fx_init - a 1 GiB machine of the kernel profile bench_kernel (linux-4.7:
 * 891 MiB lowmem, the rest highmem) and a working set of @o->pages
 * consecutive highmem (or lowmem) frames.  Any kmap that would sleep is a BUG
 * (wait_timeout_ms 0), which aborts.  False, with the row skipped, on
 * failure.  @st may be NULL outside a benchmark.
 */
static inline bool fx_init(struct fx *fx, bench_state *st,
			   const struct fx_opts *o)
{
	struct hm_config cfg;
	char err[160];
	uint64_t first, avail;

	*fx = (struct fx){ 0 };
	hm_config_default(&cfg);
	cfg.nr_cpus = o->cpus ? o->cpus : 1;
	cfg.debug_highmem = o->debug;
	cfg.kernel = (enum hm_kernel)bench_kernel;
	cfg.wait_timeout_ms = 0;
	fx->ctx = hm_create(&cfg, err, sizeof(err));
	if (!fx->ctx) {
		fx_fail(st, err);
		return false;
	}
	fx->nr_pages = o->pages ? o->pages : 1;
	first = o->lowmem ? hm_first_free_pfn(fx->ctx) : hm_max_low_pfn(fx->ctx);
	avail = (o->lowmem ? hm_max_low_pfn(fx->ctx) : hm_max_pfn(fx->ctx)) - first;
	fx->pages = calloc(fx->nr_pages, sizeof(*fx->pages));
	if (!fx->pages || fx->nr_pages > avail) {
		fx_fail(st, "the working set does not fit in memory");
		hm_destroy(fx->ctx);
		free(fx->pages);
		return false;
	}
	for (unsigned i = 0; i < fx->nr_pages; i++)
		fx->pages[i] = hm_pfn_to_page(fx->ctx, first + i);
	return true;
}

static inline void fx_fini(struct fx *fx)
{
	hm_destroy(fx->ctx);
	free(fx->pages);
}

/* Use the mapping once (sim rows); see the top of this file. */
static inline void fx_touch(struct fx *fx, hm_vaddr_t vaddr)
{
#ifdef BENCH_SIM
	uint64_t v;

	if (hm_sim_read(fx->ctx, vaddr, &v, sizeof(v)) != HM_OK)
		abort();
	bench_keep(v);
#else
	(void)fx;
	bench_keep(vaddr);
#endif
}

static inline unsigned fx_last_pkmap(struct fx *fx)
{
	return hm_layout(fx->ctx)->last_pkmap;
}

/*
 * Shootdown requests served by the target CPU's own thread, summed over
 * CPUs: the IPIs really delivered (ipis counts those sent; the rest the
 * initiator served for idle CPUs).  Zero on the minimal backend, which has
 * no threads and no IPIs to deliver.
 */
static inline uint64_t fx_ipis_by_thread(struct fx *fx)
{
#ifdef BENCH_SIM
	struct hm_tlb_stats ts;
	uint64_t n = 0;

	for (unsigned cpu = 0; cpu < hm_config(fx->ctx)->nr_cpus; cpu++) {
		hm_sim_tlb_stats(fx->ctx, cpu, &ts);
		n += ts.ipis_handled;
	}
	return n;
#else
	(void)fx;
	return 0;
#endif
}

/* Count events from here... */
static inline void fx_stats_begin(struct fx *fx)
{
	hm_stats(fx->ctx, &fx->before);
	fx->by_thread_before = fx_ipis_by_thread(fx);
}

/* ...to here (several pairs add up). */
static inline void fx_stats_end(struct fx *fx)
{
	struct hm_stats now;

	hm_stats(fx->ctx, &now);
#define ADD(name, field) fx->sum.field += now.field - fx->before.field;
	BENCH_COUNTERS(ADD)
#undef ADD
	fx->by_thread_sum += fx_ipis_by_thread(fx) - fx->by_thread_before;
}

/* The counters per operation, one operation per iteration. */
static inline void fx_report(struct fx *fx, bench_state *st)
{
#define REPORT(name, field) bench_counter(st, name, (double)fx->sum.field);
	BENCH_COUNTERS(REPORT)
#undef REPORT
	bench_counter(st, BENCH_IPIS_BY_THREAD, (double)fx->by_thread_sum);
	bench_items(st, (int64_t)bench_iterations(st));
}

/* One row per @per_row arguments of @args[0 .. n-1]. */
static inline void fx_rows(bench_def *b, size_t per_row, size_t n,
			   const int64_t *args)
{
	for (size_t i = 0; i + per_row <= n; i += per_row)
		bench_args(b, args + i, per_row);
}

#endif /* BENCH_FIXTURE_H */
