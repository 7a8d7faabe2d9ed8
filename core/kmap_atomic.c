/* SPDX-License-Identifier: MIT */
/*
 * kmap_atomic.c - temporary maps: kmap_atomic(), the legacy typed form,
 * and kmap_local_page().
 *
 * Each CPU owns a window of KM_TYPE_NR fixmap pages; slot @type of CPU @cpu
 * is __fix_to_virt(FIX_KMAP_BEGIN + type + KM_TYPE_NR * cpu).  Nested maps
 * take the slots as a stack (kmap_atomic_idx_push/pop), so they must be
 * undone in reverse order.  Nothing here sleeps or takes a lock: the slots
 * belong to one CPU, and preemption (kmap_atomic) or migration
 * (kmap_local_page) is off while they are in use.
 *
 * Unmapping, as on 32-bit ARM and pre-2.6.37 x86 (the seeds'
 * version): without CONFIG_DEBUG_HIGHMEM kunmap_atomic() leaves the PTE in
 * place and the next map of the slot overwrites it, flushing the stale
 * translation then; with it, the PTE is cleared and flushed on unmap and a
 * map checks that it finds the slot empty.  kunmap_local() always clears, as
 * mm/highmem.c does since 5.11.
 */
#include "core/internal.h"

static const char *const slot_kind_name[] = {
	[KMAP_SLOT_FREE] = "nothing",
	[KMAP_SLOT_ATOMIC] = "kmap_atomic",
	[KMAP_SLOT_LOCAL] = "kmap_local_page",
	[KMAP_SLOT_TYPED] = "typed kmap_atomic",
};

static void *kmap_slot_pte(struct hm_ctx *ctx, unsigned idx)
{
	return pte_offset(ctx->kmap_pte, -(long)idx, ctx->pae);
}

static hm_vaddr_t kmap_slot_vaddr(unsigned cpu, unsigned type)
{
	return __fix_to_virt(FIX_KMAP_BEGIN + type + KM_TYPE_NR * cpu);
}

/* Is @vaddr inside some CPU's temporary-map window? */
static bool in_kmap_window(const struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	return vaddr >= __fix_to_virt(ctx->layout.fix_kmap_end) &&
	       vaddr <= __fix_to_virt(FIX_KMAP_BEGIN);
}

static int kmap_atomic_idx_push(struct hm_ctx *ctx, struct hm_percpu *c,
				unsigned cpu)
{
	int idx = c->kmap_atomic_idx;

	if (BUG_ON_MSG(ctx, idx >= KM_TYPE_NR,
		       "more than KM_TYPE_NR (%d) nested temporary maps on "
		       "cpu %u", KM_TYPE_NR, cpu) ||
	    BUG_ON_MSG(ctx, c->slot_kind[idx] != KMAP_SLOT_FREE,
		       "temporary-map slot %d on cpu %u is held by a %s",
		       idx, cpu, slot_kind_name[c->slot_kind[idx]]))
		return -1;
	c->kmap_atomic_idx++;
	return idx;
}

/* Point slot @type of the current CPU at @page. */
static hm_vaddr_t kmap_slot_map(struct hm_ctx *ctx, struct hm_percpu *c,
				unsigned cpu, unsigned type,
				const struct page *page, enum kmap_slot_kind kind)
{
	if (HM_INJECT_BUG == 5)
		cpu = 0;
	unsigned idx = type + KM_TYPE_NR * cpu;
	hm_vaddr_t vaddr = kmap_slot_vaddr(cpu, type);
	void *ptep = kmap_slot_pte(ctx, idx);
	pte_t old = pte_read(ptep, ctx->pae);

	if (BUG_ON_MSG(ctx, ctx->cfg.debug_highmem && !pte_none(old),
		       "temporary-map slot %u of cpu %u is not empty (pte "
		       "%#llx): a kunmap is missing", type, cpu,
		       (unsigned long long)old))
		return 0;
	set_pte_at(ctx, vaddr, ptep,
		   pfn_pte(page_to_pfn(ctx, page), kmap_prot(ctx->pae)));
	/* A slot left mapped by a lazy kunmap_atomic() may still be in this
	 * CPU's TLB with its old frame. */
	if (!pte_none(old))
		flush_tlb_one_kernel(ctx, vaddr);
	c->slot_kind[type] = (uint8_t)kind;
	return vaddr;
}

/* Unmap the top of the stack, which must be @vaddr and of @kind. */
static bool kmap_stack_unmap(struct hm_ctx *ctx, struct hm_percpu *c,
			     unsigned cpu, hm_vaddr_t vaddr,
			     enum kmap_slot_kind kind, const char *what)
{
	int type = c->kmap_atomic_idx - 1;
	hm_vaddr_t expect;

