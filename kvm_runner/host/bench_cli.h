/* SPDX-License-Identifier: MIT */
/* bench_cli.h - kvm_runner --bench (bench_cli.c). */
#ifndef HM_KVM_BENCH_CLI_H
#define HM_KVM_BENCH_CLI_H

#include <stdint.h>

#include "kvm_runner/host/runner.h"

/* Every benchmark op once on the backend of @o (auto: KVM where it runs,
 * else TCG), @iters iterations each (0: per op).  Prints its lines;
 * returns an HM_EXIT_*. */
int bench_cli__run(const struct run_opts *o, uint32_t iters);

#endif /* HM_KVM_BENCH_CLI_H */
