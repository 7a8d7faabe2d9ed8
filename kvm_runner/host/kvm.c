/* SPDX-License-Identifier: MIT */
/*
 * kvm.c - /dev/kvm, the VM and the vCPU run loop.
 *
 * One switch on the exit reason, in vcpu__run(); every ioctl that fails is
 * reported by name; KVM_EXIT_* numbers are printed with their names.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "kvm_runner/host/kvm.h"

static const char *const kvm_exit_names[] = {
	[KVM_EXIT_UNKNOWN] = "KVM_EXIT_UNKNOWN",
	[KVM_EXIT_EXCEPTION] = "KVM_EXIT_EXCEPTION",
	[KVM_EXIT_IO] = "KVM_EXIT_IO",
	[KVM_EXIT_HYPERCALL] = "KVM_EXIT_HYPERCALL",
	[KVM_EXIT_DEBUG] = "KVM_EXIT_DEBUG",
	[KVM_EXIT_HLT] = "KVM_EXIT_HLT",
	[KVM_EXIT_MMIO] = "KVM_EXIT_MMIO",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "KVM_EXIT_IRQ_WINDOW_OPEN",
	[KVM_EXIT_SHUTDOWN] = "KVM_EXIT_SHUTDOWN",
	[KVM_EXIT_FAIL_ENTRY] = "KVM_EXIT_FAIL_ENTRY",
	[KVM_EXIT_INTR] = "KVM_EXIT_INTR",
	[KVM_EXIT_SET_TPR] = "KVM_EXIT_SET_TPR",
	[KVM_EXIT_TPR_ACCESS] = "KVM_EXIT_TPR_ACCESS",
	[KVM_EXIT_S390_SIEIC] = "KVM_EXIT_S390_SIEIC",
	[KVM_EXIT_S390_RESET] = "KVM_EXIT_S390_RESET",
	[KVM_EXIT_DCR] = "KVM_EXIT_DCR",
	[KVM_EXIT_NMI] = "KVM_EXIT_NMI",
	[KVM_EXIT_INTERNAL_ERROR] = "KVM_EXIT_INTERNAL_ERROR",
	[KVM_EXIT_OSI] = "KVM_EXIT_OSI",
	[KVM_EXIT_PAPR_HCALL] = "KVM_EXIT_PAPR_HCALL",
	[KVM_EXIT_S390_UCONTROL] = "KVM_EXIT_S390_UCONTROL",
	[KVM_EXIT_WATCHDOG] = "KVM_EXIT_WATCHDOG",
	[KVM_EXIT_S390_TSCH] = "KVM_EXIT_S390_TSCH",
	[KVM_EXIT_EPR] = "KVM_EXIT_EPR",
	[KVM_EXIT_SYSTEM_EVENT] = "KVM_EXIT_SYSTEM_EVENT",
	[KVM_EXIT_S390_STSI] = "KVM_EXIT_S390_STSI",
	[KVM_EXIT_IOAPIC_EOI] = "KVM_EXIT_IOAPIC_EOI",
	[KVM_EXIT_HYPERV] = "KVM_EXIT_HYPERV",
};
#define NR_EXIT_NAMES (sizeof(kvm_exit_names) / sizeof(kvm_exit_names[0]))

const char *kvm__exit_name(uint32_t reason)
{
	if (reason < NR_EXIT_NAMES && kvm_exit_names[reason])
		return kvm_exit_names[reason];
	return "KVM_EXIT_(unknown to this runner)";
}

/* What the runner needs beyond API version 12. */
static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
};

int kvm__open(struct kvm *kvm, const char *dev, char *why, size_t whysz)
{
	int v;

	memset(kvm, 0, sizeof(*kvm));
	kvm->sys_fd = kvm->vm_fd = kvm->vcpu_fd = -1;
	kvm->m.mem_fd = -1;
	kvm->dev = dev;
	kvm->sys_fd = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm->sys_fd < 0) {
		int e = errno;

		snprintf(why, whysz, "%s: %s%s", dev, strerror(e),
			 e == ENOENT ? " (KVM is not available on this host)" :
			 e == EACCES ? " (no permission: run as a member of "
				       "group kvm, or as root)" : "");
		return HM_EXIT_SKIP;
	}
	v = ioctl(kvm->sys_fd, KVM_GET_API_VERSION, 0);
	if (v < 0) {
		snprintf(why, whysz, "%s: KVM_GET_API_VERSION: %s (not a KVM "
			 "device?)", dev, strerror(errno));
		return HM_EXIT_SKIP;
	}
	if (v != KVM_API_VERSION) {
		snprintf(why, whysz, "%s: KVM API version %d, need %d (KVM too "
			 "old)", dev, v, KVM_API_VERSION);
		return HM_EXIT_SKIP;
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]);
	     i++) {
		if (ioctl(kvm->sys_fd, KVM_CHECK_EXTENSION,
			  required_caps[i].cap) <= 0) {
			snprintf(why, whysz, "%s: no %s (KVM too old)", dev,
				 required_caps[i].name);
			return HM_EXIT_SKIP;
		}
	}
	return 0;
}

