/* SPDX-License-Identifier: MIT */
/*
 * smp.c - kvm_runner smp_shootdown: several vCPUs, one host thread each,
 * KVM's in-kernel local APICs (KVM_CREATE_IRQCHIP), and a real TLB
 * shootdown in the guest.  cpu 0 boots as usual (compat mode: the
 * application processors' IDT gates are 64-bit); then each application
 * processor starts at the same entry with its cpu number in EBX, enables
 * its xAPIC (mapped at FIX_APIC_BASE) and waits for work with interrupts
 * on.  cpu 0 runs the scenario (guest/smp.c); the host checks what each
 * CPU read against guest memory and the page tables, and the IPI counts.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "core/layout.h"
#include "core/pgtable.h"
#include "kvm_runner/host/kvm.h"

struct ap {
	struct kvm *kvm;
	unsigned cpu;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool started;
	bool stop, exited;		/* __atomic: shared with its thread */
	bool died;			/* stopped on its own: ev says why */
	struct vcpu_event ev;
};

static void kick_handler(int sig)
{
	(void)sig;
}

/* This AP stopped on its own: get cpu 0 out of KVM_RUN now, rather than
 * at the watchdog (it may be waiting for us, halted). */
static void kick_bsp(struct kvm *kvm)
{
	struct kvm_run *run = kvm->run;

	if (!kvm->kick_on_ap_stop)
		return;
	__atomic_store_n(&kvm->kicked, 1, __ATOMIC_SEQ_CST);
	if (run)
		__atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(kvm->bsp_thread, SIGUSR1);
}

/* An application processor's run loop: console output, and anything else
 * ends it (a fault or panic report, a stop).  SIGALRM stays with the main
 * thread's watchdog; SIGUSR1 kicks us out of KVM_RUN. */
static void *ap_thread(void *arg)
{
	struct ap *ap = arg;
	struct kvm_run *run = ap->run;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!__atomic_load_n(&ap->stop, __ATOMIC_SEQ_CST)) {
		if (ioctl(ap->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			ap->ev.kind = EV_ERROR;
			ap->ev.err = errno;
			ap->died = true;
			break;
		}
		ap->ev.exit_reason = run->exit_reason;
		if (run->exit_reason == KVM_EXIT_INTR)
			continue;
		if (run->exit_reason == KVM_EXIT_IO &&
		    run->io.direction == KVM_EXIT_IO_OUT &&
		    run->io.port == HM_PORT_PUTC) {
			uint8_t *d = (uint8_t *)run + run->io.data_offset;

			for (uint32_t i = 0; i < run->io.count; i++)
				fputc(d[i * run->io.size], stderr);
			continue;
		}
		if (run->exit_reason == KVM_EXIT_IO) {
			ap->ev.kind = EV_PORT;
			ap->ev.port = run->io.port;
			memcpy(&ap->ev.value, (uint8_t *)run + run->io.data_offset,
			       run->io.size < 4 ? run->io.size : 4);
		} else {
			ap->ev.kind = run->exit_reason == KVM_EXIT_SHUTDOWN ?
					      EV_SHUTDOWN : EV_OTHER;
		}
		ap->died = true;
		break;
	}
	/* After died and ev: whoever sees exited sees them. */
	__atomic_store_n(&ap->exited, true, __ATOMIC_SEQ_CST);
	if (ap->died)
		kick_bsp(ap->kvm);
	return NULL;
}

