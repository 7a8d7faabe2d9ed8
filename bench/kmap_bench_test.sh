#!/bin/bash
# kmap_bench_test.sh - kmap_bench runs and prints one table with the rows and
# counters it should; the JSON feeds report.py's plots; callgrind counts
# one tiny row.  Timings are printed, never checked.
set -u
bench=$1
trace=$2
report=$3
callgrind=$4
tmp=${TEST_TMPDIR:-$(mktemp -d)}
fail=0
check() { grep -qE -- "$1" "$2" || { echo "FAIL: no '$1' in $2"; fail=1; }; }

"$bench" --benchmark_min_time=0.001 \
	--benchmark_filter='(kmap_hit/pages:(1|512)$|kmap_miss|kmap_stream/pages:(8|4096)/cpus:(1|2)$|kmap_atomic(_debug)?/pages:1$|kmap_local/pages:1$|page_address|loop/noop|guest/)' \
	--benchmark_out="$tmp/bench.json" --benchmark_out_format=json \
	>"$tmp/table.txt" 2>&1 || { echo "FAIL: kmap_bench exited $?"; cat "$tmp/table.txt"; exit 1; }
cat "$tmp/table.txt"
for row in core/kmap_hit/pages:1 sim/kmap_hit/pages:512 core/kmap_miss/manual_time \
	   sim/kmap_stream/pages:4096/cpus:2 core/kmap_atomic/pages:1 \
	   sim/kmap_atomic_debug/pages:1 core/kmap_local/pages:1 \
	   sim/page_address_lowmem core/page_address_high/pages:512 loop/noop; do
	check "^$row " "$tmp/table.txt"
done
for counter in pte_writes invlpg flush_all tlb_flushed hash_steps wraps items_per_second; do
	check "^Benchmark .* $counter" "$tmp/table.txt"
done
check "^guest/kmap_atomic.*skipped" "$tmp/table.txt"
check "^perf: " "$tmp/table.txt"
# Counters that follow from the code, not from timing: a lazy kmap_atomic
# pair writes one PTE; the debug pair two; a stream over 4096 pages wraps
# once per 512 maps (1.95m per op; a little less in a short run).
check "^core/kmap_atomic/pages:1 .* 1 +0 +0 *$|^core/kmap_atomic/pages:1 .*M/s +1 " "$tmp/table.txt"
check "^core/kmap_atomic_debug/pages:1 .*M/s +2 " "$tmp/table.txt"
check "^sim/kmap_stream/pages:4096/cpus:1 .* 1\.[89][0-9]*m *$" "$tmp/table.txt"

"$trace" --calls 1100 --runs 2 --out "$tmp/stream.tsv" 2>"$tmp/trace.txt" ||
	{ echo "FAIL: kmap_trace"; cat "$tmp/trace.txt"; fail=1; }
[ "$(grep -vc '^#' "$tmp/stream.tsv")" = 1100 ] || { echo "FAIL: stream.tsv has not 1100 rows"; fail=1; }
python3 "$report" --json "$tmp/bench.json" --trace "$tmp/stream.tsv" --out "$tmp/plots" ||
	{ echo "FAIL: report.py"; fail=1; }
for f in stream working_set cpus; do
	for ext in svg png; do
		[ -s "$tmp/plots/$f.$ext" ] || { echo "FAIL: no $f.$ext"; fail=1; }
	done
done
check "kmap_atomic \+ kunmap_atomic" "$tmp/plots/summary.txt"

if command -v valgrind >/dev/null; then
	"$callgrind" --bench "$bench" --iterations 2000 \
		--filter '^(core/kmap_atomic/pages:1|loop/noop)$' >"$tmp/callgrind.txt" 2>&1 ||
		{ echo "FAIL: callgrind.sh"; fail=1; }
	cat "$tmp/callgrind.txt"
	check "^core/kmap_atomic/pages:1 +[0-9]+\.[0-9]" "$tmp/callgrind.txt"
else
	echo "note: valgrind not installed, callgrind not tried"
fi
[ $fail = 0 ] && echo "ok"
exit $fail
