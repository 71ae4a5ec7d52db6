#!/usr/bin/env bash
# The engine matrix: phi's integration suite on the engines besides the machine's Docker.
#
#   scripts/test-engines.sh [docker28|podman ...]     (default: both)
#
# 1. scripts/engines.sh starts (or finds) Docker 28.5.2 and Podman 4.3.1, each in its own
#    network namespace, with the phi-test images loaded.
# 2. Docker 28.5.2: the whole integration suite.
# 3. Podman 4.3.1: the subset below (start-all, status, stop-all, monitor, a crash loop, a
#    failing healthcheck, a backup and restore of Postgres, Redis and a volume). The other
#    tests wait for Docker's own ways of saying things (the `restarting` state, engine-run
#    healthchecks, signal names), which Podman does not have.
# Each pass runs inside its engine's network namespace (published ports live there) with
# DOCKER_HOST pointing at the engine; the docker CLI the tests use and phi both follow it.
# A missing engine fails the run; nothing is skipped. The engines are stopped afterwards
# (PHI_TEST_KEEP_ENGINES=1 keeps them up). Build first (cargo test --no-run):
# this script only runs tests.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*" >&2; }

PODMAN_SUBSET=(
    matrix::
    start_all::services_start_in_dependency_order_as_soon_as_dependencies_are_healthy
    start_all::a_one_shot_job_completes_before_what_waits_for_it
    start_all::docker_compose_sees_the_stack_and_stop_all_takes_it_down
    start_all::post_start_commands_run_once_ready_and_a_failure_fails_the_run
    stop_all::dependents_stop_before_what_they_depend_on
    stop_all::the_grace_period_ends_in_a_kill
    monitor::the_log_rotates_and_the_prometheus_file_is_complete
    monitor::an_engine_restart_leads_to_a_reconnection_not_a_crash
    backup::postgres_redis_and_a_volume_round_trip_and_verify_catches_damage
)

engines=("$@")
((${#engines[@]})) || engines=(docker28 podman)

say "starting the matrix engines (${engines[*]})"
env_lines=$(PHI_TEST_ENGINES="${engines[*]}" scripts/engines.sh --print-env)
eval "$env_lines"
# The engines are stopped again when the matrix is done, pass or fail (PHI_TEST_KEEP_ENGINES=1
# keeps them up); their data and images stay, so the next start takes seconds.
if [ -z "${PHI_TEST_KEEP_ENGINES:-}" ]; then
    trap 'say "stopping the matrix engines"; scripts/engines.sh --stop >&2 || true' EXIT
fi

status=0
for engine in "${engines[@]}"; do
    case "$engine" in
        docker28)
            say "integration suite on Docker 28.5.2 ($PHI_TEST_DOCKER28_HOST)"
            nsenter --net="/run/netns/$PHI_TEST_DOCKER28_NETNS" env DOCKER_HOST="$PHI_TEST_DOCKER28_HOST" \
                cargo test --locked --test integration || status=1
            ;;
        podman)
            say "integration subset on Podman 4.3.1 ($PHI_TEST_PODMAN_HOST)"
            nsenter --net="/run/netns/$PHI_TEST_PODMAN_NETNS" env DOCKER_HOST="$PHI_TEST_PODMAN_HOST" \
                cargo test --locked --test integration -- "${PODMAN_SUBSET[@]}" || status=1
            ;;
        *) echo "unknown engine $engine (docker28, podman)" >&2; exit 2 ;;
    esac
done
exit "$status"
