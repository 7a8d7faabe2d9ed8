/* SPDX-License-Identifier: MIT */
/*
 * kmap_atomic.c - temporary maps, kmap_atomic() + kunmap_atomic() of one
 * highmem page, cycling over a working set (the cost should not depend on
 * it: the slot is per CPU, nothing is looked up):
 *
 *   kmap_atomic/pages:N        as the seeds' kernel: kunmap_atomic leaves
 *                              the PTE; the next map of the slot overwrites
 *                              it and flushes the old translation (invlpg);
 *   kmap_atomic_debug/pages:N  CONFIG_DEBUG_HIGHMEM: kunmap_atomic clears
 *                              the PTE and flushes; the map checks the slot
 *                              is empty;
 *   kmap_atomic_kernel_shape   (core/ only) the same pair in the shape of
 *                              the kernel's own non-debug code, over the
 *                              same context and hooks (kernel_shape.c): what
 *                              the core's fast path is measured against.
 *                              It counts nothing, so its counters are 0.
 */
#include "bench/fixture.h"
#ifdef BENCH_CORE
#include "bench/kernel_shape.h"
#endif

static void kmap_atomic(bench_state *st, const void *arg)
{
	const bool *debug = arg;
	struct fx fx;
	unsigned i = 0, n = (unsigned)bench_arg(st, 0);

	if (!fx_init(&fx, st, &(struct fx_opts){ .pages = n, .debug = *debug }))
		return;
	fx_stats_begin(&fx);
	for (uint64_t b; (b = bench_batch(st, 0));) {
		while (b--) {
			hm_vaddr_t v = hm_kmap_atomic(fx.ctx, fx.pages[i]);

			fx_touch(&fx, v);
			hm_kunmap_atomic(fx.ctx, v);
			if (++i == n)
				i = 0;
		}
	}
	fx_stats_end(&fx);
	fx_report(&fx, st);
	fx_fini(&fx);
}

#ifdef BENCH_CORE
/* Does the shape map what the core maps?  The core maps page @y, then
 * another, in slot 0, each unmap clearing it; the shape must then map @y
 * at the core's address with the core's PTE, and clear the PTE on unmap.
 * NULL when it does, else what went wrong. */
static const char *kernel_shape_agrees(struct fx *fx, struct hm_ks_cpu *ks,
				       struct page *y)
{
	struct hm_ctx *ctx = fx->ctx;
	struct page *x = hm_pfn_to_page(ctx, hm_max_pfn(ctx) - 1);
	hm_vaddr_t want = hm_kmap_atomic(ctx, y), got;
	uint64_t pte = hm_kmap_atomic_pte(ctx, 0, 0);

	hm_kunmap_atomic(ctx, want);
	hm_kunmap_atomic(ctx, hm_kmap_atomic(ctx, x));
	if (x == y || hm_kmap_atomic_pte(ctx, 0, 0) == pte)
		return "the check needs two pages";
	got = hm_ks_kmap_atomic(ctx, ks, y);
	if (got != want || hm_kmap_atomic_pte(ctx, 0, 0) != pte)
		return "the kernel-shaped kmap_atomic maps another slot or PTE than the core";
	hm_ks_kunmap_atomic(ctx, ks, got);
	if (hm_kmap_atomic_pte(ctx, 0, 0) != 0 || ks[0].kmap_atomic_idx ||
	    ks[0].preempt_count || ks[0].pagefault_disabled)
		return "the kernel-shaped kunmap_atomic leaves the PTE or the counts";
	return NULL;
}

static void kmap_atomic_kernel_shape(bench_state *st, const void *arg)
{
	struct hm_ks_cpu ks[HM_MAX_CPUS] = { 0 };
	const char *why;
	struct fx fx;
	unsigned i = 0, n = (unsigned)bench_arg(st, 0);

	(void)arg;
	if (!fx_init(&fx, st, &(struct fx_opts){ .pages = n }))
		return;
	why = bench_kernel != HM_KERNEL_DEFAULT ?
		"the kernel shape is linux-4.7's (kernel_shape.c)" :
	      hm_config(fx.ctx)->pae ? kernel_shape_agrees(&fx, ks, fx.pages[0])
				     : "the kernel shape is a PAE kernel's";
	if (why) {
		fx_fail(st, why);
		fx_fini(&fx);
		return;
	}
	fx_stats_begin(&fx);
	for (uint64_t b; (b = bench_batch(st, 0));) {
		while (b--) {
			hm_vaddr_t v = hm_ks_kmap_atomic(fx.ctx, ks, fx.pages[i]);

			fx_touch(&fx, v);
			hm_ks_kunmap_atomic(fx.ctx, ks, v);
			if (++i == n)
				i = 0;
		}
	}
	fx_stats_end(&fx);
	fx_report(&fx, st);
	fx_fini(&fx);
}
#endif

void BENCH_REGISTER(kmap_atomic)(void)
{
	static const bool plain = false, debug = true;
	static const int64_t pages[] = { 1, 64, 4096 };
	bench_def *b;

	b = bench_register(fx_name("kmap_atomic"), kmap_atomic, &plain);
	bench_arg_names(b, "pages", NULL);
	fx_rows(b, 1, 3, pages);
	b = bench_register(fx_name("kmap_atomic_debug"), kmap_atomic, &debug);
	bench_arg_names(b, "pages", NULL);
	fx_rows(b, 1, 3, pages);
#ifdef BENCH_CORE
	b = bench_register(fx_name("kmap_atomic_kernel_shape"),
			   kmap_atomic_kernel_shape, NULL);
	bench_arg_names(b, "pages", NULL);
	fx_rows(b, 1, 3, pages);
#endif
}
