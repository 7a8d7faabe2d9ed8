/* SPDX-License-Identifier: MIT */
/*
 * scenarios.c - the built-in scenarios: op lists for the guest, each with
 * a line saying what it exercises.  What should come of each (a clean
 * run, a page fault, a BUG, a hang) is not written here: the simulator
 * predicts it when the scenario runs.
 */
#include <stdlib.h>
#include <string.h>

#include "core/layout.h"
#include "kvm_runner/host/runner.h"

/* Frames: the first highmem frame of the 1 GiB guest, and a lowmem frame
 * above the kernel's. */
#define HIGH(i)	(0x38000u + (i))
#define LOW(i)	(HM_GUEST_FIRST_FREE_PFN + 0x100u + (i))

void job__add(struct job *job, uint32_t code, uint32_t a, uint32_t b)
{
	if (job->n % 256 == 0) {
		struct hm_kop *p = realloc(job->ops,
					   (job->n + 256) * sizeof(*p));

		if (!p) {
			snprintf(job->error, sizeof(job->error),
				 "out of memory building the op list");
			return;
		}
		job->ops = p;
	}
	job->ops[job->n++] = (struct hm_kop){ code, a, b };
}

void job__free(struct job *job)
{
	free(job->ops);
	job->ops = NULL;
	job->n = 0;
}

static void boot(struct job *j)
{
	job__add(j, HM_OP_KMAP, HIGH(0), 0);
	job__add(j, HM_OP_WRITE, 0, 0x600dcafe);
	job__add(j, HM_OP_READ, 0, 0);
	job__add(j, HM_OP_PAGE_ADDRESS, HIGH(0), 0);
	job__add(j, HM_OP_KUNMAP, HIGH(0), 0);
}

/* More kmaps than LAST_PKMAP, each unmapped at once: the scan wraps, and
 * flush_all_zero_pkmaps() clears the unused entries and flushes the range
 * (a whole-TLB flush: 512 pages is over the ceiling).  Then pages mapped
 * before the wrap get new entries, and a second round wraps again with
 * some entries still held. */
static void kmap_wrap(struct job *j)
{
	for (uint32_t i = 0; i < 600; i++) {
		job__add(j, HM_OP_KMAP, HIGH(i), 0);
		job__add(j, HM_OP_KUNMAP, HIGH(i), 0);
	}
	for (uint32_t i = 0; i < 8; i++)
		job__add(j, HM_OP_KMAP, HIGH(1000 + i), 0);
	for (uint32_t i = 0; i < 520; i++) {
		job__add(j, HM_OP_KMAP, HIGH(2000 + i), 0);
		job__add(j, HM_OP_KUNMAP, HIGH(2000 + i), 0);
	}
	for (uint32_t i = 0; i < 8; i++) {
		job__add(j, HM_OP_READ, i, 0);
		job__add(j, HM_OP_PAGE_ADDRESS, HIGH(1000 + i), 0);
	}
}

/* Nested kmap_atomic as deep as every profile nests (2.6.24's 13 slots;
 * 4.7 has 20, 6.1 16), a write through each, then unwound. */
#define NEST_EVERY_KERNEL	13u

static void atomic_nesting(struct job *j)
{
	for (uint32_t i = 0; i < NEST_EVERY_KERNEL; i++) {
		job__add(j, HM_OP_KMAP_ATOMIC, HIGH(100 + i), 0);
		job__add(j, HM_OP_WRITE, i, 0xa7000000u + i);
	}
	for (uint32_t i = 0; i < NEST_EVERY_KERNEL; i++) {
		job__add(j, HM_OP_READ, NEST_EVERY_KERNEL - 1 - i, 0);
		job__add(j, HM_OP_KUNMAP_ATOMIC, 0, 0);
	}
	/* A slot reused after its unmap cleared and flushed it. */
	job__add(j, HM_OP_KMAP_ATOMIC, HIGH(200), 0);
	job__add(j, HM_OP_READ, 0, 0);
	job__add(j, HM_OP_KUNMAP_ATOMIC, 0, 0);
}

