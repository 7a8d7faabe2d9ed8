/* SPDX-License-Identifier: MIT */
/*
 * highmem.h - the one public header of libhighmem.
 *
 * A re-implementation, in user space, of the Linux highmem subsystem as it
 * is on x86_32 with PAE: persistent maps (kmap/kunmap over the PKMAP window
 * and pkmap_count), the page_address() hash table, temporary maps
 * (kmap_atomic/kunmap_atomic in per-CPU fixmap windows) and kmap_local_page.
 *
 * Everything lives in a struct hm_ctx made from a struct hm_config, so
 * several instances can live side by side.  Kernel names are kept behind the
 * hm_ prefix so this file can be read beside mm/highmem.c.
 *
 * Virtual addresses are those of the simulated 32-bit kernel (hm_vaddr_t,
 * 0 meaning NULL); physical addresses are 64 bits wide, as with PAE.
 *
 * Context rules mirror the kernel's: hm_kmap() may sleep (it waits for a free
 * PKMAP entry) and must not be called with preemption disabled;
 * hm_kmap_atomic() never sleeps.  Misuse is reported like the kernel's BUG():
 * the handler set with hm_set_bug_handler() receives what and where; the
 * default handler prints the report and aborts.
 */
#ifndef HIGHMEM_H
#define HIGHMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What libhighmem.so exports; it is built with -fvisibility=hidden. */
#define HM_API __attribute__((visibility("default")))

typedef uint32_t hm_vaddr_t;	/* virtual address in the simulated kernel */
typedef uint64_t hm_paddr_t;	/* physical address (PAE: up to 64 GiB) */

struct hm_ctx;
struct page;

/* The legacy per-purpose slot types of kmap_atomic(page, type), as in the
 * seeds' <asm/kmap_types.h>.  They index the first slots of each CPU's
 * window of HM_KM_TYPE_NR fixmap pages. */
enum km_type {
	KM_BOUNCE_READ,
	KM_SKB_SUNRPC_DATA,
	KM_SKB_DATA_SOFTIRQ,
	KM_USER0,
	KM_USER1,
	KM_BIO_SRC_IRQ,
	KM_BIO_DST_IRQ,
	KM_PTE0,
	KM_PTE1,
	KM_PTE2,
	KM_IRQ0,
	KM_IRQ1,
	KM_SOFTIRQ0,
	KM_SOFTIRQ1,
	KM_LEGACY_TYPES		/* number of named types above */
};

/* The most temporary-map slots a CPU's stack holds in any profile: 4.x's
 * KM_TYPE_NR under DEBUG_HIGHMEM (__WITH_KM_FENCE).  The number a context
 * has is its layout's km_max_nest (in HM_REPORT_KERNEL, 4.7's non-debug
 * nest overflow goes on past it, up to this many maps). */
#define HM_KM_SLOTS_MAX	41
#define HM_MAX_CPUS	16	/* largest nr_cpus a context accepts */

/* The kernel whose layout and temporary-map rules a context follows
 * (core/profile.h has each one's sources and .config). */
enum hm_kernel {
	HM_KERNEL_DEFAULT,	/* linux-4.7 */
	HM_KERNEL_2_6_24,	/* linux-2.6.24: typed km_type slots */
	HM_KERNEL_4_7,		/* linux-4.7: per-CPU kmap_atomic stack */
	HM_KERNEL_6_1,		/* linux-6.1, as Debian 12's 686-pae */
	HM_KERNEL_NR
};
/* "linux-4.7" and so on (the --kernel and "config kernel" names);
 * HM_KERNEL_DEFAULT names the default's profile. */
static inline const char *hm_kernel_name(enum hm_kernel k)
{
	switch (k) {
	case HM_KERNEL_2_6_24:	return "linux-2.6.24";
	case HM_KERNEL_DEFAULT:
	case HM_KERNEL_4_7:	return "linux-4.7";
	case HM_KERNEL_6_1:	return "linux-6.1";
	default:		return "?";
	}
}

/* The kernel called @name, or HM_KERNEL_NR.  "linux-4.7" and "default"
 * give HM_KERNEL_DEFAULT, so a configuration has one way to say it. */
