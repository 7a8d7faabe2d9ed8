/* SPDX-License-Identifier: MIT */
/*
 * kmap_atomic_test.c - temporary maps: the per-CPU fixmap slot addresses,
 * the PTE format (PAE and 2-level), nesting up to KM_TYPE_NR with data
 * through every level, the lowmem fast path, kunmap_atomic() clearing the
 * PTE and flushing it (x86), 4.x's KM_FENCE and 6.x's guard slots under
 * the debug options, the 6.1 layout, the legacy typed
 * form and its clashes with the index stack, kmap_local_page() sharing that
 * stack, and CPUs whose stacks do not touch each other.
 */
#include <pthread.h>
#include <string.h>

#include "core/testing/testing.h"

/* The default profile, linux-4.7 (testing.h has the arithmetic). */
#define FIXADDR_TOP	FIXADDR_TOP_X86
#define FIX_KMAP_BEGIN	FIX_KMAP_BEGIN_4_7

/* __fix_to_virt(FIX_KMAP_BEGIN + k + KM_TYPE_NR * cpu), worked out here
 * rather than asked of the library. */
static hm_vaddr_t slot_va(unsigned cpu, unsigned k)
{
	return SLOT_VA_4_7(cpu, k, KM_TYPE_NR_4_7);
}

static struct hm_stats stats(struct hm_ctx *ctx)
{
	struct hm_stats s;

	hm_stats(ctx, &s);
	return s;
}

static struct hm_cpu_state cpu_state(struct hm_ctx *ctx, unsigned cpu)
{
	struct hm_cpu_state s;

	hm_cpu_state(ctx, cpu, &s);
	return s;
}

static void assert_cpu_state(struct hm_ctx *ctx, unsigned cpu, int preempt,
			     int pagefault, int migrate, int idx)
{
	struct hm_cpu_state s = cpu_state(ctx, cpu);

	assert_int_equal(s.preempt_count, preempt);
	assert_int_equal(s.pagefault_disabled, pagefault);
	assert_int_equal(s.migrate_disabled, migrate);
	assert_int_equal(s.kmap_atomic_idx, idx);
}

static hm_paddr_t frame_of(struct hm_ctx *ctx, struct page *page)
{
	return hm_page_to_pfn(ctx, page) << 12;
}

/* Put @val in the first word of @page's frame, behind the MMU's back. */
static void fill_frame(struct hm_ctx *ctx, struct page *page, uint32_t val)
{
	assert_int_equal(hm_sim_phys_write(ctx, frame_of(ctx, page), &val,
					   sizeof(val)), HM_OK);
}


/* ---- Slot addresses and PTEs ------------------------------------------- */

static void slot_addresses(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	const struct hm_layout *l;
	hm_vaddr_t va[3];

	(void)state;
	hm_config_default(&cfg);
	cfg.nr_cpus = 2;
	ctx = test_ctx(&cfg, NULL);
	l = hm_layout(ctx);
	assert_int_equal(l->fix_kmap_begin, FIX_KMAP_BEGIN);
	assert_int_equal(l->fix_kmap_end,
			 FIX_KMAP_BEGIN + 2 * KM_TYPE_NR_4_7 - 1);

	for (unsigned cpu = 0; cpu < 2; cpu++) {
		for (unsigned k = 0; k < KM_TYPE_NR_4_7; k++) {
			/* linux-4.7: FIX_KMAP_BEGIN 69, KM_TYPE_NR 20 */
			hm_vaddr_t want = 0xfffff000u -
				((69u + k + 20u * cpu) << 12);

			assert_int_equal(hm_kmap_atomic_slot_addr(ctx, cpu, k),
					 want);
			assert_true(want >= l->fixaddr_start);
		}
	}
	/* The windows are adjacent and disjoint: cpu 1's starts one page
	 * below cpu 0's last slot. */
	assert_int_equal(slot_va(1, 0), slot_va(0, KM_TYPE_NR_4_7 - 1) - 4096);

	for (unsigned cpu = 0; cpu < 2; cpu++) {
		hm_set_cpu(ctx, cpu);
		for (unsigned k = 0; k < 3; k++) {
			struct page *p = high_page(ctx, 10 * cpu + k);

			va[k] = hm_kmap_atomic(ctx, p);
			assert_int_equal(va[k], slot_va(cpu, k));
		}
		/* Each CPU writes its own slots' PTEs only. */
		assert_int_equal(hm_kmap_atomic_pte(ctx, cpu, 0),
				 frame_of(ctx, high_page(ctx, 10 * cpu)) |
				 PTE_FLAGS_PAE);
		assert_int_equal(hm_kmap_atomic_pte(ctx, 1 - cpu, 0), 0);
		for (unsigned k = 3; k-- > 0;)
			hm_kunmap_atomic(ctx, va[k]);
		assert_cpu_state(ctx, cpu, 0, 0, 0, 0);
		assert_int_equal(hm_kmap_atomic_pte(ctx, cpu, 0), 0);
	}
	assert_int_not_equal(slot_va(0, 0), slot_va(1, 0));
	hm_destroy(ctx);
}

static void pte_format_pae(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	struct page *p;
	hm_paddr_t pa;
	hm_vaddr_t va;
	uint64_t pfn;

	(void)state;
	/* 8 GiB, so that the frame needs more than 32 bits. */
	hm_config_default(&cfg);
	cfg.mem_bytes = 8ull << 30;
	ctx = test_ctx(&cfg, NULL);
	p = hm_pfn_to_page(ctx, hm_max_pfn(ctx) - 1);
	pfn = hm_page_to_pfn(ctx, p);
	assert_int_equal(pfn, 0x1FFFFF);

	va = hm_kmap_atomic(ctx, p);
	assert_int_equal(va, slot_va(0, 0));
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0),
			 0x1FFFFF000ull | PTE_FLAGS_PAE);
	/* The table in simulated memory holds the same 64-bit entry. */
	assert_int_equal(test_phys_entry(ctx, test_pte_phys(ctx, va), true),
			 0x1FFFFF000ull | PTE_FLAGS_PAE);
	assert_int_equal(hm_sim_walk(ctx, va + 0x123, &pa), HM_OK);
	assert_int_equal(pa, 0x1FFFFF123ull);
	write32(ctx, va + 8, 0xFEEDF00D);
	{
		uint32_t v = 0;

		assert_int_equal(hm_sim_phys_read(ctx, 0x1FFFFF008ull, &v,
						  sizeof(v)), HM_OK);
		assert_int_equal(v, 0xFEEDF00D);
	}
	hm_kunmap_atomic(ctx, va);
	hm_destroy(ctx);
}

static void pte_format_32bit(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	struct page *p;
	hm_paddr_t pa;
	hm_vaddr_t va;
	uint64_t pfn;

	(void)state;
	hm_config_default(&cfg);
	cfg.pae = false;
	ctx = test_ctx(&cfg, NULL);
	p = high_page(ctx, 3);
	pfn = hm_page_to_pfn(ctx, p);

	va = hm_kmap_atomic(ctx, p);
	assert_int_equal(va, slot_va(0, 0));
	/* No NX bit without PAE: the entry fits 32 bits. */
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0),
			 (pfn << 12) | PTE_FLAGS_32);
	assert_int_equal(test_phys_entry(ctx, test_pte_phys(ctx, va), false),
			 (pfn << 12) | PTE_FLAGS_32);
	assert_int_equal(hm_sim_walk(ctx, va, &pa), HM_OK);
	assert_int_equal(pa, pfn << 12);
	hm_kunmap_atomic(ctx, va);
	hm_destroy(ctx);
}

