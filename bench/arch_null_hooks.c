/* SPDX-License-Identifier: MIT */
/*
 * arch_null_hooks.c - the arch hooks of core/arch.h for the minimal
 * backend: store PTEs, count flushes, nothing else.  Freestanding.
 *
 * //bench:nullcore_obj compiles this in one unit with the core's sources,
 * so the hooks inline into the core as the kernel's inline set_pte,
 * invlpg, smp_processor_id and spin_lock do.  See arch_null.c.
 */
#include "core/internal.h"
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

/* A whole flush on every CPU above the ceiling, counted per CPU as the
 * simulator counts it, so the rows' flush_all columns compare. */
void hm_arch_flush_tlb_kernel_range(struct hm_ctx *ctx, hm_vaddr_t start,
				    hm_vaddr_t end)
{
	this_cpu(ctx)->stats.tlb_ipis += ctx->cfg.nr_cpus - 1;
	if (((uint64_t)end - start) >> PAGE_SHIFT > TLB_SINGLE_PAGE_FLUSH_CEILING)
		this_cpu(ctx)->stats.tlb_flush_all += ctx->cfg.nr_cpus;
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

/* Never sleeps: a kmap that would wait is a BUG (cfg.wait_timeout_ms). */
bool hm_arch_sleep(struct hm_ctx *ctx, struct hm_waitqueue *wq, uint32_t seq,
		   hm_spinlock_t *lock)
{
	(void)ctx;
	(void)wq;
	(void)seq;
	(void)lock;
	return false;
}

void hm_arch_wake_up(struct hm_ctx *ctx, struct hm_waitqueue *wq)
{
	(void)ctx;
	wq->seq++;
}

/* Reported by arch_null.c, which has stdio. */
void hm_arch_bug(struct hm_ctx *ctx, const struct hm_bug *bug)
{
	(void)ctx;
	hm_bug_default(0, bug);
}
