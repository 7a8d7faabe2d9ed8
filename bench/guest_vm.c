/* SPDX-License-Identifier: MIT */
/*
 * guest_vm.c - the machines of guest.h: kvm_runner's benchmark mode
 * (kvm_runner/host/bench_api.h) on KVM and on QEMU's TCG.  Per backend one
 * VM for the whole run, booted by the probe, and one of several vCPUs for
 * the row that wants it; each guest_bench_run() is one command to a guest.
 */
#include <stdio.h>

#include "bench/bench.h"
#include "bench/guest.h"
#include "kvm_runner/host/bench_api.h"

struct guest_vms {
	const char *name;		/* bench_api's: "kvm", "tcg" */
	const char *missing;		/* what HM_EXIT_SKIP means */
	const char *path;		/* the device or QEMU binary */
	struct hm_bench_vm *vm;		/* the one being used */
	struct hm_bench_vm *vm1;	/* one vCPU, booted by the probe */
	struct hm_bench_vm *vm_smp;	/* several, for one row at a time */
	unsigned smp_cpus;
	struct hm_bench_info info;
};

static struct guest_vms vms[GUEST_NR_BACKENDS] = {
	[GUEST_KVM] = { .name = "kvm", .missing = "no usable KVM" },
	[GUEST_TCG] = { .name = "tcg", .missing = "no usable QEMU" },
};

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

static void close_one(struct guest_vms *v)
{
	hm_bench_close(v->vm_smp);
	hm_bench_close(v->vm1);
	v->vm = v->vm1 = v->vm_smp = NULL;
	v->smp_cpus = 0;
}

int guest_bench_probe(enum guest_backend b, const char *path,
		      struct guest_info *info, char *why, size_t whysz)
{
	struct guest_vms *v = &vms[b];
	const struct hm_bench_info *in = &v->info;
	char reason[400];
	int rc;

	close_one(v);
	v->path = path;
	rc = hm_bench_open_backend(&v->vm1, v->name, path, 1,
				   (enum hm_kernel)bench_kernel, &v->info,
				   reason, sizeof(reason));
	v->vm = v->vm1;
	if (rc) {
		v->vm = v->vm1 = NULL;
		snprintf(why, whysz, "skipped: %s: %s", rc == 77 ?
			 v->missing : "the guest did not boot", reason);
		return -1;
	}
	snprintf(info->note, sizeof(info->note), "%s", in->note);
	if (in->tsc_khz)
		snprintf(info->clock, sizeof(info->clock), "guest rdtsc at "
			 "%u kHz (%s); %s", in->tsc_khz, b == GUEST_TCG ?
			 "the host's TSC, which QEMU's rdtsc reads; measured" :
			 "KVM_GET_TSC_KHZ", in->paging);
	else
		snprintf(info->clock, sizeof(info->clock), "guest rdtsc, "
			 "frequency unknown: time is the host's wall clock "
			 "around the guest run; %s", in->paging);
	return 0;
}

int guest_bench_run(enum guest_backend b, enum guest_op op, uint64_t ops,
		    struct guest_result *r, char *why, size_t whysz)
{
	struct hm_bench_result res;
	struct hm_bench_vm *vm = vms[b].vm;

	if (!vm) {
		snprintf(why, whysz, "no guest (not probed)");
		return -1;
	}
	if ((unsigned)op >= GUEST_NR_OPS || ops > UINT32_MAX) {
		snprintf(why, whysz, "bad request: op %d, %llu ops", (int)op,
			 (unsigned long long)ops);
		return -1;
	}
	if (hm_bench_run(vm, to_bench_op[op], (uint32_t)ops, 0, &res, why,
			 whysz))
		return -1;
	r->ops = res.iters;
	r->tsc_cycles = res.cycles;
	r->best_cycles = res.best_cycles;
	r->seconds = res.seconds;
	r->stats = res.stats;
	return 0;
}

int guest_bench_insns(enum guest_backend b, enum guest_op op, double *insns,
		      char *why, size_t whysz)
{
	struct hm_bench_vm *vm = vms[b].vm;

	if (!vm || (unsigned)op >= GUEST_NR_OPS) {
		snprintf(why, whysz, "no guest");
		return -1;
	}
	return hm_bench_count_insns(vm, to_bench_op[op], 8, 0, insns, why,
				    whysz);
}

int guest_bench_cpus(enum guest_backend b, unsigned cpus, char *why,
		     size_t whysz)
{
	struct guest_vms *v = &vms[b];
	struct hm_bench_info in;
	char reason[400];
	int rc;

	if (!v->vm1) {
		snprintf(why, whysz, "no guest (not probed)");
		return -1;
	}
	if (cpus <= 1 || cpus != v->smp_cpus) {
		/* Idle application processors still take host CPU: none
		 * left running beyond their row. */
		hm_bench_close(v->vm_smp);
		v->vm_smp = NULL;
		v->smp_cpus = 0;
		v->vm = v->vm1;
	}
	if (cpus <= 1 || v->vm_smp)
		return 0;
	rc = hm_bench_open_backend(&v->vm_smp, v->name, v->path, cpus,
				   (enum hm_kernel)bench_kernel, &in, reason,
				   sizeof(reason));
	if (rc) {
		v->vm_smp = NULL;
		snprintf(why, whysz, "%s%s%s", rc == 77 ?
			 "skipped: no SMP guest on this " :
			 "the SMP guest did not start: ",
			 rc == 77 ? (b == GUEST_TCG ? "QEMU: " : "KVM: ") : "",
			 reason);
		return -1;
	}
	v->smp_cpus = cpus;
	v->vm = v->vm_smp;
	return 0;
}

void guest_bench_close(void)
{
	for (int b = 0; b < GUEST_NR_BACKENDS; b++)
		close_one(&vms[b]);
}
