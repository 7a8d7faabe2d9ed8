/* SPDX-License-Identifier: MIT */
/*
 * bench_backend.h - what the benchmark mode (bench_api.c) needs of a
 * backend beyond machine.h: the guest TSC's frequency, and, on KVM only,
 * single-stepping through the timed loop to count instructions.
 */
#ifndef HM_KVM_BENCH_BACKEND_H
#define HM_KVM_BENCH_BACKEND_H

#include <stdint.h>

#include "kvm_runner/host/machine.h"

/* kvm_machine.c: the guest TSC in kHz (KVM_GET_TSC_KHZ), 0 if KVM does
 * not say. */
uint32_t kvm_machine__tsc_khz(struct hm_machine *m);
/*
 * kvm_machine__run_counting - machine.h's run, but between the guest's
 * HM_PORT_MARK 0 and 1 single-step it (KVM_GUESTDBG_SINGLESTEP), adding
 * one to *@count per instruction; the marks themselves are not stops.
 * *@no_step is set where KVM would not single-step (the guest then runs
 * on, uncounted).  0 with @st, or HM_EXIT_INTERNAL.
 */
int kvm_machine__run_counting(struct hm_machine *m, unsigned timeout_ms,
			      uint64_t *count, bool *no_step,
			      struct hm_stop *st);

/* tcg.c: the guest TSC in kHz.  QEMU's TCG returns the host's TSC to the
 * guest's rdtsc, so this is the host's, measured against CLOCK_MONOTONIC
 * once per process. */
uint32_t tcg_machine__tsc_khz(struct hm_machine *m);

#endif /* HM_KVM_BENCH_BACKEND_H */
