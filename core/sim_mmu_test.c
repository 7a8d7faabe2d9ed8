/* SPDX-License-Identifier: MIT */
/*
 * sim_mmu_test.c - the simulated machine under the highmem code: the direct
 * map and the faulting holes around it (PAE and 2-level), loads and stores
 * through virtual addresses, TLB fill/hit counts, a stale translation that
 * a skipped flush leaves behind (and per-CPU TLBs that do not share it),
 * the PKMAP wrap's flush reaching every CPU, direct-mapped TLB eviction,
 * hm_reset(), hm_create()'s refusals and contexts side by side.
 */
#include <stdio.h>
#include <string.h>

#include "core/testing/testing.h"

#define PAGE_OFFSET	0xC0000000u
#define FIXADDR_TOP	0xFFFFF000u

static struct hm_stats stats(struct hm_ctx *ctx)
{
	struct hm_stats s;

	hm_stats(ctx, &s);
	return s;
}

static struct hm_tlb_stats tlb_stats(struct hm_ctx *ctx, unsigned cpu)
{
	struct hm_tlb_stats s;

	hm_sim_tlb_stats(ctx, cpu, &s);
	return s;
}

static hm_paddr_t frame_of(struct hm_ctx *ctx, struct page *page)
{
	return hm_page_to_pfn(ctx, page) << 12;
}

static void fill_frame(struct hm_ctx *ctx, struct page *page, uint32_t val)
{
	assert_int_equal(hm_sim_phys_write(ctx, frame_of(ctx, page), &val,
					   sizeof(val)), HM_OK);
}

static uint32_t phys32(struct hm_ctx *ctx, hm_paddr_t pa)
{
	uint32_t v = 0;

	assert_int_equal(hm_sim_phys_read(ctx, pa, &v, sizeof(v)), HM_OK);
	return v;
}

static hm_paddr_t walk(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	hm_paddr_t pa = ~0ull;

	assert_int_equal(hm_sim_walk(ctx, vaddr, &pa), HM_OK);
	return pa;
}

static void assert_walk_faults(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	hm_paddr_t pa;

	if (hm_sim_walk(ctx, vaddr, &pa) != HM_FAULT)
		fail_msg("%#x translates to %#llx, expected a fault", vaddr,
			 (unsigned long long)pa);
}

/* Translate through the current CPU's TLB; *hit says whether it answered. */
static hm_paddr_t translate(struct hm_ctx *ctx, hm_vaddr_t vaddr, bool *hit)
{
	hm_paddr_t pa = ~0ull;

	assert_int_equal(hm_sim_translate(ctx, vaddr, &pa, hit), HM_OK);
	return pa;
}


/* ---- The direct map and the holes around it ------------------------------ */

/* What a 1 GiB machine of linux-2.6.24 looks like with either page-table
 * format: its MAXMEM is the classic 896 MiB (-PAGE_OFFSET -
 * __VMALLOC_RESERVE, include/asm-x86/page_32.h), a whole number of large
 * pages.  (4.7 and 6.1 end lowmem inside one: see
 * direct_map_ends_inside_a_large_page.) */
