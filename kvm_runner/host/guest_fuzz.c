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
 * thread: tcg.c's tcg_machine__one_thread says why), with the page tables
 * of the sequence's kernel profile: one set of machines per profile, as
 * kvm_runner --kernel NAME would run it (a run of kvm_runner has one).
 *
 * libFuzzer's exec/s counts every input, decodable or not; what the guest
 * really ran is printed every STATS_EVERY_S seconds and at exit:
 *
 *	kmap_guest_fuzz: 20.0 s: 75873 inputs, 22210 decodable, 21590 run
 *	in the guest (1079/s), 620 skipped
 *
 *	bazel run //kvm_runner:kmap_guest_fuzz -- -max_total_time=60 DIR...
 *	bazel run //kvm_runner:kmap_guest_fuzz_afl -- -V 60 -t 500
 *
 * The target is fuzz/target.h's three functions: libFuzzer's entry points
 * below call them, AFL++'s driver (fuzz/driver_afl.c) too.
 *
 * HM_QEMU: another QEMU binary.  HM_FUZZ_CHECK_KEPT=1: the simulator's
 * contexts, kept between inputs and reset (reference__keep), checked
 * against a new one at every input.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "fuzz/ops.h"
#include "fuzz/target.h"
#include "kvm_runner/host/verify.h"
#include "kvm_runner/host/verify_parts.h"

/* Per kernel profile (enum hm_kernel): its options, its machines. */
static struct run_opts opts[HM_KERNEL_NR];
static struct vms vms[HM_KERNEL_NR];
static struct hm_totals totals;
static bool started;		/* hm_fuzz_init() ran, close_all() not */

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
	if (!started)
		return;		/* closed already, or never opened */
	started = false;
	print_rate(now_s());
	for (unsigned k = 0; k < HM_KERNEL_NR; k++)
		vms__close(&vms[k]);
	reference__keep(REFERENCE_FRESH);	/* the kept contexts freed */
	for (unsigned n = 1; n <= HM_SMP_MAX_CPUS; n++)
		if (totals.sequences_on[n])
			fprintf(stderr, "kmap_guest_fuzz: %u inputs on %u "
				"vCPU%s, %.3f ms each in the guest\n",
				totals.sequences_on[n], n, n > 1 ? "s" : "",
				totals.guest_ns_on[n] / 1e6 /
					totals.sequences_on[n]);
}

/* The machines of kernel profile @k; its one-vCPU machine booted on first
 * use.  Exits if there is no TCG guest. */
static struct vms *vms_of(enum hm_kernel k)
{
	const char *qemu = getenv("HM_QEMU");
	struct run_opts *o = &opts[k];

	if (vms[k].vm[1])
		return &vms[k];
	run_opts__init(o);
	o->backend = HM_BACKEND_TCG;
	o->kernel = k;
	if (qemu)
		o->qemu = qemu;
	o->quiet = true;
	o->tcg_one_thread = true;
	vms[k].o = o;
	if (backend__start(o, &vms[k].vm[1])) {
		fprintf(stderr, "kmap_guest_fuzz: no TCG guest for %s\n",
			hm_kernel_name(k));
		exit(1);
	}
	return &vms[k];
}

/*
 * fuzz/target.h, for AFL++'s driver (fuzz/driver_afl.c): no machine yet,
 * since the fork server forks after this; each forked process boots its
 * own on its first input (and its QEMUs die with it).
 */
int hm_fuzz_init(void)
{
	const char *check = getenv("HM_FUZZ_CHECK_KEPT");

	/* The simulator's contexts kept and reset between inputs, as the
	 * guest's core is; HM_FUZZ_CHECK_KEPT=1 checks each run against one
	 * on a new context (kmap_guest_fuzz_test does, over the seeds). */
	reference__keep(check && *check == '1' ? REFERENCE_KEEP_CHECKED :
						 REFERENCE_KEEP);
	if (check && *check == '1')
		fprintf(stderr, "kmap_guest_fuzz: HM_FUZZ_CHECK_KEPT: each "
			"input also runs on a new simulator context; any "
			"difference from the kept one aborts\n");
	started = true;
	rate.start = rate.last = now_s();
	return 0;
}

void hm_fuzz_cleanup(void)
{
	close_all();
}

/* libFuzzer: the default profile's guest at once, so that a QEMU that
 * does not run shows before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (hm_fuzz_init())
		exit(1);
	vms_of(HM_KERNEL_DEFAULT);
	atexit(close_all);
	return 0;
}

int hm_fuzz_one(const uint8_t *data, size_t size)
{
	static struct hm_seq seq;
	struct job job;
	char err[128], name[64];
	double now = now_s();
	enum hm_kernel k;
	int rc;

	rate.inputs++;
	if (now - rate.last >= STATS_EVERY_S)
		print_rate(now);
	if (!hm_seq_decode(data, size, true, &seq, err, sizeof(err)))
		return 0;
	rate.decoded++;
	/* The job the runner's loader makes of it (input.c), from memory. */
	snprintf(name, sizeof(name), "input (%zu bytes, %zu ops)", size, seq.n);
	input__job(&seq, name, &job);
	/* The machines of the job's kernel (the loader's reading of it). */
	k = hm_mb_seq_config(job.nr_cpus, job.flags).kernel;
	rc = job.error[0] ? HM_EXIT_SKIP :
	     verify__job(vms_of(k), &opts[k], &job, &totals);
	job__free(&job);
	rate.skipped += rc == HM_EXIT_SKIP;
	if (rc == HM_EXIT_PASS || rc == HM_EXIT_SKIP)
		return 0;
	fprintf(stderr, "kmap_guest_fuzz: the guest and the simulator differ "
		"(above); the sequence, replayable with kvm_runner:\n");
	hm_seq_print(&seq, stderr);
	fflush(stderr);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return hm_fuzz_one(data, size);
}
