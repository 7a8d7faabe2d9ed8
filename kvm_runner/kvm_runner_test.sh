#!/bin/bash
# SPDX-License-Identifier: MIT
#
# kvm_runner_test.sh - run real guests through kvm_runner and check what
# comes out.  One script, several tests (BUILD.bazel passes the part):
#
#   kvm_runner_test.sh RUNNER boot|scenarios|faults|input|bench|smp|cleanup
#   kvm_runner_test.sh RUNNER nokvm
#   kvm_runner_test.sh RUNNER teeth_ack
#   kvm_runner_test.sh RUNNER corpus|teeth|teeth_ipi FILE...
#   kvm_runner_test.sh RUNNER teeth_stale FILE RUNNER_BUG10
#   kvm_runner_test.sh RUNNER tasks_report RUNNER_NOPARK RUNNER_STRICT SEED
#
# Each guest part runs on every backend present: KVM where /dev/kvm is
# usable, and QEMU's TCG, which tools/bootstrap installs (its absence is a
# failure).  Nothing is skipped: a part that ran on no backend fails.
set -u

runner=$1
part=$2
shift 2
out=${TEST_TMPDIR:-/tmp}/out.$$
failures=0
backend=

fail() {
	echo "FAILED${backend:+ ($backend)}: $*"
	echo "--- output ---"
	cat "$out"
	failures=$((failures + 1))
}

# run EXPECTED_STATUS ARGS...: run the runner on $backend, keep its output
# in $out.
run() {
	local want=$1 got
	shift
	timeout 120 "$runner" ${backend:+--backend=$backend} "$@" >"$out" 2>&1
	got=$?
	if [ "$got" != "$want" ]; then
		fail "kvm_runner --backend=$backend $*: exit status $got, expected $want"
		return 1
	fi
	return 0
}

# expect PATTERN: the last run printed a line matching PATTERN.
expect() {
	grep -qE -- "$1" "$out" || fail "no line matching '$1'"
}

# no_smp: the last run found no SMP guest on this backend (sequences of
# several CPUs then run on one vCPU playing each CPU, and say so).
no_smp() {
	if grep -q '^smp: no SMP guest on this' "$out"; then
		echo "note ($backend): $(grep '^smp: no SMP guest' "$out")"
		return 0
	fi
	return 1
}

# The backends this machine has: KVM if the runner boots a guest with it,
# TCG always (its absence fails the test).
backends() {
	local b
	for b in kvm tcg; do
		timeout 60 "$runner" --backend=$b boot >"$out" 2>&1
		case $? in
		0) echo $b ;;
		77) if [ $b = tcg ]; then
			echo "FAILED: no usable QEMU (run tools/bootstrap): $(sed -n 's/^SKIPPED: //p' "$out")" >&2
		    else
			echo "note: no KVM here: $(sed -n 's/^SKIPPED: //p' "$out")" >&2
		    fi ;;
		*) echo "FAILED: --backend=$b boot" >&2; cat "$out" >&2 ;;
		esac
	done
}

