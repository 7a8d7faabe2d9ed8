/* SPDX-License-Identifier: MIT */
/*
 * smp_stress_test.c - many threads, one per simulated CPU, doing kmap,
 * kunmap, kmap_atomic and kmap_local_page on pages they share, with fewer
 * PKMAP entries than threads so kmap() sleeps and must be woken.
 *
 * Each thread keeps, per shared page, the word it last wrote at its own
 * offset, and checks it through every new mapping: a translation left
 * stale in its CPU's TLB by a missing or partial flush shows as a wrong
 * word.  No thread holds more than one kmap, so the exhaustion always
 * ends (the kernel's rule against nested kmaps, for the same reason).
 * A third run uses the real 512-entry window, exhausted by a hog thread
 * that holds 510 entries and gives them back while the workers run.
 * Run it under --config=tsan as well: the core's locks, the simulated
 * TLBs and the shootdown IPIs must be free of data races.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/testing/testing.h"

#define THREADS		8
#define PAGES		24	/* shared highmem pages */
#define ROUNDS		3000

static unsigned rounds_done;	/* by all workers, for the hog's pace */
static unsigned workers_done;	/* workers that have finished */

struct worker {
	struct hm_ctx *ctx;
	pthread_barrier_t *start;
	unsigned cpu;
	unsigned seed;
	uint32_t last[PAGES];	/* what this thread last wrote to each page */
	int bugs;
	char failure[200];	/* first failure, checked by the main thread */
};

static struct page *shared_page(struct hm_ctx *ctx, unsigned i)
{
	return hm_pfn_to_page(ctx, hm_max_low_pfn(ctx) + 3 * i);
}

static bool check(struct worker *w, hm_vaddr_t v, unsigned page)
{
	uint32_t got = 0;

	if (!v) {
		snprintf(w->failure, sizeof(w->failure),
			 "cpu %u: a map of page %u returned 0", w->cpu, page);
		return false;
	}
	if (hm_sim_read(w->ctx, v + 4 * w->cpu, &got, 4) != HM_OK ||
	    got != w->last[page]) {
		snprintf(w->failure, sizeof(w->failure),
			 "cpu %u: page %u through %#x reads %#x, wrote %#x",
			 w->cpu, page, v, got, w->last[page]);
		return false;
	}
	return true;
}

static void put(struct worker *w, hm_vaddr_t v, unsigned page)
{
	uint32_t val = (w->cpu << 24) | (rand_r(&w->seed) & 0xFFFFFF);

	hm_sim_write(w->ctx, v + 4 * w->cpu, &val, 4);
	w->last[page] = val;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct hm_ctx *ctx = w->ctx;

	hm_set_cpu(ctx, w->cpu);
	pthread_barrier_wait(w->start);
	for (int round = 0; round < ROUNDS && !w->failure[0]; round++) {
		__atomic_add_fetch(&rounds_done, 1, __ATOMIC_RELAXED);
		unsigned a = rand_r(&w->seed) % PAGES;
		unsigned b = rand_r(&w->seed) % PAGES;
		struct page *pa = shared_page(ctx, a), *pb = shared_page(ctx, b);
		hm_vaddr_t va, vb, vl;

		switch (rand_r(&w->seed) % 3) {
		case 0:		/* a long-term map, with a temporary one inside */
			va = hm_kmap(ctx, pa);
			if (!check(w, va, a))
				break;
			put(w, va, a);
			/* hold it a while, as real work would: the other
			 * threads' kmaps run out of entries meanwhile */
			sched_yield();
			vb = hm_kmap_atomic(ctx, pb);
			if (check(w, vb, b))
				put(w, vb, b);
			hm_kunmap_atomic(ctx, vb);
			hm_kunmap(ctx, pa);
			break;
		case 1:		/* nested temporary maps */
			va = hm_kmap_atomic(ctx, pa);
			vb = hm_kmap_atomic(ctx, pb);
			if (check(w, va, a) && check(w, vb, b)) {
				put(w, vb, b);
				if (a != b)
					put(w, va, a);
				else
					w->last[a] = w->last[b];
			}
			hm_kunmap_atomic(ctx, vb);
			hm_kunmap_atomic(ctx, va);
			break;
		default:	/* a local map, then the same page by kmap */
			vl = hm_kmap_local_page(ctx, pa);
			if (check(w, vl, a))
				put(w, vl, a);
			hm_kunmap_local(ctx, vl);
			va = hm_kmap(ctx, pa);
			check(w, va, a);
			hm_kunmap(ctx, pa);
			break;
		}
	}
	__atomic_add_fetch(&workers_done, 1, __ATOMIC_RELAXED);
	return NULL;
}

