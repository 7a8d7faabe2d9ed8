/* SPDX-License-Identifier: MIT */
/*
 * mailbox.h - what the kvm_runner host and its 32-bit guest agree on: the
 * guest's physical memory map, the I/O ports the guest reports through,
 * and the mailbox, a fixed-size block of guest memory holding the boot
 * information, the op list of one sequence and its results.
 *
 * Freestanding and compiled twice, for the x86_64 host and the i386 guest,
 * so every field has the same size and offset in both: only uint32_t and
 * explicitly aligned 64-bit fields, and the asserts at the end.
 */
#ifndef HM_KVM_MAILBOX_H
#define HM_KVM_MAILBOX_H

#ifndef __ASSEMBLER__
#include <stdint.h>

#include "core/highmem.h"
#include "fuzz/op_meaning.h"
#include "fuzz/op_table.h"
#endif

/*
 * Guest physical memory (1 GiB for the core, 896 MiB of it in the direct
 * map at PAGE_OFFSET, so frames from 0x38000 up are highmem; and 2 MiB
 * above it for mem_map):
 *
 *   0x000000  nothing of ours: the firmware's when QEMU boots us (the
 *             BIOS data area, the VGA hole and the ROMs live here)
 *   0x100000  the guest image, linked at 0xC0100000 (at most 512 KiB)
 *   0x180000  the stale-read check's page table: one entry per vCPU at
 *             HM_GUEST_SCRATCH_VIRT, a fresh view of a frame
 *   0x181000  mem_map's page table (4 KiB pages, see below)
 *   0x182000  stale-TLB probe frames A and B
 *   0x184000  PML4 (compat mode only): one entry, pointing at the PDPT
 *   0x185000  boot page directory: identity map of the first 2 MiB, so
 *             the instructions after "set CR0.PG" can still be fetched
 *   0x186000  GDT               0x187000  IDT
 *   0x188000  PDPT, kernel page directory, pkmap and fixmap page tables
 *             (hm_x86_build_tables, up to HM_X86_TABLE_PAGES: 6.1's
 *             fixmap takes two page tables, three with DEBUG_KMAP_LOCAL)
 *   0x190000  the mailbox (struct hm_mailbox)
 *   0x1C0000  the stack, growing down from 0x200000
 *   0x200000  first frame ops may write: HM_GUEST_FIRST_FREE_PFN, which is
 *             core/highmem.h's HM_FIRST_FREE_PFN (the simulator's too), so
 *             both refuse the same frames
 * 0x40000000  mem_map: one 4-byte struct page per frame (1 MiB for 1 GiB),
 *             mapped at HM_GUEST_MEM_MAP_VIRT: above the core's memory,
 *             so no op can reach it.  By 4 KiB pages, not one 2 MiB
 *             page: QEMU's TLB flushes everything on an invlpg anywhere
 *             in the span of the large pages it holds, and a large page
 *             up here would stretch that span over the PKMAP window
 */
#define HM_GUEST_MEM_BYTES	(1ull << 30)
#define HM_GUEST_RAM_BYTES	(HM_GUEST_MEM_BYTES + (2ull << 20))
#define HM_GUEST_PAGE_OFFSET	0xC0000000
#define HM_GUEST_MEM_MAP_PHYS	0x40000000
#define HM_GUEST_MEM_MAP_VIRT	0xFE000000	/* in the vmalloc gap */
#define HM_GUEST_IMAGE_PHYS	0x100000
#define HM_GUEST_IMAGE_MAX	0x080000
#define HM_GUEST_TABLES_PHYS	0x188000
#define HM_GUEST_TABLES_MAX	8	/* pages, up to the mailbox */
#define HM_GUEST_PML4_PHYS	0x184000
#define HM_GUEST_BOOT_PD_PHYS	0x185000
#define HM_GUEST_GDT_PHYS	0x186000
#define HM_GUEST_IDT_PHYS	0x187000
#define HM_GUEST_PROBE_A_PHYS	0x182000
#define HM_GUEST_PROBE_B_PHYS	0x183000
#define HM_GUEST_SCRATCH_PT_PHYS	0x180000
#define HM_GUEST_MEM_MAP_PT_PHYS	0x181000
#define HM_GUEST_SCRATCH_VIRT	0xFE200000	/* + cpu * 4096 */
#define HM_GUEST_MAILBOX_PHYS	0x190000
#define HM_GUEST_MAILBOX_MAX	0x030000
#define HM_GUEST_STACK_TOP	0x200000
#define HM_GUEST_FIRST_FREE_PFN	HM_FIRST_FREE_PFN