static void kmap_local(struct job *j)
{
	for (uint32_t i = 0; i < 6; i++)
		job__add(j, HM_OP_KMAP_LOCAL, i % 2 ? LOW(i) : HIGH(300 + i), 0);
	for (uint32_t i = 0; i < 6; i++)
		job__add(j, HM_OP_WRITE, i, 0x10ca1000u + i);
	for (uint32_t i = 0; i < 6; i++)
		job__add(j, HM_OP_KUNMAP_LOCAL, 0, 0);
	/* kmap_local_page() leaves preemption on: kmap inside is fine. */
	job__add(j, HM_OP_KMAP_LOCAL, HIGH(310), 0);
	job__add(j, HM_OP_KMAP, HIGH(311), 0);
	job__add(j, HM_OP_KUNMAP, HIGH(311), 0);
	job__add(j, HM_OP_KUNMAP_LOCAL, 0, 0);
}

/* Every kind of map together, two CPUs, a reset in the middle. */
static void mixed(struct job *j)
{
	j->nr_cpus = 2;
	job__add(j, HM_OP_KMAP, HIGH(400), 0);
	job__add(j, HM_OP_KMAP, HIGH(400), 0);		/* a second user */
	job__add(j, HM_OP_KMAP_HIGH_GET, HIGH(400), 0);
	job__add(j, HM_OP_KMAP_HIGH_GET, HIGH(401), 0);	/* none: 0 */
	job__add(j, HM_OP_KMAP, LOW(7), 0);
	job__add(j, HM_OP_KMAP_ATOMIC_TYPE, HIGH(402), KM_USER0);
	job__add(j, HM_OP_KMAP_ATOMIC, HIGH(403), 0);
	job__add(j, HM_OP_WRITE, 3, 0x3333);
	job__add(j, HM_OP_KUNMAP_ATOMIC, 0, 0);
	job__add(j, HM_OP_KUNMAP_ATOMIC_TYPE, KM_USER0, 0);
	job__add(j, HM_OP_CPU, 1, 0);
	job__add(j, HM_OP_KMAP_ATOMIC, HIGH(404), 0);	/* cpu 1's slots */
	job__add(j, HM_OP_KMAP_LOCAL, HIGH(405), 0);
	job__add(j, HM_OP_WRITE, 4, 0x4444);
	job__add(j, HM_OP_KUNMAP_LOCAL, 0, 0);
	job__add(j, HM_OP_KUNMAP_ATOMIC, 0, 0);
	job__add(j, HM_OP_CPU, 0, 0);
	for (int i = 0; i < 3; i++)
		job__add(j, HM_OP_KUNMAP, HIGH(400), 0);
	job__add(j, HM_OP_PAGE_ADDRESS, HIGH(400), 0);	/* still mapped */
	job__add(j, HM_OP_FLUSH_UNUSED, 0, 0);
	job__add(j, HM_OP_PAGE_ADDRESS, HIGH(400), 0);	/* gone: 0 */
	job__add(j, HM_OP_KMAP, HIGH(406), 0);
	job__add(j, HM_OP_RESET, 0, 0);
	job__add(j, HM_OP_PAGE_ADDRESS, HIGH(406), 0);
	job__add(j, HM_OP_KMAP, HIGH(407), 0);
	job__add(j, HM_OP_READ, 0, 0);
	job__add(j, HM_OP_KUNMAP, HIGH(407), 0);
}

/* Four CPUs take turns wrapping a 16-entry PKMAP window: every CPU makes
 * a range flush (flush_all_zero_pkmaps), which on four vCPUs is a real
 * shootdown IPI to each of the three others.  Each CPU also nests a
 * temporary map in its own slots, and reads and kunmaps the kmap the CPU
 * before it left. */
