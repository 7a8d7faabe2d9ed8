/* SPDX-License-Identifier: MIT */
/*
 * smp_ops.c - an op sequence on real vCPUs, in a VM with as many vCPUs as
 * the sequence has CPUs: each op runs on the vCPU of the CPU the sequence
 * has current at that op.
 *
 * cpu 0 walks the list.  The ops of another CPU go to that vCPU with
 * smp_call_function_single() (smp.c), a run at a time: it runs them for
 * as long as its CPU stays current, and cpu 0 sleeps until the run ends
 * (a cpu op that moved, the end, or a stop).  So the ops still run one at
 * a time and in order, as on the simulator, which keeps the op-by-op
 * comparison exact; what changes is where they run: smp_processor_id() is
 * the vCPU's own, each CPU's temporary maps are set and invlpg'd in its
 * own slots by its own vCPU, and a range flush on any CPU is a real
 * shootdown IPI to all the others.  (One op per hand-over would cost two
 * IPIs and two wake-ups an op.)
 *
 * A cpu op runs on the CPU being left: hm_cpu_may_move() reports a move
 * with preemption or migration off (a temporary map held) and refuses it,
 * as the simulator's hm_set_cpu() does, so the sequence stays there.
 */
#include "kvm_runner/guest/guest.h"
#include "kvm_runner/ops_exec.h"

struct run {
	struct hm_exec *x;
	const struct hm_kop *ops;
	struct hm_kop_result *res;
	uint32_t i, n;		/* the next op; ops in all */
	unsigned cpu;		/* the vCPU it must run on */
	int rc;			/* hm_exec_step()'s last */
};

/* On r->cpu: ops from r->i on, while this CPU stays current.  A stop
 * leaves r->i at the op that stopped. */
static void run_ops(void *info)
{
	struct run *r = info;
	unsigned me = guest_this_cpu(), apic = guest_apic_id();

	/* smp_processor_id() comes from the stack; the xAPIC has the last
	 * word, and the host checks op_cpu against the simulator's CPU. */
	if (me != r->cpu || apic != me)
		guest_panic("op #%u of cpu %u runs on the stack of cpu %u, "
			    "xAPIC ID %u", r->i, r->cpu, me, apic);
	while (r->i < r->n && guest_cpu == me) {
		MB->op_cpu[r->i] = (uint8_t)apic;
		r->rc = hm_exec_step(r->x, r->ops, r->i, r->res);
		if (r->rc != HM_EXEC_NEXT)
			return;
		r->i++;
	}
}

int guest_smp_exec_run(struct hm_exec *x, const struct hm_kop *ops,
		       uint32_t n, struct hm_kop_result *res,
		       uint32_t *stopped_at)
{
	struct run r = { x, ops, res, 0, n, 0, HM_EXEC_NEXT };

	while (r.i < n) {
		r.cpu = guest_cpu;
		if (r.cpu == 0)
			run_ops(&r);	/* we are cpu 0 */
		else
			guest_smp_call_function_single(r.cpu, run_ops, &r);
		if (r.rc != HM_EXEC_NEXT) {
			*stopped_at = r.i;
			return r.rc;
		}
	}
	*stopped_at = n;
	return HM_EXEC_DONE;
}
