#!/usr/bin/env python3
"""Streaming soak: does Meridian's memory stay flat under many long-lived streams?

    /usr/bin/python3 bench/harness/soak.py                   # 10 minutes, 1,000 concurrent streams
    /usr/bin/python3 bench/harness/soak.py --duration 60     # a one-minute trial
    /usr/bin/python3 bench/harness/soak.py --report bench/results/soak-<timestamp>.json   # re-render only

Starts the simulator with a per-token delay (`meridian simulate --token-delay-ms N --first-token-delay-ms M`), so
every stream stays open for seconds, and `meridian serve --upstream` in front of it exactly as harness.py does (same
keys, admin token, quotas lifted). wrk then holds --connections streaming connections open for --duration seconds,
each starting its next stream as soon as the last one ends (closed loop: about --connections streams in flight at
every moment). Every --interval seconds the sampler records Meridian's RSS, its GC heap (dotnet-counters, when it can
be had), the established connections on both of Meridian's sides, the streams completed so far and the bad ones,
and the CPU of every process. The result: bench/results/soak-<UTC timestamp>.json, soak-latest.md and soak-latest.png.

"Flat" is judged on the mean RSS over the second fifth of the run (minutes 2-4 of 10; the first two minutes are
warm-up: JIT tiers, pools, the GC settling on its budgets) against the last fifth (minutes 8-10), and on the slope of
a straight line fitted to every sample after the warm-up. Nothing fails on it: the figures are for a person.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402


# --------------------------------------------------------------------------------------------------------------
# sampling
# --------------------------------------------------------------------------------------------------------------

TCP_STATES = {"01": "established", "06": "time_wait", "08": "close_wait"}


def tcp_counts(ports: dict[str, int]) -> dict[str, dict[str, int]]:
    """Sockets whose local port is one of ports, by state: a server's accepted connections (and ones left behind)."""
    by_port = {port: name for name, port in ports.items()}
    out = {name: {s: 0 for s in TCP_STATES.values()} for name in ports}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split(None, 4)
                    port = int(parts[1].rsplit(":", 1)[1], 16)
                    if port in by_port and parts[3] in TCP_STATES:
                        out[by_port[port]][TCP_STATES[parts[3]]] += 1
        except OSError:
            continue
    return out


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, RssAnon, RssFile, VmHWM (kB) and Threads of one process; its open file descriptors."""
    got: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM", "Threads"):
                    got[key] = int(value.split()[0])
        got["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        pass
    return got


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def read_counters(path: Path, interval: float, load_start_wall: float) -> list[dict]:
    """dotnet-counters' CSV -> one row per refresh: GC heap after the last collection, committed memory, allocation
    rate, collections and pause time in the interval; t is seconds since the load started."""
    rows: dict[float, dict] = {}
    try:
        lines = path.read_text().splitlines()[1:]
    except OSError:
        return []
    for line in lines:
        parts = line.split(",")
        if len(parts) < 5:
            continue
        try:
            stamp = time.mktime(time.strptime(parts[0], "%m/%d/%Y %H:%M:%S"))
            value = float(parts[-1])
        except ValueError:
            continue
        name = ",".join(parts[2:-2])
        row = rows.setdefault(stamp, {"t": round(stamp - load_start_wall, 1), "heap_mb": 0.0})
        base = name.split(" ", 1)[0]
        tag = name[name.find("[") + 1:name.find("]")] if "[" in name else ""
        gen = tag.split("=", 1)[1] if tag.startswith("gc.heap.generation=") else None
        if base == "dotnet.gc.last_collection.heap.size":
            row["heap_mb"] = round(row["heap_mb"] + value / 2**20, 1)
            if gen:
                row[f"{gen}_mb"] = round(value / 2**20, 1)
        elif base == "dotnet.gc.last_collection.heap.fragmentation.size" and gen == "gen2":
            row["gen2_fragmentation_mb"] = round(value / 2**20, 1)
        elif base == "dotnet.gc.last_collection.memory.committed_size":
            row["committed_mb"] = round(value / 2**20, 1)
        elif base == "dotnet.gc.heap.total_allocated":
            row["alloc_mb_per_s"] = round(value / interval / 2**20, 2)
        elif base == "dotnet.gc.collections" and gen:
            row[f"{gen}_collections"] = int(value)
        elif base == "dotnet.gc.pause.time":
            row["gc_pause_pct"] = round(value / interval * 100, 2)
        elif base == "dotnet.process.memory.working_set":
            row["working_set_mb"] = round(value / 2**20, 1)
        elif base == "dotnet.timer.count":
            row["timers"] = int(value)
    out = sorted(rows.values(), key=lambda r: r["t"])
    totals = {"gen0": 0, "gen1": 0, "gen2": 0}
    for row in out:
        for gen in totals:
            totals[gen] += row.get(f"{gen}_collections", 0)
            row[f"{gen}_total"] = totals[gen]
    return out


# --------------------------------------------------------------------------------------------------------------
# analysis and report
# --------------------------------------------------------------------------------------------------------------

def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def slope_per_min(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, value) points, per minute."""
    if len(points) < 3:
        return None
    mx = mean([p[0] for p in points])
    my = mean([p[1] for p in points])
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx * 60


