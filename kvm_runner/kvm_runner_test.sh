#!/bin/bash
# SPDX-License-Identifier: MIT
#
# kvm_runner_test.sh - run real guests through kvm_runner and check what
# comes out.  One script, several tests (BUILD.bazel passes the part):
#
#   kvm_runner_test.sh RUNNER boot|scenarios|faults|input|nokvm|bench|smp
#   kvm_runner_test.sh RUNNER teeth_ack
#   kvm_runner_test.sh RUNNER corpus|teeth|teeth_ipi FILE...
#
# Where /dev/kvm is missing or unusable the test PASSES after printing
# "SKIPPED: <reason>" (Bazel would count a 77 as a failure); where it is
# usable, any guest failure fails the test.
set -u

runner=$1
part=$2
shift 2
out=${TEST_TMPDIR:-/tmp}/out.$$
failures=0

fail() {
	echo "FAILED: $*"
	echo "--- output ---"
	cat "$out"
	failures=$((failures + 1))
}

# run EXPECTED_STATUS ARGS...: run the runner, keep its output in $out.
run() {
	local want=$1 got
	shift
	timeout 60 "$runner" "$@" >"$out" 2>&1
	got=$?
	if [ "$got" != "$want" ]; then
		fail "kvm_runner $*: exit status $got, expected $want"
		return 1
	fi
	return 0
}

# expect PATTERN: the last run printed a line matching PATTERN.
expect() {
	grep -qE -- "$1" "$out" || fail "no line matching '$1'"
}

# no_smp: the last run found no SMP guest on this KVM (sequences of several
# CPUs then run on one vCPU playing each CPU, and say so).
no_smp() {
	if grep -q '^smp: no SMP guest on this KVM' "$out"; then
		echo "note: $(grep '^smp: no SMP guest' "$out")"
		return 0
	fi
	return 1
}

# A bad device path is the simulated "no /dev/kvm": needs no KVM at all.
if [ "$part" = nokvm ]; then
	run 77 --kvm-dev /nonexistent/kvm boot &&
		expect '^SKIPPED: no usable KVM: /nonexistent/kvm: No such file or directory'
	run 77 --kvm-dev /dev/null boot &&
		expect '^SKIPPED: no usable KVM: /dev/null: KVM_GET_API_VERSION'
	run 2 --timeout-ms banana boot && expect 'timeout-ms'
	run 77 --kvm-dev /nonexistent/kvm --bench &&
		expect '^SKIPPED: no usable KVM: /nonexistent/kvm: No such file or directory'
	run 2 --bench boot && expect 'runs no sequences'
	run 2 --bench --bench-iterations 0 && expect 'bench-iterations'
	run 0 --help && expect '^usage: kvm_runner'
	[ $failures = 0 ] && echo "PASSED: nokvm"
	exit $((failures != 0))
fi

timeout 60 "$runner" boot >"$out" 2>&1
status=$?
if [ $status = 77 ]; then
	echo "SKIPPED: $(sed -n 's/^SKIPPED: //p' "$out")"
	exit 0
fi

case $part in
teeth)
	# A guest whose core wraps the PKMAP scan one entry early, against the
	# correct simulator: the comparison must fail the sequence.
	run 1 "$@" && expect '^FAIL ' && expect '^0 passed, 1 failed'
	;;
teeth_ipi)
	# A guest that flushes only its own TLB, no shootdown IPI: the host's
	# count of acknowledged IPIs per vCPU must fail every sequence with
	# range flushes on several vCPUs, and only those.
	timeout 60 "$runner" smp_wraps "$@" boot >"$out" 2>&1
	status=$?
	if no_smp; then
		echo "SKIPPED: no SMP guest on this KVM"
		exit 0
	fi
	[ $status = 1 ] || fail "exit status $status, expected 1"
	expect '^FAIL smp_wraps: TLB shootdown IPIs: cpu 0 acknowledged 0, expected 3, one per range flush of the other CPUs on the simulator \(4 flushes x 3 other CPUs = 12 IPIs in all\)$'
	expect '^FAIL .*small_window_wraps.txt: TLB shootdown IPIs: cpu 1 acknowledged 0, expected 2'
	expect '^PASS boot '
	expect '^1 passed, 2 failed$'
	;;
teeth_ack)
	# A guest whose IPI handler flushes but never acknowledges: the
	# initiator waits for good, and the watchdog must end it with who
	# waited on whom; the next sequence gets a new VM.
	SECONDS=0
	timeout 60 "$runner" --timeout-ms 2000 smp_wraps boot >"$out" 2>&1
	status=$?
	if no_smp; then
		echo "SKIPPED: no SMP guest on this KVM"
		exit 0
	fi
	[ $status = 1 ] || fail "exit status $status, expected 1"
	expect '^FAIL smp_wraps: watchdog: the guest did not finish within 2000 ms \(at op #[0-9]+ on cpu 0\); cpu 0 waits for cpu 1 to acknowledge its TLB shootdown IPI$'
	expect '^PASS boot '
	expect '^1 passed, 1 failed$'
	[ $SECONDS -lt 30 ] || fail "took $SECONDS s"
	;;
