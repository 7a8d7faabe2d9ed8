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
 *
 * This is the path callers take most, so it is written for speed the way
 * the kernel's is: each CPU's window base is computed once (hm_percpu's
 * kmap_vaddr and kmap_pte), the checks are single compares, and whatever
 * reports a misuse lives out of line in the *_bug() functions below.
 */
#include "core/internal.h"

static const char *const slot_kind_name[] = {
	[KMAP_SLOT_FREE] = "nothing",
	[KMAP_SLOT_ATOMIC] = "kmap_atomic",
	[KMAP_SLOT_LOCAL] = "kmap_local_page",
	[KMAP_SLOT_TYPED] = "typed kmap_atomic",
};

static inline unsigned cpu_of(const struct hm_ctx *ctx,
			      const struct hm_percpu *c)
{
	return (unsigned)(c - ctx->cpu);
}

/* Slot @type of the CPU @c: its address, and its PTE (the fixmap grows
 * downwards, so both go down as @type goes up). */
static inline hm_vaddr_t slot_vaddr(const struct hm_percpu *c, unsigned type)
{
	return c->kmap_vaddr - (type << PAGE_SHIFT);
}

static inline void *slot_pte(const struct hm_ctx *ctx,
			     const struct hm_percpu *c, unsigned type)
{
	return (char *)c->kmap_pte - ((size_t)type << (ctx->pae ? 3 : 2));
}

/* Is @vaddr inside some CPU's temporary-map window? */
static inline bool in_kmap_window(const struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	return vaddr >= __fix_to_virt(ctx->layout.fix_kmap_end) &&
	       vaddr <= __fix_to_virt(FIX_KMAP_BEGIN);
}

static inline bool lowmem_vaddr(const struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	return vaddr >= ctx->layout.page_offset &&
	       vaddr < ctx->layout.high_memory;
}

/* ---- Reports, out of line ------------------------------------------------ */

static __attribute__((noinline, cold)) void
bad_page_bug(struct hm_ctx *ctx, const char *what)
{
	BUG_MSG(ctx, "%s of a page outside mem_map", what);
}

/* kmap_atomic_idx_push() refused: the stack is full, or its next slot is
 * held by a typed map. */
static __attribute__((noinline, cold)) void
slot_push_bug(struct hm_ctx *ctx, const struct hm_percpu *c)
{
	int idx = c->kmap_atomic_idx;

	if (idx >= KM_TYPE_NR)
		BUG_MSG(ctx, "more than KM_TYPE_NR (%d) nested temporary maps "
			"on cpu %u", KM_TYPE_NR, cpu_of(ctx, c));
	else
		BUG_MSG(ctx, "temporary-map slot %d on cpu %u is held by a %s",
			idx, cpu_of(ctx, c), slot_kind_name[c->slot_kind[idx]]);
}

static __attribute__((noinline, cold)) void
slot_not_empty_bug(struct hm_ctx *ctx, const struct hm_percpu *c,
		   unsigned type, pte_t old)
{
	BUG_MSG(ctx, "temporary-map slot %u of cpu %u is not empty (pte %#llx): "
		"a kunmap is missing", type, cpu_of(ctx, c),
		(unsigned long long)old);
}

/* The top of the stack was not @vaddr of @kind: say what it was. */
static __attribute__((noinline, cold)) void
slot_pop_bug(struct hm_ctx *ctx, const struct hm_percpu *c, hm_vaddr_t vaddr,
	     const char *what)
{
	int type = c->kmap_atomic_idx - 1;

	if (type < 0)
		BUG_MSG(ctx, "%s(%#x) on cpu %u, which has no temporary map",
			what, vaddr, cpu_of(ctx, c));
	else if (vaddr != slot_vaddr(c, (unsigned)type))
		BUG_MSG(ctx, "%s(%#x) out of order on cpu %u: the last map "
			"there is slot %d at %#x", what, vaddr, cpu_of(ctx, c),
			type, slot_vaddr(c, (unsigned)type));
	else
		BUG_MSG(ctx, "%s(%#x) of a slot mapped by %s", what, vaddr,
			slot_kind_name[c->slot_kind[type]]);
}

static __attribute__((noinline, cold)) void
unbalanced_bug(struct hm_ctx *ctx, const struct hm_percpu *c,
	       hm_vaddr_t vaddr, const char *what)
{
	BUG_MSG(ctx, "%s(%#x) on cpu %u without a kmap_atomic: preempt_count "
		"%d, pagefault_disabled %d", what, vaddr, cpu_of(ctx, c),
		c->preempt_count, c->pagefault_disabled);
}

static __attribute__((noinline, cold)) void
bad_vaddr_bug(struct hm_ctx *ctx, hm_vaddr_t vaddr, const char *what)
{
	BUG_MSG(ctx, "%s(%#x): neither a temporary map nor a lowmem address",
		what, vaddr);
}

