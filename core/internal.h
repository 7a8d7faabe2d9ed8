/* SPDX-License-Identifier: MIT */
/*
 * internal.h - the state of one highmem instance, shared by the core sources and
 * the arch backends.  Not installed; users see only core/highmem.h.
 *
 * Where the kernel has file-scope statics (pkmap_count, last_pkmap_nr,
 * page_address_htable, the per-CPU __kmap_atomic_idx), we have fields of
 * struct hm_ctx, so several instances can live side by side.
 */
#ifndef HM_INTERNAL_H
#define HM_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arch.h"
#include "core/compiler.h"
#include "core/highmem.h"
#include "core/layout.h"
#include "core/list.h"
#include "core/pgtable.h"
#include "core/profile.h"

/*
 * struct page: one per frame, in mem_map[].  The kernel's has flags,
 * reference counts and more; we need only the identity (page - mem_map is
 * the pfn) and a flag for frames the simulated kernel keeps for itself.
 */
struct page {
	uint32_t flags;
};
#define PG_reserved	(1u << 0)

/* The address a 32-bit kernel's mem_map would give each struct page.  It is
 * what page_address_htable hashes (hash_ptr(page)), so the bucket of a page
 * is the same in the simulator and in the 32-bit guest. */
#define HM_MEM_MAP_VADDR	0xC1000000u
#define HM_SIZEOF_KERNEL_PAGE	32u

/* A wait queue: how many tasks sleep on it (changed under the lock that
 * guards the condition they wait for) and a sequence the arch bumps on
 * every wake-up, so a sleeper that saw the old value cannot miss one. */
struct hm_waitqueue {
	unsigned nr_waiters;
	uint32_t seq;
};

/* page_address_htable: PA_HASH_ORDER bits of hash, as in mm/highmem.c. */
#define PA_HASH_ORDER	7

/* One entry per PKMAP slot, linked into the bucket of its page. */
struct page_address_map {
	const struct page *page;
	hm_vaddr_t virtual;
	struct list_head list;
};

struct page_address_slot {
	struct list_head lh;	/* list of page_address_maps */
	hm_spinlock_t lock;	/* protect this bucket's list */
};

/* Who owns a slot of a CPU's temporary-map window. */
enum kmap_slot_kind {
	KMAP_SLOT_FREE,
	KMAP_SLOT_ATOMIC,	/* kmap_atomic(), on the index stack */
	KMAP_SLOT_LOCAL,	/* kmap_local_page(), on the index stack */
	KMAP_SLOT_TYPED,	/* kmap_atomic(page, type), at slot @type */
	KMAP_SLOT_GUARD,	/* the two ends of hm_percpu.slots[], never a slot */
};

/*
 * One slot of a CPU's temporary-map window, with what the fast paths need at
 * hand: its address and PTE, fixed at init (the kernel's
 * __fix_to_virt(FIX_KMAP_BEGIN + idx) and kmap_pte - idx, computed once),
 * and who holds it (enum kmap_slot_kind), kept in the page-offset bits of
 * @tag beside the address, so that an unmap's "is the top of the stack
 * this address, held by this kind of map" is one compare.  Read and set
 * the kind with slot_kind() and slot_set_kind().
 */
struct kmap_slot {
	void *ptep;
	hm_vaddr_t vaddr;
	hm_vaddr_t tag;		/* vaddr | enum kmap_slot_kind */
};

_Static_assert(KMAP_SLOT_GUARD < PAGE_SIZE, "a slot's kind fits in tag");

static inline enum kmap_slot_kind slot_kind(const struct kmap_slot *s)
{
	return (enum kmap_slot_kind)(s->tag & ~PAGE_MASK);
}

/* The address part of the tag stays what init made it: the slot's
 * address, or none for a slot whose unmap the fast path must not take
 * (a spill past FIX_KMAP_END, which the kernel does not unmap). */
static inline void slot_set_kind(struct kmap_slot *s, enum kmap_slot_kind kind)
{
	s->tag = (s->tag & PAGE_MASK) | (hm_vaddr_t)kind;
}