def analyse(result: dict) -> dict:
    duration = result["plan"]["duration_s"]
    samples = [s for s in result["samples"] if 0 < s["t"] <= duration + 1]
    a0, a1, b0, b1 = 0.2 * duration, 0.4 * duration, 0.8 * duration, duration + 1

    def window(series: list[dict], key: str, lo: float, hi: float) -> float | None:
        return mean([s[key] for s in series if lo <= s["t"] <= hi and s.get(key) is not None])

    out: dict = {"windows_s": {"warm": [0, a0], "early": [a0, a1], "late": [b0, duration]}}
    rss = {
        "start_mb": result["samples"][0]["meridian"]["rss_mb"] if result["samples"] else None,
        "early_mean_mb": window([{"t": s["t"], "v": s["meridian"]["rss_mb"]} for s in samples], "v", a0, a1),
        "late_mean_mb": window([{"t": s["t"], "v": s["meridian"]["rss_mb"]} for s in samples], "v", b0, b1),
        "max_mb": max((s["meridian"]["rss_mb"] for s in samples), default=None),
        "end_mb": samples[-1]["meridian"]["rss_mb"] if samples else None,
        "slope_after_warmup_mb_per_min": slope_per_min(
            [(s["t"], s["meridian"]["rss_mb"]) for s in samples if s["t"] >= a0]),
        "slope_last_3_min_mb_per_min": slope_per_min(
            [(s["t"], s["meridian"]["rss_mb"]) for s in samples if s["t"] >= duration - 180]),
    }
    if rss["early_mean_mb"] and rss["late_mean_mb"]:
        rss["late_minus_early_mb"] = rss["late_mean_mb"] - rss["early_mean_mb"]
        rss["late_minus_early_pct"] = rss["late_minus_early_mb"] / rss["early_mean_mb"] * 100
    out["rss"] = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in rss.items()}

    gc = [g for g in result.get("gc", []) if 0 < g["t"] <= duration + 1]
    if gc:
        g = {
            "early_heap_mean_mb": window(gc, "heap_mb", a0, a1),
            "late_heap_mean_mb": window(gc, "heap_mb", b0, b1),
            "max_heap_mb": max(x["heap_mb"] for x in gc),
            "heap_slope_after_warmup_mb_per_min": slope_per_min([(x["t"], x["heap_mb"]) for x in gc if x["t"] >= a0]),
            "early_gen2_mean_mb": window(gc, "gen2_mb", a0, a1),
            "late_gen2_mean_mb": window(gc, "gen2_mb", b0, b1),
            "early_committed_mean_mb": window(gc, "committed_mb", a0, a1),
            "late_committed_mean_mb": window(gc, "committed_mb", b0, b1),
            "alloc_mb_per_s_mean": window(gc, "alloc_mb_per_s", a0, b1),
            "gen0_collections": gc[-1].get("gen0_total"),
            "gen1_collections": gc[-1].get("gen1_total"),
            "gen2_collections": gc[-1].get("gen2_total"),
            "gc_pause_pct_mean": window(gc, "gc_pause_pct", a0, b1),
        }
        out["gc"] = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in g.items()}

    last = result["samples"][-1] if result["samples"] else {}
    progress = result.get("final_progress") or {}
    wrk = result.get("wrk") or {}
    completed = progress.get("ok", 0) + progress.get("bad_status", 0) + progress.get("incomplete", 0) \
        + progress.get("error_events", 0)
    out["load"] = {
        "streams_completed": completed,
        "streams_ok": progress.get("ok"),
        "bad_status": progress.get("bad_status"),
        "incomplete": progress.get("incomplete"),
        "error_events": progress.get("error_events"),
        "socket_errors": {k: v for k, v in (wrk.get("errors") or {}).items() if k != "status"},
        "streams_per_s": round(completed / duration, 1) if duration else None,
        "connections_mean_after_warmup": window(
            [{"t": s["t"], "v": s["connections"]["meridian"]["established"]} for s in samples], "v", a0, b1),
        "connections_min_after_warmup": min((s["connections"]["meridian"]["established"] for s in samples
                                             if s["t"] >= a0), default=None),
        "latency_us": wrk.get("latency_us"),
        "meridian_cpu_cores_mean": window([{"t": s["t"], "v": s["meridian"]["cpu_cores"]} for s in samples],
                                          "v", a0, b1),
        "simulator_cpu_cores_mean": window([{"t": s["t"], "v": s["simulator"]["cpu_cores"]} for s in samples],
                                           "v", a0, b1),
        "wrk_cpu_cores_mean": window([{"t": s["t"], "v": s["wrk"]["cpu_cores"]} for s in samples], "v", a0, b1),
        "foreign_cpu_cores_mean": window([{"t": s["t"], "v": s["foreign_cores"]} for s in samples], "v", a0, b1),
        "meridian_threads_end": last.get("meridian", {}).get("threads"),
        "meridian_fds_end": last.get("meridian", {}).get("fds"),
    }
    out["load"] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in out["load"].items()}

    # Verdict: the late window's mean within 5 % (and 16 MB) of the early one's, and no steady climb after warm-up.
    growth = out["rss"].get("late_minus_early_mb")
    slope = out["rss"].get("slope_after_warmup_mb_per_min")
    flat = growth is not None and slope is not None and growth <= max(16.0, 0.05 * out["rss"]["early_mean_mb"]) \
        and slope <= 1.0
    errors = (out["load"]["bad_status"] or 0) + (out["load"]["incomplete"] or 0) + (out["load"]["error_events"] or 0) \
        + sum(out["load"]["socket_errors"].values())
    heap_flat = None
    if "gc" in out and out["gc"].get("early_heap_mean_mb") and out["gc"].get("late_heap_mean_mb"):
        g = out["gc"]
        heap_flat = g["late_heap_mean_mb"] - g["early_heap_mean_mb"] <= max(8.0, 0.05 * g["early_heap_mean_mb"]) \
            and (g["heap_slope_after_warmup_mb_per_min"] or 0) <= 0.5
    out["verdict"] = {
        "flat": flat,
        "gc_heap_flat": heap_flat,
        "gc_heap_criterion": "GC heap after the last collection, late mean minus early mean <= max(8 MB, 5 %), and "
                             "its slope after the warm-up <= 0.5 MB/min",
        "criterion": "mean RSS of the last fifth of the run minus that of the second fifth <= max(16 MB, 5 %), and "
                     "the least-squares slope over everything after the first fifth <= 1 MB/min",
        "errors": errors,
    }
    return out


