/* SPDX-License-Identifier: MIT */
#include "core/testing/testing.h"

#include <stdio.h>
#include <string.h>

static void record_bug(void *arg, const struct hm_bug *bug)
{
	struct bug_log *log = arg;

	log->warns += bug->warn;
	log->count++;
	snprintf(log->func, sizeof(log->func), "%s", bug->func);
	snprintf(log->msg, sizeof(log->msg), "%s", bug->msg);
	snprintf(log->file, sizeof(log->file), "%s", bug->file);
	log->line = bug->line;
}

static void fail_on_bug(void *arg, const struct hm_bug *bug)
{
	(void)arg;
	fail_msg("unexpected BUG at %s:%u in %s(): %s", bug->file, bug->line,
		 bug->func, bug->msg);
}

struct hm_ctx *test_ctx(const struct hm_config *cfg, struct bug_log *log)
{
	char err[200] = "";
	struct hm_ctx *ctx = hm_create(cfg, err, sizeof(err));

	if (!ctx)
		fail_msg("hm_create: %s", err);
	if (log) {
		memset(log, 0, sizeof(*log));
		hm_set_bug_handler(ctx, record_bug, log);
	} else {
		hm_set_bug_handler(ctx, fail_on_bug, NULL);
	}
	return ctx;
}

void assert_one_bug(const struct bug_log *log, int before, const char *func,
		    const char *needle)
{
	if (log->count != before + 1)
		fail_msg("expected one BUG from %s() containing \"%s\", got %d "
			 "(last: %s(): %s)", func, needle, log->count - before,
			 log->func, log->msg);
	assert_string_equal(log->func, func);
	if (!strstr(log->msg, needle))
		fail_msg("BUG message \"%s\" lacks \"%s\"", log->msg, needle);
	assert_non_null(strstr(log->file, "core/"));
	assert_true(log->line > 0);
}

uint32_t read32(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	uint32_t v = 0;

	assert_int_equal(hm_sim_read(ctx, vaddr, &v, sizeof(v)), HM_OK);
	return v;
}

void write32(struct hm_ctx *ctx, hm_vaddr_t vaddr, uint32_t val)
{
	assert_int_equal(hm_sim_write(ctx, vaddr, &val, sizeof(val)), HM_OK);
}

struct page *high_page(struct hm_ctx *ctx, uint64_t i)
{
	struct page *p = hm_pfn_to_page(ctx, hm_max_low_pfn(ctx) + i);

	assert_non_null(p);
	return p;
}

uint64_t test_phys_entry(struct hm_ctx *ctx, hm_paddr_t pa, bool pae)
{
	uint64_t e = 0;

	assert_int_equal(hm_sim_phys_read(ctx, pa, &e, pae ? 8 : 4), HM_OK);
	return e;
}

/*
 * The physical address of the PTE that maps @vaddr, found the way the MMU
 * finds it: from CR3 through the PDPT (PAE only) and the page directory to
 * the page table, each level read from simulated memory.  The PTE
 * addresses are not public, but the tables are in the hardware format at a
 * fixed place, so this is the honest way to aim a stray write.
 */
hm_paddr_t test_pte_phys(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	const bool pae = hm_config(ctx)->pae;
	const uint64_t mask = pae ? 0x000ffffffffff000ull : 0xfffff000ull;
	hm_paddr_t table = 0x00100000u;
	uint64_t e;

	if (pae) {
		e = test_phys_entry(ctx, table + ((vaddr >> 30) & 3) * 8, true);
		assert_true(e & PTE_PRESENT);
		table = e & mask;
		e = test_phys_entry(ctx, table + ((vaddr >> 21) & 511) * 8, true);
	} else {
		e = test_phys_entry(ctx, table + (vaddr >> 22) * 4, false);
	}
	assert_true(e & PTE_PRESENT);
	assert_false(e & PTE_PSE);
	table = e & mask;
	return table + ((vaddr >> 12) & (pae ? 511 : 1023)) * (pae ? 8 : 4);
}

/* A store into the page table with no TLB flush, as a buggy kernel would. */
void test_stray_pte_write(struct hm_ctx *ctx, hm_vaddr_t vaddr, uint64_t pte)
{
	bool pae = hm_config(ctx)->pae;

	assert_int_equal(hm_sim_phys_write(ctx, test_pte_phys(ctx, vaddr), &pte,
					   pae ? 8 : 4), HM_OK);
}