	if (BUG_ON_MSG(ctx, type < 0,
		       "%s(%#x) on cpu %u, which has no temporary map", what,
		       vaddr, cpu))
		return false;
	expect = kmap_slot_vaddr(cpu, (unsigned)type);
	if (BUG_ON_MSG(ctx, vaddr != expect,
		       "%s(%#x) out of order on cpu %u: the last map there is "
		       "slot %d at %#x", what, vaddr, cpu, type, expect) ||
	    BUG_ON_MSG(ctx, c->slot_kind[type] != kind,
		       "%s(%#x) of a slot mapped by %s", what, vaddr,
		       slot_kind_name[c->slot_kind[type]]))
		return false;

	if ((ctx->cfg.debug_highmem && HM_INJECT_BUG != 4) ||
	    kind == KMAP_SLOT_LOCAL) {
		pte_clear(ctx, vaddr,
			  kmap_slot_pte(ctx, (unsigned)type + KM_TYPE_NR * cpu));
		flush_tlb_one_kernel(ctx, vaddr);
	}
	c->slot_kind[type] = KMAP_SLOT_FREE;
	c->kmap_atomic_idx--;		/* kmap_atomic_idx_pop() */
	return true;
}

/* An address handed to a kunmap that is not in the kmap window must be
 * one of the lowmem fast path's. */
static bool check_lowmem_vaddr(struct hm_ctx *ctx, hm_vaddr_t vaddr,
			       const char *what)
{
	return !BUG_ON_MSG(ctx, vaddr < ctx->layout.page_offset ||
				vaddr >= ctx->layout.high_memory,
			   "%s(%#x): neither a temporary map nor a lowmem "
			   "address", what, vaddr);
}

static bool kmap_page_ok(struct hm_ctx *ctx, const struct page *page,
			 const char *what)
{
	return !BUG_ON_MSG(ctx, !page_valid(ctx, page),
			   "%s of a page outside mem_map", what);
}

/**
 * hm_kmap_atomic - map a page in this CPU's next temporary slot
 * @page: the page, lowmem or highmem
 *
 * Disables preemption and page faults.  Lowmem pages return their
 * direct-map address without taking a slot.
 * Return: the address, or 0 after a BUG report.
 * Context: any; never sleeps.
 */
hm_vaddr_t hm_kmap_atomic(struct hm_ctx *ctx, struct page *page)
{
	unsigned cpu = hm_arch_smp_processor_id(ctx);
	struct hm_percpu *c = &ctx->cpu[cpu];
	hm_vaddr_t vaddr;
	int type;

	if (!kmap_page_ok(ctx, page, "kmap_atomic"))
		return 0;
	c->preempt_count++;		/* preempt_disable() */
	c->pagefault_disabled++;	/* pagefault_disable() */
	if (!PageHighMem(ctx, page))
		return page_address(ctx, page);

	type = kmap_atomic_idx_push(ctx, c, cpu);
	vaddr = type < 0 ? 0 : kmap_slot_map(ctx, c, cpu, (unsigned)type, page,
					      KMAP_SLOT_ATOMIC);
	if (!vaddr) {
		if (type >= 0)
			c->kmap_atomic_idx--;
		c->pagefault_disabled--;
		c->preempt_count--;
	}
	return vaddr;
}

/* Re-enable what kmap_atomic() disabled, refusing to go below zero. */
static bool atomic_enable(struct hm_ctx *ctx, struct hm_percpu *c,
			  unsigned cpu, hm_vaddr_t vaddr, const char *what)
{
	if (BUG_ON_MSG(ctx, c->preempt_count <= 0 || c->pagefault_disabled <= 0,
		       "%s(%#x) on cpu %u without a kmap_atomic: preempt_count "
		       "%d, pagefault_disabled %d", what, vaddr, cpu,
		       c->preempt_count, c->pagefault_disabled))
		return false;
	return true;
}

/**
 * hm_kunmap_atomic - undo the most recent hm_kmap_atomic() on this CPU
 * @vaddr: an address inside the page it returned
 */
void hm_kunmap_atomic(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	unsigned cpu = hm_arch_smp_processor_id(ctx);
	struct hm_percpu *c = &ctx->cpu[cpu];

	vaddr &= PAGE_MASK;
	if (!atomic_enable(ctx, c, cpu, vaddr, "kunmap_atomic"))
		return;
	if (in_kmap_window(ctx, vaddr)) {
		if (!kmap_stack_unmap(ctx, c, cpu, vaddr, KMAP_SLOT_ATOMIC,
				      "kunmap_atomic"))
			return;
	} else if (!check_lowmem_vaddr(ctx, vaddr, "kunmap_atomic")) {
		return;
	}
	c->pagefault_disabled--;	/* pagefault_enable() */
	c->preempt_count--;		/* preempt_enable() */
}

/**
 * hm_kmap_atomic_type - the legacy kmap_atomic(page, type)
 * @page: the page
 * @type: the slot, one of enum km_type
 *
 * Each type names a fixed slot of the CPU's window, so two users of one
 * type would overwrite each other: that, and a slot the index stack holds,
 * is reported.
 */
