/* SPDX-License-Identifier: MIT */
/*
 * layout.h - the x86_32 kernel address layout, with the kernel's formulas.
 *
 * Hold this beside arch/x86/include/asm/page_32_types.h, pgtable_32_types.h,
 * fixmap.h and highmem.h.  The kernel fixes these at compile time; here the
 * kernel profile, PAE, RAM and the number of CPUs come from the context's
 * configuration, so the derived values are computed once by
 * hm_profile_layout() (core/profile.h) and the kernel's macros take the
 * layout as their first argument.
 *
 * Freestanding: used by the core, the simulator, the guest and the host of
 * kvm_runner alike.
 */
#ifndef HM_LAYOUT_H
#define HM_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/highmem.h"

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1u << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

/* PMD_SHIFT: a page directory entry maps 2 MiB with PAE, 4 MiB without. */
#define PMD_SHIFT_PAE		21
#define PMD_SHIFT_NOPAE		22
#define PTRS_PER_PTE_PAE	512
#define PTRS_PER_PTE_NOPAE	1024

#define __PAGE_OFFSET		0xC0000000u

/* LAST_PKMAP: one page table's worth of PKMAP entries. */
#define LAST_PKMAP_PAE		512
#define LAST_PKMAP_NOPAE	1024
#define LAST_PKMAP_MAX		LAST_PKMAP_NOPAE

/* x86's tlb_single_page_flush_ceiling (arch/x86/mm/tlb.c, 3.15 on; a
 * sysfs tunable, this its default): flush_tlb_kernel_range() of more pages
 * than this flushes the whole TLB instead of page by page.  The profiles
 * that have it say so (core/profile.h); 2.6.x had no such path. */
#define TLB_SINGLE_PAGE_FLUSH_CEILING	33

/*
 * Everything else is the kernel profile's (core/profile.h):
 * hm_profile_layout() fills struct hm_layout from that kernel's fixmap
 * enumeration and formulas (FIXADDR_TOP, FIX_KMAP_BEGIN/END, KM_TYPE_NR or
 * KM_MAX_IDX, PKMAP_BASE, VMALLOC_*, MAXMEM), and the macros below take
 * the layout as their first argument.
 */
#define PMD_SIZE(l)		(1u << (l)->pmd_shift)
#define PMD_MASK(l)		(~(PMD_SIZE(l) - 1))
#define LAST_PKMAP(l)		((l)->last_pkmap)
#define LAST_PKMAP_MASK(l)	(LAST_PKMAP(l) - 1)
#define PKMAP_BASE(l)		((l)->pkmap_base)
#define PKMAP_NR(l, virt)	(((virt) - PKMAP_BASE(l)) >> PAGE_SHIFT)
#define PKMAP_ADDR(l, nr)	(PKMAP_BASE(l) + ((hm_vaddr_t)(nr) << PAGE_SHIFT))
#define __fix_to_virt(l, x)	((l)->fixaddr_top - ((hm_vaddr_t)(x) << PAGE_SHIFT))
#define __virt_to_fix(l, x)	(((l)->fixaddr_top - ((x) & PAGE_MASK)) >> PAGE_SHIFT)
/* The fixmap index of the @n-th nested temporary map (or km_type slot
 * @n) of @cpu. */
#define kmap_fix_idx(l, cpu, n)						\
	((l)->fix_kmap_begin + (l)->km_first_idx + (n) * (l)->km_step +	\
	 (l)->km_slots * (cpu))
/* The fixmap's page tables are consecutive and cover from the PMD of
 * FIXADDR_START up to FIXADDR_TOP (2 for 6.1's fixmap of 583 pages); the
 * PTE of @vaddr is at this many entries from the first. */
#define FIXMAP_PT_BASE(l)	((l)->fixaddr_start & PMD_MASK(l))
#define FIXMAP_PT_INDEX(l, vaddr) (((vaddr) - FIXMAP_PT_BASE(l)) >> PAGE_SHIFT)
#define FIXMAP_PT_PAGES(l)						\
	((((l)->fixaddr_top >> (l)->pmd_shift) -			\
	  ((l)->fixaddr_start >> (l)->pmd_shift)) + 1)

/* Direct map: __va and __pa for lowmem. */
#define __va(pa)		((hm_vaddr_t)((pa) + __PAGE_OFFSET))
#define __pa(va)		((hm_paddr_t)((va) - __PAGE_OFFSET))

#endif /* HM_LAYOUT_H */
