#!/usr/bin/env bash
# Build phi-test/postgres:15: Debian bookworm + postgresql-15 (server, client
# tools, pgbench) with an official-image-like entrypoint.
# Usage: build.sh TAG RECIPE_HASH
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
. "$here/../common.sh"

tag="$1" hash="$2"
work="$(mktemp -d "${TMPDIR:-/tmp}/phi-postgres.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# In bookworm pgbench ships in postgresql-15 itself (/usr/lib/postgresql/15/bin);
# psql, pg_dump, pg_restore, pg_isready come with postgresql-client-15.
# The LLVM JIT provider (libLLVM-14 + libz3, ~130 MB) is left out with dpkg
# path-excludes: without llvmjit.so PostgreSQL silently runs with JIT off.
mmdebstrap_tar "$work/rootfs.tar" \
    --dpkgopt='path-exclude=/usr/lib/*/libLLVM-14.so*' \
    --dpkgopt='path-exclude=/usr/lib/*/libz3.so*' \
    --dpkgopt='path-exclude=/usr/lib/postgresql/15/lib/llvmjit*' \
    --dpkgopt='path-exclude=/usr/lib/postgresql/15/lib/bitcode/*' \
    --include=postgresql-15,postgresql-client-15 \
    --customize-hook='rm -rf "$1"/var/lib/postgresql/15 "$1"/etc/postgresql/15' \
    --customize-hook="copy-in $here/docker-entrypoint.sh /usr/local/bin" \
    --customize-hook='chmod 0755 "$1"/usr/local/bin/docker-entrypoint.sh' \
    --customize-hook='mkdir -p "$1"/docker-entrypoint-initdb.d "$1"/var/lib/postgresql/data "$1"/var/run/postgresql' \
    --customize-hook='chroot "$1" chown postgres:postgres /var/lib/postgresql /var/lib/postgresql/data /var/run/postgresql' \
    --customize-hook='chmod 0700 "$1"/var/lib/postgresql/data; chmod 03775 "$1"/var/run/postgresql'

docker_load_image "$work/rootfs.tar" "$tag" "$hash" '{
  "Env": ["PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          "LANG=C.UTF-8", "PGDATA=/var/lib/postgresql/data"],
  "Entrypoint": ["/usr/local/bin/docker-entrypoint.sh"],
  "Cmd": ["postgres"],
  "StopSignal": "SIGINT",
  "ExposedPorts": {"5432/tcp": {}},
  "Volumes": {"/var/lib/postgresql/data": {}}
}'
