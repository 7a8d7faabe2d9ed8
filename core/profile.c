/* SPDX-License-Identifier: MIT */
/*
 * profile.c - the kernel profiles (data) and the layout they imply
 * (arithmetic), each number from the named kernel's arch/x86 headers.
 */
#include "core/layout.h"
#include "core/profile.h"

/* PAGE_SHIFT and __PAGE_OFFSET (VMSPLIT_3G): core/layout.h. */
/* __FIXADDR_TOP: a variable on x86_32 (reserve_top_address() may lower
 * it under a hypervisor), 0xfffff000 on bare metal and under KVM. */
#define FIXADDR_TOP_NATIVE	0xFFFFF000u
#define __VMALLOC_RESERVE	(128u << 20)	/* vmalloc= not given */
#define VMALLOC_OFFSET		(8u << 20)
#define MAX_IO_APICS_32		64		/* apicdef.h, X86_32 */

/* flush_tlb_kernel_range() from 3.15 on (4.7 and 6.1 alike). */
static const char flush_doc_ceiling[] =
	"flush_tlb_kernel_range(start, end) (arch/x86/mm/tlb.c): on every "
	"CPU, invlpg page by page up to tlb_single_page_flush_ceiling pages, "
	"else the whole TLB";

/* ---- linux-2.6.24 ------------------------------------------------------ */

static const struct hm_fixmap_entry fix_2_6_24[] = {
	{ "FIX_HOLE", 1, NULL },
	{ "FIX_VDSO", 1, NULL },
	{ "FIX_DBGP_BASE", 1, NULL },
	{ "FIX_EARLYCON_MEM_BASE", 1, NULL },
	{ "FIX_APIC_BASE", 1, "X86_LOCAL_APIC" },
	{ "FIX_IO_APIC_BASE_0..END", MAX_IO_APICS_32, "X86_IO_APIC" },
	{ "FIX_KMAP_BEGIN..END", 0, "HIGHMEM" },
	{ "FIX_ACPI_BEGIN..END", 4, "ACPI" },	/* FIX_ACPI_PAGES */
	{ "FIX_PCIE_MCFG", 1, "PCI_MMCONFIG" },
	{ "FIX_PARAVIRT_BOOTMAP", 1, "PARAVIRT" },
};

/* include/asm-x86/kmap_types.h of 2.6.24 (x86_32): 13 types, no KM_PTE2
 * (seed 002's list of 14 has it; the core's enum km_type follows the
 * seed). */
static const char *const km_types_2_6_24[] = {
	"KM_BOUNCE_READ", "KM_SKB_SUNRPC_DATA", "KM_SKB_DATA_SOFTIRQ",
	"KM_USER0", "KM_USER1", "KM_BIO_SRC_IRQ", "KM_BIO_DST_IRQ",
	"KM_PTE0", "KM_PTE1", "KM_IRQ0", "KM_IRQ1", "KM_SOFTIRQ0",
	"KM_SOFTIRQ1",
};

static const struct hm_fixmap_entry fix_2_6_24_boot[] = {
	{ "FIX_WP_TEST", 1, NULL },
};

