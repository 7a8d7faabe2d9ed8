/* SPDX-License-Identifier: MIT */
/*
 * wait_test.c - kmap() when every PKMAP entry is taken: the wait queue,
 * with threads as CPUs.
 *
 * The main thread (cpu 0) holds all 512 entries.  A kmap() from another
 * CPU then sleeps on pkmap_map_wait; one kunmap() wakes it, and it gets the
 * entry that was freed (the only one with count 1, cleared by the flush at
 * the wrap), which the flush also dropped from cpu 0's TLB.  Several
 * sleepers are all woken by each kunmap() (wake_up() is not exclusive):
 * one takes the entry, the others sleep again, none is lost.  Two
 * sleepers on one page share one mapping: the second one woken finds the
 * page mapped meanwhile.  A kmap() that no kunmap() will ever satisfy is
 * reported as a BUG after wait_timeout_ms instead of hanging.
 *
 * Every wait for another thread is bounded (DEADLINE_MS) and fails the
 * test on timeout, and wait_timeout_ms bounds the sleepers themselves, so
 * a lost wake-up fails rather than hangs.  Threads make no cmocka calls:
 * they record what happened and the main thread checks it after joining
 * them.  Must be clean under ThreadSanitizer.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/testing/testing.h"

#define NR_PKMAP	512
#define DEADLINE_MS	10000	/* for anything the test waits on */

struct sleeper {
	struct hm_ctx *ctx;
	unsigned cpu;
	struct page *page;
	uint32_t tag;		/* written through the new mapping, at
				 * offset 4 * cpu so sleepers sharing a
				 * page do not overwrite each other */
	hm_vaddr_t vaddr;	/* what hm_kmap() returned */
	int write_ret;
	int done;		/* set, with release, when vaddr is final */
	pthread_t thread;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void pause_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void *sleeper_main(void *arg)
{
	struct sleeper *s = arg;
	hm_vaddr_t v;

	hm_set_cpu(s->ctx, s->cpu);
	v = hm_kmap(s->ctx, s->page);
	if (v)
		s->write_ret = hm_sim_write(s->ctx, v + 4 * s->cpu, &s->tag,
					    sizeof(s->tag));
	s->vaddr = v;
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void start_sleeper(struct sleeper *s, struct hm_ctx *ctx,
			  unsigned cpu, struct page *page, uint32_t tag)
{
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	s->cpu = cpu;
	s->page = page;
	s->tag = tag;
	s->write_ret = -2;
	assert_int_equal(pthread_create(&s->thread, NULL, sleeper_main, s), 0);
}

static bool is_done(struct sleeper *s)
{
	return __atomic_load_n(&s->done, __ATOMIC_ACQUIRE);
}

static unsigned nr_done(struct sleeper *s, unsigned n)
{
	unsigned done = 0;

	for (unsigned i = 0; i < n; i++)
		done += is_done(&s[i]);
	return done;
}

/* Waits, bounded, until @n threads sleep in kmap(). */
static void wait_for_waiters(struct hm_ctx *ctx, unsigned n)
{
	uint64_t deadline = now_ms() + DEADLINE_MS;
	unsigned w;

	while ((w = hm_pkmap_waiters(ctx)) != n) {
		if (now_ms() > deadline)
			fail_msg("pkmap waiters stayed %u, expected %u", w, n);
		pause_ms(1);
	}
}

/* Waits, bounded, until exactly @want of the @n sleepers have returned. */
static void wait_for_done(struct sleeper *s, unsigned n, unsigned want)
{
	uint64_t deadline = now_ms() + DEADLINE_MS;
	unsigned done;

	while ((done = nr_done(s, n)) != want) {
		if (done > want)
			fail_msg("%u kmaps returned, expected %u", done, want);
		if (now_ms() > deadline)
			fail_msg("only %u of %u sleepers returned: lost "
				 "wake-up?", done, want);
		pause_ms(1);
	}
}

static void join(struct sleeper *s)
{
	wait_for_done(s, 1, 1);
	assert_int_equal(pthread_join(s->thread, NULL), 0);
}

static unsigned nr_of(struct hm_ctx *ctx, hm_vaddr_t v)
{
	const struct hm_layout *l = hm_layout(ctx);

	if (v < l->pkmap_base || v >= l->pkmap_base + NR_PKMAP * 4096u ||
	    (v & 4095))
		fail_msg("%#x is not a PKMAP address", v);
	return (v - l->pkmap_base) >> 12;
}

static uint64_t pte_pfn(uint64_t pte)
{
	assert_true(pte & 1);	/* present */
	return (pte & PTE_PFN_MASK) >> 12;
}

static struct hm_ctx *make_ctx(unsigned nr_cpus, unsigned timeout_ms,
			       struct bug_log *log)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;

	hm_config_default(&cfg);
	cfg.nr_cpus = nr_cpus;
	cfg.wait_timeout_ms = timeout_ms;
	ctx = test_ctx(&cfg, log);
	assert_int_equal(hm_layout(ctx)->last_pkmap, NR_PKMAP);
	return ctx;
}

/*
 * kmap() high_page(0..511) from the current CPU and keep them: every entry
 * then has count 2.  Each page gets its index written through its mapping,
 * which also puts every PKMAP translation in this CPU's TLB.
 */
static void exhaust(struct hm_ctx *ctx, hm_vaddr_t *v)
{
	unsigned char seen[NR_PKMAP] = { 0 };

	for (unsigned i = 0; i < NR_PKMAP; i++) {
		unsigned nr;

		v[i] = hm_kmap(ctx, high_page(ctx, i));
		nr = nr_of(ctx, v[i]);
		assert_false(seen[nr]);
		seen[nr] = 1;
		write32(ctx, v[i], i);
	}
	for (unsigned nr = 0; nr < NR_PKMAP; nr++)
		assert_int_equal(hm_pkmap_count(ctx, nr), 2);
}

static void release_all(struct hm_ctx *ctx, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++)
		hm_kunmap(ctx, high_page(ctx, i));
}

