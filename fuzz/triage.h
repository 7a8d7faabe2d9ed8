/* SPDX-License-Identifier: MIT */
/* triage.h - `hm_ops triage`: dedupe findings by report, minimise each. */
#ifndef HM_FUZZ_TRIAGE_H
#define HM_FUZZ_TRIAGE_H

/* argv[0] is "triage"; returns the exit status (0 all triaged, 1 bad
 * input, 2 usage). */
int triage_main(int argc, char **argv);

#endif
