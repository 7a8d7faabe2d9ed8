#!/bin/bash
# //core:layout prints the profile's layout, lists and tabulates the
# profiles, and refuses bad input with exit status 2.  The numbers
# themselves are checked by profile_test; here only that the command
# shows them and parses its options.
set -u
layout=$1
fail=0
check() { grep -q -- "$2" <<<"$1" || { echo "FAIL: output lacks '$2'"; echo "$1"; fail=1; }; }

out=$("$layout" --kernel linux-6.1 --mem 2G --cpus 4 2>&1) || { echo "FAIL: exited $?"; echo "$out"; exit 1; }
check "$out" "PAE, 2048 MiB RAM, 4 CPU(s) running, NR_CPUS 32"
check "$out" "high_memory     0xf6ffe000"
check "$out" "max_low_pfn     0x36ffe  (max_pfn 0x80000)"
check "$out" "PKMAP_BASE      0xff000000"
check "$out" "LDT_BASE_ADDR   0xff200000"
check "$out" "FIX_KMAP_END    579"
check "$out" "cpu 1 slot      0xfffab000"
check "$out" "range flush     page by page up to 33 pages"

out=$("$layout" 2>&1) || { echo "FAIL: default exited $?"; exit 1; }
check "$out" "^linux-4.7:"
check "$out" "PAE, 1024 MiB RAM, 1 CPU(s) running, NR_CPUS 1"
check "$out" "cpu 0 slot      0xfffba000"
check "$out" "cpu 1 slot      -  (no cpu 1 running)"

out=$("$layout" --kernel linux-4.7 --mem 0x40000000 --cpus 2 --nr-cpus 32 --debug 2>&1) || { echo "FAIL: --nr-cpus exited $?"; exit 1; }
check "$out" "NR_CPUS 32, debug"
check "$out" "KM_TYPE_NR (per-CPU stack) 41 per CPU"

out=$("$layout" --kernel linux-2.6.24 --nopae --mem 512M 2>&1) || { echo "FAIL: --nopae exited $?"; exit 1; }
check "$out" "2-level paging, 512 MiB RAM"
check "$out" "LAST_PKMAP 1024"
check "$out" "range flush     always whole: flush_tlb_kernel_range(start, end) is flush_tlb_all()"

out=$("$layout" --list 2>&1) || { echo "FAIL: --list exited $?"; exit 1; }
check "$out" "^linux-2.6.24$"
check "$out" "^linux-4.7 (default)$"
check "$out" "^linux-6.1$"
check "$out" "config-6.1.0-57-686-pae"

out=$("$layout" --table 2>&1) || { echo "FAIL: --table exited $?"; exit 1; }
[ "$(grep -c '^| [124] GiB |' <<<"$out")" = 18 ] || { echo "FAIL: --table has not 18 rows"; echo "$out"; fail=1; }
check "$out" "^### linux-6.1 (PAE)"

for bad in "--kernel linux-5.4" "--cpus 0" "--cpus x" "--cpus 65" "--mem 3X" \
	    "--mem -1G" "--mem 4097" "--kernel linux-6.1 --cpus 33" \
	    "--nopae --mem 8G" "--bogus" "extra"; do
	out=$("$layout" $bad 2>&1)
	rc=$?
	[ $rc = 2 ] || { echo "FAIL: '$bad' exited $rc, want 2"; fail=1; }
	check "$out" "layout\|usage"
done
[ $fail = 0 ] && echo ok
exit $fail
