/* SPDX-License-Identifier: MIT */
/*
 * driver_libfuzzer.c - runs a fuzz target (fuzz/target.h) under libFuzzer.
 *
 * Built by hm_fuzz_target() in fuzz/fuzz.bzl: the target and the core are
 * compiled with -fsanitize=fuzzer-no-link (coverage and comparison
 * tracing), this file is not, and the binary links -fsanitize=fuzzer,
 * which supplies main().  Sanitizers: ASan+UBSan unless
 * --define=fuzz_sanitizers=off (--config=nosan).
 *
 *   bazel run //fuzz:kmap_ops                      # fuzz from the seeds
 *   bazel run //fuzz:kmap_ops -- -max_total_time=60 -jobs=2
 *   bazel run //fuzz:kmap_ops -- .fuzz/kmap_ops/artifacts/crash-...  # replay
 *
 * A finding is the target's abort(): libFuzzer prints the stack and saves
 * the input as crash-<sha1>.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz/target.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (hm_fuzz_init()) {
		fprintf(stderr, "hm_fuzz_init failed\n");
		exit(1);
	}
	/* Runs before LeakSanitizer's own exit-time check (atexit is LIFO
	 * and the sanitizer runtime registered first). */
	atexit(hm_fuzz_cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hm_fuzz_one(data, size);
	return 0;
}
