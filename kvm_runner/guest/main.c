/* SPDX-License-Identifier: MIT */
/*
 * main.c - the guest: set up exceptions, probe the TLB, bring the core
 * up over the page tables the host built, then run sequences (or time
 * benchmark loops, bench.c) from the mailbox for as long as the host keeps
 * resuming us.
 */
#include <stdarg.h>

#include "kvm_runner/guest/guest.h"
#include "kvm_runner/ops_exec.h"

struct hm_ctx guest_ctx __attribute__((aligned(64)));
unsigned guest_cpu;
static struct hm_exec exec;
static bool fresh = true;	/* no sequence since hm_core_init() */

/* ---- What a freestanding compiler may still call ----------------------- */

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	if (p < q)
		return memcpy(d, s, n);
	while (n--)
		p[n] = q[n];
	return d;
}

/* ---- Console and panic --------------------------------------------------- */

void guest_puts(const char *s)
{
	while (*s)
		outb(HM_PORT_PUTC, (uint8_t)*s++);
}

void guest_printf(const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	hm_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	guest_puts(buf);
}

void guest_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hm_vsnprintf(MB->panic_msg, sizeof(MB->panic_msg), fmt, ap);
	va_end(ap);
	guest_report_final(HM_PORT_PANIC, 0);
}

/* ---- Exceptions ---------------------------------------------------------- */

static void idt_init(uint32_t mode)
{
	volatile uint32_t *idt = (uint32_t *)GUEST_VA(HM_GUEST_IDT_PHYS);
	bool compat = mode == HM_PAGING_COMPAT;
	unsigned words = compat ? 4 : 2;

	for (unsigned v = 0; v < 32; v++) {
		uint32_t h = compat ? hm_stubs64[v] : hm_stubs32[v];
		uint32_t cs = compat ? HM_GUEST_CS64 : HM_GUEST_CS32;

		/* Interrupt gate, present, DPL 0: type 0xE in both modes
		 * (a 32-bit gate, or a 64-bit one in IA-32e mode). */
		idt[v * words + 0] = (h & 0xFFFFu) | (cs << 16);
		idt[v * words + 1] = (h & 0xFFFF0000u) | 0x8E00u;
		if (compat) {
			idt[v * words + 2] = 0;	/* offset bits 63..32 */
			idt[v * words + 3] = 0;
		}
	}
	/* SMP: the TLB shootdown IPI's gate, and the wake-up IPI's, 64-bit
	 * in compat mode (KVM), 32-bit in legacy PAE (QEMU). */
	for (unsigned v = HM_SMP_IPI_VECTOR;
	     guest_smp() && v <= HM_SMP_WAKE_VECTOR; v++) {
		bool ipi = v == HM_SMP_IPI_VECTOR;
		uint32_t h = (uint32_t)(uintptr_t)(
			compat ? (ipi ? hm_ipi_handler64 : hm_wake_handler64) :
				 (ipi ? hm_ipi_handler32 : hm_wake_handler32));
		uint32_t cs = compat ? HM_GUEST_CS64 : HM_GUEST_CS32;

		idt[v * words + 0] = (h & 0xFFFFu) | (cs << 16);
		idt[v * words + 1] = (h & 0xFFFF0000u) | 0x8E00u;
		if (compat) {
			idt[v * 4 + 2] = 0;
			idt[v * 4 + 3] = 0;
		}
	}
	guest_idt_load(mode);
}

