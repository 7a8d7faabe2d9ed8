/* SPDX-License-Identifier: MIT */
/*
 * trivial_target.c - a fuzz target that does next to nothing, for
 * //fuzz:speed: linked with the same drivers and built with the same
 * instrumentation and sanitizers as the real targets, it measures what the
 * engine and driver cost per input, so a target's speed can be quoted as a
 * ratio to it ("kmap_ops runs at 1/N of a trivial target") that survives a
 * noisy, shared machine.
 *
 * It reads every byte (as a decoder must) and has a couple of branches, so
 * the engine has coverage to track and mutations to keep.
 */
#include "fuzz/target.h"

static volatile uint32_t sink;

int hm_fuzz_init(void)
{
	return 0;
}

int hm_fuzz_one(const uint8_t *data, size_t size)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < size; i++)
		sum = sum * 31 + data[i];
	if (size > 0 && data[0] == 'h')
		sum ^= 1;
	sink = sum;
	return 0;
}

void hm_fuzz_cleanup(void)
{
}
