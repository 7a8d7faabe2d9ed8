/* SPDX-License-Identifier: MIT */
/*
 * harness.h - run an op sequence on the core and check every step against
 * the reference model (fuzz/model.h) and the machine's invariants.
 *
 * What an op's arguments mean at run time, and where a write lands, is
 * fuzz/op_meaning.h's, the same for every runner.  The harness adds, for
 * its own targets: in the page_address target a PFN picks from pages that
 * share 4 hash buckets; the legal targets unmap (SLOT) the newest
 * temporary map of the op's own kind, and kunmap of a page with no kmap
 * user stands for the (PFN mod users)-th page that has one.  In the misuse
 * target, a kunmap_atomic_type TYPE that names no map of this CPU unmaps
 * that type's slot; TYPE with bit 7 set (type TYPE & 0x7f) a made-up
 * address instead, as a SLOT naming no map does for kunmap_atomic; and a
 * PFN from 0xFFFFFF00 up is passed as it is, past the end of memory: a
 * page outside mem_map.
 *
 * switch_task TASK: modulo 16 in the legal targets, 20 in the misuse one
 * (16-19 name no task); a task's temporary maps are parked with it while
 * it does not run.
 *
 * The legal targets issue only calls the model says are legal, and skip the
 * rest; the misuse target issues everything and requires a BUG report
 * exactly where the model predicts one, and no change of state after it.
 * Kernel mode (config report kernel): the misuse the kernel lets through
 * (model_quirk_*) is skipped by the legal targets; the misuse target
 * issues it and requires exactly the WARNs the model predicts, and a read
 * or write that then reaches another frame, as the model allows, is
 * reported as "CORRUPTION (kernel mode): ..." with op, address, frame
 * expected and frame reached (HM_FUZZ_CORRUPTION: report, the default, the
 * first of each input on stderr; abort, a finding; quiet).
 * Any disagreement prints "ORACLE: ..." with the whole input decoded as a
 * text sequence (replayable, results in comments) and aborts.
 */
#ifndef HM_FUZZ_HARNESS_H
#define HM_FUZZ_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "fuzz/ops.h"

enum hm_harness_mode {
	HM_HARNESS_LEGAL,	/* kmap_ops */
	HM_HARNESS_PAGE_ADDRESS,/* page_address: the hash table alone */
	HM_HARNESS_MISUSE,	/* kmap_misuse */
};

/* What one op did, for callers that compare runs (kvm_runner). */
struct hm_step {
	bool executed;		/* false: skipped as not legal here */
	bool bug;		/* the core reported a BUG */
	uint32_t value;		/* returned address, or word read */
};

struct hm_harness;

struct hm_harness *hm_harness_new(enum hm_harness_mode mode);
void hm_harness_free(struct hm_harness *h);

/* Run @seq from a fresh machine of its configuration.  Aborts on a finding.
 * @steps, if not NULL, receives one entry per op. */
void hm_harness_run(struct hm_harness *h, const struct hm_seq *seq,
		    struct hm_step *steps);

/* Total ops executed and skipped over the harness's life. */
void hm_harness_counts(const struct hm_harness *h, uint64_t *executed,
		       uint64_t *skipped);

#endif /* HM_FUZZ_HARNESS_H */
