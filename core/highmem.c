/* SPDX-License-Identifier: MIT */
/*
 * highmem.c - persistent kernel maps: kmap(), kunmap() and the PKMAP window.
 *
 * Read beside the kernel's mm/highmem.c.  A highmem page gets one of
 * LAST_PKMAP entries in the page table at PKMAP_BASE.  Entries are handed
 * out round-robin from last_pkmap_nr.  An unmapped entry is not cleared at
 * once: its count drops to 1 and it waits, still in the page table and in
 * the TLBs, until the scan wraps to 0.  There flush_all_zero_pkmaps() clears
 * every such entry and flushes the whole range on every CPU with one
 * flush_tlb_kernel_range(), which is what makes kmap() cheap on average and
 * expensive at the wrap.  When every entry is in use, kmap() sleeps on
 * pkmap_map_wait until a kunmap() drops some count to 1.
 */
#include "core/internal.h"

static void lock_kmap(struct hm_ctx *ctx)
{
	hm_arch_spin_lock(ctx, &ctx->kmap_lock);
}

static void unlock_kmap(struct hm_ctx *ctx)
{
	hm_arch_spin_unlock(ctx, &ctx->kmap_lock);
}

static void *pkmap_pte(struct hm_ctx *ctx, unsigned nr)
{
	return pte_offset(ctx->pkmap_page_table, nr, ctx->pae);
}

/* No cache colouring on x86: every page may use every entry. */
static inline unsigned get_pkmap_color(const struct page *page)
{
	(void)page;
	return 0;
}

/* Get the next PKMAP index to try, wrapping at LAST_PKMAP. */
static inline unsigned get_next_pkmap_nr(struct hm_ctx *ctx, unsigned color)
{
	(void)color;
	ctx->last_pkmap_nr = (ctx->last_pkmap_nr + 1) & LAST_PKMAP_MASK(&ctx->layout);
	/* (on the line of its test: a normal build has no line it never runs) */
	if (HM_INJECT_BUG == 2 && ctx->last_pkmap_nr == LAST_PKMAP(&ctx->layout) - 1) ctx->last_pkmap_nr = 0;
	return ctx->last_pkmap_nr;
}

/* Has the scan wrapped?  Then it is time to flush unused entries. */
static inline bool no_more_pkmaps(unsigned pkmap_nr, unsigned color)
{
	(void)color;
	return pkmap_nr == 0;
}

static inline unsigned get_pkmap_entries_count(struct hm_ctx *ctx,
					       unsigned color)
{
	(void)color;
	return LAST_PKMAP(&ctx->layout);
}

/*
 * flush_all_zero_pkmaps - free every entry whose count is 1
 *
 * Clears their PTEs and hash-table entries, then flushes the whole PKMAP
 * range on every CPU: after that no TLB can hold the old translations and
 * the entries may be reused.  Called with kmap_lock held.
 */
static void flush_all_zero_pkmaps(struct hm_ctx *ctx)
{
	const struct hm_layout *l = &ctx->layout;
	bool need_flush = false;
	unsigned i;

	this_cpu(ctx)->stats.pkmap_flushes++;
	/* flush_cache_kmaps(): nothing to do on x86, whose caches are
	 * physically tagged. */
	/* The kernel walks all LAST_PKMAP entries; those from pkmap_used up
	 * were never handed out since the last reset (a scan that reaches
	 * the wrap has mapped or found in use every entry on its way, so
	 * there pkmap_used is LAST_PKMAP), and a flush before the first wrap
	 * (kmap_flush_unused) costs what is mapped, not the window. */
	for (i = 0; i < ctx->pkmap_used; i++) {
		void *ptep;
		pte_t pte;

		if (ctx->pkmap_count[i] != 1)
			continue;
		ctx->pkmap_count[i] = 0;

		ptep = pkmap_pte(ctx, i);
		pte = pte_read(ptep, ctx->pae);
		if (BUG_ON_MSG(ctx, pte_none(pte),
			       "pkmap entry %u has count 1 but no PTE", i))
			continue;

		/* A plain clear is enough: with count 1 the entry has no
		 * user, and a new one must take kmap_lock (held) to find it. */
		pte_clear(ctx, PKMAP_ADDR(l, i), ptep);
		set_page_address(ctx, pfn_to_page(ctx, pte_pfn(pte, ctx->pae)),
				 0);
		need_flush = true;
	}
	if (need_flush && HM_INJECT_BUG != 1)
		flush_tlb_kernel_range(ctx, PKMAP_ADDR(l, 0),
				       PKMAP_ADDR(l, LAST_PKMAP(l)));
}

