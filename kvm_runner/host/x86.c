/* SPDX-License-Identifier: MIT */
/*
 * x86.c - the x86 side of a KVM vCPU: CPUID, the segment and control
 * registers for each paging mode, and the register dump printed when a
 * guest dies.  (What needs only guest memory is dump.c's.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/pgtable.h"
#include "kvm_runner/host/kvm.h"

#define X86_CR0_PE	(1u << 0)
#define X86_CR0_ET	(1u << 4)
#define X86_CR0_NE	(1u << 5)
#define X86_CR0_WP	(1u << 16)
#define X86_CR0_PG	(1u << 31)
#define X86_CR4_PAE	(1u << 5)
#define X86_CR4_PGE	(1u << 7)
#define EFER_LME	(1u << 8)
#define EFER_LMA	(1u << 10)
#define EFER_NXE	(1u << 11)

/* The guest sees the CPUID KVM supports: NX, PAE, PGE and long mode must
 * be there for the EFER and CR4 bits below to be accepted. */
int x86__setup_cpuid(int sys_fd, int vcpu_fd, char *why, size_t whysz)
{
	const unsigned max = 100;
	struct kvm_cpuid2 *c;
	int rc;

	c = calloc(1, sizeof(*c) + max * sizeof(c->entries[0]));
	if (!c) {
		snprintf(why, whysz, "out of memory");
		return -1;
	}
	c->nent = max;
	rc = KVM_IOCTL(sys_fd, KVM_GET_SUPPORTED_CPUID, c, why, whysz);
	if (rc >= 0)
		rc = KVM_IOCTL(vcpu_fd, KVM_SET_CPUID2, c, why, whysz);
	free(c);
	return rc < 0 ? -1 : 0;
}

static void flat_segment(struct kvm_segment *s, uint16_t sel, bool code)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = code ? 11 : 3;	/* execute/read, accessed; read/write */
	s->present = 1;
	s->dpl = 0;
	s->db = 1;			/* 32-bit */
	s->s = 1;
	s->l = 0;			/* not 64-bit: compat mode, if any */
	s->g = 1;
}

/*
 * Protected mode with flat 32-bit segments.  Legacy PAE: paging on from
 * the first instruction.  Compat: paging off and EFER.LME set, so the
 * guest's own "set CR0.PG" enters IA-32e mode with a 32-bit CS.  CR0.WP
 * stays 0 in both: the PDPT entries carry no R/W bit (reserved in legacy
 * PAE), which in IA-32e mode would make the whole GiB read-only to
 * supervisor writes if WP were on.
 */
int x86__setup_sregs(int vcpu_fd, enum hm_paging_mode mode, uint64_t cr3,
		     bool *stuck, char *why, size_t whysz)
{
	struct kvm_sregs s;

	if (KVM_IOCTL(vcpu_fd, KVM_GET_SREGS, &s, why, whysz) < 0)
		return -1;
	flat_segment(&s.cs, HM_GUEST_CS32, true);
	flat_segment(&s.ds, HM_GUEST_DS, false);
	s.es = s.fs = s.gs = s.ss = s.ds;
	memset(&s.tr, 0, sizeof(s.tr));
	s.tr.limit = 0x67;
	s.tr.type = 11;			/* busy 32-bit TSS; never used */
	s.tr.present = 1;
	memset(&s.ldt, 0, sizeof(s.ldt));
	s.ldt.unusable = 1;
	/* A linear address: the GDT is only read once paging is on. */
	s.gdt.base = HM_GUEST_PAGE_OFFSET + HM_GUEST_GDT_PHYS;
	s.gdt.limit = 4 * 8 - 1;
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	s.cr4 = X86_CR4_PAE | X86_CR4_PGE;
	s.efer = EFER_NXE;
	if (mode == HM_PAGING_LEGACY_PAE) {
		s.cr0 |= X86_CR0_PG;
		s.cr3 = cr3;
	} else {
		s.efer |= EFER_LME;
		s.cr3 = HM_GUEST_PML4_PHYS;
	}
	if (KVM_IOCTL(vcpu_fd, KVM_SET_SREGS, &s, why, whysz) < 0) {
		/* A KVM that rejects paged legacy mode outright. */
		if (mode == HM_PAGING_LEGACY_PAE && errno == EINVAL) {
			*stuck = false;
			return 0;
		}
		return -1;
	}
	if (KVM_IOCTL(vcpu_fd, KVM_GET_SREGS, &s, why, whysz) < 0)
		return -1;
	/* Some backends accept the ioctl but drop what they cannot run. */
	*stuck = mode != HM_PAGING_LEGACY_PAE || (s.cr0 & X86_CR0_PG);
	return 0;
}

static void dump_segment(FILE *f, const char *name,
			 const struct kvm_segment *s)
{
	fprintf(f, "  %-3s sel %#06x base 0x%08llx limit 0x%08x type %2u%s%s%s\n",
		name, s->selector, (unsigned long long)s->base, s->limit,
		s->type, s->l ? " L" : "", s->db ? " D" : "",
		s->present ? "" : " not-present");
}

void x86__dump_regs(int vcpu_fd, FILE *f)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	char sym[96];

	if (ioctl(vcpu_fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(vcpu_fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(f, "  (registers unavailable: %s)\n", strerror(errno));
		return;
	}
	fprintf(f, "  EIP 0x%08llx <%s>  EFLAGS 0x%08llx\n",
		(unsigned long long)r.rip,
		x86__guest_symbol((uint32_t)r.rip, sym, sizeof(sym)),
		(unsigned long long)r.rflags);
	fprintf(f, "  EAX 0x%08llx EBX 0x%08llx ECX 0x%08llx EDX 0x%08llx\n",
		(unsigned long long)r.rax, (unsigned long long)r.rbx,
		(unsigned long long)r.rcx, (unsigned long long)r.rdx);
	fprintf(f, "  ESI 0x%08llx EDI 0x%08llx EBP 0x%08llx ESP 0x%08llx\n",
		(unsigned long long)r.rsi, (unsigned long long)r.rdi,
		(unsigned long long)r.rbp, (unsigned long long)r.rsp);
	fprintf(f, "  CR0 0x%08llx CR2 0x%08llx CR3 0x%08llx CR4 0x%08llx "
		"EFER %#llx%s\n",
		(unsigned long long)s.cr0, (unsigned long long)s.cr2,
		(unsigned long long)s.cr3, (unsigned long long)s.cr4,
		(unsigned long long)s.efer, s.efer & EFER_LMA ? " (LMA)" : "");
	fprintf(f, "  GDT 0x%08llx/%#x  IDT 0x%08llx/%#x\n",
		(unsigned long long)s.gdt.base, s.gdt.limit,
		(unsigned long long)s.idt.base, s.idt.limit);
	dump_segment(f, "CS", &s.cs);
	dump_segment(f, "SS", &s.ss);
}

bool x86__get_regs(int vcpu_fd, uint32_t r[5])
{
	struct kvm_regs regs;

	if (ioctl(vcpu_fd, KVM_GET_REGS, &regs) < 0)
		return false;
	r[0] = (uint32_t)regs.rax;
	r[1] = (uint32_t)regs.rbx;
	r[2] = (uint32_t)regs.rcx;
	r[3] = (uint32_t)regs.rdx;
	r[4] = (uint32_t)regs.rip;
	return true;
}

bool x86__get_cr3(int vcpu_fd, uint64_t *cr3, bool *lma)
{
	struct kvm_sregs s;

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return false;
	*cr3 = s.cr3;
	*lma = (s.efer & EFER_LMA) != 0;
	return true;
}
