/* SPDX-License-Identifier: MIT */
/*
 * profile.h - kernel profiles: the x86_32 address layout of a given kernel
 * version and .config, as data plus that version's formulas.
 *
 * Each struct hm_kernel_profile says, for one kernel version, which fixmap
 * entries exist (for a stated .config), how many temporary-map slots a CPU
 * owns, what kunmap_atomic/kunmap_local does to the PTE, and which of the
 * formulas of its arch/x86 headers place PKMAP_BASE, VMALLOC_* and MAXMEM.
 * hm_profile_layout() turns a profile plus (PAE, RAM, CPUs, debug) into the
 * addresses that kernel would use.  The profile's strings name the headers
 * and definitions each number follows, what they were checked against
 * and what was not checked.
 *
 * A context follows the profile its hm_config.kernel names: hm_ctx_setup()
 * (core/lifecycle.c) takes its layout, slots and unmap rule from here.
 * Freestanding, like the rest of core/.
 */
#ifndef HM_PROFILE_H
#define HM_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/highmem.h"

/* The profile of HM_KERNEL_DEFAULT (core/highmem.h). */
#define HM_KERNEL_PROFILE_DEFAULT	"linux-4.7"

/* What the unmap of a temporary map does to the slot's PTE. */
enum hm_unmap_pte {
	/* pte_clear + flush of that one TLB entry (kpte_clear_flush in
	 * 2.6.x/4.x, pte_clear + flush_tlb_one_kernel in 6.x): x86 in every
	 * version here. */
	HM_UNMAP_CLEAR_FLUSH,
	/* PTE left in place; the next map of the slot overwrites it and
	 * flushes.  32-bit ARM without DEBUG_HIGHMEM (seed 000); no x86
	 * kernel does this. */
	HM_UNMAP_LEAVE,
};

/* How a CPU's (or task's) temporary slots are handed out. */
enum hm_kmap_scheme {
	HM_KMAP_TYPED,	/* kmap_atomic(page, km_type): the slot is the type */
	HM_KMAP_STACK,	/* kmap_atomic(page): a per-CPU stack of slots */
	HM_KMAP_LOCAL,	/* kmap_local_page: a per-task stack, PTEs saved and
			 * restored at a context switch */
};

/* What stops a nest deeper than the slots. */
enum hm_kmap_nest_check {
	HM_NEST_BUG_ALWAYS,	/* BUG_ON in every build */
	HM_NEST_BUG_IF_DEBUG,	/* BUG_ON under DEBUG_HIGHMEM only; without
				 * it the next map lands in the next CPU's
				 * window */
	HM_NEST_NONE,		/* typed slots: no nesting to check */
};

/* Where PKMAP_BASE hangs. */
enum hm_pkmap_rule {
	/* (FIXADDR_BOOT_START - (LAST_PKMAP + 1) pages) & PMD_MASK */
	HM_PKMAP_BELOW_FIXADDR_BOOT_START,
	/* (FIXADDR_START - (LAST_PKMAP + 1) pages) & PMD_MASK */
	HM_PKMAP_BELOW_FIXADDR_START,
	/* below the CPU entry area and the LDT remap, each PMD-aligned:
	 * CPU_ENTRY_AREA_BASE = (FIXADDR_TOT_START - (pages + 1)) & PMD_MASK,
	 * LDT_BASE_ADDR = (CPU_ENTRY_AREA_BASE - 1 page) & PMD_MASK,
	 * PKMAP_BASE = (LDT_BASE_ADDR - 1 page) & PMD_MASK */
	HM_PKMAP_BELOW_LDT,
};

enum hm_vmalloc_start_rule {
	/* ((high_memory + 2 * VMALLOC_OFFSET - 1) & ~(VMALLOC_OFFSET - 1)) */
	HM_VMALLOC_START_ROUNDED,
	/* high_memory + VMALLOC_OFFSET */
	HM_VMALLOC_START_OFFSET,
};

