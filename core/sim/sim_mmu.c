/* SPDX-License-Identifier: MIT */
/*
 * sim_mmu.c - the simulated MMU: page walks over the tables in simulated
 * memory, the per-CPU TLBs, and loads and stores through virtual addresses.
 *
 * A translation, once in a TLB, is used until a flush drops it or another
 * translation evicts it, whatever the page tables say meanwhile: a missing
 * flush is observable, as on hardware.  Access rights are enforced as x86
 * enforces them on the kernel (present; R/W with CR0.WP; NX under PAE),
 * from the TLB like the translation: see walk().
 *
 * Every function is __no_sanitize_coverage: this is the machine the core
 * runs on, not the code under test, and its branches (TLB hit or miss,
 * which CPU's lock) would feed the fuzzers noise that depends on earlier
 * inputs.
 */
#include <string.h>

#include "core/sim/sim.h"
#include "core/x86_flush.h"

__no_sanitize_coverage
static int phys_pte(const struct hm_sim *sim, uint64_t pa, bool pae,
		    uint64_t *out)
{
	if (pa + (pae ? 8 : 4) > sim->phys_size)
		return HM_FAULT;
	*out = pte_read(sim->phys + pa, pae);
	return HM_OK;
}

/*
 * Walk the page tables for @vaddr; HM_FAULT if no present translation.
 * *rights gets what a supervisor access may do there, as x86 combines the
 * levels: SIM_W when R/W is set in every entry on the way (with CR0.WP set,
 * as Linux sets it, a supervisor write to a read-only page faults), SIM_X
 * when no entry has XD (NX, PAE only: Linux turns on EFER.NXE there).  A
 * PAE PDPT entry has neither bit.  The U/S bit does not limit a supervisor
 * read or write, and the fuzzers' oracle checks it in the PTE itself.
 */
__no_sanitize_coverage
static int walk(const struct hm_ctx *ctx, hm_vaddr_t vaddr, hm_paddr_t *pa,
		unsigned *rights)
{
	const struct hm_sim *sim = sim_of(ctx);
	const bool pae = ctx->pae;
	const uint64_t mask = pae ? PTE_PFN_MASK_PAE : PTE_PFN_MASK_NOPAE;
	uint64_t table = sim->tables.cr3, e, all_rw, any_nx;
	unsigned shift;

	if (pae) {
		if (phys_pte(sim, table + ((vaddr >> 30) & 3) * 8, pae, &e) ||
		    !pte_present(e))
			return HM_FAULT;
		table = e & mask;
		shift = PMD_SHIFT_PAE;
		if (phys_pte(sim, table + ((vaddr >> shift) & 511) * 8, pae,
			     &e))
			return HM_FAULT;
	} else {
		shift = PMD_SHIFT_NOPAE;
		if (phys_pte(sim, table + (vaddr >> shift) * 4, pae, &e))
			return HM_FAULT;
	}
	if (!pte_present(e))
		return HM_FAULT;
	all_rw = e & _PAGE_RW;
	any_nx = pae ? e & _PAGE_NX : 0;
	if (e & _PAGE_PSE) {
		uint64_t large = (1ull << shift) - 1;

		*pa = (e & mask & ~large) | (vaddr & large);
	} else {
		table = e & mask;
		if (phys_pte(sim, table + ((vaddr >> PAGE_SHIFT) &
					   (pae ? 511 : 1023)) * (pae ? 8 : 4),
			     pae, &e) ||
		    !pte_present(e))
			return HM_FAULT;
		all_rw &= e & _PAGE_RW;
		any_nx |= pae ? e & _PAGE_NX : 0;
		*pa = (e & mask) | (vaddr & ~PAGE_MASK);
	}
	*rights = (all_rw ? SIM_W : 0) | (any_nx ? 0 : SIM_X);
	return *pa < sim->phys_size ? HM_OK : HM_FAULT;
}

/* With the IPI signal soft-masked: its handler takes TLB locks too, and
 * must not find this thread holding one (see sim_ipi.c). */
__no_sanitize_coverage
void sim_tlb_lock(struct sim_tlb *t)
{
	sim_irq_disable();
	sim_spin_lock(&t->lock);
}

