#!/bin/bash
# kmap_bench_test.sh - kmap_bench runs and prints one table with the rows and
# counters it should, each row of the core named after its kernel profile
# (BACKEND@PROFILE/..., --bench_kernel's for core and sim); the threaded
# sim stream delivers its IPIs; the guest rows run in a KVM guest where
# /dev/kvm is usable and are skipped with the reason where it is not (and
# with a bad --bench_kvm_dev); the guest_tcg rows run under QEMU's TCG,
# which tools/bootstrap installs (a skip is a failure), labelled as QEMU's
# costs; the JSON feeds report.py's plots and summary, which says which
# backend each guest row came from; callgrind counts one tiny row.
# Timings are printed, never checked.
set -u
bench=$1
trace=$2
report=$3
callgrind=$4
checks=$5	# bench_checks.py: the counts of the JSON that follow from the code
tmp=${TEST_TMPDIR:-$(mktemp -d)}
fail=0
check() { grep -qE -- "$1" "$2" || { echo "FAIL: no '$1' in $2"; fail=1; }; }
# The default profile, which the guest's page tables always follow.
P=linux-4.7

"$bench" --benchmark_min_time=0.001 \
	--benchmark_filter='(kmap_hit/pages:(1|512)$|kmap_miss|kmap_stream(_smp)?/pages:(8|4096)/cpus:(1|2)$|kmap_atomic(_debug|_kernel_shape)?/pages:1$|kmap_local/pages:1$|page_address|loop/noop|guest(_tcg)?@)' \
	--benchmark_out="$tmp/bench.json" --benchmark_out_format=json \
	>"$tmp/table.txt" 2>&1 || { echo "FAIL: kmap_bench exited $?"; cat "$tmp/table.txt"; exit 1; }
cat "$tmp/table.txt"
for row in core@$P/kmap_hit/pages:1 sim@$P/kmap_hit/pages:512 core@$P/kmap_miss/manual_time \
	   sim@$P/kmap_stream/pages:4096/cpus:2 sim@$P/kmap_stream_smp/pages:4096/cpus:2 \
	   core@$P/kmap_atomic/pages:1 \
	   sim@$P/kmap_atomic_debug/pages:1 core@$P/kmap_local/pages:1 \
	   sim@$P/page_address_lowmem core@$P/page_address_high/pages:512 loop/noop; do
	check "^$row " "$tmp/table.txt"
done
for counter in pte_writes invlpg flush_all tlb_flushed hash_steps wraps ipis ipis_by_thread items_per_second; do
	check "^Benchmark .* $counter" "$tmp/table.txt"
done
# The guest rows: run (KVM usable) or skipped with the reason (not).
guest_rows=$(for r in floor kmap_atomic/pages:1 kmap_atomic_debug/pages:1 \
	kmap_local/pages:1 kmap_hit/pages:1 kmap_stream/pages:4096/cpus:1 \
	page_address_lowmem page_address_high/pages:512 \
	kmap_stream/pages:4096/cpus:2 kmap_stream/pages:4096/cpus:4; do
	echo "guest@$P/$r"; done)
if grep -q '^guest: skipped' "$tmp/table.txt"; then
	echo "note: guest rows skipped here: $(sed -n 's/^guest: //p' "$tmp/table.txt")"
	for row in $guest_rows; do
		check "^$row/manual_time +ERROR OCCURRED: 'skipped: " "$tmp/table.txt"
	done
	guest_ran=0
else
	check "^guest: (emulated|hardware-assisted|no stale)" "$tmp/table.txt"
	check "^guest_clock: guest rdtsc" "$tmp/table.txt"
	for counter in cycles best_cycles ratio_to_floor insns; do
		check "^Benchmark .* $counter" "$tmp/table.txt"
	done
	for row in $guest_rows; do
		check "^$row/manual_time +([0-9.]+ [mun]?s |ERROR OCCURRED: 'skipped: no SMP guest on this KVM: )" "$tmp/table.txt"
	done
	# Counts that follow from the code (the JSON has them unrounded):
	# the floor writes one PTE and invlpg it, a kmap_atomic pair two
	# (set, and cleared at unmap as x86 does) and one invlpg;
	# the stream runs whole periods of LAST_PKMAP maps, each with one
	# wrap and one real whole-TLB flush; every row has its cycles, ratio
	# and instruction count.
	"$checks" guest "$tmp/bench.json" || fail=1
	guest_ran=1