/* ---- Nesting ------------------------------------------------------------ */

static void nesting_to_the_limit(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = test_ctx(NULL, &log);
	struct page *p[KM_TYPE_NR_4_7];
	hm_vaddr_t pk[KM_TYPE_NR_4_7], va[KM_TYPE_NR_4_7];
	int k;

	(void)state;
	/* Persistent maps first: hm_kmap() may not be called once
	 * preemption is off. */
	for (k = 0; k < KM_TYPE_NR_4_7; k++) {
		p[k] = high_page(ctx, 100 + 7 * k);
		pk[k] = hm_kmap(ctx, p[k]);
		assert_int_not_equal(pk[k], 0);
	}

	for (k = 0; k < KM_TYPE_NR_4_7; k++) {
		va[k] = hm_kmap_atomic(ctx, p[k]);
		assert_int_equal(va[k], slot_va(0, k));
		assert_cpu_state(ctx, 0, k + 1, k + 1, 0, k + 1);
		write32(ctx, va[k], 0xA7000000u | k);
		write32(ctx, pk[k] + 4092, 0x9C000000u | k);
	}
	/* Every level still shows its own page, through either mapping. */
	for (k = 0; k < KM_TYPE_NR_4_7; k++) {
		uint32_t v = 0;

		assert_int_equal(read32(ctx, va[k]), 0xA7000000u | k);
		assert_int_equal(read32(ctx, pk[k]), 0xA7000000u | k);
		assert_int_equal(read32(ctx, va[k] + 4092), 0x9C000000u | k);
		assert_int_equal(hm_sim_phys_read(ctx, frame_of(ctx, p[k]),
						  &v, sizeof(v)), HM_OK);
		assert_int_equal(v, 0xA7000000u | k);
	}

	/* One more is a BUG and changes nothing. */
	assert_int_equal(hm_kmap_atomic(ctx, high_page(ctx, 1)), 0);
	assert_one_bug(&log, 0, "slot_push_bug", "KM_TYPE_NR");
	assert_cpu_state(ctx, 0, KM_TYPE_NR_4_7, KM_TYPE_NR_4_7, 0,
			 KM_TYPE_NR_4_7);

	for (k = KM_TYPE_NR_4_7; k-- > 0;) {
		hm_kunmap_atomic(ctx, va[k]);
		assert_cpu_state(ctx, 0, k, k, 0, k);
	}
	for (k = 0; k < KM_TYPE_NR_4_7; k++)
		hm_kunmap(ctx, p[k]);
	assert_int_equal(log.count, 1);
	hm_destroy(ctx);
}

static void lowmem_fast_path(void **state)
{
	struct hm_ctx *ctx = test_ctx(NULL, NULL);
	uint64_t pfns[2];

	(void)state;
	pfns[0] = hm_first_free_pfn(ctx);
	pfns[1] = hm_max_low_pfn(ctx) - 1;
	for (int i = 0; i < 2; i++) {
		struct page *p = hm_pfn_to_page(ctx, pfns[i]);
		hm_vaddr_t va;

		assert_false(hm_PageHighMem(ctx, p));
		hm_stats_reset(ctx);
		va = hm_kmap_atomic(ctx, p);
		assert_int_equal(va, 0xC0000000u + (hm_vaddr_t)(pfns[i] << 12));
		assert_cpu_state(ctx, 0, 1, 1, 0, 0);
		assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0), 0);
		assert_int_equal(stats(ctx).pte_writes, 0);
		write32(ctx, va + 100, 0x10000000u + i);
		assert_int_equal(read32(ctx, va + 100), 0x10000000u + i);
		hm_kunmap_atomic(ctx, va + 100);
		assert_cpu_state(ctx, 0, 0, 0, 0, 0);
	}
	hm_destroy(ctx);
}

/* ---- Unmapping: x86 clears the PTE and flushes it ---------------------- */

/* linux-4.7's __kunmap_atomic: kpte_clear_flush of the top slot; the next
 * map finds it empty and has nothing to flush. */
static void unmap_clears_and_flushes(void **state)
{
	struct hm_ctx *ctx = test_ctx(NULL, NULL);
	struct page *a = high_page(ctx, 20), *b = high_page(ctx, 21);
	hm_vaddr_t va;
	hm_paddr_t pa;
	uint32_t v;
	bool hit = true;

	(void)state;
	fill_frame(ctx, a, 0xAAAA0001);
	fill_frame(ctx, b, 0xBBBB0002);
	hm_stats_reset(ctx);

	va = hm_kmap_atomic(ctx, a);
	assert_int_equal(va, slot_va(0, 0));
	/* The slot was empty: nothing to flush. */
	assert_int_equal(stats(ctx).tlb_flush_one, 0);
	/* The read puts the translation in the TLB. */
	assert_int_equal(read32(ctx, va), 0xAAAA0001);
	hm_kunmap_atomic(ctx, va);
	assert_cpu_state(ctx, 0, 0, 0, 0, 0);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0), 0);
	assert_int_equal(stats(ctx).tlb_flush_one, 1);
	assert_int_equal(stats(ctx).pte_writes, 2);
	/* Cleared and flushed: the address faults, the TLB forgot it. */
	assert_int_equal(hm_sim_translate(ctx, va, &pa, &hit), HM_FAULT);
	assert_false(hit);
	assert_int_equal(hm_sim_read(ctx, va, &v, sizeof(v)), HM_FAULT);

	assert_int_equal(hm_kmap_atomic(ctx, b), va);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0),
			 frame_of(ctx, b) | PTE_FLAGS_PAE);
	assert_int_equal(stats(ctx).tlb_flush_one, 1);
	assert_int_equal(stats(ctx).pte_writes, 3);
	assert_int_equal(read32(ctx, va), 0xBBBB0002);
	hm_kunmap_atomic(ctx, va);
	hm_destroy(ctx);
}

/* linux-4.7 under DEBUG_HIGHMEM: __WITH_KM_FENCE makes KM_TYPE_NR 41, and
 * the push still steps by one, so 41 maps nest with no guard between
 * them; cpu 1's window starts 41 slots down.  (Worked out by hand:
 * 0xfffff000 - ((69 + k + 41 * cpu) << 12).) */
static void debug_km_fence_widens_the_window(void **state)
{
	struct hm_config cfg;
	struct bug_log log;
	struct hm_ctx *ctx;
	hm_vaddr_t va[KM_TYPE_NR_4_7_DEBUG];
	int k;

	(void)state;
	hm_config_default(&cfg);
	cfg.debug_highmem = true;
	cfg.nr_cpus = 2;
	ctx = test_ctx(&cfg, &log);
	assert_int_equal(hm_layout(ctx)->km_slots, 41);
	assert_int_equal(hm_layout(ctx)->fix_kmap_end, 69 + 82 - 1);
	assert_int_equal(hm_kmap_atomic_slot_addr(ctx, 1, 0), 0xfff91000u);
	for (k = 0; k < KM_TYPE_NR_4_7_DEBUG; k++) {
		va[k] = hm_kmap_atomic(ctx, high_page(ctx, (uint64_t)k));
		assert_int_equal(va[k],
				 SLOT_VA_4_7(0, (unsigned)k, KM_TYPE_NR_4_7_DEBUG));
	}
	assert_int_equal(va[40], 0xfff92000u);
	assert_int_equal(hm_kmap_atomic(ctx, high_page(ctx, 99)), 0);
	assert_one_bug(&log, 0, "slot_push_bug", "more than 41 nested");
	for (k = KM_TYPE_NR_4_7_DEBUG; k-- > 0;)
		hm_kunmap_atomic(ctx, va[k]);
	assert_int_equal(log.count, 1);
	hm_destroy(ctx);
}