static void ap_describe(struct ap *ap, char *buf, size_t n)
{
	struct kvm_regs r;

	if (ap->ev.kind == EV_PORT && ap->ev.port == HM_PORT_PANIC) {
		snprintf(buf, n, "cpu %u panicked: %.*s", ap->cpu,
			 HM_MB_MSG_LEN, machine__mailbox(&ap->kvm->m)->panic_msg);
	} else if (ap->ev.kind == EV_PORT && ap->ev.port == HM_PORT_FAULT &&
		   ioctl(ap->fd, KVM_GET_REGS, &r) == 0) {
		char sym[96];

		snprintf(buf, n, "cpu %u took exception %u (error code %#llx, "
			 "CR2 %#llx, RIP %#llx <%s>)", ap->cpu, ap->ev.value,
			 (unsigned long long)r.rbx, (unsigned long long)r.rcx,
			 (unsigned long long)r.rdx,
			 x86__guest_symbol((uint32_t)r.rdx, sym, sizeof(sym)));
	} else if (ap->ev.kind == EV_ERROR) {
		snprintf(buf, n, "cpu %u: KVM_RUN: %s", ap->cpu,
			 strerror(ap->ev.err));
	} else {
		snprintf(buf, n, "cpu %u stopped: %s (port %#x)", ap->cpu,
			 kvm__exit_name(ap->ev.exit_reason), ap->ev.port);
	}
}

static int ap_create(struct kvm *kvm, struct ap *ap, unsigned cpu, char *why,
		     size_t whysz)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_regs regs;
	bool stuck;
	int rc;

	ap->kvm = kvm;
	ap->cpu = cpu;
	rc = vcpu__create(kvm, cpu, &ap->fd, &ap->run, &ap->run_size, why,
			  whysz);
	if (rc)
		return rc;
	if (x86__setup_sregs(ap->fd, HM_PAGING_COMPAT, kvm->m.tables.cr3,
			     &stuck, why, whysz))
		return HM_EXIT_INTERNAL;
	memset(&regs, 0, sizeof(regs));
	regs.rip = HM_GUEST_IMAGE_PHYS;
	regs.rbx = cpu;		/* entry.S: an application processor */
	regs.rflags = 0x2;
	if (KVM_IOCTL(ap->fd, KVM_SET_REGS, &regs, why, whysz) < 0)
		return HM_EXIT_INTERNAL;
	/* Not waiting for INIT/SIPI: running from the first KVM_RUN. */
	if (KVM_IOCTL(ap->fd, KVM_SET_MP_STATE, &mp, why, whysz) < 0)
		return HM_EXIT_SKIP;
	return 0;
}