/* GDT selectors.  The 64-bit code segment is only used by compat mode's
 * IDT gates: in IA-32e mode every interrupt handler runs in 64-bit mode. */
#define HM_GUEST_CS64	0x08
#define HM_GUEST_CS32	0x10
#define HM_GUEST_DS	0x18

/* The markers the host puts in the probe frames. */
#define HM_PROBE_A_MAGIC	0xAAAA0001u
#define HM_PROBE_B_MAGIC	0xBBBB0002u

/*
 * I/O ports: an OUT to one of these is how the guest stops and talks.  The
 * value written and the registers at the exit carry the details.
 */
#define HM_PORT_PUTC	0xE9	/* one console character (al) */
#define HM_PORT_READY	0xF0	/* booted; mailbox boot results filled */
#define HM_PORT_DONE	0xF1	/* sequence finished; results filled */
#define HM_PORT_FAULT	0xF2	/* exception: al vector, ebx error code,
				 * ecx CR2, edx EIP, esi CS, edi EFLAGS */
#define HM_PORT_BUG	0xF3	/* fatal BUG(); message in the mailbox */
#define HM_PORT_PANIC	0xF4	/* the guest's own check failed; message
				 * in the mailbox */
#define HM_PORT_MARK	0xF5	/* benchmark mode, bench_count set: the
				 * timed loop starts (al 0) or ended (al 1) */

/* SMP: at most this many vCPUs; the TLB shootdown IPI's vector; the
 * wake-up IPI's (it only ends a hlt: the work is in memory); the xAPIC's
 * physical address (mapped at FIX_APIC_BASE); and each application
 * processor's stack top: HM_GUEST_STACK_TOP - cpu * this. */
#define HM_SMP_MAX_CPUS		4
#define HM_SMP_IPI_VECTOR	0x40
#define HM_SMP_WAKE_VECTOR	0x41
#define HM_APIC_PHYS		0xFEE00000
#define HM_SMP_STACK_SIZE	0x10000
/* QEMU: where the boot CPU puts the application processors' real-mode
 * trampoline (below 1 MiB, page-aligned: the startup IPI's vector is its
 * page number).  The firmware is done with low memory by then. */
#define HM_SMP_TRAMPOLINE_PHYS	0x8000

/* hm_mailbox.smp_wait[cpu]: what that vCPU is waiting for, and on whom
 * (the low byte: a cpu number).  0: it is not waiting. */
#define HM_SMP_WAIT_ACK		0x100u	/* its shootdown IPI's ack */
#define HM_SMP_WAIT_CALL	0x200u	/* the op it handed over */

/* Where the guest finds CR3 before paging is on: mailbox + this; and
 * boot_flags, which the exception stubs read. */
#define HM_MB_CR3_OFFSET	8
#define HM_MB_BOOT_FLAGS_OFFSET	32

/* Boot flags (hm_mailbox.boot_flags), host to guest. */
#define HM_MB_BOOT_VERBOSE	(1u << 2)	/* = HM_MB_VERBOSE */
#define HM_MB_BOOT_DEBUG	(1u << 1)	/* = HM_MB_DEBUG_HIGHMEM: the
						 * tables are the profile's
						 * debug variant */
#define HM_MB_BOOT_SERIAL	0x1000		/* QEMU: report through the
						 * serial doorbell, not OUTs */

/*
 * The serial doorbell (QEMU, HM_MB_BOOT_SERIAL).  Where KVM stops the vCPU
 * at an OUT to one of our ports and reads the registers, under QEMU the
 * guest writes what it reports into the mailbox (report_*), sends the
 * port number as one byte on COM1 and polls the mailbox's resume_count
 * until the host moves it on, which resumes it (the host has QEMU
 * stopped meanwhile: the vCPU goes on at once, no byte to pass through
 * QEMU's main loop).  Only the boot's hello is answered by a byte back.
 * Console text goes to QEMU's debugcon (the same port 0xE9), and the
 * guest leaves QEMU through isa-debug-exit.
 */
