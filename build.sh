#!/usr/bin/env bash
# Meridian build driver.
#
#   ./build.sh build                 restore + build the solution (Release, warnings are errors)
#   ./build.sh test [--filter EXPR]  provision PostgreSQL/Redis/Chromium, build, run every test,
#                                    and end with one line: "N passed, M failed[, K skipped]"
#   ./build.sh bench [options]       load harness: Meridian vs direct, bare YARP, nginx, Portkey (bench/README.md),
#                                    then the pipeline benchmarks' allocation budgets; --pipeline: the budgets alone
#   ./build.sh fuzz [--seconds N]    bounded fuzzing of the parser, screener and SSE reader (README "Fuzzing")
#   ./build.sh services [-- CMD...]  start the private test services (for running tests from an IDE)
#
# Environment knobs for `test`:
#   MERIDIAN_SKIP_SERVICES=1         skip the apt/services step entirely (no private Postgres/Redis)
#   MERIDIAN_TEST_POSTGRES / MERIDIAN_TEST_REDIS / MERIDIAN_TEST_CHROMIUM / MERIDIAN_TEST_PROMETHEUS
#                                    when already set, that service is used as given and no private
#                                    instance is started for it
#   MERIDIAN_TEST_HANG_TIMEOUT       hang timeout passed to --blame-hang-timeout (default 20m)
#   MERIDIAN_TEST_PARALLEL=1         run test assemblies concurrently (default: one at a time)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

SOLUTION="Meridian.slnx"
CONFIG="Release"
RESULTS_DIR="$ROOT/artifacts/test-results"

export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DOTNET_GENERATE_ASPNET_CERTIFICATE=false
if [[ -n "${CI:-}" ]]; then
  # Lingering MSBuild nodes / build servers can hold the CI log pipe open after we exit.
  export MSBUILDDISABLENODEREUSE=1
  export DOTNET_CLI_USE_MSBUILD_SERVER=0
fi

log() { printf '==> %s\n' "$*"; }
warn() { printf 'build.sh: %s\n' "$*" >&2; }
die() {
  printf 'build.sh: error: %s\n' "$*" >&2
  exit 1
}

usage() {
  cat <<'EOF'
usage: ./build.sh <command> [options]

commands:
  build                  restore and build Meridian.slnx (Release; warnings are errors)
  test [--filter EXPR]   install/start test services (PostgreSQL, Redis, Chromium), build,
                         run all tests, print "N passed, M failed" as the last line
  bench [options]        load harness vs direct, bare YARP, nginx, Portkey; table + plot in
                         bench/results/ (see bench/README.md; --help for options); then the
                         pipeline's allocation budgets (exit 1 on a breach)
  bench --pipeline       only the allocation budgets of the pipeline benchmarks
  fuzz [--seconds N] [--target request|screener|sse]...
                         fuzz the request parser, the screener and the SSE reader for N seconds
                         in all (default 180); findings go to tests/data/fuzz/<target>/, which
                         `test` replays (FuzzRegressionTests); exits 1 when something was found

environment (test):
  MERIDIAN_SKIP_SERVICES=1   do not install or start PostgreSQL/Redis/Chromium
  MERIDIAN_TEST_POSTGRES, MERIDIAN_TEST_REDIS, MERIDIAN_TEST_CHROMIUM
                             pre-set values are used as-is (no private instance for that service)
EOF
}

require_dotnet() {
  command -v dotnet >/dev/null 2>&1 || die "the .NET SDK (dotnet) is not on PATH; install .NET SDK 10 (see global.json)"
}

dotnet_build() {
  require_dotnet
  log "restoring ($SOLUTION)"
  dotnet restore "$SOLUTION" || return $?
  log "building ($SOLUTION, $CONFIG)"
  dotnet build "$SOLUTION" -c "$CONFIG" --no-restore -nologo || return $?
}

shutdown_build_servers() {
  if [[ -n "${CI:-}" ]] && command -v dotnet >/dev/null 2>&1; then
    dotnet build-server shutdown >/dev/null 2>&1 || true
  fi
}

