/* SPDX-License-Identifier: MIT */
/*
 * misuse_test.c - every misuse of the API is reported like the kernel's
 * BUG(), and the call backs out.
 *
 * For each misuse: exactly one report, from the core function that found
 * it, saying what went wrong, with a file under core/ and a line; the
 * failing call returns 0 or does nothing, and pkmap_count, the PKMAP and
 * temporary-map PTEs, every CPU's preempt/pagefault/migrate counts and slot
 * stack, the current CPU and the wait queue are as they were before it; a
 * correct call afterwards still works.  Covered: kunmap of an unmapped page
 * and one kunmap too many; kunmap_atomic out of order, of a wrong address,
 * with nothing mapped; nesting past KM_TYPE_NR; kmap() in atomic context;
 * hm_set_cpu() with preemption or migration off, or to a missing CPU; the
 * legacy typed slots; kunmap_local() of a kmap_atomic() slot and the
 * converse; kmap_high() of lowmem; pages outside mem_map; a kmap() that
 * would sleep with sleeping off; the default handler (report on stderr,
 * abort); and a long legal sequence that must report nothing.
 *
 * A report names the function that found the misuse, which for several
 * checks is a static helper (kmap_stack_unmap, atomic_enable, ...) rather
 * than the API entry point; the message names the API call.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/testing/testing.h"

#define MAX_PKMAP	1024

/* Everything a failing call must leave alone. */
struct snap {
	unsigned cur_cpu;
	unsigned waiters;
	int count[MAX_PKMAP];
	uint64_t pte[MAX_PKMAP];
	uint64_t slot_pte[HM_MAX_CPUS][HM_KM_SLOTS_MAX];
	struct hm_cpu_state cpu[HM_MAX_CPUS];
};

static struct snap *take_snap(struct hm_ctx *ctx)
{
	const struct hm_layout *l = hm_layout(ctx);
	unsigned ncpu = hm_config(ctx)->nr_cpus;
	struct snap *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->cur_cpu = hm_smp_processor_id(ctx);
	s->waiters = hm_pkmap_waiters(ctx);
	for (unsigned nr = 0; nr < l->last_pkmap; nr++) {
		s->count[nr] = hm_pkmap_count(ctx, nr);
		s->pte[nr] = hm_pkmap_pte(ctx, nr);
	}
	for (unsigned cpu = 0; cpu < ncpu; cpu++) {
		hm_cpu_state(ctx, cpu, &s->cpu[cpu]);
		for (unsigned t = 0; t < KM_TYPE_NR_4_7; t++)
			s->slot_pte[cpu][t] = hm_kmap_atomic_pte(ctx, cpu, t);
	}
	return s;
}

/* Fails on the first difference from @before, then frees it. */
static void assert_unchanged(struct hm_ctx *ctx, struct snap *before)
{
	struct snap *now = take_snap(ctx);
	const struct hm_layout *l = hm_layout(ctx);
	unsigned ncpu = hm_config(ctx)->nr_cpus;

	assert_int_equal(now->cur_cpu, before->cur_cpu);
	assert_int_equal(now->waiters, before->waiters);
	for (unsigned nr = 0; nr < l->last_pkmap; nr++) {
		if (now->count[nr] != before->count[nr])
			fail_msg("pkmap_count[%u] %d -> %d", nr,
				 before->count[nr], now->count[nr]);
		if (now->pte[nr] != before->pte[nr])
			fail_msg("pkmap pte[%u] %#llx -> %#llx", nr,
				 (unsigned long long)before->pte[nr],
				 (unsigned long long)now->pte[nr]);
	}
	for (unsigned cpu = 0; cpu < ncpu; cpu++) {
		const struct hm_cpu_state *a = &before->cpu[cpu];
		const struct hm_cpu_state *b = &now->cpu[cpu];

		if (memcmp(a, b, sizeof(*a)))
			fail_msg("cpu %u: preempt %d->%d pagefault %d->%d "
				 "migrate %d->%d idx %d->%d", cpu,
				 a->preempt_count, b->preempt_count,
				 a->pagefault_disabled, b->pagefault_disabled,
				 a->migrate_disabled, b->migrate_disabled,
				 a->kmap_atomic_idx, b->kmap_atomic_idx);
		for (unsigned t = 0; t < KM_TYPE_NR_4_7; t++) {
			uint64_t was = before->slot_pte[cpu][t];
			uint64_t is = now->slot_pte[cpu][t];

			if (is != was)
				fail_msg("cpu %u slot %u pte %#llx -> %#llx",
					 cpu, t, (unsigned long long)was,
					 (unsigned long long)is);
		}
	}
	free(now);
	free(before);
}

static void assert_cpu(struct hm_ctx *ctx, unsigned cpu, int preempt,
		       int migrate, int idx)
{
	struct hm_cpu_state s;

	hm_cpu_state(ctx, cpu, &s);
	assert_int_equal(s.preempt_count, preempt);
	assert_int_equal(s.pagefault_disabled, preempt);
	assert_int_equal(s.migrate_disabled, migrate);
	assert_int_equal(s.kmap_atomic_idx, idx);
}