static void smp_wraps(struct job *j)
{
	j->nr_cpus = 4;
	j->flags |= HM_MB_SMALL_WINDOW;
	for (uint32_t cpu = 0; cpu < 4; cpu++) {
		uint32_t base = 1000 + 100 * cpu;

		job__add(j, HM_OP_CPU, cpu, 0);
		if (cpu) {
			job__add(j, HM_OP_READ, 0, 0);
			job__add(j, HM_OP_KUNMAP, HIGH(base - 100 + 99), 0);
		}
		job__add(j, HM_OP_KMAP_ATOMIC, HIGH(base), 0);
		job__add(j, HM_OP_WRITE, 0, 0xc0de0000u + cpu);
		job__add(j, HM_OP_KUNMAP_ATOMIC, 0, 0);
		for (uint32_t i = 1; i <= 17; i++) {
			job__add(j, HM_OP_KMAP, HIGH(base + i), 0);
			job__add(j, HM_OP_KUNMAP, HIGH(base + i), 0);
		}
		job__add(j, HM_OP_KMAP, HIGH(base + 99), 0);
	}
}

/* Misuse the core reports and survives; the reports must match. */
static void misuse(struct job *j)
{
	job__add(j, HM_OP_KUNMAP, HIGH(500), 0);	/* never mapped */
	job__add(j, HM_OP_KUNMAP_ATOMIC, 0, 0);	/* nothing mapped */
	job__add(j, HM_OP_KMAP_ATOMIC, HIGH(501), 0);
	job__add(j, HM_OP_KMAP, HIGH(502), 0);		/* may sleep: BUG */
	job__add(j, HM_OP_CPU, 1, 0);			/* no cpu 1 */
	job__add(j, HM_OP_KUNMAP_ATOMIC, 0, 0);
	job__add(j, HM_OP_KMAP_HIGH_GET, LOW(1), 0);	/* lowmem */
}

/* A fatal BUG(): the core's message must reach the host. */
static void bug(struct job *j)
{
	j->flags |= HM_MB_BUG_FATAL;
	job__add(j, HM_OP_KMAP, HIGH(600), 0);
	job__add(j, HM_OP_KUNMAP, HIGH(600), 0);
	job__add(j, HM_OP_KUNMAP, HIGH(600), 0);	/* one too many */
	job__add(j, HM_OP_KMAP, HIGH(601), 0);		/* never runs */
}

/* Read a PKMAP address no kmap has filled: #PF, CR2 that address. */
static void fault_pagefault(struct job *j)
{
	job__add(j, HM_OP_KMAP, HIGH(700), 0);
	job__add(j, HM_OP_TOUCH, 0xFFC00000u + 100 * 4096, 0);
	job__add(j, HM_OP_KUNMAP, HIGH(700), 0);
}

static void fault_triple(struct job *j)
{
	job__add(j, HM_OP_KMAP, HIGH(800), 0);
	job__add(j, HM_OP_TRIPLE, 0, 0);
}

static void fault_hang(struct job *j)
{
	j->timeout_ms = 300;	/* the watchdog need not wait long */
	job__add(j, HM_OP_KMAP, HIGH(900), 0);
	job__add(j, HM_OP_HANG, 0, 0);
}

/* Two CPUs; cpu 1 reads an empty PKMAP entry.  On two vCPUs the #PF is
 * cpu 1's: reported with its registers, and cpu 0, halted waiting for
 * the op, is kicked out at once rather than by the watchdog. */
static void fault_ap_pagefault(struct job *j)
{
	j->nr_cpus = 2;
	job__add(j, HM_OP_KMAP, HIGH(1500), 0);
	job__add(j, HM_OP_CPU, 1, 0);
	job__add(j, HM_OP_TOUCH, 0xFFC00000u + 100 * 4096, 0);
	job__add(j, HM_OP_KUNMAP, HIGH(1500), 0);
}

/* Two CPUs; cpu 1 never finishes its op.  The watchdog ends it and says
 * who waited on whom. */
static void fault_ap_hang(struct job *j)
{
	j->nr_cpus = 2;
	j->timeout_ms = 300;
	job__add(j, HM_OP_KMAP, HIGH(1600), 0);
	job__add(j, HM_OP_CPU, 1, 0);
	job__add(j, HM_OP_HANG, 0, 0);
}

