/* SPDX-License-Identifier: MIT */
/*
 * sim_ctx.c - the simulator's machine hooks (core/arch.h, part 2): its
 * memory, page tables and TLBs for core/machine.c's hm_create(), and
 * moving threads between its CPUs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/sim/sim.h"

/* A thread that runs a CPU exits: the CPU is idle from now on. */
static void thread_exit(void *t)
{
	sim_cpu_unbind(t);
}

bool hm_mach_create(struct hm_ctx *ctx, void **pkmap_pt, void **fixmap_pt,
		    char *why, size_t n)
{
	const struct hm_config *cfg = &ctx->cfg;
	struct hm_sim *sim;
	bool tlbs = true;

	if (cfg->tlb_entries < 16 || cfg->tlb_entries > (1u << 20) ||
	    (cfg->tlb_entries & (cfg->tlb_entries - 1))) {
		snprintf(why, n, "tlb_entries %u: need a power of two from 16 "
			 "to 1048576", cfg->tlb_entries);
		return false;
	}
	sim = aligned_alloc(64, (sizeof(*sim) + 63) & ~(size_t)63);
	if (!sim) {
		snprintf(why, n, "out of memory");
		return false;
	}
	memset(sim, 0, sizeof(*sim));
	ctx->arch = sim;
	sim_ipi_init(ctx);

	/* Physical memory costs only what is touched. */
	sim->phys_size = cfg->mem_bytes;
	sim->phys = mmap(NULL, cfg->mem_bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	sim->tlb_mask = cfg->tlb_entries - 1;
	for (unsigned cpu = 0; cpu < cfg->nr_cpus; cpu++) {
		sim->tlb[cpu].gen = 1;
		sim->tlb[cpu].e = calloc(cfg->tlb_entries,
					 sizeof(struct sim_tlb_entry));
		if (!sim->tlb[cpu].e)
			tlbs = false;
	}
	if (sim->phys == MAP_FAILED || !tlbs) {
		snprintf(why, n, "cannot allocate %llu MiB of simulated memory",
			 (unsigned long long)(cfg->mem_bytes >> 20));
		return false;
	}
	if (pthread_key_create(&sim->cpu_key, thread_exit)) {
		snprintf(why, n, "no thread key left (too many contexts alive)");
		return false;
	}
	sim->have_key = true;

	if (!hm_x86_build_tables(&ctx->layout, cfg->pae,
				 sim->phys + HM_SIM_PGTABLE_PHYS,
				 HM_SIM_PGTABLE_PHYS, &sim->tables)) {
		snprintf(why, n, "the address layout does not fit the page "
			 "tables");
		return false;
	}
	*pkmap_pt = sim->tables.pkmap_page_table;
	*fixmap_pt = sim->tables.fixmap_page_table;
	return true;
}

void hm_mach_destroy(struct hm_ctx *ctx)
{
	struct hm_sim *sim = sim_of(ctx);

	if (!sim)
		return;
	sim_ipi_exit(ctx);
	for (unsigned cpu = 0; cpu < HM_MAX_CPUS; cpu++)
		free(sim->tlb[cpu].e);
	if (sim->phys && sim->phys != MAP_FAILED)
		munmap(sim->phys, sim->phys_size);
	if (sim->have_key)
		pthread_key_delete(sim->cpu_key);
	free(sim);
}

/* hm_reset(): the TLBs' own counters start again with the core's. */
void hm_arch_reset(struct hm_ctx *ctx)
{
	struct hm_sim *sim = sim_of(ctx);

	for (unsigned cpu = 0; cpu < ctx->cfg.nr_cpus; cpu++)
		memset(&sim->tlb[cpu].stats, 0, sizeof(sim->tlb[cpu].stats));
}

bool hm_mach_this_cpu(struct hm_ctx *ctx, unsigned *cpu)
{
	struct sim_tlb *cur = pthread_getspecific(sim_of(ctx)->cpu_key);

	if (cur)
		*cpu = cur->cpu;
	return cur != NULL;
}

void hm_mach_set_cpu(struct hm_ctx *ctx, unsigned cpu)
{
	struct hm_sim *sim = sim_of(ctx);
	struct sim_tlb *cur = pthread_getspecific(sim->cpu_key);

	if (cur)
		sim_cpu_unbind(cur);
	sim_cpu_bind(&sim->tlb[cpu]);
	pthread_setspecific(sim->cpu_key, &sim->tlb[cpu]);
}
