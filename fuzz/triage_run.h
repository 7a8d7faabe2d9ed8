/* SPDX-License-Identifier: MIT */
/*
 * triage_run.h - run a replay binary on one input in a child process, with
 * a time bound, and name what it reported: the signature `hm_ops triage`
 * deduplicates findings by.
 */
#ifndef HM_FUZZ_TRIAGE_RUN_H
#define HM_FUZZ_TRIAGE_RUN_H

#include <stdbool.h>
#include <stddef.h>

#define TRIAGE_SIG_MAX	256

struct triage_result {
	bool failed;			/* a finding: abort, signal or report */
	bool timed_out;
	int status;			/* waitpid()'s */
	char sig[TRIAGE_SIG_MAX];	/* "" when the input passed */
};

/*
 * triage_run - run "@bin @input" in @workdir (libFuzzer builds write their
 * crash-* files there), stdout and stderr captured, killed after
 * @timeout_s seconds.  Fills @res; false only when the child could not be
 * started (with the reason in @res->sig).
 */
bool triage_run(const char *bin, const char *input, const char *workdir,
		unsigned timeout_s, struct triage_result *res);

/*
 * triage_signature - the first "ORACLE:" line of @out, else its first other
 * report line ("BUG", "CORRUPTION", a sanitizer's "ERROR:", "runtime
 * error:"), with hex and decimal numbers replaced by "N", so the same bug
 * found from two inputs has one signature.  False if no line is one.
 */
bool triage_signature(const char *out, char *sig, size_t size);

#endif