def fmt(v, digits: int = 1) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def render(result: dict, json_path: Path, out_dir: Path) -> None:
    a = result["analysis"]
    plan = result["plan"]
    m = result["machine"]
    load, rss, verdict = a["load"], a["rss"], a["verdict"]
    minutes = plan["duration_s"] / 60
    lines = [
        "# Meridian streaming soak — latest run",
        "",
        f"Run {result['started_at']}: {plan['connections']:,} concurrent streaming connections for "
        f"{minutes:g} min through `meridian serve --upstream` to `meridian simulate --token-delay-ms "
        f"{plan['token_delay_ms']} --first-token-delay-ms {plan['first_token_delay_ms']}`; each stream "
        f"`max_tokens {plan['max_tokens']}` = {plan['probe'].get('deltas', '?')} text deltas, "
        f"{fmt(plan['probe'].get('bytes'), 0)} bytes of SSE, {fmt(plan['probe'].get('seconds'), 2)} s for one stream "
        f"on its own (the simulator paces its deltas; Meridian's stream screener re-chunks them, so the client counts "
        f"fewer than the simulator sends). "
        f"Produced by `bench/harness/soak.py`; method in [bench/README.md](../README.md#soak). "
        f"Data: `{json_path.name}`.",
        "",
        f"Machine: {m['cpu_model']}, {m['cpus']} vCPU ({m['virtualization']}), {m['memory_gb']} GB, Linux "
        f"{m['kernel']}; .NET {m['aspnetcore_runtime']} ({m['dotnet_gc']} GC), {m['wrk']}; Meridian: "
        f"{m['meridian_build']}. Pinning: wrk on CPU {m['pinning']['loadgen_cpus'] or 'any'}, simulator and "
        f"Meridian on CPU {m['pinning']['server_cpus'] or 'any'}; niceness {m['nice']}.",
        "",
        f"**Verdict: RSS {'flat' if verdict['flat'] else 'NOT flat'}** — mean "
        f"{fmt(rss['early_mean_mb'])} MB over minutes {a['windows_s']['early'][0] / 60:g}–"
        f"{a['windows_s']['early'][1] / 60:g}, {fmt(rss['late_mean_mb'])} MB over minutes "
        f"{a['windows_s']['late'][0] / 60:g}–{a['windows_s']['late'][1] / 60:g} "
        f"({fmt(rss.get('late_minus_early_mb'), 1)} MB, {fmt(rss.get('late_minus_early_pct'), 1)} %); slope after "
        f"warm-up {fmt(rss['slope_after_warmup_mb_per_min'], 2)} MB/min, over the last 3 minutes "
        f"{fmt(rss['slope_last_3_min_mb_per_min'], 2)} MB/min. Criterion: {verdict['criterion']}. "
        f"Errors: {verdict['errors']}.",
    ]
    if "gc" in a and verdict.get("gc_heap_flat") is not None:
        g = a["gc"]
        lines += [
            "",
            f"**Managed heap {'flat' if verdict['gc_heap_flat'] else 'NOT flat'}** — GC heap after the last collection "
            f"{fmt(g['early_heap_mean_mb'])} MB early, {fmt(g['late_heap_mean_mb'])} MB late, slope "
            f"{fmt(g['heap_slope_after_warmup_mb_per_min'], 2)} MB/min; gen2 {fmt(g['early_gen2_mean_mb'])} → "
            f"{fmt(g['late_gen2_mean_mb'])} MB. Criterion: {verdict['gc_heap_criterion']}. A per-delta leak of managed "
            f"objects would show here first; RSS also moves with the GC's own decisions (committed segments, budgets).",
        ]
        last_gc = max((x["t"] for x in result.get("gc", [])), default=0)
        if last_gc < plan["duration_s"] - plan["interval_s"]:
            lines[-1] += (f" (dotnet-counters' series ends at t = {last_gc:.0f} s, so the late GC figures cover only "
                          f"part of the window.)")
    lines += [
        "",
        "| | |",
        "|---|---:|",
        f"| streams completed | {fmt(load['streams_completed'])} ({fmt(load['streams_per_s'])}/s) |",
        f"| of which complete and well-formed (`message_stop`) | {fmt(load['streams_ok'])} |",
        f"| non-2xx / 200 without `message_stop` / `event: error` | {fmt(load['bad_status'])} / "
        f"{fmt(load['incomplete'])} / {fmt(load['error_events'])} |",
        f"| socket errors (wrk: connect, read, write, timeout) | "
        + ", ".join(f"{k} {v}" for k, v in load["socket_errors"].items()) + " |",
        f"| connections established at Meridian, after warm-up: mean / min | "
        f"{fmt(load['connections_mean_after_warmup'], 0)} / {fmt(load['connections_min_after_warmup'])} |",
        f"| stream duration p50 / p99 / max (wrk) | "
        + (" / ".join(f"{load['latency_us'][k] / 1e6:.2f} s" for k in ("p50", "p99", "max"))
           if load.get("latency_us") else "–") + " |",
        f"| RSS at start (idle, after two probe streams) / max / at the end | {fmt(rss['start_mb'])} / {fmt(rss['max_mb'])} / "
        f"{fmt(rss['end_mb'])} MB |",
        f"| CPU after warm-up: Meridian / simulator / wrk / other work (cores) | "
        f"{fmt(load['meridian_cpu_cores_mean'], 2)} / {fmt(load['simulator_cpu_cores_mean'], 2)} / "
        f"{fmt(load['wrk_cpu_cores_mean'], 2)} / {fmt(load['foreign_cpu_cores_mean'], 2)} |",
        f"| Meridian threads / open fds at the end | {fmt(load['meridian_threads_end'])} / "
        f"{fmt(load['meridian_fds_end'])} |",
    ]
    if "gc" in a:
        g = a["gc"]
        lines += [
            f"| GC heap after last collection, mean early → late (max) | {fmt(g['early_heap_mean_mb'])} → "
            f"{fmt(g['late_heap_mean_mb'])} MB ({fmt(g['max_heap_mb'])} MB); slope "
            f"{fmt(g['heap_slope_after_warmup_mb_per_min'], 2)} MB/min |",
            f"| gen2 size early → late; GC committed early → late | {fmt(g['early_gen2_mean_mb'])} → "
            f"{fmt(g['late_gen2_mean_mb'])} MB; {fmt(g['early_committed_mean_mb'])} → "
            f"{fmt(g['late_committed_mean_mb'])} MB |",
            f"| allocation rate (mean after warm-up), collections gen0/gen1/gen2, GC pause | "
            f"{fmt(g['alloc_mb_per_s_mean'])} MB/s, {fmt(g['gen0_collections'])}/{fmt(g['gen1_collections'])}/"
            f"{fmt(g['gen2_collections'])}, {fmt(g['gc_pause_pct_mean'], 2)} % of wall time |",
        ]
    if result.get("error_samples"):
        lines += ["", "First bad answers (status, then the body's start):", "", "```",
                  result["error_samples"][:3000].rstrip(), "```"]

    gc_by_t = result.get("gc", [])

    def gc_at(t: float) -> dict:
        near = [g for g in gc_by_t if abs(g["t"] - t) <= plan["interval_s"] / 2 + 1]
        return min(near, key=lambda g: abs(g["t"] - t)) if near else {}

    lines += ["", "Over time (one row per sample; GC columns from dotnet-counters, the nearest refresh):", "",
              "| t (s) | RSS MB | anon MB | GC heap MB | gen2 MB | alloc MB/s | gen2 GCs | conns in | conns up | "
              "close-wait | streams done | streams/s | bad | Meridian CPU | other CPU |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in result["samples"]:
        g = gc_at(s["t"])
        lines.append(
            f"| {s['t']:.0f} | {s['meridian']['rss_mb']:.1f} | {fmt(s['meridian'].get('rss_anon_mb'))} | "
            f"{fmt(g.get('heap_mb'))} | {fmt(g.get('gen2_mb'))} | {fmt(g.get('alloc_mb_per_s'))} | "
            f"{fmt(g.get('gen2_total'))} | {s['connections']['meridian']['established']} | "
            f"{s['connections']['simulator']['established']} | {s['connections']['meridian']['close_wait']} | "
            f"{fmt(s['progress']['done'])} | {fmt(s['progress'].get('per_s'))} | {s['progress']['bad']} | "
            f"{s['meridian']['cpu_cores']:.2f} | {s['foreign_cores']:.2f} |")
    (out_dir / "soak-latest.md").write_text("\n".join(lines) + "\n")

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        h.warn("matplotlib is missing (use /usr/bin/python3): no plot")
        return
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 7), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    ts = [s["t"] / 60 for s in result["samples"]]
    ax1.plot(ts, [s["meridian"]["rss_mb"] for s in result["samples"]], "o-", ms=3, label="Meridian RSS")
    if gc_by_t:
        ax1.plot([g["t"] / 60 for g in gc_by_t], [g["heap_mb"] for g in gc_by_t], ".-", label="GC heap after last GC")
        ax1.plot([g["t"] / 60 for g in gc_by_t if "committed_mb" in g],
                 [g["committed_mb"] for g in gc_by_t if "committed_mb" in g], ".--", label="GC committed")
    for key, style in (("early", "green"), ("late", "red")):
        lo, hi = a["windows_s"][key]
        value = rss[f"{key}_mean_mb"]
        if value:
            ax1.hlines(value, lo / 60, hi / 60, colors=style, linewidth=3, label=f"mean RSS {key}: {value:.1f} MB")
    ax1.set_ylabel("MB")
    ax1.set_ylim(bottom=0)
    ax1.grid(alpha=0.3)
    ax1.legend(loc="lower right", fontsize=8)
    ax1.set_title(f"Meridian memory, {plan['connections']:,} concurrent streams "
                  f"({plan['probe'].get('deltas', '?')} deltas at {plan['token_delay_ms']} ms) — "
                  f"{'flat' if verdict['flat'] else 'NOT flat'}, slope {fmt(rss['slope_after_warmup_mb_per_min'], 2)} MB/min")
    ax2.plot(ts, [s["connections"]["meridian"]["established"] for s in result["samples"]], label="connections in")
    ax2.set_ylabel("connections")
    ax2.set_xlabel("minutes")
    ax2.grid(alpha=0.3)
    ax3 = ax2.twinx()
    ax3.plot(ts, [s["progress"].get("per_s") or 0 for s in result["samples"]], color="tab:orange", label="streams/s")
    ax3.set_ylabel("streams/s")
    ax2.legend(loc="lower left", fontsize=8)
    ax3.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / "soak-latest.png", dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------------------------

