#!/usr/bin/env bash
# Benchmark `phi monitor`'s engine events and `--serve` endpoint, side by side in one run:
#  1. event-to-alert latency over N OOM kills and N unasked exits (exit 3): the engine's
#     event time against the alert line's time, for phi; beside it, when the docker CLI's
#     own `docker events` receives the same events (its stdout timestamped on arrival);
#  2. scrape time of `/metrics` with SCRAPE_CONTAINERS (100) running containers, over
#     SCRAPES (200) requests (curl's time_total), and the page's size;
#  3. phi's CPU while live-monitoring 10 containers at a 1 s interval with the events stream
#     and the endpoint (scraped every second), over DURATION (60) s from /proc/<pid>/stat;
#     beside it, `docker stats` streaming the same 10 containers over the same window.
#
#   bench/events.sh                  N=20 SCRAPE_CONTAINERS=100 SCRAPES=200 DURATION=60
#   PROFILE=debug bench/events.sh    the debug build (slower: an upper bound on the figures)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20}
SCRAPE_CONTAINERS=${SCRAPE_CONTAINERS:-100}
SCRAPES=${SCRAPES:-200}
DURATION=${DURATION:-60}
PROJECT=phi-bench-events
BUSYBOX=phi-test/busybox:latest
PYTHON=phi-test/python:3