static inline enum hm_kernel hm_kernel_by_name(const char *name)
{
	for (unsigned k = 0; name && k < HM_KERNEL_NR; k++) {
		const char *a = hm_kernel_name((enum hm_kernel)k), *b = name;

		while (*a && *a == *b) {
			a++;
			b++;
		}
		if (*a == *b)
			return (enum hm_kernel)k;
	}
	if (name && name[0] == 'd' && name[1] == 'e' && name[2] == 'f' &&
	    name[3] == 'a' && name[4] == 'u' && name[5] == 'l' &&
	    name[6] == 't' && !name[7])
		return HM_KERNEL_DEFAULT;
	return HM_KERNEL_NR;
}

struct hm_config {
	uint64_t mem_bytes;	/* simulated physical memory; default 1 GiB */
	unsigned nr_cpus;	/* 1..HM_MAX_CPUS; default 1 */
	bool pae;		/* PAE (LAST_PKMAP 512) or 2-level (1024); default true */
	bool debug_highmem;	/* CONFIG_DEBUG_HIGHMEM; default false */
	/* How long hm_kmap() may sleep waiting for a free PKMAP entry before
	 * it reports a deadlock as a BUG.  0: sleeping at all is reported
	 * (single-threaded users, fuzzers).  Default 10000. */
	unsigned wait_timeout_ms;
	unsigned tlb_entries;	/* per simulated CPU, power of two; default 1024 */
	/* PKMAP entries in use: 0 for the arch's LAST_PKMAP (512 with PAE,
	 * 1024 without), or a power of two from 4 up to it.  The window stays
	 * where the kernel puts it; a small one reaches the wrap and the
	 * exhaustion of every entry after a few kmaps (the fuzzers use 16). */
	unsigned last_pkmap;
	/* The kernel profile: the fixmap and PKMAP_BASE it places, where
	 * lowmem ends (MAXMEM), slots per CPU and what the unmap does.
	 * Default (0): linux-4.7. */
	enum hm_kernel kernel;
	/* What a misuse does.  HM_REPORT_STRICT (default): a BUG with what
	 * and where, and the call backs out.  HM_REPORT_KERNEL: where the
	 * kernel only warns, a WARN (struct hm_bug.warn) and the call does
	 * what that kernel does: kmap() with preemption off goes on
	 * (might_sleep); an out-of-order kunmap_atomic / kunmap_local clears
	 * the top slot's PTE, flushes the address passed and pops, leaving
	 * the top slot in this CPU's TLB.  Everything else stays a BUG. */
	enum hm_report { HM_REPORT_STRICT, HM_REPORT_KERNEL } report;
};

/* Fills *cfg with the defaults listed above. */
HM_API void hm_config_default(struct hm_config *cfg);

/**
 * hm_create - make a context: simulated memory, page tables, TLBs, state
 * @cfg: the configuration (NULL: defaults)
 * @err: where to write a one-line reason on failure (may be NULL)
 * @errsz: size of @err
 *
 * Return: the context, or NULL with @err filled in.
 */
HM_API struct hm_ctx *hm_create(const struct hm_config *cfg, char *err, size_t errsz);
HM_API void hm_destroy(struct hm_ctx *ctx);

/**
 * hm_reset - drop every mapping and return to the state hm_create() left
 *
 * Costs in proportion to the state in use, not to the memory size.  Frame
 * contents written since creation are kept.  Not to be called while another
 * thread uses @ctx.
 */
HM_API void hm_reset(struct hm_ctx *ctx);

HM_API const struct hm_config *hm_config(const struct hm_ctx *ctx);

/* ---- Pages -------------------------------------------------------------- */

/* NULL when @pfn is outside the configured memory. */
HM_API struct page *hm_pfn_to_page(struct hm_ctx *ctx, uint64_t pfn);
HM_API uint64_t hm_page_to_pfn(const struct hm_ctx *ctx, const struct page *page);
HM_API bool hm_PageHighMem(const struct hm_ctx *ctx, const struct page *page);
HM_API uint64_t hm_max_pfn(const struct hm_ctx *ctx);		/* frames in memory */
HM_API uint64_t hm_max_low_pfn(const struct hm_ctx *ctx);	/* first highmem pfn */
/* Frames below this hold the simulated kernel's own page tables; writing
 * through a mapping of them corrupts the simulation, as it would a kernel. */
HM_API uint64_t hm_first_free_pfn(const struct hm_ctx *ctx);
/* What every backend reserves so: the first 2 MiB (the kvm_runner guest's
 * image, tables and stack; the simulator's and the null backend's to
 * match), so all refuse the same frames and a seed names the same pages. */
#define HM_FIRST_FREE_PFN	0x200u

