/* SPDX-License-Identifier: MIT */
/*
 * ctx.c - the core's part of a context: set-up, reset, and the read-only
 * views tests, fuzzers and benchmarks use.  The backend (core/sim/ or the
 * kvm_runner guest) allocates the context and builds the page tables.
 * Set-up, reset and the views are __no_sanitize_coverage (internal.h says why).
 */
#include "core/internal.h"

__no_sanitize_coverage
void hm_config_default(struct hm_config *cfg)
{
	cfg->mem_bytes = 1ull << 30;
	cfg->nr_cpus = 1;
	cfg->pae = true;
	cfg->debug_highmem = false;
	cfg->wait_timeout_ms = 10000;
	cfg->tlb_entries = 1024;
	cfg->last_pkmap = 0;
	cfg->kernel = HM_KERNEL_DEFAULT;
	cfg->report = HM_REPORT_STRICT;
}

/* Every CPU's stack of slots, for as many CPUs as a context can have
 * (the guest changes nr_cpus between sequences); the injected bug 5 gives
 * them all cpu 0's.  The guards have no address, and a PTE that is never
 * none (internal.h: hm_percpu.slots). */
__no_sanitize_coverage
static void kmap_windows_init(struct hm_ctx *ctx)
{
	const struct hm_layout *l = &ctx->layout;
	const unsigned n = ctx->km_stack_slots;

	for (unsigned cpu = 0; cpu < HM_MAX_CPUS; cpu++) {
		struct hm_percpu *c = &ctx->cpu[cpu];
		unsigned owner = HM_INJECT_BUG == 5 ? 0 : cpu;

		for (unsigned i = 0; i < n; i++) {
			struct kmap_slot *s = kmap_slot(c, i);
			unsigned idx = kmap_fix_idx(l, owner, i);

			s->vaddr = __fix_to_virt(l, idx);
			s->ptep = pte_offset(ctx->kmap_pte,
					     -(long)(idx - l->fix_kmap_begin),
					     ctx->pae);
			/* past FIX_KMAP_END (a nest overflow's spill):
			 * __kunmap_atomic does not unmap it, so neither
			 * may the unmap's fast path */
			s->tag = idx <= l->fix_kmap_end ? s->vaddr : 0;
		}
		c->slots[0].vaddr = c->slots[n + 1].vaddr = 0;
		c->slots[0].tag = c->slots[n + 1].tag = 0;
		c->slots[0].ptep = c->slots[n + 1].ptep =
			&ctx->kmap_guard_pte;
	}
}

/*
 * How many maps a CPU's stack takes: the profile's KM_TYPE_NR or
 * KM_MAX_IDX, but for linux-4.7's non-debug build in HM_REPORT_KERNEL.
 * Its kmap_atomic_idx_push() checks the index only under DEBUG_HIGHMEM,
 * so the (KM_TYPE_NR + 1)-th map of cpu c takes fixmap index
 * FIX_KMAP_BEGIN + KM_TYPE_NR * c + KM_TYPE_NR, cpu c+1's first slot, and
 * the last CPU's goes past FIX_KMAP_END (FIX_PCIE_MCFG and on); only
 * BUG_ON(!pte_none) stands in the way.  Here the stack goes on as far as
 * slots[] (HM_KM_SLOTS_MAX) and the fixmap's page tables reach.
 */
__no_sanitize_coverage
static unsigned kmap_stack_slots(const struct hm_ctx *ctx)
{
	const struct hm_layout *l = &ctx->layout;
	unsigned last = ctx->cfg.nr_cpus ? ctx->cfg.nr_cpus - 1 : 0, n;

	if (!kernel_mode(ctx) || ctx->cfg.debug_highmem ||
	    ctx->profile->kmap_scheme != HM_KMAP_STACK)
		return l->km_max_nest;
	for (n = l->km_max_nest; n < HM_KM_SLOTS_MAX; n++)
		if (__fix_to_virt(l, kmap_fix_idx(l, last, n)) <
		    FIXMAP_PT_BASE(l))
			break;
	return n;
}

