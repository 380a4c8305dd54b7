#!/usr/bin/env python3
"""Meridian load harness: the simulator as the upstream, five contenders in front of it, measured in one run.

Started by bench/harness/run.sh (./build.sh bench), which builds what is needed first. Everything listens on
127.0.0.1; every load is bounded by a fixed duration. See bench/README.md for the method.

Contenders (all in front of the same upstream process, under the same load, interleaved cell by cell):
  direct    wrk -> simulator (the floor)
  yarp      wrk -> bench/BareYarp (YARP MapReverseProxy, no policy) -> simulator
  meridian  wrk -> meridian serve --upstream (auth, routing, metering, receipts) -> simulator
  nginx     wrk -> nginx, 1 worker, keep-alive upstream -> simulator
  portkey   wrk -> Portkey gateway 1.15.2 (Node) -> simulator

The result is one JSON file (bench/results/<UTC timestamp>.json); report.py turns it into latest.md and latest.png.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

MODEL = "claude-sonnet-5"
# Any key is accepted by the simulator, but it requires one.
UPSTREAM_KEY = "bench-upstream-key"
# Shaped like a Meridian data-plane key (mk-<8 hex>-<secret>); registered as the demo tenant's key at start.
MERIDIAN_KEY = "mk-0be4c400-bench_harness_key_not_a_secret_00"
# Operator token for the admin API (to lift the demo deployment's quota); loopback only, gone with the scratch data.
MERIDIAN_ADMIN_TOKEN = "mat-0be4c400-bench_harness_admin_not_a_secret"
# The demo seed's deployment (src/Meridian.Storage/Control/DemoSeed.cs).
DEMO_DEPLOYMENT = "dep_demo"

# The initial warm-up per contender and mode: a 3 s one left Meridian's JIT tiering into its first measured cell (one
# connection: p99 75 ms where a warm process shows 4-5 ms); from 10 s on the cold tail is gone.
PROFILES = {
    # ~6 minutes with all five contenders: 2 modes x 3 levels x 5 contenders x (1 s warm-up + 5 s measured).
    "quick": {"duration": 5.0, "warmup": 1.0, "initial_warmup": 10.0, "rounds": 1, "ttfb_requests": 300},
    # ~22 minutes: the figures to publish (median of three interleaved rounds of 10 s).
    "full": {"duration": 10.0, "warmup": 2.0, "initial_warmup": 15.0, "rounds": 3, "ttfb_requests": 1000},
}
ALL_CONTENDERS = ["direct", "yarp", "meridian", "nginx", "portkey"]


def log(message: str) -> None:
    print(f"==> {message}", flush=True)


def warn(message: str) -> None:
    print(f"harness: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------------------
# /proc accounting
# --------------------------------------------------------------------------------------------------------------

def descendants(pid: int) -> list[int]:
    """pid and every process below it (nginx's workers, a wrapper's child)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2:].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (threads included)
    return total / CLK_TCK


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except OSError:
            continue
    return total


def hwm_bytes(pids: list[int]) -> int:
    """Sum of each process's own lifetime peak RSS (VmHWM)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def system_cpu() -> tuple[float, float, float]:
    """(busy, steal, total) seconds over all CPUs since boot."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (parts + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq
    total = busy + idle + iowait + steal
    return busy / CLK_TCK, steal / CLK_TCK, total / CLK_TCK


class RssSampler:
    """Samples the summed RSS of some process trees every 100 ms; keeps the peak of each."""

    def __init__(self, groups: dict[str, list[int]]):
        self.groups = groups
        self.peak = {name: 0 for name in groups}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            for name, pids in self.groups.items():
                self.peak[name] = max(self.peak[name], rss_bytes(pids))
            if self._stop.wait(0.1):
                return


# --------------------------------------------------------------------------------------------------------------
# processes
# --------------------------------------------------------------------------------------------------------------

NICE = 0