static void check_direct_map(struct hm_ctx *ctx)
{
	static const hm_paddr_t pas[] = {
		0x0, 0x1FFFFF, 0x200000, 0x12345678, 0x37FFF000, 0x37FFFFFF,
	};
	const struct hm_layout *l = hm_layout(ctx);
	uint8_t in[16], out[16];

	assert_int_equal(l->page_offset, PAGE_OFFSET);
	assert_int_equal(l->high_memory, 0xF8000000u);	/* 896 MiB */
	for (size_t i = 0; i < sizeof(pas) / sizeof(pas[0]); i++)
		assert_int_equal(walk(ctx, PAGE_OFFSET + (hm_vaddr_t)pas[i]),
				 pas[i]);
	assert_int_equal(walk(ctx, 0xF7FFFFFFu), 0x37FFFFFFu);

	/* Holes: user space, the vmalloc area above high_memory, an unused
	 * PKMAP entry, an unused fixmap slot, the guard page at the top. */
	assert_walk_faults(ctx, 0);
	assert_walk_faults(ctx, 0x08048000u);
	assert_walk_faults(ctx, PAGE_OFFSET - 1);
	assert_walk_faults(ctx, l->high_memory);
	assert_walk_faults(ctx, l->high_memory + 0x01000000u);
	assert_walk_faults(ctx, l->vmalloc_end - 1);
	assert_walk_faults(ctx, l->pkmap_base - 1);
	assert_walk_faults(ctx, hm_pkmap_addr(ctx, 0));
	assert_walk_faults(ctx, hm_pkmap_addr(ctx, 7) + 0x10);
	assert_walk_faults(ctx, hm_pkmap_addr(ctx, l->last_pkmap - 1));
	assert_walk_faults(ctx, hm_kmap_atomic_slot_addr(ctx, 0, 0));
	assert_walk_faults(ctx, FIXADDR_TOP);
	assert_walk_faults(ctx, 0xFFFFFFFFu);

	/* Loads and stores through the MMU meet the physical ones. */
	for (int i = 0; i < 16; i++)
		in[i] = (uint8_t)(0x30 + i);
	assert_int_equal(hm_sim_phys_write(ctx, 0x00345678, in, 16), HM_OK);
	memset(out, 0, sizeof(out));
	assert_int_equal(hm_sim_read(ctx, 0xC0345678u, out, 16), HM_OK);
	assert_memory_equal(in, out, 16);
	write32(ctx, 0xF7FFFFFCu, 0x600DCAFE);
	assert_int_equal(phys32(ctx, 0x37FFFFFCu), 0x600DCAFE);
	/* A load that runs off the end of the direct map faults. */
	assert_int_equal(hm_sim_read(ctx, 0xF7FFFFFEu, out, 4), HM_FAULT);
}

static void direct_map_pae(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	const struct hm_layout *l;

	(void)state;
	hm_config_default(&cfg);
	cfg.kernel = HM_KERNEL_2_6_24;
	ctx = test_ctx(&cfg, NULL);
	l = hm_layout(ctx);
	assert_int_equal(l->pkmap_base, 0xFFC00000u);
	assert_int_equal(l->last_pkmap, 512);
	assert_int_equal(l->pmd_shift, 21);
	check_direct_map(ctx);
	hm_destroy(ctx);
}

/* linux-4.7 ends lowmem at 0x37bfe, inside a 2 MiB page: the last PMD of
 * the direct map is in 4 KiB pages, so it ends exactly at high_memory
 * (0xf7bfe000), as kernel_physical_mapping_init() leaves it; 6.1 the same
 * at 0x36ffe. */
static void direct_map_ends_inside_a_large_page(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;

	(void)state;
	ctx = test_ctx(NULL, NULL);
	assert_int_equal(hm_layout(ctx)->high_memory, 0xF7BFE000u);
	assert_int_equal(walk(ctx, 0xF79FFFFFu), 0x379FFFFFu);	/* large */
	assert_int_equal(walk(ctx, 0xF7A00000u), 0x37A00000u);	/* 4 KiB */
	assert_int_equal(walk(ctx, 0xF7BFDFFCu), 0x37BFDFFCu);
	assert_walk_faults(ctx, 0xF7BFE000u);
	assert_walk_faults(ctx, 0xF7BFF000u);
	write32(ctx, 0xF7BFDFFCu, 0x47474747);
	assert_int_equal(phys32(ctx, 0x37BFDFFCu), 0x47474747);
	hm_destroy(ctx);

	hm_config_default(&cfg);
	cfg.kernel = HM_KERNEL_6_1;
	cfg.pae = false;
	ctx = test_ctx(&cfg, NULL);
	/* 2-level: 4 MiB PMDs, lowmem to 0x36bfe */
	assert_int_equal(hm_layout(ctx)->high_memory, 0xF6BFE000u);
	assert_int_equal(walk(ctx, 0xF6BFD000u), 0x36BFD000u);
	assert_walk_faults(ctx, 0xF6BFE000u);
	hm_destroy(ctx);
}

/* Less than 896 MiB: the direct map ends with memory. */
static void direct_map_small_machine(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;

	(void)state;
	hm_config_default(&cfg);
	cfg.mem_bytes = 64ull << 20;
	ctx = test_ctx(&cfg, NULL);
	assert_int_equal(hm_max_low_pfn(ctx), hm_max_pfn(ctx));
	assert_int_equal(hm_layout(ctx)->high_memory, 0xC4000000u);
	assert_int_equal(walk(ctx, 0xC3FFFFFFu), 0x03FFFFFFu);
	assert_walk_faults(ctx, 0xC4000000u);
	hm_destroy(ctx);
}

