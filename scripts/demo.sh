#!/usr/bin/env bash
# The demo: bring up examples/demo (postgres, redis, a gunicorn/Flask dashboard) on local
# images with `phi start-all`, then show its status with `phi status`.
#
#   scripts/demo.sh
#
# Sets up the engine and images first (scripts/setup-test-env.sh --demo), checks the Rust toolchain
# (scripts/check-toolchain.sh), then builds phi into target/release/phi, showing cargo's
# progress. The first build takes 5 to 8 minutes on 2 idle cores (longer on a busy machine);
# later runs take seconds. Re-running the demo leaves a running, unchanged stack alone. Ports
# (127.0.0.1 only, overridable through the environment or examples/demo/.env):
# POSTGRES_PORT=15432, REDIS_PORT=16379, DASHBOARD_PORT=18080.
#
# Take it down (containers, network and the database volume; --yes because a script has no
# terminal to confirm on):
#   target/release/phi -f examples/demo/compose.yaml stop-all --remove --volumes --yes
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*" >&2; }

# A fresh clone's `cargo build --release --locked`, measured on a 2-core machine: 7.8 minutes
# of CPU time (437 s user + 30 s system), so 4 to 8 minutes of wall time when the cores are
# idle; 48 minutes when the machine was shared with many other builds.
BUILD_TIME="5 to 8 minutes"

scripts/setup-test-env.sh --demo
scripts/check-toolchain.sh
if [[ -x "${CARGO_TARGET_DIR:-target}/release/phi" ]]; then
    say "building phi (target/release/phi exists: only what changed is rebuilt)"
else
    say "building phi for the first time: about $BUILD_TIME on 2 cores ($(nproc) here), longer on a busy machine; cargo shows its progress"
fi
cargo build --release --locked
phi="${CARGO_TARGET_DIR:-target}/release/phi"
say "phi is at $phi (scripts/install.sh puts it on PATH with its man pages and completions)"
say "$phi start-all"
"$phi" -f examples/demo/compose.yaml start-all
say "$phi status"
status=0
"$phi" -f examples/demo/compose.yaml status || status=$?
say "the demo is up. Take it down (containers, network and its volume) with:"
printf '    %s -f examples/demo/compose.yaml stop-all --remove --volumes --yes\n' "$phi" >&2
exit "$status"
