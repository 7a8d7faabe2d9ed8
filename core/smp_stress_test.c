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
 * Run it under --config=tsan as well: the core's locks and the simulated
 * TLBs must be free of data races.
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
	return NULL;
}

static void count_bug(void *arg, const struct hm_bug *bug)
{
	int *bugs = arg;

	(void)bug;
	__atomic_add_fetch(bugs, 1, __ATOMIC_RELAXED);
}

static void stress(bool debug, bool pae)
{
	struct worker w[THREADS];
	pthread_t tid[THREADS];
	struct hm_config cfg;
	struct hm_stats s;
	struct hm_ctx *ctx;
	pthread_barrier_t start;
	uint64_t handled = 0, idle = 0;
	int bugs = 0;
	char err[200];

	hm_config_default(&cfg);
	cfg.nr_cpus = THREADS;
	cfg.pae = pae;
	cfg.debug_highmem = debug;
	cfg.last_pkmap = 4;		/* fewer entries than threads */
	cfg.wait_timeout_ms = 20000;	/* a deadlock fails, it does not hang */
	ctx = hm_create(&cfg, err, sizeof(err));
	assert_non_null(ctx);
	hm_set_bug_handler(ctx, count_bug, &bugs);

	memset(w, 0, sizeof(w));
	pthread_barrier_init(&start, NULL, THREADS);
	for (unsigned i = 0; i < THREADS; i++) {
		w[i].ctx = ctx;
		w[i].start = &start;
		w[i].cpu = i;
		w[i].seed = 1000 + i;
		assert_int_equal(pthread_create(&tid[i], NULL, work, &w[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&start);
	for (unsigned i = 0; i < THREADS; i++)
		if (w[i].failure[0])
			fail_msg("%s", w[i].failure);
	assert_int_equal(bugs, 0);

	/* Everything was unmapped: no entry has a user, nobody waits. */
	for (unsigned nr = 0; nr < 4; nr++)
		assert_true(hm_pkmap_count(ctx, nr) <= 1);
	assert_int_equal(hm_pkmap_waiters(ctx), 0);
	for (unsigned cpu = 0; cpu < THREADS; cpu++) {
		struct hm_cpu_state cs;

		hm_cpu_state(ctx, cpu, &cs);
		assert_int_equal(cs.preempt_count, 0);
		assert_int_equal(cs.kmap_atomic_idx, 0);
	}
	hm_stats(ctx, &s);
	/* the window was exhausted and the wrap's flush reached every CPU */
	assert_true(s.pkmap_flushes > 0);
	assert_int_equal(s.tlb_ipis, s.tlb_flush_range * (THREADS - 1));
	assert_true(s.pkmap_sleeps > 0);
	assert_true(s.pkmap_wakeups > 0);
	/* Each IPI was served exactly once: by the target CPU's thread, or
	 * (a CPU whose thread had finished) by the initiator.  The threads
	 * overlap for most of the run, so most are their own. */
	for (unsigned cpu = 0; cpu < THREADS; cpu++) {
		struct hm_tlb_stats ts;

		hm_sim_tlb_stats(ctx, cpu, &ts);
		handled += ts.ipis_handled;
		idle += ts.ipis_idle;
	}
	assert_int_equal(handled + idle, s.tlb_ipis);
	assert_true(handled > idle);
	print_message("debug %d pae %d: %llu sleeps, %llu wake-ups, %llu "
		      "flushes, %llu contended locks, IPIs %llu handled by "
		      "their CPU's thread, %llu for idle CPUs\n", debug, pae,
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
	stress(false, true);
}

static void stress_debug_nopae(void **state)
{
	(void)state;
	stress(true, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stress_default),
		cmocka_unit_test(stress_debug_nopae),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