static void non_pae(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	const struct hm_layout *l;
	struct page *p, *q;
	hm_vaddr_t va, vq;
	uint32_t two[2];

	(void)state;
	hm_config_default(&cfg);
	cfg.pae = false;
	cfg.kernel = HM_KERNEL_2_6_24;
	ctx = test_ctx(&cfg, NULL);
	l = hm_layout(ctx);
	assert_int_equal(l->last_pkmap, 1024);
	assert_int_equal(l->pkmap_base, 0xFF800000u);
	assert_int_equal(l->pmd_shift, 22);
	check_direct_map(ctx);

	p = high_page(ctx, 9);
	fill_frame(ctx, p, 0x2B2B2B2B);
	va = hm_kmap(ctx, p);
	assert_int_equal(va, 0xFF801000u);
	assert_int_equal(hm_pkmap_pte(ctx, 1), frame_of(ctx, p) | PTE_FLAGS_32);
	assert_int_equal(test_phys_entry(ctx, test_pte_phys(ctx, va), false),
			 frame_of(ctx, p) | PTE_FLAGS_32);
	assert_int_equal(walk(ctx, va + 0xABC), frame_of(ctx, p) + 0xABC);
	assert_int_equal(read32(ctx, va), 0x2B2B2B2B);

	/* A load across two PKMAP pages whose frames are far apart. */
	q = high_page(ctx, 4000);
	fill_frame(ctx, q, 0x4C4C4C4C);
	vq = hm_kmap(ctx, q);
	assert_int_equal(vq, va + 4096);
	write32(ctx, va + 4092, 0x3A3A3A3A);
	assert_int_equal(hm_sim_read(ctx, va + 4092, two, 8), HM_OK);
	assert_int_equal(two[0], 0x3A3A3A3A);
	assert_int_equal(two[1], 0x4C4C4C4C);
	hm_kunmap(ctx, q);
	hm_kunmap(ctx, p);

	/* All 1024 entries exist: the last one is at 0xFFBFF000. */
	for (unsigned nr = 3; nr < 1024; nr++) {
		struct page *r = high_page(ctx, 10 + nr);

		assert_int_equal(hm_kmap(ctx, r), hm_pkmap_addr(ctx, nr));
		hm_kunmap(ctx, r);
	}
	assert_int_equal(hm_pkmap_addr(ctx, 1023), 0xFFBFF000u);
	assert_int_equal(walk(ctx, 0xFFBFF000u),
			 frame_of(ctx, high_page(ctx, 10 + 1023)));
	hm_destroy(ctx);
}

/* The top frame of a 4 GiB machine without PAE: a full 32-bit PTE. */
static void non_pae_4gib(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	struct page *p;
	hm_vaddr_t va;

	(void)state;
	hm_config_default(&cfg);
	cfg.pae = false;
	cfg.mem_bytes = 4ull << 30;
	ctx = test_ctx(&cfg, NULL);
	p = hm_pfn_to_page(ctx, 0xFFFFF);
	assert_non_null(p);
	assert_null(hm_pfn_to_page(ctx, 0x100000));
	va = hm_kmap(ctx, p);
	assert_int_equal(hm_pkmap_pte(ctx, 1), 0xFFFFF000ull | PTE_FLAGS_32);
	assert_int_equal(walk(ctx, va + 0xFFF), 0xFFFFFFFFull);
	write32(ctx, va + 0xFFC, 0xD00DFEED);
	assert_int_equal(phys32(ctx, 0xFFFFFFFCull), 0xD00DFEED);
	hm_kunmap(ctx, p);
	hm_destroy(ctx);
}

/* ---- The TLB ------------------------------------------------------------- */

