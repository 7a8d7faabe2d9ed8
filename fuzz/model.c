/* SPDX-License-Identifier: MIT */
/*
 * model.c - the reference model; see model.h.
 *
 * Every rule here is stated from the kernel's behaviour (and the core's
 * documented checks), not from the core's code: the PKMAP scan, when the
 * flush happens, which calls are BUGs.
 */
#include "fuzz/model.h"

#include <string.h>

#define PAGE_OFFSET	0xC0000000u
#define FIX_TOP		0xFFFFF000u	/* __FIXADDR_TOP on bare metal */
#define KM_PTE2		9u		/* enum km_type of core/highmem.h */

/*
 * Each kernel's layout on the fuzzers' machines (1 GiB, 1 to 4 CPUs),
 * worked out by hand from that version's arch/x86 headers and written
 * down here, apart from core/profile.c.  [kernel][pae][debug].
 *
 * linux-4.7 (fixmap.h, pgtable_32_types.h, asm-generic/kmap_types.h):
 *   FIX_KMAP_BEGIN = 69: FIX_HOLE, DBGP, EARLYCON, APIC, 64 IO-APICs,
 *   RO_IDT.  KM_TYPE_NR 20, 41 under DEBUG_HIGHMEM (__WITH_KM_FENCE),
 *   stepping by one.  NR_CPUS = the CPUs.  FIXADDR_START = 0xfffff000 -
 *   (69 + slots * cpus + 4) pages: at worst (41 x 4) 0xfff12000, so
 *   PKMAP_BASE = (FIXADDR_START - 513 pages) & 2 MiB = 0xffc00000 (PAE),
 *   (- 1025 pages) & 4 MiB = 0xff800000 (2-level) for every machine here;
 *   MAXMEM = PKMAP_BASE - 2 pages - PAGE_OFFSET - 128 MiB: lowmem ends at
 *   0x37bfe (PAE), 0x377fe (2-level).
 * linux-2.6.24 (fixmap_32.h, kmap_types.h, page_32.h): FIX_KMAP_BEGIN 69
 *   (FIX_HOLE, VDSO, DBGP, EARLYCON, APIC, 64 IO-APICs); 13 typed slots,
 *   27 with the debug fences (KM_BOUNCE_READ at 1, each type 2 apart);
 *   MAXMEM = 896 MiB: lowmem ends at 0x38000; PKMAP_BASE below
 *   FIXADDR_BOOT_START (at worst 0xfff37000): 0xffc00000 / 0xff800000.
 * linux-6.1 (Debian's 686-pae; fixmap.h, pgtable_32_areas.h,
 *   kmap_size.h): FIX_KMAP_BEGIN 68 (no RO_IDT); KM_MAX_IDX 16, 33 with
 *   DEBUG_KMAP_LOCAL (maps at 1, 3, 5 ..., 16 at most); NR_CPUS 32.
 *   PAE: FIX_KMAP_END 579, __end_of_permanent 583, the btmaps moved to
 *   1024..1535, FIX_WP_TEST 1536, FIXADDR_TOT_START 0xff9fe000;
 *   CPU_ENTRY_AREA_BASE (- 1377 pages) & 2 MiB 0xff400000, LDT
 *   0xff200000, PKMAP_BASE 0xff000000, lowmem to 0x36ffe.  Debug:
 *   __end_of_permanent 1127, btmaps 1536..2047, FIXADDR_TOT_START
 *   0xff7fe000, CEA 0xff200000, LDT 0xff000000, PKMAP_BASE 0xfee00000,
 *   lowmem to 0x36dfe.  2-level (4 MiB PMDs, 1024 PTEs): btmaps at
 *   1024 (1127 without moving under debug), CEA 0xff400000, LDT
 *   0xff000000, PKMAP_BASE 0xfec00000, lowmem to 0x36bfe either way.
 */