static void vcpu_destroy(struct kvm *kvm);

/* Guest memory: anonymous, backed on first touch only, so the runner's
 * RSS is what the guest writes, not 1 GiB. */
static int mem_alloc(struct kvm *kvm, char *why, size_t whysz)
{
	struct hm_machine *m = &kvm->m;

	m->mem_size = HM_GUEST_RAM_BYTES;
	m->mem = mmap(NULL, m->mem_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->mem == MAP_FAILED) {
		m->mem = NULL;
		snprintf(why, whysz, "mmap of %llu MiB of guest memory: %s",
			 (unsigned long long)(m->mem_size >> 20),
			 strerror(errno));
		return -1;
	}
	/* Huge pages would back 2 MiB per touched frame, and a discard of
	 * one frame would split them. */
	madvise(m->mem, m->mem_size, MADV_NOHUGEPAGE);
	return 0;
}

void kvm__teardown(struct kvm *kvm)
{
	kvm->kicked = 0;
	vcpu_destroy(kvm);
	if (kvm->vm_fd >= 0)
		close(kvm->vm_fd);
	kvm->vm_fd = -1;
	if (kvm->m.mem)
		munmap(kvm->m.mem, kvm->m.mem_size);
	kvm->m.mem = NULL;
	kvm->m.alive = false;
}

void kvm__close(struct kvm *kvm)
{
	kvm__teardown(kvm);
	if (kvm->sys_fd >= 0)
		close(kvm->sys_fd);
	kvm->sys_fd = -1;
}

/* A vCPU with its kvm_run page and CPUID. */
int vcpu__create(struct kvm *kvm, unsigned long id, int *fd,
		 struct kvm_run **run, size_t *run_size, char *why,
		 size_t whysz)
{
	int sz;

	*fd = KVM_IOCTL(kvm->vm_fd, KVM_CREATE_VCPU, (void *)id, why, whysz);
	if (*fd < 0)
		return HM_EXIT_SKIP;	/* an SMP VM this KVM will not make */
	sz = KVM_IOCTL(kvm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0, why, whysz);
	if (sz < 0)
		return HM_EXIT_INTERNAL;
	*run_size = (size_t)sz;
	*run = mmap(NULL, *run_size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd,
		    0);
	if (*run == MAP_FAILED) {
		*run = NULL;
		snprintf(why, whysz, "mmap of vCPU %lu's kvm_run: %s", id,
			 strerror(errno));
		return HM_EXIT_INTERNAL;
	}
	return x86__setup_cpuid(kvm->sys_fd, *fd, why, whysz) ?
	       HM_EXIT_INTERNAL : 0;
}

static int vcpu_create(struct kvm *kvm, unsigned long id, char *why,
		       size_t whysz)
{
	int rc = vcpu__create(kvm, id, &kvm->vcpu_fd, &kvm->run,
			      &kvm->run_size, why, whysz);

	return rc == HM_EXIT_SKIP ? HM_EXIT_INTERNAL : rc;
}

static void vcpu_destroy(struct kvm *kvm)
{
	if (kvm->run)
		munmap(kvm->run, kvm->run_size);
	kvm->run = NULL;
	if (kvm->vcpu_fd >= 0)
		close(kvm->vcpu_fd);
	kvm->vcpu_fd = -1;
}

static int vm_create(struct kvm *kvm, char *why, size_t whysz)
{
	struct kvm_userspace_memory_region region;

	kvm->vm_fd = KVM_IOCTL(kvm->sys_fd, KVM_CREATE_VM, 0, why, whysz);
	if (kvm->vm_fd < 0)
		return HM_EXIT_SKIP;	/* the device cannot make VMs here */
	if (mem_alloc(kvm, why, whysz))
		return HM_EXIT_INTERNAL;
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = kvm->m.mem_size,
		.userspace_addr = (uintptr_t)kvm->m.mem,
	};
	if (KVM_IOCTL(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region, why,
		      whysz) < 0)
		return HM_EXIT_INTERNAL;
	/* Several vCPUs: the in-kernel local APICs, before any vCPU. */
	if (kvm->m.nr_vcpus > 1 &&
	    KVM_IOCTL(kvm->vm_fd, KVM_CREATE_IRQCHIP, 0, why, whysz) < 0)
		return HM_EXIT_SKIP;
	return vcpu_create(kvm, 0, why, whysz);
}

