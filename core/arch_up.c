/* SPDX-License-Identifier: MIT */
/*
 * arch_up.c - the hooks of core/arch.h that are the same on every machine
 * that runs one op at a time and keeps no state of its own besides the
 * core's: the benchmarks' minimal backend and the kvm_runner guest.
 * Freestanding.  The simulator, with threads as CPUs, has its own.
 */
#include "core/internal.h"

/* Nobody else runs who could wake us: give up at once, as the simulator
 * does with wait_timeout_ms 0, and let the core report it. */
bool hm_arch_sleep(struct hm_ctx *ctx, struct hm_waitqueue *wq, uint32_t seq,
		   hm_spinlock_t *lock)
{
	(void)ctx;
	(void)wq;
	(void)seq;
	(void)lock;
	return false;
}

/* No sleeper to wake; the sequence still moves, as the contract says. */
void hm_arch_wake_up(struct hm_ctx *ctx, struct hm_waitqueue *wq)
{
	(void)ctx;
	wq->seq++;
}

/* BUG() with no handler set: the backend's hm_bug_default() reports it and
 * stops the machine. */
void hm_arch_bug(struct hm_ctx *ctx, const struct hm_bug *bug)
{
	(void)ctx;
	hm_bug_default(0, bug);
}

void hm_arch_reset(struct hm_ctx *ctx)
{
	(void)ctx;
}