static const struct hm_kernel_profile linux_2_6_24 = {
	.name = "linux-2.6.24",
	.kernel = "Linux 2.6.24 x86_32: typed kmap_atomic(page, km_type)",
	.config =
		"X86_32, X86_PC (default subarch), M686, SMP, HIGHMEM64G "
		"(X86_PAE) or HIGHMEM4G with --nopae, VMSPLIT_3G, "
		"X86_LOCAL_APIC, X86_IO_APIC, ACPI, PCI_MMCONFIG, PARAVIRT; "
		"not X86_VISWS_APIC, X86_F00F_BUG, X86_CYCLONE_TIMER; "
		"NR_CPUS = the CPUs simulated unless --nr-cpus; "
		"DEBUG_HIGHMEM with --debug",
	.sources =
		"include/asm-x86/fixmap_32.h: enum fixed_addresses, "
		"__FIXADDR_SIZE, FIXADDR_START, FIXADDR_BOOT_START, "
		"NR_FIX_BTMAPS 16; include/asm-x86/kmap_types.h: enum km_type "
		"(13 types, KM_TYPE_NR 13; D(n) fences under DEBUG_HIGHMEM: 27); "
		"include/asm-x86/highmem.h: LAST_PKMAP, PKMAP_BASE from "
		"FIXADDR_BOOT_START; include/asm-x86/pgtable_32.h: "
		"VMALLOC_OFFSET, VMALLOC_START (rounded), VMALLOC_END; "
		"include/asm-x86/page_32.h: MAXMEM = -__PAGE_OFFSET - "
		"__VMALLOC_RESERVE; __VMALLOC_RESERVE = 128 << 20; "
		"include/asm-x86/acpi.h: FIX_ACPI_PAGES 4; "
		"arch/x86/mm/highmem_32.c: kmap_atomic_prot BUG_ON(!pte_none), "
		"kunmap_atomic kpte_clear_flush",
	.uncertain =
		"MAX_IO_APICS 64 is the x86_32 value of every later apicdef.h; "
		"the 2.6.24 header that defines it was not opened. "
		"The file holding __VMALLOC_RESERVE (init_32.c or "
		"pgtable_32.c) was not opened; its value 128 << 20 was. "
		"Which options a real distro 2.6.24 build set (F00F, cyclone, "
		"subarch) was not checked: each adds fixmap entries.",
	.checked =
		"against the headers named above, read in a copy of 2.6.24 "
		"with comments added (not a pristine tarball); no 2.6.24 "
		"binary was at hand",
	.nr_cpus_config = 0,
	.fix_permanent = fix_2_6_24,
	.nr_fix_permanent = sizeof(fix_2_6_24) / sizeof(fix_2_6_24[0]),
	.btmap_rule = HM_BTMAP_PLAIN,
	.nr_btmaps = 16,
	.fix_after_btmaps = fix_2_6_24_boot,
	.nr_fix_after_btmaps = 1,
	.kmap_scheme = HM_KMAP_TYPED,
	.km_type_names = km_types_2_6_24,
	.nr_km_types = sizeof(km_types_2_6_24) / sizeof(km_types_2_6_24[0]),
	.km_slots = 13, .km_slots_debug = 27,
	.km_first_idx = 0, .km_first_idx_debug = 1,
	.km_step = 1, .km_step_debug = 2,
	.km_max_nest = 13, .km_max_nest_debug = 13,
	.nest_check = HM_NEST_NONE,
	.unmap_pte = HM_UNMAP_CLEAR_FLUSH,
	.unmap_doc =
		"kunmap_atomic(kvaddr, type): if kvaddr is the type's slot, "
		"kpte_clear_flush (PTE cleared, that entry flushed); else "
		"nothing (DEBUG_HIGHMEM: BUG_ON unless a lowmem address); "
		"kmap_atomic BUG_ON(!pte_none) of the type's slot",
	/* include/asm-x86/tlbflush_32.h: #define flush_tlb_kernel_range(start,
	 * end) flush_tlb_all(); arch/x86/kernel/smp_32.c: flush_tlb_all() is
	 * on_each_cpu(do_flush_tlb_all, ...), each CPU __flush_tlb_all()
	 * (CR4.PGE toggled: global entries go too).  No single-page path. */
	.tlb_single_page_flush_ceiling = 0,
	.flush_doc =
		"flush_tlb_kernel_range(start, end) is flush_tlb_all() "
		"(tlbflush_32.h): on_each_cpu(do_flush_tlb_all), every CPU's "
		"whole TLB, global entries too, whatever the range",
	.pkmap_rule = HM_PKMAP_BELOW_FIXADDR_BOOT_START,
	.vmalloc_start_rule = HM_VMALLOC_START_ROUNDED,
	.maxmem_rule = HM_MAXMEM_BELOW_4G,
};

/* ---- linux-4.7 --------------------------------------------------------- */