/* Lay the guest out and set the boot vCPU's registers for @mode; AUTO
 * falls back to compat mode when KVM drops CR0.PG. */
static int setup_mode(struct kvm *kvm, enum hm_paging_mode mode, char *why,
		      size_t whysz)
{
	struct hm_machine *m = &kvm->m;
	bool stuck;
	int rc;

	if (guest__layout(m, m->mode, true, why, whysz) ||
	    x86__setup_sregs(kvm->vcpu_fd, m->mode, m->tables.cr3, &stuck, why,
			     whysz))
		return HM_EXIT_INTERNAL;
	if (!stuck && mode == HM_PAGING_AUTO) {
		/* Same VM, other mode: the memory slot alone costs
		 * milliseconds to set up again on some hosts. */
		snprintf(m->fallback_why, sizeof(m->fallback_why),
			 "KVM_SET_SREGS dropped CR0.PG: this KVM refuses "
			 "legacy paging");
		m->mode = HM_PAGING_COMPAT;
		/* A new vCPU too: the refused one shuts down at its first
		 * instruction whatever it is given next. */
		vcpu_destroy(kvm);
		rc = vcpu_create(kvm, 1, why, whysz);
		if (rc)
			return rc;
		if (guest__layout(m, m->mode, true, why, whysz) ||
		    x86__setup_sregs(kvm->vcpu_fd, m->mode, m->tables.cr3,
				     &stuck, why, whysz))
			return HM_EXIT_INTERNAL;
	}
	if (!stuck) {
		snprintf(why, whysz, "legacy paging refused: CR0.PG did not "
			 "stick in KVM_SET_SREGS");
		return HM_EXIT_FAIL;
	}
	return 0;
}

/* Why the guest did not say "ready". */
static void boot_failure(struct kvm *kvm, const struct vcpu_event *ev,
			 char *why, size_t whysz)
{
	uint32_t r[5] = { 0 };

	if (ev->kind == EV_PORT && ev->port == HM_PORT_PANIC)
		snprintf(why, whysz, "the guest panicked while booting: %.*s",
			 HM_MB_MSG_LEN, machine__mailbox(&kvm->m)->panic_msg);
	else if (ev->kind == EV_PORT && ev->port == HM_PORT_FAULT &&
		 x86__get_regs(kvm->vcpu_fd, r))
		snprintf(why, whysz, "the guest took exception %u while "
			 "booting (error code %#x, CR2 %#x, EIP %#x)",
			 ev->value, r[1], r[2], r[3]);
	else if (ev->kind == EV_TIMEOUT)
		snprintf(why, whysz, "the guest did not finish booting in 5 s");
	else
		snprintf(why, whysz, "the guest stopped while booting: %s",
			 kvm__exit_name(ev->exit_reason));
	if (kvm->m.verbose)
		x86__dump_regs(kvm->vcpu_fd, stderr);
}

int kvm__boot(struct kvm *kvm, enum hm_paging_mode mode, char *why,
	      size_t whysz)
{
	struct kvm_regs regs;
	struct vcpu_event ev;
	int rc;

	kvm__teardown(kvm);
	kvm->m.fallback_why[0] = '\0';
	kvm->m.mode = mode == HM_PAGING_AUTO ? HM_PAGING_LEGACY_PAE : mode;
	rc = vm_create(kvm, why, whysz);
	if (!rc)
		rc = setup_mode(kvm, mode, why, whysz);
	if (rc)
		return rc;
	memset(&regs, 0, sizeof(regs));
	regs.rip = HM_GUEST_IMAGE_PHYS;
	regs.rflags = 0x2;	/* bit 1 is always set; IF clear */
	if (KVM_IOCTL(kvm->vcpu_fd, KVM_SET_REGS, &regs, why, whysz) < 0)
		return HM_EXIT_INTERNAL;

	/* Boot costs a few thousand emulated instructions: seconds is
	 * plenty even on the slowest host. */
	rc = vcpu__run(kvm, 5000, &ev);
	if (rc)
		return rc;
	if (ev.kind == EV_PORT && ev.port == HM_PORT_READY) {
		kvm->m.alive = true;
		return 0;
	}
	boot_failure(kvm, &ev, why, whysz);
	return HM_EXIT_FAIL;
}