# ---------------------------------------------------------------------------
# services
# ---------------------------------------------------------------------------

RUN_DIR=""
PG_BIN=""
PG_DATA=""
PG_STARTED=0
REDIS_PIDFILE=""
REDIS_STARTED=0
WAIT_PID=""

find_pg_bin() {
  local d
  # Debian/Ubuntu layout first (newest major version wins), then PATH.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
      echo "$d"
      return 0
    fi
  done
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
    return 0
  fi
  return 1
}

apt_install() {
  # apt_install pkg... — installs with apt-get as root or through passwordless sudo.
  local -a pkgs=("$@") sudo=()
  if [[ $EUID -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      die "missing packages: ${pkgs[*]}. Install them (e.g. 'sudo apt-get install -y ${pkgs[*]}') or re-run as root; or set MERIDIAN_SKIP_SERVICES=1"
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing packages: ${pkgs[*]} and apt-get is not available; install them manually"
  log "installing ${pkgs[*]} (apt-get)"
  local started=$SECONDS created_policy=0
  # Keep the distro packages from starting their own daemons; we run private instances.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  local rc=0
  {
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${pkgs[@]}"
  } </dev/null || rc=$?
  if [[ $created_policy -eq 1 ]]; then
    "${sudo[@]}" rm -f /usr/sbin/policy-rc.d
  fi
  [[ $rc -eq 0 ]] || die "apt-get install ${pkgs[*]} failed (exit $rc)"
  log "installed ${pkgs[*]} in $((SECONDS - started))s"
}

ensure_packages() {
  local -a missing=()
  if [[ -z "${MERIDIAN_TEST_POSTGRES:-}" ]] && ! find_pg_bin >/dev/null; then
    missing+=(postgresql)
  fi
  if [[ -z "${MERIDIAN_TEST_REDIS:-}" ]] && ! command -v redis-server >/dev/null 2>&1; then
    missing+=(redis-server)
  fi
  if [[ -z "${MERIDIAN_TEST_CHROMIUM:-}" ]] && [[ ! -x /usr/bin/chromium ]]; then
    missing+=(chromium)
  fi
  if [[ -z "${MERIDIAN_TEST_PROMETHEUS:-}" ]] && [[ ! -x /usr/bin/prometheus ]]; then
    missing+=(prometheus) # the metrics test scrapes a node with a real Prometheus
  fi
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    missing+=(nodejs npm)
  fi
  if [[ ${#missing[@]} -gt 0 ]]; then
    apt_install "${missing[@]}"
  fi
}

# Succeeds when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
  local port=$1 last=$(($1 + 200))
  while [[ $port -le $last ]]; do
    if ! port_in_use "$port"; then
      echo "$port"
      return 0
    fi
    port=$((port + 1))
  done
  return 1
}

# Runs a command as the postgres OS user when we are root (postgres refuses to run as root).
as_pg_user() {
  if [[ $EUID -eq 0 ]]; then
    (cd "$RUN_DIR" && runuser -u postgres -- "$@")
  else
    (cd "$RUN_DIR" && "$@")
  fi
}

start_postgres() {
  PG_BIN="$(find_pg_bin)" || die "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and PATH)"
  if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    die "running as root but there is no 'postgres' OS user to run the private cluster"
  fi
  local pg_root="$RUN_DIR/postgres"
  PG_DATA="$pg_root/data"
  mkdir -p "$pg_root/socket"
  if [[ $EUID -eq 0 ]]; then
    chown -R postgres: "$pg_root"
  fi
  log "initdb ($PG_BIN)"
  if ! as_pg_user "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --no-locale -E UTF8 --no-sync \
    >"$RUN_DIR/initdb.log" 2>&1; then
    cat "$RUN_DIR/initdb.log" >&2
    die "initdb failed"
  fi
  # Only TCP on loopback (and our private socket dir); trust auth there.
  as_pg_user tee "$PG_DATA/pg_hba.conf" >/dev/null <<'EOF'
local   all   all                 trust
host    all   all   127.0.0.1/32  trust
EOF

  local port attempt
  for attempt in 1 2 3; do
    port="$(free_port $((55432 + (attempt - 1) * 10)))" || die "no free port for PostgreSQL"
    as_pg_user tee -a "$PG_DATA/postgresql.conf" >/dev/null <<EOF

# --- meridian test instance (build.sh) ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$pg_root/socket'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    if as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$pg_root/postgres.log" -w -t 60 start >/dev/null; then
      PG_STARTED=1
      break
    fi
    warn "PostgreSQL failed to start on port $port (attempt $attempt):"
    tail -n 20 "$pg_root/postgres.log" >&2 || true
  done
  [[ $PG_STARTED -eq 1 ]] || die "could not start PostgreSQL"
  export MERIDIAN_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
  # The store tests scan everything the server wrote for content that must never be persisted.
  export MERIDIAN_TEST_POSTGRES_DATA="$PG_DATA"
  log "postgres listening on 127.0.0.1:$port"
}

stop_postgres() {
  [[ $PG_STARTED -eq 1 ]] || return 0
  PG_STARTED=0
  if ! as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 30 stop >/dev/null 2>&1; then
    local pid
    pid="$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]]; then
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
}

redis_ping() {
  local port=$1
  if command -v redis-cli >/dev/null 2>&1; then
    [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == "PONG" ]]
  else
    local reply
    reply="$(
      exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
      printf 'PING\r\n' >&3
      IFS= read -r -t 2 line <&3 && printf '%s' "$line"
    )" 2>/dev/null || return 1
    [[ "$reply" == "+PONG"* ]]
  fi
}

start_redis() {
  command -v redis-server >/dev/null 2>&1 || die "redis-server not found"
  local dir="$RUN_DIR/redis" port attempt i
  mkdir -p "$dir"
  REDIS_PIDFILE="$dir/redis.pid"
  for attempt in 1 2 3; do
    port="$(free_port $((56379 + (attempt - 1) * 10)))" || die "no free port for Redis"
    rm -f "$REDIS_PIDFILE"
    if redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize yes \
      --dir "$dir" --pidfile "$REDIS_PIDFILE" --logfile "$dir/redis.log" </dev/null >/dev/null 2>&1; then
      REDIS_STARTED=1
      for i in $(seq 1 100); do
        if redis_ping "$port"; then
          export MERIDIAN_TEST_REDIS="127.0.0.1:$port"
          log "redis listening on 127.0.0.1:$port"
          return 0
        fi
        sleep 0.1
      done
      stop_redis
    fi
    warn "redis failed to start on port $port (attempt $attempt):"
    tail -n 20 "$dir/redis.log" >&2 2>/dev/null || true
  done
  die "could not start Redis"
}

stop_redis() {
  [[ $REDIS_STARTED -eq 1 ]] || return 0
  REDIS_STARTED=0
  local pid i
  pid="$(cat "$REDIS_PIDFILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  kill "$pid" 2>/dev/null || return 0
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  if [[ -n "$WAIT_PID" ]]; then
    kill "$WAIT_PID" 2>/dev/null
  fi
  if [[ $PG_STARTED -eq 1 || $REDIS_STARTED -eq 1 ]]; then
    printf '==> stopping test services\n'
  fi
  stop_postgres
  stop_redis
  if [[ -n "$RUN_DIR" && -d "$RUN_DIR" ]]; then
    rm -rf "$RUN_DIR"
  fi
  shutdown_build_servers
  exit "$rc"
}

start_services() {
  local started=$SECONDS
  log "ensuring test services (PostgreSQL, Redis, Chromium)"
  ensure_packages
  RUN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/meridian-test.XXXXXX")"
  chmod 755 "$RUN_DIR" # the postgres user must be able to reach its data dir
  if [[ -n "${MERIDIAN_TEST_POSTGRES:-}" ]]; then
    log "using provided MERIDIAN_TEST_POSTGRES"
  else
    start_postgres
  fi
  if [[ -n "${MERIDIAN_TEST_REDIS:-}" ]]; then
    log "using provided MERIDIAN_TEST_REDIS=$MERIDIAN_TEST_REDIS"
  else
    start_redis
  fi
  if [[ -z "${MERIDIAN_TEST_CHROMIUM:-}" ]]; then
    export MERIDIAN_TEST_CHROMIUM=/usr/bin/chromium
  fi
  [[ -x "$MERIDIAN_TEST_CHROMIUM" ]] || die "chromium not executable at $MERIDIAN_TEST_CHROMIUM"
  log "chromium: $MERIDIAN_TEST_CHROMIUM"
  if [[ -z "${MERIDIAN_TEST_PROMETHEUS:-}" ]]; then
    export MERIDIAN_TEST_PROMETHEUS=/usr/bin/prometheus
  fi
  [[ -x "$MERIDIAN_TEST_PROMETHEUS" ]] || die "prometheus not executable at $MERIDIAN_TEST_PROMETHEUS"
  log "services ready in $((SECONDS - started))s"
}

# ---------------------------------------------------------------------------
# npm
# ---------------------------------------------------------------------------

ensure_node_sdk() {
  # tests/node-sdk: the official TypeScript SDK; tests/clients: Claude Code, the Vercel AI SDK and axe-core (pinned).
  local name dir
  for name in node-sdk clients; do
    dir="$ROOT/tests/$name"
    [[ -f "$dir/package-lock.json" ]] || continue
    command -v npm >/dev/null 2>&1 || die "npm is not installed (needed for tests/$name); install nodejs and npm"
    if [[ ! -d "$dir/node_modules" || "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]]; then
      log "npm ci (tests/$name)"
      (cd "$dir" && npm ci --no-audit --no-fund </dev/null)
    else
      log "tests/$name/node_modules is up to date"
    fi
  done
}

# ---------------------------------------------------------------------------
# test results
# ---------------------------------------------------------------------------

# Prints "N passed, M failed[, K skipped]" from every .trx under $1; returns 1 when M>0 or N==0.
summarize_trx() {
  local dir=$1 f counters attr total=0 executed=0 passed=0 failed=0 not_executed=0 files=0
  trx_attr() { # trx_attr NAME COUNTERS-ELEMENT
    local v
    v="$(printf '%s' "$2" | sed -n "s/.*[[:space:]]$1=\"\([0-9]*\)\".*/\1/p")"
    echo "${v:-0}"
  }
  while IFS= read -r -d '' f; do
    files=$((files + 1))
    counters="$(tr '\n' ' ' <"$f" | grep -o '<Counters[^>]*>' | head -n 1 || true)"
    [[ -n "$counters" ]] || continue
    total=$((total + $(trx_attr total "$counters")))
    executed=$((executed + $(trx_attr executed "$counters")))
    passed=$((passed + $(trx_attr passed "$counters")))
    for attr in failed error timeout aborted; do
      failed=$((failed + $(trx_attr "$attr" "$counters")))
    done
    not_executed=$((not_executed + $(trx_attr notExecuted "$counters")))
  done < <(find "$dir" -name '*.trx' -type f -print0 2>/dev/null)
  local skipped=$((total - executed))
  if [[ $not_executed -gt $skipped ]]; then
    skipped=$not_executed
  fi
  [[ $skipped -ge 0 ]] || skipped=0
  local line="$passed passed, $failed failed"
  if [[ $skipped -gt 0 ]]; then
    line="$line, $skipped skipped"
  fi
  [[ $files -gt 0 ]] || warn "no .trx files found in $dir"
  echo "$line"
  [[ $failed -eq 0 && $passed -gt 0 ]]
}

run_tests() {
  local filter="" has_filter=0
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --filter)
        [[ $# -ge 2 ]] || die "--filter needs an expression"
        filter=$2
        has_filter=1
        shift 2
        ;;
      --filter=*)
        filter=${1#--filter=}
        has_filter=1
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) die "unknown option for test: $1" ;;
    esac
  done

  require_dotnet
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  if [[ "${MERIDIAN_SKIP_SERVICES:-}" == "1" ]]; then
    log "MERIDIAN_SKIP_SERVICES=1: not installing or starting PostgreSQL/Redis/Chromium"
  else
    start_services
  fi

  rm -rf "$RESULTS_DIR"
  mkdir -p "$RESULTS_DIR"
  ensure_node_sdk
  local build_rc=0
  (dotnet_build) || build_rc=$?
  if [[ $build_rc -ne 0 ]]; then
    stop_postgres
    stop_redis
    warn "error: build failed (exit $build_rc); no tests were run"
    echo "0 passed, 0 failed"
    exit 1
  fi

  log "testing ($SOLUTION)"
  local -a args=(
    test "$SOLUTION" -c "$CONFIG" --no-build -nologo
    --results-directory "$RESULTS_DIR"
    --logger trx
    --logger "console;verbosity=normal"
    --blame-hang-timeout "${MERIDIAN_TEST_HANG_TIMEOUT:-20m}"
    --blame-hang-dump-type none
  )
  # One test assembly at a time by default: the assemblies share one PostgreSQL and one Redis,
  # and the trx logger's default file naming (one .trx per assembly, "[1]" suffix on a name
  # clash) is only race-free when assemblies finish one after another. (A fixed LogFileName
  # would make every assembly overwrite the same file.) Tests inside an assembly still run
  # in parallel as xUnit decides.
  if [[ "${MERIDIAN_TEST_PARALLEL:-}" != "1" ]]; then
    args+=(-m:1)
  fi
  if [[ $has_filter -eq 1 ]]; then
    args+=(--filter "$filter")
  fi
  local test_rc=0
  dotnet "${args[@]}" </dev/null || test_rc=$?

  # The suites that touch the stores once more with every store on PostgreSQL: the same tests, the other engine
  # (docs/scale-out.md). Each project gets its own trx prefix, so the second run never overwrites the first's file.
  if [[ -n "${MERIDIAN_TEST_POSTGRES:-}" ]]; then
    local project
    for project in Meridian.Gateway.Tests Meridian.Storage.Tests; do
      log "testing $project again on PostgreSQL stores (MERIDIAN_TEST_STORE=postgres)"
      local -a pg_args=(
        test "tests/$project/$project.csproj" -c "$CONFIG" --no-build -nologo
        --results-directory "$RESULTS_DIR"
        --logger "trx;LogFilePrefix=postgres-$project"
        --logger "console;verbosity=normal"
        --blame-hang-timeout "${MERIDIAN_TEST_HANG_TIMEOUT:-20m}"
        --blame-hang-dump-type none
      )
      if [[ $has_filter -eq 1 ]]; then
        pg_args+=(--filter "$filter")
      fi
      MERIDIAN_TEST_STORE=postgres dotnet "${pg_args[@]}" </dev/null || test_rc=$?
    done
  else
    warn "MERIDIAN_TEST_POSTGRES is not set: the gateway and storage suites ran on SQLite only"
  fi

  # Stop services now so that the summary really is the last line printed.
  if [[ $PG_STARTED -eq 1 || $REDIS_STARTED -eq 1 ]]; then
    log "stopping test services"
  fi
  stop_postgres
  stop_redis

  local summary_rc=0 summary
  summary="$(summarize_trx "$RESULTS_DIR")" || summary_rc=$?
  if [[ $test_rc -ne 0 ]]; then
    warn "dotnet test exited with $test_rc"
  fi
  echo "$summary"
  if [[ $test_rc -ne 0 || $summary_rc -ne 0 ]]; then
    exit 1
  fi
}

# ./build.sh fuzz [--seconds N] [--target T]...: build the fuzzer and run it for a bounded time. Whatever it finds
# (a crash, an input over the work budget, a hang) is minimised and written to tests/data/fuzz/<target>/.
run_fuzz() {
  require_dotnet
  log "building the fuzzer (fuzz/Meridian.Fuzz, $CONFIG)"
  dotnet build "$ROOT/fuzz/Meridian.Fuzz/Meridian.Fuzz.csproj" -c "$CONFIG" -nologo -v:q || die "the fuzzer did not build"
  dotnet "$ROOT/artifacts/bin/Meridian.Fuzz/${CONFIG,,}/Meridian.Fuzz.dll" --corpus "$ROOT/tests/data/fuzz" "$@"
}

# ./build.sh services [--] [CMD ARGS...]: start the private test services, then run CMD with the
# MERIDIAN_TEST_* variables exported (or, without CMD, print them and wait for Ctrl-C).
run_services() {
  [[ "${1:-}" == "--" ]] && shift
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  start_services
  if [[ $# -gt 0 ]]; then
    local rc=0
    "$@" || rc=$?
    return "$rc"
  fi
  printf 'export MERIDIAN_TEST_POSTGRES=%q\n' "$MERIDIAN_TEST_POSTGRES"
  printf 'export MERIDIAN_TEST_POSTGRES_DATA=%q\n' "${MERIDIAN_TEST_POSTGRES_DATA:-}"
  printf 'export MERIDIAN_TEST_REDIS=%q\n' "$MERIDIAN_TEST_REDIS"
  printf 'export MERIDIAN_TEST_CHROMIUM=%q\n' "$MERIDIAN_TEST_CHROMIUM"
  printf 'export MERIDIAN_TEST_PROMETHEUS=%q\n' "$MERIDIAN_TEST_PROMETHEUS"
  log "services running; press Ctrl-C to stop them"
  while true; do
    sleep 3600 &
    WAIT_PID=$!
    wait "$WAIT_PID" || true
  done
}

# The pipeline benchmarks' bytes allocated per operation against bench/Meridian.Benchmarks/allocation-budgets.json
# (bench/README.md, "Allocation budgets"); exits 1, loudly, when one is over its budget.
run_allocation_budgets() {
  require_dotnet
  log "allocation budgets: PipelineBenchmarks with the memory diagnoser (~2 min)"
  dotnet build "$ROOT/bench/Meridian.Benchmarks" -c "$CONFIG" -nologo -v quiet || return $?
  mkdir -p "$ROOT/artifacts/bench"
  # BenchmarkDotNet writes its reports under the working directory.
  (cd "$ROOT/artifacts/bench" &&
    dotnet "$ROOT/artifacts/bin/Meridian.Benchmarks/release/Meridian.Benchmarks.dll" budgets "$ROOT/bench/Meridian.Benchmarks/allocation-budgets.json")
}

# ./build.sh bench [harness options]: the load harness, then the allocation budgets; --pipeline: the budgets alone.
run_bench() {
  local arg
  for arg in "$@"; do
    if [[ "$arg" == "-h" || "$arg" == "--help" ]]; then
      exec "$ROOT/bench/harness/run.sh" "$@"
    fi
  done
  if [[ "${1:-}" == "--pipeline" ]]; then
    shift
    [[ $# -eq 0 ]] || die "bench --pipeline takes no other options"
    run_allocation_budgets
    return
  fi
  local harness=0 budgets=0
  "$ROOT/bench/harness/run.sh" "$@" || harness=$?
  run_allocation_budgets || budgets=$?
  [[ $budgets -eq 0 ]] || warn "allocation budgets breached or not measured (see above)"
  [[ $harness -eq 0 ]] || return $harness
  return $budgets
}

main() {
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    build)
      [[ $# -eq 0 ]] || die "build takes no arguments"
      trap shutdown_build_servers EXIT
      dotnet_build
      ;;
    test) run_tests "$@" ;;
    services) run_services "$@" ;;
    bench) run_bench "$@" ;;
    fuzz) run_fuzz "$@" ;;
    -h | --help | help)
      usage
      ;;
    "")
      usage
      exit 2
      ;;
    *)
      usage >&2
      die "unknown command: $cmd"
      ;;
  esac
}

main "$@"
