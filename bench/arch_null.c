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
 * Here are its machine hooks (core/arch.h, part 2), which core/machine.c
 * (compiled with the same names) turns into hm_create(), hm_destroy() and
 * hm_set_cpu() as it does for the simulator: the PKMAP page table and the
 * fixmap's in ordinary memory; the CPU is a number the caller sets.
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

bool hm_mach_create(struct hm_ctx *ctx, void **pkmap_pt, void **fixmap_pt,
		    char *why, size_t n)
{
	struct null_arch *na = calloc(1, sizeof(*na));

	ctx->arch = na;
	if (!na) {
		snprintf(why, n, "out of memory");
		return false;
	}
	na->pkmap_page_table = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	/* The fixmap's tables, consecutive (6.1's takes two). */
	na->fixmap_page_table = aligned_alloc(PAGE_SIZE,
		PAGE_SIZE * FIXMAP_PT_PAGES(&ctx->layout));
	if (!na->pkmap_page_table || !na->fixmap_page_table) {
		snprintf(why, n, "out of memory");
		return false;
	}
	memset(na->pkmap_page_table, 0, PAGE_SIZE);
	memset(na->fixmap_page_table, 0,
	       PAGE_SIZE * FIXMAP_PT_PAGES(&ctx->layout));
	*pkmap_pt = na->pkmap_page_table;
	*fixmap_pt = na->fixmap_page_table;
	return true;
}

void hm_mach_destroy(struct hm_ctx *ctx)
{
	struct null_arch *na = null_of(ctx);

	if (!na)
		return;
	free(na->pkmap_page_table);
	free(na->fixmap_page_table);
	free(na);
}

/* The CPU is a number: every caller has one, cpu 0 at first. */
bool hm_mach_this_cpu(struct hm_ctx *ctx, unsigned *cpu)
{
	*cpu = null_of(ctx)->cpu;
	return true;
}

void hm_mach_set_cpu(struct hm_ctx *ctx, unsigned cpu)
{
	null_of(ctx)->cpu = cpu;
}
