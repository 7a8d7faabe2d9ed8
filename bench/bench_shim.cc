// SPDX-License-Identifier: MIT
// bench_shim.cc - bench.h over Google Benchmark.  See bench.h.
#include <benchmark/benchmark.h>
#include <valgrind/callgrind.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "core/highmem.h"
#include "bench/perf_counters.h"

struct bench_def {
	benchmark::internal::Benchmark *b;
	std::string name;
	std::vector<std::string> arg_names;
	bool manual = false;
};

struct bench_state {
	benchmark::State &s;
	const bench_def &def;
	bool started = false;
	double t0 = 0;
};

static std::vector<bench_def *> defs;
static unsigned nr_perf;	// hardware counters open

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

bench_def *bench_register(const char *name, bench_fn fn, const void *arg)
{
	bench_def *d = new bench_def;

	d->name = name;
	d->b = benchmark::RegisterBenchmark(name, [fn, arg, d](benchmark::State &s) {
		bench_state st{s, *d};
		fn(&st, arg);
	});
	defs.push_back(d);
	return d;
}

void bench_arg_names(bench_def *d, ...)
{
	va_list ap;

	va_start(ap, d);
	while (const char *n = va_arg(ap, const char *))
		d->arg_names.push_back(n);
	va_end(ap);
	d->b->ArgNames(d->arg_names);
}

void bench_args(bench_def *d, const int64_t *args, size_t n)
{
	d->b->Args(std::vector<int64_t>(args, args + n));
}

void bench_use_manual_time(bench_def *d)
{
	d->manual = true;
	d->b->UseManualTime();
}

int64_t bench_arg(const bench_state *st, size_t i)
{
	return st->s.range(i);
}

uint64_t bench_iterations(const bench_state *st)
{
	return (uint64_t)st->s.iterations();
}

// The loop's edges: counters on and zeroed, then off and reported.  In
// manual-time rows they count only inside the manual brackets.
static void loop_begin(bench_state *st)
{
	CALLGRIND_ZERO_STATS;
	if (st->def.manual)
		CALLGRIND_TOGGLE_COLLECT;
	perf_counters_reset();
	if (!st->def.manual)
		perf_counters_enable();
}

static void loop_end(bench_state *st)
{
	uint64_t v[PERF_COUNTERS_MAX];

	perf_counters_disable();
	perf_counters_read(v);
	for (unsigned i = 0; i < nr_perf; i++)
		bench_counter(st, perf_counters_name(i), (double)v[i]);
	if (st->def.manual)
		CALLGRIND_TOGGLE_COLLECT;
	if (RUNNING_ON_VALGRIND) {
		std::string row = st->def.name;

		for (size_t i = 0; i < st->def.arg_names.size(); i++)
			row += "/" + st->def.arg_names[i] + ":" +
			       std::to_string(st->s.range(i));
		if (st->def.manual)
			row += "/manual_time";
		row += " iterations=" + std::to_string(st->s.iterations());
		CALLGRIND_DUMP_STATS_AT(row.c_str());
	}
}

uint64_t bench_batch(bench_state *st, uint64_t n)
{
	uint64_t want = n ? n : (uint64_t)st->s.max_iterations;

	if (!st->s.KeepRunningBatch((benchmark::IterationCount)want)) {
		if (st->started)
			loop_end(st);
		return 0;
	}
	if (!st->started) {
		st->started = true;
		loop_begin(st);
	}
	return want;
}

void bench_manual_start(bench_state *st)
{
	CALLGRIND_TOGGLE_COLLECT;
	perf_counters_enable();
	st->t0 = now();
}

void bench_manual_stop(bench_state *st)
{
	double t = now() - st->t0;

	perf_counters_disable();
	CALLGRIND_TOGGLE_COLLECT;
	st->s.SetIterationTime(t);
}

void bench_manual_time(bench_state *st, double seconds)
{
	st->s.SetIterationTime(seconds);
}

void bench_items(bench_state *st, int64_t items)
{
	st->s.SetItemsProcessed(items);
}

void bench_counter(bench_state *st, const char *name, double total)
{
	st->s.counters[name] =
		benchmark::Counter(total, benchmark::Counter::kAvgIterations);
}

void bench_counter_value(bench_state *st, const char *name, double value)
{
	st->s.counters[name] = benchmark::Counter(value);
}

void bench_label(bench_state *st, const char *label)
{
	st->s.SetLabel(label);
}

void bench_skip(bench_state *st, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	st->s.SkipWithError(msg);
}

void bench_context(const char *key, const char *value)
{
	benchmark::AddCustomContext(key, value);
}

int bench_under_valgrind(void)
{
	return RUNNING_ON_VALGRIND ? 1 : 0;
}

int bench_kernel = HM_KERNEL_DEFAULT;

bool bench_take_kernel(int *argc, char **argv)
{
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		if (strncmp(argv[i], "--bench_kernel=", 15)) {
			argv[out++] = argv[i];
			continue;
		}
		bench_kernel = hm_kernel_by_name(argv[i] + 15);
		if (bench_kernel == HM_KERNEL_NR) {
			fprintf(stderr, "--bench_kernel: linux-2.6.24, linux-4.7 "
				"or linux-6.1, not '%s'\n", argv[i] + 15);
			return false;
		}
	}
	*argc = out;
	argv[out] = nullptr;
	return true;
}

int bench_main(int argc, char **argv)
{
	std::vector<char *> args{argv[0], (char *)"--benchmark_counters_tabular=true"};
	long long iterations = 0;
	bool perf = true;
	char why[256];

	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--bench_iterations=", 19))
			iterations = atoll(argv[i] + 19);
		else if (!strcmp(argv[i], "--bench_no_perf"))
			perf = false;
		else
			args.push_back(argv[i]);
	}
	bench_context("kernel", hm_kernel_name((enum hm_kernel)bench_kernel));
	if (iterations > 0)
		for (bench_def *d : defs)
			d->b->Iterations(iterations);
	if (RUNNING_ON_VALGRIND)
		bench_context("callgrind", "stats zeroed at each row's loop, dumped at its end");
	if (perf && !RUNNING_ON_VALGRIND) {
		nr_perf = perf_counters_open(why, sizeof(why));
		bench_context("perf", nr_perf ? "cycles, instructions, dTLB_misses per op (user space)" : why);
	}

	int n = (int)args.size();
	args.push_back(nullptr);
	benchmark::Initialize(&n, args.data());
	int ret = 2;
	if (!benchmark::ReportUnrecognizedArguments(n, args.data())) {
		benchmark::RunSpecifiedBenchmarks();
		ret = 0;
	}
	benchmark::Shutdown();
	// The rows' lambdas hold the definitions: drop both, so LeakSanitizer
	// (--config=asan) has nothing of ours to report at exit.
	benchmark::ClearRegisteredBenchmarks();
	for (bench_def *d : defs)
		delete d;
	defs.clear();
	return ret;
}
