#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench_checks.py - the counts of kmap_bench's JSON that follow from the
code, not from timing; for kmap_bench_test.sh.

  bench_checks.py guest  BENCH.json   the guest@*/ rows, KVM (when they ran)
  bench_checks.py guest_tcg BENCH.json  the guest_tcg@*/ rows, QEMU's TCG
  bench_checks.py stream BENCH.json   sim@*/kmap_stream over 4096 pages wraps
  bench_checks.py smp    SMP.json     IPIs of the stream rows, 1-8 CPUs
  bench_checks.py profiles BENCH.json PROFILE
                                      every row but loop/noop names its
                                      profile, PROFILE (--bench_kernel): the
                                      core, sim and guest rows alike

Rows are found by their name without the profile ("sim/kmap_hit/pages:1"
for "sim@linux-4.7/kmap_hit/pages:1"): the counts are every profile's.
Prints one FAIL line per broken expectation; exit status 1 if any.
"""
import json
import sys

def load(path):
    with open(path) as f:
        return json.load(f)["benchmarks"]


def split_profile(name):
    """"sim@linux-4.7/kmap_hit/pages:1" -> ("sim", "linux-4.7",
    "/kmap_hit/pages:1"); loop/noop -> ("loop", None, "/noop")."""
    head, sep, rest = name.partition("/")
    backend, _, profile = head.partition("@")
    return backend, profile or None, sep + rest


def plain(name):
    """The name without its profile: "sim/kmap_hit/pages:1"."""
    backend, _, rest = split_profile(name)
    return backend + rest


def check_guest(benchmarks, prefix="guest"):
    """The floor writes one PTE and invlpg it; a kmap_atomic pair two PTEs
    (set, and cleared at unmap as x86 does) and one invlpg;
    the stream runs whole periods of LAST_PKMAP maps, each with one wrap and
    one real whole-TLB flush; every row has its cycles and ratio, and under
    KVM its instruction count (single-stepped: TCG's rows have none); with
    several vCPUs each wrap's flush is a shootdown acked by the C - 1
    others."""
    rows = {split_profile(b["name"])[2]: b for b in benchmarks
            if split_profile(b["name"])[0] == prefix}
    counted = ("cycles", "best_cycles", "ratio_to_floor") + (
        ("insns",) if prefix == "guest" else ())
    bad = []

    def want(name, cond, what):
        if not cond:
            bad.append(f"{prefix} row {name}: {what}")

    if not rows:
        return [f"no {prefix}/ rows"]
    smp = {}
    for c in (2, 4):
        name = f"/kmap_stream/pages:4096/cpus:{c}/manual_time"
        b = rows.get(name, {})
        if b.get("error_message", "").startswith("skipped: no SMP guest"):
            print(f"note: {prefix}{name} {b['error_message']}")
            del rows[name]
        else:
            smp[c] = b
    for name, b in rows.items():
        want(name, not b.get("error_occurred"), b.get("error_message", ""))
        for c in counted:
            want(name, b.get(c, 0) > 0, f"no {c}")
        if prefix != "guest":
            want(name, "insns" not in b, "an instruction count (TCG has "
                 "no single-step here)")
    f = rows["/floor/manual_time"]
    want("floor", f["pte_writes"] == 1 and f["invlpg"] == 1, "1 PTE write, 1 invlpg")
    want("floor", abs(f["ratio_to_floor"] - 1) < 1e-9, "ratio 1")
    a = rows["/kmap_atomic/pages:1/manual_time"]
    want("kmap_atomic", a["pte_writes"] == 2 and a["invlpg"] == 1, "2 PTE writes, 1 invlpg")
    d = rows["/kmap_atomic_debug/pages:1/manual_time"]
    want("kmap_atomic_debug", d["pte_writes"] == 2, "2 PTE writes")
    s = rows["/kmap_stream/pages:4096/cpus:1/manual_time"]
    n = s["iterations"]
    want("kmap_stream", n % 512 == 0, "whole wrap periods")
    want("kmap_stream", round(s["wraps"] * n) == n // 512, "one wrap per 512 maps")
    want("kmap_stream", round(s["flush_all"] * n) == n // 512, "one whole-TLB flush per wrap")
    want("kmap_stream", s["ipis"] == 0, "no IPIs with one vCPU")
    for c, b in smp.items():
        n = b.get("iterations", 0)
        want(f"cpus:{c}", b.get("ipis", 0) > 0, "no IPIs per op")
        want(f"cpus:{c}", n and round(b["ipis"] * n) == (c - 1) * (n // 512),
             f"{c - 1} IPIs acked per wrap")
    return bad


def check_stream(benchmarks):
    """A stream over 4096 pages wraps once per 512 maps.  From the JSON: on
    a loaded machine Google Benchmark may stop a row before 512 maps, and
    the table's rounded figure then shows no wrap."""
    name = "sim/kmap_stream/pages:4096/cpus:1"
    rows = [b for b in benchmarks if plain(b["name"]) == name]
    if not rows:
        return [f"{name}: missing"]
    b = rows[0]
    n = b["iterations"]
    if abs(b["wraps"] * n - n / 512) > 1:
        return [f"{name}: {b['wraps'] * n:.0f} wraps in {n} maps"]
    return []


def check_smp(benchmarks):
    """Each wrap's flush is an IPI to each of the C - 1 other CPUs; with a
    thread per CPU (kmap_stream_smp) their own threads serve every one,
    with one thread playing every CPU (kmap_stream) the initiator does."""
    rows = {plain(b["name"]): b for b in benchmarks}
    bad = []
    for c in (1, 2, 4, 8):
        for subject, by_thread in (("kmap_stream_smp", True), ("kmap_stream", False)):
            name = f"sim/{subject}/pages:4096/cpus:{c}"
            b = rows.get(name + "/iterations:2048")
            if not b or b.get("error_occurred"):
                bad.append(f"{name}: {b.get('error_message') if b else 'missing'}")
                continue
            n = b["iterations"]
            wraps, ipis, mine = (round(b[k] * n) for k in ("wraps", "ipis", "ipis_by_thread"))
            if wraps < 1:
                bad.append(f"{name}: no wrap in {n} maps")
            if ipis != (c - 1) * wraps:
                bad.append(f"{name}: {ipis} IPIs for {wraps} wraps, not {c - 1} each")
            if c > 1 and not ipis:
                bad.append(f"{name}: no IPI")
            if mine != (ipis if by_thread else 0):
                bad.append(f"{name}: {mine} of {ipis} IPIs served by the target's thread")
    return bad


def check_profiles(benchmarks, profile):
    """Each row of the core names the kernel profile it ran, @profile (the
    guest's page tables are built for it too); loop/noop none."""
    want = {"core": profile, "sim": profile, "guest": profile,
            "guest_tcg": profile, "loop": None}
    bad = []
    if not benchmarks:
        return ["no rows"]
    for b in benchmarks:
        backend, got, _ = split_profile(b["name"])
        if backend not in want:
            bad.append(f"{b['name']}: no backend of ours ({backend})")
        elif got != want[backend]:
            bad.append(f"{b['name']}: profile {got}, expected {want[backend]}")
    return bad


CHECKS = {"guest": check_guest,
          "guest_tcg": lambda b: check_guest(b, "guest_tcg"),
          "stream": check_stream, "smp": check_smp,
          "profiles": check_profiles}


def main(argv):
    nargs = 4 if len(argv) > 1 and argv[1] == "profiles" else 3
    if len(argv) != nargs or argv[1] not in CHECKS:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        benchmarks = load(argv[2])
    except (OSError, ValueError, KeyError) as e:
        print(f"FAIL: {argv[2]}: {e}")
        return 1
    bad = CHECKS[argv[1]](benchmarks, *argv[3:])
    for m in bad:
        print("FAIL:", m)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
