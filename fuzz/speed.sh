#!/usr/bin/env bash
# speed.sh - what `bazel run //fuzz:speed` runs: every fuzz target and a
# trivial one (trivial_target.c: same drivers, instrumentation and
# sanitizers, next to no work), one after another in this one run, under
# libFuzzer and AFL++, and prints exec/s, AFL++'s stability and each
# target's speed as a ratio to the trivial target's (the machine is shared
# and noisy: only ratios from one run compare).
#
#   bazel run --config=nosan //fuzz:speed               # 10 s per target and engine
#   bazel run --config=nosan //fuzz:speed -- 30         # 30 s each
#   bazel run --config=nosan //fuzz:speed -- 10 --no-afl
#   bazel run --config=nosan //fuzz:speed -- 10 --only=kmap_ops
#
# Without --config=nosan the binaries carry ASan+UBSan and it says so.
# libFuzzer runs from the compiled seeds with the dictionary and the
# runner's -max_len=512 (fuzz/run_libfuzzer.sh); AFL++ from the same seeds
# (persistent mode, shared-memory inputs).  Work folders are temporary.
# Exit status: 0 when every run worked, 1 when one failed or found something.
set -euo pipefail

trivial= trivial_afl= targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --trivial=*) trivial=$PWD/${1#*=} ;;
    --trivial-afl=*) trivial_afl=$PWD/${1#*=} ;;
    --target=*) targets+=("${1#*=}") ;;
    --) shift; break ;;
    *) echo "speed.sh: unexpected $1" >&2; exit 2 ;;
  esac
  shift
done

seconds=10 afl=1 only=
for a in "$@"; do
  case "$a" in
    --no-afl) afl=0 ;;
    --only=*) only=${a#*=} ;;
    [0-9]*) seconds=$a ;;
    *) echo "usage: speed [seconds] [--no-afl] [--only=NAME]" >&2; exit 2 ;;
  esac
done
(( seconds >= 1 )) || { echo "speed.sh: seconds must be >= 1" >&2; exit 2; }
if (( afl )) && ! command -v afl-fuzz >/dev/null; then
  echo "speed.sh: afl-fuzz not found, libFuzzer only" >&2
  afl=0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hm-speed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0

if nm "$trivial" 2>/dev/null | grep -q __asan_init; then
  san="ASan+UBSan (bazel run --config=nosan //fuzz:speed for the issue's figures)"
else
  san="none"
fi

# libfuzzer NAME BIN SEEDS DICT -> exec/s on stdout
libfuzzer() {
  local name=$1 bin=$2 seeds=$3 dict=$4 log="$tmp/$1.libfuzzer.log"
  local flags=(-max_total_time="$seconds" -max_len=512 -timeout=30
               -print_final_stats=1 -artifact_prefix="$tmp/$name-")
  mkdir -p "$tmp/$name.corpus"
  [[ -n "$dict" ]] && flags+=(-dict="$dict")
  if ! "$bin" "${flags[@]}" "$tmp/$name.corpus" ${seeds:+"$seeds"} >"$log" 2>&1; then
    echo "speed.sh: $name under libFuzzer failed or found something; its log:" >&2
    tail -30 "$log" >&2
    status=1
  fi
  sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1
}

# afl NAME BIN SEEDS DICT -> "exec/s stability" on stdout
afl() {
  local name=$1 bin=$2 seeds=$3 dict=$4 log="$tmp/$1.afl.log"
  local in="$tmp/$name.in" out="$tmp/$name.out" opts=()
  mkdir -p "$in"
  if [[ -n "$seeds" ]]; then cp -L "$seeds"/* "$in/"; else printf 'x' >"$in/x"; fi
  [[ -n "$dict" ]] && opts+=(-x "$dict")
  if ! AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_TRY_AFFINITY=1 AFL_BENCH_UNTIL_CRASH= \
       AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CRASHES=1 \
       timeout $((seconds + 120)) \
       afl-fuzz -i "$in" -o "$out" "${opts[@]}" -V "$seconds" -- "$bin" \
       >"$log" 2>&1; then
    echo "speed.sh: $name under AFL++ failed; its log:" >&2
    tail -30 "$log" >&2
    status=1
  fi
  local stats="$out/default/fuzzer_stats"
  if [[ -f "$stats" ]]; then
    if [[ -n "$(ls -A "$out/default/crashes" 2>/dev/null | grep -v README)" ]]; then
      echo "speed.sh: $name under AFL++ found a crash: $out/default/crashes" >&2
      status=1
    fi
    echo "$(sed -n 's/^execs_per_sec *: *//p' "$stats") $(sed -n 's/^stability *: *//p' "$stats")"
  fi
}

ratio() {  # trivial target -> "1/N"
  awk -v t="$1" -v x="$2" 'BEGIN { if (x > 0 && t > 0) printf "1/%.1f", t / x; else printf "-" }'
}

echo "speed: ${seconds} s per target and engine, sanitizers: $san"
echo "speed: libFuzzer trivial target ..." >&2
lf_trivial=$(libfuzzer trivial "$trivial" "" "")
if (( afl )); then
  echo "speed: AFL++ trivial target ..." >&2
  read -r afl_trivial _ <<<"$(afl trivial "$trivial_afl" "" "")"
fi

rows=()
for t in "${targets[@]}"; do
  IFS=: read -r name lf_bin afl_bin seeds dict <<<"$t"
  [[ -z "$only" || "$only" == "$name" ]] || continue
  echo "speed: $name ..." >&2
  lf=$(libfuzzer "$name" "$PWD/$lf_bin" "$PWD/$seeds" "${dict:+$PWD/$dict}")
  a_eps= a_stab=
  if (( afl )); then
    read -r a_eps a_stab <<<"$(afl "$name" "$PWD/$afl_bin" "$PWD/$seeds" "${dict:+$PWD/$dict}")"
  fi
  rows+=("$name|${lf:-0}|${a_eps:-0}|${a_stab:--}")
done

printf '\n%-14s %14s %10s %14s %10s %10s\n' target "libFuzzer/s" ratio "AFL++/s" ratio stability
printf '%-14s %14s %10s %14s %10s %10s\n' trivial "${lf_trivial:-0}" 1/1 \
  "$( (( afl )) && echo "${afl_trivial:-0}" || echo -)" "$( (( afl )) && echo 1/1 || echo -)" -
for r in "${rows[@]}"; do
  IFS='|' read -r name lf a_eps a_stab <<<"$r"
  printf '%-14s %14s %10s %14s %10s %10s\n' "$name" "$lf" "$(ratio "${lf_trivial:-0}" "$lf")" \
    "$( (( afl )) && echo "$a_eps" || echo -)" \
    "$( (( afl )) && ratio "${afl_trivial:-0}" "$a_eps" || echo -)" "$( (( afl )) && echo "$a_stab" || echo -)"
done
exit $status