/* One CPU's counts and slot stack as at boot (the slots' PTEs aside). */
__no_sanitize_coverage
static void percpu_init_one(struct hm_percpu *c, unsigned n)
{
	c->kmap_top = &c->slots[0];
	c->preempt_count = 0;
	c->pagefault_disabled = 0;
	c->migrate_disabled = 0;
	c->lowmem_atomic = 0;
	for (unsigned i = 0; i < n; i++)
		slot_set_kind(kmap_slot(c, i), KMAP_SLOT_FREE);
	slot_set_kind(&c->slots[0], KMAP_SLOT_GUARD);
	slot_set_kind(&c->slots[n + 1], KMAP_SLOT_GUARD);
}

/* kmap_init(): remember the PTE of the first temporary slot, then every
 * CPU's stack. */
__no_sanitize_coverage
void hm_core_kmap_init(struct hm_ctx *ctx)
{
	const struct hm_layout *l = &ctx->layout;

	ctx->kmap_pte = pte_offset(ctx->fixmap_page_table,
				   (long)FIXMAP_PT_INDEX(l, __fix_to_virt(l,
						l->fix_kmap_begin)),
				   ctx->pae);
	ctx->kmap_guard_pte = ~(pte_t)0;	/* read as 4 or 8 bytes */
	ctx->km_stack_slots = kmap_stack_slots(ctx);
	kmap_windows_init(ctx);
	for (unsigned cpu = 0; cpu < HM_MAX_CPUS; cpu++)
		percpu_init_one(&ctx->cpu[cpu], ctx->km_stack_slots);
}

/* The statistics of CPUs [0, nr_cpus). */
__no_sanitize_coverage
static void stats_reset(struct hm_ctx *ctx, unsigned nr_cpus)
{
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++) {
		uint64_t *s = (uint64_t *)&ctx->cpu[cpu].stats;

		for (size_t i = 0; i < sizeof(struct hm_stats) / 8; i++)
			s[i] = 0;
		ctx->cpu[cpu].slot_clears = 0;
	}
}

__no_sanitize_coverage
void hm_core_init(struct hm_ctx *ctx, void *pkmap_page_table,
		  void *fixmap_page_table)
{
	ctx->kmap_lock.locked = 0;
	ctx->last_pkmap_nr = 0;
	ctx->pkmap_used = 0;
	ctx->pkmap_page_table = pkmap_page_table;
	ctx->pkmap_map_wait.nr_waiters = 0;
	ctx->pkmap_map_wait.seq = 0;
	for (unsigned i = 0; i < LAST_PKMAP_MAX; i++)
		ctx->pkmap_count[i] = 0;
	page_address_init(ctx);

	ctx->fixmap_page_table = fixmap_page_table;
	ctx->kmap_prot = kmap_prot(ctx->pae);
	ctx->highmem_map = ctx->mem_map + ctx->max_low_pfn;
	ctx->highmem_map_bytes = (uintptr_t)(ctx->max_pfn - ctx->max_low_pfn) *
				 sizeof(struct page);
	ctx->highmem_pte = pfn_pte(ctx->max_low_pfn, ctx->kmap_prot);
	hm_core_kmap_init(ctx);
	hm_tasks_init(ctx);
	hm_stats_reset(ctx);
}

/*
 * hm_core_reset - back to the state hm_core_init() left, at the cost of what
 * was used since: the fuzzers reset before every input, and walking the
 * whole window, the hash table and every slot each time cost more than most
 * inputs (issue #14).
 *
 * Entries: only those below pkmap_used can have a count, a PTE (a stale one,
 * too, if a bug left it) or a hash entry.  The hash buckets hold only those
 * entries' maps, so they are emptied only when some entry was used.  The
 * temporary slots: each CPU's few PTEs are read, as a kunmap_atomic() that
 * forgot to clear (injected bug 4) leaves its PTE behind unrecorded.
 */
