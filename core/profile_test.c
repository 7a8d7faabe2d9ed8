/* SPDX-License-Identifier: MIT */
/*
 * profile_test.c - every profile's layout against numbers worked out by
 * hand from that kernel's headers.  The arithmetic is in the comments; no
 * expected value is computed by the code under test.
 *
 * Common to all (x86_32, VMSPLIT_3G, native __FIXADDR_TOP):
 *   PAGE_OFFSET 0xc0000000, FIXADDR_TOP 0xfffff000, one page 0x1000,
 *   __fix_to_virt(x) = 0xfffff000 - x * 0x1000,
 *   PAE: LAST_PKMAP 512, PMD 2 MiB (mask 0xffe00000), PTRS_PER_PTE 512;
 *   2-level: LAST_PKMAP 1024, PMD 4 MiB (mask 0xffc00000), PTRS_PER_PTE 1024;
 *   __VMALLOC_RESERVE 128 MiB = 0x08000000, VMALLOC_OFFSET 8 MiB.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/profile.h"

/* One row of the README table, worked out by hand. */
struct row {
	unsigned gib, cpus;
	uint32_t high_memory, max_low_pfn, vmalloc_start, vmalloc_end;
	uint32_t pkmap_base, fixaddr_start;
	unsigned fix_kmap_begin, fix_kmap_end;
	uint32_t cpu0, cpu1;	/* first slot; cpu1 0 when one CPU runs */
};

static struct hm_profile_layout layout_of(const char *name, bool pae,
					  uint64_t mem, unsigned cpus,
					  unsigned nr_build, bool debug)
{
	const struct hm_kernel_profile *p = hm_kernel_profile_find(name);
	struct hm_profile_params in = {
		.pae = pae, .mem_bytes = mem, .nr_cpus = cpus,
		.nr_cpus_build = nr_build, .debug = debug,
	};
	struct hm_profile_layout pl;
	const char *why;

	assert_non_null(p);
	memset(&pl, 0xa5, sizeof(pl));
	why = hm_profile_layout(p, &in, &pl);
	if (why)
		fail_msg("%s: %s", name, why);
	return pl;
}

static void check_rows(const char *name, const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		struct hm_profile_layout pl = layout_of(name, true,
			(uint64_t)r->gib << 30, r->cpus, 0, false);

		assert_int_equal(pl.l.page_offset, 0xC0000000u);
		assert_int_equal(pl.l.fixaddr_top, 0xFFFFF000u);
		assert_int_equal(pl.l.last_pkmap, 512);
		assert_int_equal(pl.l.pmd_shift, 21);
		assert_int_equal(pl.max_pfn, (uint64_t)r->gib << 18);
		assert_int_equal(pl.l.high_memory, r->high_memory);
		assert_int_equal(pl.max_low_pfn, r->max_low_pfn);
		assert_int_equal(pl.l.vmalloc_start, r->vmalloc_start);
		assert_int_equal(pl.l.vmalloc_end, r->vmalloc_end);
		assert_int_equal(pl.l.pkmap_base, r->pkmap_base);
		assert_int_equal(pl.l.fixaddr_start, r->fixaddr_start);
		assert_int_equal(pl.l.fix_kmap_begin, r->fix_kmap_begin);
		assert_int_equal(pl.l.fix_kmap_end, r->fix_kmap_end);
		assert_int_equal(hm_profile_kmap_slot(&pl, 0, 0), r->cpu0);
		if (r->cpus > 1)
			assert_int_equal(hm_profile_kmap_slot(&pl, 1, 0),
					 r->cpu1);
	}
}