static void ap_stop(struct ap *ap)
{
	if (ap->started) {
		__atomic_store_n(&ap->stop, true, __ATOMIC_SEQ_CST);
		for (int i = 0;
		     !__atomic_load_n(&ap->exited, __ATOMIC_SEQ_CST) && i < 1000;
		     i++) {
			__atomic_store_n(&ap->run->immediate_exit, 1,
					 __ATOMIC_SEQ_CST);
			pthread_kill(ap->thread, SIGUSR1);
			usleep(1000);
		}
		pthread_join(ap->thread, NULL);
		ap->started = false;
	}
	if (ap->run)
		munmap(ap->run, ap->run_size);
	ap->run = NULL;
	if (ap->fd > 0)
		close(ap->fd);
	ap->fd = -1;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

struct smp_aps {
	struct kvm *kvm;
	unsigned nr;
	struct ap ap[HM_SMP_MAX_CPUS];
};

int smp__vcpu_fd(struct kvm *kvm, unsigned cpu)
{
	struct smp_aps *s = kvm->aps;

	return cpu && s && cpu < s->nr ? s->ap[cpu].fd : kvm->vcpu_fd;
}

bool smp__stopped(struct smp_aps *s, unsigned *cpu, struct vcpu_event *ev,
		  int *fd, char *why, size_t whysz)
{
	for (unsigned c = 1; s && c < s->nr; c++) {
		struct ap *ap = &s->ap[c];

		if (!__atomic_load_n(&ap->exited, __ATOMIC_SEQ_CST) ||
		    !ap->died)
			continue;
		*cpu = c;
		*ev = ap->ev;
		*fd = ap->fd;
		ap_describe(ap, why, whysz);
		return true;
	}
	return false;
}

/* Stop the application processors; 0, or -1 with why one stopped on its
 * own (a fault, a panic). */
int smp__stop_aps(struct smp_aps *s, char *why, size_t whysz)
{
	int rc = 0;

	if (!s)
		return 0;
	for (unsigned cpu = 1; cpu < s->nr; cpu++)
		ap_stop(&s->ap[cpu]);
	for (unsigned cpu = 1; cpu < s->nr; cpu++)
		if (s->ap[cpu].died && !rc) {
			ap_describe(&s->ap[cpu], why, whysz);
			rc = -1;
		}
	free(s);
	return rc;
}

int smp__start_aps(struct kvm *kvm, unsigned nr_cpus, unsigned timeout_ms,
		   struct smp_aps **out, char *why, size_t whysz)
{
	struct hm_mailbox *mb = machine__mailbox(&kvm->m);
	struct smp_aps *s = calloc(1, sizeof(*s));
	struct timespec t0;
	uint64_t *pdpt;
	char what[400];
	int rc = 0;

	*out = NULL;
	if (!s) {
		snprintf(why, whysz, "out of memory");
		return HM_EXIT_INTERNAL;
	}
	s->kvm = kvm;
	s->nr = nr_cpus;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* The application processors need the boot identity map cpu 0
	 * dropped: back for as long as they take to come up. */
	pdpt = (uint64_t *)(kvm->m.mem + mb->pdpt_phys);
	pdpt[0] = HM_GUEST_BOOT_PD_PHYS | _PAGE_PRESENT;
	for (unsigned cpu = 1; cpu < nr_cpus; cpu++) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = kick_handler;	/* no SA_RESTART */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL);
		s->ap[cpu].fd = -1;
		rc = ap_create(kvm, &s->ap[cpu], cpu, what, sizeof(what));
		if (rc) {
			snprintf(why, whysz, "cpu %u: %s", cpu, what);
			goto out;
		}
		if (pthread_create(&s->ap[cpu].thread, NULL, ap_thread,
				   &s->ap[cpu])) {
			snprintf(why, whysz, "no thread for cpu %u", cpu);
			rc = HM_EXIT_INTERNAL;
			goto out;
		}
		s->ap[cpu].started = true;
	}
	while (__atomic_load_n(&mb->smp_online, __ATOMIC_SEQ_CST) !=
	       nr_cpus - 1) {
		for (unsigned cpu = 1; cpu < nr_cpus; cpu++) {
			if (__atomic_load_n(&s->ap[cpu].exited,
					    __ATOMIC_SEQ_CST) &&
			    s->ap[cpu].died) {
				ap_describe(&s->ap[cpu], what, sizeof(what));
				snprintf(why, whysz, "while starting: %s",
					 what);
				rc = HM_EXIT_FAIL;
				goto out;
			}
		}
		if (ms_since(&t0) > 5000 + timeout_ms) {
			snprintf(why, whysz, "%u of %u application processors "
				 "came up", mb->smp_online, nr_cpus - 1);
			rc = HM_EXIT_FAIL;
			goto out;
		}
		usleep(200);
	}
out:
	pdpt[0] = 0;
	if (rc) {
		smp__stop_aps(s, what, sizeof(what));
		return rc;
	}
	*out = s;
	return 0;
}

/* The host's checks of smp_shootdown: the frames' tags, the entry's PTE,
 * the APIC IDs, both reads of cpu 1, every IPI acknowledged. */