__no_sanitize_coverage
void sim_tlb_unlock(struct sim_tlb *t)
{
	sim_spin_unlock(&t->lock);
	sim_irq_enable();
}

/*
 * Translate @vaddr for an access needing @need (SIM_W, SIM_X or 0 for a
 * read) on @cpu: the TLB first, with the rights it cached (as hardware may
 * use them, stale or not), else a walk that fills it.  An access the
 * rights forbid faults, and drops the TLB entry, as a page fault does.
 */
__no_sanitize_coverage
static int tlb_translate(struct hm_ctx *ctx, unsigned cpu, hm_vaddr_t vaddr,
			 unsigned need, hm_paddr_t *pa, bool *from_tlb)
{
	struct hm_sim *sim = sim_of(ctx);
	struct sim_tlb *t = &sim->tlb[cpu];
	uint32_t vpn = vaddr >> PAGE_SHIFT;
	struct sim_tlb_entry *e = &t->e[vpn & sim->tlb_mask];
	hm_paddr_t walked;
	unsigned rights;
	int ret = HM_OK;

	sim_tlb_lock(t);
	if (e->gen == t->gen && e->vpn == vpn) {
		t->stats.hits++;
		*pa = (e->pfn << PAGE_SHIFT) | (vaddr & ~PAGE_MASK);
		*from_tlb = true;
	} else {
		t->stats.misses++;
		t->stats.walks++;
		*from_tlb = false;
		ret = walk(ctx, vaddr, &walked, &rights);
		if (ret == HM_OK) {
			if (e->gen == t->gen)
				t->stats.evictions++;
			else
				t->nr_valid++;
			e->gen = t->gen;
			e->vpn = vpn;
			e->pfn = walked >> PAGE_SHIFT;
			e->rights = (uint8_t)rights;
			*pa = walked;
		}
	}
	if (ret == HM_OK && (e->rights & need) != need) {
		e->gen = 0;
		t->nr_valid--;
		ret = HM_FAULT;
	}
	sim_tlb_unlock(t);
	return ret;
}

/*
 * The flushes count in the stats of the CPU whose TLB they flush, under
 * its TLB lock: the thread that does the work may be that CPU's own, its
 * IPI handler, or an initiator standing in for an idle CPU.
 */
__no_sanitize_coverage
static void flush_one_locked(struct hm_ctx *ctx, struct sim_tlb *t,
			     hm_vaddr_t vaddr)
{
	uint32_t vpn = vaddr >> PAGE_SHIFT;
	struct sim_tlb_entry *e = &t->e[vpn & sim_of(ctx)->tlb_mask];

	if (e->gen == t->gen && e->vpn == vpn) {
		e->gen = 0;
		t->nr_valid--;
		ctx->cpu[t->cpu].stats.tlb_entries_flushed++;
	}
}

__no_sanitize_coverage
static void flush_all_locked(struct hm_ctx *ctx, struct sim_tlb *t)
{
	struct hm_stats *s = &ctx->cpu[t->cpu].stats;

	t->gen++;
	s->tlb_flush_all++;
	s->tlb_entries_flushed += t->nr_valid;
	t->nr_valid = 0;
}

__no_sanitize_coverage
void sim_tlb_flush_one(struct hm_ctx *ctx, unsigned cpu, hm_vaddr_t vaddr)
{
	struct sim_tlb *t = &sim_of(ctx)->tlb[cpu];

	sim_tlb_lock(t);
	flush_one_locked(ctx, t, vaddr);
	sim_tlb_unlock(t);
}

__no_sanitize_coverage
void sim_tlb_flush_all(struct hm_ctx *ctx, unsigned cpu)
{
	struct sim_tlb *t = &sim_of(ctx)->tlb[cpu];

	sim_tlb_lock(t);
	flush_all_locked(ctx, t);
	sim_tlb_unlock(t);
}

/* x86's flush_tlb_kernel_range() on one CPU, page by page or whole as the
 * context's kernel does it (core/x86_flush.h). */
struct range_flush {
	struct hm_ctx *ctx;
	struct sim_tlb *t;
};

__no_sanitize_coverage
static void range_flush_one(void *arg, hm_vaddr_t vaddr)
{
	struct range_flush *f = arg;

	flush_one_locked(f->ctx, f->t, vaddr);
}

