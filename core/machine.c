/* SPDX-License-Identifier: MIT */
/*
 * machine.c - making, destroying and moving between the CPUs of a machine
 * in user space, once for every hosted backend (the simulator, the
 * benchmarks' minimal backend) over the hm_mach_* hooks of core/arch.h;
 * and where a BUG goes when nobody set a handler.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

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
	else
		return NULL;
	return buf;
}

struct hm_ctx *hm_create(const struct hm_config *cfg, char *err, size_t errsz)
{
	struct hm_config defaults;
	struct hm_ctx *ctx;
	void *pkmap_pt, *fixmap_pt;
	const char *reason;
	char why[160];

	if (!cfg) {
		hm_config_default(&defaults);
		cfg = &defaults;
	}
	if (check_config(cfg, why, sizeof(why)))
		return fail(err, errsz, "hm_create: %s", why);

	ctx = aligned_alloc(64, (sizeof(*ctx) + 63) & ~(size_t)63);
	if (!ctx)
		return fail(err, errsz, "hm_create: out of memory");
	memset(ctx, 0, sizeof(*ctx));
	if ((reason = hm_ctx_setup(ctx, cfg, HM_FIRST_FREE_PFN))) {
		free(ctx);
		return fail(err, errsz, "hm_create: kernel %u (%s): %s",
			    (unsigned)cfg->kernel, hm_kernel_name(cfg->kernel),
			    reason);
	}
	/* Costs only what is touched (calloc of a large block maps zero
	 * pages lazily). */
	ctx->mem_map = calloc(ctx->max_pfn, sizeof(struct page));
	if (!ctx->mem_map) {
		hm_destroy(ctx);
		return fail(err, errsz, "hm_create: cannot allocate mem_map "
			    "for %llu MiB",
			    (unsigned long long)(cfg->mem_bytes >> 20));
	}
	if (!hm_mach_create(ctx, &pkmap_pt, &fixmap_pt, why, sizeof(why))) {
		hm_destroy(ctx);
		return fail(err, errsz, "hm_create: %s", why);
	}
	for (uint64_t pfn = 0; pfn < ctx->first_free_pfn; pfn++)
		ctx->mem_map[pfn].flags |= PG_reserved;
	hm_core_init(ctx, pkmap_pt, fixmap_pt);
	return ctx;
}

void hm_destroy(struct hm_ctx *ctx)
{
	if (!ctx)
		return;
	hm_mach_destroy(ctx);
	free(ctx->mem_map);
	free(ctx);
}

/* A thread that has used no CPU yet leaves nothing behind: it holds no
 * temporary map anywhere, so it may go where it likes. */
void hm_set_cpu(struct hm_ctx *ctx, unsigned cpu)
{
	unsigned from;

	if (!hm_mach_this_cpu(ctx, &from))
		from = cpu;
	if (hm_cpu_may_move(ctx, from, cpu))
		hm_mach_set_cpu(ctx, cpu);
}

void hm_bug_default(void *arg, const struct hm_bug *bug)
{
	(void)arg;
	fprintf(stderr, "%s at %s:%u in %s() on cpu %u: %s\n",
		bug->warn ? "WARNING:" : "kernel BUG", bug->file, bug->line,
		bug->func, bug->cpu, bug->msg);
	fflush(stderr);
	if (!bug->warn)
		abort();
}