static const struct model_layout layouts[HM_KERNEL_NR][2][2] = {
	[HM_KERNEL_DEFAULT] = {
		[0] = { { 0x377fe, 0xff800000u, 69, 20, 0, 1, 20, 0, false },
			{ 0x377fe, 0xff800000u, 69, 41, 0, 1, 41, 0, false } },
		[1] = { { 0x37bfe, 0xffc00000u, 69, 20, 0, 1, 20, 0, false },
			{ 0x37bfe, 0xffc00000u, 69, 41, 0, 1, 41, 0, false } },
	},
	[HM_KERNEL_2_6_24] = {
		[0] = { { 0x38000, 0xff800000u, 69, 13, 0, 1, 13, 0, true },
			{ 0x38000, 0xff800000u, 69, 27, 1, 2, 13, 0, true } },
		[1] = { { 0x38000, 0xffc00000u, 69, 13, 0, 1, 13, 0, true },
			{ 0x38000, 0xffc00000u, 69, 27, 1, 2, 13, 0, true } },
	},
	[HM_KERNEL_6_1] = {
		[0] = { { 0x36bfe, 0xfec00000u, 68, 16, 0, 1, 16, 32, false },
			{ 0x36bfe, 0xfec00000u, 68, 33, 1, 2, 16, 32, false } },
		[1] = { { 0x36ffe, 0xff000000u, 68, 16, 0, 1, 16, 32, false },
			{ 0x36dfe, 0xfee00000u, 68, 33, 1, 2, 16, 32, false } },
	},
};

/*
 * The x86 PTE bits, as arch/x86/include/asm/pgtable_types.h numbers them,
 * written here and not taken from core/pgtable.h: the model is the second,
 * independent statement of what a kmap must look like.
 */
#define PTE_PRESENT	0x001ull
#define PTE_RW		0x002ull
#define PTE_USER	0x004ull	/* never in a kernel map */
#define PTE_ACCESSED	0x020ull
#define PTE_DIRTY	0x040ull
#define PTE_GLOBAL	0x100ull	/* kernel maps survive a CR3 switch */
#define PTE_NX		(1ull << 63)	/* exists with PAE only */

/* PAGE_KERNEL = __PAGE_KERNEL_EXEC | _PAGE_NX: present, writable, accessed,
 * dirty, global, and not executable where the format can say so.  x86_32
 * sets kmap_prot = PAGE_KERNEL (arch/x86/mm/init_32.c, kmap_init). */
uint64_t model_map_pte(const struct model *m, uint32_t pfn)
{
	uint64_t prot = PTE_PRESENT | PTE_RW | PTE_ACCESSED | PTE_DIRTY |
			PTE_GLOBAL;

	if (m->cfg.pae)
		prot |= PTE_NX;
	return ((uint64_t)pfn << 12) | (prot & ~PTE_USER);
}

uint32_t model_direct(uint32_t pfn)
{
	return PAGE_OFFSET + (pfn << 12);
}

bool model_highmem(const struct model *m, uint32_t pfn)
{
	return pfn >= m->l.max_low_pfn;
}

bool model_no_page(uint32_t pfn)
{
	return pfn >= MODEL_MEM_PAGES;
}

uint32_t model_pkmap_addr(const struct model *m, unsigned nr)
{
	return m->pkmap_base + (nr << 12);
}

uint32_t model_slot_addr(const struct model *m, unsigned cpu, unsigned n)
{
	const struct model_layout *l = &m->l;

	return FIX_TOP - ((l->fix_kmap_begin + l->first + n * l->step +
			   l->slots * cpu) << 12);
}

/* FIX_KMAP_BEGIN .. FIX_KMAP_END, NR_CPUS windows. */
bool model_in_window(const struct model *m, uint32_t vaddr)
{
	const struct model_layout *l = &m->l;
	unsigned cpus = l->nr_cpus_build ? l->nr_cpus_build : m->cfg.nr_cpus;
	unsigned end = l->fix_kmap_begin + l->slots * cpus - 1;

	return vaddr >= FIX_TOP - (end << 12) &&
	       vaddr <= FIX_TOP - (l->fix_kmap_begin << 12);
}

static bool kernel_mode(const struct model *m);

/* linux-4.7's non-debug kmap_atomic_idx_push() checks no bound: in kernel
 * mode the 21st map of cpu c is at FIX_KMAP_BEGIN + 20 * c + 20, cpu
 * c+1's first slot (past FIX_KMAP_END on the last CPU), guarded only by
 * BUG_ON(!pte_none). */
static bool nest_spills(const struct model *m)
{
	return kernel_mode(m) && !m->cfg.debug_highmem &&
	       m->cfg.kernel != HM_KERNEL_6_1 &&
	       m->cfg.kernel != HM_KERNEL_2_6_24;
}

unsigned model_stack_max(const struct model *m)
{
	return nest_spills(m) ? MODEL_MAX_NEST : m->l.nest;
}

/* The PTE of @cpu's stack position @n (step 1 where it spills). */
static uint32_t *slot_pte(struct model *m, unsigned cpu, unsigned n)
{
	unsigned cpus = m->l.nr_cpus_build ? m->l.nr_cpus_build :
		m->cfg.nr_cpus, g = cpu * m->l.slots + n;

	if (n < m->l.nest)
		return &m->c[cpu].slot_pte_pfn[n];
	if (g < cpus * m->l.slots)
		return &m->c[g / m->l.slots].slot_pte_pfn[g % m->l.slots];
	return &m->beyond_pte_pfn[(g - cpus * m->l.slots) % MODEL_MAX_NEST];
}