#define HM_COM1			0x3F8
#define HM_SERIAL_HELLO		0x55	/* loaded, paging off: lay me out */
#define HM_DEBUG_EXIT_PORT	0x501

#ifndef __ASSEMBLER__
/* Paging modes, host to guest. */
enum hm_paging_mode {
	HM_PAGING_AUTO = 0,		/* host only: legacy if KVM takes it */
	HM_PAGING_LEGACY_PAE = 1,	/* CR0.PG set by the host, CR3 = PDPT */
	HM_PAGING_COMPAT = 2,		/* EFER.LME, 32-bit code in IA-32e
					 * compatibility mode, CR3 = PML4 */
};

/*
 * The ops the guest runs: fuzz/op_table.h's codes (enum hm_op_code), the
 * fuzz format's and the guest-only ones that make the guest misbehave.
 * What an op does, and what its MAP or SLOT argument means, is defined
 * once, in fuzz/op_meaning.h, and run by one interpreter (ops_exec.c) both
 * in the guest and on the host over the simulator.
 */
struct hm_kop {
	uint32_t code;		/* enum hm_op_code */
	uint32_t a, b;
};

struct hm_kop_result {
	uint32_t value;		/* address returned, or value read */
	uint16_t bugs;		/* BUG() reports during this op */
	uint16_t warns;		/* WARNs (report kernel) during this op */
};

#define HM_MB_MAGIC	0x4B4D4248u	/* "HBMK" */
#define HM_MB_MAX_OPS	4096
#define HM_MB_MSG_LEN	256

/* Sequence flags. */
#define HM_MB_BUG_FATAL		(1u << 0)	/* a BUG() stops the guest */
#define HM_MB_DEBUG_HIGHMEM	(1u << 1)	/* cfg.debug_highmem */
#define HM_MB_VERBOSE		(1u << 2)	/* guest prints progress */
#define HM_MB_SMALL_WINDOW	(1u << 3)	/* small_window */
#define HM_MB_REPORT_KERNEL	(1u << 4)	/* report: HM_REPORT_KERNEL */
/* The kernel profile (enum hm_kernel), in sequence flags and in
 * boot_flags (the one the VM's tables are built for). */
#define HM_MB_KERNEL_SHIFT	8
#define HM_MB_KERNEL_MASK	(3u << HM_MB_KERNEL_SHIFT)

/* What the guest does when resumed (hm_mailbox.command). */
enum hm_mb_command {
	HM_MB_CMD_SEQUENCE = 0,	/* run ops[0 .. nr_ops - 1], fill results */
	HM_MB_CMD_BENCH = 1,	/* run bench_op bench_iters times between two
				 * rdtsc; bench_cycles and stats (the core's
				 * counts over the timed loop) come back */
	HM_MB_CMD_SMP_SHOOTDOWN = 2,	/* cpu 0 and cpu 1 around a PKMAP
				 * wrap: the smp_* fields */
	HM_MB_CMD_EXIT = 3,	/* QEMU: leave through isa-debug-exit */
};

/*
 * Benchmark operations (HM_MB_CMD_BENCH).  Each is one iteration of a loop
 * over a working set of bench_pages frames (page i, then i + 1, ... round
 * and round), with a fresh core and one CPU.  Every map is followed by one
 * 32-bit load through it, as a user of the mapping would do.
 */
