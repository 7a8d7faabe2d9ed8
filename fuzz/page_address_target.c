/* SPDX-License-Identifier: MIT */
/*
 * page_address - the hash table alone: kmap, kunmap, kmap_high_get,
 * kmap_flush_unused and page_address over 256 highmem pages that share
 * four of page_address_htable's 128 buckets, so chains are long and
 * entries are added and removed in the middle of them.
 *
 * Oracle: after every op, page_address() of all 256 pages equals the
 * model's, plus the checks of kmap_ops for the op itself.
 *
 * Run: bazel run //fuzz:page_address (libFuzzer), //fuzz:page_address_afl (AFL++).
 */
#include "fuzz/harness.h"
#include "fuzz/ops.h"
#include "fuzz/target.h"

static struct hm_harness *harness;
static struct hm_seq seq;

int hm_fuzz_init(void)
{
	harness = hm_harness_new(HM_HARNESS_PAGE_ADDRESS);
	return 0;
}

int hm_fuzz_one(const uint8_t *data, size_t size)
{
	hm_seq_decode(data, size, false, &seq, NULL, 0);
	hm_harness_run(harness, &seq, NULL);
	return 0;
}

void hm_fuzz_cleanup(void)
{
	hm_harness_free(harness);
	harness = NULL;
}
