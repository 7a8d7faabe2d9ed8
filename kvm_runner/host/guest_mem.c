/* SPDX-License-Identifier: MIT */
/*
 * guest_mem.c - guest physical memory, seen from the host: allocation,
 * the layout of mailbox.h (image, page tables, GDT, mailbox), and the
 * scans behind "every write landed in the right frame and nowhere else".
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/internal.h"
#include "kvm_runner/host/runner.h"

int guest__alloc(struct kvm *kvm, char *why, size_t whysz)
{
	kvm->mem_size = HM_GUEST_MEM_BYTES;
	/* Backed on first touch only: the runner's RSS is what the guest
	 * writes, not 1 GiB. */
	kvm->mem = mmap(NULL, kvm->mem_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (kvm->mem == MAP_FAILED) {
		kvm->mem = NULL;
		snprintf(why, whysz, "mmap of %llu MiB of guest memory: %s",
			 (unsigned long long)(kvm->mem_size >> 20),
			 strerror(errno));
		return -1;
	}
	/* Huge pages would back 2 MiB per touched frame, and a discard of
	 * one frame would split them. */
	madvise(kvm->mem, kvm->mem_size, MADV_NOHUGEPAGE);
	return 0;
}

void guest__free(struct kvm *kvm)
{
	if (kvm->mem)
		munmap(kvm->mem, kvm->mem_size);
	kvm->mem = NULL;
}

static void gdt_init(uint64_t *gdt)
{
	gdt[0] = 0;
	/* 64-bit code (L): the target of compat mode's IDT gates. */
	gdt[HM_GUEST_CS64 / 8] = 0x00af9b000000ffffull;
	gdt[HM_GUEST_CS32 / 8] = 0x00cf9b000000ffffull;	/* 32-bit code */
	gdt[HM_GUEST_DS / 8] = 0x00cf93000000ffffull;	/* data */
}

int guest__layout(struct kvm *kvm, enum hm_paging_mode mode, char *why,
		  size_t whysz)
{
	struct hm_mailbox *mb = guest__mailbox(kvm);
	uint8_t *m = kvm->mem;
	struct page *mem_map = (struct page *)(m + HM_GUEST_MEM_MAP_PHYS);
	struct hm_profile_layout pl;
	struct hm_profile_params in = {
		.pae = true, .mem_bytes = kvm->mem_size, .nr_cpus = 1,
	};
	const char *bad;
	uint64_t *pdpt, *pml4, *boot_pd;

	if (hm_guest_image_size > HM_GUEST_IMAGE_MAX) {
		snprintf(why, whysz, "the guest image is %u bytes, the layout "
			 "has room for %u", hm_guest_image_size,
			 HM_GUEST_IMAGE_MAX);
		return -1;
	}
	memcpy(m + HM_GUEST_IMAGE_PHYS, hm_guest_image, hm_guest_image_size);

	/* mem_map: the frames below the first free one are the kernel's. */
	for (uint64_t pfn = 0; pfn < HM_GUEST_FIRST_FREE_PFN; pfn++)
		mem_map[pfn].flags = PG_reserved;

	/* The kernel's tables, built by the same code the simulator uses,
	 * straight into guest memory. */
	bad = hm_profile_layout(hm_kernel_profile_of(kvm->kernel), &in, &pl);
	if (bad) {
		snprintf(why, whysz, "%s: %s", hm_kernel_name(kvm->kernel), bad);
		return -1;
	}
	kvm->layout = pl.l;
	if (hm_x86_table_pages(&kvm->layout, true) > HM_GUEST_TABLES_MAX ||
	    !hm_x86_build_tables(&kvm->layout, true, m + HM_GUEST_TABLES_PHYS,
				 HM_GUEST_TABLES_PHYS, &kvm->tables)) {
		snprintf(why, whysz, "hm_x86_build_tables refused the layout "
			 "of %s", hm_kernel_name(kvm->kernel));
		return -1;
	}
	/* The boot identity map of the first 2 MiB (the guest drops it),
	 * and for compat mode the PML4 whose one entry holds the PDPT. */
	pdpt = (uint64_t *)(m + HM_GUEST_TABLES_PHYS);
	boot_pd = (uint64_t *)(m + HM_GUEST_BOOT_PD_PHYS);
	pml4 = (uint64_t *)(m + HM_GUEST_PML4_PHYS);
	boot_pd[0] = 0 | _PAGE_PRESENT | _PAGE_RW | _PAGE_PSE;
	pdpt[0] = HM_GUEST_BOOT_PD_PHYS | _PAGE_PRESENT;
	pml4[0] = HM_GUEST_TABLES_PHYS | _PAGE_PRESENT | _PAGE_RW;

	gdt_init((uint64_t *)(m + HM_GUEST_GDT_PHYS));
	memcpy(m + HM_GUEST_PROBE_A_PHYS, &(uint32_t){ HM_PROBE_A_MAGIC }, 4);
	memcpy(m + HM_GUEST_PROBE_B_PHYS, &(uint32_t){ HM_PROBE_B_MAGIC }, 4);

	memset(mb, 0, sizeof(*mb));
	mb->magic = HM_MB_MAGIC;
	mb->paging_mode = mode;
	mb->cr3 = mode == HM_PAGING_COMPAT ? HM_GUEST_PML4_PHYS :
					     (uint32_t)kvm->tables.cr3;
	mb->pdpt_phys = (uint32_t)kvm->tables.cr3;
	mb->pkmap_pt_phys = (uint32_t)kvm->tables.pkmap_pt_pa;
	mb->fixmap_pt_phys = (uint32_t)kvm->tables.fixmap_pt_pa;
	mb->mem_mib = (uint32_t)(kvm->mem_size >> 20);
	mb->first_free_pfn = HM_GUEST_FIRST_FREE_PFN;
	mb->boot_flags = (kvm->verbose ? HM_MB_VERBOSE : 0) |
			 ((uint32_t)kvm->kernel << HM_MB_KERNEL_SHIFT);
	mb->smp_nr_cpus = kvm->nr_vcpus > 1 ? kvm->nr_vcpus : 0;
	return 0;
}

