/* SPDX-License-Identifier: MIT */
/*
 * page_address.c - page_address() of a page:
 *
 *   page_address_lowmem         arithmetic on the direct map;
 *   page_address_high/pages:N   a highmem page with a persistent map,
 *                               among N mapped pages: a hash and a walk
 *                               along the bucket's chain.
 */
#include "bench/fixture.h"

static void page_address_row(bench_state *st, const void *arg)
{
	const bool *lowmem = arg;
	struct fx fx;
	unsigned i = 0, n = *lowmem ? 64 : (unsigned)bench_arg(st, 0);

	if (!fx_init(&fx, st, &(struct fx_opts){ .pages = n, .lowmem = *lowmem }))
		return;
	if (!*lowmem)
		for (unsigned j = 0; j < n; j++)
			hm_kmap(fx.ctx, fx.pages[j]);
	fx_stats_begin(&fx);
	for (uint64_t b; (b = bench_batch(st, 0));) {
		while (b--) {
			bench_keep(hm_page_address(fx.ctx, fx.pages[i]));
			if (++i == n)
				i = 0;
		}
	}
	fx_stats_end(&fx);
	fx_report(&fx, st);
	fx_fini(&fx);
}

void BENCH_REGISTER(page_address)(void)
{
	static const bool low = true, high = false;
	bench_def *b;

	bench_register(fx_name("page_address_lowmem"), page_address_row, &low);
	b = bench_register(fx_name("page_address_high"), page_address_row, &high);
	bench_arg_names(b, "pages", NULL);
	fx_rows(b, 1, 2, (const int64_t[]){ 1, 512 });
}
