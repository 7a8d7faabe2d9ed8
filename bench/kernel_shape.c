/* SPDX-License-Identifier: MIT */
/*
 * kernel_shape.c - the shape of the kernel's own kmap_atomic() and
 * kunmap_atomic(), written again in a few lines over the core's context
 * and arch hooks, so that one callgrind run can say how far the core's
 * fast path is from the kernel's (row core@linux-4.7/kmap_atomic_kernel_shape).
 *
 * The shape is x86_32's kmap_atomic_prot() and __kunmap_atomic() of Linux
 * 4.x without CONFIG_DEBUG_HIGHMEM: disable preemption and page faults; a
 * lowmem page returns its direct-map address; push the per-CPU index;
 * slot = index + KM_TYPE_NR * cpu; write the PTE.  The unmap: if the
 * address is in the fixmap window, clear the slot's PTE and invlpg it, pop
 * the index; enable page faults and preemption.  It checks nothing, as the
 * kernel's non-debug build does not, and counts nothing.  What the kernel
 * fixes when it is built is fixed here too, which the core cannot do: PAE
 * (8-byte PTEs, written directly as a PAE kernel's set_pte() does), the
 * layout of linux-4.7 (the default profile, which the benchmarks' core
 * follows: FIX_KMAP_BEGIN 69, KM_TYPE_NR 20, __FIXADDR_TOP 0xfffff000) and
 * the window's end (NR_CPUS windows: HM_MAX_CPUS here).  The CPU number
 * comes through the same hook as the core's.
 *
 * What the core does on top, every one of them something a test asserts:
 * the page must be one of mem_map's (BUG otherwise); the pushed slot must
 * be free and the stack not full; the unmap must name the top of the stack,
 * mapped by kmap_atomic (not kmap_local_page or a typed map), else a BUG
 * that leaves the state as it was; the PTE width and debug mode are chosen
 * at run time, and so is the layout (the kernel profile); the map checks
 * the slot's PTE is empty (the kernel's BUG_ON(!pte_none), which this
 * shape leaves out); PTE writes and flushes are counted per CPU.  Both
 * clear on unmap as x86 does: two PTE writes (set, clear) and an invlpg a
 * pair.
 *
 * Only the benchmarks call this; it is not part of the core.
 */
#include "core/internal.h"
#include "bench/kernel_shape.h"

/* What a linux-4.7 x86_32 build fixes at compile time (core/profile.c's
 * linux-4.7 for the .config it states). */
#define KS_KM_TYPE_NR		20
#define KS_FIX_KMAP_BEGIN	69
#define KS_FIXADDR_TOP		0xFFFFF000u
#define ks_fix_to_virt(x)	(KS_FIXADDR_TOP - ((hm_vaddr_t)(x) << PAGE_SHIFT))

/* The fixmap slot @idx's PTE, in a PAE kernel's table. */
static inline pte64_t *ks_pte(struct hm_ctx *ctx, int idx)
{
	return (pte64_t *)ctx->kmap_pte - idx;
}

hm_vaddr_t hm_ks_kmap_atomic(struct hm_ctx *ctx, struct hm_ks_cpu *ks,
			     struct page *page)
{
	unsigned cpu = hm_arch_smp_processor_id(ctx);
	struct hm_ks_cpu *c = &ks[cpu];
	int type, idx;

	c->preempt_count++;		/* preempt_disable() */
	c->pagefault_disabled++;	/* pagefault_disable() */
	if (!PageHighMem(ctx, page))
		return lowmem_page_address(ctx, page);
	type = c->kmap_atomic_idx++;	/* kmap_atomic_idx_push() */
	idx = type + KS_KM_TYPE_NR * (int)cpu;
	*ks_pte(ctx, idx) = pfn_pte(page_to_pfn(ctx, page), ctx->kmap_prot);
	return ks_fix_to_virt(KS_FIX_KMAP_BEGIN + idx);
}

void hm_ks_kunmap_atomic(struct hm_ctx *ctx, struct hm_ks_cpu *ks,
			 hm_vaddr_t vaddr)
{
	unsigned cpu = hm_arch_smp_processor_id(ctx);
	struct hm_ks_cpu *c = &ks[cpu];

	vaddr &= PAGE_MASK;
	if (vaddr >= ks_fix_to_virt(KS_FIX_KMAP_BEGIN +
				    KS_KM_TYPE_NR * HM_MAX_CPUS - 1) &&
	    vaddr <= ks_fix_to_virt(KS_FIX_KMAP_BEGIN)) {
		int idx = c->kmap_atomic_idx - 1 + KS_KM_TYPE_NR * (int)cpu;

		*ks_pte(ctx, idx) = 0;		/* kpte_clear_flush() */
		hm_arch_flush_tlb_one(ctx, vaddr);
		c->kmap_atomic_idx--;		/* kmap_atomic_idx_pop() */
	}
	c->pagefault_disabled--;	/* pagefault_enable() */
	c->preempt_count--;		/* preempt_enable() */
}
