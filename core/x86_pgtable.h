/* SPDX-License-Identifier: MIT */
/*
 * x86_pgtable.h - build the kernel half of a 32-bit x86 page table.
 *
 * What the kernel's pagetable_init(), permanent_kmaps_init() and
 * kmap_init() leave behind, in the hardware format: the direct map of
 * lowmem at PAGE_OFFSET (with large pages), one page table for the PKMAP
 * window and one or more for the fixmap (6.1's crosses a 2 MiB boundary).  The simulator builds these in simulated
 * memory; the kvm_runner guest builds the same in its own.  Freestanding.
 */
#ifndef HM_X86_PGTABLE_H
#define HM_X86_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/layout.h"
#include "core/pgtable.h"

/* The most page tables the fixmap takes (6.1 under DEBUG_KMAP_LOCAL: 3),
 * and the most pages the builder needs: PDPT, the page directory of the
 * top GiB, the 4 KiB table of lowmem's last PMD when lowmem ends inside
 * one, the PKMAP table and the fixmap's (without PAE one fewer). */
#define HM_X86_FIXMAP_PT_MAX	3
#define HM_X86_TABLE_PAGES	(4 + HM_X86_FIXMAP_PT_MAX)

struct hm_x86_tables {
	hm_paddr_t cr3;			/* the PDPT (PAE) or page directory */
	hm_paddr_t kernel_pd;		/* directory covering PAGE_OFFSET.. */
	void *pkmap_page_table;		/* pkmap_page_table */
	/* The first of the fixmap's tables (FIXMAP_PT_BASE), the others
	 * after it in memory. */
	void *fixmap_page_table;
	hm_paddr_t pkmap_pt_pa;
	hm_paddr_t fixmap_pt_pa;
	unsigned pages;			/* of @mem used */
};

/* The pages hm_x86_build_tables() uses for @l: at most
 * HM_X86_TABLE_PAGES. */
unsigned hm_x86_table_pages(const struct hm_layout *l, bool pae);

/*
 * hm_x86_build_tables - lay the kernel's page tables out in @mem
 * @l: the layout (PKMAP_BASE, high_memory)
 * @mem: hm_x86_table_pages() pages, page-aligned, seen by the caller
 * @mem_pa: the physical address of @mem
 *
 * Zeroes @mem first.  The direct map covers [0, high_memory - PAGE_OFFSET):
 * large pages, and 4 KiB ones for a last partial PMD.  Returns false if
 * the layout cannot be expressed (PKMAP and fixmap in one PMD, a fixmap of
 * more than HM_X86_FIXMAP_PT_MAX tables, or the direct map reaching
 * them).
 */
bool hm_x86_build_tables(const struct hm_layout *l, bool pae, void *mem,
			 hm_paddr_t mem_pa, struct hm_x86_tables *out);

/* Flags of a directory entry that points at a page table (_KERNPG_TABLE),
 * and of a large page in the direct map. */
#define HM_KERNPG_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define HM_KERNPG_LARGE	(HM_KERNPG_TABLE | _PAGE_PSE | _PAGE_GLOBAL)

#endif /* HM_X86_PGTABLE_H */
