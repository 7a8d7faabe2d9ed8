/* SPDX-License-Identifier: MIT */
/*
 * reference.c - the reference run of a sequence, on the simulator
 * (//core:highmem_lib) through ops_exec.c, op by op: each op's result,
 * every tagged write and the frame it is meant for, the CPU current at
 * each op and the range flushes each CPU made; then the core's final
 * state (counters, PTEs) for the checks.
 */
#include <stdlib.h>
#include <string.h>

#include "kvm_runner/host/verify_parts.h"

const char *const hm_outcome_names[] = {
	[HM_EXEC_DONE] = "ran to the end",
	[HM_EXEC_FAULT] = "page fault",
	[HM_EXEC_HANG] = "hang",
	[HM_EXEC_TRIPLE] = "triple fault",
	[HM_EXEC_BUG] = "fatal BUG",
};

/* The same hook as the guest's (guest/main.c): BUGs and WARNs counted
 * for their op, the sequence's message kept the same way. */
static void sim_bug(void *arg, const struct hm_bug *bug)
{
	struct sim_run *s = arg;

	if (hm_exec_report(&s->x, bug, &s->bug_count))
		snprintf(s->bug_msg, sizeof(s->bug_msg), HM_EXEC_REPORT_FMT,
			 HM_EXEC_REPORT_ARGS(bug));
}

/*
 * Where an access through @va goes: the frame the simulator's TLB gives
 * (*@pfn, the one its access then reaches), and, where that is a
 * translation the page tables no longer hold (kernel mode: an out-of-order
 * unmap leaves the top slot in the TLB), the frame the PTE names now
 * (*@alt, 0 if none).  Real hardware may use either: a TLB that kept the
 * entry (QEMU's) the first, one that walks the tables (PVM) or evicted it
 * the second.  The access is noted as such a "predicted stale" one.
 */
static void s_reach(struct sim_run *s, hm_vaddr_t va, bool write,
		    uint32_t *pfn, uint32_t *alt)
{
	hm_paddr_t pt = 0, pw = 0;
	bool from_tlb;
	int walked = hm_sim_walk(s->ctx, va, &pw);

	*pfn = *alt = 0;
	if (hm_sim_translate(s->ctx, va, &pt, &from_tlb) != HM_OK)
		return;
	*pfn = (uint32_t)(pt >> 12);
	if (walked == HM_OK && pw >> 12 == pt >> 12)
		return;
	*alt = walked == HM_OK ? (uint32_t)(pw >> 12) : 0;
	if (s->nstale == s->capstale) {
		size_t cap = s->capstale ? 2 * s->capstale : 16;
		struct stale_access *p = realloc(s->stale, cap * sizeof(*p));

		if (!p)
			return;	/* a guest's stale access then fails */
		s->stale = p;
		s->capstale = cap;
	}
	s->stale[s->nstale++] = (struct stale_access){
		s->cur_op, va, *pfn, *alt, write };
}

static void s_log(struct sim_run *s, uint32_t pfn, uint32_t off, uint32_t val,
		  bool maybe)
{
	if (s->nlog == s->caplog) {
		size_t cap = s->caplog ? 2 * s->caplog : 256;
		struct logged_write *l = realloc(s->log, cap * sizeof(*l));

		if (!l) {
			s->log_lost = true;	/* and the context is not kept */
			return;	/* the check then reports a stray write */
		}
		s->log = l;
		s->caplog = cap;
	}
	s->log[s->nlog] = (struct logged_write){ pfn, off, val,
						 (uint32_t)s->nlog, maybe };
	s->nlog++;
}

/* A tagged write, logged with the frame it reached; a predicted stale one
 * with both frames it may reach, each a "maybe". */
static void s_write32(struct hm_exec *x, hm_vaddr_t va, uint32_t val)
{
	struct sim_run *s = x->priv;
	uint32_t pfn, alt;

	s_reach(s, va, true, &pfn, &alt);
	if (x->faulted)
		return;
	if (hm_sim_write(x->ctx, va, &val, 4) != HM_OK) {
		x->faulted = true;	/* where the guest takes a #PF */
		x->fault_vaddr = va;
		return;
	}
	s_log(s, pfn, va & 0xfff, val, alt != 0);
	if (alt)
		s_log(s, alt, va & 0xfff, val, true);
}

void logged__may_hold(const struct logged_write *w, size_t n, uint32_t pfn,
		      uint32_t off, struct may_hold *ok)
{
	ok->n = 1;
	ok->v[0] = 0;
	ok->any = false;
	for (size_t i = 0; i < n; i++) {
		if (w[i].pfn != pfn || w[i].off != off)
			continue;
		if (!w[i].maybe)
			ok->n = 0;
		may_hold__add(ok, w[i].val);
	}
}

