#!/usr/bin/env bash
# Build phi-test/redis:7: Debian bookworm + redis-server 7.0 (+ redis-cli).
# Usage: build.sh TAG RECIPE_HASH
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
. "$here/../common.sh"

tag="$1" hash="$2"
work="$(mktemp -d "${TMPDIR:-/tmp}/phi-redis.XXXXXX")"
trap 'rm -rf "$work"' EXIT

mmdebstrap_tar "$work/rootfs.tar" \
    --include=redis-server,redis-tools \
    --customize-hook="copy-in $here/docker-entrypoint.sh /usr/local/bin" \
    --customize-hook='chmod 0755 "$1"/usr/local/bin/docker-entrypoint.sh' \
    --customize-hook='mkdir -p "$1"/data && chroot "$1" chown redis:redis /data'

docker_load_image "$work/rootfs.tar" "$tag" "$hash" '{
  "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"],
  "Entrypoint": ["/usr/local/bin/docker-entrypoint.sh"],
  "Cmd": ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/data"],
  "WorkingDir": "/data",
  "ExposedPorts": {"6379/tcp": {}},
  "Volumes": {"/data": {}}
}'