uint32_t model_slot_pte(const struct model *m, unsigned cpu, unsigned n)
{
	return *slot_pte((struct model *)m, cpu, n);
}

bool model_stack_pos(const struct model *m, uint32_t vaddr, unsigned *n)
{
	unsigned cpu;

	for (unsigned i = m->l.nest; i < model_stack_max(m); i++)
		if (vaddr == model_slot_addr(m, m->cpu, i)) {
			*n = i;
			return true;
		}
	return model_slot_of(m, vaddr, &cpu, n) && cpu == m->cpu;
}

bool model_slot_of(const struct model *m, uint32_t vaddr, unsigned *cpu,
		   unsigned *n)
{
	const struct model_layout *l = &m->l;
	unsigned idx, off;

	if (!model_in_window(m, vaddr))
		return false;
	idx = (FIX_TOP - vaddr) >> 12;
	*cpu = (idx - l->fix_kmap_begin) / l->slots;
	off = (idx - l->fix_kmap_begin) % l->slots;
	if (off < l->first || (off - l->first) % l->step)
		return false;	/* a guard or a fence */
	*n = (off - l->first) / l->step;
	return *n < l->nest;
}

int model_type_slot(const struct model *m, unsigned type)
{
	if (type >= MODEL_TYPES)
		return -1;
	if (m->l.typed_2_6_24)
		return type == KM_PTE2 ? -1 : (int)(type < KM_PTE2 ? type :
						    type - 1);
	return type < m->l.nest ? (int)type : -1;
}

static bool lowmem_vaddr(const struct model *m, uint32_t vaddr)
{
	return vaddr >= PAGE_OFFSET &&
	       vaddr < PAGE_OFFSET + (m->l.max_low_pfn << 12);
}

static void set_config(struct model *m, const struct hm_seq_config *cfg)
{
	unsigned k = (unsigned)cfg->kernel;

	m->cfg = *cfg;
	if (k == HM_KERNEL_4_7 || k >= HM_KERNEL_NR)
		k = HM_KERNEL_DEFAULT;
	m->l = layouts[k][cfg->pae][cfg->debug_highmem];
	m->last_pkmap = cfg->small_window ? 16 : cfg->pae ? 512 : 1024;
	/* a small window keeps the place of the whole one */
	m->pkmap_base = m->l.pkmap_base;
	m->cpu = 0;
	m->flushes = 0;
	m->range_flushes = 0;
}

void model_init(struct model *m, const struct hm_seq_config *cfg)
{
	memset(m, 0, sizeof(*m));
	set_config(m, cfg);
	model_reset(m);
}

void model_restart(struct model *m, const struct hm_seq_config *cfg)
{
	set_config(m, cfg);	/* the tasks running follow nr_cpus */
	model_reset(m);
	m->cpu = 0;
}

void model_reset(struct model *m)
{
	unsigned cpu = m->cpu;

	/* Only entries below m->used were ever handed out: a reset costs
	 * what the run mapped, not the window (the fuzzers reset per input). */
	for (unsigned nr = 0; nr < m->used; nr++) {
		if (m->count[nr])
			m->nr_of[m->pfn[nr]] = 0;
		m->count[nr] = 0;
	}
	m->used = 0;
	memset(m->c, 0, sizeof(m->c));
	memset(m->beyond_pte_pfn, 0, sizeof(m->beyond_pte_pfn));
	memset(m->task, 0, sizeof(m->task));
	for (unsigned t = 0; t < MODEL_MAX_TASKS; t++) {
		m->task[t].cpu = -1;
		m->task[t].running = t < m->cfg.nr_cpus;
	}
	for (unsigned c = 0; c < MODEL_MAX_CPUS; c++)
		m->current_task[c] = c;
	m->last_nr = 0;
	m->nr_freed = 0;
	m->cpu = cpu;
}

static struct model_cpu *cur(struct model *m)
{
	return &m->c[m->cpu];
}

static const struct model_cpu *ccur(const struct model *m)
{
	return &m->c[m->cpu];
}

/* An entry is mapped while its count is at least 1. */
static int entry_of(const struct model *m, uint32_t pfn)
{
	return (int)m->nr_of[pfn] - 1;
}

