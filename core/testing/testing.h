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
	int count;		/* BUGs and WARNs */
	int warns;		/* of which WARNs (HM_REPORT_KERNEL) */
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

/*
 * The default profile, linux-4.7, worked out by hand from its headers
 * (core/profile_test.c shows the arithmetic): KM_TYPE_NR of
 * include/asm-generic/kmap_types.h, 20 (41 with __WITH_KM_FENCE, i.e.
 * DEBUG_HIGHMEM on x86_32); FIX_KMAP_BEGIN 69 (FIX_HOLE, DBGP, EARLYCON,
 * APIC, 64 IO-APICs, RO_IDT before it, arch/x86/include/asm/fixmap.h);
 * __FIXADDR_TOP 0xfffff000; so cpu @c's slot @k is at
 * 0xfffff000 - ((69 + k + 20 * c) << 12): cpu 0's first 0xfffba000.
 * With 1 GiB and PAE, PKMAP_BASE 0xffc00000, VMALLOC_END 0xffbfe000 and
 * MAXMEM = VMALLOC_END - PAGE_OFFSET - 128 MiB = 0x37bfe000: the first
 * highmem frame is 0x37bfe ("891MB LOWMEM").  Without PAE PKMAP_BASE is
 * 0xff800000 and the first highmem frame 0x377fe.
 */
#define KM_TYPE_NR_4_7		20
#define KM_TYPE_NR_4_7_DEBUG	41
#define FIX_KMAP_BEGIN_4_7	69u
#define FIXADDR_TOP_X86		0xfffff000u
#define SLOT_VA_4_7(cpu, k, slots)					\
	(FIXADDR_TOP_X86 - ((FIX_KMAP_BEGIN_4_7 + (k) + (slots) * (cpu)) << 12))
#define MAX_LOW_PFN_4_7_PAE	0x37bfeu
#define MAX_LOW_PFN_4_7_NOPAE	0x377feu

/* The first highmem pfn plus @i. */
struct page *high_page(struct hm_ctx *ctx, uint64_t i);

#endif /* HM_TESTING_H */