__no_sanitize_coverage
void hm_core_reset(struct hm_ctx *ctx)
{
	const struct hm_layout *l = &ctx->layout;
	unsigned nr, cpu, i;

	for (nr = 0; nr < ctx->pkmap_used; nr++) {
		void *ptep = pte_offset(ctx->pkmap_page_table, nr, ctx->pae);

		ctx->pkmap_count[nr] = 0;
		if (!pte_none(pte_read(ptep, ctx->pae)))
			hm_arch_set_pte(ctx, PKMAP_ADDR(l, nr), ptep, 0);
		INIT_LIST_HEAD(&ctx->page_address_maps[nr].list);
	}
	if (ctx->pkmap_used)
		for (nr = 0; nr < (1u << PA_HASH_ORDER); nr++)
			INIT_LIST_HEAD(&ctx->page_address_htable[nr].lh);
	ctx->pkmap_used = 0;
	ctx->last_pkmap_nr = 0;

	/* Temporary slots, including any a kunmap left mapped, of the CPUs
	 * in cfg: the others have been idle since they were last reset (the
	 * guest changes nr_cpus only after a reset). */
	for (cpu = 0; cpu < ctx->cfg.nr_cpus; cpu++) {
		struct hm_percpu *c = &ctx->cpu[cpu];

		for (i = 0; i < ctx->km_stack_slots; i++) {
			struct kmap_slot *s = kmap_slot(c, i);

			if (!pte_none(pte_read(s->ptep, ctx->pae)))
				hm_arch_set_pte(ctx, s->vaddr, s->ptep, 0);
		}
		percpu_init_one(c, ctx->km_stack_slots);
	}
	/* One flush of everything from PKMAP_BASE up: a whole-TLB flush on
	 * every CPU, since the range is above the single-page ceiling. */
	hm_arch_flush_tlb_kernel_range(ctx, PKMAP_BASE(l), l->fixaddr_top);
	hm_tasks_init(ctx);
	stats_reset(ctx, ctx->cfg.nr_cpus);
}

bool hm_cpu_may_move(struct hm_ctx *ctx, unsigned from, unsigned to)
{
	const struct hm_percpu *c = &ctx->cpu[from < HM_MAX_CPUS ? from : 0];

	return !(BUG_ON_MSG(ctx, to >= ctx->cfg.nr_cpus,
			    "no cpu %u: the machine has %u", to,
			    ctx->cfg.nr_cpus) ||
		 BUG_ON_MSG(ctx, to != from && c->preempt_count > 0,
			    "moving from cpu %u to %u with preemption disabled "
			    "(preempt_count %d)", from, to, c->preempt_count) ||
		 BUG_ON_MSG(ctx, to != from && c->migrate_disabled > 0,
			    "moving from cpu %u to %u with migration disabled "
			    "(kmap_local_page held)", from, to));
}

__no_sanitize_coverage
const struct hm_config *hm_config(const struct hm_ctx *ctx)
{
	return &ctx->cfg;
}

__no_sanitize_coverage
struct page *hm_pfn_to_page(struct hm_ctx *ctx, uint64_t pfn)
{
	return pfn < ctx->max_pfn ? pfn_to_page(ctx, pfn) : 0;
}

__no_sanitize_coverage
uint64_t hm_page_to_pfn(const struct hm_ctx *ctx, const struct page *page)
{
	return page_to_pfn(ctx, page);
}

__no_sanitize_coverage
bool hm_PageHighMem(const struct hm_ctx *ctx, const struct page *page)
{
	return PageHighMem(ctx, page);
}

__no_sanitize_coverage
uint64_t hm_max_pfn(const struct hm_ctx *ctx)
{
	return ctx->max_pfn;
}

__no_sanitize_coverage
uint64_t hm_max_low_pfn(const struct hm_ctx *ctx)
{
	return ctx->max_low_pfn;
}

__no_sanitize_coverage
uint64_t hm_first_free_pfn(const struct hm_ctx *ctx)
{
	return ctx->first_free_pfn;
}

