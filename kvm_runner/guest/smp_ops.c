/* SPDX-License-Identifier: MIT */
/*
 * smp_ops.c - an op sequence on real vCPUs, in a VM with as many vCPUs as
 * the sequence has CPUs: each op runs on the vCPU of the CPU the sequence
 * has current at that op.
 *
 * cpu 0 walks the list.  An op of another CPU is handed to that vCPU with
 * smp_call_function_single() (smp.c), and cpu 0 sleeps until it is done.
 * So the ops still run one at a time and in order, as on the simulator,
 * which keeps the op-by-op comparison exact; what changes is where they
 * run: smp_processor_id() is the vCPU's own, each CPU's temporary maps are
 * set and invlpg'd in its own slots by its own vCPU, and a range flush on
 * any CPU is a real shootdown IPI to all the others.
 *
 * A cpu op runs on the CPU being left: hm_cpu_may_move() reports a move
 * with preemption or migration off (a temporary map held) and refuses it,
 * as the simulator's hm_set_cpu() does, so the sequence stays there.
 */
#include "kvm_runner/guest/guest.h"
#include "kvm_runner/ops_exec.h"

struct step {
	struct hm_exec *x;
	const struct hm_kop *ops;
	struct hm_kop_result *res;
	uint32_t i;
	unsigned cpu;		/* the vCPU it must run on */
	int rc;			/* hm_exec_step()'s */
};

static void run_step(void *info)
{
	struct step *s = info;
	unsigned me = guest_this_cpu(), apic = guest_apic_id();

	/* smp_processor_id() comes from the stack; the xAPIC has the last
	 * word, and the host checks op_cpu against the simulator's CPU. */
	if (me != s->cpu || apic != me)
		guest_panic("op #%u of cpu %u runs on the stack of cpu %u, "
			    "xAPIC ID %u", s->i, s->cpu, me, apic);
	MB->op_cpu[s->i] = (uint8_t)apic;
	s->rc = hm_exec_step(s->x, s->ops, s->i, s->res);
}

int guest_smp_exec_run(struct hm_exec *x, const struct hm_kop *ops,
		       uint32_t n, struct hm_kop_result *res,
		       uint32_t *stopped_at)
{
	for (uint32_t i = 0; i < n; i++) {
		struct step s = { x, ops, res, i, guest_cpu, HM_EXEC_NEXT };

		if (s.cpu == 0)
			run_step(&s);	/* we are cpu 0 */
		else
			guest_smp_call_function_single(s.cpu, run_step, &s);
		if (s.rc != HM_EXEC_NEXT) {
			*stopped_at = i;
			return s.rc;
		}
	}
	*stopped_at = n;
	return HM_EXEC_DONE;
}
