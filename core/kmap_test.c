/* SPDX-License-Identifier: MIT */
/*
 * kmap_test.c - persistent maps: kmap/kunmap, pkmap_count's meaning, the
 * wrap of last_pkmap_nr and flush_all_zero_pkmaps() at exactly that point,
 * reuse after the flush, kmap_flush_unused() and kmap_high_get().
 */
#include "core/testing/testing.h"


static unsigned nr_of(struct hm_ctx *ctx, hm_vaddr_t v)
{
	return (v - hm_layout(ctx)->pkmap_base) >> 12;
}

static struct hm_stats stats(struct hm_ctx *ctx)
{
	struct hm_stats s;

	hm_stats(ctx, &s);
	return s;
}

static void lowmem_takes_no_entry(void **state)
{
	struct hm_ctx *ctx = test_ctx(NULL, NULL);
	struct page *p = hm_pfn_to_page(ctx, 0x1000);

	(void)state;
	assert_int_equal(hm_kmap(ctx, p), 0xC1000000u);
	for (unsigned nr = 0; nr < 512; nr++)
		assert_int_equal(hm_pkmap_count(ctx, nr), 0);
	hm_kunmap(ctx, p);	/* a no-op */
	assert_int_equal(stats(ctx).pte_writes, 0);
	hm_destroy(ctx);
}

/* count: 2 for one user, n + 1 for n users, 1 once they are gone, and the
 * PTE and hash entry stay until the next flush. */
static void counts(void **state)
{
	struct hm_ctx *ctx = test_ctx(NULL, NULL);
	struct page *p = high_page(ctx, 5);
	uint64_t pfn = hm_page_to_pfn(ctx, p);
	hm_vaddr_t v;
	unsigned nr;

	(void)state;
	v = hm_kmap(ctx, p);
	nr = nr_of(ctx, v);
	/* the scan starts after last_pkmap_nr 0 */
	assert_int_equal(nr, 1);
	assert_int_equal(v, hm_pkmap_addr(ctx, 1));
	assert_int_equal(hm_pkmap_count(ctx, nr), 2);
	assert_int_equal(hm_pkmap_pte(ctx, nr), (pfn << 12) | PTE_FLAGS_PAE);

	assert_int_equal(hm_kmap(ctx, p), v);
	assert_int_equal(hm_pkmap_count(ctx, nr), 3);
	assert_int_equal(stats(ctx).pte_writes, 1);

	hm_kunmap(ctx, p);
	hm_kunmap(ctx, p);
	assert_int_equal(hm_pkmap_count(ctx, nr), 1);
	assert_int_not_equal(hm_pkmap_pte(ctx, nr), 0);
	assert_int_equal(hm_page_address(ctx, p), v);

	/* a new kmap finds the lingering entry: no new PTE */
	assert_int_equal(hm_kmap(ctx, p), v);
	assert_int_equal(hm_pkmap_count(ctx, nr), 2);
	assert_int_equal(stats(ctx).pte_writes, 1);
	hm_kunmap(ctx, p);
	hm_destroy(ctx);
}

static void data_reaches_the_frame(void **state)
{
	struct hm_ctx *ctx = test_ctx(NULL, NULL);
	struct page *p = high_page(ctx, 77);
	hm_paddr_t pa = hm_page_to_pfn(ctx, p) << 12;
	hm_vaddr_t v = hm_kmap(ctx, p);
	uint32_t got = 0;

	(void)state;
	write32(ctx, v + 0xFFC, 0xfeedface);
	assert_int_equal(hm_sim_phys_read(ctx, pa + 0xFFC, &got, 4), HM_OK);
	assert_int_equal(got, 0xfeedface);
	hm_kunmap(ctx, p);
	hm_destroy(ctx);
}

/*
 * Map and unmap pages until the scan wraps.  Entries 1..last-1 pass
 * through count 2 to 1; nothing is flushed until the kmap that wraps
 * last_pkmap_nr to 0, which frees them all at once and flushes the TLBs;
 * a page still in use keeps its entry.
 */
static void wrap_and_flush(struct hm_ctx *ctx)
{
	const unsigned last = hm_layout(ctx)->last_pkmap;
	const unsigned keep_nr = 7;
	struct page *keep = NULL;
	hm_vaddr_t v, keep_v = 0;
	hm_paddr_t pa;
	unsigned i;

	for (i = 1; i < last; i++) {
		struct page *p = high_page(ctx, i);

		v = hm_kmap(ctx, p);
		assert_int_equal(nr_of(ctx, v), i);
		write32(ctx, v, i);	/* also loads the TLB */
		if (i == keep_nr) {
			keep = p;
			keep_v = v;
			continue;
		}
		hm_kunmap(ctx, p);
	}
	assert_int_equal(hm_last_pkmap_nr(ctx), last - 1);
	assert_int_equal(stats(ctx).pkmap_flushes, 0);
	assert_int_equal(stats(ctx).tlb_flush_range, 0);
	for (i = 1; i < last; i++)
		assert_int_equal(hm_pkmap_count(ctx, i), i == keep_nr ? 2 : 1);

	/* The wrap: entry 0 was never used, so it is taken after the flush. */
	v = hm_kmap(ctx, high_page(ctx, last + 100));
	assert_int_equal(v, hm_pkmap_addr(ctx, 0));
	assert_int_equal(hm_last_pkmap_nr(ctx), 0);
	assert_int_equal(stats(ctx).pkmap_flushes, 1);
	assert_int_equal(stats(ctx).tlb_flush_range, 1);
	/* 512 or 1024 pages is above the single-page ceiling: a full flush */
	assert_int_equal(stats(ctx).tlb_flush_all, hm_config(ctx)->nr_cpus);
	assert_true(stats(ctx).tlb_entries_flushed >= last - 1);

	for (i = 1; i < last; i++) {
		if (i == keep_nr)
			continue;
		assert_int_equal(hm_pkmap_count(ctx, i), 0);
		assert_int_equal(hm_pkmap_pte(ctx, i), 0);
		assert_int_equal(hm_page_address(ctx, high_page(ctx, i)), 0);
	}
	/* no translation left anywhere for a freed entry */
	assert_int_equal(hm_sim_translate(ctx, hm_pkmap_addr(ctx, 3), &pa, NULL),
			 HM_FAULT);
	/* the page in use keeps entry, PTE and data */
	assert_int_equal(hm_pkmap_count(ctx, keep_nr), 2);
	assert_int_equal(hm_page_address(ctx, keep), keep_v);
	assert_int_equal(read32(ctx, keep_v), keep_nr);

	/* Reuse: the next kmaps take the freed entries in order, skipping
	 * the one in use. */
	for (i = 1; i < 10; i++) {
		v = hm_kmap(ctx, high_page(ctx, last + 200 + i));
		assert_int_equal(nr_of(ctx, v), i < keep_nr ? i : i + 1);
	}
	assert_int_equal(stats(ctx).pkmap_flushes, 1);
}