/*
 * linux-2.6.24, include/asm-x86/fixmap_32.h, NR_CPUS = N:
 *   FIX_HOLE 0, FIX_VDSO 1, FIX_DBGP_BASE 2, FIX_EARLYCON_MEM_BASE 3,
 *   FIX_APIC_BASE 4, FIX_IO_APIC_BASE_0..END 5..68 (MAX_IO_APICS 64),
 *   FIX_KMAP_BEGIN 69, FIX_KMAP_END 69 + 13N - 1 (kmap_types.h: 13 types),
 *   FIX_ACPI_BEGIN..END 4 pages, FIX_PCIE_MCFG, FIX_PARAVIRT_BOOTMAP:
 *   __end_of_permanent_fixed_addresses = 69 + 13N + 6 = 75 + 13N;
 *   FIX_BTMAP_END = that, FIX_BTMAP_BEGIN + 15, FIX_WP_TEST:
 *   __end_of_fixed_addresses = 92 + 13N.
 * N=1: end_perm 88: FIXADDR_START 0xfffff000 - 0x58000 = 0xfffa7000;
 *      end 105: FIXADDR_BOOT_START 0xfffff000 - 0x69000 = 0xfff96000;
 *      highmem.h PKMAP_BASE (0xfff96000 - 513 pages = 0xffd95000) & PMD
 *      = 0xffc00000; pgtable_32.h VMALLOC_END 0xffc00000 - 0x2000.
 * N=4: end_perm 127: 0xfffff000 - 0x7f000 = 0xfff80000; end 144:
 *      0xfffff000 - 0x90000 = 0xfff6f000, - 0x201000 = 0xffd6e000 & PMD
 *      = 0xffc00000.  FIX_KMAP_END 69 + 52 - 1 = 120.
 * page_32.h MAXMEM = -0xc0000000 - 0x08000000 = 0x38000000: lowmem ends at
 *   pfn 0x38000 for any RAM above 896 MiB, high_memory 0xf8000000;
 *   VMALLOC_START (0xf8000000 + 0xffffff) & ~0x7fffff = 0xf8800000.
 * Slots: KM_BOUNCE_READ (0) of cpu 0 = fix 69 = 0xfffff000 - 0x45000 =
 *   0xfffba000; of cpu 1 = fix 69 + 13 = 82: - 0x52000 = 0xfffad000.
 */
static void linux_2_6_24_table(void **state)
{
	static const struct row rows[] = {
		{ 1, 1, 0xF8000000, 0x38000, 0xF8800000, 0xFFBFE000,
		  0xFFC00000, 0xFFFA7000, 69, 81, 0xFFFBA000, 0 },
		{ 1, 4, 0xF8000000, 0x38000, 0xF8800000, 0xFFBFE000,
		  0xFFC00000, 0xFFF80000, 69, 120, 0xFFFBA000, 0xFFFAD000 },
		{ 2, 1, 0xF8000000, 0x38000, 0xF8800000, 0xFFBFE000,
		  0xFFC00000, 0xFFFA7000, 69, 81, 0xFFFBA000, 0 },
		{ 2, 4, 0xF8000000, 0x38000, 0xF8800000, 0xFFBFE000,
		  0xFFC00000, 0xFFF80000, 69, 120, 0xFFFBA000, 0xFFFAD000 },
		{ 4, 1, 0xF8000000, 0x38000, 0xF8800000, 0xFFBFE000,
		  0xFFC00000, 0xFFFA7000, 69, 81, 0xFFFBA000, 0 },
		{ 4, 4, 0xF8000000, 0x38000, 0xF8800000, 0xFFBFE000,
		  0xFFC00000, 0xFFF80000, 69, 120, 0xFFFBA000, 0xFFFAD000 },
	};
	struct hm_profile_layout pl = layout_of("linux-2.6.24", true,
						1ull << 30, 1, 0, false);

	(void)state;
	check_rows("linux-2.6.24", rows, sizeof(rows) / sizeof(rows[0]));
	assert_int_equal(pl.end_of_permanent, 88);
	assert_int_equal(pl.fix_btmap_end, 88);
	assert_int_equal(pl.fix_btmap_begin, 103);
	assert_int_equal(pl.end_of_fixed, 105);
	assert_int_equal(pl.fixaddr_tot_start, 0xFFF96000u);
	assert_int_equal(pl.l.km_slots, 13);
	/* KM_USER0 is type 3: fix 72 = 0xfffff000 - 0x48000 */
	assert_int_equal(hm_profile_kmap_slot(&pl, 0, 3), 0xFFFB7000u);
	/* KM_SOFTIRQ1 (12) is the last; type 13 does not exist */
	assert_int_equal(hm_profile_kmap_slot(&pl, 0, 12), 0xFFFAE000u);
	assert_int_equal(hm_profile_kmap_slot(&pl, 0, 13), 0);
	assert_int_equal(pl.cpu_entry_area_base, 0);
}

/* include/asm-x86/kmap_types.h (2.6.24): the 13 names in enum order. */
static void linux_2_6_24_km_types(void **state)
{
	const struct hm_kernel_profile *p =
		hm_kernel_profile_find("linux-2.6.24");

	(void)state;
	assert_int_equal(p->nr_km_types, 13);
	assert_int_equal(p->nr_km_types, p->km_slots);
	assert_string_equal(p->km_type_names[0], "KM_BOUNCE_READ");
	assert_string_equal(p->km_type_names[3], "KM_USER0");
	assert_string_equal(p->km_type_names[8], "KM_PTE1");
	assert_string_equal(p->km_type_names[9], "KM_IRQ0");	/* no KM_PTE2 */
	assert_string_equal(p->km_type_names[12], "KM_SOFTIRQ1");
	assert_null(hm_kernel_profile_find("linux-4.7")->km_type_names);
}

