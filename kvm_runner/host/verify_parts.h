/* SPDX-License-Identifier: MIT */
/*
 * verify_parts.h - the pieces of one sequence's verification, below
 * verify.c which joins them:
 *
 *   checker.c     failed checks, op names, BUG messages compared
 *   reference.c   the reference run, on the simulator
 *   checks.c      the guest's results, tables and memory against it
 *   verify_smp.c  what a run on several vCPUs adds
 *   judge.c       how the guest's run ended, against the prediction
 */
#ifndef HM_KVM_VERIFY_PARTS_H
#define HM_KVM_VERIFY_PARTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/highmem.h"
#include "core/layout.h"
#include "kvm_runner/host/machine.h"
#include "kvm_runner/host/runner.h"
#include "kvm_runner/ops_exec.h"

/* checker.c: the failed checks of the sequence being verified: the first
 * is the FAIL line's reason, a few more are printed as "also:". */
struct checker {
	const struct job *job;
	int failures;
	char first[512];
};
void checker__fail(struct checker *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "kmap 0x38000 0" */
const char *kop__text(const struct hm_kop *op, char *buf, size_t n);
/* The same BUG, from the guest's core and the simulator's? */
bool bug__same(const char *a, const char *b);

/* reference.c: the simulator's run of a job. */
struct logged_write {
	uint32_t pfn, off, val, order;
	bool maybe;	/* one of the two frames a stale access may reach */
};

/* What a word may hold after the writes of @w[0 .. @n - 1] to it (others
 * skipped), in order: the last sure write's value (0 before any), or that
 * of any "maybe" write after it.  Into @ok; false if there are too many
 * to list (then anything goes). */
#define HM_MAY_HOLD_MAX	8
struct may_hold {
	unsigned n;
	bool any;
	uint32_t v[HM_MAY_HOLD_MAX];
};
void logged__may_hold(const struct logged_write *w, size_t n, uint32_t pfn,
		      uint32_t off, struct may_hold *ok);
/* One more value @ok may hold; past HM_MAY_HOLD_MAX, any. */
static inline void may_hold__add(struct may_hold *ok, uint32_t v)
{
	if (ok->n < HM_MAY_HOLD_MAX)
		ok->v[ok->n++] = v;
	else
		ok->any = true;
}

static inline bool may_hold__has(const struct may_hold *ok, uint32_t v)
{
	for (unsigned i = 0; i < ok->n; i++)
		if (ok->v[i] == v)
			return true;
	return ok->any;
}

/* An access the simulator made through a TLB entry its page tables no
 * longer hold (kernel mode), which hardware may or may not use. */
struct stale_access {
	uint32_t op, vaddr;
	uint32_t tlb_pfn;	/* the frame the simulator's TLB gave */
	uint32_t pte_pfn;	/* the one the PTE names now (0: none) */
	bool write;
};

struct sim_run {
	struct hm_exec x;
	struct hm_ctx *ctx;
	int outcome;			/* enum hm_exec_outcome */
	uint32_t stopped;		/* the op that stopped it */
	struct hm_kop_result *res;
	uint32_t bug_count;
	char bug_msg[HM_MB_MSG_LEN];
	struct hm_stats stats;
	uint32_t last_pkmap_nr, cpu;
	uint64_t pkmap_pte[LAST_PKMAP_PAE];
	uint64_t fix_pte[HM_SMP_MAX_CPUS][HM_KM_SLOTS_MAX];
	struct hm_layout layout;	/* the sequence's: kernel, CPUs, debug */
	struct logged_write *log;	/* every tagged write */
	size_t nlog, caplog;
	volatile uint32_t cur_op;	/* the op running (x.ops_done) */
	uint32_t nres;
	/* Predicted stale accesses (above); and once one happened, what each
	 * read op may return (n 0: exactly the simulator's value): what the
	 * word may hold in the frame the simulator reached, and, if stale, in
	 * the one the PTE names. */
	struct stale_access *stale;
	size_t nstale, capstale;
	struct may_hold *read_ok;
	uint8_t *op_cpu;		/* the CPU current at each op */
	uint64_t flushes_by[HM_SMP_MAX_CPUS];	/* range flushes, by CPU */
	uint32_t nr_cpus;		/* the job's, with x.flags its config */
	bool kept;			/* ctx goes back to reference__keep's
					 * pool if the run can be undone */
	bool log_lost;			/* a write not logged (no memory) */
};
/* A new run of @job as sequence @seq_no: 0, or HM_EXIT_INTERNAL with
 * @why (*@s to reference__free(), NULL or not). */
int reference__run(struct sim_run **s, const struct job *job,
		   uint32_t seq_no, char *why, size_t whysz);
void reference__free(struct sim_run *s);
/* Simulator contexts for reference__run: a new one each run (the default),
 * kept between runs and reset, or kept and each run checked against a run
 * on a new one (any difference: HM_EXIT_INTERNAL, with what differs). */
enum reference_keep {
	REFERENCE_FRESH,
	REFERENCE_KEEP,
	REFERENCE_KEEP_CHECKED,
};
void reference__keep(enum reference_keep mode);
/* The access op @op made through page @vaddr on a stale TLB entry of the
 * simulator's, or NULL. */
const struct stale_access *reference__stale_at(const struct sim_run *s,
					       uint32_t op, uint32_t vaddr);
extern const char *const hm_outcome_names[];

/* checks.c: a run that ended as predicted, compared. */
void checks__results(struct hm_machine *m, const struct job *job,
		     struct sim_run *s, struct checker *c);
/* A stale translation the guest caught (HM_MB_BOOT_STALE_CHECK): a
 * failure, or, where the simulator went through the same stale TLB entry
 * (kernel mode), the prediction: returns the guest's stale accesses then
 * accepted. */
uint32_t checks__stale(struct hm_machine *m, const struct job *job,
		       const struct sim_run *s, struct checker *c);
/* Memory; then every data frame is given back.  0 or HM_EXIT_INTERNAL. */
int checks__memory(struct hm_machine *m, struct sim_run *s,
		   struct checker *c);

/* verify_smp.c: a sequence that ran on several vCPUs.  Check each op's
 * vCPU against the simulator's CPU, and each vCPU's shootdown acks
 * against the range flushes the simulator made on the others; append to
 * the verdict's @buf the ops and acks by vCPU; or, after the watchdog,
 * what each vCPU was waiting for. */
void verify_smp__check(struct hm_machine *m, const struct job *job,
		       const struct sim_run *s, struct checker *c);
void verify_smp__detail(struct hm_machine *m, const struct job *job,
			const struct sim_run *s, char *buf, size_t size);
void verify_smp__waits(struct hm_machine *m, char *buf, size_t size);

/* judge.c: how the guest's run ended (@st), against the simulator's
 * prediction: the verdict's detail and what to dump after it. */
struct verdict {
	char detail[1024];
	bool dump;		/* registers of st.cpu */
	bool walk;		/* and a page walk of walk_va */
	uint32_t walk_va;
	bool walk_eip;		/* a page walk of EIP (triple fault) */
};
void judge__stop(struct hm_machine *m, const struct job *job,
		 const struct sim_run *s, const struct hm_stop *st,
		 unsigned timeout_ms, struct checker *c, struct verdict *v);

#endif /* HM_KVM_VERIFY_PARTS_H */