enum hm_bench_op {
	HM_BENCH_FLOOR,		/* write the PTE of kmap_atomic's slot, invlpg
				 * it, one load: the least a map can cost */
	HM_BENCH_KMAP_ATOMIC,	/* kmap_atomic + load + kunmap_atomic */
	HM_BENCH_KMAP_ATOMIC_DEBUG,	/* the same, CONFIG_DEBUG_HIGHMEM */
	HM_BENCH_KMAP_LOCAL,	/* kmap_local_page + load + kunmap_local */
	HM_BENCH_KMAP_HIT,	/* kmap + load + kunmap, every page pinned by
				 * one kmap before the loop */
	HM_BENCH_KMAP_STREAM,	/* kmap + load + kunmap; from LAST_PKMAP pages
				 * on every map misses, every LAST_PKMAP-th
				 * wraps and flushes the whole TLB */
	HM_BENCH_PAGE_ADDRESS_LOW,	/* page_address of lowmem pages */
	HM_BENCH_PAGE_ADDRESS_HIGH,	/* page_address of kmapped highmem */
	HM_BENCH__NR
};

typedef uint64_t __attribute__((aligned(8))) hm_mb_u64;

struct hm_mailbox {
	uint32_t magic;

	/* Boot, host to guest. */
	uint32_t paging_mode;		/* enum hm_paging_mode */
	uint32_t cr3;			/* PML4 or PDPT */
	uint32_t pdpt_phys;
	uint32_t pkmap_pt_phys, fixmap_pt_phys;
	uint32_t mem_mib;
	uint32_t first_free_pfn;
	uint32_t boot_flags;		/* HM_MB_VERBOSE */
	/* Boot, guest to host: the stale-TLB probe read these through one
	 * address: after mapping A (with invlpg), and after re-pointing the
	 * PTE at B without any flush. */
	uint32_t probe_first, probe_second;

	/* One sequence, host to guest. */
	uint32_t seq_no;
	uint32_t nr_ops;
	uint32_t nr_cpus;
	uint32_t flags;			/* HM_MB_* */

	/* Its results, guest to host. */
	uint32_t ops_done;		/* ops started, so a fault's op is known */
	uint32_t outcome;		/* 0 ran to the end */
	uint32_t bug_count;		/* reports: BUGs and WARNs */
	uint32_t cpu;			/* the current cpu at the end */
	uint32_t last_pkmap_nr;
	uint32_t pad[2];		/* stats at the same offset in both */
	hm_mb_u64 stats[HM_STATS_NR];	/* struct hm_stats: hm_mb_put_stats() */
	char bug_msg[HM_MB_MSG_LEN];	/* the first report of the sequence
					 * (BUG or WARN), or the fatal BUG
					 * that stopped it */
	char panic_msg[HM_MB_MSG_LEN];

	struct hm_kop ops[HM_MB_MAX_OPS];
	struct hm_kop_result results[HM_MB_MAX_OPS];

	/* Which of the two, host to guest (enum hm_mb_command). */
	uint32_t command;
	/* HM_MB_CMD_BENCH, host to guest: what to time.  The guest runs
	 * bench_warmup iterations (timed once, to size the chunks), then
	 * bench_iters in chunks of about bench_chunk_cycles TSC cycles each
	 * (0: one chunk), each chunk between two rdtsc. */
	uint32_t bench_op;		/* enum hm_bench_op */
	uint32_t bench_iters;
	uint32_t bench_pages;		/* working set */
	uint32_t bench_warmup;
	uint32_t bench_count;		/* OUT to HM_PORT_MARK around the loop,
					 * so the host can single-step it */
	uint32_t bench_chunk_cycles;
	/* Guest to host, with stats[] (the core's counts over the timed
	 * iterations) and outcome 0: the chunk size used, the cycles of all
	 * the chunks, and of the fastest full chunk. */
	uint32_t bench_chunk;
	hm_mb_u64 bench_cycles;
	hm_mb_u64 bench_best_cycles;

