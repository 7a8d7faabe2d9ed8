/* SPDX-License-Identifier: MIT */
/*
 * arch.h - the one narrow interface between the core and a machine.
 *
 * The core calls nothing else: a backend provides exactly these functions.
 * core/sim/ provides them over a simulated MMU and TLB in user space; the
 * kvm_runner guest provides them over real page tables and invlpg.  The
 * build checks that the core's objects leave only these undefined.
 */
#ifndef HM_ARCH_H
#define HM_ARCH_H

#include <stdbool.h>
#include <stdint.h>

struct hm_ctx;
struct hm_bug;
struct hm_waitqueue;

/* Page tables: write @pte (0 clears it) into the entry at @ptep, which maps
 * @vaddr.  The entry's width follows the context's PAE setting. */
void hm_arch_set_pte(struct hm_ctx *ctx, hm_vaddr_t vaddr, void *ptep,
		     uint64_t pte);

/* TLB: drop this CPU's translation of @vaddr (invlpg). */
void hm_arch_flush_tlb_one(struct hm_ctx *ctx, hm_vaddr_t vaddr);
/* TLB: drop [start, end) on every CPU and return only when all have done it
 * (x86: page by page up to TLB_SINGLE_PAGE_FLUSH_CEILING, else whole). */
void hm_arch_flush_tlb_kernel_range(struct hm_ctx *ctx, hm_vaddr_t start,
				    hm_vaddr_t end);

/* The CPU the caller runs on, below cfg.nr_cpus. */
unsigned hm_arch_smp_processor_id(struct hm_ctx *ctx);

/* Locks. */
void hm_arch_spin_lock(struct hm_ctx *ctx, hm_spinlock_t *lock);
void hm_arch_spin_unlock(struct hm_ctx *ctx, hm_spinlock_t *lock);

/* Sleep and wake-up.  hm_arch_sleep() is called with @lock held and
 * wq->nr_waiters counting the caller; it drops @lock, sleeps until
 * wq->seq differs from @seq (the value read under @lock), retakes @lock.
 * Returns false when it gave up (cfg.wait_timeout_ms passed, or sleeping
 * is not possible at all). */
bool hm_arch_sleep(struct hm_ctx *ctx, struct hm_waitqueue *wq, uint32_t seq,
		   hm_spinlock_t *lock);
void hm_arch_wake_up(struct hm_ctx *ctx, struct hm_waitqueue *wq);

/* The BUG() sink when no handler is set: report and stop the machine. */
void hm_arch_bug(struct hm_ctx *ctx, const struct hm_bug *bug);

#endif /* HM_ARCH_H */
