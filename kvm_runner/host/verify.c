/* SPDX-License-Identifier: MIT */
/*
 * verify.c - one sequence, run twice and checked.
 *
 * First on the simulator (//core:highmem_lib) through ops_exec.c: that run
 * is the reference, op by op.  Then in the guest, through the same
 * interpreter over real page tables.  Then the checks:
 *   - how each run ended (a page fault, a BUG, a hang must be predicted
 *     by the simulator, at the same op, with the same address or message);
 *   - every op's result and BUG count, the first BUG message;
 *   - the core's event counters, last_pkmap_nr and the current CPU;
 *   - every PKMAP and temporary-map PTE, read from the guest's tables;
 *   - memory, in our own view of guest physical memory: every tagged
 *     write is in the frame the op meant, and no other word of any data
 *     frame the guest touched is non-zero;
 *   - on several vCPUs (a sequence of several CPUs, vms.c): every op ran
 *     on the vCPU of the CPU the simulator had current, and each vCPU
 *     acknowledged one shootdown IPI per range flush of the other CPUs
 *     (verify_smp.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "core/layout.h"
#include "kvm_runner/host/runner.h"
#include "kvm_runner/ops_exec.h"

static const char *op_text(const struct hm_kop *op, char *buf, size_t n)
{
	snprintf(buf, n, "%s %#x %#x", hm_op_name(op->code), op->a, op->b);
	return buf;
}

/* ---- The reference run, on the simulator -------------------------------- */

struct logged_write {
	uint32_t pfn, off, val, order;
};

struct sim_run {
	struct hm_exec x;
	int outcome;
	uint32_t stopped;
	struct hm_kop_result *res;
	uint32_t bug_count;
	char bug_msg[HM_MB_MSG_LEN];
	struct hm_stats stats;
	uint32_t last_pkmap_nr, cpu;
	uint64_t pkmap_pte[LAST_PKMAP_PAE];
	uint64_t fix_pte[HM_SMP_MAX_CPUS][HM_KM_SLOTS_MAX];
	struct hm_layout layout;	/* the sequence's: kernel, CPUs, debug */
	struct logged_write *log;
	size_t nlog, caplog;
	uint8_t *op_cpu;		/* the CPU current at each op */
	uint64_t flushes_by[HM_SMP_MAX_CPUS];	/* range flushes, by CPU */
};

static void sim_bug(void *arg, const struct hm_bug *bug)
{
	struct sim_run *s = arg;

	s->x.bugs++;
	if (s->bug_count++ == 0)
		snprintf(s->bug_msg, sizeof(s->bug_msg),
			 "kernel BUG at %s:%u in %s() on cpu %u: %s",
			 bug->file, bug->line, bug->func, bug->cpu, bug->msg);
}

static void s_write32(struct hm_exec *x, hm_vaddr_t va, uint32_t val)
{
	hm_sim_write(x->ctx, va, &val, 4);
}