/*
 * The full 512-entry window: a hog on a CPU of its own kmaps all but two
 * entries' worth of pages of its own before the workers start, then gives
 * them back one by one while they run.  Meanwhile the workers' 24 pages
 * share what is left, so they exhaust the real window, sleep, and are
 * woken as the hog lets go.  The hog never maps while it holds, so it
 * cannot join a deadlock.
 */
struct hog {
	struct hm_ctx *ctx;
	pthread_barrier_t *start;
	unsigned cpu, held;
	struct page *pages[512];
};

static void *hog_main(void *arg)
{
	struct hog *h = arg;
	unsigned i, first;

	hm_set_cpu(h->ctx, h->cpu);
	for (i = 0; i < h->held; i++) {
		h->pages[i] = hm_pfn_to_page(h->ctx,
					     hm_max_low_pfn(h->ctx) + 4096 + i);
		if (!hm_kmap(h->ctx, h->pages[i]))
			break;
	}
	h->held = i;
	pthread_barrier_wait(h->start);
	/* Nothing is given back before some worker sleeps for an entry:
	 * that is what this run is for, and how soon the workers overlap
	 * enough for it depends on the machine's load (a loaded one once
	 * ran them so far apart that no one slept before the hog had given
	 * most entries back).  hm_pkmap_waiters() takes kmap_lock, so the
	 * poll is race-free.  If the workers end without a sleep, the
	 * test's check of pkmap_sleeps says so. */
	while (!hm_pkmap_waiters(h->ctx) &&
	       __atomic_load_n(&workers_done, __ATOMIC_RELAXED) < THREADS)
		sched_yield();
	first = __atomic_load_n(&rounds_done, __ATOMIC_RELAXED);
	/* Then paced by the workers, not the clock (TSan slows them 10x):
	 * all given back by half their remaining rounds, or at once when
	 * they have stopped (a worker that fails stops early). */
	for (i = 0; i < h->held; i++) {
		unsigned due = first + i * ((THREADS * ROUNDS - first) / 2) / h->held;

		while (__atomic_load_n(&rounds_done, __ATOMIC_RELAXED) < due &&
		       __atomic_load_n(&workers_done, __ATOMIC_RELAXED) < THREADS)
			sched_yield();
		hm_kunmap(h->ctx, h->pages[i]);
	}
	return NULL;
}

static void count_bug(void *arg, const struct hm_bug *bug)
{
	int *bugs = arg;

	(void)bug;
	__atomic_add_fetch(bugs, 1, __ATOMIC_RELAXED);
}