static const struct hm_fixmap_entry fix_4_7[] = {
	{ "FIX_HOLE", 1, NULL },
	{ "FIX_DBGP_BASE", 1, NULL },
	{ "FIX_EARLYCON_MEM_BASE", 1, NULL },
	{ "FIX_APIC_BASE", 1, "X86_LOCAL_APIC" },
	{ "FIX_IO_APIC_BASE_0..END", MAX_IO_APICS_32, "X86_IO_APIC" },
	{ "FIX_RO_IDT", 1, NULL },
	{ "FIX_KMAP_BEGIN..END", 0, "X86_32" },
	{ "FIX_PCIE_MCFG", 1, "PCI_MMCONFIG" },
	{ "FIX_PARAVIRT_BOOTMAP", 1, "PARAVIRT" },
	{ "FIX_TEXT_POKE1", 1, NULL },
	{ "FIX_TEXT_POKE0", 1, NULL },
};

static const struct hm_fixmap_entry fix_4_7_boot[] = {
	{ "FIX_WP_TEST", 1, "X86_32" },
};

static const struct hm_kernel_profile linux_4_7 = {
	.name = "linux-4.7",
	.kernel = "Linux 4.7 x86_32: per-CPU kmap_atomic stack (seed 000)",
	.config =
		"X86_32, SMP, HIGHMEM64G (X86_PAE) or HIGHMEM4G with --nopae, "
		"VMSPLIT_3G, X86_LOCAL_APIC, X86_IO_APIC, PCI_MMCONFIG, "
		"PARAVIRT; not PROVIDE_OHCI1394_DMA_INIT, X86_INTEL_MID, "
		"INTEL_TXT; NR_CPUS = the CPUs simulated unless --nr-cpus; "
		"DEBUG_HIGHMEM with --debug",
	.sources =
		"arch/x86/include/asm/fixmap.h: enum fixed_addresses, "
		"FIXADDR_SIZE, FIXADDR_START, NR_FIX_BTMAPS 64 x "
		"FIX_BTMAPS_SLOTS 8 rounded to one page table; "
		"arch/x86/include/asm/apicdef.h: MAX_IO_APICS 64 (X86_32); "
		"arch/x86/include/asm/kmap_types.h + "
		"include/asm-generic/kmap_types.h: KM_TYPE_NR 20, 41 with "
		"__WITH_KM_FENCE (X86_32 && DEBUG_HIGHMEM); "
		"arch/x86/include/asm/pgtable_32_types.h: LAST_PKMAP, "
		"PKMAP_BASE from FIXADDR_START, VMALLOC_START = high_memory + "
		"VMALLOC_OFFSET, VMALLOC_END, MAXMEM = VMALLOC_END - "
		"PAGE_OFFSET - __VMALLOC_RESERVE; arch/x86/mm/pgtable_32.c: "
		"__VMALLOC_RESERVE 128 << 20, __FIXADDR_TOP 0xfffff000; "
		"include/linux/highmem.h: kmap_atomic_idx_push (BUG_ON(idx >= "
		"KM_TYPE_NR) only under DEBUG_HIGHMEM); arch/x86/mm/highmem_32.c: "
		"kmap_atomic_prot, __kunmap_atomic",
	.uncertain =
		"No 4.7 tree was read: the fixmap enum is the one of a 4.1.15 "
		"and a 4.12 tree, identical for x86_32 but for FIX_GDT_REMAP, "
		"which 4.12 added (left out; the GHES slots came in 4.13). "
		"PKMAP_BASE hangs below FIXADDR_START in 4.1.15 and 4.9.227 "
		"(3.18 still used FIXADDR_BOOT_START). kmap_atomic_idx_push "
		"(BUG_ON only under DEBUG_HIGHMEM) is as recalled from 4.x "
		"include/linux/highmem.h, not re-read.",
	.checked =
		"against those headers in the 4.1.15 and 4.12/4.14 copies: "
		"fixmap.h, pgtable_32_types.h, asm-generic/kmap_types.h "
		"(KM_TYPE_NR 20, 41), x86 kmap_types.h (__WITH_KM_FENCE on "
		"X86_32 && DEBUG_HIGHMEM), highmem_32.c (__kunmap_atomic "
		"kpte_clear_flush); no 4.7 binary was at hand",
	.nr_cpus_config = 0,
	.fix_permanent = fix_4_7,
	.nr_fix_permanent = sizeof(fix_4_7) / sizeof(fix_4_7[0]),
	.btmap_rule = HM_BTMAP_ONE_TABLE,
	.nr_btmaps = 512,
	.fix_after_btmaps = fix_4_7_boot,
	.nr_fix_after_btmaps = 1,
	.kmap_scheme = HM_KMAP_STACK,
	/* __WITH_KM_FENCE only widens the window: the push still steps by
	 * one, so the extra 21 slots are room, not guards. */
	.km_slots = 20, .km_slots_debug = 41,
	.km_first_idx = 0, .km_first_idx_debug = 0,
	.km_step = 1, .km_step_debug = 1,
	.km_max_nest = 20, .km_max_nest_debug = 41,
	.nest_check = HM_NEST_BUG_IF_DEBUG,
	.unmap_pte = HM_UNMAP_CLEAR_FLUSH,
	.unmap_doc =
		"__kunmap_atomic(kvaddr): for an address in the kmap fixmap "
		"range, clears the PTE of the top slot (kmap_atomic_idx) and "
		"flushes kvaddr (kpte_clear_flush), then pops; DEBUG_HIGHMEM "
		"WARNs when kvaddr is not the top slot; kmap_atomic_prot "
		"BUG_ON(!pte_none)",
	/* arch/x86/mm/tlb.c: flush_tlb_kernel_range() does
	 * on_each_cpu(do_kernel_range_flush) page by page up to
	 * tlb_single_page_flush_ceiling, else on_each_cpu(do_flush_tlb_all). */
	.tlb_single_page_flush_ceiling = TLB_SINGLE_PAGE_FLUSH_CEILING,
	.flush_doc = flush_doc_ceiling,
	.pkmap_rule = HM_PKMAP_BELOW_FIXADDR_START,
	.vmalloc_start_rule = HM_VMALLOC_START_OFFSET,
	.maxmem_rule = HM_MAXMEM_BELOW_VMALLOC_END,
};