static unsigned pkmap_nr(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	const struct hm_layout *l = hm_layout(ctx);

	assert_true(vaddr >= l->pkmap_base);
	assert_true(vaddr < l->pkmap_base + l->last_pkmap * 4096u);
	assert_int_equal(vaddr & 4095, 0);
	return (vaddr - l->pkmap_base) >> 12;
}

static uint64_t pte_pfn(uint64_t pte)
{
	assert_true(pte & PTE_PRESENT);
	return (pte & PTE_PFN_MASK) >> 12;
}

static struct page *low_page(struct hm_ctx *ctx)
{
	struct page *p = hm_pfn_to_page(ctx, hm_first_free_pfn(ctx));

	assert_non_null(p);
	assert_false(hm_PageHighMem(ctx, p));
	return p;
}

/* ---- Persistent maps ----------------------------------------------------- */

static void test_kunmap_not_mapped(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = test_ctx(NULL, &log);
	struct page *p = high_page(ctx, 7);
	struct snap *s = take_snap(ctx);
	hm_vaddr_t v;

	(void)state;
	hm_kunmap(ctx, p);
	assert_one_bug(&log, 0, "kunmap_high", "not kmapped");
	hm_kunmap_high(ctx, p);
	assert_one_bug(&log, 1, "kunmap_high", "not kmapped");
	assert_unchanged(ctx, s);
	assert_int_equal(hm_page_address(ctx, p), 0);

	/* Still usable. */
	v = hm_kmap(ctx, p);
	assert_int_equal(hm_pkmap_count(ctx, pkmap_nr(ctx, v)), 2);
	hm_kunmap(ctx, p);
	assert_int_equal(hm_pkmap_count(ctx, pkmap_nr(ctx, v)), 1);
	assert_int_equal(log.count, 2);
	hm_destroy(ctx);
}

static void test_kunmap_count_to_zero(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = test_ctx(NULL, &log);
	struct page *p = high_page(ctx, 3);
	hm_vaddr_t v, v2;
	unsigned nr;
	struct snap *s;

	(void)state;
	v = hm_kmap(ctx, p);
	nr = pkmap_nr(ctx, v);
	write32(ctx, v, 0xfeedf00d);
	hm_kunmap(ctx, p);
	assert_int_equal(hm_pkmap_count(ctx, nr), 1); /* unflushed */

	s = take_snap(ctx);
	hm_kunmap(ctx, p);
	assert_one_bug(&log, 0, "kunmap_high", "to 0");
	assert_unchanged(ctx, s);
	assert_int_equal(hm_pkmap_count(ctx, nr), 1);
	assert_int_equal(pte_pfn(hm_pkmap_pte(ctx, nr)),
			 hm_page_to_pfn(ctx, p));
	assert_int_equal(hm_page_address(ctx, p), v);

	/* The entry is still the page's: kmap takes it up again. */
	v2 = hm_kmap(ctx, p);
	assert_int_equal(v2, v);
	assert_int_equal(hm_pkmap_count(ctx, nr), 2);
	assert_int_equal(read32(ctx, v2), 0xfeedf00d);
	hm_kunmap(ctx, p);

	/* After a flush the page is unmapped, and says so. */
	hm_kmap_flush_unused(ctx);
	assert_int_equal(hm_pkmap_count(ctx, nr), 0);
	assert_int_equal(hm_pkmap_pte(ctx, nr), 0);
	hm_kunmap(ctx, p);
	assert_one_bug(&log, 1, "kunmap_high", "not kmapped");
	hm_destroy(ctx);
}

static void test_kmap_high_of_lowmem(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = test_ctx(NULL, &log);
	struct page *lp = low_page(ctx);
	hm_vaddr_t direct = hm_page_address(ctx, lp);
	struct snap *s = take_snap(ctx);

	(void)state;
	assert_true(direct >= hm_layout(ctx)->page_offset);
	assert_int_equal(hm_kmap_high(ctx, lp), 0);
	assert_one_bug(&log, 0, "high_page_ok", "lowmem");
	hm_kunmap_high(ctx, lp);
	assert_one_bug(&log, 1, "high_page_ok", "lowmem");
	assert_int_equal(hm_kmap_high_get(ctx, lp), 0);
	assert_one_bug(&log, 2, "high_page_ok", "lowmem");
	assert_unchanged(ctx, s);

	/* kmap()/kunmap() of lowmem are legal: the direct map, no entry. */
	s = take_snap(ctx);
	assert_int_equal(hm_kmap(ctx, lp), direct);
	hm_kunmap(ctx, lp);
	hm_kunmap(ctx, lp);
	assert_unchanged(ctx, s);
	assert_int_equal(log.count, 3);
	hm_destroy(ctx);
}

