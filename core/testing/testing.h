/* SPDX-License-Identifier: MIT */
/*
 * testing.h - what the core's cmocka tests share: a BUG() recorder and a
 * context maker that fails the test on error.
 */
#ifndef HM_TESTING_H
#define HM_TESTING_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/highmem.h"

/* Records every BUG() report instead of aborting. */
struct bug_log {
	int count;
	char func[64];		/* of the last report */
	char msg[256];
	char file[64];
	unsigned line;
};

/* A context made from @cfg (NULL: defaults) whose BUG reports go to @log;
 * with @log NULL, any BUG fails the test. */
struct hm_ctx *test_ctx(const struct hm_config *cfg, struct bug_log *log);

/* Asserts exactly one new BUG since @before, from @func, whose message
 * contains @needle; resets nothing. */
void assert_one_bug(const struct bug_log *log, int before, const char *func,
		    const char *needle);

/* The 32-bit word at @vaddr, read by the current CPU through its TLB. */
uint32_t read32(struct hm_ctx *ctx, hm_vaddr_t vaddr);
void write32(struct hm_ctx *ctx, hm_vaddr_t vaddr, uint32_t val);

/* PTE bits and the flags the core writes (PAGE_KERNEL: NX|G|D|A|RW|P). */
#define PTE_PRESENT	0x001ull
#define PTE_PSE		0x080ull
#define PTE_PFN_MASK	0x000ffffffffff000ull	/* PAE: bits 12..51 */
#define PTE_FLAGS_PAE	0x8000000000000163ull
#define PTE_FLAGS_32	0x163ull

/* The 4- or 8-byte page-table entry at physical @pa. */
uint64_t test_phys_entry(struct hm_ctx *ctx, hm_paddr_t pa, bool pae);
/* The physical address of the PTE that maps @vaddr, found as the MMU finds
 * it: from the simulator's CR3 (its page tables are in the hardware format
 * at physical 0x00100000) through the PDPT and page directory. */
hm_paddr_t test_pte_phys(struct hm_ctx *ctx, hm_vaddr_t vaddr);
/* A store into the page table with no TLB flush, as a buggy kernel would. */
void test_stray_pte_write(struct hm_ctx *ctx, hm_vaddr_t vaddr, uint64_t pte);

/* The first highmem pfn plus @i. */
struct page *high_page(struct hm_ctx *ctx, uint64_t i);

#endif /* HM_TESTING_H */
