/* SPDX-License-Identifier: MIT */
/*
 * guest.h - what the guest's files share: the instructions C cannot say,
 * the mailbox, and the console.
 */
#ifndef HM_KVM_GUEST_H
#define HM_KVM_GUEST_H

#include <stdint.h>

#include "core/internal.h"
#include "kvm_runner/mailbox.h"

#define GUEST_VA(pa)	((uintptr_t)(pa) + HM_GUEST_PAGE_OFFSET)
#define MB		((struct hm_mailbox *)GUEST_VA(HM_GUEST_MAILBOX_PHYS))

/* An OUT leaves the guest; the "memory" clobber makes every store to the
 * mailbox happen before the host looks. */
static inline void outb(uint16_t port, uint8_t val)
{
	__asm__ volatile("outb %b0, %w1" : : "a"(val), "Nd"(port) : "memory");
}

static inline void invlpg(uint32_t vaddr)
{
	__asm__ volatile("invlpg (%0)" : : "r"(vaddr) : "memory");
}

static inline uint32_t read_cr3(void)
{
	uint32_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(uint32_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint32_t read_cr4(void)
{
	uint32_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void write_cr4(uint32_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

#define X86_CR4_PGE	(1u << 7)

/* The context the guest runs, and the CPU the ops say is current: with
 * one vCPU, the one it plays (it plays every CPU in turn); with several
 * (smp_ops.c), the one whose vCPU runs the next op. */
extern struct hm_ctx guest_ctx;
extern unsigned guest_cpu;

/*
 * Deliberate bugs of the guest itself (not the core's: those are
 * HM_INJECT_BUG in core/internal.h), to prove the host catches them.
 * Never defined in a normal build.
 *   HM_GUEST_INJECT_NO_IPI  flush_tlb_kernel_range() flushes this CPU's
 *                           TLB only: no shootdown IPI to the others
 *   HM_GUEST_INJECT_NO_ACK  the shootdown IPI's handler flushes but never
 *                           acknowledges (entry.S): the initiator waits
 *                           until the host's watchdog
 *   HM_GUEST_INJECT_STRICT  the guest's core ignores the sequence's
 *                           reporting mode (HM_MB_REPORT_KERNEL) and
 *                           runs strict: BUGs where the kernel WARNs
 * (The guest's interpreter has one of its own: HM_EXEC_INJECT_NO_PARK,
 * in ops_exec.h.)
 */
#ifndef HM_GUEST_INJECT_NO_IPI
#define HM_GUEST_INJECT_NO_IPI 0
#endif
#ifndef HM_GUEST_INJECT_NO_ACK
#define HM_GUEST_INJECT_NO_ACK 0
#endif
#ifndef HM_GUEST_INJECT_STRICT
#define HM_GUEST_INJECT_STRICT 0
#endif

/* The CPU we run on, from the stack pointer: each vCPU has its own
 * HM_SMP_STACK_SIZE stack below HM_GUEST_STACK_TOP (entry.S), and the old
 * i386 kernel found its thread_info from %esp the same way.  Free, where
 * the xAPIC ID is an MMIO read the host must emulate. */
static inline unsigned guest_this_cpu(void)
{
	uint32_t sp;

	__asm__("mov %%esp, %0" : "=r"(sp));
	return (GUEST_VA(HM_GUEST_STACK_TOP) - sp) / HM_SMP_STACK_SIZE;
}

/* report.c: tell the host (an OUT on KVM, the serial doorbell on QEMU)
 * and wait to be resumed; _final: and never run on.  guest_exit: leave
 * QEMU (isa-debug-exit). */
void guest_report(uint16_t port, uint8_t value);
void guest_report_final(uint16_t port, uint8_t value)
	__attribute__((noreturn));
void guest_exit(void) __attribute__((noreturn));
/* stale.c: check an access through a mapping against a fresh view of
 * the frame its PTE names now (where stale translations can be seen). */
void guest_stale_init(void);
void guest_stale_reset(struct hm_mailbox *mb);
void guest_stale_check(uint32_t vaddr, uint32_t seen, bool write);

void guest_puts(const char *s);
void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Our own check failed: message to the host, stop. */
void guest_panic(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void guest_flush_tlb_all(void);
void guest_set_pte(void *ptep, uint64_t pte);

/* main.c: a fresh core for the next command (HM_MB_* @flags), and the
 * core's counts into mb->stats. */
void guest_core_prepare(unsigned nr_cpus, uint32_t flags);
void guest_put_stats(struct hm_mailbox *mb, const struct hm_stats *st);
/* bench.c: one HM_MB_CMD_BENCH command. */
void guest_bench(struct hm_mailbox *mb);

/* The time-stamp counter.  Not serialising: the loops it brackets are
 * long enough that a few instructions of reordering do not show. */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* smp.c: several vCPUs (mb->smp_nr_cpus > 1), the xAPIC at FIX_APIC_BASE,
 * TLB shootdown IPIs. */
bool guest_smp(void);
uint32_t guest_smp_acks(void);	/* IPIs acknowledged by the others */
void guest_smp_boot(void);
unsigned guest_apic_id(void);
void guest_smp_shootdown(hm_vaddr_t start, hm_vaddr_t end, bool full);
void guest_smp_call_function_single(unsigned cpu, void (*func)(void *info),
				    void *info);
void guest_smp_counts_reset(struct hm_mailbox *mb);
void guest_smp_scenario(struct hm_mailbox *mb);
/* smp_ops.c: a sequence's ops, each on the vCPU of its CPU. */
struct hm_exec;
int guest_smp_exec_run(struct hm_exec *x, const struct hm_kop *ops,
		       uint32_t n, struct hm_kop_result *res,
		       uint32_t *stopped_at);
/* main.c: lidt of the IDT cpu 0 filled, on any CPU. */
void guest_idt_load(uint32_t mode);

/* entry.S */
extern const uint32_t hm_stubs32[32], hm_stubs64[32];
void hm_guest_hang(void) __attribute__((noreturn));
void hm_guest_triple(void) __attribute__((noreturn));
void hm_ipi_handler64(void);	/* 64-bit code: only its address */
void hm_wake_handler64(void);	/* the same */
void hm_ipi_handler32(void);	/* legacy PAE (QEMU): interrupt gates */
void hm_wake_handler32(void);
extern const uint8_t hm_trampoline[], hm_trampoline_end[];

#endif /* HM_KVM_GUEST_H */