/* A pointer one past the end of mem_map, without knowing sizeof(struct
 * page): the distance between two neighbours gives it. */
static struct page *past_mem_map(struct hm_ctx *ctx)
{
	uint64_t last = hm_max_pfn(ctx) - 1;
	char *p0 = (char *)hm_pfn_to_page(ctx, 0);
	char *p1 = (char *)hm_pfn_to_page(ctx, 1);
	char *pl = (char *)hm_pfn_to_page(ctx, last);

	assert_null(hm_pfn_to_page(ctx, last + 1));
	return (struct page *)(pl + (p1 - p0));
}

static void check_outside(struct hm_ctx *ctx, struct bug_log *log,
			  struct page *bad)
{
	struct snap *s = take_snap(ctx);
	int n = log->count;

	assert_int_equal(hm_kmap(ctx, bad), 0);
	assert_one_bug(log, n++, "hm_kmap", "outside mem_map");
	hm_kunmap(ctx, bad);
	assert_one_bug(log, n++, "hm_kunmap", "outside mem_map");
	assert_int_equal(hm_kmap_atomic(ctx, bad), 0);
	assert_one_bug(log, n++, "bad_page_bug", "outside mem_map");
	assert_int_equal(hm_page_address(ctx, bad), 0);
	assert_one_bug(log, n++, "hm_page_address", "outside mem_map");
	assert_int_equal(hm_kmap_local_page(ctx, bad), 0);
	assert_one_bug(log, n++, "bad_page_bug", "outside mem_map");
	assert_int_equal(hm_kmap_atomic_type(ctx, bad, KM_USER0), 0);
	assert_one_bug(log, n++, "bad_page_bug", "outside mem_map");
	assert_int_equal(hm_kmap_high(ctx, bad), 0);
	assert_one_bug(log, n++, "high_page_ok", "outside mem_map");
	hm_kunmap_high(ctx, bad);
	assert_one_bug(log, n++, "high_page_ok", "outside mem_map");
	assert_int_equal(hm_kmap_high_get(ctx, bad), 0);
	assert_one_bug(log, n++, "high_page_ok", "outside mem_map");
	assert_unchanged(ctx, s);
}

static void test_page_outside_mem_map(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = test_ctx(NULL, &log);
	struct page *p = high_page(ctx, 0);
	hm_vaddr_t v;

	(void)state;
	check_outside(ctx, &log, NULL);
	check_outside(ctx, &log, past_mem_map(ctx));

	v = hm_kmap_atomic(ctx, p);
	assert_int_equal(v, hm_kmap_atomic_slot_addr(ctx, 0, 0));
	hm_kunmap_atomic(ctx, v);
	assert_cpu(ctx, 0, 0, 0, 0);
	assert_int_equal(log.count, 18);
	hm_destroy(ctx);
}

/*
 * With sleeping off, the 513th kmap() of distinct pages cannot wait for a
 * kunmap(): it reports, maps nothing, and kmap() works again as soon as an
 * entry is released.
 */
static void test_exhausted_no_sleep(void **state)
{
	struct hm_config cfg;
	struct bug_log log;
	struct hm_ctx *ctx;
	unsigned last, nr, victim = 100;
	hm_vaddr_t v[MAX_PKMAP], extra;
	unsigned char seen[MAX_PKMAP] = { 0 };
	struct page *p;
	struct snap *s;
	struct hm_stats st;

	(void)state;
	hm_config_default(&cfg);
	cfg.wait_timeout_ms = 0;
	ctx = test_ctx(&cfg, &log);
	last = hm_layout(ctx)->last_pkmap;
	assert_int_equal(last, 512);

	for (unsigned i = 0; i < last; i++) {
		v[i] = hm_kmap(ctx, high_page(ctx, i));
		nr = pkmap_nr(ctx, v[i]);
		assert_false(seen[nr]);
		seen[nr] = 1;
	}
	for (nr = 0; nr < last; nr++)
		assert_int_equal(hm_pkmap_count(ctx, nr), 2);
	assert_int_equal(log.count, 0);

	p = high_page(ctx, last);
	s = take_snap(ctx);
	assert_int_equal(hm_kmap(ctx, p), 0);
	assert_one_bug(&log, 0, "map_new_virtual", "would sleep forever");
	if (!strstr(log.msg, "sleeping is off"))
		fail_msg("message lacks \"sleeping is off\": %s", log.msg);
	assert_unchanged(ctx, s);
	assert_int_equal(hm_page_address(ctx, p), 0);
	assert_int_equal(hm_pkmap_waiters(ctx), 0);

	/* Temporary maps never sleep, so they still work. */
	extra = hm_kmap_atomic(ctx, p);
	assert_int_equal(extra, hm_kmap_atomic_slot_addr(ctx, 0, 0));
	write32(ctx, extra, 0x5130513);
	hm_kunmap_atomic(ctx, extra);

	/* One kunmap() and the entry is reused by the next kmap(). */
	hm_kunmap(ctx, high_page(ctx, victim));
	extra = hm_kmap(ctx, p);
	assert_int_equal(extra, v[victim]);
	assert_int_equal(hm_pkmap_count(ctx, pkmap_nr(ctx, extra)), 2);
	assert_int_equal(read32(ctx, extra), 0x5130513);
	assert_int_equal(hm_page_address(ctx, high_page(ctx, victim)), 0);
	hm_stats(ctx, &st);
	assert_int_equal(st.pkmap_wakeups, 0);	/* nobody was waiting */
	assert_int_equal(log.count, 1);
	hm_destroy(ctx);
}