uint32_t model_page_address(const struct model *m, uint32_t pfn)
{
	int nr;

	if (model_no_page(pfn))
		return 0;	/* and a BUG report */
	if (!model_highmem(m, pfn))
		return model_direct(pfn);
	nr = entry_of(m, pfn);
	return nr < 0 ? 0 : model_pkmap_addr(m, (unsigned)nr);
}

/*
 * flush_all_zero_pkmaps() ends, if it freed an entry, with
 * flush_tlb_kernel_range(PKMAP_ADDR(0), PKMAP_ADDR(LAST_PKMAP)), sending
 * an IPI to every other CPU; what each
 * CPU's TLB then drops is the kernel's:
 * - linux-2.6.24, include/asm-x86/tlbflush_32.h:
 *   #define flush_tlb_kernel_range(start, end) flush_tlb_all()
 *   - on_each_cpu(do_flush_tlb_all): every CPU whole, whatever the range;
 * - linux-4.7 and 6.1, arch/x86/mm/tlb.c: on_each_cpu(do_flush_tlb_all)
 *   when end - start > tlb_single_page_flush_ceiling (33) pages, else
 *   invlpg page by page (a 16-entry window), no whole flush.
 */
#define MODEL_SINGLE_PAGE_FLUSH_CEILING	33

unsigned model_flush_whole_cpus(const struct model *m)
{
	bool whole = m->cfg.kernel == HM_KERNEL_2_6_24 ||
		     m->last_pkmap > MODEL_SINGLE_PAGE_FLUSH_CEILING;

	return whole ? m->cfg.nr_cpus : 0;
}

/* Free every entry with count 1: what the flush at the wrap does. */
static void flush_zero(struct model *m)
{
	bool need_flush = false;

	m->flushes++;
	/* entries from m->used up were never handed out: count 0 */
	for (unsigned nr = 0; nr < m->used; nr++) {
		if (m->count[nr] != 1)
			continue;
		m->count[nr] = 0;
		m->nr_of[m->pfn[nr]] = 0;
		m->freed[m->nr_freed++] = (uint16_t)nr;
		need_flush = true;
	}
	/* mm/highmem.c: the TLB flush only if an entry was freed */
	if (need_flush)
		m->range_flushes++;
}

bool model_kmap_would_sleep(const struct model *m, uint32_t pfn)
{
	if (model_no_page(pfn) || !model_highmem(m, pfn) || entry_of(m, pfn) >= 0)
		return false;
	for (unsigned nr = 0; nr < m->last_pkmap; nr++)
		if (m->count[nr] < 2)
			return false;
	return true;
}

static bool kernel_mode(const struct model *m)
{
	return m->cfg.report == HM_REPORT_KERNEL;
}

const char *model_check_kmap(const struct model *m, uint32_t pfn)
{
	if (model_no_page(pfn))
		return "kmap of a page outside mem_map";
	/* kernel mode: might_sleep() warns, and kmap goes on */
	if (ccur(m)->preempt_count > 0 && !kernel_mode(m))
		return "kmap may sleep: preemption is off";
	if (model_kmap_would_sleep(m, pfn))
		return "kmap would sleep: every entry in use";
	return NULL;
}

/*
 * The scan: from the entry after the last one handed out, round the
 * window; passing entry 0 flushes the unused entries first.  It gives up
 * (sleeps) after a whole round without a free entry since the last flush,
 * returning -1.
 */
static int scan(struct model *m)
{
	unsigned left = m->last_pkmap, nr;

	for (;;) {
		nr = m->last_nr = (m->last_nr + 1) % m->last_pkmap;
		if (nr == 0) {
			flush_zero(m);
			left = m->last_pkmap;
		}
		if (m->count[nr] == 0)
			return (int)nr;
		if (--left == 0)
			return -1;
	}
}

uint32_t model_kmap(struct model *m, uint32_t pfn)
{
	int nr;

	m->nr_freed = 0;
	if (!model_highmem(m, pfn))
		return model_direct(pfn);
	nr = entry_of(m, pfn);
	if (nr >= 0) {
		m->count[nr]++;
		return model_pkmap_addr(m, (unsigned)nr);
	}
	nr = scan(m);
	if (nr < 0)
		return 0;	/* only where model_check_kmap() said so */
	m->count[nr] = 2;	/* mapped, and one user */
	if ((unsigned)nr >= m->used)
		m->used = (unsigned)nr + 1;
	m->pfn[nr] = pfn;
	m->nr_of[pfn] = (uint16_t)(nr + 1);
	return model_pkmap_addr(m, (unsigned)nr);
}