def raise_fd_limit() -> tuple[int, int]:
    """Soft open-file limit up to the hard one; every child inherits it (wrk and Meridian each hold 1,000+)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1_048_576
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def dotnet_tool(name: str) -> str | None:
    """A dotnet tool from bench/.work/tools (as profile.py installs them) or PATH; installed from NuGet if missing."""
    path = h.WORK / "tools" / name
    if path.exists():
        return str(path)
    if shutil.which(name):
        return shutil.which(name)
    h.log(f"installing {name} (dotnet tool, NuGet) into bench/.work/tools")
    done = subprocess.run(["dotnet", "tool", "install", "--tool-path", str(h.WORK / "tools"), name],
                          capture_output=True, text=True)
    if done.returncode != 0:
        h.warn(f"could not install {name}: {done.stderr.strip()[-300:]}; GC figures will be missing")
        return None
    return str(path)


def probe_stream(port: int, body: bytes, headers: dict[str, str]) -> dict:
    client = h.RawClient(port, timeout=60)
    try:
        status, _, payload, _, _, total = client.request(h.raw_request(port, body, headers))
    finally:
        client.close()
    if status != 200 or b"event: message_stop" not in payload:
        raise ValueError(f"HTTP {status}: {payload[:300].decode(errors='replace')}")
    return {"bytes": len(payload), "deltas": payload.count(b"event: content_block_delta"), "seconds": round(total, 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=600, help="seconds of load (default 600)")
    ap.add_argument("--interval", type=float, default=10, help="seconds between samples (default 10)")
    ap.add_argument("--connections", type=int, default=1000, help="concurrent streaming connections (default 1000)")
    ap.add_argument("--max-tokens", type=int, default=64,
                    help="max_tokens per stream (default 64: 32 text deltas through Meridian, about 4.9 KB of SSE)")
    ap.add_argument("--token-delay-ms", type=int, default=80,
                    help="the simulator's delay between deltas (default 80: 0.2 + 31 x 0.08 = 2.7 s per stream, "
                         "so 1,000 connections ask for about 370 streams/s and 12,000 deltas/s)")
    ap.add_argument("--first-token-delay-ms", type=int, default=200, help="the simulator's delay before the first")
    ap.add_argument("--pin", choices=["auto", "none"], default="none",
                    help="none (default): every process on any CPU, so the servers have the whole machine and the "
                         "stream rate stays near the simulated pacing; auto: wrk on CPU 0, the simulator and Meridian "
                         "on the others, as harness.py")
    ap.add_argument("--quiet-wait", type=float, default=60,
                    help="seconds to wait at most for other work on the machine to settle before the load")
    ap.add_argument("--nice", type=int, default=int(os.environ.get("BENCH_NICE", "0")),
                    help="niceness of everything started (negative needs root); as harness.py")
    ap.add_argument("--no-counters", action="store_true", help="do not attach dotnet-counters (RSS from /proc only)")
    ap.add_argument("--meridian-dll", default=str(h.ROOT / "artifacts/bin/Meridian.Cli/release/meridian.dll"))
    ap.add_argument("--meridian-label", help="what the Meridian build is, for the results (default: the working tree)")
    ap.add_argument("--results", default=str(h.BENCH / "results"))
    ap.add_argument("--report", metavar="JSON", help="only re-render soak-latest.md/.png from a result file")
    args = ap.parse_args()

    out_dir = Path(args.results)
    if args.report:
        path = Path(args.report)
        result = json.loads(path.read_text())
        result["analysis"] = analyse(result)
        render(result, path, path.parent)
        h.log(f"rendered {path.parent / 'soak-latest.md'}")
        return 0

    h.NICE = args.nice
    dll = Path(args.meridian_dll)
    if not dll.exists():
        h.warn(f"{dll} is missing; build it first: dotnet build src/Meridian.Cli -c Release")
        return 2
    nofile = raise_fd_limit()
    if nofile[0] < 2 * args.connections + 1000:
        h.warn(f"open-file limit {nofile[0]} is low for {args.connections} connections (Meridian holds two per stream)")
    cpus = os.cpu_count() or 1
    loadgen_cpus = server_cpus = None
    if args.pin == "auto" and cpus >= 2 and shutil.which("taskset"):
        loadgen_cpus, server_cpus = "0", f"1-{cpus - 1}" if cpus > 2 else "1"
    plan = h.Plan(contenders=["meridian"], modes=["stream"], levels=[args.connections], duration=args.duration,
                  warmup=0, initial_warmup=0, rounds=1, ttfb_requests=0, max_tokens=args.max_tokens,
                  stream_max_tokens=args.max_tokens, loadgen_cpus=loadgen_cpus, server_cpus=server_cpus)

    scratch = Path(tempfile.mkdtemp(prefix="meridian-soak."))
    body_file = h.bodies(plan, scratch)["stream"]
    started_at = dt.datetime.now(dt.timezone.utc)
    result: dict = {
        "schema": 1,
        "kind": "soak",
        "started_at": started_at.isoformat(timespec="seconds"),
        "machine": {**h.machine_info(plan, dll, args.meridian_label), "open_file_limit": list(nofile)},
        "plan": {"duration_s": args.duration, "interval_s": args.interval, "connections": args.connections,
                 "max_tokens": args.max_tokens, "token_delay_ms": args.token_delay_ms,
                 "first_token_delay_ms": args.first_token_delay_ms, "wrk_timeout_s": 30},
        "samples": [],
        "gc": [],
    }
    h.log(f"soak: {args.connections} streams at once for {args.duration:g} s, max_tokens {args.max_tokens}, deltas "
          f"{args.token_delay_ms} ms apart after {args.first_token_delay_ms} ms; sampling every {args.interval:g} s; "
          f"open-file limit {nofile[0]}")

    upstream = gateway = None
    wrk = counters = None
    try:
        up_port, gw_port = h.free_port(), h.free_port()
        upstream = h.start("simulator", h.pinned(server_cpus, [
            "dotnet", str(dll), "simulate", "--port", str(up_port), "--token-delay-ms", str(args.token_delay_ms),
            "--first-token-delay-ms", str(args.first_token_delay_ms)]), up_port, scratch)
        gateway = h.start("meridian", h.pinned(server_cpus, [
            "dotnet", str(dll), "serve", "--upstream", f"http://127.0.0.1:{up_port}", "--demo-key", h.MERIDIAN_KEY,
            "--admin-token", h.MERIDIAN_ADMIN_TOKEN, "--data", str(scratch / "meridian-data"), "--port",
            str(gw_port)]), gw_port, scratch, env={"MERIDIAN_UPSTREAM_API_KEY": h.UPSTREAM_KEY})
        if not (h.wait_listening(upstream, 60) and h.wait_listening(gateway, 60)):
            h.warn("the simulator or Meridian did not start:\n" + h.tail(upstream.log_path) + h.tail(gateway.log_path))
            return 1
        result["plan"]["quotas"] = h.lift_quotas(gw_port)
        h.log(f"meridian: {result['plan']['quotas']}")
        headers = {"x-api-key": h.MERIDIAN_KEY}
        for attempt in range(20):
            try:
                probe_stream(gw_port, body_file.read_bytes(), headers)
                # The second one, warm, tells how long a stream takes when nothing else is going on.
                result["plan"]["probe"] = probe_stream(gw_port, body_file.read_bytes(), headers)
                break
            except (OSError, ValueError) as ex:
                if attempt == 19:
                    h.warn(f"Meridian does not stream: {ex}")
                    return 1
                time.sleep(0.25)
        probe = result["plan"]["probe"]
        h.log(f"probe: one stream = {probe['deltas']} deltas, {probe['bytes']} bytes, {probe['seconds']:.2f} s "
              f"=> {args.connections} connections ~ {args.connections / probe['seconds']:.0f} streams/s")

        # Before dotnet-counters starts: its --duration counts from its own start.
        if args.quiet_wait > 0:
            busy = h.wait_for_quiet(args.quiet_wait)
            result["machine"]["busy_cores_before_load"] = round(busy, 2)
            if busy >= 0.3:
                h.warn(f"the machine is still busy ({busy:.2f} cores of other work); starting anyway")
        pid = gateway.proc.pid
        if not args.no_counters:
            tool = dotnet_tool("dotnet-counters")
            if tool:
                # It ends by itself shortly after the load (a signal can lose the rows it has not flushed yet).
                span = int(args.duration + 2 * args.interval + 10)
                counters = subprocess.Popen(
                    [tool, "collect", "-p", str(pid), "--refresh-interval", f"{args.interval:g}", "--format", "csv",
                     "-o", str(scratch / "counters.csv"), "--counters", "System.Runtime", "--duration",
                     f"{span // 86400:02d}:{span % 86400 // 3600:02d}:{span % 3600 // 60:02d}:{span % 60:02d}"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                    start_new_session=True)
                time.sleep(2)

        progress_path, errors_path, wrk_out = scratch / "progress.json", scratch / "errors.txt", scratch / "wrk.json"
        env = {**os.environ, "BENCH_BODY_FILE": str(body_file), "BENCH_OUT": str(wrk_out),
               "BENCH_PROGRESS": str(progress_path), "BENCH_ERRORS": str(errors_path),
               "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in headers.items())}
        groups = {"meridian": gateway, "simulator": upstream}

        def cpu_now(pids: list[int]) -> float:
            return h.cpu_seconds(pids)

        prev: dict = {}

        def sample(t: float, wrk_pid: int | None) -> dict:
            now = time.monotonic()
            pids = {name: s.pids() for name, s in groups.items()}
            pids["wrk"] = [wrk_pid] if wrk_pid else []
            # dotnet-counters' own CPU is ours too, not other work on the machine.
            pids["dotnet-counters"] = [counters.pid] if counters is not None and counters.poll() is None else []
            cpu = {name: cpu_now(p) for name, p in pids.items()}
            busy, steal, _ = h.system_cpu()
            prog = read_json(progress_path) or {}
            done = sum(prog.get(k, 0) for k in ("ok", "bad_status", "incomplete", "error_events"))
            bad = done - prog.get("ok", 0)
            elapsed = now - prev["at"] if prev else None
            row = {"t": round(t, 1), "progress": {"done": done, "bad": bad,
                                                  "per_s": round((done - prev["done"]) / elapsed, 1)
                                                  if prev and elapsed else None}}
            for name, p in pids.items():
                if name == "dotnet-counters":
                    continue
                status = proc_status(p[0]) if p else {}
                row[name] = {
                    "rss_mb": round(h.rss_bytes(p) / 2**20, 1),
                    "cpu_cores": round((cpu[name] - prev["cpu"].get(name, cpu[name])) / elapsed, 3)
                    if prev and elapsed else 0.0,
                }
                if name != "wrk":
                    row[name].update({"rss_anon_mb": round(status.get("RssAnon", 0) / 1024, 1),
                                      "rss_file_mb": round(status.get("RssFile", 0) / 1024, 1),
                                      "hwm_mb": round(status.get("VmHWM", 0) / 1024, 1),
                                      "threads": status.get("Threads"), "fds": status.get("fds")})
            ours = sum(cpu.values())
            row["foreign_cores"] = round(max(0.0, (busy - prev["busy"]) - (ours - prev["ours"])) / elapsed, 3) \
                if prev and elapsed else 0.0
            row["steal_cores"] = round((steal - prev["steal"]) / elapsed, 3) if prev and elapsed else 0.0
            row["connections"] = tcp_counts({"meridian": gw_port, "simulator": up_port})
            prev.update({"at": now, "done": done, "cpu": cpu, "busy": busy, "steal": steal, "ours": ours})
            return row

        # t = 0: idle, after start-up and two probe streams.
        result["samples"].append(sample(0.0, None))
        h.log(f"t=0: Meridian RSS {result['samples'][0]['meridian']['rss_mb']:.1f} MB (idle)")
        argv = h.pinned(loadgen_cpus, ["wrk", "-t1", f"-c{args.connections}", f"-d{round(args.duration)}s",
                                       "--timeout", "30s", "-s", str(h.HERE / "soak.lua"),
                                       f"http://127.0.0.1:{gw_port}/v1/messages"])
        wrk_log = open(scratch / "wrk.log", "wb")
        load_start, load_start_wall = time.monotonic(), time.time()
        wrk = subprocess.Popen(argv, env=env, stdout=wrk_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               start_new_session=True)
        wrk_log.close()
        h.prioritize(wrk.pid)
        k = 1
        while True:
            target = load_start + k * args.interval
            while time.monotonic() < target and wrk.poll() is None:
                time.sleep(min(0.2, max(0.0, target - time.monotonic())))
            if wrk.poll() is not None:
                break
            row = sample(time.monotonic() - load_start, wrk.pid)
            result["samples"].append(row)
            h.log(f"t={row['t']:5.0f}s  RSS {row['meridian']['rss_mb']:6.1f} MB  conns "
                  f"{row['connections']['meridian']['established']:5d} in / "
                  f"{row['connections']['simulator']['established']:5d} up  streams {row['progress']['done']:7d} "
                  f"({row['progress']['per_s'] or 0:6.1f}/s, bad {row['progress']['bad']})  CPU meridian "
                  f"{row['meridian']['cpu_cores']:.2f} sim {row['simulator']['cpu_cores']:.2f} wrk "
                  f"{row['wrk']['cpu_cores']:.2f} other {row['foreign_cores']:.2f}")
            k += 1
        wrk.wait()
        result["wrk"] = read_json(wrk_out)
        if result["wrk"] is None:
            h.warn("wrk failed:\n" + (scratch / "wrk.log").read_text(errors="replace")[-1000:])
        result["wrk_console"] = (scratch / "wrk.log").read_text(errors="replace")[-2000:]
        result["final_progress"] = read_json(progress_path)
        if errors_path.exists():
            result["error_samples"] = errors_path.read_text(errors="replace")[:8000]
        # After the load: the connections close; what memory does Meridian give back when idle?
        time.sleep(args.interval)
        after = sample(time.monotonic() - load_start, None)
        after["after_load"] = True
        result["after_load"] = after
        h.log(f"{args.interval:g} s after the load: RSS {after['meridian']['rss_mb']:.1f} MB, connections "
              f"{after['connections']['meridian']['established']}")
        result["meridian_log_tail"] = h.tail(gateway.log_path, 30)
        result["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        if counters is not None:
            try:
                counters.wait(timeout=3 * args.interval + 30)
            except subprocess.TimeoutExpired:
                os.killpg(counters.pid, signal.SIGINT)
                counters.wait(timeout=15)
            result["gc"] = read_counters(scratch / "counters.csv", args.interval, load_start_wall)
    finally:
        for proc in (wrk, counters):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for s in (gateway, upstream):
            if s is not None:
                h.stop(s)

    result["analysis"] = analyse(result)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / ("soak-" + started_at.strftime("%Y%m%dT%H%M%SZ") + ".json")
    out.write_text(json.dumps(result, indent=1) + "\n")
    render(result, out, out_dir)
    shutil.rmtree(scratch, ignore_errors=True)
    a = result["analysis"]
    h.log(f"results: {out} and soak-latest.md")
    h.log(f"RSS start {a['rss']['start_mb']} MB, early mean {a['rss']['early_mean_mb']} MB, late mean "
          f"{a['rss']['late_mean_mb']} MB, max {a['rss']['max_mb']} MB, slope after warm-up "
          f"{a['rss']['slope_after_warmup_mb_per_min']} MB/min; {a['load']['streams_completed']} streams, "
          f"errors {a['verdict']['errors']}; {'flat' if a['verdict']['flat'] else 'NOT flat'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
