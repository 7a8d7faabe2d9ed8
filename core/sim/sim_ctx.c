/* SPDX-License-Identifier: MIT */
/*
 * sim_ctx.c - making, resetting and destroying a simulated machine, and
 * moving threads between its CPUs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/sim/sim.h"

#define HM_MIN_MEM	(16ull << 20)
#define HM_MAX_MEM_PAE	(64ull << 30)	/* 36-bit physical addresses */
#define HM_MAX_MEM_NOPAE (4ull << 30)
#define HM_MEM_ALIGN	(4ull << 20)	/* a whole large page either way */

static struct hm_ctx *fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err && errsz) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return NULL;
}

static const char *check_config(const struct hm_config *c, char *buf,
				size_t n)
{
	uint64_t max = c->pae ? HM_MAX_MEM_PAE : HM_MAX_MEM_NOPAE;

	if (c->mem_bytes < HM_MIN_MEM || c->mem_bytes > max ||
	    c->mem_bytes % HM_MEM_ALIGN)
		snprintf(buf, n,
			 "mem_bytes %llu: need a multiple of 4 MiB from "
			 "16 MiB to %llu GiB%s",
			 (unsigned long long)c->mem_bytes,
			 (unsigned long long)(max >> 30),
			 c->pae ? "" : " without PAE");
	else if (c->nr_cpus < 1 || c->nr_cpus > HM_MAX_CPUS)
		snprintf(buf, n, "nr_cpus %u: need 1 to %u", c->nr_cpus,
			 HM_MAX_CPUS);
	else if (c->last_pkmap &&
		 (c->last_pkmap < 4 || (c->last_pkmap & (c->last_pkmap - 1)) ||
		  c->last_pkmap > (c->pae ? LAST_PKMAP_PAE : LAST_PKMAP_NOPAE)))
		snprintf(buf, n,
			 "last_pkmap %u: need 0 or a power of two from 4 to %u",
			 c->last_pkmap,
			 c->pae ? LAST_PKMAP_PAE : LAST_PKMAP_NOPAE);
	else if (c->tlb_entries < 16 || c->tlb_entries > (1u << 20) ||
		 (c->tlb_entries & (c->tlb_entries - 1)))
		snprintf(buf, n,
			 "tlb_entries %u: need a power of two from 16 to "
			 "1048576", c->tlb_entries);
	else
		return NULL;
	return buf;
}

/* A thread that runs a CPU exits: the CPU is idle from now on. */
static void thread_exit(void *t)
{
	sim_cpu_unbind(t);
}

struct hm_ctx *hm_create(const struct hm_config *cfg, char *err, size_t errsz)
{
	struct hm_config defaults;
	struct hm_ctx *ctx;
	struct hm_sim *sim;
	char why[160];
	uint64_t lowmem;

	if (!cfg) {
		hm_config_default(&defaults);
		cfg = &defaults;
	}
	if (check_config(cfg, why, sizeof(why)))
		return fail(err, errsz, "hm_create: %s", why);

	ctx = aligned_alloc(64, (sizeof(*ctx) + 63) & ~(size_t)63);
	sim = aligned_alloc(64, (sizeof(*sim) + 63) & ~(size_t)63);
	if (!ctx || !sim) {
		free(ctx);
		free(sim);
		return fail(err, errsz, "hm_create: out of memory");
	}
	memset(ctx, 0, sizeof(*ctx));
	memset(sim, 0, sizeof(*sim));
	ctx->cfg = *cfg;
	ctx->pae = cfg->pae;
	ctx->arch = sim;
	sim_ipi_init(ctx);
	ctx->max_pfn = cfg->mem_bytes >> PAGE_SHIFT;
	lowmem = cfg->mem_bytes < MAXMEM ? cfg->mem_bytes : MAXMEM;
	ctx->max_low_pfn = lowmem >> PAGE_SHIFT;
	ctx->first_free_pfn = HM_SIM_RESERVED_BYTES >> PAGE_SHIFT;
	hm_layout_compute(&ctx->layout, cfg->pae, cfg->nr_cpus, lowmem,
			  cfg->last_pkmap);

