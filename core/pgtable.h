/* SPDX-License-Identifier: MIT */
/*
 * pgtable.h - x86 page-table entries, in the hardware's bit layout.
 *
 * With PAE an entry is 64 bits (frame in bits 12..51, NX in bit 63); without
 * it, 32 bits.  Values travel as uint64_t either way; pte_read() and the
 * arch's set_pte know the width of the table they touch.
 * Freestanding: shared by the core, the simulator and the guest.
 */
#ifndef HM_PGTABLE_H
#define HM_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/layout.h"

typedef uint64_t pte_t;

#define _PAGE_PRESENT	(1ull << 0)
#define _PAGE_RW	(1ull << 1)
#define _PAGE_USER	(1ull << 2)
#define _PAGE_PWT	(1ull << 3)
#define _PAGE_PCD	(1ull << 4)
#define _PAGE_ACCESSED	(1ull << 5)
#define _PAGE_DIRTY	(1ull << 6)
#define _PAGE_PSE	(1ull << 7)	/* in a directory entry: a large page */
#define _PAGE_GLOBAL	(1ull << 8)
#define _PAGE_NX	(1ull << 63)	/* PAE only */

#define PTE_PFN_MASK_PAE	0x000ffffffffff000ull	/* bits 12..51 */
#define PTE_PFN_MASK_NOPAE	0x00000000fffff000ull

/* PAGE_KERNEL, which x86_32 uses as kmap_prot. */
#define __PAGE_KERNEL_BASE \
	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_GLOBAL)
static inline pte_t kmap_prot(bool pae)
{
	return __PAGE_KERNEL_BASE | (pae ? _PAGE_NX : 0);
}

static inline pte_t pfn_pte(uint64_t pfn, pte_t prot)
{
	return (pfn << PAGE_SHIFT) | prot;
}

static inline uint64_t pte_pfn(pte_t pte, bool pae)
{
	return (pte & (pae ? PTE_PFN_MASK_PAE : PTE_PFN_MASK_NOPAE)) >>
	       PAGE_SHIFT;
}

static inline bool pte_none(pte_t pte)
{
	return pte == 0;
}

static inline bool pte_present(pte_t pte)
{
	return (pte & _PAGE_PRESENT) != 0;
}

/* The address of entry @idx of @table; @idx may be negative, as in the
 * kernel's kmap_pte - idx. */
static inline void *pte_offset(void *table, long idx, bool pae)
{
	return (char *)table + idx * (pae ? 8 : 4);
}

/* Page tables are page-aligned, so every entry is naturally aligned even
 * where the ABI aligns uint64_t to 4 bytes (i386). */
typedef uint64_t __attribute__((aligned(8))) pte64_t;

/* A relaxed atomic load: another CPU's page walk may read concurrently.
 * (On i386 this is one 8-byte load, as set_pte_atomic() would store.) */
static inline pte_t pte_read(const void *ptep, bool pae)
{
	if (pae)
		return __atomic_load_n((const pte64_t *)ptep,
				       __ATOMIC_RELAXED);
	return __atomic_load_n((const uint32_t *)ptep, __ATOMIC_RELAXED);
}

#endif /* HM_PGTABLE_H */
