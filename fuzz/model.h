/* SPDX-License-Identifier: MIT */
/*
 * model.h - the reference model the fuzzers check the core against.
 *
 * Written apart from core/ and as plainly as possible: arrays and counters,
 * no hash table, no page tables, the layout as a table of numbers worked
 * out by hand for each kernel profile on the 1 GiB machines of 1 to 4
 * CPUs the fuzzers use (model.c).  For each op it says whether the core must
 * report a BUG and, if not, what the op returns and how the state moves.
 * The only thing it shares with the core is the public header's types.
 *
 * This is the one deliberate copy in the tree: the model restates the
 * kernel's rules (the layout constants, the PKMAP scan, the slot stacks)
 * independently of core/, so that a mistake in one is caught by the
 * other.  Do not derive it from the core, or the oracle checks nothing.
 */
#ifndef HM_FUZZ_MODEL_H
#define HM_FUZZ_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "fuzz/ops.h"

#define MODEL_MEM_PAGES		0x40000u	/* 1 GiB */
/* Highmem in every profile: linux-2.6.24's lowmem ends highest, at
 * 896 MiB. */
#define MODEL_HIGHMEM_ALWAYS	0x38000u
#define MODEL_MAX_NEST		41	/* 4.x's KM_TYPE_NR with KM_FENCE */
#define MODEL_TYPES		14		/* the legacy km_types */
#define MODEL_MAX_CPUS		4

/* The layout of one kernel profile on a fuzz machine: model.c's table. */
struct model_layout {
	uint32_t max_low_pfn;		/* first highmem frame */
	uint32_t pkmap_base;
	unsigned fix_kmap_begin;	/* FIX_KMAP_BEGIN */
	unsigned slots;			/* per CPU: KM_TYPE_NR / KM_MAX_IDX */
	unsigned first, step;		/* of the nth map: first + n * step */
	unsigned nest;			/* maps that nest */
	unsigned nr_cpus_build;		/* NR_CPUS; 0: the CPUs simulated */
	bool typed_2_6_24;		/* 2.6.24's km_type: no KM_PTE2 */
};

enum model_slot {
	SLOT_FREE,
	SLOT_ATOMIC,
	SLOT_LOCAL,
	SLOT_TYPED,
};

struct model_cpu {
	int preempt_count;
	int pagefault_disabled;
	int migrate_disabled;
	int lowmem_atomic;			/* kmap_atomics of lowmem pages */
	int depth;				/* the slot stack */
	uint8_t kind[MODEL_MAX_NEST];		/* enum model_slot */
	uint32_t slot_pte_pfn[MODEL_MAX_NEST];	/* 0: PTE clear */
	/* Kernel mode: the frame this CPU's TLB may still give for the
	 * slot, after an out-of-order unmap cleared its PTE but flushed
	 * another address (0: none).  Gone at the next flush of the slot.
	 * Until then the slot's translation is not the model's to predict
	 * (the TLB may have evicted the entry and walked a later PTE): the
	 * frame is what the harness names in its report. */
	uint32_t stale_pfn[MODEL_MAX_NEST];
};

#define MODEL_MAX_TASKS		16	/* HM_MAX_TASKS of highmem.h */

/* 6.x's per-task kmap_local: what a task that is not running holds. */
struct model_task {
	bool running;
	int cpu;				/* of its maps; -1: none */
	int depth, migrate_disabled;
	uint8_t kind[MODEL_MAX_NEST];
	uint32_t pte_pfn[MODEL_MAX_NEST];	/* saved PTEs */
};

struct model {
	struct hm_seq_config cfg;
	struct model_layout l;		/* cfg's kernel, PAE and debug */
	unsigned last_pkmap;		/* 512 or 1024 */
	uint32_t pkmap_base;
	unsigned last_nr;
	unsigned used;			/* entries below it may be mapped */
	int count[1024];		/* pkmap_count */
	uint32_t pfn[1024];		/* page of each entry with count > 0 */
	uint16_t nr_of[MODEL_MEM_PAGES];/* entry + 1 of a mapped page, or 0 */
	unsigned cpu;
	struct model_cpu c[MODEL_MAX_CPUS];
	/* Kernel mode, linux-4.7 without DEBUG_HIGHMEM: the PTEs of the
	 * fixmap entries past FIX_KMAP_END that a nest overflow reaches
	 * (model_slot_pte), 0 when clear. */
	uint32_t beyond_pte_pfn[MODEL_MAX_NEST];
	unsigned current_task[MODEL_MAX_CPUS];
	struct model_task task[MODEL_MAX_TASKS];
	uint64_t flushes;		/* flush_all_zero_pkmaps() runs */
	/* of which freed some entry, so called flush_tlb_kernel_range() */
	uint64_t range_flushes;
	/* entries freed by the last op's flush, for the harness to check */
	unsigned nr_freed;
	uint16_t freed[1024];
};

void model_init(struct model *m, const struct hm_seq_config *cfg);
/* model_init() again, for a model that has been initialised once: costs
 * what the last run mapped, not the size of memory. */
void model_restart(struct model *m, const struct hm_seq_config *cfg);

uint32_t model_direct(uint32_t pfn);
/* The whole PTE a kernel map of @pfn must hold: kmap, kmap_atomic (both
 * forms) and kmap_local_page all map with kmap_prot, PAGE_KERNEL on x86_32. */
uint64_t model_map_pte(const struct model *m, uint32_t pfn);
uint32_t model_pkmap_addr(const struct model *m, unsigned nr);
/* The address of the @n-th map of @cpu's stack (or of the slot of
 * position @n, model_type_slot()). */