void model_kmap_failed(struct model *m)
{
	m->nr_freed = 0;
	scan(m);	/* it runs round the window and gives up */
}

const char *model_check_kunmap(const struct model *m, uint32_t pfn)
{
	int nr;

	if (model_no_page(pfn))
		return "kunmap of a page outside mem_map";
	if (!model_highmem(m, pfn))
		return NULL;
	nr = entry_of(m, pfn);
	if (nr < 0)
		return "kunmap of a page that is not kmapped";
	if (m->count[nr] == 1)
		return "kunmap would drop pkmap_count to 0";
	return NULL;
}

void model_kunmap(struct model *m, uint32_t pfn)
{
	m->nr_freed = 0;
	if (model_highmem(m, pfn))
		m->count[entry_of(m, pfn)]--;
}

const char *model_check_kmap_high_get(const struct model *m, uint32_t pfn)
{
	(void)m;
	if (model_no_page(pfn))
		return "kmap_high_get of a page outside mem_map";
	return model_highmem(m, pfn) ? NULL : "kmap_high_get of a lowmem page";
}

uint32_t model_kmap_high_get(struct model *m, uint32_t pfn)
{
	int nr = entry_of(m, pfn);

	m->nr_freed = 0;
	if (nr < 0)
		return 0;
	m->count[nr]++;
	return model_pkmap_addr(m, (unsigned)nr);
}

void model_flush_unused(struct model *m)
{
	m->nr_freed = 0;
	flush_zero(m);
}

/* ---- Temporary maps ------------------------------------------------------ */

static const char *check_push(const struct model *m)
{
	const struct model_cpu *c = ccur(m);

	if (c->depth >= (int)model_stack_max(m))
		return "more than KM_TYPE_NR / KM_MAX_IDX nested temporary maps";
	if (c->kind[c->depth] != SLOT_FREE)
		return "the next stack slot is held by a typed map";
	if (model_slot_pte(m, m->cpu, (unsigned)c->depth))
		return "the slot's PTE is not empty (BUG_ON(!pte_none))";
	return NULL;
}

/* Map slot @slot of this CPU, whose PTE is empty. */
static uint32_t map_slot(struct model *m, unsigned slot, uint32_t pfn,
			 enum model_slot kind)
{
	struct model_cpu *c = cur(m);

	c->kind[slot] = (uint8_t)kind;
	*slot_pte(m, m->cpu, slot) = pfn;
	return model_slot_addr(m, m->cpu, slot);
}

const char *model_quirk_kmap_temp(const struct model *m, uint32_t pfn)
{
	if (!nest_spills(m) || !model_highmem(m, pfn) ||
	    ccur(m)->depth < (int)m->l.nest)
		return NULL;
	return "nested past KM_TYPE_NR: the map spills into the next cpu's "
	       "window or past FIX_KMAP_END";
}

const char *model_check_kmap_atomic(const struct model *m, uint32_t pfn)
{
	if (model_no_page(pfn))
		return "kmap_atomic of a page outside mem_map";
	return model_highmem(m, pfn) ? check_push(m) : NULL;
}

uint32_t model_kmap_atomic(struct model *m, uint32_t pfn)
{
	struct model_cpu *c = cur(m);

	m->nr_freed = 0;
	c->preempt_count++;
	c->pagefault_disabled++;
	if (!model_highmem(m, pfn)) {
		c->lowmem_atomic++;
		return model_direct(pfn);
	}
	return map_slot(m, (unsigned)c->depth++, pfn, SLOT_ATOMIC);
}

const char *model_quirk_kmap(const struct model *m, uint32_t pfn,
			     bool *warns)
{
	*warns = true;
	if (!kernel_mode(m) || model_no_page(pfn) || ccur(m)->preempt_count <= 0)
		return NULL;
	return "kmap in atomic context: might_sleep() warns, kmap goes on";
}

/* Kernel mode: an unmap of a window address other than the top, whose map
 * is of @kind: x86 (4.7's __kunmap_atomic, 6.1's kunmap_local_indexed)
 * takes the index from the stack, not from the address: it clears the
 * top slot's PTE, flushes the address passed, and pops. */
static bool out_of_order(const struct model *m, uint32_t vaddr,
			 enum model_slot kind)
{
	const struct model_cpu *c = ccur(m);

	return kernel_mode(m) && model_in_window(m, vaddr) && c->depth > 0 &&
	       c->kind[c->depth - 1] == kind &&
	       vaddr != model_slot_addr(m, m->cpu, (unsigned)c->depth - 1);
}