static bool shootdown_checks(struct kvm *kvm, unsigned nr_cpus, char *msg,
			     size_t msgsz)
{
	const struct hm_mailbox *mb = machine__mailbox(&kvm->m);
	uint32_t old_tag = 0x5A000000u | mb->smp_pfn_old;
	uint32_t new_tag = 0x5A000000u | mb->smp_pfn_new;
	uint64_t pte = guest__pkmap_pte(&kvm->m, mb->smp_entry);
	bool failed = false;

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (!(cond) && !failed) {                                     \
			snprintf(msg, msgsz, __VA_ARGS__);                    \
			failed = true;                                        \
		}                                                             \
	} while (0)
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++)
		CHECK(mb->smp_apic_id[cpu] == cpu, "cpu %u has xAPIC ID %u",
		      cpu, mb->smp_apic_id[cpu]);
	CHECK(mb->smp_pfn_new, "no kmap reused PKMAP entry %u in %u kmaps",
	      mb->smp_entry, mb->smp_kmaps);
	CHECK(machine__read32(&kvm->m, (uint64_t)mb->smp_pfn_old << 12) ==
		      old_tag, "frame %#x does not hold its tag",
	      mb->smp_pfn_old);
	CHECK(machine__read32(&kvm->m, (uint64_t)mb->smp_pfn_new << 12) ==
		      new_tag, "frame %#x does not hold its tag",
	      mb->smp_pfn_new);
	CHECK((pte & PTE_PFN_MASK_PAE) >> 12 == mb->smp_pfn_new &&
		      (pte & _PAGE_PRESENT),
	      "PKMAP entry %u's PTE is %#llx, not frame %#x", mb->smp_entry,
	      (unsigned long long)pte, mb->smp_pfn_new);
	CHECK(mb->smp_read_before == old_tag, "cpu 1 read %#x through %#x "
	      "before the wrap, not frame %#x's tag %#x", mb->smp_read_before,
	      mb->smp_vaddr, mb->smp_pfn_old, old_tag);
	CHECK(mb->smp_read_after == new_tag, "cpu 1 read %#x through %#x "
	      "after the wrap: %s (frame %#x's tag is %#x)",
	      mb->smp_read_after, mb->smp_vaddr,
	      mb->smp_read_after == old_tag ?
		      "a stale translation, the old frame" :
		      "not the new frame", mb->smp_pfn_new, new_tag);
	CHECK(mb->smp_shootdowns >= 1, "no TLB shootdown was sent");
	for (unsigned cpu = 1; cpu < nr_cpus; cpu++) {
		CHECK(mb->smp_ipis_sent[cpu] == mb->smp_shootdowns,
		      "%u shootdowns but %u IPIs to cpu %u",
		      mb->smp_shootdowns, mb->smp_ipis_sent[cpu], cpu);
		CHECK(mb->smp_acks[cpu] == mb->smp_ipis_sent[cpu],
		      "cpu %u acknowledged %u of %u IPIs", cpu,
		      mb->smp_acks[cpu], mb->smp_ipis_sent[cpu]);
	}
	CHECK(mb->smp_acks[0] == 0 && mb->smp_ipis_sent[0] == 0,
	      "cpu 0 sent itself an IPI");
#undef CHECK
	return !failed;
}

static void shootdown_print(struct kvm *kvm, unsigned nr_cpus)
{
	const struct hm_mailbox *mb = machine__mailbox(&kvm->m);

	printf("  cpu 1 read %#x through PKMAP entry %u (%#x, frame %#x); "
	       "cpu 0 wrapped the window in %u kmaps (%llu PKMAP flushes); "
	       "cpu 1 read %#x (frame %#x)\n",
	       mb->smp_read_before, mb->smp_entry, mb->smp_vaddr,
	       mb->smp_pfn_old, mb->smp_kmaps,
	       (unsigned long long)mb->stats[HM_STAT_pkmap_flushes],
	       mb->smp_read_after, mb->smp_pfn_new);
	printf("  shootdowns %u; IPIs sent/acked:", mb->smp_shootdowns);
	for (unsigned cpu = 1; cpu < nr_cpus; cpu++)
		printf(" cpu %u %u/%u", cpu, mb->smp_ipis_sent[cpu],
		       mb->smp_acks[cpu]);
	printf("\n");
}

