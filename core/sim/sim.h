/* SPDX-License-Identifier: MIT */
/*
 * sim.h - the user-space machine behind libhighmem: simulated physical
 * memory, real x86 page tables inside it, and one TLB per simulated CPU.
 *
 * Private to the simulator sources.
 */
#ifndef HM_SIM_H
#define HM_SIM_H

#include <pthread.h>
#include <sched.h>

#include "core/internal.h"
#include "core/x86_pgtable.h"

/* Where the simulated kernel keeps its page tables, and the frames it
 * reserves for itself (the first 2 MiB, like a kernel's image and boot
 * data). */
#define HM_SIM_PGTABLE_PHYS	0x00100000u
#define HM_SIM_RESERVED_BYTES	0x00200000u

struct sim_tlb_entry {
	uint64_t gen;		/* valid while equal to the TLB's gen */
	uint32_t vpn;
	uint64_t pfn;
};

/*
 * One CPU's TLB: direct-mapped by virtual page number, so a mapping can be
 * evicted by another as on real hardware.  A whole flush bumps gen instead
 * of touching every entry.  The lock stands for the hardware's own
 * atomicity: other CPUs' flushes reach in from their threads.
 */
struct sim_tlb {
	hm_spinlock_t lock;
	uint64_t gen;
	uint32_t nr_valid;
	struct sim_tlb_entry *e;
	struct hm_tlb_stats stats;
} __attribute__((aligned(64)));

struct hm_sim {
	uint8_t *phys;		/* simulated physical memory, lazily backed */
	uint64_t phys_size;
	struct hm_x86_tables tables;
	uint32_t tlb_mask;
	pthread_key_t cpu_key;	/* the calling thread's simulated CPU + 1 */
	bool have_key;
	struct sim_tlb tlb[HM_MAX_CPUS];
};

static inline struct hm_sim *sim_of(const struct hm_ctx *ctx)
{
	return ctx->arch;
}

/* A test-and-set lock that yields while it waits: simulated CPUs are
 * threads, and there may be more of them than host cores.  Returns whether
 * it had to wait. */
static inline bool sim_spin_lock(hm_spinlock_t *lock)
{
	bool waited = false;

	while (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE)) {
		waited = true;
		while (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED))
			sched_yield();
	}
	return waited;
}

static inline void sim_spin_unlock(hm_spinlock_t *lock)
{
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

/* sim_mmu.c */
void sim_tlb_flush_all(struct hm_ctx *ctx, unsigned cpu);
void sim_tlb_flush_one(struct hm_ctx *ctx, unsigned cpu, hm_vaddr_t vaddr);

#endif /* HM_SIM_H */
