"""Fuzz targets over the highmem core: libFuzzer, AFL++ and corpus replay.

One target source (fuzz/target.h: hm_fuzz_init / hm_fuzz_one /
hm_fuzz_cleanup) is linked with one driver per engine. For a target NAME,
hm_fuzz_target() makes:

  NAME                  `bazel run` fuzzes with libFuzzer (fuzz/run_libfuzzer.sh)
  NAME_afl              `bazel run` fuzzes with AFL++ (fuzz/run_afl.sh)
  NAME_replay           plain main over files and folders (driver_replay.c)
  NAME_replay_test      replays the compiled seeds and regressions
  NAME_fuzz_test        a short libFuzzer session that must find nothing
  injected_bug_N_test   for N in injected_bugs: libFuzzer against the core
                        built with -DHM_INJECT_BUG=N must find the bug
  NAME_libfuzzer, NAME_afl_bin, NAME_bugN: the binaries behind them

The core (and fuzz/ops.c, so the decoder facing raw bytes is checked too)
is compiled again for each engine by hm_fuzz_core(), with that engine's
instrumentation: coverage must reach the code under test, and
//core:highmem_lib has none. Never add //core:highmem_lib or //core:testing
to a fuzz target's deps (its objects would clash with these).

Sanitizers: ASan + UBSan (-fno-sanitize-recover=all) on top of the global
configuration, as .bazelrc decides: --define=fuzz_sanitizers=asan in its
default line, =off in --config=nosan and --config=tsan (fuzz_sanitizer()).
Engines need clang (the project's default compiler); under --config=gcc the
libFuzzer and AFL++ targets are skipped as incompatible and only the replay
binaries and tests are built.

Seeds come from //corpus (hm_corpus() in corpus/BUILD.bazel): every
corpus/NAME/*.txt compiled to binary by `hm_ops encode`, plus every file of
corpus/NAME/regressions/, in bazel-bin/corpus/NAME_seeds/.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library")
load("//tools:copts.bzl", "HM_COPTS")

# AFL++'s runtime for clang's trace-pc-guard coverage (Debian's afl++).
AFL_RUNTIME = "/usr/lib/afl/afl-compiler-rt.o"

# What run_libfuzzer.sh and run_afl.sh share, sourced by both.
RUN_COMMON = "//fuzz:run_common.sh"

# The libFuzzer scripts add it to TSAN_OPTIONS (--config=tsan).
TSAN_SUPP = "//fuzz:tsan.supp"
TSAN_SUPP_ARG = "--tsan-supp=$(rootpath %s)" % TSAN_SUPP

_CLANG = "//fuzz:clang"
_INCOMPATIBLE = "//fuzz:incompatible"

# The fuzz binaries' own sanitizers, on top of the global configuration's.
# Which ones is decided in .bazelrc, never here: its default line sets
# --define=fuzz_sanitizers=asan, and --config=tsan|nosan set it to off (as
# rules_fuzzing's configs set its sanitizer flag).  A select on that value
# is how a setting reaches a rule in Bazel; it has no default, so a build
# that bypasses .bazelrc fails saying so instead of silently choosing.
FUZZ_ASAN_COPTS = [
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
    "-g",
]

def fuzz_sanitizer(asan):
    """@asan under --define=fuzz_sanitizers=asan, nothing under =off."""
    return select({
        "//fuzz:sanitizers_asan": asan,
        "//fuzz:sanitizers_off": [],
    }, no_match_error = "fuzz/: no --define=fuzz_sanitizers=asan|off; " +
                        ".bazelrc sets it (asan by default, off in " +
                        "--config=tsan and --config=nosan)")

def _sanitizer_copts():
    # -O1: the sanitizers' usual level, for readable reports.
    return fuzz_sanitizer(FUZZ_ASAN_COPTS + ["-O1"])

def _sanitizer_linkopts():
    return fuzz_sanitizer(FUZZ_ASAN_COPTS[:2])

# Instrumentation of the code under test (target sources, core, ops), per
# engine; the drivers themselves get sanitizers only.
_ENGINE_COPTS = {
    "libfuzzer": ["-fsanitize=fuzzer-no-link"],
    "afl": ["-fsanitize-coverage=trace-pc-guard"],
    "replay": [],
}

# What the final link adds, per engine.
_ENGINE_LINKOPTS = {
    "libfuzzer": ["-fsanitize=fuzzer"],
    "afl": [AFL_RUNTIME],
    "replay": [],
}

def _clang_only():
    return select({
        _CLANG: [],
        "//conditions:default": [_INCOMPATIBLE],
    })

def _label(label, suffix):
    """//pkg:name + suffix, for a label given as //pkg:name or :name."""
    return label + suffix