	/* Physical memory and mem_map cost only what is touched. */
	sim->phys_size = cfg->mem_bytes;
	sim->phys = mmap(NULL, cfg->mem_bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ctx->mem_map = calloc(ctx->max_pfn, sizeof(struct page));
	sim->tlb_mask = cfg->tlb_entries - 1;
	for (unsigned cpu = 0; cpu < cfg->nr_cpus; cpu++) {
		sim->tlb[cpu].gen = 1;
		sim->tlb[cpu].e = calloc(cfg->tlb_entries,
					 sizeof(struct sim_tlb_entry));
		if (!sim->tlb[cpu].e)
			goto nomem;
	}
	if (sim->phys == MAP_FAILED || !ctx->mem_map)
		goto nomem;
	if (pthread_key_create(&sim->cpu_key, thread_exit)) {
		hm_destroy(ctx);
		return fail(err, errsz, "hm_create: no thread key left "
			    "(too many contexts alive)");
	}
	sim->have_key = true;

	for (uint64_t pfn = 0; pfn < ctx->first_free_pfn; pfn++)
		ctx->mem_map[pfn].flags |= PG_reserved;
	if (!hm_x86_build_tables(&ctx->layout, cfg->pae,
				 sim->phys + HM_SIM_PGTABLE_PHYS,
				 HM_SIM_PGTABLE_PHYS, &sim->tables)) {
		hm_destroy(ctx);
		return fail(err, errsz, "hm_create: the address layout does "
			    "not fit the page tables");
	}
	hm_core_init(ctx, sim->tables.pkmap_page_table,
		     sim->tables.fixmap_page_table);
	return ctx;

nomem:
	hm_destroy(ctx);
	return fail(err, errsz, "hm_create: cannot allocate %llu MiB of "
		    "simulated memory", (unsigned long long)(cfg->mem_bytes >> 20));
}

void hm_destroy(struct hm_ctx *ctx)
{
	struct hm_sim *sim;

	if (!ctx)
		return;
	sim = sim_of(ctx);
	sim_ipi_exit(ctx);
	for (unsigned cpu = 0; cpu < HM_MAX_CPUS; cpu++)
		free(sim->tlb[cpu].e);
	if (sim->phys && sim->phys != MAP_FAILED)
		munmap(sim->phys, sim->phys_size);
	if (sim->have_key)
		pthread_key_delete(sim->cpu_key);
	free(ctx->mem_map);
	free(sim);
	free(ctx);
}

void hm_reset(struct hm_ctx *ctx)
{
	struct hm_sim *sim = sim_of(ctx);

	hm_core_reset(ctx);
	for (unsigned cpu = 0; cpu < ctx->cfg.nr_cpus; cpu++)
		memset(&sim->tlb[cpu].stats, 0, sizeof(sim->tlb[cpu].stats));
	hm_stats_reset(ctx);
}

void hm_set_cpu(struct hm_ctx *ctx, unsigned cpu)
{
	/* A thread that has used no CPU yet leaves nothing behind: it holds
	 * no temporary map anywhere, so it may go where it likes. */
	struct hm_sim *sim = sim_of(ctx);
	struct sim_tlb *cur = pthread_getspecific(sim->cpu_key);
	unsigned from = cur ? cur->cpu : cpu;

	if (!hm_cpu_may_move(ctx, from, cpu))
		return;
	if (cur)
		sim_cpu_unbind(cur);
	sim_cpu_bind(&sim->tlb[cpu]);
	pthread_setspecific(sim->cpu_key, &sim->tlb[cpu]);
}

unsigned hm_smp_processor_id(struct hm_ctx *ctx)
{
	return hm_arch_smp_processor_id(ctx);
}
