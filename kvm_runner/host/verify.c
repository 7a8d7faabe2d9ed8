/* SPDX-License-Identifier: MIT */
/*
 * verify.c - one sequence, run twice and checked: on the simulator
 * (reference.c), then in the guest, on whatever machine runs it
 * (machine.h); then how the guest's run ended is judged against the
 * prediction (judge.c), and a run that ended as predicted is compared
 * (checks.c, verify_smp.c).  One PASS/FAIL/SKIP line, the dumps of a
 * dead guest after it, and one cleanup path.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvm_runner/host/verify.h"
#include "kvm_runner/host/verify_parts.h"

/* Everything one verification holds, freed in one place. */
struct verification {
	const struct job *job;
	const struct run_opts *o;
	struct hm_machine *m;
	struct sim_run *s;
	struct hm_stop st;
	struct checker c;
	struct verdict v;
	uint32_t stale_ok;		/* stale accesses as predicted */
	unsigned timeout_ms;
	uint64_t guest_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A job that cannot run: its verdict now (>= 0), or -1 to run it. */
static int refuse(const struct job *job)
{
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
	return -1;
}

/* The guest's turn: the sequence into the mailbox, resume, time it. */
static int run_guest(struct verification *w, uint32_t seq_no,
		     struct hm_totals *t)
{
	const struct job *job = w->job;
	struct hm_mailbox *mb = machine__mailbox(w->m);
	unsigned n = w->m->nr_vcpus > 1 ? w->m->nr_vcpus : 1;
	uint64_t t0;
	int rc;

	mb->command = HM_MB_CMD_SEQUENCE;
	mb->seq_no = seq_no;
	mb->nr_ops = job->n;
	mb->nr_cpus = job->nr_cpus;
	mb->flags = job->flags | (w->o->verbose ? HM_MB_VERBOSE : 0);
	if (job->n)	/* an empty sequence has no op list at all */
		memcpy(mb->ops, job->ops, job->n * sizeof(*job->ops));
	memset(mb->results, 0, job->n * sizeof(*mb->results));
	memset(mb->op_cpu, 0xff, job->n);	/* not run */
	mb->ops_done = 0;
	t0 = now_ns();
	rc = w->m->ops->run(w->m, w->timeout_ms, &w->st);
	w->guest_ns = now_ns() - t0;
	t->guest_ns += w->guest_ns;
	t->sequences++;
	t->guest_ns_on[n] += w->guest_ns;
	t->sequences_on[n]++;
	t->stale_checked += mb->stale_checked;
	return rc;
}

/* "29 ops on 2 vCPUs, 19.9 ms in the guest, ..." */
static void pass_detail(struct verification *w, struct hm_totals *t)
{
	const struct job *job = w->job;
	struct hm_machine *m = w->m;
	char *d = w->v.detail;
	size_t n = sizeof(w->v.detail);

	if (m->nr_vcpus > 1)
		snprintf(d, n, "%u ops on %u vCPUs, %.1f ms in the guest",
			 job->n, m->nr_vcpus, w->guest_ns / 1e6);
	else if (job->nr_cpus > 1)
		snprintf(d, n, "%u ops, 1 vCPU playing %u CPUs, %.1f ms in the "
			 "guest", job->n, job->nr_cpus, w->guest_ns / 1e6);
	else
		snprintf(d, n, "%u ops, %.1f ms in the guest", job->n,
			 w->guest_ns / 1e6);
	if (w->s->x.bugs)
		snprintf(d + strlen(d), n - strlen(d),
			 ", %u BUG reports as predicted", w->s->x.bugs);
	if (w->s->x.warns)
		snprintf(d + strlen(d), n - strlen(d),
			 ", %u WARNs as predicted", w->s->x.warns);
	if (w->s->nstale)	/* kernel mode's own stale TLB entries */
		snprintf(d + strlen(d), n - strlen(d),
			 ", %zu accesses through a stale TLB entry predicted, "
			 "%u made by the guest", w->s->nstale, w->stale_ok);
	if (m->nr_vcpus > 1) {
		verify_smp__detail(m, job, w->s, d, n);
		for (unsigned k = 0; k < m->nr_vcpus; k++)
			t->ipis_acked += machine__mailbox(m)->smp_acks[k];
	}
}

/* The guest ran to the end: compare everything. */
static int compare(struct verification *w, struct hm_totals *t)
{
	struct sim_run *s = w->s;

	if (s->outcome != HM_EXEC_DONE)
		checker__fail(&w->c, "the guest ran to the end; the simulator "
			      "predicted a %s at op #%u",
			      hm_outcome_names[s->outcome], s->stopped);
	w->stale_ok = checks__stale(w->m, w->job, s, &w->c);
	checks__results(w->m, w->job, s, &w->c);
	if (w->m->nr_vcpus > 1)
		verify_smp__check(w->m, w->job, s, &w->c);
	pass_detail(w, t);
	return checks__memory(w->m, s, &w->c);
}

/* The verdict line, then the details of a dead guest, indented. */
static void report(struct verification *w)
{
	struct hm_machine *m = w->m;
	uint64_t cr3;
	bool lma;

	if (w->c.failures)
		printf("FAIL %s: %s\n", w->job->name, w->c.first);
	else if (!w->o->quiet)
		printf("PASS %s (%s)\n", w->job->name, w->v.detail);
	if (!w->v.dump)
		return;
	if (w->st.kind == HM_STOP_SHUTDOWN || w->st.kind == HM_STOP_TIMEOUT)
		printf("  %s\n", w->v.detail);
	m->ops->dump_regs(m, w->st.cpu, stdout);
	if (!m->ops->cr3(m, w->st.cpu, &cr3, &lma))
		return;
	if (w->v.walk)
		x86__dump_walk(m, cr3, lma, w->v.walk_va, stdout);
	if (w->v.walk_eip && w->st.eip)
		x86__dump_walk(m, cr3, lma, w->st.eip, stdout);
}

int verify__job(struct vms *v, const struct run_opts *o, struct job *job,
		struct hm_totals *t)
{
	static uint32_t seq_no;
	struct verification w = { .job = job, .o = o };
	struct hm_seq_config sc;
	char why[512];
	int rc = refuse(job);