def _runfiles_dir(label, suffix):
    """The runfiles path of the folder of outputs named //pkg:<name><suffix>/..."""
    if not label.startswith("//") or ":" not in label:
        fail("corpus must be an absolute label //pkg:name, got " + label)
    pkg, name = label[2:].split(":")
    return (pkg + "/" if pkg else "") + name + suffix

def hm_fuzz_core(name, srcs, bugs = [], bug_tags = [], visibility = None):
    """The code under test, compiled once per engine.

    Makes cc_library NAME_libfuzzer, NAME_afl, NAME_replay and, for each N in
    bugs, NAME_bugN (the libFuzzer build with -DHM_INJECT_BUG=N).

    Args:
      name: prefix of the libraries.
      srcs: sources and headers, e.g. //core:core_sources, //core:sim_sources.
      bugs: the injected-bug numbers to build.
      bug_tags: tags of the NAME_bugN libraries (e.g. ["manual"]).
      visibility: of every library.
    """
    # (suffix, extra copts, tags, needs clang)
    variants = [
        (engine, _ENGINE_COPTS[engine], [], engine != "replay")
        for engine in ["libfuzzer", "afl", "replay"]
    ] + [
        ("bug%d" % n, _ENGINE_COPTS["libfuzzer"] + ["-DHM_INJECT_BUG=%d" % n], bug_tags, True)
        for n in bugs
    ]
    for suffix, copts, tags, clang_only in variants:
        cc_library(
            name = name + "_" + suffix,
            srcs = srcs,
            # Same flags as //core:highmem_lib, plus the engine's.
            copts = HM_COPTS + ["-fvisibility=hidden"] + copts + _sanitizer_copts(),
            linkopts = ["-lpthread"],
            alwayslink = True,
            tags = tags,
            target_compatible_with = _clang_only() if clang_only else None,
            visibility = visibility,
        )

    # The headers alone, for compiling the targets against any variant.
    cc_library(
        name = name + "_headers",
        hdrs = srcs,
        visibility = visibility,
    )

def _fuzz_binary(name, bin_name, engine, core_lib, tags = [], testonly = False, visibility = None):
    cc_binary(
        name = bin_name,
        deps = [
            "%s_%s_lib" % (name, engine),
            "//fuzz:driver_" + engine,
            core_lib,
        ],
        linkopts = _ENGINE_LINKOPTS[engine] + _sanitizer_linkopts() + select({
            # lld: gold warns about every ASan runtime symbol it cannot
            # export, and is slower.
            _CLANG: ["-fuse-ld=lld"],
            "//conditions:default": [],
        }),
        tags = tags,
        testonly = testonly,
        target_compatible_with = _clang_only() if engine != "replay" else None,
        visibility = visibility,
    )

