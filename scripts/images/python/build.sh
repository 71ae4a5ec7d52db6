#!/usr/bin/env bash
# Build phi-test/python:3: Debian bookworm python3 (3.11) with Flask, gunicorn,
# psycopg2, redis-py and curl (for health checks).  Usage: build.sh TAG RECIPE_HASH
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
. "$here/../common.sh"

tag="$1" hash="$2"
work="$(mktemp -d "${TMPDIR:-/tmp}/phi-python.XXXXXX")"
trap 'rm -rf "$work"' EXIT

mmdebstrap_tar "$work/rootfs.tar" \
    --include=python3,python3-flask,gunicorn,python3-psycopg2,python3-redis,curl,ca-certificates \
    --customize-hook='mkdir -p "$1"/app' \
    --customize-hook='find "$1"/usr/lib/python3* -name __pycache__ -prune -o -name "*.pyc" -print0 | xargs -0r rm -f'

docker_load_image "$work/rootfs.tar" "$tag" "$hash" '{
  "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          "LANG=C.UTF-8", "PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1"],
  "Cmd": ["python3"],
  "WorkingDir": "/app"
}'
