#!/usr/bin/env bash
# Benchmark: `phi start-all` against `docker compose up -d --wait` (Compose v2), side by side
# in one hyperfine run, from a clean state each time (containers, network and the PostgreSQL
# volume removed before every run), on bench/start10: 10 services in 3 health-gated levels.
# Run once with 1 s healthcheck intervals and once with 30 s (the seed stack's setting).
#
#   bench/start.sh                     both intervals
#   INTERVALS=1s RUNS=10 bench/start.sh
#
# Another engine: set DOCKER_HOST (phi and Compose both follow it); the test images must be
# there already (scripts/engines.sh loads them). For an engine in its own network namespace:
#   nsenter --net=/run/netns/phi-docker28 env DOCKER_HOST=unix:///run/phi-test/docker28.sock \
#       INTERVALS=1s bench/start.sh
set -euo pipefail
cd "$(dirname "$0")/.."
INTERVALS=${INTERVALS:-"1s 30s"}
STACK=bench/start10/compose.yaml

# The test environment (Compose v2, the images) is set up on the machine's own engine.
eval "$(env -u DOCKER_HOST scripts/setup-test-env.sh --print-env)"
COMPOSE=${PHI_TEST_COMPOSE_V2:?Compose v2 is needed for this benchmark (scripts/setup-test-env.sh installs it)}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }

cargo build --release --locked -q
PHI=$PWD/target/release/phi
DOWN="$COMPOSE -f $STACK down -v --timeout 2"
cleanup() { $DOWN >/dev/null 2>&1 || true; }
trap cleanup EXIT

out=$(mktemp -d)
for interval in $INTERVALS; do
  export HEALTH_INTERVAL=$interval
  # Compose waits about one interval per level: a few runs are enough at 30 s.
  case $interval in 30s) runs=${RUNS_SLOW:-3} ;; *) runs=${RUNS:-5} ;; esac
  # Each command must really bring the stack up; check once before timing.
  cleanup; "$PHI" -q -f "$STACK" start-all >/dev/null
  cleanup; "$COMPOSE" -f "$STACK" up -d --wait --quiet-pull >/dev/null 2>&1
  cleanup
  hyperfine --runs "$runs" -N --prepare "$DOWN" --export-json "$out/$interval.json" \
    -n "phi start-all ($interval)" "$PHI -q -f $STACK start-all" \
    -n "docker compose up -d --wait ($interval)" "$COMPOSE -f $STACK up -d --wait --quiet-pull" >&2
done

python3 - "$out" $INTERVALS <<'PY'
import json, sys, os
print(f"{'interval':9} {'command':40} {'mean s':>8} {'± s':>6} {'min s':>7} {'max s':>7} {'vs compose':>11}")
for interval in sys.argv[2:]:
    res = json.load(open(os.path.join(sys.argv[1], f"{interval}.json")))["results"]
    base = next(r for r in res if r["command"].startswith("docker compose"))["mean"]
    for r in res:
        name = r["command"].rsplit(" (", 1)[0]
        print(f"{interval:9} {name:40} {r['mean']:8.2f} {r['stddev']:6.2f} {r['min']:7.2f} {r['max']:7.2f} {r['mean']/base:10.2f}x")
PY
