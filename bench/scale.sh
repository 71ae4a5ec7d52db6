#!/usr/bin/env bash
# Benchmark: phi against Compose v2 and the docker CLI as the stack grows. For each N (10,
# 50, 100 by default), on a generated stack of N busybox services in levels of 10, each
# level health-gated on the one before (every service of level L waits, with
# `condition: service_healthy`, for its column's service of level L-1; healthchecks every
# 1 s), side by side in one run:
#
#   phi start-all                 vs  docker compose up -d --wait     (from no containers)
#                                     and the engine's floor: the containers (made by
#                                     `docker compose create`) started level by level through
#                                     the API, 10 at once, with no waiting for health at all
#   phi status --json             vs  docker compose ps --format json (the stack Compose started)
#   phi monitor --once --json     vs  docker stats --no-stream        (the same containers)
#   phi stop-all --remove         vs  docker compose down             (the whole stack)
#
# with wall-time ratios and each command's peak memory (max RSS, /usr/bin/time). Then, at
# the largest N, the engine calls each phi command makes (bench/callcount.py, a counting
# proxy on the engine's socket).
#
#   bench/scale.sh                               N = 10 50 100
#   NS="10 100" RUNS=10 START_RUNS=2 bench/scale.sh
#   SETTLE=35 bench/scale.sh                     seconds the stack runs before status/monitor
#
# status and monitor are timed once every container has been up for SETTLE seconds (35 by
# default): a container up for less than 30 s may have just restarted, so phi inspects it
# (as it does one whose healthcheck has not passed, or one that is not running).
set -euo pipefail
cd "$(dirname "$0")/.."
NS=${NS:-"10 50 100"}
RUNS=${RUNS:-10}
START_RUNS=${START_RUNS:-1}
SETTLE=${SETTLE:-35}
CALLS=${CALLS:-1}

eval "$(scripts/setup-test-env.sh --print-env)"
COMPOSE=${PHI_TEST_COMPOSE_V2:?Compose v2 is needed for this benchmark (scripts/setup-test-env.sh installs it)}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

cargo build --release --locked -q
PHI=$PWD/target/release/phi
out=$(mktemp -d)
STACK=

generate() { # generate N FILE
  python3 - "$1" >"$2" <<'PY'
import sys
n = int(sys.argv[1])
print(f"# {n} busybox services in levels of 10; each waits for its column's service of the level before.")
print(f"name: phi-scale{n}")
print("""x-svc: &svc
  image: phi-test/busybox:latest
  command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
  stop_grace_period: 1s
  healthcheck:
    test: ["CMD", "true"]
    interval: 1s
    timeout: 10s
    retries: 10
services:""")
for i in range(n):
    print(f"  s{i:03d}:\n    <<: *svc")
    if i >= 10:
        print(f"    depends_on: {{ s{i - 10:03d}: {{ condition: service_healthy }} }}")
PY
}

# The floor for start-all: what the engine alone takes to start the stack level by level (10
# container starts at once through the API, curl on the engine's socket), with no readiness
# waits. Any tool that honours `service_healthy` starts the same containers in the same
# levels under the same healthcheck load, and waits as well: it cannot be faster.
floor_script() { # floor_script N FILE
  local n=$1 sock=/var/run/docker.sock
  case "${DOCKER_HOST:-}" in unix://*) sock=${DOCKER_HOST#unix://} ;; esac
  {
    echo "#!/bin/sh"
    echo "set -e"
    local level=0
    while [ $((level * 10)) -lt "$n" ]; do
      printf 'printf "%%s\\n"'
      for i in $(seq $((level * 10)) $((level * 10 + 9))); do
        [ "$i" -lt "$n" ] && printf ' phi-scale%s-s%03d-1' "$n" "$i"
      done
      echo " | xargs -P10 -I{} curl -sf -o /dev/null --unix-socket $sock -X POST http://localhost/containers/{}/start"
      level=$((level + 1))
    done
  } >"$2"
  chmod +x "$2"
}

down() { "$COMPOSE" -f "$STACK" down --timeout 2 >/dev/null 2>&1 || true; }
up() { "$COMPOSE" -f "$STACK" up -d --wait --quiet-pull >/dev/null 2>&1; }
cleanup() { [ -z "$STACK" ] || down; }
trap cleanup EXIT

# Time with hyperfine; every command runs under /usr/bin/time, whose max RSS lines go to
# $out/<tag>.<side>.mem (one line per run).
bench() { # bench TAG RUNS PREPARE PHI_CMD OTHER_NAME OTHER_CMD [hyperfine options]
  local tag=$1 runs=$2 prepare=$3 phi_cmd=$4 other_name=$5 other_cmd=$6
  shift 6
  local mem="/usr/bin/time -a -f %M -o"
  local prep=()
  [ -z "$prepare" ] || prep=(--prepare "$prepare")
  hyperfine -N --runs "$runs" "${prep[@]}" "$@" --export-json "$out/$tag.json" \
    -n phi "$mem $out/$tag.phi.mem $phi_cmd" \
    -n "$other_name" "$mem $out/$tag.other.mem $other_cmd" >&2
}