/**
 * hm_page_address - the kernel virtual address of @page, or 0
 *
 * Lowmem pages: by arithmetic from the direct map.  Highmem pages: looked up
 * in page_address_htable; 0 when the page has no persistent map.
 */
HM_API hm_vaddr_t hm_page_address(struct hm_ctx *ctx, const struct page *page);

/* ---- Persistent maps (mm/highmem.c) ------------------------------------- */

/**
 * hm_kmap - map @page into the kernel's address space for a long time
 *
 * Lowmem pages return their direct-map address.  Highmem pages go through
 * hm_kmap_high().  Context: may sleep; BUG when preemption is disabled.
 */
HM_API hm_vaddr_t hm_kmap(struct hm_ctx *ctx, struct page *page);
/* Undo one hm_kmap(); a no-op for lowmem pages. */
HM_API void hm_kunmap(struct hm_ctx *ctx, struct page *page);
/* The highmem halves of the above; @page must be highmem. */
HM_API hm_vaddr_t hm_kmap_high(struct hm_ctx *ctx, struct page *page);
HM_API void hm_kunmap_high(struct hm_ctx *ctx, struct page *page);
/* Pin an existing persistent map without ever creating one; 0 if none.
 * (ARCH_NEEDS_KMAP_HIGH_GET.)  Undo with hm_kunmap_high(). */
HM_API hm_vaddr_t hm_kmap_high_get(struct hm_ctx *ctx, struct page *page);
/* Drop every entry whose pkmap_count is 1 and flush the PKMAP range. */
HM_API void hm_kmap_flush_unused(struct hm_ctx *ctx);

/* ---- Temporary maps ------------------------------------------------------ */

/**
 * hm_kmap_atomic - map @page in this CPU's next fixmap slot
 *
 * Disables preemption and page faults until hm_kunmap_atomic().  Nested maps
 * use a per-CPU stack of the layout's km_max_nest slots; unmap in reverse
 * order.  The unmap clears the PTE and flushes it, as x86 does.
 * Context: never sleeps.
 */
HM_API hm_vaddr_t hm_kmap_atomic(struct hm_ctx *ctx, struct page *page);
HM_API void hm_kunmap_atomic(struct hm_ctx *ctx, hm_vaddr_t vaddr);
/* The legacy typed form: kmap_atomic(page, KM_USER0) uses the slot @type. */
HM_API hm_vaddr_t hm_kmap_atomic_type(struct hm_ctx *ctx, struct page *page,
			       enum km_type type);
HM_API void hm_kunmap_atomic_type(struct hm_ctx *ctx, hm_vaddr_t vaddr,
			   enum km_type type);
/* The modern replacement: CPU-local, disables migration only. */
HM_API hm_vaddr_t hm_kmap_local_page(struct hm_ctx *ctx, struct page *page);
HM_API void hm_kunmap_local(struct hm_ctx *ctx, hm_vaddr_t vaddr);

/* ---- CPUs ---------------------------------------------------------------- */

/* Run the calling thread on simulated CPU @cpu from now on.  BUG when the
 * thread leaves a CPU with preemption or migration disabled. */
HM_API void hm_set_cpu(struct hm_ctx *ctx, unsigned cpu);

/* ---- Tasks (6.x's per-task kmap_local) ---------------------------------- */

#define HM_MAX_TASKS	16	/* task t starts as the current task of cpu t */

/**
 * hm_switch_task - schedule task @next in on this CPU
 *
 * What 6.x's __kmap_local_sched_out/_in do at a context switch: the
 * outgoing task's temporary maps (kmap_local_page, and kmap_atomic, which
 * is the same path there) have their PTEs saved in the task and cleared,
 * each TLB entry flushed; the incoming task's saved PTEs are set again in
 * the same slots, with its index and migrate_disable count.  BUG when
 * preemption is off (scheduling while atomic), when @next runs on another
 * CPU or holds maps of another CPU (migration is off while it does), and,
 * outside linux-6.1, when the outgoing task holds maps (only 6.x saves
 * them).
 */
HM_API void hm_switch_task(struct hm_ctx *ctx, unsigned next);
/* The task running on @cpu. */
HM_API unsigned hm_current_task(const struct hm_ctx *ctx, unsigned cpu);
HM_API unsigned hm_smp_processor_id(struct hm_ctx *ctx);

/* ---- Introspection, for tests, fuzzers and benchmarks ------------------ */

