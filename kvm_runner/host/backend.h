/* SPDX-License-Identifier: MIT */
/*
 * backend.h - which machine runs the guest: KVM (/dev/kvm) or QEMU's TCG,
 * and the VMs of one run, one per vCPU count.
 */
#ifndef HM_KVM_BACKEND_H
#define HM_KVM_BACKEND_H

#include "kvm_runner/host/machine.h"
#include "kvm_runner/host/runner.h"

const char *backend__name(enum hm_backend b);
/* A machine of backend @b (not AUTO), not booted; or an HM_EXIT_* with
 * @why (HM_EXIT_SKIP: that backend is not usable here). */
int backend__open(const struct run_opts *o, enum hm_backend b,
		  struct hm_machine **m, char *why, size_t whysz);
/*
 * The one-vCPU machine of a run, booted in o->mode: with
 * HM_BACKEND_AUTO, KVM where it runs legacy PAE, else TCG where QEMU is
 * installed, else KVM in compat mode; o->backend and o->mode say what it
 * got.  Prints the backend, paging mode and stale-TLB lines.  0, or an
 * HM_EXIT_* after printing why (HM_EXIT_SKIP: "SKIPPED: ...").
 */
int backend__start(struct run_opts *o, struct hm_machine **m);

/* vms.c: the VMs of one run.  vm[1] is the one-vCPU machine
 * backend__start() booted, for every sequence of one CPU; vm[N],
 * 2 <= N <= HM_SMP_MAX_CPUS, has N vCPUs and runs the sequences of N
 * CPUs, each op on the vCPU of its CPU.  Booted the first time a sequence
 * needs one (and again after a sequence killed it).  Where the backend
 * makes no SMP guest, or with o->one_vcpu, vm[1] plays every CPU instead
 * (no_smp says why).  debug_vm[N]: the same for the sequences of the
 * profile's debug variant where it needs tables of its own
 * (guest__debug_tables: 6.1's guard slots), all opened on first use. */
struct vms {
	const struct run_opts *o;
	struct hm_machine *vm[HM_SMP_MAX_CPUS + 1];
	struct hm_machine *debug_vm[HM_SMP_MAX_CPUS + 1];
	char no_smp[320];
};
/* The machine for a sequence of @nr_cpus CPUs (of the debug variant with
 * @debug), booted; NULL with @why and an HM_EXIT_* in *@rc. */
struct hm_machine *vms__get(struct vms *v, unsigned nr_cpus, bool debug,
			    int *rc, char *why, size_t whysz);
void vms__close(struct vms *v);

#endif /* HM_KVM_BACKEND_H */