enum hm_maxmem_rule {
	/* -__PAGE_OFFSET - __VMALLOC_RESERVE: 896 MiB whatever the fixmap */
	HM_MAXMEM_BELOW_4G,
	/* VMALLOC_END - PAGE_OFFSET - __VMALLOC_RESERVE */
	HM_MAXMEM_BELOW_VMALLOC_END,
};

enum hm_btmap_rule {
	/* FIX_BTMAP_END = __end_of_permanent_fixed_addresses */
	HM_BTMAP_PLAIN,
	/* rounded up so the btmaps sit in one page table (TOTAL_FIX_BTMAPS
	 * 512, aligned when they would cross a PTRS_PER_PTE boundary) */
	HM_BTMAP_ONE_TABLE,
};

/* One run of enum fixed_addresses entries. */
struct hm_fixmap_entry {
	const char *name;	/* FIX_* (first..last for a range) */
	unsigned pages;		/* 0: the temporary-map slots, slots * NR_CPUS */
	const char *config;	/* the option it depends on, or NULL */
};

struct hm_kernel_profile {
	const char *name;	/* "linux-4.7": what --kernel takes */
	const char *kernel;	/* one line: version and what it is */
	const char *config;	/* the .config options the numbers assume */
	const char *sources;	/* the header and definition of each number */
	const char *checked;	/* what the numbers were held against */
	const char *uncertain;	/* what was not checked, or is guessed */

	/* NR_CPUS of the stated .config; 0: built for the CPUs simulated. */
	unsigned nr_cpus_config;

	/* enum fixed_addresses, top down from FIX_HOLE. */
	const struct hm_fixmap_entry *fix_permanent;	/* to __end_of_permanent */
	unsigned nr_fix_permanent;
	enum hm_btmap_rule btmap_rule;
	unsigned nr_btmaps;				/* boot-time slots */
	const struct hm_fixmap_entry *fix_after_btmaps;	/* to __end_of_fixed */
	unsigned nr_fix_after_btmaps;

	/* Temporary maps.  Slots per CPU: KM_TYPE_NR or KM_MAX_IDX. */
	enum hm_kmap_scheme kmap_scheme;
	/* HM_KMAP_TYPED: enum km_type's names in order (without the debug
	 * fences); NULL otherwise. */
	const char *const *km_type_names;
	unsigned nr_km_types;
	unsigned km_slots, km_slots_debug;
	/* The slot index of the first map on a CPU and the step between
	 * nested maps (typed: between consecutive km_type values): 1 and 2
	 * under 6.x's DEBUG_KMAP_LOCAL (a guard slot below each map) and
	 * under 2.6.x's fence (__KM_FENCE_n before each type), 0 and 1
	 * otherwise. */
	unsigned km_first_idx, km_first_idx_debug;
	unsigned km_step, km_step_debug;
	/* How many maps fit before the check (or the spill) bites. */
	unsigned km_max_nest, km_max_nest_debug;
	enum hm_kmap_nest_check nest_check;
	enum hm_unmap_pte unmap_pte;
	const char *unmap_doc;	/* the unmap, in that kernel's words */

	/* flush_tlb_kernel_range() (flush_all_zero_pkmaps' flush): a range
	 * of up to this many pages is flushed page by page (invlpg) on every
	 * CPU, a larger one whole (arch/x86/mm/tlb.c,
	 * tlb_single_page_flush_ceiling: 33 from 3.15 on).  0: always whole,
	 * flush_tlb_all() on every CPU (2.6.x's tlbflush_32.h:
	 * #define flush_tlb_kernel_range(start, end) flush_tlb_all()).
	 * core/x86_flush.h applies it on every x86 backend. */
	unsigned tlb_single_page_flush_ceiling;
	const char *flush_doc;	/* that flush, in that kernel's words */

