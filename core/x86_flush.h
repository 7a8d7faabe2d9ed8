/* SPDX-License-Identifier: MIT */
/*
 * x86_flush.h - x86's flush_tlb_kernel_range() policy, and how every x86
 * backend counts it, written once.
 *
 * arch/x86/mm/tlb.c: a range of up to tlb_single_page_flush_ceiling pages
 * (TLB_SINGLE_PAGE_FLUSH_CEILING, layout.h) is dropped page by page with
 * invlpg; a larger one flushes the whole TLB.  On every CPU.
 */
#ifndef HM_X86_FLUSH_H
#define HM_X86_FLUSH_H

#include "core/internal.h"

/* Does flushing [start, end) take the whole TLB? */
static inline bool hm_x86_flush_is_whole(hm_vaddr_t start, hm_vaddr_t end)
{
	return ((uint64_t)end - start) >> PAGE_SHIFT >
	       TLB_SINGLE_PAGE_FLUSH_CEILING;
}

/* One CPU's part of the flush: @one for each page, or @all once. */
static inline void hm_x86_flush_range_local(hm_vaddr_t start, hm_vaddr_t end,
					    void (*one)(void *arg,
							hm_vaddr_t vaddr),
					    void (*all)(void *arg), void *arg)
{
	if (hm_x86_flush_is_whole(start, end)) {
		all(arg);
		return;
	}
	for (uint64_t va = start; va < end; va += PAGE_SIZE)
		one(arg, (hm_vaddr_t)va);
}

/*
 * The IPIs one flush_tlb_kernel_range() sends: on_each_cpu() reaches every
 * online CPU but the caller, busy or idle, and every CPU of the machine is
 * online from boot - one that has run nothing yet too.  So N - 1 on N
 * CPUs, whichever CPUs have run (core/wrap_ipi_test.c works a case out).
 */
static inline unsigned hm_x86_flush_ipis(const struct hm_ctx *ctx)
{
	return ctx->cfg.nr_cpus - 1;
}

/*
 * The counts of one flush_tlb_kernel_range() on a machine of nr_cpus CPUs
 * (the core has counted tlb_flush_range): tlb_ipis, the other CPUs it
 * reaches; tlb_flush_all, the CPUs whose TLB it flushes whole (every one,
 * or none).  In the initiating CPU's counters, for backends whose other
 * CPUs cannot count their own part (the minimal backend has no TLB; the
 * guest's other vCPUs flush in entry.S).  The simulator counts tlb_ipis
 * by hm_x86_flush_ipis() too (sim_ipi.c) and comes to the same
 * tlb_flush_all by counting each CPU's flush as its TLB does it
 * (sim_mmu.c), so every counter compares across backends.  Returns
 * whether the flush is whole.
 */
static inline bool hm_x86_flush_count(struct hm_ctx *ctx, hm_vaddr_t start,
				      hm_vaddr_t end)
{
	struct hm_stats *s = &this_cpu(ctx)->stats;
	bool whole = hm_x86_flush_is_whole(start, end);

	s->tlb_ipis += hm_x86_flush_ipis(ctx);
	if (whole)
		s->tlb_flush_all += ctx->cfg.nr_cpus;
	return whole;
}

#endif /* HM_X86_FLUSH_H */
