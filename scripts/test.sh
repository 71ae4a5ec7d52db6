#!/usr/bin/env bash
# phi's whole test suite, set-up included: the command the README and CI run.
#
#   scripts/test.sh [extra cargo test arguments]
#
# 0. scripts/check-toolchain.sh --dev: Rust new enough, with rustfmt and clippy.
# 1. scripts/setup-test-env.sh: start a Docker Engine when none answers (installing docker.io
#    from Debian's packages if needed), build the local test images, install Compose v2.
# 2. cargo fmt --check and cargo clippy (no warnings allowed).
# 3. cargo test: unit tests and the integration tests against the real engine.
# Any failure (including a missing engine) fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*" >&2; }

say "checking the Rust toolchain"
scripts/check-toolchain.sh --dev

say "setting up the test environment"
eval "$(scripts/setup-test-env.sh --print-env)"
export PHI_TEST_COMPOSE_V2

say "checking formatting and lints"
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings

say "running the tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --locked "$@" 2>&1 | tee "$log" || status=$?

# ---- engine matrix (issue #12) ---------------------------------------------------------
# The integration suite again on Docker 28.5.2 (whole) and Podman 4.3.1 (subset), each an
# isolated engine started by scripts/engines.sh; see scripts/test-engines.sh.
say "running the engine matrix"
scripts/test-engines.sh 2>&1 | tee -a "$log" || status=1
# ---- end of engine matrix -------------------------------------------------------------
# One closing line over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "all tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
