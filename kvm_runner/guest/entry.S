/* SPDX-License-Identifier: MIT */
/*
 * entry.S - the guest's first instructions and its exception stubs.
 *
 * KVM starts us at the first byte of the image (physical 1 MiB) in 32-bit
 * protected mode with the host's GDT and the guest laid out, paging off
 * (compat mode: EFER.LME is set, so setting CR0.PG below also enters
 * IA-32e compatibility mode) or already on (legacy PAE).  QEMU's
 * multiboot loader enters at mb_entry instead, paging off, after the
 * firmware: we ask the host over the serial line to lay us out (it waits
 * for the firmware to be done with memory), take its GDT, and enable PAE
 * and NX ourselves.  Either way we load the CR3 the host left in the
 * mailbox, turn paging on, and jump to our linked address in the direct
 * map.
 */
#include "kvm_runner/mailbox.h"

#define PHYS(x)	((x) - HM_GUEST_PAGE_OFFSET)
#define COM1_LSR	(HM_COM1 + 5)

/* Multiboot v1 (the a.out kludge: load addresses in the header, so QEMU
 * loads the flat image as the linker laid it out, bss zeroed). */
#define MB_MAGIC	0x1BADB002
#define MB_FLAGS	0x00010000

	.section .text.boot, "ax"
	.code32
	.globl _image_start
_image_start:
	jmp	_start			/* KVM enters here */
	.p2align 2
mb_header:
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)
	.long	PHYS(mb_header)		/* header_addr */
	.long	PHYS(_image_start)	/* load_addr */
	.long	0			/* load_end_addr: the whole file */
	.long	PHYS(_end)		/* bss_end_addr */
	.long	PHYS(mb_entry)		/* entry_addr */

/* The GDT the host lays out, by its physical address (paging is off). */
	.p2align 2
gdt_phys:
	.word	4 * 8 - 1
	.long	HM_GUEST_GDT_PHYS

mb_entry:
	cli
	/* The firmware left the 8259s on, the timer at vector 8: our
	 * interrupts are the local APIC's IPIs only. */
	movb	$0xff, %al
	outb	%al, $0x21
	outb	%al, $0xa1
	/* "Loaded": one byte to the host, then wait for its answer: by
	 * then the tables, the GDT and the mailbox are in memory. */
	movw	$COM1_LSR, %dx
1:	inb	%dx, %al
	testb	$0x20, %al		/* THR empty */
	jz	1b
	movw	$HM_COM1, %dx
	movb	$HM_SERIAL_HELLO, %al
	outb	%al, %dx
	movw	$COM1_LSR, %dx
2:	inb	%dx, %al
	testb	$0x01, %al		/* data ready */
	jz	2b
	movw	$HM_COM1, %dx
	inb	%dx, %al
	lgdt	PHYS(gdt_phys)
	ljmp	$HM_GUEST_CS32, $PHYS(3f)
3:	movl	$HM_GUEST_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%eax, %ss
	/* What KVM's sregs give the other path: CR4.PAE and PGE, EFER.NXE
	 * (the core's PTEs carry NX). */
	movl	$0xA0, %eax
	movl	%eax, %cr4
	movl	$0xC0000080, %ecx	/* EFER */
	rdmsr
	orl	$0x800, %eax
	wrmsr
	xorl	%ebx, %ebx		/* the boot CPU */
	jmp	_start

/*
 * An application processor under QEMU, from the trampoline below (which
 * the boot CPU copied to HM_SMP_TRAMPOLINE_PHYS and pointed its
 * startup IPI at): protected mode, paging off, our GDT.  The same set-up
 * as the boot CPU's, its cpu number (= xAPIC ID) in EBX, then _start.
 */
ap_pm_entry:
	movl	$HM_GUEST_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%eax, %ss
	movl	$0xA0, %eax		/* CR4.PAE | PGE */
	movl	%eax, %cr4
	movl	$0xC0000080, %ecx	/* EFER.NXE */
	rdmsr
	orl	$0x800, %eax
	wrmsr
	movl	(HM_APIC_PHYS + 0x20), %ebx	/* APIC ID register */
	shrl	$24, %ebx
	/* fall through to _start */

	.globl _start
_start:
	cli
	movl	(HM_GUEST_MAILBOX_PHYS + HM_MB_CR3_OFFSET), %eax
	movl	%eax, %cr3
	movl	%cr0, %eax
	orl	$0x80000000, %eax	/* PG */
	movl	%eax, %cr0
	/* Still running at the identity-mapped physical address.  EBX is
	 * 0 on the boot vCPU; an application processor of the SMP mode
	 * starts here too, with its cpu number in EBX (the host set it). */
	testl	%ebx, %ebx
	jnz	ap_boot
	movl	$(HM_GUEST_PAGE_OFFSET + HM_GUEST_STACK_TOP), %esp
	xorl	%ebp, %ebp
	movl	$high, %eax
	jmp	*%eax
