#!/usr/bin/env bash
# Benchmark: `phi config --format json` against `docker compose config --format json`
# (Compose v2), side by side in one hyperfine run, on a generated 10-service project (env
# files, interpolation, ports, volumes, healthchecks, depends_on, build, networks, secrets,
# an override file). Neither contacts the engine. Writes bench/RESULTS-config.md with the
# ratio (target: phi at most 0.2x Compose's time).
#
#   bench/config.sh            (needs Compose v2: scripts/setup-test-env.sh installs it)
#   RUNS=100 bench/config.sh   more runs
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-50}

COMPOSE=${PHI_TEST_COMPOSE_V2:-$HOME/.cache/phi-test/bin/docker-compose-v2}
[ -x "$COMPOSE" ] || { echo "Compose v2 is needed (scripts/setup-test-env.sh installs it)" >&2; exit 2; }
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }

cargo build --release --locked -q
PHI=$PWD/target/release/phi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/app"
cat >"$dir/.env" <<'EOF'
TAG=1.25
APP_PORT=8080
POSTGRES_PASSWORD=bench-pass
LOG_LEVEL=info
EOF
cat >"$dir/app.env" <<'EOF'
# shared settings
FEATURE_X=on
WORKERS=4
DATABASE_URL=postgres://app:${POSTGRES_PASSWORD}@db:5432/app
EOF
echo "s3cr3t" >"$dir/secret.txt"
{
  echo "name: bench-config"
  echo "x-common: &common"
  echo "  restart: unless-stopped"
  echo "  logging:"
  echo "    driver: json-file"
  echo "    options: {max-size: 10m, max-file: \"3\"}"
  echo "services:"
  echo "  db:"
  echo "    <<: *common"
  echo "    image: postgres:\${PG_TAG:-15}"
  echo "    environment: [POSTGRES_PASSWORD, POSTGRES_DB=app]"
  echo "    volumes: [\"dbdata:/var/lib/postgresql/data\", \"./init:/docker-entrypoint-initdb.d:ro\"]"
  echo "    healthcheck:"
  echo "      test: [\"CMD-SHELL\", \"pg_isready -U postgres\"]"
  echo "      interval: 5s"
  echo "      timeout: 3s"
  echo "      retries: 10"
  echo "    networks: [back]"
  for i in 1 2 3 4 5 6 7 8 9; do
    echo "  svc$i:"
    echo "    <<: *common"
    if [ $((i % 3)) = 0 ]; then
      echo "    build:"
      echo "      context: ./app"
      echo "      args: [\"VERSION=\${TAG}\", \"BUILD_NO=$i\"]"
    else
      echo "    image: nginx:\${TAG}"
    fi
    echo "    command: sh -c \"exec server --port 80 --level \$\${LOG_LEVEL}\""
    echo "    env_file: [app.env]"
    echo "    environment:"
    echo "      SERVICE_INDEX: \"$i\""
    echo "      LOG_LEVEL: \${LOG_LEVEL:-debug}"
    echo "    ports: [\"127.0.0.1:$((8080 + i)):80\", \"$((9000 + i))-$((9001 + i)):9000-9001/udp\"]"
    echo "    volumes: [\"./data/$i:/data\", \"cache$i:/cache\", {type: tmpfs, target: /tmp, tmpfs: {size: 64m}}]"
    echo "    depends_on:"
    echo "      db: {condition: service_healthy}"
    [ "$i" -gt 1 ] && echo "      svc$((i - 1)): {condition: service_started, restart: true}"
    echo "    healthcheck:"
    echo "      test: curl -fsS http://localhost/health || exit 1"
    echo "      interval: 30s"
    echo "      start_period: 1m"
    echo "    deploy:"
    echo "      resources: {limits: {cpus: \"0.5\", memory: 256m}}"
    echo "    secrets: [app_secret]"
    echo "    networks: [front, back]"
    echo "    labels: [com.example.index=$i, com.example.tier=web]"
  done
  echo "volumes:"
  echo "  dbdata:"
  for i in 1 2 3 4 5 6 7 8 9; do echo "  cache$i:"; done
  echo "networks:"
  echo "  front:"
  echo "  back: {internal: true}"
  echo "secrets:"
  echo "  app_secret: {file: ./secret.txt}"
} >"$dir/compose.yaml"
cat >"$dir/compose.override.yaml" <<'EOF'
services:
  svc1:
    environment:
      DEBUG: "1"
    ports: ["127.0.0.1:5678:5678"]
EOF

# Both must accept the project and print the same document before anything is timed.
(cd "$dir" && "$PHI" config --format json --show-secrets) >"$dir/phi.json"
(cd "$dir" && "$COMPOSE" config --format json) >"$dir/compose.json"
if cmp -s "$dir/phi.json" "$dir/compose.json"; then same="identical"; else same="DIFFERENT"; fi

out=$(mktemp)
(cd "$dir" && hyperfine --warmup 5 --runs "$RUNS" -N --export-json "$out" \
  -n "phi config --format json" "$PHI config --format json" \
  -n "docker compose config --format json" "$COMPOSE config --format json") >&2

python3 - "$out" "$same" "$RUNS" "$("$COMPOSE" version --short)" "$("$PHI" --version)" <<'PY' | tee bench/RESULTS-config.md
import json, platform, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
same, runs, compose_version, phi_version = sys.argv[2:6]
phi = res["phi config --format json"]
dc = res["docker compose config --format json"]
print("# `phi config` benchmark\n")
print("`bench/config.sh`: hyperfine (%s runs after 5 warm-ups, `-N`), side by side in one run, on a" % runs)
print("generated 10-service project (an anchor merged into every service, `.env` and env_file")
print("interpolation, short ports with ranges, bind, named and tmpfs volumes, healthchecks,")
print("depends_on with conditions, three builds, deploy limits, a secret, two networks and an")
print("override file). Neither command contacts the engine. Release build of phi.\n")
print("- %s; Docker Compose %s; %s, %s" % (phi_version, compose_version, platform.machine(), platform.platform()))
print("- JSON documents of the two (phi with `--show-secrets`): %s\n" % same)
print("| command | mean | ± | median | min | vs Compose (mean) |")
print("|---|---|---|---|---|---|")
for name, r in (("phi config --format json", phi), ("docker compose config --format json", dc)):
    print("| `%s` | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.3fx |" % (
        name, r["mean"] * 1e3, r["stddev"] * 1e3, r["median"] * 1e3, r["min"] * 1e3, r["mean"] / dc["mean"]))
ratio = phi["mean"] / dc["mean"]
print("\nphi takes %.3fx Compose's time (mean; median %.3fx); the target is at most 0.2x: %s." % (
    ratio, phi["median"] / dc["median"], "met" if ratio <= 0.2 else "NOT met"))
PY
rm -f "$out"
