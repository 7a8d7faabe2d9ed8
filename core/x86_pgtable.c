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

/* Does lowmem end inside a large page (4.7: 0x37bfe, 6.1: 0x36ffe)?  Then
 * its last PMD is mapped with 4 KiB pages, as the kernel's
 * kernel_physical_mapping_init() does, so the frames above it fault. */
static bool lowmem_tail(const struct hm_layout *l)
{
	return (l->high_memory & ~PMD_MASK(l)) != 0;
}

unsigned hm_x86_table_pages(const struct hm_layout *l, bool pae)
{
	return (pae ? 3 : 2) + lowmem_tail(l) + FIXMAP_PT_PAGES(l);
}

bool hm_x86_build_tables(const struct hm_layout *l, bool pae, void *mem,
			 hm_paddr_t mem_pa, struct hm_x86_tables *out)
{
	const unsigned shift = l->pmd_shift;
	const unsigned pd_mask = pae ? 511 : 1023;
	const unsigned nr_fix = FIXMAP_PT_PAGES(l);
	uint64_t lowmem = l->high_memory - l->page_offset;
	uint64_t whole = lowmem & PMD_MASK(l);
	char *page = mem;
	void *pd, *pkmap_pt, *fixmap_pt;
	hm_paddr_t pd_pa;
	unsigned pages = hm_x86_table_pages(l, pae);
	unsigned next = pae ? 2 : 1;	/* the next page-table page */
	uint64_t pa;

	/* The PKMAP table and the fixmap's must be PMDs of their own, and
	 * the direct map (in large pages, so up to the next PMD) below
	 * both. */
	if ((PKMAP_BASE(l) >> shift) >= (FIXMAP_PT_BASE(l) >> shift) ||
	    nr_fix > HM_X86_FIXMAP_PT_MAX ||
	    ((l->high_memory + PMD_SIZE(l) - 1) & PMD_MASK(l)) >
		    PKMAP_BASE(l) || pages > HM_X86_TABLE_PAGES)
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
	/* The direct map: lowmem at PAGE_OFFSET in large pages, and its
	 * last, partial PMD in 4 KiB pages. */
	for (pa = 0; pa < whole; pa += 1ull << shift)
		set_entry(pd, ((l->page_offset + pa) >> shift) & pd_mask,
			  pa | HM_KERNPG_LARGE, pae);
	if (lowmem_tail(l)) {
		void *tail = page + next * PAGE_SIZE;

		set_entry(pd, ((l->page_offset + whole) >> shift) & pd_mask,
			  (mem_pa + next * PAGE_SIZE) | HM_KERNPG_TABLE, pae);
		for (pa = whole; pa < lowmem; pa += PAGE_SIZE)
			set_entry(tail, (unsigned)((pa - whole) >> PAGE_SHIFT),
				  pa | HM_KERNPG_TABLE | _PAGE_GLOBAL, pae);
		next++;
	}

	/* PKMAP's table, then the fixmap's in ascending order, so the
	 * fixmap's PTEs are one array from FIXMAP_PT_BASE up. */
	pkmap_pt = page + next * PAGE_SIZE;
	fixmap_pt = page + (next + 1) * PAGE_SIZE;
	out->pkmap_pt_pa = mem_pa + next * PAGE_SIZE;
	out->fixmap_pt_pa = mem_pa + (next + 1) * PAGE_SIZE;
	out->pkmap_page_table = pkmap_pt;
	out->fixmap_page_table = fixmap_pt;
	out->pages = pages;

	set_entry(pd, (PKMAP_BASE(l) >> shift) & pd_mask,
		  out->pkmap_pt_pa | HM_KERNPG_TABLE, pae);
	for (unsigned i = 0; i < nr_fix; i++)
		set_entry(pd, ((FIXMAP_PT_BASE(l) >> shift) + i) & pd_mask,
			  (out->fixmap_pt_pa + i * PAGE_SIZE) | HM_KERNPG_TABLE,
			  pae);
	return true;
}
