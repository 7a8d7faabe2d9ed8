/* SPDX-License-Identifier: MIT */
/*
 * backend.c - which machine runs the guest, and its first boot.
 *
 * KVM with hardware virtualization runs legacy PAE on the CPU's own TLB:
 * the best there is.  Where KVM refuses legacy paging (its PVM backend
 * here), it runs compat mode in an emulator that walks the tables on every
 * access, so no stale translation can ever show; QEMU's TCG runs legacy
 * PAE with a software TLB that keeps stale entries as silicon does.  So
 * "auto" prefers KVM legacy PAE, then TCG, then KVM compat mode.
 */
#include <string.h>
#include <unistd.h>

#include "kvm_runner/host/backend.h"
#include "kvm_runner/host/kvm.h"
#include "kvm_runner/host/tcg.h"

void run_opts__init(struct run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = 10000;
	o->dev = "/dev/kvm";
	o->qemu = HM_TCG_QEMU;
}

const char *backend__name(enum hm_backend b)
{
	return b == HM_BACKEND_KVM ? "kvm" : b == HM_BACKEND_TCG ? "tcg" :
								   "auto";
}

int backend__open(const struct run_opts *o, enum hm_backend b,
		  struct hm_machine **m, char *why, size_t whysz)
{
	int rc = b == HM_BACKEND_TCG ?
			 tcg_machine__open(m, o->qemu, why, whysz) :
			 kvm_machine__open(m, o->dev, why, whysz);

	if (!rc) {
		(*m)->verbose = o->verbose;
		(*m)->kernel = o->kernel;
		if (b == HM_BACKEND_TCG && o->tcg_one_thread)
			tcg_machine__one_thread(*m);
	}
	return rc;
}

static const char *backend_text(const struct hm_machine *m)
{
	return m->ops->name[0] == 'k' ?
		       "KVM" :
		       "QEMU TCG (qemu-system-i386, software MMU and TLB)";
}

/* What the run got: backend, paging mode, the stale-TLB probe. */
static int say_what(enum hm_backend asked, struct hm_machine *m)
{
	const struct hm_mailbox *mb = machine__mailbox(m);

	printf("backend: %s%s\n", backend_text(m),
	       asked == HM_BACKEND_AUTO ? " (auto)" : "");
	printf("paging: %s\n", x86__mode_name(m->mode));
	if (m->fallback_why[0])
		printf("  (legacy PAE not used: %s)\n", m->fallback_why);
	if (mb->probe_first != HM_PROBE_A_MAGIC) {
		fprintf(stderr, "kvm_runner: the stale-TLB probe read %#x "
			"through a fresh mapping of frame A, expected %#x\n",
			mb->probe_first, HM_PROBE_A_MAGIC);
		return HM_EXIT_FAIL;
	}
	printf("stale translations observable: %s (a PTE re-pointed without "
	       "invlpg read %s)\n",
	       mb->probe_second == HM_PROBE_A_MAGIC ? "yes" : "no",
	       mb->probe_second == HM_PROBE_A_MAGIC ? "the old frame" :
	       mb->probe_second == HM_PROBE_B_MAGIC ? "the new frame" :
						      "neither frame");
	return 0;
}

/* Open and boot backend @b in @mode; the reason in @why on failure. */
static int open_boot(struct run_opts *o, enum hm_backend b,
		     enum hm_paging_mode mode, struct hm_machine **m,
		     char *why, size_t whysz)
{
	int rc = backend__open(o, b, m, why, whysz);

	if (rc)
		return rc;
	rc = (*m)->ops->boot(*m, mode, 1, why, whysz);
	if (rc) {
		(*m)->ops->close(*m);
		*m = NULL;
	}
	return rc;
}

/* auto: KVM in legacy PAE, else TCG, else KVM compat (kept open). */
static int start_auto(struct run_opts *o, struct hm_machine **m, char *why,
		      size_t whysz)
{
	char kvm_why[512] = "", tcg_why[512] = "";
	struct hm_machine *k = NULL;
	int rc;

	rc = open_boot(o, HM_BACKEND_KVM, o->mode, &k, kvm_why,
		       sizeof(kvm_why));
	if (!rc && k->mode == HM_PAGING_LEGACY_PAE) {
		*m = k;
		o->backend = HM_BACKEND_KVM;
		return 0;
	}
	rc = open_boot(o, HM_BACKEND_TCG, HM_PAGING_LEGACY_PAE, m, tcg_why,
		       sizeof(tcg_why));
	if (!rc) {
		if (k)
			k->ops->close(k);
		o->backend = HM_BACKEND_TCG;
		return 0;
	}
	if (k) {
		printf("note: no TCG (%s): KVM in compat mode\n", tcg_why);
		*m = k;
		o->backend = HM_BACKEND_KVM;
		return 0;
	}
	snprintf(why, whysz, "no usable KVM (%s) and no usable QEMU (%s)",
		 kvm_why, tcg_why);
	return HM_EXIT_SKIP;
}

int backend__start(struct run_opts *o, struct hm_machine **m)
{
	enum hm_backend asked = o->backend;
	char why[1100];
	int rc;

	*m = NULL;
	if (asked == HM_BACKEND_AUTO)
		rc = start_auto(o, m, why, sizeof(why));
	else
		rc = open_boot(o, asked, o->mode, m, why, sizeof(why));
	if (rc == HM_EXIT_SKIP) {
		printf("SKIPPED: %s%s\n", asked == HM_BACKEND_KVM ?
		       "no usable KVM: " : asked == HM_BACKEND_TCG ?
		       "no usable QEMU: " : "", why);
		return rc;
	}
	if (rc) {
		fprintf(stderr, "kvm_runner: booting the guest (%s): %s\n",
			backend__name(asked), why);
		return rc == HM_EXIT_INTERNAL ? rc : HM_EXIT_INTERNAL;
	}
	o->mode = (*m)->mode;
	return say_what(asked, *m);
}