struct hm_layout {
	hm_vaddr_t page_offset;		/* PAGE_OFFSET */
	hm_vaddr_t high_memory;		/* end of the direct map in use */
	hm_vaddr_t vmalloc_end;		/* VMALLOC_END */
	hm_vaddr_t pkmap_base;		/* PKMAP_BASE */
	unsigned last_pkmap;		/* LAST_PKMAP */
	hm_vaddr_t fixaddr_top;		/* FIXADDR_TOP */
	hm_vaddr_t fixaddr_start;	/* FIXADDR_START */
	unsigned fix_kmap_begin;	/* FIX_KMAP_BEGIN */
	unsigned fix_kmap_end;		/* FIX_KMAP_END */
	unsigned pmd_shift;		/* 21 with PAE, 22 without */
	hm_vaddr_t vmalloc_start;	/* VMALLOC_START */
	/* Temporary maps: slots per CPU (KM_TYPE_NR / KM_MAX_IDX), the
	 * index of a CPU's first map and the step between nested ones (1
	 * and 2 under 6.x's DEBUG_KMAP_LOCAL guard slots and 2.6.x's
	 * fences), and how many maps nest.  The nth map on @cpu is at
	 * __fix_to_virt(fix_kmap_begin + km_first_idx + n * km_step +
	 * km_slots * cpu). */
	unsigned km_slots, km_first_idx, km_step, km_max_nest;
	unsigned fix_apic_base;		/* FIX_APIC_BASE: the local APIC */
};
HM_API const struct hm_layout *hm_layout(const struct hm_ctx *ctx);
/* PKMAP_ADDR(nr), and the address of the @type-th slot of @cpu's stack
 * (or km_type @type): see struct hm_layout's km_* fields. */
HM_API hm_vaddr_t hm_pkmap_addr(const struct hm_ctx *ctx, unsigned nr);
HM_API hm_vaddr_t hm_kmap_atomic_slot_addr(const struct hm_ctx *ctx, unsigned cpu,
				    unsigned type);

/* pkmap_count[nr]: 0 free, 1 mapped but unusable until the next flush,
 * n > 1 mapped with n - 1 users. */
HM_API int hm_pkmap_count(const struct hm_ctx *ctx, unsigned nr);
HM_API unsigned hm_last_pkmap_nr(const struct hm_ctx *ctx);
/* The PTE of PKMAP entry @nr / of a fixmap slot, in the hardware format. */
HM_API uint64_t hm_pkmap_pte(const struct hm_ctx *ctx, unsigned nr);
HM_API uint64_t hm_kmap_atomic_pte(const struct hm_ctx *ctx, unsigned cpu,
			    unsigned type);
/* Tasks asleep in hm_kmap() waiting for a free entry. */
HM_API unsigned hm_pkmap_waiters(struct hm_ctx *ctx);

struct hm_cpu_state {
	int preempt_count;
	int pagefault_disabled;
	int migrate_disabled;
	int kmap_atomic_idx;	/* depth of the per-CPU slot stack */
};
HM_API void hm_cpu_state(const struct hm_ctx *ctx, unsigned cpu,
		  struct hm_cpu_state *out);

/* Event counts, summed over CPUs. */
/*
 * The fields of struct hm_stats, listed once: X(field, what it counts).
 * Every copy of the counters (the kvm_runner mailbox, its guest and host,
 * the benchmarks) is made from this list, so a new counter reaches all of
 * them.  All are uint64_t; HM_STAT_<field> is a field's index in that order.
 */
#define HM_STATS_FIELDS(X)						\
	X(pte_writes,		"PTEs set or cleared")			\
	X(tlb_flush_one,	"single-entry flushes (invlpg)")	\
	X(tlb_flush_range,	"flush_tlb_kernel_range calls")		\
	X(tlb_flush_all,	"full flushes, per CPU flushed")	\
	X(tlb_entries_flushed,	"entries dropped by any flush")		\
	X(hash_steps,		"page_address_map entries examined")	\
	X(pkmap_flushes,	"flush_all_zero_pkmaps() runs")		\
	X(pkmap_sleeps,		"waits for a free PKMAP entry")		\
	X(pkmap_wakeups,	"wake_up() calls from kunmap_high")	\
	X(lock_contended,	"lock acquisitions that had to spin")	\
	X(tlb_ipis,		"other CPUs a range flush reached")

struct hm_stats {
#define HM_STATS_MEMBER(field, what) uint64_t field;
	HM_STATS_FIELDS(HM_STATS_MEMBER)
#undef HM_STATS_MEMBER
};

