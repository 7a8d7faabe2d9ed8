"""Compiler options shared by every C target of the project, defined once."""

# gnu11 for __atomic builtins and typeof; warnings are errors so they are
# fixed when they appear, not later.
HM_COPTS = [
    "-std=gnu11",
    "-Wall",
    "-Wextra",
    "-Werror",
]

# Tests and tools link cmocka, Debian's libcmocka-dev.
CMOCKA = ["-lcmocka"]
