/* SPDX-License-Identifier: MIT */
/*
 * guest_kvm.c - the backend of guest.h: kvm_runner's benchmark mode
 * (kvm_runner/host/bench_api.h).  One VM for the whole run, booted by the
 * probe; each guest_bench_run() is one command to the guest.
 */
#include <stdio.h>

#include "bench/guest.h"
#include "kvm_runner/host/bench_api.h"

static struct hm_bench_vm *vm;		/* the one being used */
static struct hm_bench_vm *vm1;		/* one vCPU, booted by the probe */
static struct hm_bench_vm *vm_smp;	/* several, for one row at a time */
static unsigned smp_cpus;
static const char *vm_dev;
static struct hm_bench_info vm_info;

static const enum hm_bench_op to_bench_op[GUEST_NR_OPS] = {
	[GUEST_FLOOR] = HM_BENCH_FLOOR,
	[GUEST_KMAP_ATOMIC] = HM_BENCH_KMAP_ATOMIC,
	[GUEST_KMAP_ATOMIC_DEBUG] = HM_BENCH_KMAP_ATOMIC_DEBUG,
	[GUEST_KMAP_LOCAL] = HM_BENCH_KMAP_LOCAL,
	[GUEST_KMAP_HIT] = HM_BENCH_KMAP_HIT,
	[GUEST_KMAP_STREAM] = HM_BENCH_KMAP_STREAM,
	[GUEST_PAGE_ADDRESS_LOWMEM] = HM_BENCH_PAGE_ADDRESS_LOW,
	[GUEST_PAGE_ADDRESS_HIGH] = HM_BENCH_PAGE_ADDRESS_HIGH,
};

int guest_bench_probe(const char *dev, struct guest_info *info, char *why,
		      size_t whysz)
{
	char reason[400];
	int rc;

	guest_bench_close();
	vm_dev = dev;
	rc = hm_bench_open(&vm1, dev, &vm_info, reason, sizeof(reason));
	vm = vm1;
	if (rc) {
		vm = vm1 = NULL;
		snprintf(why, whysz, "skipped: %s%s", rc == 77 ?
			 "no usable KVM: " : "the guest did not boot: ",
			 reason);
		return -1;
	}
	snprintf(info->note, sizeof(info->note), "%s", vm_info.note);
	if (vm_info.tsc_khz)
		snprintf(info->clock, sizeof(info->clock), "guest rdtsc at "
			 "%u kHz (KVM_GET_TSC_KHZ); %s", vm_info.tsc_khz,
			 vm_info.paging);
	else
		snprintf(info->clock, sizeof(info->clock), "guest rdtsc, "
			 "frequency unknown (no KVM_GET_TSC_KHZ): time is the "
			 "host's wall clock around the guest run; %s",
			 vm_info.paging);
	return 0;
}

int guest_bench_run(enum guest_op op, uint64_t ops, struct guest_result *r,
		    char *why, size_t whysz)
{
	struct hm_bench_result b;

	if (!vm) {
		snprintf(why, whysz, "no guest (not probed)");
		return -1;
	}
	if ((unsigned)op >= GUEST_NR_OPS || ops > UINT32_MAX) {
		snprintf(why, whysz, "bad request: op %d, %llu ops", (int)op,
			 (unsigned long long)ops);
		return -1;
	}
	if (hm_bench_run(vm, to_bench_op[op], (uint32_t)ops, 0, &b, why,
			 whysz))
		return -1;
	r->ops = b.iters;
	r->tsc_cycles = b.cycles;
	r->best_cycles = b.best_cycles;
	r->seconds = b.seconds;
	r->stats = b.stats;
	return 0;
}

int guest_bench_insns(enum guest_op op, double *insns, char *why,
		      size_t whysz)
{
	if (!vm || (unsigned)op >= GUEST_NR_OPS) {
		snprintf(why, whysz, "no guest");
		return -1;
	}
	return hm_bench_count_insns(vm, to_bench_op[op], 8, 0, insns, why,
				    whysz);
}

int guest_bench_cpus(unsigned cpus, char *why, size_t whysz)
{
	struct hm_bench_info in;
	char reason[400];
	int rc;

	if (!vm1) {
		snprintf(why, whysz, "no guest (not probed)");
		return -1;
	}
	if (cpus <= 1 || cpus != smp_cpus) {
		/* Idle application processors still take host CPU: none
		 * left running beyond their row. */
		hm_bench_close(vm_smp);
		vm_smp = NULL;
		smp_cpus = 0;
		vm = vm1;
	}
	if (cpus <= 1 || vm_smp)
		return 0;
	rc = hm_bench_open_cpus(&vm_smp, vm_dev, cpus, &in, reason,
				sizeof(reason));
	if (rc) {
		vm_smp = NULL;
		snprintf(why, whysz, "%s%s", rc == 77 ?
			 "skipped: no SMP guest on this KVM: " :
			 "the SMP guest did not start: ", reason);
		return -1;
	}
	smp_cpus = cpus;
	vm = vm_smp;
	return 0;
}

void guest_bench_close(void)
{
	hm_bench_close(vm_smp);
	hm_bench_close(vm1);
	vm = vm1 = vm_smp = NULL;
	smp_cpus = 0;
}