def hm_fuzz_target(
        name,
        srcs,
        oracle_srcs = [],
        deps = [],
        core = "//fuzz:core",
        corpus = None,
        fuzz_test_seconds = 4,
        injected_bugs = [],
        injected_bug_runs = 1000000,
        injected_bug_seconds = 60,
        injected_bug_seed = 1,
        injected_bug_tags = [],
        visibility = None):
    """A fuzz target and its engines, runners and tests (see the file comment).

    Args:
      name: the target's name; its corpus is //corpus:NAME unless corpus says.
      srcs: the target's sources and private headers (implementing
        fuzz/target.h), compiled once per engine with its instrumentation.
      oracle_srcs: sources that check rather than are checked (the harness
        and the reference model): sanitized, but without the engines'
        coverage, which would steer the fuzzer by the oracle's branches
        and, under libFuzzer, trace every comparison of its loops.
      deps: other libraries, linked as they are (not instrumented).
      core: prefix of the hm_fuzz_core() libraries to link (the core + ops).
      corpus: the hm_corpus() in //corpus, as //corpus:NAME.
      fuzz_test_seconds: length of NAME_fuzz_test's session.
      injected_bugs: N for which to make injected_bug_N_test (at most one
        target per package may list a given N); core must have NAME_bugN.
      injected_bug_runs: libFuzzer -runs= bound of those tests.
      injected_bug_seconds: their time bound (-max_total_time): the bug
        must be found from the seeds within it.
      injected_bug_seed: libFuzzer -seed= of those tests.
      injected_bug_tags: tags of those tests and their binaries.
      visibility: of the runnable targets.
    """
    corpus = corpus or "//corpus:" + name
    seeds = _label(corpus, "_seeds")
    seeds_dir = _runfiles_dir(corpus, "_seeds")
    dict_files = _label(corpus, "_dict")

    if oracle_srcs:
        cc_library(
            name = name + "_oracle",
            srcs = [s for s in oracle_srcs if not s.endswith(".h")],
            hdrs = [s for s in oracle_srcs if s.endswith(".h")],
            copts = HM_COPTS + _sanitizer_copts(),
            deps = deps + [core + "_headers"],
            alwayslink = True,
            visibility = ["//visibility:private"],
        )
        deps = deps + [":%s_oracle" % name]

    # The target's sources, once per engine (and shared by the bug builds).
    for engine in ["libfuzzer", "afl", "replay"]:
        cc_library(
            name = "%s_%s_lib" % (name, engine),
            srcs = srcs,
            copts = HM_COPTS + _ENGINE_COPTS[engine] + _sanitizer_copts(),
            deps = deps + ["//fuzz:target_h", core + "_headers"],
            alwayslink = True,
            target_compatible_with = _clang_only() if engine != "replay" else None,
            visibility = ["//visibility:private"],
        )

    _fuzz_binary(name, name + "_libfuzzer", "libfuzzer", core + "_libfuzzer", visibility = visibility)
    _fuzz_binary(name, name + "_afl_bin", "afl", core + "_afl", visibility = visibility)
    _fuzz_binary(name, name + "_replay", "replay", core + "_replay", visibility = visibility)

    common_args = [
        "--dict=$(rootpaths %s)" % dict_files,
        "--seeds-dir=" + seeds_dir,
    ]

    # bazel run //fuzz:NAME [-- libFuzzer flags or files]
    native.sh_binary(
        name = name,
        srcs = ["//fuzz:run_libfuzzer.sh"],
        args = [
            "--name=" + name,
            "--bin=$(rootpath :%s_libfuzzer)" % name,
        ] + common_args + [TSAN_SUPP_ARG, "--"],
        data = [":%s_libfuzzer" % name, seeds, dict_files, TSAN_SUPP,
                RUN_COMMON],
        target_compatible_with = _clang_only(),
        visibility = visibility,
    )

    # bazel run //fuzz:NAME_afl [-- afl-fuzz options, e.g. -V 60]
    native.sh_binary(
        name = name + "_afl",
        srcs = ["//fuzz:run_afl.sh"],
        args = [
            "--name=%s_afl" % name,
            "--bin=$(rootpath :%s_afl_bin)" % name,
        ] + common_args + ["--"],
        data = [":%s_afl_bin" % name, seeds, dict_files, RUN_COMMON],
        target_compatible_with = _clang_only(),
        visibility = visibility,
    )

    native.sh_test(
        name = name + "_replay_test",
        size = "small",
        srcs = ["//fuzz:replay_test.sh"],
        args = [
            "$(rootpath :%s_replay)" % name,
            seeds_dir,
        ],
        data = [":%s_replay" % name, seeds],
    )

    native.sh_test(
        name = name + "_fuzz_test",
        size = "small",
        srcs = ["//fuzz:libfuzzer_test.sh"],
        args = [
            "--mode=clean",
            "--bin=$(rootpath :%s_libfuzzer)" % name,
            "--seconds=%d" % fuzz_test_seconds,
            "--seed=1",
        ] + common_args + [TSAN_SUPP_ARG],
        data = [":%s_libfuzzer" % name, seeds, dict_files, TSAN_SUPP],
        target_compatible_with = _clang_only(),
    )

    for n in injected_bugs:
        _fuzz_binary(
            name,
            "%s_bug%d" % (name, n),
            "libfuzzer",
            "%s_bug%d" % (core, n),
            tags = injected_bug_tags,
            testonly = True,
        )
        native.sh_test(
            name = "injected_bug_%d_test" % n,
            size = "medium",
            srcs = ["//fuzz:libfuzzer_test.sh"],
            args = [
                "--mode=find-bug",
                "--bin=$(rootpath :%s_bug%d)" % (name, n),
                "--runs=%d" % injected_bug_runs,
                "--max-seconds=%d" % injected_bug_seconds,
                "--seed=%d" % injected_bug_seed,
                "--label=HM_INJECT_BUG=%d" % n,
            ] + common_args + [TSAN_SUPP_ARG],
            data = [":%s_bug%d" % (name, n), seeds, dict_files, TSAN_SUPP],
            tags = injected_bug_tags,
            target_compatible_with = _clang_only(),
        )

