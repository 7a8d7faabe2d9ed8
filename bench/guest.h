/* SPDX-License-Identifier: MIT */
/*
 * guest.h - the in-guest rows: the same operations run by the core inside
 * a vCPU on real PAE page tables (kvm_runner/), timed with rdtsc in the
 * guest, beside the floor (a bare PTE write + invlpg + one load) measured
 * in the same run.  Two machines, two sets of rows: "guest@linux-4.7/..."
 * under KVM and "guest_tcg@linux-4.7/..." under QEMU's TCG, whose times
 * are QEMU's costs (its translated code, its software TLB), not a CPU's.
 *
 * guest.c turns results into rows; guest_vm.c drives kvm_runner's
 * benchmark mode (kvm_runner/host/bench_api.h) on either machine: it boots
 * the guest once and asks it to run an op N times between rdtsc, returning
 * the cycles and the guest core's event counts.
 */
#ifndef BENCH_GUEST_H
#define BENCH_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "core/highmem.h"

enum guest_op {
	GUEST_FLOOR,		/* write a PTE + invlpg + one load: the floor */
	GUEST_KMAP_ATOMIC,	/* kmap_atomic + load + kunmap_atomic (lazy) */
	GUEST_KMAP_ATOMIC_DEBUG,	/* the same, CONFIG_DEBUG_HIGHMEM */
	GUEST_KMAP_LOCAL,	/* kmap_local_page + load + kunmap_local */
	GUEST_KMAP_HIT,		/* kmap + load + kunmap, page kept mapped */
	GUEST_KMAP_STREAM,	/* the same over 4096 pages: misses, wraps,
				 * whole-TLB flushes */
	GUEST_PAGE_ADDRESS_LOWMEM,	/* page_address of lowmem pages */
	GUEST_PAGE_ADDRESS_HIGH,	/* page_address among 512 kmapped */
	GUEST_NR_OPS
};

/* The machine a row runs on, the prefix of its rows (guest.c). */
enum guest_backend {
	GUEST_KVM,		/* "guest@...": KVM (/dev/kvm) */
	GUEST_TCG,		/* "guest_tcg@...": QEMU's TCG */
	GUEST_NR_BACKENDS
};

struct guest_info {
	char note[256];		/* what guest times mean on this host */
	char clock[400];	/* where seconds come from */
};

struct guest_result {
	uint64_t ops;		/* operations timed */
	uint64_t tsc_cycles;	/* guest rdtsc, summed over them */
	double best_cycles;	/* per op, in the fastest ~1 ms chunk */
	double seconds;		/* tsc_cycles in seconds */
	struct hm_stats stats;	/* the guest core's counts over them */
};

/* Boot the guest of backend @b on @path (the KVM device or the QEMU
 * binary; NULL: the default): 0 and @info, or -1 and the reason its rows
 * are skipped in @why ("skipped: ..."). */
int guest_bench_probe(enum guest_backend b, const char *path,
		      struct guest_info *info, char *why, size_t whysz);
/* Run @op @ops times in @b's guest: 0 and @r, or -1 and @why. */
int guest_bench_run(enum guest_backend b, enum guest_op op, uint64_t ops,
		    struct guest_result *r, char *why, size_t whysz);
/* Guest instructions per @op (single-stepped, KVM only; the same on every
 * run): 0 and @insns, or -1 and @why. */
int guest_bench_insns(enum guest_backend b, enum guest_op op, double *insns,
		      char *why, size_t whysz);
/* Use a VM of @b with @cpus vCPUs for what follows (1: the probe's; more:
 * a VM of its own, booted now, with the application processors idling and
 * every range flush a TLB shootdown by IPI; stats.tlb_ipis counts their
 * acks).  0, or -1 and @why ("skipped: no SMP guest on this KVM: ..."
 * where KVM refuses SMP). */
int guest_bench_cpus(enum guest_backend b, unsigned cpus, char *why,
		     size_t whysz);
/* Every backend's VMs, if any, go. */
void guest_bench_close(void);

/* guest.c: register the rows; before bench_main(), take the guest's own
 * flags out of argv (--bench_kvm_dev=PATH, --bench_qemu=PATH,
 * --bench_no_guest) and, for each backend whose rows the filter selects,
 * boot its guest and add its context lines ("guest", "guest_clock";
 * "guest_tcg", "guest_tcg_clock"). */
void guest_bench_register(void);
void guest_bench_setup(int *argc, char **argv);

#endif /* BENCH_GUEST_H */
