/* SPDX-License-Identifier: MIT */
/*
 * layout_test.c - a context's layout under the default profile, linux-4.7,
 * against figures worked out by hand from its arch/x86 headers
 * (fixmap.h, pgtable_32_types.h; core/profile_test.c has every profile):
 *
 *   FIX_KMAP_BEGIN = 69 (FIX_HOLE, DBGP, EARLYCON, APIC, 64 IO-APICs,
 *                    RO_IDT), FIX_KMAP_END = 69 + 20 * NR_CPUS - 1, then
 *                    PCIE_MCFG, PARAVIRT_BOOTMAP, TEXT_POKE1, TEXT_POKE0
 *   FIXADDR_START = FIXADDR_TOP - (FIX_KMAP_END + 5) pages
 *   PKMAP_BASE    = (FIXADDR_START - (LAST_PKMAP + 1) pages) & PMD_MASK
 *   VMALLOC_END   = PKMAP_BASE - 2 pages
 *   MAXMEM        = VMALLOC_END - PAGE_OFFSET - 128 MiB
 *   VMALLOC_START = high_memory + 8 MiB
 *
 * with FIXADDR_TOP 0xfffff000, KM_TYPE_NR 20, NR_CPUS = the CPUs.
 */
#include <string.h>

#include "core/arch.h"		/* hm_ctx_reconfigure */
#include "core/testing/testing.h"

static struct hm_ctx *make(bool pae, unsigned cpus, uint64_t mem)
{
	struct hm_config cfg;

	hm_config_default(&cfg);
	cfg.pae = pae;
	cfg.nr_cpus = cpus;
	cfg.mem_bytes = mem;
	return test_ctx(&cfg, NULL);
}

static void pae_one_cpu(void **state)
{
	struct hm_ctx *ctx = make(true, 1, 1ull << 30);
	const struct hm_layout *l = hm_layout(ctx);

	(void)state;
	assert_int_equal(l->page_offset, 0xC0000000u);
	/* MAXMEM = 0xffbfe000 - 0xc0000000 - 0x8000000 = 0x37bfe000 */
	assert_int_equal(l->high_memory, 0xF7BFE000u);	/* "891MB LOWMEM" */
	assert_int_equal(l->last_pkmap, 512);
	assert_int_equal(l->pmd_shift, 21);
	assert_int_equal(l->fixaddr_top, 0xFFFFF000u);
	assert_int_equal(l->fix_kmap_begin, 69);
	assert_int_equal(l->fix_kmap_end, 88);
	assert_int_equal(l->km_slots, 20);
	assert_int_equal(l->km_max_nest, 20);
	assert_int_equal(l->km_first_idx, 0);
	assert_int_equal(l->km_step, 1);
	/* 0xfffff000 - 93 pages */
	assert_int_equal(l->fixaddr_start, 0xFFFA2000u);
	/* (0xfffa2000 - 513 pages = 0xffda1000) & ~(2M - 1) */
	assert_int_equal(l->pkmap_base, 0xFFC00000u);
	assert_int_equal(l->vmalloc_end, 0xFFBFE000u);
	assert_int_equal(l->vmalloc_start, 0xF83FE000u);
	assert_int_equal(hm_max_low_pfn(ctx), 0x37bfe);
	assert_int_equal(hm_max_pfn(ctx), 0x40000);
	assert_int_equal(hm_pkmap_addr(ctx, 0), 0xFFC00000u);
	assert_int_equal(hm_pkmap_addr(ctx, 511), 0xFFDFF000u);
	/* slot 0 of cpu 0 is FIX_KMAP_BEGIN: 69 pages below the top */
	assert_int_equal(hm_kmap_atomic_slot_addr(ctx, 0, 0), 0xFFFBA000u);
	assert_int_equal(hm_kmap_atomic_slot_addr(ctx, 0, 19), 0xFFFA7000u);
	hm_destroy(ctx);
}