/* might_sleep(): kmap() inside kmap_atomic() is a bug, even of lowmem. */
static void test_kmap_in_atomic(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = test_ctx(NULL, &log);
	struct page *a = high_page(ctx, 0), *b = high_page(ctx, 1);
	hm_vaddr_t va, vb;
	struct snap *s;

	(void)state;
	va = hm_kmap_atomic(ctx, a);
	assert_cpu(ctx, 0, 1, 0, 1);
	s = take_snap(ctx);
	assert_int_equal(hm_kmap(ctx, b), 0);
	assert_one_bug(&log, 0, "might_sleep_bug", "may sleep");
	assert_int_equal(hm_kmap(ctx, low_page(ctx)), 0);
	assert_one_bug(&log, 1, "might_sleep_bug", "may sleep");
	assert_unchanged(ctx, s);
	assert_int_equal(hm_page_address(ctx, b), 0);
	hm_kunmap_atomic(ctx, va);
	assert_cpu(ctx, 0, 0, 0, 0);

	vb = hm_kmap(ctx, b);
	assert_int_equal(hm_pkmap_count(ctx, pkmap_nr(ctx, vb)), 2);
	hm_kunmap(ctx, b);
	assert_int_equal(log.count, 2);
	hm_destroy(ctx);
}

/* ---- Temporary maps ------------------------------------------------------ */

static void test_kunmap_atomic_out_of_order(void **state)
{
	struct hm_config cfg;
	struct bug_log log;
	struct hm_ctx *ctx;
	hm_vaddr_t va, vb;
	struct snap *s;

	(void)state;
	hm_config_default(&cfg);
	cfg.nr_cpus = 2;
	ctx = test_ctx(&cfg, &log);
	va = hm_kmap_atomic(ctx, high_page(ctx, 0));
	vb = hm_kmap_atomic(ctx, high_page(ctx, 1));
	assert_int_equal(va, hm_kmap_atomic_slot_addr(ctx, 0, 0));
	assert_int_equal(vb, hm_kmap_atomic_slot_addr(ctx, 0, 1));
	write32(ctx, va, 0xaaaa);
	write32(ctx, vb, 0xbbbb);

	s = take_snap(ctx);
	hm_kunmap_atomic(ctx, va);
	assert_one_bug(&log, 0, "slot_pop_bug", "out of order");
	assert_unchanged(ctx, s);
	assert_cpu(ctx, 0, 2, 0, 2);
	assert_int_equal(read32(ctx, va), 0xaaaa);
	assert_int_equal(read32(ctx, vb), 0xbbbb);

	/* The same slot of another CPU is not ours to unmap. */
	s = take_snap(ctx);
	hm_kunmap_atomic(ctx, hm_kmap_atomic_slot_addr(ctx, 1, 1));
	assert_one_bug(&log, 1, "slot_pop_bug", "out of order");
	assert_unchanged(ctx, s);

	hm_kunmap_atomic(ctx, vb + 123);	/* any address in the page */
	assert_cpu(ctx, 0, 1, 0, 1);
	hm_kunmap_atomic(ctx, va);
	assert_cpu(ctx, 0, 0, 0, 0);
	assert_int_equal(log.count, 2);
	hm_destroy(ctx);
}

static void test_kunmap_atomic_wrong_address(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = test_ctx(NULL, &log);
	const struct hm_layout *l = hm_layout(ctx);
	const hm_vaddr_t bad[] = {
		l->pkmap_base,			/* a PKMAP address */
		l->pkmap_base + 5 * 4096 + 8,
		0x1000,				/* user space */
		l->page_offset - 4096,
		l->high_memory,			/* past the direct map */
		l->fixaddr_top - 4096,		/* FIX_APIC_BASE */
		l->fixaddr_top,			/* the guard page */
	};
	hm_vaddr_t va;
	struct snap *s;

	(void)state;
	va = hm_kmap_atomic(ctx, high_page(ctx, 0));
	s = take_snap(ctx);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hm_kunmap_atomic(ctx, bad[i]);
		assert_one_bug(&log, (int)i, "bad_vaddr_bug",
			       "neither a temporary map nor a lowmem");
	}
	assert_unchanged(ctx, s);

	hm_kunmap_atomic(ctx, va);
	assert_cpu(ctx, 0, 0, 0, 0);
	assert_int_equal(log.count, 7);
	hm_destroy(ctx);
}

