/* SPDX-License-Identifier: MIT */
/*
 * flush_policy_test.c - what the flush at a PKMAP wrap does to each CPU's
 * TLB, per kernel profile, on a 16-entry window (small enough that the
 * profiles differ).
 *
 * flush_all_zero_pkmaps() ends with flush_tlb_kernel_range(PKMAP_ADDR(0),
 * PKMAP_ADDR(LAST_PKMAP)): 16 pages here.
 * - linux-2.6.24: include/asm-x86/tlbflush_32.h (include/asm-i386/
 *   tlbflush.h before it) has #define flush_tlb_kernel_range(start, end)
 *   flush_tlb_all(), and on SMP flush_tlb_all() is on_each_cpu(
 *   do_flush_tlb_all, ...): every CPU's whole TLB, global entries too
 *   (__flush_tlb_all toggles CR4.PGE).  So one wrap on 2 CPUs counts
 *   tlb_flush_all 2, and a translation cached outside the window (a
 *   direct-map address) is gone from both TLBs.
 * - linux-4.7 and linux-6.1: arch/x86/mm/tlb.c's flush_tlb_kernel_range()
 *   invlpgs page by page on every CPU up to tlb_single_page_flush_ceiling
 *   (33) pages: 16 is below it, so no whole flush (tlb_flush_all 0), the
 *   direct-map entry survives on both CPUs, and the window's entries go.
 * Either way one IPI (on_each_cpu: every online CPU but the caller).
 * With the default 512-entry window every profile flushes whole.
 */
#include <string.h>

#include "core/testing/testing.h"

#define NR_CPUS		2
#define WINDOW		16

/* A lowmem page outside the PKMAP window, in a TLB set of its own. */
#define LOW_PFN		0x100u

struct outcome {
	uint64_t flush_range, pkmap_flushes, flush_all, ipis;
	/* After the wrap, on each CPU: is the direct-map translation still
	 * cached?  Was the window entry cached before still there? */
	bool low_cached[NR_CPUS];
	bool window_cached[NR_CPUS];
};

/* Does @cpu's TLB hold @vaddr?  (A miss walks and caches it.) */
static bool cached(struct hm_ctx *ctx, unsigned cpu, hm_vaddr_t vaddr)
{
	hm_paddr_t pa;
	bool hit = false;

	hm_set_cpu(ctx, cpu);
	(void)hm_sim_translate(ctx, vaddr, &pa, &hit);
	return hit;
}

/* Cache @vaddr on @cpu, and check it took. */
static void cache(struct hm_ctx *ctx, unsigned cpu, hm_vaddr_t vaddr)
{
	hm_paddr_t pa;

	hm_set_cpu(ctx, cpu);
	assert_int_equal(hm_sim_translate(ctx, vaddr, &pa, NULL), HM_OK);
	assert_true(cached(ctx, cpu, vaddr));
}

/*
 * CPU 0 kmaps and kunmaps highmem pages until the scan wraps (the 16th
 * kmap: entries 1..15 first).  Before that, both CPUs cache the direct
 * map of LOW_PFN and the PKMAP address of CPU 0's first kmap (whose entry
 * keeps count 1 until the wrap frees it).
 */
static void wrap(enum hm_kernel kernel, unsigned window, struct outcome *o)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	struct hm_stats s;
	hm_vaddr_t low, first = 0;
	unsigned wraps = 0;

	hm_config_default(&cfg);
	cfg.kernel = kernel;
	cfg.nr_cpus = NR_CPUS;
	cfg.last_pkmap = window;
	ctx = test_ctx(&cfg, NULL);	/* any BUG fails the test */
	low = hm_page_address(ctx, hm_pfn_to_page(ctx, LOW_PFN));
	assert_int_equal(low, 0xC0000000u + (LOW_PFN << 12));

	for (unsigned i = 1; !wraps; i++) {
		struct page *page = hm_pfn_to_page(ctx,
						   hm_max_low_pfn(ctx) + i);
		hm_vaddr_t vaddr;
		uint64_t before;

		assert_true(i <= window);
		hm_set_cpu(ctx, 0);
		hm_stats(ctx, &s);
		before = s.pkmap_flushes;
		vaddr = hm_kmap(ctx, page);
		hm_stats(ctx, &s);
		wraps = (unsigned)(s.pkmap_flushes - before);
		if (i == 1) {
			first = vaddr;
			for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
				cache(ctx, cpu, low);
				cache(ctx, cpu, first);
			}
			hm_stats_reset(ctx);
		}
		if (wraps)
			assert_int_equal(i, window);
		hm_set_cpu(ctx, 0);
		hm_kunmap(ctx, page);
	}

	hm_stats(ctx, &s);
	o->flush_range = s.tlb_flush_range;
	o->pkmap_flushes = s.pkmap_flushes;
	o->flush_all = s.tlb_flush_all;
	o->ipis = s.tlb_ipis;
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		o->low_cached[cpu] = cached(ctx, cpu, low);
		o->window_cached[cpu] = cached(ctx, cpu, first);
	}
	hm_destroy(ctx);
}

static void check_common(const struct outcome *o)
{
	assert_int_equal(o->pkmap_flushes, 1);
	assert_int_equal(o->flush_range, 1);	/* the call, counted once */
	assert_int_equal(o->ipis, NR_CPUS - 1);
	/* The window's entries go from every TLB, whole flush or not. */
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		assert_false(o->window_cached[cpu]);
}

/* 2.6.24: flush_tlb_kernel_range is flush_tlb_all - every CPU whole. */
static void linux_2_6_24_flushes_whole(void **state)
{
	struct outcome o;

	(void)state;
	wrap(HM_KERNEL_2_6_24, WINDOW, &o);
	check_common(&o);
	assert_int_equal(o.flush_all, NR_CPUS);
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		assert_false(o.low_cached[cpu]);
}

/* 4.7 and 6.1: 16 pages, under the 33-page ceiling - invlpg each. */
static void page_by_page(enum hm_kernel kernel)
{
	struct outcome o;

	wrap(kernel, WINDOW, &o);
	check_common(&o);
	assert_int_equal(o.flush_all, 0);
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		assert_true(o.low_cached[cpu]);
}

static void linux_4_7_flushes_page_by_page(void **state)
{
	(void)state;
	page_by_page(HM_KERNEL_4_7);
}

static void linux_6_1_flushes_page_by_page(void **state)
{
	(void)state;
	page_by_page(HM_KERNEL_6_1);
}

/* 512 entries: over the ceiling, so every profile flushes whole. */
static void default_window_whole_everywhere(void **state)
{
	static const enum hm_kernel k[] = {
		HM_KERNEL_2_6_24, HM_KERNEL_4_7, HM_KERNEL_6_1,
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct outcome o;

		wrap(k[i], 512, &o);
		check_common(&o);
		assert_int_equal(o.flush_all, NR_CPUS);
		for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
			assert_false(o.low_cached[cpu]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(linux_2_6_24_flushes_whole),
		cmocka_unit_test(linux_4_7_flushes_page_by_page),
		cmocka_unit_test(linux_6_1_flushes_page_by_page),
		cmocka_unit_test(default_window_whole_everywhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
