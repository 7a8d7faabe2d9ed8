#!/bin/bash
# compare.sh - the comparison in one command: kmap_bench's table (and its
# JSON), the per-call stream of kmap_trace, the plots and the ratios.
#
#   bazel run //bench:compare -- [--out DIR] [--quick] [kmap_bench flags...]
#
# Writes into DIR (default: bench/out/ of the workspace, which git ignores)
#   kmap_bench.txt, kmap_bench.json   the table, and the rows for plotting
#   stream.tsv                        per-call costs (kmap_trace)
#   stream, working_set, cpus .svg/.png, summary.txt  (report.py)
# --quick: a shorter measurement per row (--benchmark_min_time=0.05).
# Rows are named BACKEND@PROFILE/...: core and sim on --bench_kernel's
# profile (linux-4.7 by default), guest@linux-4.7/ under KVM where it is
# usable, guest_tcg@linux-4.7/ under QEMU's TCG (QEMU's costs, not a
# CPU's); the summary says which backend each guest row came from.
# About a minute on a 2-CPU machine; --quick, about 20 seconds.
set -euo pipefail

out=
bench_args=()
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--quick) bench_args+=(--benchmark_min_time=0.05); shift ;;
	-h|--help) sed -n '2,16p' "$0"; exit 0 ;;
	*) bench_args+=("$1"); shift ;;
	esac
done
if [ -z "$out" ]; then
	if [ -n "${BUILD_WORKSPACE_DIRECTORY:-}" ]; then
		out=$BUILD_WORKSPACE_DIRECTORY/bench/out
	else
		out=bench-out
	fi
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The tools, from Bazel's runfiles (bazel run starts us inside them).
runfiles=${RUNFILES_DIR:-$0.runfiles}
find_tool() {
	for p in "$runfiles/highmem_lab/bench/$1" "bench/$1" "$(dirname "$0")/$1"; do
		[ -e "$p" ] && { echo "$p"; return; }
	done
	echo "compare.sh: $1 not found" >&2
	exit 1
}
kmap_bench=$(find_tool kmap_bench)
kmap_trace=$(find_tool kmap_trace)
report=$(find_tool report)

echo "== kmap_bench (rows BACKEND@PROFILE/...; user space: core on the minimal backend, sim on the simulated MMU; guest rows under KVM, guest_tcg under QEMU's TCG)"
"$kmap_bench" --benchmark_out="$out/kmap_bench.json" --benchmark_out_format=json \
	${bench_args[@]+"${bench_args[@]}"} 2>&1 | tee "$out/kmap_bench.txt"

echo
echo "== kmap_trace (the cost of each call in a stream of 4096)"
"$kmap_trace" --out "$out/stream.tsv"

echo
echo "== report"
"$report" --json "$out/kmap_bench.json" --trace "$out/stream.tsv" --out "$out"
echo
echo "results in $out:"
ls "$out" | grep -E '\.(svg|png|json|txt|tsv)$' | sed 's/^/  /'
