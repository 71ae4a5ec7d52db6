#!/usr/bin/env bash
# Benchmark: `phi backup` of a PostgreSQL database against the shell pipelines a user would
# otherwise write, side by side in one hyperfine run:
#   docker exec <c> pg_dump -Fc ... > f             (custom format, pg_dump's own compression)
#   docker exec <c> pg_dump ... | gzip -6 > f       (plain SQL, gzip)
#   phi backup                                      (custom format, zstd, sha256, fsync, manifest)
#   phi backup --compression gzip
# on a pgbench database at scale 20 (~300 MB); then peak memory (max RSS) of phi at two sizes
# (scale 5 and 20) to show it does not grow with the database. Prints wall-time ratios.
#
#   bench/backup.sh              (needs the test environment: scripts/setup-test-env.sh)
#   RUNS=20 SCALES="5 20" bench/backup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
SCALES=${SCALES:-"5 20"}
PROJECT=phi-bench-backup
CONTAINER=$PROJECT-db-1

eval "$(scripts/setup-test-env.sh --print-env)"
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

cargo build --release --locked -q
PHI=$PWD/target/release/phi

work=$(mktemp -d)
cleanup() { docker rm -f -v "$CONTAINER" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
cat >"$work/compose.yaml" <<EOF
name: $PROJECT
services:
  db:
    image: phi-test/postgres:15
    x-phi:
      backup:
        postgres: true
EOF

docker rm -f -v "$CONTAINER" >/dev/null 2>&1 || true
docker run -d --name "$CONTAINER" \
  --label com.docker.compose.project=$PROJECT --label com.docker.compose.service=db \
  --label com.docker.compose.container-number=1 --label com.docker.compose.oneoff=False \
  -e POSTGRES_USER=bench -e POSTGRES_PASSWORD=bench-password -e POSTGRES_DB=bench \
  phi-test/postgres:15 >/dev/null
for _ in $(seq 120); do
  docker exec "$CONTAINER" pg_isready -q -h 127.0.0.1 -U bench -d bench && break
  sleep 0.5
done

phi_backup() { echo "$PHI -f $work/compose.yaml backup -q --no-prune --dir $work/phi $*"; }

peak() { # max RSS in KiB over 3 runs
  local best=0 kb
  for _ in 1 2 3; do
    rm -rf "$work/phi"
    kb=$(/usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1)
    [ "$kb" -gt "$best" ] && best=$kb
  done
  echo "$best"
}

declare -A MEM SIZE
for scale in $SCALES; do
  echo "== pgbench -i -s $scale" >&2
  docker exec "$CONTAINER" pgbench -i -q -s "$scale" -U bench bench >/dev/null 2>&1
  SIZE[$scale]=$(docker exec "$CONTAINER" psql -U bench -d bench -tAc "select pg_size_pretty(pg_database_size('bench'))")
  # shellcheck disable=SC2046
  MEM[$scale]=$(peak $(phi_backup))
  echo "database ${SIZE[$scale]}: phi backup peak RSS $((MEM[$scale] / 1024)) MiB" >&2
done

# The timing run, at the largest scale (the last one loaded).
hyperfine --warmup 2 --runs "$RUNS" -N --export-json "$work/h.json" \
  --prepare "rm -rf $work/phi" \
  -n "docker exec pg_dump -Fc > f" "sh -c 'docker exec $CONTAINER pg_dump -U bench -Fc bench > $work/f.dump'" \
  -n "docker exec pg_dump | gzip -6 > f" "sh -c 'docker exec $CONTAINER pg_dump -U bench bench | gzip -6 > $work/f.sql.gz'" \
  -n "phi backup" "$(phi_backup)" \
  -n "phi backup --compression gzip" "$(phi_backup --compression gzip)" >&2

mem_args=()
for scale in $SCALES; do mem_args+=("$scale" "${SIZE[$scale]}" "${MEM[$scale]}"); done
python3 - "$work/h.json" "${mem_args[@]}" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
fc = res["docker exec pg_dump -Fc > f"]
gz = res["docker exec pg_dump | gzip -6 > f"]
print(f"{'command':36} {'mean s':>8} {'± s':>6} {'median s':>9} {'vs pg_dump -Fc':>15} {'vs | gzip':>10}")
for name, r in res.items():
    print(f"{name:36} {r['mean']:8.3f} {r['stddev']:6.3f} {r['median']:9.3f} "
          f"{r['mean']/fc['mean']:14.2f}x {r['mean']/gz['mean']:9.2f}x")
rest = sys.argv[2:]
print()
print("phi backup peak memory (max RSS):")
for i in range(0, len(rest), 3):
    scale, size, kb = rest[i], rest[i + 1], int(rest[i + 2])
    print(f"  pgbench -s {scale:>3} ({size:>7}): {kb / 1024:6.1f} MiB")
PY