/* linux-6.1 (Debian's 686-pae): FIX_KMAP_BEGIN 68, KM_MAX_IDX 16 per CPU,
 * NR_CPUS 32, so FIX_KMAP_END 68 + 512 - 1 = 579 and the fixmap's 583
 * pages cross the 2 MiB boundary at 0xffe00000 (two page tables);
 * PKMAP_BASE 0xff000000; MAXMEM 0x36ffe000.  With DEBUG_KMAP_LOCAL,
 * KM_MAX_IDX 33 and maps at indices 1, 3, 5 ... over an unmapped guard
 * each, 16 at most. */
static void linux_6_1_slots(void **state)
{
	struct hm_config cfg;
	struct bug_log log;
	struct hm_ctx *ctx;
	hm_vaddr_t va[16];
	uint32_t v;
	int k;

	(void)state;
	hm_config_default(&cfg);
	cfg.kernel = HM_KERNEL_6_1;
	cfg.nr_cpus = 2;
	ctx = test_ctx(&cfg, &log);
	assert_int_equal(hm_layout(ctx)->pkmap_base, 0xff000000u);
	assert_int_equal(hm_layout(ctx)->fix_kmap_begin, 68);
	assert_int_equal(hm_layout(ctx)->fix_kmap_end, 579);
	assert_int_equal(hm_max_low_pfn(ctx), 0x36ffe);
	assert_int_equal(hm_kmap_atomic_slot_addr(ctx, 0, 0), 0xfffbb000u);
	assert_int_equal(hm_kmap_atomic_slot_addr(ctx, 1, 0), 0xfffab000u);
	hm_set_cpu(ctx, 1);
	for (k = 0; k < 16; k++) {
		va[k] = hm_kmap_local_page(ctx, high_page(ctx, (uint64_t)k));
		assert_int_equal(va[k], 0xfffab000u - ((hm_vaddr_t)k << 12));
		write32(ctx, va[k], 0x61000000u | (unsigned)k);
	}
	assert_int_equal(hm_kmap_local_page(ctx, high_page(ctx, 99)), 0);
	assert_one_bug(&log, 0, "slot_push_bug", "KM_MAX_IDX");
	for (k = 16; k-- > 0;) {
		assert_int_equal(read32(ctx, va[k]), 0x61000000u | (unsigned)k);
		hm_kunmap_local(ctx, va[k]);
	}
	hm_destroy(ctx);

	cfg.debug_highmem = true;
	ctx = test_ctx(&cfg, &log);
	log.count = 0;
	/* FIX_KMAP_END 68 + 33 * 32 - 1 = 1123: three page tables. */
	assert_int_equal(hm_layout(ctx)->fix_kmap_end, 1123);
	hm_set_cpu(ctx, 1);
	for (k = 0; k < 16; k++) {
		/* index 1 + 2k of cpu 1: 0xfffff000 - ((68 + 33 + 1 + 2k) << 12) */
		va[k] = hm_kmap_local_page(ctx, high_page(ctx, (uint64_t)k));
		assert_int_equal(va[k], 0xfff99000u - ((hm_vaddr_t)k << 13));
		write32(ctx, va[k], 0x61D00000u | (unsigned)k);
		/* the guard below each map is never mapped */
		assert_int_equal(hm_sim_read(ctx, va[k] - 4096, &v, 4),
				 HM_FAULT);
	}
	assert_int_equal(hm_kmap_local_page(ctx, high_page(ctx, 99)), 0);
	assert_one_bug(&log, 0, "slot_push_bug", "more than 16 nested");
	for (k = 16; k-- > 0;) {
		assert_int_equal(read32(ctx, va[k]), 0x61D00000u | (unsigned)k);
		hm_kunmap_local(ctx, va[k]);
	}
	hm_destroy(ctx);
}

/* ---- HM_REPORT_KERNEL: what the kernel does instead of a BUG ----------- */

/*
 * linux-4.7's __kunmap_atomic(vaddr) of an address that is not the top
 * slot: kpte_clear_flush(kmap_pte - idx_of_top, vaddr) clears the top
 * slot's PTE but flushes @vaddr, and pops.  The top slot's translation
 * stays in this CPU's TLB, so the next kmap_atomic, which finds the PTE
 * empty and sets a new one without a flush, reads and writes the *old*
 * page: the corruption.  Without DEBUG_HIGHMEM nothing is reported; with
 * it, a WARN.
 */
static void kernel_mode_out_of_order_unmap(void **state)
{
	struct hm_config cfg;
	struct bug_log log;
	struct hm_ctx *ctx;
	struct page *a, *b, *c;
	hm_vaddr_t va, vb, vc;
	uint32_t v;

	(void)state;
	for (int debug = 0; debug < 2; debug++) {
		hm_config_default(&cfg);
		cfg.report = HM_REPORT_KERNEL;
		cfg.debug_highmem = debug;
		ctx = test_ctx(&cfg, &log);
		memset(&log, 0, sizeof(log));
		a = high_page(ctx, 50);
		b = high_page(ctx, 51);
		c = high_page(ctx, 52);
		fill_frame(ctx, a, 0xA0A0A0A0);
		fill_frame(ctx, b, 0xB0B0B0B0);
		fill_frame(ctx, c, 0xC0C0C0C0);

		va = hm_kmap_atomic(ctx, a);
		vb = hm_kmap_atomic(ctx, b);
		assert_int_equal(read32(ctx, vb), 0xB0B0B0B0); /* in the TLB */
		hm_kunmap_atomic(ctx, va);		/* out of order */
		assert_int_equal(log.count, debug);
		assert_int_equal(log.warns, debug);
		if (debug)
			assert_non_null(strstr(log.msg, "out of order"));
		/* The top (b's) slot's PTE is cleared, a's is left, one pop. */
		assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 1), 0);
		assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0),
				 frame_of(ctx, a) | PTE_FLAGS_PAE);
		assert_cpu_state(ctx, 0, 1, 1, 0, 1);
		assert_int_equal(read32(ctx, va), 0xA0A0A0A0);

		/* c's map gets b's old slot; the TLB still says b. */
		vc = hm_kmap_atomic(ctx, c);
		assert_int_equal(vc, vb);
		assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 1),
				 frame_of(ctx, c) | PTE_FLAGS_PAE);
		assert_int_equal(read32(ctx, vc), 0xB0B0B0B0);	/* not c's */
		write32(ctx, vc, 0x0BAD0BAD);
		assert_int_equal(hm_sim_phys_read(ctx, frame_of(ctx, b), &v, 4),
				 HM_OK);
		assert_int_equal(v, 0x0BAD0BAD);	/* b's page corrupted */
		hm_kunmap_atomic(ctx, vc);
		hm_kunmap_atomic(ctx, va);
		assert_cpu_state(ctx, 0, 0, 0, 0, 0);
		assert_int_equal(log.count, debug);
		hm_destroy(ctx);
	}
}

