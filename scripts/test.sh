#!/usr/bin/env bash
# phi's whole test suite, set-up included: the command the README and CI run.
#
#   scripts/test.sh [extra cargo test arguments]
#
# 1. scripts/setup-test-env.sh: start a Docker Engine when none answers (installing docker.io
#    from Debian's packages if needed), build the local test images, install Compose v2.
# 2. cargo fmt --check and cargo clippy (no warnings allowed).
# 3. cargo test: unit tests and the integration tests against the real engine.
# Any failure (including a missing engine) fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*" >&2; }

say "setting up the test environment"
eval "$(scripts/setup-test-env.sh --print-env)"
export PHI_TEST_COMPOSE_V2

say "checking formatting and lints"
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings

say "running the tests"
cargo test --locked "$@"