uint32_t model_slot_addr(const struct model *m, unsigned cpu, unsigned n);
bool model_highmem(const struct model *m, uint32_t pfn);
/* Does @pfn lie past the end of memory, naming no page (a page outside
 * mem_map, which the misuse target passes)?  Every call on it is a BUG. */
bool model_no_page(uint32_t pfn);
/* How many maps a CPU's stack takes: the profile's, or in kernel mode on
 * linux-4.7 without DEBUG_HIGHMEM, where kmap_atomic_idx_push() checks no
 * bound, MODEL_MAX_NEST (the core follows the overflow that far). */
unsigned model_stack_max(const struct model *m);
/* The frame the PTE of @cpu's stack position @n maps (0: clear): its own
 * slot, or past KM_TYPE_NR the next CPU's or a fixmap entry past
 * FIX_KMAP_END. */
uint32_t model_slot_pte(const struct model *m, unsigned cpu, unsigned n);
/* Is @vaddr the address of a position of this CPU's stack (@*n)? */
bool model_stack_pos(const struct model *m, uint32_t vaddr, unsigned *n);
/* Does @vaddr lie in some CPU's temporary-map window? */
bool model_in_window(const struct model *m, uint32_t vaddr);
/* Is @vaddr the slot of the @*n-th map of @*cpu? */
bool model_slot_of(const struct model *m, uint32_t vaddr, unsigned *cpu,
		   unsigned *n);
/* The stack position km_type @type takes, or -1 where the kernel has no
 * such type. */
int model_type_slot(const struct model *m, unsigned type);

/* What the core must say to each call: NULL when the call is legal, else
 * why it is a BUG.  Pure: the model does not change. */
const char *model_check_kmap(const struct model *m, uint32_t pfn);
const char *model_check_kunmap(const struct model *m, uint32_t pfn);
const char *model_check_kmap_high_get(const struct model *m, uint32_t pfn);
const char *model_check_kmap_atomic(const struct model *m, uint32_t pfn);
const char *model_check_kunmap_atomic(const struct model *m, uint32_t vaddr);
const char *model_check_kmap_atomic_type(const struct model *m, uint32_t pfn,
					 unsigned type);
const char *model_check_kunmap_atomic_type(const struct model *m,
					   uint32_t vaddr, unsigned type);
const char *model_check_kmap_local(const struct model *m, uint32_t pfn);
const char *model_check_kunmap_local(const struct model *m, uint32_t vaddr);
const char *model_check_cpu(const struct model *m, unsigned cpu);

/* Apply a legal call and return what it returns.  kmap of a highmem page
 * when every entry has a user is legal only where sleeping is; here it
 * is checked as a BUG, and model_kmap_failed() applies what the failed
 * scan leaves behind (it ran round the window once, flushing at 0). */
uint32_t model_kmap(struct model *m, uint32_t pfn);
void model_kmap_failed(struct model *m);
void model_kunmap(struct model *m, uint32_t pfn);
uint32_t model_kmap_high_get(struct model *m, uint32_t pfn);
uint32_t model_kmap_atomic(struct model *m, uint32_t pfn);
void model_kunmap_atomic(struct model *m, uint32_t vaddr);
uint32_t model_kmap_atomic_type(struct model *m, uint32_t pfn, unsigned type);
void model_kunmap_atomic_type(struct model *m, uint32_t vaddr, unsigned type);
uint32_t model_kmap_local(struct model *m, uint32_t pfn);
void model_kunmap_local(struct model *m, uint32_t vaddr);
uint32_t model_page_address(const struct model *m, uint32_t pfn);
void model_flush_unused(struct model *m);
/* The CPUs whose whole TLB one flush_tlb_kernel_range() of
 * flush_all_zero_pkmaps() flushes: all of them, or none where it goes page
 * by page.  The same for every such flush of a configuration. */
unsigned model_flush_whole_cpus(const struct model *m);
void model_cpu(struct model *m, unsigned cpu);
/* Forget every mapping, keep the current CPU. */
void model_reset(struct model *m);

/*
 * Kernel mode (cfg.report): the calls that are a misuse the kernel lets
 * through.  Each returns NULL for a call that is not one, else what it is,
 * with *@warns saying whether the kernel WARNs (might_sleep always; an
 * out-of-order unmap in 6.1, and in 4.x under DEBUG_HIGHMEM; an unmap of
 * an address neither in the window nor lowmem: in 6.1 for a user address,
 * else never, 4.x's debug build BUGging; a nest overflow in 4.7 without
 * DEBUG_HIGHMEM: never).  The legal targets skip them;
 * the misuse target issues them, expects the WARN, and the model_kunmap_*
 * / model_kmap apply what the kernel does.  model_quirk_kunmap's @kind is
 * the unmap's: SLOT_ATOMIC (kunmap_atomic), SLOT_LOCAL (kunmap_local) or
 * SLOT_TYPED (kunmap_atomic_type).
 */
const char *model_quirk_kmap(const struct model *m, uint32_t pfn,
			     bool *warns);
/* kmap_atomic / kmap_local_page past KM_TYPE_NR (4.7, no DEBUG_HIGHMEM):
 * the map spills into the next CPU's window, silently. */
const char *model_quirk_kmap_temp(const struct model *m, uint32_t pfn);
const char *model_quirk_kunmap(const struct model *m, uint32_t vaddr,
			       enum model_slot kind, bool *warns);

/* Tasks: task t starts as the current task of cpu t. */
const char *model_check_switch_task(const struct model *m, unsigned next);
void model_switch_task(struct model *m, unsigned next);

/* Would kmap of @pfn (highmem, unmapped) have to sleep? */
bool model_kmap_would_sleep(const struct model *m, uint32_t pfn);

#endif /* HM_FUZZ_MODEL_H */
