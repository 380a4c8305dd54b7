#!/usr/bin/env python3
"""Profiles Meridian under a steady load: the simulator upstream, `meridian serve --upstream`, wrk; three phases.

    python3 bench/harness/profile.py [--mode nonstream|stream] [--connections 32] [--seconds 15]
                                     [--meridian-dll PATH] [--out DIR]

  1. dotnet-counters: CPU, allocation rate, GC counts, thread pool, lock contention (counters.csv), with the
     requests/s of the same window, so bytes allocated per request is a division away.
  2. perf (if installed): on-CPU samples of the gateway process with JIT symbols (DOTNET_PerfMapEnabled=1);
     perf-buckets.txt (samples attributed to the parts of the request path, see perf_buckets.py),
     perf-self.txt (self time by symbol) and perf-children.txt (inclusive).
  3. dotnet-trace gc-verbose: allocation samples (AllocationTick, every ~100 KB) with types and stacks
     (alloc.nettrace; open in PerfView or summarize with TraceEvent).

dotnet-counters and dotnet-trace are installed from NuGet into bench/.work/tools when missing. Same pinning as the
harness: wrk on CPU 0, simulator and gateway on the other CPUs. Everything on loopback, bounded in time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

TOOLS = h.WORK / "tools"


def tool(name: str) -> str | None:
    path = TOOLS / name
    if path.exists():
        return str(path)
    if shutil.which(name):
        return shutil.which(name)
    h.log(f"installing {name} (dotnet tool, NuGet) into bench/.work/tools")
    done = subprocess.run(["dotnet", "tool", "install", "--tool-path", str(TOOLS), name], capture_output=True, text=True)
    if done.returncode != 0:
        h.warn(f"could not install {name}: {done.stderr.strip()[-300:]}")
        return None
    return str(path)


def summarize_counters(path: Path, rps: float, since: float) -> list[str]:
    """Medians over the window of the counters that explain a request's cost, per second and per request."""
    series: dict[str, list[float]] = {}
    for line in path.read_text().splitlines()[1:]:
        parts = line.split(",")
        try:
            stamp = time.mktime(time.strptime(parts[0], "%m/%d/%Y %H:%M:%S"))
        except (ValueError, IndexError):
            continue
        if stamp < since:
            continue
        if len(parts) >= 5:
            try:
                series.setdefault(parts[2], []).append(float(parts[-1]))
            except ValueError:
                pass

    def med(prefix: str) -> float | None:
        values = [v for name, vs in series.items() if name.startswith(prefix) for v in vs[1:-1]]
        return statistics.median(values) if values else None

    alloc = med("dotnet.gc.heap.total_allocated")
    user, system = med("dotnet.process.cpu.time (s / 1 sec)[cpu.mode=user]"), med("dotnet.process.cpu.time (s / 1 sec)[cpu.mode=system]")
    gen0 = med("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen0]")
    pause, jit = med("dotnet.gc.pause.time"), med("dotnet.jit.compilation.time")
    lines = [f"counters over the same window ({rps:,.0f} req/s):"]
    if alloc is not None:
        lines.append(f"  allocated: {alloc / 2**20:,.1f} MB/s = {alloc / rps / 1024:,.1f} KB per request")
    if user is not None and system is not None:
        lines.append(f"  CPU: {user + system:.2f} cores (user {user:.2f}, system {system:.2f}) = "
                     f"{(user + system) / rps * 1e6:,.0f} µs per request")
    if gen0 is not None:
        lines.append(f"  gen0 collections: {gen0:.1f}/s")
    if pause is not None:
        lines.append(f"  GC pause: {pause * 100:.2f} % of wall time")
    if jit is not None:
        lines.append(f"  JIT: {jit * 100:.2f} % of wall time (non-zero means still warming up)")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["nonstream", "stream"], default="nonstream")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--nice", type=int, default=0, help="as for harness.py: niceness of everything started")
    ap.add_argument("--contender", choices=["meridian", "yarp"], default="meridian",
                    help="profile Meridian, or the bare YARP proxy as the reference for the same buckets")
    ap.add_argument("--yarp-dll", default=str(h.ROOT / "artifacts/bin/BareYarp/release/BareYarp.dll"))
    ap.add_argument("--meridian-dll", default=str(h.ROOT / "artifacts/bin/Meridian.Cli/release/meridian.dll"))
    ap.add_argument("--out", default=str(h.WORK / "profile"))
    ap.add_argument("--phases", default="counters,perf,trace",
                    help="which of counters, perf, trace to run (perf alone keeps a run short on a busy machine)")
    args = ap.parse_args()

    h.NICE = args.nice
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cpus = os.cpu_count() or 1
    loadgen, servers = ("0", "1" if cpus == 2 else f"1-{cpus - 1}") if cpus >= 2 else (None, None)
    plan = h.Plan(contenders=["meridian"], modes=[args.mode], levels=[args.connections], duration=args.seconds,
                  warmup=0, initial_warmup=0, rounds=1, ttfb_requests=0, max_tokens=16, stream_max_tokens=16,
                  loadgen_cpus=loadgen, server_cpus=servers)
    scratch = Path(tempfile.mkdtemp(prefix="meridian-profile."))
    body = h.bodies(plan, scratch)[args.mode]
    dll = args.meridian_dll
    up_port, gw_port = h.free_port(), h.free_port()
    upstream = h.start("upstream", h.pinned(servers, ["dotnet", dll, "simulate", "--port", str(up_port)]), up_port,
                       scratch)
    # Perf map for JIT symbols; W^X off, or JIT code shows up as "memfd:doublemapper" that perf cannot name.
    diag_env = {"DOTNET_PerfMapEnabled": "1", "DOTNET_EnableWriteXorExecute": "0"}
    if args.contender == "yarp":
        gateway = h.start("yarp", h.pinned(servers, [
            "dotnet", args.yarp_dll, "--port", str(gw_port), "--upstream", f"http://127.0.0.1:{up_port}"]),
            gw_port, scratch, env=diag_env)
        headers = {"x-api-key": h.UPSTREAM_KEY}
    else:
        gateway = h.start("meridian", h.pinned(servers, [
            "dotnet", dll, "serve", "--upstream", f"http://127.0.0.1:{up_port}", "--demo-key", h.MERIDIAN_KEY,
            "--admin-token", h.MERIDIAN_ADMIN_TOKEN, "--data", str(scratch / "data"), "--port", str(gw_port)]),
            gw_port, scratch,
            env={"MERIDIAN_UPSTREAM_API_KEY": h.UPSTREAM_KEY, **diag_env})
        headers = {"x-api-key": h.MERIDIAN_KEY}
    summary_lines = []

    def load(label: str, seconds: float) -> dict | None:
        res, wrk_cpu, err = h.run_wrk(gw_port, body, headers, args.connections, seconds, loadgen, scratch / "w.json")
        if res is None:
            h.warn(f"wrk failed during {label}: {err[-300:]}")
            return None
        rps = (res["requests"] - res["errors"]["status"]) / (res["duration_us"] / 1e6)
        line = f"{label}: {rps:,.0f} req/s, p50 {res['latency_us']['p50']} µs, p99 {res['latency_us']['p99']} µs"
        h.log(line)
        summary_lines.append(line)
        return res

    try:
        if not (h.wait_listening(upstream, 60) and h.wait_listening(gateway, 60)):
            h.warn("the simulator or the gateway did not start:\n" + h.tail(gateway.log_path) + h.tail(upstream.log_path))
            return 1
        pid = gateway.proc.pid
        if args.contender == "meridian":
            h.log(f"quotas: {h.lift_quotas(gw_port)}")
        # Long enough for tiered compilation to settle (on a busy 2-vCPU box the background JIT lags behind).
        h.log(f"gateway pid {pid}; warm-up {args.warmup} s ({args.mode}, {args.connections} connections)")
        load("warm-up", args.warmup)
        load("baseline (no profiler)", args.seconds)

        phases = set(args.phases.split(","))
        counters = tool("dotnet-counters") if "counters" in phases else None
        if counters:
            proc = subprocess.Popen([counters, "collect", "-p", str(pid), "--refresh-interval", "1", "--format", "csv",
                                     "-o", str(out / "counters.csv"), "--counters",
                                     "System.Runtime,Microsoft.AspNetCore.Hosting,System.Net.Http",
                                     "--duration", f"00:00:{(args.seconds + 9) // 60:02d}:{(args.seconds + 9) % 60:02d}"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
            # Turning the counters on makes the runtime compile the newly enabled instrumentation paths; that burst
            # is left out of the window that is summarized.
            load("dotnet-counters warm-up", 6)
            counters_from = time.time()
            res = load("with dotnet-counters", args.seconds)
            proc.wait(timeout=60)
            if res is not None and (out / "counters.csv").exists():
                rps = (res["requests"] - res["errors"]["status"]) / (res["duration_us"] / 1e6)
                summary_lines.extend(summarize_counters(out / "counters.csv", rps, counters_from))
                print("\n".join(summary_lines[-8:]))

        if "perf" not in phases:
            pass
        elif shutil.which("perf"):
            proc = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(pid), "-o", str(out / "perf.data"),
                                     "--", "sleep", str(args.seconds)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            res = load("with perf record", args.seconds)
            proc.wait(timeout=60)
            served = res["requests"] if res else None
            for name, extra in [("perf-self.txt", ["--no-children"]), ("perf-children.txt", ["--children"])]:
                with open(out / name, "w") as f:
                    subprocess.run(["perf", "report", "-i", str(out / "perf.data"), "--stdio", "--sort", "dso,symbol",
                                    "-g", "none", "--percent-limit", "0.3", *extra], stdout=f, stderr=subprocess.DEVNULL)
            buckets = subprocess.run([sys.executable, str(h.HERE / "perf_buckets.py"), str(out / "perf.data")]
                                     + (["--requests", str(served)] if served else []), capture_output=True, text=True)
            (out / "perf-buckets.txt").write_text(buckets.stdout)
            print(buckets.stdout)
            summary_lines.append(buckets.stdout)
            # The JIT's symbol map is what makes managed frames readable; keep it with the data.
            if Path(f"/tmp/perf-{pid}.map").exists():
                shutil.copy(f"/tmp/perf-{pid}.map", out / f"perf-{pid}.map")
        else:
            h.warn("perf is not installed; no CPU profile (apt-get install linux-perf)")

        trace = tool("dotnet-trace") if "trace" in phases else None
        if trace:
            proc = subprocess.Popen([trace, "collect", "-p", str(pid), "--profile", "gc-verbose",
                                     "-o", str(out / "alloc.nettrace"), "--duration", f"00:00:00:{args.seconds:02d}"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
            load("with dotnet-trace gc-verbose", args.seconds)
            proc.wait(timeout=120)
    finally:
        h.stop(gateway)
        h.stop(upstream)
        for pid_map in Path("/tmp").glob(f"perf-{gateway.proc.pid}.map"):
            pid_map.unlink(missing_ok=True)
        shutil.rmtree(scratch, ignore_errors=True)

    (out / "summary.txt").write_text("\n".join(summary_lines) + "\n")
    h.log(f"profile written to {out}: summary.txt, counters.csv, perf-buckets.txt, perf-self.txt, perf-children.txt, alloc.nettrace")
    return 0


if __name__ == "__main__":
    sys.exit(main())