static void wrap_and_flush_pae(void **state)
{
	struct hm_ctx *ctx = test_ctx(NULL, NULL);

	(void)state;
	wrap_and_flush(ctx);
	hm_destroy(ctx);
}

static void wrap_and_flush_nopae_two_cpus(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;

	(void)state;
	hm_config_default(&cfg);
	cfg.pae = false;
	cfg.nr_cpus = 2;
	ctx = test_ctx(&cfg, NULL);
	wrap_and_flush(ctx);
	hm_destroy(ctx);
}

static void nopae_pte_format(void **state)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	struct page *p;
	hm_vaddr_t v;

	(void)state;
	hm_config_default(&cfg);
	cfg.pae = false;
	ctx = test_ctx(&cfg, NULL);
	p = high_page(ctx, 1);
	v = hm_kmap(ctx, p);
	assert_int_equal(hm_pkmap_pte(ctx, nr_of(ctx, v)),
			 (hm_page_to_pfn(ctx, p) << 12) | PTE_FLAGS_32);
	hm_destroy(ctx);
}

/* kmap_flush_unused frees count-1 entries now, and only those. */
static void flush_unused(void **state)
{
	struct hm_ctx *ctx = test_ctx(NULL, NULL);
	struct page *a = high_page(ctx, 1), *b = high_page(ctx, 2);
	hm_vaddr_t va = hm_kmap(ctx, a), vb = hm_kmap(ctx, b);

	(void)state;
	hm_kunmap(ctx, a);
	hm_kmap_flush_unused(ctx);
	assert_int_equal(hm_pkmap_count(ctx, nr_of(ctx, va)), 0);
	assert_int_equal(hm_pkmap_pte(ctx, nr_of(ctx, va)), 0);
	assert_int_equal(hm_pkmap_count(ctx, nr_of(ctx, vb)), 2);
	assert_int_equal(stats(ctx).tlb_flush_range, 1);

	/* nothing to free: no flush at all */
	hm_kmap_flush_unused(ctx);
	assert_int_equal(stats(ctx).tlb_flush_range, 1);
	assert_int_equal(stats(ctx).pkmap_flushes, 2);
	hm_kunmap(ctx, b);
	hm_destroy(ctx);
}

static void high_get(void **state)
{
	struct hm_ctx *ctx = test_ctx(NULL, NULL);
	struct page *p = high_page(ctx, 9);
	hm_vaddr_t v;

	(void)state;
	/* never creates a mapping */
	assert_int_equal(hm_kmap_high_get(ctx, p), 0);
	assert_int_equal(hm_page_address(ctx, p), 0);

	v = hm_kmap(ctx, p);
	assert_int_equal(hm_kmap_high_get(ctx, p), v);
	assert_int_equal(hm_pkmap_count(ctx, nr_of(ctx, v)), 3);
	hm_kunmap_high(ctx, p);
	hm_kunmap(ctx, p);
	assert_int_equal(hm_pkmap_count(ctx, nr_of(ctx, v)), 1);
	/* pins a lingering (count 1) entry too */
	assert_int_equal(hm_kmap_high_get(ctx, p), v);
	assert_int_equal(hm_pkmap_count(ctx, nr_of(ctx, v)), 2);
	hm_destroy(ctx);
}

/* Two contexts side by side share nothing. */
static void two_contexts(void **state)
{
	struct hm_ctx *a = test_ctx(NULL, NULL), *b = test_ctx(NULL, NULL);
	hm_vaddr_t va = hm_kmap(a, high_page(a, 1));

	(void)state;
	assert_int_not_equal(va, 0);
	assert_int_equal(hm_page_address(b, high_page(b, 1)), 0);
	assert_int_equal(hm_pkmap_count(b, nr_of(b, va)), 0);
	hm_destroy(a);
	hm_destroy(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lowmem_takes_no_entry),
		cmocka_unit_test(counts),
		cmocka_unit_test(data_reaches_the_frame),
		cmocka_unit_test(wrap_and_flush_pae),
		cmocka_unit_test(wrap_and_flush_nopae_two_cpus),
		cmocka_unit_test(nopae_pte_format),
		cmocka_unit_test(flush_unused),
		cmocka_unit_test(high_get),
		cmocka_unit_test(two_contexts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
