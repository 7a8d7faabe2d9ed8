#!/bin/bash
# The core built freestanding for i386 (-m32 -ffreestanding -nostdlib) is a
# 32-bit object that needs nothing but the arch hooks of core/arch.h.
set -u
obj=$1
hdr=$2
fail=0
readelf -h "$obj" | grep -q 'Class:.*ELF32' || { echo "FAIL: $obj is not ELF32"; fail=1; }
readelf -h "$obj" | grep -q 'Machine:.*80386' || { echo "FAIL: $obj is not i386"; fail=1; }
undef=$(nm -u "$obj" | awk '{print $2}')
for s in $undef; do
	case $s in
	hm_arch_*) ;;
	*) echo "FAIL: the core needs $s, which is not an arch hook"; fail=1 ;;
	esac
done
# Every hook of the interface is really used (none is dead weight).
hooks=$(grep -oE '\bhm_arch_[a-z_]+\(' "$hdr" | tr -d '(' | sort -u)
[ -n "$hooks" ] || { echo "FAIL: no hooks found in $hdr"; exit 1; }
for h in $hooks; do
	grep -qx "$h" <<<"$undef" || { echo "FAIL: arch hook $h is declared but unused"; fail=1; }
done
[ $fail = 0 ] && echo "ok: i386 freestanding core, undefined: $(echo $undef)"
exit $fail
