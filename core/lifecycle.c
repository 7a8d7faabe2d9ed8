/* SPDX-License-Identifier: MIT */
/*
 * lifecycle.c - the part of a machine's life that is the same on every
 * backend: filling a new context from its configuration, resetting it, and
 * naming the current CPU.  Freestanding, like the rest of the core; the
 * hosted part (allocation, hm_create) is machine.c.
 */
#include "core/internal.h"

void hm_ctx_setup(struct hm_ctx *ctx, const struct hm_config *cfg,
		  uint64_t first_free_pfn)
{
	uint64_t lowmem = cfg->mem_bytes < MAXMEM ? cfg->mem_bytes : MAXMEM;

	ctx->cfg = *cfg;
	ctx->pae = cfg->pae;
	ctx->max_pfn = cfg->mem_bytes >> PAGE_SHIFT;
	ctx->max_low_pfn = lowmem >> PAGE_SHIFT;
	ctx->first_free_pfn = first_free_pfn;
	hm_layout_compute(&ctx->layout, cfg->pae, cfg->nr_cpus, lowmem,
			  cfg->last_pkmap);
}

/*
 * Every backend resets the same way, counters included: the state
 * hm_create() left, with no trace of the reset's own flush (hm_core_reset()
 * zeroes the counters of the CPUs in use after its flush; the others have
 * not moved since their last reset).
 */
void hm_reset(struct hm_ctx *ctx)
{
	hm_core_reset(ctx);
	hm_arch_reset(ctx);
}

unsigned hm_smp_processor_id(struct hm_ctx *ctx)
{
	return hm_arch_smp_processor_id(ctx);
}