static void pae_sixteen_cpus(void **state)
{
	struct hm_ctx *ctx = make(true, HM_MAX_CPUS, 1ull << 30);
	const struct hm_layout *l = hm_layout(ctx);

	(void)state;
	assert_int_equal(l->fix_kmap_end, 69 + 20 * 16 - 1);
	/* 0xfffff000 - 393 pages */
	assert_int_equal(l->fixaddr_start, 0xFFE76000u);
	/* (0xffe76000 - 513 pages = 0xffc75000) & ~(2M - 1) */
	assert_int_equal(l->pkmap_base, 0xFFC00000u);
	/* cpu 15's window: FIX_KMAP_BEGIN + 20 * 15 */
	assert_int_equal(hm_kmap_atomic_slot_addr(ctx, 15, 0), 0xFFE8E000u);
	/* the whole window stays in the fixmap's own page table */
	assert_true(hm_kmap_atomic_slot_addr(ctx, 15, 19) >= 0xFFE00000u);
	hm_destroy(ctx);
}

static void no_pae(void **state)
{
	struct hm_ctx *ctx = make(false, 1, 1ull << 30);
	const struct hm_layout *l = hm_layout(ctx);

	(void)state;
	assert_int_equal(l->last_pkmap, 1024);
	assert_int_equal(l->pmd_shift, 22);
	/* (0xfffa2000 - 1025 pages = 0xffba1000) & ~(4M - 1) */
	assert_int_equal(l->pkmap_base, 0xFF800000u);
	assert_int_equal(l->vmalloc_end, 0xFF7FE000u);
	assert_int_equal(hm_pkmap_addr(ctx, 1023), 0xFFBFF000u);
	/* 0xff7fe000 - 0xc8000000 */
	assert_int_equal(hm_max_low_pfn(ctx), 0x377fe);
	hm_destroy(ctx);
}

/* A smaller window: same place, fewer entries, wrapping at 16. */
static void small_window(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	char err[100];

	(void)state;
	hm_config_default(&cfg);
	cfg.last_pkmap = 16;
	ctx = test_ctx(&cfg, NULL);
	assert_int_equal(hm_layout(ctx)->last_pkmap, 16);
	assert_int_equal(hm_layout(ctx)->pkmap_base, 0xFFC00000u);
	for (unsigned i = 1; i <= 16; i++) {
		struct page *p = high_page(ctx, i);
		hm_vaddr_t v = hm_kmap(ctx, p);

		assert_int_equal(v, 0xFFC00000u + ((i % 16) << 12));
		hm_kunmap(ctx, p);
	}
	assert_int_equal(hm_last_pkmap_nr(ctx), 0);
	hm_destroy(ctx);

	cfg.last_pkmap = 24;
	assert_null(hm_create(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "last_pkmap 24"));
	cfg.last_pkmap = 1024;		/* more than PAE's 512 */
	assert_null(hm_create(&cfg, err, sizeof(err)));
}

static void small_memory_has_no_highmem(void **state)
{
	struct hm_ctx *ctx = make(true, 1, 512ull << 20);
	const struct hm_layout *l = hm_layout(ctx);

	(void)state;
	assert_int_equal(l->high_memory, 0xE0000000u);
	assert_int_equal(hm_max_low_pfn(ctx), hm_max_pfn(ctx));
	assert_false(hm_PageHighMem(ctx, hm_pfn_to_page(ctx, 0x1FFFF)));
	assert_null(hm_pfn_to_page(ctx, 0x20000));
	hm_destroy(ctx);
}

static void highmem_boundary(void **state)
{
	struct hm_ctx *ctx = make(true, 1, 1ull << 30);

	(void)state;
	assert_false(hm_PageHighMem(ctx, hm_pfn_to_page(ctx, 0x37BFD)));
	assert_true(hm_PageHighMem(ctx, hm_pfn_to_page(ctx, 0x37BFE)));
	assert_int_equal(hm_page_to_pfn(ctx, hm_pfn_to_page(ctx, 0x3ABCD)),
			 0x3ABCD);
	assert_null(hm_pfn_to_page(ctx, 0x40000));
	/* the simulated kernel keeps its page tables below this */
	assert_true(hm_first_free_pfn(ctx) > 0x100);
	hm_destroy(ctx);
}

