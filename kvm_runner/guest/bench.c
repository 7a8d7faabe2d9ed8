/* SPDX-License-Identifier: MIT */
/*
 * bench.c - the guest's benchmark mode (HM_MB_CMD_BENCH): one operation of
 * the core, N times between two rdtsc, on the real page tables, with real
 * invlpg and whole-TLB flushes.
 *
 * Every loop has the same shape, so what differs between two of them is
 * the operation: page i of the working set, then i + 1, round and round,
 * and the value loaded (or the address returned) stored to a volatile
 * sink.  The floor is the least any map of a page can cost: write the PTE
 * of kmap_atomic's own slot (two 32-bit stores, high half first, as
 * native_set_pte), invlpg the address, load through it.  A kmap_atomic
 * pair does that, clears the PTE and invlpgs it again at the unmap, and
 * keeps its books.
 */
#include "kvm_runner/guest/guest.h"

static volatile uint32_t sink;

/* The loops: @body with i the page's index in the set, @n times. */
#define LOOP(n, np, body)                                                  \
	do {                                                               \
		uint32_t i = *idx;                                         \
		for (uint32_t it_ = 0; it_ < (n); it_++) {                 \
			body;                                              \
			if (++i == (np))                                   \
				i = 0;                                     \
		}                                                          \
		*idx = i;                                                  \
	} while (0)

static inline uint32_t load(hm_vaddr_t va)
{
	return *(volatile uint32_t *)va;
}

static void floor_loop(struct hm_ctx *ctx, uint32_t first_pfn, uint32_t n,
		       uint32_t np, uint32_t *idx)
{
	volatile uint32_t *p = kmap_slot(&ctx->cpu[0], 0)->ptep;
	hm_vaddr_t va = kmap_slot(&ctx->cpu[0], 0)->vaddr;
	pte_t prot = ctx->kmap_prot;

	LOOP(n, np, {
		uint64_t pte = ((uint64_t)(first_pfn + i) << PAGE_SHIFT) | prot;

		p[1] = (uint32_t)(pte >> 32);
		__asm__ volatile("" ::: "memory");
		p[0] = (uint32_t)pte;
		invlpg(va);
		sink = load(va);
	});
}

static void run_op(struct hm_ctx *ctx, uint32_t op, struct page *base,
		   uint32_t first_pfn, uint32_t n, uint32_t np, uint32_t *idx)
{
	switch (op) {
	case HM_BENCH_FLOOR:
		floor_loop(ctx, first_pfn, n, np, idx);
		break;
	case HM_BENCH_KMAP_ATOMIC:
	case HM_BENCH_KMAP_ATOMIC_DEBUG:
		LOOP(n, np, {
			hm_vaddr_t v = hm_kmap_atomic(ctx, base + i);

			sink = load(v);
			hm_kunmap_atomic(ctx, v);
		});
		break;
	case HM_BENCH_KMAP_LOCAL:
		LOOP(n, np, {
			hm_vaddr_t v = hm_kmap_local_page(ctx, base + i);

			sink = load(v);
			hm_kunmap_local(ctx, v);
		});
		break;
	case HM_BENCH_KMAP_HIT:
	case HM_BENCH_KMAP_STREAM:
		LOOP(n, np, {
			sink = load(hm_kmap(ctx, base + i));
			hm_kunmap(ctx, base + i);
		});
		break;
	case HM_BENCH_PAGE_ADDRESS_LOW:
	case HM_BENCH_PAGE_ADDRESS_HIGH:
		LOOP(n, np, { sink = hm_page_address(ctx, base + i); });
		break;
	}
}

/*
 * How many iterations to time between two rdtsc: about
 * bench_chunk_cycles' worth, from what the warm-up cost.  On a host that
 * emulates the guest, a chunk of a millisecond or so is rarely cut by the
 * host's scheduler, so the fastest chunk is the operation's own cost.  The
 * stream's chunks span whole wrap periods (LAST_PKMAP maps), so each has
 * its flush.  0 (or counting instructions): one chunk.
 */