static void tlb_fill_and_hit(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	struct hm_tlb_stats t;
	hm_vaddr_t x = 0xC0456000u;
	hm_paddr_t pa;
	bool hit = true;
	uint64_t v;

	(void)state;
	hm_config_default(&cfg);
	cfg.nr_cpus = 2;
	ctx = test_ctx(&cfg, NULL);
	t = tlb_stats(ctx, 0);
	assert_int_equal(t.hits + t.misses + t.walks + t.evictions, 0);

	assert_int_equal(translate(ctx, x, &hit), 0x456000u);
	assert_false(hit);
	assert_int_equal(translate(ctx, x, &hit), 0x456000u);
	assert_true(hit);
	/* Same page, another offset: still the TLB. */
	assert_int_equal(translate(ctx, x + 0xFF8, &hit), 0x456FF8u);
	assert_true(hit);
	t = tlb_stats(ctx, 0);
	assert_int_equal(t.misses, 1);
	assert_int_equal(t.walks, 1);
	assert_int_equal(t.hits, 2);
	assert_int_equal(t.evictions, 0);

	/* hm_sim_walk leaves the TLB alone. */
	assert_int_equal(walk(ctx, 0xC0789000u), 0x789000u);
	assert_int_equal(tlb_stats(ctx, 0).walks, 1);
	assert_int_equal(translate(ctx, 0xC0789000u, &hit), 0x789000u);
	assert_false(hit);

	/* A fault walks and caches nothing. */
	assert_int_equal(hm_sim_translate(ctx, 0x1000, &pa, &hit), HM_FAULT);
	assert_false(hit);
	assert_int_equal(hm_sim_translate(ctx, 0x1000, &pa, &hit), HM_FAULT);
	assert_false(hit);
	t = tlb_stats(ctx, 0);
	assert_int_equal(t.misses, 4);
	assert_int_equal(t.walks, 4);
	assert_int_equal(t.hits, 2);

	/* An 8-byte load across a page boundary takes two translations:
	 * x + 0xFFC hits, x + 0x1000 misses. */
	assert_int_equal(hm_sim_read(ctx, x + 0xFFC, &v, sizeof(v)), HM_OK);
	t = tlb_stats(ctx, 0);
	assert_int_equal(t.hits, 3);
	assert_int_equal(t.misses, 5);

	/* cpu 1 has a TLB of its own, cold. */
	t = tlb_stats(ctx, 1);
	assert_int_equal(t.hits + t.misses + t.walks + t.evictions, 0);
	hm_set_cpu(ctx, 1);
	assert_int_equal(translate(ctx, x, &hit), 0x456000u);
	assert_false(hit);
	assert_int_equal(tlb_stats(ctx, 1).misses, 1);
	assert_int_equal(tlb_stats(ctx, 0).misses, 5);
	hm_destroy(ctx);
}

/*
 * The key property of the model: a translation in a TLB outlives a change
 * of its PTE until something flushes it.  Here the change is a stray store
 * into the page table with no flush; the library's own remap of the slot,
 * which writes the very same PTE value but flushes, is what cures it.
 */
static void stale_translation_when_flush_skipped(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	struct page *a, *b;
	hm_vaddr_t va;
	uint64_t pte_b;
	uint64_t flushes;
	bool hit;

	(void)state;
	hm_config_default(&cfg);
	cfg.nr_cpus = 2;
	ctx = test_ctx(&cfg, NULL);
	a = high_page(ctx, 1);
	b = high_page(ctx, 2);
	fill_frame(ctx, a, 0xAAAAAAAA);
	fill_frame(ctx, b, 0xBBBBBBBB);
	pte_b = frame_of(ctx, b) | PTE_FLAGS_PAE;

	/* A kmap_atomic of A, read by cpu 0: the PTE and its TLB hold A. */
	va = hm_kmap_atomic(ctx, a);
	assert_int_equal(read32(ctx, va), 0xAAAAAAAA);
	assert_int_equal(test_phys_entry(ctx, test_pte_phys(ctx, va), true),
			 hm_kmap_atomic_pte(ctx, 0, 0));

	/* A stray store of B's PTE, without a flush. */
	test_stray_pte_write(ctx, va, pte_b);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0), pte_b);
	assert_int_equal(walk(ctx, va), frame_of(ctx, b));

	/* cpu 0 still uses A's frame. */
	assert_int_equal(translate(ctx, va, &hit), frame_of(ctx, a));
	assert_true(hit);
	assert_int_equal(read32(ctx, va), 0xAAAAAAAA);

	/* The unmap clears the PTE and flushes the entry (x86's
	 * kpte_clear_flush): cpu 0 forgets A; a map of B shows B. */
	flushes = stats(ctx).tlb_flush_one;
	hm_kunmap_atomic(ctx, va);
	assert_int_equal(stats(ctx).tlb_flush_one, flushes + 1);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0), 0);
	assert_int_equal(hm_kmap_atomic(ctx, b), va);
	assert_int_equal(stats(ctx).tlb_flush_one, flushes + 1);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0), pte_b);
	assert_int_equal(read32(ctx, va), 0xBBBBBBBB);
	assert_int_equal(translate(ctx, va, &hit), frame_of(ctx, b));
	assert_true(hit);
	hm_kunmap_atomic(ctx, va);

	/* cpu 1 never cached the slot: its walk finds nothing now. */
	hm_set_cpu(ctx, 1);
	assert_int_equal(hm_sim_translate(ctx, va, &(hm_paddr_t){ 0 }, &hit),
			 HM_FAULT);
	hm_destroy(ctx);
}

