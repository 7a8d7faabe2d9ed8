/* SPDX-License-Identifier: MIT */
/*
 * kvm.h - the KVM backend's own files, bottom up:
 *
 *   x86.c         CPUID, sregs per paging mode, register dumps (ioctls)
 *   kvm.c         /dev/kvm, the VM, its memory and boot vCPU, the run loop
 *   smp.c         application-processor vCPUs, one host thread each, and
 *                 the smp_shootdown scenario
 *   kvm_machine.c the machine.h interface over the three
 *
 * Each uses only the files above it.
 */
#ifndef HM_KVM_KVM_H
#define HM_KVM_KVM_H

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm_runner/host/machine.h"

struct smp_aps;

struct kvm {
	struct hm_machine m;		/* first: the backend-neutral part */
	const char *dev;
	int sys_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	/* The application processors this VM owns (smp.c), stopped before
	 * the VM goes.  With kick_on_ap_stop, one that stops on its own (a
	 * fault, a panic) kicks cpu 0's vcpu__run() out with EV_KICK, so
	 * nobody waits for the watchdog: it sets kicked and cpu 0's
	 * immediate_exit, and signals bsp_thread (the one in vcpu__run). */
	struct smp_aps *aps;
	bool kick_on_ap_stop;
	pthread_t bsp_thread;
	volatile int kicked;
	char console[256];		/* the guest's current console line */
	size_t console_len;
};

static inline struct kvm *to_kvm(struct hm_machine *m)
{
	return (struct kvm *)m;
}

/* Why vcpu__run() came back. */
enum vcpu_event_kind {
	EV_PORT,		/* an OUT to one of our ports */
	EV_SHUTDOWN,		/* triple fault */
	EV_HLT,
	EV_TIMEOUT,		/* the watchdog fired */
	EV_FAIL_ENTRY,
	EV_INTERNAL_ERROR,
	EV_OTHER,		/* any other exit reason */
	EV_ERROR,		/* KVM_RUN itself failed */
	EV_KICK,		/* an application processor of kvm->aps
				 * stopped: smp__stopped() says why */
};

struct vcpu_event {
	enum vcpu_event_kind kind;
	uint32_t exit_reason;
	uint16_t port;
	uint32_t value;
	uint64_t detail;	/* FAIL_ENTRY reason, INTERNAL_ERROR suberror */
	int err;		/* EV_ERROR: errno */
};

/* The named ioctl on @fd; on failure, "IOCTL_NAME: strerror" in @why. */
static inline int kvm__ioctl(int fd, unsigned long req, void *arg,
			     const char *name, char *why, size_t whysz)
{
	int rc = ioctl(fd, req, arg);

	if (rc < 0)
		snprintf(why, whysz, "%s: %s", name, strerror(errno));
	return rc;
}
#define KVM_IOCTL(fd, req, arg, why, whysz) \
	kvm__ioctl(fd, req, arg, #req, why, whysz)

/* x86.c */
int x86__setup_cpuid(int sys_fd, int vcpu_fd, char *why, size_t whysz);
/* Fill a vCPU's sregs for @mode (@cr3: the PDPT, for legacy PAE);
 * *@stuck false if KVM dropped CR0.PG (refused legacy paging). */
int x86__setup_sregs(int vcpu_fd, enum hm_paging_mode mode, uint64_t cr3,
		     bool *stuck, char *why, size_t whysz);
void x86__dump_regs(int vcpu_fd, FILE *f);
/* EAX..EDX (the fault stub's report) and EIP of a vCPU; false if KVM
 * would not say. */
bool x86__get_regs(int vcpu_fd, uint32_t r[5]);
bool x86__get_cr3(int vcpu_fd, uint64_t *cr3, bool *lma);

/* kvm.c */
const char *kvm__exit_name(uint32_t reason);
/* Open the device and check the API; on failure a one-line reason and
 * HM_EXIT_SKIP (no usable KVM) or HM_EXIT_INTERNAL. */
int kvm__open(struct kvm *kvm, const char *dev, char *why, size_t whysz);
/* Make the VM, its memory and vCPU, lay the guest out, and run it until
 * it says it is ready.  HM_PAGING_AUTO asks for legacy PAE and settles for
 * compat mode in the same VM when KVM drops CR0.PG (m.fallback_why).
 * Returns 0, or an HM_EXIT_* with @why (HM_EXIT_FAIL: the guest did not
 * come up in that mode).  The application processors are smp.c's. */
int kvm__boot(struct kvm *kvm, enum hm_paging_mode mode, char *why,
	      size_t whysz);
/* The VM, not the device; the caller stopped the APs (smp__stop_aps). */
void kvm__teardown(struct kvm *kvm);
void kvm__close(struct kvm *kvm);
int vcpu__run(struct kvm *kvm, unsigned timeout_ms, struct vcpu_event *ev);
/* Make vCPU @id of the VM with its kvm_run page and CPUID. */
int vcpu__create(struct kvm *kvm, unsigned long id, int *fd,
		 struct kvm_run **run, size_t *run_size, char *why,
		 size_t whysz);

/* smp.c */
/* Start the application processors (cpus 1..@nr_cpus - 1) of @kvm, booted
 * in compat mode with nr_vcpus = @nr_cpus, and wait until they are online:
 * 0 and *@aps, or HM_EXIT_SKIP (KVM refused an SMP ioctl), HM_EXIT_FAIL
 * or HM_EXIT_INTERNAL with @why (nothing left running).  Stop them with
 * smp__stop_aps() before the VM goes: 0, or -1 and why one had died. */
int smp__start_aps(struct kvm *kvm, unsigned nr_cpus, unsigned timeout_ms,
		   struct smp_aps **aps, char *why, size_t whysz);
int smp__stop_aps(struct smp_aps *aps, char *why, size_t whysz);
/* The first application processor of @aps that stopped on its own: true,
 * with its cpu number, how it stopped and its vCPU fd (for its registers),
 * and a one-line description in @why. */
bool smp__stopped(struct smp_aps *aps, unsigned *cpu, struct vcpu_event *ev,
		  int *fd, char *why, size_t whysz);
/* The vCPU fd of @cpu (0: the boot vCPU's). */
int smp__vcpu_fd(struct kvm *kvm, unsigned cpu);
/* kvm_runner smp_shootdown, @nr_cpus vCPUs.  Prints its lines; returns an
 * HM_EXIT_*. */
int smp__shootdown(const char *dev, unsigned nr_cpus, unsigned timeout_ms,
		   bool verbose);

/* kvm_machine.c: a KVM machine (machine.h) on @dev, device open; or an
 * HM_EXIT_* with @why. */
int kvm_machine__open(struct hm_machine **m, const char *dev, char *why,
		      size_t whysz);

#endif /* HM_KVM_KVM_H */
