#!/usr/bin/env bash
# oss_fuzz_build_test.sh - .clusterfuzzlite/build.sh as OSS-Fuzz runs it,
# twice, each into a temporary $OUT, and every fuzzer it makes run over its
# seed zip, as OSS-Fuzz's build check does:
#   libFuzzer + ASan   CC=clang-14, OSS-Fuzz's address CFLAGS with
#                      -fsanitize=fuzzer-no-link, LIB_FUZZING_ENGINE=-fsanitize=fuzzer
#   AFL++ + ASan       CC=afl-clang-fast, LIB_FUZZING_ENGINE = an AFL++
#                      driver made here from fuzz/driver_afl.c + fuzz/afl_engine.c
# Checks: the core's objects instrumented, the oracle's and the driver's
# not; per target: the binary, NAME_seed_corpus.zip with one entry per
# seed and regression, NAME.dict, NAME.options; every seed runs without a
# finding; the binary is instrumented (libFuzzer's counters, afl-showmap's
# tuples).  Arguments: the expected target names.
set -euo pipefail

expected=("$@")
tmp=${TEST_TMPDIR:-$(mktemp -d)}
src="$tmp/src"
rm -rf "$src"
mkdir -p "$src"
# The runfiles are symlinks; build.sh gets a plain copy of the tree.
cp -rL core fuzz corpus .clusterfuzzlite "$src/"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:symbolize=0

base_cflags="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address -fsanitize-address-use-after-scope"
fail() { echo "FAIL: $*"; exit 1; }

# The code under test instrumented, the oracle and the driver not (their
# objects are in $WORK/highmem-lab/obj).
check_objects() {  # ENGINE
  local engine=$1 obj="$tmp/work/highmem-lab/obj" o hooks
  for o in highmem harness model driver_libfuzzer; do
    hooks=$(objdump -dr "$obj/$o.o" | grep -cE '__afl_area_ptr|__sanitizer_cov_trace' || true)
    case $o in
      highmem) (( hooks > 0 )) || fail "$engine: core/highmem.c is not instrumented" ;;
      *) (( hooks == 0 )) || fail "$engine: fuzz/$o.c is instrumented ($hooks hooks)" ;;
    esac
  done
  echo "  the core instrumented; the harness, the model and the driver not"
}

check_out() {  # ENGINE OUT
  local engine=$1 out=$2 name n_seeds n_zip
  for name in "${expected[@]}"; do
    [[ -x "$out/$name" ]] || fail "$engine: no fuzzer $out/$name"
    [[ -s "$out/$name.dict" ]] || fail "$engine: no $name.dict"
    grep -q '^\[libfuzzer\]' "$out/$name.options" && grep -q '^max_len = 512' "$out/$name.options" ||
      fail "$engine: $name.options lacks [libfuzzer] max_len"
    n_seeds=$(find "$src/corpus/$name" -type f | wc -l)
    n_zip=$(unzip -Z1 "$out/${name}_seed_corpus.zip" | wc -l)
    (( n_zip == n_seeds && n_zip > 0 )) ||
      fail "$engine: ${name}_seed_corpus.zip has $n_zip entries, corpus/$name $n_seeds files"
    rm -rf "$tmp/seeds-$name"
    mkdir -p "$tmp/seeds-$name"
    unzip -q "$out/${name}_seed_corpus.zip" -d "$tmp/seeds-$name"
    if [[ $engine == libfuzzer ]]; then
      "$out/$name" -runs=0 "$tmp/seeds-$name"/* >"$tmp/$name.log" 2>&1 ||
        { tail -30 "$tmp/$name.log"; fail "$engine: $name failed on its seeds"; }
      local ran
      ran=$(grep -c '^Executed ' "$tmp/$name.log" || true)
      (( ran == n_zip )) || fail "$engine: $name ran $ran of $n_zip seeds"
      grep -Eq 'Loaded [0-9]+ modules +\([1-9][0-9]* inline 8-bit counters' "$tmp/$name.log" ||
        fail "$engine: $name has no coverage counters"
    else
      local s tuples
      for s in "$tmp/seeds-$name"/*; do
        "$out/$name" <"$s" >"$tmp/$name.log" 2>&1 ||
          { tail -30 "$tmp/$name.log"; fail "$engine: $name failed on $(basename "$s")"; }
      done
      AFL_QUIET=1 afl-showmap -q -o "$tmp/$name.map" -- "$out/$name" <"$s" >/dev/null 2>&1 || true
      tuples=$(wc -l <"$tmp/$name.map" 2>/dev/null || echo 0)
      (( tuples > 0 )) || fail "$engine: afl-showmap saw no edges in $name"
      echo "  $name: $n_zip seeds ran, $tuples edges on the last one"
      continue
    fi
    echo "  $name: $n_zip seeds ran"
  done
}

echo "== libFuzzer + ASan =="
out="$tmp/out-libfuzzer"
rm -rf "$out"
(cd "$src" && CC=clang-14 CXX=clang++-14 CFLAGS="$base_cflags -fsanitize=fuzzer-no-link" \
  CXXFLAGS="$base_cflags -fsanitize=fuzzer-no-link" LIB_FUZZING_ENGINE=-fsanitize=fuzzer \
  SANITIZER=address FUZZING_ENGINE=libfuzzer OUT="$out" WORK="$tmp/work" \
  bash .clusterfuzzlite/build.sh) || fail "build.sh (libFuzzer) failed"
check_objects libfuzzer
check_out libfuzzer "$out"

echo "== AFL++ + ASan =="
command -v afl-clang-fast >/dev/null || fail "afl-clang-fast not found (tools/bootstrap installs afl++)"
engine="$tmp/afl-engine"
mkdir -p "$engine"
rename=(-Dhm_fuzz_init=hm_engine_init -Dhm_fuzz_one=LLVMFuzzerTestOneInput -Dhm_fuzz_cleanup=hm_engine_cleanup)
clang-14 -O2 -I"$src" "${rename[@]}" -c "$src/fuzz/driver_afl.c" -o "$engine/driver_afl.o"
clang-14 -O2 -I"$src" "${rename[@]}" -c "$src/fuzz/afl_engine.c" -o "$engine/afl_engine.o"
ar rcs "$engine/libHmAFLDriver.a" "$engine/driver_afl.o" "$engine/afl_engine.o"
out="$tmp/out-afl"
rm -rf "$out"
(cd "$src" && AFL_QUIET=1 CC=afl-clang-fast CXX=afl-clang-fast++ CFLAGS="$base_cflags" \
  CXXFLAGS="$base_cflags" LIB_FUZZING_ENGINE="$engine/libHmAFLDriver.a" \
  SANITIZER=address FUZZING_ENGINE=afl OUT="$out" WORK="$tmp/work" \
  bash .clusterfuzzlite/build.sh) || fail "build.sh (AFL++) failed"
check_objects afl
check_out afl "$out"
echo "ok: build.sh made and ran ${expected[*]} under libFuzzer and AFL++"
