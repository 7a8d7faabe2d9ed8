#!/bin/bash
# profile.c built for i386 without libc leaves no symbol undefined: the
# profiles are data and arithmetic, usable by the guest as they are.
set -u
obj=$1
undef=$(nm -u "$obj") || { echo "FAIL: nm $obj"; exit 1; }
if [ -n "$undef" ]; then
	echo "FAIL: $obj needs symbols from outside:"
	echo "$undef"
	exit 1
fi
nm "$obj" | grep -q ' T hm_profile_layout$' || { echo "FAIL: no hm_profile_layout in $obj"; exit 1; }
echo ok