# A bad device path is the simulated "no /dev/kvm", a bad QEMU path the
# simulated missing QEMU: they need neither.
if [ "$part" = nokvm ]; then
	run 77 --backend=kvm --kvm-dev /nonexistent/kvm boot &&
		expect '^SKIPPED: no usable KVM: /nonexistent/kvm: No such file or directory'
	run 77 --backend=kvm --kvm-dev /dev/null boot &&
		expect '^SKIPPED: no usable KVM: /dev/null: KVM_GET_API_VERSION'
	run 77 --backend=tcg --qemu /nonexistent/qemu boot &&
		expect '^SKIPPED: no usable QEMU: /nonexistent/qemu: No such file or directory \(install qemu-system-x86: tools/bootstrap\)$'
	run 77 --kvm-dev /nonexistent/kvm --qemu /nonexistent/qemu boot &&
		expect '^SKIPPED: no usable KVM \(/nonexistent/kvm: .*\) and no usable QEMU \(/nonexistent/qemu: '
	# A QEMU that is no QEMU: it dies at once, and the runner says so.
	run 77 --backend=tcg --qemu /bin/false boot &&
		expect '^SKIPPED: no usable QEMU: no QMP greeting from QEMU \(QEMU exited with status 1\)$'
	run 2 --timeout-ms banana boot && expect 'timeout-ms'
	run 2 --backend=hvf boot && expect 'backend'
	run 2 --backend=tcg --paging compat boot && expect 'TCG runs legacy PAE'
	run 77 --backend=tcg --qemu /nonexistent/qemu --bench &&
		expect '^SKIPPED: no usable QEMU: /nonexistent/qemu: No such file or directory'
	run 2 --backend=tcg smp_shootdown && expect 'runs on KVM only'
	run 77 --backend=kvm --kvm-dev /nonexistent/kvm --bench &&
		expect '^SKIPPED: no usable KVM: /nonexistent/kvm: No such file or directory'
	run 77 --kvm-dev /nonexistent/kvm --qemu /nonexistent/qemu --bench &&
		expect '^SKIPPED: no usable KVM \(/nonexistent/kvm: .*\) and no usable QEMU \(/nonexistent/qemu: '
	run 2 --bench boot && expect 'runs no sequences'
	run 2 --bench --bench-iterations 0 && expect 'bench-iterations'
	run 0 --help && expect '^usage: kvm_runner'
	[ $failures = 0 ] && echo "PASSED: nokvm"
	exit $((failures != 0))
fi

part_on() {
case $part in
tasks_report)
	# 6.1's per-task kmap_local (switch_task) and the kernel reporting
	# mode, run in the guest and passed (never skipped); then two broken
	# guests that must fail them.  $1: an interpreter that parks the
	# outgoing task's maps but never brings the incoming task's back
	# (HM_EXEC_INJECT_NO_PARK); $2: a guest core that ignores the
	# sequence's reporting mode (HM_GUEST_INJECT_STRICT); $3: a seed of
	# corpus/kmap_ops/, to find corpus/ by.
	local nopark=$1 strict=$2 c keep=$runner
	local file=${TEST_TMPDIR:-/tmp}/cleared_slot.txt
	c=$(dirname "$(dirname "$3")")
	run 0 --kernel linux-6.1 $c/kmap_ops/linux_6_1_switch_task.txt \
		$c/kmap_misuse/switch_task_errors.txt $c/kmap_misuse/kernel_warns.txt &&
		expect '^3 passed, 0 failed$'
	expect "^PASS $c/kmap_ops/linux_6_1_switch_task.txt \(23 ops"
	expect "^PASS $c/kmap_misuse/switch_task_errors.txt \(14 ops.*, 4 BUG reports as predicted"
	# might_sleep's WARN and the out-of-order kunmap_local's; then the
	# slot whose TLB entry the kernel left: QEMU's TLB kept it (both
	# accesses went to the old frame, as the simulator's did), PVM walks.
	expect "^PASS $c/kmap_misuse/kernel_warns.txt \(11 ops.*, 2 WARNs as predicted, 2 accesses through a stale TLB entry predicted, $([ $backend = tcg ] && echo 2 || echo 0) made by the guest"
	run 0 $c/kmap_misuse/kernel_out_of_order_unmap.txt \
		$c/kmap_misuse/kernel_out_of_order_debug.txt \
		$c/kmap_misuse/switch_task_4_7.txt && expect '^3 passed, 0 failed$'
	expect "^PASS $c/kmap_misuse/kernel_out_of_order_unmap.txt \(10 ops, [0-9.]+ ms in the guest, 3 accesses through a stale TLB entry predicted, $([ $backend = tcg ] && echo 3 || echo 0) made by the guest\)$"
	expect "^PASS $c/kmap_misuse/kernel_out_of_order_debug.txt \(4 ops, [0-9.]+ ms in the guest, 2 WARNs as predicted\)$"
	expect "^PASS $c/kmap_misuse/switch_task_4_7.txt \(5 ops, [0-9.]+ ms in the guest, 1 BUG reports as predicted\)$"
	# A write through the slot whose PTE the out-of-order unmap cleared:
	# the simulator's TLB still holds it.  A TLB that kept it (QEMU's)
	# reaches the old frame; one that walks (PVM) takes a #PF there.
	# Either is what the kernel leaves, and passes; nothing else does.
	printf 'config cpus 1 report kernel\nkmap_atomic 0x38010\nkmap_atomic 0x38011\nwrite 1 0x22\nkunmap_atomic 1\nwrite 0 0x33\nread 0\nkunmap_atomic 0\n' >"$file"
	run 0 "$file" && expect '^1 passed, 0 failed$'
	if [ $backend = tcg ]; then
		expect "^PASS $file \(7 ops, [0-9.]+ ms in the guest, 2 accesses through a stale TLB entry predicted, 2 made by the guest\)$"
	else
		expect "^PASS $file \(guest exception 14 \(#PF\), error code 0x2 \(not-present write, supervisor\), CR2 0xfffb9330, .* at op #4 write 0 0x33; the simulator went through a stale TLB entry there, over a PTE the kernel cleared: this TLB no longer held it\)$"
	fi
	runner=$nopark
	run 1 --kernel linux-6.1 $c/kmap_ops/linux_6_1_switch_task.txt &&
		expect "^FAIL $c/kmap_ops/linux_6_1_switch_task.txt: op #8 read 0 0: guest returned 0 with 0 BUG reports and 0 WARNs, simulator 0x[0-9a-f]+ with 0 and 0$"
	runner=$strict
	run 1 --kernel linux-6.1 $c/kmap_misuse/kernel_warns.txt &&
		expect "^FAIL $c/kmap_misuse/kernel_warns.txt: op #1 kmap 0x38020 0: guest returned 0 with 1 BUG reports and 0 WARNs, simulator 0xff[0-9a-f]+ with 0 and 1$"
	run 1 $c/kmap_misuse/kernel_out_of_order_unmap.txt &&
		expect "^FAIL $c/kmap_misuse/kernel_out_of_order_unmap.txt: op #4 kunmap_atomic 0x1 0: guest returned 0 with 1 BUG reports and 0 WARNs, simulator 0 with 0 and 0$"
	runner=$keep
	;;
