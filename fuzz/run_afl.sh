#!/usr/bin/env bash
# run_afl.sh - what `bazel run //fuzz:NAME_afl` runs: afl-fuzz over the
# AFL++ persistent-mode build of fuzz target NAME, from its compiled seeds,
# with its dictionary.
#
#   bazel run //fuzz:NAME_afl                  # until Ctrl-C
#   bazel run //fuzz:NAME_afl -- -V 60         # 60 seconds, then stop
#   bazel run //fuzz:NAME_afl -- -V 60 -c0 ... # any afl-fuzz option
#   bazel run //fuzz:NAME_afl -- --jobs 2 -V 60  # 2 afl-fuzz over one sync folder
#
# --jobs N (or --jobs=N): N instances over one sync folder (out/): a main
# (-M main) in the foreground and N-1 secondaries (-S secondaryK) in the
# background, their output in logs/secondaryK.log; they share what they
# find through out/, and stop with the main (its -V, or Ctrl-C).  At the
# end afl-whatsup -s prints the summary of all.  One job per core: more
# only take turns.
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

# --jobs N is ours; everything else goes to afl-fuzz.
jobs=1 args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --jobs=*) jobs=${1#*=} ;;
    --jobs) [[ $# -ge 2 ]] || { echo "run_afl.sh: --jobs needs a number" >&2; exit 2; }
            jobs=$2; shift ;;
    *) args+=("$1") ;;
  esac
  shift
done
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "run_afl.sh: --jobs takes a number >= 1, not '$jobs'" >&2; exit 2; }
set -- ${args[@]+"${args[@]}"}

have_i=0 have_o=0 have_x=0 have_ms=0 out_dir= prev=
for a in "$@"; do
  [[ "$prev" == -o ]] && out_dir=$a
  case "$a" in
    -i*) have_i=1 ;;
    -o) have_o=1 ;;
    -o*) have_o=1 out_dir=${a#-o} ;;
    -x*) have_x=1 ;;
    -M*|-S*) have_ms=1 ;;
  esac
  prev=$a
done
if (( jobs > 1 && have_ms )); then
  echo "run_afl.sh: --jobs names the instances itself (-M main, -S secondaryK)" >&2
  exit 2
fi

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
  out_dir=$work/out
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

if (( jobs == 1 )); then
  echo "run_afl.sh: $name: afl-fuzz ${opts[*]} $* -- $bin" >&2
  # exec: afl-fuzz gets Ctrl-C itself, stops and writes its state.
  exec afl-fuzz "${opts[@]}" "$@" -- "$bin"
fi

# Several: the secondaries in the background, stopped when the main ends
# (by its -V or Ctrl-C, which reaches only the foreground job).
mkdir -p "$work/logs"
pids=()
stop_secondaries() {
  local p
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap stop_secondaries EXIT
for (( k = 1; k < jobs; k++ )); do
  AFL_NO_UI=1 afl-fuzz "${opts[@]}" -S "secondary$k" "$@" -- "$bin" \
    >"$work/logs/secondary$k.log" 2>&1 &
  pids+=($!)
  echo "run_afl.sh: $name: secondary$k (pid $!), log $work/logs/secondary$k.log" >&2
done
echo "run_afl.sh: $name: main: afl-fuzz ${opts[*]} -M main $* -- $bin" >&2
status=0
afl-fuzz "${opts[@]}" -M main "$@" -- "$bin" || status=$?
stop_secondaries
trap - EXIT
# -d: the instances have stopped by now; count them all.
command -v afl-whatsup >/dev/null && afl-whatsup -d -s "$out_dir" 2>/dev/null || true
exit "$status"
