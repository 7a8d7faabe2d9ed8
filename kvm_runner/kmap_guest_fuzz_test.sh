#!/bin/bash
# SPDX-License-Identifier: MIT
#
# kmap_guest_fuzz_test.sh CLEAN BUG1 BUG10 NOIPI AFL AFL_NOIPI SEED... -
# the guest fuzz target (host/guest_fuzz.c) under QEMU's TCG: the correct
# guest runs the seeds and 10 s of fuzzing with no difference (its rate
# printed, not asserted: the host is shared), and 10 s more with every
# input's simulator run on a kept context checked against a new one; each guest with an injected
# bug of a TLB that can be wrong is found from the seeds within 60 s, with
# the replayable text sequence and a crash file.  Its AFL++ binaries (the
# persistent loop, once, on stdin outside afl-fuzz): every seed runs clean
# in the correct guest, and some seed aborts with the difference in the
# guest without shootdown IPIs.
set -u

# Absolute: the fuzzer runs in a scratch folder (its crash files go there).
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
clean=$(abs "$1") bug1=$(abs "$2") bug10=$(abs "$3") noipi=$(abs "$4")
afl=$(abs "$5") afl_noipi=$(abs "$6")
shift 6
tmp=${TEST_TMPDIR:-/tmp}/guest_fuzz.$$
failures=0

fail() {
	echo "FAILED: $*"
	[ -f "$out" ] && tail -30 "$out"
	failures=$((failures + 1))
}

# seeds DIR: a writable copy of the seeds (libFuzzer adds to it).
seeds() {
	rm -rf "$1" && mkdir -p "$1" && cp "${SEEDS[@]}" "$1"/ &&
		chmod -R u+w "$1"
}
SEEDS=()
for f in "$@"; do SEEDS+=("$(abs "$f")"); done

# A difference is an abort(), which libFuzzer's deadly-signal handler turns
# into the crash file: malloc and fopen inside a signal handler.  Under
# --config=tsan (halt_on_error=1 from .bazelrc) TSan reports that call as
# signal-unsafe and halts from inside the handler, which deadlocks: the
# fuzzer hung until the timeout, with no crash file.  The fuzz/ scripts
# turn that one report off for the same reason.
export TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}report_signal_unsafe=0"

mkdir -p "$tmp"
cd "$tmp" || exit 1

out=$tmp/clean.txt
seeds "$tmp/corpus_clean"
timeout -k 10 120 "$clean" -max_total_time=10 -max_len=256 "$tmp/corpus_clean" >"$out" 2>&1
status=$?
[ $status = 0 ] || fail "the correct guest: exit status $status"
grep -q '^backend: QEMU TCG' "$out" || fail "not on TCG"
grep -E '^#[0-9]+[[:space:]]+DONE ' "$out" | tail -1
grep '^kmap_guest_fuzz: ' "$out"

# The simulator's contexts are kept and reset between inputs: 10 s more
# with each input also run on a new context, any difference an abort.
out=$tmp/kept.txt
seeds "$tmp/corpus_kept"
HM_FUZZ_CHECK_KEPT=1 timeout -k 10 120 "$clean" -max_total_time=10 -max_len=256 "$tmp/corpus_kept" >"$out" 2>&1
status=$?
[ $status = 0 ] || fail "kept contexts checked against new ones: exit status $status"
grep -q '^kmap_guest_fuzz: HM_FUZZ_CHECK_KEPT: ' "$out" || fail "not in HM_FUZZ_CHECK_KEPT mode"
echo "kept contexts checked: $(grep '^kmap_guest_fuzz: .* run in the guest' "$out" | tail -1)"

for b in bug1 bug10 noipi; do
	out=$tmp/$b.txt
	seeds "$tmp/corpus_$b"
	rm -f crash-*
	SECONDS=0
	timeout -k 10 120 "${!b}" -max_total_time=60 "$tmp/corpus_$b" >"$out" 2>&1
	status=$?
	echo "$b: exit status $status after $SECONDS s: $(grep -m1 '^FAIL ' "$out" | cut -c1-200)"
	[ $status != 0 ] || fail "$b: no difference found in 60 s"
	[ $SECONDS -le 70 ] || fail "$b: took $SECONDS s"
	grep -q '^kmap_guest_fuzz: the guest and the simulator differ' "$out" ||
		fail "$b: no difference reported"
	grep -qE '^FAIL input \([0-9]+ bytes, [0-9]+ ops\): ' "$out" ||
		fail "$b: no FAIL line"
	grep -qE '^config cpus [1-4]' "$out" || fail "$b: no replayable sequence"
	crash=$(ls crash-* 2>/dev/null | head -1)
	[ -n "$crash" ] || fail "$b: no crash file"
done
# The AFL++ form, outside afl-fuzz: one input on stdin, then exit.
out=$tmp/afl.txt
for f in "${SEEDS[@]}"; do
	timeout -k 10 60 "$afl" <"$f" >"$out" 2>&1
	status=$?
	[ $status = 0 ] || fail "AFL++ binary, $(basename "$f"): exit status $status"
	grep -qE '^kmap_guest_fuzz: .* 1 inputs, 1 decodable, [01] run in the guest' "$out" ||
		fail "AFL++ binary, $(basename "$f"): no rate line"
done
found=0
for f in "${SEEDS[@]}"; do
	out=$tmp/afl_noipi.txt
	timeout -k 10 60 "$afl_noipi" <"$f" >"$out" 2>&1
	status=$?
	if grep -q '^kmap_guest_fuzz: the guest and the simulator differ' "$out"; then
		[ $status = 134 ] || fail "AFL++ noipi: exit status $status, expected abort"
		grep -qE '^config cpus [2-4]' "$out" || fail "AFL++ noipi: no replayable sequence"
		echo "AFL++ noipi: $(basename "$f"): $(grep -m1 '^FAIL ' "$out" | cut -c1-160)"
		found=1
		break
	fi
done
[ $found = 1 ] || fail "AFL++ noipi: no seed shows the missing shootdown"

rm -rf "$tmp"
[ $failures = 0 ] && echo "PASSED: kmap_guest_fuzz"
exit $((failures != 0))