teeth)
	# A guest whose core wraps the PKMAP scan one entry early, against the
	# correct simulator: the comparison must fail the sequence.
	run 1 "$@" && expect '^FAIL ' && expect '^0 passed, 1 failed'
	;;
teeth_stale)
	# A TLB that can be wrong.  $1: the seed for a guest core that frees
	# PKMAP entries at the wrap without flushing (HM_INJECT_BUG=1, this
	# runner); $2: a runner whose core clears a temporary map's PTE at
	# kunmap_atomic without invlpg (HM_INJECT_BUG=10).  Where stale
	# translations are observable (TCG) the guest itself catches the next
	# access going to the old frame; where they are not (PVM), a counter.
	local seed=$1 runner10=$2 file=${TEST_TMPDIR:-/tmp}/unmap_noflush.txt
	run 1 "$seed" || return
	if grep -q '^stale translations observable: yes' "$out"; then
		expect '^FAIL .*small_window_wraps.txt: stale translation at op #[0-9]+ [a-z_]+ 0x[0-9a-f]+ (0|0x[0-9a-f]+): (wrote|read) (0|0x[0-9a-f]+) (through|from) 0xffc[0-9a-f]+, whose PTE maps frame 0x380[0-9a-f]+ \(which holds (0|0x[0-9a-f]+) there\); the (write|read) reached frame 0x380[0-9a-f]+ \(mapped there by op #[0-9]+ kmap 0x380[0-9a-f]+ 0\): the TLB kept the old entry'
	else
		expect '^FAIL .*small_window_wraps.txt: counter tlb_flush_range: guest 0, simulator [1-9]'
		echo "note ($backend): no stale translation observable here: the flush counter catches the missing flush at the wrap"
	fi
	printf 'config cpus 1 debug\nkmap_atomic 0x38100\nread 0\nkunmap_atomic 0\nkmap_atomic 0x38101\nread 0\nkunmap_atomic 0\n' >"$file"
	local keep=$runner
	runner=$runner10
	run 1 "$file"
	runner=$keep
	if grep -q '^stale translations observable: yes' "$out"; then
		expect '^FAIL .*unmap_noflush.txt: stale translation at op #3 kmap_atomic 0x38101 0: wrote 0x[0-9a-f]+ through 0xff[0-9a-f]{6}, whose PTE maps frame 0x38101 \(which holds 0 there\); the write reached frame 0x38100 \(mapped there by op #0 kmap_atomic 0x38100 0\): the TLB kept the old entry'
	else
		expect '^FAIL .*unmap_noflush.txt: counter tlb_flush_one: guest 0, simulator 2$'
		echo "note ($backend): no stale translation observable here: the flush counter catches the missing invlpg at kunmap_atomic"
	fi
	;;
