/* SPDX-License-Identifier: MIT */
/*
 * judge.c - how the guest's run of a sequence ended, against how the
 * simulator predicted it would: a page fault must be a #PF at the same op
 * and address, a fatal BUG the same message, a hang the watchdog, a
 * triple fault a shutdown; anything else is a failure with its name.
 * Whatever the backend: KVM and QEMU report the same things (machine.h).
 */
#include <string.h>

#include "kvm_runner/host/verify_parts.h"

static const char *pf_error_text(uint32_t err, char *buf, size_t n)
{
	snprintf(buf, n, "%s %s, %s%s", err & 1 ? "protection" : "not-present",
		 err & 2 ? "write" : "read", err & 4 ? "user" : "supervisor",
		 err & 8 ? ", reserved bit" : "");
	return buf;
}

/* "op #N name a b", or "(none)" past the end. */
static const char *at_op(const struct job *job, uint32_t i, char *buf,
			 size_t n)
{
	char t[96];

	if (i < job->n)
		snprintf(buf, n, "op #%u %s", i,
			 kop__text(&job->ops[i], t, sizeof(t)));
	else
		snprintf(buf, n, "op #%u (none)", i);
	return buf;
}

static void judge_fault(const struct hm_mailbox *mb, const struct job *job,
			const struct sim_run *s, const struct hm_stop *st,
			const char *on, struct checker *c, struct verdict *v)
{
	char sym[96], e[64], o[128];
	bool pf = st->vec == 14;
	const struct stale_access *sa;

	snprintf(v->detail, sizeof(v->detail),
		 "guest exception %u%s%s, error code %#x%s%s%s, CR2 %#x, EIP "
		 "%#x <%s>, at %s", st->vec, pf ? " (#PF)" : "", on, st->err,
		 pf ? " (" : "", pf ? pf_error_text(st->err, e, sizeof(e)) : "",
		 pf ? ")" : "", st->cr2, st->eip,
		 x86__guest_symbol(st->eip, sym, sizeof(sym)),
		 at_op(job, mb->ops_done, o, sizeof(o)));
	sa = pf && !(st->err & 1) ? reference__stale_at(s, mb->ops_done,
							   st->cr2) : NULL;
	if (sa && !sa->pte_pfn) {
		/* Kernel mode: the simulator went on through a TLB entry
		 * over a PTE the kernel had cleared.  A TLB that no longer
		 * holds it (PVM's walks, QEMU's evictions) faults there: as
		 * legal an outcome as the simulator's. */
		snprintf(v->detail + strlen(v->detail),
			 sizeof(v->detail) - strlen(v->detail),
			 "; the simulator went through a stale TLB entry "
			 "there, over a PTE the kernel cleared: this TLB no "
			 "longer held it");
	} else if (s->outcome != HM_EXEC_FAULT)
		checker__fail(c, "%s; the simulator %s", v->detail,
			      s->outcome == HM_EXEC_DONE ?
			      "ran every op without a fault" :
			      hm_outcome_names[s->outcome]);
	else if (!pf || st->cr2 != s->x.fault_vaddr ||
		 mb->ops_done != s->stopped)
		checker__fail(c, "%s; the simulator predicted #PF at %#x at "
			      "op #%u", v->detail, s->x.fault_vaddr, s->stopped);
	v->dump = true;
	v->walk = true;
	v->walk_va = st->cr2;
}

static void judge_report(const struct hm_mailbox *mb, const struct job *job,
			 const struct sim_run *s, const struct hm_stop *st,
			 const char *on, struct checker *c, struct verdict *v)
{
	if (st->port == HM_PORT_FAULT) {
		judge_fault(mb, job, s, st, on, c, v);
	} else if (st->port == HM_PORT_BUG) {
		snprintf(v->detail, sizeof(v->detail), "guest BUG: %.*s",
			 HM_MB_MSG_LEN, mb->bug_msg);
		if (s->outcome != HM_EXEC_BUG)
			checker__fail(c, "%s; the simulator reported no BUG",
				      v->detail);
		else if (!bug__same(mb->bug_msg, s->bug_msg))
			checker__fail(c, "%s; the simulator's: %s", v->detail,
				      s->bug_msg);
	} else if (st->port == HM_PORT_PANIC) {
		checker__fail(c, "guest panic%s: %.*s", on, HM_MB_MSG_LEN,
			      mb->panic_msg);
		v->dump = true;
	} else {
		checker__fail(c, "OUT to unknown port %#x (value %#x)%s",
			      st->port, st->value, on);
		v->dump = true;
	}
}

static void judge_timeout(struct hm_machine *m, const struct job *job,
			  const struct sim_run *s, unsigned timeout_ms,
			  struct checker *c, struct verdict *v)
{
	const struct hm_mailbox *mb = machine__mailbox(m);
	bool smp = m->nr_vcpus > 1;

	snprintf(v->detail, sizeof(v->detail), "watchdog: the guest did not "
		 "finish within %u ms (at op #%u)", timeout_ms, mb->ops_done);
	if (smp && mb->ops_done < job->n &&
	    mb->op_cpu[mb->ops_done] < HM_SMP_MAX_CPUS)
		snprintf(v->detail + strlen(v->detail) - 1,
			 sizeof(v->detail) - strlen(v->detail) + 1,
			 " on cpu %u)", mb->op_cpu[mb->ops_done]);
	if (smp)
		verify_smp__waits(m, v->detail, sizeof(v->detail));
	if (s->outcome != HM_EXEC_HANG)
		checker__fail(c, "%s", v->detail);
	v->dump = true;
}

void judge__stop(struct hm_machine *m, const struct job *job,
		 const struct sim_run *s, const struct hm_stop *st,
		 unsigned timeout_ms, struct checker *c, struct verdict *v)
{
	const struct hm_mailbox *mb = machine__mailbox(m);
	char on[32] = "", o[128];

	if (m->nr_vcpus > 1)
		snprintf(on, sizeof(on), " on cpu %u", st->cpu);
	switch (st->kind) {
	case HM_STOP_REPORT:
		judge_report(mb, job, s, st, on, c, v);
		break;
	case HM_STOP_SHUTDOWN:
		snprintf(v->detail, sizeof(v->detail), "%s: triple fault%s at "
			 "%s", st->what, on, at_op(job, mb->ops_done, o,
						   sizeof(o)));
		if (s->outcome != HM_EXEC_TRIPLE)
			checker__fail(c, "%s", v->detail);
		v->dump = true;
		v->walk_eip = true;
		break;
	case HM_STOP_TIMEOUT:
		judge_timeout(m, job, s, timeout_ms, c, v);
		break;
	case HM_STOP_DIED:
		checker__fail(c, "%s%s", st->what, on);
		v->dump = true;
		break;
	}
}
