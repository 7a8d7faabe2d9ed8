/* SPDX-License-Identifier: MIT */
/*
 * prot_test.c - what each kind of map may be used for, and that the
 * simulated MMU holds the core to it as x86 holds the kernel.
 *
 * The flags: every map the core makes (kmap's PKMAP entry, kmap_atomic,
 * the typed kmap_atomic, kmap_local_page) carries exactly PAGE_KERNEL,
 * x86_32's kmap_prot: present, writable, accessed, dirty, global, no user
 * bit, no cache-disable or write-through, and NX under PAE (2-level paging
 * has no NX bit).  The MMU: a supervisor store through a read-only PTE
 * faults (CR0.WP, as Linux sets it), an instruction fetch through an NX
 * PTE faults, both whether the translation comes from a walk or from the
 * TLB, which caches rights with the frame; a fault drops the TLB entry.
 */
#include <string.h>

#include "core/testing/testing.h"

#define PTE_RW		0x002ull
#define PTE_USER	0x004ull
#define PTE_PWT		0x008ull
#define PTE_PCD		0x010ull
#define PTE_GLOBAL	0x100ull
#define PTE_NX		0x8000000000000000ull

static struct hm_ctx *machine(bool pae, struct bug_log *log)
{
	struct hm_config cfg;

	hm_config_default(&cfg);
	cfg.pae = pae;
	cfg.nr_cpus = 2;
	return test_ctx(&cfg, log);
}

static uint64_t frame_of(struct hm_ctx *ctx, struct page *page)
{
	return hm_page_to_pfn(ctx, page) << 12;
}

/* The PTE the MMU finds for @va, read from the page table itself. */
static uint64_t pte_at(struct hm_ctx *ctx, hm_vaddr_t va, bool pae)
{
	return test_phys_entry(ctx, test_pte_phys(ctx, va), pae);
}

static void assert_page_kernel(struct hm_ctx *ctx, hm_vaddr_t va,
			       uint64_t pte, struct page *page, bool pae)
{
	uint64_t want = frame_of(ctx, page) | (pae ? PTE_FLAGS_PAE : PTE_FLAGS_32);

	if (pte != want)
		fail_msg("PTE of %#x is %#llx, PAGE_KERNEL wants %#llx", va,
			 (unsigned long long)pte, (unsigned long long)want);
	/* Spelled out, so a change of PTE_FLAGS_* cannot hide one. */
	assert_true(pte & PTE_PRESENT);
	assert_true(pte & PTE_RW);
	assert_true(pte & PTE_GLOBAL);
	assert_false(pte & PTE_USER);
	assert_false(pte & (PTE_PWT | PTE_PCD));
	assert_int_equal(!!(pte & PTE_NX), pae);
	/* and the page table holds what the core's view says */
	assert_int_equal(pte_at(ctx, va, pae), pte);
}

static void flags_of_every_kind(bool pae)
{
	struct hm_ctx *ctx = machine(pae, NULL);
	struct page *a = high_page(ctx, 1), *b = high_page(ctx, 2);
	struct page *c = high_page(ctx, 3), *d = high_page(ctx, 4);
	hm_vaddr_t va;
	unsigned nr;

	va = hm_kmap(ctx, a);
	nr = (va - hm_pkmap_addr(ctx, 0)) >> 12;
	assert_page_kernel(ctx, va, hm_pkmap_pte(ctx, nr), a, pae);

	va = hm_kmap_atomic(ctx, b);
	assert_int_equal(va, hm_kmap_atomic_slot_addr(ctx, 0, 0));
	assert_page_kernel(ctx, va, hm_kmap_atomic_pte(ctx, 0, 0), b, pae);

	va = hm_kmap_local_page(ctx, c);
	assert_int_equal(va, hm_kmap_atomic_slot_addr(ctx, 0, 1));
	assert_page_kernel(ctx, va, hm_kmap_atomic_pte(ctx, 0, 1), c, pae);

	va = hm_kmap_atomic_type(ctx, d, KM_USER0);
	assert_int_equal(va, hm_kmap_atomic_slot_addr(ctx, 0, KM_USER0));
	assert_page_kernel(ctx, va, hm_kmap_atomic_pte(ctx, 0, KM_USER0), d,
			   pae);

	hm_kunmap_atomic_type(ctx, va, KM_USER0);
	hm_kunmap_local(ctx, hm_kmap_atomic_slot_addr(ctx, 0, 1));
	hm_kunmap_atomic(ctx, hm_kmap_atomic_slot_addr(ctx, 0, 0));
	hm_kunmap(ctx, a);
	hm_destroy(ctx);
}

static void flags_pae(void **state)
{
	(void)state;
	flags_of_every_kind(true);
}

static void flags_32bit(void **state)
{
	(void)state;
	flags_of_every_kind(false);
}

/* A store through a read-only PTE faults; a load does not; the TLB keeps
 * the rights it saw, and a fault drops its entry. */