void guest_idt_load(uint32_t mode)
{
	bool compat = mode == HM_PAGING_COMPAT;
	unsigned words = compat ? 4 : 2;
	unsigned n = guest_smp() ? HM_SMP_WAKE_VECTOR + 1 : 32;
	struct __attribute__((packed)) {
		uint16_t limit;
		uint32_t base;
	} idtr;

	idtr.limit = (uint16_t)(n * words * 4 - 1);
	idtr.base = GUEST_VA(HM_GUEST_IDT_PHYS);
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

/* ---- The core's context, like the simulator's hm_create() --------------- */

/* The core's BUG hook: every report counted for its op; a BUG stops
 * the guest under HM_MB_BUG_FATAL (arch.c's hm_bug_default), a WARN
 * never does. */
static void bug_note(void *arg, const struct hm_bug *bug)
{
	if (!bug->warn && (exec.flags & HM_MB_BUG_FATAL))
		hm_bug_default(arg, bug);
	if (hm_exec_report(&exec, bug, &MB->bug_count))
		hm_snprintf(MB->bug_msg, sizeof(MB->bug_msg),
			    HM_EXEC_REPORT_FMT, HM_EXEC_REPORT_ARGS(bug));
}

static void ctx_init(const struct hm_mailbox *mb)
{
	struct hm_ctx *ctx = &guest_ctx;
	struct hm_config cfg;
	const char *why;

	hm_config_default(&cfg);
	cfg.mem_bytes = (uint64_t)mb->mem_mib << 20;
	cfg.wait_timeout_ms = 0;	/* one CPU: nobody could wake us */
	/* The kernel the host built the tables for. */
	cfg.kernel = (enum hm_kernel)((mb->boot_flags & HM_MB_KERNEL_MASK) >>
				      HM_MB_KERNEL_SHIFT);
	cfg.debug_highmem = (mb->boot_flags & HM_MB_BOOT_DEBUG) != 0;
	why = hm_ctx_setup(ctx, &cfg, mb->first_free_pfn);
	if (why)
		guest_panic("%s: %s", hm_kernel_name(cfg.kernel), why);
	/* mem_map sits above the core's memory, in 4 KiB pages of its own
	 * (mailbox.h); the host marked the reserved frames. */
	ctx->mem_map = (struct page *)HM_GUEST_MEM_MAP_VIRT;
	hm_core_init(ctx, (void *)GUEST_VA(mb->pkmap_pt_phys),
		     (void *)GUEST_VA(mb->fixmap_pt_phys));
}

/*
 * Is a stale translation observable?  Point the last PKMAP entry (unused
 * yet) at frame A, flush and read; re-point it at B without a flush and
 * read again.  Real TLBs return A's marker the second time; an MMU that
 * walks the tables on every access returns B's.
 */
static void stale_tlb_probe(struct hm_mailbox *mb)
{
	const struct hm_layout *l = &guest_ctx.layout;
	unsigned nr = LAST_PKMAP(l) - 1;
	void *ptep = pte_offset((void *)GUEST_VA(mb->pkmap_pt_phys), nr, true);
	hm_vaddr_t va = PKMAP_ADDR(l, nr);
	pte_t prot = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY;

	guest_set_pte(ptep, HM_GUEST_PROBE_A_PHYS | prot);
	invlpg(va);
	mb->probe_first = *(volatile uint32_t *)va;
	guest_set_pte(ptep, HM_GUEST_PROBE_B_PHYS | prot);
	mb->probe_second = *(volatile uint32_t *)va;
	guest_set_pte(ptep, 0);
	invlpg(va);
}

/* ---- Running ops ----------------------------------------------------------- */

static void g_write32(struct hm_exec *x, hm_vaddr_t vaddr, uint32_t val)
{
	(void)x;
	*(volatile uint32_t *)vaddr = val;
	guest_stale_check(vaddr, val, true);
}

static uint32_t g_read32(struct hm_exec *x, hm_vaddr_t vaddr)
{
	uint32_t v = *(volatile uint32_t *)vaddr;

	(void)x;
	guest_stale_check(vaddr, v, false);
	return v;
}

/* A bad address faults here, and the exception stub reports it. */
static bool g_touch(struct hm_exec *x, hm_vaddr_t vaddr, uint32_t *val)
{
	(void)x;
	*val = *(volatile uint32_t *)vaddr;
	return true;
}

/* hm_set_cpu() of the simulator, with its checks and messages. */
static void g_set_cpu(struct hm_exec *x, unsigned cpu)
{
	if (hm_cpu_may_move(x->ctx, guest_cpu, cpu))
		guest_cpu = cpu;
}

static unsigned g_this_cpu(struct hm_exec *x)
{
	return hm_arch_smp_processor_id(x->ctx);
}

static void g_reset(struct hm_exec *x)
{
	hm_reset(x->ctx);
}

static void g_hang(struct hm_exec *x)
{
	(void)x;
	hm_guest_hang();
}

static void g_triple(struct hm_exec *x)
{
	(void)x;
	hm_guest_triple();
}

static const struct hm_exec_ops guest_exec_ops = {
	.write32 = g_write32,
	.read32 = g_read32,
	.touch = g_touch,
	.set_cpu = g_set_cpu,
	.this_cpu = g_this_cpu,
	.reset = g_reset,
	.hang = g_hang,
	.triple = g_triple,
};

/*
 * Back to a fresh core, with the CPUs of the previous sequence still in
 * cfg so their slots get cleared; then the new configuration, unless it is
 * the one the core has (what hm_reset() leaves is what hm_ctx_reconfigure()
 * would make of it again; re-laying every CPU's slot window costs thousands
 * of instructions, each emulated under PVM).  Right after boot the core is
 * fresh: the reset's few thousand instructions are most of a small
 * sequence's time when every guest instruction is emulated.
 */
void guest_core_prepare(unsigned nr_cpus, uint32_t flags)
{
	static uint32_t prepared_cpus, prepared_flags;
	static bool prepared;
	struct hm_ctx *ctx = &guest_ctx;
	struct hm_seq_config sc = hm_mb_seq_config(nr_cpus, flags);
	struct hm_config cfg = ctx->cfg;
	const char *why;

	if (HM_GUEST_INJECT_STRICT)
		sc.report = HM_REPORT_STRICT;
	if (!fresh)
		hm_reset(ctx);
	fresh = false;
	if (!prepared || nr_cpus != prepared_cpus || flags != prepared_flags) {
		/* The same tables: the host has checked the layout fits. */
		hm_seq_config_apply(&sc, &cfg);
		why = hm_ctx_reconfigure(ctx, &cfg);
		if (why)
			guest_panic("%s sequence: %s",
				    hm_kernel_name(cfg.kernel), why);
		prepared = true;
		prepared_cpus = nr_cpus;
		prepared_flags = flags;
	}
	guest_cpu = 0;
	ctx->bug_fn = bug_note;
	exec.flags = flags;
	MB->bug_count = 0;
	MB->bug_msg[0] = '\0';
}

void guest_put_stats(struct hm_mailbox *mb, const struct hm_stats *st)
{
	hm_mb_put_stats(mb->stats, st);
}

static void run_sequence(struct hm_mailbox *mb)
{
	struct hm_ctx *ctx = &guest_ctx;
	struct hm_stats st;
	uint32_t stopped, n = mb->nr_ops;

	guest_core_prepare(mb->nr_cpus, mb->flags);
	guest_stale_reset(mb);

	exec.ctx = ctx;
	exec.ops = &guest_exec_ops;
	exec.seq_no = mb->seq_no;
	exec.flags = mb->flags;
	exec.bugs = 0;
	exec.warns = 0;
	exec.ops_done = &mb->ops_done;
	exec.lives.n = 0;
	exec.parked.n = 0;
	if (n > HM_MB_MAX_OPS)
		guest_panic("sequence of %u ops: the mailbox holds %u", n,
			    HM_MB_MAX_OPS);
	if (guest_smp()) {
		/* Each op on the vCPU of its CPU: as many vCPUs as CPUs. */
		if (mb->nr_cpus != mb->smp_nr_cpus)
			guest_panic("a sequence for %u CPUs in a VM of %u "
				    "vCPUs", mb->nr_cpus, mb->smp_nr_cpus);
		guest_smp_counts_reset(mb);
		mb->outcome = (uint32_t)guest_smp_exec_run(
			&exec, mb->ops, n, mb->results, &stopped);
	} else {
		mb->outcome = (uint32_t)hm_exec_run(&exec, mb->ops, n,
						    mb->results, &stopped);
	}
	mb->ops_done = stopped;

	hm_stats(ctx, &st);
	guest_put_stats(mb, &st);
	mb->cpu = guest_cpu;
	mb->last_pkmap_nr = ctx->last_pkmap_nr;
}

void guest_main(void) __attribute__((noreturn));
void guest_main(void)
{
	struct hm_mailbox *mb = MB;
	uint64_t *pdpt = (uint64_t *)GUEST_VA(mb->pdpt_phys);

	if (mb->magic != HM_MB_MAGIC)
		guest_panic("no mailbox at %#x", HM_GUEST_MAILBOX_PHYS);
	/* We run in the direct map now: drop the boot identity map so a stray
	 * low address faults.  A CR3 write reloads the PDPT (legacy PAE). */
	pdpt[0] = 0;
	write_cr3(read_cr3());
	idt_init(mb->paging_mode);
	ctx_init(mb);		/* the layout, which the APIC's fixmap slot needs */
	guest_smp_boot();
	stale_tlb_probe(mb);
	guest_stale_init();
	if (mb->boot_flags & HM_MB_VERBOSE)
		guest_printf("guest: core up, PKMAP_BASE %#x, %u pkmap entries\n",
			     guest_ctx.layout.pkmap_base,
			     LAST_PKMAP(&guest_ctx.layout));
	guest_report(HM_PORT_READY, 0);
	for (;;) {
		if (mb->command == HM_MB_CMD_BENCH)
			guest_bench(mb);
		else if (mb->command == HM_MB_CMD_SMP_SHOOTDOWN)
			guest_smp_scenario(mb);
		else if (mb->command == HM_MB_CMD_EXIT)
			guest_exit();
		else
			run_sequence(mb);
		guest_report(HM_PORT_DONE, 0);
	}
}