/* Per-CPU state.  Touched only by the CPU it belongs to, so no lock. */
struct hm_percpu {
	/* The top of the index stack (the kernel's __kmap_atomic_idx, as a
	 * pointer): the slot the innermost kmap_atomic or kmap_local_page
	 * holds, or slots[0] when there is none.  kmap_atomic_idx() is the
	 * depth. */
	struct kmap_slot *kmap_top;
	int preempt_count;
	int pagefault_disabled;
	int migrate_disabled;
	/* kmap_atomic()s (plain or typed) of lowmem pages not yet undone.
	 * They take no slot, so this is how kunmap_atomic() of a lowmem
	 * address tells an unmap that matches one from a stray one.  With
	 * it every count above is accounted for, preempt_count and
	 * pagefault_disabled being the kmap_atomic and typed slots held
	 * plus this, so neither can be 0 while a kmap_atomic slot is on top
	 * of the stack: kunmap_atomic()'s fast path need not check.  (In
	 * HM_REPORT_KERNEL, a kunmap_atomic of a stray address drops both
	 * counts and nothing else, as the kernel does; the unmap of the top
	 * may then take them below 0, as the kernel's unchecked
	 * preempt_enable() would.) */
	int lowmem_atomic;
	/* slots[n + 1] is the n-th map of the stack (use kmap_slot()), at
	 * the fixmap index kmap_fix_idx(layout, cpu, n): the profile's
	 * unmapped guard slots (6.x debug) and fences (2.6.x debug) sit
	 * between them and are never mapped.  slots[0] and
	 * slots[km_stack_slots + 1] (km_max_nest + 1 but for kernel mode's
	 * 4.7 nest overflow: hm_ctx.km_stack_slots) are guards,
	 * KMAP_SLOT_GUARD for good, with a PTE that is never none (hm_ctx.kmap_guard_pte), so "is the PTE
	 * of the slot above the top empty" also says "is the stack not
	 * full", and "is the top a kmap_atomic" also says "is the stack not
	 * empty": one compare each on the fast paths.  A slot held by any
	 * map has its PTE set (a map sets it, sched_in restores it, every
	 * unmap frees the slot it clears), so an empty PTE above the top
	 * also means the slot is free: the map's fast path reads no kind. */
	struct kmap_slot slots[HM_KM_SLOTS_MAX + 2];
	struct hm_stats stats;
	/* Slots cleared and flushed by an unmap (kpte_clear_flush): each is
	 * one of stats.pte_writes and one of stats.tlb_flush_one, counted
	 * once here on the unmap's fast path and added to both by
	 * hm_stats(). */
	uint64_t slot_clears;
} __attribute__((aligned(64)));

#define kmap_slot(c, type)	(&(c)->slots[(type) + 1])

/* __kmap_atomic_idx: how many slots the stack holds. */
static inline int kmap_atomic_idx(const struct hm_percpu *c)
{
	return (int)(c->kmap_top - c->slots);
}

/* A task's kmap_ctrl (6.x): the temporary maps it holds while it is not
 * running, saved at the switch that took it off its CPU. */
struct hm_task {
	int depth;			/* maps held: kmap_local_idx */
	int migrate_disabled;
	int cpu;			/* their CPU; -1: none held */
	bool running;			/* current on some CPU */
	pte_t pteval[HM_KM_SLOTS_MAX];	/* kmap_ctrl.pteval */
	uint8_t kind[HM_KM_SLOTS_MAX];	/* enum kmap_slot_kind */
};