static uint32_t phys_word(struct hm_ctx *ctx, struct page *p)
{
	uint32_t w = 0;

	assert_int_equal(hm_sim_phys_read(ctx, hm_page_to_pfn(ctx, p) << 12,
					  &w, sizeof(w)), HM_OK);
	return w;
}

/* ---- One sleeper --------------------------------------------------------- */

static void test_one_sleeper(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = make_ctx(2, 20000, &log);
	const unsigned victim = 100;
	struct page *p = high_page(ctx, NR_PKMAP);
	struct page *vp = high_page(ctx, victim);
	hm_vaddr_t v[NR_PKMAP];
	struct sleeper s;
	struct hm_stats st;
	hm_paddr_t pa = 0;
	bool from_tlb = true;
	unsigned nr;

	(void)state;
	exhaust(ctx, v);
	nr = nr_of(ctx, v[victim]);
	assert_true(hm_sim_translate(ctx, v[victim], &pa, &from_tlb) == HM_OK);
	assert_true(from_tlb);	/* cpu 0 caches the victim's entry */

	start_sleeper(&s, ctx, 1, p, 0xc0ffee);
	wait_for_waiters(ctx, 1);
	assert_false(is_done(&s));
	pause_ms(20);
	assert_false(is_done(&s));	/* asleep, not spinning to a result */
	assert_int_equal(hm_pkmap_waiters(ctx), 1);

	hm_kunmap(ctx, vp);
	join(&s);

	/* It got the entry that was freed, the only one with count 1. */
	assert_int_equal(s.vaddr, v[victim]);
	assert_int_equal(s.write_ret, HM_OK);
	assert_int_equal(hm_pkmap_count(ctx, nr), 2);
	assert_int_equal(pte_pfn(hm_pkmap_pte(ctx, nr)),
			 hm_page_to_pfn(ctx, p));
	assert_int_equal(hm_page_address(ctx, p), v[victim]);
	assert_int_equal(hm_page_address(ctx, vp), 0);
	assert_int_equal(hm_pkmap_waiters(ctx), 0);
	hm_stats(ctx, &st);
	assert_int_equal(st.pkmap_sleeps, 1);
	assert_int_equal(st.pkmap_wakeups, 1);

	/* The flush at the wrap, done from cpu 1, dropped cpu 0's stale
	 * translation too: cpu 0 walks and sees the new frame. */
	assert_true(hm_sim_translate(ctx, v[victim], &pa, &from_tlb) == HM_OK);
	assert_false(from_tlb);
	assert_int_equal(pa, hm_page_to_pfn(ctx, p) << 12);
	assert_int_equal(read32(ctx, v[victim] + 4), 0xc0ffee);
	assert_int_equal(phys_word(ctx, vp), victim); /* old frame */

	assert_int_equal(log.count, 0);
	hm_kunmap(ctx, p);
	hm_destroy(ctx);
}

/* ---- Several sleepers ---------------------------------------------------- */

#define NR_SLEEPERS	3

