#!/usr/bin/env python3
# Issue 15: RSS of a gateway before, during and after six parallel 30 MB request bodies (bench/PROFILE.md,
# "Memory after large requests"). Usage: bench/harness/large-bodies-memory.py artifacts/bin/Meridian.Cli/release/meridian.dll
#
# The gateway charges each read body 8x its bytes (what its request costs on the heap) against a budget of 1 GiB by
# default (BodyMemoryBudget, GatewayOptions.BodyBytesInFlight; README "Limits"): four 30 MB bodies fit at once, and a
# body that would go past the budget is answered 529 at once. So of six sent together, four are read, counted and
# refused 400 "prompt is too long", and two get 529 - unless one of the first four ended before they were read.
import json, os, subprocess, sys, time, threading, urllib.request, shutil
from collections import Counter

port = 18555
data = "/tmp/meridian-mem"
shutil.rmtree(data, ignore_errors=True)
key = "mk-memtest1-Zq7vR2pLx9TcW4nB8sKd3fHy"
dll = sys.argv[1]
proc = subprocess.Popen(["dotnet", dll, "serve", "--port", str(port), "--data", data, "--demo-key", key],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def rss():
    with open(f"/proc/{proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) // 1024
def wait_ready():
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1); return
        except Exception: time.sleep(0.2)
    raise SystemExit("not ready")
wait_ready()
# one small request to warm up
def post(body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/messages", data=body, method="POST",
        headers={"content-type": "application/json", "x-api-key": key})
    try:
        with urllib.request.urlopen(req, timeout=300) as r: return r.status
    except urllib.error.HTTPError as e: return e.code
post(json.dumps({"model":"claude-sonnet-5","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}).encode())
time.sleep(2)
print("before", rss(), "MB")
text = ("Ordinary prose, words and sentences of the kind people send to a model. " * 420000)[:30_000_000]
body = json.dumps({"model":"claude-sonnet-5","max_tokens":16,"messages":[{"role":"user","content":text}]}).encode()
BUDGET = 1024 * 1024 * 1024  # GatewayOptions.BodyBytesInFlight's default
CHARGE = 8                   # BodyMemoryBudget.HeapBytesPerBodyByte
print("body", len(body)//1_000_000, "MB, charged", CHARGE * len(body)//1_000_000, "MB against a budget of",
      BUDGET // (1024 * 1024), "MiB:", BUDGET // (CHARGE * len(body)), "fit at once")
peak = [0]; stop = [False]
def sample():
    while not stop[0]:
        peak[0] = max(peak[0], rss()); time.sleep(0.05)
t = threading.Thread(target=sample); t.start()
statuses = []
threads = [threading.Thread(target=lambda: statuses.append(post(body))) for _ in range(6)]
start = time.time()
for th in threads: th.start()
for th in threads: th.join()
stop[0] = True; t.join()
MEANING = {400: "read, counted, refused as too long", 529: "over the body budget, refused at once"}
print("statuses", sorted(statuses), "in", round(time.time()-start,1), "s:",
      "; ".join(f"{n} x {code} ({MEANING.get(code, 'unexpected')})" for code, n in sorted(Counter(statuses).items())))
print("peak", peak[0], "MB")
for wait in (5, 30, 60):
    time.sleep(wait - (5 if wait==30 else 30 if wait==60 else 0))
    print(f"after {wait}s", rss(), "MB")
proc.terminate(); proc.wait()
