/* SPDX-License-Identifier: MIT */
/*
 * smp.c - several vCPUs: the xAPIC mapped at FIX_APIC_BASE, application
 * processors waiting for work with interrupts on, work handed to one of
 * them (smp_call_function_single), and the TLB shootdown behind
 * hm_arch_flush_tlb_kernel_range(): a fixed-vector IPI from the CPU that
 * flushes to every other one, whose handler (entry.S) flushes and bumps
 * its ack counter, which the initiator waits for.
 */
#include "core/layout.h"
#include "kvm_runner/guest/guest.h"

#define APIC_ID		0x20
#define APIC_EOI	0xB0
#define APIC_SVR	0xF0
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define APIC_ICR_BUSY	(1u << 12)	/* delivery status: send pending */
#define APIC_ICR_ASSERT	(1u << 14)

/* Read by the IPI handler (entry.S). */
uint32_t hm_apic_va;
volatile uint32_t *hm_smp_acks;
volatile uint32_t hm_smp_flush_start, hm_smp_flush_end, hm_smp_flush_full;

/* Work for an application processor: the caller fills func and info,
 * bumps seq and wakes the AP, which runs func(info) in its idle loop (not
 * in the IPI handler, as the kernel would: that is 64-bit code), sets
 * done = seq and wakes the caller. */
static volatile struct ap_work {
	uint32_t seq, done;
	unsigned caller;
	void (*func)(void *info);
	void *info;
} ap_work[HM_SMP_MAX_CPUS];

/* Long enough for any emulated host; the host's watchdog is the real
 * limit, this only names what was being waited for. */
#define SPIN_LIMIT	200000000u

static inline uint32_t apic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(hm_apic_va + reg);
}

static inline void apic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(hm_apic_va + reg) = v;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