static void test_kunmap_atomic_nothing_mapped(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = test_ctx(NULL, &log);
	hm_vaddr_t slot0 = hm_kmap_atomic_slot_addr(ctx, 0, 0);
	hm_vaddr_t direct = hm_page_address(ctx, low_page(ctx));
	hm_vaddr_t vl;
	struct snap *s = take_snap(ctx);

	(void)state;
	hm_kunmap_atomic(ctx, slot0);
	assert_one_bug(&log, 0, "unbalanced_bug", "without a kmap_atomic");
	hm_kunmap_atomic(ctx, direct);
	assert_one_bug(&log, 1, "unbalanced_bug", "without a kmap_atomic");
	hm_kunmap_local(ctx, slot0);
	assert_one_bug(&log, 2, "slot_pop_bug", "no temporary map");
	assert_unchanged(ctx, s);

	/* A kmap_local_page() does not disable preemption: still no
	 * kmap_atomic to undo. */
	vl = hm_kmap_local_page(ctx, high_page(ctx, 0));
	assert_cpu(ctx, 0, 0, 1, 1);
	s = take_snap(ctx);
	hm_kunmap_atomic(ctx, vl);
	assert_one_bug(&log, 3, "unbalanced_bug", "without a kmap_atomic");
	assert_unchanged(ctx, s);
	hm_kunmap_local(ctx, vl);
	assert_cpu(ctx, 0, 0, 0, 0);
	assert_int_equal(log.count, 4);
	hm_destroy(ctx);
}

/* kunmap_atomic() of a lowmem address must undo a kmap_atomic() of a lowmem
 * page.  Passing one while only a slot is held would leave the slot on the
 * stack with preemption back on: reported, nothing changed.  (It is also
 * what lets kunmap_atomic()'s fast path skip the balance check.) */
static void test_kunmap_atomic_stray_lowmem(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = test_ctx(NULL, &log);
	hm_vaddr_t direct = hm_page_address(ctx, low_page(ctx));
	hm_vaddr_t va, vl;
	struct snap *s;

	(void)state;
	va = hm_kmap_atomic(ctx, high_page(ctx, 0));
	assert_cpu(ctx, 0, 1, 0, 1);
	s = take_snap(ctx);
	hm_kunmap_atomic(ctx, direct);
	assert_one_bug(&log, 0, "stray_lowmem_bug", "holds no kmap_atomic of a lowmem page");
	hm_kunmap_atomic_type(ctx, direct, KM_USER0);
	assert_one_bug(&log, 1, "stray_lowmem_bug", "holds no kmap_atomic of a lowmem page");
	assert_unchanged(ctx, s);

	/* A lowmem map in between, undone out of order, is fine: lowmem
	 * maps take no slot.  Then the slot's own unmap, on the fast path. */
	vl = hm_kmap_atomic(ctx, low_page(ctx));
	assert_int_equal(vl, direct);
	assert_cpu(ctx, 0, 2, 0, 1);
	hm_kunmap_atomic(ctx, vl);
	assert_cpu(ctx, 0, 1, 0, 1);
	hm_kunmap_atomic(ctx, va);
	assert_cpu(ctx, 0, 0, 0, 0);

	/* A typed lowmem map is undone by either form. */
	hm_kmap_atomic_type(ctx, low_page(ctx), KM_USER1);
	hm_kunmap_atomic(ctx, direct);
	assert_cpu(ctx, 0, 0, 0, 0);
	assert_int_equal(log.count, 2);
	hm_destroy(ctx);
}

static void test_nesting_limit(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = test_ctx(NULL, &log);
	hm_vaddr_t v[KM_TYPE_NR_4_7], lv;
	struct page *lp = low_page(ctx);
	struct snap *s;
	int i;

	(void)state;
	for (i = 0; i < KM_TYPE_NR_4_7; i++) {
		v[i] = hm_kmap_atomic(ctx, high_page(ctx, (uint64_t)i));
		assert_int_equal(v[i], hm_kmap_atomic_slot_addr(ctx, 0,
								(unsigned)i));
		write32(ctx, v[i], 0x1000u + (unsigned)i);
	}
	assert_cpu(ctx, 0, KM_TYPE_NR_4_7, 0, KM_TYPE_NR_4_7);
	assert_int_equal(log.count, 0);

	s = take_snap(ctx);
	assert_int_equal(hm_kmap_atomic(ctx, high_page(ctx, 99)), 0);
	assert_one_bug(&log, 0, "slot_push_bug", "more than 20 nested temporary maps on cpu 0 (linux-4.7's KM_TYPE_NR)");
	assert_int_equal(hm_kmap_local_page(ctx, high_page(ctx, 99)), 0);
	assert_one_bug(&log, 1, "slot_push_bug", "more than 20 nested temporary maps on cpu 0 (linux-4.7's KM_TYPE_NR)");
	assert_unchanged(ctx, s);

	/* Lowmem takes no slot, so it still nests. */
	lv = hm_kmap_atomic(ctx, lp);
	assert_int_equal(lv, hm_page_address(ctx, lp));
	assert_cpu(ctx, 0, KM_TYPE_NR_4_7 + 1, 0, KM_TYPE_NR_4_7);
	hm_kunmap_atomic(ctx, lv);

	for (i = KM_TYPE_NR_4_7 - 1; i >= 0; i--) {
		assert_int_equal(read32(ctx, v[i]), 0x1000u + (unsigned)i);
		hm_kunmap_atomic(ctx, v[i]);
		assert_cpu(ctx, 0, i, 0, i);
	}
	assert_int_equal(log.count, 2);
	hm_destroy(ctx);
}

