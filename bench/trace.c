/* SPDX-License-Identifier: MIT */
/*
 * trace.c - one stream per series for the per-call recorder (trace.h):
 * kmap+kunmap over a working set larger than LAST_PKMAP, where every
 * LAST_PKMAP-th call wraps and flushes; kmap_atomic+kunmap_atomic and
 * kmap_local_page+kunmap_local over the same pages.  Each call includes one
 * load through the mapping in sim (see fixture.h).  The three loops are
 * written out rather than one loop calling through a pointer: an indirect
 * call in the timed region would be part of every figure, and a
 * kmap_atomic pair costs only a few nanoseconds.
 */
#include "bench/fixture.h"
#include "bench/trace.h"

static void keep_min(uint64_t *slot, uint64_t t)
{
	if (t < *slot)
		*slot = t;
}

int BENCH_TRACE(const struct trace_opts *o, uint64_t *out)
{
	struct fx fx;
	const unsigned n = o->calls;

	if (!fx_init(&fx, NULL, &(struct fx_opts){ .pages = o->pages }))
		return -1;
	for (unsigned i = 0; i < TRACE_NR * n; i++)
		out[i] = UINT64_MAX;
	for (unsigned run = 0; run < o->runs; run++) {
		hm_reset(fx.ctx);
		for (unsigned i = 0; i < n; i++) {
			struct page *page = fx.pages[i % fx.nr_pages];
			uint64_t t0 = trace_clock();

			fx_touch(&fx, hm_kmap(fx.ctx, page));
			hm_kunmap(fx.ctx, page);
			keep_min(&out[TRACE_KMAP * n + i], trace_clock() - t0);
		}
		for (unsigned i = 0; i < n; i++) {
			struct page *page = fx.pages[i % fx.nr_pages];
			uint64_t t0 = trace_clock();
			hm_vaddr_t v = hm_kmap_atomic(fx.ctx, page);

			fx_touch(&fx, v);
			hm_kunmap_atomic(fx.ctx, v);
			keep_min(&out[TRACE_KMAP_ATOMIC * n + i], trace_clock() - t0);
		}
		for (unsigned i = 0; i < n; i++) {
			struct page *page = fx.pages[i % fx.nr_pages];
			uint64_t t0 = trace_clock();
			hm_vaddr_t v = hm_kmap_local_page(fx.ctx, page);

			fx_touch(&fx, v);
			hm_kunmap_local(fx.ctx, v);
			keep_min(&out[TRACE_KMAP_LOCAL * n + i], trace_clock() - t0);
		}
	}
	fx_fini(&fx);
	return 0;
}
