/* SPDX-License-Identifier: MIT */
/*
 * main.c - kvm_runner's command line: the highmem core inside a KVM vCPU,
 * on real PAE page tables, checked by the host against the simulator.
 *
 *   bazel run //kvm_runner -- [options] [scenario | all | file | folder]...
 *
 * Exit status: 0 all passed, 1 a check failed, 2 bad usage, 70 internal
 * error of the runner, 77 skipped (no usable /dev/kvm).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "kvm_runner/host/bench_api.h"
#include "kvm_runner/host/runner.h"

extern uint64_t verify_guest_ns;
extern unsigned verify_sequences;
extern unsigned verify_sequences_on[HM_SMP_MAX_CPUS + 1];
extern uint64_t verify_guest_ns_on[HM_SMP_MAX_CPUS + 1];
extern uint64_t verify_ipis_acked;

static void usage(FILE *f)
{
	fprintf(f,
"usage: kvm_runner [options] [WHAT]...\n"
"Runs op sequences on the highmem core inside a KVM guest with real PAE\n"
"page tables; checks guest memory from the host and compares every op\n"
"with the user-space simulator.\n"
"\n"
"WHAT: a built-in scenario (--list), 'all' (every scenario), an op-sequence\n"
"file (fuzz/ops.h, text or binary), or a folder of them.  Default: all.\n"
"A sequence of N CPUs (2..4) runs on N vCPUs, each op on the vCPU of its\n"
"CPU, a range flush a real TLB shootdown IPI to the others.\n"
"Or, alone, smp_shootdown: several vCPUs (one host thread each, in-kernel\n"
"irqchip); cpu 0 wraps the PKMAP window and shoots down cpu 1's TLB by\n"
"IPI; the host checks what cpu 1 read before and after, and the IPIs.\n"
"\n"
"options:\n"
"  --kvm-dev PATH    the KVM device (default /dev/kvm)\n"
"  --timeout-ms N    wall-clock watchdog per sequence (default 10000)\n"
"  --paging MODE     auto (default: legacy PAE if KVM runs it, else\n"
"                    compat), legacy, or compat\n"
"  --list            list the scenarios and exit\n"
"  --smp-cpus N      vCPUs for smp_shootdown (2..4, default 2)\n"
"  --kernel NAME     the kernel profile the guest's page tables are built\n"
"                    for: linux-2.6.24, linux-4.7 (default) or linux-6.1;\n"
"                    scenarios run on it, sequences of another kernel (or\n"
"                    whose layout needs other tables) are skipped\n"
"  --one-vcpu        run sequences of several CPUs on one vCPU that plays\n"
"                    each CPU in turn (as where KVM makes no SMP guest)\n"
"  --bench           benchmark mode instead of sequences: time each op of\n"
"                    the core in the guest with rdtsc, beside the floor\n"
"                    (PTE write + invlpg + one load); no WHAT\n"
"  --bench-iterations N  timed iterations per op (default: per op, about\n"
"                    4 s in all on an emulating host)\n"
"  -v, --verbose     guest console and more detail\n"
"  -h, --help        this text\n"
"\n"
"exit status: 0 all passed, 1 a check failed, 2 usage, 70 internal error,\n"
"77 skipped (no usable KVM)\n");
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const struct scenario *find_scenario(const char *name)
{
	for (size_t i = 0; i < hm_nr_scenarios; i++)
		if (!strcmp(hm_scenarios[i].name, name))
			return &hm_scenarios[i];
	return NULL;
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

/* Boot in the mode asked for.  "auto" takes legacy PAE when KVM runs it
 * and compat mode otherwise, and says which and why. */