/*
 * The PKMAP wrap: flush_all_zero_pkmaps() frees entries whose count is 1
 * and flushes the whole 512-page window, which is above the single-page
 * ceiling, so every CPU's TLB is flushed whole.  cpu 1, which cached an
 * entry that is then reused for another page, must see the new page.
 */
static void wrap_flush_reaches_every_cpu(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	struct hm_stats before, after;
	struct page *a, *b, *x;
	hm_vaddr_t va;
	unsigned nr;
	bool hit;

	(void)state;
	hm_config_default(&cfg);
	cfg.nr_cpus = 2;
	ctx = test_ctx(&cfg, NULL);
	a = high_page(ctx, 0);
	b = high_page(ctx, 1);
	x = high_page(ctx, 2);
	fill_frame(ctx, a, 0xA0A0A0A0);
	fill_frame(ctx, b, 0xB0B0B0B0);

	va = hm_kmap(ctx, a);
	assert_int_equal(va, hm_pkmap_addr(ctx, 1));
	hm_set_cpu(ctx, 1);
	assert_int_equal(read32(ctx, va), 0xA0A0A0A0);
	assert_int_equal(translate(ctx, va, &hit), frame_of(ctx, a));
	assert_true(hit);
	hm_set_cpu(ctx, 0);
	hm_kunmap(ctx, a);
	assert_int_equal(hm_pkmap_count(ctx, 1), 1);

	/* Use up entries 2..511 (each left at count 1). */
	for (nr = 2; nr < 512; nr++) {
		struct page *f = high_page(ctx, 1000 + nr);

		assert_int_equal(hm_kmap(ctx, f), hm_pkmap_addr(ctx, nr));
		hm_kunmap(ctx, f);
	}
	before = stats(ctx);
	assert_int_equal(before.tlb_flush_range, 0);
	assert_int_equal(before.tlb_flush_all, 0);
	/* Until the wrap, cpu 1 may (legally) still see A there. */
	hm_set_cpu(ctx, 1);
	assert_int_equal(read32(ctx, va), 0xA0A0A0A0);
	hm_set_cpu(ctx, 0);

	/* The wrap: X gets entry 0 after the flush... */
	assert_int_equal(hm_kmap(ctx, x), hm_pkmap_addr(ctx, 0));
	after = stats(ctx);
	assert_int_equal(after.pkmap_flushes - before.pkmap_flushes, 1);
	assert_int_equal(after.tlb_flush_range - before.tlb_flush_range, 1);
	assert_int_equal(after.tlb_flush_all - before.tlb_flush_all, 2);
	assert_int_equal(after.tlb_flush_one, before.tlb_flush_one);
	assert_int_equal(hm_pkmap_count(ctx, 1), 0);
	assert_int_equal(hm_pkmap_pte(ctx, 1), 0);
	assert_int_equal(hm_page_address(ctx, a), 0);

	/* ...and B reuses A's entry 1. */
	assert_int_equal(hm_kmap(ctx, b), va);
	assert_int_equal(hm_pkmap_pte(ctx, 1),
			 frame_of(ctx, b) | PTE_FLAGS_PAE);

	hm_set_cpu(ctx, 1);
	assert_int_equal(translate(ctx, va, &hit), frame_of(ctx, b));
	assert_false(hit);
	assert_int_equal(read32(ctx, va), 0xB0B0B0B0);
	hm_set_cpu(ctx, 0);
	assert_int_equal(read32(ctx, va), 0xB0B0B0B0);
	hm_kunmap(ctx, b);
	hm_kunmap(ctx, x);
	hm_destroy(ctx);
}

