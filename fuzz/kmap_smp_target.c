/* SPDX-License-Identifier: MIT */
/*
 * kmap_smp - the same op sequences, run concurrently: `cpu N` sends the
 * ops after it to CPU N's thread, and the four threads run their programs
 * at once on a 4-entry PKMAP window of which two entries are pinned for
 * the whole input: two free entries for four threads, so kmaps sleep and
 * are woken (and two sleepers for one page find it mapped when they wake,
 * the re-check of page_address), wraps flush every CPU's TLB while the
 * others map and read, and locks contend.
 *
 * Oracle: no BUG at all (the threads only issue what is legal for them:
 * at most one kmap held, temporary maps undone in order); every word a
 * thread wrote, at its own offset of a page shared with the others, reads
 * back through each mapping it makes of that page, through its own CPU's
 * TLB; no deadlock (a sleep of more than 5 s is reported as a BUG); and
 * after the threads join, no entry has a user, no one waits, every CPU is
 * back to preempt_count 0.  Interleavings differ from run to run: a
 * finding may need several replays to show again.  At exit it prints the
 * core's counters over all inputs: how often kmaps slept (pkmap_sleeps)
 * and kunmaps woke them (pkmap_wakeups), the flushes, the contention.
 *
 * Run: bazel run //fuzz:kmap_smp (libFuzzer), //fuzz:kmap_smp_afl (AFL++).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/highmem.h"
#include "fuzz/op_meaning.h"
#include "fuzz/ops.h"
#include "fuzz/target.h"

#define CPUS		4
#define PAGES		16	/* shared highmem pages */
#define MAX_TEMP	20	/* KM_TYPE_NR */
#define WINDOW		4	/* LAST_PKMAP */
/* Entries the main thread holds while the workers run: each worker holds
 * at most one kmap (two per thread could deadlock as the kernel would), so
 * only a window with fewer free entries than workers makes them wait. */
#define PINNED		2

struct worker {
	unsigned cpu;
	const struct hm_op *op[HM_SEQ_MAX_OPS];
	size_t n;
	/* what this thread last wrote to each page, and where */
	uint32_t last[PAGES], last_off[PAGES];
	bool written[PAGES];
	/* what it holds (op_meaning.h): at most one
	 * kmap, and a stack of temporary maps */
	struct hm_lives lives;
	struct hm_live live[1 + MAX_TEMP];
	char failure[200];
};

static struct hm_ctx *ctx;
static struct hm_seq seq;
static struct worker workers[CPUS];
static pthread_t tids[CPUS];
/*
 * A reusable barrier on a condition variable rather than a
 * pthread_barrier_t: under ThreadSanitizer a thread blocked in
 * pthread_barrier_wait() takes a signal only when the wait returns, so the
 * simulator's TLB shootdown IPI (a signal) would never reach a parked
 * worker and hm_reset() would wait for it; pthread_cond_wait() takes it.
 */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned parties, waiting;
	unsigned long gen;
};

static struct gate start = { PTHREAD_MUTEX_INITIALIZER,
			     PTHREAD_COND_INITIALIZER, CPUS + 1, 0, 0 };
static struct gate done = { PTHREAD_MUTEX_INITIALIZER,
			    PTHREAD_COND_INITIALIZER, CPUS + 1, 0, 0 };

static void gate_wait(struct gate *g)
{
	unsigned long gen;

	pthread_mutex_lock(&g->lock);
	gen = g->gen;
	if (++g->waiting == g->parties) {
		g->waiting = 0;
		g->gen++;
		pthread_cond_broadcast(&g->cond);
	} else {
		while (gen == g->gen)
			pthread_cond_wait(&g->cond, &g->lock);
	}
	pthread_mutex_unlock(&g->lock);
}
static bool quit, started;
static int bugs;
static char bug_msg[256];
/* the core's counters summed over every input, for the exit lines (the
 * machine's are reset at each input) */
static uint64_t inputs, totals[HM_STATS_NR];