/*
 * Kernel mode: an unmap of an address that is neither in the kmap window
 * nor lowmem, as each profile's kernel takes it.  linux-4.7's
 * __kunmap_atomic (arch/x86/mm/highmem_32.c; 2.6.24's kunmap_atomic(kvaddr,
 * type) has the same branch) leaves it alone and runs pagefault_enable()
 * and preempt_enable() all the same; only its DEBUG_HIGHMEM build checks,
 * BUG_ON(vaddr < PAGE_OFFSET) and BUG_ON(vaddr >= high_memory).  linux-6.1's
 * kunmap_local_indexed (mm/highmem.c) returns at once after
 * WARN_ON_ONCE(addr < PAGE_OFFSET), in its debug build too (no
 * DEBUG_KMAP_LOCAL_FORCE_MAP); kunmap_atomic enables page faults and
 * preemption after it, kunmap_local nothing more.  Strict mode BUGs.
 */
static void kernel_mode_stray_unmap(void **state)
{
	static const struct {
		enum hm_kernel kernel;
		bool debug;
		bool bug;	/* a BUG either way */
		bool warn_user;	/* a WARN for the user address */
	} cases[] = {
		{ HM_KERNEL_4_7, false, false, false },
		{ HM_KERNEL_4_7, true, true, false },
		{ HM_KERNEL_2_6_24, false, false, false },
		{ HM_KERNEL_2_6_24, true, true, false },
		{ HM_KERNEL_6_1, false, false, true },
		{ HM_KERNEL_6_1, true, false, true },
	};
	struct hm_config cfg;
	struct bug_log log;
	struct hm_ctx *ctx;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hm_vaddr_t user = 0x1000, va, vt, vl, pkmap;
		int before, drop;

		hm_config_default(&cfg);
		cfg.kernel = cases[i].kernel;
		cfg.debug_highmem = cases[i].debug;
		cfg.report = HM_REPORT_KERNEL;
		ctx = test_ctx(&cfg, &log);
		memset(&log, 0, sizeof(log));
		pkmap = hm_pkmap_addr(ctx, 0);
		drop = cases[i].bug ? 0 : 1;

		/* kunmap_atomic: the stack and its PTE untouched, the
		 * counts dropped (or a BUG that changes nothing). */
		va = hm_kmap_atomic(ctx, high_page(ctx, 60));
		vt = hm_kmap_atomic_type(ctx, high_page(ctx, 61), KM_USER1);
		assert_cpu_state(ctx, 0, 2, 2, 0, 1);
		before = log.count;
		hm_kunmap_atomic(ctx, user);
		if (cases[i].bug)
			assert_one_bug(&log, before, "unmap_stray",
				       "BUG_ON(vaddr < PAGE_OFFSET)");
		else
			assert_int_equal(log.count - before,
					 cases[i].warn_user);
		assert_int_equal(log.warns, cases[i].warn_user);
		assert_cpu_state(ctx, 0, 2 - drop, 2 - drop, 0, 1);
		before = log.count;
		hm_kunmap_atomic_type(ctx, pkmap, KM_USER1);	/* silent */
		if (cases[i].bug)
			assert_one_bug(&log, before, "unmap_stray",
				       "BUG_ON(vaddr >= high_memory)");
		else
			assert_int_equal(log.count, before);
		assert_cpu_state(ctx, 0, 2 - 2 * drop, 2 - 2 * drop, 0, 1);
		if (drop) {	/* preemption on, maps held: no switch */
			before = log.count;
			hm_switch_task(ctx, 2);
			assert_one_bug(&log, before, "switch_ok",
				       cases[i].kernel == HM_KERNEL_6_1 ?
				       "typed kmap_atomic(page, type)s, which "
				       "no kernel saves" : "does not save them");
			assert_int_equal(hm_current_task(ctx, 0), 0);
		}
		assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0),
				 frame_of(ctx, high_page(ctx, 60)) |
				 PTE_FLAGS_PAE);
		/* Both maps still work; their own unmaps clear and pop,
		 * taking the counts below 0 when the stray ones dropped
		 * them, as the kernel's preempt_enable() would. */
		fill_frame(ctx, high_page(ctx, 60), 0x60606060);
		assert_int_equal(read32(ctx, va), 0x60606060);
		hm_kunmap_atomic(ctx, va);
		assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0), 0);
		assert_cpu_state(ctx, 0, 1 - 2 * drop, 1 - 2 * drop, 0, 0);
		if (!drop)
			hm_kunmap_atomic_type(ctx, vt, KM_USER1);

		/* kunmap_local: nothing, not even migrate_enable(). */
		vl = hm_kmap_local_page(ctx, high_page(ctx, 62));
		before = log.count;
		hm_kunmap_local(ctx, user);
		if (cases[i].bug)
			assert_one_bug(&log, before, "unmap_stray",
				       "BUG_ON(vaddr < PAGE_OFFSET)");
		else
			assert_int_equal(log.count - before,
					 cases[i].warn_user);
		assert_int_equal(cpu_state(ctx, 0).migrate_disabled, 1);
		assert_int_equal(cpu_state(ctx, 0).kmap_atomic_idx, 1);
		hm_kunmap_local(ctx, vl);
		assert_int_equal(cpu_state(ctx, 0).migrate_disabled, 0);
		hm_destroy(ctx);

		/* Strict mode: a BUG, nothing changed. */
		cfg.report = HM_REPORT_STRICT;
		ctx = test_ctx(&cfg, &log);
		memset(&log, 0, sizeof(log));
		hm_kmap_atomic(ctx, high_page(ctx, 60));
		hm_kunmap_atomic(ctx, user);
		assert_one_bug(&log, 0, "bad_vaddr_bug",
			       "neither a temporary map nor a lowmem address");
		assert_int_equal(log.warns, 0);
		assert_cpu_state(ctx, 0, 1, 1, 0, 1);
		hm_destroy(ctx);
	}
}

/*
 * Kernel mode, linux-4.7 without DEBUG_HIGHMEM: kmap_atomic_idx_push()
 * (include/linux/highmem.h) checks its bound only under DEBUG_HIGHMEM, so
 * kmap_atomic_prot() (arch/x86/mm/highmem_32.c) puts the 21st nested map
 * of cpu c at FIX_KMAP_BEGIN + KM_TYPE_NR * c + KM_TYPE_NR: cpu c+1's
 * first slot, or past FIX_KMAP_END on the last CPU; BUG_ON(!pte_none) is
 * all that stands in the way.  __kunmap_atomic clears and pops a spill
 * inside the window, and neither clears nor pops one outside it.
 */
