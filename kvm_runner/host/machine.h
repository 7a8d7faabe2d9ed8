/* SPDX-License-Identifier: MIT */
/*
 * machine.h - the one interface between the verifier and the thing that
 * runs the guest.  Two backends implement it: KVM (kvm_machine.c, over
 * kvm.c, smp.c and x86.c) and QEMU's TCG (tcg.c).  The verifier sees guest
 * physical memory as a host mapping (m->mem), the mailbox in it, and
 * "resume the guest until it reports": everything else is the backend's.
 */
#ifndef HM_KVM_MACHINE_H
#define HM_KVM_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/layout.h"
#include "core/profile.h"
#include "core/x86_pgtable.h"
#include "kvm_runner/mailbox.h"

/* Exit status of the runner. */
enum {
	HM_EXIT_PASS = 0,	/* every check passed */
	HM_EXIT_FAIL = 1,	/* a check failed (or an input was bad) */
	HM_EXIT_USAGE = 2,	/* bad command line */
	HM_EXIT_INTERNAL = 70,	/* the runner itself went wrong */
	HM_EXIT_SKIP = 77,	/* no usable backend */
};

/* How a resumed guest stopped (hm_machine_ops.run). */
enum hm_stop_kind {
	HM_STOP_REPORT,		/* it reported through a port: port, value */
	HM_STOP_SHUTDOWN,	/* triple fault */
	HM_STOP_TIMEOUT,	/* the watchdog fired */
	HM_STOP_DIED,		/* the machine failed under it: what says how */
};

struct hm_stop {
	enum hm_stop_kind kind;
	unsigned cpu;		/* the vCPU that stopped */
	uint16_t port;		/* HM_STOP_REPORT: HM_PORT_* */
	uint32_t value;
	/* HM_PORT_FAULT: what the exception stub reported (in registers on
	 * KVM, in the mailbox on TCG). */
	uint32_t vec, err, cr2, eip;
	/* SHUTDOWN: the backend's name for it; DIED: what happened. */
	char what[256];
};

struct hm_machine;

struct hm_machine_ops {
	const char *name;	/* "kvm", "tcg" */
	/* Boot the guest with @nr_vcpus vCPUs in @mode (HM_PAGING_AUTO:
	 * legacy PAE where the backend runs it) until it is ready for a
	 * command.  0, or an HM_EXIT_* with @why. */
	int (*boot)(struct hm_machine *m, enum hm_paging_mode mode,
		    unsigned nr_vcpus, char *why, size_t whysz);
	/* Resume the guest (the command is in the mailbox) until it reports
	 * or stops, at most @timeout_ms.  0 with @st filled, or
	 * HM_EXIT_INTERNAL (the runner itself failed; message printed). */
	int (*run)(struct hm_machine *m, unsigned timeout_ms,
		   struct hm_stop *st);
	/* Registers of vCPU @cpu, as a VMM prints them when a guest dies. */
	void (*dump_regs)(struct hm_machine *m, unsigned cpu, FILE *f);
	/* CR3 of vCPU @cpu and whether it runs in IA-32e mode (for a page
	 * walk); false if unknown. */
	bool (*cr3)(struct hm_machine *m, unsigned cpu, uint64_t *cr3,
		    bool *lma);
	/* The guest goes (processes, vCPUs, memory); the machine can boot
	 * again. */
	void (*teardown)(struct hm_machine *m);
	/* teardown, then whatever boot needs no more (the device). */
	void (*close)(struct hm_machine *m);
};

/* What every backend keeps.  A backend's own state embeds this first. */
struct hm_machine {
	const struct hm_machine_ops *ops;
	uint8_t *mem;			/* guest physical memory */
	uint64_t mem_size;		/* HM_GUEST_RAM_BYTES */
	int mem_fd;			/* its file, or -1 (anonymous) */
	enum hm_paging_mode mode;
	unsigned nr_vcpus;
	bool alive;			/* booted, waiting for a command */
	bool verbose;
	unsigned boot_flags;		/* HM_MB_* boot flags (transport) */
	struct hm_x86_tables tables;	/* host pointers into mem */
	/* The kernel profile the tables are built for (0: linux-4.7), set
	 * before booting, and whether for its debug variant; its layout,
	 * for 1 CPU. */
	enum hm_kernel kernel;
	bool debug;
	struct hm_layout layout;
	char fallback_why[256];		/* why AUTO did not get legacy PAE */
	double boot_ms;			/* the last boot, start to ready */
};

static inline struct hm_mailbox *machine__mailbox(struct hm_machine *m)
{
	return (struct hm_mailbox *)(m->mem + HM_GUEST_MAILBOX_PHYS);
}

static inline uint32_t machine__read32(struct hm_machine *m, uint64_t pa)
{
	uint32_t v;

	__builtin_memcpy(&v, m->mem + pa, 4);
	return v;
}

/* guest_mem.c: guest memory seen from the host. */
/* Lay the guest out in m->mem for @mode: tables, GDT, mailbox, mem_map;
 * the image too with @image (KVM; QEMU loads it itself). */
int guest__layout(struct hm_machine *m, enum hm_paging_mode mode,
		  bool image, char *why, size_t whysz);
/* The PTE of PKMAP entry @nr, as the guest left it (the core's PTEs carry
 * A and D already: no MMU changes them). */
uint64_t guest__pkmap_pte(struct hm_machine *m, unsigned nr);
/* The PTE of fixmap index @idx of layout @l (a sequence's, which must fit
 * the machine's tables: guest__fits). */
uint64_t guest__fixmap_pte(struct hm_machine *m, const struct hm_layout *l,
			   unsigned idx);
/* Does profile @k's debug variant need page tables of its own (6.1's
 * guard slots move PKMAP_BASE and the end of lowmem)? */
bool guest__debug_tables(enum hm_kernel k);
/* Do the machine's tables fit a sequence whose simulator layout is @l
 * (same kernel, PKMAP_BASE, end of lowmem and fixmap tables)?  If not,
 * why. */
bool guest__fits(const struct hm_machine *m, enum hm_kernel k,
		 const struct hm_layout *l, char *why, size_t whysz);
/* Resident frames from @first below HM_GUEST_MEM_BYTES, into @pfns (at
 * most @max); the count, or (size_t)-1 if mincore() failed. */
size_t guest__resident(struct hm_machine *m, uint64_t first, uint64_t *pfns,
		       size_t max);
/* Give @npages frames from @pfn back: zero again, not resident. */
void guest__discard(struct hm_machine *m, uint64_t pfn, uint64_t npages);

/* dump.c: what the host prints about a dead guest from memory alone. */
const char *x86__mode_name(enum hm_paging_mode mode);
/* "name+0x12" for a guest address, into @buf. */
const char *x86__guest_symbol(uint32_t addr, char *buf, size_t size);
/* Walk @vaddr through the guest's tables from @cr3, printing each level. */
void x86__dump_walk(struct hm_machine *m, uint64_t cr3, bool lma,
		    uint32_t vaddr, FILE *f);

#endif /* HM_KVM_MACHINE_H */
