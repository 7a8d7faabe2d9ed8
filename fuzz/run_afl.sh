#!/usr/bin/env bash
# run_afl.sh - what `bazel run //fuzz:NAME_afl` runs: afl-fuzz over the
# AFL++ persistent-mode build of fuzz target NAME, from its compiled seeds,
# with its dictionary.
#
#   bazel run //fuzz:NAME_afl                  # until Ctrl-C
#   bazel run //fuzz:NAME_afl -- -V 60         # 60 seconds, then stop
#   bazel run //fuzz:NAME_afl -- -V 60 -c0 ... # any afl-fuzz option
#
# Writes $BUILD_WORKSPACE_DIRECTORY/.fuzz/NAME_afl/ (/tmp/hm-fuzz/NAME_afl/
# outside `bazel run`): in/ (the seeds, copied: afl-fuzz skips symlinks)
# and out/ (afl-fuzz's -o: default/queue, default/crashes, fuzzer_stats).
# An existing out/ is resumed (AFL_AUTORESUME); delete it to start over.
# Options after `--` go to afl-fuzz before its `--`; -i/-o given there
# replace the defaults.  Ctrl-C stops afl-fuzz cleanly (it saves its state).
#
# Environment set unless already set:
#   AFL_SKIP_CPUFREQ=1   no cpufreq governor check (VMs often have none)
#   AFL_TRY_AFFINITY=1   bind to a free core if there is one, never fail
#   AFL_AUTORESUME=1     resume an existing out/
#   AFL_NO_UI=1          when stdout is not a terminal (plain status lines)
#   AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
#                        only when /proc/sys/kernel/core_pattern pipes core
#                        dumps to a program (e.g. systemd-coredump, apport),
#                        which afl-fuzz would otherwise refuse: crashes are
#                        still found, just reported a little later.
# Sanitizer options: afl-fuzz sets its own when ASAN_OPTIONS/UBSAN_OPTIONS
# are unset; when set, what it insists on (abort_on_error=1, symbolize=0,
# halt_on_error=1) is appended.
set -euo pipefail

. fuzz/run_common.sh   # options, work folder, cd (see there)

command -v afl-fuzz >/dev/null || {
  echo "run_afl.sh: afl-fuzz not found (tools/bootstrap installs afl++)" >&2
  exit 1
}

have_i=0 have_o=0 have_x=0
for a in "$@"; do
  case "$a" in
    -i*) have_i=1 ;;
    -o*) have_o=1 ;;
    -x*) have_x=1 ;;
  esac
done

opts=()
if (( ! have_i )); then
  rm -rf "$work/in"
  mkdir -p "$work/in"
  cp -L "$seeds"/* "$work/in/"
  opts+=(-i "$work/in")
fi
if (( ! have_o )); then
  mkdir -p "$work"
  opts+=(-o "$work/out")
fi
[[ -n "$dict" ]] && (( ! have_x )) && opts+=(-x "$dict")

export AFL_SKIP_CPUFREQ="${AFL_SKIP_CPUFREQ:-1}"
export AFL_TRY_AFFINITY="${AFL_TRY_AFFINITY:-1}"
export AFL_AUTORESUME="${AFL_AUTORESUME:-1}"
[[ -t 1 ]] || export AFL_NO_UI="${AFL_NO_UI:-1}"
if [[ "$(cat /proc/sys/kernel/core_pattern 2>/dev/null)" == \|* ]]; then
  export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES="${AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES:-1}"
fi
[[ -z "${ASAN_OPTIONS:-}" ]] || export ASAN_OPTIONS="$ASAN_OPTIONS:abort_on_error=1:symbolize=0"
[[ -z "${UBSAN_OPTIONS:-}" ]] || export UBSAN_OPTIONS="$UBSAN_OPTIONS:halt_on_error=1:abort_on_error=1:symbolize=0"

echo "run_afl.sh: $name: afl-fuzz ${opts[*]} $* -- $bin" >&2
# exec: afl-fuzz gets Ctrl-C itself, stops and writes its state.
exec afl-fuzz "${opts[@]}" "$@" -- "$bin"
