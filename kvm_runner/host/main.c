/* SPDX-License-Identifier: MIT */
/*
 * main.c - kvm_runner: the highmem core inside a guest (KVM or QEMU's
 * TCG), on real PAE page tables, checked by the host against the
 * simulator.
 *
 *   bazel run //kvm_runner -- [options] [scenario | all | file | folder]...
 *
 * Exit status: 0 all passed, 1 a check failed, 2 bad usage, 70 internal
 * error of the runner, 77 skipped (no usable backend).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "kvm_runner/host/backend.h"
#include "kvm_runner/host/bench_cli.h"
#include "kvm_runner/host/kvm.h"
#include "kvm_runner/host/options.h"
#include "kvm_runner/host/verify.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int add_scenario(const struct scenario *sc, struct job **jobs,
			size_t *njobs, enum hm_kernel kernel)
{
	struct job *j = realloc(*jobs, (*njobs + 1) * sizeof(**jobs));

	if (!j)
		return -1;
	*jobs = j;
	j = &j[(*njobs)++];
	memset(j, 0, sizeof(*j));
	j->nr_cpus = 1;
	snprintf(j->name, sizeof(j->name), "%s", sc->name);
	/* A scenario runs on the kernel of the run (--kernel). */
	j->flags |= (uint32_t)kernel << HM_MB_KERNEL_SHIFT;
	sc->build(j);
	return 0;
}

/* One WHAT into jobs: 'all', a scenario, or files. */
static int add_what(const char *what, struct job **jobs, size_t *njobs,
		    enum hm_kernel kernel)
{
	int e = 0;

	if (!strcmp(what, "all")) {
		for (size_t k = 0; k < hm_nr_scenarios && !e; k++)
			e = add_scenario(&hm_scenarios[k], jobs, njobs, kernel);
		return e;
	}
	for (size_t k = 0; k < hm_nr_scenarios; k++)
		if (!strcmp(hm_scenarios[k].name, what))
			return add_scenario(&hm_scenarios[k], jobs, njobs,
					    kernel);
	return input__load(what, jobs, njobs);
}

/* After the machines are closed: a QEMU's RSS is that of a child. */
static void summary(const struct hm_totals *t, uint64_t t_start,
		    uint64_t t_jobs, double boot_ms, bool qemu)
{
	struct rusage ru, ch;

	getrusage(RUSAGE_SELF, &ru);
	getrusage(RUSAGE_CHILDREN, &ch);
	printf("time: %.1f ms in all, boot %.1f ms; %u sequences in %.1f ms "
	       "(%.0f/s), %.1f ms of it in the guest; max RSS %.1f MB",
	       (now_ns() - t_start) / 1e6, boot_ms, t->sequences,
	       t_jobs / 1e6, t_jobs ? t->sequences / (t_jobs / 1e9) : 0.0,
	       t->guest_ns / 1e6, ru.ru_maxrss / 1024.0);
	if (qemu && ch.ru_maxrss)	/* KVM's own workers are children too */
		printf(", QEMU's %.1f MB", ch.ru_maxrss / 1024.0);
	printf("\n");
	if (t->stale_checked)
		printf("stale-read check: %u guest accesses checked against a "
		       "fresh mapping of their frame\n", t->stale_checked);
	if (t->sequences_on[1] != t->sequences) {
		const char *sep = "";

		printf("vCPUs:");
		for (unsigned n = 1; n <= HM_SMP_MAX_CPUS; n++) {
			if (!t->sequences_on[n])
				continue;
			printf("%s %u: %u sequences, %.1f ms in the guest",
			       sep, n, t->sequences_on[n],
			       t->guest_ns_on[n] / 1e6);
			sep = ";";
		}
		printf("; %llu shootdown IPIs acknowledged\n",
		       (unsigned long long)t->ipis_acked);
	}
}

/* Every job, in the machine of its vCPU count; the summary lines. */
static int run_jobs(struct run_opts *o, struct job *jobs, size_t njobs,
		    uint64_t t_start)
{
	struct vms vms = { .o = o };
	struct hm_totals t = { 0 };
	unsigned passed = 0, failed = 0, skipped = 0;
	uint64_t t_jobs;
	double boot_ms;
	int rc = backend__start(o, &vms.vm[1]);

	if (rc) {
		vms__close(&vms);
		return rc;
	}
	t_jobs = now_ns();
	for (size_t i = 0; i < njobs && !rc; i++) {
		int r = verify__job(&vms, o, &jobs[i], &t);

		passed += r == HM_EXIT_PASS;
		skipped += r == HM_EXIT_SKIP;
		failed += r == HM_EXIT_FAIL;
		if (r != HM_EXIT_PASS && r != HM_EXIT_SKIP &&
		    r != HM_EXIT_FAIL) {
			fprintf(stderr, "kvm_runner: internal error; stopping\n");
			rc = HM_EXIT_INTERNAL;
		}
	}
	t_jobs = now_ns() - t_jobs;
	boot_ms = vms.vm[1]->boot_ms;
	vms__close(&vms);
	summary(&t, t_start, t_jobs, boot_ms, o->backend == HM_BACKEND_TCG);
	if (skipped)
		printf("%u passed, %u failed, %u skipped\n", passed, failed,
		       skipped);
	else
		printf("%u passed, %u failed\n", passed, failed);
	return rc ? rc : failed ? HM_EXIT_FAIL : HM_EXIT_PASS;
}

int main(int argc, char **argv)
{
	uint64_t t_start = now_ns();
	struct options opt;
	struct job *jobs = NULL;
	size_t njobs = 0;
	int rc = options__parse(argc, argv, &opt);

	if (rc >= 0)
		return rc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (opt.run.backend == HM_BACKEND_TCG && opt.first < argc &&
	    !strcmp(argv[opt.first], "smp_shootdown")) {
		fprintf(stderr, "kvm_runner: smp_shootdown runs on KVM only\n");
		return HM_EXIT_USAGE;
	}
	if (opt.run.backend == HM_BACKEND_TCG &&
	    opt.run.mode == HM_PAGING_COMPAT) {
		fprintf(stderr, "kvm_runner: --paging compat: TCG runs legacy "
			"PAE (qemu-system-i386 has no long mode)\n");
		return HM_EXIT_USAGE;
	}
	if (opt.bench) {
		if (opt.first < argc) {
			fprintf(stderr, "kvm_runner: --bench runs no "
				"sequences ('%s')\n", argv[opt.first]);
			return HM_EXIT_USAGE;
		}
		return bench_cli__run(&opt.run, opt.bench_iters);
	}
	if (opt.first < argc && !strcmp(argv[opt.first], "smp_shootdown")) {
		if (opt.first + 1 < argc) {
			fprintf(stderr, "kvm_runner: smp_shootdown runs "
				"alone ('%s')\n", argv[opt.first + 1]);
			return HM_EXIT_USAGE;
		}
		return smp__shootdown(opt.run.dev, opt.smp_cpus,
				      opt.run.timeout_ms, opt.run.verbose);
	}
	/* What to run, before touching any machine.  Nothing named: all. */
	for (int i = opt.first; i < argc || i == opt.first; i++) {
		const char *what = i < argc ? argv[i] : "all";

		if (add_what(what, &jobs, &njobs, opt.run.kernel)) {
			fprintf(stderr, "kvm_runner: %s: cannot read it\n", what);
			return HM_EXIT_FAIL;
		}
	}
	rc = run_jobs(&opt.run, jobs, njobs, t_start);
	for (size_t i = 0; i < njobs; i++)
		job__free(&jobs[i]);
	free(jobs);
	return rc;
}
