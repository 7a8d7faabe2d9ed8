/* SPDX-License-Identifier: MIT */
/*
 * bench_api.h - kvm_runner's benchmark mode as a small C API: boot the
 * guest once, have it time one operation of the core N times with rdtsc
 * (on the real page tables, with real invlpg and whole-TLB flushes), get
 * the cycles and the core's counts back, close.
 *
 *	struct hm_bench_vm *vm;
 *	struct hm_bench_info info;
 *	struct hm_bench_result r;
 *	char why[256];
 *
 *	if (hm_bench_open(&vm, "/dev/kvm", &info, why, sizeof(why)))
 *		... skip: why ...
 *	hm_bench_run(vm, HM_BENCH_FLOOR, 1000, 0, &r, why, sizeof(why));
 *	hm_bench_run(vm, HM_BENCH_KMAP_ATOMIC, 1000, 0, &r, why, sizeof(why));
 *	hm_bench_close(vm);
 *
 * On KVM (hm_bench_open) or QEMU's TCG (hm_bench_open_backend(.., "tcg",
 * ..)): the same guest, the same command.  Under TCG the times are
 * QEMU's: its translated code and software TLB, not a CPU's.
 *
 * Used by //bench (the guest@ and guest_tcg@ rows of kmap_bench) and by
 * kvm_runner --bench.
 * Not thread-safe: one VM, one caller.
 */
#ifndef HM_KVM_BENCH_API_H
#define HM_KVM_BENCH_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/highmem.h"
#include "kvm_runner/mailbox.h"	/* enum hm_bench_op */

struct hm_bench_vm;

struct hm_bench_info {
	char backend[8];	/* "kvm" or "tcg" */
	char paging[160];	/* the paging mode the guest runs in */
	bool legacy_refused;	/* KVM would not run legacy PAE paging */
	bool stale_tlb;		/* stale translations observable (a TLB) */
	bool emulated;		/* the guest is emulated (TCG; or KVM that
				 * looks it: see note) */
	bool counts_insns;	/* hm_bench_count_insns works (KVM) */
	uint32_t tsc_khz;	/* guest TSC frequency (KVM_GET_TSC_KHZ; on
				 * TCG the host's, measured); 0 if unknown */
	unsigned nr_cpus;	/* vCPUs (hm_bench_open_cpus) */
	/* One line for the output: what the guest's times mean here. */
	char note[256];
};

struct hm_bench_result {
	uint32_t iters;		/* timed iterations */
	uint32_t pages;		/* working set used */
	uint64_t cycles;	/* guest rdtsc differences around them */
	/* The fastest chunk, per iteration: the guest times the loop in
	 * chunks of about a millisecond (whole LAST_PKMAP periods for the
	 * stream), so a chunk cut by the host's scheduler does not count. */
	double best_cycles;
	uint32_t chunk;		/* iterations per chunk */
	double seconds;		/* the same in seconds (tsc_khz), or, when
				 * KVM gave no frequency, the host's wall
				 * clock around the guest run */
	double host_seconds;	/* the host's wall clock around the run */
	struct hm_stats stats;	/* the guest core's counts over them */
};

/* "kmap_atomic", "floor", ... */
const char *hm_bench_op_name(enum hm_bench_op op);
/* The working set an op uses by default (pages argument 0). */
uint32_t hm_bench_default_pages(enum hm_bench_op op);

/*
 * hm_bench_open - open @dev (NULL: /dev/kvm), boot the guest, probe it
 *
 * Returns 0 with *@vm and @info, or 77 (HM_EXIT_SKIP: no usable KVM) or
 * another nonzero status, with a one-line reason in @why.
 */
int hm_bench_open(struct hm_bench_vm **vm, const char *dev,
		  struct hm_bench_info *info, char *why, size_t whysz);

/*
 * hm_bench_run - time @iters iterations of @op in the guest
 * @pages: working set (0: hm_bench_default_pages)
 *
 * The guest resets the core, sets up the working set, runs a few
 * iterations as a warm-up, then @iters in chunks, each between two rdtsc.  Returns 0 with @r,
 * or -1 with @why (a guest BUG, fault or timeout; the next run boots a new
 * guest), or HM_EXIT_SKIP with @why where the op does not apply
 * (HM_BENCH_KMAP_ATOMIC_DEBUG where the profile's debug variant needs page
 * tables of its own: linux-6.1's).
 */
int hm_bench_run(struct hm_bench_vm *vm, enum hm_bench_op op, uint32_t iters,
		 uint32_t pages, struct hm_bench_result *r, char *why,
		 size_t whysz);

/*
 * hm_bench_count_insns - guest instructions per iteration of @op
 *
 * Single-steps the guest (KVM_GUESTDBG_SINGLESTEP) through the timed
 * loop with @iters and with 2 * @iters iterations: the difference over
 * @iters.  An exit per instruction: keep @iters small.  0, or -1 with @why
 * (always on TCG, which has no single-step here: info.counts_insns).
 */
int hm_bench_count_insns(struct hm_bench_vm *vm, enum hm_bench_op op,
			 uint32_t iters, uint32_t pages, double *per_op,
			 char *why, size_t whysz);

/*
 * hm_bench_open_cpus - the same with @nr_cpus vCPUs (1..HM_SMP_MAX_CPUS)
 *
 * With more than one: compat mode, KVM's in-kernel local APICs, one host
 * thread per application processor (idling with interrupts on, as in
 * kvm_runner smp_shootdown); cpu 0 runs the ops, and every range flush of
 * the core is a real TLB shootdown by IPI to the others, acks awaited.
 * r->stats.tlb_ipis of hm_bench_run() counts the acks over the timed
 * iterations.  HM_EXIT_SKIP where KVM refuses an SMP ioctl.
 */
int hm_bench_open_cpus(struct hm_bench_vm **vm, const char *dev,
		       unsigned nr_cpus, struct hm_bench_info *info, char *why,
		       size_t whysz);

/*
 * hm_bench_open_backend - the same on @backend: "kvm" (@path the device,
 * NULL for /dev/kvm) or "tcg" (@path the QEMU binary, NULL for
 * HM_TCG_QEMU), with the page tables and core of kernel profile @kernel
 * (hm_bench_open and hm_bench_open_cpus: the default one).  HM_EXIT_SKIP
 * where that backend is not usable.
 */
int hm_bench_open_backend(struct hm_bench_vm **vm, const char *backend,
			  const char *path, unsigned nr_cpus,
			  enum hm_kernel kernel, struct hm_bench_info *info,
			  char *why, size_t whysz);

void hm_bench_close(struct hm_bench_vm *vm);

#endif /* HM_KVM_BENCH_API_H */
