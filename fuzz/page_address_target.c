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
#include "fuzz/harness_target.h"

HM_HARNESS_TARGET(HM_HARNESS_PAGE_ADDRESS)
