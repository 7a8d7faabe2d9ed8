/* SPDX-License-Identifier: MIT */
/*
 * bench_main.c - kmap_bench: every row, one table.
 *
 *   bazel run //bench:kmap_bench -- [Google Benchmark flags]
 *
 * Per subject, the core on the minimal backend ("core@PROFILE/...") then
 * the core with the simulated MMU ("sim@PROFILE/..."); the loop's own cost
 * (loop/noop: no core, no profile); the in-guest rows
 * ("guest@linux-4.7/...", see guest.h; --bench_kvm_dev=PATH,
 * --bench_no_guest).  Every row of the core names the kernel profile it
 * runs: --bench_kernel=NAME runs every row (the guest's too) on another one
 * than linux-4.7 ("core@linux-6.1/...").
 */
#include "bench/bench.h"
#include "bench/counters.h"
#include "bench/fixture_decl.h"
#include "bench/guest.h"

/* The benchmark loop with nothing in it: what every row's figure includes
 * besides its operation. */
static void noop(bench_state *st, const void *arg)
{
	uint64_t i = 0;

	(void)arg;
	for (uint64_t b; (b = bench_batch(st, 0));)
		while (b--)
			bench_keep(i++);
	bench_zero_counters(st);
	bench_items(st, (int64_t)bench_iterations(st));
}

int main(int argc, char **argv)
{
	int rc;

	if (!bench_take_kernel(&argc, argv))
		return 2;
#define REGISTER(subject) core_bench_##subject(); sim_bench_##subject();
	BENCH_SUBJECTS(REGISTER)
#undef REGISTER
	bench_register("loop/noop", noop, NULL);
	guest_bench_register();
	guest_bench_setup(&argc, argv);
	rc = bench_main(argc, argv);
	guest_bench_close();
	return rc;
}