/* ---- The run loop --------------------------------------------------------- */

/* The watchdog: SIGALRM sets immediate_exit, so a KVM_RUN in progress
 * returns EINTR and one about to start returns at once. */
static struct kvm_run *volatile watched_run;
static volatile sig_atomic_t watchdog_fired;

static void watchdog_handler(int sig)
{
	(void)sig;
	watchdog_fired = 1;
	if (watched_run)
		__atomic_store_n(&watched_run->immediate_exit, 1,
				 __ATOMIC_SEQ_CST);
}

static void watchdog_arm(struct kvm *kvm, unsigned ms)
{
	static bool installed;
	struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };

	if (!installed) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = watchdog_handler;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART */
		installed = true;
	}
	watchdog_fired = 0;
	__atomic_store_n(&kvm->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	watched_run = kvm->run;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void watchdog_disarm(struct kvm *kvm)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &it, NULL);
	watched_run = NULL;
	__atomic_store_n(&kvm->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
}

static void console_putc(struct kvm *kvm, char c)
{
	if (c == '\n' || kvm->console_len + 1 >= sizeof(kvm->console)) {
		kvm->console[kvm->console_len] = '\0';
		fprintf(stderr, "%s\n", kvm->console);
		kvm->console_len = 0;
		if (c == '\n')
			return;
	}
	kvm->console[kvm->console_len++] = c;
}

/* One exit of KVM_RUN: true if the caller must see it (@ev filled),
 * false to run on (console output, an IN, an interrupted run). */
static bool exit_event(struct kvm *kvm, struct vcpu_event *ev)
{
	struct kvm_run *run = kvm->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	ev->exit_reason = run->exit_reason;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (run->io.direction != KVM_EXIT_IO_OUT) {
			/* Nothing here to read: all ones, as an empty bus
			 * would answer. */
			memset(data, 0xff, run->io.size * run->io.count);
			return false;
		}
		if (run->io.port == HM_PORT_PUTC) {
			for (uint32_t i = 0; i < run->io.count; i++)
				console_putc(kvm, (char)data[i * run->io.size]);
			return false;
		}
		ev->kind = EV_PORT;
		ev->port = run->io.port;
		ev->value = 0;
		memcpy(&ev->value, data, run->io.size < 4 ? run->io.size : 4);
		return true;
	case KVM_EXIT_SHUTDOWN:
		ev->kind = EV_SHUTDOWN;
		return true;
	case KVM_EXIT_HLT:
		ev->kind = EV_HLT;
		return true;
	case KVM_EXIT_FAIL_ENTRY:
		ev->kind = EV_FAIL_ENTRY;
		ev->detail = run->fail_entry.hardware_entry_failure_reason;
		return true;
	case KVM_EXIT_INTERNAL_ERROR:
		ev->kind = EV_INTERNAL_ERROR;
		ev->detail = run->internal.suberror;
		return true;
	case KVM_EXIT_INTR:
		ev->kind = EV_TIMEOUT;
		return watchdog_fired;
	default:
		ev->kind = EV_OTHER;
		return true;
	}
}

/*
 * Run until the guest does something the caller must see: an OUT to one
 * of our ports (other than the console), a stop, or the watchdog.
 * Returns 0 with @ev filled, or HM_EXIT_INTERNAL for a runner failure.
 */
int vcpu__run(struct kvm *kvm, unsigned timeout_ms, struct vcpu_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	watchdog_arm(kvm, timeout_ms ? timeout_ms : 1);
	for (;;) {
		/* An application processor stopped (kvm->aps): before
		 * KVM_RUN, since the kick may have come before the watchdog
		 * cleared immediate_exit. */
		if (__atomic_load_n(&kvm->kicked, __ATOMIC_SEQ_CST)) {
			ev->kind = EV_KICK;
			break;
		}
		if (ioctl(kvm->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR && watchdog_fired) {
				ev->kind = EV_TIMEOUT;
				break;
			}
			if (errno == EINTR || errno == EAGAIN)
				continue;
			ev->kind = EV_ERROR;
			ev->err = errno;
			break;
		}
		if (exit_event(kvm, ev))
			break;
	}
	watchdog_disarm(kvm);
	if (ev->kind == EV_ERROR) {
		fprintf(stderr, "kvm_runner: KVM_RUN: %s\n", strerror(ev->err));
		return HM_EXIT_INTERNAL;
	}
	return 0;
}
