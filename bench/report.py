#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""report.py - kmap_bench's JSON and kmap_trace's columns into plots and
the ratios of one run.

  report.py --json kmap_bench.json [--trace stream.tsv] --out DIR

Writes into DIR, each as SVG and PNG (gnuplot):
  stream      cost of each call over a long stream: kmap's spikes at every
              wrap and flush against the flat kmap_atomic and kmap_local_page
              (from --trace);
  working_set cost per operation against the working-set size;
  cpus        kmap in a stream over 4096 pages against the number of CPUs,
              each series relative to its own cpus:1 row (user space with
              one thread or a thread per CPU, and the guest's vCPUs);
and summary.txt, the ratios the issue asks for, also printed.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def split_profile(name):
    """"core@linux-4.7/kmap_hit/pages:1" -> ("core/kmap_hit/pages:1", "core",
    "linux-4.7"): every row of the core names its kernel profile after its
    backend; loop/noop runs no core and has none (None)."""
    head, sep, rest = name.partition("/")
    backend, _, profile = head.partition("@")
    return backend + sep + rest, backend, profile or None


def load_rows(path):
    """{row name without its profile: {"ns": time per op, counters...}},
    {the same: error}, the JSON's context, {backend: its rows' profile}.

    With --benchmark_repetitions the median aggregate is used if present,
    else the mean of the repetitions.  One run, one profile per backend
    (--bench_kernel): rows of two would be compared as one, so refused."""
    with open(path) as f:
        doc = json.load(f)
    runs, medians, errors, context = {}, {}, {}, doc.get("context", {})
    profiles = {}
    for b in doc.get("benchmarks", []):
        name, backend, profile = split_profile(
            re.sub(r"/manual_time$", "", b.get("run_name", b["name"])))
        if profile and profiles.setdefault(backend, profile) != profile:
            raise ValueError(f"{path}: {backend} rows of {profile} and of "
                             f"{profiles[backend]}: one profile per run")
        if b.get("error_occurred"):
            errors[name] = b.get("error_message", "error")
            continue
        row = {k: v for k, v in b.items() if isinstance(v, (int, float))}
        row["ns"] = b["real_time"] * NS.get(b.get("time_unit", "ns"), 1.0)
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[name] = row
        else:
            runs.setdefault(name, []).append(row)
    rows = {}
    for name, reps in runs.items():
        keys = set.intersection(*(set(r) for r in reps))
        rows[name] = {k: sum(r[k] for r in reps) / len(reps) for k in keys}
    rows.update(medians)
    return rows, errors, context, profiles


def parse(name):
    """"core/kmap_stream/pages:64/cpus:1" (a name of load_rows(), without
    its profile) -> ("core", "kmap_stream", {...})"""
    parts = name.split("/")
    args = dict(p.split(":", 1) for p in parts[2:] if ":" in p)
    return parts[0], parts[1] if len(parts) > 1 else "", {
        k: int(v) for k, v in args.items() if v.isdigit()}


def series(rows, backend, subject, x, fixed=None):
    """[(x, ns)] of the rows of one backend and subject, sorted by x."""
    out = []
    for name, r in rows.items():
        b, s, args = parse(name)
        if b != backend or s != subject or x not in args:
            continue
        if fixed and any(args.get(k) != v for k, v in fixed.items()):
            continue
        out.append((args[x], r["ns"], r))
    return sorted(out)


def gnuplot(script, out, base, size="900,560"):
    """Render @script to out/base.svg and out/base.png."""
    gp = os.path.join(out, base + ".gp")
    with open(gp, "w") as f:
        f.write(script)
    done = []
    for term, ext in ((f"svg size {size} dynamic background rgb 'white'", "svg"),
                      (f"pngcairo size {size}", "png")):
        path = os.path.join(out, f"{base}.{ext}")
        cmd = f"set terminal {term}; set output '{path}'; load '{gp}'"
        subprocess.run(["gnuplot", "-e", cmd], check=True)
        done.append(path)
    return done


COMMON = """set grid
set key outside right top vertical Left reverse noenhanced
set style line 1 lc rgb '#d62728' lw 2
set style line 2 lc rgb '#1f77b4' lw 2
set style line 3 lc rgb '#2ca02c' lw 2
set style line 4 lc rgb '#ff7f0e' lw 2
set style line 5 lc rgb '#9467bd' lw 2
set style line 6 lc rgb '#8c564b' lw 2
"""


def plot_stream(trace, out):
    with open(trace) as f:
        header = [l for l in f if l.startswith("#")]
    cols = header[-1].lstrip("#").split()
    title = header[0].lstrip("# ").strip() if len(header) > 1 else ""
    col = {c: i + 1 for i, c in enumerate(cols)}
    panels = []
    for backend in ("sim", "core"):
        lines = []
        for i, (s, what) in enumerate((("kmap", "kmap+kunmap, 4096 pages"),
                                       ("kmap_atomic", "kmap_atomic+kunmap_atomic"),
                                       ("kmap_local", "kmap_local_page+kunmap_local"))):
            c = col.get(f"{backend}/{s}")
            if c:
                lines.append(f"'{trace}' using 1:(${c} > 0 ? ${c} : 1) "
                             f"with lines ls {i + 1} title '{what}'")
        panels.append(f"set title '{backend}/: " +
                      ("core + simulated MMU and TLBs" if backend == "sim"
                       else "the core on the minimal backend") + "'\n"
                      "plot " + ", \\\n     ".join(lines) + "\n")
    script = COMMON + f"""set multiplot layout 2,1 title "cost of each call in a stream (minimum over runs)\\n{title}" font ',10' noenhanced
set logscale y
set xlabel 'call'
set ylabel 'ns per call (log)'
set yrange [*:100000]
set key inside left top horizontal
""" + "".join(panels) + "unset multiplot\n"
    return gnuplot(script, out, "stream", "900,720")


def plot_working_set(rows, out):
    lines, data = [], []
    subjects = (("kmap_stream", "kmap+kunmap, stream"),
                ("kmap_atomic", "kmap_atomic pair"),
                ("kmap_local", "kmap_local_page pair"),
                ("kmap_hit", "kmap+kunmap, pages kept mapped"))
    style = 0
    for subject, what in subjects:
        for backend in ("sim", "core"):
            pts = series(rows, backend, subject, "pages",
                         {"cpus": 1} if subject == "kmap_stream" else None)
            style += 1
            if not pts:
                continue
            path = os.path.join(out, f"ws_{backend}_{subject}.dat")
            with open(path, "w") as f:
                f.writelines(f"{x} {ns:.3f}\n" for x, ns, _ in pts)
            dash = "dt 1" if backend == "sim" else "dt 2"
            ls = (style + 1) // 2
            lines.append(f"'{path}' using 1:2 with linespoints ls {ls} {dash} "
                         f"pt {6 if backend == 'sim' else 7} "
                         f"title '{backend}/ {what}'")
    if not lines:
        return []
    script = COMMON + """set title 'cost per operation against the working set (1 CPU)' noenhanced
set logscale x 2
set xlabel 'working set (pages); LAST_PKMAP = 512' noenhanced
set ylabel 'ns per map+unmap'
set yrange [0:*]
set key below horizontal maxrows 4
set arrow from 512, graph 0 to 512, graph 1 nohead dt 3 lc rgb 'gray40'
plot """ + ", \\\n     ".join(lines) + "\n"
    return gnuplot(script, out, "working_set")


# The CPU sweep of the stream over 4096 pages: (backend, subject, what,
# line style, the measure).  The guest's time is that of an emulator, about
# 10^4 times the user-space rows', and its mean moves by up to 2x between
# runs, so it is measured by its best cycles; every series is then plotted
# against its own cpus:1 row.
CPU_SERIES = (
    ("sim", "kmap_stream",
     "sim/ one thread playing C CPUs (the others idle: flushed by the "
     "initiator)", 1, "ns"),
    ("sim", "kmap_stream_smp",
     "sim/ C threads: each wrap signals C-1 parked threads", 4, "ns"),
    ("core", "kmap_stream", "core/ one thread playing C CPUs", 2, "ns"),
    ("guest", "kmap_stream", "guest/ C vCPUs under KVM, IPIs by the local "
     "APIC", 5, "best_cycles"),
    ("guest_tcg", "kmap_stream", "guest_tcg/ C vCPUs under QEMU TCG (the "
     "cost of QEMU, not of a CPU)", 6, "best_cycles"),
)


def cpu_sweep(rows, backend, subject, measure):
    """[(cpus, cost, row)] of one series of the sweep, or [] without its
    cpus:1 row (nothing to compare against)."""
    pts = [(x, r.get(measure, ns), r) for x, ns, r in
           series(rows, backend, subject, "cpus", {"pages": 4096})]
    pts = [p for p in pts if p[1] > 0]
    return pts if pts and pts[0][0] == 1 else []


def fmt_cost(v, measure):
    if measure == "ns":
        return f"{v:.0f} ns"
    return f"{v / 1e6:.2f}M best cycles"


def plot_cpus(rows, out):
    lines, paths = [], {}
    for backend, subject, what, ls, measure in CPU_SERIES:
        pts = cpu_sweep(rows, backend, subject, measure)
        if not pts:
            continue
        base = pts[0][1]
        path = os.path.join(out, f"cpus_{backend}_{subject}.dat")
        with open(path, "w") as f:
            f.write(f"# cpus, {measure} over cpus:1's, {measure}, "
                    "IPIs and IPIs served by the target's thread per 1000 ops\n")
            f.writelines(f"{x} {v / base:.4f} {v:.3f} "
                         f"{1000 * r.get('ipis', 0):.4f} "
                         f"{1000 * r.get('ipis_by_thread', 0):.4f}\n"
                         for x, v, r in pts)
        lines.append(f"'{path}' using 1:2 with linespoints ls {ls} pt 7 "
                     f"title '{what} (1 CPU: {fmt_cost(base, measure)})'")
        paths[backend, subject] = path
    if not lines:
        return []
    # Every series sends the same IPIs; only the threads' are delivered.
    smp = paths.get(("sim", "kmap_stream_smp"))
    lines.append(f"'{smp or next(iter(paths.values()))}' using 1:4 axes x1y2 "
                 f"with lines ls 3 dt 2 "
                 f"title 'IPIs sent per 1000 ops, every series (right axis)'")
    if smp:
        lines.append(f"'{smp}' using 1:5 axes x1y2 with points ls 3 pt 6 ps 1.5 "
                     f"title \"... served by the target CPU's own thread, "
                     f"sim/ C threads (right axis)\"")
    guest = ("; guest/, guest_tcg/ by best cycles"
             if {("guest", "kmap_stream"), ("guest_tcg", "kmap_stream")}
             & set(paths) else "")
    script = COMMON + f"""set title "kmap+kunmap over 4096 pages against the number of CPUs\\nnormalised: each series' cost over its own cpus:1 row (its value in the key){guest}" noenhanced
set xlabel 'simulated CPUs{" (guest/: vCPUs)" if guest else ""}; the flush at each wrap (every 512 maps) reaches all'
set key below vertical Left reverse height 1.5
set xrange [0.8:10]
set ylabel 'cost per op relative to 1 CPU'
set y2label 'IPIs per 1000 ops'
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set xtics (1, 2, 4, 8)
set logscale x 2
plot """ + ", \\\n     ".join(lines) + "\n"
    return gnuplot(script, out, "cpus", "900,640")


def cpus_summary(rows, label):
    """The user-space CPU sweep: one thread playing every CPU against a
    thread per CPU (real IPIs)."""
    one = {x: r for x, _, r in series(rows, "sim", "kmap_stream", "cpus",
                                       {"pages": 4096})}
    smp = {x: r for x, _, r in series(rows, "sim", "kmap_stream_smp", "cpus",
                                       {"pages": 4096})}
    if not smp:
        return []
    out = [f"The stream over 4096 pages against CPUs ({label('sim')}/): one thread "
           "playing every CPU, against a thread per CPU (real IPIs):",
           f"  {'cpus':>4s} {'one thread':>11s} {'threads':>9s} "
           f"{'ratio':>6s} {'IPIs/1000 ops':>14s} {'by the target thread':>21s}"]
    for c in sorted(smp):
        r = smp[c]
        o = one.get(c)
        ratio = f"{r['ns'] / o['ns']:5.2f}x" if o else f"{'-':>6s}"
        ons = f"{o['ns']:8.1f} ns" if o else f"{'-':>11s}"
        out.append(f"  {c:4d} {ons} {r['ns']:6.1f} ns {ratio} "
                   f"{1000 * r.get('ipis', 0):14.2f} "
                   f"{1000 * r.get('ipis_by_thread', 0):21.2f}")
    return out


# The guest rows, by what follows the backend's prefix.
GUEST_ROWS = (
    ("floor: PTE write + invlpg + one load", "floor"),
    ("kmap_atomic + kunmap_atomic", "kmap_atomic/pages:1"),
    ("kmap_atomic pair, CONFIG_DEBUG_HIGHMEM", "kmap_atomic_debug/pages:1"),
    ("kmap_local_page + kunmap_local", "kmap_local/pages:1"),
    ("kmap + kunmap, hit", "kmap_hit/pages:1"),
    ("kmap + kunmap, miss in a stream (4096 pages)",
     "kmap_stream/pages:4096/cpus:1"),
    ("page_address, lowmem", "page_address_lowmem"),
    ("page_address, highmem (512 mapped)", "page_address_high/pages:512"),
    ("the stream, 2 vCPUs (shootdown by IPI)", "kmap_stream/pages:4096/cpus:2"),
    ("the stream, 4 vCPUs (shootdown by IPI)", "kmap_stream/pages:4096/cpus:4"),
)

# The machines the guest rows come from: (prefix, what it is).  One fact,
# one place: bench/guest.c names the rows and context keys the same way.
GUEST_BACKENDS = (
    ("guest", "KVM"),
    ("guest_tcg", "QEMU's TCG: QEMU's costs (translated code, software TLB), "
                  "not a CPU's"),
)


def fmt_ns(ns):
    return f"{ns / 1e3:7.1f} us" if ns >= 1e4 else f"{ns:7.1f} ns"


def guest_summary(rows, context, prefix, backend, label):
    """One backend's guest rows: time, cycles and instructions, each
    against the floor measured in the same run."""
    have = [(w, f"{prefix}/{n}") for w, n in GUEST_ROWS
            if f"{prefix}/{n}" in rows]
    if not have:
        return []
    note = context.get(prefix, "")
    out = [f"In the guest under {backend} ({label(prefix)}/ rows; kvm_runner: the "
           f"core on real PAE page tables, rdtsc in the guest; {note}):",
           f"  {'operation':46s} {'time/op':>10s} {'best cycles':>12s} "
           f"{'x floor':>8s} {'insns':>7s} {'x floor':>8s} {'cycles/insn':>11s}"]
    floor_insns = rows.get(f"{prefix}/floor", {}).get("insns", 0)
    for what, name in have:
        r = rows[name]
        insns = r.get("insns", 0)
        ir = f"{insns / floor_insns:7.2f}x" if insns and floor_insns else f"{'-':>8s}"
        cpi = f"{r['best_cycles'] / insns:11.0f}" if insns else f"{'-':>11s}"
        ins = f"{insns:7.1f}" if insns else f"{'-':>7s}"
        out.append(f"  {what:46s} {fmt_ns(r['ns']):>10s} "
                   f"{r.get('best_cycles', 0):12.0f} "
                   f"{r.get('ratio_to_floor', 0):7.2f}x "
                   f"{ins} {ir} {cpi}")
    sweep = [(c, rows[f"{prefix}/kmap_stream/pages:4096/cpus:{c}"])
             for c in (1, 2, 4)
             if f"{prefix}/kmap_stream/pages:4096/cpus:{c}" in rows]
    if len(sweep) > 1:
        out.append("  the stream against vCPUs: " + "; ".join(
            f"{c}: {r.get('best_cycles', 0):.0f} best cycles/op, "
            f"{r.get('ipis', 0) * 1000:.2f} IPIs per 1000 ops"
            for c, r in sweep))
    atomic = rows.get(f"{prefix}/kmap_atomic/pages:1")
    if atomic:
        ratio = atomic.get("ratio_to_floor", 0)
        if prefix != "guest":
            verdict = ("not a CPU's figure: QEMU's translated code and "
                       "software TLB")
        elif note.startswith("emulated"):
            verdict = ("not measurable here: the guest is emulated, so the "
                       "ratio weighs instructions, not the TLB work")
        else:
            verdict = "met" if ratio <= 1.3 else "NOT met"
        out.append(f"  target (hardware virtualization): kmap_atomic pair "
                   f"within 1.30x of the floor; this run {ratio:.2f}x: "
                   f"{verdict}")
    out.append("  (time/op: mean of every iteration; best cycles: the "
               "fastest ~1 ms chunk per op; x floor: over the floor's, "
               "measured just before; insns: single-stepped, KVM only)")
    return out


def tsc_khz(context, prefix):
    """The guest TSC's kHz from the "PREFIX_clock" context line, or 0."""
    m = re.search(r"at (\d+) kHz", context.get(f"{prefix}_clock", ""))
    return int(m.group(1)) if m else 0


def guest_side_by_side(rows, context, label):
    """Both backends' guest rows, each op side by side, by the fastest
    chunk (the mean moves with the shared host and, under TCG, with the
    first run's translation): each machine's cost per op, not a CPU's."""
    pairs = [(w, rows[f"guest/{n}"], rows[f"guest_tcg/{n}"])
             for w, n in GUEST_ROWS
             if f"guest/{n}" in rows and f"guest_tcg/{n}" in rows]
    khz = (tsc_khz(context, "guest"), tsc_khz(context, "guest_tcg"))
    if not pairs or not all(khz):
        return []
    out = [f"The guest rows side by side ({label('guest')}/ under KVM, "
           f"{label('guest_tcg')}/ under QEMU's TCG; each op's fastest ~1 ms "
           "chunk, in ns by each guest clock):",
           f"  {'operation':46s} {'KVM':>10s} {'TCG':>10s} {'KVM/TCG':>8s} "
           f"{'x floor KVM':>11s} {'x floor TCG':>11s}"]
    for what, k, t in pairs:
        kns = k.get("best_cycles", 0) * 1e6 / khz[0]
        tns = t.get("best_cycles", 0) * 1e6 / khz[1]
        ratio = f"{kns / tns:7.1f}x" if tns > 0 else f"{'-':>8s}"
        out.append(f"  {what:46s} {fmt_ns(kns):>10s} {fmt_ns(tns):>10s} "
                   f"{ratio} {k.get('ratio_to_floor', 0):10.2f}x "
                   f"{t.get('ratio_to_floor', 0):10.2f}x")
    return out


def summary(rows, errors, context, profiles):
    out = []

    def ns(name):
        return rows[name]["ns"] if name in rows else None

    def label(backend):
        """"core" -> "core@linux-4.7", as the rows are named."""
        return f"{backend}@{profiles[backend]}" if backend in profiles else backend

    def shown(name):
        backend, _, rest = name.partition("/")
        return f"{label(backend)}/{rest}"

    base = ns("core/kmap_atomic/pages:1")
    out.append(f"Ratios from this run (time per operation; {label('core')}/ = "
               "the core on the minimal backend):")
    for what, name in (
            ("kmap_atomic + kunmap_atomic", "core/kmap_atomic/pages:1"),
            ("kmap_atomic pair, CONFIG_DEBUG_HIGHMEM", "core/kmap_atomic_debug/pages:1"),
            ("the pair in the kernel's shape (kernel_shape.c)",
             "core/kmap_atomic_kernel_shape/pages:1"),
            ("kmap_local_page + kunmap_local", "core/kmap_local/pages:1"),
            ("kmap + kunmap, hit", "core/kmap_hit/pages:1"),
            ("kmap + kunmap, miss (no flush)", "core/kmap_miss"),
            ("kmap + kunmap, miss in a stream, flush amortised",
             "core/kmap_stream/pages:4096/cpus:1")):
        t = ns(name)
        if t is None:
            continue
        ratio = f"{t / base:6.2f}x" if base else ""
        out.append(f"  {what:50s} {t:8.1f} ns  {ratio}  ({shown(name)})")
    pairs = []
    for name in rows:
        b, s, args = parse(name)
        twin = "core" + name[3:]
        if b == "sim" and twin in rows and rows[twin]["ns"] > 0:
            pairs.append((name[4:], rows[name]["ns"], rows[twin]["ns"]))
    if pairs:
        out.append(f"What the simulated machine adds ({label('sim')}/ over "
                   f"{label('core')}/, same operation):")
        for name, s, c in pairs:
            out.append(f"  {name:34s} sim {s:8.1f} ns  core {c:8.1f} ns  "
                       f"{s / c:5.2f}x")
    out += cpus_summary(rows, label)
    for prefix, backend in GUEST_BACKENDS:
        out += guest_summary(rows, context, prefix, backend, label)
    out += guest_side_by_side(rows, context, label)
    for prefix, backend in GUEST_BACKENDS:
        skipped = sorted(e for n, e in errors.items()
                         if n.startswith(prefix + "/"))
        if skipped:
            out.append(f"{prefix} ({backend.split(':')[0]}): {skipped[0]}")
    if "perf" in context:
        out.append(f"perf: {context['perf']}")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", required=True)
    ap.add_argument("--trace")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    try:
        rows, errors, context, profiles = load_rows(a.json)
    except (OSError, ValueError) as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 1
    if not shutil.which("gnuplot"):
        print("report.py: gnuplot not found (tools/bootstrap installs it)",
              file=sys.stderr)
        return 1
    made = []
    if a.trace:
        made += plot_stream(a.trace, a.out)
    made += plot_working_set(rows, a.out)
    made += plot_cpus(rows, a.out)
    text = summary(rows, errors, context, profiles)
    with open(os.path.join(a.out, "summary.txt"), "w") as f:
        f.write(text)
    sys.stdout.write(text)
    print("plots: " + " ".join(os.path.basename(p) for p in made))
    return 0


if __name__ == "__main__":
    sys.exit(main())