/*
 * Kernel mode: an unmap of an address neither in the window nor lowmem
 * (a user address, a PKMAP one, ...), which the kernel lets through.
 * 4.7's __kunmap_atomic (and 2.6.24's kunmap_atomic(kvaddr, type)) take
 * only window addresses; anything else is left alone but in a
 * DEBUG_HIGHMEM build, whose BUG_ON(vaddr < PAGE_OFFSET) and
 * BUG_ON(vaddr >= high_memory) catch every such address; then
 * pagefault_enable() and preempt_enable() run.  6.1's
 * kunmap_local_indexed returns straight away, with only a
 * WARN_ON_ONCE(addr < PAGE_OFFSET) (its kmap_high_unmap_local() is a
 * stub on x86), in every build the model knows (no
 * DEBUG_KMAP_LOCAL_FORCE_MAP); kunmap_atomic enables page faults and
 * preemption after it, kunmap_local (whose migrate_enable() is in the
 * window's branch) nothing.  The pre-6.1 profiles' kunmap_local follows
 * their kunmap_atomic.
 */
static bool stray_let_through(const struct model *m, uint32_t vaddr)
{
	return kernel_mode(m) && !model_in_window(m, vaddr) &&
	       !lowmem_vaddr(m, vaddr) &&
	       (m->cfg.kernel == HM_KERNEL_6_1 || !m->cfg.debug_highmem);
}

const char *model_quirk_kunmap(const struct model *m, uint32_t vaddr,
			       enum model_slot kind, bool *warns)
{
	vaddr &= ~0xFFFu;
	if (kind != SLOT_LOCAL && (ccur(m)->preempt_count <= 0 ||
				   ccur(m)->pagefault_disabled <= 0))
		return NULL;	/* a BUG before anything else */
	if (stray_let_through(m, vaddr)) {
		/* 6.1's WARN_ON_ONCE(addr < PAGE_OFFSET); 4.7 and 2.6.24 are
		 * silent (their debug builds BUG: not let through) */
		*warns = m->cfg.kernel == HM_KERNEL_6_1 && vaddr < PAGE_OFFSET;
		return "unmap of an address neither in the window nor lowmem: "
		       "nothing unmapped";
	}
	/* WARN_ON_ONCE in 6.1; in 4.x only the DEBUG_HIGHMEM build checks */
	*warns = m->cfg.kernel == HM_KERNEL_6_1 || m->cfg.debug_highmem;
	if (kind == SLOT_TYPED || !out_of_order(m, vaddr, kind))
		return NULL;
	return "unmap out of order: the top slot is cleared, the address "
	       "passed flushed";
}

/* The checks kunmap_atomic and kunmap_local share for a window address:
 * it must be the top of this CPU's stack, mapped by @kind (kernel mode:
 * or any window address while the top is of @kind). */
static const char *check_pop(const struct model *m, uint32_t vaddr,
			     enum model_slot kind)
{
	const struct model_cpu *c = ccur(m);

	if (c->depth == 0)
		return "no temporary map on this cpu";
	if (out_of_order(m, vaddr, kind))
		return NULL;
	if (vaddr != model_slot_addr(m, m->cpu, (unsigned)c->depth - 1))
		return "unmap out of order";
	if (c->kind[c->depth - 1] != kind)
		return "unmap of a slot of the other kind";
	return NULL;
}

/* The pop of kunmap_atomic / kunmap_local of window address @vaddr: the
 * top slot's PTE cleared, @vaddr flushed from this CPU's TLB (the top's
 * own address, unless out of order in kernel mode). */
static void pop(struct model *m, uint32_t vaddr)
{
	struct model_cpu *c = cur(m);
	unsigned n, top = (unsigned)--c->depth;

	c->kind[top] = SLOT_FREE;
	/* the TLB keeps what it holds until a flush: a stale entry from an
	 * earlier out-of-order unmap stays the one it gives */
	if (!c->stale_pfn[top])
		c->stale_pfn[top] = model_slot_pte(m, m->cpu, top);
	*slot_pte(m, m->cpu, top) = 0;	/* x86 clears at unmap */
	if (model_stack_pos(m, vaddr & ~0xFFFu, &n))
		c->stale_pfn[n] = 0;
}

/* A kunmap_atomic of an address outside the window: a lowmem one, undoing
 * a kmap_atomic of a lowmem page (plain or typed: they take no slot), or,
 * in kernel mode, a stray one the kernel lets through. */
