/* SPDX-License-Identifier: MIT */
/*
 * wrap_ipi_test.c - how many TLB shootdown IPIs four CPUs wrapping a small
 * PKMAP window send, worked out by hand and pinned, however the CPUs are
 * run: one thread playing each CPU in turn (as kvm_runner's reference
 * run does), a thread per CPU all started first, or a thread per CPU
 * started only at its turn, so CPUs that have never run are idle.
 *
 * The kernel's count: flush_all_zero_pkmaps() calls flush_tlb_kernel_range(),
 * which on x86 (arch/x86/mm/tlb.c, 4.7 and 6.1 alike) is
 * on_each_cpu(do_kernel_range_flush, ..., 1): smp_call_function_many() over
 * cpu_online_mask, one IPI to every online CPU but the caller, busy or
 * idle.  Every CPU of the machine is online from boot, whether it has run
 * anything yet or not.  So one wrap on a machine of N CPUs sends N - 1
 * IPIs, and each CPU receives one from each other CPU's wrap.
 *
 * The sequence (kvm_runner's smp_wraps scenario without its temporary maps
 * and data): LAST_PKMAP 16, map_new_virtual()'s scan starting after
 * last_pkmap_nr.  CPU c, in turn (c = 0..3), kunmaps the page the CPU
 * before it left mapped (its entry keeps count 1), then kmaps and kunmaps
 * 17 pages, then kmaps one page and keeps it.  CPU c starts with
 * last_pkmap_nr = 2c, so its first 15 - 2c kmaps take entries 2c+1..15,
 * and its kmap number 16 - 2c finds the scan back at entry 0: the wrap,
 * one flush_all_zero_pkmaps() (every entry of count 1 cleared; 16 pages,
 * not over the 33-page ceiling, so page by page, no whole-TLB flush).
 * Kmaps 17 - 2c..17 take entries 0..2c+1, the kept page 2c+2.  Four CPUs:
 * 4 range flushes, 4 x 3 = 12 IPIs, last_pkmap_nr 8 at the end.
 */
#include <pthread.h>
#include <string.h>

#include "core/testing/testing.h"

#define NR_CPUS		4
#define WINDOW		16
#define PAIRS		17

/* Each CPU's pages: 100 apart, the kept one at +99. */
#define PAGE_OF(cpu, i)	(1000u + 100u * (cpu) + (i))
#define KEPT		99u

struct round {
	unsigned wraps;		/* kmaps during which a range flush came */
	unsigned wrap_at;	/* the (last) such kmap, 1-based */
	unsigned last_pkmap_nr;	/* after the round */
};

