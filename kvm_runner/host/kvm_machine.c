/* SPDX-License-Identifier: MIT */
/*
 * kvm_machine.c - the KVM backend behind machine.h: a VM of one vCPU, or
 * of N with the in-kernel irqchip and one host thread per application
 * processor (smp.c).  The guest reports by OUT to our ports; a fault's
 * details are in the registers of the vCPU that took it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "kvm_runner/host/bench_backend.h"
#include "kvm_runner/host/kvm.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int boot(struct hm_machine *m, enum hm_paging_mode mode,
		unsigned nr_vcpus, char *why, size_t whysz)
{
	struct kvm *kvm = to_kvm(m);
	int rc;

	smp__stop_aps(kvm->aps, NULL, 0);
	kvm->aps = NULL;
	m->nr_vcpus = nr_vcpus;
	if (nr_vcpus > 1) {
		/* Compat mode: the IPIs' gates are 64-bit ones.  The
		 * application processors idle halted until an IPI wakes
		 * them (guest/smp.c). */
		rc = kvm__boot(kvm, HM_PAGING_COMPAT, why, whysz);
		if (rc)
			return rc;
		machine__mailbox(m)->smp_idle_halt = 1;
		kvm->kick_on_ap_stop = true;
		kvm->bsp_thread = pthread_self();
		return smp__start_aps(kvm, nr_vcpus, 5000, &kvm->aps, why,
				      whysz);
	}
	rc = kvm__boot(kvm, mode, why, whysz);
	if (rc == HM_EXIT_FAIL && mode == HM_PAGING_AUTO &&
	    m->mode == HM_PAGING_LEGACY_PAE) {
		/* KVM took the registers but the guest did not come up. */
		snprintf(m->fallback_why, sizeof(m->fallback_why), "%s", why);
		rc = kvm__boot(kvm, HM_PAGING_COMPAT, why, whysz);
		if (!rc)
			snprintf(m->fallback_why, sizeof(m->fallback_why),
				 "the guest did not come up in legacy PAE");
	}
	return rc;
}

static int kvm_m_boot(struct hm_machine *m, enum hm_paging_mode mode,
		      unsigned nr_vcpus, char *why, size_t whysz)
{
	double t0 = now_ms();
	int rc = boot(m, mode, nr_vcpus, why, whysz);

	m->boot_ms = now_ms() - t0;
	return rc;
}

/* A KVM exit the verifier has no name for: what it was. */
static void died(const struct vcpu_event *ev, struct hm_stop *st)
{
	st->kind = HM_STOP_DIED;
	if (ev->kind == EV_FAIL_ENTRY)
		snprintf(st->what, sizeof(st->what), "KVM_EXIT_FAIL_ENTRY: "
			 "hardware entry failure reason %#llx",
			 (unsigned long long)ev->detail);
	else if (ev->kind == EV_INTERNAL_ERROR)
		snprintf(st->what, sizeof(st->what), "KVM_EXIT_INTERNAL_ERROR: "
			 "suberror %llu%s", (unsigned long long)ev->detail,
			 ev->detail == KVM_INTERNAL_ERROR_EMULATION ?
			 " (KVM could not emulate an instruction)" : "");
	else
		snprintf(st->what, sizeof(st->what), "unexpected exit %s (%u)",
			 kvm__exit_name(ev->exit_reason), ev->exit_reason);
}

static void to_stop(const struct vcpu_event *ev, int fd, struct hm_stop *st)
{
	uint32_t r[5];

	switch (ev->kind) {
	case EV_PORT:
		st->kind = HM_STOP_REPORT;
		st->port = ev->port;
		st->value = ev->value;
		if (ev->port == HM_PORT_FAULT && x86__get_regs(fd, r)) {
			st->vec = r[0] & 0xff;
			st->err = r[1];
			st->cr2 = r[2];
			st->eip = r[3];
		}
		break;
	case EV_SHUTDOWN:
		st->kind = HM_STOP_SHUTDOWN;
		snprintf(st->what, sizeof(st->what), "KVM_EXIT_SHUTDOWN");
		if (x86__get_regs(fd, r))
			st->eip = r[4];
		break;
	case EV_TIMEOUT:
		st->kind = HM_STOP_TIMEOUT;
		break;
	default:
		died(ev, st);
	}
}

/* The event @ev of the BSP's vcpu__run() as a stop. */
static int event_to_stop(struct kvm *kvm, struct vcpu_event *ev,
			 struct hm_stop *st)
{
	int fd = kvm->vcpu_fd;

