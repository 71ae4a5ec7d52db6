#!/usr/bin/env bash
# Benchmark: `phi status --json` against `docker compose ps --format json` (Compose v2) and
# `docker ps`, side by side in one hyperfine run on a running 10-service stack; then peak
# memory (max RSS) of each. Prints wall-time ratios against Compose.
#
#   bench/status.sh            (needs the test environment: scripts/setup-test-env.sh)
#   RUNS=50 bench/status.sh    more runs
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-30}
STACK=bench/stack10
PROJECT=phi-bench10
# Healthchecks every 5 s (the seed stack uses 30 s): at 1 s the engine spends much of each
# second running ten checks, and that noise swamps every command measured here.
export HEALTH_INTERVAL=${HEALTH_INTERVAL:-5s}

eval "$(scripts/setup-test-env.sh --print-env)"
COMPOSE=${PHI_TEST_COMPOSE_V2:?Compose v2 is needed for this benchmark (scripts/setup-test-env.sh installs it)}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

cargo build --release --locked -q
PHI=$PWD/target/release/phi

cleanup() { "$COMPOSE" -f "$STACK/compose.yaml" down -v --timeout 1 >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$COMPOSE" -f "$STACK/compose.yaml" up -d --wait --quiet-pull >/dev/null 2>&1 \
  || "$COMPOSE" -f "$STACK/compose.yaml" up -d --wait
"$PHI" -f "$STACK/compose.yaml" status >/dev/null   # all 10 running and healthy, or this fails

out=$(mktemp -d)
hyperfine --warmup 3 --runs "$RUNS" -N --export-json "$out/h.json" \
  -n "phi status --json" "$PHI -f $STACK/compose.yaml status --json" \
  -n "docker compose ps --format json" "$COMPOSE -f $STACK/compose.yaml ps --format json" \
  -n "docker ps" "docker ps --filter label=com.docker.compose.project=$PROJECT" >&2

peak() { # max RSS in KiB over 5 runs
  local best=0 kb
  for _ in 1 2 3 4 5; do
    kb=$(/usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1)
    [ "$kb" -gt "$best" ] && best=$kb
  done
  echo "$best"
}
m_phi=$(peak "$PHI" -f "$STACK/compose.yaml" status --json)
m_compose=$(peak "$COMPOSE" -f "$STACK/compose.yaml" ps --format json)
m_docker=$(peak docker ps --filter "label=com.docker.compose.project=$PROJECT")

python3 - "$out/h.json" "$m_phi" "$m_compose" "$m_docker" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
mem = dict(zip(["phi status --json", "docker compose ps --format json", "docker ps"],
               [int(x) / 1024 for x in sys.argv[2:5]]))
base = res["docker compose ps --format json"]["mean"]
base_median = res["docker compose ps --format json"]["median"]
print(f"{'command':34} {'mean ms':>9} {'± ms':>7} {'median ms':>10} {'vs compose (mean/median)':>25} {'peak MiB':>9}")
for name, r in res.items():
    ratio = f"{r['mean']/base:.2f}x / {r['median']/base_median:.2f}x"
    print(f"{name:34} {r['mean']*1e3:9.1f} {r['stddev']*1e3:7.1f} {r['median']*1e3:10.1f} {ratio:>25} {mem[name]:9.1f}")
PY
