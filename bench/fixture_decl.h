/* SPDX-License-Identifier: MIT */
/* fixture_decl.h - the entry points of the subject files, per backend. */
#ifndef BENCH_FIXTURE_DECL_H
#define BENCH_FIXTURE_DECL_H

#include "bench/counters.h"

#define DECLARE(subject)                \
	void sim_bench_##subject(void); \
	void core_bench_##subject(void);
BENCH_SUBJECTS(DECLARE)
#undef DECLARE

#endif /* BENCH_FIXTURE_DECL_H */
