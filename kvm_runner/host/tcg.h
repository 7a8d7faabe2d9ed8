/* SPDX-License-Identifier: MIT */
/*
 * tcg.h - the QEMU TCG backend behind machine.h (tcg.c, qmp.c).
 */
#ifndef HM_KVM_TCG_H
#define HM_KVM_TCG_H

#include "kvm_runner/host/machine.h"

/* The QEMU binary kvm_runner runs by default (Debian's /usr/bin one is a
 * shell wrapper). */
#define HM_TCG_QEMU "/usr/libexec/qemu-system-i386"

/* A TCG machine run by the QEMU binary @qemu, not booted; or HM_EXIT_SKIP
 * with @why where QEMU is missing or not runnable. */
int tcg_machine__open(struct hm_machine **m, const char *qemu, char *why,
		      size_t whysz);
/* Run its vCPUs on one host thread (QEMU's round-robin TCG), from its
 * next boot: tcg.c says when that pays. */
void tcg_machine__one_thread(struct hm_machine *m);

#endif /* HM_KVM_TCG_H */