/*
 * linux-2.6.24 with DEBUG_HIGHMEM: kmap_types.h's D(n) puts __KM_FENCE_n
 * before each type and before KM_TYPE_NR: KM_TYPE_NR 2 * 13 + 1 = 27,
 * KM_BOUNCE_READ 1, KM_USER0 7.  N=1: FIX_KMAP_END 69 + 27 - 1 = 95,
 * end_perm 102: FIXADDR_START 0xfffff000 - 0x66000 = 0xfff99000; end 119:
 * 0xfff88000, - 0x201000 = 0xffd87000 & PMD = 0xffc00000.
 * KM_BOUNCE_READ: fix 70 = 0xfffb9000; KM_USER0: fix 76 = 0xfffb3000.
 */
static void linux_2_6_24_debug(void **state)
{
	struct hm_profile_layout pl = layout_of("linux-2.6.24", true,
						1ull << 30, 1, 0, true);

	(void)state;
	assert_int_equal(pl.l.km_slots, 27);
	assert_int_equal(pl.l.fix_kmap_end, 95);
	assert_int_equal(pl.l.fixaddr_start, 0xFFF99000u);
	assert_int_equal(pl.l.pkmap_base, 0xFFC00000u);
	assert_int_equal(hm_profile_kmap_slot(&pl, 0, 0), 0xFFFB9000u);
	assert_int_equal(hm_profile_kmap_slot(&pl, 0, 3), 0xFFFB3000u);
}

/*
 * linux-2.6.24, 2-level paging, 1 CPU: same fixmap; PKMAP_BASE
 * (0xfff96000 - 1025 pages = 0xffb95000) & 0xffc00000 = 0xff800000,
 * VMALLOC_END 0xff7fe000; MAXMEM still 896 MiB.
 * RAM of 100 MiB + 4 KiB: all lowmem, high_memory 0xc6401000;
 * VMALLOC_START (0xc6401000 + 0xffffff) & ~0x7fffff = 0xc7000000.
 */
static void linux_2_6_24_nopae_and_small(void **state)
{
	struct hm_profile_layout pl = layout_of("linux-2.6.24", false,
						1ull << 30, 1, 0, false);

	(void)state;
	assert_int_equal(pl.l.last_pkmap, 1024);
	assert_int_equal(pl.l.pmd_shift, 22);
	assert_int_equal(pl.l.pkmap_base, 0xFF800000u);
	assert_int_equal(pl.l.vmalloc_end, 0xFF7FE000u);
	assert_int_equal(pl.max_low_pfn, 0x38000);
	assert_int_equal(pl.l.high_memory, 0xF8000000u);

	pl = layout_of("linux-2.6.24", true, (100ull << 20) + 4096, 1, 0,
		       false);
	assert_int_equal(pl.max_low_pfn, 0x6401);
	assert_int_equal(pl.max_low_pfn, pl.max_pfn);
	assert_int_equal(pl.l.high_memory, 0xC6401000u);
	assert_int_equal(pl.l.vmalloc_start, 0xC7000000u);
}

