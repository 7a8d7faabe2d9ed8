/* SPDX-License-Identifier: MIT */
/*
 * driver_afl.c - runs a fuzz target (fuzz/target.h) under AFL++, in
 * persistent mode with shared-memory test cases and a deferred fork server.
 *
 * Built by hm_fuzz_target() in fuzz/fuzz.bzl with plain clang-14, not
 * afl-clang-fast: the target and the core are compiled with
 * -fsanitize-coverage=trace-pc-guard, this file is not, and the binary
 * links AFL++'s runtime /usr/lib/afl/afl-compiler-rt.o, which implements
 * the trace-pc-guard callbacks over AFL's coverage map and the fork server.
 * What afl-clang-fast's __AFL_FUZZ_INIT / __AFL_INIT / __AFL_LOOP /
 * __AFL_FUZZ_TESTCASE_* macros expand to is written out below.
 *
 *   bazel run //fuzz:kmap_ops_afl -- -V 60         # fuzz for 60 s
 *   bazel-bin/fuzz/kmap_ops_afl_bin < input        # one input, on stdin
 *
 * Outside afl-fuzz the loop runs once, reading the input from stdin.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz/target.h"

/* From afl-compiler-rt.o.  A non-zero __afl_sharedmem_fuzzing (the
 * runtime's is weak) asks the fork server for shared-memory test cases:
 * afl-fuzz then writes each input into a mapping at __afl_fuzz_ptr, its
 * length in *__afl_fuzz_len, instead of a file or stdin. */
int __afl_sharedmem_fuzzing = 1;
extern unsigned int *__afl_fuzz_len;
extern unsigned char *__afl_fuzz_ptr;
int __afl_persistent_loop(unsigned int max_cnt);
void __afl_manual_init(void);

/* How many inputs one forked process runs before afl-fuzz forks afresh. */
#define PERSISTENT_RUNS 10000
#define MAX_STDIN_INPUT (1u << 20)

static unsigned char stdin_buf[MAX_STDIN_INPUT];

int main(void)
{
	/* afl-fuzz looks for these strings in the binary to turn on
	 * persistent mode (__AFL_PERSISTENT) and the deferred fork server
	 * (__AFL_DEFER_FORKSRV); the volatile stores keep them in. */
	static volatile const char *persistent_sig __attribute__((used, unused));
	static volatile const char *deferred_sig __attribute__((used, unused));

	persistent_sig = "##SIG_AFL_PERSISTENT##";
	deferred_sig = "##SIG_AFL_DEFER_FORKSRV##";

	/* Set up once, then start the fork server: every forked child
	 * inherits the initialised state. */
	if (hm_fuzz_init()) {
		fprintf(stderr, "hm_fuzz_init failed\n");
		return 1;
	}
	__afl_manual_init();

	while (__afl_persistent_loop(PERSISTENT_RUNS)) {
		const unsigned char *data;
		size_t size;

		if (__afl_fuzz_ptr) {
			data = __afl_fuzz_ptr;
			size = *__afl_fuzz_len;
		} else {
			ssize_t n;

			size = 0;
			while (size < sizeof(stdin_buf) &&
			       (n = read(0, stdin_buf + size,
					 sizeof(stdin_buf) - size)) > 0)
				size += (size_t)n;
			data = stdin_buf;
		}
		hm_fuzz_one(data, size);
	}
	hm_fuzz_cleanup();
	return 0;
}
