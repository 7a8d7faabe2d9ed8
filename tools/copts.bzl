"""Compiler options shared by every C target of the project, defined once."""

# gnu11 for __atomic builtins and typeof; warnings are errors so they are
# fixed when they appear, not later.  -O2 in every build mode: Bazel's
# default (fastbuild) would compile at -O0, and the fuzzers' speed and the
# benchmarks' figures are only meaningful optimised.
HM_COPTS = [
    "-std=gnu11",
    "-O2",
    "-Wall",
    "-Wextra",
    "-Werror",
]

# Tests and tools link cmocka, Debian's libcmocka-dev.
CMOCKA = ["-lcmocka"]
