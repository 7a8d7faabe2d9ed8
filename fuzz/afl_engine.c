/* SPDX-License-Identifier: MIT */
/*
 * afl_engine.c - with driver_afl.c, an AFL++ $LIB_FUZZING_ENGINE for
 * .clusterfuzzlite/build.sh: a main() in AFL++ persistent mode that runs
 * LLVMFuzzerTestOneInput(), as OSS-Fuzz's libAFLDriver.a does, made from
 * our own driver.  driver_afl.c is compiled with
 *
 *   -Dhm_fuzz_init=hm_engine_init -Dhm_fuzz_one=LLVMFuzzerTestOneInput
 *   -Dhm_fuzz_cleanup=hm_engine_cleanup
 *
 * so it calls the fuzzer's LLVMFuzzerTestOneInput() for each input and
 * these two around them (fuzz/oss_fuzz_build_test.sh builds it).
 */
#include "fuzz/target.h"	/* hm_engine_init, hm_engine_cleanup */

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

int hm_engine_init(void)
{
	static char name[] = "fuzzer";
	static char *args[] = { name, 0 };
	int argc = 1;
	char **argv = args;

	/* Optional in the libFuzzer interface; ours sets the target up. */
	if (LLVMFuzzerInitialize)
		return LLVMFuzzerInitialize(&argc, &argv);
	return 0;
}

void hm_engine_cleanup(void)
{
}