struct hm_ctx {
	/* First, so the fast paths reach a CPU's state at ctx + cpu * size. */
	struct hm_percpu cpu[HM_MAX_CPUS];
	struct hm_config cfg;
	const struct hm_kernel_profile *profile;	/* cfg.kernel's */
	struct hm_layout layout;
	/* The stack position (kmap_slot()) of each enum km_type in this
	 * kernel, -1 where it has no such type. */
	int8_t km_type_slot[KM_LEGACY_TYPES];
	bool pae;			/* cfg.pae, read on every PTE access */
	/* Stack positions per CPU: layout.km_max_nest, but for 4.7's
	 * non-debug build in HM_REPORT_KERNEL, whose kmap_atomic_idx_push()
	 * checks no bound: there the positions past KM_TYPE_NR are the next
	 * CPU's slots and, past FIX_KMAP_END, other fixmap entries, as far as
	 * slots[] and the fixmap's page tables reach (kmap_stack_slots()). */
	uint8_t km_stack_slots;
	uint64_t max_pfn;		/* frames in memory */
	uint64_t max_low_pfn;		/* first highmem frame */
	uint64_t first_free_pfn;	/* frames below hold page tables */
	struct page *mem_map;
	/* Derived at init for the temporary maps' fast paths, where a page
	 * check is one subtract and one compare: mem_map + max_low_pfn,
	 * and the bytes of mem_map from there to max_pfn; and the PTE of
	 * the first highmem frame, to which a highmem page's PTE adds its
	 * offset from highmem_map (see highmem_pte()). */
	const struct page *highmem_map;
	uintptr_t highmem_map_bytes;
	pte_t highmem_pte;

	/*
	 * Persistent maps.  kmap_lock protects pkmap_count, last_pkmap_nr,
	 * the pkmap PTEs and pkmap_map_wait.nr_waiters.
	 *
	 * pkmap_count[nr]:
	 *   0	the entry is free, its PTE clear and no TLB holds it;
	 *   1	mapped but without users: the PTE is set and a TLB may still
	 *	hold it, so it may not be reused before the next global flush
	 *	(flush_all_zero_pkmaps);
	 *   n	mapped with n - 1 users.
	 */
	hm_spinlock_t kmap_lock;
	int pkmap_count[LAST_PKMAP_MAX];
	unsigned last_pkmap_nr;
	/* One past the highest entry map_new_virtual() has handed out since
	 * the last init or reset: hm_core_reset() clears only below it, so a
	 * reset costs what was mapped, not the window. */
	unsigned pkmap_used;
	void *pkmap_page_table;		/* LAST_PKMAP entries */
	struct hm_waitqueue pkmap_map_wait;

	struct page_address_map page_address_maps[LAST_PKMAP_MAX];
	struct page_address_slot page_address_htable[1 << PA_HASH_ORDER];

	/* Temporary maps: kmap_pte is the PTE of __fix_to_virt(FIX_KMAP_BEGIN);
	 * slot idx's PTE is kmap_pte - idx, as the fixmap grows downwards
	 * (its page tables are consecutive, FIXMAP_PT_BASE first). */
	void *fixmap_page_table;
	void *kmap_pte;
	pte_t kmap_prot;		/* PAGE_KERNEL for the PAE setting */
	/* What the two guards of every CPU's stack point at as their PTE:
	 * never none, never written, so a map's "is the next slot's PTE
	 * empty" also says "and the stack is not full" (see hm_percpu). */
	pte_t kmap_guard_pte;

	hm_bug_fn bug_fn;		/* NULL: the arch's default */
	void *bug_arg;
	void *arch;			/* the backend's own state */

	/* Tasks, and the one each CPU runs (switched by hm_switch_task);
	 * under the CPU's own control, as its slots are.  Last: the fast
	 * paths never look. */
	struct hm_task tasks[HM_MAX_TASKS];
	unsigned current_task[HM_MAX_CPUS];
};

/*
 * hm_core_init - set up the core's part of @ctx
 * @pkmap_page_table: the page table that maps PKMAP_BASE
 * @fixmap_page_table: the first of the page tables that map the fixmap,
 *	the one of FIXMAP_PT_BASE (the others follow it in memory)
 *
 * The arch has filled cfg, mem_map, max_pfn, max_low_pfn, first_free_pfn
 * and arch, and built page tables in which the PKMAP and fixmap entries are
 * clear.
 */