static void kernel_mode_nest_overflow(void **state)
{
	struct hm_config cfg;
	struct bug_log log;
	struct hm_ctx *ctx;
	hm_vaddr_t v[21];
	uint64_t spill_pte;

	(void)state;
	hm_config_default(&cfg);
	cfg.nr_cpus = 2;
	cfg.report = HM_REPORT_KERNEL;
	ctx = test_ctx(&cfg, &log);
	memset(&log, 0, sizeof(log));
	for (int i = 0; i < 21; i++)
		v[i] = hm_kmap_atomic(ctx, high_page(ctx, 100 + i));
	assert_int_equal(log.count, 0);		/* no WARN either */
	assert_int_equal(v[20], hm_kmap_atomic_slot_addr(ctx, 1, 0));
	assert_int_equal(v[20], v[19] - 4096);
	spill_pte = frame_of(ctx, high_page(ctx, 120)) | PTE_FLAGS_PAE;
	assert_int_equal(hm_kmap_atomic_pte(ctx, 1, 0), spill_pte);
	assert_cpu_state(ctx, 0, 21, 21, 0, 21);
	fill_frame(ctx, high_page(ctx, 120), 0x12012012);
	assert_int_equal(read32(ctx, v[20]), 0x12012012);
	/* Let cpu 1 run: stray unmaps drop cpu 0's counts (only). */
	for (int i = 0; i < 21; i++)
		hm_kunmap_atomic(ctx, 0x1000);
	assert_cpu_state(ctx, 0, 0, 0, 0, 21);
	hm_set_cpu(ctx, 1);
	assert_null((void *)(uintptr_t)hm_kmap_atomic(ctx, high_page(ctx, 200)));
	assert_one_bug(&log, 0, "slot_not_empty_bug", "slot 0 of cpu 1 is not empty");
	assert_cpu_state(ctx, 1, 0, 0, 0, 0);
	hm_set_cpu(ctx, 0);
	hm_kunmap_atomic(ctx, v[20]);		/* inside the window */
	assert_int_equal(hm_kmap_atomic_pte(ctx, 1, 0), 0);
	assert_cpu_state(ctx, 0, -1, -1, 0, 20);
	hm_set_cpu(ctx, 1);
	assert_int_equal(hm_kmap_atomic(ctx, high_page(ctx, 200)),
			 hm_kmap_atomic_slot_addr(ctx, 1, 0));
	assert_int_equal(log.count, 1);
	hm_destroy(ctx);

	/* One CPU: past FIX_KMAP_END, where the unmap leaves it. */
	cfg.nr_cpus = 1;
	ctx = test_ctx(&cfg, &log);
	memset(&log, 0, sizeof(log));
	for (int i = 0; i < 21; i++)
		v[i] = hm_kmap_atomic(ctx, high_page(ctx, 100 + i));
	assert_int_equal(log.count, 0);
	assert_int_equal(v[20], v[19] - 4096);	/* FIX_KMAP_END + 1 */
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 20), spill_pte);
	fill_frame(ctx, high_page(ctx, 120), 0x12012012);
	assert_int_equal(read32(ctx, v[20]), 0x12012012);	/* TLB'd */
	hm_kunmap_atomic(ctx, v[20]);		/* outside: ignored */
	assert_int_equal(log.count, 0);
	assert_cpu_state(ctx, 0, 20, 20, 0, 21);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 20), spill_pte);
	hm_kunmap_atomic(ctx, v[19]);		/* the index's top cleared */
	assert_int_equal(log.count, 0);
	assert_cpu_state(ctx, 0, 19, 19, 0, 20);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 20), 0);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 19),
			 frame_of(ctx, high_page(ctx, 119)) | PTE_FLAGS_PAE);
	/* ... and its translation may live on in the TLB */
	assert_int_equal(read32(ctx, v[20]), 0x12012012);
	hm_destroy(ctx);

	/* Strict mode, and 4.7's DEBUG_HIGHMEM build: a BUG. */
	for (int debug = 0; debug < 2; debug++) {
		cfg.report = debug ? HM_REPORT_KERNEL : HM_REPORT_STRICT;
		cfg.debug_highmem = debug;
		ctx = test_ctx(&cfg, &log);
		memset(&log, 0, sizeof(log));
		for (int i = 0; i < (debug ? 41 : 20); i++)
			hm_kmap_atomic(ctx, high_page(ctx, 100 + i));
		assert_int_equal(log.count, 0);
		hm_kmap_atomic(ctx, high_page(ctx, 150));
		assert_one_bug(&log, 0, "slot_push_bug",
			       debug ? "more than 41 nested" :
			       "more than 20 nested");
		hm_destroy(ctx);
	}
}

/* linux-6.1's kunmap_local_indexed: the same, with a WARN_ON_ONCE in every
 * build. */
static void kernel_mode_6_1_local_out_of_order(void **state)
{
	struct hm_config cfg;
	struct bug_log log;
	struct hm_ctx *ctx;
	hm_vaddr_t va, vb;

	(void)state;
	hm_config_default(&cfg);
	cfg.report = HM_REPORT_KERNEL;
	cfg.kernel = HM_KERNEL_6_1;
	ctx = test_ctx(&cfg, &log);
	memset(&log, 0, sizeof(log));
	va = hm_kmap_local_page(ctx, high_page(ctx, 70));
	vb = hm_kmap_local_page(ctx, high_page(ctx, 71));
	assert_int_equal(va, 0xfffbb000u);	/* FIX_KMAP_BEGIN 68 */
	assert_int_equal(vb, 0xfffba000u);
	hm_kunmap_local(ctx, va);
	assert_int_equal(log.warns, 1);
	assert_int_equal(log.count, 1);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 1), 0);
	assert_int_not_equal(hm_kmap_atomic_pte(ctx, 0, 0), 0);
	assert_cpu_state(ctx, 0, 0, 0, 1, 1);
	hm_kunmap_local(ctx, va);		/* now the top */
	assert_cpu_state(ctx, 0, 0, 0, 0, 0);
	assert_int_equal(log.count, 1);
	hm_destroy(ctx);
}

/* might_sleep() in kmap() with preemption off only reports: in kernel mode
 * a WARN and the map is made; strict mode's BUG is the default. */
static void kernel_mode_kmap_in_atomic(void **state)
{
	struct hm_config cfg;
	struct bug_log log;
	struct hm_ctx *ctx;
	hm_vaddr_t va, vk;

	(void)state;
	hm_config_default(&cfg);
	cfg.report = HM_REPORT_KERNEL;
	ctx = test_ctx(&cfg, &log);
	memset(&log, 0, sizeof(log));
	va = hm_kmap_atomic(ctx, high_page(ctx, 60));
	vk = hm_kmap(ctx, high_page(ctx, 61));
	assert_int_equal(vk, 0xffc01000u);	/* PKMAP entry 1 */
	assert_int_equal(log.count, 1);
	assert_int_equal(log.warns, 1);
	assert_non_null(strstr(log.msg, "sleeping function called from "
				       "invalid context"));
	hm_kunmap(ctx, high_page(ctx, 61));
	hm_kunmap_atomic(ctx, va);
	hm_destroy(ctx);

	cfg.report = HM_REPORT_STRICT;
	ctx = test_ctx(&cfg, &log);
	memset(&log, 0, sizeof(log));
	va = hm_kmap_atomic(ctx, high_page(ctx, 60));
	assert_int_equal(hm_kmap(ctx, high_page(ctx, 61)), 0);
	assert_int_equal(log.count, 1);
	assert_int_equal(log.warns, 0);
	hm_kunmap_atomic(ctx, va);
	hm_destroy(ctx);
}

/* ---- 6.1's per-task kmap_local ------------------------------------------- */

/*
 * mm/highmem.c (6.1): a task's kmap_local maps live in current->kmap_ctrl;
 * __kmap_local_sched_out clears each PTE (and flushes it), sched_in sets
 * them back.  Task 0 maps a at slot 0 and is switched out; task 1 gets the
 * same slot for b; back on task 0, slot 0 is a's again.
 */
