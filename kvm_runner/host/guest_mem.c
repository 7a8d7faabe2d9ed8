/* SPDX-License-Identifier: MIT */
/*
 * guest_mem.c - guest physical memory, seen from the host: the layout of
 * mailbox.h (image, page tables, GDT, mailbox, mem_map), the PTE reads,
 * and the scans behind "every write landed in the right frame and
 * nowhere else".  The same for every backend: only where the memory comes
 * from differs (anonymous for KVM, a shared file for QEMU).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/internal.h"
#include "kvm_runner/host/guest_image.h"
#include "kvm_runner/host/machine.h"

static void gdt_init(uint64_t *gdt)
{
	gdt[0] = 0;
	/* 64-bit code (L): the target of compat mode's IDT gates. */
	gdt[HM_GUEST_CS64 / 8] = 0x00af9b000000ffffull;
	gdt[HM_GUEST_CS32 / 8] = 0x00cf9b000000ffffull;	/* 32-bit code */
	gdt[HM_GUEST_DS / 8] = 0x00cf93000000ffffull;	/* data */
}

/* Directory entries of our own beside the kernel's: mem_map above the
 * core's memory (4 KiB pages: mailbox.h says why), and the stale-read
 * check's table. */
static void extra_mappings(struct hm_machine *m)
{
	uint8_t *mem = m->mem;
	uint64_t *pd = (uint64_t *)(mem + m->tables.kernel_pd);
	uint64_t *pt = (uint64_t *)(mem + HM_GUEST_MEM_MAP_PT_PHYS);
	unsigned mm = (HM_GUEST_MEM_MAP_VIRT - HM_GUEST_PAGE_OFFSET) >> 21;
	unsigned sc = (HM_GUEST_SCRATCH_VIRT - HM_GUEST_PAGE_OFFSET) >> 21;

	for (unsigned i = 0; i < 512; i++)
		pt[i] = (HM_GUEST_MEM_MAP_PHYS + i * 4096ull) | HM_KERNPG_TABLE |
			_PAGE_GLOBAL;
	pd[mm] = HM_GUEST_MEM_MAP_PT_PHYS | HM_KERNPG_TABLE;
	pd[sc] = HM_GUEST_SCRATCH_PT_PHYS | HM_KERNPG_TABLE;
	memset(mem + HM_GUEST_SCRATCH_PT_PHYS, 0, 4096);
}

_Static_assert(HM_X86_TABLE_PAGES <= HM_GUEST_TABLES_MAX,
	       "every profile's tables fit the guest's room for them");

/* The kernel's tables for the machine's kernel profile (its debug variant
 * with m->debug), built by the same code the simulator uses, straight
 * into guest memory. */
static int build_tables(struct hm_machine *m, char *why, size_t whysz)
{
	struct hm_profile_layout pl;
	struct hm_profile_params in = {
		.pae = true, .mem_bytes = HM_GUEST_MEM_BYTES, .nr_cpus = 1,
		.debug = m->debug,
	};
	const char *bad;

	bad = hm_profile_layout(hm_kernel_profile_of(m->kernel), &in, &pl);
	if (bad) {
		snprintf(why, whysz, "%s: %s", hm_kernel_name(m->kernel), bad);
		return -1;
	}
	m->layout = pl.l;
	if (hm_x86_table_pages(&m->layout, true) > HM_GUEST_TABLES_MAX ||
	    !hm_x86_build_tables(&m->layout, true, m->mem + HM_GUEST_TABLES_PHYS,
				 HM_GUEST_TABLES_PHYS, &m->tables)) {
		snprintf(why, whysz, "hm_x86_build_tables refused the layout "
			 "of %s", hm_kernel_name(m->kernel));
		return -1;
	}
	return 0;
}

