#!/usr/bin/env bash
# Smoke-test phi-test/redis:7: PING from another container on a user network,
# SET/GET, runs as redis, clean stop.  Usage: verify.sh TAG
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
. "$here/../common.sh"
tag="$1"
name="$(verify_suffix)"
cleanup() {
    docker rm -f -v "$name-redis" >/dev/null 2>&1 || :
    docker network rm "$name" >/dev/null 2>&1 || :
}
trap cleanup EXIT

docker network create "$name" >/dev/null
docker run -d --name "$name-redis" --network "$name" --network-alias cache "$tag" >/dev/null
ok=""
for _ in $(seq 1 40); do
    if [[ "$(docker exec "$name-redis" redis-cli ping 2>/dev/null)" == PONG ]]; then ok=1; break; fi
    sleep 0.25
done
[[ -n "$ok" ]] || die "redis did not answer PING: $(docker logs --tail 20 "$name-redis" 2>&1)"
got="$(docker run --rm --network "$name" "$tag" sh -c 'redis-cli -h cache set k v >/dev/null && redis-cli -h cache get k' 2>&1)" \
    || die "redis-cli over the network failed: $got"
[[ "$got" == v ]] || die "unexpected redis GET result: $got"
[[ "$(docker exec "$name-redis" stat -c %U /proc/1)" == redis ]] || die "redis-server is not running as redis"
docker exec "$name-redis" redis-cli save >/dev/null || die "redis could not write to /data"
start=$SECONDS
docker stop -t 20 "$name-redis" >/dev/null
(( SECONDS - start < 10 )) || die "redis took $((SECONDS - start))s to stop"
