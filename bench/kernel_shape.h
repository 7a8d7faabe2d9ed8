/* SPDX-License-Identifier: MIT */
/*
 * kernel_shape.h - the kernel's kmap_atomic() fast path, for comparison.
 * See kernel_shape.c.  Compiled into the core on the minimal backend
 * (//bench:nullcore_obj), so the names below get its nullcore_ prefix.
 */
#ifndef BENCH_KERNEL_SHAPE_H
#define BENCH_KERNEL_SHAPE_H

#include "core/highmem.h"

/* What the kernel keeps per CPU (or per task) for these paths. */
struct hm_ks_cpu {
	int kmap_atomic_idx;		/* __kmap_atomic_idx */
	int preempt_count;
	int pagefault_disabled;
} __attribute__((aligned(64)));

/* @ks: one per CPU of @ctx, zeroed. */
hm_vaddr_t hm_ks_kmap_atomic(struct hm_ctx *ctx, struct hm_ks_cpu *ks,
			     struct page *page);
void hm_ks_kunmap_atomic(struct hm_ctx *ctx, struct hm_ks_cpu *ks,
			 hm_vaddr_t vaddr);

#endif /* BENCH_KERNEL_SHAPE_H */