/*
 * linux-4.7, arch/x86/include/asm/fixmap.h, NR_CPUS = N:
 *   FIX_HOLE 0, FIX_DBGP_BASE 1, FIX_EARLYCON_MEM_BASE 2, FIX_APIC_BASE 3,
 *   FIX_IO_APIC_BASE_0..END 4..67, FIX_RO_IDT 68, FIX_KMAP_BEGIN 69,
 *   FIX_KMAP_END 69 + 20N - 1 (asm-generic/kmap_types.h KM_TYPE_NR 20),
 *   FIX_PCIE_MCFG, FIX_PARAVIRT_BOOTMAP, FIX_TEXT_POKE1, FIX_TEXT_POKE0:
 *   __end_of_permanent_fixed_addresses = 73 + 20N.
 * N=1: 93 pages: FIXADDR_START 0xfffff000 - 0x5d000 = 0xfffa2000;
 *      pgtable_32_types.h PKMAP_BASE (0xfffa2000 - 0x201000 = 0xffda1000)
 *      & PMD = 0xffc00000; VMALLOC_END 0xffbfe000.
 * N=4: 153 pages: 0xfffff000 - 0x99000 = 0xfff66000, - 0x201000 =
 *      0xffd65000 & PMD = 0xffc00000.  FIX_KMAP_END 69 + 80 - 1 = 148.
 * MAXMEM = 0xffbfe000 - 0xc0000000 - 0x08000000 = 0x37bfe000: pfn 0x37bfe
 *   (the "891MB LOWMEM" of issue #13), high_memory 0xf7bfe000,
 *   VMALLOC_START = high_memory + 8 MiB = 0xf83fe000.
 * Slots: cpu 0 fix 69 = 0xfffba000; cpu 1 fix 89 = 0xfffff000 - 0x59000 =
 *   0xfffa6000.
 * Boot slots: end_perm 93 = 0x5d, 93 + 511 = 0x25c: (0x5d ^ 0x25c) & -512
 *   = 0x200, not 0, so FIX_BTMAP_END = 93 + 512 - (93 & 511) = 512,
 *   FIX_BTMAP_BEGIN 1023, FIX_WP_TEST 1024, __end_of_fixed_addresses 1025.
 */
static void linux_4_7_table(void **state)
{
	static const struct row rows[] = {
		{ 1, 1, 0xF7BFE000, 0x37BFE, 0xF83FE000, 0xFFBFE000,
		  0xFFC00000, 0xFFFA2000, 69, 88, 0xFFFBA000, 0 },
		{ 1, 4, 0xF7BFE000, 0x37BFE, 0xF83FE000, 0xFFBFE000,
		  0xFFC00000, 0xFFF66000, 69, 148, 0xFFFBA000, 0xFFFA6000 },
		{ 2, 1, 0xF7BFE000, 0x37BFE, 0xF83FE000, 0xFFBFE000,
		  0xFFC00000, 0xFFFA2000, 69, 88, 0xFFFBA000, 0 },
		{ 2, 4, 0xF7BFE000, 0x37BFE, 0xF83FE000, 0xFFBFE000,
		  0xFFC00000, 0xFFF66000, 69, 148, 0xFFFBA000, 0xFFFA6000 },
		{ 4, 1, 0xF7BFE000, 0x37BFE, 0xF83FE000, 0xFFBFE000,
		  0xFFC00000, 0xFFFA2000, 69, 88, 0xFFFBA000, 0 },
		{ 4, 4, 0xF7BFE000, 0x37BFE, 0xF83FE000, 0xFFBFE000,
		  0xFFC00000, 0xFFF66000, 69, 148, 0xFFFBA000, 0xFFFA6000 },
	};
	struct hm_profile_layout pl = layout_of("linux-4.7", true, 1ull << 30,
						4, 0, false);

	(void)state;
	check_rows("linux-4.7", rows, sizeof(rows) / sizeof(rows[0]));
	/* Without DEBUG_HIGHMEM nothing stops the 21st nested map: it is
	 * slot 20 of cpu 0, which is cpu 1's slot 0 (fix 89). */
	assert_int_equal(hm_profile_kmap_slot(&pl, 0, 20), 0xFFFA6000u);
	assert_int_equal(pl.l.km_max_nest, 20);

	pl = layout_of("linux-4.7", true, 1ull << 30, 1, 0, false);
	assert_int_equal(pl.end_of_permanent, 93);
	assert_int_equal(pl.fix_btmap_end, 512);
	assert_int_equal(pl.fix_btmap_begin, 1023);
	assert_int_equal(pl.end_of_fixed, 1025);
	assert_int_equal(pl.maxmem, 0x37BFE000u);
}

/*
 * linux-4.7 with DEBUG_HIGHMEM: kmap_types.h defines __WITH_KM_FENCE on
 * X86_32, asm-generic/kmap_types.h then KM_TYPE_NR 41; the push still steps
 * by one (the fence only widens the window) and BUG_ON(idx >= 41).
 * N=1: FIX_KMAP_END 69 + 41 - 1 = 109, end_perm 114: 0xfffff000 - 0x72000 =
 *   0xfff8d000, - 0x201000 = 0xffd8c000 & PMD = 0xffc00000.
 * N=4: FIX_KMAP_END 69 + 164 - 1 = 232, end_perm 237: 0xfffff000 - 0xed000
 *   = 0xfff12000; cpu 1 slot 0 fix 110 = 0xfffff000 - 0x6e000 = 0xfff91000;
 *   cpu 0's 21st map is fix 89 = 0xfffa6000, still its own.
 */