static void linux_6_1_tasks_save_and_restore(void **state)
{
	struct hm_config cfg;
	struct bug_log log;
	struct hm_ctx *ctx;
	struct page *a, *b;
	hm_vaddr_t va, vb;
	uint32_t v;

	(void)state;
	hm_config_default(&cfg);
	cfg.kernel = HM_KERNEL_6_1;
	cfg.nr_cpus = 2;
	ctx = test_ctx(&cfg, &log);
	memset(&log, 0, sizeof(log));
	a = high_page(ctx, 80);
	b = high_page(ctx, 81);
	fill_frame(ctx, a, 0xAAAA6161);
	fill_frame(ctx, b, 0xBBBB6161);
	assert_int_equal(hm_current_task(ctx, 0), 0);
	assert_int_equal(hm_current_task(ctx, 1), 1);

	va = hm_kmap_local_page(ctx, a);
	assert_int_equal(va, 0xfffbb000u);
	assert_int_equal(read32(ctx, va), 0xAAAA6161);	/* in the TLB */
	hm_stats_reset(ctx);
	hm_switch_task(ctx, 5);			/* task 0 out, 5 in */
	assert_int_equal(hm_current_task(ctx, 0), 5);
	assert_int_equal(stats(ctx).pte_writes, 1);	/* cleared */
	assert_int_equal(stats(ctx).tlb_flush_one, 1);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0), 0);
	assert_int_equal(hm_sim_read(ctx, va, &v, 4), HM_FAULT);
	assert_cpu_state(ctx, 0, 0, 0, 0, 0);	/* task 5's: nothing */

	vb = hm_kmap_local_page(ctx, b);	/* task 5's own index 0 */
	assert_int_equal(vb, va);
	assert_int_equal(read32(ctx, vb), 0xBBBB6161);

	/* Task 0 holds a map of cpu 0: it may not run on cpu 1. */
	hm_set_cpu(ctx, 1);
	assert_int_equal(log.count, 1);		/* task 5 pins cpu 0 */
	hm_kunmap_local(ctx, vb);
	hm_set_cpu(ctx, 1);
	hm_switch_task(ctx, 0);
	assert_one_bug(&log, 1, "switch_ok", "migration is disabled");
	assert_int_equal(hm_current_task(ctx, 1), 1);
	hm_set_cpu(ctx, 0);

	/* Back on cpu 0: a's PTE is set again, in its slot, index 1. */
	hm_stats_reset(ctx);
	hm_switch_task(ctx, 0);
	assert_int_equal(hm_current_task(ctx, 0), 0);
	assert_int_equal(stats(ctx).pte_writes, 1);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0),
			 frame_of(ctx, a) | PTE_FLAGS_PAE);
	assert_cpu_state(ctx, 0, 0, 0, 1, 1);
	assert_int_equal(read32(ctx, va), 0xAAAA6161);	/* not b's */
	hm_kunmap_local(ctx, va);
	assert_cpu_state(ctx, 0, 0, 0, 0, 0);

	/* No switch inside kmap_atomic: scheduling while atomic. */
	va = hm_kmap_atomic(ctx, a);
	hm_switch_task(ctx, 7);
	assert_one_bug(&log, 2, "switch_ok", "scheduling while atomic");
	assert_int_equal(hm_current_task(ctx, 0), 0);
	hm_kunmap_atomic(ctx, va);
	/* Task 1 runs on cpu 1. */
	hm_switch_task(ctx, 1);
	assert_one_bug(&log, 3, "switch_ok", "already runs on another cpu");
	assert_int_equal(log.count, 4);
	hm_destroy(ctx);
}

/* Before 6.x nothing saves a task's temporary maps: switching out with
 * one held is a BUG (4.7 has no kmap_local; its kmap_atomic disables
 * preemption). */
static void linux_4_7_no_switch_with_maps(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = test_ctx(NULL, &log);
	hm_vaddr_t va;

	(void)state;
	memset(&log, 0, sizeof(log));
	hm_switch_task(ctx, 3);			/* no maps: fine */
	assert_int_equal(log.count, 0);
	va = hm_kmap_local_page(ctx, high_page(ctx, 90));
	hm_switch_task(ctx, 4);
	assert_one_bug(&log, 0, "switch_ok", "linux-4.7 does not save them");
	assert_int_equal(hm_current_task(ctx, 0), 3);
	hm_kunmap_local(ctx, va);
	hm_destroy(ctx);
}

static void debug_unmap_clears(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	struct page *a;
	hm_vaddr_t va;
	hm_paddr_t pa;
	uint32_t v;
	bool hit = true;

	(void)state;
	hm_config_default(&cfg);
	cfg.debug_highmem = true;
	ctx = test_ctx(&cfg, NULL);
	a = high_page(ctx, 30);
	fill_frame(ctx, a, 0xD0D0D0D0);

	va = hm_kmap_atomic(ctx, a);
	assert_int_equal(read32(ctx, va), 0xD0D0D0D0);	/* in the TLB */
	hm_stats_reset(ctx);
	hm_kunmap_atomic(ctx, va);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0), 0);
	assert_int_equal(stats(ctx).tlb_flush_one, 1);
	assert_int_equal(stats(ctx).pte_writes, 1);
	/* Cleared and flushed: the address faults, the TLB forgot it. */
	assert_int_equal(hm_sim_translate(ctx, va, &pa, &hit), HM_FAULT);
	assert_false(hit);
	assert_int_equal(hm_sim_read(ctx, va, &v, sizeof(v)), HM_FAULT);

	/* A map of an empty slot has nothing to flush. */
	hm_stats_reset(ctx);
	assert_int_equal(hm_kmap_atomic(ctx, a), va);
	assert_int_equal(stats(ctx).tlb_flush_one, 0);
	hm_kunmap_atomic(ctx, va);
	hm_destroy(ctx);
}

static void debug_map_of_dirty_slot(void **state)
{
	struct hm_config cfg;
	struct bug_log log;
	struct hm_ctx *ctx;
	struct page *a, *b;
	uint64_t stray;
	hm_vaddr_t va = slot_va(0, 0);

	(void)state;
	hm_config_default(&cfg);
	cfg.debug_highmem = true;
	ctx = test_ctx(&cfg, &log);
	a = high_page(ctx, 40);
	b = high_page(ctx, 41);

	/* Aim a stray store at slot 0's PTE, found by walking the tables:
	 * that the accessor then shows it proves we hit the right entry. */
	stray = frame_of(ctx, b) | PTE_FLAGS_PAE;
	test_stray_pte_write(ctx, va, stray);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0), stray);

	assert_int_equal(hm_kmap_atomic(ctx, a), 0);
	assert_one_bug(&log, 0, "slot_not_empty_bug", "not empty");
	/* Backed out: nothing held, the PTE left as found. */
	assert_cpu_state(ctx, 0, 0, 0, 0, 0);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0), stray);

	/* The typed form checks the same. */
	test_stray_pte_write(ctx, slot_va(0, KM_USER1), stray);
	assert_int_equal(hm_kmap_atomic_type(ctx, a, KM_USER1), 0);
	assert_one_bug(&log, 1, "slot_not_empty_bug", "not empty");
	assert_cpu_state(ctx, 0, 0, 0, 0, 0);

	/* Once the slot is clean again the map works. */
	test_stray_pte_write(ctx, va, 0);
	assert_int_equal(hm_kmap_atomic(ctx, a), va);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0),
			 frame_of(ctx, a) | PTE_FLAGS_PAE);
	hm_kunmap_atomic(ctx, va);
	assert_int_equal(log.count, 2);
	hm_destroy(ctx);
}

/* ---- The legacy typed form ---------------------------------------------- */

