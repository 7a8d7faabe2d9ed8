#!/bin/bash
# callgrind.sh - instructions per operation of kmap_bench's rows, counted by
# valgrind's callgrind: repeatable to the instruction, unlike the timings of
# a shared machine without hardware counters.
#
#   bazel run //bench:callgrind -- [--filter REGEX] [--iterations N] [--out DIR]
#
# DIR (default bench/out/callgrind of the workspace) keeps callgrind's
# files, one per row: callgrind_annotate DIR/callgrind.out.N shows where
# a row's instructions go.
#
# Every row runs exactly N iterations (--bench_iterations).  The shim zeroes
# callgrind's counts when a row's loop starts and dumps them, named after
# the row, when it ends (manual-time rows count only their timed part), so
# a dump holds the row's operations plus its loop (loop/noop: 2 or 3
# instructions) and a constant of Google Benchmark's that N makes small.
# Prints one line per row: instructions per iteration in all and, for the
# core@PROFILE/ rows, in the core's own functions; then the ratios of the
# core's rows the issue asks for.
set -euo pipefail

filter='^((core|sim)@[^/]+|loop)/'
iterations=20000
out=
while [ $# -gt 0 ]; do
	case $1 in
	--filter) filter=$2; shift 2 ;;
	--iterations) iterations=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--bench) bench=$2; shift 2 ;;
	-h|--help) sed -n '2,19p' "$0"; exit 0 ;;
	*) echo "callgrind.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

# The binary: given, or next to this script in Bazel's runfiles.
if [ -z "${bench:-}" ]; then
	here=$(cd "$(dirname "$0")" && pwd)
	for b in "$here/kmap_bench" "${RUNFILES_DIR:-$0.runfiles}/highmem_lab/bench/kmap_bench" \
		 "$0.runfiles/highmem_lab/bench/kmap_bench"; do
		[ -x "$b" ] && { bench=$b; break; }
	done
fi
[ -n "${bench:-}" ] || { echo "callgrind.sh: kmap_bench not found (use --bench PATH)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed (tools/bootstrap)" >&2; exit 77; }
# A sanitizer's runtime and valgrind cannot share a process.
if grep -qaE '__(asan|tsan|msan)_init' "$bench"; then
	echo "callgrind.sh: $bench is built with a sanitizer (--config=asan or tsan), which valgrind cannot run; use the default configuration or --config=nosan" >&2
	exit 77
fi

# With a fixed count Google Benchmark names rows ROW/iterations:N[/manual_time],
# so a filter anchored with $ is anchored after that.
case $filter in
*\$) filter="${filter%\$}/iterations:[0-9]+(/manual_time)?\$" ;;
esac

if [ -z "$out" ] && [ -n "${BUILD_WORKSPACE_DIRECTORY:-}" ]; then
	out=$BUILD_WORKSPACE_DIRECTORY/bench/out/callgrind
fi
dir=${out:-$(mktemp -d "${TMPDIR:-/tmp}/callgrind.XXXXXX")}
mkdir -p "$dir"
rm -f "$dir"/callgrind.out*
valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out" \
	"$bench" --bench_iterations="$iterations" --bench_no_perf \
	--benchmark_filter="$filter" >"$dir/kmap_bench.txt" 2>"$dir/valgrind.txt" || {
	echo "callgrind.sh: valgrind failed; see $dir/valgrind.txt" >&2
	tail -5 "$dir/valgrind.txt" >&2
	exit 1
}

# Each dump: "desc: Trigger: Client Request: ROW iterations=N", "summary: IR".
# For core@PROFILE/ rows, "in the core" adds up the self cost of the nullcore_*
# functions only: the core and its inlined hooks, without the row's loop.
for f in $(ls -v "$dir"/callgrind.out.* 2>/dev/null); do
	line=$(awk '/^desc: Trigger: Client Request:/ { sub(/^desc: Trigger: Client Request: /, ""); row = $1; sub(/iterations=/, "", $2); n = $2 }
	     /^(summary|totals):/ { ir = $2 }
	     END { if (row != "" && n > 0) print row, n, ir }' "$f")
	[ -n "$line" ] || continue
	set -- $line
	core=-
	case $1 in
	core@*) core=$(callgrind_annotate --threshold=100 --inclusive=no "$f" 2>/dev/null |
		awk -v n="$2" '/:nullcore_/ { gsub(",", "", $1); s += $1 } END { printf "%.1f", s / n }') ;;
	esac
	printf "%-52s %10.1f %12s\n" "$1" "$(echo "$3 $2" | awk '{ print $1 / $2 }')" "$core"
done >"$dir/ir_per_op.txt"

[ -s "$dir/ir_per_op.txt" ] || { echo "callgrind.sh: no row matched $filter" >&2; exit 1; }
echo "instructions per operation (callgrind, $iterations iterations per row):"
printf "%-52s %10s %12s\n" "row" "total/op" "in the core"
cat "$dir/ir_per_op.txt"
echo "(total: the row's loop included, see loop/noop and the row's own code;"
echo " in the core: the nullcore_* functions alone, for core@PROFILE/ rows)"
# Rows by their name without the profile (one profile per run).
awk '{ row = $1; sub(/@[^\/]*/, "", row); ir[row] = $3 != "-" ? $3 : $2; full[row] = $1 }
     function show(what, row) { if (row in ir) printf "  %-48s %7.1f  %5.2fx  (%s)\n", what, ir[row], ir[row] / base, full[row] }
     END {
	base = ir["core/kmap_atomic/pages:1"]
	if (!base) exit
	print "the core on the minimal backend (instructions in the core), against its kmap_atomic pair:"
	show("kmap_atomic + kunmap_atomic", "core/kmap_atomic/pages:1")
	show("kmap_atomic pair, CONFIG_DEBUG_HIGHMEM", "core/kmap_atomic_debug/pages:1")
	show("the pair in the kernel'"'"'s shape (kernel_shape.c)", "core/kmap_atomic_kernel_shape/pages:1")
	show("kmap_local_page + kunmap_local", "core/kmap_local/pages:1")
	show("kmap + kunmap, hit", "core/kmap_hit/pages:1")
	show("kmap + kunmap, miss (no flush)", "core/kmap_miss/manual_time")
	show("kmap + kunmap, miss in a stream, flush amortised", "core/kmap_stream/pages:4096/cpus:1")
	show("page_address, lowmem", "core/page_address_lowmem")
     }' "$dir/ir_per_op.txt"
echo "callgrind files: $dir"