static inline uint32_t irq_save(void)
{
	uint32_t flags;

	__asm__ volatile("pushf; pop %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

static inline void irq_restore(uint32_t flags)
{
	if (flags & (1u << 9))	/* IF */
		__asm__ volatile("sti" ::: "memory");
}

/*
 * Sleep until the next interrupt, called with interrupts off after the
 * caller found nothing to do; returns with them off again.  "sti; hlt":
 * sti opens them only after the next instruction, so an IPI that came
 * after the caller's check ends the hlt instead of being taken before it
 * and lost.  A vCPU that waits this way costs its host thread nothing
 * (KVM blocks it in the kernel until the IPI): here two host cores run up
 * to four vCPUs, beside other people's builds.
 */
static inline void safe_halt_cli(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* A fixed IPI to @cpu (its xAPIC ID), and wait until the APIC took it. */
static void send_ipi(unsigned cpu, unsigned vector)
{
	apic_write(APIC_ICR_HI, cpu << 24);
	apic_write(APIC_ICR_LO, APIC_ICR_ASSERT | vector);
	for (uint32_t k = 0; apic_read(APIC_ICR_LO) & APIC_ICR_BUSY; k++)
		if (k == SPIN_LIMIT)
			guest_panic("the IPI (vector %#x) to cpu %u stays "
				    "pending", vector, cpu);
}

/* set_fixmap_nocache(FIX_APIC_BASE, APIC_BASE) once, then software-enable
 * this CPU's APIC (spurious vector 0xFF). */
static void apic_init(void)
{
	if (!hm_apic_va) {
		hm_vaddr_t va = __fix_to_virt(&guest_ctx.layout,
					      guest_ctx.layout.fix_apic_base);
		void *ptep = pte_offset((void *)GUEST_VA(MB->fixmap_pt_phys),
					(long)FIXMAP_PT_INDEX(&guest_ctx.layout,
							      va), true);

		guest_set_pte(ptep, HM_APIC_PHYS | _PAGE_PRESENT | _PAGE_RW |
			      _PAGE_PWT | _PAGE_PCD | _PAGE_ACCESSED |
			      _PAGE_DIRTY);
		invlpg(va);
		hm_smp_acks = MB->smp_acks;
		hm_apic_va = va;
	}
	apic_write(APIC_SVR, 0x1FF);
}

bool guest_smp(void)
{
	return MB->smp_nr_cpus > 1;
}

/* The shootdown IPIs every other CPU has acknowledged so far. */
uint32_t guest_smp_acks(void)
{
	uint32_t n = 0;

	if (!guest_smp() || !hm_smp_acks)
		return 0;
	for (unsigned cpu = 1; cpu < MB->smp_nr_cpus; cpu++)
		n += hm_smp_acks[cpu];
	return n;
}

#define APIC_ICR_INIT	0x500
#define APIC_ICR_SIPI	0x600

/* Wait until the APIC sent the last IPI. */
static void icr_wait(void)
{
	for (uint32_t k = 0; apic_read(APIC_ICR_LO) & APIC_ICR_BUSY; k++)
		if (k == SPIN_LIMIT)
			guest_panic("an INIT or startup IPI stays pending");
}

/*
 * Under QEMU nobody else starts the application processors: INIT, then
 * two startup IPIs at the trampoline, as the kernel's wakeup_secondary_
 * cpu_via_init() does (the delays are for silicon; QEMU needs none).
 * They come up through the boot identity map, back for as long as that
 * takes, and count themselves online.
 */
static void start_aps(void)
{
	uint64_t *pdpt = (uint64_t *)GUEST_VA(MB->pdpt_phys);
	unsigned n = MB->smp_nr_cpus;
	volatile uint8_t *to = (uint8_t *)GUEST_VA(HM_SMP_TRAMPOLINE_PHYS);

	for (const uint8_t *p = hm_trampoline; p < hm_trampoline_end; p++)
		*to++ = *p;
	pdpt[0] = HM_GUEST_BOOT_PD_PHYS | _PAGE_PRESENT;
	for (unsigned cpu = 1; cpu < n; cpu++) {
		apic_write(APIC_ICR_HI, cpu << 24);
		apic_write(APIC_ICR_LO, APIC_ICR_INIT | APIC_ICR_ASSERT);
		icr_wait();
		for (int i = 0; i < 2; i++) {
			apic_write(APIC_ICR_HI, cpu << 24);
			apic_write(APIC_ICR_LO, APIC_ICR_SIPI |
				   (HM_SMP_TRAMPOLINE_PHYS >> 12));
			icr_wait();
		}
	}
	for (uint32_t k = 0; __atomic_load_n(&MB->smp_online, __ATOMIC_SEQ_CST) !=
			     n - 1; k++) {
		if (k == SPIN_LIMIT)
			guest_panic("%u of %u application processors came up",
				    MB->smp_online, n - 1);
		cpu_relax();
	}
	pdpt[0] = 0;
}

/* The boot CPU, once its IDT is in. */
void guest_smp_boot(void)
{
	if (!guest_smp())
		return;
	apic_init();
	MB->smp_apic_id[0] = guest_apic_id();
	if (MB->boot_flags & HM_MB_BOOT_SERIAL)
		start_aps();
}

/* The xAPIC's own word on who we are (an MMIO read the host emulates). */
unsigned guest_apic_id(void)
{
	return apic_read(APIC_ID) >> 24;
}

/* An idle application processor: halted until the wake-up IPI, or, where
 * the host left smp_idle_halt 0 (the smp_shootdown scenario, as it always
 * ran), polling, which the IPI then only interrupts.  Interrupts stay
 * deliverable either way: a TLB shootdown may come at any time. */
static void ap_wait_for_work(volatile struct ap_work *w)
{
	if (!MB->smp_idle_halt) {
		while (w->seq == w->done)
			cpu_relax();
		return;
	}
	__asm__ volatile("cli" ::: "memory");
	while (w->seq == w->done)
		safe_halt_cli();
	__asm__ volatile("sti" ::: "memory");
}

/* An application processor, from entry.S: paging on, in the direct map. */
void guest_ap_main(unsigned cpu) __attribute__((noreturn));
void guest_ap_main(unsigned cpu)
{
	volatile struct ap_work *w = &ap_work[cpu];

	if (cpu >= HM_SMP_MAX_CPUS)
		guest_panic("application processor %u: at most %u CPUs", cpu,
			    HM_SMP_MAX_CPUS);
	/* Forget the boot identity map's 2 MiB page: QEMU turns every
	 * invlpg into a whole-TLB flush while it holds large pages this far
	 * apart, and no stale translation could then survive on this CPU. */
	write_cr3(read_cr3());
	guest_idt_load(MB->paging_mode);
	apic_init();
	MB->smp_apic_id[cpu] = guest_apic_id();
	__atomic_add_fetch(&MB->smp_online, 1, __ATOMIC_SEQ_CST);
	__asm__ volatile("sti");
	for (;;) {
		ap_wait_for_work(w);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		w->func(w->info);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		w->done = w->seq;
		send_ipi(w->caller, HM_SMP_WAKE_VECTOR);
	}
}

/*
 * smp_call_function_single(cpu, func, info, wait = 1): run func(info) on
 * application processor @cpu and return when it is done.  Meanwhile the
 * caller sleeps with interrupts on: @func may flush a range, and the
 * shootdown IPI it sends us must be taken and acknowledged (a caller
 * spinning with interrupts off would deadlock it).  No time limit here:
 * the host's watchdog is the limit, and smp_wait says what we waited for.
 */
void guest_smp_call_function_single(unsigned cpu, void (*func)(void *info),
				    void *info)
{
	volatile struct ap_work *w = &ap_work[cpu];
	unsigned me = guest_this_cpu();
	uint32_t seq = w->seq + 1, flags;

	if (cpu == me || cpu == 0 || cpu >= MB->smp_nr_cpus)
		guest_panic("cpu %u: a call to cpu %u: only to another "
			    "application processor", me, cpu);
	w->caller = me;
	w->func = func;
	w->info = info;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	w->seq = seq;
	send_ipi(cpu, HM_SMP_WAKE_VECTOR);
	MB->smp_wait[me] = HM_SMP_WAIT_CALL | cpu;
	flags = irq_save();
	while (w->done != seq)
		safe_halt_cli();
	irq_restore(flags);
	MB->smp_wait[me] = 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

struct read_req {
	hm_vaddr_t vaddr;
	uint32_t val;
};

static void read_fn(void *info)
{
	struct read_req *r = info;

	r->val = *(volatile uint32_t *)r->vaddr;
}

/* cpu 0: have @cpu read the word at @vaddr, through its own TLB. */
static uint32_t ap_read32(unsigned cpu, hm_vaddr_t vaddr)
{
	struct read_req r = { vaddr, 0 };

	guest_smp_call_function_single(cpu, read_fn, &r);
	return r.val;
}

/* flush_tlb_kernel_range()'s on_each_cpu(): this CPU has flushed; now
 * every other online CPU, by IPI, and wait for each one's ack.  Whichever
 * CPU runs the core initiates (ops run one at a time: never two at once,
 * so the hm_smp_flush_* words are this shootdown's). */
void guest_smp_shootdown(hm_vaddr_t start, hm_vaddr_t end, bool full)
{
	unsigned n = MB->smp_nr_cpus, me = guest_this_cpu();
	uint32_t before[HM_SMP_MAX_CPUS];

	if (n < 2 || MB->smp_online != n - 1)
		return;
	hm_smp_flush_start = start;
	hm_smp_flush_end = end;
	hm_smp_flush_full = full;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (unsigned cpu = 0; cpu < n; cpu++) {
		if (cpu == me)
			continue;
		before[cpu] = hm_smp_acks[cpu];
		send_ipi(cpu, HM_SMP_IPI_VECTOR);
		MB->smp_ipis_sent[cpu]++;
	}
	for (unsigned cpu = 0; cpu < n; cpu++) {
		if (cpu == me)
			continue;
		MB->smp_wait[me] = HM_SMP_WAIT_ACK | cpu;
		for (uint32_t k = 0; hm_smp_acks[cpu] == before[cpu]; k++) {
			if (k == SPIN_LIMIT)
				guest_panic("cpu %u did not acknowledge cpu "
					    "%u's TLB shootdown IPI", cpu, me);
			cpu_relax();
		}
	}
	MB->smp_wait[me] = 0;
	MB->smp_shootdowns++;
	MB->smp_shootdowns_by[me]++;
}

/* The per-sequence SMP counts, zeroed before its first op. */
void guest_smp_counts_reset(struct hm_mailbox *mb)
{
	mb->smp_shootdowns = 0;
	for (unsigned i = 0; i < HM_SMP_MAX_CPUS; i++)
		mb->smp_ipis_sent[i] = mb->smp_acks[i] =
			mb->smp_shootdowns_by[i] = mb->smp_wait[i] = 0;
}

/*
 * HM_MB_CMD_SMP_SHOOTDOWN, on cpu 0 with cpu 1 waiting: cpu 1 reads
 * through the PKMAP address of a page cpu 0 kmapped (and kunmapped: the
 * entry stays mapped until the next wrap); cpu 0 kmaps other pages until
 * the scan wraps (flush_all_zero_pkmaps: the entry is freed and the range
 * flushed on every CPU) and a new page gets the same entry; cpu 1 reads
 * again, and must see the new page.  A 16-entry window keeps it short.
 */
void guest_smp_scenario(struct hm_mailbox *mb)
{
	struct hm_ctx *ctx = &guest_ctx;
	uint64_t first = ctx->max_low_pfn;
	struct hm_stats st;
	hm_vaddr_t v, va;
	uint32_t i;

	guest_core_prepare(mb->smp_nr_cpus, HM_MB_SMALL_WINDOW);
	guest_smp_counts_reset(mb);
	hm_stats_reset(ctx);

	v = hm_kmap(ctx, hm_pfn_to_page(ctx, first));
	*(volatile uint32_t *)v = 0x5A000000u | (uint32_t)first;
	hm_kunmap(ctx, hm_pfn_to_page(ctx, first));
	mb->smp_vaddr = v;
	mb->smp_entry = PKMAP_NR(&ctx->layout, v);
	mb->smp_pfn_old = (uint32_t)first;
	mb->smp_read_before = ap_read32(1, v);

	mb->smp_pfn_new = 0;
	for (i = 1; i <= 2 * LAST_PKMAP(&ctx->layout); i++) {
		uint64_t pfn = first + i;

		va = hm_kmap(ctx, hm_pfn_to_page(ctx, pfn));
		*(volatile uint32_t *)va = 0x5A000000u | (uint32_t)pfn;
		if (va == v) {
			mb->smp_pfn_new = (uint32_t)pfn;
			break;
		}
	}
	mb->smp_kmaps = i + 1;
	mb->smp_read_after = ap_read32(1, v);
	/* Let go (lazily, as kunmap does): the PTEs stay for the host. */
	for (uint32_t k = 1; k <= i && k <= 2 * LAST_PKMAP(&ctx->layout); k++)
		hm_kunmap(ctx, hm_pfn_to_page(ctx, first + k));
	hm_stats(ctx, &st);
	guest_put_stats(mb, &st);
	mb->outcome = 0;
}