	/* Layout formulas. */
	enum hm_pkmap_rule pkmap_rule;
	enum hm_vmalloc_start_rule vmalloc_start_rule;
	enum hm_maxmem_rule maxmem_rule;
	unsigned cpu_entry_area_pages;	/* per CPU, HM_PKMAP_BELOW_LDT only */
};

/* What the layout is asked for. */
struct hm_profile_params {
	bool pae;		/* X86_PAE (HIGHMEM64G) or 2-level (HIGHMEM4G) */
	uint64_t mem_bytes;	/* RAM from 0, without holes; page multiple */
	unsigned nr_cpus;	/* CPUs running, 1..NR_CPUS */
	unsigned nr_cpus_build;	/* NR_CPUS; 0: the profile's, else nr_cpus */
	bool debug;		/* DEBUG_HIGHMEM (6.x: DEBUG_KMAP_LOCAL) */
};

/* Limits the layout accepts (x86_32 Kconfig: NR_CPUS_RANGE_END 64). */
#define HM_PROFILE_MAX_NR_CPUS	64
#define HM_PROFILE_MAX_MEM_PAE	(64ull << 30)	/* MAX_PHYSMEM_BITS 36 */
#define HM_PROFILE_MAX_MEM_2L	(4ull << 30)	/* MAX_NONPAE_PFN */

/* The addresses a kernel of the profile would use. */
struct hm_profile_layout {
	/* What the core runs on (VMALLOC_START, the slots per CPU and how
	 * they are used among them); high_memory is the end of lowmem the
	 * kernel computes. */
	struct hm_layout l;
	hm_vaddr_t maxmem;		/* MAXMEM, bytes of direct map at most */
	uint64_t max_pfn;		/* frames in RAM */
	uint64_t max_low_pfn;		/* first highmem frame */
	unsigned nr_cpus_build;		/* NR_CPUS the fixmap is sized for */
	/* __end_of_permanent_fixed_addresses, FIX_BTMAP_END/BEGIN,
	 * __end_of_fixed_addresses */
	unsigned end_of_permanent, fix_btmap_end, fix_btmap_begin;
	unsigned end_of_fixed;
	/* FIXADDR_BOOT_START (2.6.x) or FIXADDR_TOT_START (6.x): the top
	 * minus every fixmap entry, the boot-time ones included. */
	hm_vaddr_t fixaddr_tot_start;
	/* CPU_ENTRY_AREA_BASE and LDT_BASE_ADDR; 0 where there are none. */
	hm_vaddr_t cpu_entry_area_base, ldt_base;
};

/* The profile called @name, or NULL.  Never fails otherwise. */
const struct hm_kernel_profile *hm_kernel_profile_find(const char *name);
/* The @i-th profile, oldest first; NULL past the last. */
const struct hm_kernel_profile *hm_kernel_profile_at(unsigned i);
/* The profile of @k (HM_KERNEL_DEFAULT: linux-4.7); NULL if out of range. */
const struct hm_kernel_profile *hm_kernel_profile_of(enum hm_kernel k);

/**
 * hm_profile_layout - the layout a kernel of profile @p would set up
 * @p: the profile
 * @in: PAE, RAM, CPUs, debug
 * @out: filled on success
 *
 * Return: NULL on success, else a one-line reason (@out is then undefined):
 * no CPUs or more than NR_CPUS, RAM of 0 or not a page multiple or beyond
 * what the paging mode addresses, a fixmap too large for the address space.
 */
const char *hm_profile_layout(const struct hm_kernel_profile *p,
			      const struct hm_profile_params *in,
			      struct hm_profile_layout *out);

/* The address the @nth nested temporary map on @cpu gets (nth from 0):
 * __fix_to_virt(FIX_KMAP_BEGIN + first + nth * step + slots * cpu). */
hm_vaddr_t hm_profile_kmap_slot(const struct hm_profile_layout *pl,
				unsigned cpu, unsigned nth);

#endif /* HM_PROFILE_H */