/* ---- linux-6.1 (Debian 12 linux-image-6.1.0-57-686-pae) ---------------- */

static const struct hm_fixmap_entry fix_6_1[] = {
	{ "FIX_HOLE", 1, NULL },
	{ "FIX_DBGP_BASE", 1, NULL },
	{ "FIX_EARLYCON_MEM_BASE", 1, NULL },
	{ "FIX_APIC_BASE", 1, "X86_LOCAL_APIC" },
	{ "FIX_IO_APIC_BASE_0..END", MAX_IO_APICS_32, "X86_IO_APIC" },
	{ "FIX_KMAP_BEGIN..END", 0, "KMAP_LOCAL" },
	{ "FIX_PCIE_MCFG", 1, "PCI_MMCONFIG" },
	{ "FIX_APEI_GHES_IRQ", 1, "ACPI_APEI_GHES" },
	{ "FIX_APEI_GHES_NMI", 1, "ACPI_APEI_GHES" },
};

static const struct hm_fixmap_entry fix_6_1_boot[] = {
	{ "FIX_WP_TEST", 1, "X86_32" },
};

static const struct hm_kernel_profile linux_6_1 = {
	.name = "linux-6.1",
	.kernel = "Linux 6.1.192 x86_32 as Debian 12 builds it "
		  "(linux-image-6.1.0-57-686-pae): per-task kmap_local",
	.config =
		"kernel-configs/config-6.1.0-57-686-pae: X86_32, SMP, "
		"NR_CPUS=32, HIGHMEM64G (X86_PAE), VMSPLIT_3G, KMAP_LOCAL, "
		"X86_LOCAL_APIC, X86_IO_APIC, PCI_MMCONFIG, ACPI_APEI_GHES, "
		"PARAVIRT without PARAVIRT_XXL, CPU_SUP_INTEL, "
		"X86_IOPL_IOPERM, MODIFY_LDT_SYSCALL, PAGE_TABLE_ISOLATION; "
		"not PROVIDE_OHCI1394_DMA_INIT, X86_INTEL_MID, INTEL_TXT, "
		"DEBUG_KMAP_LOCAL; --debug: DEBUG_KMAP_LOCAL (which "
		"DEBUG_HIGHMEM selects); --nopae: the same with HIGHMEM4G",
	.sources =
		"arch/x86/include/asm/fixmap.h: enum fixed_addresses "
		"(FIX_KMAP under KMAP_LOCAL, FIX_PARAVIRT_BOOTMAP only with "
		"PARAVIRT_XXL), FIXADDR_START, FIXADDR_TOT_START; "
		"include/asm-generic/kmap_size.h: KM_MAX_IDX 16, 33 with "
		"DEBUG_KMAP_LOCAL; mm/highmem.c: KM_INCR 2 under "
		"DEBUG_KMAP_LOCAL, kmap_local_idx_push BUG_ON(idx >= "
		"KM_MAX_IDX), kunmap_local_indexed pte_clear; "
		"arch/x86/include/asm/highmem.h: arch_kmap_local_post_unmap "
		"flush_tlb_one_kernel; arch/x86/include/asm/pgtable_32_areas.h: "
		"CPU_ENTRY_AREA_PAGES, CPU_ENTRY_AREA_BASE (+1 for the RO IDT "
		"page), LDT_BASE_ADDR, PKMAP_BASE, VMALLOC_START, VMALLOC_END, "
		"MAXMEM; arch/x86/include/asm/cpu_entry_area.h: struct "
		"cpu_entry_area (x86_32: gdt, guard, entry stack, guard, "
		"doublefault stack, tss_struct, debug store, 16+16 pages of "
		"BTS/PEBS buffers)",
	.checked =
		"against Debian's 6.1.192-3 i386 binary: its "
		"__kmap_local_pfn_prot computes __FIXADDR_TOP - ((0x43 + idx + "
		"16 * cpu) << 12) and BUGs past idx 15 (FIX_KMAP_BEGIN 68, "
		"KM_MAX_IDX 16); constants __FIXADDR_TOP - 0x243000 / 0x244000 "
		"/ 0x247000 / 0x600000 (FIX_KMAP_END 579, FIX_PCIE_MCFG 580, "
		"FIXADDR_START at 583, FIX_WP_TEST 1536); (__FIXADDR_TOP - "
		"0xb62000) & 0xffe00000 as CPU_ENTRY_AREA_BASE, with 0x561000 "
		"(1377 pages: 32 x 43 + 1), and PKMAP_BASE 4 MiB below it. "
		"Booted under QEMU with 1, 2 and 4 GiB and 1 or 4 CPUs it "
		"prints 'NR_CPUS:32', '879MB LOWMEM available' and 'low ram: 0 "
		"- 36ffe000'; with 1 and 2 GiB its /proc/kcore has vmalloc at "
		"0xf77fe000 + 0x7800000 and the direct map 0xc0000000 + "
		"0x36ffe000",
	.uncertain =
		"The debug (DEBUG_KMAP_LOCAL) and 2-level variants, which no "
		"Debian binary has, follow the source only. Which entries sit "
		"at 581 and 582 (the GHES pair by the source) was not seen in "
		"the binary; only that the permanent fixmap ends at 583.",
	.nr_cpus_config = 32,
	.fix_permanent = fix_6_1,
	.nr_fix_permanent = sizeof(fix_6_1) / sizeof(fix_6_1[0]),
	.btmap_rule = HM_BTMAP_ONE_TABLE,
	.nr_btmaps = 512,
	.fix_after_btmaps = fix_6_1_boot,
	.nr_fix_after_btmaps = 1,
	.kmap_scheme = HM_KMAP_LOCAL,
	.km_slots = 16, .km_slots_debug = 33,
	.km_first_idx = 0, .km_first_idx_debug = 1,
	.km_step = 1, .km_step_debug = 2,
	.km_max_nest = 16, .km_max_nest_debug = 16,
	.nest_check = HM_NEST_BUG_ALWAYS,
	.unmap_pte = HM_UNMAP_CLEAR_FLUSH,
	.unmap_doc =
		"kunmap_local_indexed(vaddr): WARN_ON_ONCE unless vaddr is the "
		"top slot, then pte_clear of the top slot, "
		"flush_tlb_one_kernel(vaddr), the task's saved pteval zeroed, "
		"pop, migrate_enable; the map BUG_ON(!pte_none). kmap_atomic "
		"is preempt_disable (migrate_disable on PREEMPT_RT) + "
		"pagefault_disable + the same kmap_local path",
	/* arch/x86/mm/tlb.c: flush_tlb_kernel_range() does
	 * on_each_cpu(do_kernel_range_flush) page by page up to
	 * tlb_single_page_flush_ceiling, else on_each_cpu(do_flush_tlb_all). */
	.tlb_single_page_flush_ceiling = TLB_SINGLE_PAGE_FLUSH_CEILING,
	.flush_doc = flush_doc_ceiling,
	.pkmap_rule = HM_PKMAP_BELOW_LDT,
	.vmalloc_start_rule = HM_VMALLOC_START_OFFSET,
	.maxmem_rule = HM_MAXMEM_BELOW_VMALLOC_END,
	.cpu_entry_area_pages = 43,
};