static void linux_4_7_debug(void **state)
{
	struct hm_profile_layout pl = layout_of("linux-4.7", true, 1ull << 30,
						1, 0, true);

	(void)state;
	assert_int_equal(pl.l.km_slots, 41);
	assert_int_equal(pl.l.fix_kmap_end, 109);
	assert_int_equal(pl.l.fixaddr_start, 0xFFF8D000u);
	assert_int_equal(pl.l.pkmap_base, 0xFFC00000u);
	assert_int_equal(hm_profile_kmap_slot(&pl, 0, 0), 0xFFFBA000u);
	pl = layout_of("linux-4.7", true, 1ull << 30, 4, 0, true);
	assert_int_equal(pl.l.fix_kmap_end, 232);
	assert_int_equal(pl.l.fixaddr_start, 0xFFF12000u);
	assert_int_equal(hm_profile_kmap_slot(&pl, 1, 0), 0xFFF91000u);
	assert_int_equal(hm_profile_kmap_slot(&pl, 0, 20), 0xFFFA6000u);
	assert_int_equal(pl.l.km_max_nest, 41);
}

/*
 * linux-4.7 built with NR_CPUS=32 (a distro's value): FIX_KMAP_END 69 +
 * 640 - 1 = 708, end_perm 713: 0xfffff000 - 0x2c9000 = 0xffd36000;
 * PKMAP_BASE (0xffd36000 - 0x201000 = 0xffb35000) & PMD = 0xffa00000;
 * VMALLOC_END 0xff9fe000; MAXMEM 0xff9fe000 - 0xc8000000 = 0x379fe000.
 * 2-level, 1 CPU: PKMAP_BASE (0xfffa2000 - 0x401000 = 0xffba1000) &
 * 0xffc00000 = 0xff800000, VMALLOC_END 0xff7fe000, MAXMEM 0x377fe000,
 * VMALLOC_START 0xf77fe000 + 8 MiB = 0xf7ffe000.
 * 512 MiB: all lowmem, high_memory 0xe0000000, VMALLOC_START 0xe0800000.
 */
static void linux_4_7_variants(void **state)
{
	struct hm_profile_layout pl = layout_of("linux-4.7", true, 1ull << 30,
						4, 32, false);

	(void)state;
	assert_int_equal(pl.nr_cpus_build, 32);
	assert_int_equal(pl.l.fix_kmap_end, 708);
	assert_int_equal(pl.l.fixaddr_start, 0xFFD36000u);
	assert_int_equal(pl.l.pkmap_base, 0xFFA00000u);
	assert_int_equal(pl.l.vmalloc_end, 0xFF9FE000u);
	assert_int_equal(pl.max_low_pfn, 0x379FE);

	pl = layout_of("linux-4.7", false, 1ull << 30, 1, 0, false);
	assert_int_equal(pl.l.pkmap_base, 0xFF800000u);
	assert_int_equal(pl.l.vmalloc_end, 0xFF7FE000u);
	assert_int_equal(pl.max_low_pfn, 0x377FE);
	assert_int_equal(pl.l.vmalloc_start, 0xF7FFE000u);

	pl = layout_of("linux-4.7", true, 512ull << 20, 1, 0, false);
	assert_int_equal(pl.max_low_pfn, 0x20000);
	assert_int_equal(pl.l.high_memory, 0xE0000000u);
	assert_int_equal(pl.l.vmalloc_start, 0xE0800000u);
}

