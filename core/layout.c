/* SPDX-License-Identifier: MIT */
/* layout.c - derive the address layout the way the kernel's macros do. */
#include "core/layout.h"

void hm_layout_compute(struct hm_layout *l, bool pae, unsigned nr_cpus,
		       uint64_t lowmem_bytes, unsigned last_pkmap)
{
	unsigned end_of_fixed_addresses;

	l->page_offset = __PAGE_OFFSET;
	l->high_memory = __PAGE_OFFSET + (hm_vaddr_t)lowmem_bytes;
	l->pmd_shift = pae ? PMD_SHIFT_PAE : PMD_SHIFT_NOPAE;
	l->last_pkmap = pae ? LAST_PKMAP_PAE : LAST_PKMAP_NOPAE;

	l->fixaddr_top = FIXADDR_TOP;
	l->fix_kmap_begin = FIX_KMAP_BEGIN;
	l->fix_kmap_end = FIX_KMAP_BEGIN + KM_TYPE_NR * nr_cpus - 1;
	end_of_fixed_addresses = l->fix_kmap_end + 1;
	/* FIXADDR_SIZE = __end_of_permanent_fixed_addresses << PAGE_SHIFT */
	l->fixaddr_start = FIXADDR_TOP - (end_of_fixed_addresses << PAGE_SHIFT);

	/* PKMAP_BASE: below the fixmap, rounded down to a whole page table,
	 * with one page of slack (pgtable_32_types.h). */
	l->pkmap_base = (l->fixaddr_start - PAGE_SIZE * (l->last_pkmap + 1)) &
			PMD_MASK(l);
	l->vmalloc_end = l->pkmap_base - 2 * PAGE_SIZE;
	if (last_pkmap)
		l->last_pkmap = last_pkmap;
}