static const struct hm_kernel_profile *const profiles[] = {
	&linux_2_6_24,
	&linux_4_7,
	&linux_6_1,
};

#define NR_PROFILES	(sizeof(profiles) / sizeof(profiles[0]))

static bool streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

const struct hm_kernel_profile *hm_kernel_profile_find(const char *name)
{
	for (unsigned i = 0; name && i < NR_PROFILES; i++)
		if (streq(profiles[i]->name, name))
			return profiles[i];
	return NULL;
}

const struct hm_kernel_profile *hm_kernel_profile_at(unsigned i)
{
	return i < NR_PROFILES ? profiles[i] : NULL;
}

/* enum hm_kernel's profiles, the default's included. */
static const struct hm_kernel_profile *const by_id[HM_KERNEL_NR] = {
	[HM_KERNEL_DEFAULT] = &linux_4_7,
	[HM_KERNEL_2_6_24] = &linux_2_6_24,
	[HM_KERNEL_4_7] = &linux_4_7,
	[HM_KERNEL_6_1] = &linux_6_1,
};

const struct hm_kernel_profile *hm_kernel_profile_of(enum hm_kernel k)
{
	return (unsigned)k < HM_KERNEL_NR ? by_id[k] : NULL;
}

/* ---- The arithmetic ------------------------------------------------------ */

