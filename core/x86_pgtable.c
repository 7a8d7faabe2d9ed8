/* SPDX-License-Identifier: MIT */
/* x86_pgtable.c - see x86_pgtable.h. */
#include "core/pgtable.h"
#include "core/x86_pgtable.h"

static void zero_pages(void *mem, unsigned pages)
{
	volatile uint64_t *p = mem;

	for (unsigned i = 0; i < pages * PAGE_SIZE / 8; i++)
		p[i] = 0;
}

static void set_entry(void *table, unsigned idx, uint64_t val, bool pae)
{
	if (pae)
		((uint64_t *)table)[idx] = val;
	else
		((uint32_t *)table)[idx] = (uint32_t)val;
}

bool hm_x86_build_tables(const struct hm_layout *l, bool pae, void *mem,
			 hm_paddr_t mem_pa, struct hm_x86_tables *out)
{
	const unsigned shift = l->pmd_shift;
	const unsigned pd_mask = pae ? 511 : 1023;
	uint64_t lowmem = l->high_memory - l->page_offset;
	char *page = mem;
	void *pd, *pkmap_pt, *fixmap_pt;
	hm_paddr_t pd_pa;
	unsigned pages = pae ? 4 : 3;
	uint64_t pa;

	if ((PKMAP_BASE(l) >> shift) == (FIXADDR_TOP >> shift) ||
	    (l->fixaddr_start >> shift) != (FIXADDR_TOP >> shift) ||
	    l->high_memory > PKMAP_BASE(l))
		return false;

	zero_pages(mem, pages);
	if (pae) {
		/* A PDPT entry has only P (and cache bits): the rest is
		 * reserved in legacy PAE mode. */
		pd = page + PAGE_SIZE;
		pd_pa = mem_pa + PAGE_SIZE;
		((uint64_t *)mem)[3] = pd_pa | _PAGE_PRESENT;
		out->cr3 = mem_pa;
	} else {
		pd = mem;
		pd_pa = mem_pa;
		out->cr3 = mem_pa;
	}
	out->kernel_pd = pd_pa;
	pkmap_pt = page + (pages - 2) * PAGE_SIZE;
	fixmap_pt = page + (pages - 1) * PAGE_SIZE;
	out->pkmap_pt_pa = mem_pa + (pages - 2) * PAGE_SIZE;
	out->fixmap_pt_pa = mem_pa + (pages - 1) * PAGE_SIZE;
	out->pkmap_page_table = pkmap_pt;
	out->fixmap_page_table = fixmap_pt;

	/* The direct map: lowmem at PAGE_OFFSET in large pages. */
	for (pa = 0; pa < lowmem; pa += 1ull << shift)
		set_entry(pd, ((l->page_offset + pa) >> shift) & pd_mask,
			  pa | HM_KERNPG_LARGE, pae);

	set_entry(pd, (PKMAP_BASE(l) >> shift) & pd_mask,
		  out->pkmap_pt_pa | HM_KERNPG_TABLE, pae);
	set_entry(pd, (FIXADDR_TOP >> shift) & pd_mask,
		  out->fixmap_pt_pa | HM_KERNPG_TABLE, pae);
	return true;
}