static void write_through_read_only_faults(void **state)
{
	struct hm_ctx *ctx = machine(true, NULL);
	struct page *p = high_page(ctx, 7);
	uint64_t rw, ro;
	uint32_t v = 0x1234, got = 0;
	hm_vaddr_t va;
	hm_paddr_t pa;
	bool hit;

	(void)state;
	va = hm_kmap(ctx, p);
	rw = pte_at(ctx, va, true);
	ro = rw & ~PTE_RW;

	/* Never touched, so the walk decides: a load works, a store faults. */
	test_stray_pte_write(ctx, va, ro);
	assert_int_equal(hm_sim_read(ctx, va, &got, 4), HM_OK);
	assert_int_equal(hm_sim_write(ctx, va, &v, 4), HM_FAULT);
	/* The load cached the translation read-only; the store's fault
	 * dropped it: the next translation walks again. */
	assert_int_equal(hm_sim_translate(ctx, va, &pa, &hit), HM_OK);
	assert_false(hit);
	assert_int_equal(pa, frame_of(ctx, p));
	/* From the TLB now, read-only: still a fault. */
	assert_int_equal(hm_sim_write(ctx, va, &v, 4), HM_FAULT);

	/* Writable again: the fault left no entry, so the walk sees it. */
	test_stray_pte_write(ctx, va, rw);
	assert_int_equal(hm_sim_write(ctx, va, &v, 4), HM_OK);
	assert_int_equal(hm_sim_read(ctx, va, &got, 4), HM_OK);
	assert_int_equal(got, 0x1234);

	/* Read-only behind the TLB's back: the TLB's rights still allow
	 * the store (hardware may use them), until a fault or flush. */
	test_stray_pte_write(ctx, va, ro);
	v = 0x5678;
	assert_int_equal(hm_sim_write(ctx, va, &v, 4), HM_OK);
	assert_int_equal(hm_sim_phys_read(ctx, frame_of(ctx, p), &got, 4),
			 HM_OK);
	assert_int_equal(got, 0x5678);

	test_stray_pte_write(ctx, va, rw);
	hm_kunmap(ctx, p);
	hm_destroy(ctx);
}

/* Through a temporary map too, and in 2-level paging. */
static void write_through_read_only_slot_faults(void **state)
{
	struct hm_ctx *ctx = machine(false, NULL);
	struct page *p = high_page(ctx, 9);
	uint32_t v = 1;
	hm_vaddr_t va;
	uint64_t rw;

	(void)state;
	va = hm_kmap_atomic(ctx, p);
	rw = pte_at(ctx, va, false);
	test_stray_pte_write(ctx, va, rw & ~PTE_RW);
	assert_int_equal(hm_sim_write(ctx, va, &v, 4), HM_FAULT);
	test_stray_pte_write(ctx, va, rw);
	assert_int_equal(hm_sim_write(ctx, va, &v, 4), HM_OK);
	hm_kunmap_atomic(ctx, va);
	hm_destroy(ctx);
}

/* PAGE_KERNEL is NX under PAE: no instruction fetch through a kmap.  The
 * direct map (large pages without NX here) and 2-level paging (no NX bit)
 * allow one. */
static void fetch_through_nx_faults(void **state)
{
	struct hm_ctx *ctx = machine(true, NULL), *ctx32;
	struct page *p = high_page(ctx, 5);
	hm_vaddr_t va = hm_kmap(ctx, p), lowva = 0xC0300000u;
	uint8_t insn[4];

	(void)state;
	assert_int_equal(hm_sim_read(ctx, va, insn, 4), HM_OK);
	assert_int_equal(hm_sim_fetch(ctx, va, insn, 4), HM_FAULT);
	assert_int_equal(hm_sim_fetch(ctx, lowva, insn, 4), HM_OK);
	/* Without NX in the PTE, the same fetch works. */
	test_stray_pte_write(ctx, va, pte_at(ctx, va, true) & ~PTE_NX);
	assert_int_equal(hm_sim_fetch(ctx, va, insn, 4), HM_OK);
	test_stray_pte_write(ctx, va, pte_at(ctx, va, true) | PTE_NX);
	hm_kunmap(ctx, p);
	hm_destroy(ctx);

	ctx32 = machine(false, NULL);
	p = high_page(ctx32, 5);
	va = hm_kmap(ctx32, p);
	assert_int_equal(hm_sim_fetch(ctx32, va, insn, 4), HM_OK);
	hm_kunmap(ctx32, p);
	hm_destroy(ctx32);
}

/* Not present: every kind of access faults. */
static void not_present_faults(void **state)
{
	struct hm_ctx *ctx = machine(true, NULL);
	hm_vaddr_t va = hm_pkmap_addr(ctx, 5);
	uint32_t v = 0;

	(void)state;
	assert_int_equal(hm_pkmap_pte(ctx, 5), 0);
	assert_int_equal(hm_sim_read(ctx, va, &v, 4), HM_FAULT);
	assert_int_equal(hm_sim_write(ctx, va, &v, 4), HM_FAULT);
	assert_int_equal(hm_sim_fetch(ctx, va, &v, 4), HM_FAULT);
	hm_destroy(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flags_pae),
		cmocka_unit_test(flags_32bit),
		cmocka_unit_test(write_through_read_only_faults),
		cmocka_unit_test(write_through_read_only_slot_faults),
		cmocka_unit_test(fetch_through_nx_faults),
		cmocka_unit_test(not_present_faults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