static int boot(struct kvm *kvm, const char *paging, struct run_opts *o)
{
	enum hm_paging_mode want = !strcmp(paging, "legacy") ?
					   HM_PAGING_LEGACY_PAE :
				   !strcmp(paging, "compat") ? HM_PAGING_COMPAT :
							       HM_PAGING_AUTO;
	char why[512], legacy_why[512] = "";
	const struct hm_mailbox *mb;
	int rc;

	rc = kvm__boot(kvm, want, why, sizeof(why));
	if (rc == HM_EXIT_FAIL && want == HM_PAGING_AUTO &&
	    kvm->mode == HM_PAGING_LEGACY_PAE) {
		/* KVM took the registers but the guest did not come up. */
		snprintf(legacy_why, sizeof(legacy_why), "%s", why);
		rc = kvm__boot(kvm, HM_PAGING_COMPAT, why, sizeof(why));
	}
	if (rc) {
		fprintf(stderr, "kvm_runner: booting the guest (%s paging): "
			"%s\n", kvm->mode == HM_PAGING_COMPAT ? "compat" :
			"legacy PAE", why);
		return rc;
	}
	if (kvm->fallback_why[0])
		snprintf(legacy_why, sizeof(legacy_why), "%s",
			 kvm->fallback_why);
	o->mode = kvm->mode;
	mb = guest__mailbox(kvm);
	printf("paging: %s\n", x86__mode_name(kvm->mode));
	if (legacy_why[0])
		printf("  (legacy PAE not used: %s)\n", legacy_why);
	if (mb->probe_first != HM_PROBE_A_MAGIC) {
		fprintf(stderr, "kvm_runner: the stale-TLB probe read %#x "
			"through a fresh mapping of frame A, expected %#x\n",
			mb->probe_first, HM_PROBE_A_MAGIC);
		return HM_EXIT_FAIL;
	}
	printf("stale translations observable: %s (a PTE re-pointed without "
	       "invlpg read %s)\n",
	       mb->probe_second == HM_PROBE_A_MAGIC ? "yes" : "no",
	       mb->probe_second == HM_PROBE_A_MAGIC ? "the old frame" :
	       mb->probe_second == HM_PROBE_B_MAGIC ? "the new frame" :
						      "neither frame");
	return 0;
}

/* Default timed iterations per op for --bench: a few hundred of each
 * operation, more of the cheap ones; the stream a multiple of LAST_PKMAP,
 * so it wraps at its natural rate. */
static const uint32_t bench_default_iters[HM_BENCH__NR] = {
	[HM_BENCH_FLOOR] = 2000,
	[HM_BENCH_KMAP_ATOMIC] = 500,
	[HM_BENCH_KMAP_ATOMIC_DEBUG] = 500,
	[HM_BENCH_KMAP_LOCAL] = 500,
	[HM_BENCH_KMAP_HIT] = 500,
	[HM_BENCH_KMAP_STREAM] = 1024,
	[HM_BENCH_PAGE_ADDRESS_LOW] = 2000,
	[HM_BENCH_PAGE_ADDRESS_HIGH] = 2000,
};

