/* SPDX-License-Identifier: MIT */
/*
 * kmap_stream.c - kmap() + kunmap() in a steady stream over a working set,
 * page after page, round and round:
 *
 *   kmap_stream/pages:N/cpus:C
 *
 * Up to LAST_PKMAP - 1 pages every page keeps its entry (count 1 after the
 * kunmap) and each kmap is a hit.  From LAST_PKMAP pages on, each is a miss:
 * the scan takes entry after entry and, every LAST_PKMAP maps, wraps, and
 * flush_all_zero_pkmaps() clears the unused entries and flushes the PKMAP
 * range on every CPU.  So the rows show the cliff at LAST_PKMAP and the
 * miss with its flush amortised at the natural rate.
 *
 * With C CPUs the stream moves to the next CPU every 32 maps, so every
 * simulated TLB holds entries when the flush reaches it (one thread: the
 * SMP version with IPIs is for later).
 */
#include "bench/fixture.h"

#define CPU_TURN 32	/* maps per CPU before moving on */

struct stream {
	struct fx fx;
	unsigned cpus;
	unsigned i;		/* next page */
	unsigned k;		/* maps in this CPU's turn */
	unsigned cpu;
};

static inline void stream_step(struct stream *s)
{
	struct page *page = s->fx.pages[s->i];

	fx_touch(&s->fx, hm_kmap(s->fx.ctx, page));
	hm_kunmap(s->fx.ctx, page);
	if (++s->i == s->fx.nr_pages)
		s->i = 0;
	if (s->cpus > 1 && ++s->k == CPU_TURN) {
		s->k = 0;
		if (++s->cpu == s->cpus)
			s->cpu = 0;
		hm_set_cpu(s->fx.ctx, s->cpu);
	}
}

static void kmap_stream(bench_state *st, const void *arg)
{
	struct stream s = { 0 };
	unsigned pages = (unsigned)bench_arg(st, 0);

	(void)arg;
	s.cpus = (unsigned)bench_arg(st, 1);
	if (!fx_init(&s.fx, st, &(struct fx_opts){ .pages = pages,
						    .cpus = s.cpus }))
		return;
	/* Steady state: past the first wraps and round the set once. */
	for (unsigned j = 0; j < 2 * fx_last_pkmap(&s.fx) + pages; j++)
		stream_step(&s);
	fx_stats_begin(&s.fx);
	for (uint64_t b; (b = bench_batch(st, 0));)
		while (b--)
			stream_step(&s);
	fx_stats_end(&s.fx);
	fx_report(&s.fx, st);
	fx_fini(&s.fx);
}

void BENCH_REGISTER(kmap_stream)(void)
{
	bench_def *b = bench_register(fx_name("kmap_stream"), kmap_stream, NULL);

	bench_arg_names(b, "pages", "cpus", NULL);
	fx_rows(b, 2, 22, (const int64_t[]){
		1, 1,  8, 1,  64, 1,  256, 1,  511, 1,  512, 1,  1024, 1,
		4096, 1,
		4096, 2,  4096, 4,  4096, 8,
	});
}