/* PAE reaches frames above 4 GiB: the PTE carries the high bits and the
 * walk follows them. */
static void pae_frames_above_4g(void **state)
{
	struct hm_ctx *ctx = make(true, 1, 8ull << 30);
	struct page *p = hm_pfn_to_page(ctx, 0x1ABCDE);
	const uint32_t magic = 0x5eed1234;
	hm_paddr_t pa = 0;
	hm_vaddr_t v;
	uint32_t got = 0;

	(void)state;
	assert_non_null(p);
	v = hm_kmap(ctx, p);
	assert_int_not_equal(v, 0);
	assert_int_equal(hm_pkmap_pte(ctx, (v - hm_layout(ctx)->pkmap_base) >> 12)
			 >> 12 & 0xFFFFFFFFFull, 0x1ABCDE);
	assert_int_equal(hm_sim_walk(ctx, v, &pa), HM_OK);
	assert_int_equal(pa, 0x1ABCDE000ull);
	write32(ctx, v + 8, magic);
	assert_int_equal(hm_sim_phys_read(ctx, pa + 8, &got, 4), HM_OK);
	assert_int_equal(got, magic);
	hm_kunmap(ctx, p);
	hm_destroy(ctx);
}

/* hm_ctx_reconfigure() (core/arch.h), what the guest does between
 * sequences on tables already built: fewer CPUs and the debug option keep
 * linux-4.7's PKMAP_BASE and lowmem (up to 4 CPUs), so they are taken;
 * another kernel, or a layout that moves PKMAP_BASE, is refused and the
 * context left as it was. */
static void reconfigure_on_the_same_tables(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;

	(void)state;
	hm_config_default(&cfg);
	cfg.nr_cpus = 4;
	ctx = test_ctx(&cfg, NULL);
	hm_reset(ctx);
	cfg.nr_cpus = 2;
	cfg.debug_highmem = true;
	assert_null(hm_ctx_reconfigure(ctx, &cfg));
	assert_int_equal(hm_layout(ctx)->km_slots, 41);
	assert_int_equal(hm_layout(ctx)->fix_kmap_end, 69 + 2 * 41 - 1);
	/* cpu 1's first slot: 0xfffff000 - ((69 + 41) << 12) */
	assert_int_equal(hm_kmap_atomic_slot_addr(ctx, 1, 0), 0xFFF91000u);
	assert_int_equal(hm_kmap_atomic(ctx, high_page(ctx, 1)), 0xFFFBA000u);
	hm_kunmap_atomic(ctx, 0xFFFBA000u);

	hm_reset(ctx);
	cfg.kernel = HM_KERNEL_6_1;
	assert_non_null(hm_ctx_reconfigure(ctx, &cfg));
	assert_int_equal(hm_config(ctx)->kernel, HM_KERNEL_DEFAULT);
	assert_int_equal(hm_layout(ctx)->km_slots, 41);
	hm_destroy(ctx);

	/* 6.1: DEBUG_KMAP_LOCAL's 33 slots x 32 move PKMAP_BASE 2 MiB down */
	hm_config_default(&cfg);
	cfg.kernel = HM_KERNEL_6_1;
	ctx = test_ctx(&cfg, NULL);
	hm_reset(ctx);
	cfg.debug_highmem = true;
	assert_non_null(strstr(hm_ctx_reconfigure(ctx, &cfg), "PKMAP_BASE"));
	assert_int_equal(hm_layout(ctx)->pkmap_base, 0xFF000000u);
	hm_destroy(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pae_one_cpu),
		cmocka_unit_test(pae_sixteen_cpus),
		cmocka_unit_test(no_pae),
		cmocka_unit_test(small_window),
		cmocka_unit_test(small_memory_has_no_highmem),
		cmocka_unit_test(highmem_boundary),
		cmocka_unit_test(pae_frames_above_4g),
		cmocka_unit_test(reconfigure_on_the_same_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