	if (rc >= 0)
		return rc;
	w.c.job = job;
	/* A job's own watchdog (a hang on purpose), unless the command line
	 * asked for a longer one. */
	w.timeout_ms = !job->timeout_ms ? o->timeout_ms :
		       o->timeout_set && o->timeout_ms > job->timeout_ms ?
		       o->timeout_ms : job->timeout_ms;
	/* The debug variant of the run's kernel gets its own VM where its
	 * tables differ (another kernel's sequence is skipped below). */
	sc = hm_mb_seq_config(job->nr_cpus, job->flags);
	w.m = vms__get(v, job->nr_cpus, sc.debug_highmem &&
		       sc.kernel == o->kernel && guest__debug_tables(sc.kernel),
		       &rc, why, sizeof(why));
	if (!w.m) {
		printf("FAIL %s: could not %s the VM: %s\n", job->name,
		       job->nr_cpus > 1 ? "start" : "restart", why);
		return HM_EXIT_INTERNAL;
	}
	rc = reference__run(&w.s, job, ++seq_no, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "kvm_runner: simulator: %s\n", why);
	} else if (!guest__fits(w.m, sc.kernel, &w.s->layout, why,
				sizeof(why))) {
		/* The guest's tables are the machine's kernel's: a sequence
		 * of another kernel, or whose layout moves PKMAP_BASE,
		 * cannot run there. */
		printf("SKIP %s: %s\n", job->name, why);
		rc = HM_EXIT_SKIP;
	} else {
		rc = run_guest(&w, seq_no, t);
	}
	if (!rc && w.st.kind == HM_STOP_REPORT && w.st.port == HM_PORT_DONE) {
		rc = compare(&w, t);
	} else if (!rc) {
		/* Anything else ends this machine: the next job boots anew. */
		w.m->alive = false;
		judge__stop(w.m, job, w.s, &w.st, w.timeout_ms, &w.c, &w.v);
	}
	if (!rc) {
		report(&w);
		rc = w.c.failures ? HM_EXIT_FAIL : HM_EXIT_PASS;
	}
	fflush(stdout);
	reference__free(w.s);
	return rc;
}
