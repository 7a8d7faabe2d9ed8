/* SPDX-License-Identifier: MIT */
/*
 * stale.c - catch a stale translation by what it reads.
 *
 * Where the MMU can keep a translation after its PTE changed (a real TLB,
 * QEMU's software TLB: the boot probe says so), every read and write an op
 * makes through a mapping is checked against the frame its PTE names now:
 * the guest walks its own tables, maps that frame at a scratch address of
 * its own (one per vCPU, flushed before each use), and reads the word
 * there.  A read that got something else, or a write that is not there,
 * went through a translation the TLB should no longer have held: a
 * missing invlpg, flush or shootdown.  The first one of a sequence goes
 * to the host (mailbox stale_*) with the frame it really reached, found
 * there and then among the frames mapped at that page before.
 * Where no stale translation can be observed (KVM's PVM backend walks the
 * tables on every access) the check would only cost time: it is off.
 */
#include "fuzz/op_meaning.h"
#include "kvm_runner/guest/guest.h"

static bool stale_on;

void guest_stale_init(void)
{
	stale_on = MB->probe_second == HM_PROBE_A_MAGIC;
}

/* The PTE (or large-page entry, as a 4 KiB frame) that maps @vaddr now;
 * 0 if none. */
static uint64_t translate(uint32_t vaddr)
{
	const uint64_t *pdpt = (const uint64_t *)GUEST_VA(MB->pdpt_phys);
	const uint64_t *pd, *pt;
	uint64_t e = pdpt[vaddr >> 30];

	if (!(e & _PAGE_PRESENT))
		return 0;
	pd = (const uint64_t *)GUEST_VA((uint32_t)(e & PTE_PFN_MASK_PAE));
	e = pd[(vaddr >> 21) & 511];
	if (!(e & _PAGE_PRESENT))
		return 0;
	if (e & _PAGE_PSE)
		return ((e & PTE_PFN_MASK_PAE & ~0x1fffffull) +
			(vaddr & 0x1ff000)) | _PAGE_PRESENT;
	pt = (const uint64_t *)GUEST_VA((uint32_t)(e & PTE_PFN_MASK_PAE));
	return pt[(vaddr >> 12) & 511];
}

/* The word at @off of frame @pfn, through a fresh mapping. */
static uint32_t fresh_read(uint64_t pfn, uint32_t off)
{
	unsigned cpu = guest_this_cpu();
	uint64_t *pt = (uint64_t *)GUEST_VA(HM_GUEST_SCRATCH_PT_PHYS);
	uint32_t va = HM_GUEST_SCRATCH_VIRT + cpu * 4096;
	uint32_t v;

	guest_set_pte(&pt[cpu], (pfn << 12) | _PAGE_PRESENT | _PAGE_RW |
				       _PAGE_ACCESSED | _PAGE_DIRTY);
	invlpg(va);
	v = *(volatile uint32_t *)(va + off);
	guest_set_pte(&pt[cpu], 0);
	invlpg(va);
	return v;
}

/* The frame the stale access reached, while it still holds what was seen:
 * the newest frame an earlier op of the sequence mapped at @vaddr's page,
 * other than @now, that holds @seen at @vaddr's word (mailbox
 * stale_reached).  Only the frames mapped there are candidates, so a word
 * that happens to hold the same value elsewhere is not named. */
static uint32_t reached_frame(struct hm_mailbox *mb, uint32_t vaddr,
			      uint32_t seen, uint32_t now, uint32_t *by)
{
	struct hm_ctx *ctx = &guest_ctx;

	for (uint32_t i = mb->ops_done < mb->nr_ops ? mb->ops_done : mb->nr_ops;
	     i-- > 0;) {
		const struct hm_kop *op = &mb->ops[i];
		uint32_t pfn;

		if (hm_op_live_kind(op->code) < 0 ||
		    (mb->results[i].value ^ vaddr) & ~0xfffu)
			continue;
		pfn = hm_op_pfn(op->a, (uint32_t)hm_first_free_pfn(ctx),
				(uint32_t)hm_max_low_pfn(ctx),
				(uint32_t)hm_max_pfn(ctx));
		if (pfn != now && fresh_read(pfn, vaddr & 0xffc) == seen) {
			*by = i;
			return pfn;
		}
	}
	return 0;
}

void guest_stale_check(uint32_t vaddr, uint32_t seen, bool write)
{
	struct hm_mailbox *mb = MB;
	uint64_t pte;
	uint32_t truth = 0;

	if (!stale_on)
		return;
	mb->stale_checked++;
	pte = translate(vaddr);
	if (pte & _PAGE_PRESENT)
		truth = fresh_read((pte & PTE_PFN_MASK_PAE) >> 12, vaddr & 0xffc);
	/* No PTE at all and the access still worked: stale as well. */
	if ((pte & _PAGE_PRESENT) && truth == seen)
		return;
	if (mb->stale_count++)
		return;
	mb->stale_op = mb->ops_done;
	mb->stale_vaddr = vaddr;
	mb->stale_write = write;
	mb->stale_pfn = (uint32_t)((pte & PTE_PFN_MASK_PAE) >> 12);
	mb->stale_seen = seen;
	mb->stale_truth = truth;
	mb->stale_reached_by = 0;
	mb->stale_reached = reached_frame(mb, vaddr, seen, mb->stale_pfn,
					  &mb->stale_reached_by);
}

void guest_stale_reset(struct hm_mailbox *mb)
{
	mb->stale_checked = 0;
	mb->stale_count = 0;
}
