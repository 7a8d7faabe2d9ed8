/* SPDX-License-Identifier: MIT */
/*
 * kmap.c - persistent maps, kmap() + kunmap() of one highmem page:
 *
 *   kmap_hit/pages:N  the N pages keep a map (each pinned by one kmap
 *                     outside the loop), so every kmap finds its page in
 *                     page_address_htable: a hash, a chain walk, a count.
 *                     N sweeps the table's load up to LAST_PKMAP.
 *   kmap_miss         the page has no map: map_new_virtual() takes the next
 *                     free entry and writes its PTE.  In batches of
 *                     LAST_PKMAP - 1 pages after a reset, so the scan never
 *                     wraps: the miss without the flush (manual time; the
 *                     resets are not timed).  kmap_stream has the flush.
 */
#include "bench/fixture.h"

static void kmap_hit(bench_state *st, const void *arg)
{
	struct fx fx;
	unsigned i = 0, n = (unsigned)bench_arg(st, 0);

	(void)arg;
	if (!fx_init(&fx, st, &(struct fx_opts){ .pages = n }))
		return;
	for (unsigned j = 0; j < n; j++)
		hm_kmap(fx.ctx, fx.pages[j]);
	fx_stats_begin(&fx);
	for (uint64_t b; (b = bench_batch(st, 0));) {
		while (b--) {
			struct page *page = fx.pages[i];

			fx_touch(&fx, hm_kmap(fx.ctx, page));
			hm_kunmap(fx.ctx, page);
			if (++i == n)
				i = 0;
		}
	}
	fx_stats_end(&fx);
	fx_report(&fx, st);
	fx_fini(&fx);
}

static void kmap_miss(bench_state *st, const void *arg)
{
	struct fx fx;
	unsigned batch;

	(void)arg;
	if (!fx_init(&fx, st, &(struct fx_opts){ .pages = 1023 }))
		return;
	batch = fx_last_pkmap(&fx) - 1;	/* the scan reaches the wrap next */
	for (uint64_t b; (b = bench_batch(st, batch));) {
		hm_reset(fx.ctx);	/* every entry free, the scan at 0 */
		fx_stats_begin(&fx);
		bench_manual_start(st);
		for (unsigned i = 0; i < b; i++) {
			struct page *page = fx.pages[i];

			fx_touch(&fx, hm_kmap(fx.ctx, page));
			hm_kunmap(fx.ctx, page);
		}
		bench_manual_stop(st);
		fx_stats_end(&fx);
	}
	fx_report(&fx, st);
	fx_fini(&fx);
}

void BENCH_REGISTER(kmap)(void)
{
	bench_def *b;

	b = bench_register(fx_name("kmap_hit"), kmap_hit, NULL);
	bench_arg_names(b, "pages", NULL);
	fx_rows(b, 1, 4, (const int64_t[]){ 1, 8, 64, 512 });

	b = bench_register(fx_name("kmap_miss"), kmap_miss, NULL);
	bench_use_manual_time(b);
}
