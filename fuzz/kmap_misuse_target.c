/* SPDX-License-Identifier: MIT */
/*
 * kmap_misuse - every call issued, legal or not: unmaps out of order or
 * of the wrong kind, kunmap of pages never mapped, counts driven to 0,
 * nesting past 20 slots, kmap from atomic context, CPU changes with
 * preemption off, typed slots in use, sleeping with sleeping off.
 *
 * Oracle: the core reports a BUG exactly when the model says the call is
 * a misuse (never missed, never a false report), and a BUG leaves the
 * state as it was; legal calls are checked as in kmap_ops.  In kernel
 * mode (config report kernel) it requires the kernel's WARNs instead where
 * the kernel only warns, and reports what an out-of-order unmap then does
 * to later reads and writes as CORRUPTION (harness.h).
 *
 * Run: bazel run //fuzz:kmap_misuse (libFuzzer), //fuzz:kmap_misuse_afl (AFL++).
 */
#include "fuzz/harness_target.h"

HM_HARNESS_TARGET(HM_HARNESS_MISUSE)
