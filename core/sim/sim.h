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
#include <signal.h>

#include "core/internal.h"
#include "core/x86_pgtable.h"

/* Where the simulated kernel keeps its page tables: inside the frames
 * every hosted machine reserves (HM_FIRST_FREE_PFN, core/highmem.h). */
#define HM_SIM_PGTABLE_PHYS	0x00100000u

/* What a supervisor access may do through a translation (sim_mmu.c): a
 * read needs only a present one. */
#define SIM_W	1u	/* store: R/W at every level (CR0.WP is set) */
#define SIM_X	2u	/* instruction fetch: no NX at any level */

struct sim_tlb_entry {
	uint64_t gen;		/* valid while equal to the TLB's gen */
	uint32_t vpn;
	uint8_t rights;		/* SIM_W | SIM_X, cached like the frame */
	uint64_t pfn;
};

/* A TLB shootdown request from CPU i to this CPU: flush [start, end) and
 * set ack to req.  Written by the initiator under the target's TLB lock,
 * served under it too (sim_ipi.c). */
struct sim_ipi_req {
	hm_vaddr_t start, end;
	uint32_t req, ack;
};

/*
 * One simulated CPU: its TLB, the thread that runs it, and its inbox of
 * shootdown requests.
 *
 * The TLB is direct-mapped by virtual page number, so a mapping can be
 * evicted by another as on real hardware.  A whole flush bumps gen instead
 * of touching every entry.  The lock stands for the hardware's own
 * atomicity: the runner's translations, its IPI handler, and an initiator
 * standing in for an idle CPU all take it, with the IPI signal soft-masked
 * (sim_irq_disable) so a handler never waits for its own thread.
 */
struct sim_tlb {
	hm_spinlock_t lock;
	uint64_t gen;
	uint32_t nr_valid;
	struct sim_tlb_entry *e;
	struct hm_tlb_stats stats;

	struct hm_ctx *ctx;
	unsigned cpu;
	bool bound;		/* a thread runs this CPU: runner */
	pthread_t runner;
	int box;		/* its slot in sim_ipi.c's table; -1: none */
	uint32_t box_gen;
	struct sim_ipi_req inbox[HM_MAX_CPUS];	/* by initiating CPU */
} __attribute__((aligned(64)));

struct hm_sim {
	uint8_t *phys;		/* simulated physical memory, lazily backed */
	uint64_t phys_size;
	struct hm_x86_tables tables;
	uint32_t tlb_mask;
	pthread_key_t cpu_key;	/* the calling thread's struct sim_tlb */
	bool have_key;
	struct sim_tlb tlb[HM_MAX_CPUS];
};

static inline struct hm_sim *sim_of(const struct hm_ctx *ctx)
{
	return ctx->arch;
}

/* sim_ipi.c: wait, yielding, until @lock looks free; a BUG (and abort)
 * if it is still held after SIM_SPIN_BOUND_MS, rather than spin for ever. */
void sim_spin_wait(const hm_spinlock_t *lock);

/* A test-and-set lock that yields while it waits: simulated CPUs are
 * threads, and there may be more of them than host cores.  Returns whether
 * it had to wait. */
static inline bool sim_spin_lock(hm_spinlock_t *lock)
{
	bool waited = false;

	while (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE)) {
		waited = true;
		sim_spin_wait(lock);
	}
	return waited;
}

static inline void sim_spin_unlock(hm_spinlock_t *lock)
{
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

/* sim_mmu.c */
void sim_tlb_lock(struct sim_tlb *t);
void sim_tlb_unlock(struct sim_tlb *t);
void sim_tlb_flush_all(struct hm_ctx *ctx, unsigned cpu);
void sim_tlb_flush_one(struct hm_ctx *ctx, unsigned cpu, hm_vaddr_t vaddr);
/* flush_tlb_kernel_range()'s work on one CPU's TLB, its lock held */
void sim_tlb_flush_range_locked(struct hm_ctx *ctx, struct sim_tlb *t,
				hm_vaddr_t start, hm_vaddr_t end);

/* sim_ipi.c: TLB shootdowns as signals to the threads that run CPUs */
void sim_irq_disable(void);
void sim_irq_enable(void);
void sim_ipi_init(struct hm_ctx *ctx);
void sim_ipi_exit(struct hm_ctx *ctx);
void sim_cpu_bind(struct sim_tlb *t);
void sim_cpu_unbind(struct sim_tlb *t);
void sim_ipi_flush_tlb_kernel_range(struct hm_ctx *ctx, hm_vaddr_t start,
				    hm_vaddr_t end);

#endif /* HM_SIM_H */