/*
 * linux-6.1, Debian's config-6.1.0-57-686-pae: NR_CPUS=32 whatever runs.
 * arch/x86/include/asm/fixmap.h: FIX_HOLE 0, FIX_DBGP_BASE 1,
 *   FIX_EARLYCON_MEM_BASE 2, FIX_APIC_BASE 3, FIX_IO_APIC_BASE 4..67,
 *   FIX_KMAP_BEGIN 68, FIX_KMAP_END 68 + 16 * 32 - 1 = 579
 *   (asm-generic/kmap_size.h KM_MAX_IDX 16), FIX_PCIE_MCFG 580,
 *   FIX_APEI_GHES_IRQ 581, FIX_APEI_GHES_NMI 582 (no PARAVIRT_XXL):
 *   __end_of_permanent_fixed_addresses 583 = 0x247.
 *   FIXADDR_START 0xfffff000 - 0x247000 = 0xffdb8000.
 *   Boot slots: 583 + 511 = 1094 = 0x446, 0x247 ^ 0x446 = 0x601, & -512 =
 *   0x600: FIX_BTMAP_END 583 + 512 - 71 = 1024, BEGIN 1535, FIX_WP_TEST
 *   1536, __end_of_fixed_addresses 1537 = 0x601: FIXADDR_TOT_START
 *   0xfffff000 - 0x601000 = 0xff9fe000.
 * pgtable_32_areas.h, struct cpu_entry_area 43 pages:
 *   CPU_ENTRY_AREA_PAGES 32 * 43 = 1376; CPU_ENTRY_AREA_BASE
 *   (0xff9fe000 - 1377 pages = 0xff9fe000 - 0x561000 = 0xff49d000) & PMD
 *   = 0xff400000; LDT_BASE_ADDR (0xff3ff000) & PMD = 0xff200000;
 *   PKMAP_BASE (0xff1ff000) & PMD = 0xff000000; VMALLOC_END 0xfeffe000;
 *   MAXMEM 0xfeffe000 - 0xc8000000 = 0x36ffe000: pfn 0x36ffe ("879MB
 *   LOWMEM"), high_memory 0xf6ffe000, VMALLOC_START 0xf77fe000.
 * Slots: cpu 0 fix 68 = 0xfffff000 - 0x44000 = 0xfffbb000; cpu 1 fix 84 =
 *   - 0x54000 = 0xfffab000.
 */
static void linux_6_1_table(void **state)
{
	static const struct row rows[] = {
		{ 1, 1, 0xF6FFE000, 0x36FFE, 0xF77FE000, 0xFEFFE000,
		  0xFF000000, 0xFFDB8000, 68, 579, 0xFFFBB000, 0 },
		{ 1, 4, 0xF6FFE000, 0x36FFE, 0xF77FE000, 0xFEFFE000,
		  0xFF000000, 0xFFDB8000, 68, 579, 0xFFFBB000, 0xFFFAB000 },
		{ 2, 1, 0xF6FFE000, 0x36FFE, 0xF77FE000, 0xFEFFE000,
		  0xFF000000, 0xFFDB8000, 68, 579, 0xFFFBB000, 0 },
		{ 2, 4, 0xF6FFE000, 0x36FFE, 0xF77FE000, 0xFEFFE000,
		  0xFF000000, 0xFFDB8000, 68, 579, 0xFFFBB000, 0xFFFAB000 },
		{ 4, 1, 0xF6FFE000, 0x36FFE, 0xF77FE000, 0xFEFFE000,
		  0xFF000000, 0xFFDB8000, 68, 579, 0xFFFBB000, 0 },
		{ 4, 4, 0xF6FFE000, 0x36FFE, 0xF77FE000, 0xFEFFE000,
		  0xFF000000, 0xFFDB8000, 68, 579, 0xFFFBB000, 0xFFFAB000 },
	};
	struct hm_profile_layout pl = layout_of("linux-6.1", true, 2ull << 30,
						4, 0, false);

	(void)state;
	check_rows("linux-6.1", rows, sizeof(rows) / sizeof(rows[0]));
	assert_int_equal(pl.nr_cpus_build, 32);
	assert_int_equal(pl.end_of_permanent, 583);
	assert_int_equal(pl.fix_btmap_end, 1024);
	assert_int_equal(pl.fix_btmap_begin, 1535);
	assert_int_equal(pl.end_of_fixed, 1537);
	assert_int_equal(pl.fixaddr_tot_start, 0xFF9FE000u);
	assert_int_equal(pl.cpu_entry_area_base, 0xFF400000u);
	assert_int_equal(pl.ldt_base, 0xFF200000u);
	/* KM_MAX_IDX 16: the 16th map of cpu 0 is fix 83, the last before
	 * cpu 1's window (the 17th is a BUG in every 6.1 build). */
	assert_int_equal(hm_profile_kmap_slot(&pl, 0, 15), 0xFFFAC000u);
	assert_int_equal(pl.l.km_max_nest, 16);
	/* cpu 31 is the last NR_CPUS allows: fix 68 + 496 = 564 */
	assert_int_equal(hm_profile_kmap_slot(&pl, 31, 0),
			 0xFFFFF000u - 564u * 0x1000u);
	assert_int_equal(hm_profile_kmap_slot(&pl, 32, 0), 0);
}

