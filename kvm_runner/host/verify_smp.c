/* SPDX-License-Identifier: MIT */
/*
 * verify_smp.c - what a sequence run on several vCPUs adds to verify.c's
 * checks and verdict: where each op ran, the TLB shootdown IPIs each vCPU
 * acknowledged against the simulator's range flushes, and, when the
 * watchdog ends a run, what each vCPU was waiting for.
 */
#include <string.h>

#include "kvm_runner/host/runner.h"

/*
 * A sequence on real vCPUs: each op ran on the vCPU of the CPU current on
 * the simulator at that op (op_cpu: the xAPIC ID the guest read there),
 * and every vCPU acknowledged one shootdown IPI per range flush the
 * simulator made on the other CPUs: flushes x (N - 1) in all.
 */
void verify_smp__check(struct kvm *kvm, const struct job *job,
		       const uint8_t *sim_op_cpu, const uint64_t *flushes_by,
		       struct checker *c)
{
	const struct hm_mailbox *mb = guest__mailbox(kvm);
	const struct hm_kop *op;
	unsigned n = kvm->nr_vcpus;
	uint64_t flushes = 0;

	for (uint32_t i = 0; i < job->n; i++) {
		if (mb->op_cpu[i] == sim_op_cpu[i])
			continue;
		op = &job->ops[i];
		checker__fail(c, "op #%u %s %#x %#x ran on vCPU %u; the "
			      "simulator ran it on cpu %u", i,
			      hm_op_name(op->code), op->a, op->b,
			      mb->op_cpu[i], sim_op_cpu[i]);
		break;
	}
	for (unsigned j = 0; j < n; j++)
		flushes += flushes_by[j];
	for (unsigned k = 0; k < n; k++) {
		uint64_t want = flushes - flushes_by[k];

		if (mb->smp_acks[k] == want)
			continue;
		checker__fail(c, "TLB shootdown IPIs: cpu %u acknowledged "
			      "%u, expected %llu, one per range flush of the "
			      "other CPUs on the simulator (%llu flushes x %u "
			      "other CPU%s = %llu IPIs in all)", k,
			      mb->smp_acks[k], (unsigned long long)want,
			      (unsigned long long)flushes, n - 1,
			      n > 2 ? "s" : "",
			      (unsigned long long)(flushes * (n - 1)));
	}
	for (unsigned k = 0; k < n; k++)
		if (mb->smp_ipis_sent[k] != mb->smp_acks[k])
			checker__fail(c, "TLB shootdown IPIs: cpu %u "
				      "acknowledged %u of the %u sent to it",
				      k, mb->smp_acks[k],
				      mb->smp_ipis_sent[k]);
	for (unsigned j = 0; j < n; j++)
		if (mb->smp_shootdowns_by[j] != flushes_by[j])
			checker__fail(c, "cpu %u sent %u TLB shootdowns; the "
				      "simulator made %llu range flushes on it",
				      j, mb->smp_shootdowns_by[j],
				      (unsigned long long)flushes_by[j]);
}

/* ", ops by cpu 97/97/97/97; 24 range flushes, 72 shootdown IPIs acked,
 * by cpu 18/18/18/18" */
void verify_smp__detail(struct kvm *kvm, const struct job *job,
			const uint64_t *flushes_by, char *buf, size_t size)
{
	const struct hm_mailbox *mb = guest__mailbox(kvm);
	unsigned ops[HM_SMP_MAX_CPUS] = { 0 }, n = kvm->nr_vcpus;
	uint64_t flushes = 0, acks = 0;
	size_t len;

	for (uint32_t i = 0; i < job->n; i++)
		if (mb->op_cpu[i] < HM_SMP_MAX_CPUS)
			ops[mb->op_cpu[i]]++;
	for (unsigned k = 0; k < n; k++) {
		flushes += flushes_by[k];
		acks += mb->smp_acks[k];
	}
	len = strlen(buf);
	snprintf(buf + len, size - len, "; ops by cpu");
	for (unsigned k = 0; k < n; k++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%c%u", k ? '/' : ' ', ops[k]);
	}
	len = strlen(buf);
	snprintf(buf + len, size - len, "; %llu range flushes, %llu shootdown "
		 "IPIs acked, by cpu", (unsigned long long)flushes,
		 (unsigned long long)acks);
	for (unsigned k = 0; k < n; k++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, "%c%u", k ? '/' : ' ',
			 mb->smp_acks[k]);
	}
}

/* What each vCPU waited for when the watchdog fired: "; cpu 0 waits for
 * cpu 2 to finish an op; cpu 2 for cpu 3's ack of its shootdown IPI". */
void verify_smp__waits(struct kvm *kvm, char *buf, size_t size)
{
	const struct hm_mailbox *mb = guest__mailbox(kvm);

	for (unsigned k = 0; k < kvm->nr_vcpus; k++) {
		uint32_t w = mb->smp_wait[k];
		size_t len = strlen(buf);

		if (w & HM_SMP_WAIT_CALL)
			snprintf(buf + len, size - len, "; cpu %u waits for "
				 "cpu %u to finish the op it handed over", k,
				 w & 0xff);
		else if (w & HM_SMP_WAIT_ACK)
			snprintf(buf + len, size - len, "; cpu %u waits for "
				 "cpu %u to acknowledge its TLB shootdown IPI",
				 k, w & 0xff);
	}
}