static const char *check_lowmem_unmap(const struct model *m,
				      const struct model_cpu *c, uint32_t vaddr)
{
	if (stray_let_through(m, vaddr))
		return NULL;
	if (!lowmem_vaddr(m, vaddr))
		return "neither a temporary map nor a lowmem address";
	if (c->lowmem_atomic <= 0)
		return "kunmap_atomic of a lowmem address, no lowmem kmap_atomic held";
	return NULL;
}

const char *model_check_kunmap_atomic(const struct model *m, uint32_t vaddr)
{
	const struct model_cpu *c = ccur(m);

	vaddr &= ~0xFFFu;
	/* The unmap of the top kmap_atomic is made whatever the counts: the
	 * kernel never looks at them.  (They cover every map held, but for
	 * kernel mode's stray unmap, which drops them and nothing else.) */
	if (c->depth > 0 && c->kind[c->depth - 1] == SLOT_ATOMIC &&
	    vaddr == model_slot_addr(m, m->cpu, (unsigned)c->depth - 1) &&
	    model_in_window(m, vaddr))
		return NULL;
	if (c->preempt_count <= 0 || c->pagefault_disabled <= 0)
		return "kunmap_atomic without kmap_atomic";
	if (model_in_window(m, vaddr))
		return check_pop(m, vaddr, SLOT_ATOMIC);
	return check_lowmem_unmap(m, c, vaddr);
}

void model_kunmap_atomic(struct model *m, uint32_t vaddr)
{
	struct model_cpu *c = cur(m);

	m->nr_freed = 0;
	if (model_in_window(m, vaddr & ~0xFFFu))
		pop(m, vaddr);
	else if (lowmem_vaddr(m, vaddr & ~0xFFFu))
		c->lowmem_atomic--;
	/* (else a stray address, kernel mode: the counts alone) */
	c->preempt_count--;
	c->pagefault_disabled--;
}

const char *model_check_kmap_atomic_type(const struct model *m, uint32_t pfn,
					 unsigned type)
{
	const struct model_cpu *c = ccur(m);
	int slot = model_type_slot(m, type);

	if (model_no_page(pfn))
		return "kmap_atomic_type of a page outside mem_map";
	if (type >= MODEL_TYPES)
		return "unknown km_type";
	if (!model_highmem(m, pfn))
		return NULL;
	if (slot < 0)
		return "a km_type this kernel does not have";
	if (c->kind[slot] != SLOT_FREE)
		return "the type's slot is in use";
	if (c->slot_pte_pfn[slot])
		return "the slot's PTE is not empty (BUG_ON(!pte_none))";
	return NULL;
}

uint32_t model_kmap_atomic_type(struct model *m, uint32_t pfn, unsigned type)
{
	struct model_cpu *c = cur(m);

	m->nr_freed = 0;
	c->preempt_count++;
	c->pagefault_disabled++;
	if (!model_highmem(m, pfn)) {
		c->lowmem_atomic++;
		return model_direct(pfn);
	}
	return map_slot(m, (unsigned)model_type_slot(m, type), pfn,
			SLOT_TYPED);
}

const char *model_check_kunmap_atomic_type(const struct model *m,
					   uint32_t vaddr, unsigned type)
{
	const struct model_cpu *c = ccur(m);

	int slot = model_type_slot(m, type);

	vaddr &= ~0xFFFu;
	if (type >= MODEL_TYPES || slot < 0)
		return "unknown km_type, or one this kernel does not have";
	if (c->preempt_count <= 0 || c->pagefault_disabled <= 0)
		return "kunmap_atomic without kmap_atomic";
	if (model_in_window(m, vaddr)) {
		if (vaddr != model_slot_addr(m, m->cpu, (unsigned)slot))
			return "not the slot of that type";
		if (c->kind[slot] != SLOT_TYPED)
			return "the slot holds no typed map";
		return NULL;
	}
	return check_lowmem_unmap(m, c, vaddr);
}

void model_kunmap_atomic_type(struct model *m, uint32_t vaddr, unsigned type)
{
	struct model_cpu *c = cur(m);

	m->nr_freed = 0;
	if (model_in_window(m, vaddr & ~0xFFFu)) {
		int slot = model_type_slot(m, type);

		c->kind[slot] = SLOT_FREE;
		c->slot_pte_pfn[slot] = 0;	/* kpte_clear_flush */
		c->stale_pfn[slot] = 0;
	} else if (lowmem_vaddr(m, vaddr & ~0xFFFu)) {
		c->lowmem_atomic--;
	}	/* else a stray address, kernel mode: the counts alone */
	c->preempt_count--;
	c->pagefault_disabled--;
}