	/* An application processor stopped: its event, its registers. */
	if (ev->kind == EV_KICK) {
		if (!smp__stopped(kvm->aps, &st->cpu, ev, &fd, st->what,
				  sizeof(st->what))) {
			fprintf(stderr, "kvm_runner: cpu 0 kicked, but no "
				"application processor stopped\n");
			return HM_EXIT_INTERNAL;
		}
		if (ev->kind == EV_ERROR) {
			st->kind = HM_STOP_DIED;	/* what: smp__stopped's */
			return 0;
		}
	}
	to_stop(ev, fd, st);
	return 0;
}

static int kvm_m_run(struct hm_machine *m, unsigned timeout_ms,
		     struct hm_stop *st)
{
	struct kvm *kvm = to_kvm(m);
	struct vcpu_event ev;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = vcpu__run(kvm, timeout_ms, &ev);
	if (rc)
		return rc;
	return event_to_stop(kvm, &ev, st);
}

/* The benchmark mode's parts (bench_backend.h). */
uint32_t kvm_machine__tsc_khz(struct hm_machine *m)
{
	struct kvm *kvm = to_kvm(m);
	int khz = -1;

	if (ioctl(kvm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_GET_TSC_KHZ) > 0)
		khz = ioctl(kvm->vcpu_fd, KVM_GET_TSC_KHZ, 0);
	return khz > 0 ? (uint32_t)khz : 0;
}

static bool set_stepping(struct kvm *kvm, bool on)
{
	struct kvm_guest_debug dbg = {
		.control = on ? KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP :
				0,
	};

	return ioctl(kvm->vcpu_fd, KVM_SET_GUEST_DEBUG, &dbg) == 0;
}

int kvm_machine__run_counting(struct hm_machine *m, unsigned timeout_ms,
			      uint64_t *count, bool *no_step,
			      struct hm_stop *st)
{
	struct kvm *kvm = to_kvm(m);
	struct vcpu_event ev;
	bool stepping = false;
	int rc;

	memset(st, 0, sizeof(*st));
	for (;;) {
		rc = vcpu__run(kvm, timeout_ms, &ev);
		if (rc)
			break;
		if (stepping && ev.kind == EV_OTHER &&
		    ev.exit_reason == KVM_EXIT_DEBUG) {
			(*count)++;
			continue;
		}
		if (ev.kind == EV_PORT && ev.port == HM_PORT_MARK) {
			stepping = ev.value == 0 && !*no_step;
			if (!set_stepping(kvm, stepping)) {
				/* Let the guest finish, uncounted. */
				*no_step = true;
				stepping = false;
			}
			continue;
		}
		rc = event_to_stop(kvm, &ev, st);
		break;
	}
	if (stepping)
		set_stepping(kvm, false);
	return rc;
}

static void kvm_m_dump_regs(struct hm_machine *m, unsigned cpu, FILE *f)
{
	x86__dump_regs(smp__vcpu_fd(to_kvm(m), cpu), f);
}

static bool kvm_m_cr3(struct hm_machine *m, unsigned cpu, uint64_t *cr3,
		      bool *lma)
{
	return x86__get_cr3(smp__vcpu_fd(to_kvm(m), cpu), cr3, lma);
}

static void kvm_m_teardown(struct hm_machine *m)
{
	struct kvm *kvm = to_kvm(m);

	/* The application processors first: their threads run the VM. */
	smp__stop_aps(kvm->aps, NULL, 0);
	kvm->aps = NULL;
	kvm__teardown(kvm);
}

static void kvm_m_close(struct hm_machine *m)
{
	kvm_m_teardown(m);
	kvm__close(to_kvm(m));
	free(m);
}

static const struct hm_machine_ops kvm_machine_ops = {
	.name = "kvm",
	.boot = kvm_m_boot,
	.run = kvm_m_run,
	.dump_regs = kvm_m_dump_regs,
	.cr3 = kvm_m_cr3,
	.teardown = kvm_m_teardown,
	.close = kvm_m_close,
};

int kvm_machine__open(struct hm_machine **out, const char *dev, char *why,
		      size_t whysz)
{
	struct kvm *kvm = calloc(1, sizeof(*kvm));
	int rc;

	*out = NULL;
	if (!kvm) {
		snprintf(why, whysz, "out of memory");
		return HM_EXIT_INTERNAL;
	}
	rc = kvm__open(kvm, dev, why, whysz);
	if (rc) {
		kvm__close(kvm);
		free(kvm);
		return rc;
	}
	kvm->m.ops = &kvm_machine_ops;
	*out = &kvm->m;
	return 0;
}
