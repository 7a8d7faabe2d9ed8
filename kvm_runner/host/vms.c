/* SPDX-License-Identifier: MIT */
/*
 * vms.c - the VMs one kvm_runner run keeps, one per vCPU count.
 *
 * A sequence of N CPUs runs in a VM of N vCPUs, so that each op can run on
 * the vCPU of its CPU (guest/smp_ops.c) and a range flush is a real
 * shootdown IPI to exactly the N - 1 others.  Booting costs milliseconds
 * (the 1 GiB memory slot, the core's init) and sequences of different
 * counts come mixed (a corpus is in file-name order), so each count keeps
 * its VM between sequences; a sequence that kills one gets the next a new
 * one.  SMP VMs are always in compat mode: the IPIs' gates are 64-bit.
 */
#include <string.h>

#include "kvm_runner/host/runner.h"

/* Boot @kvm with @n vCPUs: cpu 0, then the application processors, idling
 * halted until an IPI wakes them (guest/smp.c). */
static int boot_smp(struct vms *v, struct kvm *kvm, unsigned n, char *why,
		    size_t whysz)
{
	int rc;

	kvm->nr_vcpus = n;
	rc = kvm__boot(kvm, HM_PAGING_COMPAT, why, whysz);
	if (rc)
		return rc;
	guest__mailbox(kvm)->smp_idle_halt = 1;
	kvm->kick_on_ap_stop = true;
	kvm->bsp_thread = pthread_self();
	return smp__start_aps(kvm, n, v->o->timeout_ms, &kvm->aps, why,
			      whysz);
}

/* The first SMP VM of a count: open the device, boot, say what we got. */
static int open_smp(struct vms *v, unsigned n, char *why, size_t whysz)
{
	struct kvm *kvm = &v->vm[n];
	const struct hm_mailbox *mb;
	int rc;

	rc = kvm__open(kvm, v->dev, why, whysz);
	kvm->verbose = v->o->verbose;
	kvm->kernel = v->o->kernel;
	if (!rc)
		rc = boot_smp(v, kvm, n, why, whysz);
	if (rc) {
		kvm__close(kvm);
		return rc;
	}
	v->opened[n] = true;
	mb = guest__mailbox(kvm);
	printf("smp: %u vCPUs for the sequences of %u CPUs: one host thread "
	       "each, in-kernel irqchip, %s; APIC IDs", n, n,
	       kvm->mode == HM_PAGING_COMPAT ? "compat mode" : "legacy PAE");
	for (unsigned cpu = 0; cpu < n; cpu++)
		printf(" %u", mb->smp_apic_id[cpu]);
	printf("\n");
	return 0;
}

struct kvm *vms__get(struct vms *v, unsigned nr_cpus, int *rc, char *why,
		     size_t whysz)
{
	struct kvm *kvm;

	*rc = 0;
	if (nr_cpus > 1 && nr_cpus <= HM_SMP_MAX_CPUS && !v->o->one_vcpu &&
	    !v->no_smp[0]) {
		kvm = &v->vm[nr_cpus];
		if (!v->opened[nr_cpus]) {
			*rc = open_smp(v, nr_cpus, why, whysz);
			if (*rc == HM_EXIT_SKIP) {
				/* KVM refused an SMP ioctl: every sequence
				 * plays its CPUs on one vCPU, as before. */
				snprintf(v->no_smp, sizeof(v->no_smp), "%s",
					 why);
				printf("smp: no SMP guest on this KVM (%s): "
				       "sequences of several CPUs run on one "
				       "vCPU playing each CPU\n", why);
				*rc = 0;
				return vms__get(v, 1, rc, why, whysz);
			}
			return *rc ? NULL : kvm;
		}
		if (!kvm->alive) {
			*rc = boot_smp(v, kvm, nr_cpus, why, whysz);
			if (*rc) {
				snprintf(why + strlen(why), whysz - strlen(why),
					 " (rebooting the VM of %u vCPUs)",
					 nr_cpus);
				return NULL;
			}
		}
		return kvm;
	}
	kvm = &v->vm[1];
	if (!kvm->alive) {
		*rc = kvm__boot(kvm, v->o->mode, why, whysz);
		if (*rc)
			return NULL;
	}
	return kvm;
}

void vms__close(struct vms *v)
{
	for (unsigned n = 1; n <= HM_SMP_MAX_CPUS; n++)
		if (v->opened[n])
			kvm__close(&v->vm[n]);
}