__no_sanitize_coverage
const struct hm_layout *hm_layout(const struct hm_ctx *ctx)
{
	return &ctx->layout;
}

__no_sanitize_coverage
hm_vaddr_t hm_pkmap_addr(const struct hm_ctx *ctx, unsigned nr)
{
	return PKMAP_ADDR(&ctx->layout, nr);
}

__no_sanitize_coverage
hm_vaddr_t hm_kmap_atomic_slot_addr(const struct hm_ctx *ctx, unsigned cpu,
				    unsigned type)
{
	const struct hm_layout *l = &ctx->layout;

	return __fix_to_virt(l, kmap_fix_idx(l, cpu, type));
}

__no_sanitize_coverage
int hm_pkmap_count(const struct hm_ctx *ctx, unsigned nr)
{
	return nr < LAST_PKMAP(&ctx->layout) ? ctx->pkmap_count[nr] : -1;
}

__no_sanitize_coverage
unsigned hm_last_pkmap_nr(const struct hm_ctx *ctx)
{
	return ctx->last_pkmap_nr;
}

__no_sanitize_coverage
uint64_t hm_pkmap_pte(const struct hm_ctx *ctx, unsigned nr)
{
	if (nr >= LAST_PKMAP(&ctx->layout))
		return 0;
	return pte_read(pte_offset(ctx->pkmap_page_table, nr, ctx->pae),
			ctx->pae);
}

__no_sanitize_coverage
uint64_t hm_kmap_atomic_pte(const struct hm_ctx *ctx, unsigned cpu,
			    unsigned type)
{
	const struct hm_layout *l = &ctx->layout;

	if (cpu >= ctx->cfg.nr_cpus || type >= ctx->km_stack_slots)
		return 0;
	return pte_read(pte_offset(ctx->kmap_pte,
				   -(long)(kmap_fix_idx(l, cpu, type) -
					   l->fix_kmap_begin), ctx->pae),
			ctx->pae);
}

__no_sanitize_coverage
unsigned hm_pkmap_waiters(struct hm_ctx *ctx)
{
	unsigned n;

	hm_arch_spin_lock(ctx, &ctx->kmap_lock);
	n = ctx->pkmap_map_wait.nr_waiters;
	hm_arch_spin_unlock(ctx, &ctx->kmap_lock);
	return n;
}

__no_sanitize_coverage
void hm_cpu_state(const struct hm_ctx *ctx, unsigned cpu,
		  struct hm_cpu_state *out)
{
	const struct hm_percpu *c = &ctx->cpu[cpu < HM_MAX_CPUS ? cpu : 0];

	out->preempt_count = c->preempt_count;
	out->pagefault_disabled = c->pagefault_disabled;
	out->migrate_disabled = c->migrate_disabled;
	out->kmap_atomic_idx = kmap_atomic_idx(c);
}

__no_sanitize_coverage
void hm_stats(const struct hm_ctx *ctx, struct hm_stats *out)
{
	uint64_t *sum = (uint64_t *)out;
	const size_t n = sizeof(*out) / sizeof(uint64_t);

	for (size_t i = 0; i < n; i++)
		sum[i] = 0;
	for (unsigned cpu = 0; cpu < ctx->cfg.nr_cpus; cpu++) {
		const uint64_t *s = (const uint64_t *)&ctx->cpu[cpu].stats;

		for (size_t i = 0; i < n; i++)
			sum[i] += s[i];
		out->pte_writes += ctx->cpu[cpu].slot_clears;
		out->tlb_flush_one += ctx->cpu[cpu].slot_clears;
	}
}

__no_sanitize_coverage
void hm_stats_reset(struct hm_ctx *ctx)
{
	stats_reset(ctx, HM_MAX_CPUS);
}

__no_sanitize_coverage
void hm_set_bug_handler(struct hm_ctx *ctx, hm_bug_fn fn, void *arg)
{
	ctx->bug_fn = fn;
	ctx->bug_arg = arg;
}