static void test_kind_mismatch(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = test_ctx(NULL, &log);
	hm_vaddr_t va, vl;
	struct snap *s;

	(void)state;
	va = hm_kmap_atomic(ctx, high_page(ctx, 0));
	s = take_snap(ctx);
	hm_kunmap_local(ctx, va);
	assert_one_bug(&log, 0, "slot_pop_bug", "mapped by kmap_atomic");
	assert_unchanged(ctx, s);

	/* The converse, above it on the same stack. */
	vl = hm_kmap_local_page(ctx, high_page(ctx, 1));
	assert_int_equal(vl, hm_kmap_atomic_slot_addr(ctx, 0, 1));
	assert_cpu(ctx, 0, 1, 1, 2);
	s = take_snap(ctx);
	hm_kunmap_atomic(ctx, vl);
	assert_one_bug(&log, 1, "slot_pop_bug",
		       "mapped by kmap_local_page");
	assert_unchanged(ctx, s);

	hm_kunmap_local(ctx, vl);
	assert_int_equal(hm_kmap_atomic_pte(ctx, 0, 1), 0); /* always cleared */
	hm_kunmap_atomic(ctx, va);
	assert_cpu(ctx, 0, 0, 0, 0);
	assert_int_equal(log.count, 2);
	hm_destroy(ctx);
}

static void test_typed_misuse(void **state)
{
	struct bug_log log;
	struct hm_ctx *ctx = test_ctx(NULL, &log);
	struct page *a = high_page(ctx, 0), *b = high_page(ctx, 1);
	hm_vaddr_t v, w[4];
	struct snap *s;
	int n = 0;

	(void)state;
	v = hm_kmap_atomic_type(ctx, a, KM_USER0);
	assert_int_equal(v, hm_kmap_atomic_slot_addr(ctx, 0, KM_USER0));
	assert_cpu(ctx, 0, 1, 0, 0);	/* typed slots are off the stack */
	write32(ctx, v, 0xa0a0);

	s = take_snap(ctx);
	assert_int_equal(hm_kmap_atomic_type(ctx, b, KM_USER0), 0);
	assert_one_bug(&log, n++, "typed_bug", "held by");
	hm_kunmap_atomic_type(ctx, v, KM_USER1);
	assert_one_bug(&log, n++, "typed_bug", "slot is at");
	assert_int_equal(hm_kmap_atomic_type(ctx, b, KM_LEGACY_TYPES), 0);
	assert_one_bug(&log, n++, "typed_bug", "unknown km_type");
	assert_int_equal(hm_kmap_atomic_type(ctx, b, (enum km_type)-1), 0);
	assert_one_bug(&log, n++, "typed_bug", "unknown km_type");
	hm_kunmap_atomic_type(ctx, v, KM_LEGACY_TYPES);
	assert_one_bug(&log, n++, "typed_bug", "unknown km_type");
	/* The stack's kunmap_atomic() knows nothing of the typed slot. */
	hm_kunmap_atomic(ctx, v);
	assert_one_bug(&log, n++, "slot_pop_bug", "no temporary map");
	assert_unchanged(ctx, s);
	assert_int_equal(pte_pfn(hm_kmap_atomic_pte(ctx, 0, KM_USER0)),
			 hm_page_to_pfn(ctx, a));
	assert_int_equal(read32(ctx, v), 0xa0a0);

	/* The stack grows into the typed slot: the 4th nested map finds
	 * KM_USER0 (slot 3) taken. */
	for (int i = 0; i < KM_USER0; i++)
		w[i] = hm_kmap_atomic(ctx, high_page(ctx, 10 + (uint64_t)i));
	s = take_snap(ctx);
	assert_int_equal(hm_kmap_atomic(ctx, b), 0);
	assert_one_bug(&log, n++, "slot_push_bug",
		       "held by a typed kmap_atomic");
	assert_unchanged(ctx, s);
	for (int i = KM_USER0 - 1; i >= 0; i--)
		hm_kunmap_atomic(ctx, w[i]);

	hm_kunmap_atomic_type(ctx, v, KM_USER0);
	assert_cpu(ctx, 0, 0, 0, 0);
	v = hm_kmap_atomic_type(ctx, b, KM_USER0);
	assert_int_equal(pte_pfn(hm_kmap_atomic_pte(ctx, 0, KM_USER0)),
			 hm_page_to_pfn(ctx, b));
	hm_kunmap_atomic_type(ctx, v, KM_USER0);
	assert_cpu(ctx, 0, 0, 0, 0);
	assert_int_equal(log.count, n);
	hm_destroy(ctx);
}

