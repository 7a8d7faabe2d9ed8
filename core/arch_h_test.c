/* SPDX-License-Identifier: MIT */
/*
 * arch_h_test.c - core/arch.h is the whole backend contract and compiles on
 * its own: this file includes nothing else, and names every hook a backend
 * must provide with the type the core calls it with.
 */
#include "core/arch.h"

#include <stdio.h>

_Static_assert(sizeof(hm_spinlock_t) == 4, "hm_spinlock_t is one word");

/* Each hook's type, spelled as a backend must define it. */
static void (*const set_pte)(struct hm_ctx *, hm_vaddr_t, void *,
			     uint64_t) = hm_arch_set_pte;
static void (*const flush_one)(struct hm_ctx *, hm_vaddr_t) =
	hm_arch_flush_tlb_one;
static void (*const flush_range)(struct hm_ctx *, hm_vaddr_t, hm_vaddr_t) =
	hm_arch_flush_tlb_kernel_range;
static unsigned (*const cpu)(struct hm_ctx *) = hm_arch_smp_processor_id;
static void (*const lock)(struct hm_ctx *, hm_spinlock_t *) =
	hm_arch_spin_lock;
static void (*const unlock)(struct hm_ctx *, hm_spinlock_t *) =
	hm_arch_spin_unlock;
static bool (*const sleep_)(struct hm_ctx *, struct hm_waitqueue *, uint32_t,
			    hm_spinlock_t *) = hm_arch_sleep;
static void (*const wake)(struct hm_ctx *, struct hm_waitqueue *) =
	hm_arch_wake_up;
static void (*const bug)(struct hm_ctx *, const struct hm_bug *) =
	hm_arch_bug;
static void (*const reset)(struct hm_ctx *) = hm_arch_reset;
static bool (*const create)(struct hm_ctx *, void **, void **, char *,
			    size_t) = hm_mach_create;
static void (*const destroy)(struct hm_ctx *) = hm_mach_destroy;
static bool (*const this_cpu)(struct hm_ctx *, unsigned *) = hm_mach_this_cpu;
static void (*const set_cpu)(struct hm_ctx *, unsigned) = hm_mach_set_cpu;
static void (*const bug_default)(void *, const struct hm_bug *) =
	hm_bug_default;

int main(void)
{
	/* Linked with the simulator: every hook has a definition. */
	const void *const all[] = {
		(const void *)set_pte, (const void *)flush_one,
		(const void *)flush_range, (const void *)cpu,
		(const void *)lock, (const void *)unlock,
		(const void *)sleep_, (const void *)wake, (const void *)bug,
		(const void *)reset, (const void *)create,
		(const void *)destroy, (const void *)this_cpu,
		(const void *)set_cpu, (const void *)bug_default,
	};
	int missing = 0;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!all[i]) {
			printf("FAIL: hook %zu has no definition\n", i);
			missing++;
		}
	if (!missing)
		printf("ok: arch.h compiles alone; %zu hooks, all defined by "
		       "the simulator\n", sizeof(all) / sizeof(all[0]));
	return missing != 0;
}