/* Pages summed over @n entries; the kmap run counts @kmap_pages and its
 * first index goes to *@kmap_begin. */
static uint64_t fixmap_run(const struct hm_fixmap_entry *e, unsigned n,
			   uint64_t idx, uint64_t kmap_pages,
			   uint64_t *kmap_begin)
{
	for (unsigned i = 0; i < n; i++) {
		if (e[i].pages == 0) {
			*kmap_begin = idx;
			idx += kmap_pages;
		} else {
			idx += e[i].pages;
		}
	}
	return idx;
}

/* FIX_BTMAP_END of fixmap.h: the 512 boot slots start at the end of the
 * permanent ones, moved up to a 512 boundary when they would otherwise
 * straddle a page table (PTRS_PER_PTE entries). */
static uint64_t btmap_end(enum hm_btmap_rule rule, uint64_t end_perm,
			  uint64_t total, uint64_t ptrs_per_pte)
{
	if (rule == HM_BTMAP_PLAIN)
		return end_perm;
	if ((end_perm ^ (end_perm + total - 1)) & ~(ptrs_per_pte - 1))
		return end_perm + total - (end_perm & (total - 1));
	return end_perm;
}

/* What hm_profile_layout() refuses before computing anything; sets the
 * NR_CPUS the fixmap is sized for. */
static const char *check_params(const struct hm_kernel_profile *p,
				const struct hm_profile_params *in,
				uint64_t *nr_build)
{
	const uint64_t page = 1u << PAGE_SHIFT;

	*nr_build = in->nr_cpus_build ? in->nr_cpus_build :
		    p->nr_cpus_config ? p->nr_cpus_config : in->nr_cpus;
	if (in->nr_cpus == 0)
		return "no CPUs: nr_cpus must be at least 1";
	if (*nr_build > HM_PROFILE_MAX_NR_CPUS)
		return "NR_CPUS above 64, the x86_32 Kconfig limit";
	if (in->nr_cpus > *nr_build)
		return "more CPUs running than NR_CPUS";
	if (in->mem_bytes == 0 || in->mem_bytes % page)
		return "RAM must be a non-zero multiple of 4 KiB";
	if (in->mem_bytes > (in->pae ? HM_PROFILE_MAX_MEM_PAE :
				       HM_PROFILE_MAX_MEM_2L))
		return in->pae ? "RAM above 64 GiB, what PAE addresses" :
			"RAM above 4 GiB without PAE (the kernel would ignore "
			"the rest)";
	return NULL;
}

