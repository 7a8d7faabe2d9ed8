/* SPDX-License-Identifier: MIT */
/*
 * arch.c - core/arch.h for the guest: PTE stores into the real page
 * tables the MMU walks, invlpg and whole-TLB flushes; with several vCPUs
 * (smp.c) the flush is also sent to the others by IPI, and the CPU is the
 * vCPU we run on.
 */
#include "kvm_runner/guest/guest.h"

/*
 * A PAE entry is 64 bits and we are a 32-bit CPU: two stores.  As the
 * kernel's native_set_pte() does, write the high half first when setting,
 * so a page walk between the stores never sees a present entry with a
 * stale frame; when clearing, drop the present bit (low half) first.
 */
void guest_set_pte(void *ptep, uint64_t pte)
{
	volatile uint32_t *p = ptep;

	if (pte & _PAGE_PRESENT) {
		p[1] = (uint32_t)(pte >> 32);
		__asm__ volatile("" ::: "memory");
		p[0] = (uint32_t)pte;
	} else {
		p[0] = (uint32_t)pte;
		__asm__ volatile("" ::: "memory");
		p[1] = (uint32_t)(pte >> 32);
	}
}

void hm_arch_set_pte(struct hm_ctx *ctx, hm_vaddr_t vaddr, void *ptep,
		     uint64_t pte)
{
	(void)ctx;
	(void)vaddr;
	guest_set_pte(ptep, pte);
}

void hm_arch_flush_tlb_one(struct hm_ctx *ctx, hm_vaddr_t vaddr)
{
	(void)ctx;
	invlpg(vaddr);
}

/* __flush_tlb_all(): kmap_prot is global, and a CR3 reload keeps global
 * entries, so toggle CR4.PGE when it is on. */
void guest_flush_tlb_all(void)
{
	uint32_t cr4 = read_cr4();

	if (cr4 & X86_CR4_PGE) {
		write_cr4(cr4 & ~X86_CR4_PGE);
		write_cr4(cr4);
	} else {
		write_cr3(read_cr3());
	}
}

/* x86's flush_tlb_kernel_range(): invlpg page by page up to the ceiling,
 * the whole TLB beyond.  A whole-TLB flush counts once (tlb_flush_all:
 * the flushes this vCPU really did); the other vCPUs', if any, are IPIs
 * (mb->smp_ipis_sent). */
void hm_arch_flush_tlb_kernel_range(struct hm_ctx *ctx, hm_vaddr_t start,
				    hm_vaddr_t end)
{
	uint64_t pages = ((uint64_t)end - start) >> PAGE_SHIFT;

	if (pages > TLB_SINGLE_PAGE_FLUSH_CEILING) {
		guest_flush_tlb_all();
		this_cpu(ctx)->stats.tlb_flush_all++;
	} else {
		for (uint64_t va = start; va < end; va += PAGE_SIZE)
			invlpg((uint32_t)va);
	}
	/* With several vCPUs, the others by IPI (smp.c), acks awaited. */
	if (guest_smp() && !HM_GUEST_INJECT_NO_IPI)
		guest_smp_shootdown(start, end,
				    pages > TLB_SINGLE_PAGE_FLUSH_CEILING);
}

/* With several vCPUs, the one we run on (the core is only ever run on the
 * vCPU of the CPU it is meant for: smp_ops.c); with one, the CPU it
 * plays. */
unsigned hm_arch_smp_processor_id(struct hm_ctx *ctx)
{
	(void)ctx;
	return guest_smp() ? guest_this_cpu() : guest_cpu;
}

/* Ops run one at a time, on one vCPU at a time even with several
 * (smp_ops.c), and no IPI handler takes a lock: a lock found taken can
 * never be released, so it is a deadlock in the core, not contention. */
void hm_arch_spin_lock(struct hm_ctx *ctx, hm_spinlock_t *lock)
{
	(void)ctx;
	if (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE))
		guest_panic("spinlock %p taken twice on one CPU: deadlock",
			    (void *)lock);
}

void hm_arch_spin_unlock(struct hm_ctx *ctx, hm_spinlock_t *lock)
{
	(void)ctx;
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

/* Nobody else runs who could wake us (one op at a time, whatever the
 * vCPUs): give up at once, as the simulator does with wait_timeout_ms 0,
 * and let the core report it. */
bool hm_arch_sleep(struct hm_ctx *ctx, struct hm_waitqueue *wq, uint32_t seq,
		   hm_spinlock_t *lock)
{
	(void)ctx;
	(void)wq;
	(void)seq;
	(void)lock;
	return false;
}

void hm_arch_wake_up(struct hm_ctx *ctx, struct hm_waitqueue *wq)
{
	(void)ctx;
	wq->seq++;
}

/* BUG() with no handler set (HM_MB_BUG_FATAL): what the kernel would
 * print, to the host, and stop. */
void hm_arch_bug(struct hm_ctx *ctx, const struct hm_bug *bug)
{
	(void)ctx;
	hm_snprintf(MB->bug_msg, sizeof(MB->bug_msg),
		    "kernel BUG at %s:%u in %s() on cpu %u: %s", bug->file,
		    bug->line, bug->func, bug->cpu, bug->msg);
	MB->bug_count++;
	guest_report_final(HM_PORT_BUG, 0);
}
