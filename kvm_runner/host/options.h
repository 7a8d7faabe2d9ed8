/* SPDX-License-Identifier: MIT */
/*
 * options.h - kvm_runner's command line.
 */
#ifndef HM_KVM_OPTIONS_H
#define HM_KVM_OPTIONS_H

#include <stdint.h>

#include "kvm_runner/host/runner.h"

struct options {
	struct run_opts run;
	bool bench;		/* --bench: time ops, run no sequences */
	uint32_t bench_iters;	/* 0: per op */
	unsigned smp_cpus;	/* for smp_shootdown */
	int first;		/* argv index of the first WHAT */
};

/* Parse @argv into @opt: -1 to go on, or the exit status (after --help,
 * --list, or a usage error, said on stderr). */
int options__parse(int argc, char **argv, struct options *opt);

#endif /* HM_KVM_OPTIONS_H */