/* A read.  Once a stale access happened, the guest's memory may differ
 * from the simulator's where a "maybe" write went: the read may return
 * whatever the word may hold, in the frame the simulator read or (a stale
 * read) in the one the PTE names. */
static uint32_t s_read32(struct hm_exec *x, hm_vaddr_t va)
{
	struct sim_run *s = x->priv;
	uint32_t v = 0, pfn, alt;
	struct may_hold *ok, other;

	s_reach(s, va, false, &pfn, &alt);
	if (!x->faulted && hm_sim_read(x->ctx, va, &v, 4) != HM_OK) {
		x->faulted = true;
		x->fault_vaddr = va;
	}
	if (!s->nstale || s->cur_op >= s->nres)
		return v;
	ok = &s->read_ok[s->cur_op];
	logged__may_hold(s->log, s->nlog, pfn, va & 0xfff, ok);
	if (!alt)
		return v;
	logged__may_hold(s->log, s->nlog, alt, va & 0xfff, &other);
	ok->any |= other.any;
	for (unsigned i = 0; i < other.n; i++)
		may_hold__add(ok, other.v[i]);
	return v;
}

static bool s_touch(struct hm_exec *x, hm_vaddr_t va, uint32_t *val)
{
	return hm_sim_read(x->ctx, va, val, 4) == HM_OK;
}

static void s_set_cpu(struct hm_exec *x, unsigned cpu)
{
	hm_set_cpu(x->ctx, cpu);
}

static unsigned s_this_cpu(struct hm_exec *x)
{
	return hm_smp_processor_id(x->ctx);
}

static void s_reset(struct hm_exec *x)
{
	hm_reset(x->ctx);
}

static void s_nothing(struct hm_exec *x)
{
	(void)x;	/* the guest hangs or dies here; the outcome says so */
}

static const struct hm_exec_ops sim_exec_ops = {
	.write32 = s_write32,
	.read32 = s_read32,
	.touch = s_touch,
	.set_cpu = s_set_cpu,
	.this_cpu = s_this_cpu,
	.reset = s_reset,
	.hang = s_nothing,
	.triple = s_nothing,
};

/*
 * Contexts kept between runs (reference__keep): hm_create() maps a GiB,
 * allocates TLBs and builds page tables, ~100 µs, where hm_reset() costs
 * what the run used.  One per configuration (the job's CPUs and flags
 * decide it), the least recently used one replaced.  A kept context is
 * given back only after a run that ended as a sequence does (no fatal
 * BUG, fault or hang) and whose writes can be undone word by word; then
 * it is reset and every word written zeroed, so that it is what
 * hm_create() would give (hm_reset() keeps frame contents).
 */
#define KEPT_MAX	8

static struct {
	enum reference_keep mode;
	unsigned tick;
	struct kept {
		struct hm_ctx *ctx;
		uint32_t nr_cpus, flags;
		unsigned used;		/* tick of its last use */
	} k[KEPT_MAX];
} kept;

void reference__keep(enum reference_keep mode)
{
	if (mode == REFERENCE_FRESH)
		for (unsigned i = 0; i < KEPT_MAX; i++)
			if (kept.k[i].ctx) {
				hm_destroy(kept.k[i].ctx);
				kept.k[i].ctx = NULL;
			}
	kept.mode = mode;
}

/* A kept context of @job's configuration, taken out of the pool. */
static struct hm_ctx *kept_take(const struct job *job)
{
	for (unsigned i = 0; i < KEPT_MAX; i++) {
		struct kept *k = &kept.k[i];
		struct hm_ctx *ctx = k->ctx;

		if (ctx && k->nr_cpus == job->nr_cpus && k->flags == job->flags) {
			k->ctx = NULL;
			return ctx;
		}
	}
	return NULL;
}

/* Back into the pool, in place of the least recently used one. */
static void kept_give(struct hm_ctx *ctx, uint32_t nr_cpus, uint32_t flags)
{
	struct kept *victim = &kept.k[0];

	for (unsigned i = 0; i < KEPT_MAX; i++) {
		if (!kept.k[i].ctx) {
			victim = &kept.k[i];
			break;
		}
		if (kept.k[i].used < victim->used)
			victim = &kept.k[i];
	}
	if (victim->ctx)
		hm_destroy(victim->ctx);
	*victim = (struct kept){ ctx, nr_cpus, flags, ++kept.tick };
}

/* The state hm_create() leaves, again: every word the run wrote zeroed,
 * the core reset, the thread on no CPU in particular (cpu 0, where a new
 * context puts it).  False if the run cannot be undone so. */
