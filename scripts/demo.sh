#!/usr/bin/env bash
# The demo: bring up examples/demo (postgres, redis, a gunicorn/Flask dashboard) on local
# images, then show its status with phi.
#
#   scripts/demo.sh
#
# Sets up the engine and images first (scripts/setup-test-env.sh, via demo-up.sh). Until
# `phi start-all` exists the stack is started with Docker Compose v2; phi does the rest.
# Take it down with:  "$HOME/.cache/phi-test/bin/docker-compose-v2" -f examples/demo/compose.yaml down -v
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/demo-up.sh
printf '==> building phi\n' >&2
cargo build --release --locked -q
printf '==> phi status\n' >&2
exec target/release/phi -f examples/demo/compose.yaml status