uint64_t guest__pkmap_pte(struct kvm *kvm, unsigned nr)
{
	uint64_t e;

	memcpy(&e, kvm->mem + kvm->tables.pkmap_pt_pa + nr * 8ull, 8);
	return e;
}

/* The fixmap's tables are consecutive from FIXMAP_PT_BASE up. */
uint64_t guest__fixmap_pte(struct kvm *kvm, const struct hm_layout *l,
			   unsigned idx)
{
	uint64_t e;

	memcpy(&e, kvm->mem + kvm->tables.fixmap_pt_pa +
	       FIXMAP_PT_INDEX(l, __fix_to_virt(l, idx)) * 8ull, 8);
	return e;
}

bool guest__fits(const struct kvm *kvm, enum hm_kernel k,
		 const struct hm_layout *l, char *why, size_t whysz)
{
	const struct hm_layout *t = &kvm->layout;

	if (k != kvm->kernel)
		snprintf(why, whysz, "a %s sequence in a VM of %s: run "
			 "kvm_runner --kernel %s", hm_kernel_name(k),
			 hm_kernel_name(kvm->kernel), hm_kernel_name(k));
	else if (l->pkmap_base != t->pkmap_base ||
		 l->high_memory != t->high_memory ||
		 FIXMAP_PT_BASE(l) != FIXMAP_PT_BASE(t))
		snprintf(why, whysz, "its layout (PKMAP_BASE %#x, lowmem to "
			 "%#x, fixmap from %#x) needs other page tables than "
			 "the VM's %s ones (%#x, %#x, %#x)", l->pkmap_base,
			 l->high_memory, FIXMAP_PT_BASE(l),
			 hm_kernel_name(kvm->kernel), t->pkmap_base,
			 t->high_memory, FIXMAP_PT_BASE(t));
	else
		return true;
	return false;
}

size_t guest__resident(struct kvm *kvm, uint64_t first, uint64_t *pfns,
		       size_t max)
{
	static unsigned char vec[HM_GUEST_MEM_BYTES >> 12];
	uint64_t npages = kvm->mem_size >> 12;
	size_t n = 0;

	if (mincore(kvm->mem, kvm->mem_size, vec) < 0)
		return (size_t)-1;
	for (uint64_t pfn = first; pfn < npages && n < max; pfn++)
		if (vec[pfn] & 1)
			pfns[n++] = pfn;
	return n;
}

void guest__discard(struct kvm *kvm, uint64_t pfn)
{
	madvise(kvm->mem + (pfn << 12), 4096, MADV_DONTNEED);
}