/*
 * cpu 1 holds a translation of a PKMAP entry (it read through it) when
 * cpu 0 wraps the window and maps another frame there: only the shootdown
 * IPI makes cpu 1's next read see the new frame.  Where the TLB can be
 * stale (TCG), a guest without it reads the old frame.  The whole window,
 * and entry 64: QEMU's TLB is direct-mapped by page number, and the
 * entries of a 16-entry window would share their slots with the guest's
 * own code pages, which evict them.
 */
static void smp_stale(struct job *j)
{
	uint32_t i;

	j->nr_cpus = 2;
	for (i = 1; i < 64; i++) {		/* entries 1..63 */
		job__add(j, HM_OP_KMAP, HIGH(i), 0);
		job__add(j, HM_OP_KUNMAP, HIGH(i), 0);
	}
	job__add(j, HM_OP_KMAP, HIGH(0), 0);	/* entry 64 */
	job__add(j, HM_OP_CPU, 1, 0);
	job__add(j, HM_OP_READ, 0, 0);
	job__add(j, HM_OP_CPU, 0, 0);
	job__add(j, HM_OP_KUNMAP, HIGH(0), 0);
	/* 65..511, the wrap (one flush, one shootdown), then 0..63 */
	for (i = 64; i < 64 + 447 + 64; i++) {
		job__add(j, HM_OP_KMAP, HIGH(i), 0);
		job__add(j, HM_OP_KUNMAP, HIGH(i), 0);
	}
	job__add(j, HM_OP_KMAP, HIGH(1000), 0);	/* entry 64 again */
	job__add(j, HM_OP_CPU, 1, 0);
	job__add(j, HM_OP_READ, 0, 0);
	job__add(j, HM_OP_CPU, 0, 0);
	job__add(j, HM_OP_KUNMAP, HIGH(1000), 0);
}

const struct scenario hm_scenarios[] = {
	{ "boot", "kmap, write, read, page_address, kunmap of one page", boot },
	{ "kmap_wrap", "1128 kmap/kunmap pairs: two wraps of the 512 pkmap "
		       "entries, flush_all_zero_pkmaps and whole-TLB flushes",
	  kmap_wrap },
	{ "atomic_nesting", "20 nested kmap_atomic, writes, unwinding, a "
			    "lazily unmapped slot reused", atomic_nesting },
	{ "kmap_local", "kmap_local_page of lowmem and highmem, nested, with "
			"kmap inside", kmap_local },
	{ "mixed", "kmap, kmap_high_get, typed and plain kmap_atomic, "
		   "kmap_local, two CPUs, flush_unused, reset", mixed },
	{ "smp_wraps", "four CPUs each wrap a 16-entry window: a range flush "
		       "from every CPU, a shootdown IPI to the three others "
		       "on four vCPUs", smp_wraps },
	{ "smp_stale", "cpu 1 reads through PKMAP entry 0, cpu 0 wraps and "
		       "maps another frame there, cpu 1 reads again: the "
		       "shootdown IPI is all that keeps it from the old frame",
	  smp_stale },
	{ "misuse", "misuse the core reports and survives: the BUG reports "
		    "of guest and simulator must match", misuse },
	{ "bug", "one kunmap too many: the guest's BUG() reaches the host",
	  bug },
	{ "fault_pagefault", "a read of an empty PKMAP entry: #PF reported "
			     "by the guest's IDT", fault_pagefault },
	{ "fault_triple", "#UD with an empty IDT: triple fault, "
			  "KVM_EXIT_SHUTDOWN", fault_triple },
	{ "fault_hang", "an endless loop: the watchdog ends it", fault_hang },
	{ "fault_ap_pagefault", "two CPUs, a #PF on cpu 1: reported from its "
				"vCPU, no waiting for the watchdog",
	  fault_ap_pagefault },
	{ "fault_ap_hang", "two CPUs, cpu 1 spins: the watchdog says cpu 0 "
			   "waits for it", fault_ap_hang },
};
const size_t hm_nr_scenarios = sizeof(hm_scenarios) / sizeof(hm_scenarios[0]);
