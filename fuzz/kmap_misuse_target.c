/* SPDX-License-Identifier: MIT */
/*
 * kmap_misuse - every call issued, legal or not: unmaps out of order or
 * of the wrong kind, kunmap of pages never mapped, counts driven to 0,
 * nesting past 20 slots, kmap from atomic context, CPU changes with
 * preemption off, typed slots in use, sleeping with sleeping off.
 *
 * Oracle: the core reports a BUG exactly when the model says the call is
 * a misuse (never missed, never a false report), and a BUG leaves the
 * state as it was; legal calls are checked as in kmap_ops.
 *
 * Run: bazel run //fuzz:kmap_misuse (libFuzzer), //fuzz:kmap_misuse_afl (AFL++).
 */
#include "fuzz/harness.h"
#include "fuzz/ops.h"
#include "fuzz/target.h"

static struct hm_harness *harness;
static struct hm_seq seq;

int hm_fuzz_init(void)
{
	harness = hm_harness_new(HM_HARNESS_MISUSE);
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
