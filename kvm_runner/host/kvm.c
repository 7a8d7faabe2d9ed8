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

#include "kvm_runner/host/runner.h"

const char *const kvm_exit_names[] = {
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

int kvm__ioctl(int fd, unsigned long req, void *arg, const char *name,
	       char *why, size_t whysz)
{
	int rc = ioctl(fd, req, arg);

	if (rc < 0)
		snprintf(why, whysz, "%s: %s", name, strerror(errno));
	return rc;
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

void kvm__teardown(struct kvm *kvm)
{
	char why[256];

	/* The application processors first: their threads run the VM. */
	smp__stop_aps(kvm->aps, why, sizeof(why));
	kvm->aps = NULL;
	kvm->kicked = 0;
	vcpu_destroy(kvm);
	if (kvm->vm_fd >= 0)
		close(kvm->vm_fd);
	kvm->vm_fd = -1;
	guest__free(kvm);
	kvm->alive = false;
}

void kvm__close(struct kvm *kvm)
{
	kvm__teardown(kvm);
	if (kvm->sys_fd >= 0)
		close(kvm->sys_fd);
	kvm->sys_fd = -1;
}

/* A vCPU with its kvm_run page and CPUID. */
static int vcpu_create(struct kvm *kvm, unsigned long id, char *why,
		       size_t whysz)
{
	int sz;

	kvm->vcpu_fd = KVM_IOCTL(kvm->vm_fd, KVM_CREATE_VCPU, (void *)id, why,
				 whysz);
	if (kvm->vcpu_fd < 0)
		return HM_EXIT_INTERNAL;
	sz = KVM_IOCTL(kvm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0, why, whysz);
	if (sz < 0)
		return HM_EXIT_INTERNAL;
	kvm->run_size = (size_t)sz;
	kvm->run = mmap(NULL, kvm->run_size, PROT_READ | PROT_WRITE,
			MAP_SHARED, kvm->vcpu_fd, 0);
	if (kvm->run == MAP_FAILED) {
		kvm->run = NULL;
		snprintf(why, whysz, "mmap of the vCPU's kvm_run: %s",
			 strerror(errno));
		return HM_EXIT_INTERNAL;
	}
	return x86__setup_cpuid(kvm, kvm->vcpu_fd, why, whysz) ?
	       HM_EXIT_INTERNAL : 0;
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
	if (guest__alloc(kvm, why, whysz))
		return HM_EXIT_INTERNAL;
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = kvm->mem_size,
		.userspace_addr = (uintptr_t)kvm->mem,
	};
	if (KVM_IOCTL(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region, why,
		      whysz) < 0)
		return HM_EXIT_INTERNAL;
	/* Several vCPUs: the in-kernel local APICs, before any vCPU. */
	if (kvm->nr_vcpus > 1 &&
	    KVM_IOCTL(kvm->vm_fd, KVM_CREATE_IRQCHIP, 0, why, whysz) < 0)
		return HM_EXIT_SKIP;
	return vcpu_create(kvm, 0, why, whysz);
}

int kvm__boot(struct kvm *kvm, enum hm_paging_mode mode, char *why,
	      size_t whysz)
{
	struct kvm_regs regs;
	struct vcpu_event ev;
	bool stuck;
	int rc;

	kvm__teardown(kvm);
	kvm->fallback_why[0] = '\0';
	kvm->mode = mode == HM_PAGING_AUTO ? HM_PAGING_LEGACY_PAE : mode;
	rc = vm_create(kvm, why, whysz);
	if (rc)
		return rc;
	if (guest__layout(kvm, kvm->mode, why, whysz))
		return HM_EXIT_INTERNAL;
	if (x86__setup_sregs(kvm, kvm->mode, &stuck, why, whysz))
		return HM_EXIT_INTERNAL;
	if (!stuck && mode == HM_PAGING_AUTO) {
		/* Same VM, other mode: the memory slot alone costs
		 * milliseconds to set up again on some hosts. */
		snprintf(kvm->fallback_why, sizeof(kvm->fallback_why),
			 "KVM_SET_SREGS dropped CR0.PG: this KVM refuses "
			 "legacy paging");
		kvm->mode = HM_PAGING_COMPAT;
		/* A new vCPU too: the refused one shuts down at its first
		 * instruction whatever it is given next. */
		vcpu_destroy(kvm);
		rc = vcpu_create(kvm, 1, why, whysz);
		if (rc)
			return rc;
		if (guest__layout(kvm, kvm->mode, why, whysz) ||
		    x86__setup_sregs(kvm, kvm->mode, &stuck, why, whysz))
			return HM_EXIT_INTERNAL;
	}
	if (!stuck) {
		snprintf(why, whysz, "legacy paging refused: CR0.PG did not "
			 "stick in KVM_SET_SREGS");
		return HM_EXIT_FAIL;
	}
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
		kvm->alive = true;
		return 0;
	}
	if (ev.kind == EV_PORT && ev.port == HM_PORT_PANIC)
		snprintf(why, whysz, "the guest panicked while booting: %.*s",
			 HM_MB_MSG_LEN, guest__mailbox(kvm)->panic_msg);
	else if (ev.kind == EV_PORT && ev.port == HM_PORT_FAULT) {
		struct kvm_regs r;

		ioctl(kvm->vcpu_fd, KVM_GET_REGS, &r);
		snprintf(why, whysz, "the guest took exception %u while "
			 "booting (error code %#llx, CR2 %#llx, EIP %#llx)",
			 ev.value, (unsigned long long)r.rbx,
			 (unsigned long long)r.rcx, (unsigned long long)r.rdx);
	} else if (ev.kind == EV_TIMEOUT)
		snprintf(why, whysz, "the guest did not finish booting in 5 s");
	else
		snprintf(why, whysz, "the guest stopped while booting: %s",
			 kvm__exit_name(ev.exit_reason));
	if (kvm->verbose)
		x86__dump_regs(kvm, stderr);
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
		watched_run->immediate_exit = 1;
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
	kvm->run->immediate_exit = 0;
	watched_run = kvm->run;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void watchdog_disarm(struct kvm *kvm)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };

	setitimer(ITIMER_REAL, &it, NULL);
	watched_run = NULL;
	kvm->run->immediate_exit = 0;
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

