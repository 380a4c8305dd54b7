#!/usr/bin/env bash
# The load harness (./build.sh bench): installs what it needs, builds Meridian and the bare YARP proxy, then runs
# harness.py, which measures every contender in one interleaved run and writes bench/results/<timestamp>.json,
# latest.md and latest.png. Every option is passed on to harness.py:
#
#   ./build.sh bench                          quick profile (~6 minutes)
#   ./build.sh bench --profile full           3 rounds of 10 s per cell (~20 minutes)
#   ./build.sh bench --contenders direct,yarp,meridian --modes nonstream --concurrency 1,32 --duration 10
#   ./build.sh bench --help
#
# Environment:
#   BENCH_SKIP_INSTALL=1   install nothing (no apt-get, no npm); contenders whose tools are missing are skipped
#   BENCH_SKIP_BUILD=1     use the assemblies already under artifacts/bin
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH="$(dirname "$HERE")"
ROOT="$(dirname "$BENCH")"
PORTKEY_VERSION="1.15.2"
PORTKEY_DIR="$BENCH/.work/portkey"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '==> %s\n' "$*"; }
warn() { printf 'bench: %s\n' "$*" >&2; }
die() {
  printf 'bench: error: %s\n' "$*" >&2
  exit 1
}

for arg in "$@"; do
  if [[ "$arg" == "-h" || "$arg" == "--help" ]]; then
    exec python3 "$HERE/harness.py" --help
  fi
done

apt_install() {
  local -a sudo=()
  if [[ $EUID -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      warn "cannot install $* (not root, no passwordless sudo)"
      return 1
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || {
    warn "cannot install $* (no apt-get)"
    return 1
  }
  log "installing $* (apt-get)"
  # policy-rc.d keeps the nginx package from starting the system service; the harness runs its own instance.
  local created_policy=0 rc=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
  } </dev/null || rc=$?
  if [[ $created_policy -eq 1 ]]; then
    "${sudo[@]}" rm -f /usr/sbin/policy-rc.d
  fi
  return $rc
}

# Python: the one that has matplotlib (Debian's python3-matplotlib lives under /usr/bin/python3).
pick_python() {
  local candidate
  for candidate in /usr/bin/python3 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import matplotlib' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  command -v python3 >/dev/null 2>&1 && echo python3
}

ensure_tools() {
  local -a missing=()
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
  /usr/bin/python3 -c 'import matplotlib' 2>/dev/null || missing+=(python3-matplotlib)
  if [[ ${#missing[@]} -gt 0 && "${BENCH_SKIP_INSTALL:-}" != "1" ]]; then
    apt_install "${missing[@]}" || warn "could not install ${missing[*]}; continuing without"
  fi
  command -v wrk >/dev/null 2>&1 || die "wrk is required (apt-get install wrk)"
  command -v taskset >/dev/null 2>&1 || warn "taskset missing: nothing will be pinned"

  # The peer gateway lives in a bench-local folder that is not committed (bench/.gitignore).
  local entry="$PORTKEY_DIR/node_modules/@portkey-ai/gateway/build/start-server.js"
  if [[ ! -f "$entry" && "${BENCH_SKIP_INSTALL:-}" != "1" ]]; then
    if command -v npm >/dev/null 2>&1; then
      log "installing @portkey-ai/gateway@$PORTKEY_VERSION into bench/.work/portkey (npm)"
      mkdir -p "$PORTKEY_DIR"
      [[ -f "$PORTKEY_DIR/package.json" ]] || printf '{"name":"bench-peers","private":true}\n' >"$PORTKEY_DIR/package.json"
      (cd "$PORTKEY_DIR" && timeout 300 npm install --no-audit --no-fund "@portkey-ai/gateway@$PORTKEY_VERSION" \
        >"$PORTKEY_DIR/npm-install.log" 2>&1 </dev/null) ||
        warn "npm install of the Portkey gateway failed (log: $PORTKEY_DIR/npm-install.log); it will be skipped"
    else
      warn "npm is not installed; the Portkey gateway will be skipped"
    fi
  fi
}

build() {
  command -v dotnet >/dev/null 2>&1 || die "the .NET SDK (dotnet) is not on PATH"
  mkdir -p "$ROOT/artifacts"
  local project logfile
  local -a projects=(src/Meridian.Cli bench/BareYarp)
  # --meridian-dll PATH: measure a Meridian built elsewhere (a snapshot, another commit); build only BareYarp.
  [[ " $* " == *" --meridian-dll "* ]] && projects=(bench/BareYarp)
  for project in "${projects[@]}"; do
    logfile="$ROOT/artifacts/bench-build-$(basename "$project").log"
    log "building $project (Release)"
    if ! (cd "$ROOT" && dotnet build "$project" -c Release -nologo -v q) >"$logfile" 2>&1 </dev/null; then
      grep -E 'error|Error' "$logfile" | sort -u | head -20 >&2 || true
      die "building $project failed (log: $logfile)"
    fi
  done
}

ensure_tools
[[ "${BENCH_SKIP_BUILD:-}" == "1" ]] || build "$@"
PYTHON="$(pick_python)" || die "python3 is required"
exec "$PYTHON" "$HERE/harness.py" "$@"
