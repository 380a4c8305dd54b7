#!/usr/bin/env python3
"""Turns one harness result (bench/results/<timestamp>.json) into bench/results/latest.md and latest.png.

    python3 bench/harness/report.py bench/results/20261129T143000Z.json [--out-dir bench/results]

Medians over rounds per cell; overhead is the contender's percentile minus direct's at the same connection count
and round. Nothing here asserts anything: the targets of issue 6 are shown as met or not, for a reader.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ORDER = ["direct", "yarp", "meridian", "nginx", "portkey"]
LABEL = {"direct": "direct (floor)", "yarp": "bare YARP", "meridian": "Meridian", "nginx": "nginx",
         "portkey": "Portkey 1.15.2"}
COLOR = {"direct": "#7f7f7f", "yarp": "#1f77b4", "meridian": "#d62728", "nginx": "#2ca02c", "portkey": "#9467bd"}
MODE_TITLE = {"nonstream": "Non-streaming", "stream": "Streaming"}
PCTS = ["p50", "p90", "p99", "p999"]


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def aggregate(results: dict) -> dict:
    """(mode, connections, contender) -> median figures over rounds, with overhead over direct per round."""
    cells = [c for c in results["cells"] if "error" not in c]
    direct = {(c["mode"], c["connections"], c["round"]): c for c in cells if c["contender"] == "direct"}
    groups: dict = {}
    for c in cells:
        groups.setdefault((c["mode"], c["connections"], c["contender"]), []).append(c)
    out = {}
    for key, runs in groups.items():
        mode, level, name = key
        agg = {
            "rounds": len(runs),
            "rps": median([r["rps"] for r in runs]),
            "errors": sum(sum(r["errors"].values()) for r in runs),
            "cpu_cores": median([r["cpu"]["contender_cores"] for r in runs]),
            "cpu_us": median([r["cpu"]["contender_us_per_request"] for r in runs]),
            "upstream_us": median([r["cpu"]["upstream_us_per_request"] for r in runs]),
            "loadgen_cores": max(r["cpu"]["loadgen_cores"] for r in runs),
            "foreign_cores": median([r["cpu"]["foreign_cores"] for r in runs]),
            "rss_mb": max(r["rss_mb"]["contender_peak"] for r in runs),
            "bytes": median([r["bytes_per_response"] for r in runs]),
        }
        for p in PCTS:
            agg[p] = median([r["latency_us"][p] for r in runs])
            added = [r["latency_us"][p] - direct[(mode, level, r["round"])]["latency_us"][p]
                     for r in runs if (mode, level, r["round"]) in direct]
            agg["added_" + p] = median(added) if name != "direct" else None
        d = [direct[(mode, level, r["round"])]["rps"] for r in runs if (mode, level, r["round"]) in direct]
        agg["x_direct"] = (agg["rps"] / median(d)) if d and median(d) else None
        out[key] = agg
    return out


def fmt(v, digits=0, suffix=""):
    if v is None:
        return "–"
    if isinstance(v, float) and digits == 0:
        v = round(v)
    return f"{v:,.{digits}f}{suffix}" if isinstance(v, float) else f"{v:,}{suffix}"


def us(v):
    """Microseconds, switching to ms above 10 ms for legibility."""
    if v is None:
        return "–"
    return f"{v / 1000:,.1f} ms" if abs(v) >= 10_000 else f"{v:,.0f}"


def ratio(a, b):
    return a / b if a is not None and b else None


def markdown(results: dict, agg: dict) -> str:
    m, plan = results["machine"], results["plan"]
    names = [n for n in ORDER if n in results["contenders"]]
    levels = plan["levels"]
    lines = [
        "# Meridian load harness — latest run",
        "",
        f"Run {results['started_at']} (profile **{results['profile']}**: {plan['duration']:g} s measured per cell after "
        f"{plan['warmup']:g} s warm-up, {plan['rounds']} round(s), contenders interleaved; medians over rounds). "
        "Produced by `./build.sh bench`; method in [bench/README.md](../README.md).",
        "",
        f"Machine: {m['cpu_model']}, {m['cpus']} vCPU ({m['virtualization']}), {m['memory_gb']} GB, Linux "
        f"{m['kernel']}; .NET {m['aspnetcore_runtime']} ({m['dotnet_gc']} GC for every .NET process), {m['wrk']}, "
        f"{m['nginx']}, Node {m['node']}; Meridian: {m.get('meridian_build', m['git_commit'])}. "
        f"Pinning: wrk on CPU {m['pinning']['loadgen_cpus'] or 'any'}, upstream and contender on CPU "
        f"{m['pinning']['server_cpus'] or 'any'}"
        + (f"; every benchmark process at niceness {m['nice']}" if m.get("nice") else "") + ".",
        "",
    ]
    foreign = [a["foreign_cores"] for a in agg.values() if a["foreign_cores"] is not None]
    worst_wrk = max((a["loadgen_cores"] for a in agg.values()), default=0)
    if foreign and statistics.median(foreign) > 0.3:
        lines.append(f"**This run is noisy: other work on the machine used a median {statistics.median(foreign):.2f} "
                     "cores during the measured windows. Read the ratios, not the absolute figures.**")
        lines.append("")
    if foreign:
        lines.append(
            f"Noise: other work on the machine took a median {statistics.median(foreign):.2f} cores "
            f"(max {max(foreign):.2f}) during the measured windows; the load generator used at most "
            f"{worst_wrk:.2f} of its core"
            + (" — **it may have been the bottleneck in some cells**." if worst_wrk > 0.9 else " (not a bottleneck).")
            + " Expect ±10–20 % between runs; compare contenders within one run.")
        lines.append("")
    for name in names:
        c = results["contenders"][name]
        if c.get("skipped"):
            lines.append(f"- **{LABEL[name]}** skipped: {c['skipped']}")
        for mode, why in (c.get("modes_skipped") or {}).items():
            if not c.get("skipped"):
                lines.append(f"- **{LABEL[name]}** skipped in {mode} mode: {why}")
    lines.append("")

    for mode in plan["modes"]:
        probe = next((results["contenders"][n]["probe"].get(mode) for n in names
                      if results["contenders"][n].get("probe", {}).get(mode)), {})
        what = (f"max_tokens {plan['max_tokens']}, {probe.get('bytes', '?')}-byte JSON answer" if mode == "nonstream"
                else f"max_tokens {plan['stream_max_tokens']}, {probe.get('deltas', '?')} text deltas, "
                     f"{probe.get('bytes', '?')} bytes of SSE")
        if plan.get("prompt_chars"):
            what += f"; prompt padded to {plan['prompt_chars']} chars"
        lines += [f"## {MODE_TITLE[mode]} `POST /v1/messages` ({what})", "",
                  "| connections | contender | req/s | × direct | p50 µs | p90 µs | p99 µs | p99.9 µs | added p50 µs "
                  "| added p99 µs | CPU cores | CPU µs/req | upstream µs/req | peak RSS MB | errors |",
                  "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for level in levels:
            for name in names:
                a = agg.get((mode, level, name))
                if a is None:
                    continue
                lines.append(
                    f"| {level} | {LABEL[name]} | {fmt(a['rps'])} | {fmt(a['x_direct'], 2)} | "
                    + " | ".join(us(a[p]) for p in PCTS)
                    + f" | {us(a['added_p50'])} | {us(a['added_p99'])} | {fmt(a['cpu_cores'], 2)} | "
                    f"{fmt(a['cpu_us'])} | {fmt(a['upstream_us'])} | {fmt(a['rss_mb'])} | {a['errors']} |")
        lines.append("")
        if mode == "stream" and results.get("ttfb"):
            lines += ["Time to first byte and to the first text delta, one connection, sequential requests "
                      "(a Python raw-socket client; its own overhead is the same for every contender):", "",
                      "| contender | first byte p50 µs | p99 µs | added p50 µs | first delta p50 µs | whole stream p50 µs |",
                      "|---|---:|---:|---:|---:|---:|"]
            direct = results["ttfb"].get("direct", {}).get("first_byte_us", {}).get("p50")
            for name in names:
                t = results["ttfb"].get(name)
                if not t:
                    continue
                fb = t["first_byte_us"]
                lines.append(f"| {LABEL[name]} | {us(fb['p50'])} | {us(fb['p99'])} | "
                             f"{us(fb['p50'] - direct) if direct is not None and name != 'direct' else '–'} | "
                             f"{us(t['first_delta_us']['p50'])} | {us(t['total_us']['p50'])} |")
            lines.append("")

    # ratios
    lines += ["## Ratios", "", "| ratio | mode | " + " | ".join(f"c={lvl}" for lvl in levels) + " |",
              "|---|---|" + "---:|" * len(levels)]

    def row(label, mode, f):
        vals = [f(mode, lvl) for lvl in levels]
        lines.append(f"| {label} | {mode} | " + " | ".join(fmt(v, 2) if v is not None else "–" for v in vals) + " |")

    def get(mode, lvl, name, key):
        a = agg.get((mode, lvl, name))
        return a[key] if a else None

    for mode in plan["modes"]:
        row("Meridian / bare YARP, throughput", mode, lambda md, l: ratio(get(md, l, "meridian", "rps"), get(md, l, "yarp", "rps")))
        row("Meridian / bare YARP, added p50", mode, lambda md, l: ratio(get(md, l, "meridian", "added_p50"), get(md, l, "yarp", "added_p50")))
        row("Meridian / nginx, throughput", mode, lambda md, l: ratio(get(md, l, "meridian", "rps"), get(md, l, "nginx", "rps")))
        row("Meridian / peer (Portkey), throughput", mode, lambda md, l: ratio(get(md, l, "meridian", "rps"), get(md, l, "portkey", "rps")))
        row("Meridian CPU µs/req / bare YARP's", mode, lambda md, l: ratio(get(md, l, "meridian", "cpu_us"), get(md, l, "yarp", "cpu_us")))
    lines.append("")

    # issue 6 targets, for the reader (never asserted)
    def target(text, ok):
        return f"| {text} | {'met' if ok else ('not met' if ok is not None else 'not measured')} |"

    lines += ["## Issue 6 targets (informational)", "", "| target | this run |", "|---|---|"]
    r32 = ratio(get("nonstream", 32, "meridian", "rps"), get("nonstream", 32, "yarp", "rps"))
    a1m, a1y = get("nonstream", 1, "meridian", "added_p50"), get("nonstream", 1, "yarp", "added_p50")
    p99m = get("nonstream", 1, "meridian", "added_p99")
    peer = ratio(get("nonstream", 32, "meridian", "rps"), get("nonstream", 32, "portkey", "rps"))
    t = results.get("ttfb", {})
    ttfb_added = (t["meridian"]["first_byte_us"]["p50"] - t["direct"]["first_byte_us"]["p50"]
                  if "meridian" in t and "direct" in t else None)
    lines += [
        target(f"throughput ≥ 0.9× bare YARP at 32 connections (now {fmt(r32, 2)}×)", None if r32 is None else r32 >= 0.9),
        target(f"added p50 at 1 connection ≤ 1.2× bare YARP's (now {us(a1m)} vs {us(a1y)} µs)",
               None if a1m is None or a1y is None else a1m <= 1.2 * a1y),
        # A negative added p99 means direct's own p99 was the higher one (a stall in the floor's cell): nothing to judge.
        target(f"added p99 at 1 connection ≤ 1 ms (now {us(p99m)}{'' if p99m is not None and abs(p99m) >= 10_000 else ' µs'}"
               f"{'; the floor stalled, so not judged' if p99m is not None and p99m < 0 else ''})",
               None if p99m is None or p99m < 0 else p99m <= 1000),
        target(f"≥ 15× the peer gateway's throughput at 32 connections (now {fmt(peer, 1)}×)", None if peer is None else peer >= 15),
        target(f"streaming first byte ≤ 1 ms over direct (now {us(ttfb_added)} µs)", None if ttfb_added is None else ttfb_added <= 1000),
        "",
    ]
    lines += ["Columns: *added* = the contender's percentile minus direct's at the same connection count (per round, "
              "then the median); *CPU cores* = the contender's CPU time over the window (for direct: the upstream's); "
              "*CPU µs/req* = that CPU time per successful request; *upstream µs/req* = the simulator's CPU per request "
              "behind this contender (what a gateway asks of its upstream changes the upstream's work); "
              "*peak RSS* = the contender's largest resident set sampled every 100 ms during the cell.", ""]
    return "\n".join(lines)


def plot(results: dict, agg: dict, path: Path) -> bool:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report: matplotlib is not available (apt-get install python3-matplotlib); no PNG", file=sys.stderr)
        return False
    plan = results["plan"]
    modes, levels = plan["modes"], plan["levels"]
    names = [n for n in ORDER if n in results["contenders"]]
    fig, axes = plt.subplots(len(modes), 4, figsize=(20, 4.6 * len(modes)), squeeze=False)
    width = 0.8 / len(names)
    for row, mode in enumerate(modes):
        ax_rps, ax_lat, ax_add, ax_cpu = axes[row]
        for i, name in enumerate(names):
            xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(levels))]
            a = [agg.get((mode, lvl, name)) for lvl in levels]
            ax_rps.bar(xs, [x["rps"] if x else 0 for x in a], width, color=COLOR[name], label=LABEL[name])
            ax_lat.bar(xs, [x["p50"] if x else 0 for x in a], width, color=COLOR[name], label=LABEL[name])
            ax_lat.scatter(xs, [x["p99"] if x else float("nan") for x in a], color=COLOR[name], marker="_", s=200,
                           linewidths=2)
            ax_cpu.bar(xs, [x["cpu_us"] or 0 if x else 0 for x in a], width, color=COLOR[name])
        ax_rps.set_yscale("log")
        ax_lat.set_yscale("log")
        for ax, title in [(ax_rps, "throughput, req/s (log)"), (ax_lat, "latency p50 (bar) and p99 (tick), µs (log)"),
                          (ax_cpu, "contender CPU per request, µs")]:
            ax.set_xticks(range(len(levels)), [f"{lvl} conn." for lvl in levels])
            ax.set_title(f"{MODE_TITLE[mode]}: {title}", fontsize=10)
            ax.grid(axis="y", alpha=0.3)
        # added latency at one connection
        one = levels[0]
        others = [n for n in names if n != "direct" and agg.get((mode, one, n))]
        for j, p in enumerate(["added_p50", "added_p99"]):
            vals = [agg[(mode, one, n)][p] or 0 for n in others]
            ax_add.bar([k + (j - 0.5) * 0.38 for k in range(len(others))], vals, 0.38,
                       color=[COLOR[n] for n in others], alpha=1.0 if j == 0 else 0.45,
                       label="p50" if j == 0 else "p99")
        ax_add.set_xticks(range(len(others)), [LABEL[n] for n in others], fontsize=8)
        ax_add.set_yscale("symlog", linthresh=100)
        ax_add.set_title(f"{MODE_TITLE[mode]}: added latency over direct at {one} conn., µs (p50 solid, p99 light)",
                         fontsize=10)
        ax_add.grid(axis="y", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(names), fontsize=9, frameon=False)
    m = results["machine"]
    fig.suptitle(f"Meridian load harness — {results['started_at']} — {m['cpu_model']}, {m['cpus']} vCPU, "
                 f".NET {m['aspnetcore_runtime']}, {m['wrk']}; wrk on CPU {m['pinning']['loadgen_cpus'] or 'any'}, "
                 f"servers on CPU {m['pinning']['server_cpus'] or 'any'}", fontsize=11)
    fig.tight_layout(rect=(0, 0.04, 1, 0.96))
    fig.savefig(path, dpi=90)
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("result", help="a bench/results/<timestamp>.json")
    ap.add_argument("--out-dir", help="where latest.md and latest.png go (default: next to the result)")
    args = ap.parse_args()
    src = Path(args.result)
    results = json.loads(src.read_text())
    out_dir = Path(args.out_dir) if args.out_dir else src.parent
    agg = aggregate(results)
    md = markdown(results, agg) + f"\nSource: `{src.name}`.\n"
    (out_dir / "latest.md").write_text(md)
    print(md)
    if plot(results, agg, out_dir / "latest.png"):
        print(f"==> wrote {out_dir / 'latest.md'} and {out_dir / 'latest.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
