"""phi demo dashboard: a tiny Flask app with liveness/readiness endpoints.

GET /health        liveness plus a summary of the dependency checks (always 200)
GET /health/live   200 while the process serves requests
GET /health/ready  200 when PostgreSQL and Redis both answer, else 503
GET /              a small JSON overview (visit counter kept in Redis)
"""
import os
import time

import psycopg2
import redis
from flask import Flask, jsonify

app = Flask(__name__)

STARTED = time.time()
CHECK_TIMEOUT = float(os.environ.get("CHECK_TIMEOUT", "2"))


def _pg_dsn():
    return dict(
        host=os.environ.get("POSTGRES_HOST", "postgres"),
        port=int(os.environ.get("POSTGRES_PORT", "5432")),
        user=os.environ.get("POSTGRES_USER", "phi"),
        password=os.environ.get("POSTGRES_PASSWORD", ""),
        dbname=os.environ.get("POSTGRES_DB", os.environ.get("POSTGRES_USER", "phi")),
        connect_timeout=max(1, int(CHECK_TIMEOUT)),
    )


def _redis():
    return redis.Redis(
        host=os.environ.get("REDIS_HOST", "redis"),
        port=int(os.environ.get("REDIS_PORT", "6379")),
        socket_timeout=CHECK_TIMEOUT,
        socket_connect_timeout=CHECK_TIMEOUT,
    )


def check_postgres():
    t0 = time.monotonic()
    try:
        conn = psycopg2.connect(**_pg_dsn())
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
                cur.fetchone()
        finally:
            conn.close()
        return {"ok": True, "latency_ms": round((time.monotonic() - t0) * 1000, 1)}
    except Exception as exc:  # noqa: BLE001 - report any failure
        return {"ok": False, "error": str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}


def check_redis():
    t0 = time.monotonic()
    try:
        _redis().ping()
        return {"ok": True, "latency_ms": round((time.monotonic() - t0) * 1000, 1)}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": str(exc) or type(exc).__name__}


def _checks():
    checks = {"postgres": check_postgres(), "redis": check_redis()}
    return checks, all(c["ok"] for c in checks.values())


@app.get("/health/live")
def live():
    return jsonify(status="ok", uptime_s=round(time.time() - STARTED, 1))


@app.get("/health/ready")
def ready():
    checks, ok = _checks()
    body = {"status": "ready" if ok else "not ready", "checks": checks}
    return jsonify(body), (200 if ok else 503)


@app.get("/health")
def health():
    checks, ok = _checks()
    return jsonify(status="ok", ready=ok, checks=checks,
                   uptime_s=round(time.time() - STARTED, 1))


@app.get("/")
def index():
    try:
        visits = _redis().incr("phi-demo:visits")
    except Exception:  # noqa: BLE001
        visits = None
    return jsonify(service="phi-demo dashboard", visits=visits,
                   endpoints=["/health", "/health/live", "/health/ready"])