/**
 * hm_kmap_flush_unused - flush all unused kmap mappings
 *
 * Frees every entry with count 1 now rather than at the next wrap.
 */
void hm_kmap_flush_unused(struct hm_ctx *ctx)
{
	lock_kmap(ctx);
	flush_all_zero_pkmaps(ctx);
	unlock_kmap(ctx);
}

/*
 * Wait on pkmap_map_wait for a kunmap() to free an entry.  Called and
 * returns with kmap_lock held; false when the arch gave up waiting.
 */
static bool pkmap_wait(struct hm_ctx *ctx)
{
	struct hm_waitqueue *wq = &ctx->pkmap_map_wait;
	uint32_t seq = __atomic_load_n(&wq->seq, __ATOMIC_ACQUIRE);
	bool woken;

	wq->nr_waiters++;		/* add_wait_queue() */
	if (ctx->cfg.wait_timeout_ms)	/* else the arch refuses at once */
		this_cpu(ctx)->stats.pkmap_sleeps++;
	woken = hm_arch_sleep(ctx, wq, seq, &ctx->kmap_lock);
	wq->nr_waiters--;		/* remove_wait_queue() */
	return woken;
}

/*
 * map_new_virtual - give @page a PKMAP entry
 *
 * Called with kmap_lock held.  Returns the address with pkmap_count 1 (the
 * caller adds the user), or 0 after a BUG report.
 */
static hm_vaddr_t map_new_virtual(struct hm_ctx *ctx, struct page *page)
{
	const struct hm_layout *l = &ctx->layout;
	unsigned color = get_pkmap_color(page);
	unsigned last_pkmap_nr;
	hm_vaddr_t vaddr;
	unsigned count, steps;

start:
	count = get_pkmap_entries_count(ctx, color);
	steps = 0;
	for (;;) {
		last_pkmap_nr = get_next_pkmap_nr(ctx, color);
		if (no_more_pkmaps(last_pkmap_nr, color)) {
			flush_all_zero_pkmaps(ctx);
			count = get_pkmap_entries_count(ctx, color);
		}
		if (!ctx->pkmap_count[last_pkmap_nr])
			break;	/* free: ours */
		/* Not in the kernel: a scan ends within two rounds (up to
		 * the wrap, then one round after its flush), so a longer
		 * one is a broken scan (a wrap that skips entries), which
		 * we report rather than spin in for ever. */
		if (unlikely(++steps > 2 * LAST_PKMAP(l))) {
			BUG_MSG(ctx,
				"kmap of pfn %#llx: the scan for a free pkmap "
				"entry has not ended after %u steps "
				"(last_pkmap_nr %u, count %u, LAST_PKMAP %u)",
				(unsigned long long)page_to_pfn(ctx, page),
				steps - 1, last_pkmap_nr, count,
				LAST_PKMAP(l));
			return 0;
		}
		if (--count)
			continue;

		/* Every entry has a user: wait for a kunmap(). */
		if (!pkmap_wait(ctx)) {
			BUG_MSG(ctx,
				"kmap of pfn %#llx would sleep forever: all %u "
				"pkmap entries are in use and %s",
				(unsigned long long)page_to_pfn(ctx, page),
				LAST_PKMAP(l),
				ctx->cfg.wait_timeout_ms ?
				"no kunmap came in time (deadlock?)" :
				"sleeping is off (wait_timeout_ms = 0)");
			return 0;
		}

		/* Another task may have mapped this very page meanwhile. */
		vaddr = page_address_high(ctx, page);
		if (vaddr && HM_INJECT_BUG != 8)
			return vaddr;

		goto start;
	}
	vaddr = PKMAP_ADDR(l, last_pkmap_nr);
	set_pte_at(ctx, vaddr, pkmap_pte(ctx, last_pkmap_nr),
		   pfn_pte(page_to_pfn(ctx, page), kmap_prot(ctx->pae) &
			   ~(HM_INJECT_BUG == 6 ? _PAGE_RW : 0)));

	ctx->pkmap_count[last_pkmap_nr] = 1;
	if (last_pkmap_nr >= ctx->pkmap_used)	/* for hm_core_reset() */
		ctx->pkmap_used = last_pkmap_nr + 1;
	set_page_address(ctx, page, vaddr);

	return vaddr;
}

