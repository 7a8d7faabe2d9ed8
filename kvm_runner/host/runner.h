/* SPDX-License-Identifier: MIT */
/*
 * runner.h - the one header joining the host's files:
 *
 *   kvm.c       /dev/kvm, the VM, the vCPU run loop and its exit switch
 *   x86.c       sregs, the paging-mode probe, register and page-table dumps
 *   guest_mem.c guest memory: image, page tables, GDT, mailbox, scans
 *   verify.c    one sequence: simulator run, guest run, the checks
 *   verify_smp.c  the checks a run on several vCPUs adds
 *   smp.c       application-processor vCPUs, one host thread each
 *   vms.c       the VMs of a run, one per vCPU count
 *   scenarios.c the built-in scenarios
 *   input.c     op-sequence files and folders (fuzz/ops.h) to jobs
 *   main.c      the command line
 */
#ifndef HM_KVM_RUNNER_H
#define HM_KVM_RUNNER_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/highmem.h"
#include "core/x86_pgtable.h"
#include "kvm_runner/mailbox.h"

/* Exit status of the runner. */
enum {
	HM_EXIT_PASS = 0,	/* every check passed */
	HM_EXIT_FAIL = 1,	/* a check failed (or an input was bad) */
	HM_EXIT_USAGE = 2,	/* bad command line */
	HM_EXIT_INTERNAL = 70,	/* the runner itself went wrong */
	HM_EXIT_SKIP = 77,	/* no usable /dev/kvm */
};

struct kvm {
	const char *dev;
	int sys_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;			/* guest physical memory, lazily backed */
	uint64_t mem_size;
	enum hm_paging_mode mode;
	struct hm_x86_tables tables;	/* host pointers into mem */
	/* The kernel profile the tables are built for (0: linux-4.7),
	 * set before booting; its layout, for 1 CPU and without debug. */
	enum hm_kernel kernel;
	struct hm_layout layout;
	bool alive;			/* booted and waiting for a sequence */
	unsigned nr_vcpus;		/* > 1: SMP, in-kernel irqchip (smp.c) */
	/* The application processors this VM owns (vms.c), stopped by
	 * kvm__teardown().  With kick_on_ap_stop, one that stops on its own
	 * (a fault, a panic) kicks cpu 0's vcpu__run() out with EV_KICK, so
	 * nobody waits for the watchdog: it sets kicked and cpu 0's
	 * immediate_exit, and signals bsp_thread (the one in vcpu__run). */
	struct smp_aps *aps;
	bool kick_on_ap_stop;
	pthread_t bsp_thread;
	volatile int kicked;
	char fallback_why[256];		/* why AUTO did not get legacy PAE */
	bool verbose;
	char console[256];		/* the guest's current console line */
	size_t console_len;
};

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

/* kvm.c */
extern const char *const kvm_exit_names[];
const char *kvm__exit_name(uint32_t reason);
/* Open the device and check the API; on failure a one-line reason and
 * HM_EXIT_SKIP (no usable KVM) or HM_EXIT_INTERNAL. */
int kvm__open(struct kvm *kvm, const char *dev, char *why, size_t whysz);
/* Make the VM, its memory and vCPU, lay the guest out, and run it until
 * it says it is ready.  HM_PAGING_AUTO asks for legacy PAE and settles for
 * compat mode in the same VM when KVM drops CR0.PG (kvm->fallback_why).
 * Returns 0, or an HM_EXIT_* with @why filled (HM_EXIT_FAIL: the guest
 * did not come up in that mode). */
int kvm__boot(struct kvm *kvm, enum hm_paging_mode mode, char *why,
	      size_t whysz);
void kvm__teardown(struct kvm *kvm);	/* the VM, not the device */
void kvm__close(struct kvm *kvm);
int vcpu__run(struct kvm *kvm, unsigned timeout_ms, struct vcpu_event *ev);
/* The named ioctl on @fd; on failure, "IOCTL_NAME: strerror" in @why. */
int kvm__ioctl(int fd, unsigned long req, void *arg, const char *name,
	       char *why, size_t whysz);