static void mailbox_init(struct hm_machine *m, enum hm_paging_mode mode)
{
	struct hm_mailbox *mb = machine__mailbox(m);

	memset(mb, 0, sizeof(*mb));
	mb->magic = HM_MB_MAGIC;
	mb->paging_mode = mode;
	mb->cr3 = mode == HM_PAGING_COMPAT ? HM_GUEST_PML4_PHYS :
					     (uint32_t)m->tables.cr3;
	mb->pdpt_phys = (uint32_t)m->tables.cr3;
	mb->pkmap_pt_phys = (uint32_t)m->tables.pkmap_pt_pa;
	mb->fixmap_pt_phys = (uint32_t)m->tables.fixmap_pt_pa;
	mb->mem_mib = (uint32_t)(HM_GUEST_MEM_BYTES >> 20);
	mb->first_free_pfn = HM_GUEST_FIRST_FREE_PFN;
	mb->boot_flags = m->boot_flags | (m->verbose ? HM_MB_BOOT_VERBOSE : 0) |
			 (m->debug ? HM_MB_BOOT_DEBUG : 0) |
			 ((uint32_t)m->kernel << HM_MB_KERNEL_SHIFT);
	mb->smp_nr_cpus = m->nr_vcpus > 1 ? m->nr_vcpus : 0;
}

int guest__layout(struct hm_machine *m, enum hm_paging_mode mode, bool image,
		  char *why, size_t whysz)
{
	uint8_t *mem = m->mem;
	struct page *mem_map = (struct page *)(mem + HM_GUEST_MEM_MAP_PHYS);
	uint64_t *pdpt, *pml4, *boot_pd;

	if (hm_guest_image_size > HM_GUEST_IMAGE_MAX) {
		snprintf(why, whysz, "the guest image is %u bytes, the layout "
			 "has room for %u", hm_guest_image_size,
			 HM_GUEST_IMAGE_MAX);
		return -1;
	}
	if (image)
		memcpy(mem + HM_GUEST_IMAGE_PHYS, hm_guest_image,
		       hm_guest_image_size);

	/* mem_map: the frames below the first free one are the kernel's;
	 * whatever firmware left there goes. */
	memset(mem_map, 0, (HM_GUEST_MEM_BYTES >> PAGE_SHIFT) * sizeof(*mem_map));
	for (uint64_t pfn = 0; pfn < HM_GUEST_FIRST_FREE_PFN; pfn++)
		mem_map[pfn].flags = PG_reserved;

	if (build_tables(m, why, whysz))
		return -1;
	extra_mappings(m);
	/* The boot identity map of the first 2 MiB (the guest drops it),
	 * and for compat mode the PML4 whose one entry holds the PDPT. */
	pdpt = (uint64_t *)(mem + HM_GUEST_TABLES_PHYS);
	boot_pd = (uint64_t *)(mem + HM_GUEST_BOOT_PD_PHYS);
	pml4 = (uint64_t *)(mem + HM_GUEST_PML4_PHYS);
	memset(boot_pd, 0, 4096);
	memset(pml4, 0, 4096);
	boot_pd[0] = 0 | _PAGE_PRESENT | _PAGE_RW | _PAGE_PSE;
	pdpt[0] = HM_GUEST_BOOT_PD_PHYS | _PAGE_PRESENT;
	pml4[0] = HM_GUEST_TABLES_PHYS | _PAGE_PRESENT | _PAGE_RW;

	gdt_init((uint64_t *)(mem + HM_GUEST_GDT_PHYS));
	memcpy(mem + HM_GUEST_PROBE_A_PHYS, &(uint32_t){ HM_PROBE_A_MAGIC }, 4);
	memcpy(mem + HM_GUEST_PROBE_B_PHYS, &(uint32_t){ HM_PROBE_B_MAGIC }, 4);
	mailbox_init(m, mode);
	return 0;
}


uint64_t guest__pkmap_pte(struct hm_machine *m, unsigned nr)
{
	uint64_t e;

	memcpy(&e, m->mem + m->tables.pkmap_pt_pa + nr * 8ull, 8);
	return e;
}

/* The fixmap's tables are consecutive from FIXMAP_PT_BASE up. */
uint64_t guest__fixmap_pte(struct hm_machine *m, const struct hm_layout *l,
			   unsigned idx)
{
	uint64_t e;

	memcpy(&e, m->mem + m->tables.fixmap_pt_pa +
	       FIXMAP_PT_INDEX(l, __fix_to_virt(l, idx)) * 8ull, 8);
	return e;
}

