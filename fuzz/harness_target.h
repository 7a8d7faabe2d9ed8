/* SPDX-License-Identifier: MIT */
/*
 * harness_target.h - fuzz/target.h for a target that is the harness in one
 * of its modes: HM_HARNESS_TARGET(HM_HARNESS_LEGAL) in the target's file,
 * below the comment that states its oracle.
 */
#ifndef HM_FUZZ_HARNESS_TARGET_H
#define HM_FUZZ_HARNESS_TARGET_H

#include "fuzz/harness.h"
#include "fuzz/ops.h"
#include "fuzz/target.h"

#define HM_HARNESS_TARGET(mode)						\
	static struct hm_harness *harness;				\
	static struct hm_seq seq;					\
									\
	int hm_fuzz_init(void)						\
	{								\
		harness = hm_harness_new(mode);				\
		return 0;						\
	}								\
									\
	int hm_fuzz_one(const uint8_t *data, size_t size)		\
	{								\
		hm_seq_decode(data, size, false, &seq, NULL, 0);	\
		hm_harness_run(harness, &seq, NULL);			\
		return 0;						\
	}								\
									\
	void hm_fuzz_cleanup(void)					\
	{								\
		hm_harness_free(harness);				\
		harness = NULL;						\
	}

#endif /* HM_FUZZ_HARNESS_TARGET_H */