/* The page checks the highmem entry points share; true if @page will do. */
static bool high_page_ok(struct hm_ctx *ctx, const struct page *page,
			 const char *what)
{
	return !(BUG_ON_MSG(ctx, !page_valid(ctx, page),
			    "%s of a page outside mem_map", what) ||
		 BUG_ON_MSG(ctx, !PageHighMem(ctx, page),
			    "%s of lowmem pfn %#llx", what,
			    (unsigned long long)page_to_pfn(ctx, page)));
}

/* kmap_high(): hm_kmap_high() past its page checks. */
static hm_vaddr_t kmap_high(struct hm_ctx *ctx, struct page *page)
{
	hm_vaddr_t vaddr;
	unsigned nr;

	/* The page's address can change until we hold kmap_lock. */
	lock_kmap(ctx);
	vaddr = page_address_high(ctx, page);
	if (!vaddr)
		vaddr = map_new_virtual(ctx, page);
	if (vaddr) {
		nr = PKMAP_NR(&ctx->layout, vaddr);
		ctx->pkmap_count[nr]++;
		if (BUG_ON_MSG(ctx, ctx->pkmap_count[nr] < 2,
			       "pkmap_count[%u] is %d after kmap", nr,
			       ctx->pkmap_count[nr]))
			vaddr = 0;
	}
	unlock_kmap(ctx);
	return vaddr;
}

/**
 * hm_kmap_high - map a highmem page into memory
 * @page: the highmem page to map
 *
 * Return: the page's PKMAP address, or 0 after a BUG report.
 * Context: may sleep when every entry is in use.
 */
hm_vaddr_t hm_kmap_high(struct hm_ctx *ctx, struct page *page)
{
	if (!high_page_ok(ctx, page, "kmap_high"))
		return 0;
	return kmap_high(ctx, page);
}

/**
 * hm_kmap_high_get - pin a highmem page's existing persistent map
 * @page: the highmem page
 *
 * Return: the page's address with its count raised, or 0 if it has no
 * mapping; never creates one and so never sleeps.  Undo with kunmap_high().
 */
hm_vaddr_t hm_kmap_high_get(struct hm_ctx *ctx, struct page *page)
{
	hm_vaddr_t vaddr;
	unsigned nr;

	if (!high_page_ok(ctx, page, "kmap_high_get"))
		return 0;

	lock_kmap(ctx);
	vaddr = page_address_high(ctx, page);
	if (vaddr) {
		nr = PKMAP_NR(&ctx->layout, vaddr);
		if (BUG_ON_MSG(ctx, ctx->pkmap_count[nr] < 1,
			       "pkmap_count[%u] is %d for a mapped page", nr,
			       ctx->pkmap_count[nr]))
			vaddr = 0;
		else
			ctx->pkmap_count[nr]++;
	}
	unlock_kmap(ctx);
	return vaddr;
}

