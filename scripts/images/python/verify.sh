#!/usr/bin/env bash
# Smoke-test phi-test/python:3: gunicorn serves a tiny Flask app, the DB/cache
# client libraries import, curl works.  Usage: verify.sh TAG
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
. "$here/../common.sh"
tag="$1"
name="$(verify_suffix)"
app="$(mktemp -d "${TMPDIR:-/tmp}/phi-pyapp.XXXXXX")"
cleanup() {
    docker rm -f -v "$name-py" >/dev/null 2>&1 || :
    rm -rf "$app"
}
trap cleanup EXIT

cat >"$app/app.py" <<'PY'
from flask import Flask, jsonify
import psycopg2, redis  # noqa: F401  (must import)
app = Flask(__name__)

@app.get("/")
def index():
    return jsonify(ok=True)
PY
chmod -R a+rX "$app"
docker run -d --name "$name-py" -v "$app:/app:ro" "$tag" \
    gunicorn --bind 0.0.0.0:8000 --workers 1 app:app >/dev/null
got=""
for _ in $(seq 1 40); do
    got="$(docker exec "$name-py" curl -fsS http://127.0.0.1:8000/ 2>/dev/null)" && break
    sleep 0.25
done
[[ "$got" == *'"ok":true'* ]] || die "gunicorn/Flask check failed (got '$got'): $(docker logs --tail 20 "$name-py" 2>&1)"
start=$SECONDS
docker stop -t 20 "$name-py" >/dev/null
(( SECONDS - start < 10 )) || die "gunicorn took $((SECONDS - start))s to stop"