hm_vaddr_t hm_kmap_atomic_type(struct hm_ctx *ctx, struct page *page,
			       enum km_type type)
{
	unsigned cpu = hm_arch_smp_processor_id(ctx);
	struct hm_percpu *c = &ctx->cpu[cpu];
	hm_vaddr_t vaddr;

	if (!kmap_page_ok(ctx, page, "kmap_atomic_type") ||
	    BUG_ON_MSG(ctx, (unsigned)type >= KM_LEGACY_TYPES,
		       "kmap_atomic with unknown km_type %d", (int)type))
		return 0;
	c->preempt_count++;
	c->pagefault_disabled++;
	if (!PageHighMem(ctx, page))
		return page_address(ctx, page);

	vaddr = 0;
	if (!BUG_ON_MSG(ctx, c->slot_kind[type] != KMAP_SLOT_FREE,
			"kmap_atomic(.., %d) on cpu %u: the slot is held by a "
			"%s", (int)type, cpu, slot_kind_name[c->slot_kind[type]]))
		vaddr = kmap_slot_map(ctx, c, cpu, type, page, KMAP_SLOT_TYPED);
	if (!vaddr) {
		c->pagefault_disabled--;
		c->preempt_count--;
	}
	return vaddr;
}

/**
 * hm_kunmap_atomic_type - undo hm_kmap_atomic_type(page, @type)
 */
void hm_kunmap_atomic_type(struct hm_ctx *ctx, hm_vaddr_t vaddr,
			   enum km_type type)
{
	unsigned cpu = hm_arch_smp_processor_id(ctx);
	struct hm_percpu *c = &ctx->cpu[cpu];

	vaddr &= PAGE_MASK;
	if (BUG_ON_MSG(ctx, (unsigned)type >= KM_LEGACY_TYPES,
		       "kunmap_atomic with unknown km_type %d", (int)type) ||
	    !atomic_enable(ctx, c, cpu, vaddr, "kunmap_atomic_type"))
		return;
	if (in_kmap_window(ctx, vaddr)) {
		hm_vaddr_t expect = kmap_slot_vaddr(cpu, type);

		if (BUG_ON_MSG(ctx, vaddr != expect,
			       "kunmap_atomic(%#x, %d) on cpu %u: that type's "
			       "slot is at %#x", vaddr, (int)type, cpu, expect) ||
		    BUG_ON_MSG(ctx, c->slot_kind[type] != KMAP_SLOT_TYPED,
			       "kunmap_atomic(%#x, %d) of a slot mapped by %s",
			       vaddr, (int)type,
			       slot_kind_name[c->slot_kind[type]]))
			return;
		if (ctx->cfg.debug_highmem) {
			pte_clear(ctx, vaddr,
				  kmap_slot_pte(ctx, type + KM_TYPE_NR * cpu));
			flush_tlb_one_kernel(ctx, vaddr);
		}
		c->slot_kind[type] = KMAP_SLOT_FREE;
	} else if (!check_lowmem_vaddr(ctx, vaddr, "kunmap_atomic_type")) {
		return;
	}
	c->pagefault_disabled--;
	c->preempt_count--;
}

/**
 * hm_kmap_local_page - map a page for use by this thread on this CPU
 * @page: the page
 *
 * Like kmap_atomic() but leaves preemption and page faults alone: only
 * migration to another CPU is off until hm_kunmap_local().
 */
hm_vaddr_t hm_kmap_local_page(struct hm_ctx *ctx, struct page *page)
{
	unsigned cpu = hm_arch_smp_processor_id(ctx);
	struct hm_percpu *c = &ctx->cpu[cpu];
	hm_vaddr_t vaddr;
	int type;

	if (!kmap_page_ok(ctx, page, "kmap_local_page"))
		return 0;
	if (!PageHighMem(ctx, page))
		return page_address(ctx, page);

	type = kmap_atomic_idx_push(ctx, c, cpu);
	if (type < 0)
		return 0;
	vaddr = kmap_slot_map(ctx, c, cpu, (unsigned)type, page,
			      KMAP_SLOT_LOCAL);
	if (!vaddr) {
		c->kmap_atomic_idx--;
		return 0;
	}
	c->migrate_disabled++;		/* migrate_disable() */
	return vaddr;
}

/**
 * hm_kunmap_local - undo the most recent hm_kmap_local_page() on this CPU
 * @vaddr: an address inside the page it returned
 */
void hm_kunmap_local(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	unsigned cpu = hm_arch_smp_processor_id(ctx);
	struct hm_percpu *c = &ctx->cpu[cpu];

	vaddr &= PAGE_MASK;
	if (!in_kmap_window(ctx, vaddr)) {
		check_lowmem_vaddr(ctx, vaddr, "kunmap_local");
		return;
	}
	if (kmap_stack_unmap(ctx, c, cpu, vaddr, KMAP_SLOT_LOCAL,
			     "kunmap_local"))
		c->migrate_disabled--;	/* migrate_enable() */
}
