/* SPDX-License-Identifier: MIT */
/*
 * qmp.h - just enough of QEMU's machine protocol (QMP) for the TCG
 * backend: the greeting, a command and its answer, the events that come
 * in between (a guest reset is a triple fault), and the registers through
 * "info registers".
 */
#ifndef HM_KVM_QMP_H
#define HM_KVM_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct qmp {
	int fd;
	bool shutdown;		/* a SHUTDOWN event came (guest reset) */
	char buf[65536];	/* what came and is not consumed yet */
	size_t len;
};

/* The greeting and qmp_capabilities, within @timeout_ms: 0, or -1 with
 * @why. */
int qmp__open(struct qmp *q, int fd, unsigned timeout_ms, char *why,
	      size_t whysz);
/* Read what QEMU sent (events); -1 when the connection is gone. */
int qmp__pump(struct qmp *q);
/* Run @cmd (a JSON object) and put the answer's line in @out: 0, or -1. */
int qmp__command(struct qmp *q, const char *cmd, char *out, size_t outsz,
		 unsigned timeout_ms);

/* The registers of a stopped vCPU (HMP "info registers"). */
struct qmp_regs {
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp, esp, eip, eflags;
	uint32_t cr0, cr2, cr3, cr4, gdt_base, gdt_limit, idt_base,
		 idt_limit;
	uint64_t efer;
};
/* Stop the VM and read vCPU @cpu's registers: true, or false. */
bool qmp__regs(struct qmp *q, unsigned cpu, struct qmp_regs *r);

#endif /* HM_KVM_QMP_H */