boot)
	[ $status = 0 ] || fail "boot: exit status $status"
	expect '^paging: (compat mode|legacy PAE)'
	expect '^stale translations observable: (yes|no)'
	expect '^PASS boot '
	expect '^1 passed, 0 failed$'
	;;
scenarios)
	# Every kernel profile's page tables in the guest (6.1's fixmap
	# takes two page tables, 2.6.24 ends lowmem at 896 MiB).
	for k in linux-2.6.24 linux-6.1; do
		run 0 --kernel $k all && expect '^13 passed, 0 failed$'
	done
	run 0 all && expect '^13 passed, 0 failed$'
	if ! no_smp; then
		# Counts that follow from the scenarios, never timings.
		expect '^smp: 4 vCPUs for the sequences of 4 CPUs: one host thread each, in-kernel irqchip, compat mode; APIC IDs 0 1 2 3$'
		expect '^PASS smp_wraps \(162 ops on 4 vCPUs, [0-9.]+ ms in the guest; ops by cpu 40/41/41/40; 4 range flushes, 12 shootdown IPIs acked, by cpu 3/3/3/3\)$'
		expect '^PASS mixed \(29 ops on 2 vCPUs, .*; 2 range flushes, 2 shootdown IPIs acked, by cpu 0/2\)$'
	fi
	;;
corpus)
	# Once per kernel profile: each seed runs in the VM of its kernel
	# ("config ... kernel NAME", else linux-4.7) and is skipped in the
	# others.
	for k in linux-4.7 linux-2.6.24 linux-6.1; do
		run 0 --kernel $k "$@" &&
			expect '^[0-9]+ passed, 0 failed' || continue
		echo "$k: $(grep -E '^[0-9]+ passed' "$out")"
		# Each sequence of N > 1 CPUs ran on N vCPUs (where KVM
		# makes SMP guests) and says so.
		no_smp || for f in "$@"; do
			fk=$(sed -n 's/^config .*kernel \(linux-[0-9.]*\).*/\1/p' "$f")
			[ "${fk:-linux-4.7}" = $k ] || continue
			if grep -qF "SKIP $f: its layout" "$out"; then
				# 6.1's debug layout moves PKMAP_BASE: the
				# VM's tables are the non-debug ones.
				echo "note: $(grep -F "SKIP $f" "$out")"
				continue
			fi
			n=$(sed -n 's/^config cpus \([0-9]\).*/\1/p' "$f")
			case $n in [234]) ;; *) continue ;; esac
			grep -q '^config .*nopae' "$f" && continue
			grep -F "PASS $f (" "$out" | grep -qE "ops on $n vCPUs" ||
				fail "$f: not run on $n vCPUs ($k)"
			echo "$f: $n vCPUs ($k)"
		done
	done
	;;
faults)
	# Each fault is the expected outcome of its scenario (predicted by
	# the simulator), with the dumps a VMM prints when a guest dies.
	run 0 fault_pagefault &&
		expect '^PASS fault_pagefault .*exception 14 \(#PF\).*CR2 0xffc64000' &&
		expect 'page walk of 0xffc64000' && expect 'PT\[100\] +0x0+ -'
	run 0 fault_triple &&
		expect '^PASS fault_triple \(KVM_EXIT_SHUTDOWN: triple fault' &&
		expect '^  EIP 0x[0-9a-f]+ <hm_guest_triple' &&
		expect 'IDT 0x00000000/0'
	run 0 --timeout-ms 200 fault_hang &&
		expect '^PASS fault_hang \(watchdog: the guest did not finish within 300 ms'
	# The same on an application processor: the #PF comes from cpu 1's
	# vCPU (its registers, its stack) and ends cpu 0's wait at once, well
	# before a 30 s watchdog; a spinning cpu 1 is named by the watchdog.
	SECONDS=0
	run 0 --timeout-ms 30000 fault_ap_pagefault && ! no_smp &&
		expect '^PASS fault_ap_pagefault \(guest exception 14 \(#PF\) on cpu 1, .*CR2 0xffc64000' &&
		expect 'ESP 0xc01e[0-9a-f]{4}$'
	[ $SECONDS -lt 20 ] || fail "fault_ap_pagefault took $SECONDS s"
	run 0 fault_ap_hang && ! no_smp &&
		expect '^PASS fault_ap_hang \(watchdog: the guest did not finish within 300 ms \(at op #2 on cpu 1\); cpu 0 waits for cpu 1 to finish the op it handed over\)$'
	run 0 bug &&
		expect '^PASS bug \(guest BUG: kernel BUG at core/highmem.c:[0-9]+ in kunmap_high\(\)'
	# After each death the next sequence gets a new VM.
	run 0 fault_triple boot fault_pagefault boot &&
		expect '^4 passed, 0 failed$'
	;;