/* ---- CPUs ---------------------------------------------------------------- */

static void test_set_cpu_misuse(void **state)
{
	struct hm_config cfg;
	struct bug_log log;
	struct hm_ctx *ctx;
	hm_vaddr_t v;
	struct snap *s;

	(void)state;
	hm_config_default(&cfg);
	cfg.nr_cpus = 2;
	ctx = test_ctx(&cfg, &log);

	v = hm_kmap_atomic(ctx, high_page(ctx, 0));
	s = take_snap(ctx);
	hm_set_cpu(ctx, 1);
	assert_one_bug(&log, 0, "hm_cpu_may_move", "preemption disabled");
	hm_set_cpu(ctx, 0);		/* staying put is fine */
	assert_unchanged(ctx, s);
	assert_int_equal(hm_smp_processor_id(ctx), 0);
	hm_kunmap_atomic(ctx, v);

	v = hm_kmap_local_page(ctx, high_page(ctx, 0));
	s = take_snap(ctx);
	hm_set_cpu(ctx, 1);
	assert_one_bug(&log, 1, "hm_cpu_may_move", "migration disabled");
	assert_unchanged(ctx, s);
	hm_kunmap_local(ctx, v);

	s = take_snap(ctx);
	hm_set_cpu(ctx, 2);
	assert_one_bug(&log, 2, "hm_cpu_may_move", "no cpu");
	hm_set_cpu(ctx, HM_MAX_CPUS);
	assert_one_bug(&log, 3, "hm_cpu_may_move", "no cpu");
	assert_unchanged(ctx, s);

	/* A legal move: cpu 1's own slots from now on. */
	hm_set_cpu(ctx, 1);
	assert_int_equal(hm_smp_processor_id(ctx), 1);
	v = hm_kmap_atomic(ctx, high_page(ctx, 0));
	assert_int_equal(v, hm_kmap_atomic_slot_addr(ctx, 1, 0));
	assert_cpu(ctx, 1, 1, 0, 1);
	assert_cpu(ctx, 0, 0, 0, 0);
	hm_kunmap_atomic(ctx, v);
	assert_int_equal(log.count, 4);
	hm_destroy(ctx);
}

/* ---- The default handler ------------------------------------------------- */

static void test_default_handler_aborts(void **state)
{
	struct hm_ctx *ctx = test_ctx(NULL, NULL);
	struct page *p = high_page(ctx, 0);
	char buf[512];
	size_t len = 0;
	ssize_t n;
	int fds[2], status;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		if (dup2(fds[1], STDERR_FILENO) < 0)
			_exit(2);
		hm_set_bug_handler(ctx, NULL, NULL);
		hm_kunmap(ctx, p);	/* not mapped: BUG */
		_exit(0);		/* the default handler returned */
	}
	close(fds[1]);
	while (len < sizeof(buf) - 1 &&
	       (n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);

	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		fail_msg("child did not abort (status %#x), stderr: %s",
			 status, buf);
	if (strncmp(buf, "kernel BUG at core/", 19))
		fail_msg("stderr: %s", buf);
	assert_non_null(strstr(buf, "core/highmem.c:"));
	assert_non_null(strstr(buf, " in kunmap_high() on cpu 0: "));
	assert_non_null(strstr(buf, "not kmapped"));
	assert_int_equal(buf[len - 1], '\n');

	/* In the parent, the handler is still the recording one. */
	assert_int_equal(hm_page_address(ctx, p), 0);
	hm_destroy(ctx);
}

/* ---- No false reports ---------------------------------------------------- */

#define LEGAL_PAGES	1500	/* > LAST_PKMAP: the scan wraps */
#define LEGAL_WINDOW	64	/* persistent maps held at once */
#define LEGAL_STEPS	2600

static uint32_t tag(unsigned step)
{
	return 0x9e3779b9u * (step + 1);
}

/* Nested temporary maps of @p: reads what kmap() wrote, checks that every
 * alias sees the same frame, then unwinds in order. */
static void nested_temporaries(struct hm_ctx *ctx, struct page *p,
			       struct page *q, uint32_t want)
{
	struct page *lp = low_page(ctx);
	hm_vaddr_t a, l, t, lo;