static uint32_t chunk_size(const struct hm_mailbox *mb, uint64_t warm)
{
	uint32_t n = mb->bench_iters, c = n, period;

	if (mb->bench_chunk_cycles && !mb->bench_count && mb->bench_warmup &&
	    warm) {
		/* 32-bit division: no libgcc here for a 64-bit one. */
		uint32_t w = warm > 0xFFFFFFFFull ? 0xFFFFFFFFu : (uint32_t)warm;
		uint32_t per = w / mb->bench_warmup;

		c = per ? mb->bench_chunk_cycles / per : n;
	}
	if (c < 1)
		c = 1;	/* before the rounding: a slow op's chunk is still
			 * a whole period */
	if (mb->bench_op == HM_BENCH_KMAP_STREAM) {
		period = LAST_PKMAP(&guest_ctx.layout);
		c = (c + period - 1) / period * period;
	}
	return c > n ? (n ? n : 1) : c;
}

void guest_bench(struct hm_mailbox *mb)
{
	struct hm_ctx *ctx = &guest_ctx;
	uint32_t op = mb->bench_op, np = mb->bench_pages;
	bool lowmem = op == HM_BENCH_PAGE_ADDRESS_LOW;
	uint32_t first_pfn, limit;
	struct hm_stats before, after;
	struct page *base;
	uint64_t t0, t1, warm, total = 0, best = ~0ull;
	uint32_t chunk, acks;
	uint32_t i = 0;	/* the next page: timing goes on where warm-up stopped */

	if (op >= HM_BENCH__NR)
		guest_panic("benchmark op %u: no such op", op);
	/* the kernel whose tables the host built */
	guest_core_prepare(1, HM_MB_BUG_FATAL |
			   ((uint32_t)ctx->cfg.kernel << HM_MB_KERNEL_SHIFT) |
			   (op == HM_BENCH_KMAP_ATOMIC_DEBUG ?
			    HM_MB_DEBUG_HIGHMEM : 0));
	first_pfn = lowmem ? (uint32_t)ctx->first_free_pfn :
			     (uint32_t)ctx->max_low_pfn;
	limit = lowmem ? (uint32_t)ctx->max_low_pfn : (uint32_t)ctx->max_pfn;
	if (!np || np > limit - first_pfn)
		guest_panic("benchmark working set of %u pages: %u fit", np,
			    limit - first_pfn);
	base = hm_pfn_to_page(ctx, first_pfn);

	/* Pinned pages: one kmap each, kept (kmap_hit, page_address_high). */
	if (op == HM_BENCH_KMAP_HIT || op == HM_BENCH_PAGE_ADDRESS_HIGH)
		for (uint32_t j = 0; j < np; j++)
			hm_kmap(ctx, base + j);
	t0 = rdtsc();
	run_op(ctx, op, base, first_pfn, mb->bench_warmup, np, &i);
	warm = rdtsc() - t0;
	chunk = chunk_size(mb, warm);

	hm_stats(ctx, &before);
	acks = guest_smp_acks();
	if (mb->bench_count)
		outb(HM_PORT_MARK, 0);
	for (uint32_t left = mb->bench_iters, c; left; left -= c) {
		c = left < chunk ? left : chunk;
		t0 = rdtsc();
		run_op(ctx, op, base, first_pfn, c, np, &i);
		t1 = rdtsc() - t0;
		total += t1;
		if (c == chunk && t1 < best)
			best = t1;
	}
	if (mb->bench_count)
		outb(HM_PORT_MARK, 1);
	hm_stats(ctx, &after);
	mb->smp_bench_acks = guest_smp_acks() - acks;

	if (op == HM_BENCH_FLOOR) {
		/* Not the core: count what the loop did. */
		after = before;
		after.pte_writes += mb->bench_iters;
		after.tlb_flush_one += mb->bench_iters;
		guest_set_pte(kmap_slot(&ctx->cpu[0], 0)->ptep, 0);
		invlpg(kmap_slot(&ctx->cpu[0], 0)->vaddr);
	}
#define DELTA(field, what) after.field -= before.field;
	HM_STATS_FIELDS(DELTA)
#undef DELTA
	guest_put_stats(mb, &after);
	mb->bench_chunk = chunk;
	mb->bench_cycles = total;
	mb->bench_best_cycles = best == ~0ull ? total : best;
	mb->ops_done = mb->bench_iters;
	mb->outcome = 0;
}