static void test_several_sleepers(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = make_ctx(NR_SLEEPERS + 1, 20000, &log);
	const unsigned victims[NR_SLEEPERS] = { 10, 200, 400 };
	hm_vaddr_t v[NR_PKMAP];
	struct sleeper s[NR_SLEEPERS];
	bool used[NR_SLEEPERS] = { false };
	struct hm_stats st;
	unsigned i, r;

	(void)state;
	exhaust(ctx, v);
	for (i = 0; i < NR_SLEEPERS; i++)
		start_sleeper(&s[i], ctx, i + 1, high_page(ctx, NR_PKMAP + i),
			      0x5000 + i);
	wait_for_waiters(ctx, NR_SLEEPERS);
	assert_int_equal(nr_done(s, NR_SLEEPERS), 0);

	/* Each kunmap() wakes every sleeper; exactly one finds the entry,
	 * the rest go back to sleep. */
	for (r = 0; r < NR_SLEEPERS; r++) {
		hm_kunmap(ctx, high_page(ctx, victims[r]));
		wait_for_done(s, NR_SLEEPERS, r + 1);
		wait_for_waiters(ctx, NR_SLEEPERS - r - 1);
		pause_ms(30);
		assert_int_equal(nr_done(s, NR_SLEEPERS), r + 1);
	}
	for (i = 0; i < NR_SLEEPERS; i++)
		assert_int_equal(pthread_join(s[i].thread, NULL), 0);

	/* Three distinct addresses: exactly the three freed entries. */
	for (i = 0; i < NR_SLEEPERS; i++) {
		unsigned nr = nr_of(ctx, s[i].vaddr);
		bool found = false;

		assert_int_equal(s[i].write_ret, HM_OK);
		for (r = 0; r < NR_SLEEPERS; r++) {
			if (s[i].vaddr != v[victims[r]])
				continue;
			assert_false(used[r]);
			used[r] = found = true;
		}
		if (!found)
			fail_msg("sleeper %u got %#x, not a freed entry", i,
				 s[i].vaddr);
		assert_int_equal(hm_pkmap_count(ctx, nr), 2);
		assert_int_equal(hm_page_address(ctx, s[i].page), s[i].vaddr);
		assert_int_equal(pte_pfn(hm_pkmap_pte(ctx, nr)),
				 hm_page_to_pfn(ctx, s[i].page));
		assert_int_equal(read32(ctx, s[i].vaddr + 4 * s[i].cpu),
				 0x5000 + i);
	}
	assert_int_equal(hm_pkmap_waiters(ctx), 0);
	hm_stats(ctx, &st);
	assert_int_equal(st.pkmap_wakeups, NR_SLEEPERS);
	/*
	 * 3 first sleeps, then at most 2 + 1 sleeps again, by those a
	 * kunmap() woke for nothing.  At least one of those shows that the
	 * wake-up was not exclusive (it could only be missing if every loser
	 * stayed off a CPU for the 30 ms before the next kunmap()).
	 */
	assert_true(st.pkmap_sleeps > NR_SLEEPERS);
	assert_true(st.pkmap_sleeps <= NR_SLEEPERS + 2 + 1);
	assert_int_equal(log.count, 0);
	hm_destroy(ctx);
}

/* ---- A sleeper's page mapped by another CPU meanwhile -------------------- */

/*
 * Two CPUs sleep in kmap() of the same page P.  One kunmap() wakes both;
 * whichever takes kmap_lock first maps P in the freed entry, and the other,
 * woken by the same wake-up, must find that mapping through page_address()
 * rather than scan again: the scan would find every entry busy and sleep
 * until the timeout.  Which CPU comes first is up to the scheduler, but
 * one of them always takes that path, so the test is deterministic.
 *
 * (The variant where the main thread itself kmaps P right after its
 * kunmap() races with the sleeper's wake-up: which of the two paths runs
 * cannot be forced through the API, so it is not tested separately.)
 */
#define MEANWHILE_ROUNDS	5