/*
 * Run until the guest does something the caller must see: an OUT to one
 * of our ports (other than the console), a stop, or the watchdog.
 * Returns 0 with @ev filled, or HM_EXIT_INTERNAL for a runner failure.
 */
int vcpu__run(struct kvm *kvm, unsigned timeout_ms, struct vcpu_event *ev)
{
	struct kvm_run *run = kvm->run;
	int rc = 0;

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
		ev->exit_reason = run->exit_reason;
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			uint8_t *data = (uint8_t *)run + run->io.data_offset;

			if (run->io.direction != KVM_EXIT_IO_OUT) {
				/* Nothing here to read: all ones, as an
				 * empty bus would answer. */
				memset(data, 0xff, run->io.size * run->io.count);
				continue;
			}
			if (run->io.port == HM_PORT_PUTC) {
				for (uint32_t i = 0; i < run->io.count; i++)
					console_putc(kvm, (char)data[i *
							   run->io.size]);
				continue;
			}
			ev->kind = EV_PORT;
			ev->port = run->io.port;
			ev->value = 0;
			memcpy(&ev->value, data,
			       run->io.size < 4 ? run->io.size : 4);
			goto out;
		}
		case KVM_EXIT_SHUTDOWN:
			ev->kind = EV_SHUTDOWN;
			goto out;
		case KVM_EXIT_HLT:
			ev->kind = EV_HLT;
			goto out;
		case KVM_EXIT_FAIL_ENTRY:
			ev->kind = EV_FAIL_ENTRY;
			ev->detail =
				run->fail_entry.hardware_entry_failure_reason;
			goto out;
		case KVM_EXIT_INTERNAL_ERROR:
			ev->kind = EV_INTERNAL_ERROR;
			ev->detail = run->internal.suberror;
			goto out;
		case KVM_EXIT_INTR:
			if (watchdog_fired) {
				ev->kind = EV_TIMEOUT;
				goto out;
			}
			continue;
		default:
			ev->kind = EV_OTHER;
			goto out;
		}
	}
out:
	watchdog_disarm(kvm);
	if (ev->kind == EV_ERROR) {
		fprintf(stderr, "kvm_runner: KVM_RUN: %s\n", strerror(ev->err));
		rc = HM_EXIT_INTERNAL;
	}
	return rc;
}