#define KVM_IOCTL(fd, req, arg, why, whysz) \
	kvm__ioctl(fd, req, arg, #req, why, whysz)

/* x86.c */
int x86__setup_cpuid(struct kvm *kvm, int vcpu_fd, char *why, size_t whysz);
/* Fill sregs for @mode; legacy: false if KVM dropped CR0.PG (refused). */
int x86__setup_sregs(struct kvm *kvm, enum hm_paging_mode mode, bool *stuck,
		     char *why, size_t whysz);
/* The same for another vCPU of the VM (an SMP application processor). */
int x86__setup_sregs_fd(struct kvm *kvm, int vcpu_fd,
			enum hm_paging_mode mode, bool *stuck, char *why,
			size_t whysz);
void x86__dump_regs(struct kvm *kvm, FILE *f);
void x86__dump_regs_fd(int vcpu_fd, FILE *f);	/* any vCPU's */
void x86__dump_walk(struct kvm *kvm, uint32_t vaddr, FILE *f);
const char *x86__mode_name(enum hm_paging_mode mode);
/* "name+0x12" for a guest address, into @buf. */
const char *x86__guest_symbol(uint32_t addr, char *buf, size_t size);

/* guest_mem.c */
int guest__alloc(struct kvm *kvm, char *why, size_t whysz);
void guest__free(struct kvm *kvm);
int guest__layout(struct kvm *kvm, enum hm_paging_mode mode, char *why,
		  size_t whysz);
static inline struct hm_mailbox *guest__mailbox(struct kvm *kvm)
{
	return (struct hm_mailbox *)(kvm->mem + HM_GUEST_MAILBOX_PHYS);
}
/* The PTE of PKMAP entry @nr / of fixmap slot @idx, as the guest left it. */
uint64_t guest__pkmap_pte(struct kvm *kvm, unsigned nr);
/* The PTE of fixmap index @idx of layout @l (a sequence's, which must fit
 * the VM's tables: guest__fits). */
uint64_t guest__fixmap_pte(struct kvm *kvm, const struct hm_layout *l,
			   unsigned idx);
/* Do the VM's tables fit a sequence whose simulator layout is @l (same
 * kernel, PKMAP_BASE, end of lowmem and fixmap tables)?  If not, why. */
bool guest__fits(const struct kvm *kvm, enum hm_kernel k,
		 const struct hm_layout *l, char *why, size_t whysz);
/* Resident frames from @first on, into @pfns (at most @max); the count,
 * or (size_t)-1 if mincore() failed. */
size_t guest__resident(struct kvm *kvm, uint64_t first, uint64_t *pfns,
		       size_t max);
/* Give the frame back: zero again, not resident. */
void guest__discard(struct kvm *kvm, uint64_t pfn);
static inline uint32_t guest__read32(struct kvm *kvm, uint64_t pa)
{
	uint32_t v;

	__builtin_memcpy(&v, kvm->mem + pa, 4);
	return v;
}

/* A sequence to run and what should come of it. */
struct job {
	char name[256];
	struct hm_kop *ops;
	uint32_t n;
	uint32_t nr_cpus;
	uint32_t flags;			/* HM_MB_* */
	unsigned timeout_ms;		/* 0: the command line's */
	bool skip;			/* cannot run here; why in error */
	char error[256];		/* input error: the job fails with it */
};

struct run_opts {
	unsigned timeout_ms;
	bool verbose;
	enum hm_paging_mode mode;
	bool one_vcpu;		/* several CPUs on one vCPU, playing each */
	enum hm_kernel kernel;	/* --kernel: the VMs' profile */
};

/* vms.c: the VMs of one run.  vm[1] is the one-vCPU VM main() boots, for
 * every sequence of one CPU; vm[N], 2 <= N <= HM_SMP_MAX_CPUS, has N
 * vCPUs and runs the sequences of N CPUs, each op on the vCPU of its CPU.
 * Booted the first time a sequence needs one (and again after a sequence
 * killed it).  Where KVM makes no SMP guest, or with o->one_vcpu, vm[1]
 * plays every CPU instead (no_smp says why). */
struct vms {
	const char *dev;
	const struct run_opts *o;
	struct kvm vm[HM_SMP_MAX_CPUS + 1];
	bool opened[HM_SMP_MAX_CPUS + 1];
	char no_smp[320];
};
/* The VM for a sequence of @nr_cpus CPUs, booted; NULL with @why and an
 * HM_EXIT_* in *@rc. */
struct kvm *vms__get(struct vms *v, unsigned nr_cpus, int *rc, char *why,
		     size_t whysz);
void vms__close(struct vms *v);

/* verify.c */
/* Run @job in its VM (vms__get) and check it.  Prints one PASS/FAIL/SKIP
 * line.  Returns 0 pass, 1 fail, 77 skip, or HM_EXIT_INTERNAL. */
int verify__job(struct vms *v, const struct run_opts *o, struct job *job);
/* A failed check of the sequence being verified: the first is the FAIL
 * line's reason, a few more are printed as "also:". */
struct checker;
void checker__fail(struct checker *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* verify_smp.c: a sequence that ran on several vCPUs.  Check each op's
 * vCPU against @sim_op_cpu, and each vCPU's shootdown acks against the
 * range flushes the simulator made on the others (@flushes_by, by CPU);
 * append to the verdict's @buf the ops and acks by vCPU; or, after the
 * watchdog, what each vCPU was waiting for. */
void verify_smp__check(struct kvm *kvm, const struct job *job,
		       const uint8_t *sim_op_cpu, const uint64_t *flushes_by,
		       struct checker *c);
void verify_smp__detail(struct kvm *kvm, const struct job *job,
			const uint64_t *flushes_by, char *buf, size_t size);
void verify_smp__waits(struct kvm *kvm, char *buf, size_t size);

/* smp.c: kvm_runner smp_shootdown, @nr_cpus vCPUs.  Prints its lines;
 * returns an HM_EXIT_*. */
int smp__shootdown(const char *dev, unsigned nr_cpus, unsigned timeout_ms,
		   bool verbose);
/* Start the application processors (cpus 1..@nr_cpus - 1) of @kvm, booted
 * in compat mode with nr_vcpus = @nr_cpus, and wait until they are online:
 * 0 and *@aps, or HM_EXIT_SKIP (KVM refused an SMP ioctl), HM_EXIT_FAIL
 * or HM_EXIT_INTERNAL with @why (nothing left running).  Stop them with
 * smp__stop_aps() before the VM goes: 0, or -1 and why one had died. */
struct smp_aps;
int smp__start_aps(struct kvm *kvm, unsigned nr_cpus, unsigned timeout_ms,
		   struct smp_aps **aps, char *why, size_t whysz);
int smp__stop_aps(struct smp_aps *aps, char *why, size_t whysz);
/* The first application processor of @aps that stopped on its own: true,
 * with its cpu number, how it stopped and its vCPU fd (for its registers),
 * and a one-line description in @why. */
bool smp__stopped(struct smp_aps *aps, unsigned *cpu, struct vcpu_event *ev,
		  int *fd, char *why, size_t whysz);

/* scenarios.c */
struct scenario {
	const char *name;
	const char *what;
	void (*build)(struct job *job);
};
extern const struct scenario hm_scenarios[];
extern const size_t hm_nr_scenarios;
/* Append op @code to @job (growing it). */
void job__add(struct job *job, uint32_t code, uint32_t a, uint32_t b);
void job__free(struct job *job);

/* input.c: a file into one job, a folder into one job per file. */
int input__load(const char *path, struct job **jobs, size_t *njobs);

/* The embedded guest (generated by the build). */
extern const unsigned char hm_guest_image[];
extern const unsigned int hm_guest_image_size;
struct hm_guest_sym {
	uint32_t addr;
	const char *name;
};
extern const struct hm_guest_sym hm_guest_syms[];
extern const unsigned int hm_guest_nsyms;

#endif /* HM_KVM_RUNNER_H */
