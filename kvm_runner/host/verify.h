/* SPDX-License-Identifier: MIT */
/*
 * verify.h - one sequence, run on the simulator and in the guest, and
 * checked: the verifier's entry point and the totals of a run.
 */
#ifndef HM_KVM_VERIFY_H
#define HM_KVM_VERIFY_H

#include <stdint.h>

#include "kvm_runner/host/backend.h"
#include "kvm_runner/host/runner.h"

/* What a run's sequences cost, by the vCPUs they ran on. */
struct hm_totals {
	unsigned sequences;
	uint64_t guest_ns;		/* in the guest (resumed to report) */
	unsigned sequences_on[HM_SMP_MAX_CPUS + 1];
	uint64_t guest_ns_on[HM_SMP_MAX_CPUS + 1];
	uint64_t ipis_acked;		/* shootdown IPIs, all vCPUs */
	unsigned stale_checked;		/* guest accesses checked for a stale
					 * translation (TCG) */
};

/* Run @job in its machine (vms__get) and check it.  Prints one PASS/FAIL/
 * SKIP line (and the dumps of a dead guest).  Returns 0 pass, 1 fail,
 * 77 skip, or HM_EXIT_INTERNAL. */
int verify__job(struct vms *v, const struct run_opts *o, struct job *job,
		struct hm_totals *t);

#endif /* HM_KVM_VERIFY_H */
