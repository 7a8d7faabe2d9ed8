/* SPDX-License-Identifier: MIT */
/*
 * target.h - what every fuzz target implements, whatever drives it.
 *
 * One driver maps these onto each engine: driver_libfuzzer.c (libFuzzer's
 * LLVMFuzzerTestOneInput), driver_afl.c (AFL++ persistent mode with
 * shared-memory test cases) and driver_replay.c (a plain main that runs
 * files and folders, for the tests).  A target reports a finding by
 * printing it and calling abort(); it returns 0 otherwise.
 */
#ifndef HM_FUZZ_TARGET_H
#define HM_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>

/* Once per process, before the first input. */
int hm_fuzz_init(void);
/* One input, in the binary op-sequence form (fuzz/ops.h). */
int hm_fuzz_one(const uint8_t *data, size_t size);
/* Once at exit (replay driver): frees what init made, so leak checkers
 * see a clean process. */
void hm_fuzz_cleanup(void);

#endif /* HM_FUZZ_TARGET_H */