/* kunmap_high(): hm_kunmap_high() past its page checks. */
static void kunmap_high(struct hm_ctx *ctx, struct page *page)
{
	struct hm_waitqueue *wq = &ctx->pkmap_map_wait;
	bool need_wakeup = false;
	hm_vaddr_t vaddr;
	unsigned nr;

	lock_kmap(ctx);
	vaddr = page_address_high(ctx, page);
	if (BUG_ON_MSG(ctx, !vaddr,
		       "kunmap of pfn %#llx, which is not kmapped",
		       (unsigned long long)page_to_pfn(ctx, page))) {
		unlock_kmap(ctx);
		return;
	}
	nr = PKMAP_NR(&ctx->layout, vaddr);

	/* Only flush_all_zero_pkmaps() may take a count from 1 to 0: before
	 * it, TLBs may still hold the entry. */
	switch (--ctx->pkmap_count[nr]) {
	case 0:
		ctx->pkmap_count[nr]++;	/* leave the state as it was */
		BUG_MSG(ctx,
			"kunmap of pfn %#llx would drop pkmap_count[%u] to 0: "
			"more kunmaps than kmaps",
			(unsigned long long)page_to_pfn(ctx, page), nr);
		break;
	case 1:
		/* The entry is reusable after the next flush.  Wake only
		 * when someone sleeps; nr_waiters is stable under kmap_lock. */
		need_wakeup = wq->nr_waiters != 0 && HM_INJECT_BUG != 9;
		break;
	case 2:
		need_wakeup = HM_INJECT_BUG == 9 && wq->nr_waiters != 0;
		break;
	}
	unlock_kmap(ctx);

	/* Wake outside the lock; a sleeper that registered under it cannot
	 * miss this, as it compares wq->seq with the value it saw there. */
	if (need_wakeup && HM_INJECT_BUG != 7) {
		this_cpu(ctx)->stats.pkmap_wakeups++;
		hm_arch_wake_up(ctx, wq);
	}
}

/**
 * hm_kunmap_high - unmap a highmem page
 * @page: the highmem page to unmap
 *
 * Drops one user.  When the count reaches 1 the entry becomes reusable at
 * the next flush, so sleepers in kmap() are woken to try again.
 */
void hm_kunmap_high(struct hm_ctx *ctx, struct page *page)
{
	if (high_page_ok(ctx, page, "kunmap_high"))
		kunmap_high(ctx, page);
}

static __attribute__((noinline, cold)) bool
might_sleep_bug(struct hm_ctx *ctx, const char *what, const struct page *page)
{
	/* The kernel's might_sleep() only reports ("sleeping function
	 * called from invalid context") and goes on. */
	if (kernel_mode(ctx)) {
		WARN_MSG(ctx, "sleeping function called from invalid context: "
			 "%s of pfn %#llx with preempt_count %d", what,
			 (unsigned long long)page_to_pfn(ctx, page),
			 this_cpu(ctx)->preempt_count);
		return false;
	}
	BUG_MSG(ctx, "%s of pfn %#llx may sleep but preempt_count is %d "
		"(inside kmap_atomic?)", what,
		(unsigned long long)page_to_pfn(ctx, page),
		this_cpu(ctx)->preempt_count);
	return true;
}

/* might_sleep(): kmap() may sleep, so atomic context is a bug (a WARN in
 * kernel mode).  Out of line, so the fast path keeps nothing live across a
 * call: the report, then (kernel mode, after the WARN) the map. */
static __attribute__((noinline, cold)) hm_vaddr_t
kmap_in_atomic(struct hm_ctx *ctx, struct page *page, bool high)
{
	if (might_sleep_bug(ctx, "kmap", page))
		return 0;
	return high ? kmap_high(ctx, page) : lowmem_page_address(ctx, page);
}

/**
 * hm_kmap - map a page for long-term use
 * @page: the page, lowmem or highmem
 *
 * Return: its address (direct map for lowmem), or 0 after a BUG report.
 * Context: may sleep.
 */
hm_vaddr_t hm_kmap(struct hm_ctx *ctx, struct page *page)
{
	/* A highmem page of ours is valid: one compare says both. */
	if (highmem_page(ctx, page)) {
		if (unlikely(this_cpu(ctx)->preempt_count > 0))
			return kmap_in_atomic(ctx, page, true);
		return kmap_high(ctx, page);
	}
	if (BUG_ON_MSG(ctx, !page_valid(ctx, page),
		       "kmap of a page outside mem_map"))
		return 0;
	if (unlikely(this_cpu(ctx)->preempt_count > 0))
		return kmap_in_atomic(ctx, page, false);
	return lowmem_page_address(ctx, page);
}

/**
 * hm_kunmap - undo one hm_kmap() of @page
 */
void hm_kunmap(struct hm_ctx *ctx, struct page *page)
{
	if (highmem_page(ctx, page))
		kunmap_high(ctx, page);
	else
		BUG_ON_MSG(ctx, !page_valid(ctx, page),
			   "kunmap of a page outside mem_map");
}