	a = hm_kmap_atomic(ctx, p);
	assert_int_equal(read32(ctx, a), want);
	lo = hm_kmap_atomic(ctx, lp);
	assert_int_equal(lo, hm_page_address(ctx, lp));
	l = hm_kmap_local_page(ctx, q);
	t = hm_kmap_atomic_type(ctx, p, KM_USER1);
	assert_int_equal(read32(ctx, t + 8), read32(ctx, a + 8));
	write32(ctx, t + 8, want ^ 1);
	assert_int_equal(read32(ctx, a + 8), want ^ 1);
	hm_kunmap_atomic_type(ctx, t, KM_USER1);
	hm_kunmap_local(ctx, l);
	hm_kunmap_atomic(ctx, lo);
	hm_kunmap_atomic(ctx, a);
}

static void legal_sequence(bool debug_highmem)
{
	struct hm_config cfg;
	struct hm_ctx *ctx;
	uint32_t *expect = calloc(LEGAL_PAGES, sizeof(*expect));
	unsigned last, nr;
	struct hm_stats st;

	hm_config_default(&cfg);
	cfg.nr_cpus = 2;
	cfg.debug_highmem = debug_highmem;
	cfg.wait_timeout_ms = 0;	/* a sleep would be a BUG too */
	ctx = test_ctx(&cfg, NULL);	/* any BUG fails the test */
	last = hm_layout(ctx)->last_pkmap;
	assert_non_null(expect);

	for (unsigned i = 0; i < LEGAL_STEPS; i++) {
		unsigned idx = i % LEGAL_PAGES;
		struct page *p = high_page(ctx, idx);
		struct page *q = high_page(ctx, LEGAL_PAGES + idx % 7);
		hm_vaddr_t v;

		if (i % 100 == 0)
			hm_set_cpu(ctx, (i / 100) % 2);
		v = hm_kmap(ctx, p);
		pkmap_nr(ctx, v);
		/* A stale TLB entry would show another frame's data. */
		assert_int_equal(read32(ctx, v), expect[idx]);
		expect[idx] = tag(i);
		write32(ctx, v, expect[idx]);

		if (i % 5 == 0) {	/* nested kmap of a mapped page */
			assert_int_equal(hm_kmap(ctx, p), v);
			assert_int_equal(hm_kmap_high_get(ctx, p), v);
			assert_int_equal(hm_pkmap_count(ctx, pkmap_nr(ctx, v)),
					 4);
			hm_kunmap(ctx, p);
			hm_kunmap_high(ctx, p);
		}
		if (i % 7 == 0)
			nested_temporaries(ctx, p, q, expect[idx]);
		if (i % 11 == 0) {
			struct page *lp = low_page(ctx);

			assert_int_equal(hm_kmap(ctx, lp),
					 hm_page_address(ctx, lp));
			hm_kunmap(ctx, lp);
		}
		if (i % 997 == 0)
			hm_kmap_flush_unused(ctx);
		if (i >= LEGAL_WINDOW)
			hm_kunmap(ctx, high_page(ctx, (i - LEGAL_WINDOW) %
						      LEGAL_PAGES));
	}
	for (unsigned i = LEGAL_STEPS - LEGAL_WINDOW; i < LEGAL_STEPS; i++)
		hm_kunmap(ctx, high_page(ctx, i % LEGAL_PAGES));
	hm_kmap_flush_unused(ctx);
	for (nr = 0; nr < last; nr++) {
		assert_int_equal(hm_pkmap_count(ctx, nr), 0);
		assert_int_equal(hm_pkmap_pte(ctx, nr), 0);
	}
	for (unsigned cpu = 0; cpu < cfg.nr_cpus; cpu++)
		assert_cpu(ctx, cpu, 0, 0, 0);
	hm_stats(ctx, &st);
	assert_true(st.pkmap_flushes >= LEGAL_STEPS / last);
	assert_int_equal(st.pkmap_sleeps, 0);
	free(expect);
	hm_destroy(ctx);
}

static void test_legal_sequence(void **state)
{
	(void)state;
	legal_sequence(false);
}

static void test_legal_sequence_debug_highmem(void **state)
{
	(void)state;
	legal_sequence(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kunmap_not_mapped),
		cmocka_unit_test(test_kunmap_count_to_zero),
		cmocka_unit_test(test_kmap_high_of_lowmem),
		cmocka_unit_test(test_page_outside_mem_map),
		cmocka_unit_test(test_exhausted_no_sleep),
		cmocka_unit_test(test_kmap_in_atomic),
		cmocka_unit_test(test_kunmap_atomic_out_of_order),
		cmocka_unit_test(test_kunmap_atomic_wrong_address),
		cmocka_unit_test(test_kunmap_atomic_nothing_mapped),
		cmocka_unit_test(test_kunmap_atomic_stray_lowmem),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_kind_mismatch),
		cmocka_unit_test(test_typed_misuse),
		cmocka_unit_test(test_set_cpu_misuse),
		cmocka_unit_test(test_default_handler_aborts),
		cmocka_unit_test(test_legal_sequence),
		cmocka_unit_test(test_legal_sequence_debug_highmem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