__no_sanitize_coverage
static void range_flush_all(void *arg)
{
	struct range_flush *f = arg;

	flush_all_locked(f->ctx, f->t);
}

__no_sanitize_coverage
void sim_tlb_flush_range_locked(struct hm_ctx *ctx, struct sim_tlb *t,
				hm_vaddr_t start, hm_vaddr_t end)
{
	struct range_flush f = { ctx, t };

	hm_x86_flush_range_local(ctx, start, end, range_flush_one,
				 range_flush_all, &f);
}

__no_sanitize_coverage
int hm_sim_translate(struct hm_ctx *ctx, hm_vaddr_t vaddr, hm_paddr_t *paddr,
		     bool *from_tlb)
{
	bool dummy;

	return tlb_translate(ctx, hm_arch_smp_processor_id(ctx), vaddr, 0,
			     paddr, from_tlb ? from_tlb : &dummy);
}

__no_sanitize_coverage
int hm_sim_walk(struct hm_ctx *ctx, hm_vaddr_t vaddr, hm_paddr_t *paddr)
{
	unsigned rights;

	return walk(ctx, vaddr, paddr, &rights);
}

/* Copy between @buf and memory at @vaddr, page by page: a load or
 * instruction fetch (@need 0 or SIM_X) into @buf, or a store (SIM_W). */
__no_sanitize_coverage
static int access_virt(struct hm_ctx *ctx, hm_vaddr_t vaddr, void *buf,
		       size_t len, unsigned need)
{
	struct hm_sim *sim = sim_of(ctx);
	unsigned cpu = hm_arch_smp_processor_id(ctx);
	uint8_t *p = buf;

	while (len) {
		size_t chunk = PAGE_SIZE - (vaddr & ~PAGE_MASK);
		hm_paddr_t pa;
		bool hit;

		if (chunk > len)
			chunk = len;
		if (tlb_translate(ctx, cpu, vaddr, need, &pa, &hit) != HM_OK)
			return HM_FAULT;
		if (need & SIM_W)
			memcpy(sim->phys + pa, p, chunk);
		else
			memcpy(p, sim->phys + pa, chunk);
		p += chunk;
		vaddr += (hm_vaddr_t)chunk;
		len -= chunk;
	}
	return HM_OK;
}

__no_sanitize_coverage
int hm_sim_read(struct hm_ctx *ctx, hm_vaddr_t vaddr, void *buf, size_t len)
{
	return access_virt(ctx, vaddr, buf, len, 0);
}

__no_sanitize_coverage
int hm_sim_write(struct hm_ctx *ctx, hm_vaddr_t vaddr, const void *buf,
		 size_t len)
{
	return access_virt(ctx, vaddr, (void *)buf, len, SIM_W);
}

__no_sanitize_coverage
int hm_sim_fetch(struct hm_ctx *ctx, hm_vaddr_t vaddr, void *buf, size_t len)
{
	return access_virt(ctx, vaddr, buf, len, SIM_X);
}

__no_sanitize_coverage
static int access_phys(struct hm_ctx *ctx, hm_paddr_t pa, void *buf,
		       size_t len, bool write)
{
	struct hm_sim *sim = sim_of(ctx);

	if (pa > sim->phys_size || len > sim->phys_size - pa)
		return HM_FAULT;
	if (write)
		memcpy(sim->phys + pa, buf, len);
	else
		memcpy(buf, sim->phys + pa, len);
	return HM_OK;
}

__no_sanitize_coverage
int hm_sim_phys_read(struct hm_ctx *ctx, hm_paddr_t pa, void *buf, size_t len)
{
	return access_phys(ctx, pa, buf, len, false);
}

__no_sanitize_coverage
int hm_sim_phys_write(struct hm_ctx *ctx, hm_paddr_t pa, const void *buf,
		      size_t len)
{
	return access_phys(ctx, pa, (void *)buf, len, true);
}

__no_sanitize_coverage
void hm_sim_tlb_stats(const struct hm_ctx *ctx, unsigned cpu,
		      struct hm_tlb_stats *out)
{
	const struct hm_sim *sim = sim_of(ctx);

	if (cpu >= ctx->cfg.nr_cpus) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = sim->tlb[cpu].stats;
}