/* kvm_runner --bench: every op once, one line each, beside the floor. */
static int bench_mode(const char *dev, uint32_t iters)
{
	struct hm_bench_vm *vm;
	struct hm_bench_info in;
	struct hm_bench_result r;
	uint64_t t0 = now_ns();
	double floor_best = 0, floor_insns = 0;
	char why[512];
	int rc;

	rc = hm_bench_open(&vm, dev, &in, why, sizeof(why));
	if (rc) {
		if (rc == HM_EXIT_SKIP)
			printf("SKIPPED: no usable KVM: %s\n", why);
		else
			fprintf(stderr, "kvm_runner: %s\n", why);
		return rc == HM_EXIT_SKIP ? HM_EXIT_SKIP : HM_EXIT_INTERNAL;
	}
	printf("paging: %s\n", in.paging);
	printf("stale translations observable: %s\n",
	       in.stale_tlb ? "yes" : "no");
	printf("guest: %s\n", in.note);
	if (in.tsc_khz)
		printf("guest TSC: %u kHz (KVM_GET_TSC_KHZ)\n", in.tsc_khz);
	else
		printf("guest TSC: frequency unknown (no KVM_GET_TSC_KHZ): "
		       "ns/op is the host's wall clock around the guest run\n");
	printf("%-19s %5s %6s %10s %10s %10s %7s %7s %7s %6s %6s %6s %6s %7s\n",
	       "op", "pages", "iters", "cycles/op", "best/op", "ns/op",
	       "x floor", "insns", "x floor", "ptes", "invlpg", "flush", "hash",
	       "wraps");
	for (int op = 0; op < HM_BENCH__NR; op++) {
		uint32_t n = iters ? iters : bench_default_iters[op];
		double ins = 0, d = n;

		if (hm_bench_run(vm, (enum hm_bench_op)op, n, 0, &r, why,
				 sizeof(why)) ||
		    hm_bench_count_insns(vm, (enum hm_bench_op)op,
					 n < 8 ? n : 8, 0, &ins, why,
					 sizeof(why))) {
			printf("%-19s FAILED: %s\n", hm_bench_op_name(op), why);
			rc = HM_EXIT_FAIL;
			continue;
		}
		if (op == HM_BENCH_FLOOR) {
			floor_best = r.best_cycles;
			floor_insns = ins;
		}
		printf("%-19s %5u %6u %10.0f %10.0f %10.0f %6.2fx %7.1f %6.2fx "
		       "%6.3g %6.3g %6.3g %6.3g %7.3g\n", hm_bench_op_name(op),
		       r.pages, n, r.cycles / d, r.best_cycles,
		       r.seconds * 1e9 / d,
		       floor_best > 0 ? r.best_cycles / floor_best : 0.0, ins,
		       floor_insns > 0 ? ins / floor_insns : 0.0,
		       r.stats.pte_writes / d, r.stats.tlb_flush_one / d,
		       r.stats.tlb_flush_all / d, r.stats.hash_steps / d,
		       r.stats.pkmap_flushes / d);
	}
	printf("cycles/op: mean of all iterations (ns/op the same); best/op: "
	       "the fastest chunk of about 1 ms, whose ratio is x floor; "
	       "insns: guest instructions per op (single-stepped)\n");
	printf("time: %.1f ms in all\n", (now_ns() - t0) / 1e6);
	hm_bench_close(vm);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kvm-dev", required_argument, NULL, 'd' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "paging", required_argument, NULL, 'p' },
		{ "list", no_argument, NULL, 'l' },
		{ "bench", no_argument, NULL, 'b' },
		{ "bench-iterations", required_argument, NULL, 'i' },
		{ "smp-cpus", required_argument, NULL, 's' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "one-vcpu", no_argument, NULL, '1' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct run_opts o = { .timeout_ms = 10000 };
	const char *dev = "/dev/kvm", *paging = "auto";
	struct job *jobs = NULL;
	size_t njobs = 0;
	unsigned passed = 0, failed = 0, skipped = 0;
	uint64_t t_start = now_ns(), t_jobs;
	struct vms vms;
	struct kvm *kvm = &vms.vm[1];
	struct rusage ru;
	char why[512];
	int c, rc = 0;
	bool bench = false;
	uint32_t bench_iters = 0;
	unsigned smp_cpus = 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dev = optarg;
			break;
		case 't': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !v || v > 3600000) {
				fprintf(stderr, "kvm_runner: --timeout-ms: "
					"need 1..3600000, got '%s'\n", optarg);
				return HM_EXIT_USAGE;
			}
			o.timeout_ms = (unsigned)v;
			break;
		}
		case 'p':
			if (strcmp(optarg, "auto") && strcmp(optarg, "legacy") &&
			    strcmp(optarg, "compat")) {
				fprintf(stderr, "kvm_runner: --paging: auto, "
					"legacy or compat, not '%s'\n", optarg);
				return HM_EXIT_USAGE;
			}
			paging = optarg;
			break;
		case 'b':
			bench = true;
			break;
		case 'i': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !v || v > 100000000) {
				fprintf(stderr, "kvm_runner: --bench-iterations: "
					"need 1..100000000, got '%s'\n", optarg);
				return HM_EXIT_USAGE;
			}
			bench_iters = (uint32_t)v;
			break;
		}
		case 's': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || v < 2 || v > HM_SMP_MAX_CPUS) {
				fprintf(stderr, "kvm_runner: --smp-cpus: need "
					"2..%u, got '%s'\n", HM_SMP_MAX_CPUS,
					optarg);
				return HM_EXIT_USAGE;
			}
			smp_cpus = (unsigned)v;
			break;
		}
		case 'l':
			for (size_t i = 0; i < hm_nr_scenarios; i++)
				printf("%-16s %s\n", hm_scenarios[i].name,
				       hm_scenarios[i].what);
			printf("%-16s %s\n", "smp_shootdown",
			       "alone: several vCPUs, a PKMAP wrap on cpu 0 "
			       "shoots down cpu 1's TLB by IPI");
			return HM_EXIT_PASS;
		case '1':
			o.one_vcpu = true;
			break;
		case 'k':
			o.kernel = hm_kernel_by_name(optarg);
			if (o.kernel == HM_KERNEL_NR) {
				fprintf(stderr, "kvm_runner: --kernel: "
					"linux-2.6.24, linux-4.7 or linux-6.1, "
					"not '%s'\n", optarg);
				return HM_EXIT_USAGE;
			}
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return HM_EXIT_PASS;
		default:
			usage(stderr);
			return HM_EXIT_USAGE;
		}
	}

	if (bench) {
		if (optind < argc) {
			fprintf(stderr, "kvm_runner: --bench runs no "
				"sequences ('%s')\n", argv[optind]);
			return HM_EXIT_USAGE;
		}
		return bench_mode(dev, bench_iters);
	}

	if (optind < argc && !strcmp(argv[optind], "smp_shootdown")) {
		if (optind + 1 < argc) {
			fprintf(stderr, "kvm_runner: smp_shootdown runs "
				"alone ('%s')\n", argv[optind + 1]);
			return HM_EXIT_USAGE;
		}
		return smp__shootdown(dev, smp_cpus, o.timeout_ms, o.verbose);
	}

	/* What to run, before touching KVM.  Nothing named: everything. */
	for (int i = optind; i < argc || i == optind; i++) {
		const char *what = i < argc ? argv[i] : "all";
		const struct scenario *sc = find_scenario(what);
		int e = 0;

		if (!strcmp(what, "all")) {
			for (size_t k = 0; k < hm_nr_scenarios && !e; k++)
				e = add_scenario(&hm_scenarios[k], &jobs, &njobs,
						 o.kernel);
		} else if (sc) {
			e = add_scenario(sc, &jobs, &njobs, o.kernel);
		} else {
			e = input__load(what, &jobs, &njobs);
		}
		if (e) {
			fprintf(stderr, "kvm_runner: %s: cannot read it\n", what);
			return HM_EXIT_FAIL;
		}
	}

	/* The one-vCPU VM now; those of several vCPUs when a sequence of
	 * several CPUs comes (vms.c). */
	memset(&vms, 0, sizeof(vms));
	vms.dev = dev;
	vms.o = &o;
	rc = kvm__open(kvm, dev, why, sizeof(why));
	if (rc) {
		printf("SKIPPED: no usable KVM: %s\n", why);
		return rc;
	}
	vms.opened[1] = true;
	kvm->verbose = o.verbose;
	kvm->kernel = o.kernel;
	rc = boot(kvm, paging, &o);
	if (rc) {
		kvm__close(kvm);
		return rc == HM_EXIT_SKIP ? HM_EXIT_SKIP : HM_EXIT_INTERNAL;
	}

	t_jobs = now_ns();
	for (size_t i = 0; i < njobs; i++) {
		int r = verify__job(&vms, &o, &jobs[i]);

		if (r == HM_EXIT_PASS)
			passed++;
		else if (r == HM_EXIT_SKIP)
			skipped++;
		else if (r == HM_EXIT_FAIL)
			failed++;
		else {
			fprintf(stderr, "kvm_runner: internal error; stopping\n");
			rc = HM_EXIT_INTERNAL;
			break;
		}
		if (i == 0 && o.verbose)
			printf("  start to first verdict: %.1f ms\n",
			       (now_ns() - t_start) / 1e6);
	}
	t_jobs = now_ns() - t_jobs;
	getrusage(RUSAGE_SELF, &ru);
	printf("time: %.1f ms in all; %u sequences in %.1f ms (%.0f/s), "
	       "%.1f ms of it in the guest; max RSS %.1f MB\n",
	       (now_ns() - t_start) / 1e6, verify_sequences, t_jobs / 1e6,
	       t_jobs ? verify_sequences / (t_jobs / 1e9) : 0.0,
	       verify_guest_ns / 1e6, ru.ru_maxrss / 1024.0);
	if (verify_sequences_on[1] != verify_sequences) {
		const char *sep = "";

		printf("vCPUs:");
		for (unsigned n = 1; n <= HM_SMP_MAX_CPUS; n++) {
			if (!verify_sequences_on[n])
				continue;
			printf("%s %u: %u sequences, %.1f ms in the guest",
			       sep, n, verify_sequences_on[n],
			       verify_guest_ns_on[n] / 1e6);
			sep = ";";
		}
		printf("; %llu shootdown IPIs acknowledged\n",
		       (unsigned long long)verify_ipis_acked);
	}
	if (skipped)
		printf("%u passed, %u failed, %u skipped\n", passed, failed,
		       skipped);
	else
		printf("%u passed, %u failed\n", passed, failed);
	for (size_t i = 0; i < njobs; i++)
		job__free(&jobs[i]);
	free(jobs);
	vms__close(&vms);
	if (rc)
		return rc;
	return failed ? HM_EXIT_FAIL : HM_EXIT_PASS;
}
