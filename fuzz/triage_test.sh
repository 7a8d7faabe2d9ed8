#!/usr/bin/env bash
# triage_test.sh HM_OPS BUGGY GOOD_REPLAY CRASH1.txt CRASH2.txt CLEAN.txt -
# `hm_ops triage` against kmap_ops built with injected bug 1 (the missing
# flush at the wrap): two different inputs that find it (one as text, one
# encoded as a fuzzer's binary) and one that finds nothing must give one
# regression, readable text that `hm_ops check` takes, shorter than both
# inputs, that still fails the buggy build and passes the normal replay.
set -euo pipefail
hm_ops=$PWD/$1 buggy=$PWD/$2 good=$PWD/$3 crash1=$PWD/$4 crash2=$PWD/$5 clean=$PWD/$6
fail() { echo "FAIL: $*" >&2; exit 1; }
export ASAN_OPTIONS=symbolize=0:detect_leaks=0
t=${TEST_TMPDIR:-$(mktemp -d)}
mkdir -p "$t/findings"
cp "$crash1" "$t/findings/a_text.txt"
"$hm_ops" encode "$crash2" "$t/findings/b_binary"
cp "$clean" "$t/findings/c_clean.txt"

ops() { "$hm_ops" check "$1" | sed -n 's/.*: \([0-9]*\) ops$/\1/p'; }

out=$("$hm_ops" triage --target "$buggy" --out "$t/out" "$t/findings") ||
  fail "triage exited $?: $out"
echo "$out"
grep -q "^kept: $t/findings/.*: ORACLE: " <<<"$out" || fail "no finding kept"
grep -q "^duplicate: $t/findings/" <<<"$out" || fail "no duplicate found"
grep -q "^not reproducible: $t/findings/c_clean.txt$" <<<"$out" ||
  fail "the clean input is not 'not reproducible'"
grep -q "^triage: 3 finding(s): 1 bug(s) kept, 1 duplicate(s), 1 not reproducible" <<<"$out" ||
  fail "wrong summary"

files=("$t"/out/*)
[[ ${#files[@]} -eq 1 && -f ${files[0]} ]] || fail "expected one regression: ${files[*]}"
reg=${files[0]}
echo "== $reg =="
cat "$reg"
LC_ALL=C grep -q '[^[:print:][:space:]]' "$reg" && fail "$reg is not text"
head -1 "$reg" | grep -q '^# ORACLE: ' || fail "no signature in the header"
n=$(ops "$reg") || fail "hm_ops check refuses $reg"
for f in "$crash1" "$crash2"; do
  [[ $n -lt $(ops "$f") ]] || fail "$n ops is not fewer than $f's $(ops "$f")"
done

# The buggy build (a libFuzzer binary) takes the binary form.
"$hm_ops" encode "$reg" "$t/reg.bin"
if bugout=$("$buggy" "$t/reg.bin" 2>&1); then fail "the regression passes the buggy build"; fi
grep -q "^ORACLE: " <<<"$bugout" || fail "the buggy build fails, but not with ORACLE: $bugout"
"$good" "$reg" || fail "the regression fails the normal replay"

# Bad input: a clear message and exit 1; a target that hangs is killed.
if "$hm_ops" triage --target "$buggy" --out "$t/out2" "$t/nowhere" 2>"$t/err"; then
  fail "a missing finding was accepted"
fi
grep -q "nowhere: No such file" "$t/err" || fail "no message for a missing finding"
printf '#!/bin/sh\nsleep 60\n' >"$t/hang.sh"
chmod +x "$t/hang.sh"
start=$SECONDS
out=$("$hm_ops" triage --target "$t/hang.sh" --timeout 1 --max-runs 3 --out "$t/out3" "$crash1") ||
  fail "triage of a hanging target exited $?"
echo "$out"
grep -q "timeout after 1 s" <<<"$out" || fail "no timeout reported"
grep -q "(26 ops from 26, 0 runs)" <<<"$out" || fail "a hanging finding was minimised"
(( SECONDS - start < 20 )) || fail "the hanging target took $((SECONDS - start)) s"
echo "ok: one regression of $n ops from findings of $(ops "$crash1") and $(ops "$crash2") ops"