static void on_bug(void *arg, const struct hm_bug *bug)
{
	(void)arg;
	if (__atomic_add_fetch(&bugs, 1, __ATOMIC_RELAXED) == 1)
		snprintf(bug_msg, sizeof(bug_msg), "%s:%u %s() on cpu %u: %s",
			 bug->file, bug->line, bug->func, bug->cpu, bug->msg);
}

/* Page i of the shared ones; PAGES and up are the pinned ones. */
static uint32_t pfn_of(int i)
{
	return (uint32_t)hm_max_low_pfn(ctx) + 5u * (unsigned)i;
}

static struct page *page_of(int i)
{
	return hm_pfn_to_page(ctx, pfn_of(i));
}

/* The page index of a mapping it holds. */
static int page_idx(const struct hm_live *l)
{
	return (int)((l->pfn - (uint32_t)hm_max_low_pfn(ctx)) / 5u);
}

/* The word this thread last wrote to page @i reads back through @v. */
static bool check(struct worker *w, hm_vaddr_t v, int i, const char *how)
{
	/* only its own words: the others' are being written meanwhile */
	uint32_t got = 0, off = w->written[i] ? w->last_off[i] :
			       hm_op_write_offset(0, w->cpu);

	if (!v) {
		snprintf(w->failure, sizeof(w->failure),
			 "cpu %u: %s of page %d returned 0", w->cpu, how, i);
		return false;
	}
	if (hm_sim_read(ctx, v + off, &got, 4) != HM_OK) {
		snprintf(w->failure, sizeof(w->failure),
			 "cpu %u: reading page %d through %#x (%s) faulted",
			 w->cpu, i, v, how);
		return false;
	}
	if (w->written[i] && got != w->last[i]) {
		snprintf(w->failure, sizeof(w->failure),
			 "cpu %u: page %d through %#x (%s) reads %#x at %#x, it "
			 "wrote %#x", w->cpu, i, v, how, got, off, w->last[i]);
		return false;
	}
	return true;
}

/* The write lands where op_meaning.h says: with the CPU in the offset, so
 * no other thread writes this word. */
static void put(struct worker *w, const struct hm_live *l, uint32_t val)
{
	int i = page_idx(l);
	uint32_t off = hm_op_write_offset(val, w->cpu);

	hm_sim_write(ctx, l->vaddr + off, &val, 4);
	w->last[i] = val;
	w->last_off[i] = off;
	w->written[i] = true;
}

static struct hm_live *held_kmap(struct worker *w)
{
	for (uint32_t k = 0; k < w->lives.n; k++)
		if (w->live[k].kind == HM_LIVE_KMAP)
			return &w->live[k];
	return NULL;
}

static void hold(struct worker *w, int i, hm_vaddr_t v,
		 enum hm_live_kind kind)
{
	hm_live_add(&w->lives, pfn_of(i), v, kind, w->cpu, 0, true);
}

/* Undo the newest temporary map; false if there is none. */
static bool unmap_temp(struct worker *w)
{
	struct hm_live *t = hm_live_temp(&w->lives, w->cpu, 0,
					 HM_LIVE_TEMPORARY);

	if (!t)
		return false;
	hm_op_call(ctx, t->kind == HM_LIVE_LOCAL ? HM_OP_KUNMAP_LOCAL :
		   HM_OP_KUNMAP_ATOMIC, NULL, t->vaddr, 0);
	hm_live_del(&w->lives, t);
	return true;
}

static void run_kmap(struct worker *w, int i)
{
	hm_vaddr_t v;

	if (held_kmap(w))	/* one at a time, or threads deadlock */
		return;
	for (uint32_t k = 0; k < w->lives.n; k++)
		if (w->live[k].kind != HM_LIVE_LOCAL)	/* may sleep: not */
			return;				/* atomic */
	v = hm_op_call(ctx, HM_OP_KMAP, page_of(i), 0, 0);
	if (check(w, v, i, "kmap")) {
		hold(w, i, v, HM_LIVE_KMAP);
		sched_yield();	/* hold it a while */
	}
}