/* With 16 entries, vpns equal mod 16 share one TLB entry. */
static void eviction(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	struct page *a, *b;
	hm_vaddr_t x = 0xC0400000u, y = x + 16 * 4096, z = x + 4096;
	hm_vaddr_t va, clash;
	bool hit;

	(void)state;
	hm_config_default(&cfg);
	cfg.tlb_entries = 16;
	ctx = test_ctx(&cfg, NULL);

	translate(ctx, x, &hit);
	assert_false(hit);
	translate(ctx, y, &hit);		/* evicts x */
	assert_false(hit);
	assert_int_equal(tlb_stats(ctx, 0).evictions, 1);
	assert_int_equal(translate(ctx, x, &hit), 0x400000u);
	assert_false(hit);			/* and x evicts y */
	assert_int_equal(tlb_stats(ctx, 0).evictions, 2);
	translate(ctx, z, &hit);		/* another entry */
	assert_false(hit);
	assert_int_equal(tlb_stats(ctx, 0).evictions, 2);
	translate(ctx, x, &hit);
	assert_true(hit);

	/* A stale translation, lost to eviction rather than a flush. */
	a = high_page(ctx, 5);
	b = high_page(ctx, 6);
	fill_frame(ctx, a, 0x0000AAAA);
	fill_frame(ctx, b, 0x0000BBBB);
	va = hm_kmap_atomic(ctx, a);
	assert_int_equal(read32(ctx, va), 0x0000AAAA);
	/* (held: the unmap would clear and flush) */
	test_stray_pte_write(ctx, va, frame_of(ctx, b) | PTE_FLAGS_PAE);
	assert_int_equal(read32(ctx, va), 0x0000AAAA);	/* stale */

	clash = 0xC0400000u | (((va >> 12) & 15) << 12);
	assert_int_not_equal(clash >> 12, va >> 12);
	assert_int_equal((clash >> 12) & 15, (va >> 12) & 15);
	translate(ctx, clash, &hit);
	assert_false(hit);
	assert_int_equal(tlb_stats(ctx, 0).evictions, 3);
	assert_int_equal(translate(ctx, va, &hit), frame_of(ctx, b));
	assert_false(hit);
	assert_int_equal(read32(ctx, va), 0x0000BBBB);
	hm_kunmap_atomic(ctx, va);
	hm_destroy(ctx);
}

/* ---- hm_reset ------------------------------------------------------------ */

static void reset_drops_every_mapping(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	struct hm_stats s;
	struct hm_tlb_stats t;
	struct hm_cpu_state c;
	struct page *p[4];
	hm_vaddr_t pk[3], gone, held;
	uint32_t v;
	int i;

	(void)state;
	hm_config_default(&cfg);
	cfg.nr_cpus = 2;
	ctx = test_ctx(&cfg, NULL);
	for (i = 0; i < 4; i++)
		p[i] = high_page(ctx, 300 + i);

	for (i = 0; i < 3; i++) {
		pk[i] = hm_kmap(ctx, p[i]);
		write32(ctx, pk[i], 0x5E700000u + i);
	}
	hm_kunmap(ctx, p[2]);			/* count 1, PTE kept */
	/* cpu 1 caches the PKMAP entries, maps and unmaps a slot. */
	hm_set_cpu(ctx, 1);
	for (i = 0; i < 3; i++)
		assert_int_equal(read32(ctx, pk[i]), 0x5E700000u + i);
	gone = hm_kmap_atomic(ctx, p[3]);
	write32(ctx, gone, 0x5E700003);
	hm_kunmap_atomic(ctx, gone);
	hm_set_cpu(ctx, 0);
	/* cpu 0 holds a map, typed, and a stacked one through reset. */
	held = hm_kmap_atomic(ctx, p[0]);
	assert_int_not_equal(hm_kmap_atomic_type(ctx, p[1], KM_USER0), 0);
	assert_int_equal(read32(ctx, pk[1]), 0x5E700001);
	assert_int_equal(read32(ctx, held), 0x5E700000);

	hm_reset(ctx);

	for (unsigned nr = 0; nr < 512; nr++) {
		assert_int_equal(hm_pkmap_pte(ctx, nr), 0);
		assert_int_equal(hm_pkmap_count(ctx, nr), 0);
	}
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		for (unsigned k = 0; k < KM_TYPE_NR_4_7; k++)
			assert_int_equal(hm_kmap_atomic_pte(ctx, cpu, k), 0);
		hm_cpu_state(ctx, cpu, &c);
		assert_int_equal(c.preempt_count, 0);
		assert_int_equal(c.pagefault_disabled, 0);
		assert_int_equal(c.migrate_disabled, 0);
		assert_int_equal(c.kmap_atomic_idx, 0);
		t = tlb_stats(ctx, cpu);
		assert_int_equal(t.hits + t.misses + t.walks + t.evictions, 0);
	}
	assert_int_equal(hm_last_pkmap_nr(ctx), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(hm_page_address(ctx, p[i]), 0);
		assert_int_equal(phys32(ctx, frame_of(ctx, p[i])),
				 0x5E700000u + i);
	}
	s = stats(ctx);
	assert_int_equal(s.pte_writes + s.tlb_flush_one + s.tlb_flush_range +
			 s.tlb_flush_all + s.pkmap_flushes, 0);

	/* No TLB kept the old translations. */
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		hm_set_cpu(ctx, cpu);
		for (i = 0; i < 3; i++)
			assert_int_equal(hm_sim_read(ctx, pk[i], &v, 4),
					 HM_FAULT);
		assert_int_equal(hm_sim_read(ctx, gone, &v, 4), HM_FAULT);
		assert_int_equal(hm_sim_read(ctx, held, &v, 4), HM_FAULT);
	}
	hm_set_cpu(ctx, 0);

	/* And the machine starts over as new. */
	assert_int_equal(hm_kmap(ctx, p[3]), hm_pkmap_addr(ctx, 1));
	assert_int_equal(read32(ctx, hm_pkmap_addr(ctx, 1)), 0x5E700003);
	assert_int_equal(hm_kmap_atomic(ctx, p[2]),
			 hm_kmap_atomic_slot_addr(ctx, 0, 0));
	assert_int_equal(read32(ctx, hm_kmap_atomic_slot_addr(ctx, 0, 0)),
			 0x5E700002);
	hm_kunmap_atomic(ctx, hm_kmap_atomic_slot_addr(ctx, 0, 0));
	hm_kunmap(ctx, p[3]);
	hm_destroy(ctx);
}