static __attribute__((noinline, cold)) void
typed_bug(struct hm_ctx *ctx, const struct hm_percpu *c, int type,
	  hm_vaddr_t vaddr, const char *what)
{
	if ((unsigned)type >= KM_LEGACY_TYPES)
		BUG_MSG(ctx, "%s with unknown km_type %d", what, type);
	else if (!vaddr)
		BUG_MSG(ctx, "kmap_atomic(.., %d) on cpu %u: the slot is held "
			"by a %s", type, cpu_of(ctx, c),
			slot_kind_name[c->slot_kind[type]]);
	else if (vaddr != slot_vaddr(c, (unsigned)type))
		BUG_MSG(ctx, "kunmap_atomic(%#x, %d) on cpu %u: that type's "
			"slot is at %#x", vaddr, type, cpu_of(ctx, c),
			slot_vaddr(c, (unsigned)type));
	else
		BUG_MSG(ctx, "kunmap_atomic(%#x, %d) of a slot mapped by %s",
			vaddr, type, slot_kind_name[c->slot_kind[type]]);
}

/* ---- Slots ------------------------------------------------------------------ */

/* Point slot @type of CPU @c at @page; 0 after a report. */
static inline hm_vaddr_t slot_map(struct hm_ctx *ctx, struct hm_percpu *c,
				  unsigned type, const struct page *page,
				  enum kmap_slot_kind kind)
{
	hm_vaddr_t vaddr = slot_vaddr(c, type);
	void *ptep = slot_pte(ctx, c, type);
	pte_t old = pte_read(ptep, ctx->pae);

	if (__builtin_expect(ctx->cfg.debug_highmem && !pte_none(old), 0)) {
		slot_not_empty_bug(ctx, c, type, old);
		return 0;
	}
	c->stats.pte_writes++;
	hm_arch_set_pte(ctx, vaddr, ptep,
			pfn_pte(page_to_pfn(ctx, page), ctx->kmap_prot));
	/* A slot left mapped by a lazy kunmap_atomic() may still be in this
	 * CPU's TLB with its old frame. */
	if (!pte_none(old)) {
		c->stats.tlb_flush_one++;
		hm_arch_flush_tlb_one(ctx, vaddr);
	}
	c->slot_kind[type] = (uint8_t)kind;
	return vaddr;
}

/* kmap_atomic_idx_push() and the map: the next slot of the stack. */
static inline hm_vaddr_t slot_push(struct hm_ctx *ctx, struct hm_percpu *c,
				   const struct page *page,
				   enum kmap_slot_kind kind)
{
	int type = c->kmap_atomic_idx;
	hm_vaddr_t vaddr;

	if (__builtin_expect(type >= KM_TYPE_NR ||
			     c->slot_kind[type] != KMAP_SLOT_FREE, 0)) {
		slot_push_bug(ctx, c);
		return 0;
	}
	vaddr = slot_map(ctx, c, (unsigned)type, page, kind);
	if (vaddr)
		c->kmap_atomic_idx = type + 1;
	return vaddr;
}

/* Clear slot @type's PTE and drop it from this CPU's TLB. */
static inline void slot_clear(struct hm_ctx *ctx, struct hm_percpu *c,
			      unsigned type, hm_vaddr_t vaddr)
{
	c->stats.pte_writes++;
	hm_arch_set_pte(ctx, vaddr, slot_pte(ctx, c, type), 0);
	c->stats.tlb_flush_one++;
	hm_arch_flush_tlb_one(ctx, vaddr);
}

/* kmap_atomic_idx_pop() and the unmap: the top of the stack, which must be
 * @vaddr and of @kind.  @clear: also clear its PTE. */
static inline bool slot_pop(struct hm_ctx *ctx, struct hm_percpu *c,
			    hm_vaddr_t vaddr, enum kmap_slot_kind kind,
			    bool clear, const char *what)
{
	int type = c->kmap_atomic_idx - 1;

	if (__builtin_expect(type < 0 ||
			     vaddr != slot_vaddr(c, (unsigned)type) ||
			     c->slot_kind[type] != kind, 0)) {
		slot_pop_bug(ctx, c, vaddr, what);
		return false;
	}
	if (clear)
		slot_clear(ctx, c, (unsigned)type, vaddr);
	c->slot_kind[type] = KMAP_SLOT_FREE;
	c->kmap_atomic_idx = type;
	return true;
}

/* Debug mode clears on unmap; the injected bug 4 forgets to. */
static inline bool clear_on_unmap(const struct hm_ctx *ctx)
{
	return ctx->cfg.debug_highmem && HM_INJECT_BUG != 4;
}

/* ---- kmap_atomic ------------------------------------------------------------ */

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
	struct hm_percpu *c = this_cpu(ctx);
	hm_vaddr_t vaddr;

	if (__builtin_expect(!page_valid(ctx, page), 0)) {
		bad_page_bug(ctx, "kmap_atomic");
		return 0;
	}
	c->preempt_count++;		/* preempt_disable() */
	c->pagefault_disabled++;	/* pagefault_disable() */
	if (!PageHighMem(ctx, page))
		return lowmem_page_address(ctx, page);

	vaddr = slot_push(ctx, c, page, KMAP_SLOT_ATOMIC);
	if (__builtin_expect(!vaddr, 0)) {
		c->pagefault_disabled--;
		c->preempt_count--;
	}
	return vaddr;
}

