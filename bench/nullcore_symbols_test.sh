#!/bin/bash
# The core and the minimal backend's hooks, built freestanding for x86_64
# as one unit, need nothing from outside but hm_bug_default (no memset,
# memcpy or __stack_chk_fail), and after objcopy every one of their global
# symbols, defined or not, carries the nullcore_ prefix: so the object links
# beside the simulator's build of the same core.
set -u
plain=$1
prefixed=$2
fail=0
readelf -h "$plain" | grep -q 'Class:.*ELF64' || { echo "FAIL: $plain is not ELF64"; fail=1; }
for s in $(nm -u "$plain" | awk '{print $2}'); do
	case $s in
	hm_bug_default) ;;
	*) echo "FAIL: the core on the minimal backend needs $s"; fail=1 ;;
	esac
done
for s in $(nm -g "$prefixed" | awk '{print $NF}'); do
	case $s in
	nullcore_*) ;;
	*) echo "FAIL: global symbol $s of $prefixed lacks the prefix"; fail=1 ;;
	esac
done
# The hooks are inside: no call to an arch hook leaves the object.
nm -u "$prefixed" | grep -q hm_arch_ && { echo "FAIL: the arch hooks are not in the object"; fail=1; }
n=$(nm -g --defined-only "$prefixed" | wc -l)
[ "$n" -gt 30 ] || { echo "FAIL: only $n defined symbols in $prefixed"; fail=1; }
[ $fail = 0 ] && echo "ok: x86_64 freestanding core + minimal backend, $n symbols prefixed, undefined: $(nm -u "$prefixed" | awk '{print $2}' | tr '\n' ' ')"
exit $fail