enum hm_stat_index {
#define HM_STATS_INDEX(field, what) HM_STAT_##field,
	HM_STATS_FIELDS(HM_STATS_INDEX)
#undef HM_STATS_INDEX
	HM_STATS_NR
};

/* Field @i of @s, by index. */
static inline uint64_t hm_stat(const struct hm_stats *s, unsigned i)
{
	switch (i) {
#define HM_STATS_CASE(field, what) case HM_STAT_##field: return s->field;
	HM_STATS_FIELDS(HM_STATS_CASE)
#undef HM_STATS_CASE
	}
	return 0;
}

/* Field @i's name. */
static inline const char *hm_stat_name(unsigned i)
{
	switch (i) {
#define HM_STATS_NAME(field, what) case HM_STAT_##field: return #field;
	HM_STATS_FIELDS(HM_STATS_NAME)
#undef HM_STATS_NAME
	}
	return "?";
}
HM_API void hm_stats(const struct hm_ctx *ctx, struct hm_stats *out);
HM_API void hm_stats_reset(struct hm_ctx *ctx);

/* ---- BUG() reports -------------------------------------------------------- */

struct hm_bug {
	const char *file;
	unsigned line;
	const char *func;	/* the core function that found the misuse */
	unsigned cpu;
	const char *msg;	/* what went wrong, one line */
	/* A WARN of HM_REPORT_KERNEL: the call goes on, as the kernel's
	 * does after WARN_ON or might_sleep's report. */
	bool warn;
};
/* The handler may return: the failing call then returns 0 or does nothing,
 * leaving the state as it was before the call where it can. */
typedef void (*hm_bug_fn)(void *arg, const struct hm_bug *bug);
HM_API void hm_set_bug_handler(struct hm_ctx *ctx, hm_bug_fn fn, void *arg);
/* The default: prints "kernel BUG at FILE:LINE in FUNC() on cpu N: MSG"
 * to stderr and aborts; a WARN ("WARNING: at FILE:LINE ...") is printed
 * and returns. */
HM_API void hm_bug_default(void *arg, const struct hm_bug *bug);

/* ---- The simulated machine: memory through the MMU and TLB -------------- */

enum hm_access_result {
	HM_OK = 0,
	HM_FAULT = -1,	/* a page fault: no present translation, or one
			 * that forbids the access */
};
/* Loads, stores and instruction fetches by the current CPU, in kernel mode,
 * through @vaddr: the TLB first, then a walk of the page tables that fills
 * the TLB.  A stale TLB entry is used as real hardware would use it, its
 * access rights too.  A store needs R/W at every level (CR0.WP is set, as
 * Linux sets it), a fetch no NX (PAE); a fault drops the TLB entry.
 * Accesses may cross pages. */
HM_API int hm_sim_read(struct hm_ctx *ctx, hm_vaddr_t vaddr, void *buf, size_t len);
HM_API int hm_sim_write(struct hm_ctx *ctx, hm_vaddr_t vaddr, const void *buf,
		 size_t len);
HM_API int hm_sim_fetch(struct hm_ctx *ctx, hm_vaddr_t vaddr, void *buf,
		 size_t len);
/* Translate through the current CPU's TLB and page tables (filling the
 * TLB); *from_tlb says whether the TLB answered. */
HM_API int hm_sim_translate(struct hm_ctx *ctx, hm_vaddr_t vaddr, hm_paddr_t *paddr,
		     bool *from_tlb);
/* Walk the page tables only, leaving every TLB alone. */
HM_API int hm_sim_walk(struct hm_ctx *ctx, hm_vaddr_t vaddr, hm_paddr_t *paddr);
/* Direct access to physical memory, bypassing translation. */
HM_API int hm_sim_phys_read(struct hm_ctx *ctx, hm_paddr_t pa, void *buf,
		     size_t len);
HM_API int hm_sim_phys_write(struct hm_ctx *ctx, hm_paddr_t pa, const void *buf,
		      size_t len);

struct hm_tlb_stats {
	uint64_t hits, misses, walks, evictions;
	/* TLB shootdown requests this CPU served: by its own thread, from
	 * the IPI signal (or on leaving the CPU); by the initiator, while no
	 * thread ran the CPU (an idle CPU). */
	uint64_t ipis_handled, ipis_idle;
};
HM_API void hm_sim_tlb_stats(const struct hm_ctx *ctx, unsigned cpu,
		      struct hm_tlb_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* HIGHMEM_H */