static uint32_t s_read32(struct hm_exec *x, hm_vaddr_t va)
{
	uint32_t v = 0;

	hm_sim_read(x->ctx, va, &v, 4);
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

static void s_log(struct hm_exec *x, uint32_t pfn, uint32_t off, uint32_t val)
{
	struct sim_run *s = x->priv;

	if (s->nlog == s->caplog) {
		size_t cap = s->caplog ? 2 * s->caplog : 256;
		struct logged_write *l = realloc(s->log, cap * sizeof(*l));

		if (!l)
			return;	/* the check then reports a stray write */
		s->log = l;
		s->caplog = cap;
	}
	s->log[s->nlog] = (struct logged_write){ pfn, off, val,
						 (uint32_t)s->nlog };
	s->nlog++;
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
	.log_write = s_log,
};

/* Returns the context (for the memory check), or NULL with @why. */
static struct hm_ctx *sim_run(const struct job *job, struct sim_run *s,
			      char *why, size_t whysz)
{
	struct hm_seq_config sc = hm_mb_seq_config(job->nr_cpus, job->flags);
	struct hm_config cfg;
	struct hm_ctx *ctx;

	hm_config_default(&cfg);
	cfg.mem_bytes = HM_GUEST_MEM_BYTES;
	hm_seq_config_apply(&sc, &cfg);
	cfg.wait_timeout_ms = 0;	/* as in the one-vCPU guest */
	ctx = hm_create(&cfg, why, whysz);
	if (!ctx)
		return NULL;
	hm_set_bug_handler(ctx, sim_bug, s);
	s->x.ctx = ctx;
	s->x.ops = &sim_exec_ops;
	s->x.priv = s;
	s->x.seq_no = 0;	/* set by the caller before running */
	s->x.flags = job->flags;
	return ctx;
}

/*
 * The reference run, op by op, noting the CPU current at each op and the
 * range flushes (flush_tlb_kernel_range, tlb_flush_range) each CPU made:
 * with several vCPUs, each is a shootdown IPI to every other one.  A reset
 * flushes everything once (hm_core_reset) and then zeroes the counters
 * that would show it: one flush, by the CPU that reset.
 */
static void sim_exec(struct sim_run *s, const struct job *job)
{
	struct hm_ctx *ctx = s->x.ctx;
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
	struct hm_ctx *ctx = s->x.ctx;

	hm_stats(ctx, &s->stats);
	s->last_pkmap_nr = hm_last_pkmap_nr(ctx);
	s->cpu = hm_smp_processor_id(ctx);
	for (unsigned nr = 0; nr < LAST_PKMAP_PAE; nr++)
		s->pkmap_pte[nr] = hm_pkmap_pte(ctx, nr);
	s->layout = *hm_layout(ctx);
	for (unsigned cpu = 0; cpu < job->nr_cpus; cpu++)
		for (unsigned t = 0; t < s->layout.km_max_nest; t++)
			s->fix_pte[cpu][t] = hm_kmap_atomic_pte(ctx, cpu, t);
}

/* ---- Checks ------------------------------------------------------------------ */

struct checker {
	const struct job *job;
	int failures;
	char first[512];	/* the first failure, for the FAIL line */
};

static void vfailf(struct checker *c, const char *fmt, va_list ap)
{
	char buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (!c->failures++)
		snprintf(c->first, sizeof(c->first), "%s", buf);
	else if (c->failures <= 8)
		printf("    also: %s\n", buf);
}

static void failf(struct checker *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void failf(struct checker *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfailf(c, fmt, ap);
	va_end(ap);
}

/* failf() for the other files of the check (verify_smp.c). */
void checker__fail(struct checker *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfailf(c, fmt, ap);
	va_end(ap);
}

/* "kernel BUG at F:L in ..." without the "at F:L ". */
static const char *bug_without_place(const char *m, char *buf, size_t n)
{
	const char *at = strstr(m, " at "), *in = strstr(m, " in ");

	if (!at || !in || in < at)
		return m;
	snprintf(buf, n, "%.*s%s", (int)(at - m), m, in);
	return buf;
}

/* "kernel BUG at F:L in ..." without the ":L". */
static __attribute__((unused)) const char *bug_without_line(const char *m, char *buf, size_t n)
{
	const char *at = strstr(m, " at "), *in = strstr(m, " in ");
	const char *colon = NULL;

	if (!at || !in || in < at)
		return m;
	for (const char *p = at; p < in; p++)
		if (*p == ':')
			colon = p;
	if (!colon)
		return m;
	snprintf(buf, n, "%.*s%s", (int)(colon - m), m, in);
	return buf;
}

/*
 * The same BUG?  Reports from the backend (hm_set_cpu) come from the
 * simulator's file in one run and the guest's in the other.  And the
 * guest is always built by clang, while --config=gcc builds this host and
 * its simulator with gcc: the two give a BUG_ON_MSG() that spans lines the
 * line of its first and of its last line, so then the line may differ.
 */
static bool same_bug(const char *a, const char *b)
{
	char x[HM_MB_MSG_LEN], y[HM_MB_MSG_LEN];

	if (!strcmp(a, b))
		return true;
#ifndef __clang__
	if (!strcmp(bug_without_line(a, x, sizeof(x)),
		    bug_without_line(b, y, sizeof(y))))
		return true;
#endif
	if (!strstr(a, "sim/") && !strstr(b, "sim/"))
		return false;
	return !strcmp(bug_without_place(a, x, sizeof(x)),
		       bug_without_place(b, y, sizeof(y)));
}

static int cmp_write(const void *pa, const void *pb)
{
	const struct logged_write *a = pa, *b = pb;

	if (a->pfn != b->pfn)
		return a->pfn < b->pfn ? -1 : 1;
	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* The last write to each word wins: keep one entry per (pfn, off). */
static size_t final_writes(struct sim_run *s)
{
	size_t n = 0;

	qsort(s->log, s->nlog, sizeof(*s->log), cmp_write);
	for (size_t i = 0; i < s->nlog; i++) {
		if (n && s->log[n - 1].pfn == s->log[i].pfn &&
		    s->log[n - 1].off == s->log[i].off)
			s->log[n - 1] = s->log[i];
		else
			s->log[n++] = s->log[i];
	}
	return n;
}

static const struct logged_write *find_write(const struct sim_run *s,
					     size_t n, uint32_t pfn,
					     uint32_t off)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct logged_write *w = &s->log[mid];

		if (w->pfn == pfn && w->off == off)
			return w;
		if (w->pfn < pfn || (w->pfn == pfn && w->off < off))
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static uint64_t resident[HM_GUEST_MEM_BYTES >> 12];

/* Memory, then give every data frame back so the next sequence starts
 * from zeroed frames and RSS stays small. */
static int check_memory(struct kvm *kvm, struct hm_ctx *sim,
			struct sim_run *s, struct checker *c)
{
	size_t n = final_writes(s), nres;
	unsigned stray = 0;

	for (size_t i = 0; i < n; i++) {
		const struct logged_write *w = &s->log[i];
		uint64_t pa = ((uint64_t)w->pfn << 12) + w->off;
		uint32_t got = guest__read32(kvm, pa), simv = 0;

		if (got != w->val)
			failf(c, "frame %#x offset %#x should hold %#x (a "
			      "write through a mapping of that frame), guest "
			      "memory holds %#x", w->pfn, w->off, w->val, got);
		hm_sim_phys_read(sim, pa, &simv, 4);
		if (simv != w->val)
			failf(c, "simulator: frame %#x offset %#x holds %#x, "
			      "expected %#x", w->pfn, w->off, simv, w->val);
	}
	nres = guest__resident(kvm, HM_GUEST_FIRST_FREE_PFN, resident,
			       sizeof(resident) / sizeof(resident[0]));
	if (nres == (size_t)-1) {
		fprintf(stderr, "kvm_runner: mincore: %s\n", strerror(errno));
		return HM_EXIT_INTERNAL;
	}
	for (size_t i = 0; i < nres; i++) {
		const uint32_t *words = (const uint32_t *)(kvm->mem +
							   (resident[i] << 12));

		for (uint32_t off = 0; off < 4096; off += 4) {
			uint32_t v = words[off / 4];

			if (v && !find_write(s, n, (uint32_t)resident[i], off) &&
			    stray++ < 4)
				failf(c, "stray data in frame %#llx offset "
				      "%#x: %#x, which no op wrote there",
				      (unsigned long long)resident[i], off, v);
		}
		guest__discard(kvm, resident[i]);
	}
	return 0;
}

static void check_results(struct kvm *kvm, const struct job *job,
			  struct sim_run *s, struct checker *c)
{
	const struct hm_mailbox *mb = guest__mailbox(kvm);
	/* Counters both runs keep the same way (the rest are the
	 * simulator's TLB model and lock contention). */
	static const unsigned counters[] = {
		HM_STAT_pte_writes, HM_STAT_tlb_flush_one,
		HM_STAT_tlb_flush_range, HM_STAT_tlb_flush_all,
		HM_STAT_hash_steps,
		HM_STAT_pkmap_flushes, HM_STAT_pkmap_sleeps,
		HM_STAT_pkmap_wakeups,
	};
	char t[96];

	for (uint32_t i = 0; i < job->n; i++) {
		const struct hm_kop_result *g = &mb->results[i], *r = &s->res[i];

		if (g->value != r->value || g->bugs != r->bugs) {
			failf(c, "op #%u %s: guest returned %#x with %u BUG "
			      "reports, simulator %#x with %u", i,
			      op_text(&job->ops[i], t, sizeof(t)), g->value,
			      g->bugs, r->value, r->bugs);
			break;	/* later ops follow from this one */
		}
	}
	if (mb->bug_count != s->bug_count ||
	    !same_bug(mb->bug_msg, s->bug_msg))
		failf(c, "BUG reports: guest %u, first \"%.*s\"; simulator "
		      "%u, first \"%s\"", mb->bug_count, HM_MB_MSG_LEN,
		      mb->bug_msg, s->bug_count, s->bug_msg);
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		if (mb->stats[counters[i]] != hm_stat(&s->stats, counters[i]))
			failf(c, "counter %s: guest %llu, simulator %llu",
			      hm_stat_name(counters[i]),
			      (unsigned long long)mb->stats[counters[i]],
			      (unsigned long long)hm_stat(&s->stats,
							  counters[i]));
	if (mb->last_pkmap_nr != s->last_pkmap_nr)
		failf(c, "last_pkmap_nr: guest %u, simulator %u",
		      mb->last_pkmap_nr, s->last_pkmap_nr);
	if (mb->cpu != s->cpu)
		failf(c, "current cpu: guest %u, simulator %u", mb->cpu,
		      s->cpu);
	for (unsigned nr = 0; nr < LAST_PKMAP_PAE; nr++) {
		uint64_t g = guest__pkmap_pte(kvm, nr);

		if (g != s->pkmap_pte[nr]) {
			failf(c, "PTE of pkmap entry %u: guest table %#llx, "
			      "simulator %#llx", nr, (unsigned long long)g,
			      (unsigned long long)s->pkmap_pte[nr]);
			break;
		}
	}
	for (unsigned i = 0; i < job->nr_cpus * s->layout.km_max_nest; i++) {
		unsigned cpu = i / s->layout.km_max_nest;
		unsigned t = i % s->layout.km_max_nest;
		uint64_t g = guest__fixmap_pte(kvm, &s->layout,
					       kmap_fix_idx(&s->layout, cpu, t));

		if (g != s->fix_pte[cpu][t]) {
			failf(c, "PTE of cpu %u temporary slot %u: guest table "
			      "%#llx, simulator %#llx", cpu, t,
			      (unsigned long long)g,
			      (unsigned long long)s->fix_pte[cpu][t]);
			break;
		}
	}
}

static const char *pf_error_text(uint32_t err, char *buf, size_t n)
{
	snprintf(buf, n, "%s %s, %s%s", err & 1 ? "protection" : "not-present",
		 err & 2 ? "write" : "read", err & 4 ? "user" : "supervisor",
		 err & 8 ? ", reserved bit" : "");
	return buf;
}

static const char *const outcome_names[] = {
	[HM_EXEC_DONE] = "ran to the end",
	[HM_EXEC_FAULT] = "page fault",
	[HM_EXEC_HANG] = "hang",
	[HM_EXEC_TRIPLE] = "triple fault",
	[HM_EXEC_BUG] = "fatal BUG",
};

/* ---- One job ------------------------------------------------------------------ */

uint64_t verify_guest_ns;	/* time spent in KVM_RUN for sequences */
unsigned verify_sequences;
/* By the vCPUs a sequence ran on: sequences, time in KVM_RUN; and the
 * shootdown IPIs acknowledged in all. */
unsigned verify_sequences_on[HM_SMP_MAX_CPUS + 1];
uint64_t verify_guest_ns_on[HM_SMP_MAX_CPUS + 1];
uint64_t verify_ipis_acked;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int verify__job(struct vms *v, const struct run_opts *o, struct job *job)
{
	static uint32_t seq_no;
	struct checker c = { .job = job };
	struct hm_mailbox *mb;
	struct sim_run *s;
	struct hm_ctx *sim;
	struct vcpu_event ev;
	struct kvm *kvm;
	char why[512], t[96], detail[1024] = "", on[32] = "";
	uint64_t t0;
	int rc = 0, fd;
	bool dump = false, do_walk = false, smp;
	uint32_t walk_va = 0;
	unsigned cpu = 0;

	if (job->skip) {
		printf("SKIP %s: %s\n", job->name, job->error[0] ? job->error :
		       "cannot run here");
		return HM_EXIT_SKIP;
	}
	if (job->error[0]) {
		printf("FAIL %s: %s\n", job->name, job->error);
		return HM_EXIT_FAIL;
	}
	if (job->n > HM_MB_MAX_OPS) {
		printf("FAIL %s: %u ops, the mailbox holds %u\n", job->name,
		       job->n, HM_MB_MAX_OPS);
		return HM_EXIT_FAIL;
	}
	kvm = vms__get(v, job->nr_cpus, &rc, why, sizeof(why));
	if (!kvm) {
		printf("FAIL %s: could not %s the VM: %s\n", job->name,
		       job->nr_cpus > 1 ? "start" : "restart", why);
		return HM_EXIT_INTERNAL;
	}
	smp = kvm->nr_vcpus > 1;
	fd = kvm->vcpu_fd;

	s = calloc(1, sizeof(*s));
	if (s) {
		s->res = calloc(job->n ? job->n : 1, sizeof(*s->res));
		s->op_cpu = calloc(job->n ? job->n : 1, 1);
	}
	if (!s || !s->res || !s->op_cpu) {
		fprintf(stderr, "kvm_runner: out of memory\n");
		if (s) {
			free(s->res);
			free(s->op_cpu);
			free(s);
		}
		return HM_EXIT_INTERNAL;
	}
	seq_no++;
	sim = sim_run(job, s, why, sizeof(why));
	if (!sim) {
		fprintf(stderr, "kvm_runner: simulator: %s\n", why);
		free(s->res);
		free(s->op_cpu);
		free(s);
		return HM_EXIT_INTERNAL;
	}
	/* The guest's tables are the VM's kernel's: a sequence of another
	 * kernel, or whose layout moves PKMAP_BASE, cannot run there. */
	if (!guest__fits(kvm, hm_mb_seq_config(job->nr_cpus, job->flags).kernel,
			 hm_layout(sim), why, sizeof(why))) {
		printf("SKIP %s: %s\n", job->name, why);
		hm_destroy(sim);
		free(s->res);
		free(s->op_cpu);
		free(s);
		return HM_EXIT_SKIP;
	}
	s->x.seq_no = seq_no;
	sim_exec(s, job);
	sim_finish(s, job);

	/* The guest's turn. */
	mb = guest__mailbox(kvm);
	mb->seq_no = seq_no;
	mb->nr_ops = job->n;
	mb->nr_cpus = job->nr_cpus;
	mb->flags = job->flags | (o->verbose ? HM_MB_VERBOSE : 0);
	memcpy(mb->ops, job->ops, job->n * sizeof(*job->ops));
	memset(mb->results, 0, job->n * sizeof(*mb->results));
	memset(mb->op_cpu, 0xff, job->n);	/* not run */
	mb->ops_done = 0;
	t0 = now_ns();
	rc = vcpu__run(kvm, job->timeout_ms ? job->timeout_ms : o->timeout_ms,
		       &ev);
	t0 = now_ns() - t0;
	verify_guest_ns += t0;
	verify_sequences++;
	verify_guest_ns_on[kvm->nr_vcpus > 1 ? kvm->nr_vcpus : 1] += t0;
	verify_sequences_on[kvm->nr_vcpus > 1 ? kvm->nr_vcpus : 1]++;
	if (rc)
		goto out;
	/* An application processor stopped: its event, its registers. */
	if (ev.kind == EV_KICK &&
	    !smp__stopped(kvm->aps, &cpu, &ev, &fd, why, sizeof(why))) {
		fprintf(stderr, "kvm_runner: cpu 0 kicked, but no application "
			"processor stopped\n");
		rc = HM_EXIT_INTERNAL;
		goto out;
	}
	if (smp)
		snprintf(on, sizeof(on), " on cpu %u", cpu);

	if (ev.kind == EV_PORT && ev.port == HM_PORT_DONE) {
		if (s->outcome != HM_EXEC_DONE)
			failf(&c, "the guest ran to the end; the simulator "
			      "predicted a %s at op #%u",
			      outcome_names[s->outcome], s->stopped);
		check_results(kvm, job, s, &c);
		if (smp)
			verify_smp__check(kvm, job, s->op_cpu, s->flushes_by,
					  &c);
		rc = check_memory(kvm, sim, s, &c);
		if (smp)
			snprintf(detail, sizeof(detail), "%u ops on %u vCPUs, "
				 "%.1f ms in the guest", job->n, kvm->nr_vcpus,
				 t0 / 1e6);
		else if (job->nr_cpus > 1)
			snprintf(detail, sizeof(detail), "%u ops, 1 vCPU "
				 "playing %u CPUs, %.1f ms in the guest",
				 job->n, job->nr_cpus, t0 / 1e6);
		else
			snprintf(detail, sizeof(detail), "%u ops, %.1f ms in "
				 "the guest", job->n, t0 / 1e6);
		if (s->bug_count)
			snprintf(detail + strlen(detail),
				 sizeof(detail) - strlen(detail),
				 ", %u BUG reports as predicted", s->bug_count);
		if (smp) {
			verify_smp__detail(kvm, job, s->flushes_by, detail,
					   sizeof(detail));
			for (unsigned k = 0; k < kvm->nr_vcpus; k++)
				verify_ipis_acked += mb->smp_acks[k];
		}
		goto out;
	}

	/* Anything else ends this VM: the next job boots a new one. */
	kvm->alive = false;
	switch (ev.kind) {
	case EV_PORT:
		if (ev.port == HM_PORT_FAULT) {
			struct kvm_regs r;
			uint32_t vec, err, cr2, eip;
			char sym[96], e[64];

			if (ioctl(fd, KVM_GET_REGS, &r) < 0) {
				fprintf(stderr, "kvm_runner: KVM_GET_REGS: "
					"%s\n", strerror(errno));
				rc = HM_EXIT_INTERNAL;
				goto out;
			}
			vec = (uint32_t)r.rax & 0xff;
			err = (uint32_t)r.rbx;
			cr2 = (uint32_t)r.rcx;
			eip = (uint32_t)r.rdx;
			snprintf(detail, sizeof(detail),
				 "guest exception %u%s%s, error code %#x%s%s%s"
				 ", CR2 %#x, EIP %#x <%s>, at op #%u %s", vec,
				 vec == 14 ? " (#PF)" : "", on, err,
				 vec == 14 ? " (" : "",
				 vec == 14 ? pf_error_text(err, e, sizeof(e)) : "",
				 vec == 14 ? ")" : "", cr2, eip,
				 x86__guest_symbol(eip, sym, sizeof(sym)),
				 mb->ops_done,
				 mb->ops_done < job->n ?
				 op_text(&job->ops[mb->ops_done], t, sizeof(t)) :
				 "(none)");
			if (s->outcome != HM_EXEC_FAULT)
				failf(&c, "%s; the simulator %s", detail,
				      s->outcome == HM_EXEC_DONE ?
				      "ran every op without a fault" :
				      outcome_names[s->outcome]);
			else if (vec != 14 || cr2 != s->x.fault_vaddr ||
				 mb->ops_done != s->stopped)
				failf(&c, "%s; the simulator predicted #PF at "
				      "%#x at op #%u", detail,
				      s->x.fault_vaddr, s->stopped);
			dump = true;
			walk_va = cr2;
			do_walk = true;
		} else if (ev.port == HM_PORT_BUG) {
			snprintf(detail, sizeof(detail), "guest BUG: %.*s",
				 HM_MB_MSG_LEN, mb->bug_msg);
			if (s->outcome != HM_EXEC_BUG)
				failf(&c, "%s; the simulator reported no BUG",
				      detail);
			else if (!same_bug(mb->bug_msg, s->bug_msg))
				failf(&c, "%s; the simulator's: %s", detail,
				      s->bug_msg);
		} else if (ev.port == HM_PORT_PANIC) {
			failf(&c, "guest panic%s: %.*s", on, HM_MB_MSG_LEN,
			      mb->panic_msg);
			dump = true;
		} else {
			failf(&c, "OUT to unknown port %#x (value %#x)%s",
			      ev.port, ev.value, on);
			dump = true;
		}
		break;
	case EV_SHUTDOWN:
		snprintf(detail, sizeof(detail), "KVM_EXIT_SHUTDOWN: triple "
			 "fault%s at op #%u %s", on, mb->ops_done,
			 mb->ops_done < job->n ?
			 op_text(&job->ops[mb->ops_done], t, sizeof(t)) : "");
		if (s->outcome != HM_EXEC_TRIPLE)
			failf(&c, "%s", detail);
		dump = true;
		break;
	case EV_TIMEOUT:
		snprintf(detail, sizeof(detail), "watchdog: the guest did not "
			 "finish within %u ms (at op #%u)",
			 job->timeout_ms ? job->timeout_ms : o->timeout_ms,
			 mb->ops_done);
		if (smp && mb->ops_done < job->n &&
		    mb->op_cpu[mb->ops_done] < HM_SMP_MAX_CPUS)
			snprintf(detail + strlen(detail) - 1,
				 sizeof(detail) - strlen(detail) + 1,
				 " on cpu %u)", mb->op_cpu[mb->ops_done]);
		if (smp)
			verify_smp__waits(kvm, detail, sizeof(detail));
		if (s->outcome != HM_EXEC_HANG)
			failf(&c, "%s", detail);
		dump = true;
		break;
	case EV_FAIL_ENTRY:
		failf(&c, "KVM_EXIT_FAIL_ENTRY: hardware entry failure reason "
		      "%#llx%s", (unsigned long long)ev.detail, on);
		dump = true;
		break;
	case EV_INTERNAL_ERROR:
		failf(&c, "KVM_EXIT_INTERNAL_ERROR: suberror %llu%s%s",
		      (unsigned long long)ev.detail,
		      ev.detail == KVM_INTERNAL_ERROR_EMULATION ?
		      " (KVM could not emulate an instruction)" : "", on);
		dump = true;
		break;
	case EV_ERROR:
		/* An application processor's KVM_RUN failed. */
		failf(&c, "%s", why);
		break;
	default:
		failf(&c, "unexpected exit %s (%u)%s",
		      kvm__exit_name(ev.exit_reason), ev.exit_reason, on);
		dump = true;
	}
out:
	if (!rc) {
		if (c.failures) {
			printf("FAIL %s: %s\n", job->name, c.first);
			rc = HM_EXIT_FAIL;
		} else {
			printf("PASS %s (%s)\n", job->name, detail);
		}
	}
	/* The details after the verdict, indented. */
	if (dump) {
		if (ev.kind == EV_SHUTDOWN || ev.kind == EV_TIMEOUT)
			printf("  %s\n", detail);
		x86__dump_regs_fd(fd, stdout);
		if (do_walk)
			x86__dump_walk(kvm, walk_va, stdout);
		if (ev.kind == EV_SHUTDOWN) {
			struct kvm_regs r;

			if (ioctl(fd, KVM_GET_REGS, &r) == 0)
				x86__dump_walk(kvm, (uint32_t)r.rip, stdout);
		}
	}
	fflush(stdout);
	hm_destroy(sim);
	free(s->log);
	free(s->res);
	free(s->op_cpu);
	free(s);
	return rc;
}