/**
 * hm_kunmap_atomic - undo the most recent hm_kmap_atomic() on this CPU
 * @vaddr: an address inside the page it returned
 */
void hm_kunmap_atomic(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	struct hm_percpu *c = this_cpu(ctx);

	vaddr &= PAGE_MASK;
	if (__builtin_expect(c->preempt_count <= 0 ||
			     c->pagefault_disabled <= 0, 0)) {
		unbalanced_bug(ctx, c, vaddr, "kunmap_atomic");
		return;
	}
	if (in_kmap_window(ctx, vaddr)) {
		if (!slot_pop(ctx, c, vaddr, KMAP_SLOT_ATOMIC,
			      clear_on_unmap(ctx), "kunmap_atomic"))
			return;
	} else if (__builtin_expect(!lowmem_vaddr(ctx, vaddr), 0)) {
		bad_vaddr_bug(ctx, vaddr, "kunmap_atomic");
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
	struct hm_percpu *c = this_cpu(ctx);
	hm_vaddr_t vaddr = 0;

	if (__builtin_expect(!page_valid(ctx, page), 0)) {
		bad_page_bug(ctx, "kmap_atomic_type");
		return 0;
	}
	if (__builtin_expect((unsigned)type >= KM_LEGACY_TYPES, 0)) {
		typed_bug(ctx, c, (int)type, 0, "kmap_atomic");
		return 0;
	}
	c->preempt_count++;
	c->pagefault_disabled++;
	if (!PageHighMem(ctx, page))
		return lowmem_page_address(ctx, page);

	if (__builtin_expect(c->slot_kind[type] != KMAP_SLOT_FREE, 0))
		typed_bug(ctx, c, (int)type, 0, "kmap_atomic");
	else
		vaddr = slot_map(ctx, c, type, page, KMAP_SLOT_TYPED);
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
	struct hm_percpu *c = this_cpu(ctx);

	vaddr &= PAGE_MASK;
	if (__builtin_expect((unsigned)type >= KM_LEGACY_TYPES, 0)) {
		typed_bug(ctx, c, (int)type, vaddr, "kunmap_atomic");
		return;
	}
	if (__builtin_expect(c->preempt_count <= 0 ||
			     c->pagefault_disabled <= 0, 0)) {
		unbalanced_bug(ctx, c, vaddr, "kunmap_atomic_type");
		return;
	}
	if (in_kmap_window(ctx, vaddr)) {
		if (__builtin_expect(vaddr != slot_vaddr(c, type) ||
				     c->slot_kind[type] != KMAP_SLOT_TYPED,
				     0)) {
			typed_bug(ctx, c, (int)type, vaddr, "kunmap_atomic");
			return;
		}
		if (clear_on_unmap(ctx))
			slot_clear(ctx, c, type, vaddr);
		c->slot_kind[type] = KMAP_SLOT_FREE;
	} else if (__builtin_expect(!lowmem_vaddr(ctx, vaddr), 0)) {
		bad_vaddr_bug(ctx, vaddr, "kunmap_atomic_type");
		return;
	}
	c->pagefault_disabled--;
	c->preempt_count--;
}

/* ---- kmap_local_page -------------------------------------------------------- */

/**
 * hm_kmap_local_page - map a page for use by this thread on this CPU
 * @page: the page
 *
 * Like kmap_atomic() but leaves preemption and page faults alone: only
 * migration to another CPU is off until hm_kunmap_local().
 */
hm_vaddr_t hm_kmap_local_page(struct hm_ctx *ctx, struct page *page)
{
	struct hm_percpu *c = this_cpu(ctx);
	hm_vaddr_t vaddr;

	if (__builtin_expect(!page_valid(ctx, page), 0)) {
		bad_page_bug(ctx, "kmap_local_page");
		return 0;
	}
	if (!PageHighMem(ctx, page))
		return lowmem_page_address(ctx, page);
	vaddr = slot_push(ctx, c, page, KMAP_SLOT_LOCAL);
	if (vaddr)
		c->migrate_disabled++;	/* migrate_disable() */
	return vaddr;
}

/**
 * hm_kunmap_local - undo the most recent hm_kmap_local_page() on this CPU
 * @vaddr: an address inside the page it returned
 */
void hm_kunmap_local(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	struct hm_percpu *c = this_cpu(ctx);

	vaddr &= PAGE_MASK;
	if (!in_kmap_window(ctx, vaddr)) {
		if (__builtin_expect(!lowmem_vaddr(ctx, vaddr), 0))
			bad_vaddr_bug(ctx, vaddr, "kunmap_local");
		return;
	}
	if (slot_pop(ctx, c, vaddr, KMAP_SLOT_LOCAL, true, "kunmap_local"))
		c->migrate_disabled--;	/* migrate_enable() */
}
