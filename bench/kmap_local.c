/* SPDX-License-Identifier: MIT */
/*
 * kmap_local.c - kmap_local_page() + kunmap_local() of one highmem page,
 * cycling over a working set:
 *
 *   kmap_local/pages:N   the slot stack of kmap_atomic, without disabling
 *                        preemption; kunmap_local always clears the PTE and
 *                        flushes it (as mm/highmem.c since 5.11).
 */
#include "bench/fixture.h"

static void kmap_local(bench_state *st, const void *arg)
{
	struct fx fx;
	unsigned i = 0, n = (unsigned)bench_arg(st, 0);

	(void)arg;
	if (!fx_init(&fx, st, &(struct fx_opts){ .pages = n }))
		return;
	fx_stats_begin(&fx);
	for (uint64_t b; (b = bench_batch(st, 0));) {
		while (b--) {
			hm_vaddr_t v = hm_kmap_local_page(fx.ctx, fx.pages[i]);

			fx_touch(&fx, v);
			hm_kunmap_local(fx.ctx, v);
			if (++i == n)
				i = 0;
		}
	}
	fx_stats_end(&fx);
	fx_report(&fx, st);
	fx_fini(&fx);
}

void BENCH_REGISTER(kmap_local)(void)
{
	bench_def *b = bench_register(fx_name("kmap_local"), kmap_local, NULL);

	bench_arg_names(b, "pages", NULL);
	fx_rows(b, 1, 3, (const int64_t[]){ 1, 64, 4096 });
}