/*
 * linux-6.1 with DEBUG_KMAP_LOCAL: KM_MAX_IDX 33, KM_INCR 2: maps at index
 * 1, 3, 5 ... with a never-mapped guard slot below each.
 *   FIX_KMAP_END 68 + 33 * 32 - 1 = 1123, end_perm 1127 = 0x467:
 *   FIXADDR_START 0xfffff000 - 0x467000 = 0xffb98000.
 *   Boot slots: 1127 + 511 = 1638 = 0x666, 0x467 ^ 0x666 = 0x201, & -512 =
 *   0x200: FIX_BTMAP_END 1127 + 512 - 103 = 1536, __end_of_fixed 2049:
 *   FIXADDR_TOT_START 0xfffff000 - 0x801000 = 0xff7fe000.
 *   CPU_ENTRY_AREA_BASE (0xff7fe000 - 0x561000 = 0xff29d000) & PMD =
 *   0xff200000, LDT 0xff000000, PKMAP_BASE 0xfee00000, VMALLOC_END
 *   0xfedfe000, MAXMEM 0x36dfe000: pfn 0x36dfe, high_memory 0xf6dfe000.
 *   cpu 0: first map fix 69 = 0xfffba000, second fix 71 = 0xfffb8000;
 *   cpu 1: fix 68 + 33 + 1 = 102 = 0xfffff000 - 0x66000 = 0xfff99000.
 */
static void linux_6_1_debug(void **state)
{
	struct hm_profile_layout pl = layout_of("linux-6.1", true, 1ull << 30,
						4, 0, true);

	(void)state;
	assert_int_equal(pl.l.km_slots, 33);
	assert_int_equal(pl.l.fix_kmap_end, 1123);
	assert_int_equal(pl.l.fixaddr_start, 0xFFB98000u);
	assert_int_equal(pl.fix_btmap_end, 1536);
	assert_int_equal(pl.fixaddr_tot_start, 0xFF7FE000u);
	assert_int_equal(pl.cpu_entry_area_base, 0xFF200000u);
	assert_int_equal(pl.ldt_base, 0xFF000000u);
	assert_int_equal(pl.l.pkmap_base, 0xFEE00000u);
	assert_int_equal(pl.l.vmalloc_end, 0xFEDFE000u);
	assert_int_equal(pl.max_low_pfn, 0x36DFE);
	assert_int_equal(pl.l.high_memory, 0xF6DFE000u);
	assert_int_equal(hm_profile_kmap_slot(&pl, 0, 0), 0xFFFBA000u);
	assert_int_equal(hm_profile_kmap_slot(&pl, 0, 1), 0xFFFB8000u);
	assert_int_equal(hm_profile_kmap_slot(&pl, 1, 0), 0xFFF99000u);
	assert_int_equal(pl.l.km_max_nest, 16);
}

/*
 * linux-6.1, 2-level: same enum; PTRS_PER_PTE 1024: 0x601 & -1024 = 0x400,
 * FIX_BTMAP_END still 1024, FIXADDR_TOT_START 0xff9fe000.  PMD 4 MiB:
 * CPU_ENTRY_AREA_BASE 0xff49d000 & 0xffc00000 = 0xff400000, LDT
 * (0xff3ff000) & 0xffc00000 = 0xff000000, PKMAP_BASE (0xfefff000) &
 * 0xffc00000 = 0xfec00000, VMALLOC_END 0xfebfe000, MAXMEM 0x36bfe000.
 */
static void linux_6_1_nopae(void **state)
{
	struct hm_profile_layout pl = layout_of("linux-6.1", false, 2ull << 30,
						1, 0, false);

	(void)state;
	assert_int_equal(pl.fix_btmap_end, 1024);
	assert_int_equal(pl.cpu_entry_area_base, 0xFF400000u);
	assert_int_equal(pl.ldt_base, 0xFF000000u);
	assert_int_equal(pl.l.pkmap_base, 0xFEC00000u);
	assert_int_equal(pl.l.vmalloc_end, 0xFEBFE000u);
	assert_int_equal(pl.max_low_pfn, 0x36BFE);
}

/* What every x86 profile does at unmap, and the lookups. */
static void profiles_and_behaviour(void **state)
{
	const struct hm_kernel_profile *p;
	unsigned n = 0;

	(void)state;
	for (unsigned i = 0; (p = hm_kernel_profile_at(i)); i++, n++) {
		assert_ptr_equal(hm_kernel_profile_find(p->name), p);
		assert_int_equal(p->unmap_pte, HM_UNMAP_CLEAR_FLUSH);
		assert_true(strlen(p->config) > 20);
		assert_true(strlen(p->sources) > 20);
		assert_true(strlen(p->checked) > 20);
		assert_true(strlen(p->uncertain) > 20);
	}
	assert_int_equal(n, 3);
	assert_non_null(hm_kernel_profile_find(HM_KERNEL_PROFILE_DEFAULT));
	assert_null(hm_kernel_profile_find("linux-5.4"));
	assert_null(hm_kernel_profile_find(NULL));
	assert_int_equal(hm_kernel_profile_find("linux-2.6.24")->kmap_scheme,
			 HM_KMAP_TYPED);
	assert_int_equal(hm_kernel_profile_find("linux-4.7")->nest_check,
			 HM_NEST_BUG_IF_DEBUG);
	assert_int_equal(hm_kernel_profile_find("linux-6.1")->kmap_scheme,
			 HM_KMAP_LOCAL);
}

