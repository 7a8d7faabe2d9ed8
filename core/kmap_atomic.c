/* SPDX-License-Identifier: MIT */
/*
 * kmap_atomic.c - temporary maps: kmap_atomic(), the legacy typed form,
 * and kmap_local_page().
 *
 * Each CPU owns a window of the kernel profile's km_slots fixmap pages
 * (KM_TYPE_NR, or 6.x's KM_MAX_IDX); the nth nested map of CPU @cpu is at
 * __fix_to_virt(FIX_KMAP_BEGIN + km_first_idx + n * km_step + km_slots *
 * cpu) (core/layout.h: kmap_fix_idx; the step is 2 where 6.x's
 * DEBUG_KMAP_LOCAL leaves a guard slot below each map).  Nested maps take
 * the slots as a stack (kmap_atomic_idx_push/pop), so they must be undone
 * in reverse order.  Nothing here sleeps or takes a lock: the slots belong
 * to one CPU, and preemption (kmap_atomic) or migration (kmap_local_page)
 * is off while they are in use.
 *
 * Unmapping, as x86 does in every version profiled (2.6.24's and 4.7's
 * kpte_clear_flush, 6.1's pte_clear + flush_tlb_one_kernel): the unmap
 * clears the slot's PTE and flushes that one TLB entry, and every map
 * BUGs when it finds the slot's PTE not empty (BUG_ON(!pte_none)).
 * Leaving the PTE for the next map to overwrite is 32-bit ARM's way, not
 * modelled.
 *
 * This is the path callers take most, so it is written for speed the way
 * the kernel's is.  Each slot's address and PTE are computed once, at init
 * (struct kmap_slot), and the index stack is a pointer to its top slot;
 * "is this a highmem page of ours" is one compare (ctx->highmem_map); the
 * kernel's own BUG_ON(!pte_none) of the next slot also says "the slot is
 * free and the stack not full" (a held slot's PTE is set, the guards'
 * never none); "is the top of the stack this address, mapped by this kind
 * of map" is one compare too (the kind sits in the page-offset bits of the
 * slot's tag; the guard below the stack answers no); a highmem page's PTE
 * is one shift and one add from the first compare's subtraction; the PTE
 * width is decided once per map, so the compiler lays out a PAE and a
 * 2-level body; an unmap's PTE write and flush are counted once
 * (hm_percpu.slot_clears); nothing changes before the checks pass, so a
 * report needs no undoing and is a tail call.  What reports a misuse, and
 * the lowmem cases, live out of line below.
 */
#include "core/internal.h"

static const char *const slot_kind_name[] = {
	[KMAP_SLOT_FREE] = "nothing",
	[KMAP_SLOT_ATOMIC] = "kmap_atomic",
	[KMAP_SLOT_LOCAL] = "kmap_local_page",
	[KMAP_SLOT_TYPED] = "typed kmap_atomic",
	[KMAP_SLOT_GUARD] = "nothing",
};

static inline unsigned cpu_of(const struct hm_ctx *ctx,
			      const struct hm_percpu *c)
{
	return (unsigned)(c - ctx->cpu);
}

/* The type (the index in the window) of slot @s of CPU @c. */
static inline int slot_type(const struct hm_percpu *c,
			    const struct kmap_slot *s)
{
	return (int)(s - c->slots) - 1;
}

/* mk_pte(page, kmap_prot) of the highmem page at @off: no pfn to work out,
 * as the page's frame is max_low_pfn plus its index from there. */
static inline pte_t highmem_pte(const struct hm_ctx *ctx, uintptr_t off)
{
	_Static_assert(PAGE_SIZE % sizeof(struct page) == 0,
		       "a struct page's size divides PAGE_SIZE");
	return ctx->highmem_pte + (pte_t)off * (PAGE_SIZE / sizeof(struct page));
}

/* Is @vaddr inside some CPU's temporary-map window? */
static inline bool in_kmap_window(const struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	const struct hm_layout *l = &ctx->layout;

	return vaddr >= __fix_to_virt(l, l->fix_kmap_end) &&
	       vaddr <= __fix_to_virt(l, l->fix_kmap_begin);
}

static inline bool lowmem_vaddr(const struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	return vaddr >= ctx->layout.page_offset &&
	       vaddr < ctx->layout.high_memory;
}

/* x86 clears on unmap; the injected bug 4 forgets to. */
#define CLEAR_ON_UNMAP	(HM_INJECT_BUG != 4)

/* ---- Reports, out of line ------------------------------------------------ */