teeth_ipi)
	# A guest that flushes only its own TLB, no shootdown IPI.  On TCG the
	# other vCPU reads through its stale translation, and the guest says
	# so; where no stale translation is observable (PVM) the host's count
	# of acknowledged IPIs per vCPU must fail every sequence with range
	# flushes on several vCPUs (on TCG too, after the stale read).
	timeout 120 "$runner" --backend=$backend smp_stale smp_wraps "$@" boot >"$out" 2>&1
	status=$?
	no_smp && return
	[ $status = 1 ] || fail "exit status $status, expected 1"
	if grep -q '^stale translations observable: yes' "$out"; then
		expect '^FAIL smp_stale: stale translation at op #1155 read 0 0: read (0|0x[0-9a-f]+) from 0xffc40[0-9a-f]{3}, whose PTE maps frame 0x383e8 \(which holds 0x[0-9a-f]+ there\); the read reached frame 0x38000 \(mapped there by op #126 kmap 0x38000 0\): the TLB kept the old entry'
		expect '^    also: TLB shootdown IPIs: cpu 1 acknowledged 0, expected 1'
	else
		expect '^FAIL smp_stale: TLB shootdown IPIs: cpu 1 acknowledged 0, expected 1, one per range flush of the other CPUs on the simulator \(1 flushes x 1 other CPU = 1 IPIs in all\)$'
		echo "note ($backend): no stale translation observable here: the IPI count catches the missing shootdown"
	fi
	expect '^FAIL smp_wraps: TLB shootdown IPIs: cpu 0 acknowledged 0, expected 3, one per range flush of the other CPUs on the simulator \(4 flushes x 3 other CPUs = 12 IPIs in all\)$'
	# (on TCG a stale read may come first: the count is then an "also")
	expect '^(FAIL .*small_window_wraps.txt|    also): TLB shootdown IPIs: cpu 1 acknowledged 0, expected 2'
	expect '^PASS boot '
	expect '^1 passed, 3 failed$'
	;;
teeth_ack)
	# A guest whose IPI handler flushes but never acknowledges: the
	# initiator waits for good, and the watchdog must end it with who
	# waited on whom; the next sequence gets a new VM.
	SECONDS=0
	timeout 120 "$runner" --backend=$backend --timeout-ms 2000 smp_wraps boot >"$out" 2>&1
	status=$?
	no_smp && return
	[ $status = 1 ] || fail "exit status $status, expected 1"
	expect '^FAIL smp_wraps: watchdog: the guest did not finish within 2000 ms \(at op #[0-9]+ on cpu 0\); cpu 0 waits for cpu 1 to acknowledge its TLB shootdown IPI$'
	expect '^PASS boot '
	expect '^1 passed, 1 failed$'
	[ $SECONDS -lt 30 ] || fail "took $SECONDS s"
	;;
boot)
	run 0 boot || return
	expect "^backend: $([ $backend = kvm ] && echo KVM || echo QEMU TCG)"
	expect '^paging: (compat mode|legacy PAE)'
	expect '^stale translations observable: (yes|no)'
	[ $backend = tcg ] && expect '^paging: legacy PAE' &&
		expect '^stale translations observable: yes'
	expect '^PASS boot '
	expect '^time: .*boot [0-9.]+ ms; .*max RSS'
	expect '^1 passed, 0 failed$'
	;;
