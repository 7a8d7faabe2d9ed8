/* SPDX-License-Identifier: MIT */
/*
 * bystanders.h - simulated CPUs run by threads that do nothing but take
 * TLB shootdowns: the targets of the IPIs in the sim/ rows with threads.
 *
 * The simulator's flush_tlb_kernel_range() signals a CPU only when a thread
 * runs it (core/sim/sim_ipi.c); a CPU no thread runs is idle and the
 * initiator flushes its TLB itself, so a single thread never sends an
 * IPI.  Here CPUs 1 .. nr_cpus - 1 each get a thread of their own.
 */
#ifndef BENCH_BYSTANDERS_H
#define BENCH_BYSTANDERS_H

#include <stddef.h>
#include <stdint.h>

#include "core/highmem.h"

struct bystanders;

/**
 * bystanders_start - run CPUs 1 .. nr_cpus - 1 of @ctx by parked threads
 * @ctx: a context of the simulator (not the minimal backend: no threads)
 * @first_pfn: the bystanders' own highmem frames start here
 * @pages_each: frames per bystander, from @first_pfn + (cpu - 1) * it
 * @err, @errsz: why, on failure
 *
 * Each thread takes its CPU with hm_set_cpu(), maps, reads through and
 * unmaps its own pages (so its TLB holds PKMAP translations for the next
 * flush to drop) and parks on a condition variable.  Parked, not spinning:
 * the host may have fewer cores than there are simulated CPUs, and a
 * spinning bystander would take the benchmark's.  The IPI signal
 * interrupts the wait, its handler flushes and acknowledges, and the
 * thread waits on.  Returns once every thread is parked; NULL, with no
 * thread left behind, on failure.  Call from the thread that will run
 * CPU 0, before it depends on the bystanders.
 */
struct bystanders *bystanders_start(struct hm_ctx *ctx, uint64_t first_pfn,
				    unsigned pages_each, char *err,
				    size_t errsz);

/* Wake every bystander, join it (leaving, it serves what was sent to its
 * CPU, which goes idle) and free @b.  Before hm_destroy(). */
void bystanders_stop(struct bystanders *b);

#endif /* BENCH_BYSTANDERS_H */
