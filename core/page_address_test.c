/* SPDX-License-Identifier: MIT */
/*
 * page_address_test.c - page_address(): arithmetic for lowmem, the hash
 * table for highmem, including pages that share a bucket.
 *
 * The bucket of a page is recomputed here on its own (hash_32 of where a
 * 32-bit kernel's mem_map would hold the struct page: 0xc1000000 + 32 *
 * pfn, PA_HASH_ORDER 7), to build chains of colliding pages on purpose.
 */
#include "core/testing/testing.h"

static unsigned bucket_of(uint64_t pfn)
{
	uint32_t kaddr = 0xC1000000u + (uint32_t)pfn * 32u;

	return (kaddr * 0x61C88647u) >> (32 - 7);
}

/* The first @n highmem pfns at or after @from that hash to @bucket. */
static void colliding_pfns(struct hm_ctx *ctx, unsigned bucket, uint64_t *out,
			   int n)
{
	uint64_t pfn = hm_max_low_pfn(ctx);

	for (int i = 0; i < n; pfn++) {
		assert_true(pfn < hm_max_pfn(ctx));
		if (bucket_of(pfn) == bucket)
			out[i++] = pfn;
	}
}

static uint64_t hash_steps(struct hm_ctx *ctx)
{
	struct hm_stats s;

	hm_stats(ctx, &s);
	return s.hash_steps;
}

static void lowmem_is_arithmetic(void **state)
{
	struct hm_ctx *ctx = test_ctx(NULL, NULL);
	/* linux-4.7, 1 GiB: lowmem ends at 0x37bfe (testing.h) */
	const uint64_t pfns[] = { 0, 1, 0x1234, MAX_LOW_PFN_4_7_PAE - 1 };

	(void)state;
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(hm_page_address(ctx, hm_pfn_to_page(ctx, pfns[i])),
				 0xC0000000u + (uint32_t)(pfns[i] << 12));
	/* no table involved */
	assert_int_equal(hash_steps(ctx), 0);
	hm_destroy(ctx);
}

static void highmem_unmapped_is_null(void **state)
{
	struct hm_ctx *ctx = test_ctx(NULL, NULL);

	(void)state;
	assert_int_equal(hm_page_address(ctx, high_page(ctx, 0)), 0);
	assert_int_equal(hm_page_address(ctx, high_page(ctx, 0x7FFF)), 0);
	hm_destroy(ctx);
}

static void highmem_follows_kmap(void **state)
{
	struct hm_ctx *ctx = test_ctx(NULL, NULL);
	struct page *p = high_page(ctx, 42);
	hm_vaddr_t v = hm_kmap(ctx, p);

	(void)state;
	assert_int_not_equal(v, 0);
	assert_int_equal(hm_page_address(ctx, p), v);
	/* unmapped but not yet flushed: still found */
	hm_kunmap(ctx, p);
	assert_int_equal(hm_page_address(ctx, p), v);
	/* flushed: gone */
	hm_kmap_flush_unused(ctx);
	assert_int_equal(hm_page_address(ctx, p), 0);
	hm_destroy(ctx);
}

/* Five pages in one bucket: each found at its own address, the chain walked
 * in order of insertion, and removal from the middle keeps the rest. */
static void collisions(void **state)
{
	struct hm_ctx *ctx = test_ctx(NULL, NULL);
	unsigned bucket = bucket_of(hm_max_low_pfn(ctx) + 7);
	uint64_t pfn[5];
	hm_vaddr_t v[5];
	uint64_t before;

	(void)state;
	colliding_pfns(ctx, bucket, pfn, 5);
	for (int i = 0; i < 5; i++) {
		v[i] = hm_kmap(ctx, hm_pfn_to_page(ctx, pfn[i]));
		assert_int_not_equal(v[i], 0);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(v[i], v[j]);
	}
	for (int i = 0; i < 5; i++)
		assert_int_equal(hm_page_address(ctx, hm_pfn_to_page(ctx, pfn[i])),
				 v[i]);

	/* the last one added is found at the end of the chain */
	before = hash_steps(ctx);
	hm_page_address(ctx, hm_pfn_to_page(ctx, pfn[4]));
	assert_int_equal(hash_steps(ctx) - before, 5);

	/* a page of the same bucket that is not mapped walks the whole chain */
	before = hash_steps(ctx);
	{
		uint64_t more[6];

		colliding_pfns(ctx, bucket, more, 6);
		assert_int_equal(hm_page_address(ctx,
				 hm_pfn_to_page(ctx, more[5])), 0);
	}
	assert_int_equal(hash_steps(ctx) - before, 5);

	/* drop the middle one */
	hm_kunmap(ctx, hm_pfn_to_page(ctx, pfn[2]));
	hm_kmap_flush_unused(ctx);
	assert_int_equal(hm_page_address(ctx, hm_pfn_to_page(ctx, pfn[2])), 0);
	for (int i = 0; i < 5; i++) {
		if (i == 2)
			continue;
		assert_int_equal(hm_page_address(ctx, hm_pfn_to_page(ctx, pfn[i])),
				 v[i]);
	}
	before = hash_steps(ctx);
	hm_page_address(ctx, hm_pfn_to_page(ctx, pfn[4]));
	assert_int_equal(hash_steps(ctx) - before, 4);
	hm_destroy(ctx);
}

/* Every PKMAP entry in use: 512 pages, 512 distinct addresses, each found. */
static void full_table(void **state)
{
	struct hm_ctx *ctx = test_ctx(NULL, NULL);
	static hm_vaddr_t v[512];
	uint8_t seen[512] = { 0 };
	const struct hm_layout *l = hm_layout(ctx);

	(void)state;
	for (int i = 0; i < 512; i++) {
		v[i] = hm_kmap(ctx, high_page(ctx, (uint64_t)i * 3));
		assert_true(v[i] >= l->pkmap_base &&
			    v[i] < l->pkmap_base + 512 * 4096u);
		assert_int_equal(seen[(v[i] - l->pkmap_base) >> 12]++, 0);
	}
	for (int i = 0; i < 512; i++)
		assert_int_equal(hm_page_address(ctx,
				 high_page(ctx, (uint64_t)i * 3)), v[i]);
	hm_destroy(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lowmem_is_arithmetic),
		cmocka_unit_test(highmem_unmapped_is_null),
		cmocka_unit_test(highmem_follows_kmap),
		cmocka_unit_test(collisions),
		cmocka_unit_test(full_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
