/* SPDX-License-Identifier: MIT */
/*
 * guest.c - the in-guest rows: guest@linux-4.7/floor,
 * guest@linux-4.7/kmap_atomic/pages:1, ... under KVM and the same rows as
 * guest_tcg@linux-4.7/... under QEMU's TCG, from the
 * results of guest.h's machines (kvm_runner's benchmark mode).  A TCG row
 * is QEMU's cost, not a CPU's: its own prefix and context lines say so.
 *
 * Time is the guest's rdtsc, converted with the guest's TSC frequency and
 * reported as manual time: the mean over every iteration.  Counters, per
 * operation: the guest core's event counts (the floor's are its own PTE
 * write and invlpg), cycles (the mean), best_cycles (the fastest chunk of
 * about a millisecond: what the host's scheduler did not interrupt),
 * ratio_to_floor (best_cycles over the floor's, the floor being measured
 * again, untimed, just before each row's loop: the same run, the same
 * moment of a shared host) and insns (guest instructions per op,
 * single-stepped: KVM only).
 * Where a backend is not usable (no /dev/kvm, no QEMU) each of its rows is
 * skipped with the reason.
 */
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "bench/counters.h"
#include "bench/guest.h"

struct guest_row {
	const char *name;	/* after the backend's prefix */
	enum guest_op op;
	/* Iterations per guest run: 0 for Google Benchmark's whole plan at
	 * once; the stream runs whole wrap periods (LAST_PKMAP maps each). */
	uint64_t batch;
	unsigned cpus;		/* vCPUs; 0 or 1: one */
};

static const struct guest_row rows[] = {
	{ "floor", GUEST_FLOOR, 0, 1 },
	{ "kmap_atomic/pages:1", GUEST_KMAP_ATOMIC, 0, 1 },
	{ "kmap_atomic_debug/pages:1", GUEST_KMAP_ATOMIC_DEBUG, 0, 1 },
	{ "kmap_local/pages:1", GUEST_KMAP_LOCAL, 0, 1 },
	{ "kmap_hit/pages:1", GUEST_KMAP_HIT, 0, 1 },
	{ "kmap_stream/pages:4096/cpus:1", GUEST_KMAP_STREAM, 512, 1 },
	{ "page_address_lowmem", GUEST_PAGE_ADDRESS_LOWMEM, 0, 1 },
	{ "page_address_high/pages:512", GUEST_PAGE_ADDRESS_HIGH, 0, 1 },
	/* The CPU-count sweep: every wrap's flush a shootdown by IPI. */
	{ "kmap_stream/pages:4096/cpus:2", GUEST_KMAP_STREAM, 512, 2 },
	{ "kmap_stream/pages:4096/cpus:4", GUEST_KMAP_STREAM, 512, 4 },
};

#define NR_ROWS ((int)(sizeof(rows) / sizeof(rows[0])))

#define FLOOR_OPS 1000	/* the floor before each row: ~25 ms emulated */

/* Per backend: the row prefix (before "@PROFILE/"), also the context key. */
static const char *const prefix[GUEST_NR_BACKENDS] = {
	[GUEST_KVM] = "guest",
	[GUEST_TCG] = "guest_tcg",
};

/* A registered row: which row on which backend, and its full name. */
static struct guest_instance {
	const struct guest_row *row;
	enum guest_backend b;
	char name[96];
} instances[GUEST_NR_BACKENDS * NR_ROWS];

static bool no_guest;		/* --bench_no_guest */
static struct guest_state {
	const char *path;	/* --bench_kvm_dev, --bench_qemu */
	int probed, usable;
	char why_not[512];
	struct guest_info info;
	double insns[GUEST_NR_OPS];	/* per op; 0 not counted yet */
} state[GUEST_NR_BACKENDS];

static void probe(enum guest_backend b)
{
	struct guest_state *g = &state[b];

	if (g->probed)
		return;
	g->probed = 1;
	if (no_guest)
		snprintf(g->why_not, sizeof(g->why_not),
			 "skipped: --bench_no_guest");
	else if (bench_under_valgrind())
		snprintf(g->why_not, sizeof(g->why_not), "skipped: under "
			 "valgrind (the guest's instructions are not the "
			 "process's)");
	else
		g->usable = !guest_bench_probe(b, g->path, &g->info,
					       g->why_not,
					       sizeof(g->why_not));
}

static int measure_floor(enum guest_backend b, double *best, char *why,
			 size_t whysz)
{
	struct guest_result r;

	if (guest_bench_run(b, GUEST_FLOOR, FLOOR_OPS, &r, why, whysz))
		return -1;
	*best = r.best_cycles;
	return 0;
}

