#!/usr/bin/env bash
# Smoke-test phi-test/postgres:15: password auth over TCP from another
# container on a user network, client tools on PATH, fast stop on SIGINT.
# Usage: verify.sh TAG
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
. "$here/../common.sh"
tag="$1"
name="$(verify_suffix)"
cleanup() {
    docker rm -f -v "$name-db" >/dev/null 2>&1 || :
    docker network rm "$name" >/dev/null 2>&1 || :
}
trap cleanup EXIT

docker network create "$name" >/dev/null
docker run -d --name "$name-db" --network "$name" --network-alias db \
    -e POSTGRES_USER=phi -e POSTGRES_PASSWORD='s3cret pw' -e POSTGRES_DB=phidb \
    "$tag" >/dev/null

ready=""
for _ in $(seq 1 120); do
    if docker exec "$name-db" pg_isready -q -h 127.0.0.1 -U phi -d phidb 2>/dev/null; then
        ready=1; break
    fi
    sleep 0.25
done
[[ -n "$ready" ]] || die "postgres did not become ready: $(docker logs --tail 30 "$name-db" 2>&1)"

client=(docker run --rm --network "$name" "$tag")
got="$(docker run --rm --network "$name" -e PGPASSWORD='s3cret pw' "$tag" \
    psql -h db -U phi -d phidb -tAc 'SELECT current_user || chr(64) || current_database()' 2>&1)" \
    || die "psql over TCP failed: $got"
[[ "$got" == "phi@phidb" ]] || die "unexpected psql result: $got"
if docker run --rm --network "$name" -e PGPASSWORD=wrong "$tag" \
    psql -h db -U phi -d phidb -tAc 'SELECT 1' >/dev/null 2>&1; then
    die "postgres accepted a wrong password over TCP"
fi
out="$("${client[@]}" sh -c 'for t in pg_isready psql pg_dump pg_restore pgbench postgres initdb; do command -v $t || exit 1; done' 2>&1)" \
    || die "client tools missing on PATH: $out"
out="$(docker exec -e PGPASSWORD='s3cret pw' "$name-db" sh -c \
    'pgbench -q -i -s 1 -h 127.0.0.1 -U phi phidb && pg_dump -Fc -h 127.0.0.1 -U phi phidb >/tmp/d && pg_restore -l /tmp/d >/dev/null' 2>&1)" \
    || die "pgbench/pg_dump/pg_restore failed: $out"
[[ "$(docker exec "$name-db" stat -c %U /proc/1)" == postgres ]] \
    || die "PID 1 is not running as postgres"

start=$SECONDS
docker stop -t 20 "$name-db" >/dev/null
(( SECONDS - start < 10 )) || die "postgres took $((SECONDS - start))s to stop (STOPSIGNAL?)"
code="$(docker inspect -f '{{.State.ExitCode}}' "$name-db")"
[[ "$code" == 0 ]] || die "postgres exited with $code on stop: $(docker logs --tail 20 "$name-db" 2>&1)"
