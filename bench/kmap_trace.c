/* SPDX-License-Identifier: MIT */
/*
 * kmap_trace.c - the per-call recorder: the cost of every call in a long
 * stream of kmap, kmap_atomic and kmap_local_page calls, on both backends,
 * as columns for gnuplot (bench/report.py draws them).
 *
 *   bazel run //bench:kmap_trace -- [--calls N] [--runs R] [--pages P] [--out FILE]
 *
 * Each call (map, one load in sim, unmap) is timed with rdtsc; a stream is
 * run R times from a fresh context and each call keeps its minimum, which
 * drops the interrupts and other noise of a shared machine but not the
 * deterministic cost of the wrap: flush_all_zero_pkmaps() every LAST_PKMAP
 * kmaps.  Ticks become nanoseconds by a calibration against
 * CLOCK_MONOTONIC, minus the cost of an empty timed region.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/trace.h"

static const char *const series[TRACE_NR] = {
	[TRACE_KMAP] = "kmap",
	[TRACE_KMAP_ATOMIC] = "kmap_atomic",
	[TRACE_KMAP_LOCAL] = "kmap_local",
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Nanoseconds per tick, over 50 ms. */
static double calibrate(void)
{
	double t0 = now_s(), t1;
	uint64_t c0 = trace_clock(), c1;

	do
		t1 = now_s();
	while (t1 - t0 < 0.05);
	c1 = trace_clock();
	return (t1 - t0) * 1e9 / (double)(c1 - c0);
}

/* The smallest reading of an empty timed region. */
static uint64_t empty_cost(void)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 10000; i++) {
		uint64_t t0 = trace_clock(), t = trace_clock() - t0;

		if (t < best)
			best = t;
	}
	return best;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A count > 0, or 0 for anything else. */
static unsigned count_arg(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	return *s && *s != '-' && !*end && v <= UINT32_MAX ? (unsigned)v : 0;
}

/* The options into @o and @path; 0, or 2 with a message. */
static int parse_opts(int argc, char **argv, struct trace_opts *o,
		      const char **path)
{
	static const struct option longopts[] = {
		{ "calls", required_argument, NULL, 'c' },
		{ "runs", required_argument, NULL, 'r' },
		{ "pages", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->calls = count_arg(optarg); break;
		case 'r': o->runs = count_arg(optarg); break;
		case 'p': o->pages = count_arg(optarg); break;
		case 'o': *path = optarg; break;
		default:
			fprintf(stderr, "usage: kmap_trace [--calls N] [--runs R] "
				"[--pages P] [--out FILE]\n");
			return 2;
		}
	}
	if (optind < argc || !o->calls || !o->runs || !o->pages) {
		fprintf(stderr, "kmap_trace: --calls, --runs, --pages take a "
			"number > 0, and nothing else is taken\n");
		return 2;
	}
	return 0;
}

/* One line a call: its cost in ns in every series, overhead removed. */
static void write_table(FILE *f, const struct trace_opts *o,
			uint64_t *const data[2], double ns, uint64_t overhead)
{
	fprintf(f, "# kmap_trace: %u calls, minimum of %u runs, kmap over %u "
		"pages; ns per call (%.3f ns/tick, %llu ticks of timing "
		"overhead removed)\n# call", o->calls, o->runs, o->pages, ns,
		(unsigned long long)overhead);
	for (int b = 0; b < 2; b++)
		for (int s = 0; s < TRACE_NR; s++)
			fprintf(f, " %s/%s", b ? "core" : "sim", series[s]);
	fputc('\n', f);
	for (unsigned i = 0; i < o->calls; i++) {
		fprintf(f, "%u", i);
		for (int b = 0; b < 2; b++)
			for (int s = 0; s < TRACE_NR; s++) {
				uint64_t t = data[b][s * o->calls + i];

				t = t > overhead ? t - overhead : 0;
				fprintf(f, " %.1f", (double)t * ns);
			}
		fputc('\n', f);
	}
}

/* A summary on stderr: the median call and the largest (sorts @data). */
static void print_summary(const struct trace_opts *o, uint64_t *const data[2],
			  double ns, uint64_t overhead)
{
	for (int b = 0; b < 2; b++)
		for (int s = 0; s < TRACE_NR; s++) {
			uint64_t *v = &data[b][s * o->calls];
			uint64_t med, max;
			char name[32];

			qsort(v, o->calls, sizeof(*v), cmp_u64);
			med = v[o->calls / 2] > overhead ?
			      v[o->calls / 2] - overhead : 0;
			max = v[o->calls - 1] > overhead ?
			      v[o->calls - 1] - overhead : 0;
			snprintf(name, sizeof(name), "%s/%s", b ? "core" : "sim",
				 series[s]);
			fprintf(stderr, "kmap_trace: %-17s median %7.1f ns, "
				"max %9.1f ns\n", name, (double)med * ns,
				(double)max * ns);
		}
}

int main(int argc, char **argv)
{
	struct trace_opts o = { .calls = 4096, .runs = 15, .pages = 4096 };
	const char *path = NULL;
	uint64_t *data[2] = { NULL, NULL }, overhead;
	double ns;
	FILE *f = stdout;
	int rc = parse_opts(argc, argv, &o, &path);

	if (rc)
		return rc;
	ns = calibrate();
	overhead = empty_cost();
	for (int b = 0; b < 2; b++) {
		data[b] = malloc(sizeof(uint64_t) * TRACE_NR * o.calls);
		if (!data[b] || (b ? core_trace : sim_trace)(&o, data[b])) {
			fprintf(stderr, "kmap_trace: cannot set up\n");
			return 1;
		}
	}
	if (path && !(f = fopen(path, "w"))) {
		perror(path);
		return 1;
	}
	write_table(f, &o, data, ns, overhead);
	if (f != stdout && fclose(f) != 0) {
		perror(path);
		return 1;
	}
	print_summary(&o, data, ns, overhead);
	free(data[0]);
	free(data[1]);
	return 0;
}