static void typed_form(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	struct page *t, *s[2];
	hm_vaddr_t tv, sv[2];

	(void)state;
	hm_config_default(&cfg);
	cfg.nr_cpus = 2;
	ctx = test_ctx(&cfg, NULL);
	t = high_page(ctx, 50);
	s[0] = high_page(ctx, 51);
	s[1] = high_page(ctx, 52);
	fill_frame(ctx, t, 0x7E7E0003);
	assert_int_equal(KM_USER0, 3);

	for (unsigned cpu = 0; cpu < 2; cpu++) {
		hm_set_cpu(ctx, cpu);
		/* Empty stack: still slot 3, and the stack does not move. */
		tv = hm_kmap_atomic_type(ctx, t, KM_USER0);
		assert_int_equal(tv, slot_va(cpu, 3));
		assert_cpu_state(ctx, cpu, 1, 1, 0, 0);
		assert_int_equal(hm_kmap_atomic_pte(ctx, cpu, 3),
				 frame_of(ctx, t) | PTE_FLAGS_PAE);
		assert_int_equal(read32(ctx, tv), 0x7E7E0003);
		hm_kunmap_atomic_type(ctx, tv, KM_USER0);
		assert_cpu_state(ctx, cpu, 0, 0, 0, 0);

		/* Two stacked maps below it: still slot 3. */
		sv[0] = hm_kmap_atomic(ctx, s[0]);
		sv[1] = hm_kmap_atomic(ctx, s[1]);
		tv = hm_kmap_atomic_type(ctx, t, KM_USER0);
		assert_int_equal(tv, slot_va(cpu, 3));
		assert_cpu_state(ctx, cpu, 3, 3, 0, 2);
		assert_int_equal(read32(ctx, tv), 0x7E7E0003);
		hm_kunmap_atomic_type(ctx, tv, KM_USER0);
		assert_cpu_state(ctx, cpu, 2, 2, 0, 2);
		hm_kunmap_atomic(ctx, sv[1]);
		hm_kunmap_atomic(ctx, sv[0]);
		assert_cpu_state(ctx, cpu, 0, 0, 0, 0);
	}
	hm_destroy(ctx);
}

static void typed_and_stack_clash(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = test_ctx(NULL, &log);
	hm_vaddr_t tv, sv[4];
	int k;

	(void)state;
	/* A typed map in slot 3 stops the stack from reaching it. */
	tv = hm_kmap_atomic_type(ctx, high_page(ctx, 60), KM_USER0);
	assert_int_equal(tv, slot_va(0, 3));
	for (k = 0; k < 3; k++)
		sv[k] = hm_kmap_atomic(ctx, high_page(ctx, 61 + k));
	assert_cpu_state(ctx, 0, 4, 4, 0, 3);
	assert_int_equal(hm_kmap_atomic(ctx, high_page(ctx, 64)), 0);
	assert_one_bug(&log, 0, "slot_push_bug", "held by");
	assert_non_null(strstr(log.msg, "typed"));
	assert_cpu_state(ctx, 0, 4, 4, 0, 3);
	/* The typed map is intact. */
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 3),
			 frame_of(ctx, high_page(ctx, 60)) | PTE_FLAGS_PAE);
	for (k = 3; k-- > 0;)
		hm_kunmap_atomic(ctx, sv[k]);
	hm_kunmap_atomic_type(ctx, tv, KM_USER0);
	assert_cpu_state(ctx, 0, 0, 0, 0, 0);

	/* And a typed map of a slot the stack holds is refused. */
	for (k = 0; k < 4; k++)
		sv[k] = hm_kmap_atomic(ctx, high_page(ctx, 61 + k));
	assert_int_equal(hm_kmap_atomic_type(ctx, high_page(ctx, 60),
					     KM_USER0), 0);
	assert_one_bug(&log, 1, "typed_bug", "held by");
	assert_cpu_state(ctx, 0, 4, 4, 0, 4);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 3),
			 frame_of(ctx, high_page(ctx, 64)) | PTE_FLAGS_PAE);
	for (k = 4; k-- > 0;)
		hm_kunmap_atomic(ctx, sv[k]);
	assert_cpu_state(ctx, 0, 0, 0, 0, 0);
	assert_int_equal(log.count, 2);
	hm_destroy(ctx);
}

/* ---- kmap_local_page ---------------------------------------------------- */

static void local_shares_the_stack(void **state)
{
	struct hm_config cfg;
	struct bug_log log;
	struct hm_ctx *ctx;
	struct page *a, *b, *c;
	hm_vaddr_t va, vb, vc;
	uint32_t v;

	(void)state;
	hm_config_default(&cfg);
	cfg.nr_cpus = 2;
	ctx = test_ctx(&cfg, &log);
	a = high_page(ctx, 70);
	b = high_page(ctx, 71);
	c = high_page(ctx, 72);
	fill_frame(ctx, a, 0x0A0A0A0A);
	fill_frame(ctx, b, 0x0B0B0B0B);
	fill_frame(ctx, c, 0x0C0C0C0C);

	va = hm_kmap_local_page(ctx, a);
	assert_int_equal(va, slot_va(0, 0));
	assert_cpu_state(ctx, 0, 0, 0, 1, 1);	/* preemption stays on */
	vb = hm_kmap_atomic(ctx, b);
	assert_int_equal(vb, slot_va(0, 1));
	assert_cpu_state(ctx, 0, 1, 1, 1, 2);
	vc = hm_kmap_local_page(ctx, c);
	assert_int_equal(vc, slot_va(0, 2));
	assert_cpu_state(ctx, 0, 1, 1, 2, 3);
	assert_int_equal(read32(ctx, va), 0x0A0A0A0A);
	assert_int_equal(read32(ctx, vb), 0x0B0B0B0B);
	assert_int_equal(read32(ctx, vc), 0x0C0C0C0C);

	/* The wrong kind of unmap for the top slot is refused. */
	hm_kunmap_atomic(ctx, vc);
	assert_one_bug(&log, 0, "slot_pop_bug", "kmap_local_page");
	assert_cpu_state(ctx, 0, 1, 1, 2, 3);

	/* kunmap_local clears and flushes... */
	hm_kunmap_local(ctx, vc);
	assert_cpu_state(ctx, 0, 1, 1, 1, 2);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 2), 0);
	assert_int_equal(hm_sim_read(ctx, vc, &v, sizeof(v)), HM_FAULT);
	/* ...and so does kunmap_atomic, as on x86. */
	hm_kunmap_atomic(ctx, vb);
	assert_cpu_state(ctx, 0, 0, 0, 1, 1);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 1), 0);

	/* A held local map pins the thread to its CPU. */
	hm_set_cpu(ctx, 1);
	assert_one_bug(&log, 1, "hm_cpu_may_move", "migration disabled");
	assert_int_equal(hm_smp_processor_id(ctx), 0);

	hm_kunmap_local(ctx, va);
	assert_cpu_state(ctx, 0, 0, 0, 0, 0);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0), 0);
	assert_int_equal(hm_sim_read(ctx, va, &v, sizeof(v)), HM_FAULT);

	/* Both slots were cleared and flushed at unmap: nothing to flush
	 * at the next maps. */
	hm_stats_reset(ctx);
	assert_int_equal(hm_kmap_local_page(ctx, a), va);
	assert_int_equal(hm_kmap_local_page(ctx, c), vb);
	assert_int_equal(stats(ctx).tlb_flush_one, 0);
	assert_int_equal(read32(ctx, vb), 0x0C0C0C0C);
	hm_kunmap_local(ctx, vb);
	hm_kunmap_local(ctx, va);
	assert_cpu_state(ctx, 0, 0, 0, 0, 0);
	assert_int_equal(log.count, 2);
	hm_destroy(ctx);
}

/* ---- CPUs ---------------------------------------------------------------- */