	/* SMP (HM_MB_CMD_SMP_SHOOTDOWN, kvm_runner smp_shootdown).  Host to
	 * guest, at boot: how many vCPUs the VM has (0 or 1: one, no APIC
	 * mapped, no IPIs). */
	uint32_t smp_nr_cpus;
	/* Guest to host: application processors up (APIC enabled, IF set,
	 * waiting for work), and each vCPU's xAPIC ID as it read it. */
	uint32_t smp_online;
	uint32_t smp_apic_id[HM_SMP_MAX_CPUS];
	/* TLB shootdown IPIs cpu 0 sent to each CPU, and the ones each CPU's
	 * handler acknowledged (the per-CPU ack counters cpu 0 waits on). */
	uint32_t smp_ipis_sent[HM_SMP_MAX_CPUS];
	uint32_t smp_acks[HM_SMP_MAX_CPUS];
	uint32_t smp_shootdowns;	/* flushes that sent IPIs */
	/* The scenario: cpu 1 read PKMAP address smp_vaddr (entry
	 * smp_entry) while it mapped frame smp_pfn_old; cpu 0 wrapped the
	 * window until smp_pfn_new got the same entry; cpu 1 read again. */
	uint32_t smp_vaddr, smp_entry;
	uint32_t smp_pfn_old, smp_pfn_new;
	uint32_t smp_read_before, smp_read_after;
	uint32_t smp_kmaps;		/* kmaps cpu 0 did to get there */
	/* HM_MB_CMD_BENCH with several vCPUs, guest to host: the shootdown
	 * IPIs the other CPUs acknowledged over the timed iterations. */
	uint32_t smp_bench_acks;
	/* Host to guest: idle application processors halt (sti; hlt, woken
	 * by an IPI) instead of polling for work (set for sequences and the
	 * benchmark mode; smp_shootdown's cpu 1 polls). */
	uint32_t smp_idle_halt;
	/* A sequence on real vCPUs (HM_MB_CMD_SEQUENCE in a VM of nr_cpus
	 * vCPUs, guest/smp_ops.c), guest to host, with the IPI counts above
	 * (all per sequence): the range flushes each CPU sent to the others
	 * (the shootdowns, by initiator); what each vCPU waits for now
	 * (HM_SMP_WAIT_*, for a watchdog stop); the xAPIC ID of the vCPU
	 * that ran each op. */
	uint32_t smp_shootdowns_by[HM_SMP_MAX_CPUS];
	uint32_t smp_wait[HM_SMP_MAX_CPUS];
	uint32_t smp_pad;
	uint8_t op_cpu[HM_MB_MAX_OPS];

	/* The serial doorbell (HM_MB_BOOT_SERIAL), guest to host: the port
	 * the guest would have written, its value, the vCPU, and for
	 * HM_PORT_FAULT what the stub has in EAX..EDI (vector, error code,
	 * CR2, EIP, CS, EFLAGS). */
	uint32_t report_port, report_value, report_cpu;
	uint32_t report_regs[6];
	/* Host to guest: one more for each resume after a report. */
	uint32_t resume_count;
	/* The stale-read check (guest/stale.c), guest to host, per
	 * sequence: accesses checked, and the first that went through a
	 * stale translation: its op, address, whether it was a write, the
	 * frame the PTE maps, what the access read (or wrote) and what that
	 * frame holds there, read through a fresh mapping; and the frame it
	 * really reached, looked for there and then (later ops may overwrite
	 * the word): of the frames earlier ops mapped at that page, the
	 * newest that holds what was seen, and that op (0, 0: none does). */
	uint32_t stale_checked;
	uint32_t stale_count;
	uint32_t stale_op, stale_vaddr, stale_write;
	uint32_t stale_pfn, stale_seen, stale_truth;
	uint32_t stale_reached, stale_reached_by;
};

/* A sequence's configuration (fuzz/op_meaning.h) as the mailbox carries
 * it: nr_cpus, and these flags; always PAE (the guest's hardware tables
 * are).  hm_seq_config_apply() makes it the core's. */
static inline uint32_t hm_mb_config_flags(const struct hm_seq_config *c)
{
	return (c->debug_highmem ? HM_MB_DEBUG_HIGHMEM : 0) |
	       (c->small_window ? HM_MB_SMALL_WINDOW : 0) |
	       (c->report == HM_REPORT_KERNEL ? HM_MB_REPORT_KERNEL : 0) |
	       ((uint32_t)c->kernel << HM_MB_KERNEL_SHIFT);
}

