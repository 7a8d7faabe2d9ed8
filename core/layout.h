/* SPDX-License-Identifier: MIT */
/*
 * layout.h - the x86_32 kernel address layout, with the kernel's formulas.
 *
 * Hold this beside arch/x86/include/asm/page_32_types.h, pgtable_32_types.h,
 * fixmap.h and highmem.h.  The kernel fixes these at compile time; here PAE
 * and the number of CPUs come from the context's configuration, so the
 * derived values are computed once by hm_layout_compute() and the kernel's
 * macros take the layout as their first argument.
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
/* The 2.6-era MAXMEM, -__PAGE_OFFSET - __VMALLOC_RESERVE: the 896 MiB of
 * the direct map.  (Later kernels derive it from VMALLOC_END and print
 * "891MB LOWMEM available"; we keep the classic round figure.) */
#define __VMALLOC_RESERVE	(128u << 20)
#define MAXMEM			(0u - __PAGE_OFFSET - __VMALLOC_RESERVE)

/* __FIXADDR_TOP: one guard page below 4 GiB. */
#define FIXADDR_TOP		(0u - PAGE_SIZE)

/* LAST_PKMAP: one page table's worth of PKMAP entries. */
#define LAST_PKMAP_PAE		512
#define LAST_PKMAP_NOPAE	1024
#define LAST_PKMAP_MAX		LAST_PKMAP_NOPAE

/* KM_TYPE_NR (asm-generic/kmap_types.h, without the debug fence). */
#define KM_TYPE_NR		HM_KM_TYPE_NR

/* x86's tlb_single_page_flush_ceiling: flush_tlb_kernel_range() of more
 * pages than this flushes the whole TLB instead of page by page. */
#define TLB_SINGLE_PAGE_FLUSH_CEILING	33

/* enum fixed_addresses, the part we model.  FIX_KMAP_END and the end of
 * the table depend on the number of CPUs, so they are in the layout. */
enum fixed_addresses {
	FIX_HOLE,
	FIX_APIC_BASE,		/* the local APIC, for the SMP guest */
	FIX_KMAP_BEGIN,		/* reserved ptes for temporary kernel mappings */
	/* FIX_KMAP_END = FIX_KMAP_BEGIN + KM_TYPE_NR * nr_cpus - 1 */
};

/*
 * Fills @l for the given configuration: PKMAP_BASE, FIXADDR_START and the
 * rest.  @lowmem_bytes is the part of memory in the direct map;
 * @last_pkmap, when not 0, is how many PKMAP entries are used (the window
 * keeps the position the arch's LAST_PKMAP gives it).
 */
void hm_layout_compute(struct hm_layout *l, bool pae, unsigned nr_cpus,
		       uint64_t lowmem_bytes, unsigned last_pkmap);

#define PMD_SIZE(l)		(1u << (l)->pmd_shift)
#define PMD_MASK(l)		(~(PMD_SIZE(l) - 1))
#define LAST_PKMAP(l)		((l)->last_pkmap)
#define LAST_PKMAP_MASK(l)	(LAST_PKMAP(l) - 1)
#define PKMAP_BASE(l)		((l)->pkmap_base)
#define PKMAP_NR(l, virt)	(((virt) - PKMAP_BASE(l)) >> PAGE_SHIFT)
#define PKMAP_ADDR(l, nr)	(PKMAP_BASE(l) + ((hm_vaddr_t)(nr) << PAGE_SHIFT))
#define __fix_to_virt(x)	(FIXADDR_TOP - ((hm_vaddr_t)(x) << PAGE_SHIFT))
#define __virt_to_fix(x)	((FIXADDR_TOP - ((x) & PAGE_MASK)) >> PAGE_SHIFT)

/* Direct map: __va and __pa for lowmem. */
#define __va(pa)		((hm_vaddr_t)((pa) + __PAGE_OFFSET))
#define __pa(va)		((hm_paddr_t)((va) - __PAGE_OFFSET))

#endif /* HM_LAYOUT_H */
