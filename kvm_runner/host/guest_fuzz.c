/* SPDX-License-Identifier: MIT */
/*
 * guest_fuzz.c - //kvm_runner:kmap_guest_fuzz, differential fuzzing in the
 * guest (issue #12): libFuzzer's inputs, in the binary form of fuzz/ops.h,
 * each run on the simulator and in a QEMU TCG guest booted once (the core
 * reset between inputs through the mailbox, no reboot), and checked as
 * kvm_runner checks a file: results, counters, PTEs, memory, and the
 * guest's stale-read check, on a TLB that can be wrong.  Any difference
 * aborts with the replayable text sequence.
 *
 * Inputs the strict decoder refuses are not sequences: skipped, as the
 * runner would refuse the file.  Sequences of N CPUs run on N vCPUs, in a
 * machine booted the first time one comes (all its vCPUs on one host
 * thread: tcg.c's tcg_machine__one_thread says why).
 *
 * libFuzzer's exec/s counts every input, decodable or not; what the guest
 * really ran is printed every STATS_EVERY_S seconds and at exit:
 *
 *	kmap_guest_fuzz: 20.0 s: 75873 inputs, 22210 decodable, 21590 run
 *	in the guest (1079/s), 620 skipped
 *
 *	bazel run //kvm_runner:kmap_guest_fuzz -- -max_total_time=60 DIR...
 *
 * HM_QEMU: another QEMU binary.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "fuzz/ops.h"
#include "kvm_runner/host/verify.h"

static struct run_opts opts;
static struct vms vms = { .o = &opts };
static struct hm_totals totals;
static int input_fd = -1;

#define STATS_EVERY_S	10

/* Inputs seen, and those the strict decoder took; the guest's runs are
 * totals.sequences.  Times in seconds (CLOCK_MONOTONIC). */
static struct {
	uint64_t inputs, decoded, skipped;
	double start, last;
} rate;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The figure that counts: inputs run in the guest, a second. */
static void print_rate(double now)
{
	double s = now - rate.start;

	fprintf(stderr, "kmap_guest_fuzz: %.1f s: %llu inputs, %llu "
		"decodable, %u run in the guest (%.0f/s), %llu skipped\n", s,
		(unsigned long long)rate.inputs,
		(unsigned long long)rate.decoded, totals.sequences,
		s > 0 ? totals.sequences / s : 0.0,
		(unsigned long long)rate.skipped);
	rate.last = now;
}

/* At exit: the rate, and where the time went by vCPU count. */
static void close_all(void)
{
	print_rate(now_s());
	vms__close(&vms);
	for (unsigned n = 1; n <= HM_SMP_MAX_CPUS; n++)
		if (totals.sequences_on[n])
			fprintf(stderr, "kmap_guest_fuzz: %u inputs on %u "
				"vCPU%s, %.3f ms each in the guest\n",
				totals.sequences_on[n], n, n > 1 ? "s" : "",
				totals.guest_ns_on[n] / 1e6 /
					totals.sequences_on[n]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *qemu = getenv("HM_QEMU");

	(void)argc;
	(void)argv;
	opts.timeout_ms = 10000;
	opts.backend = HM_BACKEND_TCG;
	opts.dev = "/dev/kvm";
	opts.qemu = qemu ? qemu : "/usr/libexec/qemu-system-i386";
	opts.quiet = true;
	opts.tcg_one_thread = true;
	input_fd = memfd_create("hm-fuzz-input", MFD_CLOEXEC);
	if (input_fd < 0 || backend__start(&opts, &vms.vm[1])) {
		fprintf(stderr, "kmap_guest_fuzz: no TCG guest\n");
		exit(1);
	}
	atexit(close_all);
	rate.start = rate.last = now_s();
	return 0;
}

/* The input as a job, through the runner's own loader (input.c). */
static int load(const uint8_t *data, size_t size, struct job **jobs,
		size_t *njobs)
{
	char path[64];

	if (ftruncate(input_fd, 0) < 0 ||
	    pwrite(input_fd, data, size, 0) != (ssize_t)size)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", input_fd);
	return input__load(path, jobs, njobs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hm_seq seq;
	struct job *jobs = NULL;
	size_t njobs = 0;
	char err[128];
	double now = now_s();
	int rc;

	rate.inputs++;
	if (now - rate.last >= STATS_EVERY_S)
		print_rate(now);
	if (!hm_seq_decode(data, size, true, &seq, err, sizeof(err)))
		return 0;
	rate.decoded++;
	if (load(data, size, &jobs, &njobs) || njobs != 1) {
		fprintf(stderr, "kmap_guest_fuzz: cannot load an input\n");
		abort();
	}
	snprintf(jobs[0].name, sizeof(jobs[0].name), "input (%zu bytes, "
		 "%zu ops)", size, seq.n);
	rc = jobs[0].error[0] ? HM_EXIT_SKIP :
	     verify__job(&vms, &opts, &jobs[0], &totals);
	job__free(&jobs[0]);
	free(jobs);
	rate.skipped += rc == HM_EXIT_SKIP;
	if (rc == HM_EXIT_PASS || rc == HM_EXIT_SKIP)
		return 0;
	fprintf(stderr, "kmap_guest_fuzz: the guest and the simulator differ "
		"(above); the sequence, replayable with kvm_runner:\n");
	hm_seq_print(&seq, stderr);
	fflush(stderr);
	abort();
}