bool guest__debug_tables(enum hm_kernel k)
{
	struct hm_profile_params in = {
		.pae = true, .mem_bytes = HM_GUEST_MEM_BYTES, .nr_cpus = 1,
	};
	struct hm_profile_layout plain, debug;
	const struct hm_kernel_profile *p = hm_kernel_profile_of(k);

	if (hm_profile_layout(p, &in, &plain))
		return false;
	in.debug = true;
	if (hm_profile_layout(p, &in, &debug))
		return false;
	return plain.l.pkmap_base != debug.l.pkmap_base ||
	       plain.l.high_memory != debug.l.high_memory ||
	       FIXMAP_PT_BASE(&plain.l) != FIXMAP_PT_BASE(&debug.l);
}

bool guest__fits(const struct hm_machine *m, enum hm_kernel k,
		 const struct hm_layout *l, char *why, size_t whysz)
{
	const struct hm_layout *t = &m->layout;

	if (k != m->kernel)
		snprintf(why, whysz, "a %s sequence in a VM of %s: run "
			 "kvm_runner --kernel %s", hm_kernel_name(k),
			 hm_kernel_name(m->kernel), hm_kernel_name(k));
	else if (l->pkmap_base != t->pkmap_base ||
		 l->high_memory != t->high_memory ||
		 FIXMAP_PT_BASE(l) != FIXMAP_PT_BASE(t))
		snprintf(why, whysz, "its layout (PKMAP_BASE %#x, lowmem to "
			 "%#x, fixmap from %#x) needs other page tables than "
			 "the VM's %s ones (%#x, %#x, %#x)", l->pkmap_base,
			 l->high_memory, FIXMAP_PT_BASE(l),
			 hm_kernel_name(m->kernel), t->pkmap_base,
			 t->high_memory, FIXMAP_PT_BASE(t));
	else
		return true;
	return false;
}

/* A file (QEMU's RAM): its data extents, which SEEK_DATA finds at once
 * where mincore() would look up every page of the GiB. */
static size_t file_resident(struct hm_machine *m, uint64_t first,
			    uint64_t *pfns, size_t max)
{
	off_t pos = (off_t)(first << 12), end;
	size_t n = 0;

	while (n < max && pos < (off_t)HM_GUEST_MEM_BYTES) {
		pos = lseek(m->mem_fd, pos, SEEK_DATA);
		if (pos < 0)
			return errno == ENXIO ? n : (size_t)-1;
		if (pos >= (off_t)HM_GUEST_MEM_BYTES)
			break;	/* mem_map's MiB: no SEEK_HOLE through it */
		end = lseek(m->mem_fd, pos, SEEK_HOLE);
		if (end < 0)
			return (size_t)-1;
		for (; pos < end && pos < (off_t)HM_GUEST_MEM_BYTES && n < max;
		     pos += 4096)
			pfns[n++] = (uint64_t)pos >> 12;
		pos = end;
	}
	return n;
}

size_t guest__resident(struct hm_machine *m, uint64_t first, uint64_t *pfns,
		       size_t max)
{
	static unsigned char vec[HM_GUEST_MEM_BYTES >> 12];
	uint64_t npages = HM_GUEST_MEM_BYTES >> 12;
	size_t n = 0;

	if (m->mem_fd >= 0)
		return file_resident(m, first, pfns, max);
	if (mincore(m->mem, HM_GUEST_MEM_BYTES, vec) < 0)
		return (size_t)-1;
	for (uint64_t pfn = first; pfn < npages && n < max; pfn++)
		if (vec[pfn] & 1)
			pfns[n++] = pfn;
	return n;
}

/* @npages frames from @pfn back to zeros, out of what guest__resident()
 * finds.  A shared file mapping keeps its data through MADV_DONTNEED: punch
 * the frames out of the file instead (the guest's view reads zeros too),
 * a run of them in one call (each call costs ~10 µs, whatever its size). */
void guest__discard(struct hm_machine *m, uint64_t pfn, uint64_t npages)
{
	if (m->mem_fd >= 0)
		fallocate(m->mem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)(pfn << 12), (off_t)(npages << 12));
	else
		madvise(m->mem + (pfn << 12), npages << 12, MADV_DONTNEED);
}