struct machine {
	struct hm_ctx *ctx;
	struct round r[NR_CPUS];
	/* Threaded cases: threads on their CPUs; rounds done (CPU c's
	 * turn comes when turn is c + 1: 0 holds everyone back until the
	 * threads that should be on their CPUs are); threads stay on their
	 * CPUs until released. */
	unsigned ready;
	unsigned turn;
	bool release;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static uint64_t flushes(struct hm_ctx *ctx)
{
	struct hm_stats s;

	hm_stats(ctx, &s);
	return s.tlb_flush_range;
}

static struct page *page_of(struct hm_ctx *ctx, unsigned cpu, unsigned i)
{
	return hm_pfn_to_page(ctx, hm_max_low_pfn(ctx) + PAGE_OF(cpu, i));
}

/* CPU @cpu's round, on the thread that runs it.  No cmocka asserts here
 * (they may run on another thread than the test's): it records. */
static void do_round(struct machine *m, unsigned cpu)
{
	struct hm_ctx *ctx = m->ctx;
	struct round *r = &m->r[cpu];

	if (cpu)
		hm_kunmap(ctx, page_of(ctx, cpu - 1, KEPT));
	for (unsigned i = 1; i <= PAIRS; i++) {
		uint64_t before = flushes(ctx);

		hm_kmap(ctx, page_of(ctx, cpu, i));
		if (flushes(ctx) != before) {
			r->wraps++;
			r->wrap_at = i;
		}
		hm_kunmap(ctx, page_of(ctx, cpu, i));
	}
	hm_kmap(ctx, page_of(ctx, cpu, KEPT));
	r->last_pkmap_nr = hm_last_pkmap_nr(ctx);
}

static void wait_turn(struct machine *m, unsigned turn)
{
	pthread_mutex_lock(&m->lock);
	while (m->turn < turn)
		pthread_cond_wait(&m->cond, &m->lock);
	pthread_mutex_unlock(&m->lock);
}

static void bump(struct machine *m, unsigned *what)
{
	pthread_mutex_lock(&m->lock);
	(*what)++;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

struct cpu_thread {
	struct machine *m;
	unsigned cpu;
	pthread_t tid;
};

/* A thread that runs one CPU: on it from the start, its round at its
 * turn, and on it (taking IPIs while it waits) until released. */
static void *run_cpu(void *arg)
{
	struct cpu_thread *t = arg;
	struct machine *m = t->m;

	hm_set_cpu(m->ctx, t->cpu);
	bump(m, &m->ready);
	wait_turn(m, t->cpu + 1);
	do_round(m, t->cpu);
	bump(m, &m->turn);
	pthread_mutex_lock(&m->lock);
	while (!m->release)
		pthread_cond_wait(&m->cond, &m->lock);
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

enum how {
	ONE_THREAD,	/* the test's thread plays each CPU in turn */
	THREADS_FIRST,	/* a thread per CPU, all on their CPUs first */
	THREADS_LAZY,	/* CPU c's thread started at its turn */
};

static void start_cpu(struct cpu_thread *t, struct machine *m, unsigned cpu)
{
	t->m = m;
	t->cpu = cpu;
	assert_int_equal(pthread_create(&t->tid, NULL, run_cpu, t), 0);
}

/* Runs the four rounds; returns each CPU's TLB stats in @ts. */
static void run(struct machine *m, enum how how,
		struct hm_tlb_stats ts[NR_CPUS])
{
	struct cpu_thread t[NR_CPUS];
	struct hm_config cfg;

	hm_config_default(&cfg);
	cfg.nr_cpus = NR_CPUS;
	cfg.last_pkmap = WINDOW;
	memset(m, 0, sizeof(*m));
	m->ctx = test_ctx(&cfg, NULL);	/* any BUG fails the test */
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);

	if (how == ONE_THREAD) {
		for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
			hm_set_cpu(m->ctx, cpu);
			do_round(m, cpu);
		}
	} else {
		for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
			if (how == THREADS_FIRST || cpu == 0)
				start_cpu(&t[cpu], m, cpu);
		pthread_mutex_lock(&m->lock);
		while (m->ready < (how == THREADS_FIRST ? NR_CPUS : 1u))
			pthread_cond_wait(&m->cond, &m->lock);
		pthread_mutex_unlock(&m->lock);
		bump(m, &m->turn);			/* CPU 0's turn */
		for (unsigned cpu = 1; cpu < NR_CPUS; cpu++) {
			wait_turn(m, cpu + 1);		/* CPU cpu - 1 done */
			if (how == THREADS_LAZY)
				start_cpu(&t[cpu], m, cpu);
		}
		wait_turn(m, NR_CPUS + 1);		/* the last one done */
	}
	/* Every thread still on its CPU: nothing left to serve. */
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
		hm_sim_tlb_stats(m->ctx, cpu, &ts[cpu]);
	if (how != ONE_THREAD) {
		pthread_mutex_lock(&m->lock);
		m->release = true;
		pthread_cond_broadcast(&m->cond);
		pthread_mutex_unlock(&m->lock);
		for (unsigned cpu = 0; cpu < NR_CPUS; cpu++)
			pthread_join(t[cpu].tid, NULL);
	}
}

/* The counts worked out in the header, whoever ran the CPUs. */
static void check_counts(struct machine *m, const struct hm_tlb_stats ts[])
{
	struct hm_stats s;

	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		assert_int_equal(m->r[cpu].wraps, 1);
		assert_int_equal(m->r[cpu].wrap_at, 16 - 2 * cpu);
		assert_int_equal(m->r[cpu].last_pkmap_nr, 2 + 2 * cpu);
		/* one shootdown from each of the three others */
		assert_int_equal(ts[cpu].ipis_handled + ts[cpu].ipis_idle, 3);
	}
	hm_stats(m->ctx, &s);
	assert_int_equal(s.tlb_flush_range, 4);
	assert_int_equal(s.pkmap_flushes, 4);
	assert_int_equal(s.tlb_ipis, 12);
	assert_int_equal(s.tlb_flush_all, 0);
}

/* Runs the rounds @how, checks the counts and that CPU c's thread
 * served @handled[c] of its three IPIs (the initiator the rest). */
static void check_case(enum how how, const unsigned handled[NR_CPUS])
{
	struct hm_tlb_stats ts[NR_CPUS];
	struct machine m;

	run(&m, how, ts);
	check_counts(&m, ts);
	for (unsigned cpu = 0; cpu < NR_CPUS; cpu++) {
		assert_int_equal(ts[cpu].ipis_handled, handled[cpu]);
		assert_int_equal(ts[cpu].ipis_idle, 3 - handled[cpu]);
	}
	hm_destroy(m.ctx);
	pthread_cond_destroy(&m.cond);
	pthread_mutex_destroy(&m.lock);
}

/* One thread: when a CPU wraps, no thread runs the others, so the
 * initiator does their flushes - counted as IPIs all the same. */
static void one_thread_plays_each_cpu(void **state)
{
	(void)state;
	check_case(ONE_THREAD, (const unsigned[NR_CPUS]){ 0, 0, 0, 0 });
}

/* A thread on each CPU from the start: every IPI is a signal its
 * target's thread serves. */
static void a_thread_per_cpu(void **state)
{
	(void)state;
	check_case(THREADS_FIRST, (const unsigned[NR_CPUS]){ 3, 3, 3, 3 });
}

/* CPU c's thread starts at its turn: at CPU w's wrap, CPUs below w have
 * run and serve their IPI, those above have not and are served idle -
 * still online, still sent one.  CPU c: 3 - c by its thread, c idle. */
static void cpus_that_have_not_run_yet(void **state)
{
	(void)state;
	check_case(THREADS_LAZY, (const unsigned[NR_CPUS]){ 3, 2, 1, 0 });
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_thread_plays_each_cpu),
		cmocka_unit_test(a_thread_per_cpu),
		cmocka_unit_test(cpus_that_have_not_run_yet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