fi
# The guest_tcg rows: the same ops under QEMU's TCG, on every machine
# that ran tools/bootstrap; QEMU's costs, said so; the same counts, no
# instruction counts (KVM's single-step).
tcg_rows=$(echo "$guest_rows" | sed 's|^guest@|guest_tcg@|')
check "^guest_tcg: QEMU TCG: .*QEMU's costs, not a CPU's" "$tmp/table.txt"
check "^guest_tcg_clock: guest rdtsc at [0-9]+ kHz \(the host's TSC" "$tmp/table.txt"
for row in $tcg_rows; do
	check "^$row/manual_time +[0-9.]+ [mun]?s " "$tmp/table.txt"
done
"$checks" guest_tcg "$tmp/bench.json" || fail=1
check "^perf: " "$tmp/table.txt"
# Counters that follow from the code, not from timing: a kmap_atomic pair
# writes two PTEs (x86 clears at unmap), the debug pair too; a stream over
# 4096 pages wraps once per 512 maps (1.95m per op).
check "^core@$P/kmap_atomic/pages:1 .* 2 +0 +0 *$|^core@$P/kmap_atomic/pages:1 .*M/s +2 " "$tmp/table.txt"
check "^core@$P/kmap_atomic_debug/pages:1 .*M/s +2 " "$tmp/table.txt"
# The kernel-shaped pair ran: it maps what the core maps, or the row says
# why not instead of a time.
check "^core@$P/kmap_atomic_kernel_shape/pages:1 +[0-9.]+ ns " "$tmp/table.txt"
# (From the JSON: on a loaded machine Google Benchmark may stop a row
# before 512 maps, and the table's rounded figure then shows no wrap.)
"$checks" stream "$tmp/bench.json" || fail=1
# Every row but loop/noop names its profile: the default one here.
"$checks" profiles "$tmp/bench.json" $P || fail=1
# --bench_kernel=linux-6.1: every row says so, and the guest's run on
# linux-6.1's page tables (on TCG at least: QEMU is on every machine that
# ran tools/bootstrap); its debug variant's fixmap needs tables of its
# own, which benchmark mode does not build: that row says so.
"$bench" --benchmark_min_time=0.001 --bench_kernel=linux-6.1 \
	--benchmark_filter='kmap_atomic(_debug)?/pages:1(/manual_time)?$|loop/noop' \
	--benchmark_out="$tmp/k61.json" --benchmark_out_format=json \
	>"$tmp/k61.txt" 2>&1 || { echo "FAIL: kmap_bench --bench_kernel exited $?"; cat "$tmp/k61.txt"; fail=1; }
check "^core@linux-6.1/kmap_atomic/pages:1 +[0-9.]+ ns " "$tmp/k61.txt"
check "^sim@linux-6.1/kmap_atomic/pages:1 +[0-9.]+ ns " "$tmp/k61.txt"
check "^guest@linux-6.1/kmap_atomic/pages:1/manual_time " "$tmp/k61.txt"
check "^guest_tcg@linux-6.1/kmap_atomic/pages:1/manual_time +[0-9.]+ [mun]?s " "$tmp/k61.txt"
check "^guest_tcg@linux-6.1/kmap_atomic_debug/pages:1/manual_time +ERROR OCCURRED: 'guest_tcg: linux-6.1's debug variant needs page tables of its own" "$tmp/k61.txt"
"$checks" profiles "$tmp/k61.json" linux-6.1 || fail=1

# The stream with a thread per CPU (sim@$P/kmap_stream_smp): each wrap's
# flush is an IPI to each of the C - 1 other CPUs, and their own threads
# serve every one; with one thread playing every CPU (kmap_stream) the same
# IPIs are counted but the initiator serves them all.  Fixed iterations
# (4 wrap periods), so every row has wraps however loaded the machine.
"$bench" --bench_iterations=2048 --bench_no_perf \
	--benchmark_filter="^sim@$P/kmap_stream(_smp)?/pages:4096/cpus:[1248]/iterations" \
	--benchmark_out="$tmp/smp.json" --benchmark_out_format=json \
	>"$tmp/smp.txt" 2>&1 || { echo "FAIL: kmap_bench (smp rows) exited $?"; cat "$tmp/smp.txt"; fail=1; }
cat "$tmp/smp.txt"
for c in 1 2 4 8; do
	check "^sim@$P/kmap_stream_smp/pages:4096/cpus:$c/iterations:2048 " "$tmp/smp.txt"
done
"$checks" smp "$tmp/smp.json" || fail=1

"$trace" --calls 1100 --runs 2 --out "$tmp/stream.tsv" 2>"$tmp/trace.txt" ||
	{ echo "FAIL: kmap_trace"; cat "$tmp/trace.txt"; fail=1; }
