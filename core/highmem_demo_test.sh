#!/bin/bash
# The demo runs, says what it did, and refuses bad input with exit 2.
set -u
demo=$1
fail=0
check() { grep -q -- "$2" <<<"$1" || { echo "FAIL: output lacks '$2'"; echo "$1"; fail=1; }; }

out=$("$demo" 2>&1) || { echo "FAIL: demo exited $?"; echo "$out"; exit 1; }
check "$out" "PKMAP_BASE 0xffc00000, LAST_PKMAP 512"
check "$out" "PKMAP entry 1, pkmap_count 2, pte 0x8000000037c03163"
check "$out" "reads back 0xdecafbad"
check "$out" "kmap+kunmap of 511 more pages: the last wrapped"
check "$out" "flush_all_zero_pkmaps ran 1 time"

out=$("$demo" --no-pae --cpus 2 2>&1) || { echo "FAIL: --no-pae exited $?"; exit 1; }
check "$out" "LAST_PKMAP 1024"
check "$out" "kmap+kunmap of 1023 more pages: the last wrapped"
check "$out" "2 whole-TLB flush(es) over 2 CPU(s)"

out=$("$demo" --kernel linux-6.1 2>&1) || { echo "FAIL: --kernel linux-6.1 exited $?"; exit 1; }
check "$out" "linux-6.1 x86_32 PAE"
check "$out" "PKMAP_BASE 0xff000000, LAST_PKMAP 512, FIXADDR_START 0xffdb8000, FIX_KMAP_BEGIN..END 68..579"
check "$out" "kmap_atomic(same page)     -> 0xfffbb000"

for bad in "--cpus 0" "--kernel linux-5.0" "--cpus x" "--mem-mib 5" "--bogus" "extra"; do
	out=$("$demo" $bad 2>&1)
	rc=$?
	[ $rc = 2 ] || { echo "FAIL: '$bad' exited $rc, want 2"; fail=1; }
	check "$out" "highmem_demo\|usage"
done
[ $fail = 0 ] && echo ok
exit $fail
