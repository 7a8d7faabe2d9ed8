# run_common.sh - sourced by run_libfuzzer.sh and run_afl.sh: the options
# hm_fuzz_target() (fuzz/fuzz.bzl) passes before the first `--`, made
# absolute, the work folder, and the move to where `bazel run` was started.
#
# Sets: name bin dict seeds tsan_supp (absolute) work; leaves "$@" as the
# user's arguments.  Sourced from the runfiles folder `bazel run` starts in.

name= bin= dict= seeds= tsan_supp=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --name=*) name=${1#*=} ;;
    --bin=*) bin=${1#*=} ;;
    --dict=*) dict=${1#*=} ;;
    --seeds-dir=*) seeds=${1#*=} ;;
    --tsan-supp=*) tsan_supp=${1#*=} ;;
    --) shift; break ;;
    *) echo "${0##*/}: unexpected $1" >&2; exit 2 ;;
  esac
  shift
done

abs() { [[ -z "$1" || "$1" == /* ]] && echo "$1" || echo "$PWD/$1"; }
bin=$(abs "$bin") dict=$(abs "$dict") seeds=$(abs "$seeds")
tsan_supp=$(abs "$tsan_supp")

if [[ -n "${BUILD_WORKSPACE_DIRECTORY:-}" ]]; then
  work="$BUILD_WORKSPACE_DIRECTORY/.fuzz/$name"
else
  work="${TMPDIR:-/tmp}/hm-fuzz/$name"
fi

# User arguments are relative to where `bazel run` was started.
cd "${BUILD_WORKING_DIRECTORY:-.}"