void hm_core_init(struct hm_ctx *ctx, void *pkmap_page_table,
		  void *fixmap_page_table);
/* Clear every PKMAP and temporary map and flush the TLBs. */
void hm_core_reset(struct hm_ctx *ctx);
/* The temporary-map slots and per-CPU state for the layout, as at boot
 * (after hm_core_reset(), when the layout changed). */
void hm_core_kmap_init(struct hm_ctx *ctx);
/* Task t on CPU t (of cfg's CPUs), none holding a map (tasks.c). */
void hm_tasks_init(struct hm_ctx *ctx);
/* May a task leave CPU @from for @to?  Reports the BUG and says no when
 * @to does not exist or @from has preemption or migration off.  For CPU
 * switching: hm_set_cpu (core/machine.c), the guest's. */
bool hm_cpu_may_move(struct hm_ctx *ctx, unsigned from, unsigned to);

static inline uint64_t page_to_pfn(const struct hm_ctx *ctx,
				   const struct page *page)
{
	return (uint64_t)(page - ctx->mem_map);
}

static inline struct page *pfn_to_page(const struct hm_ctx *ctx, uint64_t pfn)
{
	return ctx->mem_map + pfn;
}

static inline bool PageHighMem(const struct hm_ctx *ctx,
			       const struct page *page)
{
	return page_to_pfn(ctx, page) >= ctx->max_low_pfn;
}

/* Does @page point at a struct page of this context? */
static inline bool page_valid(const struct hm_ctx *ctx, const struct page *p)
{
	return p && (uintptr_t)p >= (uintptr_t)ctx->mem_map &&
	       (uint64_t)(p - ctx->mem_map) < ctx->max_pfn;
}

/* @page's offset in bytes from the first highmem struct page.  Below
 * ctx->highmem_map_bytes exactly when @page is a highmem page of this
 * context: NULL and pointers outside mem_map wrap around above it, so the
 * fast paths check a page with one subtract and one compare. */
static inline uintptr_t highmem_off(const struct hm_ctx *ctx,
				    const struct page *page)
{
	return (uintptr_t)page - (uintptr_t)ctx->highmem_map;
}

/* Is the page at @off (highmem_off()) a highmem page of this context? */
static inline bool highmem_page_ok(const struct hm_ctx *ctx, uintptr_t off)
{
	return off < ctx->highmem_map_bytes;
}

static inline bool highmem_page(const struct hm_ctx *ctx,
				const struct page *page)
{
	return highmem_page_ok(ctx, highmem_off(ctx, page));
}

static inline hm_vaddr_t lowmem_page_address(const struct hm_ctx *ctx,
					     const struct page *page)
{
	return __va(page_to_pfn(ctx, page) << PAGE_SHIFT);
}

/* page_address.c */
hm_vaddr_t page_address(struct hm_ctx *ctx, const struct page *page);
hm_vaddr_t page_address_high(struct hm_ctx *ctx, const struct page *page);
void set_page_address(struct hm_ctx *ctx, struct page *page,
		      hm_vaddr_t virtual);
void page_address_init(struct hm_ctx *ctx);

/* The x86 hash_32(): multiply by the golden ratio, keep the top bits. */
static inline uint32_t hash_32(uint32_t val, unsigned bits)
{
	return (val * 0x61C88647u) >> (32 - bits);
}