smp)
	# Several vCPUs with the in-kernel irqchip: skipped (with the reason)
	# where this KVM makes no SMP guest, as where it has no KVM at all.
	timeout 60 "$runner" smp_shootdown >"$out" 2>&1
	status=$?
	if [ $status = 77 ]; then
		echo "SKIPPED: $(sed -n 's/^SKIPPED: //p' "$out")"
		exit 0
	fi
	[ $status = 0 ] || fail "smp_shootdown: exit status $status"
	expect '^smp: 2 vCPUs, one host thread each, in-kernel irqchip; xAPIC at FIX_APIC_BASE 0xffffc000; APIC IDs 0 1$'
	expect '^  cpu 1 read 0x5a037bfe through PKMAP entry 1 \(0xffc01000, frame 0x37bfe\); cpu 0 wrapped the window in 17 kmaps \(1 PKMAP flushes\); cpu 1 read 0x5a037c0e \(frame 0x37c0e\)$'
	expect '^  shootdowns 1; IPIs sent/acked: cpu 1 1/1$'
	expect '^PASS smp_shootdown \(2 vCPUs'
	run 0 --smp-cpus 3 smp_shootdown &&
		expect '^  shootdowns 1; IPIs sent/acked: cpu 1 1/1 cpu 2 1/1$' &&
		expect '^PASS smp_shootdown \(3 vCPUs'
	run 2 --smp-cpus 9 smp_shootdown && expect 'smp-cpus'
	run 2 smp_shootdown boot && expect 'runs alone'
	# Sequences of several CPUs: on as many vCPUs, or with --one-vcpu on
	# one vCPU playing each CPU; the same verdicts.
	run 0 smp_wraps &&
		expect '^PASS smp_wraps \(162 ops on 4 vCPUs, .*12 shootdown IPIs acked' &&
		expect '^vCPUs: 4: 1 sequences, [0-9.]+ ms in the guest; 12 shootdown IPIs acknowledged$'
	run 0 --one-vcpu smp_wraps &&
		expect '^PASS smp_wraps \(162 ops, 1 vCPU playing 4 CPUs, '
	;;
bench)
	# The benchmark mode, a few iterations of each op: every op's line
	# with its counts, which follow from the code (never the timings).
	run 0 --bench --bench-iterations 4 &&
		expect '^guest: (emulated|hardware-assisted|no stale)' &&
		expect '^guest TSC: ' &&
		expect '^op +pages +iters +cycles/op +best/op +ns/op +x floor +insns' &&
		expect '^floor +1 +4 +[0-9]+ +[0-9]+ +[0-9]+ +1\.00x +[0-9.]+ +1\.00x +1 +1 +0 +0 +0$' &&
		expect '^kmap_atomic +1 +4 .* 2 +1 +0 +0 +0$' &&
		expect '^kmap_atomic_debug +1 +4 .* 2 +1 +0 +0 +0$' &&
		expect '^kmap_local +1 +4 .* 2 +1 +0 +0 +0$' &&
		expect '^kmap_hit +1 +4 .* 0 +0 +0 +2 +0$' &&
		expect '^kmap_stream +4096 +4 ' &&
		expect '^page_address_lowmem +64 +4 ' &&
		expect '^page_address_high +512 +4 ' &&
		expect '^time: '
	grep -q FAILED "$out" && fail "an op failed"
	;;
input)
	dir=${TEST_TMPDIR:-/tmp}/input.$$
	mkdir -p "$dir"
	printf 'kmap 0x38005\nwrite 0 0xdeadbeef\nread 0\nkunmap 0x38005\n' >"$dir/good.txt"
	printf 'kmap 0x38005\nkmapp 7\n' >"$dir/typo.txt"
	# Binary: config byte, then kmap (code 0) with only 2 of its 4 bytes.
	printf '\x00\x00\x05\x80' >"$dir/truncated.bin"
	head -c 3000 /dev/urandom >"$dir/random.bin"
	run 0 "$dir/good.txt" && expect '^PASS .*good.txt \(4 ops'
	run 1 "$dir/typo.txt" && expect '^FAIL .*typo.txt: .*line 2'
	run 1 "$dir/truncated.bin" && expect '^FAIL .*truncated.bin: '
	run 1 "$dir" && expect '^1 passed, 3 failed$'
	run 1 no_such_scenario_or_file &&
		expect '^FAIL no_such_scenario_or_file: not a scenario'
	# A sequence runs on its kernel's page tables or not at all.
	mkdir -p "$dir/k"
	printf 'config cpus 1 kernel linux-6.1\nkmap_local_page 0x38005\nwrite 0 7\nread 0\nkunmap_local 0\n' >"$dir/k/six.txt"
	run 0 "$dir/k/six.txt" &&
		expect '^SKIP .*six.txt: a linux-6.1 sequence in a VM of linux-4.7: run kvm_runner --kernel linux-6.1$'
	run 0 --kernel linux-6.1 "$dir/k/six.txt" &&
		expect '^PASS .*six.txt \(4 ops'
	run 2 --kernel linux-5.0 all && expect 'kvm_runner: --kernel: '
	;;
*)
	echo "unknown part $part"
	exit 2
	;;
esac
tail -2 "$out"
rm -f "$out"
[ $failures = 0 ] && echo "PASSED: $part"
exit $((failures != 0))
