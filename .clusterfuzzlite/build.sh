#!/bin/bash -eu
# build.sh - the fuzz targets of fuzz/ built the OSS-Fuzz / ClusterFuzzLite
# way, without Bazel: run from the repository root (the Dockerfile's
# WORKDIR) by the project's builder image, or by
# //fuzz:oss_fuzz_build_test on this machine.
#
# Honours what the builder sets:
#   $CC $CXX             compilers (clang, or afl-clang-fast for AFL++)
#   $CFLAGS $CXXFLAGS    sanitizer and coverage flags for $SANITIZER and the
#                        engine; build.sh adds none of its own beyond
#                        -std=gnu11 and the include path
#   $LIB_FUZZING_ENGINE  the engine's main (-fsanitize=fuzzer, libAFLDriver.a,
#                        ...), which calls LLVMFuzzerTestOneInput()
#   $SANITIZER           address, undefined, memory, coverage, ...: only
#                        printed (the flags come in $CFLAGS)
#   $OUT                 where the fuzzers go
#   $WORK                scratch space (a temporary folder if unset)
# and writes, for each target NAME (every fuzz/NAME_target.c but the
# trivial one): $OUT/NAME, $OUT/NAME_seed_corpus.zip (corpus/NAME/, seeds
# and regressions, compiled to the binary form by fuzz/hm_ops),
# $OUT/NAME.dict (corpus/NAME.dict) and $OUT/NAME.options.
#
# As in the Bazel build, the oracle (fuzz/harness.c, fuzz/model.c) and the
# driver are not instrumented for coverage: under libFuzzer the coverage
# flags are dropped for them, under afl-clang-fast an AFL_LLVM_DENYLIST
# leaves them out.  The engine's feedback comes from the core, fuzz/ops.c
# and the target.

set -euo pipefail
root=$PWD
[[ -f "$root/core/highmem.c" && -f "$root/fuzz/target.h" ]] || {
  echo "build.sh: run it from the repository root (found no core/highmem.c in $root)" >&2
  exit 1
}
: "${CC:?}" "${CXX:?}" "${OUT:?}" "${LIB_FUZZING_ENGINE:?}"
CFLAGS=${CFLAGS:-} CXXFLAGS=${CXXFLAGS:-}
work=${WORK:-$(mktemp -d)}/highmem-lab
rm -rf "$work"
mkdir -p "$work/obj/target" "$work/seeds" "$OUT"
echo "build.sh: CC=$CC SANITIZER=${SANITIZER:-unset} OUT=$OUT" >&2

common=(-std=gnu11 -I"$root")
read -r -a cflags <<<"$CFLAGS"
# The same flags without the engine's coverage instrumentation.
plain=()
for f in "${cflags[@]}"; do
  case "$f" in
    -fsanitize=fuzzer-no-link|-fsanitize-coverage=*) ;;
    *) plain+=("$f") ;;
  esac
done
deny="$work/oracle.denylist"
# afl-clang-fast matches "src:" entries against the source's name (a
# pattern with a '/' in it never matches an absolute path), and a function
# inlined from a header by the file it was written in: the harness's
# op_meaning.h helpers are the oracle's too.
printf 'src: %s\n' harness.c model.c driver_libfuzzer.c op_meaning.h op_table.h >"$deny"

cc() {  # cc OUT.o SRC [instrumented|plain]
  if [[ $3 == plain ]]; then
    AFL_LLVM_DENYLIST="$deny" $CC "${common[@]}" "${plain[@]}" -c "$2" -o "$1"
  else
    $CC "${common[@]}" "${cflags[@]}" -c "$2" -o "$1"
  fi
}

# The code under test, once: the core, the simulator and the op format.
objs=()
for src in "$root"/core/*.c "$root"/core/sim/*.c "$root"/fuzz/ops.c "$root"/fuzz/seqfile.c; do
  case "$src" in
    # Not the library: tests, the demo, the layout command, and the
    # one-op-at-a-time hooks (the simulator has its own); core/BUILD.bazel
    # lists the same split (core_sources, sim_sources).
    *_test.c|*/highmem_demo.c|*/layout_cmd.c|*/arch_up.c) continue ;;
  esac
  o="$work/obj/$(basename "${src%.c}").o"
  cc "$o" "$src" instrumented
  objs+=("$o")
done
for src in harness model driver_libfuzzer; do
  cc "$work/obj/$src.o" "$root/fuzz/$src.c" plain
done

# hm_ops, to compile the text seeds: a build tool, so none of the flags.
AFL_QUIET=1 $CC "${common[@]}" -O1 -o "$work/hm_ops" "$root/fuzz/hm_ops.c" \
  "$root/fuzz/ops.c" "$root/fuzz/seqfile.c" "$root/fuzz/triage.c" \
  "$root/fuzz/triage_run.c"

names=()
for t in "$root"/fuzz/*_target.c; do
  name=$(basename "${t%_target.c}")
  [[ $name == trivial ]] && continue
  names+=("$name")
  cc "$work/obj/target/$name.o" "$t" instrumented
  $CXX $CXXFLAGS "$work/obj/target/$name.o" "${objs[@]}" "$work/obj/harness.o" \
    "$work/obj/model.o" "$work/obj/driver_libfuzzer.o" $LIB_FUZZING_ENGINE \
    -lpthread -o "$OUT/$name"

  seeds="$work/seeds/$name"
  mkdir -p "$seeds"
  for s in "$root/corpus/$name"/*.txt; do
    "$work/hm_ops" encode "$s" "$seeds/$(basename "${s%.txt}").bin"
  done
  if [[ -d "$root/corpus/$name/regressions" ]]; then
    for s in "$root/corpus/$name/regressions"/*; do
      base=$(basename "$s")
      if [[ $s == *.txt ]]; then
        "$work/hm_ops" encode "$s" "$seeds/regression-${base%.txt}.bin"
      else
        cp "$s" "$seeds/regression-$base"
      fi
    done
  fi
  rm -f "$OUT/${name}_seed_corpus.zip"
  zip -q -j "$OUT/${name}_seed_corpus.zip" "$seeds"/*
  [[ -f "$root/corpus/$name.dict" ]] && cp "$root/corpus/$name.dict" "$OUT/$name.dict"
  # libFuzzer's options as run_libfuzzer.sh gives them: inputs of at most
  # 512 bytes (the 16-entry-window seeds reach every wrap in a few ops),
  # and an input running 30 s is a finding (a livelock in kmap_smp).
  printf '[libfuzzer]\nmax_len = 512\ntimeout = 30\n' >"$OUT/$name.options"
done
echo "build.sh: built ${names[*]} in $OUT" >&2