/*
 * Deliberate bugs, for proving that the fuzzers' oracle catches them
 * (fuzz/BUILD.bazel builds the core once per bug with -DHM_INJECT_BUG=n).
 * Never defined in a normal build.
 *   1  flush_all_zero_pkmaps() frees entries but flushes no TLB
 *   2  the PKMAP scan wraps one entry early (off by one)
 *   3  set_page_address() never removes: stale hash-table entries
 *   4  kunmap_atomic() leaves the PTE in place
 *   5  every CPU's kmap_atomic() uses cpu 0's window
 *   6  kmap()'s PKMAP PTE lacks _PAGE_RW: a read-only persistent map
 *   7  kunmap_high() never wakes the sleepers in kmap()
 *   8  kmap() does not re-check page_address() after sleeping: a page
 *      another task mapped meanwhile gets a second entry
 *   9  kunmap_high() wakes one kunmap too early (count 2, not 1), and
 *      not when the entry really becomes free
 *  10  debug kunmap_atomic()/kunmap_local() clear the PTE but do not
 *      flush it from the TLB (kvm_runner's teeth on a TLB that can be
 *      stale; not in the fuzzers' list)
 *  11  kernel mode: an out-of-order kunmap_atomic/kunmap_local leaves the
 *      top slot's PTE in place (it should clear it)
 *  12  hm_switch_task() brings the incoming task back with migration
 *      enabled: its migrate_disable count lost
 */
#ifndef HM_INJECT_BUG
#define HM_INJECT_BUG 0
#endif

/* __no_sanitize_coverage (compiler.h), here: what is bookkeeping or
 * machine, not code under test (set-up, reset and the views in ctx.c, the
 * BUG formatter, the simulated MMU), whose coverage callbacks would cost the
 * fuzzers more than the work, and whose edges would follow what the
 * *previous* input left behind (a reset runs at the start of the next one),
 * which AFL++ counts as instability. */

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

/* ---- BUG() ---------------------------------------------------------------- */

void hm_bug_report(struct hm_ctx *ctx, const char *file, unsigned line,
		   const char *func, const char *fmt, ...)
	__attribute__((format(printf, 5, 6), cold));

#define BUG_MSG(ctx, ...) \
	hm_bug_report(ctx, __FILE__, __LINE__, __func__, __VA_ARGS__)
/* WARN() of HM_REPORT_KERNEL: reported with what and where, then the
 * caller goes on as the kernel would. */
void hm_warn_report(struct hm_ctx *ctx, const char *file, unsigned line,
		    const char *func, const char *fmt, ...)
	__attribute__((format(printf, 5, 6), cold));
#define WARN_MSG(ctx, ...) \
	hm_warn_report(ctx, __FILE__, __LINE__, __func__, __VA_ARGS__)
/* Does @ctx do what the kernel does where it only warns? */
static inline bool kernel_mode(const struct hm_ctx *ctx)
{
	return ctx->cfg.report == HM_REPORT_KERNEL;
}
/* Evaluates to @cond; reports when it holds.  The caller then backs out,
 * since a test's handler returns where the kernel's BUG() would not. */
#define BUG_ON_MSG(ctx, cond, ...) \
	(unlikely(cond) ? (BUG_MSG(ctx, __VA_ARGS__), 1) : 0)

/* A small vsnprintf for freestanding builds: %c %s %d %u %x %llu %llx %lld,
 * with '#', '0' and a width.  Always terminates @buf; returns the length
 * written (not the length wanted). */
int hm_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int hm_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- Helpers over the arch interface ------------------------------------- */

static inline struct hm_percpu *this_cpu(struct hm_ctx *ctx)
{
	return &ctx->cpu[hm_arch_smp_processor_id(ctx)];
}

static inline void set_pte_at(struct hm_ctx *ctx, hm_vaddr_t vaddr,
			      void *ptep, pte_t pte)
{
	this_cpu(ctx)->stats.pte_writes++;
	hm_arch_set_pte(ctx, vaddr, ptep, pte);
}

static inline void pte_clear(struct hm_ctx *ctx, hm_vaddr_t vaddr, void *ptep)
{
	set_pte_at(ctx, vaddr, ptep, 0);
}

static inline void flush_tlb_one_kernel(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	this_cpu(ctx)->stats.tlb_flush_one++;
	hm_arch_flush_tlb_one(ctx, vaddr);
}

static inline void flush_tlb_kernel_range(struct hm_ctx *ctx, hm_vaddr_t start,
					  hm_vaddr_t end)
{
	this_cpu(ctx)->stats.tlb_flush_range++;
	hm_arch_flush_tlb_kernel_range(ctx, start, end);
}

#endif /* HM_INTERNAL_H */