/*
 * What a thread running on cpu 1 saw; checked after the join, since
 * cmocka's assertions belong to the main thread.  The barrier orders it:
 * the thread takes cpu 1 first, then the main thread maps on cpu 0, then
 * the thread nests its maps while cpu 0's is held.
 */
struct cpu1_run {
	struct hm_ctx *ctx;
	pthread_barrier_t step;
	struct page *page[3];
	hm_vaddr_t va[3];
	uint32_t seen[3];
	int read_rc;
	unsigned cpu;
	struct hm_cpu_state cpu0_meanwhile, held, after;
};

static void *cpu1_thread(void *arg)
{
	struct cpu1_run *r = arg;
	int k;

	hm_set_cpu(r->ctx, 1);
	r->cpu = hm_smp_processor_id(r->ctx);
	pthread_barrier_wait(&r->step);		/* on cpu 1 */
	pthread_barrier_wait(&r->step);		/* cpu 0 holds its map */
	for (k = 0; k < 3; k++)
		r->va[k] = hm_kmap_atomic(r->ctx, r->page[k]);
	for (k = 0; k < 3; k++)
		r->read_rc |= hm_sim_read(r->ctx, r->va[k], &r->seen[k],
					  sizeof(r->seen[k]));
	hm_cpu_state(r->ctx, 1, &r->held);
	hm_cpu_state(r->ctx, 0, &r->cpu0_meanwhile);
	for (k = 3; k-- > 0;)
		hm_kunmap_atomic(r->ctx, r->va[k]);
	hm_cpu_state(r->ctx, 1, &r->after);
	return NULL;
}

static void cpus_are_independent(void **state)
{
	struct hm_config cfg;
	struct bug_log log;
	struct cpu1_run r;
	struct hm_ctx *ctx;
	struct page *mine;
	pthread_t th;
	hm_vaddr_t va;
	int k;

	(void)state;
	hm_config_default(&cfg);
	cfg.nr_cpus = 2;
	ctx = test_ctx(&cfg, &log);
	mine = high_page(ctx, 80);
	fill_frame(ctx, mine, 0xC0C0C0C0);
	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	for (k = 0; k < 3; k++) {
		r.page[k] = high_page(ctx, 81 + k);
		fill_frame(ctx, r.page[k], 0x11110000u + k);
	}
	assert_int_equal(pthread_barrier_init(&r.step, NULL, 2), 0);

	/* cpu 0 holds a map while cpu 1 nests three of its own. */
	assert_int_equal(pthread_create(&th, NULL, cpu1_thread, &r), 0);
	pthread_barrier_wait(&r.step);
	va = hm_kmap_atomic(ctx, mine);
	pthread_barrier_wait(&r.step);
	assert_int_equal(pthread_join(th, NULL), 0);
	pthread_barrier_destroy(&r.step);

	if (log.count)
		fail_msg("unexpected BUG in %s(): %s", log.func, log.msg);
	assert_int_equal(va, slot_va(0, 0));
	assert_int_equal(r.cpu, 1);
	assert_int_equal(r.read_rc, HM_OK);
	for (k = 0; k < 3; k++) {
		assert_int_equal(r.va[k], slot_va(1, k));
		assert_int_equal(r.seen[k], 0x11110000u + k);
		/* The unmaps on cpu 1 cleared cpu 1's PTEs. */
		assert_int_equal(hm_kmap_atomic_pte(ctx, 1, k), 0);
	}
	assert_int_equal(r.held.kmap_atomic_idx, 3);
	assert_int_equal(r.held.preempt_count, 3);
	assert_int_equal(r.held.pagefault_disabled, 3);
	assert_int_equal(r.cpu0_meanwhile.kmap_atomic_idx, 1);
	assert_int_equal(r.cpu0_meanwhile.preempt_count, 1);
	assert_int_equal(r.after.kmap_atomic_idx, 0);
	assert_int_equal(r.after.preempt_count, 0);
	assert_int_equal(r.after.pagefault_disabled, 0);

	/* cpu 0 and its stack are as they were. */
	assert_int_equal(hm_smp_processor_id(ctx), 0);
	assert_cpu_state(ctx, 0, 1, 1, 0, 1);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 0),
			 frame_of(ctx, mine) | PTE_FLAGS_PAE);
	for (k = 1; k < 4; k++)
		assert_int_equal(hm_kmap_atomic_pte(ctx, 0, k), 0);
	assert_int_equal(read32(ctx, va), 0xC0C0C0C0);
	hm_kunmap_atomic(ctx, va);
	assert_cpu_state(ctx, 0, 0, 0, 0, 0);
	hm_destroy(ctx);
}

struct first_move {
	struct hm_ctx *ctx;
	unsigned cpu;
};

static void *move_to_cpu1(void *arg)
{
	struct first_move *m = arg;

	hm_set_cpu(m->ctx, 1);
	m->cpu = hm_smp_processor_id(m->ctx);
	return NULL;
}

/*
 * A thread that has never been placed runs on cpu 0 by default, but it
 * holds nothing there: its first hm_set_cpu() is not leaving a CPU "with
 * preemption disabled" even if another thread holds a kmap_atomic on cpu 0.
 */
static void first_placement_ignores_other_threads_maps(void **state)
{
	struct hm_config cfg;
	struct bug_log log;
	struct first_move m;
	struct hm_cpu_state cpu0;
	struct hm_ctx *ctx;
	pthread_t th;
	hm_vaddr_t va;

	(void)state;
	hm_config_default(&cfg);
	cfg.nr_cpus = 2;
	ctx = test_ctx(&cfg, &log);
	m.ctx = ctx;
	m.cpu = ~0u;

	va = hm_kmap_atomic(ctx, high_page(ctx, 90));
	assert_int_equal(pthread_create(&th, NULL, move_to_cpu1, &m), 0);
	assert_int_equal(pthread_join(th, NULL), 0);

	cpu0 = cpu_state(ctx, 0);
	hm_kunmap_atomic(ctx, va);
	hm_destroy(ctx);	/* first, so a failure below leaks nothing */

	if (log.count)
		fail_msg("spurious BUG in %s(): %s", log.func, log.msg);
	assert_int_equal(m.cpu, 1);
	assert_int_equal(cpu0.kmap_atomic_idx, 1);
	assert_int_equal(cpu0.preempt_count, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slot_addresses),
		cmocka_unit_test(pte_format_pae),
		cmocka_unit_test(pte_format_32bit),
		cmocka_unit_test(nesting_to_the_limit),
		cmocka_unit_test(lowmem_fast_path),
		cmocka_unit_test(unmap_clears_and_flushes),
		cmocka_unit_test(debug_km_fence_widens_the_window),
		cmocka_unit_test(linux_6_1_slots),
		cmocka_unit_test(kernel_mode_out_of_order_unmap),
		cmocka_unit_test(kernel_mode_kmap_in_atomic),
		cmocka_unit_test(kernel_mode_6_1_local_out_of_order),
		cmocka_unit_test(kernel_mode_stray_unmap),
		cmocka_unit_test(kernel_mode_nest_overflow),
		cmocka_unit_test(linux_6_1_tasks_save_and_restore),
		cmocka_unit_test(linux_4_7_no_switch_with_maps),
		cmocka_unit_test(debug_unmap_clears),
		cmocka_unit_test(debug_map_of_dirty_slot),
		cmocka_unit_test(typed_form),
		cmocka_unit_test(typed_and_stack_clash),
		cmocka_unit_test(local_shares_the_stack),
		cmocka_unit_test(cpus_are_independent),
		cmocka_unit_test(first_placement_ignores_other_threads_maps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