static void run_kmap_temp(struct worker *w, int i, bool local)
{
	hm_vaddr_t v;

	if (w->lives.n - (held_kmap(w) != NULL) == MAX_TEMP)
		return;
	v = hm_op_call(ctx, local ? HM_OP_KMAP_LOCAL : HM_OP_KMAP_ATOMIC,
		       page_of(i), 0, 0);
	if (check(w, v, i, "temporary map"))
		hold(w, i, v, local ? HM_LIVE_LOCAL : HM_LIVE_ATOMIC);
}

/* One op of this thread's program, if it is legal for it now: its core
 * call is hm_op_call(), its MAP and write place op_meaning.h's. */
static void run_op(struct worker *w, const struct hm_op *op)
{
	int i = (int)(op->a % PAGES);
	struct hm_live *l;

	switch (op->code) {
	case HM_OP_KMAP:
	case HM_OP_KMAP_HIGH_GET:
		run_kmap(w, i);
		break;
	case HM_OP_KUNMAP:
		if (!(l = held_kmap(w)))
			return;
		hm_op_call(ctx, HM_OP_KUNMAP, page_of(page_idx(l)), 0, 0);
		hm_live_del(&w->lives, l);
		break;
	case HM_OP_KMAP_ATOMIC:
	case HM_OP_KMAP_ATOMIC_TYPE:	/* as kmap_atomic: slots nest */
	case HM_OP_KMAP_LOCAL:
		run_kmap_temp(w, i, op->code == HM_OP_KMAP_LOCAL);
		break;
	case HM_OP_KUNMAP_ATOMIC:
	case HM_OP_KUNMAP_ATOMIC_TYPE:
	case HM_OP_KUNMAP_LOCAL:
		unmap_temp(w);	/* the newest: they nest */
		break;
	case HM_OP_WRITE:
		if ((l = hm_live_pick(&w->lives, w->cpu, op->a)))
			put(w, l, op->b);
		break;
	case HM_OP_READ:
		/* MAP, and then every other mapping it holds */
		if ((l = hm_live_pick(&w->lives, w->cpu, op->a)))
			check(w, l->vaddr, page_idx(l), "read");
		for (uint32_t k = 0; k < w->lives.n && !w->failure[0]; k++)
			check(w, w->live[k].vaddr, page_idx(&w->live[k]),
			      "read");
		break;
	case HM_OP_PAGE_ADDRESS:
		l = held_kmap(w);
		if (l && page_idx(l) == i &&
		    hm_page_address(ctx, page_of(i)) != l->vaddr)
			snprintf(w->failure, sizeof(w->failure),
				 "cpu %u: page_address of page %d it holds at "
				 "%#x is %#x", w->cpu, i, l->vaddr,
				 hm_page_address(ctx, page_of(i)));
		break;
	case HM_OP_FLUSH_UNUSED:
		hm_op_call(ctx, HM_OP_FLUSH_UNUSED, NULL, 0, 0);
		break;
	default:	/* cpu and reset shape the programs; nothing to do */
		break;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct hm_live *l;

	hm_set_cpu(ctx, w->cpu);
	for (;;) {
		gate_wait(&start);
		if (quit)
			return NULL;
		for (size_t k = 0; k < w->n && !w->failure[0]; k++)
			run_op(w, w->op[k]);
		/* let go of everything, in order */
		while (unmap_temp(w))
			;
		if ((l = held_kmap(w)))
			hm_op_call(ctx, HM_OP_KUNMAP, page_of(page_idx(l)),
				   0, 0);
		gate_wait(&done);
	}
}

int hm_fuzz_init(void)
{
	struct hm_config cfg;
	char err[200];

	hm_config_default(&cfg);
	cfg.nr_cpus = CPUS;
	cfg.last_pkmap = WINDOW;
	cfg.wait_timeout_ms = 5000;	/* a deadlock is a finding */
	ctx = hm_create(&cfg, err, sizeof(err));
	if (!ctx) {
		fprintf(stderr, "kmap_smp: %s\n", err);
		return 1;
	}
	hm_set_bug_handler(ctx, on_bug, NULL);
	return 0;
}

/* The threads start with the first input, not in hm_fuzz_init(): AFL++
 * forks its children after init, and a child has only the thread that
 * forked it. */
static void start_workers(void)
{
	for (unsigned c = 0; c < CPUS; c++) {
		workers[c].cpu = c;
		if (pthread_create(&tids[c], NULL, worker_main, &workers[c])) {
			fprintf(stderr, "kmap_smp: cannot start threads\n");
			abort();
		}
	}
	started = true;
}

static void __attribute__((noreturn)) finding(const char *what)
{
	fprintf(stderr, "ORACLE: %s\n== the input, as a text sequence ==\n",
		what);
	hm_seq_print(&seq, stderr);
	fflush(stderr);
	abort();
}

static void add_stats(void)
{
	struct hm_stats s;

	hm_stats(ctx, &s);
	inputs++;
	for (unsigned i = 0; i < HM_STATS_NR; i++)
		totals[i] += hm_stat(&s, i);
}

int hm_fuzz_one(const uint8_t *data, size_t size)
{
	unsigned cpu = 0;
	struct hm_cpu_state cs;
	char why[300];

	if (!started)
		start_workers();
	hm_seq_decode(data, size, false, &seq, NULL, 0);
	hm_reset(ctx);		/* with every worker parked at the gate */
	bugs = 0;
	for (unsigned c = 0; c < CPUS; c++) {
		struct worker *w = &workers[c];

		w->n = 0;
		w->lives = (struct hm_lives){ w->live, 0, 1 + MAX_TEMP };
		w->failure[0] = '\0';
		memset(w->written, 0, sizeof(w->written));
	}
	for (size_t k = 0; k < seq.n; k++) {
		if (seq.op[k].code == HM_OP_CPU)
			cpu = seq.op[k].a % CPUS;
		else
			workers[cpu].op[workers[cpu].n++] = &seq.op[k];
	}

	/* the main thread (on cpu 0, where hm_reset() put it) pins entries;
	 * the workers are parked, so these are entries 1 and 2 */
	for (int p = 0; p < PINNED; p++)
		if (!hm_kmap(ctx, page_of(PAGES + p)))
			finding("pinning an entry failed");
	gate_wait(&start);
	gate_wait(&done);
	for (int p = 0; p < PINNED; p++)
		hm_kunmap(ctx, page_of(PAGES + p));
	add_stats();

	if (bugs)
		finding(bug_msg);
	for (unsigned c = 0; c < CPUS; c++)
		if (workers[c].failure[0])
			finding(workers[c].failure);
	for (unsigned nr = 0; nr < WINDOW; nr++) {
		if (hm_pkmap_count(ctx, nr) > 1) {
			snprintf(why, sizeof(why), "after the threads: "
				 "pkmap_count[%u] is %d with every kmap undone",
				 nr, hm_pkmap_count(ctx, nr));
			finding(why);
		}
	}
	if (hm_pkmap_waiters(ctx))
		finding("after the threads: someone still waits for an entry");
	for (unsigned c = 0; c < CPUS; c++) {
		hm_cpu_state(ctx, c, &cs);
		if (cs.preempt_count || cs.kmap_atomic_idx ||
		    cs.migrate_disabled) {
			snprintf(why, sizeof(why), "after the threads: cpu %u has "
				 "preempt_count %d, depth %d, migrate %d", c,
				 cs.preempt_count, cs.kmap_atomic_idx,
				 cs.migrate_disabled);
			finding(why);
		}
	}
	return 0;
}

void hm_fuzz_cleanup(void)
{
	fprintf(stderr, "kmap_smp: the core's counters over %llu inputs:\n",
		(unsigned long long)inputs);
	for (unsigned i = 0; i < HM_STATS_NR; i++)
		fprintf(stderr, "kmap_smp:   %-20s %llu\n", hm_stat_name(i),
			(unsigned long long)totals[i]);
	if (started) {
		quit = true;
		gate_wait(&start);
		for (unsigned c = 0; c < CPUS; c++)
			pthread_join(tids[c], NULL);
		started = false;
	}
	hm_destroy(ctx);
	ctx = NULL;
}