static void test_page_mapped_meanwhile(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = make_ctx(3, 20000, &log);
	const unsigned victim = 333;
	struct page *p = high_page(ctx, NR_PKMAP + 7);
	uint64_t pfn = hm_page_to_pfn(ctx, p);
	hm_vaddr_t v[NR_PKMAP];
	struct sleeper s[2];
	struct hm_stats st;

	(void)state;
	for (unsigned round = 0; round < MEANWHILE_ROUNDS; round++) {
		unsigned nr, mapped = 0;

		exhaust(ctx, v);
		start_sleeper(&s[0], ctx, 1, p, 0xabc100 + round);
		start_sleeper(&s[1], ctx, 2, p, 0xabc200 + round);
		wait_for_waiters(ctx, 2);
		assert_int_equal(nr_done(s, 2), 0);

		hm_kunmap(ctx, high_page(ctx, victim));
		wait_for_done(s, 2, 2);
		assert_int_equal(pthread_join(s[0].thread, NULL), 0);
		assert_int_equal(pthread_join(s[1].thread, NULL), 0);

		/* One mapping of P, in the freed entry, with two users. */
		assert_int_equal(s[0].vaddr, v[victim]);
		assert_int_equal(s[1].vaddr, v[victim]);
		nr = nr_of(ctx, v[victim]);
		assert_int_equal(hm_pkmap_count(ctx, nr), 3);
		for (unsigned i = 0; i < NR_PKMAP; i++)
			mapped += pte_pfn(hm_pkmap_pte(ctx, i)) == pfn;
		assert_int_equal(mapped, 1);
		assert_int_equal(hm_page_address(ctx, p), v[victim]);
		assert_int_equal(read32(ctx, v[victim] + 4), 0xabc100 + round);
		assert_int_equal(read32(ctx, v[victim] + 8), 0xabc200 + round);

		/* Both slept once; one wake-up served both. */
		hm_stats(ctx, &st);
		assert_int_equal(st.pkmap_sleeps, 2);
		assert_int_equal(st.pkmap_wakeups, 1);
		assert_int_equal(hm_pkmap_waiters(ctx), 0);
		assert_int_equal(log.count, 0);

		/* Both users can let go. */
		hm_kunmap(ctx, p);
		hm_kunmap(ctx, p);
		assert_int_equal(hm_pkmap_count(ctx, nr), 1);
		assert_int_equal(log.count, 0);
		hm_reset(ctx);
	}
	hm_destroy(ctx);
}

/* ---- Deadlocks are reported, not hung on --------------------------------- */

static void test_deadlock_reported(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = make_ctx(1, 200, &log);
	struct page *p = high_page(ctx, NR_PKMAP);
	hm_vaddr_t v[NR_PKMAP], got;
	struct hm_stats st;
	uint64_t t0, elapsed;

	(void)state;
	exhaust(ctx, v);
	t0 = now_ms();
	got = hm_kmap(ctx, p);		/* nobody else will ever kunmap */
	elapsed = now_ms() - t0;
	assert_int_equal(got, 0);
	assert_one_bug(&log, 0, "map_new_virtual", "no kunmap came in time");
	if (elapsed < 190 || elapsed > 1000)
		fail_msg("gave up after %llu ms, wait_timeout_ms is 200",
			 (unsigned long long)elapsed);
	assert_int_equal(hm_page_address(ctx, p), 0);
	assert_int_equal(hm_pkmap_waiters(ctx), 0);
	for (unsigned nr = 0; nr < NR_PKMAP; nr++)
		assert_int_equal(hm_pkmap_count(ctx, nr), 2);
	hm_stats(ctx, &st);
	assert_int_equal(st.pkmap_sleeps, 1);
	assert_int_equal(st.pkmap_wakeups, 0);

	/* Not wedged: a kunmap() and the same kmap() works at once. */
	hm_kunmap(ctx, high_page(ctx, 5));
	got = hm_kmap(ctx, p);
	assert_int_equal(got, v[5]);
	assert_int_equal(log.count, 1);
	hm_destroy(ctx);
}

/* The same from another CPU: the sleeper gives up, reports and returns 0
 * while the holder of every entry carries on. */
static void test_sleeper_times_out(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = make_ctx(2, 200, &log);
	hm_vaddr_t v[NR_PKMAP];
	struct sleeper s;

	(void)state;
	exhaust(ctx, v);
	start_sleeper(&s, ctx, 1, high_page(ctx, NR_PKMAP), 1);
	join(&s);		/* bounded: 10 s against a 200 ms timeout */
	assert_int_equal(s.vaddr, 0);
	assert_one_bug(&log, 0, "map_new_virtual", "no kunmap came in time");
	assert_int_equal(hm_pkmap_waiters(ctx), 0);
	for (unsigned nr = 0; nr < NR_PKMAP; nr++)
		assert_int_equal(hm_pkmap_count(ctx, nr), 2);
	release_all(ctx, 0, NR_PKMAP);
	assert_int_equal(log.count, 1);
	hm_destroy(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_sleeper),
		cmocka_unit_test(test_several_sleepers),
		cmocka_unit_test(test_page_mapped_meanwhile),
		cmocka_unit_test(test_deadlock_reported),
		cmocka_unit_test(test_sleeper_times_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