scenarios)
	# Every kernel profile's page tables in the guest (6.1's fixmap
	# takes two page tables, 2.6.24 ends lowmem at 896 MiB).
	for k in linux-2.6.24 linux-6.1; do
		run 0 --kernel $k all && expect '^14 passed, 0 failed$'
	done
	run 0 all && expect '^14 passed, 0 failed$'
	if ! no_smp; then
		# Counts that follow from the scenarios, never timings.
		expect '^smp: 4 vCPUs for the sequences of 4 CPUs: .*; APIC IDs 0 1 2 3$'
		expect '^PASS smp_wraps \(162 ops on 4 vCPUs, [0-9.]+ ms in the guest; ops by cpu 40/41/41/40; 4 range flushes, 12 shootdown IPIs acked, by cpu 3/3/3/3\)$'
		expect '^PASS mixed \(29 ops on 2 vCPUs, .*; 2 range flushes, 2 shootdown IPIs acked, by cpu 0/2\)$'
		expect '^PASS smp_stale \(1158 ops on 2 vCPUs, .*; ops by cpu 1154/4; 1 range flushes, 1 shootdown IPIs acked, by cpu 0/1\)$'
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
		# Task switches, kernel reports and 6.1's debug layout (a VM
		# of its own tables) run in the guest: only another kernel's
		# seeds and 2-level paging are skipped.
		! grep -E '^SKIP ' "$out" | grep -vE ': (a linux-[0-9.]+ sequence in a VM of|2-level \(nopae\) paging)' ||
			fail "$k: skipped for another reason"
		[ $k = linux-6.1 ] &&
			expect "^debug: a VM of [12] vCPUs? with linux-6.1's debug tables \(PKMAP_BASE 0xfee00000, lowmem to 0xf6dfe000\)" &&
			expect '^PASS .*/linux_6_1_guard_slots.txt \(68 ops'
		# Each sequence of N > 1 CPUs ran on N vCPUs (where the
		# backend makes SMP guests) and says so.
		no_smp || for f in "$@"; do
			fk=$(sed -n 's/^config .*kernel \(linux-[0-9.]*\).*/\1/p' "$f")
			[ "${fk:-linux-4.7}" = $k ] || continue
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
		expect '^PASS fault_triple \((KVM_EXIT_SHUTDOWN|QEMU: guest reset, VM paused): triple fault' &&
		expect '^  EIP 0x[0-9a-f]+ <hm_guest_triple' &&
		expect 'IDT 0x00000000/0'
	run 0 --timeout-ms 200 fault_hang &&
		expect '^PASS fault_hang \(watchdog: the guest did not finish within 300 ms' &&
		expect '^  EIP 0x[0-9a-f]+ <hm_guest_hang'
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
	# Sequences of several CPUs: on as many vCPUs, or with --one-vcpu on
	# one vCPU playing each CPU; the same verdicts.
	run 0 smp_wraps || return
	if ! no_smp; then
		expect '^PASS smp_wraps \(162 ops on 4 vCPUs, .*12 shootdown IPIs acked'
		expect '^vCPUs: 4: 1 sequences, [0-9.]+ ms in the guest; 12 shootdown IPIs acknowledged$'
	fi
	run 0 --one-vcpu smp_wraps &&
		expect '^PASS smp_wraps \(162 ops, 1 vCPU playing 4 CPUs, '
	[ $backend = kvm ] || return
	# smp_shootdown (KVM): several vCPUs with the in-kernel irqchip.
	timeout 60 "$runner" smp_shootdown >"$out" 2>&1
	status=$?
	if [ $status = 77 ]; then
		echo "note: $(sed -n 's/^SKIPPED: //p' "$out")"
		return
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
	;;
