/* SPDX-License-Identifier: MIT */
/*
 * bench_cli.c - kvm_runner --bench: every benchmark op once, one line
 * each, beside the floor (bench_api.h), on KVM or QEMU's TCG.  Instruction
 * counts need KVM's single-step: on TCG the insns columns say "-".
 */
#include <time.h>

#include "kvm_runner/host/bench_api.h"
#include "kvm_runner/host/bench_cli.h"
#include "kvm_runner/host/machine.h"

/* Default timed iterations per op: a few hundred of each operation, more
 * of the cheap ones; the stream a multiple of LAST_PKMAP, so it wraps at
 * its natural rate. */
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

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void header(const struct hm_bench_info *in)
{
	printf("backend: %s\n", in->backend[0] == 't' ?
	       "QEMU TCG (qemu-system-i386): QEMU's costs, not a CPU's" :
	       "KVM");
	printf("paging: %s\n", in->paging);
	printf("stale translations observable: %s\n",
	       in->stale_tlb ? "yes" : "no");
	printf("guest: %s\n", in->note);
	if (in->tsc_khz)
		printf("guest TSC: %u kHz (%s)\n", in->tsc_khz,
		       in->backend[0] == 't' ?
		       "the host's: QEMU's rdtsc reads it; measured" :
		       "KVM_GET_TSC_KHZ");
	else
		printf("guest TSC: frequency unknown (no KVM_GET_TSC_KHZ): "
		       "ns/op is the host's wall clock around the guest run\n");
	printf("%-19s %5s %6s %10s %10s %10s %7s %7s %7s %6s %6s %6s %6s %7s\n",
	       "op", "pages", "iters", "cycles/op", "best/op", "ns/op",
	       "x floor", "insns", "x floor", "ptes", "invlpg", "flush", "hash",
	       "wraps");
}

/* One op's line; false if it failed (said). */
static bool one_op(struct hm_bench_vm *vm, const struct hm_bench_info *in,
		   int op, uint32_t n, double *floor)
{
	struct hm_bench_result r;
	double ins = 0, d = n;
	char why[512], insns[2][16] = { "-", "-" };
	int rc = hm_bench_run(vm, (enum hm_bench_op)op, n, 0, &r, why,
			      sizeof(why));

	if (rc == HM_EXIT_SKIP) {	/* not an op of this profile's guest */
		printf("%-19s skipped: %s\n", hm_bench_op_name(op), why);
		return true;
	}
	if (rc ||
	    (in->counts_insns &&
	     hm_bench_count_insns(vm, (enum hm_bench_op)op, n < 8 ? n : 8, 0,
				  &ins, why, sizeof(why)))) {
		printf("%-19s FAILED: %s\n", hm_bench_op_name(op), why);
		return false;
	}
	if (op == HM_BENCH_FLOOR) {
		floor[0] = r.best_cycles;
		floor[1] = ins;
	}
	if (in->counts_insns) {
		snprintf(insns[0], sizeof(insns[0]), "%.1f", ins);
		snprintf(insns[1], sizeof(insns[1]), "%.2fx",
			 floor[1] > 0 ? ins / floor[1] : 0.0);
	}
	printf("%-19s %5u %6u %10.0f %10.0f %10.0f %6.2fx %7s %7s "
	       "%6.3g %6.3g %6.3g %6.3g %7.3g\n", hm_bench_op_name(op),
	       r.pages, n, r.cycles / d, r.best_cycles, r.seconds * 1e9 / d,
	       floor[0] > 0 ? r.best_cycles / floor[0] : 0.0, insns[0],
	       insns[1], r.stats.pte_writes / d,
	       r.stats.tlb_flush_one / d, r.stats.tlb_flush_all / d,
	       r.stats.hash_steps / d, r.stats.pkmap_flushes / d);
	return true;
}

/* The machine of @o: auto takes KVM where it opens, else TCG.  On
 * HM_EXIT_SKIP, @why says what was missing, as the runner's SKIPPED line
 * does (backend.c). */
static int open_vm(const struct run_opts *o, struct hm_bench_vm **vm,
		   struct hm_bench_info *in, char *why, size_t whysz)
{
	char kvm_why[400] = "", tcg_why[400] = "";
	int rc = HM_EXIT_SKIP;

	if (o->backend != HM_BACKEND_TCG)
		rc = hm_bench_open_backend(vm, "kvm", o->dev, 1, o->kernel, in,
					   kvm_why, sizeof(kvm_why));
	if (rc == HM_EXIT_SKIP && o->backend != HM_BACKEND_KVM)
		rc = hm_bench_open_backend(vm, "tcg", o->qemu, 1, o->kernel, in,
					   tcg_why, sizeof(tcg_why));
	if (rc == HM_EXIT_SKIP && o->backend == HM_BACKEND_AUTO)
		snprintf(why, whysz, "no usable KVM (%s) and no usable QEMU "
			 "(%s)", kvm_why, tcg_why);
	else if (rc == HM_EXIT_SKIP)
		snprintf(why, whysz, "no usable %s: %s",
			 o->backend == HM_BACKEND_KVM ? "KVM" : "QEMU",
			 o->backend == HM_BACKEND_KVM ? kvm_why : tcg_why);
	else if (rc)
		snprintf(why, whysz, "%s", tcg_why[0] ? tcg_why : kvm_why);
	return rc;
}

int bench_cli__run(const struct run_opts *o, uint32_t iters)
{
	struct hm_bench_vm *vm;
	struct hm_bench_info in;
	double t0 = now_ms(), floor[2] = { 0, 0 };
	char why[512];
	int rc;

	rc = open_vm(o, &vm, &in, why, sizeof(why));
	if (rc) {
		if (rc == HM_EXIT_SKIP)
			printf("SKIPPED: %s\n", why);
		else
			fprintf(stderr, "kvm_runner: %s\n", why);
		return rc == HM_EXIT_SKIP ? HM_EXIT_SKIP : HM_EXIT_INTERNAL;
	}
	header(&in);
	for (int op = 0; op < HM_BENCH__NR; op++)
		if (!one_op(vm, &in, op,
			    iters ? iters : bench_default_iters[op], floor))
			rc = HM_EXIT_FAIL;
	printf("cycles/op: mean of all iterations (ns/op the same); best/op: "
	       "the fastest chunk of about 1 ms, whose ratio is x floor; "
	       "insns: guest instructions per op (%s)\n",
	       in.counts_insns ? "single-stepped" :
	       "KVM's single-step only: not counted on TCG");
	printf("time: %.1f ms in all\n", now_ms() - t0);
	hm_bench_close(vm);
	return rc;
}
