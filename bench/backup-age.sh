#!/usr/bin/env bash
# Benchmark: `phi backup` with age encryption (local folder) against the pipeline a user would
# otherwise write, side by side in one hyperfine run:
#   docker exec <c> pg_dump -Fc ... | age -r KEY > f     (custom format, age CLI)
#   phi backup   (BACKUP_AGE_RECIPIENTS=KEY: custom format, zstd, age, sha256, fsync, manifest)
# on a pgbench database at scale 20 (~300 MB); then phi's peak memory (max RSS) at two sizes
# (scale 5 and 20) to show it does not grow with the database. Prints the wall-time ratio.
#
#   bench/backup-age.sh              (needs the test environment: scripts/setup-test-env.sh,
#                                     which installs the age CLI: ensure_age)
#   RUNS=10 SCALES="5 20" bench/backup-age.sh
#   PHI=target/release/phi bench/backup-age.sh    (a phi already built)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
SCALES=${SCALES:-"5 20"}
PROJECT=phi-bench-backup-age
CONTAINER=$PROJECT-db-1

eval "$(scripts/setup-test-env.sh --print-env)"
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
command -v age >/dev/null || { echo "the age CLI is missing (scripts/setup-test-env.sh installs it)" >&2; exit 4; }

if [ -z "${PHI:-}" ]; then
  cargo build --release --locked -q
  PHI=$PWD/target/release/phi
fi

work=$(mktemp -d)
cleanup() { docker rm -f -v "$CONTAINER" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
age-keygen -o "$work/key.txt" 2>/dev/null
KEY=$(age-keygen -y "$work/key.txt")
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

phi_backup() {
  echo "env BACKUP_AGE_RECIPIENTS=$KEY $PHI -f $work/compose.yaml backup -q --no-prune --dir $work/phi"
}

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
  echo "database ${SIZE[$scale]}: phi backup (age) peak RSS $((MEM[$scale] / 1024)) MiB" >&2
done

# A check that phi's files really are age files that the age CLI opens.
rm -rf "$work/phi"
# shellcheck disable=SC2046
$(phi_backup)
dump=$(find "$work/phi" -name '*.dump.zst' | head -n 1)
age -d -i "$work/key.txt" "$dump" >/dev/null || { echo "phi's file does not decrypt with the age CLI" >&2; exit 1; }

# The timing run, at the largest scale (the last one loaded).
hyperfine --warmup 1 --runs "$RUNS" -N --export-json "$work/h.json" \
  --prepare "rm -rf $work/phi $work/f.dump.age" \
  -n "docker exec pg_dump -Fc | age -r KEY > f" "sh -c 'docker exec $CONTAINER pg_dump -U bench -Fc bench | age -r $KEY > $work/f.dump.age'" \
  -n "phi backup (age)" "$(phi_backup)" >&2

mem_args=()
for scale in $SCALES; do mem_args+=("$scale" "${SIZE[$scale]}" "${MEM[$scale]}"); done
python3 - "$work/h.json" "${mem_args[@]}" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = res["docker exec pg_dump -Fc | age -r KEY > f"]
print(f"{'command':42} {'mean s':>8} {'± s':>6} {'median s':>9} {'vs pipeline':>12}")
for name, r in res.items():
    print(f"{name:42} {r['mean']:8.3f} {r['stddev']:6.3f} {r['median']:9.3f} {r['mean']/base['mean']:11.2f}x")
rest = sys.argv[2:]
print()
print("phi backup (age) peak memory (max RSS):")
for i in range(0, len(rest), 3):
    scale, size, kb = rest[i], rest[i + 1], int(rest[i + 2])
    print(f"  pgbench -s {scale:>3} ({size:>7}): {kb / 1024:6.1f} MiB")
PY
