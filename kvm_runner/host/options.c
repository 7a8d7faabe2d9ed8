/* SPDX-License-Identifier: MIT */
/*
 * options.c - kvm_runner's command line: the options into struct options,
 * each number checked against its range, usage errors named.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_runner/host/machine.h"
#include "kvm_runner/host/options.h"
#include "kvm_runner/host/tcg.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: kvm_runner [options] [WHAT]...\n"
"Runs op sequences on the highmem core inside a guest with real PAE page\n"
"tables (KVM, or QEMU's TCG); checks guest memory from the host and\n"
"compares every op with the user-space simulator.\n"
"\n"
"WHAT: a built-in scenario (--list), 'all' (every scenario), an op-sequence\n"
"file (fuzz/ops.h, text or binary), or a folder of them.  Default: all.\n"
"A sequence of N CPUs (2..4) runs on N vCPUs, each op on the vCPU of its\n"
"CPU, a range flush a real TLB shootdown IPI to the others.\n"
"Or, alone, smp_shootdown (KVM): several vCPUs (one host thread each,\n"
"in-kernel irqchip); cpu 0 wraps the PKMAP window and shoots down cpu 1's\n"
"TLB by IPI; the host checks what cpu 1 read before and after, and the IPIs.\n"
"\n"
"options:\n"
"  --backend B       kvm, tcg (QEMU), or auto (default: KVM where it runs\n"
"                    legacy PAE, else TCG where QEMU is installed, else\n"
"                    KVM in compat mode)\n"
"  --kvm-dev PATH    the KVM device (default /dev/kvm)\n"
"  --qemu PATH       the QEMU binary (default " HM_TCG_QEMU ")\n"
"  --timeout-ms N    wall-clock watchdog per sequence (default 10000; a\n"
"                    scenario that hangs on purpose: 300, or N if longer)\n"
"  --paging MODE     KVM: auto (default: legacy PAE if KVM runs it, else\n"
"                    compat), legacy, or compat; TCG: always legacy PAE\n"
"  --list            list the scenarios and exit\n"
"  --smp-cpus N      vCPUs for smp_shootdown (2..4, default 2)\n"
"  --kernel NAME     the kernel profile the guest's page tables are built\n"
"                    for: linux-2.6.24, linux-4.7 (default) or linux-6.1;\n"
"                    scenarios run on it, sequences of another kernel are\n"
"                    skipped (its debug variant, where its layout differs,\n"
"                    runs in VMs of its own tables)\n"
"  --one-vcpu        run sequences of several CPUs on one vCPU that plays\n"
"                    each CPU in turn (as where there is no SMP guest)\n"
"  --bench           benchmark mode instead of sequences: time each\n"
"                    op of the core in the guest with rdtsc, beside the\n"
"                    floor (PTE write + invlpg + one load); no WHAT\n"
"  --bench-iterations N  timed iterations per op (default: per op, about\n"
"                    4 s in all on an emulating host)\n"
"  -v, --verbose     guest console and more detail\n"
"  -h, --help        this text\n"
"\n"
"exit status: 0 all passed, 1 a check failed, 2 usage, 70 internal error,\n"
"77 skipped (no usable backend)\n");
}

/* A number in [lo, hi] for option @name; -1 (after saying why) if not. */
static long number(const char *name, const char *arg, long lo, long hi)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end || end == arg || v < lo || v > hi) {
		fprintf(stderr, "kvm_runner: --%s: need %ld..%ld, got '%s'\n",
			name, lo, hi, arg);
		return -1;
	}
	return v;
}

static int one_of(const char *name, const char *arg, const char *const *set,
		  int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(arg, set[i]))
			return i;
	fprintf(stderr, "kvm_runner: --%s: %s, %s or %s, not '%s'\n", name,
		set[0], set[1], set[2], arg);
	return -1;
}

static int list(void)
{
	for (size_t i = 0; i < hm_nr_scenarios; i++)
		printf("%-16s %s\n", hm_scenarios[i].name, hm_scenarios[i].what);
	printf("%-16s %s\n", "smp_shootdown", "alone (KVM): several vCPUs, a "
	       "PKMAP wrap on cpu 0 shoots down cpu 1's TLB by IPI");
	return HM_EXIT_PASS;
}

static const struct option longopts[] = {
	{ "kvm-dev", required_argument, NULL, 'd' },
	{ "qemu", required_argument, NULL, 'q' },
	{ "backend", required_argument, NULL, 'B' },
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

/* One option: 0, or -1 on a usage error (said). */
static int one_option(int c, struct options *opt)
{
	static const char *const pagings[] = { "auto", "legacy", "compat" };
	static const char *const backends[] = { "auto", "kvm", "tcg" };
	static const enum hm_paging_mode modes[] = {
		HM_PAGING_AUTO, HM_PAGING_LEGACY_PAE, HM_PAGING_COMPAT };
	struct run_opts *o = &opt->run;
	long v = 0;

	switch (c) {
	case 'd': o->dev = optarg; break;
	case 'q': o->qemu = optarg; break;
	case 'B':
		v = one_of("backend", optarg, backends, 3);
		o->backend = (enum hm_backend)v;
		break;
	case 't':
		v = number("timeout-ms", optarg, 1, 3600000);
		o->timeout_ms = (unsigned)v;
		o->timeout_set = true;
		break;
	case 'p':
		v = one_of("paging", optarg, pagings, 3);
		o->mode = v >= 0 ? modes[v] : HM_PAGING_AUTO;
		break;
	case 'b': opt->bench = true; break;
	case 'i':
		v = number("bench-iterations", optarg, 1, 100000000);
		opt->bench_iters = (uint32_t)v;
		break;
	case 's':
		v = number("smp-cpus", optarg, 2, HM_SMP_MAX_CPUS);
		opt->smp_cpus = (unsigned)v;
		break;
	case 'k':
		o->kernel = hm_kernel_by_name(optarg);
		if (o->kernel == HM_KERNEL_NR) {
			fprintf(stderr, "kvm_runner: --kernel: linux-2.6.24, "
				"linux-4.7 or linux-6.1, not '%s'\n", optarg);
			v = -1;
		}
		break;
	case '1': o->one_vcpu = true; break;
	case 'v': o->verbose = true; break;
	default: return -1;
	}
	return v < 0 ? -1 : 0;
}

int options__parse(int argc, char **argv, struct options *opt)
{
	int c;

	memset(opt, 0, sizeof(*opt));
	run_opts__init(&opt->run);
	opt->smp_cpus = 2;
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return HM_EXIT_PASS;
		}
		if (c == 'l')
			return list();
		if (one_option(c, opt)) {
			if (c == '?')
				usage(stderr);
			return HM_EXIT_USAGE;
		}
	}
	opt->first = optind;
	return -1;
}
