/* SPDX-License-Identifier: MIT */
/*
 * arch.c - core/arch.h for the guest: PTE stores into the real page
 * tables the MMU walks, invlpg and whole-TLB flushes; with several vCPUs
 * (smp.c) the flush is also sent to the others by IPI, and the CPU is the
 * vCPU we run on.  Sleep, wake-up and reset are the uniprocessor defaults
 * of core/arch_up.c (one op at a time, whatever the vCPUs).
 */
#include "core/x86_flush.h"
#include "kvm_runner/guest/guest.h"
#include "kvm_runner/ops_exec.h"

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

static void flush_one(void *arg, hm_vaddr_t vaddr)
{
	(void)arg;
	invlpg(vaddr);
}

static void flush_all(void *arg)
{
	(void)arg;
	guest_flush_tlb_all();
}

/* x86's flush_tlb_kernel_range() (core/x86_flush.h): this vCPU's TLB here,
 * the other vCPUs', if any, by IPI (smp.c), acks awaited.  Counted as
 * every x86 backend counts it, for every CPU of the configuration: with
 * one vCPU playing them all, as the simulator counts its CPUs' TLBs. */
void hm_arch_flush_tlb_kernel_range(struct hm_ctx *ctx, hm_vaddr_t start,
				    hm_vaddr_t end)
{
	bool whole = hm_x86_flush_count(ctx, start, end);

	hm_x86_flush_range_local(start, end, flush_one, flush_all, 0);
	if (guest_smp() && !HM_GUEST_INJECT_NO_IPI)
		guest_smp_shootdown(start, end, whole);
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

/* A fatal BUG() (HM_MB_BUG_FATAL, from main.c's hook; or with no hook,
 * from core/arch_up.c's hm_arch_bug()): what the kernel would print, to
 * the host, and stop. */
void hm_bug_default(void *arg, const struct hm_bug *bug)
{
	(void)arg;
	hm_snprintf(MB->bug_msg, sizeof(MB->bug_msg), HM_EXEC_REPORT_FMT,
		    HM_EXEC_REPORT_ARGS(bug));
	MB->bug_count++;
	guest_report_final(HM_PORT_BUG, 0);
}
