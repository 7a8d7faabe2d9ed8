/* SPDX-License-Identifier: MIT */
/*
 * arch_null_hooks.c - the arch hooks of core/arch.h for the minimal
 * backend: store PTEs, count flushes, nothing else.  Freestanding.  Sleep,
 * wake-up, BUG and reset are the uniprocessor defaults of core/arch_up.c.
 *
 * //bench:nullcore_obj compiles this in one unit with the core's sources,
 * so the hooks inline into the core as the kernel's inline set_pte,
 * invlpg, smp_processor_id and spin_lock do.  See arch_null.c.
 */
#include "core/internal.h"
#include "core/x86_flush.h"
#include "bench/arch_null.h"

static inline struct null_arch *null_of(struct hm_ctx *ctx)
{
	return ctx->arch;
}

void hm_arch_set_pte(struct hm_ctx *ctx, hm_vaddr_t vaddr, void *ptep,
		     uint64_t pte)
{
	(void)vaddr;
	if (ctx->pae)
		*(uint64_t *)ptep = pte;
	else
		*(uint32_t *)ptep = (uint32_t)pte;
}

/* No TLB: nothing to drop.  (The core counts the call.) */
void hm_arch_flush_tlb_one(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	(void)ctx;
	(void)vaddr;
}

/* No TLB to flush: only the counts every x86 backend keeps
 * (core/x86_flush.h), so the rows' flush_all and ipis columns compare. */
void hm_arch_flush_tlb_kernel_range(struct hm_ctx *ctx, hm_vaddr_t start,
				    hm_vaddr_t end)
{
	hm_x86_flush_count(ctx, start, end);
}

unsigned hm_arch_smp_processor_id(struct hm_ctx *ctx)
{
	return null_of(ctx)->cpu;
}

/* One thread: the lock is a flag, as a uniprocessor kernel's would be
 * nothing at all. */
void hm_arch_spin_lock(struct hm_ctx *ctx, hm_spinlock_t *lock)
{
	(void)ctx;
	lock->locked = 1;
}

void hm_arch_spin_unlock(struct hm_ctx *ctx, hm_spinlock_t *lock)
{
	(void)ctx;
	lock->locked = 0;
}