static inline struct hm_seq_config hm_mb_seq_config(uint32_t nr_cpus,
						    uint32_t flags)
{
	struct hm_seq_config c = {
		.nr_cpus = nr_cpus,
		.pae = true,
		.debug_highmem = (flags & HM_MB_DEBUG_HIGHMEM) != 0,
		.small_window = (flags & HM_MB_SMALL_WINDOW) != 0,
		.kernel = (enum hm_kernel)((flags & HM_MB_KERNEL_MASK) >>
					   HM_MB_KERNEL_SHIFT),
		.report = (flags & HM_MB_REPORT_KERNEL) ? HM_REPORT_KERNEL :
							  HM_REPORT_STRICT,
	};

	return c;
}

/* struct hm_stats into the mailbox and back, field by field (the guest's
 * and the host's compilers may lay the struct out alike, but nothing says
 * so), from the one list of fields. */
static inline void hm_mb_put_stats(hm_mb_u64 *dst, const struct hm_stats *s)
{
#define HM_MB_PUT(field, what) dst[HM_STAT_##field] = s->field;
	HM_STATS_FIELDS(HM_MB_PUT)
#undef HM_MB_PUT
}

static inline void hm_mb_get_stats(struct hm_stats *s, const hm_mb_u64 *src)
{
#define HM_MB_GET(field, what) s->field = src[HM_STAT_##field];
	HM_STATS_FIELDS(HM_MB_GET)
#undef HM_MB_GET
}

_Static_assert(sizeof(((struct hm_mailbox *)0)->stats) ==
		       sizeof(struct hm_stats),
	       "the mailbox carries every field of struct hm_stats");
_Static_assert(HM_GUEST_STACK_TOP == (HM_GUEST_FIRST_FREE_PFN << 12),
	       "the guest's own frames end where the ops' frames start");
_Static_assert(sizeof(struct hm_kop) == 12, "hm_kop layout");
_Static_assert(HM_GUEST_TABLES_PHYS + HM_GUEST_TABLES_MAX * 0x1000 <=
	       HM_GUEST_MAILBOX_PHYS, "the page tables end before the mailbox");
_Static_assert(HM_KERNEL_NR <= 4, "enum hm_kernel fits HM_MB_KERNEL_MASK");
_Static_assert(sizeof(struct hm_kop_result) == 8, "hm_kop_result layout");
_Static_assert(!(HM_MB_REPORT_KERNEL &
		 (HM_MB_BUG_FATAL | HM_MB_DEBUG_HIGHMEM | HM_MB_VERBOSE |
		  HM_MB_SMALL_WINDOW | HM_MB_KERNEL_MASK)),
	       "sequence flags: the reporting mode is a bit of its own");
_Static_assert(HM_REPORT_STRICT == 0 && HM_REPORT_KERNEL == 1,
	       "enum hm_report: two modes, one flag bit");
_Static_assert(__builtin_offsetof(struct hm_mailbox, stats) == 88,
	       "hm_mailbox layout differs between host and guest");
_Static_assert(sizeof(struct hm_mailbox) <= HM_GUEST_MAILBOX_MAX,
	       "the mailbox overlaps the stack");
_Static_assert(sizeof(struct hm_mailbox) % 8 == 0, "hm_mailbox padding");
_Static_assert(__builtin_offsetof(struct hm_mailbox, bench_cycles) ==
		       __builtin_offsetof(struct hm_mailbox, command) + 32,
	       "hm_mailbox layout differs between host and guest");
_Static_assert(__builtin_offsetof(struct hm_mailbox, cr3) == HM_MB_CR3_OFFSET,
	       "entry.S reads cr3 here");
_Static_assert(__builtin_offsetof(struct hm_mailbox, boot_flags) ==
		       HM_MB_BOOT_FLAGS_OFFSET,
	       "entry.S reads boot_flags here");
_Static_assert(HM_MB_BOOT_VERBOSE == HM_MB_VERBOSE, "one verbose bit");
_Static_assert(HM_MB_BOOT_DEBUG == HM_MB_DEBUG_HIGHMEM, "one debug bit");
_Static_assert(!(HM_MB_BOOT_SERIAL & (HM_MB_KERNEL_MASK | HM_MB_VERBOSE |
				     HM_MB_BOOT_DEBUG)),
	       "boot_flags: the transport bit is a bit of its own");
#endif /* !__ASSEMBLER__ */

#endif /* HM_KVM_MAILBOX_H */