/* ---- hm_create ----------------------------------------------------------- */

static void expect_refused(const struct hm_config *cfg, const char *field)
{
	char err[200];
	struct hm_ctx *ctx;

	memset(err, 0, sizeof(err));
	ctx = hm_create(cfg, err, sizeof(err));
	if (ctx) {
		hm_destroy(ctx);
		fail_msg("hm_create accepted a bad %s", field);
	}
	if (!strstr(err, field))
		fail_msg("error \"%s\" does not name %s", err, field);
	assert_null(strchr(err, '\n'));
	/* No buffer at all is fine too. */
	assert_null(hm_create(cfg, NULL, 0));
}

static void expect_accepted(const struct hm_config *cfg)
{
	char err[200] = "";
	struct hm_ctx *ctx = hm_create(cfg, err, sizeof(err));

	if (!ctx)
		fail_msg("hm_create refused a good config: %s", err);
	hm_destroy(ctx);
}

static void create_refuses_bad_configs(void **state)
{
	struct hm_config cfg, bad;
	char err[16];

	(void)state;
	hm_config_default(&cfg);

	bad = cfg;
	bad.mem_bytes = (1ull << 30) + (1ull << 20);	/* 1 GiB + 1 MiB */
	expect_refused(&bad, "mem_bytes");
	bad.mem_bytes = 8ull << 20;			/* below 16 MiB */
	expect_refused(&bad, "mem_bytes");
	bad.mem_bytes = 0;
	expect_refused(&bad, "mem_bytes");
	bad.mem_bytes = (64ull << 30) + (4ull << 20);	/* above 64 GiB */
	expect_refused(&bad, "mem_bytes");
	bad.pae = false;
	bad.mem_bytes = (4ull << 30) + (4ull << 20);	/* over 4 GiB */
	expect_refused(&bad, "mem_bytes");
	bad.mem_bytes = 8ull << 30;
	expect_refused(&bad, "mem_bytes");

	bad = cfg;
	bad.nr_cpus = 0;
	expect_refused(&bad, "nr_cpus");
	bad.nr_cpus = HM_MAX_CPUS + 1;
	expect_refused(&bad, "nr_cpus");

	bad = cfg;
	bad.tlb_entries = 1000;
	expect_refused(&bad, "tlb_entries");
	bad.tlb_entries = 0;
	expect_refused(&bad, "tlb_entries");
	bad.tlb_entries = 24;
	expect_refused(&bad, "tlb_entries");

	/* A short buffer gets a terminated prefix. */
	bad = cfg;
	bad.nr_cpus = 0;
	memset(err, 'x', sizeof(err));
	assert_null(hm_create(&bad, err, sizeof(err)));
	assert_true(memchr(err, '\0', sizeof(err)) != NULL);

	/* The edges that are allowed. */
	bad = cfg;
	bad.mem_bytes = 16ull << 20;
	bad.nr_cpus = HM_MAX_CPUS;
	bad.tlb_entries = 16;
	expect_accepted(&bad);
	bad = cfg;
	bad.pae = false;
	bad.mem_bytes = 4ull << 30;
	expect_accepted(&bad);
	expect_accepted(NULL);
}

/* ---- Several contexts ---------------------------------------------------- */

