#!/usr/bin/env bash
# stability_test.sh BIN SEEDS: NAME_stability over a target's seeds must find
# every edge of every seed taken the same number of times (AFL++'s buckets)
# on a first run in a fresh process, a rerun and a run after the others;
# unstable edges are printed with the function they are in.
set -uo pipefail
bin=$1 seeds=$2
out=$("$bin" "$seeds")
status=$?
echo "$out"
if (( status != 0 )); then
  sym=/usr/lib/llvm-14/bin/llvm-symbolizer
  if [[ -x "$sym" ]]; then
    echo "== unstable edges, by function =="
    grep -o 'at 0x[0-9a-f]*' <<<"$out" | awk '{print $2}' | sort -u |
      while read -r a; do echo "$a $("$sym" --obj="$bin" "$a" | head -2 | tr '\n' ' ')"; done
  fi
  echo "FAIL: unstable edges (exit $status)"
  exit 1
fi
grep -q "take the same edges every run" <<<"$out" || { echo "FAIL: no summary"; exit 1; }
echo "ok"
