/* SPDX-License-Identifier: MIT */
/*
 * vms.c - the machines one kvm_runner run keeps, one per vCPU count.
 *
 * A sequence of N CPUs runs in a machine of N vCPUs, so that each op can
 * run on the vCPU of its CPU (guest/smp_ops.c) and a range flush is a real
 * shootdown IPI to exactly the N - 1 others.  Booting costs milliseconds
 * (guest memory, the core's init) and sequences of different counts come
 * mixed (a corpus is in file-name order), so each count keeps its machine
 * between sequences; a sequence that kills one gets the next a new one.
 */
#include <string.h>

#include "kvm_runner/host/backend.h"

/* A machine of @n vCPUs for @vm[@n] (the debug variant's tables with
 * @debug): open, boot, say what we got.  The one-vCPU machine of the
 * plain tables is backend__start()'s. */
static int open_vm(struct vms *v, struct hm_machine **vm, unsigned n,
		   bool debug, char *why, size_t whysz)
{
	struct hm_machine *m;
	const struct hm_mailbox *mb;
	int rc;

	rc = backend__open(v->o, v->o->backend, &m, why, whysz);
	if (rc)
		return rc;
	m->debug = debug;
	rc = m->ops->boot(m, n > 1 ? HM_PAGING_AUTO : v->o->mode, n, why,
			  whysz);
	if (rc) {
		m->ops->close(m);
		return rc;
	}
	vm[n] = m;
	mb = machine__mailbox(m);
	if (debug)
		printf("debug: a VM of %u vCPU%s with %s's debug tables "
		       "(PKMAP_BASE %#x, lowmem to %#x) for its debug "
		       "sequences\n", n, n > 1 ? "s" : "",
		       hm_kernel_name(m->kernel), m->layout.pkmap_base,
		       m->layout.high_memory);
	if (n == 1)
		return 0;
	printf("smp: %u vCPUs for the sequences of %u CPUs: %s, %s; APIC "
	       "IDs", n, n, m->ops->name[0] == 'k' ?
	       "one host thread each, in-kernel irqchip" :
	       v->o->tcg_one_thread ?
	       "QEMU -smp, round-robin TCG (one host thread), started by "
	       "INIT-SIPI" :
	       "QEMU -smp, multi-threaded TCG, started by INIT-SIPI",
	       m->mode == HM_PAGING_COMPAT ? "compat mode" : "legacy PAE");
	for (unsigned cpu = 0; cpu < n; cpu++)
		printf(" %u", mb->smp_apic_id[cpu]);
	printf("\n");
	return 0;
}

/* No SMP machine here: every sequence plays its CPUs on one vCPU. */
static struct hm_machine *no_smp(struct vms *v, bool debug, const char *why0,
				 int *rc, char *why, size_t whysz)
{
	snprintf(v->no_smp, sizeof(v->no_smp), "%s", why0);
	printf("smp: no SMP guest on this %s (%s): sequences of several "
	       "CPUs run on one vCPU playing each CPU\n",
	       v->vm[1]->ops->name[0] == 'k' ? "KVM" : "backend", why0);
	*rc = 0;
	return vms__get(v, 1, debug, rc, why, whysz);
}

/* vm[n], opened or booted again as needed. */
static struct hm_machine *get_vm(struct vms *v, struct hm_machine **vm,
				 unsigned n, bool debug, int *rc, char *why,
				 size_t whysz)
{
	struct hm_machine *m = vm[n];

	if (!m) {
		*rc = open_vm(v, vm, n, debug, why, whysz);
		if (*rc == HM_EXIT_SKIP && n > 1) {
			char w[320];

			snprintf(w, sizeof(w), "%s", why);
			return no_smp(v, debug, w, rc, why, whysz);
		}
		return *rc ? NULL : vm[n];
	}
	if (!m->alive) {
		*rc = m->ops->boot(m, n > 1 ? HM_PAGING_AUTO : v->o->mode, n,
				   why, whysz);
		if (*rc) {
			snprintf(why + strlen(why), whysz - strlen(why),
				 " (rebooting the VM of %u vCPUs)", n);
			return NULL;
		}
	}
	return m;
}

struct hm_machine *vms__get(struct vms *v, unsigned nr_cpus, bool debug,
			    int *rc, char *why, size_t whysz)
{
	unsigned n = nr_cpus > 1 && nr_cpus <= HM_SMP_MAX_CPUS &&
		     !v->o->one_vcpu && !v->no_smp[0] ? nr_cpus : 1;

	*rc = 0;
	return get_vm(v, debug ? v->debug_vm : v->vm, n, debug, rc, why,
		      whysz);
}

void vms__close(struct vms *v)
{
	for (unsigned n = 1; n <= HM_SMP_MAX_CPUS; n++) {
		if (v->vm[n])
			v->vm[n]->ops->close(v->vm[n]);
		if (v->debug_vm[n])
			v->debug_vm[n]->ops->close(v->debug_vm[n]);
	}
	memset(v->vm, 0, sizeof(v->vm));
	memset(v->debug_vm, 0, sizeof(v->debug_vm));
}
