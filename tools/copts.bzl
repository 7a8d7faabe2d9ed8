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

# Freestanding C (the core as the kernel has it): no libc, no builtins
# turned into libc calls, no stack protector (nothing to call when it
# fires).  The benchmarks' minimal backend builds the core this way for
# x86_64 (//bench:nullcore_obj).
FREESTANDING_COPTS = HM_COPTS + [
    "-ffreestanding",
    "-fno-builtin",
    "-fno-stack-protector",
]

# The kvm_runner guest's i386, used for the guest image and for the core's
# own freestanding check (//core:core_i386).  As the kernel's: no FPU, SSE
# or MMX (and here a must: on a host that emulates the guest instruction by
# instruction, KVM's emulator has no x87 or SSE, and an i386 64-bit atomic
# load would otherwise be fild/fistp; with no x87, clang uses cmpxchg8b).
FREESTANDING_I386_COPTS = FREESTANDING_COPTS + [
    "-m32",
    "-march=i686",
    "-mno-80387",
    "-mno-sse",
    "-mno-mmx",
    "-nostdlib",
    "-fno-pic",
    "-fno-asynchronous-unwind-tables",
]
