/* SPDX-License-Identifier: MIT */
/*
 * guest.h - the hook for the in-guest rows ("guest/..."): the same
 * operations run by the core inside a KVM vCPU on real PAE page tables
 * (kvm_runner/), timed with rdtsc in the guest.
 *
 * guest.c turns results into rows; a backend provides the two functions
 * below.  Today's backend, guest_stub.c, only probes /dev/kvm and says why
 * the rows are skipped: kvm_runner/ has no benchmark mode yet.  A real one
 * boots the guest once, asks it to run @op @ops times between two rdtsc
 * and returns the time and the guest core's event counts.
 */
#ifndef BENCH_GUEST_H
#define BENCH_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "core/highmem.h"

enum guest_op {
	GUEST_FLOOR,		/* write a PTE + invlpg + one load: the floor */
	GUEST_KMAP_ATOMIC,	/* kmap_atomic + load + kunmap_atomic */
	GUEST_KMAP_LOCAL,	/* kmap_local_page + load + kunmap_local */
	GUEST_KMAP_HIT,		/* kmap + load + kunmap, page kept mapped */
	GUEST_KMAP_STREAM,	/* the same over 4096 pages: wraps, flushes */
	GUEST_NR_OPS
};

struct guest_result {
	uint64_t ops;		/* operations run */
	uint64_t tsc_cycles;	/* rdtsc difference around them */
	double seconds;		/* the same, in seconds */
	struct hm_stats stats;	/* the guest core's counts over them */
};

/* 0 when guest rows can run; else -1 and the reason in @why.  May also
 * put a note for the output in @note (e.g. "emulated"), or leave it empty. */
int guest_bench_probe(char *why, size_t whysz, char *note, size_t notesz);
/* Run @op @ops times in the guest: 0 and @r, or -1 and @why. */
int guest_bench_run(enum guest_op op, uint64_t ops, struct guest_result *r,
		    char *why, size_t whysz);

#endif /* BENCH_GUEST_H */
