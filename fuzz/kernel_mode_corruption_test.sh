#!/usr/bin/env bash
# kernel_mode_corruption_test.sh REPLAY OOO_SEED WARN_SEED - the harness
# reports what an out-of-order unmap does in kernel mode: the CPU reaching
# the old frame through the new map, with op, address and both frames; as
# a line by default, as a finding (abort, the whole input) on request.
set -euo pipefail
bin=$1 ooo=$2 warns=$3
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$bin" "$ooo" 2>&1) || fail "replay of $ooo failed: $out"
echo "$out"
grep -q "CORRUPTION (kernel mode): op 6 (kmap_atomic 0x38012) on cpu 0: .* through 0xfffb9000: frame expected 0x38012, frame reached pfn 0x38011" <<<"$out" ||
  fail "no CORRUPTION report for $ooo"
grep -q "the out-of-order unmap at op 5 left it so" <<<"$out" ||
  fail "the report does not name the unmap"

out=$("$bin" "$warns" 2>&1) || fail "replay of $warns failed: $out"
echo "$out"
grep -q "frame expected 0x38032, frame reached pfn 0x38031" <<<"$out" ||
  fail "no CORRUPTION report for $warns"

# quiet: counted, not printed
out=$(HM_FUZZ_CORRUPTION=quiet "$bin" "$ooo" 2>&1) || fail "quiet run failed"
! grep -q CORRUPTION <<<"$out" || fail "quiet mode printed: $out"

# abort: a finding, with the input decoded
if out=$(HM_FUZZ_CORRUPTION=abort "$bin" "$ooo" 2>&1); then
  fail "HM_FUZZ_CORRUPTION=abort did not abort"
fi
grep -q "ORACLE: CORRUPTION (kernel mode)" <<<"$out" || fail "no ORACLE line: $out"
grep -q "^kunmap_atomic 1 " <<<"$out" ||
  fail "the input is not printed"

# a bad value is refused
if HM_FUZZ_CORRUPTION=loud "$bin" "$ooo" >/dev/null 2>&1; then
  fail "HM_FUZZ_CORRUPTION=loud accepted"
fi
echo PASS