const char *model_check_kmap_local(const struct model *m, uint32_t pfn)
{
	if (model_no_page(pfn))
		return "kmap_local_page of a page outside mem_map";
	return model_highmem(m, pfn) ? check_push(m) : NULL;
}

uint32_t model_kmap_local(struct model *m, uint32_t pfn)
{
	struct model_cpu *c = cur(m);

	m->nr_freed = 0;
	if (!model_highmem(m, pfn))
		return model_direct(pfn);
	c->migrate_disabled++;
	return map_slot(m, (unsigned)c->depth++, pfn, SLOT_LOCAL);
}

const char *model_check_kunmap_local(const struct model *m, uint32_t vaddr)
{
	vaddr &= ~0xFFFu;
	if (model_in_window(m, vaddr))
		return check_pop(m, vaddr, SLOT_LOCAL);
	if (!lowmem_vaddr(m, vaddr) && !stray_let_through(m, vaddr))
		return "neither a temporary map nor a lowmem address";
	return NULL;
}

void model_kunmap_local(struct model *m, uint32_t vaddr)
{
	struct model_cpu *c = cur(m);

	m->nr_freed = 0;
	if (!model_in_window(m, vaddr & ~0xFFFu))
		return;
	pop(m, vaddr);			/* always cleared */
	c->migrate_disabled--;
}

const char *model_check_cpu(const struct model *m, unsigned cpu)
{
	const struct model_cpu *c = ccur(m);

	if (cpu >= m->cfg.nr_cpus)
		return "no such cpu";
	if (cpu != m->cpu && c->preempt_count > 0)
		return "changing cpu with preemption off";
	if (cpu != m->cpu && c->migrate_disabled > 0)
		return "changing cpu with migration off";
	return NULL;
}

void model_cpu(struct model *m, unsigned cpu)
{
	m->nr_freed = 0;
	m->cpu = cpu;
}

/* ---- Tasks (6.x's per-task kmap_local) ---------------------------------- */

/* schedule() on this CPU, picking @next (kernel/sched/core.c and
 * mm/highmem.c's __kmap_local_sched_out/in, 6.1). */
const char *model_check_switch_task(const struct model *m, unsigned next)
{
	const struct model_cpu *c = ccur(m);
	const struct model_task *t;

	if (next >= MODEL_MAX_TASKS)
		return "no such task";
	t = &m->task[next];
	if (c->preempt_count > 0)
		return "scheduling while atomic";
	if (t->running && m->current_task[m->cpu] != next)
		return "the task runs on another cpu";
	if (t->depth && t->cpu != (int)m->cpu)
		return "the task holds another cpu's temporary maps "
		       "(migration is disabled)";
	/* Only 6.x saves a task's temporary maps; no switch, no saving */
	if (next != m->current_task[m->cpu] && c->depth &&
	    m->cfg.kernel != HM_KERNEL_6_1)
		return "switched out holding temporary maps this kernel "
		       "does not save";
	/* A typed slot is the CPU's, saved by no kernel (6.x has none):
	 * held with preemption on only after kernel mode's stray unmap */
	if (next != m->current_task[m->cpu])
		for (unsigned i = 0; i < m->l.nest; i++)
			if (c->kind[i] == SLOT_TYPED)
				return "switched out holding a typed kmap_atomic";
	return NULL;
}

void model_switch_task(struct model *m, unsigned next)
{
	struct model_cpu *c = cur(m);
	unsigned prev = m->current_task[m->cpu];
	struct model_task *out = &m->task[prev], *in = &m->task[next];

	m->nr_freed = 0;
	if (next == prev)
		return;
	/* sched_out: each PTE saved, cleared and its address flushed */
	for (int i = 0; i < c->depth; i++) {
		out->kind[i] = c->kind[i];
		out->pte_pfn[i] = c->slot_pte_pfn[i];
		c->kind[i] = SLOT_FREE;
		c->slot_pte_pfn[i] = 0;
		c->stale_pfn[i] = 0;
	}
	out->depth = c->depth;
	out->cpu = c->depth ? (int)m->cpu : -1;
	out->migrate_disabled = c->migrate_disabled;
	out->running = false;
	/* sched_in: set again, no flush (x86: they were flushed going out) */
	for (int i = 0; i < in->depth; i++) {
		c->kind[i] = in->kind[i];
		c->slot_pte_pfn[i] = in->pte_pfn[i];
	}
	c->depth = in->depth;
	c->migrate_disabled = in->migrate_disabled;
	in->depth = 0;
	in->cpu = -1;
	in->running = true;
	m->current_task[m->cpu] = next;
}
