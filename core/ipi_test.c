/* SPDX-License-Identifier: MIT */
/*
 * ipi_test.c - TLB shootdowns in the simulator: the flush of a wrap reaches
 * another CPU as an IPI that the thread running that CPU serves (here
 * while it waits outside the simulator, on a condition variable), an idle
 * CPU's flush is done by the initiator, and a CPU whose thread never takes
 * the IPI is reported as a BUG after the wait timeout instead of hanging.
 *
 * Each case: CPU 1's thread maps a highmem page with kmap(), reads through
 * it (its TLB now holds the translation), unmaps it (count 1: mapped, no
 * users), and parks.  CPU 0 (the main thread) then frees the entry with
 * kmap_flush_unused(), whose flush_all_zero_pkmaps() clears the PTE and
 * calls flush_tlb_kernel_range().  Afterwards CPU 1 must not translate the
 * address any more.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "core/testing/testing.h"

enum step { PARKED = 1, FLUSHED, CHECKED };

struct cpu1 {
	struct hm_ctx *ctx;
	bool block_signals;	/* a CPU that never takes interrupts */
	bool exit_early;	/* leave before the flush: CPU 1 goes idle */
	hm_vaddr_t vaddr;
	int translate;		/* hm_sim_translate after the flush */
	enum step step;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void set_step(struct cpu1 *c, enum step s)
{
	pthread_mutex_lock(&c->lock);
	c->step = s;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static void wait_step(struct cpu1 *c, enum step s)
{
	pthread_mutex_lock(&c->lock);
	while (c->step < s)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

static void *run_cpu1(void *arg)
{
	struct cpu1 *c = arg;
	struct hm_ctx *ctx = c->ctx;
	struct page *page = high_page(ctx, 7);
	hm_paddr_t pa;
	uint32_t word;

	if (c->block_signals) {
		sigset_t all;

		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
	}
	hm_set_cpu(ctx, 1);
	c->vaddr = hm_kmap(ctx, page);
	hm_sim_read(ctx, c->vaddr, &word, sizeof(word));
	hm_kunmap(ctx, page);
	if (c->exit_early) {
		set_step(c, PARKED);
		return NULL;
	}
	set_step(c, PARKED);
	wait_step(c, FLUSHED);
	c->translate = hm_sim_translate(ctx, c->vaddr, &pa, NULL);
	set_step(c, CHECKED);
	return NULL;
}

/* Runs the case; returns CPU 1's TLB stats after it. */
static struct hm_tlb_stats shootdown(struct cpu1 *c, struct bug_log *log,
				     unsigned timeout_ms)
{
	struct hm_config cfg;
	struct hm_tlb_stats ts;
	struct hm_stats s;
	pthread_t tid;
	unsigned nr;

	hm_config_default(&cfg);
	cfg.nr_cpus = 2;
	cfg.wait_timeout_ms = timeout_ms;
	c->ctx = test_ctx(&cfg, log);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	assert_int_equal(pthread_create(&tid, NULL, run_cpu1, c), 0);
	wait_step(c, PARKED);
	if (c->exit_early)
		pthread_join(tid, NULL);

	hm_set_cpu(c->ctx, 0);
	nr = (c->vaddr - hm_pkmap_addr(c->ctx, 0)) >> 12;
	assert_int_equal(hm_pkmap_count(c->ctx, nr), 1);
	hm_kmap_flush_unused(c->ctx);
	assert_int_equal(hm_pkmap_count(c->ctx, nr), 0);
	hm_stats(c->ctx, &s);
	assert_int_equal(s.tlb_flush_range, 1);
	assert_int_equal(s.tlb_ipis, 1);

	if (!c->exit_early) {
		set_step(c, FLUSHED);
		wait_step(c, CHECKED);
		pthread_join(tid, NULL);
		/* the PTE is clear and CPU 1's TLB no longer has it */
		assert_int_equal(c->translate, HM_FAULT);
	}
	hm_sim_tlb_stats(c->ctx, 1, &ts);
	hm_destroy(c->ctx);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	return ts;
}

/* CPU 1's thread waits on a condition variable, outside the simulator:
 * the signal interrupts the wait, the handler flushes and acknowledges. */
static void served_by_target_thread(void **state)
{
	struct cpu1 c;
	struct hm_tlb_stats ts;

	(void)state;
	memset(&c, 0, sizeof(c));
	ts = shootdown(&c, NULL, 10000);
	assert_int_equal(ts.ipis_handled, 1);
	assert_int_equal(ts.ipis_idle, 0);
}

/* No thread runs CPU 1 any more: the initiator flushes its TLB itself. */
static void idle_cpu_served_by_initiator(void **state)
{
	struct cpu1 c;
	struct hm_tlb_stats ts;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.exit_early = true;
	ts = shootdown(&c, NULL, 10000);
	assert_int_equal(ts.ipis_handled, 0);
	assert_int_equal(ts.ipis_idle, 1);
}

/* CPU 1's thread blocks every signal: after the timeout a BUG names the
 * CPU, and the initiator does the flush itself, so the machine stays
 * consistent and nothing hangs. */
static void missing_ack_is_a_bug(void **state)
{
	struct bug_log log;
	struct cpu1 c;
	struct hm_tlb_stats ts;

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(&log, 0, sizeof(log));
	c.block_signals = true;
	ts = shootdown(&c, &log, 200);
	assert_one_bug(&log, 0, "ipi_timeout_bug",
		       "cpu 1 did not acknowledge the TLB shootdown IPI from "
		       "cpu 0 within 200 ms");
	assert_int_equal(ts.ipis_handled, 0);
	assert_int_equal(ts.ipis_idle, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(served_by_target_thread),
		cmocka_unit_test(idle_cpu_served_by_initiator),
		cmocka_unit_test(missing_ack_is_a_bug),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