static void expect_refused(const char *name, bool pae, uint64_t mem,
			   unsigned cpus, unsigned nr_build,
			   const char *needle)
{
	struct hm_profile_params in = {
		.pae = pae, .mem_bytes = mem, .nr_cpus = cpus,
		.nr_cpus_build = nr_build,
	};
	struct hm_profile_layout pl;
	const char *why = hm_profile_layout(hm_kernel_profile_find(name), &in,
					    &pl);

	assert_non_null(why);
	if (!strstr(why, needle))
		fail_msg("'%s' lacks '%s'", why, needle);
}

static void bad_parameters(void **state)
{
	(void)state;
	expect_refused("linux-4.7", true, 1ull << 30, 0, 0, "no CPUs");
	expect_refused("linux-6.1", true, 1ull << 30, 33, 0, "NR_CPUS");
	expect_refused("linux-4.7", true, 1ull << 30, 4, 2, "NR_CPUS");
	expect_refused("linux-4.7", true, 1ull << 30, 1, 65, "64");
	expect_refused("linux-4.7", true, 0, 1, 0, "multiple of 4 KiB");
	expect_refused("linux-4.7", true, 4097, 1, 0, "multiple of 4 KiB");
	expect_refused("linux-4.7", false, 5ull << 30, 1, 0, "without PAE");
	expect_refused("linux-4.7", true, 65ull << 30, 1, 0, "64 GiB");
	assert_non_null(hm_profile_layout(NULL, NULL, NULL));
}

/* enum hm_kernel (highmem.h, the names --kernel and "config kernel" take)
 * and the profiles agree: each name finds its own profile; linux-4.7 and
 * "default" are HM_KERNEL_DEFAULT; anything else is HM_KERNEL_NR. */
static void kernel_ids_and_names(void **state)
{
	static const struct {
		enum hm_kernel k;
		const char *name;
	} want[] = {
		{ HM_KERNEL_DEFAULT, "linux-4.7" },
		{ HM_KERNEL_2_6_24, "linux-2.6.24" },
		{ HM_KERNEL_4_7, "linux-4.7" },
		{ HM_KERNEL_6_1, "linux-6.1" },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_string_equal(hm_kernel_name(want[i].k), want[i].name);
		assert_string_equal(hm_kernel_profile_of(want[i].k)->name,
				    want[i].name);
	}
	assert_int_equal(hm_kernel_by_name("linux-4.7"), HM_KERNEL_DEFAULT);
	assert_int_equal(hm_kernel_by_name("default"), HM_KERNEL_DEFAULT);
	assert_int_equal(hm_kernel_by_name("linux-2.6.24"), HM_KERNEL_2_6_24);
	assert_int_equal(hm_kernel_by_name("linux-6.1"), HM_KERNEL_6_1);
	assert_int_equal(hm_kernel_by_name("linux-6.10"), HM_KERNEL_NR);
	assert_int_equal(hm_kernel_by_name("linux-6"), HM_KERNEL_NR);
	assert_int_equal(hm_kernel_by_name(NULL), HM_KERNEL_NR);
	assert_null(hm_kernel_profile_of(HM_KERNEL_NR));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(linux_2_6_24_table),
		cmocka_unit_test(linux_2_6_24_km_types),
		cmocka_unit_test(linux_2_6_24_debug),
		cmocka_unit_test(linux_2_6_24_nopae_and_small),
		cmocka_unit_test(linux_4_7_table),
		cmocka_unit_test(linux_4_7_debug),
		cmocka_unit_test(linux_4_7_variants),
		cmocka_unit_test(linux_6_1_table),
		cmocka_unit_test(linux_6_1_debug),
		cmocka_unit_test(linux_6_1_nopae),
		cmocka_unit_test(profiles_and_behaviour),
		cmocka_unit_test(bad_parameters),
		cmocka_unit_test(kernel_ids_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
