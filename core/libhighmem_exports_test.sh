#!/bin/bash
# libhighmem.so exports exactly the functions core/highmem.h declares:
# no arch hooks, no internals such as page_address or hm_core_init.
set -u
lib=$1
hdr=$2
fail=0
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TtWw]$/ {print $3}' | sort -u)
declared=$(grep -E '^HM_API' "$hdr" | grep -oE '\bhm_[A-Za-z0-9_]+\(' | tr -d '(' | sort -u)
[ -n "$declared" ] || { echo "FAIL: found no HM_API declarations in $hdr"; exit 1; }
extra=$(comm -23 <(echo "$exported") <(echo "$declared"))
missing=$(comm -13 <(echo "$exported") <(echo "$declared"))
[ -z "$extra" ] || { echo "FAIL: exported but not public API:" $extra; fail=1; }
[ -z "$missing" ] || { echo "FAIL: declared in highmem.h but not exported:" $missing; fail=1; }
for must in hm_kmap hm_kunmap hm_kmap_high hm_kmap_atomic hm_kunmap_atomic \
	hm_kmap_local_page hm_kunmap_local hm_page_address; do
	grep -qx "$must" <<<"$exported" || { echo "FAIL: $must is not exported"; fail=1; }
done
[ $fail = 0 ] && echo "ok: $(wc -l <<<"$exported") functions exported, exactly the HM_API ones"
exit $fail