static void contexts_side_by_side(void **state)
{
	struct hm_config c1, c2;
	struct bug_log log1, log2;
	struct hm_ctx *one, *two;
	struct hm_cpu_state c;
	hm_vaddr_t v1, v2, a2;
	struct page *p1, *p2;

	(void)state;
	hm_config_default(&c1);
	hm_config_default(&c2);
	c2.pae = false;
	c2.nr_cpus = 2;
	c2.mem_bytes = 1280ull << 20;
	c2.debug_highmem = true;
	one = test_ctx(&c1, &log1);
	two = test_ctx(&c2, &log2);

	assert_int_equal(hm_layout(one)->pkmap_base, 0xFFC00000u);
	assert_int_equal(hm_layout(two)->pkmap_base, 0xFF800000u);
	/* linux-4.7: FIX_KMAP_BEGIN 69; KM_TYPE_NR 20, 41 under
	 * DEBUG_HIGHMEM; without PAE lowmem ends at 0x377fe (testing.h). */
	assert_int_equal(hm_layout(one)->fix_kmap_end, 69 + 20 - 1);
	assert_int_equal(hm_layout(two)->fix_kmap_end, 69 + 2 * 41 - 1);
	assert_int_equal(hm_max_pfn(two) - hm_max_low_pfn(two),
			 0x50000 - MAX_LOW_PFN_4_7_NOPAE);

	/* The same pfn in both: mapped in one only. */
	p1 = high_page(one, 11);
	p2 = hm_pfn_to_page(two, hm_page_to_pfn(one, p1));	/* highmem too */
	assert_int_equal(hm_page_to_pfn(one, p1), hm_page_to_pfn(two, p2));
	v1 = hm_kmap(one, p1);
	write32(one, v1, 0x11111111);
	assert_int_equal(hm_page_address(two, p2), 0);
	assert_int_equal(hm_pkmap_count(two, 1), 0);
	assert_int_equal(hm_pkmap_pte(two, 1), 0);
	assert_int_equal(phys32(two, frame_of(two, p2)), 0);
	assert_walk_faults(two, v1);

	v2 = hm_kmap(two, p2);
	assert_int_equal(v2, 0xFF801000u);
	assert_walk_faults(one, v2);		/* vmalloc area in one */
	write32(two, v2, 0x22222222);
	assert_int_equal(read32(one, v1), 0x11111111);

	/* CPUs are per context: cpu 1 in two leaves one on cpu 0. */
	hm_set_cpu(two, 1);
	assert_int_equal(hm_smp_processor_id(two), 1);
	assert_int_equal(hm_smp_processor_id(one), 0);
	a2 = hm_kmap_atomic(two, p2);
	assert_int_equal(a2, hm_kmap_atomic_slot_addr(two, 1, 0));
	hm_cpu_state(one, 0, &c);
	assert_int_equal(c.preempt_count + c.kmap_atomic_idx, 0);
	hm_cpu_state(one, 1, &c);
	assert_int_equal(c.preempt_count + c.kmap_atomic_idx, 0);
	assert_int_equal(hm_kmap_atomic_pte(one, 0, 0), 0);
	hm_kunmap_atomic(two, a2);
	hm_set_cpu(two, 0);

	/* BUG reports go to their own context's handler. */
	hm_kunmap(two, high_page(two, 12));
	assert_one_bug(&log2, 0, "kunmap_high", "not kmapped");
	assert_int_equal(log1.count, 0);

	/* One goes away; the other carries on. */
	hm_kunmap(two, p2);
	hm_destroy(two);
	assert_int_equal(read32(one, v1), 0x11111111);
	hm_kunmap(one, p1);
	assert_int_equal(hm_kmap(one, p1), v1);
	hm_kunmap(one, p1);
	assert_int_equal(log1.count, 0);
	hm_destroy(one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(direct_map_pae),
		cmocka_unit_test(direct_map_ends_inside_a_large_page),
		cmocka_unit_test(direct_map_small_machine),
		cmocka_unit_test(non_pae),
		cmocka_unit_test(non_pae_4gib),
		cmocka_unit_test(tlb_fill_and_hit),
		cmocka_unit_test(stale_translation_when_flush_skipped),
		cmocka_unit_test(wrap_flush_reaches_every_cpu),
		cmocka_unit_test(eviction),
		cmocka_unit_test(reset_drops_every_mapping),
		cmocka_unit_test(create_refuses_bad_configs),
		cmocka_unit_test(contexts_side_by_side),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