# start-all, up --wait and the engine's floor in one hyperfine run, each from no containers
# (the floor's containers made beforehand by `compose create`).
bench_start() { # bench_start N
  local n=$1 tag=start-$1 mem="/usr/bin/time -a -f %M -o"
  local reset="$COMPOSE -f $STACK down --timeout 2"
  floor_script "$n" "$out/floor$n.sh"
  hyperfine -N --runs "$START_RUNS" --export-json "$out/$tag.json" \
    --prepare "$reset" --prepare "$reset" --prepare "sh -c '$reset && $COMPOSE -f $STACK create --quiet-pull'" \
    -n phi "$mem $out/$tag.phi.mem $PHI -q -f $STACK start-all" \
    -n "docker compose up -d --wait" \
    "$mem $out/$tag.other.mem $COMPOSE -f $STACK up -d --wait --quiet-pull" \
    -n "engine floor" "$out/floor$n.sh" >&2
}

for n in $NS; do
  STACK=$out/scale$n.yaml
  generate "$n" "$STACK"
  project=phi-scale$n
  down
  # Each side must really bring the stack up; check once before timing.
  "$PHI" -q -f "$STACK" start-all >/dev/null
  down
  up
  down
  bench_start "$n"

  down
  up
  sleep "$SETTLE"
  "$PHI" -q -f "$STACK" status >/dev/null # all running and healthy, or this fails
  bench "status-$n" "$RUNS" "" "$PHI -f $STACK status --json" \
    "docker compose ps" "$COMPOSE -f $STACK ps --format json" --warmup 2

  ids=$(docker ps -q --filter "label=com.docker.compose.project=$project" | tr '\n' ' ')
  [ "$(echo $ids | wc -w)" -eq "$n" ] || { echo "expected $n running containers" >&2; exit 1; }
  bench "monitor-$n" "$RUNS" "" "$PHI -f $STACK monitor --once --json" \
    "docker stats --no-stream" "docker stats --no-stream $ids" --warmup 1 -i

  if [ "$CALLS" = 1 ] && [ "$n" = "${NS##* }" ]; then
    # Engine calls per command, through a counting proxy on its own socket.
    sock=$out/engine.sock
    python3 bench/callcount.py "$sock" 2>>"$out/calls.txt" &
    proxy=$!
    while [ ! -S "$sock" ]; do sleep 0.1; done
    for cmd in "status --json" "monitor --once --json"; do
      DOCKER_HOST=unix://$sock "$PHI" -f "$STACK" $cmd >/dev/null || true
      echo "== phi $cmd" >>"$out/calls.txt"
      kill -USR1 "$proxy"
      sleep 0.5
    done
    down
    DOCKER_HOST=unix://$sock "$PHI" -q -f "$STACK" start-all >/dev/null || true
    echo "== phi start-all (from no containers)" >>"$out/calls.txt"
    kill -USR1 "$proxy"
    sleep 0.5
    DOCKER_HOST=unix://$sock "$PHI" -q -f "$STACK" stop-all --remove >/dev/null || true
    echo "== phi stop-all --remove" >>"$out/calls.txt"
    kill -TERM "$proxy"
    wait "$proxy" || true
  fi

  # stop-all against down: each from the stack Compose started.
  bench "stop-$n" "$START_RUNS" "$COMPOSE -f $STACK up -d --wait --quiet-pull" \
    "$PHI -q -f $STACK stop-all --remove" "docker compose down" \
    "$COMPOSE -f $STACK down --timeout 10"
done

python3 - "$out" $NS <<'PY'
import json, os, sys
out, ns = sys.argv[1], sys.argv[2:]
def peak(path):
    try:
        return max(int(l) for l in open(path) if l.strip().isdigit()) / 1024
    except (OSError, ValueError):
        return float("nan")
print(f"{'N':>4} {'phi command':28} {'mean s':>8} {'± s':>6} {'vs':28} {'mean s':>8} {'± s':>6} {'ratio':>7} {'phi MiB':>8} {'other MiB':>10}")
for n in ns:
    for kind, name, other in [("start", "start-all", "up -d --wait"),
                              ("status", "status --json", "compose ps"),
                              ("monitor", "monitor --once --json", "docker stats --no-stream"),
                              ("stop", "stop-all --remove", "compose down")]:
        tag = f"{kind}-{n}"
        res = {r["command"]: r for r in json.load(open(os.path.join(out, f"{tag}.json")))["results"]}
        p, o = res["phi"], next(r for k, r in res.items() if k not in ("phi", "engine floor"))
        print(f"{n:>4} {name:28} {p['mean']:8.3f} {p['stddev'] or 0:6.3f} {other:28} "
              f"{o['mean']:8.3f} {o['stddev'] or 0:6.3f} {p['mean'] / o['mean']:6.2f}x "
              f"{peak(os.path.join(out, tag + '.phi.mem')):8.1f} {peak(os.path.join(out, tag + '.other.mem')):10.1f}")
        if "engine floor" in res:
            f = res["engine floor"]
            print(f"{'':>4} {'':28} {'':8} {'':6} {'engine floor (no waits)':28} "
                  f"{f['mean']:8.3f} {f['stddev'] or 0:6.3f} {f['mean'] / o['mean']:6.2f}x of {other}; "
                  f"phi {p['mean'] / f['mean']:.2f}x the floor")
calls = os.path.join(out, "calls.txt")
if os.path.exists(calls):
    print(f"\nEngine calls at N = {ns[-1]} (bench/callcount.py):")
    print(open(calls).read())
PY
