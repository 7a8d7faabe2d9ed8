/* SPDX-License-Identifier: MIT */
/*
 * kmap_ops - sequences of legal highmem calls on every machine configuration
 * (1-4 CPUs, PAE or not, debug or not).
 *
 * Oracle: fuzz/model.c predicts every returned address, pkmap_count and
 * page_address; after each op the harness also checks that each new
 * mapping translates to its frame through the TLB and the page tables,
 * that written data shows through every mapping of the page and lands in
 * its frame, that flushes happen exactly when the model says and free what
 * it says, and the per-CPU counts and slot PTEs.  Any BUG is a finding.
 *
 * Run: bazel run //fuzz:kmap_ops (libFuzzer), //fuzz:kmap_ops_afl (AFL++).
 */
#include "fuzz/harness_target.h"

HM_HARNESS_TARGET(HM_HARNESS_LEGAL)