/* enum fixed_addresses: the permanent entries (the kmap slots among them),
 * the boot-time ones, what follows; FIX_KMAP_BEGIN/END, FIXADDR_START and
 * FIX_APIC_BASE from them. */
static const char *layout_fixmap(const struct hm_kernel_profile *p,
				 uint64_t nr_build, uint64_t ptrs_per_pte,
				 struct hm_profile_layout *out)
{
	const uint64_t top = FIXADDR_TOP_NATIVE, page = 1u << PAGE_SHIFT;
	uint64_t kmap_begin = 0, idx, slots = out->l.km_slots;

	idx = fixmap_run(p->fix_permanent, p->nr_fix_permanent, 0,
			 slots * nr_build, &kmap_begin);
	out->end_of_permanent = (unsigned)idx;
	out->fix_btmap_end = (unsigned)btmap_end(p->btmap_rule, idx,
						 p->nr_btmaps, ptrs_per_pte);
	out->fix_btmap_begin = out->fix_btmap_end + p->nr_btmaps - 1;
	idx = fixmap_run(p->fix_after_btmaps, p->nr_fix_after_btmaps,
			 out->fix_btmap_begin + 1ull, 0, &kmap_begin);
	out->end_of_fixed = (unsigned)idx;
	if ((uint64_t)out->end_of_fixed * page >= top - __PAGE_OFFSET)
		return "fixmap larger than the kernel's address space";

	out->l.fixaddr_top = (hm_vaddr_t)top;
	out->l.fixaddr_start = (hm_vaddr_t)(top - (uint64_t)out->end_of_permanent *
					    page);
	out->fixaddr_tot_start = (hm_vaddr_t)(top - (uint64_t)out->end_of_fixed *
					      page);
	out->l.fix_kmap_begin = (unsigned)kmap_begin;
	out->l.fix_kmap_end = (unsigned)(kmap_begin + slots * nr_build - 1);
	out->l.fix_apic_base = 0;
	for (unsigned i = 0, at = 0; i < p->nr_fix_permanent; i++) {
		if (streq(p->fix_permanent[i].name, "FIX_APIC_BASE"))
			out->l.fix_apic_base = at;
		at += p->fix_permanent[i].pages;
	}
	return NULL;
}

/* PKMAP_BASE (and, in 6.x, the CPU entry area and LDT remap above it) by
 * the profile's rule; VMALLOC_END two pages below it. */
static void layout_pkmap(const struct hm_kernel_profile *p, uint64_t nr_build,
			 uint64_t pmd_mask, struct hm_profile_layout *out)
{
	const uint64_t page = 1u << PAGE_SHIFT;
	uint64_t span = page * (out->l.last_pkmap + 1), pkmap_base;
	uint64_t cea = 0, ldt = 0;

	switch (p->pkmap_rule) {
	case HM_PKMAP_BELOW_FIXADDR_BOOT_START:
		pkmap_base = (out->fixaddr_tot_start - span) & pmd_mask;
		break;
	case HM_PKMAP_BELOW_FIXADDR_START:
		pkmap_base = (out->l.fixaddr_start - span) & pmd_mask;
		break;
	case HM_PKMAP_BELOW_LDT:
	default:
		cea = (out->fixaddr_tot_start -
		       page * (p->cpu_entry_area_pages * nr_build + 1)) &
		      pmd_mask;
		ldt = (cea - page) & pmd_mask;
		pkmap_base = (ldt - page) & pmd_mask;
		break;
	}
	out->l.pkmap_base = (hm_vaddr_t)pkmap_base;
	out->l.vmalloc_end = (hm_vaddr_t)(pkmap_base - 2 * page);
	out->cpu_entry_area_base = (hm_vaddr_t)cea;
	out->ldt_base = (hm_vaddr_t)ldt;
}