static void guest_row_run(bench_state *st, const struct guest_instance *in)
{
	const struct guest_row *row = in->row;
	enum guest_backend b = in->b;
	struct guest_state *g = &state[b];
	struct guest_result r;
	struct hm_stats sum = { 0 };
	uint64_t cycles = 0;
	double best = 0, floor_best = 0;
	char why[512];

	probe(b);
	if (!g->usable) {
		bench_skip(st, "%s", g->why_not);
		return;
	}
	if (guest_bench_cpus(b, row->cpus, why, sizeof(why))) {
		bench_skip(st, "%s", why);
		return;
	}
	/* Untimed: the floor, now, and the instruction count (the same
	 * every time: once per op). */
	if (row->op != GUEST_FLOOR &&
	    measure_floor(b, &floor_best, why, sizeof(why))) {
		bench_skip(st, "%s: floor: %s", prefix[b], why);
		return;
	}
	if (g->insns[row->op] == 0 &&
	    guest_bench_insns(b, row->op, &g->insns[row->op], why,
			      sizeof(why)))
		g->insns[row->op] = -1;	/* not countable here (TCG) */

	for (uint64_t n; (n = bench_batch(st, row->batch));) {
		if (guest_bench_run(b, row->op, n, &r, why, sizeof(why))) {
			bench_skip(st, "%s: %s", prefix[b], why);
			return;
		}
		bench_manual_time(st, r.seconds);	/* the guest's clock */
		cycles += r.tsc_cycles;
		if (best == 0 || r.best_cycles < best)
			best = r.best_cycles;
#define ADD(name, field) sum.field += r.stats.field;
		BENCH_COUNTERS(ADD)
#undef ADD
	}
	if (row->op == GUEST_FLOOR)
		floor_best = best;
#define REPORT(name, field) bench_counter(st, name, (double)sum.field);
	BENCH_COUNTERS(REPORT)
#undef REPORT
	bench_counter(st, "cycles", (double)cycles);
	bench_counter_value(st, "best_cycles", best);
	bench_counter_value(st, "ratio_to_floor",
			    floor_best > 0 ? best / floor_best : 0);
	if (g->insns[row->op] > 0)
		bench_counter_value(st, "insns", g->insns[row->op]);
	bench_items(st, (int64_t)bench_iterations(st));
}

static void guest_row(bench_state *st, const void *arg)
{
	const struct guest_instance *in = arg;
	char why[512];

	guest_row_run(st, in);
	/* An SMP row's VM goes with it: its idle vCPUs cost host CPU. */
	if (in->row->cpus > 1 && state[in->b].usable)
		guest_bench_cpus(in->b, 1, why, sizeof(why));
}

/* Every KVM row, then every TCG row: a backend's VM serves its rows in a
 * stretch. */
void guest_bench_register(void)
{
	for (int b = 0; b < GUEST_NR_BACKENDS; b++)
		for (int i = 0; i < NR_ROWS; i++) {
			struct guest_instance *in = &instances[b * NR_ROWS + i];
			bench_def *d;

			in->row = &rows[i];
			in->b = (enum guest_backend)b;
			snprintf(in->name, sizeof(in->name), "%s@%s/%s",
				 prefix[b],
				 hm_kernel_name((enum hm_kernel)bench_kernel),
				 rows[i].name);
			d = bench_register(in->name, guest_row, in);
			bench_use_manual_time(d);
		}
}

/* Would Google Benchmark's --benchmark_filter run this row?  Its regex is
 * POSIX extended, searched in the full name; a leading '-' negates. */
static bool selected(const char *filter, const char *row)
{
	bool negate = filter[0] == '-';
	char name[160];
	regex_t re;
	bool match;

	if (!filter[0] || !strcmp(filter, "all"))
		return true;
	if (negate)
		filter++;
	if (regcomp(&re, filter, REG_EXTENDED | REG_NOSUB))
		return true;	/* let Google Benchmark complain */
	snprintf(name, sizeof(name), "%s/manual_time", row);
	match = regexec(&re, name, 0, NULL, 0) == 0;
	regfree(&re);
	return match != negate;
}

void guest_bench_setup(int *argc, char **argv)
{
	const char *filter = "";
	int n = 1;

	for (int i = 1; i < *argc; i++) {
		if (!strncmp(argv[i], "--bench_kvm_dev=", 16))
			state[GUEST_KVM].path = argv[i] + 16;
		else if (!strncmp(argv[i], "--bench_qemu=", 13))
			state[GUEST_TCG].path = argv[i] + 13;
		else if (!strcmp(argv[i], "--bench_no_guest"))
			no_guest = true;
		else {
			if (!strncmp(argv[i], "--benchmark_filter=", 19))
				filter = argv[i] + 19;
			argv[n++] = argv[i];
		}
	}
	argv[n] = NULL;
	*argc = n;
	for (int b = 0; b < GUEST_NR_BACKENDS; b++) {
		struct guest_state *g = &state[b];
		char key[32];
		bool any = false;

		for (int i = 0; i < NR_ROWS && !any; i++)
			any = selected(filter, instances[b * NR_ROWS + i].name);
		if (!any)
			continue;	/* none of its rows runs: no VM */
		/* Boot now, so the header says once what its times mean. */
		probe((enum guest_backend)b);
		if (g->usable) {
			bench_context(prefix[b], g->info.note);
			snprintf(key, sizeof(key), "%s_clock", prefix[b]);
			bench_context(key, g->info.clock);
		} else {
			bench_context(prefix[b], g->why_not);
		}
	}
}