static bool sim_undo(struct sim_run *s)
{
	static const uint32_t zero;

	if (s->outcome != HM_EXEC_DONE || s->log_lost)
		return false;
	for (size_t i = 0; i < s->nlog; i++) {
		if (s->log[i].off > 0xffc)
			return false;	/* a write across two frames */
		hm_sim_phys_write(s->ctx, ((uint64_t)s->log[i].pfn << 12) +
				  s->log[i].off, &zero, 4);
	}
	hm_reset(s->ctx);
	hm_set_cpu(s->ctx, 0);
	return true;
}

/* The simulator configured as the guest's core will be: a kept context of
 * that configuration, or a new one. */
static struct hm_ctx *sim_create(const struct job *job, struct sim_run *s,
				 bool fresh, char *why, size_t whysz)
{
	struct hm_seq_config sc = hm_mb_seq_config(job->nr_cpus, job->flags);
	struct hm_config cfg;
	struct hm_ctx *ctx = fresh ? NULL : kept_take(job);

	if (!ctx) {
		hm_config_default(&cfg);
		cfg.mem_bytes = HM_GUEST_MEM_BYTES;
		hm_seq_config_apply(&sc, &cfg);
		cfg.wait_timeout_ms = 0;	/* as in the one-vCPU guest */
		ctx = hm_create(&cfg, why, whysz);
		if (!ctx)
			return NULL;
	}
	s->kept = !fresh && kept.mode != REFERENCE_FRESH;
	s->nr_cpus = job->nr_cpus;
	hm_set_bug_handler(ctx, sim_bug, s);
	s->x.ctx = ctx;
	s->x.ops = &sim_exec_ops;
	s->x.priv = s;
	s->x.flags = job->flags;
	s->x.ops_done = &s->cur_op;	/* which op an access belongs to */
	return ctx;
}

/*
 * Op by op, noting the CPU current at each op and the range flushes
 * (flush_tlb_kernel_range, tlb_flush_range) each CPU made: with several
 * vCPUs, each is a shootdown IPI to every other one.  A reset flushes
 * everything once (hm_core_reset) and then zeroes the counters that would
 * show it: one flush, by the CPU that reset.
 */
static void sim_exec(struct sim_run *s, const struct job *job)
{
	struct hm_ctx *ctx = s->ctx;
	struct hm_stats st;
	uint64_t last = 0;
	uint32_t i;

	s->outcome = HM_EXEC_DONE;
	for (i = 0; i < job->n; i++) {
		unsigned cpu = hm_smp_processor_id(ctx);
		int rc;

		s->op_cpu[i] = (uint8_t)cpu;
		rc = hm_exec_step(&s->x, job->ops, i, s->res);
		hm_stats(ctx, &st);
		if (cpu < HM_SMP_MAX_CPUS)
			s->flushes_by[cpu] +=
				job->ops[i].code == HM_OP_RESET ?
					1 : st.tlb_flush_range - last;
		last = st.tlb_flush_range;
		if (rc != HM_EXEC_NEXT) {
			s->outcome = rc;
			break;
		}
	}
	s->stopped = i;
}

static void sim_finish(struct sim_run *s, const struct job *job)
{
	struct hm_ctx *ctx = s->ctx;

	hm_stats(ctx, &s->stats);
	s->last_pkmap_nr = hm_last_pkmap_nr(ctx);
	s->cpu = hm_smp_processor_id(ctx);
	for (unsigned nr = 0; nr < LAST_PKMAP_PAE; nr++)
		s->pkmap_pte[nr] = hm_pkmap_pte(ctx, nr);
	s->layout = *hm_layout(ctx);
	for (unsigned cpu = 0; cpu < job->nr_cpus && cpu < HM_SMP_MAX_CPUS;
	     cpu++)
		for (unsigned t = 0; t < s->layout.km_max_nest; t++)
			s->fix_pte[cpu][t] = hm_kmap_atomic_pte(ctx, cpu, t);
}

/* The last run freed, for the next: a sim_run is 31 KiB (the
 * interpreter's tables of live maps), which malloc gave back to the
 * system and took again, page faults included, at every input. */
static struct sim_run *spare;

static struct sim_run *sim_run_new(const struct job *job, uint32_t seq_no,
				   bool fresh, char *why, size_t whysz)
{
	struct sim_run *s = spare ? spare : malloc(sizeof(*s));

	spare = NULL;
	if (s) {
		memset(s, 0, sizeof(*s));
		s->res = calloc(job->n ? job->n : 1, sizeof(*s->res));
		s->op_cpu = calloc(job->n ? job->n : 1, 1);
		s->read_ok = calloc(job->n ? job->n : 1, sizeof(*s->read_ok));
		s->nres = job->n;
	}
	if (!s || !s->res || !s->op_cpu || !s->read_ok) {
		snprintf(why, whysz, "out of memory");
		reference__free(s);
		return NULL;
	}
	s->ctx = sim_create(job, s, fresh, why, whysz);
	if (!s->ctx) {
		reference__free(s);
		return NULL;
	}
	s->x.seq_no = seq_no;
	sim_exec(s, job);
	sim_finish(s, job);
	return s;
}

