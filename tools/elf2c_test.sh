#!/bin/bash
# elf2c: on good input, the names of an object's symbols and a header's
# functions; on bad input, one line saying what is wrong and a non-zero
# exit, never a half-written file taken for a result.
set -u
elf2c=$1
obj=$2
hdr=$3
tmp=${TEST_TMPDIR:-$(mktemp -d)}
fail=0

"$elf2c" names --prefix p_ --obj "$obj" --api "$hdr" --out "$tmp/n.h" ||
	{ echo "FAIL: names exited $?"; fail=1; }
grep -qx '#define hm_kmap p_hm_kmap' "$tmp/n.h" || { echo "FAIL: no hm_kmap in $tmp/n.h"; fail=1; }
grep -qx '#define hm_create p_hm_create' "$tmp/n.h" || { echo "FAIL: no hm_create (from the header)"; fail=1; }
[ "$(grep -c '^#define' "$tmp/n.h")" = "$(sort -u "$tmp/n.h" | grep -c '^#define')" ] ||
	{ echo "FAIL: a name twice"; fail=1; }

bad() {	# want exit status $1 and message $2 from the rest
	local want=$1 msg=$2 rc
	shift 2
	"$elf2c" "$@" >"$tmp/out.txt" 2>&1
	rc=$?
	[ $rc = "$want" ] || { echo "FAIL: elf2c $* exited $rc, not $want"; fail=1; }
	grep -q -- "$msg" "$tmp/out.txt" || { echo "FAIL: elf2c $*: no '$msg' in: $(cat "$tmp/out.txt")"; fail=1; }
}
bad 1 "not an ELF file" names --prefix p_ --obj "$hdr" --out "$tmp/x.h"
bad 1 "No such file" names --prefix p_ --obj "$tmp/none.o" --out "$tmp/x.h"
bad 1 "declares no hm_\* function" names --prefix p_ --obj "$obj" --api "$tmp/n.h" --out "$tmp/x.h"
head -c 100 "$obj" >"$tmp/short.o"
bad 1 "truncated ELF" names --prefix p_ --obj "$tmp/short.o" --out "$tmp/x.h"
bad 1 "unknown option --frob" names --frob x
bad 2 "usage" image --bin "$obj"
bad 2 "usage" frob
[ $fail = 0 ] && echo "ok: elf2c names and its errors"
exit $fail