ap_boot:
	movl	%ebx, %eax
	imull	$HM_SMP_STACK_SIZE, %eax
	movl	$(HM_GUEST_PAGE_OFFSET + HM_GUEST_STACK_TOP), %esp
	subl	%eax, %esp
	xorl	%ebp, %ebp
	movl	$ap_high, %eax
	jmp	*%eax

	.text
ap_high:
	lgdt	gdt_virt
	pushl	%ebx
	call	guest_ap_main
	jmp	halt_forever
high:
	/* The GDT by its address in the direct map: the identity map goes. */
	lgdt	gdt_virt
	call	guest_main
	/* guest_main does not return; if it did, stop for good. */
halt_forever:
	cli
1:	hlt
	jmp	1b

/*
 * The startup IPI's target: 16-bit real mode at CS = vector << 8, IP 0.
 * Copied to HM_SMP_TRAMPOLINE_PHYS by the boot CPU (guest/smp.c), so only
 * CS-relative addresses inside it, and the far jump's absolute one.
 */
	.section .rodata
	.code16
	.globl	hm_trampoline, hm_trampoline_end
hm_trampoline:
	cli
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	(tramp_gdt - hm_trampoline)
	movl	%cr0, %eax
	orl	$1, %eax		/* PE */
	movl	%eax, %cr0
	ljmpl	$HM_GUEST_CS32, $PHYS(ap_pm_entry)
	.p2align 2
tramp_gdt:
	.word	4 * 8 - 1
	.long	HM_GUEST_GDT_PHYS
hm_trampoline_end:
	.code32
	.text

/*
 * Exceptions 0-31.  Each stub pushes a 0 where the CPU pushes no error
 * code, then the vector, and jumps to a common part that reports vector,
 * error code, CR2, EIP, CS and EFLAGS in registers through HM_PORT_FAULT.
 * The host reads them with KVM_GET_REGS.  We never return: a fault in
 * this guest is a finding.
 *
 * Two sets: legacy PAE delivers through 32-bit gates to 32-bit code;
 * IA-32e mode (compat) always runs handlers in 64-bit mode.
 */
#define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
		    (v) == 21 || (v) == 29 || (v) == 30)

	.macro stub32 vec
	.p2align 3
stub32_\vec:
	.if !HAS_ERR(\vec)
	pushl	$0
	.endif
	pushl	$\vec
	jmp	common32
	.pushsection .rodata
	.long	stub32_\vec
	.popsection
	.endm

	.code32
	.pushsection .rodata
	.p2align 2
	.globl	hm_stubs32
hm_stubs32:
	.popsection
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	stub32 \v
	.endr

common32:
	popl	%eax			/* vector */
	popl	%ebx			/* error code */
	movl	%cr2, %ecx
	movl	0(%esp), %edx		/* EIP */
	movl	4(%esp), %esi		/* CS */
	movl	8(%esp), %edi		/* EFLAGS */
	testl	$HM_MB_BOOT_SERIAL, (HM_GUEST_PAGE_OFFSET + HM_GUEST_MAILBOX_PHYS + HM_MB_BOOT_FLAGS_OFFSET)
	jnz	1f
	outb	%al, $HM_PORT_FAULT
	jmp	halt_forever
	/* QEMU: the same registers, through the mailbox and the doorbell. */
1:	pushl	%edi
	pushl	%esi
	pushl	%edx
	pushl	%ecx
	pushl	%ebx
	pushl	%eax
	call	guest_fault_report	/* does not return */
	jmp	halt_forever

	.macro stub64 vec
	.p2align 3
stub64_\vec:
	.if !HAS_ERR(\vec)
	pushq	$0
	.endif
	pushq	$\vec
	jmp	common64
	.pushsection .rodata
	.long	stub64_\vec
	.popsection
	.endm

	.code64
	.pushsection .rodata
	.p2align 2
	.globl	hm_stubs64
hm_stubs64:
	.popsection
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	stub64 \v
	.endr

common64:
	popq	%rax
	popq	%rbx
	movq	%cr2, %rcx
	movq	0(%rsp), %rdx		/* RIP */
	movq	8(%rsp), %rsi		/* CS */
	movq	16(%rsp), %rdi		/* RFLAGS */
	outb	%al, $HM_PORT_FAULT