static __attribute__((noinline, cold)) hm_vaddr_t
bad_page_bug(struct hm_ctx *ctx, const char *what)
{
	BUG_MSG(ctx, "%s of a page outside mem_map", what);
	return 0;
}

/* kmap_atomic_idx_push() refused: the stack is full, or its next slot is
 * held by a typed map. */
static __attribute__((noinline, cold)) hm_vaddr_t
slot_push_bug(struct hm_ctx *ctx, const struct hm_percpu *c)
{
	int idx = kmap_atomic_idx(c);
	unsigned max = ctx->km_stack_slots;

	if (idx >= (int)max)
		BUG_MSG(ctx, "more than %u nested temporary maps on cpu %u "
			"(%s's %s)", max, cpu_of(ctx, c), ctx->profile->name,
			ctx->profile->kmap_scheme == HM_KMAP_LOCAL ?
			"KM_MAX_IDX" : max > ctx->layout.km_max_nest ?
			"KM_TYPE_NR overflow, followed this far" :
			"KM_TYPE_NR");
	else
		BUG_MSG(ctx, "temporary-map slot %d on cpu %u is held by a %s",
			idx, cpu_of(ctx, c), slot_kind_name[slot_kind(&c->kmap_top[1])]);
	return 0;
}

static __attribute__((noinline, cold)) hm_vaddr_t
slot_not_empty_bug(struct hm_ctx *ctx, const struct hm_percpu *c,
		   const struct kmap_slot *s, pte_t old)
{
	BUG_MSG(ctx, "temporary-map slot %d of cpu %u is not empty (pte %#llx): "
		"a kunmap is missing%s", slot_type(c, s), cpu_of(ctx, c),
		(unsigned long long)old,
		ctx->km_stack_slots > ctx->layout.km_max_nest ?
		", or a nest overflow holds it" : "");
	return 0;
}

