#!/usr/bin/env python3
"""Attributes the on-CPU samples of a `perf record -g` of the gateway to the parts of the request path.

    python3 bench/harness/perf_buckets.py perf.data [--requests N]   (needs /tmp/perf-<pid>.map for managed names)

With --requests (the requests served while perf recorded), each part is also given in CPU µs per request.

Each sample goes to the deepest frame of its stack (leaf first) that matches a bucket, so time spent in
System.Text.Json under StreamEventParser counts as "upstream answer read", a send() under Kestrel as socket I/O,
and an allocation helper (and any GC it triggers) as the part that allocated. Samples that match nothing are
split into JIT, runtime (GC, thread pool, stubs; libcoreclr has no symbols here), kernel and other.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter

# Deepest match wins; the order only breaks ties within one frame.
BUCKETS = [
    ("upstream answer read (SseReader, StreamEventParser, MessageJsonReader)",
     r"Meridian\.Protocol\.Streaming\.(SseReader|StreamEventParser|MessageJsonReader)"),
    ("response re-serialization (AnthropicJsonWriter, SseFraming, SseEventWriter, MessageAggregate)",
     r"Meridian\.Protocol\.Streaming\.(AnthropicJsonWriter|SseFraming|SseEventWriter|MessageAggregate|AggregatedBlock|AggregatedTextBlock)"),
    ("upstream body (RewriteBody before, Body now)", r"AnthropicHttpBackend(::|\.)(RewriteBody|Body)\b"),
    ("request parse + validation (MessagesRequestParser)", r"Meridian\.Protocol\.Messages\.(MessagesRequestParser|TokenCounter|ContentText)"),
    ("request body read (RequestBody)", r"Meridian\.Gateway\.DataPlane\.RequestBody"),
    ("key auth (ApiKeyHasher HMAC, lookup)", r"ApiKeyHasher|ApiKeyAuthenticator"),
    ("request ids (RandomNumberGenerator)", r"Meridian\.Gateway\.Http\.RequestIds"),
    ("receipt signing (Ed25519, canonical JSON)", r"ReceiptSigner|ReceiptCanonicalJson|NSec\.|libsodium"),
    ("metering (admission, quotas, budgets, usage)", r"Meridian\.Gateway\.Metering|Meridian\.Core\.Billing"),
    ("safeguards (screening)", r"Meridian\.Safeguards"),
    ("boundary routing (router, health, snapshot)", r"Meridian\.Gateway\.Routing|Meridian\.Gateway\.Backends\.BackendRegistry|Meridian\.Core\.Marketplace\.Boundary"),
    ("receipt log (ReceiptLogWriter, Merkle hashing)", r"ReceiptLogWriter|Meridian\.Core\.Receipts\.Merkle"),
    ("receipts + ledger (RecordWriter, SQLite)",
     r"RecordWriter|ReceiptWriter|ReceiptStore|UsageLedger|CaseStore|MultiRowInsert|PreparedStatements|Microsoft\.Data\.Sqlite|SQLitePCL|libe_sqlite3"),
    ("telemetry (Activity, OpenTelemetry, DiagnosticsHandler, metrics)",
     r"OpenTelemetry|System\.Diagnostics\.Activity|DiagnosticsHandler|HostingApplicationDiagnostics|System\.Diagnostics\.Metrics|DiagnosticListener"),
    ("YARP forwarder (HttpForwarder, transforms)", r"Yarp\.ReverseProxy"),
    ("socket I/O (send/recv, epoll)", r"System\.Net\.Sockets"),
    ("HttpClient to the upstream (System.Net.Http)", r"System\.Net\.Http"),
    ("Kestrel HTTP/1.1 server", r"Microsoft\.AspNetCore\.Server\.Kestrel"),
    ("ASP.NET Core routing, middleware, endpoint", r"Microsoft\.AspNetCore\.(Routing|Http|Builder)|Meridian\.Gateway\.Http\.ErrorHandlingMiddleware"),
    ("rest of the Meridian handler (MessagesEndpoint, routing snapshot)", r"Meridian\."),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in BUCKETS]
FILE_CALLS = re.compile(r"^(__)?(pwrite64|pread64|pwrite|pread|fsync|fdatasync|ftruncate|lseek|__libc_pwrite|__libc_pread)\b")
SOCKET_CALLS = re.compile(r"^(__)?(send|recv|sendmsg|recvmsg|sendto|recvfrom|epoll_wait|epoll_ctl|read|write|readv|writev|__libc_(read|write|send|recv))\b")


def samples(perf_data: str):
    """Yields (period in ns, stack as a list of (symbol, dso), leaf first) for each sample."""
    proc = subprocess.Popen(["perf", "script", "-i", perf_data, "-F", "period,ip,sym,dso"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, errors="replace")
    stack: list[tuple[str, str]] = []
    period = 0
    for line in proc.stdout:
        line = line.rstrip("\n")
        if not line.strip():
            if stack:
                yield period, stack
            stack = []
            continue
        if line.strip().isdigit():
            period = int(line.strip())
            continue
        m = re.match(r"\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$", line)
        if m:
            stack.append((m.group(2), m.group(3)))
    if stack:
        yield period, stack
    proc.wait()


def classify(stack: list[tuple[str, str]]) -> str:
    for sym, dso in stack:
        text = sym + " " + dso
        for name, pattern in COMPILED:
            if pattern.search(text):
                return name
    # libc has no frame pointers, so a syscall's user stack often ends at the libc wrapper.
    for sym, dso in stack:
        if "libc.so" in dso and SOCKET_CALLS.match(sym):
            return "socket I/O (send/recv, epoll)"
        if "libc.so" in dso and FILE_CALLS.match(sym):
            # Nothing else on the request path touches files: this is SQLite writing the receipts' WAL.
            return "receipts (ReceiptWriter, SQLite)"
    # Same for OpenSSL: the stack stops inside libcrypto, so the caller (the key's HMAC, RandomNumberGenerator for
    # request ids, HttpClient never: the upstream is plain HTTP) is not visible.
    if any("libcrypto" in dso or "libssl" in dso for _, dso in stack[:3]):
        return "OpenSSL (HMAC-SHA256 of the API key, RandomNumberGenerator for ids)"
    sym, dso = stack[0]
    if "libc.so" in dso and len(stack) > 1 and "libcoreclr" in stack[1][1]:
        return "runtime: GC, thread pool, stubs (no symbols)"
    if "libclrjit" in dso:
        return "JIT compiler (tiering still at work)"
    if "libcoreclr" in dso:
        return "runtime: GC, thread pool, stubs (no symbols)"
    if "kernel" in dso:
        return "kernel: scheduler, interrupts (no user stack)"
    return "other (libc, libcrypto, unattributed)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("perf_data")
    ap.add_argument("--requests", type=int, help="requests served while perf recorded")
    args = ap.parse_args()
    counts: Counter[str] = Counter()
    cpu_ns: Counter[str] = Counter()
    total = 0
    for period, stack in samples(args.perf_data):
        bucket = classify(stack)
        counts[bucket] += 1
        cpu_ns[bucket] += period
        total += 1
    if not total:
        print("no samples", file=sys.stderr)
        return 1
    all_ns = sum(cpu_ns.values())
    per_request = f", {all_ns / 1e3 / args.requests:.0f} µs of CPU per request" if args.requests else ""
    print(f"{total} on-CPU samples of the process ({all_ns / 1e9:.2f} s of CPU{per_request}); "
          "each attributed to the deepest matching frame")
    for name, n in counts.most_common():
        us = f"  {cpu_ns[name] / 1e3 / args.requests:6.1f} µs/req" if args.requests else ""
        print(f"{100 * n / total:6.1f} %{us}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
