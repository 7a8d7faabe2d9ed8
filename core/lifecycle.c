/* SPDX-License-Identifier: MIT */
/*
 * lifecycle.c - the part of a machine's life that is the same on every
 * backend: filling a new context from its configuration and its kernel
 * profile, resetting it, and naming the current CPU.  Freestanding, like
 * the rest of the core; the hosted part (allocation, hm_create) is
 * machine.c.
 */
#include "core/internal.h"

/* enum km_type's names (core/highmem.h), to find each type's slot in a
 * profile that names its own (2.6.24 has no KM_PTE2). */
static const char *const km_type_name[KM_LEGACY_TYPES] = {
	"KM_BOUNCE_READ", "KM_SKB_SUNRPC_DATA", "KM_SKB_DATA_SOFTIRQ",
	"KM_USER0", "KM_USER1", "KM_BIO_SRC_IRQ", "KM_BIO_DST_IRQ",
	"KM_PTE0", "KM_PTE1", "KM_PTE2", "KM_IRQ0", "KM_IRQ1",
	"KM_SOFTIRQ0", "KM_SOFTIRQ1",
};

static bool name_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* The slot of each km_type: its place in the profile's enum km_type, or
 * (profiles without one) the type itself, as the legacy form was on top of
 * the stack's slots; -1 where the kernel has no such type. */
static void km_types_setup(struct hm_ctx *ctx)
{
	const struct hm_kernel_profile *p = ctx->profile;

	for (unsigned t = 0; t < KM_LEGACY_TYPES; t++) {
		int slot = t < ctx->layout.km_max_nest ? (int)t : -1;

		if (p->km_type_names) {
			slot = -1;
			for (unsigned i = 0; i < p->nr_km_types; i++)
				if (name_eq(p->km_type_names[i],
					    km_type_name[t]))
					slot = (int)i;
		}
		ctx->km_type_slot[t] = (int8_t)slot;
	}
}

/* The layout @cfg's kernel would set up, in *@l; NULL or why not. */
static const char *layout_of(const struct hm_config *cfg,
			     const struct hm_kernel_profile *p,
			     struct hm_profile_layout *pl)
{
	struct hm_profile_params in = {
		.pae = cfg->pae,
		.mem_bytes = cfg->mem_bytes,
		.nr_cpus = cfg->nr_cpus,
		.nr_cpus_build = 0,	/* the profile's NR_CPUS, or nr_cpus */
		.debug = cfg->debug_highmem,
	};
	const char *why;

	if (!p)
		return "unknown kernel profile";
	why = hm_profile_layout(p, &in, pl);
	if (why)
		return why;
	if (pl->l.km_max_nest > HM_KM_SLOTS_MAX)
		return "more nested temporary maps than HM_KM_SLOTS_MAX";
	if (cfg->last_pkmap)
		pl->l.last_pkmap = cfg->last_pkmap;
	return NULL;
}

const char *hm_ctx_setup(struct hm_ctx *ctx, const struct hm_config *cfg,
			 uint64_t first_free_pfn)
{
	const struct hm_kernel_profile *p = hm_kernel_profile_of(cfg->kernel);
	struct hm_profile_layout pl;
	const char *why = layout_of(cfg, p, &pl);

	if (why)
		return why;
	ctx->cfg = *cfg;
	ctx->profile = p;
	ctx->pae = cfg->pae;
	ctx->max_pfn = pl.max_pfn;
	ctx->max_low_pfn = pl.max_low_pfn;
	ctx->first_free_pfn = first_free_pfn;
	ctx->layout = pl.l;
	km_types_setup(ctx);
	return NULL;
}

/*
 * A new configuration for a context whose page tables are built (the
 * guest, between sequences, after hm_reset()): CPUs, debug and the window
 * may change as long as the tables still fit, i.e. the kernel, PAE, RAM,
 * PKMAP_BASE, the end of lowmem and the fixmap's page tables stay.
 */
const char *hm_ctx_reconfigure(struct hm_ctx *ctx, const struct hm_config *cfg)
{
	const struct hm_layout *old = &ctx->layout;
	struct hm_profile_layout pl;
	const char *why;

	if (cfg->kernel != ctx->cfg.kernel || cfg->pae != ctx->cfg.pae ||
	    cfg->mem_bytes != ctx->cfg.mem_bytes)
		return "the kernel, PAE and RAM are fixed once the page tables "
		       "are built";
	why = layout_of(cfg, ctx->profile, &pl);
	if (why)
		return why;
	if (pl.l.pkmap_base != old->pkmap_base ||
	    pl.l.high_memory != old->high_memory ||
	    FIXMAP_PT_BASE(&pl.l) != FIXMAP_PT_BASE(old))
		return "this configuration moves PKMAP_BASE, the end of lowmem "
		       "or the fixmap's page tables: it needs other page tables";
	ctx->cfg = *cfg;
	ctx->layout = pl.l;
	km_types_setup(ctx);
	hm_core_kmap_init(ctx);
	hm_tasks_init(ctx);
	return NULL;
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
