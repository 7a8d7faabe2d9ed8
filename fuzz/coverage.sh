#!/usr/bin/env bash
# coverage.sh - what `bazel run //fuzz:coverage` runs: which lines of the
# core the corpus reaches, by clang's source-based coverage.
#
#   bazel run //fuzz:coverage -- kmap_ops                 # corpus/kmap_ops
#   bazel run //fuzz:coverage -- all                      # every target, merged
#   bazel run //fuzz:coverage -- kmap_ops .fuzz/kmap_ops/corpus   # + a run's output
#
# For each target, NAME_cov (the replay main built with
# -fprofile-instr-generate -fcoverage-mapping, no sanitizers) replays
# corpus/NAME/ (seeds and regressions, text or binary) and then every file
# of each FOLDER given, one process per file there (a crash among them
# loses only that file's counts, and is reported).  The profiles are merged
# (llvm-profdata-14) and llvm-cov-14 writes, in
# $BUILD_WORKSPACE_DIRECTORY/.fuzz/coverage/NAME/ (NAME "all" for all):
#   html/index.html   the report of every source file, line by line
#   summary.txt       core/ per file (lines, functions, regions, branches),
#                     the share of core/ lines reached, and every range of
#                     core/ lines no input reached
# summary.txt is also printed.  Exit status: 0 when it worked, 1 when the
# shipped corpus failed to replay, 2 on usage errors.
set -euo pipefail

targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --target=*) targets+=("${1#*=}") ;;
    --) shift; break ;;
    *) echo "coverage.sh: unexpected $1" >&2; exit 2 ;;
  esac
  shift
done

usage() { echo "usage: bazel run //fuzz:coverage -- NAME|all [FOLDER...]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
want=$1; shift
ws=${BUILD_WORKSPACE_DIRECTORY:-}
[[ -n "$ws" ]] || { echo "coverage.sh: run it with bazel run" >&2; exit 2; }
for t in llvm-profdata-14 llvm-cov-14; do
  command -v "$t" >/dev/null || { echo "coverage.sh: $t not found (tools/bootstrap installs llvm-14)" >&2; exit 2; }
done

bins=() names=()
for t in "${targets[@]}"; do
  name=${t%%:*} bin=$PWD/${t#*:}
  [[ "$want" == all || "$want" == "$name" ]] || continue
  names+=("$name") bins+=("$bin")
done
(( ${#names[@]} )) || { echo "coverage.sh: no target $want (one of: ${targets[*]%%:*}, all)" >&2; usage; }

folders=()
for f in "$@"; do
  [[ "$f" == /* ]] || f="${BUILD_WORKING_DIRECTORY:-$ws}/$f"
  [[ -d "$f" ]] || { echo "coverage.sh: no folder $f" >&2; exit 2; }
  folders+=("$f")
done

out="$ws/.fuzz/coverage/$want"
rm -rf "$out"
mkdir -p "$out/profiles"
status=0

for i in "${!names[@]}"; do
  name=${names[$i]} bin=${bins[$i]}
  echo "coverage: $name: replaying corpus/$name" >&2
  if ! LLVM_PROFILE_FILE="$out/profiles/$name-seeds-%p.profraw" \
       "$bin" "$ws/corpus/$name" >"$out/$name-replay.log" 2>&1; then
    echo "coverage: $name: the shipped corpus failed to replay:" >&2
    tail -20 "$out/$name-replay.log" >&2
    status=1
  fi
  for f in "${folders[@]}"; do
    n=0 bad=0
    while IFS= read -r -d '' file; do
      n=$((n + 1))
      LLVM_PROFILE_FILE="$out/profiles/$name-extra-%p.profraw" \
        "$bin" --binary "$file" >/dev/null 2>&1 || bad=$((bad + 1))
    done < <(find "$f" -type f -print0)
    msg="coverage: $name: $n files of $f replayed"
    (( bad == 0 )) || msg+=", $bad failed (findings: replay them with //fuzz:${name}_replay)"
    echo "$msg" >&2
  done
done

llvm-profdata-14 merge -sparse "$out"/profiles/*.profraw -o "$out/merged.profdata"
rm -rf "$out/profiles"

objs=("${bins[0]}")
for b in "${bins[@]:1}"; do objs+=(-object "$b"); done

cd "$ws"
# The core as the fuzz binaries build it: core/ and core/sim/, not the
# targets, the harness or the format (their lines are in html/).
core_only=(-ignore-filename-regex='^(fuzz|bench|kvm_runner)/|^/')

llvm-cov-14 show "${objs[@]}" -instr-profile="$out/merged.profdata" \
  -format=html -output-dir="$out/html" -show-line-counts-or-regions \
  -project-title="highmem-lab: $want" >/dev/null

{
  echo "coverage of core/ by corpus/${names[*]}${folders:+ and ${folders[*]}}"
  echo
  report=$(llvm-cov-14 report "${objs[@]}" \
    -instr-profile="$out/merged.profdata" "${core_only[@]}")
  echo "$report" | sed 's/^/  /'
  echo
  echo "$report" | awk '$1 == "TOTAL" {
    printf "core/ lines reached: %d of %d (%s)\n", $8 - $9, $8, $10 }'
  # The same without what no fuzz input can reach by design: the simulator
  # (core/sim/: the machine, with its error and signal paths), and then
  # also hm_create()'s checks of a configuration (machine.c: the targets
  # make valid machines) and the BUG formatter's features no message uses
  # (bug.c): what is left is the code under test.
  echo "$report" | awk '
    function pct(t, m) { return t ? sprintf("%.2f%%", 100 * (t - m) / t) : "-" }
    $1 ~ /\.[ch]$/ && NF > 10 && $1 !~ /^sim\// {
      t1 += $8; m1 += $9
      if ($1 != "machine.c" && $1 != "bug.c") { t2 += $8; m2 += $9 }
    }
    END {
      printf "  without core/sim/: %d of %d (%s)\n", t1 - m1, t1, pct(t1, m1)
      printf "  the code under test (also without machine.c, bug.c): %d of %d (%s)\n", t2 - m2, t2, pct(t2, m2)
    }'
  echo
  llvm-cov-14 export "${objs[@]}" -instr-profile="$out/merged.profdata" \
    -format=lcov "${core_only[@]}" |
  awk '
    /^SF:/ { file = substr($0, 4); sub("^" ENVIRON["PWD"] "/", "", file); next }
    /^DA:/ {
      split(substr($0, 4), a, ",")
      if (a[2] > 0) next
      line = a[1] + 0
      if (file == cur && line == last + 1) { last = line; next }
      flush(); cur = file; first = last = line; next
    }
    function flush() { if (cur != "") ranges[++n] = cur ":" first (last > first ? "-" last : "") }
    END {
      flush()
      if (n) print "core/ lines not reached (file:lines, first line):"
      for (i = 1; i <= n; i++) {
        split(ranges[i], p, ":"); split(p[2], l, "-")
        cmd = "sed -n " l[1] "p " p[1]; cmd | getline src; close(cmd)
        gsub(/^[ \t]+/, "", src)
        printf "  %-28s %s\n", ranges[i], substr(src, 1, 60)
      }
    }'
} >"$out/summary.txt"
cat "$out/summary.txt"
echo "coverage: $out/html/index.html, $out/summary.txt" >&2
exit $status
