/* SPDX-License-Identifier: MIT */
/*
 * guest.c - the in-guest rows: guest/floor, guest/kmap_atomic, ... from the
 * results of guest.h's backend.  Time is the guest's rdtsc, reported as
 * manual time; the counters are the guest core's; the label gives the ratio
 * to guest/floor (a bare PTE write + invlpg + one load).  Where the backend
 * cannot run, each row is skipped with its reason.
 */
#include <stdio.h>

#include "bench/bench.h"
#include "bench/counters.h"
#include "bench/guest.h"

static const char *const op_names[GUEST_NR_OPS] = {
	[GUEST_FLOOR] = "guest/floor",
	[GUEST_KMAP_ATOMIC] = "guest/kmap_atomic",
	[GUEST_KMAP_LOCAL] = "guest/kmap_local",
	[GUEST_KMAP_HIT] = "guest/kmap_hit",
	[GUEST_KMAP_STREAM] = "guest/kmap_stream/pages:4096",
};
static const enum guest_op ops[GUEST_NR_OPS] = {
	GUEST_FLOOR, GUEST_KMAP_ATOMIC, GUEST_KMAP_LOCAL, GUEST_KMAP_HIT,
	GUEST_KMAP_STREAM,
};

static int probed, usable;
static char why_not[256], note[128];
static double floor_cycles;	/* per op, from the floor row */

static void guest_row(bench_state *st, const void *arg)
{
	enum guest_op op = *(const enum guest_op *)arg;
	struct guest_result r;
	struct hm_stats sum = { 0 };
	uint64_t cycles = 0, n_ops = 0;
	char why[256], label[96];

	if (!probed) {
		probed = 1;
		usable = !guest_bench_probe(why_not, sizeof(why_not), note,
					    sizeof(note));
	}
	if (!usable) {
		bench_skip(st, "%s", why_not);
		return;
	}
	for (uint64_t b; (b = bench_batch(st, 10000));) {
		if (guest_bench_run(op, b, &r, why, sizeof(why))) {
			bench_skip(st, "guest: %s", why);
			return;
		}
		bench_manual_time(st, r.seconds);	/* the guest's clock */
		cycles += r.tsc_cycles;
		n_ops += r.ops;
#define ADD(name, field) sum.field += r.stats.field;
		BENCH_COUNTERS(ADD)
#undef ADD
	}
#define REPORT(name, field) bench_counter(st, name, (double)sum.field);
	BENCH_COUNTERS(REPORT)
#undef REPORT
	bench_items(st, (int64_t)bench_iterations(st));
	if (op == GUEST_FLOOR)
		floor_cycles = (double)cycles / (double)n_ops;
	if (floor_cycles > 0) {
		snprintf(label, sizeof(label), "%.2fx floor%s%s",
			 (double)cycles / (double)n_ops / floor_cycles,
			 note[0] ? ", " : "", note);
		bench_label(st, label);
	}
}

void guest_bench_register(void)
{
	for (int i = 0; i < GUEST_NR_OPS; i++) {
		bench_def *b = bench_register(op_names[i], guest_row, &ops[i]);

		bench_use_manual_time(b);
	}
}
