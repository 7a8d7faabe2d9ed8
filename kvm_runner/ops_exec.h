/* SPDX-License-Identifier: MIT */
/*
 * ops_exec.h - the op interpreter: run a list of mailbox ops (mailbox.h,
 * codes from fuzz/op_table.h) against a highmem context, giving their
 * arguments the meaning fuzz/op_meaning.h defines for every runner.
 *
 * The same source runs in the guest, over real page tables, and on the
 * host, over the simulator: so the differential check compares two runs of
 * one interpreter.  Freestanding.
 *
 * Every map that succeeds gets a tag written through it, at
 * HM_OP_READ_OFFSET (so a read sees the newest map's tag unless a write
 * came later); every write goes through write32, where the host's
 * reference run logs the frame it reached (host/reference.c), so the host
 * can check that the data landed there and nowhere else.
 */
#ifndef HM_KVM_OPS_EXEC_H
#define HM_KVM_OPS_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/highmem.h"
#include "fuzz/op_meaning.h"
#include "kvm_runner/mailbox.h"

/* A deliberate bug, only ever defined for a guest built for the tests
 * (BUILD.bazel's INJECTED), to prove the host catches it: after a
 * switch_task the interpreter parks the outgoing task's maps but never
 * brings the incoming task's back, so its reads and writes go through
 * the wrong maps. */
#ifndef HM_EXEC_INJECT_NO_PARK
#define HM_EXEC_INJECT_NO_PARK 0
#endif

/* Live mappings a sequence can hold at once; more maps still happen, but
 * get no tag and cannot be written through. */
#define HM_EXEC_MAX_MAPS	1024

/* How a run stopped. */
enum hm_exec_outcome {
	HM_EXEC_NEXT = -1,	/* hm_exec_step: on to the next op */
	HM_EXEC_DONE,		/* every op ran */
	HM_EXEC_FAULT,		/* a touch found no translation */
	HM_EXEC_HANG,		/* asked to hang */
	HM_EXEC_TRIPLE,		/* asked to triple-fault */
	HM_EXEC_BUG,		/* a BUG() with HM_MB_BUG_FATAL */
};

struct hm_exec;

/* What differs between the guest and the host: memory access, CPUs,
 * reset, and the misbehaving ops (which return only on the host). */
struct hm_exec_ops {
	void (*write32)(struct hm_exec *x, hm_vaddr_t vaddr, uint32_t val);
	uint32_t (*read32)(struct hm_exec *x, hm_vaddr_t vaddr);
	/* false: no translation (the guest takes a page fault instead) */
	bool (*touch)(struct hm_exec *x, hm_vaddr_t vaddr, uint32_t *val);
	void (*set_cpu)(struct hm_exec *x, unsigned cpu);
	unsigned (*this_cpu)(struct hm_exec *x);	/* smp_processor_id() */
	void (*reset)(struct hm_exec *x);
	void (*hang)(struct hm_exec *x);
	void (*triple)(struct hm_exec *x);
};

struct hm_exec {
	struct hm_ctx *ctx;
	const struct hm_exec_ops *ops;
	void *priv;
	uint32_t seq_no;
	uint32_t flags;			/* HM_MB_* */
	/* Raised by the runner's BUG hook (hm_exec_report): BUGs, and the
	 * WARNs of HM_REPORT_KERNEL, after which the call goes on. */
	volatile uint32_t bugs, warns;
	volatile uint32_t *ops_done;	/* where progress goes (may be NULL) */
	uint32_t fault_vaddr;		/* HM_EXEC_FAULT: the address */
	/* Set by a read32/write32 that found no translation (the host's;
	 * the guest takes a page fault instead, kernel mode's stale slots
	 * make it possible): the op stops the run at fault_vaddr. */
	bool faulted;
	/* The live mappings (op_meaning.h), and the temporary maps of the
	 * tasks switched out; lives.n = parked.n = 0 forgets them. */
	struct hm_lives lives;
	struct hm_live maps[HM_EXEC_MAX_MAPS];
	struct hm_parked parked;
	struct hm_live parked_maps[HM_EXEC_MAX_MAPS];
	uint8_t parked_task[HM_EXEC_MAX_MAPS];
};

/*
 * The runner's BUG hook calls this for every report of the core: counted
 * for the op running, a WARN apart from a BUG.  True when the report is
 * the one the runner keeps as the sequence's message (HM_EXEC_REPORT_FMT,
 * compared between the runs): the first, or a BUG that stops the run
 * (HM_MB_BUG_FATAL; a WARN never stops it).  @count: the runner's count of
 * reports.
 */
static inline bool hm_exec_report(struct hm_exec *x, const struct hm_bug *bug,
				  uint32_t *count)
{
	if (bug->warn)
		x->warns++;
	else
		x->bugs++;
	return (*count)++ == 0 ||
	       (!bug->warn && (x->flags & HM_MB_BUG_FATAL));
}

/* The words of that message: the kernel's ("kernel BUG at FILE:LINE" or
 * "WARNING: at FILE:LINE"), then where and what. */
#define HM_EXEC_REPORT_FMT	"%s at %s:%u in %s() on cpu %u: %s"
#define HM_EXEC_REPORT_ARGS(b)						\
	(b)->warn ? "WARNING:" : "kernel BUG", (b)->file, (b)->line,	\
	(b)->func, (b)->cpu, (b)->msg

/* Run @n ops, filling @res; returns enum hm_exec_outcome with *@stopped_at
 * the op that stopped it (or @n). */
int hm_exec_run(struct hm_exec *x, const struct hm_kop *op, uint32_t n,
		struct hm_kop_result *res, uint32_t *stopped_at);
/* Run op @i alone, filling @res[@i]: HM_EXEC_NEXT, or the outcome that
 * stops the run at this op.  hm_exec_run() is a loop of these; a runner
 * that spreads the ops over several CPUs calls it on each op's CPU, one op
 * at a time (@x is shared, not locked). */
int hm_exec_step(struct hm_exec *x, const struct hm_kop *ops, uint32_t i,
		 struct hm_kop_result *res);

/* The tag written through a new mapping: never 0, different for every
 * op, sequence and frame. */
static inline uint32_t hm_exec_tag(uint32_t seq_no, uint32_t op_idx,
				   uint32_t pfn)
{
	uint32_t t = (seq_no * 0x9E3779B1u) ^ (op_idx * 0x85EBCA77u) ^
		     (pfn * 0xC2B2AE3Du);

	return t ? t : 1;
}

#endif /* HM_KVM_OPS_EXEC_H */
