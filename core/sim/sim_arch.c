/* SPDX-License-Identifier: MIT */
/*
 * sim_arch.c - the arch interface (core/arch.h) for the user-space
 * simulator: PTE stores into simulated memory, TLB flushes on the
 * simulated TLBs, threads as CPUs, futex-based sleep.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/sim/sim.h"

void hm_arch_set_pte(struct hm_ctx *ctx, hm_vaddr_t vaddr, void *ptep,
		     uint64_t pte)
{
	(void)vaddr;
	/* Relaxed atomic stores: another CPU's page walk may be reading. */
	if (ctx->pae)
		__atomic_store_n((pte64_t *)ptep, pte, __ATOMIC_RELAXED);
	else
		__atomic_store_n((uint32_t *)ptep, (uint32_t)pte,
				 __ATOMIC_RELAXED);
}

void hm_arch_flush_tlb_one(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	sim_tlb_flush_one(ctx, hm_arch_smp_processor_id(ctx), vaddr);
}

/* On every CPU, each done before we return (sim_ipi.c). */
void hm_arch_flush_tlb_kernel_range(struct hm_ctx *ctx, hm_vaddr_t start,
				    hm_vaddr_t end)
{
	sim_ipi_flush_tlb_kernel_range(ctx, start, end);
}

/*
 * A thread runs on the CPU it last chose with hm_set_cpu().  One that never
 * chose is put on cpu 0 the first time it asks, and from then on it is
 * held to the rules of leaving cpu 0 like any other.
 */
unsigned hm_arch_smp_processor_id(struct hm_ctx *ctx)
{
	struct hm_sim *sim = sim_of(ctx);
	struct sim_tlb *t = pthread_getspecific(sim->cpu_key);

	if (unlikely(!t)) {
		t = &sim->tlb[0];
		sim_cpu_bind(t);
		pthread_setspecific(sim->cpu_key, t);
	}
	return t->cpu;
}

void hm_arch_spin_lock(struct hm_ctx *ctx, hm_spinlock_t *lock)
{
	if (sim_spin_lock(lock))
		this_cpu(ctx)->stats.lock_contended++;
}

void hm_arch_spin_unlock(struct hm_ctx *ctx, hm_spinlock_t *lock)
{
	(void)ctx;
	sim_spin_unlock(lock);
}

static long futex(uint32_t *uaddr, int op, uint32_t val,
		  const struct timespec *timeout)
{
	return syscall(SYS_futex, uaddr, op, val, timeout, NULL, 0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool hm_arch_sleep(struct hm_ctx *ctx, struct hm_waitqueue *wq, uint32_t seq,
		   hm_spinlock_t *lock)
{
	uint64_t deadline;

	if (!ctx->cfg.wait_timeout_ms)
		return false;
	deadline = now_ns() + (uint64_t)ctx->cfg.wait_timeout_ms * 1000000u;
	hm_arch_spin_unlock(ctx, lock);
	while (__atomic_load_n(&wq->seq, __ATOMIC_ACQUIRE) == seq) {
		uint64_t now = now_ns();
		struct timespec left;

		if (now >= deadline) {
			hm_arch_spin_lock(ctx, lock);
			return false;
		}
		left.tv_sec = (time_t)((deadline - now) / 1000000000u);
		left.tv_nsec = (long)((deadline - now) % 1000000000u);
		/* Returns at once if seq already moved on: no lost wake-up. */
		futex(&wq->seq, FUTEX_WAIT_PRIVATE, seq, &left);
	}
	hm_arch_spin_lock(ctx, lock);
	return true;
}

void hm_arch_wake_up(struct hm_ctx *ctx, struct hm_waitqueue *wq)
{
	(void)ctx;
	__atomic_add_fetch(&wq->seq, 1, __ATOMIC_RELEASE);
	futex(&wq->seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
}

/* A BUG with no handler: core/machine.c's default report. */
void hm_arch_bug(struct hm_ctx *ctx, const struct hm_bug *bug)
{
	(void)ctx;
	hm_bug_default(NULL, bug);
}