/* The top of the stack was not @vaddr of @kind: say what it was. */
static __attribute__((noinline, cold)) void
slot_pop_bug(struct hm_ctx *ctx, const struct hm_percpu *c, hm_vaddr_t vaddr,
	     const char *what)
{
	const struct kmap_slot *top = c->kmap_top;

	if (top == c->slots)
		BUG_MSG(ctx, "%s(%#x) on cpu %u, which has no temporary map",
			what, vaddr, cpu_of(ctx, c));
	else if (vaddr != top->vaddr)
		BUG_MSG(ctx, "%s(%#x) out of order on cpu %u: the last map "
			"there is slot %d at %#x", what, vaddr, cpu_of(ctx, c),
			slot_type(c, top), top->vaddr);
	else
		BUG_MSG(ctx, "%s(%#x) of a slot mapped by %s", what, vaddr,
			slot_kind_name[slot_kind(top)]);
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
stray_lowmem_bug(struct hm_ctx *ctx, const struct hm_percpu *c,
		 hm_vaddr_t vaddr, const char *what)
{
	BUG_MSG(ctx, "%s(%#x) of a lowmem address on cpu %u, which holds no "
		"kmap_atomic of a lowmem page", what, vaddr, cpu_of(ctx, c));
}

static __attribute__((noinline, cold)) void
bad_vaddr_bug(struct hm_ctx *ctx, hm_vaddr_t vaddr, const char *what)
{
	BUG_MSG(ctx, "%s(%#x): neither a temporary map nor a lowmem address",
		what, vaddr);
}

static __attribute__((noinline, cold)) hm_vaddr_t
typed_bug(struct hm_ctx *ctx, const struct hm_percpu *c, int type,
	  hm_vaddr_t vaddr, const char *what)
{
	const struct kmap_slot *s;

	if ((unsigned)type >= KM_LEGACY_TYPES) {
		BUG_MSG(ctx, "%s with unknown km_type %d", what, type);
		return 0;
	}
	if (ctx->km_type_slot[type] < 0) {
		BUG_MSG(ctx, "%s with km_type %d, which %s does not have",
			what, type, ctx->profile->name);
		return 0;
	}
	s = kmap_slot(c, ctx->km_type_slot[type]);
	if (!vaddr)
		BUG_MSG(ctx, "kmap_atomic(.., %d) on cpu %u: the slot is held "
			"by a %s", type, cpu_of(ctx, c), slot_kind_name[slot_kind(s)]);
	else if (vaddr != s->vaddr)
		BUG_MSG(ctx, "kunmap_atomic(%#x, %d) on cpu %u: that type's "
			"slot is at %#x", vaddr, type, cpu_of(ctx, c), s->vaddr);
	else
		BUG_MSG(ctx, "kunmap_atomic(%#x, %d) of a slot mapped by %s",
			vaddr, type, slot_kind_name[slot_kind(s)]);
	return 0;
}

/* ---- Slots ------------------------------------------------------------------ */

/*
 * Point slot @s of CPU @c at the frame of @pte for a map of @kind, and
 * account for it: the index stack for kmap_atomic and kmap_local_page, the
 * counts each kind disables.  The caller has made every check.  With @kind
 * and @pae constants (the fast paths) the compiler lays out one body per
 * kind and PTE width, without tests of either.
 */
static __attribute__((always_inline)) inline hm_vaddr_t
slot_map(struct hm_ctx *ctx, struct hm_percpu *c, struct kmap_slot *s,
	 pte_t pte, enum kmap_slot_kind kind)
{
	/* The slot's PTE is empty (checked) and the unmap that emptied it
	 * flushed it: nothing to flush. */
	c->stats.pte_writes++;
	hm_arch_set_pte(ctx, s->vaddr, s->ptep, pte);
	s->tag |= kind;		/* slot_set_kind(s, kind) of a free slot */
	if (kind != KMAP_SLOT_TYPED)
		c->kmap_top = s;		/* kmap_atomic_idx_push() */
	if (kind == KMAP_SLOT_LOCAL) {
		c->migrate_disabled++;		/* migrate_disable() */
	} else {
		c->preempt_count++;		/* preempt_disable() */
		c->pagefault_disabled++;	/* pagefault_disable() */
	}
	return s->vaddr;
}

/* Clear slot @s's PTE and drop it from this CPU's TLB: one PTE write and
 * one flush, counted as one slot_clears (hm_stats() adds it to both). */
static inline void slot_clear(struct hm_ctx *ctx, struct hm_percpu *c,
			      struct kmap_slot *s)
{
	hm_arch_set_pte(ctx, s->vaddr, s->ptep, 0);
	if (HM_INJECT_BUG == 10) {
		c->stats.pte_writes++;
		return;		/* the injected bug: no invlpg */
	}
	c->slot_clears++;
	hm_arch_flush_tlb_one(ctx, s->vaddr);
}

/* Is the top of the stack @vaddr and of @kind?  The guard below slot 0
 * makes an empty stack answer no. */
static inline bool slot_on_top(const struct hm_percpu *c, hm_vaddr_t vaddr,
			       enum kmap_slot_kind kind)
{
	return c->kmap_top->tag == (vaddr | (hm_vaddr_t)kind);
}

/* kmap_atomic_idx_pop() and the unmap of the top of the stack, which
 * slot_on_top() said is the one, at @vaddr.  @clear: also clear its PTE. */
static inline void slot_pop(struct hm_ctx *ctx, struct hm_percpu *c,
			    hm_vaddr_t vaddr, bool clear)
{
	struct kmap_slot *s = c->kmap_top;

	if (clear)
		slot_clear(ctx, c, s);
	c->kmap_top = s - 1;
	s->tag = vaddr;		/* slot_set_kind(s, KMAP_SLOT_FREE) */
}

/* A slot's PTE must be clear when it is mapped (every x86 kernel's
 * BUG_ON(!pte_none)): else a kunmap was missed (or, injected bug 4, did
 * not clear). */
static inline bool slot_pte_clear(struct hm_ctx *ctx, struct hm_percpu *c,
				  const struct kmap_slot *s)
{
	pte_t old = pte_read(s->ptep, ctx->pae);

	if (pte_none(old))
		return true;
	slot_not_empty_bug(ctx, c, s, old);
	return false;
}

/* kmap_atomic() of a lowmem page: no slot, only the counts. */
static inline void lowmem_atomic_map(struct hm_percpu *c)
{
	c->lowmem_atomic++;
	c->preempt_count++;
	c->pagefault_disabled++;
}

/* kunmap_atomic() of a lowmem address: it must undo one of those. */
static inline bool lowmem_atomic_unmap(struct hm_ctx *ctx,
				       struct hm_percpu *c, hm_vaddr_t vaddr,
				       const char *what)
{
	if (unlikely(c->lowmem_atomic <= 0)) {
		stray_lowmem_bug(ctx, c, vaddr, what);
		return false;
	}
	c->lowmem_atomic--;
	return true;
}

/*
 * HM_REPORT_KERNEL: an unmap of @vaddr, a temporary-map address, that is
 * not the top of the stack, done as x86 does it (4.7's __kunmap_atomic,
 * 6.1's kunmap_local_indexed): the PTE of the *top* slot is cleared, the
 * TLB entry of *@vaddr* is flushed, the index popped.  So the top slot's
 * translation stays in this CPU's TLB, and the slot at @vaddr stays mapped:
 * the next map of the top slot finds its PTE empty and may be served the
 * old frame through the TLB.  WARN_ON_ONCE in 6.1, and in 4.x under
 * DEBUG_HIGHMEM only (here every time rather than once per boot).  False,
 * for the caller to report as strict mode does, when the top is not a map
 * of @kind.
 */
static __attribute__((noinline, cold)) bool
kernel_unmap_out_of_order(struct hm_ctx *ctx, struct hm_percpu *c,
			  hm_vaddr_t vaddr, enum kmap_slot_kind kind,
			  const char *what)
{
	struct kmap_slot *top = c->kmap_top;

	if (!kernel_mode(ctx) || slot_kind(top) != kind)
		return false;
	if (ctx->profile->kmap_scheme == HM_KMAP_LOCAL || ctx->cfg.debug_highmem)
		WARN_MSG(ctx, "%s(%#x) out of order on cpu %u: the last map is "
			 "slot %d at %#x; clearing that slot's PTE and flushing "
			 "%#x", what, vaddr, cpu_of(ctx, c), slot_type(c, top),
			 top->vaddr, vaddr);
	c->stats.pte_writes++;
	if (HM_INJECT_BUG != 11) hm_arch_set_pte(ctx, top->vaddr, top->ptep, 0);
	c->stats.tlb_flush_one++;
	hm_arch_flush_tlb_one(ctx, vaddr);
	c->kmap_top = top - 1;
	slot_set_kind(top, KMAP_SLOT_FREE);
	return true;
}

/*
 * An unmap of @vaddr, neither a temporary-map address nor a lowmem one.
 * Strict mode: a BUG.  HM_REPORT_KERNEL: what the profile's kernel does
 * with it.  2.6.24's kunmap_atomic(kvaddr, type) and 4.7's
 * __kunmap_atomic do nothing with such an address but, under
 * DEBUG_HIGHMEM, BUG_ON(vaddr < PAGE_OFFSET) and BUG_ON(vaddr >=
 * high_memory); 6.1's kunmap_local_indexed returns after
 * WARN_ON_ONCE(addr < PAGE_OFFSET), the one check it makes there
 * (kmap_high_unmap_local() would first take a kmap_high_get() address,
 * but only where ARCH_NEEDS_KMAP_HIGH_GET, which x86 is not; its debug
 * build is DEBUG_KMAP_LOCAL without _FORCE_MAP, whose WARN for every such
 * address is not modelled: internal.h).  The WARN is given every time
 * here, not once per boot.  kunmap_local follows kunmap_local_indexed
 * in 6.1 and the profile's __kunmap_atomic before it.  True when the
 * caller goes on as that kernel does (kunmap_atomic: pagefault_enable()
 * and preempt_enable(), both unconditional there; kunmap_local: nothing,
 * kunmap_local_indexed returning before its migrate_enable()).
 */
static __attribute__((noinline, cold)) bool
unmap_stray(struct hm_ctx *ctx, hm_vaddr_t vaddr, const char *what)
{
	const struct hm_layout *l = &ctx->layout;
	bool local = ctx->profile->kmap_scheme == HM_KMAP_LOCAL;

	if (!kernel_mode(ctx)) {
		bad_vaddr_bug(ctx, vaddr, what);
		return false;
	}
	if (!local && ctx->cfg.debug_highmem) {
		BUG_MSG(ctx, "%s(%#x): BUG_ON(vaddr %s) of %s's DEBUG_HIGHMEM: "
			"neither a temporary map nor a lowmem address", what,
			vaddr, vaddr < l->page_offset ? "< PAGE_OFFSET" :
			">= high_memory", ctx->profile->name);
		return false;
	}
	if (local && vaddr < l->page_offset)
		WARN_MSG(ctx, "%s(%#x): a user address (WARN_ON_ONCE(addr < "
			 "PAGE_OFFSET)); nothing unmapped", what, vaddr);
	return true;
}

/* ---- The slow paths, out of line ----------------------------------------- */

static const char *const map_name[] = {
	[KMAP_SLOT_ATOMIC] = "kmap_atomic",
	[KMAP_SLOT_LOCAL] = "kmap_local_page",
};

/* kmap_atomic or kmap_local_page off the fast path: a lowmem page (its
 * direct-map address, no slot) or a report. */
static __attribute__((noinline)) hm_vaddr_t
slot_push_slow(struct hm_ctx *ctx, const struct page *page,
	       enum kmap_slot_kind kind)
{
	struct hm_percpu *c = this_cpu(ctx);
	struct kmap_slot *s = c->kmap_top + 1;
	uintptr_t off = highmem_off(ctx, page);

	if (!highmem_page_ok(ctx, off)) {
		if (unlikely(!page_valid(ctx, page)))
			return bad_page_bug(ctx, map_name[kind]);
		if (kind == KMAP_SLOT_ATOMIC)
			lowmem_atomic_map(c);
		return lowmem_page_address(ctx, page);
	}
	if (unlikely(slot_kind(s) != KMAP_SLOT_FREE))
		return slot_push_bug(ctx, c);
	if (unlikely(!slot_pte_clear(ctx, c, s)))
		return 0;
	return slot_map(ctx, c, s, highmem_pte(ctx, off), kind);
}

/* The fast path of kmap_atomic and kmap_local_page: a highmem page and
 * the next slot's PTE empty, which also says the slot is free and the
 * stack not full (a held slot's PTE is set, the guard's is never none:
 * internal.h, hm_percpu.slots).  Anything else goes out of line, where
 * slot_push_slow() tells them apart.  With @pae constant the compiler lays
 * out one body per PTE width. */
static __attribute__((always_inline)) inline hm_vaddr_t
slot_push_pte(struct hm_ctx *ctx, struct page *page, enum kmap_slot_kind kind,
	      bool pae)
{
	struct hm_percpu *c = this_cpu(ctx);
	struct kmap_slot *s = c->kmap_top + 1;
	uintptr_t off = highmem_off(ctx, page);

	if (unlikely(!highmem_page_ok(ctx, off) ||
		     !pte_none(pte_read(s->ptep, pae))))
		return slot_push_slow(ctx, page, kind);
	return slot_map(ctx, c, s, highmem_pte(ctx, off), kind);
}

static __attribute__((always_inline)) inline hm_vaddr_t
slot_push(struct hm_ctx *ctx, struct page *page, enum kmap_slot_kind kind)
{
	return ctx->pae ? slot_push_pte(ctx, page, kind, true)
			: slot_push_pte(ctx, page, kind, false);
}

/* kunmap_atomic() off the fast path: a lowmem address or a report. */
static __attribute__((noinline)) void
kunmap_atomic_slow(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	struct hm_percpu *c = this_cpu(ctx);

	if (unlikely(c->preempt_count <= 0 || c->pagefault_disabled <= 0)) {
		unbalanced_bug(ctx, c, vaddr, "kunmap_atomic");
		return;
	}
	if (slot_on_top(c, vaddr, KMAP_SLOT_ATOMIC)) {
		slot_pop(ctx, c, vaddr, CLEAR_ON_UNMAP);
	} else if (unlikely(in_kmap_window(ctx, vaddr))) {
		if (!kernel_unmap_out_of_order(ctx, c, vaddr, KMAP_SLOT_ATOMIC,
					       "kunmap_atomic")) {
			slot_pop_bug(ctx, c, vaddr, "kunmap_atomic");
			return;
		}
	} else if (unlikely(!lowmem_vaddr(ctx, vaddr))) {
		if (!unmap_stray(ctx, vaddr, "kunmap_atomic"))
			return;
	} else if (!lowmem_atomic_unmap(ctx, c, vaddr, "kunmap_atomic")) {
		return;
	}
	c->pagefault_disabled--;	/* pagefault_enable() */
	c->preempt_count--;		/* preempt_enable() */
}

/* kunmap_local() of anything but the top of the stack: nothing to do for
 * a lowmem address, else a report. */
static __attribute__((noinline)) void
kunmap_local_slow(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	struct hm_percpu *c = this_cpu(ctx);

	if (unlikely(in_kmap_window(ctx, vaddr))) {
		if (kernel_unmap_out_of_order(ctx, c, vaddr, KMAP_SLOT_LOCAL,
					      "kunmap_local"))
			c->migrate_disabled--;	/* migrate_enable() */
		else
			slot_pop_bug(ctx, c, vaddr, "kunmap_local");
	} else if (unlikely(!lowmem_vaddr(ctx, vaddr)))
		unmap_stray(ctx, vaddr, "kunmap_local");
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
	return slot_push(ctx, page, KMAP_SLOT_ATOMIC);
}

/**
 * hm_kunmap_atomic - undo the most recent hm_kmap_atomic() on this CPU
 * @vaddr: an address inside the page it returned
 *
 * The fast path, the unmap of the top of the stack: its PTE cleared and
 * that one TLB entry flushed (x86's kpte_clear_flush), the index popped,
 * the counts dropped.
 */
void hm_kunmap_atomic(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	struct hm_percpu *c = this_cpu(ctx);

	/* A kmap_atomic slot on top means the counts are not 0 (see
	 * hm_percpu.lowmem_atomic, and what kernel mode may do to them):
	 * the slow path checks them. */
	vaddr &= PAGE_MASK;
	if (unlikely(!slot_on_top(c, vaddr, KMAP_SLOT_ATOMIC))) {
		kunmap_atomic_slow(ctx, vaddr);
		return;
	}
	slot_pop(ctx, c, vaddr, CLEAR_ON_UNMAP);
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
	uintptr_t off = highmem_off(ctx, page);
	struct kmap_slot *s;

	if (unlikely(!page_valid(ctx, page)))
		return bad_page_bug(ctx, "kmap_atomic_type");
	if (unlikely((unsigned)type >= KM_LEGACY_TYPES))
		return typed_bug(ctx, c, (int)type, 0, "kmap_atomic");
	if (!highmem_page_ok(ctx, off)) {
		lowmem_atomic_map(c);
		return lowmem_page_address(ctx, page);
	}
	if (unlikely(ctx->km_type_slot[type] < 0))
		return typed_bug(ctx, c, (int)type, 0, "kmap_atomic");
	s = kmap_slot(c, ctx->km_type_slot[type]);
	if (unlikely(slot_kind(s) != KMAP_SLOT_FREE))
		return typed_bug(ctx, c, (int)type, 0, "kmap_atomic");
	if (unlikely(!slot_pte_clear(ctx, c, s)))
		return 0;
	return slot_map(ctx, c, s, highmem_pte(ctx, off), KMAP_SLOT_TYPED);
}

/**
 * hm_kunmap_atomic_type - undo hm_kmap_atomic_type(page, @type)
 */
void hm_kunmap_atomic_type(struct hm_ctx *ctx, hm_vaddr_t vaddr,
			   enum km_type type)
{
	struct hm_percpu *c = this_cpu(ctx);
	struct kmap_slot *s;

	vaddr &= PAGE_MASK;
	if (unlikely((unsigned)type >= KM_LEGACY_TYPES ||
		     ctx->km_type_slot[type] < 0)) {
		typed_bug(ctx, c, (int)type, vaddr, "kunmap_atomic");
		return;
	}
	if (unlikely(c->preempt_count <= 0 || c->pagefault_disabled <= 0)) {
		unbalanced_bug(ctx, c, vaddr, "kunmap_atomic_type");
		return;
	}
	if (in_kmap_window(ctx, vaddr)) {
		s = kmap_slot(c, ctx->km_type_slot[type]);
		if (unlikely(vaddr != s->vaddr ||
			     slot_kind(s) != KMAP_SLOT_TYPED)) {
			typed_bug(ctx, c, (int)type, vaddr, "kunmap_atomic");
			return;
		}
		if (CLEAR_ON_UNMAP)
			slot_clear(ctx, c, s);
		slot_set_kind(s, KMAP_SLOT_FREE);
	} else if (unlikely(!lowmem_vaddr(ctx, vaddr))) {
		if (!unmap_stray(ctx, vaddr, "kunmap_atomic_type"))
			return;
	} else if (!lowmem_atomic_unmap(ctx, c, vaddr, "kunmap_atomic_type")) {
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
	return slot_push(ctx, page, KMAP_SLOT_LOCAL);
}

/**
 * hm_kunmap_local - undo the most recent hm_kmap_local_page() on this CPU
 * @vaddr: an address inside the page it returned
 *
 * Always clears the PTE and flushes this CPU's entry, as mm/highmem.c's
 * kunmap_local_indexed() does.
 */
void hm_kunmap_local(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	struct hm_percpu *c = this_cpu(ctx);

	vaddr &= PAGE_MASK;
	if (unlikely(!slot_on_top(c, vaddr, KMAP_SLOT_LOCAL))) {
		kunmap_local_slow(ctx, vaddr);
		return;
	}
	slot_pop(ctx, c, vaddr, true);
	c->migrate_disabled--;	/* migrate_enable() */
}