def hm_corpus(name, visibility = ["//visibility:public"]):
    """The seeds of fuzz target NAME, for corpus/BUILD.bazel.

    Makes:
      NAME_seeds        genrule: NAME/*.txt encoded to binary, as
                        NAME_seeds/<stem>.bin, and every file of
                        NAME/regressions/ as NAME_seeds/regression-<name>
                        (*.txt encoded, anything else copied byte for byte,
                        since a fuzzer's crash file need not decode strictly);
                        a one-byte default sequence when there is nothing.
      NAME_dict         filegroup: NAME.dict if it exists (empty otherwise).
      NAME_text         filegroup: the checked-in seeds and regressions.
    """
    texts = native.glob([name + "/*.txt"])
    regressions = native.glob([name + "/regressions/**"])
    outs = []
    cmds = []
    for src in texts:
        out = "%s_seeds/%s.bin" % (name, src[len(name) + 1:-len(".txt")])
        outs.append(out)
        cmds.append("$(location //fuzz:hm_ops) encode $(location %s) $(location %s)" % (src, out))
    for src in regressions:
        rel = src[len(name) + len("/regressions/"):].replace("/", "-")
        if rel.endswith(".txt"):
            out = "%s_seeds/regression-%s.bin" % (name, rel[:-len(".txt")])
            cmds.append("$(location //fuzz:hm_ops) encode $(location %s) $(location %s)" % (src, out))
        else:
            out = "%s_seeds/regression-%s" % (name, rel)
            cmds.append("cp $(location %s) $(location %s)" % (src, out))
        outs.append(out)
    if not outs:
        out = "%s_seeds/default.bin" % name
        outs.append(out)
        cmds.append("printf '\\000' > $(location %s)" % out)

    native.genrule(
        name = name + "_seeds",
        srcs = texts + regressions,
        outs = outs,
        cmd = " && ".join(cmds),
        tools = ["//fuzz:hm_ops"],
        visibility = visibility,
    )
    native.filegroup(
        name = name + "_dict",
        srcs = native.glob([name + ".dict"]),
        visibility = visibility,
    )
    native.filegroup(
        name = name + "_text",
        srcs = texts + regressions,
        visibility = visibility,
    )