bench)
	# The benchmark mode, a few iterations of each op: every op's line
	# with its counts, which follow from the code (never the timings).
	# Instruction counts are KVM's (single-step): "-" on TCG, whose
	# times are labelled QEMU's.
	if [ $backend = tcg ]; then
		insns='-'; ratio='-'
		run 0 --bench --bench-iterations 4 &&
			expect "^backend: QEMU TCG .*QEMU's costs, not a CPU's$" &&
			expect '^guest: QEMU TCG: ' &&
			expect "^guest TSC: [0-9]+ kHz \(the host's" &&
			expect 'insns: .*not counted on TCG'
	else
		insns='[0-9.]+'; ratio='1\.00x'
		run 0 --bench --bench-iterations 4 &&
			expect '^backend: KVM$' &&
			expect '^guest: (emulated|hardware-assisted|no stale)'
	fi
	expect '^guest TSC: ' &&
		expect '^op +pages +iters +cycles/op +best/op +ns/op +x floor +insns' &&
		expect "^floor +1 +4 +[0-9]+ +[0-9]+ +[0-9]+ +1\.00x +$insns +$ratio +1 +1 +0 +0 +0\$" &&
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
	dir=${TEST_TMPDIR:-/tmp}/input.$$.$backend
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
	# A folder runs its sequences only: a README.md and a BUILD file
	# beside a seed are not sequences (as parsed they would fail), a
	# regressions/ folder's crash file without a suffix is one.
	mkdir -p "$dir/seeds/regressions"
	printf 'kmap 0x38006\nwrite 0 5\nread 0\nkunmap 0x38006\n' >"$dir/seeds/seed.txt"
	printf '# seeds\n\nThe seed kmaps a page.\n' >"$dir/seeds/README.md"
	printf 'exports_files(glob(["*.txt"]))\n' >"$dir/seeds/BUILD"
	printf 'kmap_atomic 0x38007\nkunmap_atomic 0\n' >"$dir/seeds/regressions/crash-0123abcd"
	run 0 "$dir/seeds" && expect '^PASS .*seeds/seed\.txt \(4 ops' &&
		expect '^PASS .*seeds/regressions/crash-0123abcd \(2 ops' &&
		expect '^2 passed, 0 failed$'
	grep -qE 'README|BUILD' "$out" && fail "README.md or BUILD taken as a sequence"
	mkdir -p "$dir/none/sub"
	cp "$dir/seeds/README.md" "$dir/seeds/BUILD" "$dir/none/"
	run 1 "$dir/none" &&
		expect '^FAIL .*none: a folder with no op sequences in it or under it' &&
		expect '^0 passed, 1 failed$'
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
cleanup)
	cleanup_on
	;;
*)
	echo "unknown part $part"
	exit 2
	;;
esac
}

# qemu_of PID: the QEMU runner PID started (its -name), once it is up
# (within 30 s); false if none came.
qemu_of() {
	local i
	for i in $(seq 300); do
		pgrep -f "hm-kvm-runner-$1 " && return 0
		sleep 0.1
	done
	return 1
}

# booted: the runner of $out has booted its guest (and is in the hang).
booted() {
	local i
	for i in $(seq 300); do
		grep -q '^stale translations observable' "$out" && break
		sleep 0.1
	done
	sleep 0.3
}

# TCG: nothing left behind, whatever ends the runner (a clean exit, QEMU
# killed under it, Ctrl-C): no QEMU process of ours, no file in /dev/shm.
cleanup_on() {
	local shm_before pid qemu
	[ $backend = tcg ] || return
	shm_before=$(ls /dev/shm | sort)
	run 0 boot
	# QEMU killed under a running sequence: a named report, no hang.
	"$runner" --backend=tcg --timeout-ms 20000 fault_hang >"$out" 2>&1 &
	pid=$!
	qemu=$(qemu_of $pid) || fail "no QEMU named hm-kvm-runner-$pid"
	booted
	[ -n "$qemu" ] && kill -KILL $qemu
	wait $pid
	expect '^FAIL fault_hang: QEMU was killed by signal 9$'
	# Ctrl-C while the guest hangs (job control on: a background job of
	# a script would otherwise ignore SIGINT).
	set -m
	"$runner" --backend=tcg --timeout-ms 20000 fault_hang >"$out" 2>&1 &
	pid=$!
	set +m
	qemu_of $pid >/dev/null || fail "no QEMU named hm-kvm-runner-$pid"
	booted
	kill -INT $pid
	wait $pid
	sleep 0.5
	! pgrep -f "hm-kvm-runner-$pid " || fail "QEMU of runner $pid left behind after SIGINT"
	[ "$(ls /dev/shm | sort)" = "$shm_before" ] || fail "/dev/shm changed: $(ls /dev/shm)"
}

ran=0
list=$(backends)
case " $(echo $list) " in
*" tcg "*) ;;
*) fail "no usable QEMU TCG: tools/bootstrap installs qemu-system-x86" ;;
esac
for backend in $list; do
	echo "== $part on $backend"
	: >"$out"
	part_on "$@"
	ran=$((ran + 1))
	tail -2 "$out"
done
backend=
[ $ran -gt 0 ] || fail "$part ran on no backend"
rm -f "$out"
[ $failures = 0 ] && echo "PASSED: $part"
exit $((failures != 0))
