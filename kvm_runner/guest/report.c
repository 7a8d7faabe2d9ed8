/* SPDX-License-Identifier: MIT */
/*
 * report.c - how the guest tells the host something, on either machine.
 *
 * Under KVM an OUT to one of our ports stops the vCPU, and the host reads
 * the port, the value and the registers at the exit.  Under QEMU
 * (HM_MB_BOOT_SERIAL) an OUT to a port nobody claims goes nowhere, so the
 * guest writes the same into the mailbox (report_*) and rings the serial
 * doorbell: the port as one byte on COM1.  Then it polls the mailbox's
 * resume_count, which the host moves on to resume it (what "resume" is on
 * KVM), with QEMU stopped: the vCPU goes on the moment QEMU does, where a
 * byte back would wait for QEMU's main loop, and for the lock the polling
 * vCPU takes at every read of the line.  Polled, not by interrupt:
 * nothing to route, and the guest has nothing else to do.
 */
#include "kvm_runner/guest/guest.h"

#define COM1_LSR	(HM_COM1 + 5)
#define LSR_THR_EMPTY	0x20

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %w1, %b0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static bool serial(void)
{
	return (MB->boot_flags & HM_MB_BOOT_SERIAL) != 0;
}

static void serial_put(uint8_t b)
{
	while (!(inb(COM1_LSR) & LSR_THR_EMPTY))
		__asm__ volatile("pause");
	outb(HM_COM1, b);
}

/* The host's answer: resume_count moved on from @seen. */
static void resume_wait(const struct hm_mailbox *mb, uint32_t seen)
{
	while (__atomic_load_n(&mb->resume_count, __ATOMIC_ACQUIRE) == seen)
		__asm__ volatile("pause");
}

void guest_report(uint16_t port, uint8_t value)
{
	struct hm_mailbox *mb = MB;
	uint32_t seen;

	if (!serial()) {
		outb(port, value);
		return;
	}
	seen = mb->resume_count;
	mb->report_port = port;
	mb->report_value = value;
	mb->report_cpu = guest_this_cpu();
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	serial_put((uint8_t)port);
	resume_wait(mb, seen);
}

/* A report after which the guest must not run on: on KVM the host never
 * resumes it (but an OUT again if it does); on QEMU stop here. */
void guest_report_final(uint16_t port, uint8_t value)
{
	for (;;) {
		guest_report(port, value);
		if (serial())
			for (;;)
				__asm__ volatile("cli; hlt");
	}
}

/* entry.S, an exception under QEMU: what the stub has in EAX..EDI. */
void guest_fault_report(uint32_t vec, uint32_t err, uint32_t cr2,
			uint32_t eip, uint32_t cs, uint32_t eflags)
	__attribute__((noreturn));
void guest_fault_report(uint32_t vec, uint32_t err, uint32_t cr2,
			uint32_t eip, uint32_t cs, uint32_t eflags)
{
	uint32_t *r = MB->report_regs;

	r[0] = vec;
	r[1] = err;
	r[2] = cr2;
	r[3] = eip;
	r[4] = cs;
	r[5] = eflags;
	guest_report_final(HM_PORT_FAULT, (uint8_t)vec);
	for (;;)
		;
}

/* HM_MB_CMD_EXIT: leave QEMU through isa-debug-exit (status 2 * 1 + 1). */
void guest_exit(void)
{
	outb(HM_DEBUG_EXIT_PORT, 1);
	for (;;)
		__asm__ volatile("cli; hlt");
}
