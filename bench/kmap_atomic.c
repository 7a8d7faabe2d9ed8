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
 *                              is empty.
 */
#include "bench/fixture.h"

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

void BENCH_REGISTER(kmap_atomic)(void)
{
	static const bool lazy = false, debug = true;
	static const int64_t pages[] = { 1, 64, 4096 };
	bench_def *b;

	b = bench_register(fx_name("kmap_atomic"), kmap_atomic, &lazy);
	bench_arg_names(b, "pages", NULL);
	fx_rows(b, 1, 3, pages);
	b = bench_register(fx_name("kmap_atomic_debug"), kmap_atomic, &debug);
	bench_arg_names(b, "pages", NULL);
	fx_rows(b, 1, 3, pages);
}