2:	hlt
	jmp	2b

	.code32
/* void hm_guest_hang(void): spin until the host's watchdog ends us. */
	.globl	hm_guest_hang
hm_guest_hang:
3:	jmp	3b

/* void hm_guest_triple(void): an IDT with no entries, then #UD: the #UD
 * cannot be delivered (#GP), nor can that (#DF): the CPU shuts down. */
	.globl	hm_guest_triple
hm_guest_triple:
	lidt	empty_idtr
	ud2

	.section .rodata
empty_idtr:
	.word	0
	.long	0
	.p2align 2
gdt_virt:
	.word	4 * 8 - 1
	.long	HM_GUEST_PAGE_OFFSET + HM_GUEST_GDT_PHYS

/*
 * The TLB shootdown IPI (HM_SMP_IPI_VECTOR), on an application processor
 * in compat mode, so 64-bit code.  What to flush is in hm_smp_flush_*
 * (smp.c): invlpg page by page, or the whole TLB (CR4.PGE toggled: the
 * PKMAP entries are global).  Then this CPU's ack counter (indexed by its
 * xAPIC ID, which is its cpu number), EOI, and back.  Addresses are
 * loaded with a 32-bit mov, which zero-extends: an absolute 0xC0xxxxxx
 * operand would be sign-extended in 64-bit mode.
 */
	.text
	.code64
	.globl	hm_ipi_handler64
hm_ipi_handler64:
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	movl	$hm_smp_flush_full, %eax
	movl	(%rax), %eax
	testl	%eax, %eax
	jnz	9f
	movl	$hm_smp_flush_start, %eax
	movl	(%rax), %ecx
	movl	$hm_smp_flush_end, %eax
	movl	(%rax), %edx
8:	cmpl	%edx, %ecx
	jae	10f
	invlpg	(%rcx)
	addl	$4096, %ecx
	jc	10f
	jmp	8b
9:	movq	%cr4, %rax
	movq	%rax, %rcx
	andq	$~0x80, %rcx
	movq	%rcx, %cr4
	movq	%rax, %cr4
10:	movl	$hm_apic_va, %eax
	movl	(%rax), %edx		/* the xAPIC, at FIX_APIC_BASE */
	movl	0x20(%rdx), %eax	/* APIC ID register */
	shrl	$24, %eax
	movl	$hm_smp_acks, %ecx
	movl	(%rcx), %ecx
#if !HM_GUEST_INJECT_NO_ACK		/* guest/guest.h: the injected bug */
	lock incl (%rcx,%rax,4)
#endif
	movl	$0, 0xB0(%rdx)		/* EOI */
	popq	%rdx
	popq	%rcx
	popq	%rax
	iretq

/*
 * The same two handlers in 32-bit code, for legacy PAE (QEMU).
 */
	.code32
	.globl	hm_ipi_handler32
hm_ipi_handler32:
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	movl	hm_smp_flush_full, %eax
	testl	%eax, %eax
	jnz	9f
	movl	hm_smp_flush_start, %ecx
	movl	hm_smp_flush_end, %edx
8:	cmpl	%edx, %ecx
	jae	10f
	invlpg	(%ecx)
	addl	$4096, %ecx
	jc	10f
	jmp	8b
9:	movl	%cr4, %eax
	movl	%eax, %ecx
	andl	$~0x80, %ecx
	movl	%ecx, %cr4
	movl	%eax, %cr4
10:	movl	hm_apic_va, %edx
	movl	0x20(%edx), %eax	/* APIC ID register */
	shrl	$24, %eax
	movl	hm_smp_acks, %ecx
#if !HM_GUEST_INJECT_NO_ACK
	lock incl (%ecx,%eax,4)
#endif
	movl	$0, 0xB0(%edx)		/* EOI */
	popl	%edx
	popl	%ecx
	popl	%eax
	iret

	.globl	hm_wake_handler32
hm_wake_handler32:
	pushl	%eax
	movl	hm_apic_va, %eax
	movl	$0, 0xB0(%eax)		/* EOI */
	popl	%eax
	iret

	.code64
/*
 * The wake-up IPI (HM_SMP_WAKE_VECTOR): EOI and back.  It only ends the
 * hlt of a waiting vCPU, which then finds in memory what it waited for
 * (work handed to it, or the end of the work it handed over).
 */
	.globl	hm_wake_handler64
hm_wake_handler64:
	pushq	%rax
	movl	$hm_apic_va, %eax
	movl	(%rax), %eax
	movl	$0, 0xB0(%rax)		/* EOI */
	popq	%rax
	iretq
	.code32
