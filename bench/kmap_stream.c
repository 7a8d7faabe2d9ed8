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
 * simulated TLB holds entries when the flush reaches it.  One thread plays
 * every CPU, so the others are idle and the initiator flushes their TLBs
 * itself: the IPIs are counted (ipis) but never sent.
 *
 *   kmap_stream_smp/pages:N/cpus:C   (sim/ only)
 *
 * The same stream on CPU 0, while CPUs 1 .. C-1 are each run by a thread
 * parked outside the simulator (bystanders.h): every wrap's flush signals
 * C-1 threads and waits for their acknowledgements, as the kernel's
 * flush_tlb_kernel_range() waits for its IPIs.  ipis_by_thread, the
 * requests the targets' own threads served, equals ipis when every IPI
 * was delivered.  cpus:1 has no bystander: the baseline of the series.
 * The minimal backend has no threads, so there is no core/ twin.
 */
#include "bench/fixture.h"
#ifdef BENCH_SIM
#include "bench/bystanders.h"
#endif

#define CPU_TURN 32	/* maps per CPU before moving on */

struct stream {
	struct fx fx;
	unsigned cpus;		/* CPUs the stream moves over */
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

/* Steady state, then the measured loop. */
static void stream_measure(struct stream *s, bench_state *st)
{
	/* Past the first wraps and round the set once. */
	for (unsigned j = 0; j < 2 * fx_last_pkmap(&s->fx) + s->fx.nr_pages; j++)
		stream_step(s);
	fx_stats_begin(&s->fx);
	for (uint64_t b; (b = bench_batch(st, 0));)
		while (b--)
			stream_step(s);
	fx_stats_end(&s->fx);
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
	stream_measure(&s, st);
	fx_report(&s.fx, st);
	fx_fini(&s.fx);
}

#ifdef BENCH_SIM
#define BYSTANDER_PAGES 8	/* each maps and reads these before parking */

static void kmap_stream_smp(bench_state *st, const void *arg)
{
	struct stream s = { .cpus = 1 };	/* the stream stays on CPU 0 */
	unsigned pages = (unsigned)bench_arg(st, 0);
	struct bystanders *by;
	char err[160];

	(void)arg;
	if (!fx_init(&s.fx, st, &(struct fx_opts){
			.pages = pages, .cpus = (unsigned)bench_arg(st, 1) }))
		return;
	hm_set_cpu(s.fx.ctx, 0);
	/* Their pages follow the working set's. */
	by = bystanders_start(s.fx.ctx,
			      hm_page_to_pfn(s.fx.ctx, s.fx.pages[pages - 1]) + 1,
			      BYSTANDER_PAGES, err, sizeof(err));
	if (!by) {
		fx_fail(st, err);
		fx_fini(&s.fx);
		return;
	}
	stream_measure(&s, st);
	bystanders_stop(by);
	fx_report(&s.fx, st);
	fx_fini(&s.fx);
}
#endif

void BENCH_REGISTER(kmap_stream)(void)
{
	bench_def *b = bench_register(fx_name("kmap_stream"), kmap_stream, NULL);

	bench_arg_names(b, "pages", "cpus", NULL);
	fx_rows(b, 2, 22, (const int64_t[]){
		1, 1,  8, 1,  64, 1,  256, 1,  511, 1,  512, 1,  1024, 1,
		4096, 1,
		4096, 2,  4096, 4,  4096, 8,
	});
#ifdef BENCH_SIM
	b = bench_register(fx_name("kmap_stream_smp"), kmap_stream_smp, NULL);
	bench_arg_names(b, "pages", "cpus", NULL);
	fx_rows(b, 2, 8, (const int64_t[]){
		4096, 1,  4096, 2,  4096, 4,  4096, 8,
	});
#endif
}
