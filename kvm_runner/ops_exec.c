/* SPDX-License-Identifier: MIT */
/* ops_exec.c - the op interpreter shared by guest and host; see ops_exec.h.
 * What the arguments mean is fuzz/op_meaning.h's. */
#include "kvm_runner/ops_exec.h"

static unsigned this_cpu(struct hm_exec *x)
{
	return x->ops->this_cpu(x);
}

/* PFN (op_meaning.h: out of range picks from the pool) */
static uint32_t pfn_of(struct hm_exec *x, uint32_t raw)
{
	return hm_op_pfn(raw, (uint32_t)hm_first_free_pfn(x->ctx),
			 (uint32_t)hm_max_low_pfn(x->ctx),
			 (uint32_t)hm_max_pfn(x->ctx));
}

/* May we write into @pfn?  Not into the frames that hold the kernel's own
 * tables and image (the guest would corrupt itself), nor outside memory. */
static bool writable_pfn(struct hm_exec *x, uint32_t pfn)
{
	return pfn >= hm_first_free_pfn(x->ctx) && pfn < hm_max_pfn(x->ctx);
}

static void tagged_write(struct hm_exec *x, const struct hm_live *m,
			 uint32_t off, uint32_t val)
{
	if (!writable_pfn(x, m->pfn))
		return;
	x->ops->write32(x, m->vaddr + off, val);
}

/* Remember a new mapping and write its tag through it. */
static void add_map(struct hm_exec *x, uint32_t op_idx, uint32_t pfn,
		    hm_vaddr_t vaddr, enum hm_live_kind kind, unsigned type)
{
	struct hm_live *m;

	if (!vaddr)
		return;
	m = hm_live_add(&x->lives, pfn, vaddr, kind, this_cpu(x), type,
			pfn >= hm_max_low_pfn(x->ctx));
	if (m)
		tagged_write(x, m, HM_OP_READ_OFFSET,
			     hm_exec_tag(x->seq_no, op_idx, pfn));
}

/* Forget @m if the op that undid it went ahead (no BUG). */
static void drop_map(struct hm_exec *x, struct hm_live *m, uint32_t bugs)
{
	if (m && x->bugs == bugs)
		hm_live_del(&x->lives, m);
}

static hm_vaddr_t vaddr_of(const struct hm_live *m)
{
	return m ? m->vaddr : 0;	/* no such map: the core reports 0 */
}

/* The temporary maps SLOT counts */
#define SLOT_KINDS	(HM_LIVE_KIND(HM_LIVE_ATOMIC) |	\
			 HM_LIVE_KIND(HM_LIVE_LOCAL))

/* The core calls (op_meaning.h's hm_op_call), their arguments resolved
 * by kind, and the live mappings they make and undo. */
static uint32_t core_op(struct hm_exec *x, const struct hm_kop *op,
			uint32_t i, uint32_t bugs)
{
	const struct hm_op_info *info = hm_op_info_of(op->code);
	uint32_t pfn = 0, type = 0, value;
	unsigned cpu = this_cpu(x), prev = 0;
	struct page *page = (struct page *)0;
	struct hm_live *m = (struct hm_live *)0;
	int kind = hm_op_live_kind(op->code);

	if (!info)	/* the host validates codes; be safe anyway */
		return 0;
	for (int a = 0; a < 2; a++) {
		uint32_t v = a ? op->b : op->a;

		switch (info->arg[a]) {
		case HM_ARG_PFN:
			pfn = pfn_of(x, v);
			page = hm_pfn_to_page(x->ctx, pfn);
			if (op->code == HM_OP_KUNMAP)
				m = hm_live_user(&x->lives, pfn);
			break;
		case HM_ARG_SLOT:
			m = hm_live_temp(&x->lives, cpu, v, SLOT_KINDS);
			break;
		case HM_ARG_TYPE:
			type = v;
			if (kind < 0)	/* kunmap_atomic_type */
				m = hm_live_typed(&x->lives, cpu, v);
			break;
		case HM_ARG_TASK:	/* the core refuses a bad one */
			type = v;
			prev = hm_current_task(x->ctx, cpu);
			break;
		default:
			break;
		}
	}
	value = hm_op_call(x->ctx, op->code, page, vaddr_of(m), type);
	if (kind >= 0)
		add_map(x, i, pfn, value, (enum hm_live_kind)kind, type);
	else if (op->code == HM_OP_SWITCH_TASK && x->bugs == bugs &&
		 type != prev)
		hm_live_switch_task(&x->lives, &x->parked, cpu, prev,
				    HM_EXEC_INJECT_NO_PARK ? HM_MAX_TASKS :
							     type);
	else
		drop_map(x, m, bugs);
	return value;
}

int hm_exec_step(struct hm_exec *x, const struct hm_kop *ops, uint32_t i,
		 struct hm_kop_result *res)
{
	const struct hm_kop *op = &ops[i];
	uint32_t bugs = x->bugs, warns = x->warns, value = 0;
	struct hm_live *m;

	/* the set's storage is in @x, which its owner zeroes or resets
	 * (lives.n = 0) but need not wire up */
	x->lives.v = x->maps;
	x->lives.max = HM_EXEC_MAX_MAPS;
	x->parked.v = x->parked_maps;
	x->parked.task = x->parked_task;
	x->parked.max = HM_EXEC_MAX_MAPS;
	if (x->ops_done)
		*x->ops_done = i;
	switch (op->code) {
	case HM_OP_WRITE:	/* none to go through: nothing is written */
		m = hm_live_pick(&x->lives, this_cpu(x), op->a);
		if (m)
			tagged_write(x, m, hm_op_write_offset(op->b,
							      this_cpu(x)),
				     op->b);
		break;
	case HM_OP_READ:
		m = hm_live_pick(&x->lives, this_cpu(x), op->a);
		if (m && writable_pfn(x, m->pfn))
			value = x->ops->read32(x, m->vaddr + HM_OP_READ_OFFSET);
		break;
	case HM_OP_CPU:
		x->ops->set_cpu(x, op->a);
		break;
	case HM_OP_RESET:
		x->ops->reset(x);
		x->lives.n = 0;
		x->parked.n = 0;
		break;
	case HM_OP_TOUCH:
		if (!x->ops->touch(x, op->a, &value)) {
			x->fault_vaddr = op->a;
			return HM_EXEC_FAULT;
		}
		break;
	case HM_OP_HANG:
		x->ops->hang(x);
		return HM_EXEC_HANG;
	case HM_OP_TRIPLE:
		x->ops->triple(x);
		return HM_EXEC_TRIPLE;
	default:	/* the core calls */
		value = core_op(x, op, i, bugs);
		break;
	}
	if (x->faulted)
		return HM_EXEC_FAULT;
	res[i].value = value;
	res[i].bugs = (uint16_t)(x->bugs - bugs);
	res[i].warns = (uint16_t)(x->warns - warns);
	if (res[i].bugs && (x->flags & HM_MB_BUG_FATAL))
		return HM_EXEC_BUG;
	return HM_EXEC_NEXT;
}

int hm_exec_run(struct hm_exec *x, const struct hm_kop *ops, uint32_t n,
		struct hm_kop_result *res, uint32_t *stopped_at)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		int rc = hm_exec_step(x, ops, i, res);

		if (rc != HM_EXEC_NEXT) {
			*stopped_at = i;
			return rc;
		}
	}
	*stopped_at = n;
	return HM_EXEC_DONE;
}
