#!/usr/bin/env bash
# Benchmark `phi monitor` on a running 10-service stack, side by side in one run:
#  1. wall time of `phi monitor --once --json` (cgroup files, and --engine-stats) against
#     `docker stats --no-stream` for the same 10 containers (hyperfine);
#  2. phi's own CPU use while live-monitoring the 10 containers at a 1 s interval
#     (utime + stime from /proc over DURATION seconds), for both sources.
#
#   bench/monitor.sh                 RUNS=10 DURATION=30 by default
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
DURATION=${DURATION:-30}
STACK=bench/stack10
PROJECT=phi-bench10
export HEALTH_INTERVAL=${HEALTH_INTERVAL:-5s}

eval "$(scripts/setup-test-env.sh --print-env)"
COMPOSE=${PHI_TEST_COMPOSE_V2:?Compose v2 is needed to start the stack (scripts/setup-test-env.sh installs it)}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }

cargo build --release --locked -q
PHI=$PWD/target/release/phi

cleanup() { "$COMPOSE" -f "$STACK/compose.yaml" down -v --timeout 1 >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$COMPOSE" -f "$STACK/compose.yaml" up -d --wait >/dev/null 2>&1 || "$COMPOSE" -f "$STACK/compose.yaml" up -d --wait
containers=$(docker ps -q --filter "label=com.docker.compose.project=$PROJECT" | tr '\n' ' ')
[ "$(echo $containers | wc -w)" -eq 10 ] || { echo "expected 10 running containers" >&2; exit 1; }

out=$(mktemp -d)
hyperfine --warmup 1 --runs "$RUNS" -N -i --export-json "$out/h.json" \
  -n "phi monitor --once --json" "$PHI -f $STACK/compose.yaml monitor --once --json --cpu 1000" \
  -n "phi monitor --once --json --engine-stats" "$PHI -f $STACK/compose.yaml monitor --once --json --cpu 1000 --engine-stats" \
  -n "docker stats --no-stream" "docker stats --no-stream $containers" >&2

cpu_use() { # percent of one core used by phi while live-monitoring, over DURATION s
  "$PHI" -f "$STACK/compose.yaml" monitor --interval 1s --json --cpu 1000 "$@" >/dev/null &
  local pid=$! hz; hz=$(getconf CLK_TCK)
  sleep 2   # start-up and the first double reading are not the steady state
  local a; a=$(awk '{print $14 + $15}' "/proc/$pid/stat"); local t0; t0=$(date +%s.%N)
  sleep "$DURATION"
  local b; b=$(awk '{print $14 + $15}' "/proc/$pid/stat"); local t1; t1=$(date +%s.%N)
  kill -INT "$pid"; wait "$pid" || true
  python3 -c "print(f'{($b - $a) / $hz / ($t1 - $t0) * 100:.2f}')"
}
cpu_cgroup=$(cpu_use)
cpu_engine=$(cpu_use --engine-stats)

python3 - "$out/h.json" "$cpu_cgroup" "$cpu_engine" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = res["docker stats --no-stream"]
print(f"{'command':42} {'mean s':>8} {'± s':>6} {'median s':>9} {'vs docker stats':>16}")
for name, r in res.items():
    print(f"{name:42} {r['mean']:8.3f} {r['stddev']:6.3f} {r['median']:9.3f} {r['mean']/base['mean']:15.2f}x")
print()
print(f"phi live monitoring, 10 containers, 1 s interval: {sys.argv[2]}% of one core (cgroup files), "
      f"{sys.argv[3]}% (--engine-stats)")
PY