PROFILE=${PROFILE:-release}
if [ "$PROFILE" = release ]; then cargo build --release --locked -q; else cargo build --locked -q; fi
PHI=$PWD/target/$PROFILE/phi
work=${WORK:-$(mktemp -d)}
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" | xargs -r docker rm -f >/dev/null 2>&1 || true
  [ -n "${WORK:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
printf "name: $PROJECT\n"'services:\n  oom:\n    image: %s\n  crash:\n    image: %s\n  idle:\n    image: %s\n' \
  "$PYTHON" "$BUSYBOX" "$BUSYBOX" >"$work/compose.yaml"
labels() { echo --label "com.docker.compose.project=$PROJECT" --label "com.docker.compose.service=$1" --label com.docker.compose.oneoff=False; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---------------------------------------------------------------- 1. latency --
"$PHI" -f "$work/compose.yaml" monitor --interval 1s --json --cpu 1000 >"$work/phi.jsonl" 2>"$work/phi.err" &
pids+=($!); phi_pid=$!
docker events --filter "label=com.docker.compose.project=$PROJECT" --filter event=oom --filter event=die \
    --format '{{.Action}} {{.TimeNano}} {{.Actor.Attributes.name}}' |
  python3 -u -c 'import sys, time
for line in sys.stdin: print(time.time_ns(), line.strip(), flush=True)' >"$work/cli.txt" &
pids+=($!)
sleep 2
for i in $(seq 1 "$N"); do
  docker run -d --name "$PROJECT-oom-$i" $(labels oom) --memory 24m --memory-swap 24m "$PYTHON" \
    python3 -c 'b = bytearray(64 << 20)' >/dev/null
  sleep 0.7
  docker run -d --name "$PROJECT-crash-$i" $(labels crash) "$BUSYBOX" sh -c 'echo bye; exit 3' >/dev/null
  sleep 0.7
done
sleep 3
kill -INT "$phi_pid"; wait "$phi_pid" || true
docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" | xargs -r docker rm -f >/dev/null

# ----------------------------------------------------------------- 2. scrape --
seq 1 "$SCRAPE_CONTAINERS" | xargs -P 4 -I{} sh -c \
  "docker run -d --name $PROJECT-idle-{} $(labels idle | sed "s/=idle/=idle{}/") $BUSYBOX sleep 3600 >/dev/null"
port=$(free_port)
"$PHI" -f "$work/compose.yaml" monitor --interval 1s --json --cpu 1000 --serve "127.0.0.1:$port" >/dev/null 2>&1 &
pids+=($!); serve_pid=$!
for _ in $(seq 1 120); do
  n=$(curl -s "http://127.0.0.1:$port/metrics" | grep -c '^phi_container_up{' || true)
  [ "$n" -ge "$SCRAPE_CONTAINERS" ] && break
  sleep 1
done
curl -s "http://127.0.0.1:$port/metrics" >"$work/page.txt"
for _ in $(seq 1 "$SCRAPES"); do
  curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/metrics"
done >"$work/scrapes.txt"
kill -INT "$serve_pid"; wait "$serve_pid" || true
docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" | tail -n +11 | xargs -r docker rm -f >/dev/null

# -------------------------------------------------------------------- 3. CPU --
port=$(free_port)
"$PHI" -f "$work/compose.yaml" monitor --interval 1s --json --cpu 1000 --serve "127.0.0.1:$port" >/dev/null 2>&1 &
pids+=($!); live_pid=$!
containers=$(docker ps -q --filter "label=com.docker.compose.project=$PROJECT" | tr '\n' ' ')
docker stats $containers >/dev/null &
pids+=($!); stats_pid=$!
( while kill -0 "$live_pid" 2>/dev/null; do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; sleep 1; done ) &
pids+=($!)
sleep 3
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
a=$(ticks "$live_pid"); s0=$(ticks "$stats_pid"); t0=$(date +%s.%N)
sleep "$DURATION"
b=$(ticks "$live_pid"); s1=$(ticks "$stats_pid"); t1=$(date +%s.%N)
kill -INT "$live_pid"; wait "$live_pid" || true
kill "$stats_pid" 2>/dev/null || true
hz=$(getconf CLK_TCK)

python3 - "$work" "$a" "$b" "$s0" "$s1" "$t0" "$t1" "$hz" "$N" "$SCRAPE_CONTAINERS" <<'PY'
import json, statistics, sys, datetime
work, a, b, s0, s1, t0, t1, hz, n, nscrape = sys.argv[1:]
def ms(t):
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() * 1000
docs = [json.loads(l) for l in open(f"{work}/phi.jsonl")]
lat = {"oom": [], "exit": []}
for d in docs:
    if d.get("type") == "alert" and d.get("metric") in lat:
        lat[d["metric"]].append(ms(d["time"]) - ms(d["event_time"]))
cli = []
for line in open(f"{work}/cli.txt"):
    recv, action, nano, _name = line.split()
    cli.append((int(recv) - int(nano)) / 1e6)
print(f"1. event to alert line, {n} OOM kills and {n} exits (ms; phi's alert time - engine's event time)")
print(f"   {'':28} {'count':>5} {'median':>8} {'max':>8}")
for k, v in lat.items():
    print(f"   phi monitor, {k + ' alerts':15} {len(v):5} {statistics.median(v):8.1f} {max(v):8.1f}")
print(f"   {'docker events (CLI) receives':28} {len(cli):5} {statistics.median(cli):8.1f} {max(cli):8.1f}")
sc = sorted(float(x) * 1000 for x in open(f"{work}/scrapes.txt"))
page = open(f"{work}/page.txt").read()
up = sum(1 for l in page.splitlines() if l.startswith("phi_container_up{"))
print(f"2. /metrics with {up} containers ({len(page)} bytes, {len(page.splitlines())} lines), "
      f"{len(sc)} scrapes: median {statistics.median(sc):.2f} ms, p99 {sc[int(len(sc) * .99) - 1]:.2f} ms, max {sc[-1]:.2f} ms")
hz = float(hz); secs = float(t1) - float(t0)
phi_cpu = (float(b) - float(a)) / hz / secs * 100
stats_cpu = (float(s1) - float(s0)) / hz / secs * 100
print(f"3. live, 10 containers, 1 s interval, events + /metrics scraped every 1 s, {secs:.0f} s: "
      f"phi {phi_cpu:.2f}% of one core; docker stats (same containers) {stats_cpu:.2f}%")
PY