/* Boot cpu 0 and the others; 0, or the exit status after saying why. */
static int shootdown_boot(struct kvm *kvm, const char *dev, unsigned nr_cpus,
			  unsigned timeout_ms, bool verbose)
{
	const struct hm_mailbox *mb;
	char why[512];
	int rc;

	rc = kvm__open(kvm, dev, why, sizeof(why));
	if (rc) {
		printf("SKIPPED: no usable KVM: %s\n", why);
		return rc;
	}
	kvm->m.verbose = verbose;
	kvm->m.nr_vcpus = nr_cpus;
	/* Compat mode: the IPI gate is a 64-bit one (guest/main.c). */
	rc = kvm__boot(kvm, HM_PAGING_COMPAT, why, sizeof(why));
	if (!rc) {
		mb = machine__mailbox(&kvm->m);
		printf("paging: %s\n", x86__mode_name(kvm->m.mode));
		printf("stale translations observable: %s\n",
		       mb->probe_second == HM_PROBE_A_MAGIC ? "yes" : "no");
		rc = smp__start_aps(kvm, nr_cpus, timeout_ms, &kvm->aps, why,
				    sizeof(why));
	}
	if (rc == HM_EXIT_SKIP)
		printf("SKIPPED: no SMP guest on this KVM: %s\n", why);
	else if (rc)
		printf("FAIL smp_shootdown: %s\n", why);
	return rc;
}

int smp__shootdown(const char *dev, unsigned nr_cpus, unsigned timeout_ms,
		   bool verbose)
{
	struct hm_mailbox *mb;
	struct vcpu_event ev;
	struct timespec t0;
	struct kvm kvm;
	char why[512], msg[512] = "";
	struct smp_aps *aps;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = shootdown_boot(&kvm, dev, nr_cpus, timeout_ms, verbose);
	if (rc)
		goto out;
	mb = machine__mailbox(&kvm.m);
	printf("smp: %u vCPUs, one host thread each, in-kernel irqchip; "
	       "xAPIC at FIX_APIC_BASE %#x; APIC IDs", nr_cpus,
	       __fix_to_virt(&kvm.m.layout, kvm.m.layout.fix_apic_base));
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++)
		printf(" %u", mb->smp_apic_id[cpu]);
	printf("\n");

	mb->command = HM_MB_CMD_SMP_SHOOTDOWN;
	rc = vcpu__run(&kvm, timeout_ms, &ev);
	if (rc)
		goto out;
	if (!(ev.kind == EV_PORT && ev.port == HM_PORT_DONE)) {
		if (ev.kind == EV_PORT && ev.port == HM_PORT_PANIC)
			printf("FAIL smp_shootdown: cpu 0 panicked: %.*s\n",
			       HM_MB_MSG_LEN, mb->panic_msg);
		else if (ev.kind == EV_TIMEOUT)
			printf("FAIL smp_shootdown: watchdog: cpu 0 did not "
			       "finish within %u ms\n", timeout_ms);
		else
			printf("FAIL smp_shootdown: cpu 0 stopped: %s "
			       "(port %#x value %u)\n",
			       kvm__exit_name(ev.exit_reason), ev.port,
			       ev.value);
		if (verbose)
			x86__dump_regs(kvm.vcpu_fd, stdout);
		rc = HM_EXIT_FAIL;
		goto out;
	}
	aps = kvm.aps;
	kvm.aps = NULL;
	if (smp__stop_aps(aps, why, sizeof(why)))
		snprintf(msg, sizeof(msg), "%s", why);
	else
		shootdown_checks(&kvm, nr_cpus, msg, sizeof(msg));
	shootdown_print(&kvm, nr_cpus);
	if (msg[0])
		printf("FAIL smp_shootdown: %s\n", msg);
	else
		printf("PASS smp_shootdown (%u vCPUs, %.1f ms)\n", nr_cpus,
		       ms_since(&t0));
	rc = msg[0] ? HM_EXIT_FAIL : HM_EXIT_PASS;
out:
	smp__stop_aps(kvm.aps, why, sizeof(why));
	kvm.aps = NULL;
	kvm__close(&kvm);
	return rc;
}