[ "$(grep -vc '^#' "$tmp/stream.tsv")" = 1100 ] || { echo "FAIL: stream.tsv has not 1100 rows"; fail=1; }
"$report" --json "$tmp/bench.json" --trace "$tmp/stream.tsv" --out "$tmp/plots" ||
	{ echo "FAIL: report.py"; fail=1; }
for f in stream working_set cpus; do
	for ext in svg png; do
		[ -s "$tmp/plots/$f.$ext" ] || { echo "FAIL: no $f.$ext"; fail=1; }
	done
done
check "kmap_atomic \+ kunmap_atomic" "$tmp/plots/summary.txt"
check "^The stream over 4096 pages against CPUs" "$tmp/plots/summary.txt"
[ -s "$tmp/plots/cpus_sim_kmap_stream_smp.dat" ] || { echo "FAIL: the cpus plot has no sim/ threads series"; fail=1; }
check "^In the guest under QEMU's TCG: QEMU's costs .* \(guest_tcg@$P/ rows; kvm_runner" "$tmp/plots/summary.txt"
check "^Ratios from this run \(time per operation; core@$P/ = " "$tmp/plots/summary.txt"
check "^  kmap_atomic \+ kunmap_atomic +[0-9.]+ ns +1\.00x +\(core@$P/kmap_atomic/pages:1\)$" "$tmp/plots/summary.txt"
check "^  target \(hardware virtualization\): .*this run [0-9.]+x: not a CPU's figure" "$tmp/plots/summary.txt"
if [ $guest_ran = 1 ]; then
	check "^In the guest under KVM \(guest@$P/ rows; kvm_runner" "$tmp/plots/summary.txt"
	check "^  target \(hardware virtualization\): kmap_atomic pair within 1.30x.*: (met|NOT met|not measurable)" "$tmp/plots/summary.txt"
	check "^The guest rows side by side \(guest@$P/ under KVM, guest_tcg@$P/ under QEMU's TCG" "$tmp/plots/summary.txt"
	check "^  kmap_atomic \+ kunmap_atomic +[0-9.]+ [mun]s +[0-9.]+ [mun]s +[0-9.]+x" "$tmp/plots/summary.txt"
else
	check "^guest \(KVM\): skipped" "$tmp/plots/summary.txt"
fi

# No usable KVM (a device that does not exist): every guest row skipped,
# with the reason, and said once in the header.
"$bench" --benchmark_filter='^guest@' --bench_kvm_dev=/nonexistent/kvm \
	>"$tmp/nokvm.txt" 2>&1 || { echo "FAIL: kmap_bench --bench_kvm_dev exited $?"; fail=1; }
check "^guest: skipped: no usable KVM: /nonexistent/kvm: No such file" "$tmp/nokvm.txt"
for row in $guest_rows; do
	check "^$row/manual_time +ERROR OCCURRED: 'skipped: no usable KVM: /nonexistent/kvm" "$tmp/nokvm.txt"
done
# No usable QEMU: every guest_tcg row skipped, with the reason.
"$bench" --benchmark_filter='^guest_tcg@' --bench_qemu=/nonexistent/qemu \
	>"$tmp/noqemu.txt" 2>&1 || { echo "FAIL: kmap_bench --bench_qemu exited $?"; fail=1; }
check "^guest_tcg: skipped: no usable QEMU: /nonexistent/qemu: No such file" "$tmp/noqemu.txt"
for row in $tcg_rows; do
	check "^$row/manual_time +ERROR OCCURRED: 'skipped: no usable QEMU: /nonexistent/qemu" "$tmp/noqemu.txt"
done

# callgrind: counts one tiny row, or (exit 77) says why it cannot here:
# no valgrind, or a sanitizer build (--config=asan/tsan) valgrind cannot run.
"$callgrind" --bench "$bench" --iterations 2000 \
	--filter "^(core@$P/kmap_atomic(_kernel_shape)?/pages:1|loop/noop)\$" >"$tmp/callgrind.txt" 2>&1
rc=$?
cat "$tmp/callgrind.txt"
if [ $rc = 77 ]; then
	echo "note: callgrind not run: $(tail -1 "$tmp/callgrind.txt")"
	check "^callgrind.sh: .*(not installed|built with a sanitizer)" "$tmp/callgrind.txt"
elif [ $rc != 0 ]; then
	echo "FAIL: callgrind.sh exited $rc"; fail=1
else
	check "^core@$P/kmap_atomic/pages:1 +[0-9]+\.[0-9]" "$tmp/callgrind.txt"
	check "^  the pair in the kernel's shape \(kernel_shape.c\) +[0-9]+\.[0-9]+ +[0-9.]+x" "$tmp/callgrind.txt"
fi
[ $fail = 0 ] && echo "ok"
exit $fail
