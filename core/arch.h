/* SPDX-License-Identifier: MIT */
/*
 * arch.h - the whole contract between the core and a machine (a backend).
 *
 * A backend provides:
 *  1. the hooks the core calls (hm_arch_*, below).  The build checks that
 *     the freestanding core leaves only these undefined
 *     (//core:core_freestanding_test) and uses every one;
 *  2. hm_bug_default() (highmem.h): where a BUG goes when nobody set a
 *     handler.  Hosted backends take core/machine.c's (stderr, abort);
 *  3. for a hosted backend, the machine hooks hm_mach_* (below):
 *     core/machine.c writes hm_create(), hm_destroy() and hm_set_cpu()
 *     over them, once for every backend.  A backend without an allocator
 *     (the kvm_runner guest) sets its context up itself, with
 *     hm_ctx_setup() and hm_core_init(), into memory it owns.
 *
 * The core writes the rest once for every backend (core/lifecycle.c):
 * hm_reset() (the core's state, then hm_arch_reset(), then every counter
 * zeroed: the state hm_create() left), hm_smp_processor_id().
 * core/arch_up.c holds the hooks of a machine that runs one op at a time
 * (never sleeps, wakes by a counter, BUG to hm_bug_default(), nothing of
 * its own to reset); core/x86_flush.h the x86 flush policy and how every
 * x86 backend counts it.
 *
 * core/sim/ is the user-space simulator (MMU, TLBs, threads as CPUs);
 * bench/arch_null*.c the benchmarks' minimal backend; kvm_runner/guest/
 * real page tables and invlpg in a KVM guest.
 */
#ifndef HM_ARCH_H
#define HM_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/highmem.h"

struct hm_ctx;
struct hm_waitqueue;

/* A spinlock.  The arch decides how to spin; the core only takes it. */
typedef struct {
	uint32_t locked;
} hm_spinlock_t;

/* ---- 1. Hooks the core calls ------------------------------------------- */

/* Page tables: write @pte (0 clears it) into the entry at @ptep, which maps
 * @vaddr.  The entry's width follows the context's PAE setting. */
void hm_arch_set_pte(struct hm_ctx *ctx, hm_vaddr_t vaddr, void *ptep,
		     uint64_t pte);

/* TLB: drop this CPU's translation of @vaddr (invlpg). */
void hm_arch_flush_tlb_one(struct hm_ctx *ctx, hm_vaddr_t vaddr);
/* TLB: drop [start, end) on every CPU and return only when all have done it.
 * x86 backends follow core/x86_flush.h (page by page or whole, as the
 * context's kernel profile says) and count as it says. */
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

/* hm_reset(): the machine's own state back to what creation left (the
 * simulator: its TLB counters).  The core has already dropped every map,
 * flushed and zeroed its counters. */
void hm_arch_reset(struct hm_ctx *ctx);

/* ---- 2. Machine hooks of a hosted backend (core/machine.c) -------------- */

/* The frames below HM_FIRST_FREE_PFN (core/highmem.h) are the machine's
 * own (page tables, the kernel's image): mem_map marks them PG_reserved. */

/*
 * hm_mach_create - build the machine under @ctx
 *
 * machine.c has checked cfg, filled cfg, pae, max_pfn, max_low_pfn,
 * first_free_pfn and layout (hm_ctx_setup) and allocated mem_map.  Set
 * ctx->arch and build page tables in which the PKMAP and fixmap entries
 * are clear; return them in *@pkmap_pt and *@fixmap_pt.  On failure write
 * why into @why and return false: hm_mach_destroy() follows.
 */
bool hm_mach_create(struct hm_ctx *ctx, void **pkmap_pt, void **fixmap_pt,
		    char *why, size_t n);
/* Free what hm_mach_create() built, even half-built (ctx->arch may be
 * NULL).  machine.c frees mem_map and the context. */
void hm_mach_destroy(struct hm_ctx *ctx);
/* The CPU the calling thread runs, if it has taken one yet. */
bool hm_mach_this_cpu(struct hm_ctx *ctx, unsigned *cpu);
/* Run the calling thread on @cpu from now on: machine.c has checked that
 * it may go (hm_cpu_may_move). */
void hm_mach_set_cpu(struct hm_ctx *ctx, unsigned cpu);

/* ---- 3. What the core gives every backend (core/lifecycle.c) ------------ */

/* cfg, profile, pae, max_pfn, max_low_pfn, first_free_pfn and layout
 * from @cfg and its kernel profile: the part of making a machine that is
 * the same on every one.  Then the backend builds its page tables and
 * calls hm_core_init().  Returns NULL, or why the profile's layout cannot
 * be made (@ctx is then untouched). */
const char *hm_ctx_setup(struct hm_ctx *ctx, const struct hm_config *cfg,
			 uint64_t first_free_pfn);
/* After hm_reset(), a new @cfg on the same page tables: NULL, or why it
 * would need others (another kernel, PAE, RAM, PKMAP_BASE, end of lowmem
 * or fixmap tables); @ctx is then unchanged. */
const char *hm_ctx_reconfigure(struct hm_ctx *ctx,
			       const struct hm_config *cfg);

#endif /* HM_ARCH_H */