/* MAXMEM, then find_low_pfn_range(): lowmem ends at MAXMEM_PFN when RAM is
 * larger; high_memory = __va(max_low_pfn * PAGE_SIZE - 1) + 1; and
 * VMALLOC_START past it.  mem_init()'s checks of the whole layout. */
static const char *layout_lowmem(const struct hm_kernel_profile *p,
				 uint64_t mem_bytes,
				 struct hm_profile_layout *out)
{
	const uint64_t page = 1u << PAGE_SHIFT;
	uint64_t vmalloc_end = out->l.vmalloc_end, maxmem, high_memory, vstart;

	if (p->maxmem_rule == HM_MAXMEM_BELOW_4G)
		maxmem = (1ull << 32) - __PAGE_OFFSET - __VMALLOC_RESERVE;
	else if (vmalloc_end > __PAGE_OFFSET + (uint64_t)__VMALLOC_RESERVE)
		maxmem = vmalloc_end - __PAGE_OFFSET - __VMALLOC_RESERVE;
	else
		return "fixmap leaves no room for the vmalloc reserve";

	out->max_pfn = mem_bytes >> PAGE_SHIFT;
	out->max_low_pfn = maxmem >> PAGE_SHIFT;
	if (out->max_pfn < out->max_low_pfn)
		out->max_low_pfn = out->max_pfn;
	high_memory = __PAGE_OFFSET + (out->max_low_pfn << PAGE_SHIFT);
	if (p->vmalloc_start_rule == HM_VMALLOC_START_ROUNDED)
		vstart = (high_memory + 2 * VMALLOC_OFFSET - 1) &
			 ~(uint64_t)(VMALLOC_OFFSET - 1);
	else
		vstart = high_memory + VMALLOC_OFFSET;

	if (out->l.pkmap_base + (uint64_t)out->l.last_pkmap * page >
	    out->l.fixaddr_start)
		return "PKMAP window overlaps the fixmap";
	if (vstart >= vmalloc_end)
		return "fixmap leaves no vmalloc area (VMALLOC_START >= "
		       "VMALLOC_END)";
	out->maxmem = (hm_vaddr_t)maxmem;
	out->l.high_memory = (hm_vaddr_t)high_memory;
	out->l.vmalloc_start = (hm_vaddr_t)vstart;
	return NULL;
}

const char *hm_profile_layout(const struct hm_kernel_profile *p,
			      const struct hm_profile_params *in,
			      struct hm_profile_layout *out)
{
	uint64_t nr_build, ptrs_per_pte = in && in->pae ? 512 : 1024;
	uint64_t pmd_size = in && in->pae ? 1u << 21 : 1u << 22;
	const char *why;

	if (!p || !in || !out)
		return "no profile, parameters or result";
	why = check_params(p, in, &nr_build);
	if (why)
		return why;
	out->nr_cpus_build = (unsigned)nr_build;
	out->l.page_offset = __PAGE_OFFSET;
	out->l.last_pkmap = (unsigned)ptrs_per_pte;	/* one page table */
	out->l.pmd_shift = in->pae ? 21 : 22;
	out->l.km_slots = in->debug ? p->km_slots_debug : p->km_slots;
	out->l.km_first_idx = in->debug ? p->km_first_idx_debug :
					  p->km_first_idx;
	out->l.km_step = in->debug ? p->km_step_debug : p->km_step;
	out->l.km_max_nest = in->debug ? p->km_max_nest_debug :
					 p->km_max_nest;

	why = layout_fixmap(p, nr_build, ptrs_per_pte, out);
	if (why)
		return why;
	layout_pkmap(p, nr_build, ~(pmd_size - 1) & 0xFFFFFFFFu, out);
	return layout_lowmem(p, in->mem_bytes, out);
}

hm_vaddr_t hm_profile_kmap_slot(const struct hm_profile_layout *pl,
				unsigned cpu, unsigned nth)
{
	uint64_t idx;

	if (cpu >= pl->nr_cpus_build)
		return 0;
	idx = kmap_fix_idx(&pl->l, (uint64_t)cpu, (uint64_t)nth);
	if (idx > pl->l.fix_kmap_end)
		return 0;
	return __fix_to_virt(&pl->l, idx);
}
