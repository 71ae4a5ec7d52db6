#!/usr/bin/env bash
# The demo: bring up examples/demo (postgres, redis, a gunicorn/Flask dashboard) on local
# images with `phi start-all`, then show its status with `phi status`.
#
#   scripts/demo.sh
#
# Sets up the engine and images first (scripts/setup-test-env.sh). Re-running it leaves a
# running, unchanged stack alone. Ports (127.0.0.1 only, overridable through the environment
# or examples/demo/.env): POSTGRES_PORT=15432, REDIS_PORT=16379, DASHBOARD_PORT=18080.
# Take it down with:  target/release/phi -f examples/demo/compose.yaml stop-all --remove
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-test-env.sh
printf '==> building phi\n' >&2
cargo build --release --locked -q
printf '==> phi start-all\n' >&2
target/release/phi -f examples/demo/compose.yaml start-all
printf '==> phi status\n' >&2
exec target/release/phi -f examples/demo/compose.yaml status
