/* SPDX-License-Identifier: MIT */
/*
 * runner.h - what the runner runs: jobs (one op sequence each and what
 * should come of it), the options of a run, the built-in scenarios and
 * the input files.  The machine that runs a job is machine.h's; the
 * checks are verify.h's.  (Also what the generated guest image includes,
 * for its declarations.)
 */
#ifndef HM_KVM_RUNNER_H
#define HM_KVM_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/profile.h"
#include "kvm_runner/host/guest_image.h"
#include "kvm_runner/mailbox.h"

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

/* Which machine runs the guest (backend.c). */
enum hm_backend {
	HM_BACKEND_AUTO,	/* KVM with legacy PAE, else TCG, else KVM
				 * in compat mode */
	HM_BACKEND_KVM,
	HM_BACKEND_TCG,
};

struct run_opts {
	unsigned timeout_ms;
	bool timeout_set;	/* given on the command line */
	bool verbose;
	enum hm_paging_mode mode;
	bool one_vcpu;		/* several CPUs on one vCPU, playing each */
	enum hm_backend backend;
	enum hm_kernel kernel;	/* --kernel: the machines' profile */
	bool quiet;		/* no PASS lines (the guest fuzz target) */
	bool tcg_one_thread;	/* TCG: every vCPU on one host thread (the
				 * guest fuzz target: tcg.c says why) */
	const char *dev;	/* the KVM device */
	const char *qemu;	/* the QEMU binary */
};

/* backend.c: the defaults of a run, those --help states (the guest fuzz
 * target, which has no command line of ours, starts from them too). */
void run_opts__init(struct run_opts *o);

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

/* input.c: a file into one job, a folder into one job per file; a
 * sequence decoded already (a fuzzer's input) into @job, as a file of it
 * would be (job__free() it). */
int input__load(const char *path, struct job **jobs, size_t *njobs);
struct hm_seq;
void input__job(const struct hm_seq *seq, const char *name, struct job *job);

#endif /* HM_KVM_RUNNER_H */