def prioritize(pid: int) -> None:
    """Applies --nice to a process we started. Each runs in its own session, and with autogroup scheduling (the
    default on most kernels) niceness only counts inside a session's group, so the group's nice is set too."""
    if not NICE:
        return
    try:
        os.setpriority(os.PRIO_PROCESS, pid, NICE)
        with open(f"/proc/{pid}/autogroup", "w") as f:
            f.write(str(NICE))
    except OSError as ex:
        warn(f"could not renice {pid} to {NICE}: {ex}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(cpus: str | None, argv: list[str]) -> list[str]:
    return (["taskset", "-c", cpus] if cpus else []) + argv


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen | None = None
    log_path: Path | None = None
    headers: dict[str, str] = field(default_factory=dict)
    notes: str = ""
    skipped: str | None = None
    modes_failed: dict[str, str] = field(default_factory=dict)
    probe: dict[str, dict] = field(default_factory=dict)

    def pids(self) -> list[int]:
        return descendants(self.proc.pid) if self.proc and self.proc.poll() is None else []


def start(name: str, argv: list[str], port: int, logs: Path, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> Server:
    log_path = logs / f"{name}.log"
    out = open(log_path, "wb")
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env={**os.environ, **(env or {})}, cwd=cwd, start_new_session=True)
    out.close()
    prioritize(proc.pid)
    return Server(name, port, proc, log_path)


def stop(server: Server) -> None:
    proc = server.proc
    if proc is None or proc.poll() is not None:
        return
    # The child leads its own session, so this reaches nginx's workers too and nothing else.
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def wait_listening(server: Server, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc and server.proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def tail(path: Path | None, lines: int = 15) -> str:
    if path is None or not path.exists():
        return ""
    text = path.read_text(errors="replace").splitlines()
    return "\n".join("    " + line for line in text[-lines:] if not line.startswith("    at "))


# --------------------------------------------------------------------------------------------------------------
# HTTP over a raw socket (probes and time to first byte): no client library between us and the bytes
# --------------------------------------------------------------------------------------------------------------

class RawClient:
    def __init__(self, port: int, timeout: float = 10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self) -> None:
        self.sock.close()

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk

    def _take_line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def request(self, raw: bytes, marker: bytes | None = None) -> tuple[int, dict, bytes, float, float | None, float]:
        """Sends one request; returns status, headers, body, time to first byte, time to marker, total (seconds)."""
        t0 = time.perf_counter()
        self.sock.sendall(raw)
        self._fill()
        t_first = time.perf_counter() - t0
        t_marker = None
        status = int(self._take_line().split()[1])
        headers: dict[str, str] = {}
        while (line := self._take_line()):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self._take_line().split(b";")[0], 16)
                if size == 0:
                    self._take_line()
                    break
                body += self._take(size)
                self._take(2)
                if marker is not None and t_marker is None and marker in body:
                    t_marker = time.perf_counter() - t0
        else:
            body = self._take(int(headers.get("content-length", "0")))
            if marker is not None and marker in body:
                t_marker = time.perf_counter() - t0
        return status, headers, body, t_first, t_marker, time.perf_counter() - t0


def raw_request(port: int, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST /v1/messages HTTP/1.1", f"Host: 127.0.0.1:{port}", "Content-Type: application/json",
             "anthropic-version: 2023-06-01", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


# --------------------------------------------------------------------------------------------------------------
# load
# --------------------------------------------------------------------------------------------------------------

def run_wrk(port: int, body_file: Path, headers: dict[str, str], connections: int, seconds: float,
            cpus: str | None, out: Path) -> tuple[dict | None, float, str]:
    """Runs wrk once; returns its JSON summary (None on failure), its own CPU seconds and its stderr."""
    env = {**os.environ, "BENCH_BODY_FILE": str(body_file), "BENCH_OUT": str(out),
           "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in headers.items())}
    argv = pinned(cpus, ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
                         "-s", str(HERE / "request.lua"), f"http://127.0.0.1:{port}/v1/messages"])
    if out.exists():
        out.unlink()
    console = out.with_suffix(".log")
    with open(console, "wb") as sink:
        proc = subprocess.Popen(argv, env=env, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    prioritize(proc.pid)
    # wait4 gives wrk's own CPU time: the check that the generator is not the bottleneck.
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    text = console.read_text(errors="replace")
    if proc.returncode != 0 or not out.exists():
        return None, cpu, text
    return json.loads(out.read_text()), cpu, text


@dataclass
class Plan:
    contenders: list[str]
    modes: list[str]
    levels: list[int]
    duration: float
    warmup: float
    initial_warmup: float
    rounds: int
    ttfb_requests: int
    max_tokens: int
    stream_max_tokens: int
    loadgen_cpus: str | None
    server_cpus: str | None
    prompt_chars: int = 0


# Ordinary prose with nothing for the safeguards to find: a longer prompt makes screening and parsing do real work.
FILLER = ("The committee reviewed the quarterly figures and agreed that the new onboarding flow reduced support "
          "tickets. Next steps: migrate the remaining tenants, publish the changelog, and schedule a retrospective. ")


def prompt(chars: int) -> str:
    """The request's user text: "Say hello.", padded with neutral prose to about `chars` characters when asked."""
    text = "Say hello."
    while len(text) < chars:
        text += " " + FILLER
    return text[:max(chars, len("Say hello."))]


def bodies(plan: Plan, scratch: Path) -> dict[str, Path]:
    out = {}
    for mode in plan.modes:
        body = {"model": MODEL, "max_tokens": plan.stream_max_tokens if mode == "stream" else plan.max_tokens,
                "messages": [{"role": "user", "content": prompt(plan.prompt_chars)}]}
        if mode == "stream":
            body["stream"] = True
        path = scratch / f"body-{mode}.json"
        path.write_text(json.dumps(body, separators=(",", ":")))
        out[mode] = path
    return out


def probe(server: Server, mode: str, body: bytes) -> str | None:
    """One request through the contender: None when it answers as the protocol says, else why not."""
    try:
        client = RawClient(server.port)
        try:
            status, headers, payload, *_ = client.request(raw_request(server.port, body, server.headers))
        finally:
            client.close()
    except (OSError, ValueError, IndexError) as ex:
        return f"probe failed: {ex}"
    if status != 200:
        return f"HTTP {status}: {payload[:200].decode(errors='replace')}"
    if mode == "stream":
        if b"event: message_stop" not in payload:
            return "the stream did not end with message_stop"
        server.probe[mode] = {"bytes": len(payload), "deltas": payload.count(b"event: content_block_delta"),
                              "content_type": headers.get("content-type")}
    else:
        try:
            message = json.loads(payload)
        except ValueError:
            return "the answer is not JSON"
        if message.get("type") != "message":
            return "the answer is not a message"
        server.probe[mode] = {"bytes": len(payload), "output_tokens": message.get("usage", {}).get("output_tokens")}
    return None


def lift_quotas(port: int) -> str:
    """Raises the demo deployment's quotas to the maximum through the admin API.

    A deployment starts at 600 requests/minute, which a load test passes in a fraction of a second; the quota check
    itself still runs on every request, only its limit is out of the way. (Tenants carry budgets only, and the demo
    tenant has none.) Returns what was done, for the results.
    """
    import urllib.error
    import urllib.request

    body = json.dumps({"rpm": 1_000_000, "input_tpm": 1_000_000_000, "output_tpm": 1_000_000_000}).encode()
    done = []
    for path in (f"/admin/v1/deployments/{DEMO_DEPLOYMENT}/limits",):
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method="PUT", headers={
            "Authorization": f"Bearer {MERIDIAN_ADMIN_TOKEN}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                done.append(f"PUT {path}: {response.status}")
        except urllib.error.HTTPError as ex:
            # A build without limits (404/405) has nothing to lift.
            done.append(f"PUT {path}: {ex.code}")
        except OSError as ex:
            done.append(f"PUT {path}: {ex}")
    return "; ".join(done)


def measure_cell(server: Server, upstream: Server, mode: str, level: int, plan: Plan, body_file: Path,
                 scratch: Path) -> dict:
    out = scratch / "wrk.json"
    if plan.warmup > 0:
        run_wrk(server.port, body_file, server.headers, level, plan.warmup, plan.loadgen_cpus, out)

    own = [] if server.name == "direct" else server.pids()
    up = upstream.pids()
    c0, u0 = cpu_seconds(own), cpu_seconds(up)
    b0, s0, t0 = system_cpu()
    wall0 = time.monotonic()
    with RssSampler({"contender": own or up, "upstream": up}) as rss:
        summary, wrk_cpu, err = run_wrk(server.port, body_file, server.headers, level, plan.duration,
                                        plan.loadgen_cpus, out)
    wall = time.monotonic() - wall0
    c1, u1 = cpu_seconds(own), cpu_seconds(up)
    b1, s1, t1 = system_cpu()
    cell: dict = {"contender": server.name, "mode": mode, "connections": level}
    if summary is None:
        cell["error"] = "wrk failed: " + err.strip()[-300:]
        return cell
    secs = summary["duration_us"] / 1e6
    reqs = summary["requests"]
    errors = summary["errors"]
    good = max(0, reqs - errors["status"])
    contender_cpu = (c1 - c0) if own else (u1 - u0)
    ours = (c1 - c0 if own else 0) + (u1 - u0) + wrk_cpu
    cell.update({
        "requests": reqs,
        "seconds": round(secs, 3),
        "rps": round(good / secs, 1),
        "bytes_per_response": round(summary["bytes"] / reqs, 1) if reqs else 0,
        "errors": errors,
        "latency_us": summary["latency_us"],
        "cpu": {
            # Contender's own CPU; for "direct" there is no contender, so the upstream's is shown.
            "contender_cores": round(contender_cpu / wall, 3),
            "contender_us_per_request": round(contender_cpu / good * 1e6, 1) if good else None,
            "upstream_cores": round((u1 - u0) / wall, 3),
            "upstream_us_per_request": round((u1 - u0) / good * 1e6, 1) if good else None,
            "loadgen_cores": round(wrk_cpu / wall, 3),
            # Everything else on the machine during the window (other builds, the VM): the noise indicator.
            "foreign_cores": round(max(0.0, (b1 - b0) - ours) / wall, 3),
            "steal_cores": round((s1 - s0) / wall, 3),
        },
        "rss_mb": {"contender_peak": round(rss.peak["contender"] / 2**20, 1),
                   "upstream_peak": round(rss.peak["upstream"] / 2**20, 1)},
    })
    return cell


def ttfb(server: Server, body: bytes, requests: int, cpus: str | None) -> dict:
    """Sequential streaming requests on one connection: time to first byte and to the first text delta."""
    if cpus:
        os.sched_setaffinity(0, {int(c) for c in expand_cpus(cpus)})
    firsts, deltas, totals = [], [], []
    client = RawClient(server.port)
    try:
        raw = raw_request(server.port, body, server.headers)
        for _ in range(20):  # unmeasured: wake the contender's threads and pools after it sat idle
            client.request(raw)
        for _ in range(requests):
            status, _, _, t_first, t_delta, t_total = client.request(raw, marker=b"content_block_delta")
            if status != 200:
                raise ValueError(f"HTTP {status}")
            firsts.append(t_first * 1e6)
            totals.append(t_total * 1e6)
            if t_delta is not None:
                deltas.append(t_delta * 1e6)
    finally:
        client.close()
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    return {"first_byte_us": firsts, "first_delta_us": deltas, "total_us": totals}


def expand_cpus(spec: str) -> list[str]:
    out = []
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += [str(i) for i in range(int(a), int(b) + 1)]
        elif part:
            out.append(part)
    return out


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


# --------------------------------------------------------------------------------------------------------------
# machine
# --------------------------------------------------------------------------------------------------------------

def command_output(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        return (done.stdout + done.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def wait_for_quiet(limit: float, threshold: float = 0.3) -> float:
    """Waits (at most limit seconds) until the machine's busy CPU over 2 s is below threshold cores.

    Other work on a shared box (a build, a test run) moves every figure; starting in a quiet moment helps, and the
    per-cell foreign-CPU figure in the results tells what happened afterwards. Returns the last busy reading.
    """
    deadline = time.monotonic() + limit
    busy = 0.0
    last_log = 0.0
    while True:
        b0, _, _ = system_cpu()
        time.sleep(2)
        b1, _, _ = system_cpu()
        busy = (b1 - b0) / 2
        if busy < threshold or time.monotonic() >= deadline:
            return busy
        if time.monotonic() - last_log >= 10:
            last_log = time.monotonic()
            log(f"waiting for a quieter machine: {busy:.2f} cores busy (up to {max(0, deadline - time.monotonic()):.0f} s more)")


def wrk_version() -> str:
    if not shutil.which("wrk"):
        return ""
    found = re.search(r"(\d+\.\d+\.\d+)", command_output(["wrk", "-v"]))
    return f"wrk {found.group(1)}" if found else "wrk"


def machine_info(plan: Plan, meridian_dll: Path, label: str | None) -> dict:
    cpu_model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    runtimes = command_output(["dotnet", "--list-runtimes"]).splitlines()
    aspnet = [r.split()[1] for r in runtimes if r.startswith("Microsoft.AspNetCore.App")]
    gc = json.loads(meridian_dll.with_suffix(".runtimeconfig.json").read_text())["runtimeOptions"] \
        .get("configProperties", {}).get("System.GC.Server", False)
    git = command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = bool(command_output(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"]))
    return {
        "cpu_model": cpu_model,
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "virtualization": command_output(["systemd-detect-virt"]) or "unknown",
        "load_average_at_start": os.getloadavg(),
        "dotnet_sdk": command_output(["dotnet", "--version"]),
        "aspnetcore_runtime": aspnet[-1] if aspnet else "",
        "dotnet_gc": "server" if gc else "workstation (concurrent)",
        "wrk": wrk_version(),
        "nginx": command_output(["nginx", "-v"]).replace("nginx version: ", "") if shutil.which("nginx") else "",
        "node": command_output(["node", "--version"]) if shutil.which("node") else "",
        "python": platform.python_version(),
        "git_commit": git + (" (src/ has uncommitted changes)" if dirty else ""),
        "meridian_build": label or ("working tree at " + git + (", src/ modified" if dirty else "")),
        "meridian_dll": str(meridian_dll.relative_to(ROOT)) if meridian_dll.is_relative_to(ROOT) else str(meridian_dll),
        "pinning": {"loadgen_cpus": plan.loadgen_cpus, "server_cpus": plan.server_cpus},
        "nice": NICE,
    }


# --------------------------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=sorted(PROFILES), default=os.environ.get("BENCH_PROFILE", "quick"))
    ap.add_argument("--duration", type=float, help="measured seconds per cell (profile default)")
    ap.add_argument("--warmup", type=float, help="warm-up seconds before each cell, not measured")
    ap.add_argument("--rounds", type=int, help="interleaved rounds; the report shows the median")
    ap.add_argument("--concurrency", default="1,32,256", help="connection counts, comma-separated")
    ap.add_argument("--modes", default="nonstream,stream", help="nonstream, stream or both")
    ap.add_argument("--contenders", default=",".join(ALL_CONTENDERS))
    ap.add_argument("--max-tokens", type=int, default=16, help="max_tokens of the non-streaming request")
    ap.add_argument("--prompt-chars", type=int, default=0,
                    help="pad the request's user text (\"Say hello.\") with neutral prose to this many characters")
    ap.add_argument("--stream-max-tokens", type=int, default=16,
                    help="max_tokens of the streaming request (the simulator sends about one delta per word)")
    ap.add_argument("--pin", choices=["auto", "none"], default="auto",
                    help="auto: wrk on CPU 0, upstream and contenders on the other CPUs (needs 2+ CPUs)")
    ap.add_argument("--meridian-dll", default=str(ROOT / "artifacts/bin/Meridian.Cli/release/meridian.dll"))
    ap.add_argument("--meridian-label", help="what the Meridian build is, for the results (default: the working tree)")
    ap.add_argument("--yarp-dll", default=str(ROOT / "artifacts/bin/BareYarp/release/BareYarp.dll"))
    ap.add_argument("--portkey-dir", default=str(WORK / "portkey"))
    ap.add_argument("--results", default=str(BENCH / "results"))
    ap.add_argument("--quiet-wait", type=float, default=30,
                    help="seconds to wait at most for other work on the machine to settle before measuring")
    ap.add_argument("--max-foreign", type=float, default=0.25,
                    help="a cell during which other work used more CPU cores than this is measured again")
    ap.add_argument("--retries", type=int, default=2, help="at most this many extra attempts per noisy cell")
    ap.add_argument("--noise-budget", type=float, default=60,
                    help="seconds the whole run may spend re-measuring noisy cells")
    ap.add_argument("--nice", type=int, default=int(os.environ.get("BENCH_NICE", "0")),
                    help="scheduling niceness for the harness and everything it starts; a negative value (root) "
                         "keeps a busy shared machine's other work from taking the benchmark's CPU")
    ap.add_argument("--no-report", action="store_true")
    args = ap.parse_args()

    global NICE
    NICE = args.nice
    profile = PROFILES[args.profile]
    cpus = os.cpu_count() or 1
    loadgen_cpus = server_cpus = None
    if args.pin == "auto" and cpus >= 2 and shutil.which("taskset"):
        loadgen_cpus, server_cpus = "0", f"1-{cpus - 1}" if cpus > 2 else "1"
    plan = Plan(
        contenders=[c for c in args.contenders.split(",") if c],
        modes=[m for m in args.modes.split(",") if m],
        levels=[int(c) for c in args.concurrency.split(",") if c],
        duration=args.duration or profile["duration"],
        warmup=profile["warmup"] if args.warmup is None else args.warmup,
        initial_warmup=profile["initial_warmup"],
        rounds=args.rounds or profile["rounds"],
        ttfb_requests=profile["ttfb_requests"],
        max_tokens=args.max_tokens,
        stream_max_tokens=args.stream_max_tokens,
        prompt_chars=args.prompt_chars,
        loadgen_cpus=loadgen_cpus,
        server_cpus=server_cpus,
    )
    unknown = set(plan.contenders) - set(ALL_CONTENDERS)
    if unknown or "direct" not in plan.contenders:
        ap.error(f"contenders must include direct and be among {ALL_CONTENDERS}")
    if set(plan.modes) - {"nonstream", "stream"}:
        ap.error("modes: nonstream and/or stream")

    meridian_dll, yarp_dll = Path(args.meridian_dll), Path(args.yarp_dll)
    for dll in [meridian_dll] + ([yarp_dll] if "yarp" in plan.contenders else []):
        if not dll.exists():
            warn(f"{dll} is missing; run ./build.sh bench (it builds it)")
            return 2

    cells = len(plan.modes) * len(plan.levels) * len(plan.contenders) * plan.rounds
    estimate = cells * (plan.duration + plan.warmup + 0.5) \
        + len(plan.contenders) * len(plan.modes) * plan.initial_warmup + 30
    log(f"plan: {plan.contenders} x {plan.modes} x connections {plan.levels} x {plan.rounds} round(s), "
        f"{plan.duration:g} s measured after {plan.warmup:g} s warm-up per cell; about {estimate / 60:.1f} min")
    log(f"pinning: wrk on CPU {loadgen_cpus or 'any'}, upstream and contenders on CPU {server_cpus or 'any'}")

    scratch = Path(tempfile.mkdtemp(prefix="meridian-bench."))
    logs = scratch / "logs"
    logs.mkdir()
    body_files = bodies(plan, scratch)
    servers: dict[str, Server] = {}
    upstream: Server | None = None
    started_at = dt.datetime.now(dt.timezone.utc)
    results: dict = {
        "schema": 1,
        "started_at": started_at.isoformat(timespec="seconds"),
        "machine": machine_info(plan, meridian_dll, args.meridian_label),
        "plan": {k: v for k, v in plan.__dict__.items()},
        "profile": args.profile,
        "contenders": {},
        "cells": [],
        "ttfb": {},
    }
    try:
        # ---- upstream -------------------------------------------------------------------------------------
        port = free_port()
        upstream = start("upstream", pinned(server_cpus, ["dotnet", str(meridian_dll), "simulate", "--port",
                                                          str(port)]), port, logs)
        if not wait_listening(upstream, 60):
            warn("the simulator did not start:\n" + tail(upstream.log_path))
            return 1
        up_url = f"http://127.0.0.1:{port}"

        # ---- contenders -----------------------------------------------------------------------------------
        for name in plan.contenders:
            if name == "direct":
                servers[name] = Server("direct", port, None, headers={"x-api-key": UPSTREAM_KEY},
                                       notes="wrk straight to the simulator")
                continue
            p = free_port()
            if name == "yarp":
                s = start(name, pinned(server_cpus, ["dotnet", str(yarp_dll), "--port", str(p), "--upstream",
                                                     up_url]), p, logs)
                s.headers = {"x-api-key": UPSTREAM_KEY}
                s.notes = "bench/BareYarp: MapReverseProxy, one route, one destination, YARP defaults"
            elif name == "meridian":
                data = scratch / "meridian-data"
                s = start(name, pinned(server_cpus, [
                    "dotnet", str(meridian_dll), "serve", "--upstream", up_url, "--demo-key", MERIDIAN_KEY,
                    "--admin-token", MERIDIAN_ADMIN_TOKEN, "--data", str(data), "--port", str(p)]), p, logs,
                    env={"MERIDIAN_UPSTREAM_API_KEY": UPSTREAM_KEY})
                s.headers = {"x-api-key": MERIDIAN_KEY}
                s.notes = "meridian serve --upstream: key auth, deployment resolution, routing, metering, receipts"
            elif name == "nginx":
                if not shutil.which("nginx"):
                    servers[name] = Server(name, 0, skipped="nginx is not installed")
                    warn("skipping nginx: not installed (apt-get install nginx-light)")
                    continue
                prefix = scratch / "nginx"
                prefix.mkdir()
                conf = (BENCH / "nginx/nginx.conf.template").read_text() \
                    .replace("@PREFIX@", str(prefix)).replace("@UPSTREAM_PORT@", str(port)).replace("@PORT@", str(p))
                (prefix / "nginx.conf").write_text(conf)
                os.chmod(prefix, 0o755)
                s = start(name, pinned(server_cpus, ["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                                                     "-g", "daemon off;"]), p, logs)
                s.headers = {"x-api-key": UPSTREAM_KEY}
                s.notes = "nginx, 1 worker, proxy_buffering off, keepalive upstream pool"
            else:  # portkey
                entry = Path(args.portkey_dir) / "node_modules/@portkey-ai/gateway/build/start-server.js"
                if not entry.exists() or not shutil.which("node"):
                    servers[name] = Server(name, 0, skipped=f"Portkey is not installed ({entry} missing)")
                    warn("skipping portkey: not installed")
                    continue
                s = start(name, pinned(server_cpus, ["node", "--require", str(HERE / "loopback.cjs"), str(entry),
                                                     f"--port={p}", "--headless"]), p, logs, cwd=Path(args.portkey_dir))
                s.headers = {"x-api-key": UPSTREAM_KEY, "x-portkey-provider": "anthropic",
                             "x-portkey-custom-host": f"{up_url}/v1"}
                s.notes = "Portkey AI gateway 1.15.2 (npm), Node, anthropic provider with a custom host"
            servers[name] = s

        for name, s in servers.items():
            if s.skipped or name == "direct":
                continue
            if not wait_listening(s, 60):
                s.skipped = "did not start"
                warn(f"skipping {name}: it did not start\n{tail(s.log_path)}")
                stop(s)
        if "meridian" in servers and not servers["meridian"].skipped:
            lifted = lift_quotas(servers["meridian"].port)
            servers["meridian"].notes += f" (quotas lifted for the load: {lifted})"
            log(f"meridian: {lifted}")
        for name, s in servers.items():
            if s.skipped:
                continue
            for mode in plan.modes:
                why = None
                for _ in range(20):  # a fresh process may need a moment after it listens
                    why = probe(s, mode, body_files[mode].read_bytes())
                    if why is None:
                        break
                    time.sleep(0.25)
                if why is not None:
                    s.modes_failed[mode] = why
                    warn(f"skipping {name} ({mode}): {why}")
            if len(s.modes_failed) == len(plan.modes):
                s.skipped = "; ".join(f"{m}: {w}" for m, w in s.modes_failed.items())

        active = [n for n in plan.contenders if not servers[n].skipped]
        for name in plan.contenders:
            s = servers[name]
            results["contenders"][name] = {"notes": s.notes, "skipped": s.skipped,
                                           "modes_skipped": s.modes_failed, "probe": s.probe}

        # ---- warm-up: JIT tiers, connection pools -----------------------------------------------------------
        for mode in plan.modes:
            for name in active:
                if mode in servers[name].modes_failed:
                    continue
                log(f"warm-up {name} ({mode}, 32 connections, {plan.initial_warmup:g} s)")
                run_wrk(servers[name].port, body_files[mode], servers[name].headers, 32, plan.initial_warmup,
                        loadgen_cpus, scratch / "warm.json")

        # ---- measured cells, contenders interleaved ---------------------------------------------------------
        noise_deadline = time.monotonic() + args.noise_budget
        if args.quiet_wait > 0:
            busy = wait_for_quiet(args.quiet_wait)
            results["machine"]["busy_cores_before_measuring"] = round(busy, 2)
            if busy >= 0.3:
                warn(f"the machine is still busy ({busy:.2f} cores of other work); measuring anyway — expect noise")
        index = 0
        for rnd in range(plan.rounds):
            for mode in plan.modes:
                for level in plan.levels:
                    runnable = [n for n in active if mode not in servers[n].modes_failed]
                    # Rotate the order from cell to cell so no contender always runs first (or right after another).
                    shift = index % len(runnable)
                    index += 1
                    for name in runnable[shift:] + runnable[:shift]:
                        cell = measure_cell(servers[name], upstream, mode, level, plan, body_files[mode], scratch)
                        attempts = 1
                        # A cell that shared the machine with other work is measured again once things settle,
                        # within a bounded time budget; the quietest attempt is kept.
                        while ("error" not in cell and cell["cpu"]["foreign_cores"] > args.max_foreign
                               and attempts <= args.retries and time.monotonic() < noise_deadline):
                            log(f"{name} {mode} c={level}: {cell['cpu']['foreign_cores']:.2f} cores of other work "
                                f"during the window; measuring again")
                            busy = wait_for_quiet(min(20.0, max(0.0, noise_deadline - time.monotonic())),
                                                  args.max_foreign)
                            if busy >= args.max_foreign:
                                break  # still busy: measuring again would only repeat the noise
                            again = measure_cell(servers[name], upstream, mode, level, plan, body_files[mode], scratch)
                            attempts += 1
                            if "error" not in again and again["cpu"]["foreign_cores"] < cell["cpu"]["foreign_cores"]:
                                cell = again
                        cell["attempts"] = attempts
                        cell["round"] = rnd
                        results["cells"].append(cell)
                        if "error" in cell:
                            warn(f"{name} {mode} c={level}: {cell['error']}")
                            continue
                        lat = cell["latency_us"]
                        log(f"r{rnd} {mode:9s} c={level:<4d} {name:9s} {cell['rps']:>9.0f} req/s  "
                            f"p50 {lat['p50']:>7d} µs  p99 {lat['p99']:>7d} µs  "
                            f"cpu {cell['cpu']['contender_cores']:.2f}  wrk {cell['cpu']['loadgen_cores']:.2f}  "
                            f"foreign {cell['cpu']['foreign_cores']:.2f}"
                            + (f"  errors {cell['errors']}" if any(cell["errors"].values()) else ""))

        # ---- time to first byte, streaming, one connection -------------------------------------------------
        if "stream" in plan.modes:
            runnable = [n for n in active if "stream" not in servers[n].modes_failed]
            samples = {n: {"first_byte_us": [], "first_delta_us": [], "total_us": []} for n in runnable}
            blocks = 5
            for b in range(blocks):
                for name in runnable[b % len(runnable):] + runnable[:b % len(runnable)]:
                    try:
                        got = ttfb(servers[name], body_files["stream"].read_bytes(),
                                   max(1, plan.ttfb_requests // blocks), loadgen_cpus)
                    except (OSError, ValueError) as ex:
                        warn(f"time-to-first-byte probe of {name} failed: {ex}")
                        continue
                    for k, v in got.items():
                        samples[name][k] += v
            for name, s in samples.items():
                results["ttfb"][name] = {
                    k: {"n": len(v), "p50": percentile(v, 50), "p90": percentile(v, 90), "p99": percentile(v, 99)}
                    for k, v in s.items()}
            log("time to first byte (streaming, 1 connection, p50 µs): " + ", ".join(
                f"{n} {results['ttfb'][n]['first_byte_us']['p50']:.0f}" for n in results["ttfb"]))

        for name in active:
            s = servers[name] if name != "direct" else upstream
            results["contenders"][name]["peak_rss_mb_lifetime"] = round(hwm_bytes(s.pids()) / 2**20, 1)
        results["machine"]["load_average_at_end"] = os.getloadavg()
        results["finished_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    finally:
        for s in list(servers.values()) + ([upstream] if upstream else []):
            stop(s)
        for s in list(servers.values()) + ([upstream] if upstream else []):
            if s.proc is not None and s.proc.returncode not in (0, None, -15, 143) and s.log_path:
                warn(f"{s.name} exited with {s.proc.returncode}:\n{tail(s.log_path)}")

    out_dir = Path(args.results)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / (started_at.strftime("%Y%m%dT%H%M%SZ") + ".json")
    out.write_text(json.dumps(results, indent=1) + "\n")
    log(f"results: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    shutil.rmtree(scratch, ignore_errors=True)
    if not args.no_report:
        report = subprocess.run([sys.executable, str(HERE / "report.py"), str(out)])
        return report.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