static void stress(bool debug, bool pae, bool full_window)
{
	struct worker w[THREADS];
	pthread_t tid[THREADS], hog_tid;
	struct hog hog = { 0 };
	unsigned window = full_window ? 512 : 4;
	struct hm_config cfg;
	struct hm_stats s;
	struct hm_ctx *ctx;
	pthread_barrier_t start;
	uint64_t handled = 0, idle = 0;
	int bugs = 0;
	char err[200];

	hm_config_default(&cfg);
	cfg.nr_cpus = THREADS + full_window;
	cfg.pae = pae;
	cfg.debug_highmem = debug;
	cfg.last_pkmap = full_window ? 0 : 4;	/* 4: fewer entries than threads */
	cfg.wait_timeout_ms = 20000;	/* a deadlock fails, it does not hang */
	ctx = hm_create(&cfg, err, sizeof(err));
	assert_non_null(ctx);
	hm_set_bug_handler(ctx, count_bug, &bugs);

	memset(w, 0, sizeof(w));
	rounds_done = 0;
	workers_done = 0;
	pthread_barrier_init(&start, NULL, THREADS + full_window);
	if (full_window) {
		hog.ctx = ctx;
		hog.start = &start;
		hog.cpu = THREADS;
		hog.held = window - 2;
		assert_int_equal(pthread_create(&hog_tid, NULL, hog_main, &hog),
				 0);
	}
	for (unsigned i = 0; i < THREADS; i++) {
		w[i].ctx = ctx;
		w[i].start = &start;
		w[i].cpu = i;
		w[i].seed = 1000 + i;
		assert_int_equal(pthread_create(&tid[i], NULL, work, &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);
	if (full_window) {
		pthread_join(hog_tid, NULL);
		assert_int_equal(hog.held, window - 2);
	}
	pthread_barrier_destroy(&start);
	for (unsigned i = 0; i < THREADS; i++)
		if (w[i].failure[0])
			fail_msg("%s", w[i].failure);
	assert_int_equal(bugs, 0);

	/* Everything was unmapped: no entry has a user, nobody waits. */
	for (unsigned nr = 0; nr < window; nr++)
		assert_true(hm_pkmap_count(ctx, nr) <= 1);
	assert_int_equal(hm_pkmap_waiters(ctx), 0);
	for (unsigned cpu = 0; cpu < cfg.nr_cpus; cpu++) {
		struct hm_cpu_state cs;

		hm_cpu_state(ctx, cpu, &cs);
		assert_int_equal(cs.preempt_count, 0);
		assert_int_equal(cs.kmap_atomic_idx, 0);
	}
	hm_stats(ctx, &s);
	/* the window was exhausted and the wrap's flush reached every CPU */
	assert_true(s.pkmap_flushes > 0);
	assert_int_equal(s.tlb_ipis, s.tlb_flush_range * (cfg.nr_cpus - 1));
	assert_true(s.pkmap_sleeps > 0);
	assert_true(s.pkmap_wakeups > 0);
	/* Each IPI was served exactly once: by the target CPU's thread, or
	 * (a CPU whose thread had finished) by the initiator.  The threads
	 * overlap for most of the run, so most are their own. */
	for (unsigned cpu = 0; cpu < cfg.nr_cpus; cpu++) {
		struct hm_tlb_stats ts;

		hm_sim_tlb_stats(ctx, cpu, &ts);
		handled += ts.ipis_handled;
		idle += ts.ipis_idle;
	}
	assert_int_equal(handled + idle, s.tlb_ipis);
	assert_true(handled > idle);
	print_message("window %u debug %d pae %d: %llu sleeps, %llu wake-ups, %llu "
		      "flushes, %llu contended locks, IPIs %llu handled by "
		      "their CPU's thread, %llu for idle CPUs\n", window, debug,
		      pae,
		      (unsigned long long)s.pkmap_sleeps,
		      (unsigned long long)s.pkmap_wakeups,
		      (unsigned long long)s.pkmap_flushes,
		      (unsigned long long)s.lock_contended,
		      (unsigned long long)handled, (unsigned long long)idle);
	hm_destroy(ctx);
}

static void stress_default(void **state)
{
	(void)state;
	stress(false, true, false);
}

static void stress_debug_nopae(void **state)
{
	(void)state;
	stress(true, false, false);
}

/* The real 512 entries, exhausted by a hog and the workers together. */
static void stress_full_window(void **state)
{
	(void)state;
	stress(false, true, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stress_default),
		cmocka_unit_test(stress_debug_nopae),
		cmocka_unit_test(stress_full_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
