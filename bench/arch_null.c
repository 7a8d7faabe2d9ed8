/* SPDX-License-Identifier: MIT */
/*
 * arch_null.c - the smallest machine the core can run on: a backend that
 * stores PTEs and counts flushes, and nothing else.  The benchmarks' "core/"
 * rows run on it, so they show what the highmem core itself costs; the
 * "sim/" rows add the simulated MMU and TLBs.
 *
 * Both backends define the same hm_* symbols, so this one goes with a
 * renamed copy of the core.  //bench:nullcore_obj compiles the core's
 * sources and the hooks of arch_null_hooks.c as one freestanding unit (the
 * hooks inline, as the kernel's do) and prefixes every symbol with
 * nullcore_ (objcopy --prefix-symbols).  nullcore_names.h, generated with
 * it, #defines each hm_* name to its nullcore_ twin, so this file and the
 * benchmarks are written with the plain names.
 *
 * Here is what sim_ctx.c does for the simulator, in a few lines: one PKMAP
 * and one fixmap page table in ordinary memory, mem_map, the layout; the
 * CPU is a number the caller sets; BUG reports go to stderr and abort.
 */
#include "bench/nullcore_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "bench/arch_null.h"

static struct null_arch *null_of(struct hm_ctx *ctx)
{
	return ctx->arch;
}

void hm_bug_default(void *arg, const struct hm_bug *bug)
{
	(void)arg;
	fprintf(stderr, "kernel BUG at %s:%u in %s() on cpu %u: %s\n",
		bug->file, bug->line, bug->func, bug->cpu, bug->msg);
	abort();
}

struct hm_ctx *hm_create(const struct hm_config *cfg, char *err, size_t errsz)
{
	struct hm_config defaults;
	struct null_arch *na;
	struct hm_ctx *ctx;
	uint64_t lowmem;

	if (!cfg) {
		hm_config_default(&defaults);
		cfg = &defaults;
	}
	if (cfg->nr_cpus < 1 || cfg->nr_cpus > HM_MAX_CPUS ||
	    cfg->mem_bytes < (16ull << 20) || cfg->mem_bytes % (4ull << 20)) {
		snprintf(err, errsz, "hm_create: nr_cpus %u or mem_bytes %llu "
			 "out of range", cfg->nr_cpus,
			 (unsigned long long)cfg->mem_bytes);
		return NULL;
	}
	ctx = aligned_alloc(64, (sizeof(*ctx) + 63) & ~(size_t)63);
	na = calloc(1, sizeof(*na));
	if (!ctx || !na)
		goto nomem;
	memset(ctx, 0, sizeof(*ctx));
	ctx->arch = na;
	na->pkmap_page_table = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	na->fixmap_page_table = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	ctx->cfg = *cfg;
	ctx->pae = cfg->pae;
	ctx->max_pfn = cfg->mem_bytes >> PAGE_SHIFT;
	lowmem = cfg->mem_bytes < MAXMEM ? cfg->mem_bytes : MAXMEM;
	ctx->max_low_pfn = lowmem >> PAGE_SHIFT;
	ctx->first_free_pfn = 0x200000 >> PAGE_SHIFT;	/* as the simulator */
	ctx->mem_map = calloc(ctx->max_pfn, sizeof(struct page));
	if (!na->pkmap_page_table || !na->fixmap_page_table || !ctx->mem_map)
		goto nomem;
	memset(na->pkmap_page_table, 0, PAGE_SIZE);
	memset(na->fixmap_page_table, 0, PAGE_SIZE);
	hm_layout_compute(&ctx->layout, cfg->pae, cfg->nr_cpus, lowmem,
			  cfg->last_pkmap);
	hm_core_init(ctx, na->pkmap_page_table, na->fixmap_page_table);
	return ctx;

nomem:
	hm_destroy(ctx);
	snprintf(err, errsz, "hm_create: out of memory");
	return NULL;
}

void hm_destroy(struct hm_ctx *ctx)
{
	struct null_arch *na;

	if (!ctx)
		return;
	na = null_of(ctx);
	if (na) {
		free(na->pkmap_page_table);
		free(na->fixmap_page_table);
	}
	free(na);
	free(ctx->mem_map);
	free(ctx);
}

void hm_reset(struct hm_ctx *ctx)
{
	hm_core_reset(ctx);
}

void hm_set_cpu(struct hm_ctx *ctx, unsigned cpu)
{
	if (cpu < ctx->cfg.nr_cpus)
		null_of(ctx)->cpu = cpu;
}

unsigned hm_smp_processor_id(struct hm_ctx *ctx)
{
	return null_of(ctx)->cpu;
}