#define SAME(field) (!memcmp(&a->field, &b->field, sizeof(a->field)))

/* Where run @a (a kept context) and run @b (a new one) of the same job
 * differ, or NULL: everything the checks read, and every frame either
 * wrote, word for word. */
static const char *sim_differ(const struct sim_run *a, const struct sim_run *b,
			      const struct job *job)
{
	static uint8_t fa[4096], fb[4096];

	if (a->outcome != b->outcome || a->stopped != b->stopped)
		return "how the run ended";
	for (uint32_t i = 0; i < job->n; i++)
		if (a->res[i].value != b->res[i].value ||
		    a->res[i].bugs != b->res[i].bugs ||
		    a->res[i].warns != b->res[i].warns ||
		    a->op_cpu[i] != b->op_cpu[i])
			return "an op's result or CPU";
	for (uint32_t i = 0; i < job->n; i++) {
		const struct may_hold *p = &a->read_ok[i], *q = &b->read_ok[i];

		if (p->n != q->n || p->any != q->any ||
		    memcmp(p->v, q->v, p->n * sizeof(p->v[0])))
			return "what a read may return";
	}
	if (a->bug_count != b->bug_count || strcmp(a->bug_msg, b->bug_msg))
		return "the BUG reports";
	if (!SAME(stats) || a->last_pkmap_nr != b->last_pkmap_nr ||
	    a->cpu != b->cpu || !SAME(flushes_by))
		return "the counters, last_pkmap_nr or the current CPU";
	if (!SAME(pkmap_pte) || !SAME(fix_pte))
		return "a PTE";
	if (a->nlog != b->nlog)
		return "the tagged writes";
	for (size_t i = 0; i < a->nlog; i++) {
		const struct logged_write *p = &a->log[i], *q = &b->log[i];

		if (p->pfn != q->pfn || p->off != q->off || p->val != q->val ||
		    p->order != q->order || p->maybe != q->maybe)
			return "the tagged writes";
	}
	if (a->nstale != b->nstale)
		return "the stale accesses";
	for (size_t i = 0; i < a->nstale; i++) {
		const struct stale_access *p = &a->stale[i], *q = &b->stale[i];

		if (p->op != q->op || p->vaddr != q->vaddr ||
		    p->tlb_pfn != q->tlb_pfn || p->pte_pfn != q->pte_pfn ||
		    p->write != q->write)
			return "the stale accesses";
	}
	for (size_t i = 0; i < a->nlog; i++) {
		uint64_t pa = (uint64_t)a->log[i].pfn << 12;

		hm_sim_phys_read(a->ctx, pa, fa, sizeof(fa));
		hm_sim_phys_read(b->ctx, pa, fb, sizeof(fb));
		if (memcmp(fa, fb, sizeof(fa)))
			return "a frame's contents";
	}
	return NULL;
}

int reference__run(struct sim_run **out, const struct job *job,
		   uint32_t seq_no, char *why, size_t whysz)
{
	struct sim_run *s, *fresh;
	const char *differ;

	*out = s = sim_run_new(job, seq_no, kept.mode == REFERENCE_FRESH, why,
			       whysz);
	if (!s)
		return HM_EXIT_INTERNAL;
	if (kept.mode != REFERENCE_KEEP_CHECKED)
		return 0;
	fresh = sim_run_new(job, seq_no, true, why, whysz);
	if (!fresh) {
		s->kept = false;
		return HM_EXIT_INTERNAL;	/* *out freed by the caller */
	}
	differ = sim_differ(s, fresh, job);
	reference__free(fresh);
	if (!differ)
		return 0;
	s->kept = false;	/* not to be used again */
	snprintf(why, whysz, "a kept simulator context and a new one differ "
		 "in %s", differ);
	return HM_EXIT_INTERNAL;
}

const struct stale_access *reference__stale_at(const struct sim_run *s,
					       uint32_t op, uint32_t vaddr)
{
	for (size_t i = 0; i < s->nstale; i++)
		if (s->stale[i].op == op &&
		    (s->stale[i].vaddr ^ vaddr) < 0x1000u)
			return &s->stale[i];
	return NULL;
}

void reference__free(struct sim_run *s)
{
	if (!s)
		return;
	if (s->ctx && s->kept && sim_undo(s))
		kept_give(s->ctx, s->nr_cpus, s->x.flags);
	else if (s->ctx)
		hm_destroy(s->ctx);
	free(s->log);
	free(s->res);
	free(s->op_cpu);
	free(s->read_ok);
	free(s->stale);
	if (spare)
		free(s);
	else
		spare = s;
}
